/*
 * index_result.h: what nd_index_feed found, and the store it works on.
 */
#ifndef ND_INDEX_RESULT_H
#define ND_INDEX_RESULT_H

#include "index/store.h"
#include "input/corpus.h"

struct nd_index_result {
    const nd_corpus *corpus;
    nd_index_match *matches;
    size_t n_matches, cap_matches;
    nd_index_verdict *verdicts; /* one per document */
    int64_t *dates;             /* per document: its date, or ND_NO_DATE */
    char **ids;                 /* copies of the archived documents' ids the matches name */
    size_t n_ids, cap_ids;
    nd_index_passage *passages; /* their texts and earlier ids point into strings */
    size_t n_passages, cap_passages;
    char **strings; /* copies the passages own */
    size_t n_strings, cap_strings;
};

/* Appends a passage of document doc with match m: p's spans, in text_a (the new
 * document's text) and text_b (the earlier one's). */
int nd_index_result_add_passage(nd_index_result *r, const nd_index_match *m, const nd_passage *p,
                                const unsigned char *text_a, const unsigned char *text_b);

int nd_index_result_new(const nd_corpus *c, nd_index_result **out);

/* Appends a match; an archived document's id (id_len bytes at id) is copied. */
int nd_index_result_add_match(nd_index_result *r, const nd_index_match *m, const char *id,
                              size_t id_len);

#endif
