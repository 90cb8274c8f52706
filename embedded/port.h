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

/* Ends the program: the simulator stops with `code` where it can report one
 * (0 = success). Does not return. */
void coro_port_exit(int code);

#endif
