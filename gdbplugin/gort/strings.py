"""strings.py: gort_string, Go's string header {str, len}, printed as text.

What it reads: the two words of the header, then at most `print elements`
bytes of the text (one read), never up to a NUL: a gort_string is not
NUL-terminated (GORT_STR of a literal happens to be, a slice of a buffer
is not).  A negative or absurd length, or text that cannot be read, is
`<corrupt: ...>`; a long string is cut with `...` like gdb's own strings.
"""

from . import layout, settings
from .inferior import MEM, Corrupt
from .printing import Printer, addr_of

# Longer than this is not a string a program built, whatever len says.
MAX_LEN = 1 << 40


def quote(data, truncated):
    out = ['"']
    for b in data:
        c = chr(b)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        else:
            out.append("\\%03o" % b)
    out.append('"')
    if truncated:
        out.append("...")
    return "".join(out)


def format_string(ptr, length):
    """The text a person reads for a gort_string {ptr, length}."""
    if length < 0 or length > MAX_LEN:
        raise Corrupt("string length %d" % length)
    if length == 0:
        return '""'
    limit = settings.print_elements()
    n = length if limit is None else min(length, limit)
    if ptr == 0:
        raise Corrupt("string of length %d at NULL" % length)
    return quote(MEM.read(ptr, n), n < length)


def format_at(addr):
    """A gort_string stored at addr in the inferior."""
    s = layout.struct("gort_string")
    data = MEM.read(addr, s.size)
    ptr = int.from_bytes(data[s.off("str"):s.off("str") + MEM.ptrsize], "little")
    ln = int.from_bytes(data[s.off("len"):s.off("len") + s.fsize("len")], "little", signed=True)
    return format_string(ptr, ln)


class StringPrinter(Printer):
    def _to_string(self):
        v = self.val
        return format_string(addr_of(v["str"]), int(v["len"]))


def lookup(val, tag):
    if tag == "gort_string":
        return StringPrinter(val)
    return None



def text_or_marker(ptr, length):
    """format_string, with a corrupt string shown in place (map keys and
    channel slots are printed as Python strings, which gdb shows verbatim)."""
    try:
        return format_string(ptr, length)
    except Corrupt as e:
        return "<corrupt: %s>" % e
