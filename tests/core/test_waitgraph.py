"""gort-core waitgraph on rings of goroutines deadlocked on mutexes
(tests/core/progs/ring.c, the real runtime): long cycles are reported whole
or marked cut, never closed early; cycles beyond the limit are counted.

ring N R: R rings of N goroutines, goroutine ids 2.. in ring order; each
holds its own mutex and waits for its neighbour's (owner edges: exact).
"""
import re
import struct
import subprocess

import pytest

from conftest import run_core
from test_core import check_lost_heap
from test_robust import g_addresses, offsetof, patch

CORE_KINDS = ["kernel", "gdb"]
LIMIT_CYCLE_LEN = 64    # dwarf/core/waitgraph.c
LIMIT_CYCLES = 64


def ring_edges(n, rings):
    """{(from, to)} of the owner edges ring N R must show."""
    out = set()
    for k in range(n * rings):
        base = k - k % n
        out.add((2 + k, 2 + base + (k % n + 1) % n))
    return out


def owner_edges(d):
    return {(e["from"], e["to"]) for e in d["edges"] if e["kind"] == "owner"}


@pytest.mark.parametrize("kind", CORE_KINDS)
def test_ring_of_100_is_cut_not_closed(cores, kind, validate):
    b, c = cores(f"{kind}:ring@100")
    check_lost_heap(b, c)
    r = run_core(b, c, "waitgraph")
    assert r.rc == 0, r.err + r.out[-2000:]
    cyc = [l for l in r.out.splitlines() if "deadlock cycle:" in l]
    assert len(cyc) == 1, cyc
    shown = " -> ".join(f"g{i}" for i in range(2, 2 + LIMIT_CYCLE_LEN))
    assert cyc[0] == (f"deadlock cycle: {shown} -> ... <truncated: 100 goroutines in the "
                      f"cycle, first {LIMIT_CYCLE_LEN} shown>"), cyc[0]
    assert "all goroutines are blocked: deadlock" in r.out
    d = run_core("--json", b, c, "waitgraph").json()
    validate(d)
    assert owner_edges(d) == ring_edges(100, 1)
    assert d["cycles"] == [{"goroutines": list(range(2, 2 + LIMIT_CYCLE_LEN)), "certain": True,
                            "length": 100, "truncated": True}]
    assert d["cycles_dropped"] == 0 and d["all_blocked"] is True


@pytest.mark.parametrize("kind", CORE_KINDS)
def test_ring_of_10_whole(cores, kind, validate):
    b, c = cores(f"{kind}:ring@10")
    check_lost_heap(b, c)
    r = run_core(b, c, "waitgraph")
    assert r.rc == 0, r.err
    ring = " -> ".join(f"g{i}" for i in list(range(2, 12)) + [2])
    assert f"\ndeadlock cycle: {ring}\n" in r.out, r.out
    assert "truncated" not in r.out
    d = run_core("--json", b, c, "waitgraph").json()
    validate(d)
    assert d["cycles"] == [{"goroutines": list(range(2, 12)) + [2], "certain": True,
                            "length": 10, "truncated": False}]
    # goroutine 1 waits on a waitgroup for its children: a guessed edge to
    # each of them ("child", or "holds" where a child's stack happens to
    # reference the waitgroup: one edge per pair, the more certain kind)
    from1 = [e for e in d["edges"] if e["from"] == 1]
    assert sorted(e["to"] for e in from1) == list(range(2, 12))
    assert {e["kind"] for e in from1} <= {"child", "holds"}


def test_more_cycles_than_the_limit(cores, validate):
    """70 rings of 2: 64 listed, 6 counted as left out."""
    b, c = cores("kernel:ring@2,70")
    r = run_core(b, c, "waitgraph")
    assert r.rc == 0, r.err
    cyc = re.findall(r"^deadlock cycle: g(\d+) -> g(\d+) -> g(\d+)$", r.out, re.M)
    assert len(cyc) == LIMIT_CYCLES
    assert all(int(a) % 2 == 0 and int(z) == int(a) + 1 and a == e for a, z, e in cyc)
    assert f"(6 more cycles not listed: at most {LIMIT_CYCLES})" in r.out
    d = run_core("--json", b, c, "waitgraph").json()
    validate(d)
    assert len(d["cycles"]) == LIMIT_CYCLES and d["cycles_dropped"] == 6
    assert owner_edges(d) == ring_edges(2, 70)


def test_unlocked_mutex_owner_is_not_an_edge(cores, tmp_path, validate):
    """gort_mutex_unlock leaves mu->owner as it was (runtime/sema.c): an
    owner is only believed while the state word says locked.  In a ring of
    3, g2's mutex (the one g4 waits for) is made to look unlocked: g4's
    owner edge to g2 goes, and with it the cycle."""
    b, c = cores("kernel:ring@3")
    d = run_core("--json", b, c, "waitgraph").json()
    assert owner_edges(d) == ring_edges(3, 1)
    ga = g_addresses(b, c)
    # g4 waits for g2's mutex: its waitobj
    out = subprocess.run(["gdb", "-nx", "-batch", "-ex",
                          "p/x ((struct g *)%#x)->waitobj" % ga[4], b, c],
                         capture_output=True, text=True, timeout=60).stdout
    mu = int(out.strip().split()[-1], 16)
    damaged = patch(c, tmp_path / "core", {mu + offsetof(b, "gort_mutex", "state"):
                                           struct.pack("<I", 0)})
    d2 = run_core("--json", b, damaged, "waitgraph").json()
    validate(d2)
    assert owner_edges(d2) == ring_edges(3, 1) - {(4, 2)}, owner_edges(d2)
    assert d2["cycles"] == []
