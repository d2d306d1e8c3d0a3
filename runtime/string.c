/*
 * string.c: gort_string, Go's string header {str, len} for C.
 *
 * A gort_string does not own its bytes and need not be NUL-terminated (a
 * substring is just a shorter len); gort_string_from wraps a C string
 * without copying, so the C string must outlive every use of the result.
 * Its type descriptor (gort_type_string, type.c) hashes and compares the
 * bytes, so gort_strings work as map keys and in interfaces.
 */
#include "runtime.h"

#include <string.h>

gort_string gort_string_from(const char *cstr)
{
    if (cstr == NULL)
        gort_fatal("gort_string_from: NULL string");
    return (gort_string){ cstr, (intptr_t)strlen(cstr) };
}
