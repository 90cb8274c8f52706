/* SPDX-License-Identifier: MIT */
/* test_api.c -- what an adopter meets first: the version (coro.h's macros,
 * and coro_version(), the string the library was built with), the error
 * texts (coro_strerror's sentences, coro_errname's names) and
 * CORO_CONTAINER_OF. */
#include <check.h>
#include "check_main.h"
#include <stdio.h>
#include <errno.h>
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

static const struct { int code; const char *name, *sentence; } codes[] = {
    { CORO_RETURNED, "CORO_RETURNED", "no error (the generator returned)" },
    { CORO_YIELDED, "CORO_YIELDED", "the generator yielded" },
    { CORO_EXIT, "CORO_EXIT", "generator exit (closed)" },
    { CORO_EBUSY, "CORO_EBUSY", "generator already executing" },
    { CORO_EINVAL, "CORO_EINVAL", "invalid argument" },
    { CORO_EIGNORED, "CORO_EIGNORED", "generator ignored GeneratorExit" },
    { CORO_ECANCELLED, "CORO_ECANCELLED", "cancelled" },
    { CORO_ETIMEDOUT, "CORO_ETIMEDOUT", "timed out" },
    { CORO_ESTATE, "CORO_ESTATE", "invalid state" },
    { CORO_EFULL, "CORO_EFULL", "full: no room left in a fixed-capacity heap or queue" },
    { CORO_EEMPTY, "CORO_EEMPTY", "empty: nothing to take" },
    { CORO_ENOTASK, "CORO_ENOTASK", "awaited outside a task" },
    { CORO_ENOKEY, "CORO_ENOKEY", "file descriptor not registered" },
    { CORO_EEXIST, "CORO_EEXIST", "file descriptor already registered" },
    { CORO_ERANGE, "CORO_ERANGE", "file descriptor out of the selector's range" },
};

START_TEST(test_every_code_has_a_name_and_a_sentence)
{
    size_t i;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        ck_assert_str_eq(coro_errname(codes[i].code), codes[i].name);
        ck_assert_str_eq(coro_strerror(codes[i].code), codes[i].sentence);
    }
}
END_TEST

START_TEST(test_errno_user_and_unknown_codes)
{
    ck_assert_str_eq(coro_strerror(-ECONNREFUSED), "Connection refused");
    ck_assert_str_eq(coro_strerror(-EISDIR), strerror(EISDIR));
    ck_assert_str_eq(coro_errname(-ECONNREFUSED), "errno");
    ck_assert_str_eq(coro_strerror(7), "user error 7");
    ck_assert_str_eq(coro_strerror(2147483647), "user error 2147483647");
    ck_assert_str_eq(coro_errname(7), "user error");
    ck_assert_str_eq(coro_strerror(-4050), "unknown error code");
    ck_assert_str_eq(coro_strerror(-100000), "unknown error code");
}
END_TEST

struct outer {
    int a;
    double b;
    struct coro co;
};

START_TEST(test_container_of)
{
    struct outer o;
    ck_assert_ptr_eq(CORO_CONTAINER_OF(&o.co, struct outer, co), &o);
    ck_assert_ptr_eq(CORO_CONTAINER_OF(&o.b, struct outer, b), &o);
    ck_assert_ptr_eq(CORO_CONTAINER_OF(&o.a, struct outer, a), &o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("api");
    TCase *tc = check_tcase(s, "version", NULL, NULL, 0);
    tcase_add_test(tc, test_version_is_0_2_0);
    tcase_add_test(tc, test_library_matches_header);
    tc = check_tcase(s, "errors", NULL, NULL, 0);
    tcase_add_test(tc, test_every_code_has_a_name_and_a_sentence);
    tcase_add_test(tc, test_errno_user_and_unknown_codes);
    tcase_add_test(tc, test_container_of);
    return check_run(s);
}
