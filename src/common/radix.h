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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An unsigned field of a record: 4 or 8 bytes at offset, in the machine's byte order. */
typedef struct nd_radix_key {
    uint16_t offset;
    uint8_t bytes;
    bool hash; /* 8 bytes of a uniform hash: about half the passes (one such key) */
} nd_radix_key;

/* Sorts n records of size bytes by keys[0] (most significant) to keys[n_keys - 1],
 * stably: records with equal keys keep their order. Returns 0 or ND_ENOMEM. */
int nd_radix_sort(void *records, size_t n, size_t size, const nd_radix_key *keys, int n_keys);

/* Lets the sorts that this thread calls share a large sort with up to n threads (1, the
 * default: on this thread alone). The result is the same. */
void nd_radix_set_threads(int n);


#endif
