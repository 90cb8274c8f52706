/* SPDX-License-Identifier: MIT */
/*
 * soak.h -- what the soak programs (soak/soak_*.c, `make soak`) share: the
 * resident memory and the open fds of this process, read from /proc (Linux),
 * a monotonic clock, the start and end marks, and the verdict.
 *
 * Each program takes a mark, runs a warm-up round and prints it with
 * soak_line (so that first-touch pages of its storage, the heap that stdio's
 * buffer and opendir's take, and the pages of libc's code and tables that
 * printf and these functions use are all resident before the start), takes
 * the start mark, runs its long round on the same storage, takes the end
 * mark, prints the run, and fails if the resident set or the number of open
 * fds grew: no slack at all.
 *
 *   soak_mark(&w); <warm-up>; soak_mark(&start);
 *   soak_line(NAME, "warm-up", &w, &start, n, "ops");
 *   soak_mark(&start); <run>; soak_mark(&end);
 *   soak_line(NAME, "run", &start, &end, n, "ops");
 *   return soak_verdict(NAME, &start, &end);
 */
#ifndef CORO_SOAK_H
#define CORO_SOAK_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A mark: resident set in KiB, open fds, and the monotonic time in seconds. */
struct soak_mark {
    long rss_kib;
    long fds;
    double t;
};

/* Seconds on the monotonic clock. */
static inline double soak_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The resident set of this process in KiB, or -1. From /proc/self/
 * smaps_rollup (its "Rss:" line), which walks the page tables: exact, as a
 * check with no slack needs. statm and status's VmRSS read the kernel's RSS
 * counters, which since Linux 6.2 are per-CPU and may be read before a CPU's
 * pending share is folded in (here they agreed, run after run); statm is the
 * fallback for kernels before 4.14. Reads with read(2) into a stack buffer:
 * no stdio, no allocation. */
static inline long soak_rss_kib(void)
{
    char buf[4096];
    const char *p;
    ssize_t n, got = 0;
    long size, resident;
    int fd = open("/proc/self/smaps_rollup", O_RDONLY);
    if (fd >= 0) {
        while (got < (ssize_t)sizeof buf - 1 &&
               (n = read(fd, buf + got, sizeof buf - 1 - (size_t)got)) > 0)
            got += n;
        close(fd);
        buf[got] = '\0';
        p = strstr(buf, "\nRss:");
        return p && sscanf(p + 5, "%ld", &resident) == 1 ? resident : -1;
    }
    fd = open("/proc/self/statm", O_RDONLY);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (sscanf(buf, "%ld %ld", &size, &resident) != 2)
        return -1;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The number of open fds of this process (entries of /proc/self/fd, less
 * the one opendir holds while reading it), or -1. */
static inline long soak_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

/* Takes a mark now. */
static inline void soak_mark(struct soak_mark *m)
{
    m->fds = soak_fds();
    m->rss_kib = soak_rss_kib();
    m->t = soak_now();
}

/* Prints "NAME: LABEL: N WHAT in S s (R/s); RSS A -> B KiB, fds C -> D"
 * for the stretch between two marks. */
static inline void soak_line(const char *name, const char *label,
                             const struct soak_mark *from, const struct soak_mark *to,
                             long ops, const char *what)
{
    double s = to->t - from->t;
    printf("%s: %s: %ld %s in %.2f s (%.0f/s); RSS %ld -> %ld KiB, fds %ld -> %ld\n", name,
           label, ops, what, s, s > 0 ? (double)ops / s : 0.0, from->rss_kib, to->rss_kib,
           from->fds, to->fds);
    fflush(stdout);
}

/* Prints the verdict on a run from `start` to `end`: "NAME: ok (RSS +0 KiB,
 * fds +0)" or "NAME: FAILED: grew (...)". Returns 0 if neither the RSS nor
 * the number of fds grew (and both could be read), else 1. */
static inline int soak_verdict(const char *name, const struct soak_mark *start,
                               const struct soak_mark *end)
{
    int grew = end->rss_kib > start->rss_kib || end->fds > start->fds;
    int unread = start->rss_kib < 0 || start->fds < 0 || end->rss_kib < 0 || end->fds < 0;
    printf("%s: %s (RSS %+ld KiB, fds %+ld)\n", name,
           unread ? "FAILED: cannot read /proc/self" : grew ? "FAILED: grew" : "ok",
           end->rss_kib - start->rss_kib, end->fds - start->fds);
    fflush(stdout);
    return grew || unread;
}

/* Touches every page of the n bytes at p (writes a zero into each: call it
 * before the storage is used). For caller-owned storage whose high-water mark
 * depends on the run (a timer array, a queue's ring): a page that a run first
 * reaches after the start mark is not growth. */
static inline void soak_touch(void *p, size_t n)
{
    volatile unsigned char *b = (volatile unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i += 512)
        b[i] = 0;
    if (n)
        b[n - 1] = 0;
}

/* A check of the soak's own bookkeeping: on failure, says where and exits 1. */
#define SOAK_CHECK(name, cond) \
    do { \
        if (!(cond)) { \
            fflush(stdout); \
            fprintf(stderr, "%s: %s:%d: check failed: %s\n", (name), __FILE__, __LINE__, \
                    #cond); \
            exit(1); \
        } \
    } while (0)

/* A small deterministic generator (xorshift32); seed it non-zero. */
static inline uint32_t soak_rand(uint32_t *x)
{
    uint32_t v = *x;
    v ^= v << 13;
    v ^= v >> 17;
    v ^= v << 5;
    return *x = v;
}

#endif /* CORO_SOAK_H */
