/*
 * debugfile.c: find the file that holds a program's DWARF.
 *
 * A program may carry its DWARF itself, or have been split with
 *     objcopy --only-keep-debug prog prog.debug
 *     objcopy --strip-debug --add-gnu-debuglink=prog.debug prog
 * and optionally have its debug file filed by build-id under a debug
 * directory (DIR/.build-id/ab/cdef....debug).  We search the places gdb
 * searches, in gdb's order, so the two tools agree on which file they use:
 *   1. by build-id: DIR/.build-id/XX/REST.debug for each debug directory;
 *   2. by debuglink: the program's directory, its .debug/ subdirectory,
 *      then DIR/<program's directory>/NAME for each debug directory.
 * Debug directories are the ones given with --debug-dir, then
 * /usr/lib/debug.  A debuglink candidate must match the link's CRC-32 and a
 * build-id candidate must carry the same build-id (gdb checks both too):
 * a stale debug file from an older build would describe the wrong layout.
 * We do this ourselves rather than through libdwarf's own debuglink
 * support so the search rules are the documented ones above and a failure
 * can say what was looked for.
 */
#include "debugfile.h"
#include "elffile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool usable(const char *cand, const struct elfinfo *prog, bool by_buildid)
{
    struct elfinfo di;
    char why[256];
    if (elf_inspect(cand, &di, why, sizeof why) != 0 || !di.has_debug_info)
        return false;
    if (by_buildid)
        return di.buildid_len == prog->buildid_len
            && memcmp(di.buildid, prog->buildid, di.buildid_len) == 0;
    uint32_t crc;
    return elf_file_crc32(cand, &crc) == 0 && crc == prog->debuglink_crc;
}

int debugfile_find(const char *prog, const struct elfinfo *info,
                   const char *const *dirs, int ndirs,
                   char *out, size_t outlen, char *why, size_t whylen)
{
    static const char sysdir[] = "/usr/lib/debug";
    int nall = ndirs + 1;
    const char *all[nall];
    for (int i = 0; i < ndirs; i++)
        all[i] = dirs[i];
    all[ndirs] = sysdir;

    if (info->buildid_len > 0) {
        char hex[2 * sizeof info->buildid + 1];
        for (size_t i = 0; i < info->buildid_len; i++)
            sprintf(hex + 2 * i, "%02x", info->buildid[i]);
        for (int i = 0; i < nall; i++) {
            snprintf(out, outlen, "%s/.build-id/%.2s/%s.debug", all[i], hex, hex + 2);
            if (usable(out, info, true))
                return 0;
        }
    }
    if (info->has_debuglink) {
        /* The program's directory, absolute (gdb's global rule appends it). */
        char *abs = realpath(prog, NULL);
        char dir[4096] = ".";
        if (abs && strrchr(abs, '/'))
            snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(abs, '/') - abs), abs);
        free(abs);
        snprintf(out, outlen, "%s/%s", dir, info->debuglink);
        if (usable(out, info, false))
            return 0;
        snprintf(out, outlen, "%s/.debug/%s", dir, info->debuglink);
        if (usable(out, info, false))
            return 0;
        for (int i = 0; i < nall; i++) {
            snprintf(out, outlen, "%s%s/%s", all[i], dir, info->debuglink);
            if (usable(out, info, false))
                return 0;
        }
        snprintf(why, whylen, "no DWARF debug info, and its debug file %s (.gnu_debuglink) "
                 "was not found next to it, in .debug/ or under a --debug-dir",
                 info->debuglink);
        return -1;
    }
    if (info->buildid_len > 0)
        snprintf(why, whylen, "no DWARF debug info (stripped?), and no debug file for its "
                 "build-id under a --debug-dir or /usr/lib/debug");
    else
        snprintf(why, whylen, "no DWARF debug info (stripped?), and no .gnu_debuglink "
                 "or build-id to find a separate debug file");
    return -1;
}
