/*
 * test_panic.c: the failure reports (runtime/panic.c, traceback.c,
 * signal.c) as a person reads them: gort_panic's text and goroutine dump,
 * the stack-overflow report, an unexpected SIGSEGV.  Each scenario runs in
 * a child process (proc_crash.h) that must die of SIGABRT.
 */
#include "gort_test.h"
#include "proc_crash.h"
#include "runtime.h"

#include <stdatomic.h>

static atomic_int sleeper_started;

static void sleeper(void *arg)
{
    (void)arg;
    atomic_store(&sleeper_started, 1);
    gort_sleep(60 * 1000000000ll);
    atomic_store(&sleeper_started, 2);   /* not a tail call: keeps this frame */
}

static __attribute__((noinline)) void explode(int code)
{
    gort_panic("boom %d", code);
}

static void panicker(void *arg)
{
    (void)arg;
    explode(42);
}

static int panic_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(sleeper, NULL);              /* goroutine 2 */
    while (!atomic_load(&sleeper_started))
        gort_yield();
    gort_go(panicker, NULL);             /* goroutine 3 */
    gort_sleep(60 * 1000000000ll);
    return 0;
}

Test(panic, report_text, .timeout = 30)
{
    static struct crash c;
    crash_run(&c, panic_main, NULL, 25);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    const char *want = "panic: boom 42\n\ngoroutine 3 [running]:\ngort_panic(...)\n";
    cr_assert(strncmp(c.out, want, strlen(want)) == 0, "output:\n%s", c.out);
    /* the panicking goroutine's frames, innermost first, then its creator */
    const char *e = strstr(c.out, "\nexplode(...)\n\t");
    const char *p = strstr(c.out, "\npanicker(...)\n\t");
    const char *cr = strstr(c.out, "\ncreated by panic_main in goroutine 1\n\t");
    cr_assert(e && p && cr && e < p && p < cr, "output:\n%s", c.out);
    /* file:line from addr2line */
    cr_assert(strstr(c.out, "test_panic.c:") != NULL, "output:\n%s", c.out);
    /* the others, with their wait reasons */
    cr_assert(strstr(c.out, "\n\ngoroutine 1 [sleep]:\ngort_sleep(...)\n") != NULL, "output:\n%s", c.out);
    cr_assert(strstr(c.out, "\n\ngoroutine 2 [sleep]:\ngort_sleep(...)\n") != NULL, "output:\n%s", c.out);
    cr_assert(strstr(c.out, "\nsleeper(...)\n") != NULL, "output:\n%s", c.out);
    /* scheduler internals stay hidden */
    cr_assert(strstr(c.out, "gopark") == NULL, "output:\n%s", c.out);
}

static volatile int recurse_limit = 1 << 30;   /* never reached: the guard page is */

static __attribute__((noinline)) int recurse(int depth)
{
    volatile char pad[256];
    pad[0] = (char)depth;
    if (depth >= recurse_limit)
        return pad[0];
    return recurse(depth + 1) + pad[0];
}

static void overflower(void *arg)
{
    (void)arg;
    recurse(0);
}

static int overflow_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(overflower, NULL);
    gort_sleep(60 * 1000000000ll);
    return 0;
}

static void check_overflow_report(const char *env)
{
    static struct crash c;
    crash_run_env(&c, overflow_main, NULL, 25, env);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    cr_assert(strstr(c.out, "runtime: goroutine stack exceeds ") == c.out, "output:\n%s", c.out);
    const char *g2 = strstr(c.out, "\nfatal error: stack overflow\n\ngoroutine 2 [running]:\n");
    cr_assert(g2 != NULL, "output:\n%.2000s", c.out);
    /* The first frame is recurse, or under TSan its instrumentation (in
     * libtsan: "?()") and then recurse. */
    const char *r = strstr(g2, "\nrecurse(...)\n");
    cr_assert(r != NULL && r - g2 < 200, "output:\n%.2000s", c.out);
    cr_assert(strstr(c.out, "...additional frames elided...\n") != NULL, "output:\n%.4000s", c.out);
    cr_assert(strstr(c.out, "\ngoroutine 1 [sleep]:\n") != NULL, "output:\n%.4000s", c.out);
}

/* Both kinds of guard page (stack.c): mprotect, and the kernel's guard
 * regions (madvise, Linux 6.13+). */
Test(panic, stack_overflow_report, .timeout = 30)
{
    check_overflow_report("GORTSTACKGUARD=mprotect");
}

Test(panic, stack_overflow_report_guard_region, .timeout = 30)
{
    check_overflow_report("GORTSTACKGUARD=madvise");
}

/* GORTSTACKSIZE really sets the limit: the overflow comes at 64 KiB and
 * the report says so, with a stack range of exactly that size. */
Test(panic, stack_overflow_at_gortstacksize, .timeout = 30)
{
    static struct crash c;
    crash_run_env(&c, overflow_main, NULL, 25, "GORTSTACKSIZE=64k");
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    const char *want = "runtime: goroutine stack exceeds 65536-byte limit\n";
    cr_assert(strncmp(c.out, want, strlen(want)) == 0, "output:\n%.2000s", c.out);
    unsigned long sp, lo, hi;
    cr_assert(sscanf(c.out + strlen(want), "runtime: sp=%lx stack=[%lx, %lx]", &sp, &lo, &hi) == 3,
              "output:\n%.2000s", c.out);
    cr_assert_eq(hi - lo, 65536ul);
    cr_assert(sp < lo + 4096 && sp >= lo - 65536, "sp %#lx, stack [%#lx, %#lx]", sp, lo, hi);
    cr_assert(strstr(c.out, "\nfatal error: stack overflow\n\ngoroutine 2 [running]:\n") != NULL,
              "output:\n%.2000s", c.out);
}

static void nilderef(void *arg)
{
    /* Not NULL itself: UBSan would catch a store through NULL first. */
    *(volatile int *)((char *)arg + 8) = 1;
}

static int segv_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(nilderef, NULL);
    gort_sleep(60 * 1000000000ll);
    return 0;
}

Test(panic, sigsegv_report, .timeout = 30)
{
    static struct crash c;
    crash_run(&c, segv_main, NULL, 25);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    cr_assert(strstr(c.out, "fatal error: unexpected signal\n[signal SIGSEGV: segmentation violation code=")
              == c.out, "output:\n%s", c.out);
    cr_assert(strstr(c.out, " addr=0x8 pc=0x") != NULL, "output:\n%s", c.out);
    cr_assert(strstr(c.out, "\n\ngoroutine 2 [running]:\nnilderef(...)\n") != NULL, "output:\n%s", c.out);
}

static int fatal_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_fatal("invariant %s broken", "x");
}

Test(panic, fatal_text, .timeout = 30)
{
    static struct crash c;
    crash_run(&c, fatal_main, NULL, 25);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    const char *want = "fatal error: invariant x broken\n\ngoroutine 1 [running]:\ngort_fatal(...)\n";
    cr_assert(strncmp(c.out, want, strlen(want)) == 0, "output:\n%s", c.out);
    cr_assert(strstr(c.out, "\nfatal_main(...)\n") != NULL, "output:\n%s", c.out);
}
