/*
 * ring.c: N goroutines deadlocked in one ring of mutexes, on the real
 * runtime, for gort-core's cycle reporting (tests/core/test_waitgraph.py).
 *
 * `ring [N [R]]` (N: 2..10000, default 100; R rings, default 1, N*R at
 * most 10000) starts goroutines w0..w(N*R-1); ring r is w(rN)..w(rN+N-1).
 * wk locks mu[k], waits until every worker holds its own mutex, then locks
 * the next mutex of its ring, which its neighbour holds.  Goroutine 1
 * waits for them on a waitgroup.  Nothing can proceed: the runtime reports
 * the deadlock and aborts, leaving a core.
 *
 * What gort-core must show: owner edges g(2+k) -> g(2+next(k)) (goroutine
 * ids start at 2 for w0), R cycles of exactly N goroutines, each starting
 * at its smallest id and certain (owner edges are exact); when N is over
 * the display limit, a cut cycle that says so instead of closing early;
 * when R is over the limit on cycles, a note of how many were left out.
 */
#include <gort.h>
#include <stdio.h>
#include <stdlib.h>

enum { MAXN = 10000 };
static gort_mutex mu[MAXN];
static gort_waitgroup holding = GORT_WAITGROUP_INIT, done = GORT_WAITGROUP_INIT;
static long n, rings;

static void worker(void *arg)
{
    long k = (long)(intptr_t)arg;
    gort_mutex_lock(&mu[k]);
    gort_waitgroup_done(&holding);
    gort_waitgroup_wait(&holding);
    long base = k - k % n;
    gort_mutex_lock(&mu[base + (k % n + 1) % n]);     /* never returns */
    gort_waitgroup_done(&done);
}

static int ring_main(int argc, char **argv)
{
    n = argc > 1 ? strtol(argv[1], NULL, 10) : 100;
    rings = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
    if (n < 2 || rings < 1 || n > MAXN || rings > MAXN / n) {
        fprintf(stderr, "usage: ring [N [R]] (N >= 2, R >= 1, N*R <= %d)\n", MAXN);
        return 2;
    }
    long total = n * rings;
    for (long k = 0; k < total; k++)
        mu[k] = (gort_mutex)GORT_MUTEX_INIT;
    gort_waitgroup_add(&holding, (int)total);
    gort_waitgroup_add(&done, (int)total);
    for (long k = 0; k < total; k++)
        gort_go(worker, (void *)(intptr_t)k);
    gort_waitgroup_wait(&done);
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(ring_main, argc, argv);
}
