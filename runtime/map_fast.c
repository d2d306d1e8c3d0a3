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
 *   - with B > 0, the 8 tophash bytes of a bucket are compared at once as
 *     one 64-bit word (SWAR): one load finds every slot whose top byte
 *     matches and whether the chain ends in this bucket (a zero byte is
 *     emptyRest), so a miss usually reads one cache line per bucket.
 *
 * An empty map never gets here: map.c returns before hashing.
 */
#include "map.h"
#include "alg.h"

#include <string.h>

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

static inline void *elemptr(struct hmap *h, struct bmap *b, uintptr_t i)
{
    void *e = map_elem(h, b, i);
    return h->indirectelem ? *(void **)e : e;
}

/* ------------------------------------------------------------------ */
/* Word keys: one body for uint32_t and uint64_t. */

#define WORD_PATHS(SUF, T, HASH)                                            \
__attribute__((noinline)) static void *map_get##SUF(struct hmap *h, T key)                                   \
{                                                                           \
    if (map_flags(h) & hashWriting)                                         \
        readwrite();                                                        \
    if (h->B == 0) {                                                        \
        /* One bucket, never growing between writes: no hash. */           \
        struct bmap *b = h->buckets;                                        \
        const T *keys = map_key(h, b, 0);                                   \
        for (uintptr_t i = 0; i < bucketCnt; i++)                           \
            if (keys[i] == key && !map_isempty(b->tophash[i]))              \
                return elemptr(h, b, i);                                    \
        return NULL;                                                        \
    }                                                                       \
    uintptr_t hash = HASH(key, h->hash0);                                   \
    struct bmap *b = readbucket(h, hash);                                   \
    uint8_t top = map_tophash(hash);                                        \
    uint64_t pat = LSB * top;                                               \
    do {                                                                    \
        uint64_t w = tophashword(b);                                        \
        const T *keys = map_key(h, b, 0);                                   \
        for (uint64_t m = zerobytes(w ^ pat); m; m &= m - 1) {              \
            uintptr_t i = (uintptr_t)__builtin_ctzll(m) >> 3;               \
            if (keys[i] == key && b->tophash[i] == top)                     \
                return elemptr(h, b, i);                                    \
        }                                                                   \
        if (zerobytes(w))                                                   \
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
        const T *keys = map_key(h, b, 0);                                   \
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
    ((T *)map_key(h, insertb, 0))[inserti] = key;                           \
    if (h->indirectelem)                                                    \
        *(void **)map_elem(h, insertb, inserti) =                           \
            gort_calloc(1, h->type->elem->size);                            \
    h->count++;                                                             \
done:                                                                       \
    if (!(map_flags(h) & hashWriting))                                      \
        map_concurrent_writes();                                            \
    map_setflags(h, map_flags(h) & (uint8_t)~hashWriting);                  \
    return elemptr(h, insertb, inserti);                                    \
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
        const T *keys = map_key(h, b, 0);                                   \
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

WORD_PATHS(32, uint32_t, gort_hash_u32)
WORD_PATHS(64, uint64_t, gort_hash_u64)

/* ------------------------------------------------------------------ */
/* String keys. */

static inline bool streq(gort_string a, gort_string b)
{
    return a.len == b.len && (a.str == b.str || memcmp(a.str, b.str, (size_t)a.len) == 0);
}

static inline uintptr_t strhash(const struct hmap *h, gort_string k)
{
    return gort_memhash_n(k.str, (size_t)k.len, h->hash0);
}

__attribute__((noinline)) static void *map_getstr(struct hmap *h, gort_string key)
{
    if (map_flags(h) & hashWriting)
        readwrite();
    if (h->B == 0) {
        struct bmap *b = h->buckets;
        const gort_string *keys = map_key(h, b, 0);
        if (key.len < 32) {
            /* Short keys: comparing them all is cheaper than a hash. */
            for (uintptr_t i = 0; i < bucketCnt; i++) {
                if (keys[i].len != key.len || map_isempty(b->tophash[i])) {
                    if (b->tophash[i] == emptyRest)
                        break;
                    continue;
                }
                if (keys[i].str == key.str || memcmp(keys[i].str, key.str, (size_t)key.len) == 0)
                    return elemptr(h, b, i);
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
                return elemptr(h, b, i);
            if (memcmp(keys[i].str, key.str, 4) != 0 ||
                memcmp(keys[i].str + key.len - 4, key.str + key.len - 4, 4) != 0)
                continue;
            if (maybe != bucketCnt)
                goto dohash;
            maybe = i;
        }
        if (maybe != bucketCnt && memcmp(keys[maybe].str, key.str, (size_t)key.len) == 0)
            return elemptr(h, b, maybe);
        return NULL;
    }
dohash:;
    uintptr_t hash = strhash(h, key);
    struct bmap *b = readbucket(h, hash);
    uint8_t top = map_tophash(hash);
    uint64_t pat = LSB * top;
    do {
        uint64_t w = tophashword(b);
        const gort_string *keys = map_key(h, b, 0);
        for (uint64_t m = zerobytes(w ^ pat); m; m &= m - 1) {
            uintptr_t i = (uintptr_t)__builtin_ctzll(m) >> 3;
            if (b->tophash[i] == top && streq(keys[i], key))
                return elemptr(h, b, i);
        }
        if (zerobytes(w))
            return NULL;
        b = map_overflow(h, b);
    } while (b);
    return NULL;
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
    struct bmap *b = map_bucket(h, h->buckets, bucket);
    uint8_t top = map_tophash(hash);
    uint64_t pat = LSB * top;
    insertb = NULL;
    inserti = 0;
    for (;;) {
        uint64_t w = tophashword(b);
        gort_string *keys = map_key(h, b, 0);
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
    ((gort_string *)map_key(h, insertb, 0))[inserti] = key;
    if (h->indirectelem)
        *(void **)map_elem(h, insertb, inserti) = gort_calloc(1, h->type->elem->size);
    h->count++;
done:
    if (!(map_flags(h) & hashWriting))
        map_concurrent_writes();
    map_setflags(h, map_flags(h) & (uint8_t)~hashWriting);
    return elemptr(h, insertb, inserti);
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
        const gort_string *keys = map_key(h, b, 0);
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
 * calls mapassign_fast64 directly).  Reads check their arguments and jump
 * to a separate lookup function: inlined, the three lookups would make
 * gort_map_get save every callee-saved register on each call, which costs
 * a one-bucket lookup (IntMap, SmallStrMap: ~4 ns) a measurable 10-20%. */

void *gort_map_get(struct hmap *h, const void *key)
{
    if (__builtin_expect(!h || !key, 0))
        gort_badcall("gort_map_get", "NULL %s", h ? "key pointer" : "map");
    if (h->count == 0)
        return NULL;   /* before hashing: an empty map costs nothing */
    switch (h->keykind) {
    case mapKey64: {
        uint64_t v;
        memcpy(&v, key, 8);
        return map_get64(h, v);
    }
    case mapKey32: {
        uint32_t v;
        memcpy(&v, key, 4);
        return map_get32(h, v);
    }
    case mapKeyStr:
        return map_getstr(h, *(const gort_string *)key);
    default:
        return map_lookup(h, key, NULL);
    }
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
