/*
 * threads.c: the worker threads of the parallel stages (see threads.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "common/threads.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

int nd_thread_count(const nd_options *o, size_t n_items)
{
    long n = o->threads ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if ((size_t)n > n_items)
        n = n_items ? (long)n_items : 1;
    return (int)n;
}

int nd_run_threads(int n, void *(*worker)(void *), void *arg)
{
    pthread_t *tids = calloc((size_t)n, sizeof(*tids));
    if (!tids)
        return ND_ENOMEM;
    int started = 0;
    for (; started < n - 1; started++)
        if (pthread_create(&tids[started], NULL, worker, arg) != 0)
            break;
    worker(arg);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    return 0;
}

void nd_work_init(nd_work *w, size_t n_pieces)
{
    atomic_init(&w->next, 0);
    atomic_init(&w->rc, 0);
    w->n = n_pieces;
}

bool nd_work_take(nd_work *w, size_t *piece)
{
    if (atomic_load(&w->rc) != 0)
        return false;
    *piece = atomic_fetch_add(&w->next, 1);
    return *piece < w->n;
}

void nd_work_done(nd_work *w, int rc)
{
    int none = 0;
    if (rc < 0)
        atomic_compare_exchange_strong(&w->rc, &none, rc);
}

int nd_work_result(nd_work *w)
{
    return atomic_load(&w->rc);
}
