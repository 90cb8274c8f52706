# SPDX-License-Identifier: MIT
# Streams (issue 12, item 3): stream.h / stream.c are in the Makefile's
# LIB_SRCS and TOP_HEADERS; tests/test_stream.c is a Check suite like the
# others. make test also runs tests/upper.sh: the upper-casing server and
# client on streams against their asyncio twin (tests/reference/upper.py).
TEST_SCRIPTS += tests/upper.sh
TEST_EXTRA   += $(B)/demos/upper_server $(B)/demos/upper_client
# The suite also drives the fault seam (EINTR, one-byte transfers,
# ECONNRESET), as tests/test_faults.c does (mk/faults.mk).
TEST_CFLAGS_test_stream = -DCORO_FAULTS
TEST_LIB_test_stream    = faults
