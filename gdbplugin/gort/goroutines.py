"""goroutines.py: every goroutine of the program, read from allgs, and the
`info goroutines` / `goroutine` commands.

What it reads: gort_allgs[0 .. gort_allglen) (one read of the pointer
array), each struct g (read whole, through the block cache: g's allocated
together cost one target read per 64 KiB), the m list gort_allm (which g
each OS thread runs: m->curg, m->procid = gdb's LWP), and for each
goroutine that is not parked in a public call of the runtime (g->waitpc,
below) a few words of its stack.

Why this way: the listing must show 100,000 goroutines from a core in
about a second, so it never asks gdb to unwind (a gdb frame per goroutine
costs milliseconds).  A parked goroutine's saved context (g->sched: sp, pc,
bp) is "as if the context switch had just returned", and the runtime is
built with frame pointers, so its callers are a frame-pointer chain:
    pc0 = sched.pc, bp0 = sched.bp;  pc(k+1) = [bp(k) + 8], bp(k+1) = [bp(k)]
walked while bp stays inside the goroutine's stack and strictly grows
(bounded by `set gort max-frames`).  Each pc is symbolized once (function,
file, line, runtime or not) and cached, so 100,000 goroutines parked at
the same few places cost a few dozen symbol lookups.  The first frame whose
source file is not in the runtime's directory (the directory of the file
defining gort_main) is "where" the goroutine is, as Go's traceback and
Delve's user frame.  A goroutine parked by gort_chan_recv, gort_select,
gort_sleep, ... needs no walk for that: gopark records in g->waitpc the
return address into the public call's caller, which is the same frame
(parked_at).  A running goroutine's stack is its thread's: those few are
unwound by gdb itself from the thread's registers.

Wait times: g->waitsince is gort_nanotime() (CLOCK_MONOTONIC) at park
time.  Live, "now" is CLOCK_MONOTONIC read by gdb (the same clock, system
wide).  On a core there is no clock: "now" is the newest waitsince of any
goroutine, so times read "waited this much longer than the most recently
parked goroutine" -- the listing says so in its header.

`goroutine N` selects goroutine N through unwind.py; `goroutine N CMD`
and `goroutine all CMD` run CMD inside one or every goroutine and restore
the previous selection.
"""

import collections
import contextlib
import os
import struct
import time

import gdb

from . import constants, layout, settings, unwind
from .inferior import BLOCK, MEM, PAGE, Corrupt, marker


# A goroutine, decoded from its struct g, is a named tuple (built once by
# _decoder, its fields in struct order): addr, error (None, or why it is
# corrupt), then goid, status, reason, waitsince, m, sp, pc, bp, lo, hi,
# startpc, gopc, parentgoid, waiting, waitobj, waitpc.  Tuples because the listing
# builds 100,000 of them: one unpack_from and one tuple each.


_FIELDS = (
    # attribute, (path of (struct, field) pairs), signed
    ("goid", (("g", "goid"),), True),
    ("status", (("g", "atomicstatus"),), False),
    ("reason", (("g", "waitreason"),), False),
    ("waitsince", (("g", "waitsince"),), True),
    ("m", (("g", "m"),), False),
    ("sp", (("g", "sched"), ("gobuf", "sp")), False),
    ("pc", (("g", "sched"), ("gobuf", "pc")), False),
    ("bp", (("g", "sched"), ("gobuf", "bp")), False),
    ("lo", (("g", "stack"), ("gstack", "lo")), False),
    ("hi", (("g", "stack"), ("gstack", "hi")), False),
    ("startpc", (("g", "startpc"),), False),
    ("gopc", (("g", "gopc"),), False),
    ("parentgoid", (("g", "parentgoid"),), True),
    ("waiting", (("g", "waiting"),), False),
    ("waitobj", (("g", "waitobj"),), False),
    ("waitpc", (("g", "waitpc"),), False),
)
# Fields a libgort built before they existed lacks: read as 0 there.
_OPTIONAL = frozenset(("waitpc",))
_CODES = {1: "b", 2: "h", 4: "i", 8: "q"}
_gdecoder = None


def _decoder():
    """(size of struct g, struct.Struct decoding every field read, names):
    built once from DWARF, so reading a g is one unpack_from."""
    global _gdecoder
    if _gdecoder is None:
        fields, absent = [], []
        for name, path, signed in _FIELDS:
            off = 0
            try:
                for tag, f in path:
                    off += layout.off(tag, f)
            except layout.Missing:
                if name not in _OPTIONAL:
                    raise
                absent.append(name)
                continue
            size = layout.struct(path[-1][0]).fsize(path[-1][1])
            code = _CODES[size]
            fields.append((off, size, code if signed else code.upper(), name))
        fields.sort()
        fmt, pos = "<", 0
        for off, size, code, _ in fields:
            if off < pos:
                raise Corrupt("overlapping fields in struct g")
            fmt += "%dx%s" % (off - pos, code) if off > pos else code
            pos = off + size
        names = [f[3] for f in fields]
        gtuple = collections.namedtuple("G", ["addr", "error"] + names + absent)
        unpack = struct.Struct(fmt).unpack_from
        if absent:
            tail = (0,) * len(absent)
            raw = unpack

            def unpack(data, off):
                return raw(data, off) + tail
        _gdecoder = (layout.size("g"), unpack, gtuple, (0,) * (len(names) + len(absent)))
    return _gdecoder


def _valid_statuses():
    global _statuses
    if _statuses is None:
        _statuses = frozenset(constants.names("gstatus"))
    return _statuses


def _checked(gp):
    """gp, with .error set if its status or id is absurd."""
    if gp.status not in _valid_statuses():
        return gp._replace(error="g %#x has status %d" % (gp.addr, gp.status))
    if gp.goid < 0 or gp.goid > 1 << 62:
        return gp._replace(error="g %#x has id %d" % (gp.addr, gp.goid))
    return gp


def read_g(addr):
    """G at addr; with .error set if it cannot be read or is absurd."""
    size, unpack, G, zeros = _decoder()
    try:
        data, off = MEM.span(addr, size)
    except Corrupt as e:
        return G(addr, str(e), *zeros)
    return _checked(G(addr, None, *unpack(data, off)))


def goid_of(gaddr):
    """Id of the goroutine at gaddr (Corrupt if unreadable)."""
    g = layout.struct("g")
    return int.from_bytes(MEM.read(gaddr + g.off("goid"), g.fsize("goid")), "little",
                          signed=True)


def each_g():
    """Every struct g in gort_allgs, as G objects, one at a time, bounded
    by max-elements.  read_g's work, with its lookups hoisted out of a loop
    that runs 100,000 times; the g's are read in BLOCK-sized reads that
    are not cached (consecutive g's were allocated together and mostly lie
    in the block of the one before, cur).  Uncached and streamed because
    fresh memory costs a page fault a page on this VM (~15 us): 100,000
    g's kept as tuples and their blocks kept in the cache were 90 MB, a
    third of the time of listing them.  g's that do not lie in allgs order
    (a long-lived program's g's come from wherever malloc had room) would
    make that one 64 KiB read per g: a block met again after another is
    read through the cache (MEM.span) instead, so each block is read at
    most twice, whatever the order."""
    base = MEM.word(layout.var_addr("gort_allgs"))
    n = MEM.word(layout.var_addr("gort_allglen"))
    limit = settings.max_elements()
    if n > limit:
        print("gort: allglen is %d; showing the first %d (set gort max-elements)" % (n, limit))
        n = limit
    if n == 0:
        return
    ptrs = MEM.words(base, n)
    size, unpack, G, zeros = _decoder()
    statuses = _valid_statuses()
    # tuple.__new__ rather than G(...): the named tuple's own __new__
    # parses arguments and was a quarter of this loop.
    new = tuple.__new__
    cur, cur_lo, cur_hi = None, 0, 0
    streamed = set()             # blocks read uncached so far
    for i, p in enumerate(ptrs):
        if not p:
            yield _bad(p, "NULL entry %d in allgs" % i)
            continue
        if cur_lo <= p and p + size <= cur_hi:
            gp = new(G, (p, None) + unpack(cur, p - cur_lo))
        else:
            lo = p - p % BLOCK
            try:
                if p + size > lo + BLOCK or lo in streamed:
                    raise Corrupt("straddles a block or revisits one")
                streamed.add(lo)
                cur, cur_lo, cur_hi = MEM.exact(lo, BLOCK), lo, lo + BLOCK
                gp = new(G, (p, None) + unpack(cur, p - lo))
            except Corrupt:
                # A g across a block boundary, next to an unreadable page
                # or in a block met before: the careful, cached path.
                cur, cur_lo, cur_hi = None, 0, 0
                yield read_g(p)
                continue
        if gp.status not in statuses or not 0 <= gp.goid <= 1 << 62:
            gp = _checked(gp)
        yield gp


def allgs():
    """each_g(), as a list."""
    return list(each_g())


def sudogs(gp):
    """[(c, obj)] of the sudogs gp waits on (g->waiting, by waitlink):
    bounded by max-sudogs, cycle-checked, and cut where a sudog is not
    gp's own (the list is corrupt from there)."""
    ss = layout.struct("sudog")
    offs = [(ss.off(f), ss.fsize(f)) for f in ("g", "c", "obj", "waitlink")]
    out, s, seen = [], gp.waiting, set()
    limit = settings.max_sudogs()
    while s and s not in seen and len(seen) < limit:
        seen.add(s)
        try:
            d = MEM.read(s, ss.size)
        except Corrupt:
            break
        g, c, obj, link = (int.from_bytes(d[o:o + n], "little") for o, n in offs)
        if g != gp.addr:
            break
        out.append((c, obj))
        s = link
    return out


def _bad(addr, why):
    _, _, G, zeros = _decoder()
    return G(addr, why, *zeros)


def allms():
    """{g address: (m id, procid)} for every m running a goroutine, and the
    list of (m id, procid) of all m's.  Walks gort_allm, bounded, cycle-checked."""
    m = layout.struct("m")
    curg = {}
    ms = []
    seen = set()
    p = MEM.word(layout.var_addr("gort_allm"))
    limit = settings.max_threads()
    while p and p not in seen and len(seen) < limit:
        seen.add(p)
        try:
            data = MEM.read(p, m.size)
        except Corrupt:
            break
        mid = int.from_bytes(data[m.off("id"):m.off("id") + 8], "little", signed=True)
        procid = int.from_bytes(data[m.off("procid"):m.off("procid") + m.fsize("procid")],
                                "little", signed=True)
        cg = int.from_bytes(data[m.off("curg"):m.off("curg") + 8], "little")
        ms.append((mid, procid))
        if cg:
            curg[cg] = (mid, procid)
        p = int.from_bytes(data[m.off("alllink"):m.off("alllink") + 8], "little")
    return curg, ms


def thread_for(procid):
    for thr in gdb.selected_inferior().threads():
        if thr.ptid[1] == procid or (thr.ptid[1] == 0 and thr.ptid[0] == procid):
            return thr
    return None


# ---- symbolization, cached per pc ----------------------------------------

_runtime_dir = None
_syms = {}
_retsyms = {}        # return address -> Sym: symbolize(pc, True) without a key tuple
_statuses = None     # the g status values the runtime defines


def reset(*_args):
    global _runtime_dir, _gdecoder, _statuses
    _runtime_dir = None
    _gdecoder = None
    _statuses = None
    _syms.clear()
    _retsyms.clear()
    _state_words.clear()


def runtime_dir():
    global _runtime_dir
    if _runtime_dir is None:
        _runtime_dir = ""
        try:
            sym = gdb.lookup_global_symbol("gort_main")
            if sym is not None and sym.symtab is not None:
                _runtime_dir = os.path.dirname(sym.symtab.fullname()) + os.sep
        except gdb.error:
            pass
    return _runtime_dir


# Shared libraries of the system: their frames are skipped like the
# runtime's when looking for the user's frame.
SYSTEM_LIBS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")


class Sym:
    __slots__ = ("func", "file", "line", "runtime", "_text")

    def text(self):
        """`function at file:line` (formatted once: a listing asks 100,000
        times for the same few)."""
        try:
            return self._text
        except AttributeError:
            pass
        if self.file:
            self._text = "%s at %s:%d" % (self.func, self.file, self.line)
        else:
            self._text = self.func
        return self._text


def symbolize(pc, is_return=True):
    """Sym of a code address; is_return: pc is a return address (look up
    the call instruction, pc - 1, as gdb does)."""
    key = (pc, is_return)
    s = _syms.get(key)
    if s is not None:
        return s
    s = Sym()
    look = pc - 1 if is_return and pc else pc
    s.func, s.file, s.line, s.runtime = "%#x" % pc, None, 0, True
    try:
        blk = gdb.block_for_pc(look)
        while blk is not None and blk.function is None:
            blk = blk.superblock
        if blk is not None:
            s.func = blk.function.print_name
        sal = gdb.find_pc_line(look)
        if sal.symtab is not None:
            s.file = sal.symtab.filename
            s.line = sal.line
            rd = runtime_dir()
            s.runtime = bool(rd) and sal.symtab.fullname().startswith(rd)
        lib = gdb.solib_name(look)
        if lib and lib.startswith(SYSTEM_LIBS):
            s.runtime = True         # libc & co. are never "where" a goroutine is
    except (gdb.error, RuntimeError):
        pass
    if s.func.startswith("0x"):
        try:
            info = gdb.execute("info symbol %#x" % look, to_string=True)
            if not info.startswith("No symbol"):
                s.func = info.split(" in ")[0].split(" + ")[0].strip()
        except gdb.error:
            pass
    _syms[key] = s
    if is_return:
        _retsyms[pc] = s
    return s


# The innermost frames of a parked goroutine lie just above its saved sp:
# one read of this many bytes from sp usually holds the whole chain up to
# the first user frame (one target read per goroutine, not one per frame).
WINDOW = 1024
_pair = struct.Struct("<QQ").unpack_from


def _fp_walk(gp, maxframes, first_user):
    """The frame-pointer walk of a parked goroutine from its saved context
    (see the essay), innermost first.  first_user: stop at the first frame
    outside the runtime and return its Sym (else the outermost frame's);
    otherwise return [(pc, is_return)] of up to maxframes frames.  One
    loop for both: listing 100,000 goroutines spent 40% of its time in a
    generator, a tuple and four calls per frame before."""
    get = _retsyms.get
    pc = gp.pc
    if first_user:
        last = get(pc) or symbolize(pc, True)
        if not last.runtime:
            return last
    else:
        frames = [(pc, True)]
    bp, lo, hi, sp = gp.bp, gp.lo, gp.hi, gp.sp
    win = b""
    if sp and (not hi or lo <= sp < hi):
        try:
            win = MEM.exact(sp, min(WINDOW, hi - sp) if hi else WINDOW)
        except Corrupt:
            win = b""
    wend = sp + len(win)
    n = 1
    while n < maxframes:
        if bp == 0 or bp % 8 or (hi and not lo <= bp < hi - 8):
            break
        if sp <= bp and bp + 16 <= wend:
            nbp, ret = _pair(win, bp - sp)
        else:
            try:
                nbp, ret = MEM.unpack("QQ", bp, PAGE)
            except Corrupt:
                break
        if ret == 0:
            break
        if first_user:
            s = get(ret) or symbolize(ret, True)
            if not s.runtime:
                return s
            last = s
        else:
            frames.append((ret, True))
        n += 1
        if nbp <= bp:
            break
        bp = nbp
    return last if first_user else frames


def parked_at(gp, waiting):
    """Sym of the innermost frame outside the runtime of a goroutine that
    is not on a thread.  A Gwaiting goroutine's g->waitpc, when the runtime
    recorded one, is the return address of the public call that parked it
    (into its caller): that frame with no read of the stack, which is most
    of the cost of listing 100,000 goroutines from a core.  A waitpc that
    is 0 or lands in the runtime (a runtime function that called the public
    one; garbage) means the frame-pointer walk, as for every other state."""
    if gp.status == waiting and gp.waitpc:
        s = _retsyms.get(gp.waitpc) or symbolize(gp.waitpc, True)
        if not s.runtime:
            return s
    return _fp_walk(gp, 16, True) if gp.pc else None


def fp_walk(gp, maxframes):
    """[(pc, is_return)] of a parked goroutine, innermost first."""
    return _fp_walk(gp, maxframes, False)


def thread_walk(thr, maxframes):
    """[(pc, is_return)] of the thread thr, unwound by gdb."""
    frames = []
    prev = gdb.selected_thread()
    try:
        prevframe = gdb.selected_frame()
    except gdb.error:
        prevframe = None
    try:
        with unwind.suspended():
            thr.switch()
            f = gdb.newest_frame()
            while f is not None and len(frames) < maxframes:
                frames.append((f.pc(), len(frames) > 0 and f.type() == gdb.NORMAL_FRAME))
                f = f.older()
    except gdb.error:
        pass
    finally:
        if prev is not None and prev.is_valid():
            prev.switch()
            try:
                if prevframe is not None and prevframe.is_valid():
                    prevframe.select()
            except gdb.error:
                pass
    return frames


def stack_of(gp, running, maxframes=None):
    maxframes = maxframes or settings.max_frames()
    if running is not None:
        thr = thread_for(running[1])
        if thr is not None:
            return thread_walk(thr, maxframes)
        return []
    if gp.pc == 0:
        return iter(())
    return fp_walk(gp, maxframes)


def bad_context(gp):
    """Why gp's saved context cannot be unwound, or None."""
    if gp.hi and not gp.lo <= gp.sp <= gp.hi:
        return "saved sp %#x outside its stack [%#x, %#x)" % (gp.sp, gp.lo, gp.hi)
    return None


def user_frame(frames):
    """Sym of the innermost frame outside the runtime (else the outermost)."""
    last = None
    for pc, ret in frames:
        s = symbolize(pc, ret)
        if not s.runtime:
            return s
        last = s
    return last


# ---- what a person reads ---------------------------------------------------

STATE_WORDS = {"Gidle": "idle", "Grunnable": "runnable", "Grunning": "running",
               "Gsyscall": "syscall", "Gwaiting": "waiting", "Gdead": "dead"}


_state_words = {}


def state_word(status):
    w = _state_words.get(status)
    if w is None:
        w = _state_words[status] = STATE_WORDS.get(constants.names("gstatus").get(status),
                                                   "status %d" % status)
    return w


def is_live():
    try:
        conn = gdb.selected_inferior().connection
        return conn is not None and conn.type != "core"
    except Exception:
        return gdb.selected_inferior().pid != 0


def now_ns(gs):
    """(now, is_estimate) in gort_nanotime's clock."""
    if is_live():
        return time.clock_gettime_ns(time.CLOCK_MONOTONIC), False
    waiting = constants.value("gstatus", "Gwaiting")
    newest = max((g.waitsince for g in gs if not g.error and g.status == waiting
                  and g.waitsince > 0), default=0)
    return newest, True


def duration(ns):
    s = ns / 1e9
    if s < 1:
        return "%dms" % (ns // 1000000)
    if s < 120:
        return "%.1fs" % s
    if s < 7200:
        return "%d minutes" % (s // 60)
    return "%.1f hours" % (s / 3600)


def reason_text(gp, now):
    words = constants.waitreasons().get(gp.reason, "reason %d" % gp.reason)
    if now and gp.waitsince > 0 and now >= gp.waitsince:
        return "[%s, %s]" % (words, duration(now - gp.waitsince))
    return "[%s]" % words


class Listing:
    """Every goroutine (allgs), which m runs which, and "now": what the
    commands that look at all goroutines at once share (info goroutines
    -g, gort chans, gort defers all, gort waitgraph)."""

    def __init__(self):
        self.gs = allgs()
        self.curg, self.ms = allms()
        self.now, self.estimate = now_ns(self.gs)
        self.dead = constants.value("gstatus", "Gdead")
        self.waiting = constants.value("gstatus", "Gwaiting")

    def live(self):
        for gp in self.gs:
            if gp.error or gp.status != self.dead:
                yield gp

    def running(self, gp):
        return self.curg.get(gp.addr)


def by_id(goid):
    """G of goroutine goid (not dead), or None."""
    dead = constants.value("gstatus", "Gdead")
    for gp in allgs():
        if not gp.error and gp.goid == goid and gp.status != dead:
            return gp
    return None


def info_goroutines(args):
    opts = {"s": None, "r": None, "g": False, "c": False}
    argv = gdb.string_to_argv(args)
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-s", "-r") and i + 1 < len(argv):
            opts[a[1]] = argv[i + 1]
            i += 2
            continue
        if a in ("-g", "-c"):
            opts[a[1]] = True
            i += 1
            continue
        raise gdb.GdbError("usage: info goroutines [-s STATE] [-r REASON] [-g] [-c]")
    if opts["g"]:
        L = Listing()
        rows = [(st, gp, reason) for st, gp, reason in _filtered(L.live(), L.now, opts)]
        out = _header(L.estimate, any(r[2] for r in rows)) + _grouped(L, rows, opts)
    else:
        out = _plain(opts)
    gdb.write("\n".join(out) + ("\n" if out else "No goroutines.\n"))


def _header(estimate, any_waiting):
    if estimate and any_waiting:
        return ["(core file: wait times are relative to the most recently parked goroutine)"]
    return []


def _filtered(gs, now, opts):
    """(state word, G, reason text) of the goroutines of gs that -s and -r
    let through; G's with .error always (state "?", reason None)."""
    want_s, want_r = opts["s"], opts["r"]
    waiting = constants.value("gstatus", "Gwaiting")
    # Goroutines parked together share a reason and (the coarse clock
    # ticks every few ms) a waitsince: their bracket is one string.
    reasons = {}
    for gp in gs:
        if gp.error:
            yield "?", gp, None
            continue
        st = _state_words.get(gp.status) or state_word(gp.status)
        if want_s and st != want_s:
            continue
        reason = ""
        if gp.status == waiting:
            key = (gp.reason, gp.waitsince)
            reason = reasons.get(key)
            if reason is None:
                reason = reasons[key] = reason_text(gp, now)
            if want_r and want_r not in reason:
                continue
        elif want_r:
            continue
        yield st, gp, reason


def _plain(opts):
    """The lines of `info goroutines` without -g, in one pass over allgs
    that keeps no G: each goroutine becomes (id, its line but the id) at
    once.  On a core "now" is the newest waitsince of all, known only at
    the end, so the wait brackets are filled in by a second pass over the
    few distinct (reason, waitsince) pairs (strings, not G's, are kept)."""
    curg, _ = allms()
    dead = constants.value("gstatus", "Gdead")
    waiting = constants.value("gstatus", "Gwaiting")
    live = is_live()
    now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) if live else 0
    newest = 0
    rows = []
    pending = {}                 # (reason, waitsince) -> G, for the brackets
    want_s = opts["s"]

    def gs():
        nonlocal newest
        for gp in each_g():
            if gp.error:
                yield gp
            elif gp.status != dead:
                if gp.status == waiting and gp.waitsince > newest:
                    newest = gp.waitsince
                yield gp

    for gp in gs():
        if gp.error:
            rows.append((None, "  ? " + marker(gp.error), None))
            continue
        st = _state_words.get(gp.status) or state_word(gp.status)
        if want_s and st != want_s:
            continue
        key = None
        if gp.status == waiting:
            key = (gp.reason, gp.waitsince)
            if key not in pending:
                pending[key] = gp
        elif opts["r"]:
            continue
        rows.append((gp.goid, st, key, _where(curg, gp, waiting),
                     "*" if gp.addr in curg else " ",
                     created_by(gp) if opts["c"] else None))
    if not live:
        now = newest
    brackets = {key: reason_text(gp, now) for key, gp in pending.items()}
    if opts["r"]:
        rows = [r for r in rows if r[0] is None or opts["r"] in brackets[r[2]]]
    out = _header(not live, any(r[0] is not None and r[2] is not None for r in rows))
    width = len(str(max((r[0] for r in rows if r[0] is not None), default=1)))
    for r in rows:
        if r[0] is None:
            out.append(r[1])
            continue
        goid, st, key, where, mark, created = r
        if key is not None:
            text = "%s %*d %s %s  %s" % (mark, width, goid, st, brackets[key], where)
        else:
            text = "%s %*d %s  %s" % (mark, width, goid, st, where)
        if created is not None:
            text += "  " + created
        out.append(text)
    return out


def _where(curg, gp, waiting):
    """`function at file:line` of gp's innermost frame outside the
    runtime, or a marker."""
    running = curg.get(gp.addr)
    if running is not None:
        sym = user_frame(stack_of(gp, running, 32))
    elif gp.hi and not gp.lo <= gp.sp <= gp.hi:
        return marker(bad_context(gp))
    else:
        sym = parked_at(gp, waiting)
    return sym.text() if sym else "?"


def created_by(gp):
    if not gp.gopc:
        return "created by the runtime"
    where = symbolize(gp.gopc, True).text()
    if gp.parentgoid <= 0:
        return "created by %s (outside any goroutine)" % where
    return "created by %s in goroutine %d" % (where, gp.parentgoid)


def _grouped(L, rows, opts):
    groups = {}
    order = []
    for st, gp, reason in rows:
        if gp.error:
            key = ("corrupt",)
            stack = []
        else:
            stack = [symbolize(pc, ret) for pc, ret in stack_of(gp, L.running(gp))]
            words = reason.split(",")[0].rstrip("]") + "]" if reason else ""
            key = (st, words) + tuple((s.func, s.file, s.line) for s in stack)
        if key not in groups:
            groups[key] = [stack, []]
            order.append(key)
        groups[key][1].append(gp)
    out = []
    for key in sorted(order, key=lambda k: -len(groups[k][1])):
        stack, gps = groups[key]
        if key == ("corrupt",):
            out.append("%d corrupt goroutine entries" % len(gps))
            continue
        ids = " ".join(str(g.goid) for g in gps[:8]) + (" ..." if len(gps) > 8 else "")
        noun = "goroutine" if len(gps) == 1 else "goroutines"
        out.append("%d %s %s%s: %s" % (len(gps), noun, key[0],
                                        " " + key[1] if key[1] else "", ids))
        for s in stack:
            if not s.runtime:
                out.append("    %s" % s.text())
        if opts["c"]:
            out.append("    " + created_by(gps[0]))
    return out


# ---- goroutine N [CMD] -----------------------------------------------------

def select(gp, curg=None):
    """Select gp: its thread if it runs, else its saved context.  curg:
    allms()'s map, when the caller has it already."""
    if curg is None:
        curg, _ = allms()
    running = curg.get(gp.addr)
    if running is not None:
        thr = thread_for(running[1])
        if thr is None:
            raise gdb.GdbError("goroutine %d runs on LWP %d, which gdb does not show"
                               % (gp.goid, running[1]))
        unwind.deselect()
        thr.switch()
        gdb.invalidate_cached_frames()
        return
    if gp.pc == 0 or gp.sp == 0:
        raise gdb.GdbError("goroutine %d has no saved context (%s)"
                           % (gp.goid, state_word(gp.status)))
    bad = bad_context(gp)
    if bad:
        raise gdb.GdbError("goroutine %d: %s" % (gp.goid, marker(bad)))
    unwind.select(gp.goid, gp.sp, gp.pc, gp.bp)


def goroutine_cmd(args):
    argv = args.split(None, 1)
    if not argv:
        sel = unwind.selected()
        if sel is None:
            gdb.write("No goroutine selected (the thread's own stack is shown).\n")
        else:
            gdb.write("[Current goroutine is %d]\n" % sel.goid)
        return
    which = argv[0]
    cmd = argv[1] if len(argv) > 1 else None
    if which in ("0", "none"):
        unwind.deselect()
        gdb.write("Goroutine selection cleared; the thread's own stack is shown.\n")
        return
    if which == "all":
        if not cmd:
            raise gdb.GdbError("usage: goroutine all CMD")
        L = Listing()
        with _restoring(), _wide_stack_cache():
            for gp in L.live():
                if gp.error:
                    gdb.write("%s\n" % marker(gp.error))
                    continue
                gdb.write("\ngoroutine %d (%s):\n" % (gp.goid, state_word(gp.status)))
                _enter_and_run(gp, cmd, L.curg)
        return
    try:
        goid = int(gdb.parse_and_eval(which))
    except gdb.error:
        raise gdb.GdbError("goroutine: %s is not a goroutine id" % which)
    gp = by_id(goid)
    if gp is None:
        raise gdb.GdbError("No goroutine %d." % goid)
    if cmd:
        _run_in(gp, cmd)
        return
    select(gp)
    sel = unwind.selected()
    if sel is not None:
        try:
            gdb.selected_inferior()  # frame 1 is the goroutine's innermost frame
            f = gdb.newest_frame().older()
            if f is not None:
                f.select()
        except gdb.error:
            pass
    gdb.write("[Switching to goroutine %d (%s)]\n" % (goid, state_word(gp.status)))
    try:
        gdb.execute("frame", to_string=False)
    except gdb.error as e:
        gdb.write("%s\n" % e)


@contextlib.contextmanager
def _restoring():
    """Put the thread, frame and goroutine selection back afterwards (once
    for `goroutine all`, not once per goroutine: re-selecting a frame
    unwinds the thread again)."""
    saved = unwind.save()
    thr = gdb.selected_thread()
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        frame = None
    try:
        yield
    finally:
        unwind.restore(saved)
        if thr is not None and thr.is_valid():
            thr.switch()
        gdb.invalidate_cached_frames()
        try:
            if frame is not None and frame.is_valid():
                frame.select()
        except gdb.error:
            pass


@contextlib.contextmanager
def _wide_stack_cache():
    """gdb's stack cache with 4 KiB lines while `goroutine all` runs, then
    the person's own settings back.  Unwinding a goroutine reads a few
    words per frame; with the default 64-byte lines each is a target read,
    and on a core every target read scans the core's sections (one per
    mapping: two per goroutine stack), so 10,000 backtraces spent most of
    their time there (16 s on a kernel core; 11 s with 4 KiB lines)."""
    saved = None
    try:
        saved = (gdb.parameter("dcache line-size"), gdb.parameter("dcache size"))
        gdb.execute("set dcache line-size 4096", to_string=True)
        gdb.execute("set dcache size 16384", to_string=True)
    except (gdb.error, RuntimeError, TypeError):
        saved = None
    try:
        yield
    finally:
        if saved is not None:
            try:
                gdb.execute("set dcache line-size %d" % saved[0], to_string=True)
                gdb.execute("set dcache size %d" % saved[1], to_string=True)
            except (gdb.error, RuntimeError, TypeError):
                pass


def _enter_and_run(gp, cmd, curg=None):
    try:
        select(gp, curg)
        if unwind.selected() is not None:
            f = gdb.newest_frame().older()
            if f is not None:
                f.select()
        gdb.execute(cmd)
    except gdb.GdbError as e:
        gdb.write("%s\n" % e)
    except gdb.error as e:
        gdb.write("goroutine %d: %s\n" % (gp.goid, e))


def _run_in(gp, cmd, curg=None):
    with _restoring():
        _enter_and_run(gp, cmd, curg)


# ---- the struct g * printer ------------------------------------------------

from .printing import Printer, addr_of  # noqa: E402


class GPrinter(Printer):
    """`p gp` for a struct g *: `goroutine 7 waiting [chan receive]`;
    `p *gp` still shows the raw struct."""

    def _to_string(self):
        addr = addr_of(self.val)
        if addr == 0:
            return "nil goroutine"
        gp = read_g(addr)
        if gp.error:
            return marker(gp.error)
        # Cheap on purpose: gdb prints this for every `gp` argument of
        # every backtrace (goroutine all bt), so no stack walk here.
        text = "goroutine %d %s" % (gp.goid, state_word(gp.status))
        if gp.status == constants.value("gstatus", "Gwaiting"):
            text += " " + reason_text(gp, None)
        return "(struct g *) %#x %s" % (addr, text)


def lookup(val):
    return GPrinter(val)
