/*
 * identical.h: the identical stage, documents whose normalized texts are identical
 * grouped before LSH, so that a text repeated m times costs m, never m^2.
 */
#ifndef ND_IDENTICAL_H
#define ND_IDENTICAL_H

#include "common/context.h"
#include "pairs/lsh.h"

/* Groups the documents by the hash of their shingle sequence, each group confirmed by
 * comparing the sequences themselves, and sets each document's text_first. *star gets
 * the pair (first, copy) of each copy, sorted. With all_pairs no document is a copy. */
int nd_identical_stage(nd_run_ctx *ctx, nd_corpus *c, nd_candidates *star);

/* Adds the pairs of *star to the verified *pairs, and sorts them by documents: the same
 * shingle sequence has Jaccard 1, the same signature, and all its distinct shingles
 * shared, with no need to read them again. */
int nd_identical_add_pairs(const nd_corpus *c, const nd_candidates *star, nd_pair **pairs,
                           size_t *n_pairs);

#endif
