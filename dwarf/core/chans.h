/*
 * chans.h: channels found in a core (chans.c), shared with waitgraph.c.
 */
#ifndef GORT_CORE_CHANS_H
#define GORT_CORE_CHANS_H

#include "core.h"
#include "values.h"

enum { LIMIT_IDS = 64 };      /* goroutine ids kept per wait list */
struct idlist {
    size_t n;                 /* in the list (may exceed LIMIT_IDS) */
    int64_t id[LIMIT_IDS];
};
struct chaninfo {
    uint64_t addr, qcount, cap, elemsize, closed, recvx, sendx, bufaddr;
    struct rtinfo elem;       /* elem.addr == 0: descriptor unreadable */
    struct idlist recvq, sendq;
    char via[64];             /* how it was found */
    char corrupt[96];
};
struct chanset {
    struct chaninfo *c;
    size_t n;
    char missing[128];        /* non-empty: the binary has no usable hchan */
};
/* scan: also look for channels on parked stacks (not only wait lists). */
void chans_collect(struct target *t, struct gtable *tab, struct chanset *cs, bool scan);
void chans_free(struct chanset *cs);

#endif
