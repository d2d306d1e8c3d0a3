/*
 * fuzz.c: libFuzzer harness for gort-core's core reader and walks.
 *
 * Two targets in one harness, both run on every input:
 *
 *   A. The ELF core parser (mem.c) on the raw input: any bytes at all as
 *      a core image, then reads at addresses taken from the input and from
 *      the segments it declares.  Finds bad bounds arithmetic in header
 *      and segment handling.
 *
 *   B. When GORT_FUZZ_BINARY and GORT_FUZZ_CORE name a real gort binary
 *      and its core (make check-core makes them from tests/core/progs/
 *      fakeg), the input is a list of 5-byte patches (offset: 4 bytes,
 *      value: 1 byte) applied to a copy of the core's goroutine-bearing
 *      memory, and the whole analysis (goroutine table, frame-pointer
 *      walks, CFI backtraces of every goroutine, channels, maps, wait
 *      graph) runs on the damaged core with output to /dev/null.  This is the "corrupted runtime structures"
 *      case: cycles, garbage pointers, absurd counts.
 *
 * Run:  build/fuzz/gort-core-fuzz -max_total_time=600 CORPUS_DIR
 * (make check-core-fuzz runs 30 s; see tests/core/README.md for longer runs).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <stdlib.h>
#include <string.h>

static struct target tgt;
static bool have_target;
static unsigned char *copy;       /* writable copy of the core; patches land here */
static size_t copysize;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *bin = getenv("GORT_FUZZ_BINARY"), *core = getenv("GORT_FUZZ_CORE");
    devnull = fopen("/dev/null", "w");
    if (!bin || !core)
        return 0;
    char err[512];
    if (!target_open(&tgt, bin, core, err, sizeof err)) {
        fprintf(stderr, "fuzz: %s (target B disabled)\n", err);
        return 0;
    }
    /* Patch a private, writable copy; mem's segments point into it. */
    copy = malloc(tgt.coresize);
    if (!copy)
        return 0;
    copysize = tgt.coresize;
    memcpy(copy, tgt.coremap, tgt.coresize);
    struct mem m;
    if (!mem_init(&m, copy, tgt.coresize))
        return 0;
    m.fsegs = tgt.mem.fsegs;
    m.nfsegs = tgt.mem.nfsegs;
    free(tgt.mem.segs);
    free(tgt.mem.cache);      /* reads of the copy are plain memcpy (m.fd < 0) */
    tgt.mem = m;
    have_target = true;
    return 0;
}

static void target_a(const uint8_t *data, size_t size)
{
    struct mem m;
    if (!mem_init(&m, data, size)) {
        mem_fini(&m);
        return;
    }
    unsigned char buf[64];
    char s[32];
    for (size_t i = 0; i < m.nsegs && i < 64; i++) {
        uint64_t a = m.segs[i].vaddr;
        mem_read(&m, a, buf, sizeof buf);
        mem_read(&m, a + m.segs[i].memsz - 8, buf, 16);   /* across the end */
        mem_cstr(&m, a, s, sizeof s);
        mem_view(&m, a, 32);
        mem_avail(&m, a + m.segs[i].memsz / 2);
    }
    for (size_t off = 0; off + 8 <= size && off < 256; off += 8) {
        uint64_t a;
        memcpy(&a, data + off, 8);
        mem_read(&m, a, buf, sizeof buf);
        mem_avail(&m, a);
    }
    mem_fini(&m);
}

static void target_b(const uint8_t *data, size_t size)
{
    /* The goroutine-bearing memory: the segments holding the g's.  Patches
     * land in the first 64 KiB of the segment of each of the first g's, of
     * allgs, and of the globals, where the runtime structures are. */
    struct gtable tab;
    char err[256];
    size_t npatch = size / 5;
    if (npatch > 64)
        npatch = 64;
    /* Targets: offsets relative to interesting addresses. */
    uint64_t anchors[4] = { lay_var(&tgt.lay, "gort_allgs"), 0, 0, 0 };
    uint64_t allgs = 0;
    mem_u64(&tgt.mem, anchors[0], &allgs);
    anchors[1] = allgs;
    mem_u64(&tgt.mem, allgs, &anchors[2]);
    mem_u64(&tgt.mem, allgs + 8, &anchors[3]);
    struct { unsigned char *p; unsigned char old; } undo[64];
    size_t nundo = 0;
    for (size_t i = 0; i < npatch; i++) {
        uint32_t off;
        memcpy(&off, data + 5 * i, 4);
        uint64_t a = anchors[off >> 30] + (off & 0x3fff);
        unsigned char *p = (unsigned char *)mem_view(&tgt.mem, a, 1);
        if (!p || p < copy || p >= copy + copysize)
            continue;   /* only the core's bytes (the binary's are read-only) */
        undo[nundo].p = p;
        undo[nundo].old = *p;
        nundo++;
        *p = data[5 * i + 4];
    }
    if (gwalk(&tgt, &tab, err, sizeof err)) {
        struct out o = { .f = devnull };
        cmd_goroutines(&tgt, &tab, &o);
        cmd_bt(&tgt, &tab, &o, -1);
        cmd_chans(&tgt, &tab, &o);
        cmd_maps(&tgt, &tab, &o);
        cmd_waitgraph(&tgt, &tab, &o);
        o.json = true;
        j_begin(&o.j, devnull);
        cmd_goroutines(&tgt, &tab, &o);
        j_finish(&o.j);
    }
    gtable_free(&tab);
    while (nundo > 0) {
        nundo--;
        *undo[nundo].p = undo[nundo].old;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    target_a(data, size);
    if (have_target)
        target_b(data, size);
    return 0;
}
