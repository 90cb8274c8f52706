/* SPDX-License-Identifier: MIT */
/*
 * test_loop.c -- the Check suite of the event-loop core (loop.h, loop.c):
 * futures, tasks, call_soon / call_at / call_later, the timer heap, sleep.
 *
 * Everything runs on the virtual clock (or on a test clock below): no real
 * sleeps, no tolerances. Where order matters a test records events with
 * trace.h ("A:await@0": a label, what happened, the loop time in seconds, or
 * "<n>ns" when not a whole second) and compares them with what CPython 3.11
 * asyncio prints for the equivalent program, written in the comment above the
 * test and run with python3 after this prelude to get the expected line (never
 * taken from the C code). The prelude's loop is asyncio's own, with a virtual
 * clock; its async defs are the twins of the helper bodies below.
 *
 * Python prelude:
 *     import asyncio, sys, types
 *     T = []
 *     class E(Exception):                     # user error n (a positive int)
 *         def __init__(self, n): super().__init__(n); self.n = n
 *     class VirtualLoop(asyncio.SelectorEventLoop):   # coro_clock_virtual
 *         def __init__(self):
 *             super().__init__()
 *             self.vt = 0
 *             real = self._selector.select
 *             def select(timeout=None):
 *                 if timeout is None:         # nothing left: run_forever returns,
 *                     self.stop()             # as coro_loop_run_forever does
 *                 elif timeout:
 *                     self.vt += timeout      # a wait jumps to its deadline
 *                 return real(0)
 *             self._selector.select = select
 *         def time(self): return self.vt
 *     loop = VirtualLoop()
 *     asyncio.set_event_loop(loop)
 *     def show(v): return 'none' if v is None else str(v)
 *     def now(): t = loop.time(); return str(int(t)) if t == int(t) else repr(t)
 *     def ev(label, what=''):                 # ev() / mark()
 *         T.append(label + (':' + what if what else '') + '@' + now())
 *     def name(e):                            # ename()
 *         if e is None: return '0'
 *         if isinstance(e, E): return 'E%d' % e.n
 *         if isinstance(e, asyncio.CancelledError): return 'cancelled'
 *         raise e
 *     def pending(): return name(sys.exc_info()[1])  # coro_error() in CORO_FINALLY
 *     def outcome(label, t):                  # outcome()
 *         T.append(label + ':' + ('cancelled' if t.cancelled() else
 *                  name(t.exception()) if t.exception() else 'ret:' + show(t.result())))
 *     def run(fut):                           # coro_loop_run_until_complete()
 *         try: loop.run_until_complete(fut)
 *         except BaseException: pass
 *     def run_once():                         # coro_loop_run_once(), something ready
 *         loop.call_soon(loop.stop); loop.run_forever()
 *     def task(coro): return loop.create_task(coro)  # coro_task_start()
 *     def done(): print(' '.join(T))
 *     async def marker(tag): ev(tag)          # marker()
 *     async def sleeper(tag, d, ret=None):    # sleeper()
 *         try: ev(tag, 'sleep'); await asyncio.sleep(d); ev(tag, 'woke'); return ret
 *         finally: ev(tag, 'fin:' + pending())
 *     async def awaiter(tag, f):              # awaiter()
 *         try: ev(tag, 'await'); r = await f; ev(tag, 'got:' + show(r)); return r
 *         finally: ev(tag, 'fin:' + pending())
 *     async def catcher(tag, f, ret=None):    # catcher()
 *         try: return await f
 *         except BaseException as e:
 *             ev(tag, 'caught:' + name(e))
 *             if ret is None: raise
 *             return ret
 *     async def sub(tag, d, f=None):          # sub_body()
 *         try:
 *             ev(tag, 'sleep'); await asyncio.sleep(d)
 *             if f is None: return
 *             ev(tag, 'await'); r = await f; ev(tag, 'got:' + show(r)); return r * 2
 *         finally: ev(tag, 'fin:' + pending())
 *     async def outer(tag, inner):            # outer()
 *         try: r = await inner; ev(tag, 'r:' + show(r)); return r
 *         finally: ev(tag, 'fin:' + pending())
 *     async def cancel_self(tag, d):          # cancel_self()
 *         try:
 *             ev(tag, 'cancel:%d' % asyncio.current_task().cancel())
 *             if d is None: return 5
 *             await asyncio.sleep(d); ev(tag, 'woke')
 *         finally: ev(tag, 'fin:' + pending())
 * (end of prelude)
 *
 * A struct cb is a loop.call_* callback or a done callback (it records its
 * label, then does its action: Python's lambda: (ev(label), action)); a
 * struct tk is a task's frame. A C return code 0 / CORO_ESTATE of a cancel
 * prints as Python's True / False (1 / 0).
 *
 * CORO_AWAIT_FUTURE_CATCH / CORO_YIELD_CATCH only compile when their error
 * lvalue is spelled `err` (the macro parameter also replaces the member name
 * in `(co)->err`), so bodies catch into a local `int err`.
 */
#include <check.h>
#include "check_main.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wait.h"
#include "trace.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

#define NTIMERS 64
static struct coro_timer_slot timers[NTIMERS];
static struct coro_loop loop;
static coro_time seen[4];           /* loop times callbacks and bodies saw */

/* A fresh loop on the virtual clock with `cap` timer slots. */
static void loop_reset(struct coro_timer_slot *heap, uint32_t cap)
{
    ck_assert_int_eq(coro_loop_init(&loop, heap, cap), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    ck_assert_int_eq(coro_loop_time(&loop), 0);
}

static void setup(void)
{
    (void)trace_state;      /* trace.h helpers this suite has no use for */
    (void)trace_result;
    trace_reset();
    memset(seen, 0, sizeof seen);
    loop_reset(timers, NTIMERS);
}

static coro_time secs(int s)
{
    return (coro_time)s * CORO_SEC;
}

/* A time as the prelude's now() prints it: "3" for 3 s, else "<n>ns". */
static const char *tstr(coro_time t)
{
    static char buf[4][32];
    static unsigned n;
    char *s = buf[n++ % 4];
    if (t % CORO_SEC == 0)
        snprintf(s, sizeof buf[0], "%lld", (long long)(t / CORO_SEC));
    else
        snprintf(s, sizeof buf[0], "%lldns", (long long)t);
    return s;
}

/* A value as the prelude's show() prints it (ints and none). */
static const char *show(coro_value v)
{
    static char buf[4][32];
    static unsigned n;
    char *s = buf[n++ % 4];
    if (v.type == CORO_NONE)
        return "none";
    snprintf(s, sizeof buf[0], "%ld", (long)v.v.i);
    return s;
}

/* "label@t" */
static void mark(const char *label)
{
    trace("%s@%s", label, tstr(coro_loop_time(&loop)));
}

#if defined(__GNUC__)
static void ev(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif

/* "label:what@t", what printf-style. */
static void ev(const char *label, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    trace("%s:%s@%s", label, what, tstr(coro_loop_time(&loop)));
}

/* An error as the prelude's name() prints it. */
static const char *ename(int err)
{
    switch (err) {
    case CORO_ECANCELLED: return "cancelled";
    case CORO_EFULL:      return "full";
    case CORO_ENOTASK:    return "notask";
    default:              return trace_errname(err);
    }
}

/* "label:ret:v", "label:cancelled" or "label:E7": a done future's outcome. */
static void outcome(const char *label, const struct coro_future *f)
{
    coro_value v = coro_none();
    int rc = coro_future_result(f, &v);
    if (rc == 0)
        trace("%s:ret:%s", label, show(v));
    else
        trace("%s:%s", label, ename(rc));
}

/* A callback: records its label (if any), counts its runs, then acts. */
struct cb {
    struct coro_handle h;           /* first: the handle is the callback */
    const char *label;
    int runs;
    void (*act)(struct cb *c);
    struct coro_future *fut;        /* what act sets or cancels */
    struct coro_task *task, *task2; /* what act cancels */
    struct cb *other;               /* what act schedules or cancels */
    struct coro *gen;               /* what act drives */
    int n;                          /* a value for act */
};

static void cb_run(struct coro_handle *h)
{
    struct cb *c = (struct cb *)(void *)h;
    c->runs++;
    if (c->label)
        mark(c->label);
    if (c->act)
        c->act(c);
}

static struct cb *cb_init(struct cb *c, const char *label, void (*act)(struct cb *))
{
    memset(c, 0, sizeof *c);
    coro_handle_init(&c->h, cb_run);
    c->label = label;
    c->act = act;
    return c;
}

static void soon(struct cb *c) { ck_assert_int_eq(coro_loop_call_soon(&loop, &c->h), 0); }
static void at(struct cb *c, coro_time when) { ck_assert_int_eq(coro_loop_call_at(&loop, &c->h, when), 0); }
static void later(struct cb *c, coro_time d) { ck_assert_int_eq(coro_loop_call_later(&loop, &c->h, d), 0); }

static void act_set_result(struct cb *c) { ck_assert_int_eq(coro_future_set_result(c->fut, coro_int(c->n)), 0); }
static void act_set_error(struct cb *c) { ck_assert_int_eq(coro_future_set_error(c->fut, c->n), 0); }
static void act_cancel_future(struct cb *c) { ck_assert_int_eq(coro_future_cancel(c->fut), 0); }
static void act_stop(struct cb *c) { (void)c; coro_loop_stop(&loop); }
static void act_soon_other(struct cb *c) { soon(c->other); }
static void act_cancel_other(struct cb *c) { ck_assert_int_eq(coro_loop_cancel(&loop, &c->other->h), 0); }
static void act_record_time(struct cb *c) { seen[c->n] = coro_loop_time(&loop); }

static void act_cancel_tasks(struct cb *c)
{
    ck_assert_int_eq(coro_task_cancel(c->task), 0);
    if (c->task2)
        ck_assert_int_eq(coro_task_cancel(c->task2), 0);
}

/* A plain coroutine a task awaits with CORO_AWAIT. */
struct sub {
    struct coro co;
    const char *label;
    coro_time d;                    /* what it sleeps */
    struct coro_future *fut;        /* what it then awaits, if any */
    coro_value r;
    struct coro_try fin;     /* try: ... finally: of the body */
};

/* A task's frame. */
struct tk {
    struct coro_task task;          /* first */
    const char *label;
    struct coro_future *fut;        /* what it awaits */
    struct coro_task *peer;         /* what it cancels */
    struct cb *cb;                  /* what it schedules */
    coro_time d;                    /* what it sleeps */
    coro_value r, ret;              /* what it got, what it returns */
    int i, n;
    struct sub sub;                 /* the frame of the coroutine it awaits */
    struct coro_try fin;     /* try: ... finally: of the body */
};

#define TK(co) ((struct tk *)(void *)(co))

static struct tk *tk_start(struct tk *t, const char *label, coro_fn body)
{
    memset(t, 0, sizeof *t);
    t->label = label;
    ck_assert_int_eq(coro_task_start(&t->task, &loop, body), 0);
    return t;
}

static int run_task(struct tk *t, coro_value *out)
{
    return coro_loop_run_until_complete(&loop, &t->task.fut, out);
}

/* The helper bodies: each is the C twin of the prelude's async def. */

static int marker(struct coro *co)
{
    CORO_BEGIN(co);
    mark(TK(co)->label);
    CORO_END(co);
}

static int sleeper(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        ev(f->label, "sleep");
        CORO_SLEEP(co, &loop, f->d);
        ev(f->label, "woke");
        CORO_RETURN(co, f->ret);
    } CORO_FINALLY(co, &f->fin) {
        ev(f->label, "fin:%s", ename(coro_error(&f->fin)));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static int awaiter(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        ev(f->label, "await");
        CORO_AWAIT_FUTURE(co, f->fut, f->r);
        ev(f->label, "got:%s", show(f->r));
        CORO_RETURN(co, f->r);
    } CORO_FINALLY(co, &f->fin) {
        ev(f->label, "fin:%s", ename(coro_error(&f->fin)));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static int catcher(struct coro *co)
{
    struct tk *f = TK(co);
    int err = 0;
    CORO_BEGIN(co);
    CORO_AWAIT_FUTURE_CATCH(co, f->fut, f->r, err);
    if (!err)
        CORO_RETURN(co, f->r);
    ev(f->label, "caught:%s", ename(err));
    if (f->ret.type == CORO_NONE)
        CORO_RAISE(co, err);
    CORO_RETURN(co, f->ret);
    CORO_END(co);
}

static int sub_body(struct coro *co)
{
    struct sub *s = (struct sub *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &s->fin) {
        ev(s->label, "sleep");
        CORO_SLEEP(co, &loop, s->d);
        if (!s->fut)
            CORO_RETURN(co, coro_none());
        ev(s->label, "await");
        CORO_AWAIT_FUTURE(co, s->fut, s->r);
        ev(s->label, "got:%s", show(s->r));
        CORO_RETURN(co, coro_int(s->r.v.i * 2));
    } CORO_FINALLY(co, &s->fin) {
        ev(s->label, "fin:%s", ename(coro_error(&s->fin)));
    } CORO_END_TRY(co, &s->fin);
    CORO_END(co);
}

static int outer(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        coro_init(&f->sub.co, sub_body);
        CORO_AWAIT(co, &f->sub.co, f->r);
        ev(f->label, "r:%s", show(f->r));
        CORO_RETURN(co, f->r);
    } CORO_FINALLY(co, &f->fin) {
        ev(f->label, "fin:%s", ename(coro_error(&f->fin)));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* d < 0 stands for Python's None */
static int cancel_self(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        ck_assert_ptr_eq(coro_loop_current(&loop), &f->task);
        ev(f->label, "cancel:%d", coro_task_cancel(coro_loop_current(&loop)) == 0);
        if (f->d < 0)
            CORO_RETURN(co, coro_int(5));
        CORO_SLEEP(co, &loop, f->d);
        ev(f->label, "woke");
    } CORO_FINALLY(co, &f->fin) {
        ev(f->label, "fin:%s", ename(coro_error(&f->fin)));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* ------------------------------------------------------------------------ */
/* 1. Futures                                                               */
/* ------------------------------------------------------------------------ */

START_TEST(test_future_states_and_result_codes)
{
    struct coro_future p = { 0 }, r = { 0 }, e = { 0 }, c = { 0 };
    coro_value v = coro_int(-1);
    coro_future_init(&p, &loop);
    coro_future_init(&r, &loop);
    coro_future_init(&e, &loop);
    coro_future_init(&c, &loop);
    ck_assert(!coro_future_done(&p) && !coro_future_cancelled(&p));
    ck_assert_int_eq(coro_future_result(&p, &v), CORO_ESTATE);
    ck_assert_int_eq(v.v.i, -1);                            /* out untouched */
    ck_assert_int_eq(coro_future_set_result(&r, coro_int(42)), 0);
    ck_assert(coro_future_done(&r) && !coro_future_cancelled(&r));
    ck_assert_int_eq(coro_future_result(&r, &v), 0);
    ck_assert(v.type == CORO_INT && v.v.i == 42);
    ck_assert_int_eq(coro_future_result(&r, NULL), 0);
    ck_assert_int_eq(coro_future_set_error(&e, 7), 0);
    ck_assert(coro_future_done(&e) && !coro_future_cancelled(&e));
    v = coro_int(-1);
    ck_assert_int_eq(coro_future_result(&e, &v), 7);
    ck_assert_int_eq(coro_future_cancel(&c), 0);
    ck_assert(coro_future_done(&c) && coro_future_cancelled(&c));
    ck_assert_int_eq(coro_future_result(&c, &v), CORO_ECANCELLED);
    ck_assert_int_eq(v.v.i, -1);
}
END_TEST

/* _i: done by set_result(1), set_error(7), cancel. */
START_TEST(test_finishing_a_done_future_is_estate_and_changes_nothing)
{
    struct coro_future f = { 0 };
    struct cb c;
    coro_value v = coro_none();
    int rc, expect[3] = { 0, 7, CORO_ECANCELLED };
    coro_future_init(&f, &loop);
    ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&c, NULL, NULL)->h), 0);
    rc = _i == 0 ? coro_future_set_result(&f, coro_int(1))
       : _i == 1 ? coro_future_set_error(&f, 7) : coro_future_cancel(&f);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(coro_future_set_result(&f, coro_int(2)), CORO_ESTATE);
    ck_assert_int_eq(coro_future_set_error(&f, 8), CORO_ESTATE);
    ck_assert_int_eq(coro_future_cancel(&f), CORO_ESTATE);
    ck_assert_int_eq(coro_future_result(&f, &v), expect[_i]);
    if (_i == 0)
        ck_assert_int_eq(v.v.i, 1);
    ck_assert_int_eq(coro_future_cancelled(&f), _i == 2);
    while (coro_loop_run_once(&loop) > 0)
        ;
    ck_assert_int_eq(c.runs, 1);                    /* scheduled once only */
}
END_TEST

START_TEST(test_set_error_0_is_einval_and_future_stays_pending)
{
    struct coro_future f = { 0 };
    coro_future_init(&f, &loop);
    ck_assert_int_eq(coro_future_set_error(&f, 0), CORO_EINVAL);
    ck_assert(!coro_future_done(&f));
    ck_assert_int_eq(coro_future_set_error(&f, 3), 0);
    ck_assert_int_eq(coro_future_result(&f, NULL), 3);
}
END_TEST

/* Python:
 *     for way in (lambda f: f.set_result(1), lambda f: f.set_exception(E(7)),
 *                 lambda f: f.cancel()):
 *         f = loop.create_future()
 *         for n in 'abc': f.add_done_callback(lambda _, n=n: ev(n))
 *         loop.call_soon(ev, 'before')
 *         way(f)
 *         T.append('set')
 *         loop.call_soon(ev, 'after')
 *         run_once()
 *         T.append('|')
 *     done()
 * CPython 3.11: set before@0 a@0 b@0 c@0 after@0 | set before@0 a@0 b@0 c@0 after@0 | set before@0 a@0 b@0 c@0 after@0 |
 */
START_TEST(test_done_callbacks_run_at_next_iteration_in_order_added_never_inside_set)
{
    struct coro_future f = { 0 };
    struct cb a, b, c, before, after;
    int way;
    for (way = 0; way < 3; way++) {
        coro_future_init(&f, &loop);
        ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&a, "a", NULL)->h), 0);
        ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&b, "b", NULL)->h), 0);
        ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&c, "c", NULL)->h), 0);
        soon(cb_init(&before, "before", NULL));
        if (way == 0)
            ck_assert_int_eq(coro_future_set_result(&f, coro_int(1)), 0);
        else if (way == 1)
            ck_assert_int_eq(coro_future_set_error(&f, 7), 0);
        else
            ck_assert_int_eq(coro_future_cancel(&f), 0);
        ck_assert_int_eq(a.runs + b.runs + c.runs, 0);  /* not inside set */
        trace("set");
        soon(cb_init(&after, "after", NULL));
        ck_assert_int_eq(coro_loop_run_once(&loop), 1);
        trace("|");
    }
    ck_assert_trace("set before@0 a@0 b@0 c@0 after@0 | set before@0 a@0 b@0 c@0 after@0 | set "
                    "before@0 a@0 b@0 c@0 after@0 |");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* Python:
 *     f = loop.create_future()
 *     f.set_result(1)
 *     loop.call_soon(ev, 'queued')
 *     f.add_done_callback(lambda _: ev('late'))
 *     T.append('added')
 *     run_once()
 *     done()
 * CPython 3.11: added queued@0 late@0
 */
START_TEST(test_callback_added_to_done_future_runs_at_next_iteration)
{
    struct coro_future f = { 0 };
    struct cb queued, late;
    coro_future_init(&f, &loop);
    ck_assert_int_eq(coro_future_set_result(&f, coro_int(1)), 0);
    soon(cb_init(&queued, "queued", NULL));
    ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&late, "late", NULL)->h), 0);
    ck_assert_int_eq(late.runs, 0);
    trace("added");
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_trace("added queued@0 late@0");
}
END_TEST

/* Python:
 *     f = loop.create_future()
 *     cbs = {n: (lambda _, n=n: ev(n)) for n in 'abc'}
 *     for n in 'abc': f.add_done_callback(cbs[n])
 *     T.append('rm:%d' % f.remove_done_callback(cbs['b']))
 *     T.append('rm:%d' % f.remove_done_callback(cbs['b']))
 *     f.set_result(1)
 *     T.append('rm:%d' % f.remove_done_callback(cbs['c']))   # too late
 *     run_once()
 *     done()
 * CPython 3.11: rm:1 rm:0 rm:0 a@0 c@0
 */
START_TEST(test_remove_done_callback_is_0_then_estate_and_removed_one_never_runs)
{
    struct coro_future f = { 0 };
    struct cb a, b, c;
    coro_future_init(&f, &loop);
    ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&a, "a", NULL)->h), 0);
    ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&b, "b", NULL)->h), 0);
    ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&c, "c", NULL)->h), 0);
    trace("rm:%d", coro_future_remove_done_callback(&f, &b.h) == 0);
    trace("rm:%d", coro_future_remove_done_callback(&f, &b.h) == 0);
    ck_assert_int_eq(coro_future_remove_done_callback(&f, &b.h), CORO_ESTATE);
    ck_assert_int_eq(coro_future_set_result(&f, coro_int(1)), 0);
    trace("rm:%d", coro_future_remove_done_callback(&f, &c.h) == 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_trace("rm:1 rm:0 rm:0 a@0 c@0");
    ck_assert_int_eq(b.runs, 0);
    soon(&b);                               /* idle again: it can be scheduled */
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(b.runs, 1);
}
END_TEST

/* Each handle is scheduled once (ready queue, a future's callbacks, timer
 * heap); every other way of scheduling it again is CORO_EBUSY. */
START_TEST(test_scheduling_a_scheduled_handle_is_ebusy_and_it_still_runs_once)
{
    struct coro_future f = { 0 }, g = { 0 };
    struct cb ready, waiting, timer;
    coro_future_init(&f, &loop);
    coro_future_init(&g, &loop);
    soon(cb_init(&ready, "ready", NULL));
    ck_assert_int_eq(coro_loop_call_soon(&loop, &ready.h), CORO_EBUSY);
    ck_assert_int_eq(coro_loop_call_later(&loop, &ready.h, secs(1)), CORO_EBUSY);
    ck_assert_int_eq(coro_future_add_done_callback(&f, &ready.h), CORO_EBUSY);
    ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&waiting, "waiting", NULL)->h), 0);
    ck_assert_int_eq(coro_future_add_done_callback(&f, &waiting.h), CORO_EBUSY);
    ck_assert_int_eq(coro_future_add_done_callback(&g, &waiting.h), CORO_EBUSY);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &waiting.h), CORO_EBUSY);
    ck_assert_int_eq(coro_loop_call_at(&loop, &waiting.h, secs(1)), CORO_EBUSY);
    later(cb_init(&timer, "timer", NULL), secs(1));
    ck_assert_int_eq(coro_loop_call_soon(&loop, &timer.h), CORO_EBUSY);
    ck_assert_int_eq(coro_loop_call_at(&loop, &timer.h, 0), CORO_EBUSY);
    ck_assert_int_eq(coro_future_add_done_callback(&g, &timer.h), CORO_EBUSY);
    ck_assert_int_eq(coro_future_set_result(&f, coro_none()), 0);
    ck_assert_int_eq(coro_future_set_result(&g, coro_none()), 0);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("ready@0 waiting@0 timer@1");   /* each once; nothing on g */
    later(&ready, secs(1));                 /* idle again once run */
    soon(&timer);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("ready@0 waiting@0 timer@1 timer@1 ready@2");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 2. Awaiting                                                              */
/* ------------------------------------------------------------------------ */

/* Python:
 *     f = loop.create_future()
 *     ta = task(awaiter('A', f))
 *     loop.call_later(5, lambda: (ev('set'), f.set_result(42)))
 *     run(ta); outcome('A', ta); done()
 * CPython 3.11: A:await@0 set@5 A:got:42@5 A:fin:0@5 A:ret:42
 */
START_TEST(test_await_pending_future_resumes_task_with_its_result)
{
    struct coro_future f = { 0 };
    struct tk a;
    struct cb set;
    coro_value out = coro_none();
    coro_future_init(&f, &loop);
    tk_start(&a, "A", awaiter)->fut = &f;
    cb_init(&set, "set", act_set_result)->fut = &f;
    set.n = 42;
    later(&set, secs(5));
    ck_assert_int_eq(run_task(&a, &out), 0);
    ck_assert_int_eq(out.v.i, 42);
    outcome("A", &a.task.fut);
    ck_assert_trace("A:await@0 set@5 A:got:42@5 A:fin:0@5 A:ret:42");
}
END_TEST

/* Python:
 *     f = loop.create_future(); f.set_result(7)
 *     ta = task(awaiter('A', f)); tb = task(marker('B'))
 *     run_once(); outcome('A', ta); done()
 * CPython 3.11: A:await@0 A:got:7@0 A:fin:0@0 B@0 A:ret:7
 */
START_TEST(test_await_done_future_returns_at_once_without_yielding)
{
    struct coro_future f = { 0 };
    struct tk a, b;
    coro_future_init(&f, &loop);
    ck_assert_int_eq(coro_future_set_result(&f, coro_int(7)), 0);
    tk_start(&a, "A", awaiter)->fut = &f;
    tk_start(&b, "B", marker);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    outcome("A", &a.task.fut);              /* A finished in its first step */
    ck_assert_trace("A:await@0 A:got:7@0 A:fin:0@0 B@0 A:ret:7");
}
END_TEST

/* Python:
 *     f = loop.create_future()
 *     g = loop.create_future(); g.set_exception(E(9))
 *     ta = task(catcher('A', f, 1)); tb = task(awaiter('B', f)); tc = task(catcher('C', g))
 *     loop.call_later(2, lambda: (ev('set'), f.set_exception(E(7))))
 *     run(ta); run(tb); run(tc)
 *     outcome('A', ta); outcome('B', tb); outcome('C', tc); done()
 * CPython 3.11: B:await@0 C:caught:E9@0 set@2 A:caught:E7@2 B:fin:E7@2 A:ret:1 B:E7 C:E9
 */
START_TEST(test_await_future_failed_with_error_raises_it_at_the_await)
{
    struct coro_future f = { 0 }, g = { 0 };
    struct tk a, b, c;
    struct cb set;
    coro_future_init(&f, &loop);
    coro_future_init(&g, &loop);
    ck_assert_int_eq(coro_future_set_error(&g, 9), 0);
    tk_start(&a, "A", catcher)->fut = &f;
    a.ret = coro_int(1);
    tk_start(&b, "B", awaiter)->fut = &f;
    tk_start(&c, "C", catcher)->fut = &g;
    cb_init(&set, "set", act_set_error)->fut = &f;
    set.n = 7;
    later(&set, secs(2));
    ck_assert_int_eq(run_task(&a, NULL), 0);
    ck_assert_int_eq(run_task(&b, NULL), 7);
    ck_assert_int_eq(run_task(&c, NULL), 9);
    outcome("A", &a.task.fut);
    outcome("B", &b.task.fut);
    outcome("C", &c.task.fut);
    ck_assert_trace("B:await@0 C:caught:E9@0 set@2 A:caught:E7@2 B:fin:E7@2 A:ret:1 B:E7 C:E9");
}
END_TEST

/* Python:
 *     f = loop.create_future()
 *     ta = task(catcher('A', f, 5)); tb = task(awaiter('B', f))
 *     loop.call_later(1, lambda: (ev('cancel'), f.cancel()))
 *     run(ta); run(tb); outcome('A', ta); outcome('B', tb); done()
 * CPython 3.11: B:await@0 cancel@1 A:caught:cancelled@1 B:fin:cancelled@1 A:ret:5 B:cancelled
 */
START_TEST(test_await_cancelled_future_raises_ecancelled)
{
    struct coro_future f = { 0 };
    struct tk a, b;
    struct cb cancel;
    coro_future_init(&f, &loop);
    tk_start(&a, "A", catcher)->fut = &f;
    a.ret = coro_int(5);
    tk_start(&b, "B", awaiter)->fut = &f;
    cb_init(&cancel, "cancel", act_cancel_future)->fut = &f;
    later(&cancel, secs(1));
    ck_assert_int_eq(run_task(&a, NULL), 0);
    ck_assert_int_eq(run_task(&b, NULL), CORO_ECANCELLED);
    ck_assert(coro_future_cancelled(&b.task.fut));
    outcome("A", &a.task.fut);
    outcome("B", &b.task.fut);
    ck_assert_trace("B:await@0 cancel@1 A:caught:cancelled@1 B:fin:cancelled@1 A:ret:5 B:cancelled");
}
END_TEST

/* Python:
 *     f = loop.create_future()
 *     ta = task(outer('A', sub('S', 2, f)))
 *     loop.call_later(3, lambda: (ev('set'), f.set_result(21)))
 *     run(ta); outcome('A', ta); done()
 * CPython 3.11: S:sleep@0 S:await@2 set@3 S:got:21@3 S:fin:0@3 A:r:42@3 A:fin:0@3 A:ret:42
 */
START_TEST(test_await_subcoroutine_passes_its_sleep_and_future_through_to_the_task)
{
    struct coro_future f = { 0 };
    struct tk a;
    struct cb set;
    coro_value out = coro_none();
    coro_future_init(&f, &loop);
    tk_start(&a, "A", outer);
    a.sub.label = "S";
    a.sub.d = secs(2);
    a.sub.fut = &f;
    cb_init(&set, "set", act_set_result)->fut = &f;
    set.n = 21;
    later(&set, secs(3));
    ck_assert_int_eq(run_task(&a, &out), 0);
    ck_assert_int_eq(out.v.i, 42);
    outcome("A", &a.task.fut);
    ck_assert_trace("S:sleep@0 S:await@2 set@3 S:got:21@3 S:fin:0@3 A:r:42@3 A:fin:0@3 A:ret:42");
}
END_TEST

/* Python:
 *     g = loop.create_future()
 *     tb = task(sleeper('B', 1, 10)); ta = task(awaiter('A', tb))
 *     tc = task(catcher('C', g)); td = task(catcher('D', tc, 1))
 *     loop.call_later(2, lambda: (ev('set'), g.set_exception(E(3))))
 *     run(ta); run(td); outcome('A', ta); outcome('D', td); done()
 * CPython 3.11: B:sleep@0 A:await@0 B:woke@1 B:fin:0@1 A:got:10@1 A:fin:0@1 set@2 C:caught:E3@2 D:caught:E3@2 A:ret:10 D:ret:1
 */
START_TEST(test_await_other_task_gets_its_return_value_or_its_error)
{
    struct coro_future g = { 0 };
    struct tk a, b, c, d;
    struct cb set;
    coro_value out = coro_none();
    coro_future_init(&g, &loop);
    tk_start(&b, "B", sleeper)->d = secs(1);
    b.ret = coro_int(10);
    tk_start(&a, "A", awaiter)->fut = &b.task.fut;
    tk_start(&c, "C", catcher)->fut = &g;
    tk_start(&d, "D", catcher)->fut = &c.task.fut;
    d.ret = coro_int(1);
    cb_init(&set, "set", act_set_error)->fut = &g;
    set.n = 3;
    later(&set, secs(2));
    ck_assert_int_eq(run_task(&a, &out), 0);
    ck_assert_int_eq(out.v.i, 10);
    ck_assert_int_eq(run_task(&d, NULL), 0);
    outcome("A", &a.task.fut);
    outcome("D", &d.task.fut);
    ck_assert_trace("B:sleep@0 A:await@0 B:woke@1 B:fin:0@1 A:got:10@1 A:fin:0@1 set@2 "
                    "C:caught:E3@2 D:caught:E3@2 A:ret:10 D:ret:1");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 3. Tasks                                                                 */
/* ------------------------------------------------------------------------ */

START_TEST(test_task_outcome_is_its_return_value_or_its_uncaught_error)
{
    struct coro_future g = { 0 };
    struct tk a, b, c;
    coro_value out = coro_none();
    coro_future_init(&g, &loop);
    ck_assert_int_eq(coro_future_set_error(&g, 7), 0);
    tk_start(&a, "A", sleeper)->ret = coro_int(42);
    tk_start(&b, "B", marker);
    tk_start(&c, "C", catcher)->fut = &g;           /* re-raises 7 */
    ck_assert(!coro_future_done(&a.task.fut));
    ck_assert_int_eq(run_task(&a, &out), 0);
    ck_assert(out.type == CORO_INT && out.v.i == 42);
    ck_assert(coro_future_done(&a.task.fut) && !coro_future_cancelled(&a.task.fut));
    ck_assert_int_eq(run_task(&b, &out), 0);
    ck_assert_int_eq(out.type, CORO_NONE);          /* fell off its end */
    ck_assert_int_eq(run_task(&c, &out), 7);
    ck_assert(coro_future_done(&c.task.fut) && !coro_future_cancelled(&c.task.fut));
    ck_assert_int_eq(coro_future_result(&c.task.fut, NULL), 7);
    ck_assert_int_eq(run_task(&a, &out), 0);        /* done: at once */
    ck_assert_int_eq(out.v.i, 42);
}
END_TEST

/* Python:
 *     ta = task(marker('A'))
 *     T.append('cancel:%d' % ta.cancel())
 *     run(ta); outcome('A', ta); done()
 * CPython 3.11: cancel:1 A:cancelled
 */
START_TEST(test_cancel_before_first_step_never_runs_the_body)
{
    struct tk a;
    tk_start(&a, "A", marker);
    trace("cancel:%d", coro_task_cancel(&a.task) == 0);
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    ck_assert(coro_future_cancelled(&a.task.fut));
    outcome("A", &a.task.fut);
    ck_assert_trace("cancel:1 A:cancelled");
    ck_assert_int_eq(coro_state(&a.task.co), CORO_CLOSED);
}
END_TEST

static void act_cancel_task_twice(struct cb *c)
{
    trace("twice:%d%d", coro_task_cancel(c->task) == 0, coro_task_cancel(c->task) == 0);
}

/* Python:
 *     ta = task(sleeper('A', 100))
 *     loop.call_later(3, lambda: (ev('cancel'),
 *                                 T.append('twice:%d%d' % (ta.cancel(), ta.cancel()))))
 *     run(ta); outcome('A', ta); T.append('t=' + now()); done()
 * CPython 3.11: A:sleep@0 cancel@3 twice:11 A:fin:cancelled@3 A:cancelled t=3
 */
START_TEST(test_cancel_while_sleeping_removes_the_timer_and_loop_does_not_wait_for_it)
{
    struct tk a;
    struct cb cancel;
    tk_start(&a, "A", sleeper)->d = secs(100);
    cb_init(&cancel, "cancel", act_cancel_task_twice)->task = &a.task;
    later(&cancel, secs(3));
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    trace("t=%s", tstr(coro_loop_time(&loop)));
    ck_assert_trace("A:sleep@0 cancel@3 twice:11 A:fin:cancelled@3 A:cancelled t=3");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);     /* no timer left */
    ck_assert_int_eq(coro_loop_time(&loop), secs(3));
}
END_TEST

/* At time 1 the cancel runs first, then A's timer, already due: A must still
 * end cancelled (and the heap must not be touched for a timer it left).
 * Python:
 *     loop.call_at(1, lambda: (ev('cancel'), ta.cancel()))
 *     ta = task(sleeper('A', 1))
 *     run(ta); outcome('A', ta); T.append('t=' + now()); done()
 * CPython 3.11: A:sleep@0 cancel@1 A:fin:cancelled@1 A:cancelled t=1
 */
START_TEST(test_cancel_of_a_sleeper_whose_timer_fell_due_in_the_same_iteration)
{
    struct tk a;
    struct cb cancel, later_one;
    cb_init(&cancel, "cancel", act_cancel_tasks)->task = &a.task;
    at(&cancel, secs(1));
    tk_start(&a, "A", sleeper)->d = secs(1);
    at(cb_init(&later_one, NULL, NULL), secs(9));   /* a heap to damage */
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    trace("t=%s", tstr(coro_loop_time(&loop)));
    ck_assert_trace("A:sleep@0 cancel@1 A:fin:cancelled@1 A:cancelled t=1");
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);     /* the heap still works */
    ck_assert_int_eq(later_one.runs, 1);
    ck_assert_int_eq(coro_loop_time(&loop), secs(9));
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* Sleepers due after every other due timer are woken together (loop.c's
 * woken list): one cancelled while woken and not yet queued is queued at
 * the cancel (t2); one queued already throws at its step (t1); sleepers due
 * before a callback take their turn in the batch as before (t3).
 * Python (t1):
 *     ta = task(sleeper('A', 1)); tb = task(sleeper('B', 1))
 *     loop.call_at(1, lambda: (ev('p'), loop.call_soon(lambda: (ev('c'), tb.cancel()))))
 *     run(ta); run(tb); outcome('A', ta); outcome('B', tb); done()
 * CPython 3.11: A:sleep@0 B:sleep@0 p@1 c@1 A:woke@1 A:fin:0@1 B:fin:cancelled@1
 *               A:ret:none B:cancelled
 * Python (t2):
 *     loop.call_at(1, lambda: (ev('p'), tb.cancel()))
 *     ta = task(sleeper('A', 1)); tb = task(sleeper('B', 1))
 *     run(ta); run(tb); outcome('A', ta); outcome('B', tb); done()
 * CPython 3.11: A:sleep@0 B:sleep@0 p@1 B:fin:cancelled@1 A:woke@1 A:fin:0@1
 *               A:ret:none B:cancelled
 * Python (t3):
 *     ta = task(sleeper('A', 1)); tb = task(sleeper('B', 1))
 *     run_once()
 *     loop.call_at(1, lambda: (ev('p'), ta.cancel(), tb.cancel()))
 *     tc = task(sleeper('C', 1))
 *     run(tc); run(ta); run(tb)
 *     outcome('A', ta); outcome('B', tb); outcome('C', tc); done()
 * CPython 3.11: A:sleep@0 B:sleep@0 C:sleep@0 p@1 A:fin:cancelled@1
 *               B:fin:cancelled@1 C:woke@1 C:fin:0@1 A:cancelled B:cancelled
 *               C:ret:none
 */
START_TEST(test_cancel_of_sleepers_woken_together_in_one_iteration)
{
    struct tk a, b, c;
    struct cb p, q;
    int variant = _i;
    coro_value v;
    if (variant == 1)
        at(cb_init(&p, "p", act_cancel_tasks), secs(1));
    tk_start(&a, "A", sleeper)->d = secs(1);
    tk_start(&b, "B", sleeper)->d = secs(1);
    if (variant == 0) {
        at(cb_init(&p, "p", act_soon_other), secs(1));
        p.other = cb_init(&q, "c", act_cancel_tasks);
        q.task = &b.task;
    } else if (variant == 1) {
        p.task = &b.task;
    } else {
        ck_assert_int_eq(coro_loop_run_once(&loop), 1);
        at(cb_init(&p, "p", act_cancel_tasks), secs(1));
        p.task = &a.task;
        p.task2 = &b.task;
        tk_start(&c, "C", sleeper)->d = secs(1);
        ck_assert_int_eq(run_task(&c, &v), 0);
    }
    run_task(&a, &v);
    run_task(&b, &v);
    outcome("A", &a.task.fut);
    outcome("B", &b.task.fut);
    if (variant == 2) {
        outcome("C", &c.task.fut);
        ck_assert_trace("A:sleep@0 B:sleep@0 C:sleep@0 p@1 A:fin:cancelled@1 "
                        "B:fin:cancelled@1 C:woke@1 C:fin:0@1 A:cancelled B:cancelled "
                        "C:ret:none");
    } else if (variant == 1) {
        ck_assert_trace("A:sleep@0 B:sleep@0 p@1 B:fin:cancelled@1 A:woke@1 A:fin:0@1 "
                        "A:ret:none B:cancelled");
    } else {
        ck_assert_trace("A:sleep@0 B:sleep@0 p@1 c@1 A:woke@1 A:fin:0@1 "
                        "B:fin:cancelled@1 A:ret:none B:cancelled");
    }
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);     /* nothing left */
}
END_TEST

/* Python:
 *     f = loop.create_future()
 *     f.add_done_callback(lambda _: ev('f'))
 *     ta = task(awaiter('A', f))
 *     loop.call_later(1, lambda: (ev('cancel'), ta.cancel()))
 *     run(ta); outcome('A', ta)
 *     T.append('f:' + ('cancelled' if f.cancelled() else 'not')); done()
 * CPython 3.11: A:await@0 cancel@1 f@1 A:fin:cancelled@1 A:cancelled f:cancelled
 */
START_TEST(test_cancel_while_awaiting_a_pending_future_cancels_that_future)
{
    struct coro_future f = { 0 };
    struct tk a;
    struct cb fcb, cancel;
    coro_future_init(&f, &loop);
    ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&fcb, "f", NULL)->h), 0);
    tk_start(&a, "A", awaiter)->fut = &f;
    cb_init(&cancel, "cancel", act_cancel_tasks)->task = &a.task;
    later(&cancel, secs(1));
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    trace("f:%s", coro_future_cancelled(&f) ? "cancelled" : "not");
    ck_assert_trace("A:await@0 cancel@1 f@1 A:fin:cancelled@1 A:cancelled f:cancelled");
}
END_TEST

/* Python:
 *     tb = task(sleeper('B', 10)); ta = task(awaiter('A', tb))
 *     loop.call_later(1, lambda: (ev('cancel'), ta.cancel()))
 *     run(ta); outcome('A', ta); outcome('B', tb); T.append('t=' + now()); done()
 * CPython 3.11: B:sleep@0 A:await@0 cancel@1 B:fin:cancelled@1 A:fin:cancelled@1 A:cancelled B:cancelled t=1
 */
START_TEST(test_cancel_while_awaiting_another_task_cancels_that_task)
{
    struct tk a, b;
    struct cb cancel;
    tk_start(&b, "B", sleeper)->d = secs(10);
    tk_start(&a, "A", awaiter)->fut = &b.task.fut;
    cb_init(&cancel, "cancel", act_cancel_tasks)->task = &a.task;
    later(&cancel, secs(1));
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    outcome("B", &b.task.fut);
    trace("t=%s", tstr(coro_loop_time(&loop)));
    ck_assert_trace("B:sleep@0 A:await@0 cancel@1 B:fin:cancelled@1 A:fin:cancelled@1 A:cancelled "
                    "B:cancelled t=1");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* An await cycle: A awaits B, B awaits A. Cancelling A cancels what A
 * awaits, B, which would cancel A again: asyncio recurses until
 * RecursionError (found by fuzz_loop). Here the cancel that comes back round
 * to A takes A off B's waiters and throws in A at its next step; A's end
 * wakes B with CancelledError. */
START_TEST(test_cancel_in_an_await_cycle_cancels_each_task_once)
{
    struct tk a, b;
    struct cb cancel;
    tk_start(&a, "A", awaiter)->fut = &b.task.fut;
    tk_start(&b, "B", awaiter)->fut = &a.task.fut;
    cb_init(&cancel, "cancel", act_cancel_tasks)->task = &a.task;
    later(&cancel, secs(1));
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    ck_assert_int_eq(run_task(&b, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    outcome("B", &b.task.fut);
    trace("t=%s", tstr(coro_loop_time(&loop)));
    ck_assert_trace("A:await@0 B:await@0 cancel@1 A:fin:cancelled@1 B:fin:cancelled@1 "
                    "A:cancelled B:cancelled t=1");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* The same cycle through a gather or a wait_for (found in review): T awaits
 * gather(U) or wait_for(U), U awaits T. Cancelling T cancels the gather,
 * which cancels U, which would cancel T again. */
struct cycler {
    struct coro_task task;              /* first */
    struct coro_future *kids[1];
    struct coro_watch watch[1];
    struct coro_wait gather;
    struct coro_wait_for wait_for;
    int use_wait_for;
    struct tk u;                        /* awaits this task */
    coro_value r;
    struct coro_try fin;     /* try: ... finally: of the body */
};

static int cycler(struct coro *co)
{
    struct cycler *f = (struct cycler *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        tk_start(&f->u, "U", awaiter)->fut = &f->task.fut;
        if (f->use_wait_for) {
            ck_assert_int_eq(coro_wait_for(&f->wait_for, &loop, &f->u.task.fut, CORO_FOREVER), 0);
            ev("T", "await wait_for(U)");
            CORO_AWAIT_FUTURE(co, &f->wait_for.fut, f->r);
        } else {
            f->kids[0] = &f->u.task.fut;
            ck_assert_int_eq(coro_gather(&f->gather, &loop, f->kids, f->watch, 1), 0);
            ev("T", "await gather(U)");
            CORO_AWAIT_FUTURE(co, &f->gather.fut, f->r);
        }
    } CORO_FINALLY(co, &f->fin) {
        ev("T", "fin:%s", ename(coro_error(&f->fin)));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

START_TEST(test_cancel_in_an_await_cycle_through_gather_or_wait_for_ends)
{
    static struct cycler t;
    struct cb cancel;
    memset(&t, 0, sizeof t);
    t.use_wait_for = _i;
    ck_assert_int_eq(coro_task_start(&t.task, &loop, cycler), 0);
    cb_init(&cancel, "cancel", act_cancel_tasks)->task = &t.task;
    later(&cancel, secs(1));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &t.task.fut, NULL), CORO_ECANCELLED);
    ck_assert_int_eq(run_task(&t.u, NULL), CORO_ECANCELLED);
    outcome("T", &t.task.fut);
    outcome("U", &t.u.task.fut);
    ck_assert_trace(_i ? "T:await wait_for(U)@0 U:await@0 cancel@1 T:fin:cancelled@1 "
                         "U:fin:cancelled@1 T:cancelled U:cancelled"
                       : "T:await gather(U)@0 U:await@0 cancel@1 T:fin:cancelled@1 "
                         "U:fin:cancelled@1 T:cancelled U:cancelled");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* Python:
 *     ta = task(outer('A', sub('S', 10)))
 *     loop.call_later(2, lambda: (ev('cancel'), ta.cancel()))
 *     run(ta); outcome('A', ta); T.append('t=' + now()); done()
 * CPython 3.11: S:sleep@0 cancel@2 S:fin:cancelled@2 A:fin:cancelled@2 A:cancelled t=2
 */
START_TEST(test_cancel_while_awaiting_a_sleeping_subcoroutine_unwinds_both)
{
    struct tk a;
    struct cb cancel;
    tk_start(&a, "A", outer);
    a.sub.label = "S";
    a.sub.d = secs(10);
    cb_init(&cancel, "cancel", act_cancel_tasks)->task = &a.task;
    later(&cancel, secs(2));
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    trace("t=%s", tstr(coro_loop_time(&loop)));
    ck_assert_trace("S:sleep@0 cancel@2 S:fin:cancelled@2 A:fin:cancelled@2 A:cancelled t=2");
    ck_assert_int_eq(coro_state(&a.sub.co), CORO_CLOSED);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

static int canceller(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    ev(f->label, "cancel:%d", coro_task_cancel(f->peer) == 0);
    CORO_END(co);
}

/* Python:
 *     async def canceller(tag, t): ev(tag, 'cancel:%d' % t.cancel())
 *     ta = task(sleeper('A', 0)); tb = task(canceller('B', ta))
 *     run(ta); outcome('A', ta); done()
 * CPython 3.11: A:sleep@0 B:cancel:1@0 A:fin:cancelled@0 A:cancelled
 */
START_TEST(test_cancel_while_ready_after_sleep0_throws_at_its_next_step)
{
    struct tk a, b;
    tk_start(&a, "A", sleeper);
    tk_start(&b, "B", canceller)->peer = &a.task;
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    ck_assert_trace("A:sleep@0 B:cancel:1@0 A:fin:cancelled@0 A:cancelled");
}
END_TEST

/* Python:
 *     ta = task(cancel_self('A', 5))
 *     run(ta); outcome('A', ta); T.append('t=' + now()); done()
 * CPython 3.11: A:cancel:1@0 A:fin:cancelled@0 A:cancelled t=0
 */
START_TEST(test_task_cancelling_itself_gets_ecancelled_at_its_next_await)
{
    struct tk a;
    tk_start(&a, "A", cancel_self)->d = secs(5);
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    trace("t=%s", tstr(coro_loop_time(&loop)));
    ck_assert_trace("A:cancel:1@0 A:fin:cancelled@0 A:cancelled t=0");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
    ck_assert_ptr_eq(coro_loop_current(&loop), NULL);
}
END_TEST

/* asyncio's Task.__step: a coroutine that returns while a cancel of its task
 * is pending ends the task cancelled ("Task is cancelled right before coro
 * stops"), not with the value.
 * Python:
 *     ta = task(cancel_self('A', None))
 *     run(ta); outcome('A', ta); done()
 * CPython 3.11: A:cancel:1@0 A:fin:0@0 A:cancelled
 */
START_TEST(test_task_cancelling_itself_then_returning_is_cancelled)
{
    struct tk a;
    tk_start(&a, "A", cancel_self)->d = -1;
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    ck_assert_trace("A:cancel:1@0 A:fin:0@0 A:cancelled");
}
END_TEST

/* try: sleep(d) / finally: return n (a return in finally swallows the error) */
static int finally_returner(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        ev(f->label, "sleep");
        CORO_SLEEP(co, &loop, f->d);
    } CORO_FINALLY(co, &f->fin) {
        CORO_RETURN(co, f->ret);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* Python:
 *     async def finally_returner(tag, d, ret):
 *         try: ev(tag, 'sleep'); await asyncio.sleep(d)
 *         finally: return ret
 *     f = loop.create_future()
 *     ta = task(catcher('A', f, 99)); tb = task(finally_returner('B', 10, 7))
 *     loop.call_later(1, lambda: (ev('cancel'), ta.cancel(), tb.cancel()))
 *     run(ta); run(tb); outcome('A', ta); outcome('B', tb)
 *     T.append('f:' + ('cancelled' if f.cancelled() else 'not')); done()
 * CPython 3.11: B:sleep@0 cancel@1 A:caught:cancelled@1 A:ret:99 B:ret:7 f:cancelled
 */
START_TEST(test_task_catching_ecancelled_and_returning_has_that_result_not_cancelled)
{
    struct coro_future f = { 0 };
    struct tk a, b;
    struct cb cancel;
    coro_future_init(&f, &loop);
    tk_start(&a, "A", catcher)->fut = &f;
    a.ret = coro_int(99);
    tk_start(&b, "B", finally_returner)->d = secs(10);
    b.ret = coro_int(7);
    cb_init(&cancel, "cancel", act_cancel_tasks)->task = &a.task;
    cancel.task2 = &b.task;
    later(&cancel, secs(1));
    ck_assert_int_eq(run_task(&a, NULL), 0);
    ck_assert_int_eq(run_task(&b, NULL), 0);
    ck_assert(!coro_future_cancelled(&a.task.fut) && !coro_future_cancelled(&b.task.fut));
    outcome("A", &a.task.fut);
    outcome("B", &b.task.fut);
    trace("f:%s", coro_future_cancelled(&f) ? "cancelled" : "not");
    ck_assert_trace("B:sleep@0 cancel@1 A:caught:cancelled@1 A:ret:99 B:ret:7 f:cancelled");
}
END_TEST

static void act_set_then_cancel_task(struct cb *c)
{
    ck_assert_int_eq(coro_future_set_result(c->fut, coro_int(1)), 0);
    ck_assert_int_eq(coro_task_cancel(c->task), 0);
}

/* Python:
 *     f = loop.create_future()
 *     ta = task(awaiter('A', f))
 *     loop.call_later(1, lambda: (ev('set'), f.set_result(1), ta.cancel()))
 *     run(ta); outcome('A', ta); done()
 * CPython 3.11: A:await@0 set@1 A:fin:cancelled@1 A:cancelled
 */
START_TEST(test_cancel_after_awaited_future_is_done_but_before_wakeup_still_cancels)
{
    struct coro_future f = { 0 };
    struct tk a;
    struct cb set;
    coro_future_init(&f, &loop);
    tk_start(&a, "A", awaiter)->fut = &f;
    cb_init(&set, "set", act_set_then_cancel_task)->fut = &f;
    set.task = &a.task;
    later(&set, secs(1));
    ck_assert_int_eq(run_task(&a, NULL), CORO_ECANCELLED);
    outcome("A", &a.task.fut);
    ck_assert_trace("A:await@0 set@1 A:fin:cancelled@1 A:cancelled");
    ck_assert_int_eq(coro_future_result(&f, NULL), 0);  /* f keeps its result */
}
END_TEST

START_TEST(test_cancelling_a_finished_task_is_estate_and_changes_nothing)
{
    struct coro_future g = { 0 };
    struct tk a, b, c;
    coro_value out = coro_none();
    coro_future_init(&g, &loop);
    ck_assert_int_eq(coro_future_set_error(&g, 7), 0);
    tk_start(&a, "A", sleeper)->ret = coro_int(42);
    tk_start(&b, "B", catcher)->fut = &g;
    tk_start(&c, "C", marker);
    ck_assert_int_eq(coro_task_cancel(&c.task), 0);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_int_eq(coro_task_cancel(&a.task), CORO_ESTATE);
    ck_assert_int_eq(coro_task_cancel(&b.task), CORO_ESTATE);
    ck_assert_int_eq(coro_task_cancel(&c.task), CORO_ESTATE);
    ck_assert_int_eq(coro_future_result(&a.task.fut, &out), 0);
    ck_assert_int_eq(out.v.i, 42);
    ck_assert_int_eq(coro_future_result(&b.task.fut, NULL), 7);
    ck_assert_int_eq(coro_future_result(&c.task.fut, NULL), CORO_ECANCELLED);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

START_TEST(test_finished_task_frame_is_never_touched_again)
{
    struct tk a, b;
    size_t k;
    const unsigned char *p = (const unsigned char *)&a;
    tk_start(&a, "A", sleeper)->ret = coro_int(42);
    tk_start(&b, "B", sleeper)->d = secs(2);
    ck_assert_int_eq(run_task(&a, NULL), 0);
    ck_assert(!coro_future_done(&b.task.fut));
    memset(&a, 0xA5, sizeof a);                     /* poison the finished frame */
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert(coro_future_done(&b.task.fut));
    for (k = 0; k < sizeof a; k++)
        ck_assert_msg(p[k] == 0xA5, "byte %u of a finished frame was written", (unsigned)k);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
    ck_assert_int_eq(coro_loop_time(&loop), secs(2));
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 4. The loop                                                              */
/* ------------------------------------------------------------------------ */

/* Python:
 *     for n in 'abcde': loop.call_soon(ev, n)
 *     run_once(); T.append('|'); done()
 * CPython 3.11: a@0 b@0 c@0 d@0 e@0 |
 */
START_TEST(test_call_soon_runs_handles_in_fifo_order_in_one_iteration)
{
    static const char *const names[] = { "a", "b", "c", "d", "e" };
    struct cb c[5];
    int i;
    for (i = 0; i < 5; i++)
        soon(cb_init(&c[i], names[i], NULL));
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    trace("|");
    ck_assert_trace("a@0 b@0 c@0 d@0 e@0 |");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* Python:
 *     loop.call_later(3, ev, 'a'); loop.call_at(1, ev, 'b'); loop.call_later(2, ev, 'c')
 *     loop.call_soon(ev, 's'); loop.call_later(0, ev, 'z'); loop.call_at(5, ev, 'e')
 *     loop.call_later(4, ev, 'd')
 *     loop.run_forever(); done()
 * CPython 3.11: s@0 z@0 b@1 c@2 a@3 d@4 e@5
 */
START_TEST(test_timers_fire_in_deadline_order_after_what_is_ready)
{
    struct cb c[7];
    later(cb_init(&c[0], "a", NULL), secs(3));
    at(cb_init(&c[1], "b", NULL), secs(1));
    later(cb_init(&c[2], "c", NULL), secs(2));
    soon(cb_init(&c[3], "s", NULL));
    later(cb_init(&c[4], "z", NULL), 0);
    at(cb_init(&c[5], "e", NULL), secs(5));
    later(cb_init(&c[6], "d", NULL), secs(4));
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("s@0 z@0 b@1 c@2 a@3 d@4 e@5");
}
END_TEST

static void act_rearm_other(struct cb *c)
{
    ck_assert_int_eq(coro_loop_rearm(&loop, &c->other->h, secs(c->n)), 0);
}

/* coro_loop_rearm is cancel + call_later on the same handle: a re-armed
 * timer goes behind the timers already scheduled for its new deadline, an
 * idle handle is simply scheduled, one on the ready queue is CORO_EBUSY, and
 * re-arming one in a full heap needs no free slot.
 * Python (with the order loop.h promises for equal deadlines; CPython's
 * heapq happens to fire a@2 before e@2 here):
 *     H = {}
 *     def rearm(k, d, f):
 *         if k in H: H[k].cancel()
 *         H[k] = loop.call_later(d, f)
 *     rearm('a', 2, lambda: ev('a')); rearm('b', 2, lambda: ev('b'))
 *     rearm('c', 3, lambda: (ev('c'), rearm('b', 3, lambda: ev('b'))))
 *     rearm('e', 2, lambda: ev('e'))
 *     rearm('a', 2, lambda: ev('a')); rearm('c', 1, H['c']._callback)
 *     rearm('d', 5, lambda: ev('d'))
 *     loop.run_forever(); done()
 * Expected: c@1 e@2 a@2 b@4 d@5
 */
START_TEST(test_rearm_is_cancel_then_call_later_in_one_step)
{
    struct cb a, b, c, d, e, s;
    struct coro_timer_slot two[2];
    later(cb_init(&a, "a", NULL), secs(2));
    later(cb_init(&b, "b", NULL), secs(2));
    later(cb_init(&c, "c", act_rearm_other), secs(3));
    c.other = &b;
    c.n = 3;
    later(cb_init(&e, "e", NULL), secs(2));
    ck_assert_int_eq(coro_loop_rearm(&loop, &a.h, secs(2)), 0);
    ck_assert_int_eq(coro_loop_rearm(&loop, &c.h, secs(1)), 0);
    ck_assert_int_eq(coro_loop_rearm(&loop, &cb_init(&d, "d", NULL)->h, secs(5)), 0);
    soon(cb_init(&s, NULL, NULL));
    ck_assert_int_eq(coro_loop_rearm(&loop, &s.h, secs(1)), CORO_EBUSY);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("c@1 e@2 a@2 b@4 d@5");
    ck_assert_int_eq(a.runs + b.runs + c.runs + d.runs + e.runs + s.runs, 6);

    loop_reset(two, 2);
    later(&a, secs(1));
    later(&b, secs(2));
    ck_assert_int_eq(coro_loop_rearm(&loop, &c.h, secs(1)), CORO_EFULL);
    ck_assert_int_eq(coro_loop_rearm(&loop, &a.h, secs(3)), 0);    /* no slot needed */
    ck_assert_int_eq(coro_loop_rearm(&loop, &a.h, -secs(1)), 0);   /* in the past */
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(coro_loop_time(&loop), 0);
    ck_assert_int_eq(a.runs, 2);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_int_eq(b.runs, 2);
    ck_assert_int_eq(coro_loop_time(&loop), secs(2));
    ck_assert_int_eq(c.runs, 1);
}
END_TEST

/* loop.h: call_later(delay) is call_at(loop time + delay), so a negative
 * delay is a deadline in the past, due before one at the present time.
 * Python:
 *     loop.call_later(0, ev, 'z'); loop.call_later(-4, ev, 'n'); loop.call_at(-1, ev, 'p')
 *     loop.run_forever(); done()
 * CPython 3.11: n@0 p@0 z@0
 */
START_TEST(test_call_later_with_negative_delay_is_a_deadline_in_the_past)
{
    struct cb z, n, p;
    later(cb_init(&z, "z", NULL), 0);
    later(cb_init(&n, "n", NULL), -secs(4));
    at(cb_init(&p, "p", NULL), -secs(1));
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("n@0 p@0 z@0");
}
END_TEST

/* asyncio's timer heap compares deadlines only: CPython fires equal deadlines
 * in whatever order heapq leaves them (here 1@1 6@1 14@1 29@1 11@1 ...).
 * loop.h promises the order they were scheduled in, which this computes:
 * Python:
 *     d = lambda i: (i * i * 7 + 3) % 5 + 1
 *     order = sorted(range(40), key=lambda i: (d(i), i))
 *     print(' '.join('%d@%d' % (i, d(i)) for i in order))
 * CPython 3.11: 1@1 4@1 6@1 9@1 11@1 14@1 16@1 19@1 21@1 24@1 26@1 29@1 31@1 34@1 36@1 39@1 2@2 3@2 7@2 8@2 12@2 13@2 17@2 18@2 22@2 23@2 27@2 28@2 32@2 33@2 37@2 38@2 0@4 5@4 10@4 15@4 20@4 25@4 30@4 35@4
 */
START_TEST(test_many_equal_deadlines_scheduled_scrambled_fire_in_deadline_then_seq_order)
{
    static char names[40][4];
    struct cb c[40];
    int i;
    for (i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "%d", i);
        at(cb_init(&c[i], names[i], NULL), secs((i * i * 7 + 3) % 5 + 1));
    }
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("1@1 4@1 6@1 9@1 11@1 14@1 16@1 19@1 21@1 24@1 26@1 29@1 31@1 34@1 36@1 39@1 "
                    "2@2 3@2 7@2 8@2 12@2 13@2 17@2 18@2 22@2 23@2 27@2 28@2 32@2 33@2 37@2 38@2 "
                    "0@4 5@4 10@4 15@4 20@4 25@4 30@4 35@4");
}
END_TEST

/* Python:
 *     ha = loop.call_at(1, ev, 'a'); hb = loop.call_at(2, ev, 'b')
 *     hc = loop.call_at(5, ev, 'c'); hd = loop.call_at(1, ev, 'd')
 *     hb.cancel(); hc.cancel(); hd.cancel()
 *     loop.run_forever(); T.append('t=' + now())
 *     loop.call_at(3, ev, 'd'); loop.run_forever(); done()
 * CPython 3.11: a@1 t=1 d@3
 */
START_TEST(test_cancelled_timer_does_not_fire_and_can_be_scheduled_again)
{
    struct cb a, b, c, d, idle;
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);     /* nothing at all */
    at(cb_init(&idle, "idle", NULL), secs(4));
    ck_assert_int_eq(coro_loop_cancel(&loop, &idle.h), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);     /* a cancelled timer only */
    ck_assert_int_eq(coro_loop_time(&loop), 0);
    at(cb_init(&a, "a", NULL), secs(1));
    at(cb_init(&b, "b", NULL), secs(2));
    at(cb_init(&c, "c", NULL), secs(5));
    at(cb_init(&d, "d", NULL), secs(1));
    ck_assert_int_eq(coro_loop_cancel(&loop, &b.h), 0);
    ck_assert_int_eq(coro_loop_cancel(&loop, &c.h), 0);
    ck_assert_int_eq(coro_loop_cancel(&loop, &d.h), 0);
    ck_assert_int_eq(coro_loop_cancel(&loop, &b.h), CORO_ESTATE);
    ck_assert_int_eq(coro_loop_cancel(&loop, &idle.h), CORO_ESTATE);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);  /* does not wait for c */
    trace("t=%s", tstr(coro_loop_time(&loop)));
    ck_assert_int_eq(coro_loop_cancel(&loop, &a.h), CORO_ESTATE);  /* it ran */
    at(&d, secs(3));
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("a@1 t=1 d@3");
    ck_assert_int_eq(b.runs + c.runs + idle.runs, 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* Python:
 *     ha = loop.call_soon(lambda: (ev('a'), hd.cancel()))
 *     hb = loop.call_soon(ev, 'b'); hc = loop.call_soon(ev, 'c'); hd = loop.call_soon(ev, 'd')
 *     hb.cancel()
 *     loop.run_forever(); done()
 * CPython 3.11: a@0 c@0
 */
START_TEST(test_cancelled_call_soon_handle_does_not_run_even_from_the_same_batch)
{
    struct cb a, b, c, d;
    soon(cb_init(&a, "a", act_cancel_other));
    soon(cb_init(&b, "b", NULL));
    soon(cb_init(&c, "c", NULL));
    soon(cb_init(&d, "d", NULL));
    a.other = &d;
    ck_assert_int_eq(coro_loop_cancel(&loop, &b.h), 0);
    ck_assert_int_eq(coro_loop_cancel(&loop, &b.h), CORO_ESTATE);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("a@0 c@0");
    ck_assert_int_eq(coro_loop_cancel(&loop, &d.h), CORO_ESTATE);
}
END_TEST

START_TEST(test_full_heap_is_efull_and_handle_stays_idle_until_there_is_room)
{
    struct coro_timer_slot two[2];
    struct cb a, b, c, d;
    loop_reset(two, 2);
    at(cb_init(&a, "a", NULL), secs(1));
    at(cb_init(&b, "b", NULL), secs(2));
    ck_assert_int_eq(coro_loop_call_at(&loop, &cb_init(&c, "c", NULL)->h, secs(3)), CORO_EFULL);
    ck_assert_int_eq(coro_loop_call_later(&loop, &c.h, secs(3)), CORO_EFULL);
    ck_assert_int_eq(coro_loop_cancel(&loop, &c.h), CORO_ESTATE);  /* idle */
    soon(cb_init(&d, "d", NULL));           /* the ready queue has no limit */
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);     /* d */
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);     /* a: a slot is free */
    at(&c, secs(3));
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("d@0 a@1 b@2 c@3");
}
END_TEST

/* Records "a<run>", then re-schedules itself with call_soon, n runs in all. */
static void again_run(struct coro_handle *h)
{
    struct cb *c = (struct cb *)(void *)h;
    c->runs++;
    trace("a%d@%s", c->runs, tstr(coro_loop_time(&loop)));
    if (c->runs < c->n)
        soon(c);
}

/* Python:
 *     def a(n):
 *         ev('a%d' % n)
 *         if n < 3: loop.call_soon(a, n + 1)
 *     loop.call_soon(a, 1); loop.call_soon(ev, 'b')
 *     for _ in range(3): run_once(); T.append('|')
 *     done()
 * CPython 3.11: a1@0 b@0 | a2@0 | a3@0 |
 */
START_TEST(test_each_iteration_runs_only_what_was_ready_when_it_began)
{
    struct cb a, b;
    int i;
    cb_init(&a, NULL, NULL)->n = 3;
    coro_handle_init(&a.h, again_run);
    soon(&a);
    soon(cb_init(&b, "b", NULL));
    for (i = 1; i <= 3; i++) {
        ck_assert_int_eq(coro_loop_run_once(&loop), 1);
        ck_assert_int_eq(a.runs, i);
        trace("|");
    }
    ck_assert_trace("a1@0 b@0 | a2@0 | a3@0 |");
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* Python:
 *     loop.call_soon(lambda: (ev('a'), loop.call_soon(ev, 'd')))
 *     loop.call_soon(lambda: (ev('b'), loop.stop()))
 *     loop.call_soon(ev, 'c')
 *     loop.call_later(1, ev, 't')
 *     loop.run_forever(); T.append('|')
 *     loop.run_forever(); T.append('|'); done()
 * CPython 3.11: a@0 b@0 c@0 | d@0 t@1 |
 */
START_TEST(test_stop_inside_a_callback_finishes_the_batch_then_run_forever_returns)
{
    struct cb a, b, c, d, t;
    soon(cb_init(&a, "a", act_soon_other));
    a.other = cb_init(&d, "d", NULL);
    soon(cb_init(&b, "b", act_stop));
    soon(cb_init(&c, "c", NULL));
    later(cb_init(&t, "t", NULL), secs(1));
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    trace("|");
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    trace("|");
    ck_assert_trace("a@0 b@0 c@0 | d@0 t@1 |");
}
END_TEST

/* Python:
 *     loop.call_soon(lambda: (ev('a'), loop.call_soon(ev, 'b')))
 *     loop.stop()
 *     loop.run_forever(); T.append('|')
 *     loop.run_forever(); T.append('|'); done()
 * CPython 3.11: a@0 | b@0 |
 */
START_TEST(test_stop_before_run_forever_runs_one_iteration)
{
    struct cb a, b;
    soon(cb_init(&a, "a", act_soon_other));
    a.other = cb_init(&b, "b", NULL);
    coro_loop_stop(&loop);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    trace("|");
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    trace("|");
    ck_assert_trace("a@0 | b@0 |");
}
END_TEST

/* Python:
 *     f = loop.create_future(); loop.call_later(5, ev, 't')
 *     try: loop.run_until_complete(f)
 *     except RuntimeError: T.append('stopped')
 *     f.set_result(3); T.append('f=%d' % loop.run_until_complete(f)); done()
 * CPython 3.11: t@5 stopped f=3
 */
START_TEST(test_run_until_complete_on_a_future_nobody_sets_is_estate)
{
    struct coro_future f = { 0 };
    struct cb t;
    coro_value out = coro_none();
    coro_future_init(&f, &loop);
    later(cb_init(&t, "t", NULL), secs(5));
    if (coro_loop_run_until_complete(&loop, &f, &out) == CORO_ESTATE)
        trace("stopped");
    ck_assert(!coro_future_done(&f));
    ck_assert_int_eq(coro_loop_time(&loop), secs(5));
    ck_assert_int_eq(coro_future_set_result(&f, coro_int(3)), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &f, &out), 0);
    trace("f=%s", show(out));
    ck_assert_trace("t@5 stopped f=3");
}
END_TEST

/* Python (found by fuzz_loop):
 *     t = loop.create_task(sleeper('A', 10)); loop.call_later(1, stop)
 *     try: loop.run_until_complete(t)
 *     except RuntimeError: T.append('stopped')   # stopped before Future completed
 *     T.append('done=%s' % t.done()); T.append('r=%s' % loop.run_until_complete(t))
 * CPython 3.11: A:sleep stop stopped done=False A:woke r=7 */
START_TEST(test_stop_ends_run_until_complete_with_estate_and_the_task_goes_on)
{
    struct tk a;
    struct cb stop;
    coro_value out = coro_none();
    tk_start(&a, "A", sleeper)->d = secs(10);
    a.ret = coro_int(7);
    later(cb_init(&stop, "stop", act_stop), secs(1));
    if (run_task(&a, &out) == CORO_ESTATE)
        trace("stopped@%s", tstr(coro_loop_time(&loop)));
    trace("done=%d", coro_future_done(&a.task.fut));
    ck_assert_int_eq(run_task(&a, &out), 0);
    trace("r=%s", show(out));
    ck_assert_trace("A:sleep@0 stop@1 stopped@1 done=0 A:woke@10 A:fin:0@10 r=7");
}
END_TEST

/* A sleep's end is a future the timer sets: the task is queued behind what
 * the handles before its timer schedule (found by fuzz_loop). Python:
 *     loop.call_at(1, lambda: (ev('cb'), loop.call_soon(ev, 'again')))
 *     ta = task(sleeper('A', 1)); loop.run_forever(); done()
 * CPython 3.11: A:sleep@0 cb@1 again@1 A:woke@1 A:fin:0@1 */
START_TEST(test_sleeper_wakes_behind_what_an_earlier_timer_queued)
{
    struct tk a;
    struct cb cb, again;
    at(cb_init(&cb, "cb", act_soon_other), secs(1));
    cb.other = cb_init(&again, "again", NULL);
    tk_start(&a, "A", sleeper)->d = secs(1);
    ck_assert_int_eq(run_task(&a, NULL), 0);
    ck_assert_trace("A:sleep@0 cb@1 again@1 A:woke@1 A:fin:0@1");
}
END_TEST

static int main_soon(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    soon(f->cb);
    mark(f->label);
    CORO_RETURN(co, coro_int(1));
    CORO_END(co);
}

/* asyncio stops the loop from a done callback of the future: the iteration
 * after the one that finished it still runs.
 * Python:
 *     async def main_soon(tag): loop.call_soon(ev, 'cb'); ev(tag); return 1
 *     run(task(main_soon('main'))); T.append('|'); done()
 * CPython 3.11: main@0 cb@0 |
 */
START_TEST(test_run_until_complete_runs_the_iteration_after_the_future_is_done)
{
    struct tk m;
    struct cb c;
    tk_start(&m, "main", main_soon)->cb = cb_init(&c, "cb", NULL);
    ck_assert_int_eq(run_task(&m, NULL), 0);
    trace("|");
    ck_assert_trace("main@0 cb@0 |");
}
END_TEST

static void act_record_then_later(struct cb *c)
{
    act_record_time(c);
    later(c->other, 250);
}

START_TEST(test_timer_fires_exactly_at_its_deadline_on_the_virtual_clock)
{
    struct cb a, b, c;
    const coro_time T = 1234567891;
    cb_init(&a, NULL, act_record_then_later)->other = cb_init(&b, NULL, act_record_time);
    b.n = 1;
    cb_init(&c, NULL, act_record_time)->n = 2;
    at(&a, T);
    at(&c, T + 1);                          /* 1 ns later: not in a's iteration */
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(seen[0], T);
    ck_assert_int_eq(coro_loop_time(&loop), T);
    ck_assert_int_eq(c.runs, 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(seen[2], T + 1);
    ck_assert_int_eq(b.runs, 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(seen[1], T + 250);
    ck_assert_int_eq(coro_clock_virtual.now(&loop), T + 250);
}
END_TEST

/* A test clock that moves on by 1 us at every read (time passes while
 * callbacks run) and whose wait stops halfway to its deadline, as a wait cut
 * short by something external may (loop.h's struct coro_clock). */
static coro_time tclock_t;

static coro_time tclock_now(struct coro_loop *l)
{
    (void)l;
    return tclock_t += CORO_USEC;
}

static int tclock_wait(struct coro_loop *l, coro_time deadline)
{
    (void)l;
    if (deadline == CORO_FOREVER)
        return CORO_EEMPTY;
    if (deadline > tclock_t)
        tclock_t += (deadline - tclock_t + 1) / 2;
    return 0;
}

static const struct coro_clock tclock = { tclock_now, tclock_wait };

static void act_record_time_and_read_clock(struct cb *c)
{
    act_record_time(c);
    (void)tclock_now(&loop);                        /* time passes */
}

START_TEST(test_loop_time_is_cached_once_per_iteration)
{
    struct cb c[3];
    int i;
    tclock_t = 0;
    coro_loop_set_clock(&loop, &tclock);
    for (i = 0; i < 3; i++) {
        soon(cb_init(&c[i], NULL, act_record_time_and_read_clock));
        c[i].n = i;
    }
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(seen[0], seen[1]);
    ck_assert_int_eq(seen[1], seen[2]);
    ck_assert(tclock_t > seen[2]);                  /* the clock did move */
    ck_assert_int_eq(coro_loop_time(&loop), seen[0]);
}
END_TEST

/* The timer must neither fire early nor be dropped, and run_forever /
 * run_until_complete must keep going after a wait that returned early. */
START_TEST(test_wait_cut_short_neither_fires_timer_early_nor_ends_the_run)
{
    struct cb a;
    struct coro_future f = { 0 };
    const coro_time T = secs(10);
    tclock_t = 0;
    coro_loop_set_clock(&loop, &tclock);
    cb_init(&a, NULL, act_record_time);
    seen[0] = -1;
    at(&a, T);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_int_eq(a.runs, 1);
    ck_assert_msg(seen[0] >= T, "fired at %lld, before its deadline %lld",
                  (long long)seen[0], (long long)T);
    coro_future_init(&f, &loop);
    cb_init(&a, NULL, act_set_result)->fut = &f;
    at(&a, 2 * T);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &f, NULL), 0);
}
END_TEST

/* 10,000 timers, pseudo-random deadlines with many ties, random cancels,
 * reschedules, and timers that cancel others while the loop runs; they must
 * fire in exact (deadline, scheduling order). The expected order comes from
 * qsort of the live timers, walked the way the callbacks cancel. */
#define NSTRESS 10000
struct stimer {
    struct coro_handle h;
    coro_time when;
    uint32_t order;                 /* scheduling order: (when, order) sorts */
    int victim;                     /* index it cancels when it fires, or -1 */
    int live, gone, cancel_rc;
};
static struct stimer st[NSTRESS];
static struct coro_timer_slot stress_heap[NSTRESS];
static int fired[NSTRESS], nfired, off_time;
static int expect_order[NSTRESS], expect_rc[NSTRESS];
static uint32_t rng_state;

static uint32_t rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) & 0xFFFFFFu;
}

static void stress_fire(struct coro_handle *h)
{
    struct stimer *s = (struct stimer *)(void *)h;
    if (coro_loop_time(&loop) != s->when)
        off_time++;
    if (nfired < NSTRESS)
        fired[nfired++] = (int)(s - st);
    if (s->victim >= 0)
        s->cancel_rc = coro_loop_cancel(&loop, &st[s->victim].h);
}

static int by_when_then_order(const void *pa, const void *pb)
{
    const struct stimer *a = &st[*(const int *)pa], *b = &st[*(const int *)pb];
    if (a->when != b->when)
        return a->when < b->when ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

START_TEST(test_heap_stress_10000_timers_fire_in_deadline_then_seq_order)
{
    static int sorted[NSTRESS];
    struct cb extra;
    uint32_t order = 0;
    int i, n = 0, nexp = 0;
    loop_reset(stress_heap, NSTRESS);
    rng_state = 20240601u;
    nfired = off_time = 0;
    for (i = 0; i < NSTRESS; i++) {
        struct stimer *s = &st[i];
        memset(s, 0, sizeof *s);
        coro_handle_init(&s->h, stress_fire);
        s->when = (coro_time)(rnd() % 700) * CORO_MSEC;
        s->order = order++;
        s->victim = rnd() % 10 == 0 ? (int)(rnd() % NSTRESS) : -1;
        s->live = 1;
        if (i % 2)
            ck_assert_int_eq(coro_loop_call_at(&loop, &s->h, s->when), 0);
        else
            ck_assert_int_eq(coro_loop_call_later(&loop, &s->h, s->when), 0);
    }
    ck_assert_int_eq(coro_loop_call_at(&loop, &cb_init(&extra, NULL, NULL)->h, 1), CORO_EFULL);
    for (i = 0; i < NSTRESS; i++) {                 /* cancel about a fifth */
        if (rnd() % 5)
            continue;
        ck_assert_int_eq(coro_loop_cancel(&loop, &st[i].h), 0);
        ck_assert_int_eq(coro_loop_cancel(&loop, &st[i].h), CORO_ESTATE);
        st[i].live = 0;
        if (rnd() % 2) {                            /* half of them come back */
            st[i].when = (coro_time)(rnd() % 700) * CORO_MSEC;
            st[i].order = order++;
            st[i].live = 1;
            ck_assert_int_eq(coro_loop_call_at(&loop, &st[i].h, st[i].when), 0);
        }
    }
    for (i = 0; i < NSTRESS; i++)
        if (st[i].live)
            sorted[n++] = i;
    qsort(sorted, (size_t)n, sizeof sorted[0], by_when_then_order);
    for (i = 0; i < n; i++) {                       /* what the callbacks cancel */
        struct stimer *s = &st[sorted[i]];
        if (s->gone)
            continue;
        expect_order[nexp] = sorted[i];
        s->gone = 1;                                /* ran: a cancel is ESTATE */
        if (s->victim >= 0) {
            struct stimer *v = &st[s->victim];
            expect_rc[nexp] = v->live && !v->gone ? 0 : CORO_ESTATE;
            v->gone = 1;
        }
        nexp++;
    }
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_int_eq(off_time, 0);
    ck_assert_int_eq(nfired, nexp);
    for (i = 0; i < nexp; i++) {
        struct stimer *s = &st[expect_order[i]];
        ck_assert_msg(fired[i] == expect_order[i], "firing %d: timer %d, expected %d",
                      i, fired[i], expect_order[i]);
        if (s->victim >= 0)
            ck_assert_msg(s->cancel_rc == expect_rc[i], "timer %d cancelling %d: %d, expected %d",
                          expect_order[i], s->victim, s->cancel_rc, expect_rc[i]);
    }
    ck_assert_int_eq(coro_loop_time(&loop), st[expect_order[nexp - 1]].when);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 5. Sleep                                                                 */
/* ------------------------------------------------------------------------ */

static int sleep_thrice(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 1500 * CORO_MSEC);
    seen[0] = coro_loop_time(&loop);
    CORO_SLEEP(co, &loop, 250 * CORO_NSEC);
    seen[1] = coro_loop_time(&loop);
    CORO_SLEEP_UNTIL(co, &loop, 2 * CORO_SEC + 1);
    seen[2] = coro_loop_time(&loop);
    CORO_END(co);
}

START_TEST(test_sleep_resumes_at_exactly_now_plus_d)
{
    struct tk a;
    tk_start(&a, "A", sleep_thrice);
    ck_assert_int_eq(run_task(&a, NULL), 0);
    ck_assert_int_eq(seen[0], 1500 * CORO_MSEC);
    ck_assert_int_eq(seen[1], 1500 * CORO_MSEC + 250);
    ck_assert_int_eq(seen[2], 2 * CORO_SEC + 1);
    ck_assert_int_eq(coro_loop_time(&loop), 2 * CORO_SEC + 1);
}
END_TEST

/* three times: record i, sleep(d) (0 or negative); then record end */
static int stepper(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 3; f->i++) {
        ev(f->label, "%d", f->i);
        CORO_SLEEP(co, &loop, f->d);
    }
    ev(f->label, "end");
    CORO_END(co);
}

/* Python:
 *     async def stepper(tag, d):
 *         for i in range(3): ev(tag, str(i)); await asyncio.sleep(d)
 *         ev(tag, 'end')
 *     ta = task(stepper('A', 0)); tb = task(stepper('B', 0)); tc = task(stepper('C', -1))
 *     loop.run_forever(); done()
 * CPython 3.11: A:0@0 B:0@0 C:0@0 A:1@0 B:1@0 C:1@0 A:2@0 B:2@0 C:2@0 A:end@0 B:end@0 C:end@0
 */
START_TEST(test_sleep0_lets_every_other_ready_task_run_once_round_robin)
{
    struct tk a, b, c;
    tk_start(&a, "A", stepper);
    tk_start(&b, "B", stepper);
    tk_start(&c, "C", stepper)->d = -1;
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("A:0@0 B:0@0 C:0@0 A:1@0 B:1@0 C:1@0 A:2@0 B:2@0 C:2@0 A:end@0 B:end@0 C:end@0");
    ck_assert_int_eq(coro_loop_time(&loop), 0);
}
END_TEST

/* n times: sleep(d), record i */
static int ticker(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    for (f->i = 0; f->i < f->n; f->i++) {
        CORO_SLEEP(co, &loop, f->d);
        ev(f->label, "%d", f->i);
    }
    CORO_END(co);
}

/* Python:
 *     async def ticker(tag, d, n):
 *         for i in range(n): await asyncio.sleep(d); ev(tag, str(i))
 *     ta = task(ticker('A', 3, 2)); tb = task(ticker('B', 1, 4)); tc = task(ticker('C', 2, 3))
 *     loop.run_forever(); done()
 * CPython 3.11: B:0@1 C:0@2 B:1@2 A:0@3 B:2@3 C:1@4 B:3@4 A:1@6 C:2@6
 */
START_TEST(test_sleepers_wake_in_deadline_then_sleep_order)
{
    struct tk a, b, c;
    tk_start(&a, "A", ticker)->d = secs(3);
    a.n = 2;
    tk_start(&b, "B", ticker)->d = secs(1);
    b.n = 4;
    tk_start(&c, "C", ticker)->d = secs(2);
    c.n = 3;
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("B:0@1 C:0@2 B:1@2 A:0@3 B:2@3 C:1@4 B:3@4 A:1@6 C:2@6");
}
END_TEST

static int later_cb(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    mark(f->label);
    later(f->cb, secs(1));
    CORO_END(co);
}

/* asyncio's sleep(1) is a future that a call_later timer sets: at time 1 the
 * timers run in order (A's, then cb), and A resumes one iteration later.
 * Python:
 *     async def later_cb(tag): ev(tag); loop.call_later(1, ev, 'cb')
 *     ta = task(sleeper('A', 1)); tb = task(later_cb('B'))
 *     loop.run_forever(); done()
 * CPython 3.11: A:sleep@0 B@0 cb@1 A:woke@1 A:fin:0@1
 */
START_TEST(test_sleeper_wakes_after_callbacks_due_at_the_same_time_as_in_asyncio)
{
    struct tk a, b;
    struct cb c;
    tk_start(&a, "A", sleeper)->d = secs(1);
    tk_start(&b, "B", later_cb)->cb = cb_init(&c, "cb", NULL);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_trace("A:sleep@0 B@0 cb@1 A:woke@1 A:fin:0@1");
}
END_TEST

static void act_drive_sub(struct cb *c)
{
    c->n = coro_next(c->gen, NULL);
}

/* ENOTASK has no asyncio twin (asyncio.sleep outside a loop is another
 * error): the traces below are sub_body's own events. */
START_TEST(test_sleep_outside_a_task_raises_enotask)
{
    struct sub s;
    struct cb c;
    memset(&s, 0, sizeof s);
    s.label = "S";
    s.d = secs(1);
    coro_init(&s.co, sub_body);
    ck_assert_int_eq(coro_next(&s.co, NULL), CORO_ENOTASK);      /* by hand */
    ck_assert_int_eq(coro_state(&s.co), CORO_CLOSED);
    ck_assert_str_eq(trace_str(), "S:sleep@0 S:fin:notask@0");
    coro_init(&s.co, sub_body);                         /* from a callback */
    soon(cb_init(&c, NULL, act_drive_sub));
    c.gen = &s.co;
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(c.n, CORO_ENOTASK);
    ck_assert_str_eq(trace_str(), "S:sleep@0 S:fin:notask@0 S:sleep@0 S:fin:notask@0");
    ck_assert_int_eq(coro_loop_sleep_arm(&loop, secs(1)), CORO_ENOTASK);
    ck_assert_int_eq(coro_loop_sleep_arm(&loop, 0), CORO_ENOTASK);
    ck_assert_int_eq(coro_loop_sleep_until_arm(&loop, secs(1)), CORO_ENOTASK);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);     /* nothing was armed */
}
END_TEST

START_TEST(test_sleep_with_a_full_heap_raises_efull_at_the_sleep)
{
    struct coro_timer_slot one[1];
    struct tk a, b;
    struct cb t;
    loop_reset(one, 1);
    at(cb_init(&t, NULL, NULL), secs(5));
    tk_start(&a, "A", sleeper)->d = secs(1);
    ck_assert_int_eq(run_task(&a, NULL), CORO_EFULL);
    ck_assert_int_eq(coro_loop_time(&loop), 0);
    ck_assert_str_eq(trace_str(), "A:sleep@0 A:fin:full@0");
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);     /* t fires: room again */
    tk_start(&b, "B", sleeper)->d = secs(1);
    ck_assert_int_eq(run_task(&b, NULL), 0);
    ck_assert_str_eq(trace_str(), "A:sleep@0 A:fin:full@0 B:sleep@5 B:woke@6 B:fin:0@6");
}
END_TEST

/* @types.coroutine def bad(v): yield v -- and catch what is thrown back */
static int bad_yield(struct coro *co)
{
    struct tk *f = TK(co);
    int err = 0;
    CORO_BEGIN(co);
    ev(f->label, "yield");
    CORO_YIELD_CATCH(co, coro_int(5), err);
    if (err == CORO_EINVAL)
        ev(f->label, "caught");
    CORO_YIELD_CATCH(co, coro_double(1.5), err);
    f->n += err == CORO_EINVAL;
    CORO_YIELD_CATCH(co, coro_ptr(NULL), err);
    f->n += err == CORO_EINVAL;
    if (f->i)
        CORO_YIELD(co, coro_int(5));                /* not caught */
    CORO_RETURN(co, coro_int(3));
    CORO_END(co);
}

/* Python:
 *     @types.coroutine
 *     def bad(v): yield v
 *     async def bad_yield(tag):
 *         ev(tag, 'yield')
 *         try: await bad(5)
 *         except RuntimeError: ev(tag, 'caught')
 *         return 3
 *     ta = task(bad_yield('A')); tb = task(marker('B'))
 *     run(ta); outcome('A', ta); done()
 * CPython 3.11: A:yield@0 B@0 A:caught@0 A:ret:3
 */
START_TEST(test_bad_yield_throws_einval_back_in_at_the_next_iteration)
{
    struct tk a, b, c;
    tk_start(&a, "A", bad_yield);
    tk_start(&b, "B", marker);
    ck_assert_int_eq(run_task(&a, NULL), 0);
    ck_assert_int_eq(a.n, 2);               /* a double and a NULL are bad too */
    outcome("A", &a.task.fut);
    ck_assert_trace("A:yield@0 B@0 A:caught@0 A:ret:3");
    tk_start(&c, "C", bad_yield)->i = 1;
    ck_assert_int_eq(run_task(&c, NULL), CORO_EINVAL);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 6. Misuse                                                                */
/* ------------------------------------------------------------------------ */

START_TEST(test_null_arguments_are_einval_and_leave_the_loop_usable)
{
    struct coro_loop l;
    struct tk a;
    struct cb c;
    memset(&a, 0, sizeof a);
    ck_assert_int_eq(coro_loop_init(NULL, timers, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_loop_init(&l, NULL, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_task_start(NULL, &loop, marker), CORO_EINVAL);
    ck_assert_int_eq(coro_task_start(&a.task, NULL, marker), CORO_EINVAL);
    ck_assert_int_eq(coro_task_start(&a.task, &loop, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);     /* nothing scheduled */
    ck_assert_int_eq(coro_loop_init(&l, NULL, 0), 0);   /* a loop without timers */
    coro_loop_set_clock(&l, &coro_clock_virtual);
    ck_assert_int_eq(coro_loop_call_at(&l, &cb_init(&c, NULL, NULL)->h, 1), CORO_EFULL);
    ck_assert_int_eq(coro_loop_call_soon(&l, &c.h), 0);
    ck_assert_int_eq(coro_loop_run_once(&l), 1);
    ck_assert_int_eq(c.runs, 1);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The suite                                                                */
/* ------------------------------------------------------------------------ */

static TCase *tcase(Suite *s, const char *name)
{
    return check_tcase(s, name, setup, NULL, 0);
}

static Suite *loop_suite(void)
{
    Suite *s = suite_create("loop");
    TCase *tc;

    tc = tcase(s, "future");
    tcase_add_test(tc, test_future_states_and_result_codes);
    tcase_add_loop_test(tc, test_finishing_a_done_future_is_estate_and_changes_nothing, 0, 3);
    tcase_add_test(tc, test_set_error_0_is_einval_and_future_stays_pending);
    tcase_add_test(tc, test_done_callbacks_run_at_next_iteration_in_order_added_never_inside_set);
    tcase_add_test(tc, test_callback_added_to_done_future_runs_at_next_iteration);
    tcase_add_test(tc, test_remove_done_callback_is_0_then_estate_and_removed_one_never_runs);
    tcase_add_test(tc, test_scheduling_a_scheduled_handle_is_ebusy_and_it_still_runs_once);

    tc = tcase(s, "await");
    tcase_add_test(tc, test_await_pending_future_resumes_task_with_its_result);
    tcase_add_test(tc, test_await_done_future_returns_at_once_without_yielding);
    tcase_add_test(tc, test_await_future_failed_with_error_raises_it_at_the_await);
    tcase_add_test(tc, test_await_cancelled_future_raises_ecancelled);
    tcase_add_test(tc, test_await_subcoroutine_passes_its_sleep_and_future_through_to_the_task);
    tcase_add_test(tc, test_await_other_task_gets_its_return_value_or_its_error);

    tc = tcase(s, "task");
    tcase_add_test(tc, test_task_outcome_is_its_return_value_or_its_uncaught_error);
    tcase_add_test(tc, test_cancel_before_first_step_never_runs_the_body);
    tcase_add_test(tc, test_cancel_while_sleeping_removes_the_timer_and_loop_does_not_wait_for_it);
    tcase_add_test(tc, test_cancel_of_a_sleeper_whose_timer_fell_due_in_the_same_iteration);
    tcase_add_loop_test(tc, test_cancel_of_sleepers_woken_together_in_one_iteration, 0, 3);
    tcase_add_test(tc, test_cancel_while_awaiting_a_pending_future_cancels_that_future);
    tcase_add_test(tc, test_cancel_while_awaiting_another_task_cancels_that_task);
    tcase_add_test(tc, test_cancel_in_an_await_cycle_cancels_each_task_once);
    tcase_add_loop_test(tc, test_cancel_in_an_await_cycle_through_gather_or_wait_for_ends, 0, 2);
    tcase_add_test(tc, test_cancel_while_awaiting_a_sleeping_subcoroutine_unwinds_both);
    tcase_add_test(tc, test_cancel_while_ready_after_sleep0_throws_at_its_next_step);
    tcase_add_test(tc, test_task_cancelling_itself_gets_ecancelled_at_its_next_await);
    tcase_add_test(tc, test_task_cancelling_itself_then_returning_is_cancelled);
    tcase_add_test(tc, test_task_catching_ecancelled_and_returning_has_that_result_not_cancelled);
    tcase_add_test(tc, test_cancel_after_awaited_future_is_done_but_before_wakeup_still_cancels);
    tcase_add_test(tc, test_cancelling_a_finished_task_is_estate_and_changes_nothing);
    tcase_add_test(tc, test_finished_task_frame_is_never_touched_again);

    tc = tcase(s, "loop");
    tcase_add_test(tc, test_call_soon_runs_handles_in_fifo_order_in_one_iteration);
    tcase_add_test(tc, test_timers_fire_in_deadline_order_after_what_is_ready);
    tcase_add_test(tc, test_call_later_with_negative_delay_is_a_deadline_in_the_past);
    tcase_add_test(tc, test_rearm_is_cancel_then_call_later_in_one_step);
    tcase_add_test(tc, test_many_equal_deadlines_scheduled_scrambled_fire_in_deadline_then_seq_order);
    tcase_add_test(tc, test_cancelled_timer_does_not_fire_and_can_be_scheduled_again);
    tcase_add_test(tc, test_cancelled_call_soon_handle_does_not_run_even_from_the_same_batch);
    tcase_add_test(tc, test_full_heap_is_efull_and_handle_stays_idle_until_there_is_room);
    tcase_add_test(tc, test_each_iteration_runs_only_what_was_ready_when_it_began);
    tcase_add_test(tc, test_stop_inside_a_callback_finishes_the_batch_then_run_forever_returns);
    tcase_add_test(tc, test_stop_before_run_forever_runs_one_iteration);
    tcase_add_test(tc, test_run_until_complete_on_a_future_nobody_sets_is_estate);
    tcase_add_test(tc, test_stop_ends_run_until_complete_with_estate_and_the_task_goes_on);
    tcase_add_test(tc, test_sleeper_wakes_behind_what_an_earlier_timer_queued);
    tcase_add_test(tc, test_run_until_complete_runs_the_iteration_after_the_future_is_done);
    tcase_add_test(tc, test_timer_fires_exactly_at_its_deadline_on_the_virtual_clock);
    tcase_add_test(tc, test_loop_time_is_cached_once_per_iteration);
    tcase_add_test(tc, test_wait_cut_short_neither_fires_timer_early_nor_ends_the_run);
    tcase_add_test(tc, test_heap_stress_10000_timers_fire_in_deadline_then_seq_order);

    tc = tcase(s, "sleep");
    tcase_add_test(tc, test_sleep_resumes_at_exactly_now_plus_d);
    tcase_add_test(tc, test_sleep0_lets_every_other_ready_task_run_once_round_robin);
    tcase_add_test(tc, test_sleepers_wake_in_deadline_then_sleep_order);
    tcase_add_test(tc, test_sleeper_wakes_after_callbacks_due_at_the_same_time_as_in_asyncio);
    tcase_add_test(tc, test_sleep_outside_a_task_raises_enotask);
    tcase_add_test(tc, test_sleep_with_a_full_heap_raises_efull_at_the_sleep);
    tcase_add_test(tc, test_bad_yield_throws_einval_back_in_at_the_next_iteration);

    tc = tcase(s, "misuse");
    tcase_add_test(tc, test_null_arguments_are_einval_and_leave_the_loop_usable);

    return s;
}

int main(void)
{
    return check_run(loop_suite());
}
