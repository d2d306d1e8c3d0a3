# Samples: each samples/NAME.c is one program, built -O0 so every local is
# visible to the debugger, linked against the release libgort.  A sample's
# header comment tells its story: what is wrong and what a person should see.

SAMPLE_SRCS := $(wildcard samples/*.c)
SAMPLES     := $(patsubst samples/%.c,$(BUILD)/samples/%,$(SAMPLE_SRCS))
SAMPLE_CFLAGS := $(CSTD) $(DEBUGFLAGS) $(WARN) -O0 -pthread

$(BUILD)/samples/%: samples/%.c $(LIBGORT) runtime/gort.h
	@mkdir -p $(@D)
	$(CC) $(SAMPLE_CFLAGS) $(CFLAGS) -Iruntime $< $(LIBGORT) $(LDLIBS_GORT) -o $@

ALL_TARGETS += $(SAMPLES)
