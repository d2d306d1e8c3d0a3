/*
 * report.c: the `goroutines` and `bt` commands, text and JSON.
 *
 * Text is for people and follows what gdb's `info goroutines` and Go's
 * traceback print: a `*` for a goroutine on a thread, id, state, the wait
 * reason in brackets, the innermost user frame, and where it was created.
 *
 * Wait times: a core holds no clock, so "now" is unknown.  The newest
 * g->waitsince in the core is the latest moment the core proves; a
 * goroutine that parked earlier has waited AT LEAST the difference.  That
 * lower bound is what is shown (">=2.0s"), never a made-up duration.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <inttypes.h>
#include <string.h>

void out_frame(struct target *t, struct out *o, const char *key, uint64_t pc, bool act)
{
    const struct frameinfo *fi = target_frame(t, pc, act);
    if (o->json) {
        j_obj(&o->j, key);
        j_str(&o->j, "function", fi->func);
        j_str(&o->j, "file", fi->file);
        if (fi->file)
            j_int(&o->j, "line", fi->line);
        else
            j_null(&o->j, "line");
        j_hex(&o->j, "pc", pc);
        j_end_obj(&o->j);
    } else if (fi->file) {
        fprintf(o->f, "%s at %s:%d", fi->func, fi->file, fi->line);
    } else {
        fprintf(o->f, "%s (%#" PRIx64 ")", fi->func, pc);
    }
}

static void fmt_dur(char *b, size_t n, int64_t ns)
{
    if (ns >= 60000000000LL)
        snprintf(b, n, ">=%.1fmin", ns / 6e10);
    else if (ns >= 1000000000LL)
        snprintf(b, n, ">=%.1fs", ns / 1e9);
    else
        snprintf(b, n, ">=%.1fms", ns / 1e6);
}

void cmd_goroutines(struct target *t, struct gtable *tab, struct out *o)
{
    size_t live = 0, dead = 0;
    for (size_t i = 0; i < tab->n; i++)
        tab->g[i].dead ? dead++ : live++;
    if (o->json) {
        j_int(&o->j, "dead", (int64_t)dead);
        j_arr(&o->j, "goroutines");
    } else {
        fprintf(o->f, "%zu goroutines (%zu dead not shown)\n", live, dead);
    }
    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (g->dead)
            continue;
        if (g->corrupt[0])
            o->corrupt++;
        bool since = g->reason && g->waitsince > 0 && tab->newest_since >= g->waitsince;
        if (o->json) {
            j_obj(&o->j, NULL);
            j_int(&o->j, "id", g->goid);
            j_str(&o->j, "state", g->state);
            j_bool(&o->j, "running", g->running);
            if (g->procid)
                j_int(&o->j, "thread", g->procid);
            else
                j_null(&o->j, "thread");
            j_str(&o->j, "wait_reason", g->reason);
            if (since) {
                j_int(&o->j, "wait_since_ns", g->waitsince);
                j_int(&o->j, "wait_at_least_ns", tab->newest_since - g->waitsince);
            } else {
                j_null(&o->j, "wait_since_ns");
                j_null(&o->j, "wait_at_least_ns");
            }
            if (g->userpc)
                out_frame(t, o, "frame", g->userpc, g->useract);
            else
                j_null(&o->j, "frame");
            if (g->gopc)
                out_frame(t, o, "created_by", g->gopc, false);
            else
                j_null(&o->j, "created_by");
            j_int(&o->j, "parent", g->parentgoid);
            j_hex(&o->j, "address", g->addr);
            if (g->corrupt[0]) {
                char b[128];
                snprintf(b, sizeof b, "<corrupt: %s>", g->corrupt);
                j_str(&o->j, "corrupt", b);
            } else {
                j_null(&o->j, "corrupt");
            }
            j_end_obj(&o->j);
            continue;
        }
        char st[96];
        if (g->reason) {
            char d[32] = "";
            if (since && tab->newest_since > g->waitsince)
                fmt_dur(d, sizeof d, tab->newest_since - g->waitsince);
            snprintf(st, sizeof st, "%s [%s%s%s]", g->state, g->reason, d[0] ? ", " : "", d);
        } else {
            snprintf(st, sizeof st, "%s", g->state);
        }
        fprintf(o->f, "%c %6" PRId64 " %-30s ", g->running ? '*' : ' ', g->goid, st);
        if (g->userpc)
            out_frame(t, o, NULL, g->userpc, g->useract);
        else
            fputs("(no user frame)", o->f);
        if (g->gopc) {
            fputs("  created by ", o->f);
            out_frame(t, o, NULL, g->gopc, false);
            if (g->parentgoid > 0)
                fprintf(o->f, " in goroutine %" PRId64, g->parentgoid);
        }
        if (g->corrupt[0])
            fprintf(o->f, "  <corrupt: %s>", g->corrupt);
        fputc('\n', o->f);
    }
    if (o->json)
        j_end_arr(&o->j);
}

static void bt_one(struct target *t, struct out *o, struct gor *g)
{
    static struct bframe fr[LIMIT_FRAMES];
    char err[160];
    int n = unwind_goroutine(t, g, fr, LIMIT_FRAMES, err, sizeof err);
    if (n < 0)
        o->corrupt++;
    if (o->json) {
        j_obj(&o->j, NULL);
        j_int(&o->j, "id", g->goid);
        j_str(&o->j, "state", g->state);
        j_str(&o->j, "wait_reason", g->reason);
        j_bool(&o->j, "running", g->running);
        j_arr(&o->j, "frames");
        for (int k = 0; k < n; k++)
            out_frame(t, o, NULL, fr[k].pc, fr[k].activation);
        j_end_arr(&o->j);
        if (g->gopc)
            out_frame(t, o, "created_by", g->gopc, false);
        else
            j_null(&o->j, "created_by");
        if (n < 0) {
            char b[200];
            snprintf(b, sizeof b, "<corrupt: %s>", err);
            j_str(&o->j, "error", b);
        } else {
            j_null(&o->j, "error");
        }
        j_end_obj(&o->j);
        return;
    }
    fprintf(o->f, "goroutine %" PRId64 " [%s%s%s]%s:\n", g->goid, g->state,
            g->reason ? ": " : "", g->reason ? g->reason : "",
            g->running ? " (on thread)" : "");
    if (n < 0)
        fprintf(o->f, "  <corrupt: %s>\n", err);
    for (int k = 0; k < n; k++) {
        fprintf(o->f, "  #%-2d ", k);
        out_frame(t, o, NULL, fr[k].pc, fr[k].activation);
        fputc('\n', o->f);
    }
    if (n == LIMIT_FRAMES)
        fprintf(o->f, "  ...(more than %d frames)\n", LIMIT_FRAMES);
    if (g->gopc) {
        fputs("  created by ", o->f);
        out_frame(t, o, NULL, g->gopc, false);
        fputc('\n', o->f);
    }
    fputc('\n', o->f);
}

void cmd_bt(struct target *t, struct gtable *tab, struct out *o, int64_t goid)
{
    if (o->json)
        j_arr(&o->j, "backtraces");
    bool any = false;
    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (g->dead || (goid >= 0 && g->goid != goid))
            continue;
        any = true;
        bt_one(t, o, g);
        if (goid >= 0)
            break;
    }
    if (o->json)
        j_end_arr(&o->j);
    if (!any && goid >= 0) {
        if (!o->json)
            fprintf(o->f, "no goroutine %" PRId64 "\n", goid);
        o->corrupt = -1;   /* main: exit 1 */
    }
}
