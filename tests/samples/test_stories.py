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
                 args=(), live=True, nogolden=(), core_checks=None, cross=None):
        self.name = name
        self.aborts = aborts          # the sample aborts by itself (deadlock, panic)
        self.gdb = gdb                # gdb commands, run live and on the core
        self.core_tool = core_tool    # gort-core subcommands (lists of args)
        # {command: [regexps that must match]}; a (regexp, n) pair must
        # match at least n times
        self.checks = checks
        # facts true only once the program has aborted (on the core), such
        # as the all-asleep verdict: live, goroutine 1 is still running
        self.core_checks = core_checks or {}
        # a check across commands: cross({command: output}) asserts
        self.cross = cross
        self.extra_norm = extra_norm  # more (regexp, replacement) for goldens
        self.args = args
        self.live = live
        self.nogolden = set(nogolden)  # commands whose full output varies run to run


def pubsub_broker_waits_on_the_full_channel(out):
    """The channel the broker waits for goroutine 3 on is the full one."""
    full = re.search(r"(?m)^(0x[0-9a-f]+) chan struct message, len 2, cap 2, waiting to send: goroutines? 7 ",
                     out["gort chans"])
    edge = re.search(r"g7 \[chan send[^]]*\] -> g3  \(holds a reference to (0x[0-9a-f]+)\)", out["gort waitgraph"])
    assert full and edge and int(full.group(1), 16) == int(edge.group(1), 16), \
        "pubsub: the broker's wait is not on the slow subscriber's full channel:\n%s\n%s" % (
            out["gort chans"], out["gort waitgraph"])


STORIES = [
    Story("orders", aborts=True,
          gdb=["info goroutines", "goroutine 2 bt", "print events", "print stock"],
          core_tool=[["goroutines"], ["waitgraph"], ["chans"]],
          checks={
              "report": [r"fatal error: all goroutines are asleep - deadlock!",
                         r"goroutine 2 \[mutex[^]]*\]"],
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
              "gort waitgraph": [r"g2 \[mutex[^]]*\] -> g3  \(owns mutex 0x[0-9a-f]+\)",
                                 r"g3 \[mutex[^]]*\] -> g2  \(owns mutex 0x[0-9a-f]+\)",
                                 r"(?m)^deadlock cycle: g2 -> g3 -> g2$"],
              "gort-core waitgraph": [r"deadlock cycle: g2 -> g3 -> g2"],
              "gort-core bt all": [r"transfer.*bank\.c:\d+", r"teller.*bank\.c:\d+"],
          }),
    Story("deadlock", aborts=True,
          gdb=["info goroutines", "gort waitgraph", "goroutine 2 bt", "goroutine 3 bt",
               "print alice_inbox", "print messages"],
          core_tool=[["goroutines"], ["chans"], ["waitgraph"]],
          checks={
              "report": [r"fatal error: all goroutines are asleep - deadlock!",
                         r"goroutine 2 \[chan receive[^]]*\]:\n(?:.*\n)*?alice\(",
                         r"goroutine 3 \[chan receive[^]]*\]:\n(?:.*\n)*?bob\("],
              "info goroutines": [r"\b1 waiting \[waitgroup.*run at samples/deadlock\.c:\d+",
                                  r"\b2 waiting \[chan receive.*alice at samples/deadlock\.c:\d+",
                                  r"\b3 waiting \[chan receive.*bob at samples/deadlock\.c:\d+"],
              "gort waitgraph": [r"(?m)^\s*g2 \[chan receive[^]]*\]", r"(?m)^\s*g3 \[chan receive[^]]*\]"],
              "goroutine 2 bt": [r"#\d+ +(0x[0-9a-f]+ in )?gort_chan_recv \(", r"in alice \(arg=0x0\) at samples/deadlock\.c:\d+"],
              "goroutine 3 bt": [r"#\d+ +(0x[0-9a-f]+ in )?gort_chan_recv \(", r"in bob \(arg=0x0\) at samples/deadlock\.c:\d+"],
              "print alice_inbox": [r"chan int64_t, len 0, cap 0, waiting to receive: goroutines? 2$"],
              "print messages": [r"chan gort_string, len 2, cap 4 = \{",
                                 r"\"alice: waiting for bob to say hello\"", r"\"bob: waiting for alice to say hello\""],
              "gort-core goroutines": [r"\b1 waiting \[waitgroup[^]]*\].*run at samples/deadlock\.c",
                                       r"\b2 waiting \[chan receive.*alice at samples/deadlock\.c:\d+  created by run",
                                       r"\b3 waiting \[chan receive.*bob at samples/deadlock\.c:\d+  created by run"],
              "gort-core chans": [r"2 channels", r"recvq: g2\n    sendq: \(none\)", r"recvq: g3\n    sendq: \(none\)"],
          },
          # the verdict, once main too is asleep (live, main is running)
          core_checks={
              "gort waitgraph": [r"3 goroutines, 3 blocked", r"all goroutines are blocked: deadlock"],
              "gort-core waitgraph": [r"3 goroutines, 3 blocked", r"all goroutines are blocked: deadlock"],
          },
          # alice and bob write their first line concurrently
          extra_norm=[(r'\{"bob: (.*?)", "alice: (.*?)"\}', r'{"alice: \2", "bob: \1"}')]),
    Story("pipeline", aborts=False,
          gdb=["info goroutines", "print jobs", "print results", "goroutine 2 bt", "gort waitgraph"],
          core_tool=[["goroutines"], ["chans"], ["waitgraph"]],
          checks={
              "info goroutines": [r"\b2 waiting \[chan send.*producer at samples/pipeline\.c:\d+"]
                                 + [r"\b%d waiting \[chan send.*worker at samples/pipeline\.c:\d+" % g for g in (3, 4, 5, 6)]
                                 + [r"\b7 waiting \[waitgroup.*closer at samples/pipeline\.c:\d+"],
              # six jobs taken (two results buffered, one held by each
              # worker): jobs 7 to 10 wait in order, the producer holds 11
              "print jobs": [r"chan struct job, len 4, cap 4, waiting to send: goroutines? 2 = "
                             r"\{\{id = 7, n = 7\}, \{id = 8, n = 8\}, \{id = 9, n = 9\}, \{id = 10, n = 10\}\}"],
              "print results": [r"chan struct result, len 2, cap 2, waiting to send: goroutines (?=[\d ]*\b3\b)(?=[\d ]*\b4\b)(?=[\d ]*\b5\b)(?=[\d ]*\b6\b)",
                                r"square = \d+\}, \{id"],
              "goroutine 2 bt": [r"#\d+ +(0x[0-9a-f]+ in )?gort_chan_send \(", r"in producer \(arg=0x0\) at samples/pipeline\.c:\d+"],
              # main is running (it will collect): nothing is deadlocked
              "gort waitgraph": [r"7 goroutines, 6 blocked", r"not all goroutines are blocked"],
              "gort-core goroutines": [r"\b2 waiting \[chan send[^]]*\].*producer at samples/pipeline\.c",
                                       r"\b7 waiting \[waitgroup[^]]*\].*closer at samples/pipeline\.c"],
              "gort-core chans": [r"chan struct job, len 4, cap 4.*\n    buffer \(receive order\): \{id = 7, n = 7\}, \{id = 8, n = 8\}, \{id = 9, n = 9\}, \{id = 10, n = 10\}\n    recvq: \(none\)\n    sendq: g2\n",
                                  r"chan struct result, len 2, cap 2.*\n.*\n    recvq: \(none\)\n    sendq: (g[3-6] ){3}g[3-6]\n"],
              "gort-core waitgraph": [r"7 goroutines, 6 blocked", r"not all goroutines are blocked"],
          },
          # which worker finished which job first, and the order the workers
          # queued in, are the scheduler's
          extra_norm=[(r"\{id = \d+, worker = \d+, square = \d+\}", "{id = N, worker = N, square = N}"),
                      (r"goroutines [3-6] [3-6] [3-6] [3-6]", "goroutines 3 4 5 6"),
                      (r"g[3-6] g[3-6] g[3-6] g[3-6]", "g3 g4 g5 g6"),
                      (r"wait list of goroutine [3-6]\)", "wait list of goroutine 3-6)")]),
    Story("select_timeout", aborts=False,
          gdb=["info goroutines", "goroutine 2 bt", "goroutine 2", "frame function watcher",
               "info locals", "print quit", "gort chans", "gort waitgraph"],
          core_tool=[["goroutines"], ["chans"]],
          checks={
              "info goroutines": [r"\b2 waiting \[select.*watcher at samples/select_timeout\.c:\d+",
                                  r"\b3 waiting \[sleep.*server at samples/select_timeout\.c:\d+"],
              "goroutine 2 bt": [r"in gort_select \(", r"in watcher \(arg=0x0\) at samples/select_timeout\.c:\d+"],
              "frame function watcher": [r"in watcher \(arg=0x0\)", r"gort_select\(cases, 2, true\)"],
              # the two cases the watcher waits on at once: quit and its timer
              "info locals": [r"tick = chan int64_t, len 0, cap 1, waiting to receive: goroutines? 2 \(select\)",
                              r"cases = \{\{c = chan int64_t, len 0, cap 0, waiting to receive: goroutines? 2 \(select\), dir = 2.*"
                              r"\{c = chan int64_t, len 0, cap 1, waiting to receive: goroutines? 2 \(select\)"],
              "print quit": [r"chan int64_t, len 0, cap 0, waiting to receive: goroutines? 2 \(select\)"],
              # both channels of the watcher's select, and nothing else: not
              # the garbage an unassigned local of main's frame holds
              "gort chans": [r"(?m)^0x[0-9a-f]+ chan int64_t, len 0, cap 0, waiting to receive: goroutines? 2 \(select\)$",
                             r"(?m)^0x[0-9a-f]+ chan int64_t, len 0, cap 1, waiting to receive: goroutines? 2 \(select\)$",
                             r"\A(?![\s\S]*corrupt)(?:[^\n]*\n?){2}\Z"],
              "gort waitgraph": [r"3 goroutines, 1 blocked", r"(?m)^\s*g2 \[select[^]]*\]"],
              "gort-core goroutines": [r"\b2 waiting \[select[^]]*\].*watcher at samples/select_timeout\.c",
                                       r"\b3 waiting \[sleep[^]]*\].*server at samples/select_timeout\.c"],
              "gort-core chans": [r"chan int64_t, len 0, cap 0  \(wait list of goroutine 2\)\n    recvq: g2\n",
                                  r"chan int64_t, len 0, cap 1  \(wait list of goroutine 2\)\n    recvq: g2\n"],
          },
          # a local not yet assigned holds whatever the stack held
          extra_norm=[(r"(?m)^i = -?\d+$", "i = N")]),
    Story("overflow", aborts=True, live=False,
          gdb=["info goroutines", "bt 9", "bt -3"],
          core_tool=[["goroutines"]],
          # the first frames are glibc's abort() path, whose lines are the C
          # library's, not ours: checked, not compared
          nogolden=["bt 9"],
          checks={
              "report": [r"runtime: goroutine stack exceeds 262144-byte limit",
                         r"fatal error: stack overflow",
                         r"goroutine 2 \[running[^]]*\]:\ndescend\(\.\.\.\)\n\t\S*samples/overflow\.c:\d+",
                         r"\.\.\.additional frames elided\.\.\.\ncreated by overflow_main in goroutine 1",
                         r"goroutine 1 \[sleep[^]]*\]:"],
              "info goroutines": [r"\* 2 running  descend at samples/overflow\.c:\d+",
                                  r"\b1 waiting \[sleep.*overflow_main at samples/overflow\.c:\d+"],
              # the crashed thread: the runtime's SIGSEGV handler on its
              # signal stack, then the overflowing goroutine's own frames
              "bt 9": [r"in handler \(sig=11", r"<signal handler called>",
                       r"in descend \(depth=\d+\) at samples/overflow\.c:\d+\n#\d+ .* in descend \(depth="],
              "bt -3": [r"in start_descent \(arg=0x0\) at samples/overflow\.c:\d+"],
              "gort-core goroutines": [r"\*\s+2 running\s+descend at samples/overflow\.c:\d+  created by overflow_main",
                                       r"\b1 waiting \[sleep[^]]*\]"],
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
          gdb=["info goroutines", "print topics", "gort chans", "gort waitgraph"],
          core_tool=[["goroutines"], ["waitgraph"]],
          checks={
              "report": [r"panic: pubsub: no message delivered"],
              "info goroutines": [r"\[sleep.*slow_subscriber at samples/pubsub\.c",
                                  r"\[chan send.*broker_loop at samples/pubsub\.c",
                                  r"\[chan receive.*fast_subscriber"],
              "print topics": [r"map\[gort_string\]struct topic with 3 entries",
                               r"\[\"prices\"\] = \{nsubs = 2", r"\[\"news\"\]", r"\[\"weather\"\]"],
              # the slow subscriber's channel is the only full one, and
              # the broker (goroutine 7) is the one waiting to send on it
              "gort chans": [r"(?m)^0x[0-9a-f]+ chan struct message, len 2, cap 2, waiting to send: goroutines? 7 = "],
              # the broker waits for the slow subscriber (goroutine 3), the
              # only goroutine that holds that channel (cross-checked below)
              "gort waitgraph": [r"g7 \[chan send[^]]*\] -> g3  \(holds a reference to 0x[0-9a-f]+\)"],
          },
          extra_norm=[(r"seq = \d+", "seq = N"), (r"\(\d+ so far\)", "(N so far)"),
                      (r"with \d+ elements?", "with N elements"),
                      # which topic the full inbox starts with depends on how
                      # far the broker got: the count is the story
                      (r"(?m)(len 8, cap 8, waiting to send: goroutines 8 = )\{.*\}$", r"\1{8 messages}")],
          cross=pubsub_broker_waits_on_the_full_channel),
    Story("leaky", aborts=False,
          gdb=["info goroutines -g", "gort chans"],
          core_tool=[["goroutines"], ["chans"]],
          nogolden=["gort-core goroutines"],
          # About three requests in four time out (the count depends on the
          # machine's load): at least 100 of the 200 must have leaked.
          checks={
              "gort-core goroutines": [r"(?m)^\s+\d+ waiting \[chan send.*fetch_backend at samples/leaky\.c:\d+\s+created by handle_request"],
              "info goroutines -g": [r"\b1\d\d goroutines waiting \[chan send[^]]*\].*\n\s+fetch_backend at samples/leaky\.c"],
              # the leak: many unbuffered reply channels, each with exactly
              # one sender blocked on it and nobody receiving
              "gort chans": [(r"(?m)^0x[0-9a-f]+ chan int64_t, len 0, cap 0, waiting to send: goroutines? \d+$", 100)],
              "gort-core chans": [(r"chan int64_t, len 0, cap 0  \(wait list of goroutine \d+\)\n"
                                   r"    recvq: \(none\)\n    sendq: g\d+\n", 100)],
          },
          extra_norm=[(r"\b\d+ goroutines", "N goroutines"), (r"(?m)(\]|idle|dead): [\d .]+$", r"\1: IDS"),
                      (r"\b\d+ channels", "N channels"),
                      (r"waiting to send: goroutines? \d+", "waiting to send: goroutine N"),
                      (r"wait list of goroutine \d+", "wait list of goroutine N"), (r"sendq: g\d+", "sendq: gN"),
                      # one line (gdb) or one block (gort-core) per leaked
                      # goroutine, as many as timed out: kept once
                      (r"((?:.+\n){1,3}?)\1+", r"\1(repeated for every leaked goroutine)\n")]),
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
          # The printed maps' order depends on the per-map hash seed: the
          # golden files hold their entries sorted (conftest.normalise).
          # How far the growth has got and how many overflow buckets there
          # are depend on the seed too: those numbers are normalised, the
          # facts of the story (420 entries, B 7, growing, 64 old buckets)
          # stay.  `set print elements` prints nothing.
          nogolden=["set print elements unlimited"],
          extra_norm=[(r"overflow buckets: \d+ \(noverflow says \d+\)(, \d+ more in oldbuckets)?",
                       "overflow buckets: N (noverflow says N)[, N more in oldbuckets]"),
                      (r"overflow buckets \d+ \(noverflow \d+\)", "overflow buckets N (noverflow N)"),
                      (r"longest chain: \d+ buckets", "longest chain: N buckets"),
                      (r"growing: \d+ of 64 old buckets evacuated( \(\d+%\))?",
                       r"growing: N of 64 old buckets evacuated\1"), (r"\(\d+%\)", "(N%)")],
          checks={
              "print sessions": [r"map\[gort_string\]struct session with 420 entries",
                                 r"\[\"user:0000\"\] = \{userid = 0,", r"\[\"user:0419\"\] = \{userid = 419,",
                                 r"\[\"user:0005\"\] = \{userid = 5, hits = 2"],
              "gort map-stats sessions": [r"count 420 \(live slots found: 420\)", r"B 7: 128 buckets",
                                          r"overflow buckets: (\d+) \(noverflow says \1\)",
                                          r"growing: \d+ of 64 old buckets evacuated"],
              "print hits_by_hour": [r"map\[int64_t\]int64_t with 24 entries", r"\[23\] = 17"],
              "ptype struct sessions_bucket": [r"gort_string keys\[8\]", r"struct session elems\[8\]"],
              "gort-core maps": [r"count 420, B 7 \(128 buckets\)", r"growing: \d+ of 64 old buckets evacuated",
                                 r"count 24, B 2"],
          }),
]


def slug(cmd):
    """A file name for a command: `print *adder` and `print adder` differ."""
    return re.sub(r"\W+", "_", cmd.replace("*", " deref ").replace("$", " fn ")).strip("_")


def _matches(rx, text):
    if isinstance(rx, tuple):
        rx, least = rx
        return len(re.findall(rx, text)) >= least
    return re.search(rx, text) is not None


def _check(story, what, text, live=False):
    rxs = list(story.checks.get(what, []))
    if not live:
        rxs += story.core_checks.get(what, [])
    for rx in rxs:
        # Live, story_ready() is on goroutine 1's stack and goroutine 1 is
        # running, not yet waiting: only the other goroutines' facts hold.
        if live and re.search(r"\\b1 waiting", rx if isinstance(rx, str) else rx[0]):
            continue
        assert _matches(rx, text), "%s%s: %r not found in `%s`:\n%s" % (
            story.name, " (live)" if live else "", rx, what, text)


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
    if story.cross:
        story.cross(out)
    for cmd in story.gdb:
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
        _check(story, cmd, out[cmd], live=True)
    if story.cross:
        story.cross(out)
