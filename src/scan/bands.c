/*
 * bands.c: a signature cut into LSH bands, and the choice of bands and rows.
 *
 * The signature is cut into b bands of r rows. Two documents with Jaccard s
 * share one band with probability s^r, so they become candidates with
 * P(s) = 1 - (1 - s^r)^b, an S-curve whose steep part sits near (1/b)^(1/r).
 * Of the (b, r) that make a pair at the threshold t a candidate with
 * probability at least 0.95 (more above it), the one with the fewest false
 * candidates, FP = integral over [0, t] of P(s) ds, is taken: verification is
 * exact, so a false candidate costs a merge of two sets, but a missed pair is
 * lost. (datasketch's choice, FP + FN with equal weights, gives b = 9, r = 13
 * for t = 0.8: a pair at 0.8 is found 40% of the time, at 0.85 69%.)
 * For t = 0.8 and 128 values: b = 13, r = 7 (P(0.8) = 0.95, P(0.6) = 0.31).
 */
#include "scan/bands.h"

#include <math.h>
#include <xxhash.h>

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

/* Simpson's rule over [lo, hi] of P. */
static double integrate(double lo, double hi, int bands, int rows)
{
    const int steps = 200;
    const double h = (hi - lo) / steps;
    double sum = 0;
    for (int i = 0; i <= steps; i++) {
        const double p = nd_lsh_probability(lo + i * h, bands, rows);
        const double w = (i == 0 || i == steps) ? 1 : (i % 2 ? 4 : 2);
        sum += w * p;
    }
    return sum * h / 3;
}

/* The least probability of finding a pair at the threshold. */
#define LSH_RECALL 0.95

void nd_lsh_params(double threshold, int num_perm, int *bands, int *rows)
{
    double fewest = INFINITY, best_recall = -1;
    *bands = num_perm; /* one row a band: the most a tiny threshold can get */
    *rows = 1;
    for (int b = 1; b <= num_perm; b++) {
        for (int r = 1; b * r <= num_perm; r++) {
            const double recall = nd_lsh_probability(threshold, b, r);
            if (recall < LSH_RECALL) {
                if (fewest == INFINITY && recall > best_recall) {
                    best_recall = recall;
                    *bands = b;
                    *rows = r;
                }
                continue;
            }
            const double false_candidates = integrate(0, threshold, b, r);
            if (false_candidates < fewest) {
                fewest = false_candidates;
                *bands = b;
                *rows = r;
            }
        }
    }
}

void nd_lsh_band_records(const uint32_t *sig, uint32_t doc, int bands, int rows,
                         nd_band_record *out)
{
    for (int b = 0; b < bands; b++) {
        out[b].hash =
            XXH3_64bits_withSeed(sig + b * rows, (size_t)rows * sizeof(*sig), (uint64_t)b);
        out[b].band = (uint32_t)b;
        out[b].doc = doc;
    }
}
