# SPDX-License-Identifier: MIT
# make test checks the demos' command lines (tests/demo_cli.sh): --help on
# stdout with exit 0, every bad option or value named, read errors told
# truthfully. The demos come from the Makefile's DEMOS.
TEST_SCRIPTS += tests/demo_cli.sh
