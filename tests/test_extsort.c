/*
 * test_extsort.c: the external sort, in memory and spilled, records added one by one
 * or in blocks.
 */
#include "extsort.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

typedef struct rec {
    uint64_t key;
    uint32_t seq, pad;
} rec;

static int compare_recs(const void *pa, const void *pb)
{
    const rec *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* n records with keys from a few values (ties in order of seq), deterministic. */
static rec *make_recs(size_t n)
{
    rec *r = malloc(n * sizeof(*r));
    cr_assert_not_null(r);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        r[i] = (rec){x % 1000, (uint32_t)i, 0};
    }
    return r;
}

/* Sorts r[0..n) through an extsort of the given budget, added in blocks of `block`
 * records (1: one by one), and checks the result against qsort's; returns the runs
 * spilled. */
static size_t sort_through(const rec *r, size_t n, size_t budget, size_t block)
{
    nd_spill *spill;
    nd_extsort *s;
    cr_assert_eq(nd_spill_open(&spill, NULL), 0);
    cr_assert_eq(nd_extsort_new(&s, sizeof(rec), compare_recs, NULL, budget, spill), 0);
    for (size_t i = 0; i < n; i += block) {
        const size_t m = n - i < block ? n - i : block;
        cr_assert_eq(block == 1 ? nd_extsort_add(s, &r[i]) : nd_extsort_add_many(s, &r[i], m), 0);
    }
    cr_assert_eq(nd_extsort_finish(s), 0);
    rec *want = malloc((n ? n : 1) * sizeof(*want));
    cr_assert_not_null(want);
    memcpy(want, r, n * sizeof(*want));
    qsort(want, n, sizeof(*want), compare_recs);
    const void *got;
    size_t k = 0;
    int rc;
    while ((rc = nd_extsort_next(s, &got)) == 1) {
        cr_assert_lt(k, n);
        cr_assert(!memcmp(got, &want[k], sizeof(rec)), "record %zu out of order", k);
        k++;
    }
    cr_assert_eq(rc, 0);
    cr_assert_eq(k, n, "records lost or added: %zu of %zu", k, n);
    const size_t runs = nd_extsort_runs(s);
    nd_extsort_free(s);
    nd_spill_close(spill);
    free(want);
    return runs;
}

Test(extsort, blocks_sort_as_records_one_by_one)
{
    const size_t n = 100000;
    rec *r = make_recs(n);
    const size_t blocks[] = {1, 7, 4096, 100000};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++) {
        cr_assert_eq(sort_through(r, n, SIZE_MAX / 64, blocks[i]), 0, "it fitted in memory");
        cr_assert_gt(sort_through(r, n, 64 << 10, blocks[i]), 10, "a 64 KiB budget spills");
    }
    free(r);
}

Test(extsort, empty_and_single)
{
    rec *r = make_recs(1);
    cr_assert_eq(sort_through(r, 0, 64 << 10, 5), 0);
    cr_assert_eq(sort_through(r, 1, 64 << 10, 5), 0);
    free(r);
}
