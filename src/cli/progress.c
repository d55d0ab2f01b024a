/*
 * progress.c: a progress line on stderr while documents are scanned.
 *
 * Redrawn at most four times a second, from whichever scan thread reports;
 * the others return at once (a try-lock), so progress never slows the scan.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_start(cli_progress *p)
{
    p->started = now_seconds();
    p->last_draw = 0;
    p->drawn = false;
    pthread_mutex_init(&p->lock, NULL);
}

void cli_progress_report(uint64_t docs_done, uint64_t docs_total, uint64_t bytes_done,
                         void *payload)
{
    cli_progress *p = payload;
    if (pthread_mutex_trylock(&p->lock) != 0)
        return;
    const double now = now_seconds();
    if (now - p->last_draw >= 0.25 || docs_done == docs_total) {
        const double elapsed = now - p->started > 1e-6 ? now - p->started : 1e-6;
        const double rate = (double)bytes_done / 1e6 / elapsed;
        const double left = docs_done ? elapsed * (double)(docs_total - docs_done) / docs_done : 0;
        fprintf(stderr,
                "\r\033[Kneardup: scan %llu/%llu documents, %.1f MB, %.1f MB/s, %.0f s left",
                (unsigned long long)docs_done, (unsigned long long)docs_total,
                (double)bytes_done / 1e6, rate, left);
        p->last_draw = now;
        p->drawn = true;
    }
    pthread_mutex_unlock(&p->lock);
}

void cli_progress_end(cli_progress *p)
{
    if (p->drawn)
        fputs("\r\033[K", stderr);
    pthread_mutex_destroy(&p->lock);
}
