/*
 * test_minhash.c: one-permutation MinHash estimates Jaccard within its error.
 */
#include "text/minhash.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 12345;
static uint64_t next_random(void)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Two sets with |A & B| = shared and |A| = |B| = size; returns the exact Jaccard. */
static double make_pair(uint64_t *a, uint64_t *b, size_t size, size_t shared)
{
    for (size_t i = 0; i < size; i++) {
        a[i] = next_random();
        b[i] = i < shared ? a[i] : next_random();
    }
    return (double)shared / (double)(2 * size - shared);
}

/* 400 pairs, 50..2000 shingles, J from 0.1 to 0.9. With 128 bins the standard error is
 * sigma = sqrt(J(1-J)/128) (0.044 at J = 0.5) and a mean absolute error of 0.8 sigma is
 * expected: the estimates must be unbiased, no worse than that on average, and never
 * beyond 5 sigma. */
Test(minhash, estimates_within_expected_error)
{
    uint64_t *a = malloc(2000 * 8), *b = malloc(2000 * 8);
    uint32_t sa[128], sb[128];
    double total = 0, worst = 0, bias = 0, expected = 0;
    for (int i = 0; i < 400; i++) {
        const size_t size = 50 + next_random() % 1951;
        const double target = 0.1 + 0.8 * (double)(next_random() % 1000) / 1000.0;
        const size_t shared = (size_t)(2.0 * (double)size * target / (1.0 + target));
        const double j = make_pair(a, b, size, shared);
        nd_minhash_sign(a, size, 128, 7, sa);
        nd_minhash_sign(b, size, 128, 7, sb);
        const double signed_err = nd_minhash_estimate(sa, sb, 128) - j;
        const double sigma = sqrt(j * (1 - j) / 128);
        total += fabs(signed_err);
        bias += signed_err;
        expected += 0.8 * sigma;
        worst = fmax(worst, fabs(signed_err) / sigma);
    }
    cr_log_info("mean absolute error %.4f (expected %.4f), bias %.4f, worst %.2f sigma",
                total / 400, expected / 400, bias / 400, worst);
    cr_assert_lt(total, 1.15 * expected, "no worse than classic MinHash on average");
    cr_assert_lt(fabs(bias / 400), 0.006, "unbiased");
    cr_assert_lt(worst, 5.0);
    free(a);
    free(b);
}

/* J(A, A) = 1; the estimate is symmetric and deterministic; repeats do not matter. */
Test(minhash, identity_symmetry_determinism)
{
    uint64_t a[300], b[300], twice[600];
    uint32_t s1[128], s2[128], s3[128], s4[128];
    make_pair(a, b, 300, 150);
    for (int i = 0; i < 600; i++)
        twice[i] = a[i % 300];
    nd_minhash_sign(a, 300, 128, 1, s1);
    nd_minhash_sign(a, 300, 128, 1, s2);
    nd_minhash_sign(b, 300, 128, 1, s3);
    nd_minhash_sign(twice, 600, 128, 1, s4);
    cr_assert_eq(nd_minhash_estimate(s1, s2, 128), 1.0);
    cr_assert_eq(nd_minhash_estimate(s1, s3, 128), nd_minhash_estimate(s3, s1, 128));
    cr_assert_eq(nd_minhash_estimate(s1, s4, 128), 1.0, "a multiset signs like its set");
}

/* Tiny sets (fewer shingles than bins) are densified, not left empty. */
Test(minhash, small_sets_densified)
{
    uint64_t a[3] = {1, 2, 3}, b[3] = {1, 2, 4};
    uint32_t sa[128], sb[128];
    nd_minhash_sign(a, 3, 128, 1, sa);
    nd_minhash_sign(b, 3, 128, 1, sb);
    for (int i = 0; i < 128; i++)
        cr_assert_neq(sa[i], UINT32_MAX, "bin %d left empty", i);
    const double est = nd_minhash_estimate(sa, sb, 128);
    cr_assert(est > 0.1 && est < 0.9, "J = 0.5, estimate %f", est);
}

/* The densifier's table gives the very signatures that probing does, for short
 * documents (where it is used) and long ones (where it is not), at several sizes. */
Test(minhash, the_densifier_gives_the_same_signatures)
{
    static const int sizes[] = {16, 64, 128, 256};
    uint64_t h[300];
    uint64_t x = 12345;
    for (size_t i = 0; i < 300; i++)
        h[i] = x = x * 6364136223846793005ull + 1442695040888963407ull;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
        nd_densifier *d = NULL;
        cr_assert_eq(nd_densifier_new(&d, sizes[s], 42), 0);
        cr_assert_not_null(d);
        for (size_t n = 1; n <= 300; n += n < 40 ? 1 : 37) {
            uint32_t plain[256], fast[256];
            nd_minhash_sign(h, n, sizes[s], 42, plain);
            nd_minhash_sign_with(d, h, n, sizes[s], 42, fast);
            cr_assert_eq(memcmp(plain, fast, (size_t)sizes[s] * sizeof(*plain)), 0,
                         "num_perm %d, %zu shingles", sizes[s], n);
        }
        nd_densifier_free(d);
    }
    nd_densifier *none = NULL;
    cr_assert_eq(nd_densifier_new(&none, 1024, 42), 0);
    cr_assert_null(none, "no table past 256 bins");
}
