/*
 * scratch.h: memory for sorts, bitmaps and the documents' array.
 *
 * Under a megabyte scratch comes from malloc; from a megabyte up it is a mapping
 * of its own, backed by huge pages where the kernel allows, whose fresh pages are
 * only taken when touched. A pool keeps the last two freed mappings for the next
 * requests (pages the process already has are cheaper than fresh ones). Each run
 * has its own pool; a NULL pool keeps nothing.
 */
#ifndef ND_SCRATCH_H
#define ND_SCRATCH_H

#include <pthread.h>
#include <stddef.h>

#define ND_SCRATCH_KEPT 2

typedef struct nd_scratch_pool {
    struct nd_scratch_kept {
        void *p;
        size_t n;
    } kept[ND_SCRATCH_KEPT];
    size_t n_kept;
    pthread_mutex_t lock;
} nd_scratch_pool;

int nd_scratch_pool_init(nd_scratch_pool *pool);
/* Gives back the mappings kept and destroys the pool. */
void nd_scratch_pool_dispose(nd_scratch_pool *pool);
/* Gives back the mappings kept (between stages: kept pages would only add to the next
 * stage's). */
void nd_scratch_release(nd_scratch_pool *pool);

/* Scratch memory of n bytes; the contents are undefined (a kept mapping may be handed
 * out again). The same n is given back to remap and unmap. NULL when there is no
 * memory. */
void *nd_scratch_map(nd_scratch_pool *pool, size_t n);
/* The same, zeroed. */
void *nd_scratch_map_zeroed(nd_scratch_pool *pool, size_t n);
/* Moves scratch of n bytes to new_n bytes (a mapping's pages, not copies of them; p NULL:
 * new scratch); NULL when it cannot, and p is then still valid. */
void *nd_scratch_remap(nd_scratch_pool *pool, void *p, size_t n, size_t new_n);
/* Frees scratch of n bytes (kept by the pool for a later nd_scratch_map). */
void nd_scratch_unmap(nd_scratch_pool *pool, void *p, size_t n);
/* Frees scratch of n bytes now, its pages back to the system. */
void nd_scratch_give_back(void *p, size_t n);

/* Gives the whole pages inside p[0..n) back to the system, for memory (from malloc or a
 * mapping) that stays allocated but whose contents are no longer needed: reading it
 * gives zeros, and a page written again is a fresh one. */
void nd_scratch_drop_pages(void *p, size_t n);

#endif
