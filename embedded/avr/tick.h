/* SPDX-License-Identifier: MIT */
/*
 * tick.h -- a real-time clock for the loop on an ATmega328P: a tick counter
 * fed by the Timer0 compare interrupt, a wait that sleeps the CPU between
 * deadlines (through a replaceable idle hook), and signals: the ISR-safe way
 * for an interrupt handler to wake a task.
 *
 *   coro_loop_init(&loop, timers, 4);
 *   coro_tick_start();                         // Timer0 at CORO_TICK_HZ, sei
 *   coro_loop_set_clock(&loop, &coro_clock_tick);
 *   coro_signal_init(&button, &loop, NULL);    // an ISR raises it
 *   ...
 *   ISR(INT0_vect) { coro_signal_raise(&button); }
 *   ...                                        // in a task:
 *   CORO_SIGNAL_WAIT(co, &button, f->n);       // f->n = raises since last time
 *
 * THE TICK. Timer0 in CTC mode, prescaler 64, interrupts CORO_TICK_HZ times a
 * second (default 1000); its ISR increments a 32-bit counter. The loop's time
 * is ticks * CORO_TICK_NS, the count widened to 64 bits (its wrap, every 49.7
 * days at 1 kHz, is invisible), so a sleep of d ns ends at the first tick at
 * or after its deadline (never early). Timer0 is the clock's; don't use it.
 *
 * THE WAIT (coro_clock_tick.wait), once per loop iteration: it hands the
 * raised signals to their waiters; then, while no deadline is due and no
 * signal was raised, it disables interrupts, checks again and calls the idle
 * hook, which enables interrupts and sleeps in one step (`sei` then `sleep`:
 * the instruction after sei runs before any interrupt, so an interrupt that
 * arrives after the check always wakes the sleep: no wake-up is lost). Every
 * interrupt (a tick or another) ends the sleep; the wait checks again.
 *
 * SIGNALS. An ISR raises a signal: one increment of a byte only ISRs write,
 * and one byte store to a shared flag -- no call into the loop, no list
 * touched in interrupt context. The clock's wait, in the loop's context,
 * turns raises into wake-ups: the first task waiting on the signal resumes in
 * the same iteration with the number of raises since it last took them; a
 * raise nobody waits for stays pending (counted, up to 255) until a task
 * waits or takes it. Nothing here allocates; every object is the caller's.
 */
#ifndef CORO_AVR_TICK_H
#define CORO_AVR_TICK_H

#include <stdint.h>
#include "primitive.h"        /* a task waits on the tick, an ISR wakes it */

#ifndef CORO_TICK_HZ
#define CORO_TICK_HZ 1000UL              /* ticks per second */
#endif
#define CORO_TICK_NS (CORO_SEC / (coro_time)CORO_TICK_HZ)   /* one tick in ns */

/* The clock: now() = ticks * CORO_TICK_NS; wait() sleeps the CPU until the
 * deadline's tick or a raised signal. Returns CORO_EEMPTY for a wait forever
 * when no signal is registered (nothing could ever wake it). */
extern const struct coro_clock coro_clock_tick;

/* Starts Timer0 as the tick (CTC, prescaler 64, CORO_TICK_HZ) from count 0
 * and enables interrupts. Call once, before coro_loop_set_clock. */
void coro_tick_start(void);

/* The tick count since coro_tick_start, read with interrupts off (it is 32
 * bits wide; the ISR writes it). Interrupts are restored as they were. */
uint32_t coro_tick_count(void);

/* The tick count from inside an ISR (interrupts are already off). */
uint32_t coro_tick_count_isr(void);

/* An idle hook: called by the wait with interrupts disabled when there is
 * nothing to do before the next interrupt; it must enable interrupts and
 * sleep until one arrives, atomically (sei immediately followed by sleep),
 * and return with interrupts enabled. It may pick the sleep mode, toggle a
 * pin, count, ... as long as Timer0 keeps running (IDLE mode does). */
typedef void (*coro_idle_fn)(void);

/* The default hook: SLEEP_MODE_IDLE, sleep_enable; sei; sleep; sleep_disable. */
void coro_tick_idle_sleep(void);

/* Installs `fn` as the idle hook (NULL: the default). */
void coro_tick_set_idle(coro_idle_fn fn);

/* How often the wait called the idle hook since coro_tick_start. */
uint32_t coro_tick_idle_count(void);

/* ------------------------------------------------------------------------ */
/* Signals: an interrupt handler wakes a task                               */
/* ------------------------------------------------------------------------ */

/* Set by every raise, cleared by the wait before it looks at the signals. */
extern volatile uint8_t coro_signal_pending;

/* A signal an ISR raises. 10 bytes on AVR. Caller-owned; registered with
 * the clock by coro_signal_init, for good (keep it alive: a static). */
struct coro_signal {
    volatile uint8_t raised;    /* raises, mod 256: written by ISRs only */
    uint8_t seen;               /* raises handed out: written by the loop only */
    struct coro_loop *loop;
    struct coro_list waiters;   /* tasks in CORO_SIGNAL_WAIT, FIFO */
    struct coro_handle *notify; /* call_soon'd when raises arrive, or NULL */
    struct coro_signal *next;   /* the clock's list */
};

/* Prepares `s` (no raises pending) and registers it with the tick clock,
 * which polls it in every wait. `notify`, if not NULL, is a handle
 * call_soon'd (if idle) by each wait that finds new raises and no task
 * waiting: its callback must take them with coro_signal_take (e.g. and set a
 * future with the count), or it is scheduled again at every iteration. 0, or CORO_EINVAL for a NULL s or loop, CORO_EBUSY if s is
 * registered already. Call with the signal's interrupt not yet enabled. */
int coro_signal_init(struct coro_signal *s, struct coro_loop *loop,
                     struct coro_handle *notify);

/* Raises `s`: from an ISR (or anywhere with interrupts off, since raise is a
 * read-modify-write of s->raised). Two byte stores, no call. More than 255
 * raises before the loop takes them are counted mod 256. */
static inline void coro_signal_raise(struct coro_signal *s)
{
    s->raised = (uint8_t)(s->raised + 1u);
    coro_signal_pending = 1;
}

/* Takes the raises pending on `s`: returns how many (0 if none) and marks
 * them handed out. From the loop's context only. */
unsigned coro_signal_take(struct coro_signal *s);

/* Hands raised signals to their first waiter (which resumes with the count)
 * or to their notify handle. Called by the tick clock's wait; another clock
 * may call it too. Returns 1 if it woke a task or scheduled a handle. */
int coro_signal_poll(void);

/* n = await signal: stores in `n` (an unsigned lvalue) the number of raises
 * of `s` since they were last taken (>= 1), waiting for the first one if
 * none is pending. Raises CORO_ECANCELLED if the task is cancelled while it
 * waits (raises handed to it then stay pending), CORO_ENOTASK outside a task
 * of s's loop. A suspension point: one per line, not inside a switch of
 * your own. `s` is evaluated more than once. Expands to
 *     if ((n = coro_signal_take(s)) == 0) {
 *         <wait on s->waiters>; CORO_YIELD(co, coro_none()); n = <the count>;
 *     } */
#define CORO_SIGNAL_WAIT(co, s, n) \
    do { \
        if (((n) = coro_signal_take(s)) == 0) { \
            CORO__WAIT(co, coro_loop_wait_on((s)->loop, &(s)->waiters), coro__signal_resume((s), (co)->err, &(n))); \
        } \
    } while (0)

/* Private: settles a CORO_SIGNAL_WAIT after the task resumed. */
int coro__signal_resume(struct coro_signal *s, int err, unsigned *n);

#endif
