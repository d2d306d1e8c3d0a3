/*
 * elffile.h: a careful first look at a file before libdwarf sees it.
 *
 * libdwarf trusts an ELF file's headers more than a tool given arbitrary
 * input should: a truncated copy of a binary or a random file must give a
 * one-line reason, never a crash.  elf_inspect() checks the ELF header, the
 * section header table and every section's extent against the file's real
 * size, and collects what gort-dwarf needs to find DWARF that lives in a
 * separate file (.gnu_debuglink, the GNU build-id note).
 */
#ifndef GORT_DWARF_ELFFILE_H
#define GORT_DWARF_ELFFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elfinfo {
    bool     has_debug_info;      /* a .debug_info (or .zdebug_info) with content */
    bool     has_debuglink;
    char     debuglink[256];      /* file name from .gnu_debuglink */
    uint32_t debuglink_crc;       /* CRC-32 of the debug file it names */
    size_t   buildid_len;         /* 0 when there is no build-id note */
    uint8_t  buildid[64];
};

/* A section of a validated file: its bytes lie inside the copy
 * (except SHT_NOBITS, whose size says nothing about the file). */
struct elfsec {
    const char *name;             /* inside the copy, NUL-terminated */
    uint32_t    type;
    uint64_t    flags, addr, offset, size, link, info, entsize;
};

/* A file read into memory and validated (see elffile.c). */
struct elfmap {
    const uint8_t  *p;
    size_t          size;
    bool            is64;
    uint16_t        type;         /* ET_EXEC, ET_DYN, ET_REL, ... */
    size_t          nsec;
    struct elfsec  *sec;          /* nsec entries; [0] is the null section */
    struct elfinfo  info;
};

/* Read and validate path.  Returns NULL with a one-line reason (no file
 * name, no newline) in why[0..whylen). */
struct elfmap *elf_open(const char *path, char *why, size_t whylen);
void elf_close(struct elfmap *m);

/* The same, keeping only what was found.  Returns 0 or -1 with a reason. */
int elf_inspect(const char *path, struct elfinfo *info, char *why, size_t whylen);

/* CRC-32 (the .gnu_debuglink checksum, zlib's polynomial) of a whole file.
 * Returns 0 and sets *crc, or -1 when the file cannot be read. */
int elf_file_crc32(const char *path, uint32_t *crc);

#endif /* GORT_DWARF_ELFFILE_H */
