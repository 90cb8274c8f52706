/* SPDX-License-Identifier: MIT */
/*
 * semihost.c -- the port (embedded/port.h) of the Cortex-M3 build: output and
 * exit through ARM semihosting (`bkpt 0xab`), which qemu serves when run with
 * -semihosting-config enable=on,target=native. Nothing is buffered.
 */
#include <stdint.h>

#include "embedded/port.h"

#ifdef CORO_PORT_STACK_REPORT
#include <stdio.h>
#endif

#define SYS_WRITEC        0x03
#define SYS_EXIT          0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_Stopped_ApplicationExit 0x20026u

/* One semihosting call: operation `op` with argument `arg`; returns r0. */
static uintptr_t semihost(uintptr_t op, const void *arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void coro_port_init(void)
{
}

void coro_port_putc(char c)
{
    semihost(SYS_WRITEC, &c);
}

void coro_port_exit(int code)
{
    /* SYS_EXIT_EXTENDED passes the exit code (qemu exits with it); an
     * older host falls through to SYS_EXIT, where only 0 or failure exist. */
    uint32_t block[2];
#ifdef CORO_PORT_STACK_REPORT
    printf("[stack: %lu bytes]\n", coro_port_stack_used());
#endif
    block[0] = ADP_Stopped_ApplicationExit;
    block[1] = (uint32_t)code;
    semihost(SYS_EXIT_EXTENDED, block);
    semihost(SYS_EXIT, (const void *)(uintptr_t)(code == 0 ? ADP_Stopped_ApplicationExit
                                                            : 0x20023u /* RunTimeErrorUnknown */));
    for (;;)
        ;
}
