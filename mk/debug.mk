# SPDX-License-Identifier: MIT
# tests/test_debug.c: the suite of a CORO_DEBUG build, linked with the
# library built with the flag too (the debug flavours of mk/flavours.mk).
TEST_CFLAGS_test_debug = -DCORO_DEBUG
TEST_LIB_test_debug    = debug
