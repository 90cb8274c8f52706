/* SPDX-License-Identifier: MIT */
/*
 * bench_stats.h -- what the timer benchmarks (bench_loop.c, bench_timers.c)
 * share: process CPU time, arrays faulted in before a clock starts, and the
 * median and spread of repetitions. Static functions: include it once.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPS 15     /* repetitions of one figure at most */

/* Process CPU time (user + system), in nanoseconds. */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* memset through a volatile pointer: the compiler may not fold malloc +
 * memset into calloc, whose fresh pages would fault in (twice, for a read
 * before the first write) inside the timed phase. */
static void *(*volatile touch)(void *, int, size_t) = memset;

/* malloc(bytes), every page faulted in before the clock starts; exits when
 * out of memory. */
static void *alloc_touched(size_t bytes)
{
    void *p = malloc(bytes);
    if (!p) {
        fprintf(stderr, "bench: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    touch(p, 0, bytes);
    return p;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median and the spread of n (<= MAX_REPS) repetitions. */
struct stat3 { double med, min, max; };

static struct stat3 summarize(const double *v, int n)
{
    double s[MAX_REPS];
    struct stat3 r;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    r.min = s[0];
    r.max = s[n - 1];
    return r;
}

#endif
