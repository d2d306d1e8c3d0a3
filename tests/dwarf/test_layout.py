"""gort-dwarf layout: real fields at real offsets.

Two independent witnesses: the compiler itself (a C program printing
offsetof/sizeof of every contract field, built from the runtime headers
with the same flags as libgort) and gdb (`ptype/o`).
"""
import os
import re
import subprocess

import pytest

from conftest import BUILD, PROGS, ROOT, run

CONTRACT = os.path.join(ROOT, "dwarf", "contract.def")
BINARY = os.path.join(PROGS, "nomain")


def contract_entries():
    """contract.def parsed the way the gdb extension may parse it: one
    GORT_KIND(a[, b]) per line, C comments ignored."""
    text = re.sub(r"/\*.*?\*/", "", open(CONTRACT).read(), flags=re.S)
    out = []
    for m in re.finditer(r"^\s*GORT_(\w+)\(\s*(\w+)\s*(?:,\s*(\w+)\s*)?\)", text, re.M):
        out.append((m.group(1), m.group(2), m.group(3)))
    return out


def parse_layout(text):
    """{field: (offset, size)} from gort-dwarf layout output."""
    fields = {}
    for line in text.splitlines():
        m = re.match(r"\t(.*?);\s*/\*\s+(\d+)\s+(\d+) \*/$", line)
        if m:
            decl = m.group(1)
            name = re.search(r"(\w+)\)?(?:\[\d*\])*\)?(?:\(.*\))?\s*$",
                             re.sub(r"\(\*(\w+)((?:\[\d*\])*)\)", r"\1", decl))
            fields[name.group(1)] = (int(m.group(2)), int(m.group(3)))
    return fields


@pytest.fixture(scope="module")
def compiler_layout(tmp_path_factory):
    """{(struct, field): (offset, size)} and {(struct,): size} and
    {(enum, name): value} from the C compiler."""
    entries = contract_entries()
    headers = ["runtime.h"] + [h for h in ("chan.h", "map.h")
                               if os.path.exists(os.path.join(ROOT, "runtime", h))]
    lines = ['#include <stdio.h>', '#include <stddef.h>']
    lines += ['#include "%s"' % h for h in headers]
    lines.append("int main(void) {")
    for kind, a, b in entries:
        if kind == "STRUCT":
            lines.append('printf("S %s %%zu\\n", sizeof(struct %s));' % (a, a))
        elif kind == "FIELD":
            lines.append('printf("F %s %s %%zu %%zu\\n", offsetof(struct %s, %s), '
                         'sizeof(((struct %s *)0)->%s));' % (a, b, a, b, a, b))
        elif kind == "ENUMERATOR" and a == "gort_debug_const":
            # Restated #defines (debuginfo.c): compare with the macro.
            macro = {"gortClosureMagic": "GORT_CLOSURE_MAGIC"}[b]
            lines.append('printf("E %s %s %%lld\\n", (long long)%s);' % (a, b, macro))
        elif kind == "ENUMERATOR":
            lines.append('printf("E %s %s %%lld\\n", (long long)%s);' % (a, b, b))
    lines.append("return 0; }")
    d = tmp_path_factory.mktemp("layout")
    src, exe = d / "offsets.c", d / "offsets"
    src.write_text("\n".join(lines) + "\n")
    # Flexible array members: sizeof of one is an error; those fields are
    # skipped (their size is 0 in DWARF, checked below separately).
    cc = subprocess.run(["gcc", "-std=gnu11", "-D_GNU_SOURCE", "-pthread", "-w",
                         "-DGORT_NO_DEBUGINFO_REF", "-I", os.path.join(ROOT, "runtime"),
                         str(src), "-o", str(exe)], capture_output=True, text=True)
    if cc.returncode != 0:
        # Retry without the fields sizeof rejects (flexible arrays).
        bad = set(re.findall(r"offsets\.c:(\d+):", cc.stderr))
        kept = [l for i, l in enumerate(lines, 1) if str(i) not in bad]
        src.write_text("\n".join(kept) + "\n")
        cc = subprocess.run(["gcc", "-std=gnu11", "-D_GNU_SOURCE", "-pthread", "-w",
                             "-DGORT_NO_DEBUGINFO_REF", "-I", os.path.join(ROOT, "runtime"),
                             str(src), "-o", str(exe)], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    res = {}
    for line in out.splitlines():
        p = line.split()
        if p[0] == "S":
            res[(p[1],)] = int(p[2])
        elif p[0] == "F":
            res[(p[1], p[2])] = (int(p[3]), int(p[4]))
        else:
            res[("enum", p[1], p[2])] = int(p[3])
    return res


def structs():
    return sorted({a for k, a, _ in contract_entries() if k == "STRUCT"})


@pytest.mark.parametrize("tag", structs())
def test_layout_matches_compiler(gort_dwarf, compiler_layout, tag):
    r = run([gort_dwarf, "layout", BINARY, "struct " + tag])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("struct %s {\n" % tag)
    size = int(re.search(r"/\* size: (\d+), members: \d+ \*/", r.stdout).group(1))
    assert size == compiler_layout[(tag,)]
    fields = parse_layout(r.stdout)
    checked = 0
    for key, val in compiler_layout.items():
        if len(key) == 2 and key[0] == tag:
            assert fields.get(key[1]) == val, (key, fields.get(key[1]), val)
            checked += 1
    assert checked > 0 or not any(k == "FIELD" and a == tag for k, a, _ in contract_entries())


def test_enum_values_match_compiler(compiler_layout):
    enums = {}
    for key, val in compiler_layout.items():
        if key[0] == "enum":
            enums.setdefault(key[1], {})[key[2]] = val
    assert "gstatus" in enums and "waitreason" in enums and "gort_debug_const" in enums
    for tag, values in enums.items():
        r = run([os.path.join(BUILD, "bin", "gort-dwarf"), "layout", BINARY, "enum " + tag])
        assert r.returncode == 0, r.stderr
        got = dict(re.findall(r"^\t(\w+) = (-?\d+),$", r.stdout, re.M))
        for name, v in values.items():
            assert int(got[name]) == v, (tag, name)


def gdb_ptype_o(tag):
    """Top-level members of `ptype/o struct TAG`: {name: (offset, size)}.
    A nested struct opens with "struct gobuf {" (offset, size) and is named
    on its closing line "} sched;"."""
    out = subprocess.run(["gdb", "-nx", "-batch", "-ex", "ptype/o struct " + tag, BINARY],
                         capture_output=True, text=True, timeout=60).stdout
    fields, depth, pending = {}, 0, None
    for line in out.splitlines():
        m = re.match(r"/\*\s+(\d+)(?:\s*:\s*\d+)?\s*\|\s*(\d+)\s*\*/\s+(.*)$", line)
        body = m.group(3) if m else line.strip()
        if m and depth == 1:
            if body.endswith("{"):
                pending = (int(m.group(1)), int(m.group(2)))
            else:
                name = re.search(r"(\w+)(?:\[\d*\])*(?:\)\(.*\))?;$", body)
                if name:
                    fields[name.group(1)] = (int(m.group(1)), int(m.group(2)))
        depth += body.count("{") - body.count("}")
        closing = re.match(r"\}\s*(\w+);$", body)
        if closing and depth == 1 and pending:
            fields[closing.group(1)] = pending
            pending = None
    return fields


@pytest.mark.parametrize("tag", ["g", "m", "sudog", "hchan", "hmap", "itab", "rtype"])
def test_layout_matches_gdb(tag):
    r = run([os.path.join(BUILD, "bin", "gort-dwarf"), "layout", BINARY, tag])
    assert r.returncode == 0, r.stderr
    ours = parse_layout(r.stdout)
    theirs = gdb_ptype_o(tag)
    assert len(theirs) >= 3, theirs
    for name, (off, size) in theirs.items():
        assert ours[name][0] == off, name
        if size:                       # gdb gives flexible arrays size 0 too
            assert ours[name][1] == size, name


def test_layout_enum_and_typedef(gort_dwarf):
    r = run([gort_dwarf, "layout", BINARY, "enum gstatus"])
    assert r.returncode == 0
    assert "\tGidle = 0,\n" in r.stdout and "\tGdead = " in r.stdout
    # A bare name means the struct first; "typedef NAME" asks for the typedef.
    r = run([gort_dwarf, "layout", BINARY, "gort_string"])
    assert r.returncode == 0
    assert r.stdout.startswith("struct gort_string {\n")
    r = run([gort_dwarf, "layout", BINARY, "typedef gort_string"])
    assert r.returncode == 0
    assert r.stdout.startswith("typedef struct gort_string gort_string;\nstruct gort_string {")


def test_layout_unknown_type(gort_dwarf):
    r = run([gort_dwarf, "layout", BINARY, "struct no_such_type"])
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "no struct no_such_type" in r.stderr
