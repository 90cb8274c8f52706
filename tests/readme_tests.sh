#!/bin/sh
# SPDX-License-Identifier: MIT
# Every test the README names (`test_...` in backquotes) exists in tests/ or
# fuzz/, so the misuse catalogue cannot point at a test that is gone.
# Usage: tests/readme_tests.sh
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0
for t in $(grep -o '`test_[a-z0-9_]*`' "$top/README.md" | tr -d '`' | sort -u); do
    if grep -qw "START_TEST($t)" "$top"/tests/test_*.c; then pass=$((pass + 1))
    else fail=$((fail + 1)); echo "readme-tests: README names $t, which no suite has"; fi
done
echo "readme-tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
