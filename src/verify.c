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
#include "spill.h"

int nd_doc_read_set(const nd_corpus *c, const nd_doc *d, nd_set *out)
{
    if (ND_GROW(out->h, out->cap, (size_t)d->n_shingles + 1) < 0)
        return ND_ENOMEM;
    out->n = d->n_shingles;
    const int rc = nd_spill_read(c->spill, d->shingles_off, out->h, (size_t)out->n * 8);
    if (rc == 0)
        out->n = (uint32_t)nd_shingle_set(out->h, out->n);
    return rc;
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
