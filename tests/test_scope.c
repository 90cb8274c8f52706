/* SPDX-License-Identifier: MIT */
/*
 * test_scope.c -- the Check suite of scope.h: timeouts (asyncio.timeout,
 * timeout_at, Timeout.reschedule / when / expired), shielded scopes and
 * task groups (asyncio.TaskGroup), on the virtual clock, tested against
 * CPython 3.11.7.
 *
 * Each ordering test records events as "<event>@<virtual seconds>" and
 * compares the whole sequence with what CPython 3.11.7 printed for the
 * asyncio program in the comment above it (never taken from the C code).
 * The programs run after this prelude, on a loop whose clock is virtual:
 * where the loop would block in select(timeout), the clock moves on by
 * timeout instead, so every time printed is exact.
 *
 * Python prelude:
 *     import asyncio, selectors
 *     from asyncio import CancelledError
 *     V = [0.0]
 *     class VSel(selectors.SelectSelector):  # waiting advances the clock
 *         def select(self, timeout=None):
 *             assert timeout is not None, 'deadlock'
 *             V[0] += timeout
 *             return super().select(0)
 *     class VLoop(asyncio.SelectorEventLoop):  # loop.time(): virtual seconds
 *         def __init__(self): super().__init__(VSel())
 *         def time(self): return V[0]
 *     T = []
 *     class E(Exception): pass               # E(7): user error 7
 *     def ev(s): T.append('%s@%d' % (s, round(V[0])))   # ev()
 *     def errname(e):                        # errname()
 *         if isinstance(e, CancelledError): return 'cancelled'
 *         if isinstance(e, TimeoutError): return 'timeout'
 *         if isinstance(e, E): return 'E%d' % e.args[0]
 *         if isinstance(e, BaseExceptionGroup):   # CORO_EGROUP
 *             return 'group[%s]' % ','.join(errname(x) for x in e.exceptions)
 *         if isinstance(e, RuntimeError):
 *             m = str(e)
 *             return ('ESHUTDOWN' if 'shutting down' in m else
 *                     'ESTATE' if ('finished' in m or 'not been entered' in m
 *                                  or 'Cannot change' in m) else m)
 *         raise e
 *     async def worker(name, delay, result=None, fail=0, catch=False, after=0):
 *         try:                               # worker_body()
 *             await asyncio.sleep(delay)
 *         except CancelledError:
 *             ev(name + ':cancelled')
 *             if not catch: raise
 *             if after: await asyncio.sleep(after)
 *             if fail:
 *                 ev(name + ':fail'); raise E(fail)
 *             ev(name + ':caught')
 *             return result
 *         if fail:
 *             ev(name + ':fail'); raise E(fail)
 *         ev(name + ':done')
 *         return result
 *     async def canceller(task, delay):      # canceller_body()
 *         await asyncio.sleep(delay)
 *         ev('cancel:%s' % task.cancel())
 *     def run(main):                         # run(): main is the first task
 *         V[0] = 0.0; T.clear()
 *         with asyncio.Runner(loop_factory=VLoop) as r:
 *             try:
 *                 res = r.run(main())
 *                 if res is not None: ev('run:%s' % res)
 *             except BaseException as e:
 *                 ev('run:' + errname(e))
 *         print(' '.join(T))
 *
 * TaskGroup keeps its children in a set, so when it cancels several at
 * once CPython wakes them in the set's order, which changes from run to run
 * (both orders seen for the same program). coro cancels them in the order
 * they started (scope.h), one of CPython's orders: where two children are
 * cancelled together the trace expects them in start order, and says so.
 *
 * Shielded scopes have no asyncio twin: their expected traces come from
 * Trio's documented rules for CancelScope(shield=True), stated above each.
 */
#include <check.h>
#include "check_main.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scope.h"
#include "wait.h"
#include "sync.h"
#include "trace.h"

/* ------------------------------------------------------------------------ */
/* The recorder, the loop, the helper tasks                                 */
/* ------------------------------------------------------------------------ */

static struct coro_loop loop;
static struct coro_timer_slot slots[32];

#if defined(__GNUC__)
static void ev(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif

/* Records "<event>@<virtual seconds>" (trace.h's recorder). */
static void ev(const char *fmt, ...)
{
    char msg[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ck_assert_int_eq(coro_loop_time(&loop) % CORO_SEC, 0);
    trace("%s@%ld", msg, (long)(coro_loop_time(&loop) / CORO_SEC));
}

/* Python's str() of True / False, and of what task.cancel() returns. */
static const char *pybool(int b)
{
    return b ? "True" : "False";
}
static const char *cancelled_str(int rc)
{
    return rc == 0 ? "True" : rc == CORO_ESTATE ? "False" : coro_errname(rc);
}

/* cm.when() as "%d" prints it, None for no deadline. */
static const char *when_str(const struct coro_timeout *sc)
{
    static char buf[24];
    coro_time w = coro_timeout_when(sc);
    if (w == CORO_FOREVER)
        return "None";
    snprintf(buf, sizeof buf, "%ld", (long)(w / CORO_SEC));
    return buf;
}

/* async def worker(...) of the prelude. */
struct worker {
    struct coro_task task;
    const char *name;
    int delay, after;       /* seconds */
    intptr_t result;
    int fail;               /* raise E<fail> (0: return) */
    int catch_cancel;       /* catch CORO_ECANCELLED */
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
        if (!f->fail) {
            ev("%s:caught", f->name);
            CORO_RETURN(co, coro_int(f->result));
        }
    } else if (f->err) {
        CORO_RAISE(co, f->err);
    }
    if (f->fail) {
        ev("%s:fail", f->name);
        CORO_RAISE(co, f->fail);
    }
    ev("%s:done", f->name);
    CORO_RETURN(co, coro_int(f->result));
    CORO_END(co);
}

/* async def canceller(task, delay) of the prelude. */
struct canceller {
    struct coro_task task;
    struct coro_task *target;
    int delay;
};

static int canceller_body(struct coro *co)
{
    struct canceller *f = (struct canceller *)co;
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, f->delay * CORO_SEC);
    ev("cancel:%s", cancelled_str(coro_task_cancel(f->target)));
    CORO_END(co);
}

/* The frame of every test's main task. By convention g[0] is the group
 * whose CORO_EGROUP main catches, g[1] a group nested in it. */
static struct main_frame {
    struct coro_task task;
    struct worker w[4];                 /* named in the test: "a", "b", ... */
    struct coro_timeout to[3];
    struct coro_taskgroup g[2];
    struct coro_try t[3];
    struct canceller cancel;
    struct coro_future fut;
    struct coro_queue q;
    coro_value qslots[4];
    struct coro_lock lock;
    struct coro_event event;
    struct coro_future *kids[4];
    struct coro_watch watch[4];
    struct coro_wait wait;
    coro_value r;
    int err, i;
} M;

static const char *errname(int err);

/* The errors of a closed group as errname() prints an ExceptionGroup:
 * "group[E7,E8]"; a CORO_EGROUP among them is `inner`'s. */
static void group_str(char *buf, size_t n, const struct coro_taskgroup *g,
                      const struct coro_taskgroup *inner)
{
    int codes[8];
    unsigned i, k = coro_taskgroup_errors(g, codes, 8);
    size_t len = (size_t)snprintf(buf, n, "group[");
    ck_assert_uint_le(k, 8);
    for (i = 0; i < k; i++) {
        if (i)
            len += (size_t)snprintf(buf + len, n - len, ",");
        if (codes[i] == CORO_EGROUP && inner)
            group_str(buf + len, n - len, inner, NULL);
        else
            snprintf(buf + len, n - len, "%s", errname(codes[i]));
        len = strlen(buf);
    }
    snprintf(buf + len, n - len, "]");
}

/* An error as the prelude's errname() names it. */
static const char *errname(int err)
{
    static char user[4][64];
    static unsigned next;
    char *s = user[next++ % 4];
    switch (err) {
    case 0:               return "0";
    case CORO_ECANCELLED: return "cancelled";
    case CORO_ETIMEDOUT:  return "timeout";
    case CORO_ESTATE:     return "ESTATE";
    case CORO_ESHUTDOWN:  return "ESHUTDOWN";
    case CORO_EGROUP:
        group_str(s, sizeof user[0], &M.g[0], &M.g[1]);
        return s;
    default:
        if (err < 0)
            return coro_errname(err);
        snprintf(s, sizeof user[0], "E%d", err);
        return s;
    }
}

/* try: <body> except BaseException as x: ev('<who>:' + errname(x)), the
 * end of a CORO_TRY(co, t) { <body> } block. */
#define EXCEPT_EV(co, t, who) \
    CORO_EXCEPT_IF(co, t, 1) { \
        ev("%s:%s", (who), errname(coro_error(t))); \
    } \
    CORO_END_TRY(co, t)

static void setup(void)
{
    memset(&M, 0, sizeof M);
    trace_reset();
    ck_assert_int_eq(coro_loop_init(&loop, slots, 32), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
}

/* worker(name, delay, result) as M.w[i]. */
static struct worker *worker_set(int i, const char *name, int delay, intptr_t result)
{
    M.w[i].name = name;
    M.w[i].delay = delay;
    M.w[i].result = result;
    return &M.w[i];
}

/* asyncio.create_task(canceller(target, delay)). */
static void start_canceller(struct coro_task *target, int delay)
{
    M.cancel.target = target;
    M.cancel.delay = delay;
    ck_assert_int_eq(coro_task_start(&M.cancel.task, &loop, canceller_body), 0);
}

/* The int result of a done future that succeeded. */
static long res(const struct coro_future *f)
{
    coro_value v;
    ck_assert_int_eq(coro_future_result(f, &v), 0);
    ck_assert_int_eq(v.type, CORO_INT);
    return (long)v.v.i;
}

/* run(main) of the prelude: main's outcome recorded as "run:..." (a
 * result other than None, or an error); returns the error. */
static int run(coro_fn body)
{
    coro_value v;
    int err;
    ck_assert_int_eq(coro_task_start(&M.task, &loop, body), 0);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert(coro_future_done(&M.task.fut));
    err = coro_future_result(&M.task.fut, &v);
    if (err)
        ev("run:%s", errname(err));
    else if (v.type == CORO_INT)
        ev("run:%ld", (long)v.v.i);
    return err;
}

/* A test that only runs `main` (run()) and compares the trace with
 * `expected`, what CPython printed. */
#define TRACE_TEST(name, main, expected) \
    START_TEST(name) \
    { \
        ck_assert_int_eq(run(main), 0); \
        ck_assert_trace(expected); \
    } \
    END_TEST

#define OK(call) \
    do { if ((co->err = (call)) != 0) CORO_RAISE(co, co->err); } while (0)

/* g.create_task(worker(...)) for M.w[i]. */
#define START(co, g, i) OK(coro_taskgroup_start((g), &M.w[i].task, worker_body))

/* ------------------------------------------------------------------------ */
/* Timeouts around each kind of await                                       */
/* ------------------------------------------------------------------------ */

/* async def main():
 *     try:
 *         async with asyncio.timeout(2) as cm:
 *             ev('body'); await asyncio.sleep(5); ev('not reached')
 *     except TimeoutError as e:
 *         ev('main:%s' % errname(e))
 *     ev('expired:%s when:%d' % (cm.expired(), cm.when()))
 * -> body@0 main:timeout@2 expired:True when:2@2 */
static int to_sleep_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 2 * CORO_SEC) {
            ev("body");
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
            ev("not reached");
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("expired:%s when:%s", pybool(coro_timeout_expired(&M.to[0])), when_str(&M.to[0]));
    CORO_END(co);
}

TRACE_TEST(test_timeout_expiring_around_a_sleep_raises_etimedout_at_the_deadline, to_sleep_main,
           "body@0 main:timeout@2 expired:True when:2@2")

/* async def main():
 *     async with asyncio.timeout(5) as cm:
 *         await asyncio.sleep(2)
 *         ev('body:done')
 *     ev('expired:%s when:%d' % (cm.expired(), cm.when()))
 *     await asyncio.sleep(5)
 *     ev('main:after')
 * -> body:done@2 expired:False when:5@2 main:after@7 */
static int to_not_expiring_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TIMEOUT(co, &loop, &M.to[0], 5 * CORO_SEC) {
        CORO_SLEEP(co, &loop, 2 * CORO_SEC);
        ev("body:done");
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("expired:%s when:%s", pybool(coro_timeout_expired(&M.to[0])), when_str(&M.to[0]));
    CORO_SLEEP(co, &loop, 5 * CORO_SEC);
    ev("main:after");
    CORO_END(co);
}

TRACE_TEST(test_timeout_that_does_not_expire_leaves_no_timer_and_no_cancel, to_not_expiring_main,
           "body:done@2 expired:False when:5@2 main:after@7")

/* async def main():
 *     fut = asyncio.get_running_loop().create_future()
 *     try:
 *         async with asyncio.timeout(1):
 *             await fut
 *     except TimeoutError as e:
 *         ev('main:%s' % errname(e))
 *     ev('fut.cancelled:%s' % fut.cancelled())
 * -> main:timeout@1 fut.cancelled:True@1 */
static int to_future_main(struct coro *co)
{
    CORO_BEGIN(co);
    coro_future_init(&M.fut, &loop);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
            CORO_AWAIT_FUTURE(co, &M.fut, M.r);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("fut.cancelled:%s", pybool(coro_future_cancelled(&M.fut)));
    CORO_END(co);
}

TRACE_TEST(test_timeout_around_awaiting_a_future_cancels_the_future, to_future_main,
           "main:timeout@1 fut.cancelled:True@1")

/* async def main():
 *     a = asyncio.create_task(worker('a', 5, 10))
 *     try:
 *         async with asyncio.timeout(2):
 *             ev('main:%d' % await a)
 *     except TimeoutError as e:
 *         ev('main:%s' % errname(e))
 *     ev('a.cancelled:%s' % a.cancelled())
 * -> a:cancelled@2 main:timeout@2 a.cancelled:True@2 */
static int to_task_main(struct coro *co)
{
    CORO_BEGIN(co);
    OK(coro_task_start(&M.w[0].task, &loop, worker_body));
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 2 * CORO_SEC) {
            CORO_AWAIT_FUTURE(co, &M.w[0].task.fut, M.r);
            ev("main:%ld", (long)M.r.v.i);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("a.cancelled:%s", pybool(coro_future_cancelled(&M.w[0].task.fut)));
    CORO_END(co);
}

START_TEST(test_timeout_around_awaiting_a_task_cancels_the_task)
{
    worker_set(0, "a", 5, 10);
    ck_assert_int_eq(run(to_task_main), 0);
    ck_assert_trace("a:cancelled@2 main:timeout@2 a.cancelled:True@2");
}
END_TEST

/* async def main():
 *     q = asyncio.Queue(); lock = asyncio.Lock(); e = asyncio.Event()
 *     await lock.acquire()
 *     try:
 *         async with asyncio.timeout(1):
 *             await q.get()
 *     except TimeoutError as x: ev('get:%s' % errname(x))
 *     try:
 *         async with asyncio.timeout(1):
 *             await lock.acquire()
 *     except TimeoutError as x: ev('acquire:%s' % errname(x))
 *     try:
 *         async with asyncio.timeout(1):
 *             await e.wait()
 *     except TimeoutError as x: ev('wait:%s' % errname(x))
 *     q.put_nowait(5); lock.release(); e.set()
 *     async with asyncio.timeout(1):
 *         r = await q.get()
 *         await lock.acquire()
 *         await e.wait()
 *     ev('main:%d,%s' % (r, lock.locked()))
 * -> get:timeout@1 acquire:timeout@2 wait:timeout@3 main:5,True@3 */
static int to_sync_main(struct coro *co)
{
    CORO_BEGIN(co);
    OK(coro_queue_init(&M.q, &loop, M.qslots, 4));
    OK(coro_lock_init(&M.lock, &loop));
    OK(coro_event_init(&M.event, &loop));
    CORO_LOCK_ACQUIRE(co, &M.lock);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
            CORO_QUEUE_GET(co, &M.q, M.r);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "get");
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
            CORO_LOCK_ACQUIRE(co, &M.lock);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "acquire");
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
            CORO_EVENT_WAIT(co, &M.event);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "wait");
    OK(coro_queue_put_nowait(&M.q, coro_int(5)));
    OK(coro_lock_release(&M.lock));
    coro_event_set(&M.event);
    CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
        CORO_QUEUE_GET(co, &M.q, M.r);
        CORO_LOCK_ACQUIRE(co, &M.lock);
        CORO_EVENT_WAIT(co, &M.event);
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("main:%ld,%s", (long)M.r.v.i, pybool(coro_lock_locked(&M.lock)));
    CORO_END(co);
}

TRACE_TEST(test_timeout_around_queue_get_lock_and_event_wait_leaves_them_usable,
           to_sync_main,
           "get:timeout@1 acquire:timeout@2 wait:timeout@3 main:5,True@3")

/* async def main():
 *     a = asyncio.create_task(worker('a', 3, 10))
 *     try:
 *         async with asyncio.timeout(1):
 *             await asyncio.wait([a])
 *     except TimeoutError as x: ev('main:%s' % errname(x))
 *     ev('main:%d' % await a)
 * -> main:timeout@1 a:done@3 main:10@3 */
static int to_wait_main(struct coro *co)
{
    CORO_BEGIN(co);
    OK(coro_task_start(&M.w[0].task, &loop, worker_body));
    M.kids[0] = &M.w[0].task.fut;
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
            OK(coro_wait(&M.wait, &loop, M.kids, M.watch, 1, CORO_ALL_COMPLETED,
                         CORO_FOREVER));
            CORO_AWAIT_FUTURE(co, &M.wait.fut, M.r);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_AWAIT_FUTURE(co, M.kids[0], M.r);
    ev("main:%ld", (long)M.r.v.i);
    CORO_END(co);
}

START_TEST(test_timeout_around_wait_leaves_the_children_running)
{
    worker_set(0, "a", 3, 10);
    ck_assert_int_eq(run(to_wait_main), 0);
    ck_assert_trace("main:timeout@1 a:done@3 main:10@3");
}
END_TEST

/* async def main():
 *     a = asyncio.create_task(worker('a', 1, 10))
 *     b = asyncio.create_task(worker('b', 3, 20))
 *     try:
 *         async with asyncio.timeout(2):
 *             for f in asyncio.as_completed([a, b]):
 *                 ev('main:%d' % await f)
 *     except TimeoutError as x: ev('main:%s' % errname(x))
 *     ev('main:%d' % await b)
 * -> a:done@1 main:10@1 main:timeout@2 b:done@3 main:20@3 */
static int to_as_completed_main(struct coro *co)
{
    CORO_BEGIN(co);
    for (M.i = 0; M.i < 2; M.i++) {
        OK(coro_task_start(&M.w[M.i].task, &loop, worker_body));
        M.kids[M.i] = &M.w[M.i].task.fut;
    }
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 2 * CORO_SEC) {
            OK(coro_as_completed(&M.wait, &loop, M.kids, M.watch, 2, CORO_FOREVER));
            for (M.i = 0; M.i < 2; M.i++) {
                CORO_AS_COMPLETED_NEXT(co, &M.wait, M.r);
                ev("main:%ld", res((struct coro_future *)M.r.v.p));
            }
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_AWAIT_FUTURE(co, M.kids[1], M.r);
    ev("main:%ld", (long)M.r.v.i);
    CORO_END(co);
}

START_TEST(test_timeout_around_as_completed_gives_the_early_child_then_etimedout)
{
    worker_set(0, "a", 1, 10);
    worker_set(1, "b", 3, 20);
    ck_assert_int_eq(run(to_as_completed_main), 0);
    ck_assert_trace("a:done@1 main:10@1 main:timeout@2 b:done@3 main:20@3");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Deadlines: zero, negative, in the past, moved                            */
/* ------------------------------------------------------------------------ */

/* async def main():
 *     try:
 *         async with asyncio.timeout(0) as cm:
 *             ev('body'); await asyncio.sleep(1)
 *     except TimeoutError as x: ev('zero:%s' % errname(x))
 *     try:
 *         async with asyncio.timeout(-1) as cm:
 *             ev('body'); await asyncio.sleep(1)
 *     except TimeoutError as x: ev('negative:%s' % errname(x))
 *     async with asyncio.timeout(-1) as cm:
 *         ev('no await')
 *     ev('expired:%s' % cm.expired())
 *     await asyncio.sleep(1)
 *     ev('main:after')
 * -> body@0 zero:timeout@0 body@0 negative:timeout@0 no await@0
 *    expired:False@0 main:after@1 */
static int to_zero_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 0) {
            ev("body");
            CORO_SLEEP(co, &loop, CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "zero");
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], -CORO_SEC) {
            ev("body");
            CORO_SLEEP(co, &loop, CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "negative");
    CORO_TIMEOUT(co, &loop, &M.to[0], -CORO_SEC) {
        ev("no await");
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_SLEEP(co, &loop, CORO_SEC);
    ev("main:after");
    CORO_END(co);
}

TRACE_TEST(test_timeout_zero_or_negative_expires_at_the_first_await, to_zero_main,
           "body@0 zero:timeout@0 body@0 negative:timeout@0 no await@0 "
           "expired:False@0 main:after@1")

/* async def main():
 *     await asyncio.sleep(3)
 *     try:
 *         async with asyncio.timeout_at(asyncio.get_running_loop().time() - 2) as cm:
 *             ev('body'); await asyncio.sleep(1)
 *     except TimeoutError as x: ev('main:%s' % errname(x))
 *     ev('expired:%s when:%d' % (cm.expired(), cm.when()))
 * -> body@3 main:timeout@3 expired:True when:1@3 */
static int to_at_past_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 3 * CORO_SEC);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT_AT(co, &loop, &M.to[0], coro_loop_time(&loop) - 2 * CORO_SEC) {
            ev("body");
            CORO_SLEEP(co, &loop, CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("expired:%s when:%s", pybool(coro_timeout_expired(&M.to[0])), when_str(&M.to[0]));
    CORO_END(co);
}

TRACE_TEST(test_timeout_at_a_time_passed_expires_at_the_first_await, to_at_past_main,
           "body@3 main:timeout@3 expired:True when:1@3")

/* async def main():
 *     loop = asyncio.get_running_loop()
 *     try:
 *         async with asyncio.timeout(1) as cm:
 *             cm.reschedule(loop.time() + 3); ev('when:%d' % cm.when())
 *             await asyncio.sleep(5)
 *     except TimeoutError as x: ev('later:%s' % errname(x))
 *     try:
 *         async with asyncio.timeout(5) as cm:
 *             cm.reschedule(loop.time() + 1)
 *             await asyncio.sleep(5)
 *     except TimeoutError as x: ev('earlier:%s' % errname(x))
 *     async with asyncio.timeout(1) as cm:
 *         cm.reschedule(None); ev('when:%s' % cm.when())
 *         await asyncio.sleep(3)
 *     ev('forever:expired:%s' % cm.expired())
 *     async with asyncio.timeout(5) as cm:
 *         await asyncio.sleep(2)
 *         cm.reschedule(loop.time() - 1)    # passed: expires at the next iteration
 *         try:
 *             await asyncio.sleep(1)
 *         except CancelledError:
 *             ev('past:cancelled')
 *             try: cm.reschedule(loop.time() + 5)
 *             except RuntimeError as x: ev('expiring:%s' % errname(x))
 *     ev('expired:%s' % cm.expired())
 *     try: cm.reschedule(loop.time() + 5)
 *     except RuntimeError as x: ev('closed:%s' % errname(x))
 * -> when:3@0 later:timeout@3 earlier:timeout@4 when:None@4
 *    forever:expired:False@7 past:cancelled@9 expiring:ESTATE@9 expired:True@9
 *    closed:ESTATE@9 */
static int to_reschedule_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
            OK(coro_timeout_reschedule(&M.to[0], coro_loop_time(&loop) + 3 * CORO_SEC));
            ev("when:%s", when_str(&M.to[0]));
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "later");
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 5 * CORO_SEC) {
            OK(coro_timeout_reschedule(&M.to[0], coro_loop_time(&loop) + CORO_SEC));
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "earlier");
    CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
        OK(coro_timeout_reschedule(&M.to[0], CORO_FOREVER));
        ev("when:%s", when_str(&M.to[0]));
        CORO_SLEEP(co, &loop, 3 * CORO_SEC);
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("forever:expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_TIMEOUT(co, &loop, &M.to[0], 5 * CORO_SEC) {
        CORO_SLEEP(co, &loop, 2 * CORO_SEC);
        OK(coro_timeout_reschedule(&M.to[0], coro_loop_time(&loop) - CORO_SEC));
        CORO_TRY(co, &M.t[0]) {
            CORO_SLEEP(co, &loop, CORO_SEC);
        } CORO_EXCEPT(co, &M.t[0], CORO_ECANCELLED) {
            ev("past:cancelled");
            M.err = coro_timeout_reschedule(&M.to[0], coro_loop_time(&loop) + 5 * CORO_SEC);
            ev("expiring:%s", errname(M.err));
        } CORO_END_TRY(co, &M.t[0]);
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    ev("closed:%s",
       errname(coro_timeout_reschedule(&M.to[0], coro_loop_time(&loop) + 5 * CORO_SEC)));
    CORO_END(co);
}

START_TEST(test_reschedule_later_earlier_forever_passed_and_after_expiry)
{
    ck_assert_int_eq(run(to_reschedule_main), 0);
    ck_assert_trace("when:3@0 later:timeout@3 earlier:timeout@4 when:None@4 "
                    "forever:expired:False@7 past:cancelled@9 expiring:ESTATE@9 "
                    "expired:True@9 closed:ESTATE@9");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
    ck_assert_int_eq(coro_loop_time(&loop), 9 * CORO_SEC);  /* no timer left */
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Nested timeouts                                                          */
/* ------------------------------------------------------------------------ */

/* async def main():
 *     try:
 *         async with asyncio.timeout(5) as outer:
 *             try:
 *                 async with asyncio.timeout(1) as inner:
 *                     await asyncio.sleep(10)
 *             except TimeoutError as x: ev('inner:%s' % errname(x))
 *             await asyncio.sleep(10)
 *     except TimeoutError as x: ev('outer:%s' % errname(x))
 *     ev('expired:%s,%s' % (outer.expired(), inner.expired()))
 * -> inner:timeout@1 outer:timeout@5 expired:True,True@5 */
static int nest_inner_first_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 5 * CORO_SEC) {
            CORO_TRY(co, &M.t[1]) {
                CORO_TIMEOUT(co, &loop, &M.to[1], CORO_SEC) {
                    CORO_SLEEP(co, &loop, 10 * CORO_SEC);
                } CORO_END_TIMEOUT(co, &M.to[1]);
            } EXCEPT_EV(co, &M.t[1], "inner");
            CORO_SLEEP(co, &loop, 10 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "outer");
    ev("expired:%s,%s", pybool(coro_timeout_expired(&M.to[0])),
       pybool(coro_timeout_expired(&M.to[1])));
    CORO_END(co);
}

TRACE_TEST(test_nested_timeouts_inner_expires_first_then_outer, nest_inner_first_main,
           "inner:timeout@1 outer:timeout@5 expired:True,True@5")

/* The body of the nested tests below: outer(o) { try { inner(i) {
 * sleep(10) } } except BaseException as x: ev('inner:...'); raise }. */
static int nest_main(struct coro *co, int o, int i)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], o * CORO_SEC) {
            CORO_TRY(co, &M.t[1]) {
                CORO_TIMEOUT(co, &loop, &M.to[1], i * CORO_SEC) {
                    CORO_SLEEP(co, &loop, 10 * CORO_SEC);
                } CORO_END_TIMEOUT(co, &M.to[1]);
            } CORO_EXCEPT_IF(co, &M.t[1], 1) {
                ev("inner:%s", errname(coro_error(&M.t[1])));
                CORO_RERAISE(co, &M.t[1]);
            } CORO_END_TRY(co, &M.t[1]);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "outer");
    ev("expired:%s,%s", pybool(coro_timeout_expired(&M.to[0])),
       pybool(coro_timeout_expired(&M.to[1])));
    CORO_SLEEP(co, &loop, CORO_SEC);
    ev("main:after");
    CORO_END(co);
}

/* async def main():
 *     try:
 *         async with asyncio.timeout(1) as outer:
 *             try:
 *                 async with asyncio.timeout(5) as inner:
 *                     await asyncio.sleep(10)
 *             except BaseException as x:
 *                 ev('inner:%s' % errname(x)); raise
 *     except TimeoutError as x: ev('outer:%s' % errname(x))
 *     ev('expired:%s,%s' % (outer.expired(), inner.expired()))
 *     await asyncio.sleep(1)
 *     ev('main:after')
 * -> inner:cancelled@1 outer:timeout@1 expired:True,False@1 main:after@2 */
static int nest_outer_first_main(struct coro *co)
{
    return nest_main(co, 1, 5);
}

TRACE_TEST(test_nested_timeouts_outer_expires_first_inner_sees_ecancelled, nest_outer_first_main,
           "inner:cancelled@1 outer:timeout@1 expired:True,False@1 main:after@2")

/* The same program with timeout(2) and timeout(2):
 * -> inner:cancelled@2 outer:timeout@2 expired:True,True@2 main:after@3 */
static int nest_same_time_main(struct coro *co)
{
    return nest_main(co, 2, 2);
}

TRACE_TEST(test_nested_timeouts_expiring_together_are_the_outer_s_etimedout, nest_same_time_main,
           "inner:cancelled@2 outer:timeout@2 expired:True,True@2 main:after@3")

/* ------------------------------------------------------------------------ */
/* Cancels from outside, finally blocks, bodies that catch, returns         */
/* ------------------------------------------------------------------------ */

/* async def main():
 *     asyncio.create_task(canceller(asyncio.current_task(), 1))
 *     try:
 *         async with asyncio.timeout(2) as cm:
 *             try:
 *                 await asyncio.sleep(5)
 *             except CancelledError:
 *                 ev('body:cancelled')
 *             await asyncio.sleep(5)
 *     except BaseException as x: ev('main:%s' % errname(x))
 *     ev('expired:%s' % cm.expired())
 * -> cancel:True@1 body:cancelled@1 main:cancelled@2 expired:True@2 */
static int outer_cancel_in_timeout_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_canceller(&M.task, 1);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 2 * CORO_SEC) {
            CORO_TRY(co, &M.t[1]) {
                CORO_SLEEP(co, &loop, 5 * CORO_SEC);
            } CORO_EXCEPT(co, &M.t[1], CORO_ECANCELLED) {
                ev("body:cancelled");
            } CORO_END_TRY(co, &M.t[1]);
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_END(co);
}

TRACE_TEST(test_outer_cancel_caught_in_body_then_expiry_stays_ecancelled,
           outer_cancel_in_timeout_main,
           "cancel:True@1 body:cancelled@1 main:cancelled@2 expired:True@2")

/* The twin of both programs below: a canceller of main at 2, [sleep(0) if
 * yield_first], timeout(2) { sleep(5) }. */
static int same_time_main(struct coro *co, int yield_first)
{
    CORO_BEGIN(co);
    start_canceller(&M.task, 2);
    if (yield_first)
        CORO_SLEEP(co, &loop, 0);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 2 * CORO_SEC) {
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_END(co);
}

/* async def main():
 *     asyncio.create_task(canceller(asyncio.current_task(), 2))
 *     try:
 *         async with asyncio.timeout(2) as cm:
 *             await asyncio.sleep(5)
 *     except BaseException as x: ev('main:%s' % errname(x))
 *     ev('expired:%s' % cm.expired())
 * -> main:timeout@2 expired:True@2 cancel:False@2 */
static int outer_cancel_same_time_main(struct coro *co)
{
    return same_time_main(co, 0);
}

TRACE_TEST(test_expiry_due_before_an_outer_cancel_of_the_same_second_wins,
           outer_cancel_same_time_main,
           "main:timeout@2 expired:True@2 cancel:False@2")

/* The twin of both programs below: timeout(2) { try { sleep(body) }
 * finally { ev('finally'); sleep(fin); ev(last) } }. */
static int finally_main(struct coro *co, int body, int fin, const char *last)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 2 * CORO_SEC) {
            CORO_TRY(co, &M.t[1]) {
                CORO_SLEEP(co, &loop, body * CORO_SEC);
            } CORO_FINALLY(co, &M.t[1]) {
                ev("finally");
                CORO_SLEEP(co, &loop, fin * CORO_SEC);
                ev("%s", last);
            } CORO_END_TRY(co, &M.t[1]);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

/* async def main():
 *     try:
 *         async with asyncio.timeout(2):
 *             try:
 *                 await asyncio.sleep(1)
 *             finally:
 *                 ev('finally'); await asyncio.sleep(5); ev('not reached')
 *     except TimeoutError as x: ev('main:%s' % errname(x))
 * -> finally@1 main:timeout@2 */
static int expire_in_finally_main(struct coro *co)
{
    return finally_main(co, 1, 5, "not reached");
}

TRACE_TEST(test_timeout_expiring_while_the_body_awaits_in_a_finally_block, expire_in_finally_main,
           "finally@1 main:timeout@2")

/* async def main():
 *     try:
 *         async with asyncio.timeout(2):
 *             try:
 *                 await asyncio.sleep(5)
 *             finally:
 *                 ev('finally'); await asyncio.sleep(1); ev('finally:end')
 *     except TimeoutError as x: ev('main:%s' % errname(x))
 * -> finally@2 finally:end@3 main:timeout@3 */
static int finally_after_expiry_main(struct coro *co)
{
    return finally_main(co, 5, 1, "finally:end");
}

TRACE_TEST(test_finally_block_awaiting_after_expiry_runs_whole_then_etimedout,
           finally_after_expiry_main,
           "finally@2 finally:end@3 main:timeout@3")

/* async def main():
 *     async with asyncio.timeout(1) as cm:
 *         try:
 *             await asyncio.sleep(5)
 *         except CancelledError:
 *             ev('body:cancelled')
 *         ev('body:after')
 *     ev('main:ok expired:%s' % cm.expired())
 *     await asyncio.sleep(1)
 *     ev('main:after')
 * -> body:cancelled@1 body:after@1 main:ok expired:True@1 main:after@2 */
static int body_catches_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
        CORO_TRY(co, &M.t[0]) {
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_EXCEPT(co, &M.t[0], CORO_ECANCELLED) {
            ev("body:cancelled");
        } CORO_END_TRY(co, &M.t[0]);
        ev("body:after");
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("main:ok expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_SLEEP(co, &loop, CORO_SEC);
    ev("main:after");
    CORO_END(co);
}

TRACE_TEST(test_body_catching_its_cancel_leaves_the_scope_normally, body_catches_main,
           "body:cancelled@1 body:after@1 main:ok expired:True@1 main:after@2")

/* async def main():
 *     async with asyncio.timeout(5):
 *         await asyncio.sleep(1)
 *         return 42
 * -> run:42@1 */
static int return_in_timeout_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TIMEOUT(co, &loop, &M.to[0], 5 * CORO_SEC) {
        CORO_SLEEP(co, &loop, CORO_SEC);
        CORO_RETURN(co, coro_int(42));
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("not reached");
    CORO_END(co);
}

START_TEST(test_return_from_inside_a_timeout_keeps_the_value_and_stops_the_timer)
{
    ck_assert_int_eq(run(return_in_timeout_main), 0);
    ck_assert_trace("run:42@1");
    ck_assert_int_eq(coro_loop_time(&loop), CORO_SEC);     /* no timer was left */
}
END_TEST

/* async def main():
 *     async with asyncio.TaskGroup() as g:
 *         g.create_task(worker('a', 3, 10))
 *         await asyncio.sleep(1)
 *         return 7
 * -> a:done@3 run:7@3 */
static int return_in_group_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &M.g[0]) {
        START(co, &M.g[0], 0);
        CORO_SLEEP(co, &loop, CORO_SEC);
        CORO_RETURN(co, coro_int(7));
    } CORO_END_TASKGROUP(co, &M.g[0]);
    ev("not reached");
    CORO_END(co);
}

START_TEST(test_return_from_a_task_group_body_waits_for_children_keeps_value)
{
    worker_set(0, "a", 3, 10);
    ck_assert_int_eq(run(return_in_group_main), 0);
    ck_assert_trace("a:done@3 run:7@3");
}
END_TEST

/* async def main():
 *     async with asyncio.timeout(1):
 *         try:
 *             await asyncio.sleep(5)
 *         except CancelledError:
 *             ev('body:cancelled')
 *             return 5
 * -> body:cancelled@1 run:5@1 */
static int return_after_expiry_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
        CORO_TRY(co, &M.t[0]) {
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_EXCEPT(co, &M.t[0], CORO_ECANCELLED) {
            ev("body:cancelled");
            CORO_RETURN(co, coro_int(5));
        } CORO_END_TRY(co, &M.t[0]);
    } CORO_END_TIMEOUT(co, &M.to[0]);
    CORO_END(co);
}

TRACE_TEST(test_return_from_an_expired_timeout_that_caught_its_cancel_keeps_value,
           return_after_expiry_main,
           "body:cancelled@1 run:5@1")

/* async def main():
 *     async with asyncio.TaskGroup() as g:
 *         g.create_task(worker('b', 1, fail=7))
 *         try:
 *             await asyncio.sleep(5)
 *         except CancelledError:
 *             ev('body:cancelled')
 *             return 5
 * -> b:fail@1 body:cancelled@1 run:group[E7]@1 */
static int return_after_group_cancel_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &M.g[0]) {
        START(co, &M.g[0], 0);
        CORO_TRY(co, &M.t[0]) {
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_EXCEPT(co, &M.t[0], CORO_ECANCELLED) {
            ev("body:cancelled");
            CORO_RETURN(co, coro_int(5));
        } CORO_END_TRY(co, &M.t[0]);
    } CORO_END_TASKGROUP(co, &M.g[0]);
    CORO_END(co);
}

START_TEST(test_group_errors_replace_a_return_from_the_cancelled_body)
{
    worker_set(0, "b", 1, 0)->fail = 7;
    ck_assert_int_eq(run(return_after_group_cancel_main), CORO_EGROUP);
    ck_assert_trace("b:fail@1 body:cancelled@1 run:group[E7]@1");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Task groups                                                              */
/* ------------------------------------------------------------------------ */

/* async def main():
 *     async with asyncio.TaskGroup() as g:
 *         a = g.create_task(worker('a', 3, 10))
 *         b = g.create_task(worker('b', 1, 20))
 *         c = g.create_task(worker('c', 2, 30))
 *         ev('body:end')
 *     ev('main:%d,%d,%d' % (a.result(), b.result(), c.result()))
 * -> body:end@0 b:done@1 c:done@2 a:done@3 main:10,20,30@3 */
static int tg_all_ok_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &M.g[0]) {
        START(co, &M.g[0], 0);
        START(co, &M.g[0], 1);
        START(co, &M.g[0], 2);
        ev("body:end");
    } CORO_END_TASKGROUP(co, &M.g[0]);
    ev("main:%ld,%ld,%ld", res(&M.w[0].task.fut), res(&M.w[1].task.fut),
       res(&M.w[2].task.fut));
    CORO_END(co);
}

START_TEST(test_taskgroup_waits_for_every_child_that_succeeds)
{
    worker_set(0, "a", 3, 10);
    worker_set(1, "b", 1, 20);
    worker_set(2, "c", 2, 30);
    ck_assert_int_eq(run(tg_all_ok_main), 0);
    ck_assert_trace("body:end@0 b:done@1 c:done@2 a:done@3 main:10,20,30@3");
    ck_assert_uint_eq(coro_taskgroup_errors(&M.g[0], NULL, 0), 0);
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             a = g.create_task(worker('a', 3, 10))
 *             b = g.create_task(worker('b', 1, fail=7))
 *             c = g.create_task(worker('c', 5, 30))
 *             try:
 *                 await asyncio.sleep(10)
 *             except CancelledError:
 *                 ev('body:cancelled'); raise
 *     except BaseException as x: ev('main:%s' % errname(x))
 *     ev('cancelled:%s,%s' % (a.cancelled(), c.cancelled()))
 * -> b:fail@1 c:cancelled@1 a:cancelled@1 body:cancelled@1 main:group[E7]@1
 *    cancelled:True,True@1
 * (a and c in start order: see the top of the file) */
static int tg_one_fails_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            START(co, &M.g[0], 1);
            START(co, &M.g[0], 2);
            CORO_TRY(co, &M.t[1]) {
                CORO_SLEEP(co, &loop, 10 * CORO_SEC);
            } CORO_EXCEPT(co, &M.t[1], CORO_ECANCELLED) {
                ev("body:cancelled");
                CORO_RERAISE(co, &M.t[1]);
            } CORO_END_TRY(co, &M.t[1]);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("cancelled:%s,%s", pybool(coro_future_cancelled(&M.w[0].task.fut)),
       pybool(coro_future_cancelled(&M.w[2].task.fut)));
    CORO_END(co);
}

static void set_one_fails(void)
{
    worker_set(0, "a", 3, 10);
    worker_set(1, "b", 1, 0)->fail = 7;
    worker_set(2, "c", 5, 30);
}

START_TEST(test_taskgroup_child_failing_cancels_siblings_and_body_egroup)
{
    int codes[2] = { 0, 0 };
    set_one_fails();
    ck_assert_int_eq(run(tg_one_fails_main), 0);
    ck_assert_trace("b:fail@1 a:cancelled@1 c:cancelled@1 body:cancelled@1 "
                    "main:group[E7]@1 cancelled:True,True@1");
    ck_assert_uint_eq(coro_taskgroup_errors(&M.g[0], codes, 2), 1);
    ck_assert_int_eq(codes[0], 7);
    ck_assert_int_eq(codes[1], 0);
    ck_assert_int_eq(coro_taskgroup_has(&M.g[0], 7), 1);
    ck_assert_int_eq(coro_taskgroup_has(&M.g[0], 8), 0);
    ck_assert_int_eq(coro_taskgroup_has(&M.g[0], CORO_ECANCELLED), 0);
    ck_assert_int_eq(coro_taskgroup_has(&M.g[0], 0), 0);
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             g.create_task(worker('a', 1, fail=7))
 *             g.create_task(worker('b', 1, fail=8))
 *             g.create_task(worker('c', 3, 30))
 *             await asyncio.sleep(10)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> a:fail@1 b:fail@1 c:cancelled@1 main:group[E7,E8]@1 */
static int tg_several_fail_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            START(co, &M.g[0], 1);
            START(co, &M.g[0], 2);
            CORO_SLEEP(co, &loop, 10 * CORO_SEC);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_taskgroup_children_failing_in_one_iteration_are_all_kept_in_order)
{
    int codes[3] = { 0, 0, 0 };
    worker_set(0, "a", 1, 0)->fail = 7;
    worker_set(1, "b", 1, 0)->fail = 8;
    worker_set(2, "c", 3, 30);
    ck_assert_int_eq(run(tg_several_fail_main), 0);
    ck_assert_trace("a:fail@1 b:fail@1 c:cancelled@1 main:group[E7,E8]@1");
    ck_assert_uint_eq(coro_taskgroup_errors(&M.g[0], codes, 1), 2);   /* max 1: one */
    ck_assert_int_eq(codes[0], 7);
    ck_assert_int_eq(codes[1], 0);
    ck_assert_int_eq(coro_taskgroup_has(&M.g[0], 8), 1);
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             g.create_task(worker('a', 3, 10))
 *             g.create_task(worker('b', 5, 20))
 *             await asyncio.sleep(1)
 *             ev('body:raise'); raise E(9)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> body:raise@1 b:cancelled@1 a:cancelled@1 main:group[E9]@1
 * (a and b in start order: see the top of the file) */
static int tg_body_raises_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            START(co, &M.g[0], 1);
            CORO_SLEEP(co, &loop, CORO_SEC);
            ev("body:raise");
            CORO_RAISE(co, 9);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_taskgroup_body_raising_cancels_children_and_is_the_group_error)
{
    worker_set(0, "a", 3, 10);
    worker_set(1, "b", 5, 20);
    ck_assert_int_eq(run(tg_body_raises_main), 0);
    ck_assert_trace("body:raise@1 a:cancelled@1 b:cancelled@1 main:group[E9]@1");
    ck_assert_int_eq(coro_taskgroup_has(&M.g[0], 9), 1);
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             g.create_task(worker('a', 1, fail=7))
 *             g.create_task(worker('b', 5, 20))
 *             try:
 *                 await asyncio.sleep(10)
 *             except CancelledError:
 *                 ev('body:raise'); raise E(9)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> a:fail@1 b:cancelled@1 body:raise@1 main:group[E7,E9]@1 */
static int tg_body_raises_after_child_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            START(co, &M.g[0], 1);
            CORO_TRY(co, &M.t[1]) {
                CORO_SLEEP(co, &loop, 10 * CORO_SEC);
            } CORO_EXCEPT(co, &M.t[1], CORO_ECANCELLED) {
                ev("body:raise");
                CORO_RAISE(co, 9);
            } CORO_END_TRY(co, &M.t[1]);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_taskgroup_body_error_comes_after_the_children_s)
{
    int codes[2] = { 0, 0 };
    worker_set(0, "a", 1, 0)->fail = 7;
    worker_set(1, "b", 5, 20);
    ck_assert_int_eq(run(tg_body_raises_after_child_main), 0);
    ck_assert_trace("a:fail@1 b:cancelled@1 body:raise@1 main:group[E7,E9]@1");
    ck_assert_uint_eq(coro_taskgroup_errors(&M.g[0], codes, 2), 2);
    ck_assert_int_eq(codes[0], 7);
    ck_assert_int_eq(codes[1], 9);
}
END_TEST

/* async def main():
 *     asyncio.create_task(canceller(asyncio.current_task(), 1))
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             g.create_task(worker('a', 5, catch=True, after=1, fail=7))
 *             g.create_task(worker('b', 5, 20))
 *             await asyncio.sleep(10)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> cancel:True@1 b:cancelled@1 a:cancelled@1 a:fail@2 main:group[E7]@2
 * (a and b in start order: see the top of the file) */
static int tg_child_fails_while_cancelled_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_canceller(&M.task, 1);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            START(co, &M.g[0], 1);
            CORO_SLEEP(co, &loop, 10 * CORO_SEC);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_taskgroup_child_failing_while_parent_is_cancelled_is_egroup)
{
    struct worker *a = worker_set(0, "a", 5, 0);
    a->catch_cancel = 1;
    a->after = 1;
    a->fail = 7;
    worker_set(1, "b", 5, 20);
    ck_assert_int_eq(run(tg_child_fails_while_cancelled_main), 0);
    ck_assert_trace("cancel:True@1 a:cancelled@1 b:cancelled@1 a:fail@2 main:group[E7]@2");
}
END_TEST

/* async def main():
 *     asyncio.create_task(canceller(asyncio.current_task(), 1))
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             a = g.create_task(worker('a', 3, 10))
 *             b = g.create_task(worker('b', 5, 20))
 *             ev('body:end')
 *     except BaseException as x: ev('main:%s' % errname(x))
 *     ev('cancelled:%s,%s' % (a.cancelled(), b.cancelled()))
 * -> body:end@0 cancel:True@1 a:cancelled@1 b:cancelled@1 main:cancelled@1
 *    cancelled:True,True@1 */
static int tg_parent_cancelled_at_end_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_canceller(&M.task, 1);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            START(co, &M.g[0], 1);
            ev("body:end");
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("cancelled:%s,%s", pybool(coro_future_cancelled(&M.w[0].task.fut)),
       pybool(coro_future_cancelled(&M.w[1].task.fut)));
    CORO_END(co);
}

START_TEST(test_taskgroup_parent_cancelled_waiting_at_the_end_cancels_children)
{
    worker_set(0, "a", 3, 10);
    worker_set(1, "b", 5, 20);
    ck_assert_int_eq(run(tg_parent_cancelled_at_end_main), 0);
    ck_assert_trace("body:end@0 cancel:True@1 a:cancelled@1 b:cancelled@1 main:cancelled@1 "
                    "cancelled:True,True@1");
    ck_assert_uint_eq(coro_taskgroup_errors(&M.g[0], NULL, 0), 0);
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             a = g.create_task(worker('a', 5, 10, catch=True, after=2))
 *             g.create_task(worker('b', 1, fail=7))
 *             ev('body:end')
 *     except BaseException as x: ev('main:%s' % errname(x))
 *     ev('a:%d' % a.result())
 * -> body:end@0 b:fail@1 a:cancelled@1 a:caught@3 main:group[E7]@3 a:10@3 */
static int tg_child_catches_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            START(co, &M.g[0], 1);
            ev("body:end");
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("a:%ld", res(&M.w[0].task.fut));
    CORO_END(co);
}

START_TEST(test_taskgroup_waits_for_a_child_that_catches_the_cancel)
{
    struct worker *a = worker_set(0, "a", 5, 10);
    a->catch_cancel = 1;
    a->after = 2;
    worker_set(1, "b", 1, 0)->fail = 7;
    ck_assert_int_eq(run(tg_child_catches_main), 0);
    ck_assert_trace("body:end@0 b:fail@1 a:cancelled@1 a:caught@3 main:group[E7]@3 a:10@3");
}
END_TEST

/* async def main():
 *     g = asyncio.TaskGroup()
 *     try: g.create_task(worker('x', 1))
 *     except RuntimeError as x: ev('before:%s' % errname(x))
 *     try:
 *         async with g:
 *             g.create_task(worker('b', 1, fail=7))
 *             try:
 *                 await asyncio.sleep(10)
 *             except CancelledError:
 *                 try: g.create_task(worker('y', 1))
 *                 except RuntimeError as x: ev('aborting:%s' % errname(x))
 *                 raise
 *     except BaseException as x: ev('main:%s' % errname(x))
 *     try: g.create_task(worker('z', 1))
 *     except RuntimeError as x: ev('after:%s' % errname(x))
 * -> before:ESTATE@0 b:fail@1 aborting:ESHUTDOWN@1 main:group[E7]@1 after:ESTATE@1 */
static int tg_start_refused_main(struct coro *co)
{
    CORO_BEGIN(co);
    ev("before:%s", errname(coro_taskgroup_start(&M.g[0], &M.w[0].task, worker_body)));
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 1);
            CORO_TRY(co, &M.t[1]) {
                CORO_SLEEP(co, &loop, 10 * CORO_SEC);
            } CORO_EXCEPT(co, &M.t[1], CORO_ECANCELLED) {
                ev("aborting:%s",
                   errname(coro_taskgroup_start(&M.g[0], &M.w[2].task, worker_body)));
                CORO_RERAISE(co, &M.t[1]);
            } CORO_END_TRY(co, &M.t[1]);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("after:%s", errname(coro_taskgroup_start(&M.g[0], &M.w[3].task, worker_body)));
    CORO_END(co);
}

START_TEST(test_taskgroup_start_before_enter_while_aborting_and_after_close_refused)
{
    worker_set(0, "x", 1, 0);
    worker_set(1, "b", 1, 0)->fail = 7;
    worker_set(2, "y", 1, 0);
    worker_set(3, "z", 1, 0);
    ck_assert_int_eq(run(tg_start_refused_main), 0);
    ck_assert_trace("before:ESTATE@0 b:fail@1 aborting:ESHUTDOWN@1 main:group[E7]@1 "
                    "after:ESTATE@1");
    /* the refused tasks never started: they can start elsewhere */
    ck_assert(!coro_future_done(&M.w[0].task.fut));
    ck_assert_int_eq(coro_task_start(&M.w[2].task, &loop, worker_body), 0);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_int_eq(res(&M.w[2].task.fut), 0);
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.TaskGroup() as outer:
 *             outer.create_task(worker('a', 3, 10))
 *             async with asyncio.TaskGroup() as inner:
 *                 inner.create_task(worker('b', 1, fail=7))
 *                 inner.create_task(worker('c', 5, 30))
 *                 await asyncio.sleep(10)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> b:fail@1 c:cancelled@1 a:cancelled@1 main:group[group[E7]]@1 */
static int tg_nested_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            CORO_TASKGROUP(co, &loop, &M.g[1]) {
                START(co, &M.g[1], 1);
                START(co, &M.g[1], 2);
                CORO_SLEEP(co, &loop, 10 * CORO_SEC);
            } CORO_END_TASKGROUP(co, &M.g[1]);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_nested_taskgroups_inner_egroup_is_the_outer_body_s_error)
{
    worker_set(0, "a", 3, 10);
    worker_set(1, "b", 1, 0)->fail = 7;
    worker_set(2, "c", 5, 30);
    ck_assert_int_eq(run(tg_nested_main), 0);
    ck_assert_trace("b:fail@1 c:cancelled@1 a:cancelled@1 main:group[group[E7]]@1");
    ck_assert_int_eq(coro_taskgroup_has(&M.g[0], CORO_EGROUP), 1);
    ck_assert_int_eq(coro_taskgroup_has(&M.g[0], 7), 0);
    ck_assert_int_eq(coro_taskgroup_has(&M.g[1], 7), 1);
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.timeout(2):
 *             async with asyncio.TaskGroup() as g:
 *                 g.create_task(worker('a', 5, 10))
 *                 g.create_task(worker('b', 6, 20))
 *                 await asyncio.sleep(10)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> a:cancelled@2 b:cancelled@2 main:timeout@2 */
static int tg_in_timeout_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 2 * CORO_SEC) {
            CORO_TASKGROUP(co, &loop, &M.g[0]) {
                START(co, &M.g[0], 0);
                START(co, &M.g[0], 1);
                CORO_SLEEP(co, &loop, 10 * CORO_SEC);
            } CORO_END_TASKGROUP(co, &M.g[0]);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_taskgroup_inside_an_expiring_timeout_is_etimedout)
{
    worker_set(0, "a", 5, 10);
    worker_set(1, "b", 6, 20);
    ck_assert_int_eq(run(tg_in_timeout_main), 0);
    ck_assert_trace("a:cancelled@2 b:cancelled@2 main:timeout@2");
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.timeout(2):
 *             async with asyncio.TaskGroup() as g:
 *                 g.create_task(worker('a', 5, 10))
 *                 ev('body:end')
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> body:end@0 a:cancelled@2 main:timeout@2 */
static int tg_in_timeout_at_end_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 2 * CORO_SEC) {
            CORO_TASKGROUP(co, &loop, &M.g[0]) {
                START(co, &M.g[0], 0);
                ev("body:end");
            } CORO_END_TASKGROUP(co, &M.g[0]);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_timeout_expiring_while_a_taskgroup_waits_at_its_end)
{
    worker_set(0, "a", 5, 10);
    ck_assert_int_eq(run(tg_in_timeout_at_end_main), 0);
    ck_assert_trace("body:end@0 a:cancelled@2 main:timeout@2");
}
END_TEST

/* async def main():
 *     async with asyncio.timeout(1) as cm:
 *         try:
 *             await asyncio.sleep(5)
 *         except CancelledError:
 *             ev('body:cancelled')
 *         await asyncio.sleep(2)
 *         ev('body:after')
 *     ev('main:ok expired:%s' % cm.expired())
 * -> body:cancelled@1 body:after@3 main:ok expired:True@3 */
static int caught_then_await_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
        CORO_TRY(co, &M.t[0]) {
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_EXCEPT(co, &M.t[0], CORO_ECANCELLED) {
            ev("body:cancelled");
        } CORO_END_TRY(co, &M.t[0]);
        CORO_SLEEP(co, &loop, 2 * CORO_SEC);
        ev("body:after");
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("main:ok expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_END(co);
}

TRACE_TEST(test_expired_scope_whose_body_caught_the_cancel_does_not_cancel_again,
           caught_then_await_main,
           "body:cancelled@1 body:after@3 main:ok expired:True@3")

/* async def main():
 *     asyncio.create_task(canceller(asyncio.current_task(), 1))
 *     try:
 *         async with asyncio.timeout(5) as cm:
 *             await asyncio.sleep(10)
 *     except BaseException as x: ev('main:%s' % errname(x))
 *     ev('expired:%s' % cm.expired())
 * -> cancel:True@1 main:cancelled@1 expired:False@1 */
static int outer_cancel_only_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_canceller(&M.task, 1);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 5 * CORO_SEC) {
            CORO_SLEEP(co, &loop, 10 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_END(co);
}

START_TEST(test_outer_cancel_inside_a_timeout_stays_ecancelled)
{
    ck_assert_int_eq(run(outer_cancel_only_main), 0);
    ck_assert_trace("cancel:True@1 main:cancelled@1 expired:False@1");
    ck_assert_int_eq(coro_loop_time(&loop), CORO_SEC);      /* the timer went */
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.timeout(2):
 *             await asyncio.sleep(2)
 *             ev('body:done')
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> main:timeout@2
 * (the deadline's timer was set first, so it runs first in that iteration) */
static int tie_sleep_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 2 * CORO_SEC) {
            CORO_SLEEP(co, &loop, 2 * CORO_SEC);
            ev("body:done");
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

TRACE_TEST(test_deadline_and_a_sleep_ending_at_the_same_time_expire, tie_sleep_main,
           "main:timeout@2")

/* The program of test_timeout_around_awaiting_a_task_cancels_the_task with
 * worker('a', 2, 10):
 * -> a:cancelled@2 main:timeout@2 a.cancelled:True@2
 * (a's sleep ends first, but a has not run when the deadline cancels it) */
START_TEST(test_deadline_at_the_time_an_awaited_task_wakes_cancels_the_task)
{
    worker_set(0, "a", 2, 10);
    ck_assert_int_eq(run(to_task_main), 0);
    ck_assert_trace("a:cancelled@2 main:timeout@2 a.cancelled:True@2");
}
END_TEST

/* The twin of both programs below: timeout(3) { try { TaskGroup { a fails
 * at 1; b(5); [sleep(5) if in_body] } } except: ev('group:...');
 * sleep(5) } except: ev('main:...'). */
static int tg_fail_then_timeout(struct coro *co, int in_body)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 3 * CORO_SEC) {
            CORO_TRY(co, &M.t[1]) {
                CORO_TASKGROUP(co, &loop, &M.g[0]) {
                    START(co, &M.g[0], 0);
                    if (in_body) {
                        CORO_SLEEP(co, &loop, 5 * CORO_SEC);
                    } else {
                        START(co, &M.g[0], 1);
                        ev("body:end");
                    }
                } CORO_END_TASKGROUP(co, &M.g[0]);
            } EXCEPT_EV(co, &M.t[1], "group");
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

/* async def main():
 *     try:
 *         async with asyncio.timeout(3):
 *             try:
 *                 async with asyncio.TaskGroup() as g:
 *                     g.create_task(worker('a', 1, fail=7))
 *                     await asyncio.sleep(5)
 *             except BaseException as x: ev('group:%s' % errname(x))
 *             await asyncio.sleep(5)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> a:fail@1 group:group[E7]@1 main:timeout@3 */
static int tg_fail_in_body_then_timeout_main(struct coro *co)
{
    return tg_fail_then_timeout(co, 1);
}

START_TEST(test_group_that_cancelled_its_parent_hands_no_cancel_to_a_timeout)
{
    worker_set(0, "a", 1, 0)->fail = 7;
    ck_assert_int_eq(run(tg_fail_in_body_then_timeout_main), 0);
    ck_assert_trace("a:fail@1 group:group[E7]@1 main:timeout@3");
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.timeout(3):
 *             try:
 *                 async with asyncio.TaskGroup() as g:
 *                     g.create_task(worker('a', 1, fail=7))
 *                     g.create_task(worker('b', 5, 20))
 *                     ev('body:end')
 *             except BaseException as x: ev('group:%s' % errname(x))
 *             await asyncio.sleep(5)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> body:end@0 a:fail@1 b:cancelled@1 group:group[E7]@1 main:cancelled@3
 * is what Python 3.11.7 prints: it calls parent.uncancel() only at the start
 * of __aexit__, so the cancel the group makes while __aexit__ waits stays
 * counted on main, and the timeout's end takes it for someone else's.
 * coro deliberately follows the later CPython releases, which uncancel
 * after the wait: the group's own cancel of its parent is withdrawn
 * whenever it comes, and the timeout is a timeout:
 * -> body:end@0 a:fail@1 b:cancelled@1 group:group[E7]@1 main:timeout@3 */
static int tg_fail_at_end_then_timeout_main(struct coro *co)
{
    return tg_fail_then_timeout(co, 0);
}

START_TEST(test_group_that_cancelled_its_parent_at_the_end_hands_no_cancel_to_a_timeout)
{
    worker_set(0, "a", 1, 0)->fail = 7;
    worker_set(1, "b", 5, 20);
    ck_assert_int_eq(run(tg_fail_at_end_then_timeout_main), 0);
    ck_assert_trace("body:end@0 a:fail@1 b:cancelled@1 group:group[E7]@1 main:timeout@3");
}
END_TEST

/* async def timed(name, d, catch) of the program below. */
struct timed {
    struct coro_task task;
    const char *name;
    int d, catch_timeout;
    struct coro_timeout to;
    struct coro_try t;
};

static int timed_body(struct coro *co)
{
    struct timed *f = (struct timed *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_TIMEOUT(co, &loop, &f->to, f->d * CORO_SEC) {
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &f->to);
    } CORO_EXCEPT(co, &f->t, CORO_ETIMEDOUT) {
        ev("%s:timeout", f->name);
        if (!f->catch_timeout)
            CORO_RERAISE(co, &f->t);
    } CORO_END_TRY(co, &f->t);
    CORO_RETURN(co, coro_int(1));
    CORO_END(co);
}

/* async def main():
 *     async def timed(name, d, catch):
 *         try:
 *             async with asyncio.timeout(d):
 *                 await asyncio.sleep(5)
 *         except TimeoutError:
 *             ev(name + ':timeout')
 *             if not catch: raise
 *         return 1
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             g.create_task(timed('a', 1, True))
 *             g.create_task(timed('b', 2, False))
 *             g.create_task(worker('c', 4, 30))
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> a:timeout@1 b:timeout@2 c:cancelled@2 main:group[timeout]@2 */
static struct timed timed_a, timed_b;

static int child_timeout_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            OK(coro_taskgroup_start(&M.g[0], &timed_a.task, timed_body));
            OK(coro_taskgroup_start(&M.g[0], &timed_b.task, timed_body));
            START(co, &M.g[0], 2);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_timeouts_inside_children_of_a_group)
{
    memset(&timed_a, 0, sizeof timed_a);
    memset(&timed_b, 0, sizeof timed_b);
    timed_a.name = "a";
    timed_a.d = 1;
    timed_a.catch_timeout = 1;
    timed_b.name = "b";
    timed_b.d = 2;
    worker_set(2, "c", 4, 30);
    ck_assert_int_eq(run(child_timeout_main), 0);
    ck_assert_trace("a:timeout@1 b:timeout@2 c:cancelled@2 main:group[timeout]@2");
    ck_assert_int_eq(res(&timed_a.task.fut), 1);
}
END_TEST

/* async def main():
 *     async with asyncio.TaskGroup() as g:
 *         a = g.create_task(worker('a', 3, 10))
 *         b = g.create_task(worker('b', 5, 20))
 *         asyncio.create_task(canceller(b, 1))
 *         ev('body:end')
 *     ev('main:%d b.cancelled:%s' % (a.result(), b.cancelled()))
 * -> body:end@0 cancel:True@1 b:cancelled@1 a:done@3 main:10 b.cancelled:True@3 */
static int child_cancelled_from_outside_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &M.g[0]) {
        START(co, &M.g[0], 0);
        START(co, &M.g[0], 1);
        start_canceller(&M.w[1].task, 1);
        ev("body:end");
    } CORO_END_TASKGROUP(co, &M.g[0]);
    ev("main:%ld b.cancelled:%s", res(&M.w[0].task.fut),
       pybool(coro_future_cancelled(&M.w[1].task.fut)));
    CORO_END(co);
}

START_TEST(test_child_cancelled_from_outside_is_no_error_of_the_group)
{
    worker_set(0, "a", 3, 10);
    worker_set(1, "b", 5, 20);
    ck_assert_int_eq(run(child_cancelled_from_outside_main), 0);
    ck_assert_trace("body:end@0 cancel:True@1 b:cancelled@1 a:done@3 main:10 "
                    "b.cancelled:True@3");
    ck_assert_uint_eq(coro_taskgroup_errors(&M.g[0], NULL, 0), 0);
}
END_TEST

/* async def main():
 *     asyncio.create_task(canceller(asyncio.current_task(), 1))
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             g.create_task(worker('a', 3, 10))
 *             try:
 *                 await asyncio.sleep(10)
 *             except CancelledError:
 *                 ev('body:cancelled'); raise
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> cancel:True@1 body:cancelled@1 a:cancelled@1 main:cancelled@1 */
static int parent_cancelled_in_body_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_canceller(&M.task, 1);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            CORO_TRY(co, &M.t[1]) {
                CORO_SLEEP(co, &loop, 10 * CORO_SEC);
            } CORO_EXCEPT(co, &M.t[1], CORO_ECANCELLED) {
                ev("body:cancelled");
                CORO_RERAISE(co, &M.t[1]);
            } CORO_END_TRY(co, &M.t[1]);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_taskgroup_parent_cancelled_in_its_body_cancels_children)
{
    worker_set(0, "a", 3, 10);
    ck_assert_int_eq(run(parent_cancelled_in_body_main), 0);
    ck_assert_trace("cancel:True@1 body:cancelled@1 a:cancelled@1 main:cancelled@1");
}
END_TEST

/* async def main():
 *     async def spawner(g):
 *         await asyncio.sleep(1)
 *         g.create_task(worker('c', 2, 30))
 *         ev('spawner:done')
 *     async with asyncio.TaskGroup() as g:
 *         g.create_task(spawner(g))
 *         ev('body:end')
 *     ev('main:ok')
 * -> body:end@0 spawner:done@1 c:done@3 main:ok@3 */
static int spawner_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, CORO_SEC);
    START(co, &M.g[0], 2);
    ev("spawner:done");
    CORO_END(co);
}

static int child_adds_child_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &M.g[0]) {
        OK(coro_taskgroup_start(&M.g[0], &M.w[0].task, spawner_body));
        ev("body:end");
    } CORO_END_TASKGROUP(co, &M.g[0]);
    ev("main:ok");
    CORO_END(co);
}

START_TEST(test_child_may_start_a_child_while_the_group_waits_at_its_end)
{
    worker_set(2, "c", 2, 30);
    ck_assert_int_eq(run(child_adds_child_main), 0);
    ck_assert_trace("body:end@0 spawner:done@1 c:done@3 main:ok@3");
}
END_TEST

/* async def main():
 *     asyncio.create_task(canceller(asyncio.current_task(), 2))
 *     await asyncio.sleep(0)
 *     try:
 *         async with asyncio.timeout(2) as cm:
 *             await asyncio.sleep(5)
 *     except BaseException as x: ev('main:%s' % errname(x))
 *     ev('expired:%s' % cm.expired())
 * -> cancel:True@2 main:cancelled@2 expired:True@2
 * (the canceller's timer was set first: both cancels reach main together) */
static int cancel_first_same_time_main(struct coro *co)
{
    return same_time_main(co, 1);
}

TRACE_TEST(test_outer_cancel_due_before_the_expiry_of_the_same_second_wins,
           cancel_first_same_time_main,
           "cancel:True@2 main:cancelled@2 expired:True@2")

/* async def main():
 *     try:
 *         async with asyncio.timeout(5) as a:
 *             try:
 *                 async with asyncio.timeout(2) as b:
 *                     try:
 *                         async with asyncio.timeout(4) as c:
 *                             await asyncio.sleep(10)
 *                     except BaseException as x:
 *                         ev('c:%s expired:%s' % (errname(x), c.expired())); raise
 *             except TimeoutError as x: ev('b:%s' % errname(x))
 *             await asyncio.sleep(10)
 *     except BaseException as x: ev('a:%s' % errname(x))
 * -> c:cancelled expired:False@2 b:timeout@2 a:timeout@5 */
static int three_deep_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 5 * CORO_SEC) {
            CORO_TRY(co, &M.t[1]) {
                CORO_TIMEOUT(co, &loop, &M.to[1], 2 * CORO_SEC) {
                    CORO_TRY(co, &M.t[2]) {
                        CORO_TIMEOUT(co, &loop, &M.to[2], 4 * CORO_SEC) {
                            CORO_SLEEP(co, &loop, 10 * CORO_SEC);
                        } CORO_END_TIMEOUT(co, &M.to[2]);
                    } CORO_EXCEPT_IF(co, &M.t[2], 1) {
                        ev("c:%s expired:%s", errname(coro_error(&M.t[2])),
                           pybool(coro_timeout_expired(&M.to[2])));
                        CORO_RERAISE(co, &M.t[2]);
                    } CORO_END_TRY(co, &M.t[2]);
                } CORO_END_TIMEOUT(co, &M.to[1]);
            } EXCEPT_EV(co, &M.t[1], "b");
            CORO_SLEEP(co, &loop, 10 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "a");
    CORO_END(co);
}

TRACE_TEST(test_three_nested_timeouts_the_middle_one_expires_first, three_deep_main,
           "c:cancelled expired:False@2 b:timeout@2 a:timeout@5")

/* async def main():
 *     async with asyncio.timeout(1) as cm:
 *         try:
 *             await asyncio.sleep(5)
 *         except CancelledError:
 *             ev('inside:expired:%s' % cm.expired())
 *     ev('outside:expired:%s' % cm.expired())
 * -> inside:expired:True@1 outside:expired:True@1 */
static int expired_inside_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
        CORO_TRY(co, &M.t[0]) {
            CORO_SLEEP(co, &loop, 5 * CORO_SEC);
        } CORO_EXCEPT(co, &M.t[0], CORO_ECANCELLED) {
            ev("inside:expired:%s", pybool(coro_timeout_expired(&M.to[0])));
        } CORO_END_TRY(co, &M.t[0]);
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("outside:expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_END(co);
}

TRACE_TEST(test_expired_is_true_inside_the_body_once_the_deadline_passed, expired_inside_main,
           "inside:expired:True@1 outside:expired:True@1")

/* async def main():
 *     async def mover(cm):
 *         await asyncio.sleep(1)
 *         cm.reschedule(asyncio.get_running_loop().time() + 2)
 *         ev('moved')
 *     try:
 *         async with asyncio.timeout(10) as cm:
 *             asyncio.create_task(mover(cm))
 *             await asyncio.sleep(20)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> moved@1 main:timeout@3 */
static int mover_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, CORO_SEC);
    OK(coro_timeout_reschedule(&M.to[0], coro_loop_time(&loop) + 2 * CORO_SEC));
    ev("moved");
    CORO_END(co);
}

static int reschedule_from_other_task_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 10 * CORO_SEC) {
            OK(coro_task_start(&M.w[0].task, &loop, mover_body));
            CORO_SLEEP(co, &loop, 20 * CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

TRACE_TEST(test_reschedule_from_another_task, reschedule_from_other_task_main,
           "moved@1 main:timeout@3")

/* async def main():
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             g.create_task(worker('a', 3, 10))
 *             g.create_task(worker('b', 1, fail=7))
 *             try:
 *                 await asyncio.sleep(10)
 *             except CancelledError:
 *                 ev('body:caught')
 *             await asyncio.sleep(2)
 *             ev('body:end')
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> b:fail@1 a:cancelled@1 body:caught@1 body:end@3 main:group[E7]@3 */
static int body_catches_group_cancel_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            START(co, &M.g[0], 1);
            CORO_TRY(co, &M.t[1]) {
                CORO_SLEEP(co, &loop, 10 * CORO_SEC);
            } CORO_EXCEPT(co, &M.t[1], CORO_ECANCELLED) {
                ev("body:caught");
            } CORO_END_TRY(co, &M.t[1]);
            CORO_SLEEP(co, &loop, 2 * CORO_SEC);
            ev("body:end");
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_taskgroup_body_catching_the_group_s_cancel_goes_on)
{
    worker_set(0, "a", 3, 10);
    worker_set(1, "b", 1, 0)->fail = 7;
    ck_assert_int_eq(run(body_catches_group_cancel_main), 0);
    ck_assert_trace("b:fail@1 a:cancelled@1 body:caught@1 body:end@3 main:group[E7]@3");
}
END_TEST

/* async def main():
 *     async with asyncio.TaskGroup() as g:
 *         g.create_task(worker('a', 2, fail=7))
 *         await asyncio.sleep(1)
 *         return 5
 * -> a:fail@2 run:group[E7]@2 */
static int return_then_child_fails_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &M.g[0]) {
        START(co, &M.g[0], 0);
        CORO_SLEEP(co, &loop, CORO_SEC);
        CORO_RETURN(co, coro_int(5));
    } CORO_END_TASKGROUP(co, &M.g[0]);
    CORO_END(co);
}

START_TEST(test_child_failing_after_the_body_returned_replaces_the_return)
{
    worker_set(0, "a", 2, 0)->fail = 7;
    ck_assert_int_eq(run(return_then_child_fails_main), CORO_EGROUP);
    ck_assert_trace("a:fail@2 run:group[E7]@2");
}
END_TEST

/* async def main():
 *     try:
 *         async with asyncio.TaskGroup() as g:
 *             g.create_task(worker('a', 5, catch=True, after=1, fail=7))
 *             await asyncio.sleep(1)
 *             ev('body:raise'); raise E(9)
 *     except BaseException as x: ev('main:%s' % errname(x))
 * -> body:raise@1 a:cancelled@1 a:fail@2 main:group[E7,E9]@2 */
static int body_error_then_child_error_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            START(co, &M.g[0], 0);
            CORO_SLEEP(co, &loop, CORO_SEC);
            ev("body:raise");
            CORO_RAISE(co, 9);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_body_error_is_last_even_when_a_child_fails_after_it)
{
    struct worker *a = worker_set(0, "a", 5, 0);
    a->catch_cancel = 1;
    a->after = 1;
    a->fail = 7;
    ck_assert_int_eq(run(body_error_then_child_error_main), 0);
    ck_assert_trace("body:raise@1 a:cancelled@1 a:fail@2 main:group[E7,E9]@2");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Shielded scopes (Trio's rules: no CPython twin)                          */
/* ------------------------------------------------------------------------ */

/* Trio: a cancel from outside a CancelScope(shield=True) does not reach its
 * body; once the shield ends, the cancel is delivered at the task's next
 * checkpoint (await). So a cancel at 1 lets the shielded sleep finish at 3,
 * the code right after the shield runs, and the next await raises:
 * -> cancel:True@1 shield:done@3 after:shield@3 main:cancelled@3 */
static int shield_held_cancel_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_canceller(&M.task, 1);
    CORO_TRY(co, &M.t[0]) {
        CORO_SHIELD(co, &loop, &M.to[0]) {
            CORO_SLEEP(co, &loop, 3 * CORO_SEC);
            ev("shield:done");
        } CORO_END_TIMEOUT(co, &M.to[0]);
        ev("after:shield");
        CORO_SLEEP(co, &loop, CORO_SEC);
        ev("not reached");
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

TRACE_TEST(test_shield_holds_an_outer_cancel_until_the_next_await_after_it, shield_held_cancel_main,
           "cancel:True@1 shield:done@3 after:shield@3 main:cancelled@3")

/* Trio: with fail_after(1): with CancelScope(shield=True): await sleep(3);
 * then await sleep(1): the deadline passes at 1 inside the shield; the
 * Cancelled comes at the first checkpoint after it and fail_after turns
 * it into TooSlowError (asyncio's TimeoutError):
 * -> shield:done@3 main:timeout@3 expired:True@3 */
static int shield_held_expiry_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
            CORO_SHIELD(co, &loop, &M.to[1]) {
                CORO_SLEEP(co, &loop, 3 * CORO_SEC);
                ev("shield:done");
            } CORO_END_TIMEOUT(co, &M.to[1]);
            CORO_SLEEP(co, &loop, CORO_SEC);
            ev("not reached");
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    ev("expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_END(co);
}

TRACE_TEST(test_shield_holds_an_outer_timeout_expiry_until_the_next_await, shield_held_expiry_main,
           "shield:done@3 main:timeout@3 expired:True@3")

/* Trio: a cancel scope opened inside a shield is not shielded from its own
 * deadline: with CancelScope(shield=True): with fail_after(1): sleep(3)
 * -> inner:timeout@1 shield:end@1 */
static int shield_inner_timeout_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SHIELD(co, &loop, &M.to[0]) {
        CORO_TRY(co, &M.t[0]) {
            CORO_TIMEOUT(co, &loop, &M.to[1], CORO_SEC) {
                CORO_SLEEP(co, &loop, 3 * CORO_SEC);
            } CORO_END_TIMEOUT(co, &M.to[1]);
        } EXCEPT_EV(co, &M.t[0], "inner");
        ev("shield:end");
    } CORO_END_TIMEOUT(co, &M.to[0]);
    CORO_END(co);
}

START_TEST(test_timeout_inside_a_shield_still_expires)
{
    ck_assert_int_eq(run(shield_inner_timeout_main), 0);
    ck_assert_trace("inner:timeout@1 shield:end@1");
    ck_assert_int_eq(coro_timeout_expired(&M.to[0]), 0);
}
END_TEST

/* Trio: with fail_after(1) as outer: with CancelScope(shield=True):
 * sleep(3) -- and no checkpoint after the shield inside `outer`: no
 * Cancelled is raised, so fail_after raises nothing (cancelled_caught is
 * False, cancel_called True: expired()), and the cancel, being outer's
 * own, ends with it: the await after the scope is not cancelled.
 * -> shield:done@3 main:ok expired:True@3 main:after@4 */
static int shield_withdrawn_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
        CORO_SHIELD(co, &loop, &M.to[1]) {
            CORO_SLEEP(co, &loop, 3 * CORO_SEC);
            ev("shield:done");
        } CORO_END_TIMEOUT(co, &M.to[1]);
    } CORO_END_TIMEOUT(co, &M.to[0]);
    ev("main:ok expired:%s", pybool(coro_timeout_expired(&M.to[0])));
    CORO_SLEEP(co, &loop, CORO_SEC);
    ev("main:after");
    CORO_END(co);
}

START_TEST(test_held_expiry_of_a_scope_ending_with_no_await_is_withdrawn)
{
    ck_assert_int_eq(run(shield_withdrawn_main), 0);
    ck_assert_trace("shield:done@3 main:ok expired:True@3 main:after@4");
    ck_assert_ptr_null(M.task.scope);
}
END_TEST

/* Trio: a timeout opened inside the shield expires on its own (TooSlowError
 * at 2) though an outer cancel (at 1) is held; the held cancel comes at the
 * first await after the shield:
 * -> cancel:True@1 inner:timeout@2 shield:end@2 main:cancelled@2
 * (the held cancel is counted in the shield, which the inner timeout never
 * sees). */
static int shield_cancel_and_inner_timeout_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_canceller(&M.task, 1);
    CORO_TRY(co, &M.t[0]) {
        CORO_SHIELD(co, &loop, &M.to[0]) {
            CORO_TRY(co, &M.t[1]) {
                CORO_TIMEOUT(co, &loop, &M.to[1], 2 * CORO_SEC) {
                    CORO_SLEEP(co, &loop, 5 * CORO_SEC);
                } CORO_END_TIMEOUT(co, &M.to[1]);
            } EXCEPT_EV(co, &M.t[1], "inner");
            ev("shield:end");
        } CORO_END_TIMEOUT(co, &M.to[0]);
        CORO_SLEEP(co, &loop, CORO_SEC);
        ev("not reached");
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

TRACE_TEST(test_timeout_inside_a_shield_expires_while_an_outer_cancel_is_held,
           shield_cancel_and_inner_timeout_main,
           "cancel:True@1 inner:timeout@2 shield:end@2 main:cancelled@2")

/* Trio: the outermost shield a cancel crosses holds it: with an outer
 * cancel at 1, shield { shield { sleep(2) } sleep(1) } runs whole:
 * -> cancel:True@1 inner:done@2 outer:done@3 main:cancelled@3 */
static int nested_shields_main(struct coro *co)
{
    CORO_BEGIN(co);
    start_canceller(&M.task, 1);
    CORO_TRY(co, &M.t[0]) {
        CORO_SHIELD(co, &loop, &M.to[0]) {
            CORO_SHIELD(co, &loop, &M.to[1]) {
                CORO_SLEEP(co, &loop, 2 * CORO_SEC);
                ev("inner:done");
            } CORO_END_TIMEOUT(co, &M.to[1]);
            CORO_SLEEP(co, &loop, CORO_SEC);
            ev("outer:done");
        } CORO_END_TIMEOUT(co, &M.to[0]);
        CORO_SLEEP(co, &loop, CORO_SEC);
        ev("not reached");
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

TRACE_TEST(test_nested_shields_hold_an_outer_cancel_until_the_outermost_ends, nested_shields_main,
           "cancel:True@1 inner:done@2 outer:done@3 main:cancelled@3")

/* A child of a group whose body is shielded: shield { sleep(3) }, then
 * sleep(1). */
static int shielded_child_body(struct coro *co)
{
    struct worker *f = (struct worker *)co;
    CORO_BEGIN(co);
    CORO_SHIELD(co, &loop, &M.to[2]) {
        CORO_SLEEP(co, &loop, 3 * CORO_SEC);
        ev("%s:shield:done", f->name);
    } CORO_END_TIMEOUT(co, &M.to[2]);
    CORO_TRY(co, &M.t[2]) {
        CORO_SLEEP(co, &loop, CORO_SEC);
    } EXCEPT_EV(co, &M.t[2], f->name);
    CORO_RETURN(co, coro_int(1));
    CORO_END(co);
}

/* Trio (a nursery's cancel of its children is a cancel from outside their
 * shields): b fails at 1, the group cancels a, whose shielded sleep runs
 * to 3; a sees the cancel at its next await, catches it and returns; the
 * group waits for it:
 * -> b:fail@1 a:shield:done@3 a:cancelled@3 main:group[E7]@3 */
static int shielded_child_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TASKGROUP(co, &loop, &M.g[0]) {
            OK(coro_taskgroup_start(&M.g[0], &M.w[0].task, shielded_child_body));
            START(co, &M.g[0], 1);
        } CORO_END_TASKGROUP(co, &M.g[0]);
    } EXCEPT_EV(co, &M.t[0], "main");
    CORO_END(co);
}

START_TEST(test_group_cancel_of_a_shielded_child_waits_for_its_shield)
{
    worker_set(0, "a", 0, 0);
    worker_set(1, "b", 1, 0)->fail = 7;
    ck_assert_int_eq(run(shielded_child_main), 0);
    ck_assert_trace("b:fail@1 a:shield:done@3 a:cancelled@3 main:group[E7]@3");
    ck_assert_int_eq(res(&M.w[0].task.fut), 1);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Misuse and bad input                                                     */
/* ------------------------------------------------------------------------ */

/* A generator driven by hand, not a task: each block raises at once. As
 * asyncio raises RuntimeError for asyncio.timeout / TaskGroup outside a
 * task. `which` % 4: 0 timeout, 1 timeout_at, 2 shield, 3 task group. */
static struct outside {
    struct coro co;
    struct coro_loop *loop;
    int which;
    struct coro_timeout to;
    struct coro_taskgroup g;
} O;

static int outside_body(struct coro *co)
{
    struct outside *f = (struct outside *)co;
    CORO_BEGIN(co);
    if (f->which % 4 == 0) {
        CORO_TIMEOUT(co, f->loop, &f->to, CORO_SEC) {
            trace("body");
        } CORO_END_TIMEOUT(co, &f->to);
    } else if (f->which % 4 == 1) {
        CORO_TIMEOUT_AT(co, f->loop, &f->to, CORO_SEC) {
            trace("body");
        } CORO_END_TIMEOUT(co, &f->to);
    } else if (f->which % 4 == 2) {
        CORO_SHIELD(co, f->loop, &f->to) {
            trace("body");
        } CORO_END_TIMEOUT(co, &f->to);
    } else {
        CORO_TASKGROUP(co, f->loop, &f->g) {
            trace("body");
        } CORO_END_TASKGROUP(co, &f->g);
    }
    CORO_END(co);
}

/* A task of `loop` that opens each block for `other`, a loop it is not a
 * task of: the same. */
static int other_loop_main(struct coro *co)
{
    CORO_BEGIN(co);
    for (O.which = 0; O.which < 4; O.which++) {
        coro_init(&O.co, outside_body);
        trace_result(coro_next(&O.co, &M.r), M.r);
    }
    CORO_END(co);
}

START_TEST(test_scopes_outside_a_task_of_their_loop_raise_enotask)
{
    struct coro_loop other;
    coro_value out;
    ck_assert_int_eq(coro_loop_init(&other, NULL, 0), 0);
    memset(&O, 0, sizeof O);
    for (O.which = 0; O.which < 8; O.which++) {
        O.loop = O.which < 4 ? &loop : NULL;        /* a loop not running, or none */
        if (O.which == 4)
            continue;       /* CORO_TIMEOUT with no loop: the test below */
        coro_init(&O.co, outside_body);
        trace_result(coro_next(&O.co, &out), out);
        trace_state(NULL, &O.co);
    }
    O.loop = &other;
    ck_assert_int_eq(coro_task_start(&M.task, &loop, other_loop_main), 0);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("err:CORO_ENOTASK CLOSED err:CORO_ENOTASK CLOSED "
                    "err:CORO_ENOTASK CLOSED err:CORO_ENOTASK CLOSED "
                    "err:CORO_ENOTASK CLOSED err:CORO_ENOTASK CLOSED "
                    "err:CORO_ENOTASK CLOSED "
                    "err:CORO_ENOTASK err:CORO_ENOTASK err:CORO_ENOTASK err:CORO_ENOTASK");
    ck_assert_int_eq(coro_loop_time(&loop), 0);      /* no timer was armed */
    ck_assert_ptr_null(M.task.scope);
}
END_TEST

/* CORO_TIMEOUT with a NULL loop raises CORO_ENOTASK, as CORO_TIMEOUT_AT,
 * CORO_SHIELD and CORO_TASKGROUP do (it once read the NULL loop's time). */
START_TEST(test_timeout_with_no_loop_raises_enotask)
{
    coro_value out;
    memset(&O, 0, sizeof O);
    coro_init(&O.co, outside_body);
    trace_result(coro_next(&O.co, &out), out);
    trace_state(NULL, &O.co);
    ck_assert_trace("err:CORO_ENOTASK CLOSED");
}
END_TEST

/* Bad input inside a task: refused with a named error, and the group and
 * the timeout go on as if it had not happened. */
static int bad_input_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &M.g[0]) {
        START(co, &M.g[0], 0);
        ck_assert_int_eq(coro_taskgroup_start(&M.g[0], NULL, worker_body), CORO_EINVAL);
        ck_assert_int_eq(coro_taskgroup_start(&M.g[0], &M.w[1].task, NULL), CORO_EINVAL);
        ck_assert_int_eq(coro_taskgroup_start(&M.g[0], &M.w[0].task, worker_body),
                         CORO_EBUSY);
        ck_assert_uint_eq(M.g[0].live, 1);
        ck_assert_ptr_eq(M.g[0].first, &M.w[0].task);
        ck_assert_ptr_eq(M.g[0].last, &M.w[0].task);
        ck_assert_uint_eq(coro_taskgroup_errors(&M.g[0], NULL, 0), 0);   /* open */
        ck_assert_int_eq(coro_taskgroup_has(&M.g[0], 7), 0);
        CORO_TIMEOUT(co, &loop, &M.to[0], 5 * CORO_SEC) {
            ck_assert_int_eq(coro_timeout_reschedule(NULL, 0), CORO_EINVAL);
            ck_assert_int_eq(coro_timeout_reschedule(&M.to[1], 0), CORO_ESTATE);  /* never opened */
            ck_assert_int_eq(coro_timeout_when(&M.to[0]), 5 * CORO_SEC);
            CORO_SLEEP(co, &loop, 2 * CORO_SEC);
            ev("body:done");
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } CORO_END_TASKGROUP(co, &M.g[0]);
    ev("main:%ld expired:%s", res(&M.w[0].task.fut), pybool(coro_timeout_expired(&M.to[0])));
    CORO_END(co);
}

START_TEST(test_bad_input_to_the_new_functions_is_named_and_changes_nothing)
{
    worker_set(0, "a", 3, 10);
    ck_assert_int_eq(coro_taskgroup_start(NULL, &M.w[0].task, worker_body), CORO_EINVAL);
    ck_assert_uint_eq(coro_taskgroup_errors(NULL, NULL, 0), 0);
    ck_assert_int_eq(coro_taskgroup_has(NULL, 7), 0);
    ck_assert_int_eq(run(bad_input_main), 0);
    ck_assert_trace("body:done@2 a:done@3 main:10 expired:False@3");
    ck_assert(!coro_future_done(&M.w[1].task.fut));
}
END_TEST

static void noop(struct coro_handle *h)
{
    (void)h;
}

/* With one timer slot, taken: CORO_TIMEOUT raises CORO_EFULL without
 * running its body or opening a scope; reschedule is CORO_EFULL and leaves
 * no deadline. Both work again once the slot is free. */
static struct coro_handle filler;

static int full_heap_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], CORO_SEC) {
            ev("not reached");
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "timeout");
    ck_assert_ptr_null(M.task.scope);
    CORO_SHIELD(co, &loop, &M.to[0]) {         /* no deadline: no slot needed */
        ev("reschedule:%s", errname(coro_timeout_reschedule(&M.to[0], 3 * CORO_SEC)));
        ev("when:%s", when_str(&M.to[0]));
        ck_assert_int_eq(coro_loop_cancel(&loop, &filler), 0);
        CORO_SLEEP(co, &loop, 4 * CORO_SEC);
        ev("shield:done");
    } CORO_END_TIMEOUT(co, &M.to[0]);
    CORO_TRY(co, &M.t[0]) {
        CORO_TIMEOUT(co, &loop, &M.to[0], 0) {
            CORO_SLEEP(co, &loop, CORO_SEC);
        } CORO_END_TIMEOUT(co, &M.to[0]);
    } EXCEPT_EV(co, &M.t[0], "timeout");
    CORO_END(co);
}

START_TEST(test_no_timer_slot_is_efull_and_opens_nothing)
{
    ck_assert_int_eq(coro_loop_init(&loop, slots, 1), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    coro_handle_init(&filler, noop);
    ck_assert_int_eq(coro_loop_call_later(&loop, &filler, 10 * CORO_SEC), 0);
    ck_assert_int_eq(run(full_heap_main), 0);
    ck_assert_trace("timeout:CORO_EFULL@0 reschedule:CORO_EFULL@0 when:None@0 "
                    "shield:done@4 timeout:timeout@4");
}
END_TEST

/* The error hook hears of a failed task nobody awaits, never of a failed
 * child of a group (the group keeps its error). */
static unsigned hook_calls;
static int hook_err;

static void hook(struct coro_loop *l, struct coro_task *t, int err)
{
    (void)l;
    (void)t;
    hook_calls++;
    hook_err = err;
}

START_TEST(test_error_hook_is_not_called_for_a_failed_child_of_a_group)
{
    hook_calls = 0;
    coro_loop_set_error_hook(&loop, hook);
    set_one_fails();
    ck_assert_int_eq(run(tg_one_fails_main), 0);
    ck_assert(coro_taskgroup_has(&M.g[0], 7));
    ck_assert_uint_eq(hook_calls, 0);
    /* the hook works: a lone failing task is reported */
    M.w[1].task = (struct coro_task){ 0 };
    ck_assert_int_eq(coro_task_start(&M.w[1].task, &loop, worker_body), 0);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_uint_eq(hook_calls, 1);
    ck_assert_int_eq(hook_err, 7);
}
END_TEST

/* A child that has just ended is still its group's until the group has
 * heard (its done callback runs at the next iteration): starting its task
 * again in that window is CORO_EBUSY, and the group goes on unharmed. */
struct restarter {
    struct coro_task task;
    int rc;
};
static struct restarter R;

static int restarter_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 0);       /* runs right after worker a's last step */
    R.rc = coro_task_start(&M.w[0].task, &loop, worker_body);
    ev("restart:%s", errname(R.rc));
    CORO_END(co);
}

static int restart_main(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &M.g[0]) {
        START(co, &M.g[0], 0);
        OK(coro_taskgroup_start(&M.g[0], &R.task, restarter_body));
    } CORO_END_TASKGROUP(co, &M.g[0]);
    ev("group:ok");
    CORO_END(co);
}

START_TEST(test_restarting_a_child_its_group_has_not_heard_of_yet_is_ebusy)
{
    memset(&R, 0, sizeof R);
    worker_set(0, "a", 0, 1);
    ck_assert_int_eq(run(restart_main), 0);
    ck_assert_trace("a:done@0 restart:CORO_EBUSY@0 group:ok@0");
    ck_assert_uint_eq(M.g[0].live, 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The suite                                                                */
/* ------------------------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name)
{
    return check_tcase(s, name, setup, NULL, 0);
}

static Suite *scope_suite(void)
{
    Suite *s = suite_create("scope");
    TCase *tc;

    tc = tcase(s, "timeout");
    tcase_add_test(tc, test_timeout_expiring_around_a_sleep_raises_etimedout_at_the_deadline);
    tcase_add_test(tc, test_timeout_that_does_not_expire_leaves_no_timer_and_no_cancel);
    tcase_add_test(tc, test_timeout_around_awaiting_a_future_cancels_the_future);
    tcase_add_test(tc, test_timeout_around_awaiting_a_task_cancels_the_task);
    tcase_add_test(tc, test_timeout_around_queue_get_lock_and_event_wait_leaves_them_usable);
    tcase_add_test(tc, test_timeout_around_wait_leaves_the_children_running);
    tcase_add_test(tc, test_timeout_around_as_completed_gives_the_early_child_then_etimedout);
    tcase_add_test(tc, test_timeout_zero_or_negative_expires_at_the_first_await);
    tcase_add_test(tc, test_timeout_at_a_time_passed_expires_at_the_first_await);
    tcase_add_test(tc, test_reschedule_later_earlier_forever_passed_and_after_expiry);

    tc = tcase(s, "nested");
    tcase_add_test(tc, test_nested_timeouts_inner_expires_first_then_outer);
    tcase_add_test(tc, test_nested_timeouts_outer_expires_first_inner_sees_ecancelled);
    tcase_add_test(tc, test_nested_timeouts_expiring_together_are_the_outer_s_etimedout);

    tc = tcase(s, "cancel");
    tcase_add_test(tc, test_outer_cancel_caught_in_body_then_expiry_stays_ecancelled);
    tcase_add_test(tc, test_expiry_due_before_an_outer_cancel_of_the_same_second_wins);
    tcase_add_test(tc, test_timeout_expiring_while_the_body_awaits_in_a_finally_block);
    tcase_add_test(tc, test_finally_block_awaiting_after_expiry_runs_whole_then_etimedout);
    tcase_add_test(tc, test_body_catching_its_cancel_leaves_the_scope_normally);
    tcase_add_test(tc, test_return_from_inside_a_timeout_keeps_the_value_and_stops_the_timer);
    tcase_add_test(tc, test_return_from_a_task_group_body_waits_for_children_keeps_value);
    tcase_add_test(tc, test_return_from_an_expired_timeout_that_caught_its_cancel_keeps_value);
    tcase_add_test(tc, test_group_errors_replace_a_return_from_the_cancelled_body);

    tc = tcase(s, "taskgroup");
    tcase_add_test(tc, test_taskgroup_waits_for_every_child_that_succeeds);
    tcase_add_test(tc, test_taskgroup_child_failing_cancels_siblings_and_body_egroup);
    tcase_add_test(tc, test_taskgroup_children_failing_in_one_iteration_are_all_kept_in_order);
    tcase_add_test(tc, test_taskgroup_body_raising_cancels_children_and_is_the_group_error);
    tcase_add_test(tc, test_taskgroup_body_error_comes_after_the_children_s);
    tcase_add_test(tc, test_taskgroup_child_failing_while_parent_is_cancelled_is_egroup);
    tcase_add_test(tc, test_taskgroup_parent_cancelled_waiting_at_the_end_cancels_children);
    tcase_add_test(tc, test_taskgroup_waits_for_a_child_that_catches_the_cancel);
    tcase_add_test(tc, test_taskgroup_start_before_enter_while_aborting_and_after_close_refused);
    tcase_add_test(tc, test_nested_taskgroups_inner_egroup_is_the_outer_body_s_error);
    tcase_add_test(tc, test_taskgroup_inside_an_expiring_timeout_is_etimedout);
    tcase_add_test(tc, test_timeout_expiring_while_a_taskgroup_waits_at_its_end);

    tc = tcase(s, "edges");
    tcase_add_test(tc, test_expired_scope_whose_body_caught_the_cancel_does_not_cancel_again);
    tcase_add_test(tc, test_outer_cancel_inside_a_timeout_stays_ecancelled);
    tcase_add_test(tc, test_deadline_and_a_sleep_ending_at_the_same_time_expire);
    tcase_add_test(tc, test_deadline_at_the_time_an_awaited_task_wakes_cancels_the_task);
    tcase_add_test(tc, test_group_that_cancelled_its_parent_hands_no_cancel_to_a_timeout);
    tcase_add_test(tc, test_group_that_cancelled_its_parent_at_the_end_hands_no_cancel_to_a_timeout);
    tcase_add_test(tc, test_timeouts_inside_children_of_a_group);
    tcase_add_test(tc, test_child_cancelled_from_outside_is_no_error_of_the_group);
    tcase_add_test(tc, test_taskgroup_parent_cancelled_in_its_body_cancels_children);
    tcase_add_test(tc, test_child_may_start_a_child_while_the_group_waits_at_its_end);

    tcase_add_test(tc, test_outer_cancel_due_before_the_expiry_of_the_same_second_wins);
    tcase_add_test(tc, test_three_nested_timeouts_the_middle_one_expires_first);
    tcase_add_test(tc, test_expired_is_true_inside_the_body_once_the_deadline_passed);
    tcase_add_test(tc, test_reschedule_from_another_task);
    tcase_add_test(tc, test_taskgroup_body_catching_the_group_s_cancel_goes_on);
    tcase_add_test(tc, test_child_failing_after_the_body_returned_replaces_the_return);
    tcase_add_test(tc, test_body_error_is_last_even_when_a_child_fails_after_it);

    tc = tcase(s, "shield");
    tcase_add_test(tc, test_shield_holds_an_outer_cancel_until_the_next_await_after_it);
    tcase_add_test(tc, test_shield_holds_an_outer_timeout_expiry_until_the_next_await);
    tcase_add_test(tc, test_timeout_inside_a_shield_still_expires);
    tcase_add_test(tc, test_held_expiry_of_a_scope_ending_with_no_await_is_withdrawn);
    tcase_add_test(tc, test_timeout_inside_a_shield_expires_while_an_outer_cancel_is_held);
    tcase_add_test(tc, test_nested_shields_hold_an_outer_cancel_until_the_outermost_ends);
    tcase_add_test(tc, test_group_cancel_of_a_shielded_child_waits_for_its_shield);

    tc = tcase(s, "misuse");
    tcase_add_test(tc, test_scopes_outside_a_task_of_their_loop_raise_enotask);
    tcase_add_test(tc, test_timeout_with_no_loop_raises_enotask);
    tcase_add_test(tc, test_bad_input_to_the_new_functions_is_named_and_changes_nothing);
    tcase_add_test(tc, test_no_timer_slot_is_efull_and_opens_nothing);
    tcase_add_test(tc, test_error_hook_is_not_called_for_a_failed_child_of_a_group);
    tcase_add_test(tc, test_restarting_a_child_its_group_has_not_heard_of_yet_is_ebusy);

    return s;
}

int main(void)
{
    return check_run(scope_suite());
}
