/* SPDX-License-Identifier: MIT */
/*
 * isr_wake.c -- interrupt handlers wake tasks on the tick clock's loop
 * (embedded/avr/tick.h): the ISR raises a signal (two byte stores), the
 * clock's wait turns the raise into a wake-up. Run in simavr; each step
 * prints one line that tests/embedded_rt.sh checks:
 *
 *   tick T: a n=N isr_tick=I latency=C   a task waiting on a signal raised by
 *                                        the Timer2 compare ISR (an event
 *                                        source at ~100 Hz, unrelated to the
 *                                        tick) woke at loop time T; the ISR
 *                                        ran at tick I, C CPU cycles before
 *                                        the task resumed (Timer1 at clk/1)
 *   tick T: a took n=2 at once ...       two raises while nobody waited were
 *                                        kept and handed over without waiting
 *   tick T: pc n=1 ...                   the race: the pin-change interrupt
 *                                        is made pending inside the idle hook,
 *                                        after the wait's last check and with
 *                                        interrupts off; the `sei; sleep`
 *                                        must wake at once (same tick, a few
 *                                        hundred cycles), not at the next tick
 *   tick T: note n=1 ...                 the notify handle (call_soon'd by
 *                                        the wait) sets a future a task awaits
 *   tick T: victim cancelled err=E       a task cancelled while waiting on a
 *                                        signal gets CORO_ECANCELLED
 *   tick T: a took n=1 at once ...       the raise that came while nobody
 *                                        waited (after the cancel) is kept
 *   tick T: beat                         a timer task runs meanwhile
 *   done: tick T, idle I, checks ok|FAILED
 *
 * The program checks itself too (the wake tick equals the ISR's tick, the
 * latency is below one tick) and exits with 1 on a mismatch.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <stdio.h>

#include "loop.h"
#include "embedded/port.h"
#include "embedded/avr/tick.h"

#define TICK_CYCLES (F_CPU / CORO_TICK_HZ)

static struct coro_loop loop;
static struct coro_signal sig_a, sig_pc, sig_note;
static struct coro_handle note_handle;
static struct coro_future note_fut;
static int failures;

/* What the ISRs saw when they last raised: written in ISRs, read with
 * interrupts off. */
struct isr_mark {
    volatile uint32_t tick;
    volatile uint16_t cycles;   /* TCNT1 (clk/1) */
};
static struct isr_mark mark_a, mark_pc, mark_note;
static volatile uint8_t t2_events;
static volatile uint8_t race_armed;     /* the idle hook fires the pin change */

static void mark(struct isr_mark *m)
{
    m->cycles = TCNT1;
    m->tick = coro_tick_count_isr();
}

/* Timer2 compare: an event source at F_CPU / 1024 / 156 (~100.2 Hz). */
ISR(TIMER2_COMPA_vect)
{
    uint8_t e = (uint8_t)(t2_events + 1);
    t2_events = e;
    switch (e) {
    case 3: case 7: case 12: case 14: case 16: case 30:
        mark(&mark_a);
        coro_signal_raise(&sig_a);
        break;
    case 25:
        mark(&mark_note);
        coro_signal_raise(&sig_note);
        break;
    default:
        break;
    }
}

/* Pin change on PB3 (PCINT3), driven by the program itself. */
ISR(PCINT0_vect)
{
    mark(&mark_pc);
    coro_signal_raise(&sig_pc);
}

/* The idle hook: the default sleep; when armed, first toggles PB3 with
 * interrupts off, so the pin-change interrupt is pending at `sei; sleep`. */
static void racing_idle(void)
{
    if (race_armed) {
        race_armed = 0;
        PORTB ^= (uint8_t)(1 << PB3);
    }
    coro_tick_idle_sleep();
}

static unsigned long tick_now(void)
{
    return (unsigned long)(coro_loop_time(&loop) / CORO_TICK_NS);
}

/* Reads a mark with interrupts off; the latency up to `now_cycles`. */
static void read_mark(const struct isr_mark *m, uint16_t now_cycles, unsigned long *tick,
                      unsigned *latency)
{
    uint8_t sreg = SREG;
    cli();
    *tick = m->tick;
    *latency = (uint16_t)(now_cycles - m->cycles);
    SREG = sreg;
}

static void expect(int ok, const char *what)
{
    if (!ok) {
        failures++;
        printf("FAIL: %s\n", what);
    }
}

/* Prints "tick T: WHAT n=N isr_tick=I latency=C" and checks that the task
 * woke at the ISR's tick, within one tick's cycles, with n raises. */
static void report_wake(const char *what, unsigned n, unsigned want_n,
                        const struct isr_mark *m, uint16_t now_cycles, int same_tick)
{
    unsigned long t;
    unsigned lat;
    read_mark(m, now_cycles, &t, &lat);
    printf("tick %lu: %s n=%u isr_tick=%lu latency=%u\n", tick_now(), what, n, t, lat);
    expect(n == want_n, "raise count");
    if (same_tick) {
        expect(t == tick_now(), "woke at the ISR's tick");
        expect(lat < TICK_CYCLES, "latency below one tick");
    }
}

static void on_note(struct coro_handle *h)
{
    (void)h;
    coro_future_set_result(&note_fut, coro_int((intptr_t)coro_signal_take(&sig_note)));
}

struct victim {
    struct coro_task task;
    unsigned n;
};

static int victim_body(struct coro *co)
{
    struct victim *f = (struct victim *)co;
    CORO_BEGIN(co);
    CORO_SIGNAL_WAIT(co, &sig_a, f->n);
    printf("tick %lu: victim woke n=%u\n", tick_now(), f->n);
    CORO_END(co);
}

struct beat {
    struct coro_task task;
    uint8_t i;
};

static int beat_body(struct coro *co)
{
    struct beat *f = (struct beat *)co;
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 3; f->i++) {
        CORO_SLEEP(co, &loop, 50 * CORO_MSEC);
        printf("tick %lu: beat\n", tick_now());
    }
    CORO_END(co);
}

struct waiter {
    struct coro_task task;
    unsigned n;
    uint8_t i;
    int err;
    unsigned long before;
    struct victim victim;
    coro_value r;
};

static int waiter_body(struct coro *co)
{
    struct waiter *f = (struct waiter *)co;
    CORO_BEGIN(co);
    /* 1. three raises of the Timer2 ISR, each awaited while the loop sleeps */
    for (f->i = 0; f->i < 3; f->i++) {
        CORO_SIGNAL_WAIT(co, &sig_a, f->n);
        report_wake("a", f->n, 1, &mark_a, TCNT1, 1);
    }
    /* 2. two raises while the task sleeps: kept, handed over at once */
    CORO_SLEEP(co, &loop, 60 * CORO_MSEC);
    f->before = tick_now();
    CORO_SIGNAL_WAIT(co, &sig_a, f->n);
    printf("tick %lu: a took n=%u at once (asked at tick %lu)\n", tick_now(), f->n, f->before);
    expect(f->n == 2 && f->before == tick_now(), "raises kept while nobody waited");
    /* 3. the race: the interrupt arrives between the last check and sleep */
    race_armed = 1;
    CORO_SIGNAL_WAIT(co, &sig_pc, f->n);
    report_wake("pc", f->n, 1, &mark_pc, TCNT1, 1);
    /* 4. the notify handle: a callback turns the raise into a future */
    CORO_AWAIT_FUTURE(co, &note_fut, f->r);
    report_wake("note", (unsigned)f->r.v.i, 1, &mark_note, TCNT1, 1);
    /* 5. a waiting task is cancelled; the next raise stays pending */
    coro_task_start(&f->victim.task, &loop, victim_body);
    CORO_SLEEP(co, &loop, 10 * CORO_MSEC);
    coro_task_cancel(&f->victim.task);
    CORO_AWAIT_FUTURE_CATCH(co, &f->victim.task.fut, f->r, f->err);
    printf("tick %lu: victim cancelled err=%d\n", tick_now(), f->err);
    expect(f->err == CORO_ECANCELLED, "the victim got CORO_ECANCELLED");
    CORO_SLEEP_UNTIL(co, &loop, 320 * CORO_MSEC);
    f->before = tick_now();
    CORO_SIGNAL_WAIT(co, &sig_a, f->n);
    {
        unsigned long t;
        unsigned lat;
        read_mark(&mark_a, TCNT1, &t, &lat);
        printf("tick %lu: a took n=%u at once (asked at tick %lu) isr_tick=%lu\n",
               tick_now(), f->n, f->before, t);
        expect(f->n == 1 && f->before == tick_now() && t < f->before,
               "the raise after the cancel was kept");
    }
    CORO_END(co);
}

int main(void)
{
    static struct coro_timer_slot timers[4];
    static struct waiter w;
    static struct beat b;
    int rc;

    coro_port_init();
    DDRB = (uint8_t)(1 << PB3);
    PORTB = 0;
    coro_loop_init(&loop, timers, 4);
    coro_signal_init(&sig_a, &loop, NULL);
    coro_signal_init(&sig_pc, &loop, NULL);
    coro_handle_init(&note_handle, on_note);
    coro_signal_init(&sig_note, &loop, &note_handle);
    coro_future_init(&note_fut, &loop);
    coro_task_start(&w.task, &loop, waiter_body);
    coro_task_start(&b.task, &loop, beat_body);

    TCCR1A = 0;
    TCCR1B = (uint8_t)(1 << CS10);          /* Timer1 at clk/1: latencies */
    PCMSK0 = (uint8_t)(1 << PCINT3);
    PCIFR = (uint8_t)(1 << PCIF0);
    PCICR = (uint8_t)(1 << PCIE0);
    coro_tick_set_idle(racing_idle);
    coro_tick_start();
    TCCR2A = (uint8_t)(1 << WGM21);         /* Timer2: CTC, clk/1024, 156 */
    OCR2A = 155;
    TIFR2 = (uint8_t)(1 << OCF2A);
    TIMSK2 = (uint8_t)(1 << OCIE2A);
    TCCR2B = (uint8_t)((1 << CS22) | (1 << CS21) | (1 << CS20));
    coro_loop_set_clock(&loop, &coro_clock_tick);

    rc = coro_loop_run_until_complete(&loop, &w.task.fut, NULL);
    expect(rc == 0, "the waiter finished");
    printf("done: tick %lu, idle %lu, checks %s\n", tick_now(),
           (unsigned long)coro_tick_idle_count(), failures ? "FAILED" : "ok");
    coro_port_exit(failures ? 1 : 0);
    return 0;
}
