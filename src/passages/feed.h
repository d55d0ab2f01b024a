/*
 * feed.h: the passage stage's shingle records, read back from the scan, on all
 * threads (see feed.c).
 */
#ifndef ND_FEED_H
#define ND_FEED_H

#include "common/context.h"
#include "common/extsort.h"
#include "input/corpus.h"
#include "passages/passages.h"
#include "scan/scan.h"

/* Where the records go: add takes n of them. */
typedef struct nd_feed_sink {
    int (*add)(void *payload, const nd_shingle_record *records, size_t n);
    void *payload;
} nd_feed_sink;

/* How processes that each scanned some of the documents feed the passage stage together
 * (neardup-mpi's ranks): each calls the feed at once with the same options. NULL: this
 * process scanned them all. */
typedef struct nd_feed_ranks {
    /* every process's value, summed; and the least */
    uint64_t (*sum)(void *payload, uint64_t value);
    uint64_t (*least)(void *payload, uint64_t value);
    /* makes the maps (words 2j: seen once, 2j + 1: seen twice) every process's, combined */
    int (*combine_maps)(void *payload, uint64_t *maps, size_t words);
    void *payload;
} nd_feed_ranks;

/* Gives out, in (document, position) order, the records (hash, document, position)
 * of the shingles of c's documents that start passages, but for most of those that
 * occur only once (no seed comes from them) and, with max_df > 0, all those of the
 * shingles found to have more than 4 x max_df records (the passage stage would ignore
 * them: *capped counts them; with ranks, a record of ND_SHINGLE_IGNORED tells each of
 * them instead, after the others), from the scan's blobs. Returns 0, ND_ENOMEM or
 * ND_EIO. */
int nd_feed_repeated_shingles(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                              int max_df, const nd_feed_ranks *ranks, const nd_feed_sink *out,
                              uint64_t *capped);

#endif
