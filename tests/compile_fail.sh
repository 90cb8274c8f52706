#!/bin/sh
# SPDX-License-Identifier: MIT
# Two suspension points on one source line must not compile, and the error
# must name the rule (both backends, gcc and clang).
top=$(cd "$(dirname "$0")/.." && pwd)
src=$(mktemp --suffix=.c)
trap 'rm -f "$src"' EXIT
cat > "$src" <<'C'
#include "coro.h"
int two_on_one_line(struct coro *co);
int two_on_one_line(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1)); CORO_YIELD(co, coro_int(2));
    CORO_END(co);
}
C
pass=0 fail=0
for cc in gcc clang; do
    command -v $cc >/dev/null || continue
    for backend in "" -DCORO_USE_LABELS; do
        if $cc -std=c99 $backend -I"$top" -c "$src" -o /dev/null 2>&1 |
                grep -q "coro_one_suspension_point_per_line_6"; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1)); echo "compile-fail: $cc $backend accepted two yields on one line"
        fi
    done
done
echo "compile-fail: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
