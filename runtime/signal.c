/*
 * signal.c: fatal signals reported the Go way instead of a bare
 * "Segmentation fault".
 *
 * A goroutine that runs off the bottom of its stack touches the guard page
 * below stack.lo (stack.c) and gets SIGSEGV.  The handler cannot run on
 * that stack, so every worker thread has an alternate signal stack
 * (sigaltstack, ALTSTACK bytes, reserved with MAP_NORESERVE so only what
 * the report touches is ever committed) and the handlers are installed
 * with SA_ONSTACK.  A fault is a stack overflow when the faulting address
 * lies in the goroutine's guard page, or the stack pointer has reached it;
 * the report is then
 *
 *     runtime: goroutine stack exceeds 262144-byte limit
 *     runtime: sp=0x7f... stack=[0x7f..., 0x7f...]
 *     fatal error: stack overflow
 *
 *     goroutine 6 [running]:
 *     recurse(...)
 *     ...
 *
 * with the frames walked from the signal context's pc and frame pointer.
 * Any other SIGSEGV, SIGBUS, SIGFPE or SIGILL is
 *
 *     fatal error: unexpected signal
 *     [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x55...]
 *
 * plus the dump.  Then abort() with SIGABRT's default disposition, so the
 * core file is written (panic.c).
 */
#include "proc.h"

#include <string.h>
#include <sys/mman.h>

enum { ALTSTACK = 256 << 10 };

static const struct { int sig; const char *name, *what; } signames[] = {
    { SIGSEGV, "SIGSEGV", "segmentation violation" },
    { SIGBUS,  "SIGBUS",  "bus error" },
    { SIGFPE,  "SIGFPE",  "floating-point exception" },
    { SIGILL,  "SIGILL",  "illegal instruction" },
};

static void ctxregs(void *uctx, uintptr_t *pc, uintptr_t *sp, uintptr_t *bp)
{
    ucontext_t *uc = uctx;
#if defined(__x86_64__)
    *pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    *sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    *bp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
    *pc = (uintptr_t)uc->uc_mcontext.pc;
    *sp = (uintptr_t)uc->uc_mcontext.sp;
    *bp = (uintptr_t)uc->uc_mcontext.regs[29];
#endif
}

static void handler(int sig, siginfo_t *info, void *uctx)
{
    struct m *mp = getm();
    struct g *gp = mp != NULL ? mp->curg : NULL;
    uintptr_t pc, sp, bp;
    ctxregs(uctx, &pc, &sp, &bp);
    uintptr_t addr = (uintptr_t)info->si_addr;

    gort_begin_fatal();
    bool overflow = false;
    if (gp != NULL && gp->stack.lo != 0 && (sig == SIGSEGV || sig == SIGBUS)) {
        bool inguard = addr >= gp->stackguard && addr < gp->stack.lo;
        bool spbelow = sp < gp->stack.lo + 256 && sp >= gp->stackguard - (64 << 10);
        overflow = inguard || spbelow;
    }
    if (overflow) {
        gort_print("runtime: goroutine stack exceeds %lu-byte limit\n",
                   (unsigned long)(gp->stack.hi - gp->stack.lo));
        gort_print("runtime: sp=%#lx stack=[%#lx, %#lx]\n", (unsigned long)sp,
                   (unsigned long)gp->stack.lo, (unsigned long)gp->stack.hi);
        gort_print("fatal error: stack overflow\n\n");
    } else {
        const char *name = "SIG?", *what = "unknown signal";
        for (size_t i = 0; i < sizeof signames / sizeof signames[0]; i++)
            if (signames[i].sig == sig) {
                name = signames[i].name;
                what = signames[i].what;
            }
        gort_print("fatal error: unexpected signal\n[signal %s: %s code=0x%x addr=0x%lx pc=0x%lx]\n\n",
                   name, what, (unsigned)info->si_code, (unsigned long)addr, (unsigned long)pc);
    }
    /* A frame's bp is only trustworthy within the goroutine's stack; for a
     * fault on g0 or a foreign thread print the others only. */
    if (gp != NULL && gp->stack.lo != 0)
        gort_traceback_all(gp, pc, bp);
    else
        gort_traceback_all(NULL, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    gort_die();
}

void gort_signal_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof signames / sizeof signames[0]; i++)
        sigaction(signames[i].sig, &sa, NULL);
}

void gort_signal_thread_init(struct m *mp)
{
    void *p = mmap(NULL, ALTSTACK, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return;                 /* reports of overflows degrade to a bare SIGSEGV */
    stack_t ss = { .ss_sp = p, .ss_size = ALTSTACK, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) == 0)
        mp->sigaltstack = p;
    else
        munmap(p, ALTSTACK);
}
