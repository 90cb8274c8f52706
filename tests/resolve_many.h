/* SPDX-License-Identifier: MIT */
/*
 * resolve_many.h -- one scenario shared by test_threads.c (plain and ASan
 * builds) and tsan_resolve.c (ThreadSanitizer): MANY tasks each resolve
 * "127.0.0.1" with service 1000 + i (AI_NUMERICHOST | AI_NUMERICSERV, so no
 * name server is asked) on a pool of 2 workers; every third task is
 * cancelled after (i / 3) % 4 loop iterations, so that cancels fall on
 * lookups still queued, being resolved, resolved but not yet delivered, and
 * delivered to a task that has not resumed yet (CORO_GETADDRINFO frees the
 * list then); a task that finished before its cancel keeps its port.
 * Each cancelled item's memory is then overwritten at once (its frame
 * reused): the pool must never touch it again.
 *
 * Python (3.11) for what each task ends with:
 *     async def one(i):
 *         infos = await loop.getaddrinfo('127.0.0.1', 1000 + i, family=socket.AF_INET,
 *                                        type=socket.SOCK_STREAM,
 *                                        flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)
 *         return infos[0][4][1] if len(infos) == 1 else -1
 * -> the port, 1000 + i, for each task not cancelled; CancelledError for a
 * task cancelled while it awaits (asyncio cancels the lookup's future at
 * once, whatever the executor thread is doing).
 *
 * many_run() returns a description of what went wrong, or NULL.
 */
#ifndef CORO_TESTS_RESOLVE_MANY_H
#define CORO_TESTS_RESOLVE_MANY_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <stdio.h>

#include "resolve.h"

#define MANY 96

struct many_task {
    struct coro_task task;
    struct coro_getaddrinfo gai;
    struct coro_resolver *r;
    char service[8];
    int port;                       /* what it got, or -1 */
};

static struct many_task many_tasks[MANY];
static unsigned char many_reused[MANY][sizeof(struct coro_getaddrinfo)];
static int many_cancelled[MANY];    /* coro_task_cancel said 0 */
static int many_withdrawn;          /* cancels that withdrew a pending lookup */

static int many_body(struct coro *co)
{
    struct many_task *f = (struct many_task *)co;
    struct addrinfo hints;
    CORO_BEGIN(co);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    CORO_GETADDRINFO(co, &f->gai, f->r, "127.0.0.1", f->service, &hints);
    f->port = -1;
    if (f->gai.res && !f->gai.res->ai_next && f->gai.res->ai_family == AF_INET)
        f->port = ntohs(((struct sockaddr_in *)(void *)f->gai.res->ai_addr)->sin_port);
    freeaddrinfo(f->gai.res);
    CORO_RETURN(co, coro_int(f->port));
    CORO_END(co);
}

static const char *many_run(struct coro_loop *loop, struct coro_resolver *r)
{
    static char why[160];
    int i, iter, rc, live;
    memset(many_tasks, 0, sizeof many_tasks);
    memset(many_reused, 0, sizeof many_reused);
    memset(many_cancelled, 0, sizeof many_cancelled);
    many_withdrawn = 0;
    for (i = 0; i < MANY; i++) {
        many_tasks[i].r = r;
        snprintf(many_tasks[i].service, sizeof many_tasks[i].service, "%d", 1000 + i);
        if (coro_task_start(&many_tasks[i].task, loop, many_body) != 0)
            return "task start";
    }
    for (iter = 0; iter < 100000; iter++) {
        for (i = 2; i < MANY; i += 3)
            if ((i / 3) % 4 == iter && !coro_future_done(&many_tasks[i].task.fut))
                many_cancelled[i] = coro_task_cancel(&many_tasks[i].task) == 0;
        for (live = i = 0; i < MANY; i++)
            live += !coro_future_done(&many_tasks[i].task.fut);
        if (!live)
            break;
        rc = coro_loop_run_once(loop);
        if (rc < 0) {
            snprintf(why, sizeof why, "run_once: %d", rc);
            return why;
        }
        /* a cancelled lookup's item is reused as soon as its task ended:
         * scribble on it */
        for (i = 2; i < MANY; i += 3)
            if (!many_reused[i][0] && coro_future_done(&many_tasks[i].task.fut) &&
                coro_future_cancelled(&many_tasks[i].gai.fut)) {
                many_withdrawn++;
                memset(&many_tasks[i].gai, 0xA5, sizeof many_tasks[i].gai);
                memcpy(many_reused[i], &many_tasks[i].gai, sizeof many_reused[i]);
            }
    }
    for (i = 0; i < MANY; i++) {
        coro_value v;
        rc = coro_future_result(&many_tasks[i].task.fut, &v);
        if (many_cancelled[i] && rc != CORO_ECANCELLED) {
            snprintf(why, sizeof why, "task %d: %d, not cancelled", i, rc);
            return why;
        }
        if (many_cancelled[i]) {
            if (many_reused[i][0] &&
                memcmp(many_reused[i], &many_tasks[i].gai, sizeof many_reused[i]) != 0) {
                snprintf(why, sizeof why, "task %d: its item was written after the cancel", i);
                return why;
            }
            continue;
        }
        if (rc != 0 || v.v.i != 1000 + i) {
            snprintf(why, sizeof why, "task %d: rc %d, port %ld (want 1000 + %d)", i, rc,
                     (long)v.v.i, i);
            return why;
        }
    }
    return NULL;
}

#endif
