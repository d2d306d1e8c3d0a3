/*
 * map.h: the layout of a map (Go's hmap and bmap), shared by map.c,
 * map_fast.c and the debuggers (through DWARF; see dwarf/contract.def).
 *
 * A map is a struct hmap pointing at an array of 2^B buckets.  A bucket
 * (struct bmap) holds 8 entries:
 *
 *     offset 0          uint8_t tophash[8]     top byte of each entry's hash,
 *                                              or a mark (enum tophash_mark)
 *     keyoff            key slots [8]          keysize bytes each
 *     elemoff           elem slots [8]         elemsize bytes each
 *     overflowoff       struct bmap *overflow  next bucket of the chain
 *
 * with keyoff, elemoff and overflowoff exactly where a C compiler puts the
 * members of  struct { uint8_t tophash[8]; K keys[8]; V elems[8];
 * struct bmap *overflow; }  so the typed bucket struct of GORT_MAP_DECLARE
 * (gort.h) describes the same bytes and a debugger can print a bucket as
 * that struct.  Keys together and elems together (not key/elem pairs) so
 * that no padding is needed between e.g. an int64 key and an int8 elem.
 * A key or elem larger than 128 bytes is stored outside the bucket, and
 * its slot holds a pointer to it (indirectkey / indirectelem): buckets
 * stay small enough to scan, and evacuation moves pointers, not blobs.
 *
 * tophash[i] >= minTopHash: slot i holds an entry whose hash's top byte
 * is tophash[i] (bumped up by minTopHash when it collides with a mark).
 * Below minTopHash a byte is a mark: the slot is empty, or (in the old
 * array during growth) its entry has moved.
 */
#ifndef GORT_MAP_H
#define GORT_MAP_H

#include "runtime.h"

#include <string.h>

/* Numbers of the design.  Enums so a debugger reads them from DWARF. */
enum hmap_const {
    bucketCntBits = 3,
    bucketCnt = 1 << bucketCntBits,   /* entries per bucket */
    /* Load factor 6.5 (= loadFactorNum / loadFactorDen) entries per bucket
     * triggers growth; see the table in map.c. */
    loadFactorNum = 13,
    loadFactorDen = 2,
    /* Keys and elems larger than this are stored indirectly (Go's
     * maxKeySize and maxElemSize, both 128: one enumerator, because an
     * enum with two names for one value reads ambiguously in DWARF). */
    maxInlineSize = 128,
};

/* Values of tophash[i] below minTopHash (Go 1.12+'s marks). */
enum tophash_mark {
    emptyRest = 0,       /* this slot is empty, and so is every later slot and overflow bucket */
    emptyOne = 1,        /* this slot is empty */
    evacuatedX = 2,      /* entry valid, moved to the first half of the larger array */
    evacuatedY = 3,      /* same, moved to the second half */
    evacuatedEmpty = 4,  /* slot empty, bucket evacuated */
    minTopHash = 5,      /* smallest tophash of a live entry */
};

/* hmap.flags */
enum hmap_flag {
    iterator = 1,        /* there may be an iterator using buckets */
    oldIterator = 2,     /* there may be an iterator using oldbuckets */
    hashWriting = 4,     /* a goroutine is writing to the map */
    sameSizeGrow = 8,    /* the current growth is to a map of the same size */
};

/* How a map's keys are hashed and compared (the fast paths). */
enum map_keykind {
    mapKeyGeneric = 0,   /* the key descriptor's hash and equal */
    mapKey32 = 1,        /* 4 bytes compared as a word (map_fast.c) */
    mapKey64 = 2,        /* 8 bytes compared as a word (map_fast.c) */
    mapKeyStr = 3,       /* gort_string (map_fast.c) */
};

/* A bucket.  Only tophash has a fixed place; the slots follow at the
 * offsets the map's maptype gives (see above). */
struct bmap {
    uint8_t tophash[bucketCnt];
    /* keys, elems, overflow pointer follow */
};

/* A map type: what every operation needs to know about keys and elems. */
struct maptype {
    struct rtype        typ;          /* kind GORT_KIND_MAP; name "map[K]V" */
    const struct rtype *key;
    const struct rtype *elem;
    const char         *bucketname;   /* C type of a bucket in DWARF ("struct cache_bucket"),
                                         or NULL: print it from the offsets below */
    uint32_t            keysize;      /* size of a key slot (a pointer when indirectkey) */
    uint32_t            elemsize;     /* size of an elem slot (a pointer when indirectelem) */
    uint32_t            keyoff;       /* offset of keys[0] in a bucket */
    uint32_t            elemoff;      /* offset of elems[0] */
    uint32_t            overflowoff;  /* offset of the overflow pointer */
    uint32_t            bucketsize;
    uint8_t             indirectkey;
    uint8_t             indirectelem;
    uint8_t             reflexivekey;  /* k == k for every key (false for floats, NaN,
                                          and for any custom equality: see maketype) */
    uint8_t             needkeyupdate; /* overwrite the key on update (+0/-0): equality
                                          is not bytewise */
    uint8_t             keykind;       /* enum map_keykind */
};

/* Something freed while an iterator may still read it. */
struct mapgrave {
    void   *p;
    size_t  bytes;    /* a bucket array's size, or 0 */
};

/* A map. */
struct hmap {
    uintptr_t            count;       /* live entries: gort_map_len */
    uint8_t              flags;       /* enum hmap_flag */
    uint8_t              B;           /* log2 of the number of buckets */
    uint16_t             pad0;
    uint32_t             noverflow;   /* overflow buckets of the current array */
    uintptr_t            hash0;       /* hash seed, random per map */
    struct bmap         *buckets;     /* 2^B buckets */
    struct bmap         *oldbuckets;  /* half as many (or as many, sameSizeGrow) while growing, else NULL */
    uintptr_t            nevacuate;   /* old buckets below this are evacuated */
    const struct maptype *type;       /* key and elem types, bucket layout */
    /* copies of the type's numbers, for the debuggers and the hot paths */
    uint32_t             keysize;
    uint32_t             elemsize;
    uint32_t             bucketsize;
    uint8_t              indirectkey;
    uint8_t              indirectelem;
    uint8_t              keykind;
    /* Iterators that have started and not yet finished.  While any may
     * be live, arrays and indirect key/elem blocks that an iterator might
     * still read are not freed but kept in graveyard until none is. */
    _Atomic uint32_t     liveiters;
    struct mapgrave     *graveyard;
    uint32_t             ngrave, capgrave;
    gort_lock            gravelock;   /* graveyard: readers reap, writers add */
    /* Overflow buckets allocated with the current array (Go's
     * extra.nextOverflow): [nextoverflow, endoverflow) are still free. */
    struct bmap         *nextoverflow;
    struct bmap         *endoverflow;
    /* String-keyed maps: one byte per slot of each of the 2^B buckets
     * (not of overflow buckets), after the array's buckets: the hash bits
     * the next grows will need, so that a grow moves the entry without
     * reading its key's bytes again (map.c, "Hash bits").  NULL for maps
     * of other keys.  Both pointers are derivable from the arrays and B;
     * they are kept so the insert path need not compute them. */
    uint8_t             *hashbits;     /* of buckets */
    uint8_t             *oldhashbits;  /* of oldbuckets */
    /* gort_map_get's lookup for this map's keys and B (map_setlookup). */
    void              *(*get)(struct hmap *h, const void *key);
    struct maptype       mtype;       /* the type, when the map made its own */
};

/* ------------------------------------------------------------------ */
/* Between map.c and map_fast.c. */

static inline struct bmap *map_bucket(const struct hmap *h, struct bmap *arr, uintptr_t i)
{
    return (struct bmap *)((char *)arr + i * h->bucketsize);
}
static inline struct bmap **map_overflowp(const struct hmap *h, struct bmap *b)
{
    return (struct bmap **)((char *)b + h->type->overflowoff);
}
static inline struct bmap *map_overflow(const struct hmap *h, struct bmap *b)
{
    return *map_overflowp(h, b);
}
static inline void *map_key(const struct hmap *h, struct bmap *b, uintptr_t i)
{
    return (char *)b + h->type->keyoff + i * h->keysize;
}
static inline void *map_elem(const struct hmap *h, struct bmap *b, uintptr_t i)
{
    return (char *)b + h->type->elemoff + i * h->elemsize;
}
static inline uint8_t map_tophash(uintptr_t hash)
{
    uint8_t top = (uint8_t)(hash >> (8 * sizeof(uintptr_t) - 8));
    /* Without a branch: taken for 5 hashes in 256, it would be
     * mispredicted about as often, and a misprediction discards the
     * lookups the CPU had started after this one. */
    return (uint8_t)(top + (top < minTopHash ? minTopHash : 0));
}
/* A slot's hash bits in an array of 2^B buckets: bits B..B+6 of its
 * hash below a marker bit, so the byte says how many bits it still holds
 * (the position of its highest set bit).  A byte of 1 holds none: the
 * grow that needs a bit rehashes the key. */
enum { hashbitsNone = 1 };
static inline uint8_t map_hashbits(uintptr_t hash, uint8_t B)
{
    return (uint8_t)(0x80 | ((hash >> B) & 0x7f));
}
static inline bool map_isempty(uint8_t x) { return x <= emptyOne; }
static inline bool map_evacuated(const struct bmap *b)
{
    uint8_t h = b->tophash[0];
    return h > emptyOne && h < minTopHash;
}
static inline uintptr_t map_bucketmask(uint8_t B) { return ((uintptr_t)1 << B) - 1; }
static inline bool map_growing(const struct hmap *h) { return h->oldbuckets != NULL; }
static inline uint8_t map_flags(const struct hmap *h)
{
    return __atomic_load_n(&h->flags, __ATOMIC_RELAXED);
}
static inline void map_setflags(struct hmap *h, uint8_t f)
{
    __atomic_store_n(&h->flags, f, __ATOMIC_RELAXED);
}

/* docheck: run gort_map_check after every write (very slow; for hunting a
 * corruption).  Tests call gort_map_check themselves. */
enum { docheck = 0 };

/* memcpy, with the common sizes inline (a libc call costs more than the
 * copy of one word). */
static inline void copyslot(void *d, const void *s, size_t n)
{
    switch (n) {
    case 8: memcpy(d, s, 8); break;
    case 4: memcpy(d, s, 4); break;
    case 16: memcpy(d, s, 16); break;
    default: memmove(d, s, n); break;   /* s may be the slot itself */
    }
}

uintptr_t    map_hash(const struct hmap *h, const void *key);
/* The general paths (map.c), for keys without a fast path. */
void        *map_lookup(struct hmap *h, const void *key, void **kout);
void        *map_assign(struct hmap *h, const void *key);   /* -> elem slot */
bool         map_del(struct hmap *h, const void *key);
struct bmap *map_newarray(struct hmap *h, uint8_t B);   /* zeroed; becomes the current array */
void         map_growwork(struct hmap *h, uintptr_t bucket);
void         map_hashgrow(struct hmap *h);
bool         map_needgrow(const struct hmap *h);
struct bmap *map_newoverflow(struct hmap *h, struct bmap *b);
void         map_deleted(struct hmap *h, struct bmap *b, struct bmap *borig, uintptr_t i);
void         map_retire(struct hmap *h, void *p);
_Noreturn void map_concurrent_writes(void);
/* Sets hmap.get (map_fast.c): at creation and whenever B changes. */
void         map_setlookup(struct hmap *h);

/* The docheck invariant checker (map.c): fatal on the first violation. */
void gort_map_check(const struct hmap *h);

#endif /* GORT_MAP_H */
