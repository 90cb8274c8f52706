/* SPDX-License-Identifier: MIT */
/*
 * timeline.h -- the demos' pictures of the schedule: which task ran when.
 *
 * A demo calls timeline_start(now) before its loop runs, and
 * timeline_run("A", now) each time a task runs (when it starts and after each
 * await). Afterwards:
 *
 *   timeline_print()       one text row per task, one column per run:
 *                          '#' where that task ran; a row of the seconds
 *                          since the start (modulo 10) above them
 *   timeline_svg(path, t)  an SVG a browser shows: one lane per task, time
 *                          left to right, each run a bar, each wait a dashed
 *                          line from one run to the task's next
 *   timeline_option(), timeline_output()   the options --timeline and
 *                          --timeline=svg FILE, and what they ask for
 *
 * One element per line in the SVG, so a shell script can read it back:
 *   <g class="lane" data-lane="A">   a task's lane, in order of first run
 *   <rect class="run" data-lane="A" data-t="1.000000" .../>   a run, at t s
 *   <line class="wait" data-lane="A" data-from="0.000000" data-to="1.000000" .../>
 * Holds at most TIMELINE_MAX runs and TIMELINE_LANES tasks; more are dropped.
 * The embedded builds (embedded/include/stdio.h) keep 32 runs and draw no SVG.
 */
#ifndef DEMOS_TIMELINE_H
#define DEMOS_TIMELINE_H

#include <stdio.h>
#include <string.h>

#include "coro.h"

#ifdef CORO_EMBEDDED_STDIO_H    /* embedded/include: 2 KiB of RAM, no files */
#define TIMELINE_MAX 32
#define TIMELINE_LANES 4
#else
#define TIMELINE_MAX 512
#define TIMELINE_LANES 16
#endif

static struct {
    coro_time t0;                       /* the start: time 0 of every row */
    int n, nlanes;
    const char *lane[TIMELINE_LANES];   /* the tasks, in order of first run */
    int run_lane[TIMELINE_MAX];         /* run i: its task's lane, */
    coro_time run_t[TIMELINE_MAX];      /* and its time */
} timeline;

/* Starts the timeline at `now` (every time is shown as seconds since). */
static inline void timeline_start(coro_time now)
{
    timeline.t0 = now;
    timeline.n = timeline.nlanes = 0;
}

/* Notes that task `label` (a string that outlives the timeline) runs at `now`. */
static inline void timeline_run(const char *label, coro_time now)
{
    int l;
    for (l = 0; l < timeline.nlanes && strcmp(timeline.lane[l], label) != 0; l++)
        ;
    if (l == timeline.nlanes) {
        if (l == TIMELINE_LANES)
            return;
        timeline.lane[timeline.nlanes++] = label;
    }
    if (timeline.n < TIMELINE_MAX) {
        timeline.run_lane[timeline.n] = l;
        timeline.run_t[timeline.n++] = now - timeline.t0;
    }
}

/* One row per task, one column per run: '#' where that task ran. */
static inline void timeline_print(void)
{
    int i, l, w = 7;
    for (l = 0; l < timeline.nlanes; l++)
        if ((int)strlen(timeline.lane[l]) + 1 > w)
            w = (int)strlen(timeline.lane[l]) + 1;
    printf("\n%-*s", w, "step");
    for (i = 0; i < timeline.n; i++)
        printf("%d", i % 10);
    printf("\n%-*s", w, "time");
    for (i = 0; i < timeline.n; i++)
        printf("%d", (int)(timeline.run_t[i] / CORO_SEC % 10));
    printf("  (seconds since the start)\n");
    for (l = 0; l < timeline.nlanes; l++) {
        printf("%-*s", w, timeline.lane[l]);
        for (i = 0; i < timeline.n; i++)
            putchar(timeline.run_lane[i] == l ? '#' : '.');
        printf("\n");
    }
}

#define TL_LEFT 90          /* px: the lanes' names */
#define TL_WIDTH 720        /* px: the time axis */
#define TL_LANE 36          /* px: one lane */
#define TL_BAR 6            /* px: the width of a run */

/* Writes the timeline as an SVG to `path`, titled `title`. 0, or -1 (with
 * errno) if the file cannot be written. */
#ifdef CORO_EMBEDDED_STDIO_H
static inline int timeline_svg(const char *path, const char *title)
{
    (void)path, (void)title;
    return -1;
}
#else
static inline int timeline_svg(const char *path, const char *title)
{
    FILE *f = fopen(path, "w");
    coro_time span = CORO_SEC, tick;
    double scale;
    int i, j, l, h;
    if (!f)
        return -1;
    for (i = 0; i < timeline.n; i++)
        if (timeline.run_t[i] > span)
            span = timeline.run_t[i];
    tick = span > 3 * CORO_SEC ? CORO_SEC : span > CORO_SEC ? CORO_SEC / 2 : CORO_SEC / 10;
    scale = (double)TL_WIDTH / (double)span;
    h = 40 + TL_LANE * timeline.nlanes + 30;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n",
            TL_LEFT + TL_WIDTH + 40, h);
    fprintf(f, "<title>%s</title>\n", title);
    fprintf(f, "<style>text{font:13px sans-serif} .run{fill:#1f6fb4} "
               ".wait{stroke:#999;stroke-dasharray:4 3} .tick{stroke:#ddd}</style>\n");
    fprintf(f, "<text x=\"10\" y=\"20\">%s</text>\n", title);
    for (j = 0; (coro_time)j * tick <= span; j++) {     /* the time axis */
        double x = TL_LEFT + (double)((coro_time)j * tick) * scale;
        fprintf(f, "<line class=\"tick\" x1=\"%.1f\" y1=\"30\" x2=\"%.1f\" y2=\"%d\"/>\n",
                x, x, h - 25);
        fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%d\">%.1f s</text>\n", x, h - 8,
                (double)((coro_time)j * tick) / CORO_SEC);
    }
    for (l = 0; l < timeline.nlanes; l++) {             /* a lane per task */
        int y = 40 + TL_LANE * l, last = -1;
        fprintf(f, "<g class=\"lane\" data-lane=\"%s\">\n", timeline.lane[l]);
        fprintf(f, "<text class=\"name\" x=\"10\" y=\"%d\">%s</text>\n", y + 18,
                timeline.lane[l]);
        for (i = 0; i < timeline.n; i++) {
            double x = TL_LEFT + (double)timeline.run_t[i] * scale;
            if (timeline.run_lane[i] != l)
                continue;
            if (last >= 0)                              /* the wait since its last run */
                fprintf(f, "<line class=\"wait\" data-lane=\"%s\" data-from=\"%.6f\" "
                           "data-to=\"%.6f\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n",
                        timeline.lane[l], (double)timeline.run_t[last] / CORO_SEC,
                        (double)timeline.run_t[i] / CORO_SEC,
                        TL_LEFT + (double)timeline.run_t[last] * scale + TL_BAR, y + 13, x,
                        y + 13);
            fprintf(f, "<rect class=\"run\" data-lane=\"%s\" data-t=\"%.6f\" x=\"%.1f\" "
                       "y=\"%d\" width=\"%d\" height=\"26\"><title>%s runs at %.6f s</title>"
                       "</rect>\n",
                    timeline.lane[l], (double)timeline.run_t[i] / CORO_SEC, x, y, TL_BAR,
                    timeline.lane[l], (double)timeline.run_t[i] / CORO_SEC);
            last = i;
        }
        fprintf(f, "</g>\n");
    }
    fprintf(f, "</svg>\n");
    return fclose(f) == 0 ? 0 : -1;
}
#endif

/* The options: --timeline (the text rows) and --timeline=svg FILE. If
 * argv[*i] is one, takes it (and FILE: *i moves on) and returns 1; else 0. */
static inline int timeline_option(int argc, char **argv, int *i, int *text, const char **svg)
{
    if (strcmp(argv[*i], "--timeline") == 0)
        return *text = 1;
    if (strcmp(argv[*i], "--timeline=svg") == 0 && *i + 1 < argc) {
        *svg = argv[++*i];
        return 1;
    }
    return 0;
}

/* After the run: the text rows if `text`, the SVG (titled `title`) if `svg`.
 * 0, or 1 after saying on stderr why the SVG could not be written. */
static inline int timeline_output(int text, const char *svg, const char *title)
{
    if (text)
        timeline_print();
    if (svg && timeline_svg(svg, title) != 0) {
#ifdef CORO_EMBEDDED_STDIO_H
        fprintf(stderr, "%s: no files here\n", svg);
#else
        perror(svg);
#endif
        return 1;
    }
    return 0;
}

#endif
