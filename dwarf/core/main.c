/*
 * main.c: gort-core's command line.
 *
 *   gort-core [--json] [--debug-dir DIR]... BINARY CORE
 *             goroutines | bt N|all | chans | maps | waitgraph
 *
 * --debug-dir DIR: also look for the binary's separate debug file in DIR
 * (DIR/.build-id/xx/rest.debug, or DIR/<binary's directory>/<debuglink
 * name>), as gort-dwarf --debug-dir and gdb's debug-file-directory do.
 *
 * Exit status (documented in dwarf/gort-core.schema.json too):
 *   0  everything read cleanly
 *   3  results printed, but parts were corrupt or unreadable (<corrupt: ...>)
 *   1  nothing useful could be read: a one-line reason on stderr (and, with
 *      --json, a document {"schema_version":1,"error":...} on stdout)
 *   2  usage error
 * Every JSON document carries "schema_version": 1, "command", "binary" and
 * "core"; the rest depends on the command (see the schema).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* GORT_CORE_TIMING=1: how long each phase took, on stderr (for the speed
 * figures in tests/core/README.md). */
static void phase(const char *what)
{
    static struct timespec t0;
    struct timespec t;
    if (!getenv("GORT_CORE_TIMING"))
        return;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (t0.tv_sec)
        fprintf(stderr, "gort-core: %-10s %.3f s\n", what,
                (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9);
    t0 = t;
}

enum { SCHEMA_VERSION = 1 };

static void usage(FILE *f)
{
    fprintf(f, "usage: gort-core [--json] [--debug-dir DIR]... BINARY CORE goroutines | "
               "bt N|all | chans | maps | waitgraph\n");
}

static int fail(struct out *o, const char *cmd, const char *bin, const char *core,
                const char *msg)
{
    fprintf(stderr, "gort-core: %s\n", msg);
    if (o->json) {
        j_begin(&o->j, stdout);
        j_int(&o->j, "schema_version", SCHEMA_VERSION);
        j_str(&o->j, "command", cmd);
        j_str(&o->j, "binary", bin);
        j_str(&o->j, "core", core);
        j_str(&o->j, "error", msg);
        j_finish(&o->j);
    }
    return 1;
}

int main(int argc, char **argv)
{
    struct out o = { .f = stdout };
    int a = 1;
    for (;;) {
        if (a < argc && strcmp(argv[a], "--json") == 0) {
            o.json = true;
            a++;
        } else if (a < argc && strcmp(argv[a], "--debug-dir") == 0) {
            if (a + 1 >= argc) {
                usage(stderr);
                return 2;
            }
            if (!target_add_debug_dir(argv[a + 1])) {
                fprintf(stderr, "gort-core: --debug-dir %s: not a directory that can be "
                                "searched (missing, or a ':' in its name)\n", argv[a + 1]);
                return 2;
            }
            a += 2;
        } else {
            break;
        }
    }
    if (a < argc && (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc - a < 3) {
        usage(stderr);
        return 2;
    }
    const char *bin = argv[a], *core = argv[a + 1], *cmd = argv[a + 2];
    int64_t goid = -1;
    if (strcmp(cmd, "bt") == 0) {
        if (argc - a != 4) {
            usage(stderr);
            return 2;
        }
        if (strcmp(argv[a + 3], "all") != 0) {
            char *end;
            goid = strtoll(argv[a + 3], &end, 10);
            if (*end || goid <= 0) {
                fprintf(stderr, "gort-core: bt: goroutine id must be a positive number or "
                                "'all', not '%s'\n", argv[a + 3]);
                return 2;
            }
        }
    } else if (argc - a != 3 || (strcmp(cmd, "goroutines") != 0 && strcmp(cmd, "chans") != 0 &&
                                 strcmp(cmd, "maps") != 0 && strcmp(cmd, "waitgraph") != 0)) {
        usage(stderr);
        return 2;
    }

    struct target t;
    char err[512];
    phase("start");
    if (!target_open(&t, bin, core, err, sizeof err)) {
        target_close(&t);
        return fail(&o, cmd, bin, core, err);
    }
    phase("open");
    struct gtable tab;
    if (!gwalk(&t, &tab, err, sizeof err)) {
        /* Maps need no scheduler: a program that uses maps and never
         * called gort_main has no goroutines (or no goroutine table at
         * all, when the scheduler was not linked), but its globals can
         * still hold maps.  Every other command is about goroutines. */
        bool maps_only = strcmp(cmd, "maps") == 0 && tab.n == 0 && tab.allglen == 0;
        gtable_free(&tab);
        if (!maps_only) {
            target_close(&t);
            return fail(&o, cmd, bin, core, err);
        }
        memset(&tab, 0, sizeof tab);
    }

    phase("walk");
    /* Damage to the whole: a truncated core, a bad goroutine table, and
     * (except for `goroutines`, which marks each damaged g on its line)
     * how many goroutines could not be read fully. */
    char marks[3][200];
    int nmarks = 0;
    if (t.mem.truncated)
        snprintf(marks[nmarks++], sizeof marks[0], "<corrupt: the core file is truncated; "
                 "what it lacks is shown as unreadable>");
    if (tab.corrupt[0])
        snprintf(marks[nmarks++], sizeof marks[0], "%s", tab.corrupt);
    size_t bad = 0;
    for (size_t i = 0; i < tab.n; i++)
        bad += tab.g[i].corrupt[0] != 0;
    if (bad && strcmp(cmd, "goroutines") != 0)
        snprintf(marks[nmarks++], sizeof marks[0], "<corrupt: %zu of %zu goroutines could not "
                 "be read fully; see `goroutines`>", bad, tab.n);
    o.corrupt += nmarks;
    if (o.json) {
        j_begin(&o.j, stdout);
        j_int(&o.j, "schema_version", SCHEMA_VERSION);
        j_str(&o.j, "command", cmd);
        j_str(&o.j, "binary", bin);
        j_str(&o.j, "core", core);
        j_bool(&o.j, "core_truncated", t.mem.truncated);
        j_arr(&o.j, "corrupt");
        for (int i = 0; i < nmarks; i++)
            j_str(&o.j, NULL, marks[i]);
        j_end_arr(&o.j);
    } else {
        for (int i = 0; i < nmarks; i++)
            fprintf(o.f, "%s\n", marks[i]);
    }

    if (strcmp(cmd, "goroutines") == 0)
        cmd_goroutines(&t, &tab, &o);
    else if (strcmp(cmd, "bt") == 0)
        cmd_bt(&t, &tab, &o, goid);
    else if (strcmp(cmd, "chans") == 0)
        cmd_chans(&t, &tab, &o);
    else if (strcmp(cmd, "maps") == 0)
        cmd_maps(&t, &tab, &o);
    else
        cmd_waitgraph(&t, &tab, &o);

    if (o.json)
        j_finish(&o.j);
    fflush(stdout);
    phase("output");
    gtable_free(&tab);
    target_close(&t);
    return o.corrupt < 0 ? 1 : o.corrupt > 0 ? 3 : 0;
}
