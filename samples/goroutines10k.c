/*
 * goroutines10k.c: many parked goroutines, for the debugger's listing and
 * backtrace speed (tests/gdb, bench/).  Written against API.md only.
 *
 * `goroutines10k [N] [abort]` starts N goroutines (default 10,000), each
 * of which goes down three frames (level3 -> level2 -> level1) and parks
 * receiving from one unbuffered channel that nobody sends on.  When all
 * have started, goroutine 1 calls story_ready() (a breakpoint target) and
 * then either exits (they are abandoned, as in Go) or, with "abort",
 * aborts so a core file is left.
 *
 * What a person should see: `info goroutines` lists N+1 goroutines, N of
 * them `waiting [chan receive]` in level1 at goroutines10k.c;
 * `info goroutines -g` folds them into one group of N.
 */
#include <gort.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct hchan *never;
static gort_waitgroup started = GORT_WAITGROUP_INIT;

__attribute__((noinline)) void story_ready(void) { __asm__ volatile("" ::: "memory"); }

__attribute__((noinline)) static void level1(int64_t id)
{
    int64_t v = id;
    gort_waitgroup_done(&started);
    gort_chan_recv(never, &v);
}
__attribute__((noinline)) static void level2(int64_t id) { level1(id); }
__attribute__((noinline)) static void level3(void *arg) { level2((int64_t)(intptr_t)arg); }

static int many_main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
    if (n <= 0 || n > 10000000) {
        fprintf(stderr, "usage: goroutines10k [N (1..10000000)] [abort]\n");
        return 2;
    }
    never = gort_chan_new(&gort_type_int64, 0);
    gort_waitgroup_add(&started, (int)n);
    for (long i = 0; i < n; i++)
        gort_go(level3, (void *)(intptr_t)i);
    gort_waitgroup_wait(&started);
    gort_sleep(50 * 1000 * 1000);     /* the last ones reach their receive */
    story_ready();
    if (argc > 2 && strcmp(argv[2], "abort") == 0)
        abort();
    printf("%ld goroutines parked\n", n);
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(many_main, argc, argv);
}
