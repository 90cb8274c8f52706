/* SPDX-License-Identifier: MIT */
/*
 * crawler_blocking.c -- the tutorial's first crawler ("A Web Crawler With
 * asyncio Coroutines"): blocking sockets, one fetch after the other, so the
 * total is the sum of the fetches.
 *
 *   crawler_blocking PORT [PORT ...]     (slow poetry servers on 127.0.0.1)
 *
 * Prints `port P: N bytes` as each fetch finishes, then `total X.X s`, like
 * tests/reference/crawler_coro.py. A fetch that fails is reported on stderr
 * with its port; the others go on, and the exit status is then 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cli.h"

#define FETCH_BUF 65536             /* the largest response kept */

static const char request[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
static char response[FETCH_BUF];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* def fetch(port): 0, or -errno (*got: the bytes read until then). */
static int fetch(int port, size_t *got)
{
    struct sockaddr_in a;
    ssize_t chunk;
    int err = 0, sock = socket(AF_INET, SOCK_STREAM, 0);   /* sock = socket.socket() */
    *got = 0;                                              /* response = b'' */
    if (sock < 0)
        return -errno;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(sock, (struct sockaddr *)&a, sizeof a) < 0) { /* sock.connect(('127.0.0.1', port)) */
        err = -errno;
        close(sock);
        return err;
    }
    if (send(sock, request, sizeof request - 1, 0) < 0) {  /* sock.send(request) */
        err = -errno;
        close(sock);
        return err;
    }
    for (;;) {
        size_t room = sizeof response - *got;
        if (room == 0) {
            err = -EMSGSIZE;                                /* more than we keep */
            break;
        }
        chunk = recv(sock, response + *got, room < 4096 ? room : 4096, 0); /* chunk = sock.recv(4096) */
        if (chunk < 0 && errno == EINTR)
            continue;
        if (chunk < 0) {
            err = -errno;
            break;
        }
        if (chunk == 0)                                     /* while chunk: */
            break;
        *got += (size_t)chunk;                              /*     response += chunk */
    }
    close(sock);                                            /* sock.close() */
    return err;
}

static const char help[] =
    "usage: crawler_blocking PORT [PORT ...]\n"
    "\n"
    "The tutorial's first crawler (\"A Web Crawler With asyncio Coroutines\"):\n"
    "blocking sockets, one fetch after the other. Prints `port P: N bytes` as\n"
    "each fetch finishes, then `total X.X s`; a failed fetch is reported with\n"
    "its port (exit 1).\n"
    "\n"
    "  PORT         a slow poetry server on 127.0.0.1 (demos/slowpoetry)\n"
    "  -h, --help   this help\n";

int main(int argc, char **argv)
{
    double start;
    int i, failed = 0;

    cli_ports("crawler_blocking", help, argc, argv);
    signal(SIGPIPE, SIG_IGN);
    start = now();                                          /* start = time.time() */
    for (i = 1; i < argc; i++) {                            /* for port in ports: */
        int port = atoi(argv[i]), err;
        size_t got;
        err = fetch(port, &got);                            /*     fetch(port) */
        if (err) {
            fprintf(stderr, "crawler_blocking: port %d: %s", port, strerror(-err));
            if (got)
                fprintf(stderr, " after %zu bytes", got);
            fprintf(stderr, "\n");
            failed = 1;
            continue;
        }
        printf("port %d: %zu bytes\n", port, got);          /* print('port %d: %d bytes' % ...) */
        fflush(stdout);
    }
    printf("total %.1f s\n", now() - start);                /* print('total %.1f s' % ...) */
    return failed;
}
