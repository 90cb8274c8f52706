/* SPDX-License-Identifier: MIT */
/*
 * backends.h -- what the I/O suites share about the selector backends they
 * run on: how many coro_sel_backends() lists, and a printed reason for the
 * one built here that the kernel refuses at run time (io_uring under a
 * seccomp filter or io_uring_disabled), whose runs are then skipped.
 */
#ifndef CORO_TESTS_BACKENDS_H
#define CORO_TESTS_BACKENDS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selectors/selectors.h"

/* The number of backends coro_sel_backends() lists. Says on stdout (once
 * per process) when io_uring is built but not listed: refused here. */
static inline int test_backends(void)
{
    const char *const *names = coro_sel_backends();
    int n = 0, uring = 0;
    for (; names[n]; n++)
        uring |= strcmp(names[n], "uring") == 0;
#if defined(__linux__) && defined(CORO_HAVE_URING)
    static int said;
    if (!uring && !said++)
        printf("skip uring: %s: its runs are skipped\n",
               getenv("CORO_NO_URING") && *getenv("CORO_NO_URING")
                   ? "CORO_NO_URING is set (valgrind cannot interrupt an io_uring wait)"
                   : "the kernel refuses io_uring here (seccomp, io_uring_disabled)");
#endif
    (void)uring;
    return n;
}

#endif
