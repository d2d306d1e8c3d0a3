/*
 * pubsub.c: a pub/sub broker held up by one slow subscriber.
 *
 * The story.  A broker goroutine keeps a map from topic name to the topic's
 * subscribers (a map[gort_string]struct topic); each subscriber has its own
 * buffered channel.  The broker reads messages from its inbox and sends each
 * one to every subscriber of the message's topic, blocking while a
 * subscriber's channel is full.  One subscriber of "prices" is slow: it
 * takes a message, then spends a long time on it.  Its channel fills up,
 * the broker blocks sending to it, the inbox fills up, the publisher blocks,
 * and the fast subscribers of every topic starve.  A watchdog sees the
 * delivered count stop moving, calls story_ready() and panics (goroutine
 * dump, core file).
 *
 * What a person should see:
 *   - `info goroutines`: the broker [chan send] in broker_loop, the
 *     publisher [chan send], the fast subscribers [chan receive], the slow
 *     one [sleep].
 *   - `p topics`: map[gort_string]struct topic with "prices", "news",
 *     "weather", each with its subscriber channels.
 *   - `p topics` entries' channels, or `gort chans`: the slow
 *     subscriber's channel full (len 2, cap 2) with the broker waiting to
 *     send on it, and the inbox full (len 8, cap 8) with the publisher.
 *   - `gort waitgraph` (or gort-core's): the broker -> the slow
 *     subscriber, "holds a reference to" that full channel: the slow
 *     subscriber is the only goroutine whose stack holds it, so the only
 *     one that could make room (a guess, the only kind a core allows).
 */
#include <gort.h>
#include <stdatomic.h>
#include <stdio.h>

#define MAXSUBS 4

struct message {
    gort_string topic;
    int64_t     seq;
};
struct topic {
    int           nsubs;
    struct hchan *subs[MAXSUBS];
};
GORT_DEFINE_TYPE(message_type, struct message);
GORT_DEFINE_TYPE(topic_type, struct topic);

static struct hmap  *topics;     /* gort_string -> struct topic */
static struct hchan *inbox;      /* struct message */
static _Atomic int64_t delivered;

__attribute__((noinline)) void story_ready(void) { __asm__ volatile(""); }

static struct hchan *subscribe(const char *name, size_t buffer)
{
    gort_string key = gort_string_from(name);
    struct topic *t = gort_map_get(topics, &key);
    if (t == NULL) {
        struct topic empty = { 0 };
        t = gort_map_set(topics, &key, &empty);
    }
    struct hchan *c = gort_chan_new(&message_type, buffer);
    t->subs[t->nsubs++] = c;
    return c;
}

static void broker_loop(void *arg)
{
    (void)arg;
    struct message msg;
    while (gort_chan_recv(inbox, &msg)) {
        struct topic *t = gort_map_get(topics, &msg.topic);
        if (t == NULL)
            continue;
        for (int i = 0; i < t->nsubs; i++)
            gort_chan_send(t->subs[i], &msg);    /* <- blocks on the slow one */
    }
}

static void fast_subscriber(void *arg)
{
    struct hchan *c = arg;
    struct message msg;
    while (gort_chan_recv(c, &msg))
        atomic_fetch_add(&delivered, 1);
}

static void slow_subscriber(void *arg)
{
    struct hchan *c = arg;
    struct message msg;
    while (gort_chan_recv(c, &msg)) {
        atomic_fetch_add(&delivered, 1);
        gort_sleep(3600LL * 1000 * 1000 * 1000);   /* "processing": an hour */
    }
}

static void publisher(void *arg)
{
    (void)arg;
    static const char *names[] = { "prices", "news", "weather" };
    for (int64_t seq = 0;; seq++) {
        struct message msg = { gort_string_from(names[seq % 3]), seq };
        gort_chan_send(inbox, &msg);
    }
}

static void watchdog(void *arg)
{
    (void)arg;
    int64_t last = -1;
    for (;;) {
        gort_sleep(100 * 1000 * 1000);
        int64_t now = atomic_load(&delivered);
        if (now == last) {
            story_ready();
            gort_panic("pubsub: no message delivered for 100ms (%lld so far)",
                       (long long)now);
        }
        last = now;
    }
}

static int pubsub_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    topics = gort_map_new(&gort_type_string, &topic_type, 0);
    inbox = gort_chan_new(&message_type, 8);
    gort_go(fast_subscriber, subscribe("prices", 4));
    gort_go(slow_subscriber, subscribe("prices", 2));
    gort_go(fast_subscriber, subscribe("news", 4));
    gort_go(fast_subscriber, subscribe("weather", 4));
    gort_go(fast_subscriber, subscribe("weather", 4));
    gort_go(broker_loop, NULL);
    gort_go(publisher, NULL);
    watchdog(NULL);
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(pubsub_main, argc, argv);
}
