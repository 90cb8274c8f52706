#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs what the build and the tests need on a Debian machine, when missing.
# Usage: tests/deps.sh PACKAGE...   (each a Debian package name)
# Already installed packages cost one dpkg query each; nothing else runs then.
# Without root or apt-get, it prints the command to run and fails.
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >/dev/null && exit 0
fi
echo "deps: could not install:$missing" >&2
echo "deps: run as root: apt-get update && apt-get install -y$missing" >&2
exit 1
