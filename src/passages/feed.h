/*
 * feed.h: the passage stage's shingle records, read back from the scan, on all
 * threads (see feed.c).
 */
#ifndef ND_FEED_H
#define ND_FEED_H

#include "common/context.h"
#include "common/extsort.h"
#include "input/corpus.h"
#include "scan/scan.h"

/* Adds to out, in (document, position) order, the records (hash, document, position)
 * of the shingles of c's documents that start passages, but for most of those that
 * occur only once (no seed comes from them) and, with max_df > 0, all those of the
 * shingles found to have more than 4 x max_df records (the passage stage would ignore
 * them: *capped counts them), from the scan's blobs. Returns 0, ND_ENOMEM or ND_EIO. */
int nd_feed_repeated_shingles(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                              int max_df, struct nd_extsort *out, uint64_t *capped);

#endif
