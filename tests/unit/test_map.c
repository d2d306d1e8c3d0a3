/*
 * test_map.c: maps, without a scheduler (a plain thread calls gort_map_*).
 *
 * The seed's map_test scenarios (negative zero, NaN, growth with NaN and
 * with negative zero, iteration while growing and deleting, big items,
 * empty keys and values), struct and string keys, the typed macro, and a
 * differential test: millions of random operations against a plain array
 * model, with the invariant checker (gort_map_check) after every step.
 * Misuse and concurrent-misuse reports are in test_map_crash.c.
 */
#include "gort_test.h"
#include "map.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

static int64_t *get64(struct hmap *m, int64_t k) { return gort_map_get(m, &k); }
static void set64(struct hmap *m, int64_t k, int64_t v) { gort_map_set(m, &k, &v); }
static bool del64(struct hmap *m, int64_t k) { return gort_map_delete(m, &k); }

Test(map, basic_int64)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    cr_assert_eq(gort_map_len(m), 0);
    cr_assert_null(get64(m, 1));
    cr_assert(!del64(m, 1));
    for (int64_t i = 0; i < 10000; i++)
        set64(m, i * 7, i);
    cr_assert_eq(gort_map_len(m), 10000);
    gort_map_check(m);
    for (int64_t i = 0; i < 10000; i++) {
        int64_t *v = get64(m, i * 7);
        cr_assert(v && *v == i, "key %ld", (long)(i * 7));
        cr_assert_null(get64(m, i * 7 + 1));
    }
    set64(m, 7, -1);   /* update */
    cr_assert_eq(*get64(m, 7), -1);
    cr_assert_eq(gort_map_len(m), 10000);
    for (int64_t i = 0; i < 10000; i += 2)
        cr_assert(del64(m, i * 7));
    cr_assert(!del64(m, 0));
    cr_assert_eq(gort_map_len(m), 5000);
    gort_map_check(m);
    gort_map_free(m);
    gort_map_free(NULL);
}

Test(map, hint_and_free_midgrowth)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 1000);
    cr_assert_eq(m->B, 8, "1000 entries at 6.5 per bucket need 2^8 buckets, got 2^%u", m->B);
    /* 1665 > 6.5 * 256 starts a grow to 512; each later write moves at
     * most 9 of the 256 old buckets. */
    for (int64_t i = 0; i < 1668; i++)
        set64(m, i, i);
    cr_assert(m->oldbuckets != NULL, "a grow should be in progress");
    cr_assert(m->nevacuate < 256);
    gort_map_check(m);
    gort_map_free(m);   /* ASan: nothing leaks or double-frees mid-growth */
}

/* Go's TestNegativeZero. */
Test(map, negative_zero)
{
    struct hmap *m = gort_map_new(&gort_type_float64, &gort_type_int64, 0);
    double pz = 0.0, nz = copysign(0.0, -1.0);
    int64_t one = 1, two = 2;
    gort_map_set(m, &pz, &one);
    gort_map_set(m, &nz, &two);
    cr_assert_eq(gort_map_len(m), 1);
    cr_assert_eq(*(int64_t *)gort_map_get(m, &pz), 2);
    /* The key was updated: it is -0 now, as in Go. */
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *k, *v;
    cr_assert(gort_map_next(&it, &k, &v));
    cr_assert(signbit(*(double *)k), "key should be -0 after m[-0] = 2");
    cr_assert(!gort_map_next(&it, &k, &v));
    cr_assert(gort_map_delete(m, &pz));
    cr_assert_eq(gort_map_len(m), 0);
    gort_map_free(m);
}

/* Go's TestNaN... : every NaN insert is a new entry, none can be found. */
Test(map, nan_keys)
{
    struct hmap *m = gort_map_new(&gort_type_float64, &gort_type_int64, 0);
    double nan = NAN;
    int64_t sum = 0;
    for (int64_t i = 0; i < 1000; i++) {
        gort_map_set(m, &nan, &i);
        sum += i;
    }
    cr_assert_eq(gort_map_len(m), 1000);
    cr_assert_null(gort_map_get(m, &nan));
    cr_assert(!gort_map_delete(m, &nan));
    gort_map_check(m);
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *k, *v;
    int64_t n = 0, s = 0;
    while (gort_map_next(&it, &k, &v)) {
        cr_assert(isnan(*(double *)k));
        s += *(int64_t *)v;
        n++;
    }
    cr_assert_eq(n, 1000);
    cr_assert_eq(s, sum);
    gort_map_free(m);
}

/* Go's TestGrowWithNaN. */
Test(map, grow_with_nan)
{
    struct hmap *m = gort_map_new(&gort_type_float64, &gort_type_int64, 0);
    double nan = NAN;
    for (int64_t v = 1; v <= 4; v *= 2)
        gort_map_set(m, &nan, &v);
    int cnt = 0;
    int64_t s = 0;
    bool grow = true;
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *k, *v;
    while (gort_map_next(&it, &k, &v)) {
        if (grow) {
            for (int64_t i = 0; i < 100; i++) {
                double f = (double)i;
                gort_map_set(m, &f, &i);
            }
            grow = false;
        }
        double kk = *(double *)k;
        if (kk != kk) {
            cnt++;
            s |= *(int64_t *)v;
        }
    }
    cr_assert_eq(cnt, 3, "NaN keys returned %d times, want 3", cnt);
    cr_assert_eq(s, 7);
    gort_map_check(m);
    gort_map_free(m);
}

/* Go's TestGrowWithNegativeZero, with float64 keys: the four keys present
 * from the start come back once each while the map grows under the
 * iterator, and an update of the -0 key is seen with its value. */
Test(map, grow_with_negative_zero)
{
    struct hmap *m = gort_map_new(&gort_type_float64, &gort_type_int64, 4);
    double nz = copysign(0.0, -1.0);
    int64_t vals[4] = { 1, 2, 4, 8 };
    double keys[4] = { nz, 1.5, 2.5, 3.5 };
    for (int i = 0; i < 4; i++)
        gort_map_set(m, &keys[i], &vals[i]);
    bool grow = true;
    int cnts[4] = { 0 };
    int64_t s = 0;
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *k, *v;
    while (gort_map_next(&it, &k, &v)) {
        if (grow) {
            for (int64_t i = 0; i < 10000; i++) {
                double f = 100.0 + (double)i;
                int64_t z = 0;
                gort_map_set(m, &f, &z);
            }
            grow = false;
        }
        double kk = *(double *)k;
        if (kk >= 100.0)
            continue;   /* added during the iteration: may or may not appear */
        s += *(int64_t *)v;
        int idx = kk == 0 ? 0 : (int)(kk - 0.5);
        cnts[idx]++;
        if (kk == 0) {
            cr_assert(signbit(kk), "-0 key lost its sign");
            cr_assert_eq(*(int64_t *)v, 1, "key and value not updated together");
        }
    }
    for (int i = 0; i < 4; i++)
        cr_assert_eq(cnts[i], 1, "key %g returned %d times", keys[i], cnts[i]);
    cr_assert_eq(s, 15);
    gort_map_check(m);
    gort_map_free(m);
}

/* Go's TestIterGrowAndDelete. */
Test(map, iterate_grow_and_delete)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 4);
    for (int64_t i = 0; i < 100; i++)
        set64(m, i, i);
    bool grow = true;
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *k, *v;
    while (gort_map_next(&it, &k, &v)) {
        int64_t kk = *(int64_t *)k;
        if (grow) {
            for (int64_t i = 100; i < 1000; i++)
                set64(m, i, i);
            for (int64_t i = 1; i < 1000; i += 2)
                del64(m, i);
            grow = false;
        } else {
            cr_assert(!(kk & 1), "deleted odd key %ld returned", (long)kk);
        }
    }
    gort_map_check(m);
    gort_map_free(m);
}

/* Every key present for the whole iteration comes back exactly once, and
 * a key deleted during it never comes back afterwards, while the map grows
 * several times under the iterator (int64, string and generic keys). */
static void iterate_while_growing(struct hmap *m, void (*setk)(struct hmap *, int64_t),
                                  bool (*delk)(struct hmap *, int64_t),
                                  int64_t (*keyof)(const void *))
{
    enum { n0 = 2000, nadd = 20000 };
    static uint8_t seen[n0 + nadd];
    static bool deleted[n0 + nadd];
    memset(seen, 0, sizeof seen);
    memset(deleted, 0, sizeof deleted);
    for (int64_t i = 0; i < n0; i++)
        setk(m, i);
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *k, *v;
    int64_t next = n0, steps = 0;
    uint64_t r = 12345;
    while (gort_map_next(&it, &k, &v)) {
        int64_t kk = keyof(k);
        cr_assert(kk >= 0 && kk < n0 + nadd);
        cr_assert(!deleted[kk], "key %ld returned after its deletion", (long)kk);
        cr_assert_eq(seen[kk], 0, "key %ld returned twice", (long)kk);
        seen[kk] = 1;
        /* grow: add 10 keys; delete one random original key */
        for (int j = 0; j < 10 && next < n0 + nadd; j++)
            setk(m, next++);
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        int64_t d = (int64_t)((r >> 33) % n0);
        if (!deleted[d] && delk(m, d))
            deleted[d] = true;
        if ((++steps & 63) == 0)
            gort_map_check(m);
    }
    for (int64_t i = 0; i < n0; i++)
        if (!deleted[i])
            cr_assert_eq(seen[i], 1, "key %ld present throughout, returned %d times",
                         (long)i, seen[i]);
    gort_map_check(m);
    gort_map_free(m);
}

static void set_i(struct hmap *m, int64_t i) { set64(m, i, i); }
static bool del_i(struct hmap *m, int64_t i) { return del64(m, i); }
static int64_t key_i(const void *k) { return *(const int64_t *)k; }

static char strbuf[22000][24];
static gort_string skey(int64_t i)
{
    snprintf(strbuf[i], sizeof strbuf[i], "k%ld", (long)i);
    return gort_string_from(strbuf[i]);
}
static void set_s(struct hmap *m, int64_t i) { gort_string s = skey(i); gort_map_set(m, &s, &i); }
static bool del_s(struct hmap *m, int64_t i) { gort_string s = skey(i); return gort_map_delete(m, &s); }
static int64_t key_s(const void *k) { return atol(((const gort_string *)k)->str + 1); }

struct key12 { int32_t a, b, c; };
GORT_DEFINE_TYPE(maptest_key12, struct key12);
static void set_g(struct hmap *m, int64_t i) { struct key12 k = { (int32_t)i, 7, -1 }; gort_map_set(m, &k, &i); }
static bool del_g(struct hmap *m, int64_t i) { struct key12 k = { (int32_t)i, 7, -1 }; return gort_map_delete(m, &k); }
static int64_t key_g(const void *k) { return ((const struct key12 *)k)->a; }

Test(map, iterate_while_growing_int64)
{
    iterate_while_growing(gort_map_new(&gort_type_int64, &gort_type_int64, 0), set_i, del_i, key_i);
}
Test(map, iterate_while_growing_string)
{
    iterate_while_growing(gort_map_new(&gort_type_string, &gort_type_int64, 0), set_s, del_s, key_s);
}
Test(map, iterate_while_growing_struct)
{
    iterate_while_growing(gort_map_new(&maptest_key12, &gort_type_int64, 0), set_g, del_g, key_g);
}

/* Go's TestBigItems: keys and values over 128 bytes are stored indirectly. */
struct big { char s[256]; };
GORT_DEFINE_TYPE(maptest_big, struct big);

Test(map, big_items)
{
    struct hmap *m = gort_map_new(&maptest_big, &maptest_big, 0);
    cr_assert(m->indirectkey && m->indirectelem);
    struct big k, v;
    for (int i = 0; i < 100; i++) {
        memset(&k, 0, sizeof k);
        memset(&v, 0, sizeof v);
        snprintf(k.s, sizeof k.s, "string%02d", i);
        snprintf(v.s, sizeof v.s, "string%02d", i);
        k.s[255] = (char)i;
        gort_map_set(m, &k, &v);
    }
    cr_assert_eq(gort_map_len(m), 100);
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *kp, *vp;
    int got[100] = { 0 };
    while (gort_map_next(&it, &kp, &vp)) {
        const struct big *kk = kp, *vv = vp;
        int i = (unsigned char)kk->s[255];
        cr_assert(i < 100);
        cr_assert_str_eq(kk->s, vv->s);
        got[i]++;
    }
    for (int i = 0; i < 100; i++)
        cr_assert_eq(got[i], 1);
    for (int i = 0; i < 100; i += 3) {
        memset(&k, 0, sizeof k);
        snprintf(k.s, sizeof k.s, "string%02d", i);
        k.s[255] = (char)i;
        cr_assert(gort_map_delete(m, &k));
    }
    gort_map_check(m);
    gort_map_free(m);
}

/* Empty keys and values (GNU C's zero-size struct): one key only. */
struct empty { };
GORT_DEFINE_TYPE(maptest_empty, struct empty);

Test(map, empty_keys_and_values)
{
    struct empty e;
    struct hmap *m = gort_map_new(&maptest_empty, &maptest_empty, 0);
    gort_map_set(m, &e, &e);
    gort_map_set(m, &e, &e);
    cr_assert_eq(gort_map_len(m), 1);
    cr_assert_not_null(gort_map_get(m, &e));
    cr_assert(gort_map_delete(m, &e));
    cr_assert_eq(gort_map_len(m), 0);
    gort_map_free(m);

    struct hmap *s = gort_map_new(&gort_type_int64, &maptest_empty, 0);   /* a set */
    for (int64_t i = 0; i < 1000; i++)
        gort_map_set(s, &i, NULL);
    cr_assert_eq(gort_map_len(s), 1000);
    int64_t x = 999;
    cr_assert_not_null(gort_map_get(s, &x));
    gort_map_check(s);
    gort_map_free(s);
}

/* Struct keys via GORT_DEFINE_TYPE: 8 bytes (the 64-bit fast path) and
 * 12 bytes (the generic path). */
struct point { int32_t x, y; };
GORT_DEFINE_TYPE(maptest_point, struct point);

Test(map, struct_keys)
{
    struct hmap *m = gort_map_new(&maptest_point, &maptest_key12, 0);
    cr_assert_eq(m->keykind, mapKey64);
    for (int32_t x = 0; x < 100; x++)
        for (int32_t y = 0; y < 100; y++) {
            struct point p = { x, y };
            struct key12 v = { x, y, x * y };
            gort_map_set(m, &p, &v);
        }
    cr_assert_eq(gort_map_len(m), 10000);
    struct point p = { 42, 17 };
    struct key12 *v = gort_map_get(m, &p);
    cr_assert(v && v->c == 42 * 17);
    gort_map_check(m);
    gort_map_free(m);

    struct hmap *g = gort_map_new(&maptest_key12, &gort_type_int64, 0);
    cr_assert_eq(g->keykind, mapKeyGeneric);
    for (int64_t i = 0; i < 5000; i++)
        set_g(g, i);
    struct key12 k = { 4999, 7, -1 }, no = { 4999, 7, 0 };
    cr_assert_eq(*(int64_t *)gort_map_get(g, &k), 4999);
    cr_assert_null(gort_map_get(g, &no));
    gort_map_check(g);
    gort_map_free(g);
}

/* String keys, including the one-bucket shortcuts for long keys: two
 * candidates that agree in length and end bytes make the lookup hash. */
Test(map, string_keys)
{
    struct hmap *m = gort_map_new(&gort_type_string, &gort_type_int64, 0);
    enum { L = 4096 };
    static char a[L], b[L], c[L], d[L];
    memset(a, 'x', L);
    memset(b, 'x', L);
    memset(c, 'x', L);
    memset(d, 'x', L);
    b[100] = 'y';
    c[200] = 'z';   /* a, b, c: same length, same first and last 4 bytes */
    d[300] = 'w';   /* never inserted */
    gort_string sa = { a, L }, sb = { b, L }, sc = { c, L }, sd = { d, L }, sshort = { a, 10 };
    int64_t one = 1, two = 2, three = 3;
    gort_map_set(m, &sa, &one);
    cr_assert_eq(*(int64_t *)gort_map_get(m, &sa), 1);
    cr_assert_null(gort_map_get(m, &sb));       /* one candidate, compared */
    gort_map_set(m, &sb, &two);
    gort_map_set(m, &sc, &three);
    cr_assert_eq(m->B, 0);
    cr_assert_null(gort_map_get(m, &sd));       /* three candidates: hashed */
    cr_assert_null(gort_map_get(m, &sshort));   /* length differs */
    static char b2[L];
    memcpy(b2, b, L);
    gort_string sb2 = { b2, L };                /* equal bytes, other memory */
    cr_assert_eq(*(int64_t *)gort_map_get(m, &sb2), 2);
    gort_string e = { "", 0 };
    gort_map_set(m, &e, &three);
    cr_assert_eq(*(int64_t *)gort_map_get(m, &e), 3);
    gort_string k1 = GORT_STR("k");
    cr_assert_null(gort_map_get(m, &k1));
    cr_assert(gort_map_delete(m, &sb2));
    cr_assert_null(gort_map_get(m, &sb));
    cr_assert_eq(gort_map_len(m), 3);
    gort_map_check(m);
    gort_map_free(m);
}

Test(map, uint32_keys)
{
    static const struct rtype u32 = { .size = 4, .align = 4, .kind = GORT_KIND_UINT32,
                                      .hash = gort_memhash, .equal = gort_memequal,
                                      .name = "uint32_t" };
    struct hmap *m = gort_map_new(&u32, &gort_type_int64, 0);
    cr_assert_eq(m->keykind, mapKey32);
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t k = i * 2654435761u;
        int64_t v = i;
        gort_map_set(m, &k, &v);
    }
    for (uint32_t i = 0; i < 20000; i += 2) {
        uint32_t k = i * 2654435761u;
        cr_assert(gort_map_delete(m, &k));
    }
    uint32_t k = 3 * 2654435761u;
    cr_assert_eq(*(int64_t *)gort_map_get(m, &k), 3);
    cr_assert_eq(gort_map_len(m), 10000);
    gort_map_check(m);
    gort_map_free(m);
}

/* The typed convenience macro. */
struct cacheent { int64_t hits; double score; };
GORT_DEFINE_TYPE(maptest_cacheent, struct cacheent);
GORT_MAP_DECLARE(scores, gort_string, struct cacheent, gort_type_string, maptest_cacheent);
GORT_MAP_DECLARE(counts, int64_t, int32_t, gort_type_int64, gort_type_int32);

Test(map, typed_macro)
{
    struct hmap *m = scores_new(0);
    cr_assert_str_eq(m->type->bucketname, "struct scores_bucket");
    cr_assert_eq(m->bucketsize, sizeof(struct scores_bucket));
    cr_assert_eq(m->type->elemoff, offsetof(struct scores_bucket, elems));
    cr_assert_eq(m->type->overflowoff, offsetof(struct scores_bucket, overflow));
    scores_set(m, GORT_STR("alpha"), (struct cacheent){ 3, 0.5 });
    scores_set(m, GORT_STR("beta"), (struct cacheent){ 4, 1.5 });
    struct cacheent *e = scores_get(m, GORT_STR("beta"));
    cr_assert(e && e->hits == 4 && e->score == 1.5);
    cr_assert(scores_delete(m, GORT_STR("alpha")));
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    gort_string *k;
    struct cacheent *v;
    int n = 0;
    while (scores_next(&it, &k, &v))
        n++;
    cr_assert_eq(n, 1);
    gort_map_free(m);

    struct hmap *c = counts_new(0);
    cr_assert_eq(c->type->elemoff, offsetof(struct counts_bucket, elems));
    cr_assert_eq(c->bucketsize, sizeof(struct counts_bucket));
    for (int64_t i = 0; i < 100; i++)
        counts_set(c, i, (int32_t)i * 2);
    cr_assert_eq(*counts_get(c, 50), 100);
    gort_map_free(c);
}

/* Differential test: random operations against a model (an array indexed
 * by key number), gort_map_check after every step.  Rounds vary the key
 * kind (int64 fast path, string fast path, generic struct, indirect big
 * keys) and the key range (small ranges keep the map near a growth
 * boundary and churn deletions into same-size grows). */
struct dkey { int64_t n; char pad[136]; };   /* > 128: indirect */
GORT_DEFINE_TYPE(maptest_dkey, struct dkey);

static char dstr[1500][16];

static void mkkey(int kind, int64_t n, void *out)
{
    switch (kind) {
    case 0: *(int64_t *)out = n * 0x9E3779B97F4A7C15ll; break;
    case 1: *(gort_string *)out = gort_string_from(dstr[n]); break;
    case 2: *(struct key12 *)out = (struct key12){ (int32_t)n, (int32_t)(n >> 3), 5 }; break;
    default: memset(out, 0, sizeof(struct dkey)); ((struct dkey *)out)->n = n; break;
    }
}

Test(map, differential, .timeout = 600)
{
    for (int i = 0; i < 1500; i++)
        snprintf(dstr[i], sizeof dstr[i], "s%d", i * 7919);
    static const struct rtype *const ktypes[4] = { &gort_type_int64, &gort_type_string,
                                                   &maptest_key12, &maptest_dkey };
    static int64_t model[1500];
    static bool present[1500];
    long total = GT_SCALE(2000000), done = 0;
    uint64_t r = 88172645463325252ull;
#define RND() (r ^= r << 13, r ^= r >> 7, r ^= r << 17, r)
    for (int round = 0; done < total; round++) {
        int kind = round % 4;
        int64_t range = (int64_t[]){ 9, 60, 400, 1500 }[(round / 4) % 4];
        struct hmap *m = gort_map_new(ktypes[kind], &gort_type_int64, RND() % 3 == 0 ? RND() % 100 : 0);
        memset(present, 0, sizeof present);
        size_t count = 0;
        long ops = 5000;
        union { int64_t i; gort_string s; struct key12 g; struct dkey d; } key;
        for (long op = 0; op < ops; op++, done++) {
            int64_t n = (int64_t)(RND() % (uint64_t)range);
            mkkey(kind, n, &key);
            unsigned what = RND() % 10;
            if (what < 5) {
                int64_t v = (int64_t)RND();
                int64_t *slot = gort_map_set(m, &key, &v);
                cr_assert_eq(*slot, v);
                if (!present[n])
                    count++;
                present[n] = true;
                model[n] = v;
            } else if (what < 8) {
                bool had = gort_map_delete(m, &key);
                cr_assert_eq(had, present[n], "delete of key %ld", (long)n);
                if (had)
                    count--;
                present[n] = false;
            } else {
                int64_t *v = gort_map_get(m, &key);
                cr_assert_eq(v != NULL, present[n], "get of key %ld", (long)n);
                if (v)
                    cr_assert_eq(*v, model[n]);
            }
            cr_assert_eq(gort_map_len(m), count);
            gort_map_check(m);
        }
        /* a full iteration agrees with the model */
        gort_map_iter it;
        gort_map_iter_init(&it, m);
        void *kp, *vp;
        size_t seen = 0;
        while (gort_map_next(&it, &kp, &vp)) {
            seen++;
            int64_t *v = gort_map_get(m, kp);
            cr_assert(v == vp, "iteration returned a stale entry");
        }
        cr_assert_eq(seen, count);
        gort_map_free(m);
    }
#undef RND
}

/* Passing the map's own memory back (an elem pointer from get, a key
 * pointer from iteration) is fine: the copies may overlap themselves. */
Test(map, self_aliasing)
{
    struct hmap *m = gort_map_new(&maptest_big, &maptest_big, 0);
    struct big k = { "key" }, v = { "value" };
    struct big *slot = gort_map_set(m, &k, &v);
    cr_assert_eq(gort_map_set(m, &k, slot), slot);
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *kp, *vp;
    cr_assert(gort_map_next(&it, &kp, &vp));
    gort_map_set(m, kp, vp);
    cr_assert_str_eq(((struct big *)gort_map_get(m, &k))->s, "value");
    gort_map_free(m);

    struct hmap *f = gort_map_new(&gort_type_float64, &gort_type_float64, 0);
    double x = 1.5;
    double *e = gort_map_set(f, &x, &x);
    gort_map_set(f, e, e);
    gort_map_iter_init(&it, f);
    cr_assert(gort_map_next(&it, &kp, &vp));
    gort_map_set(f, kp, vp);   /* float keys are rewritten on update */
    cr_assert_eq(gort_map_len(f), 1);
    gort_map_free(f);
}

/* Concurrent readers are allowed (as in Go): lookups and iterations from
 * two threads at once, clean under TSan. */
static struct hmap *readmap;
static void *reader(void *arg)
{
    (void)arg;
    long bad = 0;
    for (int round = 0; round < GT_SCALE(20); round++) {
        for (int64_t i = 0; i < 5000; i++) {
            int64_t *v = get64(readmap, i);
            if (!v || *v != i * 3)
                bad++;
        }
        gort_map_iter it;
        gort_map_iter_init(&it, readmap);
        void *k, *v;
        long n = 0;
        while (gort_map_next(&it, &k, &v))
            n++;
        if (n != 5000)
            bad++;
    }
    return (void *)bad;
}

Test(map, concurrent_readers)
{
    readmap = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t i = 0; i < 5000; i++)
        set64(readmap, i, i * 3);
    pthread_t a, b;
    pthread_create(&a, NULL, reader, NULL);
    pthread_create(&b, NULL, reader, NULL);
    void *ra, *rb;
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    cr_assert_eq((long)ra + (long)rb, 0);
    gort_map_free(readmap);
}
