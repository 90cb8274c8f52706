/* SPDX-License-Identifier: MIT */
/*
 * epoll.c -- the epoll(7) backend (Linux), after Redis's ae_epoll.c.
 *
 * Trade-offs: the kernel keeps the interest list, so a wait costs O(ready
 * fds), not O(registered fds), and there is no FD_SETSIZE limit; but every
 * register, modify and unregister is a system call, the selector holds one
 * more fd (close-on-exec), and it is Linux only. epoll refuses what cannot
 * be polled: a regular file or a directory gives -EPERM at register, a closed
 * fd -EBADF. It watches open files, not fd numbers: an fd closed while
 * registered (with no dup left) is dropped by the kernel and simply never
 * reported again, and EPOLL_CTL_DEL then fails with EBADF, which unregister
 * ignores. Level-triggered (no EPOLLET). Errors and hang-ups (EPOLLERR,
 * EPOLLHUP) are reported as both read and write, as CPython does, then cut to
 * the registered events.
 */
#define _POSIX_C_SOURCE 200809L

#ifdef __linux__

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "selectors.h"
#include "../coro_sys.h"        /* the system calls, as a fault seam */

static uint32_t to_epoll(unsigned events)
{
    uint32_t ev = 0;
    if (events & CORO_EVENT_READ)
        ev |= EPOLLIN;
    if (events & CORO_EVENT_WRITE)
        ev |= EPOLLOUT;
    return ev;
}

static int ep_open(struct coro_sel *sel)
{
    size_t max = (size_t)sel->max_fds;
    struct epoll_event *evs;

    if (max > SIZE_MAX / sizeof *evs)
        return -ENOMEM;
    evs = (struct epoll_event *)malloc(max * sizeof *evs);
    if (!evs)
        return -ENOMEM;
    sel->fd = epoll_create1(EPOLL_CLOEXEC);
    if (sel->fd < 0) {
        int e = errno;
        free(evs);
        sel->fd = -1;
        return -e;
    }
    sel->state = evs;
    return 0;
}

static void ep_close(struct coro_sel *sel)
{
    if (sel->fd >= 0)
        close(sel->fd);
    sel->fd = -1;
    free(sel->state);
    sel->state = NULL;
}

static int ctl(struct coro_sel *sel, int op, int fd, unsigned events)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);             /* valgrind: the padding too */
    ev.events = to_epoll(events);
    ev.data.fd = fd;
    return CORO__SYS_EPOLL_CTL(sel->fd, op, fd, &ev) == 0 ? 0 : -errno;
}

static int ep_add(struct coro_sel *sel, int fd, unsigned events)
{
    int r = ctl(sel, EPOLL_CTL_ADD, fd, events);
    /* Still in the interest list although not registered here: an earlier
     * EPOLL_CTL_DEL failed. Take it over. */
    if (r == -EEXIST)
        r = ctl(sel, EPOLL_CTL_MOD, fd, events);
    return r;
}

static int ep_modify(struct coro_sel *sel, int fd, unsigned old_events, unsigned events)
{
    (void)old_events;
    return ctl(sel, EPOLL_CTL_MOD, fd, events);
}

static int ep_remove(struct coro_sel *sel, int fd, unsigned old_events)
{
    (void)old_events;
    return ctl(sel, EPOLL_CTL_DEL, fd, 0);
}

static int ep_wait(struct coro_sel *sel, struct coro_sel_event *out, int max, int timeout_ms)
{
    struct epoll_event *evs = (struct epoll_event *)sel->state;
    int i, r;

    if (max > sel->max_fds)                /* no more than max_fds can be ready */
        max = sel->max_fds;
    r = CORO__SYS_EPOLL_WAIT(sel->fd, evs, max, timeout_ms);
    if (r < 0)
        return -errno;
    for (i = 0; i < r; i++) {
        uint32_t ev = evs[i].events;
        unsigned events = 0;
        if (ev & ~(uint32_t)EPOLLOUT)      /* EPOLLIN, EPOLLERR, EPOLLHUP */
            events |= CORO_EVENT_READ;
        if (ev & ~(uint32_t)EPOLLIN)       /* EPOLLOUT, EPOLLERR, EPOLLHUP */
            events |= CORO_EVENT_WRITE;
        out[i].fd = evs[i].data.fd;
        out[i].events = events;
        out[i].data = NULL;
    }
    return r;
}

extern const struct coro_sel_backend coro__sel_backend_epoll;
const struct coro_sel_backend coro__sel_backend_epoll = {
    "epoll", ep_open, ep_close, ep_add, ep_modify, ep_remove, ep_wait
};

#else /* !__linux__ */

/* ISO C wants a declaration in every file. */
typedef int coro_sel_epoll_unavailable;

#endif
