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
    int64_t ostr = lay_off(&t->lay, "gort_string", "str"), olen = lay_off(&t->lay, "gort_string", "len");
    if (kind_is(t, ri->kind, "GORT_KIND_STRING") && ostr >= 0 && olen >= 0) {
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
        return;
    }
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
