/* SPDX-License-Identifier: MIT */
/*
 * wait.c -- waiting on several futures: gather, wait, as_completed,
 * wait_for, shield. Each is a future of its own that watches its children
 * through done callbacks (struct coro_watch) and completes when asyncio's
 * rule for it holds. See loop.h.
 */
#include <stddef.h>

#include "wait.h"
#include "internal.h"

/* Each kind here is a struct coro_future_hooked at heart: its cancel hook
 * follows its future. */
#define HOOK_FOLLOWS(type) \
    typedef char coro__hook_follows_##type[offsetof(struct type, cancel) == \
                                           offsetof(struct coro_future_hooked, cancel) ? 1 : -1]
HOOK_FOLLOWS(coro_wait);
HOOK_FOLLOWS(coro_wait_for);
HOOK_FOLLOWS(coro_shield);

static int wait_cancel(struct coro_future *f);
static int wait_for_cancel(struct coro_future *f);
static int shield_cancel(struct coro_future *f);

/* Prepares the future of one of the kinds here, cancelled by `hook`. */
static void hooked_init(struct coro_future *f, struct coro_loop *loop, coro_cancel_hook hook)
{
    coro_future_hook((struct coro_future_hooked *)(void *)f, loop, hook);
}

static void finish_result(struct coro_future *f, coro_value v)
{
    coro__future_finish(f, CORO_DONE, v.v, v.type);
}

static void finish_error(struct coro_future *f, int err)
{
    union coro_word w;
    w.i = err;
    /* a gather / wait ends done with the error, as _GatheringFuture */
    coro__future_finish(f, err == CORO_ECANCELLED &&
                        ((struct coro_future_hooked *)(void *)f)->cancel != wait_cancel ?
                        CORO_CANCELLED : CORO_DONE, w, CORO__FAILED);
}

/* Starts a watch: `fn` runs when `child` is done. */
static int watch_start(struct coro_watch *w, struct coro_future *outer,
                       struct coro_future *child, coro_callback fn)
{
    coro_handle_init(&w->h, fn);
    w->child = child;
    w->outer = outer;
    return coro_future_add_done_callback(child, &w->h);
}

/* ---- gather, wait, as_completed ---------------------------------------- */

/* Detaches the watches from the children (wherever the callback is: on a
 * child's list or already on the ready queue) and the timer. */
static void wait_stop(struct coro_wait *w)
{
    uint32_t i;
    for (i = 0; i < w->n; i++)
        if (coro_future_remove_done_callback(w->watch[i].child, &w->watch[i].h))
            coro_loop_cancel(w->fut.loop, &w->watch[i].h);
    coro_loop_cancel(w->fut.loop, &w->timer);
}

/* A child of a coro_wait is done. */
static void wait_child_done(struct coro_handle *h)
{
    struct coro_watch *cw = (struct coro_watch *)(void *)h;
    struct coro_wait *w = (struct coro_wait *)(void *)cw->outer;
    int err = coro_future_result(cw->child, NULL);

    w->pending--;
    if (w->mode == CORO_AS_COMPLETED) {
        /* to the task waiting for the next, else kept in finishing order */
        if (!coro_loop_wake(w->fut.loop, &w->waiters, coro_ptr(cw->child), 0))
            coro_list_push(&w->done, h);
        else if (++w->taken == w->n)
            finish_result(&w->fut, coro_none());
        if (w->pending == 0)
            coro_loop_cancel(w->fut.loop, &w->timer);
        return;
    }
    if (coro_future_done(&w->fut))
        return;
    if (w->mode == CORO_GATHER) {
        if (err) {
            wait_stop(w);
            finish_error(&w->fut, err);
        } else if (w->pending == 0) {
            if (w->cancelling)
                finish_error(&w->fut, CORO_ECANCELLED);
            else
                finish_result(&w->fut, coro_none());
        }
        return;
    }
    if (w->pending == 0 || w->mode == CORO_FIRST_COMPLETED ||
        (w->mode == CORO_FIRST_EXCEPTION && err && !coro_future_cancelled(cw->child))) {
        wait_stop(w);
        finish_result(&w->fut, coro_none());
    }
}

static void wait_timeout(struct coro_handle *h)
{
    struct coro_wait *w = CORO__CONTAINER_OF(h, struct coro_wait, timer);
    if (w->mode == CORO_AS_COMPLETED) {
        /* whoever waits for the next child gets the timeout */
        w->timed_out = 1;       /* this take and every later one */
        while (coro_loop_wake(w->fut.loop, &w->waiters, coro_none(), CORO_ETIMEDOUT))
            ;
    }
    wait_stop(w);
    finish_result(&w->fut, coro_none());
}

static int wait_start(struct coro_wait *w, struct coro_loop *loop,
                      struct coro_future *const *children, struct coro_watch *watch,
                      uint32_t n, enum coro_wait_mode mode, coro_time timeout)
{
    uint32_t i;
    int rc;
    if (!w || !loop || (n && (!children || !watch)))
        return CORO_EINVAL;
    for (i = 0; i < n; i++)
        if (!children[i] || watch[i].h.u.idle)
            return watch[i].h.u.idle ? CORO_EBUSY : CORO_EINVAL;
    hooked_init(&w->fut, loop, wait_cancel);
    w->watch = watch;
    w->n = w->pending = n;
    w->done.tail = NULL;
    w->waiters.tail = NULL;
    w->taken = 0;
    w->mode = (unsigned char)mode;
    w->cancelling = w->timed_out = 0;
    coro_handle_init(&w->timer, wait_timeout);
    if (timeout != CORO_FOREVER && (rc = coro_loop_call_later(loop, &w->timer, timeout)) != 0)
        return rc;
    for (i = 0; i < n; i++)
        watch_start(&watch[i], &w->fut, children[i], wait_child_done);
    if (n == 0) {
        coro_loop_cancel(loop, &w->timer);
        finish_result(&w->fut, coro_none());
    }
    return 0;
}

int coro_gather(struct coro_wait *w, struct coro_loop *loop, struct coro_future *const *children,
                struct coro_watch *watch, uint32_t n)
{
    return wait_start(w, loop, children, watch, n, CORO_GATHER, CORO_FOREVER);
}

int coro_wait(struct coro_wait *w, struct coro_loop *loop, struct coro_future *const *children,
              struct coro_watch *watch, uint32_t n, enum coro_wait_mode mode, coro_time timeout)
{
    if (mode > CORO_FIRST_EXCEPTION || n == 0)     /* asyncio.wait([]): ValueError */
        return CORO_EINVAL;
    return wait_start(w, loop, children, watch, n, mode, timeout);
}

int coro_as_completed(struct coro_wait *w, struct coro_loop *loop,
                      struct coro_future *const *children, struct coro_watch *watch,
                      uint32_t n, coro_time timeout)
{
    return wait_start(w, loop, children, watch, n, CORO_AS_COMPLETED, timeout);
}

int coro_as_completed_take(struct coro_wait *w, coro_value *r)
{
    struct coro_handle *h = coro_list_pop(&w->done);
    if (h) {                        /* finished ones first, even after a timeout */
        *r = coro_ptr(((struct coro_watch *)(void *)h)->child);
        w->taken++;
    } else if (w->timed_out) {
        return CORO_ETIMEDOUT;
    } else if (w->taken == w->n || w->fut.state != CORO_PENDING) {
        return CORO_EEMPTY;
    } else {
        return CORO__PENDING;
    }
    if (w->taken == w->n)
        finish_result(&w->fut, coro_none());
    return 0;
}

/* ---- wait_for ----------------------------------------------------------- */

/* asyncio 3.11's wait_for throughout: a timeout <= 0 cancels inner at once
 * (unless it is done); when the timeout falls due, the decision is made an
 * iteration later, where 3.11's coroutine wakes, and an inner done by then
 * gives its outcome; a cancel of w while inner is done gives inner's
 * outcome too (3.11 returns fut.result() then). */

/* Inner is done: w gets its outcome (ETIMEDOUT for a cancel it caused). */
static void wait_for_inner_done(struct coro_handle *h)
{
    struct coro_watch *cw = (struct coro_watch *)(void *)h;
    struct coro_wait_for *w = (struct coro_wait_for *)(void *)cw->outer;
    coro_value v;
    int err = coro_future_result(cw->child, &v);
    coro_loop_cancel(w->fut.loop, &w->timer);
    if (coro_future_done(&w->fut))
        return;
    if (w->cancelling)
        finish_error(&w->fut, CORO_ECANCELLED);
    else if (w->timed_out && err == CORO_ECANCELLED)
        finish_error(&w->fut, CORO_ETIMEDOUT);
    else if (err)
        finish_error(&w->fut, err);
    else
        finish_result(&w->fut, v);
}

/* Settles w now with its done inner's outcome; the watch is taken off. */
static void wait_for_settle(struct coro_wait_for *w)
{
    if (coro_future_remove_done_callback(w->watch.child, &w->watch.h))
        coro_loop_cancel(w->fut.loop, &w->watch.h);     /* queued already */
    wait_for_inner_done(&w->watch.h);
}

/* The iteration after the deadline: inner's outcome if it is done, else
 * inner is cancelled and w waits for it to finish. */
static void wait_for_expire(struct coro_handle *h)
{
    struct coro_wait_for *w = CORO__CONTAINER_OF(h, struct coro_wait_for, timer);
    if (coro_future_done(w->watch.child)) {
        wait_for_settle(w);
        return;
    }
    w->timed_out = 1;
    coro_future_cancel(w->watch.child);     /* then wait for it to finish */
}

/* The deadline: decided at the next iteration (wait_for_expire). */
static void wait_for_timeout(struct coro_handle *h)
{
    h->fn = wait_for_expire;
    coro_loop_call_soon(CORO__CONTAINER_OF(h, struct coro_wait_for, timer)->fut.loop, h);
}

int coro_wait_for(struct coro_wait_for *w, struct coro_loop *loop, struct coro_future *inner,
                  coro_time timeout)
{
    int rc;
    if (!w || !loop || !inner)
        return CORO_EINVAL;
    if (w->watch.h.u.idle || w->timer.u.idle)
        return CORO_EBUSY;
    hooked_init(&w->fut, loop, wait_for_cancel);
    w->timed_out = w->cancelling = 0;
    coro_handle_init(&w->timer, wait_for_timeout);
    if (timeout <= 0 && timeout != CORO_FOREVER) {
        /* 3.11: a done inner's outcome at once, else inner is cancelled now */
        if (!coro_future_done(inner)) {
            w->timed_out = 1;
            coro_future_cancel(inner);
        }
        if (coro_future_done(inner) && !w->timed_out) {
            coro_handle_init(&w->watch.h, wait_for_inner_done);
            w->watch.child = inner;
            w->watch.outer = &w->fut;
            wait_for_inner_done(&w->watch.h);
            return 0;
        }
    } else if (timeout != CORO_FOREVER &&
               (rc = coro_loop_call_later(loop, &w->timer, timeout)) != 0) {
        return rc;
    }
    rc = watch_start(&w->watch, &w->fut, inner, wait_for_inner_done);
    if (rc)
        coro_loop_cancel(loop, &w->timer);
    return rc;
}

/* ---- shield ------------------------------------------------------------- */

static void shield_inner_done(struct coro_handle *h)
{
    struct coro_watch *cw = (struct coro_watch *)(void *)h;
    coro_value v;
    int err = coro_future_result(cw->child, &v);
    if (coro_future_done(cw->outer))
        return;                             /* the shield was cancelled */
    if (err)
        finish_error(cw->outer, err);
    else
        finish_result(cw->outer, v);
}

int coro_shield(struct coro_shield *s, struct coro_loop *loop, struct coro_future *inner)
{
    if (!s || !loop || !inner)
        return CORO_EINVAL;
    if (s->watch.h.u.idle)
        return CORO_EBUSY;
    hooked_init(&s->fut, loop, shield_cancel);
    if (coro_future_done(inner)) {
        /* asyncio.shield returns a done inner itself: awaiting it does not
         * wait for a callback */
        coro_handle_init(&s->watch.h, shield_inner_done);
        s->watch.child = inner;
        s->watch.outer = &s->fut;
        shield_inner_done(&s->watch.h);
        return 0;
    }
    return watch_start(&s->watch, &s->fut, inner, shield_inner_done);
}

/* ---- cancel: each kind's hook ------------------------------------------ */

static void finish_cancelled(struct coro_future *f)
{
    union coro_word v;
    v.i = CORO_ECANCELLED;
    coro__future_finish(f, CORO_CANCELLED, v, CORO__FAILED);
}

/* gather, wait, as_completed */
static int wait_cancel(struct coro_future *f)
{
    struct coro_wait *w = (struct coro_wait *)(void *)f;
    uint32_t i;
    if (w->mode == CORO_GATHER) {
        /* _GatheringFuture.cancel: true if it cancelled a child now (else
         * the task awaiting it is cancelled once it is done) */
        int ret = 0;
        for (i = 0; i < w->n; i++)
            if (coro_future_cancel(w->watch[i].child) == 0)
                ret = 1;
        if (ret)
            w->cancelling = 1;
        return ret ? 0 : CORO_ESTATE;
    }
    wait_stop(w);
    while (coro_loop_wake(f->loop, &w->waiters, coro_none(), CORO_ECANCELLED))
        ;
    finish_cancelled(f);
    return 0;
}

static int wait_for_cancel(struct coro_future *f)
{
    struct coro_wait_for *w = (struct coro_wait_for *)(void *)f;
    coro_loop_cancel(f->loop, &w->timer);
    if (coro_future_done(w->watch.child)) {
        wait_for_settle(w);             /* 3.11: return fut.result() */
        return 0;
    }
    w->cancelling = 1;
    coro_future_cancel(w->watch.child);
    return 0;                           /* done once inner is */
}

static int shield_cancel(struct coro_future *f)
{
    struct coro_shield *s = (struct coro_shield *)(void *)f;
    coro_future_remove_done_callback(s->watch.child, &s->watch.h);
    finish_cancelled(f);
    return 0;
}
