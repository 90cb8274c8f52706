#!/bin/sh
# SPDX-License-Identifier: MIT
# loop_layers.sh BUILD_DIR: the loop is a layer below the ways of waiting:
# loop.o needs no symbol that wait.o defines (cancel goes through each
# future's own hook), and io.c does not read the user's loop->data.
b=${1:-build}
pass=0 fail=0
check() { if [ "$2" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "loop-layers: $1"; fi; }
need=$(nm -u "$b/plain/obj/loop.o" | awk '{print $2}' | sort)
have=$(nm --defined-only "$b/plain/obj/wait.o" | awk '$2 ~ /[TDBR]/ {print $3}' | sort)
both=$(printf '%s\n' "$need" | comm -12 - "$(printf '%s\n' "$have" > "$b/.wait_syms"; echo "$b/.wait_syms")")
rm -f "$b/.wait_syms"
[ -n "$need$have" ] && [ -z "$both" ] && check "loop.o needs nothing from wait.o" ok ||
    check "loop.o needs from wait.o: $both" bad
grep -q 'loop->data' "$(dirname "$0")/../io.c" && check "io.c reads loop->data" bad ||
    check "io.c leaves loop->data alone" ok
echo "loop-layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
