/*
 * malloc.c: allocation for the runtime.  The runtime never checks for NULL
 * after allocating: running out of memory is a fatal error with a
 * goroutine dump, as in Go, instead of a NULL dereference somewhere later.
 * The C allocator (glibc's per-thread arenas) is fast enough for the
 * runtime's own objects (g's, channels, maps); the hot per-goroutine
 * memory, stacks, comes from stack.c.
 */
#include "proc.h"

#include <stdlib.h>

void *gort_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        gort_fatal("out of memory allocating %zu bytes", n);
    return p;
}

void *gort_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        gort_fatal("gort_calloc: %zu * %zu bytes overflows", n, size);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        gort_fatal("out of memory allocating %zu * %zu bytes", n, size);
    return p;
}

void gort_free(void *p)
{
    free(p);
}
