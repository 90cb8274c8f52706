/* SPDX-License-Identifier: MIT */
/*
 * countdown.c -- the essay's SleepingLoop: three rocket countdowns sharing one
 * thread, woken in order of their wake time (sleeping_loop.py).
 *
 *   countdown              real time, about 5 s, the lines of sleeping_loop.py
 *   countdown --virtual    on the virtual clock: instantly, and byte for byte
 *                          tests/reference/sleeping_loop.virtual.out
 *   countdown --timeline   then draws which task ran at which step, and when
 *                          (seconds since the start)
 *   countdown --timeline=svg FILE   the same as a picture (timeline.h)
 *   countdown --virtual --start-at S   the virtual clock starts at S seconds
 *
 * sleep() is written as the essay writes it: a coroutine that tells the loop
 * its wake time and returns how long it really slept. Here the loop is the
 * library's (loop.h): the wake time goes to the task's timer, not through the
 * yield. sleeping_loop.c is the essay's mechanism itself, heap and send(now).
 */
#include <stdio.h>
#include <string.h>

#include "loop.h"
#include "timeline.h"

static struct coro_loop loop;

/* Prints a duration as Python's timedelta does: H:MM:SS[.ffffff]. */
static void print_timedelta(coro_time ns)
{
    long long us = (long long)(ns / CORO_USEC), s = us / 1000000;
    printf("%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    if (us % 1000000)
        printf(".%06lld", us % 1000000);
}

/* --start-at S: a virtual clock that starts at S seconds, as a real clock
 * does at whatever time it is (the timeline must count from the start). */
static coro_time clock_shift;

static coro_time shifted_now(struct coro_loop *l)
{
    return coro_clock_virtual.now(l) + clock_shift;
}

static int shifted_wait(struct coro_loop *l, coro_time deadline)
{
    return coro_clock_virtual.wait(l, deadline == CORO_FOREVER ? deadline
                                                               : deadline - clock_shift);
}

static const struct coro_clock shifted_clock = { shifted_now, shifted_wait };

/* S, whole seconds, as a time */
static coro_time seconds_arg(const char *s)
{
    coro_time t = 0;
    while (*s >= '0' && *s <= '9')
        t = t * 10 + (*s++ - '0');
    return t * CORO_SEC;
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
    CORO_SLEEP_UNTIL(co, &loop, f->wait_until);     /* actual = yield wait_until (via a timer) */
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
    const char *label;
    int length, delay;
    struct sleep sleep;     /* the frame of the sleep it awaits */
    coro_value r;
};

static int countdown(struct coro *co)
{
    struct countdown *f = (struct countdown *)co;
    CORO_BEGIN(co);
    timeline_run(f->label, coro_loop_time(&loop));
    printf("%s waiting %d seconds before starting countdown\n", f->label, f->delay);
    f->sleep.seconds = f->delay * CORO_SEC;         /* delta = await sleep(delay) */
    coro_init(&f->sleep.co, sleep_body);
    CORO_AWAIT(co, &f->sleep.co, f->r);
    timeline_run(f->label, coro_loop_time(&loop));
    printf("%s starting after waiting ", f->label);
    print_timedelta(slept(&f->sleep));
    printf("\n");
    while (f->length) {                             /* while length: */
        printf("%s T-minus %d\n", f->label, f->length);
        f->sleep.seconds = CORO_SEC;                /*     waited = await sleep(1) */
        coro_init(&f->sleep.co, sleep_body);
        CORO_AWAIT(co, &f->sleep.co, f->r);
        timeline_run(f->label, coro_loop_time(&loop));
        f->length -= 1;                             /*     length -= 1 */
    }
    printf("%s lift-off!\n", f->label);
    CORO_END(co);
}

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[8];
    struct countdown a = { .label = "A", .length = 5, .delay = 0 };
    struct countdown b = { .label = "B", .length = 3, .delay = 2 };
    struct countdown c = { .label = "C", .length = 4, .delay = 1 };
    int i, virtual_clock = 0, timeline = 0;
    const char *svg = NULL;
    coro_time start;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--virtual") == 0)
            virtual_clock = 1;
        else if (timeline_option(argc, argv, &i, &timeline, &svg))
            continue;
        else if (strcmp(argv[i], "--start-at") == 0 && i + 1 < argc)
            clock_shift = seconds_arg(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--virtual [--start-at SECONDS]] [--timeline] "
                            "[--timeline=svg FILE]\n", argv[0]);
            return 2;
        }
    }
    coro_loop_init(&loop, timers, 8);
    if (virtual_clock)
        coro_loop_set_clock(&loop, clock_shift ? &shifted_clock : &coro_clock_virtual);
    /* loop = SleepingLoop(countdown('A', 5), countdown('B', 3, delay=2),
     *                     countdown('C', 4, delay=1)) */
    coro_task_start(&a.task, &loop, countdown);
    coro_task_start(&b.task, &loop, countdown);
    coro_task_start(&c.task, &loop, countdown);
    start = coro_loop_time(&loop);                  /* start = datetime.now() */
    timeline_start(start);
    coro_loop_run_forever(&loop);                   /* loop.run_until_complete() */
    printf("Total elapsed time is ");
    print_timedelta(loop.clock->now(&loop) - start);
    printf("\n");
    return timeline_output(timeline, svg, "countdown: which task ran when");
}
