"""waitgraph.py: `gort waitgraph`, who waits on whom, and deadlock cycles.

What it reads: every goroutine (goroutines.py), the sudogs each parked
goroutine waits on (g->waiting, linked by waitlink: channel sudog.c, or
the mutex / wait group sudog.obj), g->waitobj when no sudog says it, a
mutex's owner (gort_mutex.owner, a goid) and a wait group's counter, and
which goroutines hold each channel in a variable of their own frames
(channels.py's frame scan, through the unwinder).

Why this way: an edge G -> H means "H is one of the goroutines that could
end G's wait":
  * mutex: its owner;
  * channel: the goroutines that can reach the channel from their own
    frames and do not wait on it themselves (a channel in a global is
    reachable by anyone: no edge is guessed then, the line says so);
  * wait group: unknown in general (anyone may call done): no edge.
A cycle in which every goroutine is parked is a deadlock: none of them
can be woken by the others, and nobody else is named.  Goroutines parked
on a nil channel or in an empty select are blocked forever on their own.
When every goroutine is parked and none sleeps, the whole program is
deadlocked, as the runtime itself reports.
"""

from . import channels, constants, goroutines, layout, unwind
from .inferior import MEM, Corrupt

import gdb


def _u(data, s, name, signed=False):
    off = s.off(name)
    return int.from_bytes(data[off:off + s.fsize(name)], "little", signed=signed)


def _waits(gp):
    """[(kind, address)] of what gp waits on: kind 'chan', 'obj'."""
    ss = layout.struct("sudog")
    out = []
    s, seen = gp.waiting, set()
    while s and s not in seen and len(seen) < 1024:
        seen.add(s)
        try:
            d = MEM.read(s, ss.size)
        except Corrupt:
            out.append(("corrupt", s))
            break
        c, obj = _u(d, ss, "c"), _u(d, ss, "obj")
        if c:
            out.append(("chan", c))
        elif obj:
            out.append(("obj", obj))
        s = _u(d, ss, "waitlink")
    if not out and gp.waitobj:
        out.append(("obj", gp.waitobj))
    return out


def _reach(L):
    """{chan address: set of goids whose own frames hold it}."""
    reach = {}
    saved = unwind.save()
    thr = gdb.selected_thread()
    live = list(L.live())
    if len(live) > channels.FRAME_SCAN_LIMIT:
        return None
    try:
        for gp in live:
            if gp.error or not gp.pc or L.running(gp) is not None:
                continue
            unwind.select(gp.goid, gp.sp, gp.pc, gp.bp)
            found = {}
            channels._frame_chans(found, locals_only=True)
            for c in found:
                reach.setdefault(c, set()).add(gp.goid)
    finally:
        unwind.restore(saved)
        if thr is not None and thr.is_valid():
            thr.switch()
    return reach


def text():
    L = goroutines.Listing()
    W = constants.value("gstatus", "Gwaiting")
    reasons = constants.waitreasons()
    rv = {n: constants.value("waitreason", n) for n in (
        "waitReasonChanReceiveNilChan", "waitReasonChanSendNilChan",
        "waitReasonSelectNoCases", "waitReasonMutex", "waitReasonWaitGroup",
        "waitReasonSleep")}
    nilwait = {rv["waitReasonChanReceiveNilChan"], rv["waitReasonChanSendNilChan"],
               rv["waitReasonSelectNoCases"]}
    live = [g for g in L.live() if not g.error]
    parked = {g.goid: g for g in live if g.status == W}
    reach = _reach(L)
    scanned = reach is not None
    reach = reach or {}
    waiters_of = {}
    for gp in parked.values():
        for kind, a in _waits(gp):
            if kind == "chan":
                waiters_of.setdefault(a, set()).add(gp.goid)
    edges = {}
    lines = []
    descs = {}
    for goid in sorted(parked):
        gp = parked[goid]
        words = reasons.get(gp.reason, "?")
        head = "goroutine %d [%s]" % (goid, words)
        if gp.reason in nilwait:
            lines.append("%s: blocked forever (nil channel or empty select)" % head)
            continue
        if gp.reason == rv["waitReasonSleep"]:
            lines.append("%s: wakes by itself" % head)
            continue
        targets = set()
        for kind, a in _waits(gp):
            if kind == "corrupt":
                lines.append("%s: <corrupt: sudog %#x unreadable>" % head)
                continue
            if kind == "chan":
                desc = descs.get(a)
                if desc is None:      # once per channel: its queues may hold everyone
                    try:
                        desc = channels.ChanInfo(a).summary().split(", waiting")[0]
                    except Corrupt as e:
                        desc = "<corrupt: %s>" % e
                    descs[a] = desc
                who = sorted(reach.get(a, set()) - waiters_of.get(a, set()))
                targets.update(who)
                if who:
                    lines.append("%s on chan %#x (%s) -> can be woken by goroutines %s"
                                 % (head, a, desc, " ".join(map(str, who))))
                else:
                    lines.append("%s on chan %#x (%s) -> no goroutine holds it in a "
                                 "local variable (a global: anyone may act on it)" % (head, a, desc))
            elif gp.reason == rv["waitReasonMutex"]:
                try:
                    owner = int.from_bytes(MEM.read(a + layout.off("gort_mutex", "owner"), 8),
                                           "little", signed=True)
                except Corrupt:
                    owner = 0
                if owner:
                    targets.add(owner)
                    lines.append("%s on mutex %#x -> held by goroutine %d" % (head, a, owner))
                else:
                    lines.append("%s on mutex %#x (no owner recorded)" % (head, a))
            elif gp.reason == rv["waitReasonWaitGroup"]:
                try:
                    n = int.from_bytes(MEM.read(a + layout.off("gort_waitgroup", "counter"), 8),
                                       "little", signed=True)
                    lines.append("%s on waitgroup %#x (counter %d) -> whoever calls done"
                                 % (head, a, n))
                except Corrupt as e:
                    lines.append("%s on waitgroup %#x <corrupt: %s>" % (head, a, e))
            else:
                lines.append("%s on %#x" % (head, a))
        edges[goid] = targets
    if not scanned:
        lines.append("(too many goroutines to scan their frames: channel edges unknown)")
    cycles = _cycles(edges, parked)
    for cyc in cycles:
        lines.append("deadlock cycle: " + " -> ".join("goroutine %d" % g for g in cyc + [cyc[0]]))
    sleeping = any(g.reason == rv["waitReasonSleep"] for g in parked.values())
    if live and len(parked) == len(live) and not sleeping:
        lines.append("all goroutines are asleep - deadlock!")
    return "\n".join(lines) if lines else "No goroutine is waiting."


def _cycles(edges, parked):
    """Elementary cycles among parked goroutines (each reported once, from
    its smallest id), found by DFS, bounded."""
    found, seen_sets = [], set()
    budget = [100000]

    def dfs(start, node, path, onpath):
        for nxt in sorted(edges.get(node, ())):
            budget[0] -= 1
            if budget[0] < 0 or nxt not in parked:
                continue
            if nxt == start:
                key = frozenset(path)
                if key not in seen_sets:
                    seen_sets.add(key)
                    found.append(list(path))
            elif nxt > start and nxt not in onpath:
                onpath.add(nxt)
                path.append(nxt)
                dfs(start, nxt, path, onpath)
                path.pop()
                onpath.discard(nxt)

    for g in sorted(edges):
        dfs(g, g, [g], {g})
    return found
