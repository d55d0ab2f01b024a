/*
 * shingle.h: stage 3, words -> 64-bit shingle hashes.
 *
 * A word shingle is k consecutive words; its hash is XXH3 over the k 64-bit
 * word hashes. A document of 1..k-1 words gets one shingle of all its words
 * (hashed over fewer bytes, so it never equals a k-word shingle), so short
 * documents stay comparable and never all collide on an empty set.
 * Character shingles are n consecutive code points of the normalized words
 * joined by one space.
 */
#ifndef ND_SHINGLE_H
#define ND_SHINGLE_H

#include <stddef.h>
#include <stdint.h>

/* Number of shingles a sequence of n units gives with shingles of k. */
static inline size_t nd_shingle_count(size_t n, int k)
{
    if (n == 0)
        return 0;
    return n < (size_t)k ? 1 : n - (size_t)k + 1;
}

/* Hashes of the shingles of k consecutive 64-bit unit hashes, in order;
 * out holds nd_shingle_count(n, k) entries. */
void nd_shingle_hashes(const uint64_t *units, size_t n, int k, uint64_t *out);

/* Same over code points (character n-grams). */
void nd_shingle_chars(const uint32_t *cps, size_t n, int k, uint64_t *out);

/* Sorts h[0..n) and removes repeats; returns the number of distinct hashes. */
size_t nd_shingle_set(uint64_t *h, size_t n);

#endif
