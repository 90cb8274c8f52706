/* SPDX-License-Identifier: MIT */
/*
 * primitive.h -- for writers of new primitives on the loop (a lock, a
 * channel, a new kind of future, a cancel scope): what loop.h's
 * applications never need. sync.h, wait.h and scope.h are built on it, and
 * show how.
 *
 *   - waiting lists of handles (coro_list_push / pop / remove);
 *   - a task waiting on a list of its own, woken with a value or an error
 *     (coro_loop_wait_on, coro_loop_wake, coro_loop_woken), with
 *     CORO__WAIT (loop.h) as the shape of the await;
 *   - futures with a cancel of their own (struct coro_future_hooked);
 *   - the part of a cancel scope the loop reads (struct coro_scope).
 *
 * Installed as coro/primitive.h beside loop.h.
 */
#ifndef CORO_PRIMITIVE_H
#define CORO_PRIMITIVE_H

#include "loop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Waiting lists                                                            */
/* ------------------------------------------------------------------------ */

/* Appends an idle h to l. O(1). */
void coro_list_push(struct coro_list *l, struct coro_handle *h);
/* Takes the first handle off l (it becomes idle), or NULL. O(1). */
struct coro_handle *coro_list_pop(struct coro_list *l);
/* Unlinks h from l: 1 if it was there (it becomes idle), 0 if not. O(length). */
int coro_list_remove(struct coro_list *l, struct coro_handle *h);

/* ------------------------------------------------------------------------ */
/* Futures with a cancel of their own                                       */
/* ------------------------------------------------------------------------ */

/* A future's own way to be cancelled (asyncio's subclasses override
 * cancel()): returns 0 when the cancel is requested or done, non-zero (it
 * is then CORO_ESTATE to the caller's caller) when nothing could be. */
typedef int (*coro_cancel_hook)(struct coro_future *f);

/* For writers of new kinds of futures: a future whose cancel is its own.
 * Embed it first in your struct, set it up with coro_future_hook; then
 * coro_future_cancel (and the cancel of a task awaiting it) calls `cancel`.
 * 40 bytes on x86-64. */
struct coro_future_hooked {
    struct coro_future fut;
    coro_cancel_hook cancel;
};

/* Prepares f (as coro__future_reset) as a pending hooked future: cancelling
 * it calls hook. */
void coro_future_hook(struct coro_future_hooked *f, struct coro_loop *loop,
                      coro_cancel_hook hook);

/* The type of a future's value when it holds an error code
 * (coro_loop_woken's *v, the library's failed futures). */
#define CORO__FAILED     0xFFu

/* ------------------------------------------------------------------------ */
/* Cancel scopes                                                            */
/* ------------------------------------------------------------------------ */

/* For writers of cancel scopes (scope.h: timeouts, task groups): the part
 * of a scope the loop reads. A task's scopes form a chain, innermost first
 * (coro_task.scope, then each `outer`); a child of a task group continues
 * its chain into the group, which belongs to another task (the group's
 * `task`): there the child's own chain ends. 32 bytes on x86-64, 9 on
 * the AVR.
 *   - A cancel of the task (coro_task_cancel, or a scope's expiry) is
 *     counted in its innermost scope (`requests`); a scope that ends hands
 *     on to its outer scope the requests that were not its own
 *     (internal.h). So a scope tells its own cancel from an outer one,
 *     as asyncio counts them with Task.cancelling() / uncancel().
 *   - A shielded scope (CORO__SC_SHIELD) holds back the cancels that come
 *     from outside it: such a cancel waits in the outermost shield it
 *     crosses (CORO__SC_HELD) and is delivered when that scope ends.
 *   - When a child of a group ends, its handle runs the group's
 *     `child_done` (as the first of its done callbacks). */
struct coro_scope {
    struct coro_scope *outer;   /* the enclosing scope, or NULL */
    struct coro_task *task;     /* the task whose scope this is */
    coro_callback child_done;   /* a task group's: runs when a child ends */
    uint16_t requests;          /* cancels of the task counted here */
    unsigned char flags;        /* CORO__SC_* */
};

#define CORO__SC_SHIELD  1u     /* holds back cancels from outside */

/* ------------------------------------------------------------------------ */
/* A task waiting on a list of its own                                      */
/* ------------------------------------------------------------------------ */

/* What a primitive's one attempt returns when it must wait (then try again
 * once woken): never an error, never seen by applications. */
#define CORO__PENDING (-4099)

/* Puts the current task on `list` (at its tail): the step that yields next
 * waits there until coro_loop_wake (or a cancel, which takes it off). 0 or
 * CORO_ENOTASK. */
int coro_loop_wait_on(struct coro_loop *loop, struct coro_list *list);

/* Takes the first task off `list` and schedules it to resume with v (err 0)
 * or with err thrown in. Returns the task, or NULL if the list is empty. */
struct coro_task *coro_loop_wake(struct coro_loop *loop, struct coro_list *list,
                                 coro_value v, int err);

/* Inside the running task, right after its wait resumed: 1 if it was woken
 * by coro_loop_wake (*v, if v is not NULL, = the value or, for an error, the
 * code with type CORO__FAILED), 0 if not (it was cancelled while still on
 * the list). A task woken and then cancelled before it ran gets
 * CORO_ECANCELLED at its wait but still answers 1 here, so a primitive can
 * pass on what it had handed it (the lock, a permit, an item). Valid until
 * the task waits again. */
int coro_loop_woken(const struct coro_loop *loop, coro_value *v);

#ifdef __cplusplus
}
#endif

#endif /* CORO_PRIMITIVE_H */
