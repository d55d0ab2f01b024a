/*
 * lsh.h: stage 5, signatures -> candidate pairs by banding.
 *
 * Takes the signatures of the documents (num_perm values each). Produces the
 * distinct pairs (a < b) of documents that agree on all rows of at least one
 * band.
 */
#ifndef ND_LSH_H
#define ND_LSH_H

#include "nd_internal.h"

/* Probability that two documents of similarity s become candidates. */
double nd_lsh_probability(double s, int bands, int rows);

/* The bands x rows (bands * rows <= num_perm) minimizing the sum of the false
 * positive and false negative probability integrals around threshold. */
void nd_lsh_params(double threshold, int num_perm, int *bands, int *rows);

/* sigs holds num_perm values per document number; docs[0..n_docs) are the
 * (increasing) numbers of the documents to band. Writes the sorted distinct
 * candidate pairs to *out. */
int nd_lsh_candidates(const uint32_t *sigs, const uint32_t *docs, size_t n_docs, int num_perm,
                      int bands, int rows, nd_pair_key **out, size_t *n_out);

/* Sorts pairs and removes repeats; returns the new count. */
size_t nd_pair_keys_unique(nd_pair_key *pairs, size_t n);

#endif
