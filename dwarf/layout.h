/*
 * layout.h: print a type's layout like pahole (layout.c shows the format).
 */
#ifndef GORT_DWARF_LAYOUT_H
#define GORT_DWARF_LAYOUT_H

#include <stdio.h>

#include "dwtypes.h"

/* spec: "g", "struct hmap", "union x", "enum gstatus", "typedef gort_string"
 * or "gort_string".  A bare name is tried as a struct, a union, an enum,
 * then a typedef.  Returns 0, or -1 with a one-line reason in why. */
int layout_print(struct dwt *d, FILE *out, const char *spec, char *why, size_t whylen);

#endif /* GORT_DWARF_LAYOUT_H */
