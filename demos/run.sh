#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo: runs every demo the way its original runs. About 40 seconds.
# Usage: demos/run.sh BUILD_DIR  (demos in BUILD/demos, the echo test client
# in BUILD/tests/echo_clients). Network demos use 127.0.0.1 only, on ports
# the OS picks; every process started here is stopped here, by its pid.
b=${1:-build}
d=$b/demos
ref=$(cd "$(dirname "$0")/../tests/reference" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coro-demo.XXXXXX") || exit 1
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
fail=0
run() { echo; echo "\$ $*"; "$@" || fail=1; }

# serve NAME COMMAND...: starts a server, sets $port from its "on port P" line
serve() {
    name=$1; shift
    timeout 60 "$@" >"$tmp/$name.out" 2>&1 &
    pids="$pids $!"
    port="" i=0
    while [ -z "$port" ] && [ $i -lt 100 ]; do
        sleep 0.05; i=$((i + 1))
        port=$(sed -n 's/.* on port \([0-9][0-9]*\)$/\1/p' "$tmp/$name.out" | head -1)
    done
    echo "$(head -1 "$tmp/$name.out")"
    [ -n "$port" ] || fail=1
}

run "$d/generators"
run "$d/fab"
run "$d/yield_from"
run "$d/throw"
run "$d/countdown34"
run "$d/sleeping_loop"
run "$d/countdown" --timeline
run "$d/slow_operation"

echo; echo "# three slow poetry servers, then the tutorial's three crawlers"
serve ecstasy "$d/slowpoetry" --port 0 --num-bytes 200 --delay 0.1 --max-clients 3 "$ref/ecstasy.txt"
p1=$port
serve fascination "$d/slowpoetry" --port 0 --num-bytes 50 --delay 0.1 --max-clients 3 "$ref/fascination.txt"
p2=$port
serve science "$d/slowpoetry" --port 0 --num-bytes 50 --delay 0.1 --max-clients 3 "$ref/science.txt"
p3=$port
for c in crawler_blocking crawler_callbacks crawler; do
    run timeout 60 "$d/$c" "$p1" "$p2" "$p3"
done

echo; echo "# the teaching crawlers (docs/tutorial.md) against three more servers"
teach=""
for c in crawler_asyncio crawler_scratch crawler_processes crawler_threads crawler_busy; do
    [ -x "$d/$c" ] && teach="$teach $c"
done
n=$(($(echo $teach | wc -w) + 1))     # crawler_scratch runs twice
serve tecstasy "$d/slowpoetry" --port 0 --num-bytes 200 --delay 0.1 --max-clients $n "$ref/ecstasy.txt"
p1=$port
serve tfascination "$d/slowpoetry" --port 0 --num-bytes 50 --delay 0.1 --max-clients $n "$ref/fascination.txt"
p2=$port
serve tscience "$d/slowpoetry" --port 0 --num-bytes 50 --delay 0.1 --max-clients $n "$ref/science.txt"
p3=$port
for c in $teach; do
    run timeout 60 "$d/$c" "$p1" "$p2" "$p3"
done
[ -x "$d/crawler_scratch" ] && run timeout 60 "$d/crawler_scratch" --yield-from "$p1" "$p2" "$p3"

echo; echo "# the echo server and 1,000 clients at once"
serve echo "$d/echo_server" --port 0
run timeout 60 "$b/tests/echo_clients" "$port" --clients 1000 --bytes 4000 --timeout 30
for p in $pids; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
exit $fail
