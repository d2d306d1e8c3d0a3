/*
 * fakeg.c: a core-file fixture for gort-core that does not need the
 * scheduler.
 *
 * It lays out gort's runtime structures (struct g, m, sudog, gort_mutex,
 * gort_allgs ...) exactly as runtime.h defines them, with OS threads
 * standing in for parked goroutines: each thread calls a chain of user
 * functions and then fake_park(), which saves its context into g->sched
 * the way the runtime's context switch does (sp after the return, the
 * return address, the caller's frame pointer) and blocks.  Its frames stay
 * intact on its stack, so a core of this process has real, unwindable
 * goroutine stacks while being completely deterministic:
 *
 *   g1  running on the main thread (m0.procid = its tid), in main_user
 *   g2  waiting [chan receive] in recv_worker -> fake_park
 *   g3  waiting [mutex] on mu_a, held by g4     } a deadlock cycle
 *   g4  waiting [mutex] on mu_b, held by g3     }
 *   g5  waiting [waitgroup]
 *   g6  waiting [sleep]
 *   g7  dead
 *   g8.. clones of g2 (argv[2] of them): the 100,000-goroutine listing
 *
 * Usage: fakeg abort [clones]   abort() once every thread is parked (kernel core)
 *        fakeg wait [clones]    print "ready" and sleep (for gcore)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "runtime.h"
#include "chan.h"
#include "map.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct g **gort_allgs;
_Atomic uintptr_t gort_allglen;
struct m *gort_allm;
const char *const gort_waitreason_strings[waitReasonCount] = {
    "", "chan receive", "chan send", "select", "sleep", "chan receive (nil chan)",
    "chan send (nil chan)", "select (no cases)", "mutex", "waitgroup", "yield",
};

/* Every contract type must be in this binary's DWARF, as libgort's
 * debuginfo.c guarantees for real programs. */
__attribute__((used)) static struct {
    struct g g; struct m m; struct sudog s; struct waitq q; gort_mutex mu;
    gort_waitgroup wg; struct rtype rt; struct gort_method meth;
    struct interfacetype it; struct itab *itab; struct eface e; struct iface i;
    struct funcval fv; struct gort_closurehdr ch; gort_string str;
    enum gstatus st; enum waitreason wr; enum gort_kind k;
    struct hchan *hc; struct chantype ct; struct hmap hm; struct maptype mt; struct bmap bm;
    enum hmap_const hcst; enum tophash_mark thm; enum hmap_flag hfl;
} contract_anchor;

/* Type descriptors, as GORT_DEFINE_TYPE would make them (no libgort here). */
static const struct rtype t_int64 = { .size = 8, .align = 8, .kind = GORT_KIND_INT64,
                                      .name = "int64_t" };
static const struct rtype t_string = { .size = sizeof(gort_string), .align = 8,
                                       .kind = GORT_KIND_STRING, .name = "gort_string" };
static struct maptype t_map = { .typ = { .size = 8, .align = 8, .kind = GORT_KIND_MAP,
                                         .name = "map[gort_string]int64_t" },
                                .key = &t_string, .elem = &t_int64 };
/* A global map (found by the data scan): 2 buckets, one overflow bucket. */
struct hmap *global_map;
/* The channel g2 and the clones wait to receive on (unbuffered), and a
 * buffered one only a stack holds (g5's local). */
static struct hchan *chan_a, *chan_b;

static struct m m0;
static gort_mutex mu_a = GORT_MUTEX_INIT, mu_b = GORT_MUTEX_INIT;
static gort_waitgroup wg = GORT_WAITGROUP_INIT;
static atomic_int parked;

static struct g *newg(int64_t goid, int64_t parent)
{
    struct g *gp = calloc(1, sizeof *gp);
    gp->goid = goid;
    gp->parentgoid = parent;
    gp->atomicstatus = Grunnable;
    gp->gopc = (uintptr_t)__builtin_return_address(0);
    return gp;
}

/* Save the context as the runtime's switch would and block for good. */
__attribute__((noinline)) static void fake_park(struct g *gp, enum waitreason why,
                                                struct sudog *s)
{
    void **fp = __builtin_frame_address(0);
    gp->sched.sp = (uintptr_t)(fp + 2);        /* past the saved rbp and return address */
    gp->sched.pc = (uintptr_t)__builtin_return_address(0);
    gp->sched.bp = (uintptr_t)fp[0];           /* the caller's frame pointer */
    pthread_attr_t attr;
    void *lo;
    size_t sz;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &lo, &sz);
    gp->stack.lo = (uintptr_t)lo;
    gp->stack.hi = (uintptr_t)lo + sz;
    gp->waiting = s;
    gp->waitreason = why;
    gp->waitsince = 1000000000LL * (why + 1);
    gp->atomicstatus = Gwaiting;
    atomic_fetch_add(&parked, 1);
    for (;;)
        pause();
}

static struct sudog *sudog_for(struct g *gp, struct hchan *c, void *obj, struct waitq *q)
{
    struct sudog *s = calloc(1, sizeof *s);
    s->g = gp;
    s->c = c;
    s->obj = obj;
    if (q) {
        q->first = q->last = s;
    }
    return s;
}

__attribute__((noinline)) static void recv_worker(struct g *gp)
{
    fake_park(gp, waitReasonChanReceive, sudog_for(gp, chan_a, NULL, &chan_a->recvq));
}

__attribute__((noinline)) static void lock_second(struct g *gp, gort_mutex *mu)
{
    gp->waitobj = mu;
    fake_park(gp, waitReasonMutex, sudog_for(gp, NULL, mu, &mu->waiters));
}

__attribute__((noinline)) static void wg_waiter(struct g *gp)
{
    struct hchan *volatile results = chan_b;   /* a local: the stack scan finds it */
    (void)results;
    gp->waitobj = &wg;
    fake_park(gp, waitReasonWaitGroup, sudog_for(gp, NULL, &wg, &wg.waiters));
}

__attribute__((noinline)) static void sleeper(struct g *gp)
{
    fake_park(gp, waitReasonSleep, NULL);
}

static void *thread_main(void *arg)
{
    struct g *gp = arg;
    switch (gp->goid) {
    case 2: recv_worker(gp); break;
    case 3: lock_second(gp, &mu_a); break;
    case 4: lock_second(gp, &mu_b); break;
    case 5: wg_waiter(gp); break;
    case 6: sleeper(gp); break;
    }
    return NULL;
}

__attribute__((noinline)) static void main_user(bool do_abort)
{
    if (do_abort)
        abort();
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    bool do_abort = argc > 1 && strcmp(argv[1], "abort") == 0;
    long clones = argc > 2 ? atol(argv[2]) : 0;
    if (clones < 0 || clones > 2000000)
        clones = 0;
    size_t n = 7 + (size_t)clones;
    struct g **all = calloc(n, sizeof *all);
    for (int i = 0; i < 7; i++)
        all[i] = newg(i + 1, i ? 1 : 0);
    chan_a = calloc(1, sizeof(struct hchan));
    chan_a->elemtype = &t_int64;
    chan_a->elemsize = 8;
    chan_b = calloc(1, sizeof(struct hchan) + 4 * 8);
    chan_b->elemtype = &t_int64;
    chan_b->elemsize = 8;
    chan_b->dataqsiz = 4;
    chan_b->qcount = 2;
    chan_b->recvx = 3;
    chan_b->sendx = 1;
    ((int64_t *)(void *)chan_b->buf)[3] = 11;
    ((int64_t *)(void *)chan_b->buf)[0] = 22;
    t_map.bucketsize = 8 + 8 * 16 + 8 * 8 + 8;
    t_map.keyoff = 8;
    t_map.elemoff = 8 + 8 * 16;
    t_map.overflowoff = t_map.bucketsize - 8;
    t_map.keysize = 16;
    t_map.elemsize = 8;
    global_map = calloc(1, sizeof(struct hmap));
    global_map->type = &t_map;
    global_map->B = 1;
    global_map->count = 3;
    global_map->noverflow = 1;
    global_map->buckets = calloc(2, t_map.bucketsize);
    char *ov = calloc(1, t_map.bucketsize);
    memcpy((char *)global_map->buckets + t_map.overflowoff, &ov, sizeof ov);
    mu_a.owner = 4;
    mu_b.owner = 3;
    wg.counter = 1;
    all[6]->atomicstatus = Gdead;

    struct g *g1 = all[0];
    g1->atomicstatus = Grunning;
    g1->m = &m0;
    m0.id = 0;
    m0.procid = (int32_t)syscall(SYS_gettid);
    m0.curg = g1;
    gort_allm = &m0;
    pthread_attr_t attr;
    void *lo;
    size_t sz;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &lo, &sz);
    g1->stack.lo = (uintptr_t)lo;
    g1->stack.hi = (uintptr_t)lo + sz;

    pthread_t th;
    for (int i = 1; i <= 5; i++)
        pthread_create(&th, NULL, thread_main, all[i]);
    while (atomic_load(&parked) < 5)
        usleep(1000);
    for (long i = 0; i < clones; i++) {
        struct g *c = malloc(sizeof *c);
        *c = *all[1];
        c->goid = 8 + i;
        c->waiting = NULL;
        all[7 + i] = c;
    }
    gort_allgs = all;
    gort_allglen = n;
    main_user(do_abort);
    return 0;
}
