# SPDX-License-Identifier: MIT
# Fuzzing: every fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput.
#
# make fuzz                 runs each target under libFuzzer (clang, with
#                           ASan+UBSan) for FUZZ_SECONDS, starting from the
#                           committed corpus fuzz/corpus/NAME/; new inputs go
#                           to build/fuzz/NAME.corpus/, crashes to build/fuzz/.
# make fuzz-NAME            the same for one target.
# make fuzz-merge           minimizes build/fuzz/NAME.corpus into fuzz/corpus/NAME.
# make test                 replays fuzz/corpus/NAME and fuzz/regress/NAME
#                           (inputs that once failed) through fuzz/replay.c,
#                           plain and under ASan+UBSan: no clang needed.
FUZZ_SECONDS ?= 600
FUZZ_FLAGS   ?=
FUZZ_CC      ?= clang
FUZZERS  = $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

# Each links its flavour's library (mk/flavours.mk): libfuzzer, plain, asan.
$(B)/fuzz/%: fuzz/%.c $(HEADERS) $(B)/libfuzzer/libcoro.a
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c99 $(WARN) -O1 -g -I. $(FUZZ_SAN) $(FUZZ_CFLAGS_$*) $< $(B)/libfuzzer/libcoro.a -o $@ \
	    $(LIB_LIBS)

# The replay builds, run by tests/run.sh (see TESTS_EXTRA in the Makefile).
$(B)/plain/%: fuzz/%.c fuzz/replay.c $(HEADERS) $(B)/plain/libcoro.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(FUZZ_CFLAGS_$*) $< fuzz/replay.c $(B)/plain/libcoro.a -o $@ $(LIB_LIBS)

$(B)/asan/%: fuzz/%.c fuzz/replay.c $(HEADERS) $(B)/asan/libcoro.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) $(FUZZ_CFLAGS_$*) $< fuzz/replay.c $(B)/asan/libcoro.a -o $@ $(LIB_LIBS)

.PHONY: fuzz fuzz-deps fuzz-merge $(FUZZERS:%=fuzz-%)
fuzz-deps:
	@tests/deps.sh clang libclang-rt-14-dev

fuzz: fuzz-deps
	@for f in $(FUZZERS); do $(MAKE) --no-print-directory fuzz-$$f || exit 1; done

$(FUZZERS:%=fuzz-%): fuzz-%: fuzz-deps $(B)/fuzz/%
	@mkdir -p $(B)/fuzz/$*.corpus fuzz/corpus/$*
	$(B)/fuzz/$* -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(B)/fuzz/$*- $(FUZZ_FLAGS) $(FUZZ_FLAGS_$*) \
	    $(B)/fuzz/$*.corpus fuzz/corpus/$*

fuzz-merge: fuzz-deps $(FUZZERS:%=$(B)/fuzz/%)
	@for f in $(FUZZERS); do mkdir -p fuzz/corpus/$$f && \
	    $(B)/fuzz/$$f -merge=1 $(FUZZ_FLAGS_$$f) fuzz/corpus/$$f $(B)/fuzz/$$f.corpus || exit 1; done
