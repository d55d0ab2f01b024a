/*
 * passage_stage.h: the passage stage, the scan's tokens and shingles -> passages shared
 * by two documents, or repeated inside one.
 */
#ifndef ND_PASSAGE_STAGE_H
#define ND_PASSAGE_STAGE_H

#include "common/context.h"
#include "passages/passage_clusters.h"
#include "passages/passages.h"
#include "scan/scan.h"

/* The passages of c's documents, sorted; *out is malloc'd. Tokens are read back from the
 * scratch file, shingle records from the scan's blobs (the feed), sorted within their
 * shares of --memory with all threads. A copy (nd_doc_is_copy) is aligned with the first
 * document of its text alone: one passage of all their words. *clusters gets the
 * passage clusters, each place with its words. largest_cluster (the most documents of a
 * cluster of near-duplicates) says whether shingles common enough for --max-df to ignore
 * are to be looked for before sorting (they are when it passes --max-df). */
int nd_passage_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                     size_t largest_cluster, nd_passage **out, size_t *n_out,
                     nd_passage_counts *counts, nd_passage_clustering *clusters);

#endif
