/*
 * tokenize.c: ICU word segmentation of the normalized text.
 *
 * Segmenting the normalized text (not the original) means that a word split
 * by a zero-width joiner or a tatweel, or written with presentation forms,
 * segments like its plain form. Each token's original range is the union of
 * the ranges of its first and last normalized units (normalize.h invariant).
 */
#include "tokenize.h"

#include <stdlib.h>
#include <unicode/ubrk.h>
#include <xxhash.h>

struct nd_tokenizer {
    UBreakIterator *words;
};

int nd_tokenizer_new(nd_tokenizer **out)
{
    UErrorCode err = U_ZERO_ERROR;
    nd_tokenizer *tk = calloc(1, sizeof(*tk));
    if (!tk)
        return ND_ENOMEM;
    tk->words = ubrk_open(UBRK_WORD, "", NULL, 0, &err);
    if (U_FAILURE(err)) {
        free(tk);
        return ND_EICU;
    }
    *out = tk;
    return 0;
}

void nd_tokenizer_free(nd_tokenizer *tk)
{
    if (!tk)
        return;
    ubrk_close(tk->words);
    free(tk);
}

uint64_t nd_token_hash(const UChar *units, int32_t len)
{
    return XXH3_64bits(units, (size_t)len * sizeof(UChar));
}

int nd_tokenize(nd_tokenizer *tk, const nd_normtext *t, nd_token **toks, size_t *n, size_t *cap,
                nd_span16 **norm, size_t *norm_cap)
{
    UErrorCode err = U_ZERO_ERROR;
    *n = 0;
    if (t->len == 0)
        return 0;
    ubrk_setText(tk->words, t->text, t->len, &err);
    if (U_FAILURE(err))
        return ND_EICU;
    int32_t prev = ubrk_first(tk->words);
    for (int32_t cur = ubrk_next(tk->words); cur != UBRK_DONE;
         prev = cur, cur = ubrk_next(tk->words)) {
        if (ubrk_getRuleStatus(tk->words) < UBRK_WORD_NONE_LIMIT)
            continue;
        if (nd_grow((void **)toks, cap, *n + 1, sizeof(**toks)) < 0)
            return ND_ENOMEM;
        if (norm) {
            if (nd_grow((void **)norm, norm_cap, *n + 1, sizeof(**norm)) < 0)
                return ND_ENOMEM;
            (*norm)[*n] = (nd_span16){prev, cur};
        }
        nd_token *tok = &(*toks)[(*n)++];
        tok->start = t->src_start[prev];
        tok->end = t->src_end[cur - 1];
        tok->hash = nd_token_hash(t->text + prev, cur - prev);
    }
    /* the break iterator keeps a pointer to the text; drop it */
    ubrk_setText(tk->words, NULL, 0, &err);
    return 0;
}
