/*
 * debugfile.h: find a program's separate debug file (see debugfile.c for
 * the search order, which is gdb's).
 */
#ifndef GORT_DWARF_DEBUGFILE_H
#define GORT_DWARF_DEBUGFILE_H

#include <stddef.h>

struct elfinfo;

/* prog has no DWARF of its own; info is what elf_inspect found in it.
 * dirs are extra debug directories (--debug-dir), searched before
 * /usr/lib/debug.  Returns 0 with the debug file's path in out, or -1 with
 * a one-line reason in why. */
int debugfile_find(const char *prog, const struct elfinfo *info,
                   const char *const *dirs, int ndirs,
                   char *out, size_t outlen, char *why, size_t whylen);

#endif /* GORT_DWARF_DEBUGFILE_H */
