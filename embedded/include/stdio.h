/* SPDX-License-Identifier: MIT */
/*
 * stdio.h -- the embedded builds' stdio: output only, unbuffered, straight to
 * coro_port_putc (embedded/port.h); stdout and stderr are the same channel.
 * It stands in for the C library's <stdio.h> (embedded/include is first on
 * the include path), because avr-libc's printf has no long long and newlib's
 * allocates. Implemented by embedded/printf.c; nothing here allocates.
 *
 * printf understands %d %i %u %x %X %o %c %s %p %% with the flags - 0 + space,
 * a width and a precision (digits or *), and the lengths hh h l ll z.
 * Every function returns the number of bytes written (fputs, puts: that
 * count too, which is non-negative as C requires).
 */
#ifndef CORO_EMBEDDED_STDIO_H
#define CORO_EMBEDDED_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

/* An output stream; only stdout and stderr exist. */
typedef struct coro_port_file { char unused; } FILE;
extern FILE coro_port_stdout, coro_port_stderr;
#define stdout (&coro_port_stdout)
#define stderr (&coro_port_stderr)

/* The printf family, over coro_port_putc. */
int printf(const char *fmt, ...);
int fprintf(FILE *f, const char *fmt, ...);
int vprintf(const char *fmt, va_list ap);
int vfprintf(FILE *f, const char *fmt, va_list ap);

/* Single bytes and strings; puts adds a newline. They return c, or the
 * number of bytes written. (Also the targets of gcc's rewrites of printf.) */
int putchar(int c);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int puts(const char *s);
int fputs(const char *s, FILE *f);
size_t fwrite(const void *p, size_t size, size_t n, FILE *f);

/* Nothing is buffered: returns 0. */
int fflush(FILE *f);

#endif
