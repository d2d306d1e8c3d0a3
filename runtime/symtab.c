/*
 * symtab.c: function names for tracebacks, from the ELF symbol table of
 * the running executable (/proc/self/exe).
 *
 * Why parse ELF ourselves: the report must work inside a signal handler
 * (stack overflow, SIGSEGV) and in a process whose malloc may be broken,
 * and libdw is too big a dependency for the runtime.  So this file uses
 * only open/mmap/close: the file is mapped read-only, function symbols
 * (STT_FUNC, STT_GNU_IFUNC with an address) from .symtab (or .dynsym when
 * the binary is stripped) are copied into an anonymous mapping as
 * (address, size, name) triples and heap-sorted by address (glibc's qsort
 * may call malloc), and a lookup is a binary search.  Names point into the
 * mapped file, which stays mapped.
 *
 * Addresses in the file are link-time addresses; a PIE executable is
 * loaded at a bias, found from the auxiliary vector (AT_PHDR minus the
 * PT_PHDR segment's p_vaddr), which getauxval reads without locks.
 *
 * Only the executable is covered: frames in shared libraries (libc) show
 * as "?", which is enough for a runtime linked statically as libgort.a.
 */
#include "proc.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

struct sym {
    uintptr_t   addr;
    uintptr_t   size;
    const char *name;
};

static _Atomic int state;          /* 0 not loaded, 1 loading, 2 ready, 3 unavailable */
static struct sym *syms;
static size_t nsyms;
static uintptr_t bias;

static void sift(struct sym *a, size_t i, size_t n)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && a[l].addr > a[m].addr) m = l;
        if (r < n && a[r].addr > a[m].addr) m = r;
        if (m == i)
            return;
        struct sym t = a[i]; a[i] = a[m]; a[m] = t;
        i = m;
    }
}

static void heapsort_syms(struct sym *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(a, i, n);
    for (size_t e = n; e-- > 1;) {
        struct sym t = a[0]; a[0] = a[e]; a[e] = t;
        sift(a, 0, e);
    }
}

static uintptr_t textend;          /* end of the executable's loaded image (link-time) */

static uintptr_t loadbias(void)
{
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    unsigned long n = getauxval(AT_PHNUM);
    uintptr_t b = 0;
    if (ph == NULL)
        return 0;
    for (unsigned long i = 0; i < n; i++) {
        if (ph[i].p_type == PT_PHDR)
            b = (uintptr_t)ph - ph[i].p_vaddr;
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > textend)
            textend = ph[i].p_vaddr + ph[i].p_memsz;
    }
    return b;
}

static bool load(void)
{
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(ElfW(Ehdr))) {
        close(fd);
        return false;
    }
    size_t len = (size_t)st.st_size;
    const unsigned char *f = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f == MAP_FAILED)
        return false;
    const ElfW(Ehdr) *eh = (const void *)f;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shoff == 0 ||
        eh->e_shentsize != sizeof(ElfW(Shdr)) ||
        eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > len)
        return false;
    const ElfW(Shdr) *sh = (const void *)(f + eh->e_shoff);
    const ElfW(Shdr) *symsec = NULL;
    for (int pass = 0; pass < 2 && symsec == NULL; pass++)
        for (unsigned i = 0; i < eh->e_shnum; i++)
            if (sh[i].sh_type == (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM)) {
                symsec = &sh[i];
                break;
            }
    if (symsec == NULL || symsec->sh_link >= eh->e_shnum ||
        symsec->sh_offset + symsec->sh_size > len || symsec->sh_entsize != sizeof(ElfW(Sym)))
        return false;
    const ElfW(Shdr) *strsec = &sh[symsec->sh_link];
    if (strsec->sh_offset + strsec->sh_size > len)
        return false;
    const ElfW(Sym) *es = (const void *)(f + symsec->sh_offset);
    size_t n = symsec->sh_size / sizeof(ElfW(Sym));
    const char *strs = (const char *)(f + strsec->sh_offset);

    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        int type = ELF64_ST_TYPE(es[i].st_info);
        if ((type == STT_FUNC || type == STT_GNU_IFUNC) && es[i].st_value != 0 &&
            es[i].st_shndx != SHN_UNDEF && es[i].st_name < strsec->sh_size)
            cnt++;
    }
    if (cnt == 0)
        return false;
    struct sym *a = mmap(NULL, cnt * sizeof *a, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED)
        return false;
    size_t k = 0;
    for (size_t i = 0; i < n && k < cnt; i++) {
        int type = ELF64_ST_TYPE(es[i].st_info);
        if ((type == STT_FUNC || type == STT_GNU_IFUNC) && es[i].st_value != 0 &&
            es[i].st_shndx != SHN_UNDEF && es[i].st_name < strsec->sh_size) {
            a[k].addr = es[i].st_value;
            a[k].size = es[i].st_size;
            a[k].name = strs + es[i].st_name;
            k++;
        }
    }
    heapsort_syms(a, k);
    bias = loadbias();
    syms = a;
    nsyms = k;
    return true;
}

static bool ready(void)
{
    int s = atomic_load(&state);
    if (s == 0) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&state, &expect, 1)) {
            atomic_store(&state, load() ? 2 : 3);
            return atomic_load(&state) == 2;
        }
    }
    /* Another thread is loading: wait for it, boundedly. */
    for (int i = 0; i < 1000000 && atomic_load(&state) == 1; i++)
        __asm__ volatile("" ::: "memory");
    return atomic_load(&state) == 2;
}

const char *gort_funcname(uintptr_t pc, uintptr_t *entry)
{
    if (!ready() || pc < bias)
        return NULL;
    uintptr_t a = pc - bias;
    if (a >= textend)
        return NULL;            /* a shared library's pc: not ours to name */
    size_t lo = 0, hi = nsyms;           /* find the last sym with addr <= a */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (syms[mid].addr <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct sym *s = &syms[lo - 1];
    /* Several symbols may share an address (aliases); any of them with a
     * size covering a will do, a zero size is trusted as far as the next. */
    if (s->size != 0 && a >= s->addr + s->size)
        return NULL;
    if (entry != NULL)
        *entry = s->addr + bias;
    return s->name;
}

uintptr_t gort_loadbias(void)
{
    return ready() ? bias : 0;
}
