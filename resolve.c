/* SPDX-License-Identifier: MIT */
/*
 * resolve.c -- getaddrinfo on a small fixed pool of worker threads, its
 * results handed to the loop's thread through call_soon_threadsafe. See
 * resolve.h for the rule that makes a cancel safe: a worker never touches a
 * work item, only the pool's lists, under the pool's lock.
 */
#define _GNU_SOURCE 1           /* EAI_NODATA, EAI_ADDRFAMILY */
#include <errno.h>
#include <string.h>

#include "resolve.h"
#include "internal.h"

/* Where an item is (coro_getaddrinfo.where). */
#define IDLE      0u            /* not queued: done, or never started */
#define QUEUED    1u            /* on r->queue */
#define RESOLVING 2u            /* a worker's item */
#define RESOLVED  3u            /* on r->finished: its result is in it */

int coro_gai_error(int eai)
{
    switch (eai) {
    case 0:
        return 0;
    case EAI_NONAME:
    case EAI_SERVICE:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
#endif
        return CORO_ENONAME;
    case EAI_AGAIN:
        return CORO_ENAMEAGAIN;
    case EAI_MEMORY:
        return -ENOMEM;
    case EAI_SYSTEM:
        return errno ? -errno : CORO_ERESOLVE;
    default:
        return CORO_ERESOLVE;
    }
}

/* Appends it to the list head..tail (linked through next). */
static void list_append(struct coro_getaddrinfo **head, struct coro_getaddrinfo **tail,
                        struct coro_getaddrinfo *it)
{
    it->next = NULL;
    if (*head)
        (*tail)->next = it;
    else
        *head = it;
    *tail = it;
}

/* Unlinks it from the list head..tail: 1 if it was there. */
static int list_remove(struct coro_getaddrinfo **head, struct coro_getaddrinfo **tail,
                       struct coro_getaddrinfo *it)
{
    struct coro_getaddrinfo **p, *prev = NULL;
    for (p = head; *p && *p != it; p = &(*p)->next)
        prev = *p;
    if (!*p)
        return 0;
    *p = it->next;
    if (*tail == it)
        *tail = prev;
    return 1;
}

/* The item's future ends with its error, or its list. Loop thread. */
static void item_finish(struct coro_getaddrinfo *it, int err)
{
    it->where = IDLE;
    coro__io_expect(it->fut.loop, -1);
    if (err)
        coro_future_set_error(&it->fut, err);
    else
        coro_future_set_result(&it->fut, coro_ptr(it->res));
}

/* r->done, run on the loop's thread: completes what the workers resolved. */
static void resolver_done(struct coro_handle *h)
{
    struct coro_resolver *r = CORO__CONTAINER_OF(h, struct coro_resolver, done);
    struct coro_getaddrinfo *it, *next;
    pthread_mutex_lock(&r->mu);
    it = r->finished;
    r->finished = r->finished_tail = NULL;
    pthread_mutex_unlock(&r->mu);
    for (; it; it = next) {
        next = it->next;
        item_finish(it, it->err);
    }
}

static void *worker_main(void *p)
{
    struct coro_resolver_worker *w = (struct coro_resolver_worker *)p;
    struct coro_resolver *r = w->r;
    struct coro_getaddrinfo *it;
    struct addrinfo hints, *res;
    int has_host, has_service, rc;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->queue && !r->stopping)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stopping)
            break;
        /* take the first item: copy what it asks, never touch it again
         * but under the lock and while it is still w->item */
        it = r->queue;
        r->queue = it->next;
        it->where = RESOLVING;
        w->item = it;
        has_host = it->host != NULL;
        has_service = it->service != NULL;
        if (has_host)
            strcpy(w->host, it->host);
        if (has_service)
            strcpy(w->service, it->service);
        memset(&hints, 0, sizeof hints);
        hints.ai_flags = it->flags;
        hints.ai_family = it->family;
        hints.ai_socktype = it->socktype;
        hints.ai_protocol = it->protocol;
        pthread_mutex_unlock(&r->mu);

        res = NULL;
        errno = 0;
        rc = getaddrinfo(has_host ? w->host : NULL, has_service ? w->service : NULL,
                         &hints, &res);
        rc = coro_gai_error(rc);

        pthread_mutex_lock(&r->mu);
        it = w->item;
        w->item = NULL;
        if (it) {                       /* still wanted: hand it over */
            it->res = rc ? NULL : res;
            it->err = rc;
            it->where = RESOLVED;
            list_append(&r->finished, &r->finished_tail, it);
            res = NULL;
        }
        pthread_mutex_unlock(&r->mu);
        if (res)                        /* cancelled meanwhile: nobody's */
            freeaddrinfo(res);
        if (it)
            coro_loop_call_soon_threadsafe(r->loop, &r->done);  /* EBUSY: on its way */
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Joins the first n workers (r->stopping is set). */
static void join_workers(struct coro_resolver *r, unsigned n)
{
    unsigned i;
    pthread_mutex_lock(&r->mu);
    r->stopping = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (i = 0; i < n; i++)
        pthread_join(r->workers[i].th, NULL);
}

int coro_resolver_start(struct coro_resolver *r, struct coro_loop *loop, unsigned n)
{
    unsigned i;
    int rc;
    struct coro_handle probe;
    if (!r || !loop || n < 1 || n > CORO_RESOLVER_MAX)
        return CORO_EINVAL;
    /* a loop without selector cannot be woken from a thread */
    coro_handle_init(&probe, resolver_done);
    if (coro__io_unpost(loop, &probe) == CORO_EINVAL)
        return CORO_EINVAL;
    memset(r, 0, sizeof *r);
    r->loop = loop;
    coro_handle_init(&r->done, resolver_done);
    if ((rc = pthread_mutex_init(&r->mu, NULL)) != 0)
        return -rc;
    if ((rc = pthread_cond_init(&r->cv, NULL)) != 0) {
        pthread_mutex_destroy(&r->mu);
        return -rc;
    }
    for (i = 0; i < n; i++) {
        r->workers[i].r = r;
        rc = pthread_create(&r->workers[i].th, NULL, worker_main, &r->workers[i]);
        if (rc) {
            join_workers(r, i);
            pthread_cond_destroy(&r->cv);
            pthread_mutex_destroy(&r->mu);
            r->loop = NULL;
            return -rc;
        }
    }
    r->nworkers = n;
    return 0;
}

int coro_resolver_stop(struct coro_resolver *r)
{
    struct coro_getaddrinfo *it, *next;
    if (!r || !r->loop || !r->nworkers)
        return CORO_EINVAL;
    join_workers(r, r->nworkers);
    /* no thread is left: the lists are the loop thread's now */
    coro__io_unpost(r->loop, &r->done);
    resolver_done(&r->done);
    for (it = r->queue; it; it = next) {
        next = it->next;
        item_finish(it, CORO_ECLOSED);
    }
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    r->queue = r->queue_tail = NULL;
    r->nworkers = 0;
    r->loop = NULL;
    return 0;
}

void coro__getaddrinfo_drop(struct coro_getaddrinfo *it)
{
    if (it->res)
        freeaddrinfo(it->res);
    it->res = NULL;
}

/* The hook of it->fut: withdraws the lookup wherever it is; the future is
 * cancelled at once. Loop thread. */
static int lookup_cancel(struct coro_future *f)
{
    struct coro_getaddrinfo *it = (struct coro_getaddrinfo *)(void *)f;
    struct coro_resolver *r = it->r;
    union coro_word v;
    unsigned i;
    if (coro_future_done(f))
        return CORO_ESTATE;
    pthread_mutex_lock(&r->mu);
    if (it->where == QUEUED) {
        list_remove(&r->queue, &r->queue_tail, it);
    } else if (it->where == RESOLVING) {
        for (i = 0; i < r->nworkers; i++)
            if (r->workers[i].item == it)
                r->workers[i].item = NULL;      /* the worker frees its result */
    } else if (it->where == RESOLVED) {
        list_remove(&r->finished, &r->finished_tail, it);
        if (it->res)
            freeaddrinfo(it->res);
    }
    pthread_mutex_unlock(&r->mu);
    it->res = NULL;
    it->where = IDLE;
    coro__io_expect(f->loop, -1);
    v.i = CORO_ECANCELLED;
    coro__future_finish(f, CORO_CANCELLED, v, CORO__FAILED);
    return 0;
}

int coro_getaddrinfo(struct coro_getaddrinfo *it, struct coro_resolver *r, const char *host,
                     const char *service, const struct addrinfo *hints)
{
    if (!it || !r || (!host && !service) ||
        (host && strlen(host) >= CORO_RESOLVE_HOST_MAX) ||
        (service && strlen(service) >= CORO_RESOLVE_SERVICE_MAX))
        return CORO_EINVAL;
    if (it->where != IDLE)
        return CORO_EBUSY;
    if (!r->loop || !r->nworkers)
        return CORO_ECLOSED;
    coro_future_hook((struct coro_future_hooked *)(void *)it, r->loop, lookup_cancel);
    it->r = r;
    it->res = NULL;
    it->err = 0;
    it->host = host;
    it->service = service;
    it->flags = hints ? hints->ai_flags : 0;
    it->family = hints ? hints->ai_family : 0;
    it->socktype = hints ? hints->ai_socktype : 0;
    it->protocol = hints ? hints->ai_protocol : 0;
    coro__io_expect(r->loop, +1);
    pthread_mutex_lock(&r->mu);
    it->where = QUEUED;
    list_append(&r->queue, &r->queue_tail, it);
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

/* ---- open_connection with a host name ----------------------------------- */

int coro__connect_lookup(struct coro_getaddrinfo *it, struct coro_resolver *r, const char *host,
                         const char *service)
{
    struct addrinfo hints;
    int rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    rc = coro_getaddrinfo(it, r, host, service, &hints);
    if (rc == 0) {
        it->cur = NULL;
        it->connecting = 0;
    }
    return rc;
}

int coro__connect_step(struct coro_stream *s, struct coro_getaddrinfo *it, int err)
{
    int rc;
    if (!it->connecting) {              /* the lookup's answer */
        if (err) {
            coro__getaddrinfo_drop(it);
            return err;
        }
        it->connecting = 1;
        it->cur = it->res;
        err = it->res ? 0 : CORO_ENONAME;
    } else {                            /* a connect's */
        err = coro_stream_connect_resumed(s, err);
        if (!err || err == CORO_ECANCELLED)
            it->cur = NULL;             /* done, or no other address tried */
    }
    while (it->cur) {
        struct addrinfo *a = it->cur;
        it->cur = a->ai_next;
        rc = coro_stream_connect_start(s, (const struct sockaddr_storage *)(void *)a->ai_addr,
                                       a->ai_addrlen);
        if (rc == CORO__PENDING && (rc = coro_stream_connect_wait(s)) == 0)
            return CORO__PENDING;
        if (rc == 0) {
            err = 0;
            break;
        }
        err = rc;
    }
    coro__getaddrinfo_drop(it);
    return err;
}
