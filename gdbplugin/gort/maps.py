"""maps.py: struct hmap * printed as `map[K]V` with its entries typed, and
`gort map-stats`.

What it reads: the hmap, its maptype (key/elem descriptors and the bucket
layout: keyoff, elemoff, overflowoff, bucketsize, indirectkey/elem), the
bucket array in one read (a 100,000-entry map's 16,384 buckets are 2.3 MB:
one target read), each overflow bucket (through the block cache), and the
old bucket array while the map grows.  Marks are enum tophash_mark and the
flags enum hmap_flag, from DWARF (map.h).

Why this walk visits every entry exactly once, with no hash function:
entries live in three places: the current array (and its overflow chains),
and, while growing, old buckets not yet evacuated.  Evacuation moves a
whole old chain at once and overwrites each moved slot's tophash with
evacuatedX/evacuatedY/evacuatedEmpty, and a write during growth first
evacuates the old bucket it maps to, so an entry is either in a live old
slot (tophash >= minTopHash) or in the new array, never both.  Deleted
slots are emptyOne/emptyRest.  So: every slot of every chain of both
arrays whose tophash >= minTopHash is one entry.  (Go's runtime-gdb.py
walks the new array and *all* old buckets without looking at the marks,
so it shows moved entries twice and deleted ones too.)

Bounds: chains are cycle-checked (a visited set of bucket addresses) and
every walk stops after `set gort max-elements` buckets; gdb itself stops
asking for children after `set print elements`.  A bucket that cannot be
read is shown as one `<corrupt: ...>` entry and the walk goes on with the
next bucket.
"""

import gdb

from . import constants, layout, settings, types
from .inferior import MEM, Corrupt
from .printing import ChildPrinter, addr_of, pointee_tag, struct_tag


def _u(data, s, name, signed=False):
    off = s.off(name)
    return int.from_bytes(data[off:off + s.fsize(name)], "little", signed=signed)


class MapInfo:
    """The numbers of one map, read once."""

    def __init__(self, addr):
        self.addr = addr
        hs = layout.struct("hmap")
        d = MEM.read(addr, hs.size)
        self.count = _u(d, hs, "count")
        self.flags = _u(d, hs, "flags")
        self.B = _u(d, hs, "B")
        self.noverflow = _u(d, hs, "noverflow")
        self.buckets = _u(d, hs, "buckets")
        self.oldbuckets = _u(d, hs, "oldbuckets")
        self.nevacuate = _u(d, hs, "nevacuate")
        mt = _u(d, hs, "type")
        if self.B > 40:
            raise Corrupt("map %#x has B = %d" % (addr, self.B))
        if mt == 0:
            raise Corrupt("map %#x has no type" % addr)
        ms = layout.struct("maptype")
        t = MEM.read(mt, ms.size)
        self.key = types.rtype(_u(t, ms, "key"))
        self.elem = types.rtype(_u(t, ms, "elem"))
        self.keyoff = _u(t, ms, "keyoff")
        self.elemoff = _u(t, ms, "elemoff")
        self.overflowoff = _u(t, ms, "overflowoff")
        self.bucketsize = _u(t, ms, "bucketsize")
        self.keysize = _u(t, ms, "keysize")
        self.elemsize = _u(t, ms, "elemsize")
        self.indirectkey = _u(t, ms, "indirectkey")
        self.indirectelem = _u(t, ms, "indirectelem")
        self.bucketcnt = constants.value("hmap_const", "bucketCnt")
        self.mintophash = constants.value("tophash_mark", "minTopHash")
        if not (self.overflowoff + 8 <= self.bucketsize <= 1 << 20) or \
                self.keyoff + self.bucketcnt * self.keysize > self.bucketsize:
            raise Corrupt("map %#x has an impossible bucket layout" % addr)
        try:
            self.name = types.type_name(mt + layout.off("maptype", "typ"))
        except Corrupt:
            self.name = None
        if not self.name or not self.name.startswith("map["):
            self.name = "map[%s]%s" % (self.key.name, self.elem.name)

    def nold(self):
        if not self.oldbuckets:
            return 0
        same = self.flags & constants.value("hmap_flag", "sameSizeGrow")
        return 1 << self.B if same else 1 << max(self.B - 1, 0)

    def arrays(self):
        """(label, base, count) of the bucket arrays to walk."""
        out = []
        if self.buckets:
            out.append(("buckets", self.buckets, 1 << self.B))
        if self.oldbuckets:
            out.append(("oldbuckets", self.oldbuckets, self.nold()))
        return out

    def chains(self, stats=None):
        """Yield (bucket address, bucket bytes) of every bucket of every
        chain, each once; a Corrupt instance for a bucket that cannot be
        read.  stats, a dict, collects chain lengths."""
        budget = settings.max_elements()
        seen = set()
        for label, base, n in self.arrays():
            try:
                arr = MEM.read(base, n * self.bucketsize)
            except Corrupt:
                arr = None
            for i in range(n):
                addr = base + i * self.bucketsize
                if arr is not None:
                    data = arr[i * self.bucketsize:(i + 1) * self.bucketsize]
                else:
                    try:
                        data = MEM.read(addr, self.bucketsize)
                    except Corrupt as e:
                        yield addr, Corrupt("%s[%d]: %s" % (label, i, e))
                        continue
                length = 0
                while True:
                    if addr in seen:
                        yield addr, Corrupt("bucket chain of %s[%d] loops at %#x"
                                            % (label, i, addr))
                        break
                    seen.add(addr)
                    budget -= 1
                    if budget < 0:
                        yield addr, Corrupt("more buckets than gort max-elements")
                        return
                    length += 1
                    yield addr, data
                    nxt = int.from_bytes(data[self.overflowoff:self.overflowoff + 8], "little")
                    if not nxt:
                        break
                    try:
                        data = MEM.read(nxt, self.bucketsize)
                    except Corrupt as e:
                        yield nxt, Corrupt("overflow bucket of %s[%d]: %s" % (label, i, e))
                        break
                    addr = nxt
                if stats is not None:
                    key = "old" if label == "oldbuckets" else "new"
                    stats.setdefault(key, []).append(length)

    def entries(self, text=False):
        """Yield (key, elem) of every live entry, printable by gdb (text:
        integers as decimal text, types.numbers_as_text)."""
        kdec = types.decoder(self.key, self.indirectkey, text)
        edec = types.decoder(self.elem, self.indirectelem, text)
        for addr, data in self.chains():
            if isinstance(data, Corrupt):
                yield "<corrupt>", "<corrupt: %s>" % data
                continue
            for i in range(self.bucketcnt):
                if data[i] < self.mintophash:
                    continue
                try:
                    k = kdec(data, self.keyoff + i * self.keysize)
                except Corrupt as e:
                    k = "<corrupt: %s>" % e
                try:
                    v = edec(data, self.elemoff + i * self.elemsize)
                except Corrupt as e:
                    v = "<corrupt: %s>" % e
                yield k, v


class MapPrinter(ChildPrinter):
    hint = "map"

    def __init__(self, val):
        super().__init__(val)
        self.info = None

    def _load(self):
        addr = addr_of(self.val)
        if addr and self.info is None:
            self.info = MapInfo(addr)
        return self.info

    def _to_string(self):
        if addr_of(self.val) == 0:
            return "nil map"
        m = self._load()
        text = "%s with %d entries" % (m.name, m.count)
        if m.oldbuckets:
            text += " (growing)"
        return text

    def _children(self):
        if addr_of(self.val) == 0:
            return
        m = self._load()
        n = 0
        for k, v in m.entries(types.numbers_as_text()):
            yield "[%d]" % n, k
            yield "[%d]" % (n + 1), v
            n += 2

    def children(self):
        try:
            if addr_of(self.val):
                self._load()
        except Exception:
            return iter(())       # to_string shows the marker
        return super().children()


def is_hmap_pointer(t):
    """t is a pointer to the runtime's struct hmap (a typedef of one too)."""
    from . import runtime_struct
    t = t.strip_typedefs()
    return t.code == gdb.TYPE_CODE_PTR and pointee_tag(t) == "hmap" and \
        runtime_struct(t.target(), "hmap")


def stats_text(val):
    if struct_tag(val.type) == "hmap" and val.address is not None:
        val = val.address            # `gort map-stats *m` means the map too
    if not is_hmap_pointer(val.type):
        raise gdb.GdbError("gort map-stats: %s is not a struct hmap * (a map of the "
                           "gort runtime)" % val.type)
    addr = addr_of(val)
    if addr == 0:
        return "nil map"
    m = MapInfo(addr)
    chains = {}
    live = 0
    corrupt = []
    for baddr, data in m.chains(chains):
        if isinstance(data, Corrupt):
            corrupt.append(str(data))
            continue
        live += sum(1 for i in range(m.bucketcnt) if data[i] >= m.mintophash)
    overflow = {k: sum(n - 1 for n in v) for k, v in chains.items()}
    nb = 1 << m.B
    lines = [
        "%s at %#x" % (m.name, addr),
        "  count %d (live slots found: %d)" % (m.count, live),
        "  B %d: %d buckets of %d bytes, load %.2f entries per bucket (grows at 6.5)"
        % (m.B, nb, m.bucketsize, m.count / nb),
        "  overflow buckets: %d (noverflow says %d)%s"
        % (overflow.get("new", 0), m.noverflow,
           ", %d more in oldbuckets" % overflow["old"] if overflow.get("old") else ""),
        "  longest chain: %d buckets" % max((max(v) for v in chains.values() if v), default=0),
    ]
    if m.oldbuckets:
        lines.append("  growing: %d of %d old buckets evacuated (%.0f%%)"
                     % (m.nevacuate, m.nold(), 100.0 * m.nevacuate / max(m.nold(), 1)))
    else:
        lines.append("  not growing")
    for c in corrupt:
        lines.append("  <corrupt: %s>" % c)
    return "\n".join(lines)


def lookup(val):
    return MapPrinter(val)
