"""settings.py: the limits a person can raise, in one place.

`set gort max-elements N` bounds every walk of the inferior (goroutines in
allgs, buckets and overflow chains, wait queues, a closure's captures):
whatever is corrupt, a walk ends after N steps, so gdb never hangs.  It is
deliberately large by default (1,000,000) because it is a safety net, not
an output limit; how much is *printed* is gdb's own `set print elements`,
which gdb applies to every printer's children.  `set gort max-frames N`
bounds the frame-pointer walks of `info goroutines`.  Three narrower walks
have their own bounds, for the same reason (a corrupt list must end):
`max-sudogs` (the sudogs one goroutine waits on, linked by waitlink: a
select has one per case), `max-threads` (the m list gort_allm), and
`max-waiters`, which is an output limit: how many waiting goroutines a
channel names (a channel argument is printed in every frame of every
backtrace, and a queue may hold every goroutine).  0 means unlimited.
"""

import gdb

values = {"max-elements": 1000000, "max-frames": 64, "max-sudogs": 1024,
          "max-threads": 4096, "max-waiters": 20}


def max_elements():
    return values["max-elements"]


def max_frames():
    return values["max-frames"]


def max_sudogs():
    return values["max-sudogs"]


def max_threads():
    return values["max-threads"]


def max_waiters():
    return values["max-waiters"]


def print_elements():
    """gdb's `print elements` (None when unlimited)."""
    try:
        v = gdb.parameter("print elements")
    except Exception:
        return 200
    return None if v in (None, 0) else int(v)
