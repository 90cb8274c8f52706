/* SPDX-License-Identifier: MIT */
/*
 * resume_work.h -- the work whose resume is timed, shared by
 * bench/bench_resume.c (x86-64, ns) and embedded/avr/cycles.c (ATmega328P,
 * cycles), so that both time the same code:
 *   counter       def counter(): n = 0; while True: s = yield n; n += s + 1
 *   machine_step  the same generator as a hand-written switch state machine
 *   level         def level(d): if d: return (yield from level(d - 1));
 *                 <counter>  (a yield-from chain of depth d)
 * The includer defines BENCH_NOINLINE (never inlined; the host adds an
 * alignment) and BENCH_ALIGNED (for the bodies) before including it.
 */
#ifndef CORO_BENCH_RESUME_WORK_H
#define CORO_BENCH_RESUME_WORK_H

#include <stdint.h>
#include "coro.h"

struct counter {
    struct coro co;
    intptr_t n;
};

BENCH_ALIGNED static int counter_body(struct coro *co)
{
    struct counter *f = (struct counter *)co;
    CORO_BEGIN(co);
    f->n = 0;
    for (;;) {
        CORO_YIELD(co, coro_int(f->n));
        f->n += coro_sent(co).v.i + 1;
    }
    CORO_END(co);
}

struct machine {
    intptr_t (*step)(struct machine *m, intptr_t sent);
    unsigned char state;
    intptr_t n;
};

BENCH_NOINLINE static intptr_t machine_step(struct machine *m, intptr_t sent)
{
    switch (m->state) {
    case 0:
        m->n = 0;
        m->state = 1;
        return m->n;
    case 1:
        m->n += sent + 1;
        return m->n;
    }
    return -1;
}

struct level {
    struct coro co;
    struct level *next;     /* NULL for the innermost frame */
    coro_value r;
    intptr_t n;
};

BENCH_ALIGNED static int level_body(struct coro *co)
{
    struct level *f = (struct level *)co;
    CORO_BEGIN(co);
    if (f->next) {
        coro_init(&f->next->co, level_body);
        CORO_YIELD_FROM(co, &f->next->co, f->r);
        CORO_RETURN(co, f->r);
    }
    f->n = 0;
    for (;;) {
        CORO_YIELD(co, coro_int(f->n));
        f->n += coro_sent(co).v.i + 1;
    }
    CORO_END(co);
}

#endif
