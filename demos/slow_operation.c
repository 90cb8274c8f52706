/* SPDX-License-Identifier: MIT */
/*
 * slow_operation.c -- the async/await primer's example: three slow
 * operations awaited together with asyncio.wait; they overlap, so the whole
 * takes about one second, not three (slow_operation.py).
 *
 *   slow_operation             real time, about 1 s
 *   slow_operation --virtual   on the virtual clock, instantly; prints
 *                              tests/reference/slow_operation.out
 *   --timeline                 then draws which task ran when (timeline.h)
 *   --timeline=svg FILE        the same as a picture
 */
#include <stdio.h>
#include <string.h>

#include "wait.h"
#include "timeline.h"

static struct coro_loop loop;

/* async def slow_operation(n): */
struct slow_operation {
    struct coro_task task;
    int n;
    char name[24];                                  /* its lane in the timeline */
};

static int slow_operation(struct coro *co)
{
    struct slow_operation *f = (struct slow_operation *)co;
    CORO_BEGIN(co);
    timeline_run(f->name, coro_loop_time(&loop));
    CORO_SLEEP(co, &loop, 1 * CORO_SEC);            /* await asyncio.sleep(1) */
    timeline_run(f->name, coro_loop_time(&loop));
    printf("Slow operation %d complete\n", f->n);   /* print("Slow operation {} complete") */
    CORO_END(co);
}

/* async def main(): */
struct main_task {
    struct coro_task task;
    struct slow_operation ops[3];
    struct coro_future *children[3];
    struct coro_watch watch[3];
    struct coro_wait wait;
    coro_time start;
    coro_value r;
};

static int main_body(struct coro *co)
{
    struct main_task *f = (struct main_task *)co;
    int i;
    CORO_BEGIN(co);
    timeline_run("main", coro_loop_time(&loop));
    f->start = coro_loop_time(&loop);               /* start = time.time() */
    for (i = 0; i < 3; i++) {                       /* asyncio.ensure_future(slow_operation(n)) */
        f->ops[i].n = i + 1;
        snprintf(f->ops[i].name, sizeof f->ops[i].name, "slow_operation %d", i + 1);
        coro_task_start(&f->ops[i].task, &loop, slow_operation);
        f->children[i] = &f->ops[i].task.fut;
    }
    /* await asyncio.wait([...]) */
    if ((co->err = coro_wait(&f->wait, &loop, f->children, f->watch, 3, CORO_ALL_COMPLETED,
                             CORO_FOREVER)) != 0)
        CORO_RAISE(co, co->err);
    CORO_AWAIT_FUTURE(co, &f->wait.fut, f->r);
    timeline_run("main", coro_loop_time(&loop));
    /* end = time.time(); print('Complete in {:.1f} second(s)'.format(end - start)) */
    printf("Complete in %.1f second(s)\n",
           (double)(loop.clock->now(&loop) - f->start) / CORO_SEC);
    CORO_END(co);
}

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[8];
    static struct main_task m;
    const char *svg = NULL;
    int i, rc, virtual_clock = 0, timeline = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--virtual") == 0)
            virtual_clock = 1;
        else if (timeline_option(argc, argv, &i, &timeline, &svg))
            continue;
        else {
            fprintf(stderr, "usage: %s [--virtual] [--timeline] [--timeline=svg FILE]\n",
                    argv[0]);
            return 2;
        }
    }
    coro_loop_init(&loop, timers, 8);
    if (virtual_clock)
        coro_loop_set_clock(&loop, &coro_clock_virtual);
    timeline_start(coro_loop_time(&loop));
    coro_task_start(&m.task, &loop, main_body);     /* asyncio.run(main()) */
    rc = coro_loop_run_until_complete(&loop, &m.task.fut, NULL) == 0 ? 0 : 1;
    return timeline_output(timeline, svg, "slow_operation: which task ran when") || rc;
}
