/* SPDX-License-Identifier: MIT */
/*
 * crawler.c -- the tutorial's third crawler (tests/reference/crawler_coro.py):
 * the callbacks of the second one turned back into straight-line code, with
 * generators, futures and `yield from`. connect, read, read_all and fetch are
 * coro.h generators; each fetch is a task of the selector loop (io.h), and
 * what the tutorial's selector callbacks do (set a future's result) is done
 * by the loop's add_reader / add_writer callbacks.
 *
 *   crawler [--timeout SECONDS] PORT [PORT ...]   (slow poetry servers on 127.0.0.1)
 *
 * Prints `port P: N bytes` as each fetch finishes, then `total X.X s`. The
 * fetches overlap: the total is about the slowest one, not the sum. A fetch
 * that fails is reported on stderr with its port (and the bytes it had read);
 * the others go on, and the exit status is then 1. --timeout (default 10;
 * 0: none) bounds the connect and each read: a silent server ends in an
 * error for its port (asyncio.timeout around the fetch, rescheduled after
 * each chunk). A response may be up to 64 KiB.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "io.h"
#include "scope.h"
#include "cli.h"

#define FETCH_BUF 65536             /* a fetch's buffer: the largest response */
#define READ_SIZE 1024              /* sock.recv(1024) */

static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";

static struct coro_loop loop;       /* the loop and its selector: */
static struct coro_io_loop iol;     /* selector = DefaultSelector() */
static int pending;                 /* pending = set() */
static int failed;
static coro_time timeout = 10 * CORO_SEC;  /* --timeout; CORO_FOREVER: none */

/* ---- def connect(sock, address): ----------------------------------------- */

struct connect {
    struct coro co;
    struct coro_io *sock;
    const struct sockaddr_in *address;
    struct coro_future f;
    struct coro_handle on_writable;
    int registered;
    coro_value r;
    struct coro_try fin;     /* try: ... finally: of the body */
};

/* lambda: f.set_result(None) */
static void connect_writable(struct coro_handle *h)
{
    struct connect *f = CORO_CONTAINER_OF(h, struct connect, on_writable);
    if (!coro_future_done(&f->f))
        coro_future_set_result(&f->f, coro_none());
}

static int connect_body(struct coro *co)
{
    struct connect *f = (struct connect *)co;
    int err = 0;
    socklen_t len = sizeof err;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        coro_future_init(&f->f, &loop);                         /* f = Future() */
        if ((co->err = coro_sock_nonblocking(f->sock->fd)) != 0) /* sock.setblocking(False) */
            CORO_RAISE(co, co->err);
        if (connect(f->sock->fd, (const struct sockaddr *)f->address, /* try: sock.connect(address) */
                    sizeof *f->address) < 0 && errno != EINPROGRESS) /* except BlockingIOError: */
            CORO_RAISE(co, -errno);                             /*     pass */
        coro_handle_init(&f->on_writable, connect_writable);   /* selector.register(sock.fileno(), */
        if ((co->err = coro_io_add_writer(f->sock, &f->on_writable)) != 0) /* EVENT_WRITE, */
            CORO_RAISE(co, co->err);                            /* lambda: f.set_result(None)) */
        f->registered = 1;
        CORO_AWAIT_FUTURE(co, &f->f, f->r);                     /* yield from f */
        if (getsockopt(f->sock->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err)                                                /* (did it connect?) */
            CORO_RAISE(co, -err);
    } CORO_FINALLY(co, &f->fin) {
        if (f->registered)
            coro_io_remove_writer(f->sock);                     /* selector.unregister(sock.fileno()) */
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* ---- def read(sock): ----------------------------------------------------- */

struct read {
    struct coro co;
    struct coro_io *sock;
    char *buf;                      /* where the chunk goes */
    size_t size;
    struct coro_future f;
    struct coro_handle on_readable;
    int registered;
    coro_value chunk;
    struct coro_try fin;     /* try: ... finally: of the body */
};

/*     def on_readable(): */
static void on_readable(struct coro_handle *h)
{
    struct read *f = CORO_CONTAINER_OF(h, struct read, on_readable);
    ssize_t n;
    if (coro_future_done(&f->f))
        return;
    n = recv(f->sock->fd, f->buf, f->size, 0);              /* f.set_result(sock.recv(1024)) */
    if (n >= 0)
        coro_future_set_result(&f->f, coro_int(n));
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        coro_future_set_error(&f->f, -errno);
}

static int read_body(struct coro *co)
{
    struct read *f = (struct read *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        coro_future_init(&f->f, &loop);                         /* f = Future() */
        coro_handle_init(&f->on_readable, on_readable);
        if ((co->err = coro_io_add_reader(f->sock, &f->on_readable)) != 0) /* selector.register(fd, */
            CORO_RAISE(co, co->err);                            /*   EVENT_READ, on_readable) */
        f->registered = 1;
        CORO_AWAIT_FUTURE(co, &f->f, f->chunk);                 /* chunk = yield from f */
        CORO_RETURN(co, f->chunk);                              /* return chunk (after: */
    } CORO_FINALLY(co, &f->fin) {
        if (f->registered)
            coro_io_remove_reader(f->sock);                     /* selector.unregister(fd)) */
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* ---- def read_all(sock): ------------------------------------------------- */

struct read_all {
    struct coro co;
    struct coro_io *sock;
    struct coro_timeout *deadline;  /* the fetch's timeout: each read gets it anew */
    char *response;                 /* the fetch's buffer */
    size_t size, len;
    struct read read;
    coro_value chunk;
    char past;                      /* a full buffer reads one byte more here */
};

/* chunk = yield from read(sock): prepares the frame of read() */
static struct coro *read_call(struct read_all *f)
{
    size_t room = f->size - f->len;
    f->read.sock = f->sock;
    f->read.buf = room ? f->response + f->len : &f->past;  /* full: is that all? */
    f->read.size = room == 0 ? 1 : room < READ_SIZE ? room : READ_SIZE;
    f->read.registered = 0;
    coro_init(&f->read.co, read_body);
    return &f->read.co;
}

static int read_all(struct coro *co)
{
    struct read_all *f = (struct read_all *)co;
    CORO_BEGIN(co);
    f->len = 0;                                             /* response = [] */
    CORO_AWAIT(co, read_call(f), f->chunk);                 /* chunk = yield from read(sock) */
    while (f->chunk.v.i > 0) {                              /* while chunk: */
        if (f->len == f->size)
            CORO_RAISE(co, -EMSGSIZE);                      /*     (more than the buffer holds) */
        f->len += (size_t)f->chunk.v.i;                     /*     response.append(chunk) */
        if (timeout != CORO_FOREVER)                        /*     (the next read: a new deadline) */
            coro_timeout_reschedule(f->deadline, coro_loop_time(&loop) + timeout);
        CORO_AWAIT(co, read_call(f), f->chunk);             /*     chunk = yield from read(sock) */
    }
    CORO_RETURN(co, coro_int((intptr_t)f->len));            /* return b''.join(response) */
    CORO_END(co);
}

/* ---- def fetch(address): a task ---------------------------------------- */

struct fetch {
    struct coro_task task;
    int port;
    struct sockaddr_in address;
    struct coro_io sock;
    struct connect connect;
    struct read_all read_all;
    coro_value poem;
    char response[FETCH_BUF];
    struct coro_try fin;     /* try: ... finally: of the body */
    struct coro_timeout deadline;   /* async with asyncio.timeout(TIMEOUT) */
};

static int fetch(struct coro *co)
{
    struct fetch *f = (struct fetch *)co;
    int fd;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        fd = socket(AF_INET, SOCK_STREAM, 0);                   /* sock = socket.socket(AF_INET, */
        if (fd < 0)                                             /*   SOCK_STREAM) */
            CORO_RAISE(co, -errno);
        coro_io_init(&f->sock, &loop, fd);
        CORO_TIMEOUT(co, &loop, &f->deadline, timeout) {        /* async with asyncio.timeout(TIMEOUT): */
            f->connect.sock = &f->sock;
            f->connect.address = &f->address;
            coro_init(&f->connect.co, connect_body);
            CORO_AWAIT(co, &f->connect.co, f->poem);            /* yield from connect(sock, address) */
            if (send(f->sock.fd, request, sizeof request - 1, 0) < 0) /* sock.send(b'GET / HTTP/1.0...') */
                CORO_RAISE(co, -errno);
            f->read_all.sock = &f->sock;
            f->read_all.deadline = &f->deadline;
            f->read_all.response = f->response;
            f->read_all.size = sizeof f->response;
            coro_init(&f->read_all.co, read_all);
            CORO_AWAIT(co, &f->read_all.co, f->poem);           /* poem = yield from read_all(sock) */
        } CORO_END_TIMEOUT(co, &f->deadline);
        fd = f->sock.fd;
        coro_io_close(&f->sock);                                /* sock.close() */
        close(fd);
        f->sock.fd = -1;
        printf("port %d: %ld bytes\n", f->port, (long)f->poem.v.i); /* print('port %d: %d bytes' % ...) */
        fflush(stdout);
    } CORO_FINALLY(co, &f->fin) {
        if (f->sock.fd >= 0) {                                  /* (failed: close, and say why) */
            fd = f->sock.fd;
            coro_io_close(&f->sock);
            close(fd);
        }
        if (coro_error(&f->fin)) {
            fprintf(stderr, "crawler: port %d: %s", f->port, coro_strerror(coro_error(&f->fin)));
            if (f->read_all.len)
                fprintf(stderr, " after %zu bytes", f->read_all.len);
            fprintf(stderr, "\n");
            failed = 1;
        }
        if (--pending == 0)                                     /* pending.remove(address) */
            coro_loop_stop(&loop);                              /* if not pending: stopped = True */
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static const char help[] =
    "usage: crawler [--timeout SECONDS] PORT [PORT ...]\n"
    "\n"
    "The tutorial's third crawler (\"A Web Crawler With asyncio Coroutines\"):\n"
    "generators, futures and `yield from` on coro's selector loop. Fetches from\n"
    "every PORT at once and prints `port P: N bytes` as each fetch finishes,\n"
    "then `total X.X s`; a failed fetch is reported with its port (exit 1).\n"
    "\n"
    "  PORT                a slow poetry server on 127.0.0.1 (demos/slowpoetry)\n"
    "  --timeout SECONDS   for the connect and each read (default 10; 0: none);\n"
    "                      first, if given\n"
    "  -h, --help          this help\n";

int main(int argc, char **argv)
{
    struct coro_timer_slot *timers;     /* a timeout each */
    struct fetch *fetches;
    coro_time start;
    int i = 1, rc;

    if (argc > 1 && strcmp(argv[1], "--timeout") == 0) {
        double t = cli_double("crawler", "--timeout", cli_value("crawler", argc, argv, &i), 0,
                              86400);
        timeout = t > 0 ? (coro_time)(t * (double)CORO_SEC) : CORO_FOREVER;
        argv[2] = argv[0];
        argv += 2;
        argc -= 2;
    }
    cli_ports("crawler", help, argc, argv);
    signal(SIGPIPE, SIG_IGN);
    fetches = (struct fetch *)calloc((size_t)(argc - 1), sizeof *fetches);
    timers = (struct coro_timer_slot *)calloc((size_t)argc, sizeof *timers);
    if (!fetches || !timers) {
        fprintf(stderr, "crawler: out of memory\n");
        free(fetches);
        free(timers);
        return 1;
    }
    coro_loop_init(&loop, timers, (uint32_t)argc);
    if ((rc = coro_io_loop_open(&iol, &loop, NULL, 1024)) != 0) {
        fprintf(stderr, "crawler: selector: %s\n", coro_strerror(rc));
        free(fetches);
        free(timers);
        return 1;
    }
    start = loop.clock->now(&loop);                         /* start = time.time() */
    for (i = 0; i < argc - 1; i++) {                        /* for port in sys.argv[1:]: */
        struct fetch *f = &fetches[i];
        f->port = atoi(argv[i + 1]);                        /*     address = ('127.0.0.1', port) */
        f->address.sin_family = AF_INET;
        f->address.sin_port = htons((unsigned short)f->port);
        f->address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        f->sock.fd = -1;
        pending++;                                          /*     pending.add(address) */
        coro_task_start(&f->task, &loop, fetch);            /*     Task(fetch(address)) */
    }
    rc = coro_loop_run_forever(&loop);                      /* loop() */
    if (rc) {
        fprintf(stderr, "crawler: loop: %s\n", coro_strerror(rc));
        failed = 1;
    }
    printf("total %.1f s\n",                                /* print('total %.1f s' % ...) */
           (double)(loop.clock->now(&loop) - start) / CORO_SEC);
    coro_io_loop_close(&iol, &loop);
    free(fetches);
    free(timers);
    return failed;
}
