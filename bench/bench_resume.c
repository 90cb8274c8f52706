/* SPDX-License-Identifier: MIT */
/*
 * bench_resume.c -- what one resume of a coro.h generator costs.
 *
 *   1. resume+yield through coro_send, against a hand-written switch state
 *      machine doing the same work (a struct with a state int and a
 *      `switch (state)` step function). The trampoline calls a body through a
 *      function pointer loaded from the frame (g->leaf->fn), so the baseline's
 *      step function is also called through a function pointer loaded from
 *      its struct (m->step). For information, the same machine called as a
 *      direct call to a noinline function is printed too.
 *   2. coro_send on the outermost frame of a yield-from chain of depth 1, 10
 *      and 100 (depth d: d frames each doing CORO_YIELD_FROM of the next, and
 *      the innermost frame, which yields forever): O(1) at any depth.
 *   3. The same in CPython (gen.send and `yield from` chains), when python3 is
 *      on PATH, timed in a child process (python3 -c) with timeit around
 *      `s(1)`, s = g.send bound beforehand; timeit's own loop is included.
 *
 * Method: after a 200 ms warm-up, each figure is the best (minimum) of REPS
 * repetitions of N resumes, N calibrated so that one repetition takes
 * >= ~50 ms; the repetitions of a figure and of its baseline are interleaved,
 * so that a change of clock speed hits both. A figure whose repetitions
 * spread by more than 10% gets a note. Every yielded value goes into a
 * checksum printed at the end, so no work can be dropped. About 3.5 s.
 *
 * Usage: bench_resume [-v]     -v prints every repetition
 */
#define _POSIX_C_SOURCE 200809L

#include "coro.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS       5
#define REP_NS     50e6     /* at least ~50 ms per repetition */
#define MAX_DEPTH  100

/* Timed loops and bodies are noinline and start on a 64-byte boundary: a loop
 * that straddles a cache line runs measurably slower on some cores, and the
 * placement would otherwise change with every edit of this file. */
#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline, aligned(64)))
#define ALIGNED __attribute__((aligned(64)))
#else
#define NOINLINE
#define ALIGNED
#endif

static volatile uintptr_t sink;  /* every loop's checksum ends up here */
static uintptr_t checksum;  /* unsigned: wraps, no overflow */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The work: a counter that yields n, then adds the sent value plus one, the
 * same as a hand-written machine, and a yield-from chain of it. */
#define BENCH_NOINLINE NOINLINE
#define BENCH_ALIGNED ALIGNED
#include "bench/resume_work.h"

/* ------------------------------------------------------------------------ */
/* The timed loops: each runs n resumes and returns the sum of what came out */
/* ------------------------------------------------------------------------ */

static struct counter g_counter;
static struct machine g_machine;
static struct level g_levels[MAX_DEPTH + 1];
static struct coro *g_chain;    /* outermost frame of the chain being timed */

static void fail(const char *what, int rc)
{
    fprintf(stderr, "bench_resume: %s: %s\n", what, coro_strerror(rc));
    exit(1);
}

NOINLINE static uintptr_t loop_coro(long n)
{
    uintptr_t sum = 0;
    coro_value out;
    long i;
    for (i = 0; i < n; i++) {
        int rc = coro_send(&g_counter.co, coro_int(i & 7), &out);
        if (rc != CORO_YIELDED)
            fail("coro_send", rc);
        sum += (uintptr_t)out.v.i;
    }
    return sum;
}

/* The baseline, called through the function pointer in the struct. */
NOINLINE static uintptr_t loop_machine_ptr(long n)
{
    uintptr_t sum = 0;
    long i;
    for (i = 0; i < n; i++)
        sum += (uintptr_t)g_machine.step(&g_machine, i & 7);
    return sum;
}

/* The baseline, called directly (the function is noinline). */
NOINLINE static uintptr_t loop_machine_direct(long n)
{
    uintptr_t sum = 0;
    long i;
    for (i = 0; i < n; i++)
        sum += (uintptr_t)machine_step(&g_machine, i & 7);
    return sum;
}

NOINLINE static uintptr_t loop_chain(long n)
{
    struct coro *g = g_chain;
    uintptr_t sum = 0;
    coro_value out;
    long i;
    for (i = 0; i < n; i++) {
        int rc = coro_send(g, coro_int(i & 7), &out);
        if (rc != CORO_YIELDED)
            fail("coro_send on a chain", rc);
        sum += (uintptr_t)out.v.i;
    }
    return sum;
}

static void start_counter(void)
{
    int rc;
    g_counter.n = 0;
    coro_init(&g_counter.co, counter_body);
    if ((rc = coro_next(&g_counter.co, NULL)) != CORO_YIELDED)
        fail("coro_next", rc);
    g_machine.step = machine_step;
    g_machine.state = 0;
    g_machine.n = 0;
    checksum += (uintptr_t)g_machine.step(&g_machine, 0);
}

/* Builds a chain of `depth` delegations and starts it. */
static void start_chain(int depth)
{
    int i, rc;
    coro_value out;
    if (g_chain)
        coro_close(g_chain, NULL);
    for (i = 0; i <= depth; i++) {
        memset(&g_levels[i], 0, sizeof g_levels[i]);
        g_levels[i].next = i < depth ? &g_levels[i + 1] : NULL;
    }
    g_chain = &g_levels[0].co;
    coro_init(g_chain, level_body);
    if ((rc = coro_next(g_chain, &out)) != CORO_YIELDED)
        fail("coro_next on a chain", rc);
}

/* ------------------------------------------------------------------------ */
/* Timing                                                                    */
/* ------------------------------------------------------------------------ */

typedef uintptr_t (*loop_fn)(long n);

static double time_loop(loop_fn f, long n)
{
    double t0 = now_ns();
    checksum += f(n);
    return now_ns() - t0;
}

/* Smallest n with a repetition of >= REP_NS (this is also the warm-up). */
static long calibrate(loop_fn f)
{
    long n = 1 << 16;
    for (;;) {
        double t = time_loop(f, n);
        if (t >= REP_NS)
            return n;
        if (t < REP_NS / 16)
            n *= 8;
        else
            n = (long)((double)n * (REP_NS * 1.1 / t)) + 1;
    }
}

static int verbose;  /* -v: print every repetition */

/* Best ns per resume of each of `k` loops, their repetitions interleaved. */
static void measure(int k, const loop_fn *f, const char *const *name,
                    double *best, double *worst)
{
    long n[4];
    int i, r;
    for (i = 0; i < k; i++) {
        n[i] = calibrate(f[i]);
        best[i] = 1e300;
        worst[i] = 0;
    }
    for (r = 0; r < REPS; r++)
        for (i = 0; i < k; i++) {
            double ns = time_loop(f[i], n[i]) / (double)n[i];
            if (verbose)
                printf("    %-30s rep %d: %ld resumes, %.3f ns each\n",
                       name[i], r + 1, n[i], ns);
            if (ns < best[i])
                best[i] = ns;
            if (ns > worst[i])
                worst[i] = ns;
        }
}

/* A figure whose repetitions spread by more than 10% is flagged. */
static void note_spread(const char *name, double best, double worst)
{
    if (worst > best * 1.10)
        printf("    note: %s varied %.2f-%.2f ns across repetitions "
               "(the best is reported; -v prints each)\n", name, best, worst);
}

/* ------------------------------------------------------------------------ */
/* CPython                                                                   */
/* ------------------------------------------------------------------------ */

/* Timed like the C side: each figure the best of 5 repetitions of >= 50 ms,
 * timeit's loop around `s(1)` with s = g.send bound beforehand. No single
 * quotes: the script goes to the shell inside '...'. */
static const char python_script[] =
    "import sys, timeit\n"
    "def counter():\n"
    "    n = 0\n"
    "    while True:\n"
    "        s = yield n\n"
    "        n += s + 1\n"
    "def level(d):\n"
    "    if d:\n"
    "        return (yield from level(d - 1))\n"
    "    n = 0\n"
    "    while True:\n"
    "        s = yield n\n"
    "        n += s + 1\n"
    "def best(g):\n"
    "    next(g)\n"
    "    t = timeit.Timer(\"s(1)\", globals={\"s\": g.send})\n"
    "    n = 1\n"
    "    while True:\n"
    "        dt = t.timeit(n)\n"
    "        if dt >= 0.01:\n"
    "            break\n"
    "        n *= 4\n"
    "    n = max(1, int(n * 0.05 / dt))\n"
    "    return min(t.repeat(5, n)) / n * 1e9\n"
    "print(\"version\", sys.version.split()[0])\n"
    "print(\"send\", best(counter()))\n"
    "for d in (1, 10, 100):\n"
    "    print(\"depth\", d, best(level(d)))\n";

struct cpython {
    int ok;
    char version[32];
    double send, depth[3];  /* depths 1, 10, 100 */
};

static void run_cpython(struct cpython *py)
{
    static char cmd[sizeof python_script + 128];
    char line[256];
    FILE *p;
    int got = 0;
    memset(py, 0, sizeof *py);
    snprintf(cmd, sizeof cmd,
             "command -v python3 >/dev/null 2>&1 && python3 -c '%s'",
             python_script);
    fflush(stdout);
    p = popen(cmd, "r");
    if (!p)
        return;
    while (fgets(line, sizeof line, p)) {
        int d;
        double v;
        if (sscanf(line, "version %31s", py->version) == 1)
            got |= 1;
        else if (sscanf(line, "send %lf", &v) == 1)
            py->send = v, got |= 2;
        else if (sscanf(line, "depth %d %lf", &d, &v) == 2)
            switch (d) {
            case 1:   py->depth[0] = v; got |= 4; break;
            case 10:  py->depth[1] = v; got |= 8; break;
            case 100: py->depth[2] = v; got |= 16; break;
            default:  break;
            }
    }
    py->ok = pclose(p) == 0 && got == 31;
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    static const int depths[3] = { 1, 10, 100 };
    static const char *const flat_names[3] = {
        "coro_send", "hand-written, function pointer", "hand-written, direct call"
    };
    static const char *const chain_names[3] = {
        "yield-from depth 1", "yield-from depth 10", "yield-from depth 100"
    };
    double t_start = now_ns();
    double flat[3], flat_worst[3], chain[3], chain_worst[3];
    struct cpython py;
    loop_fn f[3];
    int i;

    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        verbose = 1;
    } else if (argc > 1) {
        fprintf(stderr, "usage: %s [-v]   (-v: print every repetition)\n", argv[0]);
        return 2;
    }

#if defined(__clang__)
    printf("compiler: clang %d.%d.%d", __clang_major__, __clang_minor__,
           __clang_patchlevel__);
#elif defined(__GNUC__)
    printf("compiler: gcc %s", __VERSION__);
#else
    printf("compiler: unknown");
#endif
    printf("; best of %d repetitions of >= %.0f ms each\n", REPS, REP_NS / 1e6);

    /* warm-up: ~200 ms of the first loop, to get the clock up */
    start_counter();
    {
        double t0 = now_ns();
        while (now_ns() - t0 < 200e6)
            checksum += loop_coro(1 << 20);
    }

    /* 1. flat generator against the hand-written machine */
    f[0] = loop_coro;
    f[1] = loop_machine_ptr;
    f[2] = loop_machine_direct;
    measure(3, f, flat_names, flat, flat_worst);
    printf("resume+yield  coro_send  %7.2f ns   hand-written switch %5.2f ns   "
           "ratio %5.2fx  (target <= 1.25x; baseline called through a "
           "function pointer)\n", flat[0], flat[1], flat[0] / flat[1]);
    printf("resume+yield  coro_send  %7.2f ns   hand-written switch %5.2f ns   "
           "ratio %5.2fx  (for information: baseline called directly, "
           "noinline)\n", flat[0], flat[2], flat[0] / flat[2]);
    printf("result resume_vs_switch_time %.3f %.3f ns\n", flat[0], flat[1]);
    for (i = 0; i < 3; i++)
        note_spread(flat_names[i], flat[i], flat_worst[i]);

    /* 2. yield-from chains, O(1) at any depth */
    for (i = 0; i < 3; i++) {
        start_chain(depths[i]);
        f[0] = loop_chain;
        measure(1, f, &chain_names[i], &chain[i], &chain_worst[i]);
        if (i == 0)
            printf("yield-from depth %3d     %7.2f ns\n", depths[i], chain[i]);
        else
            printf("yield-from depth %3d     %7.2f ns   ratio to depth 1 %5.2fx%s\n",
                   depths[i], chain[i], chain[i] / chain[0],
                   depths[i] == MAX_DEPTH ? "  (target <= 2x)" : "");
        note_spread(chain_names[i], chain[i], chain_worst[i]);
    }
    coro_close(g_chain, NULL);

    /* 3. CPython */
    run_cpython(&py);
    if (!py.ok) {
        printf("CPython: python3 not found on PATH (or its run failed): "
               "comparison skipped\n");
    } else {
        printf("CPython %s gen.send   %8.2f ns   coro_send %5.2f ns   "
               "CPython/coro %6.1fx\n", py.version, py.send, flat[0],
               py.send / flat[0]);
        for (i = 0; i < 3; i++)
            printf("CPython yield-from depth %3d %8.2f ns   coro %5.2f ns   "
                   "CPython/coro %6.1fx\n", depths[i], py.depth[i], chain[i],
                   py.depth[i] / chain[i]);
        printf("CPython send %.1f ns; depth 1 %.0f ns, depth 100 %.0f ns (%.1fx)"
               "   coro send %.2f ns; depth 1 %.2f ns, depth 100 %.2f ns (%.2fx)\n",
               py.send, py.depth[0], py.depth[2], py.depth[2] / py.depth[0],
               flat[0], chain[0], chain[2], chain[2] / chain[0]);
    }

    sink = checksum;
    printf("checksum %llu; total %.1f s\n", (unsigned long long)checksum,
           (now_ns() - t_start) / 1e9);
    return 0;
}
