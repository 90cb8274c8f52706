/* SPDX-License-Identifier: MIT */
/*
 * fab.c -- the primer's Fab, twice: first an iterator written by hand (a
 * struct that keeps its state, and a next function that picks up where the
 * last call left off), then the fab generator, where coro.h's macros write
 * that state machine for you. Prints what tests/reference/fab.py prints.
 * (`make expand DEMO=fab` shows the switch the macros wrote.)
 */
#include <stdio.h>

#include "coro.h"

/* class Fab(object): */
struct Fab {
    int max, n;
    long a, b;
};

/* def __init__(self, max): */
static void Fab_init(struct Fab *self, int max)
{
    self->max = max;                            /* self.max = max */
    self->n = 0, self->a = 0, self->b = 1;      /* self.n, self.a, self.b = 0, 0, 1 */
}

/* def __next__(self): 1 and *r, or 0 for StopIteration */
static int Fab_next(struct Fab *self, long *r)
{
    long t;
    if (self->n < self->max) {                  /* if self.n < self.max: */
        *r = self->b;                           /*     r = self.b */
        t = self->a + self->b;                  /*     self.a, self.b = self.b, self.a + self.b */
        self->a = self->b, self->b = t;
        self->n = self->n + 1;                  /*     self.n = self.n + 1 */
        return 1;                               /*     return r */
    }
    return 0;                                   /* raise StopIteration() */
}

/* def fab(max): */
struct fab {
    struct coro co;                             /* where to resume: the macros keep it */
    int max, n;                                 /* the locals that outlive a yield */
    long a, b;
};

static int fab(struct coro *co)
{
    struct fab *f = (struct fab *)co;
    long t;
    CORO_BEGIN(co);
    f->n = 0, f->a = 0, f->b = 1;               /* n, a, b = 0, 0, 1 */
    while (f->n < f->max) {                     /* while n < max: */
        CORO_YIELD(co, coro_int(f->b));         /*     yield b */
        t = f->a + f->b;                        /*     a, b = b, a + b */
        f->a = f->b, f->b = t;
        f->n = f->n + 1;                        /*     n = n + 1 */
    }
    CORO_END(co);
}

int main(void)
{
    struct Fab it;
    struct fab g;
    coro_value v;
    long n;

    printf("# Fab(5), the iterator by hand\n");
    Fab_init(&it, 5);
    while (Fab_next(&it, &n))                   /* for n in Fab(5): */
        printf("%ld\n", n);                     /*     print(n) */

    printf("# fab(5), the generator\n");
    g.max = 5;
    coro_init(&g.co, fab);
    while (coro_next(&g.co, &v) == CORO_YIELDED) /* for n in fab(5): */
        printf("%ld\n", (long)v.v.i);           /*     print(n) */
    return 0;
}
