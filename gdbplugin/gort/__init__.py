"""gort: the gdb extension of the gort runtime, registered in one place.

Modules, one per subject (each opens with its own essay):
  inferior   memory reads in blocks, Corrupt          layout     DWARF offsets, contract.def
  constants  enums and wait-reason words               types      rtype -> gdb.Type
  settings   limits a person can raise                 printing   the printer base class
  strings    gort_string                               interfaces eface, iface
  closures   funcval                                   maps       hmap
  channels   hchan                                     goroutines allgs, info goroutines
  unwind     parked goroutine stacks                   functions  $len $cap $dtype
  commands   every command                             waitgraph  who waits on whom
  defers     a goroutine's pending defers

register() is idempotent (gort-gdb.py may be sourced twice: auto-load and
by hand).  Pretty-printers match the runtime's struct types only (struct
hmap *, struct hchan *, struct eface, struct iface, struct funcval * and
closure structs, gort_string, struct g *), so in a program without gort
nothing ever matches; commands say the program has no gort runtime.
Caches are reset when objfiles change.
"""

import gdb
import gdb.printing

from . import (closures, commands, constants, functions, goroutines, inferior,
               interfaces, layout, strings, types, unwind)
from .printing import pointee_tag, struct_tag

_registered = False

# What makes a struct the runtime's own and not a user's type that happens
# to share its tag (a program may well have its own `struct g` or `struct
# hmap`): it is defined in an objfile that carries the runtime (the anchor
# gort_debuginfo, or gort_allgs), and it has the contract fields below.
# Both answers are cached, per objfile and per (objfile, tag, size), and
# the caches are dropped when objfiles change.
_SIGNATURE = {
    "g": ("goid", "atomicstatus", "sched", "waitreason"),
    "hmap": ("count", "B", "buckets", "oldbuckets", "type"),
    "hchan": ("qcount", "dataqsiz", "recvq", "sendq", "elemtype"),
    "funcval": ("fn",),
    "eface": ("type", "data"),
    "iface": ("tab", "data"),
    "gort_string": ("str", "len"),
}
_ANCHORS = ("gort_debuginfo", "gort_allgs")
_objfile_ok = {}
_type_ok = {}


def _objfile_has_runtime(objfile):
    key = objfile.filename
    ok = _objfile_ok.get(key)
    if ok is None:
        ok = False
        for name in _ANCHORS:
            try:
                if objfile.lookup_global_symbol(name) is not None or \
                        objfile.lookup_static_symbol(name) is not None:
                    ok = True
                    break
            except (gdb.error, AttributeError, RuntimeError):
                continue
        _objfile_ok[key] = ok
    return ok


def runtime_struct(t, tag):
    """True when struct type t (tag `tag`) is the runtime's own type."""
    want = _SIGNATURE.get(tag)
    if want is None:
        return False
    t = t.strip_typedefs().unqualified()
    objfile = getattr(t, "objfile", None)
    if objfile is None or not objfile.is_valid():
        return False
    key = (objfile.filename, tag, t.sizeof)
    ok = _type_ok.get(key)
    if ok is None:
        names = {f.name for f in t.fields()}
        ok = _objfile_has_runtime(objfile) and all(n in names for n in want)
        _type_ok[key] = ok
    return ok


def _closure_struct(t):
    """A closure struct: its first member is the runtime's struct funcval."""
    fields = t.strip_typedefs().fields()
    return bool(fields) and struct_tag(fields[0].type) == "funcval" and \
        runtime_struct(fields[0].type, "funcval")


def _lookup(val):
    try:
        t = val.type.strip_typedefs()
        if t.code == gdb.TYPE_CODE_PTR:
            tag = pointee_tag(t)
            if tag is None:
                return None
            target = t.target()
            if tag in ("hmap", "hchan", "g"):
                if not runtime_struct(target, tag):
                    return None
                from . import channels, maps
                return {"hmap": maps.lookup, "hchan": channels.lookup,
                        "g": goroutines.lookup}[tag](val)
            if tag == "funcval":
                return closures.lookup(val) if runtime_struct(target, tag) else None
            if target.strip_typedefs().code == gdb.TYPE_CODE_STRUCT and \
                    _closure_struct(target):
                return closures.lookup(val)
            return None
        tag = struct_tag(t)
        if tag is None or not runtime_struct(t, tag):
            return None
        if tag in ("hmap", "hchan") and val.address is not None:
            # `p *m` shows the map / channel too; `p/r *m` the raw struct
            return _lookup(val.address)
        return strings.lookup(val, tag) or interfaces.lookup(val, tag)
    except Exception:
        return None


def reset(*_args):
    _objfile_ok.clear()
    _type_ok.clear()
    inferior.flush()
    layout.reset()
    constants.reset()
    types.reset()
    closures.reset()
    goroutines.reset()


def register():
    global _registered
    if _registered:
        return
    _registered = True
    gdb.pretty_printers.append(_lookup)
    commands.register()
    functions.register()
    unwind.register()
    for ev in (gdb.events.new_objfile, gdb.events.clear_objfiles):
        ev.connect(reset)
    for ev in (gdb.events.stop, gdb.events.cont, gdb.events.memory_changed):
        ev.connect(inferior.flush)
    try:
        gdb.events.before_prompt.connect(inferior.flush)
    except AttributeError:
        pass
