/*
 * test_shingle.c: shingle hashes.
 *
 * nd_shingle_hashes computes every shingle of a document at once, a word
 * position at a time; it must give nd_shingle_hash of each window.
 */
#include "text/shingle.h"

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
                cr_assert_eq(out[i], nd_shingle_hash(units + i, width), "k %d n %zu at %zu", k, n,
                             i);
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
