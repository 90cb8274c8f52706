/* SPDX-License-Identifier: MIT */
/*
 * internal.h -- private to the library (not installed): what its files
 * share and no application or primitive may rely on: a task's states, the
 * kinds of futures, the cancel of a task on behalf of a scope, and the
 * loop's own helpers. Every name here has the coro__ / CORO__ prefix.
 */
#ifndef CORO_INTERNAL_H
#define CORO_INTERNAL_H

#include "primitive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- handles and time (loop.c) ---------------------------------------- */

#ifdef CORO_DEBUG
/* The check value a valid handle at h carries (CORO_DEBUG). */
#define CORO__CHECK(h) ((uint32_t)((uintptr_t)(h) ^ 0xC0DEFACEu))
#endif

/* a + b, saturated at the ends of time: no deadline wraps round. */
coro_time coro__time_add(coro_time a, coro_time b);

/* ---- futures and tasks ------------------------------------------------- */

/* coro_future_init without the check, for fresh or known-idle futures (the
 * library's own). */
void coro__future_reset(struct coro_future *f, struct coro_loop *loop);

/* The future is done: state, value, and its waiters are queued. */
void coro__future_finish(struct coro_future *f, unsigned state, union coro_word val,
                         unsigned type);

/* Kinds of futures (coro_future.kind): how coro_future_cancel treats them. */
#define CORO__FUT_PLAIN    0u  /* cancelled at once */
#define CORO__FUT_TASK     1u  /* a struct coro_task: loop.c's task cancel */
#define CORO__FUT_HOOK     2u  /* a struct coro_future_hooked: its hook */

/* A task's state (coro_future.task). */
#define CORO__T_MARK       1u  /* on the chain a coro_task_cancel walks */
#define CORO__T_SLEEP      2u  /* its timer is armed for a sleep (in the heap,
                                  or due and waiting for its turn in the
                                  batch, its handle's fn sleep_fire; or due,
                                  on the loop's woken list or queued after
                                  it, its fn task_step) */
#define CORO__T_WAIT_FUT   4u  /* on a future's waiter list; val.p = future */
#define CORO__T_WAIT_LIST  8u  /* on a primitive's list; val.p = the list
                                  (its handle's fn holds its predecessor
                                  meanwhile: loop.c's waitq_*) */
#define CORO__T_CANCEL    16u  /* throw CORO_ECANCELLED at the next step */
#define CORO__T_RUNNING   32u  /* inside its step */
#define CORO__T_WOKEN     64u  /* queued with a value or error in val/type */
#define CORO__T_HANDED   128u  /* running after coro_loop_wake: val/type hold
                                  what it was handed */

/* As coro_loop_wake with none, but onto the list `to` instead of the ready
 * queue: the selector loop keeps the tasks its wait step wakes there until
 * their fd's turn in the batch (io.c). */
struct coro_task *coro__loop_wake_onto(struct coro_list *list, struct coro_list *to);

/* ---- the selector loop's thread-safe queue (io.c for resolve.c) --------- */

/* io.c, for resolve.c: takes h, posted and not yet run, off the queue (idle again).
 * Loop thread only. 0, CORO_ESTATE if h is not queued, CORO_EINVAL. */
int coro__io_unpost(struct coro_loop *loop, struct coro_handle *h);

/* io.c: the resolver (resolve.c) keeps the loop waiting while `delta`
 * more lookups are on their way to it (+1 when one starts, -1 when its
 * completion has run). Loop thread only. */
void coro__io_expect(struct coro_loop *loop, int delta);

/* ---- cancel scopes (loop.c for timeout.c and taskgroup.c) --------------- */

#define CORO__SC_HELD    2u     /* a cancel waits for this scope's end */

/* Cancels t on behalf of `origin` (a scope of t's chain, or NULL for anyone
 * outside it): counts the request and delivers it, or holds it in a
 * shield. 0, or CORO_ESTATE if t is done. */
int coro__task_cancel_from(struct coro_task *t, struct coro_scope *origin);

/* Pushes s as t's innermost scope. */
void coro__scope_push(struct coro_task *t, struct coro_scope *s);

/* Ends t's innermost scope s, whose own cancel requests number `own` (0 or
 * 1): the others go on to the outer scope, a cancel s held is delivered
 * now, and if s's own cancel is all that was asked and has not been
 * delivered yet, it is withdrawn. Returns the number of the others. */
unsigned coro__scope_pop(struct coro_scope *s, unsigned own);

#ifdef __cplusplus
}
#endif

#endif /* CORO_INTERNAL_H */
