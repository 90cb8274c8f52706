/* SPDX-License-Identifier: MIT */
/*
 * crawler_busy.c -- non-blocking sockets without a selector
 * (tests/reference/crawler_busy.py): nothing blocks, so the loop asks every
 * socket again and again whether it is ready. All fetches overlap, the total
 * is about the slowest one, and a CPU is burnt the whole time.
 *
 *   crawler_busy PORT [PORT ...]         (slow poetry servers on 127.0.0.1)
 *
 * Prints `port P: N bytes` as each fetch finishes, then `total X.X s`; exit
 * status 1 if a fetch failed (said on stderr with its port).
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>

#include "blocking_fetch.h"

struct fetch {                          /* {'port': ..., 'sock': ..., 'sent': ..., 'response': ...} */
    int port, sock, sent, done;
    size_t len;
};

/* sock.close(); and what happened, said (err: 0 or an errno) */
static int finish(struct fetch *f, int err)
{
    close(f->sock);
    f->done = 1;
    if (err) {
        fprintf(stderr, "crawler_busy: port %d: %s\n", f->port, strerror(err));
        return 1;
    }
    printf("port %d: %zu bytes\n", f->port, f->len);        /* print('port %d: %d bytes' % ...) */
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    int i, n = argc - 1, left = n, failed = 0;
    struct fetch *fetches;
    struct sockaddr_in a;
    char chunk[4096];
    double start;
    ssize_t r;

    if (n < 1) {
        fprintf(stderr, "usage: crawler_busy PORT [PORT ...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fetches = (struct fetch *)calloc((size_t)n, sizeof *fetches);
    if (!fetches)
        return 1;
    start = now();                                          /* start = time.time() */
    for (i = 0; i < n; i++) {                               /* for port in sys.argv[1:]: */
        struct fetch *f = &fetches[i];
        f->port = atoi(argv[i + 1]);
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((unsigned short)f->port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        f->sock = socket(AF_INET, SOCK_STREAM, 0);          /*     sock = socket.socket() */
        if (f->sock < 0 || fcntl(f->sock, F_SETFL, O_NONBLOCK) < 0 || /* sock.setblocking(False) */
            (connect(f->sock, (struct sockaddr *)&a, sizeof a) < 0 && /* try: sock.connect(...) */
             errno != EINPROGRESS)) {                       /*     except BlockingIOError: pass */
            failed |= finish(f, errno);
            left--;
        }
    }
    while (left > 0) {                                      /* while fetches: */
        for (i = 0; i < n; i++) {                           /*     for f in list(fetches): */
            struct fetch *f = &fetches[i];
            if (f->done)
                continue;
            if (!f->sent) {                                 /*         if not f['sent']: */
                if (send(f->sock, request, sizeof request - 1, 0) < 0) { /*    sock.send(request) */
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)
                        continue;                           /*         except OSError: continue */
                    failed |= finish(f, errno);
                    left--;
                    continue;
                }
                f->sent = 1;                                /*             f['sent'] = True */
            }
            r = recv(f->sock, chunk, sizeof chunk, 0);      /*         chunk = sock.recv(4096) */
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                continue;                                   /*         except OSError: continue */
            if (r > 0) {                                    /*         if chunk: */
                f->len += (size_t)r;                        /*             f['response'] += chunk */
                continue;
            }
            failed |= finish(f, r < 0 ? errno : 0);         /*         else: sock.close(); print(...) */
            left--;                                         /*             fetches.remove(f) */
        }
    }
    printf("total %.1f s\n", now() - start);                /* print('total %.1f s' % ...) */
    free(fetches);
    return failed;
}
