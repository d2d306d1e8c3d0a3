# The gdb extension (gdbplugin/): installed under $(PREFIX)/share/gort, where
# the installed libgort's .debug_gdb_scripts entry looks for it (see
# runtime/debuginfo.c).  contract.def goes with the package (the extension
# refuses to read a field the contract does not list).  No header goes with
# it: every constant, GORT_CLOSURE_MAGIC included, is read from DWARF.
#
# check-gdb drives `gdb -batch -nx` on programs built here (tests/gdb/progs/,
# each linked like a sample) and on the samples: live, from gcore cores and
# from kernel cores.

GDBPLUGIN_PY   := gdbplugin/gort-gdb.py $(wildcard gdbplugin/gort/*.py)
GDB_PROG_SRCS  := $(wildcard tests/gdb/progs/*.c)
GDB_PROGS      := $(patsubst tests/gdb/progs/%.c,$(BUILD)/tests/gdb/%,$(GDB_PROG_SRCS))

$(BUILD)/tests/gdb/%: tests/gdb/progs/%.c $(LIBGORT) runtime/gort.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(DEBUGFLAGS) $(WARN) -O0 -pthread $(CFLAGS) -Iruntime $< $(LIBGORT) $(LDLIBS_GORT) -o $@

ALL_TARGETS += $(GDB_PROGS)

.PHONY: check-gdb install-gdbplugin
# gort-core too: the waitgraph checks compare gdb's with gort-core's on the
# same core (the path is spelled out: dwarf/core.mk is included later).
check-gdb: $(GDB_PROGS) $(patsubst samples/%.c,$(BUILD)/samples/%,$(wildcard samples/*.c)) \
           $(BUILD)/bin/gort-core
	cd tests/gdb && GORT_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -p no:cacheprovider .
CHECK_TARGETS += check-gdb

install-gdbplugin:
	install -d $(DESTDIR)$(PREFIX)/share/gort/gort
	install -m 644 gdbplugin/gort-gdb.py $(DESTDIR)$(PREFIX)/share/gort/gort-gdb.py
	install -m 644 $(wildcard gdbplugin/gort/*.py) $(DESTDIR)$(PREFIX)/share/gort/gort/
	install -m 644 dwarf/contract.def $(DESTDIR)$(PREFIX)/share/gort/gort/contract.def
INSTALL_TARGETS += install-gdbplugin
