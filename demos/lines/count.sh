#!/bin/sh
# SPDX-License-Identifier: MIT
# The figure: lines of code of the same programs in Python (asyncio) and in C
# (coro), blank lines and comments left out, and the ratio C / Python.
# Usage: demos/lines/count.sh     (from anywhere; needs a C compiler's cpp)
here=$(cd "$(dirname "$0")" && pwd)
ref=$here/../../tests/reference
py_lines() { # a Python file without blank and comment lines
    grep -v '^[[:space:]]*#' "$1" | grep -c -v '^[[:space:]]*$'
}
c_lines() { # a C file without comments (the preprocessor drops them) and blank lines
    ${CC:-cc} -fpreprocessed -dD -E -P "$1" 2>/dev/null | grep -c -v '^[[:space:]]*$'
}
printf '%-40s %7s %5s %6s\n' "program" "Python" "C" "C/Py"
for p in "producer/consumer, queue, timeout:pc.py:pc.c" \
         "upper-casing server and client:$ref/upper.py:upper.c" \
         "crawler with timeouts:crawl.py:crawl.c"; do
    name=${p%%:*} rest=${p#*:}
    py=${rest%%:*} c=${rest#*:}
    case $py in /*) ;; *) py=$here/$py ;; esac
    np=$(py_lines "$py") nc=$(c_lines "$here/$c")
    printf '%-40s %7d %5d %5s\n' "$name" "$np" "$nc" \
        "$(awk -v c="$nc" -v p="$np" 'BEGIN { printf "%.2fx", c / p }')"
done
