/*
 * test_shingle.c: shingle hashes and shingle sets.
 *
 * nd_shingle_hashes computes every shingle of a document at once, a word
 * position at a time; it must give nd_shingle_hash of each window. The
 * shingle set (a radix sort) must give what qsort and removing repeats give,
 * also on hashes that are not uniform.
 */
#include "shingle.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t next_random(void)
{
    return nd_mix64(rng_state += 0x9E3779B97F4A7C15ull);
}

Test(shingle, batch_equals_one_at_a_time)
{
    uint64_t units[300], out[300];
    rng_state = 1;
    for (size_t i = 0; i < 300; i++)
        units[i] = next_random();
    for (int k = 1; k <= 64; k++) {
        for (size_t n = 1; n <= 300; n += 37) {
            nd_shingle_hashes(units, n, k, out);
            const size_t count = nd_shingle_count(n, k);
            for (size_t i = 0; i < count; i++) {
                const size_t width = n < (size_t)k ? n : (size_t)k;
                cr_assert_eq(out[i], nd_shingle_hash(units + i, width), "k %d n %zu at %zu", k,
                             n, i);
            }
        }
    }
}

Test(shingle, order_and_length_matter)
{
    const uint64_t ab[2] = {1, 2}, ba[2] = {2, 1}, a[1] = {1};
    cr_expect_neq(nd_shingle_hash(ab, 2), nd_shingle_hash(ba, 2));
    cr_expect_neq(nd_shingle_hash(a, 1), nd_shingle_hash(ab, 2));
}

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* nd_shingle_set against qsort and removing repeats. */
static void expect_set(uint64_t *h, size_t n, const char *what)
{
    uint64_t *want = malloc((n + 1) * sizeof(*want));
    memcpy(want, h, n * sizeof(*h));
    qsort(want, n, sizeof(*want), compare_u64);
    size_t m = n ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        if (want[i] != want[m - 1])
            want[m++] = want[i];
    const size_t got = nd_shingle_set(h, n);
    cr_assert_eq(got, m, "%s: %zu distinct, want %zu", what, got, m);
    cr_assert_eq(memcmp(h, want, m * sizeof(*h)), 0, "%s", what);
    free(want);
}

Test(shingle, set_sorted_and_distinct)
{
    static uint64_t h[200000];
    rng_state = 2;
    for (size_t n = 0; n < 3000; n = n * 3 + 1) {
        for (size_t i = 0; i < n; i++)
            h[i] = next_random();
        expect_set(h, n, "uniform");
        for (size_t i = 0; i < n; i++) /* one shingle many times, and some others */
            h[i] = i % 3 ? 42 : next_random();
        expect_set(h, n, "repeats");
        for (size_t i = 0; i < n; i++) /* small values: not uniform at all */
            h[i] = next_random() >> 40;
        expect_set(h, n, "small values");
    }
    for (size_t i = 0; i < 200000; i++) /* past the radix sort's small-array digits */
        h[i] = next_random() | (i & 1 ? 0 : UINT64_MAX);
    expect_set(h, 200000, "large");
}
