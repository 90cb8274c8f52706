/* SPDX-License-Identifier: MIT */
/*
 * cycles.c -- the cost of a resume on an ATmega328P, in CPU cycles counted by
 * Timer1 at clk/1 (simavr counts them exactly): resume+yield of a generator
 * through coro_send next to a hand-written switch state machine doing the
 * same work, called through a function pointer (bench/bench_resume.c's
 * baseline, same shapes), and for information the machine called directly,
 * a yield-from chain and the empty loop.
 *
 * Each figure is (cycles of 2N iterations - cycles of N iterations) / N, so
 * the timer reads and the call of the timed function cancel out; what is
 * left is one iteration of the loop: the resume, the yield, the loop's own
 * counting and summing (the same in every loop). Prints
 *     cycles: NAME C.CC cycles/iteration = U.UUU us at 16 MHz
 *     ratio: coro_send / switch machine (pointer) R.RR (target <= 2)
 *     result avr_resume_vs_switch_cycles C.CC M.MM cycles
 * and exits 1 if a generator misbehaves.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <stdio.h>

#include "coro.h"
#include "embedded/port.h"

#define NOINLINE __attribute__((noinline))
#define N 100u                  /* 2N iterations of ~100 cycles fit in 16 bits */

static volatile intptr_t sink;  /* what the loops computed: never optimized out */

/* The work timed: the counter generator, the same as a hand-written switch
 * machine, and a yield-from chain (the same code bench_resume.c times). */
#define BENCH_NOINLINE NOINLINE
#define BENCH_ALIGNED
#include "bench/resume_work.h"

#define MAX_DEPTH 10
static struct counter g_counter;
static struct machine g_machine;
static struct level g_levels[MAX_DEPTH + 1];
static struct coro *g_chain;
static int failures;

/* ------------------------------------------------------------------------ */
/* The timed loops: n iterations each, the cycles they took                 */
/* ------------------------------------------------------------------------ */

static uint16_t cycles_now(void)
{
    return TCNT1;
}

NOINLINE static uint16_t loop_coro(uint16_t n)
{
    intptr_t sum = 0;
    coro_value out = coro_none();  /* (read even after a failure) */
    uint16_t i, t0 = cycles_now(), t1;
    for (i = 0; i < n; i++) {
        if (coro_send(&g_counter.co, coro_int((intptr_t)(i & 7)), &out) != CORO_YIELDED)
            failures++;
        sum += out.v.i;
    }
    t1 = cycles_now();
    sink = sum;
    return (uint16_t)(t1 - t0);
}

NOINLINE static uint16_t loop_machine_ptr(uint16_t n)
{
    intptr_t sum = 0;
    uint16_t i, t0 = cycles_now(), t1;
    for (i = 0; i < n; i++)
        sum += g_machine.step(&g_machine, (intptr_t)(i & 7));
    t1 = cycles_now();
    sink = sum;
    return (uint16_t)(t1 - t0);
}

NOINLINE static uint16_t loop_machine_direct(uint16_t n)
{
    intptr_t sum = 0;
    uint16_t i, t0 = cycles_now(), t1;
    for (i = 0; i < n; i++)
        sum += machine_step(&g_machine, (intptr_t)(i & 7));
    t1 = cycles_now();
    sink = sum;
    return (uint16_t)(t1 - t0);
}

NOINLINE static uint16_t loop_chain(uint16_t n)
{
    intptr_t sum = 0;
    coro_value out = coro_none();
    uint16_t i, t0 = cycles_now(), t1;
    for (i = 0; i < n; i++) {
        if (coro_send(g_chain, coro_int((intptr_t)(i & 7)), &out) != CORO_YIELDED)
            failures++;
        sum += out.v.i;
    }
    t1 = cycles_now();
    sink = sum;
    return (uint16_t)(t1 - t0);
}

/* The loop alone: the same counting and summing around a volatile read. */
NOINLINE static uint16_t loop_empty(uint16_t n)
{
    intptr_t sum = 0;
    uint16_t i, t0 = cycles_now(), t1;
    for (i = 0; i < n; i++)
        sum += sink + (intptr_t)(i & 7);
    t1 = cycles_now();
    sink = sum;
    return (uint16_t)(t1 - t0);
}

/* Builds a chain of `depth` delegations and starts it. */
static void start_chain(int depth)
{
    int i;
    for (i = 0; i <= depth; i++)
        g_levels[i].next = i < depth ? &g_levels[i + 1] : NULL;
    g_chain = &g_levels[0].co;
    coro_init(g_chain, level_body);
    if (coro_next(g_chain, NULL) != CORO_YIELDED)
        failures++;
}

/* Cycles per iteration, in hundredths: (T(2N) - T(N)) * 100 / N. */
static uint32_t per_iteration(uint16_t (*f)(uint16_t))
{
    uint16_t one = f(N), two = f(2 * N);
    return (uint32_t)(uint16_t)(two - one) * 100u / N;
}

static void print_figure(const char *name, uint32_t c100)
{
    /* us at 16 MHz = cycles / 16, printed to 3 decimals */
    uint32_t ns = c100 * 10u / 16u;
    printf("cycles: %-32s %3lu.%02lu cycles/iteration = %lu.%03lu us at 16 MHz\n", name,
           (unsigned long)(c100 / 100), (unsigned long)(c100 % 100),
           (unsigned long)(ns / 1000), (unsigned long)(ns % 1000));
}

int main(void)
{
    uint32_t c_coro, c_ptr, c_direct, c_empty, c_d1, c_d10, ratio100;
    uint16_t calib;

    coro_port_init();
    cli();                                  /* nothing may steal cycles */
    TCCR1A = 0;
    TCCR1B = (uint8_t)(1 << CS10);          /* Timer1 at clk/1 */

    /* Timer1 counts CPU cycles: 1000 cycles of delay read as 1000 + the
     * constant cost of the two reads */
    {
        uint16_t a, b, c;
        a = cycles_now();
        b = cycles_now();
        __builtin_avr_delay_cycles(1000);
        c = cycles_now();
        calib = (uint16_t)((uint16_t)(c - b) - (uint16_t)(b - a));
        printf("cycles: calibration: a 1000-cycle delay reads as %u\n", calib);
        if (calib != 1000)
            failures++;
    }

    coro_init(&g_counter.co, counter_body);
    if (coro_next(&g_counter.co, NULL) != CORO_YIELDED)
        failures++;
    g_machine.step = machine_step;
    g_machine.state = 0;
    sink = g_machine.step(&g_machine, 0);
    {   /* the generator and the machine compute the same values */
        coro_value out = coro_none();
        intptr_t i;
        for (i = 0; i < 20; i++)
            if (coro_send(&g_counter.co, coro_int(i & 7), &out) != CORO_YIELDED ||
                out.v.i != g_machine.step(&g_machine, i & 7))
                failures++;
    }

    c_coro = per_iteration(loop_coro);
    c_ptr = per_iteration(loop_machine_ptr);
    c_direct = per_iteration(loop_machine_direct);
    c_empty = per_iteration(loop_empty);
    start_chain(1);
    c_d1 = per_iteration(loop_chain);
    start_chain(MAX_DEPTH);
    c_d10 = per_iteration(loop_chain);

    print_figure("coro_send resume+yield", c_coro);
    print_figure("switch machine, function pointer", c_ptr);
    print_figure("switch machine, direct call", c_direct);
    print_figure("yield-from depth 1", c_d1);
    print_figure("yield-from depth 10", c_d10);
    print_figure("the loop alone", c_empty);
    ratio100 = c_coro * 100u / c_ptr;
    printf("ratio: coro_send / switch machine (pointer) %lu.%02lu (target <= 2)\n",
           (unsigned long)(ratio100 / 100), (unsigned long)(ratio100 % 100));
    printf("result avr_resume_vs_switch_cycles %lu.%02lu %lu.%02lu cycles\n",
           (unsigned long)(c_coro / 100), (unsigned long)(c_coro % 100),
           (unsigned long)(c_ptr / 100), (unsigned long)(c_ptr % 100));
    ratio100 = c_coro * 100u / c_direct;
    printf("ratio: coro_send / switch machine (direct) %lu.%02lu (for information)\n",
           (unsigned long)(ratio100 / 100), (unsigned long)(ratio100 % 100));
    ratio100 = c_d10 * 100u / c_d1;
    printf("ratio: yield-from depth 10 / depth 1 %lu.%02lu (for information)\n",
           (unsigned long)(ratio100 / 100), (unsigned long)(ratio100 % 100));
    printf("cycles: %s\n", failures ? "FAILED" : "ok");
    coro_port_exit(failures ? 1 : 0);
    return 0;
}
