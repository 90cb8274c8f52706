#!/bin/sh
# SPDX-License-Identifier: MIT
# The network demos against each other, against the Python originals, and
# under faults. Builds nothing but the test client tests/echo_clients.c.
# Usage: tests/net.sh BUILD_DEMOS_DIR     (e.g. build/demos)
#
# Only 127.0.0.1, on ports the OS picks (servers run with --port 0 and the
# port is read from their first line). Every command runs under `timeout`;
# only the processes started here are killed (by their pid, at exit too).
# Ends with "net: N passed, M failed"; exits non-zero if anything failed.
dir=${1:-build/demos}
LC_ALL=C; export LC_ALL          # error messages in English (EMFILE check)
here=$(cd "$(dirname "$0")" && pwd)
ref=$here/reference
T="timeout 60"                     # every client command
command -v timeout >/dev/null 2>&1 || { echo "net: no timeout(1): running unbounded"; T=""; }
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/coro-net.XXXXXX") || exit 1
pids=""

cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { # what [details]
    fail=$((fail + 1)); echo "FAIL $1"
    [ -n "$2" ] && printf '%s\n' "$2" | sed 's/^/     /'
    return 0
}
check() { # what condition-status details
    if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1" "$3"; fi
}

# note_pid: once the server of start() has written its pid, notes it.
note_pid() {
    if [ -z "$(eval echo \$pid_$name)" ] && [ -s "$tmp/$name.pid" ]; then
        p=$(cat "$tmp/$name.pid")
        eval "pid_$name=$p"
        pids="$pids $p"
    fi
}

# start NAME COMMAND...: runs a server in the background (under $T),
# notes its pid, waits (up to 10 s) for its "... on port P" line. Sets $port
# (empty if it never came) and pid_NAME / bg_NAME for stop and wait.
start() {
    name=$1; shift
    rm -f "$tmp/$name.pid"
    : >"$tmp/$name.out"
    # under timeout, the inner sh writes its own pid and becomes the server:
    # stop signals the server itself, once (timeout would pass a SIGTERM on
    # to its whole process group, then SIGCONT, which can upset a sanitizer's
    # exit); wait takes the exit status from $! (timeout gives the server's)
    $T sh -c 'echo $$ >"$0.pid"; exec "$@"' "$tmp/$name" "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err" &
    eval "bg_$name=$!"
    pids="$pids $!"
    port="" i=0
    while [ $i -lt 200 ]; do
        note_pid
        port=$(sed -n 's/.* on port \([0-9][0-9]*\)$/\1/p' "$tmp/$name.out" | head -1)
        [ -n "$port" ] && break
        kill -0 "$(eval echo \$bg_$name)" 2>/dev/null || break
        sleep 0.05
        i=$((i + 1))
    done
    note_pid
    [ -n "$port" ] || echo "     ($name did not start: $(cat "$tmp/$name.err"))"
    return 0
}

# stop NAME: SIGTERM, then its exit status in $status (or 255 if it hung).
stop() {
    p=$(eval echo \$pid_$1)
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
    finish "$1"
}

# finish NAME: waits (up to 30 s) for the server to exit; status in $status.
finish() {
    b=$(eval echo \$bg_$1) i=0
    while kill -0 "$b" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
    if kill -0 "$b" 2>/dev/null; then
        status=255
    else
        wait "$b"; status=$?
    fi
}

# alive NAME: 0 if the server still runs.
alive() { kill -0 "$(eval echo \$pid_$1)" 2>/dev/null; }

# the "total X.X s" line of an output, as a number
total_of() { printf '%s\n' "$1" | sed -n 's/^total \([0-9][0-9]*\.[0-9]\) s$/\1/p'; }
# the output without its total line
lines_of() { printf '%s\n' "$1" | grep -v '^total '; }

for d in slowpoetry crawler_blocking crawler_callbacks crawler echo_server; do
    if [ ! -x "$dir/$d" ]; then
        echo "net: $dir/$d is missing (build it first: make $dir/$d)"
        echo "net: 0 passed, 1 failed"
        exit 1
    fi
done
if [ -n "$ECHO_CLIENTS" ]; then
    clients=$ECHO_CLIENTS
else
    clients=$tmp/echo_clients
    if ! ${CC:-cc} -std=c99 -O2 -I"$here/.." "$here/echo_clients.c" -o "$clients"; then
        echo "net: cannot build tests/echo_clients.c"
        echo "net: 0 passed, 1 failed"
        exit 1
    fi
fi

# ---- (1) the three C crawlers against three C slow poetry servers ---------
echo "== crawlers against the C servers"
start ecstasy "$dir/slowpoetry" --port 0 --num-bytes 200 --delay 0.1 --max-clients 3 \
    "$ref/ecstasy.txt"
P1=$port
start fascination "$dir/slowpoetry" --port 0 --num-bytes 50 --delay 0.1 --max-clients 3 \
    "$ref/fascination.txt"
P2=$port
start science "$dir/slowpoetry" --port 0 --num-bytes 50 --delay 0.1 --max-clients 3 \
    "$ref/science.txt"
P3=$port
if [ -z "$P1" ] || [ -z "$P2" ] || [ -z "$P3" ]; then
    bad "slowpoetry servers start"
else
    # asked slowest poem first: the blocking crawler answers in that order,
    # the concurrent ones as the poems finish (ecstasy 1.1 s, fascination
    # 1.3 s, science 1.9 s)
    in_order="port $P3: 901 bytes
port $P2: 601 bytes
port $P1: 2001 bytes"
    by_speed="port $P1: 2001 bytes
port $P2: 601 bytes
port $P3: 901 bytes"
    for c in crawler_blocking crawler_callbacks crawler; do
        out=$($T "$dir/$c" "$P3" "$P2" "$P1" 2>&1); rc=$?
        eval "out_$c=\$out"
        if [ $c = crawler_blocking ]; then want=$in_order; else want=$by_speed; fi
        [ $rc -eq 0 ] && [ "$(lines_of "$out")" = "$want" ] && [ -n "$(total_of "$out")" ]
        check "$c: the three poems, whole, in the expected order" $? \
            "exit $rc; got:
$out
want:
$want
total X.X s"
    done
    sum=$(total_of "$out_crawler_blocking") conc=$(total_of "$out_crawler")
    if [ -n "$sum" ] && [ -n "$conc" ] &&
        awk -v s="$sum" -v c="$conc" 'BEGIN { exit !(c < s * 2 / 3) }'; then
        ok "crawler: concurrent ($conc s, against $sum s one after the other)"
    else
        bad "crawler: concurrent" "coroutine crawler: ${conc:-?} s; the fetches one after the other: ${sum:-?} s; want less than 2/3 of it"
    fi
    for s in ecstasy fascination science; do
        finish $s
        check "slowpoetry ($s): exits 0 after --max-clients 3" $status \
            "exit $status; stderr: $(cat "$tmp/$s.err")"
    done
fi

# ---- (1b) the teaching crawlers (docs/tutorial.md) against the C servers --
# each prints the lines crawler.c prints, as the poems finish (they all
# fetch at once: by coroutines, threads, processes or a busy loop)
echo "== teaching crawlers against the C servers"
teach="crawler_asyncio crawler_scratch crawler_scratch:--yield-from crawler_processes
crawler_threads crawler_busy"
# the Python original each one follows (tests/reference/), run against the
# same servers when there is a python3: the same lines, in the same order
original() { # crawler [option]
    case $1 in
        crawler_scratch) if [ -n "$2" ]; then echo crawler_coro.py; else echo crawler_yield.py; fi ;;
        *) echo "$1.py" ;;
    esac
}
py=""; command -v python3 >/dev/null 2>&1 && py=python3
n=0
for c in $teach; do [ -x "$dir/${c%%:*}" ] && n=$((n + 1)); done
[ -n "$py" ] && n=$((n * 2))                      # each C crawler, then its Python
[ -x "$dir/crawler_asyncio" ] && n=$((n + 1))     # and once more for its picture
start tecstasy "$dir/slowpoetry" --port 0 --num-bytes 200 --delay 0.1 --max-clients $n \
    "$ref/ecstasy.txt"
T1=$port
start tfascination "$dir/slowpoetry" --port 0 --num-bytes 50 --delay 0.1 --max-clients $n \
    "$ref/fascination.txt"
T2=$port
start tscience "$dir/slowpoetry" --port 0 --num-bytes 50 --delay 0.1 --max-clients $n \
    "$ref/science.txt"
T3=$port
if [ -z "$T1" ] || [ -z "$T2" ] || [ -z "$T3" ]; then
    bad "slowpoetry servers start (teaching crawlers)"
else
    for c in $teach; do
        [ -x "$dir/${c%%:*}" ] || continue
        opt=""; [ "$c" != "${c%%:*}" ] && opt=${c#*:}
        out=$($T "$dir/${c%%:*}" $opt "$T3" "$T2" "$T1" 2>&1); rc=$?
        want="port $T1: 2001 bytes
port $T2: 601 bytes
port $T3: 901 bytes"
        [ $rc -eq 0 ] && [ "$(lines_of "$out")" = "$want" ] && [ -n "$(total_of "$out")" ]
        check "${c%%:*}${opt:+ $opt}: the three poems, whole, as they finish" $? \
            "exit $rc; got:
$out
want:
$want
total X.X s"
        [ -n "$py" ] || continue
        orig=$(original ${c%%:*} $opt)
        pyout=$($T $py "$ref/$orig" "$T3" "$T2" "$T1" 2>&1)
        [ "$(lines_of "$pyout")" = "$want" ] && [ "$(lines_of "$out")" = "$(lines_of "$pyout")" ]
        check "${c%%:*}${opt:+ $opt}: prints the lines $orig prints" $? \
            "C (exit $rc):
$out
Python:
$pyout"
    done
    # its schedule as a picture: a lane per fetch, a bar per run, a wait
    # between each run and the next (the SVG's lines: demos/timeline.h)
    if [ -x "$dir/crawler_asyncio" ]; then
        $T "$dir/crawler_asyncio" --timeline=svg "$tmp/crawler.svg" "$T3" "$T2" "$T1" \
            >/dev/null 2>&1; rc=$?
        lanes=$(sed -n 's/^<g class="lane" data-lane="\(.*\)">$/\1/p' "$tmp/crawler.svg" | sort | tr '\n' ' ')
        runs=$(grep -c '^<rect class="run"' "$tmp/crawler.svg")
        waits=$(grep -c '^<line class="wait"' "$tmp/crawler.svg")
        want=$(printf 'port %s\n' "$T1" "$T2" "$T3" | sort | tr '\n' ' ')
        [ $rc -eq 0 ] && [ "$lanes" = "$want" ] && [ "$runs" -ge 9 ] && [ "$waits" -eq $((runs - 3)) ]
        check "crawler_asyncio --timeline=svg: a lane per fetch, its runs and waits" $? \
            "exit $rc; lanes: $lanes (want $want); $runs runs, $waits waits"
    fi
    for s in tecstasy tfascination tscience; do
        finish $s
        check "slowpoetry ($s): exits 0 after --max-clients $n" $status \
            "exit $status; stderr: $(cat "$tmp/$s.err")"
    done
fi
# a refused connection: an error naming the port, exit non-zero
start tgone "$dir/slowpoetry" --port 0 --max-clients 1 "$ref/science.txt"
tclosed=$port
stop tgone
for c in $teach; do
    [ -x "$dir/${c%%:*}" ] && [ -n "$tclosed" ] || continue
    opt=""; [ "$c" != "${c%%:*}" ] && opt=${c#*:}
    $T "$dir/${c%%:*}" $opt "$tclosed" >"$tmp/out" 2>"$tmp/err"; rc=$?
    [ $rc -ne 0 ] && [ $rc -lt 124 ] && grep -q "port $tclosed" "$tmp/err"
    check "${c%%:*}${opt:+ $opt}: connection refused: an error naming the port, exit non-zero" $? \
        "exit $rc; stderr: $(cat "$tmp/err")"
done

# ---- (2) the C crawler against the Python servers, like the Python crawler
echo "== crawler against the Python servers"
if ! command -v python3 >/dev/null 2>&1; then
    echo "skip: python3 not found"
else
    pyserve() { # name file num-bytes port
        start "$1" python3 "$ref/slowpoetry.py" --port "$4" --num-bytes "$3" --delay 0.1 \
            --max-clients 1 "$ref/$2"
    }
    pyserve pe ecstasy.txt 200 0; Q1=$port
    pyserve pf fascination.txt 50 0; Q2=$port
    pyserve ps science.txt 50 0; Q3=$port
    if [ -z "$Q1" ] || [ -z "$Q2" ] || [ -z "$Q3" ]; then
        bad "python slowpoetry.py servers start"
    else
        c_out=$($T "$dir/crawler" "$Q3" "$Q2" "$Q1" 2>&1); c_rc=$?
        # each Python server serves one client: wait for them to go, then
        # serve the Python crawler on the same ports
        finish pe; finish pf; finish ps
        pid_pe="" pid_pf="" pid_ps=""
        pyserve pe ecstasy.txt 200 "$Q1"; R1=$port
        pyserve pf fascination.txt 50 "$Q2"; R2=$port
        pyserve ps science.txt 50 "$Q3"; R3=$port
        if [ "$R1 $R2 $R3" != "$Q1 $Q2 $Q3" ]; then
            bad "python servers restart on the same ports" "$Q1 $Q2 $Q3 -> $R1 $R2 $R3"
        else
            py_out=$($T python3 "$ref/crawler_coro.py" "$Q3" "$Q2" "$Q1" 2>&1)
            [ $c_rc -eq 0 ] && [ -n "$(lines_of "$c_out")" ] &&
                [ "$(lines_of "$c_out")" = "$(lines_of "$py_out")" ]
            check "crawler prints the lines of crawler_coro.py against slowpoetry.py" $? \
                "C (exit $c_rc):
$c_out
Python:
$py_out"
            finish pe; finish pf; finish ps
        fi
    fi
fi

# ---- (3) the echo server with 1000 concurrent clients -----------------------
echo "== echo server"
start echo "$dir/echo_server" --port 0
EP=$port
if [ -z "$EP" ]; then
    bad "echo_server starts"
else
    out=$($T "$clients" "$EP" --clients 1000 --bytes 4000 --timeout 50 2>&1)
    check "echo_server: 1000 concurrent clients, 4000 bytes each, every byte back" $? "$out"

# ---- (4) faults --------------------------------------------------------------
    # a client that sends 8 MB and never reads: the others still get served
    out=$($T "$clients" "$EP" --clients 100 --bytes 4000 --hog 8000000 --timeout 30 2>&1)
    check "echo_server: a client that never reads does not stall 100 others" $? "$out"
    out=$($T "$clients" "$EP" --clients 10 --bytes 100000 --timeout 30 2>&1)
    alive echo
    check "echo_server: alive and serving after that" $? "$out"
    stop echo
    check "echo_server: exits 0 on SIGTERM" $status "exit $status; $(cat "$tmp/echo.err")"
fi

echo "== hostile peers"
# 300 peers that connect and stay silent, against a server limited to 256
# fds: with an idle timeout they are dropped and new clients are served; with
# none, the same peers deny service (which shows the test can fail)
for idle in 1 0; do
    start "idle$idle" sh -c 'ulimit -n 256 && exec "$0" "$@"' "$dir/echo_server" --port 0 \
        --idle-timeout "$idle"
    if [ -z "$port" ]; then
        bad "echo_server --idle-timeout $idle starts under ulimit -n 256"
        continue
    fi
    if [ "$idle" = 1 ]; then
        out=$($T "$clients" "$port" --clients 5 --idle 300 --timeout 20 2>&1)
        check "echo_server --idle-timeout 1, ulimit -n 256: 300 idle peers, then 5 clients echoed" \
            $? "$out"
    else
        out=$($T "$clients" "$port" --clients 5 --idle 300 --timeout 3 2>&1)
        [ $? -ne 0 ]
        check "echo_server without an idle timeout: the same peers deny the 5 clients service" \
            $? "$out"
    fi
    stop "idle$idle"
    check "echo_server --idle-timeout $idle: exits 0 on SIGTERM" $status \
        "exit $status; $(cat "$tmp/idle$idle.err")"
done

# clients that never read, against slowpoetry serving a poem larger than the
# socket buffers at most 2 clients at once: the write timeout drops them and a
# reading client gets the whole poem; with none, it never gets a slot
head -c 8000000 /dev/zero | tr '\0' 'p' >"$tmp/big.txt"
for wt in 1 0; do
    start "poet$wt" "$dir/slowpoetry" --port 0 --num-bytes 1000000 --delay 0 --max-concurrent 2 \
        --write-timeout "$wt" --max-clients 3 "$tmp/big.txt"
    if [ -z "$port" ]; then
        bad "slowpoetry --write-timeout $wt starts"
        continue
    fi
    if [ "$wt" = 1 ]; then
        out=$($T "$clients" "$port" --sink --clients 1 --bytes 8000000 --idle 2 --timeout 20 2>&1)
        check "slowpoetry --write-timeout 1: 2 clients that never read, then a reader gets all 8 MB" \
            $? "$out"
        finish "poet$wt"
        [ "$status" -eq 0 ] && grep -q "2 clients dropped for not reading" "$tmp/poet$wt.err"
        check "slowpoetry --write-timeout 1: both non-readers dropped, exit 0" $? \
            "exit $status; $(cat "$tmp/poet$wt.err")"
    else
        out=$($T "$clients" "$port" --sink --clients 1 --bytes 8000000 --idle 2 --timeout 3 2>&1)
        [ $? -ne 0 ]
        check "slowpoetry without a write timeout: the same non-readers hold both slots" $? "$out"
        stop "poet$wt"
    fi
done

# crawler --timeout: a server that goes silent (echo_server answers the
# request line and then waits) ends in an error for its port, the other fetch
# is still reported; a response of exactly 64 KiB is read whole, one byte
# more is EMSGSIZE
head -c 65536 /dev/zero | tr '\0' 'x' >"$tmp/64k.txt"
head -c 65537 /dev/zero | tr '\0' 'x' >"$tmp/64k1.txt"
start quiet "$dir/echo_server" --port 0
QP=$port
start full "$dir/slowpoetry" --port 0 --num-bytes 4096 --delay 0 --max-clients 2 "$tmp/64k.txt"
FP=$port
start over "$dir/slowpoetry" --port 0 --num-bytes 4096 --delay 0 --max-clients 1 "$tmp/64k1.txt"
OP=$port
if [ -z "$QP" ] || [ -z "$FP" ] || [ -z "$OP" ]; then
    bad "echo_server and slowpoetry start"
else
    $T "$dir/crawler" --timeout 1 "$FP" "$QP" >"$tmp/out" 2>"$tmp/err"; rc=$?
    [ $rc -eq 1 ] && [ "$(lines_of "$(cat "$tmp/out")")" = "port $FP: 65536 bytes" ] &&
        grep -q "^crawler: port $QP: timed out" "$tmp/err" &&
        [ "$(total_of "$(cat "$tmp/out")")" != "" ] &&
        [ "$(printf '%.0f' "$(total_of "$(cat "$tmp/out")")")" -lt 5 ]
    check "crawler --timeout 1: a silent server times out, a 65,536-byte poem is read whole" $? \
        "exit $rc; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
    $T "$dir/crawler" "$OP" >"$tmp/out" 2>"$tmp/err"; rc=$?
    [ $rc -eq 1 ] && grep -q "port $OP: Message too long after 65536 bytes" "$tmp/err"
    check "crawler: 65,537 bytes is one byte more than it holds: EMSGSIZE" $? \
        "exit $rc; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
    stop quiet
    stop full
fi

echo "== faults"
# a closed port: start a server, note its port, stop it
start gone "$dir/slowpoetry" --port 0 --max-clients 1 "$ref/science.txt"
closed=$port
stop gone
start half "$dir/slowpoetry" --port 0 --num-bytes 100 --delay 0.02 --close-after 1000 \
    --max-clients 4 "$ref/ecstasy.txt"
HP=$port
if [ -z "$closed" ] || [ -z "$HP" ]; then
    bad "slowpoetry servers start"
else
    for c in crawler_blocking crawler_callbacks crawler; do
        $T "$dir/$c" "$closed" >"$tmp/out" 2>"$tmp/err"; rc=$?
        [ $rc -ne 0 ] && [ $rc -lt 124 ] && grep -q "port $closed" "$tmp/err"
        check "$c: connection refused: an error naming the port, exit non-zero" $? \
            "exit $rc; stderr: $(cat "$tmp/err")"
        out=$($T "$dir/$c" "$HP" 2>&1); rc=$?
        [ $rc -eq 0 ] && [ "$(lines_of "$out")" = "port $HP: 1000 bytes" ]
        check "$c: a server that hangs up halfway: the bytes it got" $? "exit $rc; $out"
    done
    $T "$dir/crawler" "$HP" "$closed" >"$tmp/out" 2>"$tmp/err"; rc=$?
    [ $rc -eq 1 ] && [ "$(lines_of "$(cat "$tmp/out")")" = "port $HP: 1000 bytes" ] &&
        grep -q "port $closed" "$tmp/err"
    check "crawler: one fetch refused, the other still done" $? \
        "exit $rc; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
    finish half
fi
# a server that resets the connection halfway (RST, not FIN): an error that
# names the port and the bytes that came before it
start reset "$dir/slowpoetry" --port 0 --num-bytes 100 --delay 0.02 --close-after 1000 \
    --reset --max-clients 3 "$ref/ecstasy.txt"
RP=$port
if [ -z "$RP" ]; then
    bad "slowpoetry --reset starts"
else
    for c in crawler_blocking crawler_callbacks crawler; do
        $T "$dir/$c" "$RP" >"$tmp/out" 2>"$tmp/err"; rc=$?
        [ $rc -ne 0 ] && [ $rc -lt 124 ] && grep -q "port $RP: .*after 1000 bytes" "$tmp/err"
        check "$c: a server that resets halfway: an error with the port and the bytes" $? \
            "exit $rc; stdout: $(cat "$tmp/out"); stderr: $(cat "$tmp/err")"
    done
    finish reset
fi

# out of file descriptors: 64 fds, 100 clients at once
start emfile sh -c 'ulimit -n 64 && exec "$@"' sh "$dir/echo_server" --port 0
MP=$port
if [ -z "$MP" ]; then
    bad "echo_server starts with 64 fds"
else
    out=$($T "$clients" "$MP" --clients 100 --bytes 4000 --timeout 30 2>&1)
    check "echo_server with 64 fds: 100 clients all served as fds free up" $? "$out"
    grep -q "Too many open files" "$tmp/emfile.err"
    check "echo_server with 64 fds: it did run out of fds (EMFILE on accept)" $? \
        "stderr: $(cat "$tmp/emfile.err")"
    out=$($T "$clients" "$MP" --clients 40 --bytes 4000 --timeout 30 2>&1)
    alive emfile
    check "echo_server with 64 fds: alive and serving after that" $? "$out"
    stop emfile
    check "echo_server with 64 fds: exits 0 on SIGTERM" $status \
        "exit $status; $(cat "$tmp/emfile.err")"
fi

echo "net: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
