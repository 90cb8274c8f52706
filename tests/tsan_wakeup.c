/* SPDX-License-Identifier: MIT */
/*
 * tsan_wakeup.c -- coro_loop_wakeup from several threads at once and from a
 * signal handler while the selector loop runs, built with -fsanitize=thread
 * (mk/tsan.mk) and run by tests/tsan.sh: ThreadSanitizer must report nothing.
 *
 *   tsan_wakeup [--race]
 *
 * asyncio's call_soon_threadsafe pattern: WRITERS threads each post ITEMS
 * numbers into a mailbox guarded by a mutex and call coro_loop_wakeup after
 * each; one more thread posts its ITEMS the same way but wakes the loop by
 * sending SIGUSR1 to the loop's thread, whose handler calls coro_loop_wakeup.
 * The loop's on_wakeup empties the mailbox and stops the loop once it has
 * every item. Meanwhile a timer ticks every 100 us on the loop, and the
 * threads pause now and then, so wakeups arrive both while the loop waits in
 * the selector and while it is busy. Once for each selector backend that
 * exists here (select, poll, epoll, kqueue).
 *
 * Checked: the loop got every item exactly once (count and sum), each
 * coro_loop_wakeup returned 0 (in the threads and in the handler), on_wakeup
 * ran at least once and at most once per wakeup, and no run takes longer
 * than 30 s.
 *
 * Then call_soon_threadsafe with a payload, on the same backend: PRODUCERS
 * threads each post ITEMS payloads, numbered 1..ITEMS, through a ring of
 * RING handles of their own; a handle is posted again only once its callback
 * has marked it done (an atomic store the producer reads), the hand-over
 * io.h documents. Checked: each producer's payloads arrive in order (FIFO
 * per producer), the exact total, every post returned 0, every handle is
 * back with its producer.
 *
 * Prints one line per run and "tsan_wakeup: N passed, M failed"; exits
 * non-zero on a failure (ThreadSanitizer's reports set the exit status too:
 * TSAN_OPTIONS exitcode, 66 by default).
 *
 * --race plants a data race (the threads and the loop bump a counter with no
 * lock): tests/tsan.sh expects ThreadSanitizer to report it, which shows the
 * build is instrumented and that ThreadSanitizer runs on this machine.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

#define WRITERS 3                   /* threads that call coro_loop_wakeup */
#define THREADS (WRITERS + 1)       /* and one that sends SIGUSR1 */
#define ITEMS 20000                 /* items each thread posts */
#define TOTAL ((long)THREADS * ITEMS)

static struct coro_loop loop;
static struct coro_io_loop iol;
static struct coro_timer_slot timers[4];

/* The mailbox, guarded by mu. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long box_count;
static long long box_sum;

/* The loop's side (only the loop's thread touches these). */
static long taken, wakeup_runs, ticks;
static long long taken_sum;
static int timed_out, closing;
static volatile sig_atomic_t handler_runs, handler_rc;

static int race;                    /* --race */
static long racy;                   /* bumped without a lock with --race */

struct poster {
    pthread_t th;
    int id, use_signal, rc;
    pthread_t target;               /* the loop's thread, for the signal */
};

static void pause_us(long us)
{
    struct timespec ts;
    ts.tv_sec = 0;
    ts.tv_nsec = us * 1000;
    nanosleep(&ts, NULL);
}

static void *poster_main(void *p)
{
    struct poster *w = (struct poster *)p;
    long i;
    for (i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&mu);
        box_count++;
        box_sum += (long long)w->id * ITEMS + i;
        pthread_mutex_unlock(&mu);
        if (race)
            racy++;
        if (w->use_signal)
            w->rc |= pthread_kill(w->target, SIGUSR1);
        else
            w->rc |= coro_loop_wakeup(&loop);
        if (i % 64 == 0)
            pause_us(200);          /* let the loop wait in the selector */
    }
    return NULL;
}

static void on_usr1(int sig)
{
    int rc;
    (void)sig;
    handler_runs++;
    if (closing)
        return;
    rc = coro_loop_wakeup(&loop);   /* async-signal-safe; keeps errno */
    if (rc)
        handler_rc = rc;
}

/* call_soon_threadsafe's callback: empties the mailbox. */
static void on_wakeup(struct coro_handle *h)
{
    long n;
    long long s;
    (void)h;
    wakeup_runs++;
    pthread_mutex_lock(&mu);
    n = box_count;
    s = box_sum;
    box_count = 0;
    box_sum = 0;
    pthread_mutex_unlock(&mu);
    if (race)
        racy++;
    taken += n;
    taken_sum += s;
    if (taken >= TOTAL)
        coro_loop_stop(&loop);
}

static struct coro_handle tick_h;

static void on_tick(struct coro_handle *h)
{
    ticks++;
    coro_loop_call_later(&loop, h, 100 * CORO_USEC);
}

static void on_timeout(struct coro_handle *h)
{
    (void)h;
    timed_out = 1;
    coro_loop_stop(&loop);
}

/* One run on `backend`: 1 passed, 0 failed, -1 if the backend is not here. */
static int run(const char *backend)
{
    struct poster w[THREADS];
    struct coro_handle wake_h, guard;
    long long want_sum = 0;
    int i, rc, ok, thread_rc = 0;

    coro_loop_init(&loop, timers, 4);
    rc = coro_io_loop_open(&iol, &loop, backend, 1024);
    if (rc)
        return -1;
    taken = wakeup_runs = ticks = 0;
    taken_sum = 0;
    timed_out = closing = 0;
    handler_runs = 0;
    handler_rc = 0;
    coro_handle_init(&wake_h, on_wakeup);
    iol.on_wakeup = &wake_h;
    coro_handle_init(&tick_h, on_tick);
    coro_loop_call_later(&loop, &tick_h, 100 * CORO_USEC);
    coro_handle_init(&guard, on_timeout);
    coro_loop_call_later(&loop, &guard, 30 * CORO_SEC);

    for (i = 0; i < THREADS; i++) {
        w[i].id = i;
        w[i].use_signal = i == WRITERS;
        w[i].rc = 0;
        w[i].target = pthread_self();
        if (pthread_create(&w[i].th, NULL, poster_main, &w[i]) != 0) {
            fprintf(stderr, "tsan_wakeup: pthread_create failed\n");
            return 0;
        }
    }
    rc = coro_loop_run_forever(&loop);
    for (i = 0; i < THREADS; i++) {
        pthread_join(w[i].th, NULL);
        thread_rc |= w[i].rc;
        want_sum += (long long)i * ITEMS * ITEMS + (long long)ITEMS * (ITEMS + 1) / 2;
    }
    /* no wakeup may run while the loop closes: the threads are joined, and
     * a signal still on its way finds `closing` set */
    closing = 1;
    coro_loop_cancel(&loop, &tick_h);
    coro_loop_cancel(&loop, &guard);
    coro_io_loop_close(&iol, &loop);

    ok = rc == 0 && !timed_out && taken == TOTAL && taken_sum == want_sum && thread_rc == 0 &&
         handler_rc == 0 && wakeup_runs >= 1 && wakeup_runs <= TOTAL;
    printf("tsan_wakeup: %s: %ld items from %d threads, %ld on_wakeup runs, %d signals "
           "handled, %ld ticks: %s\n", backend, taken, THREADS, wakeup_runs, (int)handler_runs,
           ticks, ok ? "ok" : "FAILED");
    if (!ok)
        fprintf(stderr, "tsan_wakeup: %s: loop rc %d, timed out %d, taken %ld of %ld, sum %lld "
                "of %lld, thread rc %d, handler rc %d\n", backend, rc, timed_out, taken, TOTAL,
                taken_sum, want_sum, thread_rc, (int)handler_rc);
    return ok;
}

/* ---- call_soon_threadsafe with a payload ---- */

#define PRODUCERS 4
#define ITEMS 20000
#define RING 8

struct item {
    struct coro_handle h;
    int producer;
    long seq;                       /* the producer's payload */
    int done;                       /* atomic: the callback ran */
};

struct producer {
    pthread_t th;
    int id, rc;
    struct item ring[RING];
};

static struct producer prod[PRODUCERS];
static struct coro_handle guard_h;

/* The loop's side (only the loop's thread touches these). */
static long got, out_of_order, last[PRODUCERS];

static void on_item(struct coro_handle *h)
{
    struct item *it = CORO__CONTAINER_OF(h, struct item, h);
    if (it->seq != last[it->producer] + 1)
        out_of_order++;
    last[it->producer] = it->seq;
    __atomic_store_n(&it->done, 1, __ATOMIC_RELEASE);   /* the producer's again */
    if (++got == (long)PRODUCERS * ITEMS)
        coro_loop_stop(&loop);
}

static void *producer_main(void *p)
{
    struct producer *w = (struct producer *)p;
    long i;
    for (i = 1; i <= ITEMS; i++) {
        struct item *it = &w->ring[i % RING];
        int rc;
        while (!__atomic_load_n(&it->done, __ATOMIC_ACQUIRE))
            sched_yield();
        it->done = 0;
        it->seq = i;
        rc = coro_loop_call_soon_threadsafe(&loop, &it->h);
        if (rc)
            w->rc = rc;
    }
    return NULL;
}

/* The posts' run on `backend`: 1 passed, 0 failed, -1 if the backend is not here. */
static int run_posts(const char *backend)
{
    int i, j, rc, ok, thread_rc = 0;
    long all_done = 0;

    coro_loop_init(&loop, timers, 4);
    if (coro_io_loop_open(&iol, &loop, backend, 1024))
        return -1;
    got = out_of_order = 0;
    timed_out = 0;
    ticks = 0;
    memset(last, 0, sizeof last);
    coro_handle_init(&tick_h, on_tick);
    coro_loop_call_later(&loop, &tick_h, 100 * CORO_USEC);
    coro_handle_init(&guard_h, on_timeout);
    coro_loop_call_later(&loop, &guard_h, 60 * CORO_SEC);
    for (i = 0; i < PRODUCERS; i++) {
        prod[i].id = i;
        prod[i].rc = 0;
        for (j = 0; j < RING; j++) {
            coro_handle_init(&prod[i].ring[j].h, on_item);
            prod[i].ring[j].producer = i;
            prod[i].ring[j].done = 1;
        }
        if (pthread_create(&prod[i].th, NULL, producer_main, &prod[i]) != 0) {
            fprintf(stderr, "tsan_wakeup: posts: pthread_create failed\n");
            return 0;
        }
    }
    rc = coro_loop_run_forever(&loop);
    for (i = 0; i < PRODUCERS; i++) {
        pthread_join(prod[i].th, NULL);
        thread_rc |= prod[i].rc;
        for (j = 0; j < RING; j++)
            all_done += __atomic_load_n(&prod[i].ring[j].done, __ATOMIC_ACQUIRE);
    }
    coro_loop_cancel(&loop, &tick_h);
    coro_loop_cancel(&loop, &guard_h);
    coro_io_loop_close(&iol, &loop);

    ok = rc == 0 && !timed_out && got == (long)PRODUCERS * ITEMS && out_of_order == 0 &&
         thread_rc == 0 && all_done == PRODUCERS * RING;
    for (i = 0; i < PRODUCERS; i++)
        ok = ok && last[i] == ITEMS;
    printf("tsan_wakeup: posts: %s: %ld payloads from %d producers, each in order: %s\n", backend, got,
           PRODUCERS, ok ? "ok" : "FAILED");
    if (!ok)
        fprintf(stderr, "tsan_wakeup: posts: %s: loop rc %d, timed out %d, got %ld, out of order %ld, "
                "thread rc %d, handles done %ld of %d\n", backend, rc, timed_out, got,
                out_of_order, thread_rc, all_done, PRODUCERS * RING);
    return ok;
}

int main(int argc, char **argv)
{
    static const char *const backends[] = { "select", "poll", "epoll", "kqueue" };
    struct sigaction sa;
    unsigned i;
    int pass = 0, fail = 0;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--race") != 0)) {
        fprintf(stderr, "usage: tsan_wakeup [--race]\n");
        return 2;
    }
    race = argc == 2;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    for (i = 0; i < sizeof backends / sizeof *backends; i++) {
        int r = run(backends[i]);
        if (r > 0)
            pass++;
        else if (r == 0)
            fail++;
        if (race)
            break;
        r = run_posts(backends[i]);
        if (r > 0)
            pass++;
        else if (r == 0)
            fail++;
    }
    printf("tsan_wakeup: %d passed, %d failed\n", pass, fail);
    return fail || !pass;
}
