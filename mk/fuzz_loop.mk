# SPDX-License-Identifier: MIT
# fuzz/fuzz_loop.c: the loop, gather / wait / wait_for / shield, the lock and
# the queue, checked against a model of asyncio's order of events.
# A program is at most 2 + 64 tasks * 17 + drivers * 3 bytes: 1 KB is plenty.
FUZZ_FLAGS_fuzz_loop = -max_len=1024

# make fuzz-loop-asyncio: checks the model itself against CPython's asyncio.
# For each input of the committed corpus and the regressions, the emitter
# (fuzz_loop.c built with -DFUZZ_LOOP_EMIT, which also runs the library and
# compares) prints the program and the model's log; fuzz/fuzz_loop.py runs
# the program on asyncio and compares the logs. Needs python3 (3.11: the
# version the model follows); slow (about 0.1 s an input), not part of test.
$(B)/fuzz/fuzz_loop_emit: fuzz/fuzz_loop.c $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DFUZZ_LOOP_EMIT $< $(LIB) -o $@ $(LIB_LIBS)

.PHONY: fuzz-loop-asyncio
fuzz-loop-asyncio: $(B)/fuzz/fuzz_loop_emit
	@pass=0; fail=0; skip=0; \
	for f in fuzz/corpus/fuzz_loop/* fuzz/regress/fuzz_loop/*; do \
	    [ -f "$$f" ] || continue; \
	    out=$$($(B)/fuzz/fuzz_loop_emit "$$f" | python3 fuzz/fuzz_loop.py 2>&1); \
	    case "$$out" in \
	    *": same"*) pass=$$((pass + 1));; \
	    *"skipped"*|*"nothing to run"*) skip=$$((skip + 1));; \
	    *) fail=$$((fail + 1)); echo "== $$f"; echo "$$out";; \
	    esac; \
	done; \
	echo "fuzz-loop-asyncio: $$pass passed, $$fail failed ($$skip with clock drift, extreme times or empty, not compared)"; \
	[ $$fail -eq 0 ]

# The model lives in fuzz/loop_model.h, which fuzz_loop.c includes.
$(B)/plain/fuzz_loop $(B)/asan/fuzz_loop $(B)/fuzz/fuzz_loop $(B)/fuzz/fuzz_loop_emit: \
    fuzz/loop_model.h
