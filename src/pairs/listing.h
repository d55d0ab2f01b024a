/*
 * listing.h: the listing stage, which pairs a result lists (see ND_LIST_ALL_PAIRS).
 */
#ifndef ND_LISTING_H
#define ND_LISTING_H

#include "common/context.h"
#include "pairs/lsh.h"

/* From the verified pairs (between texts, and each copy with the first document of its
 * text), the candidates verification skipped and the clusters' members: the listed
 * pairs, sorted, with their cluster numbers. A small cluster's skipped candidates are
 * verified; it lists every pair of its texts found, for each two of their documents,
 * and each two documents of one text. A large one lists each member with its kept
 * document, verified here when needed. *unlisted counts the pairs of large clusters'
 * members left out. */
int nd_listing_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_pair *verified,
                     size_t n_verified, const nd_candidates *skipped, const nd_member *members,
                     size_t n_members, nd_pair **out, size_t *n_out, uint64_t *unlisted);

#endif
