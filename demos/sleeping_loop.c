/* SPDX-License-Identifier: MIT */
/*
 * sleeping_loop.c -- the essay's SleepingLoop itself, on coro.h alone: no
 * loop.h, no library loop. The tasks are generators that yield the time they
 * want to wake at; the loop keeps them in a small heap ordered by that time
 * and wakes each with coro_send(now). (sleeping_loop.py, "How the heck does
 * async/await work in Python 3.5?")
 *
 *   sleeping_loop              real time, about 5 s
 *   sleeping_loop --virtual    on a virtual clock (run_virtual.py): instantly,
 *                              and byte for byte sleeping_loop.virtual.out
 *
 * The part between "the loop" and "end of the loop" is the whole event loop:
 * under 100 lines, as the essay promises.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "coro.h"

/* ---- the clock: datetime.now() and time.sleep() -------------------------- */

static int virtual_clock;           /* run_virtual.py: sleep advances a fake now */
static coro_time virtual_now;

static coro_time now(void)          /* datetime.datetime.now(), in ns */
{
    struct timespec ts;
    if (virtual_clock)
        return virtual_now;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (coro_time)ts.tv_sec * CORO_SEC + ts.tv_nsec;
}

static void sleep_ns(coro_time ns)  /* time.sleep(delta.total_seconds()) */
{
    struct timespec ts;
    if (virtual_clock) {
        virtual_now += ns;
        return;
    }
    ts.tv_sec = (time_t)(ns / CORO_SEC);
    ts.tv_nsec = (long)(ns % CORO_SEC);
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- the loop ------------------------------------------------------------ */

/* class Task: a generator and the time it wants to wake at */
struct task {
    coro_time waiting_until;        /* self.waiting_until = wait_until */
    unsigned long order;            /* (ties: first pushed, first woken) */
    struct coro *coro;              /* self.coro = coro */
};

/* def __lt__(self, other): return self.waiting_until < other.waiting_until */
static int task_lt(const struct task *a, const struct task *b)
{
    if (a->waiting_until != b->waiting_until)
        return a->waiting_until < b->waiting_until;
    return a->order < b->order;
}

#define MAX_TASKS 8

/* class SleepingLoop: */
struct sleeping_loop {
    struct coro **new_coros;        /* self._new = coros */
    int nnew;
    struct task waiting[MAX_TASKS]; /* self._waiting = []  (a binary heap) */
    int nwaiting;
    unsigned long pushed;
};

/* heapq.heappush(self._waiting, Task(wait_until, coro)) */
static void heappush(struct sleeping_loop *l, coro_time wait_until, struct coro *coro)
{
    int i = l->nwaiting++, parent;
    struct task t = { wait_until, l->pushed++, coro };
    for (; i > 0 && task_lt(&t, &l->waiting[parent = (i - 1) / 2]); i = parent)
        l->waiting[i] = l->waiting[parent];     /* move parents down */
    l->waiting[i] = t;
}

/* task = heapq.heappop(self._waiting) */
static struct task heappop(struct sleeping_loop *l)
{
    struct task top = l->waiting[0], last = l->waiting[--l->nwaiting];
    int i = 0, child;
    while ((child = 2 * i + 1) < l->nwaiting) { /* move the smaller child up */
        if (child + 1 < l->nwaiting && task_lt(&l->waiting[child + 1], &l->waiting[child]))
            child++;
        if (!task_lt(&l->waiting[child], &last))
            break;
        l->waiting[i] = l->waiting[child];
        i = child;
    }
    l->waiting[i] = last;
    return top;
}

/* def run_until_complete(self): */
static void run_until_complete(struct sleeping_loop *l)
{
    coro_value wait_for;
    coro_time now_;
    struct task task;
    int i;
    for (i = 0; i < l->nnew; i++)                       /* for coro in self._new: */
        if (coro_send(l->new_coros[i], coro_none(), &wait_for) == CORO_YIELDED)
            heappush(l, (coro_time)wait_for.v.i,        /*     wait_for = coro.send(None) */
                     l->new_coros[i]);                  /*     heappush(Task(wait_for, coro)) */
    while (l->nwaiting > 0) {                           /* while self._waiting: */
        now_ = now();                                   /*     now = datetime.now() */
        task = heappop(l);                              /*     task = heappop(self._waiting) */
        if (now_ < task.waiting_until) {                /*     if now < task.waiting_until: */
            sleep_ns(task.waiting_until - now_);        /*         time.sleep(delta) */
            now_ = now();                               /*         now = datetime.now() */
        }
        if (coro_send(task.coro, coro_int((intptr_t)now_), /*  try: wait_until = */
                      &wait_for) == CORO_YIELDED)       /*         task.coro.send(now) */
            heappush(l, (coro_time)wait_for.v.i,        /*     heappush(Task(wait_until, */
                     task.coro);                        /*                   task.coro)) */
    }                                                   /*     except StopIteration: pass */
}

/* ---- end of the loop ----------------------------------------------------- */

/* Prints a duration as Python's timedelta does: H:MM:SS[.ffffff]. */
static void print_timedelta(coro_time ns)
{
    long long us = (long long)(ns / CORO_USEC), s = us / 1000000;
    printf("%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    if (us % 1000000)
        printf(".%06lld", us % 1000000);
}

/* @types.coroutine
 * def sleep(seconds): */
struct sleep {
    struct coro co;
    coro_time seconds, now;
};

static int sleep_body(struct coro *co)
{
    struct sleep *f = (struct sleep *)co;
    CORO_BEGIN(co);
    f->now = now();                                     /* now = datetime.now() */
    CORO_YIELD(co, coro_int((intptr_t)(f->now + f->seconds))); /* actual = yield wait_until */
    CORO_RETURN(co, coro_int(coro_sent(co).v.i - (intptr_t)f->now)); /* return actual - now */
    CORO_END(co);
}

/* async def countdown(label, length, *, delay=0): */
struct countdown {
    struct coro co;
    char label;
    int length, delay;
    struct sleep sleep;             /* the frame of the sleep it awaits */
    coro_value delta;
};

static int countdown(struct coro *co)
{
    struct countdown *f = (struct countdown *)co;
    CORO_BEGIN(co);
    printf("%c waiting %d seconds before starting countdown\n", f->label, f->delay);
    f->sleep.seconds = f->delay * CORO_SEC;             /* delta = await sleep(delay) */
    coro_init(&f->sleep.co, sleep_body);
    CORO_AWAIT(co, &f->sleep.co, f->delta);
    printf("%c starting after waiting ", f->label);     /* print(label, 'starting after */
    print_timedelta((coro_time)f->delta.v.i);           /*   waiting', delta) */
    printf("\n");
    while (f->length) {                                 /* while length: */
        printf("%c T-minus %d\n", f->label, f->length); /*     print(label, 'T-minus', length) */
        f->sleep.seconds = 1 * CORO_SEC;                /*     waited = await sleep(1) */
        coro_init(&f->sleep.co, sleep_body);
        CORO_AWAIT(co, &f->sleep.co, f->delta);
        f->length -= 1;                                 /*     length -= 1 */
    }
    printf("%c lift-off!\n", f->label);                 /* print(label, 'lift-off!') */
    CORO_END(co);
}

int main(int argc, char **argv)
{
    struct countdown a = { { 0 }, 'A', 5, 0, { { 0 }, 0, 0 }, { { 0 }, 0 } };
    struct countdown b = { { 0 }, 'B', 3, 2, { { 0 }, 0, 0 }, { { 0 }, 0 } };
    struct countdown c = { { 0 }, 'C', 4, 1, { { 0 }, 0, 0 }, { { 0 }, 0 } };
    struct coro *coros[3];
    struct sleeping_loop loop;
    coro_time start;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--virtual") != 0)) {
        fprintf(stderr, "usage: %s [--virtual]\n", argv[0]);
        return 2;
    }
    virtual_clock = argc == 2;
    coro_init(&a.co, countdown);                        /* countdown('A', 5) */
    coro_init(&b.co, countdown);                        /* countdown('B', 3, delay=2) */
    coro_init(&c.co, countdown);                        /* countdown('C', 4, delay=1) */
    coros[0] = &a.co, coros[1] = &b.co, coros[2] = &c.co;
    memset(&loop, 0, sizeof loop);                      /* loop = SleepingLoop(...) */
    loop.new_coros = coros;
    loop.nnew = 3;
    start = now();                                      /* start = datetime.now() */
    run_until_complete(&loop);                          /* loop.run_until_complete() */
    printf("Total elapsed time is ");                   /* print('Total elapsed time is', */
    print_timedelta(now() - start);                     /*   datetime.now() - start) */
    printf("\n");
    return 0;
}
