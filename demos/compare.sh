#!/bin/sh
# SPDX-License-Identifier: MIT
# The tutorial's comparison, measured: the same fetches done one after the
# other (blocking), by a process or a thread per fetch, by a busy loop over
# non-blocking sockets, by callbacks on a selector, and by coroutines (the
# library's loop; the tutorial's own, from scratch; asyncio's level).
#
#   demos/compare.sh [BUILD_DIR]      (demos built in BUILD/demos: make)
#
# Round 1: the three slow poetry servers of `make demo` (2001, 601 and 901
# bytes; 1.1, 1.3 and 1.9 s), each fetched once.
# Round 2: N connections at once (N=1000, COMPARE_N to change it) to poetry
# servers that send a 901-byte poem and hang up after 0.05 s: where a thread
# or a process per connection starts to cost. (The crawlers read until
# the server hangs up; echo_server never does, so it cannot serve them.)
#
# Prints a table (Markdown) of wall time, CPU time (user + system) and peak
# resident memory, as /usr/bin/time -v reports them. For the processes,
# the peak is that of the largest single process: there are N of them.
# A measurement, not a test: not part of `make test`. 127.0.0.1 only; every
# server started here is stopped here, by its pid.
b=${1:-build}
d=$b/demos
here=$(cd "$(dirname "$0")" && pwd)
ref=$here/../tests/reference
n=${COMPARE_N:-1000}
[ -x /usr/bin/time ] || "$here/../tests/deps.sh" time || exit 1
for c in crawler_blocking crawler_processes crawler_threads crawler_busy crawler_callbacks \
    crawler crawler_scratch crawler_asyncio slowpoetry; do
    [ -x "$d/$c" ] || { echo "compare: $d/$c is missing (make first)"; exit 1; }
done
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coro-compare.XXXXXX") || exit 1
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# serve NAME ARGS...: a poetry server; sets $port
serve() {
    name=$1; shift
    timeout 600 "$d/slowpoetry" --port 0 "$@" >"$tmp/$name.out" 2>&1 &
    pids="$pids $!"
    port="" i=0
    while [ -z "$port" ] && [ $i -lt 100 ]; do
        sleep 0.05; i=$((i + 1))
        port=$(sed -n 's/.* on port \([0-9][0-9]*\)$/\1/p' "$tmp/$name.out" | head -1)
    done
    [ -n "$port" ] || { echo "compare: slowpoetry $name did not start"; exit 1; }
}

# measure CONNECTIONS MODEL COMMAND...: one row of the table
measure() {
    conns=$1 model=$2; shift 2
    /usr/bin/time -v -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    lines=$(grep -c '^port ' "$tmp/out")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }')
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$tmp/time")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
    note=""
    [ "$rc" -eq 0 ] && [ "$lines" -eq "$conns" ] || note=" (exit $rc, $lines of $conns fetched)"
    printf '| %s | %s | %s | %s | %s | %s |%s\n' "$model" "$(basename "$1")" "$conns" "$wall" \
        "$cpu" "$rss" "$note"
}

rows() { # CONNECTIONS PORTS...
    c=$1; shift
    measure "$c" "blocking, one after the other" "$d/crawler_blocking" "$@"
    measure "$c" "a process per fetch" "$d/crawler_processes" "$@"
    measure "$c" "a thread per fetch" "$d/crawler_threads" "$@"
    measure "$c" "non-blocking, busy loop" "$d/crawler_busy" "$@"
    measure "$c" "selector and callbacks" "$d/crawler_callbacks" "$@"
    measure "$c" "coroutines (the library's loop)" "$d/crawler" "$@"
    measure "$c" "coroutines (from scratch)" "$d/crawler_scratch" --yield-from "$@"
    measure "$c" "coroutines (asyncio level)" "$d/crawler_asyncio" "$@"
}

echo "| model | program | connections | wall s | CPU s | peak RSS KB |"
echo "|---|---|---:|---:|---:|---:|"
serve ecstasy --num-bytes 200 --delay 0.1 --max-clients 8 "$ref/ecstasy.txt"
p1=$port
serve fascination --num-bytes 50 --delay 0.1 --max-clients 8 "$ref/fascination.txt"
p2=$port
serve science --num-bytes 50 --delay 0.1 --max-clients 8 "$ref/science.txt"
p3=$port
rows 3 "$p1" "$p2" "$p3"

# slowpoetry's listen backlog is 128: a server per 100 connections, so that
# no connection waits for a SYN to be sent again (1 s)
k=$(((n + 99) / 100))
j=0 many=""
while [ $j -lt $k ]; do
    serve many$j --num-bytes 1000 --delay 0.05 --max-clients $((8 * 100)) "$ref/science.txt"
    many="$many $port"
    j=$((j + 1))
done
set --
i=0
while [ $i -lt "$n" ]; do
    for p in $many; do [ $i -lt "$n" ] && set -- "$@" "$p"; i=$((i + 1)); done
done
rows "$n" "$@"
