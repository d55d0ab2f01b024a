/*
 * test_pipeline.c: the whole pipeline through the library, and two runs in one process.
 *
 * A run keeps everything it shares between its stages in its own context (threads,
 * the scratch file, the pool of scratch mappings, the memory plan), so two corpora run
 * at the same time on two threads give exactly what each gives alone.
 */
#define _GNU_SOURCE /* open_memstream */
#include "helpers.h"
#include "neardup.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Documents made of the demo articles' paragraphs, rotated, with a word of their own:
 * near-duplicates, shared passages and enough records for small sorts to spill. */
static void add_rotated_articles(nd_corpus *c, int n_docs)
{
    for (int i = 0; i < n_docs; i++) {
        size_t len;
        char *seed = read_seed(i % 5, &len);
        cr_assert_not_null(seed);
        const char *cut = seed;
        for (int r = 0; r < i / 5 % 4 && strchr(cut, '\n'); r++)
            cut = strchr(cut, '\n') + 1;
        char *text;
        const int n = asprintf(&text, "%sdoc%d\n%.*s", cut, i, (int)(cut - seed), seed);
        cr_assert_gt(n, 0);
        char id[32];
        snprintf(id, sizeof(id), "doc-%03d", i);
        cr_assert_eq(nd_corpus_add_memory(c, id, text, (size_t)n), 0);
        free(text);
        free(seed);
    }
}

typedef struct run {
    nd_options opts;
    int n_docs;
    char *out; /* pairs, clusters, remove and passages, one after the other */
    uint64_t spilled_runs;
    int rc;
} run;

typedef int (*writer_fn)(const nd_result *, FILE *, nd_format);

static int write_passages_with_text(const nd_result *r, FILE *out, nd_format format)
{
    return nd_write_passages(r, out, format, 1);
}

static void *run_corpus(void *arg)
{
    run *w = arg;
    nd_corpus *c = NULL;
    nd_result *r = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&w->out, &size);
    w->rc = out ? nd_corpus_new(&c, &w->opts) : -1;
    if (w->rc == 0) {
        add_rotated_articles(c, w->n_docs);
        w->rc = nd_corpus_run(c, &r);
    }
    const writer_fn writers[] = {nd_write_pairs, nd_write_clusters, nd_write_remove,
                                 write_passages_with_text};
    for (size_t i = 0; w->rc == 0 && i < sizeof(writers) / sizeof(*writers); i++)
        w->rc = writers[i](r, out, ND_FORMAT_CSV);
    if (r)
        w->spilled_runs = nd_result_stats(r)->n_spilled_runs;
    if (out)
        fclose(out);
    nd_result_free(r);
    nd_corpus_free(c);
    return NULL;
}

static void make_runs(run *a, run *b)
{
    *a = (run){.opts = ND_OPTIONS_INIT, .n_docs = 120};
    a->opts.threshold = 0.3;
    a->opts.passages = 1;
    a->opts.threads = 2;
    a->opts.memory = 64 << 10; /* the sorts spill: the scratch file and pool are used */
    *b = (run){.opts = ND_OPTIONS_INIT, .n_docs = 60};
    b->opts.threshold = 0.5;
    b->opts.passages = 1;
    b->opts.threads = 2;
    b->opts.memory = 64 << 10;
    b->opts.min_passage = 12;
}

Test(pipeline, two_corpora_at_once_give_what_each_gives_alone)
{
    run alone_a, alone_b, both_a, both_b;
    make_runs(&alone_a, &alone_b);
    make_runs(&both_a, &both_b);
    run_corpus(&alone_a);
    run_corpus(&alone_b);
    pthread_t other;
    cr_assert_eq(pthread_create(&other, NULL, run_corpus, &both_a), 0);
    run_corpus(&both_b);
    pthread_join(other, NULL);
    const run *runs[] = {&alone_a, &alone_b, &both_a, &both_b};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(runs[i]->rc, 0, "run %zu: %s", i, nd_strerror(runs[i]->rc));
        cr_assert_gt(runs[i]->spilled_runs, 0, "run %zu spills: its sorts use the scratch file", i);
    }
    cr_assert(strstr(alone_a.out, "doc-000") && strstr(alone_a.out, "text_a"),
              "the first corpus has pairs and passages");
    cr_assert_str_neq(alone_a.out, alone_b.out);
    cr_assert_str_eq(both_a.out, alone_a.out);
    cr_assert_str_eq(both_b.out, alone_b.out);
    free(alone_a.out);
    free(alone_b.out);
    free(both_a.out);
    free(both_b.out);
}

/* The memory plan divides --memory among named consumers, every share within it. */
Test(pipeline, the_memory_plan_names_each_share)
{
    nd_options o = ND_OPTIONS_INIT;
    o.memory = 64 << 20;
    o.threads = 2;
    nd_corpus *c = NULL;
    nd_result *r = NULL;
    cr_assert_eq(nd_corpus_new(&c, &o), 0);
    add_rotated_articles(c, 10);
    cr_assert_eq(nd_corpus_run(c, &r), 0);
    const size_t n = nd_result_n_memory_shares(r);
    cr_assert_gt(n, 1);
    uint64_t bytes = 0;
    cr_assert_str_eq(nd_result_memory_share(r, n - 1, &bytes), "total");
    cr_assert_eq(bytes, o.memory);
    for (size_t i = 0; i + 1 < n; i++) {
        const char *name = nd_result_memory_share(r, i, &bytes);
        cr_assert_not_null(name);
        cr_assert(bytes > 0 && bytes <= o.memory, "%s: %llu bytes", name,
                  (unsigned long long)bytes);
    }
    cr_assert_null(nd_result_memory_share(r, n, &bytes));
    nd_result_free(r);
    nd_corpus_free(c);
}

/* A result holds what its writers need: running its corpus again changes nothing in it. */
Test(pipeline, a_result_outlives_another_run_of_its_corpus)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.3;
    o.threads = 2;
    nd_corpus *c = NULL;
    nd_result *first = NULL, *second = NULL;
    cr_assert_eq(nd_corpus_new(&c, &o), 0);
    add_rotated_articles(c, 40);
    cr_assert_eq(nd_corpus_run(c, &first), 0);
    char *before = NULL, *after = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&before, &len);
    cr_assert_eq(nd_write_remove(first, out, ND_FORMAT_CSV), 0);
    fclose(out);
    cr_assert_eq(nd_corpus_run(c, &second), 0);
    out = open_memstream(&after, &len);
    cr_assert_eq(nd_write_remove(first, out, ND_FORMAT_CSV), 0);
    fclose(out);
    cr_assert(strstr(before, "doc-005"), "the remove list names documents");
    cr_assert_str_eq(after, before);
    free(before);
    free(after);
    nd_result_free(first);
    nd_result_free(second);
    nd_corpus_free(c);
}

/* 60 documents: the first demo article, then a paragraph of 40 words that two of them
 * share and a word of their own; passages and capped shingles at a threshold, with
 * --max-df 5, within memory bytes (0: the default) on threads threads. */
static nd_result *passages_at(double threshold, uint64_t memory, int threads, nd_corpus **c)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = threshold;
    o.passages = 1;
    o.max_df = 5;
    o.threads = threads;
    if (memory)
        o.memory = memory;
    cr_assert_eq(nd_corpus_new(c, &o), 0);
    size_t len;
    char *seed = read_seed(0, &len);
    for (int i = 0; i < 60; i++) {
        char text[16384], id[16];
        int at = snprintf(text, sizeof(text), "%.*s\n", (int)len, seed);
        for (int w = 0; w < 40; w++)
            at += snprintf(text + at, sizeof(text) - (size_t)at, "pair%dword%d ", i / 2, w);
        at += snprintf(text + at, sizeof(text) - (size_t)at, "own%d", i);
        snprintf(id, sizeof(id), "d%02d", i);
        cr_assert_eq(nd_corpus_add_memory(*c, id, text, (size_t)at), 0);
    }
    free(seed);
    nd_result *r = NULL;
    cr_assert_eq(nd_corpus_run(*c, &r), 0);
    return r;
}

static void expect_same_passages(const nd_result *x, const nd_result *y)
{
    cr_assert_eq(nd_result_n_passages(x), nd_result_n_passages(y));
    for (size_t i = 0; i < nd_result_n_passages(x); i++)
        cr_assert_eq(memcmp(nd_result_passage(x, i), nd_result_passage(y, i), sizeof(nd_passage)),
                     0, "passage %zu", i);
}

/* With a cluster larger than --max-df, the feed leaves out before sorting the records of
 * shingles it proves too common; without one, it sorts them all and the passage stage
 * drops them: the passages and the count of capped shingles are the same either way. */
Test(pipeline, common_shingles_left_out_early_change_no_passage)
{
    nd_corpus *c_early, *c_late;
    nd_result *early = passages_at(0.5, 0, 1, &c_early); /* one cluster of 60: over 5 */
    nd_result *late = passages_at(0.999, 0, 1, &c_late); /* no cluster */
    cr_assert_gt(nd_result_stats(early)->n_clusters, 0);
    cr_assert_eq(nd_result_stats(late)->n_clusters, 0);
    cr_assert_gt(nd_result_stats(early)->n_capped_shingles, 100);
    cr_assert_eq(nd_result_stats(early)->n_capped_shingles,
                 nd_result_stats(late)->n_capped_shingles);
    cr_assert_eq(nd_result_n_passages(early), 30); /* the pairs' paragraphs */
    expect_same_passages(early, late);
    nd_result_free(early);
    nd_result_free(late);
    nd_corpus_free(c_early);
    nd_corpus_free(c_late);
}

/* The counters and tables of common shingles squeezed into --memory 64K (their floor),
 * on three threads: the same passages and capped count as with room on one. */
Test(pipeline, common_shingles_in_little_memory_on_threads)
{
    nd_corpus *c_room, *c_tight;
    nd_result *room = passages_at(0.5, 0, 1, &c_room);
    nd_result *tight = passages_at(0.5, 64 << 10, 3, &c_tight);
    cr_assert_eq(nd_result_stats(tight)->n_capped_shingles,
                 nd_result_stats(room)->n_capped_shingles);
    expect_same_passages(room, tight);
    nd_result_free(room);
    nd_result_free(tight);
    nd_corpus_free(c_room);
    nd_corpus_free(c_tight);
}

/* The passages and passage clusters written, as CSV with their texts, into *out. */
static void write_passage_outputs(const nd_result *r, char **out, size_t *len)
{
    FILE *f = open_memstream(out, len);
    cr_assert_eq(nd_write_passages(r, f, ND_FORMAT_CSV, 1), 0);
    cr_assert_eq(nd_write_passage_clusters(r, f, ND_FORMAT_CSV, 1), 0);
    fclose(f);
}

/* 300 files, copies of one article but for their last word, run within memory bytes on
 * threads threads; their passage outputs into *out. */
static void copies_outputs(const char *dir, uint64_t memory, int threads, char **out, size_t *len)
{
    nd_options o = ND_OPTIONS_INIT;
    o.passages = 1;
    o.max_df = 1000; /* the article's shingles are in 300 documents: not boilerplate here */
    o.threads = threads;
    if (memory)
        o.memory = memory;
    nd_corpus *c;
    nd_result *r;
    cr_assert_eq(nd_corpus_new(&c, &o), 0);
    cr_assert_eq(nd_corpus_add_path(c, dir), 0);
    cr_assert_eq(nd_corpus_run(c, &r), 0);
    write_passage_outputs(r, out, len);
    nd_result_free(r);
    nd_corpus_free(c);
}

/* Copies of one article: the texts the passages quote come from the run (the default
 * memory holds them all) or from each writer's own reading (64K holds almost none);
 * either way, on one thread or two, the outputs are byte for byte the same. */
Test(pipeline, passage_outputs_the_same_whoever_reads_the_texts)
{
    char *dir = make_temp_dir();
    size_t len;
    char *seed = read_seed(0, &len);
    for (int i = 0; i < 300; i++) {
        char path[4096], *text;
        snprintf(path, sizeof(path), "%s/copy%03d.txt", dir, i);
        const int n = asprintf(&text, "%.*s word%d", (int)len, seed, i);
        cr_assert_gt(n, 0);
        write_file(path, text, (size_t)n);
        free(text);
    }
    char *room = NULL, *tight = NULL, *two = NULL;
    size_t room_len = 0, tight_len = 0, two_len = 0;
    copies_outputs(dir, 0, 1, &room, &room_len);
    copies_outputs(dir, 64 << 10, 1, &tight, &tight_len);
    copies_outputs(dir, 64 << 10, 2, &two, &two_len);
    cr_assert_gt(room_len, 300 * 1000, "a passage of each copy, with its text");
    cr_assert_eq(tight_len, room_len);
    cr_assert_eq(memcmp(tight, room, room_len), 0);
    cr_assert_eq(two_len, room_len);
    cr_assert_eq(memcmp(two, room, room_len), 0);
    free(room);
    free(tight);
    free(two);
    free(seed);
    remove_tree(dir);
    free(dir);
}
