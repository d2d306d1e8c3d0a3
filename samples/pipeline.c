/*
 * pipeline.c: a producer, four workers and a collector joined by buffered
 * channels.  It finishes normally.
 *
 * The story.  The producer sends NJOBS jobs into `jobs` (capacity 4); each
 * worker takes a job, squares its number and sends a result into
 * `results` (capacity 2); main collects the results and checks their sum.
 * Main starts collecting late, on purpose: by then the pipeline has backed
 * up, and main calls story_ready() in that state:
 *   - `results` is full (len 2, cap 2) and all four workers are parked
 *     on it, [chan send], each with one more finished result (its sudog's
 *     elem points at the struct result on the worker's stack);
 *   - so six jobs have been taken, `jobs` is full with jobs 7, 8, 9, 10
 *     in receive order, and the producer (goroutine 2) is parked on it,
 *     [chan send], with job 11;
 *   - the closer is parked on the wait group, [waitgroup];
 *   - main (goroutine 1) is the one running.
 * Then main collects everything, the workers see `jobs` closed and leave,
 * and the program prints "pipeline: 40 jobs, sum of squares 22140" and
 * exits 0.
 *
 * In gdb:  break story_ready, run, then
 *     info goroutines            (producer and workers [chan send])
 *     print jobs / print results (element type struct job / struct result,
 *                                 len, cap, the buffered elements in order,
 *                                 the ids of the goroutines waiting to send)
 *     goroutine 2 bt             (the producer, stopped in gort_chan_send)
 *     gort waitgraph             (7 goroutines, 6 blocked, but not all:
 *                                 main runs, and will drain `results`)
 * gort-core on a core taken there (gcore) shows the same: `goroutines`,
 * `chans` (both channels, their buffers and their waiting senders),
 * `waitgraph`.
 */
#include <gort.h>
#include <stdio.h>

enum { NJOBS = 40, NWORKERS = 4 };

struct job {
    int64_t id;
    int64_t n;
};
struct result {
    int64_t id;
    int64_t worker;
    int64_t square;
};
GORT_DEFINE_TYPE(job_type, struct job);
GORT_DEFINE_TYPE(result_type, struct result);

struct hchan *jobs, *results;
static gort_waitgroup workers_done = GORT_WAITGROUP_INIT;

/* Where a debugger stops: the pipeline is backed up. */
__attribute__((noinline)) void story_ready(void)
{
    __asm__ volatile("" ::: "memory");
}

static void producer(void *arg)
{
    (void)arg;
    for (int64_t i = 1; i <= NJOBS; i++) {
        struct job j = { .id = i, .n = i };
        gort_chan_send(jobs, &j);
    }
    gort_chan_close(jobs);
}

static void worker(void *arg)
{
    int64_t me = (int64_t)(intptr_t)arg;
    struct job j;
    while (gort_chan_recv(jobs, &j)) {
        struct result r = { .id = j.id, .worker = me, .square = j.n * j.n };
        gort_chan_send(results, &r);
    }
    gort_waitgroup_done(&workers_done);
}

static void closer(void *arg)
{
    (void)arg;
    gort_waitgroup_wait(&workers_done);
    gort_chan_close(results);
}

static int run(int argc, char **argv)
{
    (void)argc; (void)argv;
    jobs = gort_chan_new(&job_type, 4);
    results = gort_chan_new(&result_type, 2);

    gort_go(producer, NULL);
    gort_waitgroup_add(&workers_done, NWORKERS);
    for (int64_t w = 1; w <= NWORKERS; w++)
        gort_go(worker, (void *)(intptr_t)w);
    gort_go(closer, NULL);

    /* Let the pipeline back up before collecting anything. */
    while (gort_chan_len(jobs) < gort_chan_cap(jobs) ||
           gort_chan_len(results) < gort_chan_cap(results))
        gort_sleep(1000 * 1000);
    gort_sleep(20 * 1000 * 1000);
    story_ready();

    int64_t sum = 0, n = 0;
    struct result r;
    while (gort_chan_recv(results, &r)) {
        sum += r.square;
        n++;
    }
    int64_t want = (int64_t)NJOBS * (NJOBS + 1) * (2 * NJOBS + 1) / 6;
    printf("pipeline: %lld jobs, sum of squares %lld\n", (long long)n, (long long)sum);
    gort_chan_free(jobs);
    gort_chan_free(results);
    return n == NJOBS && sum == want ? 0 : 1;
}

int main(int argc, char **argv)
{
    return gort_main(run, argc, argv);
}
