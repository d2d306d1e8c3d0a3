/*
 * orders.c: an order desk that deadlocks; the sample `make demo` runs.
 *
 * The story.  A shop keeps its stock in a map (item name -> count) guarded
 * by `stock_mu`, and its ledger guarded by `ledger_mu`.  Two clerks work at
 * once.  The shipper takes stock_mu, then ledger_mu (it decrements stock,
 * then books the sale).  The restocker takes ledger_mu, then stock_mu (it
 * books the purchase, then increments stock): the opposite order.  Each
 * gets its first lock, and waits forever for the other's.
 *
 * Meanwhile every step is announced on `events` (buffered, 4), read by an
 * auditor that writes each event into the ledger, so it needs ledger_mu
 * too: it blocks behind the restocker, `events` fills up, and the two
 * notifiers that announce new orders block sending.  Goroutine 1 waits for
 * the clerks.  Now nothing can run and no timer is pending: the runtime
 * prints "fatal error: all goroutines are asleep - deadlock!" with every
 * goroutine's stack and aborts, leaving a core file.
 *
 * What a person should see (live at story_ready(), or in the core):
 *   - `info goroutines`: goroutine 1 [waitgroup]; shipper and restocker
 *     [mutex] in take(); the auditor [mutex]; two notifiers [chan send].
 *   - `goroutine <shipper> bt`: take <- ship_order <- shipper, file:line.
 *   - `p events`: chan struct event, len 4, cap 4, the four buffered
 *     events in order, the notifiers' ids waiting to send.
 *   - `p stock`: map[gort_string]int64_t with the items and their counts.
 *   - `gort waitgraph` / `gort-core orders core waitgraph`: the cycle
 *     shipper -> restocker -> shipper through stock_mu and ledger_mu, and
 *     the auditor and notifiers blocked behind it.
 * The fix: take the two locks in one order everywhere.
 */
#include <gort.h>
#include <stdio.h>

struct event {
    int64_t     order;
    gort_string what;
};
GORT_DEFINE_TYPE(event_type, struct event);

static struct hmap   *stock;            /* gort_string -> int64_t */
static struct hchan  *events;           /* struct event, buffered 4 */
static gort_mutex     stock_mu  = GORT_MUTEX_INIT;
static gort_mutex     ledger_mu = GORT_MUTEX_INIT;
static int64_t        ledger_total;
static int64_t        ledger_last_order;
static gort_waitgroup clerks = GORT_WAITGROUP_INIT;

__attribute__((noinline)) void story_ready(void) { __asm__ volatile(""); }

static void announce(int64_t order, const char *what)
{
    struct event ev = { order, gort_string_from(what) };
    gort_chan_send(events, &ev);
}

/* Take a lock after a pause, so that both clerks hold their first lock
 * before either asks for its second: the deadlock happens every run. */
static void take(gort_mutex *mu, int64_t pause_ms)
{
    gort_sleep(pause_ms * 1000 * 1000);
    gort_mutex_lock(mu);
}

static void ship_order(int64_t order, gort_string item)
{
    take(&stock_mu, 0);
    int64_t *count = gort_map_get(stock, &item);
    if (count != NULL && *count > 0)
        (*count)--;
    take(&ledger_mu, 30);                 /* <- waits for the restocker */
    ledger_total += 10;
    ledger_last_order = order;
    gort_mutex_unlock(&ledger_mu);
    gort_mutex_unlock(&stock_mu);
}

static void restock(gort_string item, int64_t n)
{
    take(&ledger_mu, 0);
    ledger_total -= 5 * n;
    take(&stock_mu, 30);                  /* <- waits for the shipper */
    int64_t *count = gort_map_get(stock, &item);
    if (count != NULL)
        *count += n;
    gort_mutex_unlock(&stock_mu);
    gort_mutex_unlock(&ledger_mu);
}

static void shipper(void *arg)
{
    (void)arg;
    ship_order(1001, GORT_STR("teapot"));
    gort_waitgroup_done(&clerks);
}

static void restocker(void *arg)
{
    (void)arg;
    restock(GORT_STR("teapot"), 12);
    gort_waitgroup_done(&clerks);
}

static void auditor(void *arg)
{
    (void)arg;
    struct event ev;
    gort_sleep(10 * 1000 * 1000);         /* starts after the clerks */
    while (gort_chan_recv(events, &ev)) {
        take(&ledger_mu, 0);              /* <- blocked behind the restocker */
        ledger_total += 0;
        gort_mutex_unlock(&ledger_mu);
    }
}

static void notifier(void *arg)
{
    int64_t first = (int64_t)(intptr_t)arg;
    for (int64_t order = first;; order++)
        announce(order, "new order");     /* <- blocks when events is full */
}

static int orders_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    static const char *items[] = { "teapot", "kettle", "mug", "saucer", "spoon" };
    stock = gort_map_new(&gort_type_string, &gort_type_int64, 0);
    for (int64_t i = 0; i < 5; i++) {
        gort_string name = gort_string_from(items[i]);
        int64_t count = 10 * (i + 1);
        gort_map_set(stock, &name, &count);
    }
    events = gort_chan_new(&event_type, 4);

    gort_waitgroup_add(&clerks, 2);
    gort_go(shipper, NULL);
    gort_go(restocker, NULL);
    gort_go(auditor, NULL);
    gort_go(notifier, (void *)(intptr_t)2000);
    gort_go(notifier, (void *)(intptr_t)3000);

    gort_sleep(100 * 1000 * 1000);
    story_ready();
    gort_waitgroup_wait(&clerks);         /* <- never returns */
    printf("ledger: %lld\n", (long long)ledger_total);
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(orders_main, argc, argv);
}
