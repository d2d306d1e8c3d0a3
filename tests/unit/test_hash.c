/*
 * test_hash.c: the quality of the map's hashes (alg.c), both engines.
 *
 * A map uses two parts of a key's hash: the low B bits pick the bucket,
 * the top 8 bits are the tophash byte a lookup compares first.  Keys that
 * programs really use are sequential or strided (ids, multiples of a page
 * size, small strings that differ in one character), so those are what is
 * measured here:
 *
 *   - distribution: a chi-square statistic of the bucket index (1024
 *     buckets) and of the tophash byte (256 values) over 65,536 keys of each
 *     pattern, against a bound of df + 7 sqrt(2 df), the statistic's mean
 *     plus seven standard deviations.  A good hash passes with a
 *     probability too close to 1 to matter, whatever the random per-process
 *     key; a hash that ignores some input bits, or maps strides onto few
 *     buckets, lands far above (identity hash on multiples of 4096: every
 *     key in one bucket, a statistic of ~67 million).
 *   - avalanche: flipping any one input bit flips each output bit with
 *     probability 1/2; measured over 2,000 random inputs per input bit,
 *     every (input bit, output bit) cell must stay within 0.5 +- 0.12 (over
 *     10 standard deviations of a fair coin at that count).
 *
 * The word hashes (gort_hash_u64/u32, the int fast paths) and the byte hash
 * (gort_memhash_n, strings and plain-data keys) are tested; the byte hash
 * with each engine: AES-NI when this CPU has it, and the portable one
 * (gort_useaeshash switched off for the test).  No timing here: speed is
 * bench/'s job.
 */
#include "gort_test.h"
#include "alg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { nbuckets = 1024, ntop = 256, nkeys = 64 * nbuckets };

static double chi2_bound(int bins)
{
    double df = bins - 1;
    return df + 7.0 * sqrt(2.0 * df);
}

static double chi2(const uint32_t *count, int bins, long n)
{
    double e = (double)n / bins, x = 0;
    for (int i = 0; i < bins; i++)
        x += ((double)count[i] - e) * ((double)count[i] - e) / e;
    return x;
}

/* A key pattern: the i-th key, written to buf; returns its length. */
typedef size_t (*keyfn)(long i, uint8_t *buf);

static size_t k_seq(long i, uint8_t *buf) { uint64_t v = (uint64_t)i; memcpy(buf, &v, 8); return 8; }
static size_t k_page(long i, uint8_t *buf) { uint64_t v = (uint64_t)i << 12; memcpy(buf, &v, 8); return 8; }
static size_t k_high(long i, uint8_t *buf) { uint64_t v = (uint64_t)i << 40; memcpy(buf, &v, 8); return 8; }
static size_t k_str(long i, uint8_t *buf) { return (size_t)snprintf((char *)buf, 32, "key%ld", i); }
/* 16-byte strings differing in their first and last bytes (the two
 * overlapping loads of the short-input paths) */
static size_t k_str16(long i, uint8_t *buf)
{
    memset(buf, 'x', 16);
    buf[0] = (uint8_t)i;
    buf[15] = (uint8_t)(i >> 8);
    return 16;
}
/* 100-byte blocks differing in their last 8 bytes */
static size_t k_long(long i, uint8_t *buf)
{
    memset(buf, 0, 100);
    uint64_t v = (uint64_t)i * 3;
    memcpy(buf + 92, &v, 8);
    return 100;
}

struct pattern { const char *name; keyfn fn; };
static const struct pattern patterns[] = {
    { "sequential", k_seq }, { "stride 4096", k_page }, { "stride 2^40", k_high },
    { "\"key%ld\"", k_str }, { "16 bytes, ends differ", k_str16 }, { "100 bytes", k_long },
};

enum hashkind { hWord64, hWord32, hBytes };

static uintptr_t dohash(enum hashkind kind, const uint8_t *buf, size_t n, uintptr_t seed)
{
    uint64_t v = 0;
    switch (kind) {
    case hWord64:
        memcpy(&v, buf, n < 8 ? n : 8);
        return gort_hash_u64(v, seed);
    case hWord32:
        memcpy(&v, buf, n < 8 ? n : 8);
        return gort_hash_u32((uint32_t)(v ^ (v >> 32)), seed);   /* folded: 32-bit keys */
    default:
        return gort_memhash_n(buf, n, seed);
    }
}

static void check_distribution(enum hashkind kind, const char *what)
{
    static uint32_t bucket[nbuckets], top[ntop];
    uintptr_t seed = (uintptr_t)gort_rand64();
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        /* word hashes only see the first 8 bytes: only word patterns */
        if (kind != hBytes && patterns[p].fn != k_seq && patterns[p].fn != k_page &&
            patterns[p].fn != k_high)
            continue;
        if (kind == hWord32 && patterns[p].fn == k_high)
            continue;   /* i << 40 folds to i << 8: covered by the others */
        memset(bucket, 0, sizeof bucket);
        memset(top, 0, sizeof top);
        for (long i = 0; i < nkeys; i++) {
            uint8_t buf[128];
            size_t n = patterns[p].fn(i, buf);
            uintptr_t h = dohash(kind, buf, n, seed);
            bucket[h & (nbuckets - 1)]++;
            top[h >> (8 * sizeof(uintptr_t) - 8)]++;
        }
        double xb = chi2(bucket, nbuckets, nkeys), xt = chi2(top, ntop, nkeys);
        cr_assert_lt(xb, chi2_bound(nbuckets), "%s, %s keys: bucket index chi-square %.0f "
                     "(bound %.0f)", what, patterns[p].name, xb, chi2_bound(nbuckets));
        cr_assert_lt(xt, chi2_bound(ntop), "%s, %s keys: tophash chi-square %.0f (bound %.0f)",
                     what, patterns[p].name, xt, chi2_bound(ntop));
    }
}

/* Flip each input bit of nbytes-long random inputs; every output bit must
 * flip about half the time. */
static void check_avalanche(enum hashkind kind, size_t nbytes, const char *what)
{
    enum { trials = 2000 };
    static uint32_t flips[128 * 8][64];
    size_t inbits = 8 * nbytes;
    memset(flips, 0, sizeof flips);
    uintptr_t seed = (uintptr_t)gort_rand64();
    for (int t = 0; t < trials; t++) {
        uint8_t buf[128];
        for (size_t j = 0; j < nbytes; j += 8) {
            uint64_t r = gort_rand64();
            memcpy(buf + j, &r, nbytes - j < 8 ? nbytes - j : 8);
        }
        uintptr_t h0 = dohash(kind, buf, nbytes, seed);
        for (size_t b = 0; b < inbits; b++) {
            buf[b / 8] ^= (uint8_t)(1u << (b % 8));
            uintptr_t d = dohash(kind, buf, nbytes, seed) ^ h0;
            buf[b / 8] ^= (uint8_t)(1u << (b % 8));
            for (int o = 0; o < 64; o++)
                flips[b][o] += (d >> o) & 1;
        }
    }
    for (size_t b = 0; b < inbits; b++)
        for (int o = 0; o < 64; o++) {
            double p = (double)flips[b][o] / trials;
            cr_assert(fabs(p - 0.5) < 0.12, "%s: input bit %zu flips output bit %d with "
                      "probability %.3f", what, b, o, p);
        }
}

Test(hash, word_distribution)
{
    check_distribution(hWord64, "gort_hash_u64");
    check_distribution(hWord32, "gort_hash_u32");
}

Test(hash, word_avalanche)
{
    check_avalanche(hWord64, 8, "gort_hash_u64");
    check_avalanche(hWord32, 4, "gort_hash_u32");
}

/* The byte hash with both engines.  gort_memhash_n reads gort_useaeshash
 * on every call, and this test runs in a process of its own with no map
 * (maps bind their lookup to the engine), so switching it is safe. */
static void bytes_both_engines(void (*check)(const char *what))
{
    int saved = gort_useaeshash;
    if (saved)
        check("gort_memhash_n (AES-NI)");
    gort_useaeshash = 0;
    check("gort_memhash_n (portable)");
    gort_useaeshash = saved;
}

static void bytes_distribution(const char *what) { check_distribution(hBytes, what); }
static void bytes_avalanche(const char *what)
{
    char w[96];
#if defined(__SANITIZE_THREAD__)
    static const size_t lens[] = { 3, 16, 40 };   /* TSan: 10x slower, nothing to race */
#else
    static const size_t lens[] = { 3, 8, 16, 24, 40, 100 };
#endif
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        snprintf(w, sizeof w, "%s, %zu bytes", what, lens[i]);
        check_avalanche(hBytes, lens[i], w);
    }
}

Test(hash, bytes_distribution) { bytes_both_engines(bytes_distribution); }
Test(hash, bytes_avalanche, .timeout = 120) { bytes_both_engines(bytes_avalanche); }

/* The seed matters: the same keys under two seeds land in unrelated
 * buckets (else an attacker's colliding keys would collide in every map). */
Test(hash, seed_changes_buckets)
{
    long same = 0;
    uintptr_t s1 = (uintptr_t)gort_rand64(), s2 = s1 ^ 1;
    for (long i = 0; i < nkeys; i++) {
        uint8_t buf[32];
        size_t n = k_str(i, buf);
        same += (gort_memhash_n(buf, n, s1) & (nbuckets - 1)) ==
                (gort_memhash_n(buf, n, s2) & (nbuckets - 1));
        same += (gort_hash_u64((uint64_t)i, s1) & (nbuckets - 1)) ==
                (gort_hash_u64((uint64_t)i, s2) & (nbuckets - 1));
    }
    /* expected 2 * 64 = 128 coincidences; 7 standard deviations is ~80 */
    cr_assert_lt(same, 128 + 80, "%ld of %d keys kept their bucket under a new seed",
                 same, 2 * nkeys);
}
