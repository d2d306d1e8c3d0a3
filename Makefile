# gort: one Makefile for everything.
#
#   make            libgort (release, ASan, TSan variants), the tools, the samples
#   make check      every test: runtime units (plain, ASan+UBSan, TSan),
#                   gort-dwarf, gdb extension and gort-core checks on the samples
#   make demo       a sample deadlocks, then gdb and gort-core show why
#   make bench      libgort against Go 1.19 (and GLib) side by side, as ratios
#   make install PREFIX=DIR
#   make clean
#
# Build outputs live under build/ (BUILD=...), never in the source folders.
# Each part of the tree adds its rules in its own build.mk fragment.

BUILD   ?= build
PREFIX  ?= /usr/local
CC      ?= gcc
AR      ?= ar
PYTHON  := /usr/bin/python3
PYTEST  := $(PYTHON) -m pytest

UNAME_M := $(shell uname -m)
ifeq ($(UNAME_M),x86_64)
  GOARCH := amd64
else ifeq ($(UNAME_M),aarch64)
  GOARCH := arm64
else
  $(error gort supports x86-64 and aarch64, not $(UNAME_M))
endif

# -g and frame pointers always, at every optimisation level: the debugger
# contract (DESIGN.md) depends on both.  No sibling calls either: a tail
# call replaces its caller's frame, and the caller then vanishes from every
# backtrace (the runtime's own, gdb's and gort-core's), as Go never lets it.
OPT        ?= -O2
WARN       := -Wall -Wextra -Werror
CSTD       := -std=gnu11
DEBUGFLAGS := -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls
BASE_CFLAGS = $(CSTD) $(DEBUGFLAGS) $(WARN) -D_GNU_SOURCE -pthread
CFLAGS     ?=
LDLIBS_GORT := -lpthread -lm

# Runtime variants: rel is what programs link; asan and tsan are for tests.
VARIANTS      := rel asan tsan
VFLAGS_rel    := $(OPT)
VFLAGS_asan   := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -DGORT_SANITIZER=1
VFLAGS_tsan   := -O1 -fsanitize=thread -DGORT_SANITIZER=1

# Filled in by the fragments.
ALL_TARGETS     :=
CHECK_TARGETS   :=
INSTALL_TARGETS :=
CLEAN_EXTRA     :=

.PHONY: all check demo bench install clean deps deps-bench
all:

include runtime/build.mk
-include dwarf/build.mk
-include gdbplugin/build.mk
-include samples/build.mk
-include tests/build.mk
-include dwarf/core.mk
-include bench/build.mk

all: $(ALL_TARGETS)

# Dependencies are checked first by the commands a new user types.
deps:
	@scripts/deps.sh
deps-bench:
	@scripts/deps.sh bench

# The checks run one after another (each may use both cores itself); the
# build before them runs in parallel.
check: deps
	@$(MAKE) --no-print-directory all
	@set -e; for t in $(CHECK_TARGETS); do \
	    echo "==== $$t"; $(MAKE) --no-print-directory $$t; done

# Install builds only what it installs (each fragment's install-* rule
# names its own inputs): no sanitizer variants, no Criterion tests, so it
# works on a machine without the test dependencies.
install: $(INSTALL_TARGETS)

# The demo: a sample deadlocks into a core file, then gdb and gort-core
# show why (scripts/demo.sh, about half a minute).  It builds what the
# script runs and nothing else: the sample (and with it the release
# libgort) and gort-core; the gdb extension is read from gdbplugin/ in the
# tree, where the sample's auto-load entry points.  `make check` builds the
# rest.
DEMO_DEPS := $(BUILD)/samples/orders $(GORT_CORE)
demo: deps
	@$(MAKE) --no-print-directory $(DEMO_DEPS)
	@BUILD=$(BUILD) scripts/demo.sh

clean:
	rm -rf $(BUILD) $(CLEAN_EXTRA)

# Header dependencies from -MMD.
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
