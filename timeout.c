/* SPDX-License-Identifier: MIT */
/*
 * timeout.c -- asyncio.timeout / timeout_at and shielded scopes (scope.h):
 * a scope in the task's chain, a timer that cancels the task, and the
 * scope's end that turns its own cancel into CORO_ETIMEDOUT.
 */
#include "scope.h"
#include "internal.h"

/* The timer fell due: as Timeout._on_timeout, the task is cancelled on the
 * scope's behalf (held back by a shield inside it, if any). */
static void on_timeout(struct coro_handle *h)
{
    struct coro_timeout *sc = CORO__CONTAINER_OF(h, struct coro_timeout, h);
    coro__task_cancel_from(sc->scope.task, &sc->scope);
    sc->state = CORO__TO_EXPIRING;
}

coro_time coro__timeout_after(struct coro_loop *loop, coro_time ns)
{
    coro_time when;
    if (ns == CORO_FOREVER || !loop)    /* no loop: coro__timeout_enter says so */
        return CORO_FOREVER;
    when = coro__time_add(coro_loop_time(loop), ns);
    return when == CORO_FOREVER ? when - 1 : when;   /* past, but a deadline */
}

/* Sets the timer for `when`: as Timeout.reschedule, a deadline that has
 * passed expires the scope at the next iteration (call_soon). */
static int arm(struct coro_timeout *sc, coro_time when)
{
    sc->when = when;
    if (when == CORO_FOREVER)
        return 0;
    if (when <= coro_loop_time(sc->loop))
        return coro_loop_call_soon(sc->loop, &sc->h);
    return coro_loop_call_at(sc->loop, &sc->h, when);
}

int coro__timeout_enter(struct coro_timeout *sc, struct coro_loop *loop, coro_time when,
                        int shield)
{
    struct coro_task *t = loop ? coro_loop_current(loop) : NULL;
    int err;
    if (!t)
        return CORO_ENOTASK;
    sc->loop = loop;
    sc->scope.flags = shield ? CORO__SC_SHIELD : 0;
    sc->scope.child_done = NULL;
    coro_handle_init(&sc->h, on_timeout);
    if ((err = arm(sc, when)) != 0) {
        sc->state = CORO__TO_EXITED;
        return err;
    }
    sc->state = CORO__TO_ENTERED;
    coro__scope_push(t, &sc->scope);
    return 0;
}

int coro_timeout_reschedule(struct coro_timeout *sc, coro_time when)
{
    if (!sc)
        return CORO_EINVAL;
    if (sc->state != CORO__TO_ENTERED)
        return CORO_ESTATE;
    if (when != CORO_FOREVER && when > coro_loop_time(sc->loop) &&
        coro_loop_rearm(sc->loop, &sc->h, when - coro_loop_time(sc->loop)) == 0) {
        sc->when = when;        /* moved where it stands in the heap: one sift */
        return 0;
    }
    if (sc->h.u.idle)
        coro_loop_cancel(sc->loop, &sc->h);
    if (arm(sc, when) != 0) {
        sc->when = CORO_FOREVER;
        return CORO_EFULL;
    }
    return 0;
}

int coro__timeout_exit(struct coro_timeout *sc, int pending)
{
    unsigned expired = sc->state == CORO__TO_EXPIRING, others;
    if (sc->h.u.idle)
        coro_loop_cancel(sc->loop, &sc->h);
    sc->state = expired ? CORO__TO_EXPIRED : CORO__TO_EXITED;
    others = coro__scope_pop(&sc->scope, expired);
    if (expired && !others && pending == CORO_ECANCELLED)
        return CORO_ETIMEDOUT;
    return pending;
}
