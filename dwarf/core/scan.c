/*
 * scan.c: the words of parked stacks and of the program's globals.
 *
 * A channel or map that no goroutine is queued on is still worth showing
 * when a parked goroutine's frames hold a pointer to it (a local, an
 * argument), or a global does.  Scanning is conservative: every aligned
 * word is a candidate, and the caller checks that the object it points to
 * has the right shape (chans.c, maps.c) before believing it.
 *
 * Bounds: LIMIT_STACK_SCAN bytes per stack (a goroutine's live frames are
 * near its saved sp; deep recursion is cut, not followed), and
 * LIMIT_DATA_SCAN bytes of globals.  A core mmap'd in memory makes a
 * stack a zero-copy view in the common case.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "scan.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

size_t stack_words(struct target *t, const struct gor *g, const uint64_t **words, uint64_t **tmp)
{
    *tmp = NULL;
    *words = NULL;
    uint64_t lo = g->sp & ~7ull, hi = g->stackhi;
    if (g->dead || !lo || hi <= lo || lo < g->stacklo)
        return 0;
    if (hi - lo > LIMIT_STACK_SCAN)
        hi = lo + LIMIT_STACK_SCAN;
    uint64_t avail = mem_avail(&t->mem, lo);
    if (avail < hi - lo)
        hi = lo + (avail & ~7ull);
    size_t n = (size_t)((hi - lo) / 8);
    if (n == 0)
        return 0;
    /* A parked goroutine's live frames are usually a few hundred bytes
     * near the top of its stack: copied through mem.c's page cache (one
     * pread) that costs less than the page faults of a zero-copy view
     * (measured: 100,000 stacks, 1.4 s of faults).  Bigger ranges stay
     * zero-copy. */
    const unsigned char *v = t->mem.fd >= 0 && n * 8 <= 4096 ? NULL : mem_view(&t->mem, lo, n * 8);
    if (v && ((uintptr_t)v & 7) == 0) {
        *words = (const uint64_t *)(const void *)v;
        return n;
    }
    *tmp = malloc(n * 8);
    if (!*tmp || !mem_read(&t->mem, lo, *tmp, n * 8)) {
        free(*tmp);
        *tmp = NULL;
        return 0;
    }
    *words = *tmp;
    return n;
}

void data_words(struct target *t, void (*fn)(uint64_t word, void *arg), void *arg)
{
    /* The binary's writable PT_LOADs, relocated: read from the core, which
     * holds their current contents (the file only has the initial ones). */
    const unsigned char *img = t->binmap;
    Elf64_Ehdr eh;
    if (t->binsize < sizeof eh)
        return;
    memcpy(&eh, img, sizeof eh);
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > t->binsize ||
        (t->binsize - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum)
        return;
    Dwarf_Addr bias = 0;
    dwfl_module_getelf(t->mainmod, &bias);
    uint64_t budget = LIMIT_DATA_SCAN;
    for (size_t i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_W))
            continue;
        uint64_t a = (ph.p_vaddr + bias + 7) & ~7ull, end = ph.p_vaddr + bias + ph.p_memsz;
        while (a + 8 <= end && budget >= 8) {
            uint64_t avail = mem_avail(&t->mem, a);
            if (avail < 8)
                break;
            uint64_t k = avail < end - a ? avail : end - a;
            if (k > budget)
                k = budget;
            for (uint64_t off = 0; off + 8 <= k; off += 8) {
                uint64_t w;
                if (mem_u64(&t->mem, a + off, &w) && w)
                    fn(w, arg);
            }
            budget -= k;
            a += k & ~7ull;
            if ((k & ~7ull) == 0)
                break;
        }
    }
}

static size_t slot_of(const struct addrset *s, uint64_t a)
{
    uint64_t h = a * 0x9e3779b97f4a7c15ull;
    size_t i = (size_t)(h >> 20) & (s->cap - 1);
    while (s->slot[i] && s->slot[i] != a)
        i = (i + 1) & (s->cap - 1);
    return i;
}

bool addrset_add(struct addrset *s, uint64_t a)
{
    if (!a)
        return false;
    if ((s->n + 1) * 2 > s->cap) {
        struct addrset g = { calloc(s->cap ? s->cap * 2 : 256, 8), s->cap ? s->cap * 2 : 256, s->n };
        if (!g.slot)
            return false;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i])
                g.slot[slot_of(&g, s->slot[i])] = s->slot[i];
        free(s->slot);
        *s = g;
    }
    size_t i = slot_of(s, a);
    if (s->slot[i])
        return false;
    s->slot[i] = a;
    s->n++;
    return true;
}

bool addrset_has(const struct addrset *s, uint64_t a)
{
    return a && s->cap && s->slot[slot_of(s, a)] == a;
}

void addrset_free(struct addrset *s)
{
    free(s->slot);
    s->slot = NULL;
    s->cap = s->n = 0;
}
