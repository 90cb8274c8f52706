#!/bin/sh
# SPDX-License-Identifier: MIT
# The teaching material's own checks (issue 15).
# Usage: tests/teach.sh BUILD_DIR     (demos built in BUILD/demos)
# Ends with "teach: N passed, M failed" (and "S skipped" when a part needs
# a tool that is absent); exits non-zero if anything failed.
b=${1:-build}
d=$b/demos
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0 skip=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coro-teach.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -z "$2" ] || printf '%s\n' "$2" | sed 's/^/     /'; }
check() { if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "$3"; fi; }

# ---- the essay's promise: the whole loop in under 100 lines ---------------
n=$(awk '/^\/\* ---- the loop -/{on=1} on{n++} /^\/\* ---- end of the loop/{on=0} END{print n+0}' \
    "$top/demos/sleeping_loop.c")
[ "$n" -gt 20 ] && [ "$n" -lt 100 ]
check "sleeping_loop.c: the loop part is whole and under 100 lines ($n)" $? \
    "the part between '---- the loop' and '---- end of the loop' has $n lines"
grep -q '#include "loop.h"\|#include "io.h"' "$top/demos/sleeping_loop.c"
[ $? -ne 0 ]
check "sleeping_loop.c: on coro.h alone" $? "it includes loop.h or io.h"

# ---- docs/tutorial.md cannot drift from the demos -------------------------
# every ```c block is a run of lines of a file in demos/, as it is there;
# every ```console block is "$ COMMAND" and what COMMAND prints now
doc=$top/docs/tutorial.md
awk -v dir="$tmp" '
    /^```/ && kind != "" { kind = ""; next }
    /^```c$/ { kind = "c"; n++; f = dir "/c." n; printf "" > f; next }
    /^```console$/ { kind = "console"; n++; f = dir "/console." n; printf "" > f; next }
    kind != "" { print > f }
' "$doc"
nc=0
for blk in "$tmp"/c.*; do
    [ -f "$blk" ] || continue
    nc=$((nc + 1))
    awk 'FNR == 1 { if (blk != "" && index(text, blk)) found = 1; text = "" }
         NR == FNR { blk = blk $0 "\n"; next }
         { text = text $0 "\n" }
         END { if (index(text, blk)) found = 1; exit !found }' \
        "$blk" "$top"/demos/*.c "$top"/demos/*.h ||
        bad "tutorial.md: a C excerpt is not in demos/ as it is there" "$(head -3 "$blk")"
done
[ "$nc" -gt 20 ]
check "tutorial.md: its $nc C excerpts are each taken from demos/ verbatim" $? \
    "$nc excerpts found (or fewer than 21)"
for blk in "$tmp"/console.*; do
    [ -f "$blk" ] || continue
    cmd=$(head -1 "$blk" | sed -n 's/^\$ //p' | sed "s#build/#$b/#g")
    case $cmd in make*expand*)  # needs clang-format, which only `make expand` installs
        if ! command -v clang-format >/dev/null 2>&1; then
            skip=$((skip + 1)); echo "skip $cmd (no clang-format)"; continue
        fi ;;
    esac
    (cd "$top" && unset MAKEFLAGS MFLAGS MAKELEVEL && sh -c "$cmd") >"$tmp/out" 2>&1
    tail -n +2 "$blk" | cmp -s - "$tmp/out"
    check "tutorial.md: \$ $(head -1 "$blk" | cut -c3-) prints what it shows" $? \
        "$(tail -n +2 "$blk" | diff - "$tmp/out" | head -10)"
done

# ---- pictures of the schedule: the SVG against the run's events -------------
# expected: each task's runs, from CPython's timeline of the same program
# (tests/reference/*.timeline.out: a row per task, '#' in the columns where
# it ran, the time row giving each column's second); found: the SVG's lanes,
# runs and waits, read back. One element per line (demos/timeline.h).
want_runs() { # timeline.out -> "lane: t t t" per task, in order of first run
    awk '/^step/ { w = index($0, "0") - 1; on = 1; next }
         on && /^time/ { for (i = 1; i <= length($0) - w; i++) t[i] = substr($0, w + i, 1); next }
         on && NF { lane = substr($0, 1, w); sub(/ +$/, "", lane); s = lane ":"
                    for (i = 1; i <= length($0) - w; i++)
                        if (substr($0, w + i, 1) == "#") s = s " " t[i] ".000000"
                    print s }' "$1"
}
want_waits() { # "lane: from-to ..." between each task's consecutive runs
    want_runs "$1" | awk -F': ' '{ n = split($2, t, " "); s = $1 ":"
        for (i = 2; i <= n; i++) s = s " " t[i - 1] "-" t[i]; print s }'
}
svg_runs() { # the SVG's lanes in order, each with its runs' data-t
    awk -F'"' '/^<g class="lane"/ { if (s != "") print s; s = $4 ":" }
               /^<rect class="run"/ { s = s " " $6 }
               END { if (s != "") print s }' "$1"
}
svg_waits() {
    awk -F'"' '/^<g class="lane"/ { if (s != "") print s; s = $4 ":" }
               /^<line class="wait"/ { s = s " " $6 "-" $8 }
               END { if (s != "") print s }' "$1"
}
chromium=/usr/bin/chromium
for demo in countdown slow_operation; do
    case $demo in
        countdown) ref=sleeping_loop; args="--virtual --start-at 1234567" ;;
        *) ref=$demo; args="--virtual" ;;
    esac
    svg=$tmp/$demo.svg
    "$d/$demo" $args --timeline=svg "$svg" >/dev/null 2>&1
    check "$demo --timeline=svg: runs and writes the file" $? "$(ls -l "$svg" 2>&1)"
    [ "$(head -c 40 "$svg")" = '<svg xmlns="http://www.w3.org/2000/svg" ' ] &&
        [ "$(tail -1 "$svg")" = "</svg>" ] &&
        [ "$(grep -c '^<g class="lane"' "$svg")" = "$(grep -c '^</g>' "$svg")" ]
    check "$demo --timeline=svg: an <svg> document, its lanes closed" $? "$(head -3 "$svg")"
    want=$(want_runs "$top/tests/reference/$ref.timeline.out") got=$(svg_runs "$svg")
    [ -n "$want" ] && [ "$want" = "$got" ]
    check "$demo --timeline=svg: a lane per task, a bar per run, at CPython's times" $? \
        "want:
$want
got:
$got"
    want=$(want_waits "$top/tests/reference/$ref.timeline.out") got=$(svg_waits "$svg")
    [ "$want" = "$got" ]
    check "$demo --timeline=svg: a wait from each run to the task's next" $? \
        "want:
$want
got:
$got"
    cmp -s "$svg" "$top/docs/$demo.svg"
    check "$demo --timeline=svg: docs/$demo.svg is what it draws now" $? \
        "$(diff "$top/docs/$demo.svg" "$svg" | head -5)"
    if [ ! -x "$chromium" ]; then
        skip=$((skip + 1)); echo "skip $demo --timeline=svg in headless Chromium (no $chromium)"
        continue
    fi
    lanes=$(grep -c '^<g class="lane"' "$svg")
    prof=$(mktemp -d "$tmp/chromium.XXXXXX")
    timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
        --dump-dom "file://$svg" >"$tmp/dom" 2>"$tmp/chromium.err"
    rc=$?
    [ $rc -eq 0 ] && [ "$(grep -o '<g class="lane"' "$tmp/dom" | wc -l)" -eq "$lanes" ]
    check "$demo --timeline=svg: Chromium loads it and shows $lanes lanes" $? \
        "exit $rc; $(head -c 300 "$tmp/dom"); $(tail -3 "$tmp/chromium.err")"
done

# ---- the offline teaching demos under memcheck ------------------------------
if command -v valgrind >/dev/null 2>&1; then
    for run in "sleeping_loop --virtual" fab yield_from throw "countdown34 --virtual" \
        "countdown --virtual --timeline --timeline=svg $tmp/vg.svg" \
        "slow_operation --virtual --timeline --timeline=svg $tmp/vg.svg"; do
        valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all \
            $d/$run >/dev/null 2>"$tmp/vg.err"
        check "valgrind: ${run%% --timeline=*}: no error, no leak" $? "$(head -20 "$tmp/vg.err")"
    done
else
    skip=$((skip + 1)); echo "skip the demos under valgrind (no valgrind)"
fi

[ "$skip" -eq 0 ] || echo "teach-skipped: $skip skipped"
echo "teach: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
