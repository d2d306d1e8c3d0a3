"""Every sample tells a story; these checks make sure a person debugging it
can read that story, through gdb (live and from a core file) and through
gort-core, the way a CI pipeline would run them.

Each story names the commands a person would type and what they must see.
Two kinds of check:
  - story checks: the facts of the story (the stuck goroutines, the cycle,
    the full channel and its waiting senders, the map mid-growth), asserted
    directly on the output;
  - golden files (tests/samples/golden/): the whole output of each command,
    normalised (addresses, times, thread ids), so any change of what a
    person reads is seen in review.  `make update-golden` rewrites them.
"""
import os
import re

import pytest

from conftest import (BUILD, check_golden, make_core, run_gdb, run_gort_core,
                      sample_path)


class Story:
    def __init__(self, name, aborts, gdb, core_tool, checks, extra_norm=(),
                 args=(), live=True, nogolden=()):
        self.name = name
        self.aborts = aborts          # the sample aborts by itself (deadlock, panic)
        self.gdb = gdb                # gdb commands, run live and on the core
        self.core_tool = core_tool    # gort-core subcommands (lists of args)
        self.checks = checks          # {command: [regexps that must match]}
        self.extra_norm = extra_norm  # more (regexp, replacement) for goldens
        self.args = args
        self.live = live
        self.nogolden = set(nogolden)  # commands whose full output varies run to run


STORIES = [
    Story("orders", aborts=True,
          gdb=["info goroutines", "goroutine 2 bt", "print events", "print stock"],
          core_tool=[["goroutines"], ["waitgraph"], ["chans"]],
          checks={
              "report": [r"fatal error: all goroutines are asleep - deadlock!",
                         r"goroutine 2 \[mutex\]"],
              "info goroutines": [r"\b2 waiting \[mutex.*take at samples/orders\.c:\d+",
                                  r"\b3 waiting \[mutex.*take at samples/orders\.c:\d+",
                                  r"\b5 waiting \[chan send.*announce at samples/orders\.c"],
              "goroutine 2 bt": [r"in take \(.*orders\.c:\d+",
                                 r"in ship_order \(.*item=\"teapot\".*orders\.c:\d+",
                                 r"in shipper \("],
              "print events": [r"chan struct event, len 4, cap 4",
                               r"waiting to send: goroutines (5 6|6 5)",
                               r"what = \"new order\""],
              "print stock": [r"map\[gort_string\]int64_t with 5 entries",
                              r"\[\"teapot\"\] = 9", r"\[\"spoon\"\] = 50"],
              "gort-core waitgraph": [r"deadlock cycle: g2 -> g3 -> g2"],
              "gort-core goroutines": [r"\b2\b.*waiting.*mutex", r"\b6\b.*waiting.*chan send"],
              "gort-core chans": [r"struct event", r"len 4", r"cap 4"],
          },
          extra_norm=[(r"order = \d+", "order = N"), (r"goroutines (5 6|6 5)", "goroutines 5 6"),
                      (r"g[56] g[56]", "g5 g6"), (r"goroutine [56]\)", "goroutine 5|6)")]),
    Story("bank", aborts=True,
          gdb=["info goroutines", "goroutine 3 bt", "goroutine 2",
               "frame function transfer", "info locals", "print alice", "gort waitgraph"],
          core_tool=[["waitgraph"], ["bt", "all"]],
          checks={
              "report": [r"all goroutines are asleep - deadlock!"],
              "info goroutines": [r"\b1 waiting \[waitgroup.*bank_main",
                                  r"\b2 waiting \[mutex.*transfer at samples/bank\.c",
                                  r"\b3 waiting \[mutex.*transfer at samples/bank\.c"],
              "goroutine 3 bt": [r"in transfer \(from=.*<bob>.*to=.*<alice>", r"in teller \("],
              "frame function transfer": [r"transfer \(from=0x[0-9a-f]+ <alice>, to=0x[0-9a-f]+ <bob>, amount=100\)"],
              "info locals": [r"No locals\.|from|to"],
              "print alice": [r"owner = 0x[0-9a-f]+ \"alice\"", r"balance = 1000", r"owner = 2\b"],
              "gort waitgraph": [r"cycle", r"\b2\b", r"\b3\b"],
              "gort-core waitgraph": [r"deadlock cycle: g2 -> g3 -> g2"],
              "gort-core bt all": [r"transfer.*bank\.c:\d+", r"teller.*bank\.c:\d+"],
          }),
    Story("workerpool", aborts=True,
          gdb=["info goroutines", "print results", "print jobs"],
          core_tool=[["goroutines"], ["chans"]],
          checks={
              "report": [r"panic: workerpool: no progress"],
              "info goroutines": [r"\b2 waiting \[chan send.*worker at samples/workerpool\.c",
                                  r"\b4 waiting \[chan send.*worker at samples/workerpool\.c"],
              "print results": [r"chan int64_t, len 2, cap 2", r"waiting to send: goroutines"],
              "print jobs": [r"chan int64_t, len 4, cap 4", r"waiting to send: goroutines 5"],
              "gort-core chans": [r"int64_t", r"cap 2", r"cap 4"],
          },
          extra_norm=[(r"after \d+ of", "after N of"),
                      (r"goroutines( \d+)+", "goroutines IDS"), (r"\{\d+(, \d+)+\}", "{VALUES}"),
                      (r"receive order\): [\d, ]+", "receive order): VALUES"),
                      (r"wait list of goroutine \d+", "wait list of goroutine N"),
                      (r"g\d( g\d)+", "gIDS")]),
    Story("pubsub", aborts=True,
          gdb=["info goroutines", "print topics"],
          core_tool=[["goroutines"], ["waitgraph"]],
          checks={
              "report": [r"panic: pubsub: no message delivered"],
              "info goroutines": [r"\[sleep.*slow_subscriber at samples/pubsub\.c",
                                  r"\[chan send.*broker_loop at samples/pubsub\.c",
                                  r"\[chan receive.*fast_subscriber"],
              "print topics": [r"map\[gort_string\]struct topic with 3 entries",
                               r"\[\"prices\"\] = \{nsubs = 2", r"\[\"news\"\]", r"\[\"weather\"\]"],
          },
          extra_norm=[(r"seq = \d+", "seq = N"), (r"\(\d+ so far\)", "(N so far)"),
                      (r"with \d+ elements?", "with N elements")]),
    Story("leaky", aborts=False,
          gdb=["info goroutines -g"],
          core_tool=[["goroutines"]],
          nogolden=["gort-core goroutines"],
          checks={
              "gort-core goroutines": [r"(?m)^\s+\d+ waiting \[chan send.*fetch_backend at samples/leaky\.c:\d+\s+created by handle_request"],
              "info goroutines -g": [r"\b1\d\d goroutines waiting \[chan send\].*\n\s+fetch_backend at samples/leaky\.c"],
          },
          extra_norm=[(r"\b\d+ goroutines", "N goroutines"), (r"(?m)(\]|idle|dead): [\d .]+$", r"\1: IDS")]),
    Story("shapes", aborts=False,
          gdb=["goroutine 1", "frame function shapes_main", "print shape", "print things",
               "print adder", "print *adder", "print gate", "print $dtype(shape)",
               "info goroutines"],
          core_tool=[["goroutines"], ["chans"]],
          checks={
              "print shape": [r"\(Shape: struct circle\) \{r = 2\}"],
              "print things": [r"\(struct square\) \{side = 3\}", r"\(struct label \*\) 0x[0-9a-f]+ <title>",
                               r"\(int64_t\) 42", r"\(gort_string\) \"hello\"", r"\(double\) 2\.5", r"nil"],
              "print adder": [r"func adder_step at samples/shapes\.c:\d+", r"k = 20"],
              "print *adder": [r"fn = 0x[0-9a-f]+ <adder_step>", r"k = 20"],
              "print gate": [r"chan int64_t, len 0, cap 0", r"waiting to receive: goroutines (?=.*\b2\b)(?=.*\b3\b)(?=.*\b4\b)"],
              "print $dtype(shape)": [r"\{r = 2\}"],
              "info goroutines": [r"\b2 waiting \[chan receive.*adder_step at samples/shapes\.c"],
              "gort-core goroutines": [r"\b4\b.*waiting.*chan receive"],
              "gort-core chans": [r"int64_t", r"recvq: g[234] g[234] g[234]"],
          },
          extra_norm=[(r"goroutines [234] [234] [234]", "goroutines 2 3 4"), (r"g[234] g[234] g[234]", "g2 g3 g4")]),
    Story("mapcache", aborts=False,
          gdb=["set print elements unlimited", "print sessions", "gort map-stats sessions",
               "print hits_by_hour", "ptype struct sessions_bucket"],
          core_tool=[["maps"]],
          # iteration order is random by design (a per-map seed and a random
          # start): the printed maps are checked, not compared
          # and the growth progress and bucket statistics depend on the seed
          nogolden=["print sessions", "print hits_by_hour", "gort map-stats sessions",
                    "gort-core maps"],
          checks={
              "print sessions": [r"map\[gort_string\]struct session with 420 entries",
                                 r"\[\"user:0000\"\] = \{userid = 0,", r"\[\"user:0419\"\] = \{userid = 419,",
                                 r"\[\"user:0005\"\] = \{userid = 5, hits = 2"],
              "gort map-stats sessions": [r"count 420", r"B 7", r"growing: \d+ of 64 old buckets evacuated"],
              "print hits_by_hour": [r"map\[int64_t\]int64_t with 24 entries", r"\[23\] = 17"],
              "ptype struct sessions_bucket": [r"gort_string keys\[8\]", r"struct session elems\[8\]"],
              "gort-core maps": [r"count 420", r"count 24"],
          }),
]


def slug(cmd):
    """A file name for a command: `print *adder` and `print adder` differ."""
    return re.sub(r"\W+", "_", cmd.replace("*", " deref ").replace("$", " fn ")).strip("_")


def _check(story, what, text):
    for rx in story.checks.get(what, []):
        assert re.search(rx, text), "%s: %r not found in `%s`:\n%s" % (story.name, rx, what, text)


@pytest.fixture(scope="module", params=STORIES, ids=lambda s: s.name)
def story_core(request):
    story = request.param
    binary = sample_path(story.name)
    core, report = make_core(binary, os.path.join(BUILD, "tests", "samples", story.name),
                             story.aborts, story.args)
    return story, binary, core, report


def test_story_from_core(story_core):
    """gdb on the core file shows the story."""
    story, binary, core, report = story_core
    if story.aborts:
        _check(story, "report", report)
    out = run_gdb(binary, core, story.gdb)
    for cmd in story.gdb:
        assert cmd in out, "%s: no output for `%s`" % (story.name, cmd)
        assert "Traceback" not in out[cmd] and "Python Exception" not in out[cmd], out[cmd]
        _check(story, cmd, out[cmd])
        if cmd not in story.nogolden:
            check_golden("%s.core.%s" % (story.name, slug(cmd)),
                         out[cmd], story.extra_norm)


def test_story_gort_core(story_core):
    """gort-core (no gdb) on the same core shows the story."""
    story, binary, core, _ = story_core
    for args in story.core_tool:
        proc = run_gort_core(binary, core, *args)
        what = "gort-core " + " ".join(args)
        assert proc.returncode in (0, 1), "%s: %s exited %d: %s" % (story.name, what, proc.returncode, proc.stderr)
        assert not proc.stderr.strip() or "corrupt" not in proc.stderr
        _check(story, what, proc.stdout)
        if what not in story.nogolden:
                check_golden("%s.gort-core.%s" % (story.name, "_".join(args)), proc.stdout, story.extra_norm)


@pytest.mark.parametrize("story", [s for s in STORIES if s.live], ids=lambda s: s.name)
def test_story_live(story):
    """The same commands in the live process, stopped where the story is set."""
    binary = sample_path(story.name)
    out = run_gdb(binary, None, story.gdb, args=story.args)
    for cmd in story.gdb:
        assert cmd in out, "%s: no output for `%s` (live)" % (story.name, cmd)
        assert "Traceback" not in out[cmd] and "Python Exception" not in out[cmd], out[cmd]
        live_checks = [rx for rx in story.checks.get(cmd, [])]
        for rx in live_checks:
            # Live, story_ready() is on goroutine 1's stack and goroutine 1
            # is running, not yet waiting: only the other goroutines' facts
            # must hold.
            if re.search(r"\\b1 waiting", rx):
                continue
            assert re.search(rx, out[cmd]), "%s (live): %r not found in `%s`:\n%s" % (story.name, rx, cmd, out[cmd])
