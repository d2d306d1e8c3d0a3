"""channels.py: struct hchan * printed as `chan T` with its buffer in
receive order and the goroutines waiting on it, and `gort chans`.

What it reads: the hchan header and its buffer (one read: the buffer is
the flexible member `buf` right after the header, chan.h), the element
descriptor (types.py), and the two wait queues: lists of struct sudog
linked by `next`, each naming its goroutine (sudog.g -> g.goid).

Why this way: the buffered elements in receive order are the slots
recvx, recvx+1, ... (mod dataqsiz), qcount of them (chan.h's invariant),
so a person reads them in the order the program will receive them.  Who
waits is what Go's runtime-gdb.py never shows and what a hang is about:

    chan int64_t, len 0, cap 0, waiting to receive: goroutines 4 5 (select)
    chan gort_string, len 2, cap 4, closed = {"a", "b"}

A queue is walked with a visited set and the max-elements bound; a sudog
that cannot be read ends its queue with a marker.  A buffer whose qcount
exceeds dataqsiz, or an element size that disagrees with the descriptor,
is corrupt; the waiters are still shown.

`gort chans` finds channels from the goroutines themselves: every sudog
a parked goroutine waits on (g->waiting, linked by waitlink) names its
channel; goroutines blocked on a nil channel are listed apart.  A channel
nobody waits on (buffered data only) is found from `struct hchan *`
variables in the frames of the goroutines' stacks and in the globals of
their source files.
"""

import gdb

from . import constants, goroutines, layout, settings, types
from .inferior import MEM, Corrupt
from .printing import ChildPrinter, addr_of, pointee_tag


def _u(data, s, name):
    off = s.off(name)
    return int.from_bytes(data[off:off + s.fsize(name)], "little")


_DEFAULT = object()


def waiters(q_addr, limit=_DEFAULT):
    """[(goid or None, is_select, note)] of the waitq at q_addr, at most
    limit of them (then a "..." note).  By default the limit is `set gort
    max-waiters`: a queue may hold every goroutine, and a channel argument
    is printed in every frame of every backtrace."""
    if limit is _DEFAULT:
        limit = settings.max_waiters()
    ss = layout.struct("sudog")
    first = MEM.word(q_addr + layout.off("waitq", "first"))
    out = []
    seen = set()
    s = first
    budget = settings.max_elements()
    while s:
        if s in seen:
            out.append((None, False, "<corrupt: wait queue loops at %#x>" % s))
            break
        if limit is not None and len(out) >= limit:
            out.append((None, False, "..."))
            break
        seen.add(s)
        budget -= 1
        if budget < 0:
            out.append((None, False, "<corrupt: more than max-elements waiters>"))
            break
        try:
            d = MEM.read(s, ss.size)
            g = _u(d, ss, "g")
            sel = bool(_u(d, ss, "isSelect"))
            goid = goroutines.goid_of(g) if g else None
            out.append((goid, sel, None if g else "<corrupt: sudog %#x without g>" % s))
            s = _u(d, ss, "next")
        except Corrupt as e:
            out.append((None, False, "<corrupt: %s>" % e))
            break
    return out


def format_waiters(ws):
    parts = []
    for goid, sel, note in ws:
        if note:
            parts.append(note)
        else:
            parts.append("%d%s" % (goid, " (select)" if sel else ""))
    return "goroutines " + " ".join(parts)


class ChanInfo:
    def __init__(self, addr):
        hs = layout.struct("hchan")
        d = MEM.read(addr, hs.size)
        self.addr = addr
        self.qcount = _u(d, hs, "qcount")
        self.dataqsiz = _u(d, hs, "dataqsiz")
        self.elemsize = _u(d, hs, "elemsize")
        self.closed = _u(d, hs, "closed")
        self.recvx = _u(d, hs, "recvx")
        self.buf = addr + hs.off("buf")
        self.elem = types.rtype(_u(d, hs, "elemtype"))
        self.recvq = waiters(addr + hs.off("recvq"))
        self.sendq = waiters(addr + hs.off("sendq"))

    def plausible(self):
        """The header agrees with itself and its element descriptor."""
        return (self.qcount <= self.dataqsiz and self.elemsize == self.elem.size
                and (self.recvx < self.dataqsiz or self.dataqsiz == 0))

    def summary(self):
        text = "chan %s, len %d, cap %d" % (self.elem.name, self.qcount, self.dataqsiz)
        if self.closed:
            text += ", closed"
        if self.recvq:
            text += ", waiting to receive: " + format_waiters(self.recvq)
        if self.sendq:
            text += ", waiting to send: " + format_waiters(self.sendq)
        return text

    def elements(self):
        if self.qcount > self.dataqsiz:
            raise Corrupt("channel %#x holds %d of %d" % (self.addr, self.qcount, self.dataqsiz))
        if self.elemsize != self.elem.size:
            raise Corrupt("element size %d, type %s has %d"
                          % (self.elemsize, self.elem.name, self.elem.size))
        if self.recvx >= max(self.dataqsiz, 1) and self.qcount:
            raise Corrupt("recvx %d outside the buffer" % self.recvx)
        if self.qcount == 0 or self.elemsize == 0:
            for _ in range(self.qcount):
                yield types.decoder(self.elem)(b"\0" * max(self.elem.type.sizeof, 1), 0)
            return
        limit = settings.print_elements()
        n = self.qcount if limit is None else min(self.qcount, limit + 1)
        dec = types.decoder(self.elem)
        buf = MEM.read(self.buf, self.dataqsiz * self.elemsize)
        for i in range(n):
            slot = (self.recvx + i) % self.dataqsiz
            yield dec(buf, slot * self.elemsize)


class ChanPrinter(ChildPrinter):
    hint = "array"

    def __init__(self, val):
        super().__init__(val)
        self.info = None

    def _load(self):
        if self.info is None:
            addr = addr_of(self.val)
            key = ("chan", addr, settings.max_waiters(), settings.max_elements())
            info = MEM.memo.get(key)
            if info is None:
                info = MEM.memo[key] = ChanInfo(addr)
            self.info = info
        return self.info

    def _to_string(self):
        if addr_of(self.val) == 0:
            return "nil chan"
        return self._load().summary()

    def _children(self):
        if addr_of(self.val) == 0:
            return
        for i, v in enumerate(self._load().elements()):
            yield "[%d]" % i, v

    def children(self):
        try:
            if addr_of(self.val):
                self._load()
        except Exception:
            return iter(())       # to_string shows the marker
        return super().children()


def lookup(val):
    return ChanPrinter(val)


# ---- gort chans --------------------------------------------------------------

def _sudog_chans(gs, dead):
    """{chan address: set of goids} and [(goid, words)] of nil-channel waiters."""
    chans = {}
    nilwait = []
    reasons = constants.waitreasons()
    nilreasons = {constants.value("waitreason", n) for n in
                  ("waitReasonChanReceiveNilChan", "waitReasonChanSendNilChan",
                   "waitReasonSelectNoCases")}
    waiting = constants.value("gstatus", "Gwaiting")
    for gp in gs:
        if gp.error or gp.status != waiting:
            continue
        if gp.reason in nilreasons:
            nilwait.append((gp.goid, reasons.get(gp.reason, "?")))
            continue
        for c, _obj in goroutines.sudogs(gp):
            if c:
                chans.setdefault(c, set()).add(gp.goid)
    return chans, nilwait


# Scanning frames unwinds every goroutine through gdb (milliseconds each):
# beyond this many goroutines only the wait queues are used.
FRAME_SCAN_LIMIT = 2000


def _frame_chans(found, locals_only=False):
    """Add channels named by `struct hchan *` variables visible in the
    current thread's frames (and their files' globals unless locals_only)."""
    try:
        f = gdb.newest_frame()
    except gdb.error:
        return
    depth = 0
    blocks_seen = set()
    while f is not None and depth < 64:
        depth += 1
        try:
            blk = f.block()
        except RuntimeError:
            blk = None
        extra = []
        if blk is not None and not locals_only:
            extra = [blk.global_block, blk.static_block]
        while blk is not None and not blk.is_global and not blk.is_static:
            extra.insert(0, blk)
            blk = blk.superblock
        for b in extra:
            if b is None or b.start in blocks_seen and (b.is_global or b.is_static):
                continue
            if b.is_global or b.is_static:
                blocks_seen.add(b.start)
            for sym in b:
                try:
                    if not sym.is_variable and not sym.is_argument:
                        continue
                    if pointee_tag(sym.type) != "hchan":
                        continue
                    p = addr_of(sym.value(f))
                    if p:
                        found.setdefault(p, set())
                except (gdb.error, RuntimeError, TypeError):
                    continue
        try:
            f = f.older()
        except gdb.error:
            break


def chans_text():
    L = goroutines.Listing()
    chans, nilwait = _sudog_chans(L.gs, L.dead)
    found = dict(chans)
    # variables on the goroutines' stacks (each selected in turn) and globals
    from . import unwind
    saved = unwind.save()
    thr = gdb.selected_thread()
    note = None
    try:
        _frame_chans(found)
        live = list(L.live())
        if len(live) > FRAME_SCAN_LIMIT:
            note = ("(%d goroutines: their frames were not scanned for channels "
                    "nobody waits on; limit %d)" % (len(live), FRAME_SCAN_LIMIT))
            live = []
        for gp in live:
            if gp.error or L.running(gp) is not None or not gp.pc:
                continue
            unwind.select(gp.goid, gp.sp, gp.pc, gp.bp)
            _frame_chans(found)
    finally:
        unwind.restore(saved)
        if thr is not None and thr.is_valid():
            thr.switch()
    lines = []
    for c in sorted(found):
        try:
            ci = ChanInfo(c)
        except Corrupt as e:
            # A goroutine waits on it: the runtime's own pointer, so an
            # unreadable channel is news.  Otherwise the address came from
            # a variable in some frame, and a local not yet assigned holds
            # whatever the stack held (a return address, say): a guess that
            # did not pan out, not a corrupt channel.
            if c in chans:
                lines.append("%#x <corrupt: %s>" % (c, e))
            continue
        if c not in chans and not ci.plausible():
            continue
        if not (ci.qcount or ci.recvq or ci.sendq or ci.closed):
            continue
        text = "%#x %s" % (c, ci.summary())
        try:
            elems = list(ci.elements())
            if elems:
                text += " = {%s}" % ", ".join(str(e) for e in elems[:20])
        except Corrupt as e:
            text += " <corrupt: %s>" % e
        lines.append(text)
    for goid, words in nilwait:
        lines.append("nil channel: goroutine %d [%s]" % (goid, words))
    if note:
        lines.append(note)
    return "\n".join(lines) if lines else "No channel has waiters or buffered data."
