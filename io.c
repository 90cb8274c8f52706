/* SPDX-License-Identifier: MIT */
/*
 * io.c -- the selector loop (a loop whose wait step is a selector), fds as
 * awaitables, and asyncio's sock_* helpers. See io.h.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "io.h"
#include "internal.h"
#include "coro_sys.h"           /* the system calls, as a fault seam */

static int io_wait(struct coro_loop *loop, coro_time deadline);

/* The selector loop attached to `loop`, or NULL: its clock is the one
 * coro_io_loop_open set, embedded in the struct coro_io_loop (the data field is
 * the user's). */
static struct coro_io_loop *io_loop(const struct coro_loop *loop)
{
    return loop->clock->wait == io_wait ?
           CORO__CONTAINER_OF(loop->clock, struct coro_io_loop, clock) : NULL;
}

/* ---- interest: what io wants from the selector -------------------------- */

/* Registers, modifies or unregisters io's fd to match `wanted`. */
static int set_interest(struct coro_io *io, unsigned wanted)
{
    struct coro_sel *sel;
    int rc = 0;
    if (wanted == io->events)
        return 0;
    if (!io_loop(io->loop))
        return CORO_EINVAL;             /* the loop has no selector */
    sel = &io_loop(io->loop)->sel;
    if (!wanted)
        rc = coro_sel_unregister(sel, io->fd);
    else if (!io->events)
        rc = coro_sel_register(sel, io->fd, wanted, io);
    else
        rc = coro_sel_modify(sel, io->fd, wanted, io);
    if (rc == 0 || !wanted)
        io->events = (unsigned short)wanted;
    return rc;
}

/* What io still wants: a direction nobody waits on is dropped lazily, when
 * the selector reports it (as asyncio drops a cancelled reader). */
static unsigned wanted(const struct coro_io *io)
{
    return io->woken |
           (io->readers.tail || io->on_read ? CORO_EVENT_READ : 0) |
           (io->writers.tail || io->on_write ? CORO_EVENT_WRITE : 0);
}

/* Puts io on the loop's list of ios to look at before the next select. */
static void check_later(struct coro_io_loop *iol, struct coro_io *io)
{
    if (!io->checking) {
        io->checking = 1;
        io->check_next = iol->check;
        iol->check = io;
    }
}

void coro_io_init(struct coro_io *io, struct coro_loop *loop, int fd)
{
    io->fd = fd;
    io->events = 0;
    io->checking = 0;
    io->woken = 0;
    io->check_next = NULL;
    io->loop = loop;
    io->readers.tail = io->writers.tail = NULL;
    io->on_read = io->on_write = NULL;
}

static int add_callback(struct coro_io *io, struct coro_handle **slot, struct coro_handle *h,
                        unsigned event)
{
    int rc;
    if (*slot)
        return CORO_EBUSY;
    rc = set_interest(io, io->events | event);
    if (rc == 0)
        *slot = h;
    return rc;
}

int coro_io_add_reader(struct coro_io *io, struct coro_handle *h)
{
    return add_callback(io, &io->on_read, h, CORO_EVENT_READ);
}

int coro_io_add_writer(struct coro_io *io, struct coro_handle *h)
{
    return add_callback(io, &io->on_write, h, CORO_EVENT_WRITE);
}

static int remove_callback(struct coro_io *io, struct coro_handle **slot)
{
    if (!*slot)
        return CORO_ENOKEY;
    coro_loop_cancel(io->loop, *slot);      /* if it is queued, it won't run */
    *slot = NULL;
    set_interest(io, wanted(io));
    return 0;
}

int coro_io_remove_reader(struct coro_io *io)
{
    return remove_callback(io, &io->on_read);
}

int coro_io_remove_writer(struct coro_io *io)
{
    return remove_callback(io, &io->on_write);
}

int coro_io_close(struct coro_io *io)
{
    int fd = io->fd;
    if (io->checking) {
        struct coro_io **p = &io_loop(io->loop)->check;
        while (*p != io)
            p = &(*p)->check_next;
        *p = io->check_next;
        io->checking = 0;
    }
    if (io->on_read)
        coro_io_remove_reader(io);
    if (io->on_write)
        coro_io_remove_writer(io);
    while (coro_loop_wake(io->loop, &io->readers, coro_none(), -EBADF))
        ;
    while (coro_loop_wake(io->loop, &io->writers, coro_none(), -EBADF))
        ;
    set_interest(io, 0);
    io->fd = -1;        /* a task woken by it but not yet run gets -EBADF too */
    return fd;
}

int coro_io_wait(struct coro_io *io, unsigned event)
{
    int rc;
    if (event != CORO_EVENT_READ && event != CORO_EVENT_WRITE)
        return CORO_EINVAL;
    if (!io_loop(io->loop))
        return CORO_EINVAL;             /* the loop has no selector */
    if (io->fd < 0)
        return -EBADF;                  /* closed by coro_io_close */
    if (!coro_loop_current(io->loop))
        return CORO_ENOTASK;
    rc = set_interest(io, io->events | event);
    if (rc)
        return rc;
    /* if this fails (no task), the interest is dropped when it fires */
    return coro_loop_wait_on(io->loop, event == CORO_EVENT_READ ? &io->readers : &io->writers);
}

int coro_io_resumed(struct coro_io *io, unsigned event, int err)
{
    if (coro_loop_woken(io->loop, NULL))
        io->woken &= (unsigned char)~event;     /* the next waiter may go */
    if (io->fd < 0)
        return -EBADF;
    if (err)                                    /* cancelled while waiting */
        set_interest(io, io->events & wanted(io));
    return err;
}

/* ---- the selector loop's wait step -------------------------------------- */

/* Wakes the first task of `waiters` for the next iteration, behind what the
 * handles that run before its fd's turn schedule: in asyncio the fd's
 * callback, after the handles that were ready before the select, sets the
 * future the task awaits. The woken tasks wait on iol->woken; iol->turn,
 * call_soon'd at the first of them (where that callback would stand in the
 * batch), queues them all. */
static struct coro_task *wake_at_turn(struct coro_io_loop *iol, struct coro_loop *loop,
                                      struct coro_list *waiters)
{
    struct coro_task *t = coro__loop_wake_onto(waiters, &iol->woken);
    if (t)
        coro_loop_call_soon(loop, &iol->turn);      /* CORO_EBUSY if it is */
    return t;
}

/* iol->turn: the tasks the wait step woke take their place in the queue. */
static void woken_turn(struct coro_handle *h)
{
    struct coro_io_loop *iol = CORO__CONTAINER_OF(h, struct coro_io_loop, turn);
    struct coro_handle *t;
    while ((t = coro_list_pop(&iol->woken)) != NULL)
        coro_list_push(&iol->wake.loop->ready, t);
}

/* Schedules what a ready fd wakes: the first waiting task, the callback. */
static void dispatch(struct coro_loop *loop, const struct coro_sel_event *ev)
{
    struct coro_io_loop *iol = io_loop(loop);
    const struct coro_sel_key *key = coro_sel_get_key(&iol->sel, ev->fd);
    struct coro_io *io = (struct coro_io *)ev->data;
    unsigned events, unwanted;
    if (!key || key->data != ev->data)
        return;                 /* unregistered earlier in this batch */
    events = ev->events & key->events;
    /* a direction nobody waits on any more is dropped now; one that a task
     * waits on stays registered, since that task usually waits again */
    unwanted = events & ~wanted(io);
    /* The first waiting task resumes at the next iteration, as asyncio's
     * sock_* do through a future that the fd's callback sets. Until it has
     * run, the fd may still look ready: nobody else is woken for it. */
    if ((events & CORO_EVENT_READ) && !(io->woken & CORO_EVENT_READ) &&
        wake_at_turn(iol, loop, &io->readers)) {
        io->woken |= CORO_EVENT_READ;
        check_later(iol, io);
    }
    if ((events & CORO_EVENT_WRITE) && !(io->woken & CORO_EVENT_WRITE) &&
        wake_at_turn(iol, loop, &io->writers)) {
        io->woken |= CORO_EVENT_WRITE;
        check_later(iol, io);
    }
    if ((events & CORO_EVENT_READ) && io->on_read)
        coro_loop_call_soon(loop, io->on_read);         /* once per iteration */
    if ((events & CORO_EVENT_WRITE) && io->on_write)
        coro_loop_call_soon(loop, io->on_write);
    if (unwanted)
        set_interest(io, io->events & ~unwanted);
}

static coro_time io_now(struct coro_loop *loop)
{
    return coro_clock_monotonic.now(loop);
}

static int io_wait(struct coro_loop *loop, coro_time deadline)
{
    struct coro_io_loop *iol = io_loop(loop);
    coro_time timeout = CORO_FOREVER;
    int n, i;
    /* Once the tasks that fds woke have run, an fd none of them waits on
     * again leaves the selector, before it could keep the wait going. */
    {
        struct coro_io **p = &iol->check;
        while (*p) {
            struct coro_io *io = *p;
            if (io->woken) {
                p = &io->check_next;            /* not yet run: next time */
            } else {
                *p = io->check_next;
                io->checking = 0;
                set_interest(io, io->events & wanted(io));
            }
        }
    }
    if (deadline != CORO_FOREVER) {
        timeout = deadline - io_now(loop);
        if (timeout < 0)
            timeout = 0;
    } else if (iol->sel.count <= 1 && !iol->on_wakeup && !iol->signals && !iol->expecting &&
               !__atomic_load_n(&iol->posted, __ATOMIC_RELAXED)) {
        return CORO_EEMPTY;     /* only the wakeup fd, and nobody listens */
    }
    n = coro_sel_select(&iol->sel, iol->events, CORO_IO_BATCH, timeout);
    if (n < 0)
        return n;
    for (i = 0; i < n; i++)
        dispatch(loop, &iol->events[i]);
    return 0;
}


/* ---- wakeup ------------------------------------------------------------- */

static void signals_deliver(struct coro_io_loop *iol);

/* call_soon_threadsafe's queue: a Treiber stack of handles, newest first,
 * linked through u.next and ended by &posted_end (never NULL: a posted
 * handle never looks idle). Every access to a posted handle's u.next is
 * atomic, so that a post of a busy handle, racing with the loop, answers
 * CORO_EBUSY without a data race. The loop takes the whole stack at once
 * (no ABA) and appends it, reversed (oldest first: each producer's posts in
 * order), to iol->taken, its own FIFO of the handles to run. */
static struct coro_handle posted_end;

static struct coro_handle *link_of(struct coro_handle *h)
{
    return __atomic_load_n(&h->u.next, __ATOMIC_RELAXED);
}

static void link_set(struct coro_handle *h, struct coro_handle *next)
{
    __atomic_store_n(&h->u.next, next, __ATOMIC_RELAXED);
}

/* Moves what was posted to the end of iol->taken. */
static void posted_take(struct coro_io_loop *iol)
{
    struct coro_handle *h = __atomic_exchange_n(&iol->posted, NULL, __ATOMIC_ACQUIRE);
    struct coro_handle *fifo = &posted_end, *next, *last = h;
    if (!h)
        return;
    while (h != &posted_end) {
        next = link_of(h);
        link_set(h, fifo);
        fifo = h;
        h = next;
    }
    if (iol->taken)
        link_set(iol->taken_tail, fifo);
    else
        iol->taken = fifo;
    iol->taken_tail = last;
}

/* Takes the first handle off iol->taken (NULL if none): idle again. */
static struct coro_handle *taken_pop(struct coro_io_loop *iol)
{
    struct coro_handle *h = iol->taken;
    if (h) {
        iol->taken = link_of(h) == &posted_end ? NULL : link_of(h);
        __atomic_store_n(&h->u.next, (struct coro_handle *)NULL, __ATOMIC_RELEASE);
    }
    return h;
}

/* Runs what was posted, oldest first; each handle is idle again just
 * before its callback runs. */
static void posted_run(struct coro_io_loop *iol)
{
    struct coro_handle *h;
    posted_take(iol);
    while ((h = taken_pop(iol)) != NULL)
        h->fn(h);
}

int coro__io_unpost(struct coro_loop *loop, struct coro_handle *h)
{
    struct coro_io_loop *iol = io_loop(loop);
    struct coro_handle *cur, *prev = NULL, *next;
    if (!iol)
        return CORO_EINVAL;
    posted_take(iol);
    for (cur = iol->taken; cur && cur != h; cur = next == &posted_end ? NULL : next) {
        prev = cur;
        next = link_of(cur);
    }
    if (!cur)
        return CORO_ESTATE;
    next = link_of(h);
    if (prev)
        link_set(prev, next);
    else
        iol->taken = next == &posted_end ? NULL : next;
    if (iol->taken_tail == h)
        iol->taken_tail = prev;
    __atomic_store_n(&h->u.next, (struct coro_handle *)NULL, __ATOMIC_RELEASE);
    return 0;
}

static void wake_drain(struct coro_handle *h)
{
    struct coro_io_loop *iol = CORO__CONTAINER_OF(h, struct coro_io_loop, wake_drain);
    char buf[64];
    while (read(iol->wake_fd[0], buf, sizeof buf) > 0)
        ;
    signals_deliver(iol);
    posted_run(iol);
    if (iol->on_wakeup)
        coro_loop_call_soon(iol->wake.loop, iol->on_wakeup);
}

/* Writes the wakeup fd; async-signal-safe, errno kept. 0 or -errno. */
static int wake_write(struct coro_io_loop *iol)
{
    uint64_t one = 1;
    int saved = errno;
    ssize_t n;
    n = write(iol->wake_fd[1], &one, iol->wake_fd[0] == iol->wake_fd[1] ? sizeof one : 1);
    n = (n < 0 && errno != EAGAIN) ? -errno : 0;    /* EAGAIN: one is pending */
    errno = saved;
    return (int)n;
}

int coro_loop_wakeup(struct coro_loop *loop)
{
    struct coro_io_loop *iol = io_loop(loop);
    if (!iol)
        return CORO_EINVAL;
    return wake_write(iol);
}

int coro_loop_call_soon_threadsafe(struct coro_loop *loop, struct coro_handle *h)
{
    struct coro_io_loop *iol = loop && h ? io_loop(loop) : NULL;
    struct coro_handle *head = NULL;
    if (!iol)
        return CORO_EINVAL;
    /* claim h: idle (u.next NULL) to posted, or it is busy */
    if (!__atomic_compare_exchange_n(&h->u.next, &head, &posted_end, 0, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return CORO_EBUSY;
    head = __atomic_load_n(&iol->posted, __ATOMIC_RELAXED);
    do {
        __atomic_store_n(&h->u.next, head ? head : &posted_end, __ATOMIC_RELAXED);
    } while (!__atomic_compare_exchange_n(&iol->posted, &head, h, 1, __ATOMIC_RELEASE,
                                          __ATOMIC_RELAXED));
    /* Only the post that finds the stack empty writes the wakeup fd: the
     * others find that wakeup on its way, since the loop reads the fd before
     * it takes the stack (1,000,000 posts from one thread: 1.6 us a post
     * with a write each, 16 ns without, on the test machine). */
    return head ? 0 : wake_write(iol);
}

void coro__io_expect(struct coro_loop *loop, int delta)
{
    struct coro_io_loop *iol = io_loop(loop);
    if (iol)
        iol->expecting += (unsigned)delta;
}

/* ---- signals ------------------------------------------------------------ */

/* Signals are process-wide: which coro_signal holds each, and the
 * disposition it had before. The C handler only reads the first. */
static struct coro_signal *volatile sig_holder[NSIG];
static struct sigaction sig_before[NSIG];

static void on_signal(int signo)
{
    struct coro_signal *s = sig_holder[signo];
    if (s) {
        s->pending = 1;
        wake_write(s->iol);
    }
}

/* The loop, woken: schedules the handle of every signal delivered since. */
static void signals_deliver(struct coro_io_loop *iol)
{
    struct coro_signal *s;
    for (s = iol->signals; s; s = s->next)
        if (s->pending) {
            s->pending = 0;
            coro_loop_call_soon(iol->wake.loop, s->handle);     /* CORO_EBUSY: it is */
        }
}

static int sig_bad(int signo)
{
    return signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP;
}

int coro_io_add_signal_handler(struct coro_io_loop *iol, struct coro_signal *s, int signo,
                               struct coro_handle *h)
{
    struct coro_signal *held, **p;
    struct sigaction sa;
    if (!iol || !s || !h || sig_bad(signo))
        return CORO_EINVAL;
    held = sig_holder[signo];
    if (held && held->iol != iol)
        return CORO_EBUSY;
    s->signo = signo;
    s->pending = 0;
    s->handle = h;
    s->iol = iol;
    if (held) {                         /* asyncio: the new handler replaces it */
        for (p = &iol->signals; *p != held; p = &(*p)->next)
            ;
        s->next = held->next;
        *p = s;
        sig_holder[signo] = s;
        if (held->pending)              /* a delivery the old one took */
            s->pending = 1;
        return 0;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    sig_holder[signo] = s;              /* before the handler can run */
    if (sigaction(signo, &sa, &sig_before[signo]) < 0) {
        int e = -errno;
        sig_holder[signo] = NULL;
        return e;
    }
    s->next = iol->signals;
    iol->signals = s;
    return 0;
}

/* Gives signo back its disposition from before; s stays on the list. */
static int sig_release(struct coro_signal *s)
{
    if (sigaction(s->signo, &sig_before[s->signo], NULL) < 0)
        return -errno;
    sig_holder[s->signo] = NULL;        /* after: the handler may still run */
    s->pending = 0;
    return 0;
}

int coro_io_remove_signal_handler(struct coro_io_loop *iol, int signo)
{
    struct coro_signal **p;
    int rc;
    if (!iol || sig_bad(signo))
        return CORO_EINVAL;
    for (p = &iol->signals; *p && (*p)->signo != signo; p = &(*p)->next)
        ;
    if (!*p)
        return CORO_ENOKEY;
    rc = sig_release(*p);
    if (!rc)
        *p = (*p)->next;
    return rc;
}

int coro_io_loop_open(struct coro_io_loop *iol, struct coro_loop *loop, const char *backend,
                      int max_fds)
{
    const struct coro_clock *before;
    int rc;
    if (!iol || !loop)
        return CORO_EINVAL;
    rc = coro_sel_open(&iol->sel, backend, max_fds);
    if (rc && backend && strcmp(backend, "uring") == 0 && max_fds > 0)
        rc = coro_sel_open(&iol->sel, NULL, max_fds);  /* no io_uring here: as before */
    if (rc)
        return rc;
#ifdef __linux__
    iol->wake_fd[0] = iol->wake_fd[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (iol->wake_fd[0] < 0)
#else
    if (pipe(iol->wake_fd) < 0 || coro_sock_nonblocking(iol->wake_fd[0]) ||
        coro_sock_nonblocking(iol->wake_fd[1]))
#endif
    {
        rc = -errno;
        coro_sel_close(&iol->sel);
        return rc;
    }
    iol->on_wakeup = NULL;
    iol->signals = NULL;
    iol->posted = iol->taken = iol->taken_tail = NULL;
    iol->expecting = 0;
    iol->check = NULL;
    iol->woken.tail = NULL;
    coro_handle_init(&iol->turn, woken_turn);
    iol->clock.now = io_now;
    iol->clock.wait = io_wait;
    before = loop->clock;
    coro_loop_set_clock(loop, &iol->clock);     /* from now on, io_loop(loop) is iol */
    loop->holds++;                              /* coro_loop_close: CORO_EBUSY */
    coro_io_init(&iol->wake, loop, iol->wake_fd[0]);
    coro_handle_init(&iol->wake_drain, wake_drain);
    rc = coro_io_add_reader(&iol->wake, &iol->wake_drain);
    if (rc) {
        coro_io_loop_close(iol, loop);
        coro_loop_set_clock(loop, before);          /* as it was */
        return rc;
    }
    coro_loop_set_clock(loop, &iol->clock);     /* the loop time as it is now */
    return 0;
}

/* Detaches every io of the selector from it: the tasks still waiting on an
 * fd wake with CORO_ECLOSED, and no io refers to the selector any more (a
 * later coro_io_close only wakes and forgets). */
static void io_detach_all(struct coro_io_loop *iol, struct coro_loop *loop)
{
    int fd;
    while (iol->check) {
        struct coro_io *io = iol->check;
        iol->check = io->check_next;
        io->check_next = NULL;
        io->checking = 0;
    }
    for (fd = 0; fd < iol->sel.max_fds; fd++) {
        const struct coro_sel_key *key = coro_sel_get_key(&iol->sel, fd);
        struct coro_io *io;
        if (!key || key->data == &iol->wake)
            continue;
        io = (struct coro_io *)key->data;
        while (coro_loop_wake(loop, &io->readers, coro_none(), CORO_ECLOSED))
            ;
        while (coro_loop_wake(loop, &io->writers, coro_none(), CORO_ECLOSED))
            ;
        io->events = 0;                 /* the selector goes with the loop */
        io->woken = 0;
    }
}

void coro_io_loop_close(struct coro_io_loop *iol, struct coro_loop *loop)
{
    while (iol->signals) {              /* dispositions back before the fd goes */
        struct coro_signal *s = iol->signals;
        iol->signals = s->next;
        sig_release(s);
    }
    if (coro_loop_cancel(loop, &iol->turn) == 0)
        woken_turn(&iol->turn);         /* woken tasks are not lost */
    io_detach_all(iol, loop);
    posted_take(iol);                   /* what was posted is dropped, idle */
    while (taken_pop(iol))
        ;
    coro_io_close(&iol->wake);
    coro_loop_set_clock(loop, &coro_clock_monotonic);   /* detached: before its fds go */
    loop->holds--;
    close(iol->wake_fd[0]);
    if (iol->wake_fd[1] != iol->wake_fd[0])
        close(iol->wake_fd[1]);
    coro_sel_close(&iol->sel);
}

/* ---- sockets ------------------------------------------------------------ */

int coro_sock_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

static int would_block(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK;
}

ssize_t coro_sock_try_recv(struct coro_io *io, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = CORO__SYS_RECV(io->fd, buf, len, 0);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return would_block(errno) ? CORO__PENDING : -errno;
    }
}

ssize_t coro_sock_try_send(struct coro_io *io, const void *buf, size_t len)
{
#ifdef MSG_NOSIGNAL
    const int flags = MSG_NOSIGNAL;         /* -EPIPE, not SIGPIPE */
#else
    const int flags = 0;
#endif
    for (;;) {
        ssize_t n = CORO__SYS_SEND(io->fd, buf, len, flags);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return would_block(errno) ? CORO__PENDING : -errno;
    }
}

int coro_sock_try_accept(struct coro_io *io)
{
    for (;;) {
#ifdef __linux__
        int fd = CORO__SYS_ACCEPT4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        int fd = CORO__SYS_ACCEPT(io->fd, NULL, NULL);
        if (fd >= 0 && coro_sock_nonblocking(fd) < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
#endif
        if (fd >= 0)
            return fd;
        if (errno != EINTR && errno != ECONNABORTED)
            return would_block(errno) ? CORO__PENDING : -errno;
    }
}

int coro_sock_try_connect(struct coro_io *io, const struct sockaddr *addr, socklen_t len)
{
    if (CORO__SYS_CONNECT(io->fd, addr, len) == 0)
        return 0;
    return errno == EINPROGRESS || errno == EINTR ? CORO__PENDING : -errno;
}

int coro_sock_connect_result(struct coro_io *io)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (CORO__SYS_GETSOCKOPT(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -errno;
    return -err;
}

/* ---- datagrams ---------------------------------------------------------- */

ssize_t coro_sock_try_recvfrom(struct coro_io *io, void *buf, size_t len,
                               struct sockaddr *addr, socklen_t *addrlen)
{
#if defined(__linux__) && defined(MSG_TRUNC)
    const int flags = MSG_TRUNC;            /* the datagram's whole length */
#else
    const int flags = 0;
#endif
    if (!io || (!buf && len) || (addr && !addrlen))
        return CORO_EINVAL;
    for (;;) {
        ssize_t n = CORO__SYS_RECVFROM(io->fd, buf, len, flags, addr, addr ? addrlen : NULL);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return would_block(errno) ? CORO__PENDING : -errno;
    }
}

ssize_t coro_sock_try_sendto(struct coro_io *io, const void *buf, size_t len,
                             const struct sockaddr *addr, socklen_t addrlen)
{
#ifdef MSG_NOSIGNAL
    const int flags = MSG_NOSIGNAL;
#else
    const int flags = 0;
#endif
    if (!io || (!buf && len) || (!addr && addrlen))
        return CORO_EINVAL;
    for (;;) {
        ssize_t n = CORO__SYS_SENDTO(io->fd, buf, len, flags, addr, addrlen);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return would_block(errno) ? CORO__PENDING : -errno;
    }
}
