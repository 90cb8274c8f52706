/* SPDX-License-Identifier: MIT */
/*
 * printf.c -- the embedded builds' small printf (see embedded/include/stdio.h)
 * over coro_port_putc: no buffer, no allocation, no floating point.
 * Conversions: d i u x X o c s p %; flags - 0 + space; width and precision
 * (digits or *); lengths hh h l ll z. An unknown conversion is printed as is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "embedded/port.h"

FILE coro_port_stdout, coro_port_stderr;

/* Writes `n` copies of `c`; returns n (0 if n <= 0). */
static int pad(char c, int n)
{
    int k;
    for (k = 0; k < n; k++)
        coro_port_putc(c);
    return k;
}

/* Writes `len` bytes of `s`; returns len. */
static int put_bytes(const char *s, int len)
{
    int k;
    for (k = 0; k < len; k++)
        coro_port_putc(s[k]);
    return len;
}

/* One conversion's flags, width and precision (-1 when absent). */
struct spec {
    char left, zero, plus, space;
    int width, prec;
};

/* Writes `body` (len bytes) after `prefix` (a sign or "0x", may be empty)
 * with the spec's padding: zeros up to the precision, then the width filled
 * with spaces (or with zeros between the prefix and the digits when the 0
 * flag applies). Returns the bytes written. */
static int put_field(const struct spec *sp, const char *prefix, const char *body, int len,
                     int is_num)
{
    int plen = 0, zeros = 0, fill, n = 0;
    while (prefix[plen])
        plen++;
    if (is_num && sp->prec > len)
        zeros = sp->prec - len;
    fill = sp->width - plen - zeros - len;
    if (is_num && sp->zero && !sp->left && sp->prec < 0 && fill > 0) {
        zeros += fill;
        fill = 0;
    }
    if (!sp->left)
        n += pad(' ', fill);
    n += put_bytes(prefix, plen);
    n += pad('0', zeros);
    n += put_bytes(body, len);
    if (sp->left)
        n += pad(' ', fill);
    return n;
}

/* Formats `v` in `base` (8, 10 or 16) into the end of buf[24]; returns the
 * first digit. Precision 0 with value 0 gives no digits, as C says. */
static char *utoa_ull(unsigned long long v, unsigned base, int upper, int prec, char *end)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char *p = end;
    if (v == 0 && prec == 0)
        return p;
    /* The 32-bit division is much cheaper where it is emulated (AVR). */
    while (v > 0xFFFFFFFFull) {
        *--p = digits[v % base];
        v /= base;
    }
    {
        unsigned long w = (unsigned long)v;
        do {
            *--p = digits[w % base];
            w /= base;
        } while (w);
    }
    return p;
}

/* Reads a width or precision: digits or '*' (an int argument). */
static int read_num(const char **fmt, va_list *ap)
{
    int n = 0;
    if (**fmt == '*') {
        (*fmt)++;
        return va_arg(*ap, int);
    }
    while (**fmt >= '0' && **fmt <= '9')
        n = n * 10 + (*(*fmt)++ - '0');
    return n;
}

/* The formatter itself; `ap` is passed by address so that the helper above
 * can take arguments from it (a va_list may be an array type). */
static int format(const char *fmt, va_list *ap)
{
    int count = 0;
    while (*fmt) {
        struct spec sp = { 0, 0, 0, 0, 0, -1 };
        int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t */
        char buf[24], *end = buf + sizeof buf, *digits;
        const char *prefix = "";
        unsigned long long u;
        char c;

        if (*fmt != '%') {
            coro_port_putc(*fmt++);
            count++;
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-') sp.left = 1;
            else if (*fmt == '0') sp.zero = 1;
            else if (*fmt == '+') sp.plus = 1;
            else if (*fmt == ' ') sp.space = 1;
            else break;
        }
        sp.width = read_num(&fmt, ap);
        if (sp.width < 0) {
            sp.left = 1;
            sp.width = -sp.width;
        }
        if (*fmt == '.') {
            fmt++;
            sp.prec = read_num(&fmt, ap);
            if (sp.prec < 0)
                sp.prec = -1;
        }
        for (;; fmt++) {
            if (*fmt == 'l') lng = lng < 1 ? 1 : 2;
            else if (*fmt == 'h') lng = lng < 0 ? -2 : -1;
            else if (*fmt == 'z') lng = 3;
            else break;
        }
        c = *fmt;
        if (c)
            fmt++;
        switch (c) {
        case 'd':
        case 'i': {
            long long v;
            if (lng == 2) v = va_arg(*ap, long long);
            else if (lng == 1) v = va_arg(*ap, long);
            else if (lng == 3) v = (long long)va_arg(*ap, size_t);
            else v = va_arg(*ap, int);
            if (lng == -1) v = (short)v;
            else if (lng == -2) v = (signed char)v;
            if (v < 0) {
                u = (unsigned long long)(-(v + 1)) + 1u;
                prefix = "-";
            } else {
                u = (unsigned long long)v;
                prefix = sp.plus ? "+" : sp.space ? " " : "";
            }
            digits = utoa_ull(u, 10, 0, sp.prec, end);
            count += put_field(&sp, prefix, digits, (int)(end - digits), 1);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (lng == 2) u = va_arg(*ap, unsigned long long);
            else if (lng == 1) u = va_arg(*ap, unsigned long);
            else if (lng == 3) u = va_arg(*ap, size_t);
            else u = va_arg(*ap, unsigned);
            if (lng == -1) u = (unsigned short)u;
            else if (lng == -2) u = (unsigned char)u;
            digits = utoa_ull(u, c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X', sp.prec, end);
            count += put_field(&sp, "", digits, (int)(end - digits), 1);
            break;
        case 'p':
            u = (uintptr_t)va_arg(*ap, void *);
            digits = utoa_ull(u, 16, 0, -1, end);
            count += put_field(&sp, "0x", digits, (int)(end - digits), 1);
            break;
        case 'c':
            buf[0] = (char)va_arg(*ap, int);
            count += put_field(&sp, "", buf, 1, 0);
            break;
        case 's': {
            const char *s = va_arg(*ap, const char *);
            int len = 0;
            if (!s)
                s = "(null)";
            while (s[len] && (sp.prec < 0 || len < sp.prec))
                len++;
            count += put_field(&sp, "", s, len, 0);
            break;
        }
        case '%':
            coro_port_putc('%');
            count++;
            break;
        default: /* unknown or truncated: show it */
            coro_port_putc('%');
            count++;
            if (c) {
                coro_port_putc(c);
                count++;
            }
            break;
        }
    }
    return count;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    int n;
    va_list cp;
    (void)f;
    va_copy(cp, ap);
    n = format(fmt, &cp);
    va_end(cp);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    return vfprintf(stdout, fmt, ap);
}

int printf(const char *fmt, ...)
{
    int n;
    va_list ap;
    va_start(ap, fmt);
    n = format(fmt, &ap);
    va_end(ap);
    return n;
}

int fprintf(FILE *f, const char *fmt, ...)
{
    int n;
    va_list ap;
    (void)f;
    va_start(ap, fmt);
    n = format(fmt, &ap);
    va_end(ap);
    return n;
}

int fputc(int c, FILE *f)
{
    (void)f;
    coro_port_putc((char)c);
    return (unsigned char)c;
}

int putc(int c, FILE *f)
{
    return fputc(c, f);
}

int putchar(int c)
{
    return fputc(c, stdout);
}

int fputs(const char *s, FILE *f)
{
    int n = 0;
    (void)f;
    while (s[n])
        coro_port_putc(s[n++]);
    return n;
}

int puts(const char *s)
{
    int n = fputs(s, stdout);
    coro_port_putc('\n');
    return n + 1;
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    const char *s = p;
    size_t i, total = size * n;
    (void)f;
    for (i = 0; i < total; i++)
        coro_port_putc(s[i]);
    return size ? n : 0;
}

int fflush(FILE *f)
{
    (void)f;
    return 0;
}
