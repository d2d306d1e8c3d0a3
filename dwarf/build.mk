# gort-dwarf (libdwarf): checks and prints a program's debugger contract.
#   $(BUILD)/bin/gort-dwarf        what people and the tests use
#   $(BUILD)/asan/bin/gort-dwarf   the same under ASan+UBSan, for the bad-input tests
# Sources are listed, not globbed: gort-core lives in this folder too.
#
# check-dwarf: the pytest checks in tests/dwarf/ (every sample passes
# `gort-dwarf check`, bad input fails cleanly, layouts match the compiler,
# separate debug files, gdb auto-loading in the tree and after install).

GORT_DWARF_SRCS := dwarf/gort-dwarf.c dwarf/elffile.c dwarf/debugfile.c \
                   dwarf/dwobj.c dwarf/dwtypes.c dwarf/check.c dwarf/layout.c
GORT_DWARF_LIBS := -ldwarf
GORT_DWARF_CFLAGS = $(CSTD) $(DEBUGFLAGS) $(WARN) -D_GNU_SOURCE -Idwarf

GORT_DWARF_OBJS_rel  := $(patsubst dwarf/%.c,$(BUILD)/rel/dwarf/%.o,$(GORT_DWARF_SRCS))
GORT_DWARF_OBJS_asan := $(patsubst dwarf/%.c,$(BUILD)/asan/dwarf/%.o,$(GORT_DWARF_SRCS))

$(GORT_DWARF_OBJS_rel): $(BUILD)/rel/dwarf/%.o: dwarf/%.c
	@mkdir -p $(@D)
	$(CC) $(GORT_DWARF_CFLAGS) $(OPT) $(CFLAGS) -MMD -MP -c $< -o $@
$(GORT_DWARF_OBJS_asan): $(BUILD)/asan/dwarf/%.o: dwarf/%.c
	@mkdir -p $(@D)
	$(CC) $(GORT_DWARF_CFLAGS) $(VFLAGS_asan) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bin/gort-dwarf: $(GORT_DWARF_OBJS_rel)
	@mkdir -p $(@D)
	$(CC) $(GORT_DWARF_CFLAGS) $(OPT) $^ $(GORT_DWARF_LIBS) -o $@
$(BUILD)/asan/bin/gort-dwarf: $(GORT_DWARF_OBJS_asan)
	@mkdir -p $(@D)
	$(CC) $(GORT_DWARF_CFLAGS) $(VFLAGS_asan) $^ $(GORT_DWARF_LIBS) -o $@

ALL_TARGETS += $(BUILD)/bin/gort-dwarf $(BUILD)/asan/bin/gort-dwarf

.PHONY: install-gort-dwarf
install-gort-dwarf: $(BUILD)/bin/gort-dwarf
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/bin/gort-dwarf $(DESTDIR)$(PREFIX)/bin/gort-dwarf
INSTALL_TARGETS += install-gort-dwarf

# Programs the tests need besides the samples: two that include gort.h
# but never call gort_main, one using a map and one calling nothing in
# libgort (the contract types must still be there), a
# plain C program (gort-dwarf must refuse it with one line), one that
# imitates gort badly (check must name each fault) and one built with a
# stale copy of a runtime struct (check must see the two sizes).
DWARF_TEST_PROGS := $(BUILD)/tests/dwarf/nomain $(BUILD)/tests/dwarf/bare \
                    $(BUILD)/tests/dwarf/plain $(BUILD)/tests/dwarf/fake \
                    $(BUILD)/tests/dwarf/conflict
$(BUILD)/tests/dwarf/nomain $(BUILD)/tests/dwarf/bare $(BUILD)/tests/dwarf/conflict: \
    $(BUILD)/tests/dwarf/%: tests/dwarf/progs/%.c $(LIBGORT) runtime/gort.h
	@mkdir -p $(@D)
	$(CC) $(SAMPLE_CFLAGS) $(CFLAGS) -Iruntime $< $(LIBGORT) $(LDLIBS_GORT) -o $@
$(BUILD)/tests/dwarf/plain $(BUILD)/tests/dwarf/fake: $(BUILD)/tests/dwarf/%: tests/dwarf/progs/%.c
	@mkdir -p $(@D)
	$(CC) $(SAMPLE_CFLAGS) $(CFLAGS) $< -o $@

.PHONY: check-dwarf
# (SAMPLES is defined by a fragment included after this one: a prerequisite
# here would be expanded too early, so the recipe builds them.)
check-dwarf: $(BUILD)/bin/gort-dwarf $(BUILD)/asan/bin/gort-dwarf $(DWARF_TEST_PROGS)
	@$(MAKE) --no-print-directory $(SAMPLES)
	GORT_BUILD=$(abspath $(BUILD)) PYTHONDONTWRITEBYTECODE=1 $(PYTEST) -q -p no:cacheprovider tests/dwarf
CHECK_TARGETS += check-dwarf
