/*
 * radix.c: LSD radix sort of flat records (see radix.h).
 *
 * Digits are taken least significant first, from the last key to the first;
 * each pass counts the digits, turns the counts into places and scatters the
 * records into the other buffer, so every pass is stable and the result is
 * ordered by all keys. A pass whose digit is the same in every record (the
 * high bits of small document numbers) is skipped. Digits have 8 bits for
 * small arrays (256 counters: the seeds of one pair of documents) and 11 bits
 * for large ones (2048 counters keep the scattered writes within the caches,
 * which 16-bit digits do not).
 *
 * A key that is a uniform 64-bit hash needs fewer passes: n such hashes are
 * told apart by their top log2(n) bits plus a margin, so only the digits
 * covering those are sorted on, and the rare records that agree on them and
 * differ below are put in order afterwards by comparison.
 *
 * A large sort may be shared by the threads its nd_sort_env allows: each pass cuts
 * the records into one piece per thread, counts each piece's digits, gives
 * each piece its places digit by digit, piece after piece, and scatters the
 * pieces at once. Records go where a single thread would have put them.
 *
 * nd_radix_sort_u64_in_place is the other way round (American flag sort): the most
 * significant byte first, each value swapped straight into its byte's bucket, then
 * each bucket sorted on the next byte. It needs no second buffer, for the shingles of
 * a document as large as the memory it may take.
 */
#include "common/radix.h"
#include "common/scratch.h"

#include "common/base.h"
#include "common/threads.h"

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

/* Sorts of this many records or more are shared by the threads the caller allows. */
#define SHARED_MIN ((size_t)1 << 18)

/* A sort's two buffers and counters, and the pass under way: a stable pass on the digit
 * of key k at shift, the records taken in pieces (one per thread): each piece's digits
 * are counted, the counts turned into places, digit by digit and piece by piece (which
 * keeps the pass stable), then each piece scattered to its places. */
typedef struct passes {
    unsigned char *from, *to; /* the records, and where the pass puts them */
    size_t n, size;
    int bits;
    uint64_t mask;
    size_t *count; /* piece t's counts, then places, at count + t * (mask + 1) */
    size_t pieces;
    const nd_radix_key *k;
    int shift;
    bool scattering;
    nd_scratch_pool *scratch;
} passes;

static void pass_piece(const passes *ps, size_t t)
{
    /* locals: the stores through unsigned char pointers would make the compiler reload
     * the fields at every record */
    const unsigned char *const from = ps->from;
    unsigned char *const to = ps->to;
    const size_t size = ps->size, lo = ps->n * t / ps->pieces, hi = ps->n * (t + 1) / ps->pieces;
    const nd_radix_key *const k = ps->k;
    const int shift = ps->shift;
    const uint64_t mask = ps->mask;
    size_t *const count = ps->count + t * (mask + 1);
    if (!ps->scattering) {
        memset(count, 0, (mask + 1) * sizeof(*count));
        for (size_t i = lo; i < hi; i++)
            count[(key_value(from + i * size, k) >> shift) & mask]++;
        return;
    }
    for (size_t i = lo; i < hi; i++) {
        const unsigned char *r = from + i * size;
        nd_copy_record(to + count[(key_value(r, k) >> shift) & mask]++ * size, r, size);
    }
}

static int pass_worker(void *stage, nd_work *work)
{
    const passes *ps = stage;
    for (size_t t; nd_work_take(work, &t);)
        pass_piece(ps, t);
    return 0;
}

static void run_pieces(passes *ps)
{
    if (ps->pieces == 1)
        pass_piece(ps, 0);
    else
        nd_parallel((int)ps->pieces, ps->pieces, pass_worker, ps);
}

/* False when the digit is the same in every record (then nothing moved). */
static bool radix_pass(passes *ps)
{
    ps->scattering = false;
    run_pieces(ps);
    const size_t first = (key_value(ps->from, ps->k) >> ps->shift) & ps->mask;
    size_t with_first = 0;
    for (size_t t = 0; t < ps->pieces; t++)
        with_first += ps->count[t * (ps->mask + 1) + first];
    if (with_first == ps->n)
        return false;
    size_t sum = 0;
    for (size_t d = 0; d <= ps->mask; d++) {
        for (size_t t = 0; t < ps->pieces; t++) {
            size_t *c = &ps->count[t * (ps->mask + 1) + d];
            const size_t here = *c;
            *c = sum;
            sum += here;
        }
    }
    ps->scattering = true;
    run_pieces(ps);
    return true;
}

static int passes_start(passes *p, const nd_sort_env *env, void *records, size_t n, size_t size,
                        int bits)
{
    p->from = records;
    p->scratch = env->scratch;
    p->to = nd_scratch_map(p->scratch, n * size);
    p->pieces = n >= SHARED_MIN && env->threads > 1 ? (size_t)env->threads : 1;
    p->count = malloc(p->pieces * ((size_t)1 << bits) * sizeof(*p->count));
    p->n = n;
    p->size = size;
    p->bits = bits;
    p->mask = ((uint64_t)1 << bits) - 1;
    return p->to && p->count ? 0 : ND_ENOMEM;
}

static void passes_run(passes *p, const nd_radix_key *k, int shift)
{
    p->k = k;
    p->shift = shift;
    if (!radix_pass(p))
        return;
    unsigned char *swap = p->from;
    p->from = p->to;
    p->to = swap;
}

/* Leaves the sorted records in `records` and frees the scratch. */
static void passes_end(passes *p, void *records)
{
    unsigned char *tmp = p->from == records ? p->to : p->from;
    if (tmp && p->from != records)
        memcpy(records, p->from, p->n * p->size);
    nd_scratch_unmap(p->scratch, tmp, p->n * p->size);
    free(p->count);
}

/* For a hash key (the one with .hash set) of n records: the lowest bit sorted on, the
 * top digits that tell n uniform hashes apart but for a 2^-10 share of them; 0 when
 * that is all of them, or the sort is small. */
#define HASH_MARGIN 10
static int hash_low_bit(size_t n, int bits)
{
    int needed = HASH_MARGIN;
    while (needed < 64 && (size_t)1 << (needed - HASH_MARGIN) < n)
        needed++;
    const int digits = (needed + bits - 1) / bits;
    return n < 65536 || digits * bits >= 64 ? 0 : 64 - digits * bits;
}

/* The records' order by all keys, for the few records put in order after the passes. */
static int compare_keys(const unsigned char *a, const unsigned char *b, const nd_radix_key *keys,
                        int n_keys)
{
    for (int k = 0; k < n_keys; k++) {
        const uint64_t x = key_value(a, &keys[k]), y = key_value(b, &keys[k]);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* Whether a and b agree on what the passes sorted on: the keys before the hash key
 * (keys[h]), and its bits from low up. */
static bool same_sorted_part(const unsigned char *a, const unsigned char *b,
                             const nd_radix_key *keys, int h, int low)
{
    for (int k = 0; k < h; k++)
        if (key_value(a, &keys[k]) != key_value(b, &keys[k]))
            return false;
    return key_value(a, &keys[h]) >> low == key_value(b, &keys[h]) >> low;
}

#define FEW 32 /* a run this short is put in order by insertion */
#define MAX_RECORD 64

/* Stable insertion sort of a few records by all keys. */
static void insertion_sort(unsigned char *r, size_t n, size_t size, const nd_radix_key *keys,
                           int n_keys)
{
    unsigned char held[MAX_RECORD];
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        while (j > 0 && compare_keys(r + (j - 1) * size, r + i * size, keys, n_keys) > 0)
            j--;
        if (j == i)
            continue;
        memcpy(held, r + i * size, size);
        memmove(r + (j + 1) * size, r + j * size, (i - j) * size);
        memcpy(r + j * size, held, size);
    }
}

static int sort_passes(const nd_sort_env *env, void *records, size_t n, size_t size,
                       const nd_radix_key *keys, int n_keys, bool truncate);

/* After passes that sorted the hash key keys[h] on its bits from low up only: each run
 * of records that agree on all that is put in order by all keys. */
static int order_runs(const nd_sort_env *env, unsigned char *r, size_t n, size_t size,
                      const nd_radix_key *keys, int n_keys, int h, int low)
{
    for (size_t lo = 0, hi; lo < n; lo = hi) {
        for (hi = lo + 1; hi < n && same_sorted_part(r + lo * size, r + hi * size, keys, h, low);
             hi++)
            ;
        if (hi - lo <= FEW)
            insertion_sort(r + lo * size, hi - lo, size, keys, n_keys);
        else if (sort_passes(env, r + lo * size, hi - lo, size, keys, n_keys, false) < 0)
            return ND_ENOMEM;
    }
    return 0;
}

/* The LSD passes, least significant key first; with truncate, a hash key's digits
 * below hash_low_bit are left out and the runs they leave are put in order after. */
static int sort_passes(const nd_sort_env *env, void *records, size_t n, size_t size,
                       const nd_radix_key *keys, int n_keys, bool truncate)
{
    if (n < 2)
        return 0;
    passes p;
    int rc = passes_start(&p, env, records, n, size, n < 65536 ? 8 : 11);
    int h = -1, low = 0;
    for (int k = n_keys - 1; rc == 0 && k >= 0; k--) {
        int from = 0;
        if (truncate && keys[k].hash && keys[k].bytes == 8 &&
            (from = hash_low_bit(n, p.bits)) > 0) {
            h = k;
            low = from;
        }
        for (int shift = from; shift < 8 * keys[k].bytes; shift += p.bits)
            passes_run(&p, &keys[k], shift);
    }
    passes_end(&p, records);
    return rc < 0 || h < 0 ? rc : order_runs(env, records, n, size, keys, n_keys, h, low);
}

int nd_radix_sort(const nd_sort_env *env, void *records, size_t n, size_t size,
                  const nd_radix_key *keys, int n_keys)
{
    int n_hashes = 0;
    for (int k = 0; k < n_keys; k++)
        n_hashes += keys[k].hash && keys[k].bytes == 8;
    /* a record too large to hold aside, or two hash keys: every digit is sorted on */
    return sort_passes(env, records, n, size, keys, n_keys, n_hashes == 1 && size <= MAX_RECORD);
}

/* ---------------------------------------------------------------- in place */

/* Insertion sort of a few values. */
static void insertion_sort_u64(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Sorts v[0..n), whose bytes above the one at shift are all equal. */
static void flag_sort(uint64_t *v, size_t n, int shift)
{
    if (n <= FEW) {
        insertion_sort_u64(v, n);
        return;
    }
    size_t count[256] = {0}, next[256], end[256];
    for (size_t i = 0; i < n; i++)
        count[v[i] >> shift & 0xFF]++;
    size_t at = 0;
    for (int b = 0; b < 256; b++) {
        next[b] = at;
        at += count[b];
        end[b] = at;
    }
    /* each value taken out of place is swapped into its bucket's next free slot, and
     * the value found there carried on, until one that belongs here comes back */
    for (int b = 0; b < 256; b++) {
        while (next[b] < end[b]) {
            uint64_t x = v[next[b]];
            for (int d = (int)(x >> shift & 0xFF); d != b; d = (int)(x >> shift & 0xFF)) {
                const uint64_t y = v[next[d]];
                v[next[d]++] = x;
                x = y;
            }
            v[next[b]++] = x;
        }
    }
    if (shift == 0)
        return;
    for (int b = 0; b < 256; b++)
        if (count[b] > 1)
            flag_sort(v + end[b] - count[b], count[b], shift - 8);
}

void nd_radix_sort_u64_in_place(uint64_t *v, size_t n)
{
    if (n > 1)
        flag_sort(v, n, 56);
}
