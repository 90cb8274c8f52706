#!/bin/sh
# SPDX-License-Identifier: MIT
# make docs: the API reference (Doxygen, docs/Doxyfile) from the comments of
# the installed headers, into BUILD_DIR/docs/html/. Fails on any Doxygen
# warning -- an undocumented public function, macro, type or file, a bad
# doc command -- except a struct's undocumented field (the struct's comment
# covers its fields). To show that the check can fail, it first runs on a
# planted header with one undocumented function, which must be reported.
# Ends with "docs: N passed, M failed".
# Usage: tests/docs.sh BUILD_DIR
root=$(cd "$(dirname "$0")/.." && pwd)
b=$1
case "$b" in /*) ;; *) b=$root/$b;; esac
pass=0 fail=0
command -v doxygen >/dev/null || { echo "docs: doxygen missing (make deps installs it)"; echo "docs: 0 passed, 1 failed"; exit 1; }
version=$(${MAKE:-make} -s --no-print-directory -C "$root" version)
doxy() { # OUT_DIR INPUT...: runs doxygen; the warnings that count, on stdout
    out=$1; shift
    rm -rf "$out" && mkdir -p "$out"
    (cd "$root" && CORO_DOCS_DIR="$out" CORO_VERSION="$version" CORO_DOCS_INPUT="$*" \
        doxygen docs/Doxyfile >"$out/doxygen.log" 2>&1) || echo "doxygen failed: $(cat "$out/doxygen.log")"
    grep -v 'Member .* of \(struct\|union\) .* is not documented\.$' "$out/warnings.log"
}

p=$b/docs-planted
mkdir -p "$p"
printf '%s\n' '/* SPDX-License-Identifier: MIT */' '/* planted.h -- a header. */' \
    '/* Documented. */' 'int documented(void);' '' 'int undocumented(void);' > "$b/planted.h"
if doxy "$p" "$b/planted.h" | grep -q 'undocumented.*is not documented'; then
    pass=$((pass + 1)); echo "docs: a planted undocumented function is reported: ok"
else fail=$((fail + 1)); echo "docs: a planted undocumented function is reported: FAILED"; fi

w=$(doxy "$b/docs" base.h coro.h loop.h primitive.h wait.h scope.h sync.h io.h stream.h resolve.h selectors/selectors.h)
if [ -z "$w" ] && [ -f "$b/docs/html/index.html" ]; then
    pass=$((pass + 1)); echo "docs: the API reference builds with no warning: ok ($b/docs/html/index.html)"
else fail=$((fail + 1)); echo "docs: the API reference builds with no warning: FAILED"; printf '%s\n' "$w"; fi
for f in base_8h coro_8h loop_8h primitive_8h wait_8h scope_8h sync_8h io_8h stream_8h resolve_8h selectors_8h; do
    if [ -f "$b/docs/html/$f.html" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "docs: no page for $f"; fi
done
echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
