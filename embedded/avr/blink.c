/* SPDX-License-Identifier: MIT */
/*
 * blink.c -- the real-time sleeping loop on an ATmega328P: three tasks blink
 * "LEDs" (PORTB bits 0, 1, 2) every 100, 250 and 400 ms with CORO_SLEEP on
 * the Timer0 tick clock (embedded/avr/tick.h); between deadlines the CPU
 * sleeps in the idle hook. Each toggle prints
 *     tick T: led N on|off PORTB=XX
 * (T: the loop time in ticks of 1 ms). After RUN_MS the program prints what
 * the idle hook measured and stops:
 *     done: tick T, idle I, slept S us of E us, iterations K
 * (S: time spent inside the idle hook's sleep, measured with Timer1 at
 * clk/8; E: the ticks since start in us; I: idle-hook calls; K: loop
 * iterations).
 * tests/embedded_rt.sh checks the order and the ticks against its own model
 * and that the CPU slept.
 */
#include <avr/io.h>
#include <stdio.h>

#include "loop.h"
#include "embedded/port.h"
#include "embedded/avr/tick.h"

#define RUN_MS 2050

static struct coro_loop loop;

struct led {
    struct coro_task task;
    uint8_t n;              /* LED number = PORTB bit */
    uint16_t period_ms;
};

static unsigned long tick_of(coro_time t)
{
    return (unsigned long)(t / CORO_TICK_NS);
}

/* async def led(n, period): while True: toggle; await sleep(period) */
static int led_body(struct coro *co)
{
    struct led *f = (struct led *)co;
    CORO_BEGIN(co);
    for (;;) {
        PORTB ^= (uint8_t)(1u << f->n);
        printf("tick %lu: led %u %s PORTB=%02x\n", tick_of(coro_loop_time(&loop)),
               (unsigned)f->n, PORTB & (1u << f->n) ? "on" : "off", (unsigned)PORTB);
        CORO_SLEEP(co, &loop, (coro_time)f->period_ms * CORO_MSEC);
    }
    CORO_END(co);
}

struct stopper {
    struct coro_task task;
};

static int stopper_body(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, (coro_time)RUN_MS * CORO_MSEC);
    CORO_END(co);
}

/* The idle hook: the default sleep, timed with Timer1 (clk/8 = 0.5 us). */
static uint32_t slept_half_us;

static void timed_idle(void)
{
    uint16_t t0 = TCNT1;        /* interrupts are off: a clean 16-bit read */
    coro_tick_idle_sleep();     /* sei; sleep; (the waking ISR runs) */
    slept_half_us += (uint16_t)(TCNT1 - t0);
}

int main(void)
{
    static struct coro_timer_slot timers[4];
    static const uint16_t period_ms[3] = { 100, 250, 400 };
    static struct led leds[3];
    static struct stopper stop;
    unsigned long iterations = 0;
    int i, rc;

    coro_port_init();
    DDRB = 0x07;
    PORTB = 0;
    coro_loop_init(&loop, timers, 4);
    for (i = 0; i < 3; i++) {
        leds[i].n = (uint8_t)i;
        leds[i].period_ms = period_ms[i];
        coro_task_start(&leds[i].task, &loop, led_body);
    }
    coro_task_start(&stop.task, &loop, stopper_body);

    TCCR1A = 0;
    TCCR1B = (uint8_t)(1 << CS11);      /* Timer1 free-running at clk/8 */
    coro_tick_set_idle(timed_idle);
    coro_tick_start();
    coro_loop_set_clock(&loop, &coro_clock_tick);

    while (!coro_future_done(&stop.task.fut)) {
        rc = coro_loop_run_once(&loop);
        iterations++;
        if (rc <= 0) {
            printf("blink: run_once returned %d\n", rc);
            coro_port_exit(1);
        }
    }
    printf("done: tick %lu, idle %lu, slept %lu us of %lu us, iterations %lu\n",
           tick_of(coro_loop_time(&loop)), (unsigned long)coro_tick_idle_count(),
           (unsigned long)(slept_half_us / 2),
           (unsigned long)coro_tick_count() * (1000000UL / CORO_TICK_HZ),
           iterations);
    coro_port_exit(0);
    return 0;
}
