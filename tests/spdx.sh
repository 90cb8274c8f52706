#!/bin/sh
# SPDX-License-Identifier: MIT
# Every tracked source file (C, C++, sketches, headers, linker scripts, shell and Python
# scripts, mk files, the Makefile, CMake files, .in templates) names its
# licence: "SPDX-License-Identifier: MIT" on its first comment line (the line
# after the shebang for a script). tests/reference/ is exempt: it holds the
# Python originals the demos are compared with, not coro's code.
# Usage: tests/spdx.sh [BUILD_DIR]   (run from anywhere; the build dir is unused)
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.cpp' '*.ino' '*.h' '*.ld' '*.sh' '*.py' '*.mk' '*.in' '*.cmake' \
            Makefile CMakeLists.txt '*/CMakeLists.txt' 2>/dev/null |
        grep -v '^tests/reference/')
[ -n "$files" ] || { echo "spdx: no tracked files found (not a git checkout?)"; exit 1; }
# one awk over every file: line 1, or line 2 after a shebang, is the comment
set -- $(printf '%s\n' "$files" | while read -r f; do [ -f "$f" ] && echo "$f"; done)
out=$(awk '
FNR == 1 { want = ($0 ~ /^#!/) ? 2 : 1 }
FNR == want {
    if ($0 ~ /^(\/\*|#|\/\/) SPDX-License-Identifier: MIT( \*\/)?$/) pass++
    else { fail++; print "spdx: " FILENAME ": line " want " is not the SPDX-License-Identifier: MIT comment" }
}
END { print "counts", pass + 0, fail + 0 }' "$@")
printf '%s\n' "$out" | grep -v '^counts '
set -- $(printf '%s\n' "$out" | sed -n 's/^counts //p')
pass=$1 fail=$2
echo "spdx: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
