/*
 * select_timeout.c: requests with a deadline, and a watcher that waits on
 * two channels at once.  It finishes normally.
 *
 * The story.  A slow server answers each request on the request's own
 * reply channel after `delay` milliseconds.  Main sends two requests and
 * waits for each answer with a select against gort_after(50 ms):
 *   - request 1 takes 200 ms: the timeout case wins ("request 1: timed
 *     out after 50 ms"); the late answer lands in the reply channel's
 *     buffer later and nobody reads it;
 *   - request 2 takes 5 ms: the reply case wins ("request 2: answer 4").
 * Meanwhile a watcher goroutine sits in a select over `quit` and a
 * 10-second gort_after timer.  Main calls story_ready() while the server
 * is still sleeping on request 1, before the first select: then
 *   - the watcher (goroutine 2) is parked [select], with one sudog on
 *     `quit`'s recvq and one on its timer channel's recvq (g->waiting
 *     lists both; isSelect is set on each);
 *   - the server (goroutine 3) is parked [sleep];
 *   - main (goroutine 1) is running.
 * At the end main closes `quit`; the watcher's select returns the quit
 * case, it prints "watcher: quit" and the program exits 0.
 *
 * In gdb:  break story_ready, run, then
 *     info goroutines        (2 [select], 3 [sleep])
 *     goroutine 2 bt         (gort_select called from watcher)
 *     goroutine 2, frame function watcher, info locals
 *                            (tick and the cases array: both channels,
 *                             each with goroutine 2 waiting "(select)")
 *     print quit             (chan int64_t, len 0, cap 0, waiting to
 *                             receive: goroutine 2 (select))
 * gort-core's `chans` shows the watcher on the recvq of both channels at
 * once; `waitgraph` lists it as blocked with no goroutine known to end
 * its wait (main will close `quit`, but holds it only as a global).
 */
#include <gort.h>
#include <stdio.h>

static const int64_t MS = 1000 * 1000;

struct request {
    int64_t       id;
    int64_t       delay_ms;
    int64_t       question;
    struct hchan *reply;       /* int64_t, capacity 1: a late answer never blocks */
};
GORT_DEFINE_TYPE(request_type, struct request);

struct hchan *requests, *quit;
static gort_waitgroup watcher_done = GORT_WAITGROUP_INIT;

/* Where a debugger stops: the watcher is in its select, the server asleep. */
__attribute__((noinline)) void story_ready(void)
{
    __asm__ volatile("" ::: "memory");
}

static void server(void *arg)
{
    (void)arg;
    struct request rq;
    while (gort_chan_recv(requests, &rq)) {
        gort_sleep(rq.delay_ms * MS);
        int64_t answer = rq.question * rq.question;
        gort_chan_send(rq.reply, &answer);
    }
}

static void watcher(void *arg)
{
    (void)arg;
    struct hchan *tick = gort_after(10000 * MS);
    int64_t v = 0, when = 0;
    gort_case cases[] = {
        { .c = quit, .dir = GORT_RECV, .elem = &v },
        { .c = tick, .dir = GORT_RECV, .elem = &when },
    };
    int i = gort_select(cases, 2, true);
    printf("watcher: %s\n", i == 0 ? "quit" : "tick");
    gort_chan_free(tick);
    gort_waitgroup_done(&watcher_done);
}

/* Send a request and wait for its answer for at most 50 ms. */
static void ask(int64_t id, int64_t delay_ms, int64_t question)
{
    struct request rq = {
        .id = id, .delay_ms = delay_ms, .question = question,
        .reply = gort_chan_new(&gort_type_int64, 1),
    };
    gort_chan_send(requests, &rq);
    if (id == 1) {
        gort_sleep(10 * MS);        /* the watcher parks, the server sleeps */
        story_ready();
    }
    int64_t answer = 0, when = 0;
    struct hchan *deadline = gort_after(50 * MS);
    gort_case cases[] = {
        { .c = rq.reply, .dir = GORT_RECV, .elem = &answer },
        { .c = deadline, .dir = GORT_RECV, .elem = &when },
    };
    if (gort_select(cases, 2, true) == 0)
        printf("request %lld: answer %lld\n", (long long)id, (long long)answer);
    else
        printf("request %lld: timed out after 50 ms\n", (long long)id);
    gort_chan_free(deadline);
    /* rq.reply is not freed: the server may still answer into it. */
}

static int run(int argc, char **argv)
{
    (void)argc; (void)argv;
    requests = gort_chan_new(&request_type, 0);
    quit = gort_chan_new(&gort_type_int64, 0);
    gort_waitgroup_add(&watcher_done, 1);
    gort_go(watcher, NULL);
    gort_go(server, NULL);

    ask(1, 200, 3);
    ask(2, 5, 2);

    gort_chan_close(quit);
    gort_waitgroup_wait(&watcher_done);
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(run, argc, argv);
}
