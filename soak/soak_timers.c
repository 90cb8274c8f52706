/* SPDX-License-Identifier: MIT */
/*
 * soak_timers.c -- ten million timer operations on one loop: call_later,
 * cancel and fire, mixed, on a timer heap of fixed capacity kept at its
 * limit, on the virtual clock (timers really fire, instantly).
 *
 *   soak_timers [OPS]          (default 10,000,000)
 *
 * NH handles share a heap of CAP = NH / 2 slots. Every time a handle fires it
 * schedules itself again, 1 ns to 1 ms ahead (call_later, or call_at on a
 * whole 100 us so that equal deadlines are common), then picks a random
 * handle: a scheduled one is cancelled (in the heap, or already due and
 * waiting in the iteration's batch), an idle one is scheduled, which fails
 * with CORO_EFULL exactly when all CAP slots are taken (a due timer has left
 * its slot: the batch runs outside the heap). The heap hovers at its
 * capacity. Each of these is one operation: successful schedule, refused
 * schedule, cancel, fire. Once OPS operations are done, nothing new is
 * scheduled and the loop runs until the heap is empty.
 *
 * Checked exactly: every fire happens at its deadline (the virtual clock
 * stands at it), fires come in (deadline, scheduling order), every call
 * returns what the bookkeeping predicts, and in the end every successful
 * schedule was fired or cancelled exactly once. RSS and open fds are printed
 * after a warm-up of 100,000 operations and at the end; they must not grow.
 */
#define _POSIX_C_SOURCE 200809L
#include "soak.h"
#include "loop.h"

#define NAME "soak timers"
#define NH 8192                     /* handles */
#define CAP (NH / 2)                /* timer slots */

struct tmr {
    struct coro_handle h;
    coro_time when;                 /* its deadline while scheduled */
    uint64_t seq;                   /* our own scheduling order */
    int scheduled;
};

static struct coro_loop loop;
static struct coro_timer_slot heap[CAP];
static struct tmr tm[NH];
static uint32_t rng = 2463534242u;

static long target;                 /* operations to do in this round */
static long ops, calls, refused, cancels, fires, cancelled_due;
static long pending;                /* scheduled, not yet fired or cancelled */
static long in_batch;               /* of those, due: out of the heap, in the
                                       batch that runs now */
static coro_time batch_time = -1;   /* the time of that batch */
/* How many pending timers have each deadline, by deadline modulo the ring:
 * every pending deadline lies in [now, now + 1 ms], fewer than RING ns. */
#define RING (1u << 20)
static uint16_t at_when[RING];
static uint64_t seq;
static coro_time last_when;
static uint64_t last_seq;

/* A random deadline 1 ns .. 1 ms ahead: a quarter on whole multiples of
 * 100 us of loop time (call_at: large batches of equal deadlines), a quarter
 * whole microseconds after now (call_later: small ties), the rest anywhere
 * (call_later). Never now: a timer at or past its deadline is then one that
 * the loop has moved out of the heap to the batch that runs now. */
static int arm(struct tmr *t, coro_time *when)
{
    uint32_t r = soak_rand(&rng);
    coro_time now = coro_loop_time(&loop), d;
    if (r % 4 == 0) {
        *when = (now / (100 * CORO_USEC) + 1 + (coro_time)(r >> 8) % 9) * 100 * CORO_USEC;
        return coro_loop_call_at(&loop, &t->h, *when);
    }
    if (r % 4 == 1)
        d = (1 + (coro_time)(r >> 8) % 1000) * CORO_USEC;
    else
        d = 1 + (coro_time)(r >> 8) % (1000 * CORO_USEC);
    *when = now + d;
    return coro_loop_call_later(&loop, &t->h, d);
}

/* Schedules t; the bookkeeping predicts the outcome. */
static void schedule(struct tmr *t)
{
    coro_time when;
    int rc;
    SOAK_CHECK(NAME, !t->scheduled);
    rc = arm(t, &when);
    ops++;
    if (pending - in_batch == CAP) {    /* every slot taken */
        SOAK_CHECK(NAME, rc == CORO_EFULL);
        refused++;
        return;
    }
    SOAK_CHECK(NAME, rc == 0);
    t->scheduled = 1;
    t->when = when;
    t->seq = ++seq;
    at_when[t->when % RING]++;
    pending++;
    calls++;
}

static void cancel(struct tmr *t)
{
    int rc = coro_loop_cancel(&loop, &t->h);
    SOAK_CHECK(NAME, t->scheduled);
    SOAK_CHECK(NAME, rc == 0);
    if (t->when <= coro_loop_time(&loop)) {
        cancelled_due++;            /* due: it sat in the running batch */
        in_batch--;
    }
    at_when[t->when % RING]--;
    t->scheduled = 0;
    pending--;
    cancels++;
    ops++;
}

static void on_fire(struct coro_handle *h)
{
    struct tmr *t = CORO__CONTAINER_OF(h, struct tmr, h), *v;
    SOAK_CHECK(NAME, t->scheduled);
    SOAK_CHECK(NAME, t->when == coro_loop_time(&loop));            /* at its deadline */
    SOAK_CHECK(NAME, t->when > last_when || (t->when == last_when && t->seq > last_seq));
    last_when = t->when;
    last_seq = t->seq;
    if (t->when != batch_time) {    /* the first of a batch: every pending
                                       timer due now left the heap for it */
        SOAK_CHECK(NAME, in_batch == 0);
        batch_time = t->when;
        in_batch = at_when[t->when % RING];
    }
    in_batch--;
    at_when[t->when % RING]--;
    t->scheduled = 0;
    pending--;
    fires++;
    ops++;
    if (ops >= target)
        return;                     /* draining */
    schedule(t);
    v = &tm[soak_rand(&rng) % NH];
    if (v->scheduled)
        cancel(v);
    else
        schedule(v);
}

/* One round of at least n operations, then drained; checks the books. */
static void round_of(long n)
{
    int i, rc;
    target = ops + n;
    for (i = 0; i < NH && ops < target; i++)
        schedule(&tm[i]);
    rc = coro_loop_run_forever(&loop);
    SOAK_CHECK(NAME, rc == 0);
    SOAK_CHECK(NAME, pending == 0 && in_batch == 0);
    SOAK_CHECK(NAME, loop.heap_len == 0);
    SOAK_CHECK(NAME, calls == fires + cancels);
    for (i = 0; i < NH; i++)
        SOAK_CHECK(NAME, !tm[i].scheduled);
}

int main(int argc, char **argv)
{
    struct soak_mark warm, start, end;
    long n = argc > 1 ? atol(argv[1]) : 10000000L, base;
    int i;

    if (n <= 0) {
        fprintf(stderr, "usage: soak_timers [OPS]\n");
        return 2;
    }
    coro_loop_init(&loop, heap, CAP);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    soak_touch(at_when, sizeof at_when);    /* which pages a run reaches */
    for (i = 0; i < NH; i++)
        coro_handle_init(&tm[i].h, on_fire);

    soak_mark(&warm);
    round_of(100000);
    soak_mark(&start);
    soak_line(NAME, "warm-up", &warm, &start, ops, "timer operations");
    soak_mark(&start);
    base = ops;
    calls = refused = cancels = fires = cancelled_due = 0;

    round_of(n);
    soak_mark(&end);
    printf("%s: %ld schedules, %ld refused (heap full), %ld cancels (%ld of them due), "
           "%ld fires; virtual time %.3f s\n", NAME, calls, refused, cancels, cancelled_due,
           fires, (double)coro_loop_time(&loop) / CORO_SEC);
    SOAK_CHECK(NAME, ops - base >= n);
    SOAK_CHECK(NAME, refused > 0 && cancelled_due > 0);
    soak_line(NAME, "run", &start, &end, ops - base, "timer operations");
    return soak_verdict(NAME, &start, &end);
}
