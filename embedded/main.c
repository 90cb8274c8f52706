/* SPDX-License-Identifier: MIT */
/*
 * main.c -- runs a host demo on a board. The demo is compiled with
 * -Dmain=coro_demo_main. With CORO_DEMO_ARGV defined (a list of string
 * literals, e.g. "countdown", "--virtual") it is called as
 * coro_demo_main(argc, argv) with that argv; without, as coro_demo_main()
 * (for a demo whose main takes no arguments). Its return value becomes the
 * port's exit code (coro_port_exit: 0 = success).
 */
#include "embedded/port.h"

#ifdef CORO_DEMO_ARGV
int coro_demo_main(int argc, char **argv);

static char *demo_argv[] = { CORO_DEMO_ARGV, 0 };
#define CORO_DEMO_CALL() \
    coro_demo_main((int)(sizeof demo_argv / sizeof *demo_argv) - 1, demo_argv)
#else
int coro_demo_main(void);
#define CORO_DEMO_CALL() coro_demo_main()
#endif

int main(void)
{
    coro_port_init();
    coro_port_exit(CORO_DEMO_CALL());
    return 0;
}
