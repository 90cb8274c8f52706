# SPDX-License-Identifier: MIT
# fuzz/fuzz_selectors.c: the selectors over real pipes and socketpairs, every
# backend. An input is 4 setup bytes then ops of 2 to 4 bytes, at most 400 of
# them: 1 KiB holds a few hundred, which is all the target reads.
FUZZ_FLAGS_fuzz_selectors = -max_len=1024

