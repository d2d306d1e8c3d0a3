/*
 * core.h: the pieces of gort-core and how they fit.
 *
 * gort-core reads a core file and the binary that made it, with no debugger
 * and no live process.  Data flows one way:
 *
 *   mem.c      the core's memory: PT_LOAD segments of the core (mmap'd, so a
 *              100,000-goroutine listing is memcpy, not syscalls), with the
 *              binary's own segments behind it for what the kernel did not
 *              dump (read-only text and data).  Hand-written ELF parsing,
 *              bounded by the file's real size: the part we fuzz.
 *   layout.c   every struct size, field offset, enumerator and global of
 *              dwarf/contract.def (and extra.def), read from the binary's
 *              DWARF with libdw.  Nothing about the runtime is hard-coded.
 *   target.c   opening BINARY + CORE with libdwfl (separate debug files
 *              found by the standard build-id / debuglink callbacks),
 *              symbolising a pc (cached), telling runtime frames from user
 *              frames.
 *   gwalk.c    the goroutine table: gort_allgs read in one block, every g
 *              read whole, the innermost user frame found by walking frame
 *              pointers (no CFI unwinding: that is what keeps the listing of
 *              100,000 goroutines under a second).
 *   unwind.c   full CFI backtraces: a second Dwfl whose threads are the
 *              parked goroutines (registers from g->sched), and the core's
 *              real threads for goroutines that were running.
 *   chans.c, maps.c, waitgraph.c   the analyses built on the table.
 *   json.c     a small streaming JSON writer (escaping, commas).
 *   main.c     the command line, text and JSON output.
 *
 * Never trust the core: every pointer may be garbage, every list may loop.
 * Walks are bounded by the LIMIT_* numbers below; what cannot be read is
 * reported as "<corrupt: reason>" and the walk goes on.
 */
#ifndef GORT_CORE_H
#define GORT_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

/* Bounds on every walk.  Generous for real programs (a million goroutines,
 * a 2^24-slot channel buffer), small enough that a garbage count cannot make
 * us allocate gigabytes or loop for minutes. */
enum {
    LIMIT_GOROUTINES = 4 * 1024 * 1024,
    LIMIT_FRAMES     = 256,     /* per backtrace */
    LIMIT_FP_FRAMES  = 64,      /* frame-pointer walk for the innermost user frame */
    LIMIT_SUDOGS     = 4096,    /* per goroutine (g->waiting: one per select case) */
    LIMIT_CHAN_SHOW  = 64,      /* buffered values printed per channel */
    LIMIT_STACK_SCAN = 256 * 1024, /* bytes of a parked stack scanned for pointers */
    LIMIT_DATA_SCAN  = 64 * 1024 * 1024,
    LIMIT_OBJECTS    = 100000,  /* channels or maps reported */
};

/* ------------------------------------------------------------------ mem.c */
struct seg {
    uint64_t vaddr, memsz;
    const unsigned char *data;  /* NULL: not in the file (not dumped) */
    uint64_t avail;             /* bytes of data really present (truncation) */
};
struct mem {
    struct seg *segs;           /* sorted by vaddr, non-overlapping */
    size_t nsegs;
    struct seg *fsegs;          /* the binary's own PT_LOADs, relocated */
    size_t nfsegs;
    bool truncated;             /* some segment lies past the end of the file */
    int fd;                     /* >= 0: small reads of the core use pread (see mem.c) */
    struct pcache *cache;       /* pages of those preads (mem_use_fd) */
    const unsigned char *image; /* the core image, for file offsets */
    size_t imagesize;
    int machine;                /* e_machine of the core */
    char err[160];
};
/* Parse an ELF core image held in memory (the caller keeps it alive). */
bool mem_init(struct mem *m, const void *image, size_t size);
/* Add the binary's PT_LOAD segments (image kept alive by the caller),
 * relocated by bias, as a fallback for what the core lacks. */
void mem_add_file(struct mem *m, const void *image, size_t size, uint64_t bias);
/* Small reads of the core then go through pread(2) on fd, page-cached. */
void mem_use_fd(struct mem *m, int fd);
void mem_fini(struct mem *m);
/* Read n bytes at addr; true only when all n were read. */
bool mem_read(const struct mem *m, uint64_t addr, void *buf, size_t n);
bool mem_u64(const struct mem *m, uint64_t addr, uint64_t *v);
/* Bytes readable from addr on, contiguously (0: unreadable). */
uint64_t mem_avail(const struct mem *m, uint64_t addr);
/* A zero-copy view of [addr, addr+n) when one core segment holds it all. */
const unsigned char *mem_view(const struct mem *m, uint64_t addr, size_t n);
/* A NUL-terminated string of at most max-1 bytes; false if unreadable. */
bool mem_cstr(const struct mem *m, uint64_t addr, char *out, size_t max);

/* --------------------------------------------------------------- layout.c */
/* One entry of contract.def or extra.def, resolved against the binary. */
enum lkind { LK_STRUCT, LK_FIELD, LK_TYPEDEF, LK_ENUM, LK_ENUMERATOR, LK_VAR };
struct lentry {
    enum lkind kind;
    const char *tag, *name;     /* struct/enum tag and field/enumerator; or var/typedef name */
    bool required;              /* listed in contract.def */
    bool found;
    int64_t val;                /* struct: size; field: offset; enumerator: value; var: address */
    int64_t size;               /* field: size of its type (-1 unknown) */
    bool isptr;                 /* field: its type is a pointer (not an inline array) */
};
struct layout {
    struct lentry *e;
    size_t n;
    char missing[200];          /* the first missing required entry, "" if none */
};
/* Resolve every entry from dw; vars through the module's symbol table. */
bool layout_load(struct layout *l, Dwarf *dw, Dwfl_Module *mod);
void layout_free(struct layout *l);
/* -1 when absent. */
int64_t lay_size(const struct layout *l, const char *tag);
int64_t lay_off(const struct layout *l, const char *tag, const char *field);
int64_t lay_fsize(const struct layout *l, const char *tag, const char *field);
bool    lay_fisptr(const struct layout *l, const char *tag, const char *field);
bool    lay_enum(const struct layout *l, const char *tag, const char *name, int64_t *v);
uint64_t lay_var(const struct layout *l, const char *name);   /* 0 when absent */
/* The enumerator of tag whose value is v, or NULL. */
const char *lay_enum_name(const struct layout *l, const char *tag, int64_t v);
/* The DIE of struct tag (for typed printing), false if absent. */
bool lay_struct_die(Dwarf *dw, const char *tag, Dwarf_Die *out);

/* --------------------------------------------------------------- target.c */
struct symcache;
struct frameinfo {
    const char *func;           /* "??" when unknown */
    const char *file;           /* NULL when unknown */
    int line;
    bool runtime;               /* a frame of libgort or of a system library */
    bool user;                  /* in the main binary, with line info, outside libgort */
};
struct target {
    const char *binpath, *corepath;
    int corefd, binfd;
    void *coremap, *binmap;
    size_t coresize, binsize;
    Elf *coreelf;
    Dwfl *dwfl;                 /* real threads (dwfl_core_file_attach) */
    Dwfl_Module *mainmod;
    Dwarf *dw;
    Dwarf_Addr bias;
    pid_t pid;
    struct mem mem;
    struct layout lay;
    struct symcache *syms;
    int ptrsize;
};
/* Search DIR for separate debug files (build-id and debuglink) before
 * /usr/lib/debug; call before target_open.  false: DIR does not exist or
 * cannot be named to libdwfl (a ':' in it). */
bool target_add_debug_dir(const char *dir);
/* Open BINARY and CORE; on failure a one-line reason in err. */
bool target_open(struct target *t, const char *bin, const char *core, char *err, size_t errlen);
void target_close(struct target *t);
/* Describe pc (a return address when !activation: pc-1 is symbolised). */
const struct frameinfo *target_frame(struct target *t, uint64_t pc, bool activation);
const Dwfl_Callbacks *target_callbacks(void);

/* ---------------------------------------------------------------- gwalk.c */
struct gsudog {
    uint64_t addr, c, obj, elem;
    bool isselect;
};
struct gor {
    uint64_t addr;              /* the struct g */
    int64_t goid, parentgoid;
    int64_t status;
    const char *state;          /* "waiting", ... or "<corrupt: ...>" */
    int64_t waitreason;
    const char *reason;         /* NULL unless waiting */
    int64_t waitsince;
    uint64_t sp, pc, bp, stacklo, stackhi;
    uint64_t waitobj, m, gopc, startpc;
    int32_t procid;             /* of its m when running, else 0 */
    bool running;               /* on an OS thread at the time of the core */
    bool dead;
    struct gsudog sud[8];       /* first sudogs of g->waiting */
    int nsud;
    uint64_t userpc;            /* innermost user frame pc (0: none found) */
    bool useract;               /* userpc is an activation (frame 0) */
    char corrupt[96];           /* non-empty: what was wrong */
};
struct gtable {
    struct gor *g;
    size_t n;                   /* entries (dead ones included) */
    uint64_t allglen;
    char corrupt[160];          /* the table as a whole */
    int64_t newest_since;       /* largest waitsince: the clock the core implies */
};
bool gwalk(struct target *t, struct gtable *tab, char *err, size_t errlen);
void gtable_free(struct gtable *tab);
struct gor *gtable_find(struct gtable *tab, int64_t goid);
/* Innermost user frame by frame pointers, from (pc, bp) within [lo, hi). */
uint64_t fp_user_frame(struct target *t, uint64_t pc, uint64_t bp, uint64_t lo,
                       uint64_t hi, bool *activation);

/* --------------------------------------------------------------- unwind.c */
struct bframe {
    uint64_t pc;
    bool activation;
};
/* CFI backtrace of one goroutine; returns the number of frames, or -1 with
 * err set. */
int unwind_goroutine(struct target *t, const struct gor *g, struct bframe *out,
                     int max, char *err, size_t errlen);
void unwind_fini(void);

/* ----------------------------------------------------------------- json.c */
/* A streaming JSON writer: keys are given inside objects, NULL inside arrays. */
struct json {
    FILE *f;
    int depth;
    bool first[64];
};
void j_begin(struct json *j, FILE *f);
void j_obj(struct json *j, const char *key);
void j_end_obj(struct json *j);
void j_arr(struct json *j, const char *key);
void j_end_arr(struct json *j);
void j_str(struct json *j, const char *key, const char *s);   /* NULL -> null */
void j_int(struct json *j, const char *key, int64_t v);
void j_uint(struct json *j, const char *key, uint64_t v);
void j_num(struct json *j, const char *key, double v);
void j_bool(struct json *j, const char *key, bool v);
void j_null(struct json *j, const char *key);
void j_hex(struct json *j, const char *key, uint64_t v);      /* "0x..." string */
void j_finish(struct json *j);

/* ------------------------------------------------------------- commands */
struct out {
    bool json;
    FILE *f;
    struct json j;
    int corrupt;                /* markers printed: exit status 3 */
};
void cmd_goroutines(struct target *t, struct gtable *tab, struct out *o);
void cmd_bt(struct target *t, struct gtable *tab, struct out *o, int64_t goid);  /* -1: all */
void cmd_chans(struct target *t, struct gtable *tab, struct out *o);
void cmd_maps(struct target *t, struct gtable *tab, struct out *o);
void cmd_waitgraph(struct target *t, struct gtable *tab, struct out *o);
/* "func at file:line" (text) or {func, file, line} (JSON). */
void out_frame(struct target *t, struct out *o, const char *key, uint64_t pc, bool act);

#endif /* GORT_CORE_H */
