/*
 * lock.c: the runtime's internal locks (lock/unlock on a gort_lock,
 * lock_word/unlock_word on a bare uint32_t) and the futex wrappers the
 * scheduler sleeps on.
 *
 * The lock is Drepper's three-state futex mutex ("Futexes Are Tricky"):
 *     0 unlocked, 1 locked with no sleeper, 2 locked and maybe a sleeper.
 * lock: one CAS 0->1 in the uncontended case; otherwise spin a little
 * (SPIN_TRIES rounds of a pause instruction: runtime critical sections are
 * a few dozen instructions, so the holder usually leaves while we spin),
 * then exchange in 2 and futex-wait while the word stays 2.  unlock:
 * exchange 0; only if the old value was 2 is a futex_wake needed.  So an
 * uncontended lock/unlock pair is two atomic instructions and no system
 * call.
 *
 * These locks block the OS thread, never park the goroutine: they guard
 * short runtime sections only and are never held across gopark (runtime.h).
 * The atomics are sequentially consistent at the points that matter
 * (acquire on taking, release on giving back), which is also what lets
 * ThreadSanitizer see the happens-before edges through them.
 */
#include "proc.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { SPIN_TRIES = 64 };

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
    __asm__ volatile("pause");
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

void gort_futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t ns)
{
    struct timespec ts, *tsp = NULL;
    if (ns >= 0) {
        ts.tv_sec = ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        tsp = &ts;
    }
    /* Spurious returns (EINTR, EAGAIN, timeout) are fine: every caller
     * re-checks its condition in a loop. */
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}

void gort_futex_wake(_Atomic uint32_t *addr, int n)
{
    syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static void lock_slow(_Atomic uint32_t *key)
{
    for (int i = 0; i < SPIN_TRIES; i++) {
        uint32_t v = atomic_load_explicit(key, memory_order_relaxed);
        if (v == 0 && atomic_compare_exchange_weak_explicit(key, &v, 1,
                          memory_order_acquire, memory_order_relaxed))
            return;
        cpu_relax();
    }
    while (atomic_exchange_explicit(key, 2, memory_order_acquire) != 0)
        gort_futex_wait(key, 2, -1);
}

void lock(gort_lock *l)
{
    uint32_t v = 0;
    if (atomic_compare_exchange_strong_explicit(&l->key, &v, 1,
            memory_order_acquire, memory_order_relaxed))
        return;
    lock_slow(&l->key);
}

void unlock(gort_lock *l)
{
    uint32_t old = atomic_exchange_explicit(&l->key, 0, memory_order_release);
    if (old == 2)
        gort_futex_wake(&l->key, 1);
    else if (old == 0)
        gort_badcall("unlock", "lock %p is not locked", (void *)l);
}

/* A uint32_t has the size and alignment of _Atomic uint32_t on every target
 * we support; gort.h keeps the public words plain so programs need no
 * <stdatomic.h>. */
_Static_assert(sizeof(uint32_t) == sizeof(_Atomic uint32_t), "atomic word size");

void lock_word(uint32_t *word)
{
    lock((gort_lock *)word);
}

void unlock_word(uint32_t *word)
{
    unlock((gort_lock *)word);
}

bool gort_park_unlock(struct g *gp, void *lockp)
{
    (void)gp;
    unlock(lockp);
    return true;
}

bool gort_park_unlock_word(struct g *gp, void *wordp)
{
    (void)gp;
    unlock_word(wordp);
    return true;
}
