/*
 * test_chan.c: channels.  Hand-off to a parked partner (and what the
 * debugger sees of a parked goroutine: reason, g->waiting, the sudog's c
 * and elem), FIFO order through the buffer and per sender, close waking
 * every waiter, receive from a closed and drained channel, Go's panics,
 * NULL channels, misuse, zero-size and large elements, gort_after, a
 * 100,000-goroutine fan-in and the deadlock report.
 */
#include "test_chan_util.h"

struct big {
    int64_t a, b, c;
    char    tag[40];
};
GORT_DEFINE_TYPE(t_big, struct big);

/* A type of size 0, as Go's struct{}: elements take no space at all. */
static const struct rtype t_empty = {
    .size = 0, .align = 1, .kind = GORT_KIND_STRUCT, .name = "struct empty",
};

/* ------------------------------------------------------------------ */
/* Hand-off */

static struct hchan *hc;
static struct g *_Atomic hg;
static struct big *_Atomic hslot;
static gort_waitgroup hwg = GORT_WAITGROUP_INIT;

static void handoff_receiver(void *arg)
{
    (void)arg;
    struct big v;
    memset(&v, 0, sizeof v);
    atomic_store(&hslot, &v);
    publish_self(&hg);
    gt_assert(gort_chan_recv(hc, &v));
    gt_assert_eq(v.a, 1);
    gt_assert_eq(v.c, 3);
    gt_assert(strcmp(v.tag, "hand-off") == 0);
    gort_waitgroup_done(&hwg);
}

static int handoff_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    /* A buffered channel too: with a receiver waiting, the value must go
     * straight to it and never through the buffer. */
    for (size_t cap = 0; cap <= 4; cap += 4) {
        hc = gort_chan_new(&t_big, cap);
        atomic_store(&hg, NULL);
        gort_waitgroup_add(&hwg, 1);
        gort_go(handoff_receiver, NULL);
        struct g *gp = wait_parked(&hg, waitReasonChanReceive);
        /* What a debugger reads of the parked receiver. */
        gt_assert(gp->waiting != NULL);
        gt_assert(gp->waiting->g == gp);
        gt_assert(gp->waiting->c == hc);
        gt_assert(gp->waiting->elem == (void *)atomic_load(&hslot));
        gt_assert(!gp->waiting->isSelect);
        gt_assert(hc->recvq.first == gp->waiting);

        struct big v = { 1, 2, 3, "hand-off" };
        gort_chan_send(hc, &v);
        gt_assert_eq(hc->sendx, 0);          /* the buffer was never used */
        gt_assert_eq(hc->qcount, 0);
        gort_waitgroup_wait(&hwg);
        gt_assert(hc->recvq.first == NULL);
        gort_chan_free(hc);
    }
    return 0;
}

Test(chan, handoff_to_parked_receiver, .timeout = 30) { gt_run(handoff_body); }

static void handoff_sender(void *arg)
{
    struct big *v = arg;
    publish_self(&hg);
    gort_chan_send(hc, v);
    gort_waitgroup_done(&hwg);
}

static int sender_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    static struct big v = { 7, 8, 9, "from a sender" };
    hc = gort_chan_new(&t_big, 0);
    atomic_store(&hg, NULL);
    gort_waitgroup_add(&hwg, 1);
    gort_go(handoff_sender, &v);
    struct g *gp = wait_parked(&hg, waitReasonChanSend);
    gt_assert(gp->waiting != NULL && gp->waiting->c == hc);
    gt_assert(gp->waiting->elem == (void *)&v);
    gt_assert(hc->sendq.first == gp->waiting);
    gt_assert_eq(gort_chan_len(hc), 0);      /* unbuffered: nothing is buffered */

    struct big got;
    gt_assert(gort_chan_recv(hc, &got));
    gt_assert(memcmp(&got, &v, sizeof v) == 0);
    gort_waitgroup_wait(&hwg);
    gort_chan_free(hc);
    return 0;
}

Test(chan, receive_from_parked_sender, .timeout = 30) { gt_run(sender_body); }

/* ------------------------------------------------------------------ */
/* FIFO */

static int fifo_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *c = gort_chan_new(&gort_type_int64, 5);
    gt_assert_eq(gort_chan_cap(c), 5);
    /* Wrap around the ring several times. */
    int64_t next_in = 0, next_out = 0;
    for (int round = 0; round < 7; round++) {
        for (int k = 0; k < 3 + round % 3; k++) {
            gt_assert(gort_chan_trysend(c, &next_in));
            next_in++;
        }
        gt_assert_eq(gort_chan_len(c), next_in - next_out);
        while (next_out < next_in) {
            int64_t v = -1;
            gt_assert(gort_chan_recv(c, &v));
            gt_assert_eq(v, next_out);
            next_out++;
        }
    }
    /* Full: trysend fails; empty: tryrecv fails. */
    for (int64_t i = 0; i < 5; i++)
        gort_chan_send(c, &i);
    int64_t x = 99;
    gt_assert(!gort_chan_trysend(c, &x));
    gt_assert_eq(gort_chan_len(c), 5);
    bool ok = false;
    for (int64_t i = 0; i < 5; i++) {
        gt_assert(gort_chan_tryrecv(c, &x, &ok));
        gt_assert(ok);
        gt_assert_eq(x, i);
    }
    gt_assert(!gort_chan_tryrecv(c, &x, &ok));
    gt_assert(!ok);
    gort_chan_free(c);
    return 0;
}

Test(chan, fifo_through_the_buffer, .timeout = 30) { gt_run(fifo_body); }

/* A full buffer with a parked sender: the receiver takes the oldest and
 * the sender's value becomes the newest. */
static struct hchan *fc;
static struct g *_Atomic fg;
static void full_sender(void *arg)
{
    (void)arg;
    publish_self(&fg);
    int64_t v = 3;
    gort_chan_send(fc, &v);
}

static int full_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    fc = gort_chan_new(&gort_type_int64, 2);
    int64_t v = 1;
    gort_chan_send(fc, &v);
    v = 2;
    gort_chan_send(fc, &v);
    gort_go(full_sender, NULL);
    wait_parked(&fg, waitReasonChanSend);
    gt_assert_eq(waitq_len(fc, true), 1);
    for (int64_t want = 1; want <= 3; want++) {
        gt_assert(gort_chan_recv(fc, &v));
        gt_assert_eq(v, want);
    }
    gt_assert_eq(gort_chan_len(fc), 0);
    return 0;
}

Test(chan, full_buffer_with_parked_sender, .timeout = 30) { gt_run(full_body); }

enum { NSENDERS = 4 };
struct tagged { int64_t sender, seq; };
GORT_DEFINE_TYPE(t_tagged, struct tagged);
static struct hchan *pc;

static void seq_sender(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    for (int64_t i = 0; i < GT_SCALE(20000); i++) {
        struct tagged t = { id, i };
        gort_chan_send(pc, &t);
        if (i % 97 == 0)
            gort_yield();
    }
}

static int per_sender_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    size_t caps[] = { 0, 1, 8 };
    for (size_t k = 0; k < 3; k++) {
        pc = gort_chan_new(&t_tagged, caps[k]);
        for (int s = 0; s < NSENDERS; s++)
            gort_go(seq_sender, (void *)(intptr_t)s);
        int64_t next[NSENDERS] = { 0 };
        for (int64_t n = 0; n < NSENDERS * GT_SCALE(20000); n++) {
            struct tagged t;
            gt_assert(gort_chan_recv(pc, &t));
            gt_assert(t.sender >= 0 && t.sender < NSENDERS);
            gt_assert_eq(t.seq, next[t.sender]);     /* FIFO per sender */
            next[t.sender]++;
        }
        gt_assert_eq(gort_chan_len(pc), 0);
    }
    return 0;
}

Test(chan, fifo_per_sender, .timeout = 60) { gt_run(per_sender_body); }

/* ------------------------------------------------------------------ */
/* Close */

enum { NWAITERS = 50 };
static struct hchan *cc;
static _Atomic int closed_seen;
static gort_waitgroup cwg = GORT_WAITGROUP_INIT;

static void close_receiver(void *arg)
{
    (void)arg;
    int64_t v = 12345;
    gt_assert(!gort_chan_recv(cc, &v));
    gt_assert_eq(v, 0);                       /* the zero value */
    atomic_fetch_add(&closed_seen, 1);
    gort_waitgroup_done(&cwg);
}

static int close_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    cc = gort_chan_new(&gort_type_int64, 0);
    gort_waitgroup_add(&cwg, NWAITERS);
    for (int i = 0; i < NWAITERS; i++)
        gort_go(close_receiver, NULL);
    while (waitq_len(cc, false) < NWAITERS)
        gort_yield();
    gort_chan_close(cc);
    gort_waitgroup_wait(&cwg);
    gt_assert_eq(atomic_load(&closed_seen), NWAITERS);
    gt_assert(cc->recvq.first == NULL);
    /* Later receives return at once, zero and false. */
    int64_t v = 5;
    gt_assert(!gort_chan_recv(cc, &v));
    gt_assert_eq(v, 0);
    gort_chan_free(cc);
    return 0;
}

Test(chan, close_wakes_every_receiver, .timeout = 30) { gt_run(close_body); }

static int drain_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *c = gort_chan_new(&gort_type_int64, 4);
    for (int64_t i = 10; i < 13; i++)
        gort_chan_send(c, &i);
    gort_chan_close(c);
    gt_assert_eq(gort_chan_len(c), 3);
    int64_t v;
    for (int64_t i = 10; i < 13; i++) {      /* still delivered after close */
        gt_assert(gort_chan_recv(c, &v));
        gt_assert_eq(v, i);
    }
    for (int k = 0; k < 3; k++) {
        v = 77;
        gt_assert(!gort_chan_recv(c, &v));
        gt_assert_eq(v, 0);
        bool ok = true;
        v = 77;
        gt_assert(gort_chan_tryrecv(c, &v, &ok));   /* a receive happened */
        gt_assert(!ok);
        gt_assert_eq(v, 0);
    }
    gt_assert(!gort_chan_recv(c, NULL));            /* NULL: discard */
    gort_chan_free(c);
    return 0;
}

Test(chan, receive_from_closed_drained, .timeout = 30) { gt_run(drain_body); }

static int send_closed_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *c = gort_chan_new(&gort_type_int64, 1);
    gort_chan_close(c);
    int64_t v = 1;
    gort_chan_send(c, &v);
    return 0;
}
static int trysend_closed_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *c = gort_chan_new(&gort_type_int64, 0);
    gort_chan_close(c);
    int64_t v = 1;
    gort_chan_trysend(c, &v);
    return 0;
}
static int close_closed_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *c = gort_chan_new(&gort_type_int64, 0);
    gort_chan_close(c);
    gort_chan_close(c);
    return 0;
}
static int close_nil_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_chan_close(NULL);
    return 0;
}

static struct hchan *pkc;
static struct g *_Atomic pkg;
static void parked_sender(void *arg)
{
    (void)arg;
    publish_self(&pkg);
    int64_t v = 1;
    gort_chan_send(pkc, &v);
    gt_assert(0, "a send on a closed channel returned");
}
static int parked_sender_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    pkc = gort_chan_new(&gort_type_int64, 0);
    gort_go(parked_sender, NULL);
    wait_parked(&pkg, waitReasonChanSend);
    gort_chan_close(pkc);
    gort_sleep(5 * 1000 * 1000 * 1000LL);   /* the sender panics meanwhile */
    return 0;
}

Test(chan, go_panics, .timeout = 60)
{
    struct chan_crash *r = malloc(sizeof *r);
    chan_crash(r, send_closed_body, 20);
    expect_abort_line(r, "panic: send on closed channel");
    chan_crash(r, trysend_closed_body, 20);
    expect_abort_line(r, "panic: send on closed channel");
    chan_crash(r, close_closed_body, 20);
    expect_abort_line(r, "panic: close of closed channel");
    chan_crash(r, close_nil_body, 20);
    expect_abort_line(r, "panic: close of nil channel");
    /* A sender parked when the channel closes panics once it runs. */
    chan_crash(r, parked_sender_body, 20);
    expect_abort_line(r, "panic: send on closed channel");
    free(r);
}

/* ------------------------------------------------------------------ */
/* NULL channels, misuse */

static struct g *_Atomic nilrecv_g, *_Atomic nilsend_g;
static void nil_receiver(void *arg)
{
    (void)arg;
    publish_self(&nilrecv_g);
    int64_t v;
    gort_chan_recv(NULL, &v);
    gt_assert(0, "a receive from a NULL channel returned");
}
static void nil_sender(void *arg)
{
    (void)arg;
    publish_self(&nilsend_g);
    int64_t v = 1;
    gort_chan_send(NULL, &v);
    gt_assert(0, "a send on a NULL channel returned");
}

static int nil_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    int64_t v = 3;
    bool ok = true;
    gt_assert(!gort_chan_trysend(NULL, &v));
    gt_assert(!gort_chan_tryrecv(NULL, &v, &ok));
    gt_assert(!ok);
    gt_assert_eq(gort_chan_len(NULL), 0);
    gt_assert_eq(gort_chan_cap(NULL), 0);
    gort_chan_free(NULL);
    gort_go(nil_receiver, NULL);
    gort_go(nil_sender, NULL);
    struct g *r = wait_parked(&nilrecv_g, waitReasonChanReceiveNilChan);
    struct g *s = wait_parked(&nilsend_g, waitReasonChanSendNilChan);
    gt_assert(r->waiting == NULL && s->waiting == NULL);
    gort_sleep(10 * 1000 * 1000);            /* still parked later */
    gt_assert_eq(atomic_load(&r->atomicstatus), Gwaiting);
    gt_assert_eq(atomic_load(&s->atomicstatus), Gwaiting);
    return 0;                                 /* they are abandoned */
}

Test(chan, nil_channel_blocks_forever, .timeout = 30) { gt_run(nil_body); }

static int new_null_type_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_chan_new(NULL, 1);
    return 0;
}
static int send_null_elem_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_chan_send(gort_chan_new(&gort_type_int64, 1), NULL);
    return 0;
}
static int huge_cap_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_chan_new(&t_big, (size_t)-1);
    return 0;
}
static struct hchan *wfc;
static struct g *_Atomic wfg;
static void waiting_forever(void *arg)
{
    (void)arg;
    publish_self(&wfg);
    gort_chan_recv(wfc, NULL);
}
static int free_with_waiter_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    wfc = gort_chan_new(&gort_type_int64, 0);
    gort_go(waiting_forever, NULL);
    wait_parked(&wfg, waitReasonChanReceive);
    gort_chan_free(wfc);
    return 0;
}

/* Non-blocking operations work on any thread; a blocking one needs a
 * goroutine to park. */
static void outside_runtime(void)
{
    struct hchan *c = gort_chan_new(&gort_type_int64, 1);
    int64_t v = 4;
    gort_chan_send(c, &v);                   /* room: no need to park */
    if (!gort_chan_recv(c, &v) || v != 4)
        _exit(5);
    bool ok;
    if (gort_chan_tryrecv(c, &v, &ok))
        _exit(6);
    gort_chan_recv(c, &v);                   /* would park */
}

Test(chan, misuse_is_fatal, .timeout = 60)
{
    struct chan_crash *r = malloc(sizeof *r);
    chan_crash(r, new_null_type_body, 20);
    expect_abort_line(r, "fatal error: gort_chan_new: NULL element type");
    chan_crash(r, send_null_elem_body, 20);
    expect_abort_line(r, "fatal error: gort_chan_send: NULL element pointer");
    chan_crash(r, huge_cap_body, 20);
    cr_assert(strstr(r->out, "fatal error: gort_chan_new: capacity") != NULL, "%s", r->out);
    chan_crash(r, free_with_waiter_body, 20);
    cr_assert(strstr(r->out, "fatal error: gort_chan_free: channel") != NULL &&
              strstr(r->out, "has waiting goroutines") != NULL, "%s", r->out);
    chan_crash_run(r, NULL, outside_runtime, 20);
    expect_abort_line(r, "fatal error: gort_chan_recv: blocking call outside a goroutine");
    free(r);
}

/* ------------------------------------------------------------------ */
/* Element sizes */

static struct hchan *ec;
static void empty_sender(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        gort_chan_send(ec, NULL);
    gort_chan_close(ec);
}

static int sizes_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    /* Zero-size elements: counting still works, nothing is copied. */
    for (size_t cap = 0; cap <= 3; cap += 3) {
        ec = gort_chan_new(&t_empty, cap);
        gort_go(empty_sender, NULL);
        int n = 0;
        while (gort_chan_recv(ec, NULL))
            n++;
        gt_assert_eq(n, 100);
        gort_chan_free(ec);
    }
    /* Large elements survive the buffer intact. */
    struct hchan *c = gort_chan_new(&t_big, 3);
    for (int64_t i = 0; i < 3; i++) {
        struct big b = { i, -i, i * 1000, "" };
        snprintf(b.tag, sizeof b.tag, "element %lld", (long long)i);
        gort_chan_send(c, &b);
    }
    for (int64_t i = 0; i < 3; i++) {
        struct big b;
        char want[40];
        gt_assert(gort_chan_recv(c, &b));
        snprintf(want, sizeof want, "element %lld", (long long)i);
        gt_assert(b.a == i && b.b == -i && b.c == i * 1000 && strcmp(b.tag, want) == 0);
    }
    gt_assert_eq((uintptr_t)c->buf % _Alignof(max_align_t), 0);
    gort_chan_free(c);
    return 0;
}

Test(chan, zero_size_and_large_elements, .timeout = 30) { gt_run(sizes_body); }

/* ------------------------------------------------------------------ */
/* gort_after */

static int after_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    const int64_t ms = 1000 * 1000;
    int64_t t0 = gort_nanotime();
    struct hchan *c = gort_after(20 * ms);
    gt_assert_eq(gort_chan_cap(c), 1);
    gt_assert(c->elemtype == &gort_type_int64);
    int64_t when = 0;
    gt_assert(gort_chan_recv(c, &when));
    int64_t t1 = gort_nanotime();
    gt_assert(when - t0 >= 20 * ms, "(fired too early)");
    gt_assert(when <= t1);
    gt_assert(t1 - t0 >= 20 * ms);
    /* Exactly one value. */
    bool ok;
    gt_assert(!gort_chan_tryrecv(c, &when, &ok));
    gort_chan_free(c);

    /* Buffered: the value waits for a late receiver. */
    c = gort_after(1 * ms);
    gort_sleep(10 * ms);
    gt_assert_eq(gort_chan_len(c), 1);
    gt_assert(gort_chan_tryrecv(c, &when, &ok) && ok);
    gort_chan_free(c);

    /* Due at once. */
    c = gort_after(0);
    gt_assert(gort_chan_tryrecv(c, &when, &ok) && ok);
    gort_chan_free(c);
    c = gort_after(-5);
    gt_assert_eq(gort_chan_len(c), 1);
    gort_chan_free(c);

    /* Freed before it fires (the timer goes with it), many times over. */
    for (int i = 0; i < 1000; i++)
        gort_chan_free(gort_after((i % 3) * 1000 + 100 * ms));
    /* Freed while it may be firing. */
    for (int i = 0; i < 200; i++) {
        c = gort_after(1000);
        if (i % 2)
            gort_yield();
        gort_chan_free(c);
    }
    return 0;
}

Test(chan, after, .timeout = 30) { gt_run(after_body); }

/* ------------------------------------------------------------------ */
/* 100,000 goroutines into one channel */

static struct hchan *fanc;
static void fan_sender(void *arg)
{
    int64_t v = (int64_t)(intptr_t)arg;
    gort_chan_send(fanc, &v);
}

static int fanin_body(int argc, char **argv)
{
    (void)argc; (void)argv;
#ifdef __SANITIZE_THREAD__
    const int64_t n = 4000;     /* TSan handles at most 8128 threads and fibers */
#else
    const int64_t n = GT_SCALE(100000);
#endif
    fanc = gort_chan_new(&gort_type_int64, 0);
    for (int64_t i = 1; i <= n; i++)
        gort_go(fan_sender, (void *)(intptr_t)i);
    int64_t sum = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t v;
        gt_assert(gort_chan_recv(fanc, &v));
        sum += v;
    }
    gt_assert_eq(sum, n * (n + 1) / 2);
    bool ok;
    int64_t v;
    gt_assert(!gort_chan_tryrecv(fanc, &v, &ok));
    gort_chan_free(fanc);
    return 0;
}

Test(chan, fanin_100k_goroutines, .timeout = 120) { gt_run(fanin_body); }

/* ------------------------------------------------------------------ */
/* Ping-pong: two goroutines alternate on two unbuffered channels. */

static struct hchan *ping, *pong;
static void ponger(void *arg)
{
    (void)arg;
    int64_t v;
    while (gort_chan_recv(ping, &v)) {
        v++;
        gort_chan_send(pong, &v);
    }
}

static int pingpong_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    ping = gort_chan_new(&gort_type_int64, 0);
    pong = gort_chan_new(&gort_type_int64, 0);
    gort_go(ponger, NULL);
    const int64_t n = GT_SCALE(100000);
    int64_t sum = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t v;
        gort_chan_send(ping, &i);
        gt_assert(gort_chan_recv(pong, &v));
        sum += v;
    }
    gt_assert_eq(sum, n * (n - 1) / 2 + n);
    gort_chan_close(ping);
    return 0;
}

Test(chan, pingpong, .timeout = 60) { gt_run(pingpong_body); }

/* ------------------------------------------------------------------ */
/* Deadlock: two goroutines each wait for the other, main waits for both. */

static struct hchan *dla, *dlb;
static gort_waitgroup dlwg = GORT_WAITGROUP_INIT;
static void dl_left(void *arg)
{
    (void)arg;
    int64_t v;
    gort_chan_recv(dla, &v);             /* only dl_right would send it */
    gort_chan_send(dlb, &v);
    gort_waitgroup_done(&dlwg);
}
static void dl_right(void *arg)
{
    (void)arg;
    int64_t v;
    gort_chan_recv(dlb, &v);
    gort_chan_send(dla, &v);
    gort_waitgroup_done(&dlwg);
}
static int deadlock_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    dla = gort_chan_new(&gort_type_int64, 0);
    dlb = gort_chan_new(&gort_type_int64, 0);
    gort_waitgroup_add(&dlwg, 2);
    gort_go(dl_left, NULL);
    gort_go(dl_right, NULL);
    gort_waitgroup_wait(&dlwg);
    return 0;
}
static int deadlock_recv_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *c = gort_chan_new(&gort_type_int64, 0);
    gort_chan_recv(c, NULL);
    return 0;
}

Test(chan, deadlock_report, .timeout = 60)
{
    struct chan_crash *r = malloc(sizeof *r);
    chan_crash(r, deadlock_body, 20);
    expect_abort_line(r, "fatal error: all goroutines are asleep - deadlock!");
    cr_assert(has_line(r->out, "goroutine 1 [waitgroup]:"), "%s", r->out);
    cr_assert(strstr(r->out, " [chan receive]:\n") != NULL, "%s", r->out);
    cr_assert(strstr(r->out, "dl_left") != NULL && strstr(r->out, "dl_right") != NULL,
              "%s", r->out);
    chan_crash(r, deadlock_recv_body, 20);
    expect_abort_line(r, "fatal error: all goroutines are asleep - deadlock!");
    cr_assert(has_line(r->out, "goroutine 1 [chan receive]:"), "%s", r->out);
    free(r);
}
