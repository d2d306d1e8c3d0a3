"""The samples others wrote, each checked against the story in its header
comment, live at story_ready() and from a core file: a gcore taken there,
and for deadlock.c the kernel core its own abort() leaves (the runtime's
deadlock report).
"""

import re

import pytest

from conftest import (abort_core, built, copy_prog, gcore_at_story, goroutine_lines,
                      gort_core, no_python_errors, session)


def sample_outputs(name, commands, tmp, kernel=False):
    prog = copy_prog(built("samples/" + name), tmp)
    outs = {"live": session(prog, commands)}
    outs["gcore"] = session(prog, commands, core=gcore_at_story(prog, [], str(tmp / "g.core")))
    if kernel:
        core = abort_core(prog, [], tmp)
        outs["kcore"] = session(prog, commands, core=core)
        outs["kcore"].update(__prog__=prog, __core__=core)
    for o in outs.values():
        no_python_errors(o["__all__"])
    return outs


def test_deadlock(tmp_path):
    cmds = ["info goroutines", "p alice_inbox", "p messages", "goroutine 3 frame function bob",
            "gort waitgraph", "goroutine 2 bt"]
    for mode, o in sample_outputs("deadlock", cmds, tmp_path, kernel=True).items():
        lines = goroutine_lines(o["info goroutines"])
        assert "[chan receive" in lines[2] and "alice at" in lines[2], (mode, lines)
        assert "[chan receive" in lines[3] and "bob at" in lines[3], (mode, lines)
        if mode == "kcore":        # main waits on the wait group: the deadlock
            assert "[waitgroup" in lines[1], lines[1]
            assert "all goroutines are blocked: deadlock" in o["gort waitgraph"]
            # gdb names the cycles gort-core names on the same core
            assert o["gort waitgraph"].strip() == gort_core(o["__prog__"], o["__core__"],
                                                            "waitgraph").strip()
        assert "chan int64_t, len 0, cap 0, waiting to receive: goroutines 2" in o["p alice_inbox"]
        assert re.search(r'chan gort_string, len 2, cap 4 = \{"\w+: waiting for \w+ to say hello", '
                         r'"\w+: waiting for \w+ to say hello"\}', o["p messages"]), o["p messages"]
        assert "bob (" in o["goroutine 3 frame function bob"]
        assert re.search(r"in alice \(", o["goroutine 2 bt"])


def test_pipeline(tmp_path):
    cmds = ["info goroutines", "p jobs", "p results", "goroutine 2 bt"]
    for mode, o in sample_outputs("pipeline", cmds, tmp_path).items():
        lines = goroutine_lines(o["info goroutines"])
        assert "[chan send" in lines[2] and "producer at" in lines[2]
        for w in (3, 4, 5, 6):
            assert "[chan send" in lines[w] and "worker at" in lines[w]
        assert "[waitgroup" in lines[7] and "closer at" in lines[7]
        assert ("chan struct job, len 4, cap 4, waiting to send: goroutines 2 = "
                "{{id = 7, n = 7}, {id = 8, n = 8}, {id = 9, n = 9}, {id = 10, n = 10}}") in o["p jobs"]
        assert re.search(r"chan struct result, len 2, cap 2, waiting to send: goroutines "
                         r"[3-6] [3-6] [3-6] [3-6] = \{\{id = ", o["p results"]), o["p results"]
        assert "chansend" in o["goroutine 2 bt"] and " in producer (" in o["goroutine 2 bt"]


def test_mapcache(tmp_path):
    cmds = ["set print elements unlimited", "p *sessions", "p *hits_by_hour",
            "gort map-stats sessions", "p $len(sessions)"]
    for mode, o in sample_outputs("mapcache", cmds, tmp_path).items():
        text = o["p *sessions"]
        assert "map[gort_string]struct session with 420 entries (growing)" in text
        users = re.findall(r'\["user:(\d{4})"\] = \{userid = (\d+),', text)
        assert sorted(int(u) for u, _ in users) == list(range(420)), "each user exactly once"
        assert all(int(u) == int(i) for u, i in users)
        assert "map[int64_t]int64_t with 24 entries" in o["p *hits_by_hour"]
        assert len(re.findall(r"\[\d+\] = \d+", o["p *hits_by_hour"])) == 24
        m = re.search(r"growing: (\d+) of 64 old buckets evacuated", o["gort map-stats sessions"])
        assert m and int(m.group(1)) < 64, o["gort map-stats sessions"]
        assert "= 420" in o["p $len(sessions)"]


def test_shapes(tmp_path):
    cmds = ["up", "p shape", "p shapes", "p things", "p adder", "p *adder", "p $dtype(shape)",
            "p gate", "info goroutines"]
    for mode, o in sample_outputs("shapes", cmds, tmp_path).items():
        assert "(Shape: struct circle) {r = 2}" in o["p shape"]
        assert re.search(r"\(Shape: struct label \*\) 0x[0-9a-f]+ <title>", o["p shapes"])
        things = o["p things"]
        for w in ("(struct square) {side = 3}", "(int64_t) 42", '(gort_string) "hello"',
                  "(double) 2.5", "nil"):
            assert w in things, things
        assert re.search(r"func adder_step at .*shapes\.c:\d+ = \{k = 20, total = 20, gate = chan",
                         o["p adder"]), o["p adder"]
        assert "k = 20, total = 20" in o["p *adder"]
        assert "{r = 2}" in o["p $dtype(shape)"]
        lines = goroutine_lines(o["info goroutines"])
        waiting = [g for g, l in lines.items() if "[chan receive" in l and "adder_step at" in l]
        assert len(waiting) == 3
        for g in waiting:
            assert str(g) in o["p gate"]
