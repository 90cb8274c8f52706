# SPDX-License-Identifier: MIT
# One loop per thread (issue 12, item 6): demos/reuseport_server.c, N loops
# on N threads sharing a port with SO_REUSEPORT, against upper_client
# (tests/reuseport.sh). The demo is built with the others (DEMOS).
TEST_EXTRA   += $(B)/demos/reuseport_server $(B)/demos/upper_client
TEST_SCRIPTS += tests/reuseport.sh
