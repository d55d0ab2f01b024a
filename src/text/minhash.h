/*
 * minhash.h: stage 4, a shingle set -> a MinHash signature of num_perm values.
 */
#ifndef ND_MINHASH_H
#define ND_MINHASH_H

#include <stddef.h>
#include <stdint.h>

/* Signs the shingle hashes h[0..n) (repeats are harmless) into sig[0..num_perm). */
void nd_minhash_sign(const uint64_t *h, size_t n, int num_perm, uint64_t seed, uint32_t *sig);

/* The share of equal positions: an unbiased estimate of the Jaccard similarity. */
double nd_minhash_estimate(const uint32_t *a, const uint32_t *b, int num_perm);

#endif
