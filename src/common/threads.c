/*
 * threads.c: the worker threads of the parallel stages (see threads.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "common/threads.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct parallel {
    nd_worker_fn worker;
    void *stage;
    nd_work work;
} parallel;

int nd_threads_wanted(int threads_option)
{
    const long n = threads_option > 0 ? threads_option : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

bool nd_work_take(nd_work *w, size_t *piece)
{
    if (atomic_load(&w->rc) != 0)
        return false;
    *piece = atomic_fetch_add(&w->next, 1);
    return *piece < w->n;
}

/* Keeps the first failure, which stops the other threads taking pieces. */
static void work_done(nd_work *w, int rc)
{
    int none = 0;
    if (rc < 0)
        atomic_compare_exchange_strong(&w->rc, &none, rc);
}

static void *run_worker(void *arg)
{
    parallel *p = arg;
    work_done(&p->work, p->worker(p->stage, &p->work));
    return NULL;
}

int nd_parallel(int threads, size_t n_pieces, nd_worker_fn worker, void *stage)
{
    parallel p = {worker, stage, {0}};
    atomic_init(&p.work.next, 0);
    atomic_init(&p.work.rc, 0);
    p.work.n = n_pieces;
    size_t n = threads > 1 ? (size_t)threads : 1;
    if (n > n_pieces)
        n = n_pieces ? n_pieces : 1;
    pthread_t *tids = n > 1 ? calloc(n - 1, sizeof(*tids)) : NULL;
    size_t started = 0;
    for (; tids && started < n - 1; started++)
        if (pthread_create(&tids[started], NULL, run_worker, &p) != 0)
            break;
    run_worker(&p);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    return atomic_load(&p.work.rc);
}
