/*
 * proc.h: declarations shared by the scheduler's own files (proc.c,
 * stack.c, timer.c, lock.c, panic.c, traceback.c, symtab.c, signal.c,
 * defer.c).  Not for the rest of the runtime: runtime.h is the interface
 * between the parts; this header is the plumbing inside one part.
 */
#ifndef GORT_PROC_H
#define GORT_PROC_H

#include "runtime.h"

#include <signal.h>
#include <ucontext.h>

/* asm_$(GOARCH).S */
void gort_swapctx(struct gobuf *save, const struct gobuf *load);
void gort_goentry(void);

/* proc.c */
extern int32_t gort_nprocs;            /* worker threads (GORTMAXPROCS) */
extern _Atomic int32_t gort_ngoroutines; /* goroutines not dead */
bool gort_started(void);
void gort_sched_timer_wake(int64_t when); /* a new earliest timer: wake an idle m */

/* stack.c */
void   gort_stack_init(void);
size_t gort_stack_size(void);
bool   gort_stackalloc(struct m *mp, struct gstack *st, uintptr_t *guard);
void   gort_stackfree(struct m *mp, struct gstack *st);
extern _Atomic int64_t gort_stack_arenas;   /* arenas mmap'd so far */
extern _Atomic int64_t gort_stack_carved;   /* stacks carved (a guard syscall each) */

/* timer.c */
int64_t gort_nanotime_coarse(void);    /* gort_nanotime() at the last tick (ms resolution) */
int64_t gort_timer_next(void);         /* earliest deadline, or -1 when none */
void    gort_timer_run(int64_t now);   /* run every due timer (on g0) */
int32_t gort_timer_count(void);

/* lock.c: futex wrappers */
void gort_futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t ns);  /* ns < 0: forever */
void gort_futex_wake(_Atomic uint32_t *addr, int n);

/* symtab.c: the executable's function symbols (no malloc: usable from a
 * signal handler) */
const char *gort_funcname(uintptr_t pc, uintptr_t *entry);
uintptr_t   gort_loadbias(void);       /* load bias of a PIE executable */

/* traceback.c */
enum { GORT_MAXFRAMES = 100 };
void gort_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gort_print_flush(void);
/* Dump every goroutine; `current` (may be NULL) first as [running] with
 * frames walked from (pc, bp). */
void gort_traceback_all(struct g *current, uintptr_t pc, uintptr_t bp);

/* panic.c: at most one fatal report per process; later ones wait. */
bool gort_begin_fatal(void);
_Noreturn void gort_die(void);         /* SIG_DFL for SIGABRT, then abort() */

/* signal.c */
void gort_signal_init(void);
void gort_signal_thread_init(struct m *mp);   /* sigaltstack for this thread */

#endif
