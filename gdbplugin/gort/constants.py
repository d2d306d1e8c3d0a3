"""constants.py: the runtime's constants, read from the program itself.

What it reads: enums from DWARF (gstatus, waitreason, gort_kind, and the
map/channel enums as they are added to contract.def), the words of
gort_waitreason_strings[] from the inferior's memory.  Even the one
constant C keeps as a #define (GORT_CLOSURE_MAGIC) is read from DWARF: the
runtime restates it as an enumerator (enum gort_debug_const).

Why this way: printers rot when encodings are hard-coded (NOTES.md: Go's
runtime-gdb.py still decodes 2013 map encodings).  Reading the values from
the program being debugged means a renumbered enum is followed
automatically; a renamed one fails loudly (contract.def).  The wait-reason
words come from the same table the runtime's own goroutine dump prints,
so gdb and the runtime always agree; if the table is unreadable (a corrupt
core) the enumerator's name is turned into words instead.
"""

import re

import gdb

from . import layout
from .inferior import MEM, Corrupt

_enums = {}
_reasons = None


def reset(*_args):
    global _reasons
    _enums.clear()
    _names.clear()
    _reasons = None


def enum(tag):
    """{enumerator name: value} of enum tag, from DWARF."""
    e = _enums.get(tag)
    if e is None:
        layout._require("ENUM", tag)
        try:
            t = gdb.lookup_type("enum " + tag)
        except gdb.error:
            raise layout.Missing("no enum %s in this program's DWARF" % tag)
        e = {f.name: f.enumval for f in t.fields()}
        _enums[tag] = e
    return e


def value(tag, name):
    layout._require("ENUMERATOR", tag, name)
    try:
        return enum(tag)[name]
    except KeyError:
        raise layout.Missing("enum %s has no %s" % (tag, name))


_names = {}


def names(tag):
    """{value: enumerator name} of enum tag (cached: called per goroutine)."""
    n = _names.get(tag)
    if n is None:
        n = _names[tag] = {v: k for k, v in enum(tag).items()}
    return n


def _words(name):
    # waitReasonChanReceiveNilChan -> "chan receive nil chan"
    name = re.sub(r"^waitReason", "", name)
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def waitreasons():
    """{value: words} of enum waitreason."""
    global _reasons
    if _reasons is not None:
        return _reasons
    r = {v: _words(k) for v, k in names("waitreason").items()}
    try:
        base = layout.var_addr("gort_waitreason_strings")
        count = len(r)
        ptrs = MEM.words(base, count)
        for i, p in enumerate(ptrs):
            if p and i in r:
                r[i] = MEM.cstring(p, 64)
    except (Corrupt, gdb.error):
        pass
    _reasons = r
    return r
