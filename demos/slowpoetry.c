/* SPDX-License-Identifier: MIT */
/*
 * slowpoetry.c -- the slow poetry server (tests/reference/slowpoetry.py) on
 * the selector loop: it sends a file NUM_BYTES at a time, one chunk every
 * DELAY seconds, then closes the connection; unlike the Python one, which
 * serves its clients one after the other, it serves many at once, a task per
 * connection.
 *
 *   slowpoetry [--port P] [--num-bytes N] [--delay SECONDS] [--max-clients M]
 *              [--write-timeout SECONDS] [--max-concurrent C]
 *              [--close-after BYTES [--reset]] FILE
 *
 * Listens on 127.0.0.1 only; prints `serving FILE on port P` (P: the port the
 * OS chose for --port 0) and exits once M clients were served (default 1000).
 * It serves at most C clients at once (default 1024; the others wait), and
 * drops a client that took in nothing for --write-timeout seconds (default
 * 30; 0: never), so that clients that never read cannot hold every slot.
 * --close-after BYTES closes each connection once that many bytes are sent:
 * a peer that goes away in the middle of the poem, for the crawlers' tests;
 * with --reset it hangs up with a TCP reset (RST) instead of a FIN.
 *
 * The Python it follows (as asyncio would write slowpoetry.py's loop body):
 *
 *   async def serve(sock):
 *       try:
 *           try:                               # read the request, if the client
 *               async with asyncio.timeout(0.2):   # sends one
 *                   await loop.sock_recv(sock, 4096)
 *           except TimeoutError:
 *               pass
 *           for i in range(0, len(poem), num_bytes):
 *               async with asyncio.timeout(write_timeout):
 *                   await loop.sock_sendall(sock, poem[i:i + num_bytes])
 *               await asyncio.sleep(delay)
 *       except TimeoutError:                   # it does not read: drop it
 *           dropped += 1
 *       finally:
 *           sock.close()
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "io.h"
#include "scope.h"
#include "sync.h"
#include "cli.h"

#define MAX_CONCURRENT 1024     /* connections served at once at most; more wait */

static struct coro_loop loop;
static struct coro_io_loop iol;
static struct coro_semaphore slots;     /* asyncio.Semaphore(MAX_CONCURRENT) */

static char *poem;                      /* poem = open(file, 'rb').read() */
static size_t poem_len, num_bytes = 10, close_after;
static int reset;                       /* --reset */
static coro_time delay = 100 * CORO_MSEC;
static coro_time write_timeout = 30 * CORO_SEC;     /* CORO_FOREVER: none */
static long max_clients = 1000, max_concurrent = MAX_CONCURRENT, served, live, dropped;

/* ---- a connection ------------------------------------------------------- */

/* async def serve(sock): */
struct poet {
    struct coro_task task;
    struct coro_io io;                  /* sock */
    struct coro_handle done;            /* task.add_done_callback(served) */
    struct coro_timeout to;             /* async with asyncio.timeout(...) */
    struct coro_try fin, req;           /* the two try blocks of the body */
    ssize_t n;
    size_t i, len, sent;
    char buf[512];                      /* the request is read and dropped */
};

static int serve(struct coro *co)
{
    struct poet *f = (struct poet *)co;
    CORO_BEGIN(co);
    CORO_TRY(co, &f->fin) {                                     /* try: */
        CORO_TRY(co, &f->req) {                                 /*   try: */
            CORO_TIMEOUT(co, &loop, &f->to, 200 * CORO_MSEC) {  /*     async with asyncio.timeout(0.2): */
                CORO_SOCK_RECV(co, &f->io, f->buf, sizeof f->buf, f->n); /* await loop.sock_recv(sock, 4096) */
            } CORO_END_TIMEOUT(co, &f->to);
        } CORO_EXCEPT(co, &f->req, CORO_ETIMEDOUT) {            /*   except TimeoutError: */
        } CORO_END_TRY(co, &f->req);                            /*     pass */
        for (f->i = 0; f->i < poem_len; f->i += num_bytes) {    /* for i in range(0, len(poem), num_bytes): */
            f->len = poem_len - f->i < num_bytes ? poem_len - f->i : num_bytes;
            CORO_TIMEOUT(co, &loop, &f->to, write_timeout) {    /* async with asyncio.timeout(write_timeout): */
                CORO_SOCK_SENDALL(co, &f->io, poem + f->i, f->len, f->sent); /* await loop.sock_sendall(sock, poem[i:i + num_bytes]) */
            } CORO_END_TIMEOUT(co, &f->to);
            CORO_SLEEP(co, &loop, delay);                       /*     await asyncio.sleep(delay) */
            if (close_after && f->i + f->len >= close_after) {  /* (--close-after: hang up early, */
                if (reset) {                                    /*  --reset: with an RST) */
                    struct linger l;
                    l.l_onoff = 1;
                    l.l_linger = 0;
                    setsockopt(f->io.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                }
                break;
            }
        }
    } CORO_EXCEPT(co, &f->fin, CORO_ETIMEDOUT) {                /* except TimeoutError: */
        dropped++;                                              /*     dropped += 1 */
    } CORO_FINALLY(co, &f->fin) {
        close(coro_io_close(&f->io));                           /* sock.close() */
    } CORO_END_TRY(co, &f->fin);
    CORO_END(co);
}

/* The done callback of a connection: served += 1, and free its frame. */
static void forget(struct coro_handle *h)
{
    struct poet *p = CORO_CONTAINER_OF(h, struct poet, done);
    int err = coro_future_result(&p->task.fut, NULL);
    if (err && err != -ECONNRESET && err != -EPIPE)
        fprintf(stderr, "slowpoetry: client: %s\n", coro_strerror(err));
    free(p);
    live--;
    coro_semaphore_release(&slots);
    if (++served >= max_clients)
        coro_loop_stop(&loop);
}

/* ---- the accept task ----------------------------------------------------- */

/* sock, _ = await loop.sock_accept(srv), as a generator of its own so that
 * the accept task can catch what it raises (EMFILE). */
struct accept_one {
    struct coro co;
    struct coro_io *srv;
    int fd;
};

static int accept_one(struct coro *co)
{
    struct accept_one *f = (struct accept_one *)co;
    CORO_BEGIN(co);
    CORO_SOCK_ACCEPT(co, f->srv, f->fd);
    CORO_RETURN(co, coro_int(f->fd));
    CORO_END(co);
}

/* while served < max_clients: sock, _ = srv.accept(); serve(sock) */
struct acceptor {
    struct coro_task task;
    struct coro_io io;                  /* srv */
    struct accept_one accept;
    coro_value r;
    int err;
    long accepted;
};

static int acceptor(struct coro *co)
{
    struct acceptor *f = (struct acceptor *)co;
    struct poet *p;
    CORO_BEGIN(co);
    while (f->accepted < max_clients) {
        CORO_SEMAPHORE_ACQUIRE(co, &slots);         /* at most MAX_CONCURRENT at once */
        f->accept.srv = &f->io;
        coro_init(&f->accept.co, accept_one);
        CORO_AWAIT_CATCH(co, &f->accept.co, f->r, f->err);
        if (f->err) {
            coro_semaphore_release(&slots);
            if (f->err != -EMFILE && f->err != -ENFILE && f->err != -ENOBUFS &&
                f->err != -ENOMEM)
                CORO_RAISE(co, f->err);
            CORO_SLEEP(co, &loop, 100 * CORO_MSEC); /* out of fds: try again later */
            continue;
        }
        p = (struct poet *)calloc(1, sizeof *p);
        if (!p) {
            close((int)f->r.v.i);
            coro_semaphore_release(&slots);
            continue;
        }
        f->accepted++;
        live++;
        coro_io_init(&p->io, &loop, (int)f->r.v.i);
        coro_task_start(&p->task, &loop, serve);    /* loop.create_task(serve(sock)) */
        coro_handle_init(&p->done, forget);
        coro_future_add_done_callback(&p->task.fut, &p->done);
    }
    CORO_END(co);
}

/* ---- main ---------------------------------------------------------------- */

static int listen_on(int port, int *bound)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);      /* srv = socket.socket() */
    if (fd < 0)
        return -errno;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 || /* SO_REUSEADDR */
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||    /* srv.bind(('127.0.0.1', port)) */
        listen(fd, 128) < 0 ||                              /* srv.listen(128) */
        getsockname(fd, (struct sockaddr *)&a, &len) < 0 || coro_sock_nonblocking(fd) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

/* poem = open(file, 'rb').read() */
static int read_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    size_t cap = 4096;
    if (!fp)
        return -errno;
    poem = (char *)malloc(cap);
    errno = 0;
    while (poem) {
        poem_len += fread(poem + poem_len, 1, cap - poem_len, fp);
        if (poem_len < cap)
            break;
        {
            char *bigger = (char *)realloc(poem, cap * 2);
            if (!bigger) {
                free(poem);
                poem = NULL;
            }
            poem = bigger;
            cap *= 2;
        }
    }
    if (!poem || ferror(fp)) {              /* fread's errno (EISDIR, EIO), not ENOMEM */
        int e = poem ? -(errno ? errno : EIO) : -ENOMEM;
        fclose(fp);
        free(poem);
        poem = NULL;
        return e;
    }
    fclose(fp);
    return 0;
}

static const char help[] =
    "usage: slowpoetry [--port P] [--num-bytes N] [--delay SECONDS] [--max-clients M]\n"
    "                  [--write-timeout SECONDS] [--max-concurrent C]\n"
    "                  [--close-after BYTES [--reset]] FILE\n"
    "\n"
    "The slow poetry server on coro's selector loop: sends FILE to each client\n"
    "N bytes at a time, one chunk every SECONDS, then closes the connection; a\n"
    "task per connection serves many clients at once.\n"
    "\n"
    "  --port P             listen on 127.0.0.1:P (default 0: the OS picks; the\n"
    "                       line 'serving FILE on port P' says which)\n"
    "  --num-bytes N        bytes a chunk (default 10)\n"
    "  --delay SECONDS      between chunks (default 0.1)\n"
    "  --max-clients M      exit once M clients were served (default 1000)\n"
    "  --write-timeout S    drop a client that took in nothing for S seconds\n"
    "                       (default 30; 0: never)\n"
    "  --max-concurrent C   serve at most C clients at once (default 1024)\n"
    "  --close-after BYTES  hang up once BYTES are sent (a peer that goes away)\n"
    "  --reset              with --close-after: hang up with a TCP reset (RST)\n"
    "  -h, --help           this help\n";

#define SP "slowpoetry"

int main(int argc, char **argv)
{
    static struct coro_timer_slot timers[2 * MAX_CONCURRENT + 8];
    static struct acceptor a;
    const char *file = NULL;
    int i, rc, fd, port = 0;

    for (i = 1; i < argc; i++) {
        const char *o = argv[i];
        cli_help(o, help);
        if (strcmp(o, "--port") == 0)
            port = (int)cli_long(SP, o, cli_value(SP, argc, argv, &i), 0, 65535);
        else if (strcmp(o, "--num-bytes") == 0)
            num_bytes = (size_t)cli_long(SP, o, cli_value(SP, argc, argv, &i), 1, LONG_MAX);
        else if (strcmp(o, "--delay") == 0)
            delay = (coro_time)(cli_double(SP, o, cli_value(SP, argc, argv, &i), 0, 1e6) *
                                (double)CORO_SEC);
        else if (strcmp(o, "--max-clients") == 0)
            max_clients = cli_long(SP, o, cli_value(SP, argc, argv, &i), 1, LONG_MAX);
        else if (strcmp(o, "--write-timeout") == 0) {
            double t = cli_double(SP, o, cli_value(SP, argc, argv, &i), 0, 86400);
            write_timeout = t > 0 ? (coro_time)(t * (double)CORO_SEC) : CORO_FOREVER;
        } else if (strcmp(o, "--max-concurrent") == 0)
            max_concurrent = cli_long(SP, o, cli_value(SP, argc, argv, &i), 1, MAX_CONCURRENT);
        else if (strcmp(o, "--close-after") == 0)
            close_after = (size_t)cli_long(SP, o, cli_value(SP, argc, argv, &i), 1, LONG_MAX);
        else if (strcmp(o, "--reset") == 0)
            reset = 1;
        else if (o[0] == '-' || file)
            cli_unknown(SP, o);
        else
            file = o;
    }
    if (!file)
        cli_fail(SP, "missing (which file to serve?)", "FILE", NULL);
    if (reset && !close_after)
        cli_fail(SP, "needs --close-after", "--reset", NULL);
    if ((rc = read_file(file)) != 0) {
        fprintf(stderr, "slowpoetry: %s: %s\n", file, coro_strerror(rc));
        return 1;
    }

    signal(SIGPIPE, SIG_IGN);
    coro_loop_init(&loop, timers, sizeof timers / sizeof timers[0]);
    coro_semaphore_init(&slots, &loop, (int)max_concurrent, 0);
    if ((rc = coro_io_loop_open(&iol, &loop, NULL, 4096)) != 0) {
        fprintf(stderr, "slowpoetry: selector: %s\n", coro_strerror(rc));
        free(poem);
        return 1;
    }
    if ((fd = listen_on(port, &port)) < 0) {
        fprintf(stderr, "slowpoetry: port %d: %s\n", port, coro_strerror(fd));
        coro_io_loop_close(&iol, &loop);
        free(poem);
        return 1;
    }
    printf("serving %s on port %d\n", file, port);      /* print('serving', ..., flush=True) */
    fflush(stdout);

    coro_io_init(&a.io, &loop, fd);
    coro_task_start(&a.task, &loop, acceptor);
    rc = coro_loop_run_forever(&loop);                  /* until max_clients were served */
    if (rc)
        fprintf(stderr, "slowpoetry: loop: %s\n", coro_strerror(rc));
    if (!coro_future_done(&a.task.fut))
        coro_task_cancel(&a.task);
    while (!coro_future_done(&a.task.fut) || live)
        if (coro_loop_run_once(&loop) <= 0)
            break;
    coro_io_close(&a.io);
    close(fd);
    coro_io_loop_close(&iol, &loop);
    free(poem);
    if (dropped)
        fprintf(stderr, "slowpoetry: %ld clients dropped for not reading\n", dropped);
    return rc ? 1 : 0;
}
