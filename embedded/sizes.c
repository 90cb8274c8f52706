/* SPDX-License-Identifier: MIT */
/*
 * sizes.c -- the bookkeeping sizes of a target, for the table that
 * tests/embedded.sh prints. It is only compiled (one object per target, never
 * linked): each symbol coro_sizeof_X is an array of sizeof(X) bytes, so
 * `nm -S` of the object gives the sizes as that compiler lays them out.
 */
#include "wait.h"
#include "sync.h"

#define CORO_SIZE(name, type) const char coro_sizeof_##name[sizeof(type)] = { 1 }

CORO_SIZE(coro, struct coro);                 /* one generator / coroutine frame header */
CORO_SIZE(value, coro_value);
CORO_SIZE(try, struct coro_try);              /* one try block's bookkeeping */
CORO_SIZE(handle, struct coro_handle);
CORO_SIZE(timer_slot, struct coro_timer_slot);
CORO_SIZE(future, struct coro_future);
CORO_SIZE(task, struct coro_task);            /* includes its struct coro */
CORO_SIZE(loop, struct coro_loop);
CORO_SIZE(watch, struct coro_watch);
CORO_SIZE(wait, struct coro_wait);
CORO_SIZE(wait_for, struct coro_wait_for);
CORO_SIZE(shield, struct coro_shield);
CORO_SIZE(lock, struct coro_lock);
CORO_SIZE(event, struct coro_event);
CORO_SIZE(condition, struct coro_condition);
CORO_SIZE(semaphore, struct coro_semaphore);
CORO_SIZE(queue, struct coro_queue);
CORO_SIZE(pointer, void *);
