/*
 * type.c: the built-in type descriptors, type names, and the one-time
 * sorting of method lists.
 *
 * Descriptors.  A struct rtype says everything the runtime needs to hold a
 * value it knows nothing else about: its size and alignment (to copy it),
 * its kind (a pointer lives in an interface's data word, anything else is
 * boxed), hash and equality (map keys), the C spelling of the type (what a
 * debugger looks up in DWARF to print the value), and its methods.  The
 * built-in descriptors below are the ones API.md lists; their names are
 * spelled exactly as gcc's DWARF names the types ("_Bool", not "bool",
 * because <stdbool.h>'s bool is a macro and DWARF only knows _Bool;
 * "int64_t" is a typedef DWARF carries), so a debugger can find them.
 *
 * Method order.  getitab (iface.c) matches an interface's methods against
 * a type's in a single pass, which needs both lists sorted by name (Go's
 * compiler sorts them; our macros cannot).  So each list is sorted in
 * place the first time the runtime needs it, guarded by the descriptor's
 * struct gort_typeonce:
 *
 *      done: 0 --CAS--> 1 (one thread sorts) --release store--> 2
 *
 * A thread that loses the CAS waits (yielding its CPU) until it reads 2
 * with acquire ordering, which makes the sorted array visible to it.  Once
 * done is 2 the list is never written again, so every later reader needs
 * no lock; and getitab only sorts on its slow path (building an itab), so
 * the check costs nothing on interface conversions that hit the itab
 * cache.  Sorting takes microseconds and never blocks, so the wait is
 * short; it yields the OS thread rather than parking the goroutine because
 * the sorter is on another thread and never parks (gort never preempts a
 * goroutine, so the one sorting runs to the end without a switch, and a
 * waiter on the same thread cannot occur).
 *
 * Names compare with strcmp (byte order), as Go sorts method names.  A
 * list that names a method twice is a programming error, reported once at
 * sort time.  A hand-built descriptor with methods but no once state
 * (once == NULL) must list them sorted already; that is checked instead.
 */
#include "runtime.h"
#include "alg.h"
#include "type.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Built-in descriptors. */

#define BUILTIN(var, ctype, cname, k, h, eq)                                \
    const struct rtype var = {                                              \
        .size = sizeof(ctype),                                              \
        .align = _Alignof(ctype),                                           \
        .kind = (k),                                                        \
        .hash = (h),                                                        \
        .equal = (eq),                                                      \
        .name = (cname),                                                    \
    }

_Static_assert(sizeof(uintptr_t) == 8 && sizeof(void *) == 8,
               "gort supports 64-bit targets: uintptr and pointers hash as 64-bit words");

BUILTIN(gort_type_bool,    bool,        "_Bool",       GORT_KIND_BOOL,    gort_memhash, gort_memequal);
BUILTIN(gort_type_int32,   int32_t,     "int32_t",     GORT_KIND_INT32,   gort_hash32,  gort_equal32);
BUILTIN(gort_type_int64,   int64_t,     "int64_t",     GORT_KIND_INT64,   gort_hash64,  gort_equal64);
BUILTIN(gort_type_uint32,  uint32_t,    "uint32_t",    GORT_KIND_UINT32,  gort_hash32,  gort_equal32);
BUILTIN(gort_type_uint64,  uint64_t,    "uint64_t",    GORT_KIND_UINT64,  gort_hash64,  gort_equal64);
BUILTIN(gort_type_float64, double,      "double",      GORT_KIND_FLOAT64, gort_f64hash, gort_f64equal);
BUILTIN(gort_type_uintptr, uintptr_t,   "uintptr_t",   GORT_KIND_UINTPTR, gort_hash64,  gort_equal64);
BUILTIN(gort_type_pointer, void *,      "void *",      GORT_KIND_POINTER, gort_hash64,  gort_equal64);
BUILTIN(gort_type_string,  gort_string, "gort_string", GORT_KIND_STRING,  gort_strhash, gort_strequal);

/* The type of a nil interface has no descriptor; fmt's %T prints it as
 * "<nil>", and so do we. */
const char *gort_type_name(const struct rtype *t)
{
    if (t == NULL)
        return "<nil>";
    return t->name != NULL ? t->name : "<unnamed type>";
}

/* ------------------------------------------------------------------ */
/* Sorting, once. */

enum { ONCE_TODO = 0, ONCE_SORTING = 1, ONCE_DONE = 2 };

/* Run sort(arg) once for this once-state; every caller returns only when
 * it has finished (on whichever thread ran it). */
static void do_once(struct gort_typeonce *once, void (*sort)(const void *), const void *arg)
{
    if (__atomic_load_n(&once->done, __ATOMIC_ACQUIRE) == ONCE_DONE)
        return;
    uint32_t todo = ONCE_TODO;
    if (__atomic_compare_exchange_n(&once->done, &todo, ONCE_SORTING, false,
                                    __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
        sort(arg);
        __atomic_store_n(&once->done, ONCE_DONE, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&once->done, __ATOMIC_ACQUIRE) != ONCE_DONE)
        sched_yield();
}

static int cmp_method(const void *a, const void *b)
{
    return strcmp(((const struct gort_method *)a)->name,
                  ((const struct gort_method *)b)->name);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Everything wrong with a type's method list, found before it is used.
 * When once is NULL the list cannot be sorted by us and must be sorted. */
static void check_methods(const struct rtype *t, bool must_be_sorted)
{
    const char *tn = gort_type_name(t);
    if (t->methods == NULL)
        gort_fatal("type %s: %u methods but no method table", tn, t->nmethods);
    for (uint32_t i = 0; i < t->nmethods; i++) {
        const struct gort_method *m = &t->methods[i];
        if (m->name == NULL)
            gort_fatal("type %s: method %u has no name", tn, i);
        if (m->fn == NULL)
            gort_fatal("type %s: method %s has no code (NULL fn)", tn, m->name);
        if (i == 0)
            continue;
        int c = strcmp(t->methods[i - 1].name, m->name);
        if (c == 0)
            gort_fatal("type %s: method %s defined twice", tn, m->name);
        if (c > 0 && must_be_sorted)
            gort_fatal("type %s: methods not sorted by name (%s before %s) and no "
                       "once state to sort them (use GORT_DEFINE_TYPE)",
                       tn, t->methods[i - 1].name, m->name);
    }
}

static void sort_type(const void *arg)
{
    const struct rtype *t = arg;
    /* A NULL method name would crash strcmp: check names before sorting,
     * duplicates after (they are then neighbours). */
    for (uint32_t i = 0; i < t->nmethods && t->methods != NULL; i++)
        if (t->methods[i].name == NULL)
            gort_fatal("type %s: method %u has no name", gort_type_name(t), i);
    if (t->methods != NULL)
        qsort(t->methods, t->nmethods, sizeof t->methods[0], cmp_method);
    check_methods(t, false);
}

void gort_type_sorted(const struct rtype *t)
{
    if (t->nmethods == 0)
        return;
    if (t->once == NULL) {
        check_methods(t, true);
        return;
    }
    do_once(t->once, sort_type, t);
}

static void sort_interface(const void *arg)
{
    const struct interfacetype *it = arg;
    const char *in = gort_type_name(&it->typ);
    if (it->mhdr == NULL)
        gort_fatal("interface %s: %u methods but no method names", in, it->nmhdr);
    for (uint32_t i = 0; i < it->nmhdr; i++)
        if (it->mhdr[i] == NULL)
            gort_fatal("interface %s: method %u has no name", in, i);
    qsort(it->mhdr, it->nmhdr, sizeof it->mhdr[0], cmp_name);
    for (uint32_t i = 1; i < it->nmhdr; i++)
        if (strcmp(it->mhdr[i - 1], it->mhdr[i]) == 0)
            gort_fatal("interface %s: method %s listed twice", in, it->mhdr[i]);
}

void gort_interface_sorted(const struct interfacetype *it)
{
    if (it->nmhdr == 0)
        return;
    if (it->mhdr == NULL)
        gort_fatal("interface %s: %u methods but no method names",
                   gort_type_name(&it->typ), it->nmhdr);
    if (it->typ.once == NULL) {
        for (uint32_t i = 1; i < it->nmhdr; i++)
            if (it->mhdr[i - 1] == NULL || it->mhdr[i] == NULL ||
                strcmp(it->mhdr[i - 1], it->mhdr[i]) >= 0)
                gort_fatal("interface %s: method names not sorted and unique, and no "
                           "once state to sort them (use GORT_DEFINE_INTERFACE)",
                           gort_type_name(&it->typ));
        return;
    }
    do_once(it->typ.once, sort_interface, it);
}
