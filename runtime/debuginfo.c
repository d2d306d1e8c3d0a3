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
 *    itself (given `add-auto-load-safe-path` for the program).  It is one
 *    inline-script entry (kind 4): a few lines of Python that source the
 *    first gort-gdb.py found in a list of directories baked in at compile
 *    time by the Makefile (GORT_GDB_DIRS, colon-separated): the build
 *    tree's gdbplugin/ for the libgort under build/, $(PREFIX)/share/gort
 *    first for the libgort that `make install` installs.  An inline entry
 *    rather than a file entry because gdb warns about every file entry it
 *    cannot find, and a file entry needs the script's directory, not the
 *    program's, in the safe path.  The section is "MS" (mergeable strings,
 *    entry size 1) so identical entries from several objects collapse into
 *    one.  The loader does nothing when the `gort` package is already
 *    imported (a second objfile with the entry, or a `source` by hand), so
 *    loading twice is harmless; `source DIR/share/gort/gort-gdb.py` stays
 *    the fallback when auto-loading is off or the linker dropped the
 *    section.
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

#ifndef GORT_GDB_DIRS
#error "GORT_GDB_DIRS (where gort-gdb.py may be, colon-separated) comes from the Makefile"
#endif

/* The Python below goes into an assembler string: no double quotes and no
 * backslashes in it, one .ascii per line.  It must never raise: gdb would
 * print a traceback at every program load. */
#define GORT_PY(line) ".ascii \"" line "\\n\"\n"

__asm__(
    ".pushsection \".debug_gdb_scripts\", \"MS\",@progbits,1\n"
    ".byte 4\n"                                 /* inline Python script */
    GORT_PY("gort-gdb-autoload")                /* its name: no spaces */
    GORT_PY("import os, sys")
    GORT_PY("if 'gort' not in sys.modules:")
    GORT_PY("    _gort_dirs = '" GORT_GDB_DIRS "'.split(':')")
    GORT_PY("    _gort_found = [d for d in _gort_dirs if os.path.isfile(os.path.join(d, 'gort-gdb.py'))]")
    GORT_PY("    if _gort_found:")
    GORT_PY("        try:")
    GORT_PY("            gdb.execute('source ' + os.path.join(_gort_found[0], 'gort-gdb.py'))")
    GORT_PY("        except Exception as _gort_e:")
    GORT_PY("            gdb.write('gort: loading the extension failed: %s' % _gort_e + chr(10), gdb.STDERR)")
    GORT_PY("    else:")
    GORT_PY("        gdb.write('gort: gort-gdb.py not found in ' + ', '.join(_gort_dirs) + '; source it by hand' + chr(10), gdb.STDERR)")
    ".byte 0\n"
    ".popsection\n");
