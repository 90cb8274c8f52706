/* SPDX-License-Identifier: MIT */
/*
 * fuzz_loop.c -- fuzzes the loop (loop.h, wait.c, sync.h) against a model of
 * what asyncio would do with the same program, on the virtual clock.
 *
 * The input is decoded into a bounded program: up to 64 tasks, each a script
 * of up to 8 operations, and up to 24 driver callbacks scheduled with
 * call_at. Awaits: sleep d ms (d from a small set, so there are many ties,
 * and 0 / negative); a future; a task; gather, wait (each return_when, with a
 * timeout) and shield of futures and tasks; wait_for with a timeout; the
 * lock; queue put / get / join; an event; a bounded semaphore; a condition
 * over the lock. Each await may catch what it raises. Actions, of tasks and
 * drivers: spawn or cancel tasks; set, fail or cancel futures; call_soon /
 * call_later / cancel / attach as a done callback / detach the drivers'
 * handles; put_nowait / get_nowait / task_done; release the lock, the
 * semaphore; set / clear the event; notify; stop the loop; and a task may
 * release the lock, return a value or raise. A fixed timer heap of 0..40
 * slots makes CORO_EFULL happen; some inputs reach the ends of time
 * (deadlines near INT64_MIN and INT64_MAX, -1 as a deadline, huge and
 * negative delays and sleeps, timers re-armed in place with
 * coro_loop_rearm), where sums saturate; an optional drift moves time on by 1 ms
 * after chosen waits, as a real clock moves while callbacks run, so that
 * timers also fall due while work is ready; or chosen waits stall (return
 * before their deadline, time unmoved), which must change nothing. Spawning
 * a live task again and setting a future with waiters first try to
 * re-initialise them, which must be refused with CORO_EBUSY.
 *
 * The program runs twice: on the library, and on an independent model: a
 * small discrete-event simulation written after CPython 3.11's asyncio
 * (base_events._run_once, futures.Future, tasks.Task.__step / __wakeup /
 * cancel, sleep, gather / _GatheringFuture, wait / _wait, shield,
 * locks.Lock / Event / Semaphore, queues.Queue) plus the library's documented
 * choices (loop.h, sync.h, tests/test_sync.c's prelude): equal deadlines
 * fire in the order they were scheduled; a timer slot is freed at once when
 * its timer is cancelled; a cancelled lock waiter leaves the queue at once;
 * the queue lets no newcomer barge; a condition waiter that was notified and
 * fails passes its notification on; wait_for is a future watching its inner
 * future (its timer cancels inner, inner's completion settles it); a finished
 * wait or gather detaches its callbacks. Both write an event log (time, who,
 * what, result) and the logs must be equal, entry for entry: the exact
 * interleaving. fuzz/fuzz_loop.py checks the model itself against CPython's
 * asyncio (make fuzz-loop-asyncio).
 *
 * Independently of the model, the library run checks the invariants
 * directly: a sleep of d started at t resumes exactly at t+d (never before,
 * with the drift); a callback scheduled with call_later runs exactly at its
 * deadline (or at once if that was past; never before, with the drift),
 * after every earlier-keyed timer that was due, and never twice per
 * scheduling or after its cancel; every task ends exactly once and its done
 * callback runs exactly once; the lock is held by one task at a time and the
 * queue hands out values in the order they went in; a wait_for times out no
 * earlier than its deadline; at the end no timer is left in the heap, nothing
 * is ready and nobody waits.
 *
 * The run: the tasks marked as initial are started and the drivers
 * scheduled; run_until_complete(task 0); run_forever (again after each stop);
 * then, while tasks are pending, cancel each and run again (as asyncio.run
 * cancels what is left), until a round changes nothing: some programs
 * deadlock for good (a Condition.wait takes the lock back before it raises,
 * whatever the cancels, and the lock's holder may be waiting for it).
 *
 * A failure prints a short message (and the two logs around the first
 * difference) to stderr and aborts. Deterministic, no allocation.
 * FUZZ_LOOP_LOG=1 in the environment prints the program and both logs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wait.h"
#include "sync.h"

/* ------------------------------------------------------------------------ */
/* The program                                                              */
/* ------------------------------------------------------------------------ */

#define MAXT 64             /* tasks */
#define MAXD 24             /* driver callbacks */
#define NF 8                /* plain futures */
#define MAXOPS 8            /* operations per task */
#define MAXCAP 40           /* timer slots at most */
#define BUDGET 3            /* a driver acts on its first BUDGET runs only */
#define MAX_ITER 200000     /* loop iterations: more is a hang */
#define MAX_ROUNDS 1000     /* teardown rounds */
#define NONEV (-77777)      /* a none result in the log */
#define SKIP 1              /* an action that did nothing (not an error) */
#define FOREVER_MS (-1000)  /* wait_for without a timeout */

/* Operations of a task script. The awaiting ones first. */
enum {
    OP_SLEEP, OP_AWAIT_F, OP_AWAIT_T, OP_GATHER, OP_WAIT_FOR, OP_WAIT, OP_SHIELD, OP_LOCK,
    OP_PUT, OP_GET, OP_EV_WAIT, OP_SEM_ACQ, OP_COND_WAIT, OP_JOIN, OP_NAWAIT,
    OP_UNLOCK = OP_NAWAIT, OP_RETURN, OP_RAISE, OP_ACT
};

/* Actions, of drivers and of tasks (OP_ACT + action). */
enum {
    A_SPAWN, A_CANCEL_T, A_SET, A_SET_ERR, A_CANCEL_F, A_SOON, A_LATER, A_CANCEL_H,
    A_ADD_CB, A_REMOVE_CB, A_PUT_NW, A_GET_NW, A_RELEASE, A_STOP, A_EV_SET, A_EV_CLEAR,
    A_SEM_RELEASE, A_NOTIFY, A_NOTIFY_ALL, A_TASK_DONE, NA
};

/* Log entries. */
enum {
    L_SETUP = 1, L_AWAIT, L_OP, L_FIN, L_DRV, L_ACT, L_TD, L_PHASE, L_STOPPED,
    L_ROUND, L_CANCEL, L_STUCK
};

static const int sleep_ms[8] = { 0, 1, 1, 2, 3, 5, -1, 2 };
static const int when_ms[8] = { 0, 1, 2, 3, 5, 8, 1, 2 };
static const int later_ms[8] = { 0, 1, 2, 3, -1, 5, 1, 0 };
static const int tmo_ms[8] = { 0, 1, 2, 3, 5, FOREVER_MS, 1, 8 };

/* The ends of time: a driver whose record says so is armed at one of
 * ext_when and call_later's it by one of ext_later; a sleep whose argument
 * says so sleeps one of ext_sleep; such a driver's call_later re-arms its
 * timer if it is armed (coro_loop_rearm: cancel + call_later). Deadlines near both ends of int64, the
 * value of CORO_FOREVER (-1) as a deadline, negative delays; sums saturate
 * (loop.h), in the model as in the library. The library's nanosecond is
 * the program's millisecond (UNIT), so that these are exact on both sides. */
#define UNIT 1
static const long long ext_when[8] = {
    INT64_MIN, INT64_MIN + 1, -1, -2, INT64_MAX, INT64_MAX - 1, INT64_MAX / 2, -(INT64_MAX / 2)
};
static const long long ext_later[8] = {
    INT64_MAX, INT64_MIN, -1, INT64_MAX - 1, INT64_MIN + 1, -2, INT64_MAX / 2, 1
};
static const long long ext_sleep[8] = {
    INT64_MAX, INT64_MAX - 1, INT64_MAX / 2, INT64_MIN, -1, 1, INT64_MAX / 3, 2
};

/* a + b, saturated at the ends of int64 (loop.c's time_add). */
static long long sat_add(long long a, long long b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

/* Whether a sleep's argument byte asks for an extreme duration (below). */
static int ext_sleep_arg(int x);

/* How a script byte (its low 7 bits) maps to an operation: awaits are the
 * most frequent. */
#define R2(a) a, a
#define R3(a) a, a, a
#define R4(a) R2(a), R2(a)
#define R5(a) R4(a), a
#define R6(a) R3(a), R3(a)
static const unsigned char op_table[128] = {
    R6(OP_SLEEP), R4(OP_SLEEP), R6(OP_AWAIT_F), R4(OP_AWAIT_T), R5(OP_GATHER),
    R5(OP_WAIT_FOR), R5(OP_WAIT), R3(OP_SHIELD), R6(OP_LOCK), R4(OP_PUT), R5(OP_GET),
    R4(OP_EV_WAIT), R4(OP_SEM_ACQ), R5(OP_COND_WAIT), R2(OP_JOIN),          /* 68 */
    R4(OP_UNLOCK), R2(OP_RETURN), R3(OP_RAISE),                             /* 77 */
    R4(OP_ACT + A_SPAWN), R5(OP_ACT + A_CANCEL_T), R4(OP_ACT + A_SET),
    R3(OP_ACT + A_SET_ERR), R3(OP_ACT + A_CANCEL_F), R3(OP_ACT + A_SOON),
    R3(OP_ACT + A_LATER), R3(OP_ACT + A_CANCEL_H), R2(OP_ACT + A_ADD_CB),
    R2(OP_ACT + A_REMOVE_CB), R3(OP_ACT + A_PUT_NW), R3(OP_ACT + A_GET_NW),
    OP_ACT + A_RELEASE, OP_ACT + A_STOP, R3(OP_ACT + A_EV_SET), OP_ACT + A_EV_CLEAR,
    R2(OP_ACT + A_SEM_RELEASE), R2(OP_ACT + A_NOTIFY), OP_ACT + A_NOTIFY_ALL,
    R2(OP_ACT + A_TASK_DONE)                                                /* 128 */
};

struct op {
    unsigned char kind, x, catch_;
};

static struct prog {
    int cap, qcap, drift, stall, sem, nt, nd, ext;
    struct ptask {
        int nops, start;
        struct op ops[MAXOPS];
    } t[MAXT];
    struct pdrv {
        long long when;
        int armed0, ext;                /* ext: at the ends of time */
        unsigned char a, b;
    } d[MAXD];
} P;

/* Decodes the input: byte 0 the heap capacity (and the semaphore's value;
 * from 205 up, it also lets drivers and sleeps ask for the ends of time),
 * byte 1 the queue capacity (bits 0-1) and the clock's drift (bits 2-6, if
 * bit 7 is set; else the waits that stall), then records: a byte with the top bit set starts a driver
 * (3 bytes: when / armed / at the ends of time if bits 3-5 are all set, action,
 * argument), else a task (1 + 2 * nops
 * bytes: the low 3 bits are nops - 1, bit 3 starts it at once; each op is a
 * kind byte (low 7 bits: op_table; bit 7: the op catches what it raises)
 * and an argument byte). 0 if there is nothing to run. */
static int decode(const uint8_t *data, size_t size)
{
    size_t i = 2;
    memset(&P, 0, sizeof P);
    if (size < 3)
        return 0;
    P.cap = data[0] % (MAXCAP + 1);
    P.sem = 1 + (data[0] / (MAXCAP + 1)) % 3;
    P.ext = data[0] >= 205;
    P.qcap = 1 + (data[1] & 3);
    P.drift = data[1] & 0x80 ? (data[1] >> 2) & 31 : 0;
    P.stall = data[1] & 0x80 ? 0 : (data[1] >> 2) & 31;
    while (i < size) {
        unsigned r = data[i++];
        if (r & 0x80) {
            struct pdrv *d = &P.d[P.nd];
            if (i + 2 > size)
                break;
            if (P.nd < MAXD) {
                d->ext = P.ext && (r & 0x38) == 0x38;
                d->when = d->ext ? ext_when[r & 7] : when_ms[r & 7];
                d->armed0 = !(r & 0x40);
                d->a = data[i];
                d->b = data[i + 1];
                P.nd++;
            }
            i += 2;
        } else {
            struct ptask *t = &P.t[P.nt];
            int n = 1 + (int)(r & 7), k;
            if (P.nt == MAXT) {
                i += 2 * (size_t)n;
                continue;
            }
            t->start = (r & 8) != 0;
            for (k = 0; k < n && i + 2 <= size; k++, i += 2) {
                t->ops[k].kind = op_table[data[i] & 127];
                t->ops[k].catch_ = (unsigned char)(data[i] >> 7);
                t->ops[k].x = data[i + 1];
            }
            if (k == 0)
                break;
            t->nops = k;
            P.nt++;
        }
    }
    if (P.nt == 0)
        return 0;
    P.t[0].start = 1;
    return 1;
}

/* Whether the wait of iteration i returns at once, before its deadline, as a
 * wait cut short by a signal or a spurious wake-up does (a stalling clock):
 * nothing may fire early, nothing observable may change. Never twice in a
 * row. */
static int stalls(long i)
{
    return (P.stall >> (i % 5)) & 1;
}

/* How far time moves on by itself in iteration i (counting from 1), after
 * the wait: 0 or 1 ms, as a real clock moves while callbacks run. */
static int drift_ms(long i)
{
    return (P.drift >> (i % 5)) & 1;
}

/* Arguments of the operations, from their argument byte. */
static int arg_fut(int x) { return x & 7; }
static int arg_task(int x) { return x % P.nt; }
static int arg_err(int x) { return 1 + (x >> 3) % 9; }
static int arg_val(int x) { return x >> 3; }
static int arg_handle(int x) { return P.nd ? (x & 31) % P.nd : -1; }
static int arg_handle_hi(int x) { return P.nd ? (x >> 3) % P.nd : -1; }
/* Whether a sleep's argument byte asks for an extreme duration. */
static int ext_sleep_arg(int x) { return P.ext && (x >> 3) == 31; }

/* A sleep's duration; call_later's delay for driver h, argument byte b. */
static long long arg_sleep(int x) { return ext_sleep_arg(x) ? ext_sleep[x & 7] : sleep_ms[x & 7]; }
static long long arg_later(int h, int b) { return P.d[h].ext ? ext_later[b >> 5] : later_ms[b >> 5]; }
/* wait's return_when: CORO_ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION. */
static int arg_mode(int x) { return (x >> 1) % 3; }
/* A task above `self` (awaits only go upwards: no cycles), or -1. */
static int arg_higher(int self, int x)
{
    return self + 1 < P.nt ? self + 1 + x % (P.nt - self - 1) : -1;
}

/* ------------------------------------------------------------------------ */
/* Event logs                                                               */
/* ------------------------------------------------------------------------ */

#define LOGCAP 16384

struct rec {
    int32_t t, kind, a, b, c, d;
};

struct log {
    struct rec r[LOGCAP];
    long n;
};

static struct log llog, mlog;

static void log_add(struct log *l, long long t_ms, int kind, int a, int b, int c, int d)
{
    if (l->n < LOGCAP) {
        struct rec *r = &l->r[l->n];
        r->t = (int32_t)t_ms;
        r->kind = kind;
        r->a = a;
        r->b = b;
        r->c = c;
        r->d = d;
    }
    l->n++;
}

static void print_logs(long from, long to);

/* Reports a failure (with the end of the library's log next to the model's)
 * and aborts. */
static void fail(const char *msg)
{
    long n = llog.n ? llog.n : mlog.n;
    fprintf(stderr, "fuzz_loop: %s\n", msg);
    print_logs(n - 12, n + 2);
    abort();
}

#define CHECK(cond, msg) do { if (!(cond)) fail(msg); } while (0)

/* ------------------------------------------------------------------------ */
/* The library run                                                          */
/* ------------------------------------------------------------------------ */

struct ltask;

/* One awaiting operation, run as a generator the task awaits (so that what
 * it raises can be caught: CORO_AWAIT_CATCH). */
struct opgen {
    struct coro co;
    struct ltask *t;
    int kind, v;
    coro_time ns;
    struct coro_future *fut;
    coro_value r;
};

struct ltask {
    struct coro_task task;          /* first */
    int id, pc, spawned, finals, tdruns;
    struct opgen sub;
    coro_value r;
    coro_time t0, span;             /* when the op began; its sleep / timeout */
    struct coro_future *gch[3];
    uint32_t gn;
    struct coro_watch gwatch[3];
    struct coro_wait gw;            /* gather and wait */
    struct coro_wait_for wf;
    struct coro_shield sh;
    struct coro_condition_waiter cw;
    struct coro_try fin;     /* try: ... finally: of the body */
};

enum { HS_IDLE, HS_READY, HS_TIMER, HS_FUTCB };

struct ldrv {
    struct coro_handle h;           /* first */
    int id, runs;
    int state, fut;                 /* shadow: where the handle is */
    coro_time when, armed_at;
    uint32_t armseq;
    long armed_iter;
};

struct ltd {
    struct coro_handle h;           /* first */
    int id;
};

static struct {
    struct coro_loop loop;
    struct coro_timer_slot heap[MAXCAP];
    struct coro_future f[NF];
    struct coro_lock lock;
    struct coro_queue q;
    struct coro_event ev;
    struct coro_semaphore sem;
    struct coro_condition cond;
    coro_value qslots[4];
    struct ltask t[MAXT];
    struct ldrv d[MAXD];
    struct ltd td[MAXT];
    int owner;                      /* the task holding the lock, or -1 */
    int qshadow[8], qhead, qlen;    /* the values in the queue, in order */
    int phase, stop_req;
    uint32_t armseq;
    long iters;
} L;

static long long lnow(void)
{
    return (long long)(L.loop.now / UNIT);
}

static void llogv(int kind, int a, int b, int c, int d)
{
    log_add(&llog, lnow(), kind, a, b, c, d);
}

static int vint(coro_value v)
{
    return v.type == CORO_NONE ? NONEV : (int)v.v.i;
}

/* The virtual clock, counting iterations (its wait runs once each), with
 * the program's drift after each wait. */
static coro_time cnt_now(struct coro_loop *l)
{
    return coro_clock_virtual.now(l);
}

static int cnt_wait(struct coro_loop *l, coro_time deadline)
{
    static long stalled = -2;
    int rc;
    if (++L.iters > MAX_ITER)
        fail("library: no end in sight (iteration limit)");
    CHECK(deadline == CORO_FOREVER || deadline >= l->now, "a deadline before the loop time");
    if (deadline != CORO_FOREVER && deadline > l->vnow && stalls(L.iters) &&
        stalled != L.iters - 1) {
        stalled = L.iters;
        return 0;                       /* back early: time has not moved */
    }
    rc = coro_clock_virtual.wait(l, deadline);
    if (rc == 0)
        l->vnow = sat_add(l->vnow, drift_ms(L.iters) * UNIT);
    return rc;
}

static const struct coro_clock counting_clock = { cnt_now, cnt_wait };

static int task_body(struct coro *co);
static void td_run(struct coro_handle *h);

static int lib_spawn(int j)
{
    struct ltask *t = &L.t[j];
    if (t->spawned) {
        /* re-initialising a live task is refused and changes nothing */
        if (!coro_future_done(&t->task.fut))
            CHECK(coro_task_start(&t->task, &L.loop, task_body) == CORO_EBUSY,
                  "task_start of a live task was not CORO_EBUSY");
        return SKIP;
    }
    t->spawned = 1;
    t->id = j;
    CHECK(coro_task_start(&t->task, &L.loop, task_body) == 0, "task_start");
    L.td[j].id = j;
    coro_handle_init(&L.td[j].h, td_run);
    CHECK(coro_future_add_done_callback(&t->task.fut, &L.td[j].h) == 0, "add_done_callback");
    return 0;
}

/* Where the shadow says driver d's handle is (a done callback of a future
 * that is done has been queued). */
static int drv_where(const struct ldrv *d)
{
    if (d->state == HS_FUTCB && coro_future_done(&L.f[d->fut]))
        return HS_READY;
    return d->state;
}

static void qshadow_push(int v)
{
    CHECK(L.qlen < 8, "queue shadow overflow");
    L.qshadow[(L.qhead + L.qlen++) % 8] = v;
}

static void qshadow_pop(int v)
{
    CHECK(L.qlen > 0, "queue gave a value nobody put");
    CHECK(L.qshadow[L.qhead] == v, "queue is not FIFO");
    L.qhead = (L.qhead + 1) % 8;
    L.qlen--;
}

enum { ARM_AT, ARM_LATER, ARM_REARM };

/* Arms driver h's timer: call_at(t), call_later(t) or rearm(t) (`how`); the
 * result code. */
static int lib_arm(int h, coro_time t, int how)
{
    struct ldrv *d = &L.d[h];
    coro_time when = how == ARM_AT ? t : sat_add(L.loop.now, t);
    int rc = how == ARM_AT ? coro_loop_call_at(&L.loop, &d->h, t)
           : how == ARM_LATER ? coro_loop_call_later(&L.loop, &d->h, t)
           : coro_loop_rearm(&L.loop, &d->h, t);
    if (rc == 0) {
        CHECK(d->state == HS_IDLE || (how == ARM_REARM && d->state == HS_TIMER),
              "call_at accepted a scheduled handle");
        d->state = HS_TIMER;
        d->when = when;
        d->armed_at = L.loop.now;
        d->armseq = ++L.armseq;
        d->armed_iter = L.iters;
    } else if (rc == CORO_EBUSY) {
        CHECK(drv_where(d) != HS_IDLE, "call_at: EBUSY for an idle handle");
    } else {
        CHECK(rc == CORO_EFULL && L.loop.heap_len == L.loop.heap_cap, "call_at: bad EFULL");
    }
    return rc;
}

/* Does action `kind` with argument byte b; *val gets a value, if any. */
static int lib_act(int kind, int b, int *val)
{
    int rc = 0, j, k, h;
    coro_value v;
    *val = NONEV;
    switch (kind) {
    case A_SPAWN:
        return lib_spawn(arg_task(b));
    case A_CANCEL_T:
        j = arg_task(b);
        if (!L.t[j].spawned)
            return SKIP;
        return (b & 0x80) ? coro_future_cancel(&L.t[j].task.fut) : coro_task_cancel(&L.t[j].task);
    case A_SET:
        /* re-initialising a future with waiters is refused, changing nothing */
        if (!coro_future_done(&L.f[arg_fut(b)]) && L.f[arg_fut(b)].waiters.tail)
            CHECK(coro_future_init(&L.f[arg_fut(b)], &L.loop) == CORO_EBUSY,
                  "future_init of a future with waiters was not CORO_EBUSY");
        return coro_future_set_result(&L.f[arg_fut(b)], coro_int(arg_val(b)));
    case A_SET_ERR:
        return coro_future_set_error(&L.f[arg_fut(b)], arg_err(b));
    case A_CANCEL_F:
        return coro_future_cancel(&L.f[arg_fut(b)]);
    case A_SOON:
        if ((h = arg_handle(b)) < 0)
            return SKIP;
        rc = coro_loop_call_soon(&L.loop, &L.d[h].h);
        if (rc == 0) {
            CHECK(L.d[h].state == HS_IDLE, "call_soon accepted a scheduled handle");
            L.d[h].state = HS_READY;
        } else {
            CHECK(rc == CORO_EBUSY && drv_where(&L.d[h]) != HS_IDLE, "call_soon: bad error");
        }
        return rc;
    case A_LATER:
        if ((h = arg_handle(b)) < 0)
            return SKIP;
        return lib_arm(h, arg_later(h, b) * UNIT, P.d[h].ext ? ARM_REARM : ARM_LATER);
    case A_CANCEL_H:
        if ((h = arg_handle(b)) < 0)
            return SKIP;
        rc = coro_loop_cancel(&L.loop, &L.d[h].h);
        k = drv_where(&L.d[h]);
        CHECK((rc == 0) == (k == HS_READY || k == HS_TIMER), "cancel: wrong result");
        if (rc == 0)
            L.d[h].state = HS_IDLE;
        return rc;
    case A_ADD_CB:
        if ((h = arg_handle_hi(b)) < 0)
            return SKIP;
        k = arg_fut(b);
        rc = coro_future_add_done_callback(&L.f[k], &L.d[h].h);
        if (rc == 0) {
            CHECK(L.d[h].state == HS_IDLE, "add_done_callback accepted a scheduled handle");
            L.d[h].state = HS_FUTCB;
            L.d[h].fut = k;
        } else {
            CHECK(drv_where(&L.d[h]) != HS_IDLE, "add_done_callback: bad EBUSY");
        }
        return rc;
    case A_REMOVE_CB:
        if ((h = arg_handle_hi(b)) < 0)
            return SKIP;
        k = arg_fut(b);
        rc = coro_future_remove_done_callback(&L.f[k], &L.d[h].h);
        CHECK((rc == 0) == (drv_where(&L.d[h]) == HS_FUTCB && L.d[h].fut == k),
              "remove_done_callback: wrong result");
        if (rc == 0)
            L.d[h].state = HS_IDLE;
        return rc;
    case A_PUT_NW:
        rc = coro_queue_put_nowait(&L.q, coro_int(b));
        if (rc == 0)
            qshadow_push(b);
        return rc;
    case A_GET_NW:
        rc = coro_queue_get_nowait(&L.q, &v);
        if (rc == 0) {
            *val = vint(v);
            qshadow_pop(*val);
        }
        return rc;
    case A_RELEASE:
        rc = coro_lock_release(&L.lock);
        if (rc == 0)
            L.owner = -1;
        return rc;
    case A_STOP:
        if (L.phase < 2)
            return SKIP;
        coro_loop_stop(&L.loop);
        L.stop_req = 1;
        return 0;
    case A_EV_SET:
        coro_event_set(&L.ev);
        return 0;
    case A_EV_CLEAR:
        coro_event_clear(&L.ev);
        return 0;
    case A_SEM_RELEASE:
        return coro_semaphore_release(&L.sem);
    case A_NOTIFY:
        return coro_condition_notify(&L.cond, 1 + (b & 1));
    case A_NOTIFY_ALL:
        return coro_condition_notify_all(&L.cond);
    case A_TASK_DONE:
        return coro_queue_task_done(&L.q);
    }
    return SKIP;
}

/* A driver callback runs. */
static void drv_run(struct coro_handle *h)
{
    struct ldrv *d = (struct ldrv *)(void *)h;
    int i, rc, val;
    int where = drv_where(d);
    CHECK(where == HS_READY || where == HS_TIMER, "a callback ran that was not scheduled");
    if (where == HS_TIMER) {
        coro_time due = d->when > d->armed_at ? d->when : d->armed_at;
        CHECK(P.drift ? L.loop.now >= d->when : L.loop.now == due,
              "a timer ran before or after its deadline");
        for (i = 0; i < P.nd; i++) {
            const struct ldrv *o = &L.d[i];
            if (o != d && o->state == HS_TIMER && o->armed_iter < L.iters &&
                o->when <= L.loop.now &&
                (o->when < d->when || (o->when == d->when && o->armseq < d->armseq)))
                fail("timers ran out of (deadline, scheduling) order");
        }
    }
    d->state = HS_IDLE;
    d->runs++;
    llogv(L_DRV, d->id, d->runs, 0, 0);
    if (d->runs <= BUDGET) {
        rc = lib_act(P.d[d->id].a % NA, P.d[d->id].b, &val);
        llogv(L_ACT, d->id, P.d[d->id].a % NA, rc, val);
    }
}

/* A task's done callback runs. */
static void td_run(struct coro_handle *h)
{
    struct ltd *td = (struct ltd *)(void *)h;
    struct ltask *t = &L.t[td->id];
    coro_value v = coro_none();
    int rc = coro_future_result(&t->task.fut, &v);
    CHECK(coro_future_done(&t->task.fut), "done callback of a pending task");
    CHECK(++t->tdruns == 1, "a task's done callback ran twice");
    CHECK(coro_state(&t->task.co) == CORO_CLOSED, "a done task's coroutine is not closed");
    llogv(L_TD, td->id, rc, rc ? NONEV : vint(v), coro_future_cancelled(&t->task.fut));
}

static int op_body(struct coro *co)
{
    struct opgen *g = (struct opgen *)co;
    struct ltask *t = g->t;
    CORO_BEGIN(co);
    g->r = coro_none();
    if (g->kind == OP_SLEEP) {
        CORO_SLEEP(co, &L.loop, g->ns);
    } else if (g->kind == OP_AWAIT_F || g->kind == OP_AWAIT_T) {
        CORO_AWAIT_FUTURE(co, g->fut, g->r);
    } else if (g->kind == OP_GATHER) {
        if ((co->err = coro_gather(&t->gw, &L.loop, t->gch, t->gwatch, t->gn)) != 0)
            CORO_RAISE(co, co->err);
        CORO_AWAIT_FUTURE(co, &t->gw.fut, g->r);
    } else if (g->kind == OP_WAIT_FOR) {
        if ((co->err = coro_wait_for(&t->wf, &L.loop, g->fut, g->ns)) != 0)
            CORO_RAISE(co, co->err);
        CORO_AWAIT_FUTURE(co, &t->wf.fut, g->r);
    } else if (g->kind == OP_WAIT) {
        if ((co->err = coro_wait(&t->gw, &L.loop, t->gch, t->gwatch, t->gn,
                                 (enum coro_wait_mode)g->v, g->ns)) != 0)
            CORO_RAISE(co, co->err);
        CORO_AWAIT_FUTURE(co, &t->gw.fut, g->r);
    } else if (g->kind == OP_SHIELD) {
        if ((co->err = coro_shield(&t->sh, &L.loop, g->fut)) != 0)
            CORO_RAISE(co, co->err);
        CORO_AWAIT_FUTURE(co, &t->sh.fut, g->r);
    } else if (g->kind == OP_LOCK) {
        CORO_LOCK_ACQUIRE(co, &L.lock);
    } else if (g->kind == OP_PUT) {
        CORO_QUEUE_PUT(co, &L.q, coro_int(g->v));
    } else if (g->kind == OP_GET) {
        CORO_QUEUE_GET(co, &L.q, g->r);
    } else if (g->kind == OP_EV_WAIT) {
        CORO_EVENT_WAIT(co, &L.ev);
    } else if (g->kind == OP_SEM_ACQ) {
        CORO_SEMAPHORE_ACQUIRE(co, &L.sem);
    } else if (g->kind == OP_COND_WAIT) {
        CORO_CONDITION_WAIT(co, &L.cond, &t->cw);
    } else if (g->kind == OP_JOIN) {
        CORO_QUEUE_JOIN(co, &L.q);
    }
    CORO_RETURN(co, g->r);
    CORO_END(co);
}

/* Prepares the awaiting op at t->pc; 0 if it is skipped. */
static int lib_op_prepare(struct ltask *t)
{
    const struct op *op = &P.t[t->id].ops[t->pc];
    struct opgen *g = &t->sub;
    int j, k;
    coro_init(&g->co, op_body);
    g->t = t;
    g->kind = op->kind;
    g->ns = 0;
    g->v = op->x;
    t->t0 = L.loop.now;
    switch (op->kind) {
    case OP_SLEEP:
        g->ns = arg_sleep(op->x) * UNIT;
        t->span = g->ns > 0 ? g->ns : 0;
        break;
    case OP_AWAIT_F:
        g->fut = &L.f[arg_fut(op->x)];
        break;
    case OP_AWAIT_T:
        if ((j = arg_higher(t->id, op->x)) < 0)
            return 0;
        lib_spawn(j);
        g->fut = &L.t[j].task.fut;
        break;
    case OP_GATHER:
    case OP_WAIT:
        t->gn = 0;
        k = arg_fut(op->x);
        t->gch[t->gn++] = &L.f[k];
        if ((op->x & 8) && (j = arg_higher(t->id, op->x >> 4)) >= 0) {
            lib_spawn(j);
            t->gch[t->gn++] = &L.t[j].task.fut;
        }
        if ((op->x & 0x80) && ((op->x >> 4) & 7) != k)
            t->gch[t->gn++] = &L.f[(op->x >> 4) & 7];
        if (op->kind == OP_WAIT) {
            g->v = arg_mode(op->x);
            k = tmo_ms[(op->x >> 4) & 7];
            g->ns = k == FOREVER_MS ? CORO_FOREVER : k * UNIT;
        }
        break;
    case OP_WAIT_FOR:
    case OP_SHIELD:
        j = (op->x & 1) ? arg_higher(t->id, op->x >> 1) : -1;
        if (j >= 0) {
            lib_spawn(j);
            g->fut = &L.t[j].task.fut;
        } else {
            g->fut = &L.f[(op->x >> 1) & 7];
        }
        k = tmo_ms[(op->x >> 4) & 7];
        g->ns = k == FOREVER_MS ? CORO_FOREVER : k * UNIT;
        t->span = g->ns;
        break;
    case OP_COND_WAIT:
        if (coro_lock_locked(&L.lock))
            L.owner = -1;       /* the wait releases it, and takes it back */
        break;
    }
    return 1;
}

/* The done children of a wait, as a bit mask. */
static int lib_done_mask(const struct ltask *t)
{
    int m = 0;
    uint32_t i;
    for (i = 0; i < t->gn; i++)
        if (coro_future_done(t->gch[i]))
            m |= 1 << i;
    return m;
}

/* After the awaiting op at t->pc: logs it and checks it. 1 if its error
 * propagates. */
static int lib_op_after(struct ltask *t, int err)
{
    const struct op *op = &P.t[t->id].ops[t->pc];
    int v = err ? NONEV : op->kind == OP_WAIT ? lib_done_mask(t) : vint(t->r);
    llogv(L_OP, t->id, t->pc, err, v);
    if (op->kind == OP_SLEEP && !err)
        CHECK(P.drift ? L.loop.now >= sat_add(t->t0, t->span)
                      : L.loop.now == sat_add(t->t0, t->span),
              "a sleep did not resume exactly at its end");
    if (op->kind == OP_WAIT_FOR && err == CORO_ETIMEDOUT &&
        coro_future_result(t->sub.fut, NULL) != CORO_ETIMEDOUT)  /* not inner's own */
        CHECK(t->span != CORO_FOREVER && L.loop.now >= sat_add(t->t0, t->span),
              "wait_for timed out before its deadline");
    if ((op->kind == OP_LOCK && !err) || (op->kind == OP_COND_WAIT && err != CORO_ESTATE)) {
        CHECK(L.owner == -1 && coro_lock_locked(&L.lock), "two tasks hold the lock");
        L.owner = t->id;
    }
    if (op->kind == OP_PUT && !err)
        qshadow_push(op->x);
    if (op->kind == OP_GET && !err)
        qshadow_pop(v);
    return err && !op->catch_;
}

/* A sync op at t->pc: 0 go on, 1 return *v, 2 raise *v. */
static int lib_sync_op(struct ltask *t, int *v)
{
    const struct op *op = &P.t[t->id].ops[t->pc];
    int rc, val = NONEV;
    if (op->kind == OP_RETURN) {
        *v = arg_val(op->x);
        llogv(L_OP, t->id, t->pc, 0, *v);
        return 1;
    }
    if (op->kind == OP_RAISE) {
        *v = arg_err(op->x);
        llogv(L_OP, t->id, t->pc, *v, NONEV);
        return 2;
    }
    if (op->kind == OP_UNLOCK) {
        if (L.owner != t->id) {
            rc = SKIP;
        } else {
            rc = coro_lock_release(&L.lock);
            CHECK(rc == 0, "the owner could not release the lock");
            L.owner = -1;
        }
    } else {
        rc = lib_act(op->kind - OP_ACT, op->x, &val);
    }
    llogv(L_OP, t->id, t->pc, rc, val);
    return 0;
}

static int task_body(struct coro *co)
{
    struct ltask *t = (struct ltask *)(void *)co;
    int err = 0, end;
    CORO_BEGIN(co);
    CORO_TRY(co, &t->fin) {
        for (t->pc = 0; t->pc < P.t[t->id].nops; t->pc++) {
            if (P.t[t->id].ops[t->pc].kind >= OP_NAWAIT) {
                end = lib_sync_op(t, &err);
                if (end == 1)
                    CORO_RETURN(co, coro_int(err));
                if (end == 2)
                    CORO_RAISE(co, err);
                continue;
            }
            llogv(L_AWAIT, t->id, t->pc, 0, 0);
            if (!lib_op_prepare(t)) {
                llogv(L_OP, t->id, t->pc, SKIP, NONEV);
                continue;
            }
            t->r = coro_none();
            CORO_AWAIT_CATCH(co, &t->sub.co, t->r, err);
            if (lib_op_after(t, err))
                CORO_RAISE(co, err);
        }
        CORO_RETURN(co, coro_none());
    } CORO_FINALLY(co, &t->fin) {
        CHECK(++t->finals == 1, "a task's finally ran twice");
        if (L.owner == t->id) {
            end = coro_lock_release(&L.lock);
            CHECK(end == 0, "the owner could not release the lock");
            L.owner = -1;
            llogv(L_FIN, t->id, end, 0, 0);
        }
    } CORO_END_TRY(co, &t->fin);
    CORO_END(co);
}

/* run_forever, again after each stop. */
static void lib_run_all(void)
{
    for (;;) {
        CHECK(coro_loop_run_forever(&L.loop) == 0, "run_forever failed");
        if (!L.stop_req)
            break;
        L.stop_req = 0;
        llogv(L_STOPPED, 0, 0, 0, 0);
    }
}

static void run_lib(void)
{
    int i, rc, round, stuck = 0;
    coro_value v = coro_none();
    memset(&L, 0, sizeof L);
    llog.n = 0;
    L.owner = -1;
    CHECK(coro_loop_init(&L.loop, L.heap, (uint32_t)P.cap) == 0, "loop_init");
    coro_loop_set_clock(&L.loop, &counting_clock);
    for (i = 0; i < NF; i++)
        coro_future_init(&L.f[i], &L.loop);
    CHECK(coro_lock_init(&L.lock, &L.loop) == 0, "lock_init");
    CHECK(coro_queue_init(&L.q, &L.loop, L.qslots, (size_t)P.qcap) == 0, "queue_init");
    CHECK(coro_event_init(&L.ev, &L.loop) == 0, "event_init");
    CHECK(coro_semaphore_init(&L.sem, &L.loop, P.sem, 1) == 0, "semaphore_init");
    CHECK(coro_condition_init(&L.cond, &L.lock) == 0, "condition_init");
    for (i = 0; i < P.nd; i++) {
        L.d[i].id = i;
        coro_handle_init(&L.d[i].h, drv_run);
    }
    for (i = 0; i < P.nt; i++)
        if (P.t[i].start)
            lib_spawn(i);
    for (i = 0; i < P.nd; i++)
        if (P.d[i].armed0)
            llogv(L_SETUP, i, lib_arm(i, P.d[i].when * UNIT, ARM_AT), 0, 0);

    L.phase = 1;
    rc = coro_loop_run_until_complete(&L.loop, &L.t[0].task.fut, &v);
    llogv(L_PHASE, 1, rc, rc ? NONEV : vint(v), 0);
    L.phase = 2;
    lib_run_all();
    L.phase = 3;
    for (round = 0; round < MAX_ROUNDS; round++) {
        int any = 0;
        long before;
        for (i = 0; i < P.nt; i++) {
            if (!L.t[i].spawned || coro_future_done(&L.t[i].task.fut))
                continue;
            if (!any)
                llogv(L_ROUND, round, 0, 0, 0);
            any = 1;
            llogv(L_CANCEL, i, coro_task_cancel(&L.t[i].task), 0, 0);
        }
        if (!any)
            break;
        before = llog.n;
        lib_run_all();
        if (llog.n == before) {         /* nothing happened: it never will */
            llogv(L_STUCK, round, 0, 0, 0);
            stuck = 1;
            break;
        }
    }

    /* the end: everything finished once, nothing left in the loop */
    for (i = 0; i < P.nt; i++) {
        if (!L.t[i].spawned)
            continue;
        CHECK(stuck || coro_future_done(&L.t[i].task.fut), "a task never finished");
        CHECK(L.t[i].tdruns == coro_future_done(&L.t[i].task.fut),
              "a task's done callback did not run once");
    }
    CHECK(L.loop.heap_len == 0, "timers left in the heap");
    CHECK(!L.loop.ready.tail && !L.loop.batch.tail,
          "handles left on the ready queue");
    CHECK(stuck || (!coro_lock_locked(&L.lock) && !L.lock.waiters.tail && !L.lock.woken),
          "the lock is left locked or waited for");
    CHECK(stuck || (!L.q.getters.tail && !L.q.putters.tail && !L.q.got && !L.q.put &&
                    !L.q.joiners.tail), "tasks left waiting on the queue");
    CHECK(stuck || (!L.ev.waiters.tail && !L.sem.waiters.tail && !L.sem.woken &&
                    !L.cond.waiters.tail),
          "tasks left waiting on the event, the semaphore or the condition");
    for (i = 0; i < P.nd; i++) {
        int w = drv_where(&L.d[i]);
        CHECK(w == HS_IDLE || w == HS_FUTCB, "a callback is still scheduled");
        CHECK((L.d[i].h.u.idle != 0) == (w == HS_FUTCB), "a callback's handle is not idle");
    }
}

/* The model of asyncio, in a file of its own so that it can be read and
 * checked against CPython on its own (make fuzz-loop-asyncio). */
#include "loop_model.h"

/* ------------------------------------------------------------------------ */
/* Comparing the logs                                                       */
/* ------------------------------------------------------------------------ */

static const char *const kind_name[] = {
    "?", "setup", "await", "op", "fin", "drv", "act", "td", "phase", "stopped",
    "round", "cancel", "stuck"
};

static void print_rec(const char *who, long i, const struct rec *r)
{
    fprintf(stderr, "  %s %4ld t=%d %s %d %d %d %d\n", who, i, (int)r->t,
            r->kind > 0 && r->kind <= L_STUCK ? kind_name[r->kind] : "?",
            (int)r->a, (int)r->b, (int)r->c, (int)r->d);
}

static void print_logs(long from, long to)
{
    long i;
    for (i = from < 0 ? 0 : from; i < to && i < LOGCAP; i++) {
        if (i < llog.n)
            print_rec("lib  ", i, &llog.r[i]);
        if (i < mlog.n)
            print_rec("model", i, &mlog.r[i]);
    }
}

static void compare(void)
{
    long i, n = llog.n < mlog.n ? llog.n : mlog.n;
    if (n > LOGCAP)
        n = LOGCAP;
    for (i = 0; i < n; i++)
        if (memcmp(&llog.r[i], &mlog.r[i], sizeof llog.r[i]) != 0)
            break;
    if (i == n && llog.n == mlog.n)
        return;
    fprintf(stderr, "fuzz_loop: logs differ at entry %ld (library %ld entries, model %ld)\n",
            i, llog.n, mlog.n);
    print_logs(i - 12, i + 4);
    fail("the library's order of events is not the model's");
}

static const char *const op_name[] = {
    "sleep", "await_f", "await_t", "gather", "wait_for", "wait", "shield", "lock", "put",
    "get", "ev_wait", "sem_acq", "cond_wait", "join", "unlock", "return", "raise"
};
static const char *const act_name[] = {
    "spawn", "cancel_t", "set", "set_err", "cancel_f", "soon", "later", "cancel_h",
    "add_cb", "remove_cb", "put_nw", "get_nw", "release", "stop", "ev_set", "ev_clear",
    "sem_release", "notify", "notify_all", "task_done"
};

/* The decoded program (FUZZ_LOOP_LOG set: debugging). */
static void print_prog(void)
{
    int i, k;
    fprintf(stderr, "heap cap %d, queue cap %d, drift %d, semaphore %d\n", P.cap, P.qcap,
            P.drift, P.sem);
    for (i = 0; i < P.nt; i++) {
        fprintf(stderr, "task %d%s:", i, P.t[i].start ? " (start)" : "");
        for (k = 0; k < P.t[i].nops; k++) {
            const struct op *op = &P.t[i].ops[k];
            fprintf(stderr, " %s%s(%d)", op->kind >= OP_ACT ? act_name[op->kind - OP_ACT]
                    : op_name[op->kind], op->catch_ ? "?" : "", op->x);
        }
        fprintf(stderr, "\n");
    }
    for (i = 0; i < P.nd; i++)
        fprintf(stderr, "driver %d: at %lld%s: %s(%d)\n", i, P.d[i].when,
                P.d[i].armed0 ? "" : " (not armed)", act_name[P.d[i].a % NA], P.d[i].b);
}

#ifdef FUZZ_LOOP_EMIT
/* With -DFUZZ_LOOP_EMIT, a main that prints, for one input file, the decoded
 * program and the model's log, for fuzz/fuzz_loop.py to run the same program
 * on CPython's asyncio and compare (make fuzz-loop-asyncio). */
int main(int argc, char **argv)
{
    static uint8_t buf[1 << 16];
    size_t len;
    long i;
    int k;
    FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
    if (!f)
        return 2;
    len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (!decode(buf, len)) {
        printf("prog 0 0 0 0 0 0\n");             /* nothing to run */
        return 0;
    }
    if (getenv("FUZZ_LOOP_LOG"))
        print_prog();
    run_model();
    run_lib();
    compare();
    printf("prog %d %d %d %d %d %d\n", P.cap, P.qcap, P.drift, P.sem, P.nt, P.nd);
    for (i = 0; i < P.nt; i++) {
        printf("task %d", P.t[i].start);
        for (k = 0; k < P.t[i].nops; k++)
            printf(" %d %d %d", P.t[i].ops[k].kind, P.t[i].ops[k].x, P.t[i].ops[k].catch_);
        printf("\n");
    }
    for (i = 0; i < P.nd; i++)
        printf("driver %lld %d %d %d\n", P.d[i].when, P.d[i].armed0, P.d[i].a, P.d[i].b);
    for (i = 0; i < P.nd; i++)          /* fuzz_loop.py skips these */
        if (P.d[i].ext)
            printf("extreme driver %ld\n", i);
    for (i = 0; i < P.nt; i++)
        for (k = 0; k < P.t[i].nops; k++)
            if (P.t[i].ops[k].kind == OP_SLEEP && ext_sleep_arg(P.t[i].ops[k].x))
                printf("extreme sleep %ld %d\n", i, k);
    for (i = 0; i < mlog.n && i < LOGCAP; i++)
        printf("log %d %d %d %d %d %d\n", (int)mlog.r[i].t, (int)mlog.r[i].kind,
               (int)mlog.r[i].a, (int)mlog.r[i].b, (int)mlog.r[i].c, (int)mlog.r[i].d);
    return 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!decode(data, size))
        return 0;
    if (getenv("FUZZ_LOOP_LOG"))
        print_prog();
    run_model();
    run_lib();
    if (getenv("FUZZ_LOOP_LOG"))
        print_logs(0, llog.n > mlog.n ? llog.n : mlog.n);
    compare();
    return 0;
}
#endif
