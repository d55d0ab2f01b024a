/*
 * verify.c: exact Jaccard by merging two sorted shingle sets.
 *
 * LSH candidates include false positives; verifying each with the exact
 * Jaccard costs O(|A| + |B|) and makes the reported pairs exact, which is
 * what a user deleting documents needs.
 */
#include "verify.h"

#include "nd_internal.h"
#include "shingle.h"

void nd_doc_shingle_set(nd_doc *d)
{
    if (d->shingles_are_set)
        return;
    d->n_shingles = (uint32_t)nd_shingle_set(d->shingles, d->n_shingles);
    d->shingles_are_set = true;
}

size_t nd_intersect_count(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, shared = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            shared++, i++, j++;
        }
    }
    return shared;
}

double nd_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, size_t *shared)
{
    const size_t both = nd_intersect_count(a, na, b, nb);
    if (shared)
        *shared = both;
    const size_t either = na + nb - both;
    return either ? (double)both / (double)either : 0.0;
}
