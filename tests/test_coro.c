/* SPDX-License-Identifier: MIT */
/*
 * test_coro.c -- the Check suite of coro.h: Python's generators (PEP 255, 342,
 * 380) as switch-based resumable functions, tested against CPython 3.11.
 *
 * Where order matters a test records events with trace.h and compares them
 * with what CPython 3.11 prints for the equivalent Python program, written in
 * the comment above the test and run with python3 to get the expected line
 * (never taken from coro.h). Every program runs after this prelude: the same
 * recorder, and the Python twins of the helper bodies of this file.
 *
 * Python prelude:
 *     import atexit, inspect, sys
 *     T = []
 *     class E(Exception):                       # user error n (a positive int)
 *         def __init__(self, n): super().__init__(n); self.n = n
 *     def show(v): return 'none' if v is None else str(v)
 *     def name(e):                              # trace_errname()
 *         if e is None: return '0'
 *         if isinstance(e, E): return 'E%d' % e.n
 *         if isinstance(e, GeneratorExit): return 'exit'     # CORO_EXIT
 *         if isinstance(e, RuntimeError): return 'ignored'   # CORO_EIGNORED
 *         if isinstance(e, ValueError): return 'busy'        # CORO_EBUSY
 *         if isinstance(e, TypeError): return 'inval'        # CORO_EINVAL
 *         raise e
 *     def pending(): return name(sys.exc_info()[1])         # coro_error()
 *     def state(g): return inspect.getgeneratorstate(g)[4:] # coro_state()
 *     def step(op, *args):                      # step_next/send/throw/close()
 *         try: v = op(*args)
 *         except StopIteration as s: T.append('ret:' + show(s.value)); return
 *         except BaseException as e: T.append('err:' + name(e)); return
 *         T.append(('ret:' if op.__name__ == 'close' else 'y:') + show(v))
 *     atexit.register(lambda: print(' '.join(T)))  # the line compared
 *     def forward(sub):                         # forward_body()
 *         return (yield from sub)
 *     def seven():                              # seven_body()
 *         yield 1
 *         return 7
 *     def adder(tag):                           # adder_body()
 *         x = yield 1
 *         T.append(tag + 'sent:' + show(x))
 *         y = yield 2
 *         T.append(tag + 'sent:' + show(y))
 *         return (x or 0) + (y or 0)
 *     def catcher(tag, exc=(), then='yield'):   # catcher_body()
 *         try:
 *             T.append(tag + 'start')
 *             try:
 *                 x = yield 1
 *                 T.append(tag + 'sent:' + show(x))
 *             except exc as e:
 *                 T.append(tag + 'caught:' + name(e))
 *                 if then == 'return': return 5
 *                 if then == 'raise': raise E(9)
 *                 if then == 'yield':
 *                     x = yield 2
 *                     T.append(tag + 'sent:' + show(x))
 *         finally:
 *             T.append(tag + 'fin:' + pending())
 *     def deleg(tag, sub, exc=()):              # deleg_body()
 *         try:
 *             r = -1
 *             try:
 *                 r = yield from sub
 *                 T.append(tag + 'r:' + show(r))
 *             except exc as e:
 *                 T.append(tag + 'caught:' + name(e))
 *             x = yield 9
 *             T.append(tag + 'sent:' + show(x))
 *             return r
 *         finally:
 *             T.append(tag + 'fin:' + pending())
 *     def fin(mode):                            # fin_body()
 *         try:
 *             yield 1
 *             if mode == 'return': return 5
 *             if mode != 'end': raise E(3)
 *             T.append('end')
 *         finally:
 *             T.append('fin:' + pending())
 *             if mode == 'return in finally': return 8
 *             if mode == 'raise in finally': raise E(6)
 *
 * Documented differences from CPython, not tested as CPython: close() returns
 * the value of a body that catches CORO_EXIT and returns (Python 3.13; 3.11
 * returns None); one generator cannot be delegated to by two delegators at
 * once. Try blocks themselves are tested in test_try.c.
 */
#include <check.h>
#include "check_main.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coro.h"
#include "trace.h"

/* ---- Helpers ----------------------------------------------------------- */

/* The frame of the helper bodies: the header and what lives across a
 * suspension. */
struct gen {
    struct coro co;
    const char *tag;   /* prefix of the body's events: "" or "inner:" */
    struct coro *sub;  /* what the body yields from */
    int catches;       /* its except clause: see catches() */
    int then;          /* catcher_body(): what it does after catching */
    coro_value r, x;   /* a yield from's result, a saved sent value */
    int i, j, total;   /* loop state */
    struct coro_try fin;     /* try: ... finally: of the body */
};

/* except clause: 0 is `except ()`, USER is `except E`, a library code is
 * `except GeneratorExit` (CORO_EXIT), RuntimeError (CORO_EIGNORED), ... */
#define USER 1
enum then { THEN_YIELD, THEN_RETURN, THEN_RAISE, THEN_PASS };

static int catches(int clause, int err)
{
    return clause == USER ? err > 0 : clause != 0 && err == clause;
}

static struct coro *gen_init(struct gen *g, coro_fn fn, const char *tag, struct coro *sub)
{
    memset(g, 0, sizeof *g);
    coro_init(&g->co, fn);
    g->tag = tag;
    g->sub = sub;
    return &g->co;
}

/* tag + what: "inner:" "sent" -> "inner:sent" */
static const char *tagged(const char *tag, const char *what)
{
    static char buf[4][64];
    static unsigned n;
    char *s = buf[n++ % 4];
    snprintf(s, sizeof buf[0], "%s%s", tag, what);
    return s;
}

/* Generators a body looks at or resumes (Python's globals). */
static struct coro *peer_o, *peer_m, *peer_i;

/* One operation, recorded as step() of the prelude records it. */
static int step_next(struct coro *g)
{
    coro_value out = coro_int(-999);
    return trace_result(coro_next(g, &out), out);
}

static int step_send(struct coro *g, coro_value v)
{
    coro_value out = coro_int(-999);
    return trace_result(coro_send(g, v, &out), out);
}

static int step_throw(struct coro *g, int err)
{
    coro_value out = coro_int(-999);
    return trace_result(coro_throw(g, err, &out), out);
}

static int step_close(struct coro *g)
{
    coro_value out = coro_int(-999);
    return trace_result(coro_close(g, &out), out);
}

static unsigned forward_line;   /* the line of its yield from */

static int forward_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    forward_line = __LINE__; CORO_YIELD_FROM(co, f->sub, f->r);
    CORO_RETURN(co, f->r);
    CORO_END(co);
}

static int seven_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1));
    CORO_RETURN(co, coro_int(7));
    CORO_END(co);
}

static intptr_t int_or_0(coro_value v)
{
    return v.type == CORO_INT ? v.v.i : 0;
}

static int adder_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1));
    f->x = coro_sent(co);
    trace_value(tagged(f->tag, "sent"), f->x);
    CORO_YIELD(co, coro_int(2));
    trace_value(tagged(f->tag, "sent"), coro_sent(co));
    CORO_RETURN(co, coro_int(int_or_0(f->x) + int_or_0(coro_sent(co))));
    CORO_END(co);
}

static int catcher_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    int err;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%sstart", f->tag);
        CORO_YIELD_CATCH(co, coro_int(1), err);
        if (!err) {
            trace_value(tagged(f->tag, "sent"), coro_sent(co));
        } else if (!catches(f->catches, err)) {
            CORO_RAISE(co, err);
        } else {
            trace_error(tagged(f->tag, "caught"), err);
            if (f->then == THEN_RETURN)
                CORO_RETURN(co, coro_int(5));
            if (f->then == THEN_RAISE)
                CORO_RAISE(co, 9);
            if (f->then == THEN_YIELD) {
                CORO_YIELD(co, coro_int(2));
                trace_value(tagged(f->tag, "sent"), coro_sent(co));
            }
        }
    } CORO_FINALLY(co, &f->fin) {
        trace_error(tagged(f->tag, "fin"), coro_error(&f->fin));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static struct coro *catcher(struct gen *g, const char *tag, int clause, enum then then)
{
    gen_init(g, catcher_body, tag, NULL);
    g->catches = clause;
    g->then = then;
    return &g->co;
}

/* Without an except clause it uses CORO_YIELD_FROM, with one
 * CORO_YIELD_FROM_CATCH. */
static int deleg_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    int err;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        f->r = coro_int(-1);
        if (!f->catches) {
            CORO_YIELD_FROM(co, f->sub, f->r);
            trace_value(tagged(f->tag, "r"), f->r);
        } else {
            CORO_YIELD_FROM_CATCH(co, f->sub, f->r, err);
            if (!err)
                trace_value(tagged(f->tag, "r"), f->r);
            else if (!catches(f->catches, err))
                CORO_RAISE(co, err);
            else
                trace_error(tagged(f->tag, "caught"), err);
        }
        CORO_YIELD(co, coro_int(9));
        trace_value(tagged(f->tag, "sent"), coro_sent(co));
        CORO_RETURN(co, f->r);
    } CORO_FINALLY(co, &f->fin) {
        trace_error(tagged(f->tag, "fin"), coro_error(&f->fin));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static struct coro *deleg(struct gen *g, const char *tag, struct coro *sub, int clause)
{
    gen_init(g, deleg_body, tag, sub);
    g->catches = clause;
    return &g->co;
}

/* ---- 1. Values: yield out, send in, next, return ----------------------- */

/* Python:
 *     gen = adder('')
 *     step(next, gen); step(gen.send, 5); step(gen.send, 37)
 * CPython 3.11: y:1 sent:5 y:2 sent:37 ret:42
 */
START_TEST(test_send_becomes_value_of_yield_and_return_value_reaches_caller)
{
    struct gen f;
    struct coro *g = gen_init(&f, adder_body, "", NULL);
    coro_value out = coro_none();
    step_next(g); step_send(g, coro_int(5));
    ck_assert_int_eq(coro_send(g, coro_int(37), &out), CORO_RETURNED);
    trace_value("ret", out);
    ck_assert_int_eq(out.type, CORO_INT);
    ck_assert_int_eq(out.v.i, 42);
    ck_assert_trace("y:1 sent:5 y:2 sent:37 ret:42");
}
END_TEST

static int echo_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1));
    trace("type:%d", coro_sent(co).type);
    CORO_YIELD(co, coro_none());
    trace_value("sent", coro_sent(co));
    CORO_END(co);
}

/* Python (type 0 is CORO_NONE):
 *     def g():
 *         x = yield 1
 *         T.append('type:0' if x is None else 'type:?')
 *         x = yield
 *         T.append('sent:' + show(x))
 *     gen = g()
 *     step(next, gen); step(next, gen); step(gen.send, None)
 * CPython 3.11: y:1 type:0 y:none sent:none ret:none
 */
START_TEST(test_next_sends_none_and_falling_off_end_returns_none)
{
    struct gen f;
    struct coro *g = gen_init(&f, echo_body, "", NULL);
    coro_value out = coro_int(-1);
    step_next(g);
    ck_assert_int_eq(coro_next(g, &out), CORO_YIELDED);
    ck_assert_int_eq(out.type, CORO_NONE);
    trace_value("y", out);
    out = coro_int(-1);
    ck_assert_int_eq(coro_send(g, coro_none(), &out), CORO_RETURNED);
    ck_assert_int_eq(out.type, CORO_NONE);
    trace_value("ret", out);
    ck_assert_trace("y:1 type:0 y:none sent:none ret:none");
}
END_TEST

static int object_for_pointers;

static int typed_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_double(2.5));
    f->x = coro_sent(co);               /* a double */
    CORO_YIELD(co, coro_ptr(&object_for_pointers));
    f->r = coro_sent(co);               /* a pointer */
    CORO_YIELD(co, coro_int(INTPTR_MIN));
    CORO_YIELD(co, coro_double(f->x.type == CORO_DOUBLE ? f->x.v.d * 2 : 0));
    CORO_RETURN(co, f->r);
    CORO_END(co);
}

START_TEST(test_values_hold_int_double_and_pointer)
{
    struct gen f;
    struct coro *g = gen_init(&f, typed_body, "", NULL);
    coro_value out;
    int mine = 0;
    ck_assert_int_eq(coro_next(g, &out), CORO_YIELDED);
    ck_assert_int_eq(out.type, CORO_DOUBLE);
    ck_assert_double_eq(out.v.d, 2.5);
    ck_assert_int_eq(coro_send(g, coro_double(-0.75), &out), CORO_YIELDED);
    ck_assert_int_eq(out.type, CORO_PTR);
    ck_assert_ptr_eq(out.v.p, &object_for_pointers);
    ck_assert_int_eq(coro_send(g, coro_ptr(&mine), &out), CORO_YIELDED);
    ck_assert_int_eq(out.type, CORO_INT);
    ck_assert(out.v.i == INTPTR_MIN);
    ck_assert_int_eq(coro_next(g, &out), CORO_YIELDED);
    ck_assert_int_eq(out.type, CORO_DOUBLE);
    ck_assert_double_eq(out.v.d, -1.5);
    ck_assert_int_eq(coro_next(g, &out), CORO_RETURNED);
    ck_assert_int_eq(out.type, CORO_PTR);
    ck_assert_ptr_eq(out.v.p, &mine);
    /* out may be NULL */
    g = gen_init(&f, typed_body, "", NULL);
    ck_assert_int_eq(coro_next(g, NULL), CORO_YIELDED);
    ck_assert_int_eq(coro_close(g, NULL), CORO_RETURNED);
}
END_TEST

/* ---- 2. States, names, where ------------------------------------------- */

static int self_state_body(struct coro *co)
{
    CORO_BEGIN(co);
    trace_state("self", co);
    CORO_YIELD(co, coro_int(1));
    trace_state("self", co);
    CORO_END(co);
}

/* Python:
 *     def g():
 *         T.append('self:' + state(gen))
 *         yield 1
 *         T.append('self:' + state(gen))
 *     gen = g()
 *     T.append('self:' + state(gen)); step(next, gen)
 *     T.append('self:' + state(gen)); step(next, gen)
 *     T.append('self:' + state(gen))
 * CPython 3.11: self:CREATED self:RUNNING y:1 self:SUSPENDED self:RUNNING ret:none self:CLOSED
 */
START_TEST(test_state_created_running_suspended_closed)
{
    struct gen f;
    struct coro *g = gen_init(&f, self_state_body, "", NULL);
    trace_state("self", g); step_next(g);
    trace_state("self", g); step_next(g);
    trace_state("self", g);
    ck_assert_trace("self:CREATED self:RUNNING y:1 self:SUSPENDED self:RUNNING ret:none "
                    "self:CLOSED");
}
END_TEST

static void trace_chain_states(void)
{
    trace_state("o", peer_o);
    trace_state("m", peer_m);
    trace_state("i", peer_i);
}

static int chain_state_body(struct coro *co)
{
    CORO_BEGIN(co);
    trace_chain_states();
    CORO_YIELD(co, coro_int(1));
    trace_chain_states();
    CORO_END(co);
}

/* Python:
 *     def states(): T.extend(['o:' + state(o), 'm:' + state(m), 'i:' + state(i)])
 *     def inner():
 *         states()
 *         yield 1
 *         states()
 *     i = inner(); m = forward(i); o = forward(m)
 *     step(next, o); states(); step(next, o); states()
 * CPython 3.11: o:RUNNING m:RUNNING i:RUNNING y:1 o:SUSPENDED m:SUSPENDED i:SUSPENDED o:RUNNING m:RUNNING i:RUNNING ret:none o:CLOSED m:CLOSED i:CLOSED
 */
START_TEST(test_state_running_for_child_and_its_delegators)
{
    struct gen o, m, i;
    peer_i = gen_init(&i, chain_state_body, "", NULL);
    peer_m = gen_init(&m, forward_body, "", peer_i);
    peer_o = gen_init(&o, forward_body, "", peer_m);
    step_next(peer_o); trace_chain_states(); step_next(peer_o); trace_chain_states();
    ck_assert_trace("o:RUNNING m:RUNNING i:RUNNING y:1 o:SUSPENDED m:SUSPENDED i:SUSPENDED "
                    "o:RUNNING m:RUNNING i:RUNNING ret:none o:CLOSED m:CLOSED i:CLOSED");
}
END_TEST

START_TEST(test_state_and_error_names)
{
    ck_assert_str_eq(coro_state_name(CORO_CREATED), "CREATED");
    ck_assert_str_eq(coro_state_name(CORO_SUSPENDED), "SUSPENDED");
    ck_assert_str_eq(coro_state_name(CORO_RUNNING), "RUNNING");
    ck_assert_str_eq(coro_state_name(CORO_CLOSED), "CLOSED");
    ck_assert_str_eq(coro_errname(CORO_RETURNED), "CORO_RETURNED");
    ck_assert_str_eq(coro_errname(CORO_YIELDED), "CORO_YIELDED");
    ck_assert_str_eq(coro_errname(CORO_EXIT), "CORO_EXIT");
    ck_assert_str_eq(coro_errname(CORO_EBUSY), "CORO_EBUSY");
    ck_assert_str_eq(coro_errname(CORO_EINVAL), "CORO_EINVAL");
    ck_assert_str_eq(coro_errname(CORO_EIGNORED), "CORO_EIGNORED");
    ck_assert_str_eq(coro_errname(7), "user error");
    ck_assert_str_eq(coro_errname(-5), "errno");
}
END_TEST

static unsigned where_line_1, where_line_2;

static int where_body(struct coro *co)
{
    CORO_BEGIN(co);
    where_line_1 = __LINE__; CORO_YIELD(co, coro_int(1));
    where_line_2 = __LINE__; CORO_YIELD(co, coro_int(2));
    CORO_END(co);
}

START_TEST(test_where_gives_file_and_line_of_suspension_point)
{
    struct gen fg, fo;
    struct coro *g = gen_init(&fg, where_body, "", NULL), *o;
    const char *file = NULL;
    ck_assert_uint_eq(coro_where(g, &file), 0);             /* created */
    ck_assert_str_eq(file, __FILE__);
    coro_next(g, NULL);
    ck_assert_uint_ne(where_line_1, 0);
    file = NULL;
    ck_assert_uint_eq(coro_where(g, &file), where_line_1);
    ck_assert_str_eq(file, __FILE__);
    coro_next(g, NULL);
    ck_assert_uint_eq(coro_where(g, NULL), where_line_2);
    ck_assert_uint_ne(where_line_1, where_line_2);
    ck_assert_int_eq(coro_next(g, NULL), CORO_RETURNED);
    ck_assert_uint_eq(coro_where(g, &file), 0);             /* closed */
    ck_assert_str_eq(file, __FILE__);
    /* a delegator is at its yield from; asking disturbs nothing */
    g = gen_init(&fg, where_body, "", NULL);
    o = gen_init(&fo, forward_body, "", g);
    ck_assert_int_eq(coro_next(o, NULL), CORO_YIELDED);
    ck_assert_uint_eq(coro_where(o, &file), forward_line);
    ck_assert_uint_eq(coro_where(g, &file), where_line_1);
    ck_assert_int_eq(coro_state(o), CORO_SUSPENDED);
    ck_assert_int_eq(coro_next(o, NULL), CORO_YIELDED);
    ck_assert_uint_eq(coro_where(g, NULL), where_line_2);
    ck_assert_int_eq(coro_close(o, NULL), CORO_RETURNED);
    ck_assert_uint_eq(coro_where(o, NULL), 0);
    ck_assert_uint_eq(coro_where(g, NULL), 0);
}
END_TEST

/* ---- 3. Misuse: error codes, and the generator stays usable ------------ */

/* Python:
 *     gen = catcher('')
 *     step(gen.send, 5); T.append(state(gen)); step(next, gen); step(gen.send, 6)
 * CPython 3.11: err:inval CREATED start y:1 sent:6 fin:0 ret:none
 */
START_TEST(test_send_value_to_created_is_einval_and_stays_created)
{
    struct gen f;
    struct coro *g = catcher(&f, "", 0, THEN_YIELD);
    step_send(g, coro_int(5)); trace_state(NULL, g); step_next(g); step_send(g, coro_int(6));
    ck_assert_trace("err:inval CREATED start y:1 sent:6 fin:0 ret:none");
}
END_TEST

static int busy_self_body(struct coro *co)
{
    CORO_BEGIN(co);
    step_send(co, coro_int(5)); step_next(co); step_throw(co, 1); step_close(co);
    trace_state("self", co);
    CORO_YIELD(co, coro_int(1));
    trace_value("sent", coro_sent(co));
    step_next(co);
    CORO_END(co);
}

/* Python:
 *     def g():
 *         step(gen.send, 5); step(next, gen); step(gen.throw, E(1)); step(gen.close)
 *         T.append('self:' + state(gen))
 *         x = yield 1
 *         T.append('sent:' + show(x))
 *         step(next, gen)
 *     gen = g()
 *     step(next, gen); step(gen.send, 2)
 * CPython 3.11: err:busy err:busy err:busy err:busy self:RUNNING y:1 sent:2 err:busy ret:none
 */
START_TEST(test_send_throw_close_from_own_body_is_ebusy)
{
    struct gen f;
    struct coro *g = gen_init(&f, busy_self_body, "", NULL);
    step_next(g); step_send(g, coro_int(2));
    ck_assert_trace("err:busy err:busy err:busy err:busy self:RUNNING y:1 sent:2 "
                    "err:busy ret:none");
}
END_TEST

static int busy_child_body(struct coro *co)
{
    CORO_BEGIN(co);
    step_next(peer_o); step_send(peer_o, coro_int(1)); step_throw(peer_o, 2); step_close(peer_o);
    step_next(peer_m);
    CORO_YIELD(co, coro_int(1));
    trace_value("sent", coro_sent(co));
    step_next(peer_o);
    CORO_RETURN(co, coro_int(3));
    CORO_END(co);
}

/* Python:
 *     def child():
 *         step(next, o); step(o.send, 1); step(o.throw, E(2)); step(o.close)
 *         step(next, m)
 *         x = yield 1
 *         T.append('sent:' + show(x))
 *         step(next, o)
 *         return 3
 *     c = child(); m = forward(c); o = forward(m)
 *     step(next, o); T.append(state(o)); step(o.send, 4)
 * CPython 3.11: err:busy err:busy err:busy err:busy err:busy y:1 SUSPENDED sent:4 err:busy ret:3
 */
START_TEST(test_child_resuming_its_delegator_is_ebusy)
{
    struct gen o, m, c;
    gen_init(&c, busy_child_body, "", NULL);
    peer_m = gen_init(&m, forward_body, "", &c.co);
    peer_o = gen_init(&o, forward_body, "", peer_m);
    step_next(peer_o); trace_state(NULL, peer_o); step_send(peer_o, coro_int(4));
    ck_assert_trace("err:busy err:busy err:busy err:busy err:busy y:1 SUSPENDED sent:4 "
                    "err:busy ret:3");
}
END_TEST

/* Python:
 *     gen = seven()
 *     step(next, gen); step(next, gen); step(gen.send, 5); step(next, gen)
 * CPython 3.11: y:1 ret:7 ret:none ret:none
 */
START_TEST(test_send_to_closed_returns_none)
{
    struct gen f;
    struct coro *g = gen_init(&f, seven_body, "", NULL);
    coro_value out = coro_int(-1);
    step_next(g); step_next(g);
    ck_assert_int_eq(coro_send(g, coro_int(5), &out), CORO_RETURNED);
    ck_assert_int_eq(out.type, CORO_NONE);
    trace_value("ret", out);
    step_next(g);
    ck_assert_trace("y:1 ret:7 ret:none ret:none");
}
END_TEST

START_TEST(test_throw_of_no_error_is_einval_and_generator_unchanged)
{
    struct gen f;
    struct coro *g = gen_init(&f, adder_body, "", NULL);
    coro_value out;
    ck_assert_int_eq(coro_throw(g, 0, &out), CORO_EINVAL);
    ck_assert_int_eq(coro_state(g), CORO_CREATED);
    ck_assert_int_eq(coro_next(g, &out), CORO_YIELDED);
    ck_assert_int_eq(coro_throw(g, 0, &out), CORO_EINVAL);
    ck_assert_int_eq(coro_throw(g, CORO_YIELDED, &out), CORO_EINVAL);
    ck_assert_int_eq(coro_state(g), CORO_SUSPENDED);
    ck_assert_int_eq(coro_send(g, coro_int(20), &out), CORO_YIELDED);
    ck_assert_int_eq(coro_send(g, coro_int(22), &out), CORO_RETURNED);
    ck_assert_int_eq(out.v.i, 42);
    ck_assert_trace("sent:20 sent:22");
}
END_TEST

/* Python (Me() is an iterable whose iterator is the generator `me` itself):
 *     class Me: __iter__ = lambda self: me
 *     me = a = deleg('', Me(), ValueError); step(next, a); T.append(state(a))
 *     me = b = deleg('', Me()); step(next, b); T.append(state(b))
 * CPython 3.11: caught:busy y:9 SUSPENDED fin:busy err:busy CLOSED
 */
START_TEST(test_yield_from_itself_raises_ebusy_at_the_yield_from)
{
    struct gen f1, f2;
    struct coro *g = deleg(&f1, "", NULL, CORO_EBUSY);
    f1.sub = g;
    step_next(g); trace_state(NULL, g);
    g = deleg(&f2, "", NULL, 0);
    f2.sub = g;
    step_next(g); trace_state(NULL, g);
    ck_assert_trace("caught:busy y:9 SUSPENDED fin:busy err:busy CLOSED");
}
END_TEST

START_TEST(test_null_generator_is_einval)
{
    struct gen f;
    coro_value out;
    ck_assert_int_eq(coro_send(NULL, coro_none(), &out), CORO_EINVAL);
    ck_assert_int_eq(coro_next(NULL, &out), CORO_EINVAL);
    ck_assert_int_eq(coro_throw(NULL, 3, &out), CORO_EINVAL);
    ck_assert_int_eq(coro_close(NULL, &out), CORO_EINVAL);
    /* yield from NULL raises CORO_EINVAL at the yield from */
    ck_assert_int_eq(coro_next(deleg(&f, "", NULL, 0), &out), CORO_EINVAL);
    ck_assert_int_eq(coro_state(&f.co), CORO_CLOSED);
    ck_assert_trace("fin:inval");
}
END_TEST

/* ---- 4. throw ---------------------------------------------------------- */

/* Python:
 *     gen = catcher('', E)
 *     step(next, gen); step(gen.throw, E(5)); step(gen.send, 9)
 * CPython 3.11: start y:1 caught:E5 y:2 sent:9 fin:0 ret:none
 */
START_TEST(test_throw_caught_and_body_yields_again)
{
    struct gen f;
    struct coro *g = catcher(&f, "", USER, THEN_YIELD);
    step_next(g); ck_assert_int_eq(step_throw(g, 5), CORO_YIELDED); step_send(g, coro_int(9));
    ck_assert_trace("start y:1 caught:E5 y:2 sent:9 fin:0 ret:none");
}
END_TEST

/* Python:
 *     gen = catcher('', E, 'return')
 *     step(next, gen); step(gen.throw, E(5)); T.append(state(gen))
 * CPython 3.11: start y:1 caught:E5 fin:0 ret:5 CLOSED
 */
START_TEST(test_throw_caught_and_body_returns_value)
{
    struct gen f;
    struct coro *g = catcher(&f, "", USER, THEN_RETURN);
    step_next(g); ck_assert_int_eq(step_throw(g, 5), CORO_RETURNED); trace_state(NULL, g);
    ck_assert_trace("start y:1 caught:E5 fin:0 ret:5 CLOSED");
}
END_TEST

/* Python:
 *     gen = catcher('', E, 'pass')
 *     step(next, gen); step(gen.throw, E(5))
 * CPython 3.11: start y:1 caught:E5 fin:0 ret:none
 */
START_TEST(test_throw_caught_is_no_longer_pending_in_finally)
{
    struct gen f;
    struct coro *g = catcher(&f, "", USER, THEN_PASS);
    step_next(g); ck_assert_int_eq(step_throw(g, 5), CORO_RETURNED);
    ck_assert_trace("start y:1 caught:E5 fin:0 ret:none");
}
END_TEST

/* Python:
 *     gen = catcher('')
 *     step(next, gen); step(gen.throw, E(5)); T.append(state(gen)); step(next, gen)
 * CPython 3.11: start y:1 fin:E5 err:E5 CLOSED ret:none
 */
START_TEST(test_throw_not_caught_runs_finally_and_closes)
{
    struct gen f;
    struct coro *g = catcher(&f, "", 0, THEN_YIELD);
    step_next(g); ck_assert_int_eq(step_throw(g, 5), 5); trace_state(NULL, g); step_next(g);
    ck_assert_trace("start y:1 fin:E5 err:E5 CLOSED ret:none");
}
END_TEST

/* Python:
 *     gen = catcher('')
 *     step(gen.throw, E(3)); T.append(state(gen)); step(next, gen)
 * CPython 3.11: err:E3 CLOSED ret:none
 */
START_TEST(test_throw_into_created_does_not_run_body)
{
    struct gen f;
    struct coro *g = catcher(&f, "", 0, THEN_YIELD);
    step_throw(g, 3); trace_state(NULL, g); step_next(g);
    ck_assert_trace("err:E3 CLOSED ret:none");
}
END_TEST

/* Python:
 *     gen = seven()
 *     step(next, gen); step(next, gen); step(gen.throw, E(4)); T.append(state(gen))
 * CPython 3.11: y:1 ret:7 err:E4 CLOSED
 */
START_TEST(test_throw_into_closed_returns_the_error)
{
    struct gen f;
    struct coro *g = gen_init(&f, seven_body, "", NULL);
    step_next(g); step_next(g); step_throw(g, 4); trace_state(NULL, g);
    ck_assert_trace("y:1 ret:7 err:E4 CLOSED");
}
END_TEST

/* throw(GeneratorExit) is an ordinary throw, unlike close(): it is raised to
 * the caller, also by a created or closed generator, and a body that catches
 * it may yield.
 * Python:
 *     a = catcher(''); step(a.throw, GeneratorExit); T.append(state(a))
 *     b = catcher(''); step(next, b); step(b.throw, GeneratorExit); step(b.throw, GeneratorExit)
 *     c = catcher('', GeneratorExit); step(next, c); step(c.throw, GeneratorExit); step(next, c)
 * CPython 3.11: err:exit CLOSED start y:1 fin:exit err:exit err:exit start y:1 caught:exit y:2 sent:none fin:0 ret:none
 */
START_TEST(test_throw_exit_raises_exit_like_any_error)
{
    struct gen fa, fb, fc;
    struct coro *a = catcher(&fa, "", 0, THEN_YIELD);
    struct coro *b = catcher(&fb, "", 0, THEN_YIELD);
    struct coro *c = catcher(&fc, "", CORO_EXIT, THEN_YIELD);
    step_throw(a, CORO_EXIT); trace_state(NULL, a);
    step_next(b); step_throw(b, CORO_EXIT); step_throw(b, CORO_EXIT);
    step_next(c); step_throw(c, CORO_EXIT); step_next(c);
    ck_assert_trace("err:exit CLOSED start y:1 fin:exit err:exit err:exit start y:1 "
                    "caught:exit y:2 sent:none fin:0 ret:none");
}
END_TEST

/* ---- 5. close ---------------------------------------------------------- */

/* Python:
 *     gen = catcher('')
 *     step(gen.close); T.append(state(gen)); step(next, gen)
 * CPython 3.11: ret:none CLOSED ret:none
 */
START_TEST(test_close_created_does_not_run_body)
{
    struct gen f;
    struct coro *g = catcher(&f, "", 0, THEN_YIELD);
    step_close(g); trace_state(NULL, g); step_next(g);
    ck_assert_trace("ret:none CLOSED ret:none");
}
END_TEST

/* Python:
 *     gen = catcher('')
 *     step(next, gen); step(gen.close); T.append(state(gen)); step(gen.close)
 * CPython 3.11: start y:1 fin:exit ret:none CLOSED ret:none
 */
START_TEST(test_close_suspended_runs_finally_and_returns_none)
{
    struct gen f;
    struct coro *g = catcher(&f, "", 0, THEN_YIELD);
    coro_value out = coro_int(-1);
    step_next(g);
    ck_assert_int_eq(coro_close(g, &out), CORO_RETURNED);
    ck_assert_int_eq(out.type, CORO_NONE);
    trace_value("ret", out);
    trace_state(NULL, g); step_close(g);
    ck_assert_trace("start y:1 fin:exit ret:none CLOSED ret:none");
}
END_TEST

/* close() returns the body's value as Python 3.13 does (3.11 returns None).
 * Python:
 *     gen = catcher('', GeneratorExit, 'return')
 *     step(next, gen); step(gen.close); T.append(state(gen))
 * CPython 3.11: start y:1 caught:exit fin:0 ret:none CLOSED
 * CPython 3.13: start y:1 caught:exit fin:0 ret:5 CLOSED
 */
START_TEST(test_close_caught_exit_and_returned_value_is_returned)
{
    struct gen f;
    struct coro *g = catcher(&f, "", CORO_EXIT, THEN_RETURN);
    step_next(g); ck_assert_int_eq(step_close(g), CORO_RETURNED); trace_state(NULL, g);
    ck_assert_trace("start y:1 caught:exit fin:0 ret:5 CLOSED");
}
END_TEST

/* Python:
 *     gen = catcher('', GeneratorExit)
 *     step(next, gen); step(gen.close); T.append(state(gen)); step(gen.send, 3)
 * CPython 3.11: start y:1 caught:exit err:ignored SUSPENDED sent:3 fin:0 ret:none
 */
START_TEST(test_close_body_yields_is_eignored_and_stays_suspended)
{
    struct gen f;
    struct coro *g = catcher(&f, "", CORO_EXIT, THEN_YIELD);
    step_next(g); ck_assert_int_eq(step_close(g), CORO_EIGNORED);
    trace_state(NULL, g); step_send(g, coro_int(3));
    ck_assert_trace("start y:1 caught:exit err:ignored SUSPENDED sent:3 fin:0 ret:none");
}
END_TEST

/* Python:
 *     gen = catcher('', GeneratorExit, 'raise')
 *     step(next, gen); step(gen.close); T.append(state(gen))
 * CPython 3.11: start y:1 caught:exit fin:E9 err:E9 CLOSED
 */
START_TEST(test_close_body_raises_other_error_returns_it)
{
    struct gen f;
    struct coro *g = catcher(&f, "", CORO_EXIT, THEN_RAISE);
    step_next(g); ck_assert_int_eq(step_close(g), 9); trace_state(NULL, g);
    ck_assert_trace("start y:1 caught:exit fin:E9 err:E9 CLOSED");
}
END_TEST

/* Python:
 *     gen = seven()
 *     step(next, gen); step(next, gen); step(gen.close); step(gen.close); T.append(state(gen))
 * CPython 3.11: y:1 ret:7 ret:none ret:none CLOSED
 */
START_TEST(test_close_closed_returns_returned)
{
    struct gen f;
    struct coro *g = gen_init(&f, seven_body, "", NULL);
    step_next(g); step_next(g); step_close(g); step_close(g); trace_state(NULL, g);
    ck_assert_trace("y:1 ret:7 ret:none ret:none CLOSED");
}
END_TEST

/* ---- 6. CORO_FINALLY --------------------------------------------------- */

/* One body for every way out: fin(mode) of the prelude. */
enum fin_mode { FIN_END, FIN_RETURN, FIN_RAISE, FIN_RETURN_IN_FINALLY, FIN_RAISE_IN_FINALLY };

static int fin_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        CORO_YIELD(co, coro_int(1));
        if (f->i == FIN_RETURN)
            CORO_RETURN(co, coro_int(5));
        if (f->i != FIN_END)
            CORO_RAISE(co, 3);
        trace("end");
    } CORO_FINALLY(co, &f->fin) {
        trace_error("fin", coro_error(&f->fin));
        if (f->i == FIN_RETURN_IN_FINALLY)
            CORO_RETURN(co, coro_int(8));
        if (f->i == FIN_RAISE_IN_FINALLY)
            CORO_RAISE(co, 6);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static struct coro *fin(struct gen *g, enum fin_mode mode)
{
    gen_init(g, fin_body, "", NULL);
    g->i = mode;
    return &g->co;
}

/* Python:
 *     a = fin('end'); step(next, a); step(next, a); step(next, a); step(a.close)
 *     b = fin('return'); step(next, b); step(next, b); step(next, b)
 * CPython 3.11: y:1 end fin:0 ret:none ret:none ret:none y:1 fin:0 ret:5 ret:none
 */
START_TEST(test_finally_runs_once_on_falling_off_end_and_on_return)
{
    struct gen fa, fb;
    struct coro *a = fin(&fa, FIN_END), *b = fin(&fb, FIN_RETURN);
    step_next(a); step_next(a); step_next(a); step_close(a);
    step_next(b); step_next(b); step_next(b);
    ck_assert_trace("y:1 end fin:0 ret:none ret:none ret:none y:1 fin:0 ret:5 ret:none");
}
END_TEST

/* Python:
 *     a = fin('raise'); step(next, a); step(next, a); step(next, a)
 *     b = fin('end'); step(next, b); step(b.close); step(b.close); step(next, b)
 * CPython 3.11: y:1 fin:E3 err:E3 ret:none y:1 fin:exit ret:none ret:none ret:none
 */
START_TEST(test_finally_runs_once_on_error_and_on_close_with_it_pending)
{
    struct gen fa, fb;
    struct coro *a = fin(&fa, FIN_RAISE), *b = fin(&fb, FIN_END);
    step_next(a); step_next(a); step_next(a);
    step_next(b); step_close(b); step_close(b); step_next(b);
    ck_assert_trace("y:1 fin:E3 err:E3 ret:none y:1 fin:exit ret:none ret:none ret:none");
}
END_TEST

/* Python:
 *     a = fin('return in finally'); step(next, a); step(next, a)
 *     b = fin('return in finally'); step(next, b); step(b.throw, E(4))
 * CPython 3.11: y:1 fin:E3 ret:8 y:1 fin:E4 ret:8
 */
START_TEST(test_return_in_finally_replaces_pending_error)
{
    struct gen fa, fb;
    struct coro *a = fin(&fa, FIN_RETURN_IN_FINALLY), *b = fin(&fb, FIN_RETURN_IN_FINALLY);
    step_next(a); ck_assert_int_eq(step_next(a), CORO_RETURNED);
    step_next(b); ck_assert_int_eq(step_throw(b, 4), CORO_RETURNED);
    ck_assert_trace("y:1 fin:E3 ret:8 y:1 fin:E4 ret:8");
}
END_TEST

/* Python:
 *     a = fin('raise in finally'); step(next, a); step(next, a)
 *     b = fin('raise in finally'); step(next, b); step(b.close); T.append(state(b))
 * CPython 3.11: y:1 fin:E3 err:E6 y:1 fin:exit err:E6 CLOSED
 */
START_TEST(test_raise_in_finally_replaces_pending_error)
{
    struct gen fa, fb;
    struct coro *a = fin(&fa, FIN_RAISE_IN_FINALLY), *b = fin(&fb, FIN_RAISE_IN_FINALLY);
    step_next(a); ck_assert_int_eq(step_next(a), 6);
    step_next(b); ck_assert_int_eq(step_close(b), 6); trace_state(NULL, b);
    ck_assert_trace("y:1 fin:E3 err:E6 y:1 fin:exit err:E6 CLOSED");
}
END_TEST

/* ---- 7. yield from (PEP 380) ------------------------------------------- */

/* Python:
 *     gen = deleg('outer:', adder('child:'))
 *     step(next, gen); step(gen.send, 10); step(gen.send, 20); step(gen.send, 30)
 * CPython 3.11: y:1 child:sent:10 y:2 child:sent:20 outer:r:30 y:9 outer:sent:30 outer:fin:0 ret:30
 */
START_TEST(test_yield_from_passes_yields_out_sends_in_and_return_value_back)
{
    struct gen fo, fc;
    struct coro *o = deleg(&fo, "outer:", gen_init(&fc, adder_body, "child:", NULL), 0);
    step_next(o); step_send(o, coro_int(10)); step_send(o, coro_int(20));
    step_send(o, coro_int(30));
    ck_assert_trace("y:1 child:sent:10 y:2 child:sent:20 outer:r:30 y:9 outer:sent:30 "
                    "outer:fin:0 ret:30");
}
END_TEST

/* The bottom/middle/top example: each frame holds its child's frame. */
struct bottom { struct coro co; };
struct middle { struct coro co; struct bottom b; coro_value r; };
struct top { struct coro co; struct middle m; coro_value r; };

static int bottom_body(struct coro *co)     /* return (yield 42) */
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(42));
    CORO_RETURN(co, coro_sent(co));
    CORO_END(co);
}

static int middle_body(struct coro *co)     /* return (yield from bottom()) */
{
    struct middle *f = (struct middle *)co;
    CORO_BEGIN(co);
    coro_init(&f->b.co, bottom_body);
    CORO_YIELD_FROM(co, &f->b.co, f->r);
    CORO_RETURN(co, f->r);
    CORO_END(co);
}

static int top_body(struct coro *co)        /* return (yield from middle()) */
{
    struct top *f = (struct top *)co;
    CORO_BEGIN(co);
    coro_init(&f->m.co, middle_body);
    CORO_YIELD_FROM(co, &f->m.co, f->r);
    CORO_RETURN(co, f->r);
    CORO_END(co);
}

/* Python (tests/reference/generators.out prints 42 then 84):
 *     def bottom(): return (yield 42)
 *     def middle(): return (yield from bottom())
 *     def top(): return (yield from middle())
 *     gen = top()
 *     step(next, gen); step(gen.send, 84)
 * CPython 3.11: y:42 ret:84
 */
START_TEST(test_bottom_middle_top_gives_42_then_84)
{
    struct top t;
    coro_value v;
    coro_init(&t.co, top_body);
    ck_assert_int_eq(coro_next(&t.co, &v), CORO_YIELDED);
    trace_value("y", v);
    ck_assert_int_eq(coro_send(&t.co, coro_int(v.v.i * 2), &v), CORO_RETURNED);
    trace_value("ret", v);
    ck_assert_int_eq(coro_state(&t.m.b.co), CORO_CLOSED);
    ck_assert_int_eq(coro_state(&t.m.co), CORO_CLOSED);
    ck_assert_trace("y:42 ret:84");
}
END_TEST

/* Python:
 *     gen = deleg('outer:', catcher('child:', E))
 *     step(next, gen); step(gen.throw, E(7)); step(next, gen)
 * CPython 3.11: child:start y:1 child:caught:E7 y:2 child:sent:none child:fin:0 outer:r:none y:9
 */
START_TEST(test_throw_goes_to_child_which_catches_and_yields)
{
    struct gen fo, fc;
    struct coro *o = deleg(&fo, "outer:", catcher(&fc, "child:", USER, THEN_YIELD), 0);
    step_next(o); ck_assert_int_eq(step_throw(o, 7), CORO_YIELDED); step_next(o);
    ck_assert_trace("child:start y:1 child:caught:E7 y:2 child:sent:none child:fin:0 "
                    "outer:r:none y:9");
}
END_TEST

/* Python:
 *     gen = deleg('outer:', catcher('child:', E, 'return'))
 *     step(next, gen); step(gen.throw, E(7)); step(gen.send, 4)
 * CPython 3.11: child:start y:1 child:caught:E7 child:fin:0 outer:r:5 y:9 outer:sent:4 outer:fin:0 ret:5
 */
START_TEST(test_throw_goes_to_child_which_returns_and_delegator_resumes_with_value)
{
    struct gen fo, fc;
    struct coro *o = deleg(&fo, "outer:", catcher(&fc, "child:", USER, THEN_RETURN), 0);
    step_next(o); ck_assert_int_eq(step_throw(o, 7), CORO_YIELDED); step_send(o, coro_int(4));
    ck_assert_trace("child:start y:1 child:caught:E7 child:fin:0 outer:r:5 y:9 outer:sent:4 "
                    "outer:fin:0 ret:5");
}
END_TEST

/* Python (r keeps its -1: the yield from raised):
 *     c = catcher('child:'); gen = deleg('outer:', c, E)
 *     step(next, gen); step(gen.throw, E(7)); T.append(state(c)); step(next, gen)
 * CPython 3.11: child:start y:1 child:fin:E7 outer:caught:E7 y:9 CLOSED outer:sent:none outer:fin:0 ret:-1
 */
START_TEST(test_error_leaving_child_is_caught_at_yield_from_catch)
{
    struct gen fo, fc;
    struct coro *c = catcher(&fc, "child:", 0, THEN_YIELD), *o = deleg(&fo, "outer:", c, USER);
    step_next(o); ck_assert_int_eq(step_throw(o, 7), CORO_YIELDED);
    trace_state(NULL, c); step_next(o);
    ck_assert_trace("child:start y:1 child:fin:E7 outer:caught:E7 y:9 CLOSED outer:sent:none "
                    "outer:fin:0 ret:-1");
}
END_TEST

/* Python:
 *     c = catcher('child:'); gen = deleg('outer:', c)
 *     step(next, gen); step(gen.throw, E(7)); T.extend([state(c), state(gen)])
 * CPython 3.11: child:start y:1 child:fin:E7 outer:fin:E7 err:E7 CLOSED CLOSED
 */
START_TEST(test_error_leaving_child_propagates_through_yield_from)
{
    struct gen fo, fc;
    struct coro *c = catcher(&fc, "child:", 0, THEN_YIELD), *o = deleg(&fo, "outer:", c, 0);
    step_next(o); ck_assert_int_eq(step_throw(o, 7), 7); trace_state(NULL, c);
    trace_state(NULL, o);
    ck_assert_trace("child:start y:1 child:fin:E7 outer:fin:E7 err:E7 CLOSED CLOSED");
}
END_TEST

/* Python:
 *     i = catcher('inner:'); m = deleg('middle:', i); o = deleg('outer:', m)
 *     step(next, o); step(o.close); T.extend([state(o), state(m), state(i)])
 * CPython 3.11: inner:start y:1 inner:fin:exit middle:fin:exit outer:fin:exit ret:none CLOSED CLOSED CLOSED
 */
START_TEST(test_close_closes_innermost_first_then_delegators_inner_to_outer)
{
    struct gen fo, fm, fi;
    struct coro *i = catcher(&fi, "inner:", 0, THEN_YIELD);
    struct coro *m = deleg(&fm, "middle:", i, 0), *o = deleg(&fo, "outer:", m, 0);
    step_next(o); ck_assert_int_eq(step_close(o), CORO_RETURNED);
    trace_state(NULL, o); trace_state(NULL, m); trace_state(NULL, i);
    ck_assert_trace("inner:start y:1 inner:fin:exit middle:fin:exit outer:fin:exit ret:none "
                    "CLOSED CLOSED CLOSED");
}
END_TEST

/* PEP 380: the delegator gets GeneratorExit although the child returned 5.
 * In the second chain the middle catches it and yields (ignores it): the
 * outer gets RuntimeError and the middle stays suspended.
 * Python:
 *     i = catcher('inner:', GeneratorExit, 'return'); o = deleg('outer:', i)
 *     step(next, o); step(o.close)
 *     i = catcher('inner:', GeneratorExit, 'return')
 *     m = deleg('middle:', i, GeneratorExit); o = deleg('outer:', m)
 *     step(next, o); step(o.close); T.extend([state(i), state(m), state(o)])
 * CPython 3.11: inner:start y:1 inner:caught:exit inner:fin:0 outer:fin:exit ret:none inner:start y:1 inner:caught:exit inner:fin:0 middle:caught:exit outer:fin:ignored err:ignored CLOSED SUSPENDED CLOSED
 */
START_TEST(test_close_child_returns_value_but_delegator_still_gets_exit)
{
    struct gen fo, fm, fi;
    struct coro *i = catcher(&fi, "inner:", CORO_EXIT, THEN_RETURN), *m;
    struct coro *o = deleg(&fo, "outer:", i, 0);
    step_next(o); step_close(o);
    i = catcher(&fi, "inner:", CORO_EXIT, THEN_RETURN);
    m = deleg(&fm, "middle:", i, CORO_EXIT);
    o = deleg(&fo, "outer:", m, 0);
    step_next(o); step_close(o); trace_state(NULL, i); trace_state(NULL, m); trace_state(NULL, o);
    ck_assert_trace("inner:start y:1 inner:caught:exit inner:fin:0 outer:fin:exit ret:none "
                    "inner:start y:1 inner:caught:exit inner:fin:0 middle:caught:exit "
                    "outer:fin:ignored err:ignored CLOSED SUSPENDED CLOSED");
}
END_TEST

/* Python:
 *     i = catcher('inner:'); o = deleg('outer:', i)
 *     step(next, o); step(o.throw, GeneratorExit)
 * CPython 3.11: inner:start y:1 inner:fin:exit outer:fin:exit err:exit
 */
START_TEST(test_throw_exit_into_delegator_closes_child_then_raises_exit)
{
    struct gen fo, fi;
    struct coro *o = deleg(&fo, "outer:", catcher(&fi, "inner:", 0, THEN_YIELD), 0);
    step_next(o); ck_assert_int_eq(step_throw(o, CORO_EXIT), CORO_EXIT);
    ck_assert_trace("inner:start y:1 inner:fin:exit outer:fin:exit err:exit");
}
END_TEST

/* Python:
 *     i = catcher('inner:', GeneratorExit); m = deleg('middle:', i); o = deleg('outer:', m)
 *     step(next, o); step(o.close); T.extend([state(o), state(m), state(i)])
 *     step(i.send, 4)
 * CPython 3.11: inner:start y:1 inner:caught:exit middle:fin:ignored outer:fin:ignored err:ignored CLOSED CLOSED SUSPENDED inner:sent:4 inner:fin:0 ret:none
 */
START_TEST(test_close_child_yields_and_delegator_gets_eignored_at_yield_from)
{
    struct gen fo, fm, fi;
    struct coro *i = catcher(&fi, "inner:", CORO_EXIT, THEN_YIELD);
    struct coro *m = deleg(&fm, "middle:", i, 0), *o = deleg(&fo, "outer:", m, 0);
    step_next(o); ck_assert_int_eq(step_close(o), CORO_EIGNORED);
    trace_state(NULL, o); trace_state(NULL, m); trace_state(NULL, i);
    step_send(i, coro_int(4));
    ck_assert_trace("inner:start y:1 inner:caught:exit middle:fin:ignored outer:fin:ignored "
                    "err:ignored CLOSED CLOSED SUSPENDED inner:sent:4 inner:fin:0 ret:none");
}
END_TEST

/* Python:
 *     c = seven(); step(next, c); step(next, c)
 *     gen = deleg('outer:', c); step(next, gen)
 * CPython 3.11: y:1 ret:7 outer:r:none y:9
 */
START_TEST(test_yield_from_finished_generator_gives_none_at_once)
{
    struct gen fo, fc;
    struct coro *c = gen_init(&fc, seven_body, "", NULL);
    step_next(c); step_next(c);
    step_next(deleg(&fo, "outer:", c, 0));
    ck_assert_trace("y:1 ret:7 outer:r:none y:9");
}
END_TEST

/* Python (PEP 380 begins with _y = next(_i)):
 *     c = adder('child:'); step(next, c)
 *     gen = deleg('outer:', c); step(next, gen); step(gen.send, 8)
 * CPython 3.11: y:1 child:sent:none y:2 child:sent:8 outer:r:8 y:9
 */
START_TEST(test_yield_from_started_generator_sends_it_none_first)
{
    struct gen fo, fc;
    struct coro *c = gen_init(&fc, adder_body, "child:", NULL), *o;
    step_next(c);
    o = deleg(&fo, "outer:", c, 0);
    step_next(o); step_send(o, coro_int(8));
    ck_assert_trace("y:1 child:sent:none y:2 child:sent:8 outer:r:8 y:9");
}
END_TEST

/* Python:
 *     i = catcher('inner:'); m = deleg('mid:', i); step(next, m)
 *     t = deleg('top:', m); step(next, t); step(next, t); step(next, t)
 * CPython 3.11: inner:start y:1 inner:sent:none inner:fin:0 mid:r:none y:9 mid:sent:none mid:fin:0 top:r:none y:9 top:sent:none top:fin:0 ret:none
 */
START_TEST(test_yield_from_a_delegating_generator_resumes_its_innermost)
{
    struct gen ft, fm, fi;
    struct coro *i = catcher(&fi, "inner:", 0, THEN_YIELD), *m = deleg(&fm, "mid:", i, 0), *t;
    step_next(m);
    t = deleg(&ft, "top:", m, 0);
    step_next(t); step_next(t); step_next(t);
    ck_assert_trace("inner:start y:1 inner:sent:none inner:fin:0 mid:r:none y:9 mid:sent:none "
                    "mid:fin:0 top:r:none y:9 top:sent:none top:fin:0 ret:none");
}
END_TEST

static int await_main_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_AWAIT(co, f->sub, f->r);
    trace_value("main:r", f->r);
    CORO_RETURN(co, coro_int(f->r.v.i + 1));
    CORO_END(co);
}

/* Python:
 *     class Child:
 *         def __await__(self): return adder('child:')
 *     async def main():
 *         r = await Child()
 *         T.append('main:r:' + show(r))
 *         return r + 1
 *     c = main(); step(c.send, None); step(c.send, 5); step(c.send, 6)
 * CPython 3.11: y:1 child:sent:5 y:2 child:sent:6 main:r:11 ret:12
 */
START_TEST(test_await_delegates_like_yield_from)
{
    struct gen fm, fc;
    struct coro *m = gen_init(&fm, await_main_body, "", gen_init(&fc, adder_body, "child:", NULL));
    step_send(m, coro_none()); step_send(m, coro_int(5)); step_send(m, coro_int(6));
    ck_assert_trace("y:1 child:sent:5 y:2 child:sent:6 main:r:11 ret:12");
}
END_TEST

/* ---- 8. Chains of depth 1, 2 and 100 ----------------------------------- */

/* Python (one body for every depth N: level d yields from level d + 1):
 *     def level(d, n):
 *         try:
 *             if d < n:
 *                 r = yield from level(d + 1, n)
 *                 return r + 1
 *             T.append('top:' + state(top))
 *             try:
 *                 x = yield 1
 *             except E as e:
 *                 T.append('caught:' + name(e))
 *                 x = yield -1
 *             T.append('sent:' + show(x))
 *             y = yield 2
 *             return 100 * x + y
 *         finally:
 *             T.append('fin%d:%s' % (d, pending()))
 *     top = level(0, N)
 *     # values: step(next, top); step(top.send, 3); step(top.send, 4)
 *     # throws: step(next, top); step(top.throw, E(7)); step(top.send, 5); step(top.throw, E(8))
 *     # close:  step(next, top); step(top.send, 3); step(top.close)
 */
#define CHAIN_MAX 100

struct level {
    struct coro co;
    int d, n;
    coro_value r, x;
    struct coro_try fin;     /* try: ... finally: of the body */
};

static struct level levels[CHAIN_MAX + 1];

static int level_body(struct coro *co);

static struct coro *level_init(struct level *f, int d, int n)
{
    memset(f, 0, sizeof *f);
    coro_init(&f->co, level_body);
    f->d = d;
    f->n = n;
    return &f->co;
}

static int level_body(struct coro *co)
{
    struct level *f = (struct level *)co;
    int err;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        if (f->d < f->n) {
            level_init(f + 1, f->d + 1, f->n);
            CORO_YIELD_FROM(co, &f[1].co, f->r);
            CORO_RETURN(co, coro_int(f->r.v.i + 1));
        }
        trace_state("top", &levels[0].co);
        CORO_YIELD_CATCH(co, coro_int(1), err);
        if (err > 0) {
            trace_error("caught", err);
            CORO_YIELD(co, coro_int(-1));
        } else if (err) {
            CORO_RAISE(co, err);
        }
        f->x = coro_sent(co);
        trace_value("sent", f->x);
        CORO_YIELD(co, coro_int(2));
        CORO_RETURN(co, coro_int(100 * f->x.v.i + coro_sent(co).v.i));
    } CORO_FINALLY(co, &f->fin) {
        trace("fin%d:%s", f->d, trace_errname(coro_error(&f->fin)));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static const int chain_depths[] = { 1, 2, CHAIN_MAX };

/* CPython 3.11's lines for depths 1 and 2 (depth 100: the same pattern, with
 * fin100 ... fin0), per test: values and sends, throws, close. */
static const char *const chain_cpython[3][2] = {
    { "top:RUNNING y:1 sent:3 y:2 fin1:0 fin0:0 ret:305",
      "top:RUNNING y:1 sent:3 y:2 fin2:0 fin1:0 fin0:0 ret:306" },
    { "top:RUNNING y:1 caught:E7 y:-1 sent:5 y:2 fin1:E8 fin0:E8 err:E8",
      "top:RUNNING y:1 caught:E7 y:-1 sent:5 y:2 fin2:E8 fin1:E8 fin0:E8 err:E8" },
    { "top:RUNNING y:1 sent:3 y:2 fin1:exit fin0:exit ret:none",
      "top:RUNNING y:1 sent:3 y:2 fin2:exit fin1:exit fin0:exit ret:none" },
};

/* The expected line of test `which` at depth n: head, the cleanup innermost
 * first ("fin<n>:<err> ... fin0:<err>"), tail; the same as CPython's own line
 * for depths 1 and 2. */
static const char *chain_expected(int which, int n, const char *head, const char *err,
                                  const char *tail)
{
    static char buf[4096];
    size_t len = (size_t)snprintf(buf, sizeof buf, "%s", head);
    int d;
    for (d = n; d >= 0; d--)
        len += (size_t)snprintf(buf + len, sizeof buf - len, " fin%d:%s", d, err);
    len += (size_t)snprintf(buf + len, sizeof buf - len, " %s", tail);
    ck_assert_uint_lt(len, sizeof buf);
    if (n <= 2)
        ck_assert_str_eq(buf, chain_cpython[which][n - 1]);
    return buf;
}

START_TEST(test_chain_values_and_sends_reach_innermost_and_return_climbs)
{
    int n = chain_depths[_i];
    struct coro *top = level_init(&levels[0], 0, n);
    char ret[16];
    step_next(top);
    ck_assert_int_eq(coro_state(&levels[n].co), CORO_SUSPENDED);
    ck_assert_int_eq(coro_state(&levels[n / 2].co), CORO_SUSPENDED);
    step_send(top, coro_int(3)); step_send(top, coro_int(4));
    snprintf(ret, sizeof ret, "ret:%d", 304 + n);
    ck_assert_trace(chain_expected(0, n, "top:RUNNING y:1 sent:3 y:2", "0", ret));
    ck_assert_int_eq(coro_state(&levels[n].co), CORO_CLOSED);
}
END_TEST

START_TEST(test_chain_throws_reach_innermost_and_errors_unwind_every_level)
{
    int n = chain_depths[_i];
    struct coro *top = level_init(&levels[0], 0, n);
    step_next(top); ck_assert_int_eq(step_throw(top, 7), CORO_YIELDED);
    step_send(top, coro_int(5)); ck_assert_int_eq(step_throw(top, 8), 8);
    ck_assert_trace(chain_expected(1, n, "top:RUNNING y:1 caught:E7 y:-1 sent:5 y:2", "E8",
                                   "err:E8"));
    ck_assert_int_eq(coro_state(top), CORO_CLOSED);
}
END_TEST

START_TEST(test_chain_close_cleans_up_innermost_to_outermost)
{
    int n = chain_depths[_i], d;
    struct coro *top = level_init(&levels[0], 0, n);
    step_next(top); step_send(top, coro_int(3)); ck_assert_int_eq(step_close(top), CORO_RETURNED);
    ck_assert_trace(chain_expected(2, n, "top:RUNNING y:1 sent:3 y:2", "exit", "ret:none"));
    for (d = 0; d <= n; d++)
        ck_assert_int_eq(coro_state(&levels[d].co), CORO_CLOSED);
}
END_TEST

/* ---- 9. Sending directly to an inner generator of a chain -------------- */

/* Python:
 *     s = adder('sub:'); o = deleg('outer:', s)
 *     step(next, o); step(s.send, 7); T.append('o:' + state(o)); step(o.send, 8)
 * CPython 3.11: y:1 sub:sent:7 y:2 o:SUSPENDED sub:sent:8 outer:r:15 y:9
 */
START_TEST(test_direct_send_to_inner_then_outer_resumes_inner_where_it_is)
{
    struct gen fo, fs;
    struct coro *s = gen_init(&fs, adder_body, "sub:", NULL), *o = deleg(&fo, "outer:", s, 0);
    step_next(o); step_send(s, coro_int(7)); trace_state("o", o); step_send(o, coro_int(8));
    ck_assert_trace("y:1 sub:sent:7 y:2 o:SUSPENDED sub:sent:8 outer:r:15 y:9");
}
END_TEST

/* Python:
 *     s = catcher('sub:'); o = deleg('outer:', s)
 *     step(next, o); step(s.send, 7); T.extend(['s:' + state(s), 'o:' + state(o)])
 *     step(next, o); step(o.send, 3)
 * CPython 3.11: sub:start y:1 sub:sent:7 sub:fin:0 ret:none s:CLOSED o:SUSPENDED outer:r:none y:9 outer:sent:3 outer:fin:0 ret:none
 */
START_TEST(test_direct_send_finishing_inner_then_outer_gets_none)
{
    struct gen fo, fs;
    struct coro *s = catcher(&fs, "sub:", 0, THEN_YIELD), *o = deleg(&fo, "outer:", s, 0);
    step_next(o); step_send(s, coro_int(7)); trace_state("s", s); trace_state("o", o);
    step_next(o); step_send(o, coro_int(3));
    ck_assert_trace("sub:start y:1 sub:sent:7 sub:fin:0 ret:none s:CLOSED o:SUSPENDED "
                    "outer:r:none y:9 outer:sent:3 outer:fin:0 ret:none");
}
END_TEST

/* Python:
 *     s = catcher(''); o = deleg('outer:', s)
 *     step(next, o); step(next, s); step(o.throw, E(6)); T.append(state(o))
 *     s = catcher(''); o = deleg('outer:', s)
 *     step(next, o); step(next, s); step(o.close); T.append(state(o))
 * CPython 3.11: start y:1 sent:none fin:0 ret:none outer:fin:E6 err:E6 CLOSED start y:1 sent:none fin:0 ret:none outer:fin:exit ret:none CLOSED
 */
START_TEST(test_direct_send_finishing_inner_then_throw_or_close_outer)
{
    struct gen fo, fs;
    struct coro *s = catcher(&fs, "", 0, THEN_YIELD), *o = deleg(&fo, "outer:", s, 0);
    step_next(o); step_next(s); step_throw(o, 6); trace_state(NULL, o);
    s = catcher(&fs, "", 0, THEN_YIELD);
    o = deleg(&fo, "outer:", s, 0);
    step_next(o); step_next(s); step_close(o); trace_state(NULL, o);
    ck_assert_trace("start y:1 sent:none fin:0 ret:none outer:fin:E6 err:E6 CLOSED start y:1 "
                    "sent:none fin:0 ret:none outer:fin:exit ret:none CLOSED");
}
END_TEST

/* Python (a send or close to the middle goes on to the innermost first):
 *     i = catcher('inner:'); m = deleg('middle:', i); o = deleg('outer:', m)
 *     step(next, o); step(m.send, 5); T.append('o:' + state(o)); step(o.send, 6)
 *     i2 = catcher('inner:'); m2 = deleg('middle:', i2); o2 = deleg('outer:', m2)
 *     step(next, o2); step(m2.close); T.append(state(i2)); step(next, o2)
 * CPython 3.11: inner:start y:1 inner:sent:5 inner:fin:0 middle:r:none y:9 o:SUSPENDED middle:sent:6 middle:fin:0 outer:r:none y:9 inner:start y:1 inner:fin:exit middle:fin:exit ret:none CLOSED outer:r:none y:9
 */
START_TEST(test_direct_send_or_close_to_middle_goes_to_innermost_first)
{
    struct gen fo, fm, fi;
    struct coro *i = catcher(&fi, "inner:", 0, THEN_YIELD), *m = deleg(&fm, "middle:", i, 0);
    struct coro *o = deleg(&fo, "outer:", m, 0);
    step_next(o); step_send(m, coro_int(5)); trace_state("o", o); step_send(o, coro_int(6));
    i = catcher(&fi, "inner:", 0, THEN_YIELD);
    m = deleg(&fm, "middle:", i, 0);
    o = deleg(&fo, "outer:", m, 0);
    step_next(o); step_close(m); trace_state(NULL, i); step_next(o);
    ck_assert_trace("inner:start y:1 inner:sent:5 inner:fin:0 middle:r:none y:9 o:SUSPENDED "
                    "middle:sent:6 middle:fin:0 outer:r:none y:9 inner:start y:1 "
                    "inner:fin:exit middle:fin:exit ret:none CLOSED outer:r:none y:9");
}
END_TEST

static int sub_sees_outer_body(struct coro *co)
{
    CORO_BEGIN(co);
    trace_state("o", peer_o);
    CORO_YIELD(co, coro_int(1));
    trace_state("o", peer_o);
    CORO_YIELD(co, coro_int(2));
    CORO_END(co);
}

/* Python:
 *     def sub():
 *         T.append('o:' + state(o))
 *         yield 1
 *         T.append('o:' + state(o))
 *         yield 2
 *     s = sub(); o = forward(s)
 *     step(next, o); step(next, s)
 * CPython 3.11: o:RUNNING y:1 o:SUSPENDED y:2
 */
START_TEST(test_direct_send_to_inner_leaves_outer_suspended)
{
    struct gen fo, fs;
    struct coro *s = gen_init(&fs, sub_sees_outer_body, "", NULL);
    peer_o = gen_init(&fo, forward_body, "", s);
    step_next(peer_o); step_next(s);
    ck_assert_trace("o:RUNNING y:1 o:SUSPENDED y:2");
}
END_TEST

static int sub_resumes_outer_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1));
    step_next(peer_o);
    trace_state("o", peer_o);
    CORO_YIELD(co, coro_int(2));
    CORO_END(co);
}

/* The outer is not running: it resumes, and its own send to the running sub
 * raises ValueError at its yield from.
 * Python:
 *     def sub():
 *         yield 1
 *         step(next, o)
 *         T.append('o:' + state(o))
 *         yield 2
 *     s = sub(); o = deleg('outer:', s)
 *     step(next, o); step(next, s)
 * CPython 3.11: y:1 outer:fin:busy err:busy o:CLOSED y:2
 */
START_TEST(test_direct_send_to_inner_resuming_outer_fails_the_outer)
{
    struct gen fo, fs;
    struct coro *s = gen_init(&fs, sub_resumes_outer_body, "", NULL);
    peer_o = deleg(&fo, "outer:", s, 0);
    step_next(peer_o); step_next(s);
    ck_assert_trace("y:1 outer:fin:busy err:busy o:CLOSED y:2");
}
END_TEST

/* Python:
 *     i = catcher('inner:'); m = deleg('mid:', i)
 *     step(next, m); step(next, i)
 *     t = forward(m); step(next, t); step(next, t)
 * CPython 3.11: inner:start y:1 inner:sent:none inner:fin:0 ret:none mid:r:none y:9 mid:sent:none mid:fin:0 ret:none
 */
START_TEST(test_yield_from_chain_whose_inner_finished_directly_runs_it_no_more)
{
    struct gen ft, fm, fi;
    struct coro *i = catcher(&fi, "inner:", 0, THEN_YIELD), *m = deleg(&fm, "mid:", i, 0), *t;
    step_next(m); step_next(i);
    t = gen_init(&ft, forward_body, "", m);
    step_next(t); step_next(t);
    ck_assert_trace("inner:start y:1 inner:sent:none inner:fin:0 ret:none mid:r:none y:9 "
                    "mid:sent:none mid:fin:0 ret:none");
}
END_TEST

/* Found by fuzz/fuzz_coro.c (fuzz/regress/fuzz_coro/). */
/* Python (coro_init again puts a new generator in i's place; o still holds
 * the old one, which has finished):
 *     i = adder('inner:'); o = deleg('outer:', i)
 *     step(next, o); step(i.send, 1); step(i.send, 2)
 *     i = catcher('new:'); step(next, o); T.append(state(i)); step(o.close)
 * CPython 3.11: y:1 inner:sent:1 y:2 inner:sent:2 ret:3 outer:r:none y:9 CREATED outer:fin:exit ret:none
 */
START_TEST(test_reusing_inner_frame_finished_directly_leaves_outer_its_result)
{
    struct gen fo, fi;
    struct coro *i = gen_init(&fi, adder_body, "inner:", NULL), *o = deleg(&fo, "outer:", i, 0);
    step_next(o); step_send(i, coro_int(1)); step_send(i, coro_int(2));
    catcher(&fi, "new:", 0, THEN_YIELD);
    step_next(o); trace_state(NULL, i); step_close(o);
    ck_assert_trace("y:1 inner:sent:1 y:2 inner:sent:2 ret:3 outer:r:none y:9 CREATED "
                    "outer:fin:exit ret:none");
}
END_TEST

static int sub_yields_from_outer_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    int err;
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1));
    CORO_YIELD_FROM_CATCH(co, peer_o, f->r, err);
    trace_error("sub:caught", err);
    trace_state("o", peer_o);
    CORO_END(co);
}

/* o is not running (s was sent to directly): yield from o resumes it, and
 * its own yield from s fails.
 * Python:
 *     def sub():
 *         yield 1
 *         try: yield from o
 *         except ValueError as e: T.append('sub:caught:' + name(e))
 *         T.append('o:' + state(o))
 *     s = sub(); o = deleg('outer:', s)
 *     step(next, o); step(next, s)
 * CPython 3.11: y:1 outer:fin:busy sub:caught:busy o:CLOSED ret:none
 */
START_TEST(test_yield_from_outer_of_chain_sent_to_directly_fails_the_outer)
{
    struct gen fo, fs;
    struct coro *s = gen_init(&fs, sub_yields_from_outer_body, "", NULL);
    peer_o = deleg(&fo, "outer:", s, 0);
    step_next(peer_o); step_next(s);
    ck_assert_trace("y:1 outer:fin:busy sub:caught:busy o:CLOSED ret:none");
}
END_TEST

/* ---- 10. Control flow: yields inside loops and if/else ----------------- */

static int jumping_range_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    f->i = 0;
    while (f->i < f->total) {
        CORO_YIELD(co, coro_int(f->i));
        f->x = coro_sent(co);
        f->i += f->x.type == CORO_NONE ? 1 : (int)f->x.v.i;
    }
    CORO_END(co);
}

/* PEP 342's jumping_range (tests/reference/generators.out: 0 2 3 2 3 4).
 * Python:
 *     def jumping_range(up_to):
 *         index = 0
 *         while index < up_to:
 *             jump = yield index
 *             if jump is None:
 *                 jump = 1
 *             index += jump
 *     it = jumping_range(5)
 *     step(next, it); step(it.send, 2); step(next, it); step(it.send, -1)
 *     for x in it:
 *         T.append('for:%d' % x)
 * CPython 3.11: y:0 y:2 y:3 y:2 for:3 for:4
 */
START_TEST(test_yield_inside_while_loop_keeps_frame_locals)
{
    struct gen f;
    struct coro *g = gen_init(&f, jumping_range_body, "", NULL);
    coro_value v;
    f.total = 5;
    step_next(g); step_send(g, coro_int(2)); step_next(g); step_send(g, coro_int(-1));
    while (coro_next(g, &v) == CORO_YIELDED)
        trace("for:%ld", (long)v.v.i);
    ck_assert_trace("y:0 y:2 y:3 y:2 for:3 for:4");
}
END_TEST

static int grid_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    f->total = 0;
    for (f->i = 0; f->i < 3; f->i++) {
        for (f->j = 0; f->j < 3; f->j++) {
            if (f->j == f->i) {
                continue;
            } else if (f->i + f->j == 3) {
                CORO_YIELD(co, coro_int(-(10 * f->i + f->j)));
            } else {
                CORO_YIELD(co, coro_int(10 * f->i + f->j));
            }
            f->total += (int)int_or_0(coro_sent(co));
        }
        if (f->total > 4)
            break;
    }
    trace("i:%d", f->i);
    CORO_RETURN(co, coro_int(f->total));
    CORO_END(co);
}

/* Python:
 *     def grid():
 *         total = 0
 *         for i in range(3):
 *             for j in range(3):
 *                 if j == i:
 *                     continue
 *                 elif i + j == 3:
 *                     x = yield -(10 * i + j)
 *                 else:
 *                     x = yield 10 * i + j
 *                 total += x or 0
 *             if total > 4:
 *                 break
 *         T.append('i:%d' % i)
 *         return total
 *     gen = grid()
 *     step(next, gen); step(gen.send, 1); step(next, gen)
 *     while T[-1].startswith('y:'):
 *         step(gen.send, 2)
 * CPython 3.11: y:1 y:2 y:10 y:-12 i:1 ret:5
 */
START_TEST(test_yield_inside_nested_for_loops_and_if_else)
{
    struct gen f;
    struct coro *g = gen_init(&f, grid_body, "", NULL);
    step_next(g); step_send(g, coro_int(1)); step_next(g);
    while (step_send(g, coro_int(2)) == CORO_YIELDED)
        ;
    ck_assert_trace("y:1 y:2 y:10 y:-12 i:1 ret:5");
}
END_TEST

/* ---- The runner -------------------------------------------------------- */

static TCase *tcase(Suite *s, const char *name)
{
    return check_tcase(s, name, trace_reset, NULL, 0);
}

static Suite *coro_suite(void)
{
    Suite *s = suite_create("coro");
    TCase *tc;

    tc = tcase(s, "values");
    tcase_add_test(tc, test_send_becomes_value_of_yield_and_return_value_reaches_caller);
    tcase_add_test(tc, test_next_sends_none_and_falling_off_end_returns_none);
    tcase_add_test(tc, test_values_hold_int_double_and_pointer);

    tc = tcase(s, "state");
    tcase_add_test(tc, test_state_created_running_suspended_closed);
    tcase_add_test(tc, test_state_running_for_child_and_its_delegators);
    tcase_add_test(tc, test_state_and_error_names);
    tcase_add_test(tc, test_where_gives_file_and_line_of_suspension_point);

    tc = tcase(s, "misuse");
    tcase_add_test(tc, test_send_value_to_created_is_einval_and_stays_created);
    tcase_add_test(tc, test_send_throw_close_from_own_body_is_ebusy);
    tcase_add_test(tc, test_child_resuming_its_delegator_is_ebusy);
    tcase_add_test(tc, test_send_to_closed_returns_none);
    tcase_add_test(tc, test_throw_of_no_error_is_einval_and_generator_unchanged);
    tcase_add_test(tc, test_yield_from_itself_raises_ebusy_at_the_yield_from);
    tcase_add_test(tc, test_null_generator_is_einval);

    tc = tcase(s, "throw");
    tcase_add_test(tc, test_throw_caught_and_body_yields_again);
    tcase_add_test(tc, test_throw_caught_and_body_returns_value);
    tcase_add_test(tc, test_throw_caught_is_no_longer_pending_in_finally);
    tcase_add_test(tc, test_throw_not_caught_runs_finally_and_closes);
    tcase_add_test(tc, test_throw_into_created_does_not_run_body);
    tcase_add_test(tc, test_throw_into_closed_returns_the_error);
    tcase_add_test(tc, test_throw_exit_raises_exit_like_any_error);

    tc = tcase(s, "close");
    tcase_add_test(tc, test_close_created_does_not_run_body);
    tcase_add_test(tc, test_close_suspended_runs_finally_and_returns_none);
    tcase_add_test(tc, test_close_caught_exit_and_returned_value_is_returned);
    tcase_add_test(tc, test_close_body_yields_is_eignored_and_stays_suspended);
    tcase_add_test(tc, test_close_body_raises_other_error_returns_it);
    tcase_add_test(tc, test_close_closed_returns_returned);

    tc = tcase(s, "finally");
    tcase_add_test(tc, test_finally_runs_once_on_falling_off_end_and_on_return);
    tcase_add_test(tc, test_finally_runs_once_on_error_and_on_close_with_it_pending);
    tcase_add_test(tc, test_return_in_finally_replaces_pending_error);
    tcase_add_test(tc, test_raise_in_finally_replaces_pending_error);

    tc = tcase(s, "yield_from");
    tcase_add_test(tc, test_yield_from_passes_yields_out_sends_in_and_return_value_back);
    tcase_add_test(tc, test_bottom_middle_top_gives_42_then_84);
    tcase_add_test(tc, test_throw_goes_to_child_which_catches_and_yields);
    tcase_add_test(tc, test_throw_goes_to_child_which_returns_and_delegator_resumes_with_value);
    tcase_add_test(tc, test_error_leaving_child_is_caught_at_yield_from_catch);
    tcase_add_test(tc, test_error_leaving_child_propagates_through_yield_from);
    tcase_add_test(tc, test_close_closes_innermost_first_then_delegators_inner_to_outer);
    tcase_add_test(tc, test_close_child_returns_value_but_delegator_still_gets_exit);
    tcase_add_test(tc, test_throw_exit_into_delegator_closes_child_then_raises_exit);
    tcase_add_test(tc, test_close_child_yields_and_delegator_gets_eignored_at_yield_from);
    tcase_add_test(tc, test_yield_from_finished_generator_gives_none_at_once);
    tcase_add_test(tc, test_yield_from_started_generator_sends_it_none_first);
    tcase_add_test(tc, test_yield_from_a_delegating_generator_resumes_its_innermost);
    tcase_add_test(tc, test_await_delegates_like_yield_from);

    tc = tcase(s, "chains");
    tcase_add_loop_test(tc, test_chain_values_and_sends_reach_innermost_and_return_climbs, 0, 3);
    tcase_add_loop_test(tc, test_chain_throws_reach_innermost_and_errors_unwind_every_level, 0, 3);
    tcase_add_loop_test(tc, test_chain_close_cleans_up_innermost_to_outermost, 0, 3);

    tc = tcase(s, "direct_send");
    tcase_add_test(tc, test_direct_send_to_inner_then_outer_resumes_inner_where_it_is);
    tcase_add_test(tc, test_direct_send_finishing_inner_then_outer_gets_none);
    tcase_add_test(tc, test_direct_send_finishing_inner_then_throw_or_close_outer);
    tcase_add_test(tc, test_direct_send_or_close_to_middle_goes_to_innermost_first);
    tcase_add_test(tc, test_direct_send_to_inner_leaves_outer_suspended);
    tcase_add_test(tc, test_direct_send_to_inner_resuming_outer_fails_the_outer);
    tcase_add_test(tc, test_yield_from_chain_whose_inner_finished_directly_runs_it_no_more);
    tcase_add_test(tc, test_reusing_inner_frame_finished_directly_leaves_outer_its_result);
    tcase_add_test(tc, test_yield_from_outer_of_chain_sent_to_directly_fails_the_outer);

    tc = tcase(s, "control_flow");
    tcase_add_test(tc, test_yield_inside_while_loop_keeps_frame_locals);
    tcase_add_test(tc, test_yield_inside_nested_for_loops_and_if_else);

    return s;
}

int main(void)
{
    return check_run(coro_suite());
}
