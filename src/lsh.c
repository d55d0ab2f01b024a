/*
 * lsh.c: LSH banding with candidate pairs found by sorting.
 *
 * HOW IT WORKS
 *
 * The signature is cut into b bands of r rows. Two documents with Jaccard s
 * share one band with probability s^r, so they become candidates with
 * P(s) = 1 - (1 - s^r)^b, an S-curve whose steep part sits near (1/b)^(1/r).
 * As datasketch does, (b, r) is chosen to minimize
 *     FP = integral over [0, t] of P(s) ds  +  FN = integral over [t, 1] of 1 - P(s) ds
 * (equal weights), so that the curve turns at the threshold t.
 * For t = 0.8 and 128 values: b = 9, r = 13.
 *
 * Each document yields b records (band, hash of the band's r values, doc).
 * Sorting the records brings equal bands together; each run of equal
 * (band, hash) gives the pairs of its documents. Sorting flat 16-byte
 * records, instead of a hash map of lists, keeps memory at exactly
 * 16 bytes x b per document and lets a later version sort in runs on disk.
 */
#include "lsh.h"

#include <math.h>
#include <stdlib.h>
#include <xxhash.h>

typedef struct band_record {
    uint64_t hash;
    uint32_t band;
    uint32_t doc;
} band_record;

/* x^n by squaring: the choice of (b, r) evaluates this half a million times, and
 * pow() made it a visible part of a small run's start-up. */
static double power(double x, int n)
{
    double result = 1.0;
    for (; n > 0; n >>= 1, x *= x)
        if (n & 1)
            result *= x;
    return result;
}

double nd_lsh_probability(double s, int bands, int rows)
{
    return 1.0 - power(1.0 - power(s, rows), bands);
}

/* Simpson's rule over [lo, hi] of P (want_positive) or 1 - P. */
static double integrate(double lo, double hi, int bands, int rows, int want_positive)
{
    const int steps = 200;
    const double h = (hi - lo) / steps;
    double sum = 0;
    for (int i = 0; i <= steps; i++) {
        const double p = nd_lsh_probability(lo + i * h, bands, rows);
        const double f = want_positive ? p : 1.0 - p;
        const double w = (i == 0 || i == steps) ? 1 : (i % 2 ? 4 : 2);
        sum += w * f;
    }
    return sum * h / 3;
}

void nd_lsh_params(double threshold, int num_perm, int *bands, int *rows)
{
    double best = INFINITY;
    *bands = 1;
    *rows = num_perm;
    for (int b = 1; b <= num_perm; b++) {
        for (int r = 1; b * r <= num_perm; r++) {
            const double err = integrate(0, threshold, b, r, 1) + integrate(threshold, 1, b, r, 0);
            if (err < best) {
                best = err;
                *bands = b;
                *rows = r;
            }
        }
    }
}

static int compare_band_records(const void *pa, const void *pb)
{
    const band_record *a = pa, *b = pb;
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

/* Appends the pairs of records[lo..hi), which share one band hash. */
static int emit_group(const band_record *rec, size_t lo, size_t hi, nd_pair_key **out, size_t *n,
                      size_t *cap)
{
    for (size_t i = lo; i < hi; i++) {
        for (size_t j = i + 1; j < hi; j++) {
            if (rec[i].doc == rec[j].doc)
                continue;
            if (ND_GROW(*out, *cap, *n + 1) < 0)
                return ND_ENOMEM;
            (*out)[(*n)++] = (nd_pair_key){rec[i].doc, rec[j].doc};
        }
    }
    return 0;
}

int nd_lsh_candidates(const uint32_t *sigs, const uint32_t *docs, size_t n_docs, int num_perm,
                      int bands, int rows, nd_pair_key **out, size_t *n_out)
{
    const size_t n_rec = n_docs * (size_t)bands;
    band_record *rec = malloc((n_rec ? n_rec : 1) * sizeof(*rec));
    size_t n = 0, cap = 0;
    int rc = 0;
    *out = NULL;
    *n_out = 0;
    if (!rec)
        return ND_ENOMEM;
    for (size_t d = 0; d < n_docs; d++) {
        const uint32_t *sig = sigs + docs[d] * (size_t)num_perm;
        for (int b = 0; b < bands; b++) {
            band_record *r = &rec[d * (size_t)bands + (size_t)b];
            r->hash = XXH3_64bits_withSeed(sig + b * rows, (size_t)rows * sizeof(*sig), (uint64_t)b);
            r->band = (uint32_t)b;
            r->doc = docs[d];
        }
    }
    nd_sort(rec, n_rec, sizeof(*rec), compare_band_records);
    for (size_t lo = 0, hi; lo < n_rec && rc == 0; lo = hi) {
        for (hi = lo + 1; hi < n_rec && rec[hi].band == rec[lo].band && rec[hi].hash == rec[lo].hash;
             hi++)
            ;
        rc = emit_group(rec, lo, hi, out, &n, &cap);
    }
    free(rec);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        return rc;
    }
    *n_out = nd_pair_keys_unique(*out, n);
    return 0;
}
