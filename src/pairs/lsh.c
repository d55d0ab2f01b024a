/*
 * lsh.c: LSH banding with candidate pairs found by sorting.
 *
 * HOW IT WORKS
 *
 * Each document yields b records (band, hash of the band's r values, doc),
 * made while the document is scanned. Sorting the records brings equal bands
 * together; each run of equal (band, hash) gives the pairs of its documents.
 * The records are flat 16-byte values sorted by the external sort: within
 * --memory they never touch the disk, beyond it they are sorted in runs on
 * disk and merged, so a million documents need no more memory than the
 * budget (a hash map of lists would need all of them, and pointers).
 */
#include "pairs/lsh.h"

#include "common/radix.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static int compare_band_records(const void *pa, const void *pb)
{
    const nd_band_record *a = pa, *b = pb;
    if (a->band != b->band)
        return a->band < b->band ? -1 : 1;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return (a->doc > b->doc) - (a->doc < b->doc);
}

static int compare_pair_keys(const void *pa, const void *pb)
{
    const nd_pair_key *a = pa, *b = pb;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

size_t nd_pair_keys_unique(nd_pair_key *pairs, size_t n)
{
    if (n < 2)
        return n;
    nd_sort(pairs, n, sizeof(*pairs), compare_pair_keys);
    size_t w = 1;
    for (size_t i = 1; i < n; i++)
        if (pairs[i].a != pairs[w - 1].a || pairs[i].b != pairs[w - 1].b)
            pairs[w++] = pairs[i];
    return w;
}

/* Sorts records by (band, hash, doc): the order compare_band_records gives. */
static int sort_band_records(void *records, size_t n)
{
    static const nd_radix_key keys[] = {{offsetof(nd_band_record, band), 4, false},
                                        {offsetof(nd_band_record, hash), 8, true},
                                        {offsetof(nd_band_record, doc), 4, false}};
    return nd_radix_sort(records, n, sizeof(nd_band_record), keys, 3);
}

int nd_lsh_sorter_new(nd_extsort **out, size_t budget, nd_spill *spill)
{
    return nd_extsort_new(out, sizeof(nd_band_record), compare_band_records, sort_band_records,
                          budget, spill);
}

/* Appends the pairs of the documents of one group (records with one band hash). */
static int emit_group(const nd_band_record *rec, size_t n_rec, nd_pair_key **out, size_t *n,
                      size_t *cap)
{
    for (size_t i = 0; i < n_rec; i++) {
        for (size_t j = i + 1; j < n_rec; j++) {
            if (rec[i].doc == rec[j].doc)
                continue;
            if (ND_GROW(*out, *cap, *n + 1) < 0)
                return ND_ENOMEM;
            (*out)[(*n)++] = (nd_pair_key){rec[i].doc, rec[j].doc};
        }
    }
    return 0;
}

int nd_lsh_candidates_sorted(nd_extsort *sorted, nd_pair_key **out, size_t *n_out)
{
    nd_band_record *group = NULL;
    size_t n_group = 0, group_cap = 0, n = 0, cap = 0;
    const void *next;
    int got, rc = nd_extsort_finish(sorted);
    *out = NULL;
    *n_out = 0;
    if (rc < 0)
        return rc;
    do {
        got = nd_extsort_next(sorted, &next);
        const nd_band_record *r = got == 1 ? next : NULL;
        if (got < 0)
            rc = got;
        else if (n_group && (!r || r->band != group[0].band || r->hash != group[0].hash)) {
            rc = emit_group(group, n_group, out, &n, &cap);
            n_group = 0;
        }
        if (rc == 0 && r) {
            if (ND_GROW(group, group_cap, n_group + 1) < 0)
                rc = ND_ENOMEM;
            else
                group[n_group++] = *r;
        }
    } while (rc == 0 && got == 1);
    free(group);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        return rc;
    }
    *n_out = nd_pair_keys_unique(*out, n);
    return 0;
}

int nd_lsh_candidates(const uint32_t *sigs, const uint32_t *docs, size_t n_docs, int num_perm,
                      int bands, int rows, nd_pair_key **out, size_t *n_out)
{
    nd_extsort *sorter;
    nd_band_record rec[1024];
    int rc = nd_lsh_sorter_new(&sorter, SIZE_MAX / 2, NULL);
    if (rc < 0)
        return rc;
    for (size_t d = 0; d < n_docs && rc == 0; d++) {
        nd_lsh_band_records(sigs + docs[d] * (size_t)num_perm, docs[d], bands, rows, rec);
        for (int b = 0; b < bands && rc == 0; b++)
            rc = nd_extsort_add(sorter, &rec[b]);
    }
    if (rc == 0)
        rc = nd_lsh_candidates_sorted(sorter, out, n_out);
    nd_extsort_free(sorter);
    return rc;
}
