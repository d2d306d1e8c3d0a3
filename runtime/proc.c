/*
 * proc.c: goroutines and the M:N scheduler.
 *
 * The objects (runtime.h): a `struct g` per goroutine, a `struct m` per
 * worker thread.  Every g that ever existed is in gort_allgs (an array
 * grown by doubling; old arrays are left alone, never freed, because a
 * signal handler or a debugger may be walking one); g's are never freed,
 * dead ones wait on free lists (per m, then global) and are reused with a
 * new id.  Ids count from 1, the goroutine running main_fn.  Every m is on
 * gort_allm.
 *
 * Threads.  gort_main starts GORTMAXPROCS worker threads (default: CPUs),
 * each an m, and the calling thread then only waits (on a futex) for
 * goroutine 1 to return; it is not an m.  So all goroutines, including
 * goroutine 1, run on worker threads, and a debugger sees the main thread
 * parked in gort_main.  Each m has a g0: not a goroutine but the
 * scheduler's own context on the thread's stack (so g0->stack is the
 * thread's stack); `schedule()` runs there.
 *
 * Switching.  One primitive (gort_swapctx, asm_$(GOARCH).S) saves the
 * current context into one gobuf and loads another.  The invariant that
 * matters: whatever happens to a goroutine after it stopped (park, yield,
 * exit: m->action) runs only after its context is saved.  That is how
 * gopark's unlockf works (runtime.h): the waker must take the lock unlockf
 * releases, so it can never goready a goroutine whose registers are still
 * live.  The general path: the goroutine switches to its m's g0, and g0,
 * back in execute(), does what the goroutine asked and then picks the next
 * one (two switches).  The direct hand-off (one switch): when g0 would
 * only take the next goroutine off this m's own queue anyway (not a tick
 * on which it looks at timers or the global queue, see findrunnable), the
 * parking, yielding or exiting goroutine takes it itself and switches
 * straight to it, leaving itself in m->handoffg; the goroutine switched to
 * runs handoff_finish() first thing after its switch returns, which does
 * m->action for m->handoffg exactly as execute() would, on a saved
 * context.  The wait-time stamps, g->sched of every parked goroutine and
 * the order goroutines run in are the same on both paths; the hand-off
 * saves a register switch and the trip through the scheduler (~40% of a
 * yield).  m->curg is the goroutine an m runs, NULL while g0 schedules;
 * getg() returns curg, or g0.
 *
 * TLS.  getm() reads a __thread variable in a function that is never
 * inlined and contains an asm barrier: a goroutine that parks on one thread
 * may resume on another, and gcc would otherwise be free to keep the
 * address of the first thread's TLS block across the switch.
 *
 * Run queues (Go's design).  Each m has a ring of 256 g's (runq,
 * runqhead, runqtail: only the owner writes the tail; thieves take from the
 * head with a CAS; with a single m nobody steals, and the owner uses
 * plain loads and stores, see solo()) plus runnext, a slot for the
 * goroutine that should run next (the one just readied or created: the
 * producer/consumer pair then
 * runs back to back, sharing cache).  A full ring moves half of itself to
 * the global queue (a linked list under sched.lock).  An m looking for work
 * takes runnext, its ring, the global queue (and the global queue first on
 * every 61st schedule, so it cannot starve), runs due timers, then steals
 * half of another m's ring.
 *
 * Idle m's.  An m with nothing to do registers on the idle list and sleeps
 * on its own futex word (m->parked), with a timeout when a timer is
 * pending: no core ever spins on an empty system.  A producer (goready,
 * gort_go) wakes one idle m when no m is already "spinning" (out of work
 * and looking for some).  A spinning m that finds nothing naps once
 * (RUNNEXT_WAIT_NS, stretched by the kernel's timer slack) before it goes
 * idle, as Go's does: a producer readying goroutines back to back then
 * finds a spinner and pays no futex wake-up each time.  The lost-wakeup race (an m decides to sleep while
 * a producer decides nobody needs waking) is closed Dekker-style: the
 * producer publishes the g, fences, then reads npidle/nmspinning; the m
 * publishes npidle/nmspinning, fences, then re-reads every run queue.
 *
 * Deadlock.  The m that finds every m idle, every queue empty, no timer
 * pending and goroutine 1 still alive reports Go's
 * "all goroutines are asleep - deadlock!" and aborts.  A goroutine running
 * C code keeps its m busy, a sleeping one keeps a timer pending: neither is
 * mistaken for a deadlock.
 *
 * The limit: checkdead sees only the runtime's own threads.  A thread
 * outside the runtime may use the non-blocking channel calls (trysend,
 * tryrecv, close: nothing there parks), and a goroutine parked until such
 * a thread sends looks exactly like a deadlocked one.  If at that moment
 * no goroutine is runnable and no timer is pending, the report comes,
 * although the foreign thread was about to send.  No cheap test tells the
 * two apart (a thread that has not called yet leaves no trace), and
 * giving up detection whenever a foreign thread has ever called would
 * lose it for every such program.  So a program whose goroutines wait on
 * foreign threads keeps a timer pending while they may be the only
 * source of work: a goroutine that sleeps in a loop, or a select with a
 * gort_after timeout.  (Go counts the extra m's that cgo callbacks run on
 * and never reports then; gort's foreign threads are not m's.)
 *
 * Wait times.  gopark stamps g->waitsince with gort_nanotime_coarse():
 * CLOCK_MONOTONIC as the kernel last brought it up to date, so the same
 * scale as gort_nanotime() (debuggers subtract the two) but a tick or two
 * early (the kernel updates it lazily after idle: 3.6 to 7.4 ms behind
 * with a 4 ms tick on this VM).  A wait is reported in minutes or
 * milliseconds, and the full clock cost a quarter of a channel round trip
 * on this VM.  The waker (goready) sets waitsince and waitreason back to
 * 0 while the goroutine is still Gwaiting, so only a waiting goroutine
 * carries a wait.
 *
 * Stacks are attached when a goroutine first runs and returned when it
 * dies (stack.c), so queued-but-unstarted goroutines cost only their g.
 */
#include "proc.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define GORT_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define GORT_TSAN 1
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

/* asm offsets (asm_amd64.S / asm_arm64.S) */
_Static_assert(offsetof(struct gobuf, sp) == 0, "gobuf.sp");
_Static_assert(offsetof(struct gobuf, pc) == 8, "gobuf.pc");
_Static_assert(offsetof(struct gobuf, bp) == 16, "gobuf.bp");
#if defined(__x86_64__)
_Static_assert(offsetof(struct gobuf, rbx) == 24, "gobuf.rbx");
_Static_assert(offsetof(struct gobuf, r12) == 32, "gobuf.r12");
_Static_assert(offsetof(struct gobuf, r13) == 40, "gobuf.r13");
_Static_assert(offsetof(struct gobuf, r14) == 48, "gobuf.r14");
_Static_assert(offsetof(struct gobuf, r15) == 56, "gobuf.r15");
_Static_assert(offsetof(struct gobuf, mxcsr) == 64, "gobuf.mxcsr");
_Static_assert(offsetof(struct gobuf, fpucw) == 68, "gobuf.fpucw");
#elif defined(__aarch64__)
_Static_assert(offsetof(struct gobuf, lr) == 24, "gobuf.lr");
_Static_assert(offsetof(struct gobuf, x19) == 32, "gobuf.x19");
_Static_assert(offsetof(struct gobuf, x21) == 48, "gobuf.x21");
_Static_assert(offsetof(struct gobuf, x23) == 64, "gobuf.x23");
_Static_assert(offsetof(struct gobuf, x25) == 80, "gobuf.x25");
_Static_assert(offsetof(struct gobuf, x27) == 96, "gobuf.x27");
_Static_assert(offsetof(struct gobuf, d8) == 112, "gobuf.d8");
_Static_assert(offsetof(struct gobuf, d10) == 128, "gobuf.d10");
_Static_assert(offsetof(struct gobuf, d12) == 144, "gobuf.d12");
_Static_assert(offsetof(struct gobuf, d14) == 160, "gobuf.d14");
#endif

enum {
    RUNQ_SIZE   = 256,
    GFREE_MAX   = 64,             /* dead g's an m keeps before sharing */
    MAX_PROCS   = 1024,
    GLOBAL_TICK = 61,             /* Go's number: prime, so no lockstep */
    TIMER_TICK  = 16,             /* switches between timer checks while busy */
    SPAWN_BACKLOG = 4096,         /* queued goroutines before a spawner yields */
    RUNNEXT_WAIT_NS = 3000,       /* Go's usleep(3) of a spinning m (see spin_for_work) */
};

/* What g0 does for the goroutine that just switched to it. */
enum { ACT_NONE = 0, ACT_PARK, ACT_YIELD, ACT_EXIT };

const char *const gort_waitreason_strings[waitReasonCount] = {
    [waitReasonZero]               = "",
    [waitReasonChanReceive]        = "chan receive",
    [waitReasonChanSend]           = "chan send",
    [waitReasonSelect]             = "select",
    [waitReasonSleep]              = "sleep",
    [waitReasonChanReceiveNilChan] = "chan receive (nil chan)",
    [waitReasonChanSendNilChan]    = "chan send (nil chan)",
    [waitReasonSelectNoCases]      = "select (no cases)",
    [waitReasonMutex]              = "mutex",
    [waitReasonWaitGroup]          = "waitgroup",
    [waitReasonYield]              = "yield",
};

struct g **gort_allgs;
_Atomic uintptr_t gort_allglen;
struct m *gort_allm;
int32_t gort_nprocs;
_Atomic int32_t gort_ngoroutines;

extern const void *const gort_debuginfo[];

static uintptr_t allgcap;
static gort_lock allglock;
static _Atomic int64_t goidgen = 1;
static struct m **allms;              /* allms[0 .. gort_nprocs) */

static struct {
    gort_lock lock;
    struct g *runqhead, *runqtail;    /* global run queue */
    _Atomic int32_t runqsize;
    struct m *idle;                   /* idle m's, linked by idlelink */
    _Atomic int32_t npidle;
    _Atomic int32_t nmspinning;
    struct g *gfree;                  /* dead g's shared by all m's */
    _Atomic int32_t ngfree;           /* written under lock, peeked at without */
} sched;

static _Atomic uint32_t mainstarted;
static _Atomic uint32_t maindone;     /* futex word gort_main waits on */
static _Atomic uint32_t stopped;      /* gort_main returned: m's stop scheduling */
static int mainresult;
static _Atomic uint64_t globalrand = 0x9e3779b97f4a7c15ull;

__thread struct m *gort_tls_m;      /* see runtime.h: read inline only where no switch intervenes */

__attribute__((noinline)) struct m *getm(void)
{
    __asm__ volatile("" ::: "memory");
    return gort_tls_m;
}

__attribute__((noinline)) struct g *getg(void)
{
    struct m *mp = getm();
    if (mp == NULL)
        return NULL;
    return mp->curg != NULL ? mp->curg : mp->g0;
}

bool gort_started(void)
{
    return atomic_load(&mainstarted) != 0;
}

/* ------------------------------------------------------------------ */
/* Random numbers: wyrand, per m (no sharing), a global atomic elsewhere. */

static uint32_t wyrand(uint64_t *s)
{
    *s += 0xa0761d6478bd642full;
    __uint128_t t = (__uint128_t)*s * (*s ^ 0xe7037ed1a0b428dbull);
    return (uint32_t)((t >> 64) ^ t);
}

uint32_t gort_fastrand(void)
{
    struct m *mp = getm();
    if (mp != NULL)
        return wyrand(&mp->fastrand);
    uint64_t s = atomic_fetch_add(&globalrand, 0xa0761d6478bd642full);
    return wyrand(&s);
}

/* ------------------------------------------------------------------ */
/* Switching, with the sanitizers told about it. */

static inline void switchto(struct g *from, struct g *to, bool fromdies)
{
#ifdef GORT_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(fromdies ? NULL : &fake, (const void *)to->stack.lo,
                                   to->stack.hi - to->stack.lo);
#else
    (void)fromdies;
#endif
#ifdef GORT_TSAN
    __tsan_switch_to_fiber(to->racectx, 0);
#endif
    gort_swapctx(&from->sched, &to->sched);
#ifdef GORT_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

/* ------------------------------------------------------------------ */
/* Goroutine states */

/* Status changes by the one party entitled to make them: the m that owns
 * gp (it took gp off a run queue, or gp is its own curg), or the waker
 * that took a parked gp's sudog off a wait list (goready).  Nobody else
 * may change the status then, so a check and a release store do (one
 * atomic RMW fewer on the switch path) and a wrong status is still
 * reported. */
static inline void setgstatus(struct g *gp, uint32_t from, uint32_t to, const char *who)
{
    uint32_t old = atomic_load_explicit(&gp->atomicstatus, memory_order_relaxed);
    if (old != from)
        gort_fatal("%s: goroutine %lld has status %u, want %u",
                   who, (long long)gp->goid, old, from);
    atomic_store_explicit(&gp->atomicstatus, to, memory_order_release);
}

static void casgstatus(struct g *gp, uint32_t from, uint32_t to, const char *who)
{
    uint32_t old = from;
    if (!atomic_compare_exchange_strong(&gp->atomicstatus, &old, to))
        gort_fatal("%s: goroutine %lld has status %u, want %u",
                   who, (long long)gp->goid, old, from);
}

/* A parked goroutine is about to stop waiting: its wait reason and time
 * go back to zero first (written while it is still Gwaiting and nobody
 * runs it), so a debugger never reads a stale wait off a goroutine that
 * is runnable or running. */
static inline void unwait(struct g *gp)
{
    gp->waitreason = waitReasonZero;
    gp->waitsince = 0;
}

/* The pieces of a goroutine switch (run queues, the direct hand-off) are
 * inlined into the few places that switch: each is a handful of
 * instructions, and as calls they cost their frame-pointer prologues,
 * about a quarter of a yield's instructions. */
#define HOT static inline __attribute__((always_inline))

/* ------------------------------------------------------------------ */
/* Local run queues (owner puts at the tail, anyone takes at the head). */

static inline struct g *slot_load(struct m *mp, uint32_t i)
{
    return __atomic_load_n(&mp->runq[i % RUNQ_SIZE], __ATOMIC_RELAXED);
}

static inline void slot_store(struct m *mp, uint32_t i, struct g *gp)
{
    __atomic_store_n(&mp->runq[i % RUNQ_SIZE], gp, __ATOMIC_RELAXED);
}

static void globrunqput_batch(struct g *head, struct g *tail, int32_t n)
{
    tail->schedlink = NULL;
    lock(&sched.lock);
    if (sched.runqtail != NULL)
        sched.runqtail->schedlink = head;
    else
        sched.runqhead = head;
    sched.runqtail = tail;
    atomic_fetch_add(&sched.runqsize, n);
    unlock(&sched.lock);
}

/* The ring is full: move half of it and gp to the global queue. */
static bool runqputslow(struct m *mp, struct g *gp, uint32_t h, uint32_t t)
{
    struct g *batch[RUNQ_SIZE / 2 + 1];
    uint32_t n = (t - h) / 2;
    for (uint32_t i = 0; i < n; i++)
        batch[i] = slot_load(mp, h + i);
    if (!atomic_compare_exchange_strong_explicit(&mp->runqhead, &h, h + n,
            memory_order_release, memory_order_relaxed))
        return false;
    batch[n] = gp;
    for (uint32_t i = 0; i < n; i++)
        batch[i]->schedlink = batch[i + 1];
    globrunqput_batch(batch[0], batch[n], (int32_t)n + 1);
    return true;
}

/* True when this process has a single m: nobody steals, so an m's run
 * queue is touched by that m alone (foreign threads and g0-less callers
 * use the global queue) and its owner needs no atomic read-modify-writes
 * on it: plain (relaxed atomic) loads and stores do.  An RMW costs ~5 ns on
 * this VM, and a channel round trip at GORTMAXPROCS=1 made four of them on
 * runnext and the ring head. */
static inline bool solo(void)
{
    return gort_nprocs == 1;
}

HOT void runqput(struct m *mp, struct g *gp, bool next)
{
    if (next) {
        /* Only the owner makes runnext non-NULL; thieves only take it
         * (CAS g -> NULL).  So an empty runnext stays empty until we store
         * into it, and that store needs no RMW: only displacing an old
         * runnext races with a thief. */
        struct g *old = atomic_load_explicit(&mp->runnext, memory_order_relaxed);
        if (old == NULL || solo()) {
            atomic_store_explicit(&mp->runnext, gp, memory_order_release);
            if (old == NULL)
                return;
            gp = old;
        } else {
            gp = atomic_exchange(&mp->runnext, gp);
            if (gp == NULL)
                return;
        }
        /* the old runnext goes to the tail */
    }
    for (;;) {
        uint32_t h = atomic_load_explicit(&mp->runqhead, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&mp->runqtail, memory_order_relaxed);
        if (t - h < RUNQ_SIZE) {
            slot_store(mp, t, gp);
            atomic_store_explicit(&mp->runqtail, t + 1, memory_order_release);
            return;
        }
        if (runqputslow(mp, gp, h, t))
            return;
    }
}

HOT struct g *runqget(struct m *mp)
{
    struct g *next = atomic_load_explicit(&mp->runnext, memory_order_acquire);
    if (solo()) {
        if (next != NULL) {
            atomic_store_explicit(&mp->runnext, NULL, memory_order_relaxed);
            return next;
        }
        uint32_t h = atomic_load_explicit(&mp->runqhead, memory_order_relaxed);
        if (atomic_load_explicit(&mp->runqtail, memory_order_relaxed) == h)
            return NULL;
        struct g *gp = slot_load(mp, h);
        atomic_store_explicit(&mp->runqhead, h + 1, memory_order_release);
        return gp;
    }
    if (next != NULL && atomic_compare_exchange_strong(&mp->runnext, &next, NULL))
        return next;
    for (;;) {
        uint32_t h = atomic_load_explicit(&mp->runqhead, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&mp->runqtail, memory_order_relaxed);
        if (t == h)
            return NULL;
        struct g *gp = slot_load(mp, h);
        if (atomic_compare_exchange_strong_explicit(&mp->runqhead, &h, h + 1,
                memory_order_release, memory_order_relaxed))
            return gp;
    }
}

static bool runqempty(struct m *mp)
{
    uint32_t h = atomic_load(&mp->runqhead);
    uint32_t t = atomic_load(&mp->runqtail);
    return h == t && atomic_load(&mp->runnext) == NULL;
}

/* Take half of victim's ring into batch; its runnext too when stealnext
 * and the ring is empty.  Returns how many. */
static uint32_t runqgrab(struct m *victim, struct g **batch, bool stealnext)
{
    for (;;) {
        uint32_t h = atomic_load_explicit(&victim->runqhead, memory_order_acquire);
        uint32_t t = atomic_load_explicit(&victim->runqtail, memory_order_acquire);
        uint32_t n = t - h;
        n = n - n / 2;
        if (n == 0) {
            if (!stealnext)
                return 0;
            struct g *next = atomic_load(&victim->runnext);
            if (next != NULL && atomic_compare_exchange_strong(&victim->runnext, &next, NULL)) {
                batch[0] = next;
                return 1;
            }
            return 0;
        }
        if (n > RUNQ_SIZE / 2)
            continue;           /* read h and t inconsistently: retry */
        for (uint32_t i = 0; i < n; i++)
            batch[i] = slot_load(victim, h + i);
        if (atomic_compare_exchange_strong_explicit(&victim->runqhead, &h, h + n,
                memory_order_release, memory_order_relaxed))
            return n;
    }
}

static struct g *runqsteal(struct m *mp, struct m *victim, bool stealnext)
{
    struct g *batch[RUNQ_SIZE / 2];
    uint32_t n = runqgrab(victim, batch, stealnext);
    if (n == 0)
        return NULL;
    for (uint32_t i = 1; i < n; i++)
        runqput(mp, batch[i], false);
    return batch[0];
}

/* Global queue; sched.lock held.  Moves a fair share into mp's ring.
 * Callers call it only when mp's ring is empty (or with max == 1), and
 * only mp itself adds to its ring, so the runqput calls below always fit
 * and never take the runqputslow path, which would need sched.lock. */
static struct g *globrunqget(struct m *mp, int32_t max)
{
    int32_t size = atomic_load(&sched.runqsize);
    if (size == 0)
        return NULL;
    int32_t n = size / gort_nprocs + 1;
    if (n > size) n = size;
    if (max > 0 && n > max) n = max;
    if (n > RUNQ_SIZE / 2) n = RUNQ_SIZE / 2;
    atomic_fetch_sub(&sched.runqsize, n);
    struct g *gp = sched.runqhead;
    sched.runqhead = gp->schedlink;
    for (int32_t i = 1; i < n; i++) {
        struct g *g1 = sched.runqhead;
        sched.runqhead = g1->schedlink;
        runqput(mp, g1, false);
    }
    if (sched.runqhead == NULL)
        sched.runqtail = NULL;
    return gp;
}

/* ------------------------------------------------------------------ */
/* Idle m's */

/* Wake an idle m to look for work, unless one is already looking. */
static void wakep(void)
{
    if (atomic_load(&sched.npidle) == 0 || atomic_load(&sched.nmspinning) != 0)
        return;
    lock(&sched.lock);
    struct m *mp = sched.idle;
    if (mp == NULL || atomic_load(&sched.nmspinning) != 0) {
        unlock(&sched.lock);
        return;
    }
    sched.idle = mp->idlelink;
    atomic_fetch_sub(&sched.npidle, 1);
    atomic_fetch_add(&sched.nmspinning, 1);
    mp->spinning = 1;
    atomic_store(&mp->parked, 0);
    unlock(&sched.lock);
    gort_futex_wake(&mp->parked, 1);
}

/* The store-load fence of the Dekker handshake between a producer and an
 * m going idle (see the essay).  An RMW on one shared word rather than
 * atomic_thread_fence: both sides' RMWs are totally ordered, which is the
 * guarantee needed, it is a full barrier on x86-64 and aarch64 alike, and
 * ThreadSanitizer understands it (it rejects standalone fences). */
static _Atomic uint32_t dekker;

static inline void storeload_fence(void)
{
    atomic_fetch_add_explicit(&dekker, 0, memory_order_seq_cst);
}

/* A producer made a g runnable. */
static void ready_wake(struct m *producer)
{
    if (producer != NULL && gort_nprocs == 1)
        return;                 /* the only m is the producer itself: it will look */
    storeload_fence();
    if (atomic_load(&sched.npidle) != 0 && atomic_load(&sched.nmspinning) == 0)
        wakep();
}

/* Wake one idle m whatever the spinning count: a new earliest timer must be
 * waited for by someone. */
void gort_sched_timer_wake(int64_t when)
{
    (void)when;
    if (atomic_load(&sched.npidle) == 0)
        return;
    lock(&sched.lock);
    struct m *mp = sched.idle;
    if (mp != NULL) {
        sched.idle = mp->idlelink;
        atomic_fetch_sub(&sched.npidle, 1);
        atomic_fetch_add(&sched.nmspinning, 1);
        mp->spinning = 1;
        atomic_store(&mp->parked, 0);
    }
    unlock(&sched.lock);
    if (mp != NULL)
        gort_futex_wake(&mp->parked, 1);
}

static void stop_spinning(struct m *mp)
{
    if (mp->spinning) {
        mp->spinning = 0;
        /* The last spinner found work: there may be more, let another look. */
        if (atomic_fetch_sub(&sched.nmspinning, 1) == 1)
            ready_wake(NULL);
    }
}

/* Remove mp from the idle list if it is still there (sched.lock held). */
static void unidle(struct m *mp)
{
    if (atomic_load(&mp->parked) == 0)
        return;                 /* a waker took us off and made us spinning */
    for (struct m **pp = &sched.idle; *pp != NULL; pp = &(*pp)->idlelink) {
        if (*pp == mp) {
            *pp = mp->idlelink;
            break;
        }
    }
    atomic_fetch_sub(&sched.npidle, 1);
    atomic_store(&mp->parked, 0);
}

static bool anywork(void)
{
    if (atomic_load(&sched.runqsize) > 0)
        return true;
    for (int32_t i = 0; i < gort_nprocs; i++)
        if (!runqempty(allms[i]))
            return true;
    return false;
}

static void checkdead(void)
{
    lock(&sched.lock);
    bool dead = atomic_load(&sched.npidle) == gort_nprocs && !anywork() &&
                gort_timer_count() == 0 && atomic_load(&maindone) == 0 &&
                atomic_load(&stopped) == 0;
    unlock(&sched.lock);
    if (dead)
        gort_fatal("all goroutines are asleep - deadlock!");
}

/* ------------------------------------------------------------------ */
/* Finding work */

static _Noreturn void stop_forever(struct m *mp)
{
    _Atomic uint32_t never = 0;
    (void)mp;
    for (;;)
        gort_futex_wait(&never, 0, -1);
}

/* Is there work for mp in another m's ring, the global queue or a due
 * timer?  (Not another m's runnext: that one is about to run where it is.) */
static bool work_elsewhere(struct m *mp)
{
    if (atomic_load_explicit(&stopped, memory_order_relaxed) ||
        atomic_load_explicit(&sched.runqsize, memory_order_relaxed) > 0)
        return true;
    for (int32_t j = 0; j < gort_nprocs; j++) {
        struct m *victim = allms[j];
        if (victim != mp &&
            atomic_load_explicit(&victim->runqhead, memory_order_relaxed) !=
            atomic_load_explicit(&victim->runqtail, memory_order_relaxed))
            return true;
    }
    int64_t when = gort_timer_next();
    return when >= 0 && when <= gort_nanotime();
}

/* A spinning m that found nothing naps once before it goes idle, still
 * counted in nmspinning (Go's spinning m does the same: usleep(3) before
 * it takes another m's runnext).  The nap is a system call, not a busy
 * loop, and the kernel's timer slack (50 us) stretches it; meanwhile a
 * producer's goready sees a spinning m and pays no futex wake-up.  With two
 * m's a channel ping-pong otherwise wakes the idle m on most messages, and
 * the m finds nothing (the partner is in the producer's runnext and runs
 * there next).  True: go look again. */
static bool spin_for_work(struct m *mp)
{
    if (work_elsewhere(mp))
        return true;
    struct timespec ts = { 0, RUNNEXT_WAIT_NS };
    nanosleep(&ts, NULL);
    return work_elsewhere(mp);
}

static struct g *findrunnable(struct m *mp)
{
    struct g *gp;
top:
    if (atomic_load(&stopped))
        stop_forever(mp);
    /* Due timers: every TIMER_TICK switches while there is other work
     * (reading the clock costs ~100 ns on a virtual machine, as much as a
     * goroutine switch), and always before looking elsewhere or idling. */
    if (mp->schedtick % TIMER_TICK == 0 && gort_timer_next() >= 0)
        gort_timer_run(gort_nanotime());

    if (mp->schedtick % GLOBAL_TICK == 0 && atomic_load(&sched.runqsize) > 0) {
        lock(&sched.lock);
        gp = globrunqget(mp, 1);
        unlock(&sched.lock);
        if (gp != NULL)
            return gp;
    }
    if ((gp = runqget(mp)) != NULL)
        return gp;
    if (atomic_load(&sched.runqsize) > 0) {
        lock(&sched.lock);
        gp = globrunqget(mp, 0);
        unlock(&sched.lock);
        if (gp != NULL)
            return gp;
    }

    if (gort_timer_next() >= 0) {
        gort_timer_run(gort_nanotime());
        if ((gp = runqget(mp)) != NULL)
            return gp;
    }

    /* Steal: four rounds over the other m's from a random start; runnext
     * only in the last (it is about to run where it is, usually). */
    if (gort_nprocs > 1) {
        if (!mp->spinning) {
            mp->spinning = 1;
            atomic_fetch_add(&sched.nmspinning, 1);
        }
        for (int round = 0; round < 4; round++) {
            uint32_t start = gort_fastrand() % (uint32_t)gort_nprocs;
            for (int32_t i = 0; i < gort_nprocs; i++) {
                struct m *victim = allms[(start + (uint32_t)i) % (uint32_t)gort_nprocs];
                if (victim == mp)
                    continue;
                if ((gp = runqsteal(mp, victim, round == 3)) != NULL)
                    return gp;
            }
        }
    }

    if (gort_nprocs > 1 && mp->spinning && spin_for_work(mp))
        goto top;

    /* Nothing: go idle. */
    lock(&sched.lock);
    if (atomic_load(&sched.runqsize) > 0) {
        gp = globrunqget(mp, 0);
        unlock(&sched.lock);
        return gp;
    }
    mp->idlelink = sched.idle;
    sched.idle = mp;
    atomic_store(&mp->parked, 1);
    atomic_fetch_add(&sched.npidle, 1);
    unlock(&sched.lock);
    if (mp->spinning) {
        mp->spinning = 0;
        atomic_fetch_sub(&sched.nmspinning, 1);
    }
    storeload_fence();

    int64_t next = gort_timer_next();
    int64_t now = next >= 0 ? gort_nanotime() : 0;
    if (anywork() || (next >= 0 && next <= now)) {
        lock(&sched.lock);
        unidle(mp);
        unlock(&sched.lock);
        goto top;
    }
    if (next < 0)
        checkdead();

    int64_t deadline = next;
    while (atomic_load(&mp->parked) == 1 && !atomic_load(&stopped)) {
        int64_t wait = -1;
        if (deadline >= 0) {
            now = gort_nanotime();
            if (now >= deadline)
                break;
            wait = deadline - now;
        }
        gort_futex_wait(&mp->parked, 1, wait);
    }
    lock(&sched.lock);
    unidle(mp);
    unlock(&sched.lock);
    goto top;
}

/* ------------------------------------------------------------------ */
/* Running goroutines */

static void goroutine_main(struct g *gp);

static void gfput(struct m *mp, struct g *gp)
{
    gp->schedlink = mp->gfree;
    mp->gfree = gp;
    if (++mp->gfreecnt <= GFREE_MAX)
        return;
    lock(&sched.lock);
    while (mp->gfreecnt > GFREE_MAX / 2) {
        struct g *g1 = mp->gfree;
        mp->gfree = g1->schedlink;
        mp->gfreecnt--;
        g1->schedlink = sched.gfree;
        sched.gfree = g1;
        sched.ngfree++;
    }
    unlock(&sched.lock);
}

static struct g *gfget(struct m *mp)
{
    if (mp->gfree == NULL && sched.ngfree > 0) {
        lock(&sched.lock);
        while (mp->gfreecnt < GFREE_MAX / 2 && sched.gfree != NULL) {
            struct g *g1 = sched.gfree;
            sched.gfree = g1->schedlink;
            sched.ngfree--;
            g1->schedlink = mp->gfree;
            mp->gfree = g1;
            mp->gfreecnt++;
        }
        unlock(&sched.lock);
    }
    struct g *gp = mp->gfree;
    if (gp != NULL) {
        mp->gfree = gp->schedlink;
        mp->gfreecnt--;
        gp->schedlink = NULL;
    }
    return gp;
}

static void gdestroy(struct m *mp, struct g *gp)
{
    atomic_store(&gp->atomicstatus, Gdead);
    atomic_fetch_sub(&gort_ngoroutines, 1);
#ifdef GORT_ASAN
    /* Frames the goroutine left behind (goroutine_main never returns) keep
     * their redzones poisoned; the next goroutine on this stack starts
     * clean. */
    __asan_unpoison_memory_region((void *)gp->stack.lo, gp->stack.hi - gp->stack.lo);
#endif
    gort_stackfree(mp, &gp->stack);
    gp->m = NULL;
    gp->waiting = NULL;
    gp->waitobj = NULL;
    gp->waitreason = waitReasonZero;
    gp->startfv = NULL;
    gp->startfn = NULL;
    gp->startarg = NULL;
    gp->param = NULL;
    gp->paniking = 0;
    gfput(mp, gp);
}

static void gogo_init(struct g *gp)
{
    memset(&gp->sched, 0, sizeof gp->sched);
    gp->sched.sp = gp->stack.hi & ~(uintptr_t)15;
    gp->sched.pc = (uintptr_t)gort_goentry;
    gp->sched.bp = 0;
#if defined(__x86_64__)
    gp->sched.rbx = (uintptr_t)gp;
    gp->sched.r12 = (uintptr_t)goroutine_main;
    gp->sched.mxcsr = 0x1f80;          /* the ABI's initial state */
    gp->sched.fpucw = 0x037f;
#elif defined(__aarch64__)
    gp->sched.x19 = (uintptr_t)gp;
    gp->sched.x20 = (uintptr_t)goroutine_main;
#endif
}

HOT void stack_attach(struct m *mp, struct g *gp)
{
    if (gp->stack.lo == 0) {
        if (!gort_stackalloc(mp, &gp->stack, &gp->stackguard))
            gort_fatal("runtime: cannot allocate a goroutine stack of %zu bytes: %s",
                       gort_stack_size(), strerror(errno));
        gogo_init(gp);
    }
}

/* Run gp on mp until a goroutine switches back (gp, or another one that
 * gp handed off to directly: m->curg says which); then do what it asked. */
static void execute(struct m *mp, struct g *gp)
{
    stack_attach(mp, gp);
    setgstatus(gp, Grunnable, Grunning, "execute");
    for (;;) {
        gp->m = mp;
        mp->curg = gp;
        mp->schedtick++;
        mp->action = ACT_NONE;
        switchto(mp->g0, gp, false);
        gp = mp->curg;
        mp->curg = NULL;
        switch (mp->action) {
        case ACT_PARK: {
            bool (*f)(struct g *, void *) = mp->waitunlockf;
            void *arg = mp->waitarg;
            mp->waitunlockf = NULL;
            mp->waitarg = NULL;
            gp->m = NULL;
            atomic_store_explicit(&gp->atomicstatus, Gwaiting, memory_order_release);
            if (f != NULL && !f(gp, arg)) {
                unwait(gp);
                casgstatus(gp, Gwaiting, Grunning, "gopark");
                continue;       /* resume it at once */
            }
            return;
        }
        case ACT_YIELD:
            gp->m = NULL;
            atomic_store_explicit(&gp->atomicstatus, Grunnable, memory_order_release);
            runqput(mp, gp, false);
            return;
        case ACT_EXIT:
            gdestroy(mp, gp);
            return;
        default:
            gort_fatal("runtime: goroutine %lld switched to the scheduler with no action",
                       (long long)gp->goid);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Direct hand-off (see the essay) */

/* The goroutine findrunnable would pick now, when it would pick it off
 * mp's own queue without looking elsewhere first; else NULL (go through
 * g0).  The ticks are the ones findrunnable tests: schedtick is not
 * advanced between the last switch and this call on either path. */
HOT struct g *handoff_next(struct m *mp)
{
    uint32_t tick = mp->schedtick;
    if (atomic_load_explicit(&stopped, memory_order_relaxed))
        return NULL;
    if (tick % TIMER_TICK == 0 && gort_timer_next() >= 0)
        return NULL;
    if (tick % GLOBAL_TICK == 0 && atomic_load(&sched.runqsize) > 0)
        return NULL;
    return runqget(mp);
}

/* What execute() does before switching to next; `from` stops with action. */
HOT void handoff_prepare(struct m *mp, struct g *from, struct g *next, int32_t action)
{
    stack_attach(mp, next);
    setgstatus(next, Grunnable, Grunning, "handoff");
    mp->action = action;
    mp->handoffg = from;
    next->m = mp;
    mp->curg = next;
    mp->schedtick++;
}

/* First thing a goroutine does when its switch returns (or it starts):
 * if the goroutine before it on this m handed off directly, do what that
 * one asked, as execute() would (its context is saved now). */
HOT void handoff_finish(void)
{
    struct m *mp = getm();
    struct g *gp = mp->handoffg;
    if (gp == NULL)
        return;
    mp->handoffg = NULL;
    int32_t action = mp->action;
    mp->action = ACT_NONE;
    switch (action) {
    case ACT_PARK: {
        bool (*f)(struct g *, void *) = mp->waitunlockf;
        void *arg = mp->waitarg;
        mp->waitunlockf = NULL;
        mp->waitarg = NULL;
        gp->m = NULL;
        atomic_store_explicit(&gp->atomicstatus, Gwaiting, memory_order_release);
        if (f != NULL && !f(gp, arg)) {
            /* "Resume it at once": it runs next, after this one. */
            unwait(gp);
            casgstatus(gp, Gwaiting, Grunnable, "gopark");
            runqput(mp, gp, true);
        }
        return;
    }
    case ACT_YIELD:
        gp->m = NULL;
        atomic_store_explicit(&gp->atomicstatus, Grunnable, memory_order_release);
        runqput(mp, gp, false);
        return;
    case ACT_EXIT:
        gdestroy(mp, gp);
        return;
    default:
        gort_fatal("runtime: goroutine %lld handed off with no action", (long long)gp->goid);
    }
}

static _Noreturn void schedule(struct m *mp)
{
    for (;;) {
        struct g *gp = findrunnable(mp);
        stop_spinning(mp);
        execute(mp, gp);
    }
}

static void goroutine_main(struct g *gp)
{
#ifdef GORT_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    handoff_finish();
    if (gp->startfv != NULL)
        ((void (*)(struct funcval *))gp->startfv->fn)(gp->startfv);
    else
        gp->startfn(gp->startarg);
    gort_rundefers(gp);
    struct m *mp = getm();           /* may not be the m we started on */
    struct g *next = handoff_next(mp);
    if (next != NULL) {
        handoff_prepare(mp, gp, next, ACT_EXIT);
        switchto(gp, next, true);
    } else {
        mp->action = ACT_EXIT;
        switchto(gp, mp->g0, true);
    }
    gort_fatal("runtime: dead goroutine %lld resumed", (long long)gp->goid);
}

/* ------------------------------------------------------------------ */
/* Parking */

void gopark(bool (*unlockf)(struct g *gp, void *arg), void *arg, enum waitreason reason,
            uintptr_t pc)
{
    struct m *mp = getm();
    struct g *gp = mp != NULL ? mp->curg : NULL;
    if (gp == NULL)
        gort_badcall("gopark", "not called from a goroutine");
    if ((unsigned)reason >= waitReasonCount)
        gort_badcall("gopark", "bad wait reason %d", (int)reason);
    gp->waitreason = reason;
    gp->waitpc = pc;
    /* The coarse clock: a person reads waitsince ("[chan receive, 3
     * minutes]"), and the full clock cost ~55 ns of a 230 ns channel round
     * trip, a quarter of it. */
    gp->waitsince = gort_nanotime_coarse();
    mp->waitunlockf = unlockf;
    mp->waitarg = arg;
    struct g *next = handoff_next(mp);
    if (next != NULL) {
        handoff_prepare(mp, gp, next, ACT_PARK);
        switchto(gp, next, false);
    } else {
        mp->action = ACT_PARK;
        switchto(gp, mp->g0, false);
    }
    /* Resumed, perhaps on another m: mp is stale here. */
    handoff_finish();
}

void goready(struct g *gp)
{
    if (gp == NULL)
        gort_badcall("goready", "NULL goroutine");
    unwait(gp);
    /* No CAS: exactly one party readies a parked goroutine, the one that
     * took its sudog off a wait list under that list's lock (select's
     * selectdone picks one waker among its cases; a timer owns its g),
     * and the parker's status store (Gwaiting) happened before the unlock
     * that let it be found.  So the check and a release store suffice, as
     * for the owner's own changes; the RMW was ~5 ns of every wake-up. */
    setgstatus(gp, Gwaiting, Grunnable, "goready");
    struct m *mp = getm();
    /* From a goroutine, gp runs next (the waker's partner: Go's runnext).
     * From g0 (timers firing in deadline order), at the tail, so a batch
     * of timers wakes its goroutines in that order. */
    if (mp != NULL)
        runqput(mp, gp, mp->curg != NULL);
    else
        globrunqput_batch(gp, gp, 1);
    ready_wake(mp);
}

void gort_yield(void)
{
    struct m *mp = getm();
    if (mp == NULL || mp->curg == NULL) {
        sched_yield();
        return;
    }
    struct g *gp = mp->curg;
    struct g *next = handoff_next(mp);
    if (next != NULL) {
        handoff_prepare(mp, gp, next, ACT_YIELD);
        switchto(gp, next, false);
    } else {
        mp->action = ACT_YIELD;
        switchto(gp, mp->g0, false);
    }
    handoff_finish();
}

/* ------------------------------------------------------------------ */
/* Creating goroutines */

static void allgadd(struct g *gp)
{
    lock(&allglock);
    uintptr_t n = atomic_load(&gort_allglen);
    if (n == allgcap) {
        uintptr_t ncap = allgcap ? allgcap * 2 : 1024;
        struct g **na = gort_malloc(sizeof *na * ncap);
        if (n > 0)
            memcpy(na, gort_allgs, sizeof *na * n);
        /* The old array stays valid (leaked on purpose): a traceback or a
         * debugger may be reading it right now. */
        __atomic_store_n(&gort_allgs, na, __ATOMIC_RELEASE);
        allgcap = ncap;
    }
    gort_allgs[n] = gp;
    atomic_store_explicit(&gort_allglen, n + 1, memory_order_release);
    unlock(&allglock);
}

static struct g *newg(struct m *mp)
{
    struct g *gp = mp != NULL ? gfget(mp) : NULL;
    if (gp != NULL)
        return gp;
    gp = gort_calloc(1, sizeof *gp);
    atomic_store(&gp->atomicstatus, Gidle);
#ifdef GORT_TSAN
    gp->racectx = __tsan_create_fiber(0);
#endif
    allgadd(gp);
    return gp;
}

static int64_t newproc(const char *call, void (*fn)(void *), void *arg, struct funcval *fv,
                       uintptr_t gopc)
{
    struct m *mp = getm();
    if (mp == NULL || !gort_started())
        gort_fatal("%s: called outside gort_main's goroutines", call);
    struct g *gp = newg(mp);
    gp->startfn = fn;
    gp->startarg = arg;
    gp->startfv = fv;
    gp->startpc = fv != NULL ? (uintptr_t)fv->fn : (uintptr_t)fn;
    gp->gopc = gopc;
    gp->parentgoid = mp->curg != NULL ? mp->curg->goid : 0;
    gp->defers = NULL;
    gp->waitreason = waitReasonZero;
    gp->waitsince = 0;
    gp->goid = atomic_fetch_add(&goidgen, 1);
    atomic_fetch_add(&gort_ngoroutines, 1);
    atomic_store(&gp->atomicstatus, Grunnable);
    int64_t id = gp->goid;
    runqput(mp, gp, true);
    ready_wake(mp);
    /* Backpressure.  Go preempts a goroutine that spawns for 10 ms, so the
     * spawned ones run and their g's are recycled; gort never preempts.  A
     * spawner that has queued SPAWN_BACKLOG goroutines on the global queue
     * yields instead, so a loop of a million gort_go calls costs a few
     * thousand g's at a time, not a million. */
    if (mp->curg != NULL && atomic_load(&sched.runqsize) > SPAWN_BACKLOG)
        gort_yield();
    return id;
}

__attribute__((noinline)) int64_t gort_go(void (*fn)(void *arg), void *arg)
{
    if (fn == NULL)
        gort_badcall("gort_go", "NULL function");
    return newproc("gort_go", fn, arg, NULL, (uintptr_t)__builtin_return_address(0));
}

__attribute__((noinline)) int64_t gort_go_func(struct funcval *f)
{
    if (f == NULL || f->fn == NULL)
        gort_badcall("gort_go_func", "NULL closure or closure with NULL fn");
    return newproc("gort_go_func", NULL, NULL, f, (uintptr_t)__builtin_return_address(0));
}

int64_t gort_goid(void)
{
    struct m *mp = getm();
    return mp != NULL && mp->curg != NULL ? mp->curg->goid : 0;
}

int gort_numgoroutine(void)
{
    return atomic_load(&gort_ngoroutines);
}

/* ------------------------------------------------------------------ */
/* Start-up */

struct mainctx {
    int (*fn)(int, char **);
    int argc;
    char **argv;
};

/* Goroutine 1.  Its defers run before gort_main is told it returned, as
 * a Go program's deferred calls in main run before the process exits:
 * once maindone is set, gort_main returns and the process may exit under
 * them. */
static void main_goroutine(void *arg)
{
    struct mainctx *mc = arg;
    mainresult = mc->fn(mc->argc, mc->argv);
    gort_rundefers(getg());
    atomic_store(&maindone, 1);
    gort_futex_wake(&maindone, 1);
}

static int32_t getprocs(void)
{
    const char *env = getenv("GORTMAXPROCS");
    if (env != NULL && *env != '\0') {
        char *end;
        errno = 0;
        long v = strtol(env, &end, 10);
        if (errno != 0 || *end != '\0' || v < 1 || v > MAX_PROCS)
            gort_badcall("GORTMAXPROCS", "\"%s\" is not a number of threads from 1 to %d",
                         env, MAX_PROCS);
        return (int32_t)v;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set) > MAX_PROCS ? MAX_PROCS : CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_PROCS ? MAX_PROCS : (int32_t)n;
}

static void *mstart(void *arg)
{
    struct m *mp = arg;
    gort_tls_m = mp;
    /* Release: a goroutine on another m may read it (a debugger-facing
     * check) while this thread is still starting. */
    __atomic_store_n(&mp->procid, (int32_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        void *addr;
        size_t size;
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            mp->g0lo = (uintptr_t)addr;
            mp->g0hi = (uintptr_t)addr + size;
            mp->g0->stack.lo = mp->g0lo;
            mp->g0->stack.hi = mp->g0hi;
        }
        pthread_attr_destroy(&attr);
    }
#ifdef GORT_TSAN
    mp->g0->racectx = __tsan_get_current_fiber();
#endif
    gort_signal_thread_init(mp);
    schedule(mp);
}

int gort_main(int (*main_fn)(int argc, char **argv), int argc, char **argv)
{
    /* Keep debuginfo.o (the debugger contract's types) in every program. */
    __asm__ volatile("" : : "r"(gort_debuginfo) : "memory");
    if (main_fn == NULL)
        gort_badcall("gort_main", "NULL main function");
    if (atomic_exchange(&mainstarted, 1) != 0)
        gort_badcall("gort_main", "called twice (the runtime runs once per process)");

    gort_nprocs = getprocs();
    gort_stack_init();
    gort_signal_init();

    allms = gort_calloc((size_t)gort_nprocs, sizeof *allms);
    struct m **tail = &gort_allm;
    for (int32_t i = 0; i < gort_nprocs; i++) {
        struct m *mp = gort_calloc(1, sizeof *mp);
        mp->id = i;
        mp->g0 = gort_calloc(1, sizeof *mp->g0);
        atomic_store(&mp->g0->atomicstatus, Grunning);
        mp->fastrand = (uint64_t)gort_nanotime() ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull);
        allms[i] = mp;
        *tail = mp;
        tail = &mp->alllink;
    }

    struct mainctx mc = { main_fn, argc, argv };
    struct g *gp = newg(NULL);
    gp->startfn = main_goroutine;
    gp->startarg = &mc;
    gp->startpc = (uintptr_t)main_fn;
    gp->gopc = (uintptr_t)__builtin_return_address(0);
    gp->goid = atomic_fetch_add(&goidgen, 1);
    atomic_fetch_add(&gort_ngoroutines, 1);
    atomic_store(&gp->atomicstatus, Grunnable);
    globrunqput_batch(gp, gp, 1);

    for (int32_t i = 0; i < gort_nprocs; i++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int err = pthread_create(&allms[i]->thread, &attr, mstart, allms[i]);
        pthread_attr_destroy(&attr);
        if (err != 0)
            gort_fatal("gort_main: cannot start worker thread %d: %s", i, strerror(err));
    }

    while (atomic_load(&maindone) == 0)
        gort_futex_wait(&maindone, 0, -1);
    /* Goroutines still running are abandoned, as in Go; the workers stop
     * taking new ones, so nothing new starts while the process exits. */
    atomic_store(&stopped, 1);
    for (int32_t i = 0; i < gort_nprocs; i++) {
        atomic_store(&allms[i]->parked, 0);
        gort_futex_wake(&allms[i]->parked, 1);
    }
    return mainresult;
}
