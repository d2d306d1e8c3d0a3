"""printing.py: what every pretty-printer of the package shares.

Every printer is called by gdb in the middle of printing something else; an
exception there would surface as a Python traceback or as gdb's own error
text in the middle of a structure.  So printers derive from Printer and
implement _to_string/_children; the public methods catch everything:
Corrupt (and gdb.MemoryError) become `<corrupt: ...>` in place, anything
else becomes `<corrupt: gort internal error: ...>`, and a children
generator that fails midway yields a marker child and stops, so everything
read before the failure is still shown.
"""

import gdb

from .inferior import Corrupt, marker


def _describe(e):
    if isinstance(e, (Corrupt, gdb.MemoryError)):
        return marker(e)
    return marker("gort internal error: %s: %s" % (type(e).__name__, e))


class Printer:
    hint = None

    def __init__(self, val):
        self.val = val

    def to_string(self):
        try:
            return self._to_string()
        except Exception as e:
            return _describe(e)

    def _to_string(self):
        return None

    def display_hint(self):
        return self.hint

    def _children(self):
        return iter(())


class ChildPrinter(Printer):
    """A printer with children; map hints need (key, value) pairs, so the
    marker child of a failure is emitted as a pair too."""

    def children(self):
        n = 0
        try:
            for item in self._children():
                yield item
                n += 1
        except Exception as e:
            if self.hint == "map":
                if n % 2:
                    yield ("[%d]" % n, _describe(e))
                    n += 1
                yield ("[%d]" % n, "<corrupt>")
                yield ("[%d]" % (n + 1), _describe(e))
            else:
                yield ("<corrupt>", _describe(e))


def addr_of(val):
    """Integer value of a pointer gdb.Value."""
    return int(val.cast(gdb.lookup_type("unsigned long")))


def struct_tag(t):
    """The tag of a struct type, through typedefs and cv-qualifiers."""
    t = t.strip_typedefs().unqualified()
    if t.code != gdb.TYPE_CODE_STRUCT:
        return None
    return t.tag or t.name


def pointee_tag(t):
    t = t.strip_typedefs()
    if t.code != gdb.TYPE_CODE_PTR:
        return None
    return struct_tag(t.target())
