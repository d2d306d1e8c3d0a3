"""Shared helpers for the gort-dwarf and auto-load tests.

The programs under test are built by make before pytest runs (`make
check-dwarf`: gort-dwarf, its ASan build, the samples and tests/dwarf/progs);
GORT_BUILD names that build folder.  Both gort-dwarf builds run every
bad-input case: the ASan one turns a memory error into a failed test.
"""
import glob
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("GORT_BUILD", os.path.join(ROOT, "build"))
GORT_DWARF = os.path.join(BUILD, "bin", "gort-dwarf")
GORT_DWARF_ASAN = os.path.join(BUILD, "asan", "bin", "gort-dwarf")
PROGS = os.path.join(BUILD, "tests", "dwarf")
TIMEOUT = 60


def sample_sources():
    return sorted(glob.glob(os.path.join(ROOT, "samples", "*.c")))


def sample_binaries():
    """Every sample's binary (one per samples/*.c), built or not."""
    return [os.path.join(BUILD, "samples", os.path.basename(s)[:-2])
            for s in sample_sources()]


def run(argv, **kw):
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return subprocess.run(argv, capture_output=True, text=True, errors="replace",
                          timeout=TIMEOUT, env=env, **kw)


@pytest.fixture(params=[GORT_DWARF, GORT_DWARF_ASAN], ids=["rel", "asan"])
def gort_dwarf(request):
    assert os.path.exists(request.param), request.param + " not built"
    return request.param


def assert_clean_failure(r, reason):
    """Exit 1, exactly one line on stderr naming the reason, nothing else."""
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("gort-dwarf: "), lines[0]
    assert reason in lines[0], lines[0]
    assert r.stdout == ""
