/*
 * gort.h: the public API of libgort, a Go-style runtime for C that debuggers
 * understand.  ../shared/API.md is the contract; every name listed there is
 * declared here with exactly that signature.  Layouts that a program must be
 * able to allocate itself (type descriptors, interfaces, closures, mutexes,
 * wait groups, map iterators, select cases) are spelled out here; the rest
 * (struct g, struct hchan, struct hmap, ...) are opaque to programs and
 * described to debuggers by DWARF.
 *
 * Every call checks its arguments and reports misuse as
 *     fatal error: gort_chan_send: NULL element pointer
 * naming the call, then a goroutine dump and abort().
 *
 * Sections: entry and goroutines, closures, types, maps, channels and select,
 * interfaces, sync, defer.
 */
#ifndef GORT_H
#define GORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every file that includes this header refers to gort_debuginfo, so the
 * linker takes runtime/debuginfo.o (every runtime type in DWARF, gdb's
 * auto-load entry) into any program linked with libgort, whatever part of
 * the runtime it uses.  An undefined symbol only: no code, no data, and
 * no relocation, so a program that includes this header without linking
 * libgort still links.  GORT_NO_DEBUGINFO_REF turns it off. */
#ifndef GORT_NO_DEBUGINFO_REF
__asm__(".globl gort_debuginfo");
#endif

struct funcval;
struct rtype;
struct hmap;
struct hchan;
struct sudog;
struct itab;
struct interfacetype;

/* ---------------------------------------------------------------------
 * Entry, goroutines, time
 * ------------------------------------------------------------------- */

/* Start the runtime (GORTMAXPROCS worker threads, default: number of CPUs),
 * run main_fn(argc, argv) as goroutine 1 and return its result when it
 * returns.  Goroutines still running then are abandoned, as in Go.  Call it
 * once, from the process's main thread. */
int     gort_main(int (*main_fn)(int argc, char **argv), int argc, char **argv);

/* Start a goroutine running fn(arg); returns its id (ids count up from 1,
 * which is main_fn's goroutine).  The creation site (the caller's pc) is
 * recorded for debuggers ("created by"). */
int64_t gort_go(void (*fn)(void *arg), void *arg);
/* Start a goroutine running the closure f (see gort_call). */
int64_t gort_go_func(struct funcval *f);
int64_t gort_goid(void);               /* id of the calling goroutine, 0 outside one */
void    gort_yield(void);              /* let other runnable goroutines run */
void    gort_sleep(int64_t ns);        /* park for at least ns nanoseconds */
int64_t gort_nanotime(void);           /* CLOCK_MONOTONIC in nanoseconds */
int     gort_numgoroutine(void);       /* goroutines that exist (not dead) */
/* "panic: <msg>", pending defers run, goroutine dump, abort(). */
_Noreturn void gort_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------------------
 * Closures
 *
 * A func value is a pointer to a funcval whose first word is the code
 * pointer; the captured variables follow it (Go's funcval, seed 002).
 * gort_closure_new puts a small header holding the closure's type
 * descriptor right before the funcval, so a debugger can name the captured
 * variables and their types.
 * ------------------------------------------------------------------- */

struct funcval {
    void (*fn)(void);
    /* captured variables follow */
};

/* Calls ((void (*)(struct funcval *))f->fn)(f).  A closure with other
 * arguments or a result is called the same way, with its own signature:
 * ((int64_t (*)(struct funcval *, int64_t))f->fn)(f, x). */
void gort_call(struct funcval *f);

/* ---------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------- */

typedef struct gort_string {
    const char *str;
    intptr_t    len;
} gort_string;

#define GORT_STR(literal) ((gort_string){ "" literal, (intptr_t)sizeof(literal) - 1 })
gort_string gort_string_from(const char *cstr);   /* no copy */

/* Kinds of type descriptor.  Debuggers read this enum from DWARF. */
enum gort_kind {
    GORT_KIND_INVALID = 0,
    GORT_KIND_BOOL,
    GORT_KIND_INT8, GORT_KIND_INT16, GORT_KIND_INT32, GORT_KIND_INT64,
    GORT_KIND_UINT8, GORT_KIND_UINT16, GORT_KIND_UINT32, GORT_KIND_UINT64,
    GORT_KIND_UINTPTR,
    GORT_KIND_FLOAT32, GORT_KIND_FLOAT64,
    GORT_KIND_STRING,        /* gort_string */
    GORT_KIND_POINTER,       /* any pointer type: stored directly in an interface's data word */
    GORT_KIND_STRUCT,        /* plain data: memory hash and equality */
    GORT_KIND_CLOSURE,       /* a GORT_CLOSURE struct */
    GORT_KIND_INTERFACE,     /* a struct interfacetype */
    GORT_KIND_MAP,           /* a struct maptype */
    GORT_KIND_CHAN,          /* a struct chantype */
};

typedef uintptr_t (*gort_hashfn)(const struct rtype *t, const void *p, uintptr_t seed);
typedef bool      (*gort_equalfn)(const struct rtype *t, const void *a, const void *b);

/* A method: its name and its code.  The code takes the interface's data
 * word as its first argument: the pointer itself for a pointer type, a
 * pointer to the boxed copy for any other type. */
struct gort_method {
    const char *name;
    void (*fn)(void);
};

/* The mutable part of a type descriptor: the runtime sorts the methods by
 * name once, before first use (a macro cannot sort at compile time). */
struct gort_typeonce {
    uint32_t done;           /* 0, then 1 while sorting, then 2 */
};

/* A type descriptor.  `name` is the type's C spelling ("struct point",
 * "int64_t", "gort_string", "struct T1 *"): what a debugger looks up in
 * DWARF to print a value of this type. */
struct rtype {
    uintptr_t            size;
    uint32_t             align;
    uint8_t              kind;        /* enum gort_kind */
    uint8_t              tflag;       /* reserved, 0 */
    uint16_t             nmethods;
    gort_hashfn          hash;
    gort_equalfn         equal;
    const char          *name;
    struct gort_method  *methods;     /* nmethods entries, sorted by name on first use */
    struct gort_typeonce *once;       /* sorting state; NULL: methods are given sorted */
};
/* Types are identified by the address of their descriptor: two descriptors
 * of one C type are two types (as two named types in Go). */

extern const struct rtype gort_type_bool, gort_type_int32, gort_type_int64,
    gort_type_uint32, gort_type_uint64, gort_type_float64, gort_type_uintptr,
    gort_type_pointer, gort_type_string;

const char *gort_type_name(const struct rtype *t);

/* Hash and equality of plain data (the bytes of the value). */
uintptr_t gort_memhash(const struct rtype *t, const void *p, uintptr_t seed);
bool      gort_memequal(const struct rtype *t, const void *a, const void *b);
/* Hash and equality of floats, as Go's: +0 == -0 (and they hash alike),
 * NaN != NaN (and each NaN hashes at random). */
uintptr_t gort_f32hash(const struct rtype *t, const void *p, uintptr_t seed);
bool      gort_f32equal(const struct rtype *t, const void *a, const void *b);
uintptr_t gort_f64hash(const struct rtype *t, const void *p, uintptr_t seed);
bool      gort_f64equal(const struct rtype *t, const void *a, const void *b);

/* Kind of a C type, at compile time. */
#define GORT__KIND_OF(ctype) _Generic(*(ctype *)0,                         \
    _Bool: GORT_KIND_BOOL,                                                  \
    int8_t: GORT_KIND_INT8, int16_t: GORT_KIND_INT16,                       \
    int32_t: GORT_KIND_INT32, int64_t: GORT_KIND_INT64,                     \
    uint8_t: GORT_KIND_UINT8, uint16_t: GORT_KIND_UINT16,                   \
    uint32_t: GORT_KIND_UINT32, uint64_t: GORT_KIND_UINT64,                 \
    float: GORT_KIND_FLOAT32, double: GORT_KIND_FLOAT64,                    \
    gort_string: GORT_KIND_STRING,                                          \
    default: (GORT__IS_POINTER(ctype) ? GORT_KIND_POINTER : GORT_KIND_STRUCT))
/* A pointer type, not an array type (gcc classifies both as pointers, an
 * array because it decays; only a real pointer type keeps its type through
 * the conditional operator).  An array is plain data, copied when boxed. */
#define GORT__IS_POINTER(ctype)                                             \
    (__builtin_classify_type(*(ctype *)0) == 5 /* pointer_type_class */ &&  \
     __builtin_types_compatible_p(__typeof__(0 ? *(ctype *)0 : *(ctype *)0), ctype))

#define GORT_METHOD(name, fn) { (name), (void (*)(void))(fn) }

/* Hash and equality of a C type, at compile time: Go's float semantics for
 * float and double, the bytes of the value for everything else. */
#define GORT__HASH_OF(ctype) _Generic(*(ctype *)0,                         \
    float: gort_f32hash, double: gort_f64hash, default: gort_memhash)
#define GORT__EQUAL_OF(ctype) _Generic(*(ctype *)0,                        \
    float: gort_f32equal, double: gort_f64equal, default: gort_memequal)

/* GORT_DEFINE_TYPE(var, ctype, GORT_METHOD("Name", fn)...) defines
 * `const struct rtype var` describing ctype.  Use it at file scope,
 * without a storage class (var has external linkage).  A float or double
 * hashes and compares as in Go (+0 == -0, NaN != NaN); anything else is
 * plain data: hash and equality cover every byte, padding included (zero a
 * padded struct with memset before filling it if it is compared or used
 * as a map key).  So a struct with float members compares bytewise (+0 and
 * -0 differ, a NaN equals itself): a macro cannot see a struct's members.
 * Give such a type its own hash and equality with GORT_DEFINE_TYPE_ALG. */
#define GORT_DEFINE_TYPE(var, ctype, ...)                                   \
    GORT_DEFINE_TYPE_ALG(var, ctype, GORT__HASH_OF(ctype), GORT__EQUAL_OF(ctype), \
                         __VA_ARGS__)

/* GORT_DEFINE_TYPE with the hash and equality functions given
 * (gort_hashfn, gort_equalfn): for a type whose equality is not that of
 * its bytes, e.g. a struct with a double member compared as a double.
 * Equal values must hash alike; hash each member with its own type's
 * descriptor (gort_memhash reads t->size bytes):
 *     struct pt { double x; int64_t id; };
 *     static uintptr_t pt_hash(const struct rtype *t, const void *p, uintptr_t seed)
 *     {
 *         const struct pt *v = p;
 *         (void)t;
 *         seed = gort_type_int64.hash(&gort_type_int64, &v->id, seed);
 *         return gort_type_float64.hash(&gort_type_float64, &v->x, seed);
 *     }
 * A map keyed by such a type treats the key as Go treats a struct with a
 * float member: an update rewrites the stored key (m[-0] = v leaves -0). */
#define GORT_DEFINE_TYPE_ALG(var, ctype, hashfn, equalfn, ...)              \
    static struct gort_method gort__methods_##var[] = {                     \
        { 0, 0 }, __VA_ARGS__ };                                            \
    static struct gort_typeonce gort__once_##var;                           \
    const struct rtype var = {                                              \
        .size = sizeof(ctype),                                              \
        .align = _Alignof(ctype),                                           \
        .kind = GORT__KIND_OF(ctype),                                       \
        .nmethods = sizeof(gort__methods_##var) / sizeof(struct gort_method) - 1, \
        .hash = (hashfn),                                                   \
        .equal = (equalfn),                                                 \
        .name = #ctype,                                                     \
        .methods = gort__methods_##var + 1,                                 \
        .once = &gort__once_##var,                                          \
    }

/* ---------------------------------------------------------------------
 * Closures (continued): declaring and allocating them
 * ------------------------------------------------------------------- */

/* What gort_closure_new puts right before the funcval. */
struct gort_closurehdr {
    const struct rtype *type;     /* the closure struct's descriptor */
    uintptr_t           magic;    /* GORT_CLOSURE_MAGIC: tells debuggers the header is there */
};
#define GORT_CLOSURE_MAGIC ((uintptr_t)0x676f7274636c6f73ull)   /* "gortclos" */

/* GORT_CLOSURE(adder, int64_t k;) declares
 *     struct adder { struct funcval fv; int64_t k; };
 * and a type descriptor naming it for debuggers.  Use it at file scope.
 * The anchor, a kept pointer of type struct adder *, makes the compiler
 * describe the struct in DWARF even when the program never names it in a
 * variable, so a debugger can always cast a funcval to it. */
#define GORT_CLOSURE(tag, ...)                                              \
    struct tag { struct funcval fv; __VA_ARGS__ };                          \
    __attribute__((used, unused)) static struct tag *const                  \
    gort__closure_anchor_##tag = 0;                                         \
    __attribute__((used, unused)) static const struct rtype                 \
    gort__closure_type_##tag = {                                            \
        .size = sizeof(struct tag),                                         \
        .align = _Alignof(struct tag),                                      \
        .kind = GORT_KIND_CLOSURE,                                          \
        .hash = 0, .equal = 0,                                              \
        .name = "struct " #tag,                                             \
    }

void *gort_closure_alloc(const struct rtype *t, void (*fn)(void));
/* -> struct name *, zeroed, fv.fn set */
#define gort_closure_new(name, fnptr)                                       \
    ((struct name *)gort_closure_alloc(&gort__closure_type_##name,          \
                                       (void (*)(void))(fnptr)))
void gort_closure_free(void *closure);

/* ---------------------------------------------------------------------
 * Maps (not safe for concurrent writes; concurrent misuse is detected)
 * ------------------------------------------------------------------- */

struct hmap *gort_map_new(const struct rtype *key, const struct rtype *elem, size_t hint);
void   gort_map_free(struct hmap *m);
void  *gort_map_get(struct hmap *m, const void *key);          /* NULL if absent */
void  *gort_map_set(struct hmap *m, const void *key, const void *elem);
                                                                /* where elem is stored */
bool   gort_map_delete(struct hmap *m, const void *key);       /* false if absent */
size_t gort_map_len(const struct hmap *m);

/* Iterator state, kept on the caller's stack: Go's hiter, under the name
 * API.md gives it.  struct gort_map_iter is what programs declare
 * (`struct gort_map_iter it;` or `gort_map_iter it;`); it only wraps
 * struct hiter, so a debugger finds Go's hiter by its Go name.  Fields
 * are private to map.c. */
struct hiter {
    void        *key;
    void        *elem;
    struct hmap *h;
    void        *buckets;       /* bucket array at iterator start */
    void        *bptr;          /* current bucket */
    void        *overflow0;     /* reserved */
    uintptr_t    startbucket;
    uintptr_t    bucket;
    uintptr_t    checkbucket;
    uint8_t      offset;
    uint8_t      wrapped;
    uint8_t      B;
    uint8_t      i;
    uint32_t     reserved;
};
struct gort_map_iter {
    struct hiter hiter;
};
typedef struct gort_map_iter gort_map_iter;
void   gort_map_iter_init(gort_map_iter *it, struct hmap *m);
bool   gort_map_next(gort_map_iter *it, void **key, void **elem);

/* ---------------------------------------------------------------------
 * Typed maps (owned by the map work; an extension of API.md)
 *
 * GORT_MAP_DECLARE(name, K, V, ktype, vtype), at file scope, declares
 *     struct name_bucket { uint8_t tophash[8]; K keys[8]; V elems[8];
 *                          struct bmap *overflow; };
 * (the layout of the runtime's buckets for this map type, which DWARF then
 * describes: the map names it, so a debugger prints buckets as K and V, as
 * Go's linker synthesizes bucket<K,V>), and typed wrappers:
 *     struct hmap *name_new(size_t hint);
 *     V   *name_get(struct hmap *m, K key);          NULL if absent
 *     V   *name_set(struct hmap *m, K key, V elem);  where elem is stored
 *     bool name_delete(struct hmap *m, K key);
 *     bool name_next(gort_map_iter *it, K **key, V **elem);
 * ktype and vtype are the descriptors (gort_type_int64, or one made with
 * GORT_DEFINE_TYPE); name_new is fatal when sizeof(K) or sizeof(V) is not
 * the size its descriptor gives.  K and V must each be at most 128 bytes (larger ones
 * are stored out of line, so the bucket would not hold them).
 * ------------------------------------------------------------------- */

/* gort_map_new that records the C name and size of the map's bucket
 * struct, and checks sizeof(K) and sizeof(V) against the descriptors
 * (each size 0: unchecked); fatal, naming call, if they disagree with the
 * descriptors or the runtime's layout. */
struct hmap *gort__map_new_named(const char *call, const struct rtype *key,
                                 const struct rtype *elem, size_t hint,
                                 const char *bucketname, size_t bucketsize,
                                 size_t ksize, size_t vsize);

#define GORT__ALIGNUP(x, a) (((x) + (a) - 1) / (a) * (a))
#define GORT_MAP_DECLARE(name, K, V, ktype, vtype)                          \
    struct name##_bucket {                                                  \
        uint8_t      tophash[8];                                            \
        K            keys[8];                                               \
        V            elems[8];                                              \
        struct bmap *overflow;                                              \
    };                                                                      \
    _Static_assert(sizeof(K) <= 128 && sizeof(V) <= 128,                    \
                   "GORT_MAP_DECLARE: K and V must be at most 128 bytes");  \
    _Static_assert(offsetof(struct name##_bucket, keys) ==                  \
                   GORT__ALIGNUP(8, _Alignof(K)), "bucket layout");         \
    /* keeps struct name_bucket in DWARF */                                 \
    __attribute__((used, unused)) static struct name##_bucket *const        \
        gort__bucketanchor_##name = 0;                                      \
    static inline struct hmap *name##_new(size_t hint) {                    \
        return gort__map_new_named(#name "_new", &(ktype), &(vtype), hint,  \
                                   "struct " #name "_bucket",               \
                                   sizeof(struct name##_bucket),            \
                                   sizeof(K), sizeof(V));                   \
    }                                                                       \
    static inline V *name##_get(struct hmap *m, K key) {                    \
        return (V *)gort_map_get(m, &key);                                  \
    }                                                                       \
    static inline V *name##_set(struct hmap *m, K key, V elem) {            \
        return (V *)gort_map_set(m, &key, &elem);                           \
    }                                                                       \
    static inline bool name##_delete(struct hmap *m, K key) {               \
        return gort_map_delete(m, &key);                                    \
    }                                                                       \
    static inline bool name##_next(gort_map_iter *it, K **key, V **elem) {  \
        return gort_map_next(it, (void **)key, (void **)elem);              \
    }                                                                       \
    struct gort__map_declared_##name

/* ---------------------------------------------------------------------
 * Channels and select
 * ------------------------------------------------------------------- */

struct hchan *gort_chan_new(const struct rtype *elem, size_t cap);
void   gort_chan_free(struct hchan *c);
void   gort_chan_send(struct hchan *c, const void *elem);   /* panics if closed */
bool   gort_chan_recv(struct hchan *c, void *elem);         /* false: closed and drained (elem zeroed) */
bool   gort_chan_trysend(struct hchan *c, const void *elem);
bool   gort_chan_tryrecv(struct hchan *c, void *elem, bool *ok); /* true if a receive happened */
void   gort_chan_close(struct hchan *c);
size_t gort_chan_len(struct hchan *c);
size_t gort_chan_cap(struct hchan *c);
struct hchan *gort_after(int64_t ns);   /* receives one int64 (gort_nanotime) after ns */

enum { GORT_SEND = 1, GORT_RECV = 2 };
typedef struct gort_case {
    struct hchan *c;
    int           dir;     /* GORT_SEND or GORT_RECV */
    void         *elem;    /* value to send / where to receive (may be NULL for recv) */
    bool          ok;      /* recv: false when the channel was closed and drained */
} gort_case;
/* Index of the case that ran; -1 when !block and none was ready.  A NULL
 * channel never proceeds; zero cases with block blocks forever. */
int    gort_select(gort_case *cases, int ncases, bool block);

/* ---------------------------------------------------------------------
 * Interfaces
 * ------------------------------------------------------------------- */

struct eface {
    const struct rtype *type;
    void               *data;    /* the value itself for GORT_KIND_POINTER, else a pointer to a copy */
};
typedef struct eface gort_any;

/* An interface type: its name and its method names (sorted by the runtime
 * on first use). */
struct interfacetype {
    struct rtype  typ;           /* typ.name is the interface's name, kind GORT_KIND_INTERFACE */
    const char  **mhdr;          /* method names */
    uint32_t      nmhdr;
};

/* The method table of a (concrete type, interface) pair.  fun[k] is the
 * k-th method of the interface in name order.  Made once per pair by the
 * runtime, never changed or freed afterwards. */
struct itab {
    const struct interfacetype *inter;
    const struct rtype         *type;
    struct itab                *link;     /* next in the itab cache's bucket */
    uint32_t                    hash;
    uint32_t                    bad;      /* type lacks a method: cached negative result */
    uint32_t                    nfun;     /* entries in fun (inter->nmhdr) */
    void                      (*fun[])(void);
};

struct iface {
    struct itab *tab;
    void        *data;
};

/* GORT_DEFINE_INTERFACE(shape_iface, "Shape", "Area", "Name") defines
 * `const struct interfacetype shape_iface`.  Use it at file scope, without
 * a storage class: like a type descriptor, an interface type is identified
 * by its address (the itab cache is keyed by it), so it must live as long
 * as the program. */
#define GORT_DEFINE_INTERFACE(var, iname, ...)                              \
    static const char *gort__imethods_##var[] = { __VA_ARGS__ };            \
    static struct gort_typeonce gort__ionce_##var;                          \
    const struct interfacetype var = {                                      \
        .typ = { .size = sizeof(struct iface), .align = _Alignof(struct iface), \
                 .kind = GORT_KIND_INTERFACE, .name = iname,                \
                 .once = &gort__ionce_##var },                              \
        .mhdr = gort__imethods_##var,                                       \
        .nmhdr = sizeof(gort__imethods_##var) / sizeof(const char *),       \
    }

/* Box the value at val (a pointer to a variable of type t).  A pointer
 * type's value becomes the data word; any other value is copied to the
 * heap (never freed: gort has no collector) and data points to the copy. */
struct eface gort_box(const struct rtype *t, const void *val);    /* copies val */
/* Go's v, ok := e.(T): true and the value in *out when e holds a t (the
 * same descriptor), else false and *out zeroed.  A nil e holds no type. */
bool   gort_unbox(struct eface e, const struct rtype *t, void *out);
/* Go's e.(I).  Panics like Go: "interface conversion: T is not I: missing
 * method M" ("interface is nil, not I" for a nil e). */
struct iface gort_to_iface(const struct interfacetype *it, struct eface e);
/* Go's i, ok := e.(I): false and *out nil when e is nil or lacks a method. */
bool   gort_as_iface(const struct interfacetype *it, struct eface e, struct iface *out);
/* k-th method of the interface, methods ordered by name.  Call it with the
 * data word first: ((double (*)(void *))gort_iface_method(i, 0))(i.data). */
void (*gort_iface_method(struct iface i, int k))(void);

/* Inline fast paths.  A method call through an interface and a concrete
 * type assertion are a few instructions in Go; a call into the library
 * would cost more than the work.  So the common case (valid arguments,
 * a pointer-typed value) is inlined here and everything else goes to the
 * real functions above, which check their arguments and report misuse.
 * (gort_call)(f), (gort_unbox)(...), &gort_iface_method etc. name the
 * real functions.  gort_to_iface is not inlined: a conversion that may
 * panic is not a loop body. */
static inline __attribute__((always_inline))
void (*gort__iface_method_fast(struct iface i, int k))(void)
{
    if (__builtin_expect(i.tab != 0 && (uint32_t)k < i.tab->nfun, 1))
        return i.tab->fun[k];
    return (gort_iface_method)(i, k);
}
#define gort_iface_method(i, k) gort__iface_method_fast((i), (k))

/* out is a pointer variable when t is a pointer type, but gcc cannot
 * know that at a call site passing, say, an int32_t (where the branch is
 * never taken) and would warn about a store past a smaller object. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
static inline __attribute__((always_inline))
bool gort__unbox_fast(struct eface e, const struct rtype *t, void *out)
{
    if (__builtin_expect(e.type == t && t != 0 && out != 0 &&
                         t->kind == GORT_KIND_POINTER, 1)) {
        __builtin_memcpy(out, &e.data, sizeof e.data);
        return true;
    }
    return (gort_unbox)(e, t, out);
}
#pragma GCC diagnostic pop
#define gort_unbox(e, t, out) gort__unbox_fast((e), (t), (out))

/* x.(I) from an eface: the itab cache lookup (iface.c's essay has the
 * cache's design).  Inlined: the first itab of the pair's chain, which is
 * the only one unless two pairs share a chain; anything else (a miss, a
 * later chain entry, a negative itab, a nil e, misuse) goes to the real
 * gort_as_iface.  Only acquire loads of published, immutable itabs: no
 * lock, no write but to *out. */
enum { GORT__ITAB_BUCKETS = 1024 };     /* a power of two */
extern struct itab *gort_itabtable[GORT__ITAB_BUCKETS];
static inline uint32_t gort__itabhash(const struct interfacetype *inter, const struct rtype *t)
{
    uint64_t i = (uint64_t)(uintptr_t)inter;
    uint64_t x = ((uint64_t)(uintptr_t)t ^ (i << 32 | i >> 32)) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(x >> 32);
}
static inline __attribute__((always_inline))
bool gort__as_iface_fast(const struct interfacetype *it, struct eface e, struct iface *out)
{
    uint32_t h = gort__itabhash(it, e.type) & (GORT__ITAB_BUCKETS - 1);
    struct itab *m = __atomic_load_n(&gort_itabtable[h], __ATOMIC_ACQUIRE);
    if (__builtin_expect(m != 0 && m->inter == it && m->type == e.type &&
                         !m->bad && out != 0, 1)) {
        out->tab = m;
        out->data = e.data;
        return true;
    }
    return (gort_as_iface)(it, e, out);
}
#define gort_as_iface(it, e, out) gort__as_iface_fast((it), (e), (out))

static inline __attribute__((always_inline))
void gort__call_fast(struct funcval *f)
{
    if (__builtin_expect(f != 0 && f->fn != 0, 1))
        ((void (*)(struct funcval *))f->fn)(f);
    else
        (gort_call)(f);
}
#define gort_call(f) gort__call_fast(f)

/* ---------------------------------------------------------------------
 * Sync
 * ------------------------------------------------------------------- */

/* A list of parked goroutines (sudogs), as in the channel's recvq/sendq. */
struct waitq {
    struct sudog *first;
    struct sudog *last;
};

/* A mutex that parks goroutines, never the worker thread. */
typedef struct gort_mutex {
    uint32_t     state;      /* private to sema.c */
    uint32_t     lock;       /* protects waiters */
    int64_t      owner;      /* goid of the holder while state says locked (for debuggers) */
    struct waitq waiters;
} gort_mutex;
#define GORT_MUTEX_INIT { 0, 0, 0, { 0, 0 } }
void gort_mutex_lock(gort_mutex *mu);
void gort_mutex_unlock(gort_mutex *mu);

typedef struct gort_waitgroup {
    int64_t      counter;
    uint32_t     lock;       /* protects waiters */
    uint32_t     nwait;
    struct waitq waiters;
} gort_waitgroup;
#define GORT_WAITGROUP_INIT { 0, 0, 0, { 0, 0 } }
void gort_waitgroup_add(gort_waitgroup *wg, int delta);
void gort_waitgroup_done(gort_waitgroup *wg);
void gort_waitgroup_wait(gort_waitgroup *wg);

/* ---------------------------------------------------------------------
 * Defer (an extension of API.md)
 *
 * A goroutine's pending defers run in reverse order when its start
 * function returns, and when it panics, before the panic report.
 * ------------------------------------------------------------------- */
void gort_defer(void (*fn)(void *arg), void *arg);
void gort_defer_func(struct funcval *f);

#ifdef __cplusplus
}
#endif
#endif /* GORT_H */
