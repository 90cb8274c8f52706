#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every check of `make test` (each suite plain, under ASan+UBSan and
# under valgrind) and ends with one line that sums them:
# "total: N passed, M failed". Exits non-zero if anything failed. A step
# that fails is run once more: failing twice is a failure; passing the
# second time, it is listed at the end as flaky, with what it said first.
# Usage: tests/run.sh BUILD_DIR SUITE...   (suites built in BUILD/plain and
# BUILD/asan by the Makefile)
b=$1; shift
here=$(dirname "$0")
pass=0 fail=0 failed_steps= flaky_steps=
parse() { # sets p and f from the "N passed, M failed" or Check summary in $1
    p=$(printf '%s\n' "$1" | sed -n 's/^[a-z_-]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
    f=$(printf '%s\n' "$1" | sed -n 's/^[a-z_-]*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
    if [ -z "$p" ]; then    # Check: "100%: Checks: 53, Failures: 0, Errors: 0"
        set -- $(printf '%s\n' "$1" | sed -n 's/^[0-9]*%: Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\)$/\1 \2 \3/p' | tail -1)
        p=$((${1:-0} - ${2:-0} - ${3:-0})); f=$((${2:-0} + ${3:-0}))
    fi
}
attempt() { # command...: runs it; sets out, rc, p, f, and bad (1 if it failed)
    out=$(timeout "${RUN_TIMEOUT:-900}" "$@" 2>&1); rc=$?
    [ $rc -eq 124 ] && out="$out
$label: timed out after ${RUN_TIMEOUT:-900} s"
    parse "$out"
    bad=0
    if [ $rc -ne 0 ] || [ "$f" -gt 0 ]; then bad=1; fi
}
failing_lines() { # the lines of $1 that say what failed
    printf '%s\n' "$1" | grep -E '^(not ok|FAIL)|:[0-9]+:[EF]:|failed' | grep -v ' 0 failed' |
        head -20 | sed 's/^/    /'
}
run() { # label command... (a step that hangs fails after RUN_TIMEOUT s)
    label=$1; shift
    echo "== $label"
    attempt "$@"
    if [ $bad -eq 1 ]; then
        # once more: what fails twice is a failure; what fails once is named
        # below as flaky, with what it said, for someone to look at
        printf '%s\n' "$out"
        echo "== $label: failed (exit $rc); once more"
        first=$(failing_lines "$out") first_rc=$rc
        attempt "$@"
        [ $bad -eq 0 ] && flaky_steps="$flaky_steps
  $label (exit $first_rc the first time, passed the second):
$first"
    fi
    printf '%s\n' "$out"
    pass=$((pass + p)); fail=$((fail + f))
    [ $rc -eq 0 ] || { [ "$f" -gt 0 ] || fail=$((fail + 1)); }
    [ $bad -eq 0 ] || failed_steps="$failed_steps
  $label (exit $rc):
$(failing_lines "$out")"
}
for t in "$@"; do
    run "$t (plain)" "$b/plain/$t"
    run "$t (asan+ubsan)" "$b/asan/$t"
    if command -v valgrind >/dev/null; then
        # CORO_NO_URING: valgrind cannot interrupt an io_uring wait
        run "$t (valgrind)" env CK_FORK=no CORO_NO_URING=1 valgrind -q --error-exitcode=1 \
            --leak-check=full --errors-for-leak-kinds=all "$b/plain/$t"
    fi
done
for fz in $FUZZERS; do # the fuzz targets over their corpora and regressions
    set -- $(ls -d "$here/../fuzz/corpus/$fz/"* "$here/../fuzz/regress/$fz/"* 2>/dev/null)
    run "$fz corpus (plain)" "$b/plain/$fz" "$@"
    run "$fz corpus (asan+ubsan)" "$b/asan/$fz" "$@"
done
run "demo outputs" "$here/demos.sh" "$b/demos"
run "network demos" env ECHO_CLIENTS="$b/tests/echo_clients" "$here/net.sh" "$b/demos"
run "portability" "$here/portability.sh" "-Wall -Wextra -pedantic -Werror"
run "two yields on one line" "$here/compile_fail.sh"
run "tests the README names" "$here/readme_tests.sh"
for s in $TEST_SCRIPTS; do run "$s" "$s" "$b"; done
# the failures again, last, where a log's tail shows them
[ -z "$flaky_steps" ] || printf 'flaky steps (failed once, then passed):%s\n' "$flaky_steps"
[ -z "$failed_steps" ] || printf 'failed steps:%s\n' "$failed_steps"
echo "total: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
