/* SPDX-License-Identifier: MIT */
/*
 * test_selectors.c -- the Check suite of selectors/selectors.h: Python's
 * `selectors` module over select, poll, epoll and kqueue.
 *
 * Every test of the backend cases runs once for each backend that
 * coro_sel_backends() lists, in a TCase named after it (a loop test whose
 * index is the backend's), so that every backend passes the same checks.
 * Where the kernels differ by design (an fd closed while registered, a
 * regular file, an fd at FD_SETSIZE), the test says what each backend gives.
 * The "api" case checks what does not depend on a backend.
 *
 * Only pipes and AF_UNIX socketpairs (and one unlinked temporary file for
 * epoll's -EPERM); no network. Times are measured with CLOCK_MONOTONIC: a
 * wait must never end before its timeout; the only upper bounds are a
 * generous 2 s. Every test checks at its end that it closed every fd it
 * opened, the selector's own included.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <check.h>
#include "check_main.h"
#include "backends.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "selectors/selectors.h"

#define READ  CORO_EVENT_READ
#define WRITE CORO_EVENT_WRITE
#define RW    (CORO_EVENT_READ | CORO_EVENT_WRITE)
#define SLACK (2 * CORO_SEC)               /* the only upper bound on a wait */
#define FD_SCAN 2048                       /* count_fds looks at 0..FD_SCAN-1 */

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static const char *bname(int i)
{
    return coro_sel_backends()[i];
}

static int nbackends(void)
{
    return test_backends();
}

static int is(int i, const char *name)
{
    return strcmp(bname(i), name) == 0;
}

/* The backends that watch open files and drop a closed fd by themselves
 * (uring's poll keeps the file open until unregister: never ready again
 * here, since the tests keep the other end open), and say -EBADF at register
 * and modify of a closed fd. */
static int drops_closed_fds(int i)
{
    return is(i, "epoll") || is(i, "kqueue") || is(i, "uring");
}

static void open_sel(struct coro_sel *sel, int i, int max_fds)
{
    ck_assert_int_eq(coro_sel_open(sel, bname(i), max_fds), 0);
    ck_assert_str_eq(coro_sel_name(sel), bname(i));
    ck_assert_int_eq(sel->count, 0);
    ck_assert_int_eq(sel->max_fds, max_fds);
}

static void mkpipe(int p[2])
{
    ck_assert_int_eq(pipe(p), 0);
}

static void mkpair(int sv[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void closefd(int fd)
{
    ck_assert_int_eq(close(fd), 0);
}

static void put(int fd)
{
    ck_assert_int_eq((int)write(fd, "x", 1), 1);
}

static void take(int fd)
{
    char c;
    ck_assert_int_eq((int)read(fd, &c, 1), 1);
}

static coro_time now_ns(void)
{
    struct timespec ts;
    ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
    return (coro_time)ts.tv_sec * CORO_SEC + ts.tv_nsec;
}

static int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* How many of the fds 0..FD_SCAN-1 are open. */
static int count_fds(void)
{
    int fd, n = 0;
    for (fd = 0; fd < FD_SCAN; fd++)
        n += fd_is_open(fd);
    return n;
}

/* Raises the soft RLIMIT_NOFILE to at least `need`, keeps the old one. */
static void need_fds(rlim_t need, struct rlimit *saved)
{
    struct rlimit r;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, saved), 0);
    r = *saved;
    if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < need) {
        ck_assert_msg(r.rlim_max == RLIM_INFINITY || r.rlim_max >= need,
                      "RLIMIT_NOFILE hard limit below %lu", (unsigned long)need);
        r.rlim_cur = need;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &r), 0);
    }
}

static void restore_fds(const struct rlimit *saved)
{
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, saved), 0);
}

/* The event of fd in ready[0..n), checking it is there exactly once. */
static const struct coro_sel_event *find(const struct coro_sel_event *ready, int n, int fd)
{
    const struct coro_sel_event *found = NULL;
    int i;
    for (i = 0; i < n; i++) {
        if (ready[i].fd == fd) {
            ck_assert_msg(found == NULL, "fd %d reported twice", fd);
            found = &ready[i];
        }
    }
    return found;
}

/* select returns exactly one event: fd, events, data. */
static void expect_one(struct coro_sel *sel, coro_time timeout, int fd, unsigned events, void *data)
{
    struct coro_sel_event ready[8];
    ck_assert_int_eq(coro_sel_select(sel, ready, 8, timeout), 1);
    ck_assert_int_eq(ready[0].fd, fd);
    ck_assert_uint_eq(ready[0].events, events);
    ck_assert_ptr_eq(ready[0].data, data);
}

static void expect_none(struct coro_sel *sel)
{
    struct coro_sel_event ready[8];
    ck_assert_int_eq(coro_sel_select(sel, ready, 8, 0), 0);
}

static void expect_key(const struct coro_sel *sel, int fd, unsigned events, void *data)
{
    const struct coro_sel_key *key = coro_sel_get_key(sel, fd);
    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(key->fd, fd);
    ck_assert_uint_eq(key->events, events);
    ck_assert_ptr_eq(key->data, data);
}

static int tags[8];                        /* distinct data pointers */
#define A (&tags[0])
#define B (&tags[1])
#define C (&tags[2])
#define D (&tags[3])
#define E (&tags[4])

/* Every test: no fd left open by it. */
#define FDS_BEGIN int fds_at_start = count_fds()
#define FDS_END ck_assert_int_eq(count_fds(), fds_at_start)

/* ------------------------------------------------------------------------ */
/* register, get_key, unregister                                            */
/* ------------------------------------------------------------------------ */

START_TEST(test_register_then_get_key_gives_fd_events_and_data)
{
    struct coro_sel sel;
    int p[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    expect_key(&sel, p[0], READ, A);
    ck_assert_int_eq(sel.count, 1);
    ck_assert_ptr_null(coro_sel_get_key(&sel, p[1]));
    ck_assert_ptr_null(coro_sel_get_key(&sel, -1));
    ck_assert_ptr_null(coro_sel_get_key(&sel, 64));
    ck_assert_int_eq(coro_sel_register(&sel, p[1], WRITE, NULL), 0);
    expect_key(&sel, p[1], WRITE, NULL);
    ck_assert_int_eq(sel.count, 2);
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), 0);
    ck_assert_ptr_null(coro_sel_get_key(&sel, p[0]));
    ck_assert_int_eq(sel.count, 1);
    expect_key(&sel, p[1], WRITE, NULL);
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), CORO_ENOKEY);
    ck_assert_int_eq(coro_sel_unregister(&sel, p[1]), 0);
    ck_assert_int_eq(sel.count, 0);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

START_TEST(test_register_twice_is_eexist_and_keeps_the_first_key)
{
    struct coro_sel sel;
    int p[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], WRITE, B), CORO_EEXIST);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), CORO_EEXIST);
    expect_key(&sel, p[0], READ, A);
    ck_assert_int_eq(sel.count, 1);
    put(p[1]);
    expect_one(&sel, 0, p[0], READ, A);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

START_TEST(test_no_or_unknown_events_are_einval_and_change_nothing)
{
    static const unsigned bad[] = { 0, 4, READ | 4, RW | 8, 0x80000000u, ~0u };
    struct coro_sel sel;
    int p[2];
    size_t k;
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_int_eq(coro_sel_register(&sel, p[0], bad[k], A), CORO_EINVAL);
        ck_assert_ptr_null(coro_sel_get_key(&sel, p[0]));
        ck_assert_int_eq(sel.count, 0);
    }
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    for (k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_int_eq(coro_sel_modify(&sel, p[0], bad[k], B), CORO_EINVAL);
        expect_key(&sel, p[0], READ, A);
        ck_assert_int_eq(sel.count, 1);
    }
    put(p[1]);
    expect_one(&sel, 0, p[0], READ, A);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

START_TEST(test_negative_fd_is_einval_and_unregistered_fd_is_enokey)
{
    struct coro_sel sel;
    int p[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    ck_assert_int_eq(coro_sel_register(&sel, -1, READ, A), CORO_EINVAL);
    ck_assert_int_eq(coro_sel_register(&sel, -64, READ, A), CORO_EINVAL);
    ck_assert_int_eq(coro_sel_modify(&sel, -1, READ, A), CORO_EINVAL);
    ck_assert_int_eq(coro_sel_unregister(&sel, -1), CORO_ENOKEY);
    ck_assert_int_eq(coro_sel_modify(&sel, p[0], READ, A), CORO_ENOKEY);
    ck_assert_int_eq(coro_sel_modify(&sel, p[0], 0, A), CORO_ENOKEY); /* key first */
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), CORO_ENOKEY);
    ck_assert_int_eq(coro_sel_modify(&sel, 64, READ, A), CORO_ENOKEY);
    ck_assert_int_eq(coro_sel_unregister(&sel, 64), CORO_ENOKEY);
    ck_assert_int_eq(sel.count, 0);
    ck_assert_ptr_null(coro_sel_get_key(&sel, p[0]));
    /* registered and unregistered again: unknown again */
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), 0);
    ck_assert_int_eq(coro_sel_modify(&sel, p[0], WRITE, A), CORO_ENOKEY);
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), CORO_ENOKEY);
    ck_assert_int_eq(sel.count, 0);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

START_TEST(test_fd_at_or_above_max_fds_is_erange)
{
    struct coro_sel sel;
    int p[2];
    FDS_BEGIN;
    mkpipe(p);
    ck_assert_int_gt(p[0], 0);
    open_sel(&sel, _i, p[0]);              /* p[0] == max_fds, p[1] above */
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), CORO_ERANGE);
    ck_assert_int_eq(coro_sel_register(&sel, p[1], WRITE, A), CORO_ERANGE);
    ck_assert_int_eq(coro_sel_register(&sel, INT32_MAX, READ, A), CORO_ERANGE);
    ck_assert_int_eq(coro_sel_modify(&sel, p[0], READ, A), CORO_ENOKEY);
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), CORO_ENOKEY);
    ck_assert_ptr_null(coro_sel_get_key(&sel, p[0]));
    ck_assert_int_eq(sel.count, 0);
    put(p[1]);
    expect_none(&sel);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

/* select(2) cannot take an fd at FD_SETSIZE: CORO_ERANGE, and no fd_set is
 * touched; the others watch it like any fd. */
START_TEST(test_fd_at_fd_setsize_is_erange_for_select_only)
{
    struct coro_sel sel;
    struct rlimit saved;
    int p[2], big = FD_SETSIZE;
    FDS_BEGIN;
    need_fds((rlim_t)big + 16, &saved);
    mkpipe(p);
    ck_assert_msg(!fd_is_open(big), "fd %d is in use", big);
    ck_assert_int_eq(dup2(p[0], big), big);
    open_sel(&sel, _i, big + 1);
    ck_assert_int_eq(coro_sel_register(&sel, big + 1, READ, A), CORO_ERANGE);
    put(p[1]);
    if (is(_i, "select")) {
        ck_assert_int_eq(coro_sel_register(&sel, big, READ, A), CORO_ERANGE);
        ck_assert_ptr_null(coro_sel_get_key(&sel, big));
        ck_assert_int_eq(sel.count, 0);
        ck_assert_int_eq(coro_sel_modify(&sel, big, READ, B), CORO_ENOKEY);
        expect_none(&sel);
        /* the same pipe under an fd below FD_SETSIZE is fine */
        ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, B), 0);
        expect_one(&sel, 0, p[0], READ, B);
    } else {
        ck_assert_int_eq(coro_sel_register(&sel, big, READ, A), 0);
        expect_key(&sel, big, READ, A);
        expect_one(&sel, 0, big, READ, A);
        ck_assert_int_eq(coro_sel_modify(&sel, big, RW, B), 0);
        expect_one(&sel, 0, big, READ, B);  /* a read end is never writable */
        ck_assert_int_eq(coro_sel_unregister(&sel, big), 0);
        expect_none(&sel);
    }
    coro_sel_close(&sel);
    closefd(big);
    closefd(p[0]);
    closefd(p[1]);
    restore_fds(&saved);
    FDS_END;
}
END_TEST

/* ------------------------------------------------------------------------ */
/* select: what is reported                                                 */
/* ------------------------------------------------------------------------ */

START_TEST(test_level_triggered_a_readable_fd_is_reported_by_every_select)
{
    struct coro_sel sel;
    int p[2], k;
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    expect_none(&sel);
    put(p[1]);
    put(p[1]);
    for (k = 0; k < 3; k++)
        expect_one(&sel, 0, p[0], READ, A);
    expect_one(&sel, 10 * CORO_MSEC, p[0], READ, A);
    expect_one(&sel, CORO_FOREVER, p[0], READ, A);
    take(p[0]);
    expect_one(&sel, 0, p[0], READ, A);    /* one byte left */
    take(p[0]);
    expect_none(&sel);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

START_TEST(test_only_registered_fds_and_events_come_back_with_the_keys_data)
{
    struct coro_sel sel;
    struct coro_sel_event ready[8];
    int s[2], p[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpair(s);
    mkpipe(p);
    /* s[0] is writable but registered for read; s[1], p[1] are writable and
     * not registered */
    ck_assert_int_eq(coro_sel_register(&sel, s[0], READ, A), 0);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], WRITE, B), 0);
    expect_none(&sel);
    put(s[1]);
    expect_one(&sel, 0, s[0], READ, A);
    ck_assert_int_eq(coro_sel_modify(&sel, s[0], RW, C), 0);
    expect_one(&sel, 0, s[0], RW, C);
    put(p[1]);                             /* p[0] readable, registered for write */
    expect_one(&sel, 0, s[0], RW, C);
    ck_assert_int_eq(coro_sel_modify(&sel, p[0], RW, D), 0);
    ck_assert_int_eq(coro_sel_select(&sel, ready, 8, 0), 2);
    ck_assert_ptr_nonnull(find(ready, 2, s[0]));
    ck_assert_uint_eq(find(ready, 2, s[0])->events, RW);
    ck_assert_ptr_eq(find(ready, 2, s[0])->data, C);
    ck_assert_ptr_nonnull(find(ready, 2, p[0]));
    ck_assert_uint_eq(find(ready, 2, p[0])->events, READ);
    ck_assert_ptr_eq(find(ready, 2, p[0])->data, D);
    coro_sel_close(&sel);
    closefd(s[0]);
    closefd(s[1]);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

START_TEST(test_modify_changes_the_events_and_the_data)
{
    struct coro_sel sel;
    int s[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpair(s);
    ck_assert_int_eq(coro_sel_register(&sel, s[0], READ, A), 0);
    expect_none(&sel);                     /* writable, not readable */
    ck_assert_int_eq(coro_sel_modify(&sel, s[0], WRITE, B), 0);
    expect_key(&sel, s[0], WRITE, B);
    expect_one(&sel, 0, s[0], WRITE, B);
    ck_assert_int_eq(coro_sel_modify(&sel, s[0], WRITE, C), 0); /* data only */
    expect_key(&sel, s[0], WRITE, C);
    expect_one(&sel, 0, s[0], WRITE, C);
    put(s[1]);
    ck_assert_int_eq(coro_sel_modify(&sel, s[0], READ, D), 0);
    expect_key(&sel, s[0], READ, D);
    expect_one(&sel, 0, s[0], READ, D);
    ck_assert_int_eq(coro_sel_modify(&sel, s[0], RW, E), 0);
    expect_one(&sel, 0, s[0], RW, E);
    take(s[0]);
    expect_one(&sel, 0, s[0], WRITE, E);
    ck_assert_int_eq(coro_sel_modify(&sel, s[0], READ, NULL), 0);
    expect_none(&sel);
    ck_assert_int_eq(sel.count, 1);
    coro_sel_close(&sel);
    closefd(s[0]);
    closefd(s[1]);
    FDS_END;
}
END_TEST

START_TEST(test_unregistered_fd_is_no_longer_reported_and_can_be_registered_again)
{
    struct coro_sel sel;
    int s[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpair(s);
    put(s[1]);
    ck_assert_int_eq(coro_sel_register(&sel, s[0], READ, A), 0);
    expect_one(&sel, 0, s[0], READ, A);
    ck_assert_int_eq(coro_sel_unregister(&sel, s[0]), 0);
    expect_none(&sel);
    ck_assert_int_eq(coro_sel_register(&sel, s[0], WRITE, B), 0);
    expect_one(&sel, 0, s[0], WRITE, B);   /* the old READ is gone */
    ck_assert_int_eq(coro_sel_unregister(&sel, s[0]), 0);
    ck_assert_int_eq(coro_sel_register(&sel, s[0], RW, C), 0);
    expect_one(&sel, 0, s[0], RW, C);
    coro_sel_close(&sel);
    closefd(s[0]);
    closefd(s[1]);
    FDS_END;
}
END_TEST

START_TEST(test_hangup_is_read_on_a_read_end_and_write_on_a_write_end)
{
    struct coro_sel sel;
    int p[2], q[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    mkpipe(q);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    ck_assert_int_eq(coro_sel_register(&sel, q[1], WRITE, B), 0);
    expect_one(&sel, 0, q[1], WRITE, B);
    ck_assert_int_eq(coro_sel_unregister(&sel, q[1]), 0);
    expect_none(&sel);
    closefd(p[1]);                         /* EOF: readable */
    expect_one(&sel, 0, p[0], READ, A);
    expect_one(&sel, CORO_FOREVER, p[0], READ, A);
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), 0);
    closefd(q[0]);                         /* no reader: writing fails at once */
    ck_assert_int_eq(coro_sel_register(&sel, q[1], WRITE, C), 0);
    expect_one(&sel, CORO_FOREVER, q[1], WRITE, C);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(q[1]);
    FDS_END;
}
END_TEST

START_TEST(test_many_fds_exactly_the_readable_subset_is_returned)
{
    enum { PAIRS = 500, MAXREADY = 1000 };
    static int pairs[PAIRS][2];
    static struct coro_sel_event ready[MAXREADY];
    static char seen[FD_SCAN];
    struct coro_sel sel;
    struct rlimit saved;
    int i, n, expected = 0, registered = 0;
    FDS_BEGIN;
    need_fds(2 * PAIRS + 256, &saved);
    open_sel(&sel, _i, FD_SCAN);
    for (i = 0; i < PAIRS; i++) {
        int r;
        mkpair(pairs[i]);
        ck_assert_int_lt(pairs[i][1], FD_SCAN);
        r = coro_sel_register(&sel, pairs[i][0], READ, pairs[i]);
        if (is(_i, "select") && pairs[i][0] >= FD_SETSIZE) {
            ck_assert_int_eq(r, CORO_ERANGE);
            continue;
        }
        ck_assert_int_eq(r, 0);
        registered++;
        if (i % 7 == 3 || i == PAIRS - 1) {
            put(pairs[i][1]);
            expected++;
        }
    }
    ck_assert_int_eq(sel.count, registered);
    ck_assert_int_ge(registered, is(_i, "select") ? 400 : PAIRS);
    ck_assert_int_ge(expected, 50);
    n = coro_sel_select(&sel, ready, MAXREADY, 0);
    ck_assert_int_eq(n, expected);
    memset(seen, 0, sizeof seen);
    for (i = 0; i < n; i++) {
        int *pair = (int *)ready[i].data;
        ck_assert_int_ge(ready[i].fd, 0);
        ck_assert_int_lt(ready[i].fd, FD_SCAN);
        ck_assert_int_eq(seen[ready[i].fd], 0);
        seen[ready[i].fd] = 1;
        ck_assert_ptr_nonnull(pair);
        ck_assert_int_eq(pair[0], ready[i].fd);
        ck_assert_uint_eq(ready[i].events, READ);
    }
    for (i = 0; i < PAIRS; i++) {
        int want = coro_sel_get_key(&sel, pairs[i][0]) && (i % 7 == 3 || i == PAIRS - 1);
        ck_assert_int_eq(seen[pairs[i][0]], want);
    }
    /* level-triggered, the same again; then unregister half of them */
    ck_assert_int_eq(coro_sel_select(&sel, ready, MAXREADY, 0), expected);
    for (i = 0; i < PAIRS; i += 2)
        if (coro_sel_get_key(&sel, pairs[i][0]))
            ck_assert_int_eq(coro_sel_unregister(&sel, pairs[i][0]), 0);
    n = coro_sel_select(&sel, ready, MAXREADY, 0);
    for (i = 0; i < n; i++)
        ck_assert_int_eq(((int *)ready[i].data - pairs[0]) / 2 % 2, 1);
    expected = 0;
    for (i = 1; i < PAIRS; i += 2)
        expected += coro_sel_get_key(&sel, pairs[i][0]) && (i % 7 == 3 || i == PAIRS - 1);
    ck_assert_int_eq(n, expected);
    coro_sel_close(&sel);
    for (i = 0; i < PAIRS; i++) {
        closefd(pairs[i][0]);
        closefd(pairs[i][1]);
    }
    restore_fds(&saved);
    FDS_END;
}
END_TEST

/* More fds ready than a select may return: each call returns a full batch,
 * and the calls go round all of them (later calls start where one stopped),
 * every fd within two turns. (uring: the polls of the left-over fds are armed
 * again at each wait and complete at once; a wait takes no more than were
 * left, or it would never end while they all stay ready.) */
START_TEST(test_more_ready_fds_than_a_batch_are_all_returned_in_turns)
{
    enum { PAIRS = 400, BATCH = 16, ROUNDS = 2 * PAIRS / BATCH };
    static int pairs[PAIRS][2];
    static unsigned char seen[FD_SCAN];
    struct coro_sel_event ready[BATCH];
    struct coro_sel sel;
    struct rlimit saved;
    int i, k, n, missing;
    FDS_BEGIN;
    need_fds(2 * PAIRS + 256, &saved);
    open_sel(&sel, _i, FD_SCAN);
    for (i = 0; i < PAIRS; i++) {
        mkpair(pairs[i]);
        ck_assert_int_lt(pairs[i][1], FD_SCAN);
        if (is(_i, "select") && pairs[i][0] >= FD_SETSIZE) {
            closefd(pairs[i][0]);
            closefd(pairs[i][1]);
            pairs[i][0] = -1;
            continue;
        }
        ck_assert_int_eq(coro_sel_register(&sel, pairs[i][0], READ, pairs[i]), 0);
        put(pairs[i][1]);
    }
    memset(seen, 0, sizeof seen);
    for (k = 0; k < ROUNDS; k++) {
        n = coro_sel_select(&sel, ready, BATCH, 0);
        ck_assert_int_eq(n, BATCH);
        for (i = 0; i < n; i++) {
            ck_assert_uint_eq(ready[i].events, READ);
            ck_assert_int_eq(((int *)ready[i].data)[0], ready[i].fd);
            seen[ready[i].fd] = 1;
        }
    }
    for (i = 0, missing = 0; i < PAIRS; i++)
        if (pairs[i][0] >= 0 && !seen[pairs[i][0]])
            missing++;
    ck_assert_int_eq(missing, 0);
    coro_sel_close(&sel);
    for (i = 0; i < PAIRS; i++)
        if (pairs[i][0] >= 0) {
            closefd(pairs[i][0]);
            closefd(pairs[i][1]);
        }
    restore_fds(&saved);
    FDS_END;
}
END_TEST

START_TEST(test_max_caps_how_many_events_one_select_returns)
{
    enum { N = 10 };
    struct coro_sel sel;
    struct coro_sel_event ready[N + 1];
    int p[N][2], i, k, n;
    FDS_BEGIN;
    open_sel(&sel, _i, 256);
    for (i = 0; i < N; i++) {
        mkpipe(p[i]);
        put(p[i][1]);
        ck_assert_int_eq(coro_sel_register(&sel, p[i][0], READ, p[i]), 0);
    }
    for (k = 1; k <= N; k += 3) {
        memset(ready, 0, sizeof ready);
        ready[k].fd = -7;                  /* nothing written past max */
        n = coro_sel_select(&sel, ready, k, 0);
        ck_assert_int_eq(n, k);
        ck_assert_int_eq(ready[k].fd, -7);
        for (i = 0; i < n; i++) {
            int *pair = (int *)ready[i].data;
            ck_assert_int_eq(pair[0], ready[i].fd);
            ck_assert_ptr_eq(find(ready, n, ready[i].fd), &ready[i]);
            ck_assert_uint_eq(ready[i].events, READ);
        }
    }
    ck_assert_int_eq(coro_sel_select(&sel, ready, N + 1, 0), N);
    coro_sel_close(&sel);
    for (i = 0; i < N; i++) {
        closefd(p[i][0]);
        closefd(p[i][1]);
    }
    FDS_END;
}
END_TEST

/* With more fds ready than max, the low ones do not starve the others:
 * every ready fd comes within a few selects (3 would do for all four). */
START_TEST(test_more_ready_than_max_each_fd_is_reported_in_turn)
{
    enum { N = 10, MAX = 4, ROUNDS = 6 };
    struct coro_sel sel;
    struct coro_sel_event ready[MAX];
    char seen[FD_SCAN];
    int p[N][2], i, k, n, rounds = 0, distinct = 0;
    FDS_BEGIN;
    open_sel(&sel, _i, 256);
    for (i = 0; i < N; i++) {
        mkpipe(p[i]);
        put(p[i][1]);
        ck_assert_int_eq(coro_sel_register(&sel, p[i][0], READ, p[i]), 0);
    }
    memset(seen, 0, sizeof seen);
    while (distinct < N && rounds < ROUNDS) {
        n = coro_sel_select(&sel, ready, MAX, 0);
        ck_assert_int_eq(n, MAX);
        for (k = 0; k < n; k++) {
            ck_assert_int_lt(ready[k].fd, FD_SCAN);
            distinct += !seen[ready[k].fd];
            seen[ready[k].fd] = 1;
        }
        rounds++;
    }
    ck_assert_msg(distinct == N, "%s: %d of %d ready fds in %d selects",
                  bname(_i), distinct, N, rounds);
    coro_sel_close(&sel);
    for (i = 0; i < N; i++) {
        closefd(p[i][0]);
        closefd(p[i][1]);
    }
    FDS_END;
}
END_TEST

/* ------------------------------------------------------------------------ */
/* select: timeouts and signals                                             */
/* ------------------------------------------------------------------------ */

START_TEST(test_timeout_zero_returns_at_once)
{
    struct coro_sel sel;
    struct coro_sel_event ready[4];
    coro_time t0, elapsed;
    int p[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    t0 = now_ns();
    ck_assert_int_eq(coro_sel_select(&sel, ready, 4, 0), 0);  /* nothing registered */
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    ck_assert_int_eq(coro_sel_select(&sel, ready, 4, 0), 0);
    ck_assert_int_eq(coro_sel_select(&sel, ready, 4, -5), 0);  /* negative: polls */
    elapsed = now_ns() - t0;
    ck_assert_int_lt(elapsed, SLACK);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

START_TEST(test_timeout_is_never_early)
{
    static const coro_time timeouts[] = {
        30 * CORO_MSEC, 25 * CORO_MSEC + 300 * CORO_USEC, 1 * CORO_MSEC + 1, 1
    };
    struct coro_sel sel;
    struct coro_sel_event ready[4];
    int p[2];
    size_t k;
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    for (k = 0; k < 2 * (sizeof timeouts / sizeof timeouts[0]); k++) {
        coro_time timeout = timeouts[k / 2], t0, elapsed;
        if (k == 1)                        /* nothing registered at first */
            ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
        t0 = now_ns();
        ck_assert_int_eq(coro_sel_select(&sel, ready, 4, timeout), 0);
        elapsed = now_ns() - t0;
        ck_assert_msg(elapsed >= timeout, "%s: %lld ns for a timeout of %lld ns",
                      bname(_i), (long long)elapsed, (long long)timeout);
        ck_assert_int_lt(elapsed, timeout + SLACK);
    }
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

START_TEST(test_forever_with_a_ready_fd_returns_at_once)
{
    struct coro_sel sel;
    coro_time t0;
    int s[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpair(s);
    ck_assert_int_eq(coro_sel_register(&sel, s[0], WRITE, A), 0);
    t0 = now_ns();
    expect_one(&sel, CORO_FOREVER, s[0], WRITE, A);
    ck_assert_int_eq(coro_sel_modify(&sel, s[0], READ, B), 0);
    put(s[1]);
    expect_one(&sel, CORO_FOREVER, s[0], READ, B);
    expect_one(&sel, 3600 * CORO_SEC, s[0], READ, B);
    expect_one(&sel, INT64_MAX, s[0], READ, B);
    ck_assert_int_lt(now_ns() - t0, SLACK);
    coro_sel_close(&sel);
    closefd(s[0]);
    closefd(s[1]);
    FDS_END;
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* A signal without SA_RESTART interrupts the wait (EINTR): select retries
 * with what is left and still times out at 100 ms, not before. */
START_TEST(test_eintr_is_retried_with_the_remaining_time)
{
    struct coro_sel sel;
    struct coro_sel_event ready[4];
    struct sigaction sa, old_sa;
    struct itimerval it, old_it;
    coro_time t0, elapsed;
    int p[2], n;
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;                       /* no SA_RESTART */
    ck_assert_int_eq(sigaction(SIGALRM, &sa, &old_sa), 0);
    memset(&it, 0, sizeof it);
    it.it_value.tv_usec = 10000;           /* 10 ms, once */
    alarms = 0;
    t0 = now_ns();
    ck_assert_int_eq(setitimer(ITIMER_REAL, &it, &old_it), 0);
    n = coro_sel_select(&sel, ready, 4, 100 * CORO_MSEC);
    elapsed = now_ns() - t0;
    ck_assert_int_eq(setitimer(ITIMER_REAL, &old_it, NULL), 0);
    ck_assert_int_eq(sigaction(SIGALRM, &old_sa, NULL), 0);
    ck_assert_int_eq(alarms, 1);
    ck_assert_int_eq(n, 0);
    ck_assert_msg(elapsed >= 100 * CORO_MSEC, "%s: returned after %lld ns",
                  bname(_i), (long long)elapsed);
    ck_assert_int_lt(elapsed, 100 * CORO_MSEC + SLACK);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Closed fds and what the kernel refuses                                   */
/* ------------------------------------------------------------------------ */

/* select and poll report an fd closed while registered as ready (read and
 * write, cut to the registered events) at every select; epoll and kqueue
 * watch open files and drop it by themselves. Either way: no crash, no spin,
 * and unregister works. */
START_TEST(test_fd_closed_while_registered_is_reported_or_dropped_then_unregisters)
{
    struct coro_sel sel;
    struct coro_sel_event ready[8];
    coro_time t0, elapsed;
    int p[2], q[2], k, n;
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    mkpipe(q);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], RW, A), 0);
    ck_assert_int_eq(coro_sel_register(&sel, q[0], READ, B), 0);
    closefd(p[0]);
    closefd(q[0]);
    for (k = 0; k < 2; k++) {
        t0 = now_ns();
        n = coro_sel_select(&sel, ready, 8, 50 * CORO_MSEC);
        elapsed = now_ns() - t0;
        if (drops_closed_fds(_i)) {
            ck_assert_int_eq(n, 0);
            ck_assert_int_ge(elapsed, 50 * CORO_MSEC);
        } else {
            ck_assert_int_eq(n, 2);
            ck_assert_ptr_nonnull(find(ready, n, p[0]));
            ck_assert_uint_eq(find(ready, n, p[0])->events, RW);
            ck_assert_ptr_eq(find(ready, n, p[0])->data, A);
            ck_assert_ptr_nonnull(find(ready, n, q[0]));
            ck_assert_uint_eq(find(ready, n, q[0])->events, READ);
            ck_assert_ptr_eq(find(ready, n, q[0])->data, B);
        }
        ck_assert_int_lt(elapsed, SLACK);
    }
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), 0);
    ck_assert_int_eq(coro_sel_unregister(&sel, q[0]), 0);
    ck_assert_int_eq(sel.count, 0);
    ck_assert_ptr_null(coro_sel_get_key(&sel, p[0]));
    expect_none(&sel);
    closefd(p[1]);
    closefd(q[1]);
    /* the fd number again, a new pipe: registered afresh */
    mkpipe(q);
    ck_assert_int_eq(q[0], p[0]);
    ck_assert_int_eq(coro_sel_register(&sel, q[0], READ, C), 0);
    expect_none(&sel);
    put(q[1]);
    expect_one(&sel, 0, q[0], READ, C);
    coro_sel_close(&sel);
    closefd(q[0]);
    closefd(q[1]);
    FDS_END;
}
END_TEST

/* A closed fd next to a ready one: every event returned is a registered fd,
 * and once the closed one is unregistered the ready one comes back alone. */
START_TEST(test_fd_closed_while_registered_next_to_a_ready_one)
{
    struct coro_sel sel;
    struct coro_sel_event ready[8];
    int p[2], s[2], i, n;
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    mkpair(s);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    ck_assert_int_eq(coro_sel_register(&sel, s[0], READ, B), 0);
    put(s[1]);
    closefd(p[0]);
    n = coro_sel_select(&sel, ready, 8, CORO_FOREVER);
    ck_assert_int_ge(n, 1);
    for (i = 0; i < n; i++) {
        ck_assert_msg(ready[i].fd == p[0] || ready[i].fd == s[0], "fd %d", ready[i].fd);
        ck_assert_uint_eq(ready[i].events, READ);
        ck_assert_ptr_eq(ready[i].data, ready[i].fd == p[0] ? A : B);
    }
    if (drops_closed_fds(_i)) {
        ck_assert_int_eq(n, 1);
        ck_assert_int_eq(ready[0].fd, s[0]);
    } else {
        ck_assert_ptr_nonnull(find(ready, n, p[0]));
    }
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), 0);
    expect_one(&sel, CORO_FOREVER, s[0], READ, B);
    coro_sel_close(&sel);
    closefd(p[1]);
    closefd(s[0]);
    closefd(s[1]);
    FDS_END;
}
END_TEST

/* epoll and kqueue check the fd at register and modify (-EBADF, nothing
 * changed); select and poll take it and report it ready. */
START_TEST(test_closed_fd_at_register_and_modify)
{
    struct coro_sel sel;
    int p[2], closed;
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    closed = p[0];
    closefd(p[0]);
    closefd(p[1]);
    if (drops_closed_fds(_i)) {
        ck_assert_int_eq(coro_sel_register(&sel, closed, READ, A), -EBADF);
        ck_assert_ptr_null(coro_sel_get_key(&sel, closed));
        ck_assert_int_eq(sel.count, 0);
        expect_none(&sel);
    } else {
        ck_assert_int_eq(coro_sel_register(&sel, closed, READ, A), 0);
        expect_one(&sel, 0, closed, READ, A);
        ck_assert_int_eq(coro_sel_unregister(&sel, closed), 0);
    }
    /* registered open, then closed, then modified */
    mkpipe(p);
    ck_assert_int_eq(p[0], closed);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    closefd(p[0]);
    if (drops_closed_fds(_i)) {
        ck_assert_int_eq(coro_sel_modify(&sel, p[0], WRITE, B), -EBADF);
        expect_key(&sel, p[0], READ, A);
        ck_assert_int_eq(coro_sel_modify(&sel, p[0], READ, B), 0); /* data only */
        expect_key(&sel, p[0], READ, B);
    } else {
        ck_assert_int_eq(coro_sel_modify(&sel, p[0], WRITE, B), 0);
        expect_key(&sel, p[0], WRITE, B);
        expect_one(&sel, 0, p[0], WRITE, B);
    }
    ck_assert_int_eq(sel.count, 1);
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), 0);
    ck_assert_int_eq(sel.count, 0);
    coro_sel_close(&sel);
    closefd(p[1]);
    FDS_END;
}
END_TEST

/* A regular file cannot be polled by epoll (-EPERM, nothing changed); select
 * and poll report it always ready. */
START_TEST(test_regular_file_is_eperm_for_epoll_and_always_ready_for_select_and_poll)
{
    struct coro_sel sel;
    FILE *f;
    int fd;
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    f = tmpfile();
    ck_assert_ptr_nonnull(f);
    fd = fileno(f);
    if (is(_i, "epoll")) {
        ck_assert_int_eq(coro_sel_register(&sel, fd, READ, A), -EPERM);
        ck_assert_ptr_null(coro_sel_get_key(&sel, fd));
        ck_assert_int_eq(sel.count, 0);
        expect_none(&sel);
    } else if (is(_i, "kqueue")) {
        /* kqueue takes vnodes; when they are ready differs between BSDs */
        ck_assert_int_eq(coro_sel_register(&sel, fd, READ, A), 0);
        ck_assert_int_eq(coro_sel_unregister(&sel, fd), 0);
    } else {
        ck_assert_int_eq(coro_sel_register(&sel, fd, RW, A), 0);
        expect_one(&sel, 0, fd, RW, A);
        ck_assert_int_eq(coro_sel_unregister(&sel, fd), 0);
    }
    coro_sel_close(&sel);
    ck_assert_int_eq(fclose(f), 0);
    FDS_END;
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Arguments and the selector's life                                        */
/* ------------------------------------------------------------------------ */

START_TEST(test_select_with_no_room_or_no_array_is_einval)
{
    struct coro_sel sel;
    struct coro_sel_event ready[2];
    int p[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    mkpipe(p);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    put(p[1]);
    ck_assert_int_eq(coro_sel_select(&sel, ready, 0, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_sel_select(&sel, ready, -1, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_sel_select(&sel, NULL, 2, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_sel_select(NULL, ready, 2, 0), CORO_EINVAL);
    expect_one(&sel, 0, p[0], READ, A);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

START_TEST(test_close_frees_everything_twice_is_safe_and_a_closed_selector_is_einval)
{
    struct coro_sel sel;
    struct coro_sel_event ready[2];
    int p[2];
    FDS_BEGIN;
    open_sel(&sel, _i, 64);
    ck_assert_int_eq(sel.fd >= 0, drops_closed_fds(_i)); /* epoll/kqueue/uring hold one */
    mkpipe(p);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), 0);
    coro_sel_close(&sel);                  /* p[0] is still registered: not closed */
    ck_assert(fd_is_open(p[0]));
    ck_assert_ptr_null(sel.keys);
    ck_assert_ptr_null(sel.state);
    ck_assert_int_eq(sel.fd, -1);
    ck_assert_int_eq(sel.count, 0);
    coro_sel_close(&sel);
    ck_assert_ptr_null(coro_sel_name(&sel));
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, A), CORO_EINVAL);
    ck_assert_int_eq(coro_sel_modify(&sel, p[0], READ, A), CORO_EINVAL);
    ck_assert_int_eq(coro_sel_unregister(&sel, p[0]), CORO_EINVAL);
    ck_assert_ptr_null(coro_sel_get_key(&sel, p[0]));
    ck_assert_int_eq(coro_sel_select(&sel, ready, 2, 0), CORO_EINVAL);
    /* and it opens again */
    open_sel(&sel, _i, 8);
    ck_assert_int_eq(coro_sel_register(&sel, p[0], READ, B), 0);
    put(p[1]);
    expect_one(&sel, 0, p[0], READ, B);
    coro_sel_close(&sel);
    closefd(p[0]);
    closefd(p[1]);
    FDS_END;
}
END_TEST

/* ------------------------------------------------------------------------ */
/* api: what does not depend on a backend                                   */
/* ------------------------------------------------------------------------ */

START_TEST(test_backends_are_listed_best_first)
{
    static const char *const expected[] = {
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
        "kqueue",
#endif
#ifdef __linux__
        "epoll",
#endif
        "poll", "select", NULL
    };
    const char *const *names = coro_sel_backends();
    int i, k = 0;
    for (i = 0; expected[i]; i++, k++) {
#if defined(__linux__) && defined(CORO_HAVE_URING)
        /* uring after epoll: where the kernel lets us open a ring */
        if (i == 1 && names[k] && strcmp(names[k], "uring") == 0)
            k++;
#endif
        ck_assert_ptr_nonnull(names[k]);
        ck_assert_str_eq(names[k], expected[i]);
    }
    ck_assert_ptr_null(names[k]);
    ck_assert_ptr_eq(coro_sel_backends(), names);
}
END_TEST

START_TEST(test_open_null_is_the_best_backend)
{
    struct coro_sel sel;
    FDS_BEGIN;
    ck_assert_int_eq(coro_sel_open(&sel, NULL, 16), 0);
    ck_assert_str_eq(coro_sel_name(&sel), coro_sel_backends()[0]);
    ck_assert_int_eq(sel.max_fds, 16);
    coro_sel_close(&sel);
    FDS_END;
}
END_TEST

static void expect_nothing_open(struct coro_sel *sel)
{
    ck_assert_ptr_null(sel->backend);
    ck_assert_ptr_null(sel->keys);
    ck_assert_ptr_null(sel->state);
    ck_assert_int_eq(sel->fd, -1);
    ck_assert_int_eq(sel->count, 0);
    coro_sel_close(sel);                   /* nothing to close, and harmless */
}

START_TEST(test_open_of_an_unknown_backend_or_no_fds_is_einval_and_leaves_nothing)
{
    static const char *const unknown[] = {
        "", "nope", "Select", "epoll ",
#ifndef __linux__
        "epoll",
#endif
#if !(defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__))
        "kqueue",
#endif
        "devpoll", NULL
    };
    struct coro_sel sel;
    int i;
    FDS_BEGIN;
    for (i = 0; unknown[i]; i++) {
        memset(&sel, 0x5a, sizeof sel);
        ck_assert_int_eq(coro_sel_open(&sel, unknown[i], 16), CORO_EINVAL);
        expect_nothing_open(&sel);
    }
    for (i = 0; coro_sel_backends()[i]; i++) {
        memset(&sel, 0x5a, sizeof sel);
        ck_assert_int_eq(coro_sel_open(&sel, coro_sel_backends()[i], 0), CORO_EINVAL);
        expect_nothing_open(&sel);
        ck_assert_int_eq(coro_sel_open(&sel, coro_sel_backends()[i], -1), CORO_EINVAL);
        expect_nothing_open(&sel);
    }
    ck_assert_int_eq(coro_sel_open(NULL, NULL, 16), CORO_EINVAL);
    coro_sel_close(NULL);
    ck_assert_ptr_null(coro_sel_name(NULL));
    ck_assert_ptr_null(coro_sel_get_key(NULL, 0));
    ck_assert_int_eq(coro_sel_register(NULL, 0, READ, NULL), CORO_EINVAL);
    FDS_END;
}
END_TEST

#ifdef __linux__
/* epoll needs an fd: with none left, open fails with -EMFILE and leaves
 * nothing to close (the key table is freed: valgrind and ASan check). */
START_TEST(test_epoll_open_without_a_free_fd_is_emfile_and_leaves_nothing)
{
    struct coro_sel sel;
    struct rlimit saved, low;
    int lowest, r;
    FDS_BEGIN;
    lowest = dup(0);
    ck_assert_int_ge(lowest, 0);
    closefd(lowest);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = (rlim_t)lowest;         /* every fd below is in use */
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    memset(&sel, 0x5a, sizeof sel);
    r = coro_sel_open(&sel, "epoll", 16);
    restore_fds(&saved);
    ck_assert_int_eq(r, -EMFILE);
    expect_nothing_open(&sel);
    FDS_END;
}
END_TEST
#endif

/* ------------------------------------------------------------------------ */

static void add_backend_tests(TCase *tc, int i)
{
    tcase_add_loop_test(tc, test_register_then_get_key_gives_fd_events_and_data, i, i + 1);
    tcase_add_loop_test(tc, test_register_twice_is_eexist_and_keeps_the_first_key, i, i + 1);
    tcase_add_loop_test(tc, test_no_or_unknown_events_are_einval_and_change_nothing, i, i + 1);
    tcase_add_loop_test(tc, test_negative_fd_is_einval_and_unregistered_fd_is_enokey, i, i + 1);
    tcase_add_loop_test(tc, test_fd_at_or_above_max_fds_is_erange, i, i + 1);
    tcase_add_loop_test(tc, test_fd_at_fd_setsize_is_erange_for_select_only, i, i + 1);
    tcase_add_loop_test(tc, test_level_triggered_a_readable_fd_is_reported_by_every_select, i, i + 1);
    tcase_add_loop_test(tc, test_only_registered_fds_and_events_come_back_with_the_keys_data, i, i + 1);
    tcase_add_loop_test(tc, test_modify_changes_the_events_and_the_data, i, i + 1);
    tcase_add_loop_test(tc, test_unregistered_fd_is_no_longer_reported_and_can_be_registered_again, i, i + 1);
    tcase_add_loop_test(tc, test_hangup_is_read_on_a_read_end_and_write_on_a_write_end, i, i + 1);
    tcase_add_loop_test(tc, test_many_fds_exactly_the_readable_subset_is_returned, i, i + 1);
    tcase_add_loop_test(tc, test_more_ready_fds_than_a_batch_are_all_returned_in_turns, i, i + 1);
    tcase_add_loop_test(tc, test_max_caps_how_many_events_one_select_returns, i, i + 1);
    tcase_add_loop_test(tc, test_more_ready_than_max_each_fd_is_reported_in_turn, i, i + 1);
    tcase_add_loop_test(tc, test_timeout_zero_returns_at_once, i, i + 1);
    tcase_add_loop_test(tc, test_timeout_is_never_early, i, i + 1);
    tcase_add_loop_test(tc, test_forever_with_a_ready_fd_returns_at_once, i, i + 1);
    tcase_add_loop_test(tc, test_eintr_is_retried_with_the_remaining_time, i, i + 1);
    tcase_add_loop_test(tc, test_fd_closed_while_registered_is_reported_or_dropped_then_unregisters, i, i + 1);
    tcase_add_loop_test(tc, test_fd_closed_while_registered_next_to_a_ready_one, i, i + 1);
    tcase_add_loop_test(tc, test_closed_fd_at_register_and_modify, i, i + 1);
    tcase_add_loop_test(tc, test_regular_file_is_eperm_for_epoll_and_always_ready_for_select_and_poll, i, i + 1);
    tcase_add_loop_test(tc, test_select_with_no_room_or_no_array_is_einval, i, i + 1);
    tcase_add_loop_test(tc, test_close_frees_everything_twice_is_safe_and_a_closed_selector_is_einval, i, i + 1);
}

static Suite *selectors_suite(void)
{
    Suite *s = suite_create("selectors");
    TCase *tc;
    int i;

    tc = tcase_create("api");
    tcase_add_test(tc, test_backends_are_listed_best_first);
    tcase_add_test(tc, test_open_null_is_the_best_backend);
    tcase_add_test(tc, test_open_of_an_unknown_backend_or_no_fds_is_einval_and_leaves_nothing);
#ifdef __linux__
    tcase_add_test(tc, test_epoll_open_without_a_free_fd_is_emfile_and_leaves_nothing);
#endif
    suite_add_tcase(s, tc);

    for (i = 0; i < nbackends(); i++) {
        tc = tcase_create(bname(i));
        tcase_set_timeout(tc, 10);
        add_backend_tests(tc, i);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return check_run(selectors_suite());
}
