/*
 * cparked.c: the gort program of issue 7's debugger benchmarks, the
 * counterpart of bench/gdb/goparked.go: N goroutines parked on a channel
 * receive and one map of M entries (the global `bigmap`, int64 keys and
 * values 0..M-1), then "ready" on stdout and a long sleep so gdb can attach
 * or gcore it.
 *
 *     cparked NGOROUTINES NENTRIES
 */
#include <gort.h>
#include <stdio.h>
#include <stdlib.h>

struct hmap *bigmap;
static struct hchan *ch;
static gort_waitgroup started = GORT_WAITGROUP_INIT;

static void parked(void *arg)
{
    int64_t v;
    (void)arg;
    gort_waitgroup_done(&started);
    gort_chan_recv(ch, &v);
}

static long count_arg(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > 10000000) {
        fprintf(stderr, "cparked: '%s' is not a count\n", s);
        exit(2);
    }
    return v;
}

static int body(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cparked NGOROUTINES NENTRIES\n");
        return 2;
    }
    long n = count_arg(argv[1]), m = count_arg(argv[2]);
    bigmap = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    for (int64_t i = 0; i < m; i++)
        gort_map_set(bigmap, &i, &i);
    ch = gort_chan_new(&gort_type_int64, 0);
    gort_waitgroup_add(&started, (int)n);
    for (long i = 0; i < n; i++)
        gort_go(parked, NULL);
    gort_waitgroup_wait(&started);
    printf("ready\n");
    fflush(stdout);
    gort_sleep(3600LL * 1000000000LL);
    gort_chan_close(ch);
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(body, argc, argv);
}
