/*
 * mapkeys.h: the keys of the map workloads (../shared/WORKLOADS.md, "Keys"),
 * shared by the libgort and GLib programs so both hash the same keys the Go
 * program does.
 *
 *   hit(i)  = (i + 1) * MULT        keys present, value i
 *   miss(i) = (i + 1 + N) * MULT    keys never present
 *
 * MULT is odd, so i -> (i+1)*MULT mod 2^64 is a bijection: the N hit keys
 * are distinct and none is a miss key.  Arithmetic is unsigned (wrapping),
 * the result reinterpreted as int64 as Go's int64(uint64) conversion does.
 *
 * String keys: "key%013d" (16 bytes) in one buffer with stride 17 (the NUL
 * after each, for GLib's g_str_hash).
 */
#ifndef GORT_BENCH_MAPKEYS_H
#define GORT_BENCH_MAPKEYS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

#define MAP_MULT 0x9E3779B97F4A7C15ull
enum { STRKEY_LEN = 16, STRKEY_STRIDE = 17 };

static inline int64_t map_n(void) { return bench_scaled(1000000); }

static inline int64_t key_hit(int64_t i)
{
    return (int64_t)(((uint64_t)i + 1) * MAP_MULT);
}

static inline int64_t key_miss(int64_t i, int64_t n)
{
    return (int64_t)(((uint64_t)i + 1 + (uint64_t)n) * MAP_MULT);
}

/* n string keys, key i at buf + i * STRKEY_STRIDE. */
static inline char *strkeys_make(int64_t n)
{
    char *buf = malloc((size_t)n * STRKEY_STRIDE);
    if (!buf) {
        fprintf(stderr, "strkeys: out of memory\n");
        exit(1);
    }
    for (int64_t i = 0; i < n; i++)
        snprintf(buf + i * STRKEY_STRIDE, STRKEY_STRIDE, "key%013d", (int)i);  /* n <= 2^31: fits 13 digits */
    return buf;
}

/* 10 * sum over i of hit(i) ^ i, wrapping like Go's int64 arithmetic. */
static inline int64_t iterate_want(int64_t n)
{
    uint64_t s = 0;
    for (int64_t i = 0; i < n; i++)
        s += (uint64_t)(key_hit(i) ^ i);
    return (int64_t)(s * 10);
}

/* 10 * n(n-1)/2, the lookup sum. */
static inline int64_t lookup_want(int64_t n)
{
    return 10 * (n * (n - 1) / 2);
}

/* A string of n copies of c followed by suffix, NUL-terminated; *len gets
 * the length without the NUL (the Meg* keys). */
static inline char *megstr(size_t n, char c, const char *suffix, size_t *len)
{
    size_t sl = strlen(suffix);
    char *s = malloc(n + sl + 1);
    if (!s) {
        fprintf(stderr, "megstr: out of memory\n");
        exit(1);
    }
    memset(s, c, n);
    memcpy(s + n, suffix, sl + 1);
    *len = n + sl;
    return s;
}

#endif /* GORT_BENCH_MAPKEYS_H */
