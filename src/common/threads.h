/*
 * threads.h: the one way a stage runs on all threads.
 *
 * A parallel stage cuts its work into fixed pieces (batches of documents, parts of
 * the band records, blocks of candidates) and calls nd_parallel with a worker. Each
 * thread runs the worker once: it sets up what it needs, takes pieces from the
 * shared counter until none is left, keeps each piece's result in that piece's own
 * place, and returns 0 or a failure. So what a stage produces never depends on which
 * thread did what.
 */
#ifndef ND_THREADS_H
#define ND_THREADS_H

#include "common/base.h"

#include <stdatomic.h>
#include <stdbool.h>

/* Pieces 0..n-1 handed out from a counter, each to the first thread that asks; the
 * first failure stops the others from taking more. */
typedef struct nd_work {
    atomic_size_t next;
    atomic_int rc;
    size_t n;
} nd_work;

/* Takes the next piece into *piece; false when none is left or a thread failed. */
bool nd_work_take(nd_work *w, size_t *piece);

/* A stage's worker, run once on each thread: takes pieces with nd_work_take. */
typedef int (*nd_worker_fn)(void *stage, nd_work *work);

/* Runs worker(stage, work) on min(threads, n_pieces) threads, this one included (at
 * least one), over n_pieces pieces. Returns 0 or the first failure of a worker. When
 * fewer threads could start, the ones started do all the work. */
int nd_parallel(int threads, size_t n_pieces, nd_worker_fn worker, void *stage);

/* The threads that --threads asks for: its value, or every core for 0. */
int nd_threads_wanted(int threads_option);

#endif
