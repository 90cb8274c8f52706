/* SPDX-License-Identifier: MIT */
/*
 * kqueue.c -- the kqueue(2) backend (macOS, FreeBSD, OpenBSD, NetBSD), after
 * Redis's ae_kqueue.c.
 *
 * Trade-offs: like epoll, the kernel keeps the interest list and a wait costs
 * O(ready events), with no FD_SETSIZE limit; the selector holds one more fd
 * (close-on-exec). But read and write are two separate filters: register or
 * modify may take two changes (each applied alone, and undone if the second
 * fails, so that an error leaves the selector unchanged), and a wait gets one
 * kevent per filter, merged here into one event per fd when both come in one
 * call (with a small max, read and write may come in turn). close() removes an
 * fd's filters by itself: an fd closed while registered is never reported
 * again, and unregister's EV_DELETE (ENOENT, EBADF) failures are ignored.
 * Level-triggered (no EV_CLEAR). A kevent with EV_ERROR is reported as both
 * read and write, then cut to the registered events.
 *
 * No feature-test macro here, unlike the other files: this file is compiled
 * on the BSDs and macOS only, whose default environment shows everything, and
 * _POSIX_C_SOURCE there would hide the BSD types <sys/event.h> uses.
 */
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)

#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "selectors.h"
#include "../coro_sys.h"        /* the system calls, as a fault seam */

struct kq_state {
    struct kevent *evs;                    /* 2 * max_fds: read and write */
    int *slot;                             /* slot[fd]: fd's index in out[], or -1 */
};

static int kq_open(struct coro_sel *sel)
{
    size_t max = (size_t)sel->max_fds, i;
    struct kq_state *s;
    int e;

    if (max > SIZE_MAX / 2 / sizeof(struct kevent) || max > (size_t)INT_MAX / 2)
        return -ENOMEM;
    s = (struct kq_state *)malloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    s->evs = (struct kevent *)malloc(2 * max * sizeof *s->evs);
    s->slot = (int *)malloc(max * sizeof *s->slot);
    if (!s->evs || !s->slot) {
        e = ENOMEM;
        goto fail;
    }
    for (i = 0; i < max; i++)
        s->slot[i] = -1;
    sel->fd = kqueue();
    if (sel->fd < 0) {
        e = errno;
        goto fail;
    }
    if (fcntl(sel->fd, F_SETFD, FD_CLOEXEC) == -1) {
        e = errno;
        close(sel->fd);
        goto fail;
    }
    sel->state = s;
    return 0;
fail:
    sel->fd = -1;
    free(s->evs);
    free(s->slot);
    free(s);
    return -e;
}

static void kq_close(struct coro_sel *sel)
{
    struct kq_state *s = (struct kq_state *)sel->state;
    if (sel->fd >= 0)
        close(sel->fd);
    sel->fd = -1;
    if (s) {
        free(s->evs);
        free(s->slot);
        free(s);
    }
    sel->state = NULL;
}

/* One change: EV_ADD or EV_DELETE of one filter. 0 or -errno. */
static int change(struct coro_sel *sel, int fd, int filter, int flags)
{
    struct kevent kev;
    memset(&kev, 0, sizeof kev);
    EV_SET(&kev, (uintptr_t)fd, filter, flags, 0, 0, 0);
    return CORO__SYS_KEVENT_CTL(sel->fd, &kev, 1, NULL, 0, NULL) == -1 ? -errno : 0;
}

/* Sets fd's filters from old to new: adds first, then deletes. An add that
 * fails undoes the adds before it, so the kernel is left as it was. */
static int kq_modify(struct coro_sel *sel, int fd, unsigned old_events, unsigned events)
{
    unsigned add = events & ~old_events, del = old_events & ~events;
    int r;

    if (add & CORO_EVENT_READ) {
        r = change(sel, fd, EVFILT_READ, EV_ADD);
        if (r < 0)
            return r;
    }
    if (add & CORO_EVENT_WRITE) {
        r = change(sel, fd, EVFILT_WRITE, EV_ADD);
        if (r < 0) {
            if (add & CORO_EVENT_READ)
                (void)change(sel, fd, EVFILT_READ, EV_DELETE);
            return r;
        }
    }
    /* Deleting a filter that is there does not fail; ENOENT means it was
     * already gone, which is what is wanted. */
    if (del & CORO_EVENT_READ)
        (void)change(sel, fd, EVFILT_READ, EV_DELETE);
    if (del & CORO_EVENT_WRITE)
        (void)change(sel, fd, EVFILT_WRITE, EV_DELETE);
    return 0;
}

static int kq_add(struct coro_sel *sel, int fd, unsigned events)
{
    return kq_modify(sel, fd, 0, events);
}

static int kq_remove(struct coro_sel *sel, int fd, unsigned old_events)
{
    int r = 0, e;
    if (old_events & CORO_EVENT_READ) {
        e = change(sel, fd, EVFILT_READ, EV_DELETE);
        if (e < 0 && e != -ENOENT && e != -EBADF)
            r = e;
    }
    if (old_events & CORO_EVENT_WRITE) {
        e = change(sel, fd, EVFILT_WRITE, EV_DELETE);
        if (e < 0 && e != -ENOENT && e != -EBADF)
            r = e;
    }
    return r;
}

static int kq_wait(struct coro_sel *sel, struct coro_sel_event *out, int max, int timeout_ms)
{
    struct kq_state *s = (struct kq_state *)sel->state;
    struct timespec ts, *tsp = NULL;
    int i, r, n = 0, nev;

    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tsp = &ts;
    }
    /* At most max kevents, so that none is dropped: the kernel requeues a
     * level-triggered one it returned at the tail, and one it returned that
     * did not fit would wait for a whole round. An fd ready both ways gets one
     * kevent per filter, merged here when both come in the same call. */
    nev = max > 2 * sel->max_fds ? 2 * sel->max_fds : max;
    r = CORO__SYS_KEVENT_WAIT(sel->fd, NULL, 0, s->evs, nev, tsp);
    if (r < 0)
        return -errno;
    for (i = 0; i < r; i++) {
        const struct kevent *kev = &s->evs[i];
        unsigned events;
        int fd;
        if (kev->ident >= (uintptr_t)sel->max_fds)
            continue;
        fd = (int)kev->ident;
        if (kev->flags & EV_ERROR)
            events = CORO_EVENT_READ | CORO_EVENT_WRITE;
        else if (kev->filter == EVFILT_READ)
            events = CORO_EVENT_READ;
        else if (kev->filter == EVFILT_WRITE)
            events = CORO_EVENT_WRITE;
        else
            continue;
        if (s->slot[fd] >= 0) {
            out[s->slot[fd]].events |= events;
        } else if (n < max) {
            s->slot[fd] = n;
            out[n].fd = fd;
            out[n].events = events;
            out[n].data = NULL;
            n++;
        }
    }
    for (i = 0; i < n; i++)
        s->slot[out[i].fd] = -1;
    return n;
}

extern const struct coro_sel_backend coro__sel_backend_kqueue;
const struct coro_sel_backend coro__sel_backend_kqueue = {
    "kqueue", kq_open, kq_close, kq_add, kq_modify, kq_remove, kq_wait
};

#else /* no kqueue here */

/* ISO C wants a declaration in every file. */
typedef int coro_sel_kqueue_unavailable;

#endif
