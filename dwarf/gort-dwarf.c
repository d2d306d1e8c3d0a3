/*
 * gort-dwarf: check and show the debugger contract of a gort program.
 *
 *   gort-dwarf [--debug-dir DIR]... check BINARY
 *       exit 0 when BINARY's DWARF carries every entry of dwarf/contract.def
 *       with sizes that agree (check.c); otherwise one line per missing or
 *       wrong item on stdout and exit 1.
 *   gort-dwarf [--debug-dir DIR]... layout BINARY TYPE
 *       print TYPE's fields, offsets and sizes like pahole (layout.c).
 *
 * The flow: elf_inspect() looks at the file's framing first, so a missing
 * file, a non-ELF file or a truncated copy gets a precise one-line reason
 * before libdwarf reads anything; a program without DWARF of its own is
 * looked up in its separate debug file (debugfile.c, gdb's search order);
 * then dwtypes.c indexes the DWARF and check.c or layout.c do the work.
 *
 * Every failure to read the input is one line on stderr,
 *     gort-dwarf: FILE: reason
 * and exit status 1.  Usage errors exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "debugfile.h"
#include "dwtypes.h"
#include "elffile.h"
#include "layout.h"

#define MAX_DEBUG_DIRS 16

static void usage(FILE *f)
{
    fprintf(f,
        "usage: gort-dwarf [--debug-dir DIR]... check BINARY\n"
        "       gort-dwarf [--debug-dir DIR]... layout BINARY TYPE\n"
        "\n"
        "check   verify that BINARY's DWARF describes every runtime type, field,\n"
        "        enumerator and global the gort debugger tools read, with sizes\n"
        "        that agree; print what is missing or wrong (exit 1).\n"
        "layout  print TYPE (g, struct hmap, enum gstatus, gort_string, ...) with\n"
        "        each field's offset and size, like pahole.\n"
        "--debug-dir DIR  also look for separate debug files (.gnu_debuglink,\n"
        "        build-id) under DIR, as gdb's debug-file-directory.\n");
}

static int bad_input(const char *file, const char *why)
{
    fprintf(stderr, "gort-dwarf: %s: %s\n", file, why);
    return 1;
}

int main(int argc, char **argv)
{
    const char *dirs[MAX_DEBUG_DIRS];
    int ndirs = 0, i = 1;
    for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        const char *dir = NULL;
        if (strcmp(argv[i], "--debug-dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strncmp(argv[i], "--debug-dir=", 12) == 0)
            dir = argv[i] + 12;
        if (!dir || ndirs == MAX_DEBUG_DIRS) {
            fprintf(stderr, "gort-dwarf: bad option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
        dirs[ndirs++] = dir;
    }
    int nargs = argc - i;
    const char *cmd = nargs > 0 ? argv[i] : "";
    bool is_check = strcmp(cmd, "check") == 0 && nargs == 2;
    bool is_layout = strcmp(cmd, "layout") == 0 && nargs == 3;
    if (!is_check && !is_layout) {
        usage(stderr);
        return 2;
    }
    const char *file = argv[i + 1];

    char why[512], debugpath[4096];
    struct elfinfo info;
    if (elf_inspect(file, &info, why, sizeof why) != 0)
        return bad_input(file, why);
    const char *dwarffile = file;
    if (!info.has_debug_info) {
        if (debugfile_find(file, &info, dirs, ndirs, debugpath, sizeof debugpath,
                           why, sizeof why) != 0)
            return bad_input(file, why);
        dwarffile = debugpath;
    }
    struct dwt *d = dwt_open(dwarffile, why, sizeof why);
    if (!d)
        return bad_input(dwarffile, why);

    int rc = 0;
    if (is_layout) {
        if (layout_print(d, stdout, argv[i + 2], why, sizeof why) != 0)
            rc = bad_input(dwarffile, why);
    } else {
        struct check_result r;
        contract_check(d, stdout, &r);
        if (r.structs_found == 0) {
            rc = bad_input(file, "not a gort program: none of the runtime's types is in its "
                                 "DWARF (not linked with libgort?)");
        } else if (r.problems > 0) {
            fprintf(stderr, "gort-dwarf: %s: %d problem%s with the debugger contract\n",
                    file, r.problems, r.problems == 1 ? "" : "s");
            rc = 1;
        } else {
            printf("ok: %s: %u contract entries, pointer size %u%s%s\n", file, r.entries,
                   dwt_address_size(d), dwarffile != file ? ", DWARF from " : "",
                   dwarffile != file ? dwarffile : "");
        }
    }
    dwt_close(d);
    return rc;
}
