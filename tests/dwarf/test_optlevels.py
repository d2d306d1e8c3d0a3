"""The contract holds at every optimisation level (issue 6: libgort is
built with -g and frame pointers at any -O): libgort rebuilt at -O0 and at
-O3 into a temporary build folder, a sample linked against it, and
`gort-dwarf check` passes on it.

Each rebuild is the top Makefile's own rule (make BUILD=tmp OPT=-O3
tmp/rel/libgort.a), so the flags are the ones a user gets.  The runtime's
compilation units must say which level they were built at
(DW_AT_producer), or the test would prove nothing.
"""
import os
import re
import subprocess

import pytest

from conftest import ROOT, run

SAMPLE = os.path.join(ROOT, "samples", "bank.c")


def plain_env():
    """The environment without the calling make's flags: under `make
    check-dwarf BUILD=...` they would carry its BUILD into ours."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


@pytest.fixture(scope="module")
def sample_cflags():
    """SAMPLE_CFLAGS as the Makefile has them."""
    out = subprocess.run(["make", "-s", "-C", ROOT, "--no-print-directory", "-pn"],
                         capture_output=True, text=True, timeout=120, env=plain_env()).stdout
    vals = {}
    for name in ("CSTD", "DEBUGFLAGS", "WARN"):
        m = re.search(rf"^{name} :?= (.*)$", out, re.M)
        assert m, name
        vals[name] = m.group(1).split()
    return vals["CSTD"] + vals["DEBUGFLAGS"] + vals["WARN"] + ["-O0", "-pthread"]


_built = {}


def built_at(opt, tmp_path_factory, cflags):
    """bank linked against libgort rebuilt at opt (once per opt)."""
    if opt in _built:
        return _built[opt]
    d = tmp_path_factory.mktemp("opt" + opt)
    lib = d / "build" / "rel" / "libgort.a"
    r = subprocess.run(["make", "-s", "-C", ROOT, "--no-print-directory", "-j2",
                        f"BUILD={d / 'build'}", f"OPT={opt}", str(lib)],
                       capture_output=True, text=True, timeout=600, env=plain_env())
    assert r.returncode == 0 and lib.exists(), r.stdout[-2000:] + r.stderr[-2000:]
    exe = d / "bank"
    subprocess.run(["cc", *cflags, "-I" + os.path.join(ROOT, "runtime"), SAMPLE, str(lib),
                    "-lpthread", "-lm", "-o", str(exe)], check=True, timeout=120)
    _built[opt] = exe
    return exe


def cu_producers(exe):
    """{CU name: producer string} from readelf."""
    info = subprocess.run(["readelf", "--debug-dump=info", str(exe)], capture_output=True,
                          text=True, timeout=120).stdout
    out = {}
    for cu in info.split("Compilation Unit @")[1:]:
        prod = re.search(r"DW_AT_producer\s*:.*?(GNU C[^\n]*)", cu)
        name = re.search(r"DW_AT_name\s*:(?:.*\):)?\s*(\S+)", cu)
        if prod and name:
            out[name.group(1)] = prod.group(1)
    return out


@pytest.mark.parametrize("opt", ["-O0", "-O3"])
def test_check_passes_at(gort_dwarf, tmp_path_factory, opt, sample_cflags):
    exe = built_at(opt, tmp_path_factory, sample_cflags)
    prods = cu_producers(exe)
    runtime = {n: p for n, p in prods.items() if n.startswith("runtime/") and n.endswith(".c")}
    assert len(runtime) > 10, sorted(prods)
    wrong = {n: p for n, p in runtime.items() if opt not in p.split() or "-g" not in p.split()}
    assert not wrong, wrong
    c = run([gort_dwarf, "check", str(exe)])
    assert c.returncode == 0 and c.stdout.startswith("ok: "), c.stdout + c.stderr
