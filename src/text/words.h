/*
 * words.h: a document's words by the fast engine, with no cliff: the one-pass
 * splitter (fastwords.c) where it models the text, the general path (normalize,
 * then tokenize) only for the stretches it does not.
 */
#ifndef ND_WORDS_H
#define ND_WORDS_H

#include "text/fastwords.h"

typedef struct nd_word_splitter nd_word_splitter;

/* A splitter over a normalizer and a tokenizer of the fast engine (borrowed). */
int nd_word_splitter_new(nd_word_splitter **out, nd_normalizer *nz, nd_tokenizer *tk);
void nd_word_splitter_free(nd_word_splitter *ws); /* NULL is fine */

/* Whether c is a letter after which, following a space, every word and normalization
 * rule starts afresh: an ASCII letter or digit, or a basic letter of the Greek, Cyrillic,
 * Hebrew or Arabic alphabets. Each is a starter that nothing before it composes with, and
 * a letter of UAX #29 (tests/test_engines.c checks all of them against ICU). */
static inline bool nd_starts_afresh(uint32_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c >= 0x0391 && c <= 0x03A9 && c != 0x03A2) || (c >= 0x03B1 && c <= 0x03C9) ||
           (c >= 0x0410 && c <= 0x044F) || (c >= 0x05D0 && c <= 0x05EA) ||
           (c >= 0x0621 && c <= 0x063A) || (c >= 0x0641 && c <= 0x064A);
}

/* Whether a text may be cut before bytes[at] and each side split on its own with the
 * same words: after an ASCII space, tab or newline, before a letter that starts afresh
 * (one or two UTF-8 bytes). No rule of UAX #29 joins across that boundary, NFKC and
 * case folding act there on nothing before it, and no UTF-8 sequence is cut. */
static inline bool nd_is_safe_cut(const uint8_t *bytes, size_t len, size_t at)
{
    if (at == 0 || at >= len)
        return true;
    const uint8_t before = bytes[at - 1], b0 = bytes[at];
    if (before != ' ' && before != '\t' && before != '\n')
        return false;
    if (b0 < 0x80)
        return nd_starts_afresh(b0);
    const bool two_byte = b0 >= 0xC2 && b0 < 0xE0 && at + 1 < len && (bytes[at + 1] & 0xC0) == 0x80;
    return two_byte && nd_starts_afresh(((uint32_t)(b0 & 0x1F) << 6) | (bytes[at + 1] & 0x3F));
}

/* The words of bytes[0..len) into *out (replaced), with its invalid UTF-8 counted:
 * exactly those of nd_normalize then nd_tokenize. Where the one-pass splitter gives up
 * (a supplementary code point, an emoji sequence, a character ICU segments by
 * dictionary), the stretch between the safe cuts around that place goes the general
 * way, and the rest stays on the fast path. */
int nd_split_words(nd_word_splitter *ws, const uint8_t *bytes, size_t len, nd_words *out);

#endif
