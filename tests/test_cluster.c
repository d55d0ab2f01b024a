/*
 * test_cluster.c: union-find clusters, numbering in input order, the kept document.
 */
#include "pairs/cluster.h"

#include <criterion/criterion.h>
#include <stdlib.h>

/* Pairs 1-3, 3-5 and 2-4 over 6 documents: clusters {1,3,5} and {2,4}; 0 alone. */
Test(cluster, chains_join_and_numbering_follows_input_order)
{
    nd_pair pairs[] = {{1, 3, 1, 1, 1, 0}, {2, 4, 1, 1, 1, 0}, {3, 5, 1, 1, 1, 0}};
    const uint64_t len[] = {10, 10, 10, 10, 10, 10};
    nd_member *m;
    size_t n, clusters;
    cr_assert_eq(nd_cluster(6, len, ND_KEEP_FIRST, pairs, 3, &m, &n, &clusters), 0);
    cr_assert_eq(clusters, 2);
    cr_assert_eq(n, 5);
    static const uint32_t cluster_of[] = {1, 1, 1, 2, 2}, doc_of[] = {1, 3, 5, 2, 4};
    for (size_t i = 0; i < 5; i++) {
        cr_expect_eq(m[i].cluster, cluster_of[i], "row %zu", i);
        cr_expect_eq(m[i].doc, doc_of[i], "row %zu", i);
        cr_expect_eq(m[i].kept_doc, cluster_of[i] == 1 ? 1 : 2, "first document kept");
        cr_expect_eq(m[i].size, cluster_of[i] == 1 ? 3 : 2);
    }
    cr_assert_eq(pairs[0].cluster, 1);
    cr_assert_eq(pairs[1].cluster, 2);
    cr_assert_eq(pairs[2].cluster, 1);
    free(m);
}

/* --keep longest keeps the longest document; a tie goes to the first. */
Test(cluster, keep_longest)
{
    nd_pair pairs[] = {{0, 1, 1, 1, 1, 0}, {1, 2, 1, 1, 1, 0}, {3, 4, 1, 1, 1, 0}};
    const uint64_t len[] = {10, 30, 20, 7, 7};
    nd_member *m;
    size_t n, clusters;
    cr_assert_eq(nd_cluster(5, len, ND_KEEP_LONGEST, pairs, 3, &m, &n, &clusters), 0);
    cr_assert_eq(m[0].kept_doc, 1);
    cr_assert_eq(m[3].kept_doc, 3, "a tie keeps the first");
    free(m);
}

/* No pairs: no clusters and no rows. */
Test(cluster, no_pairs)
{
    const uint64_t len[] = {1, 2};
    nd_member *m;
    size_t n, clusters;
    cr_assert_eq(nd_cluster(2, len, ND_KEEP_FIRST, NULL, 0, &m, &n, &clusters), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(clusters, 0);
    free(m);
}
