/*
 * floors.c: the floors and OS-thread baselines of the benchmark table
 * (../shared/WORKLOADS.md, "Floors and OS-thread baselines" and the C
 * equivalents of the interface/closure rows).
 *
 * A floor is the least a mechanism can cost on this machine: a goroutine
 * switch cannot beat a bare register switch (ctxswitch_asm*), a method call
 * through an itab cannot beat `itab->fun[0](data, s)` written by hand.  The
 * OS-thread baselines (condvar ping-pong, pthread mutex, pthread_create)
 * show what goroutines are meant to improve on.  The table puts each floor
 * in the "C" column of the row of the same name, or in a row of its own.
 *
 * Register switches (bench/c/floors_amd64.S, x86-64 only): a second
 * context on a malloc'd stack runs `count++; switch back` forever; main
 * switches to it N times.  One round trip is two switches.  The second
 * context's stack is first laid out by hand as if it had been switched
 * away from just before entering co_loop, so the switch function needs no
 * special first-entry path.
 *
 * [p1] rows: when GOMAXPROCS=1 is in the environment (the harness sets it
 * for a p1 row) the whole process is pinned to one CPU, which is what
 * WORKLOADS.md means by [p1] for threads.  It names CPU 0; we take the
 * first CPU the process may use, which is CPU 0 run by hand and the CPU of
 * the rep under bench/run.py (which pins every implementation's P=1 runs
 * to the same CPUs: see ONE_THREAD there).
 *
 * ctxswitch_pcl is built only when libpcl's header is present (HAVE_PCL,
 * set by bench/build.mk); without it the row is absent from -list and the
 * harness reports it as unavailable.
 */
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>

#ifdef HAVE_PCL
#include <pcl.h>
#endif

#include "bench.h"

/* ---- register switches -------------------------------------------- */

#if defined(__x86_64__)
typedef void (*swapfn)(void **save, void *load);
void floor_swap(void **save, void *load);
void floor_swap_jmp(void **save, void *load);
void floor_swap_fpcsr(void **save, void *load);

static swapfn   co_swap;
static void    *main_sp, *co_sp;
static volatile int64_t co_count;

static void co_loop(void)
{
    for (;;) {
        co_count++;
        co_swap(&co_sp, main_sp);
    }
}

enum { CO_STACK = 64 * 1024 };

/* Lay out a fresh stack as floor_swap* would leave it; returns its sp. */
static void *co_frame(bool fpcsr)
{
    char *stk = aligned_alloc(16, CO_STACK);
    if (!stk) {
        fprintf(stderr, "floors: out of memory\n");
        exit(1);
    }
    uintptr_t *top = (uintptr_t *)(stk + CO_STACK);
    uintptr_t *sp = top;
    *--sp = 0;                          /* co_loop's own return slot: never used;
                                           makes rsp % 16 == 8 at its entry */
    *--sp = (uintptr_t)co_loop;         /* where the first switch "returns" */
    for (int r = 0; r < 6; r++)
        *--sp = 0;                      /* rbp rbx r12 r13 r14 r15 */
    if (fpcsr) {
        *--sp = 0;
        uint32_t mxcsr = 0x1f80;        /* the ABI's initial values */
        uint16_t fpucw = 0x037f;
        memcpy(sp, &mxcsr, 4);
        memcpy((char *)sp + 4, &fpucw, 2);
    }
    return sp;
}

static void ctxswitch(const char *name, swapfn fn, bool fpcsr)
{
    int64_t warm = bench_scaled(1000000), n = bench_scaled(1000000);
    co_swap = fn;
    co_sp = co_frame(fpcsr);
    co_count = 0;
    for (int64_t i = 0; i < warm; i++)
        fn(&main_sp, co_sp);
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++)
        fn(&main_sp, co_sp);
    int64_t t1 = bench_now();
    if (co_count != warm + n)
        bench_fail(name, "count %lld, want %lld", (long long)co_count, (long long)(warm + n));
    bench_emit(name, (double)(t1 - t0) / (double)n, "ns/roundtrip");
}

static void w_asm(void)       { ctxswitch("ctxswitch_asm", floor_swap, false); }
static void w_asm_jmp(void)   { ctxswitch("ctxswitch_asm_jmp", floor_swap_jmp, false); }
static void w_asm_fpcsr(void) { ctxswitch("ctxswitch_asm_fpcsr", floor_swap_fpcsr, true); }
#endif

/* ---- ucontext ------------------------------------------------------ */

static ucontext_t uc_main, uc_co;
static volatile int64_t uc_count;

static void uc_loop(void)
{
    for (;;) {
        uc_count++;
        swapcontext(&uc_co, &uc_main);
    }
}

static void w_ucontext(void)
{
    int64_t warm = bench_scaled(100000), n = bench_scaled(1000000);
    static char stack[64 * 1024] __attribute__((aligned(16)));
    getcontext(&uc_co);
    uc_co.uc_stack.ss_sp = stack;
    uc_co.uc_stack.ss_size = sizeof stack;
    uc_co.uc_link = NULL;
    makecontext(&uc_co, uc_loop, 0);
    for (int64_t i = 0; i < warm; i++)
        swapcontext(&uc_main, &uc_co);
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++)
        swapcontext(&uc_main, &uc_co);
    int64_t t1 = bench_now();
    if (uc_count != warm + n)
        bench_fail("ctxswitch_ucontext", "count %lld, want %lld",
                   (long long)uc_count, (long long)(warm + n));
    bench_emit("ctxswitch_ucontext", (double)(t1 - t0) / (double)n, "ns/roundtrip");
}

/* ---- libpcl -------------------------------------------------------- */

#ifdef HAVE_PCL
static volatile int64_t pcl_count;

static void pcl_loop(void *arg)
{
    (void)arg;
    for (;;) {
        pcl_count++;
        co_resume();
    }
}

static void w_pcl(void)
{
    int64_t warm = bench_scaled(100000), n = bench_scaled(1000000);
    co_thread_init();
    coroutine_t co = co_create(pcl_loop, NULL, NULL, 64 * 1024);
    if (!co)
        bench_fail("ctxswitch_pcl", "co_create failed");
    for (int64_t i = 0; i < warm; i++)
        co_call(co);
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++)
        co_call(co);
    int64_t t1 = bench_now();
    if (pcl_count != warm + n)
        bench_fail("ctxswitch_pcl", "count %lld, want %lld",
                   (long long)pcl_count, (long long)(warm + n));
    bench_emit("ctxswitch_pcl", (double)(t1 - t0) / (double)n, "ns/roundtrip");
}
#endif

/* ---- OS threads ---------------------------------------------------- */

static void check_pthread(const char *name, int err, const char *what)
{
    if (err) {
        fprintf(stderr, "%s: %s: %s\n", name, what, strerror(err));
        exit(1);
    }
}

static pthread_mutex_t pp_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  pp_cv[2] = { PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER };
static int     pp_turn;          /* 1: the partner's move, 0: main's */
static int64_t pp_n, pp_partner_trips;

static void *pp_partner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pp_mu);
    for (int64_t i = 0; i < pp_n; i++) {
        while (pp_turn != 1)
            pthread_cond_wait(&pp_cv[1], &pp_mu);
        pp_turn = 0;
        pp_partner_trips++;
        pthread_cond_signal(&pp_cv[0]);
    }
    pthread_mutex_unlock(&pp_mu);
    return NULL;
}

static void w_condvar(void)
{
    pthread_t t;
    pp_n = bench_scaled(100000);
    check_pthread("thread_pingpong_condvar", pthread_create(&t, NULL, pp_partner, NULL),
                  "pthread_create");
    int64_t t0 = bench_now();
    pthread_mutex_lock(&pp_mu);
    for (int64_t i = 0; i < pp_n; i++) {
        pp_turn = 1;
        pthread_cond_signal(&pp_cv[1]);
        while (pp_turn != 0)
            pthread_cond_wait(&pp_cv[0], &pp_mu);
    }
    pthread_mutex_unlock(&pp_mu);
    int64_t t1 = bench_now();
    pthread_join(t, NULL);
    if (pp_partner_trips != pp_n)
        bench_fail("thread_pingpong_condvar", "partner made %lld trips, want %lld",
                   (long long)pp_partner_trips, (long long)pp_n);
    bench_emit("thread_pingpong_condvar", (double)(t1 - t0) / (double)pp_n, "ns/roundtrip");
}

static pthread_mutex_t   mc_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t mc_start;
static int64_t mc_n, mc_counter;

static void *mc_worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&mc_start);
    for (int64_t i = 0; i < mc_n; i++) {
        pthread_mutex_lock(&mc_mu);
        mc_counter++;
        pthread_mutex_unlock(&mc_mu);
    }
    return NULL;
}

static void w_mutex(void)
{
    pthread_t t[2];
    mc_n = bench_scaled(1000000);
    pthread_barrier_init(&mc_start, NULL, 3);
    for (int k = 0; k < 2; k++)
        check_pthread("mutex_contended", pthread_create(&t[k], NULL, mc_worker, NULL),
                      "pthread_create");
    pthread_barrier_wait(&mc_start);
    int64_t t0 = bench_now();
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    int64_t t1 = bench_now();
    if (mc_counter != 2 * mc_n)
        bench_fail("mutex_contended", "counter %lld, want %lld",
                   (long long)mc_counter, (long long)(2 * mc_n));
    bench_emit("mutex_contended", (double)(t1 - t0) / (double)(2 * mc_n), "ns/lock+unlock");
}

static int64_t pcj_ran;

static void *pcj_empty(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&pcj_ran, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void w_create_join(void)
{
    int64_t n = bench_scaled(100000);
    int64_t t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        pthread_t t;
        check_pthread("pthread_create_join", pthread_create(&t, NULL, pcj_empty, NULL),
                      "pthread_create");
        pthread_join(t, NULL);
    }
    int64_t t1 = bench_now();
    if (pcj_ran != n)
        bench_fail("pthread_create_join", "%lld threads ran, want %lld",
                   (long long)pcj_ran, (long long)n);
    bench_emit("pthread_create_join", (double)(t1 - t0) / (double)n, "ns/thread");
}

/* ---- interface and closure floors ---------------------------------- *
 * Go's layouts written by hand: an iface is {itab, data} and a method call
 * is itab->fun[0](data, s); an eface type assertion is one compare of the
 * type word; a closure is a funcval {fn, k} called as f->fn(f, s).  The
 * arrays are external (not static) so the compiler cannot know their
 * contents, and the callees are noipa so it cannot inline, clone or
 * specialise them: what is measured is the call, as in Go. */

struct T1 { int64_t k; };
struct c_itab { const void *inter, *type; int64_t (*fun[1])(void *, int64_t); };
struct c_iface { struct c_itab *tab; void *data; };
struct c_eface { const void *type; void *data; };
struct c_funcval { int64_t (*fn)(struct c_funcval *, int64_t); int64_t k; };

__attribute__((noipa)) static int64_t t1_add(void *t, int64_t x) { return x + ((struct T1 *)t)->k; }
__attribute__((noipa)) static int64_t add_direct(struct T1 *t, int64_t x) { return x + t->k; }
__attribute__((noipa)) static int64_t closure_fn(struct c_funcval *f, int64_t x) { return x + f->k; }

static const char t1_type_desc[] = "struct T1 *";
struct T1 floor_objs_storage[2] = { { 1 }, { 3 } };
struct T1 *floor_objs[2] = { &floor_objs_storage[0], &floor_objs_storage[1] };
struct c_itab floor_itab = { "Adder", t1_type_desc, { t1_add } };
struct c_iface floor_ifaces[2] = { { &floor_itab, &floor_objs_storage[0] },
                                   { &floor_itab, &floor_objs_storage[1] } };
struct c_eface floor_anys[2] = { { t1_type_desc, &floor_objs_storage[0] },
                                 { t1_type_desc, &floor_objs_storage[1] } };
struct c_funcval floor_closure_storage[2] = { { closure_fn, 1 }, { closure_fn, 3 } };
struct c_funcval *floor_closures[2] = { &floor_closure_storage[0], &floor_closure_storage[1] };

static void report_sum(const char *name, int64_t t0, int64_t n, int64_t s)
{
    int64_t t1 = bench_now();
    if (s != 2 * n)
        bench_fail(name, "s %lld, want %lld", (long long)s, (long long)(2 * n));
    bench_emit(name, (double)(t1 - t0) / (double)n, "ns/op");
}

static void w_iface_call(void)
{
    int64_t n = bench_scaled(100000000), s = 0, t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        struct c_iface *x = &floor_ifaces[i & 1];
        s = x->tab->fun[0](x->data, s);
    }
    report_sum("iface_call", t0, n, s);
}

static void w_type_assert_concrete(void)
{
    int64_t n = bench_scaled(100000000), s = 0, t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        struct c_eface *e = &floor_anys[i & 1];
        if (e->type == t1_type_desc)
            s += ((struct T1 *)e->data)->k;
    }
    report_sum("type_assert_concrete", t0, n, s);
}

static void w_closure_call(void)
{
    int64_t n = bench_scaled(100000000), s = 0, t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        struct c_funcval *f = floor_closures[i & 1];
        s = f->fn(f, s);
    }
    report_sum("closure_call", t0, n, s);
}

static void w_call_direct(void)
{
    int64_t n = bench_scaled(100000000), s = 0, t0 = bench_now();
    for (int64_t i = 0; i < n; i++)
        s = add_direct(floor_objs[i & 1], s);
    report_sum("call_direct_noinline", t0, n, s);
}

/* ---- table --------------------------------------------------------- */

static const struct workload floors[] = {
#if defined(__x86_64__)
    { "ctxswitch_asm", "-", w_asm },
    { "ctxswitch_asm_jmp", "-", w_asm_jmp },
    { "ctxswitch_asm_fpcsr", "-", w_asm_fpcsr },
#endif
    { "ctxswitch_ucontext", "-", w_ucontext },
#ifdef HAVE_PCL
    { "ctxswitch_pcl", "-", w_pcl },
#endif
    { "thread_pingpong_condvar", "1,2", w_condvar },
    { "mutex_contended", "1,2", w_mutex },
    { "pthread_create_join", "-", w_create_join },
    { "iface_call", "-", w_iface_call },
    { "type_assert_concrete", "-", w_type_assert_concrete },
    { "closure_call", "-", w_closure_call },
    { "call_direct_noinline", "-", w_call_direct },
};

/* Pin to one CPU for a [p1] run (see the top of this file): the first
 * the process may use, so that bench/run.py's choice of CPU stands. */
static int run_floor(int argc, char **argv, const struct workload *w)
{
    const char *p = getenv("GOMAXPROCS");
    if (p && strcmp(p, "1") == 0) {
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof set, &set) != 0) {
            perror("floors: sched_getaffinity");
            return 1;
        }
        int first = 0;
        while (first < CPU_SETSIZE && !CPU_ISSET(first, &set))
            first++;
        CPU_ZERO(&set);
        CPU_SET(first, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            perror("floors: sched_setaffinity");
            return 1;
        }
    }
    return bench_run_plain(argc, argv, w);
}

int main(int argc, char **argv)
{
    return bench_main(argc, argv, floors, BENCH_NELEM(floors), run_floor);
}
