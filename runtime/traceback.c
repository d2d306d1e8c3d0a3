/*
 * traceback.c: Go-style goroutine dumps, written to stderr.
 *
 *     goroutine 7 [chan receive, 2 minutes]:
 *     worker(...)
 *     	/work/main/samples/pipeline.c:31 +0x2b
 *     created by main_fn in goroutine 1
 *     	/work/main/samples/pipeline.c:52 +0x6e
 *
 * One block per goroutine that is not dead, the current one first as
 * [running], separated by blank lines: the format a Go programmer knows.
 * "+0x2b" is the pc's offset in its function.  A goroutine running on
 * another thread cannot be walked safely and says so, as Go does.
 *
 * Frames: a frame-pointer walk (everything is built with frame pointers):
 * from (pc, bp), the caller's pc is at bp+8 and its bp at bp (x86-64; the
 * same pair at x29 on aarch64).  Every step checks bp against the
 * goroutine's stack bounds, alignment, and that bp grows, and the walk is
 * capped at GORT_MAXFRAMES, so a corrupt stack ends the walk instead of
 * the report.  A goroutine's first frame has bp == 0 (gort_goentry), where
 * the walk ends.  Scheduler frames (gopark, the entry trampoline) are
 * hidden: a person wants to see where *their* code waits.
 *
 * Names come from symtab.c.  file:line comes from addr2line (binutils),
 * run as a child process (clone with CLONE_VM|CLONE_VFORK and raw system
 * calls up to execve: no malloc, no fork handlers, no copy of a big
 * address space) with up to 200 unique pcs on its command line per run and
 * a 5-second deadline, after which it is killed and the report
 * goes on without lines.  Why not our own .debug_line reader: the line
 * program (DWARF 5 with its directory/file tables, as gcc 12 emits) is a
 * few hundred lines to get right, the report is printed once per process
 * lifetime, and addr2line is on every machine with a C toolchain.  Without
 * addr2line, or with GORTADDR2LINE=0, frames show "?:0".  All memory used
 * here is static or mmap'd: the report also runs in signal handlers.
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------------ */
/* Output: a static buffer written with write(2). */

static char outbuf[8192];
static size_t outlen;

void gort_print_flush(void)
{
    size_t off = 0;
    while (off < outlen) {
        ssize_t n = write(2, outbuf + off, outlen - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    outlen = 0;
}

void gort_print(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    if (outlen + (size_t)n > sizeof outbuf)
        gort_print_flush();
    memcpy(outbuf + outlen, line, (size_t)n);
    outlen += (size_t)n;
}

/* ------------------------------------------------------------------ */
/* Frame walk */

struct walk {
    uintptr_t pcs[GORT_MAXFRAMES];
    int       n;
    bool      exact0;      /* pcs[0] is an exact pc (signal), not a return address */
    bool      truncated;
};

static void walkstack(struct walk *w, uintptr_t pc, uintptr_t bp, uintptr_t lo, uintptr_t hi,
                      bool exact0)
{
    w->n = 0;
    w->exact0 = exact0;
    w->truncated = false;
    if (pc == 0)
        return;
    w->pcs[w->n++] = pc;
    while (bp != 0) {
        if (bp < lo || bp + 2 * sizeof(uintptr_t) > hi || (bp & (sizeof(uintptr_t) - 1)) != 0)
            break;
        uintptr_t next = ((uintptr_t *)bp)[0];
        uintptr_t ret = ((uintptr_t *)bp)[1];
        if (ret == 0)
            break;
        if (w->n == GORT_MAXFRAMES) {
            w->truncated = true;
            break;
        }
        w->pcs[w->n++] = ret;
        if (next != 0 && next <= bp)
            break;
        bp = next;
    }
}

/* pc to look up: a return address points after the call, which may be the
 * first instruction of the next line (or function). */
static uintptr_t lookpc(const struct walk *w, int i)
{
    return (i == 0 && w->exact0) ? w->pcs[i] : w->pcs[i] - 1;
}

static bool hidden(const char *name)
{
    static const char *const names[] = {
        "gopark", "goroutine_main", "gort_goentry", "gort_swapctx", "switchto",
        "main_goroutine",
        "gort_print_goroutine", "gort_traceback_all",
    };
    if (name == NULL)
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* file:line through addr2line */

enum { LINE_SLOTS = 8192, LINE_ARENA = 1 << 20, A2L_BATCH = 200, A2L_TIMEOUT_MS = 5000 };

struct lineent {
    uintptr_t pc;          /* 0: empty */
    uint32_t  off;         /* into linearena, or UINT32_MAX: unknown */
};
static struct lineent *linetab;
static char *linearena;
static size_t linearenalen;
static int nlines;
static bool a2l_disabled;
static bool a2l_failed;

static struct lineent *lineslot(uintptr_t pc, bool insert)
{
    if (linetab == NULL)
        return NULL;
    size_t h = (pc * 0x9e3779b97f4a7c15ull) >> 51;   /* 13 bits */
    for (size_t i = 0; i < LINE_SLOTS; i++) {
        struct lineent *e = &linetab[(h + i) % LINE_SLOTS];
        if (e->pc == pc)
            return e;
        if (e->pc == 0) {
            if (!insert || nlines >= LINE_SLOTS / 2)
                return NULL;
            e->pc = pc;
            e->off = UINT32_MAX;
            nlines++;
            return e;
        }
    }
    return NULL;
}

/* The child between clone and exec: raw system calls only, on a stack of
 * its own, sharing the parent's memory while the parent waits (CLONE_VFORK),
 * so no malloc, no lock, no fork handler: safe in a signal handler, and no
 * copy of a large address space.  (posix_spawn's file actions call malloc.) */
struct spawnargs {
    int    outfd;
    char **argv;
};
static char spawnstack[32 << 10] __attribute__((aligned(16)));

__attribute__((no_sanitize_address, no_sanitize_thread, no_sanitize_undefined))
static int a2l_child(void *p)
{
    static const char *const paths[] = {
        "/usr/bin/addr2line", "/bin/addr2line", "/usr/local/bin/addr2line",
    };
    struct spawnargs *a = p;
    /* dup3 and openat: aarch64 has no dup2 or open system call. */
    if (a->outfd == 1)
        syscall(SYS_fcntl, 1, F_SETFD, 0);         /* keep it across exec */
    else
        syscall(SYS_dup3, a->outfd, 1, 0);
    long nul = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY);
    if (nul >= 0 && nul != 2)
        syscall(SYS_dup3, nul, 2, 0);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        syscall(SYS_execve, paths[i], a->argv, environ);
    syscall(SYS_exit, 127);
    return 127;
}

static void a2l_run(uintptr_t *pcs, int n, const char *exe)
{
    if (a2l_failed || n == 0)
        return;
    char args[A2L_BATCH][24];
    char *argv[A2L_BATCH + 5];
    int k = 0;
    argv[k++] = "addr2line";
    argv[k++] = "-e";
    argv[k++] = (char *)exe;
    uintptr_t bias = gort_loadbias();
    for (int i = 0; i < n; i++) {
        snprintf(args[i], sizeof args[i], "%#lx", (unsigned long)(pcs[i] - bias));
        argv[k++] = args[i];
    }
    argv[k] = NULL;

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        a2l_failed = true;
        return;
    }
    struct spawnargs sa = { fds[1], argv };
    pid_t pid = clone(a2l_child, spawnstack + sizeof spawnstack,
                      CLONE_VM | CLONE_VFORK | SIGCHLD, &sa);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        a2l_failed = true;
        return;
    }
    /* Read "file:line\n" per address, within the deadline. */
    static char rbuf[A2L_BATCH * 256];
    size_t rlen = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= A2L_TIMEOUT_MS) {
            a2l_failed = true;
            break;
        }
        struct pollfd p = { fds[0], POLLIN, 0 };
        int r = poll(&p, 1, (int)(A2L_TIMEOUT_MS - ms));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            a2l_failed = true;
            break;
        }
        if (rlen == sizeof rbuf)
            break;
        ssize_t got = read(fds[0], rbuf + rlen, sizeof rbuf - rlen);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        rlen += (size_t)got;
    }
    close(fds[0]);
    kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    /* Parse the lines in order. */
    size_t pos = 0;
    for (int i = 0; i < n && pos < rlen; i++) {
        size_t end = pos;
        while (end < rlen && rbuf[end] != '\n')
            end++;
        if (end == rlen)
            break;
        size_t len = end - pos;
        /* "file:line (discriminator N)": keep file:line */
        for (size_t j = pos; j < end; j++)
            if (rbuf[j] == ' ') { len = j - pos; break; }
        struct lineent *e = lineslot(pcs[i], false);
        if (e != NULL && len > 0 && rbuf[pos] != '?' && linearenalen + len + 1 <= LINE_ARENA) {
            memcpy(linearena + linearenalen, rbuf + pos, len);
            linearena[linearenalen + len] = '\0';
            e->off = (uint32_t)linearenalen;
            linearenalen += len + 1;
        }
        pos = end + 1;
    }
}

static const char *fileline(uintptr_t pc)
{
    struct lineent *e = lineslot(pc, false);
    if (e == NULL || e->off == UINT32_MAX)
        return "?:0";
    return linearena + e->off;
}

/* ------------------------------------------------------------------ */
/* The dump */

static bool onotherthread(struct g *gp, struct g *current)
{
    return gp != current && atomic_load(&gp->atomicstatus) == Grunning;
}

/* Frames of gp (not the current goroutine), or false if none can be walked. */
static bool framesof(struct g *gp, struct walk *w)
{
    uint32_t st = atomic_load(&gp->atomicstatus);
    if (st == Grunning || st == Gidle || st == Gdead)
        return false;
    if (gp->stack.lo == 0) {            /* never ran: show where it will start */
        w->n = 0;
        w->exact0 = true;
        w->truncated = false;
        if (gp->startpc != 0)
            w->pcs[w->n++] = gp->startpc;
        return true;
    }
    walkstack(w, gp->sched.pc, gp->sched.bp, gp->stack.lo, gp->stack.hi, false);
    return true;
}

static void collect(const struct walk *w, uintptr_t *batch, int *nb, const char *exe)
{
    for (int i = 0; i < w->n; i++) {
        uintptr_t pc = lookpc(w, i);
        if (lineslot(pc, false) != NULL)
            continue;
        if (lineslot(pc, true) == NULL)
            return;
        batch[(*nb)++] = pc;
        if (*nb == A2L_BATCH) {
            a2l_run(batch, *nb, exe);
            *nb = 0;
        }
    }
}

/* gcc names clones "f.isra.0", "f.constprop.1", "f.part.0", "f.cold": a
 * person wants "f".  The length of the name without the suffix. */
static int basename_len(const char *name)
{
    const char *dot = strchr(name + 1, '.');
    return dot != NULL ? (int)(dot - name) : (int)strlen(name);
}

static void printframes(const struct walk *w)
{
    int shown = 0;
    for (int i = 0; i < w->n; i++) {
        uintptr_t pc = lookpc(w, i);
        uintptr_t entry = 0;
        const char *name = gort_funcname(pc, &entry);
        if (hidden(name))
            continue;
        if (name != NULL)
            gort_print("%.*s(...)\n\t%s +%#lx\n", basename_len(name), name, fileline(pc),
                       (unsigned long)(w->pcs[i] - entry));
        else
            gort_print("?()\n\t?:0 pc=%#lx\n", (unsigned long)w->pcs[i]);
        shown++;
    }
    if (w->truncated)
        gort_print("...additional frames elided...\n");
}

static void printcreator(struct g *gp)
{
    /* Goroutine 1 was created by gort_main's caller; Go prints no creator
     * for it either (g->gopc still records it for debuggers). */
    if (gp->gopc == 0 || gp->goid == 1)
        return;
    uintptr_t entry = 0;
    const char *name = gort_funcname(gp->gopc - 1, &entry);
    if (name == NULL)
        name = "?";
    if (gp->parentgoid != 0)
        gort_print("created by %.*s in goroutine %lld\n", basename_len(name), name,
                   (long long)gp->parentgoid);
    else
        gort_print("created by %.*s\n", basename_len(name), name);
    gort_print("\t%s +%#lx\n", fileline(gp->gopc - 1), (unsigned long)(gp->gopc - entry));
}

static void header(struct g *gp, bool running)
{
    if (running) {
        gort_print("goroutine %lld [running]:\n", (long long)gp->goid);
        return;
    }
    const char *state;
    uint32_t st = atomic_load(&gp->atomicstatus);
    switch (st) {
    case Grunnable: state = "runnable"; break;
    case Grunning:  state = "running"; break;
    case Gsyscall:  state = "syscall"; break;
    case Gwaiting:
        state = gp->waitreason < waitReasonCount && gort_waitreason_strings[gp->waitreason][0]
                    ? gort_waitreason_strings[gp->waitreason] : "waiting";
        break;
    default:        state = "idle"; break;
    }
    int64_t mins = 0;
    if (st == Gwaiting && gp->waitsince > 0)
        mins = (gort_nanotime() - gp->waitsince) / 60000000000ll;
    if (mins >= 1)
        gort_print("goroutine %lld [%s, %lld minute%s]:\n", (long long)gp->goid, state,
                   (long long)mins, mins == 1 ? "" : "s");
    else
        gort_print("goroutine %lld [%s]:\n", (long long)gp->goid, state);
}

static void lines_init(const char **exep)
{
    static char exe[4096];
    *exep = NULL;
    if (linetab == NULL) {
        const char *env = getenv("GORTADDR2LINE");
        a2l_disabled = env != NULL && strcmp(env, "0") == 0;
        void *t = mmap(NULL, sizeof(struct lineent) * LINE_SLOTS + LINE_ARENA,
                       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (t == MAP_FAILED)
            return;
        linetab = t;
        linearena = (char *)t + sizeof(struct lineent) * LINE_SLOTS;
    }
    if (a2l_disabled)
        return;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    *exep = exe;
}

void gort_traceback_all(struct g *current, uintptr_t pc, uintptr_t bp)
{
    static struct walk w;        /* static: keeps the caller's stack small */
    const char *exe;
    lines_init(&exe);
    uintptr_t allglen = atomic_load_explicit(&gort_allglen, memory_order_acquire);
    struct g **allgs = __atomic_load_n(&gort_allgs, __ATOMIC_ACQUIRE);

    /* Pass 1: every pc we will print, resolved by addr2line in batches. */
    if (exe != NULL && linetab != NULL) {
        static uintptr_t batch[A2L_BATCH];
        int nb = 0;
        if (current != NULL) {
            walkstack(&w, pc, bp, current->stack.lo, current->stack.hi, true);
            collect(&w, batch, &nb, exe);
        }
        for (uintptr_t i = 0; i < allglen && !a2l_failed; i++) {
            struct g *gp = allgs[i];
            if (gp != current && !onotherthread(gp, current) && framesof(gp, &w))
                collect(&w, batch, &nb, exe);
            if (gp->gopc != 0 && atomic_load(&gp->atomicstatus) != Gdead &&
                lineslot(gp->gopc - 1, false) == NULL && lineslot(gp->gopc - 1, true) != NULL) {
                batch[nb++] = gp->gopc - 1;
                if (nb == A2L_BATCH) {
                    a2l_run(batch, nb, exe);
                    nb = 0;
                }
            }
        }
        a2l_run(batch, nb, exe);
    }

    /* Pass 2: print. */
    bool first = true;
    if (current != NULL) {
        header(current, true);
        walkstack(&w, pc, bp, current->stack.lo, current->stack.hi, true);
        printframes(&w);
        printcreator(current);
        first = false;
    }
    for (uintptr_t i = 0; i < allglen; i++) {
        struct g *gp = allgs[i];
        uint32_t st = atomic_load(&gp->atomicstatus);
        if (gp == current || st == Gdead || st == Gidle)
            continue;
        if (!first)
            gort_print("\n");
        first = false;
        if (onotherthread(gp, current)) {
            header(gp, true);
            gort_print("\tgoroutine running on other thread; stack unavailable\n");
        } else {
            header(gp, false);
            if (framesof(gp, &w))
                printframes(&w);
        }
        printcreator(gp);
    }
    gort_print_flush();
}
