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

.PHONY: install-runtime
install-runtime: $(LIBGORT)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib
	install -m 644 runtime/gort.h $(DESTDIR)$(PREFIX)/include/gort.h
	install -m 644 $(LIBGORT) $(DESTDIR)$(PREFIX)/lib/libgort.a
INSTALL_TARGETS += install-runtime
