/*
 * test_verify.c: the exact Jaccard of reported pairs, against sets of shingle strings
 * built here.
 */
#define _GNU_SOURCE
#include "neardup.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_DOCS 6
#define MAX_WORDS 1200
#define K 5

typedef struct doc_words {
    int w[MAX_WORDS];
    size_t n;
} doc_words;

/* Deterministic words "wNN": a small generator, so the sets are the same every run. */
static unsigned next_random(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 16) & 0x7FFF;
}

static void append(doc_words *d, const int *w, size_t n)
{
    cr_assert_leq(d->n + n, MAX_WORDS);
    memcpy(d->w + d->n, w, n * sizeof(*w));
    d->n += n;
}

/* A base text and variants of it: words changed, a passage repeated inside one (shingles
 * seen twice in a document count once), one much longer than the base and one much
 * shorter, so both sides of a pair are at times the larger. */
static void make_docs(doc_words docs[N_DOCS])
{
    unsigned state = 7;
    memset(docs, 0, N_DOCS * sizeof(*docs));
    for (size_t i = 0; i < 400; i++)
        docs[0].w[docs[0].n++] = (int)(next_random(&state) % 300);
    docs[1] = docs[0];
    for (size_t i = 10; i < 400; i += 37)
        docs[1].w[i] = 1000 + (int)i;
    docs[2] = docs[0];
    append(&docs[2], docs[0].w + 50, 120); /* a passage twice */
    docs[3] = docs[1];
    append(&docs[3], docs[0].w, 400);
    append(&docs[3], docs[1].w, 300);
    docs[4] = docs[0];
    docs[4].n = 330;
    for (size_t i = 0; i < 3; i++) /* the same word over and over */
        append(&docs[4], (int[]){5, 5, 5, 5, 5, 5, 5, 5}, 8);
    for (size_t i = 0; i < 300; i++)
        docs[5].w[docs[5].n++] = (int)(next_random(&state) % 300);
}

static char *doc_text(const doc_words *d)
{
    char *text = malloc(d->n * 8 + 1), *p = text;
    for (size_t i = 0; i < d->n; i++)
        p += sprintf(p, "%sW%d", i ? " " : "", d->w[i]);
    return text;
}

/* The distinct shingles of d, each K word numbers, sorted. */
static size_t shingle_set(const doc_words *d, int (*out)[K])
{
    size_t n = 0;
    for (size_t i = 0; i + K <= d->n; i++) {
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = !memcmp(out[j], d->w + i, sizeof(out[j]));
        if (!seen)
            memcpy(out[n++], d->w + i, sizeof(out[0]));
    }
    return n;
}

static size_t shared_shingles(int (*a)[K], size_t na, int (*b)[K], size_t nb)
{
    size_t both = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (!memcmp(a[i], b[j], sizeof(a[i]))) {
                both++;
                break;
            }
    return both;
}

/* Runs docs[0..n) with o, each's set of shingles into sets and n_set. */
static nd_result *run_docs(const nd_options *o, const doc_words *docs, int n,
                           int (*sets)[MAX_WORDS][K], size_t *n_set, nd_corpus **c)
{
    cr_assert_eq(nd_corpus_new(c, o), 0);
    for (int i = 0; i < n; i++) {
        char id[16], *text = doc_text(&docs[i]);
        snprintf(id, sizeof(id), "d%02d", i);
        cr_assert_eq(nd_corpus_add_memory(*c, id, text, strlen(text)), 0);
        free(text);
        n_set[i] = shingle_set(&docs[i], sets[i]);
    }
    nd_result *r;
    cr_assert_eq(nd_corpus_run(*c, &r), 0);
    return r;
}

static double set_jaccard(int (*sets)[MAX_WORDS][K], const size_t *n_set, uint32_t a, uint32_t b)
{
    const size_t both = shared_shingles(sets[a], n_set[a], sets[b], n_set[b]);
    return (double)both / (double)(n_set[a] + n_set[b] - both);
}

/* The pairs of r are those of the sets at threshold t or above, with their shared counts
 * and Jaccards; returns how many pairs of the sets lie within 0.05 of t. */
static size_t check_pairs(const nd_result *r, int (*sets)[MAX_WORDS][K], const size_t *n_set, int n,
                          double t)
{
    size_t expected = 0, near = 0;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            const double j = set_jaccard(sets, n_set, (uint32_t)a, (uint32_t)b);
            expected += j >= t;
            near += j >= t - 0.05 && j < t + 0.05;
        }
    cr_assert_geq(expected, 6, "the variants are near each other: %zu pairs", expected);
    cr_assert_eq(nd_result_n_pairs(r), expected);
    for (size_t i = 0; i < nd_result_n_pairs(r); i++) {
        const nd_pair *p = nd_result_pair(r, i);
        cr_assert_eq(
            p->shared,
            shared_shingles(sets[p->doc_a], n_set[p->doc_a], sets[p->doc_b], n_set[p->doc_b]),
            "pair %u,%u", p->doc_a, p->doc_b);
        cr_assert_float_eq(p->jaccard, set_jaccard(sets, n_set, p->doc_a, p->doc_b), 1e-12,
                           "pair %u,%u", p->doc_a, p->doc_b);
    }
    return near;
}

/* Every pair above a low threshold is reported with the shared count and Jaccard of the
 * string sets; pairs with the same first document come in a row, so this also checks
 * that one document's table serves several pairs unchanged. */
Test(verify, exact_jaccard_matches_sets_of_shingles)
{
    static doc_words docs[N_DOCS];
    static int sets[N_DOCS][MAX_WORDS][K];
    size_t n_set[N_DOCS];
    make_docs(docs);
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.3;
    o.threads = 2;
    nd_corpus *c;
    nd_result *r = run_docs(&o, docs, N_DOCS, sets, n_set, &c);
    check_pairs(r, sets, n_set, N_DOCS, o.threshold);
    nd_result_free(r);
    nd_corpus_free(c);
}

/* Variants of one text at Jaccard from about 0.6 to 1 with each other, at threshold 0.8:
 * every pair at or above it is reported with its exact values, however close (the
 * profiles rule out only pairs they prove below it). */
Test(verify, pairs_near_the_threshold_are_all_found)
{
    enum { VARIANTS = 16, WORDS = 500 };
    static doc_words docs[VARIANTS];
    static int sets[VARIANTS][MAX_WORDS][K];
    size_t n_set[VARIANTS];
    unsigned state = 11;
    for (size_t i = 0; i < WORDS; i++)
        docs[0].w[i] = (int)(next_random(&state) % 5000);
    docs[0].n = WORDS;
    for (int v = 1; v < VARIANTS; v++) { /* v words changed, each a new one */
        docs[v] = docs[0];
        for (int k = 0; k < v; k++)
            docs[v].w[next_random(&state) % WORDS] = 10000 + 100 * v + k;
    }
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.8;
    o.all_pairs = 1; /* every pair listed: compared one by one with the sets */
    o.bands = 128;   /* a band a row: every two variants are candidates */
    o.rows = 1;
    nd_corpus *c;
    nd_result *r = run_docs(&o, docs, VARIANTS, sets, n_set, &c);
    const size_t near = check_pairs(r, sets, n_set, VARIANTS, o.threshold);
    cr_assert_geq(near, 10, "pairs near the threshold: %zu", near);
    nd_result_free(r);
    nd_corpus_free(c);
}
