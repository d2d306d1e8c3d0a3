/*
 * test_map_crash.c: misuse of maps ends the process with Go's messages.
 *
 * Each case runs in a forked child whose stderr is captured; the test
 * checks that the child died of SIGABRT and printed the expected line.
 */
#include "gort_test.h"
#include "map.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

/* Run fn in a child; expect SIGABRT and `want` on its stderr. */
static void expect_fatal(void (*fn)(void), const char *want)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0);   /* not reached when the misuse is caught */
    }
    close(fds[1]);
    static char out[1 << 16];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof out - 1 && (r = read(fds[0], out + n, sizeof out - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = 0;
    close(fds[0]);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
              "child should abort; status %#x, stderr:\n%s", st, out);
    cr_assert(strstr(out, want), "stderr lacks \"%s\":\n%s", want, out);
}

static void set_null_map(void)
{
    int64_t k = 1, v = 2;
    gort_map_set(NULL, &k, &v);
}
static void get_null_key(void)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    gort_map_get(m, NULL);
}
static void delete_null_map(void)
{
    int64_t k = 1;
    gort_map_delete(NULL, &k);
}
static void new_null_type(void)
{
    gort_map_new(NULL, &gort_type_int64, 0);
}
static void noncomparable_key(void)
{
    static const struct rtype t = { .size = 8, .align = 8, .kind = GORT_KIND_STRUCT,
                                    .name = "struct nohash" };
    gort_map_new(&t, &gort_type_int64, 0);
}

Test(map_crash, null_arguments)
{
    expect_fatal(set_null_map, "fatal error: gort_map_set: NULL map");
    expect_fatal(get_null_key, "fatal error: gort_map_get: NULL key pointer");
    expect_fatal(delete_null_map, "fatal error: gort_map_delete: NULL map");
    expect_fatal(new_null_type, "fatal error: gort_map_new: NULL key type");
    expect_fatal(noncomparable_key, "gort_map_new: key type struct nohash is not comparable");
}

/* A write that finds another write in progress (the flag another thread's
 * write would have set), deterministically. */
static struct hmap *inprogress(const struct rtype *kt)
{
    struct hmap *m = gort_map_new(kt, &gort_type_int64, 0);
    for (int64_t i = 0; i < 100; i++) {
        gort_string s = GORT_STR("key");
        if (kt == &gort_type_string)
            gort_map_set(m, &s, &i);
        else
            gort_map_set(m, &i, &i);
    }
    m->flags |= hashWriting;
    return m;
}
static void write_during_write(void)
{
    int64_t k = 1;
    gort_map_set(inprogress(&gort_type_int64), &k, &k);
}
static void delete_during_write(void)
{
    gort_string s = GORT_STR("key");
    gort_map_delete(inprogress(&gort_type_string), &s);
}
static void read_during_write(void)
{
    int64_t k = 5;
    gort_map_get(inprogress(&gort_type_int64), &k);
}
static void iterate_during_write(void)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t i = 0; i < 100; i++)
        gort_map_set(m, &i, &i);
    gort_map_iter it;
    gort_map_iter_init(&it, m);
    void *k, *v;
    gort_map_next(&it, &k, &v);
    m->flags |= hashWriting;
    gort_map_next(&it, &k, &v);
}

Test(map_crash, concurrent_misuse_flags)
{
    expect_fatal(write_during_write, "fatal error: concurrent map writes");
    expect_fatal(delete_during_write, "fatal error: concurrent map writes");
    expect_fatal(read_during_write, "fatal error: concurrent map read and map write");
    expect_fatal(iterate_during_write, "fatal error: concurrent map iteration and map write");
}

/* GORT_MAP_DECLARE with descriptors that do not describe K and V.  The
 * buckets of int64 -> int32 and int32 -> int64 are the same size (112
 * bytes), so only the sizes of K and V give the mistake away. */
GORT_MAP_DECLARE(swapped, int64_t, int32_t, gort_type_int32, gort_type_int64);
GORT_MAP_DECLARE(badelem, int64_t, int32_t, gort_type_int64, gort_type_int64);
static void declare_swapped(void) { swapped_new(0); }
static void declare_badelem(void) { badelem_new(0); }

Test(map_crash, declare_mismatched_types)
{
    cr_assert_eq(sizeof(struct swapped_bucket), 112);
    expect_fatal(declare_swapped,
                 "fatal error: swapped_new: key type K is 8 bytes, but its descriptor int32_t says 4");
    expect_fatal(declare_badelem,
                 "fatal error: badelem_new: value type V is 4 bytes, but its descriptor int64_t says 8");
}

/* The invariant checker catches a corrupt map (a test that it can fail):
 * a wrong count, a tophash byte that is not its key's, an evacuation mark
 * in a map that is not growing, hash bits that are not the key's. */
static struct hmap *checked_map(void)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t i = 0; i < 500; i++)
        gort_map_set(m, &i, &i);
    gort_map_check(m);   /* sound before the corruption */
    return m;
}
/* The first live slot of bucket 0's chain, or of any bucket. */
static uint8_t *live_tophash(struct hmap *m)
{
    for (uintptr_t i = 0; i < ((uintptr_t)1 << m->B); i++)
        for (struct bmap *b = map_bucket(m, m->buckets, i); b; b = map_overflow(m, b))
            for (int j = 0; j < bucketCnt; j++)
                if (b->tophash[j] >= minTopHash)
                    return &b->tophash[j];
    return NULL;
}
static void corrupt_count(void)
{
    struct hmap *m = checked_map();
    m->count++;
    gort_map_check(m);
}
static void corrupt_tophash(void)
{
    struct hmap *m = checked_map();
    uint8_t *t = live_tophash(m);
    *t = *t < 255 ? *t + 1 : *t - 1;
    gort_map_check(m);
}
/* A string-keyed map's hash bits that are not its key's: a grow would
 * move the entry to the wrong half.  The lowest bit of the first live
 * slot, in a first bucket (where bits are kept), that still holds one. */
static void corrupt_hashbits(void)
{
    static char names[500][8];
    struct hmap *m = gort_map_new(&gort_type_string, &gort_type_int64, 0);
    for (int64_t i = 0; i < 500; i++) {
        snprintf(names[i], sizeof names[i], "k%d", (int)i);
        gort_string k = gort_string_from(names[i]);
        gort_map_set(m, &k, &i);
    }
    gort_map_check(m);
    for (uintptr_t i = 0; i < ((uintptr_t)1 << m->B); i++) {
        struct bmap *b = map_bucket(m, m->buckets, i);
        for (int j = 0; j < bucketCnt; j++) {
            uint8_t *bits = &m->hashbits[i * bucketCnt + (uintptr_t)j];
            if (b->tophash[j] >= minTopHash && *bits > hashbitsNone) {
                *bits ^= 1;
                gort_map_check(m);
                return;
            }
        }
    }
}
static void corrupt_mark(void)
{
    struct hmap *m = checked_map();
    *live_tophash(m) = evacuatedX;
    gort_map_check(m);
}

Test(map_crash, checker_finds_corruption)
{
    expect_fatal(corrupt_count, "fatal error: gort_map_check: count 501, but 500 live entries");
    expect_fatal(corrupt_tophash, "fatal error: gort_map_check: bucket ");
    expect_fatal(corrupt_tophash, ", key's is ");
    expect_fatal(corrupt_mark, "evacuation mark 2 in a bucket not evacuated");
    expect_fatal(corrupt_hashbits, "fatal error: gort_map_check: bucket ");
    expect_fatal(corrupt_hashbits, ": hash bits 0x");
}

#ifndef GORT_SANITIZER
/* Two real threads writing one map: caught, as in Go (a race the
 * sanitizers would report first, so only in the plain build).  The
 * writers only update keys that exist, so the map's structure never
 * changes under either of them: a writer that grew or freed buckets under
 * the other could crash the child with SIGSEGV before any check saw the
 * flag (Go's detection is best effort too), and the test would flake. */
static struct hmap *shared;
static void *writer(void *arg)
{
    int64_t base = (int64_t)(intptr_t)arg;
    for (int64_t i = 0;; i++) {
        int64_t k = (base + i) % 1000;
        gort_map_set(shared, &k, &i);
    }
    return NULL;
}
static void two_writers(void)
{
    shared = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t i = 0; i < 1000; i++)
        gort_map_set(shared, &i, &i);
    pthread_t a, b;
    pthread_create(&a, NULL, writer, (void *)(intptr_t)0);
    pthread_create(&b, NULL, writer, (void *)(intptr_t)500);
    pthread_join(a, NULL);
}

Test(map_crash, concurrent_writes_threads, .timeout = 60)
{
    expect_fatal(two_writers, "fatal error: concurrent map writes");
}

/* One thread iterating while another writes: the iterator reports it, as
 * in Go.  The writer only updates keys that exist, so the map's structure
 * never changes under the iterator (no grow, nothing freed) and the only
 * way the child can end is the report. */
static struct hmap *itermap;
static void *updater(void *arg)
{
    (void)arg;
    for (int64_t i = 0;; i++) {
        int64_t k = i % 1000;
        gort_map_set(itermap, &k, &i);
    }
    return NULL;
}
static void iterate_while_writing(void)
{
    itermap = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t i = 0; i < 1000; i++)
        gort_map_set(itermap, &i, &i);
    pthread_t w;
    pthread_create(&w, NULL, updater, NULL);
    for (;;) {
        gort_map_iter it;
        gort_map_iter_init(&it, itermap);
        void *k, *v;
        while (gort_map_next(&it, &k, &v))
            ;
    }
}

Test(map_crash, concurrent_iteration_threads, .timeout = 60)
{
    expect_fatal(iterate_while_writing, "fatal error: concurrent map iteration and map write");
}
#endif
