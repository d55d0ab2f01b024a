/*
 * progress.c: one progress line on stderr through every stage of a run.
 *
 * "neardup: verify (stage 3 of 5): 120000/450559 candidate pairs, 41000/s; about 9 s
 * left, 4 s so far". Redrawn at most four times a second, from whichever thread
 * reports; the others return at once (a try-lock), so progress never slows the scan.
 *
 * The time left is the current stage's, from its rate, plus the later stages', guessed
 * from the scan's time: on the benchmark's corpora LSH, verification and clustering
 * together take a tenth of the scan or less, and the passage stage about as long as the
 * scan (bench/README.md). A corpus of many near-duplicates verifies for longer: the
 * guess is then corrected when verification starts and shows its own rate.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

static const char *const stage_names[ND_STAGE_COUNT] = {"list",   "scan",    "lsh",
                                                        "verify", "cluster", "passages"};

/* The later stages' share of the scan's time (see the top of this file). */
static const double after_scan[ND_STAGE_COUNT] = {0, 0, 0.03, 0.05, 0.02, 1.0};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_start(cli_progress *p, bool passages)
{
    *p = (cli_progress){.started = now_seconds(), .stage = -1, .passages = passages};
    pthread_mutex_init(&p->lock, NULL);
}

/* Seconds the stages after `stage` may take, guessed from the scan's (estimated) time. */
static double later_stages(const cli_progress *p, int stage, double scan_seconds)
{
    double left = 0;
    for (int s = stage + 1; s < ND_STAGE_COUNT; s++)
        if (s != ND_STAGE_PASSAGES || p->passages)
            left += after_scan[s] * scan_seconds;
    return left;
}

static void draw(cli_progress *p, const nd_run_progress *r, double now)
{
    const double in_stage = now - p->stage_started, so_far = now - p->started;
    const int n_stages = p->passages ? 5 : 4;
    char where[160] = "";
    double stage_left = -1;
    if (r->total && r->done) {
        const double rate = (double)r->done / (in_stage > 1e-6 ? in_stage : 1e-6);
        stage_left = (double)(r->total - r->done) / rate;
        if (r->stage == ND_STAGE_SCAN)
            snprintf(where, sizeof(where), ": %llu/%llu %s, %.1f MB/s", (unsigned long long)r->done,
                     (unsigned long long)r->total, r->unit,
                     (double)r->bytes_done / 1e6 / (in_stage > 1e-6 ? in_stage : 1e-6));
        else
            snprintf(where, sizeof(where), ": %llu/%llu %s, %.0f/s", (unsigned long long)r->done,
                     (unsigned long long)r->total, r->unit, rate);
    }
    const double scan =
        r->stage == ND_STAGE_SCAN && stage_left >= 0 ? in_stage + stage_left : p->scan_seconds;
    fprintf(stderr, "\r\033[Kneardup: %s (stage %d of %d)%s; ", stage_names[r->stage], r->stage,
            n_stages, where);
    if (stage_left >= 0 || r->stage != ND_STAGE_SCAN)
        fprintf(stderr, "about %.0f s left, ",
                (stage_left > 0 ? stage_left : 0) + later_stages(p, r->stage, scan));
    fprintf(stderr, "%.0f s so far", so_far);
    p->drawn = true;
    p->last_draw = now;
}

void cli_progress_report(const nd_run_progress *r, void *payload)
{
    cli_progress *p = payload;
    if (pthread_mutex_trylock(&p->lock) != 0)
        return;
    const double now = now_seconds();
    if ((int)r->stage != p->stage) {
        if (p->stage == ND_STAGE_SCAN)
            p->scan_seconds = now - p->stage_started;
        p->stage = (int)r->stage;
        p->stage_started = now;
        p->last_draw = 0;
    }
    if (r->stage < ND_STAGE_COUNT && now - p->last_draw >= 0.25)
        draw(p, r, now);
    pthread_mutex_unlock(&p->lock);
}

void cli_progress_end(cli_progress *p)
{
    if (p->drawn)
        fputs("\r\033[K", stderr);
    pthread_mutex_destroy(&p->lock);
}
