/* SPDX-License-Identifier: MIT */
/*
 * upper_client.c -- the client of upper_server, on streams (stream.h): sends
 * each line of its standard input, prints the server's answer to it.
 *
 *   upper_client PORT < lines
 *
 * The asyncio twin (tests/reference/upper.py --client):
 *
 *   reader, writer = await asyncio.open_connection('127.0.0.1', port)
 *   for line in sys.stdin.buffer:
 *       writer.write(line)
 *       await writer.drain()
 *       sys.stdout.buffer.write(await reader.readline())
 *   writer.close()
 *   await writer.wait_closed()
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "cli.h"

static struct coro_loop loop;
static struct coro_io_loop iol;

struct client {
    struct coro_task task;              /* first */
    struct coro_stream s;
    struct sockaddr_storage addr;
    socklen_t alen;
    size_t n;
    char line[4096];
    char rbuf[4096], wbuf[8192];
};

static int client(struct coro *co)
{
    struct client *f = (struct client *)co;
    CORO_BEGIN(co);
    CORO_STREAM_OPEN_CONNECTION(co, &f->s, &f->addr, f->alen);  /* open_connection(...) */
    while (fgets(f->line, sizeof f->line, stdin)) {              /* for line in stdin: */
        CORO_STREAM_WRITE(co, &f->s.writer, f->line, strlen(f->line)); /* writer.write(line) */
        CORO_STREAM_DRAIN(co, &f->s.writer);                     /* await writer.drain() */
        CORO_STREAM_READLINE(co, &f->s.reader, f->n);            /* await reader.readline() */
        fwrite(coro_stream_data(&f->s.reader), 1, f->n, stdout);
    }
    coro_stream_close(&f->s.writer);                             /* writer.close() */
    CORO_STREAM_WAIT_CLOSED(co, &f->s.writer);                   /* await writer.wait_closed() */
    CORO_END(co);
}

static const char help[] =
    "usage: upper_client PORT\n"
    "\n"
    "The client of upper_server: sends each line of standard input to\n"
    "127.0.0.1:PORT and prints the answer.\n"
    "\n"
    "  -h, --help         this help\n";

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[4];
    static struct client c;
    int rc;

    cli_ports("upper_client", help, argc, argv);
    if (argc != 2)
        cli_unknown("upper_client", argv[2]);
    coro_loop_init(&loop, timers, 4);
    if ((rc = coro_io_loop_open(&iol, &loop, NULL, 1024)) != 0) {
        fprintf(stderr, "upper_client: selector: %s\n", coro_strerror(rc));
        return 1;
    }
    coro_stream_init(&c.s, &loop, c.rbuf, sizeof c.rbuf, c.wbuf, sizeof c.wbuf);
    coro_stream_addr(&c.addr, &c.alen, "127.0.0.1", (int)strtol(argv[1], NULL, 10));
    coro_task_start(&c.task, &loop, client);
    rc = coro_loop_run_until_complete(&loop, &c.task.fut, NULL);
    if (rc)
        fprintf(stderr, "upper_client: port %s: %s\n", argv[1], coro_strerror(rc));
    coro_io_loop_close(&iol, &loop);
    return rc != 0;
}
