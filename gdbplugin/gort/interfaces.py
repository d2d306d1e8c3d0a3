"""interfaces.py: struct eface and struct iface, shown as their dynamic
type and value.

What it reads: the interface's two words; for an iface the itab (its
interface type and concrete type); the concrete type's descriptor (types.py)
and the data word.

Why this way: the data word holds the value itself when the dynamic type
is a pointer kind, else it points to a boxed copy (gort.h, struct eface).
The descriptor's C name turns that copy back into a typed gdb.Value, which
gdb then prints with every printer of the package (a boxed gort_string
prints as text).  Shown as

    (struct point) {x = 1, y = 2}          eface
    (Shape: struct circle *) 0x4052a0      iface: interface name, then type
    nil                                    a nil interface

A type word that is not a readable descriptor, or a box that cannot be
read, is `<corrupt: ...>`.
"""

import gdb

from . import layout, types
from .inferior import MEM, Corrupt
from .printing import Printer, addr_of


def dynamic(type_addr, data):
    """(RType, gdb.Value) of an interface whose type word is type_addr."""
    rt = types.rtype(type_addr)
    if rt.is_pointer():
        ptype = rt.type if rt.type.code == gdb.TYPE_CODE_PTR \
            else gdb.lookup_type("void").pointer()
        return rt, gdb.Value(data).cast(ptype)
    if data == 0:
        raise Corrupt("%s boxed at NULL" % rt.name)
    return rt, types.value_at(rt, data)


def itab_types(tab):
    """(interface name, concrete type address) of an itab."""
    s = layout.struct("itab")
    data = MEM.read(tab, s.size)
    inter = int.from_bytes(data[s.off("inter"):s.off("inter") + 8], "little")
    typ = int.from_bytes(data[s.off("type"):s.off("type") + 8], "little")
    iname = "?"
    if inter:
        # interfacetype.typ is an rtype; its name is the interface's name
        try:
            iname = types.type_name(inter + layout.off("interfacetype", "typ"))
        except Corrupt:
            iname = "<corrupt interface type>"
    return iname, typ


def dtype_of(val):
    """RType of the dynamic type of an eface/iface gdb.Value, or None if nil."""
    tag = val.type.strip_typedefs().tag
    if tag == "iface":
        tab = addr_of(val["tab"])
        if not tab:
            return None
        return types.rtype(itab_types(tab)[1])
    t = addr_of(val["type"])
    return types.rtype(t) if t else None


class EfacePrinter(Printer):
    def _to_string(self):
        t = addr_of(self.val["type"])
        data = addr_of(self.val["data"])
        if t == 0:
            return "nil" if data == 0 else "<corrupt: nil type with data %#x>" % data
        rt, v = dynamic(t, data)
        return "(%s) %s" % (rt.name, v.format_string())


class IfacePrinter(Printer):
    def _to_string(self):
        tab = addr_of(self.val["tab"])
        data = addr_of(self.val["data"])
        if tab == 0:
            return "nil" if data == 0 else "<corrupt: nil itab with data %#x>" % data
        iname, t = itab_types(tab)
        rt, v = dynamic(t, data)
        return "(%s: %s) %s" % (iname, rt.name, v.format_string())


def lookup(val, tag):
    if tag == "eface":
        return EfacePrinter(val)
    if tag == "iface":
        return IfacePrinter(val)
    return None
