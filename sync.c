/* SPDX-License-Identifier: MIT */
/*
 * sync.c -- asyncio's Lock, Event, Condition, Semaphore, BoundedSemaphore and
 * Queue on the loop's waiter lists. See sync.h for the API and the rules.
 *
 * How a wait works: the await macro puts the current task on the object's
 * list (coro_loop_wait_on) and yields; a release / set / notify / put / get
 * takes tasks off that list with coro_loop_wake, which schedules them. A
 * cancel (coro_task_cancel) takes a waiting task off the list by itself and
 * throws CORO_ECANCELLED in at the macro, which then calls back in here.
 *
 * What a woken task was handed (the lock, a permit, a value, a slot, a
 * notification) must not be lost if it is cancelled before it runs: its step
 * then throws CORO_ECANCELLED instead. So the helper the macro calls once the
 * wait resumed asks coro_loop_woken whether the task had been woken, and if
 * it was but fails, passes on what it was handed. All an object keeps is how
 * many of the tasks it woke have not run yet (the lock: which one), so that
 * nothing barges past them.
 */
#include <limits.h>

#include "sync.h"
#include "internal.h"

/* Wakes the first task of `list`, if any, and counts it in *n. 1 or 0. */
static int wake_one(struct coro_loop *loop, struct coro_list *list, size_t *n)
{
    if (!coro_loop_wake(loop, list, coro_none(), 0))
        return 0;
    ++*n;
    return 1;
}

/* The current task resumes from a wait on a list whose woken tasks *n
 * counts: 1 if it was woken (it leaves the count), 0 if it was cancelled
 * while it waited. */
static int resumed_woken(struct coro_loop *loop, size_t *n)
{
    if (!coro_loop_woken(loop, NULL))
        return 0;
    --*n;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Lock                                                                     */
/* ------------------------------------------------------------------------ */

int coro_lock_init(struct coro_lock *lock, struct coro_loop *loop)
{
    if (!lock || !loop)
        return CORO_EINVAL;
    lock->loop = loop;
    lock->waiters.tail = NULL;
    lock->woken = NULL;
    lock->locked = 0;
    return 0;
}

/* Lock._wake_up_first: hands the free lock to the first waiter, unless it is
 * already promised to a woken one. */
static void lock_wake_first(struct coro_lock *lock)
{
    if (!lock->woken)
        lock->woken = coro_loop_wake(lock->loop, &lock->waiters, coro_none(), 0);
}

int coro_lock_release(struct coro_lock *lock)
{
    if (!lock->locked)
        return CORO_ESTATE;
    lock->locked = 0;
    lock_wake_first(lock);
    return 0;
}

int coro__lock_try(struct coro_lock *lock)
{
    /* asyncio: not locked and every waiter (if any) cancelled */
    if (lock->locked || lock->woken || lock->waiters.tail)
        return 0;
    lock->locked = 1;
    return 1;
}

int coro__lock_resume(struct coro_lock *lock, int err)
{
    if (coro_loop_woken(lock->loop, NULL))
        lock->woken = NULL;
    if (!err) {
        lock->locked = 1;
        return 0;
    }
    /* cancelled: if the lock is free, it goes to the next waiter (whether it
     * had been handed to us or not, as Lock.acquire does) */
    if (!lock->locked)
        lock_wake_first(lock);
    return err;
}

/* ------------------------------------------------------------------------ */
/* Event                                                                    */
/* ------------------------------------------------------------------------ */

int coro_event_init(struct coro_event *ev, struct coro_loop *loop)
{
    if (!ev || !loop)
        return CORO_EINVAL;
    ev->loop = loop;
    ev->waiters.tail = NULL;
    ev->set = 0;
    return 0;
}

void coro_event_set(struct coro_event *ev)
{
    if (ev->set)
        return;
    ev->set = 1;
    while (coro_loop_wake(ev->loop, &ev->waiters, coro_none(), 0))
        ;
}

/* ------------------------------------------------------------------------ */
/* Condition                                                                */
/* ------------------------------------------------------------------------ */

#define CW_LOCK     1u   /* waiting for the lock again */
#define CW_NOTIFIED 2u   /* was notified */

int coro_condition_init(struct coro_condition *c, struct coro_lock *lock)
{
    if (!c || !lock)
        return CORO_EINVAL;
    c->lock = lock;
    c->waiters.tail = NULL;
    return 0;
}

static void condition_wake(struct coro_condition *c, size_t n)
{
    while (n-- > 0 && coro_loop_wake(c->lock->loop, &c->waiters, coro_none(), 0))
        ;
}

int coro_condition_notify(struct coro_condition *c, size_t n)
{
    if (!c->lock->locked)
        return CORO_ESTATE;
    condition_wake(c, n);
    return 0;
}

int coro_condition_notify_all(struct coro_condition *c)
{
    return coro_condition_notify(c, (size_t)-1);
}

int coro__condition_wait_begin(struct coro_condition *c, struct coro_condition_waiter *w)
{
    struct coro_lock *lock = c->lock;
    int rc;
    if (!lock->locked)
        return CORO_ESTATE;
    rc = coro_loop_wait_on(lock->loop, &c->waiters);
    if (rc)
        return rc;
    w->err = 0;
    w->state = 0;
    coro_lock_release(lock);
    return 0;
}

int coro__condition_wait_resume(struct coro_condition *c, struct coro_condition_waiter *w,
                                int *err)
{
    struct coro_lock *lock = c->lock;
    int e = *err;
    if (w->state & CW_LOCK) {
        /* back from a wait for the lock */
        e = coro__lock_resume(lock, e);
        if (!e)
            goto acquired;
        w->err = e;                 /* cancelled again: wait for it again */
    } else {
        /* back from the wait for a notification (or cancelled in it) */
        if (coro_loop_woken(lock->loop, NULL))
            w->state |= CW_NOTIFIED;
        w->err = e;
        w->state |= CW_LOCK;
    }
    /* must re-acquire the lock, even when cancelled */
    if (coro__lock_try(lock))
        goto acquired;
    e = coro_loop_wait_on(lock->loop, &lock->waiters);
    *err = e;                       /* suspends again with 0 (the waiter keeps
                                       its error); else not inside a task: */
    return e == 0;                  /* cannot happen here */

acquired:
    if (w->err && (w->state & CW_NOTIFIED))
        condition_wake(c, 1);       /* its notification goes to another */
    *err = w->err;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Semaphore                                                                */
/* ------------------------------------------------------------------------ */

int coro_semaphore_init(struct coro_semaphore *s, struct coro_loop *loop, int value,
                        int bounded)
{
    if (!s || !loop || value < 0)
        return CORO_EINVAL;
    s->loop = loop;
    s->waiters.tail = NULL;
    s->woken = 0;
    s->value = value;
    s->bound = bounded ? value : -1;
    return 0;
}

/* Semaphore._wake_up_next: hands a permit to the first waiter, if any. */
static void semaphore_wake_next(struct coro_semaphore *s)
{
    if (s->waiters.tail && wake_one(s->loop, &s->waiters, &s->woken))
        s->value--;
}

int coro_semaphore_release(struct coro_semaphore *s)
{
    if ((s->bound >= 0 && s->value >= s->bound) || s->value == INT_MAX)
        return CORO_EFULL;
    s->value++;
    semaphore_wake_next(s);
    return 0;
}

int coro__semaphore_try(struct coro_semaphore *s)
{
    if (coro_semaphore_locked(s))
        return 0;
    s->value--;
    return 1;
}

int coro__semaphore_resume(struct coro_semaphore *s, int err)
{
    int woken = resumed_woken(s->loop, &s->woken);
    if (err) {
        if (woken) {                /* give the permit it was handed on */
            s->value++;
            semaphore_wake_next(s);
        }
        return err;
    }
    if (s->value > 0)
        semaphore_wake_next(s);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Queue                                                                    */
/* ------------------------------------------------------------------------ */

int coro_queue_init(struct coro_queue *q, struct coro_loop *loop, coro_value *slots,
                    size_t cap)
{
    if (!q || !loop || !slots || cap == 0)
        return CORO_EINVAL;
    q->loop = loop;
    q->slots = slots;
    q->cap = cap;
    q->head = 0;
    q->len = 0;
    q->unfinished = 0;
    q->getters.tail = NULL;
    q->putters.tail = NULL;
    q->joiners.tail = NULL;
    q->got = 0;
    q->put = 0;
    return 0;
}

/* Promises a value to the first waiting getter, if a value is free. */
static void queue_wake_getter(struct coro_queue *q)
{
    if (!coro_queue_empty(q))
        wake_one(q->loop, &q->getters, &q->got);
}

/* Promises a slot to the first waiting putter, if a slot is free. */
static void queue_wake_putter(struct coro_queue *q)
{
    if (!coro_queue_full(q))
        wake_one(q->loop, &q->putters, &q->put);
}

void coro__queue_push(struct coro_queue *q, coro_value v)
{
    size_t i = q->head + q->len;
    q->slots[i >= q->cap ? i - q->cap : i] = v;
    q->len++;
    q->unfinished++;
    queue_wake_getter(q);
}

coro_value coro__queue_pop(struct coro_queue *q)
{
    coro_value v = q->slots[q->head];
    q->head = q->head + 1 == q->cap ? 0 : q->head + 1;
    q->len--;
    queue_wake_putter(q);
    return v;
}

int coro_queue_put_nowait(struct coro_queue *q, coro_value v)
{
    if (coro_queue_full(q))
        return CORO_EFULL;
    coro__queue_push(q, v);
    return 0;
}

int coro_queue_get_nowait(struct coro_queue *q, coro_value *out)
{
    coro_value v;
    if (coro_queue_empty(q))
        return CORO_EEMPTY;
    v = coro__queue_pop(q);
    if (out)
        *out = v;
    return 0;
}

int coro__queue_put_resume(struct coro_queue *q, int err)
{
    int woken = resumed_woken(q->loop, &q->put);
    if (err && woken)
        queue_wake_putter(q);       /* the slot it was promised goes on */
    return err;
}

int coro__queue_get_resume(struct coro_queue *q, int err)
{
    int woken = resumed_woken(q->loop, &q->got);
    if (err && woken)
        queue_wake_getter(q);       /* the value it was promised goes on */
    return err;
}

int coro_queue_task_done(struct coro_queue *q)
{
    if (q->unfinished == 0)
        return CORO_ESTATE;
    if (--q->unfinished == 0)
        while (coro_loop_wake(q->loop, &q->joiners, coro_none(), 0))
            ;
    return 0;
}
