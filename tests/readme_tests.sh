#!/bin/sh
# SPDX-License-Identifier: MIT
# Every test README.md and docs/*.md name (`test_...` in backquotes) exists
# in tests/, so the misuse catalogue cannot point at a test that is gone.
# Usage: tests/readme_tests.sh
top=$(cd "$(dirname "$0")/.." && pwd)
pass=0 fail=0
for t in $(cat "$top/README.md" "$top"/docs/*.md | grep -o '`test_[a-z0-9_]*`' | tr -d '`' | sort -u); do
    if grep -qw "START_TEST($t)" "$top"/tests/test_*.c; then pass=$((pass + 1))
    else fail=$((fail + 1)); echo "readme-tests: README.md or docs/ names $t, which no suite has"; fi
done
echo "readme-tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
