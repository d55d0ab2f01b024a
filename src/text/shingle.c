/*
 * shingle.c: consecutive units -> shingle hashes, and the shingle set.
 */
#include "text/shingle.h"

#include <string.h>

#include "common/base.h"

#include <stdlib.h>
/* inlined: a call into the shared library per shingle costs more than the hash */
#define XXH_INLINE_ALL
#include <xxhash.h>

void nd_shingle_hashes(const uint64_t *units, size_t n, int k, uint64_t *out)
{
    if (n == 0)
        return;
    if (n < (size_t)k) {
        out[0] = nd_shingle_hash(units, n);
        return;
    }
    /* nd_shingle_hash for every shingle at once, a word position at a time: loops over
     * shingles that vector units run (the sums are the same, mod 2^64, in any order) */
    const size_t m = n - (size_t)k + 1;
    for (size_t i = 0; i < m; i++)
        out[i] = (uint64_t)k;
    for (size_t j = 0; j < (size_t)k; j++) {
        const uint64_t factor = nd_shingle_factor(j);
        const uint64_t *u = units + j;
        for (size_t i = 0; i < m; i++)
            out[i] += u[i] * factor;
    }
    for (size_t i = 0; i < m; i++)
        out[i] = nd_mix64(out[i]);
}

void nd_shingle_chars(const uint32_t *cps, size_t n, int k, uint64_t *out)
{
    if (n == 0)
        return;
    if (n < (size_t)k) {
        out[0] = XXH3_64bits(cps, n * sizeof(*cps));
        return;
    }
    for (size_t i = 0; i + (size_t)k <= n; i++)
        out[i] = XXH3_64bits(cps + i, (size_t)k * sizeof(*cps));
}

bool nd_shingle_profile(const uint64_t *h, size_t n, uint8_t profile[ND_PROFILE_BUCKETS])
{
    memset(profile, 0, ND_PROFILE_BUCKETS);
    for (size_t i = 0; i < n; i++) {
        uint8_t *count = &profile[h[i] & (ND_PROFILE_BUCKETS - 1)];
        *count += *count != 255;
    }
    bool full = false;
    for (size_t b = 0; b < ND_PROFILE_BUCKETS; b++)
        full |= profile[b] == 255;
    return !full;
}

uint32_t nd_profile_shared_bound(const uint8_t *a, const uint8_t *b)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < ND_PROFILE_BUCKETS; i++)
        sum += a[i] < b[i] ? a[i] : b[i];
    return sum;
}
