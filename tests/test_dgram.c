/* SPDX-License-Identifier: MIT */
/*
 * test_dgram.c -- the Check suite of the datagram awaits of io.h:
 * CORO_SOCK_RECVFROM / CORO_SOCK_SENDTO (asyncio 3.11's sock_recvfrom /
 * sock_sendto) over UDP on 127.0.0.1, and their one-attempt helpers.
 *
 * Each run is bounded: run_out() gives up (the test fails instead of
 * hanging) if the loop still waits after GUARD_MS, a SIGALRM that wakes the
 * loop, or still has work after MAX_ITERS iterations. The tests that await
 * run once per selector backend (_i picks it).
 *
 * Expected values come from this CPython 3.11 program (python3, Linux):
 *     import asyncio, errno, socket
 *     T = []
 *     def ev(*a): T.append(':'.join(str(x) for x in a))
 *     def udp():
 *         s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setblocking(False)
 *         s.bind(('127.0.0.1', 0)); return s
 *     async def echo(s, n):
 *         for i in range(n):
 *             d, a = await loop.sock_recvfrom(s, 64)
 *             ev('srv', d.decode())
 *             await loop.sock_sendto(s, d.upper(), a)
 *     async def client(c, srv, n):
 *         for i in range(n):
 *             await loop.sock_sendto(c, b'dg%d' % i, srv)
 *             d, a = await loop.sock_recvfrom(c, 64)
 *             ev('cli', d.decode(), a == srv)
 *     async def main():
 *         s, c = udp(), udp()
 *         await asyncio.gather(echo(s, 3), client(c, s.getsockname(), 3))
 *         print(' '.join(T))
 *         await loop.sock_sendto(c, b'0123456789', s.getsockname())
 *         d, a = await loop.sock_recvfrom(s, 4)
 *         print('trunc', d, len(d))
 *         await loop.sock_sendto(c, b'', s.getsockname())
 *         d, a = await loop.sock_recvfrom(s, 4)
 *         print('empty', d, len(d))
 *         dead = udp(); port = dead.getsockname()[1]; dead.close()
 *         k = udp(); k.connect(('127.0.0.1', port))
 *         await loop.sock_sendto(k, b'x', ('127.0.0.1', port))
 *         try:
 *             await loop.sock_recvfrom(k, 16)
 *         except OSError as e:
 *             print('refused', type(e).__name__, errno.errorcode[e.errno])
 *         try:
 *             await asyncio.wait_for(loop.sock_recvfrom(k, 16), 0.05)
 *         except asyncio.TimeoutError:
 *             print('then waits')
 *         for x in (s, c, k): x.close()
 *     loop = asyncio.new_event_loop()
 *     loop.run_until_complete(main())
 * CPython 3.11 prints:
 *     srv:dg0 cli:DG0:True srv:dg1 cli:DG1:True srv:dg2 cli:DG2:True
 *     trunc b'0123' 4
 *     empty b'' 0
 *     refused ConnectionRefusedError ECONNREFUSED
 *     then waits
 * Bad input (a NULL io, a NULL buffer with a length, an address pointer
 * without its length) has no Python spelling: C only, CORO_EINVAL.
 */
#define _GNU_SOURCE 1
#include <check.h>
#include "check_main.h"
#include "backends.h"
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "io.h"
#include "trace.h"

#define NTIMERS 4
#define MAX_FDS 1024
#define GUARD_MS 2000
#define MAX_ITERS 1000

static struct coro_timer_slot timers[NTIMERS];
static struct coro_loop loop;
static struct coro_io_loop iol;
static int iol_is_open;
static const char *backend = "?";
static int fds[8];
static int nfds;
static struct sigaction saved_alrm;
static volatile sig_atomic_t guard_fired;

static void on_alarm(int sig)
{
    (void)sig;
    guard_fired = 1;
    coro_loop_wakeup(&loop);
}

static void guard_set(int ms)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void setup(void)
{
    struct sigaction sa;
    (void)trace_state;          /* trace.h helpers this suite has no use for */
    (void)trace_result;
    (void)trace_value;
    (void)trace_error;
    trace_reset();
    nfds = 0;
    iol_is_open = 0;
    guard_fired = 0;
    backend = "?";
    ck_assert_int_eq(coro_loop_init(&loop, timers, NTIMERS), 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &saved_alrm);
}

static void teardown(void)
{
    guard_set(0);
    if (iol_is_open)
        coro_io_loop_close(&iol, &loop);
    iol_is_open = 0;
    while (nfds > 0)
        close(fds[--nfds]);
    sigaction(SIGALRM, &saved_alrm, NULL);
}

/* The selector loop on backend i of coro_sel_backends(). */
static void io_open(int i)
{
    backend = coro_sel_backends()[i];
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, backend, MAX_FDS), 0);
    iol_is_open = 1;
}

static int nbackends(void)
{
    return test_backends();
}

/* A non-blocking UDP socket bound to 127.0.0.1 on a free port; its address
 * goes to *a. Closed by teardown. */
static int udp(struct sockaddr_in *a)
{
    socklen_t len = sizeof *a;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_lt(nfds, 8);
    fds[nfds++] = fd;
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)a, sizeof *a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)a, &len), 0);
    ck_assert_int_eq(coro_sock_nonblocking(fd), 0);
    return fd;
}

/* Runs the loop until it has nothing left; fails if it still waits after
 * GUARD_MS or still works after MAX_ITERS iterations. */
static void run_out(void)
{
    int rc, n = 0;
    guard_fired = 0;
    guard_set(GUARD_MS);
    do
        rc = coro_loop_run_once(&loop);
    while (rc > 0 && !guard_fired && ++n < MAX_ITERS);
    guard_set(0);
    ck_assert_msg(rc == 0 && !guard_fired, "[%s] loop did not run out: rc %d, guard %d",
                  backend, rc, (int)guard_fired);
}

static int same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_family == b->sin_family && a->sin_port == b->sin_port &&
           a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* A task's frame: one socket, a peer, a buffer. */
struct dg {
    struct coro_task task;
    struct coro_io io;
    struct sockaddr_in peer;        /* where to send (the client's server) */
    struct sockaddr_in from;        /* a datagram's sender */
    socklen_t fromlen;
    char buf[64];
    ssize_t r, s;
    int i, n;
    int after;                      /* statements run after a raising await */
    struct coro_try t;
};

#define DG(co) ((struct dg *)(void *)(co))

/* The program's echo(s, n): n datagrams back, upper-cased, to their sender. */
static int echo_body(struct coro *co)
{
    struct dg *f = DG(co);
    CORO_BEGIN(co);
    for (f->i = 0; f->i < f->n; f->i++) {
        f->fromlen = sizeof f->from;
        CORO_SOCK_RECVFROM(co, &f->io, f->buf, sizeof f->buf, (struct sockaddr *)&f->from,
                           &f->fromlen, f->r);
        trace("srv:%.*s", (int)f->r, f->buf);
        for (f->s = 0; f->s < f->r; f->s++)
            f->buf[f->s] = (char)toupper((unsigned char)f->buf[f->s]);
        CORO_SOCK_SENDTO(co, &f->io, f->buf, (size_t)f->r, (struct sockaddr *)&f->from,
                         f->fromlen, f->s);
        ck_assert_int_eq(f->s, f->r);
    }
    coro_io_close(&f->io);
    CORO_END(co);
}

/* The program's client(c, srv, n). */
static int client_body(struct coro *co)
{
    struct dg *f = DG(co);
    CORO_BEGIN(co);
    for (f->i = 0; f->i < f->n; f->i++) {
        snprintf(f->buf, sizeof f->buf, "dg%d", f->i);
        CORO_SOCK_SENDTO(co, &f->io, f->buf, strlen(f->buf), (struct sockaddr *)&f->peer,
                         sizeof f->peer, f->s);
        ck_assert_int_eq(f->s, 3);
        f->fromlen = sizeof f->from;
        CORO_SOCK_RECVFROM(co, &f->io, f->buf, sizeof f->buf, (struct sockaddr *)&f->from,
                           &f->fromlen, f->r);
        trace("cli:%.*s:%s", (int)f->r, f->buf, same_addr(&f->from, &f->peer) ? "True" : "False");
    }
    coro_io_close(&f->io);
    CORO_END(co);
}

/* Three datagrams each way between two tasks, each reply going to the
 * address recvfrom gave. CPython 3.11: the program's first line. */
START_TEST(test_echo_of_three_datagrams_between_two_tasks)
{
    static struct dg srv, cli;
    io_open(_i);
    memset(&srv, 0, sizeof srv);
    memset(&cli, 0, sizeof cli);
    coro_io_init(&srv.io, &loop, udp(&cli.peer));
    coro_io_init(&cli.io, &loop, udp(&srv.peer));
    srv.n = cli.n = 3;
    ck_assert_int_eq(coro_task_start(&srv.task, &loop, echo_body), 0);
    ck_assert_int_eq(coro_task_start(&cli.task, &loop, client_body), 0);
    run_out();
    ck_assert_msg(strcmp(trace_str(), "srv:dg0 cli:DG0:True srv:dg1 cli:DG1:True srv:dg2 "
                                      "cli:DG2:True") == 0,
                  "[%s] %s", backend, trace_str());
}
END_TEST

/* Receives one datagram into 4 bytes, then one empty datagram. */
static int trunc_body(struct coro *co)
{
    struct dg *f = DG(co);
    CORO_BEGIN(co);
    CORO_SOCK_RECVFROM(co, &f->io, f->buf, 4, NULL, NULL, f->r);
    trace("trunc:%.*s:%d", (int)f->r, f->buf, (int)f->r);
    CORO_SOCK_RECVFROM(co, &f->io, f->buf, 4, NULL, NULL, f->r);
    trace("empty:%d", (int)f->r);
    coro_io_close(&f->io);
    CORO_END(co);
}

/* A datagram longer than the buffer: the await gives its first bytes and
 * their count (CPython: trunc b'0123' 4); an empty one gives 0 (empty b''
 * 0). The rest of the long datagram is gone: the next await gets the next
 * datagram. On Linux the one-attempt helper tells the whole length. */
START_TEST(test_long_datagram_is_truncated_to_the_buffer_and_empty_one_gives_0)
{
    static struct dg f;
    struct sockaddr_in a, b;
    char small[4];
    int s, c;
    io_open(_i);
    memset(&f, 0, sizeof f);
    s = udp(&a);
    c = udp(&b);
    coro_io_init(&f.io, &loop, s);
#ifdef __linux__
    ck_assert_int_eq(sendto(c, "abcdefghij", 10, 0, (struct sockaddr *)&a, sizeof a), 10);
    ck_assert_int_eq(coro_sock_try_recvfrom(&f.io, small, sizeof small, NULL, NULL), 10);
    ck_assert_int_eq(memcmp(small, "abcd", 4), 0);
#endif
    (void)small;
    ck_assert_int_eq(coro_task_start(&f.task, &loop, trunc_body), 0);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);     /* it waits: nothing queued */
    ck_assert_int_eq(sendto(c, "0123456789", 10, 0, (struct sockaddr *)&a, sizeof a), 10);
    ck_assert_int_eq(sendto(c, "", 0, 0, (struct sockaddr *)&a, sizeof a), 0);
    run_out();
    ck_assert_msg(strcmp(trace_str(), "trunc:0123:4 empty:0") == 0, "[%s] %s", backend,
                  trace_str());
}
END_TEST

/* Sends one datagram on a connected socket whose peer port is closed, then
 * awaits a reply, in a try block. */
static int refused_body(struct coro *co)
{
    struct dg *f = DG(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_SOCK_SENDTO(co, &f->io, "x", 1, NULL, 0, f->s);
        trace("sent:%d", (int)f->s);
        CORO_SOCK_RECVFROM(co, &f->io, f->buf, 16, NULL, NULL, f->r);
        f->after++;
    } CORO_EXCEPT(co, &f->t, -ECONNREFUSED) {
        trace("refused:ECONNREFUSED");
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

/* The ICMP port unreachable that answers a connected socket's datagram
 * arrives as -ECONNREFUSED at the next await (CPython: refused
 * ConnectionRefusedError ECONNREFUSED), in the enclosing try block; it is
 * reported once: the next attempt would wait (CPython: then waits). */
START_TEST(test_datagram_to_a_closed_port_raises_econnrefused_at_the_next_await)
{
    static struct dg f;
    struct sockaddr_in dead, mine;
    int d, k;
    io_open(_i);
    memset(&f, 0, sizeof f);
    d = udp(&dead);
    close(d);                       /* its port is closed now */
    fds[--nfds] = -1;
    k = udp(&mine);
    ck_assert_int_eq(connect(k, (struct sockaddr *)&dead, sizeof dead), 0);
    coro_io_init(&f.io, &loop, k);
    ck_assert_int_eq(coro_task_start(&f.task, &loop, refused_body), 0);
    run_out();
    ck_assert_msg(strcmp(trace_str(), "sent:1 refused:ECONNREFUSED") == 0, "[%s] %s", backend,
                  trace_str());
    ck_assert_int_eq(f.after, 0);
    ck_assert_int_eq(coro_sock_try_recvfrom(&f.io, f.buf, 16, NULL, NULL), CORO__PENDING);
    coro_io_close(&f.io);
}
END_TEST

/* Awaits a sendto with an address pointer of NULL but a length: raises
 * CORO_EINVAL into the try block before any wait. */
static int einval_body(struct coro *co)
{
    struct dg *f = DG(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t) {
        CORO_SOCK_SENDTO(co, &f->io, "abc", 3, NULL, sizeof f->peer, f->s);
        f->after++;
    } CORO_EXCEPT(co, &f->t, CORO_EINVAL) {
        trace("inval:events=%u", (unsigned)f->io.events);
    } CORO_END_TRY(co, &f->t);
    CORO_TRY(co, &f->t) {
        CORO_SOCK_RECVFROM(co, &f->io, NULL, 8, NULL, NULL, f->r);
        f->after++;
    } CORO_EXCEPT(co, &f->t, CORO_EINVAL) {
        trace("inval:events=%u", (unsigned)f->io.events);
    } CORO_END_TRY(co, &f->t);
    CORO_END(co);
}

/* Bad input is CORO_EINVAL and changes nothing: no datagram is sent or
 * consumed, the socket stays usable; at the await it is raised into the
 * try block and nothing is registered. A closed io is -EBADF. */
START_TEST(test_bad_input_is_einval_and_changes_nothing)
{
    static struct dg f;
    struct coro_io io, cio;
    struct sockaddr_in a, b, from;
    socklen_t fromlen = sizeof from;
    char buf[8];
    int s, c;
    io_open(0);
    s = udp(&a);
    c = udp(&b);
    coro_io_init(&io, &loop, s);
    coro_io_init(&cio, &loop, c);
    /* sendto: nothing leaves */
    ck_assert_int_eq(coro_sock_try_sendto(NULL, "abc", 3, (struct sockaddr *)&a, sizeof a),
                     CORO_EINVAL);
    ck_assert_int_eq(coro_sock_try_sendto(&cio, NULL, 3, (struct sockaddr *)&a, sizeof a),
                     CORO_EINVAL);
    ck_assert_int_eq(coro_sock_try_sendto(&cio, "abc", 3, NULL, sizeof a), CORO_EINVAL);
    ck_assert_int_eq(coro_sock_try_recvfrom(&io, buf, sizeof buf, NULL, NULL), CORO__PENDING);
    /* recvfrom: the queued datagram stays queued */
    ck_assert_int_eq(coro_sock_try_sendto(&cio, "abc", 3, (struct sockaddr *)&a, sizeof a), 3);
    ck_assert_int_eq(coro_sock_try_recvfrom(NULL, buf, sizeof buf, NULL, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_sock_try_recvfrom(&io, NULL, sizeof buf, NULL, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_sock_try_recvfrom(&io, buf, sizeof buf, (struct sockaddr *)&from,
                                            NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_sock_try_recvfrom(&io, buf, sizeof buf, (struct sockaddr *)&from,
                                            &fromlen), 3);
    ck_assert_int_eq(memcmp(buf, "abc", 3), 0);
    ck_assert(same_addr(&from, &b));
    /* a NULL buffer of length 0 is an empty datagram */
    ck_assert_int_eq(coro_sock_try_sendto(&cio, NULL, 0, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(coro_sock_try_recvfrom(&io, NULL, 0, NULL, NULL), 0);
    /* at the await */
    memset(&f, 0, sizeof f);
    coro_io_init(&f.io, &loop, c);
    ck_assert_int_eq(coro_task_start(&f.task, &loop, einval_body), 0);
    run_out();
    ck_assert_str_eq(trace_str(), "inval:events=0 inval:events=0");
    ck_assert_int_eq(f.after, 0);
    ck_assert_int_eq(coro_sock_try_recvfrom(&io, buf, sizeof buf, NULL, NULL), CORO__PENDING);
    /* a closed io */
    coro_io_close(&io);
    ck_assert_int_eq(coro_sock_try_recvfrom(&io, buf, sizeof buf, NULL, NULL), -EBADF);
    ck_assert_int_eq(coro_sock_try_sendto(&io, "abc", 3, (struct sockaddr *)&b, sizeof b),
                     -EBADF);
}
END_TEST

static Suite *dgram_suite(void)
{
    Suite *s = suite_create("dgram");
    TCase *tc = check_tcase(s, "udp", setup, teardown, 20);
    tcase_add_loop_test(tc, test_echo_of_three_datagrams_between_two_tasks, 0, nbackends());
    tcase_add_loop_test(tc, test_long_datagram_is_truncated_to_the_buffer_and_empty_one_gives_0,
                        0, nbackends());
    tcase_add_loop_test(tc, test_datagram_to_a_closed_port_raises_econnrefused_at_the_next_await,
                        0, nbackends());
    tcase_add_test(tc, test_bad_input_is_einval_and_changes_nothing);
    return s;
}

int main(void)
{
    return check_run(dgram_suite());
}
