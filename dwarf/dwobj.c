/*
 * dwobj.c: hand libdwarf our validated copy of the file, and only the sections that
 * describe types.
 *
 * Why not dwarf_init_path: libdwarf then parses the ELF file itself, and
 * loads every DWARF section it knows while reading the first CU header,
 * among them .debug_rnglists and .debug_loclists, which gort-dwarf never
 * needs.  Fuzzing a sample showed that a corrupt .debug_rnglists makes
 * this libdwarf (20210528) free a block twice.  Through libdwarf's object
 * access interface it sees the file elffile.c has already checked, and
 * the sections below under their own names; every other section is shown
 * with an empty name and no bytes, so libdwarf ignores it.  Less input,
 * fewer of its parsers in play.
 *
 * The interface has no section flags, so libdwarf cannot decompress
 * SHF_COMPRESSED sections this way, and relocatable objects (.o) would
 * need relocation: for those two cases dwobj_open falls back to
 * dwarf_init_path.
 */
#include "dwobj.h"
#include "elffile.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the type reader reads: DIEs, their abbreviations and strings. */
static const char *const wanted[] = {
    ".debug_info", ".debug_abbrev", ".debug_str", ".debug_line_str",
    ".debug_str_offsets",
};

struct dwobj {
    Dwarf_Debug                dbg;
    bool                       via_object;   /* dwarf_object_init_b, else dwarf_init_path */
    struct elfmap             *m;
    Dwarf_Obj_Access_Interface iface;
};

static bool is_wanted(const struct elfsec *s)
{
    if (s->type == SHT_NOBITS)
        return false;
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if (strcmp(s->name, wanted[i]) == 0)
            return true;
    return false;
}

static int get_section_info(void *obj, Dwarf_Half i, Dwarf_Obj_Access_Section *out, int *error)
{
    struct elfmap *m = obj;
    if (i >= m->nsec) {
        *error = DW_DLE_ELF_SECT_ERR;
        return DW_DLV_ERROR;
    }
    const struct elfsec *s = &m->sec[i];
    bool w = is_wanted(s);
    *out = (Dwarf_Obj_Access_Section){
        .addr = s->addr, .type = s->type, .size = w ? s->size : 0,
        .name = w ? s->name : "", .link = s->link, .info = s->info,
        .entrysize = s->entsize,
    };
    return DW_DLV_OK;
}

static Dwarf_Endianness get_byte_order(void *obj)
{
    (void)obj;
    return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? DW_OBJECT_LSB : DW_OBJECT_MSB;
}

static Dwarf_Small get_size(void *obj)
{
    return ((struct elfmap *)obj)->is64 ? 8 : 4;
}

static Dwarf_Unsigned get_section_count(void *obj)
{
    return ((struct elfmap *)obj)->nsec;
}

static int load_section(void *obj, Dwarf_Half i, Dwarf_Small **data, int *error)
{
    struct elfmap *m = obj;
    if (i >= m->nsec || !is_wanted(&m->sec[i])) {
        *error = DW_DLE_ELF_SECT_ERR;
        return DW_DLV_ERROR;
    }
    /* elffile.c checked offset + size against the file.  libdwarf only
     * reads through this pointer. */
    *data = (Dwarf_Small *)(m->p + m->sec[i].offset);
    return DW_DLV_OK;
}

static const Dwarf_Obj_Access_Methods methods = {
    .get_section_info = get_section_info,
    .get_byte_order = get_byte_order,
    .get_length_size = get_size,
    .get_pointer_size = get_size,
    .get_section_count = get_section_count,
    .load_section = load_section,
    .relocate_a_section = NULL,
};

static bool needs_libdwarf_elf(const struct elfmap *m)
{
    if (m->type == ET_REL)
        return true;
    for (size_t i = 0; i < m->nsec; i++)
        if (is_wanted(&m->sec[i]) && (m->sec[i].flags & SHF_COMPRESSED))
            return true;
    return false;
}

static void report(char *why, size_t whylen, int rc, Dwarf_Error err)
{
    if (rc == DW_DLV_NO_ENTRY)
        snprintf(why, whylen, "no DWARF debug info");
    else
        snprintf(why, whylen, "cannot read DWARF: %s", err ? dwarf_errmsg(err) : "unknown error");
    if (err)
        dwarf_dealloc_error(NULL, err);
}

struct dwobj *dwobj_open(const char *path, struct elfmap *m, char *why, size_t whylen)
{
    struct dwobj *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    o->m = m;
    Dwarf_Error err = NULL;
    int rc;
    if (needs_libdwarf_elf(m)) {
        /* No true-path buffer: libdwarf must not follow debug links
         * itself; debugfile.c chose the file. */
        rc = dwarf_init_path(path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL,
                             &o->dbg, NULL, 0, NULL, &err);
        if (rc != DW_DLV_OK) {
            report(why, whylen, rc, err);
            free(o);
            return NULL;
        }
        return o;
    }
    o->iface = (Dwarf_Obj_Access_Interface){ .object = m, .methods = &methods };
    o->via_object = true;
    rc = dwarf_object_init_b(&o->iface, NULL, NULL, DW_GROUPNUMBER_ANY, &o->dbg, &err);
    if (rc != DW_DLV_OK) {
        report(why, whylen, rc, err);
        free(o);
        return NULL;
    }
    return o;
}

Dwarf_Debug dwobj_debug(const struct dwobj *o) { return o->dbg; }

void dwobj_close(struct dwobj *o)
{
    if (!o)
        return;
    Dwarf_Error err = NULL;
    int rc = o->via_object ? dwarf_object_finish(o->dbg, &err) : dwarf_finish(o->dbg, &err);
    if (rc == DW_DLV_ERROR && err)
        dwarf_dealloc_error(NULL, err);
    free(o);
}
