/*
 * alg.h: hash and equality of the built-in types (Go's alg.go), and the
 * runtime's random numbers for hash seeds.
 *
 * Every function has the gort_hashfn / gort_equalfn signature of gort.h, so
 * a type descriptor (struct rtype) can point at it directly; the built-in
 * descriptors in type.c do.  A hash takes a seed (a map's hash0) and mixes
 * it with a per-process random key (gort_hashkey), so two maps, and two runs,
 * order their keys differently.
 *
 * Semantics follow Go:
 *   - floats: +0 and -0 are equal and hash alike; NaN != NaN and every NaN
 *     hashes to a fresh random value (so each NaN insert is a new entry and
 *     NaNs spread over the buckets instead of piling into one chain);
 *   - strings (gort_string): equal when lengths and bytes are equal;
 *   - everything else: its bytes (gort_memhash / gort_memequal, in gort.h).
 */
#ifndef GORT_ALG_H
#define GORT_ALG_H

#include "gort.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uintptr_t gort_hash32(const struct rtype *t, const void *p, uintptr_t seed);
uintptr_t gort_hash64(const struct rtype *t, const void *p, uintptr_t seed);
bool      gort_equal32(const struct rtype *t, const void *a, const void *b);
bool      gort_equal64(const struct rtype *t, const void *a, const void *b);

uintptr_t gort_strhash(const struct rtype *t, const void *p, uintptr_t seed);   /* p: gort_string * */
bool      gort_strequal(const struct rtype *t, const void *a, const void *b);

uintptr_t gort_f32hash(const struct rtype *t, const void *p, uintptr_t seed);
bool      gort_f32equal(const struct rtype *t, const void *a, const void *b);
uintptr_t gort_f64hash(const struct rtype *t, const void *p, uintptr_t seed);
bool      gort_f64equal(const struct rtype *t, const void *a, const void *b);

/* The hash of n bytes at p (what gort_memhash and gort_strhash use). */
uintptr_t gort_memhash_n(const void *p, size_t n, uintptr_t seed);
/* The hashes of one 32-bit and one 64-bit word: what the map's fast paths
 * call directly, without the descriptor indirection. */
uintptr_t gort_hash_u32(uint32_t v, uintptr_t seed);
uintptr_t gort_hash_u64(uint64_t v, uintptr_t seed);

/* A random 64-bit number: per-thread state, seeded from the kernel at
 * first use; needs no scheduler (a plain main() calling gort_map_* works).
 * Used for map seeds, iteration starts and NaN hashes. */
uint64_t  gort_rand64(void);

/* The per-process random key every hash mixes in (Go's aeskeysched /
 * hashkey), filled from getrandom(2) before main. */
extern uint64_t gort_hashkey[8];
/* 1 when the AES-NI hash is in use (the CPU has it), else 0. */
extern int gort_useaeshash;

#endif /* GORT_ALG_H */
