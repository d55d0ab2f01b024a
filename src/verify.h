/*
 * verify.h: stage 6, candidate pairs -> exact Jaccard of their shingle sets.
 */
#ifndef ND_VERIFY_H
#define ND_VERIFY_H

#include <stddef.h>
#include <stdint.h>

/* Number of values in both sorted, distinct arrays. */
size_t nd_intersect_count(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/* |A & B| / |A | B| of two sorted, distinct arrays; 0 when both are empty. */
double nd_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, size_t *shared);

#endif
