#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every check of `make test` (each suite plain, under ASan+UBSan and
# under valgrind) and ends with one line that sums them:
# "total: N passed, M failed". Exits non-zero if anything failed.
# Usage: tests/run.sh BUILD_DIR SUITE...   (suites built in BUILD/plain and
# BUILD/asan by the Makefile)
b=$1; shift
here=$(dirname "$0")
pass=0 fail=0
count() { # adds the "N passed, M failed" or Check summary in $1 to the totals
    p=$(printf '%s\n' "$1" | sed -n 's/^[a-z_-]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
    f=$(printf '%s\n' "$1" | sed -n 's/^[a-z_-]*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
    if [ -z "$p" ]; then    # Check: "100%: Checks: 53, Failures: 0, Errors: 0"
        set -- $(printf '%s\n' "$1" | sed -n 's/^[0-9]*%: Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\)$/\1 \2 \3/p' | tail -1)
        p=$((${1:-0} - ${2:-0} - ${3:-0})); f=$((${2:-0} + ${3:-0}))
    fi
    pass=$((pass + p)); fail=$((fail + f))
}
run() { # label command... (a step that hangs fails after RUN_TIMEOUT s)
    label=$1; shift
    echo "== $label"
    out=$(timeout "${RUN_TIMEOUT:-900}" "$@" 2>&1); rc=$?
    [ $rc -eq 124 ] && out="$out
$label: timed out after ${RUN_TIMEOUT:-900} s"
    printf '%s\n' "$out"
    count "$out"
    [ $rc -eq 0 ] || { [ "$f" -gt 0 ] || fail=$((fail + 1)); }
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
echo "total: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
