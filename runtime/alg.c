/*
 * alg.c: hashing and equality of the built-in types, and the random numbers
 * behind hash seeds (Go's alg.go + asm_amd64.s aeshash).
 *
 * Two hash engines, chosen once at start-up:
 *
 *   AES-NI (x86-64 CPUs with the AES instructions; Go's aeshash).  One
 *   aesenc round is a full-width nonlinear mix of 128 bits in ~4 cycles of
 *   latency, pipelined one per cycle, so four independent 16-byte lanes
 *   hash long inputs at memory speed.  Inputs of 16 bytes or less take two
 *   overlapping loads (never reading past the key, so ASan stays quiet and
 *   no page boundary can fault) and three rounds.
 *
 *   Portable (everything else): wyhash-style multiply-fold mixing,
 *   mix(a, b) = lo(a*b) ^ hi(a*b) of a 64x64->128 multiply, 48 bytes per
 *   loop over three independent lanes.  wyhash passes SMHasher (this
 *   restatement of it has not been run through SMHasher; test_hash.c
 *   checks the basics); its inner step is one multiply (3-4 cycles) per
 *   16 bytes.
 *
 * Fixed-size keys (32- and 64-bit words, the map fast paths) always take
 * the multiply-fold mix: two dependent multiplies, ~7 cycles, cheaper than
 * moving a word into an xmm register and back for three aesenc rounds.
 *
 * Speed, measured once on this machine (2 shared cores, x86-64 with AES-NI,
 * gcc -O2, best of 5 runs of 10^7 hashes) with a scratch driver that is
 * not in the tree, so these figures are a record of why, not something
 * `make` reproduces; `make bench` measures what they were for, the map
 * rows end to end.  "thru" = independent hashes (what a loop of map
 * lookups overlaps), "lat" = each hash's seed is the previous result (one
 * dependent chain):
 *
 *      input          AES-NI thru/lat    portable thru/lat
 *      16 bytes        1.7 / 7.9 ns        2.8 / 5.4 ns
 *      100 bytes       4.0 / 14.0 ns       4.9 / 9.5 ns
 *      1 MiB          37 / 37 us          39 / 40 us
 *      8-byte word       -                 1.1 / 4.0 ns (gort_hash_u64)
 *
 * Map lookups are independent of each other, so throughput is what a
 * map sees: the AES engine is used for byte strings when the CPU has it.
 * Quality is what a map needs besides speed, and that is tested, for both
 * engines: tests/unit/test_hash.c checks the distribution of bucket index
 * and tophash over sequential and strided keys (chi-square) and the
 * avalanche of every input bit.
 *
 * The per-process key (gort_hashkey, 64 random bytes from getrandom(2)) is
 * mixed into every hash: the order of a map's keys differs between runs,
 * and an attacker cannot precompute colliding keys.
 *
 * Floats follow Go: +0 and -0 hash alike (both hash as +0); a NaN hashes to
 * seed-mixed randomness, so NaN keys spread over the buckets although none
 * can ever be found again.
 */
#include "alg.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

uint64_t gort_hashkey[8];
int gort_useaeshash;

/* wyhash's default secrets: odd, half the bits set, no long runs. */
#define S0 ALG_S0
#define S1 ALG_S1
#define S2 ALG_S2
#define S3 0x589965cc75374cc3ull

static inline uint64_t mix(uint64_t a, uint64_t b) { return alg_mix(a, b); }

static inline uint64_t r8(const uint8_t *p) { return alg_r8(p); }

/* ------------------------------------------------------------------ */
/* Start-up: the key, and which engine. */

__attribute__((constructor)) static void alg_init(void)
{
    size_t got = 0;
    uint8_t *buf = (uint8_t *)gort_hashkey;
    while (got < sizeof gort_hashkey) {
        ssize_t r = getrandom(buf + got, sizeof gort_hashkey - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got < sizeof gort_hashkey) {
        /* No getrandom (old kernel, seccomp): time and pid still differ
         * between runs, which is all the key must guarantee. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)getpid();
        for (int i = 0; i < 8; i++)
            gort_hashkey[i] ^= x = mix(x ^ S0, S1 + (uint64_t)i);
    }
    for (int i = 0; i < 8; i++)
        gort_hashkey[i] |= 1;   /* odd: a multiply by it is a bijection */
#if defined(__x86_64__)
    __builtin_cpu_init();
    gort_useaeshash = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
#endif
}

/* ------------------------------------------------------------------ */
/* Random numbers (wyrand), per thread, no scheduler needed. */

static _Atomic uint64_t rand_threads;
static __thread uint64_t rand_state;

uint64_t gort_rand64(void)
{
    uint64_t s = rand_state;
    if (s == 0) {
        uint64_t n = atomic_fetch_add_explicit(&rand_threads, 1, memory_order_relaxed);
        s = mix(gort_hashkey[4] ^ (uintptr_t)&rand_state, gort_hashkey[5] + n) | 1;
    }
    s += S0;
    rand_state = s;
    return mix(s, s ^ S1);
}

/* ------------------------------------------------------------------ */
/* Portable engine (wyhash). */

static uintptr_t wyhash(const uint8_t *p, size_t n, uint64_t seed)
{
    if (n <= 16)
        return alg_wyhash_short(p, n, seed);
    seed = alg_wyseed(seed);
    size_t i = n;
    if (i > 48) {
        uint64_t see1 = seed, see2 = seed;
        do {
            seed = mix(r8(p) ^ S1, r8(p + 8) ^ seed);
            see1 = mix(r8(p + 16) ^ S2, r8(p + 24) ^ see1);
            see2 = mix(r8(p + 32) ^ S3, r8(p + 40) ^ see2);
            p += 48;
            i -= 48;
        } while (i > 48);
        seed ^= see1 ^ see2;
    }
    while (i > 16) {
        seed = mix(r8(p) ^ S1, r8(p + 8) ^ seed);
        i -= 16;
        p += 16;
    }
    return alg_wyfinish(r8(p + i - 16), r8(p + i - 8), seed, n);
}

/* ------------------------------------------------------------------ */
/* AES-NI engine (Go's aeshash, restated). */

#if defined(__x86_64__)
#define AESFN __attribute__((target("aes,sse4.1")))

AESFN static inline __m128i ld(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)p); }
AESFN static inline __m128i key(int i) { return alg_aeskey(i); }
AESFN static inline __m128i enc(__m128i a, __m128i b) { return _mm_aesenc_si128(a, b); }

AESFN static uintptr_t aeshash(const uint8_t *p, size_t n, uint64_t seed)
{
    if (n <= 16)
        return alg_aeshash_short(p, n, seed);
    __m128i s = alg_aesseed(n, seed);
    s = enc(s, s);
    __m128i s1 = enc(s, key(1)), s2 = enc(s, key(2)), s3 = enc(s, key(3));
    if (n <= 32) {
        __m128i v0 = enc(_mm_xor_si128(ld(p), s), s);
        __m128i v1 = enc(_mm_xor_si128(ld(p + n - 16), s1), s1);
        v0 = enc(enc(v0, v0), v0);
        v1 = enc(enc(v1, v1), v1);
        return (uintptr_t)_mm_cvtsi128_si64(_mm_xor_si128(v0, v1));
    }
    __m128i v0, v1, v2, v3;
    if (n <= 64) {
        v0 = ld(p);
        v1 = ld(p + 16);
        v2 = ld(p + n - 32);
        v3 = ld(p + n - 16);
        v0 = enc(_mm_xor_si128(v0, s), s);
        v1 = enc(_mm_xor_si128(v1, s1), s1);
        v2 = enc(_mm_xor_si128(v2, s2), s2);
        v3 = enc(_mm_xor_si128(v3, s3), s3);
    } else {
        /* Start from the last (possibly overlapping) 64 bytes, then fold
         * in every full 64-byte block from the front. */
        const uint8_t *e = p + n - 64;
        v0 = enc(_mm_xor_si128(ld(e), s), s);
        v1 = enc(_mm_xor_si128(ld(e + 16), s1), s1);
        v2 = enc(_mm_xor_si128(ld(e + 32), s2), s2);
        v3 = enc(_mm_xor_si128(ld(e + 48), s3), s3);
        for (size_t blocks = (n - 1) / 64; blocks > 0; blocks--, p += 64) {
            v0 = enc(enc(v0, ld(p)), s);
            v1 = enc(enc(v1, ld(p + 16)), s1);
            v2 = enc(enc(v2, ld(p + 32)), s2);
            v3 = enc(enc(v3, ld(p + 48)), s3);
        }
    }
    v0 = enc(enc(v0, v0), v0);
    v1 = enc(enc(v1, v1), v1);
    v2 = enc(enc(v2, v2), v2);
    v3 = enc(enc(v3, v3), v3);
    __m128i v = _mm_xor_si128(_mm_xor_si128(v0, v1), _mm_xor_si128(v2, v3));
    return (uintptr_t)_mm_cvtsi128_si64(v);
}
#endif

uintptr_t gort_memhash_n(const void *p, size_t n, uintptr_t seed)
{
#if defined(__x86_64__)
    if (__builtin_expect(gort_useaeshash, 1))
        return aeshash(p, n, seed);
#endif
    return wyhash(p, n, seed);
}

/* ------------------------------------------------------------------ */
/* Words: the map fast paths' hashes. */

uintptr_t gort_hash_u64(uint64_t v, uintptr_t seed)
{
    return alg_hash_u64(v, seed);
}

uintptr_t gort_hash_u32(uint32_t v, uintptr_t seed)
{
    return alg_hash_u32(v, seed);
}

/* ------------------------------------------------------------------ */
/* The descriptor-facing functions. */

uintptr_t gort_memhash(const struct rtype *t, const void *p, uintptr_t seed)
{
    return gort_memhash_n(p, t->size, seed);
}

bool gort_memequal(const struct rtype *t, const void *a, const void *b)
{
    return a == b || memcmp(a, b, t->size) == 0;
}

uintptr_t gort_hash32(const struct rtype *t, const void *p, uintptr_t seed)
{
    (void)t;
    uint32_t v;
    memcpy(&v, p, 4);
    return gort_hash_u32(v, seed);
}

uintptr_t gort_hash64(const struct rtype *t, const void *p, uintptr_t seed)
{
    (void)t;
    uint64_t v;
    memcpy(&v, p, 8);
    return gort_hash_u64(v, seed);
}

bool gort_equal32(const struct rtype *t, const void *a, const void *b)
{
    (void)t;
    uint32_t x, y;
    memcpy(&x, a, 4);
    memcpy(&y, b, 4);
    return x == y;
}

bool gort_equal64(const struct rtype *t, const void *a, const void *b)
{
    (void)t;
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    return x == y;
}

uintptr_t gort_strhash(const struct rtype *t, const void *p, uintptr_t seed)
{
    (void)t;
    const gort_string *s = p;
    return gort_memhash_n(s->str, (size_t)s->len, seed);
}

bool gort_strequal(const struct rtype *t, const void *a, const void *b)
{
    (void)t;
    const gort_string *x = a, *y = b;
    return x->len == y->len &&
           (x->str == y->str || memcmp(x->str, y->str, (size_t)x->len) == 0);
}

uintptr_t gort_f32hash(const struct rtype *t, const void *p, uintptr_t seed)
{
    (void)t;
    float f;
    memcpy(&f, p, 4);
    if (f == 0)
        return gort_hash_u32(0, seed);          /* +0 and -0 */
    if (f != f)
        return (uintptr_t)mix(seed ^ gort_rand64(), S2);   /* NaN: random */
    uint32_t v;
    memcpy(&v, &f, 4);
    return gort_hash_u32(v, seed);
}

bool gort_f32equal(const struct rtype *t, const void *a, const void *b)
{
    (void)t;
    float x, y;
    memcpy(&x, a, 4);
    memcpy(&y, b, 4);
    return x == y;
}

uintptr_t gort_f64hash(const struct rtype *t, const void *p, uintptr_t seed)
{
    (void)t;
    double f;
    memcpy(&f, p, 8);
    if (f == 0)
        return gort_hash_u64(0, seed);
    if (f != f)
        return (uintptr_t)mix(seed ^ gort_rand64(), S3);
    uint64_t v;
    memcpy(&v, &f, 8);
    return gort_hash_u64(v, seed);
}

bool gort_f64equal(const struct rtype *t, const void *a, const void *b)
{
    (void)t;
    double x, y;
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    return x == y;
}
