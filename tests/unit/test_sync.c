/*
 * test_sync.c: gort_mutex and gort_waitgroup.  Mutual exclusion under
 * contention (with goroutines that yield and sleep inside the critical
 * section, so waiters really park), the owner field, what a debugger sees
 * of a goroutine parked on a mutex or a wait group, progress of a waiter
 * against a goroutine that keeps relocking (starvation mode), Go's
 * messages for misuse, and wait groups with many waiters and reuse.
 */
#include "test_chan_util.h"

static const int64_t MS = 1000 * 1000;

/* ------------------------------------------------------------------ */
/* Mutex */

enum { NLOCKERS = 6 };
static gort_mutex mu = GORT_MUTEX_INIT;
static int64_t counter;             /* protected by mu, deliberately not atomic */
static _Atomic int inside;
static gort_waitgroup lwg = GORT_WAITGROUP_INIT;

static void locker(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    for (int64_t i = 0; i < GT_SCALE(30000); i++) {
        gort_mutex_lock(&mu);
        gt_assert_eq(atomic_fetch_add(&inside, 1), 0);
        gt_assert_eq(mu.owner, gort_goid());
        int64_t c = counter;
        if (i % 1000 == (id * 37) % 1000)
            gort_sleep(100 * 1000);          /* others must park meanwhile */
        else if (i % 50 == 0)
            gort_yield();
        counter = c + 1;
        atomic_fetch_sub(&inside, 1);
        gort_mutex_unlock(&mu);
    }
    gort_waitgroup_done(&lwg);
}

static int exclusion_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_waitgroup_add(&lwg, NLOCKERS);
    for (int i = 0; i < NLOCKERS; i++)
        gort_go(locker, (void *)(intptr_t)i);
    gort_waitgroup_wait(&lwg);
    gt_assert_eq(counter, NLOCKERS * GT_SCALE(30000));
    gt_assert_eq(mu.state, 0);
    gt_assert(mu.waiters.first == NULL);
    return 0;
}

Test(sync, mutex_exclusion, .timeout = 120) { gt_run(exclusion_body); }

/* A tight lock/unlock loop on two goroutines (the benchmark's shape). */
static gort_mutex tmu = GORT_MUTEX_INIT;
static int64_t tcount;
static void tight(void *arg)
{
    (void)arg;
    for (int i = 0; i < GT_SCALE(200000); i++) {
        gort_mutex_lock(&tmu);
        tcount++;
        gort_mutex_unlock(&tmu);
    }
    gort_waitgroup_done(&lwg);
}
static int tight_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_waitgroup_add(&lwg, 2);
    gort_go(tight, NULL);
    gort_go(tight, NULL);
    gort_waitgroup_wait(&lwg);
    gt_assert_eq(tcount, 2 * GT_SCALE(200000));
    gt_assert_eq(tmu.state, 0);
    return 0;
}

Test(sync, mutex_tight_loop, .timeout = 60) { gt_run(tight_body); }

/* A goroutine parked on a mutex, as a debugger sees it. */
static gort_mutex pmu = GORT_MUTEX_INIT;
static struct g *_Atomic pg;
static _Atomic int pgot;
static void parked_locker(void *arg)
{
    (void)arg;
    publish_self(&pg);
    gort_mutex_lock(&pmu);
    atomic_store(&pgot, 1);
    gt_assert_eq(pmu.owner, gort_goid());
    gort_mutex_unlock(&pmu);
    gort_waitgroup_done(&lwg);
}
static int parked_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_mutex_lock(&pmu);
    gt_assert_eq(pmu.owner, gort_goid());
    gt_assert_eq(pmu.state & 1, 1);
    gort_waitgroup_add(&lwg, 1);
    gort_go(parked_locker, NULL);
    struct g *gp = wait_parked(&pg, waitReasonMutex);
    gt_assert(gp->waiting != NULL);
    gt_assert(gp->waiting->obj == &pmu);
    gt_assert(gp->waiting->c == NULL);
    gt_assert(gp->waiting->g == gp);
    gt_assert(gp->waitobj == &pmu);
    gt_assert(pmu.waiters.first == gp->waiting);
    gt_assert_eq(atomic_load(&pgot), 0);
    gort_mutex_unlock(&pmu);
    gort_waitgroup_wait(&lwg);
    gt_assert_eq(atomic_load(&pgot), 1);
    gt_assert_eq(pmu.state, 0);
    gt_assert(pmu.waiters.first == NULL);
    return 0;
}

Test(sync, mutex_parked_waiter, .timeout = 30) { gt_run(parked_body); }

/* A free mutex whose word is not 0: WOKEN set for a woken waiter that has
 * not run yet (and waiters counted behind it).  Lock takes it in the fast
 * path and leaves the flags to their owners; unlock wakes nobody, since the
 * woken one will come (a wake here would find no sudog and die). */
static gort_mutex fmu = GORT_MUTEX_INIT;
static int flagged_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    fmu.state = MUTEX_WOKEN;
    gort_mutex_lock(&fmu);
    gt_assert_eq(fmu.state, MUTEX_WOKEN | MUTEX_LOCKED);
    gt_assert_eq(fmu.owner, gort_goid());
    gort_mutex_unlock(&fmu);
    gt_assert_eq(fmu.state, MUTEX_WOKEN);

    fmu.state = MUTEX_WOKEN + 2 * MUTEX_WAITER;
    gort_mutex_lock(&fmu);
    gt_assert_eq(fmu.state, MUTEX_WOKEN + 2 * MUTEX_WAITER + MUTEX_LOCKED);
    gort_mutex_unlock(&fmu);
    gt_assert_eq(fmu.state, MUTEX_WOKEN + 2 * MUTEX_WAITER);
    gt_assert(fmu.waiters.first == NULL);
    fmu.state = 0;
    return 0;
}

Test(sync, mutex_flagged_but_free, .timeout = 30) { gt_run(flagged_body); }

/* A goroutine that relocks at once must not shut a waiter out forever:
 * after 1 ms of waiting the waiter gets the mutex handed over. */
static gort_mutex smu = GORT_MUTEX_INIT;
static _Atomic int sstop;
static void hog(void *arg)
{
    (void)arg;
    for (int i = 0; !atomic_load(&sstop); i++) {
        gort_mutex_lock(&smu);
        int64_t t = gort_nanotime();
        while (gort_nanotime() - t < 20000)
            ;                                /* hold it 20 us */
        gort_mutex_unlock(&smu);
        if (i % 16 == 0)
            gort_yield();                    /* no preemption: let main run at all */
    }
    gort_waitgroup_done(&lwg);
}
static int starvation_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_waitgroup_add(&lwg, 2);
    gort_go(hog, NULL);
    gort_go(hog, NULL);
    gort_sleep(2 * MS);
    for (int k = 0; k < 20; k++) {
        gort_mutex_lock(&smu);
        gort_mutex_unlock(&smu);
    }
    atomic_store(&sstop, 1);
    gort_waitgroup_wait(&lwg);
    gt_assert_eq(smu.state, 0);
    return 0;
}

Test(sync, mutex_waiter_not_starved, .timeout = 60) { gt_run(starvation_body); }

static int unlock_unlocked_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    static gort_mutex m = GORT_MUTEX_INIT;
    gort_mutex_unlock(&m);
    return 0;
}
static int negative_wg_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    static gort_waitgroup wg = GORT_WAITGROUP_INIT;
    gort_waitgroup_add(&wg, 1);
    gort_waitgroup_done(&wg);
    gort_waitgroup_done(&wg);
    return 0;
}
static int null_mutex_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_mutex_lock(NULL);
    return 0;
}
static int mutex_deadlock_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    static gort_mutex m = GORT_MUTEX_INIT;
    gort_mutex_lock(&m);
    gort_mutex_lock(&m);                     /* Go's self-deadlock */
    return 0;
}

static int null_unlock_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_mutex_unlock(NULL);
    return 0;
}
static int null_wg_add_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_waitgroup_add(NULL, 1);
    return 0;
}
static int null_wg_done_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_waitgroup_done(NULL);
    return 0;
}
static int null_wg_wait_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_waitgroup_wait(NULL);
    return 0;
}
static int negative_add_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    static gort_waitgroup wg = GORT_WAITGROUP_INIT;
    gort_waitgroup_add(&wg, -3);
    return 0;
}
static int unlock_twice_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    static gort_mutex m = GORT_MUTEX_INIT;
    gort_mutex_lock(&m);
    gort_mutex_unlock(&m);
    gort_mutex_unlock(&m);
    return 0;
}

Test(sync, misuse_and_panics, .timeout = 60)
{
    struct chan_crash *r = malloc(sizeof *r);
    chan_crash(r, unlock_unlocked_body, 20);
    expect_abort_line(r, "fatal error: sync: unlock of unlocked mutex");
    chan_crash(r, negative_wg_body, 20);
    expect_abort_line(r, "panic: sync: negative WaitGroup counter");
    chan_crash(r, null_mutex_body, 20);
    expect_abort_line(r, "fatal error: gort_mutex_lock: NULL mutex");
    chan_crash(r, unlock_twice_body, 20);
    expect_abort_line(r, "fatal error: sync: unlock of unlocked mutex");
    chan_crash(r, null_unlock_body, 20);
    expect_abort_line(r, "fatal error: gort_mutex_unlock: NULL mutex");
    chan_crash(r, null_wg_add_body, 20);
    expect_abort_line(r, "fatal error: gort_waitgroup_add: NULL wait group");
    chan_crash(r, null_wg_done_body, 20);
    expect_abort_line(r, "fatal error: gort_waitgroup_done: NULL wait group");
    chan_crash(r, null_wg_wait_body, 20);
    expect_abort_line(r, "fatal error: gort_waitgroup_wait: NULL wait group");
    chan_crash(r, negative_add_body, 20);
    expect_abort_line(r, "panic: sync: negative WaitGroup counter");
    chan_crash(r, mutex_deadlock_body, 20);
    expect_abort_line(r, "fatal error: all goroutines are asleep - deadlock!");
    cr_assert(has_line(r->out, "goroutine 1 [mutex]:"), "%s", r->out);
    free(r);
}

/* ------------------------------------------------------------------ */
/* Wait groups */

enum { NWAITERS = 10, NWORKERS = 100 };
static gort_waitgroup work = GORT_WAITGROUP_INIT;
static gort_waitgroup waiters_done = GORT_WAITGROUP_INIT;
static _Atomic int finished, released;

static void worker(void *arg)
{
    (void)arg;
    gort_sleep(1 * MS);
    atomic_fetch_add(&finished, 1);
    gort_waitgroup_done(&work);
}
static void waiter(void *arg)
{
    (void)arg;
    gort_waitgroup_wait(&work);
    gt_assert_eq(atomic_load(&finished), NWORKERS);   /* nobody returns early */
    atomic_fetch_add(&released, 1);
    gort_waitgroup_done(&waiters_done);
}

static int waitgroup_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    /* Waiting on a zero counter returns at once. */
    gort_waitgroup_wait(&work);
    for (int round = 0; round < 3; round++) {       /* reusable once it is 0 */
        atomic_store(&finished, 0);
        atomic_store(&released, 0);
        gort_waitgroup_add(&work, NWORKERS);
        gort_waitgroup_add(&waiters_done, NWAITERS);
        for (int i = 0; i < NWAITERS; i++)
            gort_go(waiter, NULL);
        for (int i = 0; i < NWORKERS; i++)
            gort_go(worker, NULL);
        gort_waitgroup_wait(&waiters_done);
        gt_assert_eq(atomic_load(&released), NWAITERS);
        gt_assert_eq(work.counter, 0);
        gt_assert(work.waiters.first == NULL);
        gt_assert_eq(work.nwait, 0);
    }
    return 0;
}

Test(sync, waitgroup_many_waiters, .timeout = 60) { gt_run(waitgroup_body); }

static gort_waitgroup rwg = GORT_WAITGROUP_INIT;
static struct g *_Atomic rg;
static void wg_waiter(void *arg)
{
    (void)arg;
    publish_self(&rg);
    gort_waitgroup_wait(&rwg);
    gort_waitgroup_done(&lwg);
}
static int wg_reason_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_waitgroup_add(&rwg, 2);
    gort_waitgroup_add(&lwg, 1);
    gort_go(wg_waiter, NULL);
    struct g *gp = wait_parked(&rg, waitReasonWaitGroup);
    gt_assert(gp->waiting != NULL && gp->waiting->obj == &rwg && gp->waiting->c == NULL);
    gt_assert(gp->waitobj == &rwg);
    gt_assert(rwg.waiters.first == gp->waiting);
    gt_assert_eq(rwg.nwait, 1);
    gort_waitgroup_done(&rwg);
    gort_sleep(2 * MS);
    gt_assert_eq(atomic_load(&gp->atomicstatus), Gwaiting);   /* counter is 1 */
    gort_waitgroup_done(&rwg);
    gort_waitgroup_wait(&lwg);
    return 0;
}

Test(sync, waitgroup_parked_waiter, .timeout = 30) { gt_run(wg_reason_body); }

/* Many goroutines counting down at once (the spawn/join shape). */
static gort_waitgroup swg = GORT_WAITGROUP_INIT;
static void spawn_done(void *arg)
{
    (void)arg;
    gort_waitgroup_done(&swg);
}
static int spawn_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (int round = 0; round < 5; round++) {
        gort_waitgroup_add(&swg, GT_SCALE(20000));
        for (int i = 0; i < GT_SCALE(20000); i++)
            gort_go(spawn_done, NULL);
        gort_waitgroup_wait(&swg);
        gt_assert_eq(swg.counter, 0);
    }
    return 0;
}

Test(sync, waitgroup_spawn_join, .timeout = 60) { gt_run(spawn_body); }
