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
#include <string.h>

#include "selectors/selectors.h"

/* The number of backends coro_sel_backends() lists. Says on stdout (once
 * per process) when io_uring is built but not listed: refused here. */
static inline int test_backends(void)
{
    const char *const *names = coro_sel_backends();
    static int said;
    int n = 0, uring = 0;
    for (; names[n]; n++)
        uring |= strcmp(names[n], "uring") == 0;
#if defined(__linux__) && defined(CORO_HAVE_URING)
    if (!uring && !said++)
        printf("skip uring: the kernel refuses io_uring here (seccomp, "
               "/proc/sys/kernel/io_uring_disabled): its runs are skipped\n");
#endif
    (void)uring;
    return n;
}

#endif
