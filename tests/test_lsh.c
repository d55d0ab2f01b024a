/*
 * test_lsh.c: the banding chosen for a threshold, its S-curve, and candidates by sorting.
 */
#include "pairs/lsh.h"

#include <criterion/criterion.h>
#include <math.h>

/* Thresholds 0.5, 0.8, 0.9 with 128 values: the fewest false candidates among the
 * bandings that find a pair at the threshold 95% of the time. */
Test(lsh, params_for_thresholds)
{
    static const struct {
        double t;
        int bands, rows;
    } want[] = {{0.5, 23, 3}, {0.8, 13, 7}, {0.9, 10, 12}};
    for (int i = 0; i < 3; i++) {
        int b, r;
        nd_lsh_params(want[i].t, 128, &b, &r);
        cr_expect_eq(b, want[i].bands, "t=%.1f", want[i].t);
        cr_expect_eq(r, want[i].rows, "t=%.1f", want[i].t);
        cr_assert_leq(b * r, 128);
    }
}

/* The S-curve: a pair at the threshold is found 95% of the time, one well below it
 * seldom, and the curve never falls. */
Test(lsh, s_curve)
{
    static const double thresholds[] = {0.5, 0.8, 0.9};
    for (int i = 0; i < 3; i++) {
        const double t = thresholds[i];
        int b, r;
        nd_lsh_params(t, 128, &b, &r);
        cr_expect_geq(nd_lsh_probability(t, b, r), 0.95, "t=%.1f", t);
        cr_expect_lt(nd_lsh_probability(t - 0.3, b, r), 0.2, "t=%.1f", t);
        double last = 0;
        for (double s = 0; s <= 1.0; s += 0.01) {
            const double p = nd_lsh_probability(s, b, r);
            cr_assert_geq(p, last);
            last = p;
        }
    }
}

/* Identical signatures pair up; different ones do not; pairs come sorted and distinct. */
Test(lsh, candidates_by_sorting)
{
    uint32_t sigs[5 * 128];
    const uint32_t docs[] = {0, 1, 2, 3, 4};
    for (int d = 0; d < 5; d++)
        for (int i = 0; i < 128; i++)
            sigs[d * 128 + i] =
                d % 2 == 0 ? (uint32_t)i : (uint32_t)i * 7919u + (uint32_t)d * 104729u;
    nd_pair_key *pairs;
    size_t n;
    cr_assert_eq(nd_lsh_candidates(sigs, docs, 5, 128, 9, 13, &pairs, &n), 0);
    cr_assert_eq(n, 3, "docs 0, 2, 4 are identical: three pairs");
    cr_assert(pairs[0].a == 0 && pairs[0].b == 2);
    cr_assert(pairs[1].a == 0 && pairs[1].b == 4);
    cr_assert(pairs[2].a == 2 && pairs[2].b == 4);
    free(pairs);
}
