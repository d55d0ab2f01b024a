/*
 * threads.c: the worker threads of the parallel stages (see threads.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "threads.h"

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
