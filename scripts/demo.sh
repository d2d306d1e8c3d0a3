#!/usr/bin/env bash
# make demo: run samples/orders.c into a deadlock that leaves a core file,
# then show what happened the way a person debugging it would look:
# the runtime's own report, gdb on the core (goroutines, a parked
# goroutine's backtrace, a channel and its waiters, a map), and gort-core's
# wait-for graph naming the cycle.  Needs `make all` first (the Makefile's
# demo target does it).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
case "$build" in /*) ;; *) build=$top/$build ;; esac
bin=$build/samples/orders
gortcore=$build/bin/gort-core
work=$build/demo
rm -rf "$work"; mkdir -p "$work"

# Bold headings on a terminal; plain text in a log or a pipe.
bold=; plain=
if [ -t 1 ]; then
    bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
fi
heading() { printf '\n%s==== %s%s\n' "$bold" "$*" "$plain"; }
show()    { printf '%s$ %s%s\n' "$bold" "$*" "$plain"; }

for f in "$bin" "$gortcore"; do
    [ -x "$f" ] || { echo "demo: $f is missing: run make first" >&2; exit 1; }
done

heading "The program: samples/orders.c"
sed -n '/^ \* The story/,/^ \* What a person/p' "$top/samples/orders.c" | sed '$d'

heading "1. Run it: the runtime detects the deadlock, reports and aborts"
show "./orders"
core=""
pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo "")
# (The braces' 2>/dev/null keeps bash's own "Aborted (core dumped)" line
# out: the exit status below says it.)
if [ "${pattern#|}" = "$pattern" ] && [ "${pattern#/}" = "$pattern" ]; then
    # The kernel writes the core into the working directory.
    { (cd "$work" && ulimit -c unlimited && exec "$bin") 2>"$work/report.txt"; status=$?; } 2>/dev/null
    core=$(ls -t "$work"/core* 2>/dev/null | head -n 1)
else
    { (cd "$work" && exec "$bin") 2>"$work/report.txt"; status=$?; } 2>/dev/null
fi
cat "$work/report.txt"
if [ "$status" -eq 134 ]; then
    echo "(exit status 134: killed by SIGABRT, from the runtime's abort())"
else
    echo "(exit status $status)"
fi
if [ -z "$core" ]; then
    # Cores go to a handler (core_pattern is a pipe or an absolute path):
    # take one with gdb at the abort instead.
    echo "(kernel core not in the working directory; taking one with gdb's gcore)"
    gdb -batch -nx -ex run -ex "gcore $work/core" "$bin" >/dev/null 2>&1 </dev/null
    core=$work/core
fi
[ -s "$core" ] || { echo "demo: no core file was produced" >&2; exit 1; }
echo "core file: ${core#$top/}"

gdbcore() {
    show "gdb $(basename "$bin") $(basename "$core") -ex '$*'"
    gdb -batch -nx -iex "add-auto-load-safe-path $top" -iex "add-auto-load-safe-path $build" \
        "$bin" "$core" -ex "$*" 2>&1 </dev/null |
        grep -v -e '^\[New LWP' -e '^\[Thread debugging' -e '^Using host libthread_db' \
                -e '^Core was generated' -e '^Program terminated' -e '^#0 ' \
                -e '^warning: Section .* too small' -e '^\[Current thread is' -e '^$' -e 'No such file or directory.$'
}

heading "2. gdb on the core: every goroutine, its state and what it waits for"
gdbcore "info goroutines"

heading "3. gdb on the core: the backtrace of a parked goroutine (the shipper)"
gdbcore "goroutine 2 bt"

heading "4. gdb on the core: the full channel and the goroutines waiting to send"
gdbcore "print events"

heading "5. gdb on the core: the stock map"
gdbcore "print stock"

heading "6. gort-core, no gdb: who waits on whom, and the cycle"
show "gort-core orders $(basename "$core") waitgraph"
"$gortcore" "$bin" "$core" waitgraph

heading "Done"
echo "Try it yourself:  gdb -iex 'add-auto-load-safe-path $top' $bin $core"
