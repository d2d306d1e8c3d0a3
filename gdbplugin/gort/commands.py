"""commands.py: every command of the extension and its settings.

  info goroutines [-s STATE] [-r REASON] [-g] [-c]
  goroutine [N|all|none] [CMD]
  gort map-stats EXPR       bucket health of a map
  gort chans                channels with waiters or buffered data
  gort waitgraph            who waits on whom; deadlock cycles
  gort defers [N|all]       a goroutine's pending defers, in run order
  set/show gort max-elements|max-frames|max-sudogs|max-threads|max-waiters N

Why one module: every entry point goes through Command.invoke below, which
is the one place that (1) checks the program carries the gort runtime (a
program without it gets one line, not an error cascade), (2) flushes the
memory cache so a command never sees bytes from before the last stop, and
(3) turns every exception into a message: gdb.GdbError as gdb's own error,
Corrupt as `<corrupt: ...>`, anything else as `gort internal error: ...`.
No Python traceback reaches the user.
"""

import gdb

from . import goroutines, layout, settings
from .inferior import Corrupt, flush, marker


class Command(gdb.Command):
    needs_runtime = True

    def invoke(self, arg, from_tty):
        flush()
        if self.needs_runtime and not layout.has_runtime():
            raise gdb.GdbError("gort: this program does not use the gort runtime "
                               "(no struct g / gort_allgs in its debug info)")
        if self.needs_runtime and gdb.selected_inferior().pid == 0:
            raise gdb.GdbError("gort: the program is not running (run it, attach, "
                               "or open a core file)")
        try:
            self.run(arg, from_tty)
        except gdb.GdbError:
            raise
        except KeyboardInterrupt:
            raise gdb.GdbError("Quit")
        except Corrupt as e:
            raise gdb.GdbError(marker(e))
        except gdb.error as e:
            raise gdb.GdbError(str(e))
        except Exception as e:
            raise gdb.GdbError("gort internal error: %s: %s" % (type(e).__name__, e))


class InfoGoroutines(Command):
    """List every goroutine: `*` when running on a thread, id, state,
[wait reason, time waited] and the innermost frame outside the runtime.
Usage: info goroutines [-s STATE] [-r REASON] [-g] [-c]
  -s STATE   only goroutines in STATE (running, runnable, waiting, syscall)
  -r REASON  only goroutines whose wait reason contains REASON
  -g         group goroutines with identical stacks, with counts
  -c         show where each goroutine was created (`created by`)"""

    def __init__(self):
        super().__init__("info goroutines", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def run(self, arg, _from_tty):
        goroutines.info_goroutines(arg)


class GoroutineCmd(Command):
    """Select a goroutine, or run a command inside one or all of them.
Usage: goroutine N          select goroutine N: bt, frame, up, down,
                            info locals, info frame then act inside it
       goroutine N CMD      run CMD inside goroutine N
       goroutine all CMD    run CMD inside every goroutine
       goroutine none       back to the thread's own stack (also: goroutine 0,
                            or selecting a thread)"""

    def __init__(self):
        super().__init__("goroutine", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def run(self, arg, _from_tty):
        goroutines.goroutine_cmd(arg)


class GortPrefix(gdb.Command):
    """gort: inspect the gort runtime (map-stats, chans, waitgraph, defers)."""

    def __init__(self):
        super().__init__("gort", gdb.COMMAND_DATA, gdb.COMPLETE_COMMAND, prefix=True)


class MapStats(Command):
    """Bucket health of a map: B, count, load, overflow buckets, longest
chain, growth progress.  Usage: gort map-stats EXPR"""

    def __init__(self):
        super().__init__("gort map-stats", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def run(self, arg, _from_tty):
        from . import maps
        if not arg.strip():
            raise gdb.GdbError("usage: gort map-stats EXPR")
        gdb.write(maps.stats_text(gdb.parse_and_eval(arg)) + "\n")


class Chans(Command):
    """Every channel reachable from goroutines that has waiters or buffered
data.  Usage: gort chans"""

    def __init__(self):
        super().__init__("gort chans", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def run(self, arg, _from_tty):
        from . import channels
        gdb.write(channels.chans_text() + "\n")


class Waitgraph(Command):
    """Who waits on whom through channels, mutexes and wait groups; deadlock
cycles named.  Usage: gort waitgraph"""

    def __init__(self):
        super().__init__("gort waitgraph", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def run(self, arg, _from_tty):
        from . import waitgraph
        gdb.write(waitgraph.text() + "\n")


class Defers(Command):
    """A goroutine's pending defers, in the order they will run: function,
location, and the argument or the closure with its captures.
Usage: gort defers [N|all]   (no N: the selected goroutine, else the one
                              running on the selected thread)"""

    def __init__(self):
        super().__init__("gort defers", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)

    def run(self, arg, _from_tty):
        from . import defers
        gdb.write(defers.text(arg) + "\n")


class SetGort(gdb.Command):
    """Settings of the gort extension."""

    def __init__(self, verb):
        super().__init__("%s gort" % verb, gdb.COMMAND_DATA, gdb.COMPLETE_COMMAND, prefix=True)


class Limit(gdb.Parameter):
    def __init__(self, key, doc):
        self.key = key
        self.set_doc = "Set " + doc
        self.show_doc = "Show " + doc
        self.__doc__ = doc
        super().__init__("gort " + key, gdb.COMMAND_DATA, gdb.PARAM_UINTEGER)
        self.value = settings.values[key]

    def get_set_string(self):
        settings.values[self.key] = self.value if self.value else (1 << 62)
        return ""

    def get_show_string(self, svalue):
        return "gort %s is %s." % (self.key, svalue)


def register():
    InfoGoroutines()
    GoroutineCmd()
    GortPrefix()
    MapStats()
    Chans()
    Waitgraph()
    Defers()
    SetGort("set")
    SetGort("show")
    Limit("max-elements", "the bound of every walk of the inferior's structures.")
    Limit("max-frames", "the frames walked per goroutine by info goroutines.")
    Limit("max-sudogs", "the sudogs walked per waiting goroutine (its waitlink list).")
    Limit("max-threads", "the threads (m's) walked in gort_allm.")
    Limit("max-waiters", "the waiting goroutines a channel names.")
