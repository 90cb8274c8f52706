/* SPDX-License-Identifier: MIT */
/*
 * upper_server.c -- a line-based upper-casing server on streams (stream.h):
 * each client's lines come back in capitals, until it closes.
 *
 *   upper_server --port P [--max-clients N]
 *
 * Listens on 127.0.0.1:P (0: the OS picks; the line `listening on port P`
 * says which); exits 0 once N clients have been served (default: never).
 * Its client is upper_client; tests/reference/upper.py is the asyncio twin:
 *
 *   async def handle(reader, writer):
 *       while line := await reader.readline():
 *           writer.write(line.upper())
 *           await writer.drain()
 *       writer.close()
 *       await writer.wait_closed()
 *
 *   server = await asyncio.start_server(handle, '127.0.0.1', port)
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "stream.h"
#include "cli.h"

#define POOL 64                         /* clients served at once */

static struct coro_loop loop;
static struct coro_io_loop iol;
static long served, max_clients;

/* async def handle(reader, writer): one client's frame */
struct conn {
    struct coro_stream_conn c;          /* first: task, stream (reader, writer) */
    size_t n, i;
    char up[4096];
    char rbuf[4096], wbuf[8192];
};

static int handle(struct coro *co)
{
    struct conn *f = (struct conn *)co;
    struct coro_stream *s = &f->c.stream;
    CORO_BEGIN(co);
    for (;;) {
        CORO_STREAM_READLINE(co, &s->reader, f->n);            /* line = await reader.readline() */
        if (!f->n)                                              /* while line: */
            break;
        for (f->i = 0; f->i < f->n; f->i++)                     /* line.upper() */
            f->up[f->i] = (char)toupper((unsigned char)coro_stream_data(&s->reader)[f->i]);
        CORO_STREAM_WRITE(co, &s->writer, f->up, f->n);         /* writer.write(...) */
        CORO_STREAM_DRAIN(co, &s->writer);                      /* await writer.drain() */
    }
    coro_stream_close(&s->writer);                              /* writer.close() */
    CORO_STREAM_WAIT_CLOSED(co, &s->writer);                    /* await writer.wait_closed() */
    CORO_END(co);
}

/* A client is done: after max_clients of them, stop. */
static void on_done(struct coro_stream_conn *c)
{
    if (c->result)
        fprintf(stderr, "upper_server: client: %s\n", coro_strerror(c->result));
    if (++served == max_clients)
        coro_loop_stop(&loop);
}

static const char help[] =
    "usage: upper_server --port P [--max-clients N]\n"
    "\n"
    "A line-based upper-casing server on coro's streams: each line a client\n"
    "sends comes back in capitals.\n"
    "\n"
    "  --port P           listen on 127.0.0.1:P (0: the OS picks; the line\n"
    "                     'listening on port P' says which)\n"
    "  --max-clients N    exit once N clients have been served (default: never)\n"
    "  -h, --help         this help\n";

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[8];
    static struct conn conns[POOL];
    static struct coro_stream_conn *pool[POOL];
    static struct coro_stream_server srv;
    struct sockaddr_storage addr;
    socklen_t len;
    int i, rc, port = -1;

    for (i = 1; i < argc; i++) {
        cli_help(argv[i], help);
        if (strcmp(argv[i], "--port") == 0)
            port = (int)cli_long("upper_server", "--port",
                                 cli_value("upper_server", argc, argv, &i), 0, 65535);
        else if (strcmp(argv[i], "--max-clients") == 0)
            max_clients = cli_long("upper_server", "--max-clients",
                                   cli_value("upper_server", argc, argv, &i), 0, LONG_MAX);
        else
            cli_unknown("upper_server", argv[i]);
    }
    if (port < 0)
        cli_fail("upper_server", "missing (which port to listen on?)", "--port", NULL);

    coro_loop_init(&loop, timers, 8);
    if ((rc = coro_io_loop_open(&iol, &loop, NULL, 1024)) != 0) {
        fprintf(stderr, "upper_server: selector: %s\n", coro_strerror(rc));
        return 1;
    }
    for (i = 0; i < POOL; i++) {
        coro_stream_conn_init(&conns[i].c, &loop, conns[i].rbuf, sizeof conns[i].rbuf,
                              conns[i].wbuf, sizeof conns[i].wbuf);
        pool[i] = &conns[i].c;
    }
    coro_stream_addr(&addr, &len, "127.0.0.1", port);
    if ((rc = coro_stream_start_server(&srv, &loop, &addr, len, pool, POOL, handle)) != 0) {
        fprintf(stderr, "upper_server: port %d: %s\n", port, coro_strerror(rc));
        return 1;
    }
    srv.on_done = on_done;
    printf("listening on port %d\n", coro_stream_server_port(&srv));
    fflush(stdout);

    rc = coro_loop_run_forever(&loop);
    coro_stream_server_close(&srv);                     /* server.close() */
    while (!coro_future_done(&srv.task.fut) && coro_loop_run_once(&loop) > 0)
        ;
    coro_io_loop_close(&iol, &loop);
    return rc || served < max_clients;
}
