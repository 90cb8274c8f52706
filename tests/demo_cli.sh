#!/bin/sh
# SPDX-License-Identifier: MIT
# The demos' command lines (issue 14): --help and -h print a description and
# the options on stdout and exit 0; each bad option or value is named on
# stderr, with exit status 2; slowpoetry says truthfully why it cannot read
# its file. Ends with "demo-cli: N passed, M failed".
# Usage: tests/demo_cli.sh BUILD_DIR   (the demos in BUILD_DIR/demos/)
d=$1/demos
pass=0 fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

helps() { # demo: --help and -h print usage on stdout, nothing on stderr, exit 0
    for h in --help -h; do
        "$d/$1" $h >"$tmp/out" 2>"$tmp/err"; rc=$?
        if [ $rc -eq 0 ] && head -1 "$tmp/out" | grep -q "^usage: $1" && [ ! -s "$tmp/err" ] &&
           [ "$(wc -l <"$tmp/out")" -ge 4 ]; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1)); echo "demo-cli: $1 $h: exit $rc, stdout:"; cat "$tmp/out"; cat "$tmp/err"
        fi
    done
}
says() { # status "first line of stderr" demo args...: the demo exits so, saying so
    want_rc=$1 want=$2; shift 2
    timeout 10 "$d/$@" >"$tmp/out" 2>"$tmp/err" </dev/null; rc=$?
    got=$(head -1 "$tmp/err")
    if [ $rc -eq "$want_rc" ] && [ "$got" = "$want" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "demo-cli: $*: exit $rc (want $want_rc), said: $got"
        echo "          want: $want"
    fi
}

for demo in echo_server slowpoetry crawler crawler_blocking crawler_callbacks generators reuseport_server; do
    helps $demo
done
says 0 "" crawler --help 99999                  # help wins over a bad port

says 2 "echo_server: --port 99999: out of range (0 to 65535)" echo_server --port 99999
says 2 "echo_server: --port abc: not a whole number" echo_server --port abc
says 2 "echo_server: --port 80x: not a whole number" echo_server --port 80x
says 2 "echo_server: --port: needs a value" echo_server --port
says 2 "echo_server: --port: missing (which port to listen on?)" echo_server
says 2 "echo_server: --max-clients -1: out of range (0 to 9223372036854775807)" \
    echo_server --port 0 --max-clients -1
says 2 "echo_server: --frobnicate: unknown option" echo_server --port 0 --frobnicate
says 2 "echo_server: 8080: unexpected argument" echo_server 8080
says 1 "echo_server: selector nosuch: invalid argument" echo_server --port 0 --backend nosuch

says 2 "slowpoetry: --delay x: not a number" slowpoetry --delay x poem.txt
says 2 "slowpoetry: --delay -1: out of range (0 to 1e+06)" slowpoetry --delay -1 poem.txt
says 2 "slowpoetry: --num-bytes 0: out of range (1 to 9223372036854775807)" slowpoetry --num-bytes 0 poem.txt
says 2 "slowpoetry: --port 65536: out of range (0 to 65535)" slowpoetry --port 65536 poem.txt
says 2 "slowpoetry: --close-after: needs a value" slowpoetry poem.txt --close-after
says 2 "slowpoetry: --reset: needs --close-after" slowpoetry --reset poem.txt
says 2 "slowpoetry: FILE: missing (which file to serve?)" slowpoetry
says 2 "slowpoetry: two.txt: unexpected argument" slowpoetry one.txt two.txt
says 2 "slowpoetry: --verbose: unknown option" slowpoetry --verbose poem.txt
says 1 "slowpoetry: $tmp: Is a directory" slowpoetry "$tmp"
says 1 "slowpoetry: $tmp/none.txt: No such file or directory" slowpoetry "$tmp/none.txt"

for c in crawler crawler_blocking crawler_callbacks; do
    says 2 "$c: port 99999: out of range (1 to 65535)" $c 99999
    says 2 "$c: port 0: out of range (1 to 65535)" $c 8000 0
    says 2 "$c: port abc: not a whole number" $c abc
    says 2 "$c: --port: unknown option" $c --port 8000
    says 2 "$c: PORT: missing (which ports to fetch from?)" $c
done

says 2 "generators: x: unexpected argument" generators x
says 2 "generators: --verbose: unknown option" generators --verbose

echo "demo-cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
