"""closures.py: func values (struct funcval *) shown as the function, its
location and the captured variables by name.

What it reads: the funcval's first word (the code pointer), the symbol and
line of that code, and the closure header gort_closure_new puts right
before the funcval: {type, magic} (gort.h, struct gort_closurehdr).

Why this way: a funcval is only a code pointer followed by anonymous
bytes; the closure's struct (GORT_CLOSURE(adder, int64_t k;)) is what
names the captures, and its descriptor is reachable only through the
header.  The magic word (GORT_CLOSURE_MAGIC, "gortclos") says the header
is there: a funcval made by hand (a static struct funcval) has none, and
then only the function is shown.  The header's type is resolved through
DWARF by its C name like every other descriptor (types.py).

Shown as

    func adder_fn at shapes.c:42 = {k = 3, name = "x"}

Printed for `struct funcval *` and for pointers to any struct whose first
member is a struct funcval (a closure struct itself).
"""

import gdb

from . import constants, layout, types
from .inferior import MEM, Corrupt
from .printing import ChildPrinter, addr_of, struct_tag

_pcinfo = {}


def reset(*_args):
    _pcinfo.clear()


def describe_pc(pc):
    """'name at file:line' of a code address (for entry points: pc itself)."""
    if pc in _pcinfo:
        return _pcinfo[pc]
    name = None
    try:
        blk = gdb.block_for_pc(pc)
        while blk is not None and blk.function is None:
            blk = blk.superblock
        if blk is not None:
            name = blk.function.print_name
    except (gdb.error, RuntimeError):
        pass
    if name is None:
        try:
            name = gdb.execute("info symbol %#x" % pc, to_string=True).split(" in ")[0] \
                .split(" + ")[0].strip()
            if name.startswith("No symbol"):
                name = None
        except gdb.error:
            name = None
    text = name or "%#x" % pc
    try:
        sal = gdb.find_pc_line(pc)
        if sal.symtab is not None:
            text += " at %s:%d" % (sal.symtab.filename, sal.line)
    except gdb.error:
        pass
    _pcinfo[pc] = text
    return text


def closure_magic():
    """GORT_CLOSURE_MAGIC, from DWARF: runtime/debuginfo.c restates the
    #define as enumerator gortClosureMagic of enum gort_debug_const, so the
    value is the program's own and no header is ever parsed."""
    return constants.value("gort_debug_const", "gortClosureMagic")


def header_type(fv):
    """RType of the closure at fv from its header, or None if it has none."""
    magic = closure_magic()
    hs = layout.struct("gort_closurehdr")
    if fv < hs.size:
        return None
    try:
        data = MEM.read(fv - hs.size, hs.size)
    except Corrupt:
        return None
    m = int.from_bytes(data[hs.off("magic"):hs.off("magic") + 8], "little")
    if m != magic:
        return None
    t = int.from_bytes(data[hs.off("type"):hs.off("type") + 8], "little")
    return types.rtype(t)


class FuncvalPrinter(ChildPrinter):
    def __init__(self, val):
        super().__init__(val)
        self._captures = None

    def _load(self):
        fv = addr_of(self.val)
        if fv == 0:
            return 0, None
        fn = MEM.word(fv + layout.off("funcval", "fn"))
        rt = header_type(fv)
        return fn, (rt, fv) if rt is not None else None

    def _to_string(self):
        fv = addr_of(self.val)
        if fv == 0:
            return "nil func"
        fn, cap = self._load()
        if fn == 0:
            return "<corrupt: funcval %#x with NULL code pointer>" % fv
        self._captures = cap
        return "func " + describe_pc(fn)

    def _children(self):
        if self._captures is None:
            return
        rt, fv = self._captures
        if rt.type.strip_typedefs().code != gdb.TYPE_CODE_STRUCT:
            return
        v = types.value_at(rt, fv)
        for i, f in enumerate(rt.type.strip_typedefs().fields()):
            if i == 0 and struct_tag(f.type) == "funcval":
                continue             # the funcval itself
            yield f.name, v[f]

    def children(self):
        if self._captures is None:
            try:
                self._captures = self._load()[1]
            except Exception:
                self._captures = None
        return super().children()


def lookup(val):
    """The printer of a struct funcval * or of a pointer to a closure
    struct (the package's _lookup has checked that the type is the
    runtime's)."""
    return FuncvalPrinter(val)
