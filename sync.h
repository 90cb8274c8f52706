/* SPDX-License-Identifier: MIT */
/*
 * sync.h -- asyncio's synchronisation primitives on top of loop.h: Lock,
 * Event, Condition, Semaphore, BoundedSemaphore and Queue, with the semantics
 * of CPython 3.11 (asyncio/locks.py, asyncio/queues.py), without allocation.
 *
 * Every object is caller-owned and bound to one loop at init; it keeps
 * pointers to the tasks that wait on it (through their own list node, the
 * task's `h`) and never copies them. A Queue stores its items in an array the
 * caller gives it.
 *
 * Waiting is fair and FIFO: the first task to wait is the first to be woken,
 * and nothing barges: a task that arrives while a woken waiter has not run
 * yet waits behind it (a lock, a permit, an item or a slot is promised to the
 * woken task). A waiting task can be cancelled (coro_task_cancel): it leaves
 * the wait, gets CORO_ECANCELLED at its await, and the others are unaffected.
 * A task that was woken and then cancelled before it ran hands on what it was
 * promised (the lock, the permit, the item, the free slot, the notification)
 * to the next waiter: nothing is lost, nothing stays stuck.
 *
 *   struct worker { struct coro_task task; int n; struct coro_try t; };
 *   static struct coro_lock lock;                         // lock = asyncio.Lock()
 *   static int worker(struct coro *co) {                  // async def worker(n):
 *       struct worker *f = (struct worker *)co;
 *       CORO_BEGIN(co);
 *       CORO_LOCK_ACQUIRE(co, &lock);                     //     await lock.acquire()
 *       CORO_TRY(co, &f->t) {                             //     try:
 *           printf("%d has the lock\n", f->n);            //         print(...)
 *           CORO_SLEEP(co, &loop, CORO_SEC);              //         await asyncio.sleep(1)
 *       } CORO_FINALLY(co, &f->t) {                       //     finally:
 *           coro_lock_release(&lock);                     //         lock.release()
 *       } CORO_END_TRY(co, &f->t);
 *       CORO_END(co);
 *   }
 *   coro_lock_init(&lock, &loop);
 *
 * THE AWAIT MACROS (CORO_LOCK_ACQUIRE, CORO_EVENT_WAIT, CORO_CONDITION_WAIT,
 * CORO_SEMAPHORE_ACQUIRE, CORO_QUEUE_PUT, CORO_QUEUE_GET, CORO_QUEUE_JOIN)
 *   - are suspension points: use them inside a body, one per line, never inside
 *     a switch of your own (coro.h's rules 3 and 4), inside a task of the
 *     object's loop (directly or in a generator it awaits with CORO_AWAIT);
 *   - do not suspend when they need not wait (a free lock, a set event, an
 *     item in the queue): then they work outside a task too, as in asyncio;
 *   - raise at the await, like any await: CORO_ECANCELLED when the task is
 *     cancelled while it waits, CORO_ENOTASK when they would have to wait but
 *     are not inside a task of that loop (nothing changes then), and the codes
 *     given below: the innermost try block around the macro gets them
 *     (coro.h's rule 6);
 *   - evaluate their object argument more than once, and after the
 *     suspension: pass something that survives it (a global, a frame field);
 *   - leave coro_sent(co) unspecified (CORO_QUEUE_GET stores its item in r);
 *   - use (co)->err as scratch, as CORO_SLEEP does; they declare nothing.
 *
 * Documented differences from CPython 3.11:
 *   - Queue: no barging. 3.11 lets a task that arrives while a woken getter
 *     has not run yet take the item put for that getter (the getter then
 *     waits again, at the back); here the item is promised to the woken getter
 *     and the newcomer waits (get_nowait says CORO_EEMPTY), and likewise a free
 *     slot is promised to a woken putter. coro_queue_empty / coro_queue_full
 *     say whether get_nowait / put_nowait would fail, so they count promised
 *     items and slots; coro_queue_size counts every item stored.
 *   - Condition: a waiter that was notified and then fails (is cancelled
 *     before it returns) passes its notification on to the next waiter once
 *     it holds the lock again, as 3.13 does (gh-112202); 3.11 loses it. Unlike
 *     3.13, a waiter that was never notified does not wake another.
 *   - Lock: a waiter cancelled while waiting leaves the queue at once. In
 *     asyncio its future stays at its place until the task runs, and if it is
 *     at the head when the lock is released, the next waiter is woken only
 *     when the cancelled task runs, one loop iteration later. Who gets the
 *     lock is the same; here it gets it one iteration sooner.
 *   - Error codes replace exceptions: RuntimeError (release of an unlocked
 *     lock, notify or wait without the lock) is CORO_ESTATE; ValueError
 *     (BoundedSemaphore released too many times) is CORO_EFULL; ValueError
 *     (task_done called too many times) is CORO_ESTATE; QueueFull is
 *     CORO_EFULL and QueueEmpty CORO_EEMPTY.
 *
 * A task waiting on an object must not be destroyed, have its coroutine
 * closed or its handle cancelled behind the loop's back before it resumes
 * (coro_task_cancel is the way to stop it); the object must outlive its
 * waiters and must not be initialised again while tasks wait on it. The loop
 * is single-threaded: so are these objects.
 */
#ifndef CORO_SYNC_H
#define CORO_SYNC_H

#include "primitive.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Lock                                                                     */
/* ------------------------------------------------------------------------ */

/* asyncio.Lock: not owned by a task; unlocked at first. 32 bytes on x86-64.
 * Fields are private. */
struct coro_lock {
    struct coro_loop *loop;
    struct coro_list waiters;      /* tasks waiting to acquire it */
    struct coro_task *woken;       /* handed the lock, has not run yet */
    int locked;
};

/* Lock(): prepares an unlocked lock bound to `loop`. 0, or CORO_EINVAL for a
 * NULL argument. */
int coro_lock_init(struct coro_lock *lock, struct coro_loop *loop);

/* lock.locked(): 1 if some task holds it, else 0. Like asyncio, 0 also while
 * a released lock is promised to a woken waiter that has not run yet (which
 * an acquire cannot take: it waits behind that waiter). */
static inline int coro_lock_locked(const struct coro_lock *lock)
{
    return lock->locked;
}

/* lock.release(): unlocks, and wakes the first waiter, which takes the lock
 * when it runs. 0, or CORO_ESTATE if it was not locked (nothing changes). */
int coro_lock_release(struct coro_lock *lock);

/* await lock.acquire(): takes the lock at once if it is free and nobody
 * waits for it; otherwise the task waits, FIFO, until a release hands it the
 * lock. Raises CORO_ECANCELLED (the task was cancelled while waiting, or
 * after it was handed the lock but before it ran: the lock then goes to the
 * next waiter) or CORO_ENOTASK. Expands to
 *     if (!coro__lock_try(lock)) {
 *         if ((co->err = coro_loop_wait_on(lock->loop, &lock->waiters)))
 *             <raise co->err>;
 *         <yield none: suspend on line N>
 *         if ((co->err = coro__lock_resume(lock, co->err))) <raise co->err>;
 *     } */
#define CORO_LOCK_ACQUIRE(co, lock) \
    do { \
        if (!coro__lock_try(lock)) { \
            CORO__WAIT(co, coro_loop_wait_on((lock)->loop, &(lock)->waiters), coro__lock_resume((lock), (co)->err)); \
        } \
    } while (0)

/* Private: 1 if the lock was taken at once, 0 if the task must wait. */
int coro__lock_try(struct coro_lock *lock);
/* Private: a waiter resumed with `err` (0: woken by a release). Returns 0 with
 * the lock taken, or err after handing the lock on if it was promised. */
int coro__lock_resume(struct coro_lock *lock, int err);

/* ------------------------------------------------------------------------ */
/* Event                                                                    */
/* ------------------------------------------------------------------------ */

/* asyncio.Event: a flag, false at first. 24 bytes on x86-64. Fields are
 * private. */
struct coro_event {
    struct coro_loop *loop;
    struct coro_list waiters;      /* tasks waiting for the flag */
    int set;
};

/* Event(): prepares a clear event bound to `loop`. 0, or CORO_EINVAL for a
 * NULL argument. */
int coro_event_init(struct coro_event *ev, struct coro_loop *loop);

/* event.set(): sets the flag and wakes every waiter, in the order they came;
 * each returns from its wait even if the flag is cleared before it runs.
 * Nothing happens if it is already set. */
void coro_event_set(struct coro_event *ev);

/* event.clear(): clears the flag; waits from now on block. */
static inline void coro_event_clear(struct coro_event *ev)
{
    ev->set = 0;
}

/* event.is_set(): 1 or 0. */
static inline int coro_event_is_set(const struct coro_event *ev)
{
    return ev->set;
}

/* await event.wait(): returns at once if the flag is set, else waits until
 * coro_event_set. Raises CORO_ECANCELLED or CORO_ENOTASK. Expands to
 *     if (!ev->set) {
 *         if ((co->err = coro_loop_wait_on(ev->loop, &ev->waiters)))
 *             <raise co->err>;
 *         <yield none: suspend on line N>
 *         if (co->err) <raise co->err>;
 *     } */
#define CORO_EVENT_WAIT(co, ev) \
    do { \
        if (!(ev)->set) { \
            CORO__WAIT(co, coro_loop_wait_on((ev)->loop, &(ev)->waiters), (co)->err); \
        } \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Condition                                                                */
/* ------------------------------------------------------------------------ */

/* asyncio.Condition(lock): a condition variable over a caller-owned lock
 * (acquire and release that lock directly: CORO_LOCK_ACQUIRE,
 * coro_lock_release, coro_lock_locked). 16 bytes on x86-64. Fields are
 * private. */
struct coro_condition {
    struct coro_lock *lock;
    struct coro_list waiters;      /* tasks waiting for a notification */
};

/* Condition(lock): prepares a condition over `lock` (which fixes the loop).
 * 0, or CORO_EINVAL for a NULL argument. */
int coro_condition_init(struct coro_condition *c, struct coro_lock *lock);

/* What one CORO_CONDITION_WAIT keeps across its suspensions (a wait is two
 * awaits: the notification, then the lock). Declare one in the frame of the
 * coroutine that waits (coro.h's rule 1); the macro initialises it. 8 bytes
 * on x86-64. Fields are private. */
struct coro_condition_waiter {
    int err;                       /* error to raise once the lock is back */
    unsigned char state;
};

/* condition.notify(n): wakes up to n waiters, first come first (fewer if
 * fewer wait). Each returns from its wait once it has taken the lock again.
 * 0, or CORO_ESTATE if the lock is not locked (nobody is woken). */
int coro_condition_notify(struct coro_condition *c, size_t n);

/* condition.notify_all(): wakes every waiter. 0 or CORO_ESTATE. */
int coro_condition_notify_all(struct coro_condition *c);

/* await condition.wait(): the lock must be held (by this task; as in asyncio
 * only "locked" is checked): releases it, waits for a notification, then
 * acquires the lock again (waiting for it FIFO like any acquire) and returns
 * holding it. Cancelled at either wait, it still takes the lock back before
 * raising CORO_ECANCELLED (asyncio does), and if it had been notified, it
 * notifies the next waiter first. Raises CORO_ESTATE at once (nothing
 * changes) if the lock is not locked, CORO_ENOTASK outside a task. `w` is a
 * struct coro_condition_waiter * in the frame. Expands to
 *     if ((co->err = coro__condition_wait_begin(c, w))) <raise co->err>;
 *     for (;;) {
 *         <yield none: suspend on line N>
 *         if (!coro__condition_wait_resume(c, w, &co->err)) break;
 *     }
 *     if (co->err) <raise co->err>;
 * (one suspension point, passed once for the notification and once more
 * each time it has to wait for the lock). */
#define CORO_CONDITION_WAIT(co, c, w) \
    do { \
        if (((co)->err = coro__condition_wait_begin((c), (w))) != 0) \
            CORO__UNWIND(co); \
        for (;;) { \
            coro__store((co), coro_none()); \
            CORO__SUSPEND(co, CORO_YIELDED, __LINE__); \
            if (!coro__condition_wait_resume((c), (w), &(co)->err)) \
                break; \
        } \
        if ((co)->err) \
            CORO__UNWIND(co); \
    } while (0)

/* Private: checks the lock, puts the task on the waiters, releases the lock.
 * 0 or the error to raise (then nothing changed). */
int coro__condition_wait_begin(struct coro_condition *c, struct coro_condition_waiter *w);
/* Private: the waiter resumed with *err thrown in (0 if none). Returns 1 if it
 * waits again (for the lock), else 0 with *err = what the wait raises. */
int coro__condition_wait_resume(struct coro_condition *c, struct coro_condition_waiter *w,
                                int *err);

/* ------------------------------------------------------------------------ */
/* Semaphore and BoundedSemaphore                                           */
/* ------------------------------------------------------------------------ */

/* asyncio.Semaphore / BoundedSemaphore: a counter of permits. 32 bytes on
 * x86-64. Fields are private. */
struct coro_semaphore {
    struct coro_loop *loop;
    struct coro_list waiters;      /* tasks waiting for a permit */
    size_t woken;                  /* handed a permit, have not run yet */
    int value;                     /* free permits */
    int bound;                     /* initial value if bounded, else -1 */
};

/* Semaphore(value) (bounded 0) or BoundedSemaphore(value) (bounded 1), bound
 * to `loop`. 0, or CORO_EINVAL for a NULL argument or a negative value. */
int coro_semaphore_init(struct coro_semaphore *s, struct coro_loop *loop, int value,
                        int bounded);

/* semaphore.locked(): 1 if an acquire would wait: no permit is free, or
 * tasks wait or have been handed a permit and not run yet. */
static inline int coro_semaphore_locked(const struct coro_semaphore *s)
{
    return s->value == 0 || s->waiters.tail != NULL || s->woken != 0;
}

/* The number of free permits (semaphore._value). As in 3.11, a permit handed
 * to a woken waiter is no longer counted. */
static inline int coro_semaphore_value(const struct coro_semaphore *s)
{
    return s->value;
}

/* semaphore.release(): adds a permit and hands one to the first waiter, if
 * any. 0; CORO_EFULL for a bounded semaphore whose value already is its
 * initial value (BoundedSemaphore's ValueError), or when the value would
 * overflow an int; nothing changes then. */
int coro_semaphore_release(struct coro_semaphore *s);

/* await semaphore.acquire(): takes a permit at once unless locked(), else
 * waits FIFO until a release hands it one. Raises CORO_ECANCELLED (if a
 * permit had already been handed to it, it goes to the next waiter) or
 * CORO_ENOTASK. Expands to
 *     if (!coro__semaphore_try(s)) {
 *         if ((co->err = coro_loop_wait_on(s->loop, &s->waiters)))
 *             <raise co->err>;
 *         <yield none: suspend on line N>
 *         if ((co->err = coro__semaphore_resume(s, co->err))) <raise co->err>;
 *     } */
#define CORO_SEMAPHORE_ACQUIRE(co, s) \
    do { \
        if (!coro__semaphore_try(s)) { \
            CORO__WAIT(co, coro_loop_wait_on((s)->loop, &(s)->waiters), coro__semaphore_resume((s), (co)->err)); \
        } \
    } while (0)

/* Private: 1 if a permit was taken at once, 0 if the task must wait. */
int coro__semaphore_try(struct coro_semaphore *s);
/* Private: a waiter resumed with `err`; returns 0 or err. */
int coro__semaphore_resume(struct coro_semaphore *s, int err);

/* ------------------------------------------------------------------------ */
/* Queue                                                                    */
/* ------------------------------------------------------------------------ */

/* asyncio.Queue(maxsize=cap): a FIFO of at most `cap` values stored in the
 * caller's array. 88 bytes on x86-64, plus the array. Fields are private. */
struct coro_queue {
    struct coro_loop *loop;
    coro_value *slots;             /* the caller's array of cap values */
    size_t cap, head, len;         /* ring: len values from slots[head] */
    size_t unfinished;             /* put and not yet task_done */
    struct coro_list getters;      /* tasks waiting for an item */
    struct coro_list putters;      /* tasks waiting for a free slot */
    struct coro_list joiners;      /* tasks waiting in join */
    size_t got;                    /* getters promised an item, not run yet */
    size_t put;                    /* putters promised a slot, not run yet */
};

/* Queue(maxsize=cap) over slots[0..cap-1] (caller-owned; must outlive the
 * queue). 0, or CORO_EINVAL for a NULL queue, loop or slots, or cap 0 (no
 * unbounded queue without allocation: give a cap). */
int coro_queue_init(struct coro_queue *q, struct coro_loop *loop, coro_value *slots,
                    size_t cap);

/* queue.qsize(): the number of values stored (promised ones included). */
static inline size_t coro_queue_size(const struct coro_queue *q)
{
    return q->len;
}

/* queue.empty(): 1 if coro_queue_get_nowait would fail: no value, or every
 * value is promised to a woken getter that has not run yet. */
static inline int coro_queue_empty(const struct coro_queue *q)
{
    return q->len <= q->got;
}

/* queue.full(): 1 if coro_queue_put_nowait would fail: no free slot, or every
 * free slot is promised to a woken putter that has not run yet. */
static inline int coro_queue_full(const struct coro_queue *q)
{
    return q->len + q->put >= q->cap;
}

/* queue.put_nowait(v): appends v (the value is copied) and wakes the first
 * waiting getter, promising it a value. 0, or CORO_EFULL (QueueFull) if
 * coro_queue_full (nothing changes). */
int coro_queue_put_nowait(struct coro_queue *q, coro_value v);

/* queue.get_nowait(): removes the first value into *out (out may be NULL)
 * and wakes the first waiting putter, promising it the slot. 0, or
 * CORO_EEMPTY (QueueEmpty) if coro_queue_empty (nothing changes). */
int coro_queue_get_nowait(struct coro_queue *q, coro_value *out);

/* queue.task_done(): one value put earlier is processed; when none is left
 * unfinished, every task in join is woken. 0, or CORO_ESTATE if called more
 * times than values were put (ValueError in asyncio; nothing changes). */
int coro_queue_task_done(struct coro_queue *q);

/* await queue.put(v): waits FIFO while the queue is full, then appends v
 * like put_nowait. `v` (a coro_value expression) is evaluated once, when the
 * value goes in, after any suspension: build it from frame fields. Raises
 * CORO_ECANCELLED (v is not put; a slot promised to it goes to the next
 * putter) or CORO_ENOTASK. Expands to
 *     if (coro__queue_put_blocked(q)) {
 *         if ((co->err = coro_loop_wait_on(q->loop, &q->putters)))
 *             <raise co->err>;
 *         <yield none: suspend on line N>
 *         if ((co->err = coro__queue_put_resume(q, co->err))) <raise co->err>;
 *     }
 *     coro__queue_push(q, v); */
#define CORO_QUEUE_PUT(co, q, v) \
    do { \
        if (coro__queue_put_blocked(q)) { \
            CORO__WAIT(co, coro_loop_wait_on((q)->loop, &(q)->putters), coro__queue_put_resume((q), (co)->err)); \
        } \
        coro__queue_push((q), (v)); \
    } while (0)

/* r = await queue.get(): waits FIFO while the queue is empty, then removes
 * the first value into `r` (a coro_value lvalue) like get_nowait. Raises
 * CORO_ECANCELLED (nothing is taken; a value promised to it goes to the next
 * getter, or stays for anyone) or CORO_ENOTASK. Expands to
 *     if (coro__queue_get_blocked(q)) {
 *         if ((co->err = coro_loop_wait_on(q->loop, &q->getters)))
 *             <raise co->err>;
 *         <yield none: suspend on line N>
 *         if ((co->err = coro__queue_get_resume(q, co->err))) <raise co->err>;
 *     }
 *     r = coro__queue_pop(q); */
#define CORO_QUEUE_GET(co, q, r) \
    do { \
        if (coro__queue_get_blocked(q)) { \
            CORO__WAIT(co, coro_loop_wait_on((q)->loop, &(q)->getters), coro__queue_get_resume((q), (co)->err)); \
        } \
        (r) = coro__queue_pop(q); \
    } while (0)

/* await queue.join(): returns at once if every value put has been marked
 * done, else waits until the task_done that makes it so. Raises
 * CORO_ECANCELLED or CORO_ENOTASK. Expands to
 *     if (q->unfinished) {
 *         if ((co->err = coro_loop_wait_on(q->loop, &q->joiners)))
 *             <raise co->err>;
 *         <yield none: suspend on line N>
 *         if (co->err) <raise co->err>;
 *     } */
#define CORO_QUEUE_JOIN(co, q) \
    do { \
        if ((q)->unfinished) { \
            CORO__WAIT(co, coro_loop_wait_on((q)->loop, &(q)->joiners), (co)->err); \
        } \
    } while (0)

/* Private: 1 if a put has to wait (the queue is full). */
static inline int coro__queue_put_blocked(const struct coro_queue *q)
{
    return coro_queue_full(q);
}
/* Private: 1 if a get has to wait (the queue is empty). */
static inline int coro__queue_get_blocked(const struct coro_queue *q)
{
    return coro_queue_empty(q);
}
/* Private: a putter / getter resumed with `err`; 0 (its slot / value is now
 * its own) or err. */
int coro__queue_put_resume(struct coro_queue *q, int err);
int coro__queue_get_resume(struct coro_queue *q, int err);
/* Private: appends v to a queue with a slot for it; removes the first value
 * of a queue that has one for the caller. */
void coro__queue_push(struct coro_queue *q, coro_value v);
coro_value coro__queue_pop(struct coro_queue *q);

#ifdef __cplusplus
}
#endif

#endif /* CORO_SYNC_H */
