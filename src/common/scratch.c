/*
 * scratch.c: memory for sorts, bitmaps and the documents' array (see scratch.h).
 *
 * Under a megabyte it comes from malloc: a mapping per small sort would cost a
 * system call each. From a megabyte up it is a mapping of its own, rounded up to
 * whole huge pages (2 MiB), which the kernel places on their boundaries, and
 * advised to use them: one page fault per 2 MiB where 4 KiB pages cost 512.
 *
 * A pool keeps the last two freed mappings for the next ones: the kernel zeroes
 * every page it hands out, and on a virtual machine a page it has not touched
 * for a while is also faulted in by the host. A request takes the smallest kept
 * mapping that holds it, trimmed to its size; one that none holds takes the
 * largest, grown (mremap keeps its pages, only the part added is fresh), and the
 * others are freed, so that kept pages never sit unused beside a fresh mapping.
 * The run gives them back after the stages that sort (nd_scratch_release).
 */
#define _GNU_SOURCE /* madvise, mremap */
#include "common/base.h"
#include "common/scratch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE ((size_t)2 << 20)
#define MAPPED_MIN (HUGE_PAGE / 2) /* below it, malloc */

/* The pool's kept mappings are of this type (scratch.h declares them opaque in size). */
typedef struct nd_scratch_kept kept_mapping;

static bool is_mapped(size_t n)
{
    return n >= MAPPED_MIN;
}

/* The length of the mapping for a request of n bytes (n >= MAPPED_MIN): whole huge
 * pages, so that a kept mapping is trimmed on a page boundary and its length is known
 * from n. */
static size_t mapped_size(size_t n)
{
    return n > SIZE_MAX - HUGE_PAGE ? n : (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* Takes a kept mapping out: the smallest of at least n bytes (n from mapped_size), the
 * others staying kept; or else the largest, the others being freed (all of them for
 * n = SIZE_MAX). */
static kept_mapping take_kept(nd_scratch_pool *pool, size_t n)
{
    kept_mapping others[ND_SCRATCH_KEPT], got = {NULL, 0};
    size_t n_others = 0;
    if (!pool)
        return got;
    kept_mapping *kept = pool->kept;
    pthread_mutex_lock(&pool->lock);
    size_t n_kept = pool->n_kept, fits = n_kept, largest = n_kept;
    for (size_t i = 0; i < n_kept; i++) {
        if (kept[i].n >= n && (fits == n_kept || kept[i].n < kept[fits].n))
            fits = i;
        if (largest == n_kept || kept[i].n > kept[largest].n)
            largest = i;
    }
    if (fits < n_kept) {
        got = kept[fits];
        kept[fits] = kept[--n_kept];
        pool->n_kept = n_kept;
    } else {
        for (size_t i = 0; i < n_kept; i++) {
            if (i == largest && n != SIZE_MAX)
                got = kept[i];
            else
                others[n_others++] = kept[i];
        }
        pool->n_kept = 0;
    }
    pthread_mutex_unlock(&pool->lock);
    for (size_t i = 0; i < n_others; i++)
        munmap(others[i].p, others[i].n);
    return got;
}

/* A kept mapping made n bytes long (trimmed or grown), or NULL. */
static void *resize_kept(kept_mapping m, size_t n)
{
    if (m.n > n && munmap((unsigned char *)m.p + n, m.n - n) != 0) {
        munmap(m.p, m.n); /* not trimmed: its length would be wrong for its owner */
        return NULL;
    }
    if (m.n >= n)
        return m.p;
    void *p = mremap(m.p, m.n, n, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) {
        munmap(m.p, m.n);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n, MADV_HUGEPAGE);
#endif
    return p;
}

/* A mapping for n bytes (n >= MAPPED_MIN); *used tells how many of its first bytes
 * were used before (the rest is zero, its pages untouched). */
static void *map_scratch(nd_scratch_pool *pool, size_t n, size_t *used)
{
    n = mapped_size(n);
    const kept_mapping m = take_kept(pool, n);
    void *p = m.p ? resize_kept(m, n) : NULL;
    *used = p ? (m.n < n ? m.n : n) : 0;
    if (p)
        return p;
    p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n, MADV_HUGEPAGE); /* advice: the kernel may refuse it */
#endif
    return p;
}

void *nd_scratch_map(nd_scratch_pool *pool, size_t n)
{
    size_t used;
    return is_mapped(n) ? map_scratch(pool, n, &used) : malloc(n ? n : 1);
}

void *nd_scratch_map_zeroed(nd_scratch_pool *pool, size_t n)
{
    if (!is_mapped(n))
        return calloc(1, n ? n : 1);
    size_t used;
    void *p = map_scratch(pool, n, &used);
    if (p) /* the rest is zero, and its pages untouched until used */
        memset(p, 0, used < n ? used : n);
    return p;
}

void *nd_scratch_remap(nd_scratch_pool *pool, void *p, size_t n, size_t new_n)
{
    if (!p) /* nothing yet, as realloc takes it */
        return nd_scratch_map(pool, new_n);
    if (!is_mapped(n) && !is_mapped(new_n))
        return realloc(p, new_n ? new_n : 1);
    if (!is_mapped(n) || !is_mapped(new_n)) { /* from malloc to a mapping, or back */
        void *q = nd_scratch_map(pool, new_n);
        if (q) {
            memcpy(q, p, n < new_n ? n : new_n);
            nd_scratch_unmap(pool, p, n);
        }
        return q;
    }
    new_n = mapped_size(new_n);
    void *q = mremap(p, mapped_size(n), new_n, MREMAP_MAYMOVE);
    if (q == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(q, new_n, MADV_HUGEPAGE);
#endif
    return q;
}

void nd_scratch_unmap(nd_scratch_pool *pool, void *p, size_t n)
{
    if (!p)
        return;
    if (!is_mapped(n)) {
        free(p);
        return;
    }
    kept_mapping out = {p, mapped_size(n)};
    if (!pool) {
        munmap(out.p, out.n);
        return;
    }
    kept_mapping *kept = pool->kept;
    pthread_mutex_lock(&pool->lock);
    if (pool->n_kept == ND_SCRATCH_KEPT) { /* the oldest goes */
        kept_mapping oldest = kept[0];
        memmove(kept, kept + 1, (ND_SCRATCH_KEPT - 1) * sizeof(*kept));
        kept[ND_SCRATCH_KEPT - 1] = out;
        out = oldest;
    } else {
        kept[pool->n_kept++] = out;
        out.p = NULL;
    }
    pthread_mutex_unlock(&pool->lock);
    if (out.p)
        munmap(out.p, out.n);
}

void nd_scratch_give_back(void *p, size_t n)
{
    if (p && is_mapped(n))
        munmap(p, mapped_size(n));
    else
        free(p);
}

void nd_scratch_drop_pages(void *p, size_t n)
{
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    const uintptr_t from = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t to = ((uintptr_t)p + n) & ~(page - 1);
    if (to > from)
        (void)madvise((void *)from, to - from, MADV_DONTNEED); /* advice: nothing depends on it */
}

int nd_scratch_pool_init(nd_scratch_pool *pool)
{
    pool->n_kept = 0;
    return pthread_mutex_init(&pool->lock, NULL) == 0 ? 0 : ND_ENOMEM;
}

void nd_scratch_release(nd_scratch_pool *pool)
{
    take_kept(pool, SIZE_MAX); /* none holds that much, and none is grown: all are freed */
}

void nd_scratch_pool_dispose(nd_scratch_pool *pool)
{
    nd_scratch_release(pool);
    pthread_mutex_destroy(&pool->lock);
}
