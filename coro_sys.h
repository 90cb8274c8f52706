/* SPDX-License-Identifier: MIT */
/*
 * coro_sys.h -- private to the library (not installed): the seam between
 * io.c / the selector backends and the kernel, for fault injection. Each
 * system call whose failure a test must be able to provoke is written as one
 * of these macros:
 *
 *   macro                                        plain call     in
 *   CORO__SYS_RECV(fd, buf, len, flags)           recv           io.c
 *   CORO__SYS_SEND(fd, buf, len, flags)           send           io.c
 *   CORO__SYS_RECVFROM(fd, buf, len, fl, a, alen) recvfrom       io.c (as a recv)
 *   CORO__SYS_SENDTO(fd, buf, len, fl, a, alen)   sendto         io.c (as a send)
 *   CORO__SYS_ACCEPT4(fd, addr, alen, flags)      accept4        io.c (Linux)
 *   CORO__SYS_ACCEPT(fd, addr, alen)              accept         io.c (others)
 *   CORO__SYS_CONNECT(fd, addr, alen)             connect        io.c
 *   CORO__SYS_GETSOCKOPT(fd, lvl, name, v, vlen)  getsockopt     io.c (connect's result)
 *   CORO__SYS_EPOLL_CTL(epfd, op, fd, ev)         epoll_ctl      epoll.c
 *   CORO__SYS_EPOLL_WAIT(epfd, evs, max, ms)      epoll_wait     epoll.c
 *   CORO__SYS_URING_CHECK(fd, op)                 fcntl F_GETFD  uring.c (register)
 *   CORO__SYS_URING_WAIT(ring, cqe, nr, ts, ms)   io_uring_submit_and_wait_timeout
 *                                                               uring.c
 *   CORO__SYS_URING_SETUP(entries, ring, params)  io_uring_queue_init_params
 *                                                               uring.c (open)
 *   CORO__SYS_POLL(fds, n, ms)                    poll           poll.c
 *   CORO__SYS_SELECT(n, rd, wr, ex, tv)           select         select.c
 *   CORO__SYS_KEVENT_CTL(kq, ch, nch, ev, nev, ts)   kevent (changes)  kqueue.c
 *   CORO__SYS_KEVENT_WAIT(kq, ch, nch, ev, nev, ts)  kevent (wait)     kqueue.c
 *
 * In a normal build each macro expands to exactly the plain call in the
 * second column, with the same arguments: the object code is the same as if
 * the call were written out (this header adds no declaration, no code).
 *
 * Built with -DCORO_FAULTS (tests/test_faults.c is; never a release build),
 * each macro first calls coro__sys_fault(op, fd, arg), which looks at the
 * table coro__faults that a test fills: a call may fail with an errno of the
 * test's choosing (the plain call is then not made: it returns -1 with errno
 * set, as the kernel would), and a recv or send may be cut to a few bytes.
 * A fault replaces the call, so pick what the kernel could say: EINTR
 * injected on connect, say, would leave the socket unconnected, where an
 * interrupted connect goes on in the background. The macros evaluate fd and
 * len twice: pass plain values. Not thread- or signal-safe: the seam is for
 * single-threaded tests.
 *
 * Not routed (a fault there shows nothing the tests need): read and write
 * of the wakeup fd (coro_loop_wakeup must stay signal- and thread-safe),
 * close (its result is never looked at; leaks are found by counting fds),
 * fcntl, clock_gettime, and the calls that create the selector's own fds
 * (but for io_uring's setup: the kernel may refuse io_uring, and the loop
 * must then fall back to epoll).
 */
#ifndef CORO__SYS_H
#define CORO__SYS_H

#ifndef CORO_FAULTS

/* recv(fd, buf, len, flags) */
#define CORO__SYS_RECV(fd, buf, len, flags) recv(fd, buf, len, flags)
/* send(fd, buf, len, flags) */
#define CORO__SYS_SEND(fd, buf, len, flags) send(fd, buf, len, flags)
/* recvfrom(fd, buf, len, fl, a, alen) */
#define CORO__SYS_RECVFROM(fd, buf, len, fl, a, alen) recvfrom(fd, buf, len, fl, a, alen)
/* sendto(fd, buf, len, fl, a, alen) */
#define CORO__SYS_SENDTO(fd, buf, len, fl, a, alen) sendto(fd, buf, len, fl, a, alen)
/* accept4(fd, addr, alen, flags) */
#define CORO__SYS_ACCEPT4(fd, addr, alen, flags) accept4(fd, addr, alen, flags)
/* accept(fd, addr, alen) */
#define CORO__SYS_ACCEPT(fd, addr, alen) accept(fd, addr, alen)
/* connect(fd, addr, alen) */
#define CORO__SYS_CONNECT(fd, addr, alen) connect(fd, addr, alen)
/* getsockopt(fd, lvl, name, v, vlen) */
#define CORO__SYS_GETSOCKOPT(fd, lvl, name, v, vlen) getsockopt(fd, lvl, name, v, vlen)
/* epoll_ctl(epfd, op, fd, ev) */
#define CORO__SYS_EPOLL_CTL(epfd, op, fd, ev) epoll_ctl(epfd, op, fd, ev)
/* epoll_wait(epfd, evs, max, ms) */
#define CORO__SYS_EPOLL_WAIT(epfd, evs, max, ms) epoll_wait(epfd, evs, max, ms)
/* fcntl(fd, F_GETFD): is fd open? (op: 1 register, 3 modify, as epoll's) */
#define CORO__SYS_URING_CHECK(fd, op) fcntl(fd, F_GETFD)
/* io_uring_submit_and_wait_timeout(ring, cqe, nr, ts, NULL): -errno, not -1
 * (ms: the timeout as the fault hook sees it) */
#define CORO__SYS_URING_WAIT(ring, cqe, nr, ts, ms) \
    io_uring_submit_and_wait_timeout(ring, cqe, nr, ts, NULL)
/* io_uring_queue_init_params(entries, ring, params): 0 or -errno */
#define CORO__SYS_URING_SETUP(entries, ring, params) \
    io_uring_queue_init_params(entries, ring, params)
/* poll(fds, n, ms) */
#define CORO__SYS_POLL(fds, n, ms) poll(fds, n, ms)
/* select(n, rd, wr, ex, tv) */
#define CORO__SYS_SELECT(n, rd, wr, ex, tv) select(n, rd, wr, ex, tv)
/* kevent(kq, ch, nch, ev, nev, ts), applying changes */
#define CORO__SYS_KEVENT_CTL(kq, ch, nch, ev, nev, ts) kevent(kq, ch, nch, ev, nev, ts)
/* kevent(kq, ch, nch, ev, nev, ts), waiting for events */
#define CORO__SYS_KEVENT_WAIT(kq, ch, nch, ev, nev, ts) kevent(kq, ch, nch, ev, nev, ts)

#else /* CORO_FAULTS */

#include <stddef.h>

/* The calls a rule can match (coro__fault.op). WAIT is the selector's wait,
 * whatever the backend (epoll_wait, poll, select, kevent, io_uring_enter);
 * CTL is a change of the kernel's interest list (epoll_ctl, kevent with
 * changes; io_uring's register and modify, whose one call is a check of the
 * fd). */
enum coro__sys_op {
    CORO__SYS_OP_NONE,                      /* an unused rule */
    CORO__SYS_OP_RECV,
    CORO__SYS_OP_SEND,
    CORO__SYS_OP_ACCEPT,                    /* accept4 or accept */
    CORO__SYS_OP_CONNECT,
    CORO__SYS_OP_GETSOCKOPT,
    CORO__SYS_OP_WAIT,
    CORO__SYS_OP_CTL,
    CORO__SYS_OP_SETUP,                     /* io_uring_queue_init: a refusal */
    CORO__SYS_OP_COUNT
};

/* One rule: what happens to the calls of `op` on `fd`. A zeroed rule with
 * op, fd and err set fails every such call with err. */
struct coro__fault {
    int op;                     /* CORO__SYS_OP_*; CORO__SYS_OP_NONE: unused */
    int fd;                     /* only calls on this fd; -1: on any fd */
    unsigned long skip;         /* calls let through before the first fault */
    unsigned long every;        /* then one call in `every` faults (0, 1: each) */
    unsigned long count;        /* faults to inject in all; 0: no end */
    int err;                    /* a fault's errno (0: the rule only caps) */
    size_t cap;                 /* recv, send: at most cap bytes a call (0: any) */
    unsigned long calls;        /* out: calls the rule saw */
    unsigned long faults;       /* out: faults it injected */
};

#define CORO__FAULT_RULES 8

/* The table. Rules are tried in order; the first that injects a fault ends
 * the call (the rules after it do not see it); every rule that sees a call
 * counts it and may cap its length. */
struct coro__faults {
    struct coro__fault rule[CORO__FAULT_RULES];
    /* Called at each routed call, before the rules, if set: op, the fd (WAIT:
     * the selector's fd, or -1 for poll and select; CTL: the watched fd), and
     * arg (RECV, SEND: len; WAIT: the timeout in ms, -1 for none; CTL: epoll's
     * op or kevent's flags; else 0). A nonzero return is the errno of a fault
     * (the rules then do not see the call). */
    int (*hook)(int op, int fd, long arg);
    size_t cap;                 /* private: the cap of the call in progress */
};

/* The one table (zeroed at start: no faults). Defined in selectors.c. */
extern struct coro__faults coro__faults;

/* Private to the macros: 0 to go on with the plain call, or -1 with errno
 * set (a fault). */
int coro__sys_fault(int op, int fd, long arg);

/* Private to the macros: len, cut to the cap coro__sys_fault just chose. */
size_t coro__sys_len(size_t len);

/* Clears every rule, count and the hook. */
void coro__faults_reset(void);

/* A timeval / timespec pointer as a timeout in ms, -1 for NULL (the hook's
 * arg for select and kevent). */
#define CORO__SYS_TV_MS(tv) \
    ((tv) ? (long)(tv)->tv_sec * 1000L + (long)(tv)->tv_usec / 1000L : -1L)
#define CORO__SYS_TS_MS(ts) \
    ((ts) ? (long)(ts)->tv_sec * 1000L + (long)(ts)->tv_nsec / 1000000L : -1L)

/* Each: coro__sys_fault first; on a fault -1 (errno set), else the plain
 * call, with len cut for recv and send. */
#define CORO__SYS_RECV(fd, buf, len, flags) \
    (coro__sys_fault(CORO__SYS_OP_RECV, (fd), (long)(len)) ? -1 \
     : recv((fd), (buf), coro__sys_len(len), (flags)))
#define CORO__SYS_SEND(fd, buf, len, flags) \
    (coro__sys_fault(CORO__SYS_OP_SEND, (fd), (long)(len)) ? -1 \
     : send((fd), (buf), coro__sys_len(len), (flags)))
/* recvfrom and sendto are matched by CORO__SYS_OP_RECV and CORO__SYS_OP_SEND:
 * a rule on recv / send faults them too (a cap cuts a datagram). */
#define CORO__SYS_RECVFROM(fd, buf, len, fl, a, alen) \
    (coro__sys_fault(CORO__SYS_OP_RECV, (fd), (long)(len)) ? -1 \
     : recvfrom((fd), (buf), coro__sys_len(len), (fl), (a), (alen)))
#define CORO__SYS_SENDTO(fd, buf, len, fl, a, alen) \
    (coro__sys_fault(CORO__SYS_OP_SEND, (fd), (long)(len)) ? -1 \
     : sendto((fd), (buf), coro__sys_len(len), (fl), (a), (alen)))
#define CORO__SYS_ACCEPT4(fd, addr, alen, flags) \
    (coro__sys_fault(CORO__SYS_OP_ACCEPT, (fd), 0L) ? -1 : accept4((fd), (addr), (alen), (flags)))
#define CORO__SYS_ACCEPT(fd, addr, alen) \
    (coro__sys_fault(CORO__SYS_OP_ACCEPT, (fd), 0L) ? -1 : accept((fd), (addr), (alen)))
#define CORO__SYS_CONNECT(fd, addr, alen) \
    (coro__sys_fault(CORO__SYS_OP_CONNECT, (fd), 0L) ? -1 : connect((fd), (addr), (alen)))
#define CORO__SYS_GETSOCKOPT(fd, lvl, name, v, vlen) \
    (coro__sys_fault(CORO__SYS_OP_GETSOCKOPT, (fd), 0L) ? -1 \
     : getsockopt((fd), (lvl), (name), (v), (vlen)))
#define CORO__SYS_EPOLL_CTL(epfd, op, fd, ev) \
    (coro__sys_fault(CORO__SYS_OP_CTL, (fd), (long)(op)) ? -1 : epoll_ctl((epfd), (op), (fd), (ev)))
#define CORO__SYS_EPOLL_WAIT(epfd, evs, max, ms) \
    (coro__sys_fault(CORO__SYS_OP_WAIT, (epfd), (long)(ms)) ? -1 \
     : epoll_wait((epfd), (evs), (max), (ms)))
#define CORO__SYS_URING_CHECK(fd, op) \
    (coro__sys_fault(CORO__SYS_OP_CTL, (fd), (long)(op)) ? -1 : fcntl((fd), F_GETFD))
#define CORO__SYS_URING_WAIT(ring, cqe, nr, ts, ms) \
    (coro__sys_fault(CORO__SYS_OP_WAIT, (ring)->ring_fd, (long)(ms)) ? -errno \
     : io_uring_submit_and_wait_timeout((ring), (cqe), (nr), (ts), NULL))
#define CORO__SYS_URING_SETUP(entries, ring, params) \
    (coro__sys_fault(CORO__SYS_OP_SETUP, -1, (long)(entries)) ? -errno \
     : io_uring_queue_init_params((entries), (ring), (params)))
#define CORO__SYS_POLL(fds, n, ms) \
    (coro__sys_fault(CORO__SYS_OP_WAIT, -1, (long)(ms)) ? -1 : poll((fds), (n), (ms)))
#define CORO__SYS_SELECT(n, rd, wr, ex, tv) \
    (coro__sys_fault(CORO__SYS_OP_WAIT, -1, CORO__SYS_TV_MS(tv)) ? -1 \
     : select((n), (rd), (wr), (ex), (tv)))
#define CORO__SYS_KEVENT_CTL(kq, ch, nch, ev, nev, ts) \
    (coro__sys_fault(CORO__SYS_OP_CTL, (int)(ch)->ident, (long)(ch)->flags) ? -1 \
     : kevent((kq), (ch), (nch), (ev), (nev), (ts)))
#define CORO__SYS_KEVENT_WAIT(kq, ch, nch, ev, nev, ts) \
    (coro__sys_fault(CORO__SYS_OP_WAIT, (kq), CORO__SYS_TS_MS(ts)) ? -1 \
     : kevent((kq), (ch), (nch), (ev), (nev), (ts)))

/* The definitions, in the one file that defines CORO__SYS_DEFINE before it
 * includes this header (selectors.c, which every user of the seam links). */
#ifdef CORO__SYS_DEFINE
#include <errno.h>
#include <string.h>

struct coro__faults coro__faults;

int coro__sys_fault(int op, int fd, long arg)
{
    int i, err = 0;
    coro__faults.cap = 0;
    if (coro__faults.hook)
        err = coro__faults.hook(op, fd, arg);
    for (i = 0; i < CORO__FAULT_RULES && !err; i++) {
        struct coro__fault *r = &coro__faults.rule[i];
        if (r->op != op || (r->fd >= 0 && r->fd != fd))
            continue;
        r->calls++;
        if (r->cap && (!coro__faults.cap || r->cap < coro__faults.cap))
            coro__faults.cap = r->cap;
        if (r->err && r->calls > r->skip && (!r->count || r->faults < r->count) &&
            (r->every <= 1 || (r->calls - r->skip - 1) % r->every == 0)) {
            r->faults++;
            err = r->err;
        }
    }
    if (!err)
        return 0;
    errno = err;
    return -1;
}

size_t coro__sys_len(size_t len)
{
    return coro__faults.cap && len > coro__faults.cap ? coro__faults.cap : len;
}

void coro__faults_reset(void)
{
    memset(&coro__faults, 0, sizeof coro__faults);
}
#endif /* CORO__SYS_DEFINE */

#endif /* CORO_FAULTS */

#endif /* CORO__SYS_H */
