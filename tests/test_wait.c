/* SPDX-License-Identifier: MIT */
/*
 * test_wait.c -- the Check suite of wait.c: gather, wait, as_completed,
 * wait_for and shield, on the virtual clock, tested against CPython 3.11.
 *
 * Each ordering test records events as "<event>@<virtual seconds>" and
 * compares the whole sequence with what CPython 3.11 prints for the asyncio
 * program in the comment above it (run with python3, with one virtual second
 * = U = 0.05 real seconds; never taken from the C code). The programs run
 * after this prelude, the Python twins of the C helpers below:
 *
 * Python prelude:
 *     import asyncio
 *     from asyncio import CancelledError, FIRST_COMPLETED, FIRST_EXCEPTION
 *     U = 0.05                               # one virtual second
 *     T, NAME = [], {}
 *     class E(Exception): pass               # E(7): user error 7
 *     def ev(s):                             # ev(): "<event>@<seconds>"
 *         T.append('%s@%d' % (s, round((asyncio.get_running_loop().time() - T0) / U)))
 *     def errname(e):                        # errname()
 *         if isinstance(e, CancelledError): return 'cancelled'
 *         if isinstance(e, TimeoutError): return 'timeout'
 *         if isinstance(e, E): return 'E%d' % e.args[0]
 *         raise e
 *     async def worker(name, delay, result=None, fail=0, catch=False, after=0):
 *         try:                               # worker_body()
 *             await asyncio.sleep(delay * U)
 *         except CancelledError:
 *             ev(name + ':cancelled')
 *             if not catch: raise
 *             if after: await asyncio.sleep(after * U)
 *             ev(name + ':caught')
 *             return result
 *         if fail:
 *             ev(name + ':fail'); raise E(fail)
 *         ev(name + ':done')
 *         return result
 *     def task(name, *args, **kw):           # a worker task (start_workers())
 *         t = asyncio.create_task(worker(name, *args, **kw)); NAME[t] = name; return t
 *     def split(ts, done):                   # split(): "<done>|<pending>"
 *         return (''.join(NAME[t] for t in ts if t in done) + '|' +
 *                 ''.join(NAME[t] for t in ts if t not in done))
 *     async def canceller(name, fut, delay): # canceller_body()
 *         await asyncio.sleep(delay * U)
 *         ev('%s:%s' % (name, fut.cancel()))
 *     async def awaiter(name, aw):           # awaiter_body()
 *         try:
 *             r = await aw
 *         except BaseException as e:
 *             ev('%s:%s' % (name, errname(e))); raise
 *         ev('%s:%s' % (name, r))
 *     def run(main):                         # run_main(): main is the first task
 *         async def top():
 *             global T0
 *             T0 = asyncio.get_running_loop().time()
 *             await main()
 *         asyncio.run(top())
 *         print(' '.join(T))
 *
 * asyncio.as_completed() is a generator: it starts watching at the first
 * next(), so the programs call next() where the C code calls
 * coro_as_completed().
 */
#include <check.h>
#include "check_main.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wait.h"

/* ------------------------------------------------------------------------ */
/* The recorder, the loop, the helper tasks                                 */
/* ------------------------------------------------------------------------ */

static struct coro_loop loop;
static struct coro_timer_slot slots[32];
static char tbuf[2048];
static size_t tlen;

#if defined(__GNUC__)
static void ev(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif

/* Appends "<event>@<virtual seconds>" (the time in ns if not whole). */
static void ev(const char *fmt, ...)
{
    char msg[128];
    va_list ap;
    coro_time t = coro_loop_time(&loop);
    int n;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (t % CORO_SEC == 0)
        n = snprintf(tbuf + tlen, sizeof tbuf - tlen, "%s%s@%ld", tlen ? " " : "", msg,
                     (long)(t / CORO_SEC));
    else
        n = snprintf(tbuf + tlen, sizeof tbuf - tlen, "%s%s@%ldns", tlen ? " " : "", msg,
                     (long)t);
    ck_assert_msg(n > 0 && (size_t)n < sizeof tbuf - tlen, "trace overflow");
    tlen += (size_t)n;
}

#define ck_assert_trace(expected) ck_assert_str_eq(tbuf, (expected))
/* The loop's cached time and its clock both read exactly s seconds. */
#define ck_assert_time(s) \
    do { \
        ck_assert_int_eq(coro_loop_time(&loop), (s) * CORO_SEC); \
        ck_assert_int_eq(loop.clock->now(&loop), (s) * CORO_SEC); \
    } while (0)

/* An error as the prelude's errname() names it. */
static const char *errname(int err)
{
    static char user[4][16];
    static unsigned next;
    char *s;
    switch (err) {
    case 0:               return "0";
    case CORO_ECANCELLED: return "cancelled";
    case CORO_ETIMEDOUT:  return "timeout";
    case CORO_EEMPTY:     return "empty";
    default:
        if (err < 0)
            return coro_errname(err);
        s = user[next++ % 4];
        snprintf(s, sizeof user[0], "E%d", err);
        return s;
    }
}

/* Python's str() of True / False, and of what future.cancel() returns. */
static const char *pybool(int b)
{
    return b ? "True" : "False";
}
static const char *cancelled_str(int rc)
{
    return rc == 0 ? "True" : rc == CORO_ESTATE ? "False" : coro_errname(rc);
}

/* async def worker(...) of the prelude. */
struct worker {
    struct coro_task task;
    const char *name;
    int delay, after;       /* seconds */
    intptr_t result;
    int fail;               /* raise E<fail> after the sleep (0: return) */
    int catch_cancel;       /* catch CORO_ECANCELLED and return result */
    int err;
};

static int worker_body(struct coro *co)
{
    struct worker *f = (struct worker *)co;
    CORO_BEGIN(co);
    if ((co->err = coro_loop_sleep_arm(&loop, f->delay * CORO_SEC)) != 0)
        CORO_RAISE(co, co->err);
    CORO_YIELD_CATCH(co, coro_none(), f->err);
    if (f->err == CORO_ECANCELLED) {
        ev("%s:cancelled", f->name);
        if (!f->catch_cancel)
            CORO_RAISE(co, f->err);
        if (f->after)
            CORO_SLEEP(co, &loop, f->after * CORO_SEC);
        ev("%s:caught", f->name);
        CORO_RETURN(co, coro_int(f->result));
    }
    if (f->err)
        CORO_RAISE(co, f->err);
    if (f->fail) {
        ev("%s:fail", f->name);
        CORO_RAISE(co, f->fail);
    }
    ev("%s:done", f->name);
    CORO_RETURN(co, coro_int(f->result));
    CORO_END(co);
}

/* async def canceller(name, fut, delay) of the prelude. */
struct canceller {
    struct coro_task task;
    struct coro_future *target;
    int delay;
};

static int canceller_body(struct coro *co)
{
    struct canceller *f = (struct canceller *)co;
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, f->delay * CORO_SEC);
    ev("cancel:%s", cancelled_str(coro_future_cancel(f->target)));
    CORO_END(co);
}

/* async def awaiter(name, aw) of the prelude (a result prints as an int). */
struct awaiter {
    struct coro_task task;
    const char *name;
    struct coro_future *target;
    coro_value r;
    int err;
};

static int awaiter_body(struct coro *co)
{
    struct awaiter *f = (struct awaiter *)co;
    CORO_BEGIN(co);
    CORO_AWAIT_FUTURE_CATCH(co, f->target, f->r, f->err);
    if (f->err) {
        ev("%s:%s", f->name, errname(f->err));
        CORO_RAISE(co, f->err);
    }
    if (f->r.type == CORO_INT)
        ev("%s:%ld", f->name, (long)f->r.v.i);
    else
        ev("%s:None", f->name);
    CORO_END(co);
}

/* `await next(it)` on an as_completed iterator, as a sub-coroutine a task
 * awaits with CORO_AWAIT_CATCH to catch CORO_ETIMEDOUT / CORO_EEMPTY. */
struct take {
    struct coro co;
    struct coro_wait *w;
    coro_value r;
};

static int take_body(struct coro *co)
{
    struct take *f = (struct take *)co;
    CORO_BEGIN(co);
    CORO_AS_COMPLETED_NEXT(co, f->w, f->r);
    CORO_RETURN(co, f->r);
    CORO_END(co);
}

/* The frame of every test's main task: its children and what it waits on. */
static struct main_frame {
    struct coro_task task;
    struct worker w[4];                 /* named in the test: "a", "b", ... */
    struct coro_future *kids[4], *kids2[4];
    struct coro_watch watch[4];
    struct coro_wait wait, wait2;
    struct coro_wait_for wf;
    struct coro_shield sh;
    struct coro_future fut[2];
    struct canceller cancel;
    struct awaiter waiter;
    struct take take;
    coro_value r;
    int err, i;
} M;

static void setup(void)
{
    memset(&M, 0, sizeof M);
    tlen = 0;
    tbuf[0] = '\0';
    ck_assert_int_eq(coro_loop_init(&loop, slots, 32), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
}

static void worker_set(int i, const char *name, int delay, intptr_t result)
{
    M.w[i].name = name;
    M.w[i].delay = delay;
    M.w[i].result = result;
}

/* task('a', da, 10), task('b', db, 20), task('c', dc, 30) (dc 0: no c). */
static void set_abc(int da, int db, int dc)
{
    worker_set(0, "a", da, 10);
    worker_set(1, "b", db, 20);
    if (dc)
        worker_set(2, "c", dc, 30);
}

/* task(...) for M.w[from..to): M.kids[i] is the task of M.w[i]. */
static void start_workers(int from, int to)
{
    int i;
    for (i = from; i < to; i++) {
        ck_assert_int_eq(coro_task_start(&M.w[i].task, &loop, worker_body), 0);
        M.kids[i] = &M.w[i].task.fut;
    }
}

static void start_canceller(struct coro_future *target, int delay)
{
    M.cancel.target = target;
    M.cancel.delay = delay;
    ck_assert_int_eq(coro_task_start(&M.cancel.task, &loop, canceller_body), 0);
}

static void start_waiter(struct coro_future *target)
{
    M.waiter.name = "waiter";
    M.waiter.target = target;
    ck_assert_int_eq(coro_task_start(&M.waiter.task, &loop, awaiter_body), 0);
}

/* The int result of a done future that succeeded. */
static long res(const struct coro_future *f)
{
    coro_value v;
    ck_assert_int_eq(coro_future_result(f, &v), 0);
    ck_assert_int_eq(v.type, CORO_INT);
    return (long)v.v.i;
}

/* split(ts, done): the worker names of the done kids, '|', the others. */
static const char *split(struct coro_future *const *kids, int n)
{
    static char buf[16];
    int i, j, k = 0, pass;
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < n; i++)
            if (coro_future_done(kids[i]) == !pass)
                for (j = 0; j < 4; j++)
                    if (kids[i] == &M.w[j].task.fut)
                        buf[k++] = M.w[j].name[0];
        if (!pass)
            buf[k++] = '|';
    }
    buf[k] = '\0';
    return buf;
}

/* asyncio.run(main()): runs until nothing is left; main's outcome. */
static int run_main(coro_fn body)
{
    ck_assert_int_eq(coro_task_start(&M.task, &loop, body), 0);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert(coro_future_done(&M.task.fut));
    return coro_future_result(&M.task.fut, NULL);
}

#define WAIT_OK(call) \
    do { if ((co->err = (call)) != 0) CORO_RAISE(co, co->err); } while (0)

/* ------------------------------------------------------------------------ */
/* gather                                                                   */
/* ------------------------------------------------------------------------ */

/* async def main():
 *     a, b, c = task('a', 3, 10), task('b', 1, 20), task('c', 2, 30)
 *     r = await asyncio.gather(a, b, c)
 *     ev('main:%d,%d,%d' % tuple(r))
 * run(main) -> b:done@1 c:done@2 a:done@3 main:10,20,30@3 */
static int gather_order_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 3);
    WAIT_OK(coro_gather(&M.wait, &loop, M.kids, M.watch, 3));
    CORO_AWAIT_FUTURE_CATCH(co, &M.wait.fut, M.r, M.err);
    ck_assert_int_eq(M.err, 0);
    ck_assert_int_eq(M.r.type, CORO_NONE);
    ev("main:%ld,%ld,%ld", res(M.kids[0]), res(M.kids[1]), res(M.kids[2]));
    CORO_END(co);
}

START_TEST(test_gather_results_in_listed_order_though_children_finish_3_1_2)
{
    set_abc(3, 1, 2);
    ck_assert_int_eq(run_main(gather_order_main), 0);
    ck_assert_trace("b:done@1 c:done@2 a:done@3 main:10,20,30@3");
    ck_assert_time(3);
}
END_TEST

/* loop = asyncio.new_event_loop(); t0 = loop.time()
 * ts = [loop.create_task(asyncio.sleep(d * U)) for d in (3, 1, 2)]
 * loop.run_until_complete(asyncio.gather(*ts))
 * print(round((loop.time() - t0) / U)) -> 3 */
START_TEST(test_gather_of_sleeps_3_1_2_completes_at_3s_from_outside_a_task)
{
    set_abc(3, 1, 2);
    start_workers(0, 3);
    ck_assert_int_eq(coro_gather(&M.wait, &loop, M.kids, M.watch, 3), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &M.wait.fut, NULL), 0);
    ck_assert_time(3);
    ck_assert_trace("b:done@1 c:done@2 a:done@3");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* async def main():
 *     a, b, c = task('a', 3, 10), task('b', 1, fail=7), task('c', 2, 30)
 *     g = asyncio.gather(a, b, c)
 *     try:
 *         await g
 *     except E as e:
 *         ev('main:' + errname(e))
 *     ev('cancel:%s' % g.cancel())
 *     await asyncio.sleep(3 * U)
 *     ev('main:%d,%d' % (a.result(), c.result()))
 * -> b:fail@1 main:E7@1 cancel:False@1 c:done@2 a:done@3 main:10,30@4 */
static int gather_error_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 3);
    WAIT_OK(coro_gather(&M.wait, &loop, M.kids, M.watch, 3));
    CORO_AWAIT_FUTURE_CATCH(co, &M.wait.fut, M.r, M.err);
    ev("main:%s", errname(M.err));
    ev("cancel:%s", cancelled_str(coro_future_cancel(&M.wait.fut)));
    CORO_SLEEP(co, &loop, 3 * CORO_SEC);
    ev("main:%ld,%ld", res(M.kids[0]), res(M.kids[2]));
    CORO_END(co);
}

START_TEST(test_gather_first_error_reaches_awaiter_at_once_others_run_on)
{
    set_abc(3, 1, 2);
    M.w[1].fail = 7;
    ck_assert_int_eq(run_main(gather_error_main), 0);
    ck_assert_trace("b:fail@1 main:E7@1 cancel:False@1 c:done@2 a:done@3 main:10,30@4");
    ck_assert_int_eq(coro_future_result(&M.wait.fut, NULL), 7);
    ck_assert(!coro_future_cancelled(&M.wait.fut));
}
END_TEST

/* async def main():
 *     a, b = task('a', 3, 10), task('b', 2, 20)
 *     asyncio.create_task(canceller('cancel', b, 1))
 *     g = asyncio.gather(a, b)
 *     try:
 *         await g
 *     except CancelledError:
 *         ev('main:cancelled')
 *     ev('gather.cancelled:%s' % g.cancelled())
 *     ev('main:%d' % await a)
 * -> cancel:True@1 b:cancelled@1 main:cancelled@1 gather.cancelled:False@1
 *    a:done@3 main:10@3 */
static int gather_child_cancelled_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 2);
    start_canceller(M.kids[1], 1);
    WAIT_OK(coro_gather(&M.wait, &loop, M.kids, M.watch, 2));
    CORO_AWAIT_FUTURE_CATCH(co, &M.wait.fut, M.r, M.err);
    ev("main:%s", errname(M.err));
    ev("gather.cancelled:%s", pybool(coro_future_cancelled(&M.wait.fut)));
    CORO_AWAIT_FUTURE(co, M.kids[0], M.r);
    ev("main:%ld", (long)M.r.v.i);
    CORO_END(co);
}

START_TEST(test_gather_with_a_cancelled_child_fails_with_ecancelled)
{
    set_abc(3, 2, 0);
    ck_assert_int_eq(run_main(gather_child_cancelled_main), 0);
    ck_assert_trace("cancel:True@1 b:cancelled@1 main:cancelled@1 gather.cancelled:False@1 "
                    "a:done@3 main:10@3");
}
END_TEST

/* async def main():
 *     a, b, c = task('a', 1, 10), task('b', 3, 20), task('c', 5, 30)
 *     g = asyncio.gather(a, b, c)
 *     asyncio.create_task(canceller('cancel', g, 2))
 *     try:
 *         await g
 *     except CancelledError:
 *         ev('main:cancelled')
 *     ev('cancelled:%s,%s,%s' % (a.cancelled(), b.cancelled(), c.cancelled()))
 * -> a:done@1 cancel:True@2 b:cancelled@2 c:cancelled@2 main:cancelled@2
 *    cancelled:False,True,True@2 */
static int gather_cancel_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 3);
    WAIT_OK(coro_gather(&M.wait, &loop, M.kids, M.watch, 3));
    start_canceller(&M.wait.fut, 2);
    CORO_AWAIT_FUTURE_CATCH(co, &M.wait.fut, M.r, M.err);
    ev("main:%s", errname(M.err));
    ev("cancelled:%s,%s,%s", pybool(coro_future_cancelled(M.kids[0])),
       pybool(coro_future_cancelled(M.kids[1])), pybool(coro_future_cancelled(M.kids[2])));
    CORO_END(co);
}

START_TEST(test_cancelling_gather_cancels_pending_children_and_ends_ecancelled)
{
    set_abc(1, 3, 5);
    ck_assert_int_eq(run_main(gather_cancel_main), 0);
    ck_assert_trace("a:done@1 cancel:True@2 b:cancelled@2 c:cancelled@2 main:cancelled@2 "
                    "cancelled:False,True,True@2");
    ck_assert_int_eq(coro_future_result(&M.wait.fut, NULL), CORO_ECANCELLED);
    ck_assert_time(2);
}
END_TEST

/* async def main():
 *     a, b, c = task('a', 3, 10), task('b', 3, 20), task('c', 3, 30)
 *     g = asyncio.gather(asyncio.gather(a, b), c)
 *     asyncio.create_task(canceller('cancel', g, 1))
 *     try:
 *         await g
 *     except CancelledError:
 *         ev('main:cancelled')
 *     ev('cancelled:%s,%s,%s' % (a.cancelled(), b.cancelled(), c.cancelled()))
 * -> cancel:True@1 a:cancelled@1 b:cancelled@1 c:cancelled@1 main:cancelled@1
 *    cancelled:True,True,True@1 */
static int gather_nested_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 3);
    WAIT_OK(coro_gather(&M.wait2, &loop, M.kids, M.watch, 2));
    M.kids2[0] = &M.wait2.fut;
    M.kids2[1] = M.kids[2];
    WAIT_OK(coro_gather(&M.wait, &loop, M.kids2, M.watch + 2, 2));
    start_canceller(&M.wait.fut, 1);
    CORO_AWAIT_FUTURE_CATCH(co, &M.wait.fut, M.r, M.err);
    ev("main:%s", errname(M.err));
    ev("cancelled:%s,%s,%s", pybool(coro_future_cancelled(M.kids[0])),
       pybool(coro_future_cancelled(M.kids[1])), pybool(coro_future_cancelled(M.kids[2])));
    CORO_END(co);
}

START_TEST(test_cancelling_gather_cancels_a_nested_gather_s_children)
{
    set_abc(3, 3, 3);
    ck_assert_int_eq(run_main(gather_nested_main), 0);
    ck_assert_trace("cancel:True@1 a:cancelled@1 b:cancelled@1 c:cancelled@1 main:cancelled@1 "
                    "cancelled:True,True,True@1");
}
END_TEST

/* async def main():
 *     a, b = task('a', 3, 10), task('b', 5, 20)
 *     t = asyncio.create_task(awaiter('waiter', asyncio.gather(a, b)))
 *     asyncio.create_task(canceller('cancel', t, 1))
 *     await asyncio.sleep(2 * U)
 *     ev('cancelled:%s,%s,%s' % (a.cancelled(), b.cancelled(), t.cancelled()))
 * -> cancel:True@1 a:cancelled@1 b:cancelled@1 waiter:cancelled@1
 *    cancelled:True,True,True@2 */
static int gather_task_cancelled_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 2);
    WAIT_OK(coro_gather(&M.wait, &loop, M.kids, M.watch, 2));
    start_waiter(&M.wait.fut);
    start_canceller(&M.waiter.task.fut, 1);
    CORO_SLEEP(co, &loop, 2 * CORO_SEC);
    ev("cancelled:%s,%s,%s", pybool(coro_future_cancelled(M.kids[0])),
       pybool(coro_future_cancelled(M.kids[1])),
       pybool(coro_future_cancelled(&M.waiter.task.fut)));
    CORO_END(co);
}

START_TEST(test_cancelling_task_awaiting_gather_cancels_the_children)
{
    set_abc(3, 5, 0);
    ck_assert_int_eq(run_main(gather_task_cancelled_main), 0);
    ck_assert_trace("cancel:True@1 a:cancelled@1 b:cancelled@1 waiter:cancelled@1 "
                    "cancelled:True,True,True@2");
    ck_assert_time(2);
}
END_TEST

/* async def main():
 *     g = asyncio.gather()
 *     ev('gather.done:%s' % g.done())
 * -> gather.done:True@0 */
START_TEST(test_gather_of_no_children_is_done_at_once)
{
    coro_value v = coro_int(1);
    ck_assert_int_eq(coro_gather(&M.wait, &loop, NULL, NULL, 0), 0);
    ev("gather.done:%s", pybool(coro_future_done(&M.wait.fut)));
    ck_assert_trace("gather.done:True@0");
    ck_assert_int_eq(coro_future_result(&M.wait.fut, &v), 0);
    ck_assert_int_eq(v.type, CORO_NONE);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* Children done, their callbacks not run yet: gather.cancel() returns False
 * and the gather still completes with the results.
 * async def main():
 *     loop = asyncio.get_running_loop()
 *     a, b = loop.create_future(), loop.create_future()
 *     g = asyncio.gather(a, b)
 *     a.set_result(1); b.set_result(2)
 *     ev('cancel:%s' % g.cancel())
 *     try:
 *         ev('main:%d,%d' % tuple(await g))
 *     except CancelledError:
 *         ev('main:cancelled')
 * -> cancel:False@0 main:1,2@0 */
static int gather_cancel_late_main(struct coro *co)
{
    CORO_BEGIN(co);
    coro_future_init(&M.fut[0], &loop);
    coro_future_init(&M.fut[1], &loop);
    M.kids[0] = &M.fut[0];
    M.kids[1] = &M.fut[1];
    WAIT_OK(coro_gather(&M.wait, &loop, M.kids, M.watch, 2));
    coro_future_set_result(&M.fut[0], coro_int(1));
    coro_future_set_result(&M.fut[1], coro_int(2));
    ev("cancel:%s", cancelled_str(coro_future_cancel(&M.wait.fut)));
    CORO_AWAIT_FUTURE_CATCH(co, &M.wait.fut, M.r, M.err);
    if (M.err)
        ev("main:%s", errname(M.err));
    else
        ev("main:%ld,%ld", res(&M.fut[0]), res(&M.fut[1]));
    CORO_END(co);
}

START_TEST(test_cancel_of_gather_whose_children_all_finished_changes_nothing)
{
    ck_assert_int_eq(run_main(gather_cancel_late_main), 0);
    ck_assert_trace("cancel:False@0 main:1,2@0");
}
END_TEST

/* The awaited gather's child is done (callback pending) when the task is
 * cancelled: Task.cancel() still returns True and the task is cancelled.
 * async def main():
 *     a = asyncio.get_running_loop().create_future()
 *     t = asyncio.create_task(awaiter('waiter', asyncio.gather(a)))
 *     await asyncio.sleep(0)
 *     a.set_result(1)
 *     ev('cancel:%s' % t.cancel())
 *     await asyncio.sleep(1 * U)
 *     ev('waiter.cancelled:%s' % t.cancelled())
 * -> cancel:True@0 waiter:cancelled@0 waiter.cancelled:True@1 */
static int gather_task_cancel_late_main(struct coro *co)
{
    CORO_BEGIN(co);
    coro_future_init(&M.fut[0], &loop);
    M.kids[0] = &M.fut[0];
    WAIT_OK(coro_gather(&M.wait, &loop, M.kids, M.watch, 1));
    start_waiter(&M.wait.fut);
    CORO_SLEEP(co, &loop, 0);
    coro_future_set_result(&M.fut[0], coro_int(1));
    ev("cancel:%s", cancelled_str(coro_future_cancel(&M.waiter.task.fut)));
    CORO_SLEEP(co, &loop, 1 * CORO_SEC);
    ev("waiter.cancelled:%s", pybool(coro_future_cancelled(&M.waiter.task.fut)));
    CORO_END(co);
}

START_TEST(test_cancel_of_task_awaiting_gather_whose_child_just_finished)
{
    ck_assert_int_eq(run_main(gather_task_cancel_late_main), 0);
    ck_assert_trace("cancel:True@0 waiter:cancelled@0 waiter.cancelled:True@1");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* wait                                                                     */
/* ------------------------------------------------------------------------ */

/* One main for the return_when tests: wait(a, b, c) in mode M.i with a 10 s
 * timeout (never reached; it must go with the wait), show the split, then if
 * a is still pending let the others finish.
 * async def main():       # mode = ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION
 *     ts = [task('a', 3, 10), task('b', 1, 20), task('c', 2, 30)]  # or b fails:
 *                                                   # task('b', 1, fail=7)
 *     done, pending = await asyncio.wait(ts, timeout=10 * U, return_when=mode)
 *     ev('main:' + split(ts, done))
 *     if ts[0].done(): return
 *     await asyncio.sleep(3 * U)
 *     ev('main:' + ','.join(str(t.result()) for t in ts if not t.exception()))
 * ALL_COMPLETED          -> b:done@1 c:done@2 a:done@3 main:abc|@3
 * FIRST_COMPLETED        -> b:done@1 main:b|ac@1 c:done@2 a:done@3 main:10,20,30@4
 * FIRST_EXCEPTION, b fails
 *                        -> b:fail@1 main:b|ac@1 c:done@2 a:done@3 main:10,30@4
 * FIRST_EXCEPTION, no error
 *                        -> b:done@1 c:done@2 a:done@3 main:abc|@3 */
static int wait_mode_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 3);
    WAIT_OK(coro_wait(&M.wait, &loop, M.kids, M.watch, 3, (enum coro_wait_mode)M.i,
                      10 * CORO_SEC));
    CORO_AWAIT_FUTURE_CATCH(co, &M.wait.fut, M.r, M.err);
    ck_assert_int_eq(M.err, 0);
    ev("main:%s", split(M.kids, 3));
    if (coro_future_done(M.kids[0]))
        CORO_RETURN(co, coro_none());
    CORO_SLEEP(co, &loop, 3 * CORO_SEC);
    if (M.w[1].fail)
        ev("main:%ld,%ld", res(M.kids[0]), res(M.kids[2]));
    else
        ev("main:%ld,%ld,%ld", res(M.kids[0]), res(M.kids[1]), res(M.kids[2]));
    CORO_END(co);
}

static void wait_mode_setup(enum coro_wait_mode mode, int b_fails)
{
    set_abc(3, 1, 2);
    M.w[1].fail = b_fails ? 7 : 0;
    M.i = (int)mode;
}

START_TEST(test_wait_all_completed_waits_for_every_child)
{
    wait_mode_setup(CORO_ALL_COMPLETED, 0);
    ck_assert_int_eq(run_main(wait_mode_main), 0);
    ck_assert_trace("b:done@1 c:done@2 a:done@3 main:abc|@3");
    ck_assert_time(3);      /* the 10 s timer went with the wait */
}
END_TEST

START_TEST(test_wait_first_completed_returns_at_first_and_others_go_on)
{
    wait_mode_setup(CORO_FIRST_COMPLETED, 0);
    ck_assert_int_eq(run_main(wait_mode_main), 0);
    ck_assert_trace("b:done@1 main:b|ac@1 c:done@2 a:done@3 main:10,20,30@4");
    ck_assert_time(4);
}
END_TEST

START_TEST(test_wait_first_exception_returns_at_the_error)
{
    wait_mode_setup(CORO_FIRST_EXCEPTION, 1);
    ck_assert_int_eq(run_main(wait_mode_main), 0);
    ck_assert_trace("b:fail@1 main:b|ac@1 c:done@2 a:done@3 main:10,30@4");
    ck_assert_int_eq(coro_future_result(M.kids[1], NULL), 7);
}
END_TEST

START_TEST(test_wait_first_exception_without_error_waits_for_all)
{
    wait_mode_setup(CORO_FIRST_EXCEPTION, 0);
    ck_assert_int_eq(run_main(wait_mode_main), 0);
    ck_assert_trace("b:done@1 c:done@2 a:done@3 main:abc|@3");
}
END_TEST

/* A cancelled child is not an exception for FIRST_EXCEPTION (asyncio's
 * _on_completion tests `not f.cancelled() and f.exception() is not None`).
 * async def main():
 *     ts = [task('a', 3, 10), task('b', 5, 20)]
 *     asyncio.create_task(canceller('cancel', ts[1], 1))
 *     done, pending = await asyncio.wait(ts, return_when=FIRST_EXCEPTION)
 *     ev('main:' + split(ts, done))
 * -> cancel:True@1 b:cancelled@1 a:done@3 main:ab|@3 */
static int wait_fe_cancelled_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 2);
    start_canceller(M.kids[1], 1);
    WAIT_OK(coro_wait(&M.wait, &loop, M.kids, M.watch, 2, CORO_FIRST_EXCEPTION, CORO_FOREVER));
    CORO_AWAIT_FUTURE(co, &M.wait.fut, M.r);
    ev("main:%s", split(M.kids, 2));
    CORO_END(co);
}

START_TEST(test_wait_first_exception_ignores_a_cancelled_child)
{
    set_abc(3, 5, 0);
    ck_assert_int_eq(run_main(wait_fe_cancelled_main), 0);
    ck_assert_trace("cancel:True@1 b:cancelled@1 a:done@3 main:ab|@3");
}
END_TEST

/* async def main():
 *     ts = [task('a', 1, 10), task('b', 3, 20), task('c', 5, 30)]
 *     done, pending = await asyncio.wait(ts, timeout=2 * U)
 *     ev('main:' + split(ts, done))
 *     await asyncio.sleep(4 * U)
 *     ev('main:%d,%d,%d' % tuple(t.result() for t in ts))
 * -> a:done@1 main:a|bc@2 b:done@3 c:done@5 main:10,20,30@6 */
static int wait_timeout_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 3);
    WAIT_OK(coro_wait(&M.wait, &loop, M.kids, M.watch, 3, CORO_ALL_COMPLETED, 2 * CORO_SEC));
    CORO_AWAIT_FUTURE_CATCH(co, &M.wait.fut, M.r, M.err);
    ck_assert_int_eq(M.err, 0);         /* asyncio.wait never raises TimeoutError */
    ev("main:%s", split(M.kids, 3));
    ck_assert(!coro_future_cancelled(M.kids[1]) && !coro_future_cancelled(M.kids[2]));
    CORO_SLEEP(co, &loop, 4 * CORO_SEC);
    ev("main:%ld,%ld,%ld", res(M.kids[0]), res(M.kids[1]), res(M.kids[2]));
    CORO_END(co);
}

START_TEST(test_wait_timeout_completes_at_timeout_and_leaves_children_running)
{
    set_abc(1, 3, 5);
    ck_assert_int_eq(run_main(wait_timeout_main), 0);
    ck_assert_trace("a:done@1 main:a|bc@2 b:done@3 c:done@5 main:10,20,30@6");
}
END_TEST

/* async def main():
 *     ts = [task('a', 2, 10), task('b', 4, 20)]
 *     t = asyncio.create_task(awaiter('waiter', asyncio.wait(ts)))
 *     asyncio.create_task(canceller('cancel', t, 1))
 *     await asyncio.sleep(5 * U)
 *     ev('cancelled:%s,%s,%s' % (ts[0].cancelled(), ts[1].cancelled(), t.cancelled()))
 * -> cancel:True@1 waiter:cancelled@1 a:done@2 b:done@4 cancelled:False,False,True@5 */
static int wait_task_cancelled_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 2);
    WAIT_OK(coro_wait(&M.wait, &loop, M.kids, M.watch, 2, CORO_ALL_COMPLETED, CORO_FOREVER));
    start_waiter(&M.wait.fut);
    start_canceller(&M.waiter.task.fut, 1);
    CORO_SLEEP(co, &loop, 5 * CORO_SEC);
    ev("cancelled:%s,%s,%s", pybool(coro_future_cancelled(M.kids[0])),
       pybool(coro_future_cancelled(M.kids[1])),
       pybool(coro_future_cancelled(&M.waiter.task.fut)));
    CORO_END(co);
}

START_TEST(test_cancelling_task_awaiting_wait_does_not_cancel_children)
{
    set_abc(2, 4, 0);
    ck_assert_int_eq(run_main(wait_task_cancelled_main), 0);
    ck_assert_trace("cancel:True@1 waiter:cancelled@1 a:done@2 b:done@4 "
                    "cancelled:False,False,True@5");
}
END_TEST

/* async def main():
 *     a, b = task('a', 1, 10), task('b', 3, 20)
 *     done, pending = await asyncio.wait([a, b], return_when=FIRST_COMPLETED)
 *     ev('main:' + split([a, b], done))
 *     c = task('c', 1, 30)
 *     done, pending = await asyncio.wait([c, b])
 *     ev('main:' + split([c, b], done))
 * -> a:done@1 main:a|b@1 c:done@2 b:done@3 main:cb|@3
 * The second wait reuses the watches of the first, one of them on b. */
static int wait_reuse_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 2);
    WAIT_OK(coro_wait(&M.wait, &loop, M.kids, M.watch, 2, CORO_FIRST_COMPLETED, CORO_FOREVER));
    CORO_AWAIT_FUTURE(co, &M.wait.fut, M.r);
    ev("main:%s", split(M.kids, 2));
    start_workers(2, 3);
    M.kids2[0] = M.kids[2];
    M.kids2[1] = M.kids[1];
    ck_assert_int_eq(coro_wait(&M.wait2, &loop, M.kids2, M.watch, 2, CORO_ALL_COMPLETED,
                               CORO_FOREVER), 0);
    CORO_AWAIT_FUTURE(co, &M.wait2.fut, M.r);
    ev("main:%s", split(M.kids2, 2));
    CORO_END(co);
}

START_TEST(test_wait_detaches_its_watches_when_done_so_they_can_be_reused)
{
    coro_value v = coro_int(1);
    set_abc(1, 3, 1);
    ck_assert_int_eq(run_main(wait_reuse_main), 0);
    ck_assert_trace("a:done@1 main:a|b@1 c:done@2 b:done@3 main:cb|@3");
    /* b finishing did not touch the first wait */
    ck_assert_int_eq(coro_future_result(&M.wait.fut, &v), 0);
    ck_assert_int_eq(v.type, CORO_NONE);
}
END_TEST

/* loop.h: "Cancelling w stops the watching" (no asyncio twin: its wait is a
 * coroutine). The children go on; the watches are free at once. */
START_TEST(test_cancelling_a_wait_stops_watching_and_leaves_children)
{
    coro_future_init(&M.fut[0], &loop);
    coro_future_init(&M.fut[1], &loop);
    M.kids[0] = &M.fut[0];
    M.kids[1] = &M.fut[1];
    ck_assert_int_eq(coro_wait(&M.wait, &loop, M.kids, M.watch, 2, CORO_ALL_COMPLETED,
                               5 * CORO_SEC), 0);
    ck_assert_int_eq(coro_future_cancel(&M.wait.fut), 0);
    ck_assert(coro_future_cancelled(&M.wait.fut));
    ck_assert(!coro_future_done(&M.fut[0]) && !coro_future_done(&M.fut[1]));
    ck_assert_int_eq(coro_gather(&M.wait2, &loop, M.kids, M.watch, 2), 0);
    coro_future_set_result(&M.fut[0], coro_int(1));
    coro_future_set_result(&M.fut[1], coro_int(2));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &M.wait2.fut, NULL), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);   /* the 5 s timer is gone */
    ck_assert_time(0);
    ck_assert_int_eq(coro_future_result(&M.wait.fut, NULL), CORO_ECANCELLED);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* as_completed                                                             */
/* ------------------------------------------------------------------------ */

/* async def main():
 *     ts = [task('a', 3, 10), task('b', 1, 20), task('c', 2, 30)]
 *     it = asyncio.as_completed(ts)
 *     for f in it:
 *         ev('main:%d' % await f)
 *     ev('main:%s' % ('empty' if next(it, None) is None else 'more'))
 * -> b:done@1 main:20@1 c:done@2 main:30@2 a:done@3 main:10@3 main:empty@3 */
static int as_completed_order_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 3);
    WAIT_OK(coro_as_completed(&M.wait, &loop, M.kids, M.watch, 3, CORO_FOREVER));
    for (M.i = 0; M.i < 3; M.i++) {
        CORO_AS_COMPLETED_NEXT(co, &M.wait, M.r);
        ev("main:%ld", res((struct coro_future *)M.r.v.p));
    }
    ck_assert(coro_future_done(&M.wait.fut));
    M.take.w = &M.wait;
    coro_init(&M.take.co, take_body);
    CORO_AWAIT_CATCH(co, &M.take.co, M.r, M.err);
    ev("main:%s", errname(M.err));
    CORO_END(co);
}

START_TEST(test_as_completed_gives_children_in_finishing_order_then_eempty)
{
    set_abc(3, 1, 2);
    ck_assert_int_eq(run_main(as_completed_order_main), 0);
    ck_assert_trace("b:done@1 main:20@1 c:done@2 main:30@2 a:done@3 main:10@3 main:empty@3");
    ck_assert_int_eq(coro_as_completed_take(&M.wait, &M.r), CORO_EEMPTY);
}
END_TEST

/* async def main():
 *     ts = [task('a', 1, 10), task('b', 3, 20), task('c', 5, 30)]
 *     for f in asyncio.as_completed(ts, timeout=2 * U):
 *         try:
 *             ev('main:%d' % await f)
 *         except TimeoutError:
 *             ev('main:timeout')
 *     await asyncio.sleep(4 * U)
 *     ev('main:%d,%d,%d' % tuple(t.result() for t in ts))
 * -> a:done@1 main:10@1 main:timeout@2 main:timeout@2 b:done@3 c:done@5
 *    main:10,20,30@6
 * Also (not in asyncio, whose iterator stops after n): a 4th take times out. */
static int as_completed_timeout_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 3);
    WAIT_OK(coro_as_completed(&M.wait, &loop, M.kids, M.watch, 3, 2 * CORO_SEC));
    for (M.i = 0; M.i < 3; M.i++) {
        M.take.w = &M.wait;
        coro_init(&M.take.co, take_body);
        CORO_AWAIT_CATCH(co, &M.take.co, M.r, M.err);
        if (M.err)
            ev("main:%s", errname(M.err));
        else
            ev("main:%ld", res((struct coro_future *)M.r.v.p));
    }
    ck_assert_int_eq(coro_as_completed_take(&M.wait, &M.r), CORO_ETIMEDOUT);
    CORO_SLEEP(co, &loop, 4 * CORO_SEC);
    ev("main:%ld,%ld,%ld", res(M.kids[0]), res(M.kids[1]), res(M.kids[2]));
    CORO_END(co);
}

START_TEST(test_as_completed_timeout_raises_etimedout_at_this_and_later_takes)
{
    set_abc(1, 3, 5);
    ck_assert_int_eq(run_main(as_completed_timeout_main), 0);
    ck_assert_trace("a:done@1 main:10@1 main:timeout@2 main:timeout@2 b:done@3 c:done@5 "
                    "main:10,20,30@6");
}
END_TEST

/* async def main():
 *     ts = [task('a', 3, 10), task('b', 1, 20), task('c', 2, 30)]
 *     it = asyncio.as_completed(ts)
 *     fs = [next(it)]                        # watching starts here
 *     await asyncio.sleep(4 * U)
 *     for f in fs + list(it):
 *         ev('main:%d' % await f)
 * -> b:done@1 c:done@2 a:done@3 main:20@4 main:30@4 main:10@4 */
static int as_completed_done_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 3);
    WAIT_OK(coro_as_completed(&M.wait, &loop, M.kids, M.watch, 3, CORO_FOREVER));
    CORO_SLEEP(co, &loop, 4 * CORO_SEC);
    for (M.i = 0; M.i < 3; M.i++) {
        CORO_AS_COMPLETED_NEXT(co, &M.wait, M.r);
        ev("main:%ld", res((struct coro_future *)M.r.v.p));
    }
    CORO_END(co);
}

START_TEST(test_as_completed_children_done_before_first_take_in_finishing_order)
{
    set_abc(3, 1, 2);
    ck_assert_int_eq(run_main(as_completed_done_main), 0);
    ck_assert_trace("b:done@1 c:done@2 a:done@3 main:20@4 main:30@4 main:10@4");
    ck_assert(coro_future_done(&M.wait.fut));
}
END_TEST

/* A child finished before the timeout but not yet taken is still given
 * (asyncio queues a None per unfinished child behind the finished ones).
 * async def main():
 *     ts = [task('a', 1, 10), task('b', 5, 20)]
 *     it = asyncio.as_completed(ts, timeout=2 * U)
 *     fs = [next(it)]                        # watching starts here
 *     await asyncio.sleep(3 * U)
 *     for f in fs + list(it):
 *         try:
 *             ev('main:%d' % await f)
 *         except TimeoutError:
 *             ev('main:timeout')
 *     await asyncio.sleep(3 * U)
 *     ev('main:%d,%d' % tuple(t.result() for t in ts))
 * -> a:done@1 main:10@3 main:timeout@3 b:done@5 main:10,20@6 */
static int as_completed_untaken_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 2);
    WAIT_OK(coro_as_completed(&M.wait, &loop, M.kids, M.watch, 2, 2 * CORO_SEC));
    CORO_SLEEP(co, &loop, 3 * CORO_SEC);
    for (M.i = 0; M.i < 2; M.i++) {
        M.take.w = &M.wait;
        coro_init(&M.take.co, take_body);
        CORO_AWAIT_CATCH(co, &M.take.co, M.r, M.err);
        if (M.err)
            ev("main:%s", errname(M.err));
        else
            ev("main:%ld", res((struct coro_future *)M.r.v.p));
    }
    CORO_SLEEP(co, &loop, 3 * CORO_SEC);
    ev("main:%ld,%ld", res(M.kids[0]), res(M.kids[1]));
    CORO_END(co);
}

START_TEST(test_as_completed_timeout_still_gives_children_finished_before_it)
{
    set_abc(1, 5, 0);
    ck_assert_int_eq(run_main(as_completed_untaken_main), 0);
    ck_assert_trace("a:done@1 main:10@3 main:timeout@3 b:done@5 main:10,20@6");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* wait_for                                                                 */
/* ------------------------------------------------------------------------ */

/* One main: r = await wait_for(inner, M.i s) (inner = M.w[0] or, with no
 * name, the plain future M.fut[0]); shows r or the error, then whether
 * inner was cancelled when it times out.
 * in time:  i = task('inner', 1, 42)
 *           ev('main:%d' % await asyncio.wait_for(i, 5 * U))
 *           -> inner:done@1 main:42@1
 * error:    i = task('inner', 1, fail=7)
 *           try:
 *               await asyncio.wait_for(i, 5 * U)
 *           except E as e:
 *               ev('main:' + errname(e))
 *           -> inner:fail@1 main:E7@1
 * timeout:  i = task('inner', 5, 42)
 *           try:
 *               await asyncio.wait_for(i, 2 * U)
 *           except TimeoutError:
 *               ev('main:timeout')
 *           ev('inner.cancelled:%s' % i.cancelled())
 *           -> inner:cancelled@2 main:timeout@2 inner.cancelled:True@2
 * caught:   i = task('inner', 5, 99, catch=True, after=1)
 *           ev('main:%d' % await asyncio.wait_for(i, 2 * U))
 *           -> inner:cancelled@2 inner:caught@3 main:99@3
 * done future:
 *           f = asyncio.get_running_loop().create_future(); f.set_result(5)
 *           ev('main:%d' % await asyncio.wait_for(f, 2 * U))
 *           -> main:5@0
 * pending future:
 *           f = asyncio.get_running_loop().create_future()
 *           try:
 *               await asyncio.wait_for(f, 2 * U)
 *           except TimeoutError:
 *               ev('main:timeout')
 *           ev('fut.cancelled:%s' % f.cancelled())
 *           -> main:timeout@2 fut.cancelled:True@2 */
static int wait_for_main(struct coro *co)
{
    CORO_BEGIN(co);
    if (M.w[0].name) {
        start_workers(0, 1);
    } else {
        M.kids[0] = &M.fut[0];
    }
    WAIT_OK(coro_wait_for(&M.wf, &loop, M.kids[0], M.i * CORO_SEC));
    CORO_AWAIT_FUTURE_CATCH(co, &M.wf.fut, M.r, M.err);
    if (M.err)
        ev("main:%s", errname(M.err));
    else
        ev("main:%ld", (long)M.r.v.i);
    if (M.err == CORO_ETIMEDOUT)
        ev("%s.cancelled:%s", M.w[0].name ? "inner" : "fut",
           pybool(coro_future_cancelled(M.kids[0])));
    CORO_END(co);
}

START_TEST(test_wait_for_inner_in_time_gives_its_result_and_drops_the_timer)
{
    worker_set(0, "inner", 1, 42);
    M.i = 5;
    ck_assert_int_eq(run_main(wait_for_main), 0);
    ck_assert_trace("inner:done@1 main:42@1");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
    ck_assert_time(1);
}
END_TEST

START_TEST(test_wait_for_inner_error_in_time_is_raised)
{
    worker_set(0, "inner", 1, 0);
    M.w[0].fail = 7;
    M.i = 5;
    ck_assert_int_eq(run_main(wait_for_main), 0);
    ck_assert_trace("inner:fail@1 main:E7@1");
    ck_assert_int_eq(coro_future_result(&M.wf.fut, NULL), 7);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
    ck_assert_time(1);
}
END_TEST

START_TEST(test_wait_for_timeout_cancels_inner_and_raises_etimedout_at_2s)
{
    worker_set(0, "inner", 5, 42);
    M.i = 2;
    ck_assert_int_eq(run_main(wait_for_main), 0);
    ck_assert_trace("inner:cancelled@2 main:timeout@2 inner.cancelled:True@2");
    ck_assert(coro_future_done(&M.wf.fut) && !coro_future_cancelled(&M.wf.fut));
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
    ck_assert_time(2);
}
END_TEST

START_TEST(test_wait_for_inner_that_catches_the_cancel_and_returns_gives_value)
{
    worker_set(0, "inner", 5, 99);
    M.w[0].catch_cancel = 1;
    M.w[0].after = 1;
    M.i = 2;
    ck_assert_int_eq(run_main(wait_for_main), 0);
    ck_assert_trace("inner:cancelled@2 inner:caught@3 main:99@3");
}
END_TEST

START_TEST(test_wait_for_of_a_done_future_gives_its_result_at_once)
{
    coro_future_init(&M.fut[0], &loop);
    coro_future_set_result(&M.fut[0], coro_int(5));
    M.i = 2;
    ck_assert_int_eq(run_main(wait_for_main), 0);
    ck_assert_trace("main:5@0");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
    ck_assert_time(0);
}
END_TEST

START_TEST(test_wait_for_pending_plain_future_times_out_and_cancels_it)
{
    coro_future_init(&M.fut[0], &loop);
    M.i = 2;
    ck_assert_int_eq(run_main(wait_for_main), 0);
    ck_assert_trace("main:timeout@2 fut.cancelled:True@2");
}
END_TEST

/* async def main():
 *     i = task('inner', 5, 42)
 *     t = asyncio.create_task(awaiter('waiter', asyncio.wait_for(i, 10 * U)))
 *     asyncio.create_task(canceller('cancel', t, 1))
 *     await asyncio.sleep(2 * U)
 *     ev('cancelled:%s,%s' % (i.cancelled(), t.cancelled()))
 * -> cancel:True@1 inner:cancelled@1 waiter:cancelled@1 cancelled:True,True@2 */
static int wait_for_task_cancelled_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 1);
    WAIT_OK(coro_wait_for(&M.wf, &loop, M.kids[0], 10 * CORO_SEC));
    start_waiter(&M.wf.fut);
    start_canceller(&M.waiter.task.fut, 1);
    CORO_SLEEP(co, &loop, 2 * CORO_SEC);
    ev("cancelled:%s,%s", pybool(coro_future_cancelled(M.kids[0])),
       pybool(coro_future_cancelled(&M.waiter.task.fut)));
    CORO_END(co);
}

START_TEST(test_cancelling_task_awaiting_wait_for_cancels_inner)
{
    worker_set(0, "inner", 5, 42);
    ck_assert_int_eq(run_main(wait_for_task_cancelled_main), 0);
    ck_assert_trace("cancel:True@1 inner:cancelled@1 waiter:cancelled@1 cancelled:True,True@2");
    ck_assert_time(2);          /* the 10 s timer is gone */
}
END_TEST

/* ------------------------------------------------------------------------ */
/* shield                                                                   */
/* ------------------------------------------------------------------------ */

/* result:  i = task('inner', 1, 42)
 *          ev('main:%d' % await asyncio.shield(i))
 *          -> inner:done@1 main:42@1
 * error:   i = task('inner', 1, fail=7)
 *          try:
 *              await asyncio.shield(i)
 *          except E as e:
 *              ev('main:' + errname(e))
 *          -> inner:fail@1 main:E7@1
 * inner cancelled (the shield is cancelled too):
 *          i = task('inner', 3, 42)
 *          s = asyncio.shield(i)
 *          asyncio.create_task(canceller('cancel', i, 1))
 *          try:
 *              await s
 *          except CancelledError:
 *              ev('main:cancelled')
 *          ev('shield.cancelled:%s' % s.cancelled())
 *          -> cancel:True@1 inner:cancelled@1 main:cancelled@1 shield.cancelled:True@1
 * shield cancelled: the same with canceller('cancel', s, 1), then
 *          ev('main:%d' % await i)
 *          -> cancel:True@1 main:cancelled@1 inner:done@3 main:42@3 */
enum { PLAIN, CANCEL_INNER, CANCEL_SHIELD };   /* M.i in shield_main */

static int shield_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 1);
    WAIT_OK(coro_shield(&M.sh, &loop, M.kids[0]));
    if (M.i != PLAIN)
        start_canceller(M.i == CANCEL_SHIELD ? &M.sh.fut : M.kids[0], 1);
    CORO_AWAIT_FUTURE_CATCH(co, &M.sh.fut, M.r, M.err);
    if (M.err)
        ev("main:%s", errname(M.err));
    else
        ev("main:%ld", (long)M.r.v.i);
    if (M.i == CANCEL_INNER)
        ev("shield.cancelled:%s", pybool(coro_future_cancelled(&M.sh.fut)));
    if (M.i == CANCEL_SHIELD) {
        CORO_AWAIT_FUTURE(co, M.kids[0], M.r);
        ev("main:%ld", (long)M.r.v.i);
    }
    CORO_END(co);
}

START_TEST(test_shield_passes_the_result_through)
{
    worker_set(0, "inner", 1, 42);
    ck_assert_int_eq(run_main(shield_main), 0);
    ck_assert_trace("inner:done@1 main:42@1");
}
END_TEST

START_TEST(test_shield_passes_an_inner_error_through)
{
    worker_set(0, "inner", 1, 0);
    M.w[0].fail = 7;
    ck_assert_int_eq(run_main(shield_main), 0);
    ck_assert_trace("inner:fail@1 main:E7@1");
}
END_TEST

START_TEST(test_shield_is_cancelled_when_inner_is)
{
    worker_set(0, "inner", 3, 42);
    M.i = CANCEL_INNER;
    ck_assert_int_eq(run_main(shield_main), 0);
    ck_assert_trace("cancel:True@1 inner:cancelled@1 main:cancelled@1 shield.cancelled:True@1");
}
END_TEST

START_TEST(test_cancelling_the_shield_does_not_cancel_inner)
{
    worker_set(0, "inner", 3, 42);
    M.i = CANCEL_SHIELD;
    ck_assert_int_eq(run_main(shield_main), 0);
    ck_assert_trace("cancel:True@1 main:cancelled@1 inner:done@3 main:42@3");
    ck_assert_time(3);
}
END_TEST

/* async def main():
 *     i = task('inner', 3, 42)
 *     t = asyncio.create_task(awaiter('waiter', asyncio.shield(i)))
 *     asyncio.create_task(canceller('cancel', t, 1))
 *     ev('main:%d' % await i)
 *     ev('cancelled:%s,%s' % (i.cancelled(), t.cancelled()))
 * -> cancel:True@1 waiter:cancelled@1 inner:done@3 main:42@3 cancelled:False,True@3 */
static int shield_task_cancelled_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_workers(0, 1);
    WAIT_OK(coro_shield(&M.sh, &loop, M.kids[0]));
    start_waiter(&M.sh.fut);
    start_canceller(&M.waiter.task.fut, 1);
    CORO_AWAIT_FUTURE(co, M.kids[0], M.r);
    ev("main:%ld", (long)M.r.v.i);
    ev("cancelled:%s,%s", pybool(coro_future_cancelled(M.kids[0])),
       pybool(coro_future_cancelled(&M.waiter.task.fut)));
    CORO_END(co);
}

START_TEST(test_cancelling_task_awaiting_shield_does_not_cancel_inner)
{
    worker_set(0, "inner", 3, 42);
    ck_assert_int_eq(run_main(shield_task_cancelled_main), 0);
    ck_assert_trace("cancel:True@1 waiter:cancelled@1 inner:done@3 main:42@3 "
                    "cancelled:False,True@3");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Misuse                                                                   */
/* ------------------------------------------------------------------------ */

START_TEST(test_watch_still_in_use_is_ebusy_and_nothing_is_armed)
{
    struct coro_future a = { 0 }, b = { 0 }, c = { 0 }, *one[1], *two[2];
    coro_future_init(&a, &loop);
    coro_future_init(&b, &loop);
    coro_future_init(&c, &loop);
    one[0] = &a;
    ck_assert_int_eq(coro_gather(&M.wait, &loop, one, &M.watch[1], 1), 0);
    two[0] = &b;
    two[1] = &c;                /* watch[1] is still on a */
    ck_assert_int_eq(coro_gather(&M.wait2, &loop, two, M.watch, 2), CORO_EBUSY);
    ck_assert_int_eq(coro_wait(&M.wait2, &loop, two, M.watch, 2, CORO_ALL_COMPLETED,
                               1 * CORO_SEC), CORO_EBUSY);
    ck_assert_int_eq(coro_as_completed(&M.wait2, &loop, two, M.watch, 2, 1 * CORO_SEC),
                     CORO_EBUSY);
    /* watch[0] was not attached to b */
    ck_assert_int_eq(coro_future_remove_done_callback(&b, &M.watch[0].h), CORO_ESTATE);
    /* the first gather still works, and no timer was left behind */
    coro_future_set_result(&a, coro_int(1));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &M.wait.fut, NULL), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
    ck_assert_time(0);
    /* and once it is done its watch is free */
    ck_assert_int_eq(coro_gather(&M.wait2, &loop, two, M.watch, 2), 0);
}
END_TEST

/* loop.h: coro_wait_for returns "0, CORO_EBUSY, CORO_EFULL": starting one
 * whose watch is still on a pending inner is EBUSY. */
START_TEST(test_wait_for_still_watching_is_ebusy)
{
    struct coro_future a = { 0 }, b = { 0 };
    coro_value v;
    coro_future_init(&a, &loop);
    coro_future_init(&b, &loop);
    ck_assert_int_eq(coro_wait_for(&M.wf, &loop, &a, CORO_FOREVER), 0);
    ck_assert_int_eq(coro_wait_for(&M.wf, &loop, &b, CORO_FOREVER), CORO_EBUSY);
    coro_future_set_result(&a, coro_int(3));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &M.wf.fut, &v), 0);
    ck_assert_int_eq(v.v.i, 3);
}
END_TEST

/* loop.h: coro_shield returns "0 or CORO_EBUSY". */
START_TEST(test_shield_still_watching_is_ebusy)
{
    struct coro_future a = { 0 }, b = { 0 };
    coro_value v;
    coro_future_init(&a, &loop);
    coro_future_init(&b, &loop);
    ck_assert_int_eq(coro_shield(&M.sh, &loop, &a), 0);
    ck_assert_int_eq(coro_shield(&M.sh, &loop, &b), CORO_EBUSY);
    coro_future_set_result(&a, coro_int(3));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &M.sh.fut, &v), 0);
    ck_assert_int_eq(v.v.i, 3);
}
END_TEST

START_TEST(test_null_arguments_and_bad_modes_are_einval)
{
    struct coro_future a = { 0 }, *one[1], *none[1] = { NULL };
    struct coro_wait *w = &M.wait;
    struct coro_watch *wt = M.watch;
    const coro_time T = CORO_FOREVER;
    coro_future_init(&a, &loop);
    one[0] = &a;
#define EINVAL(call) ck_assert_int_eq((call), CORO_EINVAL)
    EINVAL(coro_gather(NULL, &loop, one, wt, 1));
    EINVAL(coro_gather(w, NULL, one, wt, 1));
    EINVAL(coro_gather(w, &loop, NULL, wt, 1));
    EINVAL(coro_gather(w, &loop, one, NULL, 1));
    EINVAL(coro_gather(w, &loop, none, wt, 1));
    EINVAL(coro_wait(NULL, &loop, one, wt, 1, CORO_ALL_COMPLETED, T));
    EINVAL(coro_wait(w, NULL, one, wt, 1, CORO_ALL_COMPLETED, T));
    EINVAL(coro_wait(w, &loop, NULL, wt, 1, CORO_ALL_COMPLETED, T));
    EINVAL(coro_wait(w, &loop, one, NULL, 1, CORO_ALL_COMPLETED, T));
    EINVAL(coro_wait(w, &loop, none, wt, 1, CORO_FIRST_COMPLETED, T));
    EINVAL(coro_wait(w, &loop, one, wt, 1, CORO_GATHER, T));
    EINVAL(coro_wait(w, &loop, one, wt, 1, CORO_AS_COMPLETED, T));
    EINVAL(coro_as_completed(NULL, &loop, one, wt, 1, T));
    EINVAL(coro_as_completed(w, NULL, one, wt, 1, T));
    EINVAL(coro_as_completed(w, &loop, NULL, wt, 1, T));
    EINVAL(coro_as_completed(w, &loop, one, NULL, 1, T));
    EINVAL(coro_as_completed(w, &loop, none, wt, 1, T));
    EINVAL(coro_wait_for(NULL, &loop, &a, CORO_SEC));
    EINVAL(coro_wait_for(&M.wf, NULL, &a, CORO_SEC));
    EINVAL(coro_wait_for(&M.wf, &loop, NULL, CORO_SEC));
    EINVAL(coro_shield(NULL, &loop, &a));
    EINVAL(coro_shield(&M.sh, NULL, &a));
    EINVAL(coro_shield(&M.sh, &loop, NULL));
#undef EINVAL
    /* nothing was attached to a, nothing armed */
    ck_assert(a.waiters.tail == NULL);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

static void noop(struct coro_handle *h)
{
    (void)h;
}

START_TEST(test_timeout_with_full_timer_heap_is_efull_and_attaches_nothing)
{
    struct coro_handle filler;
    struct coro_future a = { 0 }, *one[1];
    ck_assert_int_eq(coro_loop_init(&loop, slots, 1), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    coro_handle_init(&filler, noop);
    ck_assert_int_eq(coro_loop_call_later(&loop, &filler, 5 * CORO_SEC), 0);
    coro_future_init(&a, &loop);
    one[0] = &a;
    ck_assert_int_eq(coro_wait(&M.wait, &loop, one, M.watch, 1, CORO_ALL_COMPLETED, CORO_SEC),
                     CORO_EFULL);
    ck_assert_int_eq(coro_as_completed(&M.wait, &loop, one, M.watch, 1, CORO_SEC), CORO_EFULL);
    ck_assert_int_eq(coro_wait_for(&M.wf, &loop, &a, CORO_SEC), CORO_EFULL);
    ck_assert(a.waiters.tail == NULL);
    /* no timeout, no timer slot needed */
    ck_assert_int_eq(coro_wait(&M.wait, &loop, one, M.watch, 1, CORO_ALL_COMPLETED,
                               CORO_FOREVER), 0);
    ck_assert_int_eq(coro_wait_for(&M.wf, &loop, &a, CORO_FOREVER), 0);
    coro_future_set_result(&a, coro_int(4));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &M.wf.fut, NULL), 0);
    ck_assert(coro_future_done(&M.wait.fut));
    ck_assert_int_eq(coro_loop_cancel(&loop, &filler), 0);
}
END_TEST

START_TEST(test_cancelling_a_finished_gather_wait_wait_for_or_shield_is_estate)
{
    struct coro_future a = { 0 }, b = { 0 }, *two[2];
    coro_future_init(&a, &loop);
    coro_future_init(&b, &loop);
    two[0] = &a;
    two[1] = &b;
    ck_assert_int_eq(coro_gather(&M.wait, &loop, two, M.watch, 0), 0);
    ck_assert_int_eq(coro_future_cancel(&M.wait.fut), CORO_ESTATE);
    /* a gather that failed: cancel is ESTATE and b is not cancelled */
    ck_assert_int_eq(coro_gather(&M.wait, &loop, two, M.watch, 2), 0);
    ck_assert_int_eq(coro_wait(&M.wait2, &loop, two, M.watch + 2, 1, CORO_ALL_COMPLETED,
                               CORO_SEC), 0);
    ck_assert_int_eq(coro_wait_for(&M.wf, &loop, &a, CORO_SEC), 0);
    ck_assert_int_eq(coro_shield(&M.sh, &loop, &a), 0);
    coro_future_set_error(&a, 7);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &M.wait.fut, NULL), 7);
    ck_assert_int_eq(coro_future_cancel(&M.wait.fut), CORO_ESTATE);
    ck_assert(!coro_future_done(&b));
    ck_assert(coro_future_done(&M.wait2.fut));
    ck_assert_int_eq(coro_future_cancel(&M.wait2.fut), CORO_ESTATE);
    ck_assert_int_eq(coro_future_result(&M.wf.fut, NULL), 7);
    ck_assert_int_eq(coro_future_cancel(&M.wf.fut), CORO_ESTATE);
    ck_assert_int_eq(coro_future_result(&M.sh.fut, NULL), 7);
    ck_assert_int_eq(coro_future_cancel(&M.sh.fut), CORO_ESTATE);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
    ck_assert_time(0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The suite                                                                */
/* ------------------------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name)
{
    return check_tcase(s, name, setup, NULL, 0);
}

static Suite *wait_suite(void)
{
    Suite *s = suite_create("wait");
    TCase *tc;

    tc = tcase(s, "gather");
    tcase_add_test(tc, test_gather_results_in_listed_order_though_children_finish_3_1_2);
    tcase_add_test(tc, test_gather_of_sleeps_3_1_2_completes_at_3s_from_outside_a_task);
    tcase_add_test(tc, test_gather_first_error_reaches_awaiter_at_once_others_run_on);
    tcase_add_test(tc, test_gather_with_a_cancelled_child_fails_with_ecancelled);
    tcase_add_test(tc, test_cancelling_gather_cancels_pending_children_and_ends_ecancelled);
    tcase_add_test(tc, test_cancelling_gather_cancels_a_nested_gather_s_children);
    tcase_add_test(tc, test_cancelling_task_awaiting_gather_cancels_the_children);
    tcase_add_test(tc, test_gather_of_no_children_is_done_at_once);
    tcase_add_test(tc, test_cancel_of_gather_whose_children_all_finished_changes_nothing);
    tcase_add_test(tc, test_cancel_of_task_awaiting_gather_whose_child_just_finished);

    tc = tcase(s, "wait");
    tcase_add_test(tc, test_wait_all_completed_waits_for_every_child);
    tcase_add_test(tc, test_wait_first_completed_returns_at_first_and_others_go_on);
    tcase_add_test(tc, test_wait_first_exception_returns_at_the_error);
    tcase_add_test(tc, test_wait_first_exception_without_error_waits_for_all);
    tcase_add_test(tc, test_wait_first_exception_ignores_a_cancelled_child);
    tcase_add_test(tc, test_wait_timeout_completes_at_timeout_and_leaves_children_running);
    tcase_add_test(tc, test_cancelling_task_awaiting_wait_does_not_cancel_children);
    tcase_add_test(tc, test_wait_detaches_its_watches_when_done_so_they_can_be_reused);
    tcase_add_test(tc, test_cancelling_a_wait_stops_watching_and_leaves_children);

    tc = tcase(s, "as_completed");
    tcase_add_test(tc, test_as_completed_gives_children_in_finishing_order_then_eempty);
    tcase_add_test(tc, test_as_completed_timeout_raises_etimedout_at_this_and_later_takes);
    tcase_add_test(tc, test_as_completed_children_done_before_first_take_in_finishing_order);
    tcase_add_test(tc, test_as_completed_timeout_still_gives_children_finished_before_it);

    tc = tcase(s, "wait_for");
    tcase_add_test(tc, test_wait_for_inner_in_time_gives_its_result_and_drops_the_timer);
    tcase_add_test(tc, test_wait_for_inner_error_in_time_is_raised);
    tcase_add_test(tc, test_wait_for_timeout_cancels_inner_and_raises_etimedout_at_2s);
    tcase_add_test(tc, test_wait_for_inner_that_catches_the_cancel_and_returns_gives_value);
    tcase_add_test(tc, test_wait_for_of_a_done_future_gives_its_result_at_once);
    tcase_add_test(tc, test_wait_for_pending_plain_future_times_out_and_cancels_it);
    tcase_add_test(tc, test_cancelling_task_awaiting_wait_for_cancels_inner);

    tc = tcase(s, "shield");
    tcase_add_test(tc, test_shield_passes_the_result_through);
    tcase_add_test(tc, test_shield_passes_an_inner_error_through);
    tcase_add_test(tc, test_shield_is_cancelled_when_inner_is);
    tcase_add_test(tc, test_cancelling_the_shield_does_not_cancel_inner);
    tcase_add_test(tc, test_cancelling_task_awaiting_shield_does_not_cancel_inner);

    tc = tcase(s, "misuse");
    tcase_add_test(tc, test_watch_still_in_use_is_ebusy_and_nothing_is_armed);
    tcase_add_test(tc, test_wait_for_still_watching_is_ebusy);
    tcase_add_test(tc, test_shield_still_watching_is_ebusy);
    tcase_add_test(tc, test_null_arguments_and_bad_modes_are_einval);
    tcase_add_test(tc, test_timeout_with_full_timer_heap_is_efull_and_attaches_nothing);
    tcase_add_test(tc, test_cancelling_a_finished_gather_wait_wait_for_or_shield_is_estate);

    return s;
}

int main(void)
{
    return check_run(wait_suite());
}
