/*
 * defer.c: Go's defer for C goroutines (gort.h, "Defer").
 *
 * Each goroutine keeps its pending defers in g->defers, a singly linked
 * list of struct gort_defer (runtime.h) with the newest first, so running
 * them in reverse order of registration is walking the list.  The field
 * names (fn, arg, fv, link) are what a debugger lists.  Records are reused
 * through a small per-g pool (g->deferpool, at most POOL_MAX records) so a
 * goroutine that defers in a loop does not call malloc each time.
 *
 * gort_rundefers runs and discards every pending defer: proc.c calls it
 * when a goroutine's start function returns, panic.c before the panic
 * report.  A defer may itself call gort_defer; the new record goes on the
 * front and runs next, as in Go.
 */
#include "proc.h"

enum { POOL_MAX = 8 };

static struct gort_defer *newdefer(const char *call)
{
    struct g *gp = getg();
    struct m *mp = getm();
    if (gp == NULL || mp == NULL || gp == mp->g0)
        gort_fatal("%s: not called from a goroutine", call);
    struct gort_defer *d = gp->deferpool;
    if (d != NULL)
        gp->deferpool = d->link;
    else
        d = gort_malloc(sizeof *d);
    d->link = gp->defers;
    gp->defers = d;
    return d;
}

void gort_defer(void (*fn)(void *arg), void *arg)
{
    if (fn == NULL)
        gort_badcall("gort_defer", "NULL function");
    struct gort_defer *d = newdefer("gort_defer");
    d->fn = fn;
    d->arg = arg;
    d->fv = NULL;
}

void gort_defer_func(struct funcval *f)
{
    if (f == NULL || f->fn == NULL)
        gort_badcall("gort_defer_func", "NULL closure or closure with NULL fn");
    struct gort_defer *d = newdefer("gort_defer_func");
    d->fn = NULL;
    d->arg = NULL;
    d->fv = f;
}

void gort_rundefers(struct g *gp)
{
    if (gp == NULL)
        return;
    int pooled = 0;
    for (struct gort_defer *p = gp->deferpool; p != NULL; p = p->link)
        pooled++;
    struct gort_defer *d;
    while ((d = gp->defers) != NULL) {
        gp->defers = d->link;          /* unlink first: the call may defer again */
        if (d->fv != NULL)
            ((void (*)(struct funcval *))d->fv->fn)(d->fv);
        else
            d->fn(d->arg);
        if (pooled < POOL_MAX) {
            d->link = gp->deferpool;
            gp->deferpool = d;
            pooled++;
        } else {
            gort_free(d);
        }
    }
}
