/*
 * verify.h: the verify stage, candidate pairs -> exact Jaccard of their shingle sets.
 */
#ifndef ND_VERIFY_H
#define ND_VERIFY_H

#include "pairs/lsh.h"

#include <stddef.h>
#include <stdint.h>

/* The verify stage: the candidates (sorted by a, distinct) whose similarity reaches the
 * threshold (exact, or the MinHash estimate with --verify=estimate), or all of them with
 * keep_all, as pairs in candidate order with both values; *pairs is malloc'd. Sets and
 * signatures are read from the scratch file, blocks of candidates on all threads. With
 * similarity not NULL (ND_SIMILARITY_BINS counts), each candidate's MinHash estimate is
 * counted in its bin. */
int nd_verify_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *cand, bool keep_all,
                    nd_pair **pairs, size_t *n_pairs, uint64_t *similarity);

/* The verify stage for clusters: the candidates verified in rounds, a candidate whose
 * documents are already joined by verified pairs of earlier rounds skipped (into
 * *skipped, in candidate order). The clusters are those of verifying them all; a cluster
 * of m documents costs about m verifications, not its m^2 candidates. */
int nd_verify_connecting(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *cand,
                         nd_pair **pairs, size_t *n_pairs, nd_candidates *skipped,
                         uint64_t *similarity);

/* The exact Jaccard of each pair (two scanned documents, in either order) into j[i], as
 * verification counts it; a document repeated as a in a row is read once. */
int nd_exact_jaccards(nd_run_ctx *ctx, const nd_corpus *c, const nd_pair_key *pairs, size_t n,
                      double *j);

/* Where the verification of a run whose shingle sets are spread over processes
 * (neardup-mpi) finds its pairs: before the pairs keys[0..n) are verified, prepare makes
 * the sets of each either readable in the scratch file or the pair known: *known (sorted
 * by doc_a, then doc_b; n_known of them, kept by the source) then holds the pairs the
 * process that has both sets verified, each with nd_verify_stage's values for keep_all
 * (the exact Jaccard, the estimate and the shared shingles). A pair is known in the
 * order it was asked in: (a, b) is not (b, a). */
typedef struct nd_pair_source {
    int (*prepare)(nd_run_ctx *ctx, const nd_corpus *c, const nd_pair_key *keys, size_t n,
                   const nd_pair **known, size_t *n_known, void *payload);
    void *payload;
} nd_pair_source;

#endif
