/*
 * stack.c: goroutine stacks.
 *
 * Layout.  A stack is [guard page][usable stack], the guard page lowest,
 * because stacks grow down: running off the bottom touches the guard and
 * faults, and signal.c reports "fatal error: stack overflow".  The usable
 * size is GORTSTACKSIZE bytes (default 256 KiB, rounded up to pages).
 * Memory is reserved with MAP_NORESERVE: an untouched page costs nothing,
 * so a goroutine that never goes deep costs the one or two pages it
 * touched, however large its stack is.
 *
 * Arenas.  The kernel allows vm.max_map_count (65530) mappings per
 * process.  mmap + mprotect per stack makes two mappings per goroutine and
 * fails near 32,000 goroutines.  So stacks are carved from arenas of
 * ARENA_STACKS stacks (64 MiB of address space at the default size).
 *
 * Guard pages, two ways.  mprotect(PROT_NONE) splits the arena's mapping
 * (two mappings per stack); madvise(MADV_GUARD_INSTALL) (Linux 6.13+)
 * marks the page as faulting without splitting anything.  Guard regions
 * would be the obvious choice for every stack, but they break gdb's gcore:
 * gdb copies each mapping in 1 MiB chunks, a chunk that touches a guard
 * region cannot be read, and gdb then gives up on the rest of that mapping,
 * which (guard regions do not split mappings, so neighbours merge) may
 * include the malloc heap where the struct g's live.  A gcore of such a
 * process shows zeroed goroutines.  Kernel core dumps are not affected.
 * So the first stacks, up to a budget of a quarter of vm.max_map_count
 * (16,382 stacks here), get mprotect guards: gcore sees them as separate
 * PROT_NONE mappings and skips them cleanly.  Stacks beyond the budget get
 * guard regions (when the kernel has them), which is what lets 100,000
 * goroutines live at once; a gcore of such a process is then incomplete
 * (the gdb extension and gort-core mark what they cannot read), and a
 * kernel core (abort, or `kill -ABRT`) is the way to capture it.
 * GORTSTACKGUARD=mprotect or =madvise forces one way, for tests.
 *
 * Pools.  A stack of a dead goroutine goes back to its m's cache (up to
 * CACHE_MAX stacks, no lock: only that m's g0 touches it); beyond that, and
 * when an m's cache is empty, the global pool under a lock exchanges
 * CACHE_BATCH stacks at a time.  So creating and finishing goroutines in a
 * steady state makes no system call.  Pooled stacks are linked through a
 * small record at the top of each stack (memory the previous goroutine has
 * touched already).  gort_stack_arenas and gort_stack_carved count the
 * system calls behind new stacks (an mmap per arena, a guard per stack):
 * a debugger can read them, and the tests check that neither moves while
 * goroutines come and go in a steady state.
 *
 * proc.c attaches a stack when a goroutine first runs, not when it is
 * created, so a million queued-but-not-started goroutines cost a million
 * struct g's and no stacks.
 */
#include "proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

enum {
    DEFAULT_STACK = 256 << 10,
    MIN_STACK     = 16 << 10,
    ARENA_STACKS  = 256,
    CACHE_MAX     = 32,
    CACHE_BATCH   = 16,
};

/* The record a pooled stack carries at its top. */
struct freestack {
    struct freestack *next;
    uintptr_t         lo;          /* usable bottom */
};

struct stackcache {
    struct freestack *list;
    int32_t           n;
};

static size_t stacksize;           /* usable bytes, page multiple */
static size_t pagesize;
static int    guardmode;           /* 0 untried, 1 madvise works, 2 kernel lacks it */
static gort_lock poollock;
static struct freestack *pool;     /* global pool, under poollock */
static int64_t poolcount;
static uintptr_t arena_next, arena_end;  /* unused slots of the newest arena */

/* Arenas mapped (one mmap each) and stacks carved from them (one mprotect
 * or madvise each).  Written under poollock, read by anyone. */
_Atomic int64_t gort_stack_arenas;
_Atomic int64_t gort_stack_carved;

void gort_stack_init(void)
{
    pagesize = (size_t)sysconf(_SC_PAGESIZE);
    stacksize = DEFAULT_STACK;
    const char *env = getenv("GORTSTACKSIZE");
    if (env != NULL && *env != '\0') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(env, &end, 0);
        int shift = 0;
        if (*end == 'k' || *end == 'K') { shift = 10; end++; }
        else if (*end == 'm' || *end == 'M') { shift = 20; end++; }
        /* Compare before shifting: a shift that overflows would wrap a
         * huge number into a plausible size. */
        bool toobig = v > (1ull << 30) >> shift;
        v <<= shift;
        if (errno != 0 || *end != '\0' || env[0] == '-' || toobig || v < MIN_STACK)
            gort_badcall("GORTSTACKSIZE", "\"%s\" is not a stack size between %d and %d bytes",
                         env, MIN_STACK, 1 << 30);
        stacksize = (size_t)v;
    }
    stacksize = (stacksize + pagesize - 1) & ~(pagesize - 1);
}

size_t gort_stack_size(void)
{
    return stacksize;
}

/* How many stacks may still get an mprotect guard (see the essay). */
static int64_t mprotect_budget = -1;
static int     guardforce;         /* 0 none, 1 madvise, 2 mprotect (GORTSTACKGUARD) */

static void guard_init(void)
{
    long maxmap = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f != NULL) {
        if (fscanf(f, "%ld", &maxmap) != 1)
            maxmap = 65530;
        fclose(f);
    }
    mprotect_budget = maxmap / 4;
    const char *env = getenv("GORTSTACKGUARD");
    if (env != NULL && strcmp(env, "madvise") == 0)
        guardforce = 1;
    else if (env != NULL && strcmp(env, "mprotect") == 0)
        guardforce = 2;
    else if (env != NULL && *env != '\0')
        gort_badcall("GORTSTACKGUARD", "\"%s\" is neither \"mprotect\" nor \"madvise\"", env);
}

/* Guard page [p, p + pagesize).  Called with poollock held. */
static bool install_guard(uintptr_t p)
{
    if (mprotect_budget < 0)
        guard_init();
    bool use_madvise = guardforce == 1 || (guardforce == 0 && mprotect_budget == 0);
    if (use_madvise && guardmode != 2) {
        if (madvise((void *)p, pagesize, MADV_GUARD_INSTALL) == 0) {
            guardmode = 1;
            return true;
        }
        if (guardmode == 1)
            return false;
        guardmode = 2;          /* kernel without guard regions */
    }
    if (mprotect_budget > 0)
        mprotect_budget--;
    return mprotect((void *)p, pagesize, PROT_NONE) == 0;
}

/* One new stack from the current arena (a new arena when it is used up).
 * Called with poollock held. */
static bool carve(struct gstack *st, uintptr_t *guard)
{
    size_t slot = stacksize + pagesize;
    if (arena_next == arena_end) {
        size_t len = slot * ARENA_STACKS;
        void *a = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (a == MAP_FAILED)
            return false;
        atomic_fetch_add_explicit(&gort_stack_arenas, 1, memory_order_relaxed);
        arena_next = (uintptr_t)a;
        arena_end = arena_next + len;
    }
    uintptr_t base = arena_next;
    if (!install_guard(base))
        return false;
    atomic_fetch_add_explicit(&gort_stack_carved, 1, memory_order_relaxed);
    arena_next += slot;
    *guard = base;
    st->lo = base + pagesize;
    st->hi = st->lo + stacksize;
    return true;
}

static inline struct freestack *rec_of(uintptr_t hi)
{
    return (struct freestack *)(hi - sizeof(struct freestack));
}

static struct stackcache *cacheof(struct m *mp)
{
    if (mp->stackcache == NULL)
        mp->stackcache = gort_calloc(1, sizeof(struct stackcache));
    return mp->stackcache;
}

bool gort_stackalloc(struct m *mp, struct gstack *st, uintptr_t *guard)
{
    struct stackcache *c = cacheof(mp);
    if (c->list == NULL) {
        lock(&poollock);
        for (int i = 0; i < CACHE_BATCH && pool != NULL; i++) {
            struct freestack *f = pool;
            pool = f->next;
            poolcount--;
            f->next = c->list;
            c->list = f;
            c->n++;
        }
        if (c->list == NULL) {
            bool ok = carve(st, guard);
            unlock(&poollock);
            return ok;
        }
        unlock(&poollock);
    }
    struct freestack *f = c->list;
    c->list = f->next;
    c->n--;
    st->lo = f->lo;
    st->hi = f->lo + stacksize;
    *guard = st->lo - pagesize;
    return true;
}

void gort_stackfree(struct m *mp, struct gstack *st)
{
    struct stackcache *c = cacheof(mp);
    struct freestack *f = rec_of(st->hi);
    f->lo = st->lo;
    f->next = c->list;
    c->list = f;
    c->n++;
    st->lo = st->hi = 0;
    if (c->n <= CACHE_MAX)
        return;
    /* Give a batch back to the global pool so other m's can use it. */
    lock(&poollock);
    while (c->n > CACHE_MAX - CACHE_BATCH) {
        f = c->list;
        c->list = f->next;
        c->n--;
        f->next = pool;
        pool = f;
        poolcount++;
    }
    unlock(&poollock);
}
