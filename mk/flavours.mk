# SPDX-License-Identifier: MIT
# One build of the library per flavour: the sources of LIB_SRCS compiled once
# into $(B)/FLAVOUR/obj/ and archived as $(B)/FLAVOUR/libcoro.a, which every
# test, fuzz and demo binary of that flavour links (instead of compiling the
# library again for each binary).
#
#   plain         $(ALL_CFLAGS) -fPIC: the demos, the plain tests, make install
#   asan          ASan+UBSan: the asan tests and fuzz replays
#   plain-faults  -DCORO_FAULTS (system calls through coro_sys.h's table):
#   asan-faults   for a suite that sets TEST_LIB_test_x = faults
#   plain-debug   -DCORO_DEBUG (check values, slow callbacks: mk/debug.mk):
#   asan-debug    for a suite that sets TEST_LIB_test_x = debug
#   tsan          ThreadSanitizer (mk/tsan.mk)
#   libfuzzer     clang, libFuzzer's coverage and ASan+UBSan (mk/fuzz.mk)
#
# A flavour is FLAVOUR_CFLAGS_name (and FLAVOUR_CC_name, default $(CC));
# $(call flavour_lib,FLAVOUR,BINARY) is the archive a binary links (with
# .SECONDEXPANSION, as a prerequisite: $$(call flavour_lib,plain,$$*)).

FLAVOURS = plain asan plain-faults asan-faults plain-debug asan-debug tsan libfuzzer
FLAVOUR_CFLAGS_plain        = $(ALL_CFLAGS) -fPIC
FLAVOUR_CFLAGS_asan         = $(ALL_CFLAGS) $(SAN)
FLAVOUR_CFLAGS_plain-faults = $(ALL_CFLAGS) -DCORO_FAULTS
FLAVOUR_CFLAGS_asan-faults  = $(ALL_CFLAGS) $(SAN) -DCORO_FAULTS
FLAVOUR_CFLAGS_plain-debug  = $(ALL_CFLAGS) -DCORO_DEBUG
FLAVOUR_CFLAGS_asan-debug   = $(ALL_CFLAGS) $(SAN) -DCORO_DEBUG
FLAVOUR_CFLAGS_tsan         = $(TSAN_CFLAGS)
FLAVOUR_CC_tsan             = $(TSAN_CC)
FLAVOUR_CFLAGS_libfuzzer    = -std=c99 $(WARN) -O1 -g -I. \
                              -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FLAVOUR_CC_libfuzzer        = $(FUZZ_CC)

flavour_lib = $(B)/$(1)$(if $(TEST_LIB_$(2)),-$(TEST_LIB_$(2)))/libcoro.a

define coro_flavour
$(B)/$(1)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $$(@D)
	$$(or $$(FLAVOUR_CC_$(1)),$$(CC)) $$(FLAVOUR_CFLAGS_$(1)) -c $$< -o $$@

$(B)/$(1)/libcoro.a: $(LIB_SRCS:%.c=$(B)/$(1)/obj/%.o)
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach f,$(FLAVOURS),$(eval $(call coro_flavour,$(f))))

# make check [SUITE=wait] [CASE=gather] [FLAVOUR=asan]: builds and runs one
# suite (tests/test_SUITE.c; all of them without SUITE), only its test case
# CASE if given (Check's CK_RUN_CASE), in the plain build or FLAVOUR's.
FLAVOUR ?= plain
CHECK_SUITES = $(if $(SUITE),test_$(SUITE),$(TESTS))
.PHONY: check
check: deps
	@$(MAKE) --no-print-directory $(CHECK_SUITES:%=$(B)/$(FLAVOUR)/%)
	@fail=0; ran=0; for t in $(CHECK_SUITES); do \
	    out=$$($(if $(CASE),CK_RUN_CASE="$(CASE)") $(B)/$(FLAVOUR)/$$t 2>&1) || fail=1; \
	    echo "$$out"; case "$$out" in *"Checks: 0,"*) ;; *) ran=1;; esac; done; \
	[ $$ran = 1 ] || { echo "check: no test case $(CASE) in $(CHECK_SUITES)"; fail=1; }; exit $$fail
