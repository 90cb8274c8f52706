/* SPDX-License-Identifier: MIT */
/* test_version.c -- the version: coro.h's macros, and coro_version(), the
 * string the library was built with. */
#include <check.h>
#include "check_main.h"
#include <stdio.h>
#include <string.h>

#include "coro.h"

START_TEST(test_version_is_0_2_0)
{
    ck_assert_int_eq(CORO_VERSION_MAJOR, 0);
    ck_assert_int_eq(CORO_VERSION_MINOR, 2);
    ck_assert_int_eq(CORO_VERSION_PATCH, 0);
    ck_assert_str_eq(coro_version(), "0.2.0");
}
END_TEST

START_TEST(test_library_matches_header)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", CORO_VERSION_MAJOR, CORO_VERSION_MINOR,
             CORO_VERSION_PATCH);
    ck_assert_str_eq(coro_version(), buf);
    ck_assert_ptr_eq(coro_version(), coro_version());   /* static, not rebuilt */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("version");
    TCase *tc = check_tcase(s, "version", NULL, NULL, 0);
    tcase_add_test(tc, test_version_is_0_2_0);
    tcase_add_test(tc, test_library_matches_header);
    return check_run(s);
}
