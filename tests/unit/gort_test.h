/*
 * gort_test.h: helpers for the runtime's Criterion tests.
 *
 * Criterion's cr_assert longjmps back into the test's own frame on the
 * process's main thread; from a goroutine (another stack, often another OS
 * thread) that would be undefined behaviour.  Inside goroutines use
 * gt_assert / gt_assert_eq instead: on failure they print where and why
 * and end the test process with exit status 1, which Criterion reports as a
 * failure.  On the test's own thread (before or after gort_main) cr_assert
 * is fine.
 *
 *   static int body(int argc, char **argv) { ...; gt_assert(x == 1); return 0; }
 *   Test(chan, handoff) { gt_run(body); }
 *
 * Heavy tests scale with GT_SCALE(n): n normally, n/10 under sanitizers.
 */
#ifndef GORT_TEST_H
#define GORT_TEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gort.h"

#define gt_assert(cond, ...)                                                \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: assertion failed: %s " __VA_ARGS__ "\n",\
                    __FILE__, __LINE__, #cond);                             \
            fflush(stderr);                                                 \
            _exit(1);                                                       \
        }                                                                   \
    } while (0)

#define gt_assert_eq(a, b)                                                  \
    do {                                                                    \
        long long gt_a_ = (long long)(a), gt_b_ = (long long)(b);           \
        if (gt_a_ != gt_b_) {                                               \
            fprintf(stderr, "%s:%d: assertion failed: %s == %s (%lld != %lld)\n", \
                    __FILE__, __LINE__, #a, #b, gt_a_, gt_b_);              \
            fflush(stderr);                                                 \
            _exit(1);                                                       \
        }                                                                   \
    } while (0)

#ifdef GORT_SANITIZER
#define GT_SCALE(n) ((n) / 10 > 0 ? (n) / 10 : 1)
#else
#define GT_SCALE(n) (n)
#endif

/* Run body as the main goroutine; the test fails unless it returns 0. */
#define gt_run(body) cr_assert_eq(gort_main((body), 0, NULL), 0, #body " failed")

#endif
