/*
 * debuginfo.c: what a debugger needs from libgort, linked into every
 * program that uses it.
 *
 * Two things live here, and nothing else.
 *
 * 1. Every type of the debugger contract (dwarf/contract.def) in DWARF.
 *    gcc only describes a struct in a compilation unit's DWARF when that
 *    unit uses it, and the linker only pulls an object out of libgort.a
 *    when a symbol of it is needed.  A program that only uses maps would
 *    otherwise carry no struct g, and one that never selects no struct
 *    sudog.  So this file names every contract type in one static table
 *    (a pointer to a complete struct or enum is enough for gcc to emit its
 *    full definition), and gort.h makes every file that includes it refer
 *    to gort_debuginfo, which pulls this object into the link.  gort_main
 *    refers to it too.  `gort-dwarf check` and the tests verify the result
 *    on every sample, on a program that uses a map without gort_main and
 *    on one that calls nothing in libgort (tests/dwarf/progs).
 *
 * 2. The .debug_gdb_scripts entry, so that gdb loads the extension by
 *    itself.  It is one file entry (kind 1): the absolute path of
 *    gort-gdb.py, baked in at compile time by the Makefile
 *    (GORT_GDB_SCRIPT): the build tree's gdbplugin/gort-gdb.py for the
 *    libgort under build/, $(PREFIX)/share/gort/gort-gdb.py for the libgort
 *    that `make install` installs.  A file entry rather than an inline
 *    script because gdb checks a file entry against the *script's* path
 *    and an inline one against the *program's*: with a file entry, one
 *    `add-auto-load-safe-path $(PREFIX)` (once, in ~/.gdbinit) covers every
 *    gort program wherever it lives, as README.md and API.md promise; an
 *    inline entry would need every program's own directory in the safe
 *    path.  The section is "MS" (mergeable strings, entry size 1) so
 *    identical entries from several objects collapse into one, and gdb
 *    loads a script file once however many objfiles name it; gort-gdb.py
 *    is idempotent besides (a `source` by hand after auto-loading is
 *    harmless).  `source DIR/share/gort/gort-gdb.py` stays the fallback
 *    when auto-loading is off or the linker dropped the section.
 *
 * Constants (goroutine states, wait reasons, kinds, tophash marks, map
 * flags) are C enums in the headers; DWARF carries enumerators, so the
 * tools read their values from the program itself and never copy numbers.
 * The one constant that must stay a #define is restated as an enumerator
 * here (enum gort_debug_const).
 */
#include "runtime.h"
#include "alg.h"
#include "chan.h"
#include "map.h"

/* Constants that the headers must keep as #defines (GORT_CLOSURE_MAGIC is
 * a uintptr_t, wider than an int), restated here as enumerators so that
 * DWARF carries them like every other constant: the tools read
 * `enum gort_debug_const` and never parse a header or copy a number.  The
 * value comes from the macro itself, so the two cannot disagree.  (An
 * enumerator wider than int is a GNU C extension; gcc gives the enum an
 * unsigned long type.) */
enum gort_debug_const {
    gortClosureMagic = GORT_CLOSURE_MAGIC,
};

/* One member per contract type.  Pointers, not values: some types end in a
 * flexible array (itab), some are only complete in one header.  The table
 * is never read; `used` keeps it (and so its DWARF) at every -O level. */
struct gort_debuginfo_types {
    /* goroutines and threads */
    struct g              *g;
    struct m              *m;
    struct gobuf          *gobuf;
    struct gstack         *gstack;
    struct gort_defer     *defer;
    enum gstatus          *gstatus;
    enum waitreason       *waitreason;
    enum gort_debug_const *debug_const;
    /* wait lists and sync */
    struct sudog          *sudog;
    struct waitq          *waitq;
    struct gort_mutex     *mutex;
    enum mutex_state      *mutex_state;
    struct gort_waitgroup *waitgroup;
    struct timer          *timer;
    /* types, interfaces, closures, strings */
    struct rtype          *rtype;
    enum gort_kind        *kind;
    struct gort_method    *method;
    struct interfacetype  *interfacetype;
    struct itab           *itab;
    struct iface          *iface;
    struct eface          *eface;
    struct funcval        *funcval;
    struct gort_closurehdr *closurehdr;
    gort_string           *string;
    /* channels (chan.h) */
    struct hchan          *hchan;
    struct chantype       *chantype;
    enum chandir          *chandir;
    /* maps (map.h) */
    struct hmap           *hmap;
    struct hiter          *hiter;
    struct bmap           *bmap;
    struct maptype        *maptype;
    enum tophash_mark     *tophash_mark;
    enum hmap_flag        *hmap_flag;
    enum hmap_const       *hmap_const;
    enum map_keykind      *map_keykind;
};

__attribute__((used))
static const struct gort_debuginfo_types gort_debuginfo_types;

/* The symbol the rest of the runtime and gort.h refer to, so the linker
 * takes this object.  Its content does not matter. */
const void *const gort_debuginfo[] = { &gort_debuginfo_types };

/* ------------------------------------------------------------------ */
/* .debug_gdb_scripts: the auto-load entry (see the top of the file). */

#ifndef GORT_GDB_SCRIPT
#error "GORT_GDB_SCRIPT (the absolute path of gort-gdb.py) comes from the Makefile"
#endif

__asm__(
    ".pushsection \".debug_gdb_scripts\", \"MS\",@progbits,1\n"
    ".byte 1\n"                                 /* a Python script file */
    ".asciz \"" GORT_GDB_SCRIPT "\"\n"
    ".popsection\n");
