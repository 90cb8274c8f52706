/* SPDX-License-Identifier: MIT */
/*
 * countdown34.c -- the essay's Python 3.4-style countdown (borrowed there from
 * curio's tutorial): generator-based coroutines that `yield from
 * asyncio.sleep(1)`, as tasks of the library's loop. Prints what
 * tests/reference/countdown34.py prints.
 *
 *   countdown34              real time, about 3 s
 *   countdown34 --virtual    on the virtual clock, instantly
 */
#include <stdio.h>
#include <string.h>

#include "wait.h"

static struct coro_loop loop;

/* @types.coroutine
 * def countdown(number, n): */
struct countdown {
    struct coro_task task;
    const char *number;
    int n;
};

static int countdown(struct coro *co)
{
    struct countdown *f = (struct countdown *)co;
    CORO_BEGIN(co);
    while (f->n > 0) {                                  /* while n > 0: */
        printf("T-minus %d (%s)\n", f->n, f->number);  /*     print('T-minus', n, '({})'.format(number)) */
        CORO_SLEEP(co, &loop, 1 * CORO_SEC);            /*     yield from asyncio.sleep(1) */
        f->n -= 1;                                      /*     n -= 1 */
    }
    CORO_END(co);
}

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[4];
    struct countdown a = { .number = "A", .n = 2 }, b = { .number = "B", .n = 3 };
    struct coro_future *tasks[2] = { &a.task.fut, &b.task.fut };
    static struct coro_watch watch[2];                  /* (zeroed: not in use) */
    static struct coro_wait wait;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--virtual") != 0)) {
        fprintf(stderr, "usage: %s [--virtual]\n", argv[0]);
        return 2;
    }
    coro_loop_init(&loop, timers, 4);                   /* loop = asyncio.new_event_loop() */
    if (argc == 2)
        coro_loop_set_clock(&loop, &coro_clock_virtual);
    coro_task_start(&a.task, &loop, countdown);         /* tasks = [loop.create_task(countdown("A", 2)), */
    coro_task_start(&b.task, &loop, countdown);         /*          loop.create_task(countdown("B", 3))] */
    if (coro_wait(&wait, &loop, tasks, watch, 2, CORO_ALL_COMPLETED, CORO_FOREVER) != 0)
        return 1;                                       /* loop.run_until_complete(asyncio.wait(tasks)) */
    return coro_loop_run_until_complete(&loop, &wait.fut, NULL) == 0 ? 0 : 1;
}
