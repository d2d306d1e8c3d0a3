/*
 * deadlock.c: two goroutines each wait for the other to speak first, and
 * main waits for both of them.  It deadlocks on purpose.
 *
 * The story.  `alice` and `bob` are polite: each first waits to receive
 * a greeting on its own inbox, and only then greets the other.  Both
 * write a line to the `messages` channel (capacity 4, gort_string elements)
 * before they start waiting, so two messages sit unread in its buffer.
 * Main adds 2 to a wait group and waits for both to finish.  Nobody can
 * ever move, so the runtime prints
 *     fatal error: all goroutines are asleep - deadlock!
 * followed by every goroutine, Go style:
 *     goroutine 1 [waitgroup]:   ... main's run()
 *     goroutine 2 [chan receive]: ... alice()
 *     goroutine 3 [chan receive]: ... bob()
 * and abort()s, so (with `ulimit -c unlimited`) a core file is left.
 *
 * Main calls story_ready() just before its wait, when alice and bob are
 * already parked.
 *
 * In gdb:  break story_ready, run, then
 *     info goroutines     (2 and 3 [chan receive])
 *     print alice_inbox   (chan int64_t, len 0, waiting to receive: goroutine 2)
 *     print messages      (chan gort_string, len 2, cap 4: the two messages)
 *     goroutine 2 bt, goroutine 3 bt   (gort_chan_recv called from alice, bob)
 * continue, and the deadlock report and SIGABRT follow.  On the core the
 * same, and:
 *     gort waitgraph, or
 *     gort-core deadlock core waitgraph    (3 goroutines, 3 blocked; no
 *                                           goroutine is queued opposite
 *                                           either inbox, so the verdict
 *                                           is the runtime's: all
 *                                           goroutines are blocked: deadlock)
 *     gort-core deadlock core goroutines   (1 [waitgroup], 2 and 3 [chan receive])
 *     gort-core deadlock core chans        (the two inboxes, each with its
 *                                           one waiting receiver)
 */
#include <gort.h>
#include <stdio.h>

struct hchan *alice_inbox, *bob_inbox, *messages;
static gort_waitgroup both_done = GORT_WAITGROUP_INIT;

/* Where a debugger stops: alice and bob are parked, main is about to wait. */
__attribute__((noinline)) void story_ready(void)
{
    __asm__ volatile("" ::: "memory");
}

static void alice(void *arg)
{
    (void)arg;
    gort_string msg = GORT_STR("alice: waiting for bob to say hello");
    gort_chan_send(messages, &msg);
    int64_t hello;
    gort_chan_recv(alice_inbox, &hello);        /* bob never sends: he waits too */
    gort_chan_send(bob_inbox, &hello);
    gort_waitgroup_done(&both_done);
}

static void bob(void *arg)
{
    (void)arg;
    gort_string msg = GORT_STR("bob: waiting for alice to say hello");
    gort_chan_send(messages, &msg);
    int64_t hello;
    gort_chan_recv(bob_inbox, &hello);
    gort_chan_send(alice_inbox, &hello);
    gort_waitgroup_done(&both_done);
}

static int run(int argc, char **argv)
{
    (void)argc; (void)argv;
    alice_inbox = gort_chan_new(&gort_type_int64, 0);
    bob_inbox = gort_chan_new(&gort_type_int64, 0);
    messages = gort_chan_new(&gort_type_string, 4);

    gort_waitgroup_add(&both_done, 2);
    gort_go(alice, NULL);
    gort_go(bob, NULL);
    while (gort_chan_len(messages) < 2)
        gort_yield();
    gort_sleep(10 * 1000 * 1000);               /* both are parked by now */
    story_ready();
    gort_waitgroup_wait(&both_done);            /* never returns */
    printf("unreachable: the deadlock was not detected\n");
    return 1;
}

int main(int argc, char **argv)
{
    return gort_main(run, argc, argv);
}
