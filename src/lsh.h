/*
 * lsh.h: stage 5, signatures -> candidate pairs by banding.
 *
 * Takes the signatures of the documents (num_perm values each). Produces the
 * distinct pairs (a < b) of documents that agree on all rows of at least one
 * band.
 */
#ifndef ND_LSH_H
#define ND_LSH_H

#include "extsort.h"
#include "nd_internal.h"

/* One band of one document's signature. */
typedef struct nd_band_record {
    uint64_t hash; /* of the band's rows */
    uint32_t band;
    uint32_t doc;
} nd_band_record;

/* Probability that two documents of similarity s become candidates. */
double nd_lsh_probability(double s, int bands, int rows);

/* The bands x rows (bands * rows <= num_perm) minimizing the sum of the false
 * positive and false negative probability integrals around threshold. */
void nd_lsh_params(double threshold, int num_perm, int *bands, int *rows);

/* The bands records of one signature (out holds bands entries). */
void nd_lsh_band_records(const uint32_t *sig, uint32_t doc, int bands, int rows,
                         nd_band_record *out);

/* An external sort for band records, holding up to budget bytes in memory. */
int nd_lsh_sorter_new(nd_extsort **out, size_t budget, nd_spill *spill);

/* Ends adding to a sorter of band records and reads the sorted distinct candidate pairs. */
int nd_lsh_candidates_sorted(nd_extsort *sorted, nd_pair_key **out, size_t *n_out);

/* All in memory, for a small set: sigs holds num_perm values per document number; docs[0..n_docs) are the
 * (increasing) numbers of the documents to band. Writes the sorted distinct
 * candidate pairs to *out. */
int nd_lsh_candidates(const uint32_t *sigs, const uint32_t *docs, size_t n_docs, int num_perm,
                      int bands, int rows, nd_pair_key **out, size_t *n_out);

/* Sorts pairs and removes repeats; returns the new count. */
size_t nd_pair_keys_unique(nd_pair_key *pairs, size_t n);

#endif
