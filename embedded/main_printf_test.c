/* SPDX-License-Identifier: MIT */
/*
 * main_printf_test.c -- a host test of embedded/printf.c: every supported
 * conversion, flag, width, precision and length is printed by the embedded
 * printf (into a buffer, through this file's coro_port_putc) and by the C
 * library's snprintf, and the two must agree, return values included.
 * Built by mk/embedded.mk as build/host/printf_test (plain and ASan+UBSan),
 * run by tests/embedded.sh; prints "printf: N passed, M failed" and exits
 * non-zero on a failure.
 *
 * It cannot include both stdio.h headers (the embedded one and the C
 * library's), so it declares what it uses; the embedded printf's functions
 * take the place of the C library's of the same name in this program.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "embedded/port.h"

/* embedded/printf.c */
int printf(const char *fmt, ...);
int putchar(int c);
int puts(const char *s);
/* the C library's */
int snprintf(char *buf, size_t n, const char *fmt, ...);

static char got[512];
static size_t ngot;
static int capture = 1, overflow;

void coro_port_init(void)
{
}

/* Captures into got[] while `capture`, else writes to stdout. */
void coro_port_putc(char c)
{
    if (!capture) {
        if (write(1, &c, 1) != 1)
            overflow = 1;
    } else if (ngot < sizeof got - 1) {
        got[ngot++] = c;
    } else {
        overflow = 1;
    }
}

void coro_port_exit(int code)
{
    (void)code;
}

static int passed, failed;

/* Compares what the embedded printf wrote and returned with snprintf's. */
static void compare(int line, int n_ours, const char *want, int n_want)
{
    got[ngot] = 0;
    if (!overflow && n_ours == n_want && strcmp(got, want) == 0) {
        passed++;
    } else {
        char copy[sizeof got];
        memcpy(copy, got, sizeof got);
        failed++;
        capture = 0;
        printf("printf_test.c:%d: got \"%s\" (%d), want \"%s\" (%d)\n", line, copy, n_ours,
               want, n_want);
        capture = 1;
    }
    ngot = 0;
    overflow = 0;
}

/* T(fmt, args...): one comparison. */
#define T(...)                                                             \
    do {                                                                   \
        char want_[sizeof got];                                            \
        int n_want_ = snprintf(want_, sizeof want_, __VA_ARGS__);          \
        int n_ours_ = printf(__VA_ARGS__);                                 \
        compare(__LINE__, n_ours_, want_, n_want_);                        \
    } while (0)

int main(void)
{
    static const int ints[] = { 0, 1, -1, 7, -42, 100, 12345, INT_MAX, INT_MIN };
    static const long longs[] = { 0L, -1L, 65536L, LONG_MAX, LONG_MIN };
    static const long long lls[] = { 0LL, 5LL, -5LL, 123LL, 4294967296LL, -4294967297LL,
                                     LLONG_MAX, LLONG_MIN };
    static const char *int_fmts[] = { "%d", "%i", "[%5d]", "[%-5d]", "[%05d]", "[%+d]",
                                      "[% d]", "[%.3d]", "[%8.3d]", "[%-8.3d]", "[%08.3d]",
                                      "[%.0d]", "[%+05d]", "[%-+6d]", "[%1d]" };
    static const char *uns_fmts[] = { "%u", "%x", "%X", "%o", "[%08x]", "[%-6X]",
                                      "[%.4o]", "[%.0u]", "[%10u]" };
    size_t i, j;
    int n;

    for (i = 0; i < sizeof ints / sizeof *ints; i++) {
        for (j = 0; j < sizeof int_fmts / sizeof *int_fmts; j++)
            T(int_fmts[j], ints[i]);
        for (j = 0; j < sizeof uns_fmts / sizeof *uns_fmts; j++)
            T(uns_fmts[j], (unsigned)ints[i]);
        T("%hd %hu %hhd %hhu", (short)ints[i], (unsigned short)ints[i], (signed char)ints[i],
          (unsigned char)ints[i]);
        T("[%*d] [%-*d] [%.*d]", 6, ints[i], 6, ints[i], 4, ints[i]);
        T("[%*d]", -6, ints[i]);
    }
    for (i = 0; i < sizeof longs / sizeof *longs; i++)
        T("%ld [%12ld] [%-12lx] %lu", longs[i], longs[i], (unsigned long)longs[i],
          (unsigned long)longs[i]);
    for (i = 0; i < sizeof lls / sizeof *lls; i++)
        T("%lld [%02lld] [%06lld] [%-22lld] %llx %llu %llo", lls[i], lls[i], lls[i], lls[i],
          (unsigned long long)lls[i], (unsigned long long)lls[i], (unsigned long long)lls[i]);
    T("%llu %llx", ULLONG_MAX, ULLONG_MAX);
    T("%zu [%5zu]", (size_t)123, sizeof got);
    /* countdown's timedelta */
    T("%lld:%02lld:%02lld.%06lld", 1LL, 2LL, 3LL, 4567LL);
    T("%c%c[%3c][%-3c]", 'a', 'Z', 'x', 'y');
    T("%s|%5s|%-5s|%.2s|%.0s|%5.1s|%-6.3s|%.*s", "abc", "abc", "abc", "abc", "abc", "abc",
      "abcdef", 3, "abcdef");
    T("%s", "");
    T("100%% %s%%", "sure");
    T("no conversion at all\n");
    T("%p", (void *)&n);
    T("%p", (void *)(uintptr_t)0x1234);
    /* the rewrites gcc makes of printf, and the functions themselves */
    n = printf("%c", 'q');
    compare(__LINE__, n, "q", 1);
    n = printf("%s\n", "line");
    compare(__LINE__, n, "line\n", 5);
    n = putchar('!');
    compare(__LINE__, n == '!' ? 1 : 0, "!", 1);
    n = puts("puts");
    compare(__LINE__, n >= 0 ? 5 : n, "puts\n", 5);

    capture = 0;
    printf("printf: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
