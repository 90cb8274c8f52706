/* SPDX-License-Identifier: MIT */
/*
 * crawler_processes.c -- a process per fetch
 * (tests/reference/crawler_processes.py): fork a child for each port; each
 * child runs the blocking fetch of blocking_fetch.h and exits. They wait at
 * once, so the total is about the slowest fetch, at the price of a whole
 * process per connection.
 *
 *   crawler_processes PORT [PORT ...]    (slow poetry servers on 127.0.0.1)
 *
 * Prints `port P: N bytes` as each fetch finishes, then `total X.X s`; exit
 * status 1 if a fetch failed (said on stderr with its port).
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "blocking_fetch.h"

int main(int argc, char **argv)
{
    int i, status, failed = 0;
    double start;
    pid_t pid;

    if (argc < 2) {
        fprintf(stderr, "usage: crawler_processes PORT [PORT ...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fflush(stdout);
    start = now();                                          /* start = time.time() */
    for (i = 1; i < argc; i++) {                            /* for port in sys.argv[1:]: */
        pid = fork();                                       /*     pid = os.fork() */
        if (pid == 0)                                       /*     if pid == 0: */
            _exit(fetch("crawler_processes", atoi(argv[i])) ? 1 : 0); /* fetch(port); os._exit(0) */
        if (pid < 0) {
            perror("crawler_processes: fork");
            failed = 1;
        }
    }
    while ((pid = wait(&status)) > 0 || (pid < 0 && errno == EINTR)) /* for pid in children: */
        if (pid > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) /* os.waitpid(pid, 0) */
            failed = 1;
    printf("total %.1f s\n", now() - start);                /* print('total %.1f s' % ...) */
    return failed;
}
