/*
 * layout.c: the runtime's layout, read from the binary's DWARF.
 *
 * dwarf/contract.def lists every struct, field, enum, enumerator, typedef
 * and global the debugger tools may rely on; it is included here as
 * X-macros, so gort-core can never read something the contract does not
 * promise (extra.def lists the optional rest).  Each entry is resolved by
 * one pass over the top-level DIEs of every CU (struct and enum
 * definitions live there in C), plus one pass over the symbol table for
 * globals (a symbol gives the address even when a CU only declares the
 * variable).  The first definition found wins: the runtime's structs are
 * the same in every CU that defines them.
 *
 * Lookups by name are linear over ~150 entries: callers look an offset up
 * once per analysis, not once per goroutine.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

static const struct { enum lkind kind; const char *tag, *name; } contract[] = {
#define GORT_STRUCT(t)        { LK_STRUCT, #t, NULL },
#define GORT_FIELD(t, f)      { LK_FIELD, #t, #f },
#define GORT_TYPEDEF(n)       { LK_TYPEDEF, NULL, #n },
#define GORT_ENUM(t)          { LK_ENUM, #t, NULL },
#define GORT_ENUMERATOR(t, e) { LK_ENUMERATOR, #t, #e },
#define GORT_VAR(n)           { LK_VAR, NULL, #n },
#include "../contract.def"
    { LK_STRUCT, NULL, NULL },           /* separator: extras follow */
#include "extra.def"
#undef GORT_STRUCT
#undef GORT_FIELD
#undef GORT_TYPEDEF
#undef GORT_ENUM
#undef GORT_ENUMERATOR
#undef GORT_VAR
};

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static struct lentry *find(const struct layout *l, enum lkind k, const char *tag,
                           const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->e[i].kind == k && same(l->e[i].tag, tag) && same(l->e[i].name, name))
            return &l->e[i];
    return NULL;
}

static int64_t type_size(Dwarf_Die *member)
{
    Dwarf_Attribute a;
    Dwarf_Die ty;
    Dwarf_Word sz;
    if (!dwarf_attr_integrate(member, DW_AT_type, &a) || !dwarf_formref_die(&a, &ty))
        return -1;
    if (dwarf_aggregate_size(&ty, &sz) == 0)
        return (int64_t)sz;
    /* Pointers (and typedefs of them) may carry no byte size. */
    Dwarf_Die peeled;
    if (dwarf_peel_type(&ty, &peeled) == 0 && dwarf_tag(&peeled) == DW_TAG_pointer_type) {
        Dwarf_Word bs;
        if (dwarf_attr_integrate(&peeled, DW_AT_byte_size, &a) && dwarf_formudata(&a, &bs) == 0)
            return (int64_t)bs;
        return 8;   /* x86-64 and aarch64 are LP64: the only targets gort has */
    }
    return -1;
}

static bool is_pointer(Dwarf_Die *member)
{
    Dwarf_Attribute a;
    Dwarf_Die ty, peeled;
    return dwarf_attr_integrate(member, DW_AT_type, &a) && dwarf_formref_die(&a, &ty) &&
           dwarf_peel_type(&ty, &peeled) == 0 && dwarf_tag(&peeled) == DW_TAG_pointer_type;
}

static bool member_offset(Dwarf_Die *m, int64_t *off)
{
    Dwarf_Attribute a;
    Dwarf_Word w;
    if (!dwarf_attr_integrate(m, DW_AT_data_member_location, &a))
        return false;
    if (dwarf_formudata(&a, &w) != 0)
        return false;  /* location expressions: not emitted by C compilers */
    *off = (int64_t)w;
    return true;
}

/* Record the members of a struct; anonymous struct/union members are
 * descended into with their offset added. */
static void members(struct layout *l, const char *tag, Dwarf_Die *st, int64_t base, int depth)
{
    Dwarf_Die m;
    if (depth > 4 || dwarf_child(st, &m) != 0)
        return;
    do {
        if (dwarf_tag(&m) != DW_TAG_member)
            continue;
        int64_t off = 0;
        if (!member_offset(&m, &off))
            off = 0;   /* union members have none */
        const char *name = dwarf_diename(&m);
        if (!name) {
            Dwarf_Attribute a;
            Dwarf_Die ty, peeled;
            if (dwarf_attr_integrate(&m, DW_AT_type, &a) && dwarf_formref_die(&a, &ty) &&
                dwarf_peel_type(&ty, &peeled) == 0)
                members(l, tag, &peeled, base + off, depth + 1);
            continue;
        }
        struct lentry *e = find(l, LK_FIELD, tag, name);
        if (e && !e->found) {
            e->found = true;
            e->val = base + off;
            e->size = type_size(&m);
            e->isptr = is_pointer(&m);
        }
    } while (dwarf_siblingof(&m, &m) == 0);
}

static void visit(struct layout *l, Dwarf_Die *d)
{
    int tag = dwarf_tag(d);
    const char *name = dwarf_diename(d);
    if (!name)
        return;
    if (dwarf_hasattr(d, DW_AT_declaration))
        return;
    if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
        struct lentry *e = find(l, LK_STRUCT, name, NULL);
        if (!e || e->found)
            return;
        Dwarf_Word sz;
        if (dwarf_aggregate_size(d, &sz) != 0)
            return;
        e->found = true;
        e->val = (int64_t)sz;
        members(l, name, d, 0, 0);
    } else if (tag == DW_TAG_enumeration_type) {
        struct lentry *e = find(l, LK_ENUM, name, NULL);
        if (!e || e->found)
            return;
        e->found = true;
        Dwarf_Die c;
        if (dwarf_child(d, &c) != 0)
            return;
        do {
            const char *en = dwarf_diename(&c);
            struct lentry *x = en ? find(l, LK_ENUMERATOR, name, en) : NULL;
            Dwarf_Attribute a;
            Dwarf_Sword sv;
            if (x && !x->found && dwarf_attr(&c, DW_AT_const_value, &a) &&
                dwarf_formsdata(&a, &sv) == 0) {
                x->found = true;
                x->val = sv;
            }
        } while (dwarf_siblingof(&c, &c) == 0);
    } else if (tag == DW_TAG_typedef) {
        struct lentry *e = find(l, LK_TYPEDEF, NULL, name);
        if (e)
            e->found = true;
    }
}

bool layout_load(struct layout *l, Dwarf *dw, Dwfl_Module *mod)
{
    size_t n = sizeof contract / sizeof contract[0];
    l->e = calloc(n, sizeof *l->e);
    l->n = 0;
    l->missing[0] = 0;
    if (!l->e)
        return false;
    bool required = true;
    for (size_t i = 0; i < n; i++) {
        if (contract[i].tag == NULL && contract[i].name == NULL) {
            required = false;
            continue;
        }
        /* An extra also listed in the contract is looked up once. */
        if (find(l, contract[i].kind, contract[i].tag, contract[i].name))
            continue;
        struct lentry *e = &l->e[l->n++];
        e->kind = contract[i].kind;
        e->tag = contract[i].tag;
        e->name = contract[i].name;
        e->required = required;
        e->size = -1;
    }

    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dw && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, d;
        if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &d) == 0) {
            do
                visit(l, &d);
            while (dwarf_siblingof(&d, &d) == 0);
        }
        off = next;
    }

    int nsym = mod ? dwfl_module_getsymtab(mod) : -1;
    for (int i = 1; i < nsym; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        const char *sn = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
        if (!sn || GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
            continue;
        struct lentry *e = find(l, LK_VAR, NULL, sn);
        if (e && !e->found) {
            e->found = true;
            e->val = (int64_t)addr;
        }
    }

    for (size_t i = 0; i < l->n; i++) {
        struct lentry *e = &l->e[i];
        if (e->required && !e->found) {
            snprintf(l->missing, sizeof l->missing, "%s%s%s", e->tag ? e->tag : "",
                     e->tag && e->name ? "." : "", e->name ? e->name : "");
            return false;
        }
    }
    return true;
}

void layout_free(struct layout *l)
{
    free(l->e);
    l->e = NULL;
    l->n = 0;
}

int64_t lay_size(const struct layout *l, const char *tag)
{
    struct lentry *e = find(l, LK_STRUCT, tag, NULL);
    return e && e->found ? e->val : -1;
}

int64_t lay_off(const struct layout *l, const char *tag, const char *field)
{
    struct lentry *e = find(l, LK_FIELD, tag, field);
    return e && e->found ? e->val : -1;
}

int64_t lay_fsize(const struct layout *l, const char *tag, const char *field)
{
    struct lentry *e = find(l, LK_FIELD, tag, field);
    return e && e->found ? e->size : -1;
}

bool lay_fisptr(const struct layout *l, const char *tag, const char *field)
{
    struct lentry *e = find(l, LK_FIELD, tag, field);
    return e && e->found && e->isptr;
}

bool lay_enum(const struct layout *l, const char *tag, const char *name, int64_t *v)
{
    struct lentry *e = find(l, LK_ENUMERATOR, tag, name);
    if (!e || !e->found)
        return false;
    *v = e->val;
    return true;
}

uint64_t lay_var(const struct layout *l, const char *name)
{
    struct lentry *e = find(l, LK_VAR, NULL, name);
    return e && e->found ? (uint64_t)e->val : 0;
}

const char *lay_enum_name(const struct layout *l, const char *tag, int64_t v)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->e[i].kind == LK_ENUMERATOR && l->e[i].found && same(l->e[i].tag, tag) &&
            l->e[i].val == v)
            return l->e[i].name;
    return NULL;
}

bool lay_struct_die(Dwarf *dw, const char *tag, Dwarf_Die *out)
{
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dw && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, d;
        if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &d) == 0) {
            do {
                const char *n = dwarf_diename(&d);
                if (dwarf_tag(&d) == DW_TAG_structure_type && n && strcmp(n, tag) == 0 &&
                    !dwarf_hasattr(&d, DW_AT_declaration)) {
                    *out = d;
                    return true;
                }
            } while (dwarf_siblingof(&d, &d) == 0);
        }
        off = next;
    }
    return false;
}
