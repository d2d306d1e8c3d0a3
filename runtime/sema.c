/*
 * sema.c: gort_mutex and gort_waitgroup, which park goroutines and never
 * block the worker thread (Go's sync.Mutex and sync.WaitGroup, with the
 * runtime semaphore replaced by each object's own wait list).
 *
 * gort_mutex.  mu->state is Go's state word:
 *     bit 0  MUTEX_LOCKED    held
 *     bit 1  MUTEX_WOKEN     a goroutine is awake and about to try for the
 *                            mutex (a spinner, or a waiter just woken), so
 *                            unlock need not wake another
 *     bit 2  MUTEX_STARVING  ownership is handed to the oldest waiter
 *     3..31  waiters         goroutines parked (or about to park) on it
 * Lock of a free mutex is a load and one CAS that adds LOCKED; unlock one
 * atomic subtraction that leaves 0 when nobody waits (or only WOKEN: the
 * woken goroutine will come).  Only the contended paths go further:
 *   - lock spins (SPIN_ROUNDS of SPIN_PAUSES pause instructions, see
 *     below) while the holder runs on another worker, since a critical
 *     section is usually shorter than a park; then it
 *     takes mu->lock (the word guarding the waiters list), adds itself to
 *     the waiter count and queues a sudog (obj = mu, reason "mutex") in one
 *     step under that lock, and parks;
 *   - normal mode: unlock frees the mutex, takes one waiter off the count
 *     (setting WOKEN), and wakes the first sudog.  The woken goroutine
 *     competes with newcomers (who usually win: they are running and
 *     their cache is warm, which is what makes a contended mutex fast) and
 *     if it loses it queues again at the front;
 *   - starvation mode (Go's guard): a waiter that has waited more than
 *     STARVATION_NS sets STARVING; from then on unlock hands the mutex
 *     straight to the first waiter and newcomers queue behind it, until the
 *     waiter that receives it is the last or waited less than the bound.
 * Because a waiter counts itself and queues its sudog under mu->lock, and
 * every waker that takes a count (or hands off) dequeues under mu->lock
 * afterwards, the queue holds at least as many sudogs as wakers look for:
 * Go's semaphore count is not needed.
 * mu->owner is the goid of the holder, written for debuggers only, and
 * meaningful only while MUTEX_LOCKED is set: lock writes it after its CAS,
 * unlock leaves it as it was (a store just before the locked subtraction
 * cost 0.6 ns of a 13 ns uncontended lock+unlock, 5%), so the tools read
 * state first (enum mutex_state is in the DWARF contract).
 *
 * gort_waitgroup.  counter changes with one atomic add.  A waiter, under
 * wg->lock, announces itself in nwait and only then reads counter; add,
 * having brought counter to 0, reads nwait.  Both sides are sequentially
 * consistent, so at least one sees the other (Dekker): either the waiter
 * sees 0 and returns, or add sees the waiter and wakes everyone queued,
 * under the same lock.  Waiters park with reason "waitgroup", obj = wg.
 */
#include "chan.h"


/* How long a contended lock spins before it queues.  Go spins 4 rounds of
 * 30 pauses.  A pause costs 19 ns on this machine's CPU (AMD EPYC, a VM),
 * so that is 2.3 us, and the spinning itself is what hurts: each check
 * pulls the line from the holder, and two goroutines trading the mutex
 * by spinning never let one of them run alone.  Two goroutines locking
 * in a loop at GORTMAXPROCS=2 (ns per lock+unlock, means of 5-12 runs
 * interleaved; "in/out" is work inside and outside the critical section):
 *
 *     rounds   0 in/0 out   20/40   5/100   50/50
 *        1       14.0       25.8    43.6    35.1
 *        2       14.1       27.4    48.1    35.9
 *        4       15.1       31.2    68.9    40.9
 *
 * One round (570 ns here) keeps the case spinning is for, a holder about
 * to leave, and no more. */
enum {
    SPIN_ROUNDS = 1,
    SPIN_PAUSES = 30,
};
#define STARVATION_NS ((int64_t)1000000)     /* 1 ms, Go's bound */

static inline uint32_t mstate(gort_mutex *mu)
{
    return __atomic_load_n(&mu->state, __ATOMIC_RELAXED);
}

static inline bool mcas(gort_mutex *mu, uint32_t old, uint32_t new)
{
    return __atomic_compare_exchange_n(&mu->state, &old, new, false,
                                       __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

static inline bool mcas_acquire(gort_mutex *mu, uint32_t old, uint32_t new)
{
    return __atomic_compare_exchange_n(&mu->state, &old, new, false,
                                       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline int64_t curgoid(void)
{
    struct g *gp = getg();
    return gp != NULL ? gp->goid : 0;
}

static inline void set_owner(gort_mutex *mu, int64_t goid)
{
    __atomic_store_n(&mu->owner, goid, __ATOMIC_RELAXED);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Spinning only helps when the holder can run meanwhile on another
 * worker. */
static inline bool can_spin(int iter)
{
    return iter < SPIN_ROUNDS && gort_nprocs > 1;
}

__attribute__((noinline)) static void mutex_lock_slow(gort_mutex *mu, uintptr_t callerpc);
__attribute__((noinline)) static void mutex_unlock_slow(gort_mutex *mu, uint32_t new);

void gort_mutex_lock(gort_mutex *mu)
{
    if (mu == NULL)
        gort_fatal("gort_mutex_lock: NULL mutex");
    /* Read, then CAS (test and test-and-set).  A held mutex is left in
     * its holder's cache: a plain load only shares the line, where a CAS
     * bound to fail would take it exclusively and slow the holder's own
     * next lock.  And a free mutex whose word is not 0 (WOKEN set for a
     * woken waiter that has not run yet, or waiters counted) is taken
     * here in one CAS instead of a failed CAS and the slow path: with two
     * goroutines contending, the one running alone while the other waits
     * in a run queue spends whole stretches like that. */
    uint32_t old = mstate(mu);
    bool took;
    if (__builtin_expect(old == 0, 1))
        took = mcas_acquire(mu, 0, MUTEX_LOCKED);   /* not old | LOCKED: 0.3 ns faster */
    else
        took = (old & (MUTEX_LOCKED | MUTEX_STARVING)) == 0 &&
               mcas_acquire(mu, old, old | MUTEX_LOCKED);
    if (__builtin_expect(took, 1)) {
        set_owner(mu, gort_curgoid_noswitch());
        return;
    }
    mutex_lock_slow(mu, CALLERPC());
    set_owner(mu, curgoid());
}

void gort_mutex_unlock(gort_mutex *mu)
{
    if (mu == NULL)
        gort_fatal("gort_mutex_unlock: NULL mutex");
    uint32_t new = __atomic_sub_fetch(&mu->state, MUTEX_LOCKED, __ATOMIC_RELEASE);
    /* Left WOKEN alone: a woken goroutine will come for it, nobody to wake. */
    if (__builtin_expect(new != 0 && new != MUTEX_WOKEN, 0))
        mutex_unlock_slow(mu, new);
}

static void mutex_lock_slow(gort_mutex *mu, uintptr_t callerpc)
{
    int64_t waitstart = 0;
    bool starving = false;
    bool awoke = false;         /* we own the WOKEN flag */
    int iter = 0;
    uint32_t old = mstate(mu);
    for (;;) {
        /* Spin while it is held (not in starvation mode: then it goes to
         * the waiters anyway).  Setting WOKEN tells unlock not to wake a
         * parked waiter that would only compete with us. */
        if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED && can_spin(iter)) {
            if (!awoke && (old & MUTEX_WOKEN) == 0 && (old >> MUTEX_WAITER_SHIFT) != 0 &&
                mcas(mu, old, old | MUTEX_WOKEN))
                awoke = true;
            for (int i = 0; i < SPIN_PAUSES; i++)
                cpu_relax();
            iter++;
            old = mstate(mu);
            continue;
        }
        if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == 0) {
            /* Free and not promised to a waiter: take it. */
            uint32_t new = old | MUTEX_LOCKED;
            if (awoke)
                new &= ~(uint32_t)MUTEX_WOKEN;
            if (mcas(mu, old, new))
                return;
            old = mstate(mu);
            continue;
        }

        /* Held (or handed to waiters): count ourselves and queue, in one
         * step under mu->lock. */
        struct g *gp = chan_curg("gort_mutex_lock");
        lock_word(&mu->lock);
        old = mstate(mu);
        if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == 0) {
            unlock_word(&mu->lock);
            continue;               /* it was freed meanwhile */
        }
        uint32_t new = old + MUTEX_WAITER;
        if (starving && (old & MUTEX_LOCKED) != 0)
            new |= MUTEX_STARVING;
        if (awoke) {
            if ((new & MUTEX_WOKEN) == 0)
                gort_fatal("gort_mutex_lock: inconsistent mutex state %#x", old);
            new &= ~(uint32_t)MUTEX_WOKEN;
        }
        if (!mcas(mu, old, new)) {
            unlock_word(&mu->lock);
            old = mstate(mu);
            continue;
        }
        struct sudog *s = acquireSudog();
        s->g = gp;
        s->obj = mu;
        /* A waiter that lost to a newcomer goes back to the front. */
        bool requeue = waitstart != 0;
        if (!requeue)
            waitstart = gort_nanotime();
        s->acquiretime = waitstart;
        if (requeue)
            waitq_enqueue_front(&mu->waiters, s);
        else
            waitq_enqueue(&mu->waiters, s);
        gp->waiting = s;
        gp->waitobj = mu;
        gopark(gort_park_unlock_word, &mu->lock, waitReasonMutex, callerpc);
        gp->waiting = NULL;
        gp->waitobj = NULL;
        releaseSudog(s);

        starving = starving || gort_nanotime() - waitstart > STARVATION_NS;
        old = mstate(mu);
        if (old & MUTEX_STARVING) {
            /* Handed to us: LOCKED is clear but no one else may take it.
             * Take it, leave the waiter count, and end starvation mode if
             * we did not wait long or nobody is behind us (two goroutines
             * would otherwise stay in lock-step hand-offs). */
            if ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) != 0 || (old >> MUTEX_WAITER_SHIFT) == 0)
                gort_fatal("gort_mutex_lock: inconsistent mutex state %#x", old);
            uint32_t delta = MUTEX_LOCKED - MUTEX_WAITER;
            if (!starving || (old >> MUTEX_WAITER_SHIFT) == 1)
                delta -= MUTEX_STARVING;
            __atomic_add_fetch(&mu->state, delta, __ATOMIC_ACQ_REL);
            return;
        }
        awoke = true;               /* the waker set WOKEN for us */
        iter = 0;
    }
}

/* Wake the first waiter: handed the mutex (handoff) or to compete for it. */
static void mutex_wake_one(gort_mutex *mu)
{
    lock_word(&mu->lock);
    struct sudog *s = waitq_dequeue(&mu->waiters);
    unlock_word(&mu->lock);
    if (s == NULL)
        gort_fatal("gort_mutex_unlock: waiter count without a waiter");
    goready(s->g);
}

static void mutex_unlock_slow(gort_mutex *mu, uint32_t new)
{
    if (((new + MUTEX_LOCKED) & MUTEX_LOCKED) == 0)
        gort_fatal("sync: unlock of unlocked mutex");
    if (new & MUTEX_STARVING) {
        mutex_wake_one(mu);
        return;
    }
    uint32_t old = new;
    for (;;) {
        /* Nobody waits, or someone is already awake or holds it. */
        if ((old >> MUTEX_WAITER_SHIFT) == 0 ||
            (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)) != 0)
            return;
        if (mcas(mu, old, (old - MUTEX_WAITER) | MUTEX_WOKEN)) {
            mutex_wake_one(mu);
            return;
        }
        old = mstate(mu);
    }
}

/* ---------------------------------------------------------------- */

void gort_waitgroup_add(gort_waitgroup *wg, int delta)
{
    if (wg == NULL)
        gort_fatal("gort_waitgroup_add: NULL wait group");
    int64_t v = __atomic_add_fetch(&wg->counter, (int64_t)delta, __ATOMIC_SEQ_CST);
    if (v < 0)
        gort_panic("sync: negative WaitGroup counter");
    if (v > 0 || delta == 0)
        return;
    if (__atomic_load_n(&wg->nwait, __ATOMIC_SEQ_CST) == 0)
        return;

    /* Counter reached 0 with waiters: wake them all. */
    lock_word(&wg->lock);
    struct g *first = NULL, **tail = &first;
    struct sudog *s;
    while ((s = waitq_dequeue(&wg->waiters)) != NULL) {
        *tail = s->g;
        tail = &s->g->schedlink;
    }
    *tail = NULL;
    __atomic_store_n(&wg->nwait, 0, __ATOMIC_SEQ_CST);
    unlock_word(&wg->lock);
    while (first != NULL) {
        struct g *gp = first;
        first = gp->schedlink;
        gp->schedlink = NULL;
        goready(gp);
    }
}

void gort_waitgroup_done(gort_waitgroup *wg)
{
    if (wg == NULL)
        gort_fatal("gort_waitgroup_done: NULL wait group");
    gort_waitgroup_add(wg, -1);
}

void gort_waitgroup_wait(gort_waitgroup *wg)
{
    if (wg == NULL)
        gort_fatal("gort_waitgroup_wait: NULL wait group");
    if (__atomic_load_n(&wg->counter, __ATOMIC_SEQ_CST) == 0)
        return;
    struct g *gp = chan_curg("gort_waitgroup_wait");
    lock_word(&wg->lock);
    __atomic_add_fetch(&wg->nwait, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&wg->counter, __ATOMIC_SEQ_CST) == 0) {
        __atomic_sub_fetch(&wg->nwait, 1, __ATOMIC_SEQ_CST);
        unlock_word(&wg->lock);
        return;
    }
    struct sudog *s = acquireSudog();
    s->g = gp;
    s->obj = wg;
    s->acquiretime = gort_nanotime();
    waitq_enqueue(&wg->waiters, s);
    gp->waiting = s;
    gp->waitobj = wg;
    gopark(gort_park_unlock_word, &wg->lock, waitReasonWaitGroup, CALLERPC());
    gp->waiting = NULL;
    gp->waitobj = NULL;
    releaseSudog(s);
}
