/* SPDX-License-Identifier: MIT */
/*
 * selectors.c -- what the backends share: picking one by name, the fd-indexed
 * key table, the argument checks and their codes, and select()'s timeout
 * arithmetic and retries. See selectors.h for the API; each backend
 * (select.c, poll.c, epoll.c, kqueue.c) only talks to the kernel.
 *
 * Order of the checks follows CPython's selectors.py: register checks the
 * events, then the fd, then whether it is registered; modify looks the key up
 * before it checks the events. A backend is called before the key table
 * changes, so an error from the kernel leaves the selector as it was.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "selectors.h"
/* the fault seam's table lives here (only in -DCORO_FAULTS builds) */
#define CORO__SYS_DEFINE 1
#include "../coro_sys.h"

extern const struct coro_sel_backend coro__sel_backend_select;
extern const struct coro_sel_backend coro__sel_backend_poll;
#ifdef __linux__
extern const struct coro_sel_backend coro__sel_backend_epoll;
#endif
#if defined(__linux__) && defined(CORO_HAVE_URING)
#define CORO_SEL_HAVE_URING 1
extern const struct coro_sel_backend coro__sel_backend_uring;
int coro__sel_uring_usable(void);        /* uring.c: does the kernel let us? */
#endif
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#define CORO_SEL_HAVE_KQUEUE 1
#endif
#ifdef CORO_SEL_HAVE_KQUEUE
extern const struct coro_sel_backend coro__sel_backend_kqueue;
#endif

/* The backends built here, best first (DefaultSelector takes the first). */
static const struct coro_sel_backend *const backends[] = {
#ifdef CORO_SEL_HAVE_KQUEUE
    &coro__sel_backend_kqueue,
#endif
#ifdef __linux__
    &coro__sel_backend_epoll,
#endif
#ifdef CORO_SEL_HAVE_URING
    &coro__sel_backend_uring,
#endif
    &coro__sel_backend_poll,
    &coro__sel_backend_select,
    NULL
};


#define VALID_EVENTS (CORO_EVENT_READ | CORO_EVENT_WRITE)

/* 0 if the kernel lets backend b open, else why not (a -errno). */
static int refused(const struct coro_sel_backend *b)
{
#ifdef CORO_SEL_HAVE_URING
    if (b == &coro__sel_backend_uring && !coro__sel_uring_usable())
        return -ENOSYS;
#else
    (void)b;
#endif
    return 0;
}

const char *const *coro_sel_backends(void)
{
    static const char *names[sizeof backends / sizeof backends[0]];
    int i, n = 0;
    if (!names[0]) {                        /* the same every time: built once */
        for (i = 0; backends[i]; i++)
            if (!refused(backends[i]))
                names[n++] = backends[i]->name;
        names[n] = NULL;
    }
    return names;
}

/* A selector that was never opened successfully, or was closed. */
static void reset(struct coro_sel *sel)
{
    sel->backend = NULL;
    sel->keys = NULL;
    sel->max_fds = 0;
    sel->count = 0;
    sel->fd = -1;
    sel->state = NULL;
}

int coro_sel_open(struct coro_sel *sel, const char *backend, int max_fds)
{
    const struct coro_sel_backend *b = NULL;
    int i, r;

    if (!sel)
        return CORO_EINVAL;
    reset(sel);
    if (max_fds < 1)
        return CORO_EINVAL;
    for (i = 0; backends[i]; i++) {
        if (backend ? strcmp(backend, backends[i]->name) == 0 : !refused(backends[i])) {
            b = backends[i];
            break;
        }
    }
    if (!b)
        return CORO_EINVAL;
    if ((size_t)max_fds > SIZE_MAX / sizeof *sel->keys)
        return -ENOMEM;
    sel->keys = (struct coro_sel_key *)calloc((size_t)max_fds, sizeof *sel->keys);
    if (!sel->keys)
        return -ENOMEM;
    for (i = 0; i < max_fds; i++)
        sel->keys[i].fd = -1;
    sel->max_fds = max_fds;
    sel->backend = b;
    r = b->open(sel);
    if (r < 0) {
        free(sel->keys);
        reset(sel);
        return r;
    }
    return 0;
}

void coro_sel_close(struct coro_sel *sel)
{
    if (!sel || !sel->backend)
        return;
    sel->backend->close(sel);
    free(sel->keys);
    reset(sel);
}

const char *coro_sel_name(const struct coro_sel *sel)
{
    return sel && sel->backend ? sel->backend->name : NULL;
}

static int is_open(const struct coro_sel *sel)
{
    return sel && sel->backend && sel->keys;
}

static int bad_events(unsigned events)
{
    return events == 0 || (events & ~VALID_EVENTS) != 0;
}

/* The key of fd, or NULL if fd is not registered. */
static struct coro_sel_key *lookup(const struct coro_sel *sel, int fd)
{
    if (fd < 0 || fd >= sel->max_fds || sel->keys[fd].fd < 0)
        return NULL;
    return &sel->keys[fd];
}

int coro_sel_register(struct coro_sel *sel, int fd, unsigned events, void *data)
{
    int r;

    if (!is_open(sel) || bad_events(events) || fd < 0)
        return CORO_EINVAL;
    if (fd >= sel->max_fds)
        return CORO_ERANGE;
    if (sel->keys[fd].fd >= 0)
        return CORO_EEXIST;
    r = sel->backend->add(sel, fd, events);
    if (r < 0)
        return r;
    sel->keys[fd].fd = fd;
    sel->keys[fd].events = events;
    sel->keys[fd].data = data;
    sel->count++;
    return 0;
}

int coro_sel_modify(struct coro_sel *sel, int fd, unsigned events, void *data)
{
    struct coro_sel_key *key;
    int r;

    if (!is_open(sel) || fd < 0)
        return CORO_EINVAL;
    key = lookup(sel, fd);
    if (!key)
        return CORO_ENOKEY;
    if (bad_events(events))
        return CORO_EINVAL;
    if (events != key->events) {
        r = sel->backend->modify(sel, fd, key->events, events);
        if (r < 0)
            return r;
        key->events = events;
    }
    key->data = data;
    return 0;
}

int coro_sel_unregister(struct coro_sel *sel, int fd)
{
    struct coro_sel_key *key;

    if (!is_open(sel))
        return CORO_EINVAL;
    key = lookup(sel, fd);
    if (!key)
        return CORO_ENOKEY;
    /* The kernel may refuse (epoll and kqueue: EBADF for an fd closed while
     * registered, which they dropped by themselves); the key goes anyway, as
     * in CPython, which ignores OSError here. */
    (void)sel->backend->remove(sel, fd, key->events);
    key->fd = -1;
    key->events = 0;
    key->data = NULL;
    sel->count--;
    return 0;
}

const struct coro_sel_key *coro_sel_get_key(const struct coro_sel *sel, int fd)
{
    if (!is_open(sel))
        return NULL;
    return lookup(sel, fd);
}

/* CLOCK_MONOTONIC in ns, or -errno. */
static coro_time now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return -(coro_time)errno;
    return (coro_time)ts.tv_sec * CORO_SEC + ts.tv_nsec;
}

/* ns > 0 -> ms, rounded up so that a wait never ends early, at most INT_MAX
 * (a longer wait is done in several rounds). */
static int ms_up(coro_time ns)
{
    coro_time ms = ns / CORO_MSEC + (ns % CORO_MSEC != 0);
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Keeps the events of registered fds, restricted to the registered events,
 * with the key's data; returns how many are left. */
static int filter(const struct coro_sel *sel, struct coro_sel_event *ready, int n)
{
    int i, k = 0;
    for (i = 0; i < n; i++) {
        const struct coro_sel_key *key = lookup(sel, ready[i].fd);
        unsigned events;
        if (!key)
            continue;
        events = ready[i].events & key->events;
        if (!events)
            continue;
        ready[k].fd = key->fd;
        ready[k].events = events;
        ready[k].data = key->data;
        k++;
    }
    return k;
}

int coro_sel_select(struct coro_sel *sel, struct coro_sel_event *ready, int max,
                    coro_time timeout)
{
    coro_time now = 0, deadline = 0;
    int n, ms;

    if (!is_open(sel) || !ready || max < 1)
        return CORO_EINVAL;
    if (timeout < 0 && timeout != CORO_FOREVER)
        timeout = 0;                       /* as Python: a negative timeout polls */
    if (timeout > 0) {
        now = now_ns();
        if (now < 0)
            return (int)now;
        deadline = timeout > INT64_MAX - now ? INT64_MAX : now + timeout;
    }
    for (;;) {
        if (timeout == CORO_FOREVER)
            ms = -1;
        else if (timeout == 0)
            ms = 0;
        else
            ms = ms_up(deadline - now);
        n = sel->backend->wait(sel, ready, max, ms);
        if (n < 0 && n != -EINTR)
            return n;
        if (n > 0 && (n = filter(sel, ready, n)) > 0)
            return n;
        /* -EINTR: interrupted, retried with what is left (PEP 475). 0: timed
         * out (perhaps early, by a coarse kernel timer: wait the rest), or
         * woken only by events that nobody registered. */
        if (timeout == 0) {
            if (n == 0)
                return 0;
        } else if (timeout > 0) {
            now = now_ns();
            if (now < 0)
                return (int)now;
            if (now >= deadline)
                return 0;
        }
    }
}
