/* SPDX-License-Identifier: MIT */
/*
 * coro_arduino.h -- coro's loop on the Arduino core (AVR boards: Uno, Nano,
 * Mega): a clock on micros() whose wait idles the CPU between deadlines, and
 * the signals of tick.h, which an interrupt handler raises to wake a task.
 *
 *   #include <coro_arduino.h>
 *   static struct coro_timer_slot timers[4];
 *   static struct coro_loop loop;
 *   void setup() {
 *       coro_loop_init(&loop, timers, 4);
 *       coro_loop_set_clock(&loop, &coro_clock_arduino);
 *       coro_task_start(&blink.task, &loop, blink_body);
 *       coro_loop_run_forever(&loop);           // never returns while tasks run
 *   }
 *   void loop() {}
 *
 * THE CLOCK. now() is micros() widened to 64 bits (its 32-bit wrap, every
 * 71.6 minutes, is invisible) in ns: 4 us resolution on a 16 MHz board. The
 * core's Timer0 stays the core's: millis(), delay() and micros() keep
 * working. wait() hands raised signals to their tasks, returns once the
 * deadline has passed, and in between sleeps the CPU in IDLE mode, which any
 * interrupt ends (Timer0's overflow, every 1.024 ms, or a pin's).
 *
 * SIGNALS (tick.h): coro_signal_init(&s, &loop, NULL) once; in an ISR,
 * coro_signal_raise(&s) (two byte stores, no call); in a task,
 * CORO_SIGNAL_WAIT(co, &s, n) resumes with n = the raises since the last
 * wait. A wait forever with no signal registered sleeps for good: only a
 * signal can wake the loop from an interrupt.
 */
#ifndef CORO_ARDUINO_H
#define CORO_ARDUINO_H

#include "coro.h"
#include "loop.h"
#include "sync.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "tick.h"       /* C declarations without a C++ guard of their own */

/* The clock described above: coro_loop_set_clock(&loop, &coro_clock_arduino). */
extern const struct coro_clock coro_clock_arduino;

/* Sends printf's and fprintf(stderr)'s output to Serial (call Serial.begin
 * first): avr-libc's printf, with %d, %ld, %s, not %f. */
void coro_serial_stdout(void);

/* Waits until Serial has sent everything, then stops the CPU for good
 * (interrupts off, sleep): the end of a sketch that finishes. */
void coro_arduino_halt(void);

#ifdef __cplusplus
}
#endif

#endif
