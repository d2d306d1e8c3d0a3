"""waitgraph.py: `gort waitgraph`, who waits on whom, and deadlock cycles.

The model is gort-core's (dwarf/core/waitgraph.c), edge for edge and word
for word, so that gdb and gort-core name the same cycles for the same core
(tests/gdb check it on cores of gdbstory and samples/deadlock).  An edge
A -> B means "B could end A's wait"; each edge says how it is known:

  queued   A waits to receive on c and B is parked on c's sendq (or the
           reverse; a select may be either): B's operation completes A's.
           Exact.  At most QUEUE_IDS partners per queue, as gort-core.
  owner    A waits for a gort_mutex whose owner field is B.  Exact.
  holds    A waits on a channel or a wait group, and B's parked stack (or
           an object one pointer away from it: a goroutine's argument
           struct) holds that object's address, and B does not itself wait
           on it the same way.  B *could* send, close or call done: a
           guess, the only one a core allows.  At most HOLDERS such edges
           per waiter and object (holders that do not wait on it first,
           then by allgs order); how many were left out is said.
  child    A waits on a wait group and B is a live goroutine A created:
           the usual shape (start workers, wait for them).  A guess too.

A goroutine parked on a nil channel or in an empty select has no edge and
is listed as having nobody known to end its wait; a sleeping, runnable or
running goroutine is not blocked.

What it reads: every g (goroutines.py), the sudogs each blocked goroutine
waits on (g->waiting, linked by waitlink, bounded by `set gort
max-sudogs`), the two queues of each channel waited on, a mutex's owner,
and the words of every parked stack from its saved sp up (at most
STACK_SCAN bytes, one read per stack) plus the first 16 words of each
object a stack word points to.  Speed: the stack words are matched as sets
against the addresses waited on, and what an object one pointer away holds
is cached by address, so 10,000 goroutines sharing a few arguments cost
10,000 stack reads and a few reads more.  "Who holds a but does not wait
on it the same way" is one set difference per (object, wait reason).

Cycles: an iterative depth-first search (no recursion: 100,000 goroutines
in a chain cannot overflow Python's stack) over the goroutines in allgs
order, edges in (from, to) order; a back edge to a goroutine on the path
closes a cycle, reported once, rotated to start at its smallest id.  A
cycle is certain when all its edges are exact or when every goroutine is
blocked (nothing outside can break it); otherwise it is "possible".
"""

import struct

from . import constants, goroutines, layout
from .channels import waiters
from .inferior import MEM, PAGE, Corrupt

# gort-core's bounds (dwarf/core/core.h, chans.h, waitgraph.c), kept equal
# so that both tools see the same edges and cycles.
QUEUE_IDS = 64                 # partners taken per wait queue (LIMIT_IDS)
HOLDERS = 64                   # holds edges per waiter and object (LIMIT_HOLDERS)
STACK_SCAN = 256 * 1024        # bytes of a parked stack scanned (LIMIT_STACK_SCAN)
OBJ_WORDS = 16                 # words of an object one pointer away
MAX_CYCLES = 64
MAX_CYCLE_LEN = 64

QUEUED, OWNER, HOLDS, CHILD = range(4)
KIND_TEXT = ("queued on channel", "owns mutex", "holds a reference to",
             "created by it, may call Done on waitgroup")


def _hex(a):
    return "%#x" % a if a else "0"        # C's %#x prints 0 as "0"


class Graph:
    def __init__(self):
        self.L = goroutines.Listing()
        self.gs = self.L.gs
        W = constants.value("gstatus", "Gwaiting")
        self.words = constants.waitreasons()
        rv = {n: constants.value("waitreason", n) for n in (
            "waitReasonChanReceive", "waitReasonChanSend", "waitReasonSelect",
            "waitReasonMutex", "waitReasonWaitGroup", "waitReasonSleep")}
        self.rv = rv
        self.live = [not gp.error and gp.status != self.L.dead for gp in self.gs]
        self.waiting = [self.live[i] and gp.status == W and gp.reason in self.words
                        for i, gp in enumerate(self.gs)]
        self.blocked = [self.waiting[i] and gp.reason != rv["waitReasonSleep"]
                        for i, gp in enumerate(self.gs)]
        self.index = {}
        for i, gp in enumerate(self.gs):
            if self.live[i]:
                self.index.setdefault(gp.goid, i)
        self.sud = [goroutines.sudogs(gp) if self.waiting[i] else []
                    for i, gp in enumerate(self.gs)]
        self.edges = {}            # (from, to) -> [kind, object]
        self.holds_cut = 0

    # ---- reading ----------------------------------------------------------

    def _stack_words(self, gp):
        """The words of gp's stack from its saved sp up (a tuple)."""
        lo, hi = gp.sp & ~7, gp.hi
        if not lo or hi <= lo or lo < gp.lo:
            return ()
        hi = min(hi, lo + STACK_SCAN)
        try:
            data = MEM.exact(lo, hi - lo)
        except Corrupt:
            data = b""           # the readable part only, a page at a time
            pos = lo
            while pos < hi:
                step = min(hi, pos - pos % PAGE + PAGE) - pos
                try:
                    data += MEM.exact(pos, step)
                except Corrupt:
                    break
                pos += step
        n = len(data) // 8
        return struct.unpack_from("<%dQ" % n, data) if n else ()

    def _refs(self, want):
        """{address in want: [indices of goroutines whose stacks hold it]},
        each list in allgs order."""
        refs = {}
        pointed = {}               # object address -> wanted addresses in it
        for i, gp in enumerate(self.gs):
            if not self.live[i] or self.L.running(gp) is not None:
                continue
            ws = set(self._stack_words(gp))
            held = ws & want
            for w in ws - want:
                if w < 4096 or w & 7 or gp.lo <= w < gp.hi:
                    continue
                hit = pointed.get(w)
                if hit is None:
                    try:
                        hit = want.intersection(struct.unpack("<%dQ" % OBJ_WORDS,
                                                              MEM.read(w, 8 * OBJ_WORDS)))
                    except Corrupt:
                        hit = ()
                    pointed[w] = hit
                held.update(hit)
            for a in held:
                refs.setdefault(a, []).append(i)
        return refs

    def _queues(self, c):
        """(recv ids, send ids) of channel c, or None if unreadable."""
        hs = layout.struct("hchan")
        try:
            MEM.read(c, hs.size)
            out = []
            for q in ("recvq", "sendq"):
                out.append([goid for goid, _sel, note in
                            waiters(c + hs.off(q), limit=QUEUE_IDS)
                            if note is None and goid is not None])
            return out
        except Corrupt:
            return None

    # ---- edges ------------------------------------------------------------

    def add(self, a, b, kind, obj):
        if b is None or a == b:
            return
        e = self.edges.get((a, b))
        if e is None:
            self.edges[(a, b)] = [kind, obj]
        elif kind < e[0]:
            e[0], e[1] = kind, obj     # the most certain kind, and its object

    def _waits_on(self, j, a):
        gp = self.gs[j]
        return gp.waitobj == a or any(c == a or o == a for c, o in self.sud[j])

    def build(self):
        want = set()
        for i, gp in enumerate(self.gs):
            if self.blocked[i]:
                for c, obj in self.sud[i]:
                    want.update((c, obj))
                want.add(gp.waitobj)
        want.discard(0)
        refs = self._refs(want)
        ordered = {}               # a -> holders by (how they wait on a, index)
        holders = {}               # (a, reason or None for select) -> candidates

        def holds(i, a):
            gp = self.gs[i]
            sel = gp.reason == self.rv["waitReasonSelect"]
            key = (a, None if sel else gp.reason)
            who = holders.get(key)
            if who is None:
                byclass = ordered.get(a)
                if byclass is None:
                    byclass = ordered[a] = sorted(
                        (self.gs[j].reason if self.waiting[j] and self._waits_on(j, a)
                         else -1, j) for j in refs.get(a, ()))
                who = holders[key] = [j for cls, j in byclass if sel or cls != gp.reason]
            made = 0
            for j in who:
                if j == i:
                    continue
                if made < HOLDERS:
                    self.add(i, j, HOLDS, a)
                    made += 1
                else:
                    self.holds_cut += 1

        children = {}
        for j, gp in enumerate(self.gs):
            if self.live[j]:
                children.setdefault(gp.parentgoid, []).append(j)
        queues = {}
        rv = self.rv
        mu_owner = layout.off("gort_mutex", "owner")
        # A libgort from before enum mutex_state cleared owner on unlock:
        # there owner is read as it is.
        try:
            mu_state = layout.off("gort_mutex", "state")
            mu_state_size = layout.struct("gort_mutex").fsize("state")
            mu_locked = constants.value("mutex_state", "MUTEX_LOCKED")
        except Corrupt:
            mu_state = None
        for i, gp in enumerate(self.gs):
            if not self.blocked[i]:
                continue
            r = gp.reason
            recv, send = r == rv["waitReasonChanReceive"], r == rv["waitReasonChanSend"]
            sel = r == rv["waitReasonSelect"]
            if recv or send or sel:
                for c, _obj in self.sud[i]:
                    if not c:
                        continue
                    if c not in queues:
                        queues[c] = self._queues(c)
                    q = queues[c]
                    if q is None:
                        continue
                    if recv or sel:
                        for goid in q[1]:
                            self.add(i, self.index.get(goid), QUEUED, c)
                    if send or sel:
                        for goid in q[0]:
                            self.add(i, self.index.get(goid), QUEUED, c)
                    holds(i, c)
            elif r == rv["waitReasonMutex"]:
                mu = gp.waitobj or next((o for _c, o in self.sud[i] if o), 0)
                try:
                    # owner is the holder's only while the mutex is locked
                    # (unlock leaves it as it was).
                    owner = 0
                    if mu and (mu_state is None or int.from_bytes(
                            MEM.read(mu + mu_state, mu_state_size), "little") & mu_locked):
                        owner = int.from_bytes(MEM.read(mu + mu_owner, 8), "little", signed=True)
                except Corrupt:
                    owner = 0
                if owner > 0:
                    self.add(i, self.index.get(owner), OWNER, mu)
            elif r == rv["waitReasonWaitGroup"]:
                wg = gp.waitobj or next((o for _c, o in self.sud[i] if o), 0)
                if wg:
                    holds(i, wg)
                for j in children.get(gp.goid, ()):
                    self.add(i, j, CHILD, wg)

    # ---- cycles -----------------------------------------------------------

    def cycles(self):
        """[(indices from the smallest goid on, exact)] found by an iterative
        DFS (see the essay); cycles beyond MAX_CYCLES are only counted."""
        n = len(self.gs)
        self.cycles_dropped = 0
        out = {}
        for (a, b) in sorted(self.edges):
            out.setdefault(a, []).append(b)
        color = [0] * n            # 0 unseen, 1 on the path, 2 done
        found = []
        for s in range(n):
            if color[s] or s not in out:
                continue
            path, nxt = [s], [0]
            color[s] = 1
            while path:
                u = path[-1]
                succ = out.get(u, ())
                if nxt[-1] == len(succ):
                    color[u] = 2
                    path.pop()
                    nxt.pop()
                    continue
                v = succ[nxt[-1]]
                nxt[-1] += 1
                if color[v] == 1 and len(found) >= MAX_CYCLES:
                    self.cycles_dropped += 1
                elif color[v] == 1:
                    cyc = path[path.index(v):]
                    exact = all(self.edges.get((cyc[k], cyc[(k + 1) % len(cyc)]),
                                               [QUEUED])[0] < HOLDS for k in range(len(cyc)))
                    m = min(range(len(cyc)), key=lambda k: self.gs[cyc[k]].goid)
                    found.append((cyc[m:] + cyc[:m], exact))
                elif color[v] == 0:
                    color[v] = 1
                    path.append(v)
                    nxt.append(0)
        return found

    # ---- what a person reads ------------------------------------------------

    def text(self):
        self.build()
        gs = self.gs
        nlive = sum(self.live)
        nblocked = sum(self.blocked)
        every = nlive > 0 and nblocked == nlive
        lines = ["%d goroutines, %d blocked" % (nlive, nblocked)]
        cycles = self.cycles()
        has_out = set()
        for (a, b) in sorted(self.edges):
            kind, obj = self.edges[(a, b)]
            has_out.add(a)
            lines.append("  g%d [%s] -> g%d  (%s %s)" % (gs[a].goid, self.words[gs[a].reason],
                                                         gs[b].goid, KIND_TEXT[kind], _hex(obj)))
        if self.holds_cut:
            lines.append("  (%d more 'holds a reference' edges not listed: at most %d per "
                         "waiter and object)" % (self.holds_cut, HOLDERS))
        for i, gp in enumerate(gs):
            if self.blocked[i] and i not in has_out:
                lines.append("  g%d [%s]: no goroutine known to end this wait (none queued "
                             "opposite, owning or referencing it)" % (gp.goid,
                                                                     self.words[gp.reason]))
        for cyc, exact in cycles:
            # a cycle longer than MAX_CYCLE_LEN is shown cut, and says so:
            # a ring of 100 goroutines must not look like a ring of 64
            shown = cyc + cyc[:1] if len(cyc) <= MAX_CYCLE_LEN else cyc[:MAX_CYCLE_LEN]
            ids = [gs[k].goid for k in shown]
            text = "%sdeadlock cycle: %s" % ("" if exact or every else "possible ",
                                             " -> ".join("g%d" % g for g in ids))
            if len(cyc) > MAX_CYCLE_LEN:
                text += " -> ... <truncated: %d goroutines in the cycle, first %d shown>" \
                    % (len(cyc), MAX_CYCLE_LEN)
            lines.append(text)
        if self.cycles_dropped:
            lines.append("(%d more cycles not listed: at most %d)" % (self.cycles_dropped,
                                                                     MAX_CYCLES))
        lines.append("all goroutines are blocked: deadlock" if every
                     else "not all goroutines are blocked")
        return "\n".join(lines)


def text():
    return Graph().text()
