/* SPDX-License-Identifier: MIT */
/*
 * coro_arduino.c -- the clock of coro_arduino.h: micros() widened to 64
 * bits, and a wait that polls tick.h's signals and sleeps in IDLE mode.
 */
#include <Arduino.h>
#include <avr/interrupt.h>
#include <avr/sleep.h>

#include "coro_arduino.h"

static uint32_t last_us;        /* the micros() now() saw last */
static coro_time total_us;      /* that count widened to 64 bits */

static coro_time arduino_now(struct coro_loop *loop)
{
    uint32_t us = micros();
    (void)loop;
    total_us += (uint32_t)(us - last_us);
    last_us = us;
    return total_us * CORO_USEC;
}

static int arduino_wait(struct coro_loop *loop, coro_time deadline)
{
    for (;;) {
        coro_signal_pending = 0;        /* a raise from here on sets it again */
        if (coro_signal_poll())
            return 0;                   /* a task or a handle is ready now */
        if (deadline != CORO_FOREVER && arduino_now(loop) >= deadline)
            return 0;
        set_sleep_mode(SLEEP_MODE_IDLE);
        cli();
        if (!coro_signal_pending) {
            sleep_enable();
            sei();                      /* takes effect after the next instruction: */
            sleep_cpu();                /* an interrupt pending now wakes this sleep */
            sleep_disable();
        }
        sei();
    }
}

const struct coro_clock coro_clock_arduino = { arduino_now, arduino_wait };
