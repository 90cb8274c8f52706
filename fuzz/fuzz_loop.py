#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fuzz_loop.py -- runs a fuzz_loop program on CPython's asyncio and compares
its event log with the model's (fuzz/fuzz_loop.c), to check that the model is
asyncio. Reads what `fuzz_loop_emit FILE` prints (the decoded program and the
model's log) on stdin; prints "same" or the first difference (exit 1).

The loop is asyncio's own SelectorEventLoop on a virtual clock (as in
tests/test_loop.c), with what the library documents on top, each a small
change to asyncio:
  - timers with equal deadlines run in the order they were scheduled
    (TimerHandle compares (when, sequence)), and a fixed number of timer
    slots (a timer holds one from call_at until it is popped to run or is
    cancelled; a sleep's timer is cancelled with the sleep's future);
  - Lock: a cancelled waiter leaves the queue at once (sync.h);
  - Queue: no barging (the Queue of tests/test_sync.c's prelude);
  - wait_for: a future that watches inner (loop.h), not 3.11's coroutine;
  - callbacks scheduled twice are refused (EBUSY) and handle.cancel() says
    whether the handle was scheduled, as loop.h's intrusive handles do.
Everything else (Task.__step / cancel / __wakeup, Future, gather, sleep's
future and timer, call_soon / call_at, run_until_complete, run_forever and
stop) is CPython's.
"""
import asyncio
import collections
import sys
import types
from asyncio import events

ECANCELLED, ETIMEDOUT, ESTATE, EFULL, EEMPTY, EBUSY = -4091, -4090, -4089, -4088, -4087, -4094
NONEV, SKIP, BUDGET = -77777, 1, 3
(L_SETUP, L_AWAIT, L_OP, L_FIN, L_DRV, L_ACT, L_TD, L_PHASE, L_STOPPED, L_ROUND,
 L_CANCEL, L_STUCK) = range(1, 13)
(OP_SLEEP, OP_AWAIT_F, OP_AWAIT_T, OP_GATHER, OP_WAIT_FOR, OP_WAIT, OP_SHIELD, OP_LOCK,
 OP_PUT, OP_GET, OP_EV_WAIT, OP_SEM_ACQ, OP_COND_WAIT, OP_JOIN, OP_UNLOCK, OP_RETURN,
 OP_RAISE, OP_ACT) = range(18)
OP_NAWAIT = OP_UNLOCK
(A_SPAWN, A_CANCEL_T, A_SET, A_SET_ERR, A_CANCEL_F, A_SOON, A_LATER, A_CANCEL_H,
 A_ADD_CB, A_REMOVE_CB, A_PUT_NW, A_GET_NW, A_RELEASE, A_STOP, A_EV_SET, A_EV_CLEAR,
 A_SEM_RELEASE, A_NOTIFY, A_NOTIFY_ALL, A_TASK_DONE, NA) = range(21)
SLEEP_MS = [0, 1, 1, 2, 3, 5, -1, 2]
LATER_MS = [0, 1, 2, 3, -1, 5, 1, 0]
TMO_MS = [0, 1, 2, 3, 5, None, 1, 8]

# ---- the program ---------------------------------------------------------
CAP = QCAP = DRIFT = SEM = NT = ND = 0
TASKS, DRIVERS, EXPECTED = [], [], []
PROG = EXTREME = False
for line in sys.stdin:
    w = line.split()
    if w[0] == 'prog':
        PROG = True
        CAP, QCAP, DRIFT, SEM, NT, ND = map(int, w[1:])
    elif w[0] == 'task':
        v = list(map(int, w[1:]))
        TASKS.append((v[0], [tuple(v[i:i + 3]) for i in range(1, len(v), 3)]))
    elif w[0] == 'driver':
        DRIVERS.append(tuple(map(int, w[1:])))
    elif w[0] == 'extreme':     # the ends of time: asyncio's float clock
        EXTREME = True          # cannot hold them exactly
    elif w[0] == 'log':
        EXPECTED.append(tuple(map(int, w[1:])))
if not PROG:
    print('fuzz_loop.py: no program on stdin (did the emitter fail?)')
    sys.exit(1)
if not TASKS:
    print('fuzz_loop.py: nothing to run')
    sys.exit(0)
if EXTREME:
    print('fuzz_loop.py: skipped (extreme times)')
    sys.exit(0)
if DRIFT:   # time moving on per iteration shows asyncio's empty iterations
    print('fuzz_loop.py: skipped (drift)')
    sys.exit(0)

def arg_fut(x): return x & 7
def arg_task(x): return x % NT
def arg_err(x): return 1 + (x >> 3) % 9
def arg_val(x): return x >> 3
def arg_handle(x): return (x & 31) % ND if ND else -1
def arg_handle_hi(x): return (x >> 3) % ND if ND else -1
def arg_higher(me, x): return me + 1 + x % (NT - me - 1) if me + 1 < NT else -1
def arg_mode(x): return [asyncio.ALL_COMPLETED, asyncio.FIRST_COMPLETED,
                         asyncio.FIRST_EXCEPTION][(x >> 1) % 3]

# ---- timers: FIFO ties and a fixed number of slots -------------------------
SEQ, SLOTS = [0], [0]

class TimerHandle(events.TimerHandle):
    def __init__(self, when, callback, args, loop, context=None):
        super().__init__(when, callback, args, loop, context=context)
        SEQ[0] += 1
        self.seq = SEQ[0]
        self.slot = True
        SLOTS[0] += 1

    def free(self):
        if getattr(self, 'slot', False):
            self.slot = False
            SLOTS[0] -= 1

    @property
    def _scheduled(self):
        return self.__dict__.get('sched', False)

    @_scheduled.setter
    def _scheduled(self, v):            # False: popped to run, or dropped
        self.__dict__['sched'] = v
        if not v:
            self.free()

    def cancel(self):
        self.free()
        super().cancel()

    def __lt__(self, o): return (self._when, self.seq) < (o._when, o.seq)
    def __le__(self, o): return (self._when, self.seq) <= (o._when, o.seq)
    def __gt__(self, o): return (self._when, self.seq) > (o._when, o.seq)
    def __ge__(self, o): return (self._when, self.seq) >= (o._when, o.seq)

events.TimerHandle = TimerHandle

class VirtualLoop(asyncio.SelectorEventLoop):       # coro_clock_virtual
    def __init__(self):
        super().__init__()
        self.vt = 0
        self.iters = 0
        real = self._selector.select
        def select(timeout=None):       # once per iteration
            self.iters += 1
            if timeout is None:         # nothing left: run_forever returns
                self.stop()
                return real(0)
            self.vt += timeout          # a wait jumps to its deadline,
            self.vt += (DRIFT >> (self.iters % 5)) & 1  # then the drift
            return real(0)
        self._selector.select = select
    def time(self): return self.vt

loop = VirtualLoop()
asyncio.set_event_loop(loop)
loop.set_exception_handler(lambda l, c: None)

LOG = []
def log(kind, a, b=0, c=0, d=0):
    LOG.append((int(loop.time()), kind, a, b, c, d))

class Err(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code

def code(e):
    if isinstance(e, asyncio.CancelledError): return ECANCELLED
    if isinstance(e, Err): return e.code
    raise e

def outcome(f):         # (error code, value) of a done future
    if f.cancelled(): return ECANCELLED, NONEV
    if f.exception() is not None: return code(f.exception()), NONEV
    r = f.result()
    return 0, NONEV if r is None else r

def full(): return SLOTS[0] >= CAP

@types.coroutine
def bare_yield():
    yield

# ---- sleep: asyncio.sleep, with a timer slot -------------------------------
class SleepFuture(asyncio.Future):
    def cancel(self, msg=None):         # the library frees the slot at once
        if not super().cancel(msg=msg): return False
        self.h.cancel()
        return True

def set_unless_cancelled(f):
    if not f.done(): f.set_result(None)

async def vsleep(d):
    if d <= 0:
        await bare_yield()
        return None
    if full(): raise Err(EFULL)
    f = SleepFuture(loop=loop)
    f.h = loop.call_at(loop.time() + d, set_unless_cancelled, f)
    try:
        return await f
    finally:
        f.h.cancel()

# ---- Lock: 3.11's, a cancelled waiter leaving at once ----------------------
class WaiterFuture(asyncio.Future):
    def cancel(self, msg=None):
        if not super().cancel(msg=msg): return False
        try: self.lst.remove(self)
        except ValueError: pass
        return True

class Lock:
    def __init__(self):
        self._waiters = collections.deque()
        self._locked = False
    def locked(self): return self._locked
    async def acquire(self):
        if not self._locked and not self._waiters:
            self._locked = True
            return True
        fut = WaiterFuture(loop=loop)
        fut.lst = self._waiters
        self._waiters.append(fut)
        try:
            try:
                await fut
            finally:
                try: self._waiters.remove(fut)
                except ValueError: pass
        except asyncio.CancelledError:
            if not self._locked:
                self._wake_up_first()
            raise
        self._locked = True
        return True
    def release(self):
        if not self._locked: raise RuntimeError('Lock is not acquired.')
        self._locked = False
        self._wake_up_first()
    def _wake_up_first(self):
        if self._waiters and not self._waiters[0].done():
            self._waiters[0].set_result(True)

# ---- Condition: tests/test_sync.c's (3.11's, with 3.13's gh-112202 fix) ----
class Condition:
    def __init__(self, lock):
        self._lock = lock
        self._waiters = collections.deque()
    def locked(self): return self._lock.locked()
    async def wait(self):
        if not self.locked():
            raise RuntimeError('cannot wait on un-acquired lock')
        self._lock.release()
        S['owner'] = -1
        notified = False
        try:
            try:
                fut = loop.create_future()
                self._waiters.append(fut)
                try:
                    await fut
                    return True
                finally:
                    notified = fut.done() and not fut.cancelled()
                    self._waiters.remove(fut)
            finally:
                cancelled = False
                while True:
                    try:
                        await self._lock.acquire()
                        break
                    except asyncio.CancelledError:
                        cancelled = True
                if cancelled:
                    raise asyncio.CancelledError
        except BaseException:
            if notified:
                self.notify(1)
            raise
    def notify(self, n=1):
        if not self.locked():
            raise RuntimeError('cannot notify on un-acquired lock')
        idx = 0
        for fut in self._waiters:
            if idx >= n: break
            if not fut.done():
                idx += 1
                fut.set_result(False)

# ---- Queue: tests/test_sync.c's (3.11's without barging) -------------------
class Queue(asyncio.Queue):
    def __init__(self, maxsize):
        super().__init__(maxsize)
        self._items_promised = 0
        self._slots_promised = 0
    def empty(self): return self.qsize() <= self._items_promised
    def full(self): return self.qsize() + self._slots_promised >= self._maxsize
    def _wake(self, waiters):
        while waiters:
            w = waiters.popleft()
            if not w.done():
                w.set_result(None)
                return 1
        return 0
    def put_nowait(self, item):
        if self.full(): raise asyncio.QueueFull
        self._put(item)
        self._unfinished_tasks += 1
        self._finished.clear()
        if not self.empty(): self._items_promised += self._wake(self._getters)
    def get_nowait(self):
        if self.empty(): raise asyncio.QueueEmpty
        item = self._get()
        if not self.full(): self._slots_promised += self._wake(self._putters)
        return item
    async def put(self, item):
        if self.full():
            putter = self._get_loop().create_future()
            self._putters.append(putter)
            try:
                await putter
            except:
                promised = putter.done() and not putter.cancelled()
                putter.cancel()
                try: self._putters.remove(putter)
                except ValueError: pass
                if promised:
                    self._slots_promised -= 1
                    if not self.full(): self._slots_promised += self._wake(self._putters)
                raise
            self._slots_promised -= 1
        self.put_nowait(item)
    async def get(self):
        if self.empty():
            getter = self._get_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except:
                promised = getter.done() and not getter.cancelled()
                getter.cancel()
                try: self._getters.remove(getter)
                except ValueError: pass
                if promised:
                    self._items_promised -= 1
                    if not self.empty(): self._items_promised += self._wake(self._getters)
                raise
            self._items_promised -= 1
        return self.get_nowait()

# ---- wait_for as loop.h has it: a future watching inner, deciding as 3.11 --
# 3.11's wait_for: a timeout <= 0 cancels inner at once (a done inner gives
# its outcome); at the deadline it wakes an iteration later and a done inner
# gives its outcome; cancelled while inner is done, it returns fut.result().
class WaitFor(asyncio.Future):
    def __init__(self, inner, tmo):
        super().__init__(loop=loop)
        self.inner, self.timed_out, self.cancelling, self.h = inner, False, False, None
        if tmo is not None and tmo <= 0:
            if inner.done():
                self._settle(inner)
                return
            self.timed_out = True
            inner.cancel()
        elif tmo is not None:
            if full(): raise Err(EFULL)
            self.h = loop.call_at(loop.time() + tmo, self._timeout)
        inner.add_done_callback(self._inner_done)
    def _timeout(self):
        self.h = loop.call_soon(self._expire)   # the iteration 3.11's task wakes
    def _expire(self):
        self.h = None
        if self.inner.done():
            self.inner.remove_done_callback(self._inner_done)
            self._settle(self.inner)
            return
        self.timed_out = True
        self.inner.cancel()
    def _inner_done(self, inner):
        if self.h: self.h.cancel()
        self.h = None
        if self.done(): return
        self._settle(inner)
    def _settle(self, inner):
        e, v = outcome(inner)
        if self.cancelling: super().cancel()
        elif self.timed_out and e == ECANCELLED: self.set_exception(Err(ETIMEDOUT))
        elif e == ECANCELLED: super().cancel()
        elif e: self.set_exception(inner.exception())
        else: self.set_result(inner.result())
    def cancel(self, msg=None):
        if self.done(): return False
        if self.h: self.h.cancel()
        self.h = None
        if self.inner.done():
            self.inner.remove_done_callback(self._inner_done)
            self._settle(self.inner)
            return True
        self.cancelling = True
        self.inner.cancel()
        return True

# ---- asyncio.wait: 3.11's _wait, the timer freed when the waiter is cancelled
class Waiter(asyncio.Future):
    def cancel(self, msg=None):
        if not super().cancel(msg=msg): return False
        if self.h: self.h.cancel()
        return True

def release_waiter(w):
    if not w.done(): w.set_result(None)

async def vwait(fs, timeout, return_when):
    waiter = Waiter(loop=loop)
    waiter.h = None
    if timeout is not None:
        if full(): raise Err(EFULL)
        waiter.h = loop.call_at(loop.time() + timeout, release_waiter, waiter)
    counter = len(fs)
    def on_completion(f):
        nonlocal counter
        counter -= 1
        if (counter <= 0 or return_when == asyncio.FIRST_COMPLETED or
                return_when == asyncio.FIRST_EXCEPTION and (not f.cancelled() and
                                                            f.exception() is not None)):
            if waiter.h is not None: waiter.h.cancel()
            if not waiter.done(): waiter.set_result(None)
    for f in fs:
        f.add_done_callback(on_completion)
    try:
        await waiter
    finally:
        if waiter.h is not None: waiter.h.cancel()
        for f in fs:
            f.remove_done_callback(on_completion)
    return sum(1 << i for i, f in enumerate(fs) if f.done())

# ---- the objects of the program ---------------------------------------------
FUTS = [loop.create_future() for _ in range(8)]
LOCK = Lock()
COND = Condition(LOCK)
Q = EV = SEMA = None
TASK = [None] * NT
S = {'owner': -1, 'phase': 0, 'stop_req': False}

class Driver:
    def __init__(self, i):
        self.i, self.runs, self.state, self.h, self.fut, self.token = i, 0, 'idle', None, -1, 0
    def where(self):
        if self.state == 'futcb' and FUTS[self.fut].done(): return 'ready'
        return self.state
    def _fn(self):
        self.token += 1
        tok = self.token
        def fn(*args):
            if self.token == tok: self.run()
        return fn
    def soon(self):
        if self.where() != 'idle': return EBUSY
        self.h = loop.call_soon(self._fn())
        self.state = 'ready'
        return 0
    def at(self, when):
        if self.where() != 'idle': return EBUSY
        if full(): return EFULL
        self.h = loop.call_at(when, self._fn())
        self.state = 'timer'
        return 0
    def cancel(self):
        if self.where() not in ('ready', 'timer'): return ESTATE
        if self.h: self.h.cancel()
        self.h, self.state = None, 'idle'
        self.token += 1
        return 0
    def add_cb(self, k):
        if self.where() != 'idle': return EBUSY
        self.cbfn = self._fn()
        self.state, self.fut = 'futcb', k
        FUTS[k].add_done_callback(self.cbfn)
        return 0
    def remove_cb(self, k):
        if self.where() != 'futcb' or self.fut != k: return ESTATE
        FUTS[k].remove_done_callback(self.cbfn)
        self.state = 'idle'
        self.token += 1
        return 0
    def run(self):
        self.h, self.state = None, 'idle'
        self.runs += 1
        log(L_DRV, self.i, self.runs)
        if self.runs <= BUDGET:
            a, b = DRIVERS[self.i][2] % NA, DRIVERS[self.i][3]
            rc, v = act(a, b)
            log(L_ACT, self.i, a, rc, v)

DRV = [Driver(i) for i in range(ND)]

def spawn(j):
    if TASK[j] is not None: return SKIP
    t = TASK[j] = loop.create_task(body(j))
    def td(t, j=j):
        e, v = outcome(t)
        log(L_TD, j, e, v, int(t.cancelled()))
    t.add_done_callback(td)
    return 0

def act(kind, b):
    if kind == A_SPAWN: return spawn(arg_task(b)), NONEV
    if kind == A_CANCEL_T:
        t = TASK[arg_task(b)]
        return (SKIP if t is None else 0 if t.cancel() else ESTATE), NONEV
    if kind in (A_SET, A_SET_ERR):
        f = FUTS[arg_fut(b)]
        if f.done(): return ESTATE, NONEV
        if kind == A_SET: f.set_result(arg_val(b))
        else: f.set_exception(Err(arg_err(b)))
        return 0, NONEV
    if kind == A_CANCEL_F: return (0 if FUTS[arg_fut(b)].cancel() else ESTATE), NONEV
    if kind in (A_SOON, A_LATER, A_CANCEL_H):
        h = arg_handle(b)
        if h < 0: return SKIP, NONEV
        d = DRV[h]
        if kind == A_SOON: return d.soon(), NONEV
        if kind == A_LATER: return d.at(loop.time() + LATER_MS[b >> 5]), NONEV
        return d.cancel(), NONEV
    if kind in (A_ADD_CB, A_REMOVE_CB):
        h = arg_handle_hi(b)
        if h < 0: return SKIP, NONEV
        if kind == A_ADD_CB: return DRV[h].add_cb(arg_fut(b)), NONEV
        return DRV[h].remove_cb(arg_fut(b)), NONEV
    if kind == A_PUT_NW:
        try: Q.put_nowait(b)
        except asyncio.QueueFull: return EFULL, NONEV
        return 0, NONEV
    if kind == A_GET_NW:
        try: return 0, Q.get_nowait()
        except asyncio.QueueEmpty: return EEMPTY, NONEV
    if kind == A_RELEASE:
        try: LOCK.release()
        except RuntimeError: return ESTATE, NONEV
        S['owner'] = -1
        return 0, NONEV
    if kind == A_STOP:
        if S['phase'] < 2: return SKIP, NONEV
        loop.stop()
        S['stop_req'] = True
        return 0, NONEV
    if kind == A_EV_SET:
        EV.set()
        return 0, NONEV
    if kind == A_EV_CLEAR:
        EV.clear()
        return 0, NONEV
    if kind == A_SEM_RELEASE:
        try: SEMA.release()
        except ValueError: return EFULL, NONEV
        return 0, NONEV
    if kind in (A_NOTIFY, A_NOTIFY_ALL):
        try: COND.notify(1 + (b & 1) if kind == A_NOTIFY else NT)
        except RuntimeError: return ESTATE, NONEV
        return 0, NONEV
    if kind == A_TASK_DONE:
        try: Q.task_done()
        except ValueError: return ESTATE, NONEV
        return 0, NONEV
    return SKIP, NONEV

def prepare(j, kind, x):
    """The awaitable of an awaiting op (made after its synchronous part), or
    None if the op is skipped."""
    if kind == OP_SLEEP: return lambda: vsleep(SLEEP_MS[x & 7])
    if kind == OP_AWAIT_F:
        f = FUTS[arg_fut(x)]
        async def aw(): return await f
        return aw
    if kind == OP_AWAIT_T:
        k = arg_higher(j, x)
        if k < 0: return None
        spawn(k)
        async def aw(): return await TASK[k]
        return aw
    if kind in (OP_GATHER, OP_WAIT):
        k = arg_fut(x)
        ch = [FUTS[k]]
        if x & 8:
            c = arg_higher(j, x >> 4)
            if c >= 0:
                spawn(c)
                ch.append(TASK[c])
        if (x & 0x80) and ((x >> 4) & 7) != k: ch.append(FUTS[(x >> 4) & 7])
        if kind == OP_WAIT:
            return lambda: vwait(ch, TMO_MS[(x >> 4) & 7], arg_mode(x))
        async def aw():
            await asyncio.gather(*ch)
            return None
        return aw
    if kind in (OP_WAIT_FOR, OP_SHIELD):
        c = arg_higher(j, x >> 1) if x & 1 else -1
        if c >= 0:
            spawn(c)
            inner = TASK[c]
        else:
            inner = FUTS[(x >> 1) & 7]
        if kind == OP_SHIELD:
            async def aw(): return await asyncio.shield(inner)
            return aw
        async def aw(): return await WaitFor(inner, TMO_MS[(x >> 4) & 7])
        return aw
    if kind == OP_LOCK:
        async def aw():
            await LOCK.acquire()
            return None
        return aw
    if kind == OP_PUT:
        async def aw():
            await Q.put(x)
            return None
        return aw
    if kind == OP_GET: return lambda: Q.get()
    async def aw():
        if kind == OP_EV_WAIT: await EV.wait()
        elif kind == OP_SEM_ACQ: await SEMA.acquire()
        elif kind == OP_JOIN: await Q.join()
        else:
            try: await COND.wait()
            except RuntimeError: raise Err(ESTATE)
        return None
    return aw

async def body(j):
    ops = TASKS[j][1]
    pc = 0
    try:
        while pc < len(ops):
            kind, x, catch = ops[pc]
            if kind >= OP_NAWAIT:
                if kind == OP_RETURN:
                    log(L_OP, j, pc, 0, arg_val(x))
                    return arg_val(x)
                if kind == OP_RAISE:
                    log(L_OP, j, pc, arg_err(x), NONEV)
                    raise Err(arg_err(x))
                if kind == OP_UNLOCK:
                    rc, v = SKIP, NONEV
                    if S['owner'] == j:
                        LOCK.release()
                        S['owner'], rc = -1, 0
                else:
                    rc, v = act(kind - OP_ACT, x)
                log(L_OP, j, pc, rc, v)
                pc += 1
                continue
            log(L_AWAIT, j, pc)
            aw = prepare(j, kind, x)
            if aw is None:
                log(L_OP, j, pc, SKIP, NONEV)
                pc += 1
                continue
            exc = None
            try:
                r = await aw()
            except BaseException as e:
                exc = e
            if exc is None:
                log(L_OP, j, pc, 0, NONEV if r is None else r)
                if kind in (OP_LOCK, OP_COND_WAIT): S['owner'] = j
            else:
                log(L_OP, j, pc, code(exc), NONEV)
                if kind == OP_COND_WAIT and code(exc) != ESTATE: S['owner'] = j
                if not catch: raise exc
            pc += 1
        return None
    finally:
        if S['owner'] == j:
            LOCK.release()
            S['owner'] = -1
            log(L_FIN, j, 0)

def run_all():
    while True:
        loop.run_forever()
        if not S['stop_req']: break
        S['stop_req'] = False
        log(L_STOPPED, 0)

async def make_objects(): return Queue(QCAP), asyncio.Event(), asyncio.BoundedSemaphore(SEM)
Q, EV, SEMA = loop.run_until_complete(make_objects())   # binds them; runs nothing else

for j, (start, ops) in enumerate(TASKS):
    if start or j == 0: spawn(j)
for i, (when, armed0, a, b) in enumerate(DRIVERS):
    if armed0: log(L_SETUP, i, DRV[i].at(when))
S['phase'] = 1
try:
    loop.run_until_complete(TASK[0])
except BaseException:
    pass
e, v = outcome(TASK[0]) if TASK[0].done() else (ESTATE, NONEV)
log(L_PHASE, 1, e, v)
S['phase'] = 2
run_all()
S['phase'] = 3
for rnd in range(1000):
    pending = [j for j in range(NT) if TASK[j] is not None and not TASK[j].done()]
    if not pending: break
    log(L_ROUND, rnd)
    for j in range(NT):
        if TASK[j] is not None and not TASK[j].done():
            log(L_CANCEL, j, 0 if TASK[j].cancel() else ESTATE)
    before = len(LOG)
    run_all()
    if len(LOG) == before:          # nothing happened: it never will
        log(L_STUCK, rnd)
        break

for i in range(max(len(LOG), len(EXPECTED))):
    a = LOG[i] if i < len(LOG) else None
    b = EXPECTED[i] if i < len(EXPECTED) else None
    if a != b:
        print('fuzz_loop.py: asyncio and the model differ at entry %d' % i)
        for k in range(max(0, i - 12), min(i + 4, max(len(LOG), len(EXPECTED)))):
            print('  asyncio %4d %s' % (k, LOG[k] if k < len(LOG) else '-'))
            print('  model   %4d %s' % (k, EXPECTED[k] if k < len(EXPECTED) else '-'))
        sys.exit(1)
print('fuzz_loop.py: same (%d entries)' % len(LOG))
