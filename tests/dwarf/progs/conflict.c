/* conflict.c: a program built against a stale copy of a runtime struct
 * (here struct waitq with one pointer where libgort has two), linked with
 * libgort.  Each compilation unit's DWARF describes its own struct waitq,
 * so a debugger reading one of them misreads the other's memory.
 * `gort-dwarf check` must say so: the same struct with two sizes. */
#include <stdio.h>

struct waitq { void *first; };

extern const void *const gort_debuginfo[];   /* links runtime/debuginfo.o */

int main(void)
{
    struct waitq q = { 0 };
    printf("%p %p\n", q.first, (const void *)gort_debuginfo);
    return 0;
}
