/* SPDX-License-Identifier: MIT */
/*
 * resolve.h -- name resolution without blocking the loop: asyncio's
 * loop.getaddrinfo, which runs socket.getaddrinfo in the loop's default
 * executor (run_in_executor), here on a small fixed pool of worker threads
 * (pthreads). Opt-in: the only place the library starts threads, and only
 * when you start a resolver; hosts only (the embedded builds leave it out).
 * struct addrinfo is POSIX: with -std=c99, define _POSIX_C_SOURCE 200112L
 * (or more) before including this header to read the results.
 *
 *   static struct coro_resolver res;
 *   coro_resolver_start(&res, &loop, 2);              // 2 workers, loop = a selector loop
 *   ...
 *   struct lookup { struct coro_task task; struct coro_getaddrinfo gai; };
 *   // in the task's body:  infos = await loop.getaddrinfo('localhost', 80)
 *   CORO_GETADDRINFO(co, &f->gai, &res, "localhost", "80", &hints);
 *   ...f->gai.res is yours: freeaddrinfo(f->gai.res)...
 *   ...
 *   coro_resolver_stop(&res);                         // joins the threads
 *
 * The rule that keeps a cancelled lookup safe: a worker never touches a
 * work item (struct coro_getaddrinfo). It copies the host and service into
 * buffers of its own when it takes the item, resolves into its own
 * variables, and hands the result over under the pool's lock, and only if
 * the item is still waiting for it. Cancelling the item (or the task
 * awaiting it) on the loop's thread withdraws it under that lock, wherever
 * it is (queued, being resolved, resolved and on its way to the loop); the
 * future is cancelled at once and from then on nobody refers to the item:
 * its memory (a task's frame) may be reused at once, and the worker frees
 * the result nobody wants. So: keep an item and its strings alive while
 * its future is pending; once it is done (result, error or cancelled), the
 * item is yours again.
 */
#ifndef CORO_RESOLVE_H
#define CORO_RESOLVE_H

#include <pthread.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>

#include "io.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most worker threads a resolver has. */
#define CORO_RESOLVER_MAX 8
/* The longest host name a lookup takes (NI_MAXHOST, with its NUL). */
#define CORO_RESOLVE_HOST_MAX 1025
/* The longest service (port number or name) a lookup takes, with its NUL. */
#define CORO_RESOLVE_SERVICE_MAX 32

struct coro_resolver;

/* One lookup: loop.getaddrinfo(host, service, family=..., ...). 104 bytes on
 * x86-64. Caller-owned (in the awaiting task's frame, say); its fields are
 * private but for `res`. Keep it alive while its future is pending (see the
 * rule above). */
struct coro_getaddrinfo {
    struct coro_future fut;         /* result coro_ptr(res), or the error */
    coro_cancel_hook cancel;        /* private: as struct coro_future_hooked */
    struct addrinfo *res;           /* after success: the list, yours to
                                       freeaddrinfo */
    struct coro_resolver *r;
    const char *host, *service;     /* the caller's, until a worker took them */
    int flags, family, socktype, protocol;  /* the hints */
    int err;                        /* the worker's answer, mapped */
    unsigned char where;            /* private: queued, resolving, resolved */
    struct addrinfo *cur;           /* private: open_connection's next address */
    unsigned char connecting;       /* private: open_connection is past the lookup */
    struct coro_getaddrinfo *next;  /* on the pool's queue or finished list */
};

/* One worker thread and what it resolves. Private. */
struct coro_resolver_worker {
    pthread_t th;
    struct coro_resolver *r;
    struct coro_getaddrinfo *item;  /* the item it resolves for, or NULL
                                       once cancelled (under r->mu) */
    char host[CORO_RESOLVE_HOST_MAX];
    char service[CORO_RESOLVE_SERVICE_MAX];
};

/* The pool: about 8.6 KB on x86-64. Caller-owned; fields private. Bound to
 * one selector loop, whose thread is the only one that may call the
 * functions here (the workers are the pool's own). */
struct coro_resolver {
    struct coro_loop *loop;
    pthread_mutex_t mu;             /* guards everything below but `done` */
    pthread_cond_t cv;              /* a lookup is queued, or stopping */
    struct coro_getaddrinfo *queue, *queue_tail;        /* not yet taken */
    struct coro_getaddrinfo *finished, *finished_tail;  /* resolved */
    struct coro_handle done;        /* posted by a worker (call_soon_threadsafe):
                                       completes the finished lookups */
    unsigned nworkers;
    int stopping;
    struct coro_resolver_worker workers[CORO_RESOLVER_MAX];
};

/* Starts n worker threads (1..CORO_RESOLVER_MAX) resolving for `loop`, which
 * must have a selector (coro_io_loop_open: the workers wake it with
 * call_soon_threadsafe; stop the resolver before coro_io_loop_close). While
 * lookups are on their way, the loop keeps waiting for them. 0; CORO_EINVAL (NULL, n out of range, a loop without
 * selector); or -errno (pthread_create failed: the threads started are
 * joined, nothing is left). */
int coro_resolver_start(struct coro_resolver *r, struct coro_loop *loop, unsigned n);

/* Shuts the pool down, on the loop's thread: each worker finishes the
 * lookup it is in (getaddrinfo cannot be interrupted) and its thread is
 * joined; then the lookups that were resolved complete as usual, and those
 * still queued complete with CORO_ECLOSED (their callbacks and tasks run at
 * the loop's next iterations). Afterwards r holds nothing: start it again
 * or drop it. 0, or CORO_EINVAL (NULL, or not started). */
int coro_resolver_stop(struct coro_resolver *r);

/* loop.getaddrinfo(host, service, hints): queues the lookup of it on r's
 * workers; await it->fut (or use CORO_GETADDRINFO). Zero an item before its
 * first use (static, calloc'd and `= {0}` memory are). host or service may
 * be NULL (not both); of hints only ai_flags, ai_family, ai_socktype and
 * ai_protocol count, and NULL means all 0 (as Python passes them); the
 * strings stay the caller's and must live while the future is pending. The
 * future ends with coro_ptr(it->res) (the list, now yours to freeaddrinfo),
 * or an error: CORO_ENONAME, CORO_ENAMEAGAIN, CORO_ERESOLVE (getaddrinfo's
 * EAI_* codes, coro_gai_error), -ENOMEM, -errno; CORO_ECLOSED if r stopped
 * first; CORO_ECANCELLED when cancelled (the result, if any, is freed by the
 * pool). 0; CORO_EINVAL (NULL it or r, no host and no service, a host or
 * service too long: nothing is queued); CORO_EBUSY (it is pending already);
 * CORO_ECLOSED (r is not running). */
int coro_getaddrinfo(struct coro_getaddrinfo *it, struct coro_resolver *r, const char *host,
                     const char *service, const struct addrinfo *hints);

/* getaddrinfo's error code (EAI_*) as a coro error: CORO_ENONAME (EAI_NONAME,
 * EAI_SERVICE, EAI_NODATA, EAI_ADDRFAMILY: socket.gaierror "Name or service
 * not known"), CORO_ENAMEAGAIN (EAI_AGAIN), -ENOMEM (EAI_MEMORY), -errno
 * (EAI_SYSTEM, errno as it is), CORO_ERESOLVE (any other); 0 for 0. */
int coro_gai_error(int eai);

/* infos = await loop.getaddrinfo(host, service, ...) inside a task: starts
 * the lookup of `it` (in the frame) on resolver r and waits for it; then
 * it->res is the list (yours to freeaddrinfo). Errors (coro_getaddrinfo's,
 * the lookup's, CORO_ECANCELLED) are raised here, and then it->res is NULL:
 * a cancel that comes after the lookup completed, before the task resumed,
 * frees the list here. Expands to
 *     if ((co->err = coro_getaddrinfo(it, r, host, service, hints))) <raise>;
 *     CORO_YIELD(co, coro_ptr(&it->fut));      // as CORO_AWAIT_FUTURE_VOID
 *     if (co->err) { <free it->res>; <raise>; } */
#define CORO_GETADDRINFO(co, it, r, host, service, hints) \
    do { \
        if (((co)->err = coro_getaddrinfo((it), (r), (host), (service), (hints))) != 0) \
            CORO__UNWIND(co); \
        coro__store((co), coro_ptr(&(it)->fut)); \
        CORO__SUSPEND(co, CORO_YIELDED, __LINE__); \
        if ((co)->err) { \
            coro__getaddrinfo_drop(it); \
            CORO__UNWIND(co); \
        } \
    } while (0)

/* reader, writer = await asyncio.open_connection(host, port), with a host
 * name: resolves host and service (a port number or name) on r with `it`
 * (in the frame; any family, TCP), then connects the initialised stream s
 * (coro_stream_init, no fd) to each address in getaddrinfo's order until
 * one answers, as asyncio does. The list is freed before it returns.
 * Raises the lookup's errors, or the last address's connect error
 * (-ECONNREFUSED, ...), CORO_ECANCELLED; then s has no fd. Expands to
 *     if ((co->err = <start the lookup, TCP hints>)) <raise>;
 *     do {
 *         CORO_YIELD(co, <the lookup's future, or none while connecting>);
 *     } while ((co->err = <next step: connect to the next address>) == <pending>);
 *     if (co->err) <raise>; */
#define CORO_STREAM_OPEN_CONNECTION_HOST(co, s, it, r, host, service) \
    do { \
        if (((co)->err = coro__connect_lookup((it), (r), (host), (service))) != 0) \
            CORO__UNWIND(co); \
        do { \
            coro__store((co), (it)->connecting ? coro_none() : coro_ptr(&(it)->fut)); \
            CORO__SUSPEND(co, CORO_YIELDED, __LINE__); \
        } while (((co)->err = coro__connect_step((s), (it), (co)->err)) == CORO__PENDING); \
        if ((co)->err) \
            CORO__UNWIND(co); \
    } while (0)

/* Private: open_connection's lookup (SOCK_STREAM, any family). */
int coro__connect_lookup(struct coro_getaddrinfo *it, struct coro_resolver *r, const char *host,
                         const char *service);
/* Private: open_connection's next step, after the task resumed with err:
 * the lookup's outcome, then each connect's. CORO__PENDING (waiting for a
 * connect: the step that yields next waits), 0 (connected), or the error;
 * the list is freed once it is not pending. */
int coro__connect_step(struct coro_stream *s, struct coro_getaddrinfo *it, int err);

/* Private: frees it->res, if any, and sets it to NULL. */
void coro__getaddrinfo_drop(struct coro_getaddrinfo *it);

#ifdef __cplusplus
}
#endif

#endif /* CORO_RESOLVE_H */
