/*
 * test_proc.c: goroutines and the scheduler (runtime/proc.c, stack.c,
 * lock.c): ids, creating and finishing many goroutines, yield fairness,
 * parking 100,000 goroutines at once, locks under contention, deadlock
 * detection (and its absence while a goroutine sleeps or runs C code),
 * misuse reports.  tests/build.mk runs this suite with GORTMAXPROCS=1 and 2.
 */
#include "gort_test.h"
#include "proc_crash.h"
#include "runtime.h"

#include <stdatomic.h>

/* TSan gives every goroutine a fiber, and counts fibers as threads: at
 * most 8128 may exist.  Goroutine counts are kept below that there. */
#if defined(__SANITIZE_THREAD__)
#define PROC_SCALE(n) ((n) / 20)
#define PARK_SCALE(n) ((n) / 100)      /* each parked fiber costs TSan ~100 fresh pages */
#else
#define PROC_SCALE(n) GT_SCALE(n)
#define PARK_SCALE(n) GT_SCALE(n)
#endif

/* ---------------------------------------------------------------- ids */

static int64_t child_ids[8];
static atomic_int ids_done;

static void record_id(void *arg)
{
    child_ids[(intptr_t)arg] = gort_goid();
    atomic_fetch_add(&ids_done, 1);
}

static int ids_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gt_assert_eq(gort_goid(), 1);
    int64_t ret[8];
    for (int i = 0; i < 8; i++)
        ret[i] = gort_go(record_id, (void *)(intptr_t)i);
    while (atomic_load(&ids_done) < 8)
        gort_yield();
    for (int i = 0; i < 8; i++) {
        gt_assert_eq(ret[i], i + 2);          /* ids count up from 2 after main */
        gt_assert_eq(child_ids[i], ret[i]);
    }
    return 0;
}

Test(proc, goroutine_ids, .timeout = 10)
{
    cr_assert_eq(gort_goid(), 0, "no goroutine before gort_main");
    gt_run(ids_main);
}

/* ---------------------------------------------- 100,000 create + finish */

static atomic_long spawned_done;

static void tiny(void *arg)
{
    atomic_fetch_add(&spawned_done, (long)(intptr_t)arg);
}

static int spawn_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    const long n = PROC_SCALE(100000);
    for (long i = 0; i < n; i++)
        gort_go(tiny, (void *)(intptr_t)1);
    int64_t deadline = gort_nanotime() + 20000000000ll;
    while (atomic_load(&spawned_done) < n && gort_nanotime() < deadline)
        gort_yield();
    gt_assert_eq(atomic_load(&spawned_done), n);
    /* the last ones are counted dead right after their function returns */
    while (gort_numgoroutine() > 1 && gort_nanotime() < deadline)
        gort_yield();
    gt_assert_eq(gort_numgoroutine(), 1);
    /* every g is in allgs, and dead ones were reused: far fewer than n */
    gt_assert(atomic_load(&gort_allglen) >= 2);
    return 0;
}

Test(proc, hundred_thousand_goroutines, .timeout = 60)
{
    gt_run(spawn_main);
}

/* -------------------------------------------------------------- closures */

struct addclosure {
    struct funcval fv;
    atomic_int *target;
    int amount;
};

static void add_fn(struct funcval *f)
{
    struct addclosure *c = (struct addclosure *)f;
    atomic_fetch_add(c->target, c->amount);
}

static atomic_int closure_sum;

static int closure_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    static struct addclosure cs[3];
    for (int i = 0; i < 3; i++) {
        cs[i].fv.fn = (void (*)(void))add_fn;
        cs[i].target = &closure_sum;
        cs[i].amount = i + 1;
        gt_assert(gort_go_func(&cs[i].fv) > 1);
    }
    while (atomic_load(&closure_sum) < 6)
        gort_yield();
    gt_assert_eq(atomic_load(&closure_sum), 6);
    return 0;
}

Test(proc, go_func_runs_closure, .timeout = 10)
{
    gt_run(closure_main);
}

/* --------------------------------------------------------- yield fairness */

enum { FAIR_G = 4, FAIR_ITERS = 2000 };
static atomic_int fair_count[FAIR_G];
static atomic_int fair_first_done = -1;
static int fair_snapshot[FAIR_G];
static atomic_int fair_finished;

static void fair_worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < FAIR_ITERS; i++) {
        atomic_fetch_add(&fair_count[me], 1);
        gort_yield();
    }
    int expect = -1;
    if (atomic_compare_exchange_strong(&fair_first_done, &expect, me))
        for (int j = 0; j < FAIR_G; j++)
            fair_snapshot[j] = atomic_load(&fair_count[j]);
    atomic_fetch_add(&fair_finished, 1);
}

static int fair_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (int i = 0; i < FAIR_G; i++)
        gort_go(fair_worker, (void *)(intptr_t)i);
    while (atomic_load(&fair_finished) < FAIR_G)
        gort_sleep(1000000);
    /* When the first worker finished, every other one had made nearly all
     * of its progress too: yield hands the thread to the next goroutine in
     * line instead of returning at once (round-robin gives FAIR_ITERS - 1;
     * the margin is for the global queue's turn every 61 switches). */
    for (int j = 0; j < FAIR_G; j++)
        if (fair_snapshot[j] < FAIR_ITERS * 9 / 10) {
            fprintf(stderr, "worker %d at %d when worker %d finished\n", j, fair_snapshot[j],
                    atomic_load(&fair_first_done));
            return 1;
        }
    return 0;
}

/* With one worker thread, so that the order is the scheduler's alone (with
 * two, a thread the OS preempts lets the other thread's goroutines run
 * ahead: that is not unfairness of yield). */
Test(proc, yield_is_fair, .timeout = 20)
{
    static struct crash c;
    crash_run(&c, fair_main, "1", 15);
    cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0, "status %d, output:\n%s",
              c.status, c.out);
}

/* A ping-pong that can only finish if yield lets the other goroutine run,
 * including with a single worker thread. */
static atomic_int turn;
enum { PINGS = 1000 };

static void pinger(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < PINGS; i++) {
        while (atomic_load(&turn) % 2 != me)
            gort_yield();
        atomic_fetch_add(&turn, 1);
    }
}

static int pingpong_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(pinger, (void *)0);
    gort_go(pinger, (void *)1);
    while (atomic_load(&turn) < 2 * PINGS)
        gort_yield();
    gt_assert_eq(atomic_load(&turn), 2 * PINGS);
    return 0;
}

Test(proc, yield_ping_pong, .timeout = 20)
{
    gt_run(pingpong_main);
}

/* ------------------------------------------ 100,000 parked at the same time */

static gort_lock park_lock;
static struct g **parked_gs;
static long nparked;
static atomic_long park_woken;

static void park_worker(void *arg)
{
    (void)arg;
    lock(&park_lock);
    parked_gs[nparked++] = getg();
    gopark(gort_park_unlock, &park_lock, waitReasonChanReceive);
    atomic_fetch_add(&park_woken, 1);
}

static int park_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    const long n = PARK_SCALE(100000);
    parked_gs = gort_calloc((size_t)n, sizeof *parked_gs);
    for (long i = 0; i < n; i++)
        gort_go(park_worker, NULL);
    int64_t deadline = gort_nanotime() + 30000000000ll;
    for (;;) {
        lock(&park_lock);
        long k = nparked;
        unlock(&park_lock);
        if (k == n || gort_nanotime() > deadline)
            break;
        gort_sleep(1000000);
    }
    gt_assert_eq(nparked, n);
    gt_assert_eq(gort_numgoroutine(), n + 1);
    for (long i = 0; i < n; i++) {
        gt_assert_eq(atomic_load(&parked_gs[i]->atomicstatus), Gwaiting);
        gt_assert_eq(parked_gs[i]->waitreason, waitReasonChanReceive);
    }
    lock(&park_lock);
    for (long i = 0; i < n; i++)
        goready(parked_gs[i]);
    unlock(&park_lock);
    while (atomic_load(&park_woken) < n && gort_nanotime() < deadline)
        gort_sleep(1000000);
    gt_assert_eq(atomic_load(&park_woken), n);
    gort_free(parked_gs);
    return 0;
}

Test(proc, hundred_thousand_parked, .timeout = 90)
{
    gt_run(park_main);
}

/* --------------------------------------------------- locks under contention */

static gort_lock count_lock;
static long locked_count;
static atomic_int lock_workers_done;
enum { LOCK_G = 4, LOCK_ITERS = 20000 };

static void lock_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < LOCK_ITERS; i++) {
        lock(&count_lock);
        locked_count++;
        unlock(&count_lock);
        if (i % 1000 == 0)
            gort_yield();
    }
    atomic_fetch_add(&lock_workers_done, 1);
}

static int lock_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (int i = 0; i < LOCK_G; i++)
        gort_go(lock_worker, NULL);
    while (atomic_load(&lock_workers_done) < LOCK_G)
        gort_sleep(1000000);
    gt_assert_eq(locked_count, (long)LOCK_G * LOCK_ITERS);
    return 0;
}

Test(proc, lock_counts_exactly, .timeout = 20)
{
    gt_run(lock_main);
}

/* ------------------------------------------------------------ deep stacks */

static __attribute__((noinline)) long deep(int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    if (n == 0)
        return pad[0];
    return deep(n - 1) + pad[0];
}

static atomic_long deep_result = -1;

static void deep_worker(void *arg)
{
    (void)arg;
    atomic_store(&deep_result, deep(100));     /* ~100 KiB of 256 KiB */
}

static int deep_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(deep_worker, NULL);
    while (atomic_load(&deep_result) < 0)
        gort_sleep(1000000);
    gt_assert_eq(atomic_load(&deep_result), 100 * 101 / 2);
    return 0;
}

Test(proc, deep_stack_fits, .timeout = 10)
{
    gt_run(deep_main);
}

/* ---------------------------------------------------------------- deadlock */

static int deadlock_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gopark(NULL, NULL, waitReasonChanReceive);      /* nobody will ever wake us */
    return 0;
}

Test(proc, deadlock_reported, .timeout = 20)
{
    static struct crash c;
    crash_run(&c, deadlock_main, NULL, 15);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    const char *want = "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\n";
    cr_assert(strncmp(c.out, want, strlen(want)) == 0, "output:\n%s", c.out);
    cr_assert(strstr(c.out, "deadlock_main(...)") != NULL, "output:\n%s", c.out);
}

static void park_forever(void *arg)
{
    (void)arg;
    gopark(NULL, NULL, waitReasonSelectNoCases);
}

static int sleeping_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(park_forever, NULL);
    gort_sleep(100000000);       /* 100 ms with the other parked: not a deadlock */
    return 7;
}

Test(proc, no_deadlock_while_sleeping, .timeout = 20)
{
    static struct crash c;
    crash_run(&c, sleeping_main, NULL, 15);
    cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 7, "status %d, output:\n%s",
              c.status, c.out);
}

static struct g *busy_waiter;
static atomic_int busy_ready;

static void busy_c_code(void *arg)
{
    (void)arg;
    while (!atomic_load(&busy_ready))
        ;                        /* wait until main is parked (or about to) */
    int64_t until = gort_nanotime() + 150000000;
    while (gort_nanotime() < until)
        ;                        /* 150 ms of C code, no runtime call */
    lock(&park_lock);
    goready(busy_waiter);
    unlock(&park_lock);
}

static int busy_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    busy_waiter = getg();
    gort_go(busy_c_code, NULL);
    lock(&park_lock);
    atomic_store(&busy_ready, 1);
    gopark(gort_park_unlock, &park_lock, waitReasonChanReceive);
    return 9;
}

Test(proc, no_deadlock_while_running_c, .timeout = 20)
{
    static struct crash c;
    crash_run(&c, busy_main, NULL, 15);
    cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 9, "status %d, output:\n%s",
              c.status, c.out);
}

/* ------------------------------------------------------------------ misuse */

static int nullgo_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(NULL, NULL);
    return 0;
}

Test(proc, go_null_is_fatal, .timeout = 20)
{
    static struct crash c;
    crash_run(&c, nullgo_main, NULL, 15);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    cr_assert(strncmp(c.out, "fatal error: gort_go: NULL function\n\ngoroutine 1 [running]:\n",
                      60) == 0, "output:\n%s", c.out);
}

static int ok_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    return 0;
}

static int twice_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_main(ok_main, 0, NULL);
    return 0;
}

Test(proc, main_twice_is_fatal, .timeout = 20)
{
    static struct crash c;
    crash_run(&c, twice_main, NULL, 15);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    cr_assert(strstr(c.out, "fatal error: gort_main: called twice") == c.out, "output:\n%s", c.out);
}

Test(proc, bad_maxprocs_is_fatal, .timeout = 20)
{
    static struct crash c;
    crash_run(&c, ok_main, "zero", 15);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    cr_assert(strstr(c.out, "fatal error: GORTMAXPROCS: \"zero\" is not a number") == c.out,
              "output:\n%s", c.out);
}

Test(proc, main_result_returned, .timeout = 10)
{
    static struct crash c;
    crash_run(&c, sleeping_main, "1", 10);
    cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 7);
}

/* ------------------------------------- mprotect guard pages (stack.c) */

static int mprotect_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    /* The park/ready round trip on stacks guarded by mprotect. */
    const long n = 2000;
    parked_gs = gort_calloc((size_t)n, sizeof *parked_gs);
    for (long i = 0; i < n; i++)
        gort_go(park_worker, NULL);
    for (;;) {
        lock(&park_lock);
        long k = nparked;
        unlock(&park_lock);
        if (k == n)
            break;
        gort_sleep(1000000);
    }
    lock(&park_lock);
    for (long i = 0; i < n; i++)
        goready(parked_gs[i]);
    unlock(&park_lock);
    while (atomic_load(&park_woken) < n)
        gort_sleep(1000000);
    return 0;
}

Test(proc, mprotect_guard_stacks, .timeout = 60)
{
    static struct crash c;
    crash_run_env(&c, mprotect_main, NULL, 50, "GORTSTACKGUARD=mprotect");
    cr_assert(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0, "status %d, output:\n%s",
              c.status, c.out);
}

Test(proc, bad_guard_mode_is_fatal, .timeout = 20)
{
    static struct crash c;
    crash_run_env(&c, mprotect_main, NULL, 15, "GORTSTACKGUARD=none");
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    cr_assert(strstr(c.out, "fatal error: GORTSTACKGUARD: \"none\" is neither") == c.out,
              "output:\n%s", c.out);
}
