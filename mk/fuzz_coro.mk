# SPDX-License-Identifier: MIT
# fuzz/fuzz_coro.c: generator operations against a model of PEP 342/380.
# An input decodes to 8 scripts of four-byte steps (22 each, and up to 24 in
# each try block, 2 levels deep), then 128 three-byte operations: 4096 bytes
# hold the programs that matter.
FUZZ_FLAGS_fuzz_coro = -max_len=4096
FUZZ_FLAGS_fuzz_coro_labels = $(FUZZ_FLAGS_fuzz_coro)
