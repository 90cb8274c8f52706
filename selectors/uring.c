/* SPDX-License-Identifier: MIT */
/*
 * uring.c -- the io_uring backend (Linux, built when liburing is found:
 * CORO_HAVE_URING), a readiness driver: each registered fd has one
 * IORING_OP_POLL_ADD in flight, and a wait is one io_uring_enter that both
 * submits what changed since the last one and waits for completions.
 *
 * Trade-offs against epoll: register, modify and unregister make no system
 * call of their own (they queue submissions, sent with the next wait; only a
 * check that the fd is open, so that register says -EBADF as epoll does);
 * but a poll is one-shot, so that the selector stays level-triggered: an fd
 * that was reported is polled again at the next wait, and a poll armed on a
 * ready fd completes at once. Multishot polls (IORING_POLL_ADD_MULTI) would
 * save the re-arming, but they fire on wake-ups, not on readiness: an fd left
 * readable would never be reported again. A poll holds the open file, not the
 * fd number: an fd closed while registered is still watched (as epoll does
 * with a dup left open), and reported when its file is ready, until it is
 * unregistered. Regular files are always ready (as with poll; epoll says
 * -EPERM). The ring holds an fd (close-on-exec).
 *
 * Each poll's user_data is (generation << 32 | fd): modify and unregister
 * remove the poll in flight and bump the fd's generation, so that its late
 * completion is recognised and dropped. Completions beyond what one wait can
 * return stay in the ring for the next one.
 */
#define _GNU_SOURCE 1

#if defined(__linux__) && defined(CORO_HAVE_URING)

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>

#include "selectors.h"
#include "../coro_sys.h"        /* the system calls, as a fault seam */

/* user_data of a POLL_REMOVE: its own completion is dropped */
#define REMOVE_TAG UINT64_MAX

struct ufd {
    uint32_t gen;               /* of the poll in flight, or of the next */
    unsigned char armed;        /* a poll is in flight */
    unsigned char queued;       /* on the list of polls to arm before a wait */
};

struct ustate {
    struct io_uring ring;
    struct ufd *fds;            /* max_fds of them */
    int *rearm;                 /* fds to poll again at the next wait */
    int nrearm;
};

/* Sizes: submissions go in batches (a full queue is submitted at once);
 * completions, one per registered fd at most, may overflow the queue, which
 * the kernel keeps (IORING_FEAT_NODROP) until there is room. */
#define SQ_ENTRIES 256u
#define CQ_MAX     32768u

static unsigned cq_entries(int max_fds)
{
    unsigned n = 2 * SQ_ENTRIES;
    while (n < (unsigned)max_fds && n < CQ_MAX)
        n *= 2;
    return n;
}

/* A ring for sel, or -errno (what io_uring_queue_init says: -ENOSYS, -EPERM
 * where the kernel refuses io_uring). */
static int ring_open(struct io_uring *ring, int max_fds)
{
    struct io_uring_params p;
    /* No COOP_TASKRUN / DEFER_TASKRUN: they would leave a poll woken by our
     * own write uncompleted until the next io_uring_enter, which a select
     * with timeout 0 and nothing to submit does not make (and they did not
     * measure faster here). */
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_CQSIZE;
    p.cq_entries = cq_entries(max_fds);
    return CORO__SYS_URING_SETUP(SQ_ENTRIES, ring, &p);
}

/* 1 if this kernel lets us open a ring, else 0; asked once. A non-empty
 * CORO_NO_URING in the environment says 0: valgrind (3.19) cannot run a
 * process blocked in io_uring_enter (no other thread runs, no signal comes
 * in), so that the suites run under it without io_uring. */
int coro__sel_uring_usable(void);
int coro__sel_uring_usable(void)
{
    static int usable = -1;
    if (usable < 0) {
        const char *no = getenv("CORO_NO_URING");
        struct io_uring ring;
        usable = (!no || !*no) && ring_open(&ring, 1) == 0;
        if (usable)
            io_uring_queue_exit(&ring);
    }
    return usable;
}

static int ur_open(struct coro_sel *sel)
{
    size_t max = (size_t)sel->max_fds;
    struct ustate *st;
    int r;

    if (max > SIZE_MAX / sizeof *st->fds || max > SIZE_MAX / sizeof *st->rearm)
        return -ENOMEM;
    st = (struct ustate *)calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->fds = (struct ufd *)calloc(max, sizeof *st->fds);
    st->rearm = (int *)malloc(max * sizeof *st->rearm);
    r = st->fds && st->rearm ? ring_open(&st->ring, sel->max_fds) : -ENOMEM;
    if (r < 0) {
        free(st->fds);
        free(st->rearm);
        free(st);
        return r;
    }
    sel->fd = st->ring.ring_fd;
    sel->state = st;
    return 0;
}

static void ur_close(struct coro_sel *sel)
{
    struct ustate *st = (struct ustate *)sel->state;
    io_uring_queue_exit(&st->ring);         /* cancels the polls, closes the fd */
    free(st->fds);
    free(st->rearm);
    free(st);
    sel->fd = -1;
    sel->state = NULL;
}

/* A free submission entry, submitting the full queue first if need be; NULL
 * if the kernel takes none. */
static struct io_uring_sqe *sqe_of(struct ustate *st)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&st->ring);
    if (!sqe) {
        io_uring_submit(&st->ring);
        sqe = io_uring_get_sqe(&st->ring);
    }
    return sqe;
}

static uint64_t tag(const struct ustate *st, int fd)
{
    return (uint64_t)st->fds[fd].gen << 32 | (uint32_t)fd;
}

/* Queues a poll of fd for events. 0 or -EAGAIN (no room in the ring). */
static int arm(struct ustate *st, int fd, unsigned events)
{
    struct io_uring_sqe *sqe = sqe_of(st);
    unsigned mask = 0;
    if (!sqe)
        return -EAGAIN;
    if (events & CORO_EVENT_READ)
        mask |= POLLIN;
    if (events & CORO_EVENT_WRITE)
        mask |= POLLOUT;
    io_uring_prep_poll_add(sqe, fd, mask);
    io_uring_sqe_set_data64(sqe, tag(st, fd));
    st->fds[fd].armed = 1;
    return 0;
}

/* Removes fd's poll in flight, if any: its completion will be dropped. 0 or
 * -EAGAIN (no room in the ring: nothing changed). */
static int disarm(struct ustate *st, int fd)
{
    struct io_uring_sqe *sqe;
    if (!st->fds[fd].armed)
        return 0;
    sqe = sqe_of(st);
    if (!sqe)
        return -EAGAIN;
    io_uring_prep_poll_remove(sqe, tag(st, fd));
    io_uring_sqe_set_data64(sqe, REMOVE_TAG);
    st->fds[fd].armed = 0;
    st->fds[fd].gen++;
    return 0;
}

/* The one system call of a change: is fd open? (the kernel says -EBADF at
 * register and modify, as epoll_ctl does). 0 or -errno. */
static int check_fd(int fd, int op)
{
    (void)op;
    return CORO__SYS_URING_CHECK(fd, op) < 0 ? -errno : 0;
}

static int ur_add(struct coro_sel *sel, int fd, unsigned events)
{
    struct ustate *st = (struct ustate *)sel->state;
    int r = check_fd(fd, 1);
    if (r < 0)
        return r;
    if (fd == st->ring.ring_fd)
        return -EINVAL;                     /* itself: as epoll says */
    r = disarm(st, fd);                     /* none: it was not registered */
    return r < 0 ? r : arm(st, fd, events);
}

static int ur_modify(struct coro_sel *sel, int fd, unsigned old_events, unsigned events)
{
    struct ustate *st = (struct ustate *)sel->state;
    int r = check_fd(fd, 3);
    (void)old_events;
    if (r < 0)
        return r;
    if (!st->fds[fd].armed)
        return 0;                           /* armed with the key's at the wait */
    r = disarm(st, fd);
    return r < 0 ? r : arm(st, fd, events);
}

static int ur_remove(struct coro_sel *sel, int fd, unsigned old_events)
{
    (void)old_events;
    return disarm((struct ustate *)sel->state, fd);
}

/* The events of a poll's result, as epoll.c reports them: an error or a
 * hang-up is both read and write. */
static unsigned events_of(int res)
{
    unsigned events = 0;
    if (res & (POLLIN | POLLPRI | POLLERR | POLLHUP))
        events |= CORO_EVENT_READ;
    if (res & (POLLOUT | POLLERR | POLLHUP))
        events |= CORO_EVENT_WRITE;
    return events;
}

/* Puts fd on the list of polls to arm at the next wait. */
static void queue(struct ustate *st, int fd)
{
    if (!st->fds[fd].queued) {
        st->fds[fd].queued = 1;
        st->rearm[st->nrearm++] = fd;
    }
}

/* Consumes one completion: the fd of a poll of a registered fd that ended
 * (its result in *res), or -1 for one to drop (a removal, a poll removed
 * meanwhile, or an fd closed before its poll ran: -EBADF). */
static int take(const struct coro_sel *sel, struct ustate *st, struct io_uring_cqe *cqe,
                int *res)
{
    uint64_t ud = io_uring_cqe_get_data64(cqe);
    int fd = (int)(uint32_t)ud;
    *res = cqe->res;
    io_uring_cqe_seen(&st->ring, cqe);
    if (ud == REMOVE_TAG || fd >= sel->max_fds || !st->fds[fd].armed ||
        (uint32_t)(ud >> 32) != st->fds[fd].gen)
        return -1;
    st->fds[fd].armed = 0;
    return *res < 0 && *res != -ECANCELED ? -1 : fd;
}

static int ur_wait(struct coro_sel *sel, struct coro_sel_event *out, int max, int timeout_ms)
{
    struct ustate *st = (struct ustate *)sel->state;
    struct io_uring_cqe *cqe;
    int i, n = 0, r, res, fd, nq;
    unsigned old;

    /* Completions that came before this call are old news: a level-triggered
     * select reports what is ready now (epoll checks its ready list again at
     * each wait). Their polls are armed again first, so that fds a full
     * batch left over come first, and complete at once if still ready. */
    for (old = io_uring_cq_ready(&st->ring); old > 0 && io_uring_peek_cqe(&st->ring, &cqe) == 0;
         old--)                             /* not those the arming posts */
        if ((fd = take(sel, st, cqe, &res)) >= 0 && arm(st, fd, sel->keys[fd].events))
            queue(st, fd);                  /* no room: at the next wait */
    /* then what was reported last time: polled again, level-triggered */
    nq = st->nrearm;
    st->nrearm = 0;
    for (i = 0; i < nq; i++) {
        fd = st->rearm[i];
        st->fds[fd].queued = 0;
        if (sel->keys[fd].fd >= 0 && !st->fds[fd].armed && arm(st, fd, sel->keys[fd].events))
            queue(st, fd);
    }
    if (timeout_ms == 0) {
        r = CORO__SYS_URING_WAIT(&st->ring, &cqe, 0, NULL, timeout_ms);
    } else if (timeout_ms < 0) {
        r = CORO__SYS_URING_WAIT(&st->ring, &cqe, 1, NULL, timeout_ms);
    } else {
        struct __kernel_timespec ts;
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
        r = CORO__SYS_URING_WAIT(&st->ring, &cqe, 1, &ts, timeout_ms);
    }
    /* -ETIME: timed out; -EAGAIN: nothing yet (no wait); -EBUSY: completions
     * the kernel keeps until there is room, read below */
    if (r < 0 && r != -ETIME && r != -EAGAIN && r != -EBUSY)
        return r;                           /* -EINTR: retried by the caller */
    while (n < max && io_uring_peek_cqe(&st->ring, &cqe) == 0) {
        if ((fd = take(sel, st, cqe, &res)) < 0)
            continue;
        queue(st, fd);
        if (res > 0) {
            out[n].fd = fd;
            out[n].events = events_of(res);
            out[n].data = NULL;
            n++;
        }
    }
    return n;
}

extern const struct coro_sel_backend coro__sel_backend_uring;
const struct coro_sel_backend coro__sel_backend_uring = {
    "uring", ur_open, ur_close, ur_add, ur_modify, ur_remove, ur_wait
};

#else /* no io_uring here */

/* ISO C wants a declaration in every file. */
typedef int coro_sel_uring_unavailable;

#endif
