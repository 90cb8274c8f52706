/* SPDX-License-Identifier: MIT */
/*
 * crawler_threads.c -- a thread per fetch (tests/reference/crawler_threads.py):
 * each thread runs the blocking fetch of blocking_fetch.h; the threads wait
 * at once, so the total is about the slowest fetch, at the price of a thread
 * (a stack, a kernel task) per connection.
 *
 *   crawler_threads PORT [PORT ...]      (slow poetry servers on 127.0.0.1)
 *
 * Prints `port P: N bytes` as each fetch finishes, then `total X.X s`; exit
 * status 1 if a fetch failed (said on stderr with its port).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "blocking_fetch.h"

struct thread {
    pthread_t id;
    int port, started, failed;
};

/* threading.Thread(target=fetch, args=(port,)) runs this */
static void *run(void *arg)
{
    struct thread *t = (struct thread *)arg;
    t->failed = fetch("crawler_threads", t->port) != 0;    /* fetch(port) */
    return NULL;
}

int main(int argc, char **argv)
{
    int i, err, n = argc - 1, failed = 0;
    struct thread *threads;
    double start;

    if (n < 1) {
        fprintf(stderr, "usage: crawler_threads PORT [PORT ...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    threads = (struct thread *)calloc((size_t)n, sizeof *threads);
    if (!threads)
        return 1;
    start = now();                                          /* start = time.time() */
    for (i = 0; i < n; i++) {                               /* for t in threads: */
        threads[i].port = atoi(argv[i + 1]);
        err = pthread_create(&threads[i].id, NULL, run, &threads[i]); /* t.start() */
        if (err) {
            fprintf(stderr, "crawler_threads: port %d: thread: %s\n", threads[i].port,
                    strerror(err));
            failed = 1;
        }
        threads[i].started = !err;
    }
    for (i = 0; i < n; i++)                                 /* for t in threads: */
        if (threads[i].started) {
            pthread_join(threads[i].id, NULL);              /*     t.join() */
            failed |= threads[i].failed;
        }
    printf("total %.1f s\n", now() - start);                /* print('total %.1f s' % ...) */
    free(threads);
    return failed;
}
