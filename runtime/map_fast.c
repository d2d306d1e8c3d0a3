/*
 * map_fast.c: lookup, insert and delete specialised for 32-bit, 64-bit and
 * string keys (seed 003's hashmap_fast.c).  map.c dispatches here by
 * hmap.keykind; the structure and marks are map.c's, only the key handling
 * is cheaper:
 *
 *   - keys are compared as words (or length + bytes), with no call through
 *     the descriptor's equal function;
 *   - a one-bucket map (B == 0) of word keys is scanned without hashing:
 *     8 compares are cheaper than one hash (Go's IntMap case);
 *   - a one-bucket map of string keys is scanned without hashing too:
 *     lengths first, then for long keys the first and last 4 bytes; only
 *     when two candidates remain is the key hashed (Go's Meg* cases: a
 *     1 MiB key is never hashed to find that it is absent);
 *   - with B > 0, the 8 tophash bytes of a bucket are compared at once
 *     (SSE2 on x86-64, a 64-bit word (SWAR) elsewhere): one load finds
 *     every slot whose top byte matches and whether the chain ends in this
 *     bucket (a zero byte is emptyRest), so a miss usually reads one cache
 *     line per bucket.
 *
 * Lookups of a map larger than the caches.  Each waits for its bucket to
 * come from memory (~100 ns here), so their speed is how many the CPU
 * keeps in flight: a loop of independent lookups overlaps as many as fit
 * in its reorder window, and a lookup that takes half the instructions
 * overlaps twice as many.  Hence the shape of the read paths below: the
 * word hash and the short-string hash inline, no call on the way to a
 * hit (so no callee-saved registers to save), constant key and elem
 * offsets, exact SSE2 matches, no branch on the tophash value; and every
 * line of the bucket prefetched as soon as its address is known, so the
 * key's and the elem's lines (one or two beyond the tophash line) arrive
 * with it instead of after it.  Measured in one process on maps of 10^6
 * entries (10^6 lookups, best of 7, this 2-core VM; GLib's
 * g_hash_table_lookup_extended on the same keys alongside): int64 hit
 * 52.7 -> 38.0 ns (GLib 40.9), miss 41.2 -> 26.9, 16-byte string hit
 * 77.0 -> 46 ns (GLib 43-49).
 *
 * An empty map never gets here: map.c returns before hashing.
 */
#include "map.h"
#include "alg.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define LSB 0x0101010101010101ull
#define MSB 0x8080808080808080ull

/* One bit (the byte's top bit) per byte of w that is zero.  Exact for the
 * lowest such byte; a byte above a zero byte may be flagged spuriously
 * (borrow), so every candidate's tophash byte is compared again before
 * its key (a deleted slot may still hold the key). */
static inline uint64_t zerobytes(uint64_t w) { return (w - LSB) & ~w & MSB; }

static inline uint64_t tophashword(const struct bmap *b)
{
    uint64_t w;
    memcpy(&w, b->tophash, 8);
    return w;
}

/* The lookups' tophash test: which slots of a bucket hold top, and does
 * the chain end in this bucket (an emptyRest byte).  On x86-64 one SSE2
 * compare of the 8 bytes answers each exactly, with no 64-bit constants
 * to keep in registers; elsewhere the SWAR test above, whose candidates
 * are checked again byte by byte.  A lookup of a large map waits for its
 * bucket to come from memory, and how many lookups the CPU overlaps
 * while it waits depends on how few instructions each takes. */
#if defined(__SSE2__)
typedef __m128i tophashes;
enum { matchexact = 1 };
static inline tophashes loadtophash(const struct bmap *b)
{
    return _mm_loadl_epi64((const __m128i *)b->tophash);   /* upper 8 bytes 0 */
}
/* Bit i set: tophash[i] == top (top >= minTopHash never matches the zero
 * upper half). */
static inline unsigned matchtop(tophashes t, uint8_t top)
{
    /* _mm_set1_epi8 takes four instructions in SSE2; this takes three. */
    __m128i pat = _mm_shuffle_epi32(_mm_cvtsi32_si128((int)(top * 0x01010101u)), 0);
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(t, pat));
}
static inline bool chainends(tophashes t)
{
    return (_mm_movemask_epi8(_mm_cmpeq_epi8(t, _mm_setzero_si128())) & 0xff) != 0;
}
static inline uintptr_t matchslot(unsigned m) { return (uintptr_t)__builtin_ctz(m); }
#else
typedef uint64_t tophashes;
enum { matchexact = 0 };
static inline tophashes loadtophash(const struct bmap *b) { return tophashword(b); }
/* Bit 8i+7 set: tophash[i] may be top (exact for the lowest). */
static inline uint64_t matchtop(tophashes t, uint8_t top) { return zerobytes(t ^ (LSB * top)); }
static inline bool chainends(tophashes t) { return zerobytes(t) != 0; }
static inline uintptr_t matchslot(uint64_t m) { return (uintptr_t)__builtin_ctzll(m) >> 3; }
#endif

static inline _Noreturn void readwrite(void)
{
    gort_fatal("concurrent map read and map write");
}

/* The bucket to read for hash: the old one if not yet evacuated. */
static inline struct bmap *readbucket(struct hmap *h, uintptr_t hash)
{
    uintptr_t m = map_bucketmask(h->B);
    struct bmap *b = map_bucket(h, h->buckets, hash & m);
    if (__builtin_expect(h->oldbuckets != NULL, 0)) {
        if (!(map_flags(h) & sameSizeGrow))
            m >>= 1;
        struct bmap *oldb = map_bucket(h, h->oldbuckets, hash & m);
        if (!map_evacuated(oldb))
            b = oldb;
    }
    return b;
}

/* Start fetching every line of bucket b (up to 4: 256 bytes cover the
 * buckets of word and string keys with small elems) beyond its first,
 * which the lookup reads at once.  always_inline: GCC deems a function
 * that only prefetches free of effects and deletes the call before it
 * would inline it (GCC 12, seen here: the prefetches were gone). */
static inline __attribute__((always_inline)) void prefetchbucket(const struct hmap *h, const struct bmap *b)
{
    const char *p = (const char *)b;
    uint32_t n = h->bucketsize;
    __builtin_prefetch(p + 64);
    if (n > 128)
        __builtin_prefetch(p + 128);
    if (n > 192)
        __builtin_prefetch(p + 192);
}

/* The keys and elems of a fast-path bucket are where they are for any
 * elem type aligned to at most 8 bytes: keys right after the tophash
 * bytes, elems right after the keys.  maketype leaves a map whose layout
 * differs (an elem aligned to 16) to the generic path, so the fast paths
 * use constant offsets instead of reading the type's keyoff and elemoff
 * (two dependent loads and an add per lookup, measurable on lookups of
 * large maps, which overlap less the more instructions each takes).
 * ks: the key slot's size. */
static inline void *fastkeys(struct bmap *b)
{
    return (char *)b + bucketCnt;
}

static inline void *elemptr(struct hmap *h, struct bmap *b, uintptr_t i, uintptr_t ks)
{
    void *e = (char *)b + bucketCnt + bucketCnt * ks + i * h->elemsize;
    return h->indirectelem ? *(void **)e : e;
}

/* ------------------------------------------------------------------ */
/* Word keys: one body for uint32_t and uint64_t. */

/* The lookups, each at the start of a 64-byte line.  A one-bucket lookup
 * is a few ns, and where its handful of branches falls relative to the
 * CPU's fetch blocks moved it by 10-15% whenever unrelated code before it
 * grew or shrank (IntMap 4.06 -> 4.59 ns from a change to another
 * function, A/B); aligned, such changes no longer move it. */
#define LOOKUP_ALIGN __attribute__((aligned(64)))
#define LOOKUP_FN __attribute__((noinline, aligned(64)))

#define WORD_PATHS(SUF, T, HASH)                                            \
LOOKUP_FN static void *map_get##SUF(struct hmap *h, const void *kp)       \
{                                                                           \
    T key;                                                                  \
    memcpy(&key, kp, sizeof key);                                           \
    if (map_flags(h) & hashWriting)                                         \
        readwrite();                                                        \
    if (h->B == 0) {                                                        \
        /* One bucket, never growing between writes: no hash. */           \
        struct bmap *b = h->buckets;                                        \
        const T *keys = fastkeys(b);                                        \
        for (uintptr_t i = 0; i < bucketCnt; i++)                           \
            if (keys[i] == key && !map_isempty(b->tophash[i]))              \
                return elemptr(h, b, i, sizeof(T));                         \
        return NULL;                                                        \
    }                                                                       \
    uintptr_t hash = HASH(key, h->hash0);                                   \
    struct bmap *b = readbucket(h, hash);                                   \
    prefetchbucket(h, b);                                                   \
    uint8_t top = map_tophash(hash);                                        \
    do {                                                                    \
        tophashes t = loadtophash(b);                                       \
        const T *keys = fastkeys(b);                                        \
        for (__typeof__(matchtop(t, top)) m = matchtop(t, top); m; m &= m - 1) { \
            uintptr_t i = matchslot(m);                                     \
            if (keys[i] == key && (matchexact || b->tophash[i] == top))     \
                return elemptr(h, b, i, sizeof(T));                         \
        }                                                                   \
        if (chainends(t))                                                   \
            return NULL;   /* an emptyRest: the chain ends here */          \
        b = map_overflow(h, b);                                             \
    } while (b);                                                            \
    return NULL;                                                            \
}                                                                           \
                                                                            \
static inline void *map_set##SUF(struct hmap *h, T key)                                   \
{                                                                           \
    uintptr_t hash = HASH(key, h->hash0);                                   \
    map_setflags(h, map_flags(h) ^ hashWriting);                            \
    if (!h->buckets)                                                        \
        h->buckets = map_newarray(h, h->B);         \
    struct bmap *insertb;                                                   \
    uintptr_t inserti;                                                      \
again:;                                                                     \
    uintptr_t bucket = hash & map_bucketmask(h->B);                         \
    /* fetch the bucket while growwork evacuates elsewhere */               \
    __builtin_prefetch(map_bucket(h, h->buckets, bucket), 1);               \
    if (map_growing(h))                                                     \
        map_growwork(h, bucket);                                            \
    struct bmap *b = map_bucket(h, h->buckets, bucket);                     \
    uint8_t top = map_tophash(hash);                                        \
    uint64_t pat = LSB * top;                                               \
    insertb = NULL;                                                         \
    inserti = 0;                                                            \
    for (;;) {                                                              \
        uint64_t w = tophashword(b);                                        \
        const T *keys = fastkeys(b);                                   \
        for (uint64_t m = zerobytes(w ^ pat); m; m &= m - 1) {              \
            uintptr_t i = (uintptr_t)__builtin_ctzll(m) >> 3;               \
            if (keys[i] == key && b->tophash[i] == top) {                   \
                insertb = b;                                                \
                inserti = i;                                                \
                goto done;                                                  \
            }                                                               \
        }                                                                   \
        /* Empty slots are the bytes 0 and 1: (w & ~LSB) has a zero byte  \
         * exactly there. */                                                \
        uint64_t empty = zerobytes(w & ~LSB);                               \
        if (empty && !insertb) {                                            \
            insertb = b;                                                    \
            inserti = (uintptr_t)__builtin_ctzll(empty) >> 3;               \
        }                                                                   \
        if (zerobytes(w))                                                   \
            break;                                                          \
        struct bmap *ovf = map_overflow(h, b);                              \
        if (!ovf)                                                           \
            break;                                                          \
        b = ovf;                                                            \
    }                                                                       \
    if (map_needgrow(h)) {                                                  \
        map_hashgrow(h);                                                    \
        goto again;                                                         \
    }                                                                       \
    if (!insertb) {                                                         \
        insertb = map_newoverflow(h, b);                                    \
        inserti = 0;                                                        \
    }                                                                       \
    insertb->tophash[inserti] = top;                                        \
    ((T *)fastkeys(insertb))[inserti] = key;                           \
    if (h->indirectelem)                                                    \
        *(void **)map_elem(h, insertb, inserti) =                           \
            gort_calloc(1, h->type->elem->size);                            \
    h->count++;                                                             \
done:                                                                       \
    if (!(map_flags(h) & hashWriting))                                      \
        map_concurrent_writes();                                            \
    map_setflags(h, map_flags(h) & (uint8_t)~hashWriting);                  \
    return elemptr(h, insertb, inserti, sizeof(T));                         \
}                                                                           \
                                                                            \
static inline bool map_del##SUF(struct hmap *h, T key)                                    \
{                                                                           \
    uintptr_t hash = HASH(key, h->hash0);                                   \
    map_setflags(h, map_flags(h) ^ hashWriting);                            \
    bool found = false;                                                     \
    uintptr_t bucket = hash & map_bucketmask(h->B);                         \
    if (map_growing(h))                                                     \
        map_growwork(h, bucket);                                            \
    struct bmap *b = map_bucket(h, h->buckets, bucket), *borig = b;         \
    uint8_t top = map_tophash(hash);                                        \
    uint64_t pat = LSB * top;                                               \
    do {                                                                    \
        uint64_t w = tophashword(b);                                        \
        const T *keys = fastkeys(b);                                   \
        for (uint64_t m = zerobytes(w ^ pat); m; m &= m - 1) {              \
            uintptr_t i = (uintptr_t)__builtin_ctzll(m) >> 3;               \
            if (keys[i] == key && b->tophash[i] == top) {                   \
                if (h->indirectelem)                                        \
                    map_retire(h, *(void **)map_elem(h, b, i));             \
                map_deleted(h, b, borig, i);                                \
                found = true;                                               \
                goto out;                                                   \
            }                                                               \
        }                                                                   \
        if (zerobytes(w))                                                   \
            break;                                                          \
        b = map_overflow(h, b);                                             \
    } while (b);                                                            \
out:                                                                        \
    if (!(map_flags(h) & hashWriting))                                      \
        map_concurrent_writes();                                            \
    map_setflags(h, map_flags(h) & (uint8_t)~hashWriting);                  \
    return found;                                                           \
}

WORD_PATHS(32, uint32_t, alg_hash_u32)
WORD_PATHS(64, uint64_t, alg_hash_u64)

/* ------------------------------------------------------------------ */
/* String keys. */

/* The n <= 16 bytes at a and at b are equal: two overlapping loads from
 * each, never outside the strings; no call (to memcmp), so a lookup that
 * compares only such keys stays a leaf function. */
static inline bool shortbytesequal(const char *a, const char *b, size_t n)
{
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    if (n >= 8)
        return ((alg_r8(x) ^ alg_r8(y)) | (alg_r8(x + n - 8) ^ alg_r8(y + n - 8))) == 0;
    if (n >= 4)
        return ((alg_r4(x) ^ alg_r4(y)) | (alg_r4(x + n - 4) ^ alg_r4(y + n - 4))) == 0;
    /* Bytes 0, n/2 and n-1: all of them.  Byte by byte, not as alg_r3's
     * word: that takes three more registers, which the compiler then
     * saves and restores on every lookup. */
    return n == 0 || (x[0] == y[0] && x[n >> 1] == y[n >> 1] && x[n - 1] == y[n - 1]);
}

/* Go's order: the length, the pointer (a lookup with the very string that
 * was inserted), then the bytes. */
static inline bool streq(gort_string a, gort_string b)
{
    if (a.len != b.len)
        return false;
    if (a.str == b.str)
        return true;
    if ((uintptr_t)a.len <= 16)
        return shortbytesequal(a.str, b.str, (size_t)a.len);
    return memcmp(a.str, b.str, (size_t)a.len) == 0;
}

static inline uintptr_t strhash(const struct hmap *h, gort_string k)
{
    return gort_memhash_n(k.str, (size_t)k.len, h->hash0);
}

/* The walk of key's chain from bucket b, for both string lookups.
 * short_key (a constant at each call, so each gets its own loop): the key
 * is at most 16 bytes and compared without a call to memcmp. */
static inline __attribute__((always_inline)) void *strchain(struct hmap *h, struct bmap *b,
                                                            uint8_t top, gort_string key,
                                                            bool short_key)
{
    do {
        tophashes t = loadtophash(b);
        const gort_string *keys = fastkeys(b);
        for (__typeof__(matchtop(t, top)) m = matchtop(t, top); m; m &= m - 1) {
            uintptr_t i = matchslot(m);
            const gort_string *k = &keys[i];
            if ((matchexact || b->tophash[i] == top) &&
                (short_key ? k->len == key.len &&
                             (k->str == key.str ||
                              shortbytesequal(k->str, key.str, (size_t)key.len))
                           : streq(*k, key)))
                return elemptr(h, b, i, sizeof(gort_string));
        }
        if (chainends(t))
            return NULL;
        b = map_overflow(h, b);
    } while (b);
    return NULL;
}

/* The end of a one-bucket scan of long keys: the one candidate whose
 * length and end bytes matched, compared in full.  Out of line so that no
 * value of the scan lives across the call to memcmp: with it inline the
 * compiler kept the bucket in a stack slot, and that store and reload on
 * every lookup made MegOneMap 3.05 -> 3.7 ns, MegMap 5.3 -> 6.7 ns. */
__attribute__((noinline)) static void *getstr_candidate(struct hmap *h, uintptr_t i,
                                                         gort_string key)
{
    struct bmap *b = h->buckets;
    const gort_string *keys = fastkeys(b);
    if (memcmp(keys[i].str, key.str, (size_t)key.len) == 0)
        return elemptr(h, b, i, sizeof(gort_string));
    return NULL;
}

LOOKUP_FN static void *map_getstr(struct hmap *h, const void *kp)
{
    gort_string key = *(const gort_string *)kp;
    if (map_flags(h) & hashWriting)
        readwrite();
    if (h->B == 0) {
        struct bmap *b = h->buckets;
        const gort_string *keys = fastkeys(b);
        if (key.len < 32) {
            /* Short keys: comparing them all is cheaper than a hash. */
            for (uintptr_t i = 0; i < bucketCnt; i++) {
                if (keys[i].len != key.len || map_isempty(b->tophash[i])) {
                    if (b->tophash[i] == emptyRest)
                        break;
                    continue;
                }
                if (keys[i].str == key.str || memcmp(keys[i].str, key.str, (size_t)key.len) == 0)
                    return elemptr(h, b, i, sizeof(gort_string));
            }
            return NULL;
        }
        /* Long keys: rule candidates out by length and end bytes; compare
         * the one that survives, hash only if two do. */
        uintptr_t maybe = bucketCnt;
        for (uintptr_t i = 0; i < bucketCnt; i++) {
            if (keys[i].len != key.len || map_isempty(b->tophash[i])) {
                if (b->tophash[i] == emptyRest)
                    break;
                continue;
            }
            if (keys[i].str == key.str)
                return elemptr(h, b, i, sizeof(gort_string));
            if (memcmp(keys[i].str, key.str, 4) != 0 ||
                memcmp(keys[i].str + key.len - 4, key.str + key.len - 4, 4) != 0)
                continue;
            if (maybe != bucketCnt)
                goto dohash;
            maybe = i;
        }
        return maybe != bucketCnt ? getstr_candidate(h, maybe, key) : NULL;
    }
dohash:;
    uintptr_t hash = strhash(h, key);
    struct bmap *b = readbucket(h, hash);
    prefetchbucket(h, b);
    return strchain(h, b, map_tophash(hash), key, false);
}

/* A lookup of a key of at most 16 bytes in a map of more than one bucket,
 * given the key's hash: everything inline, the hash too (below), so the
 * function calls nothing and keeps every value in scratch registers.
 * Keys that short are common (names, ids, words) and their lookups are
 * the ones whose cost is mostly instructions: a call to the hash and to
 * memcmp, and the registers saved around them, were a third of a lookup
 * of a large map, which the CPU overlaps less the longer each is. */
static inline __attribute__((always_inline)) void *getstr_short(struct hmap *h, gort_string key,
                                                                uintptr_t hash)
{
    if (map_flags(h) & hashWriting)
        readwrite();
    struct bmap *b = readbucket(h, hash);
    prefetchbucket(h, b);
    return strchain(h, b, map_tophash(hash), key, true);
}

/* getstr_short with each engine's hash: gort_memhash_n hashes a short key
 * with these same inline functions, so insert and lookup agree. */
#if defined(__x86_64__)
ALG_AESFN LOOKUP_FN static void *map_getstr_aes(struct hmap *h, const void *kp)
{
    gort_string key = *(const gort_string *)kp;
    if ((uintptr_t)key.len > 16)
        return map_getstr(h, kp);
    return getstr_short(h, key, alg_aeshash_short((const uint8_t *)key.str, (size_t)key.len, h->hash0));
}
#endif

LOOKUP_FN static void *map_getstr_wy(struct hmap *h, const void *kp)
{
    gort_string key = *(const gort_string *)kp;
    if ((uintptr_t)key.len > 16)
        return map_getstr(h, kp);
    return getstr_short(h, key, alg_wyhash_short((const uint8_t *)key.str, (size_t)key.len, h->hash0));
}

LOOKUP_FN static void *map_getgeneric(struct hmap *h, const void *kp)
{
    return map_lookup(h, kp, NULL);
}

/* The lookup for h's key kind and B.  The hash engine is fixed before
 * main (alg.c), so a map binds its string lookup to it here. */
void map_setlookup(struct hmap *h)
{
    switch (h->keykind) {
    case mapKey64:
        h->get = map_get64;
        break;
    case mapKey32:
        h->get = map_get32;
        break;
    case mapKeyStr:
        if (h->B == 0)
            h->get = map_getstr;   /* one bucket: short keys compared, not hashed */
#if defined(__x86_64__)
        else if (gort_useaeshash)
            h->get = map_getstr_aes;
#endif
        else
            h->get = map_getstr_wy;
        break;
    default:
        h->get = map_getgeneric;
        break;
    }
}

static inline void *map_setstr(struct hmap *h, gort_string key)
{
    uintptr_t hash = strhash(h, key);
    map_setflags(h, map_flags(h) ^ hashWriting);
    if (!h->buckets)
        h->buckets = map_newarray(h, h->B);
    struct bmap *insertb;
    uintptr_t inserti;
again:;
    uintptr_t bucket = hash & map_bucketmask(h->B);
    __builtin_prefetch(map_bucket(h, h->buckets, bucket), 1);
    if (map_growing(h))
        map_growwork(h, bucket);
    struct bmap *b0 = map_bucket(h, h->buckets, bucket), *b = b0;
    uint8_t top = map_tophash(hash);
    uint64_t pat = LSB * top;
    insertb = NULL;
    inserti = 0;
    for (;;) {
        uint64_t w = tophashword(b);
        gort_string *keys = fastkeys(b);
        for (uint64_t m = zerobytes(w ^ pat); m; m &= m - 1) {
            uintptr_t i = (uintptr_t)__builtin_ctzll(m) >> 3;
            if (b->tophash[i] == top && streq(keys[i], key)) {
                keys[i] = key;   /* Go updates a string key: the new one is the live copy */
                insertb = b;
                inserti = i;
                goto done;
            }
        }
        uint64_t empty = zerobytes(w & ~LSB);
        if (empty && !insertb) {
            insertb = b;
            inserti = (uintptr_t)__builtin_ctzll(empty) >> 3;
        }
        if (zerobytes(w))
            break;
        struct bmap *ovf = map_overflow(h, b);
        if (!ovf)
            break;
        b = ovf;
    }
    if (map_needgrow(h)) {
        map_hashgrow(h);
        goto again;
    }
    if (!insertb) {
        insertb = map_newoverflow(h, b);
        inserti = 0;
    }
    insertb->tophash[inserti] = top;
    ((gort_string *)fastkeys(insertb))[inserti] = key;
    if (insertb == b0)
        h->hashbits[bucket * bucketCnt + inserti] = map_hashbits(hash, h->B);
    if (h->indirectelem)
        *(void **)map_elem(h, insertb, inserti) = gort_calloc(1, h->type->elem->size);
    h->count++;
done:
    if (!(map_flags(h) & hashWriting))
        map_concurrent_writes();
    map_setflags(h, map_flags(h) & (uint8_t)~hashWriting);
    return elemptr(h, insertb, inserti, sizeof(gort_string));
}

static inline bool map_delstr(struct hmap *h, gort_string key)
{
    uintptr_t hash = strhash(h, key);
    map_setflags(h, map_flags(h) ^ hashWriting);
    bool found = false;
    uintptr_t bucket = hash & map_bucketmask(h->B);
    if (map_growing(h))
        map_growwork(h, bucket);
    struct bmap *b = map_bucket(h, h->buckets, bucket), *borig = b;
    uint8_t top = map_tophash(hash);
    uint64_t pat = LSB * top;
    do {
        uint64_t w = tophashword(b);
        const gort_string *keys = fastkeys(b);
        for (uint64_t m = zerobytes(w ^ pat); m; m &= m - 1) {
            uintptr_t i = (uintptr_t)__builtin_ctzll(m) >> 3;
            if (b->tophash[i] == top && streq(keys[i], key)) {
                if (h->indirectelem)
                    map_retire(h, *(void **)map_elem(h, b, i));
                map_deleted(h, b, borig, i);
                found = true;
                goto out;
            }
        }
        if (zerobytes(w))
            break;
        b = map_overflow(h, b);
    } while (b);
out:
    if (!(map_flags(h) & hashWriting))
        map_concurrent_writes();
    map_setflags(h, map_flags(h) & (uint8_t)~hashWriting);
    return found;
}

/* ------------------------------------------------------------------ */
/* The public entry points live here, beside the fast paths.  Writes
 * inline their fast path (one call per operation, as Go's compiled code
 * calls mapassign_fast64 directly).  Reads check their arguments and call
 * the map's own lookup, hmap.get, chosen when the map is made and when it
 * grows, as Go's compiler picks mapaccess1_faststr once per call site:
 * inlined, the string lookups would make gort_map_get save every
 * callee-saved register on each call, which costs a one-bucket lookup
 * (IntMap, SmallStrMap: ~4 ns) a measurable 10-20%, and the word lookups
 * inlined made IntMap 4.0 -> 5.2 ns (A/B) for 1 ns off a large map's hit;
 * and a switch on the key kind, the key's length, B and the hash engine
 * on every call cost 13 instructions more than the one indirect call.
 * Median ratios of 16-24 adjacent pairs of runs, pinned (the switch = 1):
 * map_lookup_str 0.950 and 0.977, SmallStrMap 0.86 and 0.95, IntMap 0.91
 * and 0.99, int64 hit 0.98 and 1.07, int64 miss 1.05 and 1.01. */

LOOKUP_ALIGN void *gort_map_get(struct hmap *h, const void *key)
{
    if (__builtin_expect(!h || !key, 0))
        gort_badcall("gort_map_get", "NULL %s", h ? "key pointer" : "map");
    if (h->count == 0)
        return NULL;   /* before hashing: an empty map costs nothing */
    return h->get(h, key);
}

void *gort_map_set(struct hmap *h, const void *key, const void *elem)
{
    if (__builtin_expect(!h || !key, 0))
        gort_badcall("gort_map_set", "NULL %s", h ? "key pointer" : "map");
    if (map_flags(h) & hashWriting)
        map_concurrent_writes();
    void *slot;
    switch (h->keykind) {
    case mapKey64: {
        uint64_t v;
        memcpy(&v, key, 8);
        slot = map_set64(h, v);
        break;
    }
    case mapKey32: {
        uint32_t v;
        memcpy(&v, key, 4);
        slot = map_set32(h, v);
        break;
    }
    case mapKeyStr:
        slot = map_setstr(h, *(const gort_string *)key);
        break;
    default:
        slot = map_assign(h, key);
        break;
    }
    size_t n = h->type->elem->size;
    if (elem)
        copyslot(slot, elem, n);
    else
        memset(slot, 0, n);
    if (docheck)
        gort_map_check(h);
    return slot;
}

bool gort_map_delete(struct hmap *h, const void *key)
{
    if (__builtin_expect(!h || !key, 0))
        gort_badcall("gort_map_delete", "NULL %s", h ? "key pointer" : "map");
    if (map_flags(h) & hashWriting)
        map_concurrent_writes();
    if (h->count == 0)
        return false;
    bool found;
    switch (h->keykind) {
    case mapKey64: {
        uint64_t v;
        memcpy(&v, key, 8);
        found = map_del64(h, v);
        break;
    }
    case mapKey32: {
        uint32_t v;
        memcpy(&v, key, 4);
        found = map_del32(h, v);
        break;
    }
    case mapKeyStr:
        found = map_delstr(h, *(const gort_string *)key);
        break;
    default:
        found = map_del(h, key);
        break;
    }
    if (docheck)
        gort_map_check(h);
    return found;
}
