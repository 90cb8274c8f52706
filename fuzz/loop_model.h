/* SPDX-License-Identifier: MIT */
/*
 * loop_model.h -- fuzz_loop.c's model: asyncio 3.11 in miniature (a small
 * discrete-event simulation after base_events._run_once, futures.Future,
 * tasks.Task.__step / __wakeup / cancel, sleep, gather, wait, wait_for as
 * loop.h has it (3.11's decisions), shield, locks and queues), plus the
 * library's documented choices. It runs the decoded program and writes the
 * event log that fuzz_loop.c compares with the library's, and that
 * fuzz/fuzz_loop.py compares with CPython's. Included by fuzz_loop.c once,
 * after the program, the logs and the library run it shares.
 */
#ifndef CORO_FUZZ_LOOP_MODEL_H
#define CORO_FUZZ_LOOP_MODEL_H

/* ------------------------------------------------------------------------ */
/* The model: asyncio 3.11 in miniature, with the library's documented      */
/* choices. Futures with callback lists, a ready queue of entries, timers   */
/* ordered by (deadline, sequence), Task.__step and Task.cancel.            */
/* ------------------------------------------------------------------------ */

enum { MP, MD, MC };                    /* pending, done, cancelled */
enum {
    K_PLAIN, K_TASK, K_SLEEP, K_LWAIT, K_QGET, K_QPUT, K_GATHER, K_WF, K_WAIT, K_SHIELD,
    K_EWAIT, K_SWAIT, K_CWAIT, K_JWAIT
};
/* What a ready entry (or a future's callback) does: */
enum {
    E_STEP,     /* Task.__step(a) */
    E_WAKEUP,   /* Task.__wakeup(a, future b) */
    E_DRV,      /* driver callback a */
    E_TD,       /* task a's done callback */
    E_GCHILD,   /* gather a: child b is done (gather's _done_callback) */
    E_WFIN,     /* wait_for a: its inner future is done */
    E_WFTO,     /* wait_for a: its timeout */
    E_WFEX,     /* wait_for a: the iteration after its timeout (3.11's wake) */
    E_SLEEP,    /* sleep future a: futures._set_result_unless_cancelled */
    E_WCHILD,   /* wait's waiter a: child b is done (_wait's _on_completion) */
    E_WTO,      /* wait's waiter a: its timeout (_release_waiter) */
    E_SHIN      /* shield a: its inner is done (_inner_done_callback) */
};
enum { H_IDLE, H_READY, H_TIMER, H_FUTCB };
enum { R_YIELD, R_BARE, R_RET, R_RAISE, R_NOW, R_SKIP };

#define MFUT 2048
#define MNODE 8192
#define RQ 4096

struct ment {
    int type, a, b, live;
};

struct mnode {
    struct ment e;
    int next;
};

struct mtimer {
    long long when;
    uint32_t seq;
    int id;
    struct ment e;
};

/* Where a cancellable callback is: READY (pos: its ready entry), TIMER
 * (pos: timer id), FUTCB (pos: callback node). */
struct mhandle {
    int state;
    long pos;
};

struct mfut {
    int state, kind, owner, err, val;
    int cbh, cbt;                   /* callback nodes, in order */
    int timer;                      /* sleep: its timer, -1 once fired */
    int ch[3], n, nfin, creq, mode; /* gather, wait */
    int inner, timed_out, cancelling;
    struct mhandle h;               /* wait_for, wait: the timeout */
};

struct mtask {
    int spawned, fut, must_cancel, waiter, started, in_op, pc, opfut, tdruns;
    int phase, notified, err1, cancelled;       /* Condition.wait */
};

struct mdrv {
    struct mhandle h;
    int fut, runs;
};

static struct mfut mf[MFUT];
static struct mnode mnode[MNODE];
static struct ment mrq[RQ];

static struct {
    long long now;
    long iters, rh, rt, rlive;
    int stopping, stop_req, phase, nf, nn;
    struct mtimer tm[MAXCAP];
    int ntm, tid;
    uint32_t seq;
    struct mtask t[MAXT];
    struct mdrv d[MAXD];
    int locked, owner, lq[MAXT], lqn;           /* Lock */
    int items[4], qh, qsize, ipromised, spromised;  /* Queue */
    int gq[MAXT], gqn, pq[MAXT], pqn;
    int unfinished, jq[MAXT], jqn;
    int evset, evq[MAXT], evqn;                 /* Event */
    int semval, semq[MAXT], semqn;              /* BoundedSemaphore */
    int cq[MAXT], cqn;                          /* Condition */
} M;

static void mlogv(int kind, int a, int b, int c, int d)
{
    log_add(&mlog, M.now, kind, a, b, c, d);
}

/* loop.call_soon: appends an entry to the ready queue. */
static void m_push(int type, int a, int b)
{
    struct ment *e;
    CHECK(M.rt - M.rh < RQ, "model: ready queue overflow");
    e = &mrq[M.rt % RQ];
    e->type = type;
    e->a = a;
    e->b = b;
    e->live = 1;
    if (type == E_DRV) {
        M.d[a].h.state = H_READY;
        M.d[a].h.pos = M.rt;
    } else if (type == E_WFTO || type == E_WFEX || type == E_WTO) {
        mf[a].h.state = H_READY;
        mf[a].h.pos = M.rt;
    }
    M.rt++;
    M.rlive++;
}

static int m_newfut(int kind, int owner)
{
    struct mfut *f;
    CHECK(M.nf < MFUT, "model: too many futures");
    f = &mf[M.nf];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->owner = owner;
    f->cbh = f->cbt = -1;
    f->timer = -1;
    f->val = NONEV;
    return M.nf++;
}

/* future.add_done_callback: the node, or -1 if queued at once (done). */
static int m_addcb(int fi, int type, int a, int b)
{
    struct mfut *f = &mf[fi];
    struct mnode *n;
    if (f->state != MP) {
        m_push(type, a, b);
        return -1;
    }
    CHECK(M.nn < MNODE, "model: too many callbacks");
    n = &mnode[M.nn];
    n->e.type = type;
    n->e.a = a;
    n->e.b = b;
    n->e.live = 1;
    n->next = -1;
    if (f->cbt >= 0)
        mnode[f->cbt].next = M.nn;
    else
        f->cbh = M.nn;
    f->cbt = M.nn;
    return M.nn++;
}

/* Future.set_result / set_exception / cancel's end: callbacks in order. */
static void m_finish(int fi, int state, int err, int val)
{
    struct mfut *f = &mf[fi];
    int i;
    CHECK(f->state == MP, "model: finishing a done future");
    f->state = state;
    f->err = err;
    f->val = err ? NONEV : val;
    for (i = f->cbh; i >= 0; i = mnode[i].next)
        if (mnode[i].e.live)
            m_push(mnode[i].e.type, mnode[i].e.a, mnode[i].e.b);
    f->cbh = f->cbt = -1;
}

static int m_timer_add(long long when, int type, int a, int b)
{
    struct mtimer *t;
    if (M.ntm == P.cap)
        return -1;
    t = &M.tm[M.ntm++];
    t->when = when;
    t->seq = ++M.seq;
    t->id = ++M.tid;
    t->e.type = type;
    t->e.a = a;
    t->e.b = b;
    t->e.live = 1;
    return t->id;
}

static void m_timer_remove(int id)
{
    int i;
    for (i = 0; i < M.ntm; i++)
        if (M.tm[i].id == id) {
            M.tm[i] = M.tm[--M.ntm];
            return;
        }
    fail("model: removing a timer that is not there");
}

/* handle.cancel() for the callbacks the program can cancel. */
static int m_hcancel(struct mhandle *h)
{
    if (h->state == H_READY) {
        mrq[h->pos % RQ].live = 0;
        M.rlive--;
    } else if (h->state == H_TIMER) {
        m_timer_remove((int)h->pos);
    } else {
        return CORO_ESTATE;
    }
    h->state = H_IDLE;
    return 0;
}

/* Detaches the callbacks of `type` for a from future fi: asyncio leaves them
 * to run as no-ops, the library takes them off (loop.h: a completed wait
 * detaches its watches), which shows when time moves on per iteration. With
 * `queued`, also those already queued. */
static void m_detach(int fi, int type, int a, int queued)
{
    long i;
    for (i = mf[fi].cbh; i >= 0; i = mnode[i].next)
        if (mnode[i].e.type == type && mnode[i].e.a == a)
            mnode[i].e.live = 0;
    for (i = M.rh; queued && i < M.rt; i++) {
        struct ment *e = &mrq[i % RQ];
        if (e->live && e->type == type && e->a == a && e->b == fi) {
            e->live = 0;
            M.rlive--;
        }
    }
}

static void m_list_remove(int *q, int *n, int fi)
{
    int i;
    for (i = 0; i < *n; i++)
        if (q[i] == fi) {
            memmove(q + i, q + i + 1, (size_t)(*n - i - 1) * sizeof *q);
            --*n;
            return;
        }
}

static int m_spawn(int j)
{
    struct mtask *t = &M.t[j];
    if (t->spawned)
        return SKIP;
    t->spawned = 1;
    t->waiter = -1;
    t->fut = m_newfut(K_TASK, j);
    m_push(E_STEP, j, 0);
    m_addcb(t->fut, E_TD, j, 0);
    return 0;
}

static int m_cancel(int fi);
static void m_wait_done(int wi, int state);

/* wait_for wi: its inner is done (its watch's callback). */
static void m_wf_inner_done(int wi)
{
    struct mfut *w = &mf[wi];
    int err;
    m_hcancel(&w->h);
    if (w->state != MP)
        return;
    err = mf[w->inner].err;
    if (w->cancelling)
        m_finish(wi, MC, CORO_ECANCELLED, NONEV);
    else if (w->timed_out && err == CORO_ECANCELLED)
        m_finish(wi, MD, CORO_ETIMEDOUT, NONEV);
    else
        m_finish(wi, err == CORO_ECANCELLED ? MC : MD, err, mf[w->inner].val);
}

/* wait_for wi settles now with its done inner's outcome (3.11 returns
 * fut.result() when it wakes and finds inner done); its watch is taken off. */
static void m_wf_settle(int wi)
{
    m_detach(mf[wi].inner, E_WFIN, wi, 1);
    m_wf_inner_done(wi);
}

/* Task.cancel(). */
static int m_task_cancel(int j)
{
    struct mtask *t = &M.t[j];
    if (mf[t->fut].state != MP)
        return CORO_ESTATE;
    if (t->waiter >= 0 && m_cancel(t->waiter) == 0)
        return 0;
    t->must_cancel = 1;
    return 0;
}

/* future.cancel(), whatever the future is. */
static int m_cancel(int fi)
{
    struct mfut *f = &mf[fi];
    int i, ret = 0;
    if (f->state != MP)
        return CORO_ESTATE;
    switch (f->kind) {
    case K_TASK:
        return m_task_cancel(f->owner);
    case K_GATHER:              /* _GatheringFuture.cancel */
        for (i = 0; i < f->n; i++)
            if (m_cancel(f->ch[i]) == 0)
                ret = 1;
        if (ret)
            f->creq = 1;
        return ret ? 0 : CORO_ESTATE;
    case K_WF:                  /* loop.h: cancelling w cancels inner */
        m_hcancel(&f->h);
        if (mf[f->inner].state != MP) {
            m_wf_settle(fi);    /* 3.11: return fut.result() */
            return 0;
        }
        f->cancelling = 1;
        m_cancel(f->inner);
        return 0;
    case K_WAIT:                /* _wait's waiter; the library frees the timer */
        m_wait_done(fi, MC);
        return 0;
    case K_SHIELD:              /* _outer_done_callback, at once */
        m_detach(f->inner, E_SHIN, fi, 0);
        break;
    case K_SLEEP:               /* the library frees the timer at once */
        if (f->timer >= 0)
            m_timer_remove(f->timer);
        f->timer = -1;
        break;
    case K_LWAIT:               /* sync.h: a cancelled waiter leaves at once */
        m_list_remove(M.lq, &M.lqn, fi);
        break;
    case K_QGET:
        m_list_remove(M.gq, &M.gqn, fi);
        break;
    case K_QPUT:
        m_list_remove(M.pq, &M.pqn, fi);
        break;
    case K_EWAIT:
        m_list_remove(M.evq, &M.evqn, fi);
        break;
    case K_SWAIT:
        m_list_remove(M.semq, &M.semqn, fi);
        break;
    case K_CWAIT:
        m_list_remove(M.cq, &M.cqn, fi);
        break;
    case K_JWAIT:
        m_list_remove(M.jq, &M.jqn, fi);
        break;
    }
    m_finish(fi, MC, CORO_ECANCELLED, NONEV);
    return 0;
}

/* Event.set: every waiter not done yet gets True. */
static void m_wake_all(const int *q, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (mf[q[i]].state == MP)
            m_finish(q[i], MD, 0, NONEV);
}

/* Semaphore._wake_up_next (3.11.7). */
static void m_sem_wake_next(void)
{
    int i;
    for (i = 0; i < M.semqn; i++)
        if (mf[M.semq[i]].state == MP) {
            M.semval--;
            m_finish(M.semq[i], MD, 0, NONEV);
            return;
        }
}

/* Condition.notify(n). */
static int m_notify(int n)
{
    int i, idx = 0;
    if (!M.locked)
        return CORO_ESTATE;
    for (i = 0; i < M.cqn && idx < n; i++)
        if (mf[M.cq[i]].state == MP) {
            idx++;
            m_finish(M.cq[i], MD, 0, NONEV);
        }
    return 0;
}

/* Lock._wake_up_first and Lock.release. */
static void m_lock_wake_first(void)
{
    if (M.lqn > 0 && mf[M.lq[0]].state == MP)
        m_finish(M.lq[0], MD, 0, NONEV);
}

static int m_release(void)
{
    if (!M.locked)
        return CORO_ESTATE;
    M.locked = 0;
    m_lock_wake_first();
    return 0;
}

/* test_sync.c's Queue: empty() / full() count promised items and slots. */
static int m_qfull(void) { return M.qsize + M.spromised >= P.qcap; }
static int m_qempty(void) { return M.qsize <= M.ipromised; }

static int m_qwake(int *q, int *n)
{
    while (*n > 0) {
        int fi = q[0];
        m_list_remove(q, n, fi);
        if (mf[fi].state == MP) {
            m_finish(fi, MD, 0, NONEV);
            return 1;
        }
    }
    return 0;
}

static void m_qpush(int v)
{
    M.items[(M.qh + M.qsize) % 4] = v;
    M.qsize++;
    M.unfinished++;
    if (!m_qempty())
        M.ipromised += m_qwake(M.gq, &M.gqn);
}

static int m_qpop(void)
{
    int v = M.items[M.qh];
    M.qh = (M.qh + 1) % 4;
    M.qsize--;
    if (!m_qfull())
        M.spromised += m_qwake(M.pq, &M.pqn);
    return v;
}

static int m_act(int kind, int b, int *val)
{
    int j, k, h, id;
    struct mdrv *d;
    *val = NONEV;
    switch (kind) {
    case A_SPAWN:
        return m_spawn(arg_task(b));
    case A_CANCEL_T:
        j = arg_task(b);
        return M.t[j].spawned ? m_cancel(M.t[j].fut) : SKIP;
    case A_SET:
    case A_SET_ERR:
        k = arg_fut(b);
        if (mf[k].state != MP)
            return CORO_ESTATE;
        m_finish(k, MD, kind == A_SET ? 0 : arg_err(b), arg_val(b));
        return 0;
    case A_CANCEL_F:
        return m_cancel(arg_fut(b));
    case A_SOON:
    case A_LATER:
        if ((h = arg_handle(b)) < 0)
            return SKIP;
        d = &M.d[h];
        if (kind == A_LATER && P.d[h].ext && d->h.state == H_TIMER)
            m_hcancel(&d->h);           /* coro_loop_rearm: cancel + call_later */
        if (d->h.state != H_IDLE)
            return CORO_EBUSY;
        if (kind == A_SOON) {
            m_push(E_DRV, h, 0);
            return 0;
        }
        id = m_timer_add(sat_add(M.now, arg_later(h, b)), E_DRV, h, 0);
        if (id < 0)
            return CORO_EFULL;
        d->h.state = H_TIMER;
        d->h.pos = id;
        return 0;
    case A_CANCEL_H:
        if ((h = arg_handle(b)) < 0)
            return SKIP;
        return m_hcancel(&M.d[h].h);
    case A_ADD_CB:
        if ((h = arg_handle_hi(b)) < 0)
            return SKIP;
        d = &M.d[h];
        if (d->h.state != H_IDLE)
            return CORO_EBUSY;
        id = m_addcb(arg_fut(b), E_DRV, h, 0);
        if (id >= 0) {
            d->h.state = H_FUTCB;
            d->h.pos = id;
            d->fut = arg_fut(b);
        }
        return 0;
    case A_REMOVE_CB:
        if ((h = arg_handle_hi(b)) < 0)
            return SKIP;
        d = &M.d[h];
        if (d->h.state != H_FUTCB || d->fut != arg_fut(b))
            return CORO_ESTATE;
        mnode[d->h.pos].e.live = 0;
        d->h.state = H_IDLE;
        return 0;
    case A_PUT_NW:
        if (m_qfull())
            return CORO_EFULL;
        m_qpush(b);
        return 0;
    case A_GET_NW:
        if (m_qempty())
            return CORO_EEMPTY;
        *val = m_qpop();
        return 0;
    case A_RELEASE:
        j = m_release();
        if (j == 0)
            M.owner = -1;
        return j;
    case A_STOP:
        if (M.phase < 2)
            return SKIP;
        M.stopping = 1;
        M.stop_req = 1;
        return 0;
    case A_EV_SET:
        if (!M.evset) {
            M.evset = 1;
            m_wake_all(M.evq, M.evqn);
        }
        return 0;
    case A_EV_CLEAR:
        M.evset = 0;
        return 0;
    case A_SEM_RELEASE:         /* BoundedSemaphore.release */
        if (M.semval >= P.sem)
            return CORO_EFULL;
        M.semval++;
        m_sem_wake_next();
        return 0;
    case A_NOTIFY:
        return m_notify(1 + (b & 1));
    case A_NOTIFY_ALL:
        return m_notify(MAXT);
    case A_TASK_DONE:           /* Queue.task_done: _finished.set() at 0 */
        if (M.unfinished == 0)
            return CORO_ESTATE;
        if (--M.unfinished == 0)
            m_wake_all(M.jq, M.jqn);
        return 0;
    }
    return SKIP;
}

/* `finally:` of a task's body: gives back the lock it holds. */
static int m_fin(int j, int r)
{
    if (M.owner == j) {
        int rc = m_release();
        CHECK(rc == 0, "model: the owner could not release");
        M.owner = -1;
        mlogv(L_FIN, j, rc, 0, 0);
    }
    return r;
}

/* Starts the awaiting op at pc: R_YIELD (*yf: the future it waits for),
 * R_BARE (sleep(0)), R_NOW (done at once: *err, *val) or R_SKIP. */
static int m_op_begin(int j, int *yf, int *err, int *val)
{
    struct mtask *t = &M.t[j];
    const struct op *op = &P.t[j].ops[t->pc];
    struct mfut *g;
    int fi, k, c, d;
    *err = 0;
    *val = NONEV;
    t->opfut = -1;
    switch (op->kind) {
    case OP_SLEEP:
        if (arg_sleep(op->x) <= 0)
            return R_BARE;
        fi = m_newfut(K_SLEEP, j);
        mf[fi].timer = m_timer_add(sat_add(M.now, arg_sleep(op->x)), E_SLEEP, fi, 0);
        if (mf[fi].timer < 0) {
            *err = CORO_EFULL;
            return R_NOW;
        }
        break;
    case OP_AWAIT_F:
    case OP_AWAIT_T:
        if (op->kind == OP_AWAIT_F) {
            fi = arg_fut(op->x);
        } else {
            if ((k = arg_higher(j, op->x)) < 0)
                return R_SKIP;
            m_spawn(k);
            fi = M.t[k].fut;
        }
        if (mf[fi].state != MP) {           /* await of a done future */
            *err = mf[fi].err;
            *val = mf[fi].val;
            return R_NOW;
        }
        break;
    case OP_GATHER:
    case OP_WAIT:
        fi = m_newfut(op->kind == OP_GATHER ? K_GATHER : K_WAIT, j);
        g = &mf[fi];
        k = arg_fut(op->x);
        g->ch[g->n++] = k;
        if ((op->x & 8) && (c = arg_higher(j, op->x >> 4)) >= 0) {
            m_spawn(c);
            g->ch[g->n++] = M.t[c].fut;
        }
        if ((op->x & 0x80) && ((op->x >> 4) & 7) != k)
            g->ch[g->n++] = (op->x >> 4) & 7;
        if (op->kind == OP_WAIT) {          /* asyncio.wait's _wait */
            g->mode = arg_mode(op->x);
            d = tmo_ms[(op->x >> 4) & 7];
            if (d != FOREVER_MS) {
                c = m_timer_add(sat_add(M.now, d), E_WTO, fi, 0);
                if (c < 0) {
                    *err = CORO_EFULL;
                    return R_NOW;
                }
                g->h.state = H_TIMER;
                g->h.pos = c;
            }
        }
        for (c = 0; c < g->n; c++)
            m_addcb(g->ch[c], op->kind == OP_GATHER ? E_GCHILD : E_WCHILD, fi, g->ch[c]);
        break;
    case OP_SHIELD:                     /* asyncio.shield */
        c = (op->x & 1) ? arg_higher(j, op->x >> 1) : -1;
        if (c >= 0) {
            m_spawn(c);
            k = M.t[c].fut;
        } else {
            k = (op->x >> 1) & 7;
        }
        if (mf[k].state != MP) {        /* done: shield returns inner */
            *err = mf[k].err;
            *val = mf[k].val;
            return R_NOW;
        }
        fi = m_newfut(K_SHIELD, j);
        mf[fi].inner = k;
        m_addcb(k, E_SHIN, fi, 0);
        break;
    case OP_WAIT_FOR:
        c = (op->x & 1) ? arg_higher(j, op->x >> 1) : -1;
        if (c >= 0) {
            m_spawn(c);
            k = M.t[c].fut;
        } else {
            k = (op->x >> 1) & 7;
        }
        d = tmo_ms[(op->x >> 4) & 7];
        fi = m_newfut(K_WF, j);
        mf[fi].inner = k;
        if (d <= 0 && d != FOREVER_MS) {    /* 3.11: no timer */
            if (mf[k].state != MP) {        /* a done inner: its outcome */
                m_wf_settle(fi);
                *err = mf[fi].err;
                *val = mf[fi].val;
                return R_NOW;
            }
            mf[fi].timed_out = 1;           /* else inner is cancelled now */
            m_cancel(k);
        } else if (d != FOREVER_MS) {
            c = m_timer_add(sat_add(M.now, d), E_WFTO, fi, 0);
            if (c < 0) {
                *err = CORO_EFULL;
                return R_NOW;
            }
            mf[fi].h.state = H_TIMER;
            mf[fi].h.pos = c;
        }
        m_addcb(k, E_WFIN, fi, k);
        break;
    case OP_LOCK:
        if (!M.locked && M.lqn == 0) {
            M.locked = 1;
            return R_NOW;
        }
        fi = m_newfut(K_LWAIT, j);
        M.lq[M.lqn++] = fi;
        break;
    case OP_PUT:
        if (!m_qfull()) {
            m_qpush(op->x);
            return R_NOW;
        }
        fi = m_newfut(K_QPUT, j);
        M.pq[M.pqn++] = fi;
        break;
    case OP_GET:
        if (!m_qempty()) {
            *val = m_qpop();
            return R_NOW;
        }
        fi = m_newfut(K_QGET, j);
        M.gq[M.gqn++] = fi;
        break;
    case OP_EV_WAIT:                /* Event.wait */
        if (M.evset)
            return R_NOW;
        fi = m_newfut(K_EWAIT, j);
        M.evq[M.evqn++] = fi;
        break;
    case OP_SEM_ACQ:                /* Semaphore.acquire (3.11.7) */
        if (M.semval > 0 && M.semqn == 0) {
            M.semval--;
            return R_NOW;
        }
        fi = m_newfut(K_SWAIT, j);
        M.semq[M.semqn++] = fi;
        break;
    case OP_JOIN:                   /* Queue.join */
        if (M.unfinished == 0)
            return R_NOW;
        fi = m_newfut(K_JWAIT, j);
        M.jq[M.jqn++] = fi;
        break;
    default: /* OP_COND_WAIT: test_sync.c's Condition.wait, over the lock */
        if (!M.locked) {
            *err = CORO_ESTATE;
            return R_NOW;
        }
        m_release();
        M.owner = -1;
        t->phase = 1;
        t->notified = t->err1 = t->cancelled = 0;
        fi = m_newfut(K_CWAIT, j);
        M.cq[M.cqn++] = fi;
        break;
    }
    t->opfut = fi;
    *yf = fi;
    return R_YIELD;
}

/* Condition.wait, after its first await: takes the lock back, waiting for
 * it (again after each cancel); then the outcome. R_YIELD (*yf) or R_NOW. */
static int m_cond_reacquire(int j, int *yf, int *err)
{
    struct mtask *t = &M.t[j];
    int fi;
    if (!M.locked && M.lqn == 0) {
        M.locked = 1;
        *err = t->err1 ? t->err1 : t->cancelled ? CORO_ECANCELLED : 0;
        if (*err && t->notified)
            m_notify(1);            /* its notification goes on */
        return R_NOW;
    }
    fi = m_newfut(K_LWAIT, j);
    M.lq[M.lqn++] = fi;
    t->phase = 2;
    t->opfut = fi;
    *yf = fi;
    return R_YIELD;
}

/* The awaiting op at pc resumes with exc thrown in (0: its future is done):
 * R_NOW (*err, *val: its outcome) or R_YIELD (*yf: it waits again). */
static int m_op_resume(int j, int exc, int *yf, int *err, int *val)
{
    struct mtask *t = &M.t[j];
    const struct op *op = &P.t[j].ops[t->pc];
    int fi = t->opfut, promised;
    *err = exc;
    *val = NONEV;
    switch (op->kind) {
    case OP_EV_WAIT:
        m_list_remove(M.evq, &M.evqn, fi);
        break;
    case OP_JOIN:
        m_list_remove(M.jq, &M.jqn, fi);
        break;
    case OP_SEM_ACQ:                /* Semaphore.acquire after its await */
        m_list_remove(M.semq, &M.semqn, fi);
        if (exc) {
            if (mf[fi].state != MC) {
                M.semval++;
                m_sem_wake_next();
            }
        } else if (M.semval > 0) {
            m_sem_wake_next();
        }
        break;
    case OP_COND_WAIT:
        if (t->phase == 1) {        /* back from the notification */
            t->notified = mf[fi].state == MD;
            m_list_remove(M.cq, &M.cqn, fi);
            t->err1 = exc;
        } else {                    /* back from the lock */
            m_list_remove(M.lq, &M.lqn, fi);
            if (!exc) {
                M.locked = 1;
                *err = t->err1 ? t->err1 : t->cancelled ? CORO_ECANCELLED : 0;
                if (*err && t->notified)
                    m_notify(1);
                return R_NOW;
            }
            if (!M.locked)
                m_lock_wake_first();
            t->cancelled = 1;
        }
        return m_cond_reacquire(j, yf, err);
    case OP_LOCK:                   /* Lock.acquire after its await */
        m_list_remove(M.lq, &M.lqn, fi);
        if (exc) {
            if (!M.locked)
                m_lock_wake_first();
        } else {
            M.locked = 1;
        }
        break;
    case OP_PUT:                    /* test_sync.c's Queue.put */
        promised = mf[fi].state == MD;
        m_list_remove(M.pq, &M.pqn, fi);
        if (exc) {
            if (promised) {
                M.spromised--;
                if (!m_qfull())
                    M.spromised += m_qwake(M.pq, &M.pqn);
            }
        } else {
            M.spromised--;
            m_qpush(op->x);
        }
        break;
    case OP_GET:                    /* test_sync.c's Queue.get */
        promised = mf[fi].state == MD;
        m_list_remove(M.gq, &M.gqn, fi);
        if (exc) {
            if (promised) {
                M.ipromised--;
                if (!m_qempty())
                    M.ipromised += m_qwake(M.gq, &M.gqn);
            }
        } else {
            M.ipromised--;
            *val = m_qpop();
        }
        break;
    case OP_WAIT:                   /* the done set, as a bit mask */
        if (!exc) {
            *val = 0;
            for (promised = 0; promised < mf[fi].n; promised++)
                if (mf[mf[fi].ch[promised]].state != MP)
                    *val |= 1 << promised;
        }
        break;
    default:
        if (!exc && fi >= 0)
            *val = mf[fi].val;
        break;
    }
    return R_NOW;
}

static int m_op_after(int j, int err, int val)
{
    const struct op *op = &P.t[j].ops[M.t[j].pc];
    mlogv(L_OP, j, M.t[j].pc, err, err ? NONEV : val);
    if ((op->kind == OP_LOCK && !err) || (op->kind == OP_COND_WAIT && err != CORO_ESTATE))
        M.owner = j;
    return err && !op->catch_;
}

/* A sync op at pc: 0 go on, 1 return *out, 2 raise *out. */
static int m_sync_op(int j, int *out)
{
    const struct op *op = &P.t[j].ops[M.t[j].pc];
    int rc, val = NONEV;
    if (op->kind == OP_RETURN) {
        *out = arg_val(op->x);
        mlogv(L_OP, j, M.t[j].pc, 0, *out);
        return 1;
    }
    if (op->kind == OP_RAISE) {
        *out = arg_err(op->x);
        mlogv(L_OP, j, M.t[j].pc, *out, NONEV);
        return 2;
    }
    if (op->kind == OP_UNLOCK) {
        if (M.owner != j) {
            rc = SKIP;
        } else {
            rc = m_release();
            M.owner = -1;
        }
    } else {
        rc = m_act(op->kind - OP_ACT, op->x, &val);
    }
    mlogv(L_OP, j, M.t[j].pc, rc, val);
    return 0;
}

/* The task's coroutine: resumes with exc thrown in (0: none) and runs to its
 * next await (R_YIELD, *out = the future; R_BARE) or its end (R_RET, *out =
 * the value; R_RAISE, *out = the error). */
static int m_coro(int j, int exc, int *out)
{
    struct mtask *t = &M.t[j];
    int err, val, r;
    if (!t->started) {
        t->started = 1;
        if (exc) {                  /* thrown in before the start: no body */
            *out = exc;
            return R_RAISE;
        }
        t->pc = 0;
    } else {
        CHECK(t->in_op, "model: resumed outside an await");
        if (m_op_resume(j, exc, out, &err, &val) == R_YIELD)
            return R_YIELD;
        t->in_op = 0;
        if (m_op_after(j, err, val)) {
            *out = err;
            return m_fin(j, R_RAISE);
        }
        t->pc++;
    }
    for (; t->pc < P.t[j].nops; t->pc++) {
        if (P.t[j].ops[t->pc].kind >= OP_NAWAIT) {
            r = m_sync_op(j, out);
            if (r == 1)
                return m_fin(j, R_RET);
            if (r == 2)
                return m_fin(j, R_RAISE);
            continue;
        }
        mlogv(L_AWAIT, j, t->pc, 0, 0);
        r = m_op_begin(j, out, &err, &val);
        if (r == R_YIELD || r == R_BARE) {
            t->in_op = 1;
            return r;
        }
        if (r == R_SKIP) {
            mlogv(L_OP, j, t->pc, SKIP, NONEV);
            continue;
        }
        if (m_op_after(j, err, val)) {
            *out = err;
            return m_fin(j, R_RAISE);
        }
    }
    *out = NONEV;
    return m_fin(j, R_RET);
}

/* Task.__step. */
static void m_step(int j, int exc)
{
    struct mtask *t = &M.t[j];
    int out = 0, r;
    CHECK(mf[t->fut].state == MP, "model: step of a done task");
    if (t->must_cancel) {
        exc = CORO_ECANCELLED;
        t->must_cancel = 0;
    }
    t->waiter = -1;
    r = m_coro(j, exc, &out);
    if (r == R_RET) {
        if (t->must_cancel) {       /* cancelled right before it returned */
            t->must_cancel = 0;
            m_finish(t->fut, MC, CORO_ECANCELLED, NONEV);
        } else {
            m_finish(t->fut, MD, 0, out);
        }
    } else if (r == R_RAISE) {
        m_finish(t->fut, out == CORO_ECANCELLED ? MC : MD, out, NONEV);
    } else if (r == R_BARE) {
        m_push(E_STEP, j, 0);
    } else {
        m_addcb(out, E_WAKEUP, j, out);
        t->waiter = out;
        if (t->must_cancel && m_cancel(out) == 0)
            t->must_cancel = 0;
    }
}

static void m_run(const struct ment *e)
{
    struct mfut *w;
    int rc, val, err, i;
    switch (e->type) {
    case E_STEP:
        m_step(e->a, e->b);
        break;
    case E_WAKEUP:
        m_step(e->a, mf[e->b].err);
        break;
    case E_DRV:
        M.d[e->a].h.state = H_IDLE;
        M.d[e->a].runs++;
        mlogv(L_DRV, e->a, M.d[e->a].runs, 0, 0);
        if (M.d[e->a].runs <= BUDGET) {
            rc = m_act(P.d[e->a].a % NA, P.d[e->a].b, &val);
            mlogv(L_ACT, e->a, P.d[e->a].a % NA, rc, val);
        }
        break;
    case E_TD:
        w = &mf[M.t[e->a].fut];
        M.t[e->a].tdruns++;
        mlogv(L_TD, e->a, w->err, w->val, w->state == MC);
        break;
    case E_GCHILD:              /* gather's _done_callback */
        w = &mf[e->a];
        w->nfin++;
        if (w->state != MP)
            break;
        if ((err = mf[e->b].err) != 0) {
            for (i = 0; i < w->n; i++)
                m_detach(w->ch[i], E_GCHILD, e->a, 1);
            m_finish(e->a, MD, err, NONEV);
        } else if (w->nfin == w->n)
            m_finish(e->a, MD, w->creq ? CORO_ECANCELLED : 0, NONEV);
        break;
    case E_WFIN:
        m_wf_inner_done(e->a);
        break;
    case E_WFTO:
        m_push(E_WFEX, e->a, 0);
        break;
    case E_WFEX:
        w = &mf[e->a];
        w->h.state = H_IDLE;
        if (mf[w->inner].state != MP) {
            m_wf_settle(e->a);
            break;
        }
        w->timed_out = 1;
        m_cancel(w->inner);
        break;
    case E_SLEEP:
        if (mf[e->a].state == MP)
            m_finish(e->a, MD, 0, NONEV);
        break;
    case E_WCHILD:
        w = &mf[e->a];
        w->nfin++;
        if (w->state != MP)
            break;
        if (w->nfin == w->n || w->mode == CORO_FIRST_COMPLETED ||
            (w->mode == CORO_FIRST_EXCEPTION && mf[e->b].state == MD && mf[e->b].err))
            m_wait_done(e->a, MD);
        break;
    case E_WTO:
        w = &mf[e->a];
        w->h.state = H_IDLE;
        if (w->state == MP)
            m_wait_done(e->a, MD);
        break;
    case E_SHIN:
        w = &mf[e->a];
        if (w->state != MP)
            break;
        err = mf[w->inner].err;
        m_finish(e->a, err == CORO_ECANCELLED ? MC : MD, err, mf[w->inner].val);
        break;
    }
}

/* _wait's waiter is set (or cancelled): its timer and its callbacks go. */
static void m_wait_done(int wi, int state)
{
    int i;
    m_hcancel(&mf[wi].h);
    for (i = 0; i < mf[wi].n; i++)
        m_detach(mf[wi].ch[i], E_WCHILD, wi, 1);
    m_finish(wi, state, state == MC ? CORO_ECANCELLED : 0, NONEV);
}

/* BaseEventLoop._run_once on the virtual clock: if nothing is ready (and
 * `nowait` is 0), time jumps to the first deadline; the due timers join the
 * ready queue by (deadline, sequence); what was ready then runs. 0 if there
 * was nothing to run and nothing to wait for. */
static int m_run_once(int nowait)
{
    long end;
    int i, k, n, due[MAXCAP];
    if (++M.iters > MAX_ITER)
        fail("model: iteration limit");
    if (!nowait && M.rlive == 0) {
        long long first;
        if (M.ntm == 0)
            return 0;
        first = M.tm[0].when;
        for (i = 1; i < M.ntm; i++)
            if (M.tm[i].when < first)
                first = M.tm[i].when;
        if (first > M.now)
            M.now = first;
    }
    M.now = sat_add(M.now, drift_ms(M.iters));
    for (n = 0, i = 0; i < M.ntm; i++) {
        if (M.tm[i].when > M.now)
            continue;
        for (k = n++; k > 0; k--) {         /* insertion sort on (when, seq) */
            const struct mtimer *p = &M.tm[due[k - 1]], *q = &M.tm[i];
            if (p->when < q->when || (p->when == q->when && p->seq < q->seq))
                break;
            due[k] = due[k - 1];
        }
        due[k] = i;
    }
    {
        struct mtimer fired[MAXCAP];
        for (i = 0; i < n; i++)
            fired[i] = M.tm[due[i]];
        for (i = 0; i < n; i++) {
            m_timer_remove(fired[i].id);
            if (fired[i].e.type == E_SLEEP)
                mf[fired[i].e.a].timer = -1;
            m_push(fired[i].e.type, fired[i].e.a, fired[i].e.b);
        }
    }
    end = M.rt;
    while (M.rh < end) {
        struct ment e = mrq[M.rh % RQ];
        M.rh++;
        if (!e.live)
            continue;
        M.rlive--;
        m_run(&e);
    }
    return 1;
}

static void m_run_all(void)
{
    for (;;) {
        int r;
        do
            r = m_run_once(0);
        while (r > 0 && !M.stopping);
        M.stopping = 0;
        if (!M.stop_req)
            break;
        M.stop_req = 0;
        mlogv(L_STOPPED, 0, 0, 0, 0);
    }
}

static void run_model(void)
{
    int i, round, rc, id, stuck = 0;
    const struct mfut *t0;
    memset(&M, 0, sizeof M);
    mlog.n = 0;
    M.owner = -1;
    M.semval = P.sem;
    for (i = 0; i < NF; i++)
        m_newfut(K_PLAIN, -1);
    for (i = 0; i < P.nt; i++)
        if (P.t[i].start)
            m_spawn(i);
    for (i = 0; i < P.nd; i++) {
        if (!P.d[i].armed0)
            continue;
        id = m_timer_add(P.d[i].when, E_DRV, i, 0);
        if (id >= 0) {
            M.d[i].h.state = H_TIMER;
            M.d[i].h.pos = id;
        }
        mlogv(L_SETUP, i, id >= 0 ? 0 : CORO_EFULL, 0, 0);
    }

    /* run_until_complete: until task 0 is done, then the iteration that
     * runs its done callbacks (its _run_until_complete_cb stops the loop) */
    M.phase = 1;
    t0 = &mf[M.t[0].fut];
    while (t0->state == MP && m_run_once(0))
        ;
    if (t0->state == MP) {
        rc = CORO_ESTATE;
    } else {
        m_run_once(1);
        rc = t0->err;
    }
    mlogv(L_PHASE, 1, rc, rc ? NONEV : t0->val, 0);
    M.phase = 2;
    m_run_all();
    M.phase = 3;
    for (round = 0; round < MAX_ROUNDS; round++) {
        int any = 0;
        long before;
        for (i = 0; i < P.nt; i++) {
            if (!M.t[i].spawned || mf[M.t[i].fut].state != MP)
                continue;
            if (!any)
                mlogv(L_ROUND, round, 0, 0, 0);
            any = 1;
            mlogv(L_CANCEL, i, m_task_cancel(i), 0, 0);
        }
        if (!any)
            break;
        before = mlog.n;
        m_run_all();
        if (mlog.n == before) {
            mlogv(L_STUCK, round, 0, 0, 0);
            stuck = 1;
            break;
        }
    }
    for (i = 0; i < P.nt; i++)
        CHECK(!M.t[i].spawned || M.t[i].tdruns == (mf[M.t[i].fut].state != MP),
              "model: a task's done callback did not run once");
    CHECK(stuck || round < MAX_ROUNDS, "model: a task did not end");
    CHECK(M.ntm == 0 && M.rlive == 0, "model: work left");
    CHECK(stuck || (!M.locked && !M.lqn && !M.gqn && !M.pqn && !M.jqn && !M.evqn &&
                    !M.semqn && !M.cqn), "model: waiters left");
}

#endif /* CORO_FUZZ_LOOP_MODEL_H */
