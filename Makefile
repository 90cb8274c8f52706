# SPDX-License-Identifier: MIT
# coro: `make` builds the library and the demos into build/, `make test`
# runs every check, `make demo` runs the demos, `make bench` the benchmarks,
# `make install` installs under PREFIX, `make help` lists every target.
# See README.md.

CC      ?= cc
CXX     ?= c++
WARN     = -Wall -Wextra -pedantic -Werror
CFLAGS  ?= -O2 -g
# CORO_LAYOUT: the options that change struct layouts (CORO_USE_LABELS=1,
# CORO_NO_DOUBLE=1 on the command line); mk/install.mk records them.
ALL_CFLAGS = -std=c99 $(WARN) $(CFLAGS) -I. $(CORO_LAYOUT)
# io_uring (selectors/uring.c) when liburing is here: URING=0 builds without.
URING   ?= $(shell pkg-config --exists liburing 2>/dev/null && echo 1)
ifeq ($(URING),1)
ALL_CFLAGS += -DCORO_HAVE_URING
LIB_LIBS    = $(shell pkg-config --libs liburing)
endif
SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
B        = build

# Library sources (coro.h is header-only; the loop adds loop.c). They are
# built once per flavour (mk/flavours.mk): $(B)/FLAVOUR/libcoro.a, which the
# demos, tests and fuzz targets link. LIB is the plain flavour's, the one
# `make install` installs.
LIB_SRCS  = $(wildcard version.c errors.c loop.c wait.c timeout.c taskgroup.c sync.c io.c stream.c resolve.c selectors/*.c)
LIB       = $(B)/plain/libcoro.a
TOP_HEADERS = base.h coro.h $(wildcard loop.h primitive.h wait.h scope.h sync.h io.h stream.h resolve.h)
SEL_HEADERS = $(wildcard selectors/*.h)
HEADERS   = $(TOP_HEADERS) $(SEL_HEADERS) internal.h coro_sys.h   # the last two: private, not installed

DEMOS     = $(patsubst demos/%.c,$(B)/demos/%,$(wildcard demos/*.c))
BENCHES   = $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))
TESTS     = $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))

CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

.PHONY: all test demo bench install uninstall deps valgrind clean
all: $(LIB) $(DEMOS)

# Lets a rule name its library after the stem: $$(call flavour_lib,...).
.SECONDEXPANSION:

# Each further area keeps its rules in a file of its own under mk/
# (fuzz.mk: make fuzz; embedded.mk: make embedded; ...).
include $(sort $(wildcard mk/*.mk))

$(B)/demos/%: demos/%.c $(wildcard demos/*.h) $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(LIB) -o $@ $(LIB_LIBS)

$(B)/bench/%: bench/%.c $(wildcard bench/*.h) $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(LIB) -o $@ $(BENCH_LIBS_$*) $(LIB_LIBS)

# ---- tests: each suite in a plain build and in an ASan+UBSan build ----------
# A suite may add flags of its own: TEST_CFLAGS_test_x = -DSOMETHING, and
# link a library variant: TEST_LIB_test_x = faults (mk/flavours.mk).
$(B)/plain/%: tests/%.c $(wildcard tests/*.h) $(HEADERS) $$(call flavour_lib,plain,$$*)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS_$*) $(CHECK_CFLAGS) $< $(call flavour_lib,plain,$*) -o $@ $(CHECK_LIBS) $(LIB_LIBS)

$(B)/asan/%: tests/%.c $(wildcard tests/*.h) $(HEADERS) $$(call flavour_lib,asan,$$*)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS_$*) $(SAN) $(CHECK_CFLAGS) $< $(call flavour_lib,asan,$*) -o $@ $(CHECK_LIBS) $(LIB_LIBS)

deps:
	@tests/deps.sh check pkg-config valgrind liburing-dev

test: deps
	@$(MAKE) --no-print-directory test-run

.PHONY: test-run
test-run: $(TESTS:%=$(B)/plain/%) $(TESTS:%=$(B)/asan/%) $(DEMOS) $(B)/tests/echo_clients \
          $(FUZZERS:%=$(B)/plain/%) $(FUZZERS:%=$(B)/asan/%) $(TEST_EXTRA)
	@FUZZERS="$(FUZZERS)" TEST_SCRIPTS="$(TEST_SCRIPTS)" tests/run.sh $(B) $(TESTS)

# An mk/*.mk file adds to the run with TEST_EXTRA (targets to build first)
# and TEST_SCRIPTS (scripts run as `SCRIPT BUILD_DIR`, each ending with a line
# "NAME: N passed, M failed").
# (tests/run.sh also runs tests/portability.sh: the header compiles as C99
# and C++ with gcc and clang, both backends, and for an ATmega328P; and
# tests/compile_fail.sh: two suspension points on one line fail to compile.)

# The whole suite under memcheck: see mk/valgrind.mk.
valgrind: valgrind-all

$(B)/tests/%: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< -o $@

demo: $(DEMOS) $(B)/tests/echo_clients
	@demos/run.sh $(B)

# Benchmark-only baselines (never dependencies of the library).
BENCH_LIBS_bench_loop = -lev -luv
BENCH_LIBS_bench_timers = -lev
BENCH_LIBS_bench_echo = -luv

# Each benchmark's output is kept in $(B)/bench/NAME.out; the lines
# "result NAME VALUE BASELINE UNIT" in them (and in the AVR cycle count's,
# when avr-gcc and simavr are there) become $(B)/bench/results.json.
bench:
	@tests/deps.sh libev-dev libuv1-dev valgrind
	@$(MAKE) --no-print-directory $(BENCHES) $(if $(RT_HAVE_AVR),$(B)/avr/cycles.elf)
	@for b in $(BENCHES); do echo "== $$b"; { $$b; echo $$? > $$b.rc; } | tee $$b.out; \
	    [ "$$(cat $$b.rc)" = 0 ] || exit 1; done
	@rm -f $(B)/bench/avr_cycles.out; \
	if [ -f $(B)/avr/cycles.elf ] && command -v simavr >/dev/null; then \
	    echo "== $(B)/avr/cycles.elf (ATmega328P in simavr)"; \
	    tests/simavr_uart.sh $(B)/avr/cycles.elf $(B)/bench/avr_cycles.out 60 && \
	    grep -E '^(cycles|ratio|result)' $(B)/bench/avr_cycles.out; fi
	@bench/results.sh $(B)/bench/results.json $(BENCHES:%=%.out) $(B)/bench/avr_cycles.out

# install, uninstall and the shared library: mk/install.mk.

clean:
	rm -rf $(B)
