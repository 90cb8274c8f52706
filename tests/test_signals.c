/* SPDX-License-Identifier: MIT */
/*
 * test_signals.c -- the Check suite of coro_io_add_signal_handler /
 * coro_io_remove_signal_handler (io.h): asyncio's loop.add_signal_handler /
 * remove_signal_handler. The handle runs on the loop's thread, once per batch
 * of deliveries; removing (or closing the loop) restores the disposition from
 * before; bad input is a named error and changes nothing.
 *
 * Every test runs once per selector backend (the loop index _i). Each run is
 * bounded: a guard timer on the loop stops it after GUARD_MS (tracing
 * "guard", so the test fails instead of hanging), and Check's timeout is the
 * last resort. The order of events is compared with what CPython 3.11 prints
 * for the asyncio program above the test (run with python3 after this
 * prelude):
 *     import asyncio, os, signal, threading, time
 *     T = []
 *     def ev(*a): T.append(':'.join(str(x) for x in a))
 *     def done(): print(' '.join(T))
 *     loop = asyncio.new_event_loop()
 * (end of prelude)
 */
#define _GNU_SOURCE 1
#include <check.h>
#include "check_main.h"
#include "backends.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "trace.h"

#define NTIMERS 8
#define GUARD_MS 2000

static struct coro_timer_slot timers[NTIMERS];
static struct coro_loop loop;
static struct coro_io_loop iol;
static int iol_is_open;
static struct sigaction saved_usr1, saved_usr2;
static struct coro_handle guard;
static pthread_t loop_thread;
static volatile sig_atomic_t prev_ran;
/* The tests' coro_signal objects: static, since the teardown's
 * coro_io_loop_close reads those a test leaves added. */
static struct coro_signal sg1, sg2;

static void on_guard(struct coro_handle *h)
{
    (void)h;
    trace("guard");
    coro_loop_stop(&loop);
}

/* A plain C handler: the disposition a test installs before adding. */
static void prev_handler(int sig)
{
    (void)sig;
    prev_ran++;
}

static void setup(void)
{
    (void)trace_state;          /* trace.h helpers this suite has no use for */
    (void)trace_result;
    (void)trace_value;
    (void)trace_error;
    trace_reset();
    prev_ran = 0;
    loop_thread = pthread_self();
    sigaction(SIGUSR1, NULL, &saved_usr1);
    sigaction(SIGUSR2, NULL, &saved_usr2);
    ck_assert_int_eq(coro_loop_init(&loop, timers, NTIMERS), 0);
    iol_is_open = 0;
}

static void teardown(void)
{
    if (iol_is_open)
        coro_io_loop_close(&iol, &loop);
    iol_is_open = 0;
    sigaction(SIGUSR1, &saved_usr1, NULL);
    sigaction(SIGUSR2, &saved_usr2, NULL);
}

static void io_open(int i)
{
    ck_assert_int_eq(coro_io_loop_open(&iol, &loop, coro_sel_backends()[i], 64), 0);
    iol_is_open = 1;
}

/* run_forever, stopped by the test or by the guard after GUARD_MS. */
static void run_guarded(void)
{
    coro_handle_init(&guard, on_guard);
    ck_assert_int_eq(coro_loop_call_later(&loop, &guard, (coro_time)GUARD_MS * CORO_MSEC), 0);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    coro_loop_cancel(&loop, &guard);
}

/* Installs fn (a handler, SIG_DFL or SIG_IGN) for sig, as a program would. */
static void install(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

static void (*disposition(int sig))(int)
{
    struct sigaction sa;
    ck_assert_int_eq(sigaction(sig, NULL, &sa), 0);
    return sa.sa_handler;
}

/* A handle that traces its name, how many times it ran, whether on the
 * loop's thread, and may stop the loop at its nth run. */
struct sh {
    struct coro_handle h;
    const char *name;
    int runs;
    int stop_at;
    struct coro_handle *then;           /* call_soon'd at the first run */
};

static void sh_run(struct coro_handle *h)
{
    struct sh *s = CORO__CONTAINER_OF(h, struct sh, h);
    s->runs++;
    trace("%s:%d:%s", s->name, s->runs, pthread_equal(pthread_self(), loop_thread) ? "loop" : "other");
    if (s->runs == 1 && s->then)
        coro_loop_call_soon(&loop, s->then);
    if (s->runs == s->stop_at)
        coro_loop_stop(&loop);
}

static struct coro_handle *sh_init(struct sh *s, const char *name, int stop_at)
{
    memset(s, 0, sizeof *s);
    coro_handle_init(&s->h, sh_run);
    s->name = name;
    s->stop_at = stop_at;
    return &s->h;
}

/* A callback that raises SIGUSR1 n times, then traces "raised<n>". */
struct raiser {
    struct coro_handle h;
    int n;
};

static void raise_run(struct coro_handle *h)
{
    struct raiser *r = CORO__CONTAINER_OF(h, struct raiser, h);
    int i;
    errno = 1234;
    for (i = 0; i < r->n; i++)
        raise(SIGUSR1);
    ck_assert_int_eq(errno, 1234);      /* the C handler keeps errno */
    trace("raised%d", r->n);
}

static struct coro_handle *raiser_init(struct raiser *r, int n)
{
    coro_handle_init(&r->h, raise_run);
    r->n = n;
    return &r->h;
}

/* raise() in a callback: the C handler only flags and wakes; the handle runs
 * in a later iteration, on the loop's thread.
 *     main = threading.get_ident()
 *     def h(): ev('usr1', 1, 'loop' if threading.get_ident() == main else 'other'); loop.stop()
 *     loop.add_signal_handler(signal.SIGUSR1, h)
 *     def r(): signal.raise_signal(signal.SIGUSR1); ev('raised1')
 *     loop.call_soon(r); loop.run_forever(); done()
 * CPython 3.11: raised1 usr1:1:loop
 */
START_TEST(test_raise_in_a_callback_runs_the_handle_after_it_on_the_loop_thread)
{
    struct sh u;
    struct raiser r;
    io_open(_i);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, sh_init(&u, "usr1", 1)), 0);
    coro_loop_call_soon(&loop, raiser_init(&r, 1));
    run_guarded();
    ck_assert_trace("raised1 usr1:1:loop");
}
END_TEST

/* Deliveries that come before the loop runs the handle are one batch: the
 * handle runs once (a caller-owned handle is scheduled at most once, and
 * the OS merges a pending signal too). A delivery after it ran is a new
 * batch. Here coro differs from asyncio on purpose, which runs the callback
 * once per signal its wakeup fd reported:
 *     n = 0
 *     def h():
 *         global n; n += 1; ev('usr1', n)
 *         if n == 1: loop.call_soon(r1)
 *         if n >= 2: loop.stop()
 *     def r3():
 *         for i in range(3): signal.raise_signal(signal.SIGUSR1)
 *         ev('raised3')
 *     def r1(): signal.raise_signal(signal.SIGUSR1); ev('raised1')
 *     loop.add_signal_handler(signal.SIGUSR1, h)
 *     loop.call_soon(r3); loop.run_forever(); done()
 * CPython 3.11: raised3 usr1:1 usr1:2 usr1:3
 * coro:         raised3 usr1:1 raised1 usr1:2
 */
START_TEST(test_signals_before_the_handle_runs_coalesce_into_one_run_per_batch)
{
    struct sh u;
    struct raiser r3, r1;
    io_open(_i);
    sh_init(&u, "usr1", 2);
    u.then = raiser_init(&r1, 1);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, &u.h), 0);
    coro_loop_call_soon(&loop, raiser_init(&r3, 3));
    run_guarded();
    ck_assert_trace("raised3 usr1:1:loop raised1 usr1:2:loop");
}
END_TEST

struct sender {
    pthread_t th;
    pthread_t target;
    int rc1, rc2;
};

static void sleep_ms(int ms)
{
    struct timespec ts;
    ts.tv_sec = 0;
    ts.tv_nsec = (long)ms * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* SIGUSR2 to the loop's thread, then SIGUSR1 to the process (any thread
 * may take that one: this one too), while the loop waits. */
static void *sender_main(void *arg)
{
    struct sender *s = (struct sender *)arg;
    sleep_ms(20);
    s->rc1 = pthread_kill(s->target, SIGUSR2);
    sleep_ms(20);
    s->rc2 = kill(getpid(), SIGUSR1);
    return NULL;
}

/* Two signals sent from another thread while the loop waits in the selector
 * with nothing else to do: each handle runs on the loop's thread, in the
 * order the signals came.
 *     main = threading.get_ident()
 *     def h(s, stop):
 *         ev(s, 1, 'loop' if threading.get_ident() == main else 'other')
 *         if stop: loop.stop()
 *     loop.add_signal_handler(signal.SIGUSR1, h, 'usr1', True)
 *     loop.add_signal_handler(signal.SIGUSR2, h, 'usr2', False)
 *     def th():
 *         time.sleep(0.02); signal.pthread_kill(main, signal.SIGUSR2)
 *         time.sleep(0.02); os.kill(os.getpid(), signal.SIGUSR1)
 *     t = threading.Thread(target=th); t.start()
 *     loop.run_forever(); t.join(); done()
 * CPython 3.11: usr2:1:loop usr1:1:loop
 */
START_TEST(test_two_signals_from_another_thread_during_the_wait_run_on_the_loop_thread)
{
    struct sh u1, u2;
    struct sender snd;
    io_open(_i);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, sh_init(&u1, "usr1", 1)), 0);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg2, SIGUSR2, sh_init(&u2, "usr2", 0)), 0);
    memset(&snd, 0, sizeof snd);
    snd.target = pthread_self();
    ck_assert_int_eq(pthread_create(&snd.th, NULL, sender_main, &snd), 0);
    run_guarded();
    pthread_join(snd.th, NULL);
    ck_assert_int_eq(snd.rc1, 0);
    ck_assert_int_eq(snd.rc2, 0);
    ck_assert_trace("usr2:1:loop usr1:1:loop");
}
END_TEST

/* A loop whose only work is a signal handler waits for it (asyncio's
 * run_forever does too) instead of running out: run_once with nothing ready
 * waits in the selector until the guard's signal. */
START_TEST(test_a_loop_with_only_a_signal_handler_waits_for_the_signal)
{
    struct sh u;
    struct sender snd;
    io_open(_i);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, sh_init(&u, "usr1", 1)), 0);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, &u.h), 0);   /* again: same */
    install(SIGUSR2, SIG_IGN);
    memset(&snd, 0, sizeof snd);
    snd.target = pthread_self();
    ck_assert_int_eq(pthread_create(&snd.th, NULL, sender_main, &snd), 0);
    ck_assert_int_eq(coro_loop_run_forever(&loop), 0);
    pthread_join(snd.th, NULL);
    ck_assert_trace("usr1:1:loop");
}
END_TEST

/* Adding a signal the loop handles already replaces its handler, as in
 * asyncio; one remove then forgets it.
 *     loop.add_signal_handler(signal.SIGUSR1, lambda: ev('first'))
 *     loop.add_signal_handler(signal.SIGUSR1, lambda: (ev('second'), loop.stop()))
 *     loop.call_soon(lambda: (signal.raise_signal(signal.SIGUSR1), ev('raised')))
 *     loop.run_forever(); done()
 *     print(loop.remove_signal_handler(signal.SIGUSR1), loop.remove_signal_handler(signal.SIGUSR1))
 * CPython 3.11: raised second
 *               True False        (coro: 0, CORO_ENOKEY)
 * asyncio restores SIG_DFL; coro restores what was there before the first
 * add (prev_handler here).
 */
START_TEST(test_adding_twice_replaces_the_handler_and_one_remove_restores_the_first_disposition)
{
    struct sh first, second;
    struct raiser r;
    io_open(_i);
    install(SIGUSR1, prev_handler);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, sh_init(&first, "first", 1)), 0);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg2, SIGUSR1, sh_init(&second, "second", 1)), 0);
    ck_assert_ptr_eq(iol.signals, &sg2);
    ck_assert_ptr_null(sg2.next);
    coro_loop_call_soon(&loop, raiser_init(&r, 1));
    run_guarded();
    ck_assert_trace("raised1 second:1:loop");
    ck_assert_int_eq(first.runs, 0);
    ck_assert_int_eq(coro_io_remove_signal_handler(&iol, SIGUSR1), 0);
    ck_assert_int_eq(coro_io_remove_signal_handler(&iol, SIGUSR1), CORO_ENOKEY);
    ck_assert(disposition(SIGUSR1) == prev_handler);
    ck_assert_int_eq(prev_ran, 0);
}
END_TEST

/* Removing restores the previous disposition: a later signal goes to the
 * previous C handler, and the handle no longer runs. */
START_TEST(test_remove_restores_the_previous_handler_and_the_handle_no_longer_runs)
{
    struct sh u;
    io_open(_i);
    install(SIGUSR1, prev_handler);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, sh_init(&u, "usr1", 0)), 0);
    ck_assert(disposition(SIGUSR1) != prev_handler);
    ck_assert_int_eq(coro_io_remove_signal_handler(&iol, SIGUSR1), 0);
    ck_assert(disposition(SIGUSR1) == prev_handler);
    ck_assert_ptr_null(iol.signals);
    raise(SIGUSR1);
    ck_assert_int_eq(prev_ran, 1);
    ck_assert_int_eq(coro_loop_run_once(&loop), 0);   /* nothing left to wait for */
    ck_assert_int_eq(u.runs, 0);
}
END_TEST

/* Bad input is a named error and changes nothing: not the list, not a
 * disposition, and the loop's handler still works afterwards.
 *     loop.add_signal_handler(0, h)                   -> ValueError
 *     loop.add_signal_handler(signal.SIGKILL, h)      -> RuntimeError
 *     loop.remove_signal_handler(signal.SIGUSR2)      -> False
 */
START_TEST(test_bad_input_is_einval_or_enokey_and_changes_nothing)
{
    struct sh u;
    struct raiser r;
    io_open(_i);
    install(SIGUSR1, prev_handler);
    sh_init(&u, "usr1", 1);
    ck_assert_int_eq(coro_io_add_signal_handler(NULL, &sg1, SIGUSR1, &u.h), CORO_EINVAL);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, NULL, SIGUSR1, &u.h), CORO_EINVAL);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, NULL), CORO_EINVAL);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, 0, &u.h), CORO_EINVAL);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, -1, &u.h), CORO_EINVAL);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, NSIG, &u.h), CORO_EINVAL);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGKILL, &u.h), CORO_EINVAL);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGSTOP, &u.h), CORO_EINVAL);
    ck_assert_int_eq(coro_io_remove_signal_handler(NULL, SIGUSR1), CORO_EINVAL);
    ck_assert_int_eq(coro_io_remove_signal_handler(&iol, 0), CORO_EINVAL);
    ck_assert_int_eq(coro_io_remove_signal_handler(&iol, NSIG), CORO_EINVAL);
    ck_assert_int_eq(coro_io_remove_signal_handler(&iol, SIGUSR1), CORO_ENOKEY);
    ck_assert_ptr_null(iol.signals);
    ck_assert(disposition(SIGUSR1) == prev_handler);
    /* still usable: add, and a second loop cannot take the signal */
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, &u.h), 0);
    {
        static struct coro_timer_slot t2[2];
        struct coro_loop loop2;
        struct coro_io_loop iol2;
        struct sh v;
        ck_assert_int_eq(coro_loop_init(&loop2, t2, 2), 0);
        ck_assert_int_eq(coro_io_loop_open(&iol2, &loop2, NULL, 64), 0);
        ck_assert_int_eq(coro_io_add_signal_handler(&iol2, &sg2, SIGUSR1, sh_init(&v, "v", 0)),
                         CORO_EBUSY);
        ck_assert_int_eq(coro_io_remove_signal_handler(&iol2, SIGUSR1), CORO_ENOKEY);
        coro_io_loop_close(&iol2, &loop2);
        ck_assert_int_eq(coro_loop_close(&loop2), 0);
    }
    ck_assert_ptr_eq(iol.signals, &sg1);
    coro_loop_call_soon(&loop, raiser_init(&r, 1));
    run_guarded();
    ck_assert_trace("raised1 usr1:1:loop");
    ck_assert_int_eq(prev_ran, 0);
}
END_TEST

/* Closing the selector loop removes its signal handlers: each signal gets
 * back the disposition it had (a C handler, SIG_IGN), and the signals can
 * be added to a loop again. */
START_TEST(test_closing_the_loop_restores_every_disposition)
{
    struct sh u1, u2;
    io_open(_i);
    install(SIGUSR1, prev_handler);
    install(SIGUSR2, SIG_IGN);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, sh_init(&u1, "usr1", 0)), 0);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg2, SIGUSR2, sh_init(&u2, "usr2", 0)), 0);
    ck_assert(disposition(SIGUSR2) != SIG_IGN);
    coro_io_loop_close(&iol, &loop);
    iol_is_open = 0;
    ck_assert(disposition(SIGUSR1) == prev_handler);
    ck_assert(disposition(SIGUSR2) == SIG_IGN);
    raise(SIGUSR1);
    ck_assert_int_eq(prev_ran, 1);
    io_open(_i);
    ck_assert_int_eq(coro_io_add_signal_handler(&iol, &sg1, SIGUSR1, &u1.h), 0);
    ck_assert_int_eq(coro_io_remove_signal_handler(&iol, SIGUSR1), 0);
    ck_assert(disposition(SIGUSR1) == prev_handler);
}
END_TEST

static Suite *signals_suite(void)
{
    Suite *s = suite_create("signals");
    TCase *tc = check_tcase(s, "signals", setup, teardown, 30);
    int n = test_backends();
    tcase_add_loop_test(tc, test_raise_in_a_callback_runs_the_handle_after_it_on_the_loop_thread, 0, n);
    tcase_add_loop_test(tc, test_signals_before_the_handle_runs_coalesce_into_one_run_per_batch, 0, n);
    tcase_add_loop_test(tc, test_two_signals_from_another_thread_during_the_wait_run_on_the_loop_thread, 0, n);
    tcase_add_loop_test(tc, test_a_loop_with_only_a_signal_handler_waits_for_the_signal, 0, n);
    tcase_add_loop_test(tc, test_adding_twice_replaces_the_handler_and_one_remove_restores_the_first_disposition, 0, n);
    tcase_add_loop_test(tc, test_remove_restores_the_previous_handler_and_the_handle_no_longer_runs, 0, n);
    tcase_add_loop_test(tc, test_bad_input_is_einval_or_enokey_and_changes_nothing, 0, n);
    tcase_add_loop_test(tc, test_closing_the_loop_restores_every_disposition, 0, n);
    return s;
}

int main(void)
{
    return check_run(signals_suite());
}
