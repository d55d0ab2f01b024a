/*
 * radix.c: LSD radix sort of flat records (see radix.h).
 *
 * Digits are taken least significant first, from the last key to the first;
 * each pass counts the digits, turns the counts into places and scatters the
 * records into the other buffer, so every pass is stable and the result is
 * ordered by all keys. A pass whose digit is the same in every record (the
 * high bits of small document numbers) is skipped. Digits have 8 bits for
 * small arrays (256 counters: a document's few hundred shingles) and 11 bits
 * for large ones (2048 counters keep the scattered writes within the caches,
 * which 16-bit digits do not).
 */
#include "radix.h"

#include "nd_internal.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t key_value(const unsigned char *record, const nd_radix_key *k)
{
    if (k->bytes == 8) {
        uint64_t v;
        memcpy(&v, record + k->offset, 8);
        return v;
    }
    uint32_t v;
    memcpy(&v, record + k->offset, 4);
    return v;
}

/* Records are copied as 8- or 16-byte values where they are that size. */
static inline void copy_record(unsigned char *to, const unsigned char *from, size_t size)
{
    if (size == 16)
        memcpy(to, from, 16);
    else if (size == 8)
        memcpy(to, from, 8);
    else
        memcpy(to, from, size);
}

/* One stable pass on the digit of key k at shift; false when it was skipped. */
static bool radix_pass(const unsigned char *from, unsigned char *to, size_t n, size_t size,
                       const nd_radix_key *k, int shift, int bits, size_t *count)
{
    const uint64_t mask = (1u << bits) - 1;
    memset(count, 0, ((size_t)1 << bits) * sizeof(*count));
    for (size_t i = 0; i < n; i++)
        count[(key_value(from + i * size, k) >> shift) & mask]++;
    if (count[(key_value(from, k) >> shift) & mask] == n)
        return false;
    for (size_t d = 0, sum = 0; d <= mask; d++) {
        const size_t c = count[d];
        count[d] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *r = from + i * size;
        copy_record(to + count[(key_value(r, k) >> shift) & mask]++ * size, r, size);
    }
    return true;
}

#define SCRATCH_MAP_MIN (1u << 20)

static void release_scratch(void *p, size_t n, bool mapped)
{
    if (mapped)
        nd_scratch_unmap(p, n);
    else
        free(p);
}

int nd_radix_sort(void *records, size_t n, size_t size, const nd_radix_key *keys, int n_keys)
{
    if (n < 2)
        return 0;
    const int bits = n < 65536 ? 8 : 11;
    /* a large scratch mapped by itself (huge pages, no copy of freed heap pages) */
    const bool mapped = n * size >= SCRATCH_MAP_MIN;
    unsigned char *tmp = mapped ? nd_scratch_map(n * size) : malloc(n * size);
    size_t *count = malloc(((size_t)1 << bits) * sizeof(*count));
    if (!tmp || !count) {
        release_scratch(tmp, n * size, mapped);
        free(count);
        return ND_ENOMEM;
    }
    unsigned char *from = records, *to = tmp;
    for (int k = n_keys - 1; k >= 0; k--) {
        for (int shift = 0; shift < 8 * keys[k].bytes; shift += bits) {
            if (!radix_pass(from, to, n, size, &keys[k], shift, bits, count))
                continue;
            unsigned char *swap = from;
            from = to;
            to = swap;
        }
    }
    if (from != records)
        memcpy(records, from, n * size);
    release_scratch(tmp, n * size, mapped);
    free(count);
    return 0;
}
