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
for f in $files; do
    [ -f "$f" ] || continue                    # deleted but not yet committed
    case "$(head -1 "$f")" in '#!'*) line=2;; *) line=1;; esac
    if sed -n "${line}p" "$f" | grep -Eq '^(/\*|#|//) SPDX-License-Identifier: MIT( \*/)?$'; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); echo "spdx: $f: line $line is not the SPDX-License-Identifier: MIT comment"
    fi
done
echo "spdx: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
