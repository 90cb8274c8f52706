/* SPDX-License-Identifier: MIT */
/*
 * fuzz_coro_labels.c -- fuzz_coro.c with the labels-as-values backend
 * (CORO_USE_LABELS, gcc and clang), against the same model and over the
 * same corpus and regressions (fuzz/corpus/fuzz_coro_labels and
 * fuzz/regress/fuzz_coro_labels are links to fuzz_coro's).
 */
#define CORO_USE_LABELS 1
#include "fuzz_coro.c"
