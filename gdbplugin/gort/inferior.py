"""inferior.py: reading the inferior's memory, fast and without trusting it.

What it reads: raw bytes of the live process or the core file, through
gdb.Inferior.read_memory, decoded with the struct module.

Why this way: a gdb.Value field access costs a DWARF lookup and a target
read per field; one read_memory of a whole g, bucket or array plus
struct.unpack_from is 20-40x faster (NOTES.md, measured).  So every
walk in the package reads through one Memory object that

  * reads in aligned blocks (BLOCK bytes, falling back to single pages and
    then to the exact range when a block straddles an unreadable page, as a
    goroutine stack's guard page does) and caches them, so 100,000 g's
    allocated next to each other cost a few hundred target reads;
  * turns every failure (unmapped, not in the core, absurd length) into a
    Corrupt exception whose message is the `<corrupt: ...>` text a person
    reads;
  * is flushed whenever the inferior may have changed (stop, continue,
    memory writes, new objfiles) and at the start of every command.

Word size and byte order are those of the target (x86-64 and aarch64 are
both little-endian, 8-byte words); they are read from gdb, not assumed.
"""

import os
import struct

import gdb

BLOCK = 64 * 1024
PAGE = 4096
# No single read of a structure or array may exceed this (a corrupt length
# field must not make gdb allocate gigabytes).
MAX_READ = 64 * 1024 * 1024


class Corrupt(Exception):
    """A structure of the inferior that cannot be read or makes no sense.
    str(exc) is the text shown inside `<corrupt: ...>`."""


def marker(exc):
    return "<corrupt: %s>" % (exc,)


class CoreImage:
    """The PT_LOAD segments of the core file gdb has open, read straight
    from the file: a read of the inferior is then one pread(2) instead of a
    trip through gdb's target stack (50 us of target overhead per read on a
    large core; 100,000 goroutine stacks are 100,000 reads).  pread and not
    a memory map: each goroutine's stack is on a page of its own, and a
    page fault on a mapped file cost ~15 us on this VM, a pread of a page
    already in the page cache ~2 us (gort-core measured the same).  Only
    what the core itself holds is served here; everything else (pages the
    kernel left out, the executable's text) still comes from gdb."""

    def __init__(self, path):
        import bisect
        self._bisect = bisect.bisect_right
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            size = os.fstat(self.fd).st_size
            head = os.pread(self.fd, 64, 0)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
                raise ValueError("not a little-endian ELF64 core")
            phoff, = struct.unpack_from("<Q", head, 32)
            phentsize, phnum = struct.unpack_from("<HH", head, 54)
            if phentsize < 56:
                raise ValueError("program headers of %d bytes" % phentsize)
            table = os.pread(self.fd, phentsize * phnum, phoff)
            segs = []
            for i in range(len(table) // phentsize):
                ptype, _fl, off, vaddr, _pa, filesz = struct.unpack_from(
                    "<IIQQQQ", table, i * phentsize)
                if ptype == 1 and filesz and off + filesz <= size:
                    segs.append((vaddr, vaddr + filesz, off))
        except Exception:
            os.close(self.fd)
            raise
        segs.sort()
        self.starts = [s[0] for s in segs]
        self.segs = segs

    def read(self, addr, n):
        i = self._bisect(self.starts, addr) - 1
        if i < 0:
            return None
        start, end, off = self.segs[i]
        if addr + n > end:
            return None
        try:
            data = os.pread(self.fd, n, off + addr - start)
        except OSError:
            return None
        return data if len(data) == n else None

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass


_core_cache = {}


class Memory:
    def __init__(self):
        self._blocks = {}          # (address, size) -> bytes, or None if unreadable
        # What printers derived from these bytes, keyed by (kind, address):
        # valid exactly as long as the blocks are.  A channel argument is
        # printed in every frame of every backtrace that passes through the
        # channel code (`goroutine all bt` with 10,000 goroutines parked on
        # one channel prints it 20,000 times), and decoding it each time was
        # three quarters of the command.
        self.memo = {}
        self._inf = None
        self._core = False
        self._endian = "<"
        self.ptrsize = 8

    def flush(self):
        self._blocks.clear()
        self.memo.clear()
        self._inf = None
        self._core = False          # not looked up yet
        try:
            self.ptrsize = gdb.lookup_type("void").pointer().sizeof
            arch = gdb.selected_inferior().architecture().name()
            self._endian = ">" if "big" in arch else "<"
        except Exception:
            pass

    def _target(self, addr, n):
        core = self._core
        if core is False:
            core = self._core = self._find_core()
        if core is not None:
            data = core.read(addr, n)
            if data is not None:
                return data
        try:
            if self._inf is None or not self._inf.is_valid():
                self._inf = gdb.selected_inferior()
            return self._inf.read_memory(addr, n).tobytes()
        except Exception:
            return None

    @staticmethod
    def _find_core():
        """The CoreImage of the open core, opened once per core file."""
        try:
            conn = gdb.selected_inferior().connection
            if conn is None or conn.type != "core":
                return None
        except Exception:
            return None
        # Keyed by the connection too: every core-file opens a new one.
        # `info target` lists every section of the core (0.1 s for one of
        # 100,000 goroutines), so it is asked once per connection, not at
        # every command.
        key = (gdb.selected_inferior().num, conn.num)
        hit = _core_cache.get(key)
        if hit is not None:
            return hit[1]
        info = gdb.execute("info target", to_string=True)
        path = info.split("Local core dump file:", 1)[-1].split("`", 1)[-1].split("'", 1)[0] \
            if "Local core dump file:" in info else None
        if path is None:
            return None
        for old in [k for k in _core_cache if k[0] == key[0]]:
            if _core_cache[old][1] is not None:
                _core_cache[old][1].close()
            del _core_cache[old]
        try:
            img = CoreImage(path)
        except Exception:
            img = None
        _core_cache[key] = (path, img)
        return img

    def span(self, addr, n):
        """(data, offset) with data[offset:offset + n] the n bytes at addr,
        without copying them out of the cached block when they lie in one
        (the hot path of reading 100,000 g's)."""
        if addr > 0 and n <= BLOCK:
            base = addr - addr % BLOCK
            if addr + n <= base + BLOCK:
                blk = self._block(base, BLOCK)
                if blk is not None:
                    return blk, addr - base
        return self.read(addr, n), 0

    def exact(self, addr, n):
        """n bytes at addr in one target read, uncached (a few words of each
        of 100,000 stacks: caching pages would read 16x more)."""
        if addr <= 0 or n <= 0 or n > MAX_READ:
            raise Corrupt("bad read of %d bytes at %#x" % (n, addr))
        data = self._target(addr, n)
        if data is None:
            raise Corrupt("cannot read %d bytes at %#x" % (n, addr))
        return data

    def _block(self, base, size):
        key = (base, size)
        if key in self._blocks:
            return self._blocks[key]
        data = self._target(base, size)
        self._blocks[key] = data
        return data

    def read(self, addr, n, block=BLOCK):
        """n bytes at addr; Corrupt if any of them is unreadable.  block is
        the granule cached: BLOCK for heap objects that sit together (g's,
        buckets), PAGE for scattered ones (a few words of each stack)."""
        if n == 0:
            return b""
        if addr <= 0 or n < 0 or n > MAX_READ or addr + n > 1 << 64:
            raise Corrupt("bad read of %d bytes at %#x" % (n, addr))
        if n > block:
            data = self._target(addr, n)
            if data is None:
                raise Corrupt("cannot read %d bytes at %#x" % (n, addr))
            return data
        out = []
        pos, end = addr, addr + n
        while pos < end:
            base = pos - pos % block
            blk = self._block(base, block)
            if blk is not None:
                chunk = blk[pos - base:min(end - base, block)]
            else:
                pbase = pos - pos % PAGE
                pg = self._block(pbase, PAGE)
                if pg is None:
                    raise Corrupt("cannot read memory at %#x" % pos)
                chunk = pg[pos - pbase:min(end - pbase, PAGE)]
            out.append(chunk)
            pos += len(chunk)
        return b"".join(out)

    def readable(self, addr, n=1):
        try:
            self.read(addr, n)
            return True
        except Corrupt:
            return False

    def unpack(self, fmt, addr, block=BLOCK):
        fmt = self._endian + fmt
        return struct.unpack(fmt, self.read(addr, struct.calcsize(fmt), block))

    def word(self, addr):
        return self.unpack("Q" if self.ptrsize == 8 else "I", addr)[0]

    def words(self, addr, count):
        """count pointer-sized words starting at addr, in one read."""
        c = "Q" if self.ptrsize == 8 else "I"
        data = self.read(addr, count * self.ptrsize)
        return struct.unpack("%s%d%s" % (self._endian, count, c), data)

    def cstring(self, addr, limit=256):
        """A NUL-terminated string of at most limit bytes (decoded leniently)."""
        if addr == 0:
            raise Corrupt("NULL string")
        out = b""
        pos = addr
        while len(out) < limit:
            step = min(64, limit - len(out))
            try:
                chunk = self.read(pos, step)
            except Corrupt:
                chunk = b""
                for i in range(step):      # up to the unreadable byte
                    try:
                        chunk += self.read(pos + i, 1)
                    except Corrupt:
                        break
                if not chunk:
                    raise Corrupt("unreadable string at %#x" % addr)
            nul = chunk.find(b"\0")
            if nul >= 0:
                return (out + chunk[:nul]).decode("utf-8", "replace")
            out += chunk
            pos += len(chunk)
            if len(chunk) < step:
                break
        return out.decode("utf-8", "replace") + "..."


def field(data, off, size, signed=False):
    """Decode an integer field of size bytes at offset off of a block."""
    return int.from_bytes(data[off:off + size], "little", signed=signed)


MEM = Memory()


def flush(*_args):
    MEM.flush()
