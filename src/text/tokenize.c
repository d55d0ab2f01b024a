/*
 * tokenize.c: ICU word segmentation of the normalized text.
 *
 * Segmenting the normalized text (not the original) means that a word split
 * by a zero-width joiner or a tatweel, or written with presentation forms,
 * segments like its plain form. Each token's original range is the union of
 * the ranges of its first and last normalized units (normalize.h invariant).
 *
 * HOW IT WORKS (the fast path)
 *
 * ICU's BreakIterator is slow next to the rest of the scan. But for the text news is made of
 * (letters and digits of alphabetic scripts, spaces, punctuation), the
 * Unicode word break rules (UAX #29) reduce to: a word is a maximal run of
 * letters and digits, where a "middle" character (apostrophe, period, comma,
 * ...) also joins when it stands between two letters (WB6/7) or two digits
 * (WB11/12). A connector ('_', ExtendNumLet, WB13a/b) joins whatever word
 * parts touch it, so "a_b" and "__" are words, but a lone '_' is none, and a
 * middle character after it joins nothing ("a_.b" is "a_" and "b").
 * The fast path applies exactly that, with a class per BMP code
 * point taken from ICU at start-up: the Word_Break property, and for each
 * middle character a probe of ICU's own BreakIterator on "a?a" and "1?1",
 * so that ICU's tailorings (the colon is not MidLetter in ICU) are honoured.
 * A code point's class is worked out the first time the text holds it (a
 * table of all 65536 would cost ICU a million calls in every run).
 * Whatever the fast path does not model (combining marks, format controls,
 * Hebrew and Katakana rules, emoji, regional indicators, supplementary code
 * points, and the dictionary scripts: Chinese, Japanese, Thai, Lao, Khmer,
 * Myanmar) is class COMPLEX, and a document holding one is segmented by ICU
 * from the start. Tests compare the two paths on many scripts.
 */
#include "text/tokenize.h"

#include "text/wordhash.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unicode/uchar.h>
#include <unicode/ubrk.h>
#include <unicode/uscript.h>

struct nd_tokenizer {
    UBreakIterator *words; /* also probes classes, never while it segments a text */
    bool fast;
    uint8_t *classes;       /* fast path only */
    nd_word_classes *known; /* where it started from, or NULL */
    bool learned;           /* a class asked of ICU since */
};

struct nd_word_classes {
    pthread_mutex_t lock;
    uint8_t classes[0x10000];
};

/* How many word segments ICU finds in text (UTF-16). */
static int icu_word_count(UBreakIterator *bi, const UChar *text, int32_t len)
{
    UErrorCode err = U_ZERO_ERROR;
    int n = 0;
    ubrk_setText(bi, text, len, &err);
    if (U_FAILURE(err))
        return -1;
    ubrk_first(bi);
    while (ubrk_next(bi) != UBRK_DONE)
        n += ubrk_getRuleStatus(bi) >= UBRK_WORD_NONE_LIMIT;
    return n;
}

/* Whether ICU reads text as exactly one word. */
static bool icu_one_word(UBreakIterator *bi, const UChar *text, int32_t len)
{
    UErrorCode err = U_ZERO_ERROR;
    ubrk_setText(bi, text, len, &err);
    if (U_FAILURE(err))
        return false;
    ubrk_first(bi);
    return ubrk_next(bi) == len && ubrk_getRuleStatus(bi) >= UBRK_WORD_NONE_LIMIT;
}

/* How ICU treats c next to letters and digits, read off ICU's own answers on tiny texts. */
static enum word_class probe_class(UBreakIterator *bi, UChar c)
{
    const UChar alone[1] = {c}, la[2] = {'a', c}, al[2] = {c, 'a'}, da[2] = {'1', c},
                ad[2] = {c, '1'}, lal[3] = {'a', c, 'a'}, dad[3] = {'1', c, '1'};
    const bool word = icu_one_word(bi, alone, 1);
    const bool glues = icu_one_word(bi, la, 2) && icu_one_word(bi, al, 2) &&
                       icu_one_word(bi, da, 2) && icu_one_word(bi, ad, 2);
    const bool mid_letter = icu_one_word(bi, lal, 3), mid_digit = icu_one_word(bi, dad, 3);
    if (word && glues)
        return u_getIntPropertyValue(c, UCHAR_WORD_BREAK) == U_WB_NUMERIC ? WC_DIGIT : WC_LETTER;
    if (word || icu_word_count(bi, la, 2) != 1 || icu_word_count(bi, al, 2) != 1)
        return WC_COMPLEX; /* a word alone that does not glue, or glues one way: no model */
    if (mid_letter && mid_digit)
        return WC_MID_BOTH;
    if (mid_letter)
        return WC_MID_LETTER;
    return mid_digit ? WC_MID_NUM : WC_SEPARATOR;
}

/* Whether c behaves as '_' does (Word_Break ExtendNumLet): alone no word, two of them
 * one word, glued to letters and digits on both sides. */
static bool probe_connector(UBreakIterator *bi, UChar c)
{
    const UChar alone[1] = {c}, two[2] = {c, c}, la[2] = {'a', c}, al[2] = {c, 'a'},
                da[2] = {'1', c}, ad[2] = {c, '1'}, lal[3] = {'a', c, 'a'}, dad[3] = {'1', c, '1'};
    return icu_word_count(bi, alone, 1) == 0 && icu_one_word(bi, two, 2) &&
           icu_one_word(bi, la, 2) && icu_one_word(bi, al, 2) && icu_one_word(bi, da, 2) &&
           icu_one_word(bi, ad, 2) && icu_one_word(bi, lal, 3) && icu_one_word(bi, dad, 3);
}

static bool needs_icu(UChar32 c)
{
    UErrorCode err = U_ZERO_ERROR;
    const UScriptCode script = uscript_getScript(c, &err);
    return u_getIntPropertyValue(c, UCHAR_LINE_BREAK) == U_LB_COMPLEX_CONTEXT ||
           u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC) ||
           u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) || script == USCRIPT_HAN ||
           script == USCRIPT_HIRAGANA || script == USCRIPT_KATAKANA;
}

/* Word_Break values whose rules reach beyond the letter/digit/middle model. */
static bool has_own_rules(UChar32 c)
{
    switch (u_getIntPropertyValue(c, UCHAR_WORD_BREAK)) {
    case U_WB_ALETTER:
    case U_WB_NUMERIC:
    case U_WB_OTHER:
    case U_WB_CR:
    case U_WB_LF:
    case U_WB_NEWLINE:
    case U_WB_WSEGSPACE:
    case U_WB_DOUBLE_QUOTE:
    case U_WB_MIDLETTER:
    case U_WB_MIDNUM:
    case U_WB_MIDNUMLET:
    case U_WB_SINGLE_QUOTE: return false;
    default: /* Extend, Format, ZWJ, Hebrew_Letter, Katakana, ExtendNumLet, RI, ... */ return true;
    }
}

static enum word_class classify(UBreakIterator *bi, UChar32 c)
{
    if ((c >= 0xD800 && c <= 0xDFFF) || needs_icu(c))
        return WC_COMPLEX;
    if (u_getIntPropertyValue(c, UCHAR_WORD_BREAK) == U_WB_EXTENDNUMLET)
        return probe_connector(bi, (UChar)c) ? WC_CONNECTOR : WC_COMPLEX;
    if (has_own_rules(c))
        return WC_COMPLEX;
    /* CR LF and runs of spaces have rules of their own, but they are never words and
     * never join letters or digits, so as separators they give the same words */
    return probe_class(bi, (UChar)c);
}

uint8_t nd_tokenizer_classify(nd_tokenizer *tk, UChar u)
{
    tk->learned = true;
    return tk->classes[u] = (uint8_t)classify(tk->words, u);
}

uint8_t *nd_tokenizer_classes(nd_tokenizer *tk)
{
    return tk->classes;
}

int nd_word_classes_new(nd_word_classes **out)
{
    nd_word_classes *known = calloc(1, sizeof(*known));
    if (!known)
        return ND_ENOMEM;
    pthread_mutex_init(&known->lock, NULL);
    *out = known;
    return 0;
}

void nd_word_classes_free(nd_word_classes *known)
{
    if (!known)
        return;
    pthread_mutex_destroy(&known->lock);
    free(known);
}

int nd_tokenizer_new(nd_tokenizer **out, bool fast, nd_word_classes *known)
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
    tk->fast = fast;
    if (fast && !(tk->classes = malloc(0x10000))) {
        nd_tokenizer_free(tk);
        return ND_ENOMEM;
    }
    if (fast && known) {
        tk->known = known;
        pthread_mutex_lock(&known->lock);
        memcpy(tk->classes, known->classes, 0x10000);
        pthread_mutex_unlock(&known->lock);
    } else if (fast)
        memset(tk->classes, WC_UNKNOWN, 0x10000);
    for (UChar u = 0; fast && u < 0x80; u++)
        if (tk->classes[u] == WC_UNKNOWN)
            nd_tokenizer_classify(tk, u);
    *out = tk;
    return 0;
}

/* Gives the classes tk learned back to where it started from. */
static void give_back(const nd_tokenizer *tk)
{
    nd_word_classes *known = tk->known;
    pthread_mutex_lock(&known->lock);
    for (size_t u = 0; u < 0x10000; u++)
        if (known->classes[u] == WC_UNKNOWN)
            known->classes[u] = tk->classes[u];
    pthread_mutex_unlock(&known->lock);
}

void nd_tokenizer_free(nd_tokenizer *tk)
{
    if (!tk)
        return;
    if (tk->known && tk->learned)
        give_back(tk);
    ubrk_close(tk->words);
    free(tk->classes);
    free(tk);
}

/* Appends the word [start, end) of t's UTF-16 text. */
static int add_token(const nd_normtext *t, int32_t start, int32_t end, nd_token **toks, size_t *n,
                     size_t *cap, nd_span16 **norm, size_t *norm_cap)
{
    if (nd_grow((void **)toks, cap, *n + 1, sizeof(**toks)) < 0)
        return ND_ENOMEM;
    if (norm) {
        if (nd_grow((void **)norm, norm_cap, *n + 1, sizeof(**norm)) < 0)
            return ND_ENOMEM;
        (*norm)[*n] = (nd_span16){start, end};
    }
    nd_token *tok = &(*toks)[(*n)++];
    tok->start = t->src_start[start];
    tok->end = t->src_end[end - 1];
    tok->hash = nd_token_hash(t->text + start, end - start);
    return 0;
}

/* The fast path: 1 when done, 0 when the text needs ICU, < 0 on error. */
static int tokenize_fast(nd_tokenizer *tk, const nd_normtext *t, nd_token **toks, size_t *n,
                         size_t *cap, nd_span16 **norm, size_t *norm_cap)
{
    const UChar *text = t->text;
    const int32_t len = t->len;
    const uint8_t *word_classes = tk->classes;
    for (int32_t i = 0; i < len; i++)
        if (nd_word_class(tk, tk->classes, text[i]) == WC_COMPLEX)
            return 0;
    /* every unit of the text has its class in the table now */
    for (int32_t i = 0; i < len;) {
        enum word_class c = word_classes[text[i]];
        if (!nd_is_word_part(c)) {
            i++;
            continue;
        }
        const int32_t start = i;
        for (i++; i < len; i++) {
            const enum word_class next = word_classes[text[i]];
            if (nd_is_word_part(next)) {
                c = next;
                continue;
            }
            if (i + 1 < len && nd_word_joins(next, c, word_classes[text[i + 1]])) {
                i++;
                continue;
            }
            break;
        }
        if (i - start == 1 && c == WC_CONNECTOR) /* a lone '_' */
            continue;
        const int rc = add_token(t, start, i, toks, n, cap, norm, norm_cap);
        if (rc < 0)
            return rc;
    }
    return 1;
}

static int tokenize_icu(nd_tokenizer *tk, const nd_normtext *t, nd_token **toks, size_t *n,
                        size_t *cap, nd_span16 **norm, size_t *norm_cap)
{
    UErrorCode err = U_ZERO_ERROR;
    int rc = 0;
    ubrk_setText(tk->words, t->text, t->len, &err);
    if (U_FAILURE(err))
        return ND_EICU;
    int32_t prev = ubrk_first(tk->words);
    for (int32_t cur = ubrk_next(tk->words); cur != UBRK_DONE && rc == 0;
         prev = cur, cur = ubrk_next(tk->words)) {
        if (ubrk_getRuleStatus(tk->words) >= UBRK_WORD_NONE_LIMIT)
            rc = add_token(t, prev, cur, toks, n, cap, norm, norm_cap);
    }
    /* the break iterator keeps a pointer to the text; drop it */
    ubrk_setText(tk->words, NULL, 0, &err);
    return rc;
}

int nd_tokenize(nd_tokenizer *tk, const nd_normtext *t, nd_token **toks, size_t *n, size_t *cap,
                nd_span16 **norm, size_t *norm_cap)
{
    *n = 0;
    if (t->len == 0)
        return 0;
    if (tk->fast) {
        const int rc = tokenize_fast(tk, t, toks, n, cap, norm, norm_cap);
        if (rc != 0)
            return rc < 0 ? rc : 0;
        *n = 0;
    }
    return tokenize_icu(tk, t, toks, n, cap, norm, norm_cap);
}
