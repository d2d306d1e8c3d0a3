/*
 * runtime.h: the runtime's internal structures and the interfaces between
 * its parts (scheduler, channels, sync, timers, maps, types).
 *
 * The debugger contract: gdbplugin/ and gort-core read these structs by
 * their tag and field names through DWARF, and the enums below by their
 * enumerator names.  Renaming a field or an enumerator is a change of the
 * contract (see dwarf/contract.def); adding fields or moving them is not.
 * Constants the tools need are enums (which DWARF carries), never #defines.
 */
#ifndef GORT_RUNTIME_H
#define GORT_RUNTIME_H

#include "gort.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>

/* Goroutine states (Go's _Gidle ... _Gdead). */
enum gstatus {
    Gidle = 0,      /* just allocated, not yet initialised */
    Grunnable,      /* on a run queue */
    Grunning,       /* running on an m (m->curg == g) */
    Gsyscall,       /* blocked outside the runtime */
    Gwaiting,       /* parked: waitreason says why */
    Gdead,          /* finished, on a free list for reuse */
};

/* Why a goroutine is parked.  gort_waitreason_strings[] holds the words a
 * person reads ("chan receive"); API.md lists them. */
enum waitreason {
    waitReasonZero = 0,
    waitReasonChanReceive,
    waitReasonChanSend,
    waitReasonSelect,
    waitReasonSleep,
    waitReasonChanReceiveNilChan,
    waitReasonChanSendNilChan,
    waitReasonSelectNoCases,
    waitReasonMutex,
    waitReasonWaitGroup,
    waitReasonYield,            /* not parked; for completeness of the table */
    waitReasonCount
};
extern const char *const gort_waitreason_strings[waitReasonCount];

/* Saved context of a goroutine that is not running, raw (never mangled):
 * the state as if the context-switch call had just returned.  sp is the
 * stack pointer after that return, pc the return address, bp the frame
 * pointer; the callee-saved registers follow so a debugger can give every
 * register of frame 0. */
struct gobuf {
    uintptr_t sp;
    uintptr_t pc;
    uintptr_t bp;          /* rbp on x86-64, x29 on aarch64 */
#if defined(__x86_64__)
    uintptr_t rbx, r12, r13, r14, r15;
    uint32_t  mxcsr;
    uint16_t  fpucw;
#elif defined(__aarch64__)
    uintptr_t lr;          /* x30 */
    uintptr_t x19, x20, x21, x22, x23, x24, x25, x26, x27, x28;
    uint64_t  d8, d9, d10, d11, d12, d13, d14, d15;
#else
#error "gort supports x86-64 and aarch64"
#endif
};

struct gstack {
    uintptr_t lo;          /* lowest usable address (above the guard page) */
    uintptr_t hi;          /* one past the highest address */
};

struct m;
struct gort_defer;

/* A goroutine. */
struct g {
    struct gobuf   sched;        /* saved context while not running */
    struct gstack  stack;        /* 0,0 when no stack is attached */
    uintptr_t      stackguard;   /* start of the guard page below stack.lo */
    int64_t        goid;
    _Atomic uint32_t atomicstatus; /* enum gstatus */
    uint32_t       waitreason;   /* enum waitreason, valid while Gwaiting */
    int64_t        waitsince;    /* gort_nanotime() when parked, at tick
                                    resolution (CLOCK_MONOTONIC_COARSE:
                                    up to 1-10 ms early, never late) */
    struct sudog  *waiting;      /* sudogs this g is parked on, linked by waitlink */
    void          *waitobj;      /* what is waited on when no sudog says it (mutex, waitgroup) */
    uintptr_t      waitpc;       /* return address of the public call that
                                    parked it (into the caller of
                                    gort_chan_recv, gort_select, ...), 0 if
                                    none: a debugger names a parked
                                    goroutine's frame from it without
                                    reading its stack.  Valid while Gwaiting */
    struct m      *m;            /* the m running it, when Grunning */
    struct g      *schedlink;    /* run-queue and free-list link */
    struct funcval *startfv;     /* start function as a closure, or NULL */
    void         (*startfn)(void *);
    void          *startarg;
    uintptr_t      startpc;      /* entry of the start function */
    uintptr_t      gopc;         /* pc of the gort_go / gort_go_func call */
    int64_t        parentgoid;   /* goroutine that created it */
    struct gort_defer *defers;   /* pending defers, newest first */
    uint32_t       selectdone;   /* select: a case has won (atomic) */
    uint32_t       paniking;
    void          *param;        /* passed by the waker (e.g. the sudog that won) */
    /* proc.c's own (not part of the debugger contract) */
    void          *racectx;      /* TSan fiber of this g (sanitizer builds only) */
    struct gort_defer *deferpool; /* spare defer records, reused */
};

/* A pending defer (defer.c): fn(arg) or, when fv is set, the closure fv. */
struct gort_defer {
    void         (*fn)(void *arg);
    void          *arg;
    struct funcval *fv;
    struct gort_defer *link;     /* next older defer */
};

/* An OS worker thread. */
struct m {
    int64_t        id;
    int32_t        procid;       /* OS thread id (gettid), what gdb calls LWP */
    uint32_t       spinning;
    struct g      *g0;           /* scheduling context on the thread's own stack */
    struct g      *curg;         /* goroutine running now, or NULL */
    struct m      *alllink;      /* list of all m's: gort_allm */
    pthread_t      thread;
    _Atomic uint32_t parked;     /* futex word for idle sleep */
    /* local run queue (ring) and the slot that runs next */
    _Atomic uint32_t runqhead;
    _Atomic uint32_t runqtail;
    struct g      *runq[256];
    struct g      *_Atomic runnext;
    uint64_t       fastrand;
    void          *sigaltstack;
    void          *stackcache;   /* private to stack.c */
    /* proc.c's own (not part of the debugger contract) */
    struct m      *idlelink;     /* list of idle m's, under the scheduler lock */
    struct g      *gfree;        /* dead g's kept for reuse by this m */
    int32_t        gfreecnt;
    uint32_t       schedtick;    /* switches done: every 61st looks at the global queue */
    int32_t        action;       /* what g0 does for the g that just switched away */
    struct g      *handoffg;     /* switched away directly to curg: action still to do */
    bool         (*waitunlockf)(struct g *gp, void *arg);
    void          *waitarg;
    uintptr_t      g0lo, g0hi;   /* bounds of the thread's own stack (g0) */
};

/* Every goroutine that ever existed: gort_allgs[0 .. gort_allglen).  Dead
 * ones are reused.  Debuggers start here. */
extern struct g **gort_allgs;
extern _Atomic uintptr_t gort_allglen;
extern struct m *gort_allm;

/* The current goroutine (g0 of the m while scheduling), and its m.
 * Out of line on purpose (proc.c's essay, TLS): safe anywhere, also after
 * a park that resumed the goroutine on another thread. */
struct g *getg(void);
struct m *getm(void);

/* The current goroutine's id, read inline: only for a code path that does
 * not switch between the read and the use (the fast path of
 * gort_mutex_lock records its owner this way, where getg()'s two calls
 * were a fifth of an uncontended lock and unlock).  0 outside goroutines. */
extern __thread struct m *gort_tls_m;
static inline int64_t gort_curgoid_noswitch(void)
{
    struct m *mp = gort_tls_m;
    if (mp == NULL)
        return 0;
    struct g *gp = mp->curg != NULL ? mp->curg : mp->g0;
    return gp != NULL ? gp->goid : 0;
}

/* ------------------------------------------------------------------ */
/* Locks: short spin, then futex.  For runtime structures only (channel,
 * mutex wait lists, timers); never held across a park. */
typedef struct gort_lock {
    _Atomic uint32_t key;
} gort_lock;
void lock(gort_lock *l);
void unlock(gort_lock *l);
/* The same on a bare uint32_t word (used by the public gort_mutex and
 * gort_waitgroup, whose layout is in gort.h). */
void lock_word(uint32_t *word);
void unlock_word(uint32_t *word);

/* ------------------------------------------------------------------ */
/* Parking.  The one mechanism every blocking operation uses.
 *
 * gopark records reason, the time and pc (CALLERPC() of the public call,
 * or 0), marks the current goroutine
 * Gwaiting, switches to the scheduler and there calls unlockf(gp, arg)
 * after gp's context is saved; if unlockf returns false, gp is resumed at
 * once.  So a waker that takes the same lock can never goready a goroutine
 * whose context is not yet saved.  unlockf may be NULL. */
void gopark(bool (*unlockf)(struct g *gp, void *arg), void *arg,
            enum waitreason reason, uintptr_t pc);
/* pc for gopark, in the public function that may park: the return address
 * into the program (Go passes getcallerpc() down the same way).  The
 * runtime is built with -fno-optimize-sibling-calls, so it is the real
 * caller. */
#define CALLERPC() ((uintptr_t)__builtin_return_address(0))
/* Make a parked goroutine runnable (on the caller's m's run queue, run
 * next).  Callable from goroutines, from the scheduler (timers) and from
 * any thread of the runtime. */
void goready(struct g *gp);
/* unlockf for gopark that releases a gort_lock. */
bool gort_park_unlock(struct g *gp, void *lockp);
bool gort_park_unlock_word(struct g *gp, void *wordp);

/* ------------------------------------------------------------------ */
/* sudog: a goroutine in a wait list (Go's sudog).  Channels, select,
 * mutexes and wait groups all queue sudogs in struct waitq lists. */
struct sudog {
    struct g      *g;
    struct sudog  *next;
    struct sudog  *prev;
    void          *elem;         /* data element (channels); may point to a stack */
    struct hchan  *c;            /* channel waited on, or NULL (mutex, waitgroup) */
    void          *obj;          /* the gort_mutex / gort_waitgroup waited on, or NULL */
    struct sudog  *waitlink;     /* g->waiting list */
    int64_t        acquiretime;
    uint32_t       ticket;
    bool           isSelect;
    bool           success;      /* woken by a value (true) or by close (false) */
    int16_t        caseidx;      /* select: index of this case */
};
struct sudog *acquireSudog(void);
void releaseSudog(struct sudog *s);
void waitq_enqueue(struct waitq *q, struct sudog *s);
struct sudog *waitq_dequeue(struct waitq *q);   /* skips select losers */
void waitq_remove(struct waitq *q, struct sudog *s);

/* ------------------------------------------------------------------ */
/* Timers: one heap, run by the scheduler.  f runs on a worker's scheduling
 * context (not a goroutine), must not block, may call goready and
 * non-blocking channel sends. */
struct timer {
    int64_t   when;          /* gort_nanotime() deadline */
    void    (*f)(void *arg, int64_t now);
    void     *arg;
    int32_t   heapidx;       /* -1 when not in the heap */
};
void timer_add(struct timer *t);
bool timer_del(struct timer *t);   /* false if it already ran or was never added */

/* ------------------------------------------------------------------ */
/* Failure reports.  fatal() prints "fatal error: <msg>", the goroutine
 * dump and abort()s.  gort_badcall is fatal("<call>: <msg>"). */
_Noreturn void gort_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define gort_badcall(call, ...) gort_fatal(call ": " __VA_ARGS__)
/* Print every goroutine as Go's traceback does, to stderr. */
void gort_dump_goroutines(struct g *current);

/* Allocation that never returns NULL (fatal on exhaustion). */
void *gort_malloc(size_t n);
void *gort_calloc(size_t n, size_t size);
void  gort_free(void *p);

/* Run and discard the calling goroutine's pending defers (defer.c). */
void gort_rundefers(struct g *gp);

/* Cheap per-m random numbers. */
uint32_t gort_fastrand(void);

/* Worker threads (GORTMAXPROCS), set by gort_main before any starts; 0
 * before.  (Defined in proc.c; sema.c spins only when it is above 1.) */
extern int32_t gort_nprocs;

#endif /* GORT_RUNTIME_H */
