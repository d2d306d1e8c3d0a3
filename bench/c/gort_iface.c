/*
 * gort_iface.c: the interface and closure workloads of issue 5 on libgort,
 * written against gort.h / API.md only.  Definitions:
 * ../shared/WORKLOADS.md ("Interfaces and closures"); the Go reference is
 * bench/go/iface.go and the hand-written C floor of each row is in
 * bench/c/floors.c (the table's "C" column).
 *
 * What each row measures on the gort side, i.e. how a C program using gort
 * spells the Go construct:
 *   iface_call            ifaces[i&1].tab->fun[0](data, s): gort.h makes
 *                         struct itab public and documents fun[k] as the
 *                         k-th method in name order, so a call through an
 *                         interface is the same load-load-call as Go's.
 *   type_assert_concrete  gort_unbox(e, &T1ptr, &out): the API's x.(T).
 *   type_assert_iface     gort_as_iface(&Adder, e, &out): the API's x.(I),
 *                         the itab cache lookup.
 *   closure_call          f->fn(f, s) on a GORT_CLOSURE made by
 *                         gort_closure_new: what gort_call does, with an
 *                         argument and a result.
 * Values are set up untimed inside gort_main (boxing, itab creation,
 * closure allocation), then 100,000,000 ops over element i&1 of arrays of
 * two values of one concrete type, each loop checked (s == 2*ops, or ops
 * for type_assert_iface whose body is s++).
 */
#include <gort.h>

#include "bench.h"
#include "gort_runner.h"

struct T1 { int64_t k; };

/* A method takes the interface's data word first: for a pointer type, the
 * pointer itself (gort.h, struct gort_method). */
static int64_t t1_add(struct T1 *t, int64_t x) { return x + t->k; }

GORT_DEFINE_TYPE(bench_T1ptr_type, struct T1 *, GORT_METHOD("Add", t1_add));
GORT_DEFINE_INTERFACE(bench_Adder_iface, "Adder", "Add");

GORT_CLOSURE(bench_adder, int64_t k;);

static int64_t adder_fn(struct funcval *f, int64_t x)
{
    return x + ((struct bench_adder *)f)->k;
}

/* One factory for both closures, as Go's //go:noinline makeAdder. */
__attribute__((noinline)) static struct funcval *make_adder(int64_t k)
{
    struct bench_adder *c = gort_closure_new(bench_adder, adder_fn);
    c->k = k;
    return &c->fv;
}

/* External, so the compiler cannot know what the arrays hold. */
struct T1       bench_objs[2] = { { 1 }, { 3 } };
struct eface    bench_anys[2];
struct iface    bench_ifaces[2];
struct iface    bench_held[2];
struct funcval *bench_closures[2];

typedef int64_t (*add_method)(void *data, int64_t x);
typedef int64_t (*add_closure)(struct funcval *f, int64_t x);

static void setup(void)
{
    for (int k = 0; k < 2; k++) {
        struct T1 *p = &bench_objs[k];
        bench_anys[k] = gort_box(&bench_T1ptr_type, &p);
        bench_ifaces[k] = gort_to_iface(&bench_Adder_iface, bench_anys[k]);
        bench_closures[k] = make_adder(bench_objs[k].k);
    }
}

static void report(const char *name, int64_t t0, int64_t n, int64_t s, int64_t want)
{
    int64_t t1 = bench_now();
    if (s != want)
        bench_fail(name, "s %lld, want %lld", (long long)s, (long long)want);
    bench_emit(name, (double)(t1 - t0) / (double)n, "ns/op");
}

static void w_iface_call(void)
{
    setup();
    int64_t n = bench_scaled(100000000), s = 0, t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        struct iface *x = &bench_ifaces[i & 1];
        s = ((add_method)x->tab->fun[0])(x->data, s);
    }
    report("iface_call", t0, n, s, 2 * n);
}

static void w_type_assert_concrete(void)
{
    setup();
    int64_t n = bench_scaled(100000000), s = 0, t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        struct T1 *t;
        if (gort_unbox(bench_anys[i & 1], &bench_T1ptr_type, &t))
            s += t->k;
    }
    report("type_assert_concrete", t0, n, s, 2 * n);
}

static void w_type_assert_iface(void)
{
    setup();
    int64_t n = bench_scaled(100000000), s = 0, t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        struct iface a;
        if (gort_as_iface(&bench_Adder_iface, bench_anys[i & 1], &a)) {
            bench_held[i & 1] = a;
            s++;
        }
    }
    int64_t t1 = bench_now();
    for (int k = 0; k < 2; k++)
        if (((add_method)bench_held[k].tab->fun[0])(bench_held[k].data, 0) != bench_objs[k].k)
            bench_fail("type_assert_iface", "held[%d] holds the wrong value", k);
    if (s != n)
        bench_fail("type_assert_iface", "s %lld, want %lld", (long long)s, (long long)n);
    bench_emit("type_assert_iface", (double)(t1 - t0) / (double)n, "ns/op");
}

static void w_closure_call(void)
{
    setup();
    int64_t n = bench_scaled(100000000), s = 0, t0 = bench_now();
    for (int64_t i = 0; i < n; i++) {
        struct funcval *f = bench_closures[i & 1];
        s = ((add_closure)f->fn)(f, s);
    }
    report("closure_call", t0, n, s, 2 * n);
}

static const struct workload iface_workloads[] = {
    { "iface_call", "-", w_iface_call },
    { "type_assert_concrete", "-", w_type_assert_concrete },
    { "type_assert_iface", "-", w_type_assert_iface },
    { "closure_call", "-", w_closure_call },
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, iface_workloads, BENCH_NELEM(iface_workloads), bench_run_gort);
}
