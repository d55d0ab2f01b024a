/*
 * fastwords.h: stages 1 and 2 in one pass, for the fast engine.
 *
 * Takes the original UTF-8 bytes of a document. Produces the same words
 * (original byte range and hash of the normalized form) as nd_normalize
 * followed by nd_tokenize, without building the normalized text and its
 * per-unit offset map: the answers come from the same ICU-derived tables
 * (the normalizer's memo and chunk cache, the word classes).
 */
#ifndef ND_FASTWORDS_H
#define ND_FASTWORDS_H

#include "common/base.h"
#include "text/normalize.h"
#include "text/tokenize.h"

#define ND_MARKED_CHUNKS 1024 /* a power of two */

typedef struct nd_words {
    nd_token *toks;
    size_t n, cap;
    UChar *word; /* the normalized units of the word being read */
    size_t word_len, word_cap;
    uint64_t n_invalid;       /* invalid UTF-8 bytes, each read as U+FFFD (when the
                                 splitter gave up: of the bytes it read, which are
                                 at least those before redo_from) */
    int64_t first_invalid;    /* byte offset of the first one, or -1 */
    size_t redo_from;         /* when the splitter gave up: toks ending at or before it are
                                 final, what starts there or after must be split again */
    bool ascii_blocks;        /* ASCII is as take_ascii_blocks expects (asked of ICU once) */
    uint8_t extra_letter;     /* the ASCII letter besides [0-9A-Za-z], or 0x80 */
    uint32_t two_byte[0x800]; /* what fastwords.c knows of U+0000..U+07FF (one or two
                                 UTF-8 bytes), 0 until asked */
    struct {
        uint64_t key;           /* a letter's code point and its marks', 11 bits each */
        uint32_t entry;         /* what the chunk normalizes to, as in two_byte */
    } marked[ND_MARKED_CHUNKS]; /* a cache of the chunks of a letter with its marks
                                   (all of one or two UTF-8 bytes), 0 until asked */
} nd_words;

/* Splits bytes[0..len) into words (w->toks, replaced). Returns 1 when done, 0 when
 * the text holds something only the general path models (a supplementary code
 * point, a character ICU's dictionaries segment, ...; nothing is kept then), and
 * < 0 on error. Needs a normalizer and a tokenizer of the fast engine, and mode basic
 * or full. */
int nd_fast_words(nd_normalizer *nz, nd_tokenizer *tk, const uint8_t *bytes, size_t len,
                  nd_words *w);

void nd_words_dispose(nd_words *w);

#endif
