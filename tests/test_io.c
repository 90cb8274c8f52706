/* SPDX-License-Identifier: MIT */
/*
 * test_io.c -- the Check suite of io.h / io.c: the selector loop (the loop of
 * loop.h waiting in a selector), add_reader / add_writer, CORO_IO_WAIT in
 * tasks, the sock_* helpers over 127.0.0.1, coro_loop_wakeup from a thread and
 * from a signal handler, and misuse.
 *
 * Every I/O test runs once per selector backend (coro_sel_backends(): the
 * loop index _i picks it; Check prints _i with a failure, and each message
 * names the backend). Only socketpairs and 127.0.0.1 TCP; every run is
 * bounded: run_out() gives up (and the test fails instead of hanging) if the
 * loop still waits after GUARD_MS or still has work after a number of
 * iterations; loops that only stop from outside get a watchdog fd.
 * Timers run on the monotonic clock: a few ms each, and the tests assert
 * order and "not early" (elapsed >= requested), never a tight upper bound.
 *
 * Where order matters a test records events with trace.h and compares them
 * with what CPython 3.11 prints for the asyncio program in the comment above
 * it (run with python3 after this prelude, never taken from io.c). "@n" is
 * the loop iteration an event ran in (one select per iteration in asyncio).
 *
 * Python prelude:
 *     import asyncio, collections, errno, os, resource, socket, struct, threading, time
 *     T = []
 *     def ev(*a): T.append(':'.join(str(x) for x in a))
 *     def done(): print(' '.join(T))
 *     def name(e):                                    # ename()
 *         if e is None: return '0'
 *         if isinstance(e, asyncio.CancelledError): return 'cancelled'
 *         if isinstance(e, OSError): return errno.errorcode[e.errno]
 *         raise e
 *     class Loop(asyncio.SelectorEventLoop):          # coro_io_loop_open()
 *         def __init__(self):
 *             super().__init__()
 *             self.n = 0                              # iterations: one select each
 *             real = self._selector.select
 *             def select(timeout=None):
 *                 self.n += 1
 *                 # nothing registered but the self-pipe (coro: the wakeup fd) and
 *                 # no timer: coro_loop_run_forever returns
 *                 if timeout is None and len(self._selector.get_map()) <= 1:
 *                     self.stop()
 *                     timeout = 0
 *                 return real(timeout)
 *             self._selector.select = select
 *     loop = Loop()
 *     asyncio.set_event_loop(loop)
 *     def it(): return loop.n                         # "@<iteration>"
 *     def task(coro): return loop.create_task(coro)   # coro_task_start()
 *     def pair():                                     # pair()
 *         a, b = socket.socketpair(); a.setblocking(False); b.setblocking(False); return a, b
 *     def spin(ms):                                   # spin_ms(): a callback that takes ms
 *         t0 = time.monotonic()
 *         while time.monotonic() - t0 < ms / 1000: pass
 *     async def rd(tag, s):                           # rd_body() / srd_body()
 *         try:
 *             ev(tag, 'wait'); d = await loop.sock_recv(s, 63); ev(tag, 'got', d.decode())
 *         except BaseException as e:
 *             ev(tag, 'fin', name(e)); raise
 *     def run(): loop.run_forever(); done()           # run_out()
 * (end of prelude)
 *
 * asyncio's sock_recv removes its reader when its future is done; the C
 * tasks that must not depend on when coro drops an interest call
 * coro_io_close at their end (tk.close), which is what a C program does
 * before it closes the fd.
 */
#define _GNU_SOURCE 1
#include <check.h>
#include "check_main.h"
#include "backends.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include "io.h"
#include "trace.h"

/* ------------------------------------------------------------------------ */
/* Fixture: a loop, its selector, the fds a test opens, a guard timer        */
/* ------------------------------------------------------------------------ */

#define NTIMERS 16
#define MAX_FDS 1024
#define MAX_TRACKED 64
#define GUARD_MS 2000

static struct coro_timer_slot timers[NTIMERS];
static struct coro_loop loop;
static struct coro_io_loop iol;
static int iol_is_open;
static const char *backend = "?";
static int iteration;                   /* run_out()'s iteration number */

static int tracked[MAX_TRACKED];        /* fds closed by teardown */
static int ntracked;

static struct rlimit saved_nofile;
static int nofile_lowered;

static struct sigaction saved_alrm, saved_usr1, saved_pipe;
static volatile sig_atomic_t guard_fired;
static volatile int guard_wfd = -1;     /* the guard also writes here */

static coro_time now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (coro_time)ts.tv_sec * CORO_SEC + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A callback that takes ms of real time (the prelude's spin). */
static void spin_ms(int ms)
{
    coro_time end = now_ns() + (coro_time)ms * CORO_MSEC;
    while (now_ns() < end)
        ;
}

static int track(int fd)
{
    ck_assert_msg(fd >= 0, "[%s] fd: %s", backend, strerror(errno));
    ck_assert(ntracked < MAX_TRACKED);
    tracked[ntracked++] = fd;
    return fd;
}

static void untrack(int fd)
{
    int i;
    for (i = 0; i < ntracked; i++)
        if (tracked[i] == fd) {
            tracked[i] = tracked[--ntracked];
            return;
        }
}

static void xclose(int fd)
{
    untrack(fd);
    close(fd);
}

/* A connected non-blocking AF_UNIX stream socketpair. */
static void pair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    track(sv[0]);
    track(sv[1]);
    ck_assert_int_eq(coro_sock_nonblocking(sv[0]), 0);
    ck_assert_int_eq(coro_sock_nonblocking(sv[1]), 0);
}

static void send1(int fd, const char *s)
{
    ck_assert_int_eq(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* SIGALRM: the guard of a run. Wakes the loop (and writes guard_wfd, the
 * watchdog of tests whose loop cannot end by itself). */
static void on_alarm(int sig)
{
    int saved = errno;
    (void)sig;
    guard_fired = 1;
    coro_loop_wakeup(&loop);
    if (guard_wfd >= 0) {
        ssize_t n = write(guard_wfd, "g", 1);
        (void)n;
    }
    errno = saved;
}

static void guard_arm(int ms)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    guard_fired = 0;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void guard_disarm(void)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
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
    ntracked = 0;
    iteration = 0;
    iol_is_open = 0;
    nofile_lowered = 0;
    guard_fired = 0;
    guard_wfd = -1;
    backend = "?";
    ck_assert_int_eq(coro_loop_init(&loop, timers, NTIMERS), 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &saved_alrm);
    sigaction(SIGUSR1, NULL, &saved_usr1);
    /* SIGPIPE kills, as in a C program that did not ignore it: a send to a
     * closed peer must give -EPIPE, never the signal */
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, &saved_pipe);
}

/* Closing the selector loop wakes the tasks still waiting on its fds, so it
 * reads every struct coro_io still registered: the tests' coro_io objects
 * are static, alive until this teardown even when a test leaves one
 * registered. */
static void teardown(void)
{
    guard_disarm();
    guard_wfd = -1;
    if (iol_is_open)
        coro_io_loop_close(&iol, &loop);
    iol_is_open = 0;
    while (ntracked > 0)
        close(tracked[--ntracked]);
    if (nofile_lowered)
        setrlimit(RLIMIT_NOFILE, &saved_nofile);
    nofile_lowered = 0;
    sigaction(SIGALRM, &saved_alrm, NULL);
    sigaction(SIGUSR1, &saved_usr1, NULL);
    sigaction(SIGPIPE, &saved_pipe, NULL);
}

static int nbackends(void)
{
    return test_backends();
}

/* The selector loop on backend i of coro_sel_backends(). */
static void io_open(int i)
{
    backend = coro_sel_backends()[i];
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, backend, MAX_FDS), 0);
    iol_is_open = 1;
    ck_assert_str_eq(coro_sel_name(&iol.sel), backend);
}

enum { RAN_OUT = 0, STILL_WAITING = 1, STILL_BUSY = 2 };

/* coro_loop_run_forever, for a loop that must run out of work: iterations
 * (numbered in `iteration`) until coro_loop_run_once says there is nothing
 * left. STILL_WAITING if the loop still waited after ms (run_forever would
 * hang), STILL_BUSY if it still had work after max_iters iterations (it
 * spins). */
static int run_out_ms(int max_iters, int ms)
{
    int rc, n = 0;
    guard_arm(ms);
    do {
        iteration++;
        rc = coro_loop_run_once(&loop);
    } while (rc > 0 && !guard_fired && ++n < max_iters);
    guard_disarm();
    ck_assert_msg(rc >= 0, "[%s] coro_loop_run_once: %d", backend, rc);
    if (guard_fired)
        return STILL_WAITING;
    return rc == 0 ? RAN_OUT : STILL_BUSY;
}

static int run_out(int max_iters)
{
    return run_out_ms(max_iters, GUARD_MS);
}

#define ck_assert_ran_out(st) \
    ck_assert_msg((st) == RAN_OUT, "[%s] run_forever would not return: %s", backend, \
                  (st) == STILL_WAITING ? "the loop still waits in the selector" \
                                        : "the loop still spins")

/* coro_loop_run_forever under the guard (for loops that end with stop). */
static void run_forever_guarded(void)
{
    guard_arm(GUARD_MS);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    guard_disarm();
}

/* An error as the prelude's name() prints it. */
static const char *ename(int err)
{
    static char buf[4][24];
    static unsigned n;
    char *s;
    switch (err) {
    case 0:               return "0";
    case CORO_ECANCELLED: return "cancelled";
    case CORO_ENOTASK:    return "notask";
    case CORO_EINVAL:     return "inval";
    case CORO_EBUSY:      return "busy";
    case CORO_ENOKEY:     return "nokey";
    case -EBADF:          return "EBADF";
    case -ECONNREFUSED:   return "ECONNREFUSED";
    case -ECONNRESET:     return "ECONNRESET";
    case -EPIPE:          return "EPIPE";
    case -EMFILE:         return "EMFILE";
    case -EAGAIN:         return "EAGAIN";
    default:
        break;
    }
    if (err < 0 && err > -4000) {
        s = buf[n++ % 4];
        snprintf(s, sizeof buf[0], "errno%d", -err);
        return s;
    }
    return trace_errname(err);
}

/* remove_reader's answer as Python's: True (0), False (CORO_ENOKEY). */
static const char *pybool(int rc)
{
    return rc == 0 ? "True" : rc == CORO_ENOKEY ? "False" : ename(rc);
}

/* Open fds among 0..MAX_FDS-1. */
static int count_open_fds(void)
{
    int fd, n = 0;
    for (fd = 0; fd < MAX_FDS; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            n++;
    return n;
}

/* ------------------------------------------------------------------------ */
/* Callbacks and tasks                                                      */
/* ------------------------------------------------------------------------ */

/* A callback: records its label ("label@iteration" with at_iter), counts its
 * runs, notes when it ran, then acts. */
struct cb {
    struct coro_handle h;           /* first: the handle is the callback */
    const char *label;
    int at_iter;
    int runs;
    int first_iter;                 /* the iteration of its first run */
    coro_time at;                   /* monotonic time of its last run */
    coro_time loop_at;              /* loop time of its last run */
    void (*act)(struct cb *c);
    struct coro_io *io, *io2;       /* what act removes, closes */
    struct cb *other;               /* what act schedules or cancels */
    struct coro_task *task;         /* what act cancels */
    int fd;                         /* what act writes to or closes */
    int n;
};

static void cb_run(struct coro_handle *h)
{
    struct cb *c = (struct cb *)(void *)h;
    if (c->runs++ == 0)
        c->first_iter = iteration;
    c->at = now_ns();
    c->loop_at = coro_loop_time(&loop);
    if (c->label) {
        if (c->at_iter)
            trace("%s@%d", c->label, iteration);
        else
            trace("%s", c->label);
    }
    if (c->act)
        c->act(c);
}

static struct cb *cb_init(struct cb *c, const char *label, void (*act)(struct cb *))
{
    memset(c, 0, sizeof *c);
    coro_handle_init(&c->h, cb_run);
    c->label = label;
    c->act = act;
    c->fd = -1;
    return c;
}

static void soon(struct cb *c) { ck_assert_int_eq(coro_loop_call_soon(&loop, &c->h), 0); }
static void later(struct cb *c, coro_time d) { ck_assert_int_eq(coro_loop_call_later(&loop, &c->h, d), 0); }

static void act_soon_other(struct cb *c) { soon(c->other); }
static void act_remove_reader(struct cb *c) { ck_assert_int_eq(coro_io_remove_reader(c->io), 0); }
static void act_send_x(struct cb *c) { send1(c->fd, "x"); }
static void act_send_n(struct cb *c)
{
    char s[2];
    s[0] = (char)('0' + c->n);
    s[1] = '\0';
    send1(c->fd, s);
    if (c->other)
        later(c->other, 2 * CORO_MSEC);
}
static void act_cancel_task(struct cb *c)
{
    ck_assert_int_eq(coro_task_cancel(c->task), 0);
    if (c->other)
        later(c->other, 2 * CORO_MSEC);
}
static void act_stop(struct cb *c) { (void)c; coro_loop_stop(&loop); }
static void act_close_fd(struct cb *c) { xclose(c->fd); c->fd = -1; }

/* Sends "x", schedules c->other 1 ms later, then takes 3 ms: the timer
 * falls due while the callback runs, never in its batch. */
static void act_send_x_later_spin3(struct cb *c)
{
    send1(c->fd, "x");
    later(c->other, CORO_MSEC);
    spin_ms(3);
}

/* A task's frame. */
struct tk {
    struct coro_task task;          /* first */
    const char *label;
    struct coro_io *io;
    int close;                      /* coro_io_close(io) at the end */
    unsigned event;
    char buf[64];
    ssize_t r;
    size_t sent;
    int i, n, fd;
    struct coro_try fin;     /* try: ... finally: of the body */
};

#define TK(co) ((struct tk *)(void *)(co))

static struct tk *tk_start(struct tk *t, const char *label, struct coro_io *io, coro_fn body)
{
    memset(t, 0, sizeof *t);
    t->label = label;
    t->io = io;
    t->fd = -1;
    ck_assert_int_eq(coro_task_start(&t->task, &loop, body), 0);
    return t;
}

/* await readable (CORO_IO_WAIT), then one recv: "L:wait", "L:got:<data>"
 * (or "L:recv:<errno>" if there was nothing: a wakeup too many), or
 * "L:fin:<error>" raised at the wait. */
static int rd_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:wait", f->label);
        CORO_IO_WAIT(co, f->io, CORO_EVENT_READ);
        f->r = recv(f->io->fd, f->buf, sizeof f->buf - 1, 0);
        if (f->r < 0) {
            trace("%s:recv:%s", f->label, ename(-errno));
        } else {
            f->buf[f->r] = '\0';
            trace("%s:got:%s", f->label, f->buf);
        }
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("%s:fin:%s", f->label, ename(coro_error(&f->fin)));
        if (f->close)
            coro_io_close(f->io);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* The prelude's rd with the helper: r = await sock_recv(63). */
static int srd_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:wait", f->label);
        CORO_SOCK_RECV(co, f->io, f->buf, sizeof f->buf - 1, f->r);
        f->buf[f->r] = '\0';
        trace("%s:got:%s", f->label, f->buf);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("%s:fin:%s", f->label, ename(coro_error(&f->fin)));
        if (f->close)
            coro_io_close(f->io);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* await writable: "L:wait", "L:writable" or "L:fin:<error>". */
static int wr_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:wait", f->label);
        CORO_IO_WAIT(co, f->io, CORO_EVENT_WRITE);
        trace("%s:writable", f->label);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("%s:fin:%s", f->label, ename(coro_error(&f->fin)));
        if (f->close)
            coro_io_close(f->io);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* CORO_IO_WAIT with f->event as given (the misuse tests). */
static int wait_event_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        CORO_IO_WAIT(co, f->io, f->event);
        trace("%s:woke", f->label);
    } CORO_FINALLY(co, &f->fin) {
        trace("%s:fin:%s", f->label, ename(coro_error(&f->fin)));
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* Fills fd's send buffer (and the peer's receive buffer) until it would
 * block. */
static void fill(int fd)
{
    static char junk[65536];
    while (send(fd, junk, sizeof junk, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
        ;
    ck_assert(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* ------------------------------------------------------------------------ */
/* 1. The selector loop is the loop                                         */
/* ------------------------------------------------------------------------ */

/* asyncio's _run_once selects at every iteration (timeout 0 when something
 * is ready), then appends the I/O callbacks, then the due timers, and runs
 * the ready queue as it stood: what was ready, the I/O, the timers, in one
 * batch.
 * Python:
 *     a, b = pair(); b.send(b'x')
 *     loop.add_reader(a, lambda: ev('r'))
 *     def stop(): ev('stop'); loop.remove_reader(a)
 *     loop.call_soon(ev, 's'); loop.call_later(0, ev, 't'); loop.call_later(-0.001, ev, 't')
 *     loop.call_soon(lambda: (ev('s2'), loop.call_soon(stop)))
 *     run()
 * CPython 3.11: s s2 r t t stop
 */
START_TEST(test_ready_callbacks_io_and_due_timers_run_in_one_batch_in_that_order)
{
    int sv[2];
    static struct coro_io io;
    struct cb r, s, s2, st, t1, t2;
    io_open(_i);
    pair(sv);
    send1(sv[1], "x");
    coro_io_init(&io, &loop, sv[0]);
    ck_assert_int_eq(coro_io_add_reader(&io, &cb_init(&r, "r", NULL)->h), 0);
    soon(cb_init(&s, "s", NULL));
    later(cb_init(&t1, "t", NULL), 0);
    later(cb_init(&t2, "t", NULL), -CORO_MSEC);
    cb_init(&st, "stop", act_remove_reader)->io = &io;
    soon(cb_init(&s2, "s2", act_soon_other));
    s2.other = &st;
    ck_assert_ran_out(run_out(20));
    ck_assert_trace("s s2 r t t stop");
}
END_TEST

/* A timer that falls due while a callback runs, and a reader whose fd the
 * callback made ready: the next select (timeout 0: the deadline has passed)
 * reports the fd, and the reader runs before the timer, in one batch.
 * Python:
 *     a, b = pair()
 *     loop.add_reader(a, lambda: (ev('r'), loop.remove_reader(a)))
 *     loop.call_soon(lambda: (ev('w'), b.send(b'x'), loop.call_later(0.001, ev, 't'), spin(3)))
 *     run()
 * CPython 3.11: w r t
 */
START_TEST(test_reader_made_ready_runs_before_the_timer_that_fell_due_meanwhile)
{
    int sv[2];
    static struct coro_io io;
    struct cb r, w, t;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    cb_init(&r, "r", act_remove_reader)->io = &io;
    ck_assert_int_eq(coro_io_add_reader(&io, &r.h), 0);
    soon(cb_init(&w, "w", act_send_x_later_spin3));
    w.fd = sv[1];
    w.other = cb_init(&t, "t", NULL);
    ck_assert_ran_out(run_out(20));
    ck_assert_trace("w r t");
    ck_assert_int_eq(r.first_iter, t.first_iter);       /* one batch */
    ck_assert(t.loop_at >= w.loop_at + CORO_MSEC);       /* not early */
}
END_TEST

/* A task that keeps the ready queue busy (sleep(0) in a loop) must not
 * starve I/O: asyncio polls the selector (timeout 0) at every iteration.
 * Python:
 *     a, b = pair(); b.send(b'x'); n = 0
 *     def r():
 *         global n; n += 1; ev('r', n)
 *         if n == 3: loop.remove_reader(a)
 *     loop.add_reader(a, r)
 *     async def spinner():
 *         for i in range(1, 4): ev('t', i); await asyncio.sleep(0)
 *     task(spinner()); run()
 * CPython 3.11: t:1 r:1 t:2 r:2 t:3 r:3
 */
static int spinner_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    for (f->i = 1; f->i <= 3; f->i++) {
        trace("t:%d", f->i);
        CORO_SLEEP(co, &loop, 0);
    }
    CORO_END(co);
}

static void act_count_reader(struct cb *c)
{
    trace("r:%d", c->runs);
    if (c->runs == 3)
        ck_assert_int_eq(coro_io_remove_reader(c->io), 0);
}

START_TEST(test_io_is_polled_at_every_iteration_even_while_a_task_keeps_the_loop_busy)
{
    int sv[2];
    static struct coro_io io;
    struct cb r;
    struct tk t;
    io_open(_i);
    pair(sv);
    send1(sv[1], "x");
    coro_io_init(&io, &loop, sv[0]);
    cb_init(&r, NULL, act_count_reader)->io = &io;
    ck_assert_int_eq(coro_io_add_reader(&io, &r.h), 0);
    tk_start(&t, "t", NULL, spinner_body);
    ck_assert_ran_out(run_out(20));
    ck_assert_trace("t:1 r:1 t:2 r:2 t:3 r:3");
}
END_TEST

/* Python:
 *     loop.call_later(0.003, ev, 't'); run()
 * CPython 3.11: t
 */
START_TEST(test_timer_with_nothing_registered_fires_after_its_delay_then_run_returns)
{
    struct cb t;
    coro_time loop_start;
    io_open(_i);
    loop_start = coro_loop_time(&loop);
    later(cb_init(&t, "t", NULL), 3 * CORO_MSEC);
    ck_assert_ran_out(run_out(20));
    ck_assert_trace("t");
    /* not early: the delay counts from the loop's time, as call_later's from
     * loop.time(); the loop's clock and now_ns() are both CLOCK_MONOTONIC */
    ck_assert(t.at - loop_start >= 3 * CORO_MSEC);
    ck_assert(t.loop_at >= loop_start + 3 * CORO_MSEC);
    ck_assert_int_le(iteration, 3);     /* it waited, it did not poll */
}
END_TEST

/* The wait for a timer is a wait in the selector: an fd that becomes
 * readable (written by another thread) ends it before the deadline.
 * Python:
 *     a, b = pair()
 *     t = loop.call_later(2, ev, 't')
 *     loop.add_reader(a, lambda: (ev('r'), loop.remove_reader(a), t.cancel()))
 *     th = threading.Thread(target=lambda: (time.sleep(0.005), b.send(b'x')))
 *     th.start(); run(); th.join()
 * CPython 3.11: r
 */
struct writer_thread {
    pthread_t th;
    int fd, delay_ms;
};

static void *writer_main(void *p)
{
    struct writer_thread *w = (struct writer_thread *)p;
    ssize_t n;
    sleep_ms(w->delay_ms);
    n = write(w->fd, "x", 1);
    (void)n;
    return NULL;
}

static void act_remove_reader_cancel_other(struct cb *c)
{
    ck_assert_int_eq(coro_io_remove_reader(c->io), 0);
    ck_assert_int_eq(coro_loop_cancel(&loop, &c->other->h), 0);
}

START_TEST(test_fd_made_readable_by_another_thread_ends_the_wait_for_a_timer)
{
    int sv[2];
    static struct coro_io io;
    struct cb r, t;
    struct writer_thread w;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    later(cb_init(&t, "t", NULL), 2 * CORO_SEC);
    cb_init(&r, "r", act_remove_reader_cancel_other)->io = &io;
    r.other = &t;
    ck_assert_int_eq(coro_io_add_reader(&io, &r.h), 0);
    w.fd = sv[1];
    w.delay_ms = 5;
    ck_assert_int_eq(pthread_create(&w.th, NULL, writer_main, &w), 0);
    ck_assert_ran_out(run_out(20));
    pthread_join(w.th, NULL);
    ck_assert_trace("r");
    ck_assert_int_eq(t.runs, 0);
}
END_TEST

/* Python (the prelude's loop, with nothing scheduled):
 *     run(); a, b = pair()
 *     loop.add_reader(a, ev); loop.remove_reader(a); run()
 *     loop.add_writer(a, ev); loop.remove_writer(a); run()
 *     loop.add_reader(a, ev); loop.add_writer(a, ev)
 *     loop.remove_reader(a); loop.remove_writer(a); run()
 * CPython 3.11: (four empty lines: each run returns, nothing ran)
 */
START_TEST(test_run_forever_returns_when_nothing_is_registered_or_scheduled)
{
    int sv[2];
    static struct coro_io io;
    struct cb r, w;
    io_open(_i);
    ck_assert_ran_out(run_out(2));
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    cb_init(&r, "r", NULL);
    cb_init(&w, "w", NULL);
    ck_assert_int_eq(coro_io_add_reader(&io, &r.h), 0);
    ck_assert_int_eq(coro_io_remove_reader(&io), 0);
    ck_assert_ran_out(run_out(2));
    ck_assert_int_eq(coro_io_add_writer(&io, &w.h), 0);
    ck_assert_int_eq(coro_io_remove_writer(&io), 0);
    ck_assert_ran_out(run_out(2));
    ck_assert_int_eq(coro_io_add_reader(&io, &r.h), 0);
    ck_assert_int_eq(coro_io_add_writer(&io, &w.h), 0);
    coro_io_close(&io);                 /* both at once */
    ck_assert_ptr_null(coro_sel_get_key(&iol.sel, sv[0]));
    ck_assert_ran_out(run_out(2));
    ck_assert_trace("");
    ck_assert_int_eq(r.runs + w.runs, 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 2. add_reader / add_writer                                               */
/* ------------------------------------------------------------------------ */

/* Level-triggered: data left unread makes the reader run at every
 * iteration, once each.
 * Python:
 *     a, b = pair(); b.send(b'x'); n = 0
 *     def r():
 *         global n; n += 1; ev('r:%d@%d' % (n, it()))
 *         if n == 3: ev('rm', loop.remove_reader(a)); ev('rm', loop.remove_reader(a))
 *     loop.add_reader(a, r); run()
 * CPython 3.11: r:1@1 r:2@2 r:3@3 rm:True rm:False
 */
static void act_level(struct cb *c)
{
    trace("r:%d@%d", c->runs, iteration);
    if (c->runs == 3) {
        trace("rm:%s", pybool(coro_io_remove_reader(c->io)));
        trace("rm:%s", pybool(coro_io_remove_reader(c->io)));
    }
}

START_TEST(test_reader_runs_once_per_iteration_while_data_stays_unread_until_removed)
{
    int sv[2];
    static struct coro_io io;
    struct cb r;
    char buf[4];
    io_open(_i);
    pair(sv);
    send1(sv[1], "x");
    coro_io_init(&io, &loop, sv[0]);
    cb_init(&r, NULL, act_level)->io = &io;
    ck_assert_int_eq(coro_io_add_reader(&io, &r.h), 0);
    ck_assert_ran_out(run_out(20));
    ck_assert_trace("r:1@1 r:2@2 r:3@3 rm:True rm:False");
    ck_assert_ptr_null(coro_sel_get_key(&iol.sel, sv[0]));
    ck_assert_int_eq(recv(sv[0], buf, sizeof buf, 0), 1);        /* still there */
}
END_TEST

/* io.h: one callback per direction; a second is refused with CORO_EBUSY and
 * the first stays (asyncio's add_reader would replace it). */
START_TEST(test_second_add_reader_or_add_writer_is_ebusy_and_the_first_stays)
{
    int sv[2];
    static struct coro_io io;
    struct cb r1, r2, w1, w2;
    io_open(_i);
    pair(sv);
    send1(sv[1], "x");
    coro_io_init(&io, &loop, sv[0]);
    ck_assert_int_eq(coro_io_add_reader(&io, &cb_init(&r1, NULL, NULL)->h), 0);
    ck_assert_int_eq(coro_io_add_reader(&io, &cb_init(&r2, NULL, NULL)->h), CORO_EBUSY);
    ck_assert_int_eq(coro_io_add_reader(&io, &r1.h), CORO_EBUSY);
    ck_assert_int_eq(coro_io_add_writer(&io, &cb_init(&w1, NULL, NULL)->h), 0);
    ck_assert_int_eq(coro_io_add_writer(&io, &cb_init(&w2, NULL, NULL)->h), CORO_EBUSY);
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);
    ck_assert_int_eq(r1.runs, 1);
    ck_assert_int_eq(w1.runs, 1);
    ck_assert_int_eq(r2.runs + w2.runs, 0);
    ck_assert_int_eq(coro_io_remove_reader(&io), 0);
    ck_assert_int_eq(coro_io_remove_writer(&io), 0);
    ck_assert_int_eq(coro_io_remove_writer(&io), CORO_ENOKEY);
    ck_assert_ran_out(run_out(3));
    ck_assert_int_eq(r1.runs + w1.runs, 2);
}
END_TEST

/* A socketpair is writable at once: the writer runs in the first iteration,
 * long before a 200 ms timer.
 * Python:
 *     a, b = pair()
 *     t = loop.call_later(0.2, ev, 't')
 *     loop.add_writer(a, lambda: (ev('w@%d' % it()), loop.remove_writer(a), t.cancel()))
 *     run()
 * CPython 3.11: w@1
 */
static void act_remove_writer_cancel_other(struct cb *c)
{
    ck_assert_int_eq(coro_io_remove_writer(c->io), 0);
    ck_assert_int_eq(coro_loop_cancel(&loop, &c->other->h), 0);
}

START_TEST(test_writer_on_a_socketpair_runs_at_once)
{
    int sv[2];
    static struct coro_io io;
    struct cb w, t;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    later(cb_init(&t, "t", NULL), 200 * CORO_MSEC);
    cb_init(&w, "w", act_remove_writer_cancel_other)->io = &io;
    w.at_iter = 1;
    w.other = &t;
    ck_assert_int_eq(coro_io_add_writer(&io, &w.h), 0);
    ck_assert_ran_out(run_out(5));
    ck_assert_trace("w@1");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 3. CORO_IO_WAIT in a task                                                */
/* ------------------------------------------------------------------------ */

/* Python:
 *     a, b = pair()
 *     task(rd('r', a))
 *     loop.call_later(0.002, ev, 'e')
 *     loop.call_later(0.005, lambda: (ev('w'), b.send(b'x')))
 *     run()
 * CPython 3.11: r:wait e w r:got:x
 */
START_TEST(test_io_wait_resumes_when_the_fd_becomes_readable_not_before)
{
    int sv[2];
    static struct coro_io io;
    struct cb e, w;
    struct tk r;
    coro_time start;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&r, "r", &io, rd_body)->close = 1;
    start = coro_loop_time(&loop);
    later(cb_init(&e, "e", NULL), 2 * CORO_MSEC);
    later(cb_init(&w, "w", act_send_x), 5 * CORO_MSEC);
    w.fd = sv[1];
    ck_assert_ran_out(run_out(50));
    ck_assert_trace("r:wait e w r:got:x");
    ck_assert(w.loop_at >= start + 5 * CORO_MSEC);
    ck_assert_int_eq(coro_future_result(&r.task.fut, NULL), 0);
}
END_TEST

/* A task woken by its fd resumes as asyncio's sock_recv does: the reader
 * made ready by select runs in that batch (before the timers due in it) and
 * completes the future; the task resumes at the next iteration, after them.
 * Python:
 *     a, b = pair()
 *     task(rd('r', a))
 *     loop.call_later(0.001, lambda: (ev('w'), b.send(b'x'),
 *                                     loop.call_later(0.001, ev, 't'), spin(3)))
 *     run()
 * CPython 3.11: r:wait w t r:got:x
 */
START_TEST(test_task_woken_by_its_fd_resumes_after_the_timers_due_in_that_iteration)
{
    int sv[2];
    static struct coro_io io;
    struct cb w, t;
    struct tk r;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&r, "r", &io, rd_body)->close = 1;
    later(cb_init(&w, "w", act_send_x_later_spin3), CORO_MSEC);
    w.fd = sv[1];
    w.other = cb_init(&t, "t", NULL);
    ck_assert_ran_out(run_out(50));
    ck_assert_trace("r:wait w t r:got:x");
}
END_TEST

static void act_send_x_soon_other(struct cb *c)
{
    send1(c->fd, "x");
    soon(c->other);
}

/* asyncio: the fd's reader handle runs after what was ready before the
 * select, so what those schedule comes before the task it wakes. Python:
 *     async def reader(): T.append('r:wait'); await loop.sock_recv(a, 10); T.append('r:got')
 *     (w at 1 ms: b.send(b'x'); loop.call_soon(A)); A: loop.call_soon(X)
 * CPython 3.11: r:wait w A X r:got */
START_TEST(test_task_woken_by_its_fd_resumes_after_what_earlier_handles_scheduled)
{
    int sv[2];
    static struct coro_io io;
    struct cb w, a, x;
    struct tk r;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&r, "r", &io, rd_body)->close = 1;
    later(cb_init(&w, "w", act_send_x_soon_other), CORO_MSEC);
    w.fd = sv[1];
    w.other = cb_init(&a, "A", act_soon_other);
    a.other = cb_init(&x, "X", NULL);
    ck_assert_ran_out(run_out(50));
    ck_assert_trace("r:wait w A X r:got:x");
}
END_TEST

/* Two tasks waiting to read one fd: each readiness wakes one, in the order
 * they began to wait. asyncio allows one sock_recv per socket (a second
 * add_reader replaces the first), so the twin keeps coro's FIFO itself.
 * Python:
 *     R = collections.deque()
 *     def recv_first(s):          # dispatch(): the first waiter gets it
 *         R.popleft().set_result(s.recv(63))
 *         if not R: loop.remove_reader(s)
 *     async def fifo_rd(tag, s):
 *         ev(tag, 'wait'); fut = loop.create_future(); R.append(fut)
 *         loop.add_reader(s, recv_first, s)
 *         ev(tag, 'got', (await fut).decode())
 *     a, b = pair()
 *     task(fifo_rd('A', a)); task(fifo_rd('B', a))
 *     w2 = lambda: (ev('w2'), b.send(b'2'))
 *     loop.call_later(0.002, lambda: (ev('w1'), b.send(b'1'), loop.call_later(0.002, w2)))
 *     run()
 * CPython 3.11: A:wait B:wait w1 A:got:1 w2 B:got:2
 */
START_TEST(test_two_tasks_waiting_on_one_fd_wake_one_per_readiness_in_fifo_order)
{
    int sv[2];
    static struct coro_io io;
    struct cb w1, w2;
    struct tk a, b;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&a, "A", &io, rd_body);
    tk_start(&b, "B", &io, rd_body)->close = 1;
    later(cb_init(&w1, "w1", act_send_n), 2 * CORO_MSEC);
    w1.fd = sv[1];
    w1.n = 1;
    w1.other = cb_init(&w2, "w2", act_send_n);
    w2.fd = sv[1];
    w2.n = 2;
    ck_assert_ran_out(run_out(50));
    ck_assert_trace("A:wait B:wait w1 A:got:1 w2 B:got:2");
}
END_TEST

/* Python:
 *     a, b = pair()
 *     r = task(rd('r', a))
 *     loop.call_later(0.002, lambda: (ev('c'), r.cancel()))
 *     run(); print(r.cancelled(), len(loop._selector.get_map()))
 * CPython 3.11: r:wait c r:fin:cancelled
 *               True 1          (run_forever returned; only the self-pipe left)
 */
START_TEST(test_cancelling_a_task_waiting_on_an_fd_raises_ecancelled_and_drops_the_interest)
{
    int sv[2], st;
    static struct coro_io io;
    struct cb c;
    struct tk r;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&r, "r", &io, rd_body);
    later(cb_init(&c, "c", act_cancel_task), 2 * CORO_MSEC);
    c.task = &r.task;
    st = run_out(50);
    ck_assert_trace("r:wait c r:fin:cancelled");
    ck_assert(coro_future_cancelled(&r.task.fut));
    ck_assert_ran_out(st);
    ck_assert_ptr_null(coro_sel_get_key(&iol.sel, sv[0]));
}
END_TEST

/* The fd of a cancelled waiter becomes readable later: no callback, no task
 * runs, and the loop does not spin on it.
 * Python:
 *     a, b = pair()
 *     r = task(rd('r', a))
 *     w = lambda: (ev('w'), b.send(b'x'))
 *     loop.call_later(0.002, lambda: (ev('c'), r.cancel(), loop.call_later(0.002, w)))
 *     run()
 * CPython 3.11: r:wait c r:fin:cancelled w
 */
START_TEST(test_fd_of_a_cancelled_waiter_becoming_readable_does_not_make_the_loop_spin)
{
    int sv[2];
    static struct coro_io io;
    struct cb c, w;
    struct tk r;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&r, "r", &io, rd_body);
    later(cb_init(&c, "c", act_cancel_task), 2 * CORO_MSEC);
    c.task = &r.task;
    c.other = cb_init(&w, "w", act_send_x);
    w.fd = sv[1];
    ck_assert_ran_out(run_out(20));
    ck_assert_trace("r:wait c r:fin:cancelled w");
    ck_assert_ptr_null(coro_sel_get_key(&iol.sel, sv[0]));
}
END_TEST

/* A task that waited on an fd once and finished (without coro_io_close):
 * asyncio's sock_recv removed its reader when done, so run_forever returns.
 * Python:
 *     a, b = pair()
 *     task(rd('r', a))
 *     loop.call_later(0.002, lambda: (ev('w'), b.send(b'x')))
 *     run(); print(len(loop._selector.get_map()))
 * CPython 3.11: r:wait w r:got:x
 *               1               (run_forever returned; only the self-pipe left)
 */
START_TEST(test_finished_wait_leaves_no_interest_that_keeps_run_forever_waiting)
{
    int sv[2], st;
    static struct coro_io io;
    struct cb w;
    struct tk r;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&r, "r", &io, rd_body);
    later(cb_init(&w, "w", act_send_x), 2 * CORO_MSEC);
    w.fd = sv[1];
    st = run_out(50);
    ck_assert_trace("r:wait w r:got:x");
    ck_assert_ran_out(st);
}
END_TEST

/* io.h: coro_io_close wakes every task waiting on the fd with -EBADF, in
 * either direction, and unregisters it. (asyncio has no twin: closing a
 * socket under a pending sock_recv leaves it pending.) */
static void act_close_ios(struct cb *c)
{
    coro_io_close(c->io);
    coro_io_close(c->io2);
}

START_TEST(test_io_close_wakes_readers_and_writers_with_ebadf_and_unregisters)
{
    int sa[2], sb[2];
    static struct coro_io ioa, iob;
    struct cb x;
    struct tk a1, a2, w;
    io_open(_i);
    pair(sa);
    pair(sb);
    fill(sb[0]);
    coro_io_init(&ioa, &loop, sa[0]);
    coro_io_init(&iob, &loop, sb[0]);
    tk_start(&a1, "A1", &ioa, rd_body);
    tk_start(&a2, "A2", &ioa, rd_body);
    tk_start(&w, "W", &iob, wr_body);
    later(cb_init(&x, "x", act_close_ios), 2 * CORO_MSEC);
    x.io = &ioa;
    x.io2 = &iob;
    ck_assert_ran_out(run_out(20));
    ck_assert_trace("A1:wait A2:wait W:wait x A1:fin:EBADF A2:fin:EBADF W:fin:EBADF");
    ck_assert_int_eq(coro_future_result(&a1.task.fut, NULL), -EBADF);
    ck_assert_int_eq(coro_future_result(&w.task.fut, NULL), -EBADF);
    ck_assert_ptr_null(coro_sel_get_key(&iol.sel, sa[0]));
    ck_assert_ptr_null(coro_sel_get_key(&iol.sel, sb[0]));
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 4. sock_* helpers                                                        */
/* ------------------------------------------------------------------------ */

static int tcp_socket(void)
{
    int fd = track(socket(AF_INET, SOCK_STREAM, 0));
    ck_assert_int_eq(coro_sock_nonblocking(fd), 0);
    return fd;
}

/* A non-blocking listening socket on 127.0.0.1, port 0; *addr its address. */
static int tcp_listener(struct sockaddr_in *addr, int rcvbuf)
{
    int fd = tcp_socket(), one = 1;
    socklen_t len = sizeof *addr;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (rcvbuf)
        ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr->sin_port = 0;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
    return fd;
}

/* A blocking connect to addr (completes in the listener's backlog). */
static void tcp_connect_now(int fd, const struct sockaddr_in *addr)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    ck_assert_int_eq(connect(fd, (const struct sockaddr *)addr, sizeof *addr), 0);
    fcntl(fd, F_SETFL, fl);
}

/* A connected non-blocking TCP pair over 127.0.0.1. */
static void tcp_pair(int *client, int *server)
{
    struct sockaddr_in addr;
    int l = tcp_listener(&addr, 0);
    int fl;
    *client = tcp_socket();
    tcp_connect_now(*client, &addr);
    fl = fcntl(l, F_GETFL);
    fcntl(l, F_SETFL, fl & ~O_NONBLOCK);
    *server = track(accept(l, NULL, NULL));
    xclose(l);
    ck_assert_int_eq(coro_sock_nonblocking(*server), 0);
}

#define ECHO_N (1 << 20)
#define ECHO_CHUNK 65536
static unsigned char echo_out[ECHO_N], echo_srv[ECHO_N + 1], echo_back[ECHO_N + 1];

struct srv {
    struct coro_task task;
    struct coro_io *lio;
    struct coro_io io;
    int fd;
    size_t got, sent;
    ssize_t r;
    struct coro_try fin;     /* try: ... finally: of the body */
};

/* Accepts one connection, reads it slowly (1 ms between reads) until EOF,
 * sends it all back, closes. */
static int srv_body(struct coro *co)
{
    struct srv *f = (struct srv *)(void *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        CORO_SOCK_ACCEPT(co, f->lio, f->fd);
        coro_io_close(f->lio);              /* one connection only */
        track(f->fd);
        coro_io_init(&f->io, &loop, f->fd);
        for (;;) {
            CORO_SOCK_RECV(co, &f->io, echo_srv + f->got,
                           ECHO_N + 1 - f->got < ECHO_CHUNK ? ECHO_N + 1 - f->got : ECHO_CHUNK,
                           f->r);
            if (f->r == 0)
                break;
            f->got += (size_t)f->r;
            CORO_SLEEP(co, &loop, CORO_MSEC);
        }
        CORO_SOCK_SENDALL(co, &f->io, echo_srv, f->got, f->sent);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("S:fin:%s", ename(coro_error(&f->fin)));
        if (f->fd >= 0) {
            coro_io_close(&f->io);
            xclose(f->fd);
        }
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

struct cli {
    struct coro_task task;
    struct sockaddr_in addr;
    struct coro_io io;
    struct srv *srv;
    size_t sent, back, srv_got_when_sent;
    ssize_t r;
    struct coro_try fin;     /* try: ... finally: of the body */
};

/* Connects, sends ECHO_N bytes, shuts its side down, reads the echo until
 * EOF. */
static int cli_body(struct coro *co)
{
    struct cli *f = (struct cli *)(void *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        CORO_SOCK_CONNECT(co, &f->io, (const struct sockaddr *)&f->addr, sizeof f->addr);
        CORO_SOCK_SENDALL(co, &f->io, echo_out, ECHO_N, f->sent);
        f->srv_got_when_sent = f->srv->got;
        trace("sent:%lu", (unsigned long)f->sent);
        trace("waited:%s", f->srv_got_when_sent >= ECHO_N - (512u << 10) ? "True" : "False");
        ck_assert_int_eq(shutdown(f->io.fd, SHUT_WR), 0);
        for (;;) {
            CORO_SOCK_RECV(co, &f->io, echo_back + f->back, ECHO_N + 1 - f->back, f->r);
            if (f->r == 0)
                break;
            f->back += (size_t)f->r;
        }
        trace("eof:%lu", (unsigned long)f->back);
        trace("same:%s", f->back == ECHO_N && memcmp(echo_back, echo_out, ECHO_N) == 0
                             ? "True" : "False");
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("C:fin:%s", ename(coro_error(&f->fin)));
        coro_io_close(&f->io);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* sendall of 1 MB to a peer that reads slowly through small buffers: it
 * must wait for writability (the peer has read most of it when it returns);
 * recv until EOF returns 0.
 * Python:
 *     N = 1 << 20
 *     l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
 *     l.bind(('127.0.0.1', 0)); l.listen(); l.setblocking(False)
 *     data = bytes(i * 7 % 251 for i in range(N)); S = {}
 *     async def server():
 *         s, _ = await loop.sock_accept(l); s.setblocking(False); buf = bytearray()
 *         while True:
 *             d = await loop.sock_recv(s, 65536)
 *             if not d: break
 *             buf += d; S['got'] = len(buf); await asyncio.sleep(0.001)
 *         await loop.sock_sendall(s, buf); s.close()
 *     async def client():
 *         c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
 *         c.setblocking(False)
 *         await loop.sock_connect(c, l.getsockname())
 *         await loop.sock_sendall(c, data); ev('sent', len(data))
 *         ev('waited', S['got'] >= N - (512 << 10))
 *         c.shutdown(socket.SHUT_WR); back = bytearray()
 *         while True:
 *             d = await loop.sock_recv(c, 65536)
 *             if not d: break
 *             back += d
 *         ev('eof', len(back)); ev('same', back == data); c.close()
 *     task(server()); task(client()); run(); l.close()
 * CPython 3.11: sent:1048576 waited:True eof:1048576 same:True
 */
START_TEST(test_tcp_echo_sendall_1mb_waits_for_a_slow_reader_and_recv_returns_0_at_eof)
{
    static struct coro_io lio;
    static struct srv s;
    static struct cli c;
    int l, fd, buf = 16384;
    size_t i;
    io_open(_i);
    for (i = 0; i < ECHO_N; i++)
        echo_out[i] = (unsigned char)(i * 7 % 251);
    memset(&s, 0, sizeof s);
    memset(&c, 0, sizeof c);
    l = tcp_listener(&c.addr, buf);
    coro_io_init(&lio, &loop, l);
    fd = tcp_socket();
    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf), 0);
    coro_io_init(&c.io, &loop, fd);
    s.lio = &lio;
    s.fd = -1;
    c.srv = &s;
    ck_assert_int_eq(coro_task_start(&s.task, &loop, srv_body), 0);
    ck_assert_int_eq(coro_task_start(&c.task, &loop, cli_body), 0);
    ck_assert_ran_out(run_out_ms(1000000, 30000));
    coro_io_close(&lio);
    ck_assert_trace("sent:1048576 waited:True eof:1048576 same:True");
    ck_assert_int_eq(coro_future_result(&s.task.fut, NULL), 0);
    ck_assert_int_eq(coro_future_result(&c.task.fut, NULL), 0);
    ck_assert_uint_eq(s.sent, ECHO_N);
}
END_TEST

struct conn {
    struct coro_task task;
    const char *label;
    struct sockaddr_in addr;
    struct coro_io io;
    struct coro_try fin;     /* try: ... finally: of the body */
};

static int conn_body(struct coro *co)
{
    struct conn *f = (struct conn *)(void *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:connect", f->label);
        CORO_SOCK_CONNECT(co, &f->io, (const struct sockaddr *)&f->addr, sizeof f->addr);
        trace("%s:connected", f->label);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("%s:fin:%s", f->label, ename(coro_error(&f->fin)));
        coro_io_close(&f->io);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* Python:
 *     s = socket.socket(); s.bind(('127.0.0.1', 0)); addr = s.getsockname(); s.close()
 *     c = socket.socket(); c.setblocking(False)
 *     async def conn():
 *         try: ev('c', 'connect'); await loop.sock_connect(c, addr); ev('c', 'connected')
 *         except BaseException as e: ev('c', 'fin', name(e))
 *     task(conn()); run(); c.close()
 * CPython 3.11: c:connect c:fin:ECONNREFUSED
 */
START_TEST(test_connect_to_a_closed_port_raises_econnrefused_at_sock_connect)
{
    static struct conn c;
    socklen_t len = sizeof c.addr;
    int s;
    io_open(_i);
    memset(&c, 0, sizeof c);
    c.label = "c";
    s = tcp_socket();
    c.addr.sin_family = AF_INET;
    c.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&c.addr, sizeof c.addr), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&c.addr, &len), 0);
    xclose(s);                          /* nobody listens on that port now */
    coro_io_init(&c.io, &loop, tcp_socket());
    ck_assert_int_eq(coro_task_start(&c.task, &loop, conn_body), 0);
    ck_assert_ran_out(run_out(20));
    ck_assert_trace("c:connect c:fin:ECONNREFUSED");
    ck_assert_int_eq(coro_future_result(&c.task.fut, NULL), -ECONNREFUSED);
}
END_TEST

/* Python:
 *     l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()
 *     c = socket.create_connection(l.getsockname()); s, _ = l.accept(); c.setblocking(False)
 *     task(rd('r', c))
 *     def rst():
 *         ev('rst'); s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
 *         s.close()
 *     loop.call_later(0.002, rst); run()
 * CPython 3.11: r:wait rst r:fin:ECONNRESET
 */
static void act_reset(struct cb *c)
{
    struct linger lg;
    lg.l_onoff = 1;
    lg.l_linger = 0;
    ck_assert_int_eq(setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    xclose(c->fd);
}

START_TEST(test_reset_by_peer_raises_econnreset_at_sock_recv)
{
    int cfd, sfd;
    static struct coro_io io;
    struct cb x;
    struct tk r;
    io_open(_i);
    tcp_pair(&cfd, &sfd);
    coro_io_init(&io, &loop, cfd);
    tk_start(&r, "r", &io, srd_body)->close = 1;
    later(cb_init(&x, "rst", act_reset), 2 * CORO_MSEC);
    x.fd = sfd;
    ck_assert_ran_out(run_out(20));
    ck_assert_trace("r:wait rst r:fin:ECONNRESET");
    ck_assert_int_eq(coro_future_result(&r.task.fut, NULL), -ECONNRESET);
}
END_TEST

static char big[1 << 20];

static int sendall_body(struct coro *co)
{
    struct tk *f = TK(co);
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        trace("%s:send", f->label);
        CORO_SOCK_SENDALL(co, f->io, big, sizeof big, f->sent);
        trace("%s:sent", f->label);
    } CORO_FINALLY(co, &f->fin) {
        if (coro_error(&f->fin))
            trace("%s:fin:%s", f->label, ename(coro_error(&f->fin)));
        if (f->close)
            coro_io_close(f->io);
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* The peer closes while sendall waits for room: -EPIPE is raised there, and
 * no SIGPIPE (left at SIG_DFL here) kills the process.
 * Python:
 *     a, b = pair()
 *     async def wr():
 *         try: ev('w', 'send'); await loop.sock_sendall(a, bytes(1 << 20)); ev('w', 'sent')
 *         except BaseException as e: ev('w', 'fin', name(e))
 *     task(wr()); loop.call_later(0.002, lambda: (ev('close'), b.close())); run()
 * CPython 3.11: w:send close w:fin:EPIPE
 */
START_TEST(test_sendall_to_a_closed_peer_raises_epipe_without_sigpipe)
{
    int sv[2];
    static struct coro_io io;
    struct cb x;
    struct tk w;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&w, "w", &io, sendall_body)->close = 1;
    later(cb_init(&x, "close", act_close_fd), 2 * CORO_MSEC);
    x.fd = sv[1];
    ck_assert_ran_out(run_out(50));
    ck_assert_trace("w:send close w:fin:EPIPE");
    ck_assert_int_eq(coro_future_result(&w.task.fut, NULL), -EPIPE);
    ck_assert_uint_lt(w.sent, sizeof big);
}
END_TEST

/* accept with no fd left (RLIMIT_NOFILE lowered): -EMFILE is raised at
 * sock_accept (Linux refuses before it looks for a connection), and once the
 * limit is back the listener accepts again: it waits, a client connects, it
 * accepts.
 * Python:
 *     l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(); l.setblocking(False)
 *     c1 = socket.socket()
 *     soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
 *     f = os.dup(0); os.close(f); resource.setrlimit(resource.RLIMIT_NOFILE, (f, hard))
 *     async def main():
 *         for tag in 'AB':
 *             try:
 *                 ev(tag, 'accept'); s, _ = await loop.sock_accept(l); ev(tag, 'accepted'); s.close()
 *             except OSError as e:
 *                 ev(tag, 'fin', name(e)); resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
 *     task(main()); loop.call_later(0.002, lambda: (ev('c'), c1.connect(l.getsockname())))
 *     run()
 * CPython 3.11: A:accept A:fin:EMFILE B:accept c B:accepted
 */
struct acc_sub {
    struct coro co;
    struct coro_io *lio;
    int fd;
};

static int acc_sub_body(struct coro *co)
{
    struct acc_sub *s = (struct acc_sub *)(void *)co;
    CORO_BEGIN(co);
    CORO_SOCK_ACCEPT(co, s->lio, s->fd);
    CORO_RETURN(co, coro_int(s->fd));
    CORO_END(co);
}

struct acc {
    struct coro_task task;
    struct coro_io *lio;
    struct sockaddr_in addr;
    struct acc_sub sub;
    coro_value r;
    int i;
};

static int acc_body(struct coro *co)
{
    struct acc *f = (struct acc *)(void *)co;
    int err = 0;
    CORO_BEGIN(co);
    for (f->i = 0; f->i < 2; f->i++) {
        trace("%c:accept", "AB"[f->i]);
        memset(&f->sub, 0, sizeof f->sub);
        f->sub.lio = f->lio;
        coro_init(&f->sub.co, acc_sub_body);
        CORO_AWAIT_CATCH(co, &f->sub.co, f->r, err);
        if (err) {
            trace("%c:fin:%s", "AB"[f->i], ename(err));
            ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
            nofile_lowered = 0;
        } else {
            trace("%c:accepted", "AB"[f->i]);
            close((int)f->r.v.i);
        }
    }
    coro_io_close(f->lio);
    CORO_END(co);
}

static void act_connect(struct cb *c)
{
    struct acc *a = (struct acc *)(void *)c->task;
    tcp_connect_now(c->fd, &a->addr);
}

/* valgrind (3.19) hangs in accept4 when no fd is left: skipped under it. */
static int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

START_TEST(test_accept_with_emfile_raises_it_and_the_listener_still_accepts_afterwards)
{
    static struct coro_io lio;
    struct acc a;
    struct cb c;
    struct rlimit low;
    int l, c1, f;
    if (under_valgrind())
        return;
    io_open(_i);
    memset(&a, 0, sizeof a);
    l = tcp_listener(&a.addr, 0);
    coro_io_init(&lio, &loop, l);
    a.lio = &lio;
    c1 = tcp_socket();                  /* made before the limit drops */
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
    f = dup(0);                         /* the lowest free fd */
    ck_assert_int_ge(f, 0);
    close(f);
    low = saved_nofile;
    low.rlim_cur = (rlim_t)f;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    nofile_lowered = 1;
    ck_assert_int_eq(coro_task_start(&a.task, &loop, acc_body), 0);
    later(cb_init(&c, "c", act_connect), 2 * CORO_MSEC);
    c.fd = c1;
    c.task = &a.task;
    ck_assert_ran_out(run_out(50));
    coro_io_close(&lio);
    ck_assert_trace("A:accept A:fin:EMFILE B:accept c B:accepted");
    ck_assert_int_eq(nofile_lowered, 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 5. An fd unregistered in the middle of a dispatch batch                  */
/* ------------------------------------------------------------------------ */

/* Two fds ready in one select; whichever callback runs first removes the
 * other's reader: the other must not run in that batch (nor later).
 * Python:
 *     (a, a1), (b, b1) = pair(), pair(); a1.send(b'a'); b1.send(b'b')
 *     def first(me, other):
 *         ev(('first' if loop.remove_reader(other) else 'second') + '@%d' % it())
 *         loop.remove_reader(me)
 *     loop.add_reader(a, first, a, b); loop.add_reader(b, first, b, a)
 *     run()
 * CPython 3.11: first@1
 */
static void act_first(struct cb *c)
{
    trace("%s@%d", coro_io_remove_reader(c->io2) == 0 ? "first" : "second", iteration);
    ck_assert_int_eq(coro_io_remove_reader(c->io), 0);
}

START_TEST(test_reader_removed_by_an_earlier_callback_of_the_batch_does_not_run)
{
    int sa[2], sb[2];
    static struct coro_io ioa, iob;
    struct cb xa, xb;
    io_open(_i);
    pair(sa);
    pair(sb);
    send1(sa[1], "a");
    send1(sb[1], "b");
    coro_io_init(&ioa, &loop, sa[0]);
    coro_io_init(&iob, &loop, sb[0]);
    cb_init(&xa, NULL, act_first);
    xa.io = &ioa;
    xa.io2 = &iob;
    cb_init(&xb, NULL, act_first);
    xb.io = &iob;
    xb.io2 = &ioa;
    ck_assert_int_eq(coro_io_add_reader(&ioa, &xa.h), 0);
    ck_assert_int_eq(coro_io_add_reader(&iob, &xb.h), 0);
    ck_assert_ran_out(run_out(10));
    ck_assert_trace("first@1");
    ck_assert_int_eq(xa.runs + xb.runs, 1);
}
END_TEST

/* ... and closes that fd, and gives its number to a new socket with its own
 * coro_io and reader: neither the old reader nor the new one runs in that
 * batch; the new one runs at the next iteration.
 * Python:
 *     (a, a1), (b, b1) = pair(), pair(); a1.send(b'a'); b1.send(b'b'); keep = []
 *     def new(s): ev('new@%d' % it()); loop.remove_reader(s)
 *     def first(me, other):
 *         ev(('first' if loop.remove_reader(other) else 'second') + '@%d' % it())
 *         loop.remove_reader(me)
 *         n0, n1 = socket.socketpair()
 *         num = other.fileno(); other.close(); os.dup2(n0.fileno(), num); n0.close()
 *         s = socket.socket(fileno=num); s.setblocking(False); n1.send(b'n')
 *         keep.extend([s, n1]); loop.add_reader(s, new, s)
 *     loop.add_reader(a, first, a, b); loop.add_reader(b, first, b, a)
 *     run()
 * CPython 3.11: first@1 new@2
 */
static struct coro_io reuse_io;
static struct cb reuse_cb;

/* Closes io's fd (after coro_io_close) and puts a new socket, with "n" to
 * read, under the same number, watched by reuse_io / reuse_cb. */
static void reuse_fd_number(struct coro_io *io)
{
    int n[2], num = io->fd;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, n), 0);
    track(n[1]);
    coro_io_close(io);
    close(num);                         /* stays tracked: dup2 reuses it */
    ck_assert_int_eq(dup2(n[0], num), num);
    close(n[0]);
    ck_assert_int_eq(coro_sock_nonblocking(num), 0);
    send1(n[1], "n");
    coro_io_init(&reuse_io, &loop, num);
    ck_assert_int_eq(coro_io_add_reader(&reuse_io, &reuse_cb.h), 0);
}

static void act_first_reuse(struct cb *c)
{
    act_first(c);
    reuse_fd_number(c->io2);
}

START_TEST(test_fd_closed_and_its_number_reused_in_the_batch_only_the_new_reader_runs_next)
{
    int sa[2], sb[2];
    static struct coro_io ioa, iob;
    struct cb xa, xb;
    io_open(_i);
    pair(sa);
    pair(sb);
    send1(sa[1], "a");
    send1(sb[1], "b");
    coro_io_init(&ioa, &loop, sa[0]);
    coro_io_init(&iob, &loop, sb[0]);
    cb_init(&xa, NULL, act_first_reuse);
    xa.io = &ioa;
    xa.io2 = &iob;
    cb_init(&xb, NULL, act_first_reuse);
    xb.io = &iob;
    xb.io2 = &ioa;
    cb_init(&reuse_cb, "new", act_remove_reader)->io = &reuse_io;
    reuse_cb.at_iter = 1;
    ck_assert_int_eq(coro_io_add_reader(&ioa, &xa.h), 0);
    ck_assert_int_eq(coro_io_add_reader(&iob, &xb.h), 0);
    ck_assert_ran_out(run_out(10));
    ck_assert_trace("first@1 new@2");
    ck_assert_int_eq(xa.runs + xb.runs, 1);
}
END_TEST

/* The same for a task waiting on the other fd, which the select woke in the
 * same batch: the callback before it closes that fd (coro_io_close, io.h:
 * "every task waiting on it gets -EBADF at its await") and reuses the
 * number. The task must get -EBADF, not resume as if its fd were readable
 * (it would read the new socket's data); the new socket's reader runs later.
 * No asyncio twin: there, remove_reader under a pending sock_recv leaves it
 * pending forever. */
static void act_close_other_reuse(struct cb *c)
{
    trace("x@%d", iteration);
    ck_assert_int_eq(coro_io_remove_reader(c->io), 0);
    reuse_fd_number(c->io2);
}

START_TEST(test_task_whose_fd_is_closed_in_the_batch_that_woke_it_gets_ebadf)
{
    int sa[2], sb[2], st;
    static struct coro_io ioa, iob;
    struct cb x;
    struct tk t;
    io_open(_i);
    pair(sa);                           /* sa[0] < sb[0], registered first, */
    pair(sb);                           /* written first: reported first */
    coro_io_init(&ioa, &loop, sa[0]);
    coro_io_init(&iob, &loop, sb[0]);
    cb_init(&x, NULL, act_close_other_reuse);
    x.io = &ioa;
    x.io2 = &iob;
    ck_assert_int_eq(coro_io_add_reader(&ioa, &x.h), 0);
    tk_start(&t, "T", &iob, rd_body);
    cb_init(&reuse_cb, "new", act_remove_reader)->io = &reuse_io;
    iteration = 1;
    ck_assert_int_eq(coro_loop_run_once(&loop), 1);     /* T:wait */
    send1(sa[1], "a");
    send1(sb[1], "b");
    st = run_out(10);
    ck_assert_trace("T:wait x@2 T:fin:EBADF new");
    ck_assert_ran_out(st);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 6. coro_loop_wakeup                                                      */
/* ------------------------------------------------------------------------ */

/* A watchdog for loops that only stop from outside: the guard writes to
 * wd[1]; the reader of wd[0] records "watchdog" and stops the loop. */
static struct coro_io wd_io;
static struct cb wd_cb;

static void watchdog(int wd[2])
{
    pair(wd);
    coro_io_init(&wd_io, &loop, wd[0]);
    cb_init(&wd_cb, "watchdog", act_stop);
    ck_assert_int_eq(coro_io_add_reader(&wd_io, &wd_cb.h), 0);
    guard_wfd = wd[1];
}

static void watchdog_off(void)
{
    guard_wfd = -1;
    coro_io_close(&wd_io);
}

struct waker {
    pthread_t th;
    int delay_ms, count, rc, sig;
    pthread_t target;
    coro_time at;                   /* when it called coro_loop_wakeup */
};

static void *waker_main(void *p)
{
    struct waker *w = (struct waker *)p;
    int i;
    sleep_ms(w->delay_ms);
    w->at = now_ns();
    for (i = 0; i < w->count; i++) {
        if (w->sig)
            w->rc |= pthread_kill(w->target, w->sig);
        else
            w->rc |= coro_loop_wakeup(&loop);
    }
    return NULL;
}

/* Python (asyncio's own loop: with on_wakeup set the loop waits even with
 * nothing else to do):
 *     loop = asyncio.new_event_loop()
 *     def on_wakeup(): ev('on_wakeup'); loop.stop()
 *     def th(): time.sleep(0.02); ev('wakeup'); loop.call_soon_threadsafe(on_wakeup)
 *     t = threading.Thread(target=th); t.start(); loop.run_forever(); t.join(); done()
 * CPython 3.11: wakeup on_wakeup
 * (the C trace has no "wakeup": the thread does not write the trace)
 */
START_TEST(test_wakeup_from_another_thread_ends_the_selector_wait_and_runs_on_wakeup_once)
{
    int wd[2];
    struct cb ow;
    struct waker w;
    io_open(_i);
    watchdog(wd);
    cb_init(&ow, "on_wakeup", act_stop);
    iol.on_wakeup = &ow.h;
    memset(&w, 0, sizeof w);
    w.delay_ms = 20;
    w.count = 1;
    ck_assert_int_eq(pthread_create(&w.th, NULL, waker_main, &w), 0);
    run_forever_guarded();
    pthread_join(w.th, NULL);
    watchdog_off();
    ck_assert_int_eq(w.rc, 0);
    ck_assert_trace("on_wakeup");
    ck_assert(ow.at >= w.at);                           /* not before the call */
    ck_assert_msg(ow.at - w.at < CORO_SEC, "[%s] on_wakeup %lld ns after the wakeup",
                  backend, (long long)(ow.at - w.at));   /* promptly (loosely) */
}
END_TEST

/* io.h: "run iol->on_wakeup (if set) once, however many wakeups came"; and
 * once drained, the next wakeup runs it again. (asyncio's
 * call_soon_threadsafe would run it once per call: no twin.) */
static void act_on_wakeup_then_stop_later(struct cb *c)
{
    later(c->other, 5 * CORO_MSEC);     /* time for a second on_wakeup */
}

START_TEST(test_many_wakeups_before_the_loop_runs_give_one_on_wakeup)
{
    int wd[2], i;
    struct cb ow, stop;
    io_open(_i);
    watchdog(wd);
    cb_init(&stop, "stop", act_stop);
    cb_init(&ow, "on_wakeup", act_on_wakeup_then_stop_later)->other = &stop;
    iol.on_wakeup = &ow.h;
    for (i = 0; i < 1000; i++)
        ck_assert_int_eq(coro_loop_wakeup(&loop), 0);
    run_forever_guarded();
    ck_assert_trace("on_wakeup stop");
    ck_assert_int_eq(coro_loop_wakeup(&loop), 0);
    ck_assert_int_eq(coro_loop_wakeup(&loop), 0);
    run_forever_guarded();
    watchdog_off();
    ck_assert_trace("on_wakeup stop on_wakeup stop");
    ck_assert_int_eq(ow.runs, 2);
}
END_TEST

/* A signal handler that calls coro_loop_wakeup (signal-safe).
 * Python (asyncio's own loop):
 *     loop = asyncio.new_event_loop()
 *     def on_wakeup(): ev('on_wakeup'); loop.stop()
 *     signal.signal(signal.SIGUSR1, lambda *a: loop.call_soon_threadsafe(on_wakeup))
 *     loop.call_soon(lambda: (ev('raise'), signal.raise_signal(signal.SIGUSR1), ev('raised')))
 *     loop.run_forever(); done()
 * CPython 3.11: raise raised on_wakeup
 */
static volatile sig_atomic_t usr1_rc = 1;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_rc = coro_loop_wakeup(&loop);  /* keeps errno */
}

static void install_usr1(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    usr1_rc = 1;
}

static void act_raise(struct cb *c)
{
    (void)c;
    errno = 1234;
    raise(SIGUSR1);
    ck_assert_int_eq(errno, 1234);
    trace("raised");
}

START_TEST(test_wakeup_from_a_signal_handler_runs_on_wakeup)
{
    int wd[2];
    struct cb ow, r;
    io_open(_i);
    watchdog(wd);
    install_usr1();
    cb_init(&ow, "on_wakeup", act_stop);
    iol.on_wakeup = &ow.h;
    soon(cb_init(&r, "raise", act_raise));
    run_forever_guarded();
    watchdog_off();
    ck_assert_trace("raise raised on_wakeup");
    ck_assert_int_eq(usr1_rc, 0);
}
END_TEST

/* The signal comes while the loop waits in the selector with no timer (sent
 * to the loop's thread by another): the wait is interrupted, and it ends on
 * the wakeup fd, not by running out of time. */
START_TEST(test_wakeup_from_a_signal_during_the_selector_wait_runs_on_wakeup)
{
    int wd[2];
    struct cb ow;
    struct waker w;
    io_open(_i);
    watchdog(wd);
    install_usr1();
    cb_init(&ow, "on_wakeup", act_stop);
    iol.on_wakeup = &ow.h;
    memset(&w, 0, sizeof w);
    w.delay_ms = 20;
    w.count = 1;
    w.sig = SIGUSR1;
    w.target = pthread_self();
    ck_assert_int_eq(pthread_create(&w.th, NULL, waker_main, &w), 0);
    run_forever_guarded();
    pthread_join(w.th, NULL);
    watchdog_off();
    ck_assert_int_eq(w.rc, 0);
    ck_assert_trace("on_wakeup");
    ck_assert_int_eq(usr1_rc, 0);
    ck_assert(ow.at >= w.at);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* 7. Misuse                                                                */
/* ------------------------------------------------------------------------ */

struct gen {
    struct coro co;
    struct coro_io *io;
};

static int gen_body(struct coro *co)
{
    struct gen *g = (struct gen *)(void *)co;
    CORO_BEGIN(co);
    CORO_IO_WAIT(co, g->io, CORO_EVENT_READ);
    trace("gen:woke");
    CORO_END(co);
}

/* A plain generator (no task) reaching CORO_IO_WAIT: CORO_ENOTASK is raised,
 * and the failed wait leaves nothing registered (else run_forever would wait
 * on an fd nobody waits for). */
START_TEST(test_io_wait_outside_a_task_raises_enotask_and_registers_nothing)
{
    int sv[2];
    static struct coro_io io;
    struct gen g;
    coro_value v;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    g.io = &io;
    coro_init(&g.co, gen_body);
    ck_assert_int_eq(coro_next(&g.co, &v), CORO_ENOTASK);
    ck_assert_trace("");
    ck_assert_ptr_null(coro_sel_get_key(&iol.sel, sv[0]));
    ck_assert_ran_out(run_out(3));
}
END_TEST

/* CORO_IO_WAIT for no event or for both at once: CORO_EINVAL raised, nothing
 * registered. */
START_TEST(test_io_wait_for_a_bad_event_raises_einval)
{
    int sv[2];
    static struct coro_io io;
    struct tk a, b;
    io_open(_i);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&a, "a", &io, wait_event_body)->event = 0;
    tk_start(&b, "b", &io, wait_event_body)->event = CORO_EVENT_READ | CORO_EVENT_WRITE;
    ck_assert_ran_out(run_out(5));
    ck_assert_trace("a:fin:inval b:fin:inval");
    ck_assert_ptr_null(coro_sel_get_key(&iol.sel, sv[0]));
}
END_TEST

/* A loop without a selector (the plain loop of loop.h): CORO_IO_WAIT in a
 * task raises CORO_EINVAL, coro_loop_wakeup is CORO_EINVAL, and so are
 * add_reader / add_writer (with nothing registered anywhere). */
START_TEST(test_loop_without_a_selector_is_einval)
{
    int sv[2];
    static struct coro_io io;
    struct cb r, w;
    struct tk a;
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    pair(sv);
    coro_io_init(&io, &loop, sv[0]);
    tk_start(&a, "a", &io, wait_event_body)->event = CORO_EVENT_READ;
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &a.task.fut, NULL), CORO_EINVAL);
    ck_assert_trace("a:fin:inval");
    ck_assert_int_eq(coro_loop_wakeup(&loop), CORO_EINVAL);
    ck_assert_int_eq(coro_io_add_reader(&io, &cb_init(&r, "r", NULL)->h), CORO_EINVAL);
    ck_assert_int_eq(coro_io_add_writer(&io, &cb_init(&w, "w", NULL)->h), CORO_EINVAL);
    ck_assert_int_eq(coro_io_remove_reader(&io), CORO_ENOKEY);
    ck_assert_int_eq(io.events, 0);
    coro_io_close(&io);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);
}
END_TEST

static int is_a_backend(const char *name)
{
    const char *const *names = coro_sel_backends();
    int i;
    for (i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* An unknown (or unavailable here) backend, max_fds < 1, NULL arguments:
 * CORO_EINVAL, and nothing is left open: no fd, no selector on the loop, its
 * clock unchanged. A good open then close leaves no fd either, and the loop
 * back on the monotonic clock. */
START_TEST(test_open_with_an_unknown_backend_is_einval_and_leaves_nothing_open)
{
    static const char *const bad[] = { "nosuch", "", "EPOLL", "kqueue", "devpoll" };
    int before, i;
    backend = coro_sel_backends()[_i];
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    before = count_open_fds();
    for (i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
        if (is_a_backend(bad[i]))
            continue;
        ck_assert_int_eq(coro_io_loop_open(&iol, &loop, bad[i], 64), CORO_EINVAL);
        ck_assert_int_eq(count_open_fds(), before);
        ck_assert_ptr_null(loop.data);
        ck_assert_ptr_eq(loop.clock, &coro_clock_virtual);
    }
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, backend, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, backend, -1), CORO_EINVAL);
    ck_assert_int_eq(coro_io_loop_open(NULL, &loop, backend, 64), CORO_EINVAL);
    ck_assert_int_eq(coro_io_loop_open(&iol, NULL, backend, 64), CORO_EINVAL);
    ck_assert_int_eq(count_open_fds(), before);
    ck_assert_ptr_null(loop.data);
    ck_assert_ptr_eq(loop.clock, &coro_clock_virtual);
    ck_assert_int_eq(coro_loop_wakeup(&loop), CORO_EINVAL);

    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, backend, 64), 0);
    ck_assert_int_gt(count_open_fds(), before);
    coro_io_loop_close(&iol, &loop);
    ck_assert_int_eq(count_open_fds(), before);
    ck_assert_ptr_null(loop.data);
    ck_assert_ptr_eq(loop.clock, &coro_clock_monotonic);
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

static Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *tc;
    n_backends = nbackends();

    tc = tcase(s, "loop");
    ADD(tc, test_ready_callbacks_io_and_due_timers_run_in_one_batch_in_that_order);
    ADD(tc, test_reader_made_ready_runs_before_the_timer_that_fell_due_meanwhile);
    ADD(tc, test_io_is_polled_at_every_iteration_even_while_a_task_keeps_the_loop_busy);
    ADD(tc, test_timer_with_nothing_registered_fires_after_its_delay_then_run_returns);
    ADD(tc, test_fd_made_readable_by_another_thread_ends_the_wait_for_a_timer);
    ADD(tc, test_run_forever_returns_when_nothing_is_registered_or_scheduled);

    tc = tcase(s, "callbacks");
    ADD(tc, test_reader_runs_once_per_iteration_while_data_stays_unread_until_removed);
    ADD(tc, test_second_add_reader_or_add_writer_is_ebusy_and_the_first_stays);
    ADD(tc, test_writer_on_a_socketpair_runs_at_once);

    tc = tcase(s, "wait");
    ADD(tc, test_io_wait_resumes_when_the_fd_becomes_readable_not_before);
    ADD(tc, test_task_woken_by_its_fd_resumes_after_the_timers_due_in_that_iteration);
    ADD(tc, test_task_woken_by_its_fd_resumes_after_what_earlier_handles_scheduled);
    ADD(tc, test_two_tasks_waiting_on_one_fd_wake_one_per_readiness_in_fifo_order);
    ADD(tc, test_cancelling_a_task_waiting_on_an_fd_raises_ecancelled_and_drops_the_interest);
    ADD(tc, test_fd_of_a_cancelled_waiter_becoming_readable_does_not_make_the_loop_spin);
    ADD(tc, test_finished_wait_leaves_no_interest_that_keeps_run_forever_waiting);
    ADD(tc, test_io_close_wakes_readers_and_writers_with_ebadf_and_unregisters);

    tc = tcase(s, "sock");
    ADD(tc, test_tcp_echo_sendall_1mb_waits_for_a_slow_reader_and_recv_returns_0_at_eof);
    ADD(tc, test_connect_to_a_closed_port_raises_econnrefused_at_sock_connect);
    ADD(tc, test_reset_by_peer_raises_econnreset_at_sock_recv);
    ADD(tc, test_sendall_to_a_closed_peer_raises_epipe_without_sigpipe);
    ADD(tc, test_accept_with_emfile_raises_it_and_the_listener_still_accepts_afterwards);

    tc = tcase(s, "batch");
    ADD(tc, test_reader_removed_by_an_earlier_callback_of_the_batch_does_not_run);
    ADD(tc, test_fd_closed_and_its_number_reused_in_the_batch_only_the_new_reader_runs_next);
    ADD(tc, test_task_whose_fd_is_closed_in_the_batch_that_woke_it_gets_ebadf);

    tc = tcase(s, "wakeup");
    ADD(tc, test_wakeup_from_another_thread_ends_the_selector_wait_and_runs_on_wakeup_once);
    ADD(tc, test_many_wakeups_before_the_loop_runs_give_one_on_wakeup);
    ADD(tc, test_wakeup_from_a_signal_handler_runs_on_wakeup);
    ADD(tc, test_wakeup_from_a_signal_during_the_selector_wait_runs_on_wakeup);

    tc = tcase(s, "misuse");
    ADD(tc, test_io_wait_outside_a_task_raises_enotask_and_registers_nothing);
    ADD(tc, test_io_wait_for_a_bad_event_raises_einval);
    tcase_add_test(tc, test_loop_without_a_selector_is_einval);
    ADD(tc, test_open_with_an_unknown_backend_is_einval_and_leaves_nothing_open);

    return s;
}

int main(void)
{
    return check_run(io_suite());
}
