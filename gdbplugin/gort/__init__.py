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


def _lookup(val):
    try:
        t = val.type.strip_typedefs()
        if t.code == gdb.TYPE_CODE_PTR:
            tag = pointee_tag(t)
            if tag is None:
                return None
            if tag in ("hmap", "hchan", "g"):
                from . import channels, maps
                return {"hmap": maps.lookup, "hchan": channels.lookup,
                        "g": goroutines.lookup}[tag](val)
            return closures.lookup(val, tag)
        tag = struct_tag(t)
        if tag is None:
            return None
        if tag in ("hmap", "hchan") and val.address is not None:
            # `p *m` shows the map / channel too; `p/r *m` the raw struct
            return _lookup(val.address)
        return strings.lookup(val, tag) or interfaces.lookup(val, tag)
    except Exception:
        return None


def reset(*_args):
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
