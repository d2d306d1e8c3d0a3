/*
 * waitgraph.c: the `waitgraph` command: who waits on whom, and deadlocks.
 *
 * An edge A -> B means "B could end A's wait".  Edges are honest about how
 * they are known; each carries its kind:
 *
 *   queued   A waits to receive on c and B is parked on c's sendq (or the
 *            reverse): B's operation completes A's.  Exact.
 *   owner    A waits for a gort_mutex whose owner field is B.  Exact.
 *   holds    A waits on a channel or waitgroup and B's parked stack (or an
 *            object one pointer away from it: a goroutine's argument
 *            struct) holds that object's address, and B is not itself
 *            waiting on it the same way.  B *could* send, close, or call
 *            Done: a conservative guess, the only one a core allows,
 *            since the code B will run next is unknown.
 *   child    A waits on a waitgroup and B is a live goroutine A created:
 *            the usual shape (start workers, wait for them), and often the
 *            only clue, since a global waitgroup leaves no reference on
 *            any stack.  Also a guess.
 *
 * A goroutine parked in a nil-channel operation or an empty select has no
 * edge and is blocked forever.  A sleeping goroutine is not blocked (its
 * timer wakes it), and neither is a runnable or running one.
 *
 * Cycles are found by a depth-first search over the edges (iterative, so
 * a million goroutines cannot overflow our stack), each reported once,
 * rotated to start at its smallest id: "deadlock cycle: g3 -> g4 -> g3".
 * A cycle is certain when its edges are all exact, or when every goroutine
 * is blocked (nothing outside the cycle can break it); otherwise it is
 * reported as a possible cycle.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "chans.h"
#include "scan.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum ekind { E_QUEUED, E_OWNER, E_HOLDS, E_CHILD };
static const char *const ekind_name[] = { "queued", "owner", "holds", "child" };

struct edge {
    size_t from, to;            /* indices into the goroutine table */
    enum ekind kind;
    uint64_t obj;
};

struct graph {
    struct edge *e;
    size_t n, cap;
};

static void add_edge(struct graph *g, size_t from, size_t to, enum ekind k, uint64_t obj)
{
    if (from == to)
        return;
    for (size_t i = 0; i < g->n; i++)   /* duplicates: keep the most certain kind */
        if (g->e[i].from == from && g->e[i].to == to) {
            if (k < g->e[i].kind)
                g->e[i].kind = k;
            return;
        }
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 64;
        struct edge *ne = realloc(g->e, nc * sizeof *ne);
        if (!ne)
            return;
        g->e = ne;
        g->cap = nc;
    }
    g->e[g->n++] = (struct edge){ from, to, k, obj };
}

/* Stack references: which goroutine holds which interesting address. */
struct ref {
    uint64_t addr;
    size_t g;
};
struct refs {
    struct ref *r;
    size_t n, cap;
};

static void add_ref(struct refs *rs, uint64_t a, size_t g)
{
    if (rs->n && rs->r[rs->n - 1].addr == a && rs->r[rs->n - 1].g == g)
        return;
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 256;
        struct ref *nr = realloc(rs->r, nc * sizeof *nr);
        if (!nr)
            return;
        rs->r = nr;
        rs->cap = nc;
    }
    rs->r[rs->n++] = (struct ref){ a, g };
}

/* Scan parked stacks, and the first words of objects they point to, for
 * the addresses in want.  Bounded by LIMIT_STACK_SCAN per stack and 16
 * words per pointed-to object. */
static void find_refs(struct target *t, struct gtable *tab, const struct addrset *want,
                      struct refs *rs)
{
    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (g->dead || g->running)
            continue;
        const uint64_t *w;
        uint64_t *tmp;
        size_t n = stack_words(t, g, &w, &tmp);
        for (size_t k = 0; k < n; k++) {
            if (addrset_has(want, w[k])) {
                add_ref(rs, w[k], i);
                continue;
            }
            if (w[k] < 4096 || (w[k] & 7) || (w[k] >= g->stacklo && w[k] < g->stackhi))
                continue;
            const unsigned char *v = mem_view(&t->mem, w[k], 128);
            if (!v)
                continue;
            for (int j = 0; j < 16; j++) {
                uint64_t x;
                memcpy(&x, v + 8 * j, 8);
                if (addrset_has(want, x))
                    add_ref(rs, x, i);
            }
        }
        free(tmp);
    }
}

static bool reason_is(struct target *t, const struct gor *g, const char *name)
{
    int64_t v;
    return g->reason && lay_enum(&t->lay, "waitreason", name, &v) && v == g->waitreason;
}

/* Blocked: waiting for something other than a timer. */
static bool blocked(struct target *t, const struct gor *g)
{
    return !g->dead && g->reason && !reason_is(t, g, "waitReasonSleep");
}

static struct chaninfo *chan_at(struct chanset *cs, uint64_t a)
{
    for (size_t i = 0; i < cs->n; i++)
        if (cs->c[i].addr == a)
            return &cs->c[i];
    return NULL;
}

static size_t gindex(struct gtable *tab, int64_t goid)
{
    for (size_t i = 0; i < tab->n; i++)
        if (!tab->g[i].dead && tab->g[i].goid == goid)
            return i;
    return SIZE_MAX;
}

/* Does goroutine j wait on object a in the same way as goroutine i? */
static bool same_wait(struct target *t, const struct gor *gi, const struct gor *gj, uint64_t a)
{
    if (!gj->reason || gj->waitreason != gi->waitreason || reason_is(t, gi, "waitReasonSelect"))
        return false;
    for (int k = 0; k < gj->nsud; k++)
        if (gj->sud[k].c == a || gj->sud[k].obj == a)
            return true;
    return gj->waitobj == a;
}

static void holds_edges(struct target *t, struct gtable *tab, struct refs *rs, size_t i,
                        uint64_t a, struct graph *gr)
{
    for (size_t k = 0; k < rs->n; k++)
        if (rs->r[k].addr == a && rs->r[k].g != i &&
            !same_wait(t, &tab->g[i], &tab->g[rs->r[k].g], a))
            add_edge(gr, i, rs->r[k].g, E_HOLDS, a);
}

static void build(struct target *t, struct gtable *tab, struct chanset *cs, struct graph *gr)
{
    int64_t mu_owner = lay_off(&t->lay, "gort_mutex", "owner");
    struct addrset want = { 0 };
    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (!blocked(t, g))
            continue;
        for (int k = 0; k < g->nsud; k++) {
            addrset_add(&want, g->sud[k].c);
            addrset_add(&want, g->sud[k].obj);
        }
        addrset_add(&want, g->waitobj);
    }
    struct refs rs = { 0 };
    find_refs(t, tab, &want, &rs);
    addrset_free(&want);

    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (!blocked(t, g))
            continue;
        bool recv = reason_is(t, g, "waitReasonChanReceive");
        bool send = reason_is(t, g, "waitReasonChanSend");
        bool sel = reason_is(t, g, "waitReasonSelect");
        if (recv || send || sel) {
            for (int k = 0; k < g->nsud; k++) {
                struct chaninfo *c = chan_at(cs, g->sud[k].c);
                if (!c)
                    continue;
                /* The opposite queue completes us; a select may be either. */
                if (recv || sel)
                    for (size_t q = 0; q < c->sendq.n && q < LIMIT_IDS; q++)
                        add_edge(gr, i, gindex(tab, c->sendq.id[q]), E_QUEUED, c->addr);
                if (send || sel)
                    for (size_t q = 0; q < c->recvq.n && q < LIMIT_IDS; q++)
                        add_edge(gr, i, gindex(tab, c->recvq.id[q]), E_QUEUED, c->addr);
                holds_edges(t, tab, &rs, i, c->addr, gr);
            }
        } else if (reason_is(t, g, "waitReasonMutex")) {
            uint64_t mu = g->waitobj;
            for (int k = 0; !mu && k < g->nsud; k++)
                mu = g->sud[k].obj;
            int64_t owner;
            if (mu && mu_owner >= 0 && mem_read(&t->mem, mu + (uint64_t)mu_owner, &owner, 8) &&
                owner > 0) {
                size_t j = gindex(tab, owner);
                if (j != SIZE_MAX)
                    add_edge(gr, i, j, E_OWNER, mu);
            }
        } else if (reason_is(t, g, "waitReasonWaitGroup")) {
            uint64_t wg = g->waitobj;
            for (int k = 0; !wg && k < g->nsud; k++)
                wg = g->sud[k].obj;
            if (wg)
                holds_edges(t, tab, &rs, i, wg, gr);
            for (size_t j = 0; j < tab->n; j++)
                if (!tab->g[j].dead && tab->g[j].parentgoid == g->goid && j != i)
                    add_edge(gr, i, j, E_CHILD, wg);
        }
    }
    /* Edges to goroutines not in the table (SIZE_MAX) are dropped. */
    size_t w = 0;
    for (size_t k = 0; k < gr->n; k++)
        if (gr->e[k].to != SIZE_MAX)
            gr->e[w++] = gr->e[k];
    gr->n = w;
    free(rs.r);
}

static int cmp_edge(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from ? 1 : (x->to > y->to) - (x->to < y->to);
}

enum { LIMIT_CYCLES = 64, LIMIT_CYCLE_LEN = 64 };
struct cycle {
    size_t n;
    size_t node[LIMIT_CYCLE_LEN];
    bool exact;
};

/* Iterative DFS; a back edge to a node on the path closes a cycle. */
static size_t find_cycles(struct gtable *tab, struct graph *gr, struct cycle *out)
{
    size_t ncyc = 0, n = tab->n;
    if (gr->n)
        qsort(gr->e, gr->n, sizeof *gr->e, cmp_edge);
    size_t *first = calloc(n + 1, sizeof *first);
    unsigned char *color = calloc(n, 1);           /* 0 white, 1 on path, 2 done */
    size_t *path = malloc(n * sizeof *path), *next = malloc(n * sizeof *next);
    if (!first || !color || !path || !next)
        goto out;
    for (size_t k = 0; k < gr->n; k++)
        first[gr->e[k].from + 1]++;
    for (size_t i = 0; i < n; i++)
        first[i + 1] += first[i];
    for (size_t s = 0; s < n; s++) {
        if (color[s] || first[s] == first[s + 1])
            continue;
        size_t depth = 0;
        path[depth] = s;
        next[depth] = first[s];
        color[s] = 1;
        depth++;
        while (depth > 0) {
            size_t u = path[depth - 1];
            if (next[depth - 1] == first[u + 1]) {
                color[u] = 2;
                depth--;
                continue;
            }
            struct edge *e = &gr->e[next[depth - 1]++];
            size_t v = e->to;
            if (color[v] == 1 && ncyc < LIMIT_CYCLES) {
                size_t at = depth;
                while (at > 0 && path[at - 1] != v)
                    at--;
                struct cycle *c = &out[ncyc];
                c->n = 0;
                c->exact = true;
                for (size_t k = at - 1; k < depth && c->n < LIMIT_CYCLE_LEN; k++)
                    c->node[c->n++] = path[k];
                for (size_t k = 0; k < c->n; k++) {
                    size_t a = c->node[k], b = c->node[(k + 1) % c->n];
                    for (size_t x = first[a]; x < first[a + 1]; x++)
                        if (gr->e[x].to == b && gr->e[x].kind >= E_HOLDS)
                            c->exact = false;
                }
                ncyc++;
            } else if (color[v] == 0) {
                color[v] = 1;
                path[depth] = v;
                next[depth] = first[v];
                depth++;
            }
        }
    }
out:
    free(first);
    free(color);
    free(path);
    free(next);
    return ncyc;
}

void cmd_waitgraph(struct target *t, struct gtable *tab, struct out *o)
{
    struct chanset cs;
    chans_collect(t, tab, &cs, false);
    struct graph gr = { 0 };
    build(t, tab, &cs, &gr);
    chans_free(&cs);

    size_t live = 0, nblocked = 0;
    for (size_t i = 0; i < tab->n; i++) {
        if (tab->g[i].dead)
            continue;
        live++;
        nblocked += blocked(t, &tab->g[i]);
    }
    bool all = live > 0 && nblocked == live;
    struct cycle *cyc = calloc(LIMIT_CYCLES, sizeof *cyc);
    size_t ncyc = cyc ? find_cycles(tab, &gr, cyc) : 0;

    if (o->json) {
        j_arr(&o->j, "goroutines");
        for (size_t i = 0; i < tab->n; i++) {
            struct gor *g = &tab->g[i];
            if (g->dead)
                continue;
            j_obj(&o->j, NULL);
            j_int(&o->j, "id", g->goid);
            j_str(&o->j, "state", g->state);
            j_str(&o->j, "wait_reason", g->reason);
            j_bool(&o->j, "blocked", blocked(t, g));
            j_end_obj(&o->j);
        }
        j_end_arr(&o->j);
        j_arr(&o->j, "edges");
        for (size_t k = 0; k < gr.n; k++) {
            j_obj(&o->j, NULL);
            j_int(&o->j, "from", tab->g[gr.e[k].from].goid);
            j_int(&o->j, "to", tab->g[gr.e[k].to].goid);
            j_str(&o->j, "kind", ekind_name[gr.e[k].kind]);
            j_hex(&o->j, "object", gr.e[k].obj);
            j_end_obj(&o->j);
        }
        j_end_arr(&o->j);
        j_arr(&o->j, "cycles");
    } else {
        fprintf(o->f, "%zu goroutines, %zu blocked\n", live, nblocked);
        for (size_t k = 0; k < gr.n; k++) {
            struct gor *a = &tab->g[gr.e[k].from], *b = &tab->g[gr.e[k].to];
            fprintf(o->f, "  g%" PRId64 " [%s] -> g%" PRId64 "  (%s %#" PRIx64 ")\n", a->goid,
                    a->reason ? a->reason : a->state, b->goid,
                    gr.e[k].kind == E_QUEUED ? "queued on channel"
                    : gr.e[k].kind == E_OWNER ? "owns mutex"
                    : gr.e[k].kind == E_CHILD ? "created by it, may call Done on waitgroup"
                                              : "holds a reference to",
                    gr.e[k].obj);
        }
        for (size_t i = 0; i < tab->n; i++) {
            struct gor *g = &tab->g[i];
            bool out_edge = false;
            for (size_t k = 0; k < gr.n && !out_edge; k++)
                out_edge = gr.e[k].from == i;
            if (blocked(t, g) && !out_edge)
                fprintf(o->f, "  g%" PRId64 " [%s]: no goroutine known to end this wait "
                        "(none queued opposite, owning or referencing it)\n", g->goid,
                        g->reason);
        }
    }
    for (size_t c = 0; c < ncyc; c++) {
        /* Rotate to start at the smallest goid. */
        size_t m = 0;
        for (size_t k = 1; k < cyc[c].n; k++)
            if (tab->g[cyc[c].node[k]].goid < tab->g[cyc[c].node[m]].goid)
                m = k;
        bool certain = cyc[c].exact || all;
        if (o->json) {
            j_obj(&o->j, NULL);
            j_arr(&o->j, "goroutines");
            for (size_t k = 0; k <= cyc[c].n; k++)
                j_int(&o->j, NULL, tab->g[cyc[c].node[(m + k) % cyc[c].n]].goid);
            j_end_arr(&o->j);
            j_bool(&o->j, "certain", certain);
            j_end_obj(&o->j);
            continue;
        }
        fprintf(o->f, "%sdeadlock cycle: ", certain ? "" : "possible ");
        for (size_t k = 0; k <= cyc[c].n; k++)
            fprintf(o->f, "%sg%" PRId64, k ? " -> " : "",
                    tab->g[cyc[c].node[(m + k) % cyc[c].n]].goid);
        fputc('\n', o->f);
    }
    if (o->json) {
        j_end_arr(&o->j);
        j_bool(&o->j, "all_blocked", all);
    } else if (all) {
        fputs("all goroutines are blocked: deadlock\n", o->f);
    } else {
        fputs("not all goroutines are blocked\n", o->f);
    }
    free(cyc);
    free(gr.e);
}
