/*
 * gort_runner.h: runs a benchmark workload as goroutine 1 inside
 * gort_main, for the libgort programs (gort_sched.c, gort_map.c,
 * gort_iface.c).  The harness sets GOMAXPROCS for a [pN] row and
 * GORTMAXPROCS alongside it; when only GOMAXPROCS is set (a person running
 * a binary by hand) it is copied, so `GOMAXPROCS=1 BIN -w NAME` means the
 * same for both runtimes.
 */
#ifndef GORT_BENCH_RUNNER_H
#define GORT_BENCH_RUNNER_H

#include <gort.h>

#include "bench.h"

static int bench_gort_body(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    bench_current->fn();
    return 0;
}

static inline int bench_run_gort(int argc, char **argv, const struct workload *w)
{
    (void)w;
    const char *p = getenv("GOMAXPROCS");
    if (p && !getenv("GORTMAXPROCS"))
        setenv("GORTMAXPROCS", p, 1);
    return gort_main(bench_gort_body, argc, argv);
}

#endif /* GORT_BENCH_RUNNER_H */
