/* SPDX-License-Identifier: MIT */
/* test_sizes.c -- the struct sizes README.md and the headers document, on
 * x86-64 (LP64). If one changes, change the documentation with it. */
#include <check.h>
#include "check_main.h"
#include <stdlib.h>

#include "scope.h"
#include "wait.h"

START_TEST(test_documented_sizes_on_x86_64)
{
#if defined(__x86_64__)
    ck_assert_uint_eq(sizeof(struct coro), 40);
    ck_assert_uint_eq(sizeof(coro_value), 16);
    ck_assert_uint_eq(sizeof(struct coro_try), 16);
    ck_assert_uint_eq(sizeof(struct coro_handle), 16);
    ck_assert_uint_eq(sizeof(struct coro_timer_slot), 16);
    ck_assert_uint_eq(sizeof(struct coro_future), 32);
    ck_assert_uint_eq(sizeof(struct coro_task), 104);
    ck_assert_uint_eq(sizeof(struct coro_loop), 120);
    ck_assert_uint_eq(sizeof(struct coro_watch), 32);
    ck_assert_uint_eq(sizeof(struct coro_wait), 96);
    ck_assert_uint_eq(sizeof(struct coro_wait_for), 96);
    ck_assert_uint_eq(sizeof(struct coro_shield), 72);
    ck_assert_uint_eq(sizeof(struct coro_future_hooked), 40);
    ck_assert_uint_eq(sizeof(struct coro_scope), 32);
    ck_assert_uint_eq(sizeof(struct coro_timeout), 88);
    ck_assert_uint_eq(sizeof(struct coro_taskgroup), 120);
    /* a sleeping task's bookkeeping beyond its generator header: the task's
     * future, node and scope links, and its slot in the timer heap */
    ck_assert_uint_le(sizeof(struct coro_task) - sizeof(struct coro) +
                      sizeof(struct coro_timer_slot), 80);
#endif
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sizes");
    TCase *tc = check_tcase(s, "x86-64", NULL, NULL, 0);
    tcase_add_test(tc, test_documented_sizes_on_x86_64);
    return check_run(s);
}
