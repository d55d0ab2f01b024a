/*
 * ranks.h: the batch run on the ranks of an MPI job (neardup-mpi).
 *
 * Every rank lists the same inputs (a document's number is its place in input order,
 * whatever the number of ranks; they check that they agree). The scan's batches are cut
 * into parts of about equal bytes, whatever the number of ranks, dealt one at a time to the rank
 * that asks (rank 0 deals, on a thread of its own): bytes are not time (another script, another
 * markup), nor are all cores as fast, so a rank that finishes early takes more. Each rank scans its
 * parts (or takes them from --work-dir). Their records go to rank 0 in two rounds: first the heads;
 * then, when rank 0 asks, the signatures, shingle sets and profiles of the documents the
 * identical stage and verification compare (a pair whose first document another rank scanned
 * is verified there, with the other set from its rank). LSH runs on every rank: each sends its band
 * records to the rank that owns their hash (band_exchange.h), finds the candidates of the buckets
 * it owns and sends them to rank 0. So does the passage stage (passage_ranks.h): the words stay on
 * the rank that scanned them. Rank 0 runs the other stages on the threads of its node's ranks, idle
 * by then, and writes neardup's outputs.
 */
#ifndef ND_RANKS_H
#define ND_RANKS_H

#include "input/corpus.h"

#include <pthread.h>

typedef struct nd_rank_run {
    int rank, ranks;
    int node_ranks;       /* the ranks on this rank's node, this one included */
    const char *work_dir; /* --work-dir, or NULL */
    int failure;          /* why the run failed here (an ND_E* code), else 0 */
    int saved_stderr;     /* a rank other than 0: its stderr, while the command line is
                             parsed (rank 0 tells the command line's messages) */
    /* what the run found, for --run-info */
    size_t parts_reused;       /* this rank's parts that came from --work-dir */
    int told_keyless;          /* rank 0 said once that the parts cannot be kept */
    uint64_t first_bytes;      /* rank 0: the records of the first round, from all ranks */
    uint64_t sets_bytes;       /* rank 0: the shingle sets asked for */
    uint64_t sets_docs;        /* rank 0: of how many documents */
    uint64_t bands_bytes;      /* the band records every rank sent to the others (rank 0: all's) */
    uint64_t candidates_bytes; /* rank 0: the candidates the others found */
    uint64_t pairs_verified;   /* rank 0: verifications by the rank of the pair's first document
                                  (a pair asked again for its exact values counts twice) */
    uint64_t pairs_bytes;      /* rank 0: those pairs, asked and answered */
    uint64_t swapped_bytes;    /* rank 0: the sets of those pairs' second documents, sent
                                  between ranks (by every rank) */
    uint64_t passages_bytes;   /* rank 0: what every rank sent others in the passage stage */
    /* kept during the run */
    size_t *bounds; /* part k is batches [bounds[k], bounds[k + 1]) */
    size_t parts;
    int *owner;       /* part k's rank (on a rank other than 0: its own parts', else -1) */
    size_t next_part; /* rank 0: the next part to deal */
    pthread_mutex_t deal_lock;
    int rank_threads;
    uint8_t *have;  /* documents whose sets the rank has (rank 0: every one that
                       came; another rank: those the others sent, its own apart) */
    uint8_t *need;  /* rank 0: documents whose sets it asks for */
    nd_pair *known; /* rank 0: the pairs the other ranks verified, sorted */
    size_t n_known, known_cap;
    nd_run_progress_fn progress;
    void *progress_payload;
} nd_rank_run;

/* The rank whose parts hold document doc: of the parts that start at or before its batch
 * (part k is batches [bounds[k], bounds[k + 1]), owner[k]'s), the last (an empty part
 * starts where the next does). */
int nd_rank_of_doc(const size_t *bounds, size_t parts, const int *owner, uint32_t doc);

/* What a rank that stopped before listing agrees with (no listing hash is this). */
#define ND_RANK_NOT_LISTED UINT64_MAX

/* A cli_engine's run: on rank 0 the whole run (*out its result), on the others their
 * part of it (*out NULL). */
int nd_rank_run_corpus(nd_corpus *c, nd_result **out, void *rank_run);

#endif
