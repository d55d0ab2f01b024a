/*
 * minhash.h: stage 4, a shingle set -> a MinHash signature of num_perm values.
 */
#ifndef ND_MINHASH_H
#define ND_MINHASH_H

#include <stddef.h>
#include <stdint.h>

/* Signs the shingle hashes h[0..n) (repeats are harmless) into sig[0..num_perm). */
void nd_minhash_sign(const uint64_t *h, size_t n, int num_perm, uint64_t seed, uint32_t *sig);

/* A table that densifies the signatures of few shingles (a bin each, of num_perm) in
 * num_perm look-ups a shingle rather than num_perm^2 probes; the signatures are the
 * same. *out stays NULL for num_perm over 256 (the table is num_perm^2 values). */
typedef struct nd_densifier nd_densifier;
int nd_densifier_new(nd_densifier **out, int num_perm, uint64_t seed);
void nd_densifier_free(nd_densifier *d); /* NULL is fine */

/* nd_minhash_sign with a densifier of the same num_perm and seed (NULL: none). */
void nd_minhash_sign_with(const nd_densifier *d, const uint64_t *h, size_t n, int num_perm,
                          uint64_t seed, uint32_t *sig);

/* The share of equal positions: an unbiased estimate of the Jaccard similarity. */
double nd_minhash_estimate(const uint32_t *a, const uint32_t *b, int num_perm);

#endif
