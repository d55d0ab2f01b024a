/*
 * passages.h: stage 8, word sequences -> passages shared by two documents
 * (or repeated inside one), as token ranges mapped to original bytes.
 */
#ifndef ND_PASSAGES_H
#define ND_PASSAGES_H

#include "nd_internal.h"

typedef struct nd_token_seq {
    const nd_token *toks;
    uint32_t n;
} nd_token_seq;

typedef struct nd_passage_params {
    int k;           /* words per seed shingle */
    int max_gap;     /* differing words bridged inside one passage */
    int min_passage; /* fewest words on each side */
    int max_df;      /* a shingle in more documents than this is no seed */
} nd_passage_params;

/* Finds the passages of docs[0..n_docs) (document numbers are indices).
 * *n_capped gets the number of distinct shingles ignored for max_df. */
int nd_find_passages(const nd_token_seq *docs, size_t n_docs, const nd_passage_params *p,
                     nd_passage **out, size_t *n_out, uint64_t *n_capped);

#endif
