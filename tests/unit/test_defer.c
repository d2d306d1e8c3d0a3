/*
 * test_defer.c: gort_defer / gort_defer_func (runtime/defer.c): reverse
 * order when the goroutine's function returns, closures, a defer that
 * defers, goroutine 1's defers run before gort_main returns, and defers
 * run by gort_panic before its report.
 */
#include "gort_test.h"
#include "proc_crash.h"
#include "runtime.h"

#include <stdatomic.h>

static char seq[32];
static atomic_int seqlen;
static atomic_int defer_done;

static void note(void *arg)
{
    seq[atomic_fetch_add(&seqlen, 1)] = (char)(intptr_t)arg;
}

static void finished(void *arg)
{
    (void)arg;
    atomic_store(&defer_done, 1);
}

static void three_defers(void *arg)
{
    (void)arg;
    gort_defer(finished, NULL);          /* runs last */
    gort_defer(note, (void *)'a');
    gort_defer(note, (void *)'b');
    gort_defer(note, (void *)'c');
    gt_assert(getg()->defers != NULL && getg()->defers->arg == (void *)'c');
    note((void *)'0');
}

static int order_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(three_defers, NULL);
    while (!atomic_load(&defer_done))
        gort_yield();
    seq[atomic_load(&seqlen)] = '\0';
    gt_assert(strcmp(seq, "0cba") == 0);
    return 0;
}

Test(defer, reverse_order_on_return, .timeout = 10)
{
    gt_run(order_main);
}

struct cl {
    struct funcval fv;
    int value;
};
static atomic_int cl_seen;

static void cl_fn(struct funcval *f)
{
    atomic_store(&cl_seen, ((struct cl *)f)->value);
}

static void nested_inner(void *arg)
{
    (void)arg;
    note((void *)'n');
}

static void nested_outer(void *arg)
{
    (void)arg;
    note((void *)'o');
    gort_defer(nested_inner, NULL);      /* a defer that defers: runs next */
}

static void with_closure(void *arg)
{
    static struct cl c = { { (void (*)(void))cl_fn }, 42 };
    (void)arg;
    gort_defer(finished, NULL);
    gort_defer(nested_outer, NULL);
    gort_defer_func(&c.fv);
}

static int closure_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_go(with_closure, NULL);
    while (!atomic_load(&defer_done))
        gort_yield();
    gt_assert_eq(atomic_load(&cl_seen), 42);
    seq[atomic_load(&seqlen)] = '\0';
    gt_assert(strcmp(seq, "on") == 0);
    return 0;
}

Test(defer, closures_and_nested, .timeout = 10)
{
    gt_run(closure_main);
}

/* Many defers in a loop: records are reused, all run. */
static atomic_int loop_count;

static void count_one(void *arg)
{
    (void)arg;
    atomic_fetch_add(&loop_count, 1);
}

static void loop_defers(void *arg)
{
    (void)arg;
    gort_defer(finished, NULL);
    for (int i = 0; i < 1000; i++)
        gort_defer(count_one, NULL);
}

static int loop_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    for (int r = 0; r < 3; r++) {
        atomic_store(&defer_done, 0);
        gort_go(loop_defers, NULL);
        while (!atomic_load(&defer_done))
            gort_yield();
    }
    gt_assert_eq(atomic_load(&loop_count), 3000);
    return 0;
}

Test(defer, many_defers, .timeout = 10)
{
    gt_run(loop_main);
}

/* Goroutine 1's defers run before gort_main returns.  The slow one sleeps
 * first: were they run after gort_main was told main_fn returned, the
 * test's thread would read the flag before it is set. */
static atomic_int main_deferred;

static void slow_mark(void *arg)
{
    gort_sleep(20 * 1000000ll);
    atomic_store(&main_deferred, (int)(intptr_t)arg);
}

static void mark_first(void *arg)
{
    (void)arg;
    /* registered last, so runs first: the slow one has not run yet */
    gt_assert_eq(atomic_load(&main_deferred), 0);
}

static int main_defers_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_defer(slow_mark, (void *)7);
    gort_defer(mark_first, NULL);
    return 0;
}

Test(defer, main_defers_run_before_gort_main_returns, .timeout = 10)
{
    gt_run(main_defers_main);
    cr_assert_eq(atomic_load(&main_deferred), 7);
}

/* On panic: the defers run before the report. */
static void say(void *arg)
{
    fprintf(stderr, "%s\n", (const char *)arg);
}

static int panic_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_defer(say, "deferred 1");
    gort_defer(say, "deferred 2");
    gort_panic("after defers");
}

Test(defer, run_before_panic_report, .timeout = 20)
{
    static struct crash c;
    crash_run(&c, panic_main, NULL, 15);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    const char *want = "deferred 2\ndeferred 1\npanic: after defers\n\ngoroutine 1 [running]:\n";
    cr_assert(strncmp(c.out, want, strlen(want)) == 0, "output:\n%s", c.out);
}

static int nulldefer_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    gort_defer(NULL, NULL);
    return 0;
}

Test(defer, null_defer_is_fatal, .timeout = 20)
{
    static struct crash c;
    crash_run(&c, nulldefer_main, NULL, 15);
    cr_assert(crash_aborted(&c), "status %d, output:\n%s", c.status, c.out);
    cr_assert(strstr(c.out, "fatal error: gort_defer: NULL function\n") == c.out, "output:\n%s", c.out);
}
