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
#include <string.h>

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
 * compute, without the descriptor indirection.  The functions are the
 * inline bodies below, out of line. */
uintptr_t gort_hash_u32(uint32_t v, uintptr_t seed);
uintptr_t gort_hash_u64(uint64_t v, uintptr_t seed);

/* A random 64-bit number: per-thread state, seeded from the kernel at
 * first use; needs no scheduler (a plain main() calling gort_map_* works).
 * Used for map seeds, iteration starts and NaN hashes. */
uint64_t  gort_rand64(void);

/* The per-process random key every hash mixes in (Go's aeskeysched /
 * hashkey), filled from getrandom(2) before main. */
extern uint64_t gort_hashkey[8];
/* 1 when the AES-NI hash is in use (the CPU has it), else 0.  Set before
 * main and not changed while a map exists: a map's lookup is bound to
 * the engine when it is made or grows (map_setlookup). */
extern int gort_useaeshash;

/* The word hashes inline (alg.c explains the mix).  The map fast paths
 * hash once per lookup, and a lookup of a large map is bound by how many
 * lookups the CPU keeps in flight while their buckets come from memory:
 * a call, its frame and the callee-saved registers it makes the caller
 * keep are a quarter of a lookup's instructions, and fewer instructions
 * per lookup leave room in the reorder window for more of them. */
#define ALG_S1 0xe7037ed1a0b428dbull
#define ALG_S2 0x8ebc6af09c88c6e3ull

static inline uint64_t alg_mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uintptr_t alg_hash_u64(uint64_t v, uintptr_t seed)
{
    return alg_mix(alg_mix(v ^ gort_hashkey[0], seed ^ gort_hashkey[1]) ^ v, ALG_S1);
}

static inline uintptr_t alg_hash_u32(uint32_t v, uintptr_t seed)
{
    return alg_mix(alg_mix((uint64_t)v ^ gort_hashkey[2], seed ^ gort_hashkey[1]) ^ v, ALG_S2);
}

/* The byte hash of n <= 16 bytes, both engines, inline for the same
 * reason: the map's lookups of short string keys hash without a call
 * (map_fast.c).  gort_memhash_n takes these very paths for such inputs,
 * so a key hashes alike whichever way it is hashed. */
#define ALG_S0 0xa0761d6478bd642full

static inline uint64_t alg_r8(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint64_t alg_r4(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t alg_r3(const uint8_t *p, size_t n)
{
    return ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
}

/* wyhash's last step, shared by its short and long inputs. */
static inline uintptr_t alg_wyfinish(uint64_t a, uint64_t b, uint64_t seed, size_t n)
{
    __uint128_t r = (__uint128_t)(a ^ ALG_S1) * (b ^ seed);
    return alg_mix((uint64_t)r ^ ALG_S0 ^ n, (uint64_t)(r >> 64) ^ ALG_S1);
}

static inline uint64_t alg_wyseed(uint64_t seed)
{
    return seed ^ alg_mix(seed ^ gort_hashkey[0], ALG_S1);
}

static inline uintptr_t alg_wyhash_short(const uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t a, b;
    seed = alg_wyseed(seed);
    if (n >= 4) {
        size_t q = (n >> 3) << 2;
        a = (alg_r4(p) << 32) | alg_r4(p + q);
        b = (alg_r4(p + n - 4) << 32) | alg_r4(p + n - 4 - q);
    } else if (n > 0) {
        a = alg_r3(p, n);
        b = 0;
    } else {
        a = b = 0;
    }
    return alg_wyfinish(a, b, seed, n);
}

#if defined(__x86_64__)
#include <immintrin.h>
/* Only functions compiled for these may inline alg_aeshash_short, and only
 * code that has checked gort_useaeshash may call them. */
#define ALG_AESFN __attribute__((target("aes,sse4.1")))

/* The 128-bit words of gort_hashkey. */
ALG_AESFN static inline __m128i alg_aeskey(int i)
{
    return _mm_loadu_si128((const __m128i *)&gort_hashkey[2 * (i & 3)]);
}

/* The seed and the length in one register, with the key. */
ALG_AESFN static inline __m128i alg_aesseed(size_t n, uint64_t seed)
{
    return _mm_xor_si128(_mm_set_epi64x((long long)n, (long long)seed), alg_aeskey(0));
}

ALG_AESFN static inline uintptr_t alg_aeshash_short(const uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t lo, hi;
    if (n >= 8) {
        lo = alg_r8(p);
        hi = alg_r8(p + n - 8);
    } else if (n >= 4) {
        lo = alg_r4(p);
        hi = alg_r4(p + n - 4);
    } else if (n > 0) {
        lo = alg_r3(p, n);
        hi = 0;
    } else {
        lo = hi = 0;
    }
    /* Three rounds: AES diffuses every input bit over all 128 after
     * two; the third keeps the low word we return as good as any. */
    __m128i v = _mm_xor_si128(_mm_set_epi64x((long long)hi, (long long)lo), alg_aesseed(n, seed));
    v = _mm_aesenc_si128(v, alg_aeskey(1));
    v = _mm_aesenc_si128(v, alg_aeskey(2));
    v = _mm_aesenc_si128(v, alg_aeskey(3));
    return (uintptr_t)_mm_cvtsi128_si64(v);
}
#endif

#endif /* GORT_ALG_H */
