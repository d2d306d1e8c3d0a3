/*
 * panic.c: gort_panic and gort_fatal, the two ways the runtime dies.
 *
 *     panic: index out of range
 *
 *     goroutine 5 [running]:
 *     gort_panic(...)
 *     	runtime/panic.c:80 +0x9c
 *     worker(...)
 *     ...
 *
 * gort_panic runs the calling goroutine's pending defers first (Go has
 * recover; gort does not, so a panic always ends the process), then prints
 * "panic: MSG", a blank line and every goroutine (traceback.c), then
 * aborts so that a core file is left for gdb and gort-core.  gort_fatal is
 * the same without the defers, for the runtime's own invariants and for
 * misuse of the API ("fatal error: gort_go: NULL function").
 *
 * Only one report per process: the first thread to fail owns stderr; any
 * other thread that fails meanwhile waits forever (the first one is about
 * to abort), and a failure inside the report itself (a fault while
 * walking a corrupt stack) aborts at once rather than loop.  Before abort
 * SIGABRT's disposition is reset to the default and unblocked, so the
 * kernel writes the core even if the program installed a handler.
 *
 * The report's frames start at gort_panic / gort_fatal itself (Go shows
 * panic() too) and are walked from this function's frame pointer.
 */
#include "proc.h"

#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic int32_t fataltid;

bool gort_begin_fatal(void)
{
    int32_t me = (int32_t)syscall(SYS_gettid);
    int32_t expect = 0;
    if (atomic_compare_exchange_strong(&fataltid, &expect, me))
        return true;
    if (expect == me) {
        static const char msg[] = "\nfatal error: fault while printing the report\n";
        gort_print_flush();
        (void)!write(2, msg, sizeof msg - 1);
        gort_die();
    }
    for (;;)
        pause();
}

_Noreturn void gort_die(void)
{
    gort_print_flush();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGABRT, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGABRT);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    abort();
}

/* The running goroutine, or NULL on a scheduler context or foreign thread. */
static struct g *curgoroutine(void)
{
    struct m *mp = getm();
    return mp != NULL ? mp->curg : NULL;
}

__attribute__((noinline)) static uintptr_t callerpc(void)
{
    return (uintptr_t)__builtin_return_address(0);
}

static char msgbuf[1024];

_Noreturn void gort_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msgbuf, sizeof msgbuf, fmt != NULL ? fmt : "(null)", ap);
    va_end(ap);
    struct g *gp = curgoroutine();
    if (gp != NULL && !gp->paniking) {
        /* Pending defers run first; a panic inside one skips the rest. */
        gp->paniking = 1;
        gort_rundefers(gp);
    }
    gort_begin_fatal();
    gort_print("panic: %s\n\n", msgbuf);
    uintptr_t pc = callerpc();
    gort_traceback_all(gp, pc, (uintptr_t)__builtin_frame_address(0));
    gort_die();
}

_Noreturn void gort_fatal(const char *fmt, ...)
{
    gort_begin_fatal();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msgbuf, sizeof msgbuf, fmt, ap);
    va_end(ap);
    gort_print("fatal error: %s\n\n", msgbuf);
    uintptr_t pc = callerpc();
    gort_traceback_all(curgoroutine(), pc, (uintptr_t)__builtin_frame_address(0));
    gort_die();
}

void gort_dump_goroutines(struct g *current)
{
    if (current != NULL && current != curgoroutine())
        current = NULL;             /* only the caller's own stack can be walked live */
    uintptr_t pc = callerpc();
    gort_traceback_all(current, pc, (uintptr_t)__builtin_frame_address(0));
}
