"""Fixtures for the gort-core tests: programs, their core files, and a runner.

Cores are made two ways, and tests run on both:
  - kernel cores: the program aborts with `ulimit -c unlimited` in a fresh
    directory.  Only when /proc/sys/kernel/core_pattern is a plain file name
    (not a pipe to systemd-coredump or apport, not a path elsewhere);
    otherwise those tests are skipped and the gdb cores stand in.
  - gdb cores: the program runs under `gdb -batch` and, when it stops on
    SIGABRT (or is interrupted after printing "ready"), gdb's
    generate-core-file writes the core: the same path gcore takes.

Environment (set by `make check-core`): GORT_CORE is the gort-core binary
under test (plain or ASan build), GORT_BUILD the build directory.
"""
import json
import os
import resource
import shutil
import signal
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("GORT_BUILD", os.path.join(ROOT, "build"))
GORT_CORE = os.environ.get("GORT_CORE", os.path.join(BUILD, "bin", "gort-core"))
SCHEMA = os.path.join(ROOT, "dwarf", "gort-core.schema.json")
TIMEOUT = 60


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: large cores (skipped in the ASan run)")


def prog(name):
    """Path of a test program (tests/core/progs) or a sample."""
    for p in (os.path.join(BUILD, "tests", "core", name), os.path.join(BUILD, "samples", name)):
        if os.path.exists(p):
            return p
    pytest.skip(f"{name} is not built")


def kernel_cores_possible():
    try:
        pattern = open("/proc/sys/kernel/core_pattern").read().strip()
    except OSError:
        return False
    return pattern and not pattern.startswith("|") and "/" not in pattern


def _unlimited_core():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def kernel_core(binary, args, workdir):
    """Run binary (which aborts) with core dumps on; return the core's path."""
    if not kernel_cores_possible():
        pytest.skip("core_pattern is not a plain file name: no kernel cores here")
    os.makedirs(workdir, exist_ok=True)
    for f in os.listdir(workdir):
        if f == "core" or f.startswith("core."):
            os.unlink(os.path.join(workdir, f))
    subprocess.run([binary] + args, cwd=workdir, preexec_fn=_unlimited_core,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT,
                   env=dict(os.environ, GORTMAXPROCS="2"))
    cores = [f for f in os.listdir(workdir) if f == "core" or f.startswith("core.")]
    if not cores:
        pytest.skip("the kernel wrote no core (RLIMIT_CORE or core_pattern)")
    return os.path.join(workdir, cores[0])


def gdb_core(binary, args, workdir, wait_ready=False):
    """A core written by gdb (as gcore does) when the program aborts, or,
    with wait_ready, once it printed "ready" (SIGINT after a moment)."""
    if not shutil.which("gdb"):
        pytest.skip("no gdb")
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, "gdb.core")
    if os.path.exists(out):
        os.unlink(out)
    if wait_ready:
        p = subprocess.Popen([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
        try:
            assert p.stdout.readline().strip() == "ready"
            subprocess.run(["gcore", "-o", os.path.join(workdir, "gcore"), str(p.pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT)
        finally:
            p.kill()
            p.wait()
        got = os.path.join(workdir, f"gcore.{p.pid}")
        if not os.path.exists(got):
            pytest.skip("gcore wrote no core")
        os.rename(got, out)
        return out
    subprocess.run(["gdb", "-nx", "-batch", "-ex", "run", "-ex", f"generate-core-file {out}",
                    "--args", binary] + args, cwd=workdir, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=TIMEOUT,
                   env=dict(os.environ, GORTMAXPROCS="2"))
    if not os.path.exists(out):
        pytest.skip("gdb wrote no core")
    return out


class Result:
    def __init__(self, cp):
        self.rc = cp.returncode
        self.out = cp.stdout
        self.err = cp.stderr

    def json(self):
        return json.loads(self.out)


def run_core(*args, timeout=TIMEOUT):
    """Run gort-core; a crash (signal) or a hang fails the test."""
    cp = subprocess.run([GORT_CORE] + [str(a) for a in args], capture_output=True, text=True,
                        timeout=timeout, env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    assert cp.returncode >= 0, f"gort-core died of signal {-cp.returncode}: {cp.stderr[-2000:]}"
    assert "AddressSanitizer" not in cp.stderr and "runtime error" not in cp.stderr, cp.stderr
    return Result(cp)


@pytest.fixture(scope="session")
def validate():
    try:
        import jsonschema
    except ImportError:
        pytest.skip("python3-jsonschema is not installed")
    schema = json.load(open(SCHEMA))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)

    def check(doc):
        errors = sorted(v.iter_errors(doc), key=lambda e: e.path)
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        assert doc["schema_version"] == 1
    return check


@pytest.fixture(scope="session")
def cores(tmp_path_factory):
    """Lazily made cores, by name, shared by every test of the session."""
    made = {}
    base = tmp_path_factory.mktemp("cores")

    def get(name):
        if name in made:
            return made[name]
        kind, _, what = name.partition(":")
        wd = str(base / name.replace(":", "_").replace("@", "_").replace(",", "_"))
        if what == "fakeg":
            b = prog("fakeg")
            c = kernel_core(b, ["abort", "3"], wd) if kind == "kernel" else \
                gdb_core(b, ["wait", "3"], wd, wait_ready=True)
        elif what == "fakeg100k":
            b = prog("fakeg")
            c = kernel_core(b, ["abort", "100000"], wd) if kind == "kernel" else \
                gdb_core(b, ["wait", "100000"], wd, wait_ready=True)
        elif what == "plain":
            b = prog("plain")
            c = kernel_core(b, [], wd) if kind == "kernel" else gdb_core(b, [], wd)
        else:
            # "kind:prog@a,b": prog run with arguments a b
            what, _, argstr = what.partition("@")
            args = argstr.split(",") if argstr else []
            b = prog(what)
            c = kernel_core(b, args, wd) if kind == "kernel" else gdb_core(b, args, wd)
        made[name] = (b, c)
        return made[name]
    return get
