/* fake.c: a program that looks like gort to gort-dwarf but breaks the
 * contract in known ways, so the tests can see `check` fail for the right
 * reasons.  It does not link libgort; its own types carry the runtime's
 * names, with these faults:
 *   - struct waitq has three pointers (the tools read two);
 *   - struct g's sched is not a struct gobuf, and g has no goid;
 *   - enum gstatus has no Gdead, and Grunning == Grunnable;
 *   - struct hchan (and most of the contract) is missing.
 */
#include <stdint.h>
#include <stdio.h>

struct waitq { void *first, *last, *extra; };
struct gobuf { uintptr_t sp, pc, bp, more; };
struct gobuf3 { uintptr_t sp, pc, bp; };
struct gstack { uintptr_t lo, hi; };
enum gstatus { Gidle, Grunnable, Grunning = 1, Gsyscall, Gwaiting };

struct g {
    struct gobuf3 sched;          /* not a struct gobuf */
    struct gstack stack;
    uint32_t atomicstatus;
    enum gstatus status;
};

int main(void)
{
    struct g g = { 0 };
    struct waitq q = { 0 };
    struct gobuf b = { 0 };
    printf("%zu %zu %zu %d\n", sizeof g, sizeof q, sizeof b, (int)g.status);
    return 0;
}
