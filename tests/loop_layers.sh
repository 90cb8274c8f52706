#!/bin/sh
# SPDX-License-Identifier: MIT
# loop_layers.sh BUILD_DIR: the layers and their headers.
#   - loop.o needs no symbol that wait.o defines (cancel goes through each
#     future's own hook), and io.c does not read the user's loop->data;
#   - each installed header includes only the layers below it (loop.h only
#     coro.h; selectors.h only base.h, whose block coro.h repeats word for
#     word so that coro.h stays one file); none includes the private ones
#     (internal.h, coro_sys.h);
#   - every symbol the library exports is public (coro_..., named in an
#     installed header) or private (coro__...).
b=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
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
# includes: "file: allowed includes of coro's own headers"
for rule in "base.h:" "coro.h:" "loop.h:coro.h" "primitive.h:loop.h" "wait.h:primitive.h" \
            "scope.h:primitive.h" "sync.h:primitive.h" "io.h:primitive.h selectors/selectors.h" \
            "stream.h:io.h" "resolve.h:io.h stream.h" "selectors/selectors.h:../base.h"; do
    f=${rule%%:*} allowed=${rule#*:}
    got=$(sed -n 's/^#include "\(.*\)".*/\1/p' "$src/$f" | tr '\n' ' ' | sed 's/ $//')
    [ "$got" = "$allowed" ] && check "$f includes $allowed" ok ||
        check "$f includes '$got', not '$allowed'" bad
done
block() { sed -n '/^#ifndef CORO_BASE_H$/,/^#endif \/\* CORO_BASE_H \*\/$/p' "$1"; }
[ -n "$(block "$src/base.h")" ] && [ "$(block "$src/base.h")" = "$(block "$src/coro.h")" ] &&
    check "coro.h repeats base.h's block word for word" ok ||
    check "coro.h's copy of base.h's block differs" bad
# exported symbols, of the plain library and of the fault-injecting one
for lib in "$b/plain/libcoro.a" "$b/plain-faults/libcoro.a"; do
    [ -f "$lib" ] || continue
    bad_syms=""
    for sym in $(nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u); do
        case $sym in
        coro__*|coro_loop_init__with*) continue ;;
        coro_*) grep -qw "$sym" "$src"/base.h "$src"/coro.h "$src"/loop.h "$src"/primitive.h \
                    "$src"/wait.h "$src"/scope.h "$src"/sync.h "$src"/io.h "$src"/stream.h \
                    "$src"/selectors/selectors.h $(ls "$src"/resolve.h 2>/dev/null) && continue ;;
        esac
        bad_syms="$bad_syms $sym"
    done
    [ -z "$bad_syms" ] && check "$(basename "$(dirname "$lib")"): every exported symbol public or coro__" ok ||
        check "$(basename "$(dirname "$lib")") exports, neither public nor coro__:$bad_syms" bad
done
echo "loop-layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
