/*
 * unwind.c: CFI backtraces of goroutines, parked or running.
 *
 * A parked goroutine has no OS thread, only a saved context (g->sched: sp,
 * pc, bp, and the callee-saved registers).  libdwfl unwinds "threads" whose
 * initial registers and memory come from callbacks, so each parked
 * goroutine becomes a synthetic thread of a SECOND Dwfl (one Dwfl holds one
 * attached state, and the first holds the core's real threads):
 *
 *   get_thread             tid N is the goroutine we were asked for
 *   memory_read            reads the core (mem.c), the binary behind it
 *   set_initial_registers  rbp (DWARF 6), rsp (7), pc, plus rbx/r12-r15
 *                          when gobuf carries them (aarch64: x29, sp, pc)
 *
 * From there it is the same CFI unwinding eu-stack does for real threads.
 * The runtime's entry trampoline marks the return address undefined, so a
 * goroutine's backtrace ends at its start function, not in garbage.
 *
 * A goroutine running at the time of the core has a stale sched; its
 * frames are those of the core's real thread whose tid is m->procid.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <elf.h>
#include <string.h>

struct uctx {
    struct target *t;
    const struct gor *g;
};

static Dwfl *dwfl2;
static struct uctx uc;

static pid_t next_thread(Dwfl *dwfl, void *arg, void **targ)
{
    (void)dwfl;
    (void)arg;
    (void)targ;
    return 0;   /* nothing to enumerate: threads are asked for by id */
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **targ)
{
    (void)dwfl;
    struct uctx *u = arg;
    *targ = u;
    return tid == 1 && u->g != NULL;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
    (void)dwfl;
    struct uctx *u = arg;
    uint64_t v;
    if (!mem_u64(&u->t->mem, addr, &v))
        return false;
    *result = v;
    return true;
}

static void set_reg(Dwfl_Thread *th, const struct uctx *u, int regno, const char *field)
{
    int64_t sched = lay_off(&u->t->lay, "g", "sched");
    int64_t off = lay_off(&u->t->lay, "gobuf", field);
    uint64_t v;
    if (off < 0 || sched < 0)
        return;
    if (mem_u64(&u->t->mem, u->g->addr + (uint64_t)sched + (uint64_t)off, &v)) {
        Dwarf_Word w = v;
        dwfl_thread_state_registers(th, regno, 1, &w);
    }
}

static bool set_initial_registers(Dwfl_Thread *th, void *arg)
{
    struct uctx *u = arg;
    const struct gor *g = u->g;
    if (u->t->mem.machine == EM_AARCH64) {
        Dwarf_Word x29 = g->bp, sp = g->sp;
        dwfl_thread_state_registers(th, 29, 1, &x29);
        dwfl_thread_state_registers(th, 31, 1, &sp);
    } else {
        Dwarf_Word regs[2] = { g->bp, g->sp };   /* rbp = 6, rsp = 7 */
        dwfl_thread_state_registers(th, 6, 2, regs);
        set_reg(th, u, 3, "rbx");
        set_reg(th, u, 12, "r12");
        set_reg(th, u, 13, "r13");
        set_reg(th, u, 14, "r14");
        set_reg(th, u, 15, "r15");
    }
    dwfl_thread_state_register_pc(th, g->pc);
    return true;
}

static const Dwfl_Thread_Callbacks gcallbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

static bool open_second(struct target *t, char *err, size_t errlen)
{
    if (dwfl2)
        return true;
    Dwfl *d = dwfl_begin(target_callbacks());
    if (!d) {
        snprintf(err, errlen, "dwfl_begin: %s", dwfl_errmsg(-1));
        return false;
    }
    dwfl_report_begin(d);
    int r = dwfl_core_file_report(d, t->coreelf, t->binpath);
    dwfl_report_end(d, NULL, NULL);
    uc.t = t;
    if (r < 0 || !dwfl_attach_state(d, t->coreelf, t->pid > 0 ? t->pid : 1, &gcallbacks, &uc)) {
        snprintf(err, errlen, "cannot set up goroutine unwinding: %s", dwfl_errmsg(-1));
        dwfl_end(d);
        return false;
    }
    dwfl2 = d;
    return true;
}

void unwind_fini(void)
{
    if (dwfl2)
        dwfl_end(dwfl2);
    dwfl2 = NULL;
}

struct collect {
    struct bframe *out;
    int n, max;
};

static int frame_cb(Dwfl_Frame *f, void *arg)
{
    struct collect *c = arg;
    Dwarf_Addr pc;
    bool act = false;
    if (!dwfl_frame_pc(f, &pc, &act))
        return DWARF_CB_ABORT;
    if (c->n >= c->max || pc == 0)
        return DWARF_CB_ABORT;
    c->out[c->n].pc = pc;
    c->out[c->n].activation = act;
    c->n++;
    return DWARF_CB_OK;
}

int unwind_goroutine(struct target *t, const struct gor *g, struct bframe *out, int max,
                     char *err, size_t errlen)
{
    struct collect c = { out, 0, max };
    err[0] = 0;
    if (g->procid) {
        if (t->pid <= 0) {
            snprintf(err, errlen, "the core holds no thread state");
            return -1;
        }
        if (dwfl_getthread_frames(t->dwfl, g->procid, frame_cb, &c) != 0 && c.n == 0) {
            snprintf(err, errlen, "thread %d: %s", g->procid, dwfl_errmsg(-1));
            return -1;
        }
        return c.n;
    }
    if (!g->pc || !g->sp) {
        snprintf(err, errlen, "no saved context");
        return -1;
    }
    if (!open_second(t, err, errlen))
        return -1;
    uc.t = t;
    uc.g = g;
    int r = dwfl_getthread_frames(dwfl2, 1, frame_cb, &c);
    uc.g = NULL;
    if (r != 0 && c.n == 0) {
        snprintf(err, errlen, "%s", dwfl_errmsg(-1));
        return -1;
    }
    return c.n;
}
