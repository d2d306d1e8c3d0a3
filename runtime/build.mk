# libgort: runtime/*.c and runtime/asm_$(GOARCH).S, once per variant, into
# $(BUILD)/<variant>/libgort.a.

RUNTIME_C   := $(wildcard runtime/*.c)
RUNTIME_ASM := $(wildcard runtime/asm_$(GOARCH).S)
RUNTIME_INC := -Iruntime

define runtime_variant
RUNTIME_OBJS_$(1) := $$(patsubst runtime/%.c,$(BUILD)/$(1)/runtime/%.o,$(RUNTIME_C)) \
                     $$(patsubst runtime/%.S,$(BUILD)/$(1)/runtime/%.o,$(RUNTIME_ASM))
$(BUILD)/$(1)/runtime/%.o: runtime/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$(VFLAGS_$(1)) $$(RUNTIME_CFLAGS) $$(CFLAGS) $$(RUNTIME_INC) -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/runtime/%.o: runtime/%.S
	@mkdir -p $$(@D)
	$$(CC) $$(BASE_CFLAGS) $$(VFLAGS_$(1)) $$(CFLAGS) $$(RUNTIME_INC) -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/libgort.a: $$(RUNTIME_OBJS_$(1))
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach v,$(VARIANTS),$(eval $(call runtime_variant,$(v))))

LIBGORT := $(BUILD)/rel/libgort.a
ALL_TARGETS += $(foreach v,$(VARIANTS),$(BUILD)/$(v)/libgort.a)

# debuginfo.c's gdb auto-load entry names gort-gdb.py by its absolute
# path: the build tree's gdbplugin/ for the libgort under $(BUILD);
# $(PREFIX)/share/gort for the installed one, whose debuginfo.o is compiled
# again at every install (make cannot see a change of PREFIX) and replaces
# the release one in a copy of libgort.a.
GORT_GDB_SCRIPT_TREE    := $(CURDIR)/gdbplugin/gort-gdb.py
GORT_GDB_SCRIPT_INSTALL := $(abspath $(PREFIX))/share/gort/gort-gdb.py
$(foreach v,$(VARIANTS),$(BUILD)/$(v)/runtime/debuginfo.o): \
    RUNTIME_CFLAGS += -DGORT_GDB_SCRIPT='"$(GORT_GDB_SCRIPT_TREE)"'
LIBGORT_INSTALL := $(BUILD)/install/libgort.a
.PHONY: $(LIBGORT_INSTALL)
$(LIBGORT_INSTALL): $(LIBGORT)
	@mkdir -p $(@D)/runtime
	$(CC) $(BASE_CFLAGS) $(VFLAGS_rel) $(CFLAGS) $(RUNTIME_INC) \
	    -DGORT_GDB_SCRIPT='"$(GORT_GDB_SCRIPT_INSTALL)"' \
	    -c runtime/debuginfo.c -o $(@D)/runtime/debuginfo.o
	cp $(LIBGORT) $@.tmp
	$(AR) rs $@.tmp $(@D)/runtime/debuginfo.o
	mv $@.tmp $@

.PHONY: install-runtime
install-runtime: $(LIBGORT_INSTALL)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib
	install -m 644 runtime/gort.h $(DESTDIR)$(PREFIX)/include/gort.h
	install -m 644 $(LIBGORT_INSTALL) $(DESTDIR)$(PREFIX)/lib/libgort.a
INSTALL_TARGETS += install-runtime
