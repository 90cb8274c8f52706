/* SPDX-License-Identifier: MIT */
/*
 * yield_from.c -- the essay's "yield from iterator is, for the values, `for x
 * in iterator: yield x`": the two give the same list, but only yield from
 * passes what is sent down to the inner generator and hands back its return
 * value. Prints what tests/reference/yield_from.py prints.
 */
#include <stdio.h>

#include "coro.h"

/* print(x) for x None or a string */
static void print_got(const char *who, coro_value x)
{
    printf("%s got %s\n", who, x.type == CORO_NONE ? "None" : (const char *)x.v.p);
}

/* def inner(): */
static int inner(struct coro *co)
{
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_int(1));                /* x = yield 1 */
    print_got("inner", coro_sent(co));          /* print('inner got', x) */
    CORO_YIELD(co, coro_int(2));                /* y = yield 2 */
    print_got("inner", coro_sent(co));          /* print('inner got', y) */
    CORO_RETURN(co, coro_ptr("inner done"));    /* return 'inner done' */
    CORO_END(co);
}

struct outer {
    struct coro co;
    struct coro inner;
    coro_value x;
};

/* def outer_for(): */
static int outer_for(struct coro *co)
{
    struct outer *f = (struct outer *)co;
    CORO_BEGIN(co);
    coro_init(&f->inner, inner);
    while (coro_next(&f->inner, &f->x) == CORO_YIELDED) /* for x in inner(): */
        CORO_YIELD(co, f->x);                   /*     yield x  (what is sent here is lost) */
    CORO_END(co);
}

/* def outer_from(): */
static int outer_from(struct coro *co)
{
    struct outer *f = (struct outer *)co;
    CORO_BEGIN(co);
    coro_init(&f->inner, inner);
    CORO_YIELD_FROM(co, &f->inner, f->x);       /* r = yield from inner() */
    print_got("outer", f->x);                   /* print('outer got', r) */
    CORO_END(co);
}

int main(void)
{
    static const struct { const char *name; coro_fn fn; } outers[] = {
        { "outer_for", outer_for }, { "outer_from", outer_from }
    };
    struct outer g;
    coro_value v;
    long list[8];
    int i, n, k;

    for (i = 0; i < 2; i++) {                   /* for outer in (outer_for, outer_from): */
        printf("# %s values\n", outers[i].name);
        coro_init(&g.co, outers[i].fn);         /*     print(list(outer())) */
        for (n = 0; n < 8 && coro_next(&g.co, &v) == CORO_YIELDED; n++)
            list[n] = (long)v.v.i;
        printf("[");
        for (k = 0; k < n; k++)
            printf("%s%ld", k ? ", " : "", list[k]);
        printf("]\n");
    }
    for (i = 0; i < 2; i++) {                   /* for outer in (outer_for, outer_from): */
        printf("# %s with send\n", outers[i].name);
        coro_init(&g.co, outers[i].fn);         /*     g = outer() */
        coro_next(&g.co, &v);                   /*     print(next(g)) */
        printf("%ld\n", (long)v.v.i);
        coro_send(&g.co, coro_ptr("a"), &v);    /*     print(g.send('a')) */
        printf("%ld\n", (long)v.v.i);
        if (coro_send(&g.co, coro_ptr("b"), &v) == CORO_RETURNED) /* try: g.send('b') */
            printf("StopIteration\n");          /*     except StopIteration: print(...) */
    }
    return 0;
}
