/*
 * maps.c: the `maps` command: maps reachable from stacks and globals.
 *
 * No list of all maps exists, so maps are found conservatively: every
 * aligned word of a parked goroutine's live stack and of the program's
 * writable data (.data, .bss) is a candidate pointer, and a candidate is
 * believed only when what it points at is hmap-shaped AND names a valid
 * map type (struct hmap has a type pointer: map.h):
 *
 *   - hmap.type points at a readable struct maptype whose typ.kind is
 *     GORT_KIND_MAP, whose key and elem descriptors are readable (sane
 *     size, readable name), and whose bucketsize and overflowoff agree
 *     (overflowoff + 8 <= bucketsize);
 *   - B <= 48, count <= 2^B * bucketCnt * 64 (overflow chains allow more
 *     than 8 per bucket, but not unboundedly), and buckets is readable
 *     whenever count > 0;
 *   - a growing map's oldbuckets is readable and nevacuate is within the
 *     old array.
 * A random heap word passes that with negligible probability: it would
 * have to point at a pointer to a type descriptor of kind map.
 *
 * Statistics: count, B, 2^B buckets, overflow buckets (hmap.noverflow as
 * the runtime counts them, and the chains really walked, bounded by
 * LIMIT_BUCKET_WALK), load = count / 2^B (the runtime grows at 6.5), and
 * growth progress (nevacuate of the old array's buckets, sameSizeGrow).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "scan.h"
#include "values.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { LIMIT_BUCKET_WALK = 4 * 1024 * 1024 };

struct moffs {
    int64_t size, count, flags, B, noverflow, noverflow_sz, buckets, oldbuckets, nevacuate, type;
    int64_t mt_size, mt_key, mt_elem, mt_overflowoff, mt_bucketsize, mt_bucketsize_sz;
    int64_t rt_kind, bucketcnt, samesize, lfnum, lfden, kind_map;
};

struct mapinfo {
    uint64_t addr, count, nbuckets, noverflow, walked_overflow, buckets, oldbuckets, nevacuate;
    uint64_t oldnbuckets;
    int B, flags;
    bool growing, samesize, walk_cut;
    struct rtinfo key, elem;
    char name[96];
    char via[64];
    char corrupt[96];
};

static bool moffsets(const struct layout *l, struct moffs *o)
{
    o->size = lay_size(l, "hmap");
    o->count = lay_off(l, "hmap", "count");
    o->flags = lay_off(l, "hmap", "flags");
    o->B = lay_off(l, "hmap", "B");
    o->noverflow = lay_off(l, "hmap", "noverflow");
    o->noverflow_sz = lay_fsize(l, "hmap", "noverflow");
    o->buckets = lay_off(l, "hmap", "buckets");
    o->oldbuckets = lay_off(l, "hmap", "oldbuckets");
    o->nevacuate = lay_off(l, "hmap", "nevacuate");
    o->type = lay_off(l, "hmap", "type");
    o->mt_size = lay_size(l, "maptype");
    o->mt_key = lay_off(l, "maptype", "key");
    o->mt_elem = lay_off(l, "maptype", "elem");
    o->mt_overflowoff = lay_off(l, "maptype", "overflowoff");
    o->mt_bucketsize = lay_off(l, "maptype", "bucketsize");
    o->mt_bucketsize_sz = lay_fsize(l, "maptype", "bucketsize");
    o->rt_kind = lay_off(l, "maptype", "typ") + lay_off(l, "rtype", "kind");
    if (!lay_enum(l, "hmap_const", "bucketCnt", &o->bucketcnt))
        o->bucketcnt = -1;
    if (!lay_enum(l, "hmap_flag", "sameSizeGrow", &o->samesize))
        o->samesize = 0;
    if (!lay_enum(l, "gort_kind", "GORT_KIND_MAP", &o->kind_map))
        return false;
    int64_t need[] = { o->count, o->flags, o->B, o->noverflow, o->buckets, o->oldbuckets,
                       o->nevacuate, o->type };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (need[i] < 0 || need[i] >= o->size)
            return false;
    return o->size > 0 && o->size <= 4096 && o->mt_size > 0 && o->mt_size <= 4096 &&
           o->mt_key >= 0 && o->mt_elem >= 0 && o->mt_overflowoff >= 0 &&
           o->mt_bucketsize >= 0 && o->bucketcnt > 0 && o->noverflow_sz > 0 &&
           o->noverflow_sz <= 8 && o->mt_bucketsize_sz > 0 && o->mt_bucketsize_sz <= 8;
}

static uint64_t rdu(const unsigned char *b, int64_t off, int64_t sz)
{
    uint64_t v = 0;
    memcpy(&v, b + off, (size_t)(sz > 8 ? 8 : sz));
    return v;
}

/* Overflow buckets hanging off an array of n buckets. */
static uint64_t walk_overflow(struct target *t, uint64_t arr, uint64_t n, uint64_t bsize,
                              uint64_t ovoff, uint64_t *budget, bool *cut)
{
    uint64_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t b = arr + i * bsize, next;
        for (;;) {
            if (*budget == 0) {
                *cut = true;
                return total;
            }
            (*budget)--;
            if (!mem_u64(&t->mem, b + ovoff, &next) || !next)
                break;
            total++;
            b = next;
        }
    }
    return total;
}

static bool map_read(struct target *t, const struct moffs *o, uint64_t addr, struct mapinfo *m)
{
    unsigned char h[4096], mt[4096];
    memset(m, 0, sizeof *m);
    m->addr = addr;
    if (!mem_read(&t->mem, addr, h, (size_t)o->size))
        return false;
    uint64_t tp = rdu(h, o->type, 8);
    if (!tp || !mem_read(&t->mem, tp, mt, (size_t)o->mt_size))
        return false;
    if (mt[o->rt_kind] != o->kind_map)
        return false;
    if (!rtype_read(t, rdu(mt, o->mt_key, 8), &m->key) ||
        !rtype_read(t, rdu(mt, o->mt_elem, 8), &m->elem))
        return false;
    uint64_t bsize = rdu(mt, o->mt_bucketsize, o->mt_bucketsize_sz);
    uint64_t ovoff = rdu(mt, o->mt_overflowoff, 4);
    if (bsize == 0 || bsize > (1u << 20) || ovoff + 8 > bsize)
        return false;
    struct rtinfo self;
    if (rtype_read(t, tp, &self))
        snprintf(m->name, sizeof m->name, "%s", self.name);
    m->count = rdu(h, o->count, 8);
    m->B = h[o->B];
    m->flags = h[o->flags];
    m->noverflow = rdu(h, o->noverflow, o->noverflow_sz);
    m->buckets = rdu(h, o->buckets, 8);
    m->oldbuckets = rdu(h, o->oldbuckets, 8);
    m->nevacuate = rdu(h, o->nevacuate, 8);
    if (m->B > 48)
        return false;
    m->nbuckets = 1ull << m->B;
    if (m->count > m->nbuckets * (uint64_t)o->bucketcnt * 64)
        return false;
    if (m->count && (!m->buckets || mem_avail(&t->mem, m->buckets) < bsize))
        return false;
    m->growing = m->oldbuckets != 0;
    m->samesize = o->samesize && (m->flags & o->samesize);
    if (m->growing) {
        m->oldnbuckets = m->samesize ? m->nbuckets : m->nbuckets / 2;
        if (mem_avail(&t->mem, m->oldbuckets) < bsize || m->nevacuate > m->oldnbuckets)
            return false;
    }
    uint64_t budget = LIMIT_BUCKET_WALK;
    if (m->buckets)
        m->walked_overflow = walk_overflow(t, m->buckets, m->nbuckets, bsize, ovoff, &budget,
                                           &m->walk_cut);
    if (m->noverflow > (1u << 24) && !m->walk_cut)
        snprintf(m->corrupt, sizeof m->corrupt, "noverflow %" PRIu64, m->noverflow);
    return true;
}

static void add_from(struct target *t, const struct moffs *o, struct addrset *seen,
                     uint64_t a, const char *via, struct mapinfo **list, size_t *n)
{
    if (a < 4096 || (a & 7) || *n >= LIMIT_OBJECTS)
        return;
    if (mem_avail(&t->mem, a) < (uint64_t)o->size || !addrset_add(seen, a))
        return;
    struct mapinfo m;
    if (!map_read(t, o, a, &m))
        return;
    snprintf(m.via, sizeof m.via, "%s", via);
    if (*n % 64 == 0) {
        struct mapinfo *nl = realloc(*list, (*n + 64) * sizeof *nl);
        if (!nl)
            return;
        *list = nl;
    }
    (*list)[(*n)++] = m;
}

struct datactx {
    struct target *t;
    const struct moffs *o;
    struct addrset *seen;
    struct mapinfo **list;
    size_t *n;
};

static void data_cb(uint64_t w, void *arg)
{
    struct datactx *d = arg;
    add_from(d->t, d->o, d->seen, w, "a global", d->list, d->n);
}

void cmd_maps(struct target *t, struct gtable *tab, struct out *o)
{
    struct moffs mo;
    if (!moffsets(&t->lay, &mo)) {
        o->corrupt++;
        const char *msg = "the binary's DWARF has no usable struct hmap / maptype";
        if (o->json) {
            j_str(&o->j, "error", msg);
            j_arr(&o->j, "maps");
            j_end_arr(&o->j);
        } else {
            fprintf(o->f, "<corrupt: %s>\n", msg);
        }
        return;
    }
    struct addrset seen = { 0 };
    struct mapinfo *list = NULL;
    size_t n = 0;
    char via[64];
    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (g->dead || g->running)
            continue;
        const uint64_t *w;
        uint64_t *tmp;
        size_t nw = stack_words(t, g, &w, &tmp);
        snprintf(via, sizeof via, "stack of goroutine %" PRId64, g->goid);
        for (size_t k = 0; k < nw; k++)
            if (w[k] < g->stacklo || w[k] >= g->stackhi)
                add_from(t, &mo, &seen, w[k], via, &list, &n);
        free(tmp);
    }
    struct datactx d = { t, &mo, &seen, &list, &n };
    data_words(t, data_cb, &d);
    addrset_free(&seen);

    if (o->json)
        j_arr(&o->j, "maps");
    else
        fprintf(o->f, "%zu maps reachable from goroutine stacks and globals\n", n);
    for (size_t i = 0; i < n; i++) {
        struct mapinfo *m = &list[i];
        double load = m->nbuckets ? (double)m->count / (double)m->nbuckets : 0;
        if (m->corrupt[0])
            o->corrupt++;
        if (o->json) {
            j_obj(&o->j, NULL);
            j_hex(&o->j, "address", m->addr);
            j_str(&o->j, "type", m->name[0] ? m->name : NULL);
            j_str(&o->j, "key_type", m->key.name);
            j_str(&o->j, "elem_type", m->elem.name);
            j_uint(&o->j, "count", m->count);
            j_int(&o->j, "B", m->B);
            j_uint(&o->j, "buckets", m->nbuckets);
            j_uint(&o->j, "noverflow", m->noverflow);
            j_uint(&o->j, "overflow_buckets", m->walked_overflow);
            j_bool(&o->j, "overflow_walk_cut", m->walk_cut);
            j_num(&o->j, "load", load);
            j_bool(&o->j, "growing", m->growing);
            if (m->growing) {
                j_obj(&o->j, "growth");
                j_uint(&o->j, "evacuated", m->nevacuate);
                j_uint(&o->j, "old_buckets", m->oldnbuckets);
                j_bool(&o->j, "same_size", m->samesize);
                j_end_obj(&o->j);
            } else {
                j_null(&o->j, "growth");
            }
            j_str(&o->j, "found_via", m->via);
            if (m->corrupt[0]) {
                char cb[128];
                snprintf(cb, sizeof cb, "<corrupt: %s>", m->corrupt);
                j_str(&o->j, "corrupt", cb);
            } else {
                j_null(&o->j, "corrupt");
            }
            j_end_obj(&o->j);
            continue;
        }
        fprintf(o->f, "map %#" PRIx64 ": %s (key %s, elem %s)  (%s)\n", m->addr,
                m->name[0] ? m->name : "map", m->key.name, m->elem.name, m->via);
        fprintf(o->f, "    count %" PRIu64 ", B %d (%" PRIu64 " buckets), overflow buckets %"
                PRIu64 "%s (noverflow %" PRIu64 "), load %.2f\n", m->count, m->B, m->nbuckets,
                m->walked_overflow, m->walk_cut ? "+ (walk cut)" : "", m->noverflow, load);
        if (m->growing)
            fprintf(o->f, "    growing%s: %" PRIu64 " of %" PRIu64 " old buckets evacuated\n",
                    m->samesize ? " (same size)" : "", m->nevacuate, m->oldnbuckets);
        if (m->corrupt[0])
            fprintf(o->f, "    <corrupt: %s>\n", m->corrupt);
    }
    if (o->json)
        j_end_arr(&o->j);
    free(list);
}
