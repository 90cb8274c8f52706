/* SPDX-License-Identifier: MIT */
/*
 * test_trace.c -- the opt-in trace hook of coro.h, and macro forms that only a
 * compile can show: CORO_TRACE must be defined before coro.h is included, and
 * the CATCH macros must accept any lvalue (a frame field) for the error.
 */
#include <check.h>
#include "check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct coro;
static void on_trace(struct coro *co, const char *file, unsigned line, const char *what);
#define CORO_TRACE(co, file, line, what) on_trace((co), (file), (line), (what))
#include "coro.h"

static char events[512];

static void on_trace(struct coro *co, const char *file, unsigned line, const char *what)
{
    char one[64];
    (void)co;
    snprintf(one, sizeof one, "%s%s@%u", events[0] ? " " : "", what,
             strstr(file, "test_trace.c") ? line : 0u);
    strncat(events, one, sizeof events - strlen(events) - 1);
}

static unsigned line_y1, line_y2;

struct two { struct coro co; };

static int two_body(struct coro *co)
{
    CORO_BEGIN(co);
    line_y1 = __LINE__; CORO_YIELD(co, coro_int(1));
    line_y2 = __LINE__; CORO_YIELD(co, coro_int(2));
    CORO_END(co);
}

/* The hook sees the start, each suspension and resume with the line of the
 * suspension point, and the finish, in that order. */
START_TEST(test_trace_hook_reports_every_suspend_and_resume)
{
    struct two g;
    char expected[256];
    events[0] = '\0';
    coro_init(&g.co, two_body);
    while (coro_next(&g.co, NULL) == CORO_YIELDED)
        ;
    snprintf(expected, sizeof expected,
             "start@%u suspend@%u resume@%u suspend@%u resume@%u finish@%u",
             line_y1 - 1, line_y1, line_y1, line_y2, line_y2, line_y2 + 1);
    ck_assert_str_eq(events, expected);
}
END_TEST

/* try: yield 1 / except E as e (e a frame field), and the same around a
 * yield from. */
struct catcher {
    struct coro co;
    struct two sub;
    coro_value r;
    int caught, caught_from;
};

static int catcher_body(struct coro *co)
{
    struct catcher *f = (struct catcher *)co;
    CORO_BEGIN(co);
    CORO_YIELD_CATCH(co, coro_int(1), f->caught);
    coro_init(&f->sub.co, two_body);
    CORO_YIELD_FROM_CATCH(co, &f->sub.co, f->r, f->caught_from);
    CORO_RETURN(co, coro_int(f->caught * 100 + f->caught_from));
    CORO_END(co);
}

START_TEST(test_catch_macros_take_a_frame_field)
{
    struct catcher g;
    coro_value v;
    coro_init(&g.co, catcher_body);
    ck_assert_int_eq(coro_next(&g.co, &v), CORO_YIELDED);
    ck_assert_int_eq(coro_throw(&g.co, 7, &v), CORO_YIELDED);   /* caught; sub yields 1 */
    ck_assert_int_eq(v.v.i, 1);
    ck_assert_int_eq(coro_throw(&g.co, 3, &v), CORO_RETURNED);  /* sub fails with 3 */
    ck_assert_int_eq(v.v.i, 703);
}
END_TEST

/* Python:
 *     def g():
 *         try: yield 1
 *         finally: yield 2
 *     x = g(); next(x); next(x)
 *     x.send(5)          # StopIteration: value None, not 5
 */
struct yield_in_finally {
    struct coro co;
    struct coro_try t;
};

static int yield_in_finally_body(struct coro *co)
{
    struct yield_in_finally *f = (struct yield_in_finally *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_YIELD(co, coro_int(1));
    } CORO_FINALLY(co, &f->t) {
        CORO_YIELD(co, coro_int(2));
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

START_TEST(test_value_sent_into_a_yield_in_finally_is_not_returned)
{
    struct yield_in_finally f;
    coro_value v;
    coro_init(&f.co, yield_in_finally_body);
    ck_assert_int_eq(coro_next(&f.co, &v), CORO_YIELDED);
    ck_assert_int_eq(coro_next(&f.co, &v), CORO_YIELDED);
    ck_assert_int_eq(v.v.i, 2);
    ck_assert_int_eq(coro_send(&f.co, coro_int(5), &v), CORO_RETURNED);
    ck_assert_int_eq(v.type, CORO_NONE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = check_tcase(s, "hook", NULL, NULL, 0);
    tcase_add_test(tc, test_trace_hook_reports_every_suspend_and_resume);
    tcase_add_test(tc, test_catch_macros_take_a_frame_field);
    tcase_add_test(tc, test_value_sent_into_a_yield_in_finally_is_not_returned);
    return check_run(s);
}
