/*
 * shingle.c: consecutive units -> shingle hashes, and the shingle set.
 */
#include "shingle.h"

#include "nd_internal.h"

#include <stdlib.h>
#include <string.h>
/* inlined: a call into the shared library per shingle costs more than the hash */
#define XXH_INLINE_ALL
#include <xxhash.h>

void nd_shingle_hashes(const uint64_t *units, size_t n, int k, uint64_t *out)
{
    if (n == 0)
        return;
    if (n < (size_t)k) {
        out[0] = XXH3_64bits(units, n * sizeof(*units));
        return;
    }
    for (size_t i = 0; i + (size_t)k <= n; i++)
        out[i] = XXH3_64bits(units + i, (size_t)k * sizeof(*units));
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

/* LSD radix sort, eight passes of a byte, with all eight histograms counted in one
 * read; a pass where every key has the same byte is skipped. Several times faster
 * than qsort on the few hundred to few thousand hashes of a document. */
static int radix_sort_u64(uint64_t *h, size_t n)
{
    uint64_t *tmp = malloc(n * sizeof(*tmp));
    size_t(*count)[256] = calloc(8, sizeof(*count));
    if (!tmp || !count) {
        free(tmp);
        free(count);
        return ND_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        for (int pass = 0; pass < 8; pass++)
            count[pass][(h[i] >> (8 * pass)) & 0xFF]++;
    uint64_t *from = h, *to = tmp;
    for (int pass = 0; pass < 8; pass++) {
        const int shift = 8 * pass;
        if (count[pass][(h[0] >> shift) & 0xFF] == n)
            continue;
        for (size_t b = 0, sum = 0; b < 256; b++) {
            const size_t c = count[pass][b];
            count[pass][b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            to[count[pass][(from[i] >> shift) & 0xFF]++] = from[i];
        uint64_t *t = from;
        from = to;
        to = t;
    }
    if (from != h)
        memcpy(h, from, n * sizeof(*h));
    free(tmp);
    free(count);
    return 0;
}

size_t nd_shingle_set(uint64_t *h, size_t n)
{
    if (n < 2)
        return n;
    if (n < 64 || radix_sort_u64(h, n) < 0)
        nd_sort(h, n, sizeof(*h), compare_u64);
    size_t w = 1;
    for (size_t i = 1; i < n; i++)
        if (h[i] != h[w - 1])
            h[w++] = h[i];
    return w;
}
