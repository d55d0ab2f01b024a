/*
 * passage_stage.h: the passage stage, the scan's tokens and shingles -> passages shared
 * by two documents, or repeated inside one.
 */
#ifndef ND_PASSAGE_STAGE_H
#define ND_PASSAGE_STAGE_H

#include "common/context.h"
#include "passages/feed.h"
#include "passages/passage_clusters.h"
#include "passages/passages.h"
#include "scan/scan.h"

/* The passages of c's documents, sorted; *out is malloc'd. Tokens are read back from the
 * scratch file, shingle records from the scan's blobs (the feed), sorted within their
 * shares of --memory with all threads. A copy (nd_doc_is_copy) is aligned with the first
 * document of its text alone: one passage of all their words. *clusters gets the
 * passage clusters, each place with its words. largest_cluster (the most documents of a
 * cluster of near-duplicates) says whether shingles common enough for --max-df to ignore
 * are to be looked for before sorting (they are when it passes --max-df). */
int nd_passage_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                     size_t largest_cluster, nd_passage **out, size_t *n_out,
                     nd_passage_counts *counts, nd_passage_clustering *clusters);

/* ---------------------------------------------------------------- shared by ranks */

/* The words of some documents another process scanned: docs[i]'s are toks[at[i],
 * at[i] + words[i]) (docs sorted). */
typedef struct nd_token_table {
    uint32_t *docs, *words;
    uint64_t *at;
    nd_token *toks;
    size_t n_docs;
} nd_token_table;

void nd_token_table_free(nd_token_table *t);

/* The flows of records between ranks (nd_passage_ranks.open). */
enum { ND_PASSAGE_FLOW_RECORDS, ND_PASSAGE_FLOW_SEEDS };

/* How the ranks of neardup-mpi share the passage stage: each scanned some of the
 * documents, and each calls nd_passage_share at once. */
typedef struct nd_passage_ranks {
    int rank, ranks;
    nd_feed_ranks feed;
    /* the rank that scanned doc */
    int (*owner)(void *payload, uint32_t doc);
    /* an all-to-all of 16-byte records (flow: ND_PASSAGE_FLOW_*): each rank opens it,
     * puts each record with its rank, and closes it (closing after a failure frees it);
     * keep takes those this rank owns */
    int (*open)(void *payload, int flow,
                int (*keep)(void *keep_payload, const void *records, size_t n), void *keep_payload,
                void **exchange);
    int (*put)(void *exchange, int to, const void *record);
    int (*close)(void *payload, void *exchange, int rc);
    /* every rank at once: the words of docs[0..n) (sorted, each another rank's) into *out,
     * and the words the others ask of this one's documents sent to them */
    int (*fetch_words)(void *payload, const uint32_t *docs, size_t n, nd_token_table *out);
    void *payload;
} nd_passage_ranks;

/* This rank's share of the passages of nd_passage_stage: those of the document pairs whose
 * first document it scanned (but the copies'), sorted. The shingle records go to the rank
 * that owns their hash (hash % ranks), which finds their seeds; each seed goes to the rank
 * of its first document, which reads the words of both (asking the other's rank for them,
 * if it is another). common_expected: whether to look for the shingles --max-df ignores
 * before sorting (the same on every rank). */
int nd_passage_share(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                     bool common_expected, const nd_passage_ranks *ranks, nd_passage **out,
                     size_t *n_out, nd_passage_counts *counts);

/* Where the words of a document start and end, and how many there are. */
typedef struct nd_doc_extent {
    uint32_t doc, words;
    uint32_t start, end;
} nd_doc_extent;

/* The order of extents: by document. */
int nd_compare_doc_extents(const void *a, const void *b);

/* The extents of this process's documents docs[0..n) into out[0..n). */
int nd_passage_extents(nd_run_ctx *ctx, const nd_corpus *c, const uint32_t *docs, size_t n,
                       nd_doc_extent *out);

/* Adds each copy's passage with its text's first document to out[0..*n_out) (sorted, and
 * kept sorted), from the extents of the documents in extents[0..n_extents) (sorted by
 * document) and the words of the others (this process's). */
int nd_passage_add_copies(nd_run_ctx *ctx, const nd_corpus *c, const nd_doc_extent *extents,
                          size_t n_extents, nd_passage **out, size_t *n_out);

/* The words of each place of places[0..n) (of this process's documents). */
int nd_passage_count_words(nd_run_ctx *ctx, const nd_corpus *c, nd_passage_place *places, size_t n);

#endif
