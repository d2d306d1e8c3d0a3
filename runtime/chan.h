/*
 * chan.h: the channel's layout (struct hchan), the channel type descriptor
 * (struct chantype) and what chan.c, select.c, sudog.c and sema.c share.
 *
 * Layout.  A channel is one allocation: the struct hchan header, then its
 * circular buffer of dataqsiz slots of elemsize bytes each (the seed's
 * chanbuf: "Buffer follows Hchan immediately in memory").  Here the buffer
 * is the flexible array member `buf`, so DWARF states its offset and a
 * debugger finds slot i at  (char *)c + offsetof(buf) + i * elemsize
 * without knowing how the struct is padded.  `buf` is aligned to
 * max_align_t (16 bytes) and gort_chan_new refuses element types with a
 * larger alignment (Go refuses anything over 8), so every slot is aligned
 * for its element: elemsize is a sizeof, a multiple of the alignment.
 *
 * Invariants (all under c->lock, Go's):
 *   - at most one of recvq and sendq is non-empty;
 *   - a buffered channel has a waiting receiver only when qcount == 0 and a
 *     waiting sender only when qcount == dataqsiz;
 *   - the buffered elements, oldest first, are the slots recvx,
 *     recvx+1, ... (mod dataqsiz), qcount of them; sendx is the next free
 *     slot ((recvx + qcount) % dataqsiz);
 *   - closed only goes from 0 to 1; once it is 1 both queues stay empty.
 * qcount and closed are also read without the lock (gort_chan_len and the
 * fast paths of the non-blocking operations), so they are written with
 * relaxed atomic stores while the lock is held.
 *
 * What a debugger reads: elemtype->name and elemsize to print elements,
 * qcount/dataqsiz/recvx and buf for the buffer in receive order, closed,
 * and recvq/sendq: lists of struct sudog whose g is the waiting goroutine
 * and whose elem points at the value being sent or the slot receiving.
 */
#ifndef GORT_CHAN_H
#define GORT_CHAN_H

#include "runtime.h"

struct hchan {
    uintptr_t           qcount;     /* elements in the buffer now */
    uintptr_t           dataqsiz;   /* slots in the buffer (the capacity) */
    uint32_t            elemsize;   /* elemtype->size, kept here for the hot paths */
    uint32_t            closed;     /* 1 once gort_chan_close ran */
    const struct rtype *elemtype;   /* element type */
    uintptr_t           sendx;      /* slot the next buffered send fills */
    uintptr_t           recvx;      /* slot the next buffered receive empties */
    struct waitq        recvq;      /* parked receivers (sudogs), oldest first */
    struct waitq        sendq;      /* parked senders (sudogs), oldest first */
    gort_lock           lock;       /* protects every field above */
    struct timer       *timer;      /* gort_after channels: their timer, else NULL */
    /* The circular buffer, dataqsiz * elemsize bytes (see above). */
    _Alignas(max_align_t) unsigned char buf[];
};

/* chanbuf(c, i): the i'th slot of the buffer. */
static inline void *chanbuf(struct hchan *c, uintptr_t i)
{
    return c->buf + (uintptr_t)c->elemsize * i;
}

/* Direction of a channel type (Go's ChanDir). */
enum chandir {
    GORT_CHAN_RECVDIR = 1,
    GORT_CHAN_SENDDIR = 2,
    GORT_CHAN_BOTHDIR = 3,
};

/* The type descriptor of a channel type (typ.kind == GORT_KIND_CHAN), for
 * a channel stored in a map or boxed in an interface: the value is the
 * struct hchan pointer, elem its element type. */
struct chantype {
    struct rtype        typ;
    const struct rtype *elem;
    uintptr_t           dir;        /* enum chandir */
};

/* ---- shared by chan.c and select.c (chan.c) ---- */

/* Copy an element of n bytes; the common sizes without a call. */
static inline void chan_copy(void *dst, const void *src, uint32_t n)
{
    switch (n) {
    case 0:  break;
    case 4:  __builtin_memcpy(dst, src, 4); break;
    case 8:  __builtin_memcpy(dst, src, 8); break;
    case 16: __builtin_memcpy(dst, src, 16); break;
    default: __builtin_memmove(dst, src, n); break;
    }
}

/* Hand ep's value to the parked receiver sg (Go's send): c is locked,
 * sg was just dequeued from c->recvq.  Returns the goroutine to goready
 * once the caller has unlocked. */
struct g *chan_send_to(struct hchan *c, struct sudog *sg, const void *ep);
/* Take a value from the parked sender sg into ep (may be NULL) (Go's recv):
 * unbuffered, straight from the sender; buffered (and so full), the oldest
 * buffered value, and the sender's value goes into the freed slot.
 * Returns the goroutine to goready once the caller has unlocked. */
struct g *chan_recv_from(struct hchan *c, struct sudog *sg, void *ep);
/* Buffer operations on a locked channel with room / with an element. */
void chan_buf_put(struct hchan *c, const void *ep);
void chan_buf_take(struct hchan *c, void *ep);

/* The goroutine calling a blocking operation; fatal (naming call) when the
 * caller is not a goroutine (a thread outside the runtime, a scheduler
 * context). */
struct g *chan_curg(const char *call);

/* ---- wait queues (sudog.c), beyond runtime.h's ---- */

/* Put s at the front of q (a mutex waiter that already waited goes first). */
void waitq_enqueue_front(struct waitq *q, struct sudog *s);

/* ---- gort_mutex's state word (sema.c's essay) ----
 * Named, and in the DWARF contract: a debugger reads mu->owner only while
 * MUTEX_LOCKED is set (unlock leaves owner as it was). */
enum mutex_state {
    MUTEX_LOCKED       = 1,
    MUTEX_WOKEN        = 2,
    MUTEX_STARVING     = 4,
    MUTEX_WAITER_SHIFT = 3,
    MUTEX_WAITER       = 1 << MUTEX_WAITER_SHIFT,
};

#endif /* GORT_CHAN_H */
