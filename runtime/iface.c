/*
 * iface.c: interface values: boxing (eface), conversion to an interface
 * (iface, through an itab), and the itab cache (Go's iface.c of 2013-2014,
 * seed 001).
 *
 * Values.  An eface is {type, data}; an iface is {tab, data} where tab is
 * the itab of the (interface, concrete type) pair.  The data word follows
 * one rule, whatever the size of the value: a GORT_KIND_POINTER value is
 * the data word itself; any other value is copied to the heap and the data
 * word points to the copy.  A method receives the data word as its first
 * argument, so a method of a pointer type gets the pointer and a method of
 * a struct type gets a pointer to the boxed struct.  (Go of 2013 also kept
 * word-sized non-pointers in the data word; one rule is simpler for
 * methods and for debuggers, which print *data with the type's name.)
 * Boxed copies are never freed: gort has no collector, and an eface may be
 * copied freely, so no single owner could free it.  Box once, keep the
 * eface; do not box in a loop that runs forever.
 *
 * itabs.  An itab holds the interface's methods, in name order, as the
 * concrete type implements them (fun[k]), so a method call through an
 * interface is one load and an indirect call.  getitab builds one by a
 * single pass over the two method lists, both sorted by name (type.c sorts
 * them once): O(ni + nt) string compares, done once per pair, because
 * every itab ever built is kept in a cache and reused, including the
 * negative ones (bad = 1: the type lacks a method), so the comma-ok form
 * gort_as_iface of a failing pair also costs one lookup after the first.
 *
 * The cache.  A fixed table of ITAB_BUCKETS chains (seed 001 had 1009
 * chains; a power of two makes the index a mask).  The number of itabs is
 * the number of (interface, type) pairs a program ever converts, which is
 * bounded by its code, typically tens; 1024 chains keep them one per chain
 * up to hundreds of pairs.  Readers never lock:
 *   - an itab is fully written (inter, type, hash, bad, fun[], link) before
 *     it is published by a release store of the chain head;
 *   - a reader loads the head with acquire ordering and walks the links,
 *     which never change after publication;
 *   - itabs are never freed or moved.
 * Writers take itablock, look again (another thread may have inserted the
 * pair meanwhile, and each pair must have exactly one itab so that tab
 * pointers compare equal), then insert at the head.  So the hit path of
 * gort_as_iface is a multiply for the hash, one acquire load (a plain load
 * on x86-64 and a ldar on arm64), a compare of two words per chain entry
 * and the bad flag: no lock, no atomic read-modify-write, no check that
 * the method lists are sorted (an itab exists only once they are).
 *
 * The hash mixes the two descriptor addresses (descriptors are static and
 * unique per type, so their addresses are the identity Go's compiler-made
 * type hashes stood for): the interface's address rotated by 32 bits (its
 * varying low bits move up) xor the type's, times an odd constant (the
 * golden ratio's), keeping bits 32 and up, where a multiply mixes best:
 * every input bit below 32 reaches them through the carries, and the
 * rotated interface bits land on them directly.  One multiply.
 *
 * Where the hit path runs.  gort.h inlines a probe of the first itab of
 * the pair's chain into the caller (gort__as_iface_fast): about a dozen
 * instructions, no call, results in registers (Go 1.19 pays two calls,
 * assertE2I2 and getitab, for the same lookup).  Anything else calls
 * gort_as_iface here, whose own hit path walks the whole chain as a leaf
 * function saving no registers; only then does the out-of-line slow path
 * handle nil, misuse and first use.  The hash function and the table size
 * are therefore in gort.h, shared by both.
 */
#include "runtime.h"
#include "type.h"

#include <stdlib.h>
#include <string.h>

enum { ITAB_BUCKETS = GORT__ITAB_BUCKETS };     /* gort.h: its inline probe shares them */

/* Chain heads of the itab cache; a debugger can list every itab from here.
 * Written only under itablock, with release stores; read with acquire
 * loads. */
struct itab *gort_itabtable[ITAB_BUCKETS];
static gort_lock itablock;

/* itabs built so far, each by one matching pass over the two method
 * lists (type.h): a test reads it to see that a cached pair, negative or
 * not, is answered without another pass.  Bumped under itablock, so only
 * on the slow path. */
uint64_t gort_itab_builds;

/* What a zero-size value's data word points at (as Go's zerobase): some
 * non-NULL address, shared by all of them. */
static uintptr_t zerobase;

/* The hash is in gort.h, shared with the inline probe there. */
#define itabhash gort__itabhash

static inline struct itab *itab_find(const struct interfacetype *inter,
                                     const struct rtype *t, uint32_t h)
{
    struct itab *m = __atomic_load_n(&gort_itabtable[h & (ITAB_BUCKETS - 1)], __ATOMIC_ACQUIRE);
    for (; m != NULL; m = m->link)
        if (m->inter == inter && m->type == t)
            return m;
    return NULL;
}

/* The one sorted pass: for each interface method in name order, advance
 * through the type's methods (also in name order) until the name is found
 * or passed.  Fills m->fun when m is not NULL.  Returns the first
 * interface method the type lacks, or NULL when it has them all. */
static const char *itab_match(const struct interfacetype *inter, const struct rtype *t,
                              struct itab *m)
{
    uint32_t j = 0;
    for (uint32_t k = 0; k < inter->nmhdr; k++) {
        const char *iname = inter->mhdr[k];
        for (;;) {
            if (j == t->nmethods)
                return iname;
            int c = strcmp(t->methods[j].name, iname);
            if (c > 0)
                return iname;       /* passed where it would be: absent */
            j++;
            if (c == 0) {
                if (m != NULL)
                    m->fun[k] = t->methods[j - 1].fn;
                break;
            }
        }
    }
    return NULL;
}

static void check_interface(const struct interfacetype *inter, const char *call)
{
    if (inter == NULL)
        gort_fatal("%s: NULL interface type", call);
    if (inter->typ.kind != GORT_KIND_INTERFACE)
        gort_fatal("%s: %s is not an interface type (define it with GORT_DEFINE_INTERFACE)",
                   call, gort_type_name(&inter->typ));
}

static void check_type(const struct rtype *t, const char *call)
{
    if (t->kind == GORT_KIND_INVALID || t->kind > GORT_KIND_CHAN)
        gort_fatal("%s: %p is not a type descriptor (kind %u)", call, (const void *)t, t->kind);
}

/* The cache miss path: validate, sort, build, insert (or find what another
 * thread inserted meanwhile).  Returns the itab, or NULL when t lacks a
 * method and canfail; panics like Go when it lacks one and !canfail. */
static __attribute__((noinline)) struct itab *
getitab(const struct interfacetype *inter, const struct rtype *t, bool canfail, const char *call)
{
    check_interface(inter, call);
    check_type(t, call);
    gort_interface_sorted(inter);
    gort_type_sorted(t);

    uint32_t h = itabhash(inter, t);
    lock(&itablock);
    struct itab *m = itab_find(inter, t, h);
    if (m == NULL) {
        m = gort_calloc(1, sizeof *m + inter->nmhdr * sizeof m->fun[0]);
        m->inter = inter;
        m->type = t;
        m->hash = h;
        m->nfun = inter->nmhdr;
        __atomic_fetch_add(&gort_itab_builds, 1, __ATOMIC_RELAXED);
        if (itab_match(inter, t, m) != NULL) {
            m->bad = 1;
            memset(m->fun, 0, inter->nmhdr * sizeof m->fun[0]);
        }
        struct itab **head = &gort_itabtable[h & (ITAB_BUCKETS - 1)];
        m->link = *head;
        __atomic_store_n(head, m, __ATOMIC_RELEASE);
    }
    unlock(&itablock);

    if (!m->bad)
        return m;
    if (canfail)
        return NULL;
    /* The cached negative result does not say which method is missing;
     * one more pass finds it for the message. */
    gort_panic("interface conversion: %s is not %s: missing method %s",
               gort_type_name(t), gort_type_name(&inter->typ), itab_match(inter, t, NULL));
}

/* ------------------------------------------------------------------ */
/* Conversions. */

/* Everything but a cache hit of a valid call: misuse, nil, first use of
 * the pair, a cached negative answer.  Kept out of line so that the hit
 * path stays a leaf function that saves no registers. */
static __attribute__((noinline)) bool
as_iface_slow(const struct interfacetype *it, struct eface e, struct iface *out)
{
    if (it == NULL || out == NULL)
        gort_fatal("gort_as_iface: NULL %s", it == NULL ? "interface type" : "out pointer");
    struct itab *m = NULL;
    if (e.type != NULL) {
        m = itab_find(it, e.type, itabhash(it, e.type));
        if (m == NULL)
            m = getitab(it, e.type, true, "gort_as_iface");
        else if (m->bad)
            m = NULL;
    }
    if (m == NULL) {
        *out = (struct iface){ NULL, NULL };
        return false;
    }
    *out = (struct iface){ m, e.data };
    return true;
}

/* (no SLP vectorizing: gcc would pack the two result words into an xmm
 * register for one 16-byte store, four instructions instead of two) */
__attribute__((optimize("no-tree-slp-vectorize")))
bool (gort_as_iface)(const struct interfacetype *it, struct eface e, struct iface *out)
{
    /* A NULL it or a nil e (NULL type) needs no test here: no itab has a
     * NULL inter or type, so the lookup misses and the slow path sorts
     * them out.  out must be tested: a hit writes through it. */
    struct itab *m = itab_find(it, e.type, itabhash(it, e.type));
    if (__builtin_expect(m != NULL && !m->bad && out != NULL, 1)) {
        out->tab = m;
        out->data = e.data;
        return true;
    }
    return as_iface_slow(it, e, out);
}

struct iface (gort_to_iface)(const struct interfacetype *it, struct eface e)
{
    if (it == NULL)
        gort_fatal("gort_to_iface: NULL interface type");
    if (e.type == NULL)
        gort_panic("interface conversion: interface is nil, not %s", gort_type_name(&it->typ));
    struct itab *m = itab_find(it, e.type, itabhash(it, e.type));
    if (m == NULL || m->bad)
        m = getitab(it, e.type, false, "gort_to_iface");
    return (struct iface){ m, e.data };
}

void (*(gort_iface_method)(struct iface i, int k))(void)
{
    if (i.tab == NULL)
        gort_fatal("gort_iface_method: method %d called on a nil interface value", k);
    if (i.tab->bad)
        gort_fatal("gort_iface_method: %p is a negative itab (%s does not implement %s)",
                   (void *)i.tab, gort_type_name(i.tab->type), gort_type_name(&i.tab->inter->typ));
    if (k < 0 || (uint32_t)k >= i.tab->nfun)
        gort_fatal("gort_iface_method: method index %d out of range: interface %s has %u method%s",
                   k, gort_type_name(&i.tab->inter->typ), i.tab->nfun, i.tab->nfun == 1 ? "" : "s");
    return i.tab->fun[k];
}

/* ------------------------------------------------------------------ */
/* Boxing. */

static void *alloc_value(const struct rtype *t)
{
    if (t->size == 0)
        return &zerobase;
    if (t->align <= _Alignof(max_align_t))
        return gort_malloc(t->size);
    void *p = NULL;
    if (posix_memalign(&p, t->align, t->size) != 0)
        gort_fatal("gort_box: out of memory boxing %zu bytes of %s", (size_t)t->size,
                   gort_type_name(t));
    return p;
}

struct eface (gort_box)(const struct rtype *t, const void *val)
{
    if (t == NULL)
        gort_fatal("gort_box: NULL type");
    if (val == NULL)
        gort_fatal("gort_box: NULL value pointer (to box a NULL %s, pass the address of a "
                   "variable holding it)", gort_type_name(t));
    check_type(t, "gort_box");
    if (t->kind == GORT_KIND_INTERFACE)
        gort_fatal("gort_box: %s is an interface type; box the value inside it",
                   gort_type_name(t));
    if (t->kind == GORT_KIND_POINTER) {
        if (t->size != sizeof(void *))
            gort_fatal("gort_box: pointer type %s has size %zu", gort_type_name(t),
                       (size_t)t->size);
        void *p;
        memcpy(&p, val, sizeof p);
        return (struct eface){ t, p };
    }
    void *copy = alloc_value(t);
    memcpy(copy, val, t->size);
    return (struct eface){ t, copy };
}

bool (gort_unbox)(struct eface e, const struct rtype *t, void *out)
{
    if (t == NULL)
        gort_fatal("gort_unbox: NULL type");
    if (out == NULL)
        gort_fatal("gort_unbox: NULL out pointer");
    if (e.type != t) {
        memset(out, 0, t->size);    /* Go's v, ok := x.(T): v is T's zero value */
        return false;
    }
    if (t->kind == GORT_KIND_POINTER)
        memcpy(out, &e.data, sizeof e.data);
    else
        memcpy(out, e.data, t->size);
    return true;
}
