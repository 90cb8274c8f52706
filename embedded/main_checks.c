/* SPDX-License-Identifier: MIT */
/*
 * main_checks.c -- checks of the fixed, caller-given storage run on each
 * board (build/avr/checks.elf, build/arm/checks.elf): a full timer heap and a
 * full queue are reported as CORO_EFULL and change nothing, and the storage
 * is usable again once emptied. Prints one line per check, then
 * "checks: N passed, M failed"; tests/embedded.sh compares the output with
 * the expected text. Exits with 0 when all passed (coro_port_exit).
 */
#include <stdio.h>

#include "embedded/port.h"
#include "loop.h"
#include "sync.h"

static int passed, failed;

/* Records one check and prints "name: ok" or "name: FAILED". */
static void check(const char *name, int ok)
{
    if (ok)
        passed++;
    else
        failed++;
    printf("%s: %s\n", name, ok ? "ok" : "FAILED");
}

/* A handle that appends its label to `order` when it runs. */
struct labelled {
    struct coro_handle h;
    char label;
};
static char order[8];
static int norder;

static void record(struct coro_handle *h)
{
    struct labelled *l = (struct labelled *)h;
    if (norder < (int)sizeof order - 1)
        order[norder++] = l->label;
}

static void check_timer_heap(void)
{
    static struct coro_timer_slot slots[3];
    static struct coro_loop loop;
    static struct labelled hs[4];
    int i, ok = 1;

    coro_loop_init(&loop, slots, 3);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    for (i = 0; i < 4; i++) {
        coro_handle_init(&hs[i].h, record);
        hs[i].label = (char)('A' + i);
    }
    ok &= coro_loop_call_at(&loop, &hs[0].h, 30 * CORO_MSEC) == 0;
    ok &= coro_loop_call_at(&loop, &hs[1].h, 10 * CORO_MSEC) == 0;
    ok &= coro_loop_call_at(&loop, &hs[2].h, 20 * CORO_MSEC) == 0;
    check("timer heap of 3 takes 3 timers", ok);
    check("4th call_at is CORO_EFULL",
          coro_loop_call_at(&loop, &hs[3].h, 5 * CORO_MSEC) == CORO_EFULL);
    /* the refused handle is still idle: it can go on the ready queue */
    check("refused handle stays idle", coro_loop_call_soon(&loop, &hs[3].h) == 0);
    check("run_forever returns 0", coro_loop_run_forever(&loop) == 0);
    printf("ran in order: %s at %ld ms\n", order, (long)(coro_loop_time(&loop) / CORO_MSEC));
    ok = order[0] == 'D' && order[1] == 'B' && order[2] == 'C' && order[3] == 'A' &&
         norder == 4;
    check("order D B C A", ok);
    ok = 1;
    for (i = 0; i < 3; i++)
        ok &= coro_loop_call_later(&loop, &hs[i].h, CORO_MSEC) == 0;
    check("heap reusable after it emptied", ok);
    for (i = 0; i < 3; i++)
        ok &= coro_loop_cancel(&loop, &hs[i].h) == 0;
    check("cancel frees the slots", ok && coro_loop_call_at(&loop, &hs[3].h, 0) == 0);
    coro_loop_cancel(&loop, &hs[3].h);
}

static void check_queue(void)
{
    static struct coro_loop loop;
    static coro_value slots[2];
    static struct coro_queue q;
    coro_value v = coro_none();
    int ok = 1;

    coro_loop_init(&loop, NULL, 0);
    ok &= coro_queue_init(&q, &loop, slots, 2) == 0;
    ok &= coro_queue_put_nowait(&q, coro_int(1)) == 0;
    ok &= coro_queue_put_nowait(&q, coro_int(2)) == 0;
    check("queue of 2 takes 2 values", ok);
    check("3rd put_nowait is CORO_EFULL", coro_queue_put_nowait(&q, coro_int(3)) == CORO_EFULL);
    ok = coro_queue_get_nowait(&q, &v) == 0 && v.type == CORO_INT && v.v.i == 1;
    ok &= coro_queue_put_nowait(&q, coro_int(3)) == 0;
    ok &= coro_queue_get_nowait(&q, &v) == 0 && v.v.i == 2;
    ok &= coro_queue_get_nowait(&q, &v) == 0 && v.v.i == 3;
    check("FIFO after the refusal: 1 2 3", ok);
    check("empty queue: CORO_EEMPTY", coro_queue_get_nowait(&q, &v) == CORO_EEMPTY);
}

int main(void)
{
    coro_port_init();
    check_timer_heap();
    check_queue();
    printf("checks: %d passed, %d failed\n", passed, failed);
    coro_port_exit(failed ? 1 : 0);
    return 0;
}
