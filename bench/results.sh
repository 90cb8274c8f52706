#!/bin/sh
# SPDX-License-Identifier: MIT
# results.sh OUT FILE... -- collects the lines "result NAME VALUE BASELINE UNIT"
# that the benchmarks print (FILE: their saved output) into the JSON object
# OUT: one entry per figure, keyed by name, each with value, baseline, ratio
# (value / baseline) and unit. A later line for a name replaces an earlier one.
out=$1
shift
cat "$@" 2>/dev/null | awk '
    $1 == "result" && NF == 5 && $4 + 0 != 0 {
        if (!($2 in v)) order[n++] = $2
        v[$2] = $3; b[$2] = $4; u[$2] = $5
    }
    END {
        printf "{\n"
        for (i = 0; i < n; i++) {
            k = order[i]
            printf "  \"%s\": {\"value\": %s, \"baseline\": %s, \"ratio\": %.3f, \"unit\": \"%s\"}%s\n",
                   k, v[k], b[k], v[k] / b[k], u[k], i < n - 1 ? "," : ""
        }
        printf "}\n"
    }' > "$out.tmp" && mv "$out.tmp" "$out" && echo "bench: wrote $out ($(grep -c '"value"' "$out") figures)"
