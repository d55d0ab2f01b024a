/*
 * result.h: what a run produces and the writers print.
 */
#ifndef ND_RESULT_H
#define ND_RESULT_H

#include "common/context.h"
#include "input/corpus.h"
#include "output/text_store.h"

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
};

#endif
