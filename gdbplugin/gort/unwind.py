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
    `goroutine N` selects frame 1.  gdb would still let `down` and
    `frame 0` reach it, so hooks keep them inside the goroutine: `down`
    at #1 says gdb's own "Bottom (innermost) frame selected; you cannot go
    down.", and a command that lands on #0 anyway (`frame 0`, `down 2`
    from #2) is followed by a note and the selection of #1;
  * the selection belongs to one thread; it is dropped by `goroutine none`,
    by `thread ...`, and when the inferior runs again (its saved context
    is then stale);
  * gdb.invalidate_cached_frames() after every change of selection.

Hooks and a person's own: gdb has one `hook-thread` (and one `hook-down`,
`hookpost-down`, `hookpost-frame`) per session, and gdb 13 has no Python
event for a change of selected thread or frame.  So each hook is defined
only when the person has not defined it (`show user hook-...` is empty);
a person's own hook is never replaced.  Without our hook-thread, a
goroutine selection still ends as soon as another thread is selected (it
belongs to one thread, and before_prompt drops it), but `thread N` of the
goroutine's own thread keeps it: use `goroutine none`.  Without the
down/frame hooks, frame #0 (the thread's) stays reachable.

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


def _selected_level():
    try:
        return gdb.selected_frame().level()
    except gdb.error:
        return None


def _thread_changed():
    """before_prompt: a selection whose thread is no longer selected ends."""
    sel = _selected
    if sel is None:
        return
    thr = gdb.selected_thread()
    if thr is None or thr.global_num != sel.thread:
        deselect()


class _HookCmd(gdb.Command):
    """Internal to the gort extension: run by its hooks on thread, down and
frame (see `show user hook-thread`)."""

    def __init__(self, name, fn):
        self._fn = fn
        super().__init__(name, gdb.COMMAND_OBSCURE, gdb.COMPLETE_NONE)

    def invoke(self, _arg, _from_tty):
        try:
            self._fn()
        except gdb.GdbError:
            raise
        except Exception:
            pass                 # a hook must never break the command it hooks


def _pre_down():
    sel = _active()
    if sel is not None and (_selected_level() or 0) <= 1:
        raise gdb.GdbError("Bottom (innermost) frame selected; you cannot go down.")


def _post_frame():
    sel = _active()
    if sel is None or _selected_level() != 0:
        return
    f = gdb.newest_frame().older()
    if f is None:
        return
    f.select()
    gdb.write("(#0 is the thread's own frame, hidden while goroutine %d is selected; "
              "its innermost frame is #1)\n" % sel.goid)
    gdb.execute("frame")


HOOKS = (
    # (hook, helper command, what it does)
    ("hook-thread", "gort-hook-thread", deselect),
    ("hook-down", "gort-hook-down", _pre_down),
    ("hookpost-down", "gort-hookpost-down", _post_frame),
    ("hookpost-frame", "gort-hookpost-frame", _post_frame),
)
skipped_hooks = []


def _user_defined(hook):
    try:
        return gdb.execute("show user %s" % hook, to_string=True).strip() != ""
    except gdb.error:
        return False


def register():
    gdb.unwinder.register_unwinder(None, GoroutineUnwinder(), replace=True)
    gdb.frame_filters["gort-goroutine"] = HideThreadFrame()
    gdb.events.cont.connect(deselect)
    gdb.events.exited.connect(deselect)
    gdb.events.before_prompt.connect(_thread_changed)
    for hook, helper, fn in HOOKS:
        _HookCmd(helper, fn)
        if _user_defined(hook):
            skipped_hooks.append(hook)     # the person's own: keep it
            continue
        gdb.execute("define %s\n%s\nend" % (hook, helper), to_string=True)
