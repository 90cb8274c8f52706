/*
 * SPDX-License-Identifier: MIT
 *
 * test_debug.c -- the Check suite of a CORO_DEBUG build (mk/debug.mk builds
 * it, and the library with it, with -DCORO_DEBUG): a scheduled handle or
 * task whose memory was overwritten (its frame went out of scope) is a
 * named error, CORO_ECORRUPT, reported to the error hook, not a wild jump;
 * a callback or step slower than the threshold is reported as CORO_ESLOW.
 */
#include <check.h>
#include "check_main.h"
#include <string.h>

#include "loop.h"
#include "trace.h"

#ifndef CORO_DEBUG
#error "test_debug.c is built with -DCORO_DEBUG (mk/debug.mk)"
#endif

static struct coro_timer_slot timers[8];
static struct coro_loop loop;

static void on_error(struct coro_loop *l, struct coro_task *t, int err)
{
    ck_assert_ptr_eq(l, &loop);
    trace("%s:%s", t ? "task" : "-", err == CORO_ECORRUPT ? "corrupt" :
          err == CORO_ESLOW ? "slow" : "?");
}

static void setup(void)
{
    (void)trace_state;
    (void)trace_result;
    trace_reset();
    ck_assert_int_eq(coro_loop_init(&loop, timers, 8), 0);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    coro_loop_set_error_hook(&loop, on_error);
}

static void ran(struct coro_handle *h)
{
    (void)h;
    trace("ran");
}

/* A ready handle whose memory was overwritten: the iteration ends with
 * CORO_ECORRUPT, reported, nothing jumps; the loop goes on with new work. */
START_TEST(test_overwritten_ready_handle_is_ecorrupt_not_a_wild_jump)
{
    static struct coro_handle a, b;
    coro_handle_init(&a, ran);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &a), 0);
    memset(&a, 0xA5, sizeof a);                 /* its frame was reused */
    ck_assert_int_eq(coro_loop_run_once(&loop), CORO_ECORRUPT);
    coro_handle_init(&b, ran);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &b), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_trace("-:corrupt ran");
}
END_TEST

struct sleeper {
    struct coro_task task;
};

static int sleeper_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, CORO_SEC);
    trace("woke");
    CORO_END(co);
}

/* A sleeping task whose frame went out of scope: its timer falls due, and
 * the iteration reports CORO_ECORRUPT instead of running garbage. */
START_TEST(test_overwritten_sleeping_task_is_ecorrupt_when_its_timer_falls_due)
{
    static struct sleeper s;
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(coro_task_start(&s.task, &loop, sleeper_body), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);    /* it sleeps */
    memset(&s, 0x5A, sizeof s);
    ck_assert_int_eq(coro_loop_run_once(&loop), CORO_ECORRUPT);
    ck_assert_trace("-:corrupt");
}
END_TEST

/* A clock that moves 1 ms at every read, as if each handle took that long. */
static coro_time slow_now(struct coro_loop *l)
{
    l->vnow += CORO_MSEC;
    return l->vnow;
}

static int slow_wait(struct coro_loop *l, coro_time deadline)
{
    return coro_clock_virtual.wait(l, deadline);
}

static const struct coro_clock slow_clock = { slow_now, slow_wait };

static int quick_body(struct coro *co)
{
    CORO_BEGIN(co);
    trace("step");
    CORO_END(co);
}

/* Over the threshold, a callback and a task's step are reported slow
 * (the task with it); under it, nothing is. */
START_TEST(test_callbacks_and_steps_slower_than_the_threshold_are_reported)
{
    static struct sleeper t;
    static struct coro_handle a;
    memset(&t, 0, sizeof t);
    coro_loop_set_clock(&loop, &slow_clock);
    coro_handle_init(&a, ran);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &a), 0);
    ck_assert_int_eq(coro_task_start(&t.task, &loop, quick_body), 0);
    coro_loop_set_slow(&loop, 2 * CORO_MSEC);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    coro_loop_set_slow(&loop, CORO_MSEC / 2);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &a), 0);
    ck_assert_int_eq(coro_task_start(&t.task, &loop, quick_body), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_trace("ran step ran -:slow step task:slow");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("debug");
    TCase *tc = check_tcase(s, "debug", setup, NULL, 0);
    tcase_add_test(tc, test_overwritten_ready_handle_is_ecorrupt_not_a_wild_jump);
    tcase_add_test(tc, test_overwritten_sleeping_task_is_ecorrupt_when_its_timer_falls_due);
    tcase_add_test(tc, test_callbacks_and_steps_slower_than_the_threshold_are_reported);
    return check_run(s);
}
