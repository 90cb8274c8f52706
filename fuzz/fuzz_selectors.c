/* SPDX-License-Identifier: MIT */
/*
 * fuzz_selectors.c -- libFuzzer target for selectors/selectors.h over real
 * fds, for every backend that coro_sel_backends() lists.
 *
 * Per input: a selector of one backend (or the default one), a pool of up to
 * 8 pipes and AF_UNIX socketpairs (at most 16 fds, all O_NONBLOCK), then a
 * sequence of operations decoded from the bytes: register, modify,
 * unregister, get_key (on pool fds, closed fd numbers, negative numbers,
 * numbers at or past max_fds, the selector's own fd), writes, reads, drains,
 * fills (write until EAGAIN), shutdowns, closes (after unregistering, or
 * while still registered), reopening a slot whose fds are both closed, and
 * selects that never block (timeout 0 or negative, or 10 ms when the model
 * says an fd is ready), with a big or a small `max`, and in rounds that must
 * cover every ready fd between them.
 *
 * The model: the registered fds with their events and data, checked against
 * every return code (CORO_EINVAL, CORO_ERANGE, CORO_EEXIST, CORO_ENOKEY,
 * -EBADF...) and against get_key and sel.count; and what each fd must, may
 * or must not be ready for, computed from what the harness did (bytes
 * pending, a pipe filled until EAGAIN, a peer closed or shut down). A select
 * must report only registered fds, once each, with events that are a
 * non-empty subset of the registered ones and the key's data, never an event
 * the model rules out; when it returned fewer than `max`, every event the
 * model says is certain. Where the kernel is not exactly predictable (a
 * partly drained full pipe, a socket with bytes in flight, select's write
 * bit on a socket whose peer closed) only what is certain is checked.
 *
 * An fd closed while registered (a user error in Python) is checked only
 * against what selectors.h promises: select and poll report it ready for
 * its registered events, epoll and kqueue drop it and refuse it at register
 * and modify (-EBADF), unregister works everywhere. Its number reused by a
 * new pipe is watched as the new file by select and poll; with epoll and
 * kqueue that key is detached and only its data and events are checked.
 * uring refuses it at register and modify as epoll does, but its poll keeps
 * the closed file until the unregister: such a key may be reported or not.
 *
 * Every fd is closed at the end of each input: the count of open fds
 * (/proc/self/fd) must be the same at the start and at the end. A mismatch
 * prints a short message to stderr and aborts. Deterministic, no sleeps.
 *
 * Input: 4 setup bytes (backend index into coro_sel_backends(), or past the
 * end for the default; max_fds; number of slots; pipe or socketpair per
 * slot), then ops of 1 to 3 argument bytes (see the switch at the end), at
 * most MAXOPS, then one byte for the end (unregister all, or close the
 * selector with fds still registered). Missing bytes read as 0.
 * -DFUZZ_SEL_TRACE prints every operation, to read a crash.
 */
#ifdef __linux__
#define _GNU_SOURCE                        /* F_GETPIPE_SZ */
#else
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "selectors/selectors.h"

#define READ  CORO_EVENT_READ
#define WRITE CORO_EVENT_WRITE
#define RW    (CORO_EVENT_READ | CORO_EVENT_WRITE)

#define NSLOTS   8                         /* pipes and socketpairs: <= 16 fds */
#define MAXKEYS  64                        /* registered numbers in the model */
#define MAXOPS   400                       /* operations per input */
#define BIG      32                        /* a `max` no selection can fill */
#define CHUNK    65536

enum { B_SELECT, B_POLL, B_EPOLL, B_KQUEUE, B_URING, B_OTHER };
enum { NO, MAY, YES };                     /* what the model expects */
enum { PIPE, SOCK };

/* One pipe (fd[0] reads, fd[1] writes) or socketpair. */
struct slot {
    int kind;
    int fd[2];                             /* -1: closed */
    int last[2];                           /* the number it had, even closed */
    size_t inq[2];                         /* bytes end e can read */
    int full[2];                           /* e's outgoing filled to EAGAIN,
                                              no read by the peer since */
    unsigned pages;                        /* pipe: pages written since empty */
    unsigned cap;                          /* pipe: pages it holds */
    int rshut[2], wshut[2];                /* socket: shutdown seen by end e */
};

/* A registered fd, as the model sees it. */
struct mkey {
    int fd;
    unsigned events;
    void *data;
    int detached;                          /* epoll/kqueue: its file was closed */
};

static struct coro_sel sel;
static int backend, max_fds, nslots;
static struct slot slots[NSLOTS];
static struct mkey keys[MAXKEYS];
static int nkeys;
static char tags[8];
static unsigned char buf[CHUNK];
static const uint8_t *in;
static size_t in_len, in_pos;
static int op_index;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static void fail(const char *what, int fd, long got, long want)
{
    static const char *const names[] = { "select", "poll", "epoll", "kqueue", "uring", "?" };
    fprintf(stderr, "fuzz_selectors: %s (backend %s, op %d, fd %d, got %ld, want %ld)\n",
            what, names[backend], op_index, fd, got, want);
    abort();
}

/* -DFUZZ_SEL_TRACE: prints every operation to stderr (to read a crash). */
#ifdef FUZZ_SEL_TRACE
#define TRACE(...) fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) ((void)0)
#endif

#define CHECK(cond, what, fd, got, want) \
    do { if (!(cond)) fail(what, fd, (long)(got), (long)(want)); } while (0)

static unsigned byte(void)
{
    return in_pos < in_len ? in[in_pos++] : 0;
}

static void *data_of(unsigned b)
{
    b %= 9;
    return b == 8 ? NULL : (void *)&tags[b];
}

static int fd_is_open(int fd)
{
    return fd >= 0 && (fcntl(fd, F_GETFD) != -1 || errno != EBADF);
}

/* How many fds this process has open (the directory's own included, which
 * is the same at every call). */
static int count_fds(void)
{
    int n = 0;
#ifdef __linux__
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        while (readdir(d))
            n++;
        closedir(d);
        return n;
    }
#endif
    {
        int fd;
        for (fd = 0; fd < 4096; fd++)
            n += fd_is_open(fd);
    }
    return n;
}

static void nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
        perror("fuzz_selectors: fcntl");
        abort();
    }
}

/* A new pipe or socketpair into slot s. 0, or -1 when out of fds. */
static int make_slot(int s, int kind)
{
    struct slot *sl = &slots[s];
    int fds[2], e;

    if (kind == PIPE ? pipe(fds) : socketpair(AF_UNIX, SOCK_STREAM, 0, fds))
        return -1;
    memset(sl, 0, sizeof *sl);
    sl->kind = kind;
    for (e = 0; e < 2; e++) {
        nonblock(fds[e]);
        sl->fd[e] = sl->last[e] = fds[e];
    }
    sl->cap = 1;                           /* unknown: only an empty pipe is sure */
#ifdef F_GETPIPE_SZ
    if (kind == PIPE) {
        int sz = fcntl(fds[1], F_GETPIPE_SZ);
        sl->cap = sz >= 4096 ? (unsigned)sz / 4096 : 1;
    }
#endif
    return 0;
}

/* The slot and end of an open pool fd, or 0. */
static int find_open(int fd, int *s, int *e)
{
    int i, j;
    if (fd < 0)
        return 0;
    for (i = 0; i < nslots; i++)
        for (j = 0; j < 2; j++)
            if (slots[i].fd[j] == fd) {
                *s = i;
                *e = j;
                return 1;
            }
    return 0;
}

static struct mkey *find_key(int fd)
{
    int i;
    for (i = 0; i < nkeys; i++)
        if (keys[i].fd == fd)
            return &keys[i];
    return NULL;
}

static void add_key(int fd, unsigned events, void *data)
{
    CHECK(nkeys < MAXKEYS, "model: too many keys", fd, nkeys, MAXKEYS);
    keys[nkeys].fd = fd;
    keys[nkeys].events = events;
    keys[nkeys].data = data;
    keys[nkeys].detached = 0;
    nkeys++;
}

static void del_key(struct mkey *k)
{
    *k = keys[--nkeys];
}

/* epoll and kqueue (and uring, which checks the fd at register and modify)
 * refuse a closed fd with -EBADF and hold an fd of their own; the kernel
 * forgets a closed fd's key (uring: its poll keeps the file until the
 * unregister, so the key may still be reported, as a detached one). */
static int drops_closed(void)
{
    return backend == B_EPOLL || backend == B_KQUEUE || backend == B_URING;
}

/* poll, epoll and uring report a hang-up or an error as both read and write. */
static int hup_is_both(void)
{
    return backend == B_POLL || backend == B_EPOLL || backend == B_URING;
}

/* kqueue is not run here (Linux): what it does with EOF, and whether a
 * buffer filled to EAGAIN is below its low-water mark, is left open. */
static int hup(int certain)
{
    return backend == B_KQUEUE ? MAY : certain;
}

/* ------------------------------------------------------------------------ */
/* The readiness model                                                      */
/* ------------------------------------------------------------------------ */

/* What open end e of slot s must be ready for. */
static void pool_ready(const struct slot *sl, int e, int *rd, int *wr)
{
    int p = 1 - e;

    if (sl->kind == PIPE) {
        if (e == 0) {                      /* the read end */
            if (sl->fd[1] < 0) {           /* EOF: POLLHUP */
                *rd = YES;
                *wr = hup(hup_is_both() ? YES : NO);
            } else {
                *rd = sl->inq[0] > 0 ? YES : NO;
                *wr = hup(NO);
            }
        } else {                           /* the write end */
            if (sl->fd[0] < 0) {           /* no reader: POLLERR (and POLLOUT) */
                *rd = hup(YES);
                *wr = hup(YES);
            } else {
                *rd = hup(NO);
                if (sl->inq[0] == 0 || sl->pages < sl->cap)
                    *wr = YES;
                else
                    *wr = sl->full[1] ? hup(NO) : MAY;
            }
        }
        return;
    }
    if (sl->fd[p] < 0) {                   /* peer closed: POLLIN | POLLHUP */
        *rd = YES;
        *wr = hup_is_both() ? YES : MAY;
        return;
    }
    *rd = sl->inq[e] > 0 ? YES : sl->rshut[e] ? hup(YES) : NO;
    if (sl->rshut[e] && sl->wshut[e] && hup_is_both())
        *wr = YES;                         /* POLLHUP */
    else if (sl->inq[p] == 0)              /* nothing in flight: writable */
        *wr = YES;
    else
        *wr = sl->full[e] ? hup(NO) : MAY;
}

static int any_closed_key(void)
{
    int i, s, e;
    for (i = 0; i < nkeys; i++)
        if (!find_open(keys[i].fd, &s, &e))
            return 1;
    return 0;
}

/* What the fd of key k must be ready for. */
static void key_ready(const struct mkey *k, int *rd, int *wr)
{
    int s, e;

    if (!find_open(k->fd, &s, &e)) {
        /* closed while registered, or registered closed */
        /* (select(2) on Linux does not look past the process's fd table,
         * but leaves those bits set: the fd still comes back ready.) */
        *rd = *wr = backend == B_URING ? MAY : drops_closed() ? NO : YES;
        return;
    }
    if (k->detached) {
        *rd = *wr = MAY;
        return;
    }
    pool_ready(&slots[s], e, rd, wr);
    /* select(2) fails with EBADF for a closed fd, and then only the closed
     * fds are reported. */
    if (backend == B_SELECT && any_closed_key()) {
        if (*rd == YES)
            *rd = MAY;
        if (*wr == YES)
            *wr = MAY;
    }
}

static unsigned must_events(const struct mkey *k)
{
    int rd, wr;
    key_ready(k, &rd, &wr);
    return ((rd == YES ? READ : 0u) | (wr == YES ? WRITE : 0u)) & k->events;
}

static unsigned may_events(const struct mkey *k)
{
    int rd, wr;
    key_ready(k, &rd, &wr);
    return ((rd != NO ? READ : 0u) | (wr != NO ? WRITE : 0u)) & k->events;
}

/* ------------------------------------------------------------------------ */
/* Checks of the selector against the model                                 */
/* ------------------------------------------------------------------------ */

static void check_keys(void)
{
    int i;
    CHECK(sel.count == nkeys, "sel.count", -1, sel.count, nkeys);
    for (i = 0; i < nkeys; i++) {
        const struct coro_sel_key *key = coro_sel_get_key(&sel, keys[i].fd);
        CHECK(key != NULL, "get_key: registered fd missing", keys[i].fd, 0, 1);
        CHECK(key->fd == keys[i].fd, "get_key: fd", keys[i].fd, key->fd, keys[i].fd);
        CHECK(key->events == keys[i].events, "get_key: events", keys[i].fd,
              key->events, keys[i].events);
        CHECK(key->data == keys[i].data, "get_key: data", keys[i].fd,
              (long)(intptr_t)key->data, (long)(intptr_t)keys[i].data);
    }
}

static void trace_ready(const char *what, const struct coro_sel_event *ev, int n, int max)
{
#ifdef FUZZ_SEL_TRACE
    int i;
    TRACE("%d: %s(max %d) = %d:", op_index, what, max, n);
    for (i = 0; i < n; i++)
        TRACE(" %d/%u", ev[i].fd, ev[i].events);
    TRACE("\n");
#else
    (void)what; (void)ev; (void)n; (void)max;
#endif
}

/* Checks one select's result; ORs what was reported into got[] (by key). */
static void check_ready(const struct coro_sel_event *ev, int n, int max, unsigned *got)
{
    unsigned seen[MAXKEYS];
    int i, complete;

    CHECK(n >= 0 && n <= max, "select: count", -1, n, max);
    memset(seen, 0, sizeof seen);
    for (i = 0; i < n; i++) {
        const struct mkey *k = find_key(ev[i].fd);
        int ki;
        unsigned may;
        CHECK(k != NULL, "select: an fd that is not registered", ev[i].fd, ev[i].events, 0);
        ki = (int)(k - keys);
        CHECK(!seen[ki], "select: an fd reported twice", ev[i].fd, ev[i].events, 0);
        seen[ki] = ev[i].events | 0x100u;
        CHECK(ev[i].events != 0 && (ev[i].events & ~k->events) == 0,
              "select: events not a non-empty subset of the registered ones",
              ev[i].fd, ev[i].events, k->events);
        CHECK(ev[i].data == k->data, "select: data", ev[i].fd,
              (long)(intptr_t)ev[i].data, (long)(intptr_t)k->data);
        may = may_events(k);
        CHECK((ev[i].events & ~may) == 0, "select: an event that cannot be ready",
              ev[i].fd, ev[i].events, may);
        if (got)
            got[ki] |= ev[i].events;
    }
    /* Fewer than max: nothing was left out. kqueue takes one kevent per
     * filter, so only half of max is sure to have held them all. */
    complete = backend == B_KQUEUE ? 2 * n < max : n < max;
    if (!complete)
        return;
    for (i = 0; i < nkeys; i++) {
        unsigned must = must_events(&keys[i]);
        CHECK((seen[i] & must) == must, "select: a ready event not reported",
              keys[i].fd, seen[i] & RW, must);
    }
}

/* ------------------------------------------------------------------------ */
/* Operations                                                               */
/* ------------------------------------------------------------------------ */

/* An fd number to register, modify, unregister or look up. 0, or -1 when
 * it is an open fd that is not ours (its readiness is unknown). */
static int pick_number(unsigned b, int *fd)
{
    if (b < 0xc0) {
        const struct slot *sl = &slots[(b >> 1) % (unsigned)nslots];
        *fd = sl->last[b & 1];
    } else {
        switch ((b - 0xc0) % 10) {
        case 0: *fd = -1; break;
        case 1: *fd = INT_MIN; break;
        case 2: *fd = max_fds; break;
        case 3: *fd = max_fds + 1000; break;
        case 4: *fd = max_fds - 1; break;
        case 5: *fd = sel.fd; break;       /* epoll: its own fd; else -1 */
        case 6: *fd = FD_SETSIZE - 1; break;
        case 7: *fd = FD_SETSIZE; break;
        case 8: *fd = slots[0].last[0] + 2 * NSLOTS + 2; break;
        default: *fd = INT_MAX; break;
        }
    }
    {
        int s, e;
        if (*fd < 0 || find_open(*fd, &s, &e) || *fd == sel.fd)
            return 0;
        return fd_is_open(*fd) ? -1 : 0;
    }
}

static unsigned pick_events(unsigned b)
{
    switch (b % 11) {
    case 0: return 0;                      /* none: CORO_EINVAL */
    case 1: return 4;
    case 2: return 0x80000001u;
    case 3: case 4: return READ;
    case 5: case 6: return WRITE;
    default: return RW;
    }
}

static int bad_events(unsigned ev)
{
    return ev == 0 || (ev & ~RW) != 0;
}

static void op_register(void)
{
    int fd, s, e, r, want;
    unsigned ev;
    void *data;

    if (pick_number(byte(), &fd) < 0) {
        (void)byte();
        (void)byte();
        return;
    }
    ev = pick_events(byte());
    data = data_of(byte());
    r = coro_sel_register(&sel, fd, ev, data);
    TRACE("%d: register(%d, %u, %p) = %d\n", op_index, fd, ev, data, r);
    if (bad_events(ev) || fd < 0)
        want = CORO_EINVAL;
    else if (fd >= max_fds)
        want = CORO_ERANGE;
    else if (find_key(fd))
        want = CORO_EEXIST;
    else if (backend == B_SELECT && fd >= FD_SETSIZE)
        want = CORO_ERANGE;
    else if (fd == sel.fd) {               /* epoll into itself: the kernel says no */
        CHECK(r < 0 && r > -4000, "register: the selector's own fd (-errno)",
              fd, r, -EINVAL);
        check_keys();
        return;
    } else if (!find_open(fd, &s, &e))
        want = drops_closed() ? -EBADF : 0;
    else
        want = 0;
    CHECK(r == want, "register: return code", fd, r, want);
    if (r == 0)
        add_key(fd, ev, data);
    check_keys();
}

static void op_modify(void)
{
    int fd, s, e, r;
    unsigned ev;
    void *data;
    struct mkey *k;

    if (pick_number(byte(), &fd) < 0) {
        (void)byte();
        (void)byte();
        return;
    }
    ev = pick_events(byte());
    data = data_of(byte());
    r = coro_sel_modify(&sel, fd, ev, data);
    TRACE("%d: modify(%d, %u, %p) = %d\n", op_index, fd, ev, data, r);
    k = find_key(fd);
    if (fd < 0) {
        CHECK(r == CORO_EINVAL, "modify: negative fd", fd, r, CORO_EINVAL);
    } else if (!k) {
        CHECK(r == CORO_ENOKEY, "modify: not registered", fd, r, CORO_ENOKEY);
    } else if (bad_events(ev)) {
        CHECK(r == CORO_EINVAL, "modify: bad events", fd, r, CORO_EINVAL);
    } else if (ev == k->events || !drops_closed()) {
        CHECK(r == 0, "modify", fd, r, 0);
    } else if (!find_open(fd, &s, &e)) {
        CHECK(r == -EBADF, "modify: closed fd", fd, r, -EBADF);
    } else if (k->detached) {              /* not promised: any -errno */
        CHECK(r <= 0 && r > -4000, "modify: detached fd", fd, r, 0);
    } else {
        CHECK(r == 0, "modify", fd, r, 0);
    }
    if (r == 0) {
        k->events = ev;
        k->data = data;
    }
    check_keys();
}

static void op_unregister(void)
{
    int fd, r;
    struct mkey *k;

    if (pick_number(byte(), &fd) < 0)
        return;
    r = coro_sel_unregister(&sel, fd);
    TRACE("%d: unregister(%d) = %d\n", op_index, fd, r);
    k = find_key(fd);
    CHECK(r == (k ? 0 : CORO_ENOKEY), "unregister", fd, r, k ? 0 : CORO_ENOKEY);
    if (k)
        del_key(k);
    CHECK(coro_sel_get_key(&sel, fd) == NULL, "get_key after unregister", fd, 1, 0);
    check_keys();
}

static void op_get_key(void)
{
    int fd;
    const struct coro_sel_key *key;
    const struct mkey *k;

    if (pick_number(byte(), &fd) < 0)
        return;
    key = coro_sel_get_key(&sel, fd);
    k = find_key(fd);
    CHECK((key != NULL) == (k != NULL), "get_key", fd, key != NULL, k != NULL);
    if (k) {
        CHECK(key->fd == fd && key->events == k->events && key->data == k->data,
              "get_key: contents", fd, key->events, k->events);
    }
}

/* An open end of a pool slot, from a byte; 0 if it is closed. */
static int pick_end(unsigned b, int *s, int *e)
{
    *s = (int)((b >> 1) % (unsigned)nslots);
    *e = (int)(b & 1);
    return slots[*s].fd[*e] >= 0;
}

/* Bytes written by end e (the pipe's write end) went to the peer. */
static void wrote(struct slot *sl, int e, size_t n)
{
    if (sl->kind == PIPE) {
        if (sl->inq[0] == 0)
            sl->pages = 0;
        sl->inq[0] += n;
        sl->pages += (unsigned)(n / 4096 + 1);
    } else {
        sl->inq[1 - e] += n;
    }
}

/* Bytes read by end e. */
static void was_read(struct slot *sl, int e, size_t n)
{
    sl->inq[e] -= n;
    if (n > 0)
        sl->full[sl->kind == PIPE ? 1 : 1 - e] = 0;
    if (sl->kind == PIPE && sl->inq[0] == 0)
        sl->pages = 0;
}

/* Whether a write by end e must fail with EPIPE. */
static int epipe(const struct slot *sl, int e)
{
    if (sl->kind == PIPE)
        return sl->fd[0] < 0;
    return sl->fd[1 - e] < 0 || sl->wshut[e] || sl->rshut[1 - e];
}

/* One write of n bytes by end e; what it wrote, or -errno. */
static long write_once(struct slot *sl, int e, size_t n)
{
    ssize_t r = write(sl->fd[e], buf, n);
    TRACE("%d: write(%d, %zu) = %ld\n", op_index, sl->fd[e], n, (long)r);
    if (r < 0) {
        int err = errno;
        if (epipe(sl, e))
            CHECK(err == EPIPE, "harness: write errno", sl->fd[e], err, EPIPE);
        else
            CHECK(err == EAGAIN || err == EWOULDBLOCK, "harness: write errno",
                  sl->fd[e], err, EAGAIN);
        return -err;
    }
    CHECK(!epipe(sl, e), "harness: write succeeded after EPIPE", sl->fd[e], r, -1);
    wrote(sl, e, (size_t)r);
    return (long)r;
}

static void op_write(void)
{
    int s, e;
    unsigned b = byte();
    size_t n = 1 + (byte() * 37u) % 5000u;
    if (!pick_end(b, &s, &e))
        return;
    if (slots[s].kind == PIPE) {
        e = 1;
        if (slots[s].fd[1] < 0)
            return;
    }
    (void)write_once(&slots[s], e, n);
}

/* One read of up to n bytes by end e: what it read, 0 at EOF, -errno. */
static long read_once(struct slot *sl, int e, size_t n)
{
    ssize_t r = read(sl->fd[e], buf, n);
    TRACE("%d: read(%d, %zu) = %ld\n", op_index, sl->fd[e], n, (long)r);
    int peer_gone = sl->fd[1 - e] < 0;
    if (r < 0) {
        int err = errno;
        CHECK(sl->inq[e] == 0, "harness: read failed with bytes pending", sl->fd[e],
              err, (long)sl->inq[e]);
        if (err == ECONNRESET && sl->kind == SOCK && peer_gone)
            return -err;                   /* the peer left unread bytes */
        CHECK(err == EAGAIN || err == EWOULDBLOCK, "harness: read errno", sl->fd[e],
              err, EAGAIN);
        CHECK(!peer_gone && !(sl->kind == SOCK && sl->rshut[e]),
              "harness: EAGAIN at EOF", sl->fd[e], err, 0);
        return -err;
    }
    if (r == 0) {
        CHECK(sl->inq[e] == 0 && (peer_gone || (sl->kind == SOCK && sl->rshut[e])),
              "harness: unexpected EOF", sl->fd[e], 0, (long)sl->inq[e]);
        return 0;
    }
    CHECK((size_t)r <= sl->inq[e], "harness: read more than written", sl->fd[e], r,
          (long)sl->inq[e]);
    if (sl->kind == PIPE)
        CHECK((size_t)r == (n < sl->inq[0] ? n : sl->inq[0]), "harness: short pipe read",
              sl->fd[e], r, (long)sl->inq[0]);
    was_read(sl, e, (size_t)r);
    return (long)r;
}

static void op_read(void)
{
    int s, e;
    unsigned b = byte();
    size_t n = 1 + (byte() * 97u) % 9000u;
    if (!pick_end(b, &s, &e))
        return;
    if (slots[s].kind == PIPE) {
        e = 0;
        if (slots[s].fd[0] < 0)
            return;
    }
    (void)read_once(&slots[s], e, n);
}

static void op_drain(void)
{
    int s, e, i;
    long r = 1;
    if (!pick_end(byte(), &s, &e))
        return;
    if (slots[s].kind == PIPE) {
        e = 0;
        if (slots[s].fd[0] < 0)
            return;
    }
    for (i = 0; i < 256 && r > 0; i++)
        r = read_once(&slots[s], e, CHUNK);
    CHECK(r <= 0, "harness: drain did not end", slots[s].fd[e], r, 0);
    CHECK(slots[s].inq[e] == 0, "harness: drained but bytes pending", slots[s].fd[e],
          (long)slots[s].inq[e], 0);
}

static void op_fill(void)
{
    int s, e, i;
    long r = 1;
    struct slot *sl;
    if (!pick_end(byte(), &s, &e))
        return;
    sl = &slots[s];
    if (sl->kind == PIPE) {
        e = 1;
        if (sl->fd[1] < 0)
            return;
    }
    TRACE("%d: fill(%d) {\n", op_index, sl->fd[e]);
    for (i = 0; i < 64 && r > 0; i++)
        r = write_once(sl, e, CHUNK);
    for (i = 0; i < 4096 && r > 0; i++)
        r = write_once(sl, e, 1);
    if (r == -EAGAIN || r == -EWOULDBLOCK)
        sl->full[e] = 1;
    TRACE("%d: } fill\n", op_index);
}

static void op_shutdown(void)
{
    static const int how[3] = { SHUT_RD, SHUT_WR, SHUT_RDWR };
    int s, e, h;
    struct slot *sl;
    if (!pick_end(byte(), &s, &e))
        return;
    h = (int)(byte() % 3);
    sl = &slots[s];
    if (sl->kind != SOCK)
        return;
    TRACE("%d: shutdown(%d, %d)\n", op_index, sl->fd[e], h);
    if (shutdown(sl->fd[e], how[h]) != 0) {
        /* the peer is gone: ENOTCONN on some systems */
        CHECK(sl->fd[1 - e] < 0, "harness: shutdown", sl->fd[e], errno, 0);
        return;
    }
    if (h != 1) {                          /* RD: e stops reading */
        sl->rshut[e] = 1;
        sl->wshut[1 - e] = 1;
    }
    if (h != 0) {                          /* WR: e stops writing */
        sl->wshut[e] = 1;
        sl->rshut[1 - e] = 1;
    }
}

static void op_close(void)
{
    int s, e, fd, mode;
    struct slot *sl;
    struct mkey *k;
    if (!pick_end(byte(), &s, &e))
        return;
    mode = (int)(byte() & 1);
    sl = &slots[s];
    fd = sl->fd[e];
    k = find_key(fd);
    if (k && mode == 0) {                  /* the right way: unregister first */
        CHECK(coro_sel_unregister(&sel, fd) == 0, "unregister before close", fd, 1, 0);
        del_key(k);
    } else if (k && drops_closed()) {
        k->detached = 1;                   /* the kernel forgets it */
    }
    TRACE("%d: close(%d)%s\n", op_index, fd, k && mode ? " while registered" : "");
    CHECK(close(fd) == 0, "harness: close", fd, errno, 0);
    sl->fd[e] = -1;
    /* what was queued for the closed end is gone */
    if (sl->kind == SOCK) {
        sl->inq[e] = 0;
        sl->full[1 - e] = 0;
    } else if (e == 0) {
        sl->inq[0] = 0;
        sl->full[1] = 0;
        sl->pages = 0;
    }
    check_keys();
}

static void op_reopen(void)
{
    unsigned b = byte();
    int s = (int)(b % (unsigned)nslots);
    if (slots[s].fd[0] >= 0 || slots[s].fd[1] >= 0)
        return;
    if (make_slot(s, (int)((b >> 3) & 1)) != 0) {
        perror("fuzz_selectors: pipe");
        abort();
    }
    TRACE("%d: reopen slot %d: %s %d %d\n", op_index, s,
          slots[s].kind == PIPE ? "pipe" : "socketpair", slots[s].fd[0], slots[s].fd[1]);
}

static int pick_max(unsigned b)
{
    switch (b % 8) {
    case 0: return 1;
    case 1: return 2;
    case 2: return 3;
    default: return BIG;
    }
}

static void op_select(void)
{
    struct coro_sel_event ev[BIG];
    unsigned b = byte();
    coro_time timeout = 0;
    int n, max, i;

    if ((b & 0x3f) == 0x3f) {              /* bad arguments, nothing changes */
        CHECK(coro_sel_select(&sel, ev, 0, 0) == CORO_EINVAL, "select: max 0", -1, 0, 0);
        CHECK(coro_sel_select(&sel, ev, -1, 0) == CORO_EINVAL, "select: max -1", -1, 0, 0);
        CHECK(coro_sel_select(&sel, NULL, BIG, 0) == CORO_EINVAL, "select: NULL", -1, 0, 0);
        return;
    }
    switch (b >> 6) {
    case 1: timeout = -2; break;           /* negative polls; -1 is CORO_FOREVER */
    case 2: timeout = -CORO_SEC; break;
    case 3:                                /* a real wait, when it cannot block */
        for (i = 0; i < nkeys; i++)
            if (must_events(&keys[i]))
                timeout = 10 * CORO_MSEC;
        break;
    default: break;
    }
    max = pick_max(b);
    memset(ev, 0xa5, sizeof ev);
    n = coro_sel_select(&sel, ev, max, timeout);
    trace_ready("select", ev, n, max);
    check_ready(ev, n, max, NULL);
    check_keys();
}

/* Selects with a small max, as many times as it takes to go round every fd
 * that may be ready: between them they must report every certain event
 * ("later calls start where this one stopped"). */
static void op_rounds(void)
{
    struct coro_sel_event ev[BIG];
    unsigned got[MAXKEYS];
    int max = 1 + (int)(byte() % 3), maybe = 0, rounds, i, n;

    for (i = 0; i < nkeys; i++)
        maybe += may_events(&keys[i]) != 0;
    if (backend == B_KQUEUE)
        maybe *= 2;
    rounds = (maybe + max - 1) / max;
    if (rounds < 1)
        rounds = 1;
    memset(got, 0, sizeof got);
    for (i = 0; i < rounds; i++) {
        n = coro_sel_select(&sel, ev, max, 0);
        trace_ready("select round", ev, n, max);
        check_ready(ev, n, max, got);
    }
    for (i = 0; i < nkeys; i++) {
        unsigned must = must_events(&keys[i]);
        CHECK((got[i] & must) == must, "select rounds: a ready fd left out",
              keys[i].fd, got[i], must);
    }
}

/* ------------------------------------------------------------------------ */
/* One input                                                                */
/* ------------------------------------------------------------------------ */

static int backend_of(const char *name)
{
    if (strcmp(name, "select") == 0) return B_SELECT;
    if (strcmp(name, "poll") == 0) return B_POLL;
    if (strcmp(name, "epoll") == 0) return B_EPOLL;
    if (strcmp(name, "kqueue") == 0) return B_KQUEUE;
    if (strcmp(name, "uring") == 0) return B_URING;
    return B_OTHER;
}

static void setup(void)
{
    const char *const *names = coro_sel_backends();
    const char *name;
    unsigned b0 = byte(), b1 = byte(), b2 = byte(), b3 = byte();
    int nb = 0, i, base, r;

    while (names[nb])
        nb++;
    name = (int)(b0 % (unsigned)(nb + 1)) == nb ? NULL : names[b0 % (unsigned)(nb + 1)];

    nslots = 1 + (int)(b2 & 7);
    for (i = 0; i < nslots; i++) {
        if (make_slot(i, (int)((b3 >> i) & 1)) != 0) {
            perror("fuzz_selectors: pipe");
            abort();
        }
    }
    base = slots[0].fd[0];
    switch (b1 % 8) {
    case 0: max_fds = base + 3; break;
    case 1: max_fds = base + 8; break;
    case 2: max_fds = base + 2 * NSLOTS + 2; break;
    case 3: max_fds = 64; break;
    case 4: max_fds = FD_SETSIZE; break;
    case 5: max_fds = FD_SETSIZE + 1; break;
    case 6: max_fds = 3000; break;
    default: max_fds = 1; break;
    }
    if (b1 & 0x80) {                       /* what open refuses */
        CHECK(coro_sel_open(&sel, "nosuch", 8) == CORO_EINVAL, "open: unknown name", -1, 0, 0);
        CHECK(coro_sel_open(&sel, name, 0) == CORO_EINVAL, "open: max_fds 0", -1, 0, 0);
        CHECK(coro_sel_open(&sel, name, -5) == CORO_EINVAL, "open: max_fds < 0", -1, 0, 0);
    }
    r = coro_sel_open(&sel, name, max_fds);
    CHECK(r == 0, "open", -1, r, 0);
    CHECK(strcmp(coro_sel_name(&sel), name ? name : names[0]) == 0, "open: name", -1, 0, 0);
    backend = backend_of(coro_sel_name(&sel));
    CHECK(sel.count == 0 && sel.max_fds == max_fds, "open: fields", -1, sel.count, 0);
    CHECK((sel.fd >= 0) == drops_closed(), "open: own fd", sel.fd, sel.fd, 0);
    TRACE("open(%s, %d): fd %d; pool:", coro_sel_name(&sel), max_fds, sel.fd);
    for (i = 0; i < nslots; i++)
        TRACE(" %s %d %d", slots[i].kind == PIPE ? "pipe" : "pair", slots[i].fd[0], slots[i].fd[1]);
    TRACE("\n");
}

static void teardown(void)
{
    struct coro_sel_event ev[2];
    int i, e;

    if (byte() & 1) {                      /* unregister everything first */
        while (nkeys > 0) {
            CHECK(coro_sel_unregister(&sel, keys[0].fd) == 0, "unregister at the end",
                  keys[0].fd, 1, 0);
            del_key(&keys[0]);
        }
        CHECK(sel.count == 0, "count at the end", -1, sel.count, 0);
    }
    coro_sel_close(&sel);
    coro_sel_close(&sel);                  /* twice is safe */
    CHECK(coro_sel_register(&sel, 0, READ, NULL) == CORO_EINVAL, "closed: register", 0, 0, 0);
    CHECK(coro_sel_modify(&sel, 0, READ, NULL) == CORO_EINVAL, "closed: modify", 0, 0, 0);
    CHECK(coro_sel_unregister(&sel, 0) == CORO_EINVAL, "closed: unregister", 0, 0, 0);
    CHECK(coro_sel_get_key(&sel, 0) == NULL, "closed: get_key", 0, 0, 0);
    CHECK(coro_sel_name(&sel) == NULL, "closed: name", 0, 0, 0);
    CHECK(coro_sel_select(&sel, ev, 2, 0) == CORO_EINVAL, "closed: select", 0, 0, 0);
    nkeys = 0;
    for (i = 0; i < nslots; i++)
        for (e = 0; e < 2; e++)
            if (slots[i].fd[e] >= 0) {
                close(slots[i].fd[e]);
                slots[i].fd[e] = -1;
            }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    int fds_before, fds_after;

    if (!once) {                           /* EPIPE rather than death */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGPIPE, &sa, NULL);
        once = 1;
    }
    in = data;
    in_len = size;
    in_pos = 0;
    nkeys = 0;
    fds_before = count_fds();
    setup();
    for (op_index = 0; op_index < MAXOPS && in_pos < in_len; op_index++) {
        switch (byte() % 16) {
        case 0: case 1: case 2: op_register(); break;
        case 3: op_modify(); break;
        case 4: op_unregister(); break;
        case 5: op_get_key(); break;
        case 6: op_write(); break;
        case 7: op_read(); break;
        case 8: op_drain(); break;
        case 9: op_fill(); break;
        case 10: op_close(); break;
        case 11: op_reopen(); break;
        case 12: op_shutdown(); break;
        case 13: op_rounds(); break;
        default: op_select(); break;
        }
    }
    op_index = -1;
    {                                      /* a last look at everything */
        struct coro_sel_event ev[BIG];
        int n = coro_sel_select(&sel, ev, BIG, 0);
        check_ready(ev, n, BIG, NULL);
        check_keys();
    }
    teardown();
    fds_after = count_fds();
    CHECK(fds_after == fds_before, "fd leak", -1, fds_after, fds_before);
    return 0;
}
