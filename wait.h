/* SPDX-License-Identifier: MIT */
/*
 * wait.h -- the ways of waiting on several futures (wait.c): asyncio's
 * gather, wait, as_completed, wait_for and shield, each a future of its own
 * (struct coro_future_hooked, primitive.h) that a task awaits with
 * CORO_AWAIT_FUTURE.
 */
#ifndef CORO_WAIT_H
#define CORO_WAIT_H

#include "primitive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Waiting on several futures: gather, wait, as_completed, wait_for, shield */
/* (wait.c). Each is a future you await with CORO_AWAIT_FUTURE.             */
/* ------------------------------------------------------------------------ */

/* One watched child: a done callback on `child` that tells `outer`. 32 bytes
 * on x86-64. Caller-owned (an array for gather / wait / as_completed); zero
 * it before its first use (static and calloc'd memory are): a watch that
 * looks in use is refused with CORO_EBUSY. The same holds for the watch and
 * timer inside struct coro_wait_for and struct coro_shield. */
struct coro_watch {
    struct coro_handle h;
    struct coro_future *child;
    struct coro_future *outer;
};

/* What a coro_wait is for (asyncio's return_when, gather, as_completed). */
enum coro_wait_mode {
    CORO_ALL_COMPLETED = 0,
    CORO_FIRST_COMPLETED = 1,
    CORO_FIRST_EXCEPTION = 2,
    CORO_GATHER = 3,
    CORO_AS_COMPLETED = 4
};

/* gather / wait / as_completed over n children. 96 bytes on x86-64, plus
 * n watches. Caller-owned; keep it, the watches and the children alive until
 * it is done (when it completes it detaches its watches from the children
 * still pending; as_completed: until every child was taken). */
struct coro_wait {
    struct coro_future fut;     /* the outcome */
    coro_cancel_hook cancel;    /* private: as struct coro_future_hooked */
    struct coro_watch *watch;
    uint32_t n, pending;        /* children, children not done yet */
    struct coro_handle timer;   /* the timeout, if any */
    struct coro_list done;      /* as_completed: finished, not yet taken */
    struct coro_list waiters;   /* as_completed: the task waiting for one */
    uint32_t taken;             /* as_completed: children taken */
    unsigned char mode;         /* enum coro_wait_mode */
    unsigned char cancelling;   /* gather: cancel was requested */
    unsigned char timed_out;    /* the timeout fired */
};

/* asyncio.gather(*children): w completes when every child is done (result
 * none: read each child's result), or with the first child's error as soon
 * as one fails (a cancelled child counts as CORO_ECANCELLED); the other
 * children go on. coro_future_cancel(&w->fut) cancels every child that is
 * still pending, and w then ends with CORO_ECANCELLED. 0, CORO_EBUSY if a
 * watch is in use, CORO_EINVAL for bad arguments. */
int coro_gather(struct coro_wait *w, struct coro_loop *loop, struct coro_future *const *children,
                struct coro_watch *watch, uint32_t n);

/* asyncio.wait(children, timeout=, return_when=mode): w completes (result
 * none) when `mode` holds (CORO_ALL_COMPLETED, CORO_FIRST_COMPLETED,
 * CORO_FIRST_EXCEPTION) or after `timeout` ns (CORO_FOREVER: no timeout).
 * Then the done set is the children with coro_future_done(), the pending set
 * the others; children are never cancelled by it. Cancelling w stops the
 * watching. 0, CORO_EBUSY, CORO_EFULL (no timer slot), CORO_EINVAL (also for
 * n == 0, as asyncio.wait([]) raises ValueError). */
int coro_wait(struct coro_wait *w, struct coro_loop *loop, struct coro_future *const *children,
              struct coro_watch *watch, uint32_t n, enum coro_wait_mode mode, coro_time timeout);

/* asyncio.as_completed(children, timeout=): start watching; then take the
 * children in the order they finish with CORO_AS_COMPLETED_NEXT. Returns as
 * coro_wait. */
int coro_as_completed(struct coro_wait *w, struct coro_loop *loop,
                      struct coro_future *const *children, struct coro_watch *watch,
                      uint32_t n, coro_time timeout);

/* for f in as_completed(...): f = <the next child to finish>. Stores in `r`
 * (a coro_value) coro_ptr(child), waiting if none has finished yet. Raises
 * CORO_EEMPTY when all n were taken, CORO_ETIMEDOUT after the timeout (once
 * the children that finished before it were taken).
 * Expands to
 *     if ((co->err = coro_as_completed_take(w, &r)) == <pending>) {
 *         <wait on w's list>; CORO_YIELD(co, coro_none()); r = coro_sent(co);
 *     } else if (co->err) <raise>; */
#define CORO_AS_COMPLETED_NEXT(co, w, r) \
    do { \
        (co)->err = coro_as_completed_take((w), &(r)); \
        if ((co)->err == CORO__PENDING) { \
            CORO__WAIT(co, coro_loop_wait_on((w)->fut.loop, &(w)->waiters), (co)->err); \
            (r) = coro_sent(co); \
        } else if ((co)->err) { \
            CORO__UNWIND(co); \
        } \
    } while (0)

/* Takes the next finished child of an as_completed: 0 and *r = coro_ptr(it);
 * CORO__PENDING if none yet; CORO_EEMPTY, CORO_ETIMEDOUT. */
int coro_as_completed_take(struct coro_wait *w, coro_value *r);

/* asyncio.wait_for(inner, timeout), as asyncio 3.11 decides it in every
 * case: w completes with inner's outcome if inner is done within `timeout`
 * ns; otherwise inner is cancelled and, once it has finished, w fails with
 * CORO_ETIMEDOUT (or has inner's result if inner caught the cancellation and
 * returned). The timeout is judged at the iteration after the deadline,
 * where 3.11's coroutine wakes: an inner done by then (also in the very
 * iteration the deadline fell due) gives its outcome. A timeout <= 0 (other
 * than CORO_FOREVER, no timeout) cancels inner at once, so a task that never
 * ran does not start its body; a done inner gives its outcome at once (w is
 * done on return). Cancelling w cancels inner, unless inner is done: then w
 * gets inner's outcome (3.11 returns fut.result()). 96 bytes on x86-64. 0,
 * CORO_EBUSY, CORO_EFULL. */
struct coro_wait_for {
    struct coro_future fut;
    coro_cancel_hook cancel;    /* private: as struct coro_future_hooked */
    struct coro_watch watch;
    struct coro_handle timer;
    unsigned char timed_out, cancelling;
};
/* Starts w (see struct coro_wait_for above). */
int coro_wait_for(struct coro_wait_for *w, struct coro_loop *loop, struct coro_future *inner,
                  coro_time timeout);

/* asyncio.shield(inner): s completes with inner's outcome; cancelling s
 * (or the task awaiting it) does not cancel inner. 72 bytes on x86-64; keep
 * it alive until inner is done. 0 or CORO_EBUSY. */
struct coro_shield {
    struct coro_future fut;
    coro_cancel_hook cancel;    /* private: as struct coro_future_hooked */
    struct coro_watch watch;
};
/* Starts s (see struct coro_shield above). */
int coro_shield(struct coro_shield *s, struct coro_loop *loop, struct coro_future *inner);

#ifdef __cplusplus
}
#endif

#endif /* CORO_WAIT_H */
