"""defers.py: `gort defers [N|all]`, a goroutine's pending defers in the
order they will run.

What it reads: g->defers, a list of struct gort_defer linked by `link`
(runtime.h, defer.c), each either fn(arg) or, when fv is set, the closure
fv; every record is read whole, with offsets from DWARF.

Why this way: the runtime keeps the list newest first because that is the
order it runs them in (Go's order: last registered, first run), so the
walk order *is* the run order and nothing is sorted.  A closure is printed
through the funcval printer (closures.py: function, location, captures by
name); a plain defer as its function and location with the argument
pointer as gdb prints a `void *` (with the symbol it points to, when it
points to one).  The walk is cycle-checked and bounded by `set gort
max-elements`; an unreadable record ends the list with `<corrupt: ...>`.

Shown as

    goroutine 15: 3 pending defers, in run order:
      1. func farewell_fn at gdbstory.c:120 = {code = 7, word = "bye"}
      2. note_done at gdbstory.c:118 (arg = 0x5555555580a8 <note_b>)
"""

import gdb

from . import closures, goroutines, layout, settings, unwind
from .inferior import MEM, Corrupt, marker


def pending(gaddr):
    """[(fn, arg, fv)] of the goroutine at gaddr, in run order, and a
    marker string (or None) if the list could not be read to its end."""
    ds = layout.struct("gort_defer")
    offs = [(ds.off(f), ds.fsize(f)) for f in ("fn", "arg", "fv", "link")]
    d = MEM.word(gaddr + layout.off("g", "defers"))
    out, seen = [], set()
    budget = settings.max_elements()
    while d:
        if d in seen:
            return out, marker("defer list loops at %#x" % d)
        if len(seen) >= budget:
            return out, marker("more than max-elements defers")
        seen.add(d)
        try:
            data = MEM.read(d, ds.size)
        except Corrupt as e:
            return out, marker(e)
        fn, arg, fv, d = (int.from_bytes(data[o:o + n], "little") for o, n in offs)
        out.append((fn, arg, fv))
    return out, None


def describe(fn, arg, fv):
    if fv:
        ptr = gdb.Value(fv).cast(layout.lookup("funcval").pointer())
        return ptr.format_string()           # the funcval printer
    if not fn:
        return marker("defer record with neither fn nor fv")
    argtext = gdb.Value(arg).cast(gdb.lookup_type("void").pointer()).format_string()
    return "%s (arg = %s)" % (closures.describe_pc(fn), argtext)


def goroutine_text(gp):
    items, bad = pending(gp.addr)
    if not items and bad is None:
        return None
    noun = "defer" if len(items) == 1 else "defers"
    lines = ["goroutine %d: %d pending %s, in run order:" % (gp.goid, len(items), noun)]
    for k, item in enumerate(items, 1):
        lines.append("  %d. %s" % (k, describe(*item)))
    if bad:
        lines.append("  " + bad)
    return "\n".join(lines)


def _current():
    """The goroutine `gort defers` with no argument means: the selected
    one, else the one running on the selected thread."""
    sel = unwind.selected()
    if sel is not None:
        return goroutines.by_id(sel.goid)
    thr = gdb.selected_thread()
    if thr is None:
        return None
    curg, _ = goroutines.allms()
    lwp = thr.ptid[1] or thr.ptid[0]
    for gaddr, (_mid, procid) in curg.items():
        if procid == lwp:
            return goroutines.read_g(gaddr)
    return None


def text(arg):
    arg = arg.strip()
    if arg == "all":
        L = goroutines.Listing()
        out = []
        for gp in L.live():
            if gp.error:
                continue
            t = goroutine_text(gp)
            if t:
                out.append(t)
        return "\n".join(out) if out else "No goroutine has pending defers."
    if arg:
        try:
            goid = int(gdb.parse_and_eval(arg))
        except gdb.error:
            raise gdb.GdbError("gort defers: %s is not a goroutine id" % arg)
        gp = goroutines.by_id(goid)
        if gp is None:
            raise gdb.GdbError("No goroutine %d." % goid)
    else:
        gp = _current()
        if gp is None:
            raise gdb.GdbError("gort defers: no goroutine selected and none runs on this "
                               "thread (usage: gort defers [N|all])")
    if gp.error:
        return marker(gp.error)
    return goroutine_text(gp) or "goroutine %d has no pending defers." % gp.goid
