/*
 * test_duplicates.c: copies of one text and large clusters cost what they hold, not the
 * square of it, and keep the clusters of comparing every pair (--all-pairs).
 */
#define _GNU_SOURCE /* open_memstream, asprintf */
#include "helpers.h"
#include "neardup.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Runs texts[0..n) (ids t000, t001, ...) and returns the result; *c gets the corpus. */
static nd_result *run_texts(nd_corpus **c, char *const *texts, size_t n, int all_pairs, int threads)
{
    nd_options o = ND_OPTIONS_INIT;
    o.all_pairs = all_pairs;
    o.threads = threads;
    nd_result *r = NULL;
    cr_assert_eq(nd_corpus_new(c, &o), 0);
    for (size_t i = 0; i < n; i++) {
        char id[24];
        snprintf(id, sizeof(id), "t%03zu", i);
        cr_assert_eq(nd_corpus_add_memory(*c, id, texts[i], strlen(texts[i])), 0);
    }
    cr_assert_eq(nd_corpus_run(*c, &r), 0);
    return r;
}

typedef int (*writer_fn)(const nd_result *, FILE *, nd_format);

static char *written(const nd_result *r, writer_fn write)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_assert_not_null(out);
    cr_assert_eq(write(r, out, ND_FORMAT_CSV), 0);
    fclose(out);
    return text;
}

/* The seed article i with its paragraphs rotated by k and a word of its own at the end:
 * a near-duplicate of the article. */
static char *variant(int i, int k, int mark)
{
    size_t len;
    char *seed = read_seed(i, &len);
    const char *cut = seed;
    for (int r = 0; r < k && strchr(cut, '\n'); r++)
        cut = strchr(cut, '\n') + 1;
    char *text;
    cr_assert_gt(asprintf(&text, "%s%.*s mark%d", cut, (int)(cut - seed), seed, mark), 0);
    free(seed);
    return text;
}

static void free_texts(char **texts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
}

/* Clusters, the remove list, and (below ND_LIST_ALL_PAIRS documents a cluster) every
 * pair: the same as comparing every candidate pair. */
static void check_same_as_all_pairs(char *const *texts, size_t n, bool same_pairs)
{
    nd_corpus *c1, *c2;
    nd_result *fast = run_texts(&c1, texts, n, 0, 2), *all = run_texts(&c2, texts, n, 1, 1);
    const writer_fn same[] = {nd_write_clusters, nd_write_remove, nd_write_pairs};
    for (size_t w = 0; w < (same_pairs ? 3u : 2u); w++) {
        char *a = written(fast, same[w]), *b = written(all, same[w]);
        cr_assert_str_eq(a, b, "writer %zu differs from --all-pairs", w);
        free(a);
        free(b);
    }
    nd_result_free(fast);
    nd_result_free(all);
    nd_corpus_free(c1);
    nd_corpus_free(c2);
}

/* A small cluster of copies and near-duplicates lists every pair, copies included. */
Test(duplicates, a_small_cluster_with_copies_lists_every_pair)
{
    char *texts[8];
    for (int i = 0; i < 8; i++) /* three copies of one text, others near it, one apart */
        texts[i] = i < 3 ? variant(0, 1, 0) : i < 7 ? variant(0, i % 3, i) : variant(4, 0, 0);
    check_same_as_all_pairs(texts, 8, true);
    nd_corpus *c;
    nd_result *r = run_texts(&c, texts, 8, 0, 1);
    cr_assert_eq(nd_result_stats(r)->n_copies, 2);
    cr_assert_eq(nd_result_stats(r)->n_pairs_unlisted, 0);
    nd_result_free(r);
    nd_corpus_free(c);
    free_texts(texts, 8);
}

/* A cluster over ND_LIST_ALL_PAIRS documents lists each member with its kept document. */
Test(duplicates, a_large_cluster_lists_each_member_with_the_kept_one)
{
    enum { N = 60 };
    char *texts[N];
    for (int i = 0; i < N; i++)
        texts[i] = i % 2 ? variant(1, 0, 0) : variant(1, 0, i);
    check_same_as_all_pairs(texts, N, false);
    nd_corpus *c;
    nd_result *r = run_texts(&c, texts, N, 0, 2);
    const nd_stats *s = nd_result_stats(r);
    cr_assert_eq(s->n_clusters, 1);
    cr_assert_eq(nd_result_n_pairs(r), N - 1);
    cr_assert_eq(s->n_pairs_unlisted, (uint64_t)(N - 1) * (N - 2) / 2);
    for (size_t i = 0; i < nd_result_n_pairs(r); i++) {
        const nd_pair *p = nd_result_pair(r, i);
        cr_assert_eq(p->doc_a, 0, "each pair is the kept document (0) with a member");
        cr_assert_eq(p->doc_b, i + 1);
        cr_assert_geq(p->jaccard, 0.8);
    }
    nd_result_free(r);
    nd_corpus_free(c);
    free_texts(texts, N);
}

/* 20,000 copies of one text: one cluster, 19,999 pairs, in a bounded address space
 * (comparing every pair took 200 million; they ran out of memory). */
Test(duplicates, twenty_thousand_copies_make_one_cluster_in_bounded_memory)
{
#ifndef __SANITIZE_ADDRESS__ /* ASan reserves terabytes of address space up front */
    const struct rlimit limit = {1u << 30, 1u << 30};
    cr_assert_eq(setrlimit(RLIMIT_AS, &limit), 0);
#endif
    enum { N = 20000 };
    static char text[] = "We use cookies to improve your experience on our site.";
    char **texts = malloc(N * sizeof(*texts));
    cr_assert_not_null(texts);
    for (int i = 0; i < N; i++)
        texts[i] = text;
    nd_corpus *c;
    nd_result *r = run_texts(&c, texts, N, 0, 2);
    const nd_stats *s = nd_result_stats(r);
    cr_assert_eq(s->n_clusters, 1);
    cr_assert_eq(s->n_copies, N - 1);
    cr_assert_eq(nd_result_n_members(r), N);
    cr_assert_eq(nd_result_member(r, N - 1)->size, N);
    cr_assert_eq(nd_result_n_pairs(r), N - 1);
    cr_assert_eq(nd_result_pair(r, 0)->jaccard, 1.0);
    cr_assert_eq(s->n_pairs_unlisted, (uint64_t)(N - 1) * (N - 2) / 2);
    nd_result_free(r);
    nd_corpus_free(c);
    free(texts);
}
