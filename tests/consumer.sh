#!/bin/sh
# SPDX-License-Identifier: MIT
# coro as someone else's project sees it (issue 14): `make install` into a
# temporary prefix, then tests/consumer/ built and run four ways, pkg-config
# and CMake, C and C++ (CMake against both `make install`'s package and
# CMake's own install, and through add_subdirectory); each installed header
# compiles alone; README's first program builds and prints what README
# shows; DESTDIR, PREFIX, LIBDIR and INCLUDEDIR land where they say
# and `make uninstall` leaves nothing; the layout options reach coro.pc and
# coro::coro. Ends with "consumer: N passed, M failed".
# Usage: tests/consumer.sh BUILD_DIR   (needs cmake and pkg-config: make deps)
b=$1
root=$(cd "$(dirname "$0")/.." && pwd)
case "$b" in /*) ;; *) b=$root/$b;; esac
t=$b/consumer
src=$root/tests/consumer
make="${MAKE:-make} -s --no-print-directory -C $root B=$b"
warn="-Wall -Wextra -pedantic -Werror"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "consumer: $1: ok"; }
bad() { fail=$((fail + 1)); echo "consumer: $1: FAILED"; [ -f "$t/log" ] && cat "$t/log"; }
check() { # label command...: passes if the command succeeds (output in $t/log)
    what=$1; shift
    if "$@" >"$t/log" 2>&1; then ok "$what"; else bad "$what"; fi
}
expected="tick 1 at 1 s
tick 2 at 2 s
tick 3 at 3 s
rc 0, result 3
coro 0.2.0 (headers 0.2.0)"
runs() { # label program [env...]: the program prints the expected lines
    who=$1; prog=$2; shift 2
    out=$(env "$@" "$prog" 2>&1)
    if [ "$out" = "$expected" ]; then ok "$who runs"; else
        fail=$((fail + 1)); echo "consumer: $who runs: FAILED, printed:"; echo "$out"; fi
}
rm -rf "$t"; mkdir -p "$t"
for tool in cmake pkg-config; do
    command -v $tool >/dev/null || { echo "consumer: $tool missing (make deps installs it)"; echo "consumer: 0 passed, 1 failed"; exit 1; }
done

# make install, and pkg-config: C, then C++ (the shared library, by soname)
p=$t/make-prefix
check "make install" $make install PREFIX="$p"
export PKG_CONFIG_PATH="$p/lib/pkgconfig"
check "pkg-config --modversion is coro.h's" test "$(pkg-config --modversion coro)" = 0.2.0
check "pkg-config C build" sh -c "cc -std=c99 $warn $(pkg-config --cflags coro) $src/consumer.c \
    $(pkg-config --libs coro) -o $t/pc-c"
runs "pkg-config C" "$t/pc-c" LD_LIBRARY_PATH="$p/lib"
check "it needs libcoro.so.0" sh -c "readelf -d $t/pc-c | grep -q 'NEEDED.*\[libcoro.so.0\]'"
check "pkg-config C++ build" sh -c "c++ -std=c++11 $warn $(pkg-config --cflags coro) $src/consumer.cpp \
    $(pkg-config --libs coro) -o $t/pc-cxx"
runs "pkg-config C++" "$t/pc-cxx" LD_LIBRARY_PATH="$p/lib"
check "pkg-config --static build" sh -c "cc -std=c99 $warn $(pkg-config --cflags coro) $src/consumer.c \
    $p/lib/libcoro.a -o $t/pc-static"
runs "static" "$t/pc-static"

# README's first program, built as the README says, prints what it shows
readme=$root/README.md
fenced() { # N: the lines inside the section's Nth fenced block
    awk -v n="$1" '/^## /{ on = ($0 ~ /^## A first program/) } on && /^```/{ f++; next }
                   on && f == 2 * n - 1' "$readme"
}
fenced 1 > "$t/first.c"             # the program
fenced 2 > "$t/first.want"          # what it prints
check "README's first program builds" sh -c "cc -std=c99 $warn $t/first.c \
    $(pkg-config --cflags --libs coro) -o $t/first"
# it runs for 3 s on the real clock: in the background, checked at the end
LD_LIBRARY_PATH="$p/lib" "$t/first" > "$t/first.out" 2>&1 &
first_pid=$!

# each installed header alone, as C and as C++, from the install only
for h in base coro loop primitive wait scope sync io stream resolve selectors/selectors; do
    printf '#include <coro/%s.h>\nint main(void) { return 0; }\n' "$h" > "$t/h.c"
    check "<coro/$h.h> alone (C)" cc -std=c99 $warn -I"$p/include" -c "$t/h.c" -o "$t/h.o"
    check "<coro/$h.h> alone (C++)" c++ -x c++ $warn -I"$p/include" -c "$t/h.c" -o "$t/h.o"
done

# CMake: find_package against make install's package (C), then against
# CMake's own install (C++, shared library), then add_subdirectory (C)
cmake_consumer() { # label build-dir cmake-args...
    label=$1; dir=$2; shift 2
    check "$label configure" cmake -S "$src" -B "$dir" "$@"
    check "$label build" cmake --build "$dir" -j 2
    runs "$label" "$dir/consumer"
}
cmake_consumer "CMake C (make install)" "$t/cm-c" -DCMAKE_PREFIX_PATH="$p"
cp=$t/cmake-prefix
check "CMake configure coro" cmake -S "$root" -B "$t/cmake-build" -DBUILD_SHARED_LIBS=ON \
    -DCORO_BUILD_TESTS=OFF -DCORO_INSTALL=ON -DCMAKE_INSTALL_PREFIX="$cp" -DCMAKE_INSTALL_LIBDIR=lib
check "CMake build coro" cmake --build "$t/cmake-build" -j 2
check "CMake install coro" cmake --install "$t/cmake-build"
check "CMake's install has libcoro.so.0" test -L "$cp/lib/libcoro.so.0"
cmake_consumer "CMake C++ (cmake install)" "$t/cm-cxx" -DCMAKE_PREFIX_PATH="$cp" -DCONSUMER_LANG=CXX
cmake_consumer "CMake C (add_subdirectory)" "$t/cm-sub" -DCORO_SOURCE_DIR="$root"

# DESTDIR, PREFIX, LIBDIR, INCLUDEDIR; then uninstall leaves nothing
d=$t/dest
vars="DESTDIR=$d PREFIX=/opt/coro LIBDIR=/opt/coro/lib64 INCLUDEDIR=/opt/coro/inc"
check "make install to DESTDIR" $make install $vars
for f in inc/coro/coro.h inc/coro/loop.h inc/coro/sync.h inc/coro/io.h \
         inc/coro/selectors/selectors.h lib64/libcoro.a lib64/libcoro.so.0.2.0 \
         lib64/libcoro.so.0 lib64/libcoro.so lib64/pkgconfig/coro.pc \
         lib64/cmake/coro/coro-config.cmake lib64/cmake/coro/coro-config-version.cmake; do
    check "installed /opt/coro/$f" test -e "$d/opt/coro/$f"
done
check "coro.pc names the final libdir" grep -qx 'libdir=/opt/coro/lib64' "$d/opt/coro/lib64/pkgconfig/coro.pc"
check "make uninstall" $make uninstall $vars
left=$(find "$d" \( -type f -o -type l -o -path '*/inc/coro' -o -path '*/cmake/coro' \) 2>/dev/null)
if [ -z "$left" ]; then ok "uninstall leaves nothing"; else bad "uninstall leaves nothing"; echo "$left"; fi

# the layout options travel with the install
lp=$t/layout-prefix
check "make install CORO_USE_LABELS=1 CORO_NO_DOUBLE=1" ${MAKE:-make} -s --no-print-directory -j 2 \
    -C "$root" B="$t/layout-build" CFLAGS=-O0 CORO_USE_LABELS=1 CORO_NO_DOUBLE=1 install PREFIX="$lp"
check "coro.pc's Cflags carry them" grep -qx 'Cflags: -I${includedir} -DCORO_USE_LABELS -DCORO_NO_DOUBLE' \
    "$lp/lib/pkgconfig/coro.pc"
check "coro::coro carries them" grep -q 'INTERFACE_COMPILE_DEFINITIONS "CORO_USE_LABELS;CORO_NO_DOUBLE"' \
    "$lp/lib/cmake/coro/coro-config.cmake"
check "a consumer of the layout build" sh -c "cc -std=c99 $warn $(PKG_CONFIG_PATH=$lp/lib/pkgconfig pkg-config --cflags coro) \
    $src/consumer.c $lp/lib/libcoro.a -o $t/layout"
runs "layout consumer" "$t/layout"

if wait $first_pid && [ -s "$t/first.want" ] && cmp -s "$t/first.out" "$t/first.want"; then
    ok "README's first program prints what README shows"
else bad "README's first program prints what README shows"; cat "$t/first.out"; fi

echo "consumer: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
