"""gdb loads the extension by itself through libgort's .debug_gdb_scripts
entry: in the build tree (tests) and after `make install PREFIX=DIR`."""
import os
import subprocess

import pytest

from conftest import BUILD, PROGS, ROOT, sample_binaries

HELLO = os.path.join(BUILD, "samples", "hello")

# Printed by gdb -batch after everything else: where the `gort` package
# came from, and whether the extension's commands exist.
PROBE = ("python import sys; m = sys.modules.get('gort'); "
         "print('GORT-PKG', list(m.__path__) if m else None)")
HAS_CMD = "python gdb.execute('help info goroutines', to_string=True); print('GORT-CMD ok')"


def gdb(binary, *cmds, safe=True, pre=()):
    argv = ["gdb", "-nx", "-batch"]
    if safe:
        # The entry names gort-gdb.py by its path: the script's place (the
        # tree, or the install prefix) is what must be safe.
        argv += ["-iex", "add-auto-load-safe-path " + (safe if isinstance(safe, str) else ROOT)]
    for c in pre:
        argv += ["-iex", c]
    for c in cmds:
        argv += ["-ex", c]
    argv.append(binary)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return r.stdout + r.stderr


def loaded(out, script=os.path.join(ROOT, "gdbplugin", "gort-gdb.py")):
    rows = [l.split() for l in out.splitlines() if "gort-gdb.py" in l and "source" not in l]
    return rows == [["Yes", script]]


def test_entry_in_binary():
    out = subprocess.run(["readelf", "-p", ".debug_gdb_scripts", HELLO],
                         capture_output=True, text=True, check=True).stdout
    assert os.path.join(ROOT, "gdbplugin", "gort-gdb.py") in out


@pytest.mark.parametrize("binary", sample_binaries() + [os.path.join(PROGS, "nomain")],
                         ids=os.path.basename)
def test_loaded_in_build_tree(binary):
    out = gdb(binary, "info auto-load python-scripts", PROBE, HAS_CMD, safe=ROOT)
    assert loaded(out), out
    assert "GORT-PKG ['%s']" % os.path.join(ROOT, "gdbplugin", "gort") in out, out
    assert "GORT-CMD ok" in out, out
    assert "gort:" not in out, out          # the loader's and the extension's complaints


def test_declined_without_safe_path():
    out = gdb(HELLO, "info auto-load python-scripts", PROBE, safe=False)
    assert "auto-loading has been declined" in out
    assert "GORT-PKG None" in out


def test_loading_twice_is_harmless():
    """Auto-load, then the documented fallback by hand, then the objfile
    reloaded (the entry runs again): no error, the commands still there."""
    src = os.path.join(ROOT, "gdbplugin", "gort-gdb.py")
    out = gdb(HELLO, "source " + src, "file " + HELLO, "info auto-load python-scripts",
              PROBE, HAS_CMD, safe=ROOT)
    assert loaded(out), out
    assert "GORT-CMD ok" in out
    assert "Error" not in out and "Traceback" not in out and "gort:" not in out, out


def _make_env():
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(k, None)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`make install PREFIX=<tmp>`, then a program built against it.  The
    install rules that make does after `all` (the library, the extension,
    gort-dwarf) are named directly: `make check` has built `all` already,
    and this test should not fail for a part of `all` it does not use."""
    prefix = str(tmp_path_factory.mktemp("prefix"))
    argv = ["make", "-C", ROOT, "--no-print-directory", "install-runtime",
            "install-gdbplugin", "install-gort-dwarf", "PREFIX=" + prefix]
    if os.path.realpath(BUILD) != os.path.realpath(os.path.join(ROOT, "build")):
        argv.append("BUILD=" + BUILD)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600, env=_make_env())
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    # The program lives outside the prefix, as a user's would.
    exe = os.path.join(str(tmp_path_factory.mktemp("userprog")), "prog")
    subprocess.run(["gcc", "-g", "-O0", "-I", os.path.join(prefix, "include"),
                    os.path.join(ROOT, "tests", "dwarf", "progs", "nomain.c"),
                    os.path.join(prefix, "lib", "libgort.a"), "-lpthread", "-lm",
                    "-o", exe], check=True)
    return prefix, exe


def test_install_layout(installed):
    prefix, _ = installed
    share = os.path.join(prefix, "share", "gort")
    assert os.path.isfile(os.path.join(share, "gort-gdb.py"))
    assert os.path.isfile(os.path.join(share, "gort", "__init__.py"))
    assert os.access(os.path.join(prefix, "bin", "gort-dwarf"), os.X_OK)


def test_loaded_after_install(installed):
    prefix, exe = installed
    # The one setting README.md asks for: the prefix in the safe path.
    out = gdb(exe, "info auto-load python-scripts", PROBE, HAS_CMD, safe=prefix)
    assert loaded(out, os.path.join(prefix, "share", "gort", "gort-gdb.py")), out
    # The installed copy, not the build tree's.
    assert "GORT-PKG ['%s']" % os.path.join(prefix, "share", "gort", "gort") in out, out
    assert "GORT-CMD ok" in out
    r = subprocess.run([os.path.join(prefix, "bin", "gort-dwarf"), "check", exe],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_source_fallback_after_install(installed):
    prefix, exe = installed
    out = gdb(exe, "source " + os.path.join(prefix, "share", "gort", "gort-gdb.py"),
              PROBE, HAS_CMD, safe=False)
    assert "GORT-PKG ['%s']" % os.path.join(prefix, "share", "gort", "gort") in out, out
    assert "GORT-CMD ok" in out
