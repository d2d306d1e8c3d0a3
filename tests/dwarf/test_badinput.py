"""Bad input: one line on stderr, exit 1, never a crash (both builds; the
ASan one also fails the test on any memory error or leak)."""
import os
import random
import shutil
import subprocess

import pytest

from conftest import PROGS, assert_clean_failure, run, sample_binaries

SAMPLE = (sample_binaries() or [os.path.join(PROGS, "nomain")])[0]


def test_stripped_copy(gort_dwarf, tmp_path):
    out = tmp_path / "stripped"
    subprocess.run(["strip", "-o", str(out), SAMPLE], check=True)
    assert_clean_failure(run([gort_dwarf, "check", str(out)]), "no DWARF debug info (stripped?)")


def test_random_bytes(gort_dwarf, tmp_path):
    rnd = random.Random(6)
    for i in range(5):
        f = tmp_path / ("random%d" % i)
        f.write_bytes(bytes(rnd.getrandbits(8) for _ in range(4096 * (i + 1))))
        assert_clean_failure(run([gort_dwarf, "check", str(f)]), "not an ELF file")


def test_elf_magic_then_garbage(gort_dwarf, tmp_path):
    rnd = random.Random(7)
    f = tmp_path / "fakeelf"
    f.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(rnd.getrandbits(8) for _ in range(8192)))
    r = run([gort_dwarf, "check", str(f)])
    assert_clean_failure(r, "ELF")


@pytest.mark.parametrize("frac", [0.0, 0.01, 0.25, 0.5, 0.9, 0.999])
def test_truncated_copies(gort_dwarf, tmp_path, frac):
    data = open(SAMPLE, "rb").read()
    n = max(64, int(len(data) * frac))
    f = tmp_path / "truncated"
    f.write_bytes(data[:n])
    assert_clean_failure(run([gort_dwarf, "check", str(f)]), "truncated ELF")
    assert_clean_failure(run([gort_dwarf, "layout", str(f), "g"]), "truncated ELF")


def test_missing_file_and_directory(gort_dwarf, tmp_path):
    assert_clean_failure(run([gort_dwarf, "check", str(tmp_path / "nope")]),
                         "No such file or directory")
    assert_clean_failure(run([gort_dwarf, "check", str(tmp_path)]), "not a regular file")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert_clean_failure(run([gort_dwarf, "check", str(empty)]), "empty file")


def section_extent(path, name):
    out = subprocess.run(["readelf", "-W", "-S", path], capture_output=True,
                         text=True, check=True).stdout
    for l in out.splitlines():
        if " %s " % name in l:
            f = l.split("]", 1)[1].split()
            return int(f[3], 16), int(f[4], 16)
    return None


@pytest.mark.parametrize("section", [".debug_info", ".debug_abbrev", ".debug_str",
                                     ".debug_rnglists", ".debug_line"])
def test_corrupt_dwarf_sections(gort_dwarf, tmp_path, section):
    """Bytes flipped inside a DWARF section: libdwarf's error becomes one
    line, or the check still runs; never a crash or a sanitizer report.
    (.debug_rnglists once made libdwarf free a block twice: dwobj.c.)"""
    ext = section_extent(SAMPLE, section)
    if ext is None or ext[1] == 0:
        pytest.skip("no %s in %s" % (section, SAMPLE))
    off, size = ext
    data = bytearray(open(SAMPLE, "rb").read())
    rnd = random.Random(section)
    for i in range(6):
        bad = bytearray(data)
        for _ in range(rnd.choice([1, 4, 32])):
            bad[off + rnd.randrange(size)] = rnd.getrandbits(8)
        f = tmp_path / ("corrupt%d" % i)
        f.write_bytes(bytes(bad))
        for cmd in (["check", str(f)], ["layout", str(f), "g"]):
            r = run([gort_dwarf] + cmd)
            assert r.returncode in (0, 1), (r.returncode, r.stderr)
            assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
            if cmd[0] == "check" or r.returncode == 1:
                assert len(r.stderr.splitlines()) <= 1, r.stderr


def test_usage(gort_dwarf):
    r = run([gort_dwarf])
    assert r.returncode == 2 and "usage:" in r.stderr
    r = run([gort_dwarf, "frobnicate", SAMPLE])
    assert r.returncode == 2
