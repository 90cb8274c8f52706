/* SPDX-License-Identifier: MIT */
/* portable.c -- a self-checking program built by tests/portability.sh as C99,
 * as C++, with both backends, and for an ATmega328P. Uses no libc at all:
 * returns 0 when every step gave what CPython gives. */
#include "coro.h"

/* def counter(n):
 *     try:
 *         i = 0
 *         while i < n: i += (yield i) or 1
 *     finally: cleanups += 1 */
struct counter {
    struct coro co;
    int n, i;
    struct coro_try fin;     /* try: ... finally: of the body */
};
static int cleanups;

static int counter(struct coro *co)
{
    struct counter *f = (struct counter *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {
        for (f->i = 0; f->i < f->n;) {
            CORO_YIELD(co, coro_int(f->i));
            f->i += coro_sent(co).type == CORO_NONE ? 1 : (int)coro_sent(co).v.i;
        }
    } CORO_FINALLY(co, &f->fin) {
        cleanups++;
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* def outer(n): r = yield from counter(n); return 100 */
struct outer {
    struct coro co;
    struct counter inner;
    coro_value r;
};

static int outer(struct coro *co)
{
    struct outer *f = (struct outer *)co;
    CORO_BEGIN(co);
    coro_init(&f->inner.co, counter);
    CORO_YIELD_FROM(co, &f->inner.co, f->r);
    CORO_RETURN(co, coro_int(100));
    CORO_END(co);
}

int main(void)
{
    struct outer o;
    coro_value v;
    int bad = 0;

    o.inner.n = 5;
    coro_init(&o.co, outer);
    bad |= coro_send(&o.co, coro_int(1), &v) != CORO_EINVAL;  /* non-None first send */
    bad |= coro_next(&o.co, &v) != CORO_YIELDED || v.v.i != 0;
    bad |= coro_send(&o.co, coro_int(3), &v) != CORO_YIELDED || v.v.i != 3;
    bad |= coro_throw(&o.co, 7, &v) != 7 || cleanups != 1;   /* not caught */
    bad |= coro_state(&o.co) != CORO_CLOSED;

    coro_init(&o.co, outer);
    bad |= coro_next(&o.co, &v) != CORO_YIELDED;
    bad |= coro_close(&o.co, &v) != CORO_RETURNED || cleanups != 2;

    coro_init(&o.co, outer);
    o.inner.n = 2;
    bad |= coro_next(&o.co, &v) != CORO_YIELDED;
    bad |= coro_next(&o.co, &v) != CORO_YIELDED || v.v.i != 1;
    bad |= coro_next(&o.co, &v) != CORO_RETURNED || v.v.i != 100 || cleanups != 3;
    return bad;
}

/* The sizes README.md documents for struct coro (default backend). */
#if defined(__AVR__) && !defined(CORO_USE_LABELS)
typedef char coro_is_16_bytes_on_avr[sizeof(struct coro) == 16 ? 1 : -1];
#elif defined(__x86_64__) && !defined(CORO_USE_LABELS)
typedef char coro_is_40_bytes_on_x86_64[sizeof(struct coro) == 40 ? 1 : -1];
#elif defined(__x86_64__)
typedef char coro_is_48_bytes_on_x86_64_with_labels[sizeof(struct coro) == 48 ? 1 : -1];
#endif
