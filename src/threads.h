/*
 * threads.h: running a stage's worker on all threads.
 *
 * A parallel stage hands out fixed pieces of work (batches of documents, blocks
 * of candidates) from an atomic counter and keeps each piece's result in its own
 * place, so what it produces never depends on which thread did what.
 */
#ifndef ND_THREADS_H
#define ND_THREADS_H

#include "nd_internal.h"

/* The threads to use for n_items pieces of work: --threads (0: every core), at most
 * one per piece, at least one. */
int nd_thread_count(const nd_options *o, size_t n_items);

/* Runs worker(arg) on n threads, this one included, and waits for them all. Returns 0
 * or ND_ENOMEM (when fewer threads could start, the ones started do the work). */
int nd_run_threads(int n, void *(*worker)(void *), void *arg);

#endif
