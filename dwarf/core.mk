# gort-core: offline core-file analysis with elfutils (dwarf/core/*.c).
#
#   build/bin/gort-core          the tool
#   build/asan/bin/gort-core     the same under ASan+UBSan (the tests run it too)
#   build/fuzz/gort-core-fuzz    libFuzzer harness of the core reader (clang)
#   build/tests/core/fakeg       a deterministic core fixture (tests/core/progs)
#   make check-core              pytest tests/core (plain and ASan builds) and a
#                                bounded fuzz run (CORE_FUZZ_SECONDS, default 30)

CORE_SRCS  := $(filter-out dwarf/core/fuzz.c,$(wildcard dwarf/core/*.c))
CORE_HDRS  := $(wildcard dwarf/core/*.h dwarf/core/*.def) dwarf/contract.def
CORE_LIBS  := -ldw -lelf
GORT_CORE      := $(BUILD)/bin/gort-core
GORT_CORE_ASAN := $(BUILD)/asan/bin/gort-core
CORE_FUZZ      := $(BUILD)/fuzz/gort-core-fuzz
CORE_FUZZ_SECONDS ?= 30

$(GORT_CORE): $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(OPT) $(CFLAGS) $(CORE_SRCS) $(CORE_LIBS) -o $@

$(GORT_CORE_ASAN): $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(VFLAGS_asan) $(CFLAGS) $(CORE_SRCS) $(CORE_LIBS) -o $@

# The harness links everything but main.c.
$(CORE_FUZZ): dwarf/core/fuzz.c $(filter-out dwarf/core/main.c,$(CORE_SRCS)) $(CORE_HDRS)
	@mkdir -p $(@D)
	clang -std=gnu11 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE -Wall -Wextra -Werror \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    dwarf/core/fuzz.c $(filter-out dwarf/core/main.c,$(CORE_SRCS)) $(CORE_LIBS) -o $@

CORE_PROGS := $(BUILD)/tests/core/fakeg $(BUILD)/tests/core/plain $(BUILD)/tests/core/ring
$(BUILD)/tests/core/%: tests/core/progs/%.c runtime/runtime.h runtime/gort.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(DEBUGFLAGS) $(WARN) -O0 -pthread -D_GNU_SOURCE $(CFLAGS) -Iruntime $< -o $@
# ring: a deadlock of the real runtime (linked with libgort, like a sample).
$(BUILD)/tests/core/ring: tests/core/progs/ring.c $(LIBGORT) runtime/gort.h
	@mkdir -p $(@D)
	$(CC) $(SAMPLE_CFLAGS) $(CFLAGS) -Iruntime $< $(LIBGORT) $(LDLIBS_GORT) -o $@

ALL_TARGETS += $(GORT_CORE) $(GORT_CORE_ASAN) $(CORE_PROGS)

.PHONY: check-core check-core-fuzz install-core
check-core: $(GORT_CORE) $(GORT_CORE_ASAN) $(CORE_PROGS) $(SAMPLES) check-core-fuzz
	GORT_CORE=$(abspath $(GORT_CORE)) GORT_BUILD=$(abspath $(BUILD)) \
	    $(PYTEST) -q tests/core
	GORT_CORE=$(abspath $(GORT_CORE_ASAN)) GORT_BUILD=$(abspath $(BUILD)) \
	    ASAN_OPTIONS=detect_leaks=0 $(PYTEST) -q tests/core -m "not slow"

# Target B of the harness needs a gort core: a kernel core of the fixture
# when core_pattern allows (else only target A, the ELF parser, runs).
check-core-fuzz: $(CORE_FUZZ) $(BUILD)/tests/core/fakeg
	@rm -rf $(BUILD)/fuzz/src && mkdir -p $(BUILD)/fuzz/src $(BUILD)/fuzz/corpus
	@-cd $(BUILD)/fuzz/src && ulimit -c unlimited && \
	    $(abspath $(BUILD)/tests/core/fakeg) abort 3 >/dev/null 2>&1; true
	core=$$(ls $(abspath $(BUILD))/fuzz/src/core* 2>/dev/null | head -1); \
	GORT_FUZZ_BINARY=$(abspath $(BUILD)/tests/core/fakeg) GORT_FUZZ_CORE=$$core \
	ASAN_OPTIONS=detect_leaks=0 $(CORE_FUZZ) -max_total_time=$(CORE_FUZZ_SECONDS) \
	    -max_len=4096 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=$(BUILD)/fuzz/ \
	    -print_final_stats=1 $(BUILD)/fuzz/corpus tests/core/fuzz-seeds

install-core: $(GORT_CORE)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(GORT_CORE) $(DESTDIR)$(PREFIX)/bin/gort-core

CHECK_TARGETS   += check-core
INSTALL_TARGETS += install-core
