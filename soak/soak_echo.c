/* SPDX-License-Identifier: MIT */
/*
 * soak_echo.c -- a hundred thousand loopback echo connections opened, used
 * for one round trip and closed, 100 at a time, server and clients as tasks
 * on one selector loop.
 *
 *   soak_echo [CONNECTIONS]    (default 100,000)
 *
 * The server (asyncio's echo server with a frame): an accept task, and per
 * connection a task from a fixed pool of frames that reads one message (a
 * length byte L, then L bytes), sends it back and closes. The clients: 100
 * tasks, each opening connections one after the other until CONNECTIONS
 * have been made: connect, send a message of 1 + (id % 256) bytes, a stream
 * seeded by the connection's number, read it back, check every byte, read
 * the end of stream, close.
 *
 * TIME_WAIT: the server closes first, so the TIME_WAIT sockets are the
 * server's (127.0.0.1:PORT -> the client's port); the client closes after
 * the end of stream and leaves none. The client's ephemeral ports (28,232 by
 * default on Linux) are therefore all free again at once, and a new SYN to a
 * pair the server still holds in TIME_WAIT is accepted (RFC 6191: newer
 * timestamp or sequence number). No sysctl is needed, nor SO_LINGER.
 *
 * Checked exactly: every connection echoed its own bytes and then ended;
 * no accept, connect, send or recv failed; the server's frames all came back
 * to the pool. RSS and open fds are printed after a warm-up of 1,000
 * connections and at the end; they must not grow. After the loop is closed
 * the fds must be back to what they were before it was opened.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "soak.h"
#include "io.h"
#include "sync.h"

#define NAME "soak echo"
#define CLIENTS 100                 /* connections open at once, at most */
#define POOL (2 * CLIENTS)          /* server frames (a closing one may
                                       linger for an iteration) */
#define MAXMSG 256                  /* length byte + up to 255 bytes */
#define ROUND_LIMIT (120 * CORO_SEC)    /* a round that takes longer fails */

/* User error codes raised by the tasks (positive). */
enum { E_SHORT = 1, E_MISMATCH = 2, E_EXTRA = 3 };

static struct coro_loop loop;
static struct coro_io_loop iol;
static struct coro_timer_slot timers[8];
static struct sockaddr_in srv_addr;

/* ---- the server ---------------------------------------------------------- */

/* One connection: read one message, send it back, close. */
struct sconn {
    struct coro_task task;
    struct coro_io io;
    struct coro_handle done;
    struct sconn *next_free;
    ssize_t n;
    size_t got, sent;
    unsigned char buf[MAXMSG];
    struct coro_try fin;     /* try: ... finally: of the body */
};

static struct sconn pool[POOL];
static struct sconn *free_frames;
static long live_sconns, served, server_errors;
static int first_server_error;
static struct coro_event frame_freed;

static int sconn_body(struct coro *co)
{
    struct sconn *f = (struct sconn *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        f->got = 0;
        do {
            CORO_SOCK_RECV(co, &f->io, f->buf + f->got, sizeof f->buf - f->got, f->n);
            if (f->n == 0)
                CORO_RAISE(co, E_SHORT);
            f->got += (size_t)f->n;
        } while (f->got < 1u + f->buf[0]);
        if (f->got != 1u + f->buf[0])
            CORO_RAISE(co, E_EXTRA);
        CORO_SOCK_SENDALL(co, &f->io, f->buf, f->got, f->sent);
    } CORO_FINALLY(co, &f->fin) {
        close(coro_io_close(&f->io));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* The connection's done callback: counts it, gives the frame back. */
static void sconn_done(struct coro_handle *h)
{
    struct sconn *f = CORO__CONTAINER_OF(h, struct sconn, done);
    int err = coro_future_result(&f->task.fut, NULL);
    if (err) {
        if (!server_errors++)
            first_server_error = err;
    } else {
        served++;
    }
    f->next_free = free_frames;
    free_frames = f;
    live_sconns--;
    coro_event_set(&frame_freed);
}

/* async def serve(srv): accepts while a frame is free. */
struct server {
    struct coro_task task;
    struct coro_io io;
    int fd;
};

static struct server srv;
static struct coro_handle srv_done;
static int srv_stopped;

/* The accept task's done callback: it only ends when cancelled at the end,
 * or on an error (then the round stops at once). */
static void server_done(struct coro_handle *h)
{
    (void)h;
    srv_stopped = 1;
    coro_loop_stop(&loop);
}

static int server_body(struct coro *co)
{
    struct server *s = (struct server *)co;
    struct sconn *f;
    CORO_BEGIN(co);
    for (;;) {
        if (!free_frames) {
            coro_event_clear(&frame_freed);
            CORO_EVENT_WAIT(co, &frame_freed);
            continue;
        }
        CORO_SOCK_ACCEPT(co, &s->io, s->fd);
        f = free_frames;
        free_frames = f->next_free;
        live_sconns++;
        coro_io_init(&f->io, &loop, s->fd);
        coro_task_start(&f->task, &loop, sconn_body);
        coro_handle_init(&f->done, sconn_done);
        coro_future_add_done_callback(&f->task.fut, &f->done);
    }
    CORO_END(co);
}

/* ---- the clients ---------------------------------------------------------- */

struct client {
    struct coro_task task;
    struct coro_io io;
    struct coro_handle done;
    int fd;
    long id;
    ssize_t n;
    size_t len, sent, got;
    unsigned char out[MAXMSG], in[MAXMSG + 1];
    struct coro_try fin;     /* try: ... finally: of the body */
};

static struct client clients[CLIENTS];
static long next_id, end_id, clients_left, echoed, client_errors;
static int first_client_error;
static long long bytes;

/* Connection id's message: a length byte, then a stream seeded by id. */
static size_t message(long id, unsigned char *out)
{
    uint32_t x = (uint32_t)id * 2654435761u + 1u;
    size_t len = (size_t)(id % MAXMSG), i;
    out[0] = (unsigned char)len;
    for (i = 1; i <= len; i++) {
        x = x * 1103515245u + 12345u;
        out[i] = (unsigned char)(x >> 16);
    }
    return len + 1;
}

static int client_body(struct coro *co)
{
    struct client *c = (struct client *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &c->fin) {
        while (next_id < end_id) {
            c->id = next_id++;
            c->fd = socket(AF_INET, SOCK_STREAM, 0);
            if (c->fd < 0)
                CORO_RAISE(co, -errno);
            if ((co->err = coro_sock_nonblocking(c->fd)) != 0)
                CORO_RAISE(co, co->err);
            coro_io_init(&c->io, &loop, c->fd);
            CORO_SOCK_CONNECT(co, &c->io, (const struct sockaddr *)&srv_addr, sizeof srv_addr);
            c->len = message(c->id, c->out);
            CORO_SOCK_SENDALL(co, &c->io, c->out, c->len, c->sent);
            for (c->got = 0; c->got < c->len; c->got += (size_t)c->n) {
                CORO_SOCK_RECV(co, &c->io, c->in + c->got, sizeof c->in - c->got, c->n);
                if (c->n == 0)
                    CORO_RAISE(co, E_SHORT);
            }
            if (c->got != c->len)
                CORO_RAISE(co, E_EXTRA);
            if (memcmp(c->in, c->out, c->len) != 0)
                CORO_RAISE(co, E_MISMATCH);
            CORO_SOCK_RECV(co, &c->io, c->in, sizeof c->in, c->n);     /* the end */
            if (c->n != 0)
                CORO_RAISE(co, E_EXTRA);
            close(coro_io_close(&c->io));
            c->fd = -1;
            echoed++;
            bytes += (long long)c->len;
        }
    } CORO_FINALLY(co, &c->fin) {
        if (c->fd >= 0) {
            close(coro_io_close(&c->io));
            c->fd = -1;
        }
    } CORO_END_TRY(co, &c->fin);
    CORO_END(co);
}

static void client_done(struct coro_handle *h)
{
    struct client *c = CORO__CONTAINER_OF(h, struct client, done);
    int err = coro_future_result(&c->task.fut, NULL);
    if (err && !client_errors++)
        first_client_error = err;
    if (--clients_left == 0)
        coro_loop_stop(&loop);
}

/* ---- rounds ----------------------------------------------------------------- */

static int timed_out;

static void on_round_timeout(struct coro_handle *h)
{
    (void)h;
    timed_out = 1;
    coro_loop_stop(&loop);
}

static const char *errstr(int err)
{
    return err < 0 && err > -4000 ? strerror(-err)
         : err == E_SHORT ? "the connection ended early"
         : err == E_MISMATCH ? "the echo differs"
         : err == E_EXTRA ? "more bytes than were sent"
         : coro_strerror(err);
}

/* n connections from CLIENTS tasks at once; then every server frame is back. */
static void round_of(long n)
{
    struct coro_handle guard;
    int i;
    next_id = end_id;
    end_id += n;
    clients_left = CLIENTS;
    for (i = 0; i < CLIENTS; i++) {
        struct client *c = &clients[i];
        c->fd = -1;
        coro_task_start(&c->task, &loop, client_body);
        coro_handle_init(&c->done, client_done);
        coro_future_add_done_callback(&c->task.fut, &c->done);
    }
    coro_handle_init(&guard, on_round_timeout);
    coro_loop_call_later(&loop, &guard, ROUND_LIMIT);
    SOAK_CHECK(NAME, coro_loop_run_forever(&loop) == 0);
    while (live_sconns > 0 && !timed_out && !srv_stopped)
        SOAK_CHECK(NAME, coro_loop_run_once(&loop) == 1);
    coro_loop_cancel(&loop, &guard);
    if (srv_stopped) {
        int err = coro_future_result(&srv.task.fut, NULL);
        fprintf(stderr, "%s: the accept task ended: %s\n", NAME, errstr(err));
        exit(1);
    }
    if (timed_out || client_errors || server_errors) {
        fprintf(stderr, "%s: %s; %ld client tasks failed (first: %s), %ld server connections "
                "failed (first: %s)\n", NAME, timed_out ? "timed out" : "failed", client_errors,
                first_client_error ? errstr(first_client_error) : "-", server_errors,
                first_server_error ? errstr(first_server_error) : "-");
        exit(1);
    }
    SOAK_CHECK(NAME, clients_left == 0 && live_sconns == 0);
}

/* 127.0.0.1, a port the OS picks: the listening fd, non-blocking. */
static int listen_any(void)
{
    socklen_t len = sizeof srv_addr;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    SOAK_CHECK(NAME, fd >= 0);
    memset(&srv_addr, 0, sizeof srv_addr);
    srv_addr.sin_family = AF_INET;
    srv_addr.sin_port = 0;
    srv_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SOAK_CHECK(NAME, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    SOAK_CHECK(NAME, bind(fd, (struct sockaddr *)&srv_addr, sizeof srv_addr) == 0);
    SOAK_CHECK(NAME, listen(fd, SOMAXCONN) == 0);
    SOAK_CHECK(NAME, getsockname(fd, (struct sockaddr *)&srv_addr, &len) == 0);
    SOAK_CHECK(NAME, coro_sock_nonblocking(fd) == 0);
    return fd;
}

int main(int argc, char **argv)
{
    struct soak_mark before, warm, start, end, after;
    long n = argc > 1 ? atol(argv[1]) : 100000L, served0;
    int i, lfd, rc;

    if (n <= 0) {
        fprintf(stderr, "usage: soak_echo [CONNECTIONS]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    soak_mark(&before);
    coro_loop_init(&loop, timers, 8);
    rc = coro_io_loop_open(&iol, &loop, NULL, 4096);
    if (rc) {
        fprintf(stderr, "%s: coro_io_loop_open: %s\n", NAME, errstr(rc));
        return 1;
    }
    lfd = listen_any();
    coro_event_init(&frame_freed, &loop);
    for (i = 0; i < POOL; i++) {
        pool[i].next_free = free_frames;
        free_frames = &pool[i];
    }
    coro_io_init(&srv.io, &loop, lfd);
    coro_task_start(&srv.task, &loop, server_body);
    coro_handle_init(&srv_done, server_done);
    coro_future_add_done_callback(&srv.task.fut, &srv_done);

    soak_mark(&warm);
    round_of(1000);
    soak_mark(&start);
    soak_line(NAME, "warm-up", &warm, &start, echoed, "connections");
    soak_mark(&start);
    echoed = 0;
    bytes = 0;
    served0 = served;

    round_of(n);
    soak_mark(&end);
    printf("%s: %ld connections echoed (%lld bytes each way), %ld served; port %d\n", NAME,
           echoed, bytes, served - served0, ntohs(srv_addr.sin_port));
    SOAK_CHECK(NAME, echoed == n && served - served0 == n);
    soak_line(NAME, "run", &start, &end, echoed, "connections");

    /* shutdown: the accept task is cancelled, the listener and loop closed */
    SOAK_CHECK(NAME, coro_task_cancel(&srv.task) == 0);
    while (!srv_stopped)
        SOAK_CHECK(NAME, coro_loop_run_once(&loop) == 1);
    SOAK_CHECK(NAME, coro_future_result(&srv.task.fut, NULL) == CORO_ECANCELLED);
    close(coro_io_close(&srv.io));
    coro_io_loop_close(&iol, &loop);
    soak_mark(&after);
    printf("%s: closed: fds %ld (before the loop was opened: %ld)\n", NAME, after.fds,
           before.fds);
    SOAK_CHECK(NAME, after.fds == before.fds);
    return soak_verdict(NAME, &start, &end);
}
