# SPDX-License-Identifier: MIT
# fuzz/fuzz_coro.c: generator operations against a model of PEP 342/380.
# An input decodes to at most 2 + 8 * 89 + 128 * 3 = 1098 bytes (8 scripts of
# 22 four-byte steps, 128 three-byte operations); longer ones add nothing.
FUZZ_FLAGS_fuzz_coro = -max_len=1100
FUZZ_FLAGS_fuzz_coro_labels = $(FUZZ_FLAGS_fuzz_coro)
