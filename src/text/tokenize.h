/*
 * tokenize.h: stage 2, normalized UTF-16 -> words with original byte ranges.
 *
 * Takes an nd_normtext. Produces one nd_token per word or number segment of
 * ICU's word BreakIterator (rule status >= UBRK_WORD_NONE_LIMIT: numbers,
 * letters, kana, ideographs; spaces and punctuation are dropped), with the
 * original bytes it spans and the XXH3 hash of its normalized UTF-16 form.
 * Dictionary-based segmentation (Chinese, Japanese, Thai, Lao, Khmer,
 * Myanmar) comes from ICU's word break rules.
 */
#ifndef ND_TOKENIZE_H
#define ND_TOKENIZE_H

#include "common/base.h"
#include "text/normalize.h"

#include <stdbool.h>

/* A word of a document: where it is in the original bytes, and a hash of its
 * normalized form. */
typedef struct nd_token {
    uint32_t start, end;
    uint64_t hash;
} nd_token;

typedef struct nd_tokenizer nd_tokenizer;

/* How the fast path sees a UTF-16 unit of normalized text (see tokenize.c). */
enum word_class {
    WC_UNKNOWN,   /* not asked yet */
    WC_COMPLEX,   /* needs ICU */
    WC_SEPARATOR, /* always a boundary, never part of a word */
    WC_LETTER,
    WC_DIGIT,
    WC_MID_LETTER, /* joins two letters */
    WC_MID_NUM,    /* joins two digits */
    WC_MID_BOTH,   /* joins two letters or two digits */
    WC_CONNECTOR,  /* '_': joins letters, digits and connectors on both sides; alone, no word */
};

/* The tokenizer's class table: 65536 entries, WC_UNKNOWN until asked (ASCII is
 * filled from the start). */
uint8_t *nd_tokenizer_classes(nd_tokenizer *tk);

/* Reads the class of u off ICU's answers and stores it in the table. */
uint8_t nd_tokenizer_classify(nd_tokenizer *tk, UChar u);

/* The class of u, asking ICU the first time. */
static inline uint8_t nd_word_class(nd_tokenizer *tk, uint8_t *classes, UChar u)
{
    const uint8_t c = classes[u];
    return c != WC_UNKNOWN ? c : nd_tokenizer_classify(tk, u);
}

/* Whether cls is one of the middle classes, which join what is on both sides. */
static inline bool nd_is_mid_class(int cls)
{
    return cls == WC_MID_LETTER || cls == WC_MID_NUM || cls == WC_MID_BOTH;
}

/* Whether a unit of class cls is part of any word it touches. */
static inline bool nd_is_word_part(int cls)
{
    return cls == WC_LETTER || cls == WC_DIGIT || cls == WC_CONNECTOR;
}

/* Whether a middle character of class mid joins a unit of class before to one of class after. */
static inline bool nd_word_joins(int mid, int before, int after)
{
    if (before != after)
        return false;
    if (before == WC_LETTER)
        return mid == WC_MID_LETTER || mid == WC_MID_BOTH;
    if (before == WC_DIGIT)
        return mid == WC_MID_NUM || mid == WC_MID_BOTH;
    return false;
}

/* The classes tokenizers have learned from ICU, kept by a long-lived owner (an index
 * handle, whose every query is a run of its own): a tokenizer starts from them and gives
 * back what it learned when it is freed, from any thread. Learning a class takes ICU a
 * dozen tiny segmentations; a query of one article would otherwise spend more on them
 * than on its words. */
typedef struct nd_word_classes nd_word_classes;
int nd_word_classes_new(nd_word_classes **out);
void nd_word_classes_free(nd_word_classes *known); /* NULL is fine */

/* fast: split simple text with tables taken from ICU (identical results), else ICU only;
 * with fast, the classes start from known (when not NULL), which gets back what this
 * tokenizer learns when it is freed. */
int nd_tokenizer_new(nd_tokenizer **out, bool fast, nd_word_classes *known);
void nd_tokenizer_free(nd_tokenizer *tk);

/* Where a word lies in the normalized text (UTF-16 units, end exclusive). */
typedef struct nd_span16 {
    int32_t start_u16, end_u16;
} nd_span16;

/* Replaces *toks[0..*n) with the words of t (the arrays grow as needed). When norm
 * is not NULL, (*norm)[i] gets word i's place in the normalized text. */
int nd_tokenize(nd_tokenizer *tk, const nd_normtext *t, nd_token **toks, size_t *n, size_t *cap,
                nd_span16 **norm, size_t *norm_cap);

#endif
