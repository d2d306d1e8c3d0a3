/*
 * mapcache.c: a session cache caught in the middle of growing.
 *
 * The story.  A web front end caches sessions by user name: `sessions`
 * maps a gort_string ("user:0042") to a struct session (user id, hits,
 * last-seen time), declared with GORT_MAP_DECLARE so DWARF describes its
 * buckets as `struct sessions_bucket` (tophash[8], gort_string keys[8],
 * struct session elems[8], overflow).  A small int64 map, `hits_by_hour`,
 * counts requests per hour of the day.
 *
 * The cache has just taken its 417th user.  At 6.5 entries per bucket, 64
 * buckets hold at most 416, so that insert started a grow to 128 buckets:
 * the old 64 are in `oldbuckets` and only the first few have been
 * evacuated (each write moves at most nine).  Three more logins follow, so
 * the map is mid-growth (oldbuckets != NULL, nevacuate < 64) when the
 * program reaches story_ready(), a noinline function to break on.  It then
 * deletes a user (a rare logout) and exits normally.
 *
 * What a person should see (break at story_ready, or a core taken there):
 *   - `p *sessions`: map[gort_string]struct session, len 420, growing:
 *     B 7, oldbuckets set, nevacuate a small number out of 64 old buckets.
 *   - the map printer lists all 420 entries ("user:0000" ... "user:0419")
 *     exactly once each, from the new buckets and from the old buckets not
 *     yet evacuated, with struct session values {userid = N, hits = ...}.
 *   - `gort map-stats sessions` (or gort-core's map summary): buckets,
 *     old buckets, evacuated count, overflow buckets, load factor ~3.3 of
 *     the new array, bucket chain lengths.
 *   - `p *hits_by_hour`: map[int64_t]int64_t with 24 entries, hour -> count,
 *     not growing (B 2).
 *   - `ptype struct sessions_bucket`: the typed bucket struct.
 */
#include <gort.h>
#include <stdio.h>

struct session {
    int64_t userid;
    int32_t hits;
    double  lastseen;      /* seconds since the epoch */
};
GORT_DEFINE_TYPE(session_type, struct session);

GORT_MAP_DECLARE(sessions, gort_string, struct session, gort_type_string, session_type);

enum { nusers = 420 };

static struct hmap *sessions;       /* gort_string -> struct session */
static struct hmap *hits_by_hour;   /* int64_t hour -> int64_t count */
static char names[nusers][16];      /* the keys' bytes (a map holds gort_strings, not copies) */

__attribute__((noinline)) void story_ready(void)
{
    __asm__ volatile("" ::: "memory");   /* keep the call: a place to break */
}

static void login(int64_t user, double now)
{
    gort_string name = gort_string_from(names[user]);
    struct session *s = sessions_get(sessions, name);
    if (s) {
        s->hits++;
        s->lastseen = now;
        return;
    }
    sessions_set(sessions, name, (struct session){ user, 1, now });
}

int main(void)
{
    sessions = sessions_new(0);
    hits_by_hour = gort_map_new(&gort_type_int64, &gort_type_int64, 0);

    double now = 1.7e9;
    for (int64_t u = 0; u < nusers; u++) {
        snprintf(names[u], sizeof names[u], "user:%04lld", (long long)u);
        login(u, now + (double)u);
        if (u % 5 == 0)
            login(u, now + (double)u + 0.5);   /* a second request: hits 2 */
        int64_t hour = u % 24, one = 1;
        int64_t *c = gort_map_get(hits_by_hour, &hour);
        if (c)
            ++*c;
        else
            gort_map_set(hits_by_hour, &hour, &one);
    }

    story_ready();

    gort_string bye = gort_string_from(names[7]);
    sessions_delete(sessions, bye);
    printf("mapcache: %zu sessions, %zu hours\n", gort_map_len(sessions),
           gort_map_len(hits_by_hour));
    gort_map_free(sessions);
    gort_map_free(hits_by_hour);
    return 0;
}
