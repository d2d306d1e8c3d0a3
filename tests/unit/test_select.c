/*
 * test_select.c: gort_select.  Non-blocking form, ready cases, fairness of
 * the random poll order, NULL and closed channels, a parked select (its
 * sudogs as a debugger sees them, and none left behind afterwards), send
 * cases, the same channel twice, zero cases, timeouts with gort_after,
 * and a stress run of many selects racing on shared channels.
 */

#include "test_chan_util.h"

static const int64_t MS = 1000 * 1000;

static int nonblocking_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *a = gort_chan_new(&gort_type_int64, 0);
    struct hchan *b = gort_chan_new(&gort_type_int64, 1);
    int64_t va = 0, vb = 0, out = 5;
    /* b is buffered and empty: a send case proceeds, a receive does not. */
    gort_case cs[] = {
        { a, GORT_RECV, &va, false },
        { b, GORT_RECV, &vb, false },
    };
    gt_assert_eq(gort_select(cs, 2, false), -1);
    gt_assert_eq(gort_select(NULL, 0, false), -1);

    gort_case send[] = { { a, GORT_SEND, &out, false }, { b, GORT_SEND, &out, false } };
    gt_assert_eq(gort_select(send, 2, false), 1);     /* only b has room */
    gt_assert_eq(gort_chan_len(b), 1);
    gt_assert_eq(gort_select(send, 2, false), -1);    /* now full */

    cs[1].ok = false;
    gt_assert_eq(gort_select(cs, 2, false), 1);
    gt_assert(cs[1].ok);
    gt_assert_eq(vb, 5);
    gort_chan_free(a);
    gort_chan_free(b);
    return 0;
}

Test(select, nonblocking, .timeout = 30) { gt_run(nonblocking_body); }

/* Every ready case is chosen about equally often. */
enum { NFAIR = 4 };
static int fairness_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *c[NFAIR];
    gort_case cs[NFAIR];
    int64_t v[NFAIR];
    for (int i = 0; i < NFAIR; i++) {
        c[i] = gort_chan_new(&gort_type_int64, 1);
        int64_t x = i;
        gort_chan_send(c[i], &x);
        cs[i] = (gort_case){ c[i], GORT_RECV, &v[i], false };
    }
    const int n = 40000;
    int count[NFAIR] = { 0 };
    for (int k = 0; k < n; k++) {
        int i = gort_select(cs, NFAIR, k % 2 == 0);
        gt_assert(i >= 0 && i < NFAIR);
        gt_assert(cs[i].ok);
        gt_assert_eq(v[i], i);
        count[i]++;
        gort_chan_send(c[i], &v[i]);         /* ready again */
    }
    /* Chi-square with 3 degrees of freedom: 30 is far beyond p = 1e-5,
     * yet a select that favoured one case by even 3% would exceed it. */
    double chi2 = 0, e = (double)n / NFAIR;
    for (int i = 0; i < NFAIR; i++)
        chi2 += (count[i] - e) * (count[i] - e) / e;
    if (chi2 >= 30)
        fprintf(stderr, "counts %d %d %d %d chi2 %.1f\n", count[0], count[1], count[2],
                count[3], chi2);
    gt_assert(chi2 < 30);
    /* Sends too: all four have room each time. */
    int scount[NFAIR] = { 0 };
    for (int i = 0; i < NFAIR; i++) {
        gort_chan_recv(c[i], NULL);
        cs[i].dir = GORT_SEND;
    }
    for (int k = 0; k < n; k++) {
        int i = gort_select(cs, NFAIR, true);
        scount[i]++;
        gort_chan_recv(c[i], NULL);
    }
    chi2 = 0;
    for (int i = 0; i < NFAIR; i++)
        chi2 += (scount[i] - e) * (scount[i] - e) / e;
    gt_assert(chi2 < 30);
    return 0;
}

Test(select, fairness, .timeout = 60) { gt_run(fairness_body); }

/* NULL channels never proceed; closed ones always do. */
static struct g *_Atomic nullsel_g;
static void null_selector(void *arg)
{
    (void)arg;
    int64_t v;
    gort_case cs[] = { { NULL, GORT_RECV, &v, false }, { NULL, GORT_SEND, &v, false } };
    publish_self(&nullsel_g);
    gort_select(cs, 2, true);
    gt_assert(0, "a select on NULL channels returned");
}

static int null_closed_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *ready = gort_chan_new(&gort_type_int64, 64);
    int64_t v = 9, got = 0;
    for (int k = 0; k < 50; k++) {
        gort_chan_send(ready, &v);
        gort_case cs[] = {
            { NULL, GORT_RECV, &got, false },
            { ready, GORT_RECV, &got, false },
            { NULL, GORT_SEND, &v, false },
        };
        gt_assert_eq(gort_select(cs, 3, true), 1);
    }
    gort_case nulls[] = { { NULL, GORT_RECV, &got, false } };
    gt_assert_eq(gort_select(nulls, 1, false), -1);
    gort_go(null_selector, NULL);
    struct g *gp = wait_parked(&nullsel_g, waitReasonSelect);
    gt_assert(gp->waiting == NULL);

    /* A closed channel: zero value and ok == false, every time. */
    struct hchan *closed = gort_chan_new(&gort_type_int64, 0);
    struct hchan *quiet = gort_chan_new(&gort_type_int64, 0);
    gort_chan_close(closed);
    for (int k = 0; k < 20; k++) {
        got = 42;
        gort_case cs[] = {
            { quiet, GORT_RECV, &got, false },
            { closed, GORT_RECV, &got, true },
        };
        gt_assert_eq(gort_select(cs, 2, k % 2), 1);
        gt_assert(!cs[1].ok);
        gt_assert_eq(got, 0);
    }
    gt_assert(quiet->recvq.first == NULL);
    return 0;
}

Test(select, null_and_closed_channels, .timeout = 30) { gt_run(null_closed_body); }

/* A select parked on a receive from X: another goroutine closes X, and the
 * case returns with ok == false and the element zeroed (not left as it
 * was), whichever of the cases was polled first. */
static struct hchan *cx, *cy;
static struct g *_Atomic closer_sel_g;
static void closer(void *arg)
{
    (void)arg;
    wait_parked(&closer_sel_g, waitReasonSelect);
    gort_chan_close(cx);
}

static int closed_while_parked_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (int k = 0; k < 20; k++) {
        cx = gort_chan_new(&gort_type_int64, k % 2);
        cy = gort_chan_new(&gort_type_int64, 0);
        int64_t gx = 42, gy = 43;
        gort_case cs[] = {
            { cy, GORT_RECV, &gy, true },
            { cx, GORT_RECV, &gx, true },
        };
        atomic_store(&closer_sel_g, NULL);
        gort_go(closer, NULL);
        publish_self(&closer_sel_g);
        gt_assert_eq(gort_select(cs, 2, true), 1);
        gt_assert(!cs[1].ok);
        gt_assert_eq(gx, 0);
        gt_assert_eq(gy, 43);                   /* the other case untouched */
        gt_assert(cy->recvq.first == NULL && cx->recvq.first == NULL);
        gt_assert(getg()->waiting == NULL);
        gort_chan_free(cy);
        gort_chan_free(cx);
    }
    return 0;
}

Test(select, receive_case_woken_by_close, .timeout = 30) { gt_run(closed_while_parked_body); }

static int send_closed_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *c = gort_chan_new(&gort_type_int64, 4);
    gort_chan_close(c);
    int64_t v = 1;
    gort_case cs[] = { { c, GORT_SEND, &v, false } };
    gort_select(cs, 1, false);
    return 0;
}
static struct hchan *psc;
static struct g *_Atomic psg;
static void parked_send_selector(void *arg)
{
    (void)arg;
    int64_t v = 1;
    struct hchan *other = gort_chan_new(&gort_type_int64, 0);
    gort_case cs[] = { { other, GORT_RECV, NULL, false }, { psc, GORT_SEND, &v, false } };
    publish_self(&psg);
    gort_select(cs, 2, true);
    gt_assert(0, "select sent on a closed channel");
}
static int parked_send_closed_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    psc = gort_chan_new(&gort_type_int64, 0);
    gort_go(parked_send_selector, NULL);
    wait_parked(&psg, waitReasonSelect);
    gort_chan_close(psc);
    gort_sleep(5000 * MS);
    return 0;
}
static int bad_dir_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_case cs[] = { { gort_chan_new(&gort_type_int64, 0), 3, NULL, false } };
    gort_select(cs, 1, false);
    return 0;
}
static int null_send_elem_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_case cs[] = { { gort_chan_new(&gort_type_int64, 1), GORT_SEND, NULL, false } };
    gort_select(cs, 1, false);
    return 0;
}

static int null_cases_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_select(NULL, 2, true);
    return 0;
}
static int negative_count_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_case cs[] = { { NULL, GORT_RECV, NULL, false } };
    gort_select(cs, -1, false);
    return 0;
}

Test(select, panics_and_misuse, .timeout = 60)
{
    struct chan_crash *r = malloc(sizeof *r);
    chan_crash(r, send_closed_body, 20);
    expect_abort_line(r, "panic: send on closed channel");
    chan_crash(r, parked_send_closed_body, 20);
    expect_abort_line(r, "panic: send on closed channel");
    chan_crash(r, bad_dir_body, 20);
    expect_abort_line(r, "fatal error: gort_select: case 0: dir 3 is neither GORT_SEND nor GORT_RECV");
    chan_crash(r, null_send_elem_body, 20);
    expect_abort_line(r, "fatal error: gort_select: case 0: NULL element pointer");
    chan_crash(r, null_cases_body, 20);
    expect_abort_line(r, "fatal error: gort_select: NULL cases");
    chan_crash(r, negative_count_body, 20);
    expect_abort_line(r, "fatal error: gort_select: -1 cases (0 to 32767)");
    free(r);
}

/* A parked select: one sudog per case on g->waiting, woken by one sender,
 * and no sudog left in any queue afterwards. */
static struct hchan *pa, *pb, *pcc;
static struct g *_Atomic pg;
static int64_t precv;
static gort_waitgroup pwg = GORT_WAITGROUP_INIT;
static _Atomic int pwon;

static void parked_selector(void *arg)
{
    (void)arg;
    int64_t out = 55;
    gort_case cs[] = {
        { pa, GORT_RECV, &precv, false },
        { pb, GORT_RECV, &precv, false },
        { pcc, GORT_SEND, &out, false },
    };
    publish_self(&pg);
    int i = gort_select(cs, 3, true);
    atomic_store(&pwon, i);
    if (i != 2)
        gt_assert(cs[i].ok);
    gort_waitgroup_done(&pwg);
}

static int parked_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    pa = gort_chan_new(&gort_type_int64, 0);
    pb = gort_chan_new(&gort_type_int64, 0);
    pcc = gort_chan_new(&gort_type_int64, 0);
    for (int round = 0; round < 3; round++) {
        atomic_store(&pg, NULL);
        gort_waitgroup_add(&pwg, 1);
        gort_go(parked_selector, NULL);
        struct g *gp = wait_parked(&pg, waitReasonSelect);
        int n = 0;
        bool seen[3] = { false };
        for (struct sudog *s = gp->waiting; s != NULL; s = s->waitlink, n++) {
            gt_assert(s->isSelect && s->g == gp);
            gt_assert(s->caseidx >= 0 && s->caseidx < 3);
            seen[s->caseidx] = true;
            struct hchan *want = s->caseidx == 0 ? pa : s->caseidx == 1 ? pb : pcc;
            gt_assert(s->c == want);
        }
        gt_assert_eq(n, 3);
        gt_assert(seen[0] && seen[1] && seen[2]);
        gt_assert_eq(waitq_len(pa, false), 1);
        gt_assert_eq(waitq_len(pcc, true), 1);

        int64_t v = 100 + round;
        if (round == 0) {
            gort_chan_send(pb, &v);
        } else if (round == 1) {
            gort_chan_send(pa, &v);
        } else {
            gt_assert(gort_chan_recv(pcc, &v));
            gt_assert_eq(v, 55);
        }
        gort_waitgroup_wait(&pwg);
        gt_assert_eq(atomic_load(&pwon), round == 0 ? 1 : round == 1 ? 0 : 2);
        if (round < 2)
            gt_assert_eq(precv, 100 + round);
        gt_assert_eq(waitq_len(pa, false), 0);
        gt_assert_eq(waitq_len(pb, false), 0);
        gt_assert_eq(waitq_len(pcc, true), 0);
        gt_assert_eq(gp->selectdone, 0);
    }
    return 0;
}

Test(select, parked_select, .timeout = 30) { gt_run(parked_body); }

/* Two cases on one channel: exactly one runs. */
static struct hchan *dupc;
static void dup_selector(void *arg)
{
    int64_t *out = arg;
    gort_case cs[] = { { dupc, GORT_RECV, &out[0], false }, { dupc, GORT_RECV, &out[1], false } };
    int i = gort_select(cs, 2, true);
    out[2] = i;
    gort_chan_send(dupc, &out[2]);           /* report back */
}

static int dup_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    dupc = gort_chan_new(&gort_type_int64, 0);
    for (int k = 0; k < 200; k++) {
        int64_t out[3] = { -1, -1, -1 };
        gort_go(dup_selector, out);
        int64_t v = 7;
        while (waitq_len(dupc, false) < 2)
            gort_yield();
        gort_chan_send(dupc, &v);
        int64_t i;
        gort_chan_recv(dupc, &i);
        gt_assert(i == 0 || i == 1);
        gt_assert_eq(out[i], 7);
        gt_assert_eq(out[1 - i], -1);
        gt_assert_eq(waitq_len(dupc, false), 0);
    }
    return 0;
}

Test(select, same_channel_twice, .timeout = 30) { gt_run(dup_body); }

static struct g *_Atomic nocase_g;
static void nocase(void *arg)
{
    (void)arg;
    publish_self(&nocase_g);
    gort_select(NULL, 0, true);
    gt_assert(0, "select with no cases returned");
}
static int nocase_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(nocase, NULL);
    wait_parked(&nocase_g, waitReasonSelectNoCases);
    return 0;
}

Test(select, no_cases_blocks_forever, .timeout = 30) { gt_run(nocase_body); }

static int timeout_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *never = gort_chan_new(&gort_type_int64, 0);
    for (int k = 0; k < 3; k++) {
        int64_t t0 = gort_nanotime(), v = 0, when = 0;
        struct hchan *tmo = gort_after(15 * MS);
        gort_case cs[] = { { never, GORT_RECV, &v, false }, { tmo, GORT_RECV, &when, false } };
        gt_assert_eq(gort_select(cs, 2, true), 1);
        gt_assert(cs[1].ok);
        gt_assert(when - t0 >= 15 * MS);
        gt_assert(gort_nanotime() - t0 >= 15 * MS);
        gt_assert(never->recvq.first == NULL);
        gort_chan_free(tmo);
    }
    /* A value that arrives first wins over a long timeout. */
    struct hchan *soon = gort_after(1 * MS);
    struct hchan *late = gort_after(10000 * MS);
    int64_t a, b;
    gort_case cs[] = { { late, GORT_RECV, &a, false }, { soon, GORT_RECV, &b, false } };
    gt_assert_eq(gort_select(cs, 2, true), 1);
    gort_chan_free(late);                    /* its timer is deleted */
    gort_chan_free(soon);
    return 0;
}

Test(select, timeout_with_after, .timeout = 30) { gt_run(timeout_body); }

/* Producers and consumers all using select over the same three channels
 * (and each other's): every value is received exactly once. */
enum { NCH = 3, NPROD = 4, NCONS = 4 };
static struct hchan *sc[NCH], *sdone;
static _Atomic int64_t ssum, scount;

static void sproducer(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg;
    for (int64_t i = 1; i <= GT_SCALE(5000); i++) {
        int64_t v = id * 1000000 + i;
        gort_case cs[NCH];
        for (int k = 0; k < NCH; k++)
            cs[k] = (gort_case){ sc[k], GORT_SEND, &v, false };
        gt_assert(gort_select(cs, NCH, true) >= 0);
    }
}

static void sconsumer(void *arg)
{
    (void)arg;
    for (;;) {
        int64_t v[NCH + 1];
        gort_case cs[NCH + 1];
        for (int k = 0; k < NCH; k++)
            cs[k] = (gort_case){ sc[k], GORT_RECV, &v[k], false };
        cs[NCH] = (gort_case){ sdone, GORT_RECV, &v[NCH], false };
        int i = gort_select(cs, NCH + 1, true);
        if (i == NCH)
            return;
        gt_assert(cs[i].ok);
        atomic_fetch_add(&ssum, v[i]);
        atomic_fetch_add(&scount, 1);
    }
}

static int stress_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (int k = 0; k < NCH; k++)
        sc[k] = gort_chan_new(&gort_type_int64, (size_t)k);   /* caps 0, 1, 2 */
    sdone = gort_chan_new(&gort_type_int64, 0);
    for (int i = 0; i < NCONS; i++)
        gort_go(sconsumer, NULL);
    for (int64_t i = 0; i < NPROD; i++)
        gort_go(sproducer, (void *)(intptr_t)i);
    const int64_t per = GT_SCALE(5000), total = NPROD * per;
    while (atomic_load(&scount) < total)
        gort_sleep(1 * MS);
    gort_chan_close(sdone);
    int64_t want = 0;
    for (int64_t p = 0; p < NPROD; p++)
        want += p * 1000000 * per + per * (per + 1) / 2;
    gt_assert_eq(atomic_load(&scount), total);
    gt_assert_eq(atomic_load(&ssum), want);
    return 0;
}

Test(select, stress_shared_channels, .timeout = 120) { gt_run(stress_body); }

/* The benchmark's shape: two plain senders, one select receiving from
 * both.  A select that dropped its locks between polling and parking
 * would lose a wake-up here (both sides parked: a deadlock report). */
static void plain_sender(void *arg)
{
    struct hchan *c = arg;
    for (int64_t i = 0; i < GT_SCALE(100000); i++)
        gort_chan_send(c, &i);
}

static int two_senders_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    struct hchan *c1 = gort_chan_new(&gort_type_int64, 0);
    struct hchan *c2 = gort_chan_new(&gort_type_int64, 0);
    int64_t v1 = 0, v2 = 0, s1 = 0, s2 = 0;
    gort_case cs[] = { { c1, GORT_RECV, &v1, false }, { c2, GORT_RECV, &v2, false } };
    gort_go(plain_sender, c1);
    gort_go(plain_sender, c2);
    const int64_t n = GT_SCALE(100000);
    for (int64_t k = 0; k < 2 * n; k++) {
        int i = gort_select(cs, 2, true);
        gt_assert(i == 0 || i == 1);
        gt_assert(cs[i].ok);
        if (i == 0)
            s1 += v1;
        else
            s2 += v2;
    }
    gt_assert_eq(s1, n * (n - 1) / 2);
    gt_assert_eq(s2, n * (n - 1) / 2);
    gt_assert(c1->recvq.first == NULL && c2->recvq.first == NULL);
    return 0;
}

Test(select, receive_from_two_plain_senders, .timeout = 60) { gt_run(two_senders_body); }

/* More cases than fit on the stack (the orders are allocated), with
 * duplicates and NULLs among them; the lock order is a heapsort there. */
enum { NMANY = 200 };
static struct hchan *many[NMANY / 2];
static void late_sender(void *arg)
{
    int64_t v = (int64_t)(intptr_t)arg;
    gort_sleep(2 * MS);
    gort_chan_send(many[v], &v);
}

static int many_body(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (int i = 0; i < NMANY / 2; i++)
        many[i] = gort_chan_new(&gort_type_int64, 1);
    static gort_case cs[NMANY];
    int64_t vals[NMANY];
    for (int i = 0; i < NMANY; i++)
        cs[i] = (gort_case){ i % 7 == 3 ? NULL : many[(i * 37) % (NMANY / 2)],
                             GORT_RECV, &vals[i], false };
    gt_assert_eq(gort_select(cs, NMANY, false), -1);
    for (int round = 0; round < 20; round++) {
        int64_t target = (round * 13) % (NMANY / 2);
        if (round % 2) {
            gort_chan_send(many[target], &target);          /* ready before */
        } else {
            gort_go(late_sender, (void *)(intptr_t)target); /* arrives while parked */
        }
        int i = gort_select(cs, NMANY, true);
        gt_assert(i >= 0 && cs[i].c == many[target]);
        gt_assert(cs[i].ok);
        gt_assert_eq(vals[i], target);
        for (int k = 0; k < NMANY / 2; k++)
            gt_assert(many[k]->recvq.first == NULL);
    }
    return 0;
}

Test(select, many_cases, .timeout = 60) { gt_run(many_body); }
