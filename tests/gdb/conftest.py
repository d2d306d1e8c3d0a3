"""conftest.py: driving `gdb -batch -nx` on gort programs, live and from
core files, for the checks of the gdb extension.

Every program is copied into a temporary directory first: a core file only
matches the binary that wrote it, and `make` may rebuild build/ under us.
The extension is loaded the way a person gets it: by auto-loading through
the binary's .debug_gdb_scripts (add-auto-load-safe-path on the copy).

One gdb session runs many commands; `session()` separates their outputs
with echo markers and returns {command: output}, so a test reads what a
person would read after typing that one command.

Core files, three kinds:
  live   the process stopped at story_ready()
  gcore  `gcore` taken there by gdb
  kcore  a kernel core from abort() (the program's "abort" argument) when
         /proc/sys/kernel/core_pattern writes plain files; else, and as a
         fallback when no core appears, a gcore taken under gdb when the
         SIGABRT arrives (the same state, the same frames).  The fallback
         is announced with a warning in pytest's summary, naming why: a
         run that never saw a kernel core must not pass as one that did.
"""

import os
import re
import resource
import shutil
import subprocess
import warnings

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("GORT_BUILD", os.path.join(TOP, "build"))
GDB_TIMEOUT = int(os.environ.get("GORT_GDB_TIMEOUT", "300"))
MARK = "=====gort-test-command====="


def built(rel):
    path = os.path.join(BUILD, rel)
    if not os.path.exists(path):
        pytest.fail("%s is not built: run `make all` first" % path)
    return path


def gdb_argv(binary, core=None, pre=()):
    argv = ["gdb", "-batch", "-nx",
            # the binary (inline loader) and the script its file entry names
            "-iex", "set auto-load safe-path %s:%s" % (os.path.dirname(binary),
                                                      os.path.join(TOP, "gdbplugin")),
            "-iex", "set pagination off", "-iex", "set width 0",
            "-iex", "set confirm off"]
    for c in pre:
        argv += ["-iex", c]
    argv.append(binary)
    if core:
        argv.append(core)
    return argv


def run_gdb(binary, commands, core=None, timeout=GDB_TIMEOUT, pre=()):
    """Run gdb with commands (-ex each); return stdout+stderr as text."""
    argv = gdb_argv(binary, core, pre)
    for c in commands:
        argv += ["-ex", c]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout, cwd=os.path.dirname(binary))
    return p.stdout.decode("utf-8", "replace")


def session(binary, commands, core=None, run_args=None, timeout=GDB_TIMEOUT):
    """{command: its output}.  Live (core None): break at story_ready, run
    with run_args, then the commands; the process is killed at the end."""
    cmds = []
    if core is None:
        cmds += ["break story_ready", "run %s" % (run_args or "")]
    cmds.append("echo %s\\n" % MARK)
    for c in commands:
        cmds += [c, "echo %s\\n" % MARK]
    if core is None:
        cmds.append("kill")
    out = run_gdb(binary, cmds, core, timeout)
    parts = out.split(MARK + "\n")
    if len(parts) < len(commands) + 2:
        raise AssertionError("gdb did not run every command:\n" + out[-4000:])
    res = {"__preamble__": parts[0], "__all__": out}
    for c, text in zip(commands, parts[1:]):
        res[c] = text
    return res


def copy_prog(src, tmpdir):
    dst = os.path.join(str(tmpdir), os.path.basename(src))
    shutil.copy2(src, dst)
    return dst


def _core_limit():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


class KernelCoreFallback(UserWarning):
    """No kernel core here: a gcore at the SIGABRT stands in for it."""


def kernel_core(binary, args):
    """(path of a kernel core of `binary args` (which aborts), None) or
    (None, why the kernel did not write one here)."""
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
    except OSError as e:
        return None, "cannot read core_pattern: %s" % e
    if pattern.startswith("|"):
        return None, "core_pattern pipes cores to %s" % pattern[1:].split()[0]
    if "/" in pattern:
        return None, "core_pattern writes cores elsewhere (%s)" % pattern
    d = os.path.dirname(binary)
    for f in os.listdir(d):
        if f.startswith("core"):
            os.unlink(os.path.join(d, f))
    p = subprocess.run([binary] + args, cwd=d, preexec_fn=_core_limit,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    if p.returncode != -6:
        raise AssertionError("%s %s: expected SIGABRT, got %d" % (binary, args, p.returncode))
    cores = [f for f in os.listdir(d) if f.startswith("core")]
    if not cores:
        return None, "the kernel wrote no core (core_pattern %r, RLIMIT_CORE raised)" % pattern
    return os.path.join(d, cores[0]), None


def gcore_at_abort(binary, args, out):
    run_gdb(binary, ["handle SIGABRT stop nopass", "run %s" % " ".join(args),
                     "gcore %s" % out, "kill"])
    return out if os.path.exists(out) else None


def gcore_at_story(binary, args, out):
    run_gdb(binary, ["break story_ready", "run %s" % " ".join(args), "gcore %s" % out, "kill"])
    if not os.path.exists(out):
        raise AssertionError("gcore did not write %s" % out)
    return out


def abort_core(binary, args, tmpdir):
    """A core from abort(): the kernel's, else (with a warning) a gcore at
    the SIGABRT."""
    core, why = kernel_core(binary, args)
    if core is None:
        warnings.warn(KernelCoreFallback(
            "%s: no kernel core (%s): the 'kcore' checks run on a gcore taken at "
            "the SIGABRT instead" % (os.path.basename(binary), why)))
        core = gcore_at_abort(binary, args, os.path.join(str(tmpdir), "abort.gcore"))
    if core is None:
        raise AssertionError("no core file from %s %s" % (binary, args))
    return core


def gort_core(binary, core, *args):
    """gort-core's text output for BINARY CORE args (it must succeed)."""
    tool = built("bin/gort-core")
    p = subprocess.run([tool, binary, core] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=GDB_TIMEOUT)
    text = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0, text
    return text


def no_python_errors(text):
    assert "Traceback" not in text, text[-3000:]
    assert "Python Exception" not in text, text[-3000:]
    assert "gort internal error" not in text, text[-3000:]


def goroutine_lines(text):
    """{goid: line} of `info goroutines` output."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^[* ] +(\d+) ", line)
        if m:
            out[int(m.group(1))] = line
    return out
