#!/bin/sh
# SPDX-License-Identifier: MIT
# The line-count figure's programs (demos/lines/): each C program prints
# what its Python twin prints, and the figure itself (demos/lines/count.sh).
#   pc:    its output is pc.out, what CPython printed (and pc.py's own, if
#          python3 is here);
#   crawl: against three slow poetry servers and a closed port: a line per
#          poem with its size, in the order they finish (and crawl.py's
#          stdout, if python3 is here); the closed port is an error, not a line;
#   upper: its server and client against each other and against upper.py:
#          the input in capitals.
# Usage: tests/lines.sh BUILD_DIR. Only 127.0.0.1, ports the OS picks, every
# command under timeout; only the servers started here are killed, by pid.
# Ends with "lines: N passed, M failed".
b=$1
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../demos/lines
ref=$here/reference
pass=0 fail=0 pids=""
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coro-lines.XXXXXX") || exit 1
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
check() { # what status [details]
    if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "ok   $1"
    else fail=$((fail + 1)); echo "FAIL $1"; [ -z "$3" ] || printf '%s\n' "$3" | sed 's/^/     /'; fi
}
have_py=0
command -v python3 >/dev/null 2>&1 && have_py=1
# start NAME CMD...: a server in the background; sets $port from its line
# "... on port P" (empty if it never came)
start() {
    name=$1; shift
    timeout 60 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids="$pids $!"
    port="" i=0
    while [ -z "$port" ] && [ $i -lt 200 ]; do
        sleep 0.05; i=$((i + 1))
        port=$(sed -n 's/.* on port \([0-9][0-9]*\)$/\1/p' "$tmp/$name.out")
    done
}

# ---- pc
timeout 30 "$b/lines/pc" >"$tmp/pc"; rc=$?
[ $rc -eq 0 ] && cmp -s "$src/pc.out" "$tmp/pc"
check "pc: prints what CPython printed (pc.out)" $? "exit $rc; $(cat "$tmp/pc")"
if [ $have_py = 1 ]; then
    timeout 30 python3 "$src/pc.py" | cmp -s - "$tmp/pc"
    check "pc: prints what pc.py prints" $?
fi

# ---- crawl: the servers' delays set the order the poems finish in
start s1 "$b/demos/slowpoetry" --port 0 --num-bytes 200 --delay 0.02 --max-clients 2 \
    "$ref/fascination.txt"
P1=$port
start s2 "$b/demos/slowpoetry" --port 0 --num-bytes 100 --delay 0.05 --max-clients 2 \
    "$ref/science.txt"
P2=$port
start s3 "$b/demos/slowpoetry" --port 0 --num-bytes 100 --delay 0.08 --max-clients 2 \
    "$ref/ecstasy.txt"
P3=$port
start gone "$b/demos/slowpoetry" --port 0 --max-clients 1 "$ref/science.txt"
P4=$port
kill "${pids##* }" 2>/dev/null; wait "${pids##* }" 2>/dev/null
if [ -z "$P1" ] || [ -z "$P2" ] || [ -z "$P3" ] || [ -z "$P4" ]; then
    check "crawl: the slow poetry servers start" 1
else
    printf 'port %s: %d bytes\n' "$P1" "$(wc -c <"$ref/fascination.txt")" \
        "$P2" "$(wc -c <"$ref/science.txt")" "$P3" "$(wc -c <"$ref/ecstasy.txt")" >"$tmp/want"
    timeout 30 "$b/lines/crawl" "$P3" "$P4" "$P2" "$P1" >"$tmp/crawl" 2>"$tmp/crawl.err"; rc=$?
    [ $rc -eq 0 ] && cmp -s "$tmp/want" "$tmp/crawl" && grep -q "^port $P4: " "$tmp/crawl.err"
    check "crawl: each poem's size as it finishes; the closed port an error" $? \
        "exit $rc; stdout: $(cat "$tmp/crawl"); stderr: $(cat "$tmp/crawl.err")"
    if [ $have_py = 1 ]; then
        timeout 30 python3 "$src/crawl.py" "$P3" "$P4" "$P2" "$P1" 2>/dev/null | cmp -s - "$tmp/crawl"
        check "crawl: prints what crawl.py prints" $?
    fi
fi

# ---- upper: every pairing of server and client prints the input in capitals
cat "$ref/ecstasy.txt" "$ref/fascination.txt" | fold -w 72 >"$tmp/in"
LC_ALL=C tr a-z A-Z <"$tmp/in" >"$tmp/want"
for server in C py; do
    [ $server = py ] && [ $have_py = 0 ] && continue
    if [ $server = C ]; then start up "$b/lines/upper" --port 0 --max-clients 2
    else start up python3 "$ref/upper.py" --port 0 --max-clients 2; fi
    for client in C py; do
        if [ $client = py ] && [ $have_py = 0 ]; then
            timeout 30 "$b/lines/upper" --client "$port" <"$tmp/in" >/dev/null
            continue
        fi
        if [ $client = C ]; then timeout 30 "$b/lines/upper" --client "$port" <"$tmp/in" >"$tmp/got"
        else timeout 30 python3 "$ref/upper.py" --client "$port" <"$tmp/in" >"$tmp/got"; fi
        cmp -s "$tmp/want" "$tmp/got"
        check "upper: $client client against the $server server: the input in capitals" $?
    done
    wait "${pids##* }"
    check "upper: the $server server exits 0 after 2 clients" $? "$(cat "$tmp/up.err")"
done

"$src/count.sh"
echo "lines: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
