/*
 * normalize.h: stage 1, UTF-8 bytes -> normalized UTF-16 with an offset map.
 *
 * Takes the original bytes of a document. Produces the normalized text as
 * UTF-16 (ICU's native form, which the word segmenter reads) and, for every
 * UTF-16 unit of it, the range of original bytes it came from.
 *
 * Invariant: src_start[i] < src_end[i] <= input length, both on UTF-8
 * sequence boundaries, and non-decreasing in i; so any run of normalized
 * units maps back to the original slice [src_start[first], src_end[last]).
 */
#ifndef ND_NORMALIZE_H
#define ND_NORMALIZE_H

#include "neardup.h"

#include <stddef.h>
#include <stdint.h>
#include <unicode/utypes.h>

typedef struct nd_normtext {
    UChar *text;
    uint32_t *src_start, *src_end;
    int32_t len;
    size_t cap;
    uint64_t n_invalid;    /* invalid UTF-8 bytes, each read as U+FFFD */
    int64_t first_invalid; /* byte offset of the first one, or -1 */
} nd_normtext;

typedef struct nd_normalizer nd_normalizer;

int nd_normalizer_new(nd_normalizer **out, nd_normalize_mode mode, nd_engine engine);
void nd_normalizer_free(nd_normalizer *nz);

/* Normalizes bytes[0..len) into *out (reused between calls). */
int nd_normalize(nd_normalizer *nz, const uint8_t *bytes, size_t len, nd_normtext *out);

void nd_normtext_dispose(nd_normtext *t);

/* ---- for the fast engine's one-pass word splitter (fastwords.c) ----
 *
 * A chunk is a code point with a normalization boundary before it and the
 * code points without one that follow it (combining marks): normalizing
 * chunk by chunk is normalizing the whole text. The memo holds, for each BMP
 * code point c, what ICU gives for the chunk made of c alone. */

/* A memo entry: bit 63 filled, bit 62 boundary-before, bit 61 result too long
 * for the entry, bits 48..49 result length (0..3 units), bits 0..47 the units. */
#define MEMO_FILLED (1ull << 63)
#define MEMO_BOUNDARY (1ull << 62)
#define MEMO_LONG (1ull << 61)
#define MEMO_LEN_SHIFT 48

/* The memo (65536 entries), or NULL when there is none (ICU engine, mode none). */
const uint64_t *nd_normalizer_memo(const nd_normalizer *nz);

/* Computes and stores the memo entry of c (an entry without MEMO_FILLED). */
uint64_t nd_normalizer_memo_fill(nd_normalizer *nz, UChar32 c);

/* Normalizes one chunk in[0..len); *units gets the result (valid until the
 * next call). Returns its length, or < 0 on error. */
int32_t nd_normalize_chunk(nd_normalizer *nz, const UChar *in, int32_t len, const UChar **units);

#endif
