/*
 * gort_map.c: the map workloads of issue 4 on libgort, written against
 * gort.h / API.md only (gort_map_new/get/set/delete/len and the iterator).
 * Definitions and keys: ../shared/WORKLOADS.md; the Go reference is
 * bench/go/maps.go, the GLib one bench/c/glib_map.c, all three with the
 * same keys (mapkeys.h), counts, timed regions and self-checks.
 *
 * Go's map[int64]int64 is gort_map_new(&gort_type_int64, &gort_type_int64,
 * 0) (no hint); map[string]X has gort_string keys (gort_type_string) that
 * point into the one key buffer, so lookups use the very key objects that
 * were inserted, as WORKLOADS.md asks.  Go's runtime.GC() after setup has
 * no counterpart (no GC).
 *
 * The mapspeed rows run Go's op counts unless one op costs so much that
 * the row would take over a second: then the count drops to what fits in
 * one second, never under 500 ops (WORKLOADS.md allows this; GLib uses 500
 * for the Meg* rows).  A 100-op calibration run, untimed, decides.  ns/op
 * is what is compared either way.
 */
#include <gort.h>

#include "bench.h"
#include "gort_runner.h"
#include "mapkeys.h"

static struct hmap *build_int64(int64_t n)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t i = 0; i < n; i++) {
        int64_t k = key_hit(i), v = i;
        gort_map_set(m, &k, &v);
    }
    return m;
}

static void w_insert_int64(void)
{
    int64_t n = map_n();
    int64_t rss0 = bench_rss();
    int64_t t0 = bench_now();
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t i = 0; i < n; i++) {
        int64_t k = key_hit(i), v = i;
        gort_map_set(m, &k, &v);
    }
    int64_t t1 = bench_now();
    int64_t rss1 = bench_rss();
    if ((int64_t)gort_map_len(m) != n)
        bench_fail("map_insert_int64", "len %zu, want %lld", gort_map_len(m), (long long)n);
    bench_emit("map_insert_int64", (double)(t1 - t0) / (double)n, "ns/op");
    bench_emit("map_int64_bytes_per_entry", (double)(rss1 - rss0) / (double)n, "bytes");
}

static void w_lookup_hit_int64(void)
{
    int64_t n = map_n(), hits = 0, sum = 0;
    struct hmap *m = build_int64(n);
    int64_t t0 = bench_now();
    for (int p = 0; p < 10; p++)
        for (int64_t i = 0; i < n; i++) {
            int64_t k = key_hit(i);
            const int64_t *v = gort_map_get(m, &k);
            if (v) {
                hits++;
                sum += *v;
            }
        }
    int64_t t1 = bench_now();
    if (hits != 10 * n || sum != lookup_want(n))
        bench_fail("map_lookup_hit_int64", "hits %lld sum %lld", (long long)hits, (long long)sum);
    bench_emit("map_lookup_hit_int64", (double)(t1 - t0) / (double)(10 * n), "ns/op");
}

static void w_lookup_miss_int64(void)
{
    int64_t n = map_n(), hits = 0;
    struct hmap *m = build_int64(n);
    int64_t t0 = bench_now();
    for (int p = 0; p < 10; p++)
        for (int64_t i = 0; i < n; i++) {
            int64_t k = key_miss(i, n);
            if (gort_map_get(m, &k))
                hits++;
        }
    int64_t t1 = bench_now();
    if (hits != 0)
        bench_fail("map_lookup_miss_int64", "hits %lld, want 0", (long long)hits);
    bench_emit("map_lookup_miss_int64", (double)(t1 - t0) / (double)(10 * n), "ns/op");
}

static void w_delete_int64(void)
{
    int64_t n = map_n();
    struct hmap *m = build_int64(n);
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        int64_t k = key_hit(i);
        gort_map_delete(m, &k);
    }
    int64_t t1 = bench_now();
    if (gort_map_len(m) != 0)
        bench_fail("map_delete_int64", "len %zu, want 0", gort_map_len(m));
    bench_emit("map_delete_int64", (double)(t1 - t0) / (double)n, "ns/op");
}

static void w_iterate_int64(void)
{
    int64_t n = map_n(), cnt = 0;
    uint64_t sum = 0;
    struct hmap *m = build_int64(n);
    int64_t want = iterate_want(n);
    int64_t t0 = bench_now();
    for (int p = 0; p < 10; p++) {
        gort_map_iter it;
        void *k, *v;
        gort_map_iter_init(&it, m);
        while (gort_map_next(&it, &k, &v)) {
            sum += (uint64_t)(*(int64_t *)k ^ *(int64_t *)v);
            cnt++;
        }
    }
    int64_t t1 = bench_now();
    if (cnt != 10 * n || (int64_t)sum != want)
        bench_fail("map_iterate_int64", "n %lld sum %lld", (long long)cnt, (long long)sum);
    bench_emit("map_iterate_int64", (double)(t1 - t0) / (double)(10 * n), "ns/elem");
}

/* The n string keys as gort_strings into one buffer (built untimed). */
static gort_string *strkeys(int64_t n)
{
    char *buf = strkeys_make(n);
    gort_string *keys = malloc((size_t)n * sizeof *keys);
    if (!keys) {
        fprintf(stderr, "strkeys: out of memory\n");
        exit(1);
    }
    for (int64_t i = 0; i < n; i++)
        keys[i] = (gort_string){ buf + i * STRKEY_STRIDE, STRKEY_LEN };
    return keys;
}

static void w_insert_str(void)
{
    int64_t n = map_n();
    gort_string *keys = strkeys(n);
    int64_t t0 = bench_now();
    struct hmap *m = gort_map_new(&gort_type_string, &gort_type_int64, 0);
    for (int64_t i = 0; i < n; i++)
        gort_map_set(m, &keys[i], &i);
    int64_t t1 = bench_now();
    if ((int64_t)gort_map_len(m) != n)
        bench_fail("map_insert_str", "len %zu, want %lld", gort_map_len(m), (long long)n);
    bench_emit("map_insert_str", (double)(t1 - t0) / (double)n, "ns/op");
}

static void w_lookup_str(void)
{
    int64_t n = map_n(), hits = 0, sum = 0;
    gort_string *keys = strkeys(n);
    struct hmap *m = gort_map_new(&gort_type_string, &gort_type_int64, 0);
    for (int64_t i = 0; i < n; i++)
        gort_map_set(m, &keys[i], &i);
    int64_t t0 = bench_now();
    for (int p = 0; p < 10; p++)
        for (int64_t i = 0; i < n; i++) {
            const int64_t *v = gort_map_get(m, &keys[i]);
            if (v) {
                hits++;
                sum += *v;
            }
        }
    int64_t t1 = bench_now();
    if (hits != 10 * n || sum != lookup_want(n))
        bench_fail("map_lookup_str", "hits %lld sum %lld", (long long)hits, (long long)sum);
    bench_emit("map_lookup_str", (double)(t1 - t0) / (double)(10 * n), "ns/op");
}

/* ---- mapspeed rows ------------------------------------------------- */

static int64_t lookups(struct hmap *m, const void *key, int64_t ops)
{
    int64_t hits = 0;
    for (int64_t i = 0; i < ops; i++)
        if (gort_map_get(m, key))
            hits++;
    return hits;
}

/* Time `ops` lookups of key (fewer if slow, see the top of this file) and
 * check that all or none hit. */
static void lookup_row(const char *name, struct hmap *m, const void *key,
                       int64_t ops, bool all_hit)
{
    enum { CALIB = 100 };
    int64_t c0 = bench_now();
    lookups(m, key, CALIB);
    double per = (double)(bench_now() - c0) / CALIB;
    if (per > 1000 && per * (double)ops > 1e9) {
        int64_t fit = (int64_t)(1e9 / per);
        ops = fit < 500 ? 500 : fit;
    }
    ops = bench_scaled(ops);
    int64_t t0 = bench_now();
    int64_t hits = lookups(m, key, ops);
    int64_t t1 = bench_now();
    if (hits != (all_hit ? ops : 0))
        bench_fail(name, "hits %lld, want %lld", (long long)hits, (long long)(all_hit ? ops : 0));
    bench_emit(name, (double)(t1 - t0) / (double)ops, "ns/op");
}

enum { MEG = 1 << 20 };
static const bool TRUE_VAL = true;

static struct hmap *strbool_map(void)
{
    return gort_map_new(&gort_type_string, &gort_type_bool, 0);
}

static gort_string gstr(const char *s, size_t len)
{
    return (gort_string){ s, (intptr_t)len };
}

static void w_small_str(void)
{
    static const char *names[] = { "65", "66", "67", "68", "69", "70", "71" };
    struct hmap *m = strbool_map();
    for (int i = 0; i < 7; i++) {
        gort_string k = gort_string_from(names[i]);
        gort_map_set(m, &k, &TRUE_VAL);
    }
    gort_string key = GORT_STR("k");
    lookup_row("SmallStrMap", m, &key, 100000000, false);
}

static void w_int_map(void)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_bool, 0);
    for (int64_t i = 0; i < 8; i++)
        gort_map_set(m, &i, &TRUE_VAL);
    int64_t key = 7;
    lookup_row("IntMap", m, &key, 100000000, true);
}

static void w_meg_map(void)
{
    static const char *sfx[] = { "65", "66", "67", "68", "69", "70", "71" };
    size_t len;
    struct hmap *m = strbool_map();
    for (int i = 0; i < 7; i++) {
        const char *s = megstr(MEG - 1, 'X', sfx[i], &len);
        gort_string k = gstr(s, len);
        gort_map_set(m, &k, &TRUE_VAL);
    }
    const char *s = megstr(MEG - 1, 'X', "k", &len);
    gort_string key = gstr(s, len);
    lookup_row("MegMap", m, &key, 100000000, false);
}

static void w_meg_one(void)
{
    size_t len;
    struct hmap *m = strbool_map();
    const char *s = megstr(MEG, 'X', "", &len);
    gort_string k = gstr(s, len);
    gort_map_set(m, &k, &TRUE_VAL);
    s = megstr(MEG, 'Y', "", &len);
    gort_string key = gstr(s, len);
    lookup_row("MegOneMap", m, &key, 100000000, false);
}

static void w_meg_eq(void)
{
    size_t len;
    struct hmap *m = strbool_map();
    const char *s = megstr(MEG, 'X', "", &len);
    gort_string k = gstr(s, len);
    gort_map_set(m, &k, &TRUE_VAL);
    s = megstr(MEG, 'X', "", &len);          /* equal bytes, another object */
    gort_string key = gstr(s, len);
    lookup_row("MegEqMap", m, &key, 20000, true);
}

static void w_meg_empty(void)
{
    size_t len;
    struct hmap *m = strbool_map();
    const char *s = megstr(MEG, 'X', "", &len);
    gort_string key = gstr(s, len);
    lookup_row("MegEmptyMap", m, &key, 100000000, false);
}

static const struct workload map_workloads[] = {
    { "map_insert_int64", "-", w_insert_int64 },
    { "map_lookup_hit_int64", "-", w_lookup_hit_int64 },
    { "map_lookup_miss_int64", "-", w_lookup_miss_int64 },
    { "map_delete_int64", "-", w_delete_int64 },
    { "map_iterate_int64", "-", w_iterate_int64 },
    { "map_insert_str", "-", w_insert_str },
    { "map_lookup_str", "-", w_lookup_str },
    { "SmallStrMap", "-", w_small_str },
    { "IntMap", "-", w_int_map },
    { "MegMap", "-", w_meg_map },
    { "MegOneMap", "-", w_meg_one },
    { "MegEqMap", "-", w_meg_eq },
    { "MegEmptyMap", "-", w_meg_empty },
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, map_workloads, BENCH_NELEM(map_workloads), bench_run_gort);
}
