/* SPDX-License-Identifier: MIT */
/*
 * throw.c -- the essay's gen/subgen two-way channel, with throw: an error
 * thrown into gen goes down its yield from to subgen, which may catch it; one
 * it does not catch comes back up through gen and closes both. Prints what
 * tests/reference/throw.py prints. Errors are ints (user codes positive).
 */
#include <stdio.h>

#include "coro.h"

enum { Oops = 1, ValueError = 2 };              /* class Oops(Exception): pass */

/* def subgen(): */
struct subgen {
    struct coro co;
    intptr_t x;
    int caught;
};

static int subgen(struct coro *co)
{
    struct subgen *f = (struct subgen *)co;
    CORO_BEGIN(co);
    for (;;) {                                  /* while True: */
        CORO_YIELD_CATCH(co, coro_none(), f->caught); /* try: x = yield */
        f->x = coro_sent(co).v.i;
        if (f->caught == Oops) {                /* except Oops: */
            printf("subgen caught Oops\n");     /*     print('subgen caught Oops') */
            f->x = 0;                           /*     x = 0 */
        } else if (f->caught) {
            CORO_RAISE(co, f->caught);          /* (any other error goes on up) */
        }
        CORO_YIELD(co, coro_int(f->x + 1));     /* yield x + 1 */
    }
    CORO_END(co);
}

/* def gen(): yield from subgen() */
struct gen {
    struct coro co;
    struct subgen subgen;
    coro_value result;
};

static int gen(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    coro_init(&f->subgen.co, subgen);
    CORO_YIELD_FROM(co, &f->subgen.co, f->result);
    CORO_END(co);
}

int main(void)
{
    struct gen g;
    coro_value v;

    coro_init(&g.co, gen);                              /* g = gen() */
    coro_next(&g.co, NULL);                             /* next(g) */
    coro_send(&g.co, coro_int(1), &v);                  /* print(g.send(1)) */
    printf("%ld\n", (long)v.v.i);
    coro_next(&g.co, NULL);                             /* next(g) */
    coro_throw(&g.co, Oops, &v);                        /* print(g.throw(Oops)) */
    printf("%ld\n", (long)v.v.i);
    coro_next(&g.co, NULL);                             /* next(g) */
    if (coro_throw(&g.co, ValueError, &v) == ValueError) /* try: g.throw(ValueError) */
        printf("ValueError came out of gen\n");         /* except ValueError: print(...) */
    printf("GEN_%s\n", coro_state_name(coro_state(&g.co))); /* getgeneratorstate(g) */
    return 0;
}
