# SPDX-License-Identifier: MIT
# Fault injection (issue 6). The selector loop and the socket helpers make
# their system calls through the macros of coro_sys.h, plain calls in every
# build but this one: tests/test_faults.c (a suite that `make test` picks up
# like the others) is compiled with -DCORO_FAULTS and links the library built
# with it ($(B)/plain-faults/libcoro.a, $(B)/asan-faults/libcoro.a: see
# mk/flavours.mk), which routes them through the table coro__faults the tests
# fill.
#
#   make build/plain/test_faults build/asan/test_faults
TEST_CFLAGS_test_faults = -DCORO_FAULTS
TEST_LIB_test_faults    = faults
