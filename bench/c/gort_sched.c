/*
 * gort_sched.c: the goroutine and channel workloads of issues 2 and 3 on
 * libgort, written against gort.h / API.md only.  Each function is the Go
 * reference (bench/go/sched.go) transcribed: same counts, same timed
 * region, same self-check, so the table's ratio compares the runtimes and
 * nothing else.  Definitions: ../shared/WORKLOADS.md ("Channels and
 * goroutines").
 *
 * Go's `chan int` is a channel of gort_type_int64; Go's sync.WaitGroup and
 * sync.Mutex are gort_waitgroup and gort_mutex.  Go's runtime.GC() before a
 * timed region has no counterpart (no GC).  The whole workload runs as
 * goroutine 1 inside gort_main, with GORTMAXPROCS set by the harness.
 */
#include <gort.h>

#include "bench.h"
#include "gort_runner.h"

/* ---- go_spawn_join ------------------------------------------------- */

static gort_waitgroup spawn_wg = GORT_WAITGROUP_INIT;
static gort_mutex     spawn_mu = GORT_MUTEX_INIT;
static int64_t        spawn_finished;

static void spawn_done(void *arg)
{
    (void)arg;
    gort_waitgroup_done(&spawn_wg);
}

static void spawn_count(void *arg)
{
    (void)arg;
    gort_mutex_lock(&spawn_mu);
    spawn_finished++;
    gort_mutex_unlock(&spawn_mu);
    gort_waitgroup_done(&spawn_wg);
}

static void w_spawn_join(void)
{
    int64_t n = bench_scaled(1000000);
    gort_waitgroup_add(&spawn_wg, (int)n);
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++)
        gort_go(spawn_done, NULL);
    gort_waitgroup_wait(&spawn_wg);
    int64_t t1 = bench_now();
    /* Wait returning is the check; count once more, untimed, that n
     * goroutines really run to completion. */
    gort_waitgroup_add(&spawn_wg, (int)n);
    for (int64_t i = 0; i < n; i++)
        gort_go(spawn_count, NULL);
    gort_waitgroup_wait(&spawn_wg);
    if (spawn_finished != n)
        bench_fail("go_spawn_join", "finished %lld, want %lld",
                   (long long)spawn_finished, (long long)n);
    bench_emit("go_spawn_join", (double)(t1 - t0) / (double)n, "ns/goroutine");
}

/* ---- yield_pingpong ------------------------------------------------ */

static gort_waitgroup yield_wg = GORT_WAITGROUP_INIT;
static int64_t        yield_n, yield_counts[2];

static void yielder(void *arg)
{
    int64_t *count = arg;
    for (int64_t i = 0; i < yield_n; i++) {
        gort_yield();
        (*count)++;
    }
    gort_waitgroup_done(&yield_wg);
}

static void w_yield(void)
{
    yield_n = bench_scaled(1000000);
    gort_waitgroup_add(&yield_wg, 2);
    int64_t t0 = bench_now();
    gort_go(yielder, &yield_counts[0]);
    gort_go(yielder, &yield_counts[1]);
    gort_waitgroup_wait(&yield_wg);
    int64_t t1 = bench_now();
    if (yield_counts[0] != yield_n || yield_counts[1] != yield_n)
        bench_fail("yield_pingpong", "counts %lld %lld, want %lld each",
                   (long long)yield_counts[0], (long long)yield_counts[1], (long long)yield_n);
    bench_emit("yield_pingpong", (double)(t1 - t0) / (double)(2 * yield_n), "ns/yield");
}

/* ---- goroutines_parked_100k ---------------------------------------- */

static struct hchan  *parked_ch;
static gort_waitgroup parked_started = GORT_WAITGROUP_INIT;
static gort_waitgroup parked_done = GORT_WAITGROUP_INIT;

static void parked(void *arg)
{
    int64_t v;
    (void)arg;
    gort_waitgroup_done(&parked_started);
    gort_chan_recv(parked_ch, &v);
    gort_waitgroup_done(&parked_done);
}

static void w_parked(void)
{
    int64_t n = bench_scaled(100000);
    parked_ch = gort_chan_new(&gort_type_int64, 0);
    gort_waitgroup_add(&parked_started, (int)n);
    gort_waitgroup_add(&parked_done, (int)n);
    int64_t rss0 = bench_rss();
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++)
        gort_go(parked, NULL);
    gort_waitgroup_wait(&parked_started);
    int64_t t1 = bench_now();
    gort_yield();
    int64_t rss1 = bench_rss();
    if (gort_numgoroutine() < n + 1)
        bench_fail("goroutines_parked_100k", "%d goroutines alive, want at least %lld",
                   gort_numgoroutine(), (long long)(n + 1));
    int64_t t2 = bench_now();
    gort_chan_close(parked_ch);
    gort_waitgroup_wait(&parked_done);
    int64_t t3 = bench_now();
    bench_emit("goroutines_parked_100k_create", (double)(t1 - t0) / (double)n, "ns/goroutine");
    bench_emit("goroutines_parked_100k_release", (double)(t3 - t2) / (double)n, "ns/goroutine");
    bench_emit("goroutines_parked_100k_rss_per_g", (double)(rss1 - rss0) / (double)n, "bytes");
    bench_emit("goroutines_parked_100k_rss_total", (double)rss1 / (1 << 20), "MiB");
}

/* ---- chan_pingpong_unbuffered -------------------------------------- */

static struct hchan *pp_c1, *pp_c2;

static void pp_echo(void *arg)
{
    int64_t v;
    (void)arg;
    while (gort_chan_recv(pp_c1, &v)) {
        v++;
        gort_chan_send(pp_c2, &v);
    }
}

static void w_chan_pingpong(void)
{
    int64_t n = bench_scaled(1000000), sum = 0;
    pp_c1 = gort_chan_new(&gort_type_int64, 0);
    pp_c2 = gort_chan_new(&gort_type_int64, 0);
    gort_go(pp_echo, NULL);
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        int64_t v = i;
        gort_chan_send(pp_c1, &v);
        gort_chan_recv(pp_c2, &v);
        sum += v;
    }
    int64_t t1 = bench_now();
    gort_chan_close(pp_c1);
    if (sum != n * (n - 1) / 2 + n)
        bench_fail("chan_pingpong_unbuffered", "sum %lld, want %lld",
                   (long long)sum, (long long)(n * (n - 1) / 2 + n));
    bench_emit("chan_pingpong_unbuffered", (double)(t1 - t0) / (double)n, "ns/roundtrip");
}

/* ---- chan_buffered_throughput -------------------------------------- */

static struct hchan *buf_c;
static int64_t       buf_n;

static void buf_producer(void *arg)
{
    (void)arg;
    for (int64_t i = 0; i < buf_n; i++)
        gort_chan_send(buf_c, &i);
    gort_chan_close(buf_c);
}

static void w_chan_buffered(void)
{
    int64_t sum = 0, v;
    buf_n = bench_scaled(10000000);
    buf_c = gort_chan_new(&gort_type_int64, 128);
    int64_t t0 = bench_now();
    gort_go(buf_producer, NULL);
    while (gort_chan_recv(buf_c, &v))
        sum += v;
    int64_t t1 = bench_now();
    if (sum != buf_n * (buf_n - 1) / 2)
        bench_fail("chan_buffered_throughput", "sum %lld, want %lld",
                   (long long)sum, (long long)(buf_n * (buf_n - 1) / 2));
    bench_emit("chan_buffered_throughput", (double)(t1 - t0) / (double)buf_n, "ns/item");
}

/* ---- select_2chan -------------------------------------------------- */

static int64_t sel_half;

static void sel_producer(void *arg)
{
    struct hchan *c = arg;
    for (int64_t i = 0; i < sel_half; i++)
        gort_chan_send(c, &i);
}

static void w_select(void)
{
    int64_t s1 = 0, s2 = 0, v1 = 0, v2 = 0;
    sel_half = bench_scaled(500000);
    struct hchan *c1 = gort_chan_new(&gort_type_int64, 0);
    struct hchan *c2 = gort_chan_new(&gort_type_int64, 0);
    gort_case cases[2] = {
        { .c = c1, .dir = GORT_RECV, .elem = &v1 },
        { .c = c2, .dir = GORT_RECV, .elem = &v2 },
    };
    int64_t t0 = bench_now();
    gort_go(sel_producer, c1);
    gort_go(sel_producer, c2);
    for (int64_t i = 0; i < 2 * sel_half; i++) {
        switch (gort_select(cases, 2, true)) {
        case 0: s1 += v1; break;
        case 1: s2 += v2; break;
        default: bench_fail("select_2chan", "gort_select returned no case");
        }
    }
    int64_t t1 = bench_now();
    int64_t want = sel_half * (sel_half - 1) / 2;
    if (s1 != want || s2 != want)
        bench_fail("select_2chan", "s1 %lld s2 %lld, want %lld each",
                   (long long)s1, (long long)s2, (long long)want);
    bench_emit("select_2chan", (double)(t1 - t0) / (double)(2 * sel_half), "ns/recv");
}

/* ---- mutex_contended ----------------------------------------------- */

static gort_mutex     mc_mu = GORT_MUTEX_INIT;
static gort_waitgroup mc_wg = GORT_WAITGROUP_INIT;
static struct hchan  *mc_start;
static int64_t        mc_n, mc_counter;

static void mc_worker(void *arg)
{
    int64_t v;
    (void)arg;
    gort_chan_recv(mc_start, &v);
    for (int64_t i = 0; i < mc_n; i++) {
        gort_mutex_lock(&mc_mu);
        mc_counter++;
        gort_mutex_unlock(&mc_mu);
    }
    gort_waitgroup_done(&mc_wg);
}

static void w_mutex(void)
{
    mc_n = bench_scaled(1000000);
    mc_start = gort_chan_new(&gort_type_int64, 0);
    gort_waitgroup_add(&mc_wg, 2);
    gort_go(mc_worker, NULL);
    gort_go(mc_worker, NULL);
    int64_t t0 = bench_now();
    gort_chan_close(mc_start);
    gort_waitgroup_wait(&mc_wg);
    int64_t t1 = bench_now();
    if (mc_counter != 2 * mc_n)
        bench_fail("mutex_contended", "counter %lld, want %lld",
                   (long long)mc_counter, (long long)(2 * mc_n));
    bench_emit("mutex_contended", (double)(t1 - t0) / (double)(2 * mc_n), "ns/lock+unlock");
}

/* ---- table --------------------------------------------------------- */

static const struct workload sched_workloads[] = {
    { "go_spawn_join", "1,2", w_spawn_join },
    { "yield_pingpong", "1,2", w_yield },
    { "goroutines_parked_100k", "-", w_parked },
    { "chan_pingpong_unbuffered", "1,2", w_chan_pingpong },
    { "chan_buffered_throughput", "-", w_chan_buffered },
    { "select_2chan", "-", w_select },
    { "mutex_contended", "1,2", w_mutex },
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, sched_workloads, BENCH_NELEM(sched_workloads), bench_run_gort);
}
