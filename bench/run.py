#!/usr/bin/python3
"""run.py: the benchmark harness behind `make bench`.

It builds nothing (make does).  It finds the benchmark binaries in --bindir,
asks each for its workloads (`BIN -list`), runs every (workload, GOMAXPROCS)
of every implementation in a fresh process under `/usr/bin/time -v`, REPS
times interleaved (rep 1 of everything, then rep 2, ...; within a rep the
implementations of one workload take turns in a rotating order, so a noisy
minute of the shared machine hurts every column alike), and prints ONE
table: per metric and GOMAXPROCS the min and median of each implementation,
the ratio of gort to each reference (from the minimums: on a noisy shared
machine the minimum is the least disturbed run), the target of the issue
that names the row, pass or miss, and the median peak RSS per process.
The protocol and the workload definitions are ../shared/WORKLOADS.md.

Binaries (bench/build.mk names them): IMPL-AREA, e.g. gort-map, go-map,
glib-map; `floors` holds the floors and OS-thread baselines, shown in the
"C" column.  A row exists where any implementation reports that metric.

  --filter REGEX   run only workloads whose "AREA/NAME" matches (search,
                   case-insensitive): `make bench BENCH=map`, BENCH=chan, ...
                   The `gdb` area (issue 7's debugger rows, minutes long)
                   runs only when named: `make bench BENCH=gdb`.
  --reps N         repetitions (default: env REPS, else 3)
  --smoke          the check mode of `make check-bench`: only gort
                   binaries, one rep, BENCH_SCALE=0.001 unless set, no
                   /usr/bin/time; every workload must pass its self-check
                   and speak the protocol.

Writes the table to OUT/results.txt and the raw numbers to OUT/results.json
(OUT/results-FILTER.* for a filtered run).
Exit status: 0 when every run exited 0 and spoke the protocol (a target
missed is reported, not an error), 1 otherwise.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

IMPLS = ["gort", "go", "glib", "C"]          # column order

# Workloads that run on one thread in every implementation: the P=1 rows,
# and these (no allocation in the timed loop, so no Go GC worker either).
# Each rep pins their processes to one CPU, the next CPU in the next rep,
# so every implementation runs on the same CPUs and the minimum compares
# like with like.  On a VM one vCPU can be steadily slower than another
# (here: iface_call 2.1 ns on CPU 0, 1.44 on CPU 1, both runtimes alike),
# and a process landing on either by chance decided a row.  The rows with
# more threads stay unpinned: P=2, and Go's map rows, whose collector
# marks on other threads.  gort's and GLib's map rows are one thread, and
# pinned like the others.
ONE_THREAD_AREAS = {("gort", "map"), ("glib", "map")}
ONE_THREAD = {"ctxswitch_asm", "ctxswitch_asm_jmp", "ctxswitch_asm_fpcsr",
              "ctxswitch_ucontext", "ctxswitch_pcl", "iface_call",
              "type_assert_concrete", "type_assert_iface", "closure_call",
              "call_direct_noinline"}
REFS = ["go", "glib", "C"]
OPT_IN_AREAS = {"gdb"}                     # run only when --filter names them
BIN_RE = re.compile(r"^(gort|go|glib)-(\w+)$")

# Display order: issue 2, 3, 4, 5, then floors; anything else after.
ORDER = """
go_spawn_join yield_pingpong goroutines_parked_100k_create
goroutines_parked_100k_release goroutines_parked_100k_rss_per_g
goroutines_parked_100k_rss_total
ctxswitch_asm ctxswitch_asm_jmp ctxswitch_asm_fpcsr ctxswitch_ucontext
ctxswitch_pcl thread_pingpong_condvar pthread_create_join
chan_pingpong_unbuffered chan_buffered_throughput select_2chan mutex_contended
map_insert_int64 map_insert_int64_gcoff map_int64_bytes_per_entry
map_lookup_hit_int64 map_lookup_miss_int64 map_delete_int64
map_iterate_int64 map_insert_str map_insert_str_gcoff map_lookup_str
SmallStrMap IntMap MegMap MegOneMap MegEqMap MegEmptyMap
iface_call type_assert_concrete type_assert_iface closure_call
call_direct_noinline
gdb_info_goroutines_10k_live gdb_info_goroutines_10k_core
gdb_info_goroutines_100k_live gdb_info_goroutines_100k_core
gdb_print_map_100k_live gdb_print_map_100k_core
gdb_goroutine_all_bt_10k_live gdb_goroutine_all_bt_10k_core
""".split()

# Targets of issues 2-5: (metric, procs or None for any) -> list of
# (reference, max ratio of gort to it).  "abs" is an absolute bound on
# gort's value.
TARGETS = {
    ("go_spawn_join", "1"): [("go", 0.5)],
    ("go_spawn_join", "2"): [("go", 1.0)],
    ("yield_pingpong", None): [("go", 1.0)],
    ("goroutines_parked_100k_rss_per_g", None): [("abs", 4500.0)],
    ("chan_pingpong_unbuffered", "1"): [("go", 0.5)],
    ("chan_pingpong_unbuffered", "2"): [("go", 1.0)],
    ("chan_buffered_throughput", None): [("go", 1.0)],
    ("select_2chan", None): [("go", 1.0)],
    ("mutex_contended", None): [("go", 1.0)],
    ("map_insert_int64", None): [("go", 1.0), ("glib", 1.0)],
    ("map_lookup_hit_int64", None): [("go", 1.0), ("glib", 1.0)],
    ("map_lookup_miss_int64", None): [("go", 1.0)],
    ("map_delete_int64", None): [("go", 1.0), ("glib", 1.0)],
    ("map_iterate_int64", None): [("go", 1.0), ("glib", 1.0)],
    ("map_insert_str", None): [("go", 1.0), ("glib", 1.0)],
    ("map_lookup_str", None): [("go", 1.0), ("glib", 1.0)],
    ("map_int64_bytes_per_entry", None): [("go", 1.0)],
    ("SmallStrMap", None): [("go", 1.0)],
    ("IntMap", None): [("go", 1.0)],
    ("MegMap", None): [("go", 1.0)],
    ("MegOneMap", None): [("go", 1.0)],
    ("MegEqMap", None): [("go", 1.0)],
    ("MegEmptyMap", None): [("go", 1.0)],
    ("iface_call", None): [("go", 1.0)],
    ("type_assert_concrete", None): [("go", 1.0)],
    ("type_assert_iface", None): [("go", 1.0)],
    ("closure_call", None): [("go", 1.0)],
    # issue 7, absolute seconds
    ("gdb_info_goroutines_100k_core", None): [("abs", 1.0)],
    ("gdb_print_map_100k_live", None): [("abs", 1.0)],
    ("gdb_print_map_100k_core", None): [("abs", 1.0)],
    ("gdb_goroutine_all_bt_10k_live", None): [("abs", 10.0)],
    ("gdb_goroutine_all_bt_10k_core", None): [("abs", 10.0)],
}

# Floors the table should show; absent ones are listed as unavailable.
EXPECTED_FLOORS = {
    "ctxswitch_asm": "x86-64 only",
    "ctxswitch_asm_jmp": "x86-64 only",
    "ctxswitch_asm_fpcsr": "x86-64 only",
    "ctxswitch_ucontext": "",
    "ctxswitch_pcl": "libpcl1-dev not installed when floors was built",
}


def parse_args():
    ap = argparse.ArgumentParser(description="gort benchmark harness")
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--filter", default="")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--timeout", type=float,
                    default=float(os.environ.get("BENCH_TIMEOUT", "180")))
    a = ap.parse_args()
    if a.reps is None:
        try:
            a.reps = int(os.environ.get("REPS", "3"))
        except ValueError:
            ap.error("REPS must be a whole number")
    if a.reps < 1:
        ap.error("REPS must be at least 1")
    try:
        a.filter_re = re.compile(a.filter, re.I)
    except re.error as e:
        ap.error("--filter %r: %s" % (a.filter, e))
    return a


def find_binaries(bindir, smoke):
    """[(impl, area, path)] of the benchmark binaries in bindir."""
    found = []
    if not os.path.isdir(bindir):
        return found
    for f in sorted(os.listdir(bindir)):
        path = os.path.join(bindir, f)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            continue
        m = BIN_RE.match(f)
        if m:
            found.append((m.group(1), m.group(2), path))
        elif f == "floors":
            found.append(("C", "floors", path))
    if smoke:
        found = [b for b in found if b[0] == "gort"]
    return found


def list_workloads(path):
    """[(name, [procs...])] from `path -list`, or raise RuntimeError."""
    try:
        p = subprocess.run([path, "-list"], capture_output=True, text=True,
                           timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RuntimeError("%s -list: %s" % (path, e))
    if p.returncode != 0:
        raise RuntimeError("%s -list: exit %d: %s" %
                           (path, p.returncode, p.stderr.strip()[:200]))
    out = []
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) != 2:
            raise RuntimeError("%s -list: bad line %r" % (path, line))
        procs = ["-"] if f[1] == "-" else f[1].split(",")
        if not all(x == "-" or x.isdigit() for x in procs):
            raise RuntimeError("%s -list: bad procs in %r" % (path, line))
        out.append((f[0], procs))
    return out


def run_one(path, name, procs, timeout, use_time, cpu=None):
    """Run one workload (pinned to cpu unless None); returns a dict with
    metrics, rss_kb, error."""
    env = dict(os.environ)
    env.pop("GOMAXPROCS", None)
    env.pop("GORTMAXPROCS", None)
    if procs != "-":
        env["GOMAXPROCS"] = procs
        env["GORTMAXPROCS"] = procs
    res = {"metrics": {}, "rss_kb": None, "error": None}
    tf = None
    cmd = [path, "-w", name]
    if use_time:
        fd, tf = tempfile.mkstemp(prefix="gort-bench-time-")
        os.close(fd)
        cmd = ["/usr/bin/time", "-v", "-o", tf] + cmd
    try:
        pin = None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))
        p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=timeout, preexec_fn=pin)
        if p.returncode != 0:
            res["error"] = "exit %d: %s" % (p.returncode, reason(p.stderr))
        for line in p.stdout.splitlines():
            f = line.split()
            try:
                if len(f) != 3:
                    raise ValueError
                res["metrics"][f[0]] = (float(f[1]), f[2])
            except ValueError:
                res["error"] = res["error"] or "bad output line %r" % line[:80]
        if not res["metrics"] and not res["error"]:
            res["error"] = "no output"
        if tf:
            with open(tf) as fh:
                for line in fh:
                    if "Maximum resident set size" in line:
                        res["rss_kb"] = int(line.rsplit(":", 1)[1])
    except subprocess.TimeoutExpired:
        res["error"] = "timeout after %.0f s" % timeout
    except OSError as e:
        res["error"] = str(e)
    finally:
        if tf:
            try:
                os.unlink(tf)
            except OSError:
                pass
    return res


def reason(stderr):
    """The line of a failed run's stderr that says why: a self-check, a
    fatal error or panic report (its first line, not the goroutine dump
    after it), else the last line."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in lines:
        if re.search(r"self-check|fatal error|panic|error", ln, re.I):
            return ln[:160]
    return lines[-1][:160] if lines else ""


def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 100:
        return "%.0f" % v
    if a >= 10:
        return "%.1f" % v
    return "%.2f" % v


def order_key(metric):
    try:
        return (ORDER.index(metric), metric)
    except ValueError:
        return (len(ORDER), metric)


def procs_key(p):
    return -1 if p == "-" else int(p)


def main():
    a = parse_args()
    use_time = not a.smoke
    if use_time and not os.access("/usr/bin/time", os.X_OK):
        sys.exit("run.py: /usr/bin/time is missing (Debian package `time`; "
                 "scripts/deps.sh bench installs it)")
    if a.smoke:
        a.reps = 1
        os.environ.setdefault("BENCH_SCALE", "0.001")
    bins = find_binaries(a.bindir, a.smoke)
    if not bins:
        sys.exit("run.py: no benchmark binaries in %s (run `make bench`)" %
                 a.bindir)

    problems = []
    # jobs[(area, name, procs)] = [(impl, path)]
    jobs = {}
    listed = {}
    for impl, area, path in bins:
        try:
            wl = list_workloads(path)
        except RuntimeError as e:
            problems.append(str(e))
            continue
        listed[(impl, area)] = [w for w, _ in wl]
        for name, procs_list in wl:
            for procs in procs_list:
                # Rows are matched by workload name across areas, so the
                # floors' iface_call sits with gort's and Go's.
                jobs.setdefault((name, procs), []).append((impl, area, path))
    # A workload is run, in every implementation, when the filter matches
    # AREA/NAME of any of them (BENCH=iface brings the floors' iface_call).
    # Opt-in areas (the debugger rows take minutes) run only when a filter
    # names them.
    jobs = {k: v for k, v in jobs.items()
            if any(a.filter_re.search("%s/%s" % (area, k[0])) and
                   (a.filter or area not in OPT_IN_AREAS)
                   for _, area, _ in v)}
    if not jobs:
        sys.exit("run.py: no workload matches %r" % a.filter)

    # results[(name, procs, impl)] = [run results]
    results = {}
    keys = sorted(jobs, key=lambda k: (order_key(k[0]), procs_key(k[1])))
    nruns = a.reps * sum(len(v) for v in jobs.values())
    done = 0
    t_start = time.time()
    cpus = sorted(os.sched_getaffinity(0))
    for rep in range(a.reps):
        for ki, key in enumerate(keys):
            impls = jobs[key]
            shift = (rep + ki) % len(impls)
            for impl, area, path in impls[shift:] + impls[:shift]:
                one = (key[1] == "1" or key[0] in ONE_THREAD or
                       (impl, area) in ONE_THREAD_AREAS)
                cpu = cpus[rep % len(cpus)] if one and not a.smoke else None
                r = run_one(path, key[0], key[1], a.timeout, use_time, cpu)
                results.setdefault((key[0], key[1], impl), []).append(r)
                done += 1
                status = r["error"] or " ".join(
                    "%s=%s" % (m, fmt(v)) for m, (v, _) in r["metrics"].items())
                if a.smoke and not r["error"]:
                    continue
                print("[%d/%d %4.0fs] rep %d %-5s %s/%s P=%s  %s" %
                      (done, nruns, time.time() - t_start, rep + 1, impl,
                       area, key[0], key[1], status),
                      file=sys.stderr, flush=True)
                if r["error"]:
                    problems.append("%s %s/%s P=%s rep %d: %s" %
                                    (impl, area, key[0], key[1], rep + 1,
                                     r["error"]))

    if a.smoke:
        # Timings at a tiny scale mean nothing: say what passed.
        print("check-bench: %d gort workload runs at BENCH_SCALE=%s, %d "
              "failed" % (done, os.environ["BENCH_SCALE"], len(problems)))
        for p in problems:
            print("  FAIL %s" % p)
        return 1 if problems else 0

    rows = aggregate(results)
    derived = derive(rows)
    lines = render(rows, derived, listed, a)
    text = "\n".join(lines) + "\n"
    if problems:
        text += "\nProblems:\n" + "".join("  %s\n" % p for p in problems)
    sys.stdout.write(text)
    if a.out and not a.smoke:
        # A filtered run keeps its own files, so it does not overwrite the
        # table of the last full run.
        stem = "results"
        if a.filter:
            stem += "-" + (re.sub(r"[^A-Za-z0-9]+", "_", a.filter).strip("_")
                           or "filtered")
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, stem + ".txt"), "w") as fh:
            fh.write(text)
        with open(os.path.join(a.out, stem + ".json"), "w") as fh:
            json.dump({"reps": a.reps, "filter": a.filter,
                       "rows": rows, "derived": derived,
                       "problems": problems}, fh, indent=1)
        print("\nwritten: %s/%s.txt, %s.json" % (a.out, stem, stem))
    return 1 if problems else 0


def aggregate(results):
    """Rows keyed "metric procs": per impl min/median/values, unit, rss."""
    rows = {}
    for (name, procs, impl), runs in results.items():
        rss = [r["rss_kb"] for r in runs if r["rss_kb"] is not None
               and not r["error"]]
        metrics = {}
        for r in runs:
            if r["error"]:
                continue
            for m, (v, unit) in r["metrics"].items():
                metrics.setdefault(m, (unit, []))[1].append(v)
        failed = sum(1 for r in runs if r["error"])
        for m, (unit, vals) in metrics.items():
            row = rows.setdefault("%s %s" % (m, procs), {
                "metric": m, "procs": procs, "unit": unit, "impl": {}})
            row["impl"][impl] = {
                "values": vals, "min": min(vals),
                "median": statistics.median(vals),
                "rss_mib": statistics.median(rss) / 1024 if rss else None,
                "failed_runs": failed}
        if not metrics:   # every run failed: keep a row to show it
            row = rows.setdefault("%s %s" % (name, procs), {
                "metric": name, "procs": procs, "unit": "", "impl": {}})
            row["impl"][impl] = {"values": [], "min": None, "median": None,
                                 "rss_mib": None, "failed_runs": failed}
    for row in rows.values():
        t = TARGETS.get((row["metric"], row["procs"])) or \
            TARGETS.get((row["metric"], None)) or []
        row["targets"] = []
        g = row["impl"].get("gort", {}).get("min")
        for ref, bound in t:
            if ref == "abs":
                val = g
            else:
                r = row["impl"].get(ref, {}).get("min")
                val = g / r if g is not None and r else None
            row["targets"].append({"ref": ref, "max": bound, "value": val,
                                   "pass": None if val is None
                                   else val <= bound})
    return rows


def derive(rows):
    """Targets that compare across rows: a goroutine switch against the bare
    register switch, and peak memory of the 1M-entry map against Go's."""
    out = []

    def get(metric, procs, impl, field="min"):
        return rows.get("%s %s" % (metric, procs), {}).get(
            "impl", {}).get(impl, {}).get(field)

    # One yield in the p1 ping-pong is one goroutine switch; a round trip of
    # ctxswitch_asm is two register switches.
    y = get("yield_pingpong", "1", "gort")
    f = get("ctxswitch_asm", "-", "C")
    out.append({"what": "goroutine switch (yield_pingpong P=1, ns/yield) vs "
                "bare asm switch (ctxswitch_asm / 2)",
                "gort": y, "ref": f / 2 if f else None,
                "ratio": y / (f / 2) if y and f else None, "max": 2.0})
    g = get("map_insert_int64", "-", "gort", "rss_mib")
    r = get("map_insert_int64", "-", "go", "rss_mib")
    out.append({"what": "peak RSS of map_insert_int64 (1M entries, MiB) vs Go",
                "gort": g, "ref": r,
                "ratio": g / r if g and r else None, "max": 1.0})
    for d in out:
        d["pass"] = None if d["ratio"] is None else d["ratio"] <= d["max"]
    return out


def render(rows, derived, listed, a):
    present = [i for i in IMPLS if any(i in r["impl"] for r in rows.values())]
    head = ["metric", "P", "unit"] + \
        ["%s min/med" % i for i in present] + \
        ["gort/ref (min)", "target", "ok", "peak RSS MiB (median)"]
    table = [head]
    for key in sorted(rows, key=lambda k: (order_key(rows[k]["metric"]),
                                           procs_key(rows[k]["procs"]))):
        row = rows[key]
        cells = [row["metric"], row["procs"], row["unit"]]
        for i in present:
            d = row["impl"].get(i)
            if d is None:
                cells.append("")
            elif d["min"] is None:
                cells.append("FAILED")
            else:
                cells.append("%s / %s%s" % (fmt(d["min"]), fmt(d["median"]),
                                            "!" if d["failed_runs"] else ""))
        ratios = []
        if "gort" in row["impl"]:
            g = row["impl"]["gort"]["min"]
            for ref in REFS:
                r = row["impl"].get(ref, {}).get("min")
                if g is not None and r:
                    ratios.append("%s %.2f" % (ref, g / r))
        cells.append(", ".join(ratios))
        tg, ok = [], []
        for t in row["targets"]:
            tg.append("<=%g%s" % (t["max"], "" if t["ref"] == "abs"
                                  else "x " + t["ref"]))
            ok.append({None: "?", True: "pass", False: "MISS"}[t["pass"]])
        cells.append(", ".join(tg))
        cells.append(",".join(ok))
        cells.append(" ".join("%s %s" % (i, fmt(row["impl"][i]["rss_mib"]))
                              for i in present if i in row["impl"]))
        table.append(cells)
    widths = [max(len(r[c]) for r in table) for c in range(len(head))]
    lines = ["gort benchmarks: %d rep(s)%s; min / median of each; ratio from "
             "minimums; '!' = some runs failed" %
             (a.reps, ", filter %r" % a.filter if a.filter else ""), ""]
    for i, r in enumerate(table):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    shown = [d for d in derived if d["gort"] is not None or d["ref"] is not None]
    if shown:                 # a filtered run may have run neither side
        lines.append("Targets across rows:")
    for d in shown:
        lines.append("  %s:\n      gort %s, ref %s, ratio %s (target <= %g): %s" % (
            d["what"], fmt(d["gort"]), fmt(d["ref"]),
            "-" if d["ratio"] is None else "%.2f" % d["ratio"], d["max"],
            {None: "?", True: "pass", False: "MISS"}[d["pass"]]))
    floors = listed.get(("C", "floors"))
    if floors is not None:
        missing = [(f, why) for f, why in EXPECTED_FLOORS.items()
                   if f not in floors]
        for f, why in missing:
            lines.append("  %s: unavailable (%s)" % (f, why or "not built"))
    if not listed.get(("gort", "sched")) and not a.smoke:
        lines.append("  (no gort binaries found: libgort did not build, so "
                     "the gort column is empty)")
    return lines


if __name__ == "__main__":
    sys.exit(main())
