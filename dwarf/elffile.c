/*
 * elffile.c: validate an ELF file's framing and find its debug links.
 *
 * What is checked, in order, each failure being one reason:
 *   - the file opens and is a regular file;
 *   - it starts with the ELF magic, and its class (32/64-bit) and byte
 *     order are ones we can read (the host's byte order: gort-dwarf
 *     inspects programs built on this machine's architecture);
 *   - the ELF header, the section header table and the section-name table
 *     lie inside the file;
 *   - every section that occupies file space (all but SHT_NOBITS) lies
 *     inside the file, and every section name is NUL-terminated inside
 *     the name table.
 * A truncated copy of a binary fails the third or fourth check: the
 * section header table is written last, at the end of the file.
 *
 * The file is read into memory (not mapped: see slurp); every offset read
 * from it is checked against its size before use, with overflow-safe
 * arithmetic.  The copy and its section table stay available (elf_open)
 * so that libdwarf reads the sections from it (dwobj.c) instead of parsing
 * the file a second time, less carefully.
 */
#include "elffile.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A section header, whatever the file's class. */
struct shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size, link, info, entsize;
};

struct elfview {
    const uint8_t *p;
    size_t size;
    bool is64;
};

/* off + len <= size, without overflow. */
static bool inside(const struct elfview *v, uint64_t off, uint64_t len)
{
    return off <= v->size && len <= v->size - off;
}

static void get_shdr(const struct elfview *v, uint64_t at, struct shdr *s)
{
    if (v->is64) {
        Elf64_Shdr h;
        memcpy(&h, v->p + at, sizeof h);
        *s = (struct shdr){ h.sh_name, h.sh_type, h.sh_flags, h.sh_addr, h.sh_offset,
                            h.sh_size, h.sh_link, h.sh_info, h.sh_entsize };
    } else {
        Elf32_Shdr h;
        memcpy(&h, v->p + at, sizeof h);
        *s = (struct shdr){ h.sh_name, h.sh_type, h.sh_flags, h.sh_addr, h.sh_offset,
                            h.sh_size, h.sh_link, h.sh_info, h.sh_entsize };
    }
}

/* The build-id note: the first NT_GNU_BUILD_ID note named "GNU". */
static void find_buildid(const struct elfview *v, const struct shdr *s,
                         struct elfinfo *info)
{
    uint64_t off = 0;
    while (off + 12 <= s->size) {
        uint32_t nh[3];                    /* namesz, descsz, type */
        memcpy(nh, v->p + s->offset + off, sizeof nh);
        uint64_t name_len = (nh[0] + 3u) & ~3ull, desc_len = (nh[1] + 3u) & ~3ull;
        uint64_t desc_at = off + 12 + name_len;
        if (desc_at > s->size || desc_len > s->size - desc_at)
            return;                        /* malformed note: ignore it */
        if (nh[2] == NT_GNU_BUILD_ID && nh[0] == 4
            && memcmp(v->p + s->offset + off + 12, "GNU", 4) == 0
            && nh[1] > 0 && nh[1] <= sizeof info->buildid) {
            memcpy(info->buildid, v->p + s->offset + desc_at, nh[1]);
            info->buildid_len = nh[1];
            return;
        }
        off = desc_at + desc_len;
    }
}

/* .gnu_debuglink: a NUL-terminated file name, padded to 4, then a CRC-32. */
static void find_debuglink(const struct elfview *v, const struct shdr *s,
                           struct elfinfo *info)
{
    const char *name = (const char *)v->p + s->offset;
    size_t n = strnlen(name, s->size);
    size_t crc_at = (n + 4) & ~(size_t)3;
    if (n == 0 || n >= sizeof info->debuglink || crc_at + 4 > s->size)
        return;
    memcpy(info->debuglink, name, n + 1);
    memcpy(&info->debuglink_crc, v->p + s->offset + crc_at, 4);
    info->has_debuglink = true;
}

static int check_sections(const struct elfview *v, struct elfmap *map,
                          char *why, size_t whylen)
{
    struct elfinfo *info = &map->info;
    uint64_t shoff, shnum, shentsize, shstrndx;
    if (v->is64) {
        Elf64_Ehdr e;
        memcpy(&e, v->p, sizeof e);
        shoff = e.e_shoff; shnum = e.e_shnum; shentsize = e.e_shentsize; shstrndx = e.e_shstrndx;
        map->type = e.e_type;
    } else {
        Elf32_Ehdr e;
        memcpy(&e, v->p, sizeof e);
        shoff = e.e_shoff; shnum = e.e_shnum; shentsize = e.e_shentsize; shstrndx = e.e_shstrndx;
        map->type = e.e_type;
    }
    size_t want = v->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    if (shnum == 0 || shoff == 0) {
        snprintf(why, whylen, "ELF file has no section headers");
        return -1;
    }
    if (shentsize != want) {
        snprintf(why, whylen, "corrupt ELF: section header size %llu, expected %zu",
                 (unsigned long long)shentsize, want);
        return -1;
    }
    if (!inside(v, shoff, shnum * shentsize)) {
        snprintf(why, whylen, "truncated ELF: section headers end at byte %llu, "
                 "the file has %zu bytes", (unsigned long long)(shoff + shnum * shentsize), v->size);
        return -1;
    }
    if (shstrndx >= shnum) {
        snprintf(why, whylen, "corrupt ELF: section name table index %llu out of range",
                 (unsigned long long)shstrndx);
        return -1;
    }
    struct shdr strtab;
    get_shdr(v, shoff + shstrndx * shentsize, &strtab);
    if (strtab.type == SHT_NOBITS || !inside(v, strtab.offset, strtab.size)) {
        snprintf(why, whylen, "truncated ELF: section name table ends past the end of the file");
        return -1;
    }
    map->sec = calloc(shnum, sizeof *map->sec);
    if (!map->sec) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    map->nsec = shnum;
    map->sec[0].name = "";
    for (uint64_t i = 1; i < shnum; i++) {
        struct shdr s;
        get_shdr(v, shoff + i * shentsize, &s);
        if (s.name >= strtab.size
            || memchr(v->p + strtab.offset + s.name, 0, strtab.size - s.name) == NULL) {
            snprintf(why, whylen, "corrupt ELF: section %llu has a bad name", (unsigned long long)i);
            return -1;
        }
        const char *name = (const char *)v->p + strtab.offset + s.name;
        map->sec[i] = (struct elfsec){ name, s.type, s.flags, s.addr, s.offset, s.size,
                                       s.link, s.info, s.entsize };
        if (s.type == SHT_NOBITS)
            continue;
        if (!inside(v, s.offset, s.size)) {
            snprintf(why, whylen, "truncated ELF: section %s ends at byte %llu, "
                     "the file has %zu bytes", name,
                     (unsigned long long)(s.offset + s.size), v->size);
            return -1;
        }
        if ((strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0)
            && s.size > 0)
            info->has_debug_info = true;
        else if (strcmp(name, ".gnu_debuglink") == 0)
            find_debuglink(v, &s, info);
        else if (s.type == SHT_NOTE && info->buildid_len == 0)
            find_buildid(v, &s, info);
    }
    return 0;
}

static int check_header(const struct elfview *v, char *why, size_t whylen, bool *is64)
{
    if (v->size < EI_NIDENT || memcmp(v->p, ELFMAG, SELFMAG) != 0) {
        snprintf(why, whylen, "not an ELF file");
        return -1;
    }
    if (v->p[EI_CLASS] != ELFCLASS64 && v->p[EI_CLASS] != ELFCLASS32) {
        snprintf(why, whylen, "corrupt ELF: unknown class %u", v->p[EI_CLASS]);
        return -1;
    }
    *is64 = v->p[EI_CLASS] == ELFCLASS64;
    unsigned host = (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) ? ELFDATA2LSB : ELFDATA2MSB;
    if (v->p[EI_DATA] != host) {
        snprintf(why, whylen, "ELF file of the other byte order: not supported");
        return -1;
    }
    size_t ehsize = *is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (v->size < ehsize) {
        snprintf(why, whylen, "truncated ELF: %zu bytes, shorter than the ELF header", v->size);
        return -1;
    }
    return 0;
}

/* The whole file in memory.  Read, not mmap'd: a mapped file that shrinks
 * while we read it (a build rewriting it) raises SIGBUS; a copy cannot. */
static uint8_t *slurp(int fd, size_t size, char *why, size_t whylen)
{
    uint8_t *buf = malloc(size);
    if (!buf) {
        snprintf(why, whylen, "out of memory for a %zu-byte file", size);
        return NULL;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(why, whylen, "cannot read the file: %s",
                     n < 0 ? strerror(errno) : "it became shorter while being read");
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    return buf;
}

struct elfmap *elf_open(const char *path, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file");
        close(fd);
        return NULL;
    }
    if (st.st_size == 0) {
        snprintf(why, whylen, "empty file, not an ELF file");
        close(fd);
        return NULL;
    }
    uint8_t *p = slurp(fd, (size_t)st.st_size, why, whylen);
    close(fd);
    if (!p)
        return NULL;
    struct elfmap *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(why, whylen, "out of memory");
        free(p);
        return NULL;
    }
    m->p = p;
    m->size = (size_t)st.st_size;
    struct elfview v = { p, (size_t)st.st_size, false };
    if (check_header(&v, why, whylen, &v.is64) != 0
        || check_sections(&v, m, why, whylen) != 0) {
        elf_close(m);
        return NULL;
    }
    m->is64 = v.is64;
    return m;
}

void elf_close(struct elfmap *m)
{
    if (!m)
        return;
    free((void *)m->p);
    free(m->sec);
    free(m);
}

int elf_inspect(const char *path, struct elfinfo *info, char *why, size_t whylen)
{
    struct elfmap *m = elf_open(path, why, whylen);
    if (!m)
        return -1;
    *info = m->info;
    elf_close(m);
    return 0;
}

int elf_file_crc32(const char *path, uint32_t *crc)
{
    static uint32_t table[256];
    if (table[1] == 0)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint32_t c = 0xffffffffu;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++)
            c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return -1;
    *crc = c ^ 0xffffffffu;
    return 0;
}
