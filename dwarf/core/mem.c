/*
 * mem.c: the memory of a core file, as the process saw it.
 *
 * An ELF core is a list of PT_LOAD segments: vaddr, memsz, and filesz bytes
 * at offset in the file.  The kernel writes filesz == 0 (or less than memsz)
 * for what it chose not to dump: usually the read-only, file-backed text
 * and rodata of the binary.  Those bytes still exist in the binary, so the
 * binary's own PT_LOADs (relocated by the load bias libdwfl found) sit
 * behind the core's as a fallback: a type descriptor's name string lives in
 * .rodata and is read from there.
 *
 * The core is mmap'd by the caller and parsed here by hand (not libelf):
 * every header field is checked against the image's real size, so a
 * truncated core simply has segments whose tail is missing (avail < filesz)
 * and a garbage core is refused with a reason.  This parser is what the
 * fuzz harness (fuzz.c) exercises.
 *
 * Lookups are a binary search over segments sorted by vaddr; a read that
 * crosses segment boundaries is stitched together piece by piece.
 *
 * Small reads go through pread(2) when the caller gave us the file
 * descriptor (mem_use_fd): listing 100,000 goroutines touches ~120,000
 * scattered pages of a core that can be tens of GiB (sparse), and on a
 * virtual machine each first touch of an mmap'd page is a page fault that
 * costs ~20 us, while a pread from the page cache is a fraction of that.
 * The preads are of whole 4 KiB pages kept in a small direct-mapped cache
 * (PCACHE_PAGES): a listing reads each g (256 bytes, allocated side by
 * side), its sudog and two to four frame-pointer pairs near its saved sp,
 * which is six preads of a few bytes per goroutine uncached and about one
 * page per goroutine cached; the system call, not the copy, is what costs
 * (measured on a 100,000-goroutine kernel core: tests/core/README.md).
 * Big blocks (mem_view: stacks scanned whole) still use the mapping,
 * zero-copy.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The page cache of pread'd core pages: direct-mapped by file page number,
 * 1024 pages (4 MiB).  Enough for the g's and sudogs of a walk in flight
 * plus the stack page of the goroutine being read; a cold miss is one
 * pread, the same as no cache at all. */
enum { PCACHE_PAGE = 4096, PCACHE_PAGES = 1024 };
struct pcache {
    uint64_t tag[PCACHE_PAGES];          /* file page number + 1; 0: empty */
    uint32_t len[PCACHE_PAGES];          /* bytes valid (short at end of file) */
    unsigned char data[PCACHE_PAGES][PCACHE_PAGE];
};

/* A core of a real process has a few hundred segments; 65536 is the
 * kernel's mapping limit region and bounds what a garbage e_phnum costs. */
enum { MAX_SEGS = 1 << 17 };

static int seg_cmp(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;
    return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* Parse the PT_LOADs of a 64-bit little-endian ELF image into segs.
 * want_core: the image must be ET_CORE.  Returns the count or -1. */
static long parse_loads(const unsigned char *img, size_t size, bool want_core,
                        struct seg **out, bool *truncated, int *machine,
                        char *err, size_t errlen)
{
    Elf64_Ehdr eh;
    if (size < sizeof eh || memcmp(img, ELFMAG, SELFMAG) != 0) {
        snprintf(err, errlen, "not an ELF file");
        return -1;
    }
    memcpy(&eh, img, sizeof eh);
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
        snprintf(err, errlen, "not a 64-bit little-endian ELF file");
        return -1;
    }
    if (want_core && eh.e_type != ET_CORE) {
        snprintf(err, errlen, "not a core file (ELF type %u)", eh.e_type);
        return -1;
    }
    if (machine)
        *machine = eh.e_machine;
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
        eh.e_phoff > size || (size - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum) {
        snprintf(err, errlen, "program headers missing or truncated");
        return -1;
    }
    size_t nph = eh.e_phnum;   /* PN_XNUM (0xffff) cores are not supported: bounded anyway */
    struct seg *segs = calloc(nph, sizeof *segs);
    if (!segs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < nph && n < MAX_SEGS; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr)      /* wraps: garbage */
            continue;
        struct seg *s = &segs[n++];
        s->vaddr = ph.p_vaddr;
        s->memsz = ph.p_memsz;
        uint64_t filesz = ph.p_filesz < ph.p_memsz ? ph.p_filesz : ph.p_memsz;
        if (filesz == 0 || ph.p_offset >= size) {
            s->data = NULL;
            s->avail = 0;
            if (filesz && truncated)
                *truncated = true;
        } else {
            s->data = img + ph.p_offset;
            s->avail = size - ph.p_offset < filesz ? size - ph.p_offset : filesz;
            if (s->avail < filesz && truncated)
                *truncated = true;
        }
    }
    qsort(segs, n, sizeof *segs, seg_cmp);
    /* Overlaps mean garbage headers: clip each segment to the next one's
     * start so lookups stay unambiguous. */
    for (size_t i = 0; i + 1 < n; i++) {
        if (segs[i].vaddr + segs[i].memsz > segs[i + 1].vaddr) {
            segs[i].memsz = segs[i + 1].vaddr - segs[i].vaddr;
            if (segs[i].avail > segs[i].memsz)
                segs[i].avail = segs[i].memsz;
        }
    }
    *out = segs;
    return (long)n;
}

bool mem_init(struct mem *m, const void *image, size_t size)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    m->image = image;
    m->imagesize = size;
    long n = parse_loads(image, size, true, &m->segs, &m->truncated, &m->machine,
                         m->err, sizeof m->err);
    if (n < 0)
        return false;
    m->nsegs = (size_t)n;
    if (n == 0) {
        snprintf(m->err, sizeof m->err, "core has no memory segments");
        return false;
    }
    return true;
}

void mem_add_file(struct mem *m, const void *image, size_t size, uint64_t bias)
{
    char err[64];
    struct seg *segs = NULL;
    long n = parse_loads(image, size, false, &segs, NULL, NULL, err, sizeof err);
    if (n <= 0) {
        free(segs);
        return;
    }
    for (long i = 0; i < n; i++)
        segs[i].vaddr += bias;
    free(m->fsegs);
    m->fsegs = segs;
    m->nfsegs = (size_t)n;
}

void mem_use_fd(struct mem *m, int fd)
{
    m->fd = fd;
    if (fd >= 0 && !m->cache)
        m->cache = calloc(1, sizeof *m->cache);   /* NULL: plain preads */
}

void mem_fini(struct mem *m)
{
    free(m->cache);
    m->cache = NULL;
    free(m->segs);
    free(m->fsegs);
    m->segs = m->fsegs = NULL;
    m->nsegs = m->nfsegs = 0;
}

/* The segment containing addr, or NULL. */
static const struct seg *find(const struct seg *segs, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (segs[mid].vaddr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct seg *s = &segs[lo - 1];
    return addr - s->vaddr < s->memsz ? s : NULL;
}

/* Bytes readable at addr from one segment: a pointer and a length. */
static const unsigned char *piece(const struct mem *m, uint64_t addr, uint64_t *len)
{
    const struct seg *s = find(m->segs, m->nsegs, addr);
    if (s && addr - s->vaddr < s->avail) {
        *len = s->avail - (addr - s->vaddr);
        return s->data + (addr - s->vaddr);
    }
    /* Not in the core (or cut off): the binary's file-backed bytes.  Bytes
     * past a file segment's filesz are .bss, which the core always holds
     * when it holds anything, so they are not invented here. */
    const struct seg *f = find(m->fsegs, m->nfsegs, addr);
    if (f && addr - f->vaddr < f->avail) {
        *len = f->avail - (addr - f->vaddr);
        return f->data + (addr - f->vaddr);
    }
    *len = 0;
    return NULL;
}

/* k bytes at file offset off through the page cache; false when a pread
 * comes up short (the caller then falls back to the mapping). */
static bool cached_pread(struct pcache *c, int fd, uint64_t off, unsigned char *out, size_t k)
{
    while (k > 0) {
        uint64_t pg = off / PCACHE_PAGE, in = off % PCACHE_PAGE;
        size_t slot = (size_t)(pg % PCACHE_PAGES);
        if (c->tag[slot] != pg + 1) {
            ssize_t got = pread(fd, c->data[slot], PCACHE_PAGE, (off_t)(pg * PCACHE_PAGE));
            if (got <= 0) {
                c->tag[slot] = 0;
                return false;
            }
            c->tag[slot] = pg + 1;
            c->len[slot] = (uint32_t)got;
        }
        if (in >= c->len[slot])
            return false;
        size_t here = c->len[slot] - in < k ? c->len[slot] - in : k;
        memcpy(out, c->data[slot] + in, here);
        out += here;
        off += here;
        k -= here;
    }
    return true;
}

bool mem_read(const struct mem *m, uint64_t addr, void *buf, size_t n)
{
    unsigned char *out = buf;
    while (n > 0) {
        uint64_t len;
        const unsigned char *p = piece(m, addr, &len);
        if (!p)
            return false;
        size_t k = len < n ? (size_t)len : n;
        bool incore = m->fd >= 0 && p >= m->image && p < m->image + m->imagesize;
        uint64_t off = (uint64_t)(p - m->image);
        if (!incore || k > PCACHE_PAGE ||
            !(m->cache ? cached_pread(m->cache, m->fd, off, out, k)
                       : pread(m->fd, out, k, (off_t)off) == (ssize_t)k))
            memcpy(out, p, k);
        out += k;
        n -= k;
        if (addr + k < addr)
            return n == 0;
        addr += k;
    }
    return true;
}

bool mem_u64(const struct mem *m, uint64_t addr, uint64_t *v)
{
    return mem_read(m, addr, v, sizeof *v);
}

uint64_t mem_avail(const struct mem *m, uint64_t addr)
{
    uint64_t len;
    return piece(m, addr, &len) ? len : 0;
}

const unsigned char *mem_view(const struct mem *m, uint64_t addr, size_t n)
{
    uint64_t len;
    const unsigned char *p = piece(m, addr, &len);
    return p && len >= n ? p : NULL;
}

bool mem_cstr(const struct mem *m, uint64_t addr, char *out, size_t max)
{
    if (max == 0)
        return false;
    for (size_t i = 0; i + 1 < max; i++) {
        if (!mem_read(m, addr + i, &out[i], 1)) {
            out[i] = 0;
            return false;
        }
        if (out[i] == 0)
            return true;
    }
    out[max - 1] = 0;
    return true;       /* cut at max-1 bytes */
}
