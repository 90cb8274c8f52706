/* SPDX-License-Identifier: MIT */
/*
 * poll.c -- the poll(2) backend.
 *
 * Trade-offs: POSIX and everywhere, no kernel object, and no FD_SETSIZE
 * limit: any fd below max_fds. The registered fds are kept as a dense
 * pollfd array (with an fd -> slot index, so that register, modify and
 * unregister are O(1): unregister moves the last entry into the hole), but
 * every wait still hands the whole array to the kernel and scans it back:
 * O(registered fds) per call, where epoll and kqueue are O(ready fds).
 * An fd closed while registered comes back as POLLNVAL and is reported
 * ready (read and write). Errors and hang-ups (POLLERR, POLLHUP) are reported
 * as both read and write, as CPython does, then cut to the registered events.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>

#include "selectors.h"
#include "../coro_sys.h"        /* the system calls, as a fault seam */

struct poll_state {
    struct pollfd *pfd;                    /* pfd[0..n): the registered fds */
    int *slot;                             /* slot[fd]: fd's index in pfd */
    int n;
    int next;                              /* where the next scan starts */
};

static short to_poll(unsigned events)
{
    short ev = 0;
    if (events & CORO_EVENT_READ)
        ev |= POLLIN;
    if (events & CORO_EVENT_WRITE)
        ev |= POLLOUT;
    return ev;
}

static int poll_open(struct coro_sel *sel)
{
    size_t max = (size_t)sel->max_fds;
    struct poll_state *s;

    if (max > SIZE_MAX / sizeof(struct pollfd))
        return -ENOMEM;
    s = (struct poll_state *)malloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    s->pfd = (struct pollfd *)malloc(max * sizeof *s->pfd);
    s->slot = (int *)malloc(max * sizeof *s->slot);
    if (!s->pfd || !s->slot) {
        free(s->pfd);
        free(s->slot);
        free(s);
        return -ENOMEM;
    }
    s->n = 0;
    s->next = 0;
    sel->state = s;
    return 0;
}

static void poll_close(struct coro_sel *sel)
{
    struct poll_state *s = (struct poll_state *)sel->state;
    if (s) {
        free(s->pfd);
        free(s->slot);
        free(s);
    }
    sel->state = NULL;
}

static int poll_add(struct coro_sel *sel, int fd, unsigned events)
{
    struct poll_state *s = (struct poll_state *)sel->state;
    s->pfd[s->n].fd = fd;
    s->pfd[s->n].events = to_poll(events);
    s->pfd[s->n].revents = 0;
    s->slot[fd] = s->n++;
    return 0;
}

static int poll_modify(struct coro_sel *sel, int fd, unsigned old_events, unsigned events)
{
    struct poll_state *s = (struct poll_state *)sel->state;
    (void)old_events;
    s->pfd[s->slot[fd]].events = to_poll(events);
    return 0;
}

static int poll_remove(struct coro_sel *sel, int fd, unsigned old_events)
{
    struct poll_state *s = (struct poll_state *)sel->state;
    int i = s->slot[fd];
    (void)old_events;
    s->n--;
    if (i != s->n) {
        s->pfd[i] = s->pfd[s->n];
        s->slot[s->pfd[i].fd] = i;
    }
    return 0;
}

static int poll_wait(struct coro_sel *sel, struct coro_sel_event *out, int max, int timeout_ms)
{
    struct poll_state *s = (struct poll_state *)sel->state;
    int i, k, n = 0, r;

    r = CORO__SYS_POLL(s->pfd, (nfds_t)s->n, timeout_ms);
    if (r < 0)
        return -errno;
    /* More ready than max: the next wait goes on after the last one
     * reported, so that the first slots cannot starve the others. */
    i = s->next < s->n ? s->next : 0;
    for (k = 0; k < s->n && n < r && n < max; k++, i++) {
        short rev;
        unsigned events = 0;
        if (i == s->n)
            i = 0;
        rev = s->pfd[i].revents;
        if (!rev)
            continue;
        if (rev & ~POLLOUT)                /* POLLIN, POLLERR, POLLHUP, POLLNVAL */
            events |= CORO_EVENT_READ;
        if (rev & ~POLLIN)                 /* POLLOUT, POLLERR, POLLHUP, POLLNVAL */
            events |= CORO_EVENT_WRITE;
        out[n].fd = s->pfd[i].fd;
        out[n].events = events;
        out[n].data = NULL;
        n++;
    }
    s->next = n == max ? i : 0;
    return n;
}

extern const struct coro_sel_backend coro__sel_backend_poll;
const struct coro_sel_backend coro__sel_backend_poll = {
    "poll", poll_open, poll_close, poll_add, poll_modify, poll_remove, poll_wait
};
