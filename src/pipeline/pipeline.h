/*
 * pipeline.h: the stages over a corpus, with the scan done another way.
 */
#ifndef ND_PIPELINE_H
#define ND_PIPELINE_H

#include "pairs/lsh.h"
#include "passages/passage_stage.h"
#include "pairs/verify.h"
#include "scan/scan.h"

/* How a run gets what the scan makes, when other processes scan (neardup-mpi). */
typedef struct nd_run_hooks {
    /* Fills *out and the documents as nd_scan_stage would, but for the shingle sets and
     * profiles, which may come later (see need_sets and pair_source). */
    int (*scan)(nd_run_ctx *ctx, nd_corpus *c, nd_scan_out *out, void *payload);
    /* Called before the identical stage, which reads the sets of the documents whose text
     * hashes repeat: those must then be where their documents' offsets say. NULL when the
     * scan left every set. */
    int (*need_sets)(nd_run_ctx *ctx, nd_corpus *c, void *payload);
    /* Finds LSH's candidates as nd_lsh_stage would, when the band records are spread
     * over processes (scan holds this one's). NULL: nd_lsh_stage. */
    int (*lsh)(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan, nd_candidates *out,
               void *payload);
    /* Where verification, the listing and the kept documents' Jaccards find the pairs whose
     * sets the scan left elsewhere (pairs/verify.h). NULL when the scan left every set. */
    const nd_pair_source *pair_source;
    /* Runs the passage stage as nd_passage_stage would, when the documents' words are
     * spread over processes (scan holds this one's). NULL: nd_passage_stage. */
    int (*passages)(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                    size_t largest_cluster, nd_passage **out, size_t *n_out,
                    nd_passage_counts *counts, nd_passage_clustering *clusters, void *payload);
    void *payload;
} nd_run_hooks;

/* nd_corpus_run, its scan done through hooks. */
int nd_corpus_run_with(nd_corpus *c, const nd_run_hooks *hooks, nd_result **out);

#endif
