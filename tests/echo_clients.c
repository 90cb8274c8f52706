/* SPDX-License-Identifier: MIT */
/*
 * echo_clients.c -- many concurrent clients for demos/echo_server.c (used by
 * tests/net.sh).
 *
 *   echo_clients PORT [--clients N] [--bytes B] [--timeout SECONDS]
 *                [--hog BYTES] [--idle N] [--sink]
 *
 * Opens N connections to 127.0.0.1:PORT at once (non-blocking, one poll()
 * over all of them; RLIMIT_NOFILE's soft limit is raised to the hard one),
 * sends B bytes on each, a pseudo-random stream seeded by the connection's
 * number, in chunks interleaved with the reads, reads everything back and
 * checks every byte. A connection closes as soon as its echo is complete.
 * Exits 0 only if every connection got its own B bytes back before the
 * timeout (default 30 s); otherwise says what went wrong and exits 1.
 *
 * --hog BYTES first opens one more connection that sends up to BYTES without
 * ever reading, until the server stops taking them (it is blocked writing the
 * echo back to a client that does not read); then the N clients run while
 * the hog keeps pushing. They must all succeed: one stuck client must not
 * hold up the others.
 *
 * --idle N first opens N more connections that never send nor read, kept
 * open to the end (peers that hold a server's fds: against a server with an
 * idle timeout, the N clients must still succeed once the idle ones are
 * dropped). The idle ones are counted: how many the server closed.
 *
 * --sink: the N clients send nothing and read until the server closes,
 * each expecting exactly B bytes (for servers that talk first: slowpoetry).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define CHUNK 1000                  /* bytes per send */

struct client {
    int fd;
    int connected;
    size_t sent, received;
    uint32_t tx, rx;                /* the stream's generator, for sending and checking */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The next byte of a connection's stream (an LCG seeded by its number). */
static unsigned char next_byte(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return (unsigned char)(*x >> 16);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int open_conn(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        close(fd);
        return -1;
    }
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void usage(void)
{
    fprintf(stderr, "usage: echo_clients PORT [--clients N] [--bytes B] [--timeout SECONDS] "
                    "[--hog BYTES] [--idle N] [--sink]\n");
    exit(2);
}

/* --sink: n clients read until EOF; returns how many did not get exactly
 * `bytes` bytes before the deadline. */
static long sink(int port, long n, size_t bytes, double deadline)
{
    static char buf[65536];
    long i, bad = 0;
    for (i = 0; i < n; i++) {
        struct pollfd p;
        size_t got = 0;
        ssize_t k = 1;
        p.fd = open_conn(port);
        p.events = POLLIN;
        while (p.fd >= 0 && k != 0 && now() < deadline) {
            if (poll(&p, 1, (int)((deadline - now()) * 1000) + 1) < 1)
                continue;
            k = recv(p.fd, buf, sizeof buf, 0);
            if (k > 0)
                got += (size_t)k;
            else if (k < 0 && errno != EAGAIN && errno != EINTR)
                break;
        }
        if (k != 0 || got != bytes) {
            fprintf(stderr, "echo_clients: sink %ld: %zu of %zu bytes%s\n", i, got, bytes,
                    k != 0 ? " (no end)" : "");
            bad++;
        }
        if (p.fd >= 0)
            close(p.fd);
    }
    return bad;
}

int main(int argc, char **argv)
{
    static char buf[65536];
    static char hogbuf[65536];
    struct client *c;
    struct pollfd *pfd;
    long nclients = 1000, i, left, failures = 0, nidle = 0, idle_closed = 0;
    int *idle = NULL;
    size_t bytes = 4000, hog_bytes = 0, hog_sent = 0;
    double timeout = 30, deadline;
    int port, hog = -1, sinking = 0;

    if (argc < 2)
        usage();
    port = atoi(argv[1]);
    if (port < 1 || port > 65535)
        usage();
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--sink") == 0) {
            sinking = 1;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        if (strcmp(argv[i], "--clients") == 0)
            nclients = atol(argv[++i]);
        else if (strcmp(argv[i], "--bytes") == 0)
            bytes = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout = atof(argv[++i]);
        else if (strcmp(argv[i], "--hog") == 0)
            hog_bytes = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--idle") == 0)
            nidle = atol(argv[++i]);
        else
            usage();
    }
    if (nclients < 1 || bytes < 1 || timeout <= 0 || nidle < 0)
        usage();
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    deadline = now() + timeout;
    memset(hogbuf, 'h', sizeof hogbuf);

    /* The hog: sends until the server stops taking its bytes (300 ms
     * without progress), never reads. */
    if (hog_bytes) {
        struct pollfd p;
        hog = open_conn(port);
        if (hog < 0) {
            fprintf(stderr, "echo_clients: hog: connect: %s\n", strerror(errno));
            return 1;
        }
        p.fd = hog;
        p.events = POLLOUT;
        while (hog_sent < hog_bytes && poll(&p, 1, 300) == 1) {
            size_t want = hog_bytes - hog_sent < sizeof hogbuf ? hog_bytes - hog_sent
                                                               : sizeof hogbuf;
            ssize_t n = send(hog, hogbuf, want, 0);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                fprintf(stderr, "echo_clients: hog: send: %s\n", strerror(errno));
                return 1;
            }
            if (n > 0)
                hog_sent += (size_t)n;
            if (now() > deadline)
                break;
        }
    }

    /* The idle peers: connected (or waiting in the server's backlog), silent */
    if (nidle) {
        idle = (int *)calloc((size_t)nidle, sizeof *idle);
        if (!idle) {
            fprintf(stderr, "echo_clients: out of memory\n");
            return 1;
        }
        for (i = 0; i < nidle; i++)
            if ((idle[i] = open_conn(port)) < 0) {
                fprintf(stderr, "echo_clients: idle %ld: connect: %s\n", i, strerror(errno));
                return 1;
            }
    }

    if (sinking) {
        failures = sink(port, nclients, bytes, deadline);
        left = 0;
        c = NULL;
        pfd = NULL;
        goto report;
    }

    c = (struct client *)calloc((size_t)nclients, sizeof *c);
    pfd = (struct pollfd *)calloc((size_t)nclients + 1, sizeof *pfd);
    if (!c || !pfd) {
        fprintf(stderr, "echo_clients: out of memory\n");
        return 1;
    }
    for (i = 0; i < nclients; i++) {
        c[i].fd = open_conn(port);
        if (c[i].fd < 0) {
            fprintf(stderr, "echo_clients: client %ld: connect: %s\n", i, strerror(errno));
            return 1;
        }
        c[i].tx = c[i].rx = (uint32_t)i * 2654435761u + 1u;
    }

    left = nclients;
    while (left > 0) {
        int wait_ms = (int)((deadline - now()) * 1000), n;
        if (wait_ms <= 0)
            break;
        for (i = 0; i < nclients; i++) {
            pfd[i].fd = c[i].fd;
            pfd[i].events = (short)(POLLIN | (!c[i].connected || c[i].sent < bytes ? POLLOUT : 0));
            pfd[i].revents = 0;
        }
        pfd[nclients].fd = hog >= 0 && hog_sent < hog_bytes ? hog : -1;
        pfd[nclients].events = POLLOUT;
        pfd[nclients].revents = 0;
        n = poll(pfd, (nfds_t)nclients + 1, wait_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            perror("echo_clients: poll");
            return 1;
        }
        if (pfd[nclients].revents & POLLOUT) {          /* the hog pushes on */
            ssize_t k = send(hog, hogbuf, hog_bytes - hog_sent < sizeof hogbuf ?
                                              hog_bytes - hog_sent : sizeof hogbuf, 0);
            if (k > 0)
                hog_sent += (size_t)k;
        }
        for (i = 0; i < nclients; i++) {
            struct client *k = &c[i];
            short ev = pfd[i].revents;
            const char *err = NULL;
            if (k->fd < 0 || !ev)
                continue;
            if (!k->connected && (ev & (POLLOUT | POLLERR | POLLHUP))) {
                int e = 0;
                socklen_t len = sizeof e;
                getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &e, &len);
                if (e) {
                    fprintf(stderr, "echo_clients: client %ld: connect: %s\n", i, strerror(e));
                    err = "";
                }
                k->connected = 1;
            }
            if (!err && (ev & POLLOUT) && k->sent < bytes) {
                size_t want = bytes - k->sent < CHUNK ? bytes - k->sent : CHUNK, j;
                uint32_t x = k->tx;
                ssize_t sent;
                for (j = 0; j < want; j++)
                    buf[j] = (char)next_byte(&x);
                sent = send(k->fd, buf, want, 0);
                if (sent > 0) {
                    /* advance the generator by what was really sent */
                    for (j = 0; j < (size_t)sent; j++)
                        next_byte(&k->tx);
                    k->sent += (size_t)sent;
                } else if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    err = strerror(errno);
                }
            }
            if (!err && (ev & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t got = recv(k->fd, buf, sizeof buf, 0), j;
                if (got == 0) {
                    err = "connection closed before the whole echo came back";
                } else if (got < 0) {
                    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                        err = strerror(errno);
                } else if (k->received + (size_t)got > k->sent) {
                    err = "got more bytes back than were sent";
                } else {
                    for (j = 0; j < got; j++)
                        if ((unsigned char)buf[j] != next_byte(&k->rx))
                            break;
                    if (j < got) {
                        fprintf(stderr, "echo_clients: client %ld: byte %zu differs\n", i,
                                k->received + (size_t)j);
                        err = "";
                    }
                    k->received += (size_t)got;
                }
            }
            if (err || k->received == bytes) {
                if (err && *err)
                    fprintf(stderr, "echo_clients: client %ld: %s (%zu of %zu bytes back)\n",
                            i, err, k->received, bytes);
                if (err)
                    failures++;
                close(k->fd);
                k->fd = -1;
                left--;
            }
        }
    }
    if (left > 0) {
        long unconnected = 0;
        for (i = 0; i < nclients; i++)
            if (c[i].fd >= 0) {
                unconnected += !c[i].connected;
                close(c[i].fd);
            }
        fprintf(stderr, "echo_clients: timed out after %.0f s: %ld of %ld clients unfinished "
                "(%ld not connected)\n", timeout, left, nclients, unconnected);
        failures += left;
    }
    if (hog >= 0) {
        printf("hog: sent %zu of %zu bytes without reading\n", hog_sent, hog_bytes);
        close(hog);
    }
report:
    for (i = 0; i < nidle; i++) {       /* did the server hang up on it? */
        char b;
        ssize_t n = recv(idle[i], &b, 1, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            idle_closed++;
        close(idle[i]);
    }
    if (nidle)
        printf("idle: %ld of %ld idle connections closed by the server\n", idle_closed, nidle);
    free(idle);
    if (failures == 0)
        printf("echo_clients: %ld clients, %zu bytes each: every byte %s\n", nclients, bytes,
               sinking ? "received" : "echoed");
    else
        printf("echo_clients: %ld of %ld clients failed\n", failures, nclients);
    free(c);
    free(pfd);
    return failures ? 1 : 0;
}
