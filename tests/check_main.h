/* SPDX-License-Identifier: MIT */
/*
 * check_main.h -- what every Check suite shares: a test case with the
 * suite's fixture, and main's run of the suite.
 */
#ifndef CORO_TESTS_CHECK_MAIN_H
#define CORO_TESTS_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Adds to s a test case called name, with setup and teardown around each
 * test (either may be NULL) and a timeout in seconds (0: Check's default). */
static inline TCase *check_tcase(Suite *s, const char *name, SFun setup, SFun teardown,
                                 double timeout)
{
    TCase *tc = tcase_create(name);
    if (setup || teardown)
        tcase_add_checked_fixture(tc, setup, teardown);
    if (timeout > 0)
        tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

/* Runs s (CK_VERBOSITY in the environment may ask for more or less output);
 * returns EXIT_SUCCESS if no test failed, for main to return. */
static inline int check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
