/* SPDX-License-Identifier: MIT */
/*
 * stream.h -- asyncio's streams on the selector loop (io.h): a StreamReader
 * and a StreamWriter over caller-owned buffers, open_connection and
 * start_server, as awaits a task's coroutine writes top to bottom.
 *
 *   reader, writer = await asyncio.open_connection('127.0.0.1', port)
 *   writer.write(b'hello\n'); await writer.drain()
 *   line = await reader.readline()
 *   writer.close(); await writer.wait_closed()
 *
 * becomes (f: the task's frame; s: a struct coro_stream in it)
 *
 *   coro_stream_init(&f->s, &loop, f->rbuf, sizeof f->rbuf, f->wbuf, sizeof f->wbuf);
 *   coro_stream_addr(&f->addr, &f->alen, "127.0.0.1", port);
 *   CORO_STREAM_OPEN_CONNECTION(co, &f->s, &f->addr, f->alen);
 *   coro_stream_write(&f->s.writer, "hello\n", 6);
 *   CORO_STREAM_DRAIN(co, &f->s.writer);
 *   CORO_STREAM_READLINE(co, &f->s.reader, f->n);  // line: coro_stream_data(&f->s.reader)
 *   coro_stream_close(&f->s.writer);
 *   CORO_STREAM_WAIT_CLOSED(co, &f->s.writer);
 *
 * Reads return the bytes in the reader's own buffer, without a copy: n (a
 * size_t lvalue) bytes at coro_stream_data(reader), valid until the next
 * read on that reader. Errors at an await are raised into the innermost try
 * block (coro.h's "Try blocks"): the codes below, -errno (-ECONNRESET, ...),
 * CORO_ECANCELLED. Bad arguments are CORO_EINVAL and change nothing.
 * POSIX only, like io.h.
 */
#ifndef CORO_STREAM_H
#define CORO_STREAM_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>

#include "io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The streams' error codes (CORO_EINCOMPLETE, CORO_ELIMIT, CORO_EPOOLFULL,
 * CORO_ESHUTDOWN) are coro.h's, with the others. */

/* asyncio.StreamReader over buf[0, cap): the bytes read but not yet
 * returned are buf[start, end). Caller-owned, like its buffer. */
struct coro_stream_reader {
    struct coro_io *io;
    char *buf;
    size_t cap, limit;              /* readuntil's limit (asyncio's `limit`):
                                       a separator found past it overruns */
    size_t start, end;              /* buffered data */
    size_t taken;                   /* returned by the last read: consumed at the next */
    int eof;                        /* the peer sent its end of stream */
};

/* asyncio.StreamWriter (with its transport's buffer) over buf[0, cap): the
 * bytes written but not yet sent are buf[start, end). Caller-owned. */
struct coro_stream_writer {
    struct coro_io *io;
    char *buf;
    size_t cap, high, low;          /* water marks */
    size_t start, end;
    struct coro_handle flush;       /* add_writer's callback: sends what is buffered */
    int err;                        /* a send that failed: raised by drain */
    unsigned char paused;           /* above high: drain waits until at most low */
    unsigned char eof;              /* write_eof asked: shut down once flushed */
    unsigned char closing, closed;
};

/* A connection: its fd's io, a reader and a writer over it. The writer's
 * close closes the fd. Caller-owned. */
struct coro_stream {
    struct coro_io io;
    struct coro_stream_reader reader;
    struct coro_stream_writer writer;
};

/* Prepares a reader over io with buf[0, cap) as its buffer (cap >= 2);
 * readuntil's limit is cap - 1, so that a full buffer without a separator
 * is asyncio's LimitOverrunError (set r->limit lower if you like; a line
 * must fit the buffer whatever it says). 0, or CORO_EINVAL. */
int coro_stream_reader_init(struct coro_stream_reader *r, struct coro_io *io, char *buf,
                            size_t cap);

/* Prepares a writer over io with buf[0, cap) as its buffer; the water marks
 * are high = cap / 2 and low = high / 4. 0, or CORO_EINVAL. */
int coro_stream_writer_init(struct coro_stream_writer *w, struct coro_io *io, char *buf,
                            size_t cap);

/* transport.set_write_buffer_limits(high, low): 0, or CORO_EINVAL (low >
 * high, or high >= cap) and nothing changes. */
int coro_stream_set_water_marks(struct coro_stream_writer *w, size_t high, size_t low);

/* Prepares s on loop with its two buffers; no fd yet (open_connection or
 * coro_stream_open gives it one). 0, or CORO_EINVAL. */
int coro_stream_init(struct coro_stream *s, struct coro_loop *loop, char *rbuf, size_t rcap,
                     char *wbuf, size_t wcap);

/* Gives an initialised s the connected non-blocking socket fd (which s then
 * owns: the writer's close closes it), with empty buffers. 0, CORO_EINVAL
 * (fd < 0), CORO_EBUSY (s has an open fd). */
int coro_stream_open(struct coro_stream *s, int fd);

/* The bytes the last read returned (n of them). */
static inline const char *coro_stream_data(const struct coro_stream_reader *r)
{
    return r->buf + r->start;
}

/* reader.at_eof(): 1 if the peer has ended the stream and every byte was
 * returned, else 0. */
int coro_stream_at_eof(const struct coro_stream_reader *r);

/* For writers of new primitives on streams (applications use the
 * CORO_STREAM_* awaits, built on them): one attempt each, reading from the
 * fd when the buffer cannot answer: 0 and *n set; CORO__PENDING; an error
 * (see the macros). */
int coro_stream_try_read(struct coro_stream_reader *r, size_t max, size_t *n);
int coro_stream_try_readexactly(struct coro_stream_reader *r, size_t want, size_t *n);
int coro_stream_try_readuntil(struct coro_stream_reader *r, const char *sep, size_t seplen,
                              int line, size_t *n);

/* Private: the await of a stream op: try, wait for `event`, try again. */
#define CORO__STREAM_AWAIT(co, io, event, attempt) \
    do { \
        while (((co)->err = (attempt)) == CORO__PENDING) \
            CORO_IO_WAIT(co, io, event); \
        if ((co)->err) \
            CORO__UNWIND(co); \
    } while (0)

/* n = len(await reader.read(max)): up to max bytes (at least 1 if max > 0),
 * 0 at the end of the stream (or for max 0). Raises -errno, CORO_EINVAL. */
#define CORO_STREAM_READ(co, r, max, n) \
    CORO__STREAM_AWAIT(co, (r)->io, CORO_EVENT_READ, coro_stream_try_read((r), (max), &(n)))

/* await reader.readexactly(want): n = want bytes; if the stream ends first,
 * raises CORO_EINCOMPLETE with n = the partial count. want above the
 * buffer's size: CORO_EINVAL. */
#define CORO_STREAM_READEXACTLY(co, r, want, n) \
    CORO__STREAM_AWAIT(co, (r)->io, CORO_EVENT_READ, \
                       coro_stream_try_readexactly((r), (want), &(n)))

/* await reader.readuntil(sep): n = the bytes up to and including the
 * separator sep[0, seplen) (which must stay valid across the await).
 * Raises CORO_ELIMIT (no separator within r->limit; the data stays),
 * CORO_EINCOMPLETE (the stream ended first: n = the partial count). */
#define CORO_STREAM_READUNTIL(co, r, sep, seplen, n) \
    CORO__STREAM_AWAIT(co, (r)->io, CORO_EVENT_READ, \
                       coro_stream_try_readuntil((r), (sep), (seplen), 0, &(n)))

/* await reader.readline(): n = one line with its '\n'; at the end of the
 * stream the last bytes without one, then 0. A line longer than the limit
 * raises CORO_ELIMIT after dropping it (up to its '\n' if buffered, else
 * the whole buffer), as asyncio's readline does. */
#define CORO_STREAM_READLINE(co, r, n) \
    CORO__STREAM_AWAIT(co, (r)->io, CORO_EVENT_READ, \
                       coro_stream_try_readuntil((r), "\n", 1, 1, &(n)))

/* writer.write(data): copies len bytes into the buffer (sending at once
 * what the socket takes, as asyncio's transport does; the rest goes out in
 * the background). 0; CORO_EFULL if the buffer cannot take all len bytes
 * (nothing is written: drain first); CORO_ESHUTDOWN after close or write_eof;
 * the -errno of an earlier failed send; CORO_EINVAL. */
int coro_stream_write(struct coro_stream_writer *w, const void *data, size_t len);

/* writer.write(data) in a body: coro_stream_write, its error (CORO_EFULL,
 * CORO_ESHUTDOWN, -errno, CORO_EINVAL) raised here. Not a suspension point. */
#define CORO_STREAM_WRITE(co, w, data, len) \
    do { \
        if (((co)->err = coro_stream_write((w), (data), (len))) != 0) \
            CORO__UNWIND(co); \
    } while (0)

/* writer.write_eof(): shuts the write side down once the buffer is sent.
 * 0, CORO_ESHUTDOWN, -errno. */
int coro_stream_write_eof(struct coro_stream_writer *w);

/* writer.close(): no more writes; the fd is closed once the buffer is sent
 * (or at once if empty or broken). 0, or CORO_ESHUTDOWN if already closing. */
int coro_stream_close(struct coro_stream_writer *w);

/* writer.is_closing(): 1 once close was called. */
static inline int coro_stream_is_closing(const struct coro_stream_writer *w)
{
    return w->closing;
}

/* For writers of new primitives: drain's and wait_closed's attempts: 0,
 * CORO__PENDING, an error. */
int coro_stream_try_drain(struct coro_stream_writer *w);
int coro_stream_try_wait_closed(struct coro_stream_writer *w);
int coro__stream_closed_resumed(struct coro_stream_writer *w, int err);

/* await writer.drain(): if the buffer went above the high water mark,
 * waits until it is down to the low one (the task waits, not the loop).
 * Raises the -errno of a failed send (-EPIPE, -ECONNRESET), CORO_ESHUTDOWN. */
#define CORO_STREAM_DRAIN(co, w) \
    CORO__STREAM_AWAIT(co, (w)->io, CORO_EVENT_WRITE, coro_stream_try_drain(w))

/* await writer.wait_closed(): waits until close has sent the buffer and
 * closed the fd (a broken connection closes at once). Raises
 * CORO_ECANCELLED (the fd closes anyway) or CORO_ESTATE if close was not
 * called. */
#define CORO_STREAM_WAIT_CLOSED(co, w) \
    do { \
        while (((co)->err = coro_stream_try_wait_closed(w)) == CORO__PENDING) \
            CORO__WAIT(co, coro_io_wait((w)->io, CORO_EVENT_WRITE), \
                       coro__stream_closed_resumed((w), (co)->err)); \
        if ((co)->err) \
            CORO__UNWIND(co); \
    } while (0)

/* ---- addresses, connections, servers ------------------------------------ */

/* Fills *addr / *len from a numeric address: an IPv4 ("127.0.0.1") or IPv6
 * ("::1") host and a port, or, with port -1, a Unix socket path. 0, or
 * CORO_EINVAL (not numeric, port out of range, path too long). */
int coro_stream_addr(struct sockaddr_storage *addr, socklen_t *len, const char *host, int port);

/* For writers of new primitives: open_connection's steps. */
int coro_stream_connect_start(struct coro_stream *s, const struct sockaddr_storage *addr,
                              socklen_t len);
/* coro_stream_connect_start to host and port (as coro_stream_addr reads
 * them): CORO_EINVAL for a host that is not a numeric address. */
int coro_stream_connect_start_to(struct coro_stream *s, const char *host, int port);
int coro_stream_connect_wait(struct coro_stream *s);
int coro_stream_connect_resumed(struct coro_stream *s, int err);

/* reader, writer = await asyncio.open_connection(addr): connects an
 * initialised s (coro_stream_init, no fd) to addr (coro_stream_addr) with a
 * new non-blocking socket that s owns. Raises -ECONNREFUSED and the like,
 * CORO_EBUSY (s has an fd), CORO_EINVAL; on any error or a cancel the
 * socket is closed and s has no fd. */
#define CORO_STREAM_OPEN_CONNECTION(co, s, addr, len) \
    CORO__STREAM_CONNECT(co, s, coro_stream_connect_start((s), (addr), (len)))

/* reader, writer = await asyncio.open_connection(host, port): as
 * CORO_STREAM_OPEN_CONNECTION, to a numeric IPv4 or IPv6 host (or, with
 * port -1, the Unix socket at path host), as coro_stream_addr reads them:
 * CORO_EINVAL for anything else. */
#define CORO_STREAM_CONNECT(co, s, host, port) \
    CORO__STREAM_CONNECT(co, s, coro_stream_connect_start_to((s), (host), (port)))

/* Private: the shape of both: `start` connects or fails at once, else the
 * task waits until the socket is writable and reads the connect's result.
 * Expands to
 *     if ((co->err = start) == <pending>) <wait: connect_wait, connect_resumed>
 *     else if (co->err) <raise>; */
#define CORO__STREAM_CONNECT(co, s, start) \
    do { \
        if (((co)->err = (start)) == CORO__PENDING) \
            CORO__WAIT(co, coro_stream_connect_wait(s), \
                       coro_stream_connect_resumed((s), (co)->err)); \
        else if ((co)->err) \
            CORO__UNWIND(co); \
    } while (0)

struct coro_stream_server;

/* The head of a connection frame for start_server: your frame begins with
 * it (so that its task's body casts the coro to your frame), followed by
 * what the handler needs. The server opens `stream` on the client's fd
 * before the handler starts and closes it (if the handler did not) when the
 * handler's task is done. */
struct coro_stream_conn {
    struct coro_task task;              /* first */
    struct coro_stream stream;
    struct coro_stream_server *server;
    struct coro_handle done;            /* the task's done callback */
    int result;                         /* the handler's error (0 if none) */
    unsigned char busy;
};

/* asyncio.start_server(handler, addr): a listening socket and the task that
 * accepts on it. Each client gets a free frame of the caller's pool, whose
 * task runs `handler`; a client that finds every frame busy is refused
 * (closed at once; `refused` counts them, `last_error` says
 * CORO_EPOOLFULL). Caller-owned, like the pool. */
struct coro_stream_server {
    struct coro_task task;              /* the accept task: first */
    struct coro_io io;                  /* the listening socket */
    struct coro_stream_conn **pool;     /* the frames */
    size_t npool;
    coro_fn handler;
    /* optional: called when a connection's task is done (its `result` set,
     * its fd closed), just before its frame goes back to the pool */
    void (*on_done)(struct coro_stream_conn *c);
    long accepted, refused;
    int last_error;                     /* the last refusal or accept error */
    int fd;                             /* private: what the accept returned */
    struct coro_try fin;                /* private: the accept task's finally */
};

/* Prepares a connection frame: its stream over the two buffers. Call once
 * per frame, before start_server. 0, or CORO_EINVAL. */
int coro_stream_conn_init(struct coro_stream_conn *c, struct coro_loop *loop, char *rbuf,
                          size_t rcap, char *wbuf, size_t wcap);

/* server = await asyncio.start_server(handler, addr): binds a non-blocking
 * socket to addr (with SO_REUSEADDR for TCP), listens, and starts the accept
 * task. pool[0, npool): frames prepared with coro_stream_conn_init, idle.
 * Not an await (nothing here blocks). 0, CORO_EINVAL, -errno (nothing is
 * left open then). */
int coro_stream_start_server(struct coro_stream_server *srv, struct coro_loop *loop,
                             const struct sockaddr_storage *addr, socklen_t len,
                             struct coro_stream_conn **pool, size_t npool, coro_fn handler);

/* asyncio.start_server(handler, sock=sock): as coro_stream_start_server, on
 * `fd`, a socket you bound and listen on (with the options you want:
 * SO_REUSEPORT to share a port between loops on several threads,
 * demos/reuseport_server.c). It is made non-blocking and the server owns
 * it from now on (closed with the server). 0, CORO_EINVAL (fd untouched),
 * -errno. */
int coro_stream_start_server_sock(struct coro_stream_server *srv, struct coro_loop *loop, int fd,
                                  struct coro_stream_conn **pool, size_t npool, coro_fn handler);

/* The port the server listens on (for port 0: the one the OS picked), or -1
 * (not TCP). */
int coro_stream_server_port(const struct coro_stream_server *srv);

/* server.close(): stops accepting (the accept task is cancelled: once it
 * has run, the listening socket is closed). Live connections go on. 0, or
 * CORO_ESTATE if already closed. */
int coro_stream_server_close(struct coro_stream_server *srv);

/* The number of connection frames in use. */
size_t coro_stream_server_live(const struct coro_stream_server *srv);

#ifdef __cplusplus
}
#endif

#endif /* CORO_STREAM_H */
