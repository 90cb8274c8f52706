/* SPDX-License-Identifier: MIT */
/*
 * select.c -- the select(2) backend, after Redis's ae_select.c.
 *
 * Trade-offs: everywhere (POSIX since the start), and no kernel object to
 * create or leak; but each wait copies two fd_sets and the kernel and this
 * file then scan every fd up to the highest registered one, O(max fd) per
 * call whatever is ready, and only fds below FD_SETSIZE (usually 1024) can be
 * watched at all: register refuses the others with CORO_ERANGE, and no fd_set
 * is ever touched out of range. An fd closed while registered makes the whole
 * call fail with EBADF; the wait then finds the closed fds and reports them
 * ready (read and write), so that their owner finds out and unregisters.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "selectors.h"
#include "../coro_sys.h"        /* the system calls, as a fault seam */

struct select_state {
    fd_set rd, wr;                         /* what is registered */
    int max_fd;                            /* highest fd in rd or wr, or -1 */
    int next;                              /* where the next scan starts */
};

static int sel_open(struct coro_sel *sel)
{
    struct select_state *s = (struct select_state *)malloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    FD_ZERO(&s->rd);
    FD_ZERO(&s->wr);
    s->max_fd = -1;
    s->next = 0;
    sel->state = s;
    return 0;
}

static void sel_close(struct coro_sel *sel)
{
    free(sel->state);
    sel->state = NULL;
}

static void set_events(struct select_state *s, int fd, unsigned events)
{
    if (events & CORO_EVENT_READ)
        FD_SET(fd, &s->rd);
    else
        FD_CLR(fd, &s->rd);
    if (events & CORO_EVENT_WRITE)
        FD_SET(fd, &s->wr);
    else
        FD_CLR(fd, &s->wr);
}

static int sel_add(struct coro_sel *sel, int fd, unsigned events)
{
    struct select_state *s = (struct select_state *)sel->state;
    if (fd < 0 || fd >= FD_SETSIZE)
        return CORO_ERANGE;
    set_events(s, fd, events);
    if (fd > s->max_fd)
        s->max_fd = fd;
    return 0;
}

static int sel_modify(struct coro_sel *sel, int fd, unsigned old_events, unsigned events)
{
    (void)old_events;
    set_events((struct select_state *)sel->state, fd, events);
    return 0;
}

static int sel_remove(struct coro_sel *sel, int fd, unsigned old_events)
{
    struct select_state *s = (struct select_state *)sel->state;
    (void)old_events;
    FD_CLR(fd, &s->rd);
    FD_CLR(fd, &s->wr);
    while (s->max_fd >= 0 && !FD_ISSET(s->max_fd, &s->rd) && !FD_ISSET(s->max_fd, &s->wr))
        s->max_fd--;
    return 0;
}

/* Reports up to max of the fds set in rd or wr (with closed_only: only those
 * that are closed, as READ|WRITE), starting after the last fd the previous
 * call reported, so that low fds cannot starve the others when more than
 * max are ready. After select's EBADF this is how a registered fd that was
 * closed gets reported. */
static int scan(struct select_state *s, const fd_set *rd, const fd_set *wr,
                int closed_only, struct coro_sel_event *out, int max)
{
    int fd, k, n = 0;
    fd = s->next <= s->max_fd ? s->next : 0;
    for (k = 0; k <= s->max_fd && n < max; k++, fd++) {
        unsigned events = 0;
        if (fd > s->max_fd)
            fd = 0;
        if (FD_ISSET(fd, rd))
            events |= CORO_EVENT_READ;
        if (FD_ISSET(fd, wr))
            events |= CORO_EVENT_WRITE;
        if (events && closed_only)
            events = fcntl(fd, F_GETFD) == -1 && errno == EBADF
                   ? CORO_EVENT_READ | CORO_EVENT_WRITE : 0;
        if (events) {
            out[n].fd = fd;
            out[n].events = events;
            out[n].data = NULL;
            n++;
        }
    }
    s->next = n == max ? fd : 0;
    return n;
}

static int sel_wait(struct coro_sel *sel, struct coro_sel_event *out, int max, int timeout_ms)
{
    struct select_state *s = (struct select_state *)sel->state;
    fd_set rd = s->rd, wr = s->wr;
    struct timeval tv, *tvp = NULL;
    int n, r;

    if (timeout_ms >= 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
        tvp = &tv;
    }
    r = CORO__SYS_SELECT(s->max_fd + 1, &rd, &wr, NULL, tvp);
    if (r < 0) {
        r = errno;
        if (r == EBADF && (n = scan(s, &s->rd, &s->wr, 1, out, max)) > 0)
            return n;
        return -r;
    }
    return scan(s, &rd, &wr, 0, out, max);
}

extern const struct coro_sel_backend coro__sel_backend_select;
const struct coro_sel_backend coro__sel_backend_select = {
    "select", sel_open, sel_close, sel_add, sel_modify, sel_remove, sel_wait
};
