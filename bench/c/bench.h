/*
 * bench.h: the protocol every C benchmark binary speaks (../shared/WORKLOADS.md).
 *
 *   BIN -list        one line per workload: "NAME PROCS" (PROCS "-" or "1,2")
 *   BIN -w NAME      run one workload, print "METRIC VALUE UNIT" lines on
 *                    stdout and nothing else; exit 1 when the workload's own
 *                    result check fails, 2 on bad usage.
 *
 * Each binary is a table of `struct workload` plus a `runner` that calls a
 * workload's function in the right context (plainly for the floors and GLib,
 * inside gort_main for libgort).  The harness (bench/run.py) runs every
 * workload in a fresh process, so workloads may leak freely and need no
 * teardown.
 *
 * BENCH_SCALE (a float, default 1) multiplies every operation count through
 * bench_scaled(); `make check-bench` runs each gort workload's self-check at
 * a tiny scale this way.  Self-checks are written in terms of the scaled
 * counts, so they stay exact at any scale.
 *
 * Everything here is static inline: each binary is one translation unit
 * plus this header (and, for the floors, an assembly file).
 */
#ifndef GORT_BENCH_H
#define GORT_BENCH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct workload {
    const char *name;
    const char *procs;            /* "-" or a comma list such as "1,2" */
    void      (*fn)(void);
};

static inline int64_t bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One result line.  Values are printed with enough digits for sub-ns rows. */
static inline void bench_emit(const char *metric, double value, const char *unit)
{
    printf("%s %.4f %s\n", metric, value, unit);
    fflush(stdout);
}

/* A failed self-check: say what differed, exit non-zero.  Never returns. */
__attribute__((noreturn, format(printf, 2, 3)))
static inline void bench_fail(const char *workload, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: self-check failed: ", workload);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* n scaled by BENCH_SCALE, at least 1 (so a tiny scale still runs the
 * workload once).  Read once; a bad value is a usage error. */
static inline int64_t bench_scaled(int64_t n)
{
    static double scale = -1;
    if (scale < 0) {
        const char *s = getenv("BENCH_SCALE");
        char *end = NULL;
        scale = 1.0;
        if (s && *s) {
            scale = strtod(s, &end);
            if (*end != '\0' || !(scale > 0) || scale > 1) {
                fprintf(stderr, "BENCH_SCALE=%s: want a number in (0, 1]\n", s);
                exit(2);
            }
        }
    }
    int64_t r = (int64_t)((double)n * scale);
    return r < 1 ? 1 : r;
}

/* Resident set size of this process in bytes (VmRSS of /proc/self/status),
 * or -1 when it cannot be read. */
static inline int64_t bench_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int64_t kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtoll(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

/* The workload being run: bench_main sets it before calling the runner. */
static const struct workload *bench_current;

/* Dispatch argv.  runner(w) runs w->fn in its context and returns the
 * process's exit status. */
static inline int bench_main(int argc, char **argv,
                             const struct workload *ws, size_t n,
                             int (*runner)(int argc, char **argv,
                                           const struct workload *w))
{
    if (argc == 2 && strcmp(argv[1], "-list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s %s\n", ws[i].name, ws[i].procs);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "-w") == 0) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(ws[i].name, argv[2]) == 0) {
                bench_current = &ws[i];
                return runner(argc, argv, &ws[i]);
            }
        fprintf(stderr, "%s: no workload named '%s' (try -list)\n", argv[0], argv[2]);
        return 2;
    }
    fprintf(stderr, "usage: %s -list | -w NAME\n", argv[0]);
    return 2;
}

/* The runner for code that needs no runtime. */
static inline int bench_run_plain(int argc, char **argv, const struct workload *w)
{
    (void)argc;
    (void)argv;
    w->fn();
    return 0;
}

#define BENCH_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif /* GORT_BENCH_H */
