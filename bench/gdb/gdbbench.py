#!/usr/bin/python3
"""gdbbench.py: issue 7's debugger benchmarks, speaking the benchmark
protocol (../../shared/WORKLOADS.md) so bench/run.py shows them as rows.

  gdbbench.py --impl go   --prog goparked --ext .../runtime-gdb.py  -list | -w NAME
  gdbbench.py --impl gort --prog cparked  --ext .../gort-gdb.py     -list | -w NAME

The reference column is Go 1.19's own runtime-gdb.py on an equivalent Go
program (bench/gdb/goparked.go); the gort column is our extension on the
same program over libgort (bench/gdb/cparked.c).  A row:

  1. starts the program (N parked goroutines, a map of M entries) and waits
     for its "ready" line;
  2. live rows: `gdb -batch -p PID`; core rows: a kernel core of the
     process (SIGABRT with RLIMIT_CORE unlimited; GOTRACEBACK=crash for
     Go, whose runtime otherwise exits without one), then `gdb -batch PROG
     CORE` (core making is not timed).  A kernel core because it is the
     complete one: gcore skips what it cannot read, and with 100,000
     goroutines libgort's stacks past the first 16,382 use guard regions
     that make gcore give up on whole mappings (runtime/stack.c).  Where
     the kernel writes no core file (core_pattern piped to a crash
     collector) gcore is used instead, and the row says so on stderr;
  3. sources the extension, then times ONE command inside gdb's Python
     (time.perf_counter around gdb.execute(CMD, to_string=True)), so gdb's
     start-up and symbol loading are not in the figure;
  4. checks the output: at least N goroutines shown as waiting by `info
     goroutines`, M `] = ` entries for the map, N goroutine sections with
     frames for `goroutine all bt` (the thread's own frame #0 is hidden by
     our frame filter, so frames may start at #1); too few is a failed
     self-check (exit 1), as for every workload.

`goroutine all bt` at 10,000 goroutines is listed for gort only: Go's
runtime-gdb.py needs over 600 s live and cannot do it on a core (issue 7).
Nothing here runs unless asked: run.py treats the `gdb` area as opt-in
(`make bench BENCH=gdb`).
"""

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROWS = {
    # name: (command, goroutines, map entries, what to count, want)
    "gdb_info_goroutines_10k": ("info goroutines", 10000, 0, "waiting", 10000),
    "gdb_info_goroutines_100k": ("info goroutines", 100000, 0, "waiting", 100000),
    "gdb_print_map_100k": ("print {map}", 10, 100000, "entries", 100000),
    "gdb_goroutine_all_bt_10k": ("goroutine all bt", 10000, 0, "frames", 10000),
}
GO_SKIP = {"gdb_goroutine_all_bt_10k"}
MAP_EXPR = {"go": "'main.bigmap'", "gort": "bigmap"}
GDB_TIMEOUT = float(os.environ.get("BENCH_GDB_TIMEOUT", "900"))

TIMER = r'''
import time, gdb
gdb.execute("set pagination off")
gdb.execute("set print elements unlimited")
gdb.execute("set width 0")
_t = time.perf_counter()
_out = gdb.execute(%r, to_string=True)
_dt = time.perf_counter() - _t
with open(%r, "w") as _f:
    _f.write("%%f\n" %% _dt)
    _f.write(_out)
'''


def usage(msg):
    sys.stderr.write("gdbbench: %s\n" % msg)
    sys.exit(2)


def workloads(impl):
    out = []
    for name in ROWS:
        if impl == "go" and name in GO_SKIP:
            continue
        out += [name + "_live", name + "_core"]
    return out


def _core_limit():
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def start(prog, n, m, cwd=None):
    env = dict(os.environ, GOTRACEBACK="crash")
    p = subprocess.Popen([prog, str(n), str(m)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, cwd=cwd,
                         env=env, preexec_fn=_core_limit)
    line = p.stdout.readline()
    if line.strip() != "ready":
        p.kill()
        p.wait()
        raise RuntimeError("%s did not get ready (said %r)" % (prog, line))
    return p


def kernel_core(p, tmp):
    """SIGABRT p (started in tmp) and return the core file the kernel
    wrote there, or None when it wrote none we can find."""
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
    except OSError:
        return None
    if pattern.startswith("|") or "/" in pattern:
        return None
    p.send_signal(signal.SIGABRT)
    try:
        p.wait(timeout=600)
    except subprocess.TimeoutExpired:
        return None
    for name in os.listdir(tmp):
        if name == "core" or name.startswith("core."):
            return os.path.join(tmp, name)
    return None


def gdb(args, script, timeout):
    cmd = ["gdb", "-nx", "-batch", "-ex", "set pagination off"] + args
    if script:
        cmd += ["-x", script]
    return subprocess.run(cmd, capture_output=True, text=True,
                          timeout=timeout)


def count(kind, out):
    """What the output shows, counted the way a person would check it:
    goroutines listed as waiting (both extensions print the state word),
    map entries `[k] = v`, goroutine sections with at least one frame."""
    if kind == "waiting":
        return sum(1 for ln in out.splitlines() if "waiting" in ln)
    if kind == "entries":
        return len(re.findall(r"\] = ", out))
    blocks = re.split(r"^goroutine \d+", out, flags=re.M)[1:]
    return sum(1 for b in blocks if re.search(r"^#\d+ ", b, re.M))


def run(impl, prog, ext, name):
    base, mode = name.rsplit("_", 1)
    if base not in ROWS or mode not in ("live", "core") or \
            (impl == "go" and base in GO_SKIP):
        usage("no workload named '%s' (try -list)" % name)
    cmd, n, m, kind, want = ROWS[base]
    cmd = cmd.format(map=MAP_EXPR[impl])
    tmp = tempfile.mkdtemp(prefix="gort-gdbbench-")
    p = None
    try:
        p = start(prog, n, m, cwd=tmp)
        result = os.path.join(tmp, "result")
        script = os.path.join(tmp, "timer.py")
        with open(script, "w") as f:
            f.write(TIMER % (cmd, result))
        src = ["-ex", "source " + ext]
        if mode == "live":
            r = gdb(["-p", str(p.pid)] + src, script, GDB_TIMEOUT)
        else:
            core = kernel_core(p, tmp)
            if core is None:
                if p.poll() is not None:
                    raise RuntimeError("the program died without a core file")
                sys.stderr.write("%s: no kernel core here; gcore instead\n" % name)
                core = os.path.join(tmp, "gcore")
                r = gdb(["-p", str(p.pid), "-ex", "gcore " + core], None, 600)
                if not os.path.exists(core):
                    raise RuntimeError("gcore failed: %s" % r.stderr.strip()[-200:])
                p.kill()
                p.wait()
            p = None
            r = gdb([prog, core] + src, script, GDB_TIMEOUT)
        if not os.path.exists(result):
            raise RuntimeError("gdb did not run the timer: %s" %
                               (r.stderr.strip()[-300:] or r.stdout[-300:]))
        with open(result) as f:
            secs = float(f.readline())
            out = f.read()
        got = count(kind, out)
        if got < want:
            sys.stderr.write("%s: self-check failed: %d %s in the output of "
                             "'%s', want %d\n%s\n" %
                             (name, got, kind, cmd, want, out[:500]))
            sys.exit(1)
        print("%s %.4f s" % (name, secs))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        sys.stderr.write("%s: %s\n" % (name, e))
        sys.exit(1)
    finally:
        if p is not None:
            p.send_signal(signal.SIGKILL)
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    a = sys.argv[1:]
    opts = {}
    while len(a) >= 2 and a[0] in ("--impl", "--prog", "--ext"):
        opts[a[0][2:]] = a[1]
        a = a[2:]
    if set(opts) != {"impl", "prog", "ext"} or opts["impl"] not in MAP_EXPR:
        usage("want --impl go|gort --prog PROGRAM --ext EXTENSION.py")
    if a == ["-list"]:
        for w in workloads(opts["impl"]):
            print("%s -" % w)
        return
    if len(a) == 2 and a[0] == "-w":
        run(opts["impl"], opts["prog"], opts["ext"], a[1])
        return
    usage("usage: -list | -w NAME")


if __name__ == "__main__":
    main()
