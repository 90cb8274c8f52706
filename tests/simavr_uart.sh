#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs an AVR ELF in simavr (ATmega328P, 16 MHz) and writes what its UART sent
# to OUT, one line a line. simavr prints each line the UART sends on stderr
# as ESC[32m LINE. ESC[0m, with every byte below ' ' (the newline too) shown as
# '.': this keeps those lines and drops the colours and the one '.' that
# stands for the newline. (A tab or a line over 255 bytes would not survive:
# it makes a comparison fail, never pass wrongly.) Exits with simavr's status
# (124 if it ran past TIMEOUT seconds).
# Usage: tests/simavr_uart.sh ELF OUT [TIMEOUT]
elf=$1 out=$2 limit=${3:-60}
raw=$out.raw
timeout "$limit" simavr -m atmega328p -f 16000000 "$elf" </dev/null 2>"$raw" >/dev/null
rc=$?
esc=$(printf '\033')
sed -n "s/^\\($esc\\[0m\\)*$esc\\[32m\\(.*\\)\\.\$/\\2/p" "$raw" >"$out"
exit $rc
