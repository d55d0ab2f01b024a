/*
 * shingle.h: stage 3, words -> 64-bit shingle hashes.
 *
 * A word shingle is k consecutive words; its hash is a sum of the k 64-bit
 * word hashes, each times its own odd constant, with k added and mixed by
 * splitmix64's finish: k multiplications that do not wait on each other (XXH3
 * over the 8k bytes costs more, and the word hashes are random already). A document of 1..k-1 words
 * gets one shingle of all its words (its own count goes in), so short documents stay comparable and
 * never all collide on an empty set. Character shingles are n consecutive code points of the
 * normalized words joined by one space.
 */
#ifndef ND_SHINGLE_H
#define ND_SHINGLE_H

#include "common/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Number of shingles a sequence of n units gives with shingles of k. */
static inline size_t nd_shingle_count(size_t n, int k)
{
    if (n == 0)
        return 0;
    return n < (size_t)k ? 1 : n - (size_t)k + 1;
}

/* The factor of the j-th word of a shingle: odd, as the golden ratio's 64 bits are. */
static inline uint64_t nd_shingle_factor(size_t j)
{
    return 0x9E3779B97F4A7C15ull * (2 * j + 1);
}

/* The hash of the shingle of units[0..k). */
static inline uint64_t nd_shingle_hash(const uint64_t *units, size_t k)
{
    uint64_t x = k;
    for (size_t j = 0; j < k; j++)
        x += units[j] * nd_shingle_factor(j);
    return nd_mix64(x);
}

/* Hashes of the shingles of k consecutive 64-bit unit hashes, in order;
 * out holds nd_shingle_count(n, k) entries. */
void nd_shingle_hashes(const uint64_t *units, size_t n, int k, uint64_t *out);

/* Same over code points (character n-grams). */
void nd_shingle_chars(const uint32_t *cps, size_t n, int k, uint64_t *out);

/* A document's profile: how many of its shingle hashes fall in each of
 * ND_PROFILE_BUCKETS buckets (by their low bits). Two documents share at most
 * sum over the buckets of min(count in one, count in the other) shingles, so two
 * profiles can prove, in a few hundred byte operations, that a pair is below a
 * threshold without reading its shingles. Counts stop at 255: a profile with a full
 * bucket proves nothing (false). */
#define ND_PROFILE_BUCKETS 512
/* The fewest shingles of a document with a profile: with fewer, its shingles take no
 * more to read than a profile. */
#define ND_PROFILE_MIN_SHINGLES 128
bool nd_shingle_profile(const uint64_t *h, size_t n, uint8_t profile[ND_PROFILE_BUCKETS]);

/* The most shingles two documents with these profiles can share. */
uint32_t nd_profile_shared_bound(const uint8_t *a, const uint8_t *b);

#endif
