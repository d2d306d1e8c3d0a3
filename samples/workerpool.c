/*
 * workerpool.c: a worker-pool pipeline that hangs because one stage
 * stopped reading.
 *
 * The story.  A producer feeds jobs into `jobs` (buffered, 4); three
 * workers square each job and send the result on `results` (buffered, 2);
 * a collector adds the results up.  The collector has a bug: when a result
 * is a multiple of 49 it "reports an error" and returns early, without
 * draining `results`.  From then on the workers block sending results, the
 * producer blocks sending jobs, and the program makes no progress.  It does
 * not deadlock in the runtime's sense: a watchdog goroutine is still
 * sleeping, so the runtime cannot know nobody will ever read.  The watchdog
 * notices that the sum has not moved for a while, calls story_ready() and
 * panics, which prints every goroutine and leaves a core file.
 *
 * What a person should see:
 *   - `info goroutines`: the three workers [chan send] in worker, the
 *     producer [chan send] in producer, goroutine 1 [waitgroup], the
 *     watchdog running (it is the one panicking); no collector at all.
 *   - `p results`: chan int64_t, len 2, cap 2, the two values waiting, and
 *     the ids of the workers queued to send; `p jobs`: full, the producer
 *     waiting to send.
 *   - `gort-core workerpool core chans`: the same two channels and waiters.
 */
#include <gort.h>
#include <stdatomic.h>
#include <stdio.h>

#define NWORKERS 3
#define NJOBS    100

static struct hchan *jobs, *results;
static gort_waitgroup workers_done = GORT_WAITGROUP_INIT;
static _Atomic int64_t sum, collected;

__attribute__((noinline)) void story_ready(void) { __asm__ volatile(""); }

static void producer(void *arg)
{
    (void)arg;
    for (int64_t i = 1; i <= NJOBS; i++)
        gort_chan_send(jobs, &i);
    gort_chan_close(jobs);
}

static void worker(void *arg)
{
    int64_t id = (int64_t)(intptr_t)arg, job;
    (void)id;
    while (gort_chan_recv(jobs, &job)) {
        int64_t square = job * job;
        gort_chan_send(results, &square);    /* <- stuck here */
    }
    gort_waitgroup_done(&workers_done);
}

static void collector(void *arg)
{
    (void)arg;
    int64_t r;
    while (gort_chan_recv(results, &r)) {
        if (r % 49 == 0) {
            fprintf(stderr, "collector: bad result %lld, giving up\n", (long long)r);
            return;                          /* the bug: nobody reads results now */
        }
        atomic_fetch_add(&sum, r);
        atomic_fetch_add(&collected, 1);
    }
}

static void watchdog(void *arg)
{
    (void)arg;
    int64_t last = -1;
    for (;;) {
        gort_sleep(100 * 1000 * 1000);
        int64_t now = atomic_load(&collected);
        if (now == last) {
            story_ready();
            gort_panic("workerpool: no progress after %lld of %d results",
                       (long long)now, NJOBS);
        }
        last = now;
    }
}

static int pool_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    jobs = gort_chan_new(&gort_type_int64, 4);
    results = gort_chan_new(&gort_type_int64, 2);
    gort_waitgroup_add(&workers_done, NWORKERS);
    for (int i = 1; i <= NWORKERS; i++)
        gort_go(worker, (void *)(intptr_t)i);
    gort_go(producer, NULL);
    gort_go(collector, NULL);
    gort_go(watchdog, NULL);
    gort_waitgroup_wait(&workers_done);
    gort_chan_close(results);
    printf("sum of squares: %lld\n", (long long)atomic_load(&sum));
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(pool_main, argc, argv);
}
