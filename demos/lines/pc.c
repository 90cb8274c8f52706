/* SPDX-License-Identifier: MIT */
/* A producer and a consumer over a bounded queue; the consumer gives up
 * after 0.1 s without an item. The twin of pc.py. */
#include <stdio.h>
#include "scope.h"
#include "sync.h"

static struct coro_loop loop;
static struct coro_queue q;

struct producer { struct coro_task task; int i, n; };

static int producer(struct coro *co)
{
    struct producer *f = (struct producer *)co;
    CORO_BEGIN(co);
    for (f->i = 0; f->i < f->n; f->i++) {
        CORO_SLEEP(co, &loop, 10 * CORO_MSEC);
        CORO_QUEUE_PUT(co, &q, coro_int(f->i));
    }
    printf("producer: done\n");
    CORO_END(co);
}

struct consumer {
    struct coro_task task; struct coro_try t; struct coro_timeout to; coro_value item; int total;
};

static int consumer(struct coro *co)
{
    struct consumer *f = (struct consumer *)co;
    CORO_BEGIN(co);
    for (;;) {
        CORO_TRY(co, &f->t) {
            CORO_TIMEOUT(co, &loop, &f->to, 100 * CORO_MSEC) {
                CORO_QUEUE_GET(co, &q, f->item);
            } CORO_END_TIMEOUT(co, &f->to);
        } CORO_EXCEPT(co, &f->t, CORO_ETIMEDOUT) {
            printf("consumer: idle, total %d\n", f->total);
            CORO_RETURN(co, coro_int(f->total));
        } CORO_END_TRY(co, &f->t);
        f->total += (int)f->item.v.i;
    }
    CORO_END(co);
}

struct main_ {
    struct coro_task task; struct coro_taskgroup g; struct producer p; struct consumer c;
};

static int main_(struct coro *co)
{
    struct main_ *f = (struct main_ *)co;
    coro_value r;
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &f->g) {
        f->p.n = 10;
        coro_taskgroup_start(&f->g, &f->p.task, producer);
        coro_taskgroup_start(&f->g, &f->c.task, consumer);
    } CORO_END_TASKGROUP(co, &f->g);
    coro_future_result(&f->c.task.fut, &r);
    printf("main: %d\n", (int)r.v.i);
    CORO_END(co);
}

int main(void)
{
    static struct coro_timer_slot timers[8];
    static coro_value items[4];
    static struct main_ m;
    coro_loop_init(&loop, timers, 8);
    coro_queue_init(&q, &loop, items, 4);
    return coro_loop_run_task(&loop, &m.task, main_) != 0;
}
