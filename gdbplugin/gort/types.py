"""types.py: the runtime's type descriptors, turned into gdb types.

What it reads: a `struct rtype` in the inferior (size, kind, name) and the
program's DWARF.

Why this way: maps, channels and interfaces are created through an untyped
API (gort_map_new(&key_type, &elem_type, hint)), so the only record of what
a slot holds is the descriptor the program passed.  Every descriptor
carries the C spelling of its type ("int64_t", "struct point",
"gort_string", "struct T1 *"), which is exactly what DWARF can resolve;
that is what lets `p m` print `["alpha"] = 1` instead of bytes.  A name
DWARF does not know (or a descriptor whose size disagrees with DWARF's)
falls back to an array of bytes of the descriptor's size, so the values are
still shown, marked untyped.  Descriptors are cached by address.
"""

import gdb

from . import constants, layout
from .inferior import MEM, Corrupt

MAX_TYPE_SIZE = 1 << 20      # a descriptor claiming more is corrupt


class RType:
    def __init__(self, addr, size, kind, name, gtype):
        self.addr = addr
        self.size = size
        self.kind = kind
        self.name = name
        self.type = gtype          # gdb.Type (bytes array if untyped)

    def kind_name(self):
        return constants.names("gort_kind").get(self.kind, "kind %d" % self.kind)

    def is_pointer(self):
        try:
            return self.kind == constants.value("gort_kind", "GORT_KIND_POINTER")
        except Corrupt:
            return False


_cache = {}
_ctypes = {}


def reset(*_args):
    _cache.clear()
    _ctypes.clear()


def c_type(name):
    """gdb.Type for a C spelling, or None."""
    if name in _ctypes:
        return _ctypes[name]
    t = None
    base, stars = name.strip(), 0
    while base.endswith("*"):
        base, stars = base[:-1].strip(), stars + 1
    for spelling in (base,):
        try:
            t = gdb.lookup_type(spelling)
        except gdb.error:
            t = None
    if t is None:
        try:
            # parse_and_eval understands any C spelling ("unsigned int",
            # "const char") the way the compiler does.
            t = gdb.parse_and_eval("(%s *)0" % base).type.target()
        except gdb.error:
            t = None
    if t is not None:
        for _ in range(stars):
            t = t.pointer()
    _ctypes[name] = t
    return t


def type_name(addr):
    """The name of the descriptor at addr, without resolving it in DWARF
    (an interface's or a map type's name is no C type)."""
    namep = MEM.word(addr + layout.off("rtype", "name"))
    return MEM.cstring(namep, 200) if namep else "?"


def rtype(addr):
    """The RType at addr; Corrupt if it cannot be read or makes no sense."""
    if addr == 0:
        raise Corrupt("NULL type descriptor")
    r = _cache.get(addr)
    if r is not None:
        return r
    s = layout.struct("rtype")
    data = MEM.read(addr, s.size)
    size = int.from_bytes(data[s.off("size"):s.off("size") + s.fsize("size")], "little")
    kind = int.from_bytes(data[s.off("kind"):s.off("kind") + s.fsize("kind")], "little")
    namep = int.from_bytes(data[s.off("name"):s.off("name") + MEM.ptrsize], "little")
    if size > MAX_TYPE_SIZE:
        raise Corrupt("type descriptor %#x claims size %d" % (addr, size))
    if kind not in constants.names("gort_kind"):
        raise Corrupt("type descriptor %#x has kind %d" % (addr, kind))
    try:
        name = MEM.cstring(namep, 200) if namep else "?"
    except Corrupt:
        raise Corrupt("type descriptor %#x has an unreadable name" % addr)
    gt = c_type(name)
    if gt is None or (gt.sizeof != size and size != 0):
        gt = gdb.lookup_type("unsigned char").array(max(size, 1) - 1)
        name = "%s (untyped)" % name
    r = RType(addr, size, kind, name, gt)
    _cache[addr] = r
    return r


def value_at(rt, addr):
    """gdb.Value of type rt stored at addr (the bytes are read through
    MEM, so an unreadable slot raises Corrupt instead of printing half)."""
    data = MEM.read(addr, rt.type.sizeof) if rt.type.sizeof else b""
    return gdb.Value(data, rt.type) if data else gdb.Value(0)


# ---- fast decoding of slots --------------------------------------------------
#
# Printing a 100,000-entry map must take well under a second, so the common
# kinds are decoded straight from the bytes already read (struct.unpack_from)
# into Python values; only structs and the rest become gdb.Values.  A
# gort_string becomes its quoted text (a Python str, which gdb prints
# verbatim), read through the block cache.
#
# Integers can go one step further.  A Python int child is turned into a
# gdb.Value and printed by gdb's generic value printer, which costs ~5 us a
# number here (gdb prints a plain 200,000-element int64 array in 1.0 s); a
# Python str child is written out as it is, ~0.4 us.  str(n) is exactly
# what gdb prints for a number when the person asked for no format letter
# and the output radix is 10, so in that case (text=True, decided by the
# printer from gdb.print_options() and `output-radix`) integers are handed
# over as their decimal text; `p/x m` or `set output-radix 16` gets ints and
# gdb's own formatting.  Booleans and floats always go through gdb (its
# "true" and its 17-digit doubles are its own to spell).

import struct as _struct  # noqa: E402

_FORMATS = {
    "GORT_KIND_BOOL": "?", "GORT_KIND_INT8": "b", "GORT_KIND_INT16": "h",
    "GORT_KIND_INT32": "i", "GORT_KIND_INT64": "q", "GORT_KIND_UINT8": "B",
    "GORT_KIND_UINT16": "H", "GORT_KIND_UINT32": "I", "GORT_KIND_UINT64": "Q",
    "GORT_KIND_UINTPTR": "Q", "GORT_KIND_FLOAT32": "f", "GORT_KIND_FLOAT64": "d",
}


_INTEGER = frozenset("bhiqBHIQ")


def numbers_as_text():
    """True when gdb would print an integer as plain decimal: no format
    letter on this print command and output-radix 10."""
    try:
        opts = gdb.print_options() if hasattr(gdb, "print_options") else None
        if opts is None or opts.get("format") is not None:
            return False
        return int(gdb.parameter("output-radix")) == 10
    except Exception:
        return False


def decoder(rt, indirect=False, text=False):
    """fn(data, off) -> the value of rt stored at data[off:], printable by
    gdb.  indirect: the slot holds a pointer to the value.  text: integers
    as their decimal text (see numbers_as_text)."""
    kname = constants.names("gort_kind").get(rt.kind)
    size = rt.type.sizeof

    def direct(data, off):
        return gdb.Value(data[off:off + size], rt.type)

    fmt = _FORMATS.get(kname)
    if fmt is not None and _struct.calcsize(fmt) == size and \
            rt.type.strip_typedefs().code != gdb.TYPE_CODE_ENUM:
        unpack = _struct.Struct("<" + fmt).unpack_from

        if text and fmt in _INTEGER:
            def direct(data, off):  # noqa: F811
                return str(unpack(data, off)[0])
        else:
            def direct(data, off):  # noqa: F811
                return unpack(data, off)[0]
    elif kname == "GORT_KIND_STRING":
        from .strings import text_or_marker

        def direct(data, off):  # noqa: F811
            return text_or_marker(*_struct.unpack_from("<Qq", data, off))

    if not indirect:
        return direct

    def via_pointer(data, off):
        p = int.from_bytes(data[off:off + 8], "little")
        return direct(MEM.read(p, size), 0)
    return via_pointer
