/*
 * test_closure.c: closures (funcvals): allocation (zeroed, fn set, header
 * with type and magic right before, alignment), calls with and without
 * arguments, freeing and its checks, misuse, and closures run as
 * goroutines with gort_go_func.  Only the goroutine test calls gort_main.
 */
#include <criterion/criterion.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>

#include "gort.h"
#include "gort_test.h"
#include "test_types_crash.h"

GORT_CLOSURE(adder, int64_t k; int64_t *out;);
GORT_CLOSURE(binop, int64_t bias;);
GORT_CLOSURE(noargs);
GORT_CLOSURE(wide, alignas(64) unsigned char block[200];);

static void adder_fn(struct adder *self) { *self->out += self->k; }
static int64_t binop_fn(struct binop *self, int64_t a, int64_t b) { return a * b + self->bias; }
static int noargs_calls;
static void noargs_fn(struct noargs *self) { (void)self; noargs_calls++; }
static void wide_fn(struct wide *self) { self->block[199] = 7; }

Test(closure, new_is_zeroed_with_header)
{
    struct adder *a = gort_closure_new(adder, adder_fn);
    cr_assert_not_null(a);
    cr_assert_eq(a->fv.fn, (void (*)(void))adder_fn);
    cr_assert_eq(a->k, 0);
    cr_assert_null(a->out);
    struct gort_closurehdr *h = (struct gort_closurehdr *)a - 1;
    cr_assert_eq(h->magic, GORT_CLOSURE_MAGIC);
    cr_assert_not_null(h->type);
    cr_assert_str_eq(gort_type_name(h->type), "struct adder");
    cr_assert_eq(h->type->kind, GORT_KIND_CLOSURE);
    cr_assert_eq(h->type->size, sizeof(struct adder));
    cr_assert_eq((uintptr_t)a % _Alignof(max_align_t), 0);
    gort_closure_free(a);
}

Test(closure, call_direct)
{
    int64_t total = 0;
    struct adder *a = gort_closure_new(adder, adder_fn);
    a->k = 5;
    a->out = &total;
    gort_call(&a->fv);
    (gort_call)(&a->fv);          /* the real function, not the inline path */
    cr_assert_eq(total, 10);

    /* a closure with arguments and a result is called with its signature */
    struct binop *b = gort_closure_new(binop, binop_fn);
    b->bias = 1;
    struct funcval *f = &b->fv;
    int64_t r = ((int64_t (*)(struct funcval *, int64_t, int64_t))f->fn)(f, 6, 7);
    cr_assert_eq(r, 43);

    struct noargs *n = gort_closure_new(noargs, noargs_fn);
    gort_call(&n->fv);
    cr_assert_eq(noargs_calls, 1);
    cr_assert_eq(sizeof *n, sizeof(struct funcval));
    gort_closure_free(a);
    gort_closure_free(b);
    gort_closure_free(n);
}

Test(closure, overaligned_captures)
{
    for (int i = 0; i < 8; i++) {
        struct wide *w = gort_closure_new(wide, wide_fn);
        cr_assert_eq((uintptr_t)w % 64, 0, "closure aligned for its struct");
        cr_assert_eq((uintptr_t)w->block % 64, 0);
        for (int j = 0; j < 200; j++)
            cr_assert_eq(w->block[j], 0);
        gort_call(&w->fv);
        cr_assert_eq(w->block[199], 7);
        struct gort_closurehdr *h = (struct gort_closurehdr *)w - 1;
        cr_assert_eq(h->magic, GORT_CLOSURE_MAGIC);
        gort_closure_free(w);
    }
    gort_closure_free(NULL);        /* like free(NULL) */
}

/* ------------------------------------------------------------------ */
/* Misuse. */

static void free_not_closure(void)
{
    static alignas(64) char buf[128];
    gort_closure_free(buf + 64);
}
static void free_misaligned(void)
{
    struct adder *a = gort_closure_new(adder, adder_fn);
    gort_closure_free((char *)a + 8);
}
static void call_nil(void) { gort_call(NULL); }
static void call_nil_fn(void)
{
    static struct funcval fv;
    gort_call(&fv);
}
static void alloc_null_type(void) { gort_closure_alloc(NULL, (void (*)(void))noargs_fn); }
static void alloc_not_closure(void) { gort_closure_alloc(&gort_type_int64, (void (*)(void))noargs_fn); }
static void alloc_null_fn(void) { (void)gort_closure_new(adder, NULL); }
#ifndef GORT_SANITIZER
/* Reads freed memory on purpose: only without sanitizers. */
static void free_twice(void)
{
    struct adder *a = gort_closure_new(adder, adder_fn);
    gort_closure_free(a);
    gort_closure_free(a);
}
#endif

Test(closure, misuse_is_fatal)
{
    expect_abort_parts(free_not_closure, "fatal error: gort_closure_free: 0x",
                       "is not a closure made by gort_closure_new (no closure header before it");
    expect_abort_parts(free_misaligned, "fatal error: gort_closure_free: 0x",
                       "is not a closure made by gort_closure_new (misaligned)");
    expect_abort_parts(call_nil_fn, "fatal error: gort_call: closure 0x", "has no function");
    expect_abort(call_nil, "fatal error: gort_call: nil closure");
    expect_abort(alloc_null_type, "fatal error: gort_closure_alloc: NULL closure type");
    expect_abort(alloc_not_closure, "fatal error: gort_closure_alloc: int64_t is not a closure "
                                    "type (declare it with GORT_CLOSURE)");
    expect_abort(alloc_null_fn, "fatal error: gort_closure_alloc: NULL function for closure "
                                "struct adder");
#ifndef GORT_SANITIZER
    expect_abort_parts(free_twice, "fatal error: gort_closure_free: 0x", "freed twice?");
#endif
}

/* ------------------------------------------------------------------ */
/* Closures as goroutines: each captures its own k and a shared counter. */

GORT_CLOSURE(worker, int64_t k; _Atomic int64_t *sum; atomic_int *left;);
static void worker_fn(struct worker *self)
{
    atomic_fetch_add(self->sum, self->k);
    atomic_fetch_sub(self->left, 1);
}

static int goroutines_body(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    enum { N = 100 };
    static _Atomic int64_t sum;
    static atomic_int left;
    atomic_store(&left, N);
    struct worker *w[N];
    for (int i = 0; i < N; i++) {
        w[i] = gort_closure_new(worker, worker_fn);
        w[i]->k = i + 1;
        w[i]->sum = &sum;
        w[i]->left = &left;
        int64_t id = gort_go_func(&w[i]->fv);
        gt_assert(id > 1);
    }
    while (atomic_load(&left) > 0)
        gort_yield();
    gt_assert_eq(atomic_load(&sum), N * (N + 1) / 2);
    for (int i = 0; i < N; i++)
        gort_closure_free(w[i]);
    return 0;
}

Test(closure, as_goroutines, .timeout = 30)
{
    gt_run(goroutines_body);
}
