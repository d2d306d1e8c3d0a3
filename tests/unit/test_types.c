/*
 * test_types.c: type descriptors: the built-in ones (names as DWARF spells
 * them, sizes, kinds, hash and equality), boxing and unboxing every
 * built-in type and structs, user descriptors from GORT_DEFINE_TYPE, the
 * one-time method sort (also raced by threads), gort_string_from.
 * No goroutines here, so no gort_main.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <string.h>

#include "gort.h"
#include "test_types_crash.h"

/* ------------------------------------------------------------------ */
Test(types, builtin_descriptors)
{
    struct { const struct rtype *t; const char *name; size_t size; int kind; } want[] = {
        { &gort_type_bool,    "_Bool",       sizeof(bool),        GORT_KIND_BOOL },
        { &gort_type_int32,   "int32_t",     sizeof(int32_t),     GORT_KIND_INT32 },
        { &gort_type_int64,   "int64_t",     sizeof(int64_t),     GORT_KIND_INT64 },
        { &gort_type_uint32,  "uint32_t",    sizeof(uint32_t),    GORT_KIND_UINT32 },
        { &gort_type_uint64,  "uint64_t",    sizeof(uint64_t),    GORT_KIND_UINT64 },
        { &gort_type_float64, "double",      sizeof(double),      GORT_KIND_FLOAT64 },
        { &gort_type_uintptr, "uintptr_t",   sizeof(uintptr_t),   GORT_KIND_UINTPTR },
        { &gort_type_pointer, "void *",      sizeof(void *),      GORT_KIND_POINTER },
        { &gort_type_string,  "gort_string", sizeof(gort_string), GORT_KIND_STRING },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct rtype *t = want[i].t;
        cr_assert_str_eq(gort_type_name(t), want[i].name);
        cr_assert_eq(t->size, want[i].size, "%s", want[i].name);
        cr_assert_eq(t->kind, want[i].kind, "%s", want[i].name);
        cr_assert(t->align >= 1 && (t->align & (t->align - 1)) == 0, "%s", want[i].name);
        cr_assert(t->hash != NULL && t->equal != NULL, "%s", want[i].name);
        cr_assert_eq(t->nmethods, 0);
    }
    cr_assert_str_eq(gort_type_name(NULL), "<nil>");
}

Test(types, builtin_hash_equal)
{
    const struct rtype *f = &gort_type_float64;
    double pz = 0.0, nz = -0.0, nan = NAN, one = 1.0, one2 = 1.0;
    cr_assert(f->equal(f, &pz, &nz), "+0 == -0");
    cr_assert_eq(f->hash(f, &pz, 7), f->hash(f, &nz, 7), "+0 and -0 hash alike");
    cr_assert(!f->equal(f, &nan, &nan), "NaN != NaN");
    cr_assert(f->equal(f, &one, &one2));

    const struct rtype *s = &gort_type_string;
    char buf[] = "hello";
    gort_string a = GORT_STR("hello"), b = { buf, 5 }, c = GORT_STR("hellp");
    cr_assert(s->equal(s, &a, &b), "equal bytes, different memory");
    cr_assert_eq(s->hash(s, &a, 1), s->hash(s, &b, 1));
    cr_assert(!s->equal(s, &a, &c));

    const struct rtype *i = &gort_type_int64;
    int64_t x = 42, y = 42, z = 43;
    cr_assert(i->equal(i, &x, &y) && !i->equal(i, &x, &z));
    cr_assert_eq(i->hash(i, &x, 3), i->hash(i, &y, 3));
}

/* ------------------------------------------------------------------ */
/* Box/unbox of every built-in type: the value comes back, the box holds a
 * copy (changing the original later changes nothing), the wrong type is
 * refused with a zeroed result. */

#define ROUNDTRIP(T, desc, v1, v2)                                          \
    do {                                                                    \
        T orig = (v1), got = (v2);                                          \
        struct eface e = gort_box(&(desc), &orig);                          \
        cr_assert_eq(e.type, &(desc));                                      \
        cr_assert_neq(e.data, (void *)&orig, #T " must be copied");         \
        orig = (v2);                                                        \
        cr_assert(gort_unbox(e, &(desc), &got), #T);                        \
        T want = (v1);                                                      \
        cr_assert(memcmp(&got, &want, sizeof got) == 0, #T " value");       \
        /* wrong type: false, and the out value is zeroed */                \
        uint64_t other = 0xdeadbeef;                                        \
        const struct rtype *wrong = &(desc) == &gort_type_uint64            \
            ? &gort_type_int64 : &gort_type_uint64;                         \
        cr_assert(!gort_unbox(e, wrong, &other), #T " as wrong type");      \
        cr_assert_eq(other, 0, #T " wrong type zeroes out");                \
    } while (0)

Test(types, box_unbox_builtins)
{
    ROUNDTRIP(bool, gort_type_bool, true, false);
    ROUNDTRIP(int32_t, gort_type_int32, -123456, 7);
    ROUNDTRIP(int64_t, gort_type_int64, INT64_MIN + 5, 0);
    ROUNDTRIP(uint32_t, gort_type_uint32, 0xfffffff0u, 1);
    ROUNDTRIP(uint64_t, gort_type_uint64, 0xfedcba9876543210ull, 2);
    ROUNDTRIP(double, gort_type_float64, 3.25, -1.0);
    ROUNDTRIP(uintptr_t, gort_type_uintptr, (uintptr_t)0x1234567, 0);
    gort_string hello = GORT_STR("hello"), bye = GORT_STR("bye");
    ROUNDTRIP(gort_string, gort_type_string, hello, bye);
}

Test(types, pointer_is_the_data_word)
{
    int target = 5;
    void *p = &target;
    struct eface e = gort_box(&gort_type_pointer, &p);
    cr_assert_eq(e.data, (void *)&target, "a pointer lives in the data word itself");
    void *q = NULL;
    cr_assert(gort_unbox(e, &gort_type_pointer, &q));
    cr_assert_eq(q, (void *)&target);
    /* The real function (not the inline fast path) agrees. */
    q = NULL;
    cr_assert((gort_unbox)(e, &gort_type_pointer, &q));
    cr_assert_eq(q, (void *)&target);

    /* A NULL pointer is a value like any other: a non-nil eface. */
    void *nil = NULL;
    struct eface en = gort_box(&gort_type_pointer, &nil);
    cr_assert_eq(en.type, &gort_type_pointer);
    cr_assert_null(en.data);
    q = &target;
    cr_assert(gort_unbox(en, &gort_type_pointer, &q));
    cr_assert_null(q);
}

Test(types, unbox_nil_eface)
{
    struct eface nil = { 0 };
    int64_t v = 99;
    cr_assert(!gort_unbox(nil, &gort_type_int64, &v));
    cr_assert_eq(v, 0);
    void *p = &v;
    cr_assert(!gort_unbox(nil, &gort_type_pointer, &p));
    cr_assert_null(p);
}

/* ------------------------------------------------------------------ */
/* User descriptors. */

struct point { int64_t x, y; char label[16]; };   /* no padding: equality is over the bytes */
GORT_DEFINE_TYPE(point_type, struct point);

struct wide { alignas(64) unsigned char bytes[100]; };
GORT_DEFINE_TYPE(wide_type, struct wide);

struct node;
GORT_DEFINE_TYPE(nodeptr_type, struct node *);

struct empty { };
GORT_DEFINE_TYPE(empty_type, struct empty);

/* An array typedef is plain data (copied), though gcc classifies an array
 * like a pointer; a function pointer and a const pointer are pointers. */
typedef char name8[8];
GORT_DEFINE_TYPE(name8_type, name8);
typedef int (*callback)(int);
GORT_DEFINE_TYPE(callback_type, callback);
GORT_DEFINE_TYPE(cstr_type, const char *);

Test(types, define_type_fields)
{
    cr_assert_str_eq(gort_type_name(&point_type), "struct point");
    cr_assert_eq(point_type.size, sizeof(struct point));
    cr_assert_eq(point_type.align, _Alignof(struct point));
    cr_assert_eq(point_type.kind, GORT_KIND_STRUCT);
    cr_assert_eq(point_type.nmethods, 0);
    cr_assert_str_eq(gort_type_name(&nodeptr_type), "struct node *");
    cr_assert_eq(nodeptr_type.kind, GORT_KIND_POINTER);
    cr_assert_eq(wide_type.align, 64);
    cr_assert_eq(name8_type.kind, GORT_KIND_STRUCT);
    cr_assert_eq(name8_type.size, 8);
    cr_assert_eq(callback_type.kind, GORT_KIND_POINTER);
    cr_assert_eq(cstr_type.kind, GORT_KIND_POINTER);
    cr_assert_str_eq(gort_type_name(&cstr_type), "const char *");

    name8 n = "gopher";
    struct eface e = gort_box(&name8_type, &n);
    cr_assert_neq(e.data, (void *)n, "an array is copied, not kept as a pointer");
    name8 back;
    cr_assert(gort_unbox(e, &name8_type, &back));
    cr_assert_str_eq(back, "gopher");
}

/* float and double descriptors from GORT_DEFINE_TYPE hash and compare as
 * Go's floats; a struct holding a double stays plain data (bytewise), as
 * gort.h documents. */
typedef double meters;
GORT_DEFINE_TYPE(meters_type, meters);
GORT_DEFINE_TYPE(float_type, float);
struct withdouble { double x; };
GORT_DEFINE_TYPE(withdouble_type, struct withdouble);

Test(types, define_type_float_semantics)
{
    cr_assert_eq(meters_type.kind, GORT_KIND_FLOAT64);
    cr_assert_eq(meters_type.hash, gort_f64hash);
    cr_assert_eq(meters_type.equal, gort_f64equal);
    cr_assert_eq(float_type.kind, GORT_KIND_FLOAT32);
    cr_assert_eq(float_type.hash, gort_f32hash);
    cr_assert_eq(float_type.equal, gort_f32equal);
    cr_assert_eq(withdouble_type.hash, gort_memhash);

    double pz = 0.0, nz = copysign(0.0, -1.0), nan = NAN;
    cr_assert(meters_type.equal(&meters_type, &pz, &nz), "+0 == -0");
    cr_assert_eq(meters_type.hash(&meters_type, &pz, 7), meters_type.hash(&meters_type, &nz, 7));
    cr_assert(!meters_type.equal(&meters_type, &nan, &nan), "NaN != NaN");
    float fz = 0.0f, fnz = copysignf(0.0f, -1.0f), fnan = NAN;
    cr_assert(float_type.equal(&float_type, &fz, &fnz));
    cr_assert_eq(float_type.hash(&float_type, &fz, 7), float_type.hash(&float_type, &fnz, 7));
    cr_assert(!float_type.equal(&float_type, &fnan, &fnan));

    /* as a map key: -0 finds +0, and NaN is never found */
    struct hmap *m = gort_map_new(&meters_type, &gort_type_int64, 0);
    int64_t one = 1;
    gort_map_set(m, &pz, &one);
    cr_assert_not_null(gort_map_get(m, &nz));
    gort_map_set(m, &nan, &one);
    gort_map_set(m, &nan, &one);
    cr_assert_eq(gort_map_len(m), 3);
    cr_assert_null(gort_map_get(m, &nan));
    gort_map_free(m);

    /* the struct compares its bytes */
    struct withdouble a = { pz }, b = { nz }, c = { nan };
    cr_assert(!withdouble_type.equal(&withdouble_type, &a, &b), "bytewise: +0 and -0 differ");
    cr_assert(withdouble_type.equal(&withdouble_type, &c, &c), "bytewise: a NaN equals itself");
}

Test(types, box_unbox_struct)
{
    struct point p = { -3, 1LL << 40, "origin" };
    struct eface e = gort_box(&point_type, &p);
    p.x = 100;
    memcpy(p.label, "changed", 8);
    struct point got;
    memset(&got, 0xff, sizeof got);
    cr_assert(gort_unbox(e, &point_type, &got));
    cr_assert_eq(got.x, -3);
    cr_assert_eq(got.y, 1LL << 40);
    cr_assert_str_eq(got.label, "origin");
    /* hashing and equality are over the bytes */
    struct point q = { -3, 1LL << 40, "origin" };
    cr_assert(point_type.equal(&point_type, e.data, &q));
    cr_assert_eq(point_type.hash(&point_type, e.data, 9), point_type.hash(&point_type, &q, 9));
    /* a struct as a different struct type is refused */
    cr_assert(!gort_unbox(e, &wide_type, &(struct wide){ { 0 } }));
}

Test(types, box_overaligned_and_empty)
{
    struct wide w;
    for (int i = 0; i < 100; i++)
        w.bytes[i] = (unsigned char)i;
    struct eface e = gort_box(&wide_type, &w);
    cr_assert_eq((uintptr_t)e.data % 64, 0, "boxed copy keeps the type's alignment");
    cr_assert(memcmp(e.data, &w, sizeof w) == 0);

    struct empty z;
    struct eface ez = gort_box(&empty_type, &z);
    cr_assert_not_null(ez.data, "zero-size values get a non-NULL data word");
    cr_assert(gort_unbox(ez, &empty_type, &z));

    struct node *n = (struct node *)&w;
    struct eface en = gort_box(&nodeptr_type, &n);
    cr_assert_eq(en.data, (void *)&w);
}

/* ------------------------------------------------------------------ */
/* Method sorting: given unsorted, sorted by name on first use, once. */

static void m_fn(void *self) { (void)self; }
struct many { int x; };
GORT_DEFINE_TYPE(many_type, struct many,
                 GORT_METHOD("Zeta", m_fn), GORT_METHOD("Alpha", m_fn),
                 GORT_METHOD("Mu", m_fn), GORT_METHOD("Beta", m_fn),
                 GORT_METHOD("Alphabet", m_fn), GORT_METHOD("B", m_fn));
GORT_DEFINE_INTERFACE(many_iface, "Many", "Mu", "B", "Alpha");

static void *convert_many(void *arg)
{
    (void)arg;
    struct many v = { 1 };
    struct iface i;
    if (!gort_as_iface(&many_iface, gort_box(&many_type, &v), &i))
        return (void *)1;
    return NULL;
}

Test(types, methods_sorted_once_under_threads)
{
    cr_assert_eq(many_type.nmethods, 6);
    cr_assert_str_eq(many_type.methods[0].name, "Zeta", "unsorted before first use");
    /* Several threads race for the first use: exactly one sorts, the
     * others wait for it (run under TSan by check-unit-tsan). */
    pthread_t th[6];
    for (int i = 0; i < 6; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, convert_many, NULL), 0);
    for (int i = 0; i < 6; i++) {
        void *r;
        pthread_join(th[i], &r);
        cr_assert_null(r);
    }
    const char *want[] = { "Alpha", "Alphabet", "B", "Beta", "Mu", "Zeta" };
    for (int i = 0; i < 6; i++)
        cr_assert_str_eq(many_type.methods[i].name, want[i]);
    cr_assert_eq(many_type.once->done, 2);
    cr_assert_str_eq(many_iface.mhdr[0], "Alpha");
    cr_assert_str_eq(many_iface.mhdr[1], "B");
    cr_assert_str_eq(many_iface.mhdr[2], "Mu");
}

/* A descriptor listing one method twice is caught when first used. */
struct dup { int x; };
GORT_DEFINE_TYPE(dup_type, struct dup, GORT_METHOD("Area", m_fn), GORT_METHOD("Area", m_fn));
GORT_DEFINE_INTERFACE(area_iface, "Areaer", "Area");
static void use_dup(void)
{
    struct dup d = { 0 };
    struct iface i;
    gort_as_iface(&area_iface, gort_box(&dup_type, &d), &i);
}
Test(types, duplicate_method_is_fatal)
{
    expect_abort(use_dup, "fatal error: type struct dup: method Area defined twice");
}

/* ------------------------------------------------------------------ */
Test(types, string_from)
{
    const char *c = "goroutine";
    gort_string s = gort_string_from(c);
    cr_assert_eq(s.str, c, "no copy");
    cr_assert_eq(s.len, 9);
    gort_string e = gort_string_from("");
    cr_assert_eq(e.len, 0);
    gort_string lit = GORT_STR("goroutine");
    cr_assert(gort_type_string.equal(&gort_type_string, &s, &lit));
}

/* ------------------------------------------------------------------ */
/* Misuse: a clear fatal error naming the call. */

static void box_null_type(void) { int64_t v = 1; gort_box(NULL, &v); }
static void box_null_val(void) { gort_box(&gort_type_int64, NULL); }
static void unbox_null_out(void) { int64_t v = 1; gort_unbox(gort_box(&gort_type_int64, &v), &gort_type_int64, NULL); }
static void unbox_null_type(void) { int64_t v = 1; gort_unbox(gort_box(&gort_type_int64, &v), NULL, &v); }
static void string_null(void) { gort_string_from(NULL); }

Test(types, misuse_is_fatal)
{
    expect_abort(box_null_type, "fatal error: gort_box: NULL type");
    expect_abort(box_null_val, "fatal error: gort_box: NULL value pointer (to box a NULL "
                               "int64_t, pass the address of a variable holding it)");
    expect_abort(unbox_null_out, "fatal error: gort_unbox: NULL out pointer");
    expect_abort(unbox_null_type, "fatal error: gort_unbox: NULL type");
    expect_abort(string_null, "fatal error: gort_string_from: NULL string");
}
