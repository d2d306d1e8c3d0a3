/*
 * sudog.c: sudogs (a goroutine waiting in a list) and wait queues.
 *
 * A sudog is what a parked goroutine leaves in a wait list: channels'
 * recvq/sendq, a gort_mutex's or gort_waitgroup's waiters.  One goroutine
 * may sit in many lists at once (a select enqueues one sudog per case) and
 * one list holds many goroutines, so the g itself cannot be the list node:
 * that is why Go has sudogs, and why debuggers walk g->waiting (a g's
 * sudogs, linked by waitlink) and waitq.first (a list's sudogs, linked by
 * next).
 *
 * Allocation.  A sudog is needed on every park, so it must cost a few
 * instructions: each worker thread keeps a private cache (Go keeps it in
 * the P; here an m is one OS thread and a thread-local list is the same
 * thing without a lock), refilled from and spilled to one global list under
 * a lock, SUDOG_BATCH at a time.  Sudogs are never returned to malloc: the
 * most that exist is the most goroutines ever parked at once, times the
 * cases of their selects, which Go accepts too.  The cache is only touched
 * inside acquireSudog/releaseSudog, which never park, so a goroutine that
 * moves to another thread between the two is harmless (the sudog goes back
 * to whichever thread releases it); and since this file is its own
 * translation unit, no caller can keep a stale thread-local address across
 * a park.
 *
 * Wait queues are doubly linked FIFO lists (first, last; next, prev).
 * waitq_dequeue implements select's rule (Go's selectDone): a select parks
 * one sudog per case, and the first waker to flip g->selectdone from 0 to 1
 * wins; later wakers find selectdone == 1, drop that sudog from their
 * queue and take the next one.  The select removes its remaining sudogs
 * itself once it runs again (waitq_remove copes with a sudog a waker has
 * already dropped).  q->first is stored with relaxed atomic stores because
 * the channels' non-blocking fast paths read it without the lock.
 */
#include "chan.h"

#include <string.h>

enum {
    SUDOG_CACHE_MAX = 128,   /* a thread keeps at most this many */
    SUDOG_BATCH     = 64,    /* moved to/from the global list at once */
    SUDOG_ALLOC     = 32,    /* allocated from malloc at once */
};

static __thread struct sudog *sudogcache;    /* this thread's free sudogs */
static __thread uint32_t      nsudogcache;

static gort_lock     sudogsched_lock;        /* protects the two below */
static struct sudog *sudogsched;             /* global free list, by next */

/* Refill this thread's cache: half a cache from the global list, else a
 * fresh block from malloc. */
static void sudog_refill(void)
{
    lock(&sudogsched_lock);
    while (nsudogcache < SUDOG_BATCH && sudogsched != NULL) {
        struct sudog *s = sudogsched;
        sudogsched = s->next;
        s->next = sudogcache;
        sudogcache = s;
        nsudogcache++;
    }
    unlock(&sudogsched_lock);
    if (sudogcache != NULL)
        return;
    struct sudog *block = gort_calloc(SUDOG_ALLOC, sizeof(struct sudog));
    for (int i = 0; i < SUDOG_ALLOC; i++) {
        block[i].next = sudogcache;
        sudogcache = &block[i];
    }
    nsudogcache += SUDOG_ALLOC;
}

struct sudog *acquireSudog(void)
{
    if (sudogcache == NULL)
        sudog_refill();
    struct sudog *s = sudogcache;
    sudogcache = s->next;
    nsudogcache--;
    /* Every field starts clean: a debugger must never see a stale
     * channel or element in a sudog that is reused for a mutex. */
    memset(s, 0, sizeof *s);
    return s;
}

void releaseSudog(struct sudog *s)
{
    if (s->next != NULL || s->prev != NULL || s->waitlink != NULL)
        gort_fatal("releaseSudog: sudog still in a list");
    if (nsudogcache >= SUDOG_CACHE_MAX) {
        /* Give half of the cache back so threads that park a lot and
         * threads that wake a lot share the sudogs. */
        struct sudog *first = NULL, *last = NULL;
        while (nsudogcache > SUDOG_CACHE_MAX / 2) {
            struct sudog *x = sudogcache;
            sudogcache = x->next;
            nsudogcache--;
            x->next = first;
            first = x;
            if (last == NULL)
                last = x;
        }
        lock(&sudogsched_lock);
        last->next = sudogsched;
        sudogsched = first;
        unlock(&sudogsched_lock);
    }
    s->next = sudogcache;
    sudogcache = s;
    nsudogcache++;
}

/* ---------------------------------------------------------------- */

static inline void setfirst(struct waitq *q, struct sudog *s)
{
    __atomic_store_n(&q->first, s, __ATOMIC_RELAXED);
}

void waitq_enqueue(struct waitq *q, struct sudog *s)
{
    s->next = NULL;
    struct sudog *x = q->last;
    if (x != NULL) {
        s->prev = x;
        x->next = s;
        q->last = s;
        return;
    }
    s->prev = NULL;
    setfirst(q, s);
    q->last = s;
}

void waitq_enqueue_front(struct waitq *q, struct sudog *s)
{
    s->prev = NULL;
    struct sudog *y = q->first;
    s->next = y;
    if (y != NULL)
        y->prev = s;
    else
        q->last = s;
    setfirst(q, s);
}

struct sudog *waitq_dequeue(struct waitq *q)
{
    for (;;) {
        struct sudog *s = q->first;
        if (s == NULL)
            return NULL;
        struct sudog *y = s->next;
        if (y == NULL) {
            setfirst(q, NULL);
            q->last = NULL;
        } else {
            y->prev = NULL;
            setfirst(q, y);
            s->next = NULL;
        }
        /* A select's sudog: only the first waker of that select wins.
         * The loser's sudog is now out of this queue; the select removes
         * its others itself. */
        if (s->isSelect) {
            uint32_t zero = 0;
            if (!__atomic_compare_exchange_n(&s->g->selectdone, &zero, 1, false,
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                continue;
        }
        return s;
    }
}

void waitq_remove(struct waitq *q, struct sudog *s)
{
    struct sudog *x = s->prev;
    struct sudog *y = s->next;
    if (x != NULL) {
        if (y != NULL) {            /* middle */
            x->next = y;
            y->prev = x;
        } else {                    /* last */
            x->next = NULL;
            q->last = x;
        }
    } else if (y != NULL) {         /* first */
        y->prev = NULL;
        setfirst(q, y);
    } else if (q->first == s) {     /* the only one */
        setfirst(q, NULL);
        q->last = NULL;
    }
    /* else: not in q any more (a waker dropped it). */
    s->next = NULL;
    s->prev = NULL;
}
