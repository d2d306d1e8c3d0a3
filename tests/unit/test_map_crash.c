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

#ifndef GORT_SANITIZER
/* Two real threads writing one map: caught, as in Go (a race the
 * sanitizers would report first, so only in the plain build). */
static struct hmap *shared;
static void *writer(void *arg)
{
    int64_t base = (int64_t)(intptr_t)arg;
    for (int64_t i = 0;; i++) {
        int64_t k = base + (i & 0xfffff);
        gort_map_set(shared, &k, &i);
        if ((i & 0xffff) == 0xffff)
            for (int64_t j = 0; j < 0x10000; j++) {
                int64_t d = base + j;
                gort_map_delete(shared, &d);
            }
    }
    return NULL;
}
static void two_writers(void)
{
    shared = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    pthread_t a, b;
    pthread_create(&a, NULL, writer, (void *)(intptr_t)0);
    pthread_create(&b, NULL, writer, (void *)(intptr_t)(1 << 30));
    pthread_join(a, NULL);
}

Test(map_crash, concurrent_writes_threads, .timeout = 60)
{
    expect_fatal(two_writers, "fatal error: concurrent map writes");
}
#endif
