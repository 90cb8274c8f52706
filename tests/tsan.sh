#!/bin/sh
# SPDX-License-Identifier: MIT
# ThreadSanitizer run of the thread-safe wakeup (tests/tsan_wakeup.c, built
# with -fsanitize=thread by mk/tsan.mk into BUILD/tsan/): first with a planted
# data race, which ThreadSanitizer must report (so the build is instrumented
# and ThreadSanitizer works on this machine), then the real run, which must
# end with no report at all (it also runs call_soon_threadsafe with a
# payload); then the resolver pool's run (tests/tsan_resolve.c), no report
# either. Ends with "tsan: N passed, M failed".
# Usage: tests/tsan.sh BUILD_DIR
#
# ThreadSanitizer needs a memory layout it knows: with a high ASLR entropy
# (vm.mmap_rnd_bits above 28 on x86-64, some recent kernels) it stops with
# "FATAL: ThreadSanitizer: unexpected memory mapping". Then each run is
# repeated under `setarch $(uname -m) -R` (ASLR off for that process only;
# no sysctl is changed), and the line "tsan: ASLR off (setarch -R)" says so.
b=${1:-build}
bin=$b/tsan/tsan_wakeup
pass=0 fail=0
export TSAN_OPTIONS="exitcode=66 halt_on_error=0 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
norand=""

tsan() { # runs $bin with the arguments; sets $out and $rc
    out=$($norand "$bin" "$@" 2>&1); rc=$?
    if [ -z "$norand" ] && printf '%s\n' "$out" | grep -q "unexpected memory mapping"; then
        norand="setarch $(uname -m) -R"
        echo "tsan: ASLR off (setarch -R): ThreadSanitizer refused the memory layout"
        out=$($norand "$bin" "$@" 2>&1); rc=$?
    fi
}

if [ ! -x "$bin" ]; then
    echo "tsan: $bin is missing (make $bin)"
    echo "tsan: 0 passed, 1 failed"
    exit 1
fi

tsan --race
if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q "WARNING: ThreadSanitizer: data race"; then
    echo "tsan: the planted race is reported: ok"
    pass=$((pass + 1))
else
    printf '%s\n' "$out" | tail -20
    echo "tsan: the planted race was NOT reported (exit status $rc): is the build instrumented?"
    fail=$((fail + 1))
fi

# The real runs: each must end with "NAME: N passed, 0 failed" (N > 0) and
# no report at all.
for name in tsan_wakeup tsan_resolve; do
    bin=$b/tsan/$name
    if [ ! -x "$bin" ]; then
        echo "tsan: $bin is missing (make $bin)"
        fail=$((fail + 1))
        continue
    fi
    tsan
    printf '%s\n' "$out"
    n=$(printf '%s\n' "$out" | sed -n "s/^$name: \([0-9]*\) passed, 0 failed\$/\1/p")
    if [ "$rc" -eq 0 ] && [ "${n:-0}" -gt 0 ] && ! printf '%s\n' "$out" | grep -q "ThreadSanitizer"; then
        echo "tsan: $name, $n runs: no report"
        pass=$((pass + n))
    else
        echo "tsan: $name FAILED (exit status $rc)"
        fail=$((fail + 1))
    fi
done
echo "tsan: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
