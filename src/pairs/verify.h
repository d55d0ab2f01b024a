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

/* In a known pair's cluster (see nd_verify_values): verification stopped it below the
 * threshold, so its jaccard and shared are not its exact values. */
#define ND_PAIR_BELOW UINT32_MAX

/* Each pair of cand, in order, with its values (the exact Jaccard, the estimate and the
 * shared shingles) in *values (malloc'd, cand->n of them). With exact false, a pair
 * that cannot reach the threshold stops early, as the verify stage stops it, and is
 * marked ND_PAIR_BELOW. */
int nd_verify_values(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *cand, bool exact,
                     nd_pair **values);

/* Where the verification of a run whose shingle sets are spread over processes
 * (neardup-mpi) finds its pairs: before the pairs keys[0..n) are verified, prepare makes
 * the sets of each either readable in the scratch file or the pair known: *known
 * (n_known of them, in nd_compare_known_pairs' order, kept by the source) then holds the
 * pairs the process that has both sets verified, with nd_verify_values' values (exact
 * values when exact is asked for: the caller needs those of pairs below the threshold
 * too). A pair is known in the order it was asked in: (a, b) is not (b, a). */
typedef struct nd_pair_source {
    int (*prepare)(nd_run_ctx *ctx, const nd_corpus *c, const nd_pair_key *keys, size_t n,
                   bool exact, const nd_pair **known, size_t *n_known, void *payload);
    void *payload;
} nd_pair_source;

/* The order of known pairs: by doc_a, then doc_b, exact values before ND_PAIR_BELOW. */
int nd_compare_known_pairs(const void *a, const void *b);

/* Pair k in known[0..n) (nd_compare_known_pairs' order), with exact values when exact is
 * asked for, or NULL. */
const nd_pair *nd_known_pair(const nd_pair *known, size_t n, nd_pair_key k, bool exact);

#endif
