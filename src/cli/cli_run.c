/*
 * cli_run.c: inputs -> corpus -> outputs, and the summary on stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct diag_counts {
    size_t errors, warnings;
} diag_counts;

static void print_diag(const nd_diag *d, void *payload)
{
    diag_counts *counts = payload;
    const bool error = d->level == ND_DIAG_ERROR;
    if (error)
        counts->errors++;
    else
        counts->warnings++;
    if (d->offset >= 0)
        fprintf(stderr, "neardup: %s:%lld: %s: %s\n", d->path, (long long)d->offset,
                error ? "error" : "warning", d->message);
    else
        fprintf(stderr, "neardup: %s: %s: %s\n", d->path, error ? "error" : "warning", d->message);
}

/* Adds every path named in a list file (newline- or NUL-separated). */
static int add_listed(nd_corpus *corpus, const char *list, bool nul, diag_counts *counts)
{
    FILE *fp = strcmp(list, "-") ? fopen(list, "r") : stdin;
    if (!fp) {
        fprintf(stderr, "neardup: %s: %s\n", list, strerror(errno));
        return ND_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc != ND_ENOMEM && (n = getdelim(&line, &cap, nul ? '\0' : '\n', fp)) > 0) {
        if (line[n - 1] == (nul ? '\0' : '\n'))
            line[--n] = '\0';
        if (!nul && n > 0 && line[n - 1] == '\r') /* a list written on Windows */
            line[--n] = '\0';
        if (n == 0)
            continue;
        rc = nd_corpus_add_path(corpus, line);
    }
    if (ferror(fp)) {
        fprintf(stderr, "neardup: %s: %s\n", list, strerror(errno));
        counts->errors++;
    }
    free(line);
    if (fp != stdin)
        fclose(fp);
    return rc == ND_ENOMEM ? rc : 0;
}

typedef int (*writer_fn)(const nd_result *, FILE *, nd_format);

static int write_report(const nd_result *r, FILE *out, nd_format format)
{
    (void)format;
    return nd_write_report_html(r, out);
}

static int write_run_info(const nd_result *r, FILE *out, nd_format format)
{
    (void)format;
    return nd_write_run_info(r, out);
}

static int write_kept(const nd_result *r, FILE *out, nd_format format)
{
    (void)format;
    return nd_write_kept_lines(r, out);
}

static int write_one(const char *path, const nd_result *r, const cli_config *cfg, writer_fn write,
                     bool passages)
{
    cli_output out;
    if (cli_output_open(&out, path) < 0)
        return ND_EIO;
    const int rc = passages ? nd_write_passages(r, out.fp, cfg->format, cfg->passage_text)
                            : write(r, out.fp, cfg->format);
    if (rc < 0 && rc != ND_EIO)
        fprintf(stderr, "neardup: %s: cannot write: %s\n", path,
                rc == ND_ENOMEM ? nd_strerror(rc) : "a document changed or vanished");
    return cli_output_close(&out, rc == 0) < 0 || rc < 0 ? ND_EIO : 0;
}

static int write_outputs(const nd_result *r, const cli_config *cfg)
{
    int rc = 0;
    const bool none = !cfg->pairs && !cfg->clusters && !cfg->remove && !cfg->passages &&
                      !cfg->dedup_out && !cfg->run_info && !cfg->report;
    const char *pairs = none ? "-" : cfg->pairs;
    if (pairs && write_one(pairs, r, cfg, nd_write_pairs, false) < 0)
        rc = ND_EIO;
    if (cfg->clusters && write_one(cfg->clusters, r, cfg, nd_write_clusters, false) < 0)
        rc = ND_EIO;
    if (cfg->remove && write_one(cfg->remove, r, cfg, nd_write_remove, false) < 0)
        rc = ND_EIO;
    if (cfg->passages && write_one(cfg->passages, r, cfg, NULL, true) < 0)
        rc = ND_EIO;
    if (cfg->dedup_out && write_one(cfg->dedup_out, r, cfg, write_kept, false) < 0)
        rc = ND_EIO;
    if (cfg->run_info && write_one(cfg->run_info, r, cfg, write_run_info, false) < 0)
        rc = ND_EIO;
    if (cfg->report && write_one(cfg->report, r, cfg, write_report, false) < 0)
        rc = ND_EIO;
    return rc;
}

static void print_listing(const nd_corpus *c, const nd_result *r)
{
    for (size_t i = 0; i < nd_result_n_pairs(r); i++) {
        const nd_pair *p = nd_result_pair(r, i);
        fprintf(stderr, "  pair     %s ~ %s  jaccard %.3f (estimate %.3f), cluster %u\n",
                nd_corpus_doc_id(c, p->doc_a), nd_corpus_doc_id(c, p->doc_b), p->jaccard,
                p->jaccard_est, p->cluster);
    }
    for (size_t i = 0; i < nd_result_n_passages(r); i++) {
        const nd_passage *p = nd_result_passage(r, i);
        fprintf(stderr, "  passage  %s [%llu,%llu) ~ %s [%llu,%llu)  %u/%u words, score %.2f\n",
                nd_corpus_doc_id(c, p->doc_a), (unsigned long long)p->a_start,
                (unsigned long long)p->a_end, nd_corpus_doc_id(c, p->doc_b),
                (unsigned long long)p->b_start, (unsigned long long)p->b_end, p->words_a,
                p->words_b, p->score);
    }
}

/* Each consumer's share of --memory, as the run planned it. */
static void print_memory_plan(const nd_result *r)
{
    fputs("neardup: memory plan:", stderr);
    for (size_t i = 0; i < nd_result_n_memory_shares(r); i++) {
        uint64_t bytes;
        const char *name = nd_result_memory_share(r, i, &bytes);
        fprintf(stderr, "%s %s %llu", i ? "," : "", name, (unsigned long long)bytes);
    }
    fputc('\n', stderr);
}

static void print_summary(const nd_result *r, bool passages)
{
    const nd_stats *s = nd_result_stats(r);
    double total = 0;
    for (int i = 0; i < ND_STAGE_COUNT; i++)
        total += s->seconds[i];
    fprintf(stderr,
            "neardup: %llu documents (%llu bytes, %llu words, %llu shingles), %llu empty, "
            "%llu skipped, %llu with invalid UTF-8\n",
            (unsigned long long)s->n_docs, (unsigned long long)s->n_bytes,
            (unsigned long long)s->n_tokens, (unsigned long long)s->n_shingles,
            (unsigned long long)s->n_empty, (unsigned long long)s->n_skipped,
            (unsigned long long)s->n_invalid_utf8);
    fprintf(stderr,
            "neardup: LSH %d bands x %d rows: %llu candidate pairs, %llu listed pairs, "
            "%llu clusters (%llu documents to remove)\n",
            s->bands, s->rows, (unsigned long long)s->n_candidates, (unsigned long long)s->n_pairs,
            (unsigned long long)s->n_clusters, (unsigned long long)s->n_duplicates);
    if (s->n_copies)
        fprintf(stderr, "neardup: %llu documents repeat the text of an earlier one\n",
                (unsigned long long)s->n_copies);
    if (s->n_pairs_unlisted)
        fprintf(stderr,
                "neardup: %llu pairs of members of clusters over %d documents not listed (each "
                "member is listed with its kept document; --all-pairs lists every pair)\n",
                (unsigned long long)s->n_pairs_unlisted, ND_LIST_ALL_PAIRS);
    if (passages)
        fprintf(stderr, "neardup: %llu passages (%llu common shingles capped by --max-df)\n",
                (unsigned long long)s->n_passages, (unsigned long long)s->n_capped_shingles);
    fprintf(stderr, "neardup: memory: %llu sorted runs spilled to --tmpdir\n",
            (unsigned long long)s->n_spilled_runs);
    fprintf(stderr,
            "neardup: seconds: list %.3f, scan %.3f, lsh %.3f, verify %.3f, cluster %.3f, "
            "passages %.3f, total %.3f\n",
            s->seconds[ND_STAGE_LIST], s->seconds[ND_STAGE_SCAN], s->seconds[ND_STAGE_LSH],
            s->seconds[ND_STAGE_VERIFY], s->seconds[ND_STAGE_CLUSTER],
            s->seconds[ND_STAGE_PASSAGES], total);
}

static int add_inputs(nd_corpus *corpus, const cli_config *cfg, diag_counts *counts)
{
    for (size_t i = 0; i < cfg->n_paths; i++)
        if (nd_corpus_add_path(corpus, cfg->paths[i]) == ND_ENOMEM)
            return ND_ENOMEM;
    if (cfg->files_from)
        return add_listed(corpus, cfg->files_from, cfg->files_from_nul, counts);
    return 0;
}

int cli_run(const nd_options *opts, const cli_config *cfg)
{
    nd_corpus *corpus = NULL;
    nd_result *result = NULL;
    diag_counts counts = {0, 0};
    int rc = nd_corpus_new(&corpus, opts);
    if (rc == 0) {
        nd_corpus_set_diag(corpus, print_diag, &counts);
        rc = add_inputs(corpus, cfg, &counts);
    }
    cli_progress progress;
    const bool show =
        rc == 0 &&
        (cfg->progress == 2 || (cfg->progress == 1 && cfg->verbosity > 0 && isatty(STDERR_FILENO)));
    if (show) {
        cli_progress_start(&progress);
        nd_corpus_set_progress(corpus, cli_progress_report, &progress);
    }
    if (rc == 0)
        rc = nd_corpus_run(corpus, &result);
    if (show)
        cli_progress_end(&progress);
    if (rc < 0) {
        /* ND_EIO: the scratch file could not be written; the diagnostic said why */
        if (rc != ND_EIO)
            fprintf(stderr, "neardup: %s\n", nd_strerror(rc));
        nd_corpus_free(corpus);
        return rc == ND_EIO ? ND_EXIT_OUTPUT : ND_EXIT_INTERNAL;
    }
    const bool write_failed = write_outputs(result, cfg) < 0;
    if (cfg->verbosity >= 2) {
        print_listing(corpus, result);
        print_memory_plan(result);
    }
    if (cfg->verbosity >= 1)
        print_summary(result, opts->passages);
    const nd_stats *s = nd_result_stats(result);
    const bool found = s->n_pairs > 0 || s->n_passages > 0;
    nd_result_free(result);
    nd_corpus_free(corpus);
    if (write_failed)
        return ND_EXIT_OUTPUT;
    if (counts.errors)
        return ND_EXIT_INPUT;
    return cfg->exit_code && found ? ND_EXIT_FOUND : ND_EXIT_OK;
}
