#!/bin/sh
# SPDX-License-Identifier: MIT
# coro.h compiles, warning-free, as C99 and as C++ with gcc and clang, with the
# default and the labels backend (and without double), and for an ATmega328P with avr-gcc when
# present. A small program is built and run on the host for each host variant.
# Usage: tests/portability.sh "WARNING FLAGS"
warn=${1:--Wall -Wextra -pedantic -Werror}
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/tests/portable.c
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0 fail=0
try() { # label compile-command...
    label=$1; shift
    if "$@" 2>"$out/err"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "portability: $label failed:"; head -20 "$out/err"; fi
}
n=0
for cc in gcc clang; do
    command -v $cc >/dev/null || continue
    for backend in "" -DCORO_USE_LABELS -DCORO_NO_DOUBLE; do
        n=$((n + 1))
        try "$cc -std=c99 $backend" sh -c "$cc -std=c99 $warn $backend -I'$top' '$src' -o '$out/c$n' && '$out/c$n'"
        try "$cc C++ $backend" sh -c "$cc -x c++ -std=c++11 $warn $backend -I'$top' '$src' -o '$out/cxx$n' -lstdc++ && '$out/cxx$n'"
    done
done
if command -v avr-gcc >/dev/null; then
    try "avr-gcc atmega328p" avr-gcc -mmcu=atmega328p -Os -std=c99 $warn -I"$top" "$src" -o "$out/avr.elf"
    try "avr-gcc atmega328p: no malloc" sh -c "! avr-nm '$out/avr.elf' | grep -qw malloc"
else
    echo "portability: avr-gcc not found, AVR build skipped (apt-get install gcc-avr avr-libc)"
fi
echo "portability: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
