/*
 * hello.c: the smallest gort program, and the first smoke test of a build.
 * Written only against API.md's "Entry, goroutines, time" section.
 *
 * Goroutine 1 (hello_main) starts three workers; each greets, yields, then
 * sleeps a little longer than the one before, so their "done" lines come
 * out in order 1, 2, 3.  Goroutine 1 sleeps until all have finished
 * (counting with an atomic) and returns 0.  Run it with GORTMAXPROCS=1 and
 * =2: the output is the same set of lines, "done" lines in order, and
 * "goroutines at the end: 1".
 *
 * Not a debugging story (tests/samples/test_stories.py has none for it):
 * nothing goes wrong and nothing waits for long, so there is no state for
 * a debugger to find.  It is the build's smoke test instead: gort-dwarf's
 * checks and the auto-load tests (tests/dwarf/) run on it.
 *
 * What a person should see:
 *     hello from goroutine 1
 *     worker 1 (goroutine 2) says hello      (these three in any order)
 *     ...
 *     worker 1 done
 *     worker 2 done
 *     worker 3 done
 *     goroutines at the end: 1
 */
#include <gort.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_int finished;

static void worker(void *arg)
{
    int n = (int)(intptr_t)arg;
    printf("worker %d (goroutine %lld) says hello\n", n, (long long)gort_goid());
    gort_yield();
    gort_sleep((int64_t)n * 20 * 1000 * 1000);      /* n * 20 ms */
    printf("worker %d done\n", n);
    atomic_fetch_add(&finished, 1);
}

static int hello_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("hello from goroutine %lld\n", (long long)gort_goid());
    for (int i = 1; i <= 3; i++)
        gort_go(worker, (void *)(intptr_t)i);
    int64_t start = gort_nanotime();
    while (atomic_load(&finished) < 3)
        gort_sleep(5 * 1000 * 1000);
    /* A finished worker decrements the count just after its last line:
     * give it a moment to be counted as gone. */
    while (gort_numgoroutine() > 1 && gort_nanotime() - start < 1000000000)
        gort_yield();
    printf("goroutines at the end: %d\n", gort_numgoroutine());
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    return gort_main(hello_main, argc, argv);
}
