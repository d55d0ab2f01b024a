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

/* Two documents share at most what their profiles' bound says, and a bound of documents
 * that share little is well below their sizes (what lets it rule pairs out). */
Test(shingle, a_profile_bounds_what_two_documents_share)
{
    enum { N = 600 };
    static uint64_t a[N], b[N];
    uint8_t pa[ND_PROFILE_BUCKETS], pb[ND_PROFILE_BUCKETS];
    for (size_t shared = 0; shared <= N; shared += 50) {
        for (size_t i = 0; i < N; i++) {
            a[i] = next_random();
            b[i] = i < shared ? a[i] : next_random();
        }
        cr_assert(nd_shingle_profile(a, N, pa));
        cr_assert(nd_shingle_profile(b, N, pb));
        const uint32_t bound = nd_profile_shared_bound(pa, pb);
        cr_assert_geq(bound, shared);
        cr_assert_leq(bound, shared + (N - shared) * (N - shared) / ND_PROFILE_BUCKETS * 2 + 20,
                      "shared %zu: bound %u", shared, bound);
    }
}

/* A count that would pass 255 makes a profile that proves nothing. */
Test(shingle, a_full_bucket_makes_no_profile)
{
    static uint64_t h[300];
    uint8_t p[ND_PROFILE_BUCKETS];
    for (size_t i = 0; i < 300; i++)
        h[i] = 7 + ND_PROFILE_BUCKETS * (uint64_t)i; /* one bucket */
    cr_assert_not(nd_shingle_profile(h, 300, p));
    cr_assert(nd_shingle_profile(h, 254, p));
}
