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

/* Messages of one kind (the same words up to a parenthesis: "no "text" key (its keys:
 * ...)" of every line of a feed read with the wrong --text-key) are shown SHOWN_PER_KIND
 * times, then counted, and summed up once at the end. */
#define SHOWN_PER_KIND 3

typedef struct diag_kind {
    char *key;   /* the message up to " (" */
    char *first; /* the first message of this kind, whole */
    bool error;
    size_t count;
} diag_kind;

typedef struct diag_counts {
    size_t errors, warnings;
    bool show_notes;
    diag_kind *kinds;
    size_t n_kinds, cap_kinds;
} diag_counts;

/* The kind of message m (added when new and there is room), or NULL. */
static diag_kind *kind_of(diag_counts *counts, const char *m, bool error)
{
    const size_t key_len = strstr(m, " (") ? (size_t)(strstr(m, " (") - m) : strlen(m);
    for (size_t i = 0; i < counts->n_kinds; i++) {
        diag_kind *k = &counts->kinds[i];
        if (k->error == error && strlen(k->key) == key_len && !strncmp(k->key, m, key_len))
            return k;
    }
    if (counts->n_kinds == counts->cap_kinds) {
        const size_t cap = counts->cap_kinds ? 2 * counts->cap_kinds : 16;
        diag_kind *grown = realloc(counts->kinds, cap * sizeof(*grown));
        if (!grown)
            return NULL; /* (the message is shown, not counted) */
        counts->kinds = grown;
        counts->cap_kinds = cap;
    }
    diag_kind *k = &counts->kinds[counts->n_kinds];
    *k = (diag_kind){strndup(m, key_len), strdup(m), error, 0};
    if (!k->key || !k->first) {
        free(k->key);
        free(k->first);
        return NULL;
    }
    counts->n_kinds++;
    return k;
}

static void print_diag(const nd_diag *d, void *payload)
{
    diag_counts *counts = payload;
    const bool error = d->level == ND_DIAG_ERROR;
    if (d->level == ND_DIAG_NOTE) {
        if (counts->show_notes)
            cli_print_diag(d);
        return;
    }
    if (error)
        counts->errors++;
    else
        counts->warnings++;
    diag_kind *kind = kind_of(counts, d->message, error);
    if (kind && ++kind->count > SHOWN_PER_KIND)
        return;
    cli_print_diag(d);
}

void cli_print_diag(const nd_diag *d)
{
    const char *level = d->level == ND_DIAG_ERROR  ? "error"
                        : d->level == ND_DIAG_NOTE ? "note"
                                                   : "warning";
    /* (ids and file names may hold control characters: cli_message escapes them) */
    if (d->offset >= 0)
        cli_message("neardup: %s:%lld: %s: %s\n", d->path, (long long)d->offset, level, d->message);
    else
        cli_message("neardup: %s: %s: %s\n", d->path, level, d->message);
}

/* Says how many messages of each kind were not shown, and what fixes the most common
 * mistake: a JSONL feed whose text is under another key than --text-key. */
static void sum_up_diags(diag_counts *counts, const char *text_key)
{
    char missing[300];
    snprintf(missing, sizeof(missing), "no \"%s\" key", text_key);
    for (size_t i = 0; i < counts->n_kinds; i++) {
        const diag_kind *k = &counts->kinds[i];
        if (k->count > SHOWN_PER_KIND)
            cli_message("neardup: %zu more %s like %s: %s\n", k->count - SHOWN_PER_KIND,
                        k->error ? "errors" : "warnings",
                        SHOWN_PER_KIND == 1 ? "this one" : "these", k->key);
        const char *keys = strstr(k->first, "(its keys: ");
        if (!strcmp(k->key, missing) && keys) {
            keys += strlen("(its keys: ");
            cli_message("neardup: %zu %s no \"%s\" key: name the key that holds the text with "
                        "--text-key KEY (the first line's keys: %.*s)\n",
                        k->count, k->count == 1 ? "line has" : "lines have", text_key,
                        (int)strcspn(keys, ")"), keys);
        }
        free(k->key);
        free(k->first);
    }
    free(counts->kinds);
    counts->kinds = NULL;
    counts->n_kinds = counts->cap_kinds = 0;
}

/* The paths named in a list file (newline- or NUL-separated), into *paths[0..*n). A list
 * that cannot be read is an input error, said and counted: the other inputs are still
 * processed. Returns 0 or ND_ENOMEM. */
static int read_list(const char *list, bool nul, char ***paths, size_t *n, diag_counts *counts)
{
    FILE *fp = strcmp(list, "-") ? fopen(list, "r") : stdin;
    *paths = NULL;
    *n = 0;
    if (!fp) {
        cli_message("neardup: %s: error: cannot read the list of inputs: %s\n", list,
                    strerror(errno));
        counts->errors++;
        return 0;
    }
    char *line = NULL;
    size_t cap = 0, paths_cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getdelim(&line, &cap, nul ? '\0' : '\n', fp)) > 0) {
        if (line[len - 1] == (nul ? '\0' : '\n'))
            line[--len] = '\0';
        if (!nul && len > 0 && line[len - 1] == '\r') /* a list written on Windows */
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (*n == paths_cap) {
            char **grown =
                realloc(*paths, (paths_cap = paths_cap ? 2 * paths_cap : 64) * sizeof(**paths));
            if (!grown) {
                rc = ND_ENOMEM;
                break;
            }
            *paths = grown;
        }
        rc = ((*paths)[*n] = strdup(line)) ? 0 : ND_ENOMEM;
        *n += rc == 0;
    }
    if (ferror(fp)) {
        cli_message("neardup: %s: error: %s\n", list, strerror(errno));
        counts->errors++;
    }
    free(line);
    if (fp != stdin)
        fclose(fp);
    return rc;
}

static void free_list(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

/* ------------------------------------------------------------ outputs */

typedef int (*writer_fn)(const nd_result *, FILE *, const cli_config *);

static int write_pairs(const nd_result *r, FILE *out, const cli_config *cfg)
{
    return nd_write_pairs(r, out, cfg->format);
}

static int write_clusters(const nd_result *r, FILE *out, const cli_config *cfg)
{
    return nd_write_clusters(r, out, cfg->format);
}

static int write_remove(const nd_result *r, FILE *out, const cli_config *cfg)
{
    return nd_write_remove(r, out, cfg->format);
}

static int write_passages(const nd_result *r, FILE *out, const cli_config *cfg)
{
    return nd_write_passages(r, out, cfg->format, cfg->passage_text);
}

static int write_passage_clusters(const nd_result *r, FILE *out, const cli_config *cfg)
{
    return nd_write_passage_clusters(r, out, cfg->format, cfg->passage_text);
}

static int write_stats(const nd_result *r, FILE *out, const cli_config *cfg)
{
    (void)cfg;
    return nd_write_stats(r, out);
}

static int write_kept(const nd_result *r, FILE *out, const cli_config *cfg)
{
    (void)cfg;
    return nd_write_kept_lines(r, out);
}

static int write_run_info(const nd_result *r, FILE *out, const cli_config *cfg)
{
    (void)cfg;
    return nd_write_run_info(r, out);
}

static int write_report(const nd_result *r, FILE *out, const cli_config *cfg)
{
    (void)cfg;
    return nd_write_report_html(r, out);
}

#define N_OUTPUTS 9

/* The outputs asked for, in the order they are written, into names and writers; returns
 * how many. With none, pairs go to stdout. */
static size_t output_table(const cli_config *cfg, cli_output_name *names, writer_fn *writers)
{
    const bool none = !cfg->pairs && !cfg->clusters && !cfg->remove && !cfg->passages &&
                      !cfg->passage_clusters && !cfg->dedup_out && !cfg->run_info && !cfg->report &&
                      !cfg->stats;
    const cli_output_name all[N_OUTPUTS] = {
        {"pairs", none ? "-" : cfg->pairs},
        {"clusters", cfg->clusters},
        {"remove", cfg->remove},
        {"passages", cfg->passages},
        {"passage-clusters", cfg->passage_clusters},
        {"dedup-out", cfg->dedup_out},
        {"run-info", cfg->run_info},
        {"stats", cfg->stats},
        {"report", cfg->report},
    };
    static const writer_fn all_writers[N_OUTPUTS] = {
        write_pairs, write_clusters, write_remove, write_passages, write_passage_clusters,
        write_kept,  write_run_info, write_stats,  write_report,
    };
    size_t n = 0;
    for (size_t i = 0; i < N_OUTPUTS; i++)
        if (all[i].path) {
            names[n] = all[i];
            writers[n++] = all_writers[i];
        }
    return n;
}

/* Writes one output, complete under its temporary name (or directly, for stdout or a
 * device); every failure is said, naming the file and what failed. */
static int write_one(cli_output *out, const char *path, const nd_result *r, const cli_config *cfg,
                     writer_fn write)
{
    int rc = cli_output_open(out, path);
    if (rc < 0)
        return rc;
    rc = write(r, out->fp, cfg);
    if (rc < 0 && ferror(out->fp))
        out->write_errno = errno; /* the stream failed: cli_output_close says why */
    else if (rc < 0)
        cli_message("neardup: %s: cannot write: %s\n", path,
                    rc == ND_ENOMEM ? nd_strerror(rc)
                                    : "an input could not be read again (it changed or vanished "
                                      "since it was scanned)");
    const int closed = cli_output_close(out, rc == 0);
    return rc < 0 ? rc : closed;
}

/* Writes every output, each under its temporary name, and renames them all into place
 * only when all are complete: a run that fails leaves each output as it was. */
static int write_outputs(const nd_result *r, const cli_config *cfg, const cli_output_name *names,
                         const writer_fn *writers, size_t n)
{
    cli_output outs[N_OUTPUTS];
    size_t done = 0;
    int rc = 0;
    for (; done < n && rc == 0; done++)
        rc = write_one(&outs[done], names[done].path, r, cfg, writers[done]);
    for (size_t i = 0; rc < 0 && i + 1 < done; i++)
        if (outs[i].tmp_path)
            cli_message("neardup: %s: left as it was, as %s could not be written\n", names[i].path,
                        names[done - 1].path);
    const int committed = cli_outputs_commit(outs, done, rc == 0);
    return rc < 0 ? rc : committed;
}

static void print_listing(const nd_corpus *c, const nd_result *r)
{
    for (size_t i = 0; i < nd_result_n_pairs(r); i++) {
        const nd_pair *p = nd_result_pair(r, i);
        cli_message("  pair     %s ~ %s  jaccard %.3f (estimate %.3f), cluster %u\n",
                    nd_corpus_doc_id(c, p->doc_a), nd_corpus_doc_id(c, p->doc_b), p->jaccard,
                    p->jaccard_est, p->cluster);
    }
    for (size_t i = 0; i < nd_result_n_passages(r); i++) {
        const nd_passage *p = nd_result_passage(r, i);
        cli_message("  passage  %s [%llu,%llu) ~ %s [%llu,%llu)  %u/%u words, score %.2f\n",
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

/* "%llu %s" arguments: a count and its noun, singular for 1. */
#define COUNT(n, one, many) (unsigned long long)(n), (n) == 1 ? (one) : (many)

static void print_summary(const nd_result *r, bool passages)
{
    const nd_stats *s = nd_result_stats(r);
    double total = 0;
    for (int i = 0; i < ND_STAGE_COUNT; i++)
        total += s->seconds[i];
    fprintf(stderr,
            "neardup: %llu %s (%llu %s, %llu %s, %llu %s), %llu empty, %llu skipped, %llu with "
            "invalid UTF-8\n",
            COUNT(s->n_docs, "document", "documents"), COUNT(s->n_bytes, "byte", "bytes"),
            COUNT(s->n_tokens, "word", "words"), COUNT(s->n_shingles, "shingle", "shingles"),
            (unsigned long long)s->n_empty, (unsigned long long)s->n_skipped,
            (unsigned long long)s->n_invalid_utf8);
    fprintf(stderr,
            "neardup: LSH %d bands x %d rows: %llu candidate %s, %llu listed %s, %llu %s "
            "(%llu %s to remove)\n",
            s->bands, s->rows, COUNT(s->n_candidates, "pair", "pairs"),
            COUNT(s->n_pairs, "pair", "pairs"), COUNT(s->n_clusters, "cluster", "clusters"),
            COUNT(s->n_duplicates, "document", "documents"));
    if (s->n_copies)
        fprintf(stderr, "neardup: %llu %s the text of an earlier one\n",
                COUNT(s->n_copies, "document repeats", "documents repeat"));
    if (s->n_pairs_unlisted)
        fprintf(stderr,
                "neardup: %llu %s of members of clusters over %d documents not listed (each "
                "member is listed with its kept document; --all-pairs lists every pair)\n",
                COUNT(s->n_pairs_unlisted, "pair", "pairs"), ND_LIST_ALL_PAIRS);
    if (passages)
        fprintf(stderr, "neardup: %llu %s in %llu passage %s (%llu common %s capped by --max-df)\n",
                COUNT(s->n_passages, "passage", "passages"),
                COUNT(s->n_passage_clusters, "cluster", "clusters"),
                COUNT(s->n_capped_shingles, "shingle", "shingles"));
    if (s->n_passage_pairs_unlisted)
        fprintf(stderr,
                "neardup: %llu %s of documents sharing a text found in over %d places %s no "
                "passage of their own (each place is aligned with the text's first; "
                "--all-pairs aligns every two)\n",
                COUNT(s->n_passage_pairs_unlisted, "pair", "pairs"), ND_PASSAGE_ALL_PLACES,
                s->n_passage_pairs_unlisted == 1 ? "has" : "have");
    fprintf(stderr, "neardup: memory: %llu sorted %s spilled to --tmpdir\n",
            COUNT(s->n_spilled_runs, "run", "runs"));
    fprintf(stderr,
            "neardup: seconds: list %.3f, scan %.3f, lsh %.3f, verify %.3f, cluster %.3f, "
            "passages %.3f, total %.3f\n",
            s->seconds[ND_STAGE_LIST], s->seconds[ND_STAGE_SCAN], s->seconds[ND_STAGE_LSH],
            s->seconds[ND_STAGE_VERIFY], s->seconds[ND_STAGE_CLUSTER],
            s->seconds[ND_STAGE_PASSAGES], total);
}

/* Adds the paths named on the command line, then those of the list. */
static int add_inputs(nd_corpus *corpus, const char *const *inputs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (nd_corpus_add_path(corpus, inputs[i]) == ND_ENOMEM)
            return ND_ENOMEM;
    return 0;
}

int cli_run(const nd_options *opts, const cli_config *cfg)
{
    nd_corpus *corpus = NULL;
    nd_result *result = NULL;
    const cli_engine *engine = cfg->engine;
    const bool quiet = engine && engine->quiet;
    diag_counts counts = {.show_notes = cfg->verbosity >= 2};
    cli_output_name names[N_OUTPUTS];
    writer_fn writers[N_OUTPUTS];
    const size_t n_outs = output_table(cfg, names, writers);
    char **listed = NULL;
    size_t n_listed = 0;
    int rc = cfg->files_from
                 ? read_list(cfg->files_from, cfg->files_from_nul, &listed, &n_listed, &counts)
                 : 0;
    const size_t n_inputs = cfg->n_paths + n_listed;
    const char **inputs = rc == 0 ? malloc((n_inputs + 1) * sizeof(*inputs)) : NULL;
    if (!inputs)
        rc = ND_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n_inputs; i++)
        inputs[i] = i < cfg->n_paths ? cfg->paths[i] : listed[i - cfg->n_paths];
    /* before anything is read: no output may be an input, or another output */
    if (rc == 0)
        rc = cli_check_paths(names, n_outs, inputs, n_inputs, cfg->files_from);
    if (rc == 0 && engine && engine->check_inputs)
        rc = engine->check_inputs(inputs, n_inputs, engine->payload);
    if (rc == ND_EINVAL) {
        free(inputs);
        free_list(listed, n_listed);
        sum_up_diags(&counts, opts->text_key);
        return ND_EXIT_USAGE;
    }
    if (rc == 0)
        rc = nd_corpus_new(&corpus, opts);
    if (rc == 0) {
        nd_corpus_set_diag(corpus, quiet ? NULL : print_diag, &counts);
        rc = add_inputs(corpus, inputs, n_inputs);
    }
    free(inputs);
    free_list(listed, n_listed);
    cli_progress progress;
    const bool show =
        rc == 0 && !quiet &&
        (cfg->progress == 2 || (cfg->progress == 1 && cfg->verbosity > 0 && isatty(STDERR_FILENO)));
    if (show) {
        cli_progress_start(&progress, opts->passages);
        nd_corpus_set_run_progress(corpus, cli_progress_report, &progress);
    }
    if (rc == 0)
        rc =
            engine ? engine->run(corpus, &result, engine->payload) : nd_corpus_run(corpus, &result);
    if (show)
        cli_progress_end(&progress);
    if (rc < 0) {
        sum_up_diags(&counts, opts->text_key);
        /* ND_EIO: the scratch file could not be written; the diagnostic said why */
        if (rc != ND_EIO)
            fprintf(stderr, "neardup: %s\n", nd_strerror(rc));
        nd_corpus_free(corpus);
        return rc == ND_EIO ? ND_EXIT_OUTPUT : ND_EXIT_INTERNAL;
    }
    if (!result) { /* another process writes the outputs */
        nd_corpus_free(corpus);
        return ND_EXIT_OK;
    }
    const bool write_failed = write_outputs(result, cfg, names, writers, n_outs) < 0;
    sum_up_diags(&counts, opts->text_key);
    if (cfg->dedup_out && nd_result_stats(result)->n_jsonl_lines == 0)
        cli_message("neardup: warning: --dedup-out %s: no input is JSONL, so it has no line to "
                    "keep (it writes the kept lines of JSONL inputs)\n",
                    cfg->dedup_out);
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
