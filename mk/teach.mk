# SPDX-License-Identifier: MIT
# Teaching (issue 15): the seeds' programs as demos, docs/tutorial.md that shows
# them beside their Python, and the checks that keep the two in step.
#
# make test          also runs tests/teach.sh (TEST_SCRIPTS below): the
#                    sleeping loop's size, the tutorial's C excerpts against
#                    the demos, the timelines' SVG against the runs' events.
TEST_SCRIPTS += tests/teach.sh

# The demos that draw their schedule (--timeline, --timeline=svg FILE).
TIMELINE_DEMOS = countdown slow_operation crawler_asyncio
$(TIMELINE_DEMOS:%=$(B)/demos/%): demos/timeline.h

# The baselines of the tutorial's comparison (demos/compare.sh measures them).
$(B)/demos/crawler_threads: private ALL_CFLAGS += -pthread
$(B)/demos/crawler_threads $(B)/demos/crawler_processes $(B)/demos/crawler_busy: demos/blocking_fetch.h

# make expand DEMO=fab: the demo after the preprocessor (its own lines only,
# comments kept), formatted by clang-format: the switch the macros wrote.
EXPAND_STYLE = {BasedOnStyle: LLVM, IndentWidth: 4, ColumnLimit: 100, MaxEmptyLinesToKeep: 1}
.PHONY: expand
expand:
	@if [ -z "$(DEMO)" ] || [ ! -f demos/$(DEMO).c ]; then \
	    echo "usage: make expand DEMO=name   (name: one of $(basename $(notdir $(wildcard demos/*.c))))"; \
	    exit 2; fi
	@command -v clang-format >/dev/null 2>&1 || tests/deps.sh clang-format >&2
	@$(CC) -std=c99 -I. -E -C demos/$(DEMO).c | \
	    awk '/^# [0-9]+ "/ { keep = ($$3 == "\"demos/$(DEMO).c\""); next } keep' | \
	    clang-format --assume-filename=$(DEMO).c --style='$(EXPAND_STYLE)'
