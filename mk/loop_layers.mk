# SPDX-License-Identifier: MIT
# tests/loop_layers.sh: loop.o needs no symbol of wait.o (nm), io.c leaves
# loop->data to the user (issue 11, structure 1 and 3).
TEST_EXTRA   += $(B)/plain/obj/loop.o $(B)/plain/obj/wait.o $(B)/plain/libcoro.a \
                $(B)/plain-faults/libcoro.a
TEST_SCRIPTS += tests/loop_layers.sh
