/*
 * passages.h: stage 8, word sequences -> passages shared by two documents
 * (or repeated inside one), as token ranges mapped to original bytes.
 */
#ifndef ND_PASSAGES_H
#define ND_PASSAGES_H

#include "common/radix.h"
#include "input/corpus.h"

typedef struct nd_token_seq {
    const nd_token *toks;
    uint32_t n;
} nd_token_seq;

typedef struct nd_passage_params {
    int k;                  /* words per seed shingle */
    int max_gap;            /* differing words bridged inside one passage */
    int min_passage;        /* fewest words on each side */
    int max_df;             /* a shingle in more documents than this is no seed */
    bool all_pairs;         /* each two places of a shingle seed, however many there are */
    size_t shingle_memory;  /* bytes for sorting shingle records, 0: no limit */
    size_t seed_memory;     /* bytes for sorting seeds (beside the records), 0: no limit */
    struct nd_spill *spill; /* where sorted runs go past those; NULL: no limit */
    nd_sort_env sort;       /* threads and scratch of the sorts */
} nd_passage_params;

/* One occurrence of a word shingle: the raw material of seeds. */
typedef struct nd_shingle_record {
    uint64_t hash;
    uint32_t doc, pos; /* pos: the shingle's first word */
} nd_shingle_record;

struct nd_extsort;

/* A record whose doc is this says that its shingle has more records than the passage
 * stage takes (a process that left them out tells the one that finds the seeds). */
#define ND_SHINGLE_IGNORED UINT32_MAX

/* Two places of one shingle: doc_a <= doc_b (in one document, pos_a < pos_b). */
typedef struct nd_seed {
    uint32_t doc_a, doc_b, pos_a, pos_b;
} nd_seed;

/* Where the words of documents come from: load puts document doc's words in *out, valid
 * until the next load into the same slot (0 or 1: the two documents of a pair).
 * shingles, when not NULL, adds shingle records to the sorter in (doc, pos) order
 * (with nd_extsort_add); records of shingles that occur once may be left out, and so may
 * all those of a shingle with more than 4 x max_df of them, counted in *capped. When
 * NULL, the records are made from the words. */
typedef struct nd_token_source {
    size_t n_docs;
    int (*load)(void *ctx, int slot, uint32_t doc, nd_token_seq *out);
    int (*shingles)(void *ctx, struct nd_extsort *out, int max_df, uint64_t *capped);
    void *ctx;
} nd_token_source;

/* What the passage stage counted. */
typedef struct nd_passage_counts {
    uint64_t capped;  /* distinct shingles ignored for max_df */
    uint64_t spilled; /* sorted runs written to the scratch file */
} nd_passage_counts;

/* Finds the passages of the documents of src (document numbers are 0..n_docs). */
/* The order of passages: by doc_a, doc_b, a_start, b_start. */
int nd_compare_passages(const void *a, const void *b);

int nd_find_passages_in(const nd_token_source *src, const nd_passage_params *p, nd_passage **out,
                        size_t *n_out, nd_passage_counts *counts);

/* The stage in steps, for processes that share it (neardup-mpi): nd_find_passages_in is
 * records -> seeds -> passages, all here.
 *
 * The sorter of shingle records (by hash, within p's share of memory): a hash's records
 * may come in any order. */
int nd_passage_records_open(const nd_passage_params *p, struct nd_extsort **out);
/* The sorter of seeds (by document pair), for documents 0..*n_docs. */
int nd_passage_seeds_open(const nd_passage_params *p, const size_t *n_docs,
                          struct nd_extsort **out);
/* The seeds of the records (finished), each given to add; *capped counts the shingles
 * ignored for max_df. */
typedef int (*nd_seed_fn)(void *payload, const nd_seed *s);
int nd_passage_seeds(const nd_passage_params *p, struct nd_extsort *records, nd_seed_fn add,
                     void *payload, uint64_t *capped);
/* Gives keep the seeds of each pair of seeds (finished) whose words are worth reading:
 * those whose seeds alone do not rule out a passage. */
int nd_passage_seeds_worth_reading(const nd_passage_params *p, struct nd_extsort *seeds,
                                   int (*keep)(void *payload, const nd_seed *s, size_t n),
                                   void *payload);
/* The passages of the pairs of seeds (finished), sorted; their words from src. */
int nd_passages_of_seeds(const nd_token_source *src, const nd_passage_params *p,
                         struct nd_extsort *seeds, nd_passage **out, size_t *n_out);

/* The same for word sequences in memory, docs[0..n_docs). */
int nd_find_passages(const nd_token_seq *docs, size_t n_docs, const nd_passage_params *p,
                     nd_passage **out, size_t *n_out, uint64_t *n_capped);

#endif
