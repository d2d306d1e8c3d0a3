/*
 * json.c: a streaming JSON writer, just enough for gort-core's documents.
 *
 * Output goes straight to the FILE: a listing of 100,000 goroutines never
 * builds a tree in memory.  The writer tracks, per nesting level, whether
 * a comma is due; strings are escaped per RFC 8259 (control bytes as
 * \u00XX, and bytes that are not valid UTF-8 replaced by U+FFFD so the
 * document always parses, whatever a corrupt core holds).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <inttypes.h>
#include <math.h>

void j_begin(struct json *j, FILE *f)
{
    j->f = f;
    j->depth = 0;
    j->first[0] = true;
    fputc('{', f);
    j->depth = 1;
    j->first[1] = true;
}

static void raw_str(struct json *j, const char *s);

/* The comma a value needs, then its key when inside an object. */
static void sep(struct json *j, const char *key)
{
    if (!j->first[j->depth])
        fputc(',', j->f);
    j->first[j->depth] = false;
    if (key) {
        raw_str(j, key);
        fputc(':', j->f);
    }
}

static void push(struct json *j, char c)
{
    fputc(c, j->f);
    if (j->depth < 63)
        j->depth++;
    j->first[j->depth] = true;
}

void j_obj(struct json *j, const char *key) { sep(j, key); push(j, '{'); }
void j_arr(struct json *j, const char *key) { sep(j, key); push(j, '['); }
void j_end_obj(struct json *j) { fputc('}', j->f); if (j->depth > 0) j->depth--; }
void j_end_arr(struct json *j) { fputc(']', j->f); if (j->depth > 0) j->depth--; }

/* Length of the valid UTF-8 sequence at p (0: invalid). */
static int utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 2 && p[0] < 0xc2)
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

static void raw_str(struct json *j, const char *s)
{
    putc_unlocked('"', j->f);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        /* A run of plain ASCII goes out in one write. */
        const unsigned char *q = p;
        while (*q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
            q++;
        if (q > p) {
            fwrite_unlocked(p, 1, (size_t)(q - p), j->f);
            p = q;
            continue;
        }
        if (*p == '"' || *p == '\\') {
            putc_unlocked('\\', j->f);
            putc_unlocked(*p++, j->f);
        } else if (*p < 0x20) {
            fprintf(j->f, "\\u%04x", *p++);
        } else {
            int n = utf8_len(p);
            if (n == 0) {
                fputs("\\ufffd", j->f);
                p++;
            } else {
                fwrite_unlocked(p, 1, (size_t)n, j->f);
                p += n;
            }
        }
    }
    putc_unlocked('"', j->f);
}

void j_str(struct json *j, const char *key, const char *s)
{
    sep(j, key);
    if (s)
        raw_str(j, s);
    else
        fputs("null", j->f);
}

#define VALUE(j, key) sep(j, key)

void j_int(struct json *j, const char *key, int64_t v) { VALUE(j, key); fprintf(j->f, "%" PRId64, v); }
void j_uint(struct json *j, const char *key, uint64_t v) { VALUE(j, key); fprintf(j->f, "%" PRIu64, v); }
void j_bool(struct json *j, const char *key, bool v) { VALUE(j, key); fputs(v ? "true" : "false", j->f); }
void j_null(struct json *j, const char *key) { VALUE(j, key); fputs("null", j->f); }
void j_hex(struct json *j, const char *key, uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "0x%" PRIx64, v);
    j_str(j, key, b);
}
void j_num(struct json *j, const char *key, double v)
{
    VALUE(j, key);
    if (isfinite(v))
        fprintf(j->f, "%.6g", v);
    else
        fputs("null", j->f);
}

void j_finish(struct json *j)
{
    while (j->depth > 0) {
        fputc('}', j->f);
        j->depth--;
    }
    fputc('\n', j->f);
}
