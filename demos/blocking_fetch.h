/* SPDX-License-Identifier: MIT */
/*
 * blocking_fetch.h -- the tutorial's blocking fetch, for the baselines that
 * run many of them at once (crawler_threads.c, crawler_processes.c):
 *
 *   def fetch(port):
 *       sock = socket.socket()
 *       sock.connect(('127.0.0.1', port))
 *       sock.send(b'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n')
 *       response = b''
 *       chunk = sock.recv(4096)
 *       while chunk:
 *           response += chunk
 *           chunk = sock.recv(4096)
 *       sock.close()
 *       print('port %d: %d bytes' % (port, len(response)))
 *
 * (crawler_busy.c takes only the request and the clock.) Only the length
 * of the response is kept. On a failure it says so on
 * stderr, with the port and the bytes read until then.
 */
#ifndef DEMOS_BLOCKING_FETCH_H
#define DEMOS_BLOCKING_FETCH_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";

/* time.time(), in seconds */
static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* def fetch(port): 0, or -1 after saying what failed (`who`: the program) */
static inline int fetch(const char *who, int port)
{
    struct sockaddr_in a;
    char chunk[4096];
    size_t len = 0;
    ssize_t n;
    int err = 0, sock = socket(AF_INET, SOCK_STREAM, 0);   /* sock = socket.socket() */
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (sock < 0 || connect(sock, (struct sockaddr *)&a, sizeof a) < 0 || /* sock.connect(...) */
        send(sock, request, sizeof request - 1, 0) < 0)     /* sock.send(b'GET ...') */
        err = errno;
    while (!err && (n = recv(sock, chunk, sizeof chunk, 0)) != 0) { /* while chunk: */
        if (n > 0)
            len += (size_t)n;                               /*     response += chunk */
        else if (errno != EINTR)
            err = errno;
    }
    if (sock >= 0)
        close(sock);                                        /* sock.close() */
    if (err) {
        fprintf(stderr, "%s: port %d: %s", who, port, strerror(err));
        if (len)
            fprintf(stderr, " after %zu bytes", len);
        fprintf(stderr, "\n");
        return -1;
    }
    printf("port %d: %zu bytes\n", port, len);              /* print('port %d: %d bytes' % ...) */
    fflush(stdout);
    return 0;
}

#endif
