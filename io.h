/* SPDX-License-Identifier: MIT */
/*
 * io.h -- the selector loop: the loop of loop.h with a selector attached, so
 * that it waits in select / poll / epoll / kqueue with the next timer as the
 * timeout, and runs what became readable or writable in the same iteration
 * as the timers and callbacks. On top, asyncio's add_reader / add_writer and
 * sock_connect / sock_accept / sock_recv / sock_sendall, and sock_recvfrom /
 * sock_sendto for datagrams, as awaits that a task's coroutine writes top to
 * bottom.
 *
 *   static struct coro_loop loop;
 *   static struct coro_io_loop iol;
 *   coro_loop_init(&loop, timers, n);
 *   coro_io_loop_open(&iol, &loop, NULL, 4096);      // DefaultSelector, fds < 4096
 *   ...tasks that CORO_SOCK_RECV / CORO_SOCK_SENDALL...
 *   coro_loop_run_forever(&loop);
 *   coro_io_loop_close(&iol, &loop);
 *
 * POSIX only (sockets, pipes); the embedded builds leave this file out.
 */
#ifndef CORO_IO_H
#define CORO_IO_H

#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/socket.h>

#include "primitive.h"
#include "selectors/selectors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A file descriptor the loop watches. 56 bytes on x86-64. Caller-owned; keep
 * it while the fd is registered, and call coro_io_close (or remove its reader
 * and writer) before closing the fd. */
struct coro_io {
    int fd;
    unsigned short events;          /* registered with the selector */
    unsigned char checking;         /* on the loop's list of ios to check */
    unsigned char woken;            /* events whose woken task has not run */
    struct coro_io *check_next;     /* that list */
    struct coro_loop *loop;
    struct coro_list readers;       /* tasks waiting until fd is readable */
    struct coro_list writers;       /* tasks waiting until fd is writable */
    struct coro_handle *on_read;    /* add_reader's callback, or NULL */
    struct coro_handle *on_write;   /* add_writer's callback, or NULL */
};

/* What the selector loop adds to a loop: its selector, a batch of events,
 * the wakeup fd and call_soon_threadsafe's queue. About 1.2 KB on x86-64.
 * Caller-owned. */
#define CORO_IO_BATCH 64
/* The selector loop's state (see above). */
struct coro_io_loop {
    struct coro_sel sel;
    struct coro_sel_event events[CORO_IO_BATCH];
    struct coro_io wake;            /* the read end of the wakeup fd */
    struct coro_handle wake_drain;  /* drains it */
    int wake_fd[2];                 /* eventfd (both ends the same) or a pipe */
    struct coro_handle *on_wakeup;  /* runs after each coro_loop_wakeup */
    struct coro_io *check;          /* ios whose task woke: still wanted? */
    struct coro_list woken;         /* tasks the wait step woke, until... */
    struct coro_handle turn;        /* ...this handle's turn in the batch */
    struct coro_clock clock;        /* the loop's clock while attached: how
                                       io.c finds iol from the loop */
    struct coro_signal *signals;    /* add_signal_handler's, newest first */
    struct coro_handle *posted;     /* call_soon_threadsafe's, newest first
                                       (atomic: a lock-free stack) */
    struct coro_handle *taken, *taken_tail; /* taken from it, to run */
    unsigned expecting;             /* posts on their way (the resolver's
                                       lookups): the wait goes on for them */
};

/* Attaches a selector to `loop` (opened with `backend`, NULL for the best
 * here, for fds below max_fds) and a wakeup fd: from now on the loop waits in
 * the selector, on the monotonic clock. "uring" asks for the io_uring driver
 * where it is built (liburing) and the kernel allows it (no seccomp filter,
 * io_uring_disabled 0), else falls back to the best selector: the program
 * works the same; coro_sel_name(&iol->sel) says which it got. 0, CORO_EINVAL
 * or -errno (nothing is left open then). */
int coro_io_loop_open(struct coro_io_loop *iol, struct coro_loop *loop, const char *backend,
                      int max_fds);

/* Detaches and closes the selector and the wakeup fd; the loop goes back to
 * the monotonic clock. Registered fds are yours (coro_io_close them, before or
 * after): a task still waiting on one wakes with CORO_ECLOSED raised at its
 * wait, and a later coro_io_close of its io is safe. No coro_loop_wakeup or
 * coro_loop_call_soon_threadsafe may run meanwhile (join the threads that
 * call them; coro_resolver_stop a resolver of this loop first). The loop's `data` is never
 * touched: io.c knows the loop by the clock it sets. */
void coro_io_loop_close(struct coro_io_loop *iol, struct coro_loop *loop);

/* loop.call_soon_threadsafe, signal-safe too: makes the loop's wait return
 * and then run iol->on_wakeup (if set) once, however many wakeups came. The
 * only function here that may be called from another thread or a signal
 * handler. 0 or -errno. */
int coro_loop_wakeup(struct coro_loop *loop);

/* loop.call_soon_threadsafe(h): from any thread, queues the idle handle h
 * (caller-owned) to run on the loop's thread, and wakes the loop. Handles
 * posted from one thread run in the order they were posted; h is idle again
 * just before it runs (its callback may post it again). To post h once more
 * from another thread, wait until its callback has told that thread it ran
 * (a lock or an atomic store the thread reads): h is the loop's until then.
 * Lock-free, not signal-safe (coro_loop_wakeup is). 0; CORO_EINVAL (NULL, or
 * a loop without selector: the sleeping loop cannot be woken); CORO_EBUSY if
 * h is posted and has not run yet, or is scheduled on the loop (nothing
 * changes); or -errno if the wakeup write failed (h is queued all the same,
 * and runs at the loop's next wakeup). Only a post onto an empty queue
 * writes the wakeup fd (asyncio writes its self-pipe at each call). coro_io_loop_close drops the handles
 * still queued (each is idle again). */
int coro_loop_call_soon_threadsafe(struct coro_loop *loop, struct coro_handle *h);

/* A signal the selector loop handles (coro_io_add_signal_handler). 32 bytes
 * on x86-64 (the disposition to restore is kept in io.c, per signal). Caller-owned; keep it until removed or the loop closed. */
struct coro_signal {
    int signo;
    volatile sig_atomic_t pending;  /* set by the C handler, cleared by the loop */
    struct coro_handle *handle;     /* scheduled on the loop for each batch */
    struct coro_io_loop *iol;
    struct coro_signal *next;       /* iol->signals */
};

/* loop.add_signal_handler(signo, h): from now on signo sets a flag and wakes
 * the loop (all the C handler does; it is async-signal-safe), and the loop,
 * woken, schedules h with call_soon semantics: once per batch of deliveries,
 * however many came, on the loop's thread. `s` is caller-owned and filled in
 * here. As in asyncio, adding a signal this loop handles already replaces its
 * handler (the first disposition is still the one restored; the replaced
 * coro_signal is free again). 0, CORO_EINVAL (NULL, a signal number out of
 * range, SIGKILL or SIGSTOP), CORO_EBUSY (another loop handles signo), or
 * -errno; nothing changes on error. Signals are process-wide: one loop in
 * the process holds each. */
int coro_io_add_signal_handler(struct coro_io_loop *iol, struct coro_signal *s, int signo,
                               struct coro_handle *h);

/* loop.remove_signal_handler(signo): restores the disposition signo had
 * before it was added. A delivery already scheduled still runs (cancel the
 * handle with coro_loop_cancel to drop it). 0, CORO_EINVAL (NULL or a bad
 * number), CORO_ENOKEY (this loop does not handle signo) or -errno.
 * coro_io_loop_close removes every signal handler of its loop. */
int coro_io_remove_signal_handler(struct coro_io_loop *iol, int signo);

/* Prepares `io` for fd on `loop` (nothing is registered yet). */
void coro_io_init(struct coro_io *io, struct coro_loop *loop, int fd);

/* loop.add_reader(fd, cb) / add_writer: h runs at every iteration in which
 * the fd is readable (writable) until removed; level-triggered. One callback
 * per direction: 0, CORO_EBUSY if one is set, -errno or a selector code. */
int coro_io_add_reader(struct coro_io *io, struct coro_handle *h);
int coro_io_add_writer(struct coro_io *io, struct coro_handle *h);

/* loop.remove_reader(fd) / remove_writer: 0, or CORO_ENOKEY if none was set. */
int coro_io_remove_reader(struct coro_io *io);
int coro_io_remove_writer(struct coro_io *io);

/* Before close(fd): removes the callbacks, unregisters the fd, and every
 * task waiting on it, or woken by it but not yet resumed, gets -EBADF at its
 * await. Returns the fd, which stays open and yours: close(coro_io_close(&io)).
 * io->fd is -1 afterwards; coro_io_init it again to reuse it. */
int coro_io_close(struct coro_io *io);

/* Puts the current task on io's readers (events CORO_EVENT_READ) or writers
 * (CORO_EVENT_WRITE) and registers the interest: the step that yields next
 * waits until the fd is ready (or the task is cancelled). 0, CORO_ENOTASK
 * (nothing registered), CORO_EINVAL (bad event, a loop without selector),
 * -EBADF (io closed), or a selector code / -errno. */
int coro_io_wait(struct coro_io *io, unsigned event);

/* await readable / writable: suspends until io's fd is ready. Raises
 * CORO_ECANCELLED, -EBADF (io closed meanwhile), or what coro_io_wait
 * returns. Expands to
 *     if ((co->err = coro_io_wait(io, event))) <raise>;
 *     co->val = none; co->lc = N; return CORO_YIELDED; case N:
 *     if ((co->err = coro_io_resumed(io, event, co->err))) <raise>; */
#define CORO_IO_WAIT(co, io, event) \
    CORO__WAIT(co, coro_io_wait((io), (event)), coro_io_resumed((io), (event), (co)->err))

/* For writers of new I/O primitives (with coro_io_wait, the two halves of
 * CORO_IO_WAIT): the task's wait on io for `event` resumed with err (0, or
 * a cancel): lets the next waiter be woken, drops an interest nobody waits
 * on any more after a cancel; returns err, or -EBADF if io was closed. */
int coro_io_resumed(struct coro_io *io, unsigned event, int err);

/* ------------------------------------------------------------------------ */
/* asyncio's sock_* helpers, for a non-blocking socket in a task            */
/* ------------------------------------------------------------------------ */

/* For writers of new I/O primitives (applications use the CORO_SOCK_*
 * awaits below, built on them): one non-blocking attempt each;
 * CORO__PENDING (primitive.h) when it would block, else the result (>= 0)
 * or -errno. */
ssize_t coro_sock_try_recv(struct coro_io *io, void *buf, size_t len);
ssize_t coro_sock_try_send(struct coro_io *io, const void *buf, size_t len);
int coro_sock_try_accept(struct coro_io *io);
int coro_sock_try_connect(struct coro_io *io, const struct sockaddr *addr, socklen_t len);
int coro_sock_connect_result(struct coro_io *io);

/* Makes fd non-blocking (and close-on-exec). 0 or -errno. */
int coro_sock_nonblocking(int fd);

/* Private: r = attempt, repeated after each wait for `event` on io while it
 * is CORO__PENDING; a negative r is raised. */
#define CORO__SOCK_AWAIT(co, io, event, r, attempt) \
    do { \
        while (((r) = (attempt)) == CORO__PENDING) \
            CORO_IO_WAIT(co, io, event); \
        if ((r) < 0) { \
            (co)->err = (int)(r); \
            CORO__UNWIND(co); \
        } \
    } while (0)

/* r = await loop.sock_recv(sock, len): r (a ssize_t lvalue) = bytes read into
 * buf, 0 at end of stream. Errors (-ECONNRESET, ...) are raised here. It
 * tries a recv first, as asyncio does; in a request/response loop, after
 * sending a reply, CORO_IO_WAIT for readability first: it saves the recv
 * that could only say EAGAIN (demos/echo_server.c does).
 * Expands to
 *     while ((r = coro_sock_try_recv(io, buf, len)) == <pending>)
 *         CORO_IO_WAIT(co, io, CORO_EVENT_READ);
 *     if (r < 0) <raise (int)r>; */
#define CORO_SOCK_RECV(co, io, buf, len, r) \
    CORO__SOCK_AWAIT(co, io, CORO_EVENT_READ, r, coro_sock_try_recv((io), (buf), (len)))

/* await loop.sock_sendall(sock, buf): sends all len bytes, waiting while the
 * peer does not read; `sent` (a size_t lvalue in the frame) counts progress.
 * Errors (-EPIPE, -ECONNRESET) are raised here. Expands to
 *     for (sent = 0; sent < len;) {
 *         n = coro_sock_try_send(io, buf + sent, len - sent);
 *         if (n == <pending>) CORO_IO_WAIT(co, io, CORO_EVENT_WRITE);
 *         else if (n < 0) <raise>; else sent += n;
 *     } */
#define CORO_SOCK_SENDALL(co, io, buf, len, sent) \
    do { \
        for ((sent) = 0; (sent) < (len);) { \
            (co)->err = (int)coro_sock_try_send((io), (const char *)(buf) + (sent), \
                                                (len) - (sent)); \
            if ((co)->err == CORO__PENDING) \
                CORO_IO_WAIT(co, io, CORO_EVENT_WRITE); \
            else if ((co)->err < 0) \
                CORO__UNWIND(co); \
            else \
                (sent) += (size_t)(co)->err; \
        } \
        (co)->err = 0; \
    } while (0)

/* fd = await loop.sock_accept(sock): fd (an int lvalue) = the accepted
 * connection, non-blocking. Errors (-EMFILE, ...) are raised here; the
 * listening socket stays usable. */
#define CORO_SOCK_ACCEPT(co, io, fd) \
    CORO__SOCK_AWAIT(co, io, CORO_EVENT_READ, fd, coro_sock_try_accept(io))

/* await loop.sock_connect(sock, addr): connects io's non-blocking socket.
 * Errors (-ECONNREFUSED, ...) are raised here. */
#define CORO_SOCK_CONNECT(co, io, addr, addrlen) \
    do { \
        (co)->err = coro_sock_try_connect((io), (addr), (addrlen)); \
        if ((co)->err == CORO__PENDING) { \
            CORO_IO_WAIT(co, io, CORO_EVENT_WRITE); \
            (co)->err = coro_sock_connect_result(io); \
        } \
        if ((co)->err) \
            CORO__UNWIND(co); \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Datagrams: asyncio 3.11's sock_recvfrom / sock_sendto                    */
/* ------------------------------------------------------------------------ */

/* One non-blocking recvfrom: CORO__PENDING when no datagram is queued, else
 * the datagram's length (on Linux its whole length, which is more than len
 * when it was truncated: only its first len bytes are in buf; elsewhere the
 * bytes stored) or -errno (-ECONNREFUSED: an earlier datagram of a connected
 * socket met a closed port). The sender's address goes to addr (NULL: not
 * wanted), *addrlen its size in, the address's out. CORO_EINVAL, nothing
 * read: a NULL io, a NULL buf with len > 0, addr without addrlen. */
ssize_t coro_sock_try_recvfrom(struct coro_io *io, void *buf, size_t len,
                               struct sockaddr *addr, socklen_t *addrlen);

/* One non-blocking sendto of the whole datagram to addr (NULL with addrlen
 * 0: to a connected socket's peer): its length, CORO__PENDING, or -errno
 * (-EMSGSIZE: too big, -ECONNREFUSED as above). CORO_EINVAL, nothing sent:
 * a NULL io, a NULL buf with len > 0, a NULL addr with addrlen > 0. */
ssize_t coro_sock_try_sendto(struct coro_io *io, const void *buf, size_t len,
                             const struct sockaddr *addr, socklen_t addrlen);

/* data, addr = await loop.sock_recvfrom(sock, len): r (a ssize_t lvalue) =
 * the bytes of one datagram stored in buf. A datagram longer than len is
 * truncated to its first len bytes, as asyncio returns (r == len then; to
 * tell it apart, coro_sock_try_recvfrom after a CORO_IO_WAIT gives the whole
 * length on Linux). addr / addrlen as coro_sock_try_recvfrom's; an empty
 * datagram gives 0. Errors (-ECONNREFUSED, CORO_EINVAL) are raised here.
 * Expands to
 *     while ((r = coro_sock_try_recvfrom(io, buf, len, addr, addrlen)) == <pending>)
 *         CORO_IO_WAIT(co, io, CORO_EVENT_READ);
 *     if (r < 0) <raise (int)r>; if (r > len) r = len; */
#define CORO_SOCK_RECVFROM(co, io, buf, len, addr, addrlen, r) \
    do { \
        CORO__SOCK_AWAIT(co, io, CORO_EVENT_READ, r, \
                         coro_sock_try_recvfrom((io), (buf), (len), (addr), (addrlen))); \
        if ((size_t)(r) > (size_t)(len)) \
            (r) = (ssize_t)(len); \
    } while (0)

/* await loop.sock_sendto(sock, data, addr): sends buf[0..len) as one
 * datagram to addr (NULL with addrlen 0: a connected socket's peer), waiting
 * while the socket's buffer is full; r (a ssize_t lvalue) = len. Errors
 * (-EMSGSIZE, -ECONNREFUSED, CORO_EINVAL) are raised here. Expands to
 *     while ((r = coro_sock_try_sendto(io, buf, len, addr, addrlen)) == <pending>)
 *         CORO_IO_WAIT(co, io, CORO_EVENT_WRITE);
 *     if (r < 0) <raise (int)r>; */
#define CORO_SOCK_SENDTO(co, io, buf, len, addr, addrlen, r) \
    CORO__SOCK_AWAIT(co, io, CORO_EVENT_WRITE, r, \
                     coro_sock_try_sendto((io), (buf), (len), (addr), (addrlen)))

#ifdef __cplusplus
}
#endif

#endif /* CORO_IO_H */
