# Runtime unit tests (Criterion): tests/unit/*.c linked into one binary per
# runtime variant, so the same tests run plain, under ASan+UBSan and under
# TSan.  Tests that are heavy scale themselves down when GORT_SANITIZER is
# defined.  Debugger checks (pytest) live in tests/*/ folders of their own,
# registered by the fragments that own them.

UNIT_SRCS := $(wildcard tests/unit/*.c)

define unit_variant
UNIT_OBJS_$(1) := $$(patsubst tests/unit/%.c,$(BUILD)/$(1)/tests/unit/%.o,$(UNIT_SRCS))
$(BUILD)/$(1)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$(VFLAGS_$(1)) $$(CFLAGS) -Iruntime -Itests/unit -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/unit-tests: $$(UNIT_OBJS_$(1)) $(BUILD)/$(1)/libgort.a
	$$(CC) $$(BASE_CFLAGS) $$(VFLAGS_$(1)) $$(UNIT_OBJS_$(1)) $(BUILD)/$(1)/libgort.a -lcriterion $$(LDLIBS_GORT) -o $$@
endef
ifneq ($(UNIT_SRCS),)
$(foreach v,$(VARIANTS),$(eval $(call unit_variant,$(v))))
ALL_TARGETS += $(foreach v,$(VARIANTS),$(BUILD)/$(v)/unit-tests)
endif

# Criterion forks a process per test; two jobs on two cores.
CRITERION_FLAGS ?= --jobs=2 --short-filename

.PHONY: check-unit check-unit-asan check-unit-tsan
check-unit: $(BUILD)/rel/unit-tests
	GORTMAXPROCS=2 $< $(CRITERION_FLAGS)
	GORTMAXPROCS=1 $< $(CRITERION_FLAGS)
# The sanitizer runs use two workers whatever the machine has: on a 1-CPU
# machine the default would be one worker, and TSan would never see two
# threads touch a run queue, a channel or a lock at once.  (One run each:
# the plain suite already covers GORTMAXPROCS=1.)
check-unit-asan: $(BUILD)/asan/unit-tests
	GORTMAXPROCS=2 ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 $< $(CRITERION_FLAGS)
check-unit-tsan: $(BUILD)/tsan/unit-tests
	GORTMAXPROCS=2 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $< $(CRITERION_FLAGS)
ifneq ($(UNIT_SRCS),)
CHECK_TARGETS += check-unit check-unit-asan check-unit-tsan
endif

# Sample-program checks (issue 9): every sample's story through gdb (live
# and core) and gort-core, against golden files in tests/samples/golden/.
# `make update-golden` rewrites the golden files for review.
SAMPLE_CHECK_DEPS = $(SAMPLES) $(BUILD)/bin/gort-core
.PHONY: check-samples update-golden
check-samples: $(SAMPLE_CHECK_DEPS)
	cd tests/samples && GORT_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -p no:cacheprovider .
update-golden: $(SAMPLE_CHECK_DEPS)
	cd tests/samples && GORT_BUILD=$(abspath $(BUILD)) GORT_UPDATE_GOLDEN=1 $(PYTEST) -q -p no:cacheprovider .
CHECK_TARGETS += check-samples
