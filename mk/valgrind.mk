# SPDX-License-Identifier: MIT
# valgrind (issue 6): the whole suite under valgrind's memcheck, with zero
# errors and zero leaks of any kind.
#
# make valgrind-all   runs under memcheck: every Check suite (the plain build,
#                     CK_FORK=no so the tests run in the process valgrind
#                     watches), the demos that run offline (generators,
#                     countdown --virtual, slow_operation --virtual), and each
#                     fuzz target's replay build over its committed corpus and
#                     regressions (fuzz/corpus/NAME/, fuzz/regress/NAME/;
#                     whatever targets exist). Logs go to build/valgrind/; a
#                     failing run's log is printed. Ends with the line
#                     "valgrind: N passed, M failed" and fails if M > 0.
#                     CORO_NO_URING=1: valgrind (3.19) cannot interrupt a
#                     process blocked in io_uring_enter, so io_uring is left
#                     out there (the plain and ASan runs cover it).
VALGRIND = valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all
# The demos that need no network, and their arguments.
VALGRIND_DEMOS = $(filter $(B)/demos/generators $(B)/demos/countdown \
                          $(B)/demos/slow_operation,$(DEMOS))
VALGRIND_ARGS_countdown = --virtual
VALGRIND_ARGS_slow_operation = --virtual

# $(call valgrind_run,LABEL,COMMAND): runs COMMAND under memcheck, counts it.
valgrind_run = if $(VALGRIND) $(2) >$(B)/valgrind/$(1).log 2>&1; then \
        pass=$$((pass + 1)); echo "valgrind $(1): ok"; \
    else \
        fail=$$((fail + 1)); echo "valgrind $(1): FAILED"; cat $(B)/valgrind/$(1).log; \
    fi;

.PHONY: valgrind-all valgrind-all-run
valgrind-all: deps
	@$(MAKE) --no-print-directory valgrind-all-run

valgrind-all-run: $(TESTS:%=$(B)/plain/%) $(VALGRIND_DEMOS) $(FUZZERS:%=$(B)/plain/%)
	@mkdir -p $(B)/valgrind; pass=0; fail=0; export CK_FORK=no CORO_NO_URING=1; \
	$(foreach t,$(TESTS),$(call valgrind_run,$(t),$(B)/plain/$(t))) \
	$(foreach d,$(VALGRIND_DEMOS),$(call valgrind_run,$(notdir $(d)),$(d) \
	    $(VALGRIND_ARGS_$(notdir $(d))))) \
	$(foreach f,$(FUZZERS),$(call valgrind_run,$(f)-corpus,$(B)/plain/$(f) \
	    $$(ls -d fuzz/corpus/$(f)/* fuzz/regress/$(f)/* 2>/dev/null))) \
	echo "valgrind: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]
