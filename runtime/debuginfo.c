/*
 * debuginfo.c: keeps every type of the debugger contract in the DWARF of
 * any program linked with libgort, used or not.  gort_main references
 * gort_debuginfo, so this object is always linked.
 * (The DWARF-contract work completes this file: all contract types and the
 * .debug_gdb_scripts entry.)
 */
#include "runtime.h"

const void *const gort_debuginfo[] = { 0 };
