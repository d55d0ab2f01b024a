/*
 * wordhash.h: the hash of a word, the unit of shingles and passages.
 *
 * Both engines hash a word's normalized UTF-16 units through nd_token_hash, so
 * they give the same hashes; the fast engine's loops pack a short word from
 * their own buffers and call nd_packed_word_hash, which is the same function
 * (tests compare the engines' hashes).
 */
#ifndef ND_WORDHASH_H
#define ND_WORDHASH_H

#include "common/base.h"

#include <stdbool.h>
#include <unicode/utypes.h>
/* inlined: a call into the shared library per word costs more than the hash */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* Short words are hashed from their units packed into two 64-bit halves: up to
 * ND_SHORT_WORD ASCII units as bytes, or up to ND_PACKED_UNITS units of 16 bits. */
#define ND_SHORT_WORD 16
#define ND_PACKED_UNITS 8

/* The hash of a short word packed little-endian into lo and hi (bytes of an ASCII word,
 * else 16-bit units). Two multiplications and a splitmix64 finish, no branch on the
 * length, where XXH3 over the UTF-16 units weighed on the scan. The packing is
 * one-to-one for a given length (an ASCII word's value is below 2^(8 len), another's top
 * unit sets a bit above), and so is this hash for words of 8 bytes or 4 units or less. */
static inline uint64_t nd_packed_word_hash(uint64_t lo, uint64_t hi, uint32_t len)
{
    return nd_mix64(lo * 0x9E3779B97F4A7C15ull ^ hi * 0xC2B2AE3D27D4EB4Full ^ len);
}

/* The hash of a token's normalized text (UTF-16 units): packed for a short word, else
 * XXH3 of the units. Both engines hash through this (the fast engine's loops pack the
 * same values from their own buffers). */
static inline uint64_t nd_token_hash(const UChar *units, int32_t len)
{
    uint64_t bytes[2] = {0, 0}, wide[2] = {0, 0};
    bool ascii = true;
    for (int32_t j = 0; j < len && j < ND_SHORT_WORD; j++) {
        ascii = ascii && units[j] < 0x80;
        bytes[j / 8] |= (uint64_t)(units[j] & 0xFF) << (8 * (j % 8));
        if (j < ND_PACKED_UNITS)
            wide[j / 4] |= (uint64_t)units[j] << (16 * (j % 4));
    }
    if (ascii && len <= ND_SHORT_WORD)
        return nd_packed_word_hash(bytes[0], bytes[1], (uint32_t)len);
    if (len <= ND_PACKED_UNITS)
        return nd_packed_word_hash(wide[0], wide[1], (uint32_t)len);
    return XXH3_64bits(units, (size_t)len * sizeof(UChar));
}

#endif
