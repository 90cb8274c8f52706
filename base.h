/* SPDX-License-Identifier: MIT */
/*
 * base.h -- what every layer of coro shares, the selectors included: the
 * library's error codes and its time. No code, no dependency: C99's
 * <stdint.h> only (coro_strerror is defined in the library, errors.c). coro.h includes it; selectors/selectors.h includes only
 * this.
 */
#ifndef CORO_BASE_H
#define CORO_BASE_H

#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Error codes                                                              */
/* ------------------------------------------------------------------------ */

/* Library error codes. Negative, named, and apart from -errno (which the loop's
 * I/O helpers use) and from user codes (positive). */
#define CORO_EXIT       (-4095) /* GeneratorExit: what close() throws in */
#define CORO_EBUSY      (-4094) /* ValueError: generator already executing (or
                                   already being delegated to) */
#define CORO_EINVAL     (-4093) /* bad argument: a value sent to a just-created
                                   generator, throw of error 0, NULL frame */
#define CORO_EIGNORED   (-4092) /* RuntimeError: generator ignored GeneratorExit
                                   (it yielded while being closed) */
#define CORO_ECANCELLED (-4091) /* asyncio.CancelledError */
#define CORO_ETIMEDOUT  (-4090) /* asyncio.TimeoutError */
#define CORO_ESTATE     (-4089) /* asyncio.InvalidStateError */
#define CORO_EFULL      (-4088) /* a fixed-capacity heap or queue is full */
#define CORO_EEMPTY     (-4087) /* nothing to take (QueueEmpty) */
#define CORO_ENOTASK    (-4086) /* awaiting a future outside a task */
#define CORO_ENOKEY     (-4085) /* KeyError: the fd is not registered */
#define CORO_EEXIST     (-4084) /* KeyError: the fd is already registered */
#define CORO_ERANGE     (-4083) /* ValueError: an fd the backend cannot take
                                   (select: at or above FD_SETSIZE) */
#define CORO_ELOST      (-4059) /* the body has no resume point for where it
                                   stopped: a suspension point or try block
                                   inside a `switch` of your own (rule 3) */
#define CORO_ELOOP      (-4070) /* RuntimeError: Task got Future attached to a
                                   different loop (raised at the await) */
#define CORO_ECLOSED    (-4071) /* the selector loop was closed while the task
                                   waited on an fd (raised at the wait) */
#define CORO_ECORRUPT   (-4072) /* CORO_DEBUG builds: a scheduled handle or task
                                   whose memory was overwritten (its frame went
                                   out of scope while scheduled) */
#define CORO_ESLOW      (-4073) /* CORO_DEBUG builds: a callback or task step
                                   slower than coro_loop_set_slow's threshold */
#define CORO_EINCOMPLETE (-4069) /* asyncio.IncompleteReadError: the stream ended
                                   before readexactly / readuntil was satisfied */
#define CORO_ELIMIT     (-4068) /* asyncio.LimitOverrunError: no separator within
                                   the limit (the data stays in the buffer) */
#define CORO_EPOOLFULL  (-4067) /* start_server: every connection frame was busy;
                                   the client was refused */
#define CORO_ESHUTDOWN  (-4066) /* a write, write_eof or drain on a stream writer
                                   that is closing, closed or shut down; a task
                                   started in a task group that is cancelling
                                   its children (scope.h) */
#define CORO_EGROUP     (-4065) /* ExceptionGroup: tasks of a task group failed
                                   (scope.h: coro_taskgroup_errors) */
#define CORO_ENONAME    (-4058) /* socket.gaierror EAI_NONAME: name or service
                                   not known (resolve.h) */
#define CORO_ENAMEAGAIN (-4057) /* socket.gaierror EAI_AGAIN: temporary failure
                                   in name resolution (resolve.h) */
#define CORO_ERESOLVE   (-4056) /* socket.gaierror, any other EAI_* code
                                   (resolve.h) */
#define CORO_ERROR_MIN  (-4096) /* codes in [CORO_ERROR_MIN, -4000) are coro's */

/* Returns a sentence for any code: "generator already executing" for
 * CORO_EBUSY, strerror's text for -errno ("Connection refused"), "user error
 * N" for a positive code (formatted in a buffer of the calling thread, valid
 * until its next call), "unknown error code" for an unnamed one below -4000.
 * Never NULL. Defined in the library (errors.c: strerror needs libc),
 * not in this header. */
#ifdef __cplusplus
extern "C"
#endif
const char *coro_strerror(int code);

/* ------------------------------------------------------------------------ */
/* Time, for the loop and the selectors                                     */
/* ------------------------------------------------------------------------ */

/* Monotonic time in nanoseconds. */
typedef int64_t coro_time;

#define CORO_NSEC ((coro_time)1)            /* a nanosecond, in coro_time */
#define CORO_USEC ((coro_time)1000)         /* a microsecond */
#define CORO_MSEC ((coro_time)1000000)      /* a millisecond */
#define CORO_SEC  ((coro_time)1000000000)   /* a second */
#define CORO_FOREVER ((coro_time)-1)   /* a wait with no deadline */

#endif /* CORO_BASE_H */
