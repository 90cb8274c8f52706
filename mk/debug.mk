# SPDX-License-Identifier: MIT
# tests/test_debug.c: the suite of a CORO_DEBUG build (its library sources
# are compiled with the flag too, as every suite's are).
TEST_CFLAGS_test_debug = -DCORO_DEBUG
