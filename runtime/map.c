/*
 * map.c: Go's hash map (seed 003's hashmap.c, with Go 1.12+'s emptyRest
 * marks), for keys and elems of any type described by a struct rtype.
 *
 * Layout (map.h): a map is an array of 2^B buckets of 8 entries each.  The
 * low B bits of a key's hash pick its bucket; the top 8 bits (tophash) are
 * kept per entry so a lookup compares one byte per slot and touches a key
 * only when the byte matches.  A full bucket chains to overflow buckets.
 *
 * Load factor.  The map grows when it would hold more than 6.5 entries per
 * bucket on average.  The seed's table, remeasured on this implementation
 * (64-bit, 8-byte keys and elems, 2^16 buckets filled to each load with
 * the growth threshold moved out of the way; scratch driver, not
 * committed); the seed's own figures differ by at most 0.5 (%overflow at
 * 8.00) and mostly by less than 0.15:
 *
 *   loadFactor  %overflow  bytes/entry  hitprobe  missprobe
 *        4.00       2.00        20.72      2.99       4.00
 *        4.50       4.11        17.32      3.25       4.50
 *        5.00       6.84        14.77      3.50       5.00
 *        5.50      10.48        12.93      3.75       5.50
 *        6.00      15.38        11.69      4.00       6.00
 *        6.50      20.81        10.77      4.25       6.50
 *        7.00      27.25        10.20      4.50       7.00
 *        7.50      33.88         9.75      4.75       7.50
 *        8.00      40.63         9.38      5.00       8.00
 *
 *   %overflow   = percentage of buckets which have an overflow bucket
 *   bytes/entry = overhead bytes used per key/elem pair (bucket memory in
 *                 use, minus the 16 bytes of the pair itself)
 *   hitprobe    = # of entries to check when looking up a present key
 *   missprobe   = # of entries to check when looking up an absent key
 *
 * (measured just before growth, i.e. the worst case.)  6.5 is the knee:
 * beyond it overflow chains lengthen fast for little memory saved.  (The
 * probes count slots; the tophash byte makes most of them a byte compare.)
 *
 * Growth is incremental.  A grow allocates an array twice as large (or as
 * large, when deletions left too many overflow buckets) and keeps the old
 * one in oldbuckets.  Every write that touches bucket b first evacuates the
 * old bucket b maps to, plus up to 8 more in order (nevacuate; Go moves 1,
 * see evacuateAhead), so the cost of a grow is spread over the next writes
 * and a grow finishes within 2^B / 8 writes.  Old bucket i splits into new buckets i (X) and i + 2^(B-1) (Y)
 * by the next hash bit.  Evacuated slots keep their key and elem and get
 * the mark evacuatedX / evacuatedY: readers of the old bucket (a lookup
 * that finds it not yet evacuated, or an iterator) still see the data.
 * When every old bucket is evacuated, the old array is freed (or kept in
 * the graveyard while an iterator may still read it; see hmap.liveiters).
 *
 * Hash bits.  Go stores no hashes: a grow hashes every key again to learn
 * its next bit.  A string key's bytes live outside the bucket, so in
 * bucket order each rehash is a random access, a cache miss in a large
 * map: 1.7 million of them over the grows of a map of 10^6 entries, and
 * they cost about 13% of its inserts even when prefetched (measured by
 * moving entries without reading keys, a scratch build).  So a string-
 * keyed array keeps, after its buckets and outside the layout debuggers
 * read, one byte per slot of its 2^B first buckets: the hash's bits B..B+6
 * under a marker bit (map_hashbits).  An insert writes it from the hash it
 * has; a grow takes the bit it needs from it and writes the rest to the
 * new array, and rehashes only entries of overflow buckets and entries
 * whose bits ran out (seven doublings after their last hash).  Cost:
 * 8 bytes a bucket (4% for string -> int64) and a store per insert.
 * 10^6 16-byte keys inserted without hint, 12 interleaved runs: 268 ->
 * 242 ns (min; GLib 266 alongside); with a hint, so no grow, 175 -> 182
 * (median of 15: the store).  gort_map_check verifies the bits.
 *
 * Memory without a garbage collector.  Go's iterator keeps old arrays and
 * deleted out-of-line keys alive through the GC; here hmap.liveiters
 * counts iterators started and not yet finished (gort_map_next returned
 * false), and while it is non-zero whatever an iterator might still read
 * (retired arrays, overflow buckets, indirect key/elem blocks of deleted
 * entries) goes to hmap.graveyard instead of free().  The graveyard is
 * emptied when the last iterator finishes, and by gort_map_free.  An
 * iteration abandoned half-way (a `break`) therefore pins everything
 * retired after it started until the map is freed: a map that keeps
 * growing costs at most one extra current array, but one that churns
 * (same-size grows, deleted indirect keys) accumulates.  Programs that
 * stop iterating early on a long-lived, churning map should run the
 * iterator to its end.  (A known limit of the API, which has no "stop".)
 *
 * Iteration (Go's mapiternext) walks the array the iterator started with,
 * from a random bucket and a random slot offset.  If the map grew since,
 * an entry found evacuated is looked up again in the current map, so a
 * deleted key is never returned and an updated elem is seen; if the
 * iterator started during a grow and its bucket is not yet evacuated, it
 * reads the old bucket and skips the entries that belong to the other half.
 * Each key present for the whole iteration is returned exactly once.
 *
 * Floats: NaN != NaN, so a NaN key can never be found, updated or deleted;
 * every insert makes a new entry.  During a grow a NaN's bucket half is
 * chosen by the low bit of its tophash (its hash is random, not
 * recomputable), which the iterator's skip rule uses too.
 *
 * Concurrent misuse: a writer sets hashWriting in flags for the duration
 * and checks it is still set at the end; readers check it is clear.  Like
 * Go's check this is best-effort (plain, relaxed accesses), enough to catch
 * the common bug with "fatal error: concurrent map writes".
 */
#include "map.h"
#include "alg.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif


/* ------------------------------------------------------------------ */
/* Types and allocation */

static uintptr_t alignup(uintptr_t x, uintptr_t a) { return (x + a - 1) & ~(a - 1); }

static bool overloadfactor(uintptr_t count, uint8_t B)
{
    return count > bucketCnt &&
           count > (uintptr_t)loadFactorNum * (((uintptr_t)1 << B) / loadFactorDen);
}

static bool toomanyoverflow(uint32_t noverflow, uint8_t B)
{
    /* As many overflow buckets as buckets (capped at 2^15): the map is
     * mostly empty chains left by deletions; a same-size grow compacts. */
    if (B > 15)
        B = 15;
    return noverflow >= ((uint32_t)1 << B);
}

static void maketype(struct maptype *t, const struct rtype *key, const struct rtype *elem)
{
    memset(t, 0, sizeof *t);
    t->typ.size = sizeof(struct hmap *);
    t->typ.align = _Alignof(struct hmap *);
    t->typ.kind = GORT_KIND_MAP;
    t->key = key;
    t->elem = elem;
    t->indirectkey = key->size > maxInlineSize;
    t->indirectelem = elem->size > maxInlineSize;
    uintptr_t ks = t->indirectkey ? sizeof(void *) : key->size;
    uintptr_t ka = t->indirectkey ? _Alignof(void *) : (key->align ? key->align : 1);
    uintptr_t es = t->indirectelem ? sizeof(void *) : elem->size;
    uintptr_t ea = t->indirectelem ? _Alignof(void *) : (elem->align ? elem->align : 1);
    /* Exactly the C layout of struct { uint8_t tophash[8]; K keys[8];
     * V elems[8]; struct bmap *overflow; }. */
    t->keysize = (uint32_t)ks;
    t->elemsize = (uint32_t)es;
    t->keyoff = (uint32_t)alignup(bucketCnt, ka);
    t->elemoff = (uint32_t)alignup(t->keyoff + bucketCnt * ks, ea);
    t->overflowoff = (uint32_t)alignup(t->elemoff + bucketCnt * es, _Alignof(void *));
    uintptr_t maxa = _Alignof(void *);
    if (ka > maxa)
        maxa = ka;
    if (ea > maxa)
        maxa = ea;
    t->bucketsize = (uint32_t)alignup(t->overflowoff + sizeof(void *), maxa);
    /* Go decides both from the key type's contents; a descriptor shows
     * only its equality function.  Bytewise equality is reflexive and
     * needs no key update.  Any other equality may call different bytes
     * equal (+0 and -0, two strings' memory), so an update rewrites the
     * key; and only strequal is known to be reflexive: floats are not
     * (NaN), and a custom one (a struct with a double member) may not be,
     * which costs the generic path one k == k test per evacuated or
     * iterated entry. */
    uint8_t kind = key->kind;
    bool bytewise = key->equal == gort_memequal || key->equal == gort_equal32 ||
                    key->equal == gort_equal64;
    t->reflexivekey = (bytewise || key->equal == gort_strequal) &&
                      !(kind == GORT_KIND_FLOAT32 || kind == GORT_KIND_FLOAT64 ||
                        kind == GORT_KIND_INTERFACE);
    t->needkeyupdate = !bytewise || !t->reflexivekey;
    t->keykind = mapKeyGeneric;
    if (!t->indirectkey && t->reflexivekey) {
        if (key->equal == gort_strequal && key->size == sizeof(gort_string))
            t->keykind = mapKeyStr;
        else if (key->size == 8 && (key->equal == gort_equal64 || key->equal == gort_memequal))
            t->keykind = mapKey64;
        else if (key->size == 4 && (key->equal == gort_equal32 || key->equal == gort_memequal))
            t->keykind = mapKey32;
        /* map_fast.c finds keys at bucketCnt and elems right after them
         * without reading keyoff and elemoff: true unless the elem is
         * aligned to 16 (padding after the keys). */
        if (t->keyoff != bucketCnt || t->elemoff != bucketCnt + bucketCnt * ks)
            t->keykind = mapKeyGeneric;
    }
}

/* Bucket arrays.  Small ones come from the allocator; large ones are
 * mapped, populated at once, and backed by huge pages when the kernel
 * allows.  Measured here (a VM, 37 MiB, the array of 10^6 int64 pairs):
 * touching fresh pages one fault at a time costs 12 us a page (116 ms,
 * more than the whole insertion loop), MAP_POPULATE 6 ms, huge pages with
 * MADV_POPULATE_WRITE 2 ms.  Every bucket of an array is written once the
 * map is half full, so populating early wastes nothing, and huge pages
 * also spare lookups a TLB miss per random bucket. */
enum { mapArrayMmap = 256 << 10, hugePage = 2 << 20 };
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* From 16 buckets up, an array comes with 1/16 as many overflow buckets
 * after it (Go's makeBucketArray): most chains never need malloc. */
static uintptr_t preoverflow(uint8_t B)
{
    return B >= 4 ? ((uintptr_t)1 << B) >> 4 : 0;
}

static size_t arraybytes(const struct hmap *h, uint8_t B)
{
    size_t n = (((size_t)1 << B) + preoverflow(B)) * h->bucketsize;
    if (h->keykind == mapKeyStr)
        n += (size_t)bucketCnt << B;   /* the hash bits, after the buckets */
    return n;
}

static uint8_t *arrayhashbits(const struct hmap *h, struct bmap *arr, uint8_t B)
{
    if (h->keykind != mapKeyStr)
        return NULL;
    return (uint8_t *)map_bucket(h, arr, ((uintptr_t)1 << B) + preoverflow(B));
}

static struct bmap *allocarray(struct hmap *h, uint8_t B)
{
    size_t n = arraybytes(h, B);
    if (n < mapArrayMmap)
        return gort_calloc(1, n);   /* zeroed: every tophash is emptyRest */
    size_t len = (n + 4095) & ~(size_t)4095;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        gort_fatal("out of memory: map bucket array of %zu bytes", len);
    if (len >= hugePage)
        (void)madvise(p, len, MADV_HUGEPAGE);
    if (madvise(p, len, MADV_POPULATE_WRITE) != 0) {
        /* Kernel before 5.14: fault the pages in now, one per page. */
        for (size_t off = 0; off < len; off += 4096)
            ((volatile char *)p)[off] = 0;
    }
    return p;
}

struct bmap *map_newarray(struct hmap *h, uint8_t B)
{
    struct bmap *arr = allocarray(h, B);
    h->nextoverflow = map_bucket(h, arr, (uintptr_t)1 << B);
    h->endoverflow = map_bucket(h, arr, ((uintptr_t)1 << B) + preoverflow(B));
    h->hashbits = arrayhashbits(h, arr, B);
    return arr;
}

static void freearray(size_t bytes, void *p)
{
    if (bytes < mapArrayMmap)
        gort_free(p);
    else
        munmap(p, (bytes + 4095) & ~(size_t)4095);
}

struct hmap *gort__map_new_named(const char *call, const struct rtype *key,
                                 const struct rtype *elem, size_t hint,
                                 const char *bucketname, size_t bucketsize,
                                 size_t ksize, size_t vsize)
{
    if (!call)
        call = "gort_map_new";
    if (!key || !elem)
        gort_fatal("%s: NULL %s type", call, key ? "elem" : "key");
    if (!key->hash || !key->equal)
        gort_fatal("%s: key type %s is not comparable (no hash/equal)", call,
                   key->name ? key->name : "?");
    if ((intptr_t)hint < 0)
        gort_fatal("%s: hint %zu too large", call, hint);
    /* GORT_MAP_DECLARE's K and V against the descriptors: with the wrong
     * descriptor the typed wrappers would copy the wrong number of bytes
     * (a bucket-size check alone misses e.g. K = int64_t, V = int32_t
     * given int32 and int64 descriptors). */
    if (ksize && ksize != key->size)
        gort_fatal("%s: key type K is %zu bytes, but its descriptor %s says %zu", call,
                   ksize, key->name ? key->name : "?", (size_t)key->size);
    if (vsize && vsize != elem->size)
        gort_fatal("%s: value type V is %zu bytes, but its descriptor %s says %zu", call,
                   vsize, elem->name ? elem->name : "?", (size_t)elem->size);
    struct hmap *h = gort_calloc(1, sizeof *h);
    maketype(&h->mtype, key, elem);
    h->mtype.bucketname = bucketname;
    {   /* "map[K]V", as Go spells the type, for debuggers and messages */
        const char *kn = key->name ? key->name : "?", *en = elem->name ? elem->name : "?";
        size_t n = strlen(kn) + strlen(en) + 6;
        char *name = gort_malloc(n);
        snprintf(name, n, "map[%s]%s", kn, en);
        h->mtype.typ.name = name;
    }
    if (bucketsize && (bucketsize != h->mtype.bucketsize || h->mtype.indirectkey ||
                       h->mtype.indirectelem))
        gort_fatal("%s: %s is %zu bytes, but %s -> %s buckets are %u", call,
                   bucketname ? bucketname : "bucket", bucketsize,
                   key->name ? key->name : "?", elem->name ? elem->name : "?",
                   h->mtype.bucketsize);
    h->type = &h->mtype;
    h->keysize = h->mtype.keysize;
    h->elemsize = h->mtype.elemsize;
    h->bucketsize = h->mtype.bucketsize;
    h->indirectkey = h->mtype.indirectkey;
    h->indirectelem = h->mtype.indirectelem;
    h->keykind = h->mtype.keykind;
    h->hash0 = (uintptr_t)gort_rand64();
    uint8_t B = 0;
    while (overloadfactor(hint, B))
        B++;
    h->B = B;
    map_setlookup(h);
    /* Like Go, an empty map with no hint gets its first bucket on the
     * first write: maps that stay empty cost one hmap. */
    if (B > 0)
        h->buckets = map_newarray(h, B);
    return h;
}

struct hmap *gort_map_new(const struct rtype *key, const struct rtype *elem, size_t hint)
{
    return gort__map_new_named("gort_map_new", key, elem, hint, NULL, 0, 0, 0);
}

/* Free, or keep in the graveyard while an iterator may read it.  bytes is
 * the size of a bucket array (freed by freearray), 0 for anything else. */
static void retire(struct hmap *h, void *p, size_t bytes)
{
    if (atomic_load_explicit(&h->liveiters, memory_order_acquire) == 0) {
        freearray(bytes, p);
        return;
    }
    lock(&h->gravelock);
    if (h->ngrave == h->capgrave) {
        uint32_t cap = h->capgrave ? 2 * h->capgrave : 16;
        struct mapgrave *g = gort_malloc(cap * sizeof *g);
        if (h->ngrave)
            memcpy(g, h->graveyard, h->ngrave * sizeof *g);
        gort_free(h->graveyard);
        h->graveyard = g;
        h->capgrave = cap;
    }
    h->graveyard[h->ngrave++] = (struct mapgrave){ p, bytes };
    unlock(&h->gravelock);
}

void map_retire(struct hmap *h, void *p)
{
    retire(h, p, 0);
}

/* Readers call this when the last iterator finishes; two readers may, one
 * right after the other (the second started and finished while the first
 * was reaping), hence the lock. */
static void reap(struct hmap *h)
{
    lock(&h->gravelock);
    for (uint32_t i = 0; i < h->ngrave; i++)
        freearray(h->graveyard[i].bytes, h->graveyard[i].p);
    h->ngrave = 0;
    unlock(&h->gravelock);
}

/* An array and its overflow buckets (the entries' indirect blocks belong
 * to whichever array the entries live in now). */
static void retirearray(struct hmap *h, struct bmap *arr, uint8_t B)
{
    size_t bytes = arraybytes(h, B);
    for (uintptr_t i = 0; i < ((uintptr_t)1 << B); i++) {
        struct bmap *ovf = map_overflow(h, map_bucket(h, arr, i));
        while (ovf) {
            struct bmap *next = map_overflow(h, ovf);
            if ((char *)ovf < (char *)arr || (char *)ovf >= (char *)arr + bytes)
                retire(h, ovf, 0);   /* not one of the array's own */
            ovf = next;
        }
    }
    retire(h, arr, bytes);
}

static void freeindirect(struct hmap *h, struct bmap *b)
{
    for (; b; b = map_overflow(h, b))
        for (uintptr_t i = 0; i < bucketCnt; i++) {
            if (b->tophash[i] < minTopHash)
                continue;
            if (h->indirectkey)
                gort_free(*(void **)map_key(h, b, i));
            if (h->indirectelem)
                gort_free(*(void **)map_elem(h, b, i));
        }
}

void gort_map_free(struct hmap *h)
{
    if (!h)
        return;   /* like free(NULL) */
    if (map_flags(h) & hashWriting)
        map_concurrent_writes();
    /* Nothing may iterate a freed map: whatever an iterator might have
     * needed goes now. */
    atomic_store(&h->liveiters, 0);
    uintptr_t nb = h->buckets ? (uintptr_t)1 << h->B : 0;
    if (h->indirectkey || h->indirectelem) {
        for (uintptr_t i = 0; i < nb; i++)
            freeindirect(h, map_bucket(h, h->buckets, i));
        if (h->oldbuckets) {
            uintptr_t nold = (map_flags(h) & sameSizeGrow) ? nb : nb >> 1;
            for (uintptr_t i = 0; i < nold; i++)   /* evacuated slots are marked, skipped */
                freeindirect(h, map_bucket(h, h->oldbuckets, i));
        }
    }
    if (h->buckets)
        retirearray(h, h->buckets, h->B);
    if (h->oldbuckets)
        retirearray(h, h->oldbuckets, (map_flags(h) & sameSizeGrow) ? h->B : h->B - 1);
    reap(h);
    gort_free(h->graveyard);
    gort_free((char *)h->mtype.typ.name);
    memset(h, 0, sizeof *h);
    gort_free(h);
}

size_t gort_map_len(const struct hmap *h)
{
    return h ? h->count : 0;
}

_Noreturn void map_concurrent_writes(void)
{
    gort_fatal("concurrent map writes");
}

uintptr_t map_hash(const struct hmap *h, const void *key)
{
    switch (h->keykind) {
    case mapKey64: {
        uint64_t v;
        memcpy(&v, key, 8);
        return gort_hash_u64(v, h->hash0);
    }
    case mapKey32: {
        uint32_t v;
        memcpy(&v, key, 4);
        return gort_hash_u32(v, h->hash0);
    }
    case mapKeyStr: {
        const gort_string *s = key;
        return gort_memhash_n(s->str, (size_t)s->len, h->hash0);
    }
    default:
        return h->type->key->hash(h->type->key, key, h->hash0);
    }
}

static inline bool keyequal(const struct hmap *h, const void *a, const void *b)
{
    return h->type->key->equal(h->type->key, a, b);
}

/* ------------------------------------------------------------------ */
/* Growth */

static uintptr_t noldbuckets(const struct hmap *h)
{
    uint8_t B = h->B;
    if (!(map_flags(h) & sameSizeGrow))
        B--;
    return (uintptr_t)1 << B;
}

bool map_needgrow(const struct hmap *h)
{
    return !map_growing(h) &&
           (overloadfactor(h->count + 1, h->B) || toomanyoverflow(h->noverflow, h->B));
}

void map_hashgrow(struct hmap *h)
{
    uint8_t bigger = 1, flags = map_flags(h);
    if (!overloadfactor(h->count + 1, h->B)) {
        bigger = 0;
        flags |= sameSizeGrow;
    }
    /* An iterator of the current array becomes one of the old array. */
    uint8_t f = flags & (uint8_t)~(iterator | oldIterator);
    if (flags & iterator)
        f |= oldIterator;
    h->oldbuckets = h->buckets;
    h->oldhashbits = h->hashbits;
    h->buckets = map_newarray(h, h->B + bigger);
    h->B += bigger;
    map_setlookup(h);
    h->nevacuate = 0;
    h->noverflow = 0;
    map_setflags(h, f);
}

struct bmap *map_newoverflow(struct hmap *h, struct bmap *b)
{
    struct bmap *ovf;
    if (h->nextoverflow != h->endoverflow) {
        ovf = h->nextoverflow;
        h->nextoverflow = map_bucket(h, ovf, 1);
    } else {
        ovf = gort_calloc(1, h->bucketsize);
    }
    h->noverflow++;
    *map_overflowp(h, b) = ovf;
    return ovf;
}

struct evacdst {
    struct bmap *b;
    uintptr_t    i;
    uint8_t     *bits;   /* hash bits of b's slots; NULL once b is an overflow bucket */
};

/* The string keys of a chain that its grow must rehash: those in
 * overflow buckets, and those whose hash bits ran out.  Their bytes live
 * elsewhere, in bucket order a random access each, a cache miss in a
 * large map: their fetches are started together for the whole chain, so
 * the misses overlap instead of following one another.  bits: the hash
 * bits of the chain's first bucket. */
static void prefetchstrkeys(const struct hmap *h, struct bmap *b, const uint8_t *bits)
{
    for (; b; b = map_overflow(h, b), bits = NULL)
        for (uintptr_t i = 0; i < bucketCnt; i++)
            if (b->tophash[i] >= minTopHash && (!bits || bits[i] <= hashbitsNone))
                __builtin_prefetch(((const gort_string *)map_key(h, b, i))->str);
}

static void evacuate(struct hmap *h, uintptr_t oldbucket)
{
    struct bmap *b = map_bucket(h, h->oldbuckets, oldbucket);
    uintptr_t newbit = noldbuckets(h);
    bool samesize = map_flags(h) & sameSizeGrow;
    if (!map_evacuated(b)) {
        /* Hash bits: of the old chain's first bucket, of the new X and Y. */
        const uint8_t *bits = h->oldhashbits ? h->oldhashbits + oldbucket * bucketCnt : NULL;
        uint8_t *newbits = h->hashbits;
        struct evacdst xy[2] = {
            { map_bucket(h, h->buckets, oldbucket), 0,
              newbits ? newbits + oldbucket * bucketCnt : NULL },
            { samesize ? NULL : map_bucket(h, h->buckets, oldbucket + newbit), 0,
              newbits && !samesize ? newbits + (oldbucket + newbit) * bucketCnt : NULL },
        };
        /* Start fetching the destinations while the old chain is read:
         * three cache misses overlap instead of queueing. */
        __builtin_prefetch(xy[0].b, 1);
        if (xy[1].b)
            __builtin_prefetch(xy[1].b, 1);
        if (h->keykind == mapKeyStr && !samesize)
            prefetchstrkeys(h, b, bits);
        for (; b; b = map_overflow(h, b), bits = NULL) {
            for (uintptr_t i = 0; i < bucketCnt; i++) {
                uint8_t top = b->tophash[i];
                if (map_isempty(top)) {
                    b->tophash[i] = evacuatedEmpty;
                    continue;
                }
                if (top < minTopHash)
                    gort_fatal("bad map state: tophash %u during evacuation", top);
                void *k = map_key(h, b, i);
                void *k2 = h->indirectkey ? *(void **)k : k;
                uint8_t usey = 0;
                /* The slot's hash bits, and what they become in the new
                 * array: one bit fewer after a doubling (this grow uses
                 * it), the same after a same-size grow. */
                uint8_t have = bits ? bits[i] : hashbitsNone, keep = have;
                if (!samesize) {
                    if (have > hashbitsNone) {
                        usey = have & 1;
                        keep = have >> 1;
                    } else {
                        uintptr_t hash = map_hash(h, k2);
                        keep = map_hashbits(hash, h->B);
                        if (!h->type->reflexivekey && !keyequal(h, k2, k2)) {
                            /* NaN: its hash is random, so it cannot tell
                             * where it goes; the low bit of the old tophash
                             * does (the iterator uses the same rule), and a
                             * fresh random tophash keeps NaNs spread. */
                            usey = top & 1;
                            top = map_tophash(hash);
                            keep = hashbitsNone;
                        } else if (hash & newbit) {
                            usey = 1;
                        }
                    }
                }
                b->tophash[i] = evacuatedX + usey;
                struct evacdst *d = &xy[usey];
                if (d->i == bucketCnt) {
                    d->b = map_newoverflow(h, d->b);
                    d->i = 0;
                    d->bits = NULL;
                }
                if (d->bits)
                    d->bits[d->i] = keep;
                d->b->tophash[d->i] = top;
                copyslot(map_key(h, d->b, d->i), k, h->keysize);
                copyslot(map_elem(h, d->b, d->i), map_elem(h, b, i), h->elemsize);
                d->i++;
            }
        }
        /* The old bucket keeps its keys and elems: an iterator may still
         * read them (Go clears them only for the garbage collector). */
    }
    if (oldbucket == h->nevacuate) {
        /* Advance the mark past every evacuated bucket (at most 1024, to
         * bound the work of one write). */
        h->nevacuate++;
        uintptr_t stop = h->nevacuate + 1024;
        if (stop > newbit)
            stop = newbit;
        while (h->nevacuate != stop && map_evacuated(map_bucket(h, h->oldbuckets, h->nevacuate)))
            h->nevacuate++;
        if (h->nevacuate == newbit) {
            struct bmap *old = h->oldbuckets;
            h->oldbuckets = NULL;
            h->oldhashbits = NULL;
            map_setflags(h, map_flags(h) & (uint8_t)~sameSizeGrow);
            retirearray(h, old, (uint8_t)__builtin_ctzll(newbit));
        }
    }
}

/* Old buckets evacuated in order per write, besides the one the write
 * needs.  Go moves 1; in-order evacuation streams through memory (the
 * prefetcher follows it) while the needed bucket is a random access, so
 * finishing the grow sooner leaves fewer random evacuations.  Measured on
 * 10^6 int64 inserts without hint (scratch driver, thread CPU time, three
 * interleaved runs on a loaded 2-core VM, so only the trend counts):
 *     1: 143 146 155   2: 143 137 142   4: 127 124 (266)   8: 140 121 115
 *    16: 136 126 (368) ns/insert.
 * A write still does bounded work: at most 9 old buckets. */
enum { evacuateAhead = 8 };

void map_growwork(struct hmap *h, uintptr_t bucket)
{
    /* The old bucket the caller is about to use, then one more so the
     * grow finishes.  The second is fetched while the first is moved. */
    __builtin_prefetch(map_bucket(h, h->oldbuckets, h->nevacuate));
    evacuate(h, bucket & (noldbuckets(h) - 1));
    for (int k = 0; k < evacuateAhead && map_growing(h); k++) {
        /* String keys: the next bucket's keys are fetched while this
         * one's are rehashed (evacuate fetches a chain's own only just
         * before it needs them). */
        uintptr_t next = h->nevacuate + 1;
        if (h->keykind == mapKeyStr && next < noldbuckets(h) && !(map_flags(h) & sameSizeGrow))
            prefetchstrkeys(h, map_bucket(h, h->oldbuckets, next),
                            h->oldhashbits + next * bucketCnt);
        evacuate(h, h->nevacuate);
    }
}

/* ------------------------------------------------------------------ */
/* Lookup */

/* The lookup, without the concurrent-write check: the iterator calls it
 * after its own check, which names iteration (Go's mapaccessK). */
static void *lookup(struct hmap *h, const void *key, void **kout)
{
    uintptr_t hash = map_hash(h, key);
    uintptr_t m = map_bucketmask(h->B);
    struct bmap *b = map_bucket(h, h->buckets, hash & m);
    if (h->oldbuckets) {
        if (!(map_flags(h) & sameSizeGrow))
            m >>= 1;
        struct bmap *oldb = map_bucket(h, h->oldbuckets, hash & m);
        if (!map_evacuated(oldb))
            b = oldb;
    }
    uint8_t top = map_tophash(hash);
    for (; b; b = map_overflow(h, b)) {
        for (uintptr_t i = 0; i < bucketCnt; i++) {
            if (b->tophash[i] != top) {
                if (b->tophash[i] == emptyRest)
                    return NULL;
                continue;
            }
            void *k = map_key(h, b, i);
            if (h->indirectkey)
                k = *(void **)k;
            if (keyequal(h, key, k)) {
                void *e = map_elem(h, b, i);
                if (h->indirectelem)
                    e = *(void **)e;
                if (kout)
                    *kout = k;
                return e;
            }
        }
    }
    return NULL;
}

void *map_lookup(struct hmap *h, const void *key, void **kout)
{
    if (map_flags(h) & hashWriting)
        gort_fatal("concurrent map read and map write");
    return lookup(h, key, kout);
}

/* ------------------------------------------------------------------ */
/* Insert and update */

void *map_assign(struct hmap *h, const void *key)
{
    uintptr_t hash = map_hash(h, key);
    /* Set after hashing: a hash function that panics leaves the map
     * writable (Go's order). */
    map_setflags(h, map_flags(h) ^ hashWriting);
    if (!h->buckets)
        h->buckets = map_newarray(h, h->B);
again:;
    uintptr_t bucket = hash & map_bucketmask(h->B);
    if (map_growing(h))
        map_growwork(h, bucket);
    struct bmap *b = map_bucket(h, h->buckets, bucket);
    uint8_t top = map_tophash(hash);
    uint8_t *inserti = NULL;
    void *insertk = NULL, *elem = NULL;
    for (;;) {
        for (uintptr_t i = 0; i < bucketCnt; i++) {
            if (b->tophash[i] != top) {
                if (map_isempty(b->tophash[i]) && !inserti) {
                    inserti = &b->tophash[i];
                    insertk = map_key(h, b, i);
                    elem = map_elem(h, b, i);
                }
                if (b->tophash[i] == emptyRest)
                    goto notfound;
                continue;
            }
            void *k = map_key(h, b, i);
            if (h->indirectkey)
                k = *(void **)k;
            if (!keyequal(h, key, k))
                continue;
            /* Already there: +0 replaces -0, as in Go. */
            if (h->type->needkeyupdate)
                memmove(k, key, h->type->key->size);   /* key may be the map's own */
            elem = map_elem(h, b, i);
            goto done;
        }
        struct bmap *ovf = map_overflow(h, b);
        if (!ovf)
            break;
        b = ovf;
    }
notfound:
    /* Growing invalidates every slot found so far: start over. */
    if (map_needgrow(h)) {
        map_hashgrow(h);
        goto again;
    }
    if (!inserti) {
        struct bmap *nb = map_newoverflow(h, b);
        inserti = &nb->tophash[0];
        insertk = map_key(h, nb, 0);
        elem = map_elem(h, nb, 0);
    }
    if (h->indirectkey) {
        void *kmem = gort_malloc(h->type->key->size);
        *(void **)insertk = kmem;
        insertk = kmem;
    }
    if (h->indirectelem)
        *(void **)elem = gort_calloc(1, h->type->elem->size);
    memcpy(insertk, key, h->type->key->size);
    *inserti = top;
    h->count++;
done:
    if (!(map_flags(h) & hashWriting))
        map_concurrent_writes();
    map_setflags(h, map_flags(h) & (uint8_t)~hashWriting);
    if (h->indirectelem)
        elem = *(void **)elem;
    return elem;
}

/* ------------------------------------------------------------------ */
/* Delete */

/* Slot i of b (chain starting at borig) was just emptied: mark it, and
 * turn a run of emptyOne at the end of the chain into emptyRest so that
 * lookups stop early. */
void map_deleted(struct hmap *h, struct bmap *b, struct bmap *borig, uintptr_t i)
{
    b->tophash[i] = emptyOne;
    if (i == bucketCnt - 1) {
        struct bmap *ovf = map_overflow(h, b);
        if (ovf && ovf->tophash[0] != emptyRest)
            goto notlast;
    } else if (b->tophash[i + 1] != emptyRest) {
        goto notlast;
    }
    for (;;) {
        b->tophash[i] = emptyRest;
        if (i == 0) {
            if (b == borig)
                break;
            struct bmap *c = b;
            for (b = borig; map_overflow(h, b) != c; b = map_overflow(h, b))
                ;
            i = bucketCnt - 1;
        } else {
            i--;
        }
        if (b->tophash[i] != emptyOne)
            break;
    }
notlast:
    h->count--;
    /* A fresh seed when the map empties: an attacker who found colliding
     * keys must start over (Go's rule). */
    if (h->count == 0)
        h->hash0 = (uintptr_t)gort_rand64();
}

bool map_del(struct hmap *h, const void *key)
{
    uintptr_t hash = map_hash(h, key);
    map_setflags(h, map_flags(h) ^ hashWriting);
    bool found = false;
    uintptr_t bucket = hash & map_bucketmask(h->B);
    if (map_growing(h))
        map_growwork(h, bucket);
    struct bmap *b = map_bucket(h, h->buckets, bucket), *borig = b;
    uint8_t top = map_tophash(hash);
    for (; b; b = map_overflow(h, b)) {
        for (uintptr_t i = 0; i < bucketCnt; i++) {
            if (b->tophash[i] != top) {
                if (b->tophash[i] == emptyRest)
                    goto out;
                continue;
            }
            void *k = map_key(h, b, i);
            void *k2 = h->indirectkey ? *(void **)k : k;
            if (!keyequal(h, key, k2))
                continue;
            if (h->indirectkey)
                map_retire(h, k2);
            if (h->indirectelem)
                map_retire(h, *(void **)map_elem(h, b, i));
            map_deleted(h, b, borig, i);
            found = true;
            goto out;
        }
    }
out:
    if (!(map_flags(h) & hashWriting))
        map_concurrent_writes();
    map_setflags(h, map_flags(h) & (uint8_t)~hashWriting);
    return found;
}

/* ------------------------------------------------------------------ */
/* Iteration (Go's mapiterinit / mapiternext) */

enum { noCheck = ~(uintptr_t)0 };
/* hiter.reserved: the iterator's part in hmap.liveiters. */
enum { iterIdle = 0, iterLive = 1, iterDone = 2 };

void gort_map_iter_init(gort_map_iter *iter, struct hmap *h)
{
    if (!iter)
        gort_badcall("gort_map_iter_init", "NULL iterator");
    struct hiter *it = &iter->hiter;
    memset(it, 0, sizeof *it);
    it->h = h;
    it->reserved = iterDone;
    if (!h || h->count == 0)
        return;   /* nothing to return; a NULL map iterates as empty, as in Go */
    if (map_flags(h) & hashWriting)
        gort_fatal("concurrent map iteration and map write");
    atomic_fetch_add_explicit(&h->liveiters, 1, memory_order_acq_rel);
    it->reserved = iterLive;
    it->B = h->B;
    it->buckets = h->buckets;
    uint64_t r = gort_rand64();
    it->startbucket = (uintptr_t)r & map_bucketmask(h->B);
    it->offset = (uint8_t)((r >> h->B) & (bucketCnt - 1));
    it->bucket = it->startbucket;
    it->checkbucket = noCheck;
    __atomic_fetch_or(&h->flags, iterator | oldIterator, __ATOMIC_RELAXED);
}

static bool iterdone(struct hiter *it, void **key, void **elem)
{
    if (it->reserved == iterLive) {
        it->reserved = iterDone;
        struct hmap *h = it->h;
        if (atomic_fetch_sub_explicit(&h->liveiters, 1, memory_order_acq_rel) == 1)
            reap(h);
    }
    it->key = it->elem = NULL;
    if (key)
        *key = NULL;
    if (elem)
        *elem = NULL;
    return false;
}

/* gort_map_next's general case (Go's mapiternext): the iterator started
 * during a grow, or the map has grown or is growing since, or the
 * iteration is over.  Slots are read one by one, each checked for the
 * grow's cases. */
__attribute__((noinline)) static bool nextslow(struct hiter *it, void **key, void **elem)
{
    if (it->reserved != iterLive)
        return iterdone(it, key, elem);
    struct hmap *h = it->h;
    if (map_flags(h) & hashWriting)
        gort_fatal("concurrent map iteration and map write");
    uintptr_t bucket = it->bucket;
    struct bmap *b = it->bptr;
    uintptr_t i = it->i;
    uintptr_t checkbucket = it->checkbucket;
next:
    if (!b) {
        if (bucket == it->startbucket && it->wrapped)
            return iterdone(it, key, elem);
        if (map_growing(h) && it->B == h->B) {
            /* Started during this grow, which is not done: read the old
             * bucket if it still holds the data. */
            uintptr_t oldbucket = bucket & (noldbuckets(h) - 1);
            b = map_bucket(h, h->oldbuckets, oldbucket);
            if (!map_evacuated(b)) {
                checkbucket = bucket;
            } else {
                b = map_bucket(h, it->buckets, bucket);
                checkbucket = noCheck;
            }
        } else {
            b = map_bucket(h, it->buckets, bucket);
            checkbucket = noCheck;
        }
        bucket++;
        if (bucket == ((uintptr_t)1 << it->B)) {
            bucket = 0;
            it->wrapped = 1;
        }
        i = 0;
    }
    for (; i < bucketCnt; i++) {
        uintptr_t offi = (i + it->offset) & (bucketCnt - 1);
        uint8_t top = b->tophash[offi];
        if (map_isempty(top) || top == evacuatedEmpty)
            continue;
        void *k = map_key(h, b, offi);
        if (h->indirectkey)
            k = *(void **)k;
        void *e = map_elem(h, b, offi);
        if (checkbucket != noCheck && !(map_flags(h) & sameSizeGrow)) {
            /* An old bucket splits into two new ones; this pass is for
             * new bucket checkbucket only: skip the other half's keys. */
            if (h->type->reflexivekey || keyequal(h, k, k)) {
                uintptr_t hash = map_hash(h, k);
                if ((hash & map_bucketmask(it->B)) != checkbucket)
                    continue;
            } else if ((checkbucket >> (it->B - 1)) != (uintptr_t)(top & 1)) {
                continue;   /* NaN: evacuate's rule */
            }
        }
        if ((top != evacuatedX && top != evacuatedY) ||
            !(h->type->reflexivekey || keyequal(h, k, k))) {
            /* The data here is current. */
            if (h->indirectelem)
                e = *(void **)e;
            it->key = k;
            it->elem = e;
        } else {
            /* Moved since the iterator started: the current entry, if
             * the key still exists. */
            void *rk = NULL;
            void *re = lookup(h, k, &rk);
            if (!re)
                continue;
            it->key = rk;
            it->elem = re;
        }
        it->bucket = bucket;
        it->bptr = b;
        it->i = (uint8_t)(i + 1);
        it->checkbucket = checkbucket;
        it->overflow0 = NULL;   /* the fast path reads the bucket again */
        if (key)
            *key = it->key;
        if (elem)
            *elem = it->elem;
        return true;
    }
    b = map_overflow(h, b);
    i = 0;
    goto next;
}

/* The occupied slots of a bucket that holds no evacuation marks: bit i
 * set when tophash[i] >= minTopHash.  On x86-64 one SSE2 compare of the
 * 8 bytes gives the 8 bits packed (no shifts from bytes to slots); else
 * the top bits of a SWAR test, gathered by a multiply. */
static inline unsigned occupiedslots(const struct bmap *b)
{
#if defined(__SSE2__)
    __m128i t = _mm_loadl_epi64((const __m128i *)b->tophash);
    /* max(t, minTopHash) == t exactly where t >= minTopHash; the upper 8
     * bytes are 0 and never match. */
    __m128i ge = _mm_cmpeq_epi8(_mm_max_epu8(t, _mm_set1_epi8(minTopHash)), t);
    return (unsigned)_mm_movemask_epi8(ge) & 0xff;
#else
    uint64_t w;
    memcpy(&w, b->tophash, 8);
    uint64_t m = (((w | 0x8080808080808080ull) - minTopHash * 0x0101010101010101ull) | w) &
                 0x8080808080808080ull;
    return (unsigned)(((m >> 7) * 0x0102040810204080ull) >> 56);
#endif
}

/* Iteration in the usual case: the iterator's array is the map's current
 * one and no grow is under way, so every slot holds an empty mark or
 * current data, and a bucket's occupied slots are read from its tophash
 * word at once (rotated by the iterator's start offset).
 *
 * hiter.overflow0 then holds a window: the occupied slots, not yet
 * returned, of up to 8 consecutive buckets of the array, read together.
 * Bit 8j + i is rotated slot i of the window's bucket j, counted so that
 * the last bucket is j = 7: it is hiter.bptr, and hiter.i = 8, hiter.bucket
 * the bucket after it, as Go's mapiternext would have them once the whole
 * window is returned.  A window ends at a bucket with an overflow chain
 * (the chain's buckets are returned one slot a call, then a window starts
 * at the next bucket), at the array's end and where the iteration ends.
 * gort_map_next returns the window's lowest slot; itnextbucket reads the
 * next window, or the chain, when the window is empty; itflush turns a
 * window back into Go's position (the bucket and slot of its lowest bit)
 * before the general loop, nextslow, takes over.
 *
 * Why a window: a call per entry leaves the iterator in memory, so each
 * call starts from the previous call's stores, and from a cached mask the
 * next slot is one and-not away, where re-deriving it from the tophash
 * word put a load, five ALU steps and a multiply on that chain.  And why 8
 * buckets (all that one 64-bit word holds): the call that finds its
 * bucket exhausted is one the CPU mispredicts (a bucket holds a random
 * number of entries); with 8 buckets to a window that happens once per
 * ~30 entries instead of once per ~4.
 * 10^6 int64 pairs, 10 passes, min of 10 interleaved runs pinned to one
 * CPU (this 2-core VM): one bucket at a time, the next read ahead, 6.57
 * ns an entry; the window 4.47 (GLib 7.41 alongside).  With every other
 * key deleted 10.4 -> 6.0 ns; 10^4 pairs, in cache, 4.2 -> 4.1.
 *
 * A key deleted since its window was read must not be returned: the
 * slot's tophash byte is checked before it is, and a slot emptied since
 * is skipped.  (A slot filled since may be skipped too: a key inserted
 * during an iteration may or may not be returned, as in Go.)  nextslow
 * clears overflow0, so after it the next call reads from its position. */
static bool itnextbucket(struct hiter *it, void **key, void **elem);

_Static_assert(sizeof(void *) == sizeof(uint64_t), "hiter.overflow0 holds a 64-slot window");

static inline uint64_t itwindow(const struct hiter *it)
{
    uint64_t w;
    memcpy(&w, &it->overflow0, sizeof w);
    return w;
}

static inline void itsetwindow(struct hiter *it, uint64_t w)
{
    memcpy(&it->overflow0, &w, sizeof w);
}

static inline bool itfast(const struct hiter *it, const struct hmap *h)
{
    return !(map_flags(h) & hashWriting) && it->checkbucket == noCheck &&
           it->buckets == h->buckets && !map_growing(h);
}

/* The occupied slots of bucket b, rotated by the iterator's offset. */
static inline unsigned itoccupied(const struct bmap *b, unsigned off)
{
    return ((occupiedslots(b) * 0x101u) >> off) & 0xffu;
}

/* Return slot offi of b: where its key and elem live (through the pointer
 * when stored indirectly), kept in it and stored through key and elem
 * when given.  Both next paths end here. */
static inline __attribute__((always_inline)) bool itreturn(struct hiter *it,
        const struct maptype *t, struct bmap *b, uintptr_t offi, void **key, void **elem)
{
    void *k = (char *)b + t->keyoff + offi * t->keysize;
    void *e = (char *)b + t->elemoff + offi * t->elemsize;
    if (__builtin_expect(t->indirectkey | t->indirectelem, 0)) {
        if (t->indirectkey)
            k = *(void **)k;
        if (t->indirectelem)
            e = *(void **)e;
    }
    it->key = k;
    it->elem = e;
    if (key)
        *key = k;
    if (elem)
        *elem = e;
    return true;
}

/* The bucket of window bit s: the window's last bucket is hiter.bptr. */
static inline struct bmap *itwindowbucket(const struct hiter *it, const struct hmap *h,
                                          unsigned s)
{
    return (struct bmap *)((char *)it->bptr -
                           (size_t)(bucketCnt - 1 - (s >> 3)) * h->bucketsize);
}

/* The index of the bucket before hiter.bucket (the last one read). */
static inline uintptr_t itlastbucket(const struct hiter *it)
{
    return (it->bucket ? it->bucket : (uintptr_t)1 << it->B) - 1;
}

/* Read the window that starts at bucket b, bucket idx of the array and
 * the first of its chain, whose slots still to return are occ (rotated). */
static void itfill(struct hiter *it, const struct hmap *h, struct bmap *b, uintptr_t idx,
                   unsigned occ)
{
    uintptr_t nb = (uintptr_t)1 << it->B;
    uint64_t w = occ;
    unsigned n = 1;
    for (;;) {
        uintptr_t next = idx + n;
        if (next == nb) {   /* a window never wraps: the end of the array ends it */
            it->bucket = 0;
            it->wrapped = 1;
            break;
        }
        it->bucket = next;
        if (n == bucketCnt || map_overflow(h, b) || next == it->startbucket)
            break;
        b = map_bucket(h, it->buckets, next);
        w |= (uint64_t)itoccupied(b, it->offset) << (8 * n);
        n++;
    }
    it->bptr = b;
    it->i = bucketCnt;
    itsetwindow(it, w << (8 * (bucketCnt - n)));
}

/* Go's position for a live window: the bucket of its lowest slot, and
 * that slot; the window's later buckets are read again from there. */
static void itflush(struct hiter *it, const struct hmap *h)
{
    uint64_t w = itwindow(it);
    if (!w)
        return;
    unsigned s = (unsigned)__builtin_ctzll(w), back = bucketCnt - 1 - (s >> 3);
    /* The bucket after it.  If the window ended at the array's end,
     * wrapped stays set: only the test for the iteration's end reads it,
     * and that cannot be met before the end is passed. */
    if (back)
        it->bucket = itlastbucket(it) - back + 1;
    it->bptr = itwindowbucket(it, h, s);
    it->i = (uint8_t)(s & (bucketCnt - 1));
    itsetwindow(it, 0);
}

bool gort_map_next(gort_map_iter *iter, void **key, void **elem)
{
    if (!iter)
        gort_badcall("gort_map_next", "NULL iterator");
    struct hiter *it = &iter->hiter;
    if (__builtin_expect(it->reserved != iterLive, 0))
        return nextslow(it, key, elem);
    struct hmap *h = it->h;
    if (__builtin_expect(!itfast(it, h), 0))
        return itnextbucket(it, key, elem);
    uint64_t w = itwindow(it);
    while (w) {
        unsigned s = (unsigned)__builtin_ctzll(w);
        struct bmap *b = itwindowbucket(it, h, s);
        uintptr_t offi = ((s & (bucketCnt - 1)) + it->offset) & (bucketCnt - 1);
        w &= w - 1;
        itsetwindow(it, w);
        if (__builtin_expect(b->tophash[offi] >= minTopHash, 1))
            return itreturn(it, h->type, b, offi, key, elem);
        /* deleted since the window was read: skip it */
    }
    return itnextbucket(it, key, elem);
}

__attribute__((noinline)) static bool itnextbucket(struct hiter *it, void **key, void **elem)
{
    struct hmap *h = it->h;
    if (!itfast(it, h)) {
        itflush(it, h);
        return nextslow(it, key, elem);
    }
    const struct maptype *t = h->type;
    struct bmap *b = it->bptr;
    unsigned off = it->offset, i = it->i;
    bool first = false;   /* b is the first bucket of its chain, bucket it->bucket - 1 */
    for (;;) {
        if (b) {
            /* Without the slots before i (i may be 8: then none is left). */
            unsigned occ = itoccupied(b, off) & (0xffu << i) & 0xffu;
            if (occ) {
                i = (unsigned)__builtin_ctz(occ);
                uintptr_t offi = (i + off) & (bucketCnt - 1);
                if (first) {
                    itfill(it, h, b, itlastbucket(it), occ & (occ - 1));
                } else {
                    /* An overflow bucket: a slot a call, from bptr and i. */
                    it->bptr = b;
                    it->i = (uint8_t)(i + 1);
                    itsetwindow(it, 0);
                }
                return itreturn(it, t, b, offi, key, elem);
            }
            b = map_overflow(h, b);
            i = 0;
            first = false;
            if (b)
                continue;
        }
        uintptr_t bucket = it->bucket;
        if (bucket == it->startbucket && it->wrapped) {
            it->bptr = NULL;
            itsetwindow(it, 0);
            return nextslow(it, key, elem);   /* the end */
        }
        b = map_bucket(h, it->buckets, bucket);
        first = true;
        bucket++;
        if (bucket == ((uintptr_t)1 << it->B)) {
            bucket = 0;
            it->wrapped = 1;
        }
        it->bucket = bucket;
        i = 0;
    }
}

/* ------------------------------------------------------------------ */
/* The invariant checker (seed hashmap.c's check). */

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond))                                                        \
            gort_fatal("gort_map_check: " __VA_ARGS__);                     \
    } while (0)

/* bits: the hash bits of the array the chain is in (NULL if the map keeps
 * none), mask: its number of buckets - 1. */
static void checkchain(const struct hmap *hc, struct bmap *b, uintptr_t bucket,
                       uintptr_t mask, const uint8_t *bits, bool old, uintptr_t *live,
                       uint32_t *novf)
{
    struct hmap *h = (struct hmap *)hc;
    bool rest = false;
    bool evac = old && map_evacuated(b);
    for (int depth = 0; b; b = map_overflow(h, b), depth++) {
        if (depth > 0 && novf)
            (*novf)++;
        for (uintptr_t i = 0; i < bucketCnt; i++) {
            uint8_t top = b->tophash[i];
            if (evac) {
                CHECK(top >= evacuatedX && top <= evacuatedEmpty,
                      "old bucket %zu: evacuated bucket has tophash %u", (size_t)bucket, top);
                continue;
            }
            CHECK(top < evacuatedX || top >= minTopHash,
                  "bucket %zu%s: evacuation mark %u in a bucket not evacuated",
                  (size_t)bucket, old ? " (old)" : "", top);
            if (rest) {
                CHECK(top == emptyRest, "bucket %zu: slot after emptyRest holds %u",
                      (size_t)bucket, top);
                continue;
            }
            if (top == emptyRest) {
                rest = true;
                continue;
            }
            if (top == emptyOne)
                continue;
            (*live)++;
            void *k = map_key(h, b, i);
            if (h->indirectkey)
                k = *(void **)k;
            if (!h->type->reflexivekey && !keyequal(h, k, k))
                continue;   /* NaN: random hash, never found */
            uintptr_t hash = map_hash(h, k);
            CHECK((hash & mask) == bucket, "key in bucket %zu hashes to bucket %zu",
                  (size_t)bucket, (size_t)(hash & mask));
            CHECK(map_tophash(hash) == top, "bucket %zu slot %zu: tophash %u, key's is %u",
                  (size_t)bucket, (size_t)i, top, map_tophash(hash));
            if (bits && depth == 0) {
                /* Every write of a slot of a first bucket writes its
                 * bits; those it holds are the hash's. */
                uint8_t v = bits[bucket * bucketCnt + i];
                unsigned n = 31u - (unsigned)__builtin_clz(v ? v : 1);
                uint8_t want = (uint8_t)((hash >> __builtin_popcountll(mask)) & ((1u << n) - 1));
                CHECK(v != 0, "bucket %zu%s slot %zu: no hash bits", (size_t)bucket,
                      old ? " (old)" : "", (size_t)i);
                CHECK((v & ((1u << n) - 1)) == want,
                      "bucket %zu%s slot %zu: hash bits %#x, key's are %#x (%u bits)",
                      (size_t)bucket, old ? " (old)" : "", (size_t)i, v, want, n);
            }
            void *e = map_elem(h, b, i);
            if (h->indirectelem)
                e = *(void **)e;
            CHECK(map_lookup(h, k, NULL) == e, "bucket %zu slot %zu: lookup finds another entry",
                  (size_t)bucket, (size_t)i);
        }
    }
}

void gort_map_check(const struct hmap *h)
{
    CHECK(h, "NULL map");
    CHECK(!(map_flags(h) & hashWriting), "hashWriting set");
    if (!h->buckets) {
        CHECK(h->count == 0 && !h->oldbuckets, "no buckets but count %zu", (size_t)h->count);
        return;
    }
    CHECK(!h->hashbits == (h->keykind != mapKeyStr), "hash bits %p for key kind %u",
          (void *)h->hashbits, h->keykind);
    CHECK(!h->oldhashbits == (h->keykind != mapKeyStr || !h->oldbuckets),
          "old hash bits %p for key kind %u", (void *)h->oldhashbits, h->keykind);
    uintptr_t nb = (uintptr_t)1 << h->B, live = 0;
    uint32_t novf = 0;
    uintptr_t nold = 0;
    if (h->oldbuckets) {
        nold = noldbuckets(h);
        CHECK(h->nevacuate < nold, "nevacuate %zu >= old buckets %zu",
              (size_t)h->nevacuate, (size_t)nold);
        for (uintptr_t i = 0; i < nold; i++) {
            struct bmap *ob = map_bucket(h, h->oldbuckets, i);
            CHECK(i >= h->nevacuate || map_evacuated(ob),
                  "old bucket %zu below nevacuate %zu not evacuated", (size_t)i, (size_t)h->nevacuate);
            checkchain(h, ob, i, nold - 1, h->oldhashbits, true, &live, NULL);
        }
    } else {
        CHECK(!(map_flags(h) & sameSizeGrow), "sameSizeGrow set while not growing");
    }
    for (uintptr_t i = 0; i < nb; i++) {
        struct bmap *b = map_bucket(h, h->buckets, i);
        if (h->oldbuckets && !map_evacuated(map_bucket(h, h->oldbuckets, i & (nold - 1))))
            CHECK(b->tophash[0] == emptyRest && !map_overflow(h, b),
                  "new bucket %zu filled before its old bucket was evacuated", (size_t)i);
        checkchain(h, b, i, nb - 1, h->hashbits, false, &live, &novf);
    }
    CHECK(live == h->count, "count %zu, but %zu live entries", (size_t)h->count, (size_t)live);
    CHECK(novf == h->noverflow, "noverflow %u, but %u overflow buckets", h->noverflow, novf);
}
