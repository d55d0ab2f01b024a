/*
 * minhash.c: one-permutation hashing with optimal densification.
 *
 * HOW IT WORKS
 *
 * Classic MinHash applies num_perm hash functions to every shingle and keeps
 * each one's minimum: 128 multiplications per shingle (the datasketch scheme,
 * (a*x+b) mod 2^61-1). One-permutation hashing
 * (Li, Owen, Zhang 2012) hashes each shingle once, uses the hash's top bits to
 * pick one of num_perm bins and keeps the minimum of its low 32 bits per bin:
 * one hash and one compare per shingle.
 *
 * Bins that no shingle fell into (documents with fewer shingles than bins)
 * are filled by optimal densification (Shrivastava, ICML 2017): empty bin i
 * copies the value of the first non-empty bin in a probe sequence that
 * depends only on (i, attempt), the same in every document. Two documents
 * then agree in a bin with probability J, their Jaccard similarity, so
 * equal/num_perm is an unbiased estimate with standard error close to
 * sqrt(J(1-J)/num_perm): 0.035 at J = 0.8 with 128 bins (tests check it).
 *
 * Worked example with 4 bins: shingles hashing to bins {0, 0, 2} leave bins 1
 * and 3 empty; bin 1 probes, say, 3 (empty) then 0 (full) and copies bin 0's
 * minimum. Every document probes the same way, which is what keeps the
 * estimate unbiased.
 */
#include "text/minhash.h"

#include "common/base.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A uniform bin in [0, n) from the top 32 bits of x (Lemire's multiply-shift). */
static inline uint32_t pick_bin(uint64_t x, uint32_t n)
{
    return (uint32_t)(((x >> 32) * (uint64_t)n) >> 32);
}

/* The bin that empty bin i's probe sequence reaches at attempt a. */
static inline uint32_t probe(uint64_t key, uint32_t i, uint64_t a, uint32_t bins)
{
    return pick_bin(nd_mix64(key + ((uint64_t)i << 32) + a), bins);
}

/* The densifier's table is bins^2 attempts: kept for signatures of at most this many. */
#define DENSIFIER_MAX_BINS 256

struct nd_densifier {
    uint32_t bins;
    uint64_t key;
    uint32_t *first; /* first[i * bins + j]: the attempt at which bin i first probes bin j */
};

static uint64_t seed_key(uint64_t seed)
{
    return nd_mix64(seed ^ 0x9E3779B97F4A7C15ull);
}

int nd_densifier_new(nd_densifier **out, int num_perm, uint64_t seed)
{
    const uint32_t bins = (uint32_t)num_perm;
    *out = NULL;
    if (bins > DENSIFIER_MAX_BINS)
        return 0;
    nd_densifier *d = malloc(sizeof(*d));
    uint32_t *first = calloc((size_t)bins * bins, sizeof(*first));
    if (!d || !first) {
        free(d);
        free(first);
        return ND_ENOMEM;
    }
    *d = (nd_densifier){bins, seed_key(seed), first};
    for (uint32_t i = 0; i < bins; i++) {
        uint32_t *row = first + (size_t)i * bins, left = bins;
        for (uint64_t a = 1; left > 0; a++) {
            const uint32_t j = probe(d->key, i, a, bins);
            if (row[j] == 0) {
                row[j] = (uint32_t)a;
                left--;
            }
        }
    }
    *out = d;
    return 0;
}

void nd_densifier_free(nd_densifier *d)
{
    if (d)
        free(d->first);
    free(d);
}

/* Fills each empty bin from the full bin its probe sequence reaches first: with the
 * densifier's table, the full bin of least first attempt (m look-ups a bin for m full
 * bins, where probing takes bins / m attempts: the table is used when m^2 <= bins). The
 * full bins are listed without a branch, and the empty ones taken from the bitmap's
 * zeros: a short document leaves a bin in four or so empty, at places no branch
 * predicts. */
static void densify(const nd_densifier *d, uint64_t key, uint32_t bins, uint32_t *sig)
{
    uint64_t filled[1024 / 64]; /* before densification: copies come from these only */
    uint32_t full[1024], m = 0;
    const uint32_t words = (bins + 63) / 64;
    for (uint32_t w = 0; w < words; w++)
        filled[w] = 0;
    for (uint32_t i = 0; i < bins; i++) {
        const uint32_t is_full = sig[i] != UINT32_MAX;
        filled[i / 64] |= (uint64_t)is_full << (i % 64);
        full[m] = i;
        m += is_full;
    }
    const bool table = d && d->bins == bins && d->key == key && (uint64_t)m * m <= bins;
    for (uint32_t w = 0; w < words; w++) {
        uint64_t empty = ~filled[w];
        if (bins - 64 * w < 64)
            empty &= (1ull << (bins - 64 * w)) - 1;
        for (; empty; empty &= empty - 1) {
            const uint32_t i = 64 * w + (uint32_t)__builtin_ctzll(empty);
            if (table) {
                const uint32_t *row = d->first + (size_t)i * bins;
                uint32_t best = full[0];
                for (uint32_t f = 1; f < m; f++)
                    best = row[full[f]] < row[best] ? full[f] : best;
                sig[i] = sig[best];
                continue;
            }
            for (uint64_t a = 1;; a++) {
                const uint32_t j = probe(key, i, a, bins);
                if (filled[j / 64] & (1ull << (j % 64))) {
                    sig[i] = sig[j];
                    break;
                }
            }
        }
    }
}

void nd_minhash_sign_with(const nd_densifier *d, const uint64_t *h, size_t n, int num_perm,
                          uint64_t seed, uint32_t *sig)
{
    const uint32_t bins = (uint32_t)num_perm;
    const uint64_t key = seed_key(seed);
    for (uint32_t i = 0; i < bins; i++)
        sig[i] = UINT32_MAX;
    /* UINT32_MAX marks an empty bin, so a value never takes it (a shingle whose low 32
     * bits are all ones, once in 4 billion, counts as UINT32_MAX - 1); a bitmap of the
     * filled bins, updated at every shingle, made the loop wait on its own stores. The
     * hashes are mixed a block at a time first, in a loop vector units run. */
    uint64_t mixed[256];
    for (size_t from = 0; from < n; from += 256) {
        const size_t m = n - from < 256 ? n - from : 256;
        for (size_t j = 0; j < m; j++)
            mixed[j] = nd_mix64(h[from + j] ^ key);
        for (size_t j = 0; j < m; j++) {
            const uint32_t bin = pick_bin(mixed[j], bins);
            uint32_t value = (uint32_t)mixed[j];
            value -= value == UINT32_MAX;
            sig[bin] = value < sig[bin] ? value : sig[bin];
        }
    }
    if (n > 0)
        densify(d, key, bins, sig);
}

void nd_minhash_sign(const uint64_t *h, size_t n, int num_perm, uint64_t seed, uint32_t *sig)
{
    nd_minhash_sign_with(NULL, h, n, num_perm, seed, sig);
}

double nd_minhash_estimate(const uint32_t *a, const uint32_t *b, int num_perm)
{
    int equal = 0;
    for (int i = 0; i < num_perm; i++)
        equal += a[i] == b[i];
    return (double)equal / num_perm;
}
