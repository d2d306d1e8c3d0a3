/*
 * leaky.c: a server that leaks goroutines waiting on a channel nobody reads.
 *
 * The story.  Each request is handled by asking a backend for an answer in
 * a goroutine of its own, and waiting for that answer or a timeout,
 * whichever comes first (a select on the reply channel and gort_after).
 * The backend is usually slower than the timeout, so most requests time out: the
 * handler returns, and the backend goroutine is left blocked forever
 * sending its reply on an unbuffered channel that nobody will ever read.
 * After NREQ requests, the server reports how many goroutines exist and
 * calls story_ready(); the count keeps growing with every request.
 *
 * What a person should see:
 *   - `info goroutines -g` (grouped): about NREQ goroutines with one
 *     identical stack, [chan send] in fetch_backend at leaky.c, created by
 *     handle_request.
 *   - `p *req` in one of them: the request it was answering.
 *   - `gort chans`: many unbuffered channels, each with one sender and no
 *     receiver.
 *   - `gort-core leaky core goroutines`: the same; nothing is deadlocked,
 *     the leak is the story.
 */
#include <gort.h>
#include <stdio.h>
#include <stdlib.h>

#define NREQ_DEFAULT 200

struct request {
    int64_t       id;
    struct hchan *reply;     /* unbuffered: the bug (a buffer of 1 fixes it) */
};

__attribute__((noinline)) void story_ready(void) { __asm__ volatile(""); }

static void fetch_backend(void *arg)
{
    struct request *req = arg;
    /* one request in four hits the backend's cache (0.1 ms); the rest take 2 ms */
    gort_sleep(req->id % 4 == 0 ? 100 * 1000 : 2 * 1000 * 1000);
    int64_t answer = req->id * 10;
    gort_chan_send(req->reply, &answer);       /* <- blocks forever after a timeout */
}

static bool handle_request(struct request *req)
{
    gort_go(fetch_backend, req);
    int64_t answer, now;
    gort_case cases[2] = {
        { .c = req->reply, .dir = GORT_RECV, .elem = &answer },
        { .c = gort_after(500 * 1000), .dir = GORT_RECV, .elem = &now },  /* 0.5 ms */
    };
    return gort_select(cases, 2, true) == 0;
}

static int server_main(int argc, char **argv)
{
    int nreq = argc > 1 ? atoi(argv[1]) : NREQ_DEFAULT;
    int answered = 0;
    for (int i = 0; i < nreq; i++) {
        struct request *req = malloc(sizeof *req);   /* owned by the leaked goroutine */
        req->id = i;
        req->reply = gort_chan_new(&gort_type_int64, 0);
        if (handle_request(req))
            answered++;
    }
    printf("%d requests, %d answered in time, %d goroutines alive\n",
           nreq, answered, gort_numgoroutine());
    fflush(stdout);
    /* let the slow backends finish their sleeps and block on their sends */
    gort_sleep(20 * 1000 * 1000);
    story_ready();
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(server_main, argc, argv);
}
