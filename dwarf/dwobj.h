/*
 * dwobj.h: libdwarf over a file elffile.c has read and validated,
 * showing it only the sections a type reader needs (dwobj.c says why).
 */
#ifndef GORT_DWARF_DWOBJ_H
#define GORT_DWARF_DWOBJ_H

#include <stddef.h>

#include <libdwarf/libdwarf.h>

struct elfmap;
struct dwobj;

/* Open the DWARF of path, read as m.  m must outlive the result.  Returns NULL with a
 * one-line reason in why; DW_DLV_NO_ENTRY from libdwarf (no DWARF at all)
 * is reported as "no DWARF debug info". */
struct dwobj *dwobj_open(const char *path, struct elfmap *m, char *why, size_t whylen);
Dwarf_Debug dwobj_debug(const struct dwobj *o);
void dwobj_close(struct dwobj *o);

#endif /* GORT_DWARF_DWOBJ_H */
