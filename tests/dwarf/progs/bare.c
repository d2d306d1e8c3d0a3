/* bare.c: includes gort.h and links libgort but calls nothing in it.  The
 * linker then takes no runtime object for a call; the runtime's types must
 * still all be in its DWARF (gort.h's reference to gort_debuginfo pulls in
 * runtime/debuginfo.o), and so must gdb's auto-load entry. */
#include <stdio.h>

#include "gort.h"

int main(void)
{
    gort_string s = GORT_STR("bare");
    printf("%.*s\n", (int)s.len, s.str);
    return 0;
}
