/* SPDX-License-Identifier: MIT */
/*
 * consumer.c -- a program of someone else's that uses an installed coro:
 * a task ticking on the loop's virtual clock, and a check that the library
 * it links is the version its headers say. tests/consumer.sh builds it with
 * pkg-config and with CMake, as C and as C++ (consumer.cpp includes this
 * file), and compares its output with the expected lines there.
 */
#include <stdio.h>
#include <string.h>

#include <coro/loop.h>
#include <coro/sync.h>
#include <coro/io.h>          /* every installed header resolves */

struct ticker {
    struct coro_task task;    /* first: the task's header */
    int n, i;
};

static int ticker(struct coro *co)
{
    struct ticker *f = (struct ticker *)co;
    CORO_BEGIN(co);
    for (f->i = 1; f->i <= f->n; f->i++) {
        CORO_SLEEP(co, f->task.fut.loop, CORO_SEC);
        printf("tick %d at %d s\n", f->i, (int)(coro_loop_time(f->task.fut.loop) / CORO_SEC));
    }
    CORO_RETURN(co, coro_int(f->n));
    CORO_END(co);
}

int main(void)
{
    static struct coro_timer_slot heap[4];
    static struct coro_loop loop;
    static struct ticker t;
    char header[32];
    coro_value out;
    int rc;

    coro_loop_init(&loop, heap, 4);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    t.n = 3;
    coro_task_start(&t.task, &loop, ticker);
    rc = coro_loop_run_until_complete(&loop, &t.task.fut, &out);
    printf("rc %d, result %d\n", rc, (int)out.v.i);
    snprintf(header, sizeof header, "%d.%d.%d", CORO_VERSION_MAJOR, CORO_VERSION_MINOR,
             CORO_VERSION_PATCH);
    printf("coro %s (headers %s)\n", coro_version(), header);
    return rc == 0 && strcmp(coro_version(), header) == 0 ? 0 : 1;
}
