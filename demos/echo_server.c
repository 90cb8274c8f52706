/* SPDX-License-Identifier: MIT */
/*
 * echo_server.c -- asyncio's echo server on the selector loop: one task per
 * connection, thousands of connections on one thread, a few KB each.
 *
 *   echo_server --port P [--max-clients N] [--idle-timeout SECONDS] [--backend NAME]
 *
 * Listens on 127.0.0.1:P (0: the OS picks; the line `listening on port P` says
 * which), echoes what each client sends until it closes, or until it has
 * been idle (nothing received) for --idle-timeout seconds (default 60; 0:
 * never), so that idle peers cannot hold every fd for ever. Stops on SIGINT or
 * SIGTERM (every connection is cancelled and closed, exit status 0), or once
 * N connections have closed. --backend picks the selector: select, poll,
 * epoll, kqueue (default: the best here).
 *
 * The Python it follows:
 *
 *   async def handle(conn):
 *       try:
 *           async with asyncio.timeout(IDLE) as idle:
 *               while True:
 *                   data = await loop.sock_recv(conn, 2048)
 *                   if not data:
 *                       break
 *                   idle.reschedule(loop.time() + IDLE)
 *                   await loop.sock_sendall(conn, data)
 *       except TimeoutError:
 *           pass
 *       finally:
 *           conn.close()
 *
 *   async def serve(srv):
 *       while True:
 *           try:
 *               conn, _ = await loop.sock_accept(srv)
 *           except OSError:          # EMFILE: out of fds; try again later
 *               await asyncio.sleep(0.1)
 *               continue
 *           loop.create_task(handle(conn))
 *
 * Out of file descriptors (EMFILE) is not fatal: the accept task waits 100 ms
 * and tries again; the pending clients wait in the listen backlog until some
 * connection closes. At start the soft RLIMIT_NOFILE is raised to the hard one.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "io.h"
#include "scope.h"
#include "cli.h"

#define ECHO_BUF 2048               /* bytes each connection reads at a time */
#define MAX_FDS (1 << 20)           /* the selector's fd table at most */

static struct coro_loop loop;
static struct coro_io_loop iol;
static int got_signal;           /* stopped by SIGINT or SIGTERM */
static coro_time idle_timeout = 60 * CORO_SEC;  /* --idle-timeout; CORO_FOREVER: none */

/* ---- a connection ------------------------------------------------------- */

/* async def handle(conn): the frame of one connection, allocated at accept
 * and freed by its task's done callback. */
struct conn {
    struct coro_task task;
    struct coro_io io;              /* conn */
    struct coro_handle done;        /* task.add_done_callback(forget) */
    struct conn *prev, *next;       /* the live connections, for the shutdown */
    ssize_t n;                      /* data: len(data) */
    size_t sent;                    /* sock_sendall's progress */
    char buf[ECHO_BUF];             /* data */
    struct coro_try fin;            /* try: ... finally: of the body */
    struct coro_timeout idle;       /* async with asyncio.timeout(IDLE) as idle */
};

static long idle_closed;            /* connections closed for being idle */


static int handle(struct coro *co)
{
    struct conn *f = (struct conn *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        CORO_TIMEOUT(co, &loop, &f->idle, idle_timeout) {           /* async with asyncio.timeout(IDLE) as idle: */
            for (;;) {                                              /* while True: */
                CORO_SOCK_RECV(co, &f->io, f->buf, sizeof f->buf, f->n); /* data = await loop.sock_recv(conn, 2048) */
                if (f->n == 0)                                      /* if not data: */
                    break;                                          /*     break */
                if (idle_timeout != CORO_FOREVER)                   /* idle.reschedule(loop.time() + IDLE) */
                    coro_timeout_reschedule(&f->idle, coro_loop_time(&loop) + idle_timeout);
                CORO_SOCK_SENDALL(co, &f->io, f->buf, (size_t)f->n, f->sent); /* await loop.sock_sendall(conn, data) */
                /* the client answers what we sent: wait for it rather than try a
                 * recv that would only say EAGAIN (a system call per round trip) */
                CORO_IO_WAIT(co, &f->io, CORO_EVENT_READ);
            }
        } CORO_END_TIMEOUT(co, &f->idle);
    } CORO_EXCEPT(co, &f->fin, CORO_ETIMEDOUT) {                    /* except TimeoutError: */
        idle_closed++;                                              /*     pass */
    } CORO_FINALLY(co, &f->fin) {
        close(coro_io_close(&f->io));                               /* conn.close() */
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* ---- the server --------------------------------------------------------- */

/* conn, _ = await loop.sock_accept(srv), as a generator of its own so that
 * the accept task can catch what it raises (CORO_AWAIT_CATCH). */
struct accept_one {
    struct coro co;
    struct coro_io *srv;
    int fd;
};

static int accept_one(struct coro *co)
{
    struct accept_one *f = (struct accept_one *)co;
    CORO_BEGIN(co);
    CORO_SOCK_ACCEPT(co, f->srv, f->fd);
    CORO_RETURN(co, coro_int(f->fd));
    CORO_END(co);
}

/* async def serve(srv): */
struct server {
    struct coro_task task;
    struct coro_io io;              /* srv */
    struct accept_one accept;
    coro_value r;
    int err;
    long max_clients;               /* 0: no limit */
    long accepted, closed, failed, live;
    long emfile;                    /* accepts that failed for want of fds */
    coro_time last_warning;
    struct conn *conns;             /* the live connections */
};

static struct server srv;

/* The done callback of a connection's task: forgets and frees it. */
static void forget(struct coro_handle *h)
{
    struct conn *c = CORO_CONTAINER_OF(h, struct conn, done);
    int err = coro_future_result(&c->task.fut, NULL);
    if (err && err != CORO_ECANCELLED && err != -ECONNRESET && err != -EPIPE) {
        if (srv.failed++ < 10)
            fprintf(stderr, "echo_server: connection: %s\n", coro_strerror(err));
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        srv.conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
    srv.live--;
    srv.closed++;
    if (srv.max_clients && srv.closed >= srv.max_clients)
        coro_loop_stop(&loop);
}

/* loop.create_task(handle(conn)) */
static void start_conn(int fd)
{
    struct conn *c = (struct conn *)calloc(1, sizeof *c);
    if (!c) {
        fprintf(stderr, "echo_server: out of memory\n");
        close(fd);
        return;
    }
    coro_io_init(&c->io, &loop, fd);
    coro_task_start(&c->task, &loop, handle);
    coro_handle_init(&c->done, forget);
    coro_future_add_done_callback(&c->task.fut, &c->done);
    c->next = srv.conns;
    if (c->next)
        c->next->prev = c;
    srv.conns = c;
    srv.live++;
}

/* What running out of something looks like at accept: wait and retry. */
static int out_of_resources(int err)
{
    return err == -EMFILE || err == -ENFILE || err == -ENOBUFS || err == -ENOMEM;
}

static int serve(struct coro *co)
{
    struct server *f = (struct server *)co;
    CORO_BEGIN(co);
    while (!f->max_clients || f->accepted < f->max_clients) {   /* while True: */
        f->accept.srv = &f->io;
        coro_init(&f->accept.co, accept_one);
        CORO_AWAIT_CATCH(co, &f->accept.co, f->r, f->err);      /* try: conn, _ = await loop.sock_accept(srv) */
        if (f->err) {                                           /* except OSError: */
            if (!out_of_resources(f->err))
                CORO_RAISE(co, f->err);     /* cancelled, or the listening socket broke */
            f->emfile++;
            if (coro_loop_time(&loop) - f->last_warning >= CORO_SEC) {
                f->last_warning = coro_loop_time(&loop);
                fprintf(stderr, "echo_server: accept: %s (%ld open); retrying\n",
                        coro_strerror(f->err), f->live);
            }
            CORO_SLEEP(co, &loop, 100 * CORO_MSEC);            /*     await asyncio.sleep(0.1) */
            continue;                                           /*     continue */
        }
        f->accepted++;
        start_conn((int)f->r.v.i);                              /* loop.create_task(handle(conn)) */
    }
    CORO_END(co);
}

/* ---- setup, signals, shutdown ------------------------------------------- */

/* loop.add_signal_handler's callback for SIGINT and SIGTERM: runs on the
 * loop, as a handle, and stops it. */
static void on_stop_signal(struct coro_handle *h)
{
    (void)h;
    got_signal = 1;
    coro_loop_stop(&loop);
}

/* Raises the soft limit on open files to the hard one; returns the limit. */
static int raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > MAX_FDS)
        rl.rlim_max = MAX_FDS;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > MAX_FDS ? MAX_FDS : (int)rl.rlim_cur;
}

/* srv = socket(); srv.bind(('127.0.0.1', port)); srv.listen(); non-blocking */
static int listen_on(int port, int *bound)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -errno;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, SOMAXCONN) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0 || coro_sock_nonblocking(fd) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

static const char help[] =
    "usage: echo_server --port P [--max-clients N] [--idle-timeout SECONDS]\n"
    "                   [--backend NAME]\n"
    "\n"
    "asyncio's echo server on coro's selector loop: a task per connection echoes\n"
    "what its client sends until the client closes.\n"
    "\n"
    "  --port P           listen on 127.0.0.1:P (0: the OS picks; the line\n"
    "                     'listening on port P' says which)\n"
    "  --max-clients N    exit once N connections have closed (default: never)\n"
    "  --idle-timeout S   close a connection that sent nothing for S seconds\n"
    "                     (default 60; 0: never)\n"
    "  --backend NAME     the selector: select, poll, epoll, kqueue (default: the\n"
    "                     best here)\n"
    "  -h, --help         this help\n"
    "\n"
    "Stops on SIGINT or SIGTERM: every connection is cancelled and closed, exit 0.\n";

int main(int argc, char **argv)
{
    struct coro_timer_slot *timers;     /* a connection's idle timer, at most one each */
    struct coro_handle stop;
    struct coro_signal sigint, sigterm;
    struct sigaction sa;
    const char *backend = NULL;
    int i, rc, port = -1, fd, max_fds;
    struct conn *c;

    for (i = 1; i < argc; i++) {
        cli_help(argv[i], help);
        if (strcmp(argv[i], "--port") == 0)
            port = (int)cli_long("echo_server", "--port", cli_value("echo_server", argc, argv, &i),
                                 0, 65535);
        else if (strcmp(argv[i], "--max-clients") == 0)
            srv.max_clients = cli_long("echo_server", "--max-clients",
                                       cli_value("echo_server", argc, argv, &i), 0, LONG_MAX);
        else if (strcmp(argv[i], "--idle-timeout") == 0) {
            double s = cli_double("echo_server", "--idle-timeout",
                                  cli_value("echo_server", argc, argv, &i), 0, 86400);
            idle_timeout = s > 0 ? (coro_time)(s * CORO_SEC) : CORO_FOREVER;
        } else if (strcmp(argv[i], "--backend") == 0)
            backend = cli_value("echo_server", argc, argv, &i);
        else
            cli_unknown("echo_server", argv[i]);
    }
    if (port < 0)
        cli_fail("echo_server", "missing (which port to listen on?)", "--port", NULL);

    max_fds = raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    timers = (struct coro_timer_slot *)calloc((size_t)max_fds + 8, sizeof *timers);
    if (!timers) {
        fprintf(stderr, "echo_server: out of memory\n");
        return 1;
    }
    coro_loop_init(&loop, timers, (uint32_t)max_fds + 8);
    if ((rc = coro_io_loop_open(&iol, &loop, backend, max_fds)) != 0) {
        fprintf(stderr, "echo_server: selector %s: %s\n", backend ? backend : "(default)",
                coro_strerror(rc));
        free(timers);
        return 1;
    }
    if ((fd = listen_on(port, &port)) < 0) {
        fprintf(stderr, "echo_server: port %d: %s\n", port, coro_strerror(fd));
        coro_io_loop_close(&iol, &loop);
        free(timers);
        return 1;
    }
    /* SIGINT / SIGTERM stop the loop. Ignored before the loop handles them,
     * which is what closing the loop restores: a late one (`timeout`, for
     * one, sends its SIGTERM twice) is ignored, never fatal */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    coro_handle_init(&stop, on_stop_signal);
    coro_io_add_signal_handler(&iol, &sigint, SIGINT, &stop);
    coro_io_add_signal_handler(&iol, &sigterm, SIGTERM, &stop);

    coro_io_init(&srv.io, &loop, fd);
    srv.last_warning = -CORO_SEC;
    coro_task_start(&srv.task, &loop, serve);
    printf("listening on port %d\n", port);
    fflush(stdout);

    rc = coro_loop_run_forever(&loop);
    if (rc)
        fprintf(stderr, "echo_server: loop: %s\n", coro_strerror(rc));

    /* shutdown: cancel the accept task and every connection, let them close
     * (a second signal now only runs on_stop_signal again) */
    coro_task_cancel(&srv.task);
    for (c = srv.conns; c; c = c->next)
        coro_task_cancel(&c->task);
    while (srv.live || !coro_future_done(&srv.task.fut))
        if (coro_loop_run_once(&loop) <= 0)
            break;
    rc = coro_future_result(&srv.task.fut, NULL);
    if (rc && rc != CORO_ECANCELLED)
        fprintf(stderr, "echo_server: accept: %s\n", coro_strerror(rc));
    coro_io_close(&srv.io);
    close(fd);
    coro_io_loop_close(&iol, &loop);
    fprintf(stderr, "echo_server: %ld connections served (%zu bytes each), %ld closed idle, "
            "%ld accepts retried for want of fds%s\n", srv.closed, sizeof(struct conn),
            idle_closed, srv.emfile, got_signal ? ", stopped by a signal" : "");
    free(timers);
    return srv.live ? 1 : 0;
}
