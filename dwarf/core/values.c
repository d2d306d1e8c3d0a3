/*
 * values.c: a value in the core, printed by its type descriptor.
 *
 * Channels and maps hold values described by a struct rtype: size, kind
 * (enum gort_kind, values from DWARF) and the C spelling of the type.
 * Integers, floats, bools, gort_strings and pointers are printed typed;
 * anything else (structs, closures, interfaces) as raw hex of its bytes,
 * which is exact and never guesses.  Strings are cut at LIMIT_STR bytes.
 *
 * A type descriptor read from a corrupt core is checked before use: size
 * below 1 MiB, kind a known enumerator, name a readable string.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "values.h"

#include <dwarf.h>
#include <inttypes.h>
#include <string.h>

enum { LIMIT_STR = 200, LIMIT_HEX = 64 };

bool rtype_read(struct target *t, uint64_t addr, struct rtinfo *ri)
{
    memset(ri, 0, sizeof *ri);
    const struct layout *l = &t->lay;
    int64_t osz = lay_off(l, "rtype", "size"), okind = lay_off(l, "rtype", "kind"),
            oname = lay_off(l, "rtype", "name"), rsz = lay_size(l, "rtype");
    unsigned char b[256];
    if (!addr || rsz <= 0 || rsz > (int64_t)sizeof b || !mem_read(&t->mem, addr, b, (size_t)rsz))
        return false;
    memcpy(&ri->size, b + osz, 8);
    ri->kind = b[okind];
    uint64_t np;
    memcpy(&np, b + oname, 8);
    if (ri->size > (1u << 20) || ri->kind > 64)
        return false;
    if (!np || !mem_cstr(&t->mem, np, ri->name, sizeof ri->name))
        snprintf(ri->name, sizeof ri->name, "?");
    ri->addr = addr;
    return true;
}

static bool kind_is(struct target *t, int kind, const char *name)
{
    int64_t v;
    return lay_enum(&t->lay, "gort_kind", name, &v) && v == kind;
}

/* A gort_string at addr: quoted, escaped, cut at LIMIT_STR bytes. */
static void fmt_string(struct target *t, uint64_t addr, char *out, size_t n)
{
    int64_t ostr = lay_off(&t->lay, "gort_string", "str"), olen = lay_off(&t->lay, "gort_string", "len");
    if (ostr < 0 || olen < 0) {
        snprintf(out, n, "<corrupt: no gort_string layout>");
        return;
    }
    uint64_t p, len;
    if (!mem_u64(&t->mem, addr + (uint64_t)ostr, &p) || !mem_u64(&t->mem, addr + (uint64_t)olen, &len)) {
        snprintf(out, n, "<corrupt: unreadable string header>");
        return;
    }
    if ((int64_t)len < 0) {
        snprintf(out, n, "<corrupt: string length %" PRId64 ">", (int64_t)len);
        return;
    }
    char s[LIMIT_STR + 1];
    size_t k = len < LIMIT_STR ? (size_t)len : LIMIT_STR;
    if (k && !mem_read(&t->mem, p, s, k)) {
        snprintf(out, n, "<corrupt: string data at %#" PRIx64 " unreadable>", p);
        return;
    }
    size_t o = 0;
    if (o + 1 < n)
        out[o++] = '"';
    for (size_t i = 0; i < k && o + 6 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, n - o, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    snprintf(out + o, n - o, "\"%s", len > k ? "..." : "");
}

/* One member of a struct, by its DWARF type: base types, enums, pointers
 * and gort_strings typed; anything else "{...}". */
static void fmt_member(struct target *t, Dwarf_Die *ty, uint64_t addr, char *out, size_t n)
{
    Dwarf_Die p;
    Dwarf_Attribute a;
    Dwarf_Word sz = 0, enc = 0;
    if (dwarf_peel_type(ty, &p) != 0) {
        snprintf(out, n, "?");
        return;
    }
    int tag = dwarf_tag(&p);
    const char *name = dwarf_diename(&p);
    if (tag == DW_TAG_structure_type && name && strcmp(name, "gort_string") == 0) {
        fmt_string(t, addr, out, n);
        return;
    }
    if (dwarf_attr_integrate(&p, DW_AT_byte_size, &a))
        dwarf_formudata(&a, &sz);
    if (tag == DW_TAG_pointer_type)
        sz = 8;
    unsigned char b[8];
    if (sz == 0 || sz > 8 || (tag != DW_TAG_base_type && tag != DW_TAG_enumeration_type &&
                              tag != DW_TAG_pointer_type)) {
        snprintf(out, n, "{...}");
        return;
    }
    if (!mem_read(&t->mem, addr, b, (size_t)sz)) {
        snprintf(out, n, "<corrupt: unreadable>");
        return;
    }
    uint64_t u = 0;
    memcpy(&u, b, (size_t)sz);
    if (tag == DW_TAG_pointer_type) {
        snprintf(out, n, "%#" PRIx64, u);
        return;
    }
    if (dwarf_attr_integrate(&p, DW_AT_encoding, &a))
        dwarf_formudata(&a, &enc);
    if (enc == DW_ATE_float && sz == 8) {
        double d;
        memcpy(&d, b, 8);
        snprintf(out, n, "%g", d);
    } else if (enc == DW_ATE_float && sz == 4) {
        float f;
        memcpy(&f, b, 4);
        snprintf(out, n, "%g", (double)f);
    } else if (enc == DW_ATE_boolean) {
        snprintf(out, n, "%s", u ? "true" : "false");
    } else if (enc == DW_ATE_signed || enc == DW_ATE_signed_char || tag == DW_TAG_enumeration_type) {
        int shift = 64 - 8 * (int)sz;
        snprintf(out, n, "%" PRId64, shift ? (int64_t)(u << shift) >> shift : (int64_t)u);
    } else {
        snprintf(out, n, "%" PRIu64, u);
    }
}

/* "{a = 1, name = "x"}" for struct tag, from its DWARF; false when the
 * binary has no such struct or its size differs from the descriptor's. */
static bool fmt_struct(struct target *t, const char *tag, uint64_t addr, size_t size,
                       char *out, size_t n)
{
    static char cname[8][64];
    static Dwarf_Die cdie[8];
    static bool cfound[8];
    static int cn;
    Dwarf_Die d;
    bool found = false;
    int i;
    for (i = 0; i < cn; i++)
        if (strcmp(cname[i], tag) == 0)
            break;
    if (i < cn) {
        found = cfound[i];
        d = cdie[i];
    } else {
        found = lay_struct_die(t->dw, tag, &d);
        if (cn < 8 && strlen(tag) < sizeof cname[0]) {
            snprintf(cname[cn], sizeof cname[cn], "%s", tag);
            cdie[cn] = d;
            cfound[cn] = found;
            cn++;
        }
    }
    Dwarf_Word sz;
    if (!found || dwarf_aggregate_size(&d, &sz) != 0 || sz != size)
        return false;
    Dwarf_Die m;
    size_t o = (size_t)snprintf(out, n, "{");
    bool first = true;
    if (dwarf_child(&d, &m) == 0) {
        do {
            Dwarf_Attribute a;
            Dwarf_Word off;
            Dwarf_Die ty;
            const char *mn = dwarf_diename(&m);
            if (dwarf_tag(&m) != DW_TAG_member || !mn ||
                !dwarf_attr_integrate(&m, DW_AT_data_member_location, &a) ||
                dwarf_formudata(&a, &off) != 0 || off >= size ||
                !dwarf_attr_integrate(&m, DW_AT_type, &a) || !dwarf_formref_die(&a, &ty))
                continue;
            char v[256];
            fmt_member(t, &ty, addr + off, v, sizeof v);
            if (o + 8 < n)
                o += (size_t)snprintf(out + o, n - o, "%s%s = %s", first ? "" : ", ", mn, v);
            first = false;
        } while (dwarf_siblingof(&m, &m) == 0);
    }
    if (o >= n - 2)
        o = n - 5 > 0 ? n - 5 : 0, snprintf(out + o, n - o, "...}");
    else
        snprintf(out + o, n - o, "}");
    return true;
}

void value_format(struct target *t, const struct rtinfo *ri, uint64_t addr, char *out, size_t n)
{
    unsigned char b[16];
    size_t sz = (size_t)ri->size;
    out[0] = 0;
    if (sz <= 8 && !mem_read(&t->mem, addr, b, sz ? sz : 1)) {
        snprintf(out, n, "<corrupt: unreadable value at %#" PRIx64 ">", addr);
        return;
    }
    static const char *const sints[] = { "GORT_KIND_INT8", "GORT_KIND_INT16",
                                         "GORT_KIND_INT32", "GORT_KIND_INT64" };
    static const char *const uints[] = { "GORT_KIND_UINT8", "GORT_KIND_UINT16",
                                         "GORT_KIND_UINT32", "GORT_KIND_UINT64",
                                         "GORT_KIND_UINTPTR" };
    for (size_t i = 0; i < 4; i++) {
        if (kind_is(t, ri->kind, sints[i]) && (sz == 1 || sz == 2 || sz == 4 || sz == 8)) {
            int64_t v = sz == 1 ? (int8_t)b[0] : 0;
            if (sz == 2) { int16_t x; memcpy(&x, b, 2); v = x; }
            if (sz == 4) { int32_t x; memcpy(&x, b, 4); v = x; }
            if (sz == 8) memcpy(&v, b, 8);
            snprintf(out, n, "%" PRId64, v);
            return;
        }
    }
    for (size_t i = 0; i < 5; i++) {
        if (kind_is(t, ri->kind, uints[i]) && (sz == 1 || sz == 2 || sz == 4 || sz == 8)) {
            uint64_t v = 0;
            memcpy(&v, b, sz);
            snprintf(out, n, "%" PRIu64, v);
            return;
        }
    }
    if (kind_is(t, ri->kind, "GORT_KIND_BOOL") && sz == 1) {
        snprintf(out, n, b[0] == 0 ? "false" : b[0] == 1 ? "true" : "<corrupt: bool %u>", b[0]);
        return;
    }
    if (kind_is(t, ri->kind, "GORT_KIND_FLOAT64") && sz == 8) {
        double d;
        memcpy(&d, b, 8);
        snprintf(out, n, "%g", d);
        return;
    }
    if (kind_is(t, ri->kind, "GORT_KIND_FLOAT32") && sz == 4) {
        float f;
        memcpy(&f, b, 4);
        snprintf(out, n, "%g", (double)f);
        return;
    }
    if ((kind_is(t, ri->kind, "GORT_KIND_POINTER") || kind_is(t, ri->kind, "GORT_KIND_CHAN") ||
         kind_is(t, ri->kind, "GORT_KIND_MAP")) && sz == 8) {
        uint64_t p;
        memcpy(&p, b, 8);
        snprintf(out, n, "(%s) %#" PRIx64, ri->name, p);
        return;
    }
    if (kind_is(t, ri->kind, "GORT_KIND_STRING")) {
        fmt_string(t, addr, out, n);
        return;
    }
    if (kind_is(t, ri->kind, "GORT_KIND_STRUCT") && strncmp(ri->name, "struct ", 7) == 0 &&
        fmt_struct(t, ri->name + 7, addr, (size_t)ri->size, out, n))
        return;
    /* Raw bytes: exact, never a guess. */
    unsigned char raw[LIMIT_HEX];
    size_t k = sz < LIMIT_HEX ? sz : LIMIT_HEX;
    if (!mem_read(&t->mem, addr, raw, k)) {
        snprintf(out, n, "<corrupt: unreadable value at %#" PRIx64 ">", addr);
        return;
    }
    size_t o = (size_t)snprintf(out, n, "(%s) 0x", ri->name);
    for (size_t i = 0; i < k && o + 3 < n; i++)
        o += (size_t)snprintf(out + o, n - o, "%02x", raw[i]);
    if (sz > k && o + 4 < n)
        snprintf(out + o, n - o, "...");
}
