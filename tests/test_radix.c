/*
 * test_radix.c: the radix sort against a stable comparison sort.
 *
 * Each record carries its original place, so a comparison on (keys, place)
 * gives the one stable order. A key marked as a hash is sorted on its top
 * bits only, and the records that share them are put in order afterwards:
 * it is tried with hashes that share their top bits (long runs to put in
 * order), repeated hashes, keys before and after it, and sizes on both sides
 * of the cut-overs; and large sorts shared by threads. The in-place sort of bare
 * values is tried on the same kinds of values.
 */
#include "input/corpus.h"
#include "common/radix.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct record {
    uint64_t hash;
    uint32_t doc, place;
} record;

/* The threads a sort may use: one, but in the test of shared sorts. */
static nd_sort_env env = {1, NULL};

static uint64_t rng_state;
static uint64_t next_random(void)
{
    return nd_mix64(rng_state += 0x9E3779B97F4A7C15ull);
}

static int compare_records(const void *pa, const void *pb)
{
    const record *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return (a->place > b->place) - (a->place < b->place);
}

/* n records; `shared` of every 8 take their top 40 bits from a few values, and
 * `repeats` of every 8 repeat an earlier hash. */
static record *make_records(size_t n, int shared, int repeats)
{
    record *r = malloc(n * sizeof(*r));
    cr_assert(r);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = next_random();
        const uint64_t pick = next_random() % 8;
        if (pick < (uint64_t)shared)
            h = (next_random() % 4) << 40 ^ (h & 0xFFFFFFFFFFull);
        else if (pick < (uint64_t)(shared + repeats) && i > 0)
            h = r[next_random() % i].hash;
        r[i] = (record){h, (uint32_t)(next_random() % 1000), (uint32_t)i};
    }
    return r;
}

static void check_by_hash(size_t n, int shared, int repeats)
{
    record *got = make_records(n, shared, repeats), *want = malloc(n * sizeof(*want));
    cr_assert(want);
    memcpy(want, got, n * sizeof(*got));
    qsort(want, n, sizeof(*want), compare_records);
    static const nd_radix_key hash = {offsetof(record, hash), 8, true};
    cr_assert_eq(nd_radix_sort(&env, got, n, sizeof(*got), &hash, 1), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert(got[i].hash == want[i].hash && got[i].place == want[i].place,
                  "n %zu shared %d repeats %d: record %zu", n, shared, repeats, i);
    free(got);
    free(want);
}

Test(radix, by_hash_equals_a_stable_sort)
{
    rng_state = 7;
    const size_t sizes[] = {0, 1, 2, 31, 33, 1000, 65535, 65536, 200000, 1500000};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
        check_by_hash(sizes[s], 0, 0);
        check_by_hash(sizes[s], 0, 4);
        check_by_hash(sizes[s], 2, 2);
    }
}

Test(radix, by_hash_with_most_top_bits_shared)
{
    rng_state = 11;
    check_by_hash(300000, 7, 0); /* runs of ~65,000 records to order below the top bits */
}

Test(radix, by_hash_of_bare_hashes)
{
    rng_state = 13;
    const size_t n = 400000;
    uint64_t *got = malloc(n * sizeof(*got)), *want = malloc(n * sizeof(*want));
    cr_assert(got && want);
    for (size_t i = 0; i < n; i++)
        got[i] = want[i] = i % 3 ? next_random() : next_random() >> 30;
    const nd_radix_key whole = {0, 8, false}, hash = {0, 8, true};
    cr_assert_eq(nd_radix_sort(&env, want, n, sizeof(*want), &whole, 1), 0);
    cr_assert_eq(nd_radix_sort(&env, got, n, sizeof(*got), &hash, 1), 0);
    cr_assert_eq(memcmp(got, want, n * sizeof(*got)), 0);
    free(got);
    free(want);
}

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* A hash key sorted against qsort, on n values made by value(i). */
static void check_values(size_t n, uint64_t (*value)(size_t), const char *what)
{
    uint64_t *got = malloc((n + 1) * sizeof(*got)), *want = malloc((n + 1) * sizeof(*want));
    cr_assert(got && want);
    for (size_t i = 0; i < n; i++)
        got[i] = want[i] = value(i);
    qsort(want, n, sizeof(*want), compare_u64);
    static const nd_radix_key hash = {0, 8, true};
    cr_assert_eq(nd_radix_sort(&env, got, n, sizeof(*got), &hash, 1), 0);
    cr_assert_eq(memcmp(got, want, n * sizeof(*got)), 0, "%s, %zu values", what, n);
    free(got);
    free(want);
}

static uint64_t uniform(size_t i)
{
    (void)i;
    return next_random();
}

static uint64_t one_value_many_times(size_t i)
{
    return i % 3 ? 42 : next_random();
}

static uint64_t small_values(size_t i)
{
    (void)i;
    return next_random() >> 40;
}

static uint64_t half_all_ones(size_t i)
{
    return next_random() | (i & 1 ? 0 : UINT64_MAX);
}

/* Keys flagged as hashes that are not uniform: right, if no faster. */
Test(radix, hash_keys_that_are_not_uniform)
{
    rng_state = 2;
    for (size_t n = 0; n < 3000; n = n * 3 + 1) {
        check_values(n, uniform, "uniform");
        check_values(n, one_value_many_times, "one value many times");
        check_values(n, small_values, "small values");
    }
    check_values(200000, half_all_ones, "half all ones");
    check_values(200000, one_value_many_times, "one value many times");
    check_values(200000, small_values, "small values");
}

/* The in-place sort against qsort, on n values made by value(i). */
static void check_in_place(size_t n, uint64_t (*value)(size_t), const char *what)
{
    uint64_t *got = malloc((n + 1) * sizeof(*got)), *want = malloc((n + 1) * sizeof(*want));
    cr_assert(got && want);
    for (size_t i = 0; i < n; i++)
        got[i] = want[i] = value(i);
    qsort(want, n, sizeof(*want), compare_u64);
    nd_radix_sort_u64_in_place(got, n);
    cr_assert_eq(memcmp(got, want, n * sizeof(*got)), 0, "%s, %zu values", what, n);
    free(got);
    free(want);
}

Test(radix, in_place_equals_qsort)
{
    rng_state = 3;
    for (size_t n = 0; n < 100000; n = n * 3 + 1) {
        check_in_place(n, uniform, "uniform");
        check_in_place(n, one_value_many_times, "one value many times");
        check_in_place(n, small_values, "small values");
        check_in_place(n, half_all_ones, "half all ones");
    }
    check_in_place(1500000, uniform, "uniform");
}

/* Records with a small key before the hash and the document after it, as LSH's. */
typedef struct band_record {
    uint32_t band, pad;
    uint64_t hash;
    uint32_t doc, place;
} band_record;

static int compare_doc_hash(const void *pa, const void *pb)
{
    const band_record *a = pa, *b = pb;
    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return (a->place > b->place) - (a->place < b->place);
}

static int compare_band_hash_doc(const void *pa, const void *pb)
{
    const band_record *a = pa, *b = pb;
    if (a->band != b->band)
        return a->band < b->band ? -1 : 1;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return compare_doc_hash(pa, pb);
}

/* nd_radix_sort by keys against qsort by compare, on band records of several sizes. */
static void check_band_records(const nd_radix_key *keys, int n_keys,
                               int (*compare)(const void *, const void *))
{
    const size_t sizes[] = {2, 1000, 70000, 400000};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
        const size_t n = sizes[s];
        record *r = make_records(n, 2, 3);
        band_record *got = malloc(n * sizeof(*got)), *want = malloc(n * sizeof(*want));
        cr_assert(got && want);
        for (size_t i = 0; i < n; i++)
            got[i] = want[i] = (band_record){r[i].doc % 13, 0, r[i].hash, r[i].doc, r[i].place};
        qsort(want, n, sizeof(*want), compare);
        cr_assert_eq(nd_radix_sort(&env, got, n, sizeof(*got), keys, n_keys), 0);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(got[i].place, want[i].place, "n %zu: record %zu", n, i);
        free(r);
        free(got);
        free(want);
    }
}

Test(radix, several_keys_equal_a_stable_sort)
{
    rng_state = 17;
    static const nd_radix_key keys[] = {{offsetof(band_record, doc), 4, false},
                                        {offsetof(band_record, hash), 8, false}};
    check_band_records(keys, 2, compare_doc_hash);
}

Test(radix, hash_between_other_keys)
{
    rng_state = 19;
    static const nd_radix_key keys[] = {{offsetof(band_record, band), 4, false},
                                        {offsetof(band_record, hash), 8, true},
                                        {offsetof(band_record, doc), 4, false}};
    check_band_records(keys, 3, compare_band_hash_doc);
}

/* A large sort shared by two or three threads: the same stable order, for hash keys
 * (with long runs to order below the top bits), several keys and digits that are the
 * same in every record (passes skipped). */
Test(radix, shared_by_threads_equals_a_stable_sort)
{
    static const nd_radix_key keys[] = {{offsetof(band_record, band), 4, false},
                                        {offsetof(band_record, hash), 8, true},
                                        {offsetof(band_record, doc), 4, false}};
    for (int threads = 2; threads <= 3; threads++) {
        env.threads = threads;
        rng_state = 23;
        check_by_hash(1500000, 2, 2);
        check_by_hash(300000, 7, 0);
        check_band_records(keys, 3, compare_band_hash_doc);
    }
    env.threads = 1;
}
