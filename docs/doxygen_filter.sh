#!/bin/sh
# SPDX-License-Identifier: MIT
# Doxygen's INPUT_FILTER for coro's headers (docs/Doxyfile). The header
# comments are plain C comments and stay the source of truth; this turns
# them into Doxygen's on the way in, keeping every line where it was:
#  - the file's opening comment (after the SPDX line) documents the file;
#  - a comment that starts a line documents what follows it; at file level
#    it opens a member group that the next blank line closes, so one
#    comment over several declarations (coro_int, coro_double, coro_ptr)
#    documents each of them (DISTRIBUTE_GROUP_DOC);
#  - a comment after code on its line documents that code;
#  - in comments, "<word" (placeholders such as <wait on s>) is not HTML.
# Usage: docs/doxygen_filter.sh FILE   (prints the filtered file)
awk '
function code_depth(line,   t) {        # braces outside comments, strings,
    t = line; gsub(/\/\*.*\*\//, "", t); gsub(/"[^"]*"/, "", t)
    if (inmacro || t ~ /^[ \t]*#/) {    # macros (CORO_BEGIN opens a brace
        inmacro = t ~ /\\$/            # that CORO_END closes)
        return
    }
    if (line ~ /^extern "C" *[{]/ || (prev ~ /^#ifdef __cplusplus/ && t ~ /^[}]/))
        t = ""                          # and extern "C" {}
    depth += gsub(/\{/, "{", t) - gsub(/\}/, "}", t)
}
{ prev = cur; cur = $0 }
NR == 1 && /SPDX-License-Identifier/ { print; next }
incomment {
    gsub(/</, "\\<")
    if ($0 ~ /\*\//) incomment = 0
    print; next
}
/^[ \t]*$/ { if (group) { print "/**@}*/"; group = 0 } else print; next }
!seen_file && /^\/\*/ {
    seen_file = 1; sub(/^\/\*/, "/** \\file "); gsub(/</, "\\<")
    if ($0 !~ /\*\//) incomment = 1
    print; next
}
/^[ \t]*\/\*([^*]|$)/ {
    sub(/\/\*/, "/**"); gsub(/</, "\\<")
    if ($0 !~ /\*\//) incomment = 1
    if (depth == 0 && !group) { $0 = "/**@{*/ " $0; group = 1 }
    print; next
}
/[^ \t].*[ \t]\/\*[^*]/ && !/^[ \t]*\/\// {
    code_depth($0)
    sub(/[ \t]\/\*/, " /**<")
    if ($0 !~ /\*\//) incomment = 1
    else { c = $0; sub(/.*\/\*\*</, "", c); gsub(/</, "\\<", c); sub(/\/\*\*<.*/, "", $0); $0 = $0 "/**<" c }
    print; next
}
{ code_depth($0); print }
END { if (group) print "/**@}*/" }
' "$1"
