/*
 * test_chan_util.h: helpers shared by the channel, select and sync tests.
 *
 * chan_crash(body, seconds): runs body as gort_main's main function in a
 * forked child (stderr into a pipe, no core file, killed by SIGALRM after
 * `seconds`) and returns how it ended and what it printed; chan_crash_run
 * can instead run a plain function with no runtime started.  The test's own
 * process never starts the runtime, so one test may run several children.
 * has_line(out, line): out has `line` as a whole line.
 *
 * publish_self(&slot) / wait_parked(&slot, reason): a goroutine stores its
 * own struct g before it blocks; another goroutine waits until that g is
 * parked with the given wait reason and returns it, so a test can look at
 * what a debugger would see (g->waiting, the sudog's c and elem).
 */
#ifndef TEST_CHAN_UTIL_H
#define TEST_CHAN_UTIL_H

#include <criterion/criterion.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gort_test.h"
#include "chan.h"

struct chan_crash {
    int  status;                /* waitpid status */
    char out[1 << 16];          /* the child's stderr */
};

/* body runs as gort_main's main function, or raw (if not NULL) runs on
 * the child's own thread with no runtime started. */
static inline void chan_crash_run(struct chan_crash *r, int (*body)(int, char **),
                                  void (*raw)(void), unsigned seconds)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct rlimit nocore = { 0, 0 };
        setrlimit(RLIMIT_CORE, &nocore);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        alarm(seconds);
        if (raw != NULL) {
            raw();
            _exit(0);
        }
        int rc = gort_main(body, 0, NULL);
        _exit(rc == 0 ? 0 : 3);
    }
    close(fds[1]);
    size_t n = 0;
    for (;;) {
        ssize_t k = read(fds[0], r->out + n, sizeof r->out - 1 - n);
        if (k <= 0 || (n += (size_t)k) == sizeof r->out - 1)
            break;
    }
    r->out[n] = 0;
    close(fds[0]);
    cr_assert_eq(waitpid(pid, &r->status, 0), pid);
}

static inline void chan_crash(struct chan_crash *r, int (*body)(int, char **), unsigned seconds)
{
    chan_crash_run(r, body, NULL, seconds);
}

static inline bool has_line(const char *out, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = out; (p = strstr(p, line)) != NULL; p++)
        if ((p == out || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0))
            return true;
    return false;
}

/* The child died of SIGABRT and printed `line`. */
#define expect_abort_line(r, line)                                          \
    do {                                                                    \
        cr_assert(WIFSIGNALED((r)->status) && WTERMSIG((r)->status) == SIGABRT, \
                  "expected SIGABRT, status 0x%x; stderr:\n%s", (r)->status, (r)->out); \
        cr_assert(has_line((r)->out, (line)),                               \
                  "no line \"%s\" in stderr:\n%s", (line), (r)->out);      \
    } while (0)

static inline void publish_self(struct g *_Atomic *slot)
{
    atomic_store(slot, getg());
}

static inline struct g *wait_parked(struct g *_Atomic *slot, enum waitreason reason)
{
    for (long i = 0; i < 2000000; i++) {
        struct g *gp = atomic_load(slot);
        if (gp != NULL && atomic_load(&gp->atomicstatus) == Gwaiting &&
            gp->waitreason == (uint32_t)reason)
            return gp;
        if (i > 1000)
            gort_sleep(10000);
        else
            gort_yield();
    }
    gt_assert(0, "the goroutine never parked with the expected reason");
    return NULL;
}

/* Number of sudogs in a wait queue (the caller knows nobody changes it). */
static inline int waitq_len(struct hchan *c, bool send)
{
    lock(&c->lock);
    int n = 0;
    for (struct sudog *s = (send ? c->sendq : c->recvq).first; s != NULL; s = s->next)
        n++;
    unlock(&c->lock);
    return n;
}

#endif
