#!/bin/sh
# SPDX-License-Identifier: MIT
# The embedded check (issue 5), run by `make embedded` and `make test`:
#  - runs build/avr/*.elf in simavr (ATmega328P, output on UART0) and
#    build/arm/*.elf in qemu-system-arm -M mps2-an385 (output through
#    semihosting) and compares each output byte for byte with the host's
#    reference (tests/reference/) or, for checks.elf, with the text below;
#  - checks that no ELF links malloc (nor calloc, realloc, free);
#  - prints the sizeof table of AVR, Cortex-M3 and the host (from
#    BUILD/{avr,arm,host}/sizes.o, read with nm -S) and flash/RAM of each ELF.
# A target whose toolchain or simulator is missing is skipped with a message.
# Usage: tests/embedded.sh BUILD_DIR   (the ELFs are built by mk/embedded.mk)
b=${1:-build}
here=$(dirname "$0")
ref=$here/reference
pass=0 fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
TIMEOUT=${EMB_TIMEOUT:-60}

ok() { pass=$((pass + 1)); echo "ok    $*"; }
bad() { fail=$((fail + 1)); echo "FAIL  $*"; }
have() { command -v "$1" >/dev/null 2>&1; }

# What checks.elf prints on every target.
cat >"$tmp/checks.out" <<'EOF'
timer heap of 3 takes 3 timers: ok
4th call_at is CORO_EFULL: ok
refused handle stays idle: ok
run_forever returns 0: ok
ran in order: DBCA at 30 ms
order D B C A: ok
heap reusable after it emptied: ok
cancel frees the slots: ok
queue of 2 takes 2 values: ok
3rd put_nowait is CORO_EFULL: ok
FIFO after the refusal: 1 2 3: ok
empty queue: CORO_EEMPTY: ok
checks: 11 passed, 0 failed
EOF

# What systick.elf prints: tick times, so exact under qemu -icount.
cat >"$tmp/systick.out" <<'EOF'
a at 30 ms
b at 50 ms
a at 60 ms
a at 90 ms
b at 100 ms
b at 150 ms
run_forever: 0
idle hook slept: yes
EOF

run_avr() { # elf output-file (see tests/simavr_uart.sh)
    "$here/simavr_uart.sh" "$1" "$2" "$TIMEOUT"
}

# qemu: semihosting output on a chardev that is stdout; the exit code is the
# program's (a fault exits with 99).
# With ICOUNT set (systick.elf), the guest's clock follows its instruction
# count and idle time is skipped: a real tick, deterministic and instant.
run_arm() { # elf output-file
    timeout "$TIMEOUT" qemu-system-arm -M mps2-an385 -cpu cortex-m3 -display none \
        ${ICOUNT:+-icount shift=4,sleep=off} \
        -monitor none -serial none -chardev stdio,id=coro_out \
        -semihosting-config enable=on,target=native,chardev=coro_out \
        -kernel "$1" </dev/null >"$2" 2>"$tmp/arm.err"
}

compare() { # target name elf expected expected-label runner
    t=$1 name=$2 elf=$3 expected=$4 label=$5 runner=$6
    if [ ! -f "$elf" ]; then
        bad "$t $name: $elf is missing (make embedded-build)"
        return
    fi
    $runner "$elf" "$tmp/out"
    rc=$?
    if [ $rc -ne 0 ]; then
        bad "$t $name: the simulator exited with $rc"
        head -c 2000 "$tmp/out"
    elif cmp -s "$tmp/out" "$expected"; then
        ok "$t $name: output equals $label byte for byte ($(wc -c <"$expected") bytes)"
    else
        bad "$t $name: output differs from $label:"
        diff "$expected" "$tmp/out" | head -20
    fi
}

# NAME.stack.elf prints the same, then "[stack: N bytes]": records N in
# $tmp/stack.TARGET.NAME.
measure_stack() { # target name elf expected runner
    t=$1 name=$2 elf=$3 expected=$4 runner=$5
    [ -f "$elf" ] || { bad "$t $name.stack: $elf is missing"; return; }
    $runner "$elf" "$tmp/out"
    rc=$?
    n=$(sed -n 's/^\[stack: \([0-9]*\) bytes\]$/\1/p' "$tmp/out")
    if [ $rc -eq 0 ] && [ -n "$n" ] && sed '$d' "$tmp/out" | cmp -s - "$expected"; then
        echo "$n" >"$tmp/stack.$t.$name"
        ok "$t $name.stack: same output, peak stack $n bytes"
    else
        bad "$t $name.stack: exit $rc, output:"
        tail -5 "$tmp/out"
    fi
}

no_malloc() { # target nm elf
    if [ ! -f "$3" ]; then return; fi
    found=$("$2" "$3" | awk '$NF ~ /^(malloc|_malloc_r|calloc|_calloc_r|realloc|_realloc_r|free|_free_r)$/ { print $NF }' | tr '\n' ' ')
    if [ -z "$found" ]; then
        ok "$1 $(basename "$3"): no malloc, calloc, realloc or free linked"
    else
        bad "$1 $(basename "$3"): links $found"
    fi
}

# The formatter, on the host, against the C library's snprintf.
for v in printf_test printf_test.asan; do
    if [ -x "$b/host/$v" ]; then
        out=$("$b/host/$v" 2>&1)
        rc=$?
        if [ $rc -eq 0 ]; then ok "host $v: $(printf '%s\n' "$out" | tail -1)"
        else bad "host $v:"; printf '%s\n' "$out" | tail -20; fi
    else
        bad "host $v: $b/host/$v is missing (make embedded-build)"
    fi
done

targets=""
# board TARGET NM RUNNER: each demo on TARGET, compared, its stack measured,
# its ELF checked for malloc
board() {
    targets="$targets $1"
    for d in generators countdown checks; do
        case $d in
        generators) e=$ref/generators.out l=$e ;;
        countdown) e=$ref/sleeping_loop.virtual.out l=$e ;;
        checks) e=$tmp/checks.out l="the expected checks text" ;;
        esac
        compare "$1" "$d" "$b/$1/$d.elf" "$e" "$l" "$3"
        measure_stack "$1" "$d" "$b/$1/$d.stack.elf" "$e" "$3"
        no_malloc "$1" "$2" "$b/$1/$d.elf"
    done
}
if have avr-gcc && have simavr; then
    board avr avr-nm run_avr
else
    echo "skip  avr: avr-gcc or simavr missing (tests/deps.sh gcc-avr avr-libc simavr)"
fi
if have arm-none-eabi-gcc && have qemu-system-arm; then
    board arm arm-none-eabi-nm run_arm
    ICOUNT=1
    compare arm "systick (SysTick clock, WFI idle hook)" "$b/arm/systick.elf" \
        "$tmp/systick.out" "the expected tick times" run_arm
    ICOUNT=
    no_malloc arm arm-none-eabi-nm "$b/arm/systick.elf"
else
    echo "skip  arm: arm-none-eabi-gcc or qemu-system-arm missing" \
        "(tests/deps.sh gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)"
fi

# ---- sizeof table --------------------------------------------------------
sizes() { # nm object -> "name size" lines
    [ -f "$2" ] && "$1" -S "$2" |
        while read -r _addr size _type name; do
            case $name in coro_sizeof_*) echo "${name#coro_sizeof_} $((0x$size))" ;; esac
        done
}
host=$(uname -m)
cols="" files=""
for t in $targets host; do
    case $t in
    avr) nmt=avr-nm label=avr ;;
    arm) nmt=arm-none-eabi-nm label=cortex-m3 ;;
    host) nmt=nm label=$host ;;
    esac
    if [ -f "$b/$t/sizes.o" ]; then
        sizes "$nmt" "$b/$t/sizes.o" >"$tmp/sizes.$t"
        sizes "$nmt" "$b/$t/sizes_labels.o" | sed 's/^/labels_/' >>"$tmp/sizes.$t"
        sizes "$nmt" "$b/$t/sizes_nodouble.o" | sed 's/^/nodouble_/' >>"$tmp/sizes.$t"
        if [ -s "$tmp/sizes.$t" ]; then
            cols="$cols $label"
            files="$files $tmp/sizes.$t"
        fi
    fi
done
if [ -n "$files" ]; then
    echo
    echo "sizeof, in bytes (from sizes.o of each target, nm -S):"
    printf '  %-38s' "type"
    for c in $cols; do printf '%10s' "$c"; done
    echo
    for row in "coro:struct coro (a generator)" \
        "labels_coro:struct coro, CORO_USE_LABELS" \
        "nodouble_coro:struct coro, CORO_NO_DOUBLE" "value:coro_value" \
        "nodouble_value:coro_value, CORO_NO_DOUBLE" \
        "try:struct coro_try (one try block)" \
        "nodouble_try:struct coro_try, CORO_NO_DOUBLE" \
        "handle:struct coro_handle" "timer_slot:struct coro_timer_slot" \
        "future:struct coro_future" "task:struct coro_task (with its coro)" \
        "labels_task:struct coro_task, CORO_USE_LABELS" \
        "loop:struct coro_loop" "watch:struct coro_watch" "wait:struct coro_wait" \
        "wait_for:struct coro_wait_for" "shield:struct coro_shield" \
        "lock:struct coro_lock" "event:struct coro_event" \
        "condition:struct coro_condition" "semaphore:struct coro_semaphore" \
        "queue:struct coro_queue" "pointer:void *"; do
        key=${row%%:*}
        printf '  %-38s' "${row#*:}"
        for f in $files; do
            printf '%10s' "$(awk -v k="$key" '$1 == k { print $2 }' "$f")"
        done
        echo
    done
    if [ -f "$tmp/sizes.avr" ]; then
        g=$(awk '$1 == "coro" { print $2 }' "$tmp/sizes.avr")
        if [ "$g" -le 16 ]; then ok "avr: struct coro is $g bytes (target: <= 16)"
        else bad "avr: struct coro is $g bytes (target: <= 16)"; fi
    fi
fi

# ---- flash and RAM of each ELF --------------------------------------------
for t in $targets; do
    case $t in avr) sz=avr-size ;; arm) sz=arm-none-eabi-size ;; esac
    echo
    echo "$t: flash = text + data; RAM = data + bss (static) + peak stack (measured by NAME.stack.elf):"
    printf '  %-16s%8s%8s%8s%8s%8s%8s%8s\n' elf text data bss flash static stack RAM
    for d in generators countdown checks; do
        [ -f "$b/$t/$d.elf" ] || continue
        st=$(cat "$tmp/stack.$t.$d" 2>/dev/null)
        "$sz" -B "$b/$t/$d.elf" | awk -v n="$d.elf" -v st="${st:-?}" 'NR == 2 {
            printf "  %-16s%8d%8d%8d%8d%8d%8s%8s\n", n, $1, $2, $3, $1 + $2, $2 + $3,
                st, st == "?" ? "?" : $2 + $3 + st }'
    done
done
echo
echo "embedded: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
