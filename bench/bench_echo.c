/* SPDX-License-Identifier: MIT */
/*
 * bench_echo.c -- coro's selector loop as an echo server over loopback, next
 * to a hand-written epoll loop and libuv measured in the same run; and the
 * same coro server on the io_uring driver, next to a hand-written io_uring
 * server.
 *
 *   Five servers, each in a child process of its own with its own listening
 *   socket on 127.0.0.1 (an ephemeral port), all echoing what they read:
 *     coro   the selector loop (coro_io_loop_open, the default backend:
 *            epoll), an accept task doing CORO_SOCK_ACCEPT and one task per
 *            connection doing CORO_SOCK_RECV / CORO_SOCK_SENDALL in a loop
 *            (the frame and body of demos/echo_server.c: calloc'd at accept,
 *            on a list of live connections, freed by a done callback of its
 *            task; the accept task is simpler: an accept error is fatal);
 *     coro-uring  the same on the "uring" selector (selectors/uring.c: a
 *            poll per fd, one io_uring_enter per iteration);
 *     epoll  a minimal hand-written loop: level-triggered, non-blocking, one
 *            read and one write per readiness (EPOLLOUT only after a short
 *            write), a batch of CORO_IO_BATCH events per epoll_wait as coro;
 *     libuv  uv_tcp_t, uv_listen, uv_read_start, uv_write; the connection's
 *            read buffer and its write request live in one malloc'd struct;
 *     uring  a minimal hand-written io_uring loop, completions: one recv in
 *            flight per connection, a send on its completion, a multishot
 *            accept, one io_uring_submit_and_wait per iteration (built with
 *            liburing only).
 *   Every server reads into a read buffer of ECHO_BUF bytes per connection.
 *
 *   One load client (this process, its own epoll loop) drives all the
 *   connections: each connection sends 64 bytes, waits for their echo
 *   (checked byte by byte), and sends again. The client is the same code for
 *   every server. A run connects N connections (100, then 1,000) to each
 *   server, warms each up for 0.1 s, then drives the servers in turn, in
 *   slices: coro 200 ms, epoll 200 ms, libuv 200 ms, coro-uring 200 ms, uring
 *   200 ms, coro ..., 10 slices each
 *   (-d 2: 2 s counted per server and run). A slice sends a ping on every
 *   connection of one server, counts round trips from 20 ms in for 200 ms,
 *   then sends no more and lets the last echoes come back, so that the server
 *   is idle before the next one is driven. The other servers' connections
 *   stay open and idle meanwhile. At the end of a run the connections are
 *   closed cleanly (nothing in flight) and the servers close their side.
 *   Figure: round trips per second over a run's slices. Also printed: the
 *   server's CPU time per round trip (its process CPU clock, user + system:
 *   the steadiest figure when other work shares the machine), how busy it
 *   was, and the client's CPU time per round trip.
 *
 *   The machine has 2 cores: by default the client is pinned to CPU 0 and
 *   every server to CPU 1, so that the server under load has a core of its
 *   own (--no-pin: leave it to the scheduler). Slices of 200 ms interleave
 *   the servers finely, so that a change of clock speed or a neighbour's load
 *   hits all three; each figure is the median of the runs (-r, default 3),
 *   the spread (min..max) is printed under it, with the spread of the ratios
 *   taken within each run.
 *
 *   Memory per connection: the sizes of the per-connection structures
 *   beyond the read buffer (coro: the task frame, which holds struct
 *   coro_task and struct coro_io; libuv: uv_tcp_t + uv_write_t; epoll: its
 *   connection struct), and, first of all while the servers are fresh, the
 *   growth of each server's anonymous resident memory (RssAnon in
 *   /proc/PID/status) around accepting 1,000 idle connections.
 *
 *   Every child stops by itself: when this process closes its control pipe
 *   (or dies: PR_SET_PDEATHSIG), and at the latest after a hard timeout
 *   (alarm). This process has a hard timeout too. RLIMIT_NOFILE's soft limit
 *   is raised to the hard limit.
 *
 *   bench_echo [-r REPS] [-d SECONDS] [-v] [--only coro|epoll|libuv|coro-uring|uring]
 *              [--no-pin]
 *     -r      runs (default 3)
 *     -d      seconds counted per server and run (default 2: 10 slices)
 *     -v      print every run
 *     --only  run one server (e.g. under perf: its process is named
 *             echo-coro, echo-epoll, echo-libuv, echo-coro-uring or echo-uring)
 *     --no-pin  do not pin the client and the servers to CPUs
 */
#define _GNU_SOURCE 1

#include "io.h"

#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ECHO_BUF      2048      /* read buffer per connection, every server (as
                                   demos/echo_server.c) */
#define MSG           64        /* bytes per ping */
#define MAX_REPS      15
#define WARMUP_NS     100000000LL       /* per server, after connecting */
#define SLICE_NS      200000000LL       /* counted per slice */
#define SLICE_WARM_NS 20000000LL        /* not counted, at the start of a slice */
#define DRAIN_NS      3000000000LL      /* last pings back, server idle */
#define CONNECT_NS    10000000000LL     /* all connections accepted */
#define MEM_CONNS     1000
#define CLIENT_BATCH  256
#define EPOLL_BATCH   CORO_IO_BATCH

#define container_of(p, type, member) \
    ((type *)(void *)((char *)(p) - offsetof(type, member)))

static const int conn_counts[] = { 100, 1000 };
#define NCOUNTS ((int)(sizeof conn_counts / sizeof conn_counts[0]))

enum { S_CORO, S_EPOLL, S_LIBUV, S_CURING, S_URING, NSERV };
static const char *const names[NSERV] = { "coro", "epoll", "libuv", "coro-uring", "uring" };
#define ALL_SERVERS ((1u << NSERV) - 1)

/* What a server tells this process, in shared memory. Written by the server
 * only (single-threaded), read here. */
struct srv_stats {
    volatile long accepted;     /* connections accepted so far */
    volatile long open;         /* connections open now */
    volatile long errors;       /* connections that ended with an error */
    volatile long slow;         /* libuv: reads that came while a write was
                                   in flight (ping-pong: never) */
    volatile long fatal;        /* the server could not go on */
};

static struct srv_stats *stats;     /* NSERV of them, shared */
static int verbose;
static unsigned hard_timeout;       /* seconds: this process; a server gets 60
                                       more */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t cpu_of(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_echo: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Anonymous resident memory of a process, in bytes (RssAnon in
 * /proc/PID/status): the heap, not the code pages that a first accept, a
 * first malloc pull in. */
static double rss_anon_of(pid_t pid)
{
    char path[64], line[256];
    double kb = 0;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (!(f = fopen(path, "r")))
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %lf", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct stat3 { double med, min, max; };

static struct stat3 summarize(const double *v, int n)
{
    double s[MAX_REPS];
    struct stat3 r;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    r.min = s[0];
    r.max = s[n - 1];
    return r;
}

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        fprintf(stderr, "bench_echo: sched_setaffinity(%d): %s\n", cpu, strerror(errno));
}

/* ------------------------------------------------------------------------ */
/* Server 1: coro's selector loop, a task per connection                    */
/* ------------------------------------------------------------------------ */

static struct coro_loop cloop;
static struct coro_io_loop ciol;
static struct srv_stats *me;        /* this server's stats (in a child) */

/* async def handle(sock):
 *     while data := await loop.sock_recv(sock, ECHO_BUF):
 *         await loop.sock_sendall(sock, data)
 *     finally: sock.close() */
struct conn {
    struct coro_task task;
    struct coro_io io;
    struct coro_handle done;        /* frees the frame once the task is done */
    struct conn *prev, *next;       /* the live connections (for a shutdown) */
    ssize_t n;
    size_t sent;
    char buf[ECHO_BUF];
    struct coro_try fin;     /* try: ... finally: of the body */
};

static int conn_body(struct coro *co)
{
    struct conn *c = (struct conn *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &c->fin) {
        for (;;) {
            CORO_SOCK_RECV(co, &c->io, c->buf, sizeof c->buf, c->n);
            if (c->n == 0)
                break;
            CORO_SOCK_SENDALL(co, &c->io, c->buf, (size_t)c->n, c->sent);
            /* the peer answers what we sent: wait for it rather than trying a
             * recv that would only say EAGAIN (one system call per round trip) */
            CORO_IO_WAIT(co, &c->io, CORO_EVENT_READ);
        }
    } CORO_FINALLY(co, &c->fin) {
        if (coro_error(&c->fin))
            me->errors++;
        close(coro_io_close(&c->io));
        me->open--;
    } CORO_END_TRY(co, &c->fin);
    CORO_END(co);
}

static struct conn *live;           /* the live connections */

static void conn_free(struct coro_handle *h)
{
    struct conn *c = container_of(h, struct conn, done);
    if (c->prev)
        c->prev->next = c->next;
    else
        live = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
}

/* async def server(): while True: fd = await loop.sock_accept(listener);
 * ensure_future(handle(fd)) */
struct acceptor {
    struct coro_task task;
    struct coro_io io;
    int fd;
    struct coro_try fin;     /* try: ... finally: of the body */
};

static int acceptor_body(struct coro *co)
{
    struct acceptor *a = (struct acceptor *)co;
    struct conn *c;
    CORO_BEGIN(co);
    CORO_TRY(co, &a->fin) {
        for (;;) {
            CORO_SOCK_ACCEPT(co, &a->io, a->fd);
            c = (struct conn *)calloc(1, sizeof *c);
            if (!c) {
                close(a->fd);
                CORO_RAISE(co, -ENOMEM);
            }
            coro_io_init(&c->io, &cloop, a->fd);
            coro_task_start(&c->task, &cloop, conn_body);
            coro_handle_init(&c->done, conn_free);
            coro_future_add_done_callback(&c->task.fut, &c->done);
            c->next = live;
            if (c->next)
                c->next->prev = c;
            live = c;
            me->accepted++;
            me->open++;
        }
    } CORO_FINALLY(co, &a->fin) {
        if (coro_error(&a->fin)) {
            fprintf(stderr, "bench_echo: coro acceptor: %s (%d)\n",
                    coro_error(&a->fin) <= -4000 ? coro_strerror(coro_error(&a->fin))
                                              : strerror(-coro_error(&a->fin)),
                    coro_error(&a->fin));
            me->fatal = 1;
            coro_loop_stop(&cloop);
        }
    } CORO_END_TRY(co, &a->fin);
    CORO_END(co);
}

static void coro_ctl(struct coro_handle *h)
{
    (void)h;
    coro_loop_stop(&cloop);         /* the control pipe: EOF, time to go */
}

/* The coro server on `backend` (NULL: the default), which should be
 * `expect`. */
static int serve_coro(int lfd, int ctl_fd, int max_fds, const char *backend, const char *expect)
{
    static struct acceptor acc;
    static struct coro_io ctl_io;
    static struct coro_handle ctl_h;
    int rc;
    coro_loop_init(&cloop, NULL, 0);            /* no timers */
    rc = coro_io_loop_open(&ciol, &cloop, backend, max_fds);
    if (rc) {
        fprintf(stderr, "bench_echo: coro_io_loop_open: %d\n", rc);
        return 1;
    }
    if (strcmp(coro_sel_name(&ciol.sel), expect) != 0)
        fprintf(stderr, "bench_echo: coro's selector is %s, not %s\n",
                coro_sel_name(&ciol.sel), expect);
    coro_io_init(&ctl_io, &cloop, ctl_fd);
    coro_handle_init(&ctl_h, coro_ctl);
    if ((rc = coro_io_add_reader(&ctl_io, &ctl_h)) != 0) {
        fprintf(stderr, "bench_echo: coro_io_add_reader: %d\n", rc);
        return 1;
    }
    coro_io_init(&acc.io, &cloop, lfd);
    coro_task_start(&acc.task, &cloop, acceptor_body);
    rc = coro_loop_run_forever(&cloop);
    if (rc) {
        fprintf(stderr, "bench_echo: coro_loop_run_forever: %d\n", rc);
        return 1;
    }
    return (int)me->fatal;      /* connections are left to the exit */
}

/* ------------------------------------------------------------------------ */
/* Server 2: a minimal hand-written epoll loop                              */
/* ------------------------------------------------------------------------ */

struct econn {
    int fd;
    unsigned off, len;          /* bytes of buf still to write after a short
                                   write (EPOLLOUT is on meanwhile) */
    char buf[ECHO_BUF];
};


static void econn_close(struct econn *c)
{
    close(c->fd);               /* also leaves the epoll set */
    free(c);
    me->open--;
}

static int serve_epoll(int lfd, int ctl_fd)
{
    static struct epoll_event evs[EPOLL_BATCH];
    static char listen_tag, ctl_tag;
    struct epoll_event ev;
    int ep = epoll_create1(EPOLL_CLOEXEC), i, n;
    if (ep < 0)
        return 1;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = &listen_tag;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0)
        return 1;
    ev.data.ptr = &ctl_tag;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ctl_fd, &ev) != 0)
        return 1;
    for (;;) {
        n = epoll_wait(ep, evs, EPOLL_BATCH, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        for (i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            struct econn *c;
            ssize_t r, w;
            if (p == &ctl_tag)
                return 0;
            if (p == &listen_tag) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    if (!(c = (struct econn *)malloc(sizeof *c))) {
                        me->fatal = 1;
                        return 1;
                    }
                    c->fd = fd;
                    c->off = c->len = 0;
                    ev.events = EPOLLIN;
                    ev.data.ptr = c;
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
                        me->fatal = 1;
                        return 1;
                    }
                    me->accepted++;
                    me->open++;
                }
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                    errno != ECONNABORTED) {
                    fprintf(stderr, "bench_echo: epoll accept: %s\n", strerror(errno));
                    me->fatal = 1;
                    return 1;
                }
                continue;
            }
            c = (struct econn *)p;
            if (c->len) {                       /* finishing a short write */
                w = write(c->fd, c->buf + c->off, c->len - c->off);
                if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    me->errors++;
                    econn_close(c);
                    continue;
                }
                if (w > 0)
                    c->off += (unsigned)w;
                if (c->off == c->len) {
                    c->off = c->len = 0;
                    ev.events = EPOLLIN;
                    ev.data.ptr = c;
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
                continue;
            }
            r = read(c->fd, c->buf, sizeof c->buf);
            if (r > 0) {
                w = write(c->fd, c->buf, (size_t)r);
                if (w == r)
                    continue;
                if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    me->errors++;
                    econn_close(c);
                    continue;
                }
                c->off = w > 0 ? (unsigned)w : 0;
                c->len = (unsigned)r;
                ev.events = EPOLLOUT;
                ev.data.ptr = c;
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                if (r < 0)
                    me->errors++;
                econn_close(c);
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Server 4: a minimal hand-written io_uring loop (completions)            */
/* ------------------------------------------------------------------------ */

#ifdef CORO_HAVE_URING
#include <liburing.h>

/* One recv in flight per connection; on its completion a send of what came
 * (a short send sends the rest), then the next recv. One multishot accept.
 * All submissions of an iteration go with the one io_uring_submit_and_wait
 * that waits for the next completions: the completion model at its
 * simplest, no provided buffers, no registered files. */
struct uconn_r {
    int fd;
    unsigned off, len;          /* a send in flight: bytes sent, to send */
    char buf[ECHO_BUF];
};

enum { UR_ACCEPT = 1, UR_CTL = 2 };     /* user_data tags below any pointer */
#define UR_SEND 1u                      /* low bit of a connection's tag */

static struct io_uring_sqe *ur_sqe(struct io_uring *ring)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    return sqe;
}

static void ur_recv(struct io_uring *ring, struct uconn_r *c)
{
    struct io_uring_sqe *sqe = ur_sqe(ring);
    io_uring_prep_recv(sqe, c->fd, c->buf, sizeof c->buf, 0);
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c);
}

static void ur_send(struct io_uring *ring, struct uconn_r *c)
{
    struct io_uring_sqe *sqe = ur_sqe(ring);
    io_uring_prep_send(sqe, c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | UR_SEND);
}

static void ur_close(struct uconn_r *c, int err)
{
    if (err)
        me->errors++;
    close(c->fd);
    free(c);
    me->open--;
}

static int serve_uring(int lfd, int ctl_fd)
{
    static struct io_uring ring;
    struct io_uring_params p;
    struct io_uring_sqe *sqe;
    struct io_uring_cqe *cqe;
    unsigned head, seen;
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = 4096;
    if (io_uring_queue_init_params(1024, &ring, &p) != 0) {
        fprintf(stderr, "bench_echo: io_uring_queue_init refused\n");
        return 1;
    }
    sqe = ur_sqe(&ring);
    io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, UR_ACCEPT);
    sqe = ur_sqe(&ring);
    io_uring_prep_poll_add(sqe, ctl_fd, POLLIN);
    io_uring_sqe_set_data64(sqe, UR_CTL);
    for (;;) {
        int r = io_uring_submit_and_wait(&ring, 1);
        if (r < 0 && r != -EINTR && r != -EBUSY) {
            fprintf(stderr, "bench_echo: io_uring_submit_and_wait: %s\n", strerror(-r));
            return 1;
        }
        seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            uint64_t ud = io_uring_cqe_get_data64(cqe);
            int res = cqe->res;
            struct uconn_r *c;
            seen++;
            if (ud == UR_CTL)
                return 0;
            if (ud == UR_ACCEPT) {
                if (!(cqe->flags & IORING_CQE_F_MORE)) {    /* re-arm */
                    sqe = ur_sqe(&ring);
                    io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
                    io_uring_sqe_set_data64(sqe, UR_ACCEPT);
                }
                if (res < 0)
                    continue;
                if (!(c = (struct uconn_r *)malloc(sizeof *c))) {
                    me->fatal = 1;
                    return 1;
                }
                c->fd = res;
                c->off = c->len = 0;
                me->accepted++;
                me->open++;
                ur_recv(&ring, c);
                continue;
            }
            c = (struct uconn_r *)(uintptr_t)(ud & ~(uint64_t)UR_SEND);
            if (ud & UR_SEND) {
                if (res < 0) {
                    ur_close(c, 1);
                    continue;
                }
                c->off += (unsigned)res;
                if (c->off < c->len)
                    ur_send(&ring, c);
                else
                    ur_recv(&ring, c);
            } else if (res > 0) {
                c->off = 0;
                c->len = (unsigned)res;
                ur_send(&ring, c);
            } else {
                ur_close(c, res < 0 && res != -ECONNRESET);
            }
        }
        io_uring_cq_advance(&ring, seen);
    }
}
#else
static int serve_uring(int lfd, int ctl_fd)
{
    (void)lfd;
    (void)ctl_fd;
    fprintf(stderr, "bench_echo: built without liburing\n");
    return 1;
}
#endif

/* ------------------------------------------------------------------------ */
/* Server 3: libuv                                                          */
/* ------------------------------------------------------------------------ */

struct uconn {
    uv_tcp_t tcp;               /* first: the handle is the connection */
    uv_write_t req;
    int writing;                /* req is in flight: buf is not free */
    char buf[ECHO_BUF];
};


/* the write of a read that came while req was busy (never, in ping-pong) */
struct uslow {
    uv_write_t req;
    char *data;
};

static void u_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct uconn *c = (struct uconn *)h;
    (void)suggested;
    if (c->writing) {
        b->base = (char *)malloc(ECHO_BUF);
        b->len = b->base ? ECHO_BUF : 0;
        me->slow++;
    } else {
        b->base = c->buf;
        b->len = sizeof c->buf;
    }
}

static void u_closed(uv_handle_t *h)
{
    free(h);
    me->open--;
}

static void u_written(uv_write_t *req, int status)
{
    struct uconn *c = container_of(req, struct uconn, req);
    (void)status;               /* an error shows at the next read */
    c->writing = 0;
}

static void u_slow_written(uv_write_t *req, int status)
{
    struct uslow *s = (struct uslow *)req;
    (void)status;
    free(s->data);
    free(s);
}

static void u_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    struct uconn *c = (struct uconn *)st;
    uv_buf_t w;
    if (nread > 0) {
        w = uv_buf_init(b->base, (unsigned)nread);
        if (b->base == c->buf) {
            c->writing = 1;
            if (uv_write(&c->req, st, &w, 1, u_written) == 0)
                return;
            c->writing = 0;
        } else {
            struct uslow *s = (struct uslow *)malloc(sizeof *s);
            if (s) {
                s->data = b->base;
                if (uv_write(&s->req, st, &w, 1, u_slow_written) == 0)
                    return;
                free(s);
            }
            free(b->base);
        }
        me->errors++;
        uv_close((uv_handle_t *)st, u_closed);
        return;
    }
    if (b->base && b->base != c->buf)
        free(b->base);
    if (nread < 0) {            /* UV_EOF or an error */
        if (nread != UV_EOF)
            me->errors++;
        uv_close((uv_handle_t *)st, u_closed);
    }
}

static void u_connection(uv_stream_t *server, int status)
{
    struct uconn *c;
    if (status < 0) {
        fprintf(stderr, "bench_echo: libuv listen: %s\n", uv_strerror(status));
        me->fatal = 1;
        uv_stop(server->loop);
        return;
    }
    if (!(c = (struct uconn *)malloc(sizeof *c))) {
        me->fatal = 1;
        uv_stop(server->loop);
        return;
    }
    c->writing = 0;
    uv_tcp_init(server->loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    me->accepted++;
    me->open++;
    uv_read_start((uv_stream_t *)&c->tcp, u_alloc, u_read);
}

static void u_ctl(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    uv_stop(p->loop);
}

static int serve_libuv(int lfd, int ctl_fd)
{
    static uv_loop_t l;
    static uv_tcp_t server;
    static uv_poll_t ctl;
    int rc;
    if ((rc = uv_loop_init(&l)) != 0 || (rc = uv_tcp_init(&l, &server)) != 0 ||
        (rc = uv_tcp_open(&server, lfd)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&server, SOMAXCONN, u_connection)) != 0 ||
        (rc = uv_poll_init(&l, &ctl, ctl_fd)) != 0 ||
        (rc = uv_poll_start(&ctl, UV_READABLE, u_ctl)) != 0) {
        fprintf(stderr, "bench_echo: libuv: %s\n", uv_strerror(rc));
        return 1;
    }
    uv_run(&l, UV_RUN_DEFAULT);
    return (int)me->fatal;      /* handles are left to the exit */
}

/* ------------------------------------------------------------------------ */
/* Starting and stopping the servers                                        */
/* ------------------------------------------------------------------------ */

struct server {
    pid_t pid;
    int port;
    int ctl;                    /* write end of the control pipe */
    clockid_t cpu;              /* its process CPU clock */
};

static struct server servers[NSERV];

static int listener(int *port)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;                             /* a port of its own */
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("bind/listen");
    *port = ntohs(a.sin_port);
    return fd;
}

static void start_server(int s, int pin, int max_fds)
{
    int p[2], lfd, k;
    pid_t parent = getpid(), pid;
    lfd = listener(&servers[s].port);
    if (pipe(p) != 0)
        die("pipe");
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        static const char *const comm[NSERV] = { "echo-coro", "echo-epoll", "echo-libuv",
                                                 "echo-coro-uring", "echo-uring" };
        int rc = 1;
        prctl(PR_SET_PDEATHSIG, SIGKILL);       /* stop if the client dies */
        if (getppid() != parent)
            _exit(1);
        prctl(PR_SET_NAME, comm[s]);
        alarm(hard_timeout + 60);               /* and at the latest then */
        signal(SIGPIPE, SIG_IGN);
        close(p[1]);
        for (k = 0; k < s; k++)                 /* the other servers' pipes */
            close(servers[k].ctl);
        if (pin)
            pin_to(1);
        me = &stats[s];
        switch (s) {
        case S_CORO:  rc = serve_coro(lfd, p[0], max_fds, NULL, "epoll"); break;
        case S_CURING: rc = serve_coro(lfd, p[0], max_fds, "uring", "uring"); break;
        case S_URING: rc = serve_uring(lfd, p[0]); break;
        case S_EPOLL: rc = serve_epoll(lfd, p[0]); break;
        default:      rc = serve_libuv(lfd, p[0]); break;
        }
        fflush(stderr);
        _exit(rc);
    }
    close(p[0]);
    close(lfd);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    servers[s].pid = pid;
    servers[s].ctl = p[1];
    if (clock_getcpuclockid(pid, &servers[s].cpu) != 0)
        die("clock_getcpuclockid");
}

/* Closes the control pipe and waits for the server to exit; kills it (by its
 * pid: ours) if it has not within 5 s. Returns its exit status. */
static int stop_server(int s)
{
    int status = 0, i;
    if (!servers[s].pid)
        return 0;
    close(servers[s].ctl);
    for (i = 0; i < 500; i++) {
        pid_t r = waitpid(servers[s].pid, &status, WNOHANG);
        if (r == servers[s].pid)
            break;
        sleep_ms(10);
    }
    if (i == 500) {
        fprintf(stderr, "bench_echo: %s server did not stop; killing pid %d\n", names[s],
                (int)servers[s].pid);
        kill(servers[s].pid, SIGKILL);
        waitpid(servers[s].pid, &status, 0);
    }
    servers[s].pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void check_server(int s)
{
    int status;
    if (stats[s].fatal || waitpid(servers[s].pid, &status, WNOHANG) == servers[s].pid) {
        fprintf(stderr, "bench_echo: the %s server died\n", names[s]);
        exit(1);
    }
}

/* ------------------------------------------------------------------------ */
/* The load client                                                          */
/* ------------------------------------------------------------------------ */

struct cconn {
    int fd;
    unsigned got;               /* bytes of the echo received */
    unsigned off;               /* bytes of the ping sent */
    unsigned char rx[MSG];
};

/* The client's connections to one server, with an epoll set of their own. */
struct cset {
    struct cconn *c;
    int n, ep;
};

static struct cset sets[NSERV];

/* The ping of connection i: its index, then a fixed pattern. */
static void ping_of(int i, unsigned char *m)
{
    int k;
    for (k = 0; k < MSG; k++)
        m[k] = (unsigned char)(k * 7 + 1);
    memcpy(m, &i, sizeof i);
}

/* Waits until server s has accepted `target` connections in all and has
 * `open` open; 0, or -1 after the timeout. */
static int wait_server(int s, long target, long open, int64_t timeout)
{
    int64_t end = now_ns() + timeout;
    while (stats[s].accepted < target || stats[s].open != open) {
        if (now_ns() > end)
            return -1;
        check_server(s);
        sleep_ms(1);
    }
    return 0;
}

/* Connects n connections to server s (idle until driven) and waits until
 * the server has accepted them all. */
static void cset_open(int s, int n)
{
    struct cset *cs = &sets[s];
    struct sockaddr_in a;
    struct epoll_event ev;
    long base = stats[s].accepted;
    int i, one = 1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)servers[s].port);
    memset(&ev, 0, sizeof ev);
    cs->c = (struct cconn *)calloc((size_t)n, sizeof *cs->c);
    cs->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!cs->c || cs->ep < 0)
        die("client setup");
    cs->n = n;
    for (i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die("client socket");
        /* blocking: on loopback it returns once the handshake is done (the
         * listen backlog holds it until the server accepts) */
        if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
            die("client connect");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
            die("fcntl");
        cs->c[i].fd = fd;
        ev.events = EPOLLIN;
        ev.data.u32 = (uint32_t)i;
        if (epoll_ctl(cs->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            die("epoll_ctl");
    }
    if (wait_server(s, base + n, n, CONNECT_NS) != 0) {
        fprintf(stderr, "bench_echo: %s server accepted %ld of %d connections\n", names[s],
                stats[s].accepted - base, n);
        exit(1);
    }
}

/* Closes server s's connections (cleanly: nothing is in flight) and waits
 * until the server has closed its side. */
static void cset_close(int s)
{
    struct cset *cs = &sets[s];
    int i;
    for (i = 0; i < cs->n; i++)
        close(cs->c[i].fd);
    close(cs->ep);
    free(cs->c);
    cs->c = NULL;
    cs->n = 0;
    if (wait_server(s, 0, 0, DRAIN_NS) != 0) {
        fprintf(stderr, "bench_echo: %s server still has %ld connections open\n", names[s],
                stats[s].open);
        exit(1);
    }
}

/* Sends (the rest of) connection i's ping. 0, or -1 on an error. */
static int client_send(struct cset *cs, int i)
{
    unsigned char m[MSG];
    struct cconn *c = &cs->c[i];
    ssize_t w;
    ping_of(i, m);
    w = write(c->fd, m + c->off, MSG - c->off);
    if (w < 0) {
        if (errno != EAGAIN && errno != EINTR)
            return -1;
        w = 0;
    }
    c->off += (unsigned)w;
    if (c->off < MSG) {         /* a short write: finish it when writable */
        struct epoll_event ev;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u32 = (uint32_t)i;
        epoll_ctl(cs->ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
    return 0;
}

/* What the slices of one server add up to. */
struct tally {
    int64_t count;              /* round trips counted */
    int64_t ns;                 /* wall time counted */
    int64_t srv_cpu, cli_cpu;   /* CPU time of the server, of the client */
};

/* One slice: every connection of server s pings; after `warm` ns round trips
 * are counted for `dur` ns (added to *t unless t is NULL); then no new ping
 * is sent and the last echoes come back, so that the server is idle when
 * the slice ends. */
static void drive(int s, int64_t warm, int64_t dur, struct tally *t)
{
    static struct epoll_event evs[CLIENT_BATCH];
    struct cset *cs = &sets[s];
    struct epoll_event ev;
    int64_t now, t_start = 0, t_stop, s_cpu0 = 0, c_cpu0 = 0, count = 0;
    long outstanding;
    int i, k, sending = 1, counting = 0;
    unsigned char want[MSG];

    memset(&ev, 0, sizeof ev);
    for (i = 0; i < cs->n; i++) {
        cs->c[i].off = 0;
        if (client_send(cs, i) != 0)
            die("client write");
    }
    outstanding = cs->n;
    t_stop = now_ns() + warm;
    for (;;) {
        int m = epoll_wait(cs->ep, evs, CLIENT_BATCH, 100);
        if (m < 0 && errno != EINTR)
            die("client epoll_wait");
        for (k = 0; k < m; k++) {
            struct cconn *c;
            ssize_t got;
            i = (int)evs[k].data.u32;
            c = &cs->c[i];
            if (evs[k].events & EPOLLOUT) {
                if (client_send(cs, i) != 0)
                    die("client write");
                if (c->off == MSG) {
                    ev.events = EPOLLIN;
                    ev.data.u32 = (uint32_t)i;
                    epoll_ctl(cs->ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            }
            if (!(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                continue;
            got = read(c->fd, c->rx + c->got, MSG - c->got);
            if (got <= 0) {
                if (got < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                fprintf(stderr, "bench_echo: %s server: connection %d %s\n", names[s], i,
                        got == 0 ? "closed" : strerror(errno));
                exit(1);
            }
            c->got += (unsigned)got;
            if (c->got < MSG)
                continue;
            ping_of(i, want);
            if (memcmp(c->rx, want, MSG) != 0) {
                fprintf(stderr, "bench_echo: %s server: wrong echo on connection %d\n",
                        names[s], i);
                exit(1);
            }
            c->got = 0;
            count++;
            outstanding--;
            if (sending) {
                c->off = 0;
                if (client_send(cs, i) != 0)
                    die("client write");
                outstanding++;
            }
        }
        now = now_ns();
        if (!counting && now >= t_stop) {       /* warm: count from here */
            counting = 1;
            count = 0;
            t_start = now;
            t_stop = now + dur;
            s_cpu0 = cpu_of(servers[s].cpu);
            c_cpu0 = cpu_of(CLOCK_PROCESS_CPUTIME_ID);
        } else if (counting && sending && now >= t_stop) {
            sending = 0;                        /* counted: the last come back */
            if (t) {
                t->count += count;
                t->ns += now - t_start;
                t->srv_cpu += cpu_of(servers[s].cpu) - s_cpu0;
                t->cli_cpu += cpu_of(CLOCK_PROCESS_CPUTIME_ID) - c_cpu0;
            }
            t_stop = now + DRAIN_NS;
        }
        if (!sending && (outstanding == 0 || now >= t_stop))
            break;
        if (m == 0)
            check_server(s);    /* 100 ms without an echo: still alive? */
    }
    if (outstanding) {
        fprintf(stderr, "bench_echo: %s server: %ld echoes never came back\n", names[s],
                outstanding);
        exit(1);
    }
}

/* Growth of server s's anonymous resident memory, per connection, around
 * accepting MEM_CONNS idle connections. One connection opened and closed
 * first initialises what a first connection initialises (malloc's arena). */
static double rss_per_conn(int s)
{
    double rss0, rss1;
    cset_open(s, 1);
    cset_close(s);
    rss0 = rss_anon_of(servers[s].pid);
    cset_open(s, MEM_CONNS);
    sleep_ms(100);              /* coro: every new task has run its first step */
    rss1 = rss_anon_of(servers[s].pid);
    cset_close(s);
    return (rss1 - rss0) / MEM_CONNS;
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    static double rps[NCOUNTS][NSERV][MAX_REPS], scpu[NCOUNTS][NSERV][MAX_REPS],
        busy[NCOUNTS][NSERV][MAX_REPS], ccpu[NCOUNTS][NSERV][MAX_REPS];
    double t_begin = (double)now_ns(), rss[NSERV] = { 0 };
    double dur_s = 2.0;
    struct stat3 st[NSERV], sc[NSERV], sb[NSERV], scl[NSERV];
    struct rlimit rl;
    int reps = 3, pin = 1, i, j, k, s, rc = 0, max_fds, nslices;
    unsigned which = ALL_SERVERS;
    size_t coro_beyond = sizeof(struct conn) - ECHO_BUF;
    size_t uv_beyond = sizeof(struct uconn) - ECHO_BUF;
    size_t ep_beyond = sizeof(struct econn) - ECHO_BUF;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1 || reps > MAX_REPS)
                reps = 3;
        } else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
            dur_s = atof(argv[++i]);
            if (!(dur_s > 0.05 && dur_s <= 60))
                dur_s = 2.0;
        } else if (strcmp(argv[i], "--no-pin") == 0) {
            pin = 0;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            const char *o = argv[++i];
            which = 0;
            for (s = 0; s < NSERV; s++)
                if (strcmp(o, names[s]) == 0)
                    which = 1u << s;
            if (!which)
                goto usage;
        } else {
        usage:
            fprintf(stderr, "usage: %s [-r REPS] [-d SECONDS] [-v] "
                    "[--only coro|epoll|libuv|coro-uring|uring] [--no-pin]\n", argv[0]);
            return 2;
        }
    }

    nslices = (int)(dur_s * 1e9 / SLICE_NS + 0.5);
    if (nslices < 1)
        nslices = 1;
    /* three times what it should take, and a minute */
    hard_timeout = (unsigned)(60 + 3 * reps * NCOUNTS * NSERV * (dur_s + 0.5));
    alarm(hard_timeout);
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        die("getrlimit");
    max_fds = rl.rlim_cur > 1000000 || rl.rlim_cur == RLIM_INFINITY ? 1000000
                                                                     : (int)rl.rlim_cur;
    if (max_fds < MEM_CONNS + 64) {
        fprintf(stderr, "bench_echo: RLIMIT_NOFILE %d is too low for %d connections\n",
                max_fds, MEM_CONNS);
        return 1;
    }
    stats = (struct srv_stats *)mmap(NULL, NSERV * sizeof *stats, PROT_READ | PROT_WRITE,
                                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (stats == MAP_FAILED)
        die("mmap");
    memset(stats, 0, NSERV * sizeof *stats);

    {
        const char *const *b = coro_sel_backends();
        while (*b && strcmp(*b, "uring") != 0)
            b++;
        if (!*b && (which & (1u << S_CURING | 1u << S_URING))) {
            printf("no io_uring here (not built with liburing, or the kernel refuses it): "
                   "the coro-uring and uring servers are left out\n");
            which &= ~(1u << S_CURING | 1u << S_URING);
        }
    }
    for (s = 0; s < NSERV; s++)
        if (which & (1u << s))
            start_server(s, pin, max_fds);
    if (pin)
        pin_to(0);

    printf("echo over 127.0.0.1, %d-byte ping-pong, one load client (epoll) %s; "
           "libuv %s; per run and server %.1f s counted in %d slices of %.0f ms, "
           "interleaved with the other servers' slices; median of %d runs; "
           "RLIMIT_NOFILE %d\n", MSG,
           pin ? "on CPU 0, servers on CPU 1" : "and the servers unpinned",
           uv_version_string(), nslices * SLICE_NS / 1e9, nslices, SLICE_NS / 1e6, reps,
           max_fds);

    /* memory first, while the servers are fresh (no freed memory to reuse) */
    for (s = 0; s < NSERV; s++)
        if (which & (1u << s))
            rss[s] = rss_per_conn(s);

    for (j = 0; j < NCOUNTS; j++)
        for (k = 0; k < reps; k++) {
            struct tally t[NSERV];
            int sl;
            memset(t, 0, sizeof t);
            for (s = 0; s < NSERV; s++)
                if (which & (1u << s)) {
                    cset_open(s, conn_counts[j]);
                    drive(s, WARMUP_NS, 0, NULL);
                }
            for (sl = 0; sl < nslices; sl++)
                for (s = 0; s < NSERV; s++)
                    if (which & (1u << s))
                        drive(s, SLICE_WARM_NS, SLICE_NS, &t[s]);
            for (s = 0; s < NSERV; s++) {
                if (!(which & (1u << s)))
                    continue;
                cset_close(s);
                rps[j][s][k] = (double)t[s].count / ((double)t[s].ns / 1e9);
                scpu[j][s][k] = (double)t[s].srv_cpu / (double)t[s].count;
                busy[j][s][k] = (double)t[s].srv_cpu / (double)t[s].ns;
                ccpu[j][s][k] = (double)t[s].cli_cpu / (double)t[s].count;
                if (verbose)
                    printf("  %4d conns  %-5s %8.0f round trips/s   server %6.0f ns CPU "
                           "per round trip (%3.0f%% busy)   client %6.0f ns\n",
                           conn_counts[j], names[s], rps[j][s][k], scpu[j][s][k],
                           100 * busy[j][s][k], ccpu[j][s][k]);
            }
            fflush(stdout);
        }

    for (j = 0; j < NCOUNTS; j++) {
        for (s = 0; s < NSERV; s++)
            if (which & (1u << s)) {
                st[s] = summarize(rps[j][s], reps);
                sc[s] = summarize(scpu[j][s], reps);
                sb[s] = summarize(busy[j][s], reps);
                scl[s] = summarize(ccpu[j][s], reps);
            }
        if ((which & 7u) == 7u) {          /* coro, epoll, libuv */
            printf("%4d connections  coro %6.0f round trips/s   epoll %6.0f (coro %.2fx)   "
                   "libuv %6.0f (coro %.2fx)   (target: coro >= 0.95x epoll, > libuv)\n",
                   conn_counts[j], st[0].med, st[1].med, st[0].med / st[1].med, st[2].med,
                   st[0].med / st[2].med);
            if (conn_counts[j] == 1000)
                printf("result echo_c1000_vs_epoll %.0f %.0f round_trips/s\n",
                       st[0].med, st[1].med);
            double re[MAX_REPS], ru[MAX_REPS];
            struct stat3 pe, pu;
            for (k = 0; k < reps; k++) {
                re[k] = rps[j][0][k] / rps[j][1][k];
                ru[k] = rps[j][0][k] / rps[j][2][k];
            }
            pe = summarize(re, reps);
            pu = summarize(ru, reps);
            printf("  spread (min..max)  coro %.0f..%.0f   epoll %.0f..%.0f   "
                   "libuv %.0f..%.0f   ratios within a run: coro/epoll %.2f..%.2f, "
                   "coro/libuv %.2f..%.2f\n", st[0].min, st[0].max, st[1].min, st[1].max,
                   st[2].min, st[2].max, pe.min, pe.max, pu.min, pu.max);
            printf("  server CPU per round trip  coro %.0f ns (%.0f..%.0f, %.0f%% busy)   "
                   "epoll %.0f ns (%.0f..%.0f, %.0f%%; coro %.2fx)   libuv %.0f ns "
                   "(%.0f..%.0f, %.0f%%; coro %.2fx)   client %.0f / %.0f / %.0f ns\n",
                   sc[0].med, sc[0].min, sc[0].max, 100 * sb[0].med, sc[1].med, sc[1].min,
                   sc[1].max, 100 * sb[1].med, sc[0].med / sc[1].med, sc[2].med,
                   sc[2].min, sc[2].max, 100 * sb[2].med, sc[0].med / sc[2].med,
                   scl[0].med, scl[1].med, scl[2].med);
            if (which != ALL_SERVERS)
                continue;
            for (k = 0; k < reps; k++) {
                re[k] = rps[j][S_CURING][k] / rps[j][S_EPOLL][k];
                ru[k] = rps[j][S_URING][k] / rps[j][S_EPOLL][k];
            }
            pe = summarize(re, reps);
            pu = summarize(ru, reps);
            printf("  io_uring  coro on uring %6.0f round trips/s (%.2fx epoll, %.2f..%.2f "
                   "within a run)   hand-written uring %6.0f (%.2fx epoll, %.2f..%.2f)   "
                   "(target: coro on uring >= 1.25x epoll)\n", st[S_CURING].med,
                   st[S_CURING].med / st[S_EPOLL].med, pe.min, pe.max, st[S_URING].med,
                   st[S_URING].med / st[S_EPOLL].med, pu.min, pu.max);
            printf("  io_uring server CPU per round trip  coro on uring %.0f ns (%.0f%% busy; "
                   "%.2fx epoll)   hand-written uring %.0f ns (%.0f%%; %.2fx epoll)   "
                   "(target: coro on uring <= 0.8x epoll)\n", sc[S_CURING].med,
                   100 * sb[S_CURING].med, sc[S_CURING].med / sc[S_EPOLL].med,
                   sc[S_URING].med, 100 * sb[S_URING].med, sc[S_URING].med / sc[S_EPOLL].med);
            if (conn_counts[j] == 1000) {
                printf("result echo_uring_c1000_vs_epoll %.0f %.0f round_trips/s\n",
                       st[S_CURING].med, st[S_EPOLL].med);
                printf("result echo_uring_cpu_c1000_vs_epoll %.0f %.0f ns_cpu/round_trip\n",
                       sc[S_CURING].med, sc[S_EPOLL].med);
                printf("result echo_uring_raw_c1000_vs_epoll %.0f %.0f round_trips/s\n",
                       st[S_URING].med, st[S_EPOLL].med);
            }
        } else {
            for (s = 0; s < NSERV; s++)
                if (which & (1u << s))
                    printf("%4d connections  %s %6.0f round trips/s (%.0f..%.0f)   server "
                           "%.0f ns CPU per round trip (%.0f%% busy)   client %.0f ns\n",
                           conn_counts[j], names[s], st[s].med, st[s].min, st[s].max,
                           sc[s].med, 100 * sb[s].med, scl[s].med);
        }
    }

    printf("bytes per connection beyond the %d B read buffer  coro %zu B (target <= 256)   "
           "epoll %zu B   libuv %zu B\n", ECHO_BUF, coro_beyond, ep_beyond, uv_beyond);
    printf("  sizes: coro frame %zu = struct coro_task %zu + struct coro_io %zu + done "
           "handle %zu + list links %zu + n, sent %zu + buffer %d (and a %zu B selector "
           "key per fd, allocated for all %d fds at open);  libuv uv_tcp_t %zu + "
           "uv_write_t %zu + flag;  epoll fd + offsets %zu\n", sizeof(struct conn),
           sizeof(struct coro_task), sizeof(struct coro_io), sizeof(struct coro_handle),
           2 * sizeof(struct conn *), sizeof(ssize_t) + sizeof(size_t), ECHO_BUF,
           sizeof(struct coro_sel_key), max_fds, sizeof(uv_tcp_t), sizeof(uv_write_t),
           ep_beyond);
    printf("  RSS growth per idle connection (anonymous memory, %d accepted; read buffer "
           "included)", MEM_CONNS);
    for (s = 0; s < NSERV; s++)
        if (which & (1u << s))
            printf("  %s %.0f B (%.0f beyond the buffer)", names[s], rss[s],
                   rss[s] - ECHO_BUF);
    printf("\n");

    for (s = 0; s < NSERV; s++)
        if (which & (1u << s)) {
            int e = stop_server(s);
            if (e) {
                fprintf(stderr, "bench_echo: the %s server exited with %d\n", names[s], e);
                rc = 1;
            }
            if (stats[s].errors) {
                fprintf(stderr, "bench_echo: the %s server saw %ld connection errors\n",
                        names[s], stats[s].errors);
                rc = 1;
            }
            if (stats[s].slow)
                printf("  (libuv: %ld reads came while a write was in flight)\n",
                       stats[s].slow);
        }
    printf("total %.1f s\n", ((double)now_ns() - t_begin) / 1e9);
    return rc;
}
