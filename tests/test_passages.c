/*
 * test_passages.c: seeds, runs, gap bridging, repeats inside one document and the
 * boilerplate cap, on synthetic word sequences (word i of a document spans bytes
 * [10 i, 10 i + 5), its hash is the word's number in a small vocabulary).
 */
#include "common/extsort.h"
#include "passages/passage_clusters.h"
#include "passages/passages.h"
#include "text/shingle.h"

#include <criterion/criterion.h>
#include <stdlib.h>

#define MAX_WORDS 400

typedef struct doc {
    nd_token toks[MAX_WORDS];
    uint32_t n;
} doc;

static uint64_t fresh = 1000000;

/* Appends words with the given hashes (0: a word seen nowhere else). */
static void add(doc *d, const uint64_t *words, size_t n)
{
    for (size_t i = 0; i < n; i++, d->n++) {
        d->toks[d->n].start = d->n * 10;
        d->toks[d->n].end = d->n * 10 + 5;
        d->toks[d->n].hash = words[i] ? words[i] : fresh++;
    }
}

static void add_filler(doc *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint64_t w = 0;
        add(d, &w, 1);
    }
}

/* Words first .. first + n - 1 of a shared text. */
static void add_shared(doc *d, uint64_t first, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint64_t w = first + i;
        add(d, &w, 1);
    }
}

static const nd_passage_params params = {
    .k = 5, .max_gap = 6, .min_passage = 8, .max_df = 50, .sort = {1, NULL}};

static nd_passage *find(doc *docs, size_t n_docs, const nd_passage_params *p, size_t *n,
                        uint64_t *capped)
{
    nd_token_seq seqs[64];
    for (size_t i = 0; i < n_docs; i++)
        seqs[i] = (nd_token_seq){docs[i].toks, docs[i].n};
    nd_passage *out;
    cr_assert_eq(nd_find_passages(seqs, n_docs, p, &out, n, capped), 0);
    return out;
}

static int load_seq(void *seqs, int slot, uint32_t i, nd_token_seq *out)
{
    (void)slot;
    *out = ((const nd_token_seq *)seqs)[i];
    return 0;
}

static int add_seed(void *seeds, const nd_seed *s)
{
    return nd_extsort_add(seeds, s);
}

/* The passages of docs through the stage's steps, their shingle records added last
 * document first (as the ranks of neardup-mpi hand them over), then a record of
 * ND_SHINGLE_IGNORED for each of ignored[0..n_ignored). */
static nd_passage *find_in_steps(doc *docs, size_t n_docs, const nd_passage_params *p, size_t *n,
                                 uint64_t *capped, const uint64_t *ignored, size_t n_ignored)
{
    static nd_token_seq seqs[64];
    for (size_t i = 0; i < n_docs; i++)
        seqs[i] = (nd_token_seq){docs[i].toks, docs[i].n};
    const nd_token_source src = {n_docs, load_seq, NULL, seqs};
    nd_extsort *records, *seeds;
    cr_assert_eq(nd_passage_records_open(p, &records), 0);
    for (size_t d = n_docs; d-- > 0;)
        for (uint32_t i = 0; i + (uint32_t)p->k <= docs[d].n; i++) {
            uint64_t window[8];
            for (int j = 0; j < p->k; j++)
                window[j] = docs[d].toks[i + (uint32_t)j].hash;
            const nd_shingle_record r = {nd_shingle_hash(window, (size_t)p->k), (uint32_t)d, i};
            cr_assert_eq(nd_extsort_add(records, &r), 0);
        }
    for (size_t i = 0; i < n_ignored; i++)
        cr_assert_eq(
            nd_extsort_add(records, &(nd_shingle_record){ignored[i], ND_SHINGLE_IGNORED, 0}), 0);
    cr_assert_eq(nd_extsort_finish(records), 0);
    const size_t all = n_docs;
    cr_assert_eq(nd_passage_seeds_open(p, &all, &seeds), 0);
    *capped = 0;
    cr_assert_eq(nd_passage_seeds(p, records, add_seed, seeds, capped), 0);
    cr_assert_eq(nd_extsort_finish(seeds), 0);
    nd_passage *out;
    cr_assert_eq(nd_passages_of_seeds(&src, p, seeds, &out, n), 0);
    nd_extsort_free(records);
    nd_extsort_free(seeds);
    return out;
}

/* 30 documents reprint one text (more places than ND_PASSAGE_ALL_PLACES: each is
 * aligned with the first print), 12 of them a footer, and two share another text. */
static void reprints_and_a_footer(doc *d)
{
    for (int i = 0; i < 30; i++) {
        add_filler(&d[i], 10 + i);
        add_shared(&d[i], 700, 30);
        add_filler(&d[i], 12);
        if (i < 12)
            add_shared(&d[i], 900, 12);
    }
    add_shared(&d[3], 300, 25);
    add_shared(&d[17], 300, 25);
}

/* Records of a shingle that come in any order, as when several ranks found them, give the
 * passages and the count of shingles ignored that records in input order give: with
 * --max-df 40 (the reprint aligned with its first print), and 10 (the reprint and the
 * footer ignored). */
Test(passages, records_in_any_order)
{
    static doc d[30];
    reprints_and_a_footer(d);
    for (int max_df = 10; max_df <= 40; max_df += 30) {
        const nd_passage_params p = {
            .k = 5, .max_gap = 6, .min_passage = 8, .max_df = max_df, .sort = {1, NULL}};
        size_t n, n_steps;
        uint64_t capped, capped_steps;
        nd_passage *want = find(d, 30, &p, &n, &capped);
        nd_passage *got = find_in_steps(d, 30, &p, &n_steps, &capped_steps, NULL, 0);
        /* 29 reprints, 66 pairs of footers and the shared text; or the text alone */
        cr_assert_eq(n, max_df == 40 ? 96 : 1);
        cr_assert_eq(capped > 0, max_df == 10);
        cr_assert_eq(n_steps, n);
        cr_assert_eq(capped_steps, capped);
        cr_assert_eq(memcmp(got, want, n * sizeof(*got)), 0);
        free(want);
        free(got);
    }
}

/* A shingle a rank found too common to send (a record of ND_SHINGLE_IGNORED) is ignored
 * however few of its records came, and counted once. */
Test(passages, a_shingle_told_ignored)
{
    static doc d[2];
    add_filler(&d[0], 10), add_shared(&d[0], 300, 25), add_filler(&d[0], 10);
    add_filler(&d[1], 10), add_shared(&d[1], 300, 25), add_filler(&d[1], 10);
    size_t n;
    uint64_t capped;
    nd_passage *p = find_in_steps(d, 2, &params, &n, &capped, NULL, 0);
    cr_assert_eq(n, 1);
    free(p);
    uint64_t ignored[21];
    for (int i = 0; i < 21; i++) {
        const uint64_t window[5] = {300 + i, 301 + i, 302 + i, 303 + i, 304 + i};
        ignored[i] = nd_shingle_hash(window, 5);
    }
    p = find_in_steps(d, 2, &params, &n, &capped, ignored, 21);
    cr_assert_eq(n, 0, "each shingle of the shared run was told ignored");
    cr_assert_eq(capped, 21);
    free(p);
}

/* A shared run of 20 words is found with exact word boundaries on both sides. */
Test(passages, shared_run_exact_boundaries)
{
    static doc d[2];
    add_filler(&d[0], 30), add_shared(&d[0], 1, 20), add_filler(&d[0], 30);
    add_filler(&d[1], 7), add_shared(&d[1], 1, 20), add_filler(&d[1], 50);
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 2, &params, &n, &capped);
    cr_assert_eq(n, 1);
    cr_assert_eq(p[0].a_start, 300);
    cr_assert_eq(p[0].a_end, 495, "ends after the last byte of word 49");
    cr_assert_eq(p[0].b_start, 70);
    cr_assert_eq(p[0].b_end, 265);
    cr_assert_eq(p[0].words_a, 20);
    cr_assert_eq(p[0].score, 1.0);
    free(p);
}

/* Two words deleted inside a shared run (as "يوم أمس" in 000 vs 001): one passage. */
Test(passages, small_deletion_bridged)
{
    static doc d[2];
    add_shared(&d[0], 1, 40), add_filler(&d[0], 2), add_shared(&d[0], 41, 40);
    add_shared(&d[1], 1, 40), add_shared(&d[1], 41, 40);
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 2, &params, &n, &capped);
    cr_assert_eq(n, 1, "one reused region is one passage");
    cr_assert_eq(p[0].words_a, 82);
    cr_assert_eq(p[0].words_b, 80);
    cr_assert(p[0].score > 0.95 && p[0].score < 1.0);
    free(p);
}

/* Reordered sentences of one passage become one passage covering both. */
Test(passages, reordered_sentences_merged)
{
    static doc d[2];
    add_shared(&d[0], 1, 30), add_shared(&d[0], 31, 30);
    add_shared(&d[1], 31, 30), add_shared(&d[1], 1, 30);
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 2, &params, &n, &capped);
    cr_assert_eq(n, 1);
    cr_assert_eq(p[0].words_a, 60);
    cr_assert_eq(p[0].words_b, 60);
    free(p);
}

/* A gap larger than --max-gap splits the passage. */
Test(passages, large_gap_splits)
{
    static doc d[2];
    add_shared(&d[0], 1, 20), add_filler(&d[0], 15), add_shared(&d[0], 21, 20);
    add_shared(&d[1], 1, 20), add_filler(&d[1], 15), add_shared(&d[1], 21, 20);
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 2, &params, &n, &capped);
    cr_assert_eq(n, 2);
    free(p);
}

/* A title repeated back to back: each copy against the first, spans never overlap. */
Test(passages, repeated_title_inside_one_document)
{
    static doc d[1];
    add_shared(&d[0], 1, 12), add_shared(&d[0], 1, 12), add_shared(&d[0], 1, 12);
    add_shared(&d[0], 1, 12), add_filler(&d[0], 40);
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 1, &params, &n, &capped);
    cr_assert_eq(n, 3, "copies 2, 3 and 4 against the first");
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(p[i].doc_a, 0);
        cr_assert_eq(p[i].doc_b, 0);
        cr_assert_eq(p[i].a_start, 0);
        cr_assert_eq(p[i].a_end, 115);
        cr_assert_eq(p[i].b_start, 120 * (i + 1));
        cr_assert_leq(p[i].a_end, p[i].b_start, "spans of one document do not overlap");
    }
    free(p);
}

/* A shingle in more than max-df documents seeds nothing, and is counted. */
Test(passages, boilerplate_capped)
{
    static doc d[12];
    for (int i = 0; i < 12; i++)
        add_filler(&d[i], 20), add_shared(&d[i], 500, 15), add_filler(&d[i], 20);
    const nd_passage_params small_df = {
        .k = 5, .max_gap = 6, .min_passage = 8, .max_df = 10, .sort = {1, NULL}};
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 12, &small_df, &n, &capped);
    cr_assert_eq(n, 0, "a footer in 12 documents is not a passage with --max-df 10");
    cr_assert_eq(capped, 11, "its 11 shingles are counted");
    free(p);
    p = find(d, 12, &params, &n, &capped);
    cr_assert_eq(n, 66, "with --max-df 50 every pair of the 12 shares it");
    cr_assert_eq(capped, 0);
    free(p);
}

/* Shared runs shorter than --min-passage are not reported. */
Test(passages, short_matches_dropped)
{
    static doc d[2];
    add_filler(&d[0], 10), add_shared(&d[0], 1, 7), add_filler(&d[0], 10);
    add_filler(&d[1], 10), add_shared(&d[1], 1, 7), add_filler(&d[1], 10);
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 2, &params, &n, &capped);
    cr_assert_eq(n, 0);
    free(p);
}

/* A passage at the very start and end of both documents keeps the first and last byte. */
Test(passages, first_and_last_word)
{
    static doc d[2];
    add_shared(&d[0], 1, 10);
    add_shared(&d[1], 1, 10);
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 2, &params, &n, &capped);
    cr_assert_eq(n, 1);
    cr_assert_eq(p[0].a_start, 0);
    cr_assert_eq(p[0].a_end, 95);
    free(p);
}

/* A paragraph reprinted in 40 documents (more places than ND_PASSAGE_ALL_PAIRS): each
 * reprint against the first print, 39 passages, not 780; with all_pairs, all 780. */
Test(passages, a_reprint_is_aligned_with_the_first_print)
{
    static doc d[40];
    for (int i = 0; i < 40; i++)
        add_filler(&d[i], 10 + i), add_shared(&d[i], 700, 30), add_filler(&d[i], 10);
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 40, &params, &n, &capped);
    cr_assert_eq(n, 39);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(p[i].doc_a, 0);
        cr_assert_eq(p[i].doc_b, i + 1);
        cr_assert_eq(p[i].words_a, 30);
        cr_assert_eq(p[i].b_start, (10 + (i + 1)) * 10, "the whole paragraph, exactly");
    }
    free(p);
    nd_passage_params every = params;
    every.all_pairs = true;
    p = find(d, 40, &every, &n, &capped);
    cr_assert_eq(n, 40 * 39 / 2);
    free(p);
}

/* A stanza repeated 30 times through one document, with other words between the copies
 * (a copyright file's "License: ..." lines): each later copy against the first. */
Test(passages, a_stanza_repeated_through_a_document)
{
    static doc d[1];
    for (int i = 0; i < 30; i++)
        add_shared(&d[0], 900, 9), add_filler(&d[0], 3);
    size_t n;
    uint64_t capped;
    nd_passage *p = find(d, 1, &params, &n, &capped);
    cr_assert_eq(n, 29);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(p[i].a_start, 0);
        cr_assert_eq(p[i].a_end, 85);
        cr_assert_eq(p[i].b_start, 120 * (i + 1));
        cr_assert_eq(p[i].words_b, 9);
    }
    free(p);
}

static nd_passage passage(uint32_t da, uint64_t a0, uint64_t a1, uint32_t db, uint64_t b0,
                          uint64_t b1)
{
    return (nd_passage){da, db, a0, a1, b0, b1, 0, 0, 1.0};
}

/* A text in A and B, and much of it in C through B: one cluster of three places, B's two
 * sides one place (their union); a passage elsewhere in B is a cluster of its own. */
Test(passage_clusters, overlapping_sides_are_one_place)
{
    const nd_passage p[] = {
        passage(0, 100, 300, 1, 1000, 1200), /* A-B */
        passage(1, 1050, 1220, 2, 0, 170),   /* B-C: overlaps A-B's side in B by 150 */
        passage(1, 5000, 5100, 3, 10, 110),  /* B-D, elsewhere in B */
    };
    nd_passage_clustering pc;
    cr_assert_eq(nd_passage_clusters(p, 3, false, &pc), 0);
    cr_assert_eq(pc.n_clusters, 2);
    cr_assert_eq(pc.n_places, 5);
    const nd_passage_place want[] = {
        {0, 0, 100, 300, 0},   {0, 1, 1000, 1220, 0}, {0, 2, 0, 170, 0},
        {1, 1, 5000, 5100, 0}, {1, 3, 10, 110, 0},
    };
    for (size_t i = 0; i < 5; i++) {
        cr_expect_eq(pc.places[i].cluster, want[i].cluster, "place %zu", i);
        cr_expect_eq(pc.places[i].doc, want[i].doc, "place %zu", i);
        cr_expect_eq(pc.places[i].start, want[i].start, "place %zu", i);
        cr_expect_eq(pc.places[i].end, want[i].end, "place %zu", i);
    }
    cr_expect_eq(pc.n_pairs_unlisted, 0, "small clusters list every pair");
    free(pc.places);
}

/* Sides of one document that touch but overlap by less than half of the shorter stay
 * two places, and two texts. */
Test(passage_clusters, a_small_overlap_keeps_two_places)
{
    const nd_passage p[] = {passage(0, 0, 100, 1, 0, 100), passage(1, 80, 300, 2, 0, 220)};
    nd_passage_clustering pc;
    cr_assert_eq(nd_passage_clusters(p, 2, false, &pc), 0);
    cr_assert_eq(pc.n_clusters, 2);
    cr_assert_eq(pc.n_places, 4);
    free(pc.places);
}

/* A text reprinted in 20 documents, each reprint aligned with the first print: one cluster
 * of 20 places, and the 190 - 19 pairs of documents without a passage of their own are
 * counted. */
Test(passage_clusters, reprints_and_the_pairs_not_listed)
{
    nd_passage p[19];
    for (uint32_t i = 0; i < 19; i++)
        p[i] = passage(0, 10, 500, i + 1, 40, 530);
    nd_passage_clustering pc;
    cr_assert_eq(nd_passage_clusters(p, 19, false, &pc), 0);
    cr_assert_eq(pc.n_clusters, 1);
    cr_assert_eq(pc.n_places, 20, "the first print is one place, not 19");
    cr_assert_eq(pc.n_pairs_unlisted, 20 * 19 / 2 - 19);
    free(pc.places);
}

Test(passage_clusters, no_passage)
{
    nd_passage_clustering pc;
    cr_assert_eq(nd_passage_clusters(NULL, 0, false, &pc), 0);
    cr_assert_eq(pc.n_clusters, 0);
    cr_assert_eq(pc.n_places, 0);
    free(pc.places);
}

/* A pair of documents joined by a passage of another cluster is not "unlisted": text X
 * in documents 0-17 (each aligned with 0), text Y at the start of the same places and in
 * document 18 (each aligned with 18). Unlisted: X's 153 pairs less 17, Y's 171 pairs
 * less its 18 and the 17 that X joins. */
Test(passage_clusters, pairs_joined_elsewhere_are_listed)
{
    nd_passage p[35];
    size_t n = 0;
    for (uint32_t k = 1; k <= 17; k++)
        p[n++] = passage(0, 0, 600, k, 0, 600);
    for (uint32_t k = 0; k <= 17; k++)
        p[n++] = passage(k, 0, 290, 18, 0, 290);
    nd_passage_clustering pc;
    cr_assert_eq(nd_passage_clusters(p, n, false, &pc), 0);
    cr_assert_eq(pc.n_clusters, 2);
    cr_assert_eq(pc.n_pairs_unlisted, (153 - 17) + (171 - 18 - 17));
    free(pc.places);
    cr_assert_eq(nd_passage_clusters(p, n, true, &pc), 0);
    cr_assert_eq(pc.n_pairs_unlisted, 0, "with all_pairs every two places are aligned");
    free(pc.places);
}
