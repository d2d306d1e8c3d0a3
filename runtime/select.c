/*
 * select.c: gort_select (Go's selectgo).
 *
 * Three passes, as in Go:
 *   1. With every channel of the select locked, look at the cases in a
 *      random order (the poll order) and run the first that can proceed.
 *      The random order is what makes select fair: when several cases are
 *      ready each is chosen about equally often, so no channel starves.
 *      Non-blocking: if none can proceed, unlock and return -1.
 *   2. Still holding every lock (so nothing can become ready between the
 *      poll and the enqueue: a sender that came in between would park on
 *      its own and both sides would wait forever), enqueue one sudog per
 *      case (isSelect set, caseidx naming the case) on each channel's
 *      sendq or recvq, chain them on g->waiting in lock order, and park
 *      with reason "select".  selparkcommit, run by the scheduler once our
 *      context is saved, unlocks the channels.
 *   3. Woken: g->param is the sudog that won.  Remove every other sudog
 *      from its queue, then reset g->selectdone.
 *
 * Who wins.  Once the first channel is unlocked in selparkcommit, wakers
 * on different channels may each find one of our sudogs at the same time.
 * Each must first flip g->selectdone from 0 to 1 (waitq_dequeue does it):
 * exactly one succeeds and completes its operation on our behalf; the
 * others drop our sudog and go on to their next waiter.  selectdone goes
 * back to 0 only in pass 3 after every one of our sudogs is out of every
 * queue, so no waker can ever see a 0 that belongs to a finished select.
 * That is why pass 3 may lock one channel at a time where Go locks them
 * all: it takes each losing sudog's channel (and touches that sudog only
 * under it, see select_unwait), one lock pair fewer than Go's for the
 * common two-case select.
 *
 * Locking.  Channels are locked in address order, each once even when it
 * appears in several cases (the lock order is the cases sorted by channel
 * address, so duplicates are adjacent), so two selects over the same
 * channels can never deadlock on each other's locks.  Cases with a NULL
 * channel are left out of both orders: they never proceed, as in Go.
 *
 * The orders live on the stack for up to SELECT_STACK cases, beyond that
 * in one allocation.  caseidx is an int16_t in struct sudog, hence the
 * limit of SELECT_MAXCASES cases.
 */
#include "chan.h"

#include <string.h>

enum {
    SELECT_STACK    = 32,
    SELECT_MAXCASES = 32767,
};

/* A uniformly random integer in [0, n) (Lemire's multiply-shift). */
static inline uint32_t cheaprandn(uint32_t n)
{
    return (uint32_t)(((uint64_t)gort_fastrand() * n) >> 32);
}

static inline uintptr_t caddr(gort_case *cases, uint16_t i)
{
    return (uintptr_t)cases[i].c;
}

/* Sort lockorder[0..n) by channel address: insertion sort for the usual
 * handful of cases, heapsort (no quadratic worst case) beyond. */
static void sort_lockorder(gort_case *cases, uint16_t *lo, int n)
{
    if (n <= 16) {
        for (int i = 1; i < n; i++) {
            uint16_t x = lo[i];
            int j = i;
            while (j > 0 && caddr(cases, lo[j - 1]) > caddr(cases, x)) {
                lo[j] = lo[j - 1];
                j--;
            }
            lo[j] = x;
        }
        return;
    }
    /* Build a max-heap, then move the maximum to the end n-1 times. */
    for (int start = n / 2 - 1; start >= 0; start--) {
        int r = start;
        uint16_t x = lo[r];
        for (int ch; (ch = 2 * r + 1) < n; r = ch) {
            if (ch + 1 < n && caddr(cases, lo[ch + 1]) > caddr(cases, lo[ch]))
                ch++;
            if (caddr(cases, lo[ch]) <= caddr(cases, x))
                break;
            lo[r] = lo[ch];
        }
        lo[r] = x;
    }
    for (int end = n - 1; end > 0; end--) {
        uint16_t x = lo[end];
        lo[end] = lo[0];
        int r = 0;
        for (int ch; (ch = 2 * r + 1) < end; r = ch) {
            if (ch + 1 < end && caddr(cases, lo[ch + 1]) > caddr(cases, lo[ch]))
                ch++;
            if (caddr(cases, lo[ch]) <= caddr(cases, x))
                break;
            lo[r] = lo[ch];
        }
        lo[r] = x;
    }
}

static void sellock(gort_case *cases, const uint16_t *lockorder, int n)
{
    struct hchan *prev = NULL;
    for (int i = 0; i < n; i++) {
        struct hchan *c = cases[lockorder[i]].c;
        if (c != prev)
            lock(&c->lock);
        prev = c;
    }
}

static void selunlock(gort_case *cases, const uint16_t *lockorder, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        struct hchan *c = cases[lockorder[i]].c;
        if (i > 0 && c == cases[lockorder[i - 1]].c)
            continue;       /* unlock a channel once, at its first case */
        unlock(&c->lock);
    }
}

/* gopark's unlockf: unlock the channels, walking the sudogs (not the
 * orders on our stack: once the last channel is unlocked we may already be
 * running elsewhere and that stack changing).  A channel is unlocked only
 * after its last sudog is passed: unlocking it lets wakers modify the
 * sudogs queued on it, including their waitlink. */
static bool selparkcommit(struct g *gp, void *arg)
{
    (void)arg;
    struct hchan *lastc = NULL;
    for (struct sudog *sg = gp->waiting; sg != NULL; sg = sg->waitlink) {
        if (sg->c != lastc && lastc != NULL)
            unlock(&lastc->lock);
        lastc = sg->c;
    }
    if (lastc != NULL)
        unlock(&lastc->lock);
    return true;
}

static void check_cases(gort_case *cases, int ncases)
{
    if (ncases < 0 || ncases > SELECT_MAXCASES)
        gort_fatal("gort_select: %d cases (0 to %d)", ncases, SELECT_MAXCASES);
    if (ncases > 0 && cases == NULL)
        gort_fatal("gort_select: NULL cases");
    for (int i = 0; i < ncases; i++) {
        gort_case *k = &cases[i];
        if (k->dir != GORT_SEND && k->dir != GORT_RECV)
            gort_fatal("gort_select: case %d: dir %d is neither GORT_SEND nor GORT_RECV",
                       i, k->dir);
        if (k->dir == GORT_SEND && k->c != NULL && k->elem == NULL && k->c->elemsize > 0)
            gort_fatal("gort_select: case %d: NULL element pointer", i);
    }
}

/* Pass 3: take our sudogs out of every queue but the winner's, give them
 * back, and only then let a new select be won.  Each sudog is touched
 * (its waitlink read and cleared, the sudog released) only while its
 * channel is locked: selparkcommit, on another thread, may still be
 * walking the chain, and it only reads a sudog while holding that
 * sudog's channel.  The winner needs no lock: its waker took its
 * channel's lock, which selparkcommit gives up only after passing every
 * sudog of that channel. */
static void select_unwait(struct g *gp, gort_case *cases, struct sudog *won)
{
    struct sudog *sg = gp->waiting;
    gp->waiting = NULL;
    while (sg != NULL) {
        struct sudog *next;
        if (sg == won) {
            next = sg->waitlink;
            sg->waitlink = NULL;
        } else {
            struct hchan *c = sg->c;
            lock(&c->lock);
            waitq_remove(cases[sg->caseidx].dir == GORT_SEND ? &c->sendq : &c->recvq, sg);
            next = sg->waitlink;
            sg->waitlink = NULL;
            unlock(&c->lock);
        }
        releaseSudog(sg);
        sg = next;
    }
    __atomic_store_n(&gp->selectdone, 0, __ATOMIC_RELEASE);
}

int gort_select(gort_case *cases, int ncases, bool block)
{
    check_cases(cases, ncases);
    if (ncases == 0) {
        if (!block)
            return -1;
        chan_curg("gort_select");
        gopark(NULL, NULL, waitReasonSelectNoCases, CALLERPC());
        gort_fatal("gort_select: a select with no cases was woken");
    }

    uint16_t stackorder[2 * SELECT_STACK];
    uint16_t *pollorder = stackorder;
    if (ncases > SELECT_STACK)
        pollorder = gort_malloc(2 * (size_t)ncases * sizeof(uint16_t));
    uint16_t *lockorder = pollorder + ncases;

    /* Random poll order (inside-out Fisher-Yates), NULL channels left out. */
    int n = 0;
    for (int i = 0; i < ncases; i++) {
        if (cases[i].c == NULL)
            continue;
        uint32_t j = cheaprandn((uint32_t)n + 1);
        pollorder[n] = pollorder[j];
        pollorder[j] = (uint16_t)i;
        n++;
    }
    for (int i = 0; i < n; i++)         /* a loop: n is small, memcpy a call */
        lockorder[i] = pollorder[i];
    sort_lockorder(cases, lockorder, n);

    if (n == 0) {
        /* Only NULL channels: nothing can ever proceed. */
        if (pollorder != stackorder)
            gort_free(pollorder);
        if (!block)
            return -1;
        chan_curg("gort_select");
        gopark(NULL, NULL, waitReasonSelect, CALLERPC());
        gort_fatal("gort_select: a select on NULL channels only was woken");
    }
    /* Pass 1: the first case that can proceed, in poll order. */
    int casi = -1;
    struct g *wake = NULL;
    bool sclose = false;
    sellock(cases, lockorder, n);
    for (int p = 0; p < n && casi < 0; p++) {
        int i = pollorder[p];
        gort_case *k = &cases[i];
        struct hchan *c = k->c;
        struct sudog *sg;
        if (k->dir == GORT_SEND) {
            if (c->closed) {
                sclose = true;
            } else if ((sg = waitq_dequeue(&c->recvq)) != NULL) {
                wake = chan_send_to(c, sg, k->elem);
            } else if (c->qcount < c->dataqsiz) {
                chan_buf_put(c, k->elem);
            } else {
                continue;
            }
        } else {
            if ((sg = waitq_dequeue(&c->sendq)) != NULL) {
                wake = chan_recv_from(c, sg, k->elem);
                k->ok = true;
            } else if (c->qcount > 0) {
                chan_buf_take(c, k->elem);
                k->ok = true;
            } else if (c->closed) {
                if (k->elem != NULL && c->elemsize > 0)
                    memset(k->elem, 0, c->elemsize);
                k->ok = false;
            } else {
                continue;
            }
        }
        casi = i;
    }
    if (casi >= 0 || !block) {
        selunlock(cases, lockorder, n);
        if (pollorder != stackorder)
            gort_free(pollorder);
        if (sclose)
            gort_panic("send on closed channel");
        if (wake != NULL)
            goready(wake);
        return casi;
    }

    /* Pass 2: a sudog on every channel, chained in lock order.  The locks
     * taken for pass 1 are still held: nothing can have become ready
     * since the poll, and nobody can see our sudogs before we park. */
    struct g *gp = chan_curg("gort_select");
    if (gp->waiting != NULL)
        gort_fatal("gort_select: goroutine already waiting");
    struct sudog **nextp = &gp->waiting;
    for (int p = 0; p < n; p++) {
        int i = lockorder[p];
        gort_case *k = &cases[i];
        struct sudog *sg = acquireSudog();
        sg->g = gp;
        sg->isSelect = true;
        sg->elem = k->elem;
        sg->c = k->c;
        sg->caseidx = (int16_t)i;
        *nextp = sg;
        nextp = &sg->waitlink;
        waitq_enqueue(k->dir == GORT_SEND ? &k->c->sendq : &k->c->recvq, sg);
    }
    if (pollorder != stackorder)
        gort_free(pollorder);
    gp->param = NULL;
    gopark(selparkcommit, NULL, waitReasonSelect, CALLERPC());

    /* Pass 3. */
    struct sudog *won = gp->param;
    gp->param = NULL;
    if (won == NULL)
        gort_fatal("gort_select: woken without a winning case");
    casi = won->caseidx;
    bool success = won->success;
    select_unwait(gp, cases, won);
    if (cases[casi].dir == GORT_SEND) {
        if (!success)
            gort_panic("send on closed channel");
    } else {
        cases[casi].ok = success;
    }
    return casi;
}
