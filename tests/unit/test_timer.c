/*
 * test_timer.c: gort_sleep, gort_nanotime and the timer heap
 * (runtime/timer.c).  Tolerances are generous on the late side: the
 * machine is shared and a worker thread may wake late, but a sleep must
 * never end early, and sleepers must wake in deadline order.
 */
#include "gort_test.h"
#include "runtime.h"

#include <stdatomic.h>

enum { MS = 1000000 };

static int accuracy_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    static const int64_t durs[] = { 1 * MS, 5 * MS, 20 * MS, 50 * MS };
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
        int64_t t0 = gort_nanotime();
        gort_sleep(durs[i]);
        int64_t took = gort_nanotime() - t0;
        gt_assert(took >= durs[i]);
        gt_assert(took < durs[i] + 500 * MS);
    }
    return 0;
}

Test(timer, sleep_accuracy, .timeout = 10)
{
    gt_run(accuracy_main);
}

/* A busy machine makes some sleeps late, but not all of them: the best of
 * twenty short sleeps shows what the timer itself adds (a worker that only
 * noticed deadlines on some coarse tick, or slept a whole timeout too
 * long, would be late every time). */
static int overshoot_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    int64_t best = INT64_MAX;
    for (int i = 0; i < 20; i++) {
        int64_t d = (1 + i % 3) * MS;
        int64_t t0 = gort_nanotime();
        gort_sleep(d);
        int64_t over = gort_nanotime() - t0 - d;
        gt_assert(over >= 0);
        if (over < best)
            best = over;
    }
    if (best >= 5 * MS)
        fprintf(stderr, "smallest overshoot of 20 sleeps: %lld us\n", (long long)(best / 1000));
    gt_assert(best < 5 * MS);
    return 0;
}

Test(timer, sleep_overshoot_is_small, .timeout = 10)
{
    gt_run(overshoot_main);
}

static int zero_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    int64_t t0 = gort_nanotime();
    gort_sleep(0);
    gort_sleep(-5 * MS);          /* as Go: no sleep at all */
    gt_assert(gort_nanotime() - t0 < 100 * MS);
    return 0;
}

Test(timer, zero_and_negative_sleep_return, .timeout = 10)
{
    gt_run(zero_main);
}

enum { ORDER_G = 10 };
static gort_lock order_lock;
static int order[ORDER_G];
static int norder;

static int64_t order_start;

static void order_sleeper(void *arg)
{
    int k = (int)(intptr_t)arg;
    /* Deadlines from one common start, latest first: a slow start of the
     * later goroutines (sanitizers, a busy machine) cannot reorder them. */
    int64_t deadline = order_start + (int64_t)(ORDER_G - k) * 20 * MS;
    gort_sleep(deadline - gort_nanotime());
    lock(&order_lock);
    order[norder++] = k;
    unlock(&order_lock);
}

static int order_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    order_start = gort_nanotime() + 300 * MS;   /* all started by then, even under TSan */
    for (int k = 0; k < ORDER_G; k++)
        gort_go(order_sleeper, (void *)(intptr_t)k);
    for (;;) {
        lock(&order_lock);
        int n = norder;
        unlock(&order_lock);
        if (n == ORDER_G)
            break;
        gort_sleep(2 * MS);
    }
    for (int i = 0; i < ORDER_G; i++)
        gt_assert_eq(order[i], ORDER_G - 1 - i);
    return 0;
}

Test(timer, sleepers_wake_in_deadline_order, .timeout = 10)
{
    gt_run(order_main);
}

static atomic_int many_woken;

static void many_sleeper(void *arg)
{
    gort_sleep((int64_t)(intptr_t)arg);
    atomic_fetch_add(&many_woken, 1);
}

static int many_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    const int n = GT_SCALE(10000);
    for (int i = 0; i < n; i++)
        gort_go(many_sleeper, (void *)(intptr_t)((gort_fastrand() % 50 + 1) * MS));
    int64_t deadline = gort_nanotime() + 10000 * (int64_t)MS;
    while (atomic_load(&many_woken) < n && gort_nanotime() < deadline)
        gort_sleep(5 * MS);
    gt_assert_eq(atomic_load(&many_woken), n);
    return 0;
}

Test(timer, many_sleepers_all_wake, .timeout = 30)
{
    gt_run(many_main);
}

/* timer_add / timer_del directly */
static atomic_int fired;
static struct g *timer_waiter;

static void fire(void *arg, int64_t now)
{
    (void)now;
    atomic_fetch_add(&fired, 1);
    if (arg != NULL)
        goready(arg);
}

static bool add_after_park(struct g *gp, void *arg)
{
    (void)gp;
    timer_add(arg);
    return true;
}

static int timerapi_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct timer t = { .when = gort_nanotime() + 1000 * (int64_t)MS, .f = fire, .arg = NULL,
                       .heapidx = -1 };
    timer_add(&t);
    gt_assert(timer_del(&t));
    gt_assert(!timer_del(&t));          /* already removed */
    gort_sleep(5 * MS);
    gt_assert_eq(atomic_load(&fired), 0);

    timer_waiter = getg();
    struct timer t2 = { .when = gort_nanotime() + 10 * MS, .f = fire, .arg = timer_waiter,
                        .heapidx = -1 };
    int64_t t0 = gort_nanotime();
    gopark(add_after_park, &t2, waitReasonSleep, 0);
    gt_assert(gort_nanotime() - t0 >= 10 * MS);
    gt_assert_eq(atomic_load(&fired), 1);
    gt_assert(!timer_del(&t2));         /* it ran */
    return 0;
}

Test(timer, add_del_and_fire, .timeout = 10)
{
    gt_run(timerapi_main);
}

static int mono_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    int64_t prev = gort_nanotime();
    gt_assert(prev > 0);
    for (int i = 0; i < 10000; i++) {
        int64_t now = gort_nanotime();
        gt_assert(now >= prev);
        prev = now;
    }
    return 0;
}

Test(timer, nanotime_is_monotonic, .timeout = 10)
{
    gt_run(mono_main);
}
