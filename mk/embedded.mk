# SPDX-License-Identifier: MIT
# Embedded builds (issue 5): the generator and countdown demos for an
# ATmega328P (avr-gcc, run in simavr, output on UART0) and a Cortex-M3
# (arm-none-eabi-gcc, run in qemu-system-arm -M mps2-an385, output through
# semihosting), compared byte for byte with the host's reference output.
#
# make embedded         installs the toolchains if missing, builds
#                       build/avr/*.elf and build/arm/*.elf, runs them,
#                       compares, checks that no ELF links malloc, prints
#                       the sizeof table of the three targets and the
#                       flash/RAM of each ELF (tests/embedded.sh).
# make test             runs the same check (tests/embedded.sh), which skips
#                       with a message when a toolchain is missing.
#
# Variables below are shared with mk/embedded_rt.mk: keep their names.

EMB_DEPS = gcc-avr avr-libc simavr gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm

# Library sources for a target without sockets (no io.c, no selectors).
EMB_LIB_SRCS = loop.c wait.c sync.c
# Shims (stdio.h over coro_port_putc) come first on the include path.
EMB_INC      = -I. -Iembedded/include
EMB_DEMOS    = generators countdown
# argv given to each demo's main (embedded/main.c); none: main(void).
EMB_ARGV_generators = '"generators"'
EMB_ARGV_countdown  = '"countdown", "--virtual"'

# ---- AVR: ATmega328P, 16 MHz, 2 KiB RAM, 32 KiB flash ------------------------
AVR_CC        = avr-gcc
AVR_SIZE      = avr-size
AVR_NM        = avr-nm
AVR_MCU       = atmega328p
AVR_F_CPU     = 16000000UL
AVR_CFLAGS    = -mmcu=$(AVR_MCU) -Os -DF_CPU=$(AVR_F_CPU) -std=c99 $(WARN) $(EMB_INC) \
                -ffunction-sections -fdata-sections
AVR_LDFLAGS   = -mmcu=$(AVR_MCU) -Wl,--gc-sections
# The port: UART0 (coro_port_*) and the formatter (printf over coro_port_putc).
AVR_PORT_SRCS = embedded/avr/uart.c embedded/printf.c
AVR_PORT_HDRS = embedded/port.h $(wildcard embedded/include/*.h)
# Runs an ELF (append its path): simavr prints each line the UART sends on
# stderr, coloured, with a '.' for the newline (tests/embedded.sh decodes it).
SIMAVR        = simavr -m $(AVR_MCU) -f 16000000

# ---- ARM: Cortex-M3 on qemu's mps2-an385 (4 MiB flash, 4 MiB SRAM) ------------
ARM_CC        = arm-none-eabi-gcc
ARM_SIZE      = arm-none-eabi-size
ARM_NM        = arm-none-eabi-nm
ARM_CFLAGS    = -mcpu=cortex-m3 -mthumb -Os -std=c99 $(WARN) $(EMB_INC) \
                -ffunction-sections -fdata-sections
ARM_LDFLAGS   = -mcpu=cortex-m3 -mthumb -nostartfiles -T embedded/arm/mps2_an385.ld \
                -Wl,--gc-sections
ARM_PORT_SRCS = embedded/arm/startup.c embedded/arm/semihost.c embedded/printf.c
ARM_PORT_HDRS = $(AVR_PORT_HDRS) embedded/arm/mps2_an385.ld
# Runs an ELF (append the ELF's path; give it </dev/null): the program's
# semihosting output on stdout, its exit code as qemu's (a fault: 99).
QEMU_ARM      = qemu-system-arm -M mps2-an385 -cpu cortex-m3 -display none -monitor none \
                -serial none -chardev stdio,id=coro_out \
                -semihosting-config enable=on,target=native,chardev=coro_out -kernel

.PHONY: embedded embedded-deps embedded-build
embedded-deps:
	@tests/deps.sh $(EMB_DEPS)

# Builds what tests/embedded.sh needs (skipping a target whose compiler is
# missing), then runs it.
embedded: embedded-deps
	@$(MAKE) --no-print-directory embedded-build
	@tests/embedded.sh $(B)

EMB_ELF_NAMES = $(EMB_DEMOS) checks
# NAME.elf: what is compared and measured; NAME.stack.elf: the same program
# built with -DCORO_PORT_STACK_REPORT, which prints its peak stack at exit.
EMB_AVR_ELFS = $(EMB_ELF_NAMES:%=$(B)/avr/%.elf) $(EMB_ELF_NAMES:%=$(B)/avr/%.stack.elf)
EMB_ARM_ELFS = $(EMB_ELF_NAMES:%=$(B)/arm/%.elf) $(EMB_ELF_NAMES:%=$(B)/arm/%.stack.elf) \
               $(B)/arm/systick.elf
EMB_HAVE_AVR := $(shell command -v $(AVR_CC) >/dev/null 2>&1 && echo yes)
EMB_HAVE_ARM := $(shell command -v $(ARM_CC) >/dev/null 2>&1 && echo yes)

EMB_SIZES = sizes.o sizes_labels.o sizes_nodouble.o
embedded-build: $(EMB_SIZES:%=$(B)/host/%) $(B)/host/printf_test $(B)/host/printf_test.asan \
    $(if $(EMB_HAVE_AVR),$(EMB_AVR_ELFS) $(EMB_SIZES:%=$(B)/avr/%)) \
    $(if $(EMB_HAVE_ARM),$(EMB_ARM_ELFS) $(EMB_SIZES:%=$(B)/arm/%))

# $(call emb_demo,CC,CFLAGS,LDFLAGS,PORT_SRCS,EXTRA_CFLAGS): links a demo
# ($<) whose main() becomes coro_demo_main(), called by embedded/main.c.
define emb_demo
	@mkdir -p $(@D)
	$(1) $(2) $(5) -Dmain=coro_demo_main -c $< -o $(@:.elf=.demo.o)
	$(1) $(2) $(5) $(if $(EMB_ARGV_$*),-DCORO_DEMO_ARGV=$(EMB_ARGV_$*)) \
	    -c embedded/main.c -o $(@:.elf=.main.o)
	$(1) $(2) $(5) $(3) $(@:.elf=.demo.o) $(@:.elf=.main.o) $(4) $(EMB_LIB_SRCS) -o $@
endef
# $(call emb_prog,CC,CFLAGS,LDFLAGS,PORT_SRCS,EXTRA_CFLAGS): links a program
# of embedded/ ($<) that has its own main().
define emb_prog
	@mkdir -p $(@D)
	$(1) $(2) $(5) $(3) $< $(4) $(EMB_LIB_SRCS) -o $@
endef

EMB_AVR_DEPS = embedded/main.c $(AVR_PORT_SRCS) $(AVR_PORT_HDRS) $(EMB_LIB_SRCS) $(HEADERS)
EMB_ARM_DEPS = embedded/main.c $(ARM_PORT_SRCS) $(ARM_PORT_HDRS) $(EMB_LIB_SRCS) $(HEADERS)
EMB_STACK = -DCORO_PORT_STACK_REPORT

$(B)/avr/%.stack.elf: demos/%.c $(EMB_AVR_DEPS)
	$(call emb_demo,$(AVR_CC),$(AVR_CFLAGS),$(AVR_LDFLAGS),$(AVR_PORT_SRCS),$(EMB_STACK))
$(B)/avr/%.elf: demos/%.c $(EMB_AVR_DEPS)
	$(call emb_demo,$(AVR_CC),$(AVR_CFLAGS),$(AVR_LDFLAGS),$(AVR_PORT_SRCS))
$(B)/arm/%.stack.elf: demos/%.c $(EMB_ARM_DEPS)
	$(call emb_demo,$(ARM_CC),$(ARM_CFLAGS),$(ARM_LDFLAGS),$(ARM_PORT_SRCS),$(EMB_STACK))
$(B)/arm/%.elf: demos/%.c $(EMB_ARM_DEPS)
	$(call emb_demo,$(ARM_CC),$(ARM_CFLAGS),$(ARM_LDFLAGS),$(ARM_PORT_SRCS))

# checks.elf: the fixed-storage checks (a full timer heap is CORO_EFULL, ...).
$(B)/avr/checks.stack.elf: embedded/main_checks.c $(EMB_AVR_DEPS)
	$(call emb_prog,$(AVR_CC),$(AVR_CFLAGS),$(AVR_LDFLAGS),$(AVR_PORT_SRCS),$(EMB_STACK))
$(B)/avr/checks.elf: embedded/main_checks.c $(EMB_AVR_DEPS)
	$(call emb_prog,$(AVR_CC),$(AVR_CFLAGS),$(AVR_LDFLAGS),$(AVR_PORT_SRCS))
$(B)/arm/checks.stack.elf: embedded/main_checks.c $(EMB_ARM_DEPS)
	$(call emb_prog,$(ARM_CC),$(ARM_CFLAGS),$(ARM_LDFLAGS),$(ARM_PORT_SRCS),$(EMB_STACK))
$(B)/arm/checks.elf: embedded/main_checks.c $(EMB_ARM_DEPS)
	$(call emb_prog,$(ARM_CC),$(ARM_CFLAGS),$(ARM_LDFLAGS),$(ARM_PORT_SRCS))

# systick.elf: the loop on a SysTick tick clock with a WFI idle hook (the
# README's bare-metal clock), run by tests/embedded.sh with qemu -icount.
$(B)/arm/systick.elf: embedded/main_systick.c $(EMB_ARM_DEPS)
	$(call emb_prog,$(ARM_CC),$(ARM_CFLAGS),$(ARM_LDFLAGS),$(ARM_PORT_SRCS))

# The host test of embedded/printf.c against the C library's snprintf
# (printf.c sees the stdio.h shim; the test must not).
EMB_PRINTF_TEST = embedded/main_printf_test.c embedded/printf.c embedded/port.h \
                  embedded/include/stdio.h
$(B)/host/printf_test: $(EMB_PRINTF_TEST)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iembedded/include -c embedded/printf.c -o $@.printf.o
	$(CC) $(ALL_CFLAGS) embedded/main_printf_test.c $@.printf.o -o $@

$(B)/host/printf_test.asan: $(EMB_PRINTF_TEST)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -Iembedded/include -c embedded/printf.c -o $@.printf.o
	$(CC) $(ALL_CFLAGS) $(SAN) embedded/main_printf_test.c $@.printf.o -o $@

# sizes.o: one object per target whose symbols' sizes are the sizeof values
# (read with nm -S by tests/embedded.sh); sizes_labels.o: the same with the
# CORO_USE_LABELS backend; sizes_nodouble.o: with CORO_NO_DOUBLE.
EMB_LABELS_sizes =
EMB_LABELS_sizes_labels = -DCORO_USE_LABELS
EMB_LABELS_sizes_nodouble = -DCORO_NO_DOUBLE
$(EMB_SIZES:%=$(B)/avr/%): $(B)/avr/%.o: embedded/sizes.c $(HEADERS)
	@mkdir -p $(@D)
	$(AVR_CC) $(AVR_CFLAGS) $(EMB_LABELS_$*) -c $< -o $@

$(EMB_SIZES:%=$(B)/arm/%): $(B)/arm/%.o: embedded/sizes.c $(HEADERS)
	@mkdir -p $(@D)
	$(ARM_CC) $(ARM_CFLAGS) $(EMB_LABELS_$*) -c $< -o $@

$(EMB_SIZES:%=$(B)/host/%): $(B)/host/%.o: embedded/sizes.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(EMB_LABELS_$*) -c $< -o $@

# make test: install the toolchains like Check, build, run tests/embedded.sh.
deps: embedded-deps
TEST_EXTRA   += embedded-build
TEST_SCRIPTS += tests/embedded.sh
