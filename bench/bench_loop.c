/* SPDX-License-Identifier: MIT */
/*
 * bench_loop.c -- what coro's event loop costs, next to libev, libuv and
 * asyncio measured in the same run.
 *
 *   1. 1,000,000 tasks each sleeping once for a random duration of 1..200 ms
 *      (whole milliseconds, the resolution libuv's API takes, so that every
 *      contender gets exactly the same durations; xorshift64*, fixed seed):
 *        coro   one frame per task (struct coro_task, the body needs no
 *               locals: it reads its duration from the shared array), a heap
 *               of 1,000,000 struct coro_timer_slot, the real monotonic
 *               clock, coro_loop_run_once once (every task runs up to its
 *               sleep: the schedule phase) then coro_loop_run_forever (which
 *               is run_once in a loop);
 *        libev  1,000,000 ev_timer, a callback that counts, ev_run;
 *        libuv  1,000,000 uv_timer_t, a callback that counts,
 *               uv_run(UV_RUN_DEFAULT).
 *      Figure: process CPU time (CLOCK_PROCESS_CPUTIME_ID: user + system)
 *      from the first task/timer start to the loop returning once all have
 *      fired, divided by 1,000,000. The benchmark's own arrays are allocated
 *      and touched (page-faulted) before the clock starts, for every
 *      contender; what a library allocates inside (libev's heap and pending
 *      arrays) is its own cost and is timed. Bytes per task: the sizes of the
 *      structures, and the growth of the resident set (/proc/self/statm)
 *      across the run, which is what catches libev's internal heap. The
 *      schedule phase (up to all timers armed) is printed apart as well.
 *      For information, coro and libev again with durations of nanosecond
 *      resolution (libuv cannot take them): almost no equal deadlines.
 *   2. A task switch through sleep(0): 100 tasks each doing
 *      CORO_SLEEP(co, loop, 0) N times on the real monotonic clock (the
 *      default; no timer is involved, the clock is read once per iteration of
 *      the loop, i.e. once per 100 switches); ns per switch = wall time /
 *      (100 * N). The same in asyncio (100 tasks, `await asyncio.sleep(0)`),
 *      run by python3 through popen when it is on PATH.
 *
 * Repetitions of one figure and its baselines are interleaved (coro, libev,
 * libuv, coro, ...) so that a change of clock speed hits all of them; each
 * figure is the median of its repetitions, and the spread (min..max) is
 * printed under it.
 *
 *   bench_loop [-r REPS] [-v] [--only coro|libev|libuv|switch]
 *     -r      repetitions of the 1M-timer runs (default 3)
 *     -v      print every repetition
 *     --only  run one contender of part 1 (or part 2 alone), e.g. under perf
 */
#define _POSIX_C_SOURCE 200809L

#include "loop.h"
#include "bench_stats.h"

#include <ev.h>
#include <uv.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define NTIMERS     1000000u
#define MAX_MS      200u
#define NTASKS      100          /* part 2 */
#define NSWITCH     100000L      /* sleep(0)s per task and repetition */
#define SWITCH_REPS 5
#define PY_N        3000         /* asyncio: sleep(0)s per task */

/* libev's heap entry (ANHE, with EV_HEAP_CACHE_AT, the default): the cached
 * deadline (ev_tstamp) and the watcher pointer. Internal to ev.c; the RSS
 * growth is the honest figure. */
#define LIBEV_ANHE_BYTES (sizeof(ev_tstamp) + sizeof(void *))

static int verbose;

static double wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Resident set size now, in bytes (second field of /proc/self/statm). */
static double rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* Peak resident set size of the process, from /proc/self/status (VmHWM). */
static double peak_rss_bytes(void)
{
    char line[256];
    double kb = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lf", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

/* ------------------------------------------------------------------------ */
/* The durations: the same for every contender                              */
/* ------------------------------------------------------------------------ */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t xorshift64s(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Du;
}

/* durations in nanoseconds; `fine`: any nanosecond in (0, 200 ms], else
 * whole milliseconds 1..200 */
static void make_durations(int64_t *d, int fine)
{
    uint32_t i;
    rng = 0x9E3779B97F4A7C15u;
    for (i = 0; i < NTIMERS; i++) {
        uint64_t r = xorshift64s() >> 11;
        d[i] = fine ? (int64_t)(1 + r % (MAX_MS * 1000000u))
                    : (int64_t)(1 + r % MAX_MS) * 1000000;
    }
}

static const int64_t *durations;    /* nanoseconds, NTIMERS of them */
static uint32_t fired;              /* timers / tasks that fired */

struct result {
    double cpu_ns, sched_ns, wall_ns, rss_growth;
    uint32_t fired;
};

/* ------------------------------------------------------------------------ */
/* coro: one task per timer                                                 */
/* ------------------------------------------------------------------------ */

/* async def sleeper(): await asyncio.sleep(durations[i]). The frame is the
 * task alone: the body finds its duration by its index in the array. */
struct sleeper {
    struct coro_task task;
};

static struct coro_loop loop1m;
static struct sleeper *sleepers;

static int sleeper(struct coro *co)
{
    struct sleeper *f = (struct sleeper *)co;
    CORO_BEGIN(co);
    CORO_SLEEP(co, &loop1m, durations[f - sleepers]);
    fired++;
    CORO_END(co);
}

static struct result run_coro(void)
{
    struct result r;
    struct coro_timer_slot *slots;
    double rss0 = rss_bytes(), t0, w0;
    uint32_t i;

    sleepers = (struct sleeper *)alloc_touched(NTIMERS * sizeof *sleepers);
    slots = (struct coro_timer_slot *)alloc_touched(NTIMERS * sizeof *slots);
    coro_loop_init(&loop1m, slots, NTIMERS);    /* the monotonic clock */
    fired = 0;

    t0 = cpu_ns();
    w0 = wall_ns();
    for (i = 0; i < NTIMERS; i++)
        coro_task_start(&sleepers[i].task, &loop1m, sleeper);
    /* the first iteration runs every task up to its sleep: the schedule
     * phase (nothing is due before it: the heap is empty); run_forever is
     * this same run_once in a loop */
    coro_loop_run_once(&loop1m);
    r.sched_ns = cpu_ns() - t0;
    coro_loop_run_forever(&loop1m);
    r.cpu_ns = cpu_ns() - t0;
    r.wall_ns = wall_ns() - w0;
    r.rss_growth = rss_bytes() - rss0;
    r.fired = fired;

    for (i = 0; i < NTIMERS; i++)
        if (!coro_future_done(&sleepers[i].task.fut)) {
            fprintf(stderr, "bench_loop: coro task %u not done\n", i);
            exit(1);
        }
    free(slots);
    free(sleepers);
    return r;
}

/* ------------------------------------------------------------------------ */
/* libev                                                                    */
/* ------------------------------------------------------------------------ */

static void ev_fired(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l;
    (void)w;
    (void)revents;
    fired++;
}

static struct result run_libev(void)
{
    struct result r;
    struct ev_loop *l;
    ev_timer *timers;
    double rss0 = rss_bytes(), t0, w0;
    uint32_t i;

    timers = (ev_timer *)alloc_touched(NTIMERS * sizeof *timers);
    l = ev_loop_new(EVFLAG_AUTO);
    if (!l) {
        fprintf(stderr, "bench_loop: ev_loop_new failed\n");
        exit(1);
    }
    fired = 0;

    t0 = cpu_ns();
    w0 = wall_ns();
    ev_now_update(l);
    for (i = 0; i < NTIMERS; i++) {
        ev_timer_init(&timers[i], ev_fired, (ev_tstamp)durations[i] * 1e-9, 0.);
        ev_timer_start(l, &timers[i]);
    }
    r.sched_ns = cpu_ns() - t0;
    ev_run(l, 0);
    r.cpu_ns = cpu_ns() - t0;
    r.wall_ns = wall_ns() - w0;
    r.rss_growth = rss_bytes() - rss0;
    r.fired = fired;

    ev_loop_destroy(l);
    free(timers);
    return r;
}

/* ------------------------------------------------------------------------ */
/* libuv                                                                    */
/* ------------------------------------------------------------------------ */

static void uv_fired(uv_timer_t *t)
{
    (void)t;
    fired++;
}

static struct result run_libuv(void)
{
    struct result r;
    uv_loop_t l;
    uv_timer_t *timers;
    double rss0 = rss_bytes(), t0, w0;
    uint32_t i;

    timers = (uv_timer_t *)alloc_touched(NTIMERS * sizeof *timers);
    if (uv_loop_init(&l) != 0) {
        fprintf(stderr, "bench_loop: uv_loop_init failed\n");
        exit(1);
    }
    fired = 0;

    t0 = cpu_ns();
    w0 = wall_ns();
    uv_update_time(&l);
    for (i = 0; i < NTIMERS; i++) {
        uv_timer_init(&l, &timers[i]);
        uv_timer_start(&timers[i], uv_fired, (uint64_t)(durations[i] / 1000000), 0);
    }
    r.sched_ns = cpu_ns() - t0;
    uv_run(&l, UV_RUN_DEFAULT);
    r.cpu_ns = cpu_ns() - t0;
    r.wall_ns = wall_ns() - w0;
    r.rss_growth = rss_bytes() - rss0;
    r.fired = fired;

    for (i = 0; i < NTIMERS; i++)
        uv_close((uv_handle_t *)&timers[i], NULL);
    uv_run(&l, UV_RUN_DEFAULT);
    if (uv_loop_close(&l) != 0)
        fprintf(stderr, "bench_loop: uv_loop_close: handles left\n");
    free(timers);
    return r;
}

/* ------------------------------------------------------------------------ */
/* Part 2: sleep(0) through the loop                                        */
/* ------------------------------------------------------------------------ */

/* async def yielder(): for i in range(N): await asyncio.sleep(0) */
struct yielder {
    struct coro_task task;
    long i;
};

static struct coro_loop loop_sw;

static int yielder(struct coro *co)
{
    struct yielder *f = (struct yielder *)co;
    CORO_BEGIN(co);
    for (f->i = 0; f->i < NSWITCH; f->i++)
        CORO_SLEEP(co, &loop_sw, 0);
    fired++;
    CORO_END(co);
}

/* ns per switch of one repetition */
static double run_switch(void)
{
    static struct yielder y[NTASKS];
    double t0;
    int i;
    coro_loop_init(&loop_sw, NULL, 0);   /* no timers: sleep(0) needs none */
    fired = 0;
    t0 = wall_ns();
    for (i = 0; i < NTASKS; i++)
        coro_task_start(&y[i].task, &loop_sw, yielder);
    coro_loop_run_forever(&loop_sw);
    t0 = wall_ns() - t0;
    if (fired != NTASKS) {
        fprintf(stderr, "bench_loop: %u of %d yielders finished\n", fired, NTASKS);
        exit(1);
    }
    return t0 / ((double)NTASKS * NSWITCH);
}

/* asyncio: the same, best and worst of 3 repetitions. No single quotes: the
 * script goes to the shell inside '...'. */
static const char python_script[] =
    "import asyncio, sys, time\n"
    "N = int(sys.argv[1])\n"
    "async def yielder():\n"
    "    for _ in range(N):\n"
    "        await asyncio.sleep(0)\n"
    "async def main():\n"
    "    ts = []\n"
    "    for _ in range(3):\n"
    "        t0 = time.perf_counter()\n"
    "        await asyncio.gather(*[yielder() for _ in range(100)])\n"
    "        ts.append((time.perf_counter() - t0) / (100 * N) * 1e9)\n"
    "    print(\"version\", sys.version.split()[0])\n"
    "    print(\"switch\", sorted(ts)[1], min(ts), max(ts))\n"
    "asyncio.run(main())\n";

struct asyncio_result {
    int ok;
    char version[32];
    double med, min, max;
};

static void run_asyncio(struct asyncio_result *py)
{
    static char cmd[sizeof python_script + 128];
    char line[256];
    FILE *p;
    int got = 0;
    memset(py, 0, sizeof *py);
    snprintf(cmd, sizeof cmd,
             "command -v python3 >/dev/null 2>&1 && python3 -c '%s' %d",
             python_script, PY_N);
    fflush(stdout);
    p = popen(cmd, "r");
    if (!p)
        return;
    while (fgets(line, sizeof line, p)) {
        if (sscanf(line, "version %31s", py->version) == 1)
            got |= 1;
        else if (sscanf(line, "switch %lf %lf %lf", &py->med, &py->min, &py->max) == 3)
            got |= 2;
    }
    py->ok = pclose(p) == 0 && got == 3;
}

/* ------------------------------------------------------------------------ */

enum { C_CORO, C_LIBEV, C_LIBUV, NCONT };
static const char *const names[NCONT] = { "coro", "libev", "libuv" };

static void check(const struct result *r, int c)
{
    if (r->fired != NTIMERS) {
        fprintf(stderr, "bench_loop: %s fired %u of %u\n", names[c], r->fired, NTIMERS);
        exit(1);
    }
    if (verbose)
        printf("  %-5s %7.1f ns/timer CPU (schedule %5.1f + fire %5.1f)  wall %6.1f ms  "
               "RSS +%6.1f MB\n", names[c], r->cpu_ns / NTIMERS, r->sched_ns / NTIMERS,
               (r->cpu_ns - r->sched_ns) / NTIMERS, r->wall_ns / 1e6, r->rss_growth / 1e6);
}

/* Per contender and repetition: CPU ns per timer, of it the schedule phase,
 * and RSS growth in bytes per timer. */
struct runs {
    double cpu[NCONT][MAX_REPS], sched[NCONT][MAX_REPS], rss[NCONT][MAX_REPS];
};

/* Runs the contenders in `which` (bit mask) reps times, interleaved. */
static void run_part1(unsigned which, int reps, struct runs *out)
{
    int k, c;
    for (k = 0; k < reps; k++)
        for (c = 0; c < NCONT; c++) {
            struct result r;
            if (!(which & (1u << c)))
                continue;
            switch (c) {
            case C_CORO:  r = run_coro(); break;
            case C_LIBEV: r = run_libev(); break;
            default:      r = run_libuv(); break;
            }
            check(&r, c);
            out->cpu[c][k] = r.cpu_ns / NTIMERS;
            out->sched[c][k] = r.sched_ns / NTIMERS;
            out->rss[c][k] = r.rss_growth / NTIMERS;
        }
}

int main(int argc, char **argv)
{
    static struct runs runs;
    double t_start = wall_ns(), sw[SWITCH_REPS];
    struct stat3 s[NCONT], m[NCONT], sc[NCONT], fs[2], sws;
    struct asyncio_result py;
    int64_t *d;
    int reps = 3, i, c;
    unsigned which = 7u, do_switch = 1;
    size_t coro_frame = sizeof(struct sleeper) + sizeof(struct coro_timer_slot);
    size_t coro_beyond = sizeof(struct coro_task) - sizeof(struct coro) +
                         sizeof(struct coro_timer_slot);

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1 || reps > MAX_REPS)
                reps = 3;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            const char *o = argv[++i];
            do_switch = strcmp(o, "switch") == 0;
            which = 0;
            for (c = 0; c < NCONT; c++)
                if (strcmp(o, names[c]) == 0)
                    which = 1u << c;
            if (!which && !do_switch)
                goto usage;
        } else {
        usage:
            fprintf(stderr, "usage: %s [-r REPS] [-v] [--only coro|libev|libuv|switch]\n",
                    argv[0]);
            return 2;
        }
    }

    printf("libev %d.%d, libuv %s; figures: median of %d runs, CPU = user + "
           "system\n", ev_version_major(), ev_version_minor(), uv_version_string(),
           reps);

#ifdef __GLIBC__
    /* a fixed threshold: every big array (ours, libev's heap) gets its own
     * mapping, returned to the system when freed, so that the RSS growth of
     * one run is not hidden by pages an earlier run left in the heap (the
     * default threshold adapts upwards after the first free) */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
    d = (int64_t *)alloc_touched(NTIMERS * sizeof *d);
    durations = d;

    /* 1. a million sleeping tasks, whole-millisecond durations */
    if (which) {
        make_durations(d, 0);
        run_part1(which, reps, &runs);
        for (c = 0; c < NCONT; c++)
            if (which & (1u << c)) {
                s[c] = summarize(runs.cpu[c], reps);
                sc[c] = summarize(runs.sched[c], reps);
                m[c] = summarize(runs.rss[c], reps);
            }
    }
    if (which == 7u) {
        printf("1M sleeping tasks (1..200 ms, whole ms)  coro %5.0f ns/timer CPU   "
               "libev %5.0f (%.2fx)   libuv %5.0f (%.2fx)   (target: coro <= 0.8x libev)\n",
               s[0].med, s[1].med, s[0].med / s[1].med, s[2].med,
               s[0].med / s[2].med);
        printf("  spread (min..max)  coro %.0f..%.0f   libev %.0f..%.0f   "
               "libuv %.0f..%.0f\n", s[0].min, s[0].max, s[1].min, s[1].max,
               s[2].min, s[2].max);
        printf("result timers_cpu_vs_libev %.1f %.1f ns/timer\n", s[0].med, s[1].med);
        printf("  of which schedule (start all; the rest is firing)  coro %.0f   "
               "libev %.0f   libuv %.0f\n", sc[0].med, sc[1].med, sc[2].med);
        printf("bytes per task     coro %zu B (%zu B beyond the generator header; "
               "target <= 64)   libev %zu B (RSS %.0f)   libuv %zu B (RSS %.0f)\n",
               coro_frame, coro_beyond, sizeof(ev_timer) + LIBEV_ANHE_BYTES, m[1].med,
               sizeof(uv_timer_t), m[2].med);
        printf("  sizes: coro frame %zu (struct coro_task %zu = struct coro %zu + "
               "future + handle) + slot %zu, RSS %.0f;  libev ev_timer %zu + heap "
               "entry %zu, RSS adds its heap's spare capacity and pending array;  "
               "libuv uv_timer_t %zu (the heap is intrusive)\n", sizeof(struct sleeper),
               sizeof(struct coro_task), sizeof(struct coro),
               sizeof(struct coro_timer_slot), m[0].med, sizeof(ev_timer),
               (size_t)LIBEV_ANHE_BYTES, sizeof(uv_timer_t));

        /* for information: nanosecond durations, almost no ties */
        make_durations(d, 1);
        run_part1(3u, reps, &runs);
        fs[0] = summarize(runs.cpu[0], reps);
        fs[1] = summarize(runs.cpu[1], reps);
        printf("1M sleeping tasks (1 ns..200 ms, few equal deadlines; libuv takes "
               "ms only)  coro %5.0f ns/timer CPU   libev %5.0f (%.2fx)\n"
               "  spread (min..max)  coro %.0f..%.0f   libev %.0f..%.0f\n",
               fs[0].med, fs[1].med, fs[0].med / fs[1].med, fs[0].min, fs[0].max,
               fs[1].min, fs[1].max);
    } else if (which) {
        for (c = 0; c < NCONT; c++)
            if (which & (1u << c))
                printf("1M sleeping tasks  %s %5.0f ns/timer CPU  (%.0f..%.0f; "
                       "schedule %.0f)   RSS growth %.1f B/timer\n", names[c], s[c].med,
                       s[c].min, s[c].max, sc[c].med, m[c].med);
    }
    free(d);

    /* 2. task switch through sleep(0) */
    if (do_switch) {
        run_switch();   /* warm-up */
        for (i = 0; i < SWITCH_REPS; i++) {
            sw[i] = run_switch();
            if (verbose)
                printf("  sleep(0) switch  %.2f ns\n", sw[i]);
        }
        sws = summarize(sw, SWITCH_REPS);
        run_asyncio(&py);
        if (py.ok)
            printf("sleep(0) switch, %d tasks  coro %.1f ns   asyncio %.0f ns "
                   "(%.0fx faster; Python %s)   (target: coro <= 20 ns)\n", NTASKS,
                   sws.med, py.med, py.med / sws.med, py.version);
        else
            printf("sleep(0) switch, %d tasks  coro %.1f ns   asyncio: python3 not "
                   "found on PATH (or its run failed)   (target: coro <= 20 ns)\n",
                   NTASKS, sws.med);
        printf("  spread (min..max)  coro %.1f..%.1f", sws.min, sws.max);
        if (py.ok)
            printf("   asyncio %.0f..%.0f", py.min, py.max);
        printf("   (monotonic clock; coro median of %d x %ld switches)\n",
               SWITCH_REPS, (long)NTASKS * NSWITCH);
    }

    printf("total %.1f s, peak RSS %.0f MB\n", (wall_ns() - t_start) / 1e9,
           peak_rss_bytes() / 1e6);
    return 0;
}
