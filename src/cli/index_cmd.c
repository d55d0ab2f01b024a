/*
 * index_cmd.c: `neardup index`, the feed index on the command line.
 *
 *   neardup index create DB [similarity options]
 *   neardup index add [--query] DB INPUT...     (- streams JSONL from stdin)
 *   neardup index query DB INPUT...
 *   neardup index remove DB --ids FILE
 *   neardup index expire DB --before DATE | --keep DAYS
 *   neardup index stats | check | compact DB
 */
#define _GNU_SOURCE /* memrchr */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    IX_THRESHOLD = CHAR_MAX + 1,
    IX_SHINGLE,
    IX_SHINGLE_UNIT,
    IX_CHAR_NGRAM,
    IX_NUM_PERM,
    IX_SEED,
    IX_BANDS,
    IX_ROWS,
    IX_NORMALIZE,
    IX_HTML,
    IX_HTML_MAIN,
    IX_CHARSET,
    IX_ENGINE,
    IX_THREADS,
    IX_TMPDIR,
    IX_MEMORY,
    IX_MAX_DOC_SIZE,
    IX_STRICT,
    IX_INPUT_FORMAT,
    IX_ID_KEY,
    IX_TEXT_KEY,
    IX_DATE_KEY,
    IX_PAIRS,
    IX_VERDICTS,
    IX_REMOVE,
    IX_PASSAGES,
    IX_DEDUP_OUT,
    IX_FORMAT,
    IX_REPLACE,
    IX_QUERY,
    IX_ADD,
    IX_COMMIT_EVERY,
    IX_LOCK_TIMEOUT,
    IX_IDS,
    IX_BEFORE,
    IX_KEEP,
};

static const struct option index_options[] = {
    {"threshold", required_argument, NULL, IX_THRESHOLD},
    {"shingle", required_argument, NULL, IX_SHINGLE},
    {"shingle-unit", required_argument, NULL, IX_SHINGLE_UNIT},
    {"char-ngram", required_argument, NULL, IX_CHAR_NGRAM},
    {"num-perm", required_argument, NULL, IX_NUM_PERM},
    {"seed", required_argument, NULL, IX_SEED},
    {"bands", required_argument, NULL, IX_BANDS},
    {"rows", required_argument, NULL, IX_ROWS},
    {"normalize", required_argument, NULL, IX_NORMALIZE},
    {"html", optional_argument, NULL, IX_HTML},
    {"html-main", no_argument, NULL, IX_HTML_MAIN},
    {"charset", required_argument, NULL, IX_CHARSET},
    {"engine", required_argument, NULL, IX_ENGINE},
    {"threads", required_argument, NULL, IX_THREADS},
    {"tmpdir", required_argument, NULL, IX_TMPDIR},
    {"memory", required_argument, NULL, IX_MEMORY},
    {"max-doc-size", required_argument, NULL, IX_MAX_DOC_SIZE},
    {"strict", no_argument, NULL, IX_STRICT},
    {"input-format", required_argument, NULL, IX_INPUT_FORMAT},
    {"id-key", required_argument, NULL, IX_ID_KEY},
    {"text-key", required_argument, NULL, IX_TEXT_KEY},
    {"date-key", required_argument, NULL, IX_DATE_KEY},
    {"pairs", required_argument, NULL, IX_PAIRS},
    {"verdicts", required_argument, NULL, IX_VERDICTS},
    {"remove", required_argument, NULL, IX_REMOVE},
    {"passages", required_argument, NULL, IX_PASSAGES},
    {"dedup-out", required_argument, NULL, IX_DEDUP_OUT},
    {"format", required_argument, NULL, IX_FORMAT},
    {"replace", no_argument, NULL, IX_REPLACE},
    {"query", no_argument, NULL, IX_QUERY},
    {"add", required_argument, NULL, IX_ADD},
    {"commit-every", required_argument, NULL, IX_COMMIT_EVERY},
    {"lock-timeout", required_argument, NULL, IX_LOCK_TIMEOUT},
    {"ids", required_argument, NULL, IX_IDS},
    {"before", required_argument, NULL, IX_BEFORE},
    {"keep", required_argument, NULL, IX_KEEP},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct index_config {
    const char *command, *db;
    nd_options opts; /* as given: the similarity ones only where named */
    unsigned given;  /* the similarity options named: bit c - IX_THRESHOLD of option c
                        (create stores them, the other commands must agree) */
    nd_index_feed_options feed;
    const char *pairs, *verdicts, *remove, *passages, *dedup_out, *ids, *before;
    nd_format format;
    double keep_days; /* --keep, or NAN */
    uint64_t commit_docs, commit_ms;
    double lock_timeout;
    int verbosity;
    char *const *inputs;
    size_t n_inputs;
} index_config;

static void index_usage(void)
{
    fputs(
        "Usage: neardup index COMMAND DB [OPTION]... [INPUT]...\n"
        "A rolling archive of documents (one LMDB file) that each new one is checked against.\n"
        "\n"
        "  create DB        make an index; --threshold, --shingle, --shingle-unit, --char-ngram,\n"
        "                   --num-perm, --seed, --bands, --rows, --normalize, --html,\n"
        "                   --html-main and --charset are stored and every later command\n"
        "                   takes them (naming another value is an error)\n"
        "  add DB INPUT...  add every document; an id already there is an error for that\n"
        "                   document (--replace replaces it); --query also compares each with\n"
        "                   the archive first, --add=all|unique (unique: only those that match\n"
        "                   nothing)\n"
        "  query DB INPUT...  compare each document with the archive and the inputs before it\n"
        "  remove DB --ids FILE      remove the documents of those ids (one per line)\n"
        "  expire DB --before DATE | --keep DAYS   remove documents dated before\n"
        "  stats DB | check DB | compact DB\n"
        "\n"
        "Outputs of add and query: --pairs FILE (doc_a the new document, doc_b the earlier,\n"
        "b_archived, b_date), --verdicts FILE|- (JSONL: id, verdict new|duplicate, match,\n"
        "jaccard), --passages FILE (what each matches shares, its\n"
        "text), --remove FILE (the duplicates, each with its match), --dedup-out FILE (the\n"
        "JSONL lines found new), --format csv|jsonl.\n"
        "Dates: --date-key KEY (JSONL, ISO 8601), WARC-Date, or the file's time.\n"
        "With - as input, JSONL lines are handled as they arrive and committed every\n"
        "--commit-every N documents or Nms (default 100 and 1000ms); SIGINT and SIGTERM commit\n"
        "what was handled. --lock-timeout SECONDS: how long a writer waits for another (default:\n"
        "for ever, saying so). Reading options as for neardup: --threads, --input-format,\n"
        "--id-key, --text-key, --tmpdir, --memory, --max-doc-size, --strict.\n",
        stdout);
}

static bool given(const index_config *cfg, int option)
{
    return cfg->given >> (option - IX_THRESHOLD) & 1;
}

/* "100", "100ms" or "2s": documents, or milliseconds. */
static void parse_commit_every(index_config *cfg, const char *s)
{
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || strchr(s, '-') || v == 0)
        cli_usage_error(
            "--commit-every: '%s' is not a count of documents or a time (100, 500ms, 2s)", s);
    if (!strcmp(end, "ms"))
        cfg->commit_ms = v;
    else if (!strcmp(end, "s"))
        cfg->commit_ms = v * 1000;
    else if (!*end)
        cfg->commit_docs = v;
    else
        cli_usage_error(
            "--commit-every: '%s' is not a count of documents or a time (100, 500ms, 2s)", s);
}

static double parse_seconds(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0) || !isfinite(v))
        cli_usage_error("--%s: '%s' is not a number of seconds (0 or more)", opt, s);
    return v;
}

/* --keep: days, from 0 to a million (2,700 years). */
static double parse_days(const char *s)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0 && v <= 1e6))
        cli_usage_error("--keep: '%s' is not a number of days from 0 to 1000000", s);
    return v;
}

static void parse_similarity(int c, const char *arg, index_config *cfg)
{
    static const char *const norms[] = {"none", "basic", "full", NULL};
    static const char *const units[] = {"word", "char", NULL};
    static const char *const htmls[] = {"auto", "text", "off", NULL};
    nd_options *o = &cfg->opts;
    cfg->given |= 1u << (c - IX_THRESHOLD);
    switch (c) {
    case IX_THRESHOLD: o->threshold = cli_parse_real("threshold", arg); break;
    case IX_SHINGLE: o->shingle_k = (int)cli_parse_whole("shingle", arg); break;
    case IX_SHINGLE_UNIT:
        o->shingle_unit = (nd_shingle_unit)cli_parse_word("shingle-unit", arg, units);
        break;
    case IX_CHAR_NGRAM: o->char_ngram = (int)cli_parse_whole("char-ngram", arg); break;
    case IX_NUM_PERM: o->num_perm = (int)cli_parse_whole("num-perm", arg); break;
    case IX_SEED: o->seed = cli_parse_whole("seed", arg); break;
    case IX_BANDS: o->bands = (int)cli_parse_whole("bands", arg); break;
    case IX_ROWS: o->rows = (int)cli_parse_whole("rows", arg); break;
    case IX_NORMALIZE:
        o->normalize = (nd_normalize_mode)cli_parse_word("normalize", arg, norms);
        break;
    case IX_HTML:
        o->html = arg ? (nd_html_mode)cli_parse_word("html", arg, htmls) : ND_HTML_TEXT;
        break;
    case IX_HTML_MAIN: o->html_main = 1; break;
    default: o->charset = arg; break;
    }
}

static void parse_index_option(int c, const char *arg, index_config *cfg)
{
    static const char *const engines[] = {"fast", "icu", NULL};
    static const char *const formats[] = {"auto", "text", "jsonl", "warc", NULL};
    static const char *const outs[] = {"csv", "jsonl", NULL};
    static const char *const adds[] = {"all", "unique", NULL}; /* ND_INDEX_ADD_ALL on */
    nd_options *o = &cfg->opts;
    if (c >= IX_THRESHOLD && c <= IX_CHARSET) {
        parse_similarity(c, arg, cfg);
        return;
    }
    switch (c) {
    case IX_ENGINE: o->engine = (nd_engine)cli_parse_word("engine", arg, engines); break;
    case IX_THREADS: o->threads = (int)cli_parse_whole("threads", arg); break;
    case IX_TMPDIR: o->tmpdir = arg; break;
    case IX_MEMORY: o->memory = cli_parse_size("memory", arg); break;
    case IX_MAX_DOC_SIZE: o->max_doc_size = cli_parse_size("max-doc-size", arg); break;
    case IX_STRICT: o->strict = 1; break;
    case IX_INPUT_FORMAT:
        o->input_format = (nd_input_format)cli_parse_word("input-format", arg, formats);
        break;
    case IX_ID_KEY: o->id_key = arg; break;
    case IX_TEXT_KEY: o->text_key = arg; break;
    case IX_DATE_KEY: cfg->feed.date_key = arg; break;
    case IX_PAIRS: cfg->pairs = arg; break;
    case IX_VERDICTS: cfg->verdicts = arg; break;
    case IX_REMOVE: cfg->remove = arg; break;
    case IX_PASSAGES:
        cfg->passages = arg;
        o->passages = 1;
        break;
    case IX_DEDUP_OUT: cfg->dedup_out = arg; break;
    case IX_FORMAT: cfg->format = (nd_format)cli_parse_word("format", arg, outs); break;
    case IX_REPLACE: cfg->feed.replace = 1; break;
    case IX_QUERY: cfg->feed.query = 1; break;
    case IX_ADD: cfg->feed.add = ND_INDEX_ADD_ALL + cli_parse_word("add", arg, adds); break;
    case IX_COMMIT_EVERY: parse_commit_every(cfg, arg); break;
    case IX_LOCK_TIMEOUT: cfg->lock_timeout = parse_seconds("lock-timeout", arg); break;
    case IX_IDS: cfg->ids = arg; break;
    case IX_BEFORE: cfg->before = arg; break;
    case IX_KEEP: cfg->keep_days = parse_days(arg); break;
    case 'q': cfg->verbosity = 0; break;
    case 'v': cfg->verbosity = 2; break;
    case 'h': index_usage(); exit(ND_EXIT_OK);
    case ':': cli_usage_error("%s needs a value", arg);
    default: cli_usage_error("unknown option '%s' of neardup index", arg);
    }
}

/* ---------------------------------------------------------------- messages */

/* Messages of one text are shown SHOWN_PER_KIND times, then counted (a feed of ids already
 * archived would print one line a document). */
#define SHOWN_PER_KIND 3
#define KINDS 16

typedef struct diag_tally {
    size_t errors, warnings;
    char *kind[KINDS]; /* the texts seen, and how many times each */
    size_t count[KINDS], n_kinds;
} diag_tally;

/* Whether a message of this text is to be shown. */
static bool show_kind(diag_tally *t, const char *message)
{
    size_t k = 0;
    while (k < t->n_kinds && strcmp(t->kind[k], message))
        k++;
    if (k == t->n_kinds && k < KINDS && (t->kind[k] = strdup(message)) != NULL)
        t->n_kinds++;
    return k == KINDS || ++t->count[k] <= SHOWN_PER_KIND;
}

static void sum_up_diags(diag_tally *t)
{
    for (size_t k = 0; k < t->n_kinds; k++) {
        if (t->count[k] > SHOWN_PER_KIND)
            cli_message("neardup: %zu more like this: %s\n", t->count[k] - SHOWN_PER_KIND,
                        t->kind[k]);
        free(t->kind[k]);
    }
}

static void print_diag(const nd_diag *d, void *payload)
{
    diag_tally *t = payload;
    const bool error = d->level == ND_DIAG_ERROR;
    if (d->level == ND_DIAG_NOTE)
        return;
    t->errors += error;
    t->warnings += !error;
    if (show_kind(t, d->message))
        cli_print_diag(d);
}

static void say_waiting(const char *path, void *payload)
{
    (void)payload;
    cli_message("neardup: %s: another process is writing to the index; waiting for it\n", path);
}

/* Opens the index or says why not (exit status 3). */
static nd_index *open_index(const index_config *cfg, int mode)
{
    nd_index *x;
    char why[512];
    const int rc =
        nd_index_open(&x, cfg->db, mode, cfg->lock_timeout, say_waiting, NULL, why, sizeof(why));
    if (rc == ND_EBUSY)
        cli_message("neardup: %s (gave up after --lock-timeout %g s)\n", why, cfg->lock_timeout);
    else if (rc < 0)
        cli_message("neardup: %s\n", why[0] ? why : nd_strerror(rc));
    return rc < 0 ? NULL : x;
}

/* The options for reading documents into this index: its similarity options, the ones this
 * command named checked against them. */
static bool corpus_options(const index_config *cfg, const nd_index *x, nd_options *out)
{
    *out = *nd_index_options(x);
    const nd_options *g = &cfg->opts;
    out->engine = g->engine;
    out->threads = g->threads;
    out->tmpdir = g->tmpdir;
    out->memory = g->memory;
    out->max_doc_size = g->max_doc_size;
    out->strict = g->strict;
    out->passages = g->passages;
    out->input_format = g->input_format;
    out->id_key = g->id_key;
    out->text_key = g->text_key;
    nd_options n = *out;
    n.threshold = given(cfg, IX_THRESHOLD) ? g->threshold : n.threshold;
    n.shingle_k = given(cfg, IX_SHINGLE) ? g->shingle_k : n.shingle_k;
    n.shingle_unit = given(cfg, IX_SHINGLE_UNIT) ? g->shingle_unit : n.shingle_unit;
    n.char_ngram = given(cfg, IX_CHAR_NGRAM) ? g->char_ngram : n.char_ngram;
    n.num_perm = given(cfg, IX_NUM_PERM) ? g->num_perm : n.num_perm;
    n.seed = given(cfg, IX_SEED) ? g->seed : n.seed;
    n.bands = given(cfg, IX_BANDS) ? g->bands : n.bands;
    n.rows = given(cfg, IX_ROWS) ? g->rows : n.rows;
    n.normalize = given(cfg, IX_NORMALIZE) ? g->normalize : n.normalize;
    n.html = given(cfg, IX_HTML) ? g->html : n.html;
    n.html_main = given(cfg, IX_HTML_MAIN) ? g->html_main : n.html_main;
    n.charset = given(cfg, IX_CHARSET) ? g->charset : n.charset;
    const char *differs = nd_index_option_differs(x, &n);
    if (differs)
        cli_message("neardup: %s was made with another --%s (see neardup index stats %s); "
                    "an index's similarity options are fixed when it is created\n",
                    cfg->db, differs, cfg->db);
    return !differs;
}

/* ---------------------------------------------------------------- outputs */

typedef struct feed_outputs {
    FILE *pairs, *verdicts, *remove, *passages, *dedup_out;
    bool pairs_header_done, remove_header_done, passages_header_done;
} feed_outputs;

static FILE *open_output(const char *path)
{
    if (!path)
        return NULL;
    if (!strcmp(path, "-"))
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        cli_message("neardup: %s: cannot write: %s\n", path, strerror(errno));
    return f;
}

/* Copies what tmp holds to out, without its first line when skip_first (a CSV header
 * already written). */
static void copy_rows(FILE *tmp, FILE *out, bool skip_first)
{
    char buf[65536];
    size_t n;
    bool header = skip_first;
    rewind(tmp);
    while ((n = fread(buf, 1, sizeof(buf), tmp)) > 0) {
        size_t from = 0;
        if (header) {
            const char *nl = memchr(buf, '\n', n);
            if (!nl)
                continue;
            from = (size_t)(nl - buf) + 1;
            header = false;
        }
        fwrite(buf + from, 1, n - from, out);
    }
}

/* Writes a table of one feed to out: after the first feed's, without its CSV header. */
static int write_table(FILE *out, bool *header_done, const nd_index_result *r, nd_format format,
                       int (*writer)(const nd_index_result *, FILE *, nd_format))
{
    FILE *tmp = tmpfile();
    int rc = tmp ? writer(r, tmp, format) : ND_EIO;
    if (rc == 0)
        copy_rows(tmp, out, *header_done && format != ND_FORMAT_JSONL);
    *header_done = true;
    if (tmp)
        fclose(tmp);
    return rc < 0 || fflush(out) ? ND_EIO : 0;
}

/* Writes one feed's rows, flushed at once. */
static int write_feed(feed_outputs *o, const nd_index_result *r, nd_format format)
{
    int rc = 0;
    if (o->pairs)
        rc = write_table(o->pairs, &o->pairs_header_done, r, format, nd_index_write_matches);
    if (rc == 0 && o->remove)
        rc = write_table(o->remove, &o->remove_header_done, r, format, nd_index_write_remove);
    if (rc == 0 && o->passages)
        rc = write_table(o->passages, &o->passages_header_done, r, format, nd_index_write_passages);
    if (rc == 0 && o->dedup_out &&
        (nd_index_write_new_lines(r, o->dedup_out) < 0 || fflush(o->dedup_out)))
        rc = ND_EIO;
    if (rc == 0 && o->verdicts &&
        (nd_index_write_verdicts(r, o->verdicts) < 0 || fflush(o->verdicts)))
        rc = ND_EIO;
    return rc;
}

static int close_outputs(feed_outputs *o)
{
    int rc = 0;
    FILE *all[] = {o->pairs, o->verdicts, o->remove, o->passages, o->dedup_out};
    for (size_t i = 0; i < 5; i++)
        if (all[i] && (fflush(all[i]) || (all[i] != stdout && fclose(all[i]))))
            rc = ND_EIO;
    return rc;
}

/* ---------------------------------------------------------------- add and query */

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* SIGINT and SIGTERM end a feed after the document at hand, with a commit. */
static void catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = request_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: a read waiting for input returns */
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct feed_run {
    const index_config *cfg;
    nd_index *x;
    nd_options opts;
    nd_index_feed_options fo;
    feed_outputs out;
    diag_tally diags;
    uint64_t docs, duplicates, added;
} feed_run;

/* Commits what was added; with wait, waits for a background writer to be done. */
static int commit(const feed_run *f, bool wait)
{
    int rc = nd_index_commit(f->x);
    if (rc == 0 && wait)
        rc = nd_index_flush(f->x);
    if (rc < 0)
        cli_message("neardup: %s: cannot commit: %s (the index is as its last commit left it)\n",
                    f->cfg->db, rc == ND_EIO ? strerror(errno) : nd_strerror(rc));
    return rc;
}

/* Feeds one corpus (its inputs added by add_inputs) and writes what it found. */
static int feed_corpus(feed_run *f, int (*add_inputs)(nd_corpus *, void *), void *payload)
{
    nd_corpus *c = NULL;
    nd_index_result *r = NULL;
    int rc = nd_corpus_new(&c, &f->opts);
    if (rc == 0) {
        nd_corpus_set_diag(c, print_diag, &f->diags);
        rc = add_inputs(c, payload);
    }
    if (rc == 0)
        rc = nd_index_feed(f->x, c, &f->fo, &r);
    if (rc == 0 && write_feed(&f->out, r, f->cfg->format) < 0) {
        cli_message("neardup: cannot write an output: %s\n", strerror(errno));
        rc = ND_EIO;
    }
    for (size_t i = 0; r && i < nd_index_result_n_verdicts(r); i++) {
        const nd_index_verdict *v = nd_index_result_verdict(r, i);
        f->docs++;
        f->duplicates += v->kind == ND_VERDICT_DUPLICATE;
        f->added += (uint64_t)v->added;
    }
    if (rc < 0 && rc != ND_EIO)
        cli_message("neardup: %s: %s\n", f->cfg->db, nd_strerror(rc));
    nd_index_result_free(r);
    nd_corpus_free(c);
    return rc;
}

/* Adds the inputs; one that cannot be used was told through the diagnostics (exit 3),
 * and the others go on. */
static int add_paths(nd_corpus *c, void *payload)
{
    const index_config *cfg = payload;
    for (size_t i = 0; i < cfg->n_inputs; i++)
        if (nd_corpus_add_path(c, cfg->inputs[i]) == ND_ENOMEM)
            return ND_ENOMEM;
    return 0;
}

typedef struct line_chunk {
    const char *bytes;
    size_t len;
    uint32_t first_line; /* in the stream */
} line_chunk;

static int add_chunk(nd_corpus *c, void *payload)
{
    const line_chunk *chunk = payload;
    return nd_corpus_add_bytes(c, "-", chunk->first_line, chunk->bytes, chunk->len);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The lines of standard input as they arrive: each read's whole lines fed at once,
 * committed every commit_docs documents or commit_ms milliseconds. */
static int feed_stream(feed_run *f)
{
    const uint64_t every_docs = f->cfg->commit_docs ? f->cfg->commit_docs : 100;
    const double every_ms = f->cfg->commit_ms ? (double)f->cfg->commit_ms : 1000;
    /* one small corpus after another: keep the memory each frees for the next, which
     * glibc would give back to the kernel to be zeroed again (docs/ARCHITECTURE.md) */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    uint64_t pending = 0; /* documents added since the last commit */
    uint32_t line = 1;    /* of the stream's next piece */
    double deadline = 0;
    bool eof = false;
    int rc = buf ? 0 : ND_ENOMEM;
    f->opts.input_format = ND_INPUT_JSONL;
    while (rc == 0 && !eof && !stop_requested) {
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        const double left = deadline - now_ms();
        const int wait = !pending ? -1 : left > 0 ? (int)left : 0;
        if (poll(&p, 1, wait) > 0) {
            if (len == cap && !(buf = realloc(buf, cap *= 2)))
                return ND_ENOMEM;
            const ssize_t got = read(STDIN_FILENO, buf + len, cap - len);
            eof = got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN);
            len += got > 0 ? (size_t)got : 0;
        }
        const char *nl = len ? memrchr(buf, '\n', len) : NULL;
        line_chunk chunk = {buf, nl ? (size_t)(nl - buf) + 1 : eof ? len : 0, line};
        for (size_t i = 0; i < chunk.len; i++)
            line += buf[i] == '\n';
        if (chunk.len) {
            const uint64_t before = f->added;
            rc = feed_corpus(f, add_chunk, &chunk);
            if (!pending)
                deadline = now_ms() + every_ms;
            pending += f->added - before;
            memmove(buf, buf + chunk.len, len - chunk.len);
            len -= chunk.len;
        }
        if (rc == 0 && pending && (pending >= every_docs || now_ms() >= deadline || eof)) {
            rc = commit(f, false);
            pending = 0;
        }
    }
    free(buf);
    return rc; /* (run_feed commits the rest) */
}

/* Before anything is read or written: no output may be an input, the index, or another
 * output (an output is opened for writing at once, and would truncate it). */
static bool outputs_clash(const index_config *cfg)
{
    char lock[4096];
    snprintf(lock, sizeof(lock), "%s-lock", cfg->db);
    const cli_output_name outs[] = {{"pairs", cfg->pairs},         {"verdicts", cfg->verdicts},
                                    {"remove", cfg->remove},       {"passages", cfg->passages},
                                    {"dedup-out", cfg->dedup_out}, {"index", cfg->db},
                                    {"index's lock file", lock}};
    cli_output_name named[7];
    size_t n = 0;
    for (size_t i = 0; i < 7; i++)
        if (outs[i].path)
            named[n++] = outs[i];
    return cli_check_paths(named, n, (const char *const *)cfg->inputs, cfg->n_inputs, NULL) != 0;
}

static int run_feed(const index_config *cfg)
{
    const bool adds = !strcmp(cfg->command, "add");
    feed_run f = {.cfg = cfg, .fo = cfg->feed};
    /* (unique: only the documents that match nothing, which takes comparing them) */
    f.fo.query = adds ? cfg->feed.query || cfg->feed.add == ND_INDEX_ADD_UNIQUE : 1;
    f.fo.add = adds ? (cfg->feed.add ? cfg->feed.add : ND_INDEX_ADD_ALL) : ND_INDEX_ADD_NONE;
    if (cfg->feed.add && !adds)
        cli_usage_error("--add is for neardup index add");
    if (cfg->n_inputs == 0)
        cli_usage_error("no input: name files, directories, or - for JSONL on stdin");
    const bool stream = cfg->n_inputs == 1 && !strcmp(cfg->inputs[0], "-");
    if (outputs_clash(cfg))
        return ND_EXIT_USAGE;
    /* a stream's commits on a thread of their own: no line waits for the disk */
    const int mode = !adds ? ND_INDEX_READ : ND_INDEX_WRITE | (stream ? ND_INDEX_BACKGROUND : 0);
    if (!(f.x = open_index(cfg, mode)))
        return ND_EXIT_INPUT;
    if (!corpus_options(cfg, f.x, &f.opts)) {
        nd_index_close(f.x);
        return ND_EXIT_USAGE;
    }
    f.out.pairs = open_output(cfg->pairs);
    f.out.verdicts = open_output(cfg->verdicts);
    f.out.remove = open_output(cfg->remove);
    f.out.passages = open_output(cfg->passages);
    f.out.dedup_out = open_output(cfg->dedup_out);
    int rc = (cfg->pairs && !f.out.pairs) || (cfg->verdicts && !f.out.verdicts) ||
                     (cfg->remove && !f.out.remove) || (cfg->dedup_out && !f.out.dedup_out) ||
                     (cfg->passages && !f.out.passages)
                 ? ND_EIO
                 : 0;
    if (stream) /* (a file's add is one commit: an interrupted one adds nothing) */
        catch_stop();
    if (rc == 0 && stream)
        rc = feed_stream(&f);
    else if (rc == 0) {
        f.fo.commit_every = cfg->commit_docs;
        rc = feed_corpus(&f, add_paths, (void *)cfg);
    }
    if (rc == 0 && adds)
        rc = commit(&f, true);
    if (close_outputs(&f.out) < 0 && rc == 0)
        rc = ND_EIO;
    nd_index_close(f.x); /* (what was not committed is dropped) */
    sum_up_diags(&f.diags);
    if (cfg->verbosity)
        cli_message("neardup: %llu document%s, %llu duplicate%s, %llu added to %s\n",
                    (unsigned long long)f.docs, f.docs == 1 ? "" : "s",
                    (unsigned long long)f.duplicates, f.duplicates == 1 ? "" : "s",
                    (unsigned long long)f.added, cfg->db);
    if (rc < 0)
        return rc == ND_EIO ? ND_EXIT_OUTPUT : ND_EXIT_INTERNAL;
    return f.diags.errors ? ND_EXIT_INPUT : ND_EXIT_OK;
}

/* ---------------------------------------------------------------- upkeep */

static int run_create(const index_config *cfg)
{
    const char *why;
    if ((cfg->opts.bands == 0) != (cfg->opts.rows == 0))
        cli_usage_error("--bands and --rows go together");
    if (nd_options_check(&cfg->opts, &why) < 0)
        cli_usage_error("bad option: %s", why);
    const int rc = nd_index_create(cfg->db, &cfg->opts);
    if (rc == ND_EEXIST)
        cli_message("neardup: %s exists already; neardup index create makes a new index\n",
                    cfg->db);
    else if (rc < 0)
        cli_message("neardup: %s: cannot make the index: %s\n", cfg->db,
                    rc == ND_EIO ? strerror(errno) : nd_strerror(rc));
    return rc < 0 ? ND_EXIT_INPUT : ND_EXIT_OK;
}

/* The ids of FILE, one per line. */
static char **read_ids(const char *path, size_t *n)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    char **ids = NULL, *line = NULL;
    size_t cap = 0, line_cap = 0;
    ssize_t len;
    *n = 0;
    if (!f) {
        cli_message("neardup: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (*n == cap && !(ids = realloc(ids, (cap = cap ? 2 * cap : 64) * sizeof(*ids))))
            break;
        ids[(*n)++] = strdup(line);
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return ids ? ids : calloc(1, sizeof(*ids));
}

static int run_remove(const index_config *cfg)
{
    if (!cfg->ids)
        cli_usage_error("neardup index remove needs --ids FILE (one id per line)");
    size_t n;
    char **ids = read_ids(cfg->ids, &n);
    if (!ids)
        return ND_EXIT_INPUT;
    nd_index *x = open_index(cfg, ND_INDEX_WRITE);
    uint64_t removed = 0, unknown = 0;
    const int rc = x ? nd_index_remove(x, (const char *const *)ids, n, &removed, &unknown) : 0;
    if (rc < 0)
        cli_message("neardup: %s: %s (nothing removed)\n", cfg->db, nd_strerror(rc));
    else if (x && cfg->verbosity)
        cli_message("neardup: %llu documents removed from %s, %llu ids not in it\n",
                    (unsigned long long)removed, cfg->db, (unsigned long long)unknown);
    nd_index_close(x);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return !x || rc < 0 ? ND_EXIT_INPUT : ND_EXIT_OK;
}

static int run_expire(const index_config *cfg)
{
    int64_t before;
    if (!cfg->before == isnan(cfg->keep_days))
        cli_usage_error("neardup index expire needs --before DATE or --keep DAYS");
    if (cfg->before && nd_parse_date(cfg->before, &before) < 0)
        cli_usage_error("--before: '%s' is not an ISO 8601 date (2026-12-05 or "
                        "2026-12-05T10:00:00Z)",
                        cfg->before);
    if (!cfg->before)
        before = (int64_t)time(NULL) - (int64_t)(cfg->keep_days * 86400);
    nd_index *x = open_index(cfg, ND_INDEX_WRITE);
    uint64_t removed = 0;
    const int rc = x ? nd_index_expire(x, before, &removed) : 0;
    if (rc < 0)
        cli_message("neardup: %s: %s (nothing removed)\n", cfg->db, nd_strerror(rc));
    else if (x && cfg->verbosity)
        cli_message("neardup: %llu documents expired from %s\n", (unsigned long long)removed,
                    cfg->db);
    nd_index_close(x);
    return !x || rc < 0 ? ND_EXIT_INPUT : ND_EXIT_OK;
}

static void print_date(const char *name, int64_t date)
{
    char text[32] = "none";
    const time_t t = (time_t)date;
    struct tm tm;
    if (date != ND_NO_DATE && gmtime_r(&t, &tm))
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("%-12s %s\n", name, text);
}

static int run_stats(const index_config *cfg)
{
    nd_index *x = open_index(cfg, ND_INDEX_READ);
    nd_index_info info;
    const int rc = x ? nd_index_get_info(x, &info) : 0;
    if (x && rc == 0) {
        const nd_options *o = nd_index_options(x);
        printf("documents    %llu\nbytes        %llu\n", (unsigned long long)info.n_docs,
               (unsigned long long)info.n_bytes);
        print_date("first date", info.first_date);
        print_date("last date", info.last_date);
        printf("file         %llu bytes (%llu in use, %llu in tables), %.0f per document\n",
               (unsigned long long)info.file_bytes, (unsigned long long)info.used_bytes,
               (unsigned long long)info.data_bytes,
               info.n_docs ? (double)info.data_bytes / (double)info.n_docs : 0.0);
        printf("band keys    %llu\nschema       %d\n", (unsigned long long)info.n_band_keys,
               info.schema);
        static const char *const htmls[] = {"auto", "text", "off"};
        printf("options      --threshold %g --shingle %d --shingle-unit %s --char-ngram %d "
               "--num-perm %d --seed %llu --normalize %s --html=%s%s",
               o->threshold, o->shingle_k, o->shingle_unit == ND_UNIT_CHAR ? "char" : "word",
               o->char_ngram, o->num_perm, (unsigned long long)o->seed,
               o->normalize == ND_NORMALIZE_FULL    ? "full"
               : o->normalize == ND_NORMALIZE_BASIC ? "basic"
                                                    : "none",
               htmls[o->html], o->html_main ? " --html-main" : "");
        if (o->charset)
            printf(" --charset %s", o->charset); /* (a name ICU knows: letters, digits, -_:) */
        printf("\n");
    } else if (x) {
        cli_message("neardup: %s: %s\n", cfg->db, nd_strerror(rc));
    }
    nd_index_close(x);
    return !x || rc < 0 ? ND_EXIT_INPUT : ND_EXIT_OK;
}

static int run_check(const index_config *cfg)
{
    nd_index *x = open_index(cfg, ND_INDEX_READ);
    char why[512] = "";
    const int rc = x ? nd_index_check(x, why, sizeof(why)) : 0;
    if (x && rc < 0)
        cli_message("neardup: %s: %s\n", cfg->db, why[0] ? why : nd_strerror(rc));
    else if (x && cfg->verbosity)
        cli_message("neardup: %s: every key points to a live document; the counts agree\n",
                    cfg->db);
    nd_index_close(x);
    return !x || rc < 0 ? ND_EXIT_INPUT : ND_EXIT_OK;
}

static int run_compact(const index_config *cfg)
{
    nd_index *x = open_index(cfg, ND_INDEX_WRITE);
    const int rc = x ? nd_index_compact(x) : 0;
    if (x && rc == ND_EBUSY)
        cli_message("neardup: %s: another process has the index open; compact it when none "
                    "does (the index is as it was)\n",
                    cfg->db);
    else if (x && rc < 0)
        cli_message("neardup: %s: cannot compact: %s (the index is as it was)\n", cfg->db,
                    rc == ND_EIO ? strerror(errno) : nd_strerror(rc));
    nd_index_close(x);
    return !x || rc < 0 ? ND_EXIT_INPUT : ND_EXIT_OK;
}

int cli_index_main(int argc, char **argv)
{
    static const char *const commands[] = {"create", "add",   "query",   "remove", "expire",
                                           "stats",  "check", "compact", NULL};
    static int (*const runs[])(const index_config *) = {
        run_create, run_feed, run_feed, run_remove, run_expire, run_stats, run_check, run_compact};
    const nd_options defaults = ND_OPTIONS_INIT;
    index_config cfg = {.opts = defaults, .keep_days = NAN, .lock_timeout = -1, .verbosity = 1};
    int c;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        index_usage();
        return argc < 2 ? ND_EXIT_USAGE : ND_EXIT_OK;
    }
    const int command = cli_parse_word("index", argv[1], commands);
    cfg.command = commands[command];
    opterr = 0;
    optind = 2;
    while ((c = getopt_long(argc, argv, ":qvh", index_options, NULL)) != -1)
        parse_index_option(c, c == '?' || c == ':' ? argv[optind - 1] : optarg, &cfg);
    if (optind == argc)
        cli_usage_error("neardup index %s: name the index (a file)", cfg.command);
    cfg.db = argv[optind++];
    cfg.inputs = argv + optind;
    cfg.n_inputs = (size_t)(argc - optind);
    if (cfg.n_inputs && strcmp(cfg.command, "add") && strcmp(cfg.command, "query"))
        cli_usage_error("neardup index %s takes no input: '%s'", cfg.command, cfg.inputs[0]);
    return runs[command](&cfg);
}
