/* SPDX-License-Identifier: MIT */
/* The line-based upper-casing server and its client, on streams: the twin
 * of tests/reference/upper.py, with its command line:
 *   upper --port P [--max-clients N]     the server
 *   upper --client PORT < lines          the client */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stream.h"

static struct coro_loop loop;
static long served, max_clients;

struct conn { struct coro_stream_conn c; size_t n, i; char up[4096], rbuf[4096], wbuf[8192]; };

static int handle(struct coro *co)
{
    struct conn *f = (struct conn *)co;
    struct coro_stream *s = &f->c.stream;
    CORO_BEGIN(co);
    for (;;) {
        CORO_STREAM_READLINE(co, &s->reader, f->n);
        if (!f->n)
            break;
        for (f->i = 0; f->i < f->n; f->i++)
            f->up[f->i] = (char)toupper((unsigned char)coro_stream_data(&s->reader)[f->i]);
        CORO_STREAM_WRITE(co, &s->writer, f->up, f->n);
        CORO_STREAM_DRAIN(co, &s->writer);
    }
    coro_stream_close(&s->writer);
    CORO_STREAM_WAIT_CLOSED(co, &s->writer);
    CORO_END(co);
}

static void on_done(struct coro_stream_conn *c)
{
    (void)c;
    if (++served == max_clients)
        coro_loop_stop(&loop);
}

struct client {
    struct coro_task task; struct coro_stream s; int port; size_t n;
    char line[4096], rbuf[4096], wbuf[4096];
};

static int client(struct coro *co)
{
    struct client *f = (struct client *)co;
    CORO_BEGIN(co);
    CORO_STREAM_CONNECT(co, &f->s, "127.0.0.1", f->port);
    while (fgets(f->line, sizeof f->line, stdin)) {
        CORO_STREAM_WRITE(co, &f->s.writer, f->line, strlen(f->line));
        CORO_STREAM_DRAIN(co, &f->s.writer);
        CORO_STREAM_READLINE(co, &f->s.reader, f->n);
        fwrite(coro_stream_data(&f->s.reader), 1, f->n, stdout);
    }
    coro_stream_close(&f->s.writer);
    CORO_STREAM_WAIT_CLOSED(co, &f->s.writer);
    CORO_END(co);
}

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[8];
    static struct coro_io_loop iol;
    static struct conn conns[64];
    static struct coro_stream_conn *pool[64];
    static struct coro_stream_server srv;
    static struct client c;
    struct sockaddr_storage addr;
    socklen_t len;
    int i, rc, port = argc > 2 ? atoi(argv[2]) : 0;
    coro_loop_init(&loop, timers, 8);
    coro_io_loop_open(&iol, &loop, NULL, 1024);
    if (argc > 2 && strcmp(argv[1], "--client") == 0) {
        coro_stream_init(&c.s, &loop, c.rbuf, sizeof c.rbuf, c.wbuf, sizeof c.wbuf);
        c.port = port;
        rc = coro_loop_run_task(&loop, &c.task, client);
    } else {
        max_clients = argc > 4 ? atol(argv[4]) : 0;
        for (i = 0; i < 64; i++) {
            coro_stream_conn_init(&conns[i].c, &loop, conns[i].rbuf, sizeof conns[i].rbuf,
                                  conns[i].wbuf, sizeof conns[i].wbuf);
            pool[i] = &conns[i].c;
        }
        coro_stream_addr(&addr, &len, "127.0.0.1", port);
        if ((rc = coro_stream_start_server(&srv, &loop, &addr, len, pool, 64, handle)) == 0) {
            srv.on_done = on_done;
            printf("listening on port %d\n", coro_stream_server_port(&srv));
            fflush(stdout);
            rc = coro_loop_run_forever(&loop);
            coro_stream_server_close(&srv);
            while (!coro_future_done(&srv.task.fut) && coro_loop_run_once(&loop) > 0)
                ;
        }
    }
    coro_io_loop_close(&iol, &loop);
    return rc != 0;
}
