#!/bin/sh
# SPDX-License-Identifier: MIT
# One loop per thread (demos/reuseport_server.c): 4 loops on 4 threads share
# one port on 127.0.0.1 through SO_REUSEPORT. CLIENTS upper_clients connect
# at once, each sending its own lines: every reply must be its input in
# capitals, byte for byte; the server must stop by itself once it has served
# them all (exit 0, the per-loop counts adding up, more than one loop used);
# and a server with no client limit must stop cleanly on SIGTERM (exit 0).
# Usage: tests/reuseport.sh BUILD_DIR. Only 127.0.0.1, a port the OS picks,
# every command under timeout; only the servers started here are killed, by
# pid. Ends with "reuseport: N passed, M failed".
d=$1/demos
CLIENTS=40
pass=0 fail=0 pids=""
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coro-reuseport.XXXXXX") || exit 1
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT
check() { # what status
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}
# start ARGS...: a server in the background ($srv its pid); sets $port
start() {
    timeout 60 "$d/reuseport_server" --port 0 "$@" >"$tmp/srv.out" 2>"$tmp/srv.err" &
    srv=$!; pids="$pids $srv"
    port="" i=0
    while [ -z "$port" ] && [ $i -lt 200 ]; do
        sleep 0.05; i=$((i + 1))
        port=$(sed -n 's/^listening on port \([0-9][0-9]*\)$/\1/p' "$tmp/srv.out")
    done
}

start --loops 4 --max-clients $CLIENTS
[ -n "$port" ]; check "the server listens (port $port)" $?
i=1
while [ $i -le $CLIENTS ]; do
    printf 'client %d says hello\nline two of client %d\nlast: %d\n' $i $i $i >"$tmp/in$i"
    timeout 30 "$d/upper_client" "$port" <"$tmp/in$i" >"$tmp/out$i" 2>"$tmp/err$i" &
    eval "cl$i=\$!"
    i=$((i + 1))
done
bad=0 i=1
while [ $i -le $CLIENTS ]; do
    eval "wait \$cl$i" || bad=$((bad + 1))
    LC_ALL=C tr a-z A-Z <"$tmp/in$i" | cmp -s - "$tmp/out$i" || bad=$((bad + 1))
    i=$((i + 1))
done
[ $bad -eq 0 ]; check "$CLIENTS clients at once: every reply is the input in capitals" $?
wait "$srv"; rc=$?
[ $rc -eq 0 ]; check "the server stops by itself after $CLIENTS clients (exit $rc)" $?
line=$(sed -n 's/^served \([0-9]*\) clients on 4 loops:\(.*\)$/\1 \2/p' "$tmp/srv.out")
set -- $line
total=$1; shift
sum=0 used=0
for n in "$@"; do sum=$((sum + n)); [ "$n" -gt 0 ] && used=$((used + 1)); done
[ "$total" = $CLIENTS ] && [ $sum -eq $CLIENTS ] && [ $# -eq 4 ]
check "it says it served $CLIENTS clients, per loop:$(printf ' %s' "$@")" $?
[ $used -ge 2 ]; check "the kernel spread them over more than one loop ($used of 4)" $?
[ ! -s "$tmp/srv.err" ]; check "nothing on its stderr" $?

start --loops 2
printf 'one\n' | timeout 30 "$d/upper_client" "$port" >"$tmp/one"
[ "$(cat "$tmp/one")" = ONE ]; check "a server with no limit serves a client" $?
kill -TERM "$srv"
wait "$srv"; rc=$?
[ $rc -eq 0 ] && grep -q '^served 1 clients on 2 loops: ' "$tmp/srv.out"
check "SIGTERM stops it cleanly (exit $rc, one client served)" $?
echo "reuseport: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
