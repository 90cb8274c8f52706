/* SPDX-License-Identifier: MIT */
/*
 * stream.c -- asyncio's streams over the selector loop: readers and writers
 * over caller-owned buffers, open_connection, start_server. See stream.h.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "stream.h"

/* ---- reader ------------------------------------------------------------- */

int coro_stream_reader_init(struct coro_stream_reader *r, struct coro_io *io, char *buf,
                            size_t cap)
{
    if (!r || !io || !buf || cap < 2)
        return CORO_EINVAL;
    r->io = io;
    r->buf = buf;
    r->cap = cap;
    r->limit = cap - 1;     /* a full buffer without a separator overruns it */
    r->start = r->end = r->taken = 0;
    r->eof = 0;
    return 0;
}

/* Drops what the last read returned. */
static void consume(struct coro_stream_reader *r)
{
    r->start += r->taken;
    r->taken = 0;
    if (r->start == r->end)
        r->start = r->end = 0;
}

/* Returns n buffered bytes (at coro_stream_data) from the next call on. */
static int give(struct coro_stream_reader *r, size_t n, size_t *out, int rc)
{
    r->taken = n;
    *out = n;
    return rc;
}

/* One recv into the free end of the buffer (moving the data to the front
 * first if the end is full): 0 (data or the end of the stream came),
 * CORO__PENDING, -errno, or CORO_ELIMIT if the buffer is full. */
static int fill(struct coro_stream_reader *r)
{
    ssize_t n;
    if (r->end == r->cap && r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == r->cap)
        return CORO_ELIMIT;
    n = coro_sock_try_recv(r->io, r->buf + r->end, r->cap - r->end);
    if (n == CORO__PENDING || n < 0)
        return (int)n;
    if (n == 0)
        r->eof = 1;
    r->end += (size_t)n;
    return 0;
}

int coro_stream_at_eof(const struct coro_stream_reader *r)
{
    return r && r->eof && r->start + r->taken == r->end;
}

int coro_stream_try_read(struct coro_stream_reader *r, size_t max, size_t *n)
{
    int rc;
    if (!r || !n)
        return CORO_EINVAL;
    consume(r);
    for (;;) {
        size_t avail = r->end - r->start;
        if (avail || r->eof || !max)
            return give(r, avail < max ? avail : max, n, 0);
        if ((rc = fill(r)) != 0)
            return rc;
    }
}

int coro_stream_try_readexactly(struct coro_stream_reader *r, size_t want, size_t *n)
{
    int rc;
    if (!r || !n || want > r->cap)
        return CORO_EINVAL;
    consume(r);
    for (;;) {
        size_t avail = r->end - r->start;
        if (avail >= want)
            return give(r, want, n, 0);
        if (r->eof)
            return give(r, avail, n, CORO_EINCOMPLETE);
        if ((rc = fill(r)) != 0)
            return rc;
    }
}

/* Where sep starts in buf[0, len), or len if it is not there. */
static size_t find(const char *buf, size_t len, const char *sep, size_t seplen)
{
    size_t i;
    for (i = 0; i + seplen <= len; i++)
        if (buf[i] == sep[0] && memcmp(buf + i, sep, seplen) == 0)
            return i;
    return len;
}

int coro_stream_try_readuntil(struct coro_stream_reader *r, const char *sep, size_t seplen,
                              int line, size_t *n)
{
    int rc;
    if (!r || !n || !sep || !seplen || seplen > r->cap)
        return CORO_EINVAL;
    consume(r);
    for (;;) {
        size_t avail = r->end - r->start;
        size_t isep = find(r->buf + r->start, avail, sep, seplen);
        if (isep < avail) {                             /* found */
            if (isep <= r->limit)
                return give(r, isep + seplen, n, 0);
            break;
        }
        if (avail + 1 > r->limit + seplen)              /* no separator in the limit */
            break;
        if (r->eof)
            return give(r, avail, n, line ? 0 : CORO_EINCOMPLETE);
        rc = fill(r);
        if (rc == CORO_ELIMIT)                          /* full, no separator */
            break;
        if (rc)
            return rc;
    }
    if (line) {     /* asyncio's readline drops the line, or all it has of it */
        size_t avail = r->end - r->start;
        size_t isep = find(r->buf + r->start, avail, sep, seplen);
        r->start = isep < avail ? r->start + isep + seplen : r->end;
        consume(r);
    }
    *n = 0;
    return CORO_ELIMIT;
}

/* ---- writer ------------------------------------------------------------- */

static void flush_ready(struct coro_handle *h);

int coro_stream_writer_init(struct coro_stream_writer *w, struct coro_io *io, char *buf,
                            size_t cap)
{
    if (!w || !io || !buf || cap < 2)
        return CORO_EINVAL;
    w->io = io;
    w->buf = buf;
    w->cap = cap;
    w->high = cap / 2;
    w->low = w->high / 4;
    w->start = w->end = 0;
    w->err = 0;
    w->paused = w->eof = w->closing = w->closed = 0;
    coro_handle_init(&w->flush, flush_ready);
    return 0;
}

int coro_stream_set_water_marks(struct coro_stream_writer *w, size_t high, size_t low)
{
    if (!w || low > high || high >= w->cap)
        return CORO_EINVAL;
    w->high = high;
    w->low = low;
    return 0;
}

/* Closes the fd (once): the end of close, or of a broken connection. */
static void finish_close(struct coro_stream_writer *w)
{
    if (w->closed)
        return;
    w->closed = 1;
    w->start = w->end = 0;
    if (w->io->fd >= 0)
        close(coro_io_close(w->io));
}

/* Sends what the socket takes; a failure is kept in w->err (and the
 * buffer dropped, as a transport drops it when the connection is lost). */
static void send_some(struct coro_stream_writer *w)
{
    while (!w->err && w->start < w->end) {
        ssize_t n = coro_sock_try_send(w->io, w->buf + w->start, w->end - w->start);
        if (n == CORO__PENDING)
            break;
        if (n < 0)
            w->err = (int)n;
        else
            w->start += (size_t)n;
    }
    if (w->err || w->start == w->end)
        w->start = w->end = 0;
}

/* After a send: with the buffer empty, nothing to watch, and what write_eof
 * or close waited for happens; else the flush callback watches the fd. */
static void settle(struct coro_stream_writer *w)
{
    int watching = w->io->on_write == &w->flush;
    if (w->end > w->start && !w->err) {
        if (!watching)
            coro_io_add_writer(w->io, &w->flush);       /* if it fails, drain sends */
        return;
    }
    if (watching)
        coro_io_remove_writer(w->io);
    if (w->eof == 1 && !w->err && w->io->fd >= 0) {
        w->eof = 2;                                     /* shut down */
        if (shutdown(w->io->fd, SHUT_WR) < 0)
            w->err = -errno;
    }
    if (w->closing)
        finish_close(w);
}

/* The transport's write-ready callback: sends more of the buffer. */
static void flush_ready(struct coro_handle *h)
{
    struct coro_stream_writer *w = CORO_CONTAINER_OF(h, struct coro_stream_writer, flush);
    send_some(w);
    settle(w);
}

int coro_stream_write(struct coro_stream_writer *w, const void *data, size_t len)
{
    const char *p = (const char *)data;
    if (!w || (!data && len))
        return CORO_EINVAL;
    if (w->closing || w->eof)
        return CORO_ESHUTDOWN;
    if (w->err)
        return w->err;
    if (len > w->cap - (w->end - w->start))
        return CORO_EFULL;
    if (!len)
        return 0;
    if (w->start == w->end) {               /* nothing queued: try to send now */
        while (len) {
            ssize_t n = coro_sock_try_send(w->io, p, len);
            if (n == CORO__PENDING)
                break;
            if (n < 0)
                return w->err = (int)n;
            p += n;
            len -= (size_t)n;
        }
        w->start = w->end = 0;
    } else if (len > w->cap - w->end) {
        memmove(w->buf, w->buf + w->start, w->end - w->start);
        w->end -= w->start;
        w->start = 0;
    }
    memcpy(w->buf + w->end, p, len);
    w->end += len;
    if (w->end - w->start > w->high)
        w->paused = 1;
    settle(w);
    return 0;
}

int coro_stream_write_eof(struct coro_stream_writer *w)
{
    if (!w)
        return CORO_EINVAL;
    if (w->closing || w->eof)
        return CORO_ESHUTDOWN;
    w->eof = 1;
    settle(w);
    return w->err;
}

int coro_stream_close(struct coro_stream_writer *w)
{
    if (!w)
        return CORO_EINVAL;
    if (w->closing)
        return CORO_ESHUTDOWN;
    w->closing = 1;
    settle(w);
    return 0;
}

int coro_stream_try_drain(struct coro_stream_writer *w)
{
    if (!w)
        return CORO_EINVAL;
    if (w->closed)
        return CORO_ESHUTDOWN;
    send_some(w);
    if (w->err)
        return w->err;
    settle(w);
    if (w->paused && w->end - w->start > w->low)
        return CORO__PENDING;
    w->paused = 0;
    return 0;
}

int coro_stream_try_wait_closed(struct coro_stream_writer *w)
{
    if (!w)
        return CORO_EINVAL;
    if (!w->closing)
        return CORO_ESTATE;
    if (!w->closed) {
        send_some(w);
        settle(w);              /* closes once empty or broken */
    }
    return w->closed ? 0 : CORO__PENDING;
}

int coro__stream_closed_resumed(struct coro_stream_writer *w, int err)
{
    int rc = coro_io_resumed(w->io, CORO_EVENT_WRITE, err);
    if (w->closed && err != CORO_ECANCELLED)
        return 0;               /* the flush callback closed it meanwhile */
    if (err)
        finish_close(w);        /* cancelled: close anyway */
    return rc;
}

/* ---- connections -------------------------------------------------------- */

/* Empty buffers, no error: s starts over on a new fd. */
static void stream_reset(struct coro_stream *s)
{
    coro_stream_reader_init(&s->reader, &s->io, s->reader.buf, s->reader.cap);
    coro_stream_writer_init(&s->writer, &s->io, s->writer.buf, s->writer.cap);
}

int coro_stream_init(struct coro_stream *s, struct coro_loop *loop, char *rbuf, size_t rcap,
                     char *wbuf, size_t wcap)
{
    struct coro_stream_reader r;
    struct coro_stream_writer w;
    if (!s || !loop || coro_stream_reader_init(&r, &s->io, rbuf, rcap) ||
        coro_stream_writer_init(&w, &s->io, wbuf, wcap))
        return CORO_EINVAL;
    coro_io_init(&s->io, loop, -1);
    s->reader = r;
    s->writer = w;
    return 0;
}

int coro_stream_open(struct coro_stream *s, int fd)
{
    if (!s || fd < 0)
        return CORO_EINVAL;
    if (s->io.fd >= 0)
        return CORO_EBUSY;
    coro_io_init(&s->io, s->io.loop, fd);
    stream_reset(s);
    return 0;
}

int coro_stream_addr(struct sockaddr_storage *addr, socklen_t *len, const char *host, int port)
{
    struct sockaddr_storage a;          /* *addr changes only on success */
    socklen_t n;
    if (!addr || !len || !host || port < -1 || port > 65535)
        return CORO_EINVAL;
    memset(&a, 0, sizeof a);
    if (port == -1) {
        struct sockaddr_un *un = (struct sockaddr_un *)&a;
        size_t plen = strlen(host);
        if (plen == 0 || plen >= sizeof un->sun_path)
            return CORO_EINVAL;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, host, plen + 1);
        n = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
    } else if (strchr(host, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a;
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
            return CORO_EINVAL;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((unsigned short)port);
        n = sizeof *in6;
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&a;
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
            return CORO_EINVAL;
        in->sin_family = AF_INET;
        in->sin_port = htons((unsigned short)port);
        n = sizeof *in;
    }
    *addr = a;
    *len = n;
    return 0;
}

/* A non-blocking stream socket for addr's family: the fd, or -errno. */
static int stream_socket(const struct sockaddr_storage *addr)
{
    int fd = socket(addr->ss_family, SOCK_STREAM, 0), rc;
    if (fd < 0)
        return -errno;
    if ((rc = coro_sock_nonblocking(fd)) < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* Closes s's fd after a failed or cancelled connect; returns err. */
static int drop(struct coro_stream *s, int err)
{
    close(coro_io_close(&s->io));
    return err;
}

int coro_stream_connect_start(struct coro_stream *s, const struct sockaddr_storage *addr,
                              socklen_t len)
{
    int fd, rc;
    if (!s || !addr || len == 0 || len > sizeof *addr)
        return CORO_EINVAL;
    if (s->io.fd >= 0)
        return CORO_EBUSY;
    if ((fd = stream_socket(addr)) < 0)
        return fd;
    coro_stream_open(s, fd);
    rc = coro_sock_try_connect(&s->io, (const struct sockaddr *)addr, len);
    return rc && rc != CORO__PENDING ? drop(s, rc) : rc;
}

int coro_stream_connect_start_to(struct coro_stream *s, const char *host, int port)
{
    struct sockaddr_storage a;
    socklen_t n;
    int rc = coro_stream_addr(&a, &n, host, port);
    return rc ? rc : coro_stream_connect_start(s, &a, n);
}

int coro_stream_connect_wait(struct coro_stream *s)
{
    int rc = coro_io_wait(&s->io, CORO_EVENT_WRITE);
    return rc ? drop(s, rc) : 0;
}

int coro_stream_connect_resumed(struct coro_stream *s, int err)
{
    int rc = coro_io_resumed(&s->io, CORO_EVENT_WRITE, err);
    if (!rc)
        rc = coro_sock_connect_result(&s->io);
    return rc ? drop(s, rc) : 0;
}

/* ---- servers ------------------------------------------------------------ */

int coro_stream_conn_init(struct coro_stream_conn *c, struct coro_loop *loop, char *rbuf,
                          size_t rcap, char *wbuf, size_t wcap)
{
    int rc;
    if (!c)
        return CORO_EINVAL;
    if ((rc = coro_stream_init(&c->stream, loop, rbuf, rcap, wbuf, wcap)) != 0)
        return rc;
    c->server = NULL;
    c->result = 0;
    c->busy = 0;
    return 0;
}

/* A connection's task is done: its fd closes, its frame is free again. */
static void conn_done(struct coro_handle *h)
{
    struct coro_stream_conn *c = CORO_CONTAINER_OF(h, struct coro_stream_conn, done);
    c->result = coro_future_result(&c->task.fut, NULL);
    if (c->stream.io.fd >= 0)
        close(coro_io_close(&c->stream.io));
    if (c->server->on_done)
        c->server->on_done(c);
    c->busy = 0;
}

/* loop.create_task(handler(reader, writer)) in a free frame, or a refusal. */
static void start_conn(struct coro_stream_server *srv, int fd)
{
    size_t i;
    struct coro_stream_conn *c = NULL;
    for (i = 0; i < srv->npool && !c; i++)
        if (!srv->pool[i]->busy)
            c = srv->pool[i];
    if (!c) {
        close(fd);
        srv->refused++;
        srv->last_error = CORO_EPOOLFULL;
        return;
    }
    c->busy = 1;
    c->server = srv;
    c->result = 0;
    coro_stream_open(&c->stream, fd);
    coro_task_start(&c->task, srv->io.loop, srv->handler);
    coro_handle_init(&c->done, conn_done);
    coro_future_add_done_callback(&c->task.fut, &c->done);
    srv->accepted++;
}

static int out_of_resources(int err)
{
    return err == -EMFILE || err == -ENFILE || err == -ENOBUFS || err == -ENOMEM;
}

/* The accept task: a frame per client until cancelled (server.close()). */
static int accept_body(struct coro *co)
{
    struct coro_stream_server *srv = (struct coro_stream_server *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &srv->fin) {
        for (;;) {
            srv->fd = coro_sock_try_accept(&srv->io);
            if (srv->fd == CORO__PENDING) {
                CORO_IO_WAIT(co, &srv->io, CORO_EVENT_READ);
            } else if (srv->fd >= 0) {
                start_conn(srv, srv->fd);
            } else if (out_of_resources(srv->fd)) {
                srv->last_error = srv->fd;              /* wait for fds to free up */
                CORO_SLEEP(co, srv->io.loop, 100 * CORO_MSEC);
            } else {
                CORO_RAISE(co, srv->fd);
            }
        }
    } CORO_FINALLY(co, &srv->fin) {
        close(coro_io_close(&srv->io));
    } CORO_END_TRY(co, &srv->fin);
    CORO_END(co);
}

/* Every frame of the pool is there, idle and on `loop`: 0 or CORO_EINVAL. */
static int pool_ok(struct coro_loop *loop, struct coro_stream_conn **pool, size_t npool)
{
    size_t i;
    for (i = 0; i < npool; i++)
        if (!pool[i] || pool[i]->busy || pool[i]->stream.io.loop != loop)
            return CORO_EINVAL;
    return 0;
}

int coro_stream_start_server(struct coro_stream_server *srv, struct coro_loop *loop,
                             const struct sockaddr_storage *addr, socklen_t len,
                             struct coro_stream_conn **pool, size_t npool, coro_fn handler)
{
    int fd, rc, one = 1;
    if (!srv || !loop || !addr || !len || len > sizeof *addr || !pool || !npool || !handler)
        return CORO_EINVAL;
    if ((rc = pool_ok(loop, pool, npool)) != 0)
        return rc;
    if ((fd = stream_socket(addr)) < 0)
        return fd;
    if ((addr->ss_family != AF_UNIX &&
         setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
        bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, SOMAXCONN) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return coro_stream_start_server_sock(srv, loop, fd, pool, npool, handler);
}

int coro_stream_start_server_sock(struct coro_stream_server *srv, struct coro_loop *loop, int fd,
                                  struct coro_stream_conn **pool, size_t npool, coro_fn handler)
{
    int rc;
    if (!srv || !loop || fd < 0 || !pool || !npool || !handler)
        return CORO_EINVAL;
    if ((rc = pool_ok(loop, pool, npool)) != 0 || (rc = coro_sock_nonblocking(fd)) != 0)
        return rc;
    coro_io_init(&srv->io, loop, fd);
    srv->pool = pool;
    srv->npool = npool;
    srv->handler = handler;
    srv->on_done = NULL;
    srv->accepted = srv->refused = 0;
    srv->last_error = 0;
    srv->fd = -1;
    coro_task_start(&srv->task, loop, accept_body);
    return 0;
}

int coro_stream_server_port(const struct coro_stream_server *srv)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    if (!srv || srv->io.fd < 0 || getsockname(srv->io.fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    if (a.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&a)->sin_port);
    if (a.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
    return -1;
}

int coro_stream_server_close(struct coro_stream_server *srv)
{
    return srv ? coro_task_cancel(&srv->task) : CORO_EINVAL;
}

size_t coro_stream_server_live(const struct coro_stream_server *srv)
{
    size_t i, n = 0;
    for (i = 0; srv && i < srv->npool; i++)
        n += srv->pool[i]->busy;
    return n;
}
