/*
 * chans.c: the `chans` command: channels reachable from goroutines.
 *
 * Where channels come from, most certain first:
 *   1. the sudogs of waiting goroutines (sudog->c): a goroutine parked in
 *      a channel operation or a select names its channels exactly;
 *   2. words of parked goroutines' stacks that point at something shaped
 *      like an hchan (a local or an argument holding the channel).
 * A stack word is believed only when the object passes every check below
 * (shape_ok): a count within the capacity, indices within the buffer, a
 * closed flag of 0 or 1, an element type descriptor that is readable and
 * whose size equals the channel's elemsize, wait lists with both ends set
 * or both clear.  Random heap data passes all of that very rarely; a
 * channel found only this way says so ("stack of goroutine N").
 *
 * The buffer is a ring: dataqsiz slots, the oldest at recvx.  Values are
 * shown in receive order, typed by the element's descriptor (values.c).
 * hchan.buf is either an inline flexible array (chan.h today) or a
 * pointer: DWARF says which.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "chans.h"
#include "scan.h"
#include "values.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct coffs {
    int64_t size, qcount, dataqsiz, buf, elemsize, elemsize_sz, closed, closed_sz, elemtype,
        sendx, recvx, recvq, sendq, first, s_next, s_g, g_goid;
    bool bufptr;
};

static bool coffsets(const struct layout *l, struct coffs *o)
{
    o->size = lay_size(l, "hchan");
    o->qcount = lay_off(l, "hchan", "qcount");
    o->dataqsiz = lay_off(l, "hchan", "dataqsiz");
    o->buf = lay_off(l, "hchan", "buf");
    o->bufptr = lay_fisptr(l, "hchan", "buf");
    o->elemsize = lay_off(l, "hchan", "elemsize");
    o->elemsize_sz = lay_fsize(l, "hchan", "elemsize");
    o->closed = lay_off(l, "hchan", "closed");
    o->closed_sz = lay_fsize(l, "hchan", "closed");
    o->elemtype = lay_off(l, "hchan", "elemtype");
    o->sendx = lay_off(l, "hchan", "sendx");
    o->recvx = lay_off(l, "hchan", "recvx");
    o->recvq = lay_off(l, "hchan", "recvq");
    o->sendq = lay_off(l, "hchan", "sendq");
    o->first = lay_off(l, "waitq", "first");
    o->s_next = lay_off(l, "sudog", "next");
    o->s_g = lay_off(l, "sudog", "g");
    o->g_goid = lay_off(l, "g", "goid");
    int64_t need[] = { o->qcount, o->dataqsiz, o->buf, o->elemsize, o->closed, o->elemtype,
                       o->sendx, o->recvx, o->recvq, o->sendq };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (need[i] < 0 || need[i] > o->size)
            return false;
    return o->size > 0 && o->size <= 1024 && o->elemsize_sz > 0 && o->elemsize_sz <= 8 &&
           o->closed_sz > 0 && o->closed_sz <= 8;
}

static uint64_t rdu(const unsigned char *b, int64_t off, int64_t sz)
{
    uint64_t v = 0;
    memcpy(&v, b + off, (size_t)(sz > 8 ? 8 : sz));
    return v;
}

/* Goroutine ids of a wait list: sudog->g->goid from first along next.
 * A wait list is as long as the goroutines parked on it (100,000 receivers
 * of one channel is a real program), so length alone proves nothing: a
 * loop is caught by Brent's method (a saved node, re-saved at each power
 * of two steps; meeting it again means a cycle) and the walk is bounded by
 * LIMIT_GOROUTINES, the most a table may hold. */
static void waiters(struct target *t, const struct coffs *o, uint64_t q, struct idlist *out,
                    char *corrupt, size_t clen)
{
    uint64_t s;
    out->n = 0;
    if (!mem_u64(&t->mem, q + (uint64_t)o->first, &s)) {
        snprintf(corrupt, clen, "wait list unreadable");
        return;
    }
    uint64_t saved = 0;
    for (size_t i = 0, power = 1; s; i++) {
        uint64_t gp, next;
        int64_t goid;
        if (s == saved) {
            snprintf(corrupt, clen, "wait list loops (sudog %#" PRIx64 ")", s);
            return;
        }
        if (i == power) {
            saved = s;
            power *= 2;
        }
        if (i == LIMIT_GOROUTINES) {
            snprintf(corrupt, clen, "wait list longer than %d", LIMIT_GOROUTINES);
            return;
        }
        if (!mem_u64(&t->mem, s + (uint64_t)o->s_g, &gp) ||
            !mem_u64(&t->mem, s + (uint64_t)o->s_next, &next) ||
            !mem_read(&t->mem, gp + (uint64_t)o->g_goid, &goid, 8)) {
            snprintf(corrupt, clen, "sudog %#" PRIx64 " unreadable", s);
            return;
        }
        if (out->n < LIMIT_IDS)
            out->id[out->n] = goid;
        out->n++;
        s = next;
    }
}

/* Read the channel at addr; strict: refuse anything not hchan-shaped. */
static bool chan_read(struct target *t, const struct coffs *o, uint64_t addr, bool strict,
                      struct chaninfo *c)
{
    unsigned char b[1024];
    memset(c, 0, sizeof *c);
    c->addr = addr;
    if (!mem_read(&t->mem, addr, b, (size_t)o->size)) {
        snprintf(c->corrupt, sizeof c->corrupt, "hchan unreadable");
        return !strict;
    }
    c->qcount = rdu(b, o->qcount, 8);
    c->cap = rdu(b, o->dataqsiz, 8);
    c->elemsize = rdu(b, o->elemsize, o->elemsize_sz);
    c->closed = rdu(b, o->closed, o->closed_sz);
    c->recvx = rdu(b, o->recvx, 8);
    c->sendx = rdu(b, o->sendx, 8);
    c->bufaddr = o->bufptr ? rdu(b, o->buf, 8) : addr + (uint64_t)o->buf;
    uint64_t et = rdu(b, o->elemtype, 8);
    bool typed = rtype_read(t, et, &c->elem);
    uint64_t rq[2], sq[2];
    memcpy(rq, b + o->recvq, 16);
    memcpy(sq, b + o->sendq, 16);
    const char *bad = NULL;
    if (c->cap > (1ull << 28))
        bad = "capacity";
    else if (c->qcount > c->cap)
        bad = "count above capacity";
    else if (c->closed > 1)
        bad = "closed flag";
    else if (c->cap && (c->recvx >= c->cap || c->sendx >= c->cap))
        bad = "buffer index";
    else if (!typed)
        bad = "element type descriptor";
    else if (c->elem.size != c->elemsize)
        bad = "element size differs from its type's";
    else if ((rq[0] == 0) != (rq[1] == 0) || (sq[0] == 0) != (sq[1] == 0))
        bad = "wait list ends";
    if (bad) {
        if (strict)
            return false;
        snprintf(c->corrupt, sizeof c->corrupt, "bad %s", bad);
        return true;
    }
    char cor[96] = "";
    waiters(t, o, addr + (uint64_t)o->recvq, &c->recvq, cor, sizeof cor);
    waiters(t, o, addr + (uint64_t)o->sendq, &c->sendq, cor, sizeof cor);
    if (cor[0])
        snprintf(c->corrupt, sizeof c->corrupt, "%s", cor);
    return true;
}

static void add(struct chanset *cs, const struct chaninfo *c)
{
    if (cs->n >= LIMIT_OBJECTS)
        return;
    if (cs->n % 64 == 0) {
        struct chaninfo *n = realloc(cs->c, (cs->n + 64) * sizeof *n);
        if (!n)
            return;
        cs->c = n;
    }
    cs->c[cs->n++] = *c;
}

void chans_collect(struct target *t, struct gtable *tab, struct chanset *cs, bool scan)
{
    struct coffs o;
    struct addrset seen = { 0 };
    memset(cs, 0, sizeof *cs);
    if (!coffsets(&t->lay, &o)) {
        snprintf(cs->missing, sizeof cs->missing, "the binary's DWARF has no usable struct hchan");
        return;
    }
    struct chaninfo c;
    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        for (int k = 0; k < g->nsud; k++) {
            uint64_t a = g->sud[k].c;
            if (!a || !addrset_add(&seen, a))
                continue;
            if (chan_read(t, &o, a, false, &c)) {
                snprintf(c.via, sizeof c.via, "wait list of goroutine %" PRId64, g->goid);
                add(cs, &c);
            }
        }
    }
    for (size_t i = 0; scan && i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (g->dead || g->running)
            continue;
        const uint64_t *w;
        uint64_t *tmp;
        size_t n = stack_words(t, g, &w, &tmp);
        for (size_t k = 0; k < n; k++) {
            uint64_t a = w[k];
            if (a < 4096 || (a & 7) || mem_avail(&t->mem, a) < (uint64_t)o.size)
                continue;
            if (a >= g->stacklo && a < g->stackhi)
                continue;   /* a pointer into its own stack: a frame, not a channel */
            /* Only newly seen addresses are checked: the set also holds
             * the ones that failed, so each is checked once. */
            if (!addrset_add(&seen, a))
                continue;
            if (chan_read(t, &o, a, true, &c)) {
                snprintf(c.via, sizeof c.via, "stack of goroutine %" PRId64, g->goid);
                add(cs, &c);
            }
        }
        free(tmp);
    }
    addrset_free(&seen);
}

void chans_free(struct chanset *cs)
{
    free(cs->c);
    cs->c = NULL;
    cs->n = 0;
}

static void ids(struct out *o, const char *key, const struct idlist *l)
{
    if (o->json) {
        j_arr(&o->j, key);
        for (size_t i = 0; i < l->n && i < LIMIT_IDS; i++)
            j_int(&o->j, NULL, l->id[i]);
        j_end_arr(&o->j);
        return;
    }
    fprintf(o->f, "    %s:", key);
    if (!l->n)
        fputs(" (none)", o->f);
    for (size_t i = 0; i < l->n && i < LIMIT_IDS; i++)
        fprintf(o->f, " g%" PRId64, l->id[i]);
    if (l->n > LIMIT_IDS)
        fprintf(o->f, " ... (%zu in all)", l->n);
    fputc('\n', o->f);
}

void cmd_chans(struct target *t, struct gtable *tab, struct out *o)
{
    struct chanset cs;
    chans_collect(t, tab, &cs, true);
    if (cs.missing[0]) {
        o->corrupt++;
        if (o->json) {
            j_str(&o->j, "error", cs.missing);
            j_arr(&o->j, "channels");
            j_end_arr(&o->j);
        } else {
            fprintf(o->f, "<corrupt: %s>\n", cs.missing);
        }
        return;
    }
    if (o->json)
        j_arr(&o->j, "channels");
    else
        fprintf(o->f, "%zu channels reachable from goroutines\n", cs.n);
    char val[512];
    for (size_t i = 0; i < cs.n; i++) {
        struct chaninfo *c = &cs.c[i];
        bool ok = !c->corrupt[0] || strncmp(c->corrupt, "wait list", 9) == 0 ||
                  strncmp(c->corrupt, "sudog", 5) == 0;
        bool typed = c->elem.addr != 0;
        if (c->corrupt[0])
            o->corrupt++;
        size_t nshow = ok && c->qcount < LIMIT_CHAN_SHOW ? (size_t)c->qcount : ok ? LIMIT_CHAN_SHOW : 0;
        if (o->json) {
            j_obj(&o->j, NULL);
            j_hex(&o->j, "address", c->addr);
            j_str(&o->j, "elem_type", typed ? c->elem.name : NULL);
            j_uint(&o->j, "elem_size", c->elemsize);
            j_uint(&o->j, "len", c->qcount);
            j_uint(&o->j, "cap", c->cap);
            j_bool(&o->j, "closed", c->closed == 1);
            j_arr(&o->j, "buffer");
            for (size_t k = 0; k < nshow && typed && c->cap; k++) {
                value_format(t, &c->elem, c->bufaddr + ((c->recvx + k) % c->cap) * c->elemsize,
                             val, sizeof val);
                j_str(&o->j, NULL, val);
            }
            j_end_arr(&o->j);
            ids(o, "recvq", &c->recvq);
            ids(o, "sendq", &c->sendq);
            j_str(&o->j, "found_via", c->via);
            if (c->corrupt[0]) {
                snprintf(val, sizeof val, "<corrupt: %s>", c->corrupt);
                j_str(&o->j, "corrupt", val);
            } else {
                j_null(&o->j, "corrupt");
            }
            j_end_obj(&o->j);
            continue;
        }
        fprintf(o->f, "chan %#" PRIx64 ": chan %s, len %" PRIu64 ", cap %" PRIu64 "%s  (%s)\n",
                c->addr, typed ? c->elem.name : "?", c->qcount, c->cap,
                c->closed == 1 ? ", closed" : "", c->via);
        if (c->corrupt[0])
            fprintf(o->f, "    <corrupt: %s>\n", c->corrupt);
        if (nshow && typed && c->cap) {
            fputs("    buffer (receive order):", o->f);
            for (size_t k = 0; k < nshow; k++) {
                value_format(t, &c->elem, c->bufaddr + ((c->recvx + k) % c->cap) * c->elemsize,
                             val, sizeof val);
                fprintf(o->f, "%s %s", k ? "," : "", val);
            }
            if (c->qcount > nshow)
                fprintf(o->f, ", ... (%" PRIu64 " in all)", c->qcount);
            fputc('\n', o->f);
        }
        if (ok) {
            ids(o, "recvq", &c->recvq);
            ids(o, "sendq", &c->sendq);
        }
    }
    if (o->json)
        j_end_arr(&o->j);
    chans_free(&cs);
}
