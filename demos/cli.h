/* SPDX-License-Identifier: MIT */
/*
 * cli.h -- what the host demos' command lines share: --help (or -h) prints
 * the demo's description and options on standard output and exits 0; a bad
 * option or value is named on standard error ("echo_server: --port 99999:
 * out of range (0 to 65535)") and the demo exits 2.
 */
#ifndef CORO_DEMOS_CLI_H
#define CORO_DEMOS_CLI_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints "PROG: MESSAGE" and a pointer to --help on stderr; exits 2. */
static inline void cli_fail(const char *prog, const char *msg, const char *opt, const char *val)
{
    if (val)
        fprintf(stderr, "%s: %s %s: %s\n", prog, opt, val, msg);
    else
        fprintf(stderr, "%s: %s: %s\n", prog, opt, msg);
    fprintf(stderr, "Try '%s --help'.\n", prog);
    exit(2);
}

/* If arg asks for help, prints help on stdout and exits 0. */
static inline void cli_help(const char *arg, const char *help)
{
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        fputs(help, stdout);
        exit(0);
    }
}

/* The value of the option argv[*i], which is argv[*i + 1] (*i moves to it);
 * a missing value is named. */
static inline const char *cli_value(const char *prog, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        cli_fail(prog, "needs a value", argv[*i], NULL);
    return argv[++*i];
}

/* The value of option opt as an integer in [min, max]. */
static inline long cli_long(const char *prog, const char *opt, const char *val, long min, long max)
{
    char *end, range[64];
    long v;
    errno = 0;
    v = strtol(val, &end, 10);
    if (end == val || *end)
        cli_fail(prog, "not a whole number", opt, val);
    if (errno == ERANGE || v < min || v > max) {
        snprintf(range, sizeof range, "out of range (%ld to %ld)", min, max);
        cli_fail(prog, range, opt, val);
    }
    return v;
}

/* The value of option opt as a number in [min, max). */
static inline double cli_double(const char *prog, const char *opt, const char *val, double min,
                         double max)
{
    char *end, range[64];
    double v = strtod(val, &end);
    if (end == val || *end)
        cli_fail(prog, "not a number", opt, val);
    if (!(v >= min && v < max)) {
        snprintf(range, sizeof range, "out of range (%g to %g)", min, max);
        cli_fail(prog, range, opt, val);
    }
    return v;
}

/* An argument no option takes. */
static inline void cli_unknown(const char *prog, const char *arg)
{
    cli_fail(prog, arg[0] == '-' ? "unknown option" : "unexpected argument", arg, NULL);
}

/* A crawler's command line, PORT [PORT ...]: each a port from 1 to 65535;
 * --help anywhere prints help. Returns only if all is well. */
static inline void cli_ports(const char *prog, const char *help, int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++)
        cli_help(argv[i], help);
    if (argc < 2)
        cli_fail(prog, "missing (which ports to fetch from?)", "PORT", NULL);
    for (i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] == '-')
            cli_unknown(prog, argv[i]);
        cli_long(prog, "port", argv[i], 1, 65535);
    }
}

#endif
