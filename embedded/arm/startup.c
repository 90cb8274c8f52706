/* SPDX-License-Identifier: MIT */
/*
 * startup.c -- the vector table and reset handler of the Cortex-M3 build:
 * copies .data from flash, zeroes .bss, calls main() and ends through
 * coro_port_exit. Every fault or unexpected interrupt ends the run with a
 * failure (through semihosting), so a crash cannot hang the simulator; the
 * handlers have their CMSIS names and are weak: a program takes one by
 * defining it (SysTick_Handler for a tick clock, say). Symbols come from embedded/arm/mps2_an385.ld.
 */
#include <stdint.h>

#include "embedded/port.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];

int main(void);
void coro_reset_handler(void);
void coro_fault_handler(void);

#ifdef CORO_PORT_STACK_REPORT
/* The measuring build (-DCORO_PORT_STACK_REPORT): the reset handler paints
 * the CORO_STACK_WINDOW bytes below the stack top (what it is not using
 * itself); coro_port_stack_used finds the lowest word overwritten. */
#define CORO_STACK_WINDOW (64u * 1024u)
#define CORO_STACK_PAINT  0xC5C5C5C5u

/* The lowest painted word (addresses compared as integers: the linker's
 * symbols are not one C object). */
static uint32_t *stack_floor(void)
{
    uintptr_t floor = (uintptr_t)_estack - CORO_STACK_WINDOW;
    return (uint32_t *)(floor < (uintptr_t)_ebss ? (uintptr_t)_ebss : floor);
}

static void stack_paint(void)
{
    uint32_t *p, *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (p = stack_floor(); p < sp - 2; p++)
        *p = CORO_STACK_PAINT;
}

unsigned long coro_port_stack_used(void)
{
    const uint32_t *p = stack_floor();
    while ((uintptr_t)p < (uintptr_t)_estack && *p == CORO_STACK_PAINT)
        p++;
    return (unsigned long)((uintptr_t)_estack - (uintptr_t)p);
}
#endif

/* Runs at reset: sets up memory, runs main, exits with its result. */
void coro_reset_handler(void)
{
    const uint32_t *src = _sidata;
    uint32_t *dst;
    for (dst = _sdata; dst < _edata; dst++)
        *dst = *src++;
    for (dst = _sbss; dst < _ebss; dst++)
        *dst = 0;
#ifdef CORO_PORT_STACK_REPORT
    stack_paint();
#endif
    coro_port_exit(main());
}

/* Any fault or unexpected interrupt: the program has failed (exit 99). */
void coro_fault_handler(void)
{
    coro_port_exit(99);
}

/* The exception handlers under their CMSIS names: weak, so that a program
 * takes one by defining it (e.g. SysTick_Handler for a tick clock). */
#define CORO_WEAK_HANDLER(name) \
    void name(void) __attribute__((weak, alias("coro_fault_handler")))
CORO_WEAK_HANDLER(NMI_Handler);
CORO_WEAK_HANDLER(HardFault_Handler);
CORO_WEAK_HANDLER(MemManage_Handler);
CORO_WEAK_HANDLER(BusFault_Handler);
CORO_WEAK_HANDLER(UsageFault_Handler);
CORO_WEAK_HANDLER(SVC_Handler);
CORO_WEAK_HANDLER(DebugMon_Handler);
CORO_WEAK_HANDLER(PendSV_Handler);
CORO_WEAK_HANDLER(SysTick_Handler);

/* The vector table: initial stack pointer, then the 15 system exceptions
 * (reset first). No device interrupt is enabled, so none follow. */
struct coro_vector_table {
    uint32_t *initial_sp;
    void (*handler[15])(void);
};

__attribute__((used, section(".vectors")))
const struct coro_vector_table coro_vectors = {
    _estack,
    {
        coro_reset_handler,
        NMI_Handler,
        HardFault_Handler,
        MemManage_Handler,
        BusFault_Handler,
        UsageFault_Handler,
        0, 0, 0, 0,         /* reserved */
        SVC_Handler,
        DebugMon_Handler,
        0,                  /* reserved */
        PendSV_Handler,
        SysTick_Handler,
    },
};
