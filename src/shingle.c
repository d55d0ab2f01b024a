/*
 * shingle.c: consecutive units -> shingle hashes, and the shingle set.
 */
#include "shingle.h"

#include "nd_internal.h"

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

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts b[0..n) by insertion: the few hashes of one bucket. */
static void insertion_sort(uint64_t *b, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const uint64_t x = b[i];
        size_t j = i;
        for (; j > 0 && b[j - 1] > x; j--)
            b[j] = b[j - 1];
        b[j] = x;
    }
}

/* Shingle hashes are uniformly random (the mix makes them so), so one pass that puts
 * them into buckets by their top bits, about four to a bucket, leaves only tiny sorts:
 * half the time of 8 passes of radix sort on a document's thousand shingles. A bucket
 * that holds many (one shingle repeated: equal hashes) is sorted by qsort. Returns the
 * sorted hashes in tmp. */
static int sort_into(const uint64_t *h, size_t n, uint64_t *tmp)
{
    int bits = 8;
    while (bits < 20 && ((size_t)4 << bits) < n)
        bits++;
    const size_t n_buckets = (size_t)1 << bits;
    uint32_t *end = calloc(n_buckets, sizeof(*end)); /* counts, then where each ends */
    if (!end)
        return ND_ENOMEM;
    const int shift = 64 - bits;
    for (size_t i = 0; i < n; i++)
        end[h[i] >> shift]++;
    for (size_t b = 0, sum = 0; b < n_buckets; b++) {
        sum += end[b];
        end[b] = (uint32_t)(sum - end[b]); /* where bucket b starts, for now */
    }
    for (size_t i = 0; i < n; i++)
        tmp[end[h[i] >> shift]++] = h[i];
    for (size_t b = 0, from = 0; b < n_buckets; from = end[b++]) {
        const size_t size = end[b] - from;
        if (size > 32)
            qsort(tmp + from, size, sizeof(*tmp), compare_u64);
        else
            insertion_sort(tmp + from, size);
    }
    free(end);
    return 0;
}

size_t nd_shingle_set(uint64_t *h, size_t n)
{
    if (n < 2)
        return n;
    uint64_t *sorted = malloc(n * sizeof(*sorted));
    if (!sorted || sort_into(h, n, sorted) < 0) {
        free(sorted);
        nd_sort(h, n, sizeof(*h), compare_u64);
        sorted = NULL;
    }
    const uint64_t *from = sorted ? sorted : h;
    size_t w = 1;
    h[0] = from[0];
    for (size_t i = 1; i < n; i++)
        if (from[i] != h[w - 1])
            h[w++] = from[i];
    free(sorted);
    return w;
}
