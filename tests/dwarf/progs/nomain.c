/* nomain.c: uses libgort without gort_main (only a map and the hash of its
 * keys): the runtime's types must still all be in its DWARF, because gort.h
 * makes every including file pull in runtime/debuginfo.o. */
#include <stdio.h>

#include "gort.h"

int main(void)
{
    struct hmap *m = gort_map_new(&gort_type_int64, &gort_type_int64, 0);
    int64_t k = 7, v = 49;
    gort_map_set(m, &k, &v);
    printf("%zu\n", gort_map_len(m));
    gort_map_free(m);
    return 0;
}
