/* SPDX-License-Identifier: MIT */
/*
 * test_faults.c -- the Check suite of the fault seam (coro_sys.h): the
 * selector loop and the sock_* helpers under injected faults. Built with
 * -DCORO_FAULTS (mk/faults.mk), so that io.c and the selector backends make
 * their system calls through the table coro__faults that each test fills.
 *
 * Every test is one small echo service over 127.0.0.1 TCP: an accept task,
 * one handler task per connection (echoes what it reads; each inside a
 * wait_for, 10 s unless the test wants a short deadline), and NCONN
 * connections connected before the loop runs. A connection's client is a
 * task (ROUNDS rounds: sendall CHUNK bytes, read the echo back) or, where
 * the peer must misbehave, a plain fd the fixture drives. One connection is
 * hit by the fault; each test asserts that
 *   - the other clients get every byte back, correct, and end with 0;
 *   - the affected coroutine ends with exactly the error expected at its
 *     await (or, for faults the helpers absorb, completes correctly);
 *   - afterwards nothing leaks: the loop's timer heap is empty, only the
 *     wakeup fd is registered, and once the loop is closed and the fixture's
 *     own fds too, /proc/self/fd holds what it held before the test.
 * Every test runs once per selector backend (the loop index _i, as in
 * test_io.c). Timeouts are real but short (a deadline of tens of ms, a
 * "second" of the trickling peer is 1 ms); no assertion depends on timing:
 * where a deadline decides, the outcome is the same however late it fires.
 * A guard (SIGALRM, GUARD_MS) fails a test whose loop would never end.
 */
#define _GNU_SOURCE 1
#include <check.h>
#include "check_main.h"
#include "backends.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "io.h"
#include "wait.h"
#include "coro_sys.h"

#define NTIMERS 32
#define MAX_FDS 1024
#define NCONN 4
#define ROUNDS 8
#define CHUNK 64
#define MSG (ROUNDS * CHUNK)
#define GUARD_MS 5000
#define MAX_ITERS 2000000
#define LONG_DEADLINE (10 * CORO_SEC)

/* A client that saw the end of the stream before its whole echo. */
#define ERR_EOF CORO_EEMPTY

static struct coro_timer_slot timers[NTIMERS];
static struct coro_loop loop;
static struct coro_io_loop iol;
static int iol_is_open;
static const char *backend = "?";
static int fds_before;

static volatile sig_atomic_t guard_fired;
static struct sigaction saved_alrm, saved_pipe;

/* ------------------------------------------------------------------------ */
/* The echo service                                                         */
/* ------------------------------------------------------------------------ */

enum { C_TASK, C_CONNECT, C_RAW };     /* who the client is */

struct client {
    struct coro_task task;             /* first */
    struct coro_io io;
    int round;
    size_t sent, got;
    ssize_t r;
    int err, done;
};

struct handler {
    struct coro_task task;             /* first */
    struct coro_wait_for wf;
    struct coro_io io;
    int big;                           /* reply with `big` after one read */
    char buf[CHUNK];
    ssize_t r;
    size_t sent, echoed;
    int err, started;
    struct coro_try fin;     /* try: ... finally: of the body */
};

struct conn {
    int mode;                          /* C_TASK, C_CONNECT or C_RAW */
    int cfd;                           /* the client's fd */
    unsigned short port;               /* its local port: matches the accept */
    coro_time deadline;                /* the handler's wait_for */
    int big;                           /* the handler's big reply */
    int sfd;                           /* the accepted fd (-1 before) */
    struct client cli;
    struct handler h;
    unsigned char out[MSG], back[MSG];
    struct coro_try fin;     /* try: ... finally: of the body */
};

static struct conn conns[NCONN];
static struct sockaddr_in srv_addr;
static unsigned char big[1 << 20];

/* Called by the acceptor for each connection, before its handler starts:
 * a test installs its rules on the accepted fd here. */
static void (*on_accept)(struct conn *c);

static int accept_errs[16], n_accept_errs;
static char accept_log[256];

static void logf_(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s%s", n ? " " : "", s);
}

/* A client's rounds: sendall CHUNK bytes, read them back. Connects first if
 * it is a C_CONNECT client. */
static int client_body(struct coro *co)
{
    struct client *f = (struct client *)(void *)co;
    struct conn *c = CORO__CONTAINER_OF(f, struct conn, cli);
    CORO_BEGIN(co);
    CORO_TRY(co, &c->fin) {
        if (c->mode == C_CONNECT)
            CORO_SOCK_CONNECT(co, &f->io, (const struct sockaddr *)&srv_addr, sizeof srv_addr);
        for (f->round = 0; f->round < ROUNDS; f->round++) {
            CORO_SOCK_SENDALL(co, &f->io, c->out + f->round * CHUNK, CHUNK, f->sent);
            while (f->got < (size_t)(f->round + 1) * CHUNK) {
                CORO_SOCK_RECV(co, &f->io, c->back + f->got,
                               (size_t)(f->round + 1) * CHUNK - f->got, f->r);
                if (f->r == 0)
                    CORO_RAISE(co, ERR_EOF);
                f->got += (size_t)f->r;
            }
        }
    } CORO_FINALLY(co, &c->fin) {
        f->err = coro_error(&c->fin);
        f->done = 1;
        close(coro_io_close(&f->io));
    } CORO_END_TRY(co, &c->fin);
    CORO_END(co);
}

/* Echoes until the end of the stream; or, with big, reads once and sends
 * the big reply. Closes its fd at the end, whatever happened. */
static int handler_body(struct coro *co)
{
    struct handler *f = (struct handler *)(void *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        if (f->big) {
            CORO_SOCK_RECV(co, &f->io, f->buf, sizeof f->buf, f->r);
            CORO_SOCK_SENDALL(co, &f->io, big, sizeof big, f->sent);
        } else {
            for (;;) {
                CORO_SOCK_RECV(co, &f->io, f->buf, sizeof f->buf, f->r);
                if (f->r == 0)
                    break;
                CORO_SOCK_SENDALL(co, &f->io, f->buf, (size_t)f->r, f->sent);
                f->echoed += (size_t)f->r;
            }
        }
    } CORO_FINALLY(co, &f->fin) {
        f->err = coro_error(&f->fin);
        close(coro_io_close(&f->io));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

static struct conn *conn_of_port(unsigned short port)
{
    int i;
    for (i = 0; i < NCONN; i++)
        if (conns[i].cfd >= 0 && conns[i].port == port)
            return &conns[i];
    return NULL;
}

/* Starts the handler of the accepted fd, inside its wait_for. */
static void start_handler(int fd)
{
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    struct conn *c;
    ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &len), 0);
    c = conn_of_port(ntohs(peer.sin_port));
    ck_assert_msg(c != NULL, "[%s] accepted a connection from an unknown port", backend);
    ck_assert_int_eq(c->sfd, -1);
    c->sfd = fd;
    coro_io_init(&c->h.io, &loop, fd);
    c->h.big = c->big;
    c->h.started = 1;
    if (on_accept)
        on_accept(c);
    ck_assert_int_eq(coro_task_start(&c->h.task, &loop, handler_body), 0);
    ck_assert_int_eq(coro_wait_for(&c->h.wf, &loop, &c->h.task.fut, c->deadline), 0);
}

/* conn = await loop.sock_accept(srv), as a generator the acceptor catches. */
struct accept_one {
    struct coro co;
    struct coro_io *lio;
    int fd;
};

static int accept_one_body(struct coro *co)
{
    struct accept_one *s = (struct accept_one *)(void *)co;
    CORO_BEGIN(co);
    CORO_SOCK_ACCEPT(co, s->lio, s->fd);
    CORO_RETURN(co, coro_int(s->fd));
    CORO_END(co);
}

/* Accepts `expect` connections. An error is logged ("EMFILE", ...), then it
 * waits 1 ms and tries again, as demos/echo_server.c does; an accepted one
 * is logged "+". Closes the listener at the end. */
static struct acceptor {
    struct coro_task task;
    struct coro_io io;
    struct accept_one one;
    coro_value r;
    int expect, accepted, err;
    struct coro_try fin;     /* try: ... finally: of the body */
} acc;

static const char *ename(int err);

static int acceptor_body(struct coro *co)
{
    struct acceptor *f = (struct acceptor *)(void *)co;
    int err = 0;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        while (f->accepted < f->expect) {
            memset(&f->one, 0, sizeof f->one);
            f->one.lio = &f->io;
            coro_init(&f->one.co, accept_one_body);
            CORO_AWAIT_CATCH(co, &f->one.co, f->r, err);
            if (err) {
                logf_(accept_log, sizeof accept_log, ename(err));
                ck_assert_int_lt(n_accept_errs, 16);
                accept_errs[n_accept_errs++] = err;
                CORO_SLEEP(co, &loop, CORO_MSEC);
            } else {
                logf_(accept_log, sizeof accept_log, "+");
                start_handler((int)f->r.v.i);
                f->accepted++;
            }
        }
    } CORO_FINALLY(co, &f->fin) {
        f->err = coro_error(&f->fin);
        close(coro_io_close(&f->io));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

/* Entries of /proc/self/fd (the directory's own fd included, every time). */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void on_alarm(int sig)
{
    int saved = errno;
    (void)sig;
    guard_fired = 1;
    coro_loop_wakeup(&loop);
    errno = saved;
}

static void guard_set(int ms)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    setitimer(ITIMER_REAL, &it, NULL);
}

static const char *open_as;     /* if set, the backend service_open asks for */

static void setup(void)
{
    struct sigaction sa;
    int i;
    coro__faults_reset();
    fds_before = count_fds();
    ck_assert_int_eq(coro_loop_init(&loop, timers, NTIMERS), 0);
    iol_is_open = 0;
    backend = "?";
    guard_fired = 0;
    on_accept = NULL;
    open_as = NULL;
    n_accept_errs = 0;
    accept_log[0] = '\0';
    memset(&acc, 0, sizeof acc);
    memset(conns, 0, sizeof conns);
    for (i = 0; i < NCONN; i++) {
        conns[i].cfd = conns[i].sfd = -1;
        conns[i].deadline = LONG_DEADLINE;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &saved_alrm);
    sa.sa_handler = SIG_DFL;            /* a SIGPIPE would kill the test */
    sigaction(SIGPIPE, &sa, &saved_pipe);
}

static void teardown(void)
{
    guard_set(0);
    coro__faults_reset();
    if (iol_is_open)
        coro_io_loop_close(&iol, &loop);
    iol_is_open = 0;
    sigaction(SIGALRM, &saved_alrm, NULL);
    sigaction(SIGPIPE, &saved_pipe, NULL);
}

static int nbackends(void)
{
    return test_backends();
}

static const char *ename(int err)
{
    static char buf[4][24];
    static unsigned n;
    char *s;
    switch (err) {
    case 0:               return "0";
    case CORO_ECANCELLED: return "cancelled";
    case CORO_ETIMEDOUT:  return "timeout";
    case ERR_EOF:         return "eof";
    case -ECONNRESET:     return "ECONNRESET";
    case -EPIPE:          return "EPIPE";
    case -EMFILE:         return "EMFILE";
    case -ENFILE:         return "ENFILE";
    case -ENOMEM:         return "ENOMEM";
    case -ENOSPC:         return "ENOSPC";
    case -EADDRNOTAVAIL:  return "EADDRNOTAVAIL";
    case -ETIMEDOUT:      return "ETIMEDOUT";
    default:
        break;
    }
    s = buf[n++ % 4];
    snprintf(s, sizeof buf[0], "%d", err);
    return s;
}

#define ck_assert_err(got, want, what) \
    ck_assert_msg((got) == (want), "[%s] %s: %s, expected %s", backend, (what), \
                  ename(got), ename(want))

static int tcp_socket(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    return fd;
}

static unsigned short local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

/* Opens the selector loop on backend _i, the listener on 127.0.0.1 and the
 * NCONN client sockets: C_TASK and C_RAW ones connect now (blocking, so that
 * every connection waits in the backlog before the loop runs), C_CONNECT
 * ones are only bound (their task connects). Sets the conns' modes from
 * `modes` (NULL: all C_TASK) and starts the acceptor (expecting `expect`
 * connections) and the client tasks. A raw client's fd stays blocking. */
static void service_open(int i, const int *modes, int expect)
{
    int l, k, one = 1;
    socklen_t len = sizeof srv_addr;
    backend = coro_sel_backends()[i];
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, open_as ? open_as : backend, MAX_FDS), 0);
    iol_is_open = 1;
    l = tcp_socket();
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&srv_addr, 0, sizeof srv_addr);
    srv_addr.sin_family = AF_INET;
    srv_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&srv_addr, sizeof srv_addr), 0);
    ck_assert_int_eq(listen(l, NCONN), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&srv_addr, &len), 0);
    ck_assert_int_eq(coro_sock_nonblocking(l), 0);
    coro_io_init(&acc.io, &loop, l);
    acc.expect = expect;
    for (k = 0; k < NCONN; k++) {
        struct conn *c = &conns[k];
        int j;
        c->mode = modes ? modes[k] : C_TASK;
        for (j = 0; j < MSG; j++)
            c->out[j] = (unsigned char)((k * 77 + j * 7) % 251);
        c->cfd = tcp_socket();
        if (c->mode == C_CONNECT) {
            struct sockaddr_in a = srv_addr;
            a.sin_port = 0;
            ck_assert_int_eq(bind(c->cfd, (struct sockaddr *)&a, sizeof a), 0);
        } else {
            ck_assert_int_eq(connect(c->cfd, (struct sockaddr *)&srv_addr, sizeof srv_addr), 0);
        }
        c->port = local_port(c->cfd);
    }
}

/* Starts the acceptor and the client tasks (after the test set its rules
 * and the raw clients' options). */
static void service_start(void)
{
    int k;
    ck_assert_int_eq(coro_task_start(&acc.task, &loop, acceptor_body), 0);
    for (k = 0; k < NCONN; k++) {
        struct conn *c = &conns[k];
        if (c->mode == C_RAW)
            continue;
        ck_assert_int_eq(coro_sock_nonblocking(c->cfd), 0);
        coro_io_init(&c->cli.io, &loop, c->cfd);
        ck_assert_int_eq(coro_task_start(&c->cli.task, &loop, client_body), 0);
    }
}

static int run_errs[8], n_run_errs;

/* Runs the loop until it has nothing left to do (coro_loop_run_once says
 * 0): what coro_loop_run_forever would do, except that an error of an
 * iteration (a failed wait) is logged in run_errs and the loop goes on. */
static void run_out(void)
{
    int rc, n;
    n_run_errs = 0;
    guard_fired = 0;
    guard_set(GUARD_MS);
    for (n = 0; n < MAX_ITERS; n++) {
        rc = coro_loop_run_once(&loop);
        if (rc == 0 || guard_fired)
            break;
        if (rc < 0) {
            ck_assert_msg(n_run_errs < 8, "[%s] run_once fails again and again: %s", backend,
                          ename(rc));
            run_errs[n_run_errs++] = rc;
        }
    }
    guard_set(0);
    ck_assert_msg(!guard_fired, "[%s] the loop still waits after %d ms", backend, GUARD_MS);
    ck_assert_msg(n < MAX_ITERS, "[%s] the loop still has work after %d iterations", backend,
                  MAX_ITERS);
}

/* A client that completed: every byte back, correct, and no error. */
static void assert_served(int k)
{
    struct conn *c = &conns[k];
    ck_assert_msg(c->cli.done, "[%s] client %d did not finish", backend, k);
    ck_assert_err(c->cli.err, 0, "an unaffected client");
    ck_assert_uint_eq(c->cli.got, MSG);
    ck_assert_msg(memcmp(c->back, c->out, MSG) == 0, "[%s] client %d: wrong echo", backend, k);
    ck_assert_int_ge(c->sfd, 0);
    ck_assert_err(c->h.err, 0, "its handler");
    ck_assert_uint_eq(c->h.echoed, MSG);
    ck_assert_err(coro_future_result(&c->h.wf.fut, NULL), 0, "its handler's wait_for");
}

/* Nothing left behind: no timer, only the wakeup fd registered; then, with
 * the loop closed and the raw clients' fds closed, the fds of the start. */
static void assert_no_leak(void)
{
    int k;
    ck_assert_msg(loop.heap_len == 0, "[%s] %u timers left in the heap", backend,
                  (unsigned)loop.heap_len);
    ck_assert_msg(iol.sel.count == 1, "[%s] %d fds registered (only the wakeup fd should be)",
                  backend, iol.sel.count);
    ck_assert_ptr_nonnull(coro_sel_get_key(&iol.sel, iol.wake_fd[0]));
    ck_assert_ptr_null(loop.ready.tail);
    coro_io_loop_close(&iol, &loop);
    iol_is_open = 0;
    for (k = 0; k < NCONN; k++)
        if (conns[k].mode == C_RAW)
            close(conns[k].cfd);
    ck_assert_msg(count_fds() == fds_before, "[%s] %d fds open, %d before the test", backend,
                  count_fds(), fds_before);
}

/* epoll, kqueue: a register is a call to the kernel; uring: a check of the
 * fd, through the same seam (CORO__SYS_OP_CTL) */
static int has_kernel_interest_list(void)
{
    return strcmp(backend, "epoll") == 0 || strcmp(backend, "kqueue") == 0 ||
           strcmp(backend, "uring") == 0;
}

static struct coro__fault *rule(int slot, int op, int fd, int err)
{
    struct coro__fault *r = &coro__faults.rule[slot];
    memset(r, 0, sizeof *r);
    r->op = op;
    r->fd = fd;
    r->err = err;
    return r;
}

/* ------------------------------------------------------------------------ */
/* EINTR                                                                    */
/* ------------------------------------------------------------------------ */

/* Every selector wait fails with EINTR once: the retry that follows, in
 * the same coro_sel_select, must ask for what is left of the timeout, never
 * more (and "forever" stays forever). The first BURNS interrupted waits take
 * 2 ms (the hook spins), as a wait that a signal cuts short would: their
 * retry must then ask for at least 2 ms less (the timeout is rounded up to
 * ms each time, from a deadline that does not move). Waits with a deadline
 * closer than 20 ms are let through: interrupted, one could find its
 * deadline passed on a loaded machine (valgrind), and then the selector
 * rightly returns without a retry, and the next wait would be another's. */
#define BURNS 3
#define SHORT_MS 20
static long eintr_ms;                  /* the timeout of the interrupted wait */
static int burnt;                      /* it took 2 ms */
static int retrying;                   /* the next wait is its retry */
static unsigned long waits, interrupted, n_finite, n_burnt, longer, let_through;

static coro_time mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (coro_time)ts.tv_sec * CORO_SEC + ts.tv_nsec;
}

static int eintr_hook(int op, int fd, long arg)
{
    (void)fd;
    if (op != CORO__SYS_OP_WAIT)
        return 0;
    waits++;
    if (!retrying) {
        if (arg > 0 && arg < SHORT_MS) {
            let_through++;
            return 0;
        }
        eintr_ms = arg;
        interrupted++;
        retrying = 1;
        burnt = 0;
        if (arg > 0 && n_burnt < BURNS) {
            coro_time end = mono_ns() + 2 * CORO_MSEC;
            while (mono_ns() < end)
                ;
            burnt = 1;
            n_burnt++;
        }
        return EINTR;
    }
    retrying = 0;
    if (eintr_ms < 0 ? arg != -1 : arg < 0 || arg > eintr_ms - (burnt ? 2 : 0))
        longer++;
    if (eintr_ms > 0)
        n_finite++;
    return 0;
}

struct tick {
    struct coro_handle h;
    coro_time when;
    int runs, early;
};

/* A timer that must never run early. It schedules itself again 50 ms on
 * while fewer than BURNS waits have been burnt, so that the burns happen
 * however slow the run (valgrind) made the service, up to 20 times. */
static void tick_run(struct coro_handle *h)
{
    struct tick *t = (struct tick *)(void *)h;
    t->runs++;
    if (coro_loop_time(&loop) < t->when)
        t->early++;
    if (n_burnt < BURNS && t->runs < 20) {
        t->when = coro_loop_time(&loop) + 50 * CORO_MSEC;
        ck_assert_int_eq(coro_loop_call_at(&loop, h, t->when), 0);
    }
}

/* EINTR on every selector wait and on every other recv, send and accept:
 * the helpers retry, the waits go on with what is left of their timeout,
 * every connection is served and a timer still fires, not early. */
START_TEST(test_eintr_on_every_wait_and_every_other_call_is_retried_and_all_are_served)
{
    struct tick t;
    struct coro__fault *rr, *rs, *ra;
    int k;
    service_open(_i, NULL, NCONN);
    waits = interrupted = n_finite = n_burnt = longer = let_through = 0;
    retrying = 0;
    coro__faults.hook = eintr_hook;
    rr = rule(0, CORO__SYS_OP_RECV, -1, EINTR);
    rr->every = 2;
    rs = rule(1, CORO__SYS_OP_SEND, -1, EINTR);
    rs->every = 2;
    ra = rule(2, CORO__SYS_OP_ACCEPT, -1, EINTR);
    ra->every = 2;
    memset(&t, 0, sizeof t);
    coro_handle_init(&t.h, tick_run);
    t.when = coro_loop_time(&loop) + 100 * CORO_MSEC;
    ck_assert_int_eq(coro_loop_call_at(&loop, &t.h, t.when), 0);
    service_start();
    run_out();
    ck_assert_int_eq(n_run_errs, 0);
    for (k = 0; k < NCONN; k++)
        assert_served(k);
    ck_assert_str_eq(accept_log, "+ + + +");
    ck_assert_int_ge(t.runs, 1);
    ck_assert_msg(t.early == 0, "[%s] the timer ran early", backend);
    ck_assert_uint_gt(interrupted, 0);
    ck_assert_uint_eq(waits, 2 * interrupted + let_through);    /* each retried once */
    ck_assert_msg(longer == 0, "[%s] %lu retries asked for more than was left", backend,
                  longer);
    ck_assert_uint_gt(n_finite, 0);     /* waits for a timer were interrupted too */
    ck_assert_uint_eq(n_burnt, BURNS);
    ck_assert_uint_gt(rr->faults, 0);
    ck_assert_uint_eq(rr->calls, 2 * rr->faults);
    ck_assert_uint_gt(rs->faults, 0);
    ck_assert_uint_eq(rs->calls, 2 * rs->faults);
    ck_assert_uint_eq(ra->faults, NCONN);               /* one per accept */
    assert_no_leak();
}
END_TEST

/* The datagram helpers go through the seam as a recv and a send: EINTR is
 * retried (one call more), EAGAIN is CORO__PENDING, another errno arrives as
 * -errno, and a datagram still arrives whole after each. */
START_TEST(test_recvfrom_and_sendto_retry_eintr_and_report_other_faults)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    struct coro_io rx, tx;
    struct coro__fault *r;
    char buf[8];
    int fd[2];
    fd[0] = socket(AF_INET, SOCK_DGRAM, 0);
    fd[1] = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd[0], 0);
    ck_assert_int_ge(fd[1], 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd[0], (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd[0], (struct sockaddr *)&a, &alen), 0);
    ck_assert_int_eq(coro_sock_nonblocking(fd[0]), 0);
    coro_io_init(&rx, &loop, fd[0]);
    coro_io_init(&tx, &loop, fd[1]);
    r = rule(0, CORO__SYS_OP_SEND, fd[1], EINTR);
    r->count = 1;
    ck_assert_int_eq(coro_sock_try_sendto(&tx, "dg", 2, (struct sockaddr *)&a, alen), 2);
    ck_assert_uint_eq(r->calls, 2);
    r = rule(0, CORO__SYS_OP_SEND, fd[1], ENOBUFS);
    r->count = 1;
    ck_assert_int_eq(coro_sock_try_sendto(&tx, "xx", 2, (struct sockaddr *)&a, alen), -ENOBUFS);
    r = rule(0, CORO__SYS_OP_RECV, fd[0], EINTR);
    r->count = 1;
    ck_assert_int_eq(coro_sock_try_recvfrom(&rx, buf, sizeof buf, NULL, NULL), 2);
    ck_assert_uint_eq(r->calls, 2);
    ck_assert_int_eq(memcmp(buf, "dg", 2), 0);
    r = rule(0, CORO__SYS_OP_RECV, fd[0], EAGAIN);
    r->count = 1;
    ck_assert_int_eq(coro_sock_try_sendto(&tx, "ok", 2, (struct sockaddr *)&a, alen), 2);
    ck_assert_int_eq(coro_sock_try_recvfrom(&rx, buf, sizeof buf, NULL, NULL), CORO__PENDING);
    r->err = ECONNREFUSED;
    r->count = 2;
    ck_assert_int_eq(coro_sock_try_recvfrom(&rx, buf, sizeof buf, NULL, NULL), -ECONNREFUSED);
    ck_assert_int_eq(coro_sock_try_recvfrom(&rx, buf, sizeof buf, NULL, NULL), 2);
    ck_assert_int_eq(memcmp(buf, "ok", 2), 0);
    close(fd[0]);
    close(fd[1]);
}
END_TEST

/* Every fault the helpers absorb, on every fd at once: each selector wait
 * interrupted once, every third recv and send says EAGAIN and every fourth
 * EINTR, recv moves at most 7 bytes and send 5, every other accept says
 * EAGAIN. Every connection is still served, byte for byte. */
START_TEST(test_absorbable_faults_on_every_fd_at_once_still_serve_every_byte)
{
    static const int ops[2] = { CORO__SYS_OP_RECV, CORO__SYS_OP_SEND };
    struct coro__fault *r;
    int k;
    service_open(_i, NULL, NCONN);
    for (k = 0; k < 2; k++) {
        r = rule(2 * k, ops[k], -1, EAGAIN);
        r->every = 3;
        r->cap = k == 0 ? 7 : 5;
        r = rule(2 * k + 1, ops[k], -1, EINTR);
        r->every = 4;
    }
    r = rule(4, CORO__SYS_OP_ACCEPT, -1, EAGAIN);
    r->every = 2;
    r = rule(5, CORO__SYS_OP_WAIT, -1, EINTR);
    r->every = 2;
    service_start();
    run_out();
    ck_assert_int_eq(n_run_errs, 0);
    for (k = 0; k < NCONN; k++)
        assert_served(k);
    for (k = 0; k < 6; k++)
        ck_assert_msg(coro__faults.rule[k].faults > 0, "[%s] rule %d never fired", backend, k);
    assert_no_leak();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Short reads and writes                                                   */
/* ------------------------------------------------------------------------ */

static struct coro__fault *srv_recv_rule, *srv_send_rule;

static void cap_server_side_of_1(struct conn *c)
{
    if (c != &conns[1])
        return;
    srv_recv_rule = rule(2, CORO__SYS_OP_RECV, c->sfd, 0);
    srv_recv_rule->cap = 1;
    srv_send_rule = rule(3, CORO__SYS_OP_SEND, c->sfd, 0);
    srv_send_rule->cap = 1;
}

/* Connection 1 moves one byte per recv and per send, on both sides: its
 * client and handler loop byte by byte and still get every byte right (one
 * send call per byte exactly); the others are served meanwhile. */
START_TEST(test_one_byte_reads_and_writes_on_one_connection_still_echo_every_byte)
{
    struct coro__fault *cr, *cs;
    int k;
    service_open(_i, NULL, NCONN);
    cr = rule(0, CORO__SYS_OP_RECV, conns[1].cfd, 0);
    cr->cap = 1;
    cs = rule(1, CORO__SYS_OP_SEND, conns[1].cfd, 0);
    cs->cap = 1;
    srv_recv_rule = srv_send_rule = NULL;
    on_accept = cap_server_side_of_1;
    service_start();
    run_out();
    for (k = 0; k < NCONN; k++)
        assert_served(k);
    ck_assert_uint_eq(cs->calls, MSG);                  /* one byte each */
    ck_assert_uint_ge(cr->calls, MSG);                  /* and some EAGAIN */
    ck_assert_ptr_nonnull(srv_send_rule);
    ck_assert_uint_eq(srv_send_rule->calls, MSG);
    ck_assert_uint_ge(srv_recv_rule->calls, MSG + 1);   /* + the end of stream */
    assert_no_leak();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* EAGAIN storms                                                            */
/* ------------------------------------------------------------------------ */

#define STORM 1000

/* Client 1's recv and send say EAGAIN STORM times each although the fd is
 * ready: the helpers wait again each time (the selector, level-triggered,
 * wakes them at once), so client 1 spins through 2 * STORM extra waits and
 * then completes correctly, while the others are served. */
START_TEST(test_eagain_storm_on_one_client_is_waited_out_and_every_byte_arrives)
{
    struct coro__fault *cr, *cs;
    int k;
    service_open(_i, NULL, NCONN);
    cr = rule(0, CORO__SYS_OP_RECV, conns[1].cfd, EAGAIN);
    cr->count = STORM;
    cs = rule(1, CORO__SYS_OP_SEND, conns[1].cfd, EAGAIN);
    cs->count = STORM;
    service_start();
    run_out();
    for (k = 0; k < NCONN; k++)
        assert_served(k);
    ck_assert_uint_eq(cr->faults, STORM);
    ck_assert_uint_eq(cs->faults, STORM);
    assert_no_leak();
}
END_TEST

static struct coro__fault *storm_rule;

static void storm_on_handler_of_2(struct conn *c)
{
    if (c == &conns[2])
        storm_rule = rule(0, CORO__SYS_OP_RECV, c->sfd, EAGAIN);     /* no end */
}

/* Handler 2's recv says EAGAIN forever: it spins (the loop keeps serving
 * the others) until its 200 ms deadline (long enough for several tries
 * under valgrind on a loaded machine) cancels it at its wait (its wait_for
 * says CORO_ETIMEDOUT); it closes its fd with the request unread, so its
 * client gets -ECONNRESET while waiting for the echo. */
START_TEST(test_endless_eagain_on_one_handler_ends_at_its_deadline_and_others_are_served)
{
    int k;
    service_open(_i, NULL, NCONN);
    conns[2].deadline = 200 * CORO_MSEC;
    storm_rule = NULL;
    on_accept = storm_on_handler_of_2;
    service_start();
    run_out();
    for (k = 0; k < NCONN; k++)
        if (k != 2)
            assert_served(k);
    ck_assert_err(conns[2].h.err, CORO_ECANCELLED, "handler 2 at its await");
    ck_assert_err(coro_future_result(&conns[2].h.wf.fut, NULL), CORO_ETIMEDOUT,
                  "handler 2's wait_for");
    ck_assert_uint_eq(conns[2].h.echoed, 0);
    ck_assert_ptr_nonnull(storm_rule);
    ck_assert_uint_gt(storm_rule->faults, 1);
    ck_assert_uint_eq(storm_rule->faults, storm_rule->calls);
    ck_assert_err(conns[2].cli.err, -ECONNRESET, "client 2 at its recv");
    ck_assert_uint_eq(conns[2].cli.got, 0);
    assert_no_leak();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* ECONNRESET                                                               */
/* ------------------------------------------------------------------------ */

/* The raw client of connection 2: reads its echo through a reader callback
 * and, once it has it all, resets the connection (SO_LINGER 0, close). */
static struct resetter {
    struct coro_handle h;
    struct coro_io io;
    size_t got;
    int reset;
} rst;

static void resetter_run(struct coro_handle *h)
{
    struct resetter *r = (struct resetter *)(void *)h;
    char buf[CHUNK];
    ssize_t n = recv(r->io.fd, buf, sizeof buf, MSG_DONTWAIT);
    struct linger lg;
    if (n > 0)
        r->got += (size_t)n;
    if (r->got < CHUNK)
        return;
    lg.l_onoff = 1;
    lg.l_linger = 0;
    ck_assert_int_eq(setsockopt(r->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(coro_io_close(&r->io));
    conns[2].cfd = -1;
    conns[2].mode = C_TASK;             /* closed: not the fixture's any more */
    r->reset = 1;
}

/* Two resets. Client 1's first send fails with ECONNRESET (injected):
 * sendall raises it, the client closes, and its handler just sees the end of
 * the stream. The peer of handler 2 (a plain socket) reads the echo of its
 * request and then resets the connection for real: handler 2, waiting for
 * the next request, gets -ECONNRESET at its recv. The others are served. */
START_TEST(test_connection_reset_raises_econnreset_in_the_affected_coroutine_only)
{
    static const int modes[NCONN] = { C_TASK, C_TASK, C_RAW, C_TASK };
    struct coro__fault *cs;
    service_open(_i, modes, NCONN);
    cs = rule(0, CORO__SYS_OP_SEND, conns[1].cfd, ECONNRESET);
    cs->count = 1;
    ck_assert_int_eq(send(conns[2].cfd, conns[2].out, CHUNK, MSG_NOSIGNAL), CHUNK);
    ck_assert_int_eq(coro_sock_nonblocking(conns[2].cfd), 0);
    memset(&rst, 0, sizeof rst);
    coro_handle_init(&rst.h, resetter_run);
    coro_io_init(&rst.io, &loop, conns[2].cfd);
    ck_assert_int_eq(coro_io_add_reader(&rst.io, &rst.h), 0);
    service_start();
    run_out();
    assert_served(0);
    assert_served(3);
    ck_assert_err(conns[1].cli.err, -ECONNRESET, "client 1 at its sendall");
    ck_assert_uint_eq(cs->faults, 1);
    ck_assert_err(conns[1].h.err, 0, "handler 1 (end of stream)");
    ck_assert_uint_eq(conns[1].h.echoed, 0);
    ck_assert_int_eq(rst.reset, 1);
    ck_assert_err(conns[2].h.err, -ECONNRESET, "handler 2 at its recv");
    ck_assert_uint_eq(conns[2].h.echoed, CHUNK);
    ck_assert_err(coro_future_result(&conns[2].h.wf.fut, NULL), -ECONNRESET,
                  "handler 2's wait_for");
    assert_no_leak();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* EMFILE / ENFILE on accept                                                */
/* ------------------------------------------------------------------------ */

/* The second accept fails with EMFILE, the fourth with ENFILE (the
 * connections stay in the backlog, as with the kernel's): the acceptor gets
 * each error at its sock_accept, waits 1 ms, and accepts the rest; the
 * connections accepted before are served meanwhile, and every one in the
 * end. */
START_TEST(test_emfile_and_enfile_at_accept_reach_the_acceptor_and_it_accepts_the_rest)
{
    struct coro__fault *r1, *r2;
    int k;
    service_open(_i, NULL, NCONN);
    r1 = rule(0, CORO__SYS_OP_ACCEPT, acc.io.fd, EMFILE);
    r1->skip = 1;
    r1->count = 1;
    r2 = rule(1, CORO__SYS_OP_ACCEPT, acc.io.fd, ENFILE);
    r2->skip = 2;
    r2->count = 1;
    service_start();
    run_out();
    ck_assert_str_eq(accept_log, "+ EMFILE + ENFILE + +");
    ck_assert_int_eq(n_accept_errs, 2);
    ck_assert_err(accept_errs[0], -EMFILE, "the second accept");
    ck_assert_err(accept_errs[1], -ENFILE, "the fourth accept");
    ck_assert_err(acc.err, 0, "the acceptor");
    for (k = 0; k < NCONN; k++)
        assert_served(k);
    assert_no_leak();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* A peer that stops reading                                                */
/* ------------------------------------------------------------------------ */

static void small_sndbuf_for_3(struct conn *c)
{
    int small = 4096;
    if (c == &conns[3])
        ck_assert_int_eq(setsockopt(c->sfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
}

/* The peer of handler 3 (a plain socket, small receive buffer) sends one
 * request and never reads: the 1 MB reply cannot fit in the buffers, so the
 * handler's sendall waits for room until its 50 ms deadline cancels it
 * there; it closes its fd. The others are served meanwhile. */
START_TEST(test_peer_that_stops_reading_blocks_only_its_handler_until_its_deadline)
{
    static const int modes[NCONN] = { C_TASK, C_TASK, C_TASK, C_RAW };
    int small = 4096, k;
    service_open(_i, modes, NCONN);
    ck_assert_int_eq(setsockopt(conns[3].cfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    conns[3].big = 1;
    conns[3].deadline = 50 * CORO_MSEC;
    on_accept = small_sndbuf_for_3;
    ck_assert_int_eq(send(conns[3].cfd, conns[3].out, CHUNK, MSG_NOSIGNAL), CHUNK);
    service_start();
    run_out();
    for (k = 0; k < 3; k++)
        assert_served(k);
    ck_assert_err(conns[3].h.err, CORO_ECANCELLED, "handler 3 at its sendall");
    ck_assert_err(coro_future_result(&conns[3].h.wf.fut, NULL), CORO_ETIMEDOUT,
                  "handler 3's wait_for");
    ck_assert_uint_gt(conns[3].h.sent, 0);
    ck_assert_uint_lt(conns[3].h.sent, sizeof big);
    assert_no_leak();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* A peer that trickles one byte a second                                   */
/* ------------------------------------------------------------------------ */

/* A raw peer that sends one byte per "second" (1 ms here: a loop timer),
 * `limit` bytes, then shuts its side down; it stops early once its handler
 * is done. */
static struct trickle {
    struct coro_handle h;
    struct conn *c;
    size_t sent, limit;
    int stopped;
} trickles[2];

static void trickle_run(struct coro_handle *h)
{
    struct trickle *t = (struct trickle *)(void *)h;
    if (coro_future_done(&t->c->h.task.fut)) {
        t->stopped = 1;
        return;
    }
    ck_assert_int_eq(send(t->c->cfd, t->c->out + t->sent, 1, MSG_NOSIGNAL), 1);
    if (++t->sent == t->limit)
        ck_assert_int_eq(shutdown(t->c->cfd, SHUT_WR), 0);
    else
        ck_assert_int_eq(coro_loop_call_later(&loop, &t->h, CORO_MSEC), 0);
}

/* The trickle starts with the handler (and its deadline), so that the
 * deadline counts from the first byte. */
static void start_trickle(struct conn *c)
{
    int i = c == &conns[1] ? 0 : c == &conns[2] ? 1 : -1;
    if (i < 0)
        return;
    trickles[i].c = c;
    coro_handle_init(&trickles[i].h, trickle_run);
    ck_assert_int_eq(coro_loop_call_later(&loop, &trickles[i].h, CORO_MSEC), 0);
}

/* Two peers trickle a byte per (scaled) second. Handler 1 has a 20 ms
 * deadline for a MSG-byte request that needs MSG "seconds": it is cancelled
 * at its recv (wait_for: CORO_ETIMEDOUT) and its peer stops. Handler 2 has
 * no short deadline: it echoes the CHUNK bytes as they come and sees the end
 * of the stream. The task clients are served all along. */
START_TEST(test_peers_that_trickle_one_byte_a_second_hold_only_their_own_handlers)
{
    static const int modes[NCONN] = { C_TASK, C_RAW, C_RAW, C_TASK };
    service_open(_i, modes, NCONN);
    memset(trickles, 0, sizeof trickles);
    trickles[0].limit = MSG;
    trickles[1].limit = CHUNK;
    conns[1].deadline = 20 * CORO_MSEC;
    on_accept = start_trickle;
    service_start();
    run_out();
    assert_served(0);
    assert_served(3);
    ck_assert_err(conns[1].h.err, CORO_ECANCELLED, "handler 1 at its recv");
    ck_assert_err(coro_future_result(&conns[1].h.wf.fut, NULL), CORO_ETIMEDOUT,
                  "handler 1's wait_for");
    ck_assert_uint_lt(conns[1].h.echoed, MSG);
    ck_assert_int_eq(trickles[0].stopped, 1);
    ck_assert_uint_lt(trickles[0].sent, MSG);
    ck_assert_err(conns[2].h.err, 0, "handler 2");
    ck_assert_uint_eq(conns[2].h.echoed, CHUNK);
    ck_assert_uint_eq(trickles[1].sent, CHUNK);
    ck_assert_err(coro_future_result(&conns[2].h.wf.fut, NULL), 0, "handler 2's wait_for");
    assert_no_leak();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Failed waits, registrations and connects                                 */
/* ------------------------------------------------------------------------ */

/* The 6th and 7th selector waits fail with ENOMEM: coro_loop_run_once
 * returns -ENOMEM each time, and the next run_once goes on as if nothing
 * happened: no readiness is lost (level-triggered), every connection is
 * served. */
START_TEST(test_failed_selector_wait_is_returned_by_run_once_and_the_next_run_loses_nothing)
{
    struct coro__fault *rw;
    int k;
    service_open(_i, NULL, NCONN);
    rw = rule(0, CORO__SYS_OP_WAIT, -1, ENOMEM);
    rw->skip = 5;
    rw->count = 2;
    service_start();
    run_out();
    ck_assert_int_eq(n_run_errs, 2);
    ck_assert_err(run_errs[0], -ENOMEM, "run_once");
    ck_assert_err(run_errs[1], -ENOMEM, "run_once");
    ck_assert_uint_eq(rw->faults, 2);
    for (k = 0; k < NCONN; k++)
        assert_served(k);
    assert_no_leak();
}
END_TEST

static struct coro__fault *ctl_rule;
static struct coro_handle eof_h;

static void ctl_fails_for_1(struct conn *c)
{
    if (c == &conns[1]) {
        ctl_rule = rule(0, CORO__SYS_OP_CTL, c->sfd, ENOSPC);
        ctl_rule->count = 1;
    }
}

static void eof_run(struct coro_handle *h)
{
    (void)h;
    ck_assert_int_eq(shutdown(conns[1].cfd, SHUT_WR), 0);
}

/* Handler 1's first wait needs its fd registered with the kernel, which
 * refuses (epoll_ctl / kevent / uring's check: ENOSPC, injected): the handler gets -ENOSPC
 * at its recv and closes. Its peer (a plain socket) sends nothing, then,
 * 5 ms on, the end of the stream: with poll and select, which register
 * nothing in the kernel, handler 1 waits for it and ends with 0. */
START_TEST(test_kernel_refusing_a_registration_raises_it_at_the_wait_of_that_coroutine)
{
    static const int modes[NCONN] = { C_TASK, C_RAW, C_TASK, C_TASK };
    service_open(_i, modes, NCONN);
    ctl_rule = NULL;
    on_accept = ctl_fails_for_1;
    coro_handle_init(&eof_h, eof_run);
    /* Without a kernel interest list nothing fails, so client 1 ends the
     * handler's wait with an EOF. With one, no EOF: an EOF that came before
     * the handler's first wait (a slow run, valgrind) would let its recv
     * return 0 without ever registering. */
    if (!has_kernel_interest_list())
        ck_assert_int_eq(coro_loop_call_later(&loop, &eof_h, 5 * CORO_MSEC), 0);
    service_start();
    run_out();
    assert_served(0);
    assert_served(2);
    assert_served(3);
    ck_assert_ptr_nonnull(ctl_rule);
    if (has_kernel_interest_list()) {
        ck_assert_err(conns[1].h.err, -ENOSPC, "handler 1 at its recv");
        ck_assert_uint_eq(ctl_rule->faults, 1);
    } else {
        ck_assert_err(conns[1].h.err, 0, "handler 1");
        ck_assert_uint_eq(ctl_rule->calls, 0);
    }
    ck_assert_uint_eq(conns[1].h.echoed, 0);
    assert_no_leak();
}
END_TEST

/* A kernel that refuses io_uring (seccomp, io_uring_disabled: EPERM at its
 * setup, injected): the selector says so when asked for "uring" by name,
 * and a loop opened on "uring" falls back to the best selector (the first
 * listed) and serves every connection the same. Built without liburing,
 * "uring" is unknown to the selectors (CORO_EINVAL) and the loop falls back
 * the same way. */
START_TEST(test_a_kernel_refusing_io_uring_leaves_the_loop_on_the_default_selector)
{
    struct coro_sel sel;
    struct coro__fault *setup_rule = rule(0, CORO__SYS_OP_SETUP, -1, EPERM);
    int k;
#if defined(__linux__) && defined(CORO_HAVE_URING)
    ck_assert_int_eq(coro_sel_open(&sel, "uring", 8), -EPERM);
    ck_assert_uint_eq(setup_rule->faults, 1);
#else
    ck_assert_int_eq(coro_sel_open(&sel, "uring", 8), CORO_EINVAL);
    ck_assert_uint_eq(setup_rule->calls, 0);
#endif
    ck_assert_ptr_null(sel.keys);
    open_as = "uring";
    service_open(0, NULL, NCONN);
    ck_assert_str_eq(coro_sel_name(&iol.sel), coro_sel_backends()[0]);
    ck_assert_str_ne(coro_sel_name(&iol.sel), "uring");
    service_start();
    run_out();
    for (k = 0; k < NCONN; k++)
        assert_served(k);
    assert_no_leak();
}
END_TEST

/* Every client connects in its task. Client 1's connect fails at once
 * (EADDRNOTAVAIL, injected: no port left), client 2's fails when its result
 * is read (the getsockopt of sock_connect says ETIMEDOUT, injected; the
 * kernel's connection, accepted, just ends). Each gets its error at its
 * sock_connect; clients 0 and 3 are served. */
START_TEST(test_connect_failing_at_once_or_at_its_result_raises_at_sock_connect)
{
    static const int modes[NCONN] = { C_CONNECT, C_CONNECT, C_CONNECT, C_CONNECT };
    struct coro__fault *rc, *rg;
    service_open(_i, modes, NCONN - 1);
    rc = rule(0, CORO__SYS_OP_CONNECT, conns[1].cfd, EADDRNOTAVAIL);
    rg = rule(1, CORO__SYS_OP_GETSOCKOPT, conns[2].cfd, ETIMEDOUT);
    service_start();
    run_out();
    assert_served(0);
    assert_served(3);
    ck_assert_err(conns[1].cli.err, -EADDRNOTAVAIL, "client 1 at its sock_connect");
    ck_assert_uint_eq(rc->faults, 1);
    ck_assert_int_eq(conns[1].sfd, -1);                 /* never accepted */
    ck_assert_err(conns[2].cli.err, -ETIMEDOUT, "client 2 at its sock_connect");
    ck_assert_uint_eq(rg->faults, 1);
    ck_assert_err(conns[2].h.err, 0, "handler 2 (end of stream)");
    ck_assert_uint_eq(conns[2].h.echoed, 0);
    assert_no_leak();
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The seam itself                                                          */
/* ------------------------------------------------------------------------ */

/* The rules as coro_sys.h documents them: skip, every, count, cap, the fd
 * filter, the first faulting rule ending the call, the hook first. */
static int hook_calls;
static int hook_fail_fd7(int op, int fd, long arg)
{
    (void)op;
    (void)arg;
    hook_calls++;
    return fd == 7 ? EIO : 0;
}

START_TEST(test_the_seam_applies_skip_every_count_cap_fd_and_order_as_documented)
{
    struct coro__fault *a, *b;
    int i, pattern = 0;
    a = rule(0, CORO__SYS_OP_RECV, 5, EAGAIN);
    a->skip = 2;
    a->every = 3;
    a->count = 2;
    a->cap = 10;
    b = rule(1, CORO__SYS_OP_RECV, -1, EINTR);
    b->skip = 9;
    b->cap = 4;
    for (i = 0; i < 12; i++) {
        errno = 0;
        if (coro__sys_fault(CORO__SYS_OP_RECV, 5, 100) != 0)
            pattern |= (errno == EAGAIN ? 1 : errno == EINTR ? 2 : 3) << (2 * i);
        else
            ck_assert_uint_eq(coro__sys_len(100), 4);    /* the smaller cap */
    }
    /* a: calls 3 and 6 fault (skip 2, every 3, count 2); b sees the other
     * calls: its 10th (call 12) faults (skip 9) */
    ck_assert_int_eq(pattern, (1 << 4) | (1 << 10) | (2 << 22));
    ck_assert_uint_eq(a->calls, 12);
    ck_assert_uint_eq(a->faults, 2);
    ck_assert_uint_eq(b->calls, 10);
    ck_assert_uint_eq(b->faults, 1);
    ck_assert_int_eq(coro__sys_fault(CORO__SYS_OP_SEND, 5, 100), 0);   /* other op */
    ck_assert_uint_eq(coro__sys_len(100), 100);
    ck_assert_int_eq(coro__sys_fault(CORO__SYS_OP_RECV, 6, 100), -1);  /* b: any fd */
    ck_assert_int_eq(errno, EINTR);
    coro__faults.hook = hook_fail_fd7;
    ck_assert_int_eq(coro__sys_fault(CORO__SYS_OP_RECV, 7, 1), -1);
    ck_assert_int_eq(errno, EIO);
    ck_assert_uint_eq(b->calls, 11);                    /* not seen by the rules */
    ck_assert_int_eq(hook_calls, 1);
    coro__faults_reset();
    ck_assert_int_eq(coro__sys_fault(CORO__SYS_OP_RECV, 7, 1), 0);
    ck_assert_uint_eq(coro__sys_len(100), 100);
    ck_assert_int_eq(count_fds(), fds_before);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The suite                                                                */
/* ------------------------------------------------------------------------ */

static int n_backends;

static TCase *tcase(Suite *s, const char *name)
{
    return check_tcase(s, name, setup, teardown, 60);
}

#define ADD(tc, t) tcase_add_loop_test(tc, t, 0, n_backends)

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc;
    n_backends = nbackends();

    tc = tcase(s, "seam");
    tcase_add_test(tc, test_the_seam_applies_skip_every_count_cap_fd_and_order_as_documented);
    tcase_add_test(tc, test_recvfrom_and_sendto_retry_eintr_and_report_other_faults);

    tc = tcase(s, "absorbed");
    ADD(tc, test_eintr_on_every_wait_and_every_other_call_is_retried_and_all_are_served);
    ADD(tc, test_absorbable_faults_on_every_fd_at_once_still_serve_every_byte);

    tc = tcase(s, "short");
    ADD(tc, test_one_byte_reads_and_writes_on_one_connection_still_echo_every_byte);

    tc = tcase(s, "eagain");
    ADD(tc, test_eagain_storm_on_one_client_is_waited_out_and_every_byte_arrives);
    ADD(tc, test_endless_eagain_on_one_handler_ends_at_its_deadline_and_others_are_served);

    tc = tcase(s, "reset");
    ADD(tc, test_connection_reset_raises_econnreset_in_the_affected_coroutine_only);

    tc = tcase(s, "accept");
    ADD(tc, test_emfile_and_enfile_at_accept_reach_the_acceptor_and_it_accepts_the_rest);

    tc = tcase(s, "peers");
    ADD(tc, test_peer_that_stops_reading_blocks_only_its_handler_until_its_deadline);
    ADD(tc, test_peers_that_trickle_one_byte_a_second_hold_only_their_own_handlers);

    tc = tcase(s, "kernel");
    ADD(tc, test_failed_selector_wait_is_returned_by_run_once_and_the_next_run_loses_nothing);
    ADD(tc, test_kernel_refusing_a_registration_raises_it_at_the_wait_of_that_coroutine);
    ADD(tc, test_connect_failing_at_once_or_at_its_result_raises_at_sock_connect);
    tcase_add_test(tc, test_a_kernel_refusing_io_uring_leaves_the_loop_on_the_default_selector);

    return s;
}

int main(void)
{
    return check_run(faults_suite());
}
