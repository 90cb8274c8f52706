/* SPDX-License-Identifier: MIT */
/*
 * selectors.h -- Python's `selectors` module in C: register file descriptors
 * with the events you want (read, write) and a pointer of your own, then wait
 * for some of them to be ready, over one of select, poll, epoll, kqueue or
 * io_uring (Linux, when built with liburing: a poll per fd, see uring.c).
 *
 *   struct coro_sel sel;
 *   struct coro_sel_event ready[64];
 *   coro_sel_open(&sel, NULL, 1024);                  // DefaultSelector()
 *   coro_sel_register(&sel, fd, CORO_EVENT_READ, conn); // sel.register(fd, READ, conn)
 *   n = coro_sel_select(&sel, ready, 64, CORO_SEC);     // sel.select(timeout=1)
 *   for (i = 0; i < n; i++) handle(ready[i].data, ready[i].events);
 *   coro_sel_close(&sel);
 *
 * Each backend is one file (select.c, poll.c, epoll.c, kqueue.c), after Redis's
 * ae_*.c; selectors.c holds what they share: the key table, the checks, the
 * timeout arithmetic, the EINTR retries. Level-triggered: an fd that stays
 * ready is reported by every select.
 *
 * Memory: coro_sel_open allocates the fd-indexed key table (and what the
 * backend needs) once, sized by max_fds; coro_sel_close frees it. Nothing
 * else allocates. Not thread-safe: one selector per thread.
 */
#ifndef CORO_SELECTORS_H
#define CORO_SELECTORS_H

#include "../base.h"             /* relative: resolves installed too */

#ifdef __cplusplus
extern "C" {
#endif

#define CORO_EVENT_READ  1u                /* selectors.EVENT_READ */
#define CORO_EVENT_WRITE 2u                /* selectors.EVENT_WRITE */

/* selectors.SelectorKey: what was registered for an fd. */
struct coro_sel_key {
    int fd;                                /* -1 in a free slot */
    unsigned events;                       /* CORO_EVENT_* */
    void *data;                            /* yours */
};

/* One ready fd, as select returns it: the events that are ready (a subset
 * of the registered ones) and the key's data at the time of the call. */
struct coro_sel_event {
    int fd;
    unsigned events;
    void *data;
};

struct coro_sel;

/* A backend: one file each. Private to the selectors; listed here so that
 * struct coro_sel can be a plain struct the caller owns. Each function
 * returns 0 or a negative code (-errno). */
struct coro_sel_backend {
    const char *name;
    int (*open)(struct coro_sel *sel);
    void (*close)(struct coro_sel *sel);
    int (*add)(struct coro_sel *sel, int fd, unsigned events);
    int (*modify)(struct coro_sel *sel, int fd, unsigned old_events, unsigned events);
    int (*remove)(struct coro_sel *sel, int fd, unsigned old_events);
    /* waits at most timeout_ms (-1: forever); fills out[] (fd and events)
     * and returns how many, or -errno (EINTR is retried by the caller) */
    int (*wait)(struct coro_sel *sel, struct coro_sel_event *out, int max, int timeout_ms);
};

/* A selector. Caller-owned struct; its tables are allocated by open. */
struct coro_sel {
    const struct coro_sel_backend *backend;
    struct coro_sel_key *keys;             /* indexed by fd, max_fds of them */
    int max_fds;
    int count;                             /* registered fds */
    int fd;                                /* epoll / kqueue fd, else -1 */
    void *state;                           /* the backend's own tables */
};

/* selectors.DefaultSelector() or a named one: `backend` is NULL (the best
 * here: kqueue, epoll, poll, select), "select", "poll", "epoll", "kqueue" or
 * "uring". Fds 0..max_fds-1 can be registered (select also needs fd <
 * FD_SETSIZE). 0, CORO_EINVAL (unknown or unavailable backend, max_fds < 1),
 * or -errno (e.g. -ENOMEM, -EMFILE; "uring": -ENOSYS or -EPERM where the
 * kernel refuses io_uring); on error nothing is left to close. */
int coro_sel_open(struct coro_sel *sel, const char *backend, int max_fds);

/* selector.close(): frees the tables and the backend's fd. The registered
 * fds are not closed (they are yours). Safe to call twice; every call on a
 * closed selector returns CORO_EINVAL (get_key and coro_sel_name: NULL). */
void coro_sel_close(struct coro_sel *sel);

/* The backend's name: "select", "poll", "epoll", "kqueue". */
const char *coro_sel_name(const struct coro_sel *sel);

/* The backends built here that the kernel allows (io_uring is tried once),
 * best first, NULL-terminated. Static. */
const char *const *coro_sel_backends(void);

/* selector.register(fd, events, data): 0; CORO_EEXIST if fd is registered;
 * CORO_EINVAL for no or unknown events or a negative fd; CORO_ERANGE for
 * fd >= max_fds (select: fd >= FD_SETSIZE); -errno from the kernel (epoll:
 * -EPERM for a regular file, -EBADF for a closed fd). The selector is
 * unchanged on error. */
int coro_sel_register(struct coro_sel *sel, int fd, unsigned events, void *data);

/* selector.modify(fd, events, data): 0, CORO_ENOKEY if fd is not registered,
 * CORO_EINVAL, -errno. */
int coro_sel_modify(struct coro_sel *sel, int fd, unsigned events, void *data);

/* selector.unregister(fd): 0 or CORO_ENOKEY. Call it before closing fd. An fd
 * closed while registered is still unregistered cleanly; but with epoll, an
 * fd closed while a dup of it stays open leaves the kernel watching the
 * open file, and a select with CORO_FOREVER may then wake for it again and
 * again (CPython has the same trap). */
int coro_sel_unregister(struct coro_sel *sel, int fd);

/* selector.get_key(fd): the key, or NULL if fd is not registered. The
 * pointer stays valid until fd is unregistered. */
const struct coro_sel_key *coro_sel_get_key(const struct coro_sel *sel, int fd);

/* selector.select(timeout): waits until a registered fd is ready or timeout
 * ns have passed (CORO_FOREVER: no limit; 0: do not wait), never less
 * (rounded up to the backend's resolution); EINTR is retried with what is
 * left; a negative timeout other than CORO_FOREVER does not wait. Fills
 * ready[0..max) and returns how many (0: timed out), or -errno, or
 * CORO_EINVAL (max < 1, ready NULL, a closed selector). An fd closed while
 * registered never crashes anything: select and poll report it ready (read
 * and write) so that its owner finds out; epoll and kqueue drop it. When more
 * fds are ready than max, later calls start where this one stopped. */
int coro_sel_select(struct coro_sel *sel, struct coro_sel_event *ready, int max,
                    coro_time timeout);

#ifdef __cplusplus
}
#endif

#endif /* CORO_SELECTORS_H */
