"""layout.py: struct sizes and field offsets of the runtime, from DWARF.

What it reads: the program's DWARF, through gdb.lookup_type, once per
struct; and dwarf/contract.def, the list of every struct, field, enum and
variable the debugger tools may rely on.

Why this way: the runtime may move or add fields at will (DESIGN.md, "the
debugger contract"); only renaming a listed name breaks the tools.  So no
offset is ever written in Python: `off("g", "goid")` asks DWARF.  And the
contract is enforced here, not merely documented: asking for a field that
contract.def does not list raises ContractError, so a test run catches the
extension relying on something gort-dwarf does not check.  Lookups are
cached and the cache is reset when objfiles change (a new program, a
re-run after a rebuild).

contract.def is found next to this package when installed
(share/gort/gort/contract.def) or in the source tree (dwarf/contract.def).
"""

import os
import re

import gdb

from .inferior import Corrupt


class ContractError(Exception):
    """The extension asked for a name that dwarf/contract.def does not list."""


class Missing(Corrupt):
    """The program's DWARF lacks a runtime type or field."""


def _contract_paths():
    here = os.path.dirname(os.path.abspath(__file__))
    return [os.path.join(here, "contract.def"),
            os.path.join(here, "..", "..", "dwarf", "contract.def")]


def _parse_contract():
    for path in _contract_paths():
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        entries = set()
        for kind, args in re.findall(r"GORT_(\w+)\(([^)]*)\)", text):
            entries.add((kind,) + tuple(a.strip() for a in args.split(",")))
        return path, entries
    return None, None


CONTRACT_PATH, CONTRACT = _parse_contract()


def _require(*entry):
    if CONTRACT is not None and entry not in CONTRACT:
        raise ContractError("%s is not in dwarf/contract.def" % (entry,))


class Struct:
    """One runtime struct: its size and {field: (offset, size, gdb.Type)}."""

    def __init__(self, tag, gtype):
        self.tag = tag
        self.type = gtype
        self.size = gtype.sizeof
        self.fields = {}
        for f in gtype.fields():
            if f.name is not None and f.bitpos is not None:
                self.fields[f.name] = (f.bitpos // 8, f.type.sizeof, f.type)

    def off(self, name):
        _require("FIELD", self.tag, name)
        try:
            return self.fields[name][0]
        except KeyError:
            raise Missing("struct %s has no field %s in this program's DWARF"
                          % (self.tag, name))

    def fsize(self, name):
        _require("FIELD", self.tag, name)
        try:
            return self.fields[name][1]
        except KeyError:
            raise Missing("struct %s has no field %s" % (self.tag, name))

    def ftype(self, name):
        _require("FIELD", self.tag, name)
        return self.fields[name][2]


_structs = {}
_types = {}


def reset(*_args):
    _structs.clear()
    _types.clear()


def struct(tag):
    """Struct `tag` of the contract (a struct tag or a typedef name)."""
    s = _structs.get(tag)
    if s is None:
        _require("STRUCT", tag)
        gt = lookup(tag)
        if gt is None:
            raise Missing("no struct %s in this program's DWARF" % tag)
        s = Struct(tag, gt.strip_typedefs())
        _structs[tag] = s
    return s


def lookup(tag):
    """gdb.Type of struct tag (or typedef tag), or None."""
    if tag in _types:
        return _types[tag]
    t = None
    for spelling in ("struct " + tag, tag):
        try:
            t = gdb.lookup_type(spelling)
            break
        except gdb.error:
            continue
    _types[tag] = t
    return t


def off(tag, name):
    return struct(tag).off(name)


def size(tag):
    return struct(tag).size


def has_runtime():
    """True when the program carries gort: struct g and gort_allgs."""
    try:
        if lookup("g") is None:
            return False
        return gdb.lookup_global_symbol("gort_allgs") is not None or \
            gdb.lookup_symbol("gort_allgs")[0] is not None
    except gdb.error:
        return False


def var_addr(name):
    """Address of the global variable name (a contract GORT_VAR)."""
    _require("VAR", name)
    sym = gdb.lookup_global_symbol(name) or gdb.lookup_static_symbol(name)
    if sym is None:
        raise Missing("no variable %s in this program" % name)
    return int(sym.value().address)
