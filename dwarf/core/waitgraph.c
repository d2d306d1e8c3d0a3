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
 * reported as a possible cycle.  At most LIMIT_CYCLES are listed (the rest
 * are counted), and a cycle longer than LIMIT_CYCLE_LEN is shown cut with
 * a <truncated: ...> marker and its real length, never closed early.
 *
 * Cost: linear in goroutines, references and edges, plus sorting.  Goids
 * and channels are found through hash tables, stack references through a
 * sorted index, children through an index sorted by parent, duplicate
 * edges by one sort at the end.  The shape that made the first version
 * quadratic, 100,000 receivers on one channel (each against every stack
 * reference to it), costs one binary search per receiver: the holders
 * that wait on the channel the same way form one run that is skipped.
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

/* At most this many "holds" edges per waiter and object: a guess per
 * holder, and 100,000 holders of one channel would otherwise give every
 * waiter 100,000 edges.  What is cut is counted and said. */
enum { LIMIT_HOLDERS = 64 };

struct edge {
    size_t from, to;            /* indices into the goroutine table */
    enum ekind kind;
    uint64_t obj;
};

struct graph {
    struct edge *e;
    size_t n, cap;
    size_t holds_cut;           /* holds edges not made (LIMIT_HOLDERS) */
};

/* Edges are appended as found; duplicates (the same pair found through
 * two objects or two kinds) are merged once at the end by sorting
 * (dedup_edges), not searched for on every insertion. */
static void add_edge(struct graph *g, size_t from, size_t to, enum ekind k, uint64_t obj)
{
    if (from == to || to == SIZE_MAX)
        return;
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

/* Order by (from, to), the most certain kind first within a pair, then by
 * object so the one kept does not depend on qsort's order. */
static int cmp_edge(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return (x->obj > y->obj) - (x->obj < y->obj);   /* deterministic among equals */
}

/* Sort and keep one edge per pair: the most certain kind (and its object). */
static void dedup_edges(struct graph *g)
{
    if (g->n == 0)
        return;
    qsort(g->e, g->n, sizeof *g->e, cmp_edge);
    size_t w = 1;
    for (size_t k = 1; k < g->n; k++)
        if (g->e[k].from != g->e[w - 1].from || g->e[k].to != g->e[w - 1].to)
            g->e[w++] = g->e[k];
    g->n = w;
}

/* ------------------------------------------------------------- indexes */
/* goid -> table index, and channel address -> chaninfo, by open
 * addressing: the lookups happen once per waiter and per queued id, so a
 * linear search would make 100,000 waiters cost 1e10 steps. */
struct u64map {
    uint64_t *key;              /* key + 1; 0 = empty */
    size_t *val;
    size_t cap;
};

static size_t u64map_slot(const struct u64map *m, uint64_t k)
{
    uint64_t h = (k + 1) * 0x9e3779b97f4a7c15ull;
    size_t i = (size_t)(h >> 17) & (m->cap - 1);
    while (m->key[i] && m->key[i] != k + 1)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static bool u64map_init(struct u64map *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n + 2)
        m->cap *= 2;
    m->key = calloc(m->cap, sizeof *m->key);
    m->val = malloc(m->cap * sizeof *m->val);
    return m->key && m->val;
}

/* The first value for a key wins (duplicate goids in a corrupt table). */
static void u64map_put(struct u64map *m, uint64_t k, size_t v)
{
    size_t i = u64map_slot(m, k);
    if (!m->key[i]) {
        m->key[i] = k + 1;
        m->val[i] = v;
    }
}

static size_t u64map_get(const struct u64map *m, uint64_t k)
{
    if (!m->cap)
        return SIZE_MAX;
    size_t i = u64map_slot(m, k);
    return m->key[i] ? m->val[i] : SIZE_MAX;
}

static void u64map_free(struct u64map *m)
{
    free(m->key);
    free(m->val);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------ stack references */
/* Which goroutine holds which interesting address, sorted by address and,
 * within one address, by how the holder itself waits on it (cls), so the
 * holders of an object that wait on it the same way as a given waiter
 * form one run that holds_edges skips in a step. */
struct ref {
    uint64_t addr;
    int64_t cls;                /* the holder's wait reason if it waits on addr, else -1 */
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
    rs->r[rs->n++] = (struct ref){ a, -1, g };
}

static int cmp_ref(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    return (x->g > y->g) - (x->g < y->g);
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
            unsigned char v[128];   /* read, not viewed: the page cache beats faults */
            if (!mem_read(&t->mem, w[k], v, sizeof v))
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

/* The wait reasons the graph distinguishes, looked up once. */
struct reasons {
    int64_t recv, send, select, mutex, waitgroup, sleep;
    bool has_recv, has_send, has_select, has_mutex, has_waitgroup, has_sleep;
};

static void reasons_load(struct target *t, struct reasons *r)
{
    r->has_recv = lay_enum(&t->lay, "waitreason", "waitReasonChanReceive", &r->recv);
    r->has_send = lay_enum(&t->lay, "waitreason", "waitReasonChanSend", &r->send);
    r->has_select = lay_enum(&t->lay, "waitreason", "waitReasonSelect", &r->select);
    r->has_mutex = lay_enum(&t->lay, "waitreason", "waitReasonMutex", &r->mutex);
    r->has_waitgroup = lay_enum(&t->lay, "waitreason", "waitReasonWaitGroup", &r->waitgroup);
    r->has_sleep = lay_enum(&t->lay, "waitreason", "waitReasonSleep", &r->sleep);
}

#define IS(g, r, which) ((g)->reason && (r)->has_##which && (g)->waitreason == (r)->which)

/* Blocked: waiting for something other than a timer. */
static bool blocked_r(const struct reasons *r, const struct gor *g)
{
    return !g->dead && g->reason && !IS(g, r, sleep);
}

/* Does g wait on object a (a sudog's channel or object, or waitobj)? */
static bool waits_on(const struct gor *g, uint64_t a)
{
    if (!g->reason)
        return false;
    for (int k = 0; k < g->nsud; k++)
        if (g->sud[k].c == a || g->sud[k].obj == a)
            return true;
    return g->waitobj == a;
}

/* The first ref in [lo, hi) not below (a, cls): rs is sorted by (addr, cls). */
static size_t ref_bound(const struct refs *rs, size_t lo, size_t hi, uint64_t a, int64_t cls)
{
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ref *r = &rs->r[mid];
        if (r->addr < a || (r->addr == a && r->cls < cls))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Holders of a that could end goroutine i's wait on it: every reference
 * to a except i's own and, unless i is in a select, those of goroutines
 * that wait on a for the same reason as i (another receiver cannot end a
 * receive).  rs is sorted by (addr, cls): the holders of a are one run,
 * the excluded ones a sub-run found by binary search. */
static void holds_edges(const struct reasons *rn, struct gtable *tab, struct refs *rs,
                        size_t i, uint64_t a, struct graph *gr)
{
    const struct gor *gi = &tab->g[i];
    size_t lo = ref_bound(rs, 0, rs->n, a, INT64_MIN), end = ref_bound(rs, lo, rs->n, a, INT64_MAX);
    if (lo == end)
        return;
    /* The excluded run [xlo, xhi): cls == gi's reason. */
    size_t xlo = end, xhi = end;
    if (!IS(gi, rn, select)) {
        xlo = ref_bound(rs, lo, end, a, gi->waitreason);
        xhi = gi->waitreason == INT64_MAX ? end : ref_bound(rs, xlo, end, a, gi->waitreason + 1);
    }
    size_t made = 0, candidates = 0;
    size_t runs[2][2] = { { lo, xlo }, { xhi, end } };
    for (int r = 0; r < 2; r++)
        for (size_t k = runs[r][0]; k < runs[r][1]; k++) {
            if (rs->r[k].g == i)
                continue;
            candidates++;
            if (made < LIMIT_HOLDERS) {
                add_edge(gr, i, rs->r[k].g, E_HOLDS, a);
                made++;
            }
        }
    gr->holds_cut += candidates - made;
}

/* Live goroutines by parent goid: children[first..] of a goid, by binary
 * search, for the waitgroup's "child" edges. */
struct kids {
    size_t *idx;                /* table indices of live g's, sorted by parentgoid */
    size_t n;
};

static struct gtable *kids_tab;   /* qsort has no context argument */
static int cmp_kid(const void *a, const void *b)
{
    int64_t x = kids_tab->g[*(const size_t *)a].parentgoid;
    int64_t y = kids_tab->g[*(const size_t *)b].parentgoid;
    if (x != y)
        return x < y ? -1 : 1;
    return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static void kids_build(struct gtable *tab, struct kids *k)
{
    k->n = 0;
    k->idx = malloc((tab->n + 1) * sizeof *k->idx);
    if (!k->idx)
        return;
    for (size_t i = 0; i < tab->n; i++)
        if (!tab->g[i].dead)
            k->idx[k->n++] = i;
    kids_tab = tab;
    qsort(k->idx, k->n, sizeof *k->idx, cmp_kid);
}

static void child_edges(struct gtable *tab, const struct kids *k, size_t i, uint64_t wg,
                        struct graph *gr)
{
    int64_t goid = tab->g[i].goid;
    size_t lo = 0, hi = k->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tab->g[k->idx[mid]].parentgoid < goid)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t j = lo; j < k->n && tab->g[k->idx[j]].parentgoid == goid; j++)
        add_edge(gr, i, k->idx[j], E_CHILD, wg);
}

static void build(struct target *t, struct gtable *tab, struct chanset *cs, struct graph *gr)
{
    struct reasons rn;
    reasons_load(t, &rn);
    int64_t mu_owner = lay_off(&t->lay, "gort_mutex", "owner");
    /* owner is the holder's only while the mutex is locked: unlock leaves
     * it as it was (runtime/sema.c).  A libgort from before that cleared
     * owner on unlock and has no enum mutex_state: owner as it is. */
    int64_t mu_state = lay_off(&t->lay, "gort_mutex", "state");
    int64_t mu_locked = 0;
    if (!lay_enum(&t->lay, "mutex_state", "MUTEX_LOCKED", &mu_locked))
        mu_state = -1;
    struct addrset want = { 0 };
    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (!blocked_r(&rn, g))
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
    for (size_t k = 0; k < rs.n; k++) {
        const struct gor *h = &tab->g[rs.r[k].g];
        rs.r[k].cls = waits_on(h, rs.r[k].addr) ? h->waitreason : -1;
    }
    if (rs.n)
        qsort(rs.r, rs.n, sizeof *rs.r, cmp_ref);

    struct u64map byid = { 0 }, bychan = { 0 };
    if (!u64map_init(&byid, tab->n) || !u64map_init(&bychan, cs->n)) {
        u64map_free(&byid);
        u64map_free(&bychan);
    } else {
        for (size_t i = 0; i < tab->n; i++)
            if (!tab->g[i].dead)
                u64map_put(&byid, (uint64_t)tab->g[i].goid, i);
        for (size_t i = 0; i < cs->n; i++)
            u64map_put(&bychan, cs->c[i].addr, i);
    }
    struct kids kids;
    kids_build(tab, &kids);

    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (!blocked_r(&rn, g))
            continue;
        bool recv = IS(g, &rn, recv), send = IS(g, &rn, send), sel = IS(g, &rn, select);
        if (recv || send || sel) {
            for (int k = 0; k < g->nsud; k++) {
                size_t ci = u64map_get(&bychan, g->sud[k].c);
                if (ci == SIZE_MAX)
                    continue;
                struct chaninfo *c = &cs->c[ci];
                /* The opposite queue completes us; a select may be either. */
                if (recv || sel)
                    for (size_t q = 0; q < c->sendq.n && q < LIMIT_IDS; q++)
                        add_edge(gr, i, u64map_get(&byid, (uint64_t)c->sendq.id[q]), E_QUEUED,
                                 c->addr);
                if (send || sel)
                    for (size_t q = 0; q < c->recvq.n && q < LIMIT_IDS; q++)
                        add_edge(gr, i, u64map_get(&byid, (uint64_t)c->recvq.id[q]), E_QUEUED,
                                 c->addr);
                holds_edges(&rn, tab, &rs, i, c->addr, gr);
            }
        } else if (IS(g, &rn, mutex)) {
            uint64_t mu = g->waitobj;
            for (int k = 0; !mu && k < g->nsud; k++)
                mu = g->sud[k].obj;
            int64_t owner;
            uint32_t state;
            if (mu && mu_owner >= 0 &&
                (mu_state < 0 || (mem_read(&t->mem, mu + (uint64_t)mu_state, &state, 4) &&
                                  (state & (uint64_t)mu_locked) != 0)) &&
                mem_read(&t->mem, mu + (uint64_t)mu_owner, &owner, 8) && owner > 0)
                add_edge(gr, i, u64map_get(&byid, (uint64_t)owner), E_OWNER, mu);
        } else if (IS(g, &rn, waitgroup)) {
            uint64_t wg = g->waitobj;
            for (int k = 0; !wg && k < g->nsud; k++)
                wg = g->sud[k].obj;
            if (wg)
                holds_edges(&rn, tab, &rs, i, wg, gr);
            if (kids.idx)
                child_edges(tab, &kids, i, wg, gr);
        }
    }
    dedup_edges(gr);
    free(kids.idx);
    u64map_free(&byid);
    u64map_free(&bychan);
    free(rs.r);
}

/* Cycles kept, and goroutines kept per cycle.  A longer cycle is kept
 * whole in its length and shown cut, with a marker: a ring of 100
 * goroutines must not look like a ring of 64. */
enum { LIMIT_CYCLES = 64, LIMIT_CYCLE_LEN = 64 };
struct cycle {
    size_t n;                   /* nodes kept in node[], <= LIMIT_CYCLE_LEN */
    size_t len;                 /* goroutines in the cycle; > n: truncated */
    size_t node[LIMIT_CYCLE_LEN];   /* from the smallest goid on, in edge order */
    bool exact;
};

/* The edge a -> b: one per pair after dedup_edges, sorted by to within a's
 * run [first[a], first[a+1]). */
static const struct edge *edge_of(const struct graph *gr, const size_t *first, size_t a,
                                  size_t b)
{
    size_t lo = first[a], hi = first[a + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (gr->e[mid].to < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < first[a + 1] && gr->e[lo].to == b ? &gr->e[lo] : NULL;
}

/* Iterative DFS; a back edge to a node on the path closes a cycle.  Every
 * back edge beyond LIMIT_CYCLES is counted in *dropped.  gr is sorted by
 * from (dedup_edges). */
static size_t find_cycles(struct gtable *tab, struct graph *gr, struct cycle *out,
                          size_t *dropped)
{
    size_t ncyc = 0, n = tab->n;
    *dropped = 0;
    size_t *first = calloc(n + 1, sizeof *first);
    unsigned char *color = calloc(n ? n : 1, 1);   /* 0 white, 1 on path, 2 done */
    size_t *path = malloc((n ? n : 1) * sizeof *path), *next = malloc((n ? n : 1) * sizeof *next);
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
            if (color[v] == 1 && ncyc >= LIMIT_CYCLES) {
                (*dropped)++;
            } else if (color[v] == 1) {
                size_t at = depth;
                while (at > 0 && path[at - 1] != v)
                    at--;
                /* The cycle is path[at-1 .. depth): start it at its
                 * smallest goid, then keep the first LIMIT_CYCLE_LEN. */
                size_t len = depth - (at - 1), m = at - 1;
                for (size_t k = at - 1; k < depth; k++)
                    if (tab->g[path[k]].goid < tab->g[path[m]].goid)
                        m = k;
                struct cycle *c = &out[ncyc];
                c->len = len;
                c->n = 0;
                c->exact = true;
                for (size_t k = 0; k < len && c->n < LIMIT_CYCLE_LEN; k++)
                    c->node[c->n++] = path[at - 1 + (m - (at - 1) + k) % len];
                for (size_t k = 0; k < len; k++) {
                    size_t a = path[at - 1 + k], b = path[at - 1 + (k + 1) % len];
                    const struct edge *x = edge_of(gr, first, a, b);
                    if (x && x->kind >= E_HOLDS)
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

    struct reasons rn;
    reasons_load(t, &rn);
    size_t live = 0, nblocked = 0;
    for (size_t i = 0; i < tab->n; i++) {
        if (tab->g[i].dead)
            continue;
        live++;
        nblocked += blocked_r(&rn, &tab->g[i]);
    }
    bool all = live > 0 && nblocked == live;
    struct cycle *cyc = calloc(LIMIT_CYCLES, sizeof *cyc);
    size_t dropped = 0;
    size_t ncyc = cyc ? find_cycles(tab, &gr, cyc, &dropped) : 0;

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
            j_bool(&o->j, "blocked", blocked_r(&rn, g));
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
        j_uint(&o->j, "holds_edges_cut", gr.holds_cut);
        j_uint(&o->j, "cycles_dropped", dropped);
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
        if (gr.holds_cut)
            fprintf(o->f, "  (%zu more 'holds a reference' edges not listed: at most %d "
                    "per waiter and object)\n", gr.holds_cut, LIMIT_HOLDERS);
        /* Edges are sorted by from: one pass marks who has one. */
        size_t k = 0;
        for (size_t i = 0; i < tab->n; i++) {
            struct gor *g = &tab->g[i];
            while (k < gr.n && gr.e[k].from < i)
                k++;
            bool out_edge = k < gr.n && gr.e[k].from == i;
            if (blocked_r(&rn, g) && !out_edge)
                fprintf(o->f, "  g%" PRId64 " [%s]: no goroutine known to end this wait "
                        "(none queued opposite, owning or referencing it)\n", g->goid,
                        g->reason);
        }
    }
    for (size_t c = 0; c < ncyc; c++) {
        /* node[] starts at the smallest goid; a cut cycle does not close. */
        bool certain = cyc[c].exact || all;
        bool cut = cyc[c].len > cyc[c].n;
        size_t shown = cut ? cyc[c].n : cyc[c].n + 1;
        if (o->json) {
            j_obj(&o->j, NULL);
            j_arr(&o->j, "goroutines");
            for (size_t k = 0; k < shown; k++)
                j_int(&o->j, NULL, tab->g[cyc[c].node[k % cyc[c].n]].goid);
            j_end_arr(&o->j);
            j_bool(&o->j, "certain", certain);
            j_uint(&o->j, "length", cyc[c].len);
            j_bool(&o->j, "truncated", cut);
            j_end_obj(&o->j);
            continue;
        }
        fprintf(o->f, "%sdeadlock cycle: ", certain ? "" : "possible ");
        for (size_t k = 0; k < shown; k++)
            fprintf(o->f, "%sg%" PRId64, k ? " -> " : "",
                    tab->g[cyc[c].node[k % cyc[c].n]].goid);
        if (cut)
            fprintf(o->f, " -> ... <truncated: %zu goroutines in the cycle, first %zu shown>",
                    cyc[c].len, cyc[c].n);
        fputc('\n', o->f);
    }
    if (o->json) {
        j_end_arr(&o->j);
        j_bool(&o->j, "all_blocked", all);
    } else {
        if (dropped)
            fprintf(o->f, "(%zu more cycles not listed: at most %d)\n", dropped, LIMIT_CYCLES);
        fputs(all ? "all goroutines are blocked: deadlock\n" : "not all goroutines are blocked\n",
              o->f);
    }
    free(cyc);
    free(gr.e);
}
