# Benchmarks: libgort against Go 1.19 (and GLib for maps) side by side.
# Workload definitions: ../shared/WORKLOADS.md.  One binary per
# implementation per area, all speaking the same protocol (-list, -w NAME):
#
#   gort-sched gort-map gort-iface   bench/c/gort_*.c against libgort (-O2 -g)
#   go-sched   go-map   go-iface     bench/go/harness.go + bench/go/AREA.go
#   glib-map                         bench/c/glib_map.c on GHashTable
#   floors                           bench/c/floors.c + floors_$(GOARCH).S:
#                                    register switches, ucontext, libpcl,
#                                    pthread baselines, hand-written C floors
#
# bench/run.py runs them (interleaved, REPS times, under /usr/bin/time -v)
# and prints the table; it writes $(BUILD)/bench/results.{txt,json}.
#
#   make bench                  everything (about 10 minutes with REPS=3)
#   make bench BENCH=map        only workloads whose AREA/NAME matches
#   make bench REPS=5
#   make check-bench            (part of make check) the gort workloads'
#                               self-checks at BENCH_SCALE=0.001, seconds
#
# Go builds offline: GOPATH mode (GO111MODULE=off), no proxy, caches under
# $(BUILD)/bench.  The Go toolchain and GLib come from `deps.sh bench`, so
# the rules that need them are only reached through `make bench`.

BENCH_OUT   := $(BUILD)/bench
BENCH_BIN   := $(BENCH_OUT)/bin
GO119       := /usr/lib/go-1.19/bin/go
BENCH_GOENV := GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local \
               CGO_ENABLED=0 GOPATH=$(abspath $(BENCH_OUT)/gopath) \
               GOCACHE=$(abspath $(BENCH_OUT)/gocache)
BENCH_CFLAGS := $(CSTD) $(DEBUGFLAGS) $(WARN) -O2 -D_GNU_SOURCE -pthread
BENCH_HDRS  := $(wildcard bench/c/*.h)

# libpcl is optional: without its header the floors binary leaves the
# ctxswitch_pcl row out and the table says it is unavailable.
BENCH_PCL   := $(if $(wildcard /usr/include/pcl.h),-DHAVE_PCL,)
BENCH_PCLLIB := $(if $(BENCH_PCL),-lpcl,)

BENCH_GORT  := $(BENCH_BIN)/gort-sched $(BENCH_BIN)/gort-map $(BENCH_BIN)/gort-iface
BENCH_GO    := $(BENCH_BIN)/go-sched $(BENCH_BIN)/go-map $(BENCH_BIN)/go-iface
BENCH_BINS  := $(BENCH_GORT) $(BENCH_GO) $(BENCH_BIN)/glib-map $(BENCH_BIN)/floors

$(BENCH_BIN)/gort-%: bench/c/gort_%.c $(BENCH_HDRS) $(LIBGORT) runtime/gort.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(CFLAGS) -Iruntime $< $(LIBGORT) $(LDLIBS_GORT) -o $@

$(BENCH_BIN)/go-%: bench/go/harness.go bench/go/%.go
	@mkdir -p $(@D)
	cd bench/go && $(BENCH_GOENV) $(GO119) build -o $(abspath $@) harness.go $*.go

$(BENCH_BIN)/glib-map: bench/c/glib_map.c $(BENCH_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(CFLAGS) $$(pkg-config --cflags glib-2.0) $< \
	    $$(pkg-config --libs glib-2.0) -o $@

$(BENCH_BIN)/floors: bench/c/floors.c $(wildcard bench/c/floors_$(GOARCH).S) $(BENCH_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(CFLAGS) $(BENCH_PCL) $(filter %.c %.S,$^) $(BENCH_PCLLIB) -o $@

.PHONY: bench-build check-bench
bench-build: $(BENCH_BINS)

# deps first (Go and GLib must be there before anything builds), then every
# binary that builds (-k: a runtime that does not build yet leaves the gort
# column empty rather than no table at all; run.py names what is missing
# and exits non-zero), then the runs, niced: the machine is shared.
bench: deps-bench
	@$(MAKE) --no-print-directory -k bench-build || \
	    echo "bench: some binaries did not build; their columns stay empty" >&2
	nice $(PYTHON) bench/run.py --bindir $(BENCH_BIN) --out $(BENCH_OUT) \
	    $(if $(BENCH),--filter '$(BENCH)') $(if $(REPS),--reps $(REPS))

# The gort workloads' self-checks at a tiny scale: a few seconds.
check-bench: $(BENCH_GORT)
	$(PYTHON) bench/run.py --smoke --bindir $(BENCH_BIN) --timeout 60

CHECK_TARGETS += check-bench

# Issue 7's debugger rows (opt-in: `make bench BENCH=gdb`): go-gdb and
# gort-gdb are wrappers around bench/gdb/gdbbench.py, which speaks the same
# protocol; Go's reference extension is golang-1.19-src's runtime-gdb.py.
GO_GDB_PY := /usr/lib/go-1.19/src/runtime/runtime-gdb.py

$(BENCH_OUT)/gdb/goparked: bench/gdb/goparked.go
	@mkdir -p $(@D)
	cd bench/gdb && $(BENCH_GOENV) $(GO119) build -o $(abspath $@) goparked.go

$(BENCH_OUT)/gdb/cparked: bench/gdb/cparked.c $(LIBGORT) runtime/gort.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(DEBUGFLAGS) $(WARN) -O0 -pthread $(CFLAGS) -Iruntime $< $(LIBGORT) $(LDLIBS_GORT) -o $@

$(BENCH_BIN)/go-gdb: $(BENCH_OUT)/gdb/goparked bench/gdb/gdbbench.py
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec %s %s --impl go --prog %s --ext %s "$$@"\n' \
	    $(PYTHON) $(abspath bench/gdb/gdbbench.py) $(abspath $<) $(GO_GDB_PY) > $@
	chmod +x $@

$(BENCH_BIN)/gort-gdb: $(BENCH_OUT)/gdb/cparked bench/gdb/gdbbench.py
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec %s %s --impl gort --prog %s --ext %s "$$@"\n' \
	    $(PYTHON) $(abspath bench/gdb/gdbbench.py) $(abspath $<) $(abspath gdbplugin/gort-gdb.py) > $@
	chmod +x $@

bench-build: $(BENCH_BIN)/go-gdb $(BENCH_BIN)/gort-gdb
