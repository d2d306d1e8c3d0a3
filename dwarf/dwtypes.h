/*
 * dwtypes.h: the named types and globals of a program's DWARF, read with
 * libdwarf, in the shape gort-dwarf needs.
 *
 * dwt_open() walks every compilation unit once and indexes its top-level
 * struct, union, enum and typedef definitions and its defined global
 * variables by name.  The first definition of a name wins; a struct or
 * union defined again with another size is remembered as a conflict (the
 * tools would read one CU's layout and the program might use the other's).
 * Layouts are then read on demand from a DIE's offset: members with their
 * offsets and sizes, enumerators with their values, the size and C
 * spelling of any type.
 *
 * Every function that can fail returns 0 on success and -1 after putting a
 * one-line reason in the handle (dwt_error()).  Strings returned belong to
 * the handle (or to the struct returned) and live until dwt_close().
 */
#ifndef GORT_DWARF_DWTYPES_H
#define GORT_DWARF_DWTYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libdwarf/libdwarf.h>

enum dwt_kind { DWT_STRUCT, DWT_UNION, DWT_ENUM, DWT_TYPEDEF, DWT_VAR, DWT_NKINDS };

struct dwt;

struct dwt_entry {
    enum dwt_kind kind;
    const char   *name;
    Dwarf_Off     off;          /* the defining DIE */
    uint64_t      size;         /* DW_AT_byte_size of a struct/union/enum */
    bool          has_size;
    uint64_t      conflict_size;   /* another CU's size for the same tag, if different */
    bool          conflict;
};

struct dwt_member {
    const char *name;           /* "" for an anonymous struct/union member */
    uint64_t    offset;         /* bytes from the start of the struct */
    uint64_t    size;           /* bytes; 0 for a flexible array */
    bool        has_size;
    uint32_t    bit_size;       /* bit-fields only, else 0 */
    uint64_t    bit_offset;     /* bit-fields: from the start of the struct */
    Dwarf_Off   type;           /* the member's type DIE */
};

struct dwt_layout {
    size_t            n;
    struct dwt_member m[];      /* in declaration order */
};

struct dwt_enumerator {
    const char *name;
    int64_t     value;
};

struct dwt_enumlist {
    size_t                n;
    struct dwt_enumerator e[];
};

/* Open path's DWARF (path itself must carry it: debugfile.h finds a
 * separate debug file) and index it.  Returns NULL with a reason in
 * why[0..whylen) on failure. */
struct dwt *dwt_open(const char *path, char *why, size_t whylen);
void dwt_close(struct dwt *d);
const char *dwt_error(const struct dwt *d);

/* Address size (bytes) of the first compilation unit. */
unsigned dwt_address_size(const struct dwt *d);

/* The indexed definition of name, or NULL. */
const struct dwt_entry *dwt_lookup(const struct dwt *d, enum dwt_kind kind, const char *name);

/* Members of the struct or union at off; the caller frees the result. */
int dwt_members(struct dwt *d, Dwarf_Off off, struct dwt_layout **out);
/* Enumerators of the enum at off; the caller frees the result (the names
 * stay owned by d). */
int dwt_enumerators(struct dwt *d, Dwarf_Off off, struct dwt_enumlist **out);

/* Size in bytes of the type at off, through typedefs, qualifiers and
 * arrays (a flexible array has size 0). */
int dwt_type_size(struct dwt *d, Dwarf_Off off, uint64_t *size);
/* The type at off with typedefs and qualifiers peeled off, and its tag
 * (DW_TAG_...). */
int dwt_peel(struct dwt *d, Dwarf_Off off, Dwarf_Off *peeled, int *tag);
/* C spelling of the type at off ("struct gobuf", "uint32_t *",
 * "void (*)(void *)", "struct g *[256]") into buf. */
int dwt_type_name(struct dwt *d, Dwarf_Off off, char *buf, size_t len);
/* A C declaration of name with the type at off ("void (*fun[])(void)"). */
int dwt_declaration(struct dwt *d, Dwarf_Off off, const char *name, char *buf, size_t len);
/* Type DIE of the variable at off (following DW_AT_specification). */
int dwt_var_type(struct dwt *d, Dwarf_Off off, Dwarf_Off *type);
/* Number of elements of the array type at off (peeled), -1 if unknown. */
int dwt_array_count(struct dwt *d, Dwarf_Off off, int64_t *count);

#endif /* GORT_DWARF_DWTYPES_H */
