/*
 * wordhash.h: the hash of a word, the unit of shingles and passages.
 *
 * Both engines hash a word's normalized UTF-16 units through nd_token_hash, so
 * they give the same hashes; the fast engine's ASCII loop packs a short word's
 * bytes and calls nd_ascii_word_hash directly, which is the same function.
 */
#ifndef ND_WORDHASH_H
#define ND_WORDHASH_H

#include "nd_internal.h"

#include <unicode/utypes.h>
/* inlined: a call into the shared library per word costs more than the hash */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* The longest word hashed by nd_ascii_word_hash. */
#define ND_SHORT_WORD 16

/* The hash of a word of at most ND_SHORT_WORD ASCII units (most words of Latin-script
 * text), given as bytes packed little-endian: unit j in bits 8j..8j+7 of lo (j < 8) or hi.
 * Two multiplications and a splitmix64 finish, no branch on the length: XXH3 over the
 * UTF-16 units cost a third of the English scan. One-to-one for words of 8 units or less. */
static inline uint64_t nd_ascii_word_hash(uint64_t lo, uint64_t hi, uint32_t len)
{
    return nd_mix64(lo * 0x9E3779B97F4A7C15ull ^ hi * 0xC2B2AE3D27D4EB4Full ^ len);
}

/* The hash of a token's normalized text (UTF-16 units): nd_ascii_word_hash for a short
 * ASCII word, else XXH3 of the units. Both engines hash through this. */
static inline uint64_t nd_token_hash(const UChar *units, int32_t len)
{
    uint64_t packed[2] = {0, 0};
    for (int32_t j = 0; j < len; j++) {
        if (len > ND_SHORT_WORD || units[j] >= 0x80)
            return XXH3_64bits(units, (size_t)len * sizeof(UChar));
        packed[j / 8] |= (uint64_t)units[j] << (8 * (j % 8));
    }
    return nd_ascii_word_hash(packed[0], packed[1], (uint32_t)len);
}

#endif
