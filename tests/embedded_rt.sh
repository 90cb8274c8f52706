#!/bin/sh
# SPDX-License-Identifier: MIT
# The real-time loop on the AVR (issue 5, part 2), run by `make embedded-rt`
# and `make test`: runs BUILD/avr/{blink,isr_wake,cycles,cycles_nodouble}.elf in simavr
# (ATmega328P at 16 MHz, output on UART0) and checks
#  - blink: the LED toggles come in the order and at the ticks that an
#    independent model (awk, below) computes from the periods and the rule
#    "equal deadlines fire in the order they were scheduled", PORTB matches,
#    and the CPU slept (idle-hook calls and time inside the sleep);
#  - isr_wake: every task woken by an interrupt resumed at the tick the ISR
#    ran, within one tick's cycles, with the right raise counts; raises made
#    while nobody waited are kept; the race (interrupt pending at `sei;
#    sleep`) wakes at once; the notify handle and a cancel behave;
#  - cycles: Timer1 counts cycles exactly; prints cycles per resume+yield of
#    a generator and of a hand-written switch machine and their ratio
#    (reported, not a pass/fail: see the figures), and checks that a resume
#    at yield-from depth 10 costs what one at depth 1 does.
# Skips (0 passed, 0 failed) when avr-gcc or simavr is missing.
# Usage: tests/embedded_rt.sh BUILD_DIR   (ELFs built by mk/embedded_rt.mk)
b=${1:-build}
here=$(dirname "$0")
pass=0 fail=0
TIMEOUT=${EMB_TIMEOUT:-60}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { pass=$((pass + 1)); echo "ok    $*"; }
bad() { fail=$((fail + 1)); echo "FAIL  $*"; }
finish() { echo "embedded-rt: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

for tool in avr-gcc simavr; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "embedded-rt: $tool not found: skipped (make embedded-rt installs gcc-avr avr-libc simavr)"
        finish
    fi
done

run_avr() { # name -> $tmp/name.out; returns simavr's status
    "$here/simavr_uart.sh" "$b/avr/$1.elf" "$tmp/$1.out" "$TIMEOUT"
}

run() { # name: runs it, checks it ended well; 0 if its output can be checked
    if [ ! -f "$b/avr/$1.elf" ]; then
        bad "$1: $b/avr/$1.elf is missing (make embedded-rt-build)"
        return 1
    fi
    run_avr "$1"
    rc=$?
    if [ $rc -ne 0 ]; then
        bad "$1: simavr exited with $rc"; head -c 2000 "$tmp/$1.out"; return 1
    fi
    if grep -q "coro_port_exit: failure\|^FAIL" "$tmp/$1.out"; then
        bad "$1: the program reported a failure:"; grep "FAIL\|failure" "$tmp/$1.out"
        return 1
    fi
    ok "$1: ran to its end in simavr"
}

# ---- blink ------------------------------------------------------------------
if run blink; then
    # The model: LED n toggles at tick 0 and then every period[n] ticks;
    # among equal ticks, the LED whose sleep was scheduled first goes first
    # (a sleep is scheduled when the LED toggles; at tick 0 in start order).
    awk 'BEGIN {
        p[0] = 100; p[1] = 250; p[2] = 400; end = 2050; seq = 0; port = 0
        for (i = 0; i < 3; i++) { due[i] = 0; s[i] = i }
        seq = 3
        for (;;) {
            best = -1
            for (i = 0; i < 3; i++)
                if (best < 0 || due[i] < due[best] || (due[i] == due[best] && s[i] < s[best]))
                    best = i
            if (due[best] >= end) break
            bit = 2 ^ best
            if (int(port / bit) % 2) { port -= bit; st = "off" } else { port += bit; st = "on" }
            printf "tick %d: led %d %s PORTB=%02x\n", due[best], best, st, port
            due[best] += p[best]; s[best] = seq++
        }
    }' >"$tmp/blink.want"
    grep '^tick ' "$tmp/blink.out" >"$tmp/blink.got"
    if cmp -s "$tmp/blink.want" "$tmp/blink.got"; then
        ok "blink: $(wc -l <"$tmp/blink.want") toggles in the model's order at the model's ticks, PORTB as modelled"
    else
        bad "blink: the toggles differ from the model (- model, + simavr):"
        diff "$tmp/blink.want" "$tmp/blink.got" | head -20
    fi
    # done: tick T, idle I, slept S us of E us, iterations K
    set -- $(sed -n 's/^done: tick \([0-9]*\), idle \([0-9]*\), slept \([0-9]*\) us of \([0-9]*\) us, iterations \([0-9]*\)$/\1 \2 \3 \4 \5/p' "$tmp/blink.out")
    if [ $# -ne 5 ]; then
        bad "blink: no summary line"
    else
        echo "      blink: ended at tick $1; idle hook called $2 times in $1 ticks;" \
             "slept $3 us of $4 us ($(($3 * 100 / $4))%); $5 loop iterations"
        [ "$1" -eq 2050 ] && ok "blink: stopped at tick 2050" || bad "blink: stopped at tick $1, not 2050"
        # Asleep, the CPU wakes once per tick: the hook runs about once a tick
        # (not at all while the UART is busy). Spinning instead of sleeping
        # would call it millions of times and sleep 0 us.
        if [ "$2" -ge $(($1 / 2)) ] && [ "$2" -le "$1" ] && [ $(($3 * 2)) -ge "$4" ]; then
            ok "blink: the CPU slept (idle $2 <= $1 ticks, asleep $(($3 * 100 / $4))% >= 50%)"
        else
            bad "blink: the CPU did not sleep as expected (idle $2, ticks $1, slept $3 of $4 us)"
        fi
        # The loop runs an iteration per event, not per tick.
        if [ "$5" -le 100 ]; then
            ok "blink: $5 loop iterations for $(wc -l <"$tmp/blink.want") toggles in $1 ticks"
        else
            bad "blink: $5 loop iterations: the loop does not wait for the deadlines"
        fi
    fi
fi

# ---- isr_wake ---------------------------------------------------------------
if run isr_wake; then
    # Timer2 raises at its compare events 3, 7, 12 (signal a; waited for),
    # 14 and 16 (a, while the task sleeps from 119 to 179), 25 (the notify
    # signal) and 30 (a, after the victim was cancelled at 249 + 10); event
    # k comes at k * 1024 * 156 cycles = k * 9.984 ms: ticks 29, 69, 119,
    # 139, 159, 249, 299. The pin-change race fires when the task asks, at a
    # tick that depends on the UART: P below. Latencies are checked apart.
    # run_until_complete's final iteration (asyncio's stop callback) reads
    # the clock after the last line's UART output: done at tick 331.
    cat >"$tmp/isr.want" <<'EOF'
tick 29: a n=1 isr_tick=29 latency=L
tick 50: beat
tick 69: a n=1 isr_tick=69 latency=L
tick 100: beat
tick 119: a n=1 isr_tick=119 latency=L
tick 150: beat
tick 179: a took n=2 at once (asked at tick 179)
tick P: pc n=1 isr_tick=P latency=L
tick 249: note n=1 isr_tick=249 latency=L
tick 259: victim cancelled err=-4091
tick 320: a took n=1 at once (asked at tick 320) isr_tick=299
done: tick 331, idle I, checks ok
EOF
    sed -e 's/latency=[0-9]*$/latency=L/' \
        -e 's/^tick \([0-9]*\): pc n=1 isr_tick=\1 /tick P: pc n=1 isr_tick=P /' \
        -e 's/idle [0-9]*,/idle I,/' "$tmp/isr_wake.out" >"$tmp/isr.got"
    if cmp -s "$tmp/isr.want" "$tmp/isr.got"; then
        ok "isr_wake: every wake at the ISR's tick, in order, with the expected counts"
    else
        bad "isr_wake: differs from the expected wakes (- expected, + simavr):"
        diff "$tmp/isr.want" "$tmp/isr.got" | head -20
    fi
    lat=$(sed -n 's/^tick [0-9]*: \([a-z]*\) n=1 .* latency=\([0-9]*\)$/\1=\2/p' "$tmp/isr_wake.out" | tr '\n' ' ')
    max=$(sed -n 's/.* latency=\([0-9]*\)$/\1/p' "$tmp/isr_wake.out" | sort -n | tail -1)
    echo "      isr_wake: ISR-to-task latency in cycles: $lat"
    # one tick is 16000 cycles; a wake-up lost until the next tick costs more
    if [ -n "$max" ] && [ "$max" -lt 8000 ]; then
        ok "isr_wake: every ISR-to-task latency under half a tick (max $max cycles = $((max / 16)) us)"
    else
        bad "isr_wake: an ISR-to-task latency of ${max:-?} cycles (half a tick is 8000)"
    fi
fi

# ---- cycles (default, and -DCORO_NO_DOUBLE) -----------------------------------
for c in cycles cycles_nodouble; do
    run $c || continue
    grep -E '^(cycles|ratio):' "$tmp/$c.out" | grep -v 'cycles: ok' | sed "s/^/      $c: /"
    if grep -q '^cycles: calibration: a 1000-cycle delay reads as 1000$' "$tmp/$c.out"; then
        ok "$c: Timer1 counts CPU cycles exactly (1000-cycle delay reads 1000)"
    else
        bad "$c: Timer1 calibration is off"
    fi
    d1=$(sed -n 's/^cycles: yield-from depth 1 *\([0-9]*\)\..*/\1/p' "$tmp/$c.out")
    d10=$(sed -n 's/^cycles: yield-from depth 10 *\([0-9]*\)\..*/\1/p' "$tmp/$c.out")
    if [ -n "$d1" ] && [ -n "$d10" ] && [ $((d10 * 10)) -le $((d1 * 11)) ]; then
        ok "$c: a resume at yield-from depth 10 costs what one at depth 1 does ($d10 vs $d1 cycles)"
    else
        bad "$c: yield-from depth 10 ${d10:-?} cycles vs depth 1 ${d1:-?}"
    fi
done

finish
