/* SPDX-License-Identifier: MIT */
/*
 * soak_tasks.c -- a million tasks spawned, a third of them cancelled, on one
 * loop, in batches of 1,000 that reuse the same frames, on the virtual clock.
 *
 *   soak_tasks [TASKS]         (default 1,000,000; a multiple of 1,000)
 *
 * Each task of a batch waits on one thing, picked at random, then returns a
 * value that says who it is:
 *   sleep      CORO_SLEEP 1 ns .. 1 ms                       -> id
 *   future     awaits a future of its own, set by the driver -> id + 5
 *   event      waits for the batch's Event, then sleep(0)    -> id
 *   lock       takes the batch's Lock, sleeps holding it     -> id
 *   queue      takes an item from the batch's Queue          -> the item
 *   await      awaits a sub-generator that sleeps (yield from) -> id + 7
 * Every body has a CORO_FINALLY section that counts its runs (and releases
 * the lock if it holds it); every task has a done callback that counts its
 * runs. The driver starts the batch, cancels an eighth of it before the
 * tasks ever run, lets the loop run, cancels another eighth while they wait,
 * sets the futures and the event and puts one item per queue task, runs a
 * little, cancels a third eighth (some are done by then: the cancel must be
 * refused), and runs the loop until nothing is left.
 *
 * Checked exactly, for every task: done, its done callback ran once; its
 * finally section ran once if its body started, never otherwise; a cancel
 * was accepted if and only if the task was not done, and then its outcome is
 * CORO_ECANCELLED, otherwise its own value; every queue item was taken by
 * exactly one task or is still in the queue; the lock is free, the timer
 * heap empty. RSS and open fds are printed after a warm-up of 10 batches and
 * at the end; they must not grow.
 */
#define _POSIX_C_SOURCE 200809L
#include "soak.h"
#include "loop.h"
#include "sync.h"

#define NAME "soak tasks"
#define BATCH 1000

enum kind { K_SLEEP, K_FUTURE, K_EVENT, K_LOCK, K_QUEUE, K_AWAIT, NKINDS };

/* A plain generator awaited by a task: sleeps, returns 7. */
struct sub {
    struct coro co;
    coro_time delay;
    int finally_runs;
    struct coro_try fin;     /* try: ... finally: of the body */
};

struct job {
    struct coro_task task;          /* first: the frame is the task */
    struct coro_handle done;        /* task.add_done_callback(...) */
    struct coro_future fut;         /* K_FUTURE: what it awaits */
    struct sub sub;                 /* K_AWAIT: what it awaits */
    coro_value r;
    coro_time delay;
    long id;
    int kind, cancel_stage;         /* 0..2: cancelled at that stage; 3+: never */
    int cancel_rc;                  /* what coro_task_cancel said (1: not called) */
    int started, held, finally_runs, done_runs;
    struct coro_try fin;     /* try: ... finally: of the body */
};

static struct coro_loop loop;
static struct coro_timer_slot heap[BATCH];
static struct job jobs[BATCH];
static struct coro_event ev;
static struct coro_lock lock;
static struct coro_queue queue;
static coro_value queue_slots[BATCH];
static unsigned char item_seen[BATCH + 1];
static uint32_t rng = 88172645u;

static long spawned, finished, cancelled, refused, before_start;

static int sub_body(struct coro *co)
{
    struct sub *s = (struct sub *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &s->fin) {
        CORO_SLEEP(co, &loop, s->delay);
        CORO_RETURN(co, coro_int(7));
    } CORO_FINALLY(co, &s->fin) {
        s->finally_runs++;
    } CORO_END_TRY(co, &s->fin);
    CORO_END(co);
}

static int job_body(struct coro *co)
{
    struct job *j = (struct job *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &j->fin) {
        j->started = 1;
        if (j->kind == K_SLEEP) {
            CORO_SLEEP(co, &loop, j->delay);
            CORO_RETURN(co, coro_int(j->id));
        } else if (j->kind == K_FUTURE) {
            CORO_AWAIT_FUTURE(co, &j->fut, j->r);
            CORO_RETURN(co, coro_int(j->id + j->r.v.i));
        } else if (j->kind == K_EVENT) {
            CORO_EVENT_WAIT(co, &ev);
            CORO_SLEEP(co, &loop, 0);
            CORO_RETURN(co, coro_int(j->id));
        } else if (j->kind == K_LOCK) {
            CORO_LOCK_ACQUIRE(co, &lock);
            j->held = 1;
            CORO_SLEEP(co, &loop, j->delay);
            CORO_RETURN(co, coro_int(j->id));
        } else if (j->kind == K_QUEUE) {
            CORO_QUEUE_GET(co, &queue, j->r);
            CORO_RETURN(co, j->r);
        } else {
            coro_init(&j->sub.co, sub_body);
            CORO_AWAIT(co, &j->sub.co, j->r);
            CORO_RETURN(co, coro_int(j->id + j->r.v.i));
        }
    } CORO_FINALLY(co, &j->fin) {
        j->finally_runs++;
        if (j->held) {
            j->held = 0;
            coro_lock_release(&lock);
        }
    } CORO_END_TRY(co, &j->fin);
    CORO_END(co);
}

static void on_done(struct coro_handle *h)
{
    CORO__CONTAINER_OF(h, struct job, done)->done_runs++;
}

/* Cancels the jobs of `stage`; the cancel must be accepted iff not done. */
static void cancel_stage(int stage)
{
    int i;
    for (i = 0; i < BATCH; i++) {
        struct job *j = &jobs[i];
        int was_done;
        if (j->cancel_stage != stage)
            continue;
        was_done = coro_future_done(&j->task.fut);
        j->cancel_rc = coro_task_cancel(&j->task);
        SOAK_CHECK(NAME, j->cancel_rc == (was_done ? CORO_ESTATE : 0));
    }
}

static void run_iterations(int n)
{
    while (n-- > 0)
        SOAK_CHECK(NAME, coro_loop_run_once(&loop) == 1);
}

/* One batch of BATCH tasks with ids base .. base + BATCH - 1. */
static void batch(long base)
{
    int i, nq = 0, rc;
    coro_value v;

    coro_event_init(&ev, &loop);
    coro_lock_init(&lock, &loop);
    coro_queue_init(&queue, &loop, queue_slots, BATCH);
    for (i = 0; i < BATCH; i++) {
        struct job *j = &jobs[i];
        memset(j, 0, sizeof *j);
        j->id = base + i;
        j->kind = (int)(soak_rand(&rng) % NKINDS);
        j->delay = 1 + (coro_time)(soak_rand(&rng) % CORO_MSEC);
        j->sub.delay = j->delay;
        j->cancel_stage = (int)(soak_rand(&rng) % 8);
        j->cancel_rc = 1;
        nq += j->kind == K_QUEUE;
        coro_future_init(&j->fut, &loop);
        SOAK_CHECK(NAME, coro_task_start(&j->task, &loop, job_body) == 0);
        coro_handle_init(&j->done, on_done);
        SOAK_CHECK(NAME, coro_future_add_done_callback(&j->task.fut, &j->done) == 0);
        spawned++;
    }
    cancel_stage(0);                        /* before any of them ran */
    run_iterations(3);                      /* all wait; the first sleeps end */
    cancel_stage(1);                        /* while they wait */
    for (i = 0; i < BATCH; i++) {
        struct job *j = &jobs[i];
        if (j->kind != K_FUTURE)
            continue;
        rc = coro_future_set_result(&j->fut, coro_int(5));
        /* a task cancelled at its await cancelled the future (asyncio) */
        SOAK_CHECK(NAME, rc == 0 || (rc == CORO_ESTATE && coro_future_cancelled(&j->fut)));
    }
    coro_event_set(&ev);
    for (i = 1; i <= nq; i++)
        SOAK_CHECK(NAME, coro_queue_put_nowait(&queue, coro_int(i)) == 0);
    run_iterations(2);
    cancel_stage(2);                        /* some are done by now */
    SOAK_CHECK(NAME, coro_loop_run_forever(&loop) == 0);

    memset(item_seen, 0, sizeof item_seen);
    for (i = 0; i < BATCH; i++) {
        struct job *j = &jobs[i];
        long want = j->kind == K_FUTURE ? j->id + 5 : j->kind == K_AWAIT ? j->id + 7 : j->id;
        SOAK_CHECK(NAME, coro_future_done(&j->task.fut));
        SOAK_CHECK(NAME, j->done_runs == 1);
        SOAK_CHECK(NAME, j->finally_runs == j->started);
        SOAK_CHECK(NAME, !j->held);
        if (j->kind == K_AWAIT && j->started)
            SOAK_CHECK(NAME, j->sub.finally_runs == 1);
        before_start += !j->started;
        rc = coro_future_result(&j->task.fut, &v);
        if (j->cancel_rc == 0) {
            SOAK_CHECK(NAME, rc == CORO_ECANCELLED && coro_future_cancelled(&j->task.fut));
            cancelled++;
            continue;
        }
        refused += j->cancel_rc == CORO_ESTATE;
        SOAK_CHECK(NAME, rc == 0 && v.type == CORO_INT);
        if (j->kind == K_QUEUE) {
            SOAK_CHECK(NAME, v.v.i >= 1 && v.v.i <= nq && !item_seen[v.v.i]);
            item_seen[v.v.i] = 1;
        } else {
            SOAK_CHECK(NAME, v.v.i == want);
        }
        finished++;
    }
    while (coro_queue_get_nowait(&queue, &v) == 0) {     /* left by cancelled getters */
        SOAK_CHECK(NAME, v.v.i >= 1 && v.v.i <= nq && !item_seen[v.v.i]);
        item_seen[v.v.i] = 1;
    }
    for (i = 1; i <= nq; i++)
        SOAK_CHECK(NAME, item_seen[i]);
    SOAK_CHECK(NAME, !coro_lock_locked(&lock));
    SOAK_CHECK(NAME, loop.heap_len == 0);
}

int main(int argc, char **argv)
{
    struct soak_mark warm, start, end;
    long n = argc > 1 ? atol(argv[1]) : 1000000L, id = 0, i;

    if (n <= 0 || n % BATCH) {
        fprintf(stderr, "usage: soak_tasks [TASKS, a multiple of %d]\n", BATCH);
        return 2;
    }
    coro_loop_init(&loop, heap, BATCH);
    coro_loop_set_clock(&loop, &coro_clock_virtual);
    soak_touch(heap, sizeof heap);          /* how much of them a batch uses */
    soak_touch(queue_slots, sizeof queue_slots);    /* depends on the batch */

    soak_mark(&warm);
    for (i = 0; i < 10; i++, id += BATCH)
        batch(id);
    soak_mark(&start);
    soak_line(NAME, "warm-up", &warm, &start, spawned, "tasks");
    soak_mark(&start);
    spawned = finished = cancelled = refused = before_start = 0;

    for (i = 0; i < n / BATCH; i++, id += BATCH)
        batch(id);
    soak_mark(&end);
    printf("%s: %ld spawned: %ld finished, %ld cancelled (%ld before they ran), "
           "%ld cancels refused (already done); virtual time %.3f s\n", NAME, spawned,
           finished, cancelled, before_start, refused, (double)coro_loop_time(&loop) / CORO_SEC);
    SOAK_CHECK(NAME, spawned == n && finished + cancelled == spawned);
    SOAK_CHECK(NAME, before_start > 0 && refused > 0);
    soak_line(NAME, "run", &start, &end, spawned, "tasks");
    return soak_verdict(NAME, &start, &end);
}
