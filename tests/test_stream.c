/* SPDX-License-Identifier: MIT */
/*
 * test_stream.c -- the Check suite of stream.h / stream.c: readers and
 * writers over caller-owned buffers, open_connection and start_server, over
 * real 127.0.0.1 TCP sockets (and ::1 and a Unix socket where there are).
 *
 * The expected values are asyncio's (CPython 3.11): the reads below were run
 * against asyncio.StreamReader with the same bytes and limits (the Python is
 * quoted above each test), never taken from stream.c. Every run is bounded:
 * a SIGALRM guard (GUARD_S) kills a test whose loop would never end, waits
 * spin a bounded number of loop iterations, and Check's timeout is 10 s.
 *
 * Built with -DCORO_FAULTS against the library's faults flavour
 * (mk/streams.mk), like tests/test_faults.c: with no rule set the system
 * calls are the plain ones; the "fault seam" tests at the end set rules
 * (EINTR, one-byte transfers, ECONNRESET).
 */
#define _GNU_SOURCE 1
#include <check.h>
#include "check_main.h"
#include "backends.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "stream.h"
#include "coro_sys.h"

#define GUARD_S 8
#define SPINS 10000                     /* loop iterations a wait may take */

static struct coro_timer_slot timers[16];
static struct coro_loop loop;
static struct coro_io_loop iol;
static const char *backend;             /* of the test case running */

static void setup_on(int k)
{
    backend = coro_sel_backends()[k];
    signal(SIGPIPE, SIG_IGN);
    alarm(GUARD_S);
    coro_loop_init(&loop, timers, 16);
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, backend, 1024), 0);
    ck_assert_str_eq(coro_sel_name(&iol.sel), backend);
}

/* One test case per backend (Check's setups take no argument). */
static void setup_0(void) { setup_on(0); }
static void setup_1(void) { setup_on(1); }
static void setup_2(void) { setup_on(2); }
static void setup_3(void) { setup_on(3); }
static void setup_4(void) { setup_on(4); }
static void (*const setups[])(void) = { setup_0, setup_1, setup_2, setup_3, setup_4 };

static void teardown(void)
{
    coro__faults_reset();
    coro_io_loop_close(&iol, &loop);
    alarm(0);
}

/* A connected 127.0.0.1 TCP pair: *a non-blocking (the stream's side), *b
 * blocking (the test's raw peer). */
static void tcp_pair(int *a, int *b)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(l, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(l, 4), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
    *b = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(*b, (struct sockaddr *)&sa, sizeof sa), 0);
    *a = accept(l, NULL, NULL);
    ck_assert_int_ge(*a, 0);
    ck_assert_int_eq(coro_sock_nonblocking(*a), 0);
    close(l);
}

/* The peer resets the connection (RST, not FIN). */
static void reset(int fd)
{
    struct linger lg = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

/* ------------------------------------------------------------------------ */
/* A reader task that logs what each read returns                           */
/* ------------------------------------------------------------------------ */

/* The read each step does: readline, readuntil(sep), readexactly(arg),
 * read(arg). */
enum { OP_LINE, OP_UNTIL, OP_EXACTLY, OP_READ };

struct rd {
    struct coro_task task;              /* first */
    struct coro_stream s;
    int op;
    size_t arg;
    const char *sep;
    int i;
    size_t n;
    struct coro_try t;
    char log[1024];                     /* "data|" per read, "<ERR:partial>|" */
    char rbuf[64], wbuf[64];
};

static void logs(struct rd *f, const char *p, size_t n)
{
    size_t len = strlen(f->log);
    ck_assert_uint_lt(len + n, sizeof f->log);
    memcpy(f->log + len, p, n);
    f->log[len + n] = 0;
}

static const char *errname(int e)
{
    switch (e) {
    case CORO_EINCOMPLETE: return "EINCOMPLETE";
    case CORO_ELIMIT:      return "ELIMIT";
    case -ECONNRESET:      return "ECONNRESET";
    default:               return coro_strerror(e);
    }
}

static int rd_body(struct coro *co)
{
    struct rd *f = (struct rd *)co;
    struct coro_stream_reader *r = &f->s.reader;
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 32; f->i++) {
        CORO_TRY(co, &f->t) {
            if (f->op == OP_LINE)
                CORO_STREAM_READLINE(co, r, f->n);
            else if (f->op == OP_UNTIL)
                CORO_STREAM_READUNTIL(co, r, f->sep, strlen(f->sep), f->n);
            else if (f->op == OP_EXACTLY)
                CORO_STREAM_READEXACTLY(co, r, f->arg, f->n);
            else
                CORO_STREAM_READ(co, r, f->arg, f->n);
            if (f->n)
                logs(f, coro_stream_data(r), f->n);
            else
                logs(f, "0", 1);
            logs(f, "|", 1);
        } CORO_EXCEPT_ANY(co, &f->t) {
            logs(f, "<", 1);
            logs(f, errname(coro_error(&f->t)), strlen(errname(coro_error(&f->t))));
            if (coro_error(&f->t) == CORO_EINCOMPLETE) {
                logs(f, ":", 1);
                logs(f, coro_stream_data(r), f->n);
            }
            logs(f, ">|", 2);
            /* readline goes on after a limit (it dropped the line) */
            f->n = f->op == OP_LINE && coro_error(&f->t) == CORO_ELIMIT;
        } CORO_END_TRY(co, &f->t);
        if (!f->n)
            break;
    }
    CORO_END(co);
}

static void rd_start(struct rd *f, int fd, int op, size_t arg, const char *sep)
{
    memset(f, 0, sizeof *f);
    ck_assert_int_eq(coro_stream_init(&f->s, &loop, f->rbuf, sizeof f->rbuf, f->wbuf,
                                      sizeof f->wbuf), 0);
    ck_assert_int_eq(coro_stream_open(&f->s, fd), 0);
    f->op = op;
    f->arg = arg;
    f->sep = sep;
    ck_assert_int_eq(coro_task_start(&f->task, &loop, rd_body), 0);
}

/* A feeder task: sends data[0, len) in pieces, cut at cuts[] (ascending,
 * ncuts of them), waiting after each until the reader has taken every byte
 * from the socket (or is done); then ends the stream: FIN, or RST. */
struct feed {
    struct coro_task task;
    int fd, rfd, rst;
    const char *data;
    size_t len;
    const size_t *cuts;
    size_t ncuts, k, at;
    int spins;
    struct rd *rd;
};

static int queued(int fd)
{
    int q = 0;
    ck_assert_int_eq(ioctl(fd, FIONREAD, &q), 0);
    return q;
}

static int feed_body(struct coro *co)
{
    struct feed *f = (struct feed *)co;
    CORO_BEGIN(co);
    for (f->k = 0; f->k <= f->ncuts; f->k++) {
        {
            size_t end = f->k < f->ncuts ? f->cuts[f->k] : f->len;
            ck_assert_int_eq(send(f->fd, f->data + f->at, end - f->at, 0), (int)(end - f->at));
            f->at = end;
        }
        for (f->spins = 0; f->spins < SPINS && queued(f->rfd) > 0 &&
                           !coro_future_done(&f->rd->task.fut); f->spins++)
            CORO_SLEEP(co, &loop, 0);
        ck_assert_int_lt(f->spins, SPINS);
    }
    if (f->rst)
        reset(f->fd);
    else
        shutdown(f->fd, SHUT_WR);
    CORO_END(co);
}

/* Runs a reader (op) against data cut at cuts[]; returns its log. */
static const char *run_cut(int op, size_t arg, const char *sep, const char *data,
                           const size_t *cuts, size_t ncuts, int rst)
{
    static struct rd r;
    static struct feed fd;
    int a, b;
    tcp_pair(&a, &b);
    rd_start(&r, a, op, arg, sep);
    memset(&fd, 0, sizeof fd);
    fd.fd = b;
    fd.rfd = a;
    fd.rst = rst;
    fd.data = data;
    fd.len = strlen(data);
    fd.cuts = cuts;
    fd.ncuts = ncuts;
    fd.rd = &r;
    ck_assert_int_eq(coro_task_start(&fd.task, &loop, feed_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &r.task.fut, NULL), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &fd.task.fut, NULL), 0);
    close(coro_io_close(&r.s.io));
    if (!rst)
        close(b);
    return r.log;
}

/* The reader's log for data in one piece, in every two pieces, and a byte
 * at a time: each must be `want`. */
static void every_split(int op, size_t arg, const char *sep, const char *data, const char *want)
{
    size_t cuts[64], k, len = strlen(data);
    ck_assert_str_eq(run_cut(op, arg, sep, data, NULL, 0, 0), want);
    for (k = 1; k < len; k++) {
        const char *got;
        cuts[0] = k;
        got = run_cut(op, arg, sep, data, cuts, 1, 0);
        ck_assert_msg(strcmp(got, want) == 0, "cut at %zu: got %s, want %s", k, got, want);
    }
    ck_assert_uint_lt(len, 64);
    for (k = 1; k < len; k++)
        cuts[k - 1] = k;
    ck_assert_str_eq(run_cut(op, arg, sep, data, cuts, len - 1, 0), want);
}

/* r = StreamReader(); r.feed_data(b'hello\n\nworld\r\ntail'); r.feed_eof()
 * readline() until b'': b'hello\n' b'\n' b'world\r\n' b'tail' b'' */
START_TEST(test_readline_every_split)
{
    every_split(OP_LINE, 0, NULL, "hello\n\nworld\r\ntail", "hello\n|\n|world\r\n|tail|0|");
}
END_TEST

/* readuntil(b'\r\n') over b'ab\r\ncd\r\r\nef', then EOF: b'ab\r\n',
 * b'cd\r\r\n', IncompleteReadError(partial=b'ef') */
START_TEST(test_readuntil_every_split)
{
    every_split(OP_UNTIL, 0, "\r\n", "ab\r\ncd\r\r\nef", "ab\r\n|cd\r\r\n|<EINCOMPLETE:ef>|");
}
END_TEST

/* readexactly(3) over b'abcdefgh', then EOF: b'abc', b'def',
 * IncompleteReadError(partial=b'gh', expected=3) */
START_TEST(test_readexactly_every_split)
{
    every_split(OP_EXACTLY, 3, NULL, "abcdefgh", "abc|def|<EINCOMPLETE:gh>|");
}
END_TEST

/* read(5) returns what has come, at most 5 bytes: the pieces decide, so
 * only the concatenation is fixed; at EOF b''. */
START_TEST(test_read_up_to_n)
{
    size_t cuts[1] = { 2 };
    ck_assert_str_eq(run_cut(OP_READ, 5, NULL, "abcdefgh", NULL, 0, 0), "abcde|fgh|0|");
    ck_assert_str_eq(run_cut(OP_READ, 5, NULL, "abcdefgh", cuts, 1, 0), "ab|cdefg|h|0|");
}
END_TEST

/* A peer that closes (FIN) in the middle of a line: readline gives the
 * partial line, then b''; readuntil raises IncompleteReadError. A peer
 * that resets in the middle: ConnectionResetError at the read. */
START_TEST(test_peer_closes_or_resets_mid_line)
{
    size_t cuts[1] = { 6 };
    ck_assert_str_eq(run_cut(OP_LINE, 0, NULL, "whole\nhalf a li", cuts, 1, 0),
                     "whole\n|half a li|0|");
    ck_assert_str_eq(run_cut(OP_UNTIL, 0, "\n", "whole\nhalf a li", cuts, 1, 0),
                     "whole\n|<EINCOMPLETE:half a li>|");
    ck_assert_str_eq(run_cut(OP_LINE, 0, NULL, "whole\nhalf a li", cuts, 1, 1),
                     "whole\n|<ECONNRESET>|");
}
END_TEST

/* r = StreamReader(limit=8); r.feed_data(b'0123456789AB\nshort\nabcdefghijklmnop');
 * r.feed_eof(); readline() x4: ValueError (len(r._buffer) 22 after),
 * b'short\n', ValueError (buffer 0), b''.
 * Another: readuntil(b'\n') over b'0123456789AB\nshort\n': LimitOverrunError
 * (consumed 12), the buffer keeps all 19 bytes: read(100) returns them. And
 * b'01234567\n' (separator at the limit) is a line; b'012345678\n' is not. */
START_TEST(test_limits)
{
    static struct rd r;
    int a, b;
    const char *in = "0123456789AB\nshort\nabcdefghijklmnop";
    tcp_pair(&a, &b);
    rd_start(&r, a, OP_LINE, 0, NULL);
    r.s.reader.limit = 8;
    ck_assert_int_eq(send(b, in, strlen(in), 0), (int)strlen(in));
    shutdown(b, SHUT_WR);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &r.task.fut, NULL), 0);
    ck_assert_str_eq(r.log, "<ELIMIT>|short\n|<ELIMIT>|0|");
    close(coro_io_close(&r.s.io));
    close(b);

    /* readuntil: the data stays */
    tcp_pair(&a, &b);
    rd_start(&r, a, OP_UNTIL, 0, "\n");
    r.s.reader.limit = 8;
    ck_assert_int_eq(send(b, "0123456789AB\nshort\n", 19, 0), 19);
    shutdown(b, SHUT_WR);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &r.task.fut, NULL), 0);
    ck_assert_str_eq(r.log, "<ELIMIT>|");
    ck_assert_uint_eq(r.s.reader.end - r.s.reader.start, 19);
    r.op = OP_READ;
    r.arg = 100;
    ck_assert_int_eq(coro_task_start(&r.task, &loop, rd_body), 0);
    r.log[0] = 0;
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &r.task.fut, NULL), 0);
    ck_assert_str_eq(r.log, "0123456789AB\nshort\n|0|");
    close(coro_io_close(&r.s.io));
    close(b);

    /* the separator at the limit, and one past it */
    tcp_pair(&a, &b);
    rd_start(&r, a, OP_LINE, 0, NULL);
    r.s.reader.limit = 8;
    ck_assert_int_eq(send(b, "01234567\n012345678\n", 19, 0), 19);
    shutdown(b, SHUT_WR);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &r.task.fut, NULL), 0);
    ck_assert_str_eq(r.log, "01234567\n|<ELIMIT>|0|");
    close(coro_io_close(&r.s.io));
    close(b);
}
END_TEST

/* A line longer than the whole buffer (64 bytes; the limit is 63): the
 * buffer fills with no separator, so readline drops the 64 bytes it holds
 * and the rest of the line comes as the next one, as asyncio does when the
 * line comes in such pieces: r = StreamReader(limit=63);
 * r.feed_data(b'x' * 64); readline() -> ValueError (buffer 0);
 * r.feed_data(b'x' * 36 + b'\nok\n'); r.feed_eof(); readline() x3 ->
 * b'x' * 36 + b'\n', b'ok\n', b''. */
START_TEST(test_line_longer_than_buffer)
{
    static char in[200], want[200];
    memset(in, 'x', 100);
    strcpy(in + 100, "\nok\n");
    strcpy(want, "<ELIMIT>|");
    memset(want + 9, 'x', 36);
    strcpy(want + 45, "\n|ok\n|0|");
    ck_assert_str_eq(run_cut(OP_LINE, 0, NULL, in, NULL, 0, 0), want);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Writers                                                                  */
/* ------------------------------------------------------------------------ */

/* A writer task: writes `total` bytes in chunks (byte i is 'a' + i % 26),
 * draining after each; then write_eof, close, wait_closed. */
#define CHUNK 4096
struct wr {
    struct coro_task task;
    struct coro_stream s;
    size_t total, at, n, drains;
    char chunk[CHUNK];
    char rbuf[64];
    char wbuf[4 * CHUNK];
};

static int wr_body(struct coro *co)
{
    struct wr *f = (struct wr *)co;
    size_t i;
    CORO_BEGIN(co);
    for (f->at = 0; f->at < f->total; f->at += f->n) {
        f->n = f->total - f->at < CHUNK ? f->total - f->at : CHUNK;
        for (i = 0; i < f->n; i++)
            f->chunk[i] = (char)('a' + (f->at + i) % 26);
        CORO_STREAM_WRITE(co, &f->s.writer, f->chunk, f->n);
        CORO_STREAM_DRAIN(co, &f->s.writer);
        f->drains++;
    }
    ck_assert_int_eq(coro_stream_write_eof(&f->s.writer), 0);
    ck_assert_int_eq(coro_stream_close(&f->s.writer), 0);
    CORO_STREAM_WAIT_CLOSED(co, &f->s.writer);
    CORO_END(co);
}

/* Starts w's task on the connected fd a. */
static void wr_start(struct wr *w, int a, size_t total)
{
    memset(w, 0, sizeof *w);
    ck_assert_int_eq(coro_stream_init(&w->s, &loop, w->rbuf, sizeof w->rbuf, w->wbuf,
                                      sizeof w->wbuf), 0);
    ck_assert_int_eq(coro_stream_open(&w->s, a), 0);
    w->total = total;
    ck_assert_int_eq(coro_task_start(&w->task, &loop, wr_body), 0);
}

/* An echo pair: a task that sends a byte and reads it back, rounds times
 * (the other end is echoed by a second task on the same loop). */
struct ping {
    struct coro_task task;
    struct coro_io io;
    int rounds, i;
    char c;
    ssize_t n;
    size_t sent;
};

static int ping_body(struct coro *co)
{
    struct ping *f = (struct ping *)co;
    CORO_BEGIN(co);
    for (f->i = 0; f->i < f->rounds; f->i++) {
        f->c = (char)('0' + f->i % 10);
        CORO_SOCK_SENDALL(co, &f->io, &f->c, 1, f->sent);
        CORO_SOCK_RECV(co, &f->io, &f->c, 1, f->n);
        ck_assert_int_eq(f->n, 1);
        ck_assert_int_eq(f->c, '0' + f->i % 10);
    }
    CORO_END(co);
}

/* A small kernel send buffer, so that a peer that does not read is felt
 * soon (not the receive buffer: a tiny window stalls on TCP's persist timer). */
static void small_buffers(int sender)
{
    int sz = 16384;
    ck_assert_int_eq(setsockopt(sender, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz), 0);
}

/* Wakes the loop every millisecond while *until is not done: the test's
 * own reads happen between iterations, which must not wait for long. */
struct ticker {
    struct coro_task task;
    struct coro_future *until;
};

static int ticker_body(struct coro *co)
{
    struct ticker *f = (struct ticker *)co;
    CORO_BEGIN(co);
    while (!coro_future_done(f->until))
        CORO_SLEEP(co, &loop, CORO_MSEC);
    CORO_END(co);
}

static int echo_body(struct coro *co)
{
    struct ping *f = (struct ping *)co;
    CORO_BEGIN(co);
    for (;;) {
        CORO_SOCK_RECV(co, &f->io, &f->c, 1, f->n);
        if (f->n == 0)
            break;
        CORO_SOCK_SENDALL(co, &f->io, &f->c, 1, f->sent);
    }
    CORO_END(co);
}

/* A peer that never reads: the writer's drain blocks (its task waits, the
 * buffer above the high water mark), while the loop serves 200 round trips
 * on another connection; then the peer reads everything, in order, and the
 * writer finishes (write_eof: the peer sees the end; wait_closed). */
START_TEST(test_drain_blocks_the_writer_not_the_loop)
{
    static struct wr w;
    static struct ping p, e;
    static struct ticker tk;
    static char got[1 << 20];
    size_t total = sizeof got, have = 0, i;
    int a, b, c, d;
    ssize_t n;
    tcp_pair(&a, &b);
    small_buffers(a);
    tcp_pair(&c, &d);
    ck_assert_int_eq(coro_sock_nonblocking(d), 0);
    wr_start(&w, a, total);
    coro_io_init(&p.io, &loop, c);
    p.rounds = 200;
    coro_io_init(&e.io, &loop, d);
    coro_task_start(&p.task, &loop, ping_body);
    coro_task_start(&e.task, &loop, echo_body);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &p.task.fut, NULL), 0);
    /* the writer is blocked in drain, its buffer above the low mark */
    ck_assert(!coro_future_done(&w.task.fut));
    ck_assert_int_eq(w.s.writer.paused, 1);
    ck_assert_uint_gt(w.s.writer.end - w.s.writer.start, w.s.writer.low);
    ck_assert_uint_lt(w.at, total);
    /* now the peer reads, a bit per iteration */
    ck_assert_int_eq(coro_sock_nonblocking(b), 0);
    tk.until = &w.task.fut;
    coro_task_start(&tk.task, &loop, ticker_body);
    for (i = 0; i < 200000 && !coro_future_done(&w.task.fut); i++) {
        while ((n = recv(b, got + have, sizeof got - have, 0)) > 0)
            have += (size_t)n;
        coro_loop_run_once(&loop);
    }
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &tk.task.fut, NULL), 0);
    ck_assert_int_eq(coro_future_result(&w.task.fut, NULL), 0);
    ck_assert(w.s.writer.closed);
    ck_assert_int_eq(w.s.io.fd, -1);
    for (i = 0; i < 100000 && (n = recv(b, got + have, sizeof got - have, 0)) != 0; i++)
        if (n > 0)
            have += (size_t)n;
    ck_assert_uint_eq(have, total);                 /* and then EOF */
    for (i = 0; i < total; i++)
        if (got[i] != (char)('a' + i % 26))
            ck_abort_msg("byte %zu: %d", i, got[i]);
    ck_assert_uint_ge(w.drains, total / CHUNK);
    close(b);
    close(coro_io_close(&p.io));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &e.task.fut, NULL), 0);
    close(coro_io_close(&e.io));
}
END_TEST

/* A peer that resets: the send error comes out of drain (or write). */
START_TEST(test_drain_raises_a_reset)
{
    static struct wr w;
    int a, b;
    tcp_pair(&a, &b);
    small_buffers(a);
    wr_start(&w, a, 1 << 24);
    coro_loop_run_once(&loop);
    reset(b);
    {
        int rc = coro_loop_run_until_complete(&loop, &w.task.fut, NULL);
        ck_assert_msg(rc == -ECONNRESET || rc == -EPIPE, "%s", coro_strerror(rc));
    }
    ck_assert_uint_lt(w.at, w.total);
    close(coro_io_close(&w.s.io));
}
END_TEST

/* ------------------------------------------------------------------------ */
/* open_connection and start_server                                         */
/* ------------------------------------------------------------------------ */

/* The server's handler: echoes lines, upper-cased first letter, until EOF. */
struct conn {
    struct coro_stream_conn c;
    size_t n;
    char line[64];
    char rbuf[64], wbuf[256];
};

static int conn_body(struct coro *co)
{
    struct conn *f = (struct conn *)co;
    struct coro_stream *s = &f->c.stream;
    CORO_BEGIN(co);
    for (;;) {
        CORO_STREAM_READLINE(co, &s->reader, f->n);
        if (!f->n)
            break;
        memcpy(f->line, coro_stream_data(&s->reader), f->n);
        f->line[0] = (char)(f->line[0] - 'a' + 'A');
        CORO_STREAM_WRITE(co, &s->writer, f->line, f->n);
        CORO_STREAM_DRAIN(co, &s->writer);
    }
    coro_stream_close(&s->writer);
    CORO_STREAM_WAIT_CLOSED(co, &s->writer);
    CORO_END(co);
}

/* A client: open_connection, a line, its answer, close. */
struct cli {
    struct coro_task task;
    struct coro_stream s;
    struct sockaddr_storage addr;
    socklen_t alen;
    const char *host;                   /* set: CORO_STREAM_CONNECT(host, port) */
    int port;
    size_t n;
    int hold;                           /* stay connected until told */
    char got[64];
    char rbuf[64], wbuf[64];
};

static int cli_body(struct coro *co)
{
    struct cli *f = (struct cli *)co;
    CORO_BEGIN(co);
    if (f->host)
        CORO_STREAM_CONNECT(co, &f->s, f->host, f->port);
    else
        CORO_STREAM_OPEN_CONNECTION(co, &f->s, &f->addr, f->alen);
    CORO_STREAM_WRITE(co, &f->s.writer, "hello\n", 6);
    CORO_STREAM_DRAIN(co, &f->s.writer);
    CORO_STREAM_READLINE(co, &f->s.reader, f->n);
    memcpy(f->got, coro_stream_data(&f->s.reader), f->n);
    while (f->hold)
        CORO_SLEEP(co, &loop, CORO_MSEC);
    CORO_STREAM_WRITE(co, &f->s.writer, "bye\n", 4);
    ck_assert_int_eq(coro_stream_write_eof(&f->s.writer), 0);
    CORO_STREAM_READLINE(co, &f->s.reader, f->n);
    memcpy(f->got + 6, coro_stream_data(&f->s.reader), f->n);
    CORO_STREAM_READLINE(co, &f->s.reader, f->n);
    ck_assert_uint_eq(f->n, 0);
    ck_assert(coro_stream_at_eof(&f->s.reader));
    coro_stream_close(&f->s.writer);
    CORO_STREAM_WAIT_CLOSED(co, &f->s.writer);
    CORO_END(co);
}

#define NPOOL 2
static struct conn conns[NPOOL];
static struct coro_stream_conn *pool[NPOOL];
static struct coro_stream_server srv;
static long done_count;

static void on_done(struct coro_stream_conn *c)
{
    ck_assert_int_eq(c->result, 0);
    done_count++;
}

static void start_srv(const char *host, int port)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int i;
    for (i = 0; i < NPOOL; i++) {
        ck_assert_int_eq(coro_stream_conn_init(&conns[i].c, &loop, conns[i].rbuf,
                                               sizeof conns[i].rbuf, conns[i].wbuf,
                                               sizeof conns[i].wbuf), 0);
        pool[i] = &conns[i].c;
    }
    ck_assert_int_eq(coro_stream_addr(&addr, &len, host, port), 0);
    ck_assert_int_eq(coro_stream_start_server(&srv, &loop, &addr, len, pool, NPOOL, conn_body), 0);
    srv.on_done = on_done;
    done_count = 0;
}

static void cli_start(struct cli *c, const char *host, int port)
{
    memset(c, 0, sizeof *c);
    ck_assert_int_eq(coro_stream_init(&c->s, &loop, c->rbuf, sizeof c->rbuf, c->wbuf,
                                      sizeof c->wbuf), 0);
    ck_assert_int_eq(coro_stream_addr(&c->addr, &c->alen, host, port), 0);
    ck_assert_int_eq(coro_task_start(&c->task, &loop, cli_body), 0);
}

static void stop_srv(void)
{
    int i;
    ck_assert_int_eq(coro_stream_server_close(&srv), 0);
    for (i = 0; i < SPINS && !coro_future_done(&srv.task.fut); i++)
        coro_loop_run_once(&loop);
    ck_assert_int_eq(coro_future_result(&srv.task.fut, NULL), CORO_ECANCELLED);
    ck_assert_int_eq(srv.io.fd, -1);
    ck_assert_int_eq(coro_stream_server_close(&srv), CORO_ESTATE);
}

/* Two clients over IPv4 against a server with two frames; a third while both
 * are held is refused (CORO_EPOOLFULL); the frames are reused afterwards. */
START_TEST(test_server_and_clients_ipv4)
{
    static struct cli c[3];
    int port, i;
    start_srv("127.0.0.1", 0);
    port = coro_stream_server_port(&srv);
    ck_assert_int_gt(port, 0);
    for (i = 0; i < 2; i++) {
        cli_start(&c[i], "127.0.0.1", port);
        c[i].hold = 1;
    }
    for (i = 0; i < SPINS && (!c[0].got[0] || !c[1].got[0]); i++)
        coro_loop_run_once(&loop);
    ck_assert_str_eq(c[0].got, "Hello\n");
    ck_assert_uint_eq(coro_stream_server_live(&srv), 2);
    /* the third finds the pool full: the server closes it at once */
    cli_start(&c[2], "127.0.0.1", port);
    {
        int rc = coro_loop_run_until_complete(&loop, &c[2].task.fut, NULL);
        ck_assert_msg(rc == CORO_EINCOMPLETE || rc == -ECONNRESET || rc == -EPIPE ||
                      rc == CORO_ELIMIT || rc == 0, "%s", coro_strerror(rc));
        ck_assert_str_eq(c[2].got, "");
    }
    ck_assert_int_eq(srv.refused, 1);
    ck_assert_int_eq(srv.last_error, CORO_EPOOLFULL);
    c[0].hold = c[1].hold = 0;
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(coro_loop_run_until_complete(&loop, &c[i].task.fut, NULL), 0);
        ck_assert_str_eq(c[i].got, "Hello\nBye\n");
    }
    for (i = 0; i < SPINS && done_count < 2; i++)
        coro_loop_run_once(&loop);
    ck_assert_int_eq(done_count, 2);
    ck_assert_uint_eq(coro_stream_server_live(&srv), 0);
    /* a frame is free again */
    cli_start(&c[0], "127.0.0.1", port);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &c[0].task.fut, NULL), 0);
    ck_assert_str_eq(c[0].got, "Hello\nBye\n");
    ck_assert_int_eq(srv.accepted, 3);
    stop_srv();
}
END_TEST

START_TEST(test_server_and_client_ipv6)
{
    static struct cli c;
    int s6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6;
    memset(&a6, 0, sizeof a6);
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_loopback;
    if (s6 < 0 || bind(s6, (struct sockaddr *)&a6, sizeof a6) < 0) {
        if (s6 >= 0)
            close(s6);
        return;                         /* no ::1 here */
    }
    close(s6);
    start_srv("::1", 0);
    cli_start(&c, "::1", coro_stream_server_port(&srv));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &c.task.fut, NULL), 0);
    ck_assert_str_eq(c.got, "Hello\nBye\n");
    stop_srv();
}
END_TEST

START_TEST(test_server_and_client_unix)
{
    static struct cli c;
    char path[64];
    snprintf(path, sizeof path, "/tmp/coro-stream-%ld.sock", (long)getpid());
    unlink(path);
    start_srv(path, -1);
    ck_assert_int_eq(coro_stream_server_port(&srv), -1);
    cli_start(&c, path, -1);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &c.task.fut, NULL), 0);
    ck_assert_str_eq(c.got, "Hello\nBye\n");
    stop_srv();
    unlink(path);
}
END_TEST

/* Nobody listens: ECONNREFUSED at open_connection, and the stream has no fd
 * (it can connect again). */
/* open_connection(host, port) in one step: a numeric host connects as
 * OPEN_CONNECTION does; a name is CORO_EINVAL at the await, no fd left. */
START_TEST(test_connect_by_host_and_port)
{
    static struct cli c[2];
    int port, i;
    start_srv("127.0.0.1", 0);
    port = coro_stream_server_port(&srv);
    for (i = 0; i < 2; i++) {
        memset(&c[i], 0, sizeof c[i]);
        ck_assert_int_eq(coro_stream_init(&c[i].s, &loop, c[i].rbuf, sizeof c[i].rbuf,
                                          c[i].wbuf, sizeof c[i].wbuf), 0);
        c[i].host = i ? "localhost" : "127.0.0.1";
        c[i].port = port;
        ck_assert_int_eq(coro_task_start(&c[i].task, &loop, cli_body), 0);
    }
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &c[0].task.fut, NULL), 0);
    ck_assert_str_eq(c[0].got, "Hello\nBye\n");
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &c[1].task.fut, NULL), CORO_EINVAL);
    ck_assert_int_eq(c[1].s.io.fd, -1);
    ck_assert_str_eq(c[1].got, "");
    stop_srv();
}
END_TEST

START_TEST(test_connection_refused)
{
    static struct cli c;
    int l = socket(AF_INET, SOCK_STREAM, 0), port;
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(l, (struct sockaddr *)&sa, sizeof sa);
    getsockname(l, (struct sockaddr *)&sa, &len);
    port = ntohs(sa.sin_port);
    close(l);                           /* bound, never listened: now free */
    cli_start(&c, "127.0.0.1", port);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &c.task.fut, NULL), -ECONNREFUSED);
    ck_assert_int_eq(c.s.io.fd, -1);
}
END_TEST

/* Cancelled at its awaits: a readline keeps what came of the line (asyncio's
 * buffer stays too), and the next readline returns the whole line; a drain
 * stops waiting, the writer stays usable; wait_closed closes the fd anyway. */
START_TEST(test_cancel_at_the_awaits)
{
    static struct rd r;
    static struct wr w;
    int a, b, i;
    tcp_pair(&a, &b);
    rd_start(&r, a, OP_LINE, 0, NULL);
    ck_assert_int_eq(send(b, "par", 3, 0), 3);
    for (i = 0; i < SPINS && r.s.reader.end < 3; i++)
        coro_loop_run_once(&loop);
    ck_assert_int_eq(coro_task_cancel(&r.task), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &r.task.fut, NULL), CORO_ECANCELLED);
    ck_assert_str_eq(r.log, "");
    ck_assert_uint_eq(r.s.reader.end - r.s.reader.start, 3);
    ck_assert_int_eq(send(b, "tial\n", 5, 0), 5);
    shutdown(b, SHUT_WR);
    ck_assert_int_eq(coro_task_start(&r.task, &loop, rd_body), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &r.task.fut, NULL), 0);
    ck_assert_str_eq(r.log, "partial\n|0|");
    close(coro_io_close(&r.s.io));
    close(b);

    tcp_pair(&a, &b);
    small_buffers(a);
    wr_start(&w, a, 1 << 26);
    for (i = 0; i < SPINS && !w.s.writer.paused; i++)
        coro_loop_run_once(&loop);
    ck_assert_int_eq(w.s.writer.paused, 1);
    ck_assert_int_eq(coro_task_cancel(&w.task), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &w.task.fut, NULL), CORO_ECANCELLED);
    ck_assert_int_eq(coro_stream_close(&w.s.writer), 0);      /* usable: close it */
    ck_assert(!w.s.writer.closed);                              /* data still to send */
    ck_assert_int_eq(coro_stream_try_wait_closed(&w.s.writer), CORO__PENDING);
    close(b);                                   /* the peer goes: the rest fails */
    for (i = 0; i < SPINS && !w.s.writer.closed; i++)
        coro_loop_run_once(&loop);
    ck_assert(w.s.writer.closed);
    ck_assert_int_eq(w.s.io.fd, -1);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The fault seam (coro_sys.h)                                              */
/* ------------------------------------------------------------------------ */

static void rule(int slot, int op, int err, unsigned long every, size_t cap)
{
    struct coro__fault *r = &coro__faults.rule[slot];
    memset(r, 0, sizeof *r);
    r->op = op;
    r->fd = -1;
    r->err = err;
    r->every = every;
    r->cap = cap;
}

/* Every recv and send moves one byte, and every other one is interrupted
 * first (EINTR, which the helpers retry), accept too: a server and its
 * client still say the same, and the reads split at every byte agree. */
START_TEST(test_faults_one_byte_and_eintr)
{
    static struct cli c;
    rule(0, CORO__SYS_OP_RECV, EINTR, 2, 0);
    rule(1, CORO__SYS_OP_SEND, EINTR, 2, 0);
    rule(2, CORO__SYS_OP_ACCEPT, EINTR, 2, 0);
    rule(3, CORO__SYS_OP_RECV, 0, 0, 1);
    rule(4, CORO__SYS_OP_SEND, 0, 0, 1);
    start_srv("127.0.0.1", 0);
    cli_start(&c, "127.0.0.1", coro_stream_server_port(&srv));
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &c.task.fut, NULL), 0);
    ck_assert_str_eq(c.got, "Hello\nBye\n");
    stop_srv();
    ck_assert_uint_gt(coro__faults.rule[0].faults, 10);
    ck_assert_uint_gt(coro__faults.rule[1].faults, 5);
    ck_assert_uint_gt(coro__faults.rule[2].faults, 0);
    ck_assert_str_eq(run_cut(OP_UNTIL, 0, "\r\n", "ab\r\ncd\r\r\nef", NULL, 0, 0),
                     "ab\r\n|cd\r\r\n|<EINCOMPLETE:ef>|");
    ck_assert_str_eq(run_cut(OP_LINE, 0, NULL, "hello\n\nworld\r\ntail", NULL, 0, 0),
                     "hello\n|\n|world\r\n|tail|0|");
}
END_TEST

/* ECONNRESET from recv in the middle of the lines: the read raises it
 * (after the lines that came whole); from send: write or drain raise it. */
START_TEST(test_faults_connection_reset)
{
    static struct wr w;
    static struct rd r;
    int a, b, rc;
    tcp_pair(&a, &b);
    ck_assert_int_eq(send(b, "whole\nhalf", 10, 0), 10);   /* there before the first recv */
    rd_start(&r, a, OP_LINE, 0, NULL);
    rule(0, CORO__SYS_OP_RECV, ECONNRESET, 0, 0);
    coro__faults.rule[0].skip = 1;          /* the first recv gets "whole\nhalf" */
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &r.task.fut, NULL), 0);
    ck_assert_str_eq(r.log, "whole\n|<ECONNRESET>|");
    ck_assert_uint_eq(coro__faults.rule[0].faults, 1);
    close(coro_io_close(&r.s.io));
    close(b);
    coro__faults_reset();
    tcp_pair(&a, &b);
    rule(0, CORO__SYS_OP_SEND, ECONNRESET, 0, 0);
    coro__faults.rule[0].skip = 2;
    wr_start(&w, a, 5 * CHUNK);
    rc = coro_loop_run_until_complete(&loop, &w.task.fut, NULL);
    ck_assert_int_eq(rc, -ECONNRESET);
    ck_assert_uint_lt(w.at, w.total);
    /* the writer keeps the error: a later write or drain says it again */
    ck_assert_int_eq(coro_stream_write(&w.s.writer, "x", 1), -ECONNRESET);
    ck_assert_int_eq(coro_stream_try_drain(&w.s.writer), -ECONNRESET);
    close(coro_io_close(&w.s.io));
    close(b);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Bad input: a named error, nothing changed                                */
/* ------------------------------------------------------------------------ */

START_TEST(test_bad_input)
{
    static struct coro_stream s;
    static char rb[16], wb[16];
    struct sockaddr_storage addr;
    socklen_t len = 0;
    size_t n = 77;
    int a, b;
    struct coro_stream_server sv;
    struct coro_stream_conn *nopool[1] = { NULL };

    ck_assert_int_eq(coro_stream_init(NULL, &loop, rb, 16, wb, 16), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_init(&s, NULL, rb, 16, wb, 16), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_init(&s, &loop, NULL, 16, wb, 16), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_init(&s, &loop, rb, 1, wb, 16), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_init(&s, &loop, rb, 16, wb, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_reader_init(NULL, &s.io, rb, 16), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_writer_init(NULL, &s.io, wb, 16), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_init(&s, &loop, rb, 16, wb, 16), 0);
    ck_assert_int_eq(coro_stream_open(NULL, 3), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_open(&s, -1), CORO_EINVAL);
    tcp_pair(&a, &b);
    ck_assert_int_eq(coro_stream_open(&s, a), 0);
    ck_assert_int_eq(coro_stream_open(&s, a), CORO_EBUSY);

    /* the reader */
    ck_assert_int_eq(send(b, "abc", 3, 0), 3);
    ck_assert_int_eq(coro_stream_try_read(NULL, 1, &n), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_try_read(&s.reader, 1, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_try_readexactly(&s.reader, 17, &n), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_try_readuntil(&s.reader, NULL, 1, 0, &n), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_try_readuntil(&s.reader, "", 0, 0, &n), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_try_readuntil(&s.reader, "x", 17, 0, &n), CORO_EINVAL);
    ck_assert_uint_eq(n, 77);
    ck_assert_uint_eq(s.reader.end, 0);
    ck_assert_int_eq(coro_stream_at_eof(NULL), 0);
    ck_assert_int_eq(coro_stream_at_eof(&s.reader), 0);
    /* read(0) is b'' at once; read(2) then gives what came */
    ck_assert_int_eq(coro_stream_try_read(&s.reader, 0, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(coro_stream_try_read(&s.reader, 2, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(memcmp(coro_stream_data(&s.reader), "ab", 2), 0);

    /* the writer */
    ck_assert_int_eq(coro_stream_set_water_marks(NULL, 4, 2), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_set_water_marks(&s.writer, 2, 4), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_set_water_marks(&s.writer, 16, 4), CORO_EINVAL);
    ck_assert_uint_eq(s.writer.high, 8);
    ck_assert_uint_eq(s.writer.low, 2);
    ck_assert_int_eq(coro_stream_set_water_marks(&s.writer, 12, 3), 0);
    ck_assert_int_eq(coro_stream_write(NULL, "x", 1), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_write(&s.writer, NULL, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_write(&s.writer, NULL, 0), 0);
    ck_assert_int_eq(coro_stream_write(&s.writer, "0123456789abcdefg", 17), CORO_EFULL);
    ck_assert_uint_eq(s.writer.end, 0);
    ck_assert_int_eq(coro_stream_try_wait_closed(&s.writer), CORO_ESTATE);
    ck_assert_int_eq(coro_stream_try_drain(NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_write_eof(NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_close(NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_write(&s.writer, "hi", 2), 0);     /* sent at once */
    ck_assert_uint_eq(s.writer.end, 0);
    ck_assert_int_eq(coro_stream_write_eof(&s.writer), 0);
    ck_assert_int_eq(coro_stream_write(&s.writer, "x", 1), CORO_ESHUTDOWN);
    ck_assert_int_eq(coro_stream_write_eof(&s.writer), CORO_ESHUTDOWN);
    {
        char buf[8];
        ck_assert_int_eq(recv(b, buf, sizeof buf, 0), 2);
        ck_assert_int_eq(recv(b, buf, sizeof buf, 0), 0);               /* EOF */
    }
    ck_assert_int_eq(coro_stream_close(&s.writer), 0);
    ck_assert_int_eq(coro_stream_close(&s.writer), CORO_ESHUTDOWN);
    ck_assert(s.writer.closed);
    ck_assert_int_eq(s.io.fd, -1);
    ck_assert_int_eq(coro_stream_try_wait_closed(&s.writer), 0);
    ck_assert_int_eq(coro_stream_try_drain(&s.writer), CORO_ESHUTDOWN);
    close(b);

    /* addresses, connections, servers */
    ck_assert_int_eq(coro_stream_addr(&addr, &len, "localhost", 80), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_addr(&addr, &len, "127.0.0.1", 65536), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_addr(&addr, &len, "::zz", 80), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_addr(&addr, &len, "", -1), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_addr(NULL, &len, "127.0.0.1", 1), CORO_EINVAL);
    ck_assert_int_eq(len, 0);
    ck_assert_int_eq(coro_stream_addr(&addr, &len, "127.0.0.1", 1), 0);
    ck_assert_int_eq(coro_stream_connect_start(NULL, &addr, len), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_connect_start(&s, &addr, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_start_server(&sv, &loop, &addr, len, nopool, 1, conn_body),
                     CORO_EINVAL);
    ck_assert_int_eq(coro_stream_start_server(&sv, &loop, &addr, len, pool, 0, conn_body),
                     CORO_EINVAL);
    ck_assert_int_eq(coro_stream_start_server(NULL, &loop, &addr, len, pool, 1, conn_body),
                     CORO_EINVAL);
    ck_assert_int_eq(coro_stream_server_close(NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_stream_server_port(NULL), -1);
    ck_assert_uint_eq(coro_stream_server_live(NULL), 0);
    ck_assert_str_eq(coro_strerror(CORO_ELIMIT),
                     "limit overrun: no separator within the limit");
    ck_assert_str_eq(coro_errname(CORO_ESHUTDOWN), "CORO_ESHUTDOWN");
}
END_TEST

/* The tests, once per backend: a test case named after each. */
static Suite *stream_suite(void)
{
    Suite *s = suite_create("stream");
    int i, n = test_backends();
    if (n > (int)(sizeof setups / sizeof setups[0]))
        n = (int)(sizeof setups / sizeof setups[0]);    /* never: 4 at most */
    for (i = 0; i < n; i++) {
        TCase *tc = check_tcase(s, coro_sel_backends()[i], setups[i], teardown, 10);
        tcase_add_test(tc, test_readline_every_split);
        tcase_add_test(tc, test_readuntil_every_split);
        tcase_add_test(tc, test_readexactly_every_split);
        tcase_add_test(tc, test_read_up_to_n);
        tcase_add_test(tc, test_peer_closes_or_resets_mid_line);
        tcase_add_test(tc, test_limits);
        tcase_add_test(tc, test_line_longer_than_buffer);
        tcase_add_test(tc, test_drain_blocks_the_writer_not_the_loop);
        tcase_add_test(tc, test_drain_raises_a_reset);
        tcase_add_test(tc, test_server_and_clients_ipv4);
        tcase_add_test(tc, test_server_and_client_ipv6);
        tcase_add_test(tc, test_server_and_client_unix);
        tcase_add_test(tc, test_connect_by_host_and_port);
        tcase_add_test(tc, test_connection_refused);
        tcase_add_test(tc, test_cancel_at_the_awaits);
        tcase_add_test(tc, test_faults_one_byte_and_eintr);
        tcase_add_test(tc, test_faults_connection_reset);
        tcase_add_test(tc, test_bad_input);
    }
    return s;
}

int main(void)
{
    return check_run(stream_suite());
}
