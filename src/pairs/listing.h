/*
 * listing.h: the listing stage, which pairs a result lists (see ND_LIST_ALL_PAIRS).
 */
#ifndef ND_LISTING_H
#define ND_LISTING_H

#include "common/context.h"
#include "pairs/lsh.h"

/* Replaces the verified pairs *pairs (between texts, and each copy with the first
 * document of its text) with the listed ones, sorted, with their cluster numbers, from
 * them, the candidates verification skipped and the clusters' members. A small
 * cluster's skipped candidates are verified; it lists every pair of its texts found,
 * for each two of their documents, and each two documents of one text. A large one
 * lists each member with its kept document, verified here when needed. *unlisted counts
 * the pairs of large clusters' members left out. */
/* The order of pairs: by doc_a, then doc_b. */
int nd_compare_pair_docs(const void *a, const void *b);

int nd_listing_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *skipped,
                     const nd_member *members, size_t n_members, nd_pair **pairs, size_t *n_pairs,
                     uint64_t *unlisted);

#endif
