/* SPDX-License-Identifier: MIT */
/*
 * crawler_scratch.c -- the tutorial's own machinery, built from scratch on
 * coro.h alone (no loop.h, no io.h): a Future with callbacks, a Task whose
 * step sends each result into its generator, and a select() loop that calls
 * what became ready.
 *
 *   crawler_scratch PORT [PORT ...]               each fetch one generator
 *                                                 that yields its futures
 *                                                 (`yield f`: crawler_yield.py)
 *   crawler_scratch --yield-from PORT [PORT ...]  connect / read / read_all,
 *                                                 `yield from` down to the
 *                                                 Future's __iter__
 *                                                 (crawler_coro.py)
 *
 * Prints what crawler.c prints: `port P: N bytes` as each fetch finishes,
 * then `total X.X s`. A fetch that fails says so on stderr with its port; the
 * exit status is then 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>

#include "coro.h"

#define READ_SIZE 1024                  /* sock.recv(1024) */
#define FETCH_BUF 65536                 /* the largest response kept */

static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
static int stopped;                     /* stopped = False */
static int pending;                     /* pending = set() */
static int failed;

/* ---- class Future: ------------------------------------------------------ */

struct future {
    coro_value result;                  /* self.result = None */
    int ncallbacks;                     /* self._callbacks = []  (two at most: */
    void (*callbacks[2])(void *self, struct future *f); /* here each has one, a step) */
    void *selves[2];                    /* (a bound method: the function and its self) */
};

static void future_init(struct future *f)
{
    memset(f, 0, sizeof *f);
}

/* def add_done_callback(self, fn): self._callbacks.append(fn) */
static void add_done_callback(struct future *f, void (*fn)(void *, struct future *), void *self)
{
    f->callbacks[f->ncallbacks] = fn;
    f->selves[f->ncallbacks++] = self;
}

/* def set_result(self, result): */
static void set_result(struct future *f, coro_value result)
{
    int i;
    f->result = result;                 /* self.result = result */
    for (i = 0; i < f->ncallbacks; i++) /* for fn in self._callbacks: */
        f->callbacks[i](f->selves[i], f); /*   fn(self) */
}

/* def __iter__(self): yield self; return self.result */
struct future_iter {
    struct coro co;
    struct future *future;
};

static int future_iter(struct coro *co)
{
    struct future_iter *f = (struct future_iter *)co;
    CORO_BEGIN(co);
    CORO_YIELD(co, coro_ptr(f->future));        /* yield self */
    CORO_RETURN(co, f->future->result);         /* return self.result */
    CORO_END(co);
}

/* ---- class Task: -------------------------------------------------------- */

struct task {
    struct coro *coro;                  /* self.coro = coro */
};

/* def step(self, future): */
static void step(void *self, struct future *future)
{
    struct task *t = (struct task *)self;
    coro_value next_future;
    if (coro_send(t->coro, future->result, &next_future) != CORO_YIELDED) /* try: next_future = */
        return;                         /* self.coro.send(future.result) except StopIteration: return */
    add_done_callback((struct future *)next_future.v.p, step, t); /* next_future.add_done_callback(self.step) */
}

/* def __init__(self, coro): */
static void task_init(struct task *t, struct coro *coro)
{
    struct future f;
    t->coro = coro;                     /* self.coro = coro */
    future_init(&f);                    /* f = Future() */
    set_result(&f, coro_none());        /* f.set_result(None) */
    step(t, &f);                        /* self.step(f) */
}

/* ---- selector = DefaultSelector(), and def loop(): ---------------------- */

#define EVENT_READ 1
#define EVENT_WRITE 2

static struct key {                     /* a registration: the fd is the index */
    int events;
    void (*data)(void *arg);            /* key.data: what to call when ready */
    void *arg;
} keys[FD_SETSIZE];

/* selector.register(fd, events, data): 0, or -1 if select cannot watch fd */
static int selector_register(int fd, int events, void (*data)(void *), void *arg)
{
    if (fd < 0 || fd >= FD_SETSIZE)
        return -1;
    keys[fd].events = events;
    keys[fd].data = data;
    keys[fd].arg = arg;
    return 0;
}

/* selector.unregister(fd) */
static void selector_unregister(int fd)
{
    keys[fd].events = 0;
}

static void loop(void)
{
    fd_set r, w;
    int fd, nfds;
    while (!stopped) {                                  /* while not stopped: */
        FD_ZERO(&r);
        FD_ZERO(&w);
        for (fd = nfds = 0; fd < FD_SETSIZE; fd++) {
            if (keys[fd].events & EVENT_READ)
                FD_SET(fd, &r);
            if (keys[fd].events & EVENT_WRITE)
                FD_SET(fd, &w);
            if (keys[fd].events)
                nfds = fd + 1;
        }
        if (select(nfds, &r, &w, NULL, NULL) < 0) {     /* selector.select() */
            if (errno == EINTR)
                continue;
            perror("crawler_scratch: select");
            exit(1);
        }
        for (fd = 0; fd < nfds; fd++)                   /* for key, mask in ...: */
            if (((keys[fd].events & EVENT_READ) && FD_ISSET(fd, &r)) ||
                ((keys[fd].events & EVENT_WRITE) && FD_ISSET(fd, &w)))
                keys[fd].data(keys[fd].arg);            /*     key.data() */
    }
}

/* ---- what the selector calls: each sets a future's result -------------- */

struct wait {                           /* a future, and where a chunk goes */
    struct future f;
    int sock;
    char *buf;
    size_t size;
};

static void on_connected(void *arg)     /* def on_connected(): f.set_result(None) */
{
    struct wait *w = (struct wait *)arg;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(w->sock, SOL_SOCKET, SO_ERROR, &err, &len); /* (the result: did it connect?) */
    set_result(&w->f, coro_int(-err));
}

static void on_readable(void *arg)      /* def on_readable(): */
{
    struct wait *w = (struct wait *)arg;
    ssize_t n = recv(w->sock, w->buf, w->size, 0);      /* f.set_result(sock.recv(1024)) */
    set_result(&w->f, coro_int(n < 0 ? -errno : (intptr_t)n));
}

/* sock = socket.socket(); sock.setblocking(False); try: sock.connect(address)
 * except BlockingIOError: pass.  The socket, or -errno. */
static int start_connect(int port)
{
    struct sockaddr_in a;
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0)
        return -errno;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fcntl(sock, F_SETFL, O_NONBLOCK) < 0 ||
        (connect(sock, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)) {
        int err = -errno;
        close(sock);
        return err;
    }
    return sock;
}

/* sock.close(); print('port %d: %d bytes' % ...); pending.remove(address);
 * if not pending: stopped = True */
static void fetched(int port, int sock, long result, size_t len)
{
    if (sock >= 0)
        close(sock);
    if (result < 0) {
        fprintf(stderr, "crawler_scratch: port %d: %s", port, strerror((int)-result));
        if (len)
            fprintf(stderr, " after %zu bytes", len);
        fprintf(stderr, "\n");
        failed = 1;
    } else {
        printf("port %d: %zu bytes\n", port, len);
        fflush(stdout);
    }
    if (--pending == 0)
        stopped = 1;
}

/* ---- first: def fetch(address), one generator that yields f ----------- */

struct fetch_yield {
    struct coro co;
    int port, sock;
    struct wait w;
    long result;
    size_t len;
    char response[FETCH_BUF];
};

static int fetch_yield(struct coro *co)
{
    struct fetch_yield *f = (struct fetch_yield *)co;
    CORO_BEGIN(co);
    f->result = f->sock = start_connect(f->port);       /* sock = socket.socket() ... */
    if (f->sock >= 0) {
        future_init(&f->w.f);                           /* f = Future() */
        f->w.sock = f->sock;
        selector_register(f->sock, EVENT_WRITE,         /* selector.register(sock.fileno(), */
                          on_connected, &f->w);         /*   EVENT_WRITE, on_connected) */
        CORO_YIELD(co, coro_ptr(&f->w.f));              /* yield f */
        selector_unregister(f->sock);                   /* selector.unregister(sock.fileno()) */
        f->result = coro_sent(co).v.i;                  /* (did it connect?) */
    }
    if (f->result >= 0) {
        send(f->sock, request, sizeof request - 1, 0);  /* sock.send(b'GET / HTTP/1.0...') */
        for (;;) {                                      /* response = b''; while True: */
            future_init(&f->w.f);                       /*     f = Future() */
            f->w.buf = f->response + f->len;
            f->w.size = sizeof f->response - f->len < READ_SIZE ? sizeof f->response - f->len
                                                                : READ_SIZE;
            selector_register(f->sock, EVENT_READ,      /*     selector.register(sock.fileno(), */
                              on_readable, &f->w);      /*       EVENT_READ, on_readable) */
            CORO_YIELD(co, coro_ptr(&f->w.f));          /*     chunk = yield f */
            selector_unregister(f->sock);               /*     selector.unregister(sock.fileno()) */
            f->result = coro_sent(co).v.i;
            if (f->result <= 0)                         /*     if chunk: response += chunk */
                break;                                  /*     else: break */
            f->len += (size_t)f->result;
        }
    }
    fetched(f->port, f->sock, f->result, f->len);       /* sock.close(); print(...) */
    CORO_END(co);
}

/* ---- then: connect / read / read_all, each `yield from` the next ------- */

/* def connect(sock, address): */
struct connect {
    struct coro co;
    struct wait w;
    struct future_iter it;
    coro_value r;
};

static int connect_body(struct coro *co)
{
    struct connect *f = (struct connect *)co;
    CORO_BEGIN(co);
    future_init(&f->w.f);                               /* f = Future() */
    selector_register(f->w.sock, EVENT_WRITE, on_connected, &f->w); /* selector.register(..., */
    f->it.future = &f->w.f;                             /*   lambda: f.set_result(None)) */
    coro_init(&f->it.co, future_iter);
    CORO_YIELD_FROM(co, &f->it.co, f->r);               /* yield from f */
    selector_unregister(f->w.sock);                     /* selector.unregister(sock.fileno()) */
    CORO_RETURN(co, f->r);
    CORO_END(co);
}

/* def read(sock): */
struct read {
    struct coro co;
    struct wait w;
    struct future_iter it;
    coro_value chunk;
};

static int read_body(struct coro *co)
{
    struct read *f = (struct read *)co;
    CORO_BEGIN(co);
    future_init(&f->w.f);                               /* f = Future() */
    selector_register(f->w.sock, EVENT_READ, on_readable, &f->w); /* selector.register(..., */
    f->it.future = &f->w.f;                             /*   EVENT_READ, on_readable) */
    coro_init(&f->it.co, future_iter);
    CORO_YIELD_FROM(co, &f->it.co, f->chunk);           /* chunk = yield from f */
    selector_unregister(f->w.sock);                     /* selector.unregister(sock.fileno()) */
    CORO_RETURN(co, f->chunk);                          /* return chunk */
    CORO_END(co);
}

/* def read_all(sock): */
struct read_all {
    struct coro co;
    int sock;
    size_t len;
    struct read read;
    coro_value chunk;
    char response[FETCH_BUF];
};

/* read(sock): the frame of read, reading into what is left of the response */
static struct coro *read_call(struct read_all *f)
{
    size_t room = sizeof f->response - f->len;
    f->read.w.sock = f->sock;
    f->read.w.buf = f->response + f->len;
    f->read.w.size = room < READ_SIZE ? room : READ_SIZE;
    coro_init(&f->read.co, read_body);
    return &f->read.co;
}

static int read_all(struct coro *co)
{
    struct read_all *f = (struct read_all *)co;
    CORO_BEGIN(co);
    f->len = 0;                                         /* response = [] */
    CORO_YIELD_FROM(co, read_call(f), f->chunk);        /* chunk = yield from read(sock) */
    while (f->chunk.v.i > 0 && f->len < sizeof f->response) { /* while chunk: */
        f->len += (size_t)f->chunk.v.i;                 /*     response.append(chunk) */
        CORO_YIELD_FROM(co, read_call(f), f->chunk);    /*     chunk = yield from read(sock) */
    }
    CORO_RETURN(co, f->chunk);                          /* return b''.join(response) (its length: f->len) */
    CORO_END(co);
}

/* def fetch(address): */
struct fetch {
    struct coro co;
    int port, sock;
    struct connect connect;
    struct read_all read_all;
    coro_value r;
};

static int fetch(struct coro *co)
{
    struct fetch *f = (struct fetch *)co;
    CORO_BEGIN(co);
    f->r = coro_int(f->sock = start_connect(f->port));  /* sock = socket.socket() */
    if (f->sock >= 0) {
        f->connect.w.sock = f->sock;
        coro_init(&f->connect.co, connect_body);
        CORO_YIELD_FROM(co, &f->connect.co, f->r);      /* yield from connect(sock, address) */
    }
    if (f->r.v.i >= 0) {
        send(f->sock, request, sizeof request - 1, 0);  /* sock.send(b'GET / HTTP/1.0...') */
        f->read_all.sock = f->sock;
        coro_init(&f->read_all.co, read_all);
        CORO_YIELD_FROM(co, &f->read_all.co, f->r);     /* poem = yield from read_all(sock) */
    }
    fetched(f->port, f->sock, (long)f->r.v.i, f->read_all.len); /* sock.close(); print(...) */
    CORO_END(co);
}

/* ---- if __name__ == '__main__': ----------------------------------------- */

static double now(void)                 /* time.time() */
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int i, yield_from = argc > 1 && strcmp(argv[1], "--yield-from") == 0;
    int first = 1 + yield_from, n = argc - first;
    struct fetch_yield *ys = NULL;      /* the fetches' frames: yield f, */
    struct fetch *fs = NULL;            /* or yield from */
    struct coro **fetches;
    struct task *tasks;
    double start;

    for (i = first; i < argc; i++)
        if (atoi(argv[i]) < 1 || atoi(argv[i]) > 65535) {
            fprintf(stderr, "crawler_scratch: bad port: %s\n", argv[i]);
            return 2;
        }
    if (n < 1) {
        fprintf(stderr, "usage: crawler_scratch [--yield-from] PORT [PORT ...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (yield_from)
        fs = (struct fetch *)calloc((size_t)n, sizeof *fs);
    else
        ys = (struct fetch_yield *)calloc((size_t)n, sizeof *ys);
    fetches = (struct coro **)calloc((size_t)n, sizeof *fetches);
    tasks = (struct task *)calloc((size_t)n, sizeof *tasks);
    if ((!fs && !ys) || !fetches || !tasks)
        return 1;
    for (i = 0; i < n; i++) {                           /* fetch(address), not started */
        if (fs) {
            fs[i].port = atoi(argv[first + i]);
            coro_init(&fs[i].co, fetch);
            fetches[i] = &fs[i].co;
        } else {
            ys[i].port = atoi(argv[first + i]);
            coro_init(&ys[i].co, fetch_yield);
            fetches[i] = &ys[i].co;
        }
    }
    start = now();                                      /* start = time.time() */
    pending = n;                                        /* pending.add(address), for each */
    for (i = 0; i < n; i++)                             /* for port in sys.argv[1:]: */
        task_init(&tasks[i], fetches[i]);               /*     Task(fetch(address)) */
    loop();                                             /* loop() */
    printf("total %.1f s\n", now() - start);            /* print('total %.1f s' % ...) */
    free(fs);
    free(ys);
    free(fetches);
    free(tasks);
    return failed;
}
