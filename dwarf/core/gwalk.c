/*
 * gwalk.c: the goroutine table, read fast and read carefully.
 *
 * gort_allgs[0 .. gort_allglen) holds every g that ever existed (dead ones
 * are reused).  The array is read in one block, then each g in one read of
 * sizeof(struct g) bytes; every field is then taken from that buffer at its
 * DWARF offset.  With the core mmap'd that is two memcpy's per goroutine.
 *
 * The innermost user frame is found by walking frame pointers from the
 * saved context (sched.pc, sched.bp): each frame is [bp] = caller's bp,
 * [bp+8] = return address.  libgort and the samples are built with frame
 * pointers (Makefile: DEBUGFLAGS), so this is exact for the frames we care
 * about, and it costs a few reads per goroutine where a CFI unwind costs
 * thousands of instructions.  Every step checks bp lies inside the
 * goroutine's own stack and grows upward, so garbage ends the walk.
 * Symbolisation is cached per pc (target.c): 100,000 goroutines parked at
 * the same call site cost one lookup.  Full backtraces (bt) use CFI.
 *
 * A goroutine running on an OS thread at the time of the core has a stale
 * sched; its frames come from its thread (m->procid) instead.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Offsets of everything read from a g, resolved once. */
struct goffs {
    int64_t size, sp, pc, bp, lo, hi, goid, status, reason, since, waiting, waitobj, m,
        startpc, gopc, parent;
    int64_t status_sz, reason_sz, goid_sz, since_sz, parent_sz;
    int64_t m_procid, m_curg, m_procid_sz;
    int64_t s_g, s_c, s_obj, s_elem, s_waitlink, s_isselect, s_size;
    /* The gstatus enumerators, looked up once rather than per g: a name
     * lookup walks the whole layout table (100,000 g's x 6 states). */
    struct { int64_t v; bool known; } st[6];
};
enum { ST_IDLE, ST_RUNNABLE, ST_RUNNING, ST_SYSCALL, ST_WAITING, ST_DEAD };
static const struct { const char *e, *word; } state_names[] = {
    [ST_IDLE] = { "Gidle", "idle" },          [ST_RUNNABLE] = { "Grunnable", "runnable" },
    [ST_RUNNING] = { "Grunning", "running" }, [ST_SYSCALL] = { "Gsyscall", "syscall" },
    [ST_WAITING] = { "Gwaiting", "waiting" }, [ST_DEAD] = { "Gdead", "dead" },
};

static bool is_state(const struct goffs *o, int which, int64_t status)
{
    return o->st[which].known && o->st[which].v == status;
}

static int64_t rd(const unsigned char *buf, int64_t off, int64_t size)
{
    switch (size) {
    case 1: { int8_t v; memcpy(&v, buf + off, 1); return v; }
    case 2: { int16_t v; memcpy(&v, buf + off, 2); return v; }
    case 4: { int32_t v; memcpy(&v, buf + off, 4); return v; }
    default: { int64_t v; memcpy(&v, buf + off, 8); return v; }
    }
}

/* Lookups that remember the first entry that is missing or does not fit,
 * so a refusal can name it. */
struct need {
    const struct layout *l;
    char *why;
    size_t len;
};

static void fault(struct need *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fault(struct need *n, const char *fmt, ...)
{
    if (n->why[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->why, n->len, fmt, ap);
    va_end(ap);
}

static int64_t off_of(struct need *n, const char *tag, const char *field)
{
    int64_t v = lay_off(n->l, tag, field);
    if (v < 0)
        fault(n, "struct %s has no field %s", tag, field);
    return v;
}

static int64_t size_of(struct need *n, const char *tag)
{
    int64_t v = lay_size(n->l, tag);
    if (v <= 0)
        fault(n, "no struct %s", tag);
    return v;
}

/* Field at off (relative to its struct) of a struct of size total: inside? */
static void fits(struct need *n, int64_t off, int64_t width, int64_t total, const char *tag,
                 const char *field)
{
    if (off >= 0 && (off + width > total))
        fault(n, "struct %s field %s lies outside the struct", tag, field);
}

static bool offsets(const struct layout *l, struct goffs *o, char *why, size_t whylen)
{
    struct need n = { l, why, whylen };
    why[0] = 0;
    o->size = size_of(&n, "g");
    int64_t sched = off_of(&n, "g", "sched"), stack = off_of(&n, "g", "stack");
    int64_t sp = off_of(&n, "gobuf", "sp"), pc = off_of(&n, "gobuf", "pc"),
            bp = off_of(&n, "gobuf", "bp"), lo = off_of(&n, "gstack", "lo"),
            hi = off_of(&n, "gstack", "hi");
    o->sp = sched + sp;
    o->pc = sched + pc;
    o->bp = sched + bp;
    o->lo = stack + lo;
    o->hi = stack + hi;
    o->goid = off_of(&n, "g", "goid");
    o->goid_sz = lay_fsize(l, "g", "goid");
    o->status = off_of(&n, "g", "atomicstatus");
    o->status_sz = lay_fsize(l, "g", "atomicstatus");
    o->reason = off_of(&n, "g", "waitreason");
    o->reason_sz = lay_fsize(l, "g", "waitreason");
    o->since = off_of(&n, "g", "waitsince");
    o->since_sz = lay_fsize(l, "g", "waitsince");
    o->waiting = off_of(&n, "g", "waiting");
    o->waitobj = off_of(&n, "g", "waitobj");
    o->m = off_of(&n, "g", "m");
    o->startpc = off_of(&n, "g", "startpc");
    o->gopc = off_of(&n, "g", "gopc");
    o->parent = off_of(&n, "g", "parentgoid");
    o->parent_sz = lay_fsize(l, "g", "parentgoid");
    o->m_procid = off_of(&n, "m", "procid");
    o->m_procid_sz = lay_fsize(l, "m", "procid");
    o->m_curg = off_of(&n, "m", "curg");
    o->s_size = size_of(&n, "sudog");
    o->s_g = off_of(&n, "sudog", "g");
    o->s_c = off_of(&n, "sudog", "c");
    o->s_obj = off_of(&n, "sudog", "obj");
    o->s_elem = off_of(&n, "sudog", "elem");
    o->s_waitlink = off_of(&n, "sudog", "waitlink");
    o->s_isselect = off_of(&n, "sudog", "isSelect");
    for (int i = 0; i < 6; i++)
        o->st[i].known = lay_enum(l, "gstatus", state_names[i].e, &o->st[i].v);
    /* Names first (above), then the check that sizes are sane: every field
     * read lies inside its struct, since a g is read whole into a buffer
     * of its size. */
    if (o->size >= 65536)
        fault(&n, "struct g is %lld bytes (not a runtime g)", (long long)o->size);
    if (o->m_procid_sz <= 0 || o->m_procid_sz > 8)
        fault(&n, "struct m field procid is %lld bytes", (long long)o->m_procid_sz);
    static const char *const gnames[] = { "sched.sp", "sched.pc", "sched.bp", "stack.lo",
        "stack.hi", "goid", "atomicstatus", "waitreason", "waitsince", "waiting", "waitobj",
        "m", "startpc", "gopc", "parentgoid" };
    int64_t g_fields[] = { o->sp, o->pc, o->bp, o->lo, o->hi, o->goid, o->status, o->reason,
                           o->since, o->waiting, o->waitobj, o->m, o->startpc, o->gopc,
                           o->parent };
    for (size_t i = 0; i < sizeof g_fields / sizeof g_fields[0]; i++)
        fits(&n, g_fields[i], 8, o->size, "g", gnames[i]);
    static const char *const snames[] = { "g", "c", "obj", "elem", "waitlink", "isSelect" };
    int64_t s_fields[] = { o->s_g, o->s_c, o->s_obj, o->s_elem, o->s_waitlink, o->s_isselect };
    for (size_t i = 0; i < sizeof s_fields / sizeof s_fields[0]; i++)
        fits(&n, s_fields[i], 1, o->s_size, "sudog", snames[i]);
    return why[0] == 0;
}

uint64_t fp_user_frame(struct target *t, uint64_t pc, uint64_t bp, uint64_t lo,
                       uint64_t hi, bool *activation)
{
    for (int i = 0; i < LIMIT_FP_FRAMES && pc; i++) {
        const struct frameinfo *fi = target_frame(t, pc, i == 0);
        if (fi->user) {
            *activation = i == 0;
            return pc;
        }
        if (bp < lo || bp > hi - 16 || (bp & 7) || hi < 16)
            break;
        uint64_t fr[2];   /* [bp] and [bp+8] in one read */
        if (!mem_read(&t->mem, bp, fr, sizeof fr))
            break;
        uint64_t nbp = fr[0], ret = fr[1];
        if (nbp != 0 && nbp <= bp)
            break;      /* frames must move up the stack: a loop or garbage */
        pc = ret;
        bp = nbp;
    }
    return 0;
}

static const char *state_name(const struct goffs *o, int64_t st)
{
    for (int i = 0; i < 6; i++)
        if (is_state(o, i, st))
            return state_names[i].word;
    return NULL;
}

/* Wait reason words, from gort_waitreason_strings[] in the core (what the
 * runtime itself prints), else the enumerator's name. */
static const char *reason_word(struct target *t, int64_t r)
{
    static char cache[64][48];
    static bool tried[64];
    if (r < 0 || r >= 64)
        return NULL;
    if (!tried[r]) {
        tried[r] = true;
        uint64_t arr = lay_var(&t->lay, "gort_waitreason_strings"), p;
        if (!(arr && mem_u64(&t->mem, arr + 8 * (uint64_t)r, &p) && p &&
              mem_cstr(&t->mem, p, cache[r], sizeof cache[r]) && cache[r][0])) {
            const char *e = lay_enum_name(&t->lay, "waitreason", r);
            snprintf(cache[r], sizeof cache[r], "%s", e ? e : "");
        }
    }
    return cache[r][0] ? cache[r] : NULL;
}

static void read_sudogs(struct target *t, const struct goffs *o, struct gor *g, uint64_t s)
{
    unsigned char buf[512];
    if (o->s_size <= 0 || o->s_size > (int64_t)sizeof buf)
        return;
    /* A loop in waitlink is caught by Brent's method (see chans.c). */
    uint64_t saved = 0;
    for (int i = 0, power = 1; s; i++) {
        if (s == saved) {
            snprintf(g->corrupt, sizeof g->corrupt, "sudog list loops at %#lx", (unsigned long)s);
            return;
        }
        if (i == power) {
            saved = s;
            power *= 2;
        }
        if (i == LIMIT_SUDOGS) {
            snprintf(g->corrupt, sizeof g->corrupt, "more than %d sudogs", LIMIT_SUDOGS);
            return;
        }
        if (!mem_read(&t->mem, s, buf, (size_t)o->s_size)) {
            snprintf(g->corrupt, sizeof g->corrupt, "unreadable sudog %#lx", (unsigned long)s);
            return;
        }
        uint64_t gp = (uint64_t)rd(buf, o->s_g, 8);
        if (gp != g->addr) {
            snprintf(g->corrupt, sizeof g->corrupt, "sudog %#lx belongs to g %#lx",
                     (unsigned long)s, (unsigned long)gp);
            return;
        }
        if (g->nsud < (int)(sizeof g->sud / sizeof g->sud[0])) {
            struct gsudog *d = &g->sud[g->nsud++];
            d->addr = s;
            d->c = (uint64_t)rd(buf, o->s_c, 8);
            d->obj = (uint64_t)rd(buf, o->s_obj, 8);
            d->elem = (uint64_t)rd(buf, o->s_elem, 8);
            d->isselect = buf[o->s_isselect] != 0;
        }
        s = (uint64_t)rd(buf, o->s_waitlink, 8);
    }
}

static void read_g(struct target *t, const struct goffs *o, struct gor *g, unsigned char *buf)
{
    if (!mem_read(&t->mem, g->addr, buf, (size_t)o->size)) {
        snprintf(g->corrupt, sizeof g->corrupt, "g %#lx unreadable", (unsigned long)g->addr);
        g->state = "<corrupt: unreadable g>";
        return;
    }
    g->goid = rd(buf, o->goid, o->goid_sz);
    g->status = rd(buf, o->status, o->status_sz);
    g->waitreason = rd(buf, o->reason, o->reason_sz) & 0xffffffff;
    g->waitsince = rd(buf, o->since, o->since_sz);
    g->sp = (uint64_t)rd(buf, o->sp, 8);
    g->pc = (uint64_t)rd(buf, o->pc, 8);
    g->bp = (uint64_t)rd(buf, o->bp, 8);
    g->stacklo = (uint64_t)rd(buf, o->lo, 8);
    g->stackhi = (uint64_t)rd(buf, o->hi, 8);
    g->waitobj = (uint64_t)rd(buf, o->waitobj, 8);
    g->m = (uint64_t)rd(buf, o->m, 8);
    g->gopc = (uint64_t)rd(buf, o->gopc, 8);
    g->startpc = (uint64_t)rd(buf, o->startpc, 8);
    g->parentgoid = rd(buf, o->parent, o->parent_sz);
    g->state = state_name(o, g->status);
    if (!g->state) {
        snprintf(g->corrupt, sizeof g->corrupt, "status %lld is no gstatus", (long long)g->status);
        g->state = "<corrupt: bad status>";
        return;
    }
    g->dead = is_state(o, ST_DEAD, g->status);
    if (g->dead)
        return;
    if (g->goid <= 0)
        snprintf(g->corrupt, sizeof g->corrupt, "goid %lld", (long long)g->goid);
    bool waiting = is_state(o, ST_WAITING, g->status);
    if (waiting) {
        g->reason = reason_word(t, g->waitreason);
        if (!g->reason)
            snprintf(g->corrupt, sizeof g->corrupt, "wait reason %lld", (long long)g->waitreason);
        uint64_t s = (uint64_t)rd(buf, o->waiting, 8);
        read_sudogs(t, o, g, s);
    }
    bool running = is_state(o, ST_RUNNING, g->status);
    bool syscall = is_state(o, ST_SYSCALL, g->status);
    if ((running || syscall) && g->m) {
        unsigned char mb[16];
        uint64_t curg;
        if (mem_read(&t->mem, g->m + (uint64_t)o->m_procid, mb, (size_t)o->m_procid_sz) &&
            mem_u64(&t->mem, g->m + (uint64_t)o->m_curg, &curg) && curg == g->addr) {
            g->procid = (int32_t)rd(mb, 0, o->m_procid_sz);
            g->running = running;
        }
    }
    if (g->stackhi <= g->stacklo || g->stackhi - g->stacklo > (1ull << 32)) {
        if (!g->corrupt[0])
            snprintf(g->corrupt, sizeof g->corrupt, "stack [%#lx, %#lx)",
                     (unsigned long)g->stacklo, (unsigned long)g->stackhi);
    } else if (!g->procid) {
        g->userpc = fp_user_frame(t, g->pc, g->bp, g->stacklo, g->stackhi, &g->useract);
    }
}

/* Running goroutines: the innermost user frame of their thread's CFI
 * backtrace (a handful of threads, so the cost does not matter). */
static void running_frames(struct target *t, struct gtable *tab)
{
    struct bframe fr[LIMIT_FRAMES];
    char err[128];
    for (size_t i = 0; i < tab->n; i++) {
        struct gor *g = &tab->g[i];
        if (!g->procid)
            continue;
        int n = unwind_goroutine(t, g, fr, LIMIT_FRAMES, err, sizeof err);
        for (int k = 0; k < n; k++) {
            if (target_frame(t, fr[k].pc, fr[k].activation)->user) {
                g->userpc = fr[k].pc;
                g->useract = fr[k].activation;
                break;
            }
        }
    }
}

bool gwalk(struct target *t, struct gtable *tab, char *err, size_t errlen)
{
    memset(tab, 0, sizeof *tab);
    struct goffs o;
    char why[160];
    if (!offsets(&t->lay, &o, why, sizeof why)) {
        snprintf(err, errlen, "%s: the goroutine table cannot be read: %s (gort-dwarf check "
                 "%s lists every problem)", t->binpath, why, t->binpath);
        return false;
    }
    uint64_t allgs_var = lay_var(&t->lay, "gort_allgs");
    uint64_t len_var = lay_var(&t->lay, "gort_allglen");
    uint64_t allgs, len;
    if (!mem_u64(&t->mem, allgs_var, &allgs) || !mem_u64(&t->mem, len_var, &len)) {
        snprintf(err, errlen, "gort_allgs/gort_allglen not in the core (truncated core?)");
        return false;
    }
    tab->allglen = len;
    if (len == 0 || allgs == 0) {
        snprintf(err, errlen, "no goroutines: the runtime had not started "
                 "(gort_allglen = %llu)", (unsigned long long)len);
        return false;
    }
    if (len > LIMIT_GOROUTINES) {
        snprintf(tab->corrupt, sizeof tab->corrupt, "<corrupt: gort_allglen = %llu>",
                 (unsigned long long)len);
        len = LIMIT_GOROUTINES;
    }
    uint64_t avail = mem_avail(&t->mem, allgs) / 8;
    bool absurd = tab->corrupt[0] != 0;
    if (avail < len) {
        /* Read what the core holds of the array: partial, not nothing. */
        if (!absurd)
            snprintf(tab->corrupt, sizeof tab->corrupt,
                     "<corrupt: gort_allgs holds %llu of %llu entries in the core>",
                     (unsigned long long)avail, (unsigned long long)len);
        len = avail;
    }
    if (len == 0) {
        snprintf(err, errlen, "gort_allgs (%#llx) is not in the core", (unsigned long long)allgs);
        return false;
    }
    uint64_t *ptrs = malloc(len * 8);
    tab->g = calloc(len, sizeof *tab->g);
    unsigned char *buf = malloc((size_t)o.size);
    if (!ptrs || !tab->g || !buf || !mem_read(&t->mem, allgs, ptrs, len * 8)) {
        free(ptrs);
        free(buf);
        snprintf(err, errlen, "cannot read gort_allgs");
        return false;
    }
    /* With an absurd length the true end is unknown: the array's first
     * NULL entry is the best guess (allgs never holds NULL below its
     * length). */
    if (absurd)
        for (size_t i = 0; i < len; i++)
            if (ptrs[i] == 0) {
                len = i;
                break;
            }
    tab->n = len;
    for (size_t i = 0; i < len; i++) {
        struct gor *g = &tab->g[i];
        g->addr = ptrs[i];
        read_g(t, &o, g, buf);
        if (!g->dead && g->reason && g->waitsince > tab->newest_since)
            tab->newest_since = g->waitsince;
    }
    free(ptrs);
    free(buf);
    running_frames(t, tab);
    return true;
}

void gtable_free(struct gtable *tab)
{
    free(tab->g);
    tab->g = NULL;
    tab->n = 0;
}

struct gor *gtable_find(struct gtable *tab, int64_t goid)
{
    for (size_t i = 0; i < tab->n; i++)
        if (!tab->g[i].dead && tab->g[i].goid == goid)
            return &tab->g[i];
    return NULL;
}
