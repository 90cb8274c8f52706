/* SPDX-License-Identifier: MIT */
/*
 * uart.c -- the port (embedded/port.h) of an ATmega328P: output on UART0,
 * 8N1 at CORO_UART_BAUD (default 115200) for the given F_CPU, polled, no
 * interrupts and no buffer. simavr prints what the UART sends; the exit
 * ends the simulation by sleeping with interrupts off.
 */
#include <avr/io.h>
#include <avr/interrupt.h>
#include <avr/sleep.h>
#include <util/delay.h>
#include "embedded/port.h"

#ifdef CORO_PORT_STACK_REPORT
#include <stdint.h>
#include <stdio.h>
#endif

#ifndef F_CPU
#error "F_CPU must be defined (e.g. -DF_CPU=16000000UL)"
#endif
#ifndef CORO_UART_BAUD
#define CORO_UART_BAUD 115200UL
#endif

/* Double speed (U2X0) keeps 115200 baud within 2.1% at 16 MHz. */
#define CORO_UBRR ((F_CPU + 4UL * CORO_UART_BAUD) / (8UL * CORO_UART_BAUD) - 1UL)

void coro_port_init(void)
{
    UBRR0H = (unsigned char)(CORO_UBRR >> 8);
    UBRR0L = (unsigned char)CORO_UBRR;
    UCSR0A = (unsigned char)(1 << U2X0);
    UCSR0C = (unsigned char)((1 << UCSZ01) | (1 << UCSZ00)); /* 8N1 */
    UCSR0B = (unsigned char)(1 << TXEN0);
}

void coro_port_putc(char c)
{
    while (!(UCSR0A & (1 << UDRE0)))
        ;
    UDR0 = (unsigned char)c;
}

#ifdef CORO_PORT_STACK_REPORT
/* Built with -DCORO_PORT_STACK_REPORT, the port measures the peak stack: at
 * start-up (.init3: r1 is zero and nothing is on the stack yet) every byte
 * between the end of .bss and RAMEND is painted; coro_port_stack_used says
 * how far down the paint was overwritten. */
#define CORO_STACK_PAINT 0xC5
extern uint8_t __heap_start;

__attribute__((naked, used, section(".init3"))) void coro_port_stack_paint(void);
void coro_port_stack_paint(void)
{
    uint8_t *p = &__heap_start;
    while (p <= (uint8_t *)RAMEND)
        *p++ = CORO_STACK_PAINT;
}

unsigned long coro_port_stack_used(void)
{
    const uint8_t *p = &__heap_start;
    while (p <= (const uint8_t *)RAMEND && *p == CORO_STACK_PAINT)
        p++;
    return (unsigned long)((const uint8_t *)RAMEND + 1 - p);
}
#endif

void coro_port_exit(int code)
{
#ifdef CORO_PORT_STACK_REPORT
    printf("[stack: %lu bytes]\n", coro_port_stack_used());
#endif
    /* simavr cannot report an exit status: a failure is announced on the
     * UART so that the comparison with the expected output fails. */
    if (code != 0) {
        const char *s = "\n[coro_port_exit: failure]\n";
        while (*s)
            coro_port_putc(*s++);
    }
    /* Let the last byte leave the shift register before stopping: the
     * data register empties when it moves there, then one frame (10 bits)
     * is sent. (Polling TXC0 instead makes simavr 150 times slower.) */
    while (!(UCSR0A & (1 << UDRE0)))
        ;
    _delay_us(11.0 * 1e6 / CORO_UART_BAUD);
    cli();
    set_sleep_mode(SLEEP_MODE_PWR_DOWN);
    sleep_enable();
    for (;;)
        sleep_cpu(); /* simavr: "sleeping with interrupts off, quitting" */
}
