/*
 * target.c: opening BINARY + CORE, and naming code addresses.
 *
 * libdwfl does the heavy lifting: dwfl_core_file_report maps every module
 * the core mentions (the binary we are given for the main one, shared
 * libraries from their paths or build-ids), and the standard callbacks find
 * separate debug files the way gdb does (build-id under
 * DIR/.build-id for each --debug-dir DIR and /usr/lib/debug, .gnu_debuglink
 * next to the file, in its .debug/, or under each debug directory).  dwfl_core_file_attach then gives the core's real
 * threads for unwind.c.
 *
 * Refusals come in order of what a person got wrong: the core is not a
 * core, the binary is not an ELF file, the core was not made by this
 * binary, the binary has no DWARF, the DWARF has no gort runtime.  Each is
 * one line, and main() exits non-zero.
 *
 * Symbolisation is cached per address in an open-addressed table: a
 * listing of 100,000 goroutines parked at the same few call sites asks
 * libdwfl a handful of times, not 100,000.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where libdwfl looks for separate debug files, in its own syntax
 * (dwfl_standard_find_debuginfo): colon-separated; "" is the binary's own
 * directory and ".debug" its subdirectory (for .gnu_debuglink names); an
 * absolute DIR is searched by build-id (DIR/.build-id/xx/rest.debug) and
 * by debuglink under DIR/<binary's directory>/.  NULL means libdwfl's
 * default, ":.debug:/usr/lib/debug"; --debug-dir directories go before
 * /usr/lib/debug, the order gort-dwarf and gdb search in. */
static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};
const Dwfl_Callbacks *target_callbacks(void) { return &callbacks; }

bool target_add_debug_dir(const char *dir)
{
    if (!dir || !*dir || strchr(dir, ':'))
        return false;         /* ':' separates entries: such a name cannot be said */
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(dir, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    static const char tail[] = ":/usr/lib/debug";
    /* ":.debug:" + the dirs so far + ":" + dir + tail */
    const char *prev = debuginfo_path ? debuginfo_path : ":.debug";
    size_t plen = strlen(prev);
    if (debuginfo_path)
        plen -= sizeof tail - 1;          /* drop the old tail */
    char *n = malloc(plen + 1 + strlen(real) + sizeof tail);
    if (!n)
        return false;
    memcpy(n, prev, plen);
    n[plen] = ':';
    strcpy(n + plen + 1, real);
    strcat(n, tail);
    free(debuginfo_path);
    debuginfo_path = n;
    return true;
}

/* ----------------------------------------------------------- symbol cache */
struct symentry {
    uint64_t key;               /* address looked up + 1 (0 = empty slot) */
    struct frameinfo fi;
};
struct symcache {
    struct symentry *slots;
    size_t cap, used;
};

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static struct symentry *cache_slot(struct symcache *c, uint64_t key)
{
    size_t i = hash64(key) & (c->cap - 1);
    while (c->slots[i].key && c->slots[i].key != key)
        i = (i + 1) & (c->cap - 1);
    return &c->slots[i];
}

static bool cache_grow(struct symcache *c)
{
    struct symcache n = { calloc(c->cap ? c->cap * 2 : 1024, sizeof(struct symentry)),
                          c->cap ? c->cap * 2 : 1024, c->used };
    if (!n.slots)
        return false;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].key)
            *cache_slot(&n, c->slots[i].key) = c->slots[i];
    free(c->slots);
    *c = n;
    return true;
}

/* A CU of libgort: its name is runtime/<file> (how runtime/build.mk
 * compiles it), wherever the tree was. */
static bool runtime_cu(const char *name)
{
    if (!name)
        return false;
    return strncmp(name, "runtime/", 8) == 0 || strstr(name, "/runtime/") != NULL;
}

static void describe(struct target *t, uint64_t a, struct frameinfo *fi)
{
    fi->func = "??";
    fi->file = NULL;
    fi->line = 0;
    fi->runtime = true;
    fi->user = false;
    Dwfl_Module *mod = dwfl_addrmodule(t->dwfl, a);
    if (!mod)
        return;
    const char *fn = dwfl_module_addrname(mod, a);
    if (fn)
        fi->func = strdup(fn);
    Dwfl_Line *line = dwfl_module_getsrc(mod, a);
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (file) {
        fi->file = strdup(file);
        fi->line = lineno;
    }
    if (mod != t->mainmod)
        return;   /* libc, ld.so: system frames */
    Dwarf_Addr bias;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, a, &bias);
    const char *cuname = cu ? dwarf_diename(cu) : NULL;
    fi->runtime = runtime_cu(cuname);
    fi->user = !fi->runtime && file != NULL;
}

const struct frameinfo *target_frame(struct target *t, uint64_t pc, bool activation)
{
    static struct frameinfo none = { "??", NULL, 0, true, false };
    uint64_t a = activation || pc == 0 ? pc : pc - 1;
    struct symcache *c = t->syms;
    if (!c)
        return &none;
    if ((c->used + 1) * 2 > c->cap && !cache_grow(c))
        return &none;
    struct symentry *s = cache_slot(c, a + 1);
    if (!s->key) {
        s->key = a + 1;
        describe(t, a, &s->fi);
        c->used++;
    }
    return &s->fi;
}

/* ------------------------------------------------------------------ open */
static bool map_file(const char *path, int *fd, void **map, size_t *size, char *err,
                     size_t errlen)
{
    struct stat st;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return false;
    }
    if (st.st_size == 0) {
        snprintf(err, errlen, "%s: empty file", path);
        return false;
    }
    *size = (size_t)st.st_size;
    *map = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, *fd, 0);
    if (*map == MAP_FAILED) {
        *map = NULL;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    /* Goroutines are scattered over the core: one g here, a few words of
     * its stack there.  The kernel's default read-around (128 KiB per
     * fault) would read ~30x what is used; random access reads a page. */
    if (!getenv("GORT_CORE_NORANDOM"))
        madvise(*map, *size, MADV_RANDOM);
    return true;
}

/* dwfl_core_file_report looks for an ELF header at the start of every
 * PT_LOAD of the core, through our mapping: one page fault per segment.  A
 * core of 100,000 goroutines has ~33,000 segments (stacks between guard
 * pages), and a fault costs ~15 us on a virtual machine where
 * MADV_POPULATE_READ of the same page costs a fraction of it (no exception
 * round trip): measured 0.45 s of faults in the open phase before this. */
static void prefault_segment_heads(struct target *t)
{
#ifdef MADV_POPULATE_READ
    long pg = sysconf(_SC_PAGESIZE);
    const struct seg *s = t->mem.segs;
    const unsigned char *base = t->coremap;
    for (size_t i = 0; pg > 0 && i < t->mem.nsegs; i++) {
        if (!s[i].data || s[i].avail == 0)
            continue;
        uintptr_t a = (uintptr_t)s[i].data & ~(uintptr_t)(pg - 1);
        if (a < (uintptr_t)base)
            continue;
        if (madvise((void *)a, (size_t)pg, MADV_POPULATE_READ) != 0)
            return;   /* an older kernel: the faults happen as before */
    }
#else
    (void)t;
#endif
}

struct findmain {
    const char *real;
    Dwfl_Module *mod;
};

static int find_main(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start,
                     void *arg)
{
    (void)ud;
    (void)name;
    (void)start;
    struct findmain *f = arg;
    const char *mainfile = NULL;
    Dwarf_Addr bias;
    if (!dwfl_module_getelf(mod, &bias))
        return DWARF_CB_OK;
    dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
    char rp[PATH_MAX];
    if (mainfile && realpath(mainfile, rp) && strcmp(rp, f->real) == 0) {
        f->mod = mod;
        return DWARF_CB_ABORT;
    }
    return DWARF_CB_OK;
}

bool target_open(struct target *t, const char *bin, const char *core, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->corefd = t->binfd = -1;
    t->binpath = bin;
    t->corepath = core;
    t->ptrsize = 8;
    elf_version(EV_CURRENT);

    if (!map_file(core, &t->corefd, &t->coremap, &t->coresize, err, errlen))
        return false;
    if (!mem_init(&t->mem, t->coremap, t->coresize)) {
        snprintf(err, errlen, "%s: %s", core, t->mem.err);
        return false;
    }
    mem_use_fd(&t->mem, t->corefd);
    if (!map_file(bin, &t->binfd, &t->binmap, &t->binsize, err, errlen))
        return false;
    if (t->binsize < sizeof(Elf64_Ehdr) || memcmp(t->binmap, ELFMAG, SELFMAG) != 0) {
        snprintf(err, errlen, "%s: not an ELF file", bin);
        return false;
    }
    if (((const Elf64_Ehdr *)t->binmap)->e_type == ET_CORE) {
        snprintf(err, errlen, "%s: a core file, not a program (arguments: BINARY CORE)", bin);
        return false;
    }

    prefault_segment_heads(t);
    t->coreelf = elf_memory(t->coremap, t->coresize);
    t->dwfl = dwfl_begin(&callbacks);
    t->syms = calloc(1, sizeof *t->syms);
    if (!t->coreelf || !t->dwfl || !t->syms) {
        snprintf(err, errlen, "%s: cannot read core: %s", core, dwfl_errmsg(-1));
        return false;
    }
    dwfl_report_begin(t->dwfl);
    int nmod = dwfl_core_file_report(t->dwfl, t->coreelf, bin);
    dwfl_report_end(t->dwfl, NULL, NULL);
    if (nmod < 0) {
        snprintf(err, errlen, "%s: cannot read core: %s", core, dwfl_errmsg(-1));
        return false;
    }
    char real[PATH_MAX];
    if (!realpath(bin, real)) {
        snprintf(err, errlen, "%s: %s", bin, strerror(errno));
        return false;
    }
    struct findmain fm = { real, NULL };
    dwfl_getmodules(t->dwfl, find_main, &fm, 0);
    if (!fm.mod) {
        snprintf(err, errlen, "%s was not made by %s (the binary is not mapped in it, "
                 "or its build-id differs)", core, bin);
        return false;
    }
    t->mainmod = fm.mod;
    Dwarf_Addr ebias;
    dwfl_module_getelf(fm.mod, &ebias);
    t->dw = dwfl_module_getdwarf(fm.mod, &t->bias);
    if (!t->dw) {
        snprintf(err, errlen, "%s: no DWARF debug info (stripped? install its debug file "
                 "or pass the unstripped binary)", bin);
        return false;
    }
    mem_add_file(&t->mem, t->binmap, t->binsize, ebias);
    /* A missing contract entry that goroutines need ends here; one that
     * only chans or maps need is reported by that command. */
    if (!layout_load(&t->lay, t->dw, fm.mod) &&
        (lay_size(&t->lay, "g") < 0 || lay_var(&t->lay, "gort_allgs") == 0 ||
         lay_off(&t->lay, "g", "sched") < 0 || lay_size(&t->lay, "sudog") < 0)) {
        snprintf(err, errlen, "%s: not a gort program (its DWARF has no gort runtime: "
                 "missing %s)", bin, t->lay.missing);
        return false;
    }
    t->pid = dwfl_core_file_attach(t->dwfl, t->coreelf);   /* < 0: no threads, not fatal */
    return true;
}

void target_close(struct target *t)
{
    if (t->syms) {
        for (size_t i = 0; i < t->syms->cap; i++) {
            struct symentry *s = &t->syms->slots[i];
            if (!s->key)
                continue;
            if (strcmp(s->fi.func, "??") != 0)
                free((char *)s->fi.func);
            free((char *)s->fi.file);
        }
        free(t->syms->slots);
        free(t->syms);
    }
    unwind_fini();
    if (t->dwfl)
        dwfl_end(t->dwfl);
    if (t->coreelf)
        elf_end(t->coreelf);
    layout_free(&t->lay);
    mem_fini(&t->mem);
    if (t->coremap)
        munmap(t->coremap, t->coresize);
    if (t->binmap)
        munmap(t->binmap, t->binsize);
    if (t->corefd >= 0)
        close(t->corefd);
    if (t->binfd >= 0)
        close(t->binfd);
}
