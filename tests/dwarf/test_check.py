"""gort-dwarf check: passes on every gort program, names each fault
otherwise."""
import os

import pytest

from conftest import (PROGS, assert_clean_failure, run, sample_binaries,
                      sample_sources)


def test_samples_exist():
    # samples/hello.c is the first sample; each samples/*.c is built.
    assert any(s.endswith("/hello.c") for s in sample_sources())
    for b in sample_binaries():
        assert os.path.exists(b), b + " not built"


@pytest.mark.parametrize("binary", sample_binaries() + [os.path.join(PROGS, "nomain")],
                         ids=os.path.basename)
def test_check_passes(gort_dwarf, binary):
    r = run([gort_dwarf, "check", binary])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok: "), r.stdout
    assert "contract entries, pointer size 8" in r.stdout
    assert r.stderr == ""


def test_plain_c_program(gort_dwarf):
    r = run([gort_dwarf, "check", os.path.join(PROGS, "plain")])
    assert_clean_failure(r, "not a gort program")


def test_fake_runtime_faults_are_named(gort_dwarf):
    r = run([gort_dwarf, "check", os.path.join(PROGS, "fake")])
    assert r.returncode == 1
    out = r.stdout.splitlines()
    for want in [
        "wrong: struct waitq is 24 bytes, not 2 pointers (first, last)",
        "missing: struct g has no field goid",
        "wrong: struct g field sched is a struct gobuf3, the tools expect a struct gobuf",
        "missing: enum gstatus has no enumerator Gdead",
        "wrong: enum gstatus: Grunnable and Grunning are both 1",
        "missing: struct hchan",
        "missing: global variable gort_allgs",
    ]:
        assert want in out, want
    # What the fake does have right is not reported.
    assert not any("field sched" in l and "missing" in l for l in out)
    assert not any("gstack" in l for l in out)
    # extra.def's entries (gort-core's optional reads) are checked too, and
    # their absence is a note, not a problem
    notes = [l for l in out if l.startswith("optional: ")]
    assert "optional: struct gobuf has no field rbx (dwarf/core/extra.def: gort-core does " \
           "without it)" in notes
    problems = [l for l in out if l.startswith(("missing: ", "wrong: "))]
    assert len(problems) + len(notes) == len(out)
    assert r.stderr == "gort-dwarf: %s: %d problems with the debugger contract\n" % (
        os.path.join(PROGS, "fake"), len(problems))


@pytest.mark.parametrize("name", ["nomain", "bare", "hello"])
def test_contract_types_in_readelf(name):
    """`readelf --debug-dump=info` shows every contract struct, enum and
    typedef (and global, where the scheduler is linked) in a sample, in a
    program that never calls gort_main (a map only) and in one that calls
    nothing in libgort at all."""
    import re
    import subprocess
    from test_layout import contract_entries
    binary = os.path.join(PROGS, name) if name != "hello" else \
        os.path.join(os.path.dirname(PROGS), "..", "samples", "hello")
    dump = subprocess.run(["readelf", "--debug-dump=info", binary],
                          capture_output=True, text=True, timeout=120).stdout
    names = set(re.findall(r"DW_AT_name\s*:\s*(?:\(indirect[^)]*\):\s*)?(\w+)", dump))
    for kind, a, _ in contract_entries():
        if kind in ("STRUCT", "ENUM", "TYPEDEF") or (kind == "VAR" and name != "bare"):
            assert a in names, a
    scripts = subprocess.run(["readelf", "-p", ".debug_gdb_scripts", binary],
                             capture_output=True, text=True).stdout
    assert "gdbplugin/gort-gdb.py" in scripts


def test_bare_program_lacks_only_the_scheduler_globals():
    """A program that calls nothing in libgort has every type; what it
    lacks is the scheduler's globals (proc.o is not linked): exactly those
    are reported."""
    from test_layout import contract_entries
    r = run([os.path.join(os.path.dirname(PROGS), "..", "bin", "gort-dwarf"), "check",
             os.path.join(PROGS, "bare")])
    assert r.returncode == 1
    want = sorted("missing: global variable " + a for k, a, _ in contract_entries()
                  if k == "VAR")
    assert sorted(r.stdout.splitlines()) == want


def test_stale_struct_copy_is_caught(gort_dwarf):
    """A program built with its own (stale) struct waitq beside libgort's:
    the same tag with two sizes in two compilation units, and every
    contract struct that embeds it, are reported."""
    r = run([gort_dwarf, "check", os.path.join(PROGS, "conflict")])
    assert r.returncode == 1
    out = r.stdout.splitlines()
    assert "wrong: struct waitq is 8 bytes in one compilation unit and 16 in another" in out
    assert "wrong: struct gort_mutex field waiters: 16 bytes, but struct waitq is 8" in out
