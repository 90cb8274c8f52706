/* SPDX-License-Identifier: MIT */
/*
 * test_sync.c -- the Check suite of sync.h: asyncio's Lock, Event, Condition,
 * Semaphore, BoundedSemaphore and Queue, tested against CPython 3.11.
 *
 * Each test records events with trace.h and compares them with what CPython
 * 3.11 prints for the equivalent asyncio program, written in the comment above
 * the test and run with python3 to get the expected line (never taken from
 * sync.c). Everything runs on the virtual clock: the C tasks on
 * coro_clock_virtual, the Python programs on asyncio's own loop with a
 * virtual clock (as in test_loop.c), so both see the same times and neither
 * sleeps. Every program starts with `from prelude import *`, this prelude.py:
 *
 *     import asyncio
 *     T = []
 *     def name(e):                     # trace_errname()
 *         if e is None: return '0'
 *         if isinstance(e, asyncio.CancelledError): return 'CORO_ECANCELLED'
 *         raise e
 *     def done(): print(' '.join(T))
 *     class VirtualLoop(asyncio.SelectorEventLoop):   # coro_clock_virtual
 *         def __init__(self):
 *             super().__init__()
 *             self.vt = 0
 *             real = self._selector.select
 *             def select(timeout=None):
 *                 if timeout is None:  # nothing left to run or wait for
 *                     self.stop()
 *                 elif timeout:
 *                     self.vt += timeout           # a wait jumps to its deadline
 *                 return real(0)
 *             self._selector.select = select
 *         def time(self): return self.vt
 *     def run(main):                   # the test: run every task out, compare
 *         loop = VirtualLoop()
 *         asyncio.set_event_loop(loop)
 *         try:
 *             loop.run_until_complete(main())
 *         except RuntimeError:         # stopped before main was done:
 *             T.append('<stuck>')      # a task waits forever (run() fails)
 *         done()
 *     async def until_done(*ts):       # UNTIL_DONE(): every task finished
 *         await asyncio.gather(*ts, return_exceptions=True)
 *     def spawn(coro): return asyncio.create_task(coro)   # spawn()
 *
 *     class Condition(asyncio.Condition):
 *         # coro's Condition.wait: 3.11's, plus 3.13's fix (gh-112202) for a
 *         # waiter that was notified: if it then fails, it notifies the next
 *         # waiter once it holds the lock again (3.11 loses the notification,
 *         # 3.13 also wakes another when the failing waiter was never notified)
 *         async def wait(self):
 *             if not self.locked():
 *                 raise RuntimeError('cannot wait on un-acquired lock')
 *             self.release()
 *             notified = False
 *             try:
 *                 try:
 *                     fut = self._get_loop().create_future()
 *                     self._waiters.append(fut)
 *                     try:
 *                         await fut
 *                         return True
 *                     finally:
 *                         notified = fut.done() and not fut.cancelled()
 *                         self._waiters.remove(fut)
 *                 finally:
 *                     cancelled = False
 *                     while True:
 *                         try:
 *                             await self.acquire()
 *                             break
 *                         except asyncio.CancelledError:
 *                             cancelled = True
 *                     if cancelled:
 *                         raise asyncio.CancelledError
 *             except BaseException:
 *                 if notified:
 *                     self.notify(1)
 *                 raise
 *
 *     class Queue(asyncio.Queue):
 *         # coro's Queue: 3.11's, without barging: a value put while getters
 *         # wait is promised to the getter it wakes, a slot freed while
 *         # putters wait to the putter it wakes; empty() / full() count what
 *         # is promised (3.11 lets a newcomer take it: the woken getter then
 *         # waits again, at the back)
 *         def __init__(self, maxsize):
 *             super().__init__(maxsize)
 *             self._items_promised = 0
 *             self._slots_promised = 0
 *         def empty(self): return self.qsize() <= self._items_promised
 *         def full(self): return self.qsize() + self._slots_promised >= self._maxsize
 *         def _wake(self, waiters):
 *             while waiters:
 *                 w = waiters.popleft()
 *                 if not w.done():
 *                     w.set_result(None)
 *                     return 1
 *             return 0
 *         def put_nowait(self, item):
 *             if self.full(): raise asyncio.QueueFull
 *             self._put(item)
 *             self._unfinished_tasks += 1
 *             self._finished.clear()
 *             if not self.empty(): self._items_promised += self._wake(self._getters)
 *         def get_nowait(self):
 *             if self.empty(): raise asyncio.QueueEmpty
 *             item = self._get()
 *             if not self.full(): self._slots_promised += self._wake(self._putters)
 *             return item
 *         async def put(self, item):
 *             if self.full():
 *                 putter = self._get_loop().create_future()
 *                 self._putters.append(putter)
 *                 try:
 *                     await putter
 *                 except:
 *                     promised = putter.done() and not putter.cancelled()
 *                     putter.cancel()
 *                     try: self._putters.remove(putter)
 *                     except ValueError: pass
 *                     if promised:
 *                         self._slots_promised -= 1
 *                         if not self.full(): self._slots_promised += self._wake(self._putters)
 *                     raise
 *                 self._slots_promised -= 1
 *             self.put_nowait(item)
 *         async def get(self):
 *             if self.empty():
 *                 getter = self._get_loop().create_future()
 *                 self._getters.append(getter)
 *                 try:
 *                     await getter
 *                 except:
 *                     promised = getter.done() and not getter.cancelled()
 *                     getter.cancel()
 *                     try: self._getters.remove(getter)
 *                     except ValueError: pass
 *                     if promised:
 *                         self._items_promised -= 1
 *                         if not self.empty(): self._items_promised += self._wake(self._getters)
 *                     raise
 *                 self._items_promised -= 1
 *             return self.get_nowait()
 *
 * The two subclasses are the documented differences of sync.h. Every program
 * here that uses them prints the same line with 3.11's own asyncio.Condition
 * and asyncio.Queue, except where a test says otherwise (there 3.11 loses a
 * notification or lets a task barge, and the comment shows what it prints).
 *
 * Error names: RuntimeError is CORO_ESTATE, BoundedSemaphore's ValueError
 * CORO_EFULL, task_done's ValueError CORO_ESTATE, QueueFull CORO_EFULL,
 * QueueEmpty CORO_EEMPTY, a negative Semaphore value CORO_EINVAL.
 */
#include <check.h>
#include "check_main.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync.h"
#include "trace.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

#define MS CORO_MSEC

static struct coro_loop loop;
static struct coro_timer_slot timers[16];

/* The objects under test (Python's globals). */
static struct coro_lock lock;
static struct coro_event ev;
static struct coro_condition cond;
static struct coro_semaphore sem;
static struct coro_queue q;
static coro_value slots[8];

/* The frame of every task here: one async def's locals. */
struct actor {
    struct coro_task task;
    const char *name;
    coro_time delay;                 /* a sleep it starts with or holds for */
    intptr_t v;                      /* the value it puts */
    struct actor *victim;            /* a task it cancels */
    int held, i, err;
    coro_value r;
    struct coro_condition_waiter cw;
    struct coro_try fin;     /* try: ... finally: of the body */
};

#define NTASKS 8
static struct actor t[NTASKS];       /* t[0] is main, the others workers */
static int ntasks;

/* A fresh loop on the virtual clock, no task, an empty trace. */
static void setup(void)
{
    trace_reset();
    ck_assert_int_eq(coro_loop_init(&loop, timers, 16), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    memset(t, 0, sizeof t);
    ntasks = 0;
}

/* asyncio.create_task(fn(name)): the next actor. */
static struct actor *spawn(const char *name, coro_fn fn)
{
    struct actor *a;
    ck_assert_int_lt(ntasks, NTASKS);
    a = &t[ntasks++];
    memset(a, 0, sizeof *a);
    a->name = name;
    ck_assert_int_eq(coro_task_start(&a->task, &loop, fn), 0);
    return a;
}

/* Runs the loop until nothing is left; every task must have finished (a
 * task still waiting would be a lost wake-up). */
static void run(void)
{
    int i;
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    for (i = 0; i < ntasks; i++)
        ck_assert_msg(coro_future_done(&t[i].task.fut), "task %s is stuck", t[i].name);
}

/* await until_done(t[lo], ..., t[hi - 1]) inside a body whose frame is f. */
#define UNTIL_DONE(co, f, lo, hi) \
    for ((f)->i = (lo); (f)->i < (hi); (f)->i++) \
        CORO_AWAIT_FUTURE_CATCH(co, &t[(f)->i].task.fut, (f)->r, (f)->err)

/* Inside CORO_FINALLY: `except CancelledError as e: T.append(...)`. */
static void trace_pending(const struct actor *f, int err)
{
    if (err)
        trace("%s:%s", f->name, trace_errname(err));
}

/* ------------------------------------------------------------------------ */
/* 1. Lock                                                                  */
/* ------------------------------------------------------------------------ */

static int lock_holder(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("H:in");
    CORO_SLEEP(co, &loop, 1000 * MS);
    trace("H:out");
    coro_lock_release(&lock);
    CORO_END(co);
}

static int lock_fifo_worker(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, f->delay);
    trace("%s:wait", f->name);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("%s:in", f->name);
    CORO_SLEEP(co, &loop, 50 * MS);
    trace("%s:out", f->name);
    coro_lock_release(&lock);
    CORO_END(co);
}

/* async def holder():
 *     await lock.acquire()
 *     T.append('H:in')
 *     await asyncio.sleep(1)
 *     T.append('H:out')
 *     lock.release()
 * async def worker(name, delay):
 *     await asyncio.sleep(delay)
 *     T.append(name + ':wait')
 *     await lock.acquire()
 *     T.append(name + ':in')
 *     await asyncio.sleep(0.05)
 *     T.append(name + ':out')
 *     lock.release()
 * async def main():
 *     global lock
 *     lock = asyncio.Lock()
 *     await until_done(spawn(holder()), spawn(worker('A', 0.3)),
 *                      spawn(worker('B', 0.1)), spawn(worker('C', 0.2)),
 *                      spawn(worker('D', 1.02)))
 * run(main)
 */
START_TEST(test_lock_mutual_exclusion_and_fifo_in_arrival_order)
{
    static const struct { const char *name; int ms; } w[] = {
        { "A", 300 }, { "B", 100 }, { "C", 200 }, { "D", 1020 },
    };
    int i;
    setup();
    coro_lock_init(&lock, &loop);
    spawn("H", lock_holder);
    for (i = 0; i < 4; i++)
        spawn(w[i].name, lock_fifo_worker)->delay = w[i].ms * MS;
    run();
    ck_assert_trace("H:in B:wait C:wait A:wait H:out B:in D:wait B:out C:in C:out "
                    "A:in A:out D:in D:out");
    ck_assert_int_eq(coro_lock_locked(&lock), 0);
}
END_TEST

static int nobarge_holder(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("H:in");
    CORO_SLEEP(co, &loop, 0);
    coro_lock_release(&lock);
    trace("H:rel:locked:%d", coro_lock_locked(&lock));
    trace("H:wait");
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("H:in");
    coro_lock_release(&lock);
    CORO_END(co);
}

static int nobarge_waiter(struct coro *co)
{
    CORO_BEGIN(co);
    trace("W:wait");
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("W:in");
    CORO_SLEEP(co, &loop, 0);
    trace("W:out");
    coro_lock_release(&lock);
    CORO_END(co);
}

static int nobarge_barger(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 0);
    trace("X:wait:locked:%d", coro_lock_locked(&lock));
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("X:in");
    coro_lock_release(&lock);
    CORO_END(co);
}

/* The holder releases and asks again at once; X asks before the woken W has
 * run: both wait behind W.
 *
 * async def holder():
 *     await lock.acquire()
 *     T.append('H:in')
 *     await asyncio.sleep(0)
 *     lock.release()
 *     T.append('H:rel:locked:%d' % lock.locked())
 *     T.append('H:wait')
 *     await lock.acquire()
 *     T.append('H:in')
 *     lock.release()
 * async def waiter():
 *     T.append('W:wait')
 *     await lock.acquire()
 *     T.append('W:in')
 *     await asyncio.sleep(0)
 *     T.append('W:out')
 *     lock.release()
 * async def barger():
 *     await asyncio.sleep(0)
 *     T.append('X:wait:locked:%d' % lock.locked())
 *     await lock.acquire()
 *     T.append('X:in')
 *     lock.release()
 * async def main():
 *     global lock
 *     lock = asyncio.Lock()
 *     await until_done(spawn(holder()), spawn(waiter()), spawn(barger()))
 * run(main)
 */
START_TEST(test_lock_no_barging_while_woken_waiter_has_not_run)
{
    setup();
    coro_lock_init(&lock, &loop);
    spawn("H", nobarge_holder);
    spawn("W", nobarge_waiter);
    spawn("X", nobarge_barger);
    run();
    ck_assert_trace("H:in W:wait H:rel:locked:0 H:wait X:wait:locked:0 W:in W:out H:in X:in");
}
END_TEST

static int lock_release_main(struct coro *co)
{
    CORO_BEGIN(co);
    trace("release:%s", trace_errname(coro_lock_release(&lock)));
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("locked:%d", coro_lock_locked(&lock));
    trace("release:%s", trace_errname(coro_lock_release(&lock)));
    trace("release:%s", trace_errname(coro_lock_release(&lock)));
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_END(co);
}

/* async def main():
 *     lock = asyncio.Lock()
 *     try: lock.release()
 *     except RuntimeError: T.append('release:CORO_ESTATE')
 *     T.append('locked:%d' % lock.locked())
 *     await lock.acquire()
 *     T.append('locked:%d' % lock.locked())
 *     lock.release()
 *     T.append('release:0')
 *     try: lock.release()
 *     except RuntimeError: T.append('release:CORO_ESTATE')
 *     await lock.acquire()
 *     T.append('locked:%d' % lock.locked())
 * run(main)
 */
START_TEST(test_lock_release_unlocked_is_estate_and_lock_stays_usable)
{
    setup();
    coro_lock_init(&lock, &loop);
    spawn("main", lock_release_main);
    run();
    ck_assert_trace("release:CORO_ESTATE locked:0 locked:1 release:0 release:CORO_ESTATE "
                    "locked:1");
}
END_TEST

/* The workers of the lock cancellation tests (Python's worker() below). */
static int lock_worker(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:wait", f->name);
        CORO_LOCK_ACQUIRE(co, &lock);
        f->held = 1;
        trace("%s:in", f->name);
        CORO_SLEEP(co, &loop, 0);
        if (f->victim) {
            coro_task_cancel(&f->victim->task);
            trace("%s:cancel:%s", f->name, f->victim->name);
        }
        trace("%s:out", f->name);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("%s:%s:locked:%d", f->name, trace_errname(coro_error(&f->fin)),
                  coro_lock_locked(&lock));
        if (f->held)
            coro_lock_release(&lock);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static int lock_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    static const char *const names[] = { "A", "B", "C", "D", "E" };
    CORO_BEGIN(co);
    CORO_LOCK_ACQUIRE(co, &lock);
    for (f->i = 0; f->i < 5; f->i++)
        spawn(names[f->i], lock_worker);
    t[3].victim = &t[4];                    /* C cancels D */
    CORO_SLEEP(co, &loop, 0);
    coro_task_cancel(&t[2].task);
    trace("main:cancel:B");
    CORO_SLEEP(co, &loop, 0);
    trace("main:release");
    coro_lock_release(&lock);
    UNTIL_DONE(co, f, 1, 6);
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_END(co);
}

/* B is cancelled while it waits in the middle of the queue; C cancels D while
 * D is the head of the queue, then releases.
 *
 * async def worker(me):
 *     held = False
 *     try:
 *         T.append(me + ':wait')
 *         await lock.acquire()
 *         held = True
 *         T.append(me + ':in')
 *         await asyncio.sleep(0)
 *         if me == 'C':                  # D is the head of the queue now
 *             ts['D'].cancel()
 *             T.append('C:cancel:D')
 *         T.append(me + ':out')
 *     except asyncio.CancelledError as e:
 *         T.append(me + ':' + name(e) + ':locked:%d' % lock.locked())
 *         raise
 *     finally:
 *         if held: lock.release()
 * async def main():
 *     global lock
 *     lock = asyncio.Lock()
 *     await lock.acquire()
 *     for n in 'ABCDE': ts[n] = spawn(worker(n))
 *     await asyncio.sleep(0)
 *     ts['B'].cancel()                   # B: waiting in the middle
 *     T.append('main:cancel:B')
 *     await asyncio.sleep(0)
 *     T.append('main:release')
 *     lock.release()
 *     await until_done(*ts.values())
 *     T.append('locked:%d' % lock.locked())
 * ts = {}
 * run(main)
 */
START_TEST(test_lock_cancelled_waiters_leave_the_queue_others_unaffected)
{
    setup();
    coro_lock_init(&lock, &loop);
    spawn("main", lock_cancel_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait D:wait E:wait main:cancel:B "
                    "B:CORO_ECANCELLED:locked:1 main:release A:in A:out C:in C:cancel:D "
                    "C:out D:CORO_ECANCELLED:locked:0 E:in E:out locked:0");
    ck_assert_int_eq(coro_future_cancelled(&t[2].task.fut), 1);
    ck_assert_int_eq(coro_future_cancelled(&t[4].task.fut), 1);
    ck_assert_int_eq(coro_future_cancelled(&t[5].task.fut), 0);
}
END_TEST

static int lock_woken_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_LOCK_ACQUIRE(co, &lock);
    spawn("A", lock_worker);
    spawn("B", lock_worker);
    spawn("C", lock_worker);
    CORO_SLEEP(co, &loop, 0);
    coro_lock_release(&lock);
    coro_task_cancel(&t[1].task);
    trace("main:locked:%d", coro_lock_locked(&lock));
    CORO_SLEEP(co, &loop, 0);
    trace("main:locked:%d", coro_lock_locked(&lock));
    UNTIL_DONE(co, f, 1, 4);
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_END(co);
}

/* A is handed the lock and cancelled before it runs: the lock goes to B.
 *
 * async def worker(me):             # the worker above, without its 'C' branch
 *     held = False
 *     try:
 *         T.append(me + ':wait')
 *         await lock.acquire()
 *         held = True
 *         T.append(me + ':in')
 *         await asyncio.sleep(0)
 *         T.append(me + ':out')
 *     except asyncio.CancelledError as e:
 *         T.append(me + ':' + name(e) + ':locked:%d' % lock.locked())
 *         raise
 *     finally:
 *         if held: lock.release()
 * async def main():
 *     global lock
 *     lock = asyncio.Lock()
 *     await lock.acquire()
 *     a, b, c = spawn(worker('A')), spawn(worker('B')), spawn(worker('C'))
 *     await asyncio.sleep(0)
 *     lock.release()                     # A is handed the lock...
 *     a.cancel()                         # ...and cancelled before it runs
 *     T.append('main:locked:%d' % lock.locked())
 *     await asyncio.sleep(0)
 *     T.append('main:locked:%d' % lock.locked())
 *     await until_done(a, b, c)
 *     T.append('locked:%d' % lock.locked())
 * run(main)
 */
START_TEST(test_lock_handed_to_waiter_cancelled_before_it_ran_goes_to_next)
{
    setup();
    coro_lock_init(&lock, &loop);
    spawn("main", lock_woken_cancel_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait main:locked:0 A:CORO_ECANCELLED:locked:0 "
                    "main:locked:0 B:in B:out C:in C:out locked:0");
    ck_assert_int_eq(coro_lock_locked(&lock), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 2. Event                                                                 */
/* ------------------------------------------------------------------------ */

static int event_waiter(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    trace("%s:wait", f->name);
    CORO_EVENT_WAIT(co, &ev);
    trace("%s:woke:set:%d", f->name, coro_event_is_set(&ev));
    CORO_END(co);
}

static int event_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    spawn("A", event_waiter);
    spawn("B", event_waiter);
    spawn("C", event_waiter);
    CORO_SLEEP(co, &loop, 0);
    trace("set");
    coro_event_set(&ev);
    coro_event_set(&ev);
    trace("is_set:%d", coro_event_is_set(&ev));
    coro_event_clear(&ev);
    trace("clear:is_set:%d", coro_event_is_set(&ev));
    UNTIL_DONE(co, f, 1, 4);
    spawn("D", event_waiter);
    CORO_SLEEP(co, &loop, 100 * MS);
    trace("set");
    coro_event_set(&ev);
    spawn("E", event_waiter);
    UNTIL_DONE(co, f, 4, 6);
    CORO_END(co);
}

/* async def waiter(me):
 *     T.append(me + ':wait')
 *     await ev.wait()
 *     T.append(me + ':woke:set:%d' % ev.is_set())
 * async def main():
 *     global ev
 *     ev = asyncio.Event()
 *     ts = [spawn(waiter(n)) for n in 'ABC']
 *     await asyncio.sleep(0)
 *     T.append('set')
 *     ev.set()
 *     ev.set()                           # already set: nothing more
 *     T.append('is_set:%d' % ev.is_set())
 *     ev.clear()                         # before they run: they still wake
 *     T.append('clear:is_set:%d' % ev.is_set())
 *     await until_done(*ts)
 *     d = spawn(waiter('D'))
 *     await asyncio.sleep(0.1)
 *     T.append('set')
 *     ev.set()
 *     e = spawn(waiter('E'))             # the flag is set: no wait
 *     await until_done(d, e)
 * run(main)
 */
START_TEST(test_event_set_wakes_every_waiter_in_order_and_clear_rearms)
{
    setup();
    coro_event_init(&ev, &loop);
    spawn("main", event_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait set is_set:1 clear:is_set:0 A:woke:set:0 "
                    "B:woke:set:0 C:woke:set:0 D:wait set D:woke:set:1 E:wait E:woke:set:1");
}
END_TEST

static int event_cancel_waiter(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:wait", f->name);
        CORO_EVENT_WAIT(co, &ev);
        trace("%s:woke", f->name);
    } CORO_FINALLY(co, &f->fin) {
        trace_pending(f, coro_error(&f->fin));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static int event_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    static const char *const names[] = { "A", "B", "C", "D" };
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 4; f->i++)
        spawn(names[f->i], event_cancel_waiter);
    CORO_SLEEP(co, &loop, 0);
    coro_task_cancel(&t[2].task);
    trace("cancel:B");
    CORO_SLEEP(co, &loop, 0);
    coro_event_set(&ev);
    coro_task_cancel(&t[4].task);
    trace("set:cancel:D");
    UNTIL_DONE(co, f, 1, 5);
    CORO_END(co);
}

/* async def waiter(me):
 *     try:
 *         T.append(me + ':wait')
 *         await ev.wait()
 *         T.append(me + ':woke')
 *     except asyncio.CancelledError as e:
 *         T.append(me + ':' + name(e))
 *         raise
 * async def main():
 *     global ev
 *     ev = asyncio.Event()
 *     ts = [spawn(waiter(n)) for n in 'ABCD']
 *     await asyncio.sleep(0)
 *     ts[1].cancel()                     # B: while waiting
 *     T.append('cancel:B')
 *     await asyncio.sleep(0)
 *     ev.set()
 *     ts[3].cancel()                     # D: woken, not run yet
 *     T.append('set:cancel:D')
 *     await until_done(*ts)
 * run(main)
 */
START_TEST(test_event_cancelled_waiter_gets_ecancelled_others_wake)
{
    setup();
    coro_event_init(&ev, &loop);
    spawn("main", event_cancel_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait D:wait cancel:B B:CORO_ECANCELLED set:cancel:D "
                    "A:woke C:woke D:CORO_ECANCELLED");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 3. Condition                                                             */
/* ------------------------------------------------------------------------ */

static int cond_waiter(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("%s:wait", f->name);
    CORO_CONDITION_WAIT(co, &cond, &f->cw);
    trace("%s:woke:locked:%d", f->name, coro_lock_locked(&lock));
    CORO_SLEEP(co, &loop, 0);
    trace("%s:out", f->name);
    coro_lock_release(&lock);
    CORO_END(co);
}

static int cond_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    static const char *const names[] = { "A", "B", "C", "D", "E" };
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 5; f->i++)
        spawn(names[f->i], cond_waiter);
    CORO_SLEEP(co, &loop, 0);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("notify:1");
    ck_assert_int_eq(coro_condition_notify(&cond, 1), 0);
    coro_lock_release(&lock);
    CORO_SLEEP(co, &loop, 100 * MS);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("notify:2");
    ck_assert_int_eq(coro_condition_notify(&cond, 2), 0);
    CORO_SLEEP(co, &loop, 0);
    trace("main:out");
    coro_lock_release(&lock);
    CORO_SLEEP(co, &loop, 100 * MS);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("notify_all");
    ck_assert_int_eq(coro_condition_notify_all(&cond), 0);
    coro_lock_release(&lock);
    UNTIL_DONE(co, f, 1, 6);
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_END(co);
}

/* Same line with 3.11's asyncio.Condition.
 *
 * async def waiter(me):
 *     await lock.acquire()
 *     T.append(me + ':wait')
 *     await cond.wait()
 *     T.append(me + ':woke:locked:%d' % lock.locked())
 *     await asyncio.sleep(0)
 *     T.append(me + ':out')
 *     lock.release()
 * async def main():
 *     global lock, cond
 *     lock = asyncio.Lock()
 *     cond = Condition(lock)
 *     ts = [spawn(waiter(n)) for n in 'ABCDE']
 *     await asyncio.sleep(0)
 *     await lock.acquire()
 *     T.append('notify:1')
 *     cond.notify(1)
 *     lock.release()
 *     await asyncio.sleep(0.1)
 *     await lock.acquire()
 *     T.append('notify:2')
 *     cond.notify(2)
 *     await asyncio.sleep(0)             # B and C wait for the lock meanwhile
 *     T.append('main:out')
 *     lock.release()
 *     await asyncio.sleep(0.1)
 *     await lock.acquire()
 *     T.append('notify_all')
 *     cond.notify_all()
 *     lock.release()
 *     await until_done(*ts)
 *     T.append('locked:%d' % lock.locked())
 * run(main)
 */
START_TEST(test_condition_notify_one_two_all_in_order_and_reacquire)
{
    setup();
    coro_lock_init(&lock, &loop);
    coro_condition_init(&cond, &lock);
    spawn("main", cond_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait D:wait E:wait notify:1 A:woke:locked:1 A:out "
                    "notify:2 main:out B:woke:locked:1 B:out C:woke:locked:1 C:out "
                    "notify_all D:woke:locked:1 D:out E:woke:locked:1 E:out locked:0");
}
END_TEST

/* A generator that does `await cond.wait()`, to catch what it raises. */
struct cond_wait_gen {
    struct coro co;
    struct coro_condition_waiter cw;
};

static int cond_wait_body(struct coro *co)
{
    struct cond_wait_gen *g = (struct cond_wait_gen *)co;
    CORO_BEGIN(co);
    CORO_CONDITION_WAIT(co, &cond, &g->cw);
    CORO_END(co);
}

static struct cond_wait_gen misuse_gen;

static int cond_misuse_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    trace("notify:%s", trace_errname(coro_condition_notify(&cond, 1)));
    trace("notify_all:%s", trace_errname(coro_condition_notify_all(&cond)));
    coro_init(&misuse_gen.co, cond_wait_body);
    CORO_AWAIT_CATCH(co, &misuse_gen.co, f->r, f->err);
    trace("wait:%s", trace_errname(f->err));
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("notify:%s", trace_errname(coro_condition_notify(&cond, 1)));
    coro_lock_release(&lock);
    CORO_END(co);
}

/* async def main():
 *     lock = asyncio.Lock()
 *     cond = Condition(lock)
 *     try: cond.notify(1)
 *     except RuntimeError: T.append('notify:CORO_ESTATE')
 *     try: cond.notify_all()
 *     except RuntimeError: T.append('notify_all:CORO_ESTATE')
 *     try: await cond.wait()
 *     except RuntimeError: T.append('wait:CORO_ESTATE')
 *     T.append('locked:%d' % lock.locked())
 *     await lock.acquire()
 *     cond.notify(1)                     # nobody waits: nothing happens
 *     T.append('notify:0')
 *     lock.release()
 * run(main)
 */
START_TEST(test_condition_notify_or_wait_without_lock_is_estate)
{
    setup();
    coro_lock_init(&lock, &loop);
    coro_condition_init(&cond, &lock);
    spawn("main", cond_misuse_main);
    run();
    ck_assert_trace("notify:CORO_ESTATE notify_all:CORO_ESTATE wait:CORO_ESTATE locked:0 "
                    "notify:0");
    ck_assert_ptr_null(cond.waiters.tail);
}
END_TEST

/* The waiters of the condition cancellation tests. */
static int cond_cancel_waiter(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        CORO_LOCK_ACQUIRE(co, &lock);
        f->held = 1;
        trace("%s:wait", f->name);
        CORO_CONDITION_WAIT(co, &cond, &f->cw);
        trace("%s:woke", f->name);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("%s:%s:locked:%d", f->name, trace_errname(coro_error(&f->fin)),
                  coro_lock_locked(&lock));
        if (f->held)
            coro_lock_release(&lock);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static int cond_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    spawn("A", cond_cancel_waiter);
    spawn("B", cond_cancel_waiter);
    spawn("C", cond_cancel_waiter);
    CORO_SLEEP(co, &loop, 0);
    CORO_LOCK_ACQUIRE(co, &lock);
    coro_task_cancel(&t[2].task);
    trace("cancel:B");
    CORO_SLEEP(co, &loop, 100 * MS);
    trace("main:release");
    coro_lock_release(&lock);
    CORO_SLEEP(co, &loop, 100 * MS);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("notify_all");
    coro_condition_notify_all(&cond);
    coro_lock_release(&lock);
    UNTIL_DONE(co, f, 1, 4);
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_END(co);
}

/* B, never notified, is cancelled: it takes the lock back before it raises,
 * and wakes nobody. Same line with 3.11's asyncio.Condition.
 *
 * async def waiter(me):
 *     await lock.acquire()
 *     try:
 *         T.append(me + ':wait')
 *         await cond.wait()
 *         T.append(me + ':woke')
 *     except asyncio.CancelledError as e:
 *         T.append(me + ':' + name(e) + ':locked:%d' % lock.locked())
 *         raise
 *     finally:
 *         lock.release()
 * async def main():
 *     global lock, cond
 *     lock = asyncio.Lock()
 *     cond = Condition(lock)
 *     ts = [spawn(waiter(n)) for n in 'ABC']
 *     await asyncio.sleep(0)
 *     await lock.acquire()
 *     ts[1].cancel()                     # B: waiting, not notified
 *     T.append('cancel:B')
 *     await asyncio.sleep(0.1)           # B must have the lock back to raise
 *     T.append('main:release')
 *     lock.release()
 *     await asyncio.sleep(0.1)
 *     await lock.acquire()
 *     T.append('notify_all')
 *     cond.notify_all()
 *     lock.release()
 *     await until_done(*ts)
 *     T.append('locked:%d' % lock.locked())
 * run(main)
 */
START_TEST(test_condition_cancelled_waiter_reacquires_lock_before_raising)
{
    setup();
    coro_lock_init(&lock, &loop);
    coro_condition_init(&cond, &lock);
    spawn("main", cond_cancel_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait cancel:B main:release B:CORO_ECANCELLED:locked:1 "
                    "notify_all A:woke C:woke locked:0");
}
END_TEST

static int cond_woken_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    spawn("A", cond_cancel_waiter);
    spawn("B", cond_cancel_waiter);
    spawn("C", cond_cancel_waiter);
    CORO_SLEEP(co, &loop, 0);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("notify:1");
    coro_condition_notify(&cond, 1);
    coro_task_cancel(&t[1].task);
    coro_lock_release(&lock);
    CORO_SLEEP(co, &loop, 100 * MS);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("notify:1");
    coro_condition_notify(&cond, 1);
    coro_lock_release(&lock);
    UNTIL_DONE(co, f, 1, 4);
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_END(co);
}

/* A is notified and cancelled before it runs: its notification goes to B.
 * 3.11's asyncio.Condition loses it, and C is never notified: it prints
 * "A:wait B:wait C:wait notify:1 A:CORO_ECANCELLED:locked:1 notify:1 B:woke
 * <stuck>".
 *
 * async def waiter(me):              # as above
 * async def main():
 *     global lock, cond
 *     lock = asyncio.Lock()
 *     cond = Condition(lock)
 *     ts = [spawn(waiter(n)) for n in 'ABC']
 *     await asyncio.sleep(0)
 *     await lock.acquire()
 *     T.append('notify:1')
 *     cond.notify(1)                     # A is notified...
 *     ts[0].cancel()                     # ...and cancelled before it runs
 *     lock.release()
 *     await asyncio.sleep(0.1)
 *     await lock.acquire()
 *     T.append('notify:1')
 *     cond.notify(1)
 *     lock.release()
 *     await until_done(*ts)
 *     T.append('locked:%d' % lock.locked())
 * run(main)
 */
START_TEST(test_condition_notified_then_cancelled_passes_notification_on)
{
    setup();
    coro_lock_init(&lock, &loop);
    coro_condition_init(&cond, &lock);
    spawn("main", cond_woken_cancel_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait notify:1 A:CORO_ECANCELLED:locked:1 B:woke notify:1 "
                    "C:woke locked:0");
}
END_TEST

static int cond_second_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    static const char *const names[] = { "A", "B", "C", "D" };
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 4; f->i++)
        spawn(names[f->i], cond_cancel_waiter);
    CORO_SLEEP(co, &loop, 0);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("notify:2");
    coro_condition_notify(&cond, 2);
    coro_task_cancel(&t[2].task);
    coro_lock_release(&lock);
    UNTIL_DONE(co, f, 1, 4);
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_LOCK_ACQUIRE(co, &lock);
    coro_condition_notify(&cond, 1);
    coro_lock_release(&lock);
    UNTIL_DONE(co, f, 4, 5);
    trace("done");
    CORO_END(co);
}

/* A and B are notified; B, the second, is cancelled before it runs: A keeps
 * its notification, B's goes to C, and D waits for the next notify. 3.11's
 * asyncio.Condition loses B's: it prints "A:wait B:wait C:wait D:wait
 * notify:2 A:woke B:CORO_ECANCELLED:locked:1 <stuck>".
 *
 * async def waiter(me):              # as above
 * async def main():
 *     global lock, cond
 *     lock = asyncio.Lock()
 *     cond = Condition(lock)
 *     ts = [spawn(waiter(n)) for n in 'ABCD']
 *     await asyncio.sleep(0)
 *     await lock.acquire()
 *     T.append('notify:2')
 *     cond.notify(2)                     # A and B are notified...
 *     ts[1].cancel()                     # ...B is cancelled before it runs
 *     lock.release()
 *     await until_done(*ts[:3])
 *     T.append('locked:%d' % lock.locked())
 *     await lock.acquire()
 *     cond.notify(1)
 *     lock.release()
 *     await until_done(*ts)
 *     T.append('done')
 * run(main)
 */
START_TEST(test_condition_second_notified_then_cancelled_passes_notification_on)
{
    setup();
    coro_lock_init(&lock, &loop);
    coro_condition_init(&cond, &lock);
    spawn("main", cond_second_cancel_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait D:wait notify:2 A:woke B:CORO_ECANCELLED:locked:1 "
                    "C:woke locked:0 D:woke done");
}
END_TEST

static int cond_reacquire_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    spawn("A", cond_cancel_waiter);
    spawn("B", cond_cancel_waiter);
    CORO_SLEEP(co, &loop, 0);
    CORO_LOCK_ACQUIRE(co, &lock);
    trace("notify:1");
    coro_condition_notify(&cond, 1);
    CORO_SLEEP(co, &loop, 0);
    coro_task_cancel(&t[1].task);
    trace("cancel:A");
    CORO_SLEEP(co, &loop, 0);
    trace("main:release");
    coro_lock_release(&lock);
    UNTIL_DONE(co, f, 1, 3);
    trace("locked:%d", coro_lock_locked(&lock));
    CORO_END(co);
}

/* A, notified, is cancelled while it waits to take the lock back: it keeps
 * waiting for the lock, raises once it has it, and passes the notification
 * to B. With 3.11's asyncio.Condition B is never notified: "A:wait B:wait
 * notify:1 cancel:A main:release A:CORO_ECANCELLED:locked:1 <stuck>".
 *
 * async def waiter(me):              # as above
 * async def main():
 *     global lock, cond
 *     lock = asyncio.Lock()
 *     cond = Condition(lock)
 *     a, b = spawn(waiter('A')), spawn(waiter('B'))
 *     await asyncio.sleep(0)
 *     await lock.acquire()
 *     T.append('notify:1')
 *     cond.notify(1)
 *     await asyncio.sleep(0)             # A is notified, waits for the lock
 *     a.cancel()                         # cancelled while it waits for the lock
 *     T.append('cancel:A')
 *     await asyncio.sleep(0)             # A waits for the lock again
 *     T.append('main:release')
 *     lock.release()
 *     await until_done(a, b)
 *     T.append('locked:%d' % lock.locked())
 * run(main)
 */
START_TEST(test_condition_cancelled_while_reacquiring_still_reacquires)
{
    setup();
    coro_lock_init(&lock, &loop);
    coro_condition_init(&cond, &lock);
    spawn("main", cond_reacquire_cancel_main);
    run();
    ck_assert_trace("A:wait B:wait notify:1 cancel:A main:release A:CORO_ECANCELLED:locked:1 "
                    "B:woke locked:0");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 4. Semaphore and BoundedSemaphore                                        */
/* ------------------------------------------------------------------------ */

static int sem_worker(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    trace("%s:wait", f->name);
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("%s:in:%d", f->name, coro_semaphore_value(&sem));
    CORO_SLEEP(co, &loop, f->delay);
    trace("%s:out", f->name);
    coro_semaphore_release(&sem);
    CORO_END(co);
}

static int sem_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    static const char *const names[] = { "A", "B", "C", "D", "E" };
    CORO_BEGIN(co);
    trace("locked:%d", coro_semaphore_locked(&sem));
    for (f->i = 0; f->i < 5; f->i++)
        spawn(names[f->i], sem_worker)->delay = f->i == 0 ? 350 * MS : 100 * MS;
    CORO_SLEEP(co, &loop, 0);
    trace("locked:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    UNTIL_DONE(co, f, 1, 6);
    trace("locked:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    CORO_END(co);
}

/* async def worker(me, hold):
 *     T.append(me + ':wait')
 *     await sem.acquire()
 *     T.append(me + ':in:%d' % sem._value)
 *     await asyncio.sleep(hold)
 *     T.append(me + ':out')
 *     sem.release()
 * async def main():
 *     global sem
 *     sem = asyncio.Semaphore(2)
 *     T.append('locked:%d' % sem.locked())
 *     ts = [spawn(worker('A', 0.35)), spawn(worker('B', 0.1)), spawn(worker('C', 0.1)),
 *           spawn(worker('D', 0.1)), spawn(worker('E', 0.1))]
 *     await asyncio.sleep(0)
 *     T.append('locked:%d:%d' % (sem.locked(), sem._value))
 *     await until_done(*ts)
 *     T.append('locked:%d:%d' % (sem.locked(), sem._value))
 * run(main)
 */
START_TEST(test_semaphore_counts_permits_and_wakes_fifo)
{
    setup();
    ck_assert_int_eq(coro_semaphore_init(&sem, &loop, 2, 0), 0);
    spawn("main", sem_main);
    run();
    ck_assert_trace("locked:0 A:wait A:in:1 B:wait B:in:0 C:wait D:wait E:wait locked:1:0 "
                    "B:out C:in:0 C:out D:in:0 D:out E:in:0 A:out E:out locked:0:2");
}
END_TEST

static int sem_nobarge_holder(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("H:in");
    CORO_SLEEP(co, &loop, 0);
    coro_semaphore_release(&sem);
    trace("H:rel:locked:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    trace("H:wait");
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("H:in");
    coro_semaphore_release(&sem);
    CORO_END(co);
}

static int sem_nobarge_waiter(struct coro *co)
{
    CORO_BEGIN(co);
    trace("W:wait");
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("W:in");
    CORO_SLEEP(co, &loop, 0);
    trace("W:out");
    coro_semaphore_release(&sem);
    CORO_END(co);
}

static int sem_nobarge_barger(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 0);
    trace("X:wait:locked:%d", coro_semaphore_locked(&sem));
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("X:in");
    coro_semaphore_release(&sem);
    CORO_END(co);
}

static int sem_nobarge_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    spawn("H", sem_nobarge_holder);
    spawn("W", sem_nobarge_waiter);
    spawn("X", sem_nobarge_barger);
    UNTIL_DONE(co, f, 1, 4);
    trace("locked:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    CORO_END(co);
}

/* async def holder():
 *     await sem.acquire()
 *     T.append('H:in')
 *     await asyncio.sleep(0)
 *     sem.release()
 *     T.append('H:rel:locked:%d:%d' % (sem.locked(), sem._value))
 *     T.append('H:wait')
 *     await sem.acquire()
 *     T.append('H:in')
 *     sem.release()
 * async def waiter():
 *     T.append('W:wait')
 *     await sem.acquire()
 *     T.append('W:in')
 *     await asyncio.sleep(0)
 *     T.append('W:out')
 *     sem.release()
 * async def barger():
 *     await asyncio.sleep(0)
 *     T.append('X:wait:locked:%d' % sem.locked())
 *     await sem.acquire()
 *     T.append('X:in')
 *     sem.release()
 * async def main():
 *     global sem
 *     sem = asyncio.Semaphore(1)
 *     await until_done(spawn(holder()), spawn(waiter()), spawn(barger()))
 *     T.append('locked:%d:%d' % (sem.locked(), sem._value))
 * run(main)
 */
START_TEST(test_semaphore_no_barging_while_woken_waiter_has_not_run)
{
    setup();
    coro_semaphore_init(&sem, &loop, 1, 0);
    spawn("main", sem_nobarge_main);
    run();
    ck_assert_trace("H:in W:wait H:rel:locked:1:0 H:wait X:wait:locked:1 W:in W:out H:in X:in "
                    "locked:0:1");
}
END_TEST

static int sem_chain_holder(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("%s:in", f->name);
    CORO_SLEEP(co, &loop, 0);
    coro_semaphore_release(&sem);
    trace("%s:rel:%d:%d", f->name, coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    CORO_END(co);
}

static int sem_chain_waiter(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    if (f->delay == 0)
        CORO_SLEEP(co, &loop, 0);
    trace("%s:wait:locked:%d", f->name, coro_semaphore_locked(&sem));
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("%s:in:%d", f->name, coro_semaphore_value(&sem));
    CORO_SLEEP(co, &loop, 0);
    trace("%s:out", f->name);
    coro_semaphore_release(&sem);
    CORO_END(co);
}

static int sem_chain_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    spawn("A", sem_chain_holder);
    spawn("B", sem_chain_holder);
    spawn("W", sem_chain_waiter)->delay = -1;      /* no sleep first */
    spawn("X", sem_chain_waiter);
    UNTIL_DONE(co, f, 1, 5);
    trace("locked:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    CORO_END(co);
}

/* A hands its permit to W; B's permit is then free, but X, arriving before W
 * has run, still waits (W has not taken its permit yet); W, when it runs,
 * sees a permit left and hands it to X.
 *
 * async def holder(me):
 *     await sem.acquire()
 *     T.append(me + ':in')
 *     await asyncio.sleep(0)
 *     sem.release()
 *     T.append(me + ':rel:%d:%d' % (sem.locked(), sem._value))
 * async def waiter(me):
 *     T.append(me + ':wait:locked:%d' % sem.locked())
 *     await sem.acquire()
 *     T.append(me + ':in:%d' % sem._value)
 *     await asyncio.sleep(0)
 *     T.append(me + ':out')
 *     sem.release()
 * async def late(me):
 *     await asyncio.sleep(0)             # runs after both releases, before W
 *     await waiter(me)
 * async def main():
 *     global sem
 *     sem = asyncio.Semaphore(2)
 *     await until_done(spawn(holder('A')), spawn(holder('B')), spawn(waiter('W')),
 *                      spawn(late('X')))
 *     T.append('locked:%d:%d' % (sem.locked(), sem._value))
 * run(main)
 */
START_TEST(test_semaphore_woken_waiter_hands_a_left_permit_to_the_next)
{
    setup();
    coro_semaphore_init(&sem, &loop, 2, 0);
    spawn("main", sem_chain_main);
    run();
    ck_assert_trace("A:in B:in W:wait:locked:1 A:rel:1:0 B:rel:1:1 X:wait:locked:1 W:in:0 "
                    "X:in:0 W:out X:out locked:0:2");
}
END_TEST

static void trace_release(void)
{
    trace("release:%s", trace_errname(coro_semaphore_release(&sem)));
}

static int bsem_holder(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("H:in:%d", coro_semaphore_value(&sem));
    CORO_SLEEP(co, &loop, 0);
    trace_release();
    trace_release();
    trace("H:%d", coro_semaphore_value(&sem));
    CORO_END(co);
}

static int bsem_waiter(struct coro *co)
{
    CORO_BEGIN(co);
    trace("W:wait");
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("W:in:%d", coro_semaphore_value(&sem));
    trace_release();
    trace("W:%d", coro_semaphore_value(&sem));
    CORO_END(co);
}

static int bsem_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    trace("init:%s", coro_errname(coro_semaphore_init(&sem, &loop, -1, 0)));
    coro_semaphore_init(&sem, &loop, 2, 1);
    trace_release();
    trace("value:%d", coro_semaphore_value(&sem));
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    trace("locked:%d", coro_semaphore_locked(&sem));
    trace_release();
    trace_release();
    trace_release();
    trace("value:%d", coro_semaphore_value(&sem));
    coro_semaphore_init(&sem, &loop, 1, 1);
    spawn("H", bsem_holder);
    spawn("W", bsem_waiter);
    UNTIL_DONE(co, f, 1, 3);
    trace("value:%d", coro_semaphore_value(&sem));
    coro_semaphore_init(&sem, &loop, 1, 0);
    trace_release();
    trace_release();
    trace("value:%d", coro_semaphore_value(&sem));
    CORO_END(co);
}

/* As in 3.11, a permit handed to a woken waiter no longer counts in the
 * value, so the holder's second release is accepted and the waiter's own
 * release is the one over the bound.
 *
 * def release(s):
 *     try:
 *         s.release()
 *         T.append('release:0')
 *     except ValueError:
 *         T.append('release:CORO_EFULL')
 * async def holder():
 *     await sem.acquire()
 *     T.append('H:in:%d' % sem._value)
 *     await asyncio.sleep(0)
 *     release(sem)                       # W is handed the permit
 *     release(sem)                       # the permit W holds now comes back
 *     T.append('H:%d' % sem._value)
 * async def waiter():
 *     T.append('W:wait')
 *     await sem.acquire()
 *     T.append('W:in:%d' % sem._value)
 *     release(sem)                       # over the bound now
 *     T.append('W:%d' % sem._value)
 * async def main():
 *     global sem
 *     try: asyncio.Semaphore(-1)
 *     except ValueError: T.append('init:CORO_EINVAL')
 *     sem = asyncio.BoundedSemaphore(2)
 *     release(sem)                       # at its initial value: too many
 *     T.append('value:%d' % sem._value)
 *     await sem.acquire()
 *     await sem.acquire()
 *     T.append('locked:%d' % sem.locked())
 *     release(sem)
 *     release(sem)
 *     release(sem)
 *     T.append('value:%d' % sem._value)
 *     sem = asyncio.BoundedSemaphore(1)
 *     await until_done(spawn(holder()), spawn(waiter()))
 *     T.append('value:%d' % sem._value)
 *     sem = asyncio.Semaphore(1)         # unbounded: any number of releases
 *     release(sem)
 *     release(sem)
 *     T.append('value:%d' % sem._value)
 * run(main)
 */
START_TEST(test_bounded_semaphore_released_too_many_times_is_efull)
{
    setup();
    spawn("main", bsem_main);
    run();
    ck_assert_trace("init:CORO_EINVAL release:CORO_EFULL value:2 locked:1 release:0 release:0 "
                    "release:CORO_EFULL value:2 H:in:0 W:wait release:0 release:0 H:1 W:in:1 "
                    "release:CORO_EFULL W:1 value:1 release:0 release:0 value:3");
}
END_TEST

static int sem_cancel_worker(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:wait", f->name);
        CORO_SEMAPHORE_ACQUIRE(co, &sem);
        f->held = 1;
        trace("%s:in:%d", f->name, coro_semaphore_value(&sem));
        CORO_SLEEP(co, &loop, 0);
        trace("%s:out", f->name);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("%s:%s:%d", f->name, trace_errname(coro_error(&f->fin)),
                  coro_semaphore_value(&sem));
        if (f->held)
            coro_semaphore_release(&sem);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static int sem_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    static const char *const names[] = { "A", "B", "C", "D" };
    CORO_BEGIN(co);
    CORO_SEMAPHORE_ACQUIRE(co, &sem);
    for (f->i = 0; f->i < 4; f->i++)
        spawn(names[f->i], sem_cancel_worker);
    CORO_SLEEP(co, &loop, 0);
    coro_task_cancel(&t[2].task);
    trace("cancel:B");
    CORO_SLEEP(co, &loop, 0);
    coro_semaphore_release(&sem);
    coro_task_cancel(&t[1].task);
    trace("release:cancel:A:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    CORO_SLEEP(co, &loop, 0);
    trace("main:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    UNTIL_DONE(co, f, 1, 5);
    trace("locked:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    CORO_END(co);
}

/* B is cancelled while waiting; A is handed the permit and cancelled before
 * it runs: the permit goes to C.
 *
 * async def worker(me):
 *     held = False
 *     try:
 *         T.append(me + ':wait')
 *         await sem.acquire()
 *         held = True
 *         T.append(me + ':in:%d' % sem._value)
 *         await asyncio.sleep(0)
 *         T.append(me + ':out')
 *     except asyncio.CancelledError as e:
 *         T.append(me + ':' + name(e) + ':%d' % sem._value)
 *         raise
 *     finally:
 *         if held: sem.release()
 * async def main():
 *     global sem
 *     sem = asyncio.Semaphore(1)
 *     await sem.acquire()
 *     ts = [spawn(worker(n)) for n in 'ABCD']
 *     await asyncio.sleep(0)
 *     ts[1].cancel()                     # B: while waiting
 *     T.append('cancel:B')
 *     await asyncio.sleep(0)
 *     sem.release()                      # A is handed the permit...
 *     ts[0].cancel()                     # ...and cancelled before it runs
 *     T.append('release:cancel:A:%d:%d' % (sem.locked(), sem._value))
 *     await asyncio.sleep(0)
 *     T.append('main:%d:%d' % (sem.locked(), sem._value))
 *     await until_done(*ts)
 *     T.append('locked:%d:%d' % (sem.locked(), sem._value))
 * run(main)
 */
START_TEST(test_semaphore_cancelled_waiters_and_permit_of_cancelled_woken_waiter)
{
    setup();
    coro_semaphore_init(&sem, &loop, 1, 0);
    spawn("main", sem_cancel_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait D:wait cancel:B B:CORO_ECANCELLED:0 "
                    "release:cancel:A:1:0 A:CORO_ECANCELLED:0 main:1:0 C:in:0 C:out D:in:0 "
                    "D:out locked:0:1");
}
END_TEST

static int sem_second_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    static const char *const names[] = { "A", "B", "C", "D" };
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 4; f->i++)
        spawn(names[f->i], sem_cancel_worker);
    CORO_SLEEP(co, &loop, 0);
    coro_semaphore_release(&sem);
    coro_semaphore_release(&sem);
    coro_task_cancel(&t[2].task);
    trace("release:2:cancel:B:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    UNTIL_DONE(co, f, 1, 5);
    trace("locked:%d:%d", coro_semaphore_locked(&sem), coro_semaphore_value(&sem));
    CORO_END(co);
}

/* A and B are handed a permit; B, the second, is cancelled before it runs:
 * A keeps its permit, B's goes to C.
 *
 * async def worker(me):              # as above
 * async def main():
 *     global sem
 *     sem = asyncio.Semaphore(0)
 *     ts = [spawn(worker(n)) for n in 'ABCD']
 *     await asyncio.sleep(0)
 *     sem.release()                      # A and B are handed a permit...
 *     sem.release()
 *     ts[1].cancel()                     # ...B is cancelled before it runs
 *     T.append('release:2:cancel:B:%d:%d' % (sem.locked(), sem._value))
 *     await until_done(*ts)
 *     T.append('locked:%d:%d' % (sem.locked(), sem._value))
 * run(main)
 */
START_TEST(test_semaphore_second_woken_waiter_cancelled_passes_its_permit_on)
{
    setup();
    coro_semaphore_init(&sem, &loop, 0, 0);
    spawn("main", sem_second_cancel_main);
    run();
    ck_assert_trace("A:wait B:wait C:wait D:wait release:2:cancel:B:1:0 A:in:0 "
                    "B:CORO_ECANCELLED:0 A:out C:in:0 D:in:0 C:out D:out locked:0:2");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 5. Queue                                                                 */
/* ------------------------------------------------------------------------ */

static int q_producer(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    for (f->i = 1; f->i < 6; f->i++) {
        trace("put:%d", f->i);
        CORO_QUEUE_PUT(co, &q, coro_int(f->i));
        trace("P:%d:size:%d", f->i, (int)coro_queue_size(&q));
    }
    CORO_SLEEP(co, &loop, 500 * MS);
    trace("put:6");
    CORO_QUEUE_PUT(co, &q, coro_int(6));
    CORO_END(co);
}

static int q_consumer(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 100 * MS);
    for (f->i = 0; f->i < 6; f->i++) {
        trace("get");
        CORO_QUEUE_GET(co, &q, f->r);
        trace_value("G", f->r);
        CORO_SLEEP(co, &loop, 0);
    }
    CORO_END(co);
}

static int q_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    spawn("P", q_producer);
    spawn("C", q_consumer);
    UNTIL_DONE(co, f, 1, 3);
    trace("size:%d", (int)coro_queue_size(&q));
    CORO_END(co);
}

/* Same line with 3.11's asyncio.Queue.
 *
 * async def producer():
 *     for i in range(1, 6):
 *         T.append('put:%d' % i)
 *         await q.put(i)
 *         T.append('P:%d:size:%d' % (i, q.qsize()))
 *     await asyncio.sleep(0.5)
 *     T.append('put:6')
 *     await q.put(6)
 * async def consumer():
 *     await asyncio.sleep(0.1)
 *     for i in range(6):
 *         T.append('get')
 *         v = await q.get()
 *         T.append('G:%d' % v)
 *         await asyncio.sleep(0)
 * async def main():
 *     global q
 *     q = Queue(2)
 *     await until_done(spawn(producer()), spawn(consumer()))
 *     T.append('size:%d' % q.qsize())
 * run(main)
 */
START_TEST(test_queue_producer_waits_when_full_consumer_when_empty)
{
    setup();
    ck_assert_int_eq(coro_queue_init(&q, &loop, slots, 2), 0);
    spawn("main", q_main);
    run();
    ck_assert_trace("put:1 P:1:size:1 put:2 P:2:size:2 put:3 get G:1 P:3:size:2 put:4 get G:2 "
                    "P:4:size:2 put:5 get G:3 P:5:size:2 get G:4 get G:5 get put:6 G:6 size:0");
}
END_TEST

/* The getters and putters of the queue tests below. */
static int q_getter(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:get", f->name);
        CORO_QUEUE_GET(co, &q, f->r);
        trace_value(f->name, f->r);
    } CORO_FINALLY(co, &f->fin) {
        trace_pending(f, coro_error(&f->fin));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static int q_putter(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:put", f->name);
        CORO_QUEUE_PUT(co, &q, coro_int(f->v));
        trace("%s:done", f->name);
    } CORO_FINALLY(co, &f->fin) {
        trace_pending(f, coro_error(&f->fin));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static void trace_get_nowait(const char *tag)
{
    coro_value v = coro_int(-1);
    int rc = coro_queue_get_nowait(&q, &v);
    if (rc)
        trace("%s:%s", tag, trace_errname(rc));
    else
        trace_value(tag, v);
}

static int q_order_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    coro_queue_init(&q, &loop, slots, 3);
    spawn("G1", q_getter);
    spawn("G2", q_getter);
    spawn("G3", q_getter);
    CORO_SLEEP(co, &loop, 0);
    for (f->i = 1; f->i <= 3; f->i++)
        ck_assert_int_eq(coro_queue_put_nowait(&q, coro_int(10 * f->i)), 0);
    trace("put:10:20:30");
    UNTIL_DONE(co, f, 1, 4);
    coro_queue_init(&q, &loop, slots, 1);
    coro_queue_put_nowait(&q, coro_int(0));
    for (f->i = 1; f->i <= 3; f->i++)
        spawn(f->i == 1 ? "P1" : f->i == 2 ? "P2" : "P3", q_putter)->v = f->i;
    CORO_SLEEP(co, &loop, 0);
    for (f->i = 0; f->i < 4; f->i++) {
        trace_get_nowait("got");
        CORO_SLEEP(co, &loop, 0);
    }
    UNTIL_DONE(co, f, 4, 7);
    CORO_END(co);
}

/* Same line with 3.11's asyncio.Queue.
 *
 * async def getter(me):
 *     T.append(me + ':get')
 *     v = await q.get()
 *     T.append(me + ':%d' % v)
 * async def putter(me, v):
 *     T.append(me + ':put')
 *     await q.put(v)
 *     T.append(me + ':done')
 * async def main():
 *     global q
 *     q = Queue(3)
 *     gs = [spawn(getter(n)) for n in ('G1', 'G2', 'G3')]
 *     await asyncio.sleep(0)
 *     for v in (10, 20, 30):
 *         q.put_nowait(v)
 *     T.append('put:10:20:30')
 *     await until_done(*gs)
 *     q = Queue(1)
 *     q.put_nowait(0)
 *     ps = [spawn(putter(n, v)) for n, v in (('P1', 1), ('P2', 2), ('P3', 3))]
 *     await asyncio.sleep(0)
 *     for i in range(4):
 *         T.append('got:%d' % q.get_nowait())
 *         await asyncio.sleep(0)
 *     await until_done(*ps)
 * run(main)
 */
START_TEST(test_queue_wakes_getters_and_putters_in_fifo_order)
{
    setup();
    spawn("main", q_order_main);
    run();
    ck_assert_trace("G1:get G2:get G3:get put:10:20:30 G1:10 G2:20 G3:30 P1:put P2:put P3:put "
                    "got:0 P1:done got:1 P2:done got:2 P3:done got:3");
}
END_TEST

static void trace_put_nowait(int v)
{
    trace("put:%d:%s", v, trace_errname(coro_queue_put_nowait(&q, coro_int(v))));
}

static void trace_queue_state(void)
{
    trace("size:%d:empty:%d:full:%d", (int)coro_queue_size(&q), coro_queue_empty(&q),
          coro_queue_full(&q));
}

/* No task here: the nowait calls never wait. Same line with 3.11's
 * asyncio.Queue.
 *
 * def put(v):
 *     try:
 *         q.put_nowait(v)
 *         T.append('put:%d:0' % v)
 *     except asyncio.QueueFull:
 *         T.append('put:%d:CORO_EFULL' % v)
 * def get():
 *     try:
 *         T.append('get:%d' % q.get_nowait())
 *     except asyncio.QueueEmpty:
 *         T.append('get:CORO_EEMPTY')
 * def state():
 *     T.append('size:%d:empty:%d:full:%d' % (q.qsize(), q.empty(), q.full()))
 * async def main():
 *     global q
 *     q = Queue(2)
 *     state()
 *     get()
 *     put(1)
 *     state()
 *     put(2)
 *     state()
 *     put(3)
 *     get()
 *     put(4)
 *     get()
 *     get()
 *     get()
 *     state()
 *     for i in range(5, 12):             # around the ring
 *         put(i)
 *         get()
 *     state()
 *     q = Queue(3)
 *     put(1)
 *     put(2)
 *     for i in range(3, 10):             # two values stored, around the ring
 *         put(i)
 *         get()
 *     get()
 *     get()
 *     get()
 *     state()
 * run(main)
 */
START_TEST(test_queue_nowait_codes_and_size_empty_full)
{
    int i;
    setup();
    ck_assert_int_eq(coro_queue_init(&q, &loop, slots, 2), 0);
    trace_queue_state();
    trace_get_nowait("get");
    trace_put_nowait(1);
    trace_queue_state();
    trace_put_nowait(2);
    trace_queue_state();
    trace_put_nowait(3);
    trace_get_nowait("get");
    trace_put_nowait(4);
    trace_get_nowait("get");
    trace_get_nowait("get");
    trace_get_nowait("get");
    trace_queue_state();
    for (i = 5; i < 12; i++) {
        trace_put_nowait(i);
        trace_get_nowait("get");
    }
    trace_queue_state();
    ck_assert_int_eq(coro_queue_init(&q, &loop, slots, 3), 0);
    trace_put_nowait(1);
    trace_put_nowait(2);
    for (i = 3; i < 10; i++) {
        trace_put_nowait(i);
        trace_get_nowait("get");
    }
    trace_get_nowait("get");
    trace_get_nowait("get");
    trace_get_nowait("get");
    trace_queue_state();
    ck_assert_trace("size:0:empty:1:full:0 get:CORO_EEMPTY put:1:0 size:1:empty:0:full:0 "
                    "put:2:0 size:2:empty:0:full:1 put:3:CORO_EFULL get:1 put:4:0 get:2 get:4 "
                    "get:CORO_EEMPTY size:0:empty:1:full:0 put:5:0 get:5 put:6:0 get:6 put:7:0 "
                    "get:7 put:8:0 get:8 put:9:0 get:9 put:10:0 get:10 put:11:0 get:11 "
                    "size:0:empty:1:full:0 put:1:0 put:2:0 put:3:0 get:1 put:4:0 get:2 put:5:0 "
                    "get:3 put:6:0 get:4 put:7:0 get:5 put:8:0 get:6 put:9:0 get:7 get:8 get:9 "
                    "get:CORO_EEMPTY size:0:empty:1:full:0");
    /* get_nowait may drop the value */
    ck_assert_int_eq(coro_queue_put_nowait(&q, coro_int(1)), 0);
    ck_assert_int_eq(coro_queue_get_nowait(&q, NULL), 0);
    ck_assert_int_eq(coro_queue_get_nowait(&q, NULL), CORO_EEMPTY);
}
END_TEST

static int q_joiner(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:join", f->name);
        CORO_QUEUE_JOIN(co, &q);
        trace("%s:joined", f->name);
    } CORO_FINALLY(co, &f->fin) {
        trace_pending(f, coro_error(&f->fin));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static void trace_task_done(void)
{
    trace("done:%s", trace_errname(coro_queue_task_done(&q)));
}

static int q_join_consumer(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 3; f->i++) {
        CORO_QUEUE_GET(co, &q, f->r);
        trace_value("C", f->r);
        CORO_SLEEP(co, &loop, 100 * MS);
        trace_task_done();
    }
    CORO_END(co);
}

static int q_join_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    trace("J0:join");
    CORO_QUEUE_JOIN(co, &q);
    trace("J0:joined");
    trace_task_done();
    for (f->i = 1; f->i <= 3; f->i++)
        coro_queue_put_nowait(&q, coro_int(f->i));
    spawn("J1", q_joiner);
    spawn("J2", q_joiner);
    spawn("J3", q_joiner);
    spawn("C", q_join_consumer);
    CORO_SLEEP(co, &loop, 0);
    coro_task_cancel(&t[2].task);
    UNTIL_DONE(co, f, 1, 5);
    trace_task_done();
    coro_queue_put_nowait(&q, coro_int(4));
    coro_queue_get_nowait(&q, NULL);
    trace_task_done();
    trace("J4:join");
    CORO_QUEUE_JOIN(co, &q);
    trace("J4:joined");
    CORO_END(co);
}

/* J2 is cancelled while it waits; the others are woken, in order, by the
 * task_done that finishes the last value. Same line with 3.11's
 * asyncio.Queue.
 *
 * def task_done():
 *     try:
 *         q.task_done()
 *         T.append('done:0')
 *     except ValueError:
 *         T.append('done:CORO_ESTATE')
 * async def joiner(me):
 *     try:
 *         T.append(me + ':join')
 *         await q.join()
 *         T.append(me + ':joined')
 *     except asyncio.CancelledError as e:
 *         T.append(me + ':' + name(e))
 *         raise
 * async def consumer():
 *     for i in range(3):
 *         v = await q.get()
 *         T.append('C:%d' % v)
 *         await asyncio.sleep(0.1)
 *         task_done()
 * async def main():
 *     global q
 *     q = Queue(4)
 *     await joiner('J0')                 # nothing unfinished: no wait
 *     task_done()                        # more task_done than puts
 *     for v in (1, 2, 3):
 *         q.put_nowait(v)
 *     js = [spawn(joiner('J1')), spawn(joiner('J2')), spawn(joiner('J3'))]
 *     c = spawn(consumer())
 *     await asyncio.sleep(0)
 *     js[1].cancel()                     # J2: while it waits
 *     await until_done(c, *js)
 *     task_done()
 *     q.put_nowait(4)                    # still usable
 *     q.get_nowait()
 *     task_done()
 *     await joiner('J4')
 * run(main)
 */
START_TEST(test_queue_join_waits_for_task_done_and_too_many_is_estate)
{
    setup();
    coro_queue_init(&q, &loop, slots, 4);
    spawn("main", q_join_main);
    run();
    ck_assert_trace("J0:join J0:joined done:CORO_ESTATE J1:join J2:join J3:join C:1 "
                    "J2:CORO_ECANCELLED done:0 C:2 done:0 C:3 done:0 J1:joined J3:joined "
                    "done:CORO_ESTATE done:0 J4:join J4:joined");
}
END_TEST

static int q_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    coro_queue_init(&q, &loop, slots, 1);
    spawn("G1", q_getter);
    spawn("G2", q_getter);
    spawn("G3", q_getter);
    CORO_SLEEP(co, &loop, 0);
    coro_task_cancel(&t[2].task);
    trace("cancel:G2");
    CORO_SLEEP(co, &loop, 0);
    coro_queue_put_nowait(&q, coro_int(1));
    CORO_SLEEP(co, &loop, 0);
    coro_queue_put_nowait(&q, coro_int(2));
    UNTIL_DONE(co, f, 1, 4);
    coro_queue_put_nowait(&q, coro_int(0));
    for (f->i = 1; f->i <= 3; f->i++)
        spawn(f->i == 1 ? "P1" : f->i == 2 ? "P2" : "P3", q_putter)->v = f->i;
    CORO_SLEEP(co, &loop, 0);
    coro_task_cancel(&t[5].task);
    trace("cancel:P2");
    CORO_SLEEP(co, &loop, 0);
    for (f->i = 0; f->i < 3; f->i++) {
        trace_get_nowait("got");
        CORO_SLEEP(co, &loop, 0);
    }
    UNTIL_DONE(co, f, 4, 7);
    trace("size:%d", (int)coro_queue_size(&q));
    CORO_END(co);
}

/* Same line with 3.11's asyncio.Queue.
 *
 * async def getter(me):
 *     try:
 *         T.append(me + ':get')
 *         v = await q.get()
 *         T.append(me + ':%d' % v)
 *     except asyncio.CancelledError as e:
 *         T.append(me + ':' + name(e))
 *         raise
 * async def putter(me, v):
 *     try:
 *         T.append(me + ':put')
 *         await q.put(v)
 *         T.append(me + ':done')
 *     except asyncio.CancelledError as e:
 *         T.append(me + ':' + name(e))
 *         raise
 * async def main():
 *     global q
 *     q = Queue(1)
 *     gs = [spawn(getter(n)) for n in ('G1', 'G2', 'G3')]
 *     await asyncio.sleep(0)
 *     gs[1].cancel()                     # G2: while waiting
 *     T.append('cancel:G2')
 *     await asyncio.sleep(0)
 *     q.put_nowait(1)
 *     await asyncio.sleep(0)
 *     q.put_nowait(2)
 *     await until_done(*gs)
 *     q.put_nowait(0)
 *     ps = [spawn(putter(n, v)) for n, v in (('P1', 1), ('P2', 2), ('P3', 3))]
 *     await asyncio.sleep(0)
 *     ps[1].cancel()                     # P2: while waiting
 *     T.append('cancel:P2')
 *     await asyncio.sleep(0)
 *     for i in range(3):
 *         T.append('got:%d' % q.get_nowait())
 *         await asyncio.sleep(0)
 *     await until_done(*ps)
 *     T.append('size:%d' % q.qsize())
 * run(main)
 */
START_TEST(test_queue_cancelled_getter_and_putter_leave_others_unaffected)
{
    setup();
    spawn("main", q_cancel_main);
    run();
    ck_assert_trace("G1:get G2:get G3:get cancel:G2 G2:CORO_ECANCELLED G1:1 G3:2 P1:put P2:put "
                    "P3:put cancel:P2 P2:CORO_ECANCELLED got:0 P1:done got:1 P3:done got:3 "
                    "size:0");
}
END_TEST

static int q_woken_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    coro_queue_init(&q, &loop, slots, 1);
    spawn("G1", q_getter);
    spawn("G2", q_getter);
    CORO_SLEEP(co, &loop, 0);
    coro_queue_put_nowait(&q, coro_int(1));
    coro_task_cancel(&t[1].task);
    trace("put:1:cancel:G1");
    UNTIL_DONE(co, f, 1, 3);
    spawn("G3", q_getter);
    CORO_SLEEP(co, &loop, 0);
    coro_queue_put_nowait(&q, coro_int(8));
    coro_task_cancel(&t[3].task);
    trace("put:8:cancel:G3:size:%d", (int)coro_queue_size(&q));
    UNTIL_DONE(co, f, 3, 4);
    trace("size:%d:empty:%d", (int)coro_queue_size(&q), coro_queue_empty(&q));
    spawn("P1", q_putter)->v = 1;
    spawn("P2", q_putter)->v = 2;
    CORO_SLEEP(co, &loop, 0);
    trace_get_nowait("got");
    coro_task_cancel(&t[4].task);
    UNTIL_DONE(co, f, 4, 6);
    trace_get_nowait("got");
    trace("size:%d", (int)coro_queue_size(&q));
    CORO_END(co);
}

/* A value promised to G1 goes to G2 when G1 is cancelled before it runs; a
 * value promised to G3 with nobody else waiting stays in the queue; a slot
 * promised to P1 goes to P2. Same line with 3.11's asyncio.Queue.
 *
 * async def getter(me):              # as above
 * async def putter(me, v):           # as above
 * async def main():
 *     global q
 *     q = Queue(1)
 *     gs = [spawn(getter(n)) for n in ('G1', 'G2')]
 *     await asyncio.sleep(0)
 *     q.put_nowait(1)                    # promised to G1...
 *     gs[0].cancel()                     # ...cancelled before it runs
 *     T.append('put:1:cancel:G1')
 *     await until_done(*gs)
 *     g3 = spawn(getter('G3'))
 *     await asyncio.sleep(0)
 *     q.put_nowait(8)                    # promised to G3...
 *     g3.cancel()                        # ...which is cancelled; nobody else
 *     T.append('put:8:cancel:G3:size:%d' % q.qsize())
 *     await until_done(g3)
 *     T.append('size:%d:empty:%d' % (q.qsize(), q.empty()))  # 8 is still there
 *     ps = [spawn(putter(n, v)) for n, v in (('P1', 1), ('P2', 2))]
 *     await asyncio.sleep(0)
 *     T.append('got:%d' % q.get_nowait())  # a slot promised to P1...
 *     ps[0].cancel()                     # ...cancelled before it runs
 *     await until_done(*ps)
 *     T.append('got:%d' % q.get_nowait())
 *     T.append('size:%d' % q.qsize())
 * run(main)
 */
START_TEST(test_queue_value_or_slot_of_cancelled_woken_task_is_not_lost)
{
    setup();
    spawn("main", q_woken_cancel_main);
    run();
    ck_assert_trace("G1:get G2:get put:1:cancel:G1 G1:CORO_ECANCELLED G2:1 G3:get "
                    "put:8:cancel:G3:size:1 G3:CORO_ECANCELLED size:1:empty:0 P1:put P2:put "
                    "got:8 P1:CORO_ECANCELLED P2:done got:2 size:0");
}
END_TEST

static int q_second_cancel_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    coro_queue_init(&q, &loop, slots, 2);
    spawn("G1", q_getter);
    spawn("G2", q_getter);
    spawn("G3", q_getter);
    CORO_SLEEP(co, &loop, 0);
    coro_queue_put_nowait(&q, coro_int(1));
    coro_queue_put_nowait(&q, coro_int(2));
    coro_task_cancel(&t[2].task);
    trace("put:1:2:cancel:G2:empty:%d", coro_queue_empty(&q));
    UNTIL_DONE(co, f, 1, 4);
    coro_queue_put_nowait(&q, coro_int(3));
    coro_queue_put_nowait(&q, coro_int(4));
    spawn("P1", q_putter)->v = 5;
    spawn("P2", q_putter)->v = 6;
    spawn("P3", q_putter)->v = 7;
    CORO_SLEEP(co, &loop, 0);
    trace_get_nowait("got");
    trace_get_nowait("got");
    coro_task_cancel(&t[5].task);
    trace("full:%d", coro_queue_full(&q));
    UNTIL_DONE(co, f, 4, 7);
    trace_get_nowait("got");
    trace_get_nowait("got");
    trace("size:%d", (int)coro_queue_size(&q));
    CORO_END(co);
}

/* Values promised to G1 and G2, slots promised to P1 and P2: the second of
 * each pair is cancelled before it runs, and what it was promised goes to
 * the third while the first keeps its own. 3.11's asyncio.Queue prints the
 * same line but for "empty:0" and "full:0" (no promises: see Queue above).
 *
 * async def getter(me):              # as above
 * async def putter(me, v):           # as above
 * async def main():
 *     global q
 *     q = Queue(2)
 *     gs = [spawn(getter(n)) for n in ('G1', 'G2', 'G3')]
 *     await asyncio.sleep(0)
 *     q.put_nowait(1)                    # promised to G1
 *     q.put_nowait(2)                    # promised to G2...
 *     gs[1].cancel()                     # ...cancelled before it runs
 *     T.append('put:1:2:cancel:G2:empty:%d' % q.empty())
 *     await until_done(*gs)
 *     q.put_nowait(3)
 *     q.put_nowait(4)
 *     ps = [spawn(putter(n, v)) for n, v in (('P1', 5), ('P2', 6), ('P3', 7))]
 *     await asyncio.sleep(0)
 *     T.append('got:%d' % q.get_nowait())  # a slot promised to P1
 *     T.append('got:%d' % q.get_nowait())  # a slot promised to P2...
 *     ps[1].cancel()                     # ...cancelled before it runs
 *     T.append('full:%d' % q.full())
 *     await until_done(*ps)
 *     T.append('got:%d' % q.get_nowait())
 *     T.append('got:%d' % q.get_nowait())
 *     T.append('size:%d' % q.qsize())
 * run(main)
 */
START_TEST(test_queue_second_woken_task_cancelled_passes_value_or_slot_on)
{
    setup();
    spawn("main", q_second_cancel_main);
    run();
    ck_assert_trace("G1:get G2:get G3:get put:1:2:cancel:G2:empty:1 G1:1 G2:CORO_ECANCELLED "
                    "G3:2 P1:put P2:put P3:put got:3 got:4 full:1 P1:done P2:CORO_ECANCELLED "
                    "P3:done got:5 got:7 size:0");
}
END_TEST

static int nb_getter(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    trace("G:get");
    CORO_QUEUE_GET(co, &q, f->r);
    trace_value("G", f->r);
    CORO_END(co);
}

static int nb_barging_getter(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 0);
    trace("X:empty:%d:size:%d", coro_queue_empty(&q), (int)coro_queue_size(&q));
    trace_get_nowait("X:got");
    CORO_QUEUE_GET(co, &q, f->r);
    trace_value("X", f->r);
    CORO_END(co);
}

static int nb_producer(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 0);
    trace("P:put:1:%s", trace_errname(coro_queue_put_nowait(&q, coro_int(1))));
    CORO_SLEEP(co, &loop, 100 * MS);
    trace("P:put:2:%s", trace_errname(coro_queue_put_nowait(&q, coro_int(2))));
    CORO_END(co);
}

static int nb_putter(struct coro *co)
{
    CORO_BEGIN(co);
    trace("Q:put");
    CORO_QUEUE_PUT(co, &q, coro_int(3));
    trace("Q:done");
    CORO_END(co);
}

static int nb_barging_putter(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 0);
    trace("Y:full:%d:size:%d", coro_queue_full(&q), (int)coro_queue_size(&q));
    trace("Y:put:4:%s", trace_errname(coro_queue_put_nowait(&q, coro_int(4))));
    CORO_QUEUE_PUT(co, &q, coro_int(5));
    trace("Y:done");
    CORO_END(co);
}

static int nb_consumer(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 0);
    trace_get_nowait("C:got");
    CORO_SLEEP(co, &loop, 100 * MS);
    trace_get_nowait("C:got");
    trace_get_nowait("C:got");
    CORO_END(co);
}

static int q_nobarge_main(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    coro_queue_init(&q, &loop, slots, 1);
    spawn("G", nb_getter);
    spawn("P", nb_producer);
    spawn("X", nb_barging_getter);
    UNTIL_DONE(co, f, 1, 4);
    coro_queue_put_nowait(&q, coro_int(0));
    spawn("Q", nb_putter);
    spawn("C", nb_consumer);
    spawn("Y", nb_barging_putter);
    UNTIL_DONE(co, f, 4, 7);
    trace("size:%d", (int)coro_queue_size(&q));
    CORO_END(co);
}

/* The documented difference: X asks for a value after G was promised one
 * but before G ran, and Y asks for a slot promised to Q: both wait. 3.11's
 * asyncio.Queue lets X take the value, and G, sent to the back, starves:
 * "G:get P:put:1:0 X:empty:0:size:1 X:got:1 P:put:2:0 X:2 <stuck>".
 *
 * def get_nowait(me):
 *     try:
 *         T.append(me + ':got:%d' % q.get_nowait())
 *     except asyncio.QueueEmpty:
 *         T.append(me + ':got:CORO_EEMPTY')
 * def put_nowait(me, v):
 *     try:
 *         q.put_nowait(v)
 *         T.append(me + ':put:%d:0' % v)
 *     except asyncio.QueueFull:
 *         T.append(me + ':put:%d:CORO_EFULL' % v)
 * async def getter():
 *     T.append('G:get')
 *     v = await q.get()
 *     T.append('G:%d' % v)
 * async def barging_getter():
 *     await asyncio.sleep(0)             # runs after the put, before G
 *     T.append('X:empty:%d:size:%d' % (q.empty(), q.qsize()))
 *     get_nowait('X')
 *     v = await q.get()
 *     T.append('X:%d' % v)
 * async def producer():
 *     await asyncio.sleep(0)
 *     put_nowait('P', 1)
 *     await asyncio.sleep(0.1)
 *     put_nowait('P', 2)
 * async def putter():
 *     T.append('Q:put')
 *     await q.put(3)
 *     T.append('Q:done')
 * async def barging_putter():
 *     await asyncio.sleep(0)             # runs after the get, before Q
 *     T.append('Y:full:%d:size:%d' % (q.full(), q.qsize()))
 *     put_nowait('Y', 4)
 *     await q.put(5)
 *     T.append('Y:done')
 * async def consumer():
 *     await asyncio.sleep(0)
 *     get_nowait('C')
 *     await asyncio.sleep(0.1)
 *     get_nowait('C')
 *     get_nowait('C')
 * async def main():
 *     global q
 *     q = Queue(1)
 *     await until_done(spawn(getter()), spawn(producer()), spawn(barging_getter()))
 *     q.put_nowait(0)
 *     await until_done(spawn(putter()), spawn(consumer()), spawn(barging_putter()))
 *     T.append('size:%d' % q.qsize())
 * run(main)
 */
START_TEST(test_queue_no_barging_value_and_slot_are_promised_to_woken_task)
{
    setup();
    spawn("main", q_nobarge_main);
    run();
    ck_assert_trace("G:get P:put:1:0 X:empty:1:size:1 X:got:CORO_EEMPTY G:1 P:put:2:0 X:2 "
                    "Q:put C:got:0 Y:full:1:size:0 Y:put:4:CORO_EFULL Q:done C:got:3 "
                    "C:got:CORO_EEMPTY Y:done size:1");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 6. Waiting inside an awaited generator; outside a task; misuse           */
/* ------------------------------------------------------------------------ */

/* async def get_one(me): a generator the task awaits with CORO_AWAIT. */
struct get_one {
    struct coro co;
    const char *name;
    coro_value r;
};

static int get_one_body(struct coro *co)
{
    struct get_one *g = (struct get_one *)co;
    CORO_BEGIN(co);
    trace("%s:get", g->name);
    CORO_QUEUE_GET(co, &q, g->r);
    trace("%s:got", g->name);
    CORO_RETURN(co, g->r);
    CORO_END(co);
}

struct nested {
    struct coro_task task;
    const char *name;
    struct get_one sub;
    coro_value r;
    struct coro_try fin;     /* try: ... finally: of the body */
};

static struct nested nested[3];

static int nested_consumer(struct coro *co)
{
    struct nested *f = (struct nested *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        f->sub.name = f->name;
        coro_init(&f->sub.co, get_one_body);
        CORO_AWAIT(co, &f->sub.co, f->r);
        trace_value(f->name, f->r);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("%s:%s", f->name, trace_errname(coro_error(&f->fin)));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static int nested_main(struct coro *co)
{
    static const char *const names[] = { "A", "B", "C" };
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 3; f->i++) {
        memset(&nested[f->i], 0, sizeof nested[0]);
        nested[f->i].name = names[f->i];
        coro_task_start(&nested[f->i].task, &loop, nested_consumer);
    }
    CORO_SLEEP(co, &loop, 0);
    coro_task_cancel(&nested[1].task);
    coro_queue_put_nowait(&q, coro_int(1));
    coro_queue_put_nowait(&q, coro_int(2));
    trace("put:1:2");
    for (f->i = 0; f->i < 3; f->i++)
        CORO_AWAIT_FUTURE_CATCH(co, &nested[f->i].task.fut, f->r, f->err);
    CORO_END(co);
}

/* Same line with 3.11's asyncio.Queue.
 *
 * async def get_one(me):                 # the coroutine the task awaits
 *     T.append(me + ':get')
 *     v = await q.get()
 *     T.append(me + ':got')
 *     return v
 * async def consumer(me):
 *     try:
 *         v = await get_one(me)
 *         T.append(me + ':%d' % v)
 *     except asyncio.CancelledError as e:
 *         T.append(me + ':' + name(e))
 *         raise
 * async def main():
 *     global q
 *     q = Queue(2)
 *     ts = [spawn(consumer(n)) for n in 'ABC']
 *     await asyncio.sleep(0)
 *     ts[1].cancel()
 *     q.put_nowait(1)
 *     q.put_nowait(2)
 *     T.append('put:1:2')
 *     await until_done(*ts)
 * run(main)
 */
START_TEST(test_wait_inside_awaited_generator_and_its_cancellation)
{
    setup();
    coro_queue_init(&q, &loop, slots, 2);
    spawn("main", nested_main);
    run();
    ck_assert_trace("A:get B:get C:get put:1:2 B:CORO_ECANCELLED A:got A:1 C:got C:2");
    ck_assert_int_eq(coro_future_cancelled(&nested[1].task.fut), 1);
    ck_assert_int_eq(coro_future_done(&nested[2].task.fut), 1);
}
END_TEST

/* A plain generator (no task) doing one await of the tests below. */
enum { W_LOCK, W_EVENT, W_COND, W_SEM, W_PUT, W_GET, W_JOIN, W_COUNT };

struct outside {
    struct coro co;
    int which;
    coro_value r;
    struct coro_condition_waiter cw;
};

static int outside_body(struct coro *co)
{
    struct outside *g = (struct outside *)co;
    CORO_BEGIN(co);
    if (g->which == W_LOCK)
        CORO_LOCK_ACQUIRE(co, &lock);
    else if (g->which == W_EVENT)
        CORO_EVENT_WAIT(co, &ev);
    else if (g->which == W_COND)
        CORO_CONDITION_WAIT(co, &cond, &g->cw);
    else if (g->which == W_SEM)
        CORO_SEMAPHORE_ACQUIRE(co, &sem);
    else if (g->which == W_PUT)
        CORO_QUEUE_PUT(co, &q, coro_int(7));
    else if (g->which == W_GET)
        CORO_QUEUE_GET(co, &q, g->r);
    else
        CORO_QUEUE_JOIN(co, &q);
    CORO_END(co);
}

static void init_all(void)
{
    coro_lock_init(&lock, &loop);
    coro_event_init(&ev, &loop);
    coro_condition_init(&cond, &lock);
    coro_semaphore_init(&sem, &loop, 0, 0);
    coro_queue_init(&q, &loop, slots, 1);
}

/* Runs outside_body for `which` once; traces what coro_next returned and the
 * generator's state ("err:CORO_ENOTASK state:CLOSED" when it had to wait). */
static void run_outside(int which)
{
    struct outside g;
    coro_value out;
    memset(&g, 0, sizeof g);
    g.which = which;
    coro_init(&g.co, outside_body);
    trace_result(coro_next(&g.co, &out), out);
    trace_state("state", &g.co);
}

/* No Python twin: awaiting an asyncio future outside a task has no
 * CancelledError-like answer to compare with. Every await that has to wait
 * raises CORO_ENOTASK and changes nothing; an await that does not have to
 * wait works outside a task, as in asyncio. */
START_TEST(test_waiting_outside_a_task_is_enotask_and_changes_nothing)
{
    int i;
    setup();
    init_all();
    run_outside(W_LOCK);                            /* free: taken, no task needed */
    ck_assert_int_eq(coro_queue_put_nowait(&q, coro_int(1)), 0);
    ck_assert_int_eq(coro_queue_get_nowait(&q, NULL), 0);   /* 1 unfinished */
    for (i = 0; i < W_COUNT; i++) {
        if (i == W_PUT)
            coro_queue_put_nowait(&q, coro_int(2));         /* full */
        if (i == W_GET)
            coro_queue_get_nowait(&q, NULL);                /* empty */
        run_outside(i);
    }
    ck_assert_trace("ret:none state:CLOSED "
                    "err:CORO_ENOTASK state:CLOSED err:CORO_ENOTASK state:CLOSED "
                    "err:CORO_ENOTASK state:CLOSED err:CORO_ENOTASK state:CLOSED "
                    "err:CORO_ENOTASK state:CLOSED err:CORO_ENOTASK state:CLOSED "
                    "err:CORO_ENOTASK state:CLOSED");
    /* nothing changed: nobody is on a list, the lock is still held (the
     * condition did not release it), the queue is empty with 2 unfinished */
    ck_assert_ptr_null(lock.waiters.tail);
    ck_assert_ptr_null(lock.woken);
    ck_assert_int_eq(coro_lock_locked(&lock), 1);
    ck_assert_ptr_null(ev.waiters.tail);
    ck_assert_ptr_null(cond.waiters.tail);
    ck_assert_ptr_null(sem.waiters.tail);
    ck_assert_int_eq(coro_semaphore_value(&sem), 0);
    ck_assert_ptr_null(q.getters.tail);
    ck_assert_ptr_null(q.putters.tail);
    ck_assert_ptr_null(q.joiners.tail);
    ck_assert_uint_eq(coro_queue_size(&q), 0);
    ck_assert_int_eq(coro_queue_task_done(&q), 0);
    ck_assert_int_eq(coro_queue_task_done(&q), 0);
    ck_assert_int_eq(coro_queue_task_done(&q), CORO_ESTATE);
    /* and every object still works */
    ck_assert_int_eq(coro_lock_release(&lock), 0);
    ck_assert_int_eq(coro_condition_notify(&cond, 1), CORO_ESTATE);
    ck_assert_int_eq(coro_semaphore_release(&sem), 0);
    ck_assert_int_eq(coro_semaphore_locked(&sem), 0);
}
END_TEST

/* The same awaits, when they need not wait, work outside a task. */
START_TEST(test_awaits_that_need_not_wait_work_outside_a_task)
{
    setup();
    init_all();
    coro_event_set(&ev);
    coro_semaphore_release(&sem);
    run_outside(W_LOCK);
    ck_assert_int_eq(coro_lock_locked(&lock), 1);
    run_outside(W_EVENT);
    run_outside(W_SEM);
    ck_assert_int_eq(coro_semaphore_value(&sem), 0);
    run_outside(W_PUT);
    ck_assert_uint_eq(coro_queue_size(&q), 1);
    run_outside(W_GET);
    ck_assert_uint_eq(coro_queue_size(&q), 0);
    coro_queue_task_done(&q);
    run_outside(W_JOIN);
    ck_assert_trace("ret:none state:CLOSED ret:none state:CLOSED ret:none state:CLOSED "
                    "ret:none state:CLOSED ret:none state:CLOSED ret:none state:CLOSED");
}
END_TEST

static int other_loop_body(struct coro *co)
{
    struct actor *f = (struct actor *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        CORO_LOCK_ACQUIRE(co, &lock);
        trace("acquired");
    } CORO_FINALLY(co, &f->fin) {
        trace_pending(f, coro_error(&f->fin));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* A task of another loop is not a task of the lock's loop. */
START_TEST(test_waiting_from_a_task_of_another_loop_is_enotask)
{
    static struct coro_loop other;
    static struct coro_timer_slot other_timers[2];
    static struct actor a;
    setup();
    init_all();
    run_outside(W_LOCK);                            /* the lock is held */
    coro_loop_init(&other, other_timers, 2);
    coro_loop_set_clock(&other, &coro_clock_virtual);
    memset(&a, 0, sizeof a);
    a.name = "T";
    coro_task_start(&a.task, &other, other_loop_body);
    ck_assert_int_eq(coro_loop_run_until_complete(&other, &a.task.fut, NULL), CORO_ENOTASK);
    ck_assert_trace("ret:none state:CLOSED T:CORO_ENOTASK");
    ck_assert_ptr_null(lock.waiters.tail);
}
END_TEST

START_TEST(test_init_misuse_is_einval)
{
    struct coro_lock l;
    struct coro_event e;
    struct coro_condition c;
    struct coro_semaphore s;
    struct coro_queue qq;
    coro_value v[1];
    setup();
    ck_assert_int_eq(coro_lock_init(NULL, &loop), CORO_EINVAL);
    ck_assert_int_eq(coro_lock_init(&l, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_event_init(NULL, &loop), CORO_EINVAL);
    ck_assert_int_eq(coro_event_init(&e, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_condition_init(NULL, &l), CORO_EINVAL);
    ck_assert_int_eq(coro_condition_init(&c, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_semaphore_init(NULL, &loop, 1, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_semaphore_init(&s, NULL, 1, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_semaphore_init(&s, &loop, -1, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_queue_init(NULL, &loop, v, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_queue_init(&qq, NULL, v, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_queue_init(&qq, &loop, NULL, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_queue_init(&qq, &loop, v, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_lock_init(&l, &loop), 0);
    ck_assert_int_eq(coro_event_init(&e, &loop), 0);
    ck_assert_int_eq(coro_condition_init(&c, &l), 0);
    ck_assert_int_eq(coro_semaphore_init(&s, &loop, 0, 1), 0);
    ck_assert_int_eq(coro_queue_init(&qq, &loop, v, 1), 0);
    /* BoundedSemaphore(0): any release is one too many */
    ck_assert_int_eq(coro_semaphore_release(&s), CORO_EFULL);
    ck_assert_int_eq(coro_semaphore_locked(&s), 1);
}
END_TEST

/* The sizes sync.h documents (x86-64). */
START_TEST(test_struct_sizes_match_the_header)
{
#if defined(__x86_64__) && !defined(__ILP32__)
    ck_assert_uint_eq(sizeof(struct coro_lock), 32);
    ck_assert_uint_eq(sizeof(struct coro_event), 24);
    ck_assert_uint_eq(sizeof(struct coro_condition), 16);
    ck_assert_uint_eq(sizeof(struct coro_condition_waiter), 8);
    ck_assert_uint_eq(sizeof(struct coro_semaphore), 32);
    ck_assert_uint_eq(sizeof(struct coro_queue), 88);
#endif
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The suite                                                                */
/* ------------------------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name)
{
    return check_tcase(s, name, trace_reset, NULL, 0);
}

static Suite *sync_suite(void)
{
    Suite *s = suite_create("sync");
    TCase *tc;

    tc = tcase(s, "lock");
    tcase_add_test(tc, test_lock_mutual_exclusion_and_fifo_in_arrival_order);
    tcase_add_test(tc, test_lock_no_barging_while_woken_waiter_has_not_run);
    tcase_add_test(tc, test_lock_release_unlocked_is_estate_and_lock_stays_usable);
    tcase_add_test(tc, test_lock_cancelled_waiters_leave_the_queue_others_unaffected);
    tcase_add_test(tc, test_lock_handed_to_waiter_cancelled_before_it_ran_goes_to_next);

    tc = tcase(s, "event");
    tcase_add_test(tc, test_event_set_wakes_every_waiter_in_order_and_clear_rearms);
    tcase_add_test(tc, test_event_cancelled_waiter_gets_ecancelled_others_wake);

    tc = tcase(s, "condition");
    tcase_add_test(tc, test_condition_notify_one_two_all_in_order_and_reacquire);
    tcase_add_test(tc, test_condition_notify_or_wait_without_lock_is_estate);
    tcase_add_test(tc, test_condition_cancelled_waiter_reacquires_lock_before_raising);
    tcase_add_test(tc, test_condition_notified_then_cancelled_passes_notification_on);
    tcase_add_test(tc, test_condition_second_notified_then_cancelled_passes_notification_on);
    tcase_add_test(tc, test_condition_cancelled_while_reacquiring_still_reacquires);

    tc = tcase(s, "semaphore");
    tcase_add_test(tc, test_semaphore_counts_permits_and_wakes_fifo);
    tcase_add_test(tc, test_semaphore_no_barging_while_woken_waiter_has_not_run);
    tcase_add_test(tc, test_semaphore_woken_waiter_hands_a_left_permit_to_the_next);
    tcase_add_test(tc, test_bounded_semaphore_released_too_many_times_is_efull);
    tcase_add_test(tc, test_semaphore_cancelled_waiters_and_permit_of_cancelled_woken_waiter);
    tcase_add_test(tc, test_semaphore_second_woken_waiter_cancelled_passes_its_permit_on);

    tc = tcase(s, "queue");
    tcase_add_test(tc, test_queue_producer_waits_when_full_consumer_when_empty);
    tcase_add_test(tc, test_queue_wakes_getters_and_putters_in_fifo_order);
    tcase_add_test(tc, test_queue_nowait_codes_and_size_empty_full);
    tcase_add_test(tc, test_queue_join_waits_for_task_done_and_too_many_is_estate);
    tcase_add_test(tc, test_queue_cancelled_getter_and_putter_leave_others_unaffected);
    tcase_add_test(tc, test_queue_value_or_slot_of_cancelled_woken_task_is_not_lost);
    tcase_add_test(tc, test_queue_second_woken_task_cancelled_passes_value_or_slot_on);
    tcase_add_test(tc, test_queue_no_barging_value_and_slot_are_promised_to_woken_task);

    tc = tcase(s, "misc");
    tcase_add_test(tc, test_wait_inside_awaited_generator_and_its_cancellation);
    tcase_add_test(tc, test_waiting_outside_a_task_is_enotask_and_changes_nothing);
    tcase_add_test(tc, test_awaits_that_need_not_wait_work_outside_a_task);
    tcase_add_test(tc, test_waiting_from_a_task_of_another_loop_is_enotask);
    tcase_add_test(tc, test_init_misuse_is_einval);
    tcase_add_test(tc, test_struct_sizes_match_the_header);

    return s;
}

int main(void)
{
    return check_run(sync_suite());
}
