/* SPDX-License-Identifier: MIT */
/*
 * taskgroup.c -- asyncio.TaskGroup of Python 3.11 (scope.h): a scope in the
 * parent task's chain, where each child's chain ends; the first child that
 * fails cancels the others and the parent; the end waits for them all and
 * raises what TaskGroup.__aexit__ raises.
 */
#include "scope.h"
#include "internal.h"

static struct coro_taskgroup *group_of(struct coro_scope *s)
{
    return CORO__CONTAINER_OF(s, struct coro_taskgroup, scope);
}

/* The error a done child failed with; 0 if it succeeded, was cancelled or
 * is not done. */
static int child_error(const struct coro_task *c)
{
    int err = coro_future_result(&c->fut, NULL);
    return err == CORO_ECANCELLED || err == CORO_ESTATE ? 0 : err;
}

/* TaskGroup._abort: cancels every child not done, in the order they
 * started. */
static void abort_children(struct coro_taskgroup *g)
{
    struct coro_task *c;
    g->aborting = 1;
    for (c = g->first; c; c = c->gnext)
        if (!coro_future_done(&c->fut))
            coro_task_cancel(c);
}

/* The link of c's chain that leads to its group: c->scope, or the outer
 * of its outermost own scope. */
static struct coro_scope **group_link(struct coro_task *c)
{
    struct coro_scope **link = &c->scope;
    while (*link && (*link)->task == c)
        link = &(*link)->outer;
    return link;
}

/* Closing (CORO_EXIT): nothing may wait, so the children that have not
 * been heard of yet leave the group (they are cancelled already). */
static void let_go(struct coro_taskgroup *g)
{
    struct coro_task *c;
    for (c = g->first; c; c = c->gnext) {
        struct coro_scope **link = group_link(c);
        if (*link != &g->scope)
            continue;                       /* heard of already */
        if (coro_future_done(&c->fut))      /* its child_done is queued */
            coro_loop_cancel(c->fut.loop, &c->h);
        *link = NULL;
        g->live--;
    }
}

/* TaskGroup._on_task_done, run as the child's first done callback. */
static void child_done(struct coro_handle *h)
{
    struct coro_task *c = CORO__CONTAINER_OF(h, struct coro_task, h);
    struct coro_taskgroup *g = group_of(c->scope);
    struct coro_task *parent = g->scope.task;
    int err;
    c->scope = NULL;
    g->live--;
    if (g->state == CORO__TG_EXITING && !g->live && !coro_future_done(&g->done))
        coro_future_set_result(&g->done, coro_none());
    if ((err = child_error(c)) == 0)
        return;
    c->fut.slot = ++g->nerrors;     /* its place among the errors */
    if (!g->first_error)
        g->first_error = err;
    if (coro_future_done(&parent->fut)) {   /* nobody left to tell but the hook */
        if (parent->fut.loop->on_error)
            parent->fut.loop->on_error(parent->fut.loop, c, err);
        return;
    }
    if (!g->aborting && !g->cancelled_parent) {
        abort_children(g);
        g->cancelled_parent = 1;
        coro__task_cancel_from(parent, &g->scope);
    }
}

int coro__taskgroup_enter(struct coro_taskgroup *g, struct coro_loop *loop)
{
    struct coro_task *t = loop ? coro_loop_current(loop) : NULL;
    if (!t)
        return CORO_ENOTASK;
    g->scope.flags = 0;
    g->scope.child_done = child_done;
    coro__future_reset(&g->done, loop);
    g->first = g->last = NULL;
    g->live = g->nerrors = 0;
    g->first_error = g->body_error = 0;
    g->aborting = g->cancelled_parent = g->propagate = 0;
    g->state = CORO__TG_ENTERED;
    coro__scope_push(t, &g->scope);
    return 0;
}

int coro_taskgroup_start(struct coro_taskgroup *g, struct coro_task *t, coro_fn fn)
{
    int err;
    if (!g)
        return CORO_EINVAL;
    if ((g->state != CORO__TG_ENTERED && g->state != CORO__TG_EXITING) ||
        (g->state == CORO__TG_EXITING && !g->live))
        return CORO_ESTATE;
    if (g->aborting)
        return CORO_ESHUTDOWN;
    if ((err = coro_task_start(t, g->done.loop, fn)) != 0)
        return err;
    t->scope = &g->scope;
    if (g->last)
        g->last->gnext = t;
    else
        g->first = t;
    g->last = t;
    g->live++;
    return 0;
}

void coro__taskgroup_exiting(struct coro_taskgroup *g)
{
    int et = g->t.err == CORO__RETURNING ? 0 : g->t.err;
    g->state = CORO__TG_EXITING;
    g->propagate = et == CORO_ECANCELLED;
    /* parent.uncancel() == 0: the only cancel of the parent was the group's */
    if (g->cancelled_parent && g->scope.requests <= 1)
        g->propagate = 0;
    if (et && !g->aborting)
        abort_children(g);
    if (et == CORO_EXIT)
        let_go(g);
}

int coro__taskgroup_wait(struct coro_taskgroup *g)
{
    if (!g->live)
        return 0;
    if (coro_future_done(&g->done))         /* a fresh one each time round */
        coro__future_reset(&g->done, g->done.loop);
    return 1;
}

void coro__taskgroup_woken(struct coro_taskgroup *g, int err)
{
    if (err == CORO_ECANCELLED && !g->aborting) {   /* the parent is cancelled */
        g->propagate = 1;
        abort_children(g);
    }
}

int coro__taskgroup_exit(struct coro_taskgroup *g)
{
    int pending = g->t.err, et = pending == CORO__RETURNING ? 0 : pending;
    g->state = CORO__TG_CLOSED;
    coro__scope_pop(&g->scope, g->cancelled_parent);
    if (et == CORO_EXIT)
        return pending;
    if (g->propagate && !g->nerrors)
        return CORO_ECANCELLED;
    if (et && et != CORO_ECANCELLED) {
        g->body_error = et;
        if (!g->nerrors++)
            g->first_error = et;
    }
    return g->nerrors ? CORO_EGROUP : pending == CORO_ECANCELLED ? 0 : pending;
}

unsigned coro_taskgroup_errors(const struct coro_taskgroup *g, int *codes, unsigned max)
{
    const struct coro_task *c;
    if (!g || g->state != CORO__TG_CLOSED)
        return 0;
    for (c = g->first; c; c = c->gnext)
        if (child_error(c) && c->fut.slot >= 1 && c->fut.slot <= max)
            codes[c->fut.slot - 1] = child_error(c);
    if (g->body_error && g->nerrors <= max)
        codes[g->nerrors - 1] = g->body_error;
    return g->nerrors;
}

int coro_taskgroup_has(const struct coro_taskgroup *g, int code)
{
    const struct coro_task *c;
    if (!g || g->state != CORO__TG_CLOSED)
        return 0;
    if (g->body_error == code && code)
        return 1;
    for (c = g->first; c; c = c->gnext)
        if (code && child_error(c) == code)
            return 1;
    return 0;
}
