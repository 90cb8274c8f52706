/* SPDX-License-Identifier: MIT */
/*
 * countdown.c -- the essay's SleepingLoop: three rocket countdowns sharing one
 * thread, woken in order of their wake time (sleeping_loop.py).
 *
 *   countdown              real time, about 5 s, the lines of sleeping_loop.py
 *   countdown --virtual    on the virtual clock: instantly, and byte for byte
 *                          tests/reference/sleeping_loop.virtual.out
 *   countdown --timeline   then draws which task ran at which step
 *
 * sleep() is written as the essay writes it: a coroutine that tells the loop
 * its wake time and returns how long it really slept.
 */
#include <stdio.h>
#include <string.h>

#include "loop.h"

static struct coro_loop loop;

/* Prints a duration as Python's timedelta does: H:MM:SS[.ffffff]. */
static void print_timedelta(coro_time ns)
{
    long long us = (long long)(ns / CORO_USEC), s = us / 1000000;
    printf("%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    if (us % 1000000)
        printf(".%06lld", us % 1000000);
}

/* The timeline: which task ran at each step. */
#define MAX_STEPS 64
static char steps[MAX_STEPS];
static coro_time step_time[MAX_STEPS];
static int nsteps;

static void record_step(char label)
{
    if (nsteps < MAX_STEPS) {
        step_time[nsteps] = coro_loop_time(&loop);
        steps[nsteps++] = label;
    }
}

/* @types.coroutine
 * def sleep(seconds): */
struct sleep {
    struct coro co;
    coro_time seconds, now, wait_until, actual;
};

static int sleep_body(struct coro *co)
{
    struct sleep *f = (struct sleep *)co;
    CORO_BEGIN(co);
    f->now = coro_loop_time(&loop);                 /* now = datetime.now() */
    f->wait_until = f->now + f->seconds;            /* wait_until = now + timedelta(seconds) */
    CORO_SLEEP_UNTIL(co, &loop, f->wait_until);     /* actual = yield wait_until */
    f->actual = coro_loop_time(&loop);
    CORO_END(co);                                   /* return actual - now: slept() */
}

/* What sleep returned: actual - now (kept in the frame: a coro_value's
 * integer is 16 bits on an AVR). */
static coro_time slept(const struct sleep *s)
{
    return s->actual - s->now;
}

/* async def countdown(label, length, *, delay=0): */
struct countdown {
    struct coro_task task;
    char label;
    int length, delay;
    struct sleep sleep;     /* the frame of the sleep it awaits */
    coro_value r;
};

static int countdown(struct coro *co)
{
    struct countdown *f = (struct countdown *)co;
    CORO_BEGIN(co);
    record_step(f->label);
    printf("%c waiting %d seconds before starting countdown\n", f->label, f->delay);
    f->sleep.seconds = f->delay * CORO_SEC;         /* delta = await sleep(delay) */
    coro_init(&f->sleep.co, sleep_body);
    CORO_AWAIT(co, &f->sleep.co, f->r);
    record_step(f->label);
    printf("%c starting after waiting ", f->label);
    print_timedelta(slept(&f->sleep));
    printf("\n");
    while (f->length) {                             /* while length: */
        printf("%c T-minus %d\n", f->label, f->length);
        f->sleep.seconds = CORO_SEC;                /*     waited = await sleep(1) */
        coro_init(&f->sleep.co, sleep_body);
        CORO_AWAIT(co, &f->sleep.co, f->r);
        record_step(f->label);
        f->length -= 1;                             /*     length -= 1 */
    }
    printf("%c lift-off!\n", f->label);
    CORO_END(co);
}

/* One row per task, one column per step: '#' where that task ran. */
static void print_timeline(const char *labels)
{
    int i;
    const char *l;
    printf("\nstep   ");
    for (i = 0; i < nsteps; i++)
        printf("%d", i % 10);
    printf("\ntime   ");
    for (i = 0; i < nsteps; i++)
        printf("%d", (int)(step_time[i] / CORO_SEC) % 10);
    printf("  (seconds)\n");
    for (l = labels; *l; l++) {
        printf("%c      ", *l);
        for (i = 0; i < nsteps; i++)
            putchar(steps[i] == *l ? '#' : '.');
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[8];
    struct countdown a = { .label = 'A', .length = 5, .delay = 0 };
    struct countdown b = { .label = 'B', .length = 3, .delay = 2 };
    struct countdown c = { .label = 'C', .length = 4, .delay = 1 };
    int i, virtual_clock = 0, timeline = 0;
    coro_time start;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--virtual") == 0)
            virtual_clock = 1;
        else if (strcmp(argv[i], "--timeline") == 0)
            timeline = 1;
        else {
            fprintf(stderr, "usage: %s [--virtual] [--timeline]\n", argv[0]);
            return 2;
        }
    }
    coro_loop_init(&loop, timers, 8);
    if (virtual_clock)
        coro_loop_set_clock(&loop, &coro_clock_virtual);
    /* loop = SleepingLoop(countdown('A', 5), countdown('B', 3, delay=2),
     *                     countdown('C', 4, delay=1)) */
    coro_task_start(&a.task, &loop, countdown);
    coro_task_start(&b.task, &loop, countdown);
    coro_task_start(&c.task, &loop, countdown);
    start = coro_loop_time(&loop);                  /* start = datetime.now() */
    coro_loop_run_forever(&loop);                   /* loop.run_until_complete() */
    printf("Total elapsed time is ");
    print_timedelta(loop.clock->now(&loop) - start);
    printf("\n");
    if (timeline)
        print_timeline("ABC");
    return 0;
}
