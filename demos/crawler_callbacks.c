/* SPDX-License-Identifier: MIT */
/*
 * crawler_callbacks.c -- the tutorial's second crawler: non-blocking sockets,
 * a selector and callbacks (class Fetcher). Every fetch runs at once, so the
 * total is about the slowest fetch; the price is the logic cut into
 * callbacks, with the state kept in the Fetcher.
 *
 *   crawler_callbacks PORT [PORT ...]    (slow poetry servers on 127.0.0.1)
 *
 * Uses the selector of selectors/selectors.h directly (no event loop).
 * Prints `port P: N bytes` as each fetch finishes, then `total X.X s`. A
 * fetch that fails is reported on stderr with its port; exit status 1 then.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "selectors/selectors.h"
#include "cli.h"

#define FETCH_BUF 65536             /* the largest response kept */

static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";

static struct coro_sel selector;    /* selector = DefaultSelector() */
static int pending;                 /* fetches not finished */
static int stopped;                 /* stopped = False */
static int failed;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* class Fetcher: */
struct fetcher {
    int port;
    int sock;
    void (*callback)(struct fetcher *f, unsigned mask);     /* the key's data */
    size_t len;                                             /* len(self.response) */
    char response[FETCH_BUF];                               /* self.response */
};

/* The end of a fetch: unregister (if registered), close; stop once none is
 * pending. */
static void finish(struct fetcher *f, int err)
{
    coro_sel_unregister(&selector, f->sock);                /* selector.unregister(key.fd) */
    close(f->sock);
    f->sock = -1;
    if (err) {
        fprintf(stderr, "crawler_callbacks: port %d: %s", f->port, coro_strerror(err));
        if (f->len)
            fprintf(stderr, " after %zu bytes", f->len);
        fprintf(stderr, "\n");
        failed = 1;
    } else {
        printf("port %d: %zu bytes\n", f->port, f->len);   /* print('port %d: %d bytes' % ...) */
        fflush(stdout);
    }
    if (--pending == 0)                                     /* if not pending: */
        stopped = 1;                                        /*     stopped = True */
}

/*     def read_response(self, key, mask): */
static void read_response(struct fetcher *f, unsigned mask)
{
    size_t room = sizeof f->response - f->len;
    ssize_t chunk;
    (void)mask;
    if (room == 0) {
        finish(f, -EMSGSIZE);
        return;
    }
    chunk = recv(f->sock, f->response + f->len, room < 4096 ? room : 4096, 0); /* chunk = self.sock.recv(4096) */
    if (chunk < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            finish(f, -errno);
        return;
    }
    if (chunk)                                              /* if chunk: */
        f->len += (size_t)chunk;                            /*     self.response += chunk */
    else                                                    /* else: */
        finish(f, 0);                                       /*     unregister, print, ... */
}

/*     def connected(self, key, mask): */
static void connected(struct fetcher *f, unsigned mask)
{
    int err = 0, rc;
    socklen_t len = sizeof err;
    (void)mask;
    coro_sel_unregister(&selector, f->sock);                /* selector.unregister(key.fd) */
    if (getsockopt(f->sock, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err == 0 && send(f->sock, request, sizeof request - 1, 0) < 0) /* self.sock.send(request) */
        err = errno;
    if (err) {
        finish(f, -err);
        return;
    }
    f->callback = read_response;                            /* selector.register(key.fd, EVENT_READ, */
    rc = coro_sel_register(&selector, f->sock, CORO_EVENT_READ, f); /*   self.read_response) */
    if (rc)
        finish(f, rc);
}

/*     def fetch(self): 0, or the error that stopped it at once. */
static int fetch(struct fetcher *f)
{
    struct sockaddr_in a;
    int rc;
    f->sock = socket(AF_INET, SOCK_STREAM, 0);              /* self.sock = socket.socket() */
    if (f->sock < 0)
        return -errno;
    if (fcntl(f->sock, F_SETFL, fcntl(f->sock, F_GETFL) | O_NONBLOCK) < 0) /* self.sock.setblocking(False) */
        return -errno;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)f->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(f->sock, (struct sockaddr *)&a, sizeof a) < 0 && /* try: self.sock.connect(...) */
        errno != EINPROGRESS)                               /* except BlockingIOError: pass */
        return -errno;
    f->callback = connected;                                /* selector.register(self.sock.fileno(), */
    rc = coro_sel_register(&selector, f->sock, CORO_EVENT_WRITE, f); /* EVENT_WRITE, self.connected) */
    return rc;
}

static const char help[] =
    "usage: crawler_callbacks PORT [PORT ...]\n"
    "\n"
    "The tutorial's second crawler (\"A Web Crawler With asyncio Coroutines\"):\n"
    "non-blocking sockets, a selector and callbacks, every fetch at once. Prints\n"
    "`port P: N bytes` as each fetch finishes, then `total X.X s`; a failed\n"
    "fetch is reported with its port (exit 1).\n"
    "\n"
    "  PORT         a slow poetry server on 127.0.0.1 (demos/slowpoetry)\n"
    "  -h, --help   this help\n";

int main(int argc, char **argv)
{
    struct coro_sel_event events[64];
    struct fetcher *fetchers;
    double start;
    int i, n, rc;

    cli_ports("crawler_callbacks", help, argc, argv);
    signal(SIGPIPE, SIG_IGN);
    fetchers = (struct fetcher *)calloc((size_t)(argc - 1), sizeof *fetchers);
    if (!fetchers) {
        fprintf(stderr, "crawler_callbacks: out of memory\n");
        return 1;
    }
    if ((rc = coro_sel_open(&selector, NULL, 1024)) != 0) {
        fprintf(stderr, "crawler_callbacks: selector: %s\n", coro_strerror(rc));
        free(fetchers);
        return 1;
    }
    start = now();                                          /* start = time.time() */
    for (i = 0; i < argc - 1; i++) {
        struct fetcher *f = &fetchers[i];                   /* fetcher = Fetcher(port) */
        f->port = atoi(argv[i + 1]);
        rc = fetch(f);                                      /* fetcher.fetch() */
        if (rc) {
            fprintf(stderr, "crawler_callbacks: port %d: %s\n", f->port, coro_strerror(rc));
            if (f->sock >= 0)
                close(f->sock);
            f->sock = -1;
            failed = 1;
            continue;
        }
        pending++;
    }
    while (pending && !stopped) {                           /* while not stopped: */
        n = coro_sel_select(&selector, events, 64, CORO_FOREVER); /* events = selector.select() */
        if (n < 0) {
            fprintf(stderr, "crawler_callbacks: select: %s\n", coro_strerror(n));
            failed = 1;
            break;
        }
        for (i = 0; i < n; i++) {                           /* for key, mask in events: */
            struct fetcher *f = (struct fetcher *)events[i].data;
            if (f->sock == events[i].fd)                    /* (not finished in this batch) */
                f->callback(f, events[i].events);           /*     callback(key, mask) */
        }
    }
    printf("total %.1f s\n", now() - start);                /* print('total %.1f s' % ...) */
    for (i = 0; i < argc - 1; i++)              /* left open only after a select error */
        if (fetchers[i].sock >= 0) {
            coro_sel_unregister(&selector, fetchers[i].sock);
            close(fetchers[i].sock);
        }
    coro_sel_close(&selector);
    free(fetchers);
    return failed;
}
