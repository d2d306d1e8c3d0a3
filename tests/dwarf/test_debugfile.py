"""DWARF in a separate file: .gnu_debuglink next to the program, or by
build-id under a debug directory.  gort-dwarf and gdb both find it."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import assert_clean_failure, run
from test_autoload import HELLO, gdb, loaded, PROBE


def objcopy(*args):
    subprocess.run(["objcopy", *args], check=True)


@pytest.fixture
def split(tmp_path):
    """hello split into hello (stripped, with a debuglink) + hello.debug."""
    exe, dbg = tmp_path / "hello", tmp_path / "hello.debug"
    shutil.copy(HELLO, exe)
    objcopy("--only-keep-debug", str(exe), str(dbg))
    objcopy("--strip-debug", "--add-gnu-debuglink=" + str(dbg), str(exe))
    return tmp_path, str(exe), str(dbg)


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", out).group(1)


def test_debuglink(gort_dwarf, split):
    d, exe, dbg = split
    r = run([gort_dwarf, "check", exe])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "DWARF from " + dbg in r.stdout
    r = run([gort_dwarf, "layout", exe, "enum gstatus"])
    assert r.returncode == 0 and "Gwaiting" in r.stdout


def test_debuglink_in_dot_debug(gort_dwarf, split):
    d, exe, dbg = split
    os.mkdir(d / ".debug")
    shutil.move(dbg, d / ".debug" / "hello.debug")
    r = run([gort_dwarf, "check", exe])
    assert r.returncode == 0, r.stdout + r.stderr


def test_debuglink_missing_file(gort_dwarf, split):
    d, exe, dbg = split
    os.unlink(dbg)
    assert_clean_failure(run([gort_dwarf, "check", exe]), "its debug file hello.debug")


def test_debuglink_stale_file_refused(gort_dwarf, split):
    """A debug file whose CRC does not match the link (another build) is
    not used: its layouts could be wrong."""
    d, exe, dbg = split
    with open(dbg, "ab") as f:
        f.write(b"\0")
    assert_clean_failure(run([gort_dwarf, "check", exe]), "was not found")


def test_build_id_debug_dir(gort_dwarf, tmp_path):
    exe = tmp_path / "hello"
    shutil.copy(HELLO, exe)
    bid = build_id(str(exe))
    ddir = tmp_path / "debug" / ".build-id" / bid[:2]
    ddir.mkdir(parents=True)
    objcopy("--only-keep-debug", str(exe), str(ddir / (bid[2:] + ".debug")))
    objcopy("--strip-debug", str(exe))
    assert_clean_failure(run([gort_dwarf, "check", str(exe)]), "no DWARF debug info")
    r = run([gort_dwarf, "--debug-dir", str(tmp_path / "debug"), "check", str(exe)])
    assert r.returncode == 0, r.stdout + r.stderr
    # gdb finds the same file, reads the types and auto-loads the extension
    # from it (the entry names the tree's gort-gdb.py, whose path is safe).
    out = gdb(str(exe), "print sizeof(struct g)", "info auto-load python-scripts", PROBE,
              pre=["set debug-file-directory " + str(tmp_path / "debug")])
    assert re.search(r"\$1 = \d+", out), out
    assert loaded(out), out


def test_gdb_with_debuglink(split):
    d, exe, dbg = split
    out = gdb(exe, "ptype struct gobuf", "info auto-load python-scripts", PROBE)
    assert "uintptr_t sp;" in out
    assert loaded(out), out
    assert "GORT-PKG [" in out


def test_compressed_debug_sections(gort_dwarf, tmp_path):
    """SHF_COMPRESSED DWARF (objcopy --compress-debug-sections, gcc -gz):
    gort-dwarf reads it (dwobj.c hands such files to libdwarf's own ELF
    reader) and gdb still auto-loads the extension."""
    exe = tmp_path / "hello"
    objcopy("--compress-debug-sections=zlib", HELLO, str(exe))
    flags = subprocess.run(["readelf", "-W", "-S", str(exe)], capture_output=True,
                           text=True, check=True).stdout
    assert re.search(r"\.debug_info\s.*\sC\s", flags)
    r = run([gort_dwarf, "check", str(exe)])
    assert r.returncode == 0, r.stdout + r.stderr
    r = run([gort_dwarf, "layout", str(exe), "gobuf"])
    assert r.returncode == 0 and "sp;" in r.stdout
    out = gdb(str(exe), "info auto-load python-scripts", PROBE)
    assert loaded(out), out
