/*
 * dwtypes.c: index and read a program's named types with libdwarf
 * (Debian 12's libdwarf 20210528, the pre-0.1 API).
 *
 * Why an index: gort-dwarf looks up some 150 names; walking every CU for
 * each would read the DWARF 150 times.  One pass records, per (kind, name),
 * the global offset of its first definition in an open-addressing hash
 * table; everything else is read from that offset with dwarf_offdie_b when
 * asked.  Only top-level DIEs of each CU are indexed: C has no namespaces,
 * and types declared inside functions are no part of the runtime.
 *
 * libdwarf reads the file through dwobj.c, which shows it only the
 * sections types live in, from a copy elffile.c has validated.
 *
 * Ownership: libdwarf's DIEs and attributes are released as soon as they
 * are read (dwarf_dealloc_die / dwarf_dealloc_attribute); names are copied
 * into the handle, so nothing returned depends on libdwarf's lifetime
 * rules.  Every libdwarf error is turned into the handle's message and
 * its Dwarf_Error released.  Walks through type chains are bounded (a
 * corrupt file can make a chain loop).
 */
#include "dwtypes.h"
#include "dwobj.h"
#include "elffile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdwarf/dwarf.h>

#define MAX_CHAIN 64            /* typedef/qualifier/pointer steps before we call it a loop */

struct slot {
    struct dwt_entry e;
    bool used;
};

struct dwt {
    struct elfmap *map;         /* the validated file (elffile.c) */
    struct dwobj  *obj;         /* libdwarf over it (dwobj.c) */
    Dwarf_Debug dbg;
    char        err[256];
    unsigned    addrsize;
    struct slot *tab;           /* open addressing, power-of-two size */
    size_t      cap, n;
    char      **strs;           /* every string we own */
    size_t      nstrs, capstrs;
};

/* ------------------------------------------------------------------ */
/* errors and strings */

static int fail(struct dwt *d, Dwarf_Error *e, const char *what)
{
    if (e && *e) {
        snprintf(d->err, sizeof d->err, "bad DWARF: %s: %s", what, dwarf_errmsg(*e));
        dwarf_dealloc_error(d->dbg, *e);
        *e = NULL;
    } else {
        snprintf(d->err, sizeof d->err, "%s", what);
    }
    return -1;
}

static const char *keep(struct dwt *d, const char *s)
{
    if (d->nstrs == d->capstrs) {
        d->capstrs = d->capstrs ? 2 * d->capstrs : 256;
        char **n = realloc(d->strs, d->capstrs * sizeof *n);
        if (!n) { perror("gort-dwarf"); exit(1); }
        d->strs = n;
    }
    char *c = strdup(s);
    if (!c) { perror("gort-dwarf"); exit(1); }
    return d->strs[d->nstrs++] = c;
}

const char *dwt_error(const struct dwt *d) { return d->err; }
unsigned dwt_address_size(const struct dwt *d) { return d->addrsize; }

/* ------------------------------------------------------------------ */
/* attribute helpers: DW_DLV_OK, DW_DLV_NO_ENTRY or DW_DLV_ERROR (err set) */

/* An unsigned constant.  DWARF 5's DW_FORM_implicit_const (the value sits
 * in the abbreviation; gcc 12 uses it for shared sizes and offsets) is
 * only understood by this libdwarf's dwarf_formsdata. */
static int form_uconst(Dwarf_Attribute a, Dwarf_Unsigned *v, Dwarf_Error *err)
{
    Dwarf_Half form = 0;
    int rc = dwarf_whatform(a, &form, err);
    if (rc != DW_DLV_OK)
        return rc;
    if (form == DW_FORM_implicit_const) {
        Dwarf_Signed s;
        rc = dwarf_formsdata(a, &s, err);
        *v = (Dwarf_Unsigned)s;
        return rc;
    }
    return dwarf_formudata(a, v, err);
}

static int attr_udata(Dwarf_Die die, Dwarf_Half at, Dwarf_Unsigned *v, Dwarf_Error *err)
{
    Dwarf_Attribute a;
    int rc = dwarf_attr(die, at, &a, err);
    if (rc != DW_DLV_OK)
        return rc;
    rc = form_uconst(a, v, err);
    dwarf_dealloc_attribute(a);
    return rc;
}

static int attr_ref(Dwarf_Die die, Dwarf_Half at, Dwarf_Off *v, Dwarf_Error *err)
{
    Dwarf_Attribute a;
    int rc = dwarf_attr(die, at, &a, err);
    if (rc != DW_DLV_OK)
        return rc;
    rc = dwarf_global_formref(a, v, err);
    dwarf_dealloc_attribute(a);
    return rc;
}

static int attr_flag(Dwarf_Die die, Dwarf_Half at, bool *v, Dwarf_Error *err)
{
    Dwarf_Bool has;
    *v = false;
    int rc = dwarf_hasattr(die, at, &has, err);
    if (rc != DW_DLV_OK || !has)
        return rc;
    Dwarf_Attribute a;
    if ((rc = dwarf_attr(die, at, &a, err)) != DW_DLV_OK)
        return rc;
    Dwarf_Bool f = 0;
    rc = dwarf_formflag(a, &f, err);
    dwarf_dealloc_attribute(a);
    *v = f != 0;
    return rc;
}

/* A data member's byte offset: a constant (DWARF 3 and later) or, from
 * older producers, the expression DW_OP_plus_uconst N. */
static int member_location(Dwarf_Die die, Dwarf_Unsigned *v, Dwarf_Error *err)
{
    Dwarf_Attribute a;
    int rc = dwarf_attr(die, DW_AT_data_member_location, &a, err);
    if (rc != DW_DLV_OK)
        return rc;
    Dwarf_Half form = 0;
    rc = dwarf_whatform(a, &form, err);
    if (rc == DW_DLV_OK && (form == DW_FORM_exprloc || form == DW_FORM_block1)) {
        Dwarf_Unsigned len = 0;
        Dwarf_Ptr p = NULL;
        if (form == DW_FORM_exprloc) {
            rc = dwarf_formexprloc(a, &len, &p, err);
        } else {
            Dwarf_Block *b = NULL;
            rc = dwarf_formblock(a, &b, err);
            if (rc == DW_DLV_OK) { len = b->bl_len; p = b->bl_data; }
        }
        *v = 0;
        const unsigned char *q = p;
        if (rc == DW_DLV_OK && len >= 2 && q[0] == DW_OP_plus_uconst) {
            unsigned shift = 0;
            for (Dwarf_Unsigned i = 1; i < len && shift < 64; i++, shift += 7) {
                *v |= (Dwarf_Unsigned)(q[i] & 0x7f) << shift;
                if (!(q[i] & 0x80))
                    break;
            }
        }
    } else if (rc == DW_DLV_OK) {
        rc = form_uconst(a, v, err);
    }
    dwarf_dealloc_attribute(a);
    return rc;
}

static int die_at(struct dwt *d, Dwarf_Off off, Dwarf_Die *die)
{
    Dwarf_Error err = NULL;
    if (dwarf_offdie_b(d->dbg, off, 1, die, &err) != DW_DLV_OK)
        return fail(d, &err, "reading a DIE");
    return 0;
}

/* ------------------------------------------------------------------ */
/* the index */

static size_t hash(enum dwt_kind k, const char *s)
{
    size_t h = 1469598103934665603ull ^ (size_t)k;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static struct slot *find_slot(const struct dwt *d, enum dwt_kind k, const char *name)
{
    for (size_t i = hash(k, name) & (d->cap - 1);; i = (i + 1) & (d->cap - 1)) {
        struct slot *s = &d->tab[i];
        if (!s->used || (s->e.kind == k && strcmp(s->e.name, name) == 0))
            return s;
    }
}

static void grow(struct dwt *d)
{
    struct slot *old = d->tab;
    size_t oldcap = d->cap;
    d->cap = oldcap ? 2 * oldcap : 1024;
    d->tab = calloc(d->cap, sizeof *d->tab);
    if (!d->tab) { perror("gort-dwarf"); exit(1); }
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].used)
            *find_slot(d, old[i].e.kind, old[i].e.name) = old[i];
    free(old);
}

static void add(struct dwt *d, enum dwt_kind k, const char *name, Dwarf_Off off,
                bool has_size, uint64_t size)
{
    if (2 * (d->n + 1) > d->cap)
        grow(d);
    struct slot *s = find_slot(d, k, name);
    if (s->used) {
        if (has_size && s->e.has_size && size != s->e.size && !s->e.conflict) {
            s->e.conflict = true;
            s->e.conflict_size = size;
        }
        return;
    }
    s->used = true;
    s->e = (struct dwt_entry){ .kind = k, .name = keep(d, name), .off = off,
                               .size = size, .has_size = has_size };
    d->n++;
}

const struct dwt_entry *dwt_lookup(const struct dwt *d, enum dwt_kind kind, const char *name)
{
    if (d->cap == 0)
        return NULL;
    struct slot *s = find_slot(d, kind, name);
    return s->used ? &s->e : NULL;
}

/* The name of a variable DIE, which may sit on its declaration. */
static int var_name(struct dwt *d, Dwarf_Die die, char **name, Dwarf_Error *err)
{
    int rc = dwarf_diename(die, name, err);
    if (rc != DW_DLV_NO_ENTRY)
        return rc;
    Dwarf_Off spec;
    if ((rc = attr_ref(die, DW_AT_specification, &spec, err)) != DW_DLV_OK)
        return rc;
    Dwarf_Die decl;
    if ((rc = dwarf_offdie_b(d->dbg, spec, 1, &decl, err)) != DW_DLV_OK)
        return rc;
    rc = dwarf_diename(decl, name, err);
    dwarf_dealloc_die(decl);
    return rc;
}

static int index_die(struct dwt *d, Dwarf_Die die, Dwarf_Error *err)
{
    Dwarf_Half tag;
    int rc = dwarf_tag(die, &tag, err);
    if (rc != DW_DLV_OK)
        return rc;
    enum dwt_kind k;
    switch (tag) {
    case DW_TAG_structure_type:   k = DWT_STRUCT; break;
    case DW_TAG_union_type:       k = DWT_UNION; break;
    case DW_TAG_enumeration_type: k = DWT_ENUM; break;
    case DW_TAG_typedef:          k = DWT_TYPEDEF; break;
    case DW_TAG_variable:         k = DWT_VAR; break;
    default:                      return DW_DLV_OK;
    }
    bool decl;
    if ((rc = attr_flag(die, DW_AT_declaration, &decl, err)) != DW_DLV_OK || decl)
        return rc == DW_DLV_ERROR ? rc : DW_DLV_OK;
    char *name = NULL;
    if (k == DWT_VAR) {
        Dwarf_Bool loc = 0, cv = 0;
        if ((rc = dwarf_hasattr(die, DW_AT_location, &loc, err)) != DW_DLV_OK
            || (rc = dwarf_hasattr(die, DW_AT_const_value, &cv, err)) != DW_DLV_OK)
            return rc;
        if (!loc && !cv)
            return DW_DLV_OK;
        rc = var_name(d, die, &name, err);
    } else {
        rc = dwarf_diename(die, &name, err);
    }
    if (rc != DW_DLV_OK)
        return rc == DW_DLV_ERROR ? rc : DW_DLV_OK;     /* anonymous */
    Dwarf_Unsigned size = 0;
    bool has_size = false;
    if (k != DWT_TYPEDEF && k != DWT_VAR) {
        rc = attr_udata(die, DW_AT_byte_size, &size, err);
        if (rc == DW_DLV_ERROR)
            return rc;
        has_size = rc == DW_DLV_OK;
    }
    Dwarf_Off off;
    if ((rc = dwarf_dieoffset(die, &off, err)) != DW_DLV_OK)
        return rc;
    add(d, k, name, off, has_size, size);
    return DW_DLV_OK;
}

static int index_cu(struct dwt *d, Dwarf_Die cu, Dwarf_Error *err)
{
    Dwarf_Die c;
    int rc = dwarf_child(cu, &c, err);
    while (rc == DW_DLV_OK) {
        rc = index_die(d, c, err);
        if (rc != DW_DLV_OK) {
            dwarf_dealloc_die(c);
            return rc;
        }
        Dwarf_Die next;
        rc = dwarf_siblingof_b(d->dbg, c, 1, &next, err);
        dwarf_dealloc_die(c);
        c = next;
    }
    return rc == DW_DLV_NO_ENTRY ? DW_DLV_OK : rc;
}

static int index_all(struct dwt *d)
{
    Dwarf_Error err = NULL;
    for (int ncu = 0;; ncu++) {
        Dwarf_Unsigned hdrlen, typeoff, next;
        Dwarf_Half version, addrsize, lensize, extsize, cutype;
        Dwarf_Off abbrev;
        Dwarf_Sig8 sig;
        int rc = dwarf_next_cu_header_d(d->dbg, 1, &hdrlen, &version, &abbrev, &addrsize,
                                        &lensize, &extsize, &sig, &typeoff, &next,
                                        &cutype, &err);
        if (rc == DW_DLV_NO_ENTRY) {
            if (ncu == 0)
                return fail(d, NULL, "no DWARF compilation units");
            return 0;
        }
        if (rc != DW_DLV_OK)
            return fail(d, &err, "reading a CU header");
        if (d->addrsize == 0)
            d->addrsize = addrsize;
        Dwarf_Die cu;
        rc = dwarf_siblingof_b(d->dbg, NULL, 1, &cu, &err);
        if (rc == DW_DLV_NO_ENTRY)
            continue;
        if (rc != DW_DLV_OK)
            return fail(d, &err, "reading a CU");
        rc = index_cu(d, cu, &err);
        dwarf_dealloc_die(cu);
        if (rc != DW_DLV_OK)
            return fail(d, &err, "reading a CU's DIEs");
    }
}

struct dwt *dwt_open(const char *path, char *why, size_t whylen)
{
    struct dwt *d = calloc(1, sizeof *d);
    if (!d) { perror("gort-dwarf"); exit(1); }
    if (!(d->map = elf_open(path, why, whylen))
        || !(d->obj = dwobj_open(path, d->map, why, whylen))) {
        dwt_close(d);
        return NULL;
    }
    d->dbg = dwobj_debug(d->obj);
    if (index_all(d) != 0) {
        snprintf(why, whylen, "%s", d->err);
        dwt_close(d);
        return NULL;
    }
    return d;
}

void dwt_close(struct dwt *d)
{
    if (!d)
        return;
    dwobj_close(d->obj);
    elf_close(d->map);
    for (size_t i = 0; i < d->nstrs; i++)
        free(d->strs[i]);
    free(d->strs);
    free(d->tab);
    free(d);
}

/* ------------------------------------------------------------------ */
/* reading types */

int dwt_peel(struct dwt *d, Dwarf_Off off, Dwarf_Off *peeled, int *tagp)
{
    Dwarf_Error err = NULL;
    for (int i = 0; i < MAX_CHAIN; i++) {
        Dwarf_Die die;
        if (die_at(d, off, &die) != 0)
            return -1;
        Dwarf_Half tag;
        int rc = dwarf_tag(die, &tag, &err);
        if (rc != DW_DLV_OK) {
            dwarf_dealloc_die(die);
            return fail(d, &err, "reading a tag");
        }
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type
            && tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type) {
            dwarf_dealloc_die(die);
            *peeled = off;
            *tagp = tag;
            return 0;
        }
        rc = attr_ref(die, DW_AT_type, &off, &err);
        dwarf_dealloc_die(die);
        if (rc == DW_DLV_NO_ENTRY) {        /* const void */
            *peeled = 0;
            *tagp = 0;
            return 0;
        }
        if (rc != DW_DLV_OK)
            return fail(d, &err, "reading a type reference");
    }
    return fail(d, NULL, "bad DWARF: a type chain loops");
}

/* Elements of an array DIE: product of its subranges' counts; false when
 * a subrange has no bound (a flexible array member). */
static int array_elems(struct dwt *d, Dwarf_Die arr, uint64_t *count, bool *bounded)
{
    Dwarf_Error err = NULL;
    Dwarf_Die c;
    *count = 1;
    *bounded = true;
    int rc = dwarf_child(arr, &c, &err);
    int nsub = 0;
    while (rc == DW_DLV_OK) {
        Dwarf_Half tag = 0;
        if (dwarf_tag(c, &tag, &err) == DW_DLV_OK && tag == DW_TAG_subrange_type) {
            Dwarf_Unsigned n;
            nsub++;
            int r = attr_udata(c, DW_AT_count, &n, &err);
            if (r == DW_DLV_NO_ENTRY) {
                r = attr_udata(c, DW_AT_upper_bound, &n, &err);
                if (r == DW_DLV_OK)
                    n += 1;
            }
            if (r == DW_DLV_OK)
                *count *= n;
            else {
                if (err) { dwarf_dealloc_error(d->dbg, err); err = NULL; }
                *bounded = false;
            }
        }
        Dwarf_Die next;
        rc = dwarf_siblingof_b(d->dbg, c, 1, &next, &err);
        dwarf_dealloc_die(c);
        c = next;
    }
    if (rc == DW_DLV_ERROR)
        return fail(d, &err, "reading an array's bounds");
    if (nsub == 0)
        *bounded = false;
    return 0;
}

int dwt_array_count(struct dwt *d, Dwarf_Off off, int64_t *count)
{
    int tag;
    if (dwt_peel(d, off, &off, &tag) != 0)
        return -1;
    *count = -1;
    if (tag != DW_TAG_array_type)
        return 0;
    Dwarf_Die die;
    if (die_at(d, off, &die) != 0)
        return -1;
    uint64_t n;
    bool bounded;
    int rc = array_elems(d, die, &n, &bounded);
    dwarf_dealloc_die(die);
    if (rc == 0 && bounded)
        *count = (int64_t)n;
    return rc;
}

int dwt_type_size(struct dwt *d, Dwarf_Off off, uint64_t *size)
{
    Dwarf_Error err = NULL;
    uint64_t mult = 1;
    for (int i = 0; i < MAX_CHAIN; i++) {
        int tag;
        if (dwt_peel(d, off, &off, &tag) != 0)
            return -1;
        if (tag == 0)
            return fail(d, NULL, "void has no size");
        Dwarf_Die die;
        if (die_at(d, off, &die) != 0)
            return -1;
        Dwarf_Unsigned bs;
        int rc = attr_udata(die, DW_AT_byte_size, &bs, &err);
        if (rc == DW_DLV_OK) {
            dwarf_dealloc_die(die);
            *size = mult * bs;
            return 0;
        }
        if (rc == DW_DLV_ERROR) {
            dwarf_dealloc_die(die);
            return fail(d, &err, "reading a size");
        }
        if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type) {
            Dwarf_Half as = 0;
            rc = dwarf_get_die_address_size(die, &as, &err);
            dwarf_dealloc_die(die);
            if (rc != DW_DLV_OK)
                return fail(d, &err, "reading an address size");
            *size = mult * as;
            return 0;
        }
        if (tag == DW_TAG_array_type) {
            uint64_t n;
            bool bounded;
            rc = array_elems(d, die, &n, &bounded);
            if (rc == 0)
                rc = attr_ref(die, DW_AT_type, &off, &err) == DW_DLV_OK ? 0 : -1;
            dwarf_dealloc_die(die);
            if (rc != 0)
                return fail(d, &err, "reading an array type");
            mult *= bounded ? n : 0;
            continue;
        }
        dwarf_dealloc_die(die);
        return fail(d, NULL, tag == DW_TAG_subroutine_type ? "a function type has no size"
                                                           : "incomplete type");
    }
    return fail(d, NULL, "bad DWARF: a type chain loops");
}

int dwt_var_type(struct dwt *d, Dwarf_Off off, Dwarf_Off *type)
{
    Dwarf_Error err = NULL;
    for (int i = 0; i < 4; i++) {
        Dwarf_Die die;
        if (die_at(d, off, &die) != 0)
            return -1;
        int rc = attr_ref(die, DW_AT_type, type, &err);
        if (rc == DW_DLV_NO_ENTRY)
            rc = attr_ref(die, DW_AT_specification, &off, &err) == DW_DLV_OK ? 1 : DW_DLV_ERROR;
        dwarf_dealloc_die(die);
        if (rc == DW_DLV_OK)
            return 0;
        if (rc == DW_DLV_ERROR)
            return fail(d, &err, "a variable without a type");
    }
    return fail(d, NULL, "bad DWARF: a variable's declarations loop");
}

int dwt_members(struct dwt *d, Dwarf_Off off, struct dwt_layout **out)
{
    Dwarf_Error err = NULL;
    Dwarf_Die sdie, c;
    if (die_at(d, off, &sdie) != 0)
        return -1;
    size_t cap = 16;
    struct dwt_layout *l = malloc(sizeof *l + cap * sizeof l->m[0]);
    if (!l) { perror("gort-dwarf"); exit(1); }
    l->n = 0;
    int rc = dwarf_child(sdie, &c, &err);
    dwarf_dealloc_die(sdie);
    while (rc == DW_DLV_OK) {
        Dwarf_Half tag = 0;
        rc = dwarf_tag(c, &tag, &err);
        if (rc == DW_DLV_OK && tag == DW_TAG_member) {
            struct dwt_member m = { .name = "" };
            char *name;
            Dwarf_Unsigned v;
            int r = dwarf_diename(c, &name, &err);
            if (r == DW_DLV_OK)
                m.name = keep(d, name);
            if (r != DW_DLV_ERROR && (r = attr_ref(c, DW_AT_type, &m.type, &err)) == DW_DLV_OK) {
                if ((r = member_location(c, &v, &err)) == DW_DLV_OK)
                    m.offset = v;
                if (r != DW_DLV_ERROR && (r = attr_udata(c, DW_AT_bit_size, &v, &err)) == DW_DLV_OK)
                    m.bit_size = (uint32_t)v;
                if (r != DW_DLV_ERROR && m.bit_size
                    && (r = attr_udata(c, DW_AT_data_bit_offset, &v, &err)) == DW_DLV_OK) {
                    m.bit_offset = v;
                    m.offset = v / 8;
                }
            }
            if (r == DW_DLV_ERROR) {
                dwarf_dealloc_die(c);
                free(l);
                return fail(d, &err, "reading a member");
            }
            uint64_t sz;
            if (dwt_type_size(d, m.type, &sz) == 0) {
                m.size = sz;
                m.has_size = true;
            }
            if (l->n == cap) {
                cap *= 2;
                struct dwt_layout *nl = realloc(l, sizeof *l + cap * sizeof l->m[0]);
                if (!nl) { perror("gort-dwarf"); exit(1); }
                l = nl;
            }
            l->m[l->n++] = m;
        }
        if (rc == DW_DLV_ERROR)
            break;
        Dwarf_Die next;
        rc = dwarf_siblingof_b(d->dbg, c, 1, &next, &err);
        dwarf_dealloc_die(c);
        c = next;
    }
    if (rc == DW_DLV_ERROR) {
        free(l);
        return fail(d, &err, "reading a struct's members");
    }
    d->err[0] = 0;           /* a member type without a size is not an error here */
    *out = l;
    return 0;
}

int dwt_enumerators(struct dwt *d, Dwarf_Off off, struct dwt_enumlist **out)
{
    Dwarf_Error err = NULL;
    Dwarf_Die edie, c;
    if (die_at(d, off, &edie) != 0)
        return -1;
    size_t cap = 16;
    struct dwt_enumlist *l = malloc(sizeof *l + cap * sizeof l->e[0]);
    if (!l) { perror("gort-dwarf"); exit(1); }
    l->n = 0;
    int rc = dwarf_child(edie, &c, &err);
    dwarf_dealloc_die(edie);
    while (rc == DW_DLV_OK) {
        Dwarf_Half tag = 0;
        rc = dwarf_tag(c, &tag, &err);
        if (rc == DW_DLV_OK && tag == DW_TAG_enumerator) {
            char *name;
            Dwarf_Attribute a;
            Dwarf_Half form = 0;
            int64_t value = 0;
            rc = dwarf_diename(c, &name, &err);
            if (rc == DW_DLV_OK && (rc = dwarf_attr(c, DW_AT_const_value, &a, &err)) == DW_DLV_OK) {
                rc = dwarf_whatform(a, &form, &err);
                if (rc == DW_DLV_OK && (form == DW_FORM_sdata || form == DW_FORM_implicit_const)) {
                    Dwarf_Signed s;
                    rc = dwarf_formsdata(a, &s, &err);
                    value = s;
                } else if (rc == DW_DLV_OK) {
                    Dwarf_Unsigned u;
                    rc = dwarf_formudata(a, &u, &err);
                    value = (int64_t)u;
                }
                dwarf_dealloc_attribute(a);
            }
            if (rc != DW_DLV_OK) {
                dwarf_dealloc_die(c);
                free(l);
                return fail(d, rc == DW_DLV_ERROR ? &err : NULL, "bad DWARF: an enumerator without a name or value");
            }
            if (l->n == cap) {
                cap *= 2;
                struct dwt_enumlist *nl = realloc(l, sizeof *l + cap * sizeof l->e[0]);
                if (!nl) { perror("gort-dwarf"); exit(1); }
                l = nl;
            }
            l->e[l->n++] = (struct dwt_enumerator){ keep(d, name), value };
        }
        if (rc == DW_DLV_ERROR)
            break;
        Dwarf_Die next;
        rc = dwarf_siblingof_b(d->dbg, c, 1, &next, &err);
        dwarf_dealloc_die(c);
        c = next;
    }
    if (rc == DW_DLV_ERROR) {
        free(l);
        return fail(d, &err, "reading an enum's values");
    }
    *out = l;
    return 0;
}

/* ------------------------------------------------------------------ */
/* C spelling of a type: the declarator is built inside out.  `inner` is
 * what has been built so far around the (absent) name: "*" for a pointer,
 * "[4]" for an array, and the type wraps it. */

static int spell(struct dwt *d, Dwarf_Off off, const char *inner, char *buf, size_t len, int depth);

static void join(char *buf, size_t len, const char *base, const char *inner)
{
    snprintf(buf, len, "%s%s%s", base, *inner && *inner != '[' ? " " : "", inner);
}

static int spell_params(struct dwt *d, Dwarf_Die fn, char *buf, size_t len, int depth)
{
    Dwarf_Error err = NULL;
    Dwarf_Die c;
    size_t used = 0;
    buf[0] = 0;
    int n = 0;
    int rc = dwarf_child(fn, &c, &err);
    while (rc == DW_DLV_OK) {
        Dwarf_Half tag = 0;
        char one[256];
        one[0] = 0;
        if (dwarf_tag(c, &tag, &err) == DW_DLV_OK) {
            Dwarf_Off t;
            if (tag == DW_TAG_formal_parameter && attr_ref(c, DW_AT_type, &t, &err) == DW_DLV_OK)
                spell(d, t, "", one, sizeof one, depth + 1);
            else if (tag == DW_TAG_unspecified_parameters)
                snprintf(one, sizeof one, "...");
        }
        if (err) { dwarf_dealloc_error(d->dbg, err); err = NULL; }
        if (one[0] && used < len)
            used += snprintf(buf + used, len - used, "%s%s", n++ ? ", " : "", one);
        Dwarf_Die next;
        rc = dwarf_siblingof_b(d->dbg, c, 1, &next, &err);
        dwarf_dealloc_die(c);
        c = next;
    }
    if (err) { dwarf_dealloc_error(d->dbg, err); err = NULL; }
    if (n == 0)
        snprintf(buf, len, "void");
    return 0;
}

static int spell(struct dwt *d, Dwarf_Off off, const char *inner, char *buf, size_t len, int depth)
{
    Dwarf_Error err = NULL;
    char tmp[512], base[256];
    if (depth > MAX_CHAIN)
        return fail(d, NULL, "bad DWARF: a type chain loops");
    if (off == 0) {                             /* void */
        join(buf, len, "void", inner);
        return 0;
    }
    Dwarf_Die die;
    if (die_at(d, off, &die) != 0)
        return -1;
    Dwarf_Half tag = 0;
    char *name = NULL;
    if (dwarf_tag(die, &tag, &err) != DW_DLV_OK) {
        dwarf_dealloc_die(die);
        return fail(d, &err, "reading a tag");
    }
    if (dwarf_diename(die, &name, &err) != DW_DLV_OK)
        name = NULL;
    if (err) { dwarf_dealloc_error(d->dbg, err); err = NULL; }
    Dwarf_Off target = 0;
    if (attr_ref(die, DW_AT_type, &target, &err) != DW_DLV_OK)
        target = 0;
    if (err) { dwarf_dealloc_error(d->dbg, err); err = NULL; }
    int rc = 0;
    switch (tag) {
    case DW_TAG_structure_type: case DW_TAG_union_type: case DW_TAG_enumeration_type: {
        const char *kw = tag == DW_TAG_structure_type ? "struct"
                       : tag == DW_TAG_union_type ? "union" : "enum";
        snprintf(base, sizeof base, "%s %s", kw, name ? name : "{...}");
        join(buf, len, base, inner);
        break;
    }
    case DW_TAG_base_type: case DW_TAG_typedef: case DW_TAG_unspecified_type:
        join(buf, len, name ? name : "?", inner);
        break;
    case DW_TAG_pointer_type:
        snprintf(tmp, sizeof tmp, "*%s", inner);
        rc = spell(d, target, tmp, buf, len, depth + 1);
        break;
    case DW_TAG_const_type: case DW_TAG_volatile_type: case DW_TAG_atomic_type:
    case DW_TAG_restrict_type: {
        const char *q = tag == DW_TAG_const_type ? "const" : tag == DW_TAG_volatile_type
                      ? "volatile" : tag == DW_TAG_atomic_type ? "_Atomic" : "restrict";
        int ttag = 0;
        Dwarf_Off peeled;
        if (target && dwt_peel(d, target, &peeled, &ttag) == 0 && ttag == DW_TAG_pointer_type) {
            snprintf(tmp, sizeof tmp, "%s%s%s", q, *inner ? " " : "", inner);
            rc = spell(d, target, tmp, buf, len, depth + 1);
        } else {
            rc = spell(d, target, inner, tmp, sizeof tmp, depth + 1);
            snprintf(buf, len, "%s %s", q, tmp);
        }
        break;
    }
    case DW_TAG_array_type: {
        uint64_t n;
        bool bounded;
        char dims[64] = "[]";
        if (array_elems(d, die, &n, &bounded) == 0 && bounded)
            snprintf(dims, sizeof dims, "[%llu]", (unsigned long long)n);
        if (*inner == '*')
            snprintf(tmp, sizeof tmp, "(%s)%s", inner, dims);
        else
            snprintf(tmp, sizeof tmp, "%s%s", inner, dims);
        rc = spell(d, target, tmp, buf, len, depth + 1);
        break;
    }
    case DW_TAG_subroutine_type: {
        char params[256];
        spell_params(d, die, params, sizeof params, depth);
        if (*inner == '*')
            snprintf(tmp, sizeof tmp, "(%s)(%s)", inner, params);
        else
            snprintf(tmp, sizeof tmp, "%s(%s)", inner, params);
        rc = spell(d, target, tmp, buf, len, depth + 1);
        break;
    }
    default:
        snprintf(base, sizeof base, "<tag 0x%x>", tag);
        join(buf, len, base, inner);
        break;
    }
    dwarf_dealloc_die(die);
    return rc;
}

int dwt_type_name(struct dwt *d, Dwarf_Off off, char *buf, size_t len)
{
    return spell(d, off, "", buf, len, 0);
}

int dwt_declaration(struct dwt *d, Dwarf_Off off, const char *name, char *buf, size_t len)
{
    return spell(d, off, name, buf, len, 0);
}
