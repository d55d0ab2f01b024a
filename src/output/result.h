/*
 * result.h: what a run produces and the writers print.
 */
#ifndef ND_RESULT_H
#define ND_RESULT_H

#include "common/context.h"
#include "input/corpus.h"
#include "output/text_store.h"

/* What crossed between the ranks of neardup-mpi's run (all 0 for a run of one process):
 * the bytes rank 0 received, of each round. */
typedef struct nd_exchange {
    int ranks;
    size_t parts, parts_reused; /* the scan's parts, and those --work-dir kept */
    uint64_t scan_bytes;        /* the first round: heads */
    uint64_t sets_bytes;        /* the signatures, shingle sets and profiles asked for */
    uint64_t sets_docs;         /* of how many documents */
    uint64_t bands_bytes;       /* the band records all ranks sent one another */
    uint64_t candidates_bytes;  /* LSH's candidates the others sent rank 0 */
    uint64_t pairs_verified;    /* verifications by the rank of the pair's first document, not
                                   rank 0 (a pair asked again for its exact values counts twice) */
    uint64_t pairs_bytes;       /* those pairs: rank 0's questions and the answers */
    uint64_t swapped_bytes;     /* the sets of their second documents, between ranks */
    uint64_t passages_bytes;    /* the passage stage: records, seeds, words, passages */
} nd_exchange;

struct nd_result {
    const nd_corpus *corpus;
    nd_stats stats;
    nd_pair *pairs;
    size_t n_pairs;
    nd_member *members;
    size_t n_members;
    nd_passage *passages;
    size_t n_passages;
    nd_passage_place *places; /* of the passage clusters */
    size_t n_places;
    double *kept_jaccard;  /* per member: its exact Jaccard with the kept document */
    nd_memory_plan memory; /* the run's plan, for -v and --run-info */
    nd_text_store texts;   /* the texts passages and places name, read once */
    nd_exchange exchange;
};

#endif
