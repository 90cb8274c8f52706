# SPDX-License-Identifier: MIT
# Soak (issue 6): long bounded runs that must not grow in memory or fds.
#
# make soak        builds soak/soak_*.c with -O2 into build/soak/ and runs
#                  each: soak_timers (10M timer operations), soak_tasks (1M
#                  tasks spawned, some cancelled), soak_echo (100k loopback
#                  echo connections). Each prints RSS and open fds after its
#                  warm-up and at the end, the duration and the rate, and
#                  fails if its own checks fail or if RSS or fds grew.
# make soak SOAK_ARGS_soak_echo=1000   a shorter run of one of them.
SOAKS = $(patsubst soak/%.c,%,$(wildcard soak/soak_*.c))

$(B)/soak/%: soak/%.c soak/soak.h $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O2 $< $(LIB) -o $@ $(LIB_LIBS)

.PHONY: soak
soak: $(SOAKS:%=$(B)/soak/%)
	@fail=0; $(foreach s,$(SOAKS),echo "== $(s)"; \
	    $(B)/soak/$(s) $(SOAK_ARGS_$(s)) || fail=1;) \
	if [ $$fail -eq 0 ]; then echo "make soak: ok"; else echo "make soak: FAILED"; fi; \
	exit $$fail
