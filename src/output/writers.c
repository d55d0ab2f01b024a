/*
 * writers.c: results -> CSV (RFC 4180) or JSONL, with the same keys.
 *
 * CSV: a header row even when there are no rows, every string field quoted
 * (a quote doubled inside), numbers bare, CRLF line ends, UTF-8 without BOM.
 * ND_FORMAT_CSV_SAFE: the same, but a string cell that begins with = + - @, a tab or a
 * carriage return starts with a single quote, which spreadsheets take as "this is text".
 * JSONL: one object per line with the CSV header's names as keys.
 * Text that is not valid UTF-8 (an id, a passage of a broken file) is written
 * with U+FFFD in place of each bad byte, so the output is always valid UTF-8;
 * the byte offsets still refer to the original bytes.
 */
#define _DEFAULT_SOURCE
#include "input/jsonl.h"
#include "output/crawl_stats.h"
#include "output/result.h"
#include "output/table.h"
#include "output/text_store.h"
#include "common/utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int finish(FILE *out)
{
    return fflush(out) != 0 || ferror(out) ? ND_EIO : 0;
}

static const char *doc_id(const nd_result *r, uint32_t doc)
{
    return r->corpus->docs[doc].id;
}

int nd_write_pairs(const nd_result *r, FILE *out, nd_format format)
{
    static const char *const cols[] = {"doc_a",           "doc_b",   "jaccard", "jaccard_est",
                                       "shared_shingles", "cluster", NULL};
    table t;
    table_begin(&t, out, format, cols);
    for (size_t i = 0; i < r->n_pairs; i++) {
        const nd_pair *p = &r->pairs[i];
        put_str(&t, doc_id(r, p->doc_a));
        put_str(&t, doc_id(r, p->doc_b));
        put_real(&t, p->jaccard);
        put_real(&t, p->jaccard_est);
        put_u64(&t, p->shared);
        put_u64(&t, p->cluster);
        table_end_row(&t);
    }
    return finish(out);
}

int nd_write_clusters(const nd_result *r, FILE *out, nd_format format)
{
    static const char *const cols[] = {"cluster", "doc", "size", "representative", NULL};
    table t;
    table_begin(&t, out, format, cols);
    for (size_t i = 0; i < r->n_members; i++) {
        const nd_member *m = &r->members[i];
        put_u64(&t, m->cluster);
        put_str(&t, doc_id(r, m->doc));
        put_u64(&t, m->size);
        put_u64(&t, m->doc == m->kept_doc); /* the representative column: 1 or 0 */
        table_end_row(&t);
    }
    return finish(out);
}

int nd_write_remove(const nd_result *r, FILE *out, nd_format format)
{
    static const char *const cols[] = {"doc", "duplicate_of", "jaccard", NULL};
    const nd_corpus *c = r->corpus;
    table t;
    table_begin(&t, out, format, cols);
    for (size_t i = 0; i < r->n_members; i++) {
        const nd_member *m = &r->members[i];
        if (m->doc == m->kept_doc)
            continue;
        put_str(&t, c->docs[m->doc].id);
        put_str(&t, c->docs[m->kept_doc].id);
        put_real(&t, r->kept_jaccard[i]);
        table_end_row(&t);
    }
    return finish(out);
}

/* Says which input could not be read again for an output, through the diagnostics (the
 * caller names the output); rc is the reader's code, errno its errno (0 when the read came
 * short), why what the JSONL reader found wrong, if anything. */
static void report_reread(const nd_corpus *c, const nd_doc *d, int rc, const char *why)
{
    const char *path = c->sources[d->source].path;
    const int64_t offset = d->kind == ND_DOC_JSONL_LINE ? (int64_t)d->offset : -1;
    const int err = errno;
    if (rc == ND_ENOMEM)
        return; /* nothing wrong with the file */
    if (why && *why)
        nd_report(c, ND_DIAG_ERROR, rc, path, offset, "changed since it was scanned: %s", why);
    else if (rc == ND_EIO && err)
        nd_report(c, ND_DIAG_ERROR, rc, path, offset, "cannot be read again for the output: %s",
                  strerror(err));
    else
        nd_report(c, ND_DIAG_ERROR, rc, path, offset, "changed since it was scanned");
}

int nd_write_kept_lines(const nd_result *r, FILE *out)
{
    const nd_corpus *c = r->corpus;
    bool *dropped = calloc(c->n_docs ? c->n_docs : 1, sizeof(*dropped));
    nd_reader reader = ND_READER_INIT;
    int rc = dropped ? 0 : ND_ENOMEM;
    for (size_t i = 0; rc == 0 && i < r->n_members; i++)
        dropped[r->members[i].doc] = r->members[i].doc != r->members[i].kept_doc;
    for (size_t i = 0; rc == 0 && i < c->n_docs; i++) {
        const nd_doc *d = &c->docs[i];
        const unsigned char *line;
        if (d->kind != ND_DOC_JSONL_LINE || dropped[i] || d->status == ND_DOC_SKIPPED)
            continue;
        errno = 0;
        rc = nd_doc_line(c, &reader, d, &line);
        if (rc == 0 && nd_doc_changed(&reader, d))
            rc = ND_EIO; /* errno 0: "changed since it was scanned" */
        if (rc < 0)
            report_reread(c, d, rc, NULL);
        if (rc == 0 && (fwrite(line, 1, d->length, out) != d->length || fputc('\n', out) == EOF))
            rc = ND_EIO;
    }
    nd_reader_dispose(&reader);
    free(dropped);
    return rc < 0 ? rc : finish(out);
}

/* The texts the passages name: those the texts stage read (r->texts), and the others
 * read once here and kept while they fit in half the plan's text_cache share (past it the
 * cache starts afresh: a document may then be read again). */
typedef struct text_cache {
    const nd_result *r;
    nd_reader *reader;
    nd_text_view work;     /* makes the views, with the parser and converter they need */
    nd_stored_text *texts; /* per document */
    uint32_t *loaded;      /* the documents held */
    size_t n_loaded, held, budget;
} text_cache;

/* Drops every text held but keep's (the other document of the passage being written;
 * UINT32_MAX for none). */
static void cache_clear(text_cache *cache, uint32_t keep)
{
    size_t kept = 0;
    cache->held = 0;
    for (size_t i = 0; i < cache->n_loaded; i++) {
        nd_stored_text *t = &cache->texts[cache->loaded[i]];
        if (cache->loaded[i] != keep) {
            nd_stored_text_dispose(t);
            continue;
        }
        cache->loaded[kept++] = keep;
        cache->held += nd_stored_text_bytes(t);
    }
    cache->n_loaded = kept;
}

/* The text of body bytes [start, end) of t: the bytes, or the view's text of them. */
static void put_text_of(table *tb, const nd_stored_text *t, uint32_t start, uint32_t end)
{
    if (!t->view) {
        put_text(tb, t->bytes + start, end - start);
        return;
    }
    uint32_t from, to;
    nd_text_view_span(t->view, start, end, &from, &to);
    put_text(tb, t->view->text + from, to - from);
}

static int cache_get(text_cache *cache, uint32_t doc, uint32_t keep, const nd_stored_text **out)
{
    const nd_text_store *store = &cache->r->texts;
    if (store->texts && store->texts[doc].bytes) {
        *out = &store->texts[doc];
        return 0;
    }
    nd_stored_text *t = &cache->texts[doc];
    if (!t->bytes) {
        const nd_doc *d = &cache->r->corpus->docs[doc];
        char why[256] = "";
        if (cache->held + d->n_bytes > cache->budget)
            cache_clear(cache, keep);
        const int rc = nd_stored_text_load(cache->r->corpus, cache->reader, &cache->work, d, t, why,
                                           sizeof(why));
        if (rc < 0) {
            report_reread(cache->r->corpus, d, rc, why);
            return rc;
        }
        cache->loaded[cache->n_loaded++] = doc;
        cache->held += nd_stored_text_bytes(t);
    }
    *out = t;
    return 0;
}

static int put_passage(table *t, const nd_result *r, size_t i, text_cache *cache, bool with_text)
{
    const nd_passage *p = &r->passages[i];
    const nd_stored_text *a, *b;
    int rc = cache_get(cache, p->doc_a, UINT32_MAX, &a);
    if (rc == 0)
        rc = cache_get(cache, p->doc_b, p->doc_a, &b);
    if (rc < 0)
        return rc;
    if (p->a_end > a->len || p->b_end > b->len) { /* the file changed since it was read */
        const uint32_t doc = p->a_end > a->len ? p->doc_a : p->doc_b;
        errno = 0;
        report_reread(r->corpus, &r->corpus->docs[doc], ND_EIO, "it is shorter now");
        return ND_EIO;
    }
    put_str(t, doc_id(r, p->doc_a));
    put_u64(t, p->a_start);
    put_u64(t, p->a_end);
    put_str(t, doc_id(r, p->doc_b));
    put_u64(t, p->b_start);
    put_u64(t, p->b_end);
    put_u64(t, nd_stored_text_chars_before(a, p->a_start));
    put_u64(t, nd_stored_text_chars_before(a, p->a_end));
    put_u64(t, nd_stored_text_chars_before(b, p->b_start));
    put_u64(t, nd_stored_text_chars_before(b, p->b_end));
    put_u64(t, p->words_a);
    put_u64(t, p->words_b);
    put_real(t, p->score);
    if (with_text) {
        put_text_of(t, a, p->a_start, p->a_end);
        put_text_of(t, b, p->b_start, p->b_end);
    }
    table_end_row(t);
    return 0;
}

static int text_cache_open(text_cache *cache, const nd_result *r, nd_reader *reader)
{
    const size_t n_docs = r->corpus->n_docs;
    *cache = (text_cache){.r = r,
                          .reader = reader,
                          .texts = calloc(n_docs + 1, sizeof(*cache->texts)),
                          .loaded = malloc((n_docs + 1) * sizeof(*cache->loaded)),
                          .budget = r->memory.text_cache / 2};
    return cache->texts && cache->loaded ? 0 : ND_ENOMEM;
}

static void text_cache_close(text_cache *cache)
{
    if (cache->texts)
        cache_clear(cache, UINT32_MAX);
    free(cache->texts);
    free(cache->loaded);
    nd_text_view_dispose(&cache->work);
}

static int put_place(table *t, const nd_result *r, size_t i, text_cache *cache, bool with_text)
{
    const nd_passage_place *p = &r->places[i];
    const nd_stored_text *text;
    const int rc = cache_get(cache, p->doc, UINT32_MAX, &text);
    if (rc < 0)
        return rc;
    if (p->end > text->len) { /* the file changed since it was read */
        errno = 0;
        report_reread(r->corpus, &r->corpus->docs[p->doc], ND_EIO, "it is shorter now");
        return ND_EIO;
    }
    put_u64(t, p->cluster);
    put_str(t, doc_id(r, p->doc));
    put_u64(t, p->start);
    put_u64(t, p->end);
    put_u64(t, nd_stored_text_chars_before(text, p->start));
    put_u64(t, nd_stored_text_chars_before(text, p->end));
    put_u64(t, p->words);
    if (with_text)
        put_text_of(t, text, p->start, p->end);
    table_end_row(t);
    return 0;
}

/* Writes n rows, each by put_row from the texts it names (read through one cache). */
typedef int (*put_row_fn)(table *t, const nd_result *r, size_t i, text_cache *cache,
                          bool with_text);

static int write_text_rows(const nd_result *r, FILE *out, nd_format format, const char *const *cols,
                           size_t n, put_row_fn put_row, bool with_text)
{
    table t;
    nd_reader reader = ND_READER_EXACT; /* one line at a time: they come in no order */
    text_cache cache;
    int rc = text_cache_open(&cache, r, &reader);
    table_begin(&t, out, format, cols);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = put_row(&t, r, i, &cache, with_text);
    text_cache_close(&cache);
    nd_reader_dispose(&reader);
    return rc < 0 ? rc : finish(out);
}

int nd_write_passage_clusters(const nd_result *r, FILE *out, nd_format format, int with_text)
{
    static const char *const cols[] = {"cluster",  "doc",   "start", "end", "char_start",
                                       "char_end", "words", "text",  NULL};
    static const char *const cols_no_text[] = {"cluster",    "doc",      "start", "end",
                                               "char_start", "char_end", "words", NULL};
    return write_text_rows(r, out, format, with_text ? cols : cols_no_text, r->n_places, put_place,
                           with_text);
}

int nd_write_passages(const nd_result *r, FILE *out, nd_format format, int with_text)
{
    static const char *const cols[] = {"doc_a",        "a_start",    "a_end",        "doc_b",
                                       "b_start",      "b_end",      "a_char_start", "a_char_end",
                                       "b_char_start", "b_char_end", "words_a",      "words_b",
                                       "score",        "text_a",     "text_b",       NULL};
    static const char *const cols_no_text[] = {
        "doc_a",      "a_start",      "a_end",      "doc_b",   "b_start", "b_end", "a_char_start",
        "a_char_end", "b_char_start", "b_char_end", "words_a", "words_b", "score", NULL};
    return write_text_rows(r, out, format, with_text ? cols : cols_no_text, r->n_passages,
                           put_passage, with_text);
}

/* ---------------------------------------------------------------- run info */

static void json_string(FILE *out, const char *s)
{
    table t = {out, false, false, NULL, 1};
    put_text_raw(&t, (const unsigned char *)s, strlen(s));
}

static void put_dup_count(FILE *out, const nd_dup_count *c)
{
    fprintf(out,
            "\"documents\":%llu,\"bytes\":%llu,\"duplicates\":%llu,\"duplicate_bytes\":%llu,"
            "\"duplicate_rate\":%.6f,\"duplicate_byte_rate\":%.6f",
            (unsigned long long)c->docs, (unsigned long long)c->bytes,
            (unsigned long long)c->dup_docs, (unsigned long long)c->dup_bytes,
            c->docs ? (double)c->dup_docs / (double)c->docs : 0.0,
            c->bytes ? (double)c->dup_bytes / (double)c->bytes : 0.0);
}

/* The crawl statistics (crawl_stats.h) as one JSON object: overall, by cluster size and
 * by host. */
static int put_crawl_stats(const nd_result *r, FILE *out)
{
    nd_crawl_stats cs;
    const int rc = nd_crawl_stats_of(r, &cs);
    if (rc < 0)
        return rc;
    fputc('{', out);
    put_dup_count(out, &cs.all);
    fprintf(out, ",\"clusters\":%llu,\"cluster_sizes\":[", (unsigned long long)r->stats.n_clusters);
    for (unsigned k = 0, first = 1; k < ND_SIZE_CLASSES; k++) {
        if (!cs.clusters[k])
            continue;
        fprintf(out, "%s{\"min\":%llu,\"max\":%llu,\"clusters\":%llu,\"documents\":%llu}",
                first ? "" : ",", (1ull << k) + 1, 2ull << k, (unsigned long long)cs.clusters[k],
                (unsigned long long)cs.clustered_docs[k]);
        first = 0;
    }
    fputs("],\"hosts\":[", out);
    for (size_t i = 0; i < cs.n_hosts; i++) {
        fputs(i ? ",{\"host\":" : "{\"host\":", out);
        json_string(out, cs.hosts[i].host);
        fputc(',', out);
        put_dup_count(out, &cs.hosts[i].count);
        fputc('}', out);
    }
    fputs("]}", out);
    nd_crawl_stats_dispose(&cs);
    return 0;
}

int nd_write_stats(const nd_result *r, FILE *out)
{
    const int rc = put_crawl_stats(r, out);
    if (rc < 0)
        return rc;
    fputc('\n', out);
    return finish(out);
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

_Static_assert(ND_STAGE_COUNT <= ND_STAGE_MAX, "nd_stats.seconds has no room for a new stage");

/* Closes the options and opens "input": the documents read as pages, and those read in
 * each charset other than UTF-8 (as the scan chose it, in the order ICU lists them). */
static void put_input_kinds(const nd_corpus *c, FILE *out)
{
    uint64_t pages = 0, per_charset[256] = {0};
    nd_charset charsets[256];
    size_t n_charsets = 0;
    for (size_t i = 0; i < c->n_docs; i++) {
        const nd_doc *d = &c->docs[i];
        pages += d->markup == ND_MARKUP_HTML;
        if (d->charset == ND_CHARSET_UTF8)
            continue;
        size_t k = 0;
        while (k < n_charsets && charsets[k] != d->charset)
            k++;
        if (k == n_charsets && n_charsets < 256)
            charsets[n_charsets++] = d->charset;
        if (k < n_charsets)
            per_charset[k]++;
    }
    fprintf(out, "},\n \"input\":{\"html_pages\":%llu,\"charsets\":{", (unsigned long long)pages);
    for (size_t k = 0; k < n_charsets; k++) {
        fputs(k ? "," : "", out);
        json_string(out, nd_charset_name(charsets[k]));
        fprintf(out, ":%llu", (unsigned long long)per_charset[k]);
    }
    fputc('}', out);
}

/* neardup-mpi's: what rank 0 received of the other ranks, in all and per document. */
static void put_exchange(const nd_result *r, FILE *out)
{
    const nd_exchange *x = &r->exchange;
    if (x->ranks == 0)
        return;
    const double docs = r->stats.n_docs ? (double)r->stats.n_docs : 1;
    fprintf(out,
            ",\n \"ranks\":{\"ranks\":%d,\"parts\":%zu,\"parts_from_work_dir\":%zu,"
            "\"bytes_to_rank0\":{\"scan\":%llu,\"candidates\":%llu,\"shingle_sets\":%llu},"
            "\"band_bytes_between_ranks\":%llu,\"pair_bytes_between_ranks\":%llu,"
            "\"set_bytes_between_ranks\":%llu,\"passage_bytes_between_ranks\":%llu,"
            "\"bytes_per_document\":{\"scan\":%.1f,\"bands\":%.1f,\"candidates\":%.1f,"
            "\"shingle_sets\":%.1f,\"pairs\":%.1f,\"sets_between_ranks\":%.1f,"
            "\"passages\":%.1f},"
            "\"shingle_sets_sent\":%llu,\"pairs_verified_by_other_ranks\":%llu}",
            x->ranks, x->parts, x->parts_reused, (unsigned long long)x->scan_bytes,
            (unsigned long long)x->candidates_bytes, (unsigned long long)x->sets_bytes,
            (unsigned long long)x->bands_bytes, (unsigned long long)x->pairs_bytes,
            (unsigned long long)x->swapped_bytes, (unsigned long long)x->passages_bytes,
            (double)x->scan_bytes / docs, (double)x->bands_bytes / docs,
            (double)x->candidates_bytes / docs, (double)x->sets_bytes / docs,
            (double)x->pairs_bytes / docs, (double)x->swapped_bytes / docs,
            (double)x->passages_bytes / docs, (unsigned long long)x->sets_docs,
            (unsigned long long)x->pairs_verified);
}

int nd_write_run_info(const nd_result *r, FILE *out)
{
    static const char *const stage_names[ND_STAGE_COUNT] = {"list",   "scan",    "lsh",
                                                            "verify", "cluster", "passages"};
    static const char *const normalize[] = {"none", "basic", "full"};
    static const char *const html_modes[] = {"auto", "text", "off"};
    const nd_options *o = &r->corpus->opts;
    const nd_stats *s = &r->stats;
    char versions[128], icu[32] = "", xxh[32] = "";
    nd_version_details(versions, sizeof(versions));
    sscanf(strstr(versions, "ICU ") + 4, "%31[^,]", icu);
    sscanf(strstr(versions, "xxHash ") + 7, "%31[^)]", xxh);
    fprintf(out, "{\"neardup\":\"%s\",\"icu\":\"%s\",\"xxhash\":\"%s\",\n", nd_version(), icu, xxh);
    fprintf(out,
            " \"options\":{\"normalize\":\"%s\",\"engine\":\"%s\",\"shingle_unit\":\"%s\","
            "\"shingle\":%d,\"char_ngram\":%d,\"num_perm\":%d,\"seed\":%llu,\"threshold\":%g,"
            "\"bands\":%d,\"rows\":%d,\"verify\":\"%s\",\"keep\":\"%s\",\"passages\":%s,"
            "\"max_gap\":%d,\"min_passage\":%d,\"max_df\":%d,\"strict\":%s,\"threads\":%d,"
            "\"id_key\":",
            normalize[o->normalize], o->engine == ND_ENGINE_FAST ? "fast" : "icu",
            o->shingle_unit == ND_UNIT_WORD ? "word" : "char", o->shingle_k, o->char_ngram,
            o->num_perm, (unsigned long long)o->seed, o->threshold, s->bands, s->rows,
            o->verify == ND_VERIFY_EXACT ? "exact" : "estimate",
            o->keep == ND_KEEP_FIRST ? "first" : "longest", o->passages ? "true" : "false",
            o->max_gap, o->min_passage, o->max_df, o->strict ? "true" : "false", o->threads);
    json_string(out, o->id_key);
    fputs(",\"text_key\":", out);
    json_string(out, o->text_key);
    fprintf(out, ",\"html\":\"%s\",\"html_main\":%s,\"charset\":", html_modes[o->html],
            o->html_main ? "true" : "false");
    if (o->charset)
        json_string(out, o->charset);
    else
        fputs("null", out);
    put_input_kinds(r->corpus, out);
    fprintf(out,
            "},\n \"counts\":{\"documents\":%llu,\"bytes\":%llu,\"words\":%llu,\"shingles\":%llu,"
            "\"empty\":%llu,\"skipped\":%llu,\"invalid_utf8\":%llu,\"candidate_pairs\":%llu,"
            "\"pairs\":%llu,\"clusters\":%llu,\"duplicates\":%llu,\"passages\":%llu,"
            "\"capped_shingles\":%llu,\"spilled_runs\":%llu},\n \"seconds\":{",
            (unsigned long long)s->n_docs, (unsigned long long)s->n_bytes,
            (unsigned long long)s->n_tokens, (unsigned long long)s->n_shingles,
            (unsigned long long)s->n_empty, (unsigned long long)s->n_skipped,
            (unsigned long long)s->n_invalid_utf8, (unsigned long long)s->n_candidates,
            (unsigned long long)s->n_pairs, (unsigned long long)s->n_clusters,
            (unsigned long long)s->n_duplicates, (unsigned long long)s->n_passages,
            (unsigned long long)s->n_capped_shingles, (unsigned long long)s->n_spilled_runs);
    for (int i = 0; i < ND_STAGE_COUNT; i++)
        fprintf(out, "%s\"%s\":%.6f", i ? "," : "", stage_names[i], s->seconds[i]);
    fputs("},\n \"memory_plan\":{", out);
    for (size_t i = 0; i < nd_result_n_memory_shares(r); i++) {
        uint64_t bytes;
        const char *name = nd_result_memory_share(r, i, &bytes);
        fprintf(out, "%s\"%s\":%llu", i ? "," : "", name, (unsigned long long)bytes);
    }
    fputc('}', out);
    put_exchange(r, out);
    fputs(",\n \"crawl\":", out);
    const int rc = put_crawl_stats(r, out);
    if (rc < 0)
        return rc;
    fprintf(out, ",\n \"peak_rss_kib\":%ld}\n", peak_rss_kib());
    return finish(out);
}
