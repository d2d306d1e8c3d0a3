/*
 * test_iface.c: interfaces: conversion of an eface to an iface through
 * an itab, method order and dispatch, the itab cache (one itab per pair,
 * negative results too), comma-ok and panicking conversions with Go's
 * messages, misuse, and getitab raced by threads and by goroutines (run
 * under TSan by check-unit-tsan).  Only the goroutine test calls gort_main.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "gort.h"
#include "gort_test.h"
#include "test_types_crash.h"
#include "type.h"           /* gort_itab_builds */

/* ------------------------------------------------------------------ */
/* Shapes.  Methods take the interface's data word: a pointer to the boxed
 * struct for a struct type, the pointer itself for a pointer type. */

struct square { double side; };
struct circle { double r; };
struct label { const char *text; };     /* used through struct label * */

static double square_area(void *self) { return ((struct square *)self)->side * ((struct square *)self)->side; }
static const char *square_name(void *self) { (void)self; return "square"; }
static double circle_area(void *self) { return 3.0 * ((struct circle *)self)->r * ((struct circle *)self)->r; }
static const char *circle_name(void *self) { (void)self; return "circle"; }
static double label_area(void *self) { return (double)strlen(((struct label *)self)->text); }
static const char *label_name(void *self) { return ((struct label *)self)->text; }
static void label_extra(void *self) { (void)self; }

/* Methods deliberately not in name order. */
GORT_DEFINE_TYPE(square_type, struct square,
                 GORT_METHOD("Name", square_name), GORT_METHOD("Area", square_area));
GORT_DEFINE_TYPE(circle_type, struct circle,
                 GORT_METHOD("Area", circle_area), GORT_METHOD("Name", circle_name));
GORT_DEFINE_TYPE(labelptr_type, struct label *,
                 GORT_METHOD("Zoom", label_extra), GORT_METHOD("Name", label_name),
                 GORT_METHOD("Bounds", label_extra), GORT_METHOD("Area", label_area));
/* Another descriptor of struct square: only Area. */
GORT_DEFINE_TYPE(square_areaonly_type, struct square, GORT_METHOD("Area", square_area));

GORT_DEFINE_INTERFACE(shape_iface, "Shape", "Name", "Area");
GORT_DEFINE_INTERFACE(namer_iface, "Namer", "Name");
GORT_DEFINE_INTERFACE(empty_iface, "any");
GORT_DEFINE_INTERFACE(areaer, "Areaer", "Area");
GORT_DEFINE_INTERFACE(zoomer, "Zoomer", "Zoom", "Bounds");
GORT_DEFINE_INTERFACE(aaa, "Aaa", "Aaa");                   /* sorts before all of label's */
GORT_DEFINE_INTERFACE(zzz, "Zzz", "Zzz");                   /* sorts after all of label's */
GORT_DEFINE_INTERFACE(mid, "Mid", "Area", "Mid", "Name");   /* a gap in the middle */

typedef double (*area_fn)(void *);
typedef const char *(*name_fn)(void *);
enum { AREA = 0, NAME = 1 };     /* Shape's methods in name order */

static double area_of(struct iface s) { return ((area_fn)gort_iface_method(s, AREA))(s.data); }
static const char *name_of(struct iface s) { return ((name_fn)gort_iface_method(s, NAME))(s.data); }

Test(iface, convert_and_call)
{
    struct square sq = { 3 };
    struct circle ci = { 2 };
    struct label lb = { "hello" };
    struct label *lp = &lb;

    struct iface s1 = gort_to_iface(&shape_iface, gort_box(&square_type, &sq));
    struct iface s2 = gort_to_iface(&shape_iface, gort_box(&circle_type, &ci));
    struct iface s3 = gort_to_iface(&shape_iface, gort_box(&labelptr_type, &lp));

    cr_assert_eq(area_of(s1), 9.0);
    cr_assert_str_eq(name_of(s1), "square");
    cr_assert_eq(area_of(s2), 12.0);
    cr_assert_str_eq(name_of(s2), "circle");
    cr_assert_eq(area_of(s3), 5.0);
    cr_assert_str_eq(name_of(s3), "hello");

    /* the itab records the pair and the methods in name order */
    cr_assert_eq(s1.tab->inter, &shape_iface);
    cr_assert_eq(s1.tab->type, &square_type);
    cr_assert_eq(s1.tab->nfun, 2);
    cr_assert_eq(s1.tab->bad, 0);
    cr_assert_eq(s1.tab->fun[AREA], (void (*)(void))square_area);
    cr_assert_eq(s1.tab->fun[NAME], (void (*)(void))square_name);
    cr_assert_eq(s3.tab->fun[AREA], (void (*)(void))label_area);
    cr_assert_eq(s3.tab->fun[NAME], (void (*)(void))label_name);
    cr_assert_str_eq(shape_iface.mhdr[0], "Area");
    cr_assert_str_eq(shape_iface.mhdr[1], "Name");

    /* pointer types: the data word is the pointer; struct types: a copy */
    cr_assert_eq(s3.data, (void *)&lb);
    cr_assert_neq(s1.data, (void *)&sq);
    sq.side = 10;
    cr_assert_eq(area_of(s1), 9.0, "the interface holds a copy");

    /* the real function gives what the inline fast path gives */
    cr_assert_eq((gort_iface_method)(s2, NAME), s2.tab->fun[NAME]);
}

Test(iface, itab_cached_once_per_pair)
{
    struct square a = { 1 }, b = { 2 };
    struct iface x = gort_to_iface(&shape_iface, gort_box(&square_type, &a));
    struct iface y = gort_to_iface(&shape_iface, gort_box(&square_type, &b));
    struct iface z;
    cr_assert(gort_as_iface(&shape_iface, gort_box(&square_type, &b), &z));
    cr_assert_eq(x.tab, y.tab, "same pair, same itab");
    cr_assert_eq(x.tab, z.tab, "as_iface and to_iface share the cache");
    /* other pairs have their own */
    struct iface n;
    cr_assert(gort_as_iface(&namer_iface, gort_box(&square_type, &a), &n));
    cr_assert_neq(n.tab, x.tab);
    cr_assert_eq(n.tab->nfun, 1);
    cr_assert_eq(n.tab->fun[0], (void (*)(void))square_name);
    struct circle c = { 1 };
    struct iface w = gort_to_iface(&shape_iface, gort_box(&circle_type, &c));
    cr_assert_neq(w.tab, x.tab);
    cr_assert_eq(w.tab, gort_to_iface(&shape_iface, gort_box(&circle_type, &c)).tab);
}

/* The itab of (inter, t) in the cache's table, or NULL: the chain walk
 * of iface.c, from the outside. */
static struct itab *cached_itab(const struct interfacetype *inter, const struct rtype *t)
{
    uint32_t h = gort__itabhash(inter, t) & (GORT__ITAB_BUCKETS - 1);
    for (struct itab *m = __atomic_load_n(&gort_itabtable[h], __ATOMIC_ACQUIRE); m; m = m->link)
        if (m->inter == inter && m->type == t)
            return m;
    return NULL;
}

Test(iface, comma_ok_failure_and_negative_cache)
{
    struct square sq = { 2 };
    struct eface e = gort_box(&square_areaonly_type, &sq);
    struct iface out = { (struct itab *)1, (void *)1 };
    cr_assert_null(cached_itab(&shape_iface, &square_areaonly_type), "no itab before first use");
    uint64_t builds = __atomic_load_n(&gort_itab_builds, __ATOMIC_RELAXED);
    cr_assert(!gort_as_iface(&shape_iface, e, &out));
    cr_assert_null(out.tab);
    cr_assert_null(out.data);
    /* the failure left a negative itab for the pair in the table */
    struct itab *bad = cached_itab(&shape_iface, &square_areaonly_type);
    cr_assert_not_null(bad, "no itab cached for the failed pair");
    cr_assert_eq(bad->bad, 1);
    cr_assert_eq(bad->inter, &shape_iface);
    cr_assert_eq(bad->type, &square_areaonly_type);
    cr_assert_eq(__atomic_load_n(&gort_itab_builds, __ATOMIC_RELAXED), builds + 1,
                 "the first lookup makes one matching pass");
    /* second and later times: the cached negative itab answers, no new pass */
    for (int i = 0; i < 3; i++) {
        out = (struct iface){ (struct itab *)1, (void *)1 };
        cr_assert(!gort_as_iface(&shape_iface, e, &out));
        cr_assert_null(out.tab);
        cr_assert_null(out.data);
    }
    cr_assert_eq(__atomic_load_n(&gort_itab_builds, __ATOMIC_RELAXED), builds + 1,
                 "a cached negative result was scanned again");
    cr_assert_eq(cached_itab(&shape_iface, &square_areaonly_type), bad, "one itab per pair");
    /* ... yet the type satisfies a smaller interface */
    cr_assert(gort_as_iface(&areaer, e, &out));
    cr_assert_eq(((area_fn)gort_iface_method(out, 0))(out.data), 4.0);
}

Test(iface, nil_and_empty_interface)
{
    struct iface out = { (struct itab *)1, (void *)1 };
    cr_assert(!gort_as_iface(&shape_iface, (struct eface){ 0 }, &out));
    cr_assert_null(out.tab);
    /* every type satisfies an interface without methods */
    int64_t v = 5;
    cr_assert(gort_as_iface(&empty_iface, gort_box(&gort_type_int64, &v), &out));
    cr_assert_eq(out.tab->nfun, 0);
    cr_assert_eq(*(int64_t *)out.data, 5);
    /* built-in types have no methods */
    cr_assert(!gort_as_iface(&namer_iface, gort_box(&gort_type_int64, &v), &out));
}

Test(iface, extra_methods_are_skipped)
{
    /* label has Area Bounds Name Zoom; Namer wants only Name */
    struct label lb = { "x" };
    struct label *lp = &lb;
    struct iface n = gort_to_iface(&namer_iface, gort_box(&labelptr_type, &lp));
    cr_assert_str_eq(((name_fn)gort_iface_method(n, 0))(n.data), "x");
    struct iface z = gort_to_iface(&zoomer, gort_box(&labelptr_type, &lp));
    cr_assert_eq(z.tab->fun[0], (void (*)(void))label_extra);  /* Bounds */
    cr_assert_eq(z.tab->fun[1], (void (*)(void))label_extra);  /* Zoom */
    struct iface o;
    cr_assert(!gort_as_iface(&aaa, gort_box(&labelptr_type, &lp), &o));
    cr_assert(!gort_as_iface(&zzz, gort_box(&labelptr_type, &lp), &o));
    cr_assert(!gort_as_iface(&mid, gort_box(&labelptr_type, &lp), &o));
}

/* Two pairs in one chain of the itab cache: the inline probe in gort.h
 * sees only the chain's first itab; the second must still be found (by
 * the real gort_as_iface), and each pair keeps its own itab. */
enum { NCAND = 4096 };
static struct interfacetype cand[NCAND];
static struct gort_typeonce cand_once[NCAND];
static const char *cand_methods[NCAND][1];

Test(iface, shared_chain)
{
    int a = -1, b = -1;
    for (int i = 0; i < NCAND && b < 0; i++) {
        cand_methods[i][0] = "Name";
        cand[i] = (struct interfacetype){
            .typ = { .size = sizeof(struct iface), .align = _Alignof(struct iface),
                     .kind = GORT_KIND_INTERFACE, .name = "Cand", .once = &cand_once[i] },
            .mhdr = cand_methods[i], .nmhdr = 1,
        };
        uint32_t h = gort__itabhash(&cand[i], &circle_type) & (GORT__ITAB_BUCKETS - 1);
        if (a < 0)
            a = i;
        else if (h == (gort__itabhash(&cand[a], &circle_type) & (GORT__ITAB_BUCKETS - 1)))
            b = i;
    }
    cr_assert(b >= 0, "no two candidates share a chain");
    struct circle c = { 1 };
    struct eface e = gort_box(&circle_type, &c);
    struct iface ia, ib, ia2, ib2;
    cr_assert(gort_as_iface(&cand[a], e, &ia));
    cr_assert(gort_as_iface(&cand[b], e, &ib));     /* now first in the chain */
    cr_assert(gort_as_iface(&cand[a], e, &ia2));    /* second: found by the function */
    cr_assert((gort_as_iface)(&cand[b], e, &ib2));
    cr_assert_eq(ia.tab, ia2.tab);
    cr_assert_eq(ib.tab, ib2.tab);
    cr_assert_neq(ia.tab, ib.tab);
    cr_assert_eq(ia.tab->inter, &cand[a]);
    cr_assert_eq(ib.tab->inter, &cand[b]);
    cr_assert_eq(ia.tab->link, NULL);
    cr_assert_eq(ib.tab->link, ia.tab, "b was inserted at the head of a's chain");
    cr_assert_eq(gort_itabtable[ib.tab->hash & (GORT__ITAB_BUCKETS - 1)], ib.tab);
    cr_assert_str_eq(((name_fn)gort_iface_method(ia2, 0))(ia2.data), "circle");
}

/* ------------------------------------------------------------------ */
/* Panics with Go's messages. */

static void convert_missing(void)
{
    struct square sq = { 1 };
    gort_to_iface(&shape_iface, gort_box(&square_areaonly_type, &sq));
}
static void convert_missing_after_comma_ok(void)
{
    struct square sq = { 1 };
    struct iface out;
    struct eface e = gort_box(&square_areaonly_type, &sq);
    if (gort_as_iface(&shape_iface, e, &out))
        return;
    gort_to_iface(&shape_iface, e);     /* cached negative: still names the method */
}
static void convert_nil(void) { gort_to_iface(&shape_iface, (struct eface){ 0 }); }
static void convert_builtin(void)
{
    double d = 1;
    gort_to_iface(&shape_iface, gort_box(&gort_type_float64, &d));
}

Test(iface, panic_messages)
{
    expect_abort(convert_missing,
                 "panic: interface conversion: struct square is not Shape: missing method Name");
    expect_abort(convert_missing_after_comma_ok,
                 "panic: interface conversion: struct square is not Shape: missing method Name");
    expect_abort(convert_nil, "panic: interface conversion: interface is nil, not Shape");
    expect_abort(convert_builtin,
                 "panic: interface conversion: double is not Shape: missing method Area");
}

/* The same failure seen by Criterion's crash expectation. */
Test(iface, panic_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    convert_missing();
}

/* ------------------------------------------------------------------ */
/* Misuse: fatal errors naming the call. */

static struct iface some_shape(void)
{
    struct circle c = { 1 };
    return gort_to_iface(&shape_iface, gort_box(&circle_type, &c));
}
static void method_out_of_range(void) { (void)gort_iface_method(some_shape(), 2); }
static void method_negative(void) { (void)gort_iface_method(some_shape(), -1); }
static void method_of_nil(void) { (void)gort_iface_method((struct iface){ 0 }, 0); }
static void as_iface_null_out(void)
{
    struct circle c = { 1 };
    gort_as_iface(&shape_iface, gort_box(&circle_type, &c), NULL);
}
static void to_iface_null_type(void)
{
    struct circle c = { 1 };
    gort_to_iface(NULL, gort_box(&circle_type, &c));
}
static void as_iface_not_interface(void)
{
    struct circle c = { 1 };
    struct iface out;
    gort_as_iface((const struct interfacetype *)&gort_type_int64,
                  gort_box(&circle_type, &c), &out);
}

Test(iface, misuse_is_fatal)
{
    expect_abort(method_out_of_range, "fatal error: gort_iface_method: method index 2 out of "
                                      "range: interface Shape has 2 methods");
    expect_abort(method_negative, "fatal error: gort_iface_method: method index -1 out of "
                                  "range: interface Shape has 2 methods");
    expect_abort(method_of_nil, "fatal error: gort_iface_method: method 0 called on a nil "
                                "interface value");
    expect_abort(as_iface_null_out, "fatal error: gort_as_iface: NULL out pointer");
    expect_abort(to_iface_null_type, "fatal error: gort_to_iface: NULL interface type");
    expect_abort(as_iface_not_interface, "fatal error: gort_as_iface: int64_t is not an "
                                         "interface type (define it with GORT_DEFINE_INTERFACE)");
}

/* ------------------------------------------------------------------ */
/* Concurrent getitab: every worker converts every (type, interface) pair,
 * all starting together, so first insertions and first sorts race.  Each
 * pair must end with one itab that every worker saw, and correct methods. */

#define NTYPES 8
struct num { int64_t v; };
static int64_t num_get(void *self) { return ((struct num *)self)->v; }
static int64_t num_neg(void *self) { return -((struct num *)self)->v; }
static void num_nop(void *self) { (void)self; }
#define NUMTYPE(i) GORT_DEFINE_TYPE(num_type##i, struct num, GORT_METHOD("Neg", num_neg), \
                                    GORT_METHOD("Nop", num_nop), GORT_METHOD("Get", num_get))
NUMTYPE(0); NUMTYPE(1); NUMTYPE(2); NUMTYPE(3);
NUMTYPE(4); NUMTYPE(5); NUMTYPE(6); NUMTYPE(7);
static const struct rtype *num_types[NTYPES] = {
    &num_type0, &num_type1, &num_type2, &num_type3,
    &num_type4, &num_type5, &num_type6, &num_type7,
};
#define NIFACES 4
GORT_DEFINE_INTERFACE(getter, "Getter", "Get");
GORT_DEFINE_INTERFACE(getneg, "GetNeg", "Neg", "Get");
GORT_DEFINE_INTERFACE(all3, "All3", "Nop", "Get", "Neg");
GORT_DEFINE_INTERFACE(missing, "Missing", "Get", "Put");
static const struct interfacetype *num_ifaces[NIFACES] = { &getter, &getneg, &all3, &missing };

static _Atomic(struct itab *) seen[NTYPES][NIFACES];
static atomic_int workers_left;
static atomic_int start_gate;

/* Returns 0 when all is well, else a line number for the report. */
static int convert_all(int64_t salt)
{
    for (int round = 0; round < 50; round++) {
        for (int k = 0; k < NTYPES * NIFACES; k++) {
            int ti = (int)((k + salt) % NTYPES), ii = (int)((k / NTYPES + salt) % NIFACES);
            struct num v = { salt * 1000 + k };
            struct iface out;
            bool ok = gort_as_iface(num_ifaces[ii], gort_box(num_types[ti], &v), &out);
            if (num_ifaces[ii] == &missing) {
                if (ok)
                    return __LINE__;
                continue;
            }
            if (!ok)
                return __LINE__;
            struct itab *expect = NULL;
            if (!atomic_compare_exchange_strong(&seen[ti][ii], &expect, out.tab) &&
                expect != out.tab)
                return __LINE__;        /* two itabs for one pair */
            /* Get sorts first, so it is method 0 of every interface here */
            int64_t (*get)(void *) = (int64_t (*)(void *))gort_iface_method(out, 0);
            if (get(out.data) != v.v)
                return __LINE__;
        }
    }
    return 0;
}

static void *thread_worker(void *arg)
{
    atomic_fetch_add(&start_gate, 1);
    while (atomic_load(&start_gate) < 4)
        ;
    return (void *)(intptr_t)convert_all((int64_t)(intptr_t)arg);
}

Test(iface, concurrent_getitab_threads)
{
    pthread_t th[4];
    for (intptr_t i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, thread_worker, (void *)i), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(th[i], &r);
        cr_assert_null(r, "worker %d failed at line %d", i, (int)(intptr_t)r);
    }
}

static void goroutine_worker(void *arg)
{
    int line = convert_all((int64_t)(intptr_t)arg);
    gt_assert_eq(line, 0);      /* else: the line of convert_all that failed */
    atomic_fetch_sub(&workers_left, 1);
}

static int concurrent_body(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    enum { N = 32 };
    atomic_store(&workers_left, N);
    for (intptr_t i = 0; i < N; i++)
        gort_go(goroutine_worker, (void *)i);
    while (atomic_load(&workers_left) > 0)
        gort_yield();
    return 0;
}

Test(iface, concurrent_getitab_goroutines, .timeout = 60)
{
    gt_run(concurrent_body);
}
