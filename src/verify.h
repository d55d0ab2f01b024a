/*
 * verify.h: stage 6, candidate pairs -> exact Jaccard of their shingle sets.
 */
#ifndef ND_VERIFY_H
#define ND_VERIFY_H

#include "nd_internal.h"

#include <stddef.h>
#include <stdint.h>

/* The candidates (sorted by a, distinct) whose similarity reaches the threshold (exact,
 * or the MinHash estimate with --verify=estimate), as pairs in candidate order with
 * both values; *pairs is malloc'd. Sets and signatures are read from the scratch file. */
int nd_verify_candidates(const nd_corpus *c, const nd_pair_key *cand, size_t n_cand,
                         nd_pair **pairs, size_t *n_pairs);

/* Number of values in both sorted, distinct arrays. */
size_t nd_intersect_count(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/* |A & B| / |A | B| of two sorted, distinct arrays; 0 when both are empty. */
double nd_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, size_t *shared);

#endif
