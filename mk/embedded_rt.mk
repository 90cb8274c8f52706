# SPDX-License-Identifier: MIT
# The real-time loop on an ATmega328P (issue 5, part 2): the Timer0 tick
# clock with its sleeping idle hook and ISR signals (embedded/avr/tick.c),
# the blinking demo, the interrupt wake-up test and the resume cycle count,
# run in simavr and checked by tests/embedded_rt.sh.
#
# make embedded-rt        installs gcc-avr, avr-libc and simavr if missing,
#                         builds build/avr/{blink,isr_wake,cycles}.elf, runs
#                         and checks them (also part of `make embedded`).
# make test               the same check; it skips when avr-gcc is missing.
#
# Uses mk/embedded.mk's AVR_CC, AVR_CFLAGS (-Os), AVR_LDFLAGS, AVR_PORT_SRCS,
# AVR_PORT_HDRS and EMB_LIB_SRCS.

RT_DEPS      = gcc-avr avr-libc simavr
RT_TICK      = embedded/avr/tick.c
RT_AVR_ELFS  = $(B)/avr/blink.elf $(B)/avr/isr_wake.elf $(B)/avr/cycles.elf \
               $(B)/avr/cycles_nodouble.elf
RT_HAVE_AVR := $(shell command -v $(AVR_CC) >/dev/null 2>&1 && echo yes)

.PHONY: embedded-rt embedded-rt-deps embedded-rt-build
embedded-rt-deps:
	@tests/deps.sh $(RT_DEPS)

embedded-rt-build: $(if $(RT_HAVE_AVR),$(RT_AVR_ELFS))

embedded-rt: embedded-rt-deps
	@$(MAKE) --no-print-directory embedded-rt-build
	@tests/embedded_rt.sh $(B)

embedded: embedded-rt

# A program on the tick clock and the loop.
$(B)/avr/blink.elf $(B)/avr/isr_wake.elf: $(B)/avr/%.elf: embedded/avr/%.c $(RT_TICK) \
    embedded/avr/tick.h $(AVR_PORT_SRCS) $(AVR_PORT_HDRS) $(EMB_LIB_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(AVR_CC) $(AVR_CFLAGS) $(AVR_LDFLAGS) $< $(RT_TICK) $(AVR_PORT_SRCS) $(EMB_LIB_SRCS) -o $@

# The cycle count: coro.h alone; and with a word without double (2 bytes).
$(B)/avr/cycles.elf: embedded/avr/cycles.c bench/resume_work.h $(AVR_PORT_SRCS) $(AVR_PORT_HDRS) $(HEADERS)
	@mkdir -p $(@D)
	$(AVR_CC) $(AVR_CFLAGS) $(AVR_LDFLAGS) $< $(AVR_PORT_SRCS) -o $@

$(B)/avr/cycles_nodouble.elf: embedded/avr/cycles.c bench/resume_work.h $(AVR_PORT_SRCS) $(AVR_PORT_HDRS) $(HEADERS)
	@mkdir -p $(@D)
	$(AVR_CC) $(AVR_CFLAGS) -DCORO_NO_DOUBLE $(AVR_LDFLAGS) $< $(AVR_PORT_SRCS) -o $@

deps: embedded-rt-deps
TEST_EXTRA   += embedded-rt-build
TEST_SCRIPTS += tests/embedded_rt.sh
