/* SPDX-License-Identifier: MIT */
/*
 * scope.h -- cancel scopes on the loop: timeouts (asyncio.timeout,
 * timeout_at, Trio's shielded CancelScope) and task groups
 * (asyncio.TaskGroup, Python 3.11).
 *
 * Both are blocks of a task's coroutine, written like a try block, with
 * their state in the frame (no allocation):
 *
 *     async with asyncio.timeout(1.5):        CORO_TIMEOUT(co, loop, &f->to, CORO_MS(1500)) {
 *         await work()                            CORO_AWAIT(co, &f->work, work, r);
 *                                             } CORO_END_TIMEOUT(co, &f->to);
 *
 *     async with asyncio.TaskGroup() as g:    CORO_TASKGROUP(co, loop, &f->g) {
 *         g.create_task(a())                      coro_taskgroup_start(&f->g, &f->a.task, a);
 *         g.create_task(b())                      coro_taskgroup_start(&f->g, &f->b.task, b);
 *                                             } CORO_END_TASKGROUP(co, &f->g);
 *
 * The body may suspend anywhere and leave by falling through, CORO_RAISE
 * or CORO_RETURN, as in a try block (coro.h's rules for try blocks hold:
 * no break, continue, goto or return out of it). Cancellation reaches the
 * body at its await (CORO_ECANCELLED raised there, which the body may
 * catch), so a scope works around every await of loop.h, sync.h, io.h and
 * stream.h. A scope must be used inside a task (loop->current), in the
 * task's coroutine or any frame it yields from.
 *
 * How a scope tells its own cancel from another's: each cancel of a task is
 * counted in its innermost scope, and a scope that ends hands the ones that
 * were not its own outward (loop.h's struct coro_scope). That is asyncio's
 * cancelling() / uncancel() bookkeeping of Python 3.11.7, per scope: an
 * outer cancellation (coro_task_cancel, an outer timeout, a task group
 * cancelling its parent) that arrives while a scope is open stays a
 * cancellation and is never taken for the scope's own expiry.
 */
#ifndef CORO_SCOPE_H
#define CORO_SCOPE_H

#include "primitive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Timeouts                                                                 */
/* ------------------------------------------------------------------------ */

/* asyncio.Timeout, or with shield set Trio's CancelScope(shield=True): 88
 * bytes on x86-64, 38 on the AVR. Caller-owned, in the frame; not
 * initialised (CORO_TIMEOUT does it each time the block opens). */
struct coro_timeout {
    struct coro_scope scope;    /* first: in the task's chain while open */
    struct coro_handle h;       /* the timer that expires it */
    struct coro_loop *loop;
    coro_time when;             /* the deadline; CORO_FOREVER for none */
    struct coro_try t;          /* the try block the scope is */
    unsigned char state;        /* CORO__TO_* */
};

#define CORO__TO_ENTERED  1u    /* open, not expired */
#define CORO__TO_EXPIRING 2u    /* open, expired: the task was cancelled */
#define CORO__TO_EXPIRED  3u    /* closed after it expired */
#define CORO__TO_EXITED   4u    /* closed, never expired */

/* async with asyncio.timeout(ns): runs the block with a deadline ns
 * nanoseconds from now (CORO_FOREVER: none; <= 0: expires at the next
 * iteration). On expiry the task is cancelled: the body sees
 * CORO_ECANCELLED at its await, and CORO_END_TIMEOUT turns it into
 * CORO_ETIMEDOUT, unless another cancel of the task arrived meanwhile (then
 * CORO_ECANCELLED goes on). Raised at once, without running the block:
 * CORO_ENOTASK (not inside a task of loop), CORO_EFULL (no timer slot).
 * `sc` is a struct coro_timeout * in the frame. Expands to
 *     if ((co->err = coro__timeout_enter(sc, loop, now + ns, 0))) <raise>;
 *     else CORO_TRY(co, &sc->t) */
#define CORO_TIMEOUT(co, loop, sc, ns) \
    if (((co)->err = coro__timeout_enter((sc), (loop), \
                                         coro__timeout_after((loop), CORO__NS(ns)), 0)) != 0) \
        CORO__UNWIND(co); \
    else \
        CORO_TRY(co, &(sc)->t)

/* async with asyncio.timeout_at(when): as CORO_TIMEOUT, with a deadline in
 * loop time (coro_loop_time). */
#define CORO_TIMEOUT_AT(co, loop, sc, when) \
    if (((co)->err = coro__timeout_enter((sc), (loop), CORO__NS(when), 0)) != 0) \
        CORO__UNWIND(co); \
    else \
        CORO_TRY(co, &(sc)->t)

/* with trio.CancelScope(shield=True): the block runs shielded: a cancel
 * from outside it (coro_task_cancel, an outer timeout, a task group's) is
 * held back until the block ends, and is delivered then, at the next
 * await. Timeouts opened inside still expire. A deadline may be given
 * later with coro_timeout_reschedule. Close it with CORO_END_TIMEOUT. */
#define CORO_SHIELD(co, loop, sc) \
    if (((co)->err = coro__timeout_enter((sc), (loop), CORO_FOREVER, 1)) != 0) \
        CORO__UNWIND(co); \
    else \
        CORO_TRY(co, &(sc)->t)

/* Closes a timeout or shield block: the timer stops; if the scope expired
 * and the error leaving the block is CORO_ECANCELLED and no other cancel of
 * the task arrived while it was open, the error becomes CORO_ETIMEDOUT.
 * Whatever else leaves the block (a return, another error, nothing) goes
 * on. Expands to
 *     CORO_FINALLY(co, &sc->t) { sc->t.err = coro__timeout_exit(sc, sc->t.err); }
 *     CORO_END_TRY(co, &sc->t); */
#define CORO_END_TIMEOUT(co, sc) \
    CORO_FINALLY(co, &(sc)->t) { \
        (sc)->t.err = coro__timeout_exit((sc), (sc)->t.err); \
    } \
    CORO_END_TRY(co, &(sc)->t)

/* Timeout.reschedule(when): moves the deadline of an open scope to the
 * loop time `when` (CORO_FOREVER: none; passed already: it expires at the
 * next iteration). 0; CORO_EINVAL for NULL; CORO_ESTATE if the scope is not
 * open or has expired already (as asyncio raises RuntimeError); CORO_EFULL
 * (no timer slot: the scope then has no deadline). */
int coro_timeout_reschedule(struct coro_timeout *sc, coro_time when);

/* Timeout.when(): the deadline in loop time, CORO_FOREVER for none. */
static inline coro_time coro_timeout_when(const struct coro_timeout *sc)
{
    return sc->when;
}

/* Timeout.expired(): 1 if the scope expired (while open or before it
 * closed), 0 if not. */
static inline int coro_timeout_expired(const struct coro_timeout *sc)
{
    return sc->state == CORO__TO_EXPIRING || sc->state == CORO__TO_EXPIRED;
}

/* Private: the deadline ns from now, saturating. */
coro_time coro__timeout_after(struct coro_loop *loop, coro_time ns);
/* Private: opens the scope for the current task of loop. 0, CORO_ENOTASK,
 * CORO_EFULL. */
int coro__timeout_enter(struct coro_timeout *sc, struct coro_loop *loop, coro_time when,
                        int shield);
/* Private: closes it; returns what leaves the block in place of `pending`. */
int coro__timeout_exit(struct coro_timeout *sc, int pending);

/* ------------------------------------------------------------------------ */
/* Task groups                                                              */
/* ------------------------------------------------------------------------ */

/* asyncio.TaskGroup (3.11): 120 bytes on x86-64, 47 on the AVR.
 * Caller-owned, in the frame of the task that opens it; not initialised
 * (CORO_TASKGROUP does it). Its children are tasks of your own (zeroed
 * before their first start, as every task), started with
 * coro_taskgroup_start; they belong to the group until it closes. */
struct coro_taskgroup {
    struct coro_scope scope;    /* first: in the parent's chain while open,
                                   and where each child's chain ends */
    struct coro_future done;    /* set when the last child ends */
    struct coro_try t;          /* the try block the group is */
    struct coro_task *first;    /* the children, in the order they started */
    struct coro_task *last;
    unsigned live;              /* children not done */
    unsigned nerrors;           /* errors kept (children's, then the body's) */
    int first_error;            /* the first of them, 0 if none */
    int body_error;             /* the body's own, 0 if none */
    unsigned char state;        /* CORO__TG_* */
    unsigned char aborting;     /* its children were cancelled */
    unsigned char cancelled_parent; /* it cancelled the task that opened it */
    unsigned char propagate;    /* CORO_ECANCELLED is to go on at the end */
};

#define CORO__TG_ENTERED 1u     /* open: the body runs */
#define CORO__TG_EXITING 2u     /* the body is over: waiting for children */
#define CORO__TG_CLOSED  3u     /* closed */

/* async with asyncio.TaskGroup() as g: opens the group for the current
 * task of loop (its parent). The first child that fails (an error other
 * than CORO_ECANCELLED) cancels the other children and the parent, whose
 * body sees CORO_ECANCELLED at its await; CORO_END_TASKGROUP then waits
 * for every child. Raised at once, without running the block:
 * CORO_ENOTASK (not inside a task of loop). Expands to
 *     if ((co->err = coro__taskgroup_enter(g, loop))) <raise>;
 *     else CORO_TRY(co, &g->t) */
#define CORO_TASKGROUP(co, loop, g) \
    if (((co)->err = coro__taskgroup_enter((g), (loop))) != 0) \
        CORO__UNWIND(co); \
    else \
        CORO_TRY(co, &(g)->t)

/* Closes a task group block, as TaskGroup.__aexit__: if the body raised
 * (a return is no error), the children are cancelled; then it waits until every child is done (a cancel of the
 * parent meanwhile cancels the children, and the wait goes on). Then, in
 * this order:
 *   - errors kept (children's, in the order they ended, then the body's if
 *     it was not CORO_ECANCELLED): CORO_EGROUP is raised, as
 *     ExceptionGroup is (read them with coro_taskgroup_errors);
 *   - else a cancel of the parent that was not the group's own:
 *     CORO_ECANCELLED goes on;
 *   - else what left the body goes on (nothing, or a return).
 * A close (CORO_EXIT) cancels the children and goes on at once: they are
 * then no longer the group's. Expands to
 *     CORO_FINALLY(co, &g->t) {
 *         coro__taskgroup_exiting(g);
 *         while (coro__taskgroup_wait(g)) {
 *             co->val = &g->done; co->lc = N; return CORO_YIELDED; case N:
 *             coro__taskgroup_woken(g, co->err); co->err = 0;
 *         }
 *         g->t.err = coro__taskgroup_exit(g);
 *     } CORO_END_TRY(co, &g->t); */
#define CORO_END_TASKGROUP(co, g) \
    CORO_FINALLY(co, &(g)->t) { \
        coro__taskgroup_exiting(g); \
        while (coro__taskgroup_wait(g)) { \
            coro__store((co), coro_ptr(&(g)->done)); \
            CORO__SUSPEND(co, CORO_YIELDED, __LINE__); \
            coro__taskgroup_woken((g), (co)->err); \
            (co)->err = 0; \
        } \
        (g)->t.err = coro__taskgroup_exit(g); \
    } \
    CORO_END_TRY(co, &(g)->t)

/* TaskGroup.create_task(): starts t (as coro_task_start, t's frame zeroed
 * before its first start) as a child of g. 0; CORO_EINVAL for NULL;
 * CORO_ESTATE if g is not open, or is closing with no child left ("TaskGroup is finished");
 * CORO_ESHUTDOWN if g is cancelling its children ("is shutting down");
 * what coro_task_start returns otherwise (CORO_EINVAL, CORO_EBUSY,
 * CORO_EFULL). Nothing changes on an error. */
int coro_taskgroup_start(struct coro_taskgroup *g, struct coro_task *t, coro_fn fn);

/* The errors a closed group kept, as ExceptionGroup.exceptions: the
 * children's in the order they failed, then the body's; up to max of them
 * into codes (may be NULL with max 0). Returns how many there are. */
unsigned coro_taskgroup_errors(const struct coro_taskgroup *g, int *codes, unsigned max);

/* except* E: 1 if one of the errors g kept is `code`, 0 if not. */
int coro_taskgroup_has(const struct coro_taskgroup *g, int code);

/* Private: the steps of CORO_TASKGROUP and CORO_END_TASKGROUP. */
int coro__taskgroup_enter(struct coro_taskgroup *g, struct coro_loop *loop);
void coro__taskgroup_exiting(struct coro_taskgroup *g);
int coro__taskgroup_wait(struct coro_taskgroup *g);
void coro__taskgroup_woken(struct coro_taskgroup *g, int err);
int coro__taskgroup_exit(struct coro_taskgroup *g);

#ifdef __cplusplus
}
#endif

#endif /* CORO_SCOPE_H */
