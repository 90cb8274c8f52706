/* SPDX-License-Identifier: MIT */
/*
 * bench_timers.c -- the two timer patterns network servers live on, coro's
 * loop next to libev measured in the same run.
 *
 *   1. Re-armed on every packet: 1,000 timers (an idle timeout of 10 s
 *      each), restarted round-robin, one restart per packet, 10,000,000
 *      packets; every 1,000 packets the loop runs one iteration that does not
 *      wait (as a server's loop does between bursts of packets), so the clock
 *      moves on and the deadlines differ.
 *        coro   coro_loop_rearm on a struct coro_handle (cancel +
 *               call_later in one step); the iteration: a call_soon'd
 *               handle, then coro_loop_run_once (it does not wait:
 *               something is ready);
 *        libev  ev_timer_again on an ev_timer with repeat = 10 s; the
 *               iteration: ev_run(EVRUN_NOWAIT).
 *      Figure: process CPU time (user + system) per restart.
 *   2. Cancelled before they fire (most idle timeouts never do): 1,000,000
 *      timers armed with 10 s + a random 0..1 s (nanoseconds; xorshift64*,
 *      fixed seed, the same for both), then all cancelled, in a random order
 *      (a fixed permutation), and the loop runs once more without waiting:
 *        coro   coro_loop_call_later, then coro_loop_cancel;
 *        libev  ev_timer_start, then ev_timer_stop.
 *      Figure: CPU time per timer, arm and cancel together (each also
 *      printed apart).
 *
 * Both use the host's monotonic clock. The arrays are allocated and touched
 * before the clock starts. Repetitions are interleaved (coro, libev, coro,
 * ...); each figure is the median, the spread (min..max) is printed under it.
 * Each figure also goes out as a line "result NAME VALUE BASELINE UNIT" for
 * build/bench/results.json.
 *
 *   bench_timers [-r REPS] [-v]
 */
#define _POSIX_C_SOURCE 200809L

#include "loop.h"
#include "bench_stats.h"

#include <ev.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NREARM      1000u           /* timers re-armed round-robin */
#define NPACKETS    10000000u       /* restarts per repetition */
#define BURST       1000u           /* packets per loop iteration */
#define NCANCEL     1000000u        /* timers armed, then cancelled */
#define TIMEOUT_NS  (10 * CORO_SEC)

static int verbose;

static uint64_t rng;

static uint64_t xorshift64s(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Du;
}

static uint32_t fired;      /* must stay 0: no timer of this file fires */

static void never(struct coro_handle *h)
{
    (void)h;
    fired++;
}

static void noop(struct coro_handle *h)
{
    (void)h;
}

static void ev_never(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
    fired++;
}

/* One iteration of coro's loop that does not wait. */
static void coro_tick(struct coro_loop *loop)
{
    static struct coro_handle soon;
    coro_handle_init(&soon, noop);
    coro_loop_call_soon(loop, &soon);
    coro_loop_run_once(loop);
}

static void fail_if(int bad, const char *what)
{
    if (bad) {
        fprintf(stderr, "bench_timers: %s\n", what);
        exit(1);
    }
}

/* ------------------------------------------------------------------------ */
/* 1. re-armed on every packet                                              */
/* ------------------------------------------------------------------------ */

static double rearm_coro(void)
{
    static struct coro_handle h[NREARM];
    static struct coro_timer_slot slots[NREARM];
    struct coro_loop loop;
    double t0;
    uint32_t i;
    coro_loop_init(&loop, slots, NREARM);
    for (i = 0; i < NREARM; i++) {
        coro_handle_init(&h[i], never);
        fail_if(coro_loop_call_later(&loop, &h[i], TIMEOUT_NS) != 0, "coro: arm");
    }
    t0 = cpu_ns();
    for (i = 0; i < NPACKETS; i++) {
        coro_loop_rearm(&loop, &h[i % NREARM], TIMEOUT_NS);
        if (i % BURST == BURST - 1)
            coro_tick(&loop);
    }
    t0 = cpu_ns() - t0;
    for (i = 0; i < NREARM; i++)
        fail_if(coro_loop_cancel(&loop, &h[i]) != 0, "coro: a timer was not armed");
    fail_if(coro_loop_close(&loop) != 0, "coro: loop not empty");
    return t0 / NPACKETS;
}

static double rearm_libev(void)
{
    static ev_timer w[NREARM];
    struct ev_loop *l = ev_loop_new(EVFLAG_AUTO);
    double t0;
    uint32_t i;
    fail_if(!l, "ev_loop_new failed");
    for (i = 0; i < NREARM; i++) {
        ev_timer_init(&w[i], ev_never, (ev_tstamp)TIMEOUT_NS * 1e-9,
                      (ev_tstamp)TIMEOUT_NS * 1e-9);
        ev_timer_start(l, &w[i]);
    }
    t0 = cpu_ns();
    for (i = 0; i < NPACKETS; i++) {
        ev_timer_again(l, &w[i % NREARM]);
        if (i % BURST == BURST - 1)
            ev_run(l, EVRUN_NOWAIT);
    }
    t0 = cpu_ns() - t0;
    for (i = 0; i < NREARM; i++) {
        fail_if(!ev_is_active(&w[i]), "libev: a timer was not armed");
        ev_timer_stop(l, &w[i]);
    }
    ev_loop_destroy(l);
    return t0 / NPACKETS;
}

/* ------------------------------------------------------------------------ */
/* 2. cancelled before they fire                                            */
/* ------------------------------------------------------------------------ */

static int64_t *delays;     /* NCANCEL of them, nanoseconds */
static uint32_t *order;     /* the order of the cancels: a permutation */

static void make_inputs(void)
{
    uint32_t i, j, t;
    rng = 0x9E3779B97F4A7C15u;
    for (i = 0; i < NCANCEL; i++) {
        delays[i] = TIMEOUT_NS + (int64_t)((xorshift64s() >> 11) % CORO_SEC);
        order[i] = i;
    }
    for (i = NCANCEL - 1; i > 0; i--) {      /* Fisher-Yates */
        j = (uint32_t)((xorshift64s() >> 11) % (i + 1));
        t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

struct split { double arm, cancel; };

static struct split cancel_coro(void)
{
    struct coro_handle *h = (struct coro_handle *)alloc_touched(NCANCEL * sizeof *h);
    struct coro_timer_slot *slots =
        (struct coro_timer_slot *)alloc_touched(NCANCEL * sizeof *slots);
    struct coro_loop loop;
    struct split r;
    double t0, t1;
    uint32_t i;
    coro_loop_init(&loop, slots, NCANCEL);
    for (i = 0; i < NCANCEL; i++)
        coro_handle_init(&h[i], never);
    t0 = cpu_ns();
    for (i = 0; i < NCANCEL; i++)
        coro_loop_call_later(&loop, &h[i], delays[i]);
    t1 = cpu_ns();
    for (i = 0; i < NCANCEL; i++)
        fail_if(coro_loop_cancel(&loop, &h[order[i]]) != 0, "coro: cancel failed");
    coro_tick(&loop);
    r.cancel = (cpu_ns() - t1) / NCANCEL;
    r.arm = (t1 - t0) / NCANCEL;
    fail_if(coro_loop_close(&loop) != 0, "coro: loop not empty");
    free(slots);
    free(h);
    return r;
}

static struct split cancel_libev(void)
{
    ev_timer *w = (ev_timer *)alloc_touched(NCANCEL * sizeof *w);
    struct ev_loop *l = ev_loop_new(EVFLAG_AUTO);
    struct split r;
    double t0, t1;
    uint32_t i;
    fail_if(!l, "ev_loop_new failed");
    for (i = 0; i < NCANCEL; i++)
        ev_timer_init(&w[i], ev_never, (ev_tstamp)delays[i] * 1e-9, 0.);
    t0 = cpu_ns();
    for (i = 0; i < NCANCEL; i++)
        ev_timer_start(l, &w[i]);
    t1 = cpu_ns();
    for (i = 0; i < NCANCEL; i++)
        ev_timer_stop(l, &w[order[i]]);
    ev_run(l, EVRUN_NOWAIT);
    r.cancel = (cpu_ns() - t1) / NCANCEL;
    r.arm = (t1 - t0) / NCANCEL;
    ev_loop_destroy(l);
    free(w);
    return r;
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    double ra[2][MAX_REPS], ca[2][MAX_REPS], arm[2][MAX_REPS], can[2][MAX_REPS];
    struct stat3 r[2], c[2], a[2], k[2];
    int reps = 5, i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1 || reps > MAX_REPS)
                reps = 5;
        } else {
            fprintf(stderr, "usage: %s [-r REPS] [-v]\n", argv[0]);
            return 2;
        }
    }
    printf("libev %d.%d; figures: median of %d runs, CPU = user + system\n",
           ev_version_major(), ev_version_minor(), reps);

    delays = (int64_t *)alloc_touched(NCANCEL * sizeof *delays);
    order = (uint32_t *)alloc_touched(NCANCEL * sizeof *order);
    make_inputs();
    for (i = 0; i < reps; i++) {
        struct split s;
        ra[0][i] = rearm_coro();
        ra[1][i] = rearm_libev();
        s = cancel_coro();
        arm[0][i] = s.arm;
        can[0][i] = s.cancel;
        ca[0][i] = s.arm + s.cancel;
        s = cancel_libev();
        arm[1][i] = s.arm;
        can[1][i] = s.cancel;
        ca[1][i] = s.arm + s.cancel;
        if (verbose)
            printf("  run %d: re-arm coro %.1f libev %.1f ns; arm+cancel coro %.1f "
                   "libev %.1f ns\n", i + 1, ra[0][i], ra[1][i], ca[0][i], ca[1][i]);
    }
    fail_if(fired != 0, "a timer fired");
    for (i = 0; i < 2; i++) {
        r[i] = summarize(ra[i], reps);
        c[i] = summarize(ca[i], reps);
        a[i] = summarize(arm[i], reps);
        k[i] = summarize(can[i], reps);
    }
    printf("re-armed on every packet (%u timers round-robin, %u restarts)  coro %5.1f "
           "ns/restart CPU   libev %5.1f (%.2fx)\n", NREARM, NPACKETS, r[0].med, r[1].med,
           r[0].med / r[1].med);
    printf("  spread (min..max)  coro %.1f..%.1f   libev %.1f..%.1f\n", r[0].min, r[0].max,
           r[1].min, r[1].max);
    printf("result timers_rearm_vs_libev %.2f %.2f ns/restart\n", r[0].med, r[1].med);
    printf("cancelled before they fire (%u timers, 10..11 s)  coro %5.1f ns/timer CPU   "
           "libev %5.1f (%.2fx)\n", NCANCEL, c[0].med, c[1].med, c[0].med / c[1].med);
    printf("  spread (min..max)  coro %.1f..%.1f   libev %.1f..%.1f\n", c[0].min, c[0].max,
           c[1].min, c[1].max);
    printf("  of which arm  coro %.1f   libev %.1f;  cancel  coro %.1f   libev %.1f\n",
           a[0].med, a[1].med, k[0].med, k[1].med);
    printf("result timers_cancel_vs_libev %.2f %.2f ns/timer\n", c[0].med, c[1].med);
    free(order);
    free(delays);
    return 0;
}
