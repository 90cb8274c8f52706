/*
 * SPDX-License-Identifier: MIT
 *
 * task_dump.c -- where is every task stuck? A crawler-shaped program on
 * the virtual clock: each fetch task awaits a read_all coroutine, which
 * awaits a recv coroutine, which sleeps (the network, slow). Half a second
 * in, a timer callback dumps every live task with coro_loop_dump, innermost
 * frame first through its whole yield-from chain, the way a Python
 * traceback lists the frames of suspended coroutines. Run it:
 *     build/demos/task_dump
 */
#include <stdio.h>

#include "loop.h"

static struct coro_loop loop;

struct recv_gen {                   /* async def recv(n): await sleep(n s) */
    struct coro co;
    int n;
};

static int recv_body(struct coro *co)
{
    struct recv_gen *r = (struct recv_gen *)co;
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop, r->n * CORO_SEC);
    CORO_END(co);
}

struct read_all_gen {               /* async def read_all(n): await recv(n) */
    struct coro co;
    struct recv_gen recv;
    coro_value r;
};

static int read_all_body(struct coro *co)
{
    struct read_all_gen *g = (struct read_all_gen *)co;
    CORO_BEGIN(co);
    coro_init(&g->recv.co, recv_body);
    CORO_AWAIT(co, &g->recv.co, g->r);
    CORO_END(co);
}

struct fetch {                      /* async def fetch(n): await read_all(n) */
    struct coro_task task;
    struct read_all_gen read_all;
    coro_value r;
};

static int fetch_body(struct coro *co)
{
    struct fetch *f = (struct fetch *)co;
    CORO_BEGIN(co);
    coro_init(&f->read_all.co, read_all_body);
    CORO_AWAIT(co, &f->read_all.co, f->r);
    CORO_END(co);
}

/* One frame of the dump: a header line for a task's innermost frame. */
static void print_frame(void *arg, struct coro_task *t, const char *name, unsigned depth,
                        const char *file, unsigned line)
{
    (void)arg;
    (void)t;
    if (depth == 0)
        printf("Task %s, suspended (innermost frame first):\n", name ? name : "?");
    printf("  File \"%s\", line %u\n", file ? file : "?", line);
}

static void dump(struct coro_handle *h)
{
    (void)h;
    printf("-- task dump at %.1f s --\n", (double)coro_loop_time(&loop) / CORO_SEC);
    coro_loop_dump(&loop, print_frame, NULL);
}

int main(void)
{
    static struct coro_timer_slot timers[8];
    static struct coro_task_slot slots[4];
    static struct fetch f[3];
    static const char *const names[] = { "fetch-1", "fetch-2", "fetch-3" };
    struct coro_handle at_half;
    int i;
    coro_loop_init(&loop, timers, 8);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    coro_loop_set_tasks(&loop, slots, 4);
    for (i = 0; i < 3; i++) {
        f[i].read_all.recv.n = i + 1;
        coro_task_start(&f[i].task, &loop, fetch_body);
        coro_task_set_name(&f[i].task, names[i]);
    }
    coro_handle_init(&at_half, dump);
    coro_loop_call_later(&loop, &at_half, CORO_SEC / 2);
    coro_loop_run_forever(&loop);
    printf("all %u tasks done at %.1f s\n", 3u, (double)coro_loop_time(&loop) / CORO_SEC);
    return coro_loop_close(&loop) == 0 ? 0 : 1;
}
