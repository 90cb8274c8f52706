/* SPDX-License-Identifier: MIT */
/*
 * coro.h -- Python's generators in C: resumable functions that yield, take a
 * sent value, return a value, take a thrown error, close with cleanup, and
 * delegate with `yield from` (PEP 255, 342, 380), resumed in O(1) at any depth.
 *
 * Header-only. No libc, no malloc: only <stddef.h> and <stdint.h>. C99 with
 * -pedantic, C++ (Arduino), avr-gcc.
 *
 * GROUND RULES (read these first)
 *
 *   1. A generator is a frame struct whose first member is a `struct coro`, plus
 *      every local that must live across a suspension. C locals of the body
 *      function are lost at each suspension (the function returns).
 *   2. The body is a function `int body(struct coro *co)` written between
 *      CORO_BEGIN(co) and CORO_END(co). Before CORO_BEGIN put declarations only:
 *      that code runs on every resume (and when coro_where() asks for the file).
 *   3. With the default backend (switch on __LINE__), a suspension point
 *      (CORO_YIELD*, CORO_AWAIT*, CORO_YIELD_FROM*, every await macro) must
 *      not sit inside a `switch` statement of your own: its `case` would
 *      belong to your switch. Define CORO_USE_LABELS (GNU C: gcc, clang) to
 *      lift that rule. With either backend, a try block (CORO_TRY ...
 *      CORO_END_TRY) must not sit inside a switch of your own. Broken, the
 *      rule is not silent: the resume (or the raise) that finds no place to
 *      go returns CORO_ELOST, and the generator is closed.
 *   4. One suspension point per source line: two on one line fail to compile
 *      with "duplicate label 'coro_one_suspension_point_per_line_N'". With
 *      the default backend, suspension points and try blocks sit below line
 *      32768 (above, "duplicate case value"); with CORO_USE_LABELS, files are
 *      limited to 65534 lines.
 *   5. In C++, do not jump over initialised declarations: declare them in the
 *      frame (rule 1) or in a block that holds no suspension point.
 *   6. Errors are ints: 0 is no error, library codes are negative (CORO_E*),
 *      user codes are positive. HOW ERRORS TRAVEL: an error raised
 *      (CORO_RAISE) or thrown in at any suspension point (a yield, a yield
 *      from, every await of loop.h, sync.h and io.h) goes to the innermost
 *      try block around that point: its first matching except clause takes
 *      it, else its finally block runs and it goes on to the next try block
 *      out, and so on; past the outermost it leaves the frame, exactly as a
 *      Python exception leaves a generator (the delegator gets it at its
 *      yield from). CORO_RETURN travels the same way through the finally
 *      blocks. Which try block is "around" is decided at compile time, by
 *      where the macro is written.
 *   7. A try block keeps its bookkeeping in a `struct coro_try` of the frame
 *      (rule 1). Leave its parts only by falling off their end, CORO_RETURN
 *      or CORO_RAISE: never break, continue, goto or return.
 *
 * A COMPLETE EXAMPLE
 *
 *   struct lazy_range { struct coro co; int up_to, index; };
 *
 *   static int lazy_range(struct coro *co)            // def lazy_range(up_to):
 *   {
 *       struct lazy_range *f = (struct lazy_range *)co;
 *       CORO_BEGIN(co);
 *       f->index = 0;                                 //     index = 0
 *       while (f->index < f->up_to) {                 //     while index < up_to:
 *           CORO_YIELD(co, coro_int(f->index));       //         yield index
 *           f->index++;                               //         index += 1
 *       }
 *       CORO_END(co);
 *   }
 *
 *   struct lazy_range g = { {0}, 5, 0 };
 *   coro_value v;
 *   coro_init(&g.co, lazy_range);
 *   while (coro_next(&g.co, &v) == CORO_YIELDED)      // for v in lazy_range(5):
 *       printf("%d\n", (int)v.v.i);                   //     print(v)
 *
 * THE BACKEND (how a resume point is kept), after Contiki's lc-switch.h
 *
 *   default          `switch (co->lc)` with `case __LINE__:` at each suspension.
 *                    Any C99 or C++ compiler; 2 bytes of resume state; rule 3.
 *   CORO_USE_LABELS  GNU labels-as-values: `co->lc = &&label` and `goto *co->lc`.
 *                    A suspension may sit inside a user switch; costs a pointer.
 *
 * TRACING
 *
 *   Define CORO_TRACE(co, file, line, what) before including this header to be
 *   called at every start ("start"), suspension ("suspend"), resume ("resume")
 *   and finish ("finish") of a body; `co` is the frame, `file`/`line` the
 *   place in the body. Undefined, it compiles to nothing.
 */
#ifndef CORO_H
#define CORO_H

/* This header's version (semantic versioning: MAJOR.MINOR.PATCH). The one
 * place the version is written: the Makefile and CMakeLists.txt read it. */
#define CORO_VERSION_MAJOR 0
#define CORO_VERSION_MINOR 2
#define CORO_VERSION_PATCH 0
/* The struct of type `type` whose member `member` is at `ptr` (container_of):
 * from a handle or future embedded in your struct back to the struct. */
#define CORO_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Returns the version of the built library ("0.2.0"), a static string; it
 * may differ from the macros above if a program mixes header and library.
 * Defined in version.c: header-only users without the library lack it. */
#ifdef __cplusplus
extern "C"
#endif
const char *coro_version(void);

#include <stddef.h>
#include <stdint.h>
/* The error codes and time of base.h, word for word (tests/loop_layers.sh
 * checks), so that coro.h stays one file to copy; whichever of the two comes
 * first defines them. */
#ifndef CORO_BASE_H
#define CORO_BASE_H

#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Error codes                                                              */
/* ------------------------------------------------------------------------ */

/* Library error codes. Negative, named, and apart from -errno (which the loop's
 * I/O helpers use) and from user codes (positive). */
#define CORO_EXIT       (-4095) /* GeneratorExit: what close() throws in */
#define CORO_EBUSY      (-4094) /* ValueError: generator already executing (or
                                   already being delegated to) */
#define CORO_EINVAL     (-4093) /* bad argument: a value sent to a just-created
                                   generator, throw of error 0, NULL frame */
#define CORO_EIGNORED   (-4092) /* RuntimeError: generator ignored GeneratorExit
                                   (it yielded while being closed) */
#define CORO_ECANCELLED (-4091) /* asyncio.CancelledError */
#define CORO_ETIMEDOUT  (-4090) /* asyncio.TimeoutError */
#define CORO_ESTATE     (-4089) /* asyncio.InvalidStateError */
#define CORO_EFULL      (-4088) /* a fixed-capacity heap or queue is full */
#define CORO_EEMPTY     (-4087) /* nothing to take (QueueEmpty) */
#define CORO_ENOTASK    (-4086) /* awaiting a future outside a task */
#define CORO_ENOKEY     (-4085) /* KeyError: the fd is not registered */
#define CORO_EEXIST     (-4084) /* KeyError: the fd is already registered */
#define CORO_ERANGE     (-4083) /* ValueError: an fd the backend cannot take
                                   (select: at or above FD_SETSIZE) */
#define CORO_ELOST      (-4059) /* the body has no resume point for where it
                                   stopped: a suspension point or try block
                                   inside a `switch` of your own (rule 3) */
#define CORO_ELOOP      (-4070) /* RuntimeError: Task got Future attached to a
                                   different loop (raised at the await) */
#define CORO_ECLOSED    (-4071) /* the selector loop was closed while the task
                                   waited on an fd (raised at the wait) */
#define CORO_ECORRUPT   (-4072) /* CORO_DEBUG builds: a scheduled handle or task
                                   whose memory was overwritten (its frame went
                                   out of scope while scheduled) */
#define CORO_ESLOW      (-4073) /* CORO_DEBUG builds: a callback or task step
                                   slower than coro_loop_set_slow's threshold */
#define CORO_EINCOMPLETE (-4069) /* asyncio.IncompleteReadError: the stream ended
                                   before readexactly / readuntil was satisfied */
#define CORO_ELIMIT     (-4068) /* asyncio.LimitOverrunError: no separator within
                                   the limit (the data stays in the buffer) */
#define CORO_EPOOLFULL  (-4067) /* start_server: every connection frame was busy;
                                   the client was refused */
#define CORO_ESHUTDOWN  (-4066) /* a write, write_eof or drain on a stream writer
                                   that is closing, closed or shut down; a task
                                   started in a task group that is cancelling
                                   its children (scope.h) */
#define CORO_EGROUP     (-4065) /* ExceptionGroup: tasks of a task group failed
                                   (scope.h: coro_taskgroup_errors) */
#define CORO_ENONAME    (-4058) /* socket.gaierror EAI_NONAME: name or service
                                   not known (resolve.h) */
#define CORO_ENAMEAGAIN (-4057) /* socket.gaierror EAI_AGAIN: temporary failure
                                   in name resolution (resolve.h) */
#define CORO_ERESOLVE   (-4056) /* socket.gaierror, any other EAI_* code
                                   (resolve.h) */
#define CORO_ERROR_MIN  (-4096) /* codes in [CORO_ERROR_MIN, -4000) are coro's */

/* Returns a sentence for any code: "generator already executing" for
 * CORO_EBUSY, strerror's text for -errno ("Connection refused"), "user error
 * N" for a positive code (formatted in a buffer of the calling thread, valid
 * until its next call), "unknown error code" for an unnamed one below -4000.
 * Never NULL. Defined in the library (errors.c: strerror needs libc),
 * not in this header. */
#ifdef __cplusplus
extern "C"
#endif
const char *coro_strerror(int code);

/* ------------------------------------------------------------------------ */
/* Time, for the loop and the selectors                                     */
/* ------------------------------------------------------------------------ */

/* Monotonic time in nanoseconds. */
typedef int64_t coro_time;

#define CORO_NSEC ((coro_time)1)            /* a nanosecond, in coro_time */
#define CORO_USEC ((coro_time)1000)         /* a microsecond */
#define CORO_MSEC ((coro_time)1000000)      /* a millisecond */
#define CORO_SEC  ((coro_time)1000000000)   /* a second */
#define CORO_FOREVER ((coro_time)-1)   /* a wait with no deadline */

#endif /* CORO_BASE_H */
#if defined(__GNUC__)
#define CORO__ALWAYS_INLINE inline __attribute__((always_inline))
#define CORO__NOINLINE __attribute__((noinline))
#define CORO__CONSTANT_P(x) __builtin_constant_p(x)  /* known at compile time */
#define CORO__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CORO__UNLIKELY(x) (x)
#define CORO__ALWAYS_INLINE inline
#define CORO__NOINLINE
#define CORO__CONSTANT_P(x) 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Statuses and error codes                                                 */
/* ------------------------------------------------------------------------ */

/* What coro_send / coro_next / coro_throw / coro_close return besides errors. */
#define CORO_RETURNED   0      /* finished; *out = the return value (StopIteration.value) */
#define CORO_YIELDED    (-4096) /* suspended; *out = the yielded value */

/* Returns the name of a status or library error code ("CORO_EBUSY"), "user
 * error" for positive codes, "errno" for other negative ones. Never NULL; the
 * string is static. Header-only, no libc. */
static inline const char *coro_errname(int code);

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

/* What crosses a suspension: an integer, a double or a pointer, or none.
 * Compiled with -DCORO_NO_DOUBLE the word has no double and there is no
 * coro_double: on an 8-bit AVR the word is then 2 bytes instead of 4 (a
 * resume+yield costs the same, 106 cycles: docs/embedded.md). */
union coro_word {
    intptr_t i;
#ifndef CORO_NO_DOUBLE
    double d;
#endif
    void *p;
};

/* Value types. CORO_NONE is Python's None: what next() sends and what a body
 * that falls off its end returns. */
enum coro_type { CORO_NONE = 0, CORO_INT = 1, CORO_DOUBLE = 2, CORO_PTR = 3 };

/* A value with its type: 16 bytes on x86-64, 5 on AVR (3 with
 * CORO_NO_DOUBLE). Read v.v.i, v.v.d or v.v.p according to v.type. */
typedef struct coro_value {
    union coro_word v;
    unsigned char type;
} coro_value;

/* Private: a value of `type` whose intptr_t is zero. Where a double is wider
 * (AVR), the rest of the word is left alone: what is stored of a value of a
 * type known not to be a double is its intptr_t (coro__store_word), and
 * avr-gcc then keeps the value in registers instead of copying the whole
 * union through the stack. */
static CORO__ALWAYS_INLINE coro_value coro__value(unsigned char type)
{
    coro_value r;
    r.v.i = 0;
    r.type = type;
    return r;
}

/* Constructors: coro_int(5), coro_double(0.5), coro_ptr(p), coro_none().
 * coro_ptr takes any object pointer, const or not ("text" too); the reader
 * casts v.v.p back to what it was. */
static CORO__ALWAYS_INLINE coro_value coro_none(void)
{
    return coro__value(CORO_NONE);
}
static CORO__ALWAYS_INLINE coro_value coro_int(intptr_t i)
{
    coro_value r = coro__value(CORO_INT);
    r.v.i = i;
    return r;
}
#ifndef CORO_NO_DOUBLE
static inline coro_value coro_double(double d)
{
    coro_value r;
    r.v.d = d;
    r.type = CORO_DOUBLE;
    return r;
}
#endif
static CORO__ALWAYS_INLINE coro_value coro_ptr(const void *p)
{
    coro_value r = coro__value(CORO_PTR);
    r.v.p = (void *)p;
    return r;
}


/* ------------------------------------------------------------------------ */
/* The frame header                                                         */
/* ------------------------------------------------------------------------ */

struct coro;

/* A body: returns CORO_YIELDED, CORO_RETURNED, an error code, or (inside the
 * library) a request to delegate. Written with CORO_BEGIN / CORO_END. */
typedef int (*coro_fn)(struct coro *co);

#ifdef CORO_USE_LABELS
typedef void *coro_lc;          /* address of the resume label, NULL at start */
#else
typedef uint_least16_t coro_lc; /* __LINE__ of the resume point, 0 at start */
#endif

/* The library's part of every generator frame. 40 bytes on x86-64 and 16 on
 * AVR with the default backend (48 and 18 with CORO_USE_LABELS). Owned by the
 * caller, embedded as the first member of the frame; the library keeps no
 * pointer to it once it is closed. Fields are private: use the functions. */
struct coro {
    coro_fn fn;            /* the body */
    struct coro *parent;   /* the delegator yielding from us, or NULL */
    struct coro *leaf;     /* outermost frame: innermost frame of its chain
                              (while a frame below runs: that frame);
                              a delegating body: the child it asks for */
    union coro_word val;   /* value yielded, sent, returned, or the child's result */
    unsigned char type;    /* enum coro_type of val (right after it, as in a
                              coro_value: see CORO__VALUE_IN_FRAME) */
    unsigned char flags;   /* CORO__S_* state, CORO__F_* bits (next to type: the
                              fast path stores both with one instruction) */
#ifdef CORO_USE_LABELS
    uint_least16_t line;   /* line of the resume point */
    int err;               /* error thrown in or propagating, 0 if none */
    coro_lc lc;            /* resume point */
#else
    coro_lc lc;            /* resume point */
    int err;               /* error thrown in or propagating, 0 if none;
                              always 0 while suspended */
#endif
};

/* Private: true (at compile time) where the frame holds val and type as a
 * coro_value lays them out, with a whole coro_value, padding too, inside the
 * frame: the two can then be read as one coro_value (an lvalue of an
 * aggregate type with a member of val's type: C99 6.5p7 allows it). coro_sent
 * reads them so where the word is wider than an intptr_t (a double on AVR):
 * avr-gcc 5.4 copies a union through a stack frame, which the body then
 * builds on every resume. (Not on x86-64: a 16-byte load right after the
 * 8- and 1-byte stores of val and type cannot take its data from them, and
 * waits; *out is copied field by field for the same reason.) */
#define CORO__VALUE_IN_FRAME \
    (offsetof(struct coro, type) - offsetof(struct coro, val) == offsetof(coro_value, type) && \
     offsetof(struct coro, val) + sizeof(coro_value) <= sizeof(struct coro))

/* Generator states, as inspect.getgeneratorstate names them. */
enum coro_state {
    CORO_CREATED = 0,   /* initialised, body not started */
    CORO_SUSPENDED = 1, /* stopped at a suspension point */
    CORO_CLOSED = 2,    /* returned, failed or closed */
    CORO_RUNNING = 3    /* executing, or delegating inside a chain that is */
};

#define CORO__S_MASK      3u
#define CORO__F_RUNNING   4u  /* the frame a send/throw/close is running on */
#define CORO__F_DELEG     8u  /* outermost frame, suspended: a frame below it
                                 yielded (its leaf field points at that frame) */
#define CORO__F_CHILD     8u  /* the same bit on a frame below another: set
                                 while its parent field is (so the fast path,
                                 which compares the flags, needs no test of
                                 parent) */
#define CORO__F_OWNED    16u  /* an owner (a task) drives this frame with
                                 coro__resume_owned: it cannot be yielded from */
#define CORO__F_STALE    32u  /* outermost frame: the child of its innermost
                                 frame (leaf) finished by a direct send */
#define CORO__F_CLOSING  64u  /* inside a close() that has not returned yet */
#define CORO__F_CHAIN   128u  /* outermost frame: a frame below it runs (its
                                 leaf field then points at that frame) */

/* What the caller asked for: the trampoline's `op`. */
#define CORO__OP_SEND       0
#define CORO__OP_THROW      1
#define CORO__OP_THROW_EXIT 2 /* a throw of CORO_EXIT: closes the frames below */
#define CORO__OP_CLOSE      3

/* Private body results and codes. */
#define CORO__DELEGATE   (-4097)  /* the body asks to yield from co->leaf */
#define CORO__WHERE      (-4098)  /* in err: coro_where() asks the body for its
                                     file; returned: the body answered */
#define CORO__RETURNING  (-4100)  /* in err: a CORO_RETURN on its way out through
                                     the try blocks (the value is in val) */

/* ------------------------------------------------------------------------ */
/* Operations (the caller's side)                                           */
/* ------------------------------------------------------------------------ */

/* Prepares `co` to run `fn`: state CREATED. Call it again to reuse a closed
 * (or created, or suspended outermost) frame. Never fails, and reads nothing
 * of `co`: fresh memory is fine. Re-initialising a frame that is live inside
 * a yield-from chain (delegated to, delegating, or running its own body) is
 * misuse, reported at the chain's next resume: the frame sent to gets
 * CORO_ESTATE raised at its yield from (a body that re-initialised its own
 * frame and then yielded: that resume returns CORO_ESTATE and closes it);
 * frames between it and the re-initialised one are abandoned, suspended. */
static inline void coro_init(struct coro *co, coro_fn fn)
{
    co->fn = fn;
    co->parent = NULL;
    co->leaf = co;
    co->val.i = 0;
    co->err = 0;
    co->lc = 0;
#ifdef CORO_USE_LABELS
    co->line = 0;
#endif
    co->type = CORO_NONE;
    co->flags = CORO_CREATED;
}


static CORO__ALWAYS_INLINE int coro__run(struct coro *g, union coro_word vv, unsigned char vt, int err, int op,
                                         coro_value *out, unsigned owned);

/* g.send(v): resumes g with v as the value of its pending yield (a created g
 * accepts only coro_none()). Returns CORO_YIELDED (*out = yielded value),
 * CORO_RETURNED (*out = return value; also at once, with none, for a closed g)
 * or the error that left g (g is then closed; *out = none). Misuse, with g unchanged:
 * CORO_EINVAL (non-none value to a created g), CORO_EBUSY (g or its chain is
 * running). `out` may be NULL. In a yield-from chain, the innermost frame is
 * resumed directly, whatever the depth. */
static CORO__ALWAYS_INLINE int coro_send(struct coro *g, coro_value v, coro_value *out)
{
    return coro__run(g, v.v, v.type, 0, CORO__OP_SEND, out, 0);
}

/* next(g): coro_send(g, coro_none(), out). */
static inline int coro_next(struct coro *g, coro_value *out)
{
    return coro__run(g, coro_none().v, CORO_NONE, 0, CORO__OP_SEND, out, 0);
}

/* g.throw(err): raises err (non-zero, not CORO_YIELDED) at g's suspension
 * point; in a chain, at the innermost frame, which may catch it. Returns like
 * coro_send: CORO_YIELDED if the body caught it and yielded again,
 * CORO_RETURNED if it caught it and returned, or the error that left g. A
 * created or closed g raises err at once without running (created -> closed).
 * CORO_EINVAL for err 0, CORO_EBUSY for a running g (unchanged). */
static inline int coro_throw(struct coro *g, int err, coro_value *out)
{
    if (err == 0 || err == CORO_YIELDED)
        return CORO_EINVAL;
    return coro__run(g, coro_none().v, CORO_NONE, err,
                     err == CORO_EXIT ? CORO__OP_THROW_EXIT : CORO__OP_THROW, out, 0);
}

/* g.close(): CREATED or CLOSED -> CLOSED at once, returning CORO_RETURNED.
 * SUSPENDED: throws CORO_EXIT in (innermost frame first; each delegator then
 * gets CORO_EXIT at its yield from and runs its cleanup). Returns
 * CORO_RETURNED when the exit left g (*out = none) or when g caught it and
 * returned (*out = its value, as Python 3.13); CORO_EIGNORED if g yielded
 * instead (g stays suspended there); another error if one left g. CORO_EBUSY
 * for a running g. `out` may be NULL. */
static inline int coro_close(struct coro *g, coro_value *out);

/* inspect.getgeneratorstate(g): CORO_CREATED, CORO_RUNNING, CORO_SUSPENDED or
 * CORO_CLOSED. A frame inside a running yield-from chain is RUNNING, as in
 * CPython. Cost grows with the depth of g inside a chain (introspection). */
static inline enum coro_state coro_state(const struct coro *g);

/* The name of a state: "CREATED", "RUNNING", "SUSPENDED", "CLOSED". Static. */
static inline const char *coro_state_name(enum coro_state s)
{
    static const char *const names[] = { "CREATED", "SUSPENDED", "CLOSED", "RUNNING" };
    return names[s & 3];
}

/* Where g is suspended: returns the line of its resume point (0 when created,
 * closed, or not at a suspension point) and, if `file` is not NULL, stores the
 * body's __FILE__ there. Runs the prologue of g's body (rule 2), nothing
 * else. */
static inline unsigned coro_where(struct coro *g, const char **file);

/* ------------------------------------------------------------------------ */
/* Inside a body                                                            */
/* ------------------------------------------------------------------------ */

/* The value the body was resumed with: what was sent into the last CORO_YIELD
 * (none after next()), or the child's return value after CORO_YIELD_FROM. */
static CORO__ALWAYS_INLINE coro_value coro_sent(const struct coro *co)
{
    coro_value r;
    if (CORO__VALUE_IN_FRAME && sizeof(union coro_word) > sizeof(intptr_t))
        return *(const coro_value *)(const void *)&co->val; /* (note at CORO__VALUE_IN_FRAME) */
    r.v = co->val;
    r.type = co->type;
    return r;
}

/* Backend pieces: where a resume point is stored and how the body gets back to
 * it. Each suspension point on line N expands to
 *     CORO__MARK(co, N); return status; CORO__RESUME(N)
 * which is, with the default backend,
 *     co->lc = N; return status; case N: goto one_per_line_N; one_per_line_N:
 * and with CORO_USE_LABELS
 *     co->lc = &&one_per_line_N; co->line = N; return status; one_per_line_N:
 * The label (a plain jump to the next statement) is what makes two suspension
 * points on one line a compile error that names the rule.
 *
 * A frame resumed with an error thrown in (co->err set) has, with the default
 * backend, CORO__LC_THROWN added to its resume point (coro__deliver): a point
 * that raises what is thrown (CORO_YIELD, CORO_YIELD_FROM) has a case of its
 * own for it, which raises at once, so that a plain resume runs no test of
 * co->err. (Hence the rule: no suspension point on a line above 32767.)
 * With CORO_USE_LABELS the point tests co->err. */
#define CORO__CAT2(a, b) a##b
#define CORO__CAT(a, b) CORO__CAT2(a, b)
#define CORO__LABEL(n) CORO__CAT(coro_one_suspension_point_per_line_, n)

#ifdef CORO_USE_LABELS
#if defined(__clang__)
#define CORO__GNU_BEGIN _Pragma("clang diagnostic push") \
    _Pragma("clang diagnostic ignored \"-Wgnu-label-as-value\"")
#define CORO__GNU_END _Pragma("clang diagnostic pop")
#else
#define CORO__GNU_BEGIN _Pragma("GCC diagnostic push") \
    _Pragma("GCC diagnostic ignored \"-Wpedantic\"")
#define CORO__GNU_END _Pragma("GCC diagnostic pop")
#endif
#define CORO__DISPATCH(co) \
    CORO__GNU_BEGIN if ((co)->lc) goto *(co)->lc; CORO__GNU_END \
    switch ((co)->line)
#define CORO__MARK(co, n) \
    ((co)->lc = __extension__ &&CORO__LABEL(n), (co)->line = (n))
#define CORO__RESUME(n) CORO__LABEL(n):
#define CORO__RESUME_RAISING(co, n) \
    CORO__RESUME(n) \
    CORO_TRACE(co, __FILE__, n, "resume"); \
    if ((co)->err) CORO__UNWIND(co);
#define CORO__TO_HANDLER(co, n) ((co)->lc = NULL, (co)->line = (n))
#else
#define CORO__LC_THROWN 0x8000u
#define CORO__DISPATCH(co) switch ((co)->lc)
/* The resume point is a 16-bit constant, which two compilers store poorly.
 * gcc optimising x86 for speed stores it through a register (to spare old
 * decoders a length-changing prefix), which costs each suspension two
 * instructions and often a register move: one `movw` instead (in a resume
 * loop the decoded instruction comes from the micro-op cache; -O0, -Os and
 * `make expand` keep the plain store). avr-gcc 5.4 loads both bytes before
 * storing them: a byte store each takes the zero register for a high byte
 * of 0 (a cycle less on lines below 256, none more above). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__) && \
    !defined(__OPTIMIZE_SIZE__) && (defined(__x86_64__) || defined(__i386__))
#define CORO__MARK(co, n) __asm__("movw %1, %0" : "=m"((co)->lc) : "i"(n))
#elif defined(__AVR__)
#define CORO__MARK(co, n) \
    (((unsigned char *)&(co)->lc)[0] = (unsigned char)(n), \
     ((unsigned char *)&(co)->lc)[1] = (unsigned char)((n) >> 8))
#else
#define CORO__MARK(co, n) ((co)->lc = (n))
#endif
#define CORO__RESUME(n) \
    case (n) | CORO__LC_THROWN: case n: goto CORO__LABEL(n); CORO__LABEL(n):
#define CORO__RESUME_RAISING(co, n) \
    case (n) | CORO__LC_THROWN: \
        CORO_TRACE(co, __FILE__, n, "resume"); \
        CORO__UNWIND(co); \
    case n: goto CORO__LABEL(n); CORO__LABEL(n): \
    CORO_TRACE(co, __FILE__, n, "resume");
#define CORO__TO_HANDLER(co, n) ((co)->lc = (n))
#endif

/* Declares an enumeration constant that shadows the one of the enclosing try
 * block (how a raise finds its handler), without a -Wshadow warning. */
#if defined(__GNUC__)
#define CORO__SHADOW(decl) \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wshadow\"") \
    decl _Pragma("GCC diagnostic pop")
#else
#define CORO__SHADOW(decl) decl
#endif

#ifndef CORO_TRACE
/* No tracing unless you define CORO_TRACE first (TRACING, at the top). */
#define CORO_TRACE(co, file, line, what) ((void)0)
#endif

/* Suspends with `status`, at the resume point of line n. */
#define CORO__SUSPEND(co, status, n) \
    CORO__MARK(co, n); \
    CORO_TRACE(co, __FILE__, n, "suspend"); \
    return (status); \
    CORO__RESUME(n) \
    CORO_TRACE(co, __FILE__, n, "resume")

/* The same, and an error thrown in is raised there (as
 *     CORO__SUSPEND(co, status, n); if (co->err) CORO__UNWIND(co); */
#define CORO__SUSPEND_RAISING(co, status, n) \
    CORO__MARK(co, n); \
    CORO_TRACE(co, __FILE__, n, "suspend"); \
    return (status); \
    CORO__RESUME_RAISING(co, n)

/* Raises co->err (an error, or CORO__RETURNING for a return) where it stands:
 * to the innermost try block around this point, found at compile time (each
 * try block declares coro__try_id, the resume point of its handler; the body
 * declares 0), or, outside every try block, out of the frame. Expands to
 *     if (coro__try_id == 0) return <co->err, or CORO_RETURNED>;
 *     co->lc = coro__try_id; goto coro__top;
 * The test is a compile-time constant: each use keeps one of the two. */
#define CORO__UNWIND(co) \
    do { \
        if (coro__try_id == 0) { \
            CORO_TRACE(co, __FILE__, __LINE__, "finish"); \
            return coro__finish(co); \
        } \
        CORO__TO_HANDLER(co, coro__try_id); \
        goto coro__top; \
    } while (0)

/* Opens the body. Expands to
 *     enum { coro__try_id = 0 };
 *     coro__top: switch (co->lc) {
 *     default: return CORO_ELOST;     // no resume point here: rule 3
 *     case 0: <answer coro_where>
 * and marks the start. */
#define CORO_BEGIN(co) \
    enum { coro__try_id = 0 }; \
    coro__top: \
    CORO__DISPATCH(co) { \
    default: \
        return CORO_ELOST; \
    case 0: \
        if ((co)->err == CORO__WHERE) { \
            (co)->val.p = (void *)(__FILE__); \
            return CORO__WHERE; \
        } \
        CORO_TRACE(co, __FILE__, __LINE__, "start");

/* yield v: suspends; the caller of send/next gets v. An error thrown in
 * is raised here (rule 6). Read the sent value with coro_sent(co). Expands to
 *     co->val = v; co->lc = N; return CORO_YIELDED; case N:
 *     if (co->err) <raise it>; */
#define CORO_YIELD(co, value) \
    do { \
        coro__store((co), (value)); \
        CORO__SUSPEND_RAISING(co, CORO_YIELDED, __LINE__); \
    } while (0)

/* try: yield v / except BaseException as err: like CORO_YIELD, but an error
 * thrown in (any, CORO_EXIT and CORO_ECANCELLED too) is stored in `caught`
 * (an int lvalue; 0 if none) instead of raised. For more than one
 * suspension, or to catch only some errors, use a try block. */
#define CORO_YIELD_CATCH(co, value, caught) \
    do { \
        coro__store((co), (value)); \
        CORO__SUSPEND(co, CORO_YIELDED, __LINE__); \
        (caught) = (co)->err; \
        (co)->err = 0; \
    } while (0)

/* yield from sub, its return value dropped: runs the generator `sub` (a
 * struct coro *) until it finishes: what it yields goes to our caller, what
 * is sent or thrown goes to it, closing us closes it first. An error leaving
 * `sub` is raised here (rule 6). A closed `sub` gives none at once; a
 * running one, one already delegated to, or one a task drives, raises
 * CORO_EBUSY here; a never-initialised (zeroed) one, CORO_EINVAL. Expands to
 *     co->leaf = sub; co->lc = N; return <delegate>; case N:
 *     if (co->err) <raise it>; */
#define CORO_YIELD_FROM_VOID(co, sub) \
    do { \
        (co)->leaf = (sub); \
        CORO__SUSPEND_RAISING(co, CORO__DELEGATE, __LINE__); \
    } while (0)

/* r = yield from sub: CORO_YIELD_FROM_VOID, then sub's return value is
 * stored in `r` (a coro_value lvalue). */
#define CORO_YIELD_FROM(co, sub, r) \
    do { \
        CORO_YIELD_FROM_VOID(co, sub); \
        (r) = coro_sent(co); \
    } while (0)

/* try: r = yield from sub / except BaseException as err: like
 * CORO_YIELD_FROM, but an error leaving `sub` is stored in `caught` (0 if
 * none; then `r` is set) instead of raised. */
#define CORO_YIELD_FROM_CATCH(co, sub, r, caught) \
    do { \
        (co)->leaf = (sub); \
        CORO__SUSPEND(co, CORO__DELEGATE, __LINE__); \
        (caught) = (co)->err; \
        (co)->err = 0; \
        if (!(caught)) (r) = coro_sent(co); \
    } while (0)

/* r = await sub / await sub: the same as CORO_YIELD_FROM / _VOID (PEP 492 on
 * top of PEP 380). */
#define CORO_AWAIT(co, sub, r) CORO_YIELD_FROM(co, sub, r)
#define CORO_AWAIT_VOID(co, sub) CORO_YIELD_FROM_VOID(co, sub)
#define CORO_AWAIT_CATCH(co, sub, r, caught) CORO_YIELD_FROM_CATCH(co, sub, r, caught)

/* return v: finishes with v (the caller sees CORO_RETURNED and v), after
 * the finally blocks of every try block around this point, innermost first;
 * a finally block that returns or raises replaces it. Expands to
 *     co->val = v; co->err = CORO__RETURNING; <raise it> */
#define CORO_RETURN(co, value) \
    do { \
        coro__store((co), (value)); \
        (co)->err = CORO__RETURNING; \
        CORO__UNWIND(co); \
    } while (0)

/* raise err: raises err (non-zero; 0 raises CORO_EINVAL) here: to the
 * innermost try block around this point, or out of the frame to the caller
 * (or to the delegator's yield from). */
#define CORO_RAISE(co, error) \
    do { \
        (co)->err = coro__raise(error); \
        CORO__UNWIND(co); \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Try blocks: try / except / else / finally                                */
/* ------------------------------------------------------------------------ */

/* The bookkeeping of one try block: a member of the frame, like any local
 * (rule 1), one per try block that can be active at the same time (nested
 * blocks need one each; blocks one after the other may share one). 16 bytes
 * on x86-64, 8 on AVR (6 with CORO_NO_DOUBLE). Fields are private: read the
 * error with coro_error(). */
struct coro_try {
    union coro_word val;   /* a pending return value, kept while finally runs */
    int err;               /* the error caught or pending, CORO__RETURNING, 0 */
    unsigned char type;    /* enum coro_type of val */
    unsigned char state;   /* CORO__TRY_* */
};

/* Where a try block is. */
#define CORO__TRY_BODY    0u  /* running the try block */
#define CORO__TRY_MATCH   1u  /* an error left it: looking for an except clause */
#define CORO__TRY_CLAUSE  2u  /* running an except clause or the else block */
#define CORO__TRY_ELSE    3u  /* the try block finished without an error */
#define CORO__TRY_FINALLY 4u  /* past the clauses; err is what is pending */

/* The shape, with Python's meaning, each part optional but the first and
 * the last, in this order; `t` is a struct coro_try * in the frame:
 *
 *     CORO_TRY(co, &f->t) {                        try:
 *         ...                                          ...
 *     } CORO_EXCEPT(co, &f->t, ERR_A) {            except A:
 *         ...                                          ...
 *     } CORO_EXCEPT_IF(co, &f->t, is_io(coro_error(&f->t))) {  except OSError:
 *         ...                                          ...
 *     } CORO_EXCEPT_ANY(co, &f->t) {               except Exception as e:
 *         ... coro_error(&f->t) ...                    ... e ...
 *     } CORO_ELSE(co, &f->t) {                     else:
 *         ...                                          ...
 *     } CORO_FINALLY(co, &f->t) {                  finally:
 *         ...                                          ...
 *     } CORO_END_TRY(co, &f->t);
 *
 * Any part may suspend (yield, yield from, every await). An error raised in
 * the try block goes to the first except clause that matches, and on to the
 * enclosing try block (or out of the frame) if none does; an error raised in
 * a clause or the else block goes on outward, after the finally block. The
 * finally block runs on every way out: falling through, an error, a
 * CORO_RETURN, a close (CORO_EXIT pending) or a cancel; what was pending (an
 * error, a return value) survives its suspensions and goes on at its end,
 * unless it returns or raises instead. Do not leave any part with break,
 * continue, goto or return: use CORO_RETURN and CORO_RAISE. A try block,
 * like a suspension point, must not straddle a switch of your own (rule 3). */

/* try: opens a try block. Expands to
 *     { enum { coro__try_here = N };  t->state = BODY; t->err = 0;
 *       if (0) { case N: <an error reached this block: t takes it> }
 *       if (t->state == BODY) { enum { coro__try_id = N }; */
#define CORO_TRY(co, t) \
    { \
        CORO__SHADOW(enum { coro__try_here = __LINE__ };) \
        (t)->state = CORO__TRY_BODY; \
        (t)->err = 0; \
        if (0) { \
    case __LINE__: \
            coro__try_catch((co), (t)); \
        } \
        if ((t)->state == CORO__TRY_BODY) { \
            CORO__SHADOW(enum { coro__try_id = coro__try_here };)

/* except for a condition: the clause runs if the error (coro_error(t))
 * makes `cond` true and no clause above took it. Expands to
 *     <the part above finished>; }
 *     if (t->state == MATCH && (cond) && (t->state = CLAUSE)) {
 *         enum { coro__try_id = N }; */
#define CORO_EXCEPT_IF(co, t, cond) \
            coro__try_next(t); \
        } \
        if ((t)->state == CORO__TRY_MATCH && (cond) && coro__try_clause(t)) { \
            CORO__SHADOW(enum { coro__try_id = coro__try_here };)

/* except E: the clause runs for the error code `code`. */
#define CORO_EXCEPT(co, t, code) CORO_EXCEPT_IF(co, t, (t)->err == (code))

/* except Exception: the clause runs for any error but CORO_EXIT (close) and
 * CORO_ECANCELLED (cancel), which go on, as GeneratorExit and CancelledError
 * pass `except Exception`. (Python's bare `except:` is
 * CORO_EXCEPT_IF(co, t, 1).) */
#define CORO_EXCEPT_ANY(co, t) CORO_EXCEPT_IF(co, t, coro__is_exception((t)->err))

/* else: runs if the try block raised nothing. Expands to
 *     <the part above finished>; }
 *     if (t->state == ELSE && (t->state = CLAUSE)) { enum { coro__try_id = N }; */
#define CORO_ELSE(co, t) \
            coro__try_next(t); \
        } \
        if ((t)->state == CORO__TRY_ELSE && coro__try_clause(t)) { \
            CORO__SHADOW(enum { coro__try_id = coro__try_here };)

/* finally: runs on every way out (see above); coro_error(t) is the error
 * pending (CORO_EXIT when closing, 0 if none). An error raised here goes
 * outward and replaces it. Expands to
 *     <the part above finished>; } t->state = FINALLY; { */
#define CORO_FINALLY(co, t) \
            coro__try_next(t); \
        } \
        (t)->state = CORO__TRY_FINALLY; \
        {

/* Closes the try block: what is still pending (an error no clause took, or
 * one raised in a clause, or a return) goes on outward. Expands to
 *     <the part above finished>; }
 *     if ((co->err = <what t holds pending>)) <raise it>; } */
#define CORO_END_TRY(co, t) \
            coro__try_next(t); \
        } \
        if (coro__try_end((co), (t))) \
            CORO__UNWIND(co); \
    }

/* raise (bare, inside an except clause): raises the error it caught again. */
#define CORO_RERAISE(co, t) CORO_RAISE(co, (t)->err)

/* The error try block t handles: in an except clause the one caught, in the
 * finally block the one pending (CORO_EXIT when closing), else 0. */
static inline int coro_error(const struct coro_try *t)
{
    return t->err == CORO__RETURNING ? 0 : t->err;
}

/* Closes the body: falling off the end returns none. Expands to
 *     co->val = none; } return CORO_RETURNED; */
#define CORO_END(co) \
        coro__store((co), coro_none()); \
    } \
    if (0) goto coro__top; \
    CORO_TRACE(co, __FILE__, __LINE__, "finish"); \
    return CORO_RETURNED

/* ------------------------------------------------------------------------ */
/* Implementation                                                           */
/* ------------------------------------------------------------------------ */

/* Stores word v of type `type` in *w. A type known at compile time not to be
 * a double stores the intptr_t alone: where a double is wider (AVR, 32-bit
 * ARM) the compiler then keeps the value in registers instead of copying the
 * union through the stack; the rest of the word is never read for it. */
static CORO__ALWAYS_INLINE void coro__store_word(union coro_word *w, union coro_word v,
                                                 unsigned char type)
{
#ifndef CORO_NO_DOUBLE
    if (CORO__CONSTANT_P(type) && type != CORO_DOUBLE) {
        w->i = v.i;
        return;
    }
#else
    (void)type;
#endif
    *w = v;
}

static CORO__ALWAYS_INLINE void coro__store(struct coro *co, coro_value v)
{
    coro__store_word(&co->val, v.v, v.type);
    co->type = v.type;
}

/* What a body returns when co->err leaves it. */
static inline int coro__finish(const struct coro *co)
{
    return co->err == CORO__RETURNING ? CORO_RETURNED : co->err;
}

/* What CORO_RAISE raises: err, or CORO_EINVAL for 0 and for what is not an
 * error (CORO_YIELDED and the private codes below it). */
static inline int coro__raise(int err)
{
    return err == 0 || err <= CORO_YIELDED ? CORO_EINVAL : err;
}

/* Python's Exception as opposed to BaseException: what CORO_EXCEPT_ANY
 * takes. */
static inline int coro__is_exception(int err)
{
    return err != CORO_EXIT && err != CORO_ECANCELLED;
}

/* co->err reached try block t: t takes it. From the try block an error goes
 * to the except clauses; a return, or anything raised in a clause, to the
 * finally block (a return's value is kept in t). */
static inline void coro__try_catch(struct coro *co, struct coro_try *t)
{
    if (co->err == CORO__RETURNING || t->state != CORO__TRY_BODY) {
        t->state = CORO__TRY_FINALLY;
        t->val = co->val;
        t->type = co->type;
    } else {
        t->state = CORO__TRY_MATCH;
    }
    t->err = co->err;
    co->err = 0;
}

/* A part of try block t ran to its end: after the try block, the else
 * block may run; after a clause, the error it handled is done. */
static inline void coro__try_next(struct coro_try *t)
{
    if (t->state == CORO__TRY_BODY) {
        t->state = CORO__TRY_ELSE;
    } else if (t->state == CORO__TRY_CLAUSE) {
        t->state = CORO__TRY_FINALLY;
        t->err = 0;
    }
}

/* Enters an except clause or the else block; true. */
static inline int coro__try_clause(struct coro_try *t)
{
    t->state = CORO__TRY_CLAUSE;
    return 1;
}

/* The end of try block t: puts what is still pending into co (a return
 * with its value) and returns it, or 0. */
static inline int coro__try_end(struct coro *co, const struct coro_try *t)
{
    co->err = t->err;
    if (t->err == CORO__RETURNING) {
        co->val = t->val;
        co->type = t->type;
    }
    return t->err;
}

/* Copies co's value to *out (if not NULL); where a double is wider than an
 * intptr_t (AVR), only the intptr_t of a value that is not a double (the rest
 * of the word means nothing for it). */
static CORO__ALWAYS_INLINE void coro__out(const struct coro *co, coro_value *out)
{
    if (!out)
        return;
    out->type = co->type;
#ifndef CORO_NO_DOUBLE
    if (sizeof(double) > sizeof(intptr_t) && co->type != CORO_DOUBLE) {
        out->v.i = co->val.i;
        return;
    }
#endif
    out->v = co->val;
}

static inline void coro__set_state(struct coro *co, unsigned s)
{
    co->flags = (unsigned char)((co->flags & ~CORO__S_MASK) | s);
}

static inline struct coro *coro__root(const struct coro *g)
{
    while (g->parent)
        g = g->parent;
    return (struct coro *)g;
}

/* Running: g, or a delegator above it, is the frame a send runs on. */
static inline int coro__running(const struct coro *g)
{
    for (; g; g = g->parent)
        if (g->flags & CORO__F_RUNNING)
            return 1;
    return 0;
}

static inline enum coro_state coro_state(const struct coro *g)
{
    unsigned s = g->flags & CORO__S_MASK;
    if (s == CORO_CLOSED)
        return CORO_CLOSED;
    if (coro__running(g))
        return CORO_RUNNING;
    return (enum coro_state)s;
}

/* co is about to be resumed with co->err: if that is an error thrown in at a
 * suspension point, marks the point (CORO__LC_THROWN) so that it raises. */
static inline void coro__thrown(struct coro *co)
{
#ifndef CORO_USE_LABELS
    if (co->err && co->lc)
        co->lc = (coro_lc)(co->lc | CORO__LC_THROWN);
#else
    (void)co;
#endif
}

/* The trampoline. `cur`, a frame of g's chain, has just returned `rc`. Goes on
 * until g itself yields or finishes: a frame that finishes hands its value or
 * error to its delegator, which is resumed in this same call; a frame that
 * delegates hands over to its child. Each step is O(1), whatever the depth.
 * `op` says what the caller asked for. When it delivers CORO_EXIT, the frames
 * below g carry CORO__F_CLOSING: in CPython's recursion each of them is inside
 * its own close() until it finishes or yields. */
static int coro__trampoline(struct coro *g, struct coro *root, struct coro *cur,
                            int rc, int op, coro_value *out)
{
    for (;;) {
        if (rc == CORO_YIELDED) {
            struct coro *f = cur, *p;
            coro__set_state(cur, CORO_SUSPENDED);
            if (op < CORO__OP_THROW_EXIT)
                break;
            /* Yielded while being closed: the nearest frame inside its own
             * close() reports "ignored GeneratorExit" to its delegator and
             * stays suspended, heading its own chain. */
            while (f != g && !(f->flags & CORO__F_CLOSING))
                f = f->parent;
            if (f == g)
                break;
            p = f->parent;
            f->parent = NULL;           /* (CORO__F_CHILD becomes CORO__F_DELEG) */
            f->flags &= (unsigned char)~(CORO__F_CLOSING | CORO__F_CHILD);
            f->leaf = cur;
            if (cur != f)
                f->flags |= CORO__F_DELEG;
            cur = p;
            cur->err = CORO_EIGNORED;
        } else if (rc == CORO__DELEGATE) {
            struct coro *child = cur->leaf;
            coro__set_state(cur, CORO_SUSPENDED);
            if (!child || !child->fn) {             /* NULL, or never initialised */
                cur->err = CORO_EINVAL;
            } else if ((child->flags & CORO__S_MASK) == CORO_CLOSED) {
                coro__store(cur, coro_none());      /* StopIteration() at once */
                cur->err = 0;
            } else if (child == cur || child->parent ||
                       (child->flags & (CORO__F_RUNNING | CORO__F_OWNED))) {
                cur->err = CORO_EBUSY;
            } else if (child->flags & CORO__F_CHAIN) {
                /* child heads a chain in which a frame below it runs (it
                 * was sent to directly): as in CPython, resuming child's
                 * chain makes that frame's delegator get "already
                 * executing" at its yield from */
                struct coro *busy = child->leaf;
                child->flags = (unsigned char)((child->flags & ~CORO__F_CHAIN) | CORO__F_CHILD);
                child->parent = cur;
                cur = busy->parent;
                busy->parent = NULL;
                busy->flags &= (unsigned char)~CORO__F_CHILD;
                coro__store(cur, coro_none());
                cur->err = CORO_EBUSY;
            } else {
                child->parent = cur;                /* PEP 380: _y = next(_i) */
                child->flags = (unsigned char)((child->flags & ~CORO__F_STALE) | CORO__F_CHILD);
                cur = child->leaf;                  /* a child may head a chain */
                coro__store(cur, coro_none());      /* (a stale one: StopIteration()) */
                cur->err = 0;
                if (cur != child && !cur->parent) { /* ... whose innermost frame */
                    cur = child;                    /* was re-initialised */
                    cur->err = CORO_ESTATE;
                }
            }
        } else {
            /* cur finished: rc is CORO_RETURNED or the error that left it */
            struct coro *p = cur->parent;
            unsigned was_closing = cur->flags & CORO__F_CLOSING;
            cur->flags = CORO_CLOSED;
            cur->err = 0;
            if (cur == g)
                break;
            if (!p) {           /* re-initialised while delegated to: its */
                p = g;          /* delegator is lost; g hears of it */
                rc = CORO_ESTATE;
            }
            cur->parent = NULL;
            p->val = cur->val;
            p->type = cur->type;
            /* PEP 380: a delegator that forwarded the exit to its child's
             * close() gets GeneratorExit even if the child caught it and
             * returned */
            if (rc == CORO_RETURNED && was_closing)
                rc = CORO_EXIT;
            p->err = rc;
            cur = p;
        }
        coro__thrown(cur);
        rc = cur->fn(cur);
    }
    g->flags &= (unsigned char)~CORO__F_RUNNING;
    root = coro__root(g);       /* g may have been detached meanwhile */
    root->flags &= (unsigned char)~CORO__F_CHAIN;
    if (rc == CORO_YIELDED) {
        root->leaf = cur;
        if (cur != root)
            root->flags |= CORO__F_DELEG;
        if (op == CORO__OP_CLOSE)
            return CORO_EIGNORED;
        coro__out(cur, out);
        return CORO_YIELDED;
    }
    if (g != root) {              /* g was sent to directly inside a chain */
        root->leaf = g->parent;   /* its delegator, whose child has finished */
        root->flags |= CORO__F_STALE;
        g->parent = NULL;
    }
    if (rc == CORO_EXIT && op == CORO__OP_CLOSE) {
        coro__store(g, coro_none());
        rc = CORO_RETURNED;
    }
    if (rc == CORO_RETURNED)
        coro__out(g, out);
    return rc;
}

/* Everything but the fast path: misuse checks, closed, created, frames sent to
 * inside a chain, a chain whose innermost frame finished, close. */
static CORO__NOINLINE int coro__run_slow(struct coro *g, coro_value v, int err, int op, coro_value *out)
{
    struct coro *root, *cur;
    unsigned s;
    if (!g || !g->fn)                   /* NULL, or never initialised */
        return CORO_EINVAL;
    s = g->flags & CORO__S_MASK;
    if (s == CORO_CLOSED) {
        if (err && op != CORO__OP_CLOSE)
            return err;                 /* throw into a finished generator */
        if (out)
            *out = coro_none();
        return CORO_RETURNED;
    }
    root = coro__root(g);
    if (coro__running(g))
        return CORO_EBUSY;
    if (s == CORO_CREATED) {
        if (g->lc) {                    /* its own body re-initialised it, */
            g->flags = CORO_CLOSED;     /* then suspended */
            return CORO_ESTATE;
        }
        if (err) {                      /* throw or close before the start */
            g->flags = CORO_CLOSED;
            if (op != CORO__OP_CLOSE)
                return err;
            if (out)
                *out = coro_none();
            return CORO_RETURNED;
        }
        if (v.type != CORO_NONE)
            return CORO_EINVAL;
    }
    cur = root->leaf;
    if (root->flags & CORO__F_DELEG) {
        root->flags &= (unsigned char)~CORO__F_DELEG;
        if (!cur->parent) {
            /* its innermost frame was re-initialised (coro_init) while it
             * was delegated to: the frame sent to hears of it */
            cur = g;
            v = coro_none();
            err = CORO_ESTATE;
        }
    }
    if (root->flags & CORO__F_CHAIN) {
        /* A frame below g runs (it was sent to directly): as in CPython, its
         * delegator gets "already executing" at its yield from and no longer
         * delegates to it. */
        struct coro *busy = root->leaf;
        cur = busy->parent;
        busy->parent = NULL;
        busy->flags &= (unsigned char)~CORO__F_CHILD;
        root->flags &= (unsigned char)~CORO__F_CHAIN;
        v = coro_none();
        err = CORO_EBUSY;
    }
    if (root->flags & CORO__F_STALE) {
        /* the innermost frame's child finished by a direct send: the child
         * answers StopIteration(None), or raises what is thrown at it */
        v = coro_none();
        root->flags &= (unsigned char)~CORO__F_STALE;
    }
    if (g != root) {
        root->flags |= CORO__F_CHAIN;
        root->leaf = g;
    }
    g->flags |= CORO__F_RUNNING;
    if (op >= CORO__OP_THROW_EXIT) {    /* each frame below g is inside a close() */
        struct coro *f;
        for (f = cur; f && f != g; f = f->parent)
            f->flags |= CORO__F_CLOSING;
    }
    coro__store(cur, v);
    cur->err = err;
    coro__thrown(cur);
    return coro__trampoline(g, root, cur, cur->fn(cur), op, out);
}

/* Out of line, what is not the fast path: the chain's path, short, and the
 * slow path. The chain's path: a send to a suspended outermost frame `g`
 * (flags: CORO_SUSPENDED, CORO__F_DELEG and `owned`) whose innermost frame is
 * still linked to its delegator resumes that frame at once, O(1) whatever
 * the depth. *v is the value sent or none. */
static CORO__NOINLINE int coro__run_other(struct coro *g, const coro_value *v, int err, int op,
                                          coro_value *out, unsigned owned)
{
    struct coro *cur;
    unsigned char flags;
    int rc;
    if (op != CORO__OP_SEND || !g || g->parent ||
        (flags = g->flags) != (CORO_SUSPENDED | CORO__F_DELEG | owned) ||
        !(cur = g->leaf)->parent)       /* (re-initialised: the slow path) */
        return coro__run_slow(g, *v, err, op, out);
    g->flags = (unsigned char)((flags & ~CORO__F_DELEG) | CORO__F_RUNNING);
    coro__store(cur, *v);               /* (cur->err is 0: it is suspended) */
    rc = cur->fn(cur);
    if (rc != CORO_YIELDED)
        return coro__trampoline(g, g, cur, rc, CORO__OP_SEND, out);
    g->flags = flags;
    coro__out(cur, out);
    return CORO_YIELDED;
}

/* What an out-of-line path returned: rc, and in *out (if not NULL) its value r
 * when there is one, none on an error. Through r, a caller's out never has
 * its address taken: it can stay in registers, and a part of it that nobody
 * reads is dropped; and as every path writes it, a caller that reads out
 * after an error reads none, never an uninitialised value. */
static CORO__ALWAYS_INLINE int coro__give(int rc, const coro_value *r, coro_value *out)
{
    if (out)
        *out = rc == CORO_YIELDED || rc == CORO_RETURNED ? *r : coro_none();
    return rc;
}

/* The fast path, inlined into each call: a suspended outermost frame that
 * is not in a chain and has no other flag than `owned` (0, or CORO__F_OWNED
 * for the loop's tasks), resumed, and yielding again. The flags are compared
 * and then stored as a constant: a read-modify-write here would chain every
 * resume to the one before through memory. */
static CORO__ALWAYS_INLINE int coro__run(struct coro *g, union coro_word vv, unsigned char vt, int err, int op,
                                         coro_value *out, unsigned owned)
{
    coro_value r;
    int rc;
    if (CORO__UNLIKELY(op >= CORO__OP_THROW_EXIT || !g || g->flags != (CORO_SUSPENDED | owned))) {
        coro_value v = coro__value(vt);
        coro__store_word(&v.v, vv, vt);
        return coro__give(coro__run_other(g, &v, err, op, &r, owned), &r, out);
    }
    g->flags = (unsigned char)(CORO_SUSPENDED | CORO__F_RUNNING | owned);
    coro__store_word(&g->val, vv, vt);
    g->type = vt;
    if (!CORO__CONSTANT_P(err) || err) {
        g->err = err;           /* (a suspended frame's err is 0 already) */
        coro__thrown(g);
    }
    rc = g->fn(g);
    if (CORO__UNLIKELY(rc != CORO_YIELDED))
        return coro__give(coro__trampoline(g, g, g, rc, op, &r), &r, out);
    g->flags &= (unsigned char)~CORO__F_RUNNING;
    coro__out(g, out);
    return CORO_YIELDED;
}

static inline int coro_close(struct coro *g, coro_value *out)
{
    return coro__run(g, coro_none().v, CORO_NONE, CORO_EXIT, CORO__OP_CLOSE, out, 0);
}

/* Private, for an owner (the loop's tasks): marks a frame, just initialised,
 * as driven by its owner only; yielding from it is then CORO_EBUSY. */
static inline void coro__own(struct coro *co)
{
    co->flags |= CORO__F_OWNED;
}

/* Private, for an owner: g.send(v) (err 0) or g.throw(err) on a frame marked
 * with coro__own, on the fast path. Returns as coro_send / coro_throw. */
static CORO__ALWAYS_INLINE int coro__resume_owned(struct coro *g, coro_value v, int err, coro_value *out)
{
    return coro__run(g, v.v, v.type, err,
                     err == 0 ? CORO__OP_SEND : err == CORO_EXIT ? CORO__OP_THROW_EXIT : CORO__OP_THROW,
                     out, CORO__F_OWNED);
}

static inline unsigned coro_where(struct coro *g, const char **file)
{
    unsigned line = 0;
    if ((g->flags & CORO__S_MASK) == CORO_SUSPENDED) {
#ifdef CORO_USE_LABELS
        line = g->line;
#else
        line = g->lc & ~CORO__LC_THROWN;    /* (its own body asking) */
#endif
    }
    if (file && !g->fn) {
        *file = "";                     /* never initialised */
    } else if (file) {
        /* ask the body: with a start resume point and CORO__WHERE in err,
         * CORO_BEGIN stores __FILE__ in val and returns */
        coro_lc lc = g->lc;
        union coro_word val = g->val;
        unsigned char type = g->type, flags = g->flags;
        int err = g->err;
#ifdef CORO_USE_LABELS
        uint_least16_t l = g->line;
        g->line = 0;
#endif
        g->lc = 0;
        g->err = CORO__WHERE;
        *file = g->fn(g) == CORO__WHERE ? (const char *)g->val.p : "";
        g->lc = lc;
        g->val = val;
        g->type = type;
        g->flags = flags;
        g->err = err;
#ifdef CORO_USE_LABELS
        g->line = l;
#endif
    }
    return line;
}

static inline const char *coro_errname(int code)
{
    switch (code) {
    case CORO_RETURNED:   return "CORO_RETURNED";
    case CORO_YIELDED:    return "CORO_YIELDED";
    case CORO_EXIT:       return "CORO_EXIT";
    case CORO_EBUSY:      return "CORO_EBUSY";
    case CORO_EINVAL:     return "CORO_EINVAL";
    case CORO_EIGNORED:   return "CORO_EIGNORED";
    case CORO_ECANCELLED: return "CORO_ECANCELLED";
    case CORO_ETIMEDOUT:  return "CORO_ETIMEDOUT";
    case CORO_ESTATE:     return "CORO_ESTATE";
    case CORO_EFULL:      return "CORO_EFULL";
    case CORO_EEMPTY:     return "CORO_EEMPTY";
    case CORO_ENOTASK:    return "CORO_ENOTASK";
    case CORO_ENOKEY:     return "CORO_ENOKEY";
    case CORO_EEXIST:     return "CORO_EEXIST";
    case CORO_ERANGE:     return "CORO_ERANGE";
    case CORO_ELOST:      return "CORO_ELOST";
    case CORO_ELOOP:      return "CORO_ELOOP";
    case CORO_ECLOSED:    return "CORO_ECLOSED";
    case CORO_ECORRUPT:   return "CORO_ECORRUPT";
    case CORO_ESLOW:      return "CORO_ESLOW";
    case CORO_EINCOMPLETE: return "CORO_EINCOMPLETE";
    case CORO_ELIMIT:     return "CORO_ELIMIT";
    case CORO_EPOOLFULL:  return "CORO_EPOOLFULL";
    case CORO_ESHUTDOWN:  return "CORO_ESHUTDOWN";
    case CORO_EGROUP:     return "CORO_EGROUP";
    case CORO_ENONAME:    return "CORO_ENONAME";
    case CORO_ENAMEAGAIN: return "CORO_ENAMEAGAIN";
    case CORO_ERESOLVE:   return "CORO_ERESOLVE";
    default:              return code > 0 ? "user error" : "errno";
    }
}

#ifdef __cplusplus
}
#endif

#endif /* CORO_H */
