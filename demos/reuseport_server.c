/* SPDX-License-Identifier: MIT */
/*
 * reuseport_server.c -- one loop per thread: N event loops on N threads
 * serve one TCP port on 127.0.0.1, each with a listening socket of its own
 * bound with SO_REUSEPORT, so that the kernel spreads the connections over
 * them. Each serves the upper-casing protocol of upper_server (a client's
 * lines come back in capitals); nothing is shared between the loops but a
 * counter of the clients served, and the only cross-thread call is
 * coro_loop_call_soon_threadsafe, which tells every loop to stop.
 *
 *   reuseport_server --port P [--loops N] [--max-clients M]
 *
 * Prints `listening on port P` (the port the OS picked for 0), then runs
 * until M clients have been served in all (default: never) or until SIGINT
 * or SIGTERM; then each loop closes its server and finishes, and the line
 * `served C clients on N loops: c1 c2 ...` (per loop) ends the output. Exit
 * status 0, or 1 if fewer than M were served. Its clients: upper_client.
 *
 * The asyncio twin (one process, one loop per thread):
 *
 *   def serve(sock):
 *       async def main():
 *           server = await asyncio.start_server(handle, sock=sock)
 *           await stop.wait()               # stop: set with call_soon_threadsafe
 *       asyncio.run(main())
 *   socks = [socket.socket() for _ in range(n)]
 *   for s in socks:
 *       s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
 *       s.bind(('127.0.0.1', port)); s.listen()
 *   threads = [threading.Thread(target=serve, args=(s,)) for s in socks]
 */
#define _GNU_SOURCE 1
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "stream.h"
#include "cli.h"

#define MAX_LOOPS 16
#define POOL 32                         /* clients each loop serves at once */

/* async def handle(reader, writer): one client's frame */
struct conn {
    struct coro_stream_conn c;          /* first: task, stream (reader, writer) */
    size_t n, i;
    char up[4096];
    char rbuf[4096], wbuf[8192];
};

/* One loop, its thread and its server. */
struct shard {
    pthread_t th;
    struct coro_loop loop;
    struct coro_io_loop iol;
    struct coro_timer_slot timers[8];
    struct conn conns[POOL];
    struct coro_stream_conn *pool[POOL];
    struct coro_stream_server srv;
    struct coro_handle stop;            /* posted by whoever stops them all */
    long served;                        /* this loop's thread only */
    int rc;
};

static struct shard shards[MAX_LOOPS];
static int nshards = 4;
static long max_clients;
static long served_all;                 /* atomic: clients served, all loops */
static struct coro_signal sig_int, sig_term;
static struct coro_handle on_sig;

static int handle(struct coro *co)
{
    struct conn *f = (struct conn *)co;
    struct coro_stream *s = &f->c.stream;
    CORO_BEGIN(co);
    for (;;) {
        CORO_STREAM_READLINE(co, &s->reader, f->n);            /* line = await reader.readline() */
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

/* Tells every loop to stop: from any thread (a post that is on its way
 * already answers CORO_EBUSY, which is fine). */
static void stop_all(void)
{
    int i;
    for (i = 0; i < nshards; i++)
        coro_loop_call_soon_threadsafe(&shards[i].loop, &shards[i].stop);
}

/* shard->stop, on the shard's own thread. */
static void stop_here(struct coro_handle *h)
{
    coro_loop_stop(&CORO__CONTAINER_OF(h, struct shard, stop)->loop);
}

static void on_signal(struct coro_handle *h)
{
    (void)h;
    stop_all();
}

/* A client is done: count it; the one that makes max_clients stops all. */
static void on_done(struct coro_stream_conn *c)
{
    struct shard *sh = CORO__CONTAINER_OF(c->server, struct shard, srv);
    if (c->result)
        fprintf(stderr, "reuseport_server: client: %s\n", coro_strerror(c->result));
    sh->served++;
    if (__atomic_add_fetch(&served_all, 1, __ATOMIC_RELAXED) == max_clients)
        stop_all();
}

static void *shard_main(void *p)
{
    struct shard *sh = (struct shard *)p;
    sh->rc = coro_loop_run_forever(&sh->loop);
    return NULL;
}

/* A listening socket on 127.0.0.1:port with SO_REUSEPORT; its fd or -errno. */
static int listen_reuseport(int port)
{
    struct sockaddr_in a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, SOMAXCONN) < 0) {
        int e = -errno;
        if (fd >= 0)
            close(fd);
        return e;
    }
    return fd;
}

/* Opens shard i's loop and its server on `port`: 0 or an error. */
static int shard_open(struct shard *sh, int port)
{
    int j, fd, rc;
    coro_loop_init(&sh->loop, sh->timers, 8);
    if ((rc = coro_io_loop_open(&sh->iol, &sh->loop, NULL, 1024)) != 0)
        return rc;
    coro_handle_init(&sh->stop, stop_here);
    for (j = 0; j < POOL; j++) {
        coro_stream_conn_init(&sh->conns[j].c, &sh->loop, sh->conns[j].rbuf,
                              sizeof sh->conns[j].rbuf, sh->conns[j].wbuf,
                              sizeof sh->conns[j].wbuf);
        sh->pool[j] = &sh->conns[j].c;
    }
    if ((fd = listen_reuseport(port)) < 0)
        return fd;
    if ((rc = coro_stream_start_server_sock(&sh->srv, &sh->loop, fd, sh->pool, POOL,
                                            handle)) != 0) {
        close(fd);
        return rc;
    }
    sh->srv.on_done = on_done;
    return 0;
}

/* After the threads are joined: server.close(), then the selector goes
 * (a connection still open, after a signal, wakes with CORO_ECLOSED). */
static void shard_close(struct shard *sh)
{
    coro_stream_server_close(&sh->srv);
    while (!coro_future_done(&sh->srv.task.fut) && coro_loop_run_once(&sh->loop) > 0)
        ;
    coro_io_loop_close(&sh->iol, &sh->loop);
}

static const char help[] =
    "usage: reuseport_server --port P [--loops N] [--max-clients M]\n"
    "\n"
    "One event loop per thread: N loops on N threads serve one port on\n"
    "127.0.0.1 through SO_REUSEPORT, each line a client sends coming back in\n"
    "capitals (upper_client is a client). Stops after M clients or on SIGINT\n"
    "or SIGTERM, and says how many clients each loop served.\n"
    "\n"
    "  --port P           listen on 127.0.0.1:P (0: the OS picks; the line\n"
    "                     'listening on port P' says which)\n"
    "  --loops N          loops and threads, 1 to 16 (default 4)\n"
    "  --max-clients M    exit once M clients have been served (default: never)\n"
    "  -h, --help         this help\n";

int main(int argc, char **argv)
{
    int i, rc, port = -1, nopen = 0;
    long total = 0;

    for (i = 1; i < argc; i++) {
        cli_help(argv[i], help);
        if (strcmp(argv[i], "--port") == 0)
            port = (int)cli_long("reuseport_server", "--port",
                                 cli_value("reuseport_server", argc, argv, &i), 0, 65535);
        else if (strcmp(argv[i], "--loops") == 0)
            nshards = (int)cli_long("reuseport_server", "--loops",
                                    cli_value("reuseport_server", argc, argv, &i), 1, MAX_LOOPS);
        else if (strcmp(argv[i], "--max-clients") == 0)
            max_clients = cli_long("reuseport_server", "--max-clients",
                                   cli_value("reuseport_server", argc, argv, &i), 0, LONG_MAX);
        else
            cli_unknown("reuseport_server", argv[i]);
    }
    if (port < 0)
        cli_fail("reuseport_server", "missing (which port to listen on?)", "--port", NULL);

    /* every loop is open before any thread runs: a stop may be posted to
     * any of them from the first client on */
    for (rc = 0; nopen < nshards && rc == 0; nopen++) {
        rc = shard_open(&shards[nopen], port);
        if (rc == 0 && port == 0)
            port = coro_stream_server_port(&shards[0].srv);    /* the others join it */
    }
    if (rc == 0) {
        coro_handle_init(&on_sig, on_signal);
        rc = coro_io_add_signal_handler(&shards[0].iol, &sig_int, SIGINT, &on_sig);
        if (rc == 0)
            rc = coro_io_add_signal_handler(&shards[0].iol, &sig_term, SIGTERM, &on_sig);
    }
    if (rc != 0) {
        fprintf(stderr, "reuseport_server: port %d: %s\n", port, coro_strerror(rc));
        return 1;
    }
    printf("listening on port %d\n", port);
    fflush(stdout);

    for (i = 0; i < nshards; i++)
        if ((rc = pthread_create(&shards[i].th, NULL, shard_main, &shards[i])) != 0) {
            fprintf(stderr, "reuseport_server: thread: %s\n", strerror(rc));
            nshards = i;                /* stop and join those that started */
            stop_all();
            break;
        }
    for (i = 0; i < nshards; i++)
        pthread_join(shards[i].th, NULL);
    for (i = 0; i < nopen; i++) {
        shard_close(&shards[i]);
        total += shards[i].served;
        rc |= shards[i].rc;
    }
    printf("served %ld clients on %d loops:", total, nopen);
    for (i = 0; i < nopen; i++)
        printf(" %ld", shards[i].served);
    printf("\n");
    return rc != 0 || total < max_clients;
}
