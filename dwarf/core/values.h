/*
 * values.h: type descriptors (struct rtype) read from a core, and values
 * printed by them (values.c).
 */
#ifndef GORT_CORE_VALUES_H
#define GORT_CORE_VALUES_H

#include "core.h"

struct rtinfo {
    uint64_t addr;
    uint64_t size;
    int kind;                   /* enum gort_kind, as stored */
    char name[96];              /* the C spelling: "int64_t", "struct point" */
};
/* Read and sanity-check the descriptor at addr. */
bool rtype_read(struct target *t, uint64_t addr, struct rtinfo *ri);
/* Print the value at addr, of type ri, into out. */
void value_format(struct target *t, const struct rtinfo *ri, uint64_t addr, char *out, size_t n);

#endif
