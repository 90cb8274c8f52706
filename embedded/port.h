/* SPDX-License-Identifier: MIT */
/*
 * port.h -- what a board gives the embedded builds of the demos and tests.
 * Each target implements these in its own file (embedded/avr/uart.c: UART0
 * of an ATmega328P, seen by simavr; embedded/arm/semihost.c: ARM
 * semihosting, seen by qemu). Nothing here allocates.
 */
#ifndef CORO_PORT_H
#define CORO_PORT_H

/* Makes the output channel ready; called once before anything is written. */
void coro_port_init(void);

/* Writes one byte to the output channel (blocking until it is taken). */
void coro_port_putc(char c);

/* Ends the program with `code` (0 = success). Does not return. qemu exits
 * with the code (semihosting); simavr cannot report one, so the AVR port
 * writes "[coro_port_exit: failure]" for a non-zero code, and the output
 * comparison fails. */
void coro_port_exit(int code);

#ifdef CORO_PORT_STACK_REPORT
/* Only in a build with -DCORO_PORT_STACK_REPORT (the measuring variants
 * build/{avr,arm}/NAME.stack.elf): the port paints the stack at start-up and
 * this returns the most bytes of it used so far; coro_port_exit then prints
 * "[stack: N bytes]" after the program's output. */
unsigned long coro_port_stack_used(void);
#endif

#endif
