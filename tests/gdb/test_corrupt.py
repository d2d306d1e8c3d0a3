"""A kernel core of gdbstory with bytes overwritten in the runtime's own
structures, as a crash that scribbled over memory would leave it:

  * goroutine 3's struct g          (its first 128 bytes = 0x41...)
  * goroutine 13's saved context    (g->sched: sp, pc, bp... = 0x41...)
  * gort_allgs[4]                   (goroutine 5's entry -> address 0x10)
  * ages->buckets                   (-> 0x4141414141414141)
  * growing's first bucket's overflow pointer  (-> the bucket itself: a loop)
  * full's first waiting sender's sudog.next   (-> itself: a loop)
  * goroutine 2's g->waitpc          (-> 0x4141...: garbage)
  * goroutine 14's g->waitpc         (-> inside gopark: the runtime)

What a person must read: `<corrupt: ...>` exactly where the damage is,
everything else shown as usual, no Python traceback, and gdb finishing
(every run has a timeout).
"""

import re
import shutil
import struct

import pytest

from conftest import (abort_core, built, copy_prog, goroutine_lines, no_python_errors,
                      run_gdb, session)

ADDRS = r"""python
import gdb
def a(e): return int(gdb.parse_and_eval(e))
print("ADDR g3 %d" % a("(unsigned long)gort_allgs[2]"))
print("ADDR g13 %d" % a("(unsigned long)&gort_allgs[12]->sched"))
print("ADDR allgs4 %d" % a("(unsigned long)&gort_allgs[4]"))
print("ADDR buckets %d" % a("(unsigned long)&ages->buckets"))
print("ADDR ovf %d" % (a("(unsigned long)growing->buckets") + a("growing->type->overflowoff")))
print("ADDR bucket0 %d" % a("(unsigned long)growing->buckets"))
print("ADDR sudog %d" % a("(unsigned long)full->sendq.first"))
print("ADDR sudognext %d" % a("(unsigned long)&full->sendq.first->next"))
print("ADDR wpc2 %d" % a("(unsigned long)&gort_allgs[1]->waitpc"))
print("ADDR wpc14 %d" % a("(unsigned long)&gort_allgs[13]->waitpc"))
print("ADDR gopark %d" % a("(unsigned long)gopark"))"""


def load_segments(core):
    """[(vaddr, offset, filesz)] of the core's PT_LOAD segments (ELF64 LE)."""
    with open(core, "rb") as f:
        hdr = f.read(64)
        assert hdr[:4] == b"\x7fELF" and hdr[4] == 2 and hdr[5] == 1
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    segs = []
    for i in range(phnum):
        ptype, _flags, off, vaddr, _paddr, filesz = struct.unpack_from("<IIQQQQ", ph, i * phentsize)
        if ptype == 1:
            segs.append((vaddr, off, filesz))
    return segs


def poke(core, segs, addr, data):
    for vaddr, off, filesz in segs:
        if vaddr <= addr and addr + len(data) <= vaddr + filesz:
            with open(core, "r+b") as f:
                f.seek(off + addr - vaddr)
                f.write(data)
            return
    raise AssertionError("address %#x is not in the core" % addr)


@pytest.fixture(scope="module")
def corrupt(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corrupt")
    prog = copy_prog(built("tests/gdb/gdbstory"), tmp)
    core = abort_core(prog, ["abort"], tmp)
    text = run_gdb(prog, [ADDRS.replace("\n", "\n")], core=core)
    addrs = {k: int(v) for k, v in re.findall(r"^ADDR (\w+) (\d+)$", text, re.M)}
    assert len(addrs) == 11, text[-2000:]
    bad = str(tmp / "corrupt.core")
    shutil.copy(core, bad)
    segs = load_segments(bad)
    poke(bad, segs, addrs["g3"], b"\x41" * 128)
    poke(bad, segs, addrs["g13"], b"\x41" * 24)
    poke(bad, segs, addrs["allgs4"], struct.pack("<Q", 0x10))
    poke(bad, segs, addrs["buckets"], struct.pack("<Q", 0x4141414141414141))
    poke(bad, segs, addrs["ovf"], struct.pack("<Q", addrs["bucket0"]))
    poke(bad, segs, addrs["sudognext"], struct.pack("<Q", addrs["sudog"]))
    poke(bad, segs, addrs["wpc2"], struct.pack("<Q", 0x4141414141414141))
    poke(bad, segs, addrs["wpc14"], struct.pack("<Q", addrs["gopark"] + 16))
    return prog, bad


COMMANDS = ["info goroutines", "info goroutines -g", "p ages", "gort map-stats ages",
            "p growing", "gort map-stats growing", "p full", "p unbuf", "gort chans",
            "gort waitgraph", "goroutine all bt 2", "goroutine 2 bt", "goroutine 3 bt",
            "p gort_allgs[2]", "goroutine 13 bt"]


@pytest.fixture(scope="module")
def out(corrupt):
    prog, core = corrupt
    return session(prog, COMMANDS, core=core, timeout=120)


def test_no_traceback(out):
    no_python_errors(out["__all__"])


def test_goroutine_listing_goes_on(out):
    text = out["info goroutines"]
    lines = goroutine_lines(text)
    for goid in (2, 4, 6, 14):
        assert goid in lines, text
    assert 3 not in lines and 5 not in lines
    assert re.search(r"<corrupt: g 0x[0-9a-f]+ has status \d+>", text), text
    assert "<corrupt: cannot read memory at 0x10>" in text, text
    assert "corrupt goroutine entries" in out["info goroutines -g"]
    # A waitpc that is garbage or lands in the runtime is not believed:
    # the frame comes from walking the stack, as without one.
    assert "wait_for_value at tests/gdb/progs/gdbstory.c:" in lines[2], lines[2]
    assert "counter_fn at tests/gdb/progs/gdbstory.c:" in lines[14], lines[14]
    assert re.search(r"13 waiting \[mutex.*<corrupt: saved sp 0x4141414141414141 outside its "
                     r"stack", lines[13]), lines[13]


def test_map_with_bad_buckets(out):
    assert "<corrupt: " in out["p ages"], out["p ages"]
    assert "with 3 entries" in out["p ages"]
    assert "<corrupt: " in out["gort map-stats ages"]


def test_map_with_looping_chain(out):
    text = out["p growing"]
    assert "loops at" in text, text[:2000]
    # the rest of the entries are still there
    assert len(re.findall(r"\[\d+\] = \d+", text)) >= 90
    assert "loops at" in out["gort map-stats growing"]


def test_channel_with_looping_queue(out):
    text = out["p full"]
    assert "wait queue loops" in text, text
    assert "= {100, 200}" in text
    assert "waiting to receive: goroutines 2" in out["p unbuf"]


def test_commands_finish(out):
    assert "chan int64_t" in out["gort chans"]
    assert "\ndeadlock cycle: g12 -> g13 -> g12\n" in out["gort waitgraph"]
    assert "goroutine 14 (waiting)" in out["goroutine all bt 2"]
    assert "wait_for_value" in out["goroutine 2 bt"]
    assert "No goroutine 3." in out["goroutine 3 bt"]
    assert "<corrupt: " in out["p gort_allgs[2]"]
    assert "<corrupt: saved sp 0x4141414141414141 outside its stack" in out["goroutine 13 bt"]
