/*
 * passage_ranks.h: the passage stage on every rank of neardup-mpi.
 *
 * Rank 0 starts it (ND_REQUEST_PASSAGES, then which rank scanned each part and which
 * documents are copies), and every rank runs its share (nd_passage_share): the shingle
 * records to the rank that owns their hash, the seeds to the rank of their first
 * document, the words of the second asked of its rank. Each rank sends rank 0 its
 * passages and the extents of its documents that copies name; rank 0 adds the copies'
 * passages, clusters the passages, and asks each rank for the words of the places in
 * its documents.
 */
#ifndef ND_PASSAGE_RANKS_H
#define ND_PASSAGE_RANKS_H

#include "mpi/ranks.h"
#include "passages/passage_stage.h"

/* Rank 0: the passage stage as nd_passage_stage would run it (an nd_run_hooks.passages;
 * payload: the nd_rank_run). */
int nd_rank0_passages(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                      size_t largest_cluster, nd_passage **out, size_t *n_out,
                      nd_passage_counts *counts, nd_passage_clustering *clusters, void *payload);

/* A rank other than 0, asked for its share (ND_REQUEST_PASSAGES). */
int nd_rank_passages(nd_run_ctx *ctx, nd_corpus *c, const nd_rank_run *m, const nd_scan_out *scan);

#endif
