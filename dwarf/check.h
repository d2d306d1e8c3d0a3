/*
 * check.h: check a program's DWARF against dwarf/contract.def, and the
 * optional entries of dwarf/core/extra.def (check.c says what is checked
 * and why).
 */
#ifndef GORT_DWARF_CHECK_H
#define GORT_DWARF_CHECK_H

#include <stdio.h>

#include "dwtypes.h"

struct check_result {
    unsigned entries;          /* entries in contract.def */
    unsigned structs_found;    /* contract structs present: 0 = not a gort program */
    int      problems;         /* "missing:" and "wrong:" lines printed */
    int      notes;            /* "optional:" lines: extra.def entries absent */
};

/* Print one line per problem to out; returns the number of problems.
 * With r->structs_found == 0 nothing is checked or printed. */
int contract_check(struct dwt *d, FILE *out, struct check_result *r);

#endif /* GORT_DWARF_CHECK_H */
