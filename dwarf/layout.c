/*
 * layout.c: print a type as pahole does: each member's type, name, offset
 * and size, the holes between members, the total size; an enum's
 * enumerators with their values; a typedef and what it names.
 *
 *   struct gobuf {
 *       uintptr_t                sp;                 /     0     8 /
 *       ...
 *       / size: 64, members: 10 /
 *   };
 *
 * (with real comment markers).  Offsets and sizes are in bytes, in
 * decimal; bit-fields show "offset:bit size:bits".  The output is meant
 * for people and for tests that compare it with gdb's `ptype/o` or with
 * offsetof(); its shape is stable: one member per line, offset and size
 * the last two numbers before the closing comment marker.
 */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#include <libdwarf/dwarf.h>

static int print_struct(struct dwt *d, FILE *out, const char *kw, const struct dwt_entry *e)
{
    struct dwt_layout *l;
    if (dwt_members(d, e->off, &l) != 0)
        return -1;
    fprintf(out, "%s %s {\n", kw, e->name);
    uint64_t end = 0;
    bool is_struct = strcmp(kw, "struct") == 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct dwt_member *m = &l->m[i];
        /* The member as a C declaration; split into pahole's two columns
         * (type, name) when the name simply follows the type. */
        char decl[640], type[640], name[640];
        if (dwt_declaration(d, m->type, "\x01", decl, sizeof decl) != 0)
            snprintf(decl, sizeof decl, "? \x01");
        char *at = strchr(decl, '\x01');
        if (!at) {                                  /* cut short: keep what there is */
            snprintf(type, sizeof type, "%s", decl);
            snprintf(name, sizeof name, "%s", m->name);
        } else if (memchr(decl, '(', (size_t)(at - decl)) == NULL) {
            int tl = (int)(at - decl);
            while (tl > 0 && decl[tl - 1] == ' ')
                tl--;
            snprintf(type, sizeof type, "%.*s", tl, decl);
            snprintf(name, sizeof name, "%s%s", m->name, at + 1);
        } else {                                    /* function pointers: one column */
            snprintf(type, sizeof type, "%.*s%s%s", (int)(at - decl), decl, m->name, at + 1);
            name[0] = 0;
        }
        if (!name[0]) {                             /* type holds the whole declaration */
            size_t tl = strlen(type);
            snprintf(type + tl, sizeof type - tl, m->bit_size ? ":%u;" : ";", m->bit_size);
        }
        if (is_struct && !m->bit_size && m->offset > end)
            fprintf(out, "\t/* hole: %llu bytes */\n", (unsigned long long)(m->offset - end));
        size_t nl = strlen(name);
        if (!name[0])
            ;
        else if (m->bit_size)
            snprintf(name + nl, sizeof name - nl, ":%u;", m->bit_size);
        else
            snprintf(name + nl, sizeof name - nl, ";");
        const char *typepart = type;
        int tw = name[0] ? 28 : 53, nw = name[0] ? 24 : 0;
        if (!m->has_size)
            fprintf(out, "\t%-*s %-*s /* %5llu     ? */\n", tw, typepart, nw, name,
                    (unsigned long long)m->offset);
        else if (m->bit_size)
            fprintf(out, "\t%-*s %-*s /* %5llu:%-2llu %3u bits */\n", tw, typepart, nw, name,
                    (unsigned long long)m->offset,
                    (unsigned long long)(m->bit_offset % 8), m->bit_size);
        else
            fprintf(out, "\t%-*s %-*s /* %5llu %5llu */\n", tw, typepart, nw, name,
                    (unsigned long long)m->offset, (unsigned long long)m->size);
        uint64_t mend = m->bit_size ? (m->bit_offset + m->bit_size + 7) / 8 : m->offset + m->size;
        if (mend > end)
            end = mend;
    }
    if (is_struct && e->size > end)
        fprintf(out, "\t/* padding: %llu bytes */\n", (unsigned long long)(e->size - end));
    fprintf(out, "\n\t/* size: %llu, members: %zu */\n};\n", (unsigned long long)e->size, l->n);
    free(l);
    return 0;
}

static int print_enum(struct dwt *d, FILE *out, const struct dwt_entry *e)
{
    struct dwt_enumlist *l;
    if (dwt_enumerators(d, e->off, &l) != 0)
        return -1;
    fprintf(out, "enum %s {\n", e->name);
    for (size_t i = 0; i < l->n; i++)
        fprintf(out, "\t%s = %lld,\n", l->e[i].name, (long long)l->e[i].value);
    fprintf(out, "};\t/* size: %llu, enumerators: %zu */\n", (unsigned long long)e->size, l->n);
    free(l);
    return 0;
}

int layout_print(struct dwt *d, FILE *out, const char *spec, char *why, size_t whylen)
{
    static const struct { const char *kw; enum dwt_kind kind; } kinds[] = {
        { "struct", DWT_STRUCT }, { "union", DWT_UNION },
        { "enum", DWT_ENUM }, { "typedef", DWT_TYPEDEF },
    };
    while (*spec == ' ')
        spec++;
    const struct dwt_entry *e = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && !e; i++) {
        size_t n = strlen(kinds[i].kw);
        if (strncmp(spec, kinds[i].kw, n) == 0 && spec[n] == ' ') {
            const char *name = spec + n;
            while (*name == ' ')
                name++;
            e = dwt_lookup(d, kinds[i].kind, name);
            if (!e) {
                snprintf(why, whylen, "no %s %s in its DWARF", kinds[i].kw, name);
                return -1;
            }
        }
    }
    /* A bare name: a struct first (what a person debugging means by
     * "g"), then a union, an enum, a typedef. */
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && !e; i++)
        e = dwt_lookup(d, kinds[i].kind, spec);
    if (!e) {
        snprintf(why, whylen, "no type named '%s' in its DWARF", spec);
        return -1;
    }
    int rc = 0;
    if (e->kind == DWT_TYPEDEF) {
        Dwarf_Off peeled;
        int tag;
        if (dwt_peel(d, e->off, &peeled, &tag) != 0) {
            snprintf(why, whylen, "%s", dwt_error(d));
            return -1;
        }
        char spelled[512];
        /* The typedef's own DIE spells as its name; spell what it names. */
        if (dwt_type_name(d, peeled, spelled, sizeof spelled) != 0)
            snprintf(spelled, sizeof spelled, "?");
        fprintf(out, "typedef %s %s;\n", peeled ? spelled : "void", e->name);
        const char *sp = strchr(spelled, ' ');
        const struct dwt_entry *te = NULL;
        if (sp && (tag == DW_TAG_structure_type || tag == DW_TAG_union_type
                   || tag == DW_TAG_enumeration_type))
            te = dwt_lookup(d, tag == DW_TAG_structure_type ? DWT_STRUCT
                             : tag == DW_TAG_union_type ? DWT_UNION : DWT_ENUM, sp + 1);
        struct dwt_entry anon;          /* typedef struct { ... } name; */
        uint64_t size;
        if (!te && (tag == DW_TAG_structure_type || tag == DW_TAG_union_type)
            && dwt_type_size(d, peeled, &size) == 0) {
            anon = (struct dwt_entry){ .kind = tag == DW_TAG_structure_type ? DWT_STRUCT : DWT_UNION,
                                       .name = "{...}", .off = peeled, .size = size,
                                       .has_size = true };
            te = &anon;
        }
        if (te && te->kind == DWT_ENUM)
            rc = print_enum(d, out, te);
        else if (te)
            rc = print_struct(d, out, te->kind == DWT_STRUCT ? "struct" : "union", te);
    } else if (e->kind == DWT_ENUM) {
        rc = print_enum(d, out, e);
    } else {
        rc = print_struct(d, out, e->kind == DWT_STRUCT ? "struct" : "union", e);
    }
    if (rc != 0)
        snprintf(why, whylen, "%s", dwt_error(d));
    return rc;
}
