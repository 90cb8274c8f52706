#!/bin/sh
# SPDX-License-Identifier: MIT
# The upper-casing server and client on streams (demos/upper_server.c,
# demos/upper_client.c) against each other and against their asyncio twin
# (tests/reference/upper.py): every pairing prints the input in capitals,
# byte for byte what python3's own pairing prints.
# Usage: tests/upper.sh BUILD_DIR. Only 127.0.0.1, ports the OS picks, every
# command under timeout; only the servers started here are killed, by pid.
# Ends with "upper: N passed, M failed".
d=$1/demos
here=$(cd "$(dirname "$0")" && pwd)
py=$here/reference/upper.py
pass=0 fail=0 pids=""
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coro-upper.XXXXXX") || exit 1
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; [ -n "$KEEP" ] || rm -rf "$tmp"' EXIT
check() { # what status
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}
# the input: the poems in lines of 1 to 72 bytes, a blank line, a line
# with a non-ASCII letter (left as it is); every line fits the C demos' buffers
cat "$here/reference/ecstasy.txt" "$here/reference/fascination.txt" | fold -w 72 >"$tmp/in"
printf '\nx\n' >>"$tmp/in"
printf 'mixed Case 123 \303\244\n' >>"$tmp/in"
# start NAME CMD...: a server for 2 clients; sets $port (empty if it never came)
start() {
    name=$1; shift
    timeout 60 "$@" --port 0 --max-clients 2 >"$tmp/$name.out" 2>"$tmp/$name.err" &
    eval "bg_$name=$!"; pids="$pids $!"
    port="" i=0
    while [ -z "$port" ] && [ $i -lt 200 ]; do
        sleep 0.05; i=$((i + 1))
        port=$(sed -n 's/.* on port \([0-9][0-9]*\)$/\1/p' "$tmp/$name.out")
    done
}
have_py=0
command -v python3 >/dev/null 2>&1 && have_py=1
# python3's own pairing: what every other pairing must print
if [ $have_py = 1 ]; then
    start pysrv python3 "$py"
    timeout 30 python3 "$py" --client "$port" <"$tmp/in" >"$tmp/want"
    check "asyncio client against the asyncio server" $?
    timeout 30 "$d/upper_client" "$port" <"$tmp/in" >"$tmp/got"
    cmp -s "$tmp/want" "$tmp/got"; check "C client against the asyncio server: the same output" $?
    wait "$bg_pysrv"; check "asyncio server exits 0 after 2 clients" $?
else
    echo "upper: no python3: the expected output is the input upper-cased by tr"
    LC_ALL=C tr a-z A-Z <"$tmp/in" >"$tmp/want"
fi
LC_ALL=C tr a-z A-Z <"$tmp/in" | cmp -s - "$tmp/want"
check "the output is the input in capitals (ASCII letters only)" $?
start csrv "$d/upper_server"
timeout 30 "$d/upper_client" "$port" <"$tmp/in" >"$tmp/got"
cmp -s "$tmp/want" "$tmp/got"; check "C client against the C server: the same output" $?
if [ $have_py = 1 ]; then
    timeout 30 python3 "$py" --client "$port" <"$tmp/in" >"$tmp/got"
    cmp -s "$tmp/want" "$tmp/got"; check "asyncio client against the C server: the same output" $?
else
    timeout 30 "$d/upper_client" "$port" <"$tmp/in" >/dev/null
fi
wait "$bg_csrv"; check "C server exits 0 after 2 clients" $?
[ -s "$tmp/csrv.err" ] && { echo "     upper_server said:"; cat "$tmp/csrv.err"; }
echo "upper: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
