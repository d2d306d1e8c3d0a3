/*
 * check.c: does a program's DWARF carry the debugger contract?
 *
 * Two layers.
 *
 * 1. Presence: every entry of contract.def (included here as X-macros, the
 *    same file the gdb extension parses and gort-core includes) must be in
 *    the DWARF: structs with a size, their fields, typedefs, enums and
 *    enumerators, and defined global variables.
 *
 * 2. Agreement: the sizes must fit together, because the tools read raw
 *    memory with them (one read of a whole g, a whole bucket).  For every
 *    contract field: it lies inside its struct; a pointer field has the
 *    program's pointer size; a field whose type is another contract struct
 *    has that struct's size (gobuf inside g, waitq inside a channel or a
 *    mutex).  A struct defined with two sizes in two compilation units is
 *    an error (the tools would read one and the code use the other).  The
 *    enumerators the tools name have distinct values (except in enums of
 *    plain constants, tags ending in _const).  Then the few facts
 *    the tools assume beyond the names (the RULES below): two-word
 *    interfaces, strings and wait queues, the code pointer first in a
 *    funcval, itab's method table last, one wait-reason string per reason.
 *
 * Each problem is one line on `out`, "missing: ..." or "wrong: ...".  A
 * program whose DWARF has none of the contract structs is reported
 * separately (not linked with libgort), not as 40 missing structs.
 *
 * dwarf/core/extra.def lists what gort-core reads beyond the contract
 * (optional entries: gort-core does without them, the command that needs
 * one says so; some are architecture-specific, like x86-64's callee-saved
 * registers in gobuf).  Its entries not already in the contract are
 * checked too, with the same agreement checks, but one that is absent is
 * a note ("optional: ..."), not a problem: the two files together are the
 * whole list of what the tools read (tests/dwarf/test_contract_usage.py
 * holds the tools to it).
 */
#include "check.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libdwarf/dwarf.h>

enum ckind { C_STRUCT, C_FIELD, C_TYPEDEF, C_ENUM, C_ENUMERATOR, C_VAR };

struct centry {
    enum ckind  kind;
    const char *a, *b;
};

static const struct centry contract[] = {
#define GORT_STRUCT(t)            { C_STRUCT, #t, NULL },
#define GORT_FIELD(t, f)          { C_FIELD, #t, #f },
#define GORT_TYPEDEF(n)           { C_TYPEDEF, #n, NULL },
#define GORT_ENUM(t)              { C_ENUM, #t, NULL },
#define GORT_ENUMERATOR(t, n)     { C_ENUMERATOR, #t, #n },
#define GORT_VAR(n)               { C_VAR, #n, NULL },
#include "contract.def"
};
#define NCONTRACT (sizeof contract / sizeof contract[0])

static const struct centry extra[] = {
#include "core/extra.def"
#undef GORT_STRUCT
#undef GORT_FIELD
#undef GORT_TYPEDEF
#undef GORT_ENUM
#undef GORT_ENUMERATOR
#undef GORT_VAR
};
#define NEXTRA (sizeof extra / sizeof extra[0])

/* Layouts and enumerator lists read once per contract struct / enum. */
struct cached {
    const char *name;
    const struct dwt_entry *e;
    struct dwt_layout *layout;
    struct dwt_enumlist *enums;
};

struct ctx {
    struct dwt *d;
    FILE *out;
    int problems;
    unsigned ptr;
    bool optional;              /* checking extra.def: absence is a note */
    int notes;
    struct cached cache[NCONTRACT + NEXTRA];
    size_t ncache;
};

static void problem(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    fputc('\n', c->out);
    c->problems++;
}

/* An entry that is not there: a problem in the contract, a note for an
 * optional entry of extra.def. */
static void missing(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void missing(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(c->optional ? "optional: " : "missing: ", c->out);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    if (c->optional) {
        fputs(" (dwarf/core/extra.def: gort-core does without it)\n", c->out);
        c->notes++;
    } else {
        fputc('\n', c->out);
        c->problems++;
    }
}

static bool in_contract(enum ckind k, const char *a, const char *b)
{
    for (size_t i = 0; i < NCONTRACT; i++)
        if (contract[i].kind == k && strcmp(contract[i].a, a) == 0
            && (!b || strcmp(contract[i].b, b) == 0))
            return true;
    return false;
}

/* The cached layout of contract struct `name`, or NULL when it is missing
 * (already reported) or unreadable (reported here, once). */
static struct cached *get(struct ctx *c, enum dwt_kind kind, const char *name)
{
    for (size_t i = 0; i < c->ncache; i++)
        if (strcmp(c->cache[i].name, name) == 0 && c->cache[i].e->kind == kind)
            return c->cache[i].layout || c->cache[i].enums ? &c->cache[i] : NULL;
    const struct dwt_entry *e = dwt_lookup(c->d, kind, name);
    if (!e)
        return NULL;
    struct cached *ce = &c->cache[c->ncache++];
    *ce = (struct cached){ .name = name, .e = e };
    if (kind == DWT_STRUCT && dwt_members(c->d, e->off, &ce->layout) != 0)
        problem(c, "wrong: struct %s: %s", name, dwt_error(c->d));
    if (kind == DWT_ENUM && dwt_enumerators(c->d, e->off, &ce->enums) != 0)
        problem(c, "wrong: enum %s: %s", name, dwt_error(c->d));
    return ce->layout || ce->enums ? ce : NULL;
}

static const struct dwt_member *member(struct cached *s, const char *field)
{
    for (size_t i = 0; s && i < s->layout->n; i++)
        if (strcmp(s->layout->m[i].name, field) == 0)
            return &s->layout->m[i];
    return NULL;
}

static const struct dwt_enumerator *enumerator(struct cached *en, const char *name)
{
    for (size_t i = 0; en && i < en->enums->n; i++)
        if (strcmp(en->enums->e[i].name, name) == 0)
            return &en->enums->e[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* layer 1, and the per-field size agreement */

static void check_field(struct ctx *c, const char *tag, const char *field)
{
    struct cached *s = get(c, DWT_STRUCT, tag);
    if (!s)
        return;                 /* the struct itself was reported */
    const struct dwt_member *m = member(s, field);
    if (!m) {
        missing(c, "struct %s has no field %s", tag, field);
        return;
    }
    if (!m->has_size) {
        problem(c, "wrong: struct %s field %s: its type has no size", tag, field);
        return;
    }
    uint64_t end = m->bit_size ? (m->bit_offset + m->bit_size + 7) / 8 : m->offset + m->size;
    if (end > s->e->size)
        problem(c, "wrong: struct %s field %s: ends at byte %llu, past the struct's size %llu",
                tag, field, (unsigned long long)end, (unsigned long long)s->e->size);
    Dwarf_Off peeled;
    int ptag;
    if (dwt_peel(c->d, m->type, &peeled, &ptag) != 0) {
        problem(c, "wrong: struct %s field %s: %s", tag, field, dwt_error(c->d));
        return;
    }
    if (ptag == DW_TAG_pointer_type && m->size != c->ptr)
        problem(c, "wrong: struct %s field %s: a pointer of %llu bytes, pointers are %u",
                tag, field, (unsigned long long)m->size, c->ptr);
    if (ptag == DW_TAG_structure_type) {
        char name[512];
        if (dwt_type_name(c->d, peeled, name, sizeof name) == 0
            && strncmp(name, "struct ", 7) == 0 && in_contract(C_STRUCT, name + 7, NULL)) {
            const struct dwt_entry *inner = dwt_lookup(c->d, DWT_STRUCT, name + 7);
            if (inner && inner->has_size && inner->size != m->size)
                problem(c, "wrong: struct %s field %s: %llu bytes, but %s is %llu",
                        tag, field, (unsigned long long)m->size, name,
                        (unsigned long long)inner->size);
        }
    }
}

/* The entries checked before ce, in order: the contract's, then (for an
 * entry of extra.def) extra.def's before it.  NULL at the end. */
static bool in_extra(const struct centry *e) { return e >= extra && e < extra + NEXTRA; }
static const struct centry *first_before(const struct centry *ce)
{
    if (ce != contract)
        return contract;
    return NULL;
}
static const struct centry *next_before(const struct centry *o, const struct centry *ce)
{
    o++;
    if (o == contract + NCONTRACT)
        o = in_extra(ce) ? extra : NULL;
    return o == ce ? NULL : o;
}

static void check_entry(struct ctx *c, const struct centry *ce)
{
    const struct dwt_entry *e;
    switch (ce->kind) {
    case C_STRUCT:
        e = dwt_lookup(c->d, DWT_STRUCT, ce->a);
        if (!e)
            missing(c, "struct %s", ce->a);
        else if (!e->has_size || e->size == 0)
            problem(c, "wrong: struct %s has no size", ce->a);
        else if (e->conflict)
            problem(c, "wrong: struct %s is %llu bytes in one compilation unit and %llu in another",
                    ce->a, (unsigned long long)e->size, (unsigned long long)e->conflict_size);
        else
            get(c, DWT_STRUCT, ce->a);
        break;
    case C_FIELD:
        check_field(c, ce->a, ce->b);
        break;
    case C_TYPEDEF:
        e = dwt_lookup(c->d, DWT_TYPEDEF, ce->a);
        uint64_t size;
        if (!e)
            missing(c, "typedef %s", ce->a);
        else if (dwt_type_size(c->d, e->off, &size) != 0)
            problem(c, "wrong: typedef %s: %s", ce->a, dwt_error(c->d));
        break;
    case C_ENUM:
        e = dwt_lookup(c->d, DWT_ENUM, ce->a);
        if (!e)
            missing(c, "enum %s", ce->a);
        else if (get(c, DWT_ENUM, ce->a) && get(c, DWT_ENUM, ce->a)->enums->n == 0)
            problem(c, "wrong: enum %s has no enumerators", ce->a);
        break;
    case C_ENUMERATOR: {
        struct cached *en = get(c, DWT_ENUM, ce->a);
        if (!en)
            break;
        const struct dwt_enumerator *v = enumerator(en, ce->b);
        if (!v) {
            missing(c, "enum %s has no enumerator %s", ce->a, ce->b);
            break;
        }
        /* The tools turn a status, reason, kind, mark or flag back into its
         * name: the names they know must not share a value.  Enums of plain
         * constants (tag ending in _const: sizes, limits) are only read
         * name -> value and may repeat a value. */
        size_t tl = strlen(ce->a);
        bool decoded = !(tl >= 6 && strcmp(ce->a + tl - 6, "_const") == 0);
        for (const struct centry *o = first_before(ce); decoded && o; o = next_before(o, ce)) {
            const struct dwt_enumerator *w;
            if (o->kind == C_ENUMERATOR && strcmp(o->a, ce->a) == 0
                && (w = enumerator(en, o->b)) && w->value == v->value)
                problem(c, "wrong: enum %s: %s and %s are both %lld", ce->a, o->b, ce->b,
                        (long long)v->value);
        }
        break;
    }
    case C_VAR:
        if (!dwt_lookup(c->d, DWT_VAR, ce->a))
            missing(c, "global variable %s", ce->a);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* layer 2: what the tools assume beyond names.  A rule whose struct or
 * field is not in the contract (or is missing, already reported) is
 * skipped. */

static void rule_words(struct ctx *c, const char *tag, unsigned words, const char *why)
{
    struct cached *s = in_contract(C_STRUCT, tag, NULL) ? get(c, DWT_STRUCT, tag) : NULL;
    if (s && s->e->size != (uint64_t)words * c->ptr)
        problem(c, "wrong: struct %s is %llu bytes, not %u pointers (%s)", tag,
                (unsigned long long)s->e->size, words, why);
}

static void rule_at(struct ctx *c, const char *tag, const char *field, unsigned word)
{
    struct cached *s = in_contract(C_FIELD, tag, field) ? get(c, DWT_STRUCT, tag) : NULL;
    const struct dwt_member *m = member(s, field);
    if (m && (m->offset != (uint64_t)word * c->ptr || m->size != c->ptr))
        problem(c, "wrong: struct %s field %s: at offset %llu size %llu, the tools read "
                "word %u of %u bytes", tag, field, (unsigned long long)m->offset,
                (unsigned long long)m->size, word, c->ptr);
}

/* A field the tools read as one machine word (an address). */
static void rule_word(struct ctx *c, const char *tag, const char *field)
{
    struct cached *s = in_contract(C_FIELD, tag, field) ? get(c, DWT_STRUCT, tag) : NULL;
    const struct dwt_member *m = member(s, field);
    if (m && m->size != c->ptr)
        problem(c, "wrong: struct %s field %s: %llu bytes, the tools read a %u-byte word",
                tag, field, (unsigned long long)m->size, c->ptr);
}

static void rule_type(struct ctx *c, const char *tag, const char *field, const char *want)
{
    struct cached *s = in_contract(C_FIELD, tag, field) ? get(c, DWT_STRUCT, tag) : NULL;
    const struct dwt_member *m = member(s, field);
    Dwarf_Off peeled;
    int ptag;
    char name[512];
    if (m && dwt_peel(c->d, m->type, &peeled, &ptag) == 0
        && dwt_type_name(c->d, peeled, name, sizeof name) == 0 && strcmp(name, want) != 0)
        problem(c, "wrong: struct %s field %s is a %s, the tools expect a %s",
                tag, field, name, want);
}

static void rule_last(struct ctx *c, const char *tag, const char *field)
{
    struct cached *s = in_contract(C_FIELD, tag, field) ? get(c, DWT_STRUCT, tag) : NULL;
    const struct dwt_member *m = member(s, field);
    for (size_t i = 0; m && i < s->layout->n; i++) {
        const struct dwt_member *o = &s->layout->m[i];
        if (o != m && o->offset + o->size > m->offset) {
            problem(c, "wrong: struct %s field %s: not after every other field (%s ends at %llu)",
                    tag, field, o->name, (unsigned long long)(o->offset + o->size));
            break;
        }
    }
}

static void rule_waitreasons(struct ctx *c)
{
    const struct dwt_entry *v = dwt_lookup(c->d, DWT_VAR, "gort_waitreason_strings");
    struct cached *en = get(c, DWT_ENUM, "waitreason");
    const struct dwt_enumerator *count = enumerator(en, "waitReasonCount");
    Dwarf_Off type;
    int64_t n;
    if (!v || !count || dwt_var_type(c->d, v->off, &type) != 0
        || dwt_array_count(c->d, type, &n) != 0 || n < 0)
        return;
    if (n != count->value)
        problem(c, "wrong: gort_waitreason_strings has %lld entries, enum waitreason has "
                "%lld reasons (waitReasonCount)", (long long)n, (long long)count->value);
}

static void check_rules(struct ctx *c)
{
    rule_words(c, "waitq", 2, "first, last");
    rule_words(c, "eface", 2, "type, data");
    rule_words(c, "iface", 2, "tab, data");
    rule_words(c, "gort_string", 2, "str, len");
    rule_words(c, "gstack", 2, "lo, hi");
    rule_at(c, "funcval", "fn", 0);          /* the closure calling convention */
    rule_word(c, "gobuf", "sp");             /* saved registers: a word each */
    rule_word(c, "gobuf", "pc");
    rule_word(c, "gobuf", "bp");
    rule_word(c, "gstack", "lo");
    rule_word(c, "gstack", "hi");
    rule_word(c, "g", "startpc");
    rule_word(c, "g", "gopc");
    rule_type(c, "g", "sched", "struct gobuf");
    rule_type(c, "g", "stack", "struct gstack");
    rule_type(c, "g", "m", "struct m *");
    rule_type(c, "m", "curg", "struct g *");
    rule_type(c, "sudog", "g", "struct g *");
    rule_type(c, "gort_mutex", "waiters", "struct waitq");
    rule_type(c, "gort_waitgroup", "waiters", "struct waitq");
    rule_type(c, "interfacetype", "typ", "struct rtype");
    rule_type(c, "hchan", "recvq", "struct waitq");
    rule_type(c, "hchan", "sendq", "struct waitq");
    rule_last(c, "itab", "fun");
    rule_waitreasons(c);
}

/* ------------------------------------------------------------------ */

int contract_check(struct dwt *d, FILE *out, struct check_result *r)
{
    struct ctx *c = calloc(1, sizeof *c);
    if (!c) { perror("gort-dwarf"); exit(1); }
    c->d = d;
    c->out = out;
    c->ptr = dwt_address_size(d);
    memset(r, 0, sizeof *r);
    r->entries = NCONTRACT;
    for (size_t i = 0; i < NCONTRACT; i++)
        if (contract[i].kind == C_STRUCT && dwt_lookup(d, DWT_STRUCT, contract[i].a))
            r->structs_found++;
    if (r->structs_found > 0) {
        if (c->ptr != 4 && c->ptr != 8)
            problem(c, "wrong: pointer size %u in the DWARF", c->ptr);
        for (size_t i = 0; i < NCONTRACT; i++)
            check_entry(c, &contract[i]);
        c->optional = true;
        for (size_t i = 0; i < NEXTRA; i++)
            if (!in_contract(extra[i].kind, extra[i].a, extra[i].b))
                check_entry(c, &extra[i]);
        c->optional = false;
        check_rules(c);
    }
    r->problems = c->problems;
    r->notes = c->notes;
    for (size_t i = 0; i < c->ncache; i++) {
        free(c->cache[i].layout);
        free(c->cache[i].enums);
    }
    free(c);
    return r->problems;
}
