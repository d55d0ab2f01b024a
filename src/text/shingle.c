/*
 * shingle.c: consecutive units -> shingle hashes, and the shingle set.
 */
#include "text/shingle.h"

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
