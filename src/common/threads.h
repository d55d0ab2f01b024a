/*
 * threads.h: running a stage's worker on all threads.
 *
 * A parallel stage hands out fixed pieces of work (batches of documents, blocks
 * of candidates) from an atomic counter and keeps each piece's result in its own
 * place, so what it produces never depends on which thread did what.
 */
#ifndef ND_THREADS_H
#define ND_THREADS_H

#include "common/base.h"

#include <stdatomic.h>
#include <stdbool.h>

/* Pieces 0..n-1 handed out from a counter, each to the first thread that asks; the
 * first failure is kept and stops the others from taking more. */
typedef struct nd_work {
    atomic_size_t next;
    atomic_int rc;
    size_t n;
} nd_work;

void nd_work_init(nd_work *w, size_t n_pieces);

/* Takes the next piece into *piece; false when none is left or a thread failed. */
bool nd_work_take(nd_work *w, size_t *piece);

/* Records a thread's result: a failure (rc < 0) stops the others; 0 does nothing. */
void nd_work_done(nd_work *w, int rc);

/* 0, or the first failure. */
int nd_work_result(nd_work *w);

/* The threads to use for n_items pieces of work: --threads (0: every core), at most
 * one per piece, at least one. */
int nd_thread_count(const nd_options *o, size_t n_items);

/* Runs worker(arg) on n threads, this one included, and waits for them all. Returns 0
 * or ND_ENOMEM (when fewer threads could start, the ones started do the work). */
int nd_run_threads(int n, void *(*worker)(void *), void *arg);

#endif
