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

/* Go's TestGrowWithNegativeZero.  Go's key is struct { float64 x; int y }
 * compared field by field; here the same struct with its own hash and
 * equality (GORT_DEFINE_TYPE_ALG), so +0 and -0 are one key.  Four +0
 * keys; at the first entry the iteration returns, 100 more keys force the
 * map to grow under the iterator, then every original key is set through
 * -0 with value | 16.  The map rewrites a key on update, so the first
 * entry comes back as +0 without 16 and the three others as -0 with 16:
 * key and value must agree, and each original key comes back once. */
struct floatint { double x; int64_t y; };
static uintptr_t floatint_hash(const struct rtype *t, const void *p, uintptr_t seed)
{
    const struct floatint *k = p;
    (void)t;
    seed = gort_type_int64.hash(&gort_type_int64, &k->y, seed);
    return gort_type_float64.hash(&gort_type_float64, &k->x, seed);
}
static bool floatint_equal(const struct rtype *t, const void *a, const void *b)
{
    const struct floatint *x = a, *y = b;
    (void)t;
    return x->x == y->x && x->y == y->y;
}
GORT_DEFINE_TYPE_ALG(maptest_floatint, struct floatint, floatint_hash, floatint_equal);

Test(map, grow_with_negative_zero)
{
    double negzero = copysign(0.0, -1.0);
    struct hmap *m = gort_map_new(&maptest_floatint, &gort_type_int64, 4);
    cr_assert_eq(m->B, 0, "hint 4: one bucket, so 100 inserts grow it several times");
    for (int64_t y = 0; y < 4; y++) {
        struct floatint k = { 0.0, y };
        int64_t v = (int64_t)1 << y;
        gort_map_set(m, &k, &v);
    }
    bool growflag = true;
    int64_t s = 0;
    int cnt = 0, negcnt = 0, perkey[4] = { 0 };
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *kp, *vp;
    while (gort_map_next(&it, &kp, &vp)) {
        const struct floatint *k = kp;
        int64_t v = *(int64_t *)vp;
        if (v == 0)
            continue;   /* an entry added to grow the table */
        cnt++;
        cr_assert(k->y >= 0 && k->y < 4);
        perkey[k->y]++;
        if (signbit(k->x)) {
            cr_assert(v & 16, "key/value not updated together 1 (key -0, value %ld)", (long)v);
            negcnt++;
            s |= v & 15;
        } else {
            cr_assert(!(v & 16), "key/value not updated together 2 (key +0, value %ld)", (long)v);
            s |= v;
        }
        if (growflag) {
            uint8_t B0 = m->B;
            for (int64_t i = 0; i < 100; i++) {
                struct floatint g = { 3.0, i };
                int64_t z = 0;
                gort_map_set(m, &g, &z);
            }
            cr_assert_gt(m->B, B0, "the map did not grow under the iterator");
            /* then change all the entries to negative zero */
            for (int64_t y = 0; y < 4; y++) {
                struct floatint k0 = { negzero, y };
                int64_t v0 = ((int64_t)1 << y) | 16;
                gort_map_set(m, &k0, &v0);
            }
            cr_assert_eq(gort_map_len(m), 104, "-0 made new keys instead of updating +0");
            growflag = false;
        }
    }
    cr_assert_eq(s, 15, "entry missing: %ld", (long)s);
    cr_assert_eq(cnt, 4, "wrong number of entries returned by iterator: %d", cnt);
    cr_assert_eq(negcnt, 3, "update to negzero missed by iteration: %d", negcnt);
    for (int y = 0; y < 4; y++)
        cr_assert_eq(perkey[y], 1, "key y=%d returned %d times", y, perkey[y]);
    gort_map_check(m);
    gort_map_free(m);
}

/* API.md spells the iterator `typedef struct gort_map_iter gort_map_iter;`:
 * both spellings name one type, on the caller's stack. */
Test(map, iter_struct_tag)
{
    _Static_assert(__builtin_types_compatible_p(struct gort_map_iter, gort_map_iter),
                   "struct gort_map_iter and gort_map_iter are one type");
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t i = 0; i < 50; i++)
        set64(m, i, i * i);
    struct gort_map_iter it;
    gort_map_iter *alias = &it;
    gort_map_iter_init(&it, m);
    void *k, *v;
    int64_t n = 0, sum = 0;
    while (gort_map_next(alias, &k, &v)) {
        cr_assert_eq(*(int64_t *)v, *(int64_t *)k * *(int64_t *)k);
        sum += *(int64_t *)k;
        n++;
    }
    cr_assert_eq(n, 50);
    cr_assert_eq(sum, 49 * 50 / 2);
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

/* An iteration scenario run with each kind of key: the word and string
 * fast paths and the generic one (a struct), on a map made with hint. */
#define ITER_TEST_EACH_KEY(scenario, hint)                                            \
    Test(map, scenario##_int64)                                                       \
    {                                                                                 \
        scenario(gort_map_new(&gort_type_int64, &gort_type_int64, hint), set_i, del_i, key_i); \
    }                                                                                 \
    Test(map, scenario##_string)                                                      \
    {                                                                                 \
        scenario(gort_map_new(&gort_type_string, &gort_type_int64, hint), set_s, del_s, key_s); \
    }                                                                                 \
    Test(map, scenario##_struct)                                                      \
    {                                                                                 \
        scenario(gort_map_new(&maptest_key12, &gort_type_int64, hint), set_g, del_g, key_g); \
    }

ITER_TEST_EACH_KEY(iterate_while_growing, 0)

/* Deletions and re-insertions while iterating a map that does not grow:
 * the iterator's usual case, which returns the slots it found occupied
 * when it read a bucket.  A small map (16 buckets), so that most deletions
 * hit the bucket being returned: a key deleted during the iteration is
 * never returned while it is absent, a key present throughout exactly
 * once (a re-inserted one may come back again, as in Go). */
static void iterate_delete_nogrow(struct hmap *m, void (*setk)(struct hmap *, int64_t),
                                  bool (*delk)(struct hmap *, int64_t),
                                  int64_t (*keyof)(const void *))
{
    enum { n = 80 };
    uint64_t r = 99;
    for (int round = 0; round < 300; round++) {
        uint8_t seen[n] = { 0 };
        bool absent[n] = { false }, touched[n] = { false };
        for (int64_t i = 0; i < n; i++)
            setk(m, i);
        uint8_t B0 = m->B;
        gort_map_iter it;
        gort_map_iter_init(&it, m);
        void *k, *v;
        while (gort_map_next(&it, &k, &v)) {
            int64_t kk = keyof(k);
            cr_assert(kk >= 0 && kk < n);
            cr_assert(!absent[kk], "key %ld returned while deleted", (long)kk);
            cr_assert(touched[kk] || seen[kk] == 0, "key %ld returned twice", (long)kk);
            seen[kk] = (uint8_t)(seen[kk] + 1);
            for (int j = 0; j < 3; j++) {
                r = r * 6364136223846793005ull + 1442695040888963407ull;
                int64_t d = (int64_t)((r >> 33) % n);
                if (j < 2 && !absent[d]) {   /* two deletions, one re-insertion */
                    cr_assert(delk(m, d));
                    absent[d] = touched[d] = true;
                } else if (j == 2 && absent[d]) {
                    setk(m, d);
                    absent[d] = false;
                }
            }
        }
        cr_assert_eq(m->B, B0, "the map grew");
        cr_assert_null(m->oldbuckets);
        for (int64_t i = 0; i < n; i++) {
            if (!touched[i])
                cr_assert_eq(seen[i], 1, "key %ld present throughout, returned %d times",
                             (long)i, seen[i]);
            if (!absent[i])
                delk(m, i);
        }
        gort_map_check(m);
        cr_assert_eq(gort_map_len(m), 0);
    }
    gort_map_free(m);
}

ITER_TEST_EACH_KEY(iterate_delete_nogrow, 80)

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

/* Short string keys (up to 16 bytes: map_fast.c compares their bytes and
 * hashes them inline) in a map of many buckets: found through equal bytes
 * in other memory, and missed when one byte differs, wherever it is, or
 * when the length does. */
Test(map, short_string_keys)
{
    enum { NLEN = 21, PER = 300 };
    static char keys[NLEN][PER][NLEN], copy[NLEN];
    struct hmap *m = gort_map_new(&gort_type_string, &gort_type_int64, 0);
    /* how many distinct keys of each length: i is in the first bytes */
#define NKEYS(len) ((len) == 0 ? 1 : (len) == 1 ? 26 : PER)
    for (int len = 0; len < NLEN; len++)
        for (int i = 0; i < NKEYS(len); i++) {
            for (int j = 0; j < len; j++)
                keys[len][i][j] = (char)('a' + (i * 7 + j * 13) % 26);
            if (len >= 1)
                keys[len][i][0] = (char)('A' + i % 26);
            if (len >= 2)
                keys[len][i][1] = (char)('A' + i / 26);
            gort_string k = { keys[len][i], len };
            int64_t v = len * 1000 + i;
            gort_map_set(m, &k, &v);
        }
    cr_assert_gt(m->B, 0);
    for (int len = 0; len < NLEN; len++)
        for (int i = 0; i < NKEYS(len); i++) {
            memcpy(copy, keys[len][i], (size_t)len);
            gort_string k = { copy, len };
            int64_t *v = gort_map_get(m, &k);
            cr_assert(v && *v == len * 1000 + i, "len %d key %d", len, i);
            for (int j = 0; j < len; j++) {
                copy[j] ^= 0x40;
                cr_assert_null(gort_map_get(m, &k), "len %d key %d byte %d", len, i, j);
                copy[j] ^= 0x40;
            }
            if (len >= 3) {   /* a prefix of another length, not inserted */
                gort_string p = { copy, len - 1 };
                int64_t *pv = gort_map_get(m, &p);
                cr_assert(!pv || *pv / 1000 == len - 1, "len %d key %d prefix", len, i);
            }
        }
#undef NKEYS
    gort_map_check(m);
    gort_map_free(m);
}

/* An elem aligned to 16 leaves padding between keys and elems: such a map
 * takes the generic path (map_fast.c assumes elems right after the keys),
 * and works. */
struct align16 { _Alignas(16) int64_t a; int64_t b; };
GORT_DEFINE_TYPE(maptest_align16, struct align16);

Test(map, elem_aligned_16)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &maptest_align16, 0);
    cr_assert_eq(m->keykind, mapKeyGeneric);
    cr_assert_eq(m->type->elemoff % 16, 0);
    for (int64_t i = 0; i < 5000; i++) {
        struct align16 v = { i, -i };
        gort_map_set(m, &i, &v);
    }
    for (int64_t i = 0; i < 5000; i++) {
        struct align16 *v = gort_map_get(m, &i);
        cr_assert(v && v->a == i && v->b == -i);
        cr_assert_eq((uintptr_t)v % 16, 0);
    }
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

/* Differential test: millions of random operations against a model (an
 * array indexed by key number), with the invariant checker.
 *
 * Rounds vary the key kind (int64 and uint32 fast paths, string fast path,
 * a generic struct, indirect keys over 128 bytes, float64 with Go's
 * semantics) and the key range (small ranges keep the map near a growth
 * boundary and churn deletions into same-size grows; large ones grow it
 * through many doublings).  Every value stored encodes its key's number
 * in its low 24 bits, so whatever an iteration returns names the model
 * entry it must match.
 *
 * float64 rounds follow Go: key 0 is stored as +0 or -0 at random and the
 * stored key takes the sign of the last assignment (m[-0] = v rewrites the
 * key); NaN keys (several bit patterns) are inserted now and then: each is
 * a new entry that get and delete never find.
 *
 * Iterations run *while* the operations go on (a few gort_map_next calls
 * between operations, started most often during a grow): every key present for the whole iteration
 * must come back exactly once, anything returned must be present at that
 * moment (a deleted key never comes back after its deletion) with its
 * current value, and every NaN present at the start comes back once. */
struct dkey { int64_t n; char pad[136]; };   /* > 128: indirect */
GORT_DEFINE_TYPE(maptest_dkey, struct dkey);

enum {
    dMaxRange = 50000,
    dMaxNaN = 1 << 12,
    dNaNBase = 1 << 20,            /* ids of NaN entries: dNaNBase + index */
    dIdMask = (1 << 24) - 1,       /* a value's low bits: its key's id */
    dKinds = 6,
};
static const int64_t dranges[] = { 9, 60, 400, 1500, 20000, dMaxRange };

/* Total operations: two million, plain and under ASan+UBSan (7-8 s per
 * million there on a loaded 2-core machine).  TSan has no threads to
 * watch here and is far slower on the small rounds, where the checker
 * runs after every operation: 50,000 (the small-range rounds only). */
#if defined(__SANITIZE_THREAD__)
#define DIFF_OPS 50000L
#else
#define DIFF_OPS 2000000L
#endif

static struct {
    int kind;
    int64_t range;
    const struct rtype *kt;
    struct hmap *m;
    uint64_t r;                       /* xorshift state */
    int64_t model[dMaxRange];         /* value of key n, when present[n] */
    bool present[dMaxRange];
    size_t count;                     /* non-NaN entries */
    int64_t nanval[dMaxNaN];          /* value of NaN entry i (never deleted) */
    uint32_t nnan;
    bool zneg;                        /* key 0 is stored as -0 (float64) */
    /* the iteration under way, if any */
    bool iterating;
    gort_map_iter it;
    bool throughout[dMaxRange];       /* present at the start, not deleted since */
    uint32_t seen[dMaxRange];
    uint32_t nanseen[dMaxNaN];
    uint32_t nnan0;                   /* NaN entries at the start */
} D;

static char dstr[dMaxRange][16];

static uint64_t drnd(void)
{
    D.r ^= D.r << 13;
    D.r ^= D.r >> 7;
    D.r ^= D.r << 17;
    return D.r;
}

static const struct rtype *const dktypes[dKinds] = {
    &gort_type_int64, &gort_type_string, &maptest_key12, &maptest_dkey,
    &gort_type_float64, &gort_type_uint32,
};

static double dfloat(int64_t n, bool neg0)
{
    if (n == 0)
        return neg0 ? copysign(0.0, -1.0) : 0.0;
    return (n & 1 ? -1.0 : 1.0) * ((double)n + 0.25);   /* distinct, never 0 */
}

static void mkkey(int kind, int64_t n, bool neg0, void *out)
{
    switch (kind) {
    case 0: *(int64_t *)out = n * 0x9E3779B97F4A7C15ll; break;
    case 1: *(gort_string *)out = gort_string_from(dstr[n]); break;
    case 2: *(struct key12 *)out = (struct key12){ (int32_t)n, (int32_t)(n >> 3), 5 }; break;
    case 3: memset(out, 0, sizeof(struct dkey)); ((struct dkey *)out)->n = n; break;
    case 4: *(double *)out = dfloat(n, neg0); break;
    default: *(uint32_t *)out = (uint32_t)n * 2654435761u; break;
    }
}

typedef union { int64_t i; gort_string s; struct key12 g; struct dkey d; double f; uint32_t u; } dkeybuf;

static int64_t dvalue(int64_t id) { return (int64_t)((drnd() << 24) | (uint64_t)id); }

static double dnan(void)
{
    static const uint64_t pats[] = { 0x7ff8000000000000ull, 0xfff8000000000000ull,
                                     0x7ff8000000000123ull, 0x7ff0000000000001ull,
                                     0xffffffffffffffffull };
    uint64_t b = pats[drnd() % 5];
    double f;
    memcpy(&f, &b, 8);
    return f;
}

static void diter_start(void)
{
    D.iterating = true;
    memcpy(D.throughout, D.present, (size_t)D.range * sizeof D.present[0]);
    memset(D.seen, 0, (size_t)D.range * sizeof D.seen[0]);
    memset(D.nanseen, 0, sizeof D.nanseen);
    D.nnan0 = D.nnan;
    struct gort_map_iter *it = &D.it;
    gort_map_iter_init(it, D.m);
}

/* One step of the iteration under way; checks it when it ends. */
static void diter_step(void)
{
    void *kp, *vp;
    if (!gort_map_next(&D.it, &kp, &vp)) {
        cr_assert_null(kp);
        for (int64_t n = 0; n < D.range; n++)
            if (D.throughout[n])
                cr_assert_eq(D.seen[n], 1, "kind %d: key %ld present throughout the "
                             "iteration, returned %u times", D.kind, (long)n, D.seen[n]);
        for (uint32_t i = 0; i < D.nnan0; i++)
            cr_assert_eq(D.nanseen[i], 1, "NaN entry %u returned %u times", i, D.nanseen[i]);
        D.iterating = false;
        return;
    }
    int64_t v = *(int64_t *)vp, id = v & dIdMask;
    if (id >= dNaNBase) {
        uint32_t i = (uint32_t)(id - dNaNBase);
        cr_assert(D.kind == 4 && i < D.nnan, "bad NaN id %u", i);
        cr_assert(isnan(*(double *)kp));
        cr_assert_eq(D.nanval[i], v, "NaN entry %u: wrong value", i);
        cr_assert_eq(D.nanseen[i]++, 0, "NaN entry %u returned twice", i);
        return;
    }
    cr_assert(id < D.range, "kind %d: value %#lx names no key", D.kind, (unsigned long)v);
    cr_assert(D.present[id], "kind %d: key %ld returned after its deletion", D.kind, (long)id);
    cr_assert_eq(D.model[id], v, "kind %d: key %ld returned with a stale value", D.kind, (long)id);
    dkeybuf want;
    mkkey(D.kind, id, D.zneg, &want);
    cr_assert(D.kt->equal(D.kt, kp, &want), "kind %d: key %ld returned with another key's "
              "value", D.kind, (long)id);
    if (D.kind == 4 && id == 0)
        cr_assert_eq(!!signbit(*(double *)kp), D.zneg, "key 0's sign is not the last one set");
    if (D.throughout[id])
        cr_assert_eq(D.seen[id], 0, "kind %d: key %ld returned twice", D.kind, (long)id);
    D.seen[id]++;
    cr_assert_eq(gort_map_get(D.m, kp), vp, "iteration returned an entry get does not find");
}

static void dop(void)
{
    int64_t n = (int64_t)(drnd() % (uint64_t)D.range);
    unsigned what = (unsigned)(drnd() % 100);
    dkeybuf key;
    bool neg0 = D.kind == 4 && n == 0 && (drnd() & 1);
    mkkey(D.kind, n, neg0, &key);
    if (D.kind == 4 && what < 2 && D.nnan < dMaxNaN) {
        double nan = dnan();
        int64_t v = dvalue(dNaNBase + D.nnan);
        int64_t *slot = gort_map_set(D.m, &nan, &v);
        cr_assert_eq(*slot, v);
        D.nanval[D.nnan++] = v;
        cr_assert_null(gort_map_get(D.m, &nan), "a NaN key was found");
        cr_assert(!gort_map_delete(D.m, &nan), "a NaN key was deleted");
    } else if (what < 52) {
        int64_t v = dvalue(n);
        int64_t *slot = gort_map_set(D.m, &key, &v);
        cr_assert_eq(*slot, v);
        if (!D.present[n])
            D.count++;
        D.present[n] = true;
        D.model[n] = v;
        if (D.kind == 4 && n == 0)
            D.zneg = neg0;   /* m[-0] = v makes the key -0, as in Go */
    } else if (what < 82) {
        bool had = gort_map_delete(D.m, &key);
        cr_assert_eq(had, D.present[n], "kind %d: delete of key %ld", D.kind, (long)n);
        if (had)
            D.count--;
        D.present[n] = false;
        D.throughout[n] = false;
    } else {
        int64_t *v = gort_map_get(D.m, &key);
        cr_assert_eq(v != NULL, D.present[n], "kind %d: get of key %ld", D.kind, (long)n);
        if (v)
            cr_assert_eq(*v, D.model[n]);
    }
    cr_assert_eq(gort_map_len(D.m), D.count + D.nnan);
}

Test(map, differential, .timeout = 600)
{
    for (int i = 0; i < dMaxRange; i++)
        snprintf(dstr[i], sizeof dstr[i], "s%d", i * 7919);
    D.r = 88172645463325252ull;
    long done = 0;
    for (int round = 0; done < DIFF_OPS; round++) {
        D.kind = round % dKinds;
        D.range = dranges[(round / dKinds) % (int)(sizeof dranges / sizeof dranges[0])];
        D.kt = dktypes[D.kind];
        D.m = gort_map_new(D.kt, &gort_type_int64, drnd() % 3 == 0 ? drnd() % 100 : 0);
        memset(D.present, 0, sizeof D.present);
        memset(D.throughout, 0, sizeof D.throughout);
        D.count = 0;
        D.nnan = 0;
        D.zneg = false;
        D.iterating = false;
        long ops = D.range < 2500 ? 5000 : 2 * D.range;
        /* the checker is O(entries): every step while the map is small */
        long stride = D.range <= 1500 ? 1 : D.range / 50;
        for (long op = 0; op < ops; op++, done++) {
            /* Iterations now and then, and most often when one would
             * start during a grow (the iterator then reads old buckets
             * not yet evacuated and must skip the other half's keys):
             * between 0 and 3 steps of it per operation. */
            if (!D.iterating && ((D.m->oldbuckets && (drnd() & 1)) || drnd() % 256 == 0))
                diter_start();
            dop();
            for (int k = (int)(drnd() % 4); D.iterating && k > 0; k--)
                diter_step();
            if (op % stride == 0)
                gort_map_check(D.m);
        }
        while (D.iterating)
            diter_step();
        gort_map_check(D.m);
        /* a full iteration, with no writes, agrees with the model */
        diter_start();
        while (D.iterating)
            diter_step();
        size_t seen = 0;
        for (int64_t n = 0; n < D.range; n++)
            seen += D.seen[n];
        cr_assert_eq(seen, D.count, "kind %d range %ld: iteration saw %zu of %zu keys",
                     D.kind, (long)D.range, seen, D.count);
        gort_map_free(D.m);
    }
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
