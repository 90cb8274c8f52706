/* SPDX-License-Identifier: MIT */
/*
 * errors.c -- coro_strerror(): a sentence for any error code. It lives in the
 * library, not in coro.h, because the text of -errno comes from the C
 * library's strerror and coro.h stays free of libc; coro_errname() (coro.h,
 * no libc) gives a code's name instead.
 */
#include <stdio.h>
#include <string.h>

#include "coro.h"

/* Where "user error N" is formatted: one buffer per thread where the
 * compiler has thread-local storage on a hosted system, else one buffer. */
#if defined(__GNUC__) && (defined(__unix__) || defined(__APPLE__))
#define CORO__THREAD_LOCAL __thread
#else
#define CORO__THREAD_LOCAL
#endif

const char *coro_strerror(int code)
{
    static CORO__THREAD_LOCAL char user[32];
    switch (code) {
    case CORO_RETURNED:   return "no error (the generator returned)";
    case CORO_YIELDED:    return "the generator yielded";
    case CORO_EXIT:       return "generator exit (closed)";
    case CORO_EBUSY:      return "generator already executing";
    case CORO_EINVAL:     return "invalid argument";
    case CORO_EIGNORED:   return "generator ignored GeneratorExit";
    case CORO_ECANCELLED: return "cancelled";
    case CORO_ETIMEDOUT:  return "timed out";
    case CORO_ESTATE:     return "invalid state";
    case CORO_EFULL:      return "full: no room left in a fixed-capacity heap or queue";
    case CORO_EEMPTY:     return "empty: nothing to take";
    case CORO_ENOTASK:    return "awaited outside a task";
    case CORO_ENOKEY:     return "file descriptor not registered";
    case CORO_EEXIST:     return "file descriptor already registered";
    case CORO_ERANGE:     return "file descriptor out of the selector's range";
    case CORO_ELOST:      return "resume point lost (a suspension point or try block inside a switch of your own)";
    case CORO_ELOOP:      return "future attached to a different loop";
    case CORO_ECLOSED:    return "the loop was closed while waiting";
    case CORO_ECORRUPT:   return "scheduled object overwritten (out of scope while scheduled?)";
    case CORO_ESLOW:      return "callback slower than the threshold";
    case CORO_EINCOMPLETE: return "incomplete read: the stream ended first";
    case CORO_ELIMIT:     return "limit overrun: no separator within the limit";
    case CORO_EPOOLFULL:  return "every connection frame is busy: client refused";
    case CORO_ESHUTDOWN:  return "shutting down: the stream's writer is closing, or the task group is cancelling its tasks";
    case CORO_EGROUP:     return "unhandled errors in a task group";
    case CORO_ENONAME:    return "name or service not known";
    case CORO_ENAMEAGAIN: return "temporary failure in name resolution";
    case CORO_ERESOLVE:   return "name resolution failed";
    default:
        break;
    }
    if (code < 0 && code > -4000)                 /* -errno */
        return strerror(-code);
    if (code < 0)
        return "unknown error code";
    snprintf(user, sizeof user, "user error %d", code);
    return user;
}
