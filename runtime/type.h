/*
 * type.h: what type.c offers the rest of the runtime (iface.c, and anything
 * else that walks a descriptor's methods).
 *
 * A descriptor made by GORT_DEFINE_TYPE or GORT_DEFINE_INTERFACE lists its
 * methods in the order the programmer wrote them; a macro cannot sort at
 * compile time.  getitab's one-pass match needs both lists sorted by name,
 * so type.c sorts each list in place, once, the first time the runtime
 * needs it.  After gort_type_sorted / gort_interface_sorted return, the
 * list is sorted and never written again, so it may be read without locks.
 */
#ifndef GORT_TYPE_H
#define GORT_TYPE_H

#include "gort.h"

/* Make sure t's methods are sorted by name (sorting them the first time,
 * thread-safely).  Fatal on a malformed list (a method without a name or
 * code, two methods of one name).  t must not be NULL. */
void gort_type_sorted(const struct rtype *t);

/* The same for an interface's method names. */
void gort_interface_sorted(const struct interfacetype *it);

/* iface.c: how many itabs getitab has built, each with one pass over the
 * method lists (relaxed atomic; for tests: a cache hit, negative or not,
 * leaves it unchanged). */
extern uint64_t gort_itab_builds;

#endif /* GORT_TYPE_H */
