/* SPDX-License-Identifier: MIT */
/*
 * tick.c -- the ATmega328P's real-time clock for the loop: Timer0 ticks, a
 * wait that sleeps the CPU through an idle hook, and the ISR-safe signals.
 * See tick.h.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/sleep.h>

#include "embedded/avr/tick.h"

#ifndef F_CPU
#error "F_CPU must be defined (e.g. -DF_CPU=16000000UL)"
#endif

/* Timer0, prescaler 64: OCR0A + 1 timer counts per tick. */
#define TICK_TOP (F_CPU / 64UL / CORO_TICK_HZ - 1UL)
#if TICK_TOP < 1 || TICK_TOP > 255 || (F_CPU / 64UL) % CORO_TICK_HZ != 0
#error "CORO_TICK_HZ must divide F_CPU / 64 into 2..256 timer counts"
#endif

static volatile uint32_t ticks;         /* written by the ISR only */
static uint32_t last_ticks;             /* the count tick_now saw last */
static coro_time total_ticks;           /* that count widened to 64 bits: it
                                           survives the wrap (49.7 days at
                                           1 kHz) */
static uint32_t idle_count;             /* idle-hook calls */
static coro_idle_fn idle_hook = coro_tick_idle_sleep;
static struct coro_signal *signals;     /* every registered signal */

volatile uint8_t coro_signal_pending;

ISR(TIMER0_COMPA_vect)
{
    ticks = ticks + 1;
}

void coro_tick_start(void)
{
    uint8_t sreg = SREG;
    cli();
    ticks = 0;
    last_ticks = 0;
    total_ticks = 0;
    idle_count = 0;
    TCCR0A = (uint8_t)(1 << WGM01);                 /* CTC: clear at OCR0A */
    TCCR0B = 0;
    TCNT0 = 0;
    OCR0A = (uint8_t)TICK_TOP;
    TIFR0 = (uint8_t)(1 << OCF0A);                  /* no stale compare */
    TIMSK0 = (uint8_t)(1 << OCIE0A);
    TCCR0B = (uint8_t)((1 << CS01) | (1 << CS00));  /* clk/64: start */
    SREG = sreg;
    sei();
}

uint32_t coro_tick_count(void)
{
    uint8_t sreg = SREG;
    uint32_t t;
    cli();
    t = ticks;
    SREG = sreg;
    return t;
}

uint32_t coro_tick_count_isr(void)
{
    return ticks;
}

void coro_tick_idle_sleep(void)
{
    set_sleep_mode(SLEEP_MODE_IDLE);
    sleep_enable();
    sei();              /* takes effect after the next instruction: */
    sleep_cpu();        /* an interrupt pending now wakes this sleep */
    sleep_disable();
}

void coro_tick_set_idle(coro_idle_fn fn)
{
    idle_hook = fn ? fn : coro_tick_idle_sleep;
}

uint32_t coro_tick_idle_count(void)
{
    return idle_count;
}

/* ------------------------------------------------------------------------ */
/* The clock                                                                */
/* ------------------------------------------------------------------------ */

static coro_time tick_now(struct coro_loop *loop)
{
    uint32_t t = coro_tick_count();
    (void)loop;
    total_ticks += (uint32_t)(t - last_ticks);
    last_ticks = t;
    return total_ticks * CORO_TICK_NS;
}

static int tick_wait(struct coro_loop *loop, coro_time deadline)
{
    uint32_t due = 0;   /* the first tick at or after the deadline, mod 2^32 */
    int have_due = deadline != CORO_FOREVER;
    if (have_due) {
        coro_time now = tick_now(loop);
        coro_time left = deadline > now ? (deadline - now + CORO_TICK_NS - 1) / CORO_TICK_NS : 0;
        if (left > INT32_MAX)
            left = INT32_MAX;           /* returns early; the loop waits again */
        due = last_ticks + (uint32_t)left;
    }
    for (;;) {
        /* clear first: a raise from here on sets it again and stops the sleep */
        coro_signal_pending = 0;
        if (coro_signal_poll())
            return 0;                   /* a task or a handle is ready now */
        if (have_due && (int32_t)(coro_tick_count() - due) >= 0)
            return 0;
        if (!have_due && !signals)
            return CORO_EEMPTY;         /* nothing could ever wake us */
        cli();
        if (!coro_signal_pending && (!have_due || (int32_t)(ticks - due) < 0)) {
            idle_count++;
            idle_hook();                /* sei; sleep: wakes at any interrupt */
        } else {
            sei();
        }
    }
}

const struct coro_clock coro_clock_tick = { tick_now, tick_wait };

/* ------------------------------------------------------------------------ */
/* Signals                                                                  */
/* ------------------------------------------------------------------------ */

int coro_signal_init(struct coro_signal *s, struct coro_loop *loop,
                     struct coro_handle *notify)
{
    struct coro_signal *p;
    if (!s || !loop)
        return CORO_EINVAL;
    for (p = signals; p; p = p->next)
        if (p == s)
            return CORO_EBUSY;
    s->raised = 0;
    s->seen = 0;
    s->loop = loop;
    s->waiters.tail = NULL;
    s->notify = notify;
    s->next = signals;
    signals = s;
    return 0;
}

unsigned coro_signal_take(struct coro_signal *s)
{
    uint8_t r = s->raised;              /* one byte: an atomic read */
    unsigned n = (uint8_t)(r - s->seen);
    s->seen = r;
    return n;
}

int coro_signal_poll(void)
{
    struct coro_signal *s;
    int woke = 0;
    for (s = signals; s; s = s->next) {
        if (s->raised == s->seen)
            continue;
        if (s->waiters.tail) {
            unsigned n = coro_signal_take(s);
            coro_loop_wake(s->loop, &s->waiters, coro_int((intptr_t)n), 0);
            woke = 1;
        } else if (s->notify && !s->notify->u.idle) {
            coro_loop_call_soon(s->loop, s->notify);
            woke = 1;
        }
    }
    return woke;
}

int coro__signal_resume(struct coro_signal *s, int err, unsigned *n)
{
    coro_value v;
    int woken = coro_loop_woken(s->loop, &v);
    if (err) {
        if (woken && v.type == CORO_INT)            /* give the raises back */
            s->seen = (uint8_t)(s->seen - (uint8_t)v.v.i);
        return err;
    }
    *n = woken ? (unsigned)v.v.i : 0;
    return 0;
}
