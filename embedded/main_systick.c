/* SPDX-License-Identifier: MIT */
/*
 * main_systick.c -- the loop on a real tick on a Cortex-M: a clock fed by the
 * SysTick interrupt (1 ms), whose wait sleeps the CPU (WFI, the idle hook)
 * until the next interrupt. This is the clock README.md shows for a
 * bare-metal C project; two tasks sleep 30 ms and 50 ms three times each.
 * Built as build/arm/systick.elf; tests/embedded.sh runs it in qemu with
 * -icount (the guest's time follows its instructions, and idle time is
 * skipped: deterministic and instant) and compares its output.
 */
#include <stdio.h>

#include "embedded/port.h"
#include "loop.h"

#define CPU_HZ 25000000u /* mps2-an385 */

/* ---- the clock: copy from here into a bare-metal project -------------- */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static volatile uint32_t ticks;      /* ms since tick_start, written by the ISR */
static uint32_t last_tick;
static coro_time total_ms;           /* the count widened to 64 bits */
static unsigned long idle_calls;

/* The SysTick exception (its name in the vector table). */
void SysTick_Handler(void);
void SysTick_Handler(void)
{
    ticks++;
}

/* Starts SysTick: an interrupt every ms, from the core clock. */
static void tick_start(uint32_t cpu_hz)
{
    SYST_RVR = cpu_hz / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7; /* core clock, interrupt, enable */
}

/* now(): ms ticks in ns; a 32-bit load is atomic, the widening survives the
 * wrap every 49.7 days. */
static coro_time tick_now(struct coro_loop *loop)
{
    uint32_t t = ticks;
    (void)loop;
    total_ms += (uint32_t)(t - last_tick);
    last_tick = t;
    return total_ms * CORO_MSEC;
}

/* The idle hook: called with interrupts masked once nothing is due. WFI
 * wakes on an interrupt that is pending even while masked, so a tick that
 * came after the check is never missed; it runs once interrupts are on. */
static void idle(void)
{
    idle_calls++;
    __asm__ volatile("wfi");
}

/* wait(): until `deadline`, sleeping between ticks. Nothing here could end
 * a wait forever: CORO_EEMPTY (the loop then returns). */
static int tick_wait(struct coro_loop *loop, coro_time deadline)
{
    if (deadline == CORO_FOREVER)
        return CORO_EEMPTY;
    while (tick_now(loop) < deadline) {
        __asm__ volatile("cpsid i" ::: "memory");
        if (tick_now(loop) < deadline)
            idle();
        __asm__ volatile("cpsie i" ::: "memory");
    }
    return 0;
}

static const struct coro_clock tick_clock = { tick_now, tick_wait };
/* ---- to here -------------------------------------------------------------- */

struct sleeper {
    struct coro_task task;
    char name;
    coro_time period;
    int n;
};

static struct coro_loop ev;
static struct coro_timer_slot timers[2]; /* one per sleeping task */

/* async def sleeper(name, period): for n in range(3): await sleep(period); print */
static int sleeper(struct coro *co)
{
    struct sleeper *f = (struct sleeper *)co;
    CORO_BEGIN(co);
    for (f->n = 0; f->n < 3; f->n++) {
        CORO_SLEEP(co, &ev, f->period);
        printf("%c at %ld ms\n", f->name, (long)(coro_loop_time(&ev) / CORO_MSEC));
    }
    CORO_END(co);
}

int main(void)
{
    static struct sleeper a = { .name = 'a', .period = 30 * CORO_MSEC };
    static struct sleeper b = { .name = 'b', .period = 50 * CORO_MSEC };
    int rc;

    coro_port_init();
    tick_start(CPU_HZ);
    coro_loop_init(&ev, timers, 2);
    coro_loop_set_clock(&ev, &tick_clock);
    coro_task_start(&a.task, &ev, sleeper);
    coro_task_start(&b.task, &ev, sleeper);
    rc = coro_loop_run_forever(&ev);
    printf("run_forever: %d\n", rc);
    printf("idle hook slept: %s\n", idle_calls > 0 ? "yes" : "no");
    return rc;
}
