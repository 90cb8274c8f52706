/* SPDX-License-Identifier: MIT */
/*
 * test_try.c -- try blocks (CORO_TRY / CORO_EXCEPT* / CORO_ELSE /
 * CORO_FINALLY / CORO_END_TRY), errors raised into them from every kind of
 * suspension point, and the misuse that must become a named error.
 *
 * Each trace test runs the C twin of a Python program written in the comment
 * above it; the expected line is what CPython 3.11 printed for that program
 * (run with python3, never taken from coro.h). Every program runs after this
 * prelude, the same one as test_coro.c's:
 *
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
 *     def step(op, *args):                      # step()
 *         try: v = op(*args)
 *         except StopIteration as s: T.append('ret:' + show(s.value)); return
 *         except BaseException as e: T.append('err:' + name(e)); return
 *         T.append(('ret:' if op.__name__ == 'close' else 'y:') + show(v))
 *     atexit.register(lambda: print(' '.join(T)))  # the line compared
 */
#include <check.h>
#include "check_main.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wait.h"
#include "sync.h"
#include "trace.h"

/* ---- Helpers ----------------------------------------------------------- */

/* One frame for every body of this file: the header, a mode, try blocks. */
struct gen {
    struct coro co;
    int mode;
    coro_value x, r;
    struct gen *sub;            /* what the body yields from */
    struct coro_try t, u;       /* an outer and an inner try block */
};

static struct coro *gen(struct gen *g, coro_fn body, int mode, struct gen *sub)
{
    memset(g, 0, sizeof *g);
    g->mode = mode;
    g->sub = sub;
    coro_init(&g->co, body);
    return &g->co;
}

/* Records what an operation gave, as step() of the prelude does. */
static int step(struct coro *g, int op, coro_value v, int err)
{
    coro_value out;
    int rc = op == 'n' ? coro_next(g, &out)
           : op == 's' ? coro_send(g, v, &out)
           : op == 't' ? coro_throw(g, err, &out)
                       : coro_close(g, &out);
    return trace_result(rc, out);
}
#define NEXT(g) step(g, 'n', coro_none(), 0)
#define SEND(g, i) step(g, 's', coro_int(i), 0)
#define THROW(g, e) step(g, 't', coro_none(), e)
#define CLOSE(g) step(g, 'c', coro_none(), 0)

static void state(struct coro *g)
{
    trace("%s", coro_state_name(coro_state(g)));
}

static void sent(const char *tag, struct coro *co)
{
    trace_value(tag, coro_sent(co));
}

static void setup(void)
{
    (void)trace_state;
    trace_reset();
}

/* ---- Two try blocks in one body ---------------------------------------- */

/* Python:
 *     def two(fail_first):
 *         try:
 *             x = yield 1
 *             T.append('a:' + show(x))
 *             if fail_first: raise E(1)
 *         except E as e:
 *             T.append('a-caught:' + name(e))
 *         finally:
 *             T.append('a-fin:' + pending())
 *         T.append('between')
 *         try:
 *             y = yield 2
 *             T.append('b:' + show(y))
 *         finally:
 *             T.append('b-fin:' + pending())
 *         return 3
 *     g = two(False); step(next, g); step(g.send, 10); step(g.send, 20)
 *     g = two(True); step(next, g); step(g.send, 10); step(g.throw, E(5)); T.append(state(g))
 */
static int two_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_YIELD(co, coro_int(1));
        sent("a", co);
        if (f->mode)
            CORO_RAISE(co, 1);
    } CORO_EXCEPT(co, &f->t, 1) {
        trace_error("a-caught", coro_error(&f->t));
    } CORO_FINALLY(co, &f->t) {
        trace_error("a-fin", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    trace("between");
    CORO_TRY(co, &f->t) {
        CORO_YIELD(co, coro_int(2));
        sent("b", co);
    } CORO_FINALLY(co, &f->t) {
        trace_error("b-fin", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    CORO_RETURN(co, coro_int(3));
    CORO_END(co);
}

START_TEST(test_two_try_blocks_in_one_body)
{
    struct gen a, b;
    struct coro *g = gen(&a, two_body, 0, NULL), *h = gen(&b, two_body, 1, NULL);
    NEXT(g); SEND(g, 10); SEND(g, 20);
    NEXT(h); SEND(h, 10); THROW(h, 5); state(h);
    ck_assert_trace("y:1 a:10 a-fin:0 between y:2 b:20 b-fin:0 ret:3 "
                    "y:1 a:10 a-caught:E1 a-fin:0 between y:2 b-fin:E5 err:E5 CLOSED");
}
END_TEST

/* ---- Nested, partial matching, re-raise, raise while handling ---------- */

/* Python:
 *     def nest():
 *         try:
 *             try:
 *                 x = yield 1
 *                 T.append('sent:' + show(x))
 *             except E as e:
 *                 T.append('inner:' + name(e))
 *                 if e.n == 2: raise
 *                 if e.n == 3: raise E(4)
 *             finally:
 *                 T.append('inner-fin:' + pending())
 *             T.append('after-inner')
 *         except E as e:
 *             T.append('outer:' + name(e))
 *             y = yield 5
 *             T.append('outer-sent:' + show(y))
 *         finally:
 *             T.append('outer-fin:' + pending())
 *         return 9
 *     for n in (1, 2, 3):
 *         g = nest(); step(next, g); step(g.throw, E(n)); step(g.send, 7)
 *     g = nest(); step(next, g); step(g.throw, ValueError()); T.append(state(g))
 * ("except E" is the user codes 1..9 here: CORO_EBUSY, ValueError, is not.)
 */
static int is_user(int err)
{
    return err > 0 && err < 10;
}

static int nest_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_TRY(co, &f->u) {
            CORO_YIELD(co, coro_int(1));
            sent("sent", co);
        } CORO_EXCEPT_IF(co, &f->u, is_user(coro_error(&f->u))) {
            trace_error("inner", coro_error(&f->u));
            if (coro_error(&f->u) == 2)
                CORO_RERAISE(co, &f->u);
            if (coro_error(&f->u) == 3)
                CORO_RAISE(co, 4);
        } CORO_FINALLY(co, &f->u) {
            trace_error("inner-fin", coro_error(&f->u));
        } CORO_END_TRY(co, &f->u);
        trace("after-inner");
    } CORO_EXCEPT_IF(co, &f->t, is_user(coro_error(&f->t))) {
        trace_error("outer", coro_error(&f->t));
        CORO_YIELD(co, coro_int(5));
        sent("outer-sent", co);
    } CORO_FINALLY(co, &f->t) {
        trace_error("outer-fin", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    CORO_RETURN(co, coro_int(9));
    CORO_END(co);
}

START_TEST(test_nested_partial_match_reraise_and_raise_while_handling)
{
    struct gen a;
    int n;
    for (n = 1; n <= 3; n++) {
        struct coro *g = gen(&a, nest_body, 0, NULL);
        NEXT(g); THROW(g, n); SEND(g, 7);
    }
    {
        struct coro *g = gen(&a, nest_body, 0, NULL);
        NEXT(g); THROW(g, CORO_EBUSY); state(g);
    }
    ck_assert_trace("y:1 inner:E1 inner-fin:0 after-inner outer-fin:0 ret:9 ret:none "
                    "y:1 inner:E2 inner-fin:E2 outer:E2 y:5 outer-sent:7 outer-fin:0 ret:9 "
                    "y:1 inner:E3 inner-fin:E4 outer:E4 y:5 outer-sent:7 outer-fin:0 ret:9 "
                    "y:1 inner-fin:busy outer-fin:busy err:busy CLOSED");
}
END_TEST

/* ---- else, and return through finally blocks that yield ---------------- */

/* Python:
 *     def els(fail):
 *         try:
 *             x = yield 1
 *             if fail: raise E(1)
 *         except E as e:
 *             T.append('caught:' + name(e))
 *         else:
 *             T.append('else')
 *             y = yield 2
 *             T.append('else-sent:' + show(y))
 *             if y == 99: raise E(8)
 *         finally:
 *             T.append('fin:' + pending())
 *         T.append('end')
 *     g = els(False); step(next, g); step(next, g); step(g.send, 3)
 *     g = els(True); step(next, g); step(next, g)
 *     g = els(False); step(next, g); step(next, g); step(g.send, 99)
 */
static int els_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_YIELD(co, coro_int(1));
        if (f->mode)
            CORO_RAISE(co, 1);
    } CORO_EXCEPT(co, &f->t, 1) {
        trace_error("caught", coro_error(&f->t));
    } CORO_ELSE(co, &f->t) {
        trace("else");
        CORO_YIELD(co, coro_int(2));
        sent("else-sent", co);
        if (coro_sent(co).v.i == 99)
            CORO_RAISE(co, 8);
    } CORO_FINALLY(co, &f->t) {
        trace_error("fin", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    trace("end");
    CORO_END(co);
}

START_TEST(test_else_runs_when_nothing_was_raised_and_is_not_caught)
{
    struct gen a;
    struct coro *g = gen(&a, els_body, 0, NULL);
    NEXT(g); NEXT(g); SEND(g, 3);
    g = gen(&a, els_body, 1, NULL);
    NEXT(g); NEXT(g);
    g = gen(&a, els_body, 0, NULL);
    NEXT(g); NEXT(g); SEND(g, 99);
    ck_assert_trace("y:1 else y:2 else-sent:3 fin:0 end ret:none "
                    "y:1 caught:E1 fin:0 end ret:none "
                    "y:1 else y:2 else-sent:99 fin:E8 err:E8");
}
END_TEST

/* Python:
 *     def ret(mode):
 *         try:
 *             try:
 *                 yield 1
 *                 return 5
 *             finally:
 *                 T.append('in-fin:' + pending())
 *                 z = yield 2
 *                 T.append('in-sent:' + show(z))
 *         finally:
 *             T.append('out-fin:' + pending())
 *             w = yield 3
 *             T.append('out-sent:' + show(w))
 *             if mode == 'ret': return 6
 *             if mode == 'raise': raise E(7)
 *     for m in ('keep', 'ret', 'raise'):
 *         g = ret(m); step(next, g); step(next, g); step(g.send, 'a'); step(g.send, 'b')
 *     g = ret('keep'); step(next, g); step(next, g); step(g.throw, E(3)); T.append(state(g))
 * ('a' and 'b' are 10 and 11 here.)
 */
enum { KEEP, RET, RAISE };

static int ret_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_TRY(co, &f->u) {
            CORO_YIELD(co, coro_int(1));
            CORO_RETURN(co, coro_int(5));
        } CORO_FINALLY(co, &f->u) {
            trace_error("in-fin", coro_error(&f->u));
            CORO_YIELD(co, coro_int(2));
            sent("in-sent", co);
        } CORO_END_TRY(co, &f->u);
    } CORO_FINALLY(co, &f->t) {
        trace_error("out-fin", coro_error(&f->t));
        CORO_YIELD(co, coro_int(3));
        sent("out-sent", co);
        if (f->mode == RET)
            CORO_RETURN(co, coro_int(6));
        if (f->mode == RAISE)
            CORO_RAISE(co, 7);
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

START_TEST(test_return_survives_finally_blocks_that_yield_unless_they_return_or_raise)
{
    struct gen a;
    int m;
    struct coro *g;
    for (m = KEEP; m <= RAISE; m++) {
        g = gen(&a, ret_body, m, NULL);
        NEXT(g); NEXT(g); SEND(g, 10); SEND(g, 11);
    }
    g = gen(&a, ret_body, KEEP, NULL);
    NEXT(g); NEXT(g); THROW(g, 3); state(g);
    ck_assert_trace("y:1 in-fin:0 y:2 in-sent:10 out-fin:0 y:3 out-sent:11 ret:5 "
                    "y:1 in-fin:0 y:2 in-sent:10 out-fin:0 y:3 out-sent:11 ret:6 "
                    "y:1 in-fin:0 y:2 in-sent:10 out-fin:0 y:3 out-sent:11 err:E7 "
                    "y:1 in-fin:0 y:2 out-fin:E3 y:3 SUSPENDED");
}
END_TEST

/* ---- close through nested blocks ------------------------------------- */

/* Python:
 *     def nested_close():
 *         try:
 *             try:
 *                 yield 1
 *             finally:
 *                 T.append('in-fin:' + pending())
 *                 x = yield 2
 *                 T.append('in-sent:' + show(x))
 *         finally:
 *             T.append('out-fin:' + pending())
 *     g = nested_close(); step(next, g); step(g.close); T.append(state(g))
 *     step(g.send, 4); T.append(state(g))
 *     def nested_quiet():
 *         try:
 *             try:
 *                 yield 1
 *             finally:
 *                 T.append('in-fin:' + pending())
 *         finally:
 *             T.append('out-fin:' + pending())
 *     g = nested_quiet(); step(next, g); step(g.close); T.append(state(g))
 */
static int nested_close_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_TRY(co, &f->u) {
            CORO_YIELD(co, coro_int(1));
        } CORO_FINALLY(co, &f->u) {
            trace_error("in-fin", coro_error(&f->u));
            if (f->mode) {
                CORO_YIELD(co, coro_int(2));
                sent("in-sent", co);
            }
        } CORO_END_TRY(co, &f->u);
    } CORO_FINALLY(co, &f->t) {
        trace_error("out-fin", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

START_TEST(test_close_runs_nested_finally_blocks_and_a_yield_there_is_ignored_exit)
{
    struct gen a;
    struct coro *g = gen(&a, nested_close_body, 1, NULL);
    NEXT(g); CLOSE(g); state(g); SEND(g, 4); state(g);
    g = gen(&a, nested_close_body, 0, NULL);
    NEXT(g); CLOSE(g); state(g);
    ck_assert_trace("y:1 in-fin:exit err:ignored SUSPENDED in-sent:4 out-fin:exit err:exit CLOSED "
                    "y:1 in-fin:exit out-fin:exit ret:none CLOSED");
}
END_TEST

/* Python:
 *     def exc_any(catch_exit):
 *         try:
 *             yield 1
 *         except GeneratorExit as e:
 *             if not catch_exit: raise
 *             T.append('exit-caught')
 *             return 8
 *         except Exception as e:
 *             T.append('any:' + name(e))
 *         finally:
 *             T.append('fin:' + pending())
 *     g = exc_any(False); step(next, g); step(g.close); T.append(state(g))
 *     g = exc_any(True); step(next, g); step(g.close)
 *     g = exc_any(False); step(next, g); step(g.throw, E(2))
 * CPython 3.11 prints "ret:none" for the second close; coro returns the
 * value, as 3.13 does (README).
 */
static int exc_any_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_YIELD(co, coro_int(1));
    } CORO_EXCEPT(co, &f->t, CORO_EXIT) {
        if (!f->mode)
            CORO_RERAISE(co, &f->t);
        trace("exit-caught");
        CORO_RETURN(co, coro_int(8));
    } CORO_EXCEPT_ANY(co, &f->t) {
        trace_error("any", coro_error(&f->t));
    } CORO_FINALLY(co, &f->t) {
        trace_error("fin", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

/* except Exception alone: close and cancel pass it. */
static int any_only_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_YIELD(co, coro_int(1));
    } CORO_EXCEPT_ANY(co, &f->t) {
        trace_error("any", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    trace("after");
    CORO_END(co);
}

START_TEST(test_except_any_is_except_exception)
{
    struct gen a;
    struct coro *g = gen(&a, exc_any_body, 0, NULL);
    NEXT(g); CLOSE(g); state(g);
    g = gen(&a, exc_any_body, 1, NULL);
    NEXT(g); CLOSE(g);
    g = gen(&a, exc_any_body, 0, NULL);
    NEXT(g); THROW(g, 2);
    ck_assert_trace("y:1 fin:exit ret:none CLOSED y:1 exit-caught fin:0 ret:8 "
                    "y:1 any:E2 fin:0 ret:none");
    trace_reset();
    g = gen(&a, any_only_body, 0, NULL);
    NEXT(g); THROW(g, CORO_ECANCELLED);
    g = gen(&a, any_only_body, 0, NULL);
    NEXT(g); CLOSE(g);
    g = gen(&a, any_only_body, 0, NULL);
    NEXT(g); THROW(g, -5);      /* an -errno is an Exception */
    ck_assert_str_eq(trace_str(), "y:1 err:CORO_ECANCELLED y:1 ret:none y:1 any:errno after ret:none");
}
END_TEST

/* ---- throw into a chain: a middle frame catches and goes on ------------ */

/* Python:
 *     def leaf():
 *         try:
 *             x = yield 'l1'
 *             T.append('leaf-sent:' + show(x))
 *             yield 'l2'
 *         finally:
 *             T.append('leaf-fin:' + pending())
 *     def middle():
 *         try:
 *             try:
 *                 r = yield from leaf()
 *                 T.append('mid-r:' + show(r))
 *             except E as e:
 *                 T.append('mid-caught:' + name(e))
 *                 y = yield 'm1'
 *                 T.append('mid-sent:' + show(y))
 *             T.append('mid-continues')
 *             z = yield 'm2'
 *             return z
 *         finally:
 *             T.append('mid-fin:' + pending())
 *     def top():
 *         try:
 *             r = yield from middle()
 *             T.append('top-r:' + show(r))
 *         finally:
 *             T.append('top-fin:' + pending())
 *         return 'done'
 *     g = top(); step(next, g); step(g.throw, E(3)); step(g.send, 'a'); step(g.send, 'b')
 *     g = top(); step(next, g); step(g.throw, ValueError()); T.append(state(g))
 * ('l1' 'l2' 'm1' 'm2' 'a' 'b' 'done' are 1 2 11 12 20 21 99 here.)
 */
static int leaf_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_YIELD(co, coro_int(1));
        sent("leaf-sent", co);
        CORO_YIELD(co, coro_int(2));
    } CORO_FINALLY(co, &f->t) {
        trace_error("leaf-fin", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

static int middle_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_TRY(co, &f->u) {
            gen(f->sub, leaf_body, 0, NULL);
            CORO_YIELD_FROM(co, &f->sub->co, f->r);
            trace_value("mid-r", f->r);
        } CORO_EXCEPT_IF(co, &f->u, is_user(coro_error(&f->u))) {
            trace_error("mid-caught", coro_error(&f->u));
            CORO_YIELD(co, coro_int(11));
            sent("mid-sent", co);
        } CORO_END_TRY(co, &f->u);
        trace("mid-continues");
        CORO_YIELD(co, coro_int(12));
        CORO_RETURN(co, coro_sent(co));
    } CORO_FINALLY(co, &f->t) {
        trace_error("mid-fin", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

static int top_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_YIELD_FROM(co, &f->sub->co, f->r);
        trace_value("top-r", f->r);
    } CORO_FINALLY(co, &f->t) {
        trace_error("top-fin", coro_error(&f->t));
    } CORO_END_TRY(co, &f->t);
    CORO_RETURN(co, coro_int(99));
    CORO_END(co);
}

START_TEST(test_throw_into_chain_middle_frame_catches_in_inner_try_and_continues)
{
    struct gen t, m, l;
    struct coro *g;
    g = gen(&t, top_body, 0, &m);
    gen(&m, middle_body, 0, &l);
    NEXT(g); THROW(g, 3); SEND(g, 20); SEND(g, 21);
    g = gen(&t, top_body, 0, &m);
    gen(&m, middle_body, 0, &l);
    NEXT(g); THROW(g, CORO_EBUSY); state(g);
    ck_assert_trace("y:1 leaf-fin:E3 mid-caught:E3 y:11 mid-sent:20 mid-continues y:12 "
                    "mid-fin:0 top-r:21 top-fin:0 ret:99 "
                    "y:1 leaf-fin:busy mid-fin:busy top-fin:busy err:busy CLOSED");
}
END_TEST

/* ---- result-less yield from, raise 0, const pointers ------------------- */

static int void_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    gen(f->sub, leaf_body, 0, NULL);
    CORO_YIELD_FROM_VOID(co, &f->sub->co);   /* yield from leaf() */
    gen(f->sub, leaf_body, 0, NULL);
    CORO_AWAIT_VOID(co, &f->sub->co);        /* await leaf() */
    CORO_YIELD(co, coro_ptr("text"));        /* a const pointer */
    if (f->mode)
        CORO_RAISE(co, f->mode - 1);          /* raise 0: CORO_EINVAL */
    CORO_END(co);
}

START_TEST(test_void_forms_const_pointers_and_raise_zero)
{
    struct gen a, l;
    coro_value v;
    struct coro *g = gen(&a, void_body, 1, &l);
    NEXT(g); NEXT(g); NEXT(g); NEXT(g);
    ck_assert_int_eq(coro_next(g, &v), CORO_YIELDED);
    ck_assert_int_eq(v.type, CORO_PTR);
    ck_assert_str_eq((const char *)v.v.p, "text");
    ck_assert_int_eq(coro_next(g, &v), CORO_EINVAL);
    ck_assert_trace("y:1 leaf-sent:none y:2 leaf-fin:0 y:1 leaf-sent:none y:2 leaf-fin:0");
}
END_TEST

/* ---- Misuse ------------------------------------------------------------ */

/* With the default backend, a suspension point inside a switch of the user's
 * own (rule 3) gives its resume point to that switch: the resume finds no
 * case for it. It is CORO_ELOST, and the generator is closed. */
static int lost_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    switch (f->mode) {
    case 1:
        CORO_YIELD(co, coro_int(1));
        trace("resumed");
        break;
    default:
        break;
    }
    CORO_END(co);
}

/* A try block inside a switch of the user's: an error raised to it finds no
 * handler. */
static int lost_try_body(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1));
    switch (f->mode) {
    case 1:
        CORO_TRY(co, &f->t) {
            CORO_RAISE(co, 3);
        } CORO_EXCEPT(co, &f->t, 3) {
            trace("caught");
        } CORO_END_TRY(co, &f->t);
        break;
    default:
        break;
    }
    CORO_END(co);
}

START_TEST(test_suspension_inside_user_switch_is_elost)
{
    struct gen a;
    struct coro *g = gen(&a, lost_body, 1, NULL);
    coro_value v;
    ck_assert_int_eq(coro_next(g, &v), CORO_YIELDED);
#ifdef CORO_USE_LABELS
    ck_assert_int_eq(coro_next(g, &v), CORO_RETURNED);    /* labels: no rule 3 */
    ck_assert_trace("resumed");
#else
    ck_assert_int_eq(coro_next(g, &v), CORO_ELOST);
    ck_assert_trace("");
#endif
    ck_assert_int_eq(coro_state(g), CORO_CLOSED);
    g = gen(&a, lost_try_body, 1, NULL);
    ck_assert_int_eq(coro_next(g, &v), CORO_YIELDED);
    ck_assert_int_eq(coro_next(g, &v), CORO_ELOST);       /* both backends */
    ck_assert_int_eq(coro_state(g), CORO_CLOSED);
}
END_TEST

START_TEST(test_zeroed_generator_is_einval)
{
    struct coro z;
    struct gen a;
    coro_value v;
    const char *file = "x";
    memset(&z, 0, sizeof z);
    ck_assert_int_eq(coro_next(&z, &v), CORO_EINVAL);
    ck_assert_int_eq(coro_send(&z, coro_int(1), &v), CORO_EINVAL);
    ck_assert_int_eq(coro_throw(&z, 3, &v), CORO_EINVAL);
    ck_assert_int_eq(coro_close(&z, &v), CORO_EINVAL);
    ck_assert_int_eq(coro_where(&z, &file), 0);
    ck_assert_str_eq(file, "");
    /* yield from a zeroed generator: CORO_EINVAL at the yield from */
    gen(&a, top_body, 0, (struct gen *)(void *)&z);
    ck_assert_int_eq(coro_next(&a.co, &v), CORO_EINVAL);
    ck_assert_trace("top-fin:inval");
}
END_TEST

/* coro_init on a generator a suspended delegator yields from: the delegator
 * gets CORO_ESTATE at its yield from, at the chain's next resume. */
START_TEST(test_reinit_of_delegated_to_generator_is_estate_at_next_resume)
{
    struct gen t, l;
    coro_value v;
    gen(&t, top_body, 0, &l);
    gen(&l, leaf_body, 0, NULL);
    ck_assert_int_eq(coro_next(&t.co, &v), CORO_YIELDED);     /* l1 */
    coro_init(&l.co, leaf_body);
    ck_assert_int_eq(coro_next(&t.co, &v), CORO_ESTATE);
    ck_assert_int_eq(coro_state(&t.co), CORO_CLOSED);
    ck_assert_trace("top-fin:CORO_ESTATE");
    /* l is a generator of its own again */
    ck_assert_int_eq(coro_next(&l.co, &v), CORO_YIELDED);
    ck_assert_int_eq(v.v.i, 1);
    ck_assert_int_eq(coro_close(&l.co, &v), CORO_RETURNED);
}
END_TEST

/* A body that re-initialises its own frame and then yields. */
static int self_reinit_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1));
    coro_init(co, self_reinit_body);
    CORO_YIELD(co, coro_int(2));
    CORO_END(co);
}

START_TEST(test_reinit_from_own_body_is_estate_at_next_resume)
{
    struct gen a;
    coro_value v;
    struct coro *g = gen(&a, self_reinit_body, 0, NULL);
    ck_assert_int_eq(coro_next(g, &v), CORO_YIELDED);
    ck_assert_int_eq(coro_next(g, &v), CORO_YIELDED);
    ck_assert_int_eq(v.v.i, 2);
    ck_assert_int_eq(coro_next(g, &v), CORO_ESTATE);
    ck_assert_int_eq(coro_state(g), CORO_CLOSED);
}
END_TEST

/* ---- Tasks: an await in finally, and awaiting a task's coroutine ------- */

#define NTIMERS 8
static struct coro_timer_slot timers[NTIMERS];
static struct coro_loop loop;

struct tk {
    struct coro_task task;
    struct coro_try t, u;
    struct tk *other;
    coro_value r;
    int err;
};
#define TK(co) ((struct tk *)(void *)(co))

/* Python (asyncio on its virtual clock: the times are loop times):
 *     async def worker():
 *         try:
 *             try:
 *                 await asyncio.sleep(1)
 *                 T.append('not reached')
 *             finally:
 *                 T.append('fin-start')
 *                 await asyncio.sleep(0.5)
 *                 T.append('fin-end')
 *         except asyncio.CancelledError:
 *             T.append('outer-cancelled')
 *             raise
 *     async def main():
 *         t = asyncio.ensure_future(worker())
 *         await asyncio.sleep(0.1)
 *         t.cancel()
 *         await asyncio.sleep(0)
 *         T.append('main-after-cancel')
 *         try:
 *             await t
 *         except asyncio.CancelledError:
 *             T.append('t-cancelled:' + str(t.cancelled()))
 *     asyncio.run(main())
 * CPython 3.11: fin-start main-after-cancel fin-end outer-cancelled t-cancelled:True
 */
static int worker_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_TRY(co, &f->u) {
            CORO_SLEEP(co, &loop, CORO_SEC);
            trace("not reached");
        } CORO_FINALLY(co, &f->u) {
            trace("fin-start");
            CORO_SLEEP(co, &loop, CORO_SEC / 2);
            trace("fin-end");
        } CORO_END_TRY(co, &f->u);
    } CORO_EXCEPT(co, &f->t, CORO_ECANCELLED) {
        trace("outer-cancelled");
        CORO_RERAISE(co, &f->t);
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

static int main_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    coro_task_start(&f->other->task, &loop, worker_body);
    CORO_SLEEP(co, &loop, CORO_SEC / 10);
    coro_task_cancel(&f->other->task);
    CORO_SLEEP(co, &loop, 0);
    trace("main-after-cancel");
    CORO_TRY(co, &f->t) {
        CORO_AWAIT_FUTURE_VOID(co, &f->other->task.fut);
    } CORO_EXCEPT(co, &f->t, CORO_ECANCELLED) {
        trace("t-cancelled:%s", coro_future_cancelled(&f->other->task.fut) ? "True" : "False");
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

START_TEST(test_task_cancelled_in_a_finally_block_that_awaits_stays_cancelled)
{
    struct tk m, w;
    memset(&m, 0, sizeof m);
    memset(&w, 0, sizeof w);
    m.other = &w;
    ck_assert_int_eq(coro_loop_init(&loop, timers, NTIMERS), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    ck_assert_int_eq(coro_task_start(&m.task, &loop, main_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &m.task.fut, NULL), 0);
    ck_assert_trace("fin-start main-after-cancel fin-end outer-cancelled t-cancelled:True");
    ck_assert_int_eq(coro_loop_time(&loop), 6 * CORO_SEC / 10);
}
END_TEST

/* Awaiting the coroutine of a task (meaning the task's future) is
 * CORO_EBUSY at the await; the task itself is unharmed. */
static int seven_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, CORO_MSEC);
    CORO_RETURN(co, coro_int(7));
    CORO_END(co);
}

static int hijack_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_AWAIT(co, &f->other->task.co, f->r);
    } CORO_EXCEPT_ANY(co, &f->t) {
        f->err = coro_error(&f->t);
    } CORO_END_TRY(co, &f->t);
    CORO_AWAIT_FUTURE(co, &f->other->task.fut, f->r);
    CORO_RETURN(co, f->r);
    CORO_END(co);
}

START_TEST(test_awaiting_a_tasks_coroutine_is_ebusy)
{
    struct tk m, w;
    coro_value out;
    memset(&m, 0, sizeof m);
    memset(&w, 0, sizeof w);
    m.other = &w;
    ck_assert_int_eq(coro_loop_init(&loop, timers, NTIMERS), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    ck_assert_int_eq(coro_task_start(&w.task, &loop, seven_body), 0);
    ck_assert_int_eq(coro_task_start(&m.task, &loop, hijack_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &m.task.fut, &out), 0);
    ck_assert_int_eq(m.err, CORO_EBUSY);
    ck_assert_int_eq(out.v.i, 7);
}
END_TEST

/* Python (the times are loop times; asyncio's own clock drifts past 1):
 *     async def t(q, fut):
 *         try:
 *             await q.get()
 *         except asyncio.CancelledError:
 *             T.append('get-cancelled')
 *         try:
 *             for f in asyncio.as_completed([fut], timeout=1):
 *                 await f
 *         except asyncio.TimeoutError:
 *             T.append('as-completed-timeout:%g' % (loop.time() - t0))
 *         T.append('done')
 *     async def main():
 *         q = asyncio.Queue(); fut = loop.create_future()
 *         task = asyncio.ensure_future(t(q, fut))
 *         await asyncio.sleep(0)
 *         task.cancel()
 *         await task
 *         T.append('main-done')
 * CPython 3.11: get-cancelled as-completed-timeout:1 done main-done
 */
static struct coro_queue queue;
static coro_value queue_slots[2];
static struct coro_future never;
static struct coro_wait ac;
static struct coro_watch ac_watch[1];

static int awaits_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_QUEUE_GET(co, &queue, f->r);
    } CORO_EXCEPT(co, &f->t, CORO_ECANCELLED) {
        trace("get-cancelled");
    } CORO_END_TRY(co, &f->t);
    CORO_TRY(co, &f->t) {
        static struct coro_future *const children[1] = { &never };
        coro_as_completed(&ac, &loop, children, ac_watch, 1, CORO_SEC);
        CORO_AS_COMPLETED_NEXT(co, &ac, f->r);
        trace("not reached");
    } CORO_EXCEPT(co, &f->t, CORO_ETIMEDOUT) {
        trace("as-completed-timeout:%g", (double)coro_loop_time(&loop) / CORO_SEC);
    } CORO_END_TRY(co, &f->t);
    trace("done");
    CORO_END(co);
}

static int awaits_main_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    coro_task_start(&f->other->task, &loop, awaits_body);
    CORO_SLEEP(co, &loop, 0);
    coro_task_cancel(&f->other->task);
    CORO_AWAIT_FUTURE_VOID(co, &f->other->task.fut);
    trace("main-done");
    CORO_END(co);
}

START_TEST(test_every_kind_of_await_raises_into_the_enclosing_try_block)
{
    struct tk m, w;
    memset(&m, 0, sizeof m);
    memset(&w, 0, sizeof w);
    memset(&ac, 0, sizeof ac);
    memset(ac_watch, 0, sizeof ac_watch);
    m.other = &w;
    ck_assert_int_eq(coro_loop_init(&loop, timers, NTIMERS), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    ck_assert_int_eq(coro_queue_init(&queue, &loop, queue_slots, 2), 0);
    coro_future_init(&never, &loop);
    ck_assert_int_eq(coro_task_start(&m.task, &loop, awaits_main_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &m.task.fut, NULL), 0);
    ck_assert_trace("get-cancelled as-completed-timeout:1 done main-done");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("try");
    TCase *tc = check_tcase(s, "try", setup, NULL, 0);
    tcase_add_test(tc, test_two_try_blocks_in_one_body);
    tcase_add_test(tc, test_nested_partial_match_reraise_and_raise_while_handling);
    tcase_add_test(tc, test_else_runs_when_nothing_was_raised_and_is_not_caught);
    tcase_add_test(tc, test_return_survives_finally_blocks_that_yield_unless_they_return_or_raise);
    tcase_add_test(tc, test_close_runs_nested_finally_blocks_and_a_yield_there_is_ignored_exit);
    tcase_add_test(tc, test_except_any_is_except_exception);
    tcase_add_test(tc, test_throw_into_chain_middle_frame_catches_in_inner_try_and_continues);
    tcase_add_test(tc, test_void_forms_const_pointers_and_raise_zero);
    tc = check_tcase(s, "misuse", setup, NULL, 0);
    tcase_add_test(tc, test_suspension_inside_user_switch_is_elost);
    tcase_add_test(tc, test_zeroed_generator_is_einval);
    tcase_add_test(tc, test_reinit_of_delegated_to_generator_is_estate_at_next_resume);
    tcase_add_test(tc, test_reinit_from_own_body_is_estate_at_next_resume);
    tc = check_tcase(s, "tasks", setup, NULL, 0);
    tcase_add_test(tc, test_task_cancelled_in_a_finally_block_that_awaits_stays_cancelled);
    tcase_add_test(tc, test_awaiting_a_tasks_coroutine_is_ebusy);
    tcase_add_test(tc, test_every_kind_of_await_raises_into_the_enclosing_try_block);
    return check_run(s);
}
