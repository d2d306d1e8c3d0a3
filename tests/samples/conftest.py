"""Fixtures for the sample-program checks (issue 9): run a sample to the
state its story is about, live under gdb or into a core file, and run the
debuggers on it.

Two ways to reach the state:
  - live: gdb runs the sample to `story_ready()` (every sample calls it when
    its stage is set) and the commands run in that live process;
  - core: a sample that aborts by itself (a deadlock report, a panic)
    leaves a kernel core when /proc/sys/kernel/core_pattern writes plain
    files in the working directory; otherwise, and for samples that do not
    abort, gdb takes one with gcore (at the SIGABRT, or at story_ready()).

Everything is built by `make` beforehand; GORT_BUILD names the build dir.
"""
import os
import re
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("GORT_BUILD", os.path.join(REPO, "build"))
GDB_TIMEOUT = 120


def sample_path(name):
    path = os.path.join(BUILD, "samples", name)
    if not os.path.exists(path):
        pytest.fail("%s is not built: run make first" % path)
    return path


def gdb_cmd(binary, core=None, commands=(), run_to=None, args=()):
    """gdb -batch on binary (live when core is None), the extension
    auto-loaded as a user would have it."""
    cmd = ["gdb", "-batch", "-nx",
           "-iex", "add-auto-load-safe-path " + REPO,
           "-iex", "add-auto-load-safe-path " + BUILD,
           "-iex", "set pagination off",
           "-iex", "set width 0"]
    if core is None:
        cmd += ["-ex", "break " + (run_to or "story_ready"), "-ex", "run"]
    for c in commands:
        cmd += ["-ex", "echo \\n@@@ " + c + "\\n", "-ex", c]
    cmd += ["-ex", "echo \\n@@@ __end__\\n"]
    if core is None:
        cmd += ["-ex", "kill"]
        cmd += ["--args", binary] + list(args)
    else:
        cmd += [binary, core]
    return cmd


def run_gdb(binary, core=None, commands=(), args=()):
    proc = subprocess.run(gdb_cmd(binary, core, commands, args=args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, timeout=GDB_TIMEOUT,
                          text=True, errors="replace", cwd=BUILD)
    return split_sections(proc.stdout)


def split_sections(out):
    """{command: its output} from the @@@ markers gdb_cmd echoes."""
    sections, current = {}, None
    for line in out.splitlines():
        if line.startswith("@@@ "):
            current = line[4:]
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    sections.pop("__end__", None)
    return {k: "\n".join(v).strip("\n") for k, v in sections.items()}


def kernel_cores_land_in_cwd():
    try:
        with open("/proc/sys/kernel/core_pattern") as f:
            pattern = f.read().strip()
    except OSError:
        return False
    return bool(pattern) and not pattern.startswith("|") and "/" not in pattern


def make_core(binary, workdir, aborts, args=()):
    """A core file of the sample at its interesting state."""
    os.makedirs(workdir, exist_ok=True)
    for f in os.listdir(workdir):
        if f.startswith("core"):
            os.unlink(os.path.join(workdir, f))
    if aborts and kernel_cores_land_in_cwd():
        proc = subprocess.run(
            ["/bin/sh", "-c", 'ulimit -c unlimited; exec "$0" "$@"', binary] + list(args),
            cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=GDB_TIMEOUT, text=True, errors="replace")
        cores = [f for f in os.listdir(workdir) if f.startswith("core")]
        if proc.returncode != 0 and cores:
            return os.path.join(workdir, sorted(cores)[0]), proc.stderr
    core = os.path.join(workdir, "core.gcore")
    stop = [] if aborts else ["-ex", "break story_ready"]
    proc = subprocess.run(
        ["gdb", "-batch", "-nx"] + stop +
        ["-ex", "run", "-ex", "gcore " + core, "-ex", "kill", "--args", binary] + list(args),
        cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, timeout=GDB_TIMEOUT, text=True, errors="replace")
    if not os.path.exists(core):
        pytest.fail("no core for %s:\n%s" % (binary, proc.stdout[-2000:]))
    return core, proc.stdout


def run_gort_core(binary, core, *args):
    tool = os.path.join(BUILD, "bin", "gort-core")
    proc = subprocess.run([tool, binary, core] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=GDB_TIMEOUT, text=True, errors="replace")
    return proc


# -------------------------------------------------------------------------
# Golden files: what a person reads, with what changes from run to run
# (addresses, times, thread ids, absolute paths) normalised away.

GOLDEN_DIR = os.path.join(os.path.dirname(__file__), "golden")
UPDATE = os.environ.get("GORT_UPDATE_GOLDEN") == "1"

_NORMALISERS = [
    (re.compile(re.escape(REPO) + "/"), ""),
    (re.compile(r"0x[0-9a-f]{6,}"), "0xADDR"),
    (re.compile(r"\+0x[0-9a-f]+"), "+0xOFF"),
    (re.compile(r"\b\d+(\.\d+)?\s?(ns|us|µs|ms|s|m|h)\b"), "TIME"),
    (re.compile(r"\b\d+ (minutes|seconds|hours)\b"), "TIME"),
    (re.compile(r"LWP \d+"), "LWP N"),
    (re.compile(r"process \d+"), "process N"),
    (re.compile(r"<[a-z_]+\+\d+>"), "<SYM+N>"),
    # how long a goroutine has waited, and the column padding around it
    (re.compile(r"(\[[^]\n]*?)(, >=TIME|, TIME)?\] +(?=\S)"), r"\1] "),
]


# gort-core's "holds a reference" wait edges are guesses from a
# conservative scan of the stacks: an uninitialised stack slot that
# happens to hold a channel's address makes an edge in one run and not in
# the next.  "created by it" edges are guesses too, and the same pair
# shows as one or the other kind depending on the stacks (a holds edge
# outranks a child edge for the same pair).  A golden file keeps only
# what is certain: exact edges (queued, owns), and
# the cycles made of them alone; the "no goroutine known to end this
# wait" lines go too, as whether one appears depends on the guesses.
# (The story checks look at the raw text.)
_GUESSES = r"(?:holds a reference|created by it)"
_GUESSED_EDGE = re.compile(r"(?m)^\s*g(\d+) \[[^]]*\] -> g(\d+)  \(%s.*\n?" % _GUESSES)
_EXACT_EDGE = re.compile(r"(?m)^\s*g(\d+) \[[^]]*\] -> g(\d+)  \((?!%s)" % _GUESSES)
_NO_EDGE = re.compile(r"(?m)^\s*g\d+ \[[^]]*\]: no goroutine known to end this wait.*\n?")
_CYCLE = re.compile(r"(?m)^(possible )?deadlock cycle: (g\d+(?: -> g\d+)+)\n?")


def drop_guessed_edges(text):
    exact = set(_EXACT_EDGE.findall(text))

    def keep_cycle(m):
        ids = re.findall(r"g(\d+)", m.group(2))
        return m.group(0) if all(p in exact for p in zip(ids, ids[1:])) else ""

    text = _NO_EDGE.sub("", _GUESSED_EDGE.sub("", text))
    return _CYCLE.sub(keep_cycle, text)


# Backtrace frames inside the runtime (their names and line numbers change
# with every edit of the scheduler) are left out of golden files, and frame
# numbers with them: a golden file records what a person reads about their
# own program.  The story checks still look at the raw output.
# When gdb prints a single frame (`goroutine N`, `frame`, `up`) the line
# of source it stopped at follows the frame ("244\t    gort_swapctx(...)"),
# after a warning when the runtime's source was edited since the build:
# they go with their frame.
_STALE = r"warning: Source file is more recent than executable\.\n"
_RUNTIME_FRAME = re.compile(r"(?m)^\s*#\d+\s.*\bat (\S*/)?runtime/\S+:\d+\n"
                            r"(?:(?:%s)?\d+\t.*(?:\n|$))?" % _STALE)
_FRAME_NUMBER = re.compile(r"(?m)^(\s*)#\d+\s+")


# A map's entries come out in bucket order, which depends on the map's
# random hash seed (by design, as in Go): a golden file lists them sorted,
# one top-level map entry per line, so it can be compared and reviewed.
_MAP_HEAD = re.compile(r"map\[[^\n]*? with \d+ entr(?:y|ies)(?: \([a-z ]+\))? = \{")


def _split_entries(text, start):
    """The entries of the map whose `{` is at text[start - 1], split at
    commas outside brackets and quotes, and the index just past its `}`;
    None when the braces do not balance (a truncated line: left alone)."""
    depth, quote, esc, items, begin = 0, False, False, [], start
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                quote = False
            continue
        if ch == '"':
            quote = True
        elif ch in "{[(":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "}":
            if depth == 0:
                items.append(text[begin:i].strip())
                return [x for x in items if x], i + 1
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[begin:i].strip())
            begin = i + 1
    return None


def _natural(entry):
    """["user:0010"] after ["user:0009"], [10] after [9]."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", entry)]


def sort_map_entries(text):
    out, pos = [], 0
    for m in _MAP_HEAD.finditer(text):
        if m.start() < pos:
            continue                      # inside a map already rewritten
        split = _split_entries(text, m.end())
        if split is None:
            continue
        items, end = split
        tail = []
        if items and items[-1].endswith("..."):     # a list cut by `set print elements`
            items[-1], tail = items[-1][:-3], ["..."]
        entries = sorted(items, key=_natural)
        out.append(text[pos:m.end()])
        out.append("\n  " + ",\n  ".join(entries + tail) + "\n}")
        pos = end
    out.append(text[pos:])
    return "".join(out)


# Goroutines queued on one channel are listed in queue order, and with two
# workers the order in which goroutines started together reach the queue
# changes from run to run: a golden file keeps them sorted by id.
_WAITER_IDS = re.compile(r"\bgoroutines ((?:\d+(?: \(select\))?)(?: \d+(?: \(select\))?)+)")
_QUEUE_IDS = re.compile(r"(?m)^(\s*(?:recvq|sendq): )((?:g\d+)(?: g\d+)+)$")


def sort_waiters(text):
    def ids(m):
        items = re.findall(r"\d+(?: \(select\))?", m.group(1))
        return "goroutines " + " ".join(sorted(items, key=lambda t: int(t.split()[0])))

    def queue(m):
        items = m.group(2).split()
        return m.group(1) + " ".join(sorted(items, key=lambda t: int(t[1:])))
    return _QUEUE_IDS.sub(queue, _WAITER_IDS.sub(ids, text))


def normalise(text, extra=()):
    text = drop_guessed_edges(text + "\n")
    text = _RUNTIME_FRAME.sub("", text)
    text = sort_map_entries(text)
    text = sort_waiters(text)
    text = _FRAME_NUMBER.sub(r"\1#N  ", text)
    for rx, repl in list(_NORMALISERS) + [(re.compile(a), b) for a, b in extra]:
        text = rx.sub(repl, text)
    return "\n".join(line.rstrip() for line in text.splitlines()).strip() + "\n"


def check_golden(name, text, extra=()):
    path = os.path.join(GOLDEN_DIR, name + ".txt")
    got = normalise(text, extra)
    if UPDATE or not os.path.exists(path):
        if not UPDATE:
            pytest.fail("no golden file %s: run make update-golden and review it" % path)
        with open(path, "w") as f:
            f.write(got)
        return
    with open(path) as f:
        want = f.read()
    assert got == want, "%s differs from its golden file (make update-golden regenerates it)\n--- want\n%s--- got\n%s" % (path, want, got)
