"""functions.py: $len(x), $cap(x), $dtype(x), as Go's runtime-gdb.py has.

  $len(m)   entries of a map (hmap.count), elements buffered in a channel
            (qcount), bytes of a gort_string (len)
  $cap(c)   slots of a channel's buffer (dataqsiz)
  $dtype(i) the dynamic type of an eface/iface as a gdb type: the value is
            the interface's value converted to it, so `p $dtype(i)` prints
            the concrete value and `ptype $dtype(i)` its type

They read through the same code as the printers; a corrupt or NULL
argument is a gdb error with a clear message, never a traceback.
"""

import gdb

from . import interfaces, layout
from .inferior import MEM, Corrupt
from .printing import addr_of, pointee_tag, struct_tag


def _guard(fn):
    def invoke(self, *args):
        try:
            return fn(self, *args)
        except gdb.GdbError:
            raise
        except (Corrupt, gdb.error) as e:
            raise gdb.GdbError("%s: <corrupt: %s>" % (self._name, e))
        except Exception as e:
            raise gdb.GdbError("%s: gort internal error: %s" % (self._name, e))
    return invoke


def _ptr_field(val, tag, field):
    p = addr_of(val)
    if p == 0:
        return 0
    s = layout.struct(tag)
    return int.from_bytes(MEM.read(p + s.off(field), s.fsize(field)), "little")


class Len(gdb.Function):
    _name = "$len"

    def __init__(self):
        super().__init__("len")

    @_guard
    def invoke(self, val):
        ptag = pointee_tag(val.type)
        if ptag == "hmap":
            return _ptr_field(val, "hmap", "count")
        if ptag == "hchan":
            return _ptr_field(val, "hchan", "qcount")
        if struct_tag(val.type) == "gort_string":
            return int(val["len"])
        raise gdb.GdbError("$len: %s is not a map, channel or gort_string" % val.type)


class Cap(gdb.Function):
    _name = "$cap"

    def __init__(self):
        super().__init__("cap")

    @_guard
    def invoke(self, val):
        if pointee_tag(val.type) == "hchan":
            return _ptr_field(val, "hchan", "dataqsiz")
        raise gdb.GdbError("$cap: %s is not a channel" % val.type)


class Dtype(gdb.Function):
    _name = "$dtype"

    def __init__(self):
        super().__init__("dtype")

    @_guard
    def invoke(self, val):
        if struct_tag(val.type) not in ("eface", "iface"):
            raise gdb.GdbError("$dtype: %s is not an interface" % val.type)
        rt = interfaces.dtype_of(val)
        if rt is None:
            raise gdb.GdbError("$dtype: nil interface")
        return interfaces.dynamic(rt.addr, addr_of(val["data"]))[1]


def register():
    Len()
    Cap()
    Dtype()
