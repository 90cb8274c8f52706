# SPDX-License-Identifier: MIT
# Fault injection (issue 6). The selector loop and the socket helpers make
# their system calls through the macros of coro_sys.h, plain calls in every
# build but this one: tests/test_faults.c (a suite that `make test` picks up
# like the others) is compiled, together with $(LIB_SRCS), with -DCORO_FAULTS,
# which routes them through the table coro_faults the tests fill.
#
#   make build/plain/test_faults build/asan/test_faults
TEST_CFLAGS_test_faults = -DCORO_FAULTS
