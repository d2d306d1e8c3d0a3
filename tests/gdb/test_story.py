"""Every command and printer of the extension on tests/gdb/progs/gdbstory.c,
live (stopped at story_ready), from a gcore and from a kernel core of its
abort().  The program's header comment lists the goroutines and data; the
expectations here are what a person reads for each of them.
"""

import re

import pytest

from conftest import (abort_core, built, copy_prog, gcore_at_story, goroutine_lines,
                      gort_core, no_python_errors, session)

COMMANDS = [
    "info goroutines",
    "info goroutines -g",
    "info goroutines -c",
    'info goroutines -s waiting -r "chan send"',
    "info goroutines -s running",
    "goroutine 2",
    "bt",
    "frame function wait_for_value",
    "info locals",
    "up",
    "info frame",
    "down",
    "frame 3",
    "frame 0",
    "frame",
    "down 1",
    "up 1",
    "down 2",
    "gort defers",
    "goroutine none",
    "bt 1",
    "goroutine 14 bt",
    "goroutine 4 frame function send_worker",
    "goroutine 4",
    "frame function send_worker",
    "info locals -q",
    "goroutine 0",
    "goroutine 1 bt",
    "goroutine all bt 1",
    "goroutine all bt",
    "goroutine 99",
    "goroutine",
    "p unbuf",
    "p full",
    "p closedch",
    "p selch",
    "p bothch",
    "gort defers 15",
    "gort defers 2",
    "gort defers all",
    "gort defers 99",
    "gort map-stats greeting",
    "gort map-stats unbuf",
    "gort map-stats *ages",
    "p ages",
    "set print elements unlimited",
    "p growing",
    "set print elements 200",
    "p growing_n",
    "p $len(growing)",
    "gort map-stats growing",
    "p boxed_point",
    "p nil_any",
    "p shape",
    "p $dtype(shape)",
    "p $dtype(boxed_point)",
    "p closure",
    "p closure_fv",
    "p greeting",
    "p $len(ages)",
    "set output-radix 16",
    "output ages",
    "set output-radix 10",
    "p $len(full)",
    "p $cap(full)",
    "p $len(greeting)",
    "p gort_allgs[1]",
    "gort chans",
    "gort waitgraph",
    # garbage handed to every printer and function
    "p (struct hmap *)0x10",
    "p (struct hchan *)8",
    "p (struct g *)1",
    "p (struct funcval *)0x1234",
    "p (struct hmap *)&greeting",
    "p (struct hchan *)&greeting",
    "p *(struct eface *)&greeting",
    "p *(struct iface *)&ages",
    "p *(gort_string *)&ages",
    "p $len((struct hmap *)0x10)",
    "p $dtype(greeting)",
    "gort map-stats (struct hmap *)0x10",
    "goroutine banana",
]

MODES = ["live", "gcore", "kcore"]


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("story")
    prog = copy_prog(built("tests/gdb/gdbstory"), tmp)
    return {
        "prog": prog,
        "gcore": gcore_at_story(prog, [], str(tmp / "story.gcore")),
        "kcore": abort_core(prog, ["abort"], tmp),
    }


@pytest.fixture(scope="module", params=MODES)
def out(request, story):
    mode = request.param
    core = None if mode == "live" else story[mode]
    res = session(story["prog"], COMMANDS, core=core)
    res["__mode__"] = mode
    return res


def test_no_traceback_anywhere(out):
    no_python_errors(out["__all__"])


def test_extension_auto_loaded(out):
    assert "info goroutines" not in out["info goroutines"] or \
        "Undefined" not in out["info goroutines"]
    assert "Undefined info command" not in out["__all__"]


EXPECTED = {
    2: ("waiting", "[chan receive", "wait_for_value at "),
    3: ("waiting", "[chan receive", "wait_for_value at "),
    4: ("waiting", "[chan send", "send_worker at "),
    5: ("waiting", "[chan send", "send_worker at "),
    6: ("waiting", "[chan receive (nil chan)", "nil_receiver at "),
    7: ("waiting", "[chan send (nil chan)", "nil_sender at "),
    8: ("waiting", "[select", "selector at "),
    9: ("waiting", "[mutex", "mutex_waiter at "),
    10: ("waiting", "[waitgroup", "wg_waiter at "),
    11: ("waiting", "[sleep", "sleeper at "),
    12: ("waiting", "[mutex", "lock_a at "),
    13: ("waiting", "[mutex", "lock_b at "),
    14: ("waiting", "[chan receive", "counter_fn at "),
    15: ("waiting", "[chan receive", "deferrer at "),
    16: ("waiting", "[select", "both_ways at "),
}
LAST = max(EXPECTED)


def test_info_goroutines(out):
    lines = goroutine_lines(out["info goroutines"])
    assert sorted(lines) == list(range(1, LAST + 1)), out["info goroutines"]
    for goid, words in EXPECTED.items():
        line = lines[goid]
        for w in words:
            assert w in line, line
        assert "gdbstory.c:" in line
        assert not line.startswith("*")
    # goroutine 1 runs on a thread at the story point (live and gcore); in
    # the kernel core it is the one that called abort(): its user frame.
    assert lines[1].startswith("*")
    assert " running " in lines[1]
    assert "story_" in lines[1] and "gdbstory.c:" in lines[1]


def _first_user_frames(bt):
    """{goroutine id: `function at file:line`} of the first frame outside
    runtime/ in each section of `goroutine all bt`."""
    frames = {}
    for sec in re.split(r"^goroutine (?=\d+ \()", bt, flags=re.M)[1:]:
        goid = int(sec.split(" ", 1)[0])
        for line in sec.splitlines()[1:]:
            m = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*\) at (\S+):(\d+)$", line)
            if m and not m.group(2).startswith("runtime/"):
                frames[goid] = "%s at %s:%s" % m.groups()
                break
    return frames


def test_listing_agrees_with_bt(out):
    """The listing names a parked goroutine's frame from g->waitpc, without
    reading its stack; it must be the frame the full unwind finds."""
    lines = goroutine_lines(out["info goroutines"])
    frames = _first_user_frames(out["goroutine all bt"])
    waiting = [g for g, line in lines.items() if " waiting " in line]
    assert len(waiting) >= 14, out["info goroutines"]
    for goid in waiting:
        assert goid in frames, (goid, out["goroutine all bt"][:3000])
        assert lines[goid].endswith("  " + frames[goid]), (lines[goid], frames[goid])


def test_wait_times(out):
    lines = goroutine_lines(out["info goroutines"])
    for goid in EXPECTED:
        assert re.search(r"\[[^]]+, \d+(\.\d)?(ms|s)\]", lines[goid]), lines[goid]
    if out["__mode__"] != "live":
        assert "relative to the most recently parked" in out["info goroutines"]


def test_filters(out):
    lines = goroutine_lines(out['info goroutines -s waiting -r "chan send"'])
    assert sorted(lines) == [4, 5, 7], out['info goroutines -s waiting -r "chan send"']
    assert sorted(goroutine_lines(out["info goroutines -s running"])) == [1]


def test_group(out):
    text = out["info goroutines -g"]
    assert re.search(r"^2 goroutines waiting \[chan receive\]: 2 3$", text, re.M), text
    assert re.search(r"^2 goroutines waiting \[chan send\]: 4 5$", text, re.M), text
    # the group's stack, user frames only, innermost first
    block = text.split("2 goroutines waiting [chan receive]: 2 3\n")[1].splitlines()
    assert "wait_for_value at" in block[0] and "recv_worker at" in block[1], text


def test_created_by(out):
    lines = goroutine_lines(out["info goroutines -c"])
    for goid in EXPECTED:
        assert re.search(r"created by story_main at .*gdbstory\.c:\d+ in goroutine 1$",
                         lines[goid]), lines[goid]


def test_select_goroutine_bt(out):
    assert "[Switching to goroutine 2 (waiting)]" in out["goroutine 2"]
    bt = out["bt"]
    frames = re.findall(r"^#(\d+) .* in (\w+) \(", bt, re.M)
    names = [f[1] for f in frames]
    assert "wait_for_value" in names and "recv_worker" in names, bt
    assert names.index("wait_for_value") + 1 == names.index("recv_worker")
    # the thread's own frame is hidden: no story_ready in a parked goroutine
    assert "story_ready" not in bt
    assert "#0 " not in bt
    # the goroutine's stack ends cleanly at its entry
    assert "?? ()" not in bt and "corrupt stack" not in bt


def test_frame_commands_inside_goroutine(out):
    assert "wait_for_value (c=" in out["frame function wait_for_value"]
    assert "expect = 1001" in out["info locals"], out["info locals"]
    assert "recv_worker (arg=0x1)" in out["up"]
    assert "recv_worker (gdbstory.c" in out["info frame"] or \
        "in recv_worker" in out["info frame"], out["info frame"]
    assert "wait_for_value (c=" in out["down"]
    # frame K selects the K'th frame of the goroutine's backtrace
    k3 = re.search(r"^#3 .* in (\w+) \(", out["bt"], re.M).group(1)
    assert re.search(r"^#3 .* in %s \(" % k3, out["frame 3"], re.M), out["frame 3"]


def test_frames_stay_inside_goroutine(out):
    # #1 is the goroutine's innermost frame; #0, the thread's own, is hidden
    innermost = re.search(r"^#1 .* in (\w+) \(", out["bt"], re.M).group(1)
    assert "is the thread's own frame, hidden while goroutine 2 is selected" in out["frame 0"]
    assert re.search(r"^#1 .* in %s \(" % innermost, out["frame 0"], re.M), out["frame 0"]
    assert re.search(r"^#1 .* in %s \(" % innermost, out["frame"], re.M), out["frame"]
    assert "story_ready" not in out["frame"]
    assert "Bottom (innermost) frame selected; you cannot go down." in out["down 1"]
    assert "#0 " not in out["down 1"]
    assert re.search(r"^#2 ", out["up 1"], re.M), out["up 1"]
    # a `down` that would land on #0 anyway ends on #1
    assert re.search(r"^#1 .* in %s \(" % innermost, out["down 2"], re.M), out["down 2"]
    assert "the thread's own frame" in out["down 2"]


def test_defers(out):
    text = out["gort defers 15"]
    assert re.search(r"^goroutine 15: 3 pending defers, in run order:\n"
                     r"  1\. func farewell_fn at .*gdbstory\.c:\d+ = "
                     r"\{code = 7, word = \"bye\"\}\n"
                     r"  2\. note_done at .*gdbstory\.c:\d+ \(arg = 0x[0-9a-f]+ <note_b>\)\n"
                     r"  3\. note_done at .*gdbstory\.c:\d+ \(arg = 0x[0-9a-f]+ <note_a>\)$",
                     text.strip()), text
    assert "goroutine 2 has no pending defers." in out["gort defers 2"]
    # `all` lists only goroutines that have some
    alltext = out["gort defers all"]
    assert re.findall(r"^goroutine (\d+):", alltext, re.M) == ["15"], alltext
    assert "No goroutine 99." in out["gort defers 99"]
    # no argument: the selected goroutine (2, in the COMMANDS above)
    assert "goroutine 2 has no pending defers." in out["gort defers"]


def test_deselect(out):
    # back on the thread: its frame 0 is the thread's (story_ready live,
    # abort's frames in the kernel core)
    assert "cleared" in out["goroutine none"]
    assert re.search(r"^#0 ", out["bt 1"], re.M), out["bt 1"]
    assert "wait_for_value" not in out["bt 1"]


def test_goroutine_cmd(out):
    bt = out["goroutine 14 bt"]
    assert "counter_fn (c=" in bt and "func counter_fn at" in bt, bt
    assert "send_worker (arg=0x1)" in out["goroutine 4 frame function send_worker"]
    assert "v = 301" in out["info locals -q"], out["info locals -q"]
    assert "cleared" in out["goroutine 0"]
    assert "story_main" in out["goroutine 1 bt"]
    allbt = out["goroutine all bt 1"]
    for goid in range(1, LAST + 1):
        assert "goroutine %d (" % goid in allbt
    assert "No goroutine 99." in out["goroutine 99"]
    assert "No goroutine selected" in out["goroutine"]
    assert "not a goroutine id" in out["goroutine banana"]


def test_channels(out):
    unbuf = out["p unbuf"]
    assert re.search(r"chan int64_t, len 0, cap 0, waiting to receive: goroutines "
                     r"[238 ()select]+$", unbuf.strip()), unbuf
    for g in ("2", "3", "8 (select)"):
        assert g in unbuf
    assert "waiting to send" not in unbuf
    # 4 and 5 start together: with two workers either may queue first
    assert re.search(r"chan int64_t, len 2, cap 2, waiting to send: goroutines (4 5|5 4) = \{100, 200\}",
                     out["p full"]), out["p full"]
    assert 'chan gort_string, len 2, cap 3, closed = {"x", "y"}' in out["p closedch"]
    assert "waiting to receive: goroutines 8 (select)" in out["p selch"]
    # one goroutine selecting both ways on one channel sits on both queues
    assert ("chan int64_t, len 0, cap 0, waiting to receive: goroutines 16 (select), "
            "waiting to send: goroutines 16 (select)") in out["p bothch"], out["p bothch"]
    assert "= 2" in out["p $len(full)"] and "= 2" in out["p $cap(full)"]


def test_ages_map(out):
    text = out["p ages"]
    assert "map[gort_string]int64_t with 3 entries" in text, text
    pairs = dict(re.findall(r'\["(\w+)"\] = (\d+)', text))
    assert pairs == {"alice": "31", "bob": "42", "carol": "27"}, text
    assert "dave" not in text          # deleted entries are not shown
    assert "= 3" in out["p $len(ages)"]
    # Integers are handed to gdb as decimal text only when gdb would print
    # decimal: under output-radix 16 they are gdb's own hex.
    hexed = dict(re.findall(r'\["(\w+)"\] = (\w+)', out["output ages"]))
    assert hexed == {"alice": "0x1f", "bob": "0x2a", "carol": "0x1b"}, out["output ages"]


def test_growing_map_exactly_once(out):
    text = out["p growing"]
    assert "(growing)" in text, text[:300]
    n = int(re.search(r"= (\d+)", out["p growing_n"]).group(1))
    pairs = re.findall(r"\[(\d+)\] = (\d+)", text)
    keys = [int(k) for k, _ in pairs]
    assert len(keys) == len(set(keys)), "an entry shown twice"
    assert set(keys) == {k for k in range(n) if k % 7}, "entries missing or deleted ones shown"
    assert all(int(v) == int(k) ** 2 for k, v in pairs)
    assert int(re.search(r"= (\d+)", out["p $len(growing)"]).group(1)) == len(keys)
    stats = out["gort map-stats growing"]
    m = re.search(r"growing: (\d+) of (\d+) old buckets evacuated", stats)
    assert m and int(m.group(1)) < int(m.group(2)), stats
    assert "count %d (live slots found: %d)" % (len(keys), len(keys)) in stats


def test_interfaces(out):
    assert "(struct point) {x = 3, y = 4}" in out["p boxed_point"]
    assert "= nil" in out["p nil_any"]
    assert "(Shape: struct circle) {r = 2}" in out["p shape"], out["p shape"]
    assert "{r = 2}" in out["p $dtype(shape)"]
    assert "{x = 3, y = 4}" in out["p $dtype(boxed_point)"]


def test_closures_and_strings(out):
    for cmd in ("p closure", "p closure_fv"):
        assert re.search(r'func counter_fn at .*gdbstory\.c:\d+ = \{step = 3, label = "tick"\}',
                         out[cmd]), out[cmd]
    assert '"hello, gdb"' in out["p greeting"]
    assert "= 10" in out["p $len(greeting)"]


def test_g_printer(out):
    assert re.search(r"\(struct g \*\) 0x[0-9a-f]+ goroutine 2 waiting \[chan receive\]$",
                     out["p gort_allgs[1]"].strip()), out["p gort_allgs[1]"]


def test_gort_chans(out):
    text = out["gort chans"]
    assert re.search(r"chan int64_t, len 2, cap 2, waiting to send: goroutines (4 5|5 4) = \{100, 200\}",
                     text), text
    assert 'chan gort_string, len 2, cap 3, closed = {"x", "y"}' in text
    assert "waiting to receive: goroutines 14" in text
    assert re.search(r"^0x[0-9a-f]+ chan int64_t, len 0, cap 0, waiting to receive: goroutines "
                     r"16 \(select\), waiting to send: goroutines 16 \(select\)$", text, re.M), text
    assert "nil channel: goroutine 6 [chan receive (nil chan)]" in text
    assert "nil channel: goroutine 7 [chan send (nil chan)]" in text


def test_waitgraph(out):
    text = out["gort waitgraph"]
    assert re.search(r"^%d goroutines, %d blocked$" % (LAST, LAST - 2), text, re.M), text
    # exact edges: mutex owners, and partners queued on the other queue
    assert "\ndeadlock cycle: g12 -> g13 -> g12\n" in text, text
    assert re.search(r"^  g12 \[mutex\] -> g13  \(owns mutex 0x[0-9a-f]+\)$", text, re.M)
    assert re.search(r"^  g9 \[mutex\] -> g1  \(owns mutex 0x[0-9a-f]+\)$", text, re.M)
    assert re.search(r"^  g8 \[select\] -> g2  \(queued on channel 0x[0-9a-f]+\)$", text, re.M)
    # blocked with nobody to wake them; sleeping and running ones are not blocked
    # (a nil-channel wait has no object anybody could hold: no guessed edge)
    for g, words in ((6, "chan receive (nil chan)"), (7, "chan send (nil chan)")):
        assert "  g%d [%s]: no goroutine known to end this wait" % (g, words) in text, text
    assert not re.search(r"^  g(1|11) ", text, re.M), text
    assert text.strip().endswith("not all goroutines are blocked")


def test_waitgraph_same_as_gort_core(out, story):
    """gdb and gort-core name the same edges and cycles, word for word."""
    if out["__mode__"] == "live":
        pytest.skip("gort-core reads core files only")
    core = story[out["__mode__"]]
    want = gort_core(story["prog"], core, "waitgraph")
    assert out["gort waitgraph"].strip() == want.strip()


def test_garbage_pointers(out):
    assert "<corrupt: " in out["p (struct hmap *)0x10"]
    assert "<corrupt: " in out["p (struct hchan *)8"]
    assert "<corrupt: " in out["p (struct g *)1"]
    assert "<corrupt: " in out["p (struct funcval *)0x1234"]
    assert "<corrupt: " in out["p (struct hmap *)&greeting"]
    assert "<corrupt: " in out["p (struct hchan *)&greeting"]
    assert "<corrupt: " in out["p *(struct eface *)&greeting"]
    assert "<corrupt: " in out["p *(struct iface *)&ages"]
    assert "$" in out["p *(gort_string *)&ages"]        # printed, marker or text
    assert "<corrupt: " in out["p $len((struct hmap *)0x10)"]
    assert "is not an interface" in out["p $dtype(greeting)"]
    assert "<corrupt: " in out["gort map-stats (struct hmap *)0x10"]
    for cmd, t in (("gort map-stats greeting", "gort_string"),
                   ("gort map-stats unbuf", "struct hchan \\*")):
        assert re.search(r"gort map-stats: %s is not a struct hmap \*" % t, out[cmd]), out[cmd]
    assert "map[gort_string]int64_t at 0x" in out["gort map-stats *ages"]
