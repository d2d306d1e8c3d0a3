"""unwind.py: a parked goroutine's stack as gdb's own backtrace.

What it reads: nothing from the inferior while unwinding: the selected
goroutine's saved context (sp, pc, bp from g->sched) is taken once, when
`goroutine N` selects it.

Why this way (NOTES.md): gdb cannot write registers of a core file, so
Go's trick of swapping $pc/$sp fails there.  Instead a Python unwinder
claims the *thread's* innermost frame (level 0) while a goroutine is
selected, and says that the caller of that frame has the goroutine's saved
rsp/rip/rbp (sp/pc/x29 on aarch64).  gdb's own DWARF CFI unwinder does the
rest, so `bt`, `frame K`, `frame function F`, `up`, `down`, `info locals`
and `info frame` all work inside the goroutine, live and on cores, with no
change to the inferior.  Details that matter:

  * the frame id given to level 0 is (goroutine sp - 16, thread pc):
    goroutine stacks lie below the thread's stack, and a frame id above its
    caller's would make gdb stop with "previous frame inner to this frame";
  * level 0 is still the thread's frame: a frame filter hides it from `bt`
    (so a goroutine's backtrace starts at #1, its innermost frame) and
    `goroutine N` selects frame 1;
  * the selection belongs to one thread; it is dropped by `goroutine none`,
    by `thread ...` (a hook on the thread command), and when the inferior
    runs again (its saved context is then stale);
  * gdb.invalidate_cached_frames() after every change of selection.

The unwinder is registered globally but does nothing unless a goroutine is
selected, so a program without gort never sees it.
"""

import contextlib

import gdb
from gdb.unwinder import Unwinder

_REGS = {
    # gobuf field -> register, per architecture
    "x86-64": (("sp", "rsp"), ("pc", "rip"), ("bp", "rbp")),
    "aarch64": (("sp", "sp"), ("pc", "pc"), ("bp", "x29")),
}


class Selection:
    def __init__(self, goid, thread, sp, pc, bp):
        self.goid, self.thread = goid, thread
        self.sp, self.pc, self.bp = sp, pc, bp


_selected = None
_suspended = 0


def selected():
    return _selected


def _arch():
    name = gdb.selected_inferior().architecture().name()
    return "aarch64" if "aarch64" in name else "x86-64"


def select(goid, sp, pc, bp):
    global _selected
    thr = gdb.selected_thread()
    if thr is None:
        raise gdb.GdbError("no thread to show goroutine %d on" % goid)
    _selected = Selection(goid, thr.global_num, sp, pc, bp)
    gdb.invalidate_cached_frames()


def deselect(*_args):
    global _selected
    if _selected is not None:
        _selected = None
        gdb.invalidate_cached_frames()


def save():
    return _selected


def restore(sel):
    global _selected
    _selected = sel
    gdb.invalidate_cached_frames()


@contextlib.contextmanager
def suspended():
    """Unwind threads normally for a while (reading a running thread)."""
    global _suspended
    _suspended += 1
    gdb.invalidate_cached_frames()
    try:
        yield
    finally:
        _suspended -= 1
        gdb.invalidate_cached_frames()


def _active():
    sel = _selected
    if sel is None or _suspended:
        return None
    thr = gdb.selected_thread()
    if thr is None or thr.global_num != sel.thread:
        return None
    return sel


class _FrameId:
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class GoroutineUnwinder(Unwinder):
    def __init__(self):
        super().__init__("gort-goroutine")

    def __call__(self, pending_frame):
        try:
            if pending_frame.level() != 0:
                return None
            sel = _active()
            if sel is None:
                return None
            regs = _REGS[_arch()]
            sp_reg = pending_frame.read_register(regs[0][1])
            pc_reg = pending_frame.read_register(regs[1][1])
            fid = _FrameId(gdb.Value(sel.sp - 16).cast(sp_reg.type), pc_reg)
            info = pending_frame.create_unwind_info(fid)
            vals = {"sp": sel.sp, "pc": sel.pc, "bp": sel.bp}
            for field, reg in regs:
                t = pending_frame.read_register(reg).type
                info.add_saved_register(reg, gdb.Value(vals[field]).cast(t))
            return info
        except Exception:
            return None          # never break gdb's own unwinding


class HideThreadFrame:
    """Frame filter: while a goroutine is selected, level 0 (the thread's
    own frame) is not part of the goroutine's backtrace."""

    def __init__(self):
        self.name = "gort-goroutine"
        self.priority = 100
        self.enabled = True

    def filter(self, frames):
        if _active() is None:
            return frames
        return self._skip_first(frames)

    @staticmethod
    def _skip_first(frames):
        for fd in frames:
            try:
                if fd.inferior_frame().level() == 0:
                    continue
            except Exception:
                pass
            yield fd


def register():
    gdb.unwinder.register_unwinder(None, GoroutineUnwinder(), replace=True)
    gdb.frame_filters["gort-goroutine"] = HideThreadFrame()
    gdb.events.cont.connect(deselect)
    gdb.events.exited.connect(deselect)
    # `thread N` selects a thread: the goroutine selection ends.
    gdb.execute("define hook-thread\npython import gort.unwind; gort.unwind.deselect()\nend",
                to_string=True)
