/*
 * test_extsort.c: the external sort, in memory and spilled, records added one by one
 * or in blocks, in one part or several.
 */
#include "common/extsort.h"
#include "neardup.h"

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

/* Keys are below 1000: part k of n holds keys [1000 k / n, 1000 (k + 1) / n). */
static size_t part_of(const void *n_parts, const void *record)
{
    return (size_t)(((const rec *)record)->key * *(const size_t *)n_parts / 1000);
}

static const nd_sort_env one_thread = {1, NULL};

/* The most records one call of sort_recs was given. */
static size_t largest_sort;

static int sort_recs(const nd_sort_env *env, void *records, size_t n)
{
    (void)env;
    largest_sort = n > largest_sort ? n : largest_sort;
    qsort(records, n, sizeof(rec), compare_recs);
    return 0;
}

/* Sorts r[0..n) through an extsort of the given budget in `parts` parts (0: not
 * partitioned, and sorted by the comparison alone), added in blocks of `block` records
 * (1: one by one), and checks the result against qsort's; returns the runs spilled. */
static size_t sort_in_parts(const rec *r, size_t n, size_t budget, size_t block, size_t parts)
{
    nd_spill *spill;
    nd_extsort *s;
    largest_sort = 0;
    cr_assert_eq(nd_spill_open(&spill, NULL, NULL), 0);
    cr_assert_eq(nd_extsort_new(&s, sizeof(rec), compare_recs, parts ? sort_recs : NULL,
                                &one_thread, budget, spill),
                 0);
    if (parts)
        cr_assert_eq(nd_extsort_partition(s, parts, part_of, &parts), 0);
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

static size_t sort_through(const rec *r, size_t n, size_t budget, size_t block)
{
    return sort_in_parts(r, n, budget, block, 0);
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

Test(extsort, parts_sort_as_one)
{
    const size_t n = 100000;
    rec *r = make_recs(n);
    const size_t blocks[] = {1, 7, 100000}, parts[] = {2, 7, 1000};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++) {
        const size_t runs = sort_in_parts(r, n, 64 << 10, blocks[i], 0);
        for (size_t j = 0; j < sizeof(parts) / sizeof(*parts); j++) {
            cr_assert_eq(sort_in_parts(r, n, SIZE_MAX / 64, blocks[i], parts[j]), 0);
            cr_assert_eq(sort_in_parts(r, n, 64 << 10, blocks[i], parts[j]), runs,
                         "a spill is one run, whatever the parts");
        }
    }
    free(r);
}

Test(extsort, partition_only_before_adding)
{
    nd_extsort *s;
    size_t parts = 2;
    const rec one = {1, 0, 0};
    cr_assert_eq(nd_extsort_new(&s, sizeof(rec), compare_recs, NULL, &one_thread, 64 << 10, NULL),
                 0);
    cr_assert_eq(nd_extsort_partition(s, 0, part_of, &parts), ND_EINVAL);
    cr_assert_eq(nd_extsort_partition(s, parts, part_of, &parts), 0);
    cr_assert_eq(nd_extsort_partition(s, parts, part_of, &parts), ND_EINVAL, "twice");
    nd_extsort_free(s);
    cr_assert_eq(nd_extsort_new(&s, sizeof(rec), compare_recs, NULL, &one_thread, 64 << 10, NULL),
                 0);
    cr_assert_eq(nd_extsort_add(s, &one), 0);
    cr_assert_eq(nd_extsort_partition(s, parts, part_of, &parts), ND_EINVAL, "after adding");
    nd_extsort_free(s);
}

Test(extsort, parts_in_memory_are_sorted_one_at_a_time)
{
    const size_t n = 100000;
    rec *r = make_recs(n);
    sort_in_parts(r, n, SIZE_MAX / 64, 4096, 1);
    cr_assert_eq(largest_sort, n, "one part: one sort of everything");
    sort_in_parts(r, n, SIZE_MAX / 64, 4096, 10);
    cr_assert_lt(largest_sort, n / 10 + n / 50, "ten parts: a tenth at a time (%zu)", largest_sort);
    free(r);
}

Test(extsort, empty_parts_between_full_ones)
{
    const size_t n = 5000;
    rec *r = make_recs(n);
    for (size_t i = 0; i < n; i++) /* keys only in the first and last of 7 parts */
        r[i].key = r[i].key % 2 ? 999 - r[i].key % 100 : r[i].key % 100;
    cr_assert_eq(sort_in_parts(r, n, SIZE_MAX / 64, 7, 7), 0);
    cr_assert_gt(sort_in_parts(r, n, 4 << 10, 7, 7), 1);
    free(r);
}
