/* SPDX-License-Identifier: MIT */
/*
 * tsan_resolve.c -- the resolver pool (resolve.h) under ThreadSanitizer
 * (mk/tsan.mk, run by tests/tsan.sh): resolve_many.h's scenario (MANY
 * lookups on 2 workers, a third of them cancelled at various points, each
 * cancelled item overwritten as soon as its task ended), ROUNDS times, then
 * a stop with lookups still queued. ThreadSanitizer must report nothing.
 * Prints one line per round and "tsan_resolve: N passed, M failed".
 */
#define _GNU_SOURCE 1
#include <stdio.h>

#include "resolve_many.h"

#define ROUNDS 5

static struct coro_timer_slot timers[4];
static struct coro_loop loop;
static struct coro_io_loop iol;
static struct coro_resolver res;

/* Stops a pool of 1 with 8 lookups queued: a prefix resolved, the rest
 * CORO_ECLOSED. NULL or what went wrong. */
static const char *stop_with_queue(void)
{
    static struct coro_getaddrinfo it[8];
    int i, closed = 0;
    memset(it, 0, sizeof it);
    if (coro_resolver_start(&res, &loop, 1))
        return "start";
    for (i = 0; i < 8; i++)
        if (coro_getaddrinfo(&it[i], &res, "127.0.0.1", "80", NULL))
            return "getaddrinfo";
    coro_resolver_stop(&res);
    for (i = 0; i < 8; i++) {
        int rc = coro_future_result(&it[i].fut, NULL);
        if (rc == 0 && !closed)
            freeaddrinfo(it[i].res);
        else if (rc == CORO_ECLOSED)
            closed++;
        else
            return "not a resolved prefix, then closed";
    }
    return NULL;
}

int main(void)
{
    int round, pass = 0, fail = 0;
    const char *why;
    coro_loop_init(&loop, timers, 4);
    if (coro_io_loop_open(&iol, &loop, NULL, 1024)) {
        printf("tsan_resolve: no selector loop\ntsan_resolve: 0 passed, 1 failed\n");
        return 1;
    }
    for (round = 1; round <= ROUNDS; round++) {
        if (coro_resolver_start(&res, &loop, 2)) {
            why = "start";
        } else {
            why = many_run(&loop, &res);
            coro_resolver_stop(&res);
        }
        printf("tsan_resolve: round %d: %d lookups on 2 workers, %d withdrawn by a cancel: %s\n",
               round, MANY, many_withdrawn, why ? why : "ok");
        if (why)
            fail++;
        else
            pass++;
    }
    why = stop_with_queue();
    printf("tsan_resolve: stop with 8 queued: %s\n", why ? why : "ok");
    if (why)
        fail++;
    else
        pass++;
    coro_io_loop_close(&iol, &loop);
    printf("tsan_resolve: %d passed, %d failed\n", pass, fail);
    return fail != 0;
}
