/*
 * test_proc_tsan_shim.c: lets Criterion run under ThreadSanitizer.
 *
 * Criterion's sandbox (BoxFort) maps its shared "inheritable arena" with
 * MAP_FIXED at a random address between 0x2000'0000'0000 and
 * 0x7f00'0000'0000, after checking with mincore that the first page there
 * is free; it gives up after ten tries.  ThreadSanitizer reserves nearly
 * all of that range for its shadow memory (x86-64), so every try finds the
 * page "mapped" and every Criterion binary built with -fsanitize=thread
 * dies at start-up with "Could not initialize inheritable arena: Resource
 * temporarily unavailable" (Snaipe/Criterion issue 274, open since 2018).
 *
 * This file, linked only into the TSan unit-test binary, defines mincore
 * and mmap.  mincore says "not mapped" (ENOMEM) for BoxFort's probes
 * below TSan's high application range.  A
 * MAP_FIXED file mapping that BoxFort asks for below TSan's high
 * application range is moved into the part of that range BoxFort also
 * accepts, [0x7e80'0000'0000, 0x7f00'0000'0000), at the first free spot
 * (MAP_FIXED_NOREPLACE never clobbers anything); BoxFort takes whatever
 * address it gets back and the child maps the arena at that same address.
 * Every other call goes on to the next mmap (TSan's interceptor, then
 * libc) unchanged.
 */
#if defined(__SANITIZE_THREAD__)
/* The crash tests (proc_crash.h) fork the test process, which Criterion
 * has made multi-threaded, and the child starts the runtime's threads.
 * TSan refuses that by default; it is safe here because the child only
 * runs gort_main and exits. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "die_after_fork=0";
}

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const uintptr_t lo = 0x7e8000000000ull, hi = 0x7f0000000000ull, step = 1ull << 30;

__attribute__((no_sanitize_thread))
int mincore(void *addr, size_t len, unsigned char *vec)
{
    uintptr_t a = (uintptr_t)addr;
    if (a >= 0x200000000000ull && a < lo) {
        errno = ENOMEM;
        return -1;
    }
    return (int)syscall(SYS_mincore, addr, len, vec);
}

/* Not instrumented: TSan itself calls mmap while it initialises. */
__attribute__((no_sanitize_thread))
static void *shim_mmap(const char *name, void *addr, size_t len, int prot, int flags, int fd,
                       off_t off)
{
    static void *(*next)(void *, size_t, int, int, int, off_t);
    if (next == NULL)
        next = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, name);
    uintptr_t a = (uintptr_t)addr;
    if ((flags & MAP_FIXED) && fd >= 0 && a >= 0x200000000000ull && a < lo) {
        int fl = (flags & ~MAP_FIXED) | MAP_FIXED_NOREPLACE;
        for (uintptr_t try = lo; try + len < hi; try += step) {
            void *p = next((void *)try, len, prot, fl, fd, off);
            if (p != MAP_FAILED)
                return p;
        }
        return MAP_FAILED;
    }
    return next(addr, len, prot, flags, fd, off);
}

/* BoxFort is built with 64-bit file offsets: it calls mmap64. */
__attribute__((no_sanitize_thread))
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return shim_mmap("mmap", addr, len, prot, flags, fd, off);
}

__attribute__((no_sanitize_thread))
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return shim_mmap("mmap64", addr, len, prot, flags, fd, off);
}
#else
/* Nothing outside TSan builds (ISO C wants a declaration in every file). */
typedef int gort_tsan_shim_unused;
#endif
