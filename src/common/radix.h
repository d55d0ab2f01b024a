/*
 * radix.h: the LSD radix sort behind every large sort of flat records.
 *
 * LSH band records, passage shingle records and seeds are
 * millions of fixed-size records with unsigned integer keys: a radix sort
 * reads and writes each record once per digit and never compares, several
 * times faster than qsort on them.
 */
#ifndef ND_RADIX_H
#define ND_RADIX_H

#include "common/scratch.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An unsigned field of a record: 4 or 8 bytes at offset, in the machine's byte order. */
typedef struct nd_radix_key {
    uint16_t offset;
    uint8_t bytes;
    bool hash; /* 8 bytes of a uniform hash: about half the passes (one such key) */
} nd_radix_key;

/* What a sort may use: up to threads threads for a large sort (the result is the same
 * for any number), and the scratch pool of its second buffer (NULL: none). */
typedef struct nd_sort_env {
    int threads;
    nd_scratch_pool *scratch;
} nd_sort_env;

/* Sorts n records of size bytes by keys[0] (most significant) to keys[n_keys - 1],
 * stably: records with equal keys keep their order. Returns 0 or ND_ENOMEM. */
int nd_radix_sort(const nd_sort_env *env, void *records, size_t n, size_t size,
                  const nd_radix_key *keys, int n_keys);

/* Sorts v[0..n) in place, with no second buffer (MSD, a byte at a time, records swapped
 * into their digit's bucket): for arrays too large to hold twice. Not stable, which plain
 * values do not need. */
void nd_radix_sort_u64_in_place(uint64_t *v, size_t n);

#endif
