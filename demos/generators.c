/* SPDX-License-Identifier: MIT */
/*
 * generators.c -- the generator examples of "How the heck does async/await work
 * in Python 3.5?", in C with coro.h. Prints exactly what generators.py prints
 * (tests/reference/generators.out). Each Python line stands next to its C form.
 */
#include <stdio.h>
#include <string.h>

#include "coro.h"

/* Prints a Python list of the ints that `g` yields: print(list(g)). */
static void print_list(struct coro *g)
{
    coro_value v;
    const char *sep = "";
    printf("[");
    while (coro_next(g, &v) == CORO_YIELDED) {
        printf("%s%ld", sep, (long)v.v.i);
        sep = ", ";
    }
    printf("]\n");
}

/* def eager_range(up_to):  -- a plain function, no generator */
static void eager_range(int up_to, int *sequence, int *n)
{
    int index = 0;                              /* index = 0 */
    *n = 0;                                     /* sequence = [] */
    while (index < up_to) {                     /* while index < up_to: */
        sequence[(*n)++] = index;               /*     sequence.append(index) */
        index += 1;                             /*     index += 1 */
    }
}                                               /* return sequence */

/* def lazy_range(up_to): */
struct lazy_range {
    struct coro co;
    int up_to, index;                           /* locals live in the frame */
};

static int lazy_range(struct coro *co)
{
    struct lazy_range *f = (struct lazy_range *)co;
    CORO_BEGIN(co);
    f->index = 0;                               /* index = 0 */
    while (f->index < f->up_to) {               /* while index < up_to: */
        CORO_YIELD(co, coro_int(f->index));     /*     yield index */
        f->index += 1;                          /*     index += 1 */
    }
    CORO_END(co);
}

/* def jumping_range(up_to): */
struct jumping_range {
    struct coro co;
    int up_to, index;
};

static int jumping_range(struct coro *co)
{
    struct jumping_range *f = (struct jumping_range *)co;
    intptr_t jump;
    CORO_BEGIN(co);
    f->index = 0;                               /* index = 0 */
    while (f->index < f->up_to) {               /* while index < up_to: */
        CORO_YIELD(co, coro_int(f->index));     /*     jump = yield index */
        jump = coro_sent(co).v.i;
        if (coro_sent(co).type == CORO_NONE)    /*     if jump is None: */
            jump = 1;                           /*         jump = 1 */
        f->index += (int)jump;                  /*     index += jump */
    }
    CORO_END(co);
}

/* def lazy_range_refactored(up_to):
 *     index = 0
 *     def gratuitous_refactor():
 *         nonlocal index          -- the inner frame points at the outer's index
 *         while index < up_to:
 *             yield index
 *             index += 1
 *     yield from gratuitous_refactor() */
struct gratuitous_refactor {
    struct coro co;
    int up_to, *index;
};

static int gratuitous_refactor(struct coro *co)
{
    struct gratuitous_refactor *f = (struct gratuitous_refactor *)co;
    CORO_BEGIN(co);
    while (*f->index < f->up_to) {
        CORO_YIELD(co, coro_int(*f->index));
        *f->index += 1;
    }
    CORO_END(co);
}

struct lazy_range_refactored {
    struct coro co;
    int up_to, index;
    struct gratuitous_refactor inner;           /* the sub-generator's frame */
    coro_value result;
};

static int lazy_range_refactored(struct coro *co)
{
    struct lazy_range_refactored *f = (struct lazy_range_refactored *)co;
    CORO_BEGIN(co);
    f->index = 0;
    f->inner.up_to = f->up_to;
    f->inner.index = &f->index;
    coro_init(&f->inner.co, gratuitous_refactor);
    CORO_YIELD_FROM(co, &f->inner.co, f->result);
    CORO_END(co);
}

/* def bottom(): return (yield 42) */
static int bottom(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(42));
    CORO_RETURN(co, coro_sent(co));
    CORO_END(co);
}

/* def middle(): return (yield from bottom()) */
struct middle {
    struct coro co;
    struct coro bottom;
    coro_value result;
};

static int middle(struct coro *co)
{
    struct middle *f = (struct middle *)co;
    CORO_BEGIN(co);
    coro_init(&f->bottom, bottom);
    CORO_YIELD_FROM(co, &f->bottom, f->result);
    CORO_RETURN(co, f->result);
    CORO_END(co);
}

/* def top(): return (yield from middle()) */
struct top {
    struct coro co;
    struct middle middle;
    coro_value result;
};

static int top(struct coro *co)
{
    struct top *f = (struct top *)co;
    CORO_BEGIN(co);
    coro_init(&f->middle.co, middle);
    CORO_YIELD_FROM(co, &f->middle.co, f->result);
    CORO_RETURN(co, f->result);
    CORO_END(co);
}

/* def fab(max): */
struct fab {
    struct coro co;
    int max, n;
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

/* def subgen(): */
static int subgen(struct coro *co)
{
    CORO_BEGIN(co);
    for (;;) {                                  /* while True: */
        CORO_YIELD(co, coro_none());            /*     x = yield */
        CORO_YIELD(co, coro_int(coro_sent(co).v.i + 1)); /* yield x + 1 */
    }
    CORO_END(co);
}

/* def gen(): yield from subgen() */
struct gen {
    struct coro co;
    struct coro subgen;
    coro_value result;
};

static int gen(struct coro *co)
{
    struct gen *f = (struct gen *)co;
    CORO_BEGIN(co);
    coro_init(&f->subgen, subgen);
    CORO_YIELD_FROM(co, &f->subgen, f->result);
    CORO_END(co);
}

/* The command line: none, or --help. No cli.h: this demo also runs on
 * microcontrollers (mk/embedded.mk), with printf alone. */
static int arguments(int argc, char **argv)
{
    if (argc < 2)
        return 0;
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: generators\n\n"
               "The generator examples of \"How the heck does async/await work in\n"
               "Python 3.5?\" with coro.h: eager and lazy ranges, send, yield from.\n"
               "Prints exactly what the Python original prints. No options.\n\n"
               "  -h, --help   this help\n");
        return 1;
    }
    fprintf(stderr, "generators: %s: %s\nTry 'generators --help'.\n", argv[1],
            argv[1][0] == '-' ? "unknown option" : "unexpected argument");
    return 2;
}

int main(int argc, char **argv)
{
    coro_value v;
    int sequence[5], n, i;

    if ((i = arguments(argc, argv)) != 0)
        return i == 1 ? 0 : 2;

    printf("# eager_range(5)\n");
    eager_range(5, sequence, &n);                       /* print(eager_range(5)) */
    printf("[");
    for (i = 0; i < n; i++)
        printf("%s%d", i ? ", " : "", sequence[i]);
    printf("]\n");

    printf("# lazy_range(5)\n");
    {
        struct lazy_range g = { { 0 }, 5, 0 };
        coro_init(&g.co, lazy_range);
        print_list(&g.co);                              /* print(list(lazy_range(5))) */
    }

    printf("# jumping_range(5)\n");
    {
        struct jumping_range it = { { 0 }, 5, 0 };       /* iterator = jumping_range(5) */
        coro_init(&it.co, jumping_range);
        coro_next(&it.co, &v);                          /* print(next(iterator)) */
        printf("%ld\n", (long)v.v.i);
        coro_send(&it.co, coro_int(2), &v);             /* print(iterator.send(2)) */
        printf("%ld\n", (long)v.v.i);
        coro_next(&it.co, &v);                          /* print(next(iterator)) */
        printf("%ld\n", (long)v.v.i);
        coro_send(&it.co, coro_int(-1), &v);            /* print(iterator.send(-1)) */
        printf("%ld\n", (long)v.v.i);
        while (coro_next(&it.co, &v) == CORO_YIELDED)   /* for x in iterator: */
            printf("%ld\n", (long)v.v.i);               /*     print(x) */
    }

    printf("# lazy_range via yield from\n");
    {
        struct lazy_range_refactored g;
        g.up_to = 5;
        coro_init(&g.co, lazy_range_refactored);
        print_list(&g.co);                      /* print(list(lazy_range_refactored(5))) */
    }

    printf("# top/middle/bottom\n");
    {
        struct top g;                                   /* g = top() */
        coro_init(&g.co, top);
        coro_next(&g.co, &v);                           /* value = next(g) */
        printf("%ld\n", (long)v.v.i);                   /* print(value) */
        if (coro_send(&g.co, coro_int(v.v.i * 2), &v)   /* value = g.send(value * 2) */
            == CORO_RETURNED)                           /* except StopIteration as exc: */
            printf("%ld\n", (long)v.v.i);               /*     value = exc.value */
    }

    printf("# fab(5)\n");
    {
        struct fab g;
        g.max = 5;
        coro_init(&g.co, fab);
        while (coro_next(&g.co, &v) == CORO_YIELDED)    /* for n in fab(5): */
            printf("%ld\n", (long)v.v.i);               /*     print(n) */
    }

    printf("# gen/subgen two-way channel\n");
    {
        struct gen g;                                   /* g = gen() */
        coro_init(&g.co, gen);
        coro_next(&g.co, NULL);                         /* next(g) */
        coro_send(&g.co, coro_int(1), &v);              /* print(g.send(1)) */
        printf("%ld\n", (long)v.v.i);
    }
    return 0;
}
