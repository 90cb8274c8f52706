# SPDX-License-Identifier: MIT
# The line-count figure (issue 12, item 9): the same three programs in
# Python (asyncio) and in C (coro) in demos/lines/, demos/lines/count.sh
# that counts their lines, and tests/lines.sh (make test) that runs both
# versions and checks that their outputs agree.
LINES_PROGRAMS = $(patsubst demos/lines/%.c,$(B)/lines/%,$(wildcard demos/lines/*.c))
TEST_SCRIPTS  += tests/lines.sh
TEST_EXTRA    += $(LINES_PROGRAMS)

$(B)/lines/%: demos/lines/%.c $(HEADERS) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $< $(LIB) -o $@ $(LIB_LIBS)
