/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c -- the Check suite of what crosses threads: io.h's
 * coro_loop_call_soon_threadsafe and resolve.h's resolver pool
 * (loop.getaddrinfo on worker threads, and open_connection with a host
 * name through it). tests/tsan.sh runs the same under
 * ThreadSanitizer (tsan_wakeup.c, tsan_resolve.c).
 *
 * The selector loop runs on the real clock here (threads cannot post into
 * a virtual one): every run is bounded by a guard timer of GUARD_S seconds
 * that stops the loop and fails the test, and nothing asserts a duration.
 * Lookups ask for numeric hosts and services, or "localhost" (in
 * /etc/hosts), so that no name server is involved.
 *
 * Python prelude (3.11) for the expected values:
 *     import asyncio, socket, threading
 *     T = []
 *     def ev(*a): T.append(':'.join(str(x) for x in a))
 *     loop = asyncio.new_event_loop()
 * (end of prelude)
 */
#define _GNU_SOURCE 1
#include <check.h>
#include "check_main.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"
#include "resolve_many.h"
#include "trace.h"

#define GUARD_S 20

static struct coro_timer_slot timers[8];
static struct coro_loop loop;
static struct coro_io_loop iol;
static struct coro_handle guard;
static int guard_fired;

static void on_guard(struct coro_handle *h)
{
    (void)h;
    guard_fired = 1;
    coro_loop_stop(&loop);
}

static void setup(void)
{
    (void)trace_state;          /* trace.h helpers this suite has no use for */
    (void)trace_result;
    trace_reset();
    ck_assert_int_eq(coro_loop_init(&loop, timers, 8), 0);
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, NULL, 1024), 0);
    guard_fired = 0;
    coro_handle_init(&guard, on_guard);
    ck_assert_int_eq(coro_loop_call_later(&loop, &guard, GUARD_S * CORO_SEC), 0);
}

static void teardown(void)
{
    coro_loop_cancel(&loop, &guard);
    coro_io_loop_close(&iol, &loop);
    ck_assert_int_eq(coro_loop_close(&loop), 0);
}

/* A traced callback: records its name. */
struct cb {
    struct coro_handle h;
    const char *name;
    int stop;                       /* stops the loop after it */
    int again;                      /* posts itself again this many times */
};

static void cb_run(struct coro_handle *h)
{
    struct cb *c = CORO__CONTAINER_OF(h, struct cb, h);
    trace("%s", c->name);
    if (c->again > 0) {
        c->again--;
        ck_assert_int_eq(coro_loop_call_soon_threadsafe(&loop, h), 0);
    }
    if (c->stop)
        coro_loop_stop(&loop);
}

static void cb_init(struct cb *c, const char *name)
{
    memset(c, 0, sizeof *c);
    coro_handle_init(&c->h, cb_run);
    c->name = name;
}

static void run_guarded(void)
{
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_msg(!guard_fired, "the guard fired: the loop waited %d s", GUARD_S);
}

/* ------------------------------------------------------------------------ */
/* call_soon_threadsafe                                                      */
/* ------------------------------------------------------------------------ */

struct poster {
    pthread_t th;
    struct cb *cbs;
    int n, rc;
};

static void *poster_main(void *p)
{
    struct poster *w = (struct poster *)p;
    int i;
    for (i = 0; i < w->n; i++)
        w->rc |= coro_loop_call_soon_threadsafe(&loop, &w->cbs[i].h);
    return NULL;
}

/* Handles posted from another thread run on the loop's thread, in the order
 * they were posted.
 * Python:
 *     def th():
 *         for n in 'abc': loop.call_soon_threadsafe(ev, n)
 *     t = threading.Thread(target=th); t.start(); t.join()
 *     loop.call_soon(ev, 'soon'); loop.call_soon(loop.stop)
 *     loop.run_forever(); print(' '.join(T))
 * CPython 3.11: a b c soon
 * coro: soon a b c -- asyncio's producer appends to the ready queue itself
 * (under the GIL); coro's producer only pushes onto a lock-free stack, and
 * the loop takes it when it sees the wakeup, after what was already ready.
 * The order among the posted handles is the same.
 */
START_TEST(test_posted_from_a_thread_run_on_the_loop_in_order)
{
    struct cb c[3], soon;
    struct poster w;
    cb_init(&c[0], "a");
    cb_init(&c[1], "b");
    cb_init(&c[2], "c");
    c[2].stop = 1;
    cb_init(&soon, "soon");
    w.cbs = c;
    w.n = 3;
    w.rc = 0;
    ck_assert_int_eq(pthread_create(&w.th, NULL, poster_main, &w), 0);
    pthread_join(w.th, NULL);
    ck_assert_int_eq(w.rc, 0);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &soon.h), 0);
    run_guarded();
    ck_assert_str_eq(trace_str(), "soon a b c");
}
END_TEST

/* A thread that posts while the loop waits in the selector wakes it.
 * Python:
 *     def th(): time.sleep(0.02); loop.call_soon_threadsafe(lambda: (ev('posted'), loop.stop()))
 *     ... loop.run_forever() -> posted
 */
static void *late_poster(void *p)
{
    struct poster *w = (struct poster *)p;
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    w->rc = coro_loop_call_soon_threadsafe(&loop, &w->cbs[0].h);
    return NULL;
}

START_TEST(test_a_post_wakes_the_loop_waiting_in_the_selector)
{
    struct cb c;
    struct poster w;
    cb_init(&c, "posted");
    c.stop = 1;
    w.cbs = &c;
    w.rc = 1;
    ck_assert_int_eq(pthread_create(&w.th, NULL, late_poster, &w), 0);
    run_guarded();              /* the guard timer keeps it waiting meanwhile */
    pthread_join(w.th, NULL);
    ck_assert_int_eq(w.rc, 0);
    ck_assert_str_eq(trace_str(), "posted");
}
END_TEST

/* A handle is idle again when its callback runs: it may post itself again,
 * and runs once per post. */
START_TEST(test_a_callback_may_post_its_handle_again)
{
    struct cb c, last;
    cb_init(&c, "again");
    c.again = 2;
    cb_init(&last, "last");
    last.stop = 1;
    ck_assert_int_eq(coro_loop_call_soon_threadsafe(&loop, &c.h), 0);
    ck_assert_int_eq(coro_loop_call_later(&loop, &last.h, 50 * CORO_MSEC), 0);
    run_guarded();
    ck_assert_str_eq(trace_str(), "again again again last");
}
END_TEST

/* Misuse: named errors, nothing changes. */
START_TEST(test_misuse_is_named_and_changes_nothing)
{
    struct cb c, d;
    struct coro_loop plain;
    struct coro_timer_slot t[1];
    cb_init(&c, "c");
    cb_init(&d, "d");
    ck_assert_int_eq(coro_loop_call_soon_threadsafe(NULL, &c.h), CORO_EINVAL);
    ck_assert_int_eq(coro_loop_call_soon_threadsafe(&loop, NULL), CORO_EINVAL);
    /* the sleeping loop has no wakeup: as coro_loop_wakeup, CORO_EINVAL */
    ck_assert_int_eq(coro_loop_init(&plain, t, 1), 0);
    ck_assert_int_eq(coro_loop_call_soon_threadsafe(&plain, &c.h), CORO_EINVAL);
    ck_assert_int_eq(coro_loop_wakeup(&plain), CORO_EINVAL);
    ck_assert_int_eq(coro_loop_close(&plain), 0);
    /* posted twice before it ran: CORO_EBUSY, it runs once */
    ck_assert_int_eq(coro_loop_call_soon_threadsafe(&loop, &c.h), 0);
    ck_assert_int_eq(coro_loop_call_soon_threadsafe(&loop, &c.h), CORO_EBUSY);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &c.h), CORO_EBUSY);
    /* scheduled on the loop already: CORO_EBUSY */
    ck_assert_int_eq(coro_loop_call_soon(&loop, &d.h), 0);
    ck_assert_int_eq(coro_loop_call_soon_threadsafe(&loop, &d.h), CORO_EBUSY);
    d.stop = 1;
    run_guarded();
    ck_assert_str_eq(trace_str(), "d c");
    /* both idle again */
    ck_assert_int_eq(coro_loop_call_soon(&loop, &c.h), 0);
    ck_assert_int_eq(coro_loop_call_soon_threadsafe(&loop, &d.h), 0);
    run_guarded();
    ck_assert_str_eq(trace_str(), "d c c d");
}
END_TEST

/* coro_io_loop_close drops what is still posted: each handle is idle again
 * (asyncio's close() clears the ready queue). */
START_TEST(test_close_drops_what_is_posted_and_leaves_it_idle)
{
    struct cb c;
    cb_init(&c, "c");
    ck_assert_int_eq(coro_loop_call_soon_threadsafe(&loop, &c.h), 0);
    coro_loop_cancel(&loop, &guard);
    coro_io_loop_close(&iol, &loop);
    ck_assert_int_eq(coro_loop_call_soon(&loop, &c.h), 0);     /* idle: schedulable */
    ck_assert_int_eq(coro_loop_cancel(&loop, &c.h), 0);
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, NULL, 1024), 0);
    ck_assert_int_eq(coro_loop_call_later(&loop, &guard, GUARD_S * CORO_SEC), 0);
    ck_assert_str_eq(trace_str(), "");
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The resolver                                                              */
/* ------------------------------------------------------------------------ */

static struct coro_resolver res;

struct lookup {
    struct coro_task task;
    struct coro_getaddrinfo gai;
    const char *host, *service;
    struct addrinfo hints;
    char got[64];                   /* "ADDR:PORT/PROTO ..." */
};

static int lookup_body(struct coro *co)
{
    struct lookup *f = (struct lookup *)co;
    struct addrinfo *ai;
    char addr[INET6_ADDRSTRLEN];
    size_t n = 0;
    CORO_BEGIN(co);
    CORO_GETADDRINFO(co, &f->gai, &res, f->host, f->service, &f->hints);
    for (ai = f->gai.res; ai; ai = ai->ai_next) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(void *)ai->ai_addr;
        inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof addr);
        n += (size_t)snprintf(f->got + n, sizeof f->got - n, "%s%s:%d/%d", n ? " " : "", addr,
                              ntohs(sin->sin_port), ai->ai_protocol);
    }
    freeaddrinfo(f->gai.res);
    CORO_END(co);
}

static void lookup_init(struct lookup *l, const char *host, const char *service, int flags)
{
    memset(l, 0, sizeof *l);
    l->host = host;
    l->service = service;
    l->hints.ai_family = AF_INET;
    l->hints.ai_socktype = SOCK_STREAM;
    l->hints.ai_flags = flags;
}

/* The task's outcome: 0 and its text, or its error. */
static int lookup_run(struct lookup *l)
{
    ck_assert_int_eq(coro_task_start(&l->task, &loop, lookup_body), 0);
    return coro_loop_run_until_complete(&loop, &l->task.fut, NULL);
}

/* Python:
 *     async def main():
 *         for host, port in (('localhost', 80), ('127.0.0.1', 'http')):
 *             infos = await loop.getaddrinfo(host, port, family=socket.AF_INET,
 *                                            type=socket.SOCK_STREAM)
 *             print(' '.join('%s:%d/%d' % (i[4][0], i[4][1], i[2]) for i in infos))
 *     loop.run_until_complete(main())
 * CPython 3.11:
 *     127.0.0.1:80/6
 *     127.0.0.1:80/6
 */
START_TEST(test_resolve_localhost_and_a_numeric_address)
{
    struct lookup a, b;
    ck_assert_int_eq(coro_resolver_start(&res, &loop, 2), 0);
    lookup_init(&a, "localhost", "80", 0);
    ck_assert_int_eq(lookup_run(&a), 0);
    ck_assert_str_eq(a.got, "127.0.0.1:80/6");
    lookup_init(&b, "127.0.0.1", "http", 0);
    ck_assert_int_eq(lookup_run(&b), 0);
    ck_assert_str_eq(b.got, "127.0.0.1:80/6");
    ck_assert_int_eq(coro_resolver_stop(&res), 0);
    ck_assert(!guard_fired);
}
END_TEST

/* Python:
 *     for a in (('no.such.host.invalid', None, 0, 0, 0, socket.AI_NUMERICHOST),
 *               ('127.0.0.1', 'nosuchservice')):
 *         try: loop.run_until_complete(loop.getaddrinfo(*a))
 *         except socket.gaierror as e: print(e.errno, e)
 * CPython 3.11:
 *     -2 [Errno -2] Name or service not known        (EAI_NONAME)
 *     -8 [Errno -8] Servname not supported for ai_socktype   (EAI_SERVICE)
 * coro: both CORO_ENONAME, raised at the await.
 */
START_TEST(test_a_bad_name_or_service_raises_enoname_at_the_await)
{
    struct lookup a, b;
    ck_assert_int_eq(coro_resolver_start(&res, &loop, 1), 0);
    lookup_init(&a, "no.such.host.invalid", NULL, AI_NUMERICHOST);
    ck_assert_int_eq(lookup_run(&a), CORO_ENONAME);
    ck_assert_ptr_null(a.gai.res);
    lookup_init(&b, "127.0.0.1", "nosuchservice", 0);
    ck_assert_int_eq(lookup_run(&b), CORO_ENONAME);
    ck_assert_int_eq(coro_resolver_stop(&res), 0);
    ck_assert_str_eq(coro_errname(CORO_ENONAME), "CORO_ENONAME");
    ck_assert_str_eq(coro_strerror(CORO_ENONAME), "name or service not known");
}
END_TEST

START_TEST(test_eai_codes_map_to_named_errors)
{
    ck_assert_int_eq(coro_gai_error(0), 0);
    ck_assert_int_eq(coro_gai_error(EAI_NONAME), CORO_ENONAME);
    ck_assert_int_eq(coro_gai_error(EAI_SERVICE), CORO_ENONAME);
    ck_assert_int_eq(coro_gai_error(EAI_NODATA), CORO_ENONAME);
    ck_assert_int_eq(coro_gai_error(EAI_AGAIN), CORO_ENAMEAGAIN);
    ck_assert_int_eq(coro_gai_error(EAI_FAIL), CORO_ERESOLVE);
    ck_assert_int_eq(coro_gai_error(EAI_FAMILY), CORO_ERESOLVE);
    ck_assert_int_eq(coro_gai_error(EAI_MEMORY), -ENOMEM);
    errno = EMFILE;
    ck_assert_int_eq(coro_gai_error(EAI_SYSTEM), -EMFILE);
    ck_assert_str_eq(coro_errname(CORO_ENAMEAGAIN), "CORO_ENAMEAGAIN");
    ck_assert_str_eq(coro_errname(CORO_ERESOLVE), "CORO_ERESOLVE");
}
END_TEST

/* Cancelling the task while it awaits its lookup, wherever the lookup is
 * (queued behind another, being resolved, resolved on its way), raises
 * CORO_ECANCELLED at the await at once, and the pool never touches the
 * item again (resolve_many.h: the item is overwritten as soon as its task
 * ended); the others get their ports. Python: see resolve_many.h. */
START_TEST(test_many_lookups_on_two_workers_with_cancels)
{
    const char *why;
    ck_assert_int_eq(coro_resolver_start(&res, &loop, 2), 0);
    why = many_run(&loop, &res);
    ck_assert_int_eq(coro_resolver_stop(&res), 0);
    ck_assert_msg(why == NULL, "%s", why);
}
END_TEST

/* Cancelled before it ran: no result, no leak (ASan and valgrind see the
 * pool free what nobody wants). Python:
 *     f = loop.run_in_executor(None, socket.getaddrinfo, '127.0.0.1', 80)
 *     f.cancel(); print(f.cancelled())   -> True
 */
START_TEST(test_cancelling_a_lookup_future_directly)
{
    struct coro_getaddrinfo it;
    memset(&it, 0, sizeof it);
    ck_assert_int_eq(coro_resolver_start(&res, &loop, 1), 0);
    ck_assert_int_eq(coro_getaddrinfo(&it, &res, "127.0.0.1", "80", NULL), 0);
    ck_assert_int_eq(coro_future_cancel(&it.fut), 0);
    ck_assert(coro_future_cancelled(&it.fut));
    ck_assert_ptr_null(it.res);
    ck_assert_int_eq(coro_future_cancel(&it.fut), CORO_ESTATE);
    /* the item is free at once: reuse it */
    ck_assert_int_eq(coro_getaddrinfo(&it, &res, "127.0.0.1", "81", NULL), 0);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &it.fut, NULL), 0);
    ck_assert_ptr_nonnull(it.res);
    ck_assert_int_eq(ntohs(((struct sockaddr_in *)(void *)it.res->ai_addr)->sin_port), 81);
    freeaddrinfo(it.res);
    ck_assert_int_eq(coro_resolver_stop(&res), 0);
}
END_TEST

/* Stop with lookups queued on one worker: each worker finishes the lookup
 * it is in; what was resolved completes with its list, what was still
 * queued with CORO_ECLOSED, in order: a prefix resolved, the rest closed.
 * (asyncio's shutdown_default_executor waits for every queued call; a pool
 * that stops drops them, as ThreadPoolExecutor.shutdown(cancel_futures=True).)
 */
START_TEST(test_stop_joins_and_closes_what_is_queued)
{
    struct coro_getaddrinfo it[6];
    char svc[6][8];
    int i, resolved = 0, closed = 0;
    memset(it, 0, sizeof it);
    ck_assert_int_eq(coro_resolver_start(&res, &loop, 1), 0);
    for (i = 0; i < 6; i++) {
        snprintf(svc[i], sizeof svc[i], "%d", 2000 + i);
        ck_assert_int_eq(coro_getaddrinfo(&it[i], &res, "127.0.0.1", svc[i], NULL), 0);
    }
    ck_assert_int_eq(coro_resolver_stop(&res), 0);
    for (i = 0; i < 6; i++) {
        coro_value v;
        int rc;
        ck_assert(coro_future_done(&it[i].fut));
        rc = coro_future_result(&it[i].fut, &v);
        if (rc == 0) {
            ck_assert_msg(closed == 0, "lookup %d resolved after one was closed", i);
            ck_assert_ptr_eq(v.v.p, it[i].res);
            freeaddrinfo(it[i].res);
            resolved++;
        } else {
            ck_assert_int_eq(rc, CORO_ECLOSED);
            closed++;
        }
    }
    ck_assert_int_eq(resolved + closed, 6);
    /* a stopped pool: CORO_ECLOSED, CORO_EINVAL to stop again */
    ck_assert_int_eq(coro_getaddrinfo(&it[0], &res, "127.0.0.1", "1", NULL), CORO_ECLOSED);
    ck_assert_int_eq(coro_resolver_stop(&res), CORO_EINVAL);
    /* the loop has nothing left to wait for */
    coro_loop_cancel(&loop, &guard);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    ck_assert_int_eq(coro_loop_call_later(&loop, &guard, GUARD_S * CORO_SEC), 0);
}
END_TEST

START_TEST(test_resolver_misuse_is_named_and_changes_nothing)
{
    struct coro_getaddrinfo it;
    struct coro_loop plain;
    struct coro_timer_slot t[1];
    char longname[CORO_RESOLVE_HOST_MAX + 1];
    memset(&it, 0, sizeof it);
    ck_assert_int_eq(coro_resolver_start(NULL, &loop, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_resolver_start(&res, NULL, 1), CORO_EINVAL);
    ck_assert_int_eq(coro_resolver_start(&res, &loop, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_resolver_start(&res, &loop, CORO_RESOLVER_MAX + 1), CORO_EINVAL);
    ck_assert_int_eq(coro_loop_init(&plain, t, 1), 0);
    ck_assert_int_eq(coro_resolver_start(&res, &plain, 1), CORO_EINVAL);   /* no selector */
    ck_assert_int_eq(coro_loop_close(&plain), 0);
    ck_assert_int_eq(coro_resolver_start(&res, &loop, 1), 0);
    ck_assert_int_eq(coro_getaddrinfo(NULL, &res, "127.0.0.1", NULL, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_getaddrinfo(&it, NULL, "127.0.0.1", NULL, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_getaddrinfo(&it, &res, NULL, NULL, NULL), CORO_EINVAL);
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    ck_assert_int_eq(coro_getaddrinfo(&it, &res, longname, NULL, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_getaddrinfo(&it, &res, NULL, "123456789012345678901234567890123",
                                      NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_getaddrinfo(&it, &res, "127.0.0.1", "7", NULL), 0);
    ck_assert_int_eq(coro_getaddrinfo(&it, &res, "127.0.0.1", "8", NULL), CORO_EBUSY);
    ck_assert_int_eq(coro_loop_run_until_complete(&loop, &it.fut, NULL), 0);
    ck_assert_int_eq(ntohs(((struct sockaddr_in *)(void *)it.res->ai_addr)->sin_port), 7);
    freeaddrinfo(it.res);
    ck_assert_int_eq(coro_resolver_stop(&res), 0);
}
END_TEST

/* open_connection with a host name.
 * Python:
 *     async def main():
 *         async def hello(r, w): w.write(b'hello\n'); w.close()
 *         srv = await asyncio.start_server(hello, '127.0.0.1', 0)
 *         port = srv.sockets[0].getsockname()[1]
 *         r, w = await asyncio.open_connection('localhost', port)
 *         print(await r.readline()); w.close(); srv.close()
 *         dead = socket.socket(); dead.bind(('127.0.0.1', 0))
 *         p2 = dead.getsockname()[1]; dead.close()
 *         try: await asyncio.open_connection('127.0.0.1', p2)
 *         except OSError as e: print(type(e).__name__, errno.errorcode[e.errno])
 *     loop.run_until_complete(main())
 * CPython 3.11:
 *     b'hello\n'
 *     ConnectionRefusedError ECONNREFUSED
 */
struct hello_conn {
    struct coro_stream_conn c;
    char rbuf[64], wbuf[64];
};

static int hello_body(struct coro *co)
{
    struct hello_conn *f = (struct hello_conn *)co;
    CORO_BEGIN(co);
    CORO_STREAM_WRITE(co, &f->c.stream.writer, "hello\n", 6);
    coro_stream_close(&f->c.stream.writer);
    CORO_STREAM_WAIT_CLOSED(co, &f->c.stream.writer);
    CORO_END(co);
}

struct client {
    struct coro_task task;
    struct coro_stream s;
    struct coro_getaddrinfo gai;
    const char *host;
    char service[8];
    char rbuf[64], wbuf[64];
    size_t n;
    char line[16];
};

static int client_body(struct coro *co)
{
    struct client *f = (struct client *)co;
    CORO_BEGIN(co);
    CORO_STREAM_OPEN_CONNECTION_HOST(co, &f->s, &f->gai, &res, f->host, f->service);
    CORO_STREAM_READLINE(co, &f->s.reader, f->n);
    memcpy(f->line, coro_stream_data(&f->s.reader), f->n < 15 ? f->n : 15);
    coro_stream_close(&f->s.writer);
    CORO_STREAM_WAIT_CLOSED(co, &f->s.writer);
    CORO_END(co);
}

static int client_run(struct client *c, const char *host, int port)
{
    memset(c, 0, sizeof *c);
    ck_assert_int_eq(coro_stream_init(&c->s, &loop, c->rbuf, sizeof c->rbuf, c->wbuf,
                                      sizeof c->wbuf), 0);
    c->host = host;
    snprintf(c->service, sizeof c->service, "%d", port);
    ck_assert_int_eq(coro_task_start(&c->task, &loop, client_body), 0);
    return coro_loop_run_until_complete(&loop, &c->task.fut, NULL);
}

START_TEST(test_open_connection_with_a_host_name)
{
    static struct hello_conn conns[2];
    struct coro_stream_conn *pool[2] = { &conns[0].c, &conns[1].c };
    struct coro_stream_server srv;
    struct sockaddr_storage a;
    socklen_t alen;
    struct client c;
    int i, port, dead;
    memset(&srv, 0, sizeof srv);                        /* a task is zeroed before its start */
    for (i = 0; i < 2; i++)
        ck_assert_int_eq(coro_stream_conn_init(&conns[i].c, &loop, conns[i].rbuf,
                                               sizeof conns[i].rbuf, conns[i].wbuf,
                                               sizeof conns[i].wbuf), 0);
    ck_assert_int_eq(coro_stream_addr(&a, &alen, "127.0.0.1", 0), 0);
    ck_assert_int_eq(coro_stream_start_server(&srv, &loop, &a, alen, pool, 2, hello_body), 0);
    port = coro_stream_server_port(&srv);
    ck_assert_int_eq(coro_resolver_start(&res, &loop, 1), 0);
    ck_assert_int_eq(client_run(&c, "localhost", port), 0);
    ck_assert_str_eq(c.line, "hello\n");
    ck_assert_ptr_null(c.gai.res);                      /* the list is freed */
    ck_assert_int_eq(coro_stream_server_close(&srv), 0);
    while (!coro_future_done(&srv.task.fut) || coro_stream_server_live(&srv))
        ck_assert_int_gt(coro_loop_run_once(&loop), 0);
    /* a port nobody listens on any more */
    dead = port;
    ck_assert_int_eq(client_run(&c, "127.0.0.1", dead), -ECONNREFUSED);
    ck_assert_int_lt(c.s.io.fd, 0);                     /* s has no fd */
    ck_assert_ptr_null(c.gai.res);
    ck_assert_int_eq(coro_resolver_stop(&res), 0);
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = check_tcase(s, "call_soon_threadsafe", setup, teardown, 30);
    tcase_add_test(tc, test_posted_from_a_thread_run_on_the_loop_in_order);
    tcase_add_test(tc, test_a_post_wakes_the_loop_waiting_in_the_selector);
    tcase_add_test(tc, test_a_callback_may_post_its_handle_again);
    tcase_add_test(tc, test_misuse_is_named_and_changes_nothing);
    tcase_add_test(tc, test_close_drops_what_is_posted_and_leaves_it_idle);
    tc = check_tcase(s, "resolver", setup, teardown, 60);
    tcase_add_test(tc, test_resolve_localhost_and_a_numeric_address);
    tcase_add_test(tc, test_a_bad_name_or_service_raises_enoname_at_the_await);
    tcase_add_test(tc, test_eai_codes_map_to_named_errors);
    tcase_add_test(tc, test_many_lookups_on_two_workers_with_cancels);
    tcase_add_test(tc, test_cancelling_a_lookup_future_directly);
    tcase_add_test(tc, test_stop_joins_and_closes_what_is_queued);
    tcase_add_test(tc, test_resolver_misuse_is_named_and_changes_nothing);
    tcase_add_test(tc, test_open_connection_with_a_host_name);
    return s;
}

int main(void)
{
    return check_run(threads_suite());
}
