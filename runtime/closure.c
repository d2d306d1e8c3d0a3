/*
 * closure.c: allocating, freeing and calling closures (Go's funcval,
 * seed 002, "Go 1.1 Function Calls").
 *
 * A func value is a pointer to a struct funcval: the first word is the code
 * pointer, the captured variables follow.  Calling it passes the funcval
 * itself to the code (Go passes it in a context register; C has none, so
 * it is the first argument), and the code reads its captures through it.
 * GORT_CLOSURE(adder, int64_t k;) declares struct adder { struct funcval fv;
 * int64_t k; } and a type descriptor naming it; gort_closure_new allocates
 * one.  Memory layout of an allocation:
 *
 *     base                                   closure (what the caller gets)
 *     | padding | struct gort_closurehdr     | struct funcval fv | captures... |
 *                 {type, magic}                ^ aligned for any type, and for
 *                 ends exactly at the closure    the closure struct's own alignment
 *
 * The header sits immediately before the closure, so a debugger that holds
 * only a funcval pointer reads closure - sizeof(hdr), checks the magic
 * ("gortclos") and learns the closure's struct type by name (hdr.type->name,
 * "struct adder"), then prints the captured variables with their names and
 * types from DWARF.  The alignment A is max(alignof(max_align_t), alignof of
 * the closure struct); the header region is rounded up to A, so the closure
 * is A-aligned and the base is where the allocator's block starts:
 * base = closure - round_up(sizeof hdr, A), computable again at free time
 * from the header's type.
 *
 * gort_closure_free checks the magic (freeing what is not a closure made by
 * gort_closure_new is a fatal error, not heap corruption later) and clears
 * it, so a second free of the same closure is caught too while the memory
 * is still mapped.  Closures that are never freed are fine: they are
 * usually made once and live as long as the goroutine or callback using
 * them.
 */
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

static size_t closure_align(const struct rtype *t)
{
    size_t a = _Alignof(max_align_t);
    return t->align > a ? t->align : a;
}

static size_t header_space(size_t align)
{
    size_t h = sizeof(struct gort_closurehdr);
    return (h + align - 1) & ~(align - 1);
}

void *gort_closure_alloc(const struct rtype *t, void (*fn)(void))
{
    if (t == NULL)
        gort_fatal("gort_closure_alloc: NULL closure type");
    if (t->kind != GORT_KIND_CLOSURE)
        gort_fatal("gort_closure_alloc: %s is not a closure type (declare it with GORT_CLOSURE)",
                   gort_type_name(t));
    if (t->size < sizeof(struct funcval))
        gort_fatal("gort_closure_alloc: closure type %s is smaller than a struct funcval",
                   gort_type_name(t));
    if (t->align == 0 || (t->align & (t->align - 1)) != 0)
        gort_fatal("gort_closure_alloc: closure type %s has alignment %u, not a power of two",
                   gort_type_name(t), t->align);
    if (fn == NULL)
        gort_fatal("gort_closure_alloc: NULL function for closure %s", gort_type_name(t));

    size_t align = closure_align(t);
    size_t hdr = header_space(align);
    if (t->size > SIZE_MAX - hdr)
        gort_fatal("gort_closure_alloc: closure type %s is too large", gort_type_name(t));
    void *base = NULL;
    if (posix_memalign(&base, align, hdr + t->size) != 0)
        gort_fatal("gort_closure_alloc: out of memory allocating %zu bytes for %s",
                   (size_t)(hdr + t->size), gort_type_name(t));
    memset(base, 0, hdr + t->size);

    struct funcval *fv = (struct funcval *)((char *)base + hdr);
    struct gort_closurehdr *h = (struct gort_closurehdr *)fv - 1;
    h->type = t;
    h->magic = GORT_CLOSURE_MAGIC;
    fv->fn = fn;
    return fv;
}

void gort_closure_free(void *closure)
{
    if (closure == NULL)
        return;                         /* as free(NULL) */
    if (((uintptr_t)closure & (_Alignof(max_align_t) - 1)) != 0)
        gort_fatal("gort_closure_free: %p is not a closure made by gort_closure_new "
                   "(misaligned)", closure);
    struct gort_closurehdr *h = (struct gort_closurehdr *)closure - 1;
    if (h->magic != GORT_CLOSURE_MAGIC || h->type == NULL ||
        h->type->kind != GORT_KIND_CLOSURE)
        gort_fatal("gort_closure_free: %p is not a closure made by gort_closure_new "
                   "(no closure header before it; freed twice?)", closure);
    size_t hdr = header_space(closure_align(h->type));
    h->magic = 0;
    free((char *)closure - hdr);
}

void (gort_call)(struct funcval *f)
{
    if (f == NULL)
        gort_fatal("gort_call: nil closure");
    if (f->fn == NULL)
        gort_fatal("gort_call: closure %p has no function (fn is NULL)", (void *)f);
    ((void (*)(struct funcval *))f->fn)(f);
}
