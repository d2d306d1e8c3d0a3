/* plain.c: a C program with DWARF but no gort: gort-dwarf must refuse it
 * in one line ("not a gort program"), not list 40 missing structs. */
#include <stdio.h>

struct point { int x, y; };

int main(void)
{
    struct point p = { 1, 2 };
    printf("%d\n", p.x + p.y);
    return 0;
}
