/* SPDX-License-Identifier: MIT */
/*
 * loop.c -- the event loop: ready queue, timer heap, clock, futures, tasks.
 * See loop.h for the API and the rules. No allocation: every node is owned
 * by the caller and linked in place.
 */
#if defined(__unix__) || defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L
#define CORO_HOST_CLOCK 1
#include <errno.h>
#include <time.h>
#endif

#include <string.h>

#include "internal.h"

/* Asks for the cache line at p ahead of its use (a hint; nothing elsewhere). */
#if defined(__GNUC__)
#define CORO__PREFETCH(p) __builtin_prefetch((p), 1)
#else
#define CORO__PREFETCH(p) ((void)0)
#endif

/* ------------------------------------------------------------------------ */
/* Lists: rings of handles with a tail pointer (O(1) push, pop and splice)  */
/* ------------------------------------------------------------------------ */

void coro_list_push(struct coro_list *l, struct coro_handle *h)
{
    if (l->tail) {
        h->u.next = l->tail->u.next;
        l->tail->u.next = h;
    } else {
        h->u.next = h;
    }
    l->tail = h;
}

struct coro_handle *coro_list_pop(struct coro_list *l)
{
    struct coro_handle *head;
    if (!l->tail)
        return NULL;
    head = l->tail->u.next;
    if (head == l->tail)
        l->tail = NULL;
    else
        l->tail->u.next = head->u.next;
    head->u.idle = 0;
    return head;
}

/* Moves all of `from` to the end of `to`, in order. */
static void list_splice(struct coro_list *to, struct coro_list *from)
{
    struct coro_handle *head;
    if (!from->tail)
        return;
    if (to->tail) {
        head = from->tail->u.next;
        from->tail->u.next = to->tail->u.next;
        to->tail->u.next = head;
    }
    to->tail = from->tail;
    from->tail = NULL;
}

int coro_list_remove(struct coro_list *l, struct coro_handle *h)
{
    struct coro_handle *prev = l->tail, *cur;
    if (!prev)
        return 0;
    do {
        cur = prev->u.next;
        if (cur == h) {
            if (cur == prev)
                l->tail = NULL;
            else {
                prev->u.next = cur->u.next;
                if (l->tail == cur)
                    l->tail = prev;
            }
            h->u.idle = 0;
            return 1;
        }
        prev = cur;
    } while (prev != l->tail);
    return 0;
}

void coro_handle_init(struct coro_handle *h, coro_callback fn)
{
    h->u.idle = 0;
    h->fn = fn;
#ifdef CORO_DEBUG
    h->check = CORO__CHECK(h);
#endif
}

/* ------------------------------------------------------------------------ */
/* The timer heap: 4-ary, a flat array of (when, handle) ordered by when;   */
/* each handle knows its slot, so cancel is O(log n). Equal deadlines are   */
/* put in scheduling order when they fall due (fire_due), not in the heap:  */
/* comparing sequence numbers inside the heap would read every tied        */
/* handle's memory, a cache miss per comparison.                           */
/* ------------------------------------------------------------------------ */

static void heap_place(struct coro_loop *loop, uint32_t i, struct coro_timer_slot s)
{
    loop->heap[i] = s;
    s.h->u.heap.index = i;
}

static void heap_up(struct coro_loop *loop, uint32_t i, struct coro_timer_slot s)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (s.when >= loop->heap[parent].when)
            break;
        heap_place(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_place(loop, i, s);
}

static void heap_down(struct coro_loop *loop, uint32_t i, struct coro_timer_slot s)
{
    uint32_t n = loop->heap_len;
    for (;;) {
        uint32_t c = 4 * i + 1, best, k, end;
        if (c >= n)
            break;
        best = c;
        end = c + 4 < n ? c + 4 : n;
        for (k = c + 1; k < end; k++)
            if (loop->heap[k].when < loop->heap[best].when)
                best = k;
        if (loop->heap[best].when >= s.when)
            break;
        heap_place(loop, i, loop->heap[best]);
        i = best;
    }
    heap_place(loop, i, s);
}

static int heap_contains(const struct coro_loop *loop, const struct coro_handle *h)
{
    return h->u.idle != 0 && h->u.heap.index < loop->heap_len &&
           loop->heap[h->u.heap.index].h == h;
}

/* Gives h the next sequence number (never 0). */
static void heap_stamp(struct coro_loop *loop, struct coro_handle *h)
{
    if (++loop->seq == 0)
        loop->seq = 1;
    h->u.heap.seq = loop->seq;
}

static int heap_insert(struct coro_loop *loop, struct coro_handle *h, coro_time when)
{
    struct coro_timer_slot s;
    if (loop->heap_len == loop->heap_cap)
        return CORO_EFULL;
    heap_stamp(loop, h);
    s.when = when;
    s.h = h;
    heap_up(loop, loop->heap_len++, s);
    return 0;
}

/* Puts s in slot i, whose old entry is gone, where the heap wants it. */
static void heap_fix(struct coro_loop *loop, uint32_t i, struct coro_timer_slot s)
{
    if (i > 0 && s.when < loop->heap[(i - 1) / 4].when)
        heap_up(loop, i, s);
    else
        heap_down(loop, i, s);
}

/* Takes slot i out of the heap (the handle keeps its sequence number). */
static void heap_take(struct coro_loop *loop, uint32_t i)
{
    struct coro_timer_slot last = loop->heap[--loop->heap_len];
    if (i < loop->heap_len)
        heap_fix(loop, i, last);
}

static void heap_remove(struct coro_loop *loop, struct coro_handle *h)
{
    heap_take(loop, h->u.heap.index);
    h->u.idle = 0;
}

/* Sorts slots a[0..n) on `when` (a deadline, or a sequence key), in place
 * and with no allocation: quicksort (median of three, Hoare's partition,
 * the larger side put off on a stack of at most 32 ranges), insertion sort
 * below 16 slots. */
static void sort_slots(struct coro_timer_slot *a, uint32_t n)
{
    struct {
        uint32_t lo, hi;
    } stack[32];
    unsigned sp = 0;
    uint32_t lo = 0, hi = n - 1, i, j, m;
    struct coro_timer_slot t;
    coro_time pivot;
    if (n < 2)
        return;
#define CORO__SWAP(x, y) (t = a[x], a[x] = a[y], a[y] = t)
    for (;;) {
        while (hi - lo >= 16) {
            m = lo + (hi - lo) / 2;
            if (a[m].when < a[lo].when)
                CORO__SWAP(m, lo);
            if (a[hi].when < a[lo].when)
                CORO__SWAP(hi, lo);
            if (a[hi].when < a[m].when)
                CORO__SWAP(hi, m);
            pivot = a[m].when;
            for (i = lo, j = hi;; i++, j--) {
                while (a[i].when < pivot)
                    i++;
                while (pivot < a[j].when)
                    j--;
                if (i >= j)
                    break;
                CORO__SWAP(i, j);
            }
            if (j - lo < hi - j) {              /* [lo, j] and [j + 1, hi] */
                stack[sp].lo = j + 1;
                stack[sp++].hi = hi;
                hi = j;
            } else {
                stack[sp].lo = lo;
                stack[sp++].hi = j;
                lo = j + 1;
            }
        }
        for (i = lo + 1; i <= hi; i++) {
            t = a[i];
            for (j = i; j > lo && a[j - 1].when > t.when; j--)
                a[j] = a[j - 1];
            a[j] = t;
        }
        if (sp == 0)
            break;
        sp--;
        lo = stack[sp].lo;
        hi = stack[sp].hi;
    }
#undef CORO__SWAP
}

/* Walks the due entries of the heap's array a[0..n) (when <= loop->now:
 * a subtree holding the root), each after its children, and counts them;
 * with `take`, loop->heap_len being n less that count, each due entry in
 * the heap's part changes places with the next entry of the tail that is
 * not due, which is sifted down from there (Floyd's construction of a heap
 * on the due subtree: fewer levels, and fewer handles written, than taking
 * the due entries off the top one by one). The tail then holds exactly the
 * due entries, in no order. */
static uint32_t walk_due(struct coro_loop *loop, uint32_t n, int take)
{
    struct coro_timer_slot *a = loop->heap, e;
    coro_time now = loop->now;
    uint32_t p = 0, k = 0, c, end, kept = loop->heap_len, sup = kept;
    if (n == 0 || a[0].when > now)
        return 0;
    for (;;) {
        /* p is due: down to its first due child */
        c = 4 * p + 1;
        end = p <= (n - 2) / 4 ? (c + 4 < n ? c + 4 : n) : c;
        while (c < end && a[c].when > now)
            c++;
        if (c < end) {
            p = c;
            continue;
        }
        for (;;) {              /* p and its subtree are done */
            k++;
            if (take && p < kept) {
                while (a[sup].when <= now)
                    sup++;
                e = a[p];
                heap_down(loop, p, a[sup]);
                a[sup++] = e;
            }
            if (p == 0)
                return k;
            c = p + 1;          /* its next due sibling, or its parent */
            end = (p - 1) / 4 * 4 + 5 < n ? (p - 1) / 4 * 4 + 5 : n;
            while (c < end && a[c].when > now)
                c++;
            if (c < end) {
                p = c;
                break;
            }
            p = (p - 1) / 4;
        }
    }
}

static void sleep_fire(struct coro_handle *h);
static void task_step(struct coro_handle *h);

/* Moves the timers due at loop->now to the ready queue, by deadline and, for
 * equal deadlines, in the order they were scheduled. The slots the heap frees
 * while shrinking (walk_due) hold the due timers meanwhile. A sleeping
 * task's timer is a timer like any other (sleep_fire), except that the
 * sleeps due after the last other due timer skip their callback's turn in
 * the batch: they wait on loop->woken, and join the ready queue where their
 * callbacks would have put them, behind everything the batch scheduled
 * (run_once). */
static void fire_due(struct coro_loop *loop)
{
    struct coro_timer_slot *due, t;
    uint32_t n = loop->heap_len, k, i, j, m;
    if (n == 0 || loop->heap[0].when > loop->now)
        return;                                 /* nothing due: no call */
    k = walk_due(loop, n, 0);
    loop->heap_len = n - k;
    walk_due(loop, n, 1);
    due = loop->heap + (n - k);                 /* latest deadline first */
    for (i = 1; i < k && due[i].when == due[0].when; i++)
        ;
    if (i < k) {
        sort_slots(due, k);
        for (i = 0, j = k - 1; i < j; i++, j--) {
            t = due[i];
            due[i] = due[j];
            due[j] = t;
        }
    }
    /* each run of one deadline: its handles are read once, for a key that
     * puts the first scheduled last (the scan below goes down) and says in
     * its low bit whether the timer is a sleep's */
    for (i = k; i > 0; i = j) {
        coro_time when = due[i - 1].when;
        for (j = i - 1; j > 0 && due[j - 1].when == when; j--)
            ;
        if (i - j == 1) {
            due[j].when = due[j].h->fn == sleep_fire;
            continue;
        }
        for (m = j; m < i; m++) {               /* a tie: scheduling order */
            const struct coro_handle *h = due[m].h;
            due[m].when = -(coro_time)(int32_t)(h->u.heap.seq - loop->seq) * 2 +
                          (h->fn == sleep_fire);
        }
        sort_slots(due + j, i - j);
    }
    for (m = 0; m < k && (due[m].when & 1); m++) /* the sleeps due last */
        ;
    for (i = k; i > m; i--)
        coro_list_push(&loop->ready, due[i - 1].h);
    for (; i > 0; i--) {
        due[i - 1].h->fn = task_step;
        coro_list_push(&loop->woken, due[i - 1].h);
    }
}

/* ------------------------------------------------------------------------ */
/* Clocks                                                                   */
/* ------------------------------------------------------------------------ */

static coro_time virtual_now(struct coro_loop *loop)
{
    return loop->vnow;
}

static int virtual_wait(struct coro_loop *loop, coro_time deadline)
{
    if (deadline == CORO_FOREVER)
        return CORO_EEMPTY;             /* nothing could ever happen */
    if (deadline > loop->vnow)
        loop->vnow = deadline;
    return 0;
}

const struct coro_clock coro_clock_virtual = { virtual_now, virtual_wait };

#ifdef CORO_HOST_CLOCK
static coro_time monotonic_now(struct coro_loop *loop)
{
    struct timespec ts;
    (void)loop;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (coro_time)ts.tv_sec * CORO_SEC + ts.tv_nsec;
}

static int monotonic_wait(struct coro_loop *loop, coro_time deadline)
{
    struct timespec ts;
    if (deadline == CORO_FOREVER)
        return CORO_EEMPTY;
    if (deadline <= loop->now)
        return 0;                       /* due already: no system call */
    /* an absolute deadline: EINTR resumes with what is left, never early */
    ts.tv_sec = (time_t)(deadline / CORO_SEC);
    ts.tv_nsec = (long)(deadline % CORO_SEC);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    return 0;
}

const struct coro_clock coro_clock_monotonic = { monotonic_now, monotonic_wait };
#endif

/* ------------------------------------------------------------------------ */
/* The loop                                                                 */
/* ------------------------------------------------------------------------ */

int coro_loop_init(struct coro_loop *loop, struct coro_timer_slot *heap, uint32_t cap)
{
    if (!loop || (!heap && cap))
        return CORO_EINVAL;
    loop->ready.tail = NULL;
    loop->batch.tail = NULL;
    loop->woken.tail = NULL;
    loop->heap = heap;
    loop->heap_len = 0;
    loop->heap_cap = cap;
    loop->seq = 0;
    loop->stopping = 0;
    loop->running = 0;
    loop->holds = 0;
    loop->vnow = 0;
    loop->current = NULL;
    loop->tasks = NULL;
    loop->ntasks = loop->tasks_cap = 0;
    loop->on_error = NULL;
    loop->until = NULL;
#ifdef CORO_DEBUG
    loop->slow = 0;
#endif
    loop->data = NULL;
#ifdef CORO_HOST_CLOCK
    coro_loop_set_clock(loop, &coro_clock_monotonic);
#else
    coro_loop_set_clock(loop, &coro_clock_virtual);
#endif
    return 0;
}

int coro_loop_close(struct coro_loop *loop)
{
    if (loop->running || loop->ntasks || loop->heap_len || loop->holds || loop->ready.tail ||
        loop->batch.tail)
        return CORO_EBUSY;
    loop->heap = NULL;
    loop->heap_cap = 0;
    loop->tasks = NULL;
    loop->tasks_cap = 0;
    loop->on_error = NULL;
    return 0;
}

int coro_loop_set_tasks(struct coro_loop *loop, struct coro_task_slot *slots, uint32_t cap)
{
    if (!slots && cap)
        return CORO_EINVAL;
    if (loop->ntasks)
        return CORO_EBUSY;
    loop->tasks = slots;
    loop->tasks_cap = cap;
    return 0;
}

struct coro_task *coro_loop_task(const struct coro_loop *loop, uint32_t i, const char **name)
{
    if (!loop->tasks || i >= loop->ntasks)
        return NULL;
    if (name)
        *name = loop->tasks[i].name;
    return loop->tasks[i].task;
}

void coro_loop_set_error_hook(struct coro_loop *loop,
                              void (*hook)(struct coro_loop *loop, struct coro_task *t, int err))
{
    loop->on_error = hook;
}

void coro_loop_set_clock(struct coro_loop *loop, const struct coro_clock *clock)
{
    loop->clock = clock;
    loop->now = clock->now(loop);
}

int coro_loop_call_soon(struct coro_loop *loop, struct coro_handle *h)
{
    if (h->u.idle)
        return CORO_EBUSY;
    coro_list_push(&loop->ready, h);
    return 0;
}

int coro_loop_call_at(struct coro_loop *loop, struct coro_handle *h, coro_time when)
{
    if (h->u.idle)
        return CORO_EBUSY;
    return heap_insert(loop, h, when);
}

coro_time coro__time_add(coro_time a, coro_time b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

int coro_loop_call_later(struct coro_loop *loop, struct coro_handle *h, coro_time delay)
{
    return coro_loop_call_at(loop, h, coro__time_add(loop->now, delay));
}

int coro_loop_rearm(struct coro_loop *loop, struct coro_handle *h, coro_time delay)
{
    struct coro_timer_slot s;
    if (!heap_contains(loop, h))
        return coro_loop_call_later(loop, h, delay);
    heap_stamp(loop, h);            /* the last of its deadline, as if new */
    s.when = coro__time_add(loop->now, delay);
    s.h = h;
    heap_fix(loop, h->u.heap.index, s);
    return 0;
}

int coro_loop_cancel(struct coro_loop *loop, struct coro_handle *h)
{
    if (!h->u.idle)
        return CORO_ESTATE;
    if (heap_contains(loop, h)) {
        heap_remove(loop, h);
        return 0;
    }
    if (coro_list_remove(&loop->ready, h) || coro_list_remove(&loop->batch, h))
        return 0;
    return CORO_ESTATE;
}

#ifdef CORO_DEBUG
static int handle_ok(const struct coro_handle *h)
{
    return h->check == CORO__CHECK(h);
}

/* A corrupt handle: reported, and the lists it was on are dropped (their
 * links went with it). */
static int debug_corrupt(struct coro_loop *loop)
{
    loop->batch.tail = NULL;
    if (loop->on_error)
        loop->on_error(loop, NULL, CORO_ECORRUPT);
    return CORO_ECORRUPT;
}

/* The timers due now must be intact before fire_due follows them. */
static int debug_heap_ok(struct coro_loop *loop)
{
    uint32_t i;
    for (i = 0; i < loop->heap_len; i++)
        if (loop->heap[i].when <= loop->now && !handle_ok(loop->heap[i].h)) {
            loop->heap_len = 0;             /* its slots are lost with it */
            debug_corrupt(loop);
            return 0;
        }
    return 1;
}

/* The batch, each handle checked before its links are followed and timed
 * against the threshold. */
static int debug_run_batch(struct coro_loop *loop)
{
    struct coro_handle *h;
    for (;;) {
        coro_time t0;
        struct coro_task *t;
        if (loop->batch.tail &&
            (!handle_ok(loop->batch.tail) || !handle_ok(loop->batch.tail->u.next)))
            return debug_corrupt(loop);
        if ((h = coro_list_pop(&loop->batch)) == NULL)
            return 1;
        t = h->fn == task_step || h->fn == sleep_fire ?
            CORO__CONTAINER_OF(h, struct coro_task, h) : NULL;
        t0 = loop->slow ? loop->clock->now(loop) : 0;
        h->fn(h);
        if (loop->slow && loop->clock->now(loop) - t0 > loop->slow && loop->on_error)
            loop->on_error(loop, t, CORO_ESLOW);
    }
}

void coro_loop_set_slow(struct coro_loop *loop, coro_time threshold)
{
    loop->slow = threshold > 0 ? threshold : 0;
}
#endif

/* One iteration (the loop is marked running meanwhile). */
static int run_once(struct coro_loop *loop)
{
    /* a deadline already past is due now: the clock never sees a deadline
     * before the loop time (a clock's times are >= 0), so never one that
     * reads as CORO_FOREVER */
    coro_time deadline = loop->ready.tail ? loop->now       /* don't wait */
                       : !loop->heap_len ? CORO_FOREVER
                       : loop->heap[0].when < loop->now ? loop->now : loop->heap[0].when;
    /* every iteration asks the clock, as asyncio's selects with timeout 0
     * when something is ready: a selector then still sees its fds */
    int rc = loop->clock->wait(loop, deadline);
    if (rc == CORO_EEMPTY)
        return 0;
    if (rc < 0)
        return rc;
    loop->now = loop->clock->now(loop);
#ifdef CORO_DEBUG
    if (!debug_heap_ok(loop))
        return CORO_ECORRUPT;
#endif
    fire_due(loop);
    /* this iteration runs what is ready now; what they schedule waits for
     * the next one */
    list_splice(&loop->batch, &loop->ready);
#ifdef CORO_DEBUG
    rc = debug_run_batch(loop);
#else
    {
        struct coro_handle *h;
        while ((h = coro_list_pop(&loop->batch)) != NULL) {
            if (loop->batch.tail)
                CORO__PREFETCH(loop->batch.tail->u.next);
            h->fn(h);
        }
        rc = 1;
    }
#endif
    list_splice(&loop->ready, &loop->woken);    /* fire_due's woken sleeps */
    return rc;
}

int coro_loop_run_once(struct coro_loop *loop)
{
    int rc;
    if (loop->running)
        return CORO_EBUSY;      /* asyncio: "This event loop is already running" */
    loop->running = 1;
    rc = run_once(loop);
    loop->running = 0;
    return rc;
}

int coro_loop_run_forever(struct coro_loop *loop)
{
    int rc;
    if (loop->running)
        return CORO_EBUSY;
    loop->running = 1;
    do                          /* a stop() before the call still runs one */
        rc = run_once(loop);
    while (rc > 0 && !loop->stopping);
    loop->stopping = 0;
    loop->running = 0;
    return rc < 0 ? rc : 0;
}

static void stop_cb(struct coro_handle *h)
{
    (void)h;
}

/* run_until_complete's iterations, while the loop is marked running. */
static int run_until(struct coro_loop *loop, struct coro_future *fut)
{
    struct coro_handle stop;
    int rc;
    while (!coro_future_done(fut)) {
        rc = run_once(loop);
        if (rc <= 0)
            return rc < 0 ? rc : CORO_ESTATE;
        if (loop->stopping)     /* asyncio: "Event loop stopped before
                                   Future completed" (unless it just did) */
            return coro_future_done(fut) ? 0 : CORO_ESTATE;
    }
    /* asyncio stops through a done callback of fut, queued when fut was
     * done: one more iteration always runs (what fut's completion made
     * ready, the timers due by then), and it does not wait */
    coro_handle_init(&stop, stop_cb);
    coro_list_push(&loop->ready, &stop);
    rc = run_once(loop);
    if (stop.u.idle)
        coro_loop_cancel(loop, &stop);      /* the clock failed: not run */
    return rc < 0 ? rc : 0;
}

int coro_loop_run_until_complete(struct coro_loop *loop, struct coro_future *fut,
                                 coro_value *out)
{
    int rc;
    if (loop->running)
        return CORO_EBUSY;
    loop->running = 1;
    loop->until = fut;
    rc = run_until(loop, fut);
    loop->until = NULL;
    loop->stopping = 0;
    loop->running = 0;
    return rc ? rc : coro_future_result(fut, out);
}

int coro_loop_run_task(struct coro_loop *loop, struct coro_task *t, coro_fn fn)
{
    int err = coro_task_start(t, loop, fn);
    return err ? err : coro_loop_run_until_complete(loop, &t->fut, NULL);
}

void coro_loop_stop(struct coro_loop *loop)
{
    loop->stopping = 1;
}

/* ------------------------------------------------------------------------ */
/* Futures                                                                  */
/* ------------------------------------------------------------------------ */

int coro_future_init(struct coro_future *f, struct coro_loop *loop)
{
    if (f->state == CORO_PENDING && f->waiters.tail)
        return CORO_EBUSY;      /* its waiters would be lost */
    coro__future_reset(f, loop);
    return 0;
}

void coro__future_reset(struct coro_future *f, struct coro_loop *loop)
{
    f->loop = loop;
    f->waiters.tail = NULL;
    f->val.i = 0;
    f->state = CORO_PENDING;
    f->type = CORO_NONE;
    f->kind = CORO__FUT_PLAIN;
    f->task = 0;
    f->slot = 0;
}

void coro_future_hook(struct coro_future_hooked *f, struct coro_loop *loop,
                      coro_cancel_hook hook)
{
    coro__future_reset(&f->fut, loop);
    f->fut.kind = CORO__FUT_HOOK;
    f->cancel = hook;
}

/* Done: every waiter joins the ready queue, in the order it came. */
void coro__future_finish(struct coro_future *f, unsigned state, union coro_word val,
                         unsigned type)
{
    f->state = (unsigned char)state;
    f->val = val;
    f->type = (unsigned char)type;
    list_splice(&f->loop->ready, &f->waiters);
}

int coro_future_set_result(struct coro_future *f, coro_value v)
{
    if (f->state != CORO_PENDING)
        return CORO_ESTATE;
    coro__future_finish(f, CORO_DONE, v.v, v.type);
    return 0;
}

int coro_future_set_error(struct coro_future *f, int err)
{
    union coro_word w;
    if (err == 0)
        return CORO_EINVAL;
    if (f->state != CORO_PENDING)
        return CORO_ESTATE;
    w.i = err;
    coro__future_finish(f, CORO_DONE, w, CORO__FAILED);
    return 0;
}

int coro_future_cancel(struct coro_future *f)
{
    union coro_word w;
    if (f->state != CORO_PENDING)
        return CORO_ESTATE;
    if (f->kind == CORO__FUT_TASK)
        return coro_task_cancel(CORO__CONTAINER_OF(f, struct coro_task, fut));
    if (f->kind == CORO__FUT_HOOK)
        return ((struct coro_future_hooked *)(void *)f)->cancel(f);
    w.i = CORO_ECANCELLED;
    coro__future_finish(f, CORO_CANCELLED, w, CORO__FAILED);
    return 0;
}

int coro_future_result(const struct coro_future *f, coro_value *out)
{
    if (f->state == CORO_PENDING)
        return CORO_ESTATE;
    if (f->type == CORO__FAILED)
        return (int)f->val.i;
    if (out) {
        out->v = f->val;
        out->type = f->type;
    }
    return 0;
}

int coro_future_add_done_callback(struct coro_future *f, struct coro_handle *h)
{
    if (h->u.idle)
        return CORO_EBUSY;
    coro_list_push(f->state == CORO_PENDING ? &f->waiters : &f->loop->ready, h);
    return 0;
}

int coro_future_remove_done_callback(struct coro_future *f, struct coro_handle *h)
{
    return coro_list_remove(&f->waiters, h) ? 0 : CORO_ESTATE;
}

/* ------------------------------------------------------------------------ */
/* Tasks                                                                    */
/* ------------------------------------------------------------------------ */

/* A primitive's list of waiting tasks (coro_loop_wait_on) is a coro_list
 * whose ring is also linked backwards, so that a cancel takes a task off in
 * O(1) (a lock with 100,000 waiters cancelled last-first stays linear). The
 * backward link costs no byte: while a task is on such a list its handle's
 * fn, always task_step for a task, holds its predecessor, and task_step is
 * put back when the task leaves (waitq_pop, waitq_remove). */
static void task_step(struct coro_handle *h);
static int task_cancel_deliver(struct coro_task *t);

typedef char coro__fn_holds_a_pointer[sizeof(coro_callback) >= sizeof(struct coro_handle *) ?
                                      1 : -1];

static struct coro_handle *waitq_prev(const struct coro_handle *h)
{
    struct coro_handle *p;
    memcpy(&p, &h->fn, sizeof p);
    return p;
}

static void waitq_set_prev(struct coro_handle *h, struct coro_handle *p)
{
    memcpy(&h->fn, &p, sizeof p);
}

/* The head's stored predecessor is never read (it is the tail), so a pop,
 * the common case, only puts task_step back. */
static void waitq_push(struct coro_list *l, struct coro_handle *h)
{
    if (l->tail)
        waitq_set_prev(h, l->tail);
    coro_list_push(l, h);
}

static struct coro_handle *waitq_pop(struct coro_list *l)
{
    struct coro_handle *h = coro_list_pop(l);
    if (h)
        h->fn = task_step;
    return h;
}

static void waitq_remove(struct coro_list *l, struct coro_handle *h)
{
    struct coro_handle *next = h->u.next;
    struct coro_handle *prev = l->tail->u.next == h ? l->tail : waitq_prev(h);
    if (next == h) {
        l->tail = NULL;
    } else {
        prev->u.next = next;
        if (l->tail == h)
            l->tail = prev;
        else
            waitq_set_prev(next, prev);
    }
    h->u.idle = 0;
    h->fn = task_step;
}

static struct coro_task *task_of(struct coro_handle *h)
{
    return CORO__CONTAINER_OF(h, struct coro_task, h);
}

#define WAITING (CORO__T_SLEEP | CORO__T_WAIT_FUT | CORO__T_WAIT_LIST)

/* The task is no longer live: its slot goes to the last one. */
static void task_leave(struct coro_loop *loop, struct coro_task *t)
{
    loop->ntasks--;
    if (loop->tasks) {
        struct coro_task_slot *last = &loop->tasks[loop->ntasks];
        loop->tasks[t->fut.slot] = *last;
        last->task->fut.slot = t->fut.slot;
    }
}

/* Ends the task: its future gets the coroutine's outcome. An error nobody
 * awaits goes to the loop's hook. */
static void task_finish(struct coro_task *t, int rc, coro_value out)
{
    struct coro_loop *loop = t->fut.loop;
    union coro_word w;
    struct coro_scope *group = t->scope;
    int unretrieved;
    while (group && group->task == t)   /* its own scopes have all ended */
        group = group->outer;
    unretrieved = rc != CORO_RETURNED && rc != CORO_ECANCELLED && !t->fut.waiters.tail &&
                  loop->until != &t->fut && !group;
    t->fut.task = 0;
    task_leave(loop, t);
    t->scope = group;
    if (group) {            /* its group hears first, as the first done callback */
        t->h.fn = group->child_done;
        coro_list_push(&loop->ready, &t->h);
    }
    if (rc == CORO_RETURNED) {
        coro__future_finish(&t->fut, CORO_DONE, out.v, out.type);
        return;
    }
    w.i = rc;
    coro__future_finish(&t->fut, rc == CORO_ECANCELLED ? CORO_CANCELLED : CORO_DONE, w,
                        CORO__FAILED);
    if (unretrieved && loop->on_error)
        loop->on_error(loop, t, rc);        /* the task is done by now */
}

/* Queues the task to have err thrown in at its next step. */
static void task_throw_soon(struct coro_task *t, int err)
{
    t->fut.task |= CORO__T_WOKEN;
    t->fut.type = CORO__FAILED;
    t->fut.val.i = err;
    coro_list_push(&t->fut.loop->ready, &t->h);
}

/* One step: resume the coroutine with what woke it, then read what it yields
 * to learn what to wait for (asyncio's Task.__step). */
static void task_step(struct coro_handle *h)
{
    struct coro_task *t = task_of(h);
    struct coro_future *f = &t->fut;
    struct coro_loop *loop = f->loop;
    coro_value in = coro_none(), out;
    int err = 0, rc;
    unsigned flags = f->task;

    if (flags & CORO__T_CANCEL) {
        err = CORO_ECANCELLED;
    } else if (flags & CORO__T_WAIT_FUT) {
        err = coro_future_result((const struct coro_future *)f->val.p, &in);
    } else if (flags & CORO__T_WOKEN) {
        if (f->type == CORO__FAILED)
            err = (int)f->val.i;
        else {
            in.v = f->val;
            in.type = f->type;
        }
    }
    /* while it runs, a task woken by coro_loop_wake keeps the value it was
     * handed in val (coro_loop_woken), even if a cancel is thrown instead */
    f->task = (unsigned char)(CORO__T_RUNNING |
                               (flags & CORO__T_WOKEN ? CORO__T_HANDED : 0));
    if (!(flags & CORO__T_WOKEN)) {
        f->val.i = 0;
        f->type = CORO_NONE;
    }
    loop->current = t;
    rc = coro__resume_owned(&t->co, in, err, &out);
    loop->current = NULL;
    f->task &= (unsigned char)~(CORO__T_RUNNING | CORO__T_HANDED);

    if (rc != CORO_YIELDED) {
        if (rc == CORO_RETURNED && (f->task & CORO__T_CANCEL))
            rc = CORO_ECANCELLED;       /* cancelled right before it returned */
        task_finish(t, rc, out);
        return;
    }
    if (!(f->task & WAITING)) {
        if (out.type == CORO_PTR && out.v.p) {
            struct coro_future *w = (struct coro_future *)out.v.p;
            if (w == f) {
                task_throw_soon(t, CORO_EBUSY);     /* awaiting itself */
            } else if (w->loop != loop) {
                task_throw_soon(t, CORO_ELOOP);     /* another loop's */
            } else {
                f->task |= CORO__T_WAIT_FUT;
                f->val.p = w;
                coro_list_push(w->state == CORO_PENDING ? &w->waiters : &loop->ready, h);
            }
        } else if (out.type == CORO_NONE) {
            coro_list_push(&loop->ready, h);        /* sleep(0) */
        } else {
            task_throw_soon(t, CORO_EINVAL);        /* a bad yield */
        }
    }
    if (f->task & CORO__T_CANCEL) {                /* it cancelled itself */
        f->task &= (unsigned char)~CORO__T_CANCEL;
        task_cancel_deliver(t);
    }
}

int coro_task_start(struct coro_task *t, struct coro_loop *loop, coro_fn fn)
{
    if (!t || !loop || !fn)
        return CORO_EINVAL;
    /* live (queued, sleeping, waiting, running), or done with its handle
     * still queued (its task group has not heard yet): restarting would
     * lose it */
    if (t->h.u.idle ||
        (t->fut.state == CORO_PENDING && ((t->fut.task & CORO__T_RUNNING) || t->fut.waiters.tail)))
        return CORO_EBUSY;
    if (loop->tasks) {
        if (loop->ntasks == loop->tasks_cap)
            return CORO_EFULL;
        loop->tasks[loop->ntasks].task = t;
        loop->tasks[loop->ntasks].name = NULL;
    }
    coro_init(&t->co, fn);
    t->scope = NULL;
    t->gnext = NULL;
    coro__own(&t->co);          /* awaiting the task's coroutine: CORO_EBUSY */
    coro__future_reset(&t->fut, loop);
    t->fut.kind = CORO__FUT_TASK;
    t->fut.slot = loop->ntasks++;
    coro_handle_init(&t->h, task_step);
    coro_list_push(&loop->ready, &t->h);
    return 0;
}

static struct coro_task *task_of_fut(struct coro_future *f)
{
    return CORO__CONTAINER_OF(f, struct coro_task, fut);
}

/* Cancels t where it is, t not awaiting a future (or met again on the
 * chain a cancel walks: an await cycle). */
static int task_cancel_here(struct coro_task *t)
{
    struct coro_future *f = &t->fut;
    struct coro_loop *loop = f->loop;
    unsigned flags = f->task;
    if (flags & CORO__T_RUNNING) {
        f->task |= CORO__T_CANCEL;    /* acted on when the step yields */
        return 0;
    }
    if (flags & CORO__T_WAIT_FUT) {
        /* this cancel came back round to t, whose own cancel is in progress:
         * t awaits something that awaits ... t (asyncio recurses until
         * RecursionError). t stops waiting and its step throws, which
         * unwinds the cycle. */
        coro_list_remove(&((struct coro_future *)f->val.p)->waiters, &t->h);
    } else if (flags & CORO__T_SLEEP) {
        /* asyncio cancels the sleep's future, which queues the task now,
         * also when its timer fell due in this iteration and its turn has
         * not come yet (it is in the batch, or woken by fire_due and not
         * yet queued); once queued, its step throws */
        if (heap_contains(loop, &t->h)) {
            heap_remove(loop, &t->h);
        } else if (!coro_list_remove(&loop->woken, &t->h) &&
                   (t->h.fn != sleep_fire || !coro_list_remove(&loop->batch, &t->h))) {
            f->task |= CORO__T_CANCEL;
            return 0;
        }
        t->h.fn = task_step;
    } else if (flags & CORO__T_WAIT_LIST) {
        waitq_remove((struct coro_list *)f->val.p, &t->h);
    } else {
        f->task |= CORO__T_CANCEL;    /* already queued: its step throws */
        return 0;
    }
    f->task = CORO__T_CANCEL;
    coro_list_push(&loop->ready, &t->h);
    return 0;
}

/* Delivers a cancel to t (asyncio's Task.cancel once counted). */
static int task_cancel_deliver(struct coro_task *t)
{
    struct coro_task *cur = t, *next;
    struct coro_future *w;
    size_t n = 0, i;
    if (!(t->fut.task & CORO__T_WAIT_FUT) || (t->fut.task & CORO__T_MARK))
        return task_cancel_here(t);
    /* asyncio cancels what the task awaits, which for a task awaiting a
     * future cancels that in turn, and so on: walk the chain of tasks
     * awaiting tasks, marking each (a task met marked is an await cycle),
     * to the future the deepest one awaits, and cancel that. Iterative:
     * no recursion, linear in the chain's length. */
    for (;;) {
        cur->fut.task |= CORO__T_MARK;
        n++;
        w = (struct coro_future *)cur->fut.val.p;
        if (w->state != CORO_PENDING || w->kind != CORO__FUT_TASK)
            break;
        next = task_of_fut(w);
        if (!(next->fut.task & CORO__T_WAIT_FUT) || (next->fut.task & CORO__T_MARK))
            break;
        cur = next;
    }
    /* the deepest task wakes when w is done and gets CORO_ECANCELLED from
     * it; if w cannot be cancelled (or is done already), the step that
     * resumes the task throws. The others wake as their awaited tasks end. */
    if (w->state != CORO_PENDING || coro_future_cancel(w) != 0)
        cur->fut.task |= CORO__T_CANCEL;
    for (cur = t, i = 0; i < n; i++) {
        cur->fut.task &= (unsigned char)~CORO__T_MARK;
        if (i + 1 < n)
            cur = task_of_fut((struct coro_future *)cur->fut.val.p);
    }
    return 0;
}

int coro_task_cancel(struct coro_task *t)
{
    return coro__task_cancel_from(t, NULL);
}

/* t's own scopes, innermost first: those of t's chain up to its group. */
#define OWN_SCOPES(s, t) for ((s) = (t)->scope; (s) && (s)->task == (t); (s) = (s)->outer)

int coro__task_cancel_from(struct coro_task *t, struct coro_scope *origin)
{
    struct coro_scope *s, *shield = NULL;
    if (t->fut.state != CORO_PENDING)
        return CORO_ESTATE;
    OWN_SCOPES(s, t) {
        if (s == origin)
            break;
        if (s->flags & CORO__SC_SHIELD)
            shield = s;             /* the outermost shield it crosses */
    }
    /* counted where it arrives: in the shield that holds it (the scopes
     * inside never see it), else in the innermost scope */
    s = shield ? shield : t->scope && t->scope->task == t ? t->scope : NULL;
    if (s && s->requests < UINT16_MAX)
        s->requests++;
    if (shield) {
        shield->flags |= CORO__SC_HELD;
        return 0;
    }
    return task_cancel_deliver(t);
}

void coro__scope_push(struct coro_task *t, struct coro_scope *s)
{
    s->outer = t->scope;
    s->task = t;
    s->requests = 0;
    t->scope = s;
}

unsigned coro__scope_pop(struct coro_scope *s, unsigned own)
{
    struct coro_task *t = s->task;
    unsigned others = s->requests > own ? s->requests - own : 0;
    t->scope = s->outer;
    if (s->outer && s->outer->task == t) {
        unsigned n = s->outer->requests + others;
        s->outer->requests = (uint16_t)(n < UINT16_MAX ? n : UINT16_MAX);
    }
    if (s->flags & CORO__SC_HELD) {
        s->flags &= (unsigned char)~CORO__SC_HELD;
        if (t->fut.state == CORO_PENDING)
            task_cancel_deliver(t);
    } else if (own && !others && (t->fut.task & CORO__T_RUNNING)) {
        t->fut.task &= (unsigned char)~CORO__T_CANCEL;  /* only s asked: withdrawn */
    }
    return others;
}

int coro_task_set_name(struct coro_task *t, const char *name)
{
    struct coro_loop *loop = t->fut.loop;
    if (t->fut.kind != CORO__FUT_TASK || t->fut.state != CORO_PENDING || !loop->tasks)
        return CORO_EINVAL;
    loop->tasks[t->fut.slot].name = name;
    return 0;
}

const char *coro_task_name(const struct coro_task *t)
{
    const struct coro_loop *loop = t->fut.loop;
    if (t->fut.kind != CORO__FUT_TASK || t->fut.state != CORO_PENDING || !loop->tasks)
        return NULL;
    return loop->tasks[t->fut.slot].name;
}

struct coro *coro_task_frame(struct coro_task *t, unsigned depth)
{
    struct coro *g = t->co.leaf ? t->co.leaf : &t->co;
    while (g && depth--)
        g = g->parent;
    return g;
}

uint32_t coro_loop_dump(struct coro_loop *loop, coro_dump_fn fn, void *arg)
{
    uint32_t i, n = 0;
    for (i = 0; loop->tasks && i < loop->ntasks; i++) {
        struct coro_task *t = loop->tasks[i].task;
        struct coro *g;
        unsigned depth;
        for (depth = 0; (g = coro_task_frame(t, depth)) != NULL; depth++, n++) {
            const char *file = NULL;
            unsigned line = 0;
            if (t != loop->current)     /* a running body is not asked */
                line = coro_where(g, &file);
            fn(arg, t, loop->tasks[i].name, depth, file, line);
        }
    }
    return n;
}

static struct coro_task *running_task(struct coro_loop *loop)
{
    struct coro_task *t = loop ? loop->current : NULL;
    return t && (t->fut.task & CORO__T_RUNNING) && !(t->fut.task & WAITING) ? t : NULL;
}

/* A sleep's timer fell due and has its turn in the batch: the task steps at
 * the next iteration, behind what the handles before it scheduled, where
 * asyncio's sleep future (set by its timer) queues the task. */
static void sleep_fire(struct coro_handle *h)
{
    task_of(h)->fut.task &= (unsigned char)~CORO__T_SLEEP;
    h->fn = task_step;
    coro_list_push(&task_of(h)->fut.loop->ready, h);
}

int coro_loop_sleep_until_arm(struct coro_loop *loop, coro_time when)
{
    struct coro_task *t = running_task(loop);
    int rc;
    if (!t)
        return CORO_ENOTASK;
    if (when <= loop->now)
        when = loop->now;
    rc = heap_insert(loop, &t->h, when);
    if (rc == 0) {
        t->fut.task |= CORO__T_SLEEP;
        t->h.fn = sleep_fire;           /* the timer's callback, then the step */
    }
    return rc;
}

int coro_loop_sleep_arm(struct coro_loop *loop, coro_time ns)
{
    if (!running_task(loop))
        return CORO_ENOTASK;
    if (ns <= 0)
        return 0;       /* sleep(0): the bare yield requeues the task */
    return coro_loop_sleep_until_arm(loop, coro__time_add(loop->now, ns));
}

int coro_loop_wait_on(struct coro_loop *loop, struct coro_list *list)
{
    struct coro_task *t = running_task(loop);
    if (!t)
        return CORO_ENOTASK;
    t->fut.task |= CORO__T_WAIT_LIST;
    t->fut.val.p = list;
    waitq_push(list, &t->h);
    return 0;
}

int coro_loop_woken(const struct coro_loop *loop, coro_value *v)
{
    const struct coro_task *t = loop->current;
    if (!t || !(t->fut.task & CORO__T_HANDED))
        return 0;
    if (v) {
        v->v = t->fut.val;
        v->type = t->fut.type;
    }
    return 1;
}

/* Takes the first task off `list` and queues it on `to` with v or err. */
static struct coro_task *wake_onto(struct coro_list *list, struct coro_list *to,
                                   coro_value v, int err)
{
    struct coro_handle *h = waitq_pop(list);
    struct coro_task *t;
    if (!h)
        return NULL;
    t = task_of(h);
    t->fut.task = (unsigned char)((t->fut.task & ~CORO__T_WAIT_LIST) | CORO__T_WOKEN);
    if (err) {
        t->fut.type = CORO__FAILED;
        t->fut.val.i = err;
    } else {
        t->fut.type = v.type;
        t->fut.val = v.v;
    }
    coro_list_push(to, h);
    return t;
}

struct coro_task *coro_loop_wake(struct coro_loop *loop, struct coro_list *list,
                                 coro_value v, int err)
{
    return wake_onto(list, &loop->ready, v, err);
}

struct coro_task *coro__loop_wake_onto(struct coro_list *list, struct coro_list *to)
{
    return wake_onto(list, to, coro_none(), 0);
}
