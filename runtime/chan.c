/*
 * chan.c: channels (Go's chan.go, after the seed's chan.c), and gort_after.
 *
 * One lock per channel protects everything in it (chan.h lists the
 * invariants).  A send, in order of preference:
 *   1. a receiver is parked (recvq): copy the value straight into the
 *      receiver's destination (sudog.elem, usually on its stack) and make it
 *      runnable: one copy, the buffer is never touched;
 *   2. the buffer has room: copy into slot sendx;
 *   3. park: a sudog with elem pointing at the sender's value goes on sendq,
 *      and the goroutine parks; gopark releases the channel lock only after
 *      the goroutine's context is saved (gort_park_unlock), so a receiver
 *      that dequeues the sudog a moment later can goready it safely.
 * A receive mirrors it: a parked sender (for a buffered channel that means
 * the buffer is full: take the oldest element, and the sender's value goes
 * into the slot just freed, so FIFO order holds), then the buffer, then
 * closed-and-drained (zero value, false), then park on recvq.
 *
 * The waker says how a wait ended through the sudog: success is true when
 * a value moved, false when gort_chan_close woke the goroutine; g->param is
 * the sudog that won (it matters for select, which parks several).  A
 * parked goroutine's g->waiting is its sudog, whose c and elem say which
 * channel it waits on and where its value lives: that is what gdb and
 * gort-core read, with the wait reason gopark records.
 *
 * The non-blocking forms (trysend, tryrecv) first look without the lock,
 * as Go does: if the channel is open and a send could not proceed (no
 * receiver waiting / buffer full), or a receive could not (no sender /
 * buffer empty) and the channel is open, they fail without touching the
 * lock.  Each of those reads is of a single word written under the lock,
 * so the answer was true at some instant during the call, which is all a
 * non-blocking operation promises.  Blocking, a goroutine parks at once:
 * no spinning, as in Go (a partner on another worker is woken through the
 * scheduler).
 *
 * Costs, measured (CPU time, this 2-core VM, Go 1.19 alongside): an
 * unbuffered round trip (two hand-offs, two parks) 230 ns at one worker
 * (Go 250), of which the channel code is under a tenth: the rest is
 * parking, readying and switching; a buffered item 35 ns at one worker
 * (Go 40), two lock/unlock pairs of 7 ns atomics each being most of it.
 *
 * Misuse is fatal (gort.h): a NULL element type, a NULL element pointer
 * for a send of a non-empty type, freeing a channel goroutines wait on.
 * Go's run-time panics are panics: send on a closed channel, close of a
 * closed or NULL channel.  A receive may pass a NULL element pointer to
 * discard the value (as `<-c` does in Go; select allows the same).
 */
#include "chan.h"

#include <sched.h>
#include <string.h>

/* The largest buffer gort_chan_new makes, in bytes: far beyond any sane
 * use, small enough that size arithmetic never overflows. */
#define CHAN_MAXBYTES ((uintptr_t)1 << 40)

/* ---------------------------------------------------------------- */
/* Reads outside the lock (see the essay).  Acquire loads, so that the
 * fast paths' two reads happen in program order (a later load may not be
 * hoisted above an acquire): trysend reads closed, then fullness; tryrecv
 * reads emptiness, then closed, then emptiness again, and each conclusion
 * depends on that order, as in Go.  On x86-64 they are plain loads. */

static inline uintptr_t ld_qcount(struct hchan *c)
{
    return __atomic_load_n(&c->qcount, __ATOMIC_ACQUIRE);
}
static inline uint32_t ld_closed(struct hchan *c)
{
    return __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE);
}
static inline struct sudog *ld_first(struct waitq *q)
{
    return __atomic_load_n(&q->first, __ATOMIC_ACQUIRE);
}

/* A send cannot proceed now (Go's full): no receiver waiting on an
 * unbuffered channel, or a full buffer. */
static inline bool chan_full(struct hchan *c)
{
    if (c->dataqsiz == 0)
        return ld_first(&c->recvq) == NULL;
    return ld_qcount(c) == c->dataqsiz;
}
/* A receive cannot proceed now, unless the channel is closed (Go's empty). */
static inline bool chan_empty(struct hchan *c)
{
    if (c->dataqsiz == 0)
        return ld_first(&c->sendq) == NULL;
    return ld_qcount(c) == 0;
}

static inline void chan_zero(struct hchan *c, void *ep)
{
    if (ep != NULL && c->elemsize > 0)
        memset(ep, 0, c->elemsize);
}

/* ---------------------------------------------------------------- */
/* Pieces shared with select.c (chan.h). */

struct g *chan_curg(const char *call)
{
    /* m->curg is NULL while the m's scheduling context (g0) runs. */
    struct m *mp = getm();
    struct g *gp = mp != NULL ? mp->curg : NULL;
    if (gp == NULL || gp == mp->g0)
        gort_fatal("%s: blocking call outside a goroutine", call);
    return gp;
}

struct g *chan_send_to(struct hchan *c, struct sudog *sg, const void *ep)
{
    if (sg->elem != NULL) {
        chan_copy(sg->elem, ep, c->elemsize);
        sg->elem = NULL;
    }
    struct g *gp = sg->g;
    sg->success = true;
    gp->param = sg;
    return gp;
}

struct g *chan_recv_from(struct hchan *c, struct sudog *sg, void *ep)
{
    uint32_t n = c->elemsize;
    if (c->dataqsiz == 0) {
        if (ep != NULL)
            chan_copy(ep, sg->elem, n);
    } else {
        /* Full buffer: the receiver takes the oldest element and the
         * sender's value takes its slot, which is now the newest. */
        void *qp = chanbuf(c, c->recvx);
        if (ep != NULL)
            chan_copy(ep, qp, n);
        chan_copy(qp, sg->elem, n);
        if (++c->recvx == c->dataqsiz)
            c->recvx = 0;
        c->sendx = c->recvx;
    }
    sg->elem = NULL;
    struct g *gp = sg->g;
    sg->success = true;
    gp->param = sg;
    return gp;
}

void chan_buf_put(struct hchan *c, const void *ep)
{
    chan_copy(chanbuf(c, c->sendx), ep, c->elemsize);
    if (++c->sendx == c->dataqsiz)
        c->sendx = 0;
    __atomic_store_n(&c->qcount, c->qcount + 1, __ATOMIC_RELAXED);
}

void chan_buf_take(struct hchan *c, void *ep)
{
    if (ep != NULL)
        chan_copy(ep, chanbuf(c, c->recvx), c->elemsize);
    if (++c->recvx == c->dataqsiz)
        c->recvx = 0;
    __atomic_store_n(&c->qcount, c->qcount - 1, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- */
/* Creation and destruction. */

/* A channel with room for extra bytes after its buffer (gort_after keeps
 * its timer there). */
static struct hchan *makechan(const char *call, const struct rtype *elem,
                              size_t cap, size_t extra, void **extrap)
{
    if (elem == NULL)
        gort_fatal("%s: NULL element type", call);
    if (elem->align > _Alignof(max_align_t) || (elem->align & (elem->align - 1)) != 0)
        gort_fatal("%s: element type %s has alignment %u (at most %zu)",
                   call, gort_type_name(elem), elem->align, _Alignof(max_align_t));
    if (elem->size > UINT32_MAX)
        gort_fatal("%s: element type %s is too large (%zu bytes)",
                   call, gort_type_name(elem), (size_t)elem->size);
    uintptr_t bufbytes;
    if (__builtin_mul_overflow((uintptr_t)elem->size, (uintptr_t)cap, &bufbytes) ||
        bufbytes > CHAN_MAXBYTES || cap > CHAN_MAXBYTES)
        gort_fatal("%s: capacity %zu out of range", call, cap);
    /* extra starts at a max_align_t boundary after the buffer. */
    uintptr_t extraoff = sizeof(struct hchan) + bufbytes;
    extraoff = (extraoff + _Alignof(max_align_t) - 1) & ~(uintptr_t)(_Alignof(max_align_t) - 1);
    struct hchan *c = gort_calloc(1, extraoff + extra);
    if (((uintptr_t)c->buf & (_Alignof(max_align_t) - 1)) != 0)
        gort_fatal("%s: allocator returned a misaligned channel", call);
    c->elemtype = elem;
    c->elemsize = (uint32_t)elem->size;
    c->dataqsiz = cap;
    if (extrap != NULL)
        *extrap = (char *)c + extraoff;
    return c;
}

struct hchan *gort_chan_new(const struct rtype *elem, size_t cap)
{
    return makechan("gort_chan_new", elem, cap, 0, NULL);
}

static void after_stop(struct hchan *c);

void gort_chan_free(struct hchan *c)
{
    if (c == NULL)
        return;
    lock(&c->lock);
    bool waiters = c->recvq.first != NULL || c->sendq.first != NULL;
    unlock(&c->lock);
    if (waiters)
        gort_fatal("gort_chan_free: channel %p has waiting goroutines", (void *)c);
    if (c->timer != NULL)
        after_stop(c);
    gort_free(c);
}

/* ---------------------------------------------------------------- */
/* Send. */

_Noreturn static void block_forever(enum waitreason reason, uintptr_t pc)
{
    gopark(NULL, NULL, reason, pc);
    gort_fatal("a goroutine blocked on a NULL channel was woken");
}

/* Go's chansend: true if the value was sent; false only when !block and
 * the send could not proceed.  Inlined into the public functions, so
 * CALLERPC() at the park is their caller (g->waitpc), with no extra
 * argument for every backtrace through here to print. */
static inline __attribute__((always_inline))
bool chansend(struct hchan *c, const void *ep, bool block, const char *call)
{
    if (!block && ld_closed(c) == 0 && chan_full(c))
        return false;

    lock(&c->lock);
    if (c->closed) {
        unlock(&c->lock);
        gort_panic("send on closed channel");
    }
    struct sudog *sg = waitq_dequeue(&c->recvq);
    if (sg != NULL) {
        struct g *gp = chan_send_to(c, sg, ep);
        unlock(&c->lock);
        goready(gp);
        return true;
    }
    if (c->qcount < c->dataqsiz) {
        chan_buf_put(c, ep);
        unlock(&c->lock);
        return true;
    }
    if (!block) {
        unlock(&c->lock);
        return false;
    }

    struct g *gp = chan_curg(call);
    struct sudog *mysg = acquireSudog();
    mysg->g = gp;
    mysg->elem = (void *)ep;
    mysg->c = c;
    gp->waiting = mysg;
    gp->param = NULL;
    waitq_enqueue(&c->sendq, mysg);
    gopark(gort_park_unlock, &c->lock, waitReasonChanSend, CALLERPC());

    /* A receiver took the value (success) or close woke us. */
    if (gp->param != mysg)
        gort_fatal("%s: woken without a partner", call);
    gp->waiting = NULL;
    gp->param = NULL;
    bool closed = !mysg->success;
    releaseSudog(mysg);
    if (closed)
        gort_panic("send on closed channel");
    return true;
}

void gort_chan_send(struct hchan *c, const void *elem)
{
    if (c == NULL) {
        chan_curg("gort_chan_send");
        block_forever(waitReasonChanSendNilChan, CALLERPC());
    }
    if (elem == NULL && c->elemsize > 0)
        gort_fatal("gort_chan_send: NULL element pointer");
    chansend(c, elem, true, "gort_chan_send");
}

bool gort_chan_trysend(struct hchan *c, const void *elem)
{
    if (c == NULL)
        return false;
    if (elem == NULL && c->elemsize > 0)
        gort_fatal("gort_chan_trysend: NULL element pointer");
    return chansend(c, elem, false, "gort_chan_trysend");
}

/* ---------------------------------------------------------------- */
/* Receive. */

/* Go's chanrecv: returns whether a receive happened (false only when
 * !block and none could); *received is false when the channel was closed
 * and drained (ep zeroed).  Inlined, as chansend. */
static inline __attribute__((always_inline))
bool chanrecv(struct hchan *c, void *ep, bool block, bool *received, const char *call)
{
    if (!block && chan_empty(c)) {
        if (ld_closed(c) == 0)
            return false;
        /* Closed: it stays closed, so if it is still empty now it was
         * closed and drained at once. */
        if (chan_empty(c)) {
            chan_zero(c, ep);
            *received = false;
            return true;
        }
    }

    lock(&c->lock);
    if (c->closed && c->qcount == 0) {
        unlock(&c->lock);
        chan_zero(c, ep);
        *received = false;
        return true;
    }
    struct sudog *sg = waitq_dequeue(&c->sendq);
    if (sg != NULL) {
        struct g *gp = chan_recv_from(c, sg, ep);
        unlock(&c->lock);
        goready(gp);
        *received = true;
        return true;
    }
    if (c->qcount > 0) {
        chan_buf_take(c, ep);
        unlock(&c->lock);
        *received = true;
        return true;
    }
    if (!block) {
        unlock(&c->lock);
        return false;
    }

    struct g *gp = chan_curg(call);
    struct sudog *mysg = acquireSudog();
    mysg->g = gp;
    mysg->elem = ep;
    mysg->c = c;
    gp->waiting = mysg;
    gp->param = NULL;
    waitq_enqueue(&c->recvq, mysg);
    gopark(gort_park_unlock, &c->lock, waitReasonChanReceive, CALLERPC());

    /* A sender filled *ep (success), or close zeroed it. */
    if (gp->param != mysg)
        gort_fatal("%s: woken without a partner", call);
    gp->waiting = NULL;
    gp->param = NULL;
    *received = mysg->success;
    releaseSudog(mysg);
    return true;
}

bool gort_chan_recv(struct hchan *c, void *elem)
{
    if (c == NULL) {
        chan_curg("gort_chan_recv");
        block_forever(waitReasonChanReceiveNilChan, CALLERPC());
    }
    bool received;
    chanrecv(c, elem, true, &received, "gort_chan_recv");
    return received;
}

bool gort_chan_tryrecv(struct hchan *c, void *elem, bool *ok)
{
    bool received = false;
    bool done = c != NULL && chanrecv(c, elem, false, &received, "gort_chan_tryrecv");
    if (ok != NULL)
        *ok = done && received;
    return done;
}

/* ---------------------------------------------------------------- */
/* Close, len, cap. */

void gort_chan_close(struct hchan *c)
{
    if (c == NULL)
        gort_panic("close of nil channel");
    lock(&c->lock);
    if (c->closed) {
        unlock(&c->lock);
        gort_panic("close of closed channel");
    }
    __atomic_store_n(&c->closed, 1, __ATOMIC_RELAXED);

    /* Every waiter is woken with success = false: receivers get the zero
     * value, senders panic once they run.  Collected first (linked by
     * schedlink, which a parked goroutine does not use) and readied after
     * the unlock, so woken goroutines do not queue on the lock. */
    struct g *first = NULL, **tail = &first;
    struct sudog *sg;
    while ((sg = waitq_dequeue(&c->recvq)) != NULL) {
        chan_zero(c, sg->elem);
        sg->elem = NULL;
        sg->success = false;
        sg->g->param = sg;
        *tail = sg->g;
        tail = &sg->g->schedlink;
    }
    while ((sg = waitq_dequeue(&c->sendq)) != NULL) {
        sg->elem = NULL;
        sg->success = false;
        sg->g->param = sg;
        *tail = sg->g;
        tail = &sg->g->schedlink;
    }
    *tail = NULL;
    unlock(&c->lock);
    while (first != NULL) {
        struct g *gp = first;
        first = gp->schedlink;
        gp->schedlink = NULL;
        goready(gp);
    }
}

size_t gort_chan_len(struct hchan *c)
{
    return c == NULL ? 0 : ld_qcount(c);
}

size_t gort_chan_cap(struct hchan *c)
{
    return c == NULL ? 0 : c->dataqsiz;
}

/* ---------------------------------------------------------------- */
/* gort_after: a buffered(1) int64 channel and, after its buffer in the
 * same allocation, a timer.  When the timer fires (on a worker's
 * scheduling context, which must not block), it sends the time without
 * blocking: with room for one value and one send, it always has room
 * unless the program closed the channel or sent on it itself, and then the
 * tick is dropped (a closed channel must not make the scheduler panic).
 *
 * The channel can be freed at any time: gort_chan_free deletes the timer,
 * or, if it already fired, waits for the callback to finish (`done`), so a
 * callback never touches a freed channel. */

struct aftertimer {
    struct timer     t;
    _Atomic uint32_t done;     /* the callback has finished with the channel */
};

static void after_send(struct hchan *c, int64_t now)
{
    lock(&c->lock);
    if (c->closed) {
        unlock(&c->lock);
        return;
    }
    struct sudog *sg = waitq_dequeue(&c->recvq);
    if (sg != NULL) {
        /* chan_send_to, for an element known to be an int64_t. */
        if (sg->elem != NULL)
            __builtin_memcpy(sg->elem, &now, sizeof now);
        sg->elem = NULL;
        sg->success = true;
        struct g *gp = sg->g;
        gp->param = sg;
        unlock(&c->lock);
        goready(gp);
        return;
    }
    if (c->qcount < c->dataqsiz) {
        __builtin_memcpy(chanbuf(c, c->sendx), &now, sizeof now);
        c->sendx = 0;           /* capacity 1 */
        __atomic_store_n(&c->qcount, c->qcount + 1, __ATOMIC_RELAXED);
    }
    unlock(&c->lock);
}

static void after_fire(void *arg, int64_t now)
{
    struct hchan *c = arg;
    struct aftertimer *at = (struct aftertimer *)c->timer;
    after_send(c, now);
    atomic_store_explicit(&at->done, 1, memory_order_release);
}

struct hchan *gort_after(int64_t ns)
{
    void *extra;
    struct hchan *c = makechan("gort_after", &gort_type_int64, 1,
                               sizeof(struct aftertimer), &extra);
    struct aftertimer *at = extra;
    c->timer = &at->t;
    at->t.heapidx = -1;
    at->t.f = after_fire;
    at->t.arg = c;
    int64_t now = gort_nanotime();
    if (ns <= 0) {
        /* Already due: no timer, the value is there at once. */
        after_send(c, now);
        atomic_store_explicit(&at->done, 1, memory_order_relaxed);
        return c;
    }
    if (__builtin_add_overflow(now, ns, &at->t.when))
        at->t.when = INT64_MAX;
    timer_add(&at->t);
    return c;
}

static void after_stop(struct hchan *c)
{
    struct aftertimer *at = (struct aftertimer *)c->timer;
    if (timer_del(&at->t))
        return;
    /* It fired: its callback may still be running on another worker. */
    while (atomic_load_explicit(&at->done, memory_order_acquire) == 0)
        sched_yield();
}
