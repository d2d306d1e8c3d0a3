/*
 * timer.c: the runtime's timers (gort_sleep here, gort_after in chan's
 * part) and the monotonic clock.
 *
 * One binary min-heap ordered by `when`, under one lock.  A timer is a
 * struct timer owned by its user (gort_sleep keeps it on the sleeping
 * goroutine's stack, so a sleep allocates nothing); the heap stores
 * pointers and each timer knows its index (heapidx, -1 when not in the
 * heap), which makes timer_del O(log n) and lets it report whether the
 * timer was still pending.
 *
 * Who runs timers: the scheduler.  Every m looks at `nextwhen` (the
 * earliest deadline, an atomic read, no lock) each time it schedules, and
 * an idle m sleeps on its futex only until that deadline.  Due timers are
 * popped under the lock and their functions run with the lock released
 * (a function may goready, or send on a buffered channel, which takes other
 * locks).  A timer added with an earlier deadline than any before wakes an
 * idle m so its sleep is recomputed.
 *
 * Why one heap and not one per m (Go 1.14+): timers here serve sleep and
 * after; a single lock is simpler, keeps the deadlock check ("no timer
 * pending") a single load, and the lock is held for O(log n) steps.
 */
#include "proc.h"

#include <time.h>

static gort_lock timerlock;
static struct timer **heap;
static int32_t heaplen, heapcap;
static _Atomic int64_t nextwhen = -1;     /* heap[0]->when, or -1 */
static _Atomic int32_t ntimers;

int64_t gort_nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The same clock at the kernel's last tick (CLOCK_MONOTONIC_COARSE: the
 * vDSO copies one stored value, a few ns, where CLOCK_MONOTONIC costs
 * ~50 ns on a kvm-clock VM).  Never ahead of gort_nanotime(), behind it by
 * at most one tick (1-10 ms with CONFIG_HZ 100-1000).  For time stamps a
 * person reads ("waited 3 minutes"), never for deadlines. */
int64_t gort_nanotime_coarse(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
        return gort_nanotime();
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void setidx(int32_t i)
{
    heap[i]->heapidx = i;
}

static void siftup(int32_t i)
{
    while (i > 0) {
        int32_t p = (i - 1) / 2;
        if (heap[p]->when <= heap[i]->when)
            break;
        struct timer *t = heap[p]; heap[p] = heap[i]; heap[i] = t;
        setidx(p); setidx(i);
        i = p;
    }
}

static void siftdown(int32_t i)
{
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < heaplen && heap[l]->when < heap[m]->when) m = l;
        if (r < heaplen && heap[r]->when < heap[m]->when) m = r;
        if (m == i)
            break;
        struct timer *t = heap[m]; heap[m] = heap[i]; heap[i] = t;
        setidx(m); setidx(i);
        i = m;
    }
}

static void publish(void)
{
    atomic_store(&nextwhen, heaplen > 0 ? heap[0]->when : -1);
    atomic_store(&ntimers, heaplen);
}

/* Remove heap[i]; timerlock held. */
static void removeat(int32_t i)
{
    struct timer *t = heap[i];
    heaplen--;
    if (i != heaplen) {
        heap[i] = heap[heaplen];
        setidx(i);
        siftdown(i);
        siftup(i);
    }
    t->heapidx = -1;
}

void timer_add(struct timer *t)
{
    if (t == NULL || t->f == NULL)
        gort_badcall("timer_add", "NULL timer or timer function");
    lock(&timerlock);
    if (heaplen == heapcap) {
        int32_t ncap = heapcap ? heapcap * 2 : 64;
        struct timer **nh = gort_malloc(sizeof *nh * (size_t)ncap);
        for (int32_t i = 0; i < heaplen; i++)
            nh[i] = heap[i];
        gort_free(heap);
        heap = nh;
        heapcap = ncap;
    }
    heap[heaplen] = t;
    setidx(heaplen);
    heaplen++;
    siftup(t->heapidx);
    bool first = heap[0] == t;
    int64_t when = t->when;     /* once unlocked, t may fire and be reused */
    publish();
    unlock(&timerlock);
    if (first)
        gort_sched_timer_wake(when);
}

bool timer_del(struct timer *t)
{
    if (t == NULL)
        gort_badcall("timer_del", "NULL timer");
    lock(&timerlock);
    bool pending = t->heapidx >= 0 && t->heapidx < heaplen && heap[t->heapidx] == t;
    if (pending) {
        removeat(t->heapidx);
        publish();
    }
    unlock(&timerlock);
    return pending;
}

int64_t gort_timer_next(void)
{
    return atomic_load(&nextwhen);
}

int32_t gort_timer_count(void)
{
    return atomic_load(&ntimers);
}

void gort_timer_run(int64_t now)
{
    for (;;) {
        int64_t w = atomic_load(&nextwhen);
        if (w < 0 || w > now)
            return;
        lock(&timerlock);
        if (heaplen == 0 || heap[0]->when > now) {
            unlock(&timerlock);
            return;
        }
        struct timer *t = heap[0];
        removeat(0);
        publish();
        /* Read f and arg before unlocking: once the lock is released and
         * f has run, the owner may reuse or free the timer. */
        void (*f)(void *, int64_t) = t->f;
        void *arg = t->arg;
        unlock(&timerlock);
        f(arg, now);
    }
}

/* gort_sleep: park with a timer that readies us.  The timer is added by
 * the unlockf, i.e. only after this goroutine's context is saved, so the
 * timer can never goready a goroutine that is still running. */
static void sleep_wake(void *arg, int64_t now)
{
    (void)now;
    goready(arg);
}

static bool sleep_park(struct g *gp, void *arg)
{
    (void)gp;
    timer_add(arg);
    return true;
}

void gort_sleep(int64_t ns)
{
    if (ns <= 0)
        return;                 /* as Go's time.Sleep */
    struct g *gp = getg();
    if (gp == NULL || gp == getm()->g0) {
        /* Outside any goroutine (before gort_main, or a foreign thread):
         * sleep the thread. */
        struct timespec ts = { ns / 1000000000, ns % 1000000000 };
        while (nanosleep(&ts, &ts) != 0)
            ;
        return;
    }
    int64_t now = gort_nanotime();
    struct timer t = {
        .when = ns > INT64_MAX - now ? INT64_MAX : now + ns,
        .f = sleep_wake,
        .arg = gp,
        .heapidx = -1,
    };
    gopark(sleep_park, &t, waitReasonSleep, CALLERPC());
}
