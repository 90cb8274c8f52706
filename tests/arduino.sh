#!/bin/sh
# SPDX-License-Identifier: MIT
# The Arduino library (make arduino: BUILD_DIR/arduino/coro) against the real
# Arduino core for the Uno: each example is built with Debian's arduino-mk
# and arduino-core-avr, run in simavr, and its serial output checked.
#   Generators  prints exactly CPython's output (tests/reference/generators.out)
#   Blink       (BLINK_RUN_MS=1900) the toggles of two LEDs, 400 and 250 ms,
#               in deadline order, each woken less than 2.048 ms late (two
#               Timer0 overflows: the idle sleep lasts up to one, and a
#               loop iteration's 64-bit time arithmetic takes its time)
#   ButtonWake  (BUTTON_SIMULATE) presses at 300, 600 and twice at 900 ms
#               wake the waiting task with 1, 1 and 2 presses
# Skips when arduino-mk or simavr is missing (make deps installs them).
# Ends with "arduino: N passed, M failed".
# Usage: tests/arduino.sh BUILD_DIR
b=$1
root=$(cd "$(dirname "$0")/.." && pwd)
case "$b" in /*) ;; *) b=$root/$b;; esac
lib=$b/arduino/coro
pass=0 fail=0
if [ ! -f /usr/share/arduino/Arduino.mk ] || ! command -v simavr >/dev/null; then
    echo "arduino: skipped: arduino-mk or simavr missing (make deps installs them)"
    echo "arduino: 0 passed, 0 failed"; exit 0
fi
[ -f "$lib/library.properties" ] || { echo "arduino: $lib missing (make arduino)"; echo "arduino: 0 passed, 1 failed"; exit 1; }

check() { # label: compares $out with $want
    if [ "$out" = "$want" ]; then pass=$((pass + 1)); echo "arduino: $1: ok"
    else fail=$((fail + 1)); echo "arduino: $1: FAILED; got:"; echo "$out"; echo "want:"; echo "$want"; fi
}
# The examples share one object directory: the core and the library are
# compiled once (their flags are the same for every example).
rm -rf "$b/arduino/build-uno"
build_example() { # NAME CPPFLAGS: builds the example (log in its build.log)
    s=$b/arduino/sketches/$1
    rm -rf "$s" && mkdir -p "$s" && cp "$lib/examples/$1/"* "$s/"
    cat > "$s/Makefile" <<MK
BOARD_TAG     = uno
ARDUINO_DIR   = /usr/share/arduino
ARDMK_DIR     = /usr/share/arduino
USER_LIB_PATH = $b/arduino
ARDUINO_LIBS  = coro
CXXFLAGS_STD  = -std=gnu++11
CPPFLAGS     += -DDECIMAL_DIG=__DECIMAL_DIG__ $2
OBJDIR        = $b/arduino/build-uno
include /usr/share/arduino/Arduino.mk
MK
    (cd "$s" && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make $3 >build.log 2>&1)
}
run_example() { # NAME: runs the example built; its serial output in $out
    s=$b/arduino/sketches/$1
    if [ ! -f "$b/arduino/build-uno/${1}_.elf" ] || ! grep -q "${1}_.elf" "$s/build.log"; then
        out="build failed: $(tail -20 "$s/build.log")"; return
    fi
    "$root/tests/simavr_uart.sh" "$b/arduino/build-uno/${1}_.elf" "$s/uart.out" 30
    out=$(cat "$s/uart.out")
}

# Generators first (it compiles the core and the library, two jobs at a
# time), then the two others at once.
build_example Generators "" -j2
build_example Blink "-DBLINK_RUN_MS=1900" & blink=$!
build_example ButtonWake "-DBUTTON_SIMULATE" & button=$!
wait $blink; wait $button

run_example Generators
want=$(cat "$root/tests/reference/generators.out")
check "Generators prints what CPython prints"

run_example Blink
late=$(printf '%s\n' "$out" | sed -n 's/^done: latest wake-up \([0-9]*\) us after its deadline$/\1/p')
out=$(printf '%s\n' "$out" | grep -v '^done: ')
want="led 12 on at 250 ms
led 13 on at 400 ms
led 12 off at 500 ms
led 12 on at 750 ms
led 13 off at 800 ms
led 12 off at 1000 ms
led 13 on at 1200 ms
led 12 on at 1250 ms
led 12 off at 1500 ms
led 13 off at 1600 ms
led 12 on at 1750 ms"
check "Blink toggles in deadline order"
if [ -n "$late" ] && [ "$late" -lt 2048 ]; then pass=$((pass + 1)); echo "arduino: Blink wakes within 2.048 ms: ok ($late us)"
else fail=$((fail + 1)); echo "arduino: Blink wakes within 2.048 ms: FAILED (${late:-no done line})"; fi

run_example ButtonWake
want="button: 1 press
button: 1 press
button: 2 presses
done: slowest wake-up under 1 ms after its press"
check "ButtonWake: an ISR wakes the task"

for f in library.properties library.json LICENSE src/coro.h src/loop.c src/wait.c src/sync.c src/tick.c; do
    if [ -f "$lib/$f" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "arduino: $f missing"; fi
done
for f in io.c io.h selectors.h epoll.c uring.c; do      # nothing host-only
    if [ -e "$lib/src/$f" ]; then fail=$((fail + 1)); echo "arduino: host-only $f in src/"; else pass=$((pass + 1)); fi
done
out=$(sed -n 's/^version=//p' "$lib/library.properties"); want=$(${MAKE:-make} -s --no-print-directory -C "$root" version)
check "library.properties' version is coro.h's"
out=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["name"], d["version"], d["frameworks"][0], d["platforms"][0])' "$lib/library.json" 2>&1)
want="coro $want arduino atmelavr"
check "library.json is PlatformIO's JSON"

echo "arduino: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
