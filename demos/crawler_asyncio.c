/* SPDX-License-Identifier: MIT */
/*
 * crawler_asyncio.c -- the tutorial's crawler at asyncio's level
 * (tests/reference/crawler_asyncio.py): the loop's socket helpers
 * (sock_connect, sock_sendall, sock_recv) and tasks. No future, no callback
 * and no selector in user code: compare crawler_scratch.c, which builds them.
 *
 *   crawler_asyncio PORT [PORT ...]             (slow poetry servers on 127.0.0.1)
 *   crawler_asyncio --timeline=svg FILE PORT... also draws which task ran when
 *
 * Prints `port P: N bytes` as each fetch finishes, then `total X.X s`. A
 * fetch that fails is reported on stderr with its port; the exit status is 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "io.h"
#include "wait.h"
#include "timeline.h"

#define FETCH_BUF 65536

static struct coro_loop loop;
static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
static int failed;

/* async def fetch(port): */
struct fetch {
    struct coro_task task;
    int port;
    char name[16];                  /* "port P": its lane in the timeline */
    struct sockaddr_in address;
    struct coro_io sock;
    size_t sent, len;
    ssize_t chunk;
    char response[FETCH_BUF];
    struct coro_try fin;     /* try: ... finally: of the body */
};

static int fetch(struct coro *co)
{
    struct fetch *f = (struct fetch *)co;
    int fd;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        timeline_run(f->name, coro_loop_time(&loop));
        fd = socket(AF_INET, SOCK_STREAM, 0);                   /* sock = socket.socket(...) */
        if (fd < 0 || (co->err = coro_sock_nonblocking(fd)) != 0) /* sock.setblocking(False) */
            CORO_RAISE(co, fd < 0 ? -errno : co->err);
        coro_io_init(&f->sock, &loop, fd);
        CORO_SOCK_CONNECT(co, &f->sock, (struct sockaddr *)&f->address, /* await loop.sock_connect( */
                          sizeof f->address);                   /*     sock, ('127.0.0.1', port)) */
        timeline_run(f->name, coro_loop_time(&loop));
        CORO_SOCK_SENDALL(co, &f->sock, request, sizeof request - 1, f->sent); /* await loop.sock_sendall(sock, b'GET...') */
        f->len = 0;                                             /* response = [] */
        do {
            CORO_SOCK_RECV(co, &f->sock, f->response + f->len,  /* chunk = await loop.sock_recv(sock, 1024) */
                           sizeof f->response - f->len < 1024 ? sizeof f->response - f->len : 1024,
                           f->chunk);
            timeline_run(f->name, coro_loop_time(&loop));
            f->len += (size_t)f->chunk;                         /* response.append(chunk) */
        } while (f->chunk > 0 && f->len < sizeof f->response);  /* while chunk: */
        close(coro_io_close(&f->sock));                         /* sock.close() */
        printf("port %d: %zu bytes\n", f->port, f->len);        /* print('port %d: %d bytes' % ...) */
        fflush(stdout);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin)) {                                 /* (failed: say why, and close) */
            fprintf(stderr, "crawler_asyncio: port %d: %s\n", f->port,
                    coro_error(&f->fin) > -4000 ? strerror(-coro_error(&f->fin))
                                             : coro_strerror(coro_error(&f->fin)));
            failed = 1;
            if (f->sock.loop && f->sock.fd >= 0)
                close(coro_io_close(&f->sock));
        }
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* async def main(): */
struct main_task {
    struct coro_task task;
    struct fetch *fetches;
    int n;
    struct coro_future **children;      /* one per fetch */
    struct coro_watch *watch;
    struct coro_wait wait;
    coro_time start;
    coro_value r;
};

static int main_body(struct coro *co)
{
    struct main_task *f = (struct main_task *)co;
    int i;
    CORO_BEGIN(co);
    f->start = coro_loop_time(&loop);                       /* start = time.time() */
    for (i = 0; i < f->n; i++) {                            /* [asyncio.ensure_future( */
        coro_task_start(&f->fetches[i].task, &loop, fetch); /*     fetch(int(port))) for port in ...] */
        f->children[i] = &f->fetches[i].task.fut;
    }
    if ((co->err = coro_wait(&f->wait, &loop, f->children, f->watch, (uint32_t)f->n,
                             CORO_ALL_COMPLETED, CORO_FOREVER)) != 0)
        CORO_RAISE(co, co->err);
    CORO_AWAIT_FUTURE(co, &f->wait.fut, f->r);              /* await asyncio.wait([...]) */
    printf("total %.1f s\n",                                /* print('total %.1f s' % ...) */
           (double)(loop.clock->now(&loop) - f->start) / CORO_SEC);
    CORO_END(co);
}

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[4];
    static struct coro_io_loop iol;
    static struct main_task m;
    const char *svg = NULL;
    int i, rc;

    if (argc > 2 && strcmp(argv[1], "--timeline=svg") == 0)
        svg = argv[2], argv += 2, argc -= 2;
    if (argc < 2) {
        fprintf(stderr, "usage: crawler_asyncio [--timeline=svg FILE] PORT [PORT ...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    m.n = argc - 1;
    m.fetches = (struct fetch *)calloc((size_t)m.n, sizeof *m.fetches);
    m.children = (struct coro_future **)calloc((size_t)m.n, sizeof *m.children);
    m.watch = (struct coro_watch *)calloc((size_t)m.n, sizeof *m.watch);
    if (!m.fetches || !m.children || !m.watch)
        return 1;
    for (i = 0; i < m.n; i++) {                             /* ('127.0.0.1', port) */
        struct fetch *f = &m.fetches[i];
        f->port = atoi(argv[i + 1]);
        if (f->port < 1 || f->port > 65535) {
            fprintf(stderr, "crawler_asyncio: bad port: %s\n", argv[i + 1]);
            return 2;
        }
        snprintf(f->name, sizeof f->name, "port %d", f->port);
        f->address.sin_family = AF_INET;
        f->address.sin_port = htons((unsigned short)f->port);
        f->address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    coro_loop_init(&loop, timers, 4);
    if ((rc = coro_io_loop_open(&iol, &loop, NULL, 1024)) != 0) {
        fprintf(stderr, "crawler_asyncio: selector: %s\n", coro_strerror(rc));
        return 1;
    }
    timeline_start(loop.clock->now(&loop));
    coro_task_start(&m.task, &loop, main_body);             /* asyncio.run(main()) */
    rc = coro_loop_run_until_complete(&loop, &m.task.fut, NULL);
    coro_io_loop_close(&iol, &loop);
    failed |= timeline_output(0, svg, "crawler_asyncio: which task ran when");
    free(m.fetches);
    free(m.children);
    free(m.watch);
    return rc != 0 || failed;
}
