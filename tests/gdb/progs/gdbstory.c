/*
 * gdbstory.c: one program holding every situation the gdb extension must
 * show, frozen at story_ready() for tests/gdb (live, gcore, kernel core).
 *
 * Goroutines (ids in start order after goroutine 1, main):
 *   2, 3   recv_worker      [chan receive] on `unbuf` (through wait_for_value)
 *   4, 5   send_worker      [chan send] on `full` (cap 2, holds 100, 200)
 *   6      nil_receiver     [chan receive (nil chan)]
 *   7      nil_sender       [chan send (nil chan)]
 *   8      selector         [select] on `selch` and `unbuf`
 *   9      mutex_waiter     [mutex] on `mu`, which goroutine 1 holds
 *   10     wg_waiter        [waitgroup] on `wg` (counter 1)
 *   11     sleeper          [sleep], an hour
 *   12, 13 lock_a / lock_b  [mutex], each holding the lock the other wants:
 *                           a deadlock cycle for `gort waitgraph`
 *   14     the closure      `counter` (step 3, label "tick"), [chan receive]
 *                           on `blockch`
 *   15     deferrer         [chan receive] on `deferch`, with three pending
 *                           defers, in run order: the closure `farewell`
 *                           (code 7, word "bye"), note_done(&note_b),
 *                           note_done(&note_a)
 *   16     both_ways        [select] with a send and a receive case on the
 *                           unbuffered `bothch`: it sits on both of its
 *                           queues (no goroutine can pair with itself)
 * Data: `ages` map[gort_string]int64_t {"alice": 31, "bob": 42,
 * "carol": 27} ("dave" deleted); `growing` map[int64_t]int64_t caught
 * mid-growth (oldbuckets set, not all evacuated) holding k -> k*k for
 * k in 0..n-1 except the multiples of 7, n recorded in growing_n;
 * `closedch` (cap 3) holds "x", "y" and is closed; `boxed_point` an eface
 * holding struct point {3, 4}; `shape` a Shape iface holding a circle;
 * `greeting` a gort_string.
 *
 * Run with argument "abort" to abort() at the story point (kernel core).
 */
#include <gort.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "runtime.h"

struct point { int32_t x, y; };
struct circle { double r; };

static double circle_area(struct circle *c) { return 3.0 * c->r * c->r; }

GORT_DEFINE_TYPE(point_type, struct point);
GORT_DEFINE_TYPE(circle_type, struct circle, GORT_METHOD("Area", circle_area));
GORT_DEFINE_INTERFACE(shape_type, "Shape", "Area");
GORT_CLOSURE(counter, int64_t step; gort_string label;);
GORT_CLOSURE(farewell, int64_t code; gort_string word;);

struct hchan *unbuf, *full, *closedch, *selch, *blockch, *deferch, *bothch;
int64_t note_a = 1, note_b = 2;
gort_mutex mu = GORT_MUTEX_INIT, mu_a = GORT_MUTEX_INIT, mu_b = GORT_MUTEX_INIT;
gort_waitgroup wg = GORT_WAITGROUP_INIT;
struct hmap *ages, *growing;
int64_t growing_n;
struct eface boxed_point, nil_any;
struct iface shape;
struct counter *closure;
struct funcval *closure_fv;
gort_string greeting;

__attribute__((noinline)) void story_ready(void) { __asm__ volatile("" ::: "memory"); }

__attribute__((noinline)) static int64_t wait_for_value(struct hchan *c, int id)
{
    int64_t got = -1;
    int64_t expect = 1000 + id;
    gort_chan_recv(c, &got);
    return got + expect;
}

static void recv_worker(void *arg) { wait_for_value(unbuf, (int)(intptr_t)arg); }

static void send_worker(void *arg)
{
    int64_t v = 300 + (intptr_t)arg;
    gort_chan_send(full, &v);
}

static void nil_receiver(void *arg) { int64_t v; (void)arg; gort_chan_recv(NULL, &v); }
static void nil_sender(void *arg) { int64_t v = 1; (void)arg; gort_chan_send(NULL, &v); }

static void selector(void *arg)
{
    int64_t a, b;
    (void)arg;
    gort_case cases[2] = { { selch, GORT_RECV, &a, false }, { unbuf, GORT_RECV, &b, false } };
    gort_select(cases, 2, true);
}

static void mutex_waiter(void *arg) { (void)arg; gort_mutex_lock(&mu); gort_mutex_unlock(&mu); }
static void wg_waiter(void *arg) { (void)arg; gort_waitgroup_wait(&wg); }
static void sleeper(void *arg) { (void)arg; gort_sleep(3600LL * 1000000000LL); }

static void lock_a(void *arg)
{
    (void)arg;
    gort_mutex_lock(&mu_a);
    gort_sleep(20 * 1000000);
    gort_mutex_lock(&mu_b);
}

static void lock_b(void *arg)
{
    (void)arg;
    gort_mutex_lock(&mu_b);
    gort_sleep(20 * 1000000);
    gort_mutex_lock(&mu_a);
}

static void counter_fn(struct counter *c)
{
    int64_t v;
    int64_t ticks = c->step * 2;
    gort_chan_recv(blockch, &v);
    (void)ticks;
}

static void note_done(void *arg) { (void)arg; }
static void farewell_fn(struct farewell *f) { (void)f; }

static void deferrer(void *arg)
{
    int64_t v;
    (void)arg;
    gort_defer(note_done, &note_a);
    gort_defer(note_done, &note_b);
    struct farewell *f = gort_closure_new(farewell, farewell_fn);
    f->code = 7;
    f->word = GORT_STR("bye");
    gort_defer_func(&f->fv);
    gort_chan_recv(deferch, &v);
}

static void both_ways(void *arg)
{
    int64_t in, out = 5;
    (void)arg;
    gort_case cases[2] = { { bothch, GORT_RECV, &in, false }, { bothch, GORT_SEND, &out, false } };
    gort_select(cases, 2, true);
}

/* Every goroutine but the caller parked (bounded: 5 s). */
static void wait_parked(void)
{
    for (int tries = 0; tries < 500; tries++) {
        int others = 0, parked = 0;
        uintptr_t n = gort_allglen;
        for (uintptr_t i = 0; i < n; i++) {
            struct g *gp = gort_allgs[i];
            if (gp == NULL || gp->goid == gort_goid() || gp->atomicstatus == Gdead)
                continue;
            others++;
            /* lock_a and lock_b sleep before their second lock: wait for
             * that; the sleeper sleeps for good. */
            if (gp->atomicstatus == Gwaiting &&
                (gp->waitreason != waitReasonSleep || gp->startfn == sleeper))
                parked++;
        }
        if (others == 15 && parked == others)
            return;
        gort_sleep(10 * 1000000);
    }
    fprintf(stderr, "gdbstory: goroutines did not all park\n");
    exit(2);
}

static void make_maps(void)
{
    ages = gort_map_new(&gort_type_string, &gort_type_int64, 0);
    const char *names[] = { "alice", "bob", "carol", "dave" };
    int64_t years[] = { 31, 42, 27, 55 };
    for (int i = 0; i < 4; i++) {
        gort_string k = gort_string_from(names[i]);
        gort_map_set(ages, &k, &years[i]);
    }
    gort_string dave = GORT_STR("dave");
    gort_map_delete(ages, &dave);

    growing = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t k = 0; k < 100000; k++) {
        int64_t v = k * k;
        gort_map_set(growing, &k, &v);
        if (k % 7 == 0)
            gort_map_delete(growing, &k);
        if (growing->oldbuckets != NULL && growing->B >= 6) {
            growing_n = k + 1;
            return;
        }
    }
    fprintf(stderr, "gdbstory: the map never grew\n");
    exit(2);
}

static int story_main(int argc, char **argv)
{
    unbuf = gort_chan_new(&gort_type_int64, 0);
    full = gort_chan_new(&gort_type_int64, 2);
    selch = gort_chan_new(&gort_type_int64, 0);
    blockch = gort_chan_new(&gort_type_int64, 0);
    deferch = gort_chan_new(&gort_type_int64, 0);
    bothch = gort_chan_new(&gort_type_int64, 0);
    closedch = gort_chan_new(&gort_type_string, 3);
    int64_t v = 100;
    gort_chan_send(full, &v);
    v = 200;
    gort_chan_send(full, &v);
    gort_string x = GORT_STR("x"), y = GORT_STR("y");
    gort_chan_send(closedch, &x);
    gort_chan_send(closedch, &y);
    gort_chan_close(closedch);
    gort_mutex_lock(&mu);
    gort_waitgroup_add(&wg, 1);

    gort_go(recv_worker, (void *)1);
    gort_go(recv_worker, (void *)2);
    gort_go(send_worker, (void *)1);
    gort_go(send_worker, (void *)2);
    gort_go(nil_receiver, NULL);
    gort_go(nil_sender, NULL);
    gort_go(selector, NULL);
    gort_go(mutex_waiter, NULL);
    gort_go(wg_waiter, NULL);
    gort_go(sleeper, NULL);
    gort_go(lock_a, NULL);
    gort_go(lock_b, NULL);
    closure = gort_closure_new(counter, counter_fn);
    closure->step = 3;
    closure->label = GORT_STR("tick");
    closure_fv = &closure->fv;
    gort_go_func(&closure->fv);
    gort_go(deferrer, NULL);
    gort_go(both_ways, NULL);

    make_maps();
    struct point p = { 3, 4 };
    boxed_point = gort_box(&point_type, &p);
    struct circle c = { 2.0 };
    shape = gort_to_iface(&shape_type, gort_box(&circle_type, &c));
    greeting = GORT_STR("hello, gdb");

    wait_parked();
    story_ready();
    if (argc > 1 && strcmp(argv[1], "abort") == 0)
        abort();
    printf("gdbstory: done\n");
    return 0;
}

int main(int argc, char **argv) { return gort_main(story_main, argc, argv); }
