#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs each demo that has a reference output and compares byte for byte.
# Usage: tests/demos.sh BUILD_DEMOS_DIR
# The expected files are CPython's own output (tests/reference/README.md).
dir=${1:-build/demos}
ref=$(dirname "$0")/reference
pass=0 fail=0
check() { # name expected-file command...
    name=$1 expected=$2; shift 2
    if "$@" 2>&1 | cmp -s - "$expected"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "demo $name: output differs from $expected:"
        "$@" 2>&1 | diff "$expected" - | head -20
    fi
}
check generators "$ref/generators.out" "$dir/generators"
[ -x "$dir/countdown" ] &&
    check countdown "$ref/sleeping_loop.virtual.out" "$dir/countdown" --virtual
# the timeline counts seconds from the start, whatever the clock says then
[ -x "$dir/countdown" ] &&
    check countdown-timeline "$ref/sleeping_loop.timeline.out" \
        "$dir/countdown" --virtual --start-at 1234567 --timeline
[ -x "$dir/slow_operation" ] &&
    check slow_operation-timeline "$ref/slow_operation.timeline.out" \
        "$dir/slow_operation" --virtual --timeline
[ -x "$dir/sleeping_loop" ] &&
    check sleeping_loop "$ref/sleeping_loop.virtual.out" "$dir/sleeping_loop" --virtual
[ -x "$dir/slow_operation" ] &&
    check slow_operation "$ref/slow_operation.out" "$dir/slow_operation" --virtual
# the seeds' other programs (docs/tutorial.md), against CPython's output
for t in fab yield_from throw; do
    [ -x "$dir/$t" ] && check $t "$ref/$t.out" "$dir/$t"
done
[ -x "$dir/countdown34" ] && check countdown34 "$ref/countdown34.out" "$dir/countdown34" --virtual
echo "demos: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
