/*
 * proc_crash.h: running a gort program that is meant to die, for the
 * scheduler's crash expectations (panic, stack overflow, deadlock, misuse).
 *
 * crash_run forks; the child runs body as gort_main's main function with
 * stderr going into a pipe, core dumps off (RLIMIT_CORE 0) and file:line
 * lookups on; the parent collects everything the child wrote and how it
 * ended.  crash_run_raw runs a plain function instead, with no runtime
 * started (misuse before gort_main).  The test's own process never starts
 * the runtime, so one test can run several children.  A child that
 * outlives `seconds` is killed and reported as such.
 */
#ifndef PROC_CRASH_H
#define PROC_CRASH_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gort.h"

struct crash {
    int    status;          /* waitpid status */
    bool   timedout;
    size_t len;
    char   out[1 << 17];
};

/* env: NULL or one "NAME=value" set in the child before gort_main.  With
 * raw set, the child calls raw() on its own thread instead of starting the
 * runtime (misuse before gort_main), and exits 0 if it returns. */
static inline void crash_spawn(struct crash *c, int (*body)(int, char **), void (*raw)(void),
                               const char *procs, int seconds, const char *env)
{
    memset(c, 0, sizeof *c);
    int fds[2];
    if (pipe(fds) != 0)
        abort();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = { 0, 0 };
        setrlimit(RLIMIT_CORE, &rl);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        if (procs != NULL)
            setenv("GORTMAXPROCS", procs, 1);
        if (env != NULL)
            putenv((char *)env);
        if (raw != NULL) {
            raw();
            _exit(0);
        }
        int rc = gort_main(body, 0, NULL);
        _exit(rc);
    }
    close(fds[1]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms > seconds * 1000L) {
            c->timedout = true;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = { fds[0], POLLIN, 0 };
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (c->len + 1 >= sizeof c->out)
            break;
        ssize_t n = read(fds[0], c->out + c->len, sizeof c->out - 1 - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        c->len += (size_t)n;
    }
    c->out[c->len] = '\0';
    close(fds[0]);
    while (waitpid(pid, &c->status, 0) < 0 && errno == EINTR)
        ;
}

static inline void crash_run_env(struct crash *c, int (*body)(int, char **), const char *procs,
                                 int seconds, const char *env)
{
    crash_spawn(c, body, NULL, procs, seconds, env);
}

static inline void crash_run(struct crash *c, int (*body)(int, char **), const char *procs,
                             int seconds)
{
    crash_spawn(c, body, NULL, procs, seconds, NULL);
}

/* raw() in a child with no runtime started. */
static inline void crash_run_raw(struct crash *c, void (*raw)(void), int seconds)
{
    crash_spawn(c, NULL, raw, NULL, seconds, NULL);
}

/* The child ran to the end and its main function returned 0. */
static inline bool crash_exited_ok(const struct crash *c)
{
    return !c->timedout && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

static inline bool crash_aborted(const struct crash *c)
{
    return !c->timedout && WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGABRT;
}

#endif
