/* SPDX-License-Identifier: MIT */
/*
 * loop.h -- futures, tasks and the event loop on top of coro.h: asyncio's
 * Future, Task, call_soon / call_later, sleep, run_until_complete, rebuilt
 * without allocation. The sync primitives and the ways of waiting on several
 * futures (gather, wait, wait_for, as_completed, shield) are declared here too.
 *
 * Every object is caller-owned: the loop keeps pointers to your handles,
 * futures and tasks while they are scheduled, never copies, never allocates.
 * The timer heap is an array you give to coro_loop_init.
 *
 * A TASK drives one coroutine. Its frame embeds struct coro_task first:
 *
 *   struct slow { struct coro_task task; int n; };      // async def slow(n):
 *   static int slow(struct coro *co) {
 *       struct slow *f = (struct slow *)co;
 *       CORO_BEGIN(co);
 *       CORO_SLEEP(co, f->task.fut.loop, CORO_SEC);      //     await asyncio.sleep(1)
 *       printf("Slow operation %d complete\n", f->n);    //     print(...)
 *       CORO_END(co);
 *   }
 *   struct slow s = { .n = 1 };
 *   coro_task_start(&s.task, &loop, slow);               // asyncio.ensure_future(slow(1))
 *   coro_loop_run_until_complete(&loop, &s.task.fut);
 *
 * What a task's coroutine yields tells the task what to wait for:
 *   coro_ptr(future)  wait until the future is done, then resume with its
 *                     result (or throw its error / CORO_ECANCELLED);
 *   coro_none()       yield to the loop: every other ready task runs once first
 *                     (asyncio.sleep(0)), unless the body armed a sleep or a
 *                     wait on a primitive before yielding (CORO_SLEEP, the sync
 *                     primitives' macros do);
 *   anything else     a bad yield: CORO_EINVAL is thrown back in.
 *
 * The loop is single-threaded: call it from the thread that runs it.
 */
#ifndef CORO_LOOP_H
#define CORO_LOOP_H

#include "coro.h"

/* Private: CORO_SLEEP's duration is integer nanoseconds. A double (seconds,
 * as asyncio.sleep takes them: CORO_SLEEP(co, loop, 0.01)) would silently
 * become 0 ns, so it fails to compile where the compiler can tell: GNU C
 * ("negative width in bit-field 'coro_sleep_takes_integer_nanoseconds'")
 * and C++11 (a static_assert). */
#if defined(__GNUC__) && !defined(__cplusplus)
#define CORO__NS(ns) ((ns) + 0 * (int)sizeof(struct { \
    int coro_sleep_takes_integer_nanoseconds : \
        1 - 2 * (__builtin_types_compatible_p(__typeof__(ns), double) | \
                 __builtin_types_compatible_p(__typeof__(ns), float) | \
                 __builtin_types_compatible_p(__typeof__(ns), long double)); }))
#elif defined(__cplusplus) && __cplusplus >= 201103L
template <typename T> static inline T coro__ns(T ns)
{
    static_assert((T)0.5 == (T)0, "CORO_SLEEP takes integer nanoseconds "
                  "(n * CORO_MSEC), not seconds as a double");
    return ns;
}
#define CORO__NS(ns) coro__ns(ns)
#else
#define CORO__NS(ns) (ns)
#endif

/* Private: the options that change struct layouts (CORO_USE_LABELS,
 * CORO_NO_DOUBLE) are part of the name coro_loop_init links as, so that a
 * program built with other options than its libcoro fails to link, naming
 * them: "undefined reference to
 * `coro_loop_init__with_CORO_USE_LABELS__without_CORO_NO_DOUBLE'". */
#ifdef CORO_USE_LABELS
#define CORO__ABI_LC with_CORO_USE_LABELS
#else
#define CORO__ABI_LC without_CORO_USE_LABELS
#endif
#ifdef CORO_NO_DOUBLE
#define CORO__ABI_DBL with_CORO_NO_DOUBLE
#else
#define CORO__ABI_DBL without_CORO_NO_DOUBLE
#endif
/* coro_loop_init (below) under its link name, which carries the options. */
#define coro_loop_init \
    CORO__CAT(CORO__CAT(CORO__CAT(coro_loop_init__, CORO__ABI_LC), __), CORO__ABI_DBL)

#ifdef __cplusplus
extern "C" {
#endif


struct coro_loop;
struct coro_future;
struct coro_task;
struct coro_scope;

/* ------------------------------------------------------------------------ */
/* Handles: the unit of scheduled work                                      */
/* ------------------------------------------------------------------------ */

struct coro_handle;

/* What a handle runs. Recover your context from `h` (embed the handle). */
typedef void (*coro_callback)(struct coro_handle *h);

/* A callback the loop can run: on the ready queue (call_soon), in the timer
 * heap (call_later / call_at) or on a future's done list. 16 bytes on x86-64.
 * Caller-owned; while scheduled, the loop links it and it must stay valid.
 * Idle after coro_handle_init and again once it has run or been cancelled,
 * when it may be scheduled again. */
struct coro_handle {
    union {
        struct coro_handle *next;  /* on a list (ready queue, waiters) */
        struct {
            uint32_t seq;          /* in the heap: insertion order, never 0 */
            uint32_t index;        /* in the heap: slot */
        } heap;
        uint64_t idle;             /* 0 when not scheduled anywhere */
    } u;
    coro_callback fn;
#ifdef CORO_DEBUG
    uint32_t check;                /* CORO__CHECK(h) while valid */
#endif
};


/* Prepares an idle handle that will run fn. With CORO_DEBUG, it also marks
 * the handle valid: every handle the loop runs must come from here. */
void coro_handle_init(struct coro_handle *h, coro_callback fn);

/* A FIFO of handles (singly linked ring; the tail points at the head): the
 * ready queue, a future's done callbacks, a primitive's waiting tasks. */
struct coro_list {
    struct coro_handle *tail;
};


/* One entry of the timer heap: 16 bytes on x86-64. */
struct coro_timer_slot {
    coro_time when;
    struct coro_handle *h;
};

/* ------------------------------------------------------------------------ */
/* The loop                                                                 */
/* ------------------------------------------------------------------------ */

/* Where time comes from and how the loop waits: the one place where the
 * sleeping loop, the virtual clock, a microcontroller and the selector loop
 * differ. `now` returns the time, never negative; `wait` is called once per
 * iteration and blocks until `deadline` (a time of `now`, never before the
 * cached loop time: the loop time itself when something is ready or due
 * already, and then it must not block; or CORO_FOREVER, -1, for no
 * deadline: since deadlines are never negative, -1 always means that) or
 * until something external happens, and returns 0,
 * or CORO_EEMPTY when nothing can ever happen (a sleeping loop asked to wait
 * forever), or a negative error. */
struct coro_clock {
    coro_time (*now)(struct coro_loop *loop);
    int (*wait)(struct coro_loop *loop, coro_time deadline);
};

/* The real clock of a host: CLOCK_MONOTONIC, waits with nanosleep. */
extern const struct coro_clock coro_clock_monotonic;
/* The virtual clock: starts at 0, and a wait jumps straight to its deadline,
 * so timers fire in order, instantly and deterministically. */
extern const struct coro_clock coro_clock_virtual;

/* The event loop: 120 bytes on x86-64, plus the timer array you give it.
 * Fields are private. */
struct coro_loop {
    struct coro_list ready;         /* handles to run next iteration */
    struct coro_list batch;         /* handles this iteration runs */
    struct coro_list woken;         /* sleeps due this iteration, queued
                                       behind the batch's work (loop.c) */
    struct coro_timer_slot *heap;   /* 4-ary min-heap on (when, seq) */
    uint32_t heap_len, heap_cap;
    uint32_t seq;                   /* last timer sequence number */
    unsigned char stopping;         /* coro_loop_stop was called */
    unsigned char running;          /* inside run_once / _forever / _until */
    unsigned char holds;            /* attached selector loops (io.c) */
    coro_time now;                  /* cached once per iteration */
    coro_time vnow;                 /* the virtual clock's time */
    const struct coro_clock *clock;
    struct coro_task *current;      /* the task running now, or NULL */
    struct coro_task_slot *tasks;   /* the live tasks, or NULL */
    uint32_t ntasks, tasks_cap;     /* live tasks (counted also without a
                                       table), table slots */
    void (*on_error)(struct coro_loop *loop, struct coro_task *t, int err);
    struct coro_future *until;      /* run_until_complete's future */
#ifdef CORO_DEBUG
    coro_time slow;                 /* coro_loop_set_slow's threshold, or 0 */
#endif
    void *data;                     /* the user's: the library never uses it */
};

/* One slot of the loop's table of live tasks (coro_loop_set_tasks). */
struct coro_task_slot {
    struct coro_task *task;
    const char *name;               /* coro_task_set_name, or NULL */
};

/* Prepares a loop with `cap` timer slots in `heap` (caller-owned; one slot per
 * pending timer or sleeping task) and the host's monotonic clock where there
 * is one (else the virtual clock). Returns 0, or CORO_EINVAL for a NULL loop,
 * or a NULL heap with cap > 0. */
int coro_loop_init(struct coro_loop *loop, struct coro_timer_slot *heap, uint32_t cap);

/* loop.close(): 0, and the loop holds nothing any more (no timer array, no
 * task table, no hook; init it again to reuse it); or CORO_EBUSY, and
 * nothing changes, while anything is still scheduled or alive: a live task,
 * a timer, a ready callback, an attached selector loop (coro_io_loop_close
 * it first: that wakes the tasks waiting on fds with CORO_ECLOSED), or
 * while the loop runs. */
int coro_loop_close(struct coro_loop *loop);

/* Gives the loop a table of `cap` slots for its live tasks (caller-owned):
 * from now on each task started on it takes a slot until it ends (a start
 * with no free slot is CORO_EFULL), so that coro_loop_task walks them
 * (asyncio.all_tasks) and a task can have a name. 0, CORO_EBUSY if tasks
 * are live already, CORO_EINVAL for a NULL table with cap > 0. NULL, 0:
 * no table. */
int coro_loop_set_tasks(struct coro_loop *loop, struct coro_task_slot *slots, uint32_t cap);

/* The number of live tasks (started, not yet done): counted with or without
 * a table. */
static inline uint32_t coro_loop_task_count(const struct coro_loop *loop)
{
    return loop->ntasks;
}

/* The i-th live task, 0 <= i < coro_loop_task_count (in no set order, as
 * asyncio.all_tasks' set; a task that ends moves the last one to its
 * place), *name its name (if name is not NULL); NULL without a table or
 * past the end. */
struct coro_task *coro_loop_task(const struct coro_loop *loop, uint32_t i, const char **name);

/* What the loop does with an error nobody retrieves: a task that ends with
 * an error (not a cancel) while nothing awaits its future (no waiting task,
 * no done callback, not run_until_complete's future) is reported to
 * hook(loop, task, err) right then, from inside the task's last step:
 * asyncio's exception handler with "Task exception was never retrieved"
 * (asyncio says it when the task is collected). NULL (the default): nothing
 * is reported; the library never prints. */
void coro_loop_set_error_hook(struct coro_loop *loop,
                              void (*hook)(struct coro_loop *loop, struct coro_task *t, int err));

#ifdef CORO_DEBUG
/* A debug build (every file compiled with -DCORO_DEBUG) checks each handle
 * before it runs or fires: one whose check value is gone (a task or handle
 * on the stack of a function that returned while it was scheduled) is
 * reported to the error hook as CORO_ECORRUPT (task NULL), instead of a
 * wild jump, and the iteration ends with that error, dropping what was
 * left of its batch. Each callback or task step that takes longer than
 * `threshold` ns of the loop's clock (0: not measured) is reported as
 * CORO_ESLOW (with the task, if it was a task's step). */
void coro_loop_set_slow(struct coro_loop *loop, coro_time threshold);
#endif

/* Uses `clock` from now on (e.g. &coro_clock_virtual). The cached time is
 * re-read at once. */
void coro_loop_set_clock(struct coro_loop *loop, const struct coro_clock *clock);

/* loop.time(): the time cached at the start of this iteration. */
static inline coro_time coro_loop_time(const struct coro_loop *loop)
{
    return loop->now;
}

/* loop.call_soon(h): runs h at the next iteration, after what is already
 * queued. 0, or CORO_EBUSY if h is already scheduled (it stays so). */
int coro_loop_call_soon(struct coro_loop *loop, struct coro_handle *h);

/* loop.call_at(when, h): runs h at the first iteration whose time is at or
 * after `when` (any value: one in the past, -1 and INT64_MIN included, is
 * due at once); handles due at the same time run in the order they were
 * scheduled. 0, CORO_EBUSY (already scheduled) or CORO_EFULL (no free timer
 * slot); h is unchanged on error. */
int coro_loop_call_at(struct coro_loop *loop, struct coro_handle *h, coro_time when);

/* loop.call_later(delay, h): call_at(loop time + delay), the sum saturated
 * at the ends of time (INT64_MAX: never reached in practice; a deadline is
 * never taken for CORO_FOREVER); a negative delay is a deadline in the past,
 * due at the next iteration in deadline order. */
int coro_loop_call_later(struct coro_loop *loop, struct coro_handle *h, coro_time delay);

/* timer.cancel() then loop.call_later(delay) on the same handle, in one
 * step (libev's ev_timer_again): h, idle or in the timer heap, is scheduled
 * `delay` from now, after every timer already scheduled for that deadline.
 * O(log n), no slot taken or freed when h was in the heap. 0, CORO_EBUSY
 * (h is on the ready queue or a list: nothing changes) or CORO_EFULL. */
int coro_loop_rearm(struct coro_loop *loop, struct coro_handle *h, coro_time delay);

/* handle.cancel(): unschedules h (O(log n) in the heap, O(queue) on the ready
 * queue). 0, or CORO_ESTATE if h was not scheduled by call_soon/later/at. */
int coro_loop_cancel(struct coro_loop *loop, struct coro_handle *h);

/* Runs one iteration: waits for the first deadline (not at all if something
 * is ready), then runs the timers that are due and everything that was ready
 * when the iteration began. Returns 1, or 0 if there was nothing to run and
 * nothing to wait for, or the clock's error; CORO_EBUSY if the loop is
 * running already (called from a task or a callback: nothing is run). */
int coro_loop_run_once(struct coro_loop *loop);

/* loop.run_forever(): runs iterations until coro_loop_stop or until nothing
 * is left to do. Returns 0 or the clock's error; CORO_EBUSY (nothing run)
 * if the loop is running already, as asyncio raises RuntimeError. */
int coro_loop_run_forever(struct coro_loop *loop);

/* loop.run_until_complete(fut): runs iterations until `fut` is done, and then
 * one more, always (asyncio's stop callback): it runs what fut's completion
 * made ready and the timers due by then, without waiting. Returns
 * the future's outcome like coro_future_result (0 and *out, its error, or
 * CORO_ECANCELLED), or CORO_ESTATE if the loop ran out of work first or
 * coro_loop_stop ended it first (then fut goes on; call again to wait on);
 * CORO_EBUSY (nothing run) if the loop is running already. `out` may be
 * NULL. */
int coro_loop_run_until_complete(struct coro_loop *loop, struct coro_future *fut,
                                 coro_value *out);

/* asyncio.run(fn()) on an initialised loop: starts t running fn (as
 * coro_task_start) and runs the loop until t is done
 * (coro_loop_run_until_complete). Returns t's outcome: 0 (its result in
 * coro_future_result(&t->fut, ...)), its error, CORO_ECANCELLED; or what
 * coro_task_start refused with (CORO_EINVAL, CORO_EBUSY, CORO_EFULL). */
int coro_loop_run_task(struct coro_loop *loop, struct coro_task *t, coro_fn fn);

/* loop.stop(): the current iteration finishes, then run_forever returns (and
 * run_until_complete, with CORO_ESTATE if its future is not done); called
 * before either, that runs one iteration. */
void coro_loop_stop(struct coro_loop *loop);

/* ------------------------------------------------------------------------ */
/* Futures                                                                  */
/* ------------------------------------------------------------------------ */

enum coro_future_state { CORO_PENDING = 0, CORO_DONE = 1, CORO_CANCELLED = 2 };

/* asyncio.Future: pending, then done with a result or an error, or cancelled.
 * 32 bytes on x86-64. Caller-owned; must outlive its waiters. How it is
 * cancelled is its `kind`: a plain future at once, a task by loop.c, any
 * other (gather, wait, wait_for, shield, yours) by its own hook (struct
 * coro_future_hooked): the loop knows no kind of future but its own. That
 * and a task's slot in the loop's table (coro_loop_set_tasks) cost a future
 * or a task no byte on x86-64 (padding) and 3 on the AVR; a
 * hooked future carries the hook (8 bytes on x86-64, 2 on the AVR). */
struct coro_future {
    struct coro_loop *loop;
    struct coro_list waiters;   /* done callbacks and waiting tasks, in order */
    union coro_word val;        /* result; an error code when failed; a
                                   pending task's wait state */
    unsigned char state;        /* enum coro_future_state */
    unsigned char type;         /* enum coro_type of val, or CORO__FAILED */
    unsigned char kind;         /* how it is cancelled: CORO__FUT_* */
    unsigned char task;         /* a task's state, CORO__T_*; 0 otherwise */
    unsigned slot;              /* a live task's slot in the loop's table */
};


/* Prepares a pending future bound to `loop`. 0, or CORO_EBUSY (nothing
 * changes) if f is pending with waiters (callbacks or tasks): they would be
 * lost. Zero a future's memory before its first init (static, calloc'd and
 * `= {0}` memory are) or init it at once where it is declared. */
int coro_future_init(struct coro_future *f, struct coro_loop *loop);


/* future.set_result(v): done with v; its callbacks and waiting tasks are
 * scheduled (call_soon, in the order they were added). 0, or CORO_ESTATE if
 * it was already done (nothing changes). */
int coro_future_set_result(struct coro_future *f, coro_value v);

/* future.set_exception(err): done with error err (non-zero). 0, CORO_ESTATE
 * if already done, CORO_EINVAL for err 0. */
int coro_future_set_error(struct coro_future *f, int err);

/* future.cancel(): a plain future is cancelled at once and its callbacks are
 * scheduled. Tasks, gathers, waits and wait_fors cancel as asyncio's do (a
 * task is asked to stop; a gather cancels its children; ...): the same call
 * works for all. 0, or CORO_ESTATE if it was already done. */
int coro_future_cancel(struct coro_future *f);

/* future.done() / future.cancelled(). */
static inline int coro_future_done(const struct coro_future *f)
{
    return f->state != CORO_PENDING;
}
static inline int coro_future_cancelled(const struct coro_future *f)
{
    return f->state == CORO_CANCELLED;
}

/* future.result(): 0 and *out = the result (out may be NULL); the error it
 * failed with; CORO_ECANCELLED if cancelled; CORO_ESTATE if still pending. */
int coro_future_result(const struct coro_future *f, coro_value *out);

/* future.add_done_callback(h): h runs (through the ready queue, never from
 * inside set_result) once f is done; at the next iteration if it already is.
 * 0 or CORO_EBUSY if h is already scheduled. */
int coro_future_add_done_callback(struct coro_future *f, struct coro_handle *h);

/* future.remove_done_callback(h): 0 if h was waiting on f and is removed,
 * CORO_ESTATE otherwise. O(number of callbacks). */
int coro_future_remove_done_callback(struct coro_future *f, struct coro_handle *h);

/* ------------------------------------------------------------------------ */
/* Tasks                                                                    */
/* ------------------------------------------------------------------------ */

/* asyncio.Task: drives the coroutine whose frame begins with it; is itself a
 * future whose result is the coroutine's return value. 104 bytes on x86-64
 * (44 on the AVR): the generator header (40), the future (32), the node (16)
 * that sits on the ready queue, on a waiter list or in the timer heap (one
 * at a time), and two links (16) for timeouts and task groups (scope.h). */
struct coro_task {
    struct coro co;             /* the coroutine: first, so the body's frame
                                   cast works */
    struct coro_future fut;     /* the task's outcome */
    struct coro_handle h;       /* the task's place in the loop */
    struct coro_scope *scope;   /* private: its innermost cancel scope (scope.h),
                                   then the task group it belongs to, or NULL */
    struct coro_task *gnext;    /* private: the next child of its task group */
};

/* asyncio.ensure_future(coro()): coro_init(&t->co, fn), then schedules the
 * first step. Initialise the frame's own fields before or after, but before
 * the loop runs. 0, CORO_EINVAL for NULL arguments, or CORO_EBUSY (nothing
 * changes) if t is live: queued, sleeping, waiting or running (a done task
 * may be started again, once its task group, if it has one, has heard that
 * it ended: at the next iteration). Zero a task's memory before its first start
 * (static, calloc'd and `= {0}` memory are), so that it does not look live. */
int coro_task_start(struct coro_task *t, struct coro_loop *loop, coro_fn fn);

/* task.cancel(): asks the task to stop: CORO_ECANCELLED is thrown in at its
 * current await (a sleep ends, a wait on a primitive is withdrawn; an awaited
 * future or task is cancelled in turn, as asyncio does). In an await cycle
 * (the task awaits something that awaits ... the task) the cancel that comes
 * back round to the task takes it off what it awaits instead, where asyncio
 * recurses to RecursionError. The coroutine may catch it. 0 when requested,
 * CORO_ESTATE if the task is already done. */
int coro_task_cancel(struct coro_task *t);

/* task.set_name(name): name (caller-owned, may be NULL) for the task in the
 * loop's table. 0, or CORO_EINVAL if the task is not live in a loop with a
 * table. */
int coro_task_set_name(struct coro_task *t, const char *name);

/* task.get_name(): its name, or NULL (none, or no table). */
const char *coro_task_name(const struct coro_task *t);

/* The frame of t's yield-from chain at `depth`: 0 is the innermost (where
 * the task is suspended), then each delegator out to the task's own
 * coroutine; NULL past the end. coro_where(frame, &file) tells where it
 * stands. */
struct coro *coro_task_frame(struct coro_task *t, unsigned depth);

/* What coro_loop_dump reports, once per frame: the task, its name (or
 * NULL), the frame's depth (0: innermost) and where it is suspended
 * (file and line from coro_where; line 0 and file NULL for the frames of
 * the task that is running, which dumps the loop). */
typedef void (*coro_dump_fn)(void *arg, struct coro_task *t, const char *name, unsigned depth,
                             const char *file, unsigned line);

/* The task dump: for each live task of the loop's table (coro_loop_set_tasks;
 * in the table's order), each frame of its yield-from chain, innermost
 * first, as a Python traceback of suspended coroutines would list them
 * (asyncio's Task.print_stack, for the whole chain). Nothing is printed:
 * fn gets each frame. Returns the number of frames reported (0 without a
 * table). */
uint32_t coro_loop_dump(struct coro_loop *loop, coro_dump_fn fn, void *arg);

/* The task running now (asyncio.current_task()), or NULL. */
static inline struct coro_task *coro_loop_current(const struct coro_loop *loop)
{
    return loop->current;
}

/* Private: the struct of type `type` whose `member` is at p. */
#define CORO__CONTAINER_OF(p, type, member) \
    ((type *)(void *)((char *)(p) - offsetof(type, member)))

/* The task owning a frame: the frame must begin with struct coro_task. */
#define CORO_TASK(co) ((struct coro_task *)(void *)(co))

/* ------------------------------------------------------------------------ */
/* Awaiting, inside a task's coroutine                                      */
/* ------------------------------------------------------------------------ */

/* r = await fut: if fut is done, r is its result at once (or its error is
 * raised); otherwise the task waits for it and resumes with its result, or
 * with its error / CORO_ECANCELLED raised at this point (CORO_ELOOP if fut
 * belongs to another loop than the task's, as asyncio raises RuntimeError). `r` is a coro_value
 * lvalue. Expands to
 *     if (!done(fut)) { CORO_YIELD(co, coro_ptr(fut)); r = coro_sent(co); }
 *     else { e = coro_future_result(fut, &r); if (e) CORO_RAISE(co, e); } */
#define CORO_AWAIT_FUTURE(co, fut, r) \
    do { \
        if (!coro_future_done(fut)) { \
            CORO_YIELD(co, coro_ptr(fut)); \
            (r) = coro_sent(co); \
        } else if (coro__await_done((co), (fut), &(r))) { \
            CORO__UNWIND(co); \
        } \
    } while (0)

/* await fut, its result dropped: as CORO_AWAIT_FUTURE. */
#define CORO_AWAIT_FUTURE_VOID(co, fut) \
    do { \
        if (!coro_future_done(fut)) { \
            CORO_YIELD(co, coro_ptr(fut)); \
        } else if (coro__await_done((co), (fut), NULL)) { \
            CORO__UNWIND(co); \
        } \
    } while (0)

/* try: r = await fut / except BaseException as err: stores an error in
 * `caught` (an int lvalue; 0 if none, then `r` is set) instead of raising
 * it. */
#define CORO_AWAIT_FUTURE_CATCH(co, fut, r, caught) \
    do { \
        if (!coro_future_done(fut)) { \
            CORO_YIELD_CATCH(co, coro_ptr(fut), caught); \
            if (!(caught)) (r) = coro_sent(co); \
        } else { \
            (caught) = coro_future_result((fut), &(r)); \
        } \
    } while (0)

/* await asyncio.sleep(ns): the current task of `loop` sleeps ns nanoseconds
 * (never less) on its own timer node; ns <= 0 yields to the loop once, as
 * sleep(0) does. CORO_EFULL (no timer slot) or CORO_ENOTASK (not inside a
 * task of this loop) is raised here. Expands to
 *     if ((e = coro_loop_sleep_arm(loop, ns))) CORO_RAISE(co, e);
 *     CORO_YIELD(co, coro_none()); */
#define CORO_SLEEP(co, loop, ns) CORO__WAIT(co, coro_loop_sleep_arm((loop), CORO__NS(ns)), (co)->err)

/* The essay's sleep: `actual = yield wait_until`. The current task of `loop`
 * sleeps until the loop time `when` (at once if it has passed); afterwards
 * coro_loop_time(loop) is the time it woke. Raises like CORO_SLEEP. */
#define CORO_SLEEP_UNTIL(co, loop, when) \
    CORO__WAIT(co, coro_loop_sleep_until_arm((loop), CORO__NS(when)), (co)->err)

/* Private: the shape of every wait on the loop (sleeps, the sync primitives,
 * fds): `arm` registers the current task (0, or an error to raise here), the
 * body suspends, and once it resumes `resumed` settles the wait (it may read
 * (co)->err, the error thrown in; 0, or the error to raise). Expands to
 *     if ((co->err = arm)) <raise>;
 *     co->val = none; co->lc = N; return CORO_YIELDED; case N:
 *     if ((co->err = resumed)) <raise>; */
#define CORO__WAIT(co, arm, resumed) \
    do { \
        if (((co)->err = (arm)) != 0) \
            CORO__UNWIND(co); \
        coro__store((co), coro_none()); \
        CORO__SUSPEND(co, CORO_YIELDED, __LINE__); \
        if (((co)->err = (resumed)) != 0) \
            CORO__UNWIND(co); \
    } while (0)

/* Arms the current task's timer for a sleep of `ns` (nothing for ns <= 0): the
 * step that yields next waits for it. 0, CORO_ENOTASK, CORO_EFULL. */
int coro_loop_sleep_arm(struct coro_loop *loop, coro_time ns);

/* As coro_loop_sleep_arm, until the loop time `when`. */
int coro_loop_sleep_until_arm(struct coro_loop *loop, coro_time when);

/* Private: the error of a done future, its result in *r. */
static inline int coro__await_done(struct coro *co, const struct coro_future *f,
                                   coro_value *r)
{
    co->err = coro_future_result(f, r);
    return co->err;
}

#ifdef __cplusplus
}
#endif

#endif /* CORO_LOOP_H */
