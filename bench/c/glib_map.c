/*
 * glib_map.c: the map workloads of issue 4 on GLib's GHashTable, the second
 * reference column of the table (../shared/WORKLOADS.md, "Map workloads"
 * and the mapspeed rows).
 *
 * GHashTable stores pointers, so int64 keys live in an array `ikeys`
 * (filled before timing) and the table stores &ikeys[i]; lookups and
 * deletes pass the address of a local holding hit(i)/miss(i).  Values are
 * GSIZE_TO_POINTER(i).  String keys are the NUL-terminated keys of
 * mapkeys.h hashed with g_str_hash.  The bytes-per-entry figure counts
 * ikeys as well (rss0 is taken before it is filled): the keys have to live
 * somewhere, and Go's and gort's maps hold them inline.
 *
 * GLib hashes the whole key on every lookup, so the Meg* rows (1 MiB keys)
 * run 500 ops instead of Go's 100M/20k, as WORKLOADS.md allows.
 */
#include <glib.h>

#include "bench.h"
#include "mapkeys.h"

static gint64 *ikeys_make(int64_t n)
{
    gint64 *k = g_new(gint64, n);
    for (int64_t i = 0; i < n; i++)
        k[i] = key_hit(i);
    return k;
}

static GHashTable *build_int64(gint64 *ikeys, int64_t n)
{
    GHashTable *t = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (int64_t i = 0; i < n; i++)
        g_hash_table_insert(t, &ikeys[i], GSIZE_TO_POINTER(i));
    return t;
}

static void w_insert_int64(void)
{
    int64_t n = map_n();
    int64_t rss0 = bench_rss();
    gint64 *ikeys = ikeys_make(n);
    int64_t t0 = bench_now();
    GHashTable *t = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (int64_t i = 0; i < n; i++)
        g_hash_table_insert(t, &ikeys[i], GSIZE_TO_POINTER(i));
    int64_t t1 = bench_now();
    int64_t rss1 = bench_rss();
    if ((int64_t)g_hash_table_size(t) != n)
        bench_fail("map_insert_int64", "len %u, want %lld", g_hash_table_size(t), (long long)n);
    bench_emit("map_insert_int64", (double)(t1 - t0) / (double)n, "ns/op");
    bench_emit("map_int64_bytes_per_entry", (double)(rss1 - rss0) / (double)n, "bytes");
}

static void w_lookup_hit_int64(void)
{
    int64_t n = map_n(), hits = 0, sum = 0;
    GHashTable *t = build_int64(ikeys_make(n), n);
    int64_t t0 = bench_now();
    for (int p = 0; p < 10; p++)
        for (int64_t i = 0; i < n; i++) {
            gint64 k = key_hit(i);
            gpointer v;
            if (g_hash_table_lookup_extended(t, &k, NULL, &v)) {
                hits++;
                sum += (int64_t)GPOINTER_TO_SIZE(v);
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
    GHashTable *t = build_int64(ikeys_make(n), n);
    int64_t t0 = bench_now();
    for (int p = 0; p < 10; p++)
        for (int64_t i = 0; i < n; i++) {
            gint64 k = key_miss(i, n);
            if (g_hash_table_lookup_extended(t, &k, NULL, NULL))
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
    GHashTable *t = build_int64(ikeys_make(n), n);
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        gint64 k = key_hit(i);
        g_hash_table_remove(t, &k);
    }
    int64_t t1 = bench_now();
    if (g_hash_table_size(t) != 0)
        bench_fail("map_delete_int64", "len %u, want 0", g_hash_table_size(t));
    bench_emit("map_delete_int64", (double)(t1 - t0) / (double)n, "ns/op");
}

static void w_iterate_int64(void)
{
    int64_t n = map_n(), cnt = 0;
    uint64_t sum = 0;
    GHashTable *t = build_int64(ikeys_make(n), n);
    int64_t want = iterate_want(n);
    int64_t t0 = bench_now();
    for (int p = 0; p < 10; p++) {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, t);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            sum += (uint64_t)(*(gint64 *)k ^ (int64_t)GPOINTER_TO_SIZE(v));
            cnt++;
        }
    }
    int64_t t1 = bench_now();
    if (cnt != 10 * n || (int64_t)sum != want)
        bench_fail("map_iterate_int64", "n %lld sum %lld", (long long)cnt, (long long)sum);
    bench_emit("map_iterate_int64", (double)(t1 - t0) / (double)(10 * n), "ns/elem");
}

static void w_insert_str(void)
{
    int64_t n = map_n();
    char *keys = strkeys_make(n);
    int64_t t0 = bench_now();
    GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
    for (int64_t i = 0; i < n; i++)
        g_hash_table_insert(t, keys + i * STRKEY_STRIDE, GSIZE_TO_POINTER(i));
    int64_t t1 = bench_now();
    if ((int64_t)g_hash_table_size(t) != n)
        bench_fail("map_insert_str", "len %u, want %lld", g_hash_table_size(t), (long long)n);
    bench_emit("map_insert_str", (double)(t1 - t0) / (double)n, "ns/op");
}

static void w_lookup_str(void)
{
    int64_t n = map_n(), hits = 0, sum = 0;
    char *keys = strkeys_make(n);
    GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
    for (int64_t i = 0; i < n; i++)
        g_hash_table_insert(t, keys + i * STRKEY_STRIDE, GSIZE_TO_POINTER(i));
    int64_t t0 = bench_now();
    for (int p = 0; p < 10; p++)
        for (int64_t i = 0; i < n; i++) {
            gpointer v;
            if (g_hash_table_lookup_extended(t, keys + i * STRKEY_STRIDE, NULL, &v)) {
                hits++;
                sum += (int64_t)GPOINTER_TO_SIZE(v);
            }
        }
    int64_t t1 = bench_now();
    if (hits != 10 * n || sum != lookup_want(n))
        bench_fail("map_lookup_str", "hits %lld sum %lld", (long long)hits, (long long)sum);
    bench_emit("map_lookup_str", (double)(t1 - t0) / (double)(10 * n), "ns/op");
}

/* ---- mapspeed rows ------------------------------------------------- */

static void lookup_loop(const char *name, GHashTable *t, gconstpointer key,
                        int64_t ops, int64_t want_hits)
{
    int64_t hits = 0, t0 = bench_now();
    for (int64_t i = 0; i < ops; i++)
        if (g_hash_table_lookup_extended(t, key, NULL, NULL))
            hits++;
    int64_t t1 = bench_now();
    if (hits != want_hits)
        bench_fail(name, "hits %lld, want %lld", (long long)hits, (long long)want_hits);
    bench_emit(name, (double)(t1 - t0) / (double)ops, "ns/op");
}

enum { MEG = 1 << 20, MEG_OPS = 500 };

static void w_small_str(void)
{
    static const char *names[] = { "65", "66", "67", "68", "69", "70", "71" };
    GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < 7; i++)
        g_hash_table_insert(t, (gpointer)names[i], GINT_TO_POINTER(1));
    lookup_loop("SmallStrMap", t, "k", bench_scaled(100000000), 0);
}

static void w_int_map(void)
{
    static gint64 ks[8];
    GHashTable *t = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (int i = 0; i < 8; i++) {
        ks[i] = i;
        g_hash_table_insert(t, &ks[i], GINT_TO_POINTER(1));
    }
    gint64 key = 7;
    int64_t ops = bench_scaled(100000000);
    lookup_loop("IntMap", t, &key, ops, ops);
}

static void w_meg_map(void)
{
    static const char *sfx[] = { "65", "66", "67", "68", "69", "70", "71" };
    size_t len;
    GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; i < 7; i++)
        g_hash_table_insert(t, megstr(MEG - 1, 'X', sfx[i], &len), GINT_TO_POINTER(1));
    lookup_loop("MegMap", t, megstr(MEG - 1, 'X', "k", &len), bench_scaled(MEG_OPS), 0);
}

static void w_meg_one(void)
{
    size_t len;
    GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(t, megstr(MEG, 'X', "", &len), GINT_TO_POINTER(1));
    lookup_loop("MegOneMap", t, megstr(MEG, 'Y', "", &len), bench_scaled(MEG_OPS), 0);
}

static void w_meg_eq(void)
{
    size_t len;
    GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(t, megstr(MEG, 'X', "", &len), GINT_TO_POINTER(1));
    int64_t ops = bench_scaled(MEG_OPS);
    lookup_loop("MegEqMap", t, megstr(MEG, 'X', "", &len), ops, ops);
}

static void w_meg_empty(void)
{
    size_t len;
    GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
    lookup_loop("MegEmptyMap", t, megstr(MEG, 'X', "", &len), bench_scaled(MEG_OPS), 0);
}

static const struct workload glib_workloads[] = {
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
    return bench_main(argc, argv, glib_workloads, BENCH_NELEM(glib_workloads), bench_run_plain);
}
