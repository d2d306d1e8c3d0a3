/*
 * test_waitpc.c: g->waitpc, the return address of the public call that
 * parked a goroutine.  The gdb extension names a parked goroutine's frame
 * from it without reading the stack (gdbplugin/gort/goroutines.py,
 * parked_at), so every way of parking must record an address inside the
 * program's function that made the call, not inside the runtime: channel
 * receive and send, both on NULL channels, select (blocking, NULL cases
 * only, no cases), sleep, mutex and waitgroup.
 *
 * Each parker is a small noinline function making one blocking call; the
 * address must lie past its entry and within its first few hundred bytes.
 */

#include "test_chan_util.h"

static const int64_t MS = 1000 * 1000;

static bool pc_in(uintptr_t pc, void (*fn)(void *))
{
    uintptr_t f = (uintptr_t)fn;
    return pc > f && pc < f + 512;
}

/* One slot per parker; woken ones are released by the body at the end. */
enum { P_RECV, P_SEND, P_NILRECV, P_NILSEND, P_SELECT, P_SELNIL, P_SELNONE,
       P_SLEEP, P_MUTEX, P_WG, NPARKERS };
static struct g *_Atomic slots[NPARKERS];
static struct hchan *unbuf;
static gort_mutex mu = GORT_MUTEX_INIT;
static gort_waitgroup wg = GORT_WAITGROUP_INIT;
static gort_waitgroup done = GORT_WAITGROUP_INIT;

__attribute__((noinline)) static void recv_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_RECV]);
    int64_t v;
    gort_chan_recv(unbuf, &v);
    gort_waitgroup_done(&done);
}

__attribute__((noinline)) static void send_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_SEND]);
    int64_t v = 7;
    gort_chan_send(unbuf, &v);
    gort_waitgroup_done(&done);
}

__attribute__((noinline)) static void nilrecv_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_NILRECV]);
    int64_t v;
    gort_chan_recv(NULL, &v);
}

__attribute__((noinline)) static void nilsend_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_NILSEND]);
    int64_t v = 1;
    gort_chan_send(NULL, &v);
}

__attribute__((noinline)) static void select_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_SELECT]);
    int64_t v;
    struct hchan *never = gort_chan_new(&gort_type_int64, 0);
    gort_case cs[] = { { never, GORT_RECV, &v, false } };
    gort_select(cs, 1, true);
}

__attribute__((noinline)) static void selnil_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_SELNIL]);
    int64_t v;
    gort_case cs[] = { { NULL, GORT_RECV, &v, false } };
    gort_select(cs, 1, true);
}

__attribute__((noinline)) static void selnone_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_SELNONE]);
    gort_select(NULL, 0, true);
}

__attribute__((noinline)) static void sleep_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_SLEEP]);
    gort_sleep(60000 * MS);
}

__attribute__((noinline)) static void mutex_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_MUTEX]);
    gort_mutex_lock(&mu);
    gort_mutex_unlock(&mu);
    gort_waitgroup_done(&done);
}

__attribute__((noinline)) static void wg_parker(void *arg)
{
    (void)arg;
    publish_self(&slots[P_WG]);
    gort_waitgroup_wait(&wg);
    gort_waitgroup_done(&done);
}

static const struct {
    void (*fn)(void *);
    enum waitreason reason;
} parkers[NPARKERS] = {
    [P_RECV] = { recv_parker, waitReasonChanReceive },
    [P_SEND] = { send_parker, waitReasonChanSend },
    [P_NILRECV] = { nilrecv_parker, waitReasonChanReceiveNilChan },
    [P_NILSEND] = { nilsend_parker, waitReasonChanSendNilChan },
    [P_SELECT] = { select_parker, waitReasonSelect },
    [P_SELNIL] = { selnil_parker, waitReasonSelect },
    [P_SELNONE] = { selnone_parker, waitReasonSelectNoCases },
    [P_SLEEP] = { sleep_parker, waitReasonSleep },
    [P_MUTEX] = { mutex_parker, waitReasonMutex },
    [P_WG] = { wg_parker, waitReasonWaitGroup },
};

static int every_park_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    unbuf = gort_chan_new(&gort_type_int64, 0);
    gort_mutex_lock(&mu);
    gort_waitgroup_add(&wg, 1);
    gort_waitgroup_add(&done, 4);      /* recv, send, mutex, wg parkers */
    for (int i = 0; i < NPARKERS; i++) {
        gort_go(parkers[i].fn, NULL);
        struct g *gp = wait_parked(&slots[i], parkers[i].reason);
        if (!pc_in(gp->waitpc, parkers[i].fn))
            fprintf(stderr, "parker %d (reason %d): waitpc %#lx, function at %p\n", i,
                    (int)parkers[i].reason, (unsigned long)gp->waitpc,
                    (void *)parkers[i].fn);
        gt_assert(pc_in(gp->waitpc, parkers[i].fn));
        /* The recv and send parkers meet on one channel: take each one's
         * partner role here so they do not pair with each other. */
        if (i == P_RECV) {
            int64_t v = 1;
            gort_chan_send(unbuf, &v);
        }
    }
    /* Release what can be released; the rest park forever, as meant. */
    int64_t v;
    gort_chan_recv(unbuf, &v);
    gt_assert_eq(v, 7);
    gort_mutex_unlock(&mu);
    gort_waitgroup_done(&wg);
    gort_waitgroup_wait(&done);
    return 0;
}

Test(waitpc, every_way_of_parking, .timeout = 30) { gt_run(every_park_body); }

/* A goroutine parked by the runtime itself, with no public call (gopark
 * called with pc 0), reads 0, so a debugger walks its stack instead. */
static struct g *_Atomic rawslot;
static void raw_parker(void *arg)
{
    (void)arg;
    publish_self(&rawslot);
    gopark(NULL, NULL, waitReasonChanReceive, 0);
}
static int raw_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(raw_parker, NULL);
    struct g *gp = wait_parked(&rawslot, waitReasonChanReceive);
    gt_assert_eq(gp->waitpc, 0);
    return 0;
}

Test(waitpc, runtime_park_records_none, .timeout = 30) { gt_run(raw_body); }
