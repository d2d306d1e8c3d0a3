"""gort-core with the binary's DWARF in a separate file, found the way gdb
and gort-dwarf find it: by build-id under a debug directory (--debug-dir
DIR, or /usr/lib/debug), or by .gnu_debuglink next to the binary, in its
.debug/ subdirectory, or under DIR/<binary's directory>/.

The core is the real runtime's (samples/bank's deadlock); the stripped
binary must give exactly the listing and backtraces the unstripped one
gives.  test_robust.py covers the plain --strip-debug + debuglink case of
the fixture.
"""
import os
import re
import shutil
import subprocess

import pytest

from conftest import prog, run_core
from test_core import check_lost_heap

CORE_KINDS = ["kernel", "gdb"]


def objcopy(*args):
    subprocess.run(["objcopy", *map(str, args)], check=True)


def build_id(path):
    out = subprocess.run(["readelf", "-n", str(path)], capture_output=True, text=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", out).group(1)


@pytest.fixture(params=CORE_KINDS)
def bank(cores, request):
    b, c = cores(f"{request.param}:bank")
    check_lost_heap(b, c)
    want = {cmd: run_core(b, c, *cmd) for cmd in (("goroutines",), ("bt", "all"))}
    for cmd, r in want.items():
        assert r.rc == 0 and r.out, (cmd, r.err)
    return b, c, want


def same_as_unstripped(exe, core, want, *opts):
    for cmd, r in want.items():
        got = run_core(*opts, exe, core, *cmd)
        assert got.rc == 0, (cmd, got.err)
        assert got.out == r.out, cmd
    j = run_core("--json", *opts, exe, core, "bt", "all")
    assert j.rc == 0 and j.json()["backtraces"], j.err


def test_build_id_under_debug_dir(bank, tmp_path):
    b, c, want = bank
    exe = tmp_path / "bin" / "bank"
    exe.parent.mkdir()
    shutil.copy(b, exe)
    bid = build_id(exe)
    ddir = tmp_path / "debug" / ".build-id" / bid[:2]
    ddir.mkdir(parents=True)
    objcopy("--only-keep-debug", exe, ddir / (bid[2:] + ".debug"))
    subprocess.run(["strip", str(exe)], check=True)
    gone = run_core(exe, c, "goroutines")
    assert gone.rc == 1 and "no DWARF" in gone.err and len(gone.err.splitlines()) == 1
    same_as_unstripped(exe, c, want, "--debug-dir", tmp_path / "debug")
    # a debug directory that is not the right one changes nothing
    (tmp_path / "empty").mkdir()
    r = run_core("--debug-dir", tmp_path / "empty", exe, c, "goroutines")
    assert r.rc == 1 and "no DWARF" in r.err


@pytest.fixture
def stripped(bank, tmp_path):
    """bank fully stripped (strip: no .symtab either) + a .gnu_debuglink to
    bank.debug, which is left next to it."""
    b, c, want = bank
    d = tmp_path / "bin"
    d.mkdir()
    exe, dbg = d / "bank", d / "bank.debug"
    shutil.copy(b, exe)
    objcopy("--only-keep-debug", exe, dbg)
    subprocess.run(["strip", str(exe)], check=True)
    objcopy("--add-gnu-debuglink=" + str(dbg), exe)
    sections = subprocess.run(["readelf", "-SW", str(exe)], capture_output=True,
                              text=True).stdout
    assert ".symtab" not in sections and ".debug_info" not in sections
    assert ".gnu_debuglink" in sections
    return exe, dbg, c, want


def test_debuglink_next_to_binary(stripped):
    exe, dbg, c, want = stripped
    same_as_unstripped(exe, c, want)


def test_debuglink_in_dot_debug(stripped):
    exe, dbg, c, want = stripped
    (exe.parent / ".debug").mkdir()
    shutil.move(dbg, exe.parent / ".debug" / dbg.name)
    same_as_unstripped(exe, c, want)


def test_debuglink_under_debug_dir(stripped, tmp_path):
    """DIR/<the binary's directory>/NAME, as gdb's debug-file-directory."""
    exe, dbg, c, want = stripped
    under = tmp_path / "debug" / str(exe.parent).lstrip("/")
    under.mkdir(parents=True)
    shutil.move(dbg, under / dbg.name)
    r = run_core(exe, c, "goroutines")
    assert r.rc == 1 and "no DWARF" in r.err
    same_as_unstripped(exe, c, want, "--debug-dir", tmp_path / "debug")


def test_debuglink_other_build_refused(stripped):
    """A debug file of another build under the link's name is not used: its
    layouts could be wrong.  (libdwfl matches the build-id when the binary
    has one, else the link's CRC.)"""
    exe, dbg, c, want = stripped
    objcopy("--only-keep-debug", prog("orders"), dbg)
    r = run_core(exe, c, "goroutines")
    assert r.rc == 1 and "no DWARF" in r.err and len(r.err.splitlines()) == 1


def test_bad_debug_dir(stripped, tmp_path):
    exe, dbg, c, want = stripped
    for bad in [tmp_path / "nonexistent", dbg, tmp_path / "a:b"]:
        if str(bad).endswith("a:b"):
            bad.mkdir()
        r = run_core("--debug-dir", bad, exe, c, "goroutines")
        assert r.rc == 2 and r.out == "", (bad, r.rc, r.out)
        assert r.err.startswith(f"gort-core: --debug-dir {bad}: ") and len(r.err.splitlines()) == 1
    r = run_core(exe, c, "goroutines", "--debug-dir")
    assert r.rc == 2
