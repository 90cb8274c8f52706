/* SPDX-License-Identifier: MIT */
/* Fetches a poem from each slow poetry server given by port, all at once, on
 * streams; a server silent for 10 s is given up. The twin of crawl.py. */
#include <stdio.h>
#include <stdlib.h>
#include "scope.h"
#include "stream.h"

static struct coro_loop loop;
static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";

struct fetch {
    struct coro_task task; int port; struct coro_stream s; struct coro_timeout t; struct coro_try e;
    size_t n, total; char rbuf[1024], wbuf[64];
};

static int fetch(struct coro *co)
{
    struct fetch *f = (struct fetch *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->e) {
        CORO_TIMEOUT(co, &loop, &f->t, 10 * CORO_SEC) {
            coro_stream_init(&f->s, &loop, f->rbuf, sizeof f->rbuf, f->wbuf, sizeof f->wbuf);
            CORO_STREAM_CONNECT(co, &f->s, "127.0.0.1", f->port);
            CORO_STREAM_WRITE(co, &f->s.writer, request, sizeof request - 1);
            for (;;) {
                CORO_STREAM_READ(co, &f->s.reader, sizeof f->rbuf, f->n);
                if (!f->n)
                    break;
                f->total += f->n;
                coro_timeout_reschedule(&f->t, coro_loop_time(&loop) + 10 * CORO_SEC);
            }
        } CORO_END_TIMEOUT(co, &f->t);
        coro_stream_close(&f->s.writer);
        printf("port %d: %zu bytes\n", f->port, f->total);
    } CORO_EXCEPT_ANY(co, &f->e) {
        fprintf(stderr, "port %d: %s\n", f->port, coro_strerror(coro_error(&f->e)));
        coro_stream_close(&f->s.writer);
    } CORO_END_TRY(co, &f->e);
    CORO_END(co);
}

struct main_ { struct coro_task task; struct coro_taskgroup g; int i, n; struct fetch *fetches; };

static int main_(struct coro *co)
{
    struct main_ *f = (struct main_ *)co;
    CORO_BEGIN(co);
    CORO_TASKGROUP(co, &loop, &f->g) {
        for (f->i = 0; f->i < f->n; f->i++)
            coro_taskgroup_start(&f->g, &f->fetches[f->i].task, fetch);
    } CORO_END_TASKGROUP(co, &f->g);
    CORO_END(co);
}

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[64];
    static struct coro_io_loop iol;
    static struct main_ m;
    int i, rc;
    coro_loop_init(&loop, timers, 64);
    coro_io_loop_open(&iol, &loop, NULL, 1024);
    m.n = argc - 1;
    m.fetches = calloc((size_t)m.n, sizeof *m.fetches);
    for (i = 0; i < m.n; i++)
        m.fetches[i].port = atoi(argv[i + 1]);
    rc = coro_loop_run_task(&loop, &m.task, main_);
    coro_io_loop_close(&iol, &loop);
    free(m.fetches);
    return rc != 0;
}
