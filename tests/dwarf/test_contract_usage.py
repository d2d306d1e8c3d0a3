"""One list of what the tools read: every struct, field, enumerator and
global that gort-core (dwarf/core/*.c) and the gdb extension
(gdbplugin/gort/*.py) name is in dwarf/contract.def or dwarf/core/extra.def.

A static test: it reads the tools' sources, not a binary.  It collects the
names passed as string literals to
  - gort-core's lay_size/lay_off/lay_fsize/lay_fisptr/lay_enum/
    lay_enum_name/lay_var/lay_struct_die, and the gstatus table of gwalk.c
    (whose names reach lay_enum through a loop);
  - the extension's layout.struct/size/off/var_addr, constants.value/names,
    and .off/.fsize on a variable bound to layout.struct("tag") in the
    same file;
and gort-dwarf's own rules (dwarf/check.c: rule_*(), the enumerators and
globals it names), and asserts each is listed.  gort-dwarf check verifies the two files
against a binary, so a tool reading something unlisted is the one gap
this closes.  Calls whose names are not literals (a field name in a
variable) are not seen; they are few and say so where they are.
"""
import glob
import os
import re

import pytest

from conftest import ROOT

DEFS = [os.path.join(ROOT, "dwarf", "contract.def"),
        os.path.join(ROOT, "dwarf", "core", "extra.def")]


def listed():
    out = set()
    for p in DEFS:
        text = re.sub(r"/\*.*?\*/", "", open(p).read(), flags=re.S)
        for m in re.finditer(r"^\s*GORT_(\w+)\(\s*(\w+)\s*(?:,\s*(\w+)\s*)?\)", text, re.M):
            out.add((m.group(1), m.group(2), m.group(3)))
    return out


def strip_c_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)


STR = r'"(\w+)"'
C_CALLS = [
    # (regex on the call, kind, arguments that are names)
    (rf"lay_size\([^,]+,\s*{STR}\s*\)", "STRUCT"),
    (rf"lay_struct_die\([^,]+,\s*{STR}\s*,", "STRUCT"),
    (rf"lay_(?:off|fsize|fisptr)\([^,]+,\s*{STR}\s*,\s*{STR}\s*\)", "FIELD"),
    (rf"lay_enum\([^,]+,\s*{STR}\s*,\s*{STR}\s*,", "ENUMERATOR"),
    (rf"lay_enum_name\([^,]+,\s*{STR}\s*,", "ENUM"),
    (rf"lay_var\([^,]+,\s*{STR}\s*\)", "VAR"),
]


def core_uses():
    uses = []
    for path in sorted(glob.glob(os.path.join(ROOT, "dwarf", "core", "*.c"))):
        text = strip_c_comments(open(path).read())
        for rx, kind in C_CALLS:
            for m in re.finditer(rx, text):
                args = m.groups()
                uses.append((os.path.basename(path), (kind,) + (args + (None,))[:2]))
        if os.path.basename(path) == "gwalk.c":
            # the gstatus names gwalk looks up in a loop: { "Gidle", "idle" }
            for m in re.finditer(r'\{\s*"(G\w+)"\s*,\s*"\w+"\s*\}', text):
                uses.append(("gwalk.c", ("ENUMERATOR", "gstatus", m.group(1))))
    return uses


def check_uses():
    """gort-dwarf's own rules (dwarf/check.c) beyond the entry loop: a rule
    whose name is unlisted is skipped silently, so it must be listed."""
    text = strip_c_comments(open(os.path.join(ROOT, "dwarf", "check.c")).read())
    uses = []
    for m in re.finditer(rf"rule_words\(c,\s*{STR}", text):
        uses.append(("check.c", ("STRUCT", m.group(1), None)))
    for m in re.finditer(rf"rule_(?:at|word|type|last)\(c,\s*{STR},\s*{STR}", text):
        uses.append(("check.c", ("FIELD", m.group(1), m.group(2))))
    for m in re.finditer(rf"dwt_lookup\(c->d,\s*DWT_VAR,\s*{STR}\)", text):
        uses.append(("check.c", ("VAR", m.group(1), None)))
    # enumerator(en, "name") after en = get(c, DWT_ENUM, "tag") in the same function
    for fn in re.split(r"\n(?=static |int )", text):
        tags = re.findall(rf"get\(c,\s*DWT_ENUM,\s*{STR}\)", fn)
        for m in re.finditer(rf"enumerator\(\w+,\s*{STR}\)", fn):
            assert len(tags) == 1, fn[:200]
            uses.append(("check.c", ("ENUMERATOR", tags[0], m.group(1))))
    return uses


def plugin_uses():
    uses = []
    for path in sorted(glob.glob(os.path.join(ROOT, "gdbplugin", "gort", "*.py"))):
        name = os.path.basename(path)
        bound = {}                      # variable -> struct tag, in file order
        for line in open(path):
            line = line.split("#", 1)[0]
            for m in re.finditer(rf"(\w+)\s*=\s*layout\.struct\({STR}\)", line):
                bound[m.group(1)] = m.group(2)
            for m in re.finditer(rf"layout\.(?:struct|size)\({STR}\)", line):
                uses.append((name, ("STRUCT", m.group(1), None)))
            for m in re.finditer(rf"layout\.off\({STR},\s*{STR}\)", line):
                uses.append((name, ("FIELD", m.group(1), m.group(2))))
            for m in re.finditer(rf"layout\.var_addr\({STR}\)", line):
                uses.append((name, ("VAR", m.group(1), None)))
            for m in re.finditer(rf"constants\.value\({STR},\s*{STR}\)", line):
                uses.append((name, ("ENUMERATOR", m.group(1), m.group(2))))
            for m in re.finditer(rf"constants\.names\({STR}\)", line):
                uses.append((name, ("ENUM", m.group(1), None)))
            for m in re.finditer(rf"\b(\w+)\.(?:off|fsize)\({STR}\)", line):
                if m.group(1) in bound:
                    uses.append((name, ("FIELD", bound[m.group(1)], m.group(2))))
    return uses


def test_defs_parse():
    entries = listed()
    # both files were read, and the contract is not trivially small
    assert ("STRUCT", "g", None) in entries and ("FIELD", "gobuf", "rbx") in entries
    assert len(entries) > 150


@pytest.mark.parametrize("tool,uses,least", [("gort-core", core_uses, 40),
                                             ("gdb extension", plugin_uses, 40),
                                             ("gort-dwarf's rules", check_uses, 20)])
def test_every_name_used_is_listed(tool, uses, least):
    entries = listed()
    found = uses()
    # the collectors see the calls they are meant to (a broken regex would
    # make this test pass vacuously)
    assert len(found) > least, found
    kinds = {u[1][0] for u in found}
    assert kinds >= {"STRUCT", "FIELD", "ENUMERATOR", "VAR"}, kinds
    unlisted = sorted({(f, u) for f, u in found if u not in entries})
    assert not unlisted, "%s reads names neither contract.def nor extra.def lists: %s" % (
        tool, unlisted)


def test_collector_sees_an_unlisted_name(tmp_path, monkeypatch):
    """The check can fail: a made-up lay_off call is caught."""
    fake = tmp_path / "dwarf" / "core"
    fake.mkdir(parents=True)
    (fake / "x.c").write_text('int64_t o = lay_off(&t->lay, "g", "nosuchfield");\n')
    import test_contract_usage as me
    monkeypatch.setattr(me, "ROOT", str(tmp_path))
    got = [u for _, u in me.core_uses()]
    assert got == [("FIELD", "g", "nosuchfield")]
    assert got[0] not in listed()
