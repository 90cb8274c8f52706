/* SPDX-License-Identifier: MIT */
/*
 * test_edges.c -- the Check suite of the loop at its edges (issue 11): the
 * ends of time, misuse (re-initialising live objects, running a running
 * loop, awaiting another loop's future), the final iteration of
 * run_until_complete, wait_for's timeouts as asyncio 3.11 has them, deep
 * cancel chains, and closing a loop.
 *
 * Everything runs on the virtual clock (or on a recording clock below).
 * Where order matters the expected trace is what CPython 3.11 prints for
 * the program in the comment above the test, run after test_loop.c's
 * prelude (never taken from the C code).
 */
#include <check.h>
#include "check_main.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "wait.h"
#include "loop.h"
#include "sync.h"
#include "trace.h"

#define NTIMERS 16
static struct coro_timer_slot timers[NTIMERS];
static struct coro_loop loop;

static void setup(void)
{
    (void)trace_state;
    (void)trace_result;
    trace_reset();
    ck_assert_int_eq(coro_loop_init(&loop, timers, NTIMERS), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
}

/* "label@t" with t in seconds when whole, else in ns. */
static void mark(const char *label)
{
    coro_time t = coro_loop_time(&loop);
    if (t % CORO_SEC == 0)
        trace("%s@%lld", label, (long long)(t / CORO_SEC));
    else
        trace("%s@%lldns", label, (long long)t);
}

/* A callback that records its label and may run an action. */
struct cb {
    struct coro_handle h;
    const char *label;
    void (*act)(struct cb *c);
    struct cb *other;
    struct coro_future *fut;
    int rc;
};

static void cb_run(struct coro_handle *h)
{
    struct cb *c = CORO__CONTAINER_OF(h, struct cb, h);
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

/* ---- run_until_complete runs the final iteration (bug 8) ---------------- */

static void act_set_then_later0(struct cb *c)
{
    ck_assert_int_eq(coro_future_set_result(c->fut, coro_int(1)), 0);
    ck_assert_int_eq(coro_loop_call_later(&loop, &c->other->h, 0), 0);
}

/* f = loop.create_future()
 * def a(): ev('A'); f.set_result(1); loop.call_later(0, lambda: ev('B'))
 * loop.call_at(1, a); run(f); T.append('|'); done()
 * -> A@1 B@1 |     (asyncio's stop callback makes a final iteration, and
 *                   B is due in it) */
START_TEST(test_run_until_complete_runs_the_final_iteration_and_its_due_timers)
{
    struct coro_future f = { 0 };
    struct cb a, b;
    coro_value v = coro_none();
    coro_future_init(&f, &loop);
    cb_init(&a, "A", act_set_then_later0)->other = cb_init(&b, "B", NULL);
    a.fut = &f;
    ck_assert_int_eq(coro_loop_call_at(&loop, &a.h, CORO_SEC), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &f, &v), 0);
    ck_assert_int_eq(v.v.i, 1);
    trace("|");
    ck_assert_trace("A@1 B@1 |");
}
END_TEST

/* A future already done still gets its final iteration. */
START_TEST(test_run_until_complete_of_a_done_future_runs_one_iteration)
{
    struct coro_future f = { 0 };
    struct cb b;
    coro_future_init(&f, &loop);
    ck_assert_int_eq(coro_future_set_result(&f, coro_int(2)), 0);
    ck_assert_int_eq(coro_loop_call_later(&loop, &cb_init(&b, "B", NULL)->h, 0), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &f, NULL), 0);
    ck_assert_trace("B@0");
}
END_TEST

/* ---- the ends of time (bug 9) ------------------------------------------- */

struct sleeper {
    struct coro_task task;
    coro_time d;
    coro_time woke;
};

static int sleeper_body(struct coro *co)
{
    struct sleeper *s = (struct sleeper *)co;
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, CORO_SEC);
    CORO_SLEEP(co, &loop, s->d);
    s->woke = coro_loop_time(&loop);
    CORO_END(co);
}

/* sleep(INT64_MAX) at t = 1 s sleeps until the end of time (INT64_MAX), it
 * does not wrap round and wake at once; so does a sleep near the end. */
START_TEST(test_sleep_forever_saturates_at_the_end_of_time)
{
    static struct sleeper s, n;
    memset(&s, 0, sizeof s);
    memset(&n, 0, sizeof n);
    s.d = INT64_MAX;
    n.d = INT64_MAX - CORO_SEC / 2;
    ck_assert_int_eq(coro_task_start(&s.task, &loop, sleeper_body), 0);
    ck_assert_int_eq(coro_task_start(&n.task, &loop, sleeper_body), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);    /* both sleep 1 s */
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);    /* t = 1 s: both wake */
    ck_assert_int_eq(coro_loop_time(&loop), CORO_SEC);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);    /* and sleep again */
    ck_assert(!coro_future_done(&s.task.fut));
    ck_assert(!coro_future_done(&n.task.fut));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &s.task.fut, NULL), 0);
    ck_assert(coro_future_done(&n.task.fut));
    ck_assert_int_eq(s.woke, INT64_MAX);
    ck_assert_int_eq(n.woke, INT64_MAX);
}
END_TEST

/* A clock that records the deadlines it is given: the virtual clock's
 * time, without its waiting (so a deadline in the past stays visible). */
static coro_time rec_deadline[8];
static unsigned rec_n;

static coro_time rec_now(struct coro_loop *l)
{
    return l->vnow;
}

static int rec_wait(struct coro_loop *l, coro_time deadline)
{
    if (rec_n < 8)
        rec_deadline[rec_n++] = deadline;
    if (deadline == CORO_FOREVER)
        return CORO_EEMPTY;
    if (deadline > l->vnow)
        l->vnow = deadline;
    return 0;
}

static const struct coro_clock rec_clock = { rec_now, rec_wait };

/* call_later(-1) at time 0 and call_at(-1), call_at(INT64_MIN) are past
 * deadlines: they run at the next iteration, and the clock is asked to
 * wait until the loop time, never given -1 (CORO_FOREVER) or a time before
 * the loop's. */
START_TEST(test_past_deadlines_run_at_once_and_never_read_as_forever)
{
    struct cb a, b, c;
    unsigned i;
    rec_n = 0;
    coro_loop_set_clock(&loop, &rec_clock);
    ck_assert_int_eq(coro_loop_call_later(&loop, &cb_init(&a, "A", NULL)->h, -1), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(coro_loop_call_at(&loop, &cb_init(&b, "B", NULL)->h, -1), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(coro_loop_call_at(&loop, &cb_init(&c, "C", NULL)->h, INT64_MIN), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);     /* nothing left */
    ck_assert_trace("A@0 B@0 C@0");
    ck_assert_uint_eq(rec_n, 4);
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(rec_deadline[i], 0);
    ck_assert_int_eq(rec_deadline[3], CORO_FOREVER);
}
END_TEST

/* call_later(INT64_MAX) late in time saturates instead of wrapping into the
 * past. */
START_TEST(test_call_later_saturates)
{
    struct cb a, b;
    ck_assert_int_eq(coro_loop_call_at(&loop, &cb_init(&a, "A", NULL)->h, 5 * CORO_SEC), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(coro_loop_call_later(&loop, &cb_init(&b, NULL, NULL)->h, INT64_MAX), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(coro_loop_time(&loop), INT64_MAX);
    ck_assert_trace("A@5");
}
END_TEST

/* ---- running a running loop (bug 11) ------------------------------------ */

struct nester {
    struct coro_task task;
    struct coro_future *f;
    int rc[3];
    int after;
};

static int nester_body(struct coro *co)
{
    struct nester *n = (struct nester *)co;
    CORO_BEGIN(co);
    n->rc[0] = coro_loop_run_once(&loop);
    n->rc[1] = coro_loop_run_forever(&loop);
    n->rc[2] = coro_loop_run_until_complete(&loop, n->f, NULL);
    CORO_SLEEP(co, &loop, CORO_SEC);        /* the task is still current */
    n->after = 1;
    CORO_END(co);
}

static void act_nest(struct cb *c)
{
    c->rc = coro_loop_run_forever(&loop);
}

/* asyncio raises RuntimeError("This event loop is already running"): the
 * nested calls are refused with CORO_EBUSY, nothing runs nested, and the
 * task's next await works. */
START_TEST(test_running_a_running_loop_is_ebusy_and_changes_nothing)
{
    static struct nester n;
    struct coro_future f = { 0 };
    struct cb c, d;
    memset(&n, 0, sizeof n);
    coro_future_init(&f, &loop);
    n.f = &f;
    ck_assert_int_eq(coro_task_start(&n.task, &loop, nester_body), 0);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &cb_init(&c, "C", act_nest)->h), 0);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &cb_init(&d, "D", NULL)->h), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &n.task.fut, NULL), 0);
    ck_assert_int_eq(n.rc[0], CORO_EBUSY);
    ck_assert_int_eq(n.rc[1], CORO_EBUSY);
    ck_assert_int_eq(n.rc[2], CORO_EBUSY);
    ck_assert_int_eq(c.rc, CORO_EBUSY);
    ck_assert_int_eq(n.after, 1);
    ck_assert_trace("C@0 D@0");             /* D ran once, in the outer run */
    ck_assert_int_eq(coro_loop_time(&loop), CORO_SEC);
}
END_TEST


/* ---- wait_for as asyncio 3.11 (bugs 6 and 7) ---------------------------- */

/* async def body(tag, ret):
 *     try: ev(tag, 'start'); await asyncio.sleep(0); ev(tag, 'step'); return ret
 *     finally: ev(tag, 'fin:' + pending()) */
struct body {
    struct coro_task task;
    const char *tag;
    long ret;
    struct coro_try fin;     /* try: ... finally: of the body */
};

static int body_body(struct coro *co)
{
    struct body *b = (struct body *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &b->fin) {
        trace("%s:start@0", b->tag);
        CORO_YIELD(co, coro_none());
        trace("%s:step@0", b->tag);
        CORO_RETURN(co, coro_int(b->ret));
    } CORO_FINALLY(co, &b->fin) {
        trace("%s:fin:%s@0", b->tag, coro_error(&b->fin) == CORO_ECANCELLED ? "cancelled" : "0");
    } CORO_END_TRY(co, &b->fin);
    CORO_END(co);
}

static void wf_outcome(const char *tag, struct coro_future *f)
{
    coro_value v = coro_none();
    int rc = coro_future_result(f, &v);
    if (rc == CORO_ECANCELLED)
        trace("%s:cancelled", tag);
    else if (rc == CORO_ETIMEDOUT)
        trace("%s:timeout@0", tag);
    else if (rc)
        trace("%s:E%d", tag, rc);
    else
        trace("%s:got:%ld@0", tag, (long)v.v.i);
}

struct wf_main {
    struct coro_task task;
    struct body a, b;
    struct coro_wait_for w;
    struct coro_future f;
    coro_value r;
    int err;
};

static int wf_main_body(struct coro *co)
{
    struct wf_main *m = (struct wf_main *)co;
    int err = 0;
    CORO_BEGIN(co);
    m->a.tag = "A";
    m->a.ret = 1;
    coro_task_start(&m->a.task, &loop, body_body);
    ck_assert_int_eq(coro_wait_for(&m->w, &loop, &m->a.task.fut, 0), 0);
    CORO_AWAIT_FUTURE_CATCH(co, &m->w.fut, m->r, err);
    wf_outcome("M", &m->w.fut);
    wf_outcome("A", &m->a.task.fut);
    m->b.tag = "B";
    m->b.ret = 2;
    coro_task_start(&m->b.task, &loop, body_body);
    CORO_YIELD(co, coro_none());
    ck_assert_int_eq(coro_wait_for(&m->w, &loop, &m->b.task.fut, -5), 0);
    CORO_AWAIT_FUTURE_CATCH(co, &m->w.fut, m->r, err);
    wf_outcome("M", &m->w.fut);
    wf_outcome("B", &m->b.task.fut);
    coro_future_init(&m->f, &loop);
    coro_future_set_result(&m->f, coro_int(3));
    ck_assert_int_eq(coro_wait_for(&m->w, &loop, &m->f, 0), 0);
    ck_assert(coro_future_done(&m->w.fut));      /* no suspension */
    wf_outcome("M", &m->w.fut);
    m->err = err;
    CORO_END(co);
}

/* test_edges.c's Python for this test:
 *   async def main():
 *       t = task(body('A', 1))
 *       try: r = await asyncio.wait_for(t, 0); ev('M', 'got:' + show(r))
 *       except asyncio.TimeoutError: ev('M', 'timeout')
 *       outcome('A', t)
 *       t = task(body('B', 2))
 *       await asyncio.sleep(0)            # B starts, is ready for its next step
 *       try: r = await asyncio.wait_for(t, -5); ev('M', 'got:' + show(r))
 *       except asyncio.TimeoutError: ev('M', 'timeout')
 *       outcome('B', t)
 *       f = loop.create_future(); f.set_result(3)
 *       r = await asyncio.wait_for(f, 0); ev('M', 'got:' + show(r))
 *   run(task(main())); done()
 * -> M:timeout@0 A:cancelled B:start@0 B:fin:cancelled@0 M:timeout@0
 *    B:cancelled M:got:3@0 */
START_TEST(test_wait_for_timeout_zero_or_negative_cancels_at_once)
{
    static struct wf_main m;
    memset(&m, 0, sizeof m);
    ck_assert_int_eq(coro_task_start(&m.task, &loop, wf_main_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &m.task.fut, NULL), 0);
    ck_assert_trace("M:timeout@0 A:cancelled B:start@0 B:fin:cancelled@0 M:timeout@0 "
                    "B:cancelled M:got:3@0");
}
END_TEST

static void act_set7(struct cb *c)
{
    ck_assert_int_eq(coro_future_set_result(c->fut, coro_int(7)), 0);
}

struct wf_same {
    struct coro_task task;
    struct coro_wait_for w;
    struct coro_future f;
    struct cb s;
    coro_value r;
    coro_time tmo;
};

static int wf_same_body(struct coro *co)
{
    struct wf_same *m = (struct wf_same *)co;
    int err = 0;
    CORO_BEGIN(co);
    coro_future_init(&m->f, &loop);
    ck_assert_int_eq(coro_wait_for(&m->w, &loop, &m->f, m->tmo), 0);
    cb_init(&m->s, "S", act_set7)->fut = &m->f;             /* after wait_for's timer */
    ck_assert_int_eq(coro_loop_call_at(&loop, &m->s.h, CORO_SEC), 0);
    CORO_AWAIT_FUTURE_CATCH(co, &m->w.fut, m->r, err);
    if (err == CORO_ETIMEDOUT)
        mark("M:timeout");
    else
        trace("M:got:%ld@%lld", (long)m->r.v.i, (long long)(coro_loop_time(&loop) / CORO_SEC));
    CORO_END(co);
}

/* f = loop.create_future()
 * async def main2():
 *     wf = task(asyncio.wait_for(f, 1))
 *     await asyncio.sleep(0)                      # wait_for's timer is armed first
 *     loop.call_at(1, lambda: (ev('S'), f.set_result(7)))
 *     try: r = await wf; ev('M', 'got:' + show(r))
 *     except asyncio.TimeoutError: ev('M', 'timeout')
 * run(task(main2())); done()
 * -> S@1 M:got:7@1   (3.11 wakes after the deadline, finds f done, returns
 *                     its result: the work done is not thrown away) */
START_TEST(test_wait_for_inner_done_in_the_iteration_of_the_timeout_gives_its_result)
{
    static struct wf_same m;
    memset(&m, 0, sizeof m);
    m.tmo = CORO_SEC;
    ck_assert_int_eq(coro_task_start(&m.task, &loop, wf_same_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &m.task.fut, NULL), 0);
    ck_assert_trace("S@1 M:got:7@1");
}
END_TEST

/* wait_for(f, INT64_MAX) at t = 1 s does not time out at once (bug 9). */
START_TEST(test_wait_for_huge_timeout_saturates)
{
    static struct wf_same m;
    struct cb a;
    memset(&m, 0, sizeof m);
    m.tmo = INT64_MAX;
    ck_assert_int_eq(coro_loop_call_at(&loop, &cb_init(&a, "A", NULL)->h, CORO_SEC / 2), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(coro_task_start(&m.task, &loop, wf_same_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &m.task.fut, NULL), 0);
    ck_assert_trace("A@500000000ns S@1 M:got:7@1");
}
END_TEST


/* ---- re-initialising live objects (bug 10) ------------------------------ */

struct awaiter {
    struct coro_task task;
    struct coro_future *f;
    coro_value r;
    int rc;
    int done;
};

static int awaiter_body(struct coro *co)
{
    struct awaiter *a = (struct awaiter *)co;
    CORO_BEGIN(co);
    if (!a->f) {
        /* restarting itself while it runs */
        a->rc = coro_task_start(&a->task, &loop, awaiter_body);
        CORO_SLEEP(co, &loop, CORO_SEC);
    } else {
        CORO_AWAIT_FUTURE(co, a->f, a->r);
    }
    a->done++;
    CORO_END(co);
}

/* coro_task_start on a queued, sleeping, awaiting or running task is
 * CORO_EBUSY and loses nothing; on a done task it starts it again. */
START_TEST(test_task_start_on_a_live_task_is_ebusy_and_changes_nothing)
{
    static struct awaiter q, s, w;
    struct coro_future f = { 0 };
    memset(&q, 0, sizeof q);
    memset(&s, 0, sizeof s);
    memset(&w, 0, sizeof w);
    coro_future_init(&f, &loop);
    w.f = &f;
    ck_assert_int_eq(coro_task_start(&s.task, &loop, awaiter_body), 0);
    ck_assert_int_eq(coro_task_start(&w.task, &loop, awaiter_body), 0);
    ck_assert_int_eq(coro_task_start(&q.task, &loop, awaiter_body), 0);
    ck_assert_int_eq(coro_task_start(&q.task, &loop, awaiter_body), CORO_EBUSY); /* queued */
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(s.rc, CORO_EBUSY);                                 /* running */
    ck_assert_int_eq(coro_task_start(&s.task, &loop, awaiter_body), CORO_EBUSY); /* sleeping */
    ck_assert_int_eq(coro_task_start(&w.task, &loop, awaiter_body), CORO_EBUSY); /* awaiting */
    ck_assert_int_eq(coro_future_set_result(&f, coro_int(4)), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &s.task.fut, NULL), 0);
    ck_assert_int_eq(s.done, 1);
    ck_assert_int_eq(w.done, 1);
    ck_assert_int_eq(w.r.v.i, 4);
    ck_assert_int_eq(q.done, 1);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);                    /* nothing left */
    /* a done task starts again */
    ck_assert_int_eq(coro_task_start(&w.task, &loop, awaiter_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &w.task.fut, NULL), 0);
    ck_assert_int_eq(w.done, 2);
}
END_TEST

/* coro_future_init on a pending future with waiters is CORO_EBUSY: the
 * waiting task and the done callback still get its result. */
START_TEST(test_future_init_with_waiters_is_ebusy_and_keeps_them)
{
    static struct awaiter w;
    struct coro_future f = { 0 };
    struct cb c;
    memset(&w, 0, sizeof w);
    ck_assert_int_eq(coro_future_init(&f, &loop), 0);
    ck_assert_int_eq(coro_future_init(&f, &loop), 0);       /* no waiters: fine */
    w.f = &f;
    ck_assert_int_eq(coro_task_start(&w.task, &loop, awaiter_body), 0);
    ck_assert_int_eq(coro_future_add_done_callback(&f, &cb_init(&c, "C", NULL)->h), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(coro_future_init(&f, &loop), CORO_EBUSY);
    ck_assert_int_eq(coro_future_set_result(&f, coro_int(9)), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &w.task.fut, NULL), 0);
    ck_assert_int_eq(w.r.v.i, 9);
    ck_assert_trace("C@0");
    ck_assert_int_eq(coro_future_init(&f, &loop), 0);       /* done: fine */
    ck_assert(!coro_future_done(&f));
}
END_TEST


/* ---- awaiting another loop's future (bug 12) ---------------------------- */

/* asyncio's Task.__step: "Task got Future attached to a different loop",
 * raised at the await; the other loop never resumes the task. */
START_TEST(test_awaiting_a_future_of_another_loop_raises_eloop_at_the_await)
{
    static struct awaiter w;
    static struct coro_loop other;
    static struct coro_timer_slot other_slots[2];
    struct coro_future f = { 0 };
    memset(&w, 0, sizeof w);
    ck_assert_int_eq(coro_loop_init(&other, other_slots, 2), 0);
    coro_loop_set_clock(&other, &coro_clock_virtual);
    ck_assert_int_eq(coro_future_init(&f, &other), 0);
    w.f = &f;
    ck_assert_int_eq(coro_task_start(&w.task, &loop, awaiter_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &w.task.fut, NULL), CORO_ELOOP);
    ck_assert_int_eq(w.done, 0);
    ck_assert_ptr_null(f.waiters.tail);                     /* not on f */
    ck_assert_int_eq(coro_future_set_result(&f, coro_int(1)), 0);
    ck_assert_int_eq(coro_loop_run_once(&other), 0);        /* w is not on it */
    ck_assert_int_eq(w.done, 0);
}
END_TEST


/* ---- closing the selector loop under a waiting task (bug 14, structure 3) */

struct fdwait {
    struct coro_task task;
    struct coro_io *io;
    int err;
};

static int fdwait_body(struct coro *co)
{
    struct fdwait *w = (struct fdwait *)co;
    CORO_BEGIN(co);
    CORO_IO_WAIT(co, w->io, CORO_EVENT_READ);
    CORO_END(co);
}

/* A task waits on an fd nobody writes to; the selector loop is closed: the
 * task wakes with CORO_ECLOSED at its wait (it is not stranded), and a later
 * coro_io_close of the io is safe. The loop's `data` is the user's
 * throughout: io.c never reads or writes it. */
START_TEST(test_io_loop_close_wakes_a_waiting_task_with_eclosed)
{
    static struct coro_io_loop iol;
    static struct fdwait w;
    static struct coro_io io;
    int sv[2], marker = 0;
    memset(&w, 0, sizeof w);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(coro_sock_nonblocking(sv[0]), 0);
    ck_assert_int_eq(coro_loop_init(&loop, timers, NTIMERS), 0);
    loop.data = &marker;
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, NULL, 64), 0);
    ck_assert_ptr_eq(loop.data, &marker);
    coro_io_init(&io, &loop, sv[0]);
    w.io = &io;
    ck_assert_int_eq(coro_task_start(&w.task, &loop, fdwait_body), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);         /* it waits on sv[0] */
    ck_assert(!coro_future_done(&w.task.fut));
    coro_io_loop_close(&iol, &loop);
    ck_assert_ptr_eq(loop.data, &marker);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &w.task.fut, NULL), CORO_ECLOSED);
    ck_assert_int_eq(coro_io_close(&io), sv[0]);
    ck_assert_int_eq(coro_io_wait(&io, CORO_EVENT_READ), CORO_EINVAL);  /* no selector */
    close(sv[0]);
    close(sv[1]);
}
END_TEST


/* ---- deep cancel chains and many waiters (bug 13) ----------------------- */

#define DEEP 100000

/* Runs fn on a thread with a 1 MiB stack, as a small embedded or green
 * thread would have. */
static void on_small_stack(void *(*fn)(void *))
{
    pthread_attr_t attr;
    pthread_t th;
    ck_assert_int_eq(pthread_attr_init(&attr), 0);
    ck_assert_int_eq(pthread_attr_setstacksize(&attr, 1u << 20), 0);
    ck_assert_int_eq(pthread_create(&th, &attr, fn, NULL), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
}

struct link {
    struct coro_task task;
    struct coro_future *next;       /* what it awaits */
    coro_value r;
};

static struct link *chain;
static struct coro_future chain_end;
static struct coro_timer_slot deep_slots[1];

static int link_body(struct coro *co)
{
    struct link *l = (struct link *)co;
    CORO_BEGIN(co);
    CORO_AWAIT_FUTURE(co, l->next, l->r);
    CORO_END(co);
}

static void *deep_chain(void *arg)
{
    uint32_t i;
    (void)arg;
    ck_assert_int_eq(coro_loop_init(&loop, deep_slots, 1), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    ck_assert_int_eq(coro_future_init(&chain_end, &loop), 0);
    for (i = 0; i < DEEP; i++) {
        chain[i].next = i + 1 < DEEP ? &chain[i + 1].task.fut : &chain_end;
        ck_assert_int_eq(coro_task_start(&chain[i].task, &loop, link_body), 0);
    }
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);     /* each awaits the next */
    ck_assert_int_eq(coro_task_cancel(&chain[0].task), 0);
    ck_assert(coro_future_cancelled(&chain_end));        /* the deepest future */
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &chain[0].task.fut, NULL),
                     CORO_ECANCELLED);
    for (i = 0; i < DEEP; i++)
        ck_assert(coro_future_cancelled(&chain[i].task.fut));
    return NULL;
}

/* Cancelling the head of a 100,000-deep await chain cancels the future at
 * its bottom (asyncio's cancel goes down the chain) without recursing: it
 * runs on a 1 MiB stack, and in linear time. */
START_TEST(test_cancel_of_a_100000_deep_await_chain_is_iterative_and_linear)
{
    chain = calloc(DEEP, sizeof *chain);
    ck_assert_ptr_nonnull(chain);
    on_small_stack(deep_chain);
    free(chain);
}
END_TEST

struct locker {
    struct coro_task task;
    struct coro_lock *lock;
    struct coro_future *gate;       /* the holder waits for it */
    coro_value r;
};

static int locker_body(struct coro *co)
{
    struct locker *l = (struct locker *)co;
    CORO_BEGIN(co);
    CORO_LOCK_ACQUIRE(co, l->lock);
    if (l->gate)
        CORO_AWAIT_FUTURE(co, l->gate, l->r);
    coro_lock_release(l->lock);
    CORO_END(co);
}

static void *many_waiters(void *arg)
{
    static struct coro_lock lock;
    static struct coro_future gate;
    struct locker *w = (struct locker *)arg;
    uint32_t i;
    ck_assert_int_eq(coro_loop_init(&loop, deep_slots, 1), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    ck_assert_int_eq(coro_lock_init(&lock, &loop), 0);
    memset(&gate, 0, sizeof gate);
    ck_assert_int_eq(coro_future_init(&gate, &loop), 0);
    w[0].gate = &gate;                                  /* w[0] holds the lock */
    for (i = 0; i < DEEP; i++) {
        w[i].lock = &lock;
        ck_assert_int_eq(coro_task_start(&w[i].task, &loop, locker_body), 0);
    }
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);     /* the others wait, in order */
    for (i = DEEP; i-- > 2;)                            /* last first, but w[1] */
        ck_assert_int_eq(coro_task_cancel(&w[i].task), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    for (i = 2; i < DEEP; i++)
        ck_assert(coro_future_cancelled(&w[i].task.fut));
    ck_assert_int_eq(coro_future_set_result(&gate, coro_none()), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &w[1].task.fut, NULL), 0);
    ck_assert(coro_future_done(&w[0].task.fut) && !coro_future_cancelled(&w[0].task.fut));
    ck_assert(!coro_lock_locked(&lock));
    return w;
}

/* 100,000 tasks wait on a lock and are cancelled last-first: each leaves
 * the list in O(1), the first one still gets the lock. */
START_TEST(test_cancelling_100000_lock_waiters_last_first_is_linear)
{
    struct locker *w = calloc(DEEP, sizeof *w);
    pthread_t th;
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(pthread_create(&th, NULL, many_waiters, w), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    free(w);
}
END_TEST


/* ---- the lifecycle: close, live tasks, errors nobody retrieved (15-17) --- */

static void act_close(struct cb *c)
{
    c->rc = coro_loop_close(&loop);
}

struct failer {
    struct coro_task task;
    coro_time d;
    int err;                        /* raised after the sleep, 0: returns */
    struct coro_future *f;          /* awaited first, if set */
    coro_value r;
    const char *tag;
};

static int failer_body(struct coro *co)
{
    struct failer *x = (struct failer *)co;
    CORO_BEGIN(co);
    if (x->f)
        CORO_AWAIT_FUTURE(co, x->f, x->r);
    CORO_SLEEP(co, &loop, x->d);
    if (x->err)
        CORO_RAISE(co, x->err);
    CORO_END(co);
}

/* coro_loop_close is CORO_EBUSY while a task lives, a timer is pending, a
 * callback is ready, a selector loop is attached or the loop runs; then 0,
 * and the loop holds nothing (no timer slot: call_at is CORO_EFULL). */
START_TEST(test_loop_close_is_ebusy_while_anything_is_scheduled_then_holds_nothing)
{
    static struct failer t;
    static struct coro_io_loop iol;
    struct cb a, b;
    memset(&t, 0, sizeof t);
    t.d = CORO_SEC;
    ck_assert_int_eq(coro_task_start(&t.task, &loop, failer_body), 0);
    ck_assert_int_eq(coro_loop_close(&loop), CORO_EBUSY);           /* a task */
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &t.task.fut, NULL), 0);
    ck_assert_int_eq(coro_loop_call_later(&loop, &cb_init(&a, "A", NULL)->h, 5), 0);
    ck_assert_int_eq(coro_loop_close(&loop), CORO_EBUSY);           /* a timer */
    ck_assert_int_eq(coro_loop_cancel(&loop, &a.h), 0);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &cb_init(&b, "B", act_close)->h), 0);
    ck_assert_int_eq(coro_loop_close(&loop), CORO_EBUSY);           /* a callback */
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(b.rc, CORO_EBUSY);                             /* running */
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, NULL, 16), 0);
    ck_assert_int_eq(coro_loop_close(&loop), CORO_EBUSY);           /* fds */
    coro_io_loop_close(&iol, &loop);
    ck_assert_int_eq(coro_loop_close(&loop), 0);
    ck_assert_ptr_null(loop.heap);
    ck_assert_int_eq(coro_loop_call_later(&loop, &a.h, 1), CORO_EFULL);
    ck_assert_trace("B@1");
}
END_TEST

/* asyncio.all_tasks() and task names: a table of live tasks; a task leaves
 * it when it ends (the last one takes its slot); a full table refuses a
 * start with CORO_EFULL and changes nothing. */
START_TEST(test_live_tasks_are_walked_with_their_names)
{
    static struct failer t[4];
    struct coro_task_slot slots[3];
    const char *name = "x";
    memset(t, 0, sizeof t);
    ck_assert_int_eq(coro_task_set_name(&t[0].task, "no"), CORO_EINVAL);    /* not live */
    ck_assert_int_eq(coro_loop_set_tasks(&loop, NULL, 3), CORO_EINVAL);
    ck_assert_int_eq(coro_loop_set_tasks(&loop, slots, 3), 0);
    t[0].d = 3 * CORO_SEC;
    t[1].d = 1 * CORO_SEC;
    t[2].d = 2 * CORO_SEC;
    ck_assert_int_eq(coro_task_start(&t[0].task, &loop, failer_body), 0);
    ck_assert_int_eq(coro_task_start(&t[1].task, &loop, failer_body), 0);
    ck_assert_int_eq(coro_task_start(&t[2].task, &loop, failer_body), 0);
    ck_assert_int_eq(coro_task_start(&t[3].task, &loop, failer_body), CORO_EFULL);
    ck_assert(!t[3].task.h.u.idle);                                    /* not queued */
    ck_assert_int_eq(coro_loop_set_tasks(&loop, slots, 3), CORO_EBUSY);
    ck_assert_int_eq(coro_task_set_name(&t[0].task, "zero"), 0);
    ck_assert_int_eq(coro_task_set_name(&t[2].task, "two"), 0);
    ck_assert_uint_eq(coro_loop_task_count(&loop), 3);
    ck_assert_ptr_eq(coro_loop_task(&loop, 0, &name), &t[0].task);
    ck_assert_str_eq(name, "zero");
    ck_assert_ptr_eq(coro_loop_task(&loop, 1, &name), &t[1].task);
    ck_assert_ptr_null(name);
    ck_assert_ptr_eq(coro_loop_task(&loop, 2, NULL), &t[2].task);
    ck_assert_ptr_null(coro_loop_task(&loop, 3, NULL));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &t[1].task.fut, NULL), 0);
    ck_assert_uint_eq(coro_loop_task_count(&loop), 2);
    ck_assert_ptr_eq(coro_loop_task(&loop, 1, &name), &t[2].task);   /* moved */
    ck_assert_str_eq(name, "two");
    ck_assert_str_eq(coro_task_name(&t[2].task), "two");
    ck_assert_ptr_null(coro_task_name(&t[1].task));                   /* done */
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &t[0].task.fut, NULL), 0);
    ck_assert_uint_eq(coro_loop_task_count(&loop), 0);
    ck_assert_int_eq(coro_loop_close(&loop), 0);
}
END_TEST

static void on_error(struct coro_loop *l, struct coro_task *t, int err)
{
    ck_assert_ptr_eq(l, &loop);
    ck_assert(coro_future_done(&t->fut));
    trace("%s:E%d@%lld", ((struct failer *)(void *)t)->tag, err,
          (long long)(coro_loop_time(l) / CORO_SEC));
}

/* An error nobody awaits is reported when its task ends: A fails at 1 s
 * with nothing awaiting it (reported); B fails awaited by C (C gets it, so
 * does nobody else: C fails in turn, unawaited: reported); D is cancelled
 * (never reported); E fails with a done callback (not reported); F is
 * run_until_complete's future (not reported). Deterministic on the virtual
 * clock; nothing is printed. */
START_TEST(test_an_error_nobody_awaits_goes_to_the_error_hook_when_its_task_ends)
{
    static struct failer x[6];
    static const char *const tags[] = { "A", "B", "C", "D", "E", "F" };
    struct cb e;
    int i;
    memset(x, 0, sizeof x);
    for (i = 0; i < 6; i++) {
        x[i].tag = tags[i];
        x[i].d = CORO_SEC;
        x[i].err = 10 + i;
    }
    x[1].d = 2 * CORO_SEC;
    x[2].f = &x[1].task.fut;
    x[5].d = 4 * CORO_SEC;
    coro_loop_set_error_hook(&loop, on_error);
    for (i = 0; i < 6; i++)
        ck_assert_int_eq(coro_task_start(&x[i].task, &loop, failer_body), 0);
    ck_assert_int_eq(coro_future_add_done_callback(&x[4].task.fut,
                                                   &cb_init(&e, "cbE", NULL)->h), 0);
    ck_assert_int_eq(coro_task_cancel(&x[3].task), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &x[5].task.fut, NULL), 15);
    ck_assert_trace("A:E10@1 cbE@1 C:E11@2");
}
END_TEST


/* ---- the task dump (19) -------------------------------------------------- */

static unsigned line_leaf, line_mid, line_top, line_plain;

struct leaf_gen {
    struct coro co;
};

static int leaf_body(struct coro *co)
{
    CORO_BEGIN(co);
    line_leaf = __LINE__; CORO_SLEEP(co, &loop, 5 * CORO_SEC);
    CORO_END(co);
}

struct mid_gen {
    struct coro co;
    struct leaf_gen leaf;
    coro_value r;
};

static int mid_body(struct coro *co)
{
    struct mid_gen *m = (struct mid_gen *)co;
    CORO_BEGIN(co);
    coro_init(&m->leaf.co, leaf_body);
    line_mid = __LINE__; CORO_AWAIT(co, &m->leaf.co, m->r);
    CORO_END(co);
}

struct top_task {
    struct coro_task task;
    struct mid_gen mid;
    coro_value r;
};

static int top_body(struct coro *co)
{
    struct top_task *t = (struct top_task *)co;
    CORO_BEGIN(co);
    coro_init(&t->mid.co, mid_body);
    line_top = __LINE__; CORO_AWAIT(co, &t->mid.co, t->r);
    CORO_END(co);
}

static int plain_body(struct coro *co)
{
    CORO_BEGIN(co);
    line_plain = __LINE__; CORO_SLEEP(co, &loop, CORO_SEC);
    CORO_END(co);
}

static void dump_line(void *arg, struct coro_task *t, const char *name, unsigned depth,
                      const char *file, unsigned line)
{
    (void)arg;
    (void)t;
    trace("%s#%u:%s:%u", name ? name : "?", depth, file ? file : "-", line);
}

/* Each live task, where it is suspended, innermost frame first through its
 * whole yield-from chain, file and line as coro_where gives them (line 0
 * for a task that has not started). */
START_TEST(test_task_dump_lists_each_frame_of_each_live_task_innermost_first)
{
    static struct top_task top;
    static struct failer other;
    struct coro_task_slot slots[4];
    char want[512];
    memset(&top, 0, sizeof top);
    memset(&other, 0, sizeof other);
    ck_assert_int_eq(coro_loop_set_tasks(&loop, slots, 4), 0);
    ck_assert_int_eq(coro_loop_dump(&loop, dump_line, NULL), 0);
    ck_assert_int_eq(coro_task_start(&top.task, &loop, top_body), 0);
    ck_assert_int_eq(coro_task_set_name(&top.task, "top"), 0);
    ck_assert_int_eq(coro_task_start(&other.task, &loop, plain_body), 0);
    ck_assert_int_eq(coro_loop_dump(&loop, dump_line, NULL), 2);   /* not started */
    trace("|");
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_ptr_eq(coro_task_frame(&top.task, 0), &top.mid.leaf.co);
    ck_assert_ptr_null(coro_task_frame(&top.task, 3));
    ck_assert_int_eq(coro_loop_dump(&loop, dump_line, NULL), 4);
    snprintf(want, sizeof want, "top#0:%s:0 ?#0:%s:0 | top#0:%s:%u top#1:%s:%u top#2:%s:%u ?#0:%s:%u",
             __FILE__, __FILE__, __FILE__, line_leaf, __FILE__, line_mid, __FILE__, line_top,
             __FILE__, line_plain);
    ck_assert_str_eq(trace_str(), want);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &top.task.fut, NULL), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("edges");
    TCase *tc = check_tcase(s, "run", setup, NULL, 0);
    tcase_add_test(tc, test_run_until_complete_runs_the_final_iteration_and_its_due_timers);
    tcase_add_test(tc, test_run_until_complete_of_a_done_future_runs_one_iteration);
    tcase_add_test(tc, test_running_a_running_loop_is_ebusy_and_changes_nothing);

    tc = check_tcase(s, "misuse", setup, NULL, 0);
    tcase_add_test(tc, test_task_start_on_a_live_task_is_ebusy_and_changes_nothing);
    tcase_add_test(tc, test_future_init_with_waiters_is_ebusy_and_keeps_them);
    tcase_add_test(tc, test_awaiting_a_future_of_another_loop_raises_eloop_at_the_await);

    tc = check_tcase(s, "lifecycle", setup, NULL, 0);
    tcase_add_test(tc, test_loop_close_is_ebusy_while_anything_is_scheduled_then_holds_nothing);
    tcase_add_test(tc, test_live_tasks_are_walked_with_their_names);
    tcase_add_test(tc, test_an_error_nobody_awaits_goes_to_the_error_hook_when_its_task_ends);
    tcase_add_test(tc, test_task_dump_lists_each_frame_of_each_live_task_innermost_first);

    tc = check_tcase(s, "close", setup, NULL, 0);
    tcase_add_test(tc, test_io_loop_close_wakes_a_waiting_task_with_eclosed);

    /* the old quadratic cancels took about 10 s (waiters) or overflowed the
     * stack (chain); linear ones take a few ms */
    tc = check_tcase(s, "scale", setup, NULL, 8);
    tcase_add_test(tc, test_cancel_of_a_100000_deep_await_chain_is_iterative_and_linear);
    tcase_add_test(tc, test_cancelling_100000_lock_waiters_last_first_is_linear);

    tc = check_tcase(s, "time", setup, NULL, 0);
    tcase_add_test(tc, test_sleep_forever_saturates_at_the_end_of_time);
    tcase_add_test(tc, test_past_deadlines_run_at_once_and_never_read_as_forever);
    tcase_add_test(tc, test_call_later_saturates);
    tcase_add_test(tc, test_wait_for_huge_timeout_saturates);

    tc = check_tcase(s, "wait_for", setup, NULL, 0);
    tcase_add_test(tc, test_wait_for_timeout_zero_or_negative_cancels_at_once);
    tcase_add_test(tc, test_wait_for_inner_done_in_the_iteration_of_the_timeout_gives_its_result);
    return check_run(s);
}
