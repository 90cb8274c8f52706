/* SPDX-License-Identifier: MIT */
/*
 * bench_instructions.c -- instructions per resume, counted by callgrind:
 * deterministic, so the figure to trust on a loaded machine (wall time is
 * bench_resume's). The same work as bench_resume (bench/resume_work.h):
 *   coro_send       resume+yield of the counter generator
 *   machine_ptr     the hand-written switch machine, through a function pointer
 *   chain D         coro_send on the outermost frame of a yield-from chain of
 *                   depth D (1, 10, 100)
 * Each figure is (instructions of a run of N resumes - those of a run of 0)
 * / N, so the start and the exit cancel out.
 *
 * Usage: bench_instructions             runs itself under valgrind
 *                                       --tool=callgrind and prints the figures
 *        bench_instructions WORK N      runs N resumes of WORK (what is counted)
 * Prints "result NAME VALUE BASELINE UNIT" lines for build/bench/results.json.
 * Skips (exit 0) when valgrind is not on PATH.
 */
#define _POSIX_C_SOURCE 200809L

#include "coro.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BENCH_NOINLINE __attribute__((noinline))
#define BENCH_ALIGNED
#include "bench/resume_work.h"

#define N_RESUMES 100000L
#define MAX_DEPTH 100

static struct counter g_counter;
static struct machine g_machine;
static struct level g_levels[MAX_DEPTH + 1];
static volatile uintptr_t sink;

__attribute__((noinline)) static uintptr_t run_coro(struct coro *g, long n)
{
    uintptr_t sum = 0;
    coro_value out;
    long i;
    for (i = 0; i < n; i++) {
        if (coro_send(g, coro_int(i & 7), &out) != CORO_YIELDED)
            exit(1);
        sum += (uintptr_t)out.v.i;
    }
    return sum;
}

__attribute__((noinline)) static uintptr_t run_machine(long n)
{
    uintptr_t sum = 0;
    long i;
    for (i = 0; i < n; i++)
        sum += (uintptr_t)g_machine.step(&g_machine, i & 7);
    return sum;
}

/* Runs n resumes of `work`: "coro_send", "machine_ptr" or "chainD". */
static int run(const char *work, long n)
{
    int depth, i;
    if (strcmp(work, "coro_send") == 0) {
        coro_init(&g_counter.co, counter_body);
        if (coro_next(&g_counter.co, NULL) != CORO_YIELDED)
            return 1;
        sink = run_coro(&g_counter.co, n);
    } else if (strcmp(work, "machine_ptr") == 0) {
        g_machine.step = machine_step;
        sink = run_machine(n);
    } else if (sscanf(work, "chain%d", &depth) == 1 && depth >= 1 && depth <= MAX_DEPTH) {
        for (i = 0; i <= depth; i++)
            g_levels[i].next = i < depth ? &g_levels[i + 1] : NULL;
        coro_init(&g_levels[0].co, level_body);
        if (coro_next(&g_levels[0].co, NULL) != CORO_YIELDED)
            return 1;
        sink = run_coro(&g_levels[0].co, n);
    } else {
        fprintf(stderr, "bench_instructions: unknown work %s\n", work);
        return 2;
    }
    return 0;
}

/* Instructions callgrind counts for `self work n`, or -1. */
static double count(const char *self, const char *work, long n)
{
    char cmd[512], line[512];
    double v = -1, got;
    FILE *p;
    snprintf(cmd, sizeof cmd, "valgrind --tool=callgrind --callgrind-out-file=/dev/null "
             "'%s' %s %ld 2>&1 >/dev/null", self, work, n);
    p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p)) {
        const char *c = strstr(line, "Collected : ");
        if (c && sscanf(c + 12, "%lf", &got) == 1)
            v = got;
    }
    return pclose(p) == 0 ? v : -1;
}

static double per_resume(const char *self, const char *work)
{
    double zero = count(self, work, 0), many = count(self, work, N_RESUMES);
    return zero < 0 || many < 0 ? -1 : (many - zero) / (double)N_RESUMES;
}

int main(int argc, char **argv)
{
    static const char *const chains[3] = { "chain1", "chain10", "chain100" };
    double coro, machine, chain[3];
    int i;

    if (argc == 3)
        return run(argv[1], atol(argv[2]));
    if (argc != 1) {
        fprintf(stderr, "usage: %s [WORK N]\n", argv[0]);
        return 2;
    }
    if (system("command -v valgrind >/dev/null 2>&1") != 0) {
        printf("instructions: valgrind not found on PATH: skipped\n");
        return 0;
    }
    coro = per_resume(argv[0], "coro_send");
    machine = per_resume(argv[0], "machine_ptr");
    for (i = 0; i < 3; i++)
        chain[i] = per_resume(argv[0], chains[i]);
    if (coro < 0 || machine < 0 || chain[0] < 0 || chain[1] < 0 || chain[2] < 0) {
        fprintf(stderr, "bench_instructions: a callgrind run failed\n");
        return 1;
    }
    printf("instructions per resume+yield (callgrind): coro_send %.2f   hand-written "
           "switch, function pointer %.2f   ratio %.2fx  (target <= 1.75x)\n",
           coro, machine, coro / machine);
    for (i = 0; i < 3; i++)
        printf("instructions per resume, yield-from depth %3d: %.2f   ratio to coro_send "
               "%.2fx\n", i == 0 ? 1 : i == 1 ? 10 : 100, chain[i], chain[i] / coro);
    printf("result resume_vs_switch_instructions %.2f %.2f instructions\n", coro, machine);
    printf("result chain_vs_resume_instructions %.2f %.2f instructions\n", chain[2], coro);
    return 0;
}
