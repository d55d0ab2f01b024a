/*
 * test_output.c: CSV and JSONL writers through the public API, read back.
 */
#define _GNU_SOURCE
#include "helpers.h"
#include "neardup.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char text[] = "قال الرئيس إن الاجتماع كان مثمرا وبناء في كل المسائل المطروحة";
static const char *const ids[] = {"خبر, \"عاجل\"\nسطر", "تقرير\r\n\"ثان\", نعم"};

/* A corpus of two identical documents whose ids hold commas, quotes and newlines. */
static void run(nd_corpus **c, nd_result **r)
{
    nd_options o = ND_OPTIONS_INIT;
    o.passages = 1;
    o.threads = 1;
    cr_assert_eq(nd_corpus_new(c, &o), 0);
    cr_assert_eq(nd_corpus_add_memory(*c, ids[0], text, sizeof(text) - 1), 0);
    cr_assert_eq(nd_corpus_add_memory(*c, ids[1], text, sizeof(text) - 1), 0);
    cr_assert_eq(nd_corpus_run(*c, r), 0);
}

static char *write_with(int (*writer)(const nd_result *, FILE *, nd_format), const nd_result *r,
                        nd_format f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cr_assert_eq(writer(r, out, f), 0);
    fclose(out);
    return buf;
}

/* Every field round-trips through an RFC 4180 parser; strings quoted; CRLF; no BOM. */
Test(output, csv_round_trip_with_arabic_ids)
{
    nd_corpus *c;
    nd_result *r;
    run(&c, &r);
    char *pairs = write_with(nd_write_pairs, r, ND_FORMAT_CSV);
    cr_assert(!strncmp(pairs, "doc_a,doc_b,jaccard,jaccard_est,shared_shingles,cluster\r\n", 57),
              "header first, no BOM");
    cr_assert(strstr(pairs, "\"خبر, \"\"عاجل\"\"\nسطر\""), "quotes doubled inside quotes");
    csv_table t;
    cr_assert_eq(csv_parse(pairs, &t), 0);
    cr_assert_eq(t.n_rows, 2);
    cr_assert_str_eq(csv_get(&t, 1, "doc_a"), ids[0]);
    cr_assert_str_eq(csv_get(&t, 1, "doc_b"), ids[1]);
    cr_assert_str_eq(csv_get(&t, 1, "jaccard"), "1.0000");
    csv_dispose(&t);
    char *clusters = write_with(nd_write_clusters, r, ND_FORMAT_CSV);
    cr_assert_eq(csv_parse(clusters, &t), 0);
    cr_assert_eq(t.n_rows, 3);
    cr_assert_str_eq(csv_get(&t, 1, "representative"), "1");
    cr_assert_str_eq(csv_get(&t, 2, "representative"), "0");
    cr_assert_str_eq(csv_get(&t, 2, "doc"), ids[1]);
    csv_dispose(&t);
    free(pairs);
    free(clusters);
    nd_result_free(r);
    nd_corpus_free(c);
}

static int write_passages_with_text(const nd_result *r, FILE *out, nd_format f)
{
    return nd_write_passages(r, out, f, 1);
}

/* Passages: offsets and text of the original bytes, character offsets in code points. */
Test(output, passages_csv)
{
    nd_corpus *c;
    nd_result *r;
    run(&c, &r);
    char *csv = write_with(write_passages_with_text, r, ND_FORMAT_CSV);
    csv_table t;
    cr_assert_eq(csv_parse(csv, &t), 0);
    cr_assert_eq(t.n_rows, 2, "%s", csv);
    cr_assert_str_eq(csv_get(&t, 1, "a_start"), "0");
    char end[32];
    snprintf(end, sizeof(end), "%zu", sizeof(text) - 1);
    cr_assert_str_eq(csv_get(&t, 1, "a_end"), end);
    cr_assert_str_eq(csv_get(&t, 1, "a_char_end"), "61", "61 code points");
    cr_assert_str_eq(csv_get(&t, 1, "text_a"), text);
    csv_dispose(&t);
    free(csv);
    nd_result_free(r);
    nd_corpus_free(c);
}

/* JSONL has the CSV keys and escapes quotes, backslashes and control characters. */
Test(output, jsonl_keys_and_escapes)
{
    nd_corpus *c;
    nd_result *r;
    run(&c, &r);
    char *jsonl = write_with(nd_write_pairs, r, ND_FORMAT_JSONL);
    cr_assert(strstr(jsonl, "{\"doc_a\":\"خبر, \\\"عاجل\\\"\\u000aسطر\",\"doc_b\":\"تقرير\\u000d"
                            "\\u000a\\\"ثان\\\", نعم\",\"jaccard\":1.0000,"),
              "%s", jsonl);
    cr_assert(strstr(jsonl, "\"shared_shingles\":7,\"cluster\":1}\n"), "%s", jsonl);
    free(jsonl);
    nd_result_free(r);
    nd_corpus_free(c);
}

/* An empty result still has its header (CSV) and no rows (JSONL). */
Test(output, empty_results_keep_the_header)
{
    nd_corpus *c;
    nd_result *r;
    cr_assert_eq(nd_corpus_new(&c, NULL), 0);
    cr_assert_eq(nd_corpus_run(c, &r), 0);
    char *csv = write_with(nd_write_remove, r, ND_FORMAT_CSV);
    cr_assert_str_eq(csv, "doc,duplicate_of,jaccard\r\n");
    char *jsonl = write_with(nd_write_remove, r, ND_FORMAT_JSONL);
    cr_assert_str_eq(jsonl, "");
    free(csv);
    free(jsonl);
    nd_result_free(r);
    nd_corpus_free(c);
}

/* ND_FORMAT_CSV_SAFE: a string cell that begins with = + - @, a tab or a carriage return
 * starts with a single quote (the cell itself, quotes and all, otherwise as in CSV); any
 * other cell, and a result without such cells, are written as ND_FORMAT_CSV writes them. */
Test(output, csv_safe_quotes_cells_a_spreadsheet_would_run)
{
    static const char *const hostile[] = {"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=1"};
    static const char *const want[] = {"'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "a=1"};
    nd_options o = ND_OPTIONS_INIT;
    o.passages = 1;
    o.threads = 1;
    nd_corpus *c;
    nd_result *r;
    cr_assert_eq(nd_corpus_new(&c, &o), 0);
    for (size_t i = 0; i < 7; i++)
        cr_assert_eq(nd_corpus_add_memory(c, hostile[i], text, sizeof(text) - 1), 0);
    cr_assert_eq(nd_corpus_run(c, &r), 0);
    char *safe = write_with(nd_write_clusters, r, ND_FORMAT_CSV_SAFE);
    char *plain = write_with(nd_write_clusters, r, ND_FORMAT_CSV);
    csv_table t, p;
    cr_assert_eq(csv_parse(safe, &t), 0);
    cr_assert_eq(csv_parse(plain, &p), 0);
    cr_assert_eq(t.n_rows, 8, "%s", safe);
    for (size_t i = 0; i < 7; i++) {
        cr_assert_str_eq(csv_get(&t, i + 1, "doc"), want[i]);
        cr_assert_str_eq(csv_get(&p, i + 1, "doc"), hostile[i]);
        cr_assert_str_eq(csv_get(&t, i + 1, "size"), "7", "numbers stay bare");
    }
    csv_dispose(&t);
    csv_dispose(&p);
    char *passages = write_with(write_passages_with_text, r, ND_FORMAT_CSV_SAFE);
    cr_assert(strstr(passages, "\r\n\"'=1+1\",0,"), "%s", passages);
    free(passages);
    free(safe);
    free(plain);
    nd_result_free(r);
    nd_corpus_free(c);
    run(&c, &r); /* ids without a formula: the same bytes either way */
    safe = write_with(write_passages_with_text, r, ND_FORMAT_CSV_SAFE);
    plain = write_with(write_passages_with_text, r, ND_FORMAT_CSV);
    cr_assert_str_eq(safe, plain);
    free(safe);
    free(plain);
    nd_result_free(r);
    nd_corpus_free(c);
}

static char *diag_seen;

static void keep_diag(const nd_diag *d, void *payload)
{
    (void)payload;
    free(diag_seen);
    diag_seen = strdup(d->message);
}

/* Two files a.txt and b.txt in a new folder, each the first demo article, and their run
 * with passages within memory bytes (0: the default). */
typedef struct two_files {
    char *dir, *seed, b[4096];
    size_t len;
    nd_corpus *c;
    nd_result *r;
} two_files;

static void run_two_files(two_files *t, uint64_t memory)
{
    char a[4096];
    t->dir = make_temp_dir();
    t->seed = read_seed(0, &t->len);
    snprintf(a, sizeof(a), "%s/a.txt", t->dir);
    snprintf(t->b, sizeof(t->b), "%s/b.txt", t->dir);
    write_file(a, t->seed, t->len);
    write_file(t->b, t->seed, t->len);
    nd_options o = ND_OPTIONS_INIT;
    o.passages = 1;
    if (memory)
        o.memory = memory;
    cr_assert_eq(nd_corpus_new(&t->c, &o), 0);
    nd_corpus_set_diag(t->c, keep_diag, NULL);
    cr_assert_eq(nd_corpus_add_path(t->c, a), 0);
    cr_assert_eq(nd_corpus_add_path(t->c, t->b), 0);
    cr_assert_eq(nd_corpus_run(t->c, &t->r), 0);
}

/* Changes one byte of b.txt, keeping its length. */
static void change_b(two_files *t)
{
    t->seed[t->len / 2] = t->seed[t->len / 2] == 'x' ? 'y' : 'x';
    write_file(t->b, t->seed, t->len);
}

static void close_two_files(two_files *t)
{
    nd_result_free(t->r);
    nd_corpus_free(t->c);
    free(t->seed);
    remove_tree(t->dir);
    free(t->dir);
    free(diag_seen);
    diag_seen = NULL;
}

/* The passages of t as CSV, in *csv; returns what the writer returned. */
static int passages_csv(const two_files *t, char **csv, size_t *len)
{
    FILE *out = open_memstream(csv, len);
    const int rc = nd_write_passages(t->r, out, ND_FORMAT_CSV, 1);
    fclose(out);
    return rc;
}

/* A file that changes between the scan and the writing (the same length: only its bytes
 * tell) fails the writers that read it again, saying so, never printing wrong text. With
 * --memory 64K the run holds the first text only (half of a quarter: 8 KiB), so the
 * writer reads b again. */
Test(output, an_input_changed_while_neardup_ran_is_an_error)
{
    two_files t;
    run_two_files(&t, 64 << 10);
    change_b(&t);
    char *csv = NULL;
    size_t len = 0;
    cr_assert_eq(passages_csv(&t, &csv, &len), ND_EIO);
    cr_assert_not_null(diag_seen);
    cr_assert(strstr(diag_seen, "changed since it was scanned"), "said: %s", diag_seen);
    free(csv);
    close_two_files(&t);
}

/* The texts the run read for the passages are the ones quoted: a file changed after the
 * run gives the same passages, and no error. */
Test(output, passages_quote_the_text_the_run_read)
{
    two_files t;
    run_two_files(&t, 0);
    char *before = NULL, *after = NULL;
    size_t before_len = 0, after_len = 0;
    cr_assert_eq(passages_csv(&t, &before, &before_len), 0);
    change_b(&t);
    cr_assert_eq(passages_csv(&t, &after, &after_len), 0);
    cr_assert_gt(before_len, 200);
    cr_assert_eq(after_len, before_len);
    cr_assert_eq(memcmp(before, after, before_len), 0);
    free(before);
    free(after);
    close_two_files(&t);
}
