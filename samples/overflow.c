/*
 * overflow.c: a goroutine overflows its stack on purpose.
 *
 * Goroutine 1 starts `descend`, which calls itself with a 1 KiB frame and
 * no end: after about 250 calls it runs off the bottom of its 256 KiB
 * stack (GORTSTACKSIZE) onto the guard page below it.  Goroutine 1 is
 * asleep meanwhile.
 *
 * What a person should see (on stderr), then an abort with a core file:
 *
 *     runtime: goroutine stack exceeds 262144-byte limit
 *     runtime: sp=0x7f... stack=[0x7f..., 0x7f...]
 *     fatal error: stack overflow
 *
 *     goroutine 2 [running]:
 *     descend(...)
 *     	.../samples/overflow.c:N +0x..       (the line of `frame[0] = ...`)
 *     descend(...)
 *     	.../samples/overflow.c:M +0x..       (the recursive call)
 *     ...                                  (100 frames in all)
 *     ...additional frames elided...
 *     created by overflow_main in goroutine 1
 *     	.../samples/overflow.c:L +0x..       (the gort_go line)
 *
 *     goroutine 1 [sleep]:
 *     gort_sleep(...)
 *     	.../runtime/timer.c:... +0x..
 *     overflow_main(...)
 *     	.../samples/overflow.c:L+1 +0x..     (the gort_sleep line)
 *
 * never a bare "Segmentation fault".  On the core (gdb ./overflow core):
 *   - `info goroutines`: "* 2 running  descend at overflow.c:N" (the
 *     line of the function's first store to its frame) and 1 [sleep];
 *   - `bt` in the crashed thread: abort() from gort_die(), the runtime's
 *     SIGSEGV `handler` on its signal stack, `<signal handler called>`,
 *     then descend (depth=...) about 250 times; `bt -3` ends in
 *     start_descent and the goroutine's entry;
 *   - gort-core ./overflow core goroutines: the same two goroutines.
 * There is no live story: the process is gone once the report is out
 * (tests/samples/test_stories.py checks the report and the core).
 */
#include <gort.h>
#include <stdio.h>

static volatile int depth_limit = 1 << 30;    /* never reached */

static int descend(int depth)
{
    volatile char frame[1024];                 /* 1 KiB per call */
    frame[0] = (char)depth;
    if (depth >= depth_limit)
        return frame[0];
    return descend(depth + 1) + frame[0];
}

static void start_descent(void *arg)
{
    (void)arg;
    printf("descending...\n");
    fflush(stdout);
    descend(0);
}

static int overflow_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    gort_go(start_descent, NULL);
    gort_sleep(10LL * 1000 * 1000 * 1000);     /* the overflow ends the process first */
    printf("not reached: the stack overflow should have ended the process\n");
    return 1;
}

int main(int argc, char **argv)
{
    return gort_main(overflow_main, argc, argv);
}
