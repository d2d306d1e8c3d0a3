/*
 * scan.h: words of parked goroutines' stacks and of the binary's data,
 * for finding channels and maps that no wait list names (scan.c).
 */
#ifndef GORT_CORE_SCAN_H
#define GORT_CORE_SCAN_H

#include "core.h"

/* The live words of g's stack, from its saved sp up to stack.hi (at most
 * LIMIT_STACK_SCAN bytes); *tmp is set when the view had to be copied
 * (free it).  Returns the number of words, 0 when none are readable. */
size_t stack_words(struct target *t, const struct gor *g, const uint64_t **words, uint64_t **tmp);
/* Call fn for every 8-byte word of the binary's writable segments
 * (.data, .bss) as the core holds them. */
void data_words(struct target *t, void (*fn)(uint64_t word, void *arg), void *arg);

/* A set of addresses (open addressing), for de-duplicating objects found
 * more than once. */
struct addrset {
    uint64_t *slot;
    size_t cap, n;
};
/* true when addr was not yet in the set (and is now). */
bool addrset_add(struct addrset *s, uint64_t addr);
bool addrset_has(const struct addrset *s, uint64_t addr);
void addrset_free(struct addrset *s);

#endif
