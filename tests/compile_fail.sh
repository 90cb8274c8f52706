#!/bin/sh
# SPDX-License-Identifier: MIT
# Mistakes that must not build, each with an error that names what is wrong
# (gcc and clang; both backends where the backend matters):
#   - two suspension points on one source line;
#   - CORO_SLEEP given seconds as a double (also as C++11);
#   - a program built with other layout options (CORO_USE_LABELS,
#     CORO_NO_DOUBLE) than its libcoro: a link error naming them.
# And what must build without a warning: coro_ptr("text") as C and C++.
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "compile-fail: $*"; }

cat > "$tmp/two.c" <<'C'
#include "coro.h"
int two_on_one_line(struct coro *co);
int two_on_one_line(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1)); CORO_YIELD(co, coro_int(2));
    CORO_END(co);
}
C
cat > "$tmp/sleep.c" <<'C'
#include "loop.h"
int sleeps(struct coro *co);
static struct coro_loop loop;
int sleeps(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, 0.01);
    CORO_END(co);
}
C
cat > "$tmp/ptr.c" <<'C'
#include "coro.h"
int text(struct coro *co);
int text(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_ptr("text"));
    CORO_END(co);
}
C
cat > "$tmp/main.c" <<'C'
#include "loop.h"
int main(void)
{
    struct coro_loop loop;
    return coro_loop_init(&loop, 0, 0);
}
C
W="-Wall -Wextra -pedantic -Werror"
for cc in gcc clang; do
    command -v $cc >/dev/null || continue
    for backend in "" -DCORO_USE_LABELS; do
        if $cc -std=c99 $backend -I"$top" -c "$tmp/two.c" -o /dev/null 2>&1 |
                grep -q "coro_one_suspension_point_per_line_6"; then ok
        else ko "$cc $backend accepted two yields on one line"; fi
    done
    if $cc -std=c99 $W -I"$top" -c "$tmp/sleep.c" -o /dev/null 2>&1 |
            grep -q "coro_sleep_takes_integer_nanoseconds"; then ok
    else ko "$cc accepted CORO_SLEEP(co, loop, 0.01)"; fi
    if $cc -std=c99 $W -I"$top" -c "$tmp/ptr.c" -o /dev/null; then ok
    else ko "$cc warned about coro_ptr(\"text\")"; fi
done
for cxx in g++ clang++; do
    command -v $cxx >/dev/null || continue
    cp "$tmp/sleep.c" "$tmp/sleep.cc"; cp "$tmp/ptr.c" "$tmp/ptr.cc"
    if $cxx -std=c++11 -Wall -Wextra -Werror -I"$top" -c "$tmp/sleep.cc" -o /dev/null 2>&1 |
            grep -q "CORO_SLEEP takes integer nanoseconds"; then ok
    else ko "$cxx accepted CORO_SLEEP(co, loop, 0.01)"; fi
    if $cxx -std=c++11 -Wall -Wextra -pedantic -Werror -I"$top" -c "$tmp/ptr.cc" -o /dev/null; then ok
    else ko "$cxx warned about coro_ptr(\"text\")"; fi
done
# The layout options in the link: loop.c built one way, the program another.
cc -std=c99 -I"$top" -c "$top/loop.c" -o "$tmp/loop.o" &&
cc -std=c99 -I"$top" -c "$top/wait.c" -o "$tmp/wait.o" &&
for opt in -DCORO_USE_LABELS -DCORO_NO_DOUBLE; do
    name=${opt#-D}
    if cc -std=c99 $opt -I"$top" "$tmp/main.c" "$tmp/loop.o" "$tmp/wait.o" -o "$tmp/a.out" 2>&1 |
            grep -q "coro_loop_init.*with_$name"; then ok
    else ko "a program built with $opt linked against a libcoro built without"; fi
done
if cc -std=c99 -I"$top" "$tmp/main.c" "$tmp/loop.o" "$tmp/wait.o" -o "$tmp/a.out"; then ok
else ko "the same options failed to link"; fi
echo "compile-fail: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
