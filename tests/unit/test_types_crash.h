/*
 * test_types_crash.h: expecting a crash with an exact message, for the
 * type, interface and closure tests.
 *
 * Criterion's .signal = SIGABRT checks that a test dies, not what it said.
 * expect_abort runs fn in a forked child whose stderr goes into a pipe,
 * then checks that the child died of SIGABRT and that its stderr holds the
 * wanted line exactly (a whole line: "panic: <msg>" or
 * "fatal error: <msg>", which the goroutine dump follows).  Use it on the
 * test's own thread, before any gort_main (the child must not inherit
 * other threads).  expect_abort_parts is for messages holding an address:
 * some line must start with prefix and contain part.
 */
#ifndef TEST_TYPES_CRASH_H
#define TEST_TYPES_CRASH_H

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run fn in a child; check it died of SIGABRT; return its stderr. */
static inline const char *run_aborting(void (*fn)(void))
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        fn();
        _exit(0);       /* fn returned: no crash, the parent reports it */
    }
    close(fds[1]);
    static char buf[1 << 16];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == sizeof buf - 1)
            break;
    }
    buf[n] = 0;
    close(fds[0]);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
              "expected death by SIGABRT, got status 0x%x; stderr:\n%s", st, buf);
    return buf;
}

static inline void expect_abort(void (*fn)(void), const char *want_line)
{
    const char *buf = run_aborting(fn);
    /* The wanted text must be a whole line of the output. */
    size_t wl = strlen(want_line);
    for (const char *p = buf; (p = strstr(p, want_line)) != NULL; p++)
        if ((p == buf || p[-1] == '\n') && (p[wl] == '\n' || p[wl] == 0))
            return;
    cr_assert_fail("stderr lacks the line \"%s\"; stderr was:\n%s", want_line, buf);
}

static inline void expect_abort_parts(void (*fn)(void), const char *prefix, const char *part)
{
    const char *buf = run_aborting(fn);
    size_t pl = strlen(prefix);
    for (const char *line = buf; *line; ) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= pl && strncmp(line, prefix, pl) == 0) {
            const char *hit = memmem(line, len, part, strlen(part));
            if (hit != NULL)
                return;
        }
        line += len + (end != NULL);
    }
    cr_assert_fail("stderr lacks a line \"%s...%s...\"; stderr was:\n%s", prefix, part, buf);
}

#endif
