/*
 * lsh.h: stage 5, signatures -> candidate pairs by banding.
 *
 * Takes the signatures of the documents (num_perm values each). Produces the
 * distinct pairs (a < b) of documents that agree on all rows of at least one
 * band.
 */
#ifndef ND_LSH_H
#define ND_LSH_H

#include "common/extsort.h"
#include "input/corpus.h"
#include "scan/bands.h"
#include "scan/scan.h"

/* A candidate pair of documents. */
typedef struct nd_pair_key {
    uint32_t a, b; /* a < b */
} nd_pair_key;

/* The candidates of a run, sorted and distinct. */
typedef struct nd_candidates {
    nd_pair_key *keys;
    size_t n;
    size_t spilled_runs; /* sorted runs the band sorts wrote to the scratch file */
} nd_candidates;

/* A bucket (documents that share a band) of more documents than this gives each
 * document paired with the bucket's first and with its neighbour, 2m - 3 pairs, not all
 * m(m - 1) / 2 (but with all_pairs). */
#define ND_BUCKET_ALL_PAIRS 32

/* With all_pairs, more candidates than this are warned of: they may take long. */
#define ND_ALL_PAIRS_WARN 10000000

/* The LSH stage: the band records the scan left (but those of copies, see
 * nd_doc_is_copy), sorted part by part on all threads (each part within its share of
 * --memory, beyond it in runs on disk), grouped into candidate pairs; the parts'
 * candidates joined and sorted, so they do not depend on the threads. */
int nd_lsh_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan, nd_candidates *out);

/* The stage in steps, for band records that other processes share (neardup-mpi: each
 * process holds whole buckets, and one joins their candidates): a sort per LSH part
 * (band b in part b % parts, each within its share of --memory), filled with the records
 * (but copies', see nd_doc_is_copy) by whoever has them, then grouped into candidates on
 * all threads (the sorts are closed); then the warning of too many with --all-pairs. */
typedef struct nd_lsh_sorts {
    nd_extsort **part;
    int n_parts;
} nd_lsh_sorts;
int nd_lsh_sorts_open(nd_run_ctx *ctx, nd_lsh_sorts *sorts);
static inline int nd_lsh_sorts_add(nd_lsh_sorts *sorts, const nd_band_record *r)
{
    return nd_extsort_add(sorts->part[r->band % (uint32_t)sorts->n_parts], r);
}
int nd_lsh_sorts_candidates(nd_run_ctx *ctx, nd_lsh_sorts *sorts, nd_candidates *out);
void nd_lsh_sorts_close(nd_lsh_sorts *sorts);
void nd_lsh_warn_all_pairs(const nd_run_ctx *ctx, const nd_candidates *cand);

/* Joins lists[0..n_lists) of candidates (each sorted and distinct; freed and emptied)
 * into one sorted, distinct list, merged two lists at a time; their spilled runs add
 * up. */
int nd_candidates_join(nd_candidates *lists, int n_lists, nd_candidates *out);

/* An external sort for band records, holding up to budget bytes in memory. */
int nd_lsh_sorter_new(nd_extsort **out, const nd_sort_env *env, size_t budget, nd_spill *spill);

/* Ends adding to a sorter of band records and reads the sorted distinct candidate pairs
 * of its buckets (all pairs of every bucket with all_pairs, see ND_BUCKET_ALL_PAIRS). */
int nd_lsh_candidates_sorted(nd_extsort *sorted, bool all_pairs, nd_pair_key **out, size_t *n_out);

/* All in memory, for a small set: sigs holds num_perm values per document number; docs[0..n_docs)
 * are the (increasing) numbers of the documents to band. Writes the sorted distinct candidate pairs
 * to *out. */
int nd_lsh_candidates(const uint32_t *sigs, const uint32_t *docs, size_t n_docs, int num_perm,
                      int bands, int rows, nd_pair_key **out, size_t *n_out);

/* The order of pairs: by a, then b. */
int nd_compare_pair_keys(const void *a, const void *b);

/* Sorts pairs (malloc'd: they are sorted as numbers in place) and removes repeats; returns
 * the new count. */
size_t nd_pair_keys_unique(nd_pair_key *pairs, size_t n);

#endif
