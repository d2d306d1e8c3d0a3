/*
 * bank.c: a bank-transfer deadlock through two mutexes.
 *
 * The story.  transfer(from, to, amount) locks the source account, then the
 * destination, moves the money and unlocks both.  Two tellers run at once:
 * teller A moves money from alice to bob, teller B from bob to alice.  Each
 * takes its first lock, pauses (the "audit log write" below), and then
 * waits for the lock the other one holds.  Neither can go on; the main
 * goroutine waits for both tellers on a wait group.  Every goroutine is
 * blocked and no timer is pending, so the runtime prints
 *     fatal error: all goroutines are asleep - deadlock!
 * with every goroutine's stack, and aborts, leaving a core file.
 *
 * What a person should see:
 *   - `info goroutines`: goroutine 1 [waitgroup] in bank_main, the two
 *     tellers [mutex] in transfer at bank.c.
 *   - `goroutine N bt` on a teller: transfer <- teller, with `from`/`to`
 *     in `info locals` of the transfer frame.
 *   - `p alice.mu`: the mutex, owned by the other teller.
 *   - `gort waitgraph` / `gort-core bank core waitgraph`: the cycle
 *     teller A -> teller B -> teller A, through the two mutexes.
 * The fix: always lock accounts in one global order (by id).
 */
#include <gort.h>
#include <stdio.h>

struct account {
    const char *owner;
    int         id;
    int64_t     balance;
    gort_mutex  mu;
};

static struct account alice = { "alice", 1, 1000, GORT_MUTEX_INIT };
static struct account bob   = { "bob",   2, 1000, GORT_MUTEX_INIT };
static gort_waitgroup tellers = GORT_WAITGROUP_INIT;

/* Called when the interesting state is reached (a debugger breaks here). */
__attribute__((noinline)) void story_ready(void) { __asm__ volatile(""); }

static void transfer(struct account *from, struct account *to, int64_t amount)
{
    gort_mutex_lock(&from->mu);
    /* The audit log write: long enough for the other teller to take its
     * first lock too. */
    gort_sleep(20 * 1000 * 1000);
    gort_mutex_lock(&to->mu);            /* <- both tellers wait here */
    from->balance -= amount;
    to->balance += amount;
    gort_mutex_unlock(&to->mu);
    gort_mutex_unlock(&from->mu);
}

struct job { struct account *from, *to; int64_t amount; };

static void teller(void *arg)
{
    struct job *j = arg;
    transfer(j->from, j->to, j->amount);
    gort_waitgroup_done(&tellers);
}

static int bank_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    static struct job a_to_b = { &alice, &bob, 100 };
    static struct job b_to_a = { &bob, &alice, 50 };
    gort_waitgroup_add(&tellers, 2);
    gort_go(teller, &a_to_b);
    gort_go(teller, &b_to_a);
    /* Give the tellers time to take their first locks, then tell a
     * debugger the stage is set; the wait below completes the deadlock. */
    gort_sleep(50 * 1000 * 1000);
    story_ready();
    gort_waitgroup_wait(&tellers);
    printf("balances: alice %lld, bob %lld\n",
           (long long)alice.balance, (long long)bob.balance);
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(bank_main, argc, argv);
}
