/* SPDX-License-Identifier: MIT */
/*
 * fuzz_coro.c -- random next / send / throw / close / reuse sequences over
 * random yield-from trees of up to 100 generators, each operation checked
 * against an executable model of PEP 342/380 written here.
 *
 * THE PROGRAM (decoded from the input; every byte string is a program)
 *
 *   N frames (1..100), frame s running script min(s, S-1) of S scripts (1..8):
 *   the last script repeats, so "yield from s+1" makes a chain of depth N.
 *   A script is, in Python:
 *
 *       def gen():
 *           try:
 *               <main steps, up to 15>
 *           finally:
 *               <cleanup steps, up to 7>
 *
 *   Steps: Y   `x = yield v` and log x
 *          YC  `try: x = yield v` / `except <mask> as e:` log e, then pass,
 *              return v, raise E, re-raise e or `x = yield v` (log x)
 *          YF  `r = yield from frame[s + off]` and log r (off may be 0 or
 *              negative: cycles, shared children; out of range: a Y)
 *          YFC the same inside try/except, handled as YC
 *          RET `return v`, RAISE `raise E`, PEND log coro_error() (the
 *              error a clause caught or a finally part has pending)
 *          STATE log coro_state of every frame,
 *          OP  next / send / throw / close on frame[s + off] from inside
 *              the body (itself, a delegator: CORO_EBUSY; another chain) and
 *              log what it returned,
 *          TRY a try block, up to 2 levels deep in the script's own parts:
 *                  try:
 *                      <up to 7 steps>
 *                  except <mask> / Exception:   (logged when it catches)
 *                      <up to 7 steps; RERAISE: a bare `raise`>
 *                  else:
 *                      <up to 3 steps>
 *                  finally:
 *                      <up to 7 steps>
 *              (YC and YFC only in the script's own parts: in a try block
 *              they are Y and YF).
 *   Errors: users codes 1, 2, 3, 7 and CORO_EXIT, CORO_EIGNORED, CORO_EBUSY,
 *   CORO_EINVAL (GeneratorExit, RuntimeError, ValueError, TypeError); an
 *   except mask has one bit per code.
 *
 *   Then up to 128 operations, each on frame 0 or directly on any frame:
 *   next, send(v), throw(err) (err 0 and CORO_YIELDED included: CORO_EINVAL),
 *   close, and reuse (coro_init again) of a closed frame; `out` NULL or not.
 *
 * THE CHECK
 *
 *   The library runs the scripts with one generic body (gen_body: a loop over
 *   the steps with a fixed set of suspension sites, the step index in the
 *   frame; try blocks are lexical, so gen_body writes out every nesting of
 *   them a script can have, each part a loop over the steps it was given).
 *   The model runs them with a direct transcription of CPython's
 *   genobject.c (gen_send_ex, _gen_throw, gen_close, gen_close_iter): a
 *   recursive interpreter in which yield from forwards send, throw and close
 *   to the child and errors and returns travel through the try blocks as in
 *   Python, over generator objects of its own (a reused frame is a new
 *   object; delegators still hold the old, closed one). After each operation
 *   they must agree on the status, the value yielded or returned, every
 *   frame's coro_state, coro_where (line of the suspension site, file), and
 *   the log of events (values received, errors caught, yield from results,
 *   pending errors in cleanups, states seen and operations done from inside
 *   the bodies). A mismatch prints the operation and both sides to stderr and
 *   aborts.
 *
 *   The model is Python 3.11 except where README documents a difference:
 *   close() returns the value a body returned while closing (3.13); one
 *   delegator per generator (a second yield from gets CORO_EBUSY). And: throw(err)
 *   into a running generator is CORO_EBUSY with no other effect (CPython 3.11
 *   pops the stack of a generator running inside its own close() or throw()
 *   when a throw reaches it through a yield from, and may crash).
 *
 * CHECKING THE MODEL AGAINST CPYTHON
 *
 *   Compiled with -DFUZZ_CORO_DUMP this file is a program, `dump -m|-l|-p IN`,
 *   that prints an input's model trace, its library trace, or the input as a
 *   Python program whose output is the model trace when the model is right:
 *       cc -std=c99 -I. -DFUZZ_CORO_DUMP fuzz/fuzz_coro.c -o dump
 *       python3 <(./dump -p IN) | diff - <(./dump -m IN)
 *   (the program prints UNSUPPORTED and stops at a throw CPython mishandles).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coro.h"

#define MAX_FRAMES  100
#define MAX_SCRIPTS 8
#define MAX_STEPS   15            /* a script's main part; others take 7 */
#define MAX_BLOCKS  256           /* the scripts' and their try blocks */
#define MAX_DEPTH   3             /* the script's try/finally and 2 nested */
#define MAX_OPS     128
#define MAX_OBJS    (MAX_FRAMES + MAX_OPS)
#define LOG_MAX     32768

/* ---- The program ------------------------------------------------------- */

enum kind { K_Y, K_YC, K_YF, K_YFC, K_RET, K_RAISE, K_PEND, K_STATE, K_OP, K_TRY, K_RERAISE,
            NKINDS };
enum then { T_PASS, T_RETURN, T_RAISE, T_RERAISE, T_YIELD };
enum opk { OP_NEXT, OP_SEND, OP_THROW, OP_CLOSE, OP_REINIT };
enum part { P_TRY, P_EXCEPT, P_ELSE, P_FINALLY, NPARTS };

/* a: value (Y, YC, RET), offset (YF, YFC, OP), error (RAISE) or a TRY's
 * part lengths; mask: what an except catches; h: the handler's value or
 * error, YF's value when its target is out of range, OP's operation and
 * value or error, a TRY's finally length and except form; blk: a TRY's
 * block. */
struct step { unsigned char kind, then, a, mask, h; short blk; };

/* A try block: its except clause takes the errors of `mask` (one bit per
 * code of errors[]), or with `any` every error but CORO_EXIT (Exception);
 * steps of the try part, except clause, else part and finally part. A
 * script is the block of try: <main> finally: <cleanup>. */
struct block {
    int mask, any, n[NPARTS];
    struct step steps[NPARTS][MAX_STEPS];
};
struct op { int kind, target, param, no_out; };  /* no_out: out is NULL */

static struct {
    int nframes, nscripts, nops, nblocks;
    struct block blocks[MAX_BLOCKS];   /* the scripts first */
    struct op ops[MAX_OPS];
} prog;

/* Error codes; raise steps and masks use the first 8, throw all 10. */
static const int errors[10] = { 1, 2, 3, 7, CORO_EXIT, CORO_EIGNORED, CORO_EBUSY,
                                CORO_EINVAL, 0, CORO_YIELDED };

struct reader { const uint8_t *p; size_t n; };

static unsigned next_byte(struct reader *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

static void decode_block(struct reader *r, int b, int level, const struct step *st);

/* n steps of part `part` of block b at nesting level `level`: the catch
 * forms (YC, YFC) only in a script's own parts, a re-raise only in an
 * except clause (else a raise), a try block only above the last level and
 * while the pool lasts (else a yield). */
static void decode_part(struct reader *r, int b, int level, int part, int n)
{
    int j;
    prog.blocks[b].n[part] = n;
    for (j = 0; j < n; j++) {
        struct step *st = &prog.blocks[b].steps[part][j];
        unsigned k = next_byte(r);
        st->kind = (unsigned char)((k & 15) % NKINDS);
        st->then = (unsigned char)((k >> 4) % 5);
        st->a = (unsigned char)next_byte(r);
        st->mask = (unsigned char)next_byte(r);
        st->h = (unsigned char)next_byte(r);
        if (level && (st->kind == K_YC || st->kind == K_YFC))
            st->kind = st->kind == K_YC ? K_Y : K_YF;
        if (st->kind == K_RERAISE && (!level || part != P_EXCEPT))
            st->kind = K_RAISE;
        if (st->kind == K_TRY && (level == MAX_DEPTH - 1 || prog.nblocks == MAX_BLOCKS))
            st->kind = K_Y;
        if (st->kind == K_TRY) {
            st->blk = (short)prog.nblocks++;
            decode_block(r, st->blk, level + 1, st);
        }
    }
}

/* Block b, the try block of step st (its bytes already read): a & 7 steps
 * in the try part, a >> 3 & 7 in the except clause, a >> 6 in the else
 * part, h & 7 in the finally part; except `mask`, or Exception if h & 8. */
static void decode_block(struct reader *r, int b, int level, const struct step *st)
{
    int n[NPARTS], p;
    prog.blocks[b].mask = st->mask;
    prog.blocks[b].any = st->h >> 3 & 1;
    n[P_TRY] = st->a & 7;
    n[P_EXCEPT] = st->a >> 3 & 7;
    n[P_ELSE] = st->a >> 6;
    n[P_FINALLY] = st->h & 7;
    for (p = 0; p < NPARTS; p++)
        decode_part(r, b, level, p, n[p]);
}

static void decode(const uint8_t *data, size_t size)
{
    struct reader r;
    int i;
    r.p = data;
    r.n = size;
    memset(&prog, 0, sizeof prog);
    prog.nframes = 1 + (int)(next_byte(&r) % MAX_FRAMES);
    prog.nscripts = 1 + (int)(next_byte(&r) % MAX_SCRIPTS);
    prog.nblocks = prog.nscripts;
    for (i = 0; i < prog.nscripts; i++) {
        unsigned b = next_byte(&r);
        decode_part(&r, i, 0, P_TRY, (int)(b & 15) % (MAX_STEPS + 1));
        decode_part(&r, i, 0, P_FINALLY, (int)(b >> 4) & 7);
    }
    while (r.n && prog.nops < MAX_OPS) {
        struct op *op = &prog.ops[prog.nops++];
        unsigned k = next_byte(&r);
        op->kind = (int)(k & 7) % 5;
        op->param = (int)next_byte(&r);
        op->target = (int)(next_byte(&r) % (unsigned)prog.nframes);
        op->no_out = (k & 0x40) != 0;
        if (op->kind != OP_REINIT && !(k & 0x80))
            op->target = 0;
    }
}

/* The block of frame slot's script. */
static int script_of(int slot)
{
    return slot < prog.nscripts ? slot : prog.nscripts - 1;
}

static int signed_byte(unsigned b)
{
    return b < 128 ? (int)b : (int)b - 256;
}

/* The frame a yield from at this step names, -1 if out of range. */
static int target_of(int slot, const struct step *st)
{
    int t = slot + signed_byte(st->a);
    return t >= 0 && t < prog.nframes ? t : -1;
}

/* The step's kind, a yield from out of range being a yield (and an
 * operation out of range a STATE step). */
static int kind_of(int slot, const struct step *st)
{
    if ((st->kind == K_YF || st->kind == K_YFC) && target_of(slot, st) < 0)
        return st->kind == K_YF ? K_Y : K_YC;
    if (st->kind == K_OP && target_of(slot, st) < 0)
        return K_STATE;
    return st->kind;
}

/* A body's operation on frame[s + off]: h % 4 is next, send (value h),
 * throw (error h / 4) or close. */
enum { N_NEXT, N_SEND, N_THROW, N_CLOSE };

/* Values: x == 0 is none; otherwise slot * 10000 + bias + x, so that every
 * value says who made it: yields, handler yields, returns, sends by a body;
 * operations send 1000000 + param. */
enum bias { B_YIELD = 0, B_HANDLER = 1000, B_RETURN = 2000, B_SEND = 3000 };

static coro_value make_value(int slot, unsigned x, int bias)
{
    return x ? coro_int((intptr_t)slot * 10000 + bias + (intptr_t)x) : coro_none();
}

static coro_value yield_value(int slot, const struct step *st)
{
    return make_value(slot, st->kind == K_Y || st->kind == K_YC ? st->a : st->h, 0);
}

static coro_value send_value(int param)
{
    return param ? coro_int(1000000 + param) : coro_none();
}

static int error_class(int err)
{
    int i;
    for (i = 0; i < 8; i++)
        if (errors[i] == err)
            return i;
    return 8;
}

static int catches(const struct step *st, int err)
{
    int c = error_class(err);
    return c < 8 && (st->mask >> c & 1);
}

/* A try block's except clause takes err? (Exception: all but CORO_EXIT.) */
static int block_catches(const struct block *b, int err)
{
    int c = error_class(err);
    if (b->any)
        return err != CORO_EXIT && err != CORO_ECANCELLED;
    return c < 8 && (b->mask >> c & 1);
}

/* ---- The event log ----------------------------------------------------- */

enum ev { EV_SENT, EV_R, EV_CAUGHT, EV_PEND, EV_STATE, EV_OP };

/* x: a value (of type `type`), an error, a state, or (EV_OP) a status with
 * its value in (type, y) */
struct event { int slot, kind, type; long x, y; };

struct log { struct event ev[LOG_MAX]; int n; long total; };

static struct log lib_log, model_log;

static void log_add(struct log *l, int slot, int kind, int type, long x)
{
    l->total++;
    if (l->n < LOG_MAX) {
        struct event *e = &l->ev[l->n++];
        e->slot = slot;
        e->kind = kind;
        e->type = type;
        e->x = x;
        e->y = 0;
    }
}

/* A body's operation: its status, and value if it yielded or returned. */
static void log_op(struct log *l, int slot, int rc, coro_value v)
{
    int n = l->n;
    log_add(l, slot, EV_OP, CORO_NONE, rc);
    if (n < l->n && (rc == CORO_YIELDED || rc == CORO_RETURNED)) {
        l->ev[n].type = v.type;
        l->ev[n].y = v.type == CORO_INT ? (long)v.v.i : 0;
    }
}

static void log_value(struct log *l, int slot, int kind, coro_value v)
{
    log_add(l, slot, kind, v.type, v.type == CORO_INT ? (long)v.v.i : 0);
}

/* ---- The library side: one generic body -------------------------------- */

struct frame {
    struct coro co;
    int slot;
    int blk[MAX_DEPTH];     /* the block running at each level */
    int pc[MAX_DEPTH];      /* the current step of each level's part */
    int caught;             /* the error a YC or YFC step caught, 0 if none */
    coro_value r;           /* a yield from's result */
    struct coro_try t[MAX_DEPTH];
};

static struct frame frames[MAX_FRAMES];

/* Suspension sites of gen_body, [place][site], and the line each is on. A
 * place is a part of the fixed nesting: 0 and 1 the script's main and
 * cleanup, 2 + 4 * sec + p part p of the try block in section sec, and
 * 10 + 4 * (4 * sec + p) + q part q of the try block inside that. */
enum site { S_Y, S_YC, S_YF, S_YFC, S_H, NSITES };
#define NPLACES (2 + 8 + 32)
static unsigned site_line[NPLACES][NSITES];

static const struct step *step_in(const struct frame *f, int level, int part)
{
    return &prog.blocks[f->blk[level]].steps[part][f->pc[level]];
}

static int kind_in(const struct frame *f, int level, int part)
{
    return kind_of(f->slot, step_in(f, level, part));
}

static int len_in(const struct frame *f, int level, int part)
{
    return prog.blocks[f->blk[level]].n[part];
}

static struct coro *child_in(const struct frame *f, int level, int part)
{
    return &frames[target_of(f->slot, step_in(f, level, part))].co;
}

static void lib_states(void)
{
    int s;
    for (s = 0; s < prog.nframes; s++)
        log_add(&lib_log, s, EV_STATE, 0, coro_state(&frames[s].co));
}

/* PEND, STATE and OP steps. */
static void lib_record(const struct frame *f, int level, int part)
{
    const struct step *st = step_in(f, level, part);
    struct coro *g;
    coro_value out = coro_int(-999);
    int rc;
    switch (kind_of(f->slot, st)) {
    case K_PEND:
        log_add(&lib_log, f->slot, EV_PEND, 0, coro_error(&f->t[level]));
        return;
    case K_STATE:
        lib_states();
        return;
    default:
        g = &frames[target_of(f->slot, st)].co;
        if (st->h % 4 == N_NEXT)
            rc = coro_next(g, &out);
        else if (st->h % 4 == N_SEND)
            rc = coro_send(g, make_value(f->slot, st->h, B_SEND), &out);
        else if (st->h % 4 == N_THROW)
            rc = coro_throw(g, errors[st->h / 4 % 8], &out);
        else
            rc = coro_close(g, &out);
        log_op(&lib_log, f->slot, rc, out);
    }
}

/* After a YC or YFC step caught f->caught: 1 if its except clause takes it
 * (and logs it), 0 if it goes on unwinding. */
static int lib_handles(const struct frame *f, int level, int part)
{
    if (!catches(step_in(f, level, part), f->caught))
        return 0;
    log_add(&lib_log, f->slot, EV_CAUGHT, 0, f->caught);
    return 1;
}

/* The except clause of the try block at `level` takes the error? */
static int lib_matches(const struct frame *f, int level)
{
    return block_catches(&prog.blocks[f->blk[level]], coro_error(&f->t[level]));
}

static coro_value handler_value(const struct frame *f, int level, int part, int bias)
{
    return make_value(f->slot, step_in(f, level, part)->h, bias);
}

/* Records the line of a suspension site (on the line of the suspension). */
#define AT(place, site) site_line[place][site] = __LINE__

/* The lines of gen_body, each with at most one suspension point (rule 4):
 * a part of a block at nesting level L is the loop STEPS ... END_STEPS over
 * its steps, the try block of a TRY step is TRY_ ... END_TRY_ around the
 * loops over its four parts. */
#define STEPS(L, P, place) \
    for (f->pc[L] = 0; f->pc[L] < len_in(f, L, P); f->pc[L]++) { \
        f->caught = 0; \
        if (kind_in(f, L, P) == K_RET) \
            CORO_RETURN(co, make_value(f->slot, step_in(f, L, P)->a, B_RETURN)); \
        else if (kind_in(f, L, P) == K_RAISE) \
            CORO_RAISE(co, errors[step_in(f, L, P)->a % 8]); \
        else if (kind_in(f, L, P) == K_RERAISE) \
            CORO_RERAISE(co, &f->t[L]); \
        else if (kind_in(f, L, P) == K_PEND || kind_in(f, L, P) == K_STATE || \
                 kind_in(f, L, P) == K_OP) \
            lib_record(f, L, P); \
        else if (kind_in(f, L, P) == K_Y) { \
            AT(place, S_Y); CORO_YIELD(co, yield_value(f->slot, step_in(f, L, P))); \
            log_value(&lib_log, f->slot, EV_SENT, coro_sent(co)); \
        }
#define Y_CATCH(L, P, place) \
        else if (kind_in(f, L, P) == K_YC) { \
            AT(place, S_YC); \
            CORO_YIELD_CATCH(co, yield_value(f->slot, step_in(f, L, P)), f->caught); \
            if (!f->caught) \
                log_value(&lib_log, f->slot, EV_SENT, coro_sent(co)); \
        }
#define Y_FROM(L, P, place) \
        else if (kind_in(f, L, P) == K_YF) { \
            AT(place, S_YF); CORO_YIELD_FROM(co, child_in(f, L, P), f->r); \
            log_value(&lib_log, f->slot, EV_R, f->r); \
        }
#define Y_FROM_CATCH(L, P, place) \
        else if (kind_in(f, L, P) == K_YFC) { \
            AT(place, S_YFC); CORO_YIELD_FROM_CATCH(co, child_in(f, L, P), f->r, f->caught); \
            if (!f->caught) \
                log_value(&lib_log, f->slot, EV_R, f->r); \
        }
/* the then part of a YC or YFC step that caught an error */
#define HANDLER(L, P, place) \
        if (f->caught && !lib_handles(f, L, P)) \
            CORO_RAISE(co, f->caught); \
        if (f->caught && step_in(f, L, P)->then == T_RETURN) \
            CORO_RETURN(co, handler_value(f, L, P, B_RETURN)); \
        if (f->caught && step_in(f, L, P)->then == T_RAISE) \
            CORO_RAISE(co, errors[step_in(f, L, P)->h % 8]); \
        if (f->caught && step_in(f, L, P)->then == T_RERAISE) \
            CORO_RAISE(co, f->caught); \
        if (f->caught && step_in(f, L, P)->then == T_YIELD) { \
            AT(place, S_H); CORO_YIELD(co, handler_value(f, L, P, B_HANDLER)); \
            log_value(&lib_log, f->slot, EV_SENT, coro_sent(co)); \
        }
#define END_STEPS }
/* a TRY step in part P of level L - 1: the try block at level L */
#define TRY_(L, P) \
        else if (kind_in(f, L - 1, P) == K_TRY) { \
            f->blk[L] = step_in(f, L - 1, P)->blk; \
            CORO_TRY(co, &f->t[L]) {
#define EXCEPT_(L) \
            } CORO_EXCEPT_IF(co, &f->t[L], lib_matches(f, L)) { \
                log_add(&lib_log, f->slot, EV_CAUGHT, 0, coro_error(&f->t[L]));
#define ELSE_(L) } CORO_ELSE(co, &f->t[L]) {
#define FINALLY_(L) } CORO_FINALLY(co, &f->t[L]) {
#define END_TRY_(L) } CORO_END_TRY(co, &f->t[L]); }

/* The script of frame f->slot; C locals do not live across suspensions
 * (everything is read again from the frame and the script). The try blocks
 * are lexical: gen_body writes out the whole nesting its scripts can have
 * (a try block in any part of the script's try/finally, another in any part
 * of that), each part a loop over the steps the input gave it. */
static int gen_body(struct coro *co)
{
    struct frame *f = (struct frame *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->t[0]) {
    STEPS(0, 0, 0)
    Y_CATCH(0, 0, 0)
    Y_FROM(0, 0, 0)
    Y_FROM_CATCH(0, 0, 0)
    TRY_(1, 0)
        STEPS(1, 0, 2)
        Y_FROM(1, 0, 2)
        TRY_(2, 0)
            STEPS(2, 0, 10)
            Y_FROM(2, 0, 10)
            END_STEPS
        EXCEPT_(2)
            STEPS(2, 1, 11)
            Y_FROM(2, 1, 11)
            END_STEPS
        ELSE_(2)
            STEPS(2, 2, 12)
            Y_FROM(2, 2, 12)
            END_STEPS
        FINALLY_(2)
            STEPS(2, 3, 13)
            Y_FROM(2, 3, 13)
            END_STEPS
        END_TRY_(2)
        END_STEPS
    EXCEPT_(1)
        STEPS(1, 1, 3)
        Y_FROM(1, 1, 3)
        TRY_(2, 1)
            STEPS(2, 0, 14)
            Y_FROM(2, 0, 14)
            END_STEPS
        EXCEPT_(2)
            STEPS(2, 1, 15)
            Y_FROM(2, 1, 15)
            END_STEPS
        ELSE_(2)
            STEPS(2, 2, 16)
            Y_FROM(2, 2, 16)
            END_STEPS
        FINALLY_(2)
            STEPS(2, 3, 17)
            Y_FROM(2, 3, 17)
            END_STEPS
        END_TRY_(2)
        END_STEPS
    ELSE_(1)
        STEPS(1, 2, 4)
        Y_FROM(1, 2, 4)
        TRY_(2, 2)
            STEPS(2, 0, 18)
            Y_FROM(2, 0, 18)
            END_STEPS
        EXCEPT_(2)
            STEPS(2, 1, 19)
            Y_FROM(2, 1, 19)
            END_STEPS
        ELSE_(2)
            STEPS(2, 2, 20)
            Y_FROM(2, 2, 20)
            END_STEPS
        FINALLY_(2)
            STEPS(2, 3, 21)
            Y_FROM(2, 3, 21)
            END_STEPS
        END_TRY_(2)
        END_STEPS
    FINALLY_(1)
        STEPS(1, 3, 5)
        Y_FROM(1, 3, 5)
        TRY_(2, 3)
            STEPS(2, 0, 22)
            Y_FROM(2, 0, 22)
            END_STEPS
        EXCEPT_(2)
            STEPS(2, 1, 23)
            Y_FROM(2, 1, 23)
            END_STEPS
        ELSE_(2)
            STEPS(2, 2, 24)
            Y_FROM(2, 2, 24)
            END_STEPS
        FINALLY_(2)
            STEPS(2, 3, 25)
            Y_FROM(2, 3, 25)
            END_STEPS
        END_TRY_(2)
        END_STEPS
    END_TRY_(1)
    HANDLER(0, 0, 0)
    END_STEPS
    } CORO_FINALLY(co, &f->t[0]) {
    STEPS(0, 3, 1)
    Y_CATCH(0, 3, 1)
    Y_FROM(0, 3, 1)
    Y_FROM_CATCH(0, 3, 1)
    TRY_(1, 3)
        STEPS(1, 0, 6)
        Y_FROM(1, 0, 6)
        TRY_(2, 0)
            STEPS(2, 0, 26)
            Y_FROM(2, 0, 26)
            END_STEPS
        EXCEPT_(2)
            STEPS(2, 1, 27)
            Y_FROM(2, 1, 27)
            END_STEPS
        ELSE_(2)
            STEPS(2, 2, 28)
            Y_FROM(2, 2, 28)
            END_STEPS
        FINALLY_(2)
            STEPS(2, 3, 29)
            Y_FROM(2, 3, 29)
            END_STEPS
        END_TRY_(2)
        END_STEPS
    EXCEPT_(1)
        STEPS(1, 1, 7)
        Y_FROM(1, 1, 7)
        TRY_(2, 1)
            STEPS(2, 0, 30)
            Y_FROM(2, 0, 30)
            END_STEPS
        EXCEPT_(2)
            STEPS(2, 1, 31)
            Y_FROM(2, 1, 31)
            END_STEPS
        ELSE_(2)
            STEPS(2, 2, 32)
            Y_FROM(2, 2, 32)
            END_STEPS
        FINALLY_(2)
            STEPS(2, 3, 33)
            Y_FROM(2, 3, 33)
            END_STEPS
        END_TRY_(2)
        END_STEPS
    ELSE_(1)
        STEPS(1, 2, 8)
        Y_FROM(1, 2, 8)
        TRY_(2, 2)
            STEPS(2, 0, 34)
            Y_FROM(2, 0, 34)
            END_STEPS
        EXCEPT_(2)
            STEPS(2, 1, 35)
            Y_FROM(2, 1, 35)
            END_STEPS
        ELSE_(2)
            STEPS(2, 2, 36)
            Y_FROM(2, 2, 36)
            END_STEPS
        FINALLY_(2)
            STEPS(2, 3, 37)
            Y_FROM(2, 3, 37)
            END_STEPS
        END_TRY_(2)
        END_STEPS
    FINALLY_(1)
        STEPS(1, 3, 9)
        Y_FROM(1, 3, 9)
        TRY_(2, 3)
            STEPS(2, 0, 38)
            Y_FROM(2, 0, 38)
            END_STEPS
        EXCEPT_(2)
            STEPS(2, 1, 39)
            Y_FROM(2, 1, 39)
            END_STEPS
        ELSE_(2)
            STEPS(2, 2, 40)
            Y_FROM(2, 2, 40)
            END_STEPS
        FINALLY_(2)
            STEPS(2, 3, 41)
            Y_FROM(2, 3, 41)
            END_STEPS
        END_TRY_(2)
        END_STEPS
    END_TRY_(1)
    HANDLER(0, 3, 1)
    END_STEPS
    } CORO_END_TRY(co, &f->t[0]);
    CORO_END(co);
}

static void lib_init(int slot)
{
    struct frame *f = &frames[slot];
    memset(f, 0, sizeof *f);
    coro_init(&f->co, gen_body);
    f->slot = slot;
    f->blk[0] = script_of(slot);
}

static int lib_op(const struct op *op, coro_value *out)
{
    struct coro *g = &frames[op->target].co;
    switch (op->kind) {
    case OP_NEXT:  return coro_next(g, out);
    case OP_SEND:  return coro_send(g, send_value(op->param), out);
    case OP_THROW: return coro_throw(g, errors[op->param % 10], out);
    default:       return coro_close(g, out);
    }
}

/* ---- The model: CPython's genobject.c over the same scripts ------------ */

/* One level of the try blocks a generator object is in: block blk, in part
 * `part` at step pc; err: the error its except clause caught or its finally
 * part has pending (coro_error()), returning: a return pending, with ret. */
struct mlev {
    int blk, part, pc, err, returning;
    coro_value ret;
};

/* A generator object. Suspended at site `site` of the step lv[depth] is at;
 * yf: the object its yield from delegates to (gi_yieldfrom), -1 if none. */
struct mobj {
    int slot, state, running;
    int depth, site, yf;
    struct mlev lv[MAX_DEPTH];
};

static struct mobj objs[MAX_OBJS];
static int nobjs, slot_obj[MAX_FRAMES];

/* The place (see site_line) of the part a generator object is in. */
static int model_place(const struct mobj *g)
{
    int sec = g->lv[0].part == P_FINALLY;
    if (g->depth == 0)
        return sec;
    if (g->depth == 1)
        return 2 + 4 * sec + g->lv[1].part;
    return 10 + 4 * (4 * sec + g->lv[1].part) + g->lv[2].part;
}

enum mode { M_RUN, M_SEND, M_THROW, M_DONE };
enum rkind { R_YIELD, R_RETURN, R_ERROR };

struct mres { int kind; coro_value v; int err; };

static struct mres res(int kind, coro_value v, int err)
{
    struct mres r;
    r.kind = kind;
    r.v = v;
    r.err = err;
    return r;
}

static int model_new(int slot)
{
    struct mobj *g = &objs[nobjs];
    memset(g, 0, sizeof *g);
    g->slot = slot;
    g->state = CORO_CREATED;
    g->yf = -1;
    g->lv[0].blk = script_of(slot);
    slot_obj[slot] = nobjs;
    return nobjs++;
}

static int model_state(int slot)
{
    const struct mobj *g = &objs[slot_obj[slot]];
    return g->running ? CORO_RUNNING : g->state;
}

static void model_states(void)
{
    int s;
    for (s = 0; s < prog.nframes; s++)
        log_add(&model_log, s, EV_STATE, 0, model_state(s));
}

/* The library's rule (README): one delegator per generator. */
static int has_delegator(int c)
{
    int d;
    for (d = 0; d < nobjs; d++)
        if (objs[d].yf == c)
            return 1;
    return 0;
}

static struct mres m_send_ex(int o, int mode, coro_value v, int err);
static struct mres m_close(int o);
static struct mres m_throw(int o, int err);

static int status_of(struct mres r)
{
    return r.kind == R_YIELD ? CORO_YIELDED : r.kind == R_RETURN ? CORO_RETURNED : r.err;
}

/* A body's operation (OP step) on another generator, or its own. */
static void m_nested_op(int slot, const struct step *st)
{
    int o = slot_obj[target_of(slot, st)];
    struct mres r;
    if (st->h % 4 == N_NEXT)
        r = m_send_ex(o, M_SEND, coro_none(), 0);
    else if (st->h % 4 == N_SEND)
        r = m_send_ex(o, M_SEND, make_value(slot, st->h, B_SEND), 0);
    else if (st->h % 4 == N_THROW)
        r = m_throw(o, errors[st->h / 4 % 8]);
    else
        r = m_close(o);
    log_op(&model_log, slot, status_of(r), r.v);
}

/* Enters part `part` of the innermost try block of g, with err pending
 * (or caught) and, if returning, the return value v. */
static void m_enter(struct mobj *g, int part, int err, int returning, coro_value v)
{
    struct mlev *l = &g->lv[g->depth];
    l->part = part;
    l->pc = 0;
    l->err = err;
    l->returning = returning;
    l->ret = v;
}

/* The body of object o from where it is: M_RUN starts it, M_SEND resumes it
 * with v, M_THROW raises err where it is suspended, M_DONE ends its yield
 * from with v (the child returned v). Runs to the next yield, the return or
 * the error that leaves it. Errors and returns travel as in CPython's
 * try/except/else/finally: the innermost try block first, its except
 * clause if the error left its try part and matches, else its finally part
 * with the error (or return) pending, then the block around it. */
static struct mres m_body(int o, int mode, coro_value v, int err)
{
    struct mobj *g = &objs[o];
    const struct step *st = NULL;
    struct mlev *l;
    int c;

    if (mode == M_RUN) {
        g->depth = 0;
        m_enter(g, P_TRY, 0, 0, coro_none());
    } else if (g->yf >= 0) {
        /* at a yield from: a send goes on to the child (PEP 380); a throw is
         * raised here (_gen_throw has dealt with the child) */
        if (mode == M_SEND) {
            struct mres r = m_send_ex(g->yf, M_SEND, v, 0);
            if (r.kind == R_YIELD)
                return r;
            mode = r.kind == R_RETURN ? M_DONE : M_THROW;
            v = r.v;
            err = r.err;
        }
        g->yf = -1;
    }
    for (;;) {
        const struct block *b;
        l = &g->lv[g->depth];
        b = &prog.blocks[l->blk];
        if (mode != M_RUN) {
            /* the suspension at (lv, site) ended */
            st = &b->steps[l->part][l->pc];
            if (mode == M_THROW) {
                mode = M_RUN;
                if ((g->site == S_YC || g->site == S_YFC) && catches(st, err))
                    goto caught;
                goto raise;
            }
            log_value(&model_log, g->slot,
                      g->site == S_YF || g->site == S_YFC ? EV_R : EV_SENT, v);
            mode = M_RUN;
            l->pc++;
        }
        if (l->pc >= b->n[l->part]) {   /* off the end of a part */
            if (l->part == P_TRY) {
                m_enter(g, P_ELSE, 0, 0, coro_none());
                continue;
            }
            if (l->part != P_FINALLY) {
                m_enter(g, P_FINALLY, 0, 0, coro_none());
                continue;
            }
            if (l->err) {
                err = l->err;
                goto leave_raise;
            }
            if (l->returning || !g->depth) {
                v = l->ret;
                goto leave_return;
            }
            g->depth--;
            g->lv[g->depth].pc++;
            continue;
        }
        st = &b->steps[l->part][l->pc];
        switch (kind_of(g->slot, st)) {
        case K_Y:
        case K_YC:
            g->site = kind_of(g->slot, st) == K_Y ? S_Y : S_YC;
            return res(R_YIELD, yield_value(g->slot, st), 0);
        case K_YF:
        case K_YFC:
            g->site = kind_of(g->slot, st) == K_YF ? S_YF : S_YFC;
            c = slot_obj[target_of(g->slot, st)];
            if (objs[c].state == CORO_CLOSED) {
                mode = M_DONE;          /* next() raises StopIteration() */
                v = coro_none();
            } else if (objs[c].running || has_delegator(c)) {
                mode = M_THROW;
                err = CORO_EBUSY;
            } else {
                struct mres r;
                g->yf = c;              /* _y = next(_i) */
                r = m_send_ex(c, M_SEND, coro_none(), 0);
                if (r.kind == R_YIELD)
                    return r;
                g->yf = -1;
                mode = r.kind == R_RETURN ? M_DONE : M_THROW;
                v = r.v;
                err = r.err;
            }
            continue;
        case K_RET:
            v = make_value(g->slot, st->a, B_RETURN);
            goto do_return;
        case K_RAISE:
            err = errors[st->a % 8];
            goto raise;
        case K_RERAISE:
            err = l->err;
            goto raise;
        case K_PEND:
            log_add(&model_log, g->slot, EV_PEND, 0, l->returning ? 0 : l->err);
            l->pc++;
            continue;
        case K_STATE:
            model_states();
            l->pc++;
            continue;
        case K_TRY:
            g->lv[++g->depth].blk = st->blk;
            m_enter(g, P_TRY, 0, 0, coro_none());
            continue;
        default:
            m_nested_op(g->slot, st);
            l->pc++;
            continue;
        }
    caught:
        log_add(&model_log, g->slot, EV_CAUGHT, 0, err);
        switch (st->then) {
        case T_PASS:
            l->pc++;
            continue;
        case T_RETURN:
            v = make_value(g->slot, st->h, B_RETURN);
            goto do_return;
        case T_RAISE:
            err = errors[st->h % 8];
            goto raise;
        case T_RERAISE:
            goto raise;
        default:
            g->site = S_H;
            return res(R_YIELD, make_value(g->slot, st->h, B_HANDLER), 0);
        }
    leave_raise:
        /* err leaves the innermost block: raised where its TRY step is */
        if (!g->depth)
            return res(R_ERROR, coro_none(), err);
        g->depth--;
    raise:
        l = &g->lv[g->depth];
        if (l->part == P_TRY && block_catches(&prog.blocks[l->blk], err)) {
            m_enter(g, P_EXCEPT, err, 0, coro_none());
            log_add(&model_log, g->slot, EV_CAUGHT, 0, err);
            continue;
        }
        if (l->part != P_FINALLY) {
            m_enter(g, P_FINALLY, err, 0, coro_none());
            continue;
        }
        goto leave_raise;
    leave_return:
        if (!g->depth)
            return res(R_RETURN, v, 0);
        g->depth--;
    do_return:
        l = &g->lv[g->depth];
        if (l->part != P_FINALLY) {
            m_enter(g, P_FINALLY, 0, 1, v);
            continue;
        }
        goto leave_return;
    }
}

/* gen_send_ex(): the checks, then the body with the object running. */
static struct mres m_send_ex(int o, int mode, coro_value v, int err)
{
    struct mobj *g = &objs[o];
    struct mres r;
    if (g->running)
        return res(R_ERROR, coro_none(), CORO_EBUSY);     /* ValueError */
    if (g->state == CORO_CLOSED)
        return mode == M_THROW ? res(R_ERROR, coro_none(), err) : res(R_RETURN, coro_none(), 0);
    if (g->state == CORO_CREATED) {
        if (mode == M_THROW) {      /* raised before the first line: no cleanup */
            g->state = CORO_CLOSED;
            return res(R_ERROR, coro_none(), err);
        }
        if (v.type != CORO_NONE)    /* TypeError: the generator stays created */
            return res(R_ERROR, coro_none(), CORO_EINVAL);
    }
    if (g->state == CORO_CREATED)
        mode = M_RUN;
    g->state = CORO_SUSPENDED;      /* started (and running) */
    g->running = 1;
    r = m_body(o, mode, v, err);
    g->running = 0;
    g->state = r.kind == R_YIELD ? CORO_SUSPENDED : CORO_CLOSED;
    return r;
}

/* _gen_throw(): into a yield from, GeneratorExit closes the child and other
 * errors are thrown into it; what comes out of the child resumes us. */
static struct mres m_throw(int o, int err)
{
    struct mobj *g = &objs[o];
    if (g->state == CORO_SUSPENDED && !g->running && g->yf >= 0) {
        int c = g->yf;
        struct mres r;
        g->running = 1;
        if (err == CORO_EXIT) {
            r = m_close(c);
            g->running = 0;
            return m_send_ex(o, M_THROW, coro_none(), r.kind == R_ERROR ? r.err : CORO_EXIT);
        }
        r = m_throw(c, err);
        g->running = 0;
        if (r.kind == R_YIELD)
            return r;
        g->yf = -1;
        if (r.kind == R_RETURN)
            return m_send_ex(o, M_DONE, r.v, 0);
        return m_send_ex(o, M_THROW, coro_none(), r.err);
    }
    return m_send_ex(o, M_THROW, coro_none(), err);
}

/* gen_close() (3.13: a value returned while closing is close()'s result);
 * gen_close_iter() is the same for a child, its error raised in us. */
static struct mres m_close(int o)
{
    struct mobj *g = &objs[o];
    struct mres r;
    int err = CORO_EXIT;
    if (g->state == CORO_CREATED) {
        g->state = CORO_CLOSED;
        return res(R_RETURN, coro_none(), 0);
    }
    if (g->state == CORO_CLOSED)
        return res(R_RETURN, coro_none(), 0);
    if (g->running)
        return res(R_ERROR, coro_none(), CORO_EBUSY);
    if (g->yf >= 0) {
        g->running = 1;
        r = m_close(g->yf);
        g->running = 0;
        if (r.kind == R_ERROR)
            err = r.err;
    }
    r = m_send_ex(o, M_THROW, coro_none(), err);
    if (r.kind == R_YIELD)
        return res(R_ERROR, coro_none(), CORO_EIGNORED);  /* RuntimeError */
    if (r.kind == R_ERROR && r.err == CORO_EXIT)
        return res(R_RETURN, coro_none(), 0);
    return r;
}

static struct mres model_op(const struct op *op)
{
    int o = slot_obj[op->target], err;
    switch (op->kind) {
    case OP_NEXT:
        return m_send_ex(o, M_SEND, coro_none(), 0);
    case OP_SEND:
        return m_send_ex(o, M_SEND, send_value(op->param), 0);
    case OP_THROW:
        err = errors[op->param % 10];
        if (err == 0 || err == CORO_YIELDED)
            return res(R_ERROR, coro_none(), CORO_EINVAL);  /* nothing runs */
        return m_throw(o, err);
    default:
        return m_close(o);
    }
}

/* ---- Running and comparing --------------------------------------------- */

static const char *err_name(int err, char *buf)
{
    switch (err) {
    case 0:             return "0";
    case CORO_EXIT:     return "exit";
    case CORO_EIGNORED: return "ignored";
    case CORO_EBUSY:    return "busy";
    case CORO_EINVAL:   return "inval";
    case CORO_YIELDED:  return "yielded";
    default:
        sprintf(buf, err > 0 ? "E%d" : "code%d", err);
        return buf;
    }
}

static const char *value_str(coro_value v, char *buf)
{
    if (v.type == CORO_NONE)
        return "none";
    if (v.type != CORO_INT)
        return "?";
    sprintf(buf, "%ld", (long)v.v.i);
    return buf;
}

static char state_char(int s)
{
    return "CSXR"[s & 3];
}

/* "y:V", "ret:V" or "err:NAME" */
static void result_str(int rc, coro_value v, char *buf)
{
    char b[32];
    if (rc == CORO_YIELDED)
        sprintf(buf, "y:%s", value_str(v, b));
    else if (rc == CORO_RETURNED)
        sprintf(buf, "ret:%s", value_str(v, b));
    else
        sprintf(buf, "err:%s", err_name(rc, b));
}

static void print_event(FILE *out, const struct event *e)
{
    char b[64];
    coro_value v;
    v.type = (unsigned char)e->type;
    v.v.i = e->x;
    switch (e->kind) {
    case EV_SENT:   fprintf(out, " s%d:sent:%s", e->slot, value_str(v, b)); break;
    case EV_R:      fprintf(out, " s%d:r:%s", e->slot, value_str(v, b)); break;
    case EV_CAUGHT: fprintf(out, " s%d:caught:%s", e->slot, err_name((int)e->x, b)); break;
    case EV_PEND:   fprintf(out, " s%d:pend:%s", e->slot, err_name((int)e->x, b)); break;
    case EV_OP:
        v.v.i = e->y;
        result_str((int)e->x, v, b);
        fprintf(out, " s%d:op:%s", e->slot, b);
        break;
    default:        fprintf(out, e->slot ? "%c" : " st:%c", state_char((int)e->x)); break;
    }
}

static void op_name(const struct op *op, char *buf)
{
    char b[32];
    switch (op->kind) {
    case OP_NEXT:  strcpy(buf, "next"); break;
    case OP_SEND:  sprintf(buf, "send:%s", value_str(send_value(op->param), b)); break;
    case OP_THROW: sprintf(buf, "throw:%s", err_name(errors[op->param % 10], b)); break;
    case OP_CLOSE: strcpy(buf, "close"); break;
    default:       strcpy(buf, "reinit"); break;
    }
}

/* One trace line: "K OP TARGET: EVENTS => RESULT [STATES]". */
static void print_line(FILE *out, int k, const struct op *op, const struct log *l,
                       const char *result, const int *states)
{
    char b[64];
    int i;
    op_name(op, b);
    fprintf(out, "%d %s %d:", k, b, op->target);
    for (i = 0; i < l->n; i++)
        print_event(out, &l->ev[i]);
    if (l->total > l->n)
        fprintf(out, " ...%ld more", l->total - l->n);
    fprintf(out, " => %s [", result);
    for (i = 0; i < prog.nframes; i++)
        fputc(state_char(states[i]), out);
    fprintf(out, "]\n");
}


static int same_value(coro_value a, coro_value b)
{
    return a.type == b.type && (a.type != CORO_INT || a.v.i == b.v.i);
}

static int same_logs(void)
{
    int i;
    if (lib_log.total != model_log.total || lib_log.n != model_log.n)
        return 0;
    for (i = 0; i < lib_log.n; i++) {
        const struct event *a = &lib_log.ev[i], *b = &model_log.ev[i];
        if (a->slot != b->slot || a->kind != b->kind || a->type != b->type || a->x != b->x ||
            a->y != b->y)
            return 0;
    }
    return 1;
}

static FILE *trace_model, *trace_lib;   /* -DFUZZ_CORO_DUMP: where to print */
static int model_only;                  /* -DFUZZ_CORO_DUMP -m: no library */

/* Runs the decoded program on both sides. Returns 0, or 1 after printing
 * the first disagreement to stderr. */
static int run_program(void)
{
    int s, k;
    char lr[64], mr[64];
    int lstates[MAX_FRAMES], mstates[MAX_FRAMES];

    nobjs = 0;
    for (s = 0; s < prog.nframes; s++) {
        lib_init(s);
        model_new(s);
    }
    for (k = 0; k < prog.nops; k++) {
        const struct op *op = &prog.ops[k];
        coro_value lout = coro_int(-999);
        struct mres m;
        int lrc, mrc, bad = 0;
        const char *why = "";

        lib_log.n = model_log.n = 0;
        lib_log.total = model_log.total = 0;
        if (op->kind == OP_REINIT) {
            /* coro_init again on a closed frame: a new generator */
            if (objs[slot_obj[op->target]].state == CORO_CLOSED) {
                lib_init(op->target);
                model_new(op->target);
            }
            strcpy(lr, "-");
            strcpy(mr, "-");
        } else {
            m = model_op(op);
            lrc = model_only ? CORO_RETURNED : lib_op(op, op->no_out ? NULL : &lout);
            if (op->no_out)
                lout = m.v;     /* nothing to compare */
            mrc = status_of(m);
            result_str(lrc, lout, lr);
            result_str(mrc, m.v, mr);
            if (lrc != mrc ||
                ((lrc == CORO_YIELDED || lrc == CORO_RETURNED) && !same_value(lout, m.v))) {
                bad = 1;
                why = "result";
            }
        }
        for (s = 0; s < prog.nframes; s++) {
            const char *file = NULL;
            unsigned line;
            lstates[s] = coro_state(&frames[s].co);
            mstates[s] = model_state(s);
            line = coro_where(&frames[s].co, &file);
            if (!bad && lstates[s] != mstates[s]) {
                bad = 1;
                why = "states";
            }
            if (!bad && strcmp(file, __FILE__) != 0) {
                bad = 1;
                why = "coro_where file";
            }
            if (!bad && line != (mstates[s] == CORO_SUSPENDED ?
                        site_line[model_place(&objs[slot_obj[s]])][objs[slot_obj[s]].site] : 0)) {
                bad = 1;
                why = "coro_where line";
            }
        }
        if (model_only)
            bad = 0;
        if (!bad && !same_logs() && !model_only) {
            bad = 1;
            why = "events";
        }
        if (trace_model)
            print_line(trace_model, k, op, &model_log, mr, mstates);
        if (trace_lib)
            print_line(trace_lib, k, op, &lib_log, lr, lstates);
        if (bad) {
            fprintf(stderr, "fuzz_coro: operation %d: library and model differ (%s)\n", k, why);
            print_line(stderr, k, op, &lib_log, lr, lstates);
            fprintf(stderr, "model:\n");
            print_line(stderr, k, op, &model_log, mr, mstates);
            return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode(data, size);
    if (run_program())
        abort();
    return 0;
}

#ifdef FUZZ_CORO_DUMP
/* ---- The dump program: traces, and the input as a Python program ------- */

static const char *py_err(int err, char *buf)
{
    switch (err) {
    case CORO_EXIT:     return "GeneratorExit()";
    case CORO_EIGNORED: return "RuntimeError()";
    case CORO_EBUSY:    return "ValueError()";
    case CORO_EINVAL:   return "TypeError()";
    default:            sprintf(buf, "E(%d)", err); return buf;
    }
}

static const char *py_value(coro_value v, char *buf)
{
    return v.type == CORO_NONE ? "None" : value_str(v, buf);
}

static void py_line(FILE *out, int ind, const char *fmt, const char *a, const char *b)
{
    fprintf(out, "%*s", 4 * ind, "");
    fprintf(out, fmt, a, b);
    fputc('\n', out);
}

static void py_part(FILE *out, int slot, int sec, int level, int b, int part, int ind);

/* The try block of a TRY step at nesting level `level` - 1: the error
 * pending in its finally part is kept in _pL, the one its except clause
 * caught is _kL. */
static void py_try(FILE *out, int slot, int sec, int level, int b, int ind)
{
    char b1[32];
    sprintf(b1, "%d", level);
    py_line(out, ind, "_p%s = None", b1, "");
    py_line(out, ind, "try:", "", "");
    py_line(out, ind + 1, "try:", "", "");
    py_part(out, slot, sec, level, b, P_TRY, ind + 2);
    if (prog.blocks[b].any) {
        py_line(out, ind + 1, "except Exception as _k%s:", b1, "");
    } else {
        char b2[32];
        sprintf(b2, "%d", prog.blocks[b].mask);
        py_line(out, ind + 1, "except BaseException as _k%s:", b1, "");
        py_line(out, ind + 2, "if not match(_k%s, %s): raise", b1, b2);
    }
    fprintf(out, "%*sL.append('s%d:caught:' + ename(_k%d))\n", 4 * (ind + 2), "", slot, level);
    py_part(out, slot, sec, level, b, P_EXCEPT, ind + 2);
    py_line(out, ind + 1, "else:", "", "");
    py_part(out, slot, sec, level, b, P_ELSE, ind + 2);
    py_line(out, ind, "except BaseException as _x%s:", b1, "");
    py_line(out, ind + 1, "_p%s = _x%s; raise", b1, b1);
    py_line(out, ind, "finally:", "", "");
    py_part(out, slot, sec, level, b, P_FINALLY, ind + 1);
}

/* One step of part `part` of a block at nesting level `level` in section
 * sec (0: the script's main part, 1: its cleanup) */
static void py_step(FILE *out, int slot, int sec, int level, int part, const struct step *st,
                    int ind)
{
    char b1[32], b2[80], tag[16];
    int k = kind_of(slot, st), t;
    sprintf(tag, "s%d", slot);
    switch (k) {
    case K_TRY:
        py_try(out, slot, sec, level + 1, st->blk, ind);
        return;
    case K_RERAISE:
        py_line(out, ind, "raise", "", "");
        return;
    case K_Y:
        py_line(out, ind, "_x = yield %s", py_value(yield_value(slot, st), b1), "");
        py_line(out, ind, "L.append('%s:sent:' + show(_x))", tag, "");
        return;
    case K_RET:
        if (sec)
            py_line(out, ind, "return %s", py_value(make_value(slot, st->a, B_RETURN), b1), "");
        else
            py_line(out, ind, "_r = %s; break",
                    py_value(make_value(slot, st->a, B_RETURN), b1), "");
        return;
    case K_RAISE:
        py_line(out, ind, "raise %s", py_err(errors[st->a % 8], b1), "");
        return;
    case K_PEND:
        sprintf(b1, "%d", level);
        if (!level)
            py_line(out, ind, sec ? "L.append('%s:pend:' + ename(_e))"
                                  : "L.append('%s:pend:0')", tag, "");
        else if (part == P_EXCEPT || part == P_FINALLY)
            py_line(out, ind, part == P_EXCEPT ? "L.append('%s:pend:' + ename(_k%s))"
                                               : "L.append('%s:pend:' + ename(_p%s))", tag, b1);
        else
            py_line(out, ind, "L.append('%s:pend:0')", tag, "");
        return;
    case K_STATE:
        py_line(out, ind, "L.append('st:' + sts())", "", "");
        return;
    case K_OP:
        t = target_of(slot, st);
        if (st->h % 4 == N_NEXT)
            sprintf(b2, "next(G[%d])", t);
        else if (st->h % 4 == N_SEND)
            sprintf(b2, "G[%d].send(%s)", t, py_value(make_value(slot, st->h, B_SEND), b1));
        else if (st->h % 4 == N_THROW)
            sprintf(b2, "throw_in_body(G[%d], %s)", t, py_err(errors[st->h / 4 % 8], b1));
        else
            sprintf(b2, "close313(G[%d])", t);
        py_line(out, ind, "try: _v = %s", b2, "");
        py_line(out, ind, "except StopIteration as _s: L.append('%s:op:ret:' + show(_s.value))",
                tag, "");
        py_line(out, ind, "except BaseException as _k: L.append('%s:op:err:' + ename(_k))",
                tag, "");
        py_line(out, ind, st->h % 4 == N_CLOSE ? "else: L.append('%s:op:ret:' + show(_v))"
                                               : "else: L.append('%s:op:y:' + show(_v))", tag, "");
        return;
    case K_YF:
    case K_YFC:
        t = target_of(slot, st);
        sprintf(b2, "%d", t);
        if (k == K_YFC)
            py_line(out, ind++, "try:", "", "");
        py_line(out, ind, "_c = G[%s]", b2, "");
        py_line(out, ind, "if busy(_c): raise ValueError()", "", "");
        py_line(out, ind, "DELEG[_c] = 1", "", "");
        py_line(out, ind, "try:", "", "");
        py_line(out, ind + 1, "_x = yield from _c", "", "");
        py_line(out, ind, "finally:", "", "");
        py_line(out, ind + 1, "DELEG[_c] = 0", "", "");
        if (k == K_YF) {
            py_line(out, ind, "L.append('%s:r:' + show(_x))", tag, "");
            return;
        }
        ind--;
        break;
    default: /* K_YC */
        py_line(out, ind, "try:", "", "");
        py_line(out, ind + 1, "_x = yield %s", py_value(yield_value(slot, st), b1), "");
        break;
    }
    /* the except and else clauses of YC and YFC */
    sprintf(b1, "%d", st->mask);
    py_line(out, ind, "except BaseException as _k:", "", "");
    py_line(out, ind + 1, "if not match(_k, %s): raise", b1, "");
    py_line(out, ind + 1, "L.append('%s:caught:' + ename(_k))", tag, "");
    switch (st->then) {
    case T_PASS:
        break;
    case T_RETURN:
        py_line(out, ind + 1, sec ? "return %s" : "_r = %s; break",
                py_value(make_value(slot, st->h, B_RETURN), b1), "");
        break;
    case T_RAISE:
        py_line(out, ind + 1, "raise %s", py_err(errors[st->h % 8], b1), "");
        break;
    case T_RERAISE:
        py_line(out, ind + 1, "raise _k", "", "");
        break;
    default:
        py_line(out, ind + 1, "_x = yield %s",
                py_value(make_value(slot, st->h, B_HANDLER), b1), "");
        py_line(out, ind + 1, "L.append('%s:sent:' + show(_x))", tag, "");
        break;
    }
    py_line(out, ind, "else:", "", "");
    py_line(out, ind + 1, k == K_YC ? "L.append('%s:sent:' + show(_x))"
                                    : "L.append('%s:r:' + show(_x))", tag, "");
}

static const char py_prelude[] =
    "import inspect, os, sys\n"
    "sys.setrecursionlimit(100000)\n"
    "L = []\n"
    "class E(Exception):\n"
    "    def __init__(self, n): super().__init__(n); self.n = n\n"
    "def ename(e):\n"
    "    if e is None: return '0'\n"
    "    if isinstance(e, E): return 'E%d' % e.n\n"
    "    if isinstance(e, GeneratorExit): return 'exit'\n"
    "    if isinstance(e, RuntimeError): return 'ignored'\n"
    "    if isinstance(e, ValueError): return 'busy'\n"
    "    if isinstance(e, TypeError): return 'inval'\n"
    "    raise e\n"
    "def match(e, mask):\n"
    "    c = {'E1': 0, 'E2': 1, 'E3': 2, 'E7': 3, 'exit': 4, 'ignored': 5, 'busy': 6,\n"
    "         'inval': 7}[ename(e)]\n"
    "    return mask >> c & 1\n"
    "def show(v): return 'none' if v is None else str(v)\n"
    "def st1(g): return {'GEN_CREATED': 'C', 'GEN_SUSPENDED': 'S', 'GEN_CLOSED': 'X',\n"
    "                     'GEN_RUNNING': 'R'}[inspect.getgeneratorstate(g)]\n"
    "def sts(): return ''.join(st1(g) for g in G)\n"
    "DELEG = {}\n"
    "def busy(c):  # README: one delegator per generator\n"
    "    return inspect.getgeneratorstate(c) != 'GEN_CLOSED' and DELEG.get(c, 0)\n"
    "def close313(g):  # close() as Python 3.13: a value returned is its result\n"
    "    if inspect.getgeneratorstate(g) in ('GEN_CREATED', 'GEN_CLOSED'):\n"
    "        return g.close()\n"
    "    if inspect.getgeneratorstate(g) == 'GEN_RUNNING':\n"
    "        raise ValueError('generator already executing')\n"
    "    try: g.throw(GeneratorExit)\n"
    "    except GeneratorExit: return None\n"
    "    except StopIteration as s: return s.value\n"
    "    raise RuntimeError('generator ignored GeneratorExit')\n"
    "def inval(): raise TypeError()\n"
    "def throw_in_body(g, e):\n"
    "    # CPython 3.11's _gen_throw, reaching a generator that runs inside a\n"
    "    # close() or throw() of its own (gi_yieldfrom set), pops that frame's\n"
    "    # stack and may crash: no oracle for those inputs\n"
    "    t = g\n"
    "    while t is not None and not isinstance(e, GeneratorExit):\n"
    "        if inspect.getgeneratorstate(t) == 'GEN_RUNNING':\n"
    "            if t.gi_yieldfrom is not None:\n"
    "                print('UNSUPPORTED'); sys.stdout.flush(); os._exit(3)\n"
    "            break\n"
    "        t = t.gi_yieldfrom\n"
    "    return g.throw(e)\n"
    "def out(k, name, t, r):\n"
    "    print('%d %s %d:%s => %s [%s]' % (k, name, t, ''.join(' ' + x for x in L), r, sts()))\n"
    "    del L[:]\n"
    "def run(k, name, t, f):\n"
    "    try: v = f()\n"
    "    except StopIteration as s: r = 'ret:' + show(s.value)\n"
    "    except BaseException as e: r = 'err:' + ename(e)\n"
    "    else: r = ('ret:' if name == 'close' else 'y:') + show(v)\n"
    "    out(k, name, t, r)\n"
    "def reinit(k, s):\n"
    "    if inspect.getgeneratorstate(G[s]) == 'GEN_CLOSED': G[s] = MK[s]()\n"
    "    out(k, 'reinit', s, '-')\n";

/* The steps of a part, `pass` if none. */
static void py_part(FILE *out, int slot, int sec, int level, int b, int part, int ind)
{
    int j;
    for (j = 0; j < prog.blocks[b].n[part]; j++)
        py_step(out, slot, sec, level, part, &prog.blocks[b].steps[part][j], ind);
    if (!prog.blocks[b].n[part])
        py_line(out, ind, "pass", "", "");
}

static void py_program(FILE *out)
{
    int s, k;
    char b1[32], b2[80];
    fputs(py_prelude, out);
    for (s = 0; s < prog.nframes; s++) {
        fprintf(out, "def g%d():\n    if False: yield\n    _e = None; _r = None\n"
                "    try:\n        while True:\n", s);
        py_part(out, s, 0, 0, script_of(s), P_TRY, 3);
        fprintf(out, "            _r = None; break\n    except BaseException as _k:\n"
                "        _e = _k\n");
        py_part(out, s, 1, 0, script_of(s), P_FINALLY, 1);
        fprintf(out, "    if _e is not None: raise _e\n    return _r\n");
    }
    fprintf(out, "MK = [");
    for (s = 0; s < prog.nframes; s++)
        fprintf(out, "g%d, ", s);
    fprintf(out, "]\nG = [f() for f in MK]\n");
    for (k = 0; k < prog.nops; k++) {
        const struct op *op = &prog.ops[k];
        int err = errors[op->param % 10];
        char name[64];
        op_name(op, name);
        switch (op->kind) {
        case OP_NEXT:
            fprintf(out, "run(%d, '%s', %d, lambda: next(G[%d]))\n", k, name, op->target,
                    op->target);
            break;
        case OP_SEND:
            fprintf(out, "run(%d, '%s', %d, lambda: G[%d].send(%s))\n", k, name, op->target,
                    op->target, py_value(send_value(op->param), b1));
            break;
        case OP_THROW:
            if (err == 0 || err == CORO_YIELDED)
                strcpy(b2, "inval()");
            else
                sprintf(b2, "G[%d].throw(%s)", op->target, py_err(err, b1));
            fprintf(out, "run(%d, '%s', %d, lambda: %s)\n", k, name, op->target, b2);
            break;
        case OP_CLOSE:
            fprintf(out, "run(%d, 'close', %d, lambda: close313(G[%d]))\n", k, op->target,
                    op->target);
            break;
        default:
            fprintf(out, "reinit(%d, %d)\n", k, op->target);
            break;
        }
    }
    fprintf(out, "sys.stdout.flush()\nos._exit(0)\n");
}

/* dump -m|-l|-p FILE: the model's trace, the library's, or the Python program. */
int main(int argc, char **argv)
{
    static uint8_t buf[1 << 16];
    size_t len;
    FILE *f;
    if (argc != 3 || argv[1][0] != '-' || !strchr("mlp", argv[1][1])) {
        fprintf(stderr, "usage: %s -m|-l|-p FILE\n", argv[0]);
        return 2;
    }
    f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    decode(buf, len);
    if (argv[1][1] == 'p') {
        py_program(stdout);
        return 0;
    }
    if (argv[1][1] == 'm') {
        trace_model = stdout;
        model_only = 1;
    }
    else
        trace_lib = stdout;
    return run_program();
}
#endif
