# SPDX-License-Identifier: MIT
# The licence (LICENSE, MIT): make test checks that every tracked source file
# carries the SPDX-License-Identifier line (tests/spdx.sh).
TEST_SCRIPTS += tests/spdx.sh
