/* SPDX-License-Identifier: MIT */
/*
 * trace.h -- a small event recorder for the coro.h test suite.
 *
 * A test appends events ("y:1", "sent:5", "fin:exit", "ret:84") to one
 * fixed buffer, separated by single spaces, then compares the whole buffer
 * with the sequence CPython 3.11 prints for the equivalent Python program:
 *
 *     trace_reset();
 *     trace("start");
 *     trace_value("sent", coro_int(5));     // "sent:5"
 *     trace_error("fin", CORO_EXIT);        // "fin:exit"
 *     ck_assert_trace("start sent:5 fin:exit");
 *
 * Values print as Python's str() would: an int as "5", a double with %g, none
 * as "none", a pointer as "ptr". Errors print as the Python prelude of
 * test_coro.c names them: user error n as "En", CORO_EXIT (GeneratorExit) as
 * "exit", CORO_EIGNORED (RuntimeError) as "ignored", CORO_EBUSY (ValueError)
 * as "busy", CORO_EINVAL (TypeError) as "inval", no error as "0".
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "coro.h"

#define TRACE_CAP 8192

static char trace_buf[TRACE_CAP];
static size_t trace_len;
static int trace_overflow;

/* Empties the recorder (a checked fixture, so also right with CK_FORK=no). */
static void trace_reset(void)
{
    trace_len = 0;
    trace_overflow = 0;
    trace_buf[0] = '\0';
}

#if defined(__GNUC__)
static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif

/* Appends one event, printf-style. */
static void trace(const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t room;
    if (trace_overflow)
        return;
    if (trace_len > 0)
        trace_buf[trace_len++] = ' ';
    room = TRACE_CAP - trace_len;
    va_start(ap, fmt);
    n = vsnprintf(trace_buf + trace_len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room - 1) {
        trace_overflow = 1;
        return;
    }
    trace_len += (size_t)n;
}

/* The recorded sequence ("<trace overflow>" if it did not fit). */
static const char *trace_str(void)
{
    return trace_overflow ? "<trace overflow>" : trace_buf;
}

/* The name of an error code, as the Python prelude prints it. */
static const char *trace_errname(int err)
{
    static char user[4][16];
    static unsigned next;
    char *s;
    switch (err) {
    case 0:             return "0";
    case CORO_EXIT:     return "exit";
    case CORO_EIGNORED: return "ignored";
    case CORO_EBUSY:    return "busy";
    case CORO_EINVAL:   return "inval";
    default:
        if (err < 0)
            return coro_errname(err);
        s = user[next++ % 4];
        snprintf(s, sizeof user[0], "E%d", err);
        return s;
    }
}

/* Appends "tag:<value>". */
static void trace_value(const char *tag, coro_value v)
{
    switch (v.type) {
    case CORO_NONE:   trace("%s:none", tag); break;
    case CORO_INT:    trace("%s:%ld", tag, (long)v.v.i); break;
    case CORO_DOUBLE: trace("%s:%g", tag, v.v.d); break;
    case CORO_PTR:    trace("%s:ptr", tag); break;
    default:          trace("%s:<type %d>", tag, v.type); break;
    }
}

/* Appends "tag:<error name>". */
static void trace_error(const char *tag, int err)
{
    trace("%s:%s", tag, trace_errname(err));
}

/* Appends "tag:<STATE>" ("<STATE>" if tag is NULL), as
 * inspect.getgeneratorstate names it. */
static void trace_state(const char *tag, const struct coro *g)
{
    if (tag)
        trace("%s:%s", tag, coro_state_name(coro_state(g)));
    else
        trace("%s", coro_state_name(coro_state(g)));
}

/* Records what a send/next/throw/close returned, as step() does in Python:
 * "y:<value>", "ret:<value>" or "err:<name>". Returns rc. */
static int trace_result(int rc, coro_value out)
{
    if (rc == CORO_YIELDED)
        trace_value("y", out);
    else if (rc == CORO_RETURNED)
        trace_value("ret", out);
    else
        trace_error("err", rc);
    return rc;
}

#define ck_assert_trace(expected) ck_assert_str_eq(trace_str(), (expected))

#endif /* TRACE_H */
