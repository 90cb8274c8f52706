# SPDX-License-Identifier: MIT
# ThreadSanitizer (issue 6): the thread-safe wakeup, coro_loop_wakeup called
# from threads and from a signal handler while the loop runs, built with
# -fsanitize=thread.
#
# make tsan         builds tests/tsan_wakeup.c and the library sources with
#                   -fsanitize=thread into build/tsan/ and runs tests/tsan.sh:
#                   a planted race must be reported, then the real run (one
#                   per selector backend) must report nothing.
# make test         runs the same (TEST_EXTRA and TEST_SCRIPTS below).
#
# TSAN_CC picks the compiler (default $(CC)); TSAN_DEPS is the Debian package
# with its ThreadSanitizer runtime, installed when missing (gcc: libtsan2;
# clang 14: libclang-rt-14-dev).
TSAN_CC   ?= $(CC)
TSAN_DEPS ?= $(if $(findstring clang,$(TSAN_CC)),libclang-rt-14-dev,libtsan2)
TSAN_CFLAGS = -std=c99 $(WARN) -O1 -g -I. -fsanitize=thread -fno-omit-frame-pointer -pthread

$(B)/tsan/%: tests/%.c $(HEADERS) $(B)/tsan/libcoro.a
	@tests/deps.sh $(TSAN_DEPS)
	@mkdir -p $(@D)
	$(TSAN_CC) $(TSAN_CFLAGS) $< $(B)/tsan/libcoro.a -o $@ $(LIB_LIBS)

TEST_EXTRA   += $(B)/tsan/tsan_wakeup $(B)/tsan/tsan_resolve
TEST_SCRIPTS += tests/tsan.sh

.PHONY: tsan
tsan: $(B)/tsan/tsan_wakeup $(B)/tsan/tsan_resolve
	@tests/tsan.sh $(B)
