/*
 * index_feed.c: nd_index_feed, a corpus's documents checked against the index and the
 * documents before them, in input order, and added.
 *
 *   scan (the batch tool's) -> band keys -> candidates (the index's band table, and this
 *   corpus's earlier documents) -> the archived candidates' texts, scanned as one corpus
 *   -> in input order: exact Jaccard, verdict, added (its text compressed)
 *
 * Every document of a feed gets the number base + its position (base: the index's next
 * number), added or not: a candidate's number tells whether it is archived (below base)
 * or of this corpus, and earlier means a smaller number, whichever way it was found. The
 * index keeps texts, not shingle sets (a third of the bytes): a candidate's shingles are
 * made again by the same scan that made the batch tool's, so its Jaccard is the batch's.
 */
#include "index/index_result.h"
#include "index/texts.h"
#include "index/writer.h"

#include "input/jsonl.h"
#include "passages/passages.h"
#include "scan/bands.h"
#include "scan/scan.h"
#include "text/minhash.h"
#include "common/radix.h"

#include <stdlib.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- scanned corpora */

/* A corpus after the scan stage: its shingles and signatures in a context's scratch
 * file (the archived texts' go into the same context as the feed's corpus: a second
 * scratch file and its mappings cost more than a query's scans). */
typedef struct scanned {
    nd_corpus *c;
    nd_run_ctx own, *ctx;
    nd_scan_out scan;
    uint64_t *sorted_at; /* per document: 1 + where its sorted set was appended, 0: not yet */
    uint32_t *sorted_n;
    uint64_t *sort_buf;
    size_t sort_cap;
} scanned;

/* Scans c in ctx, or in a context of its own when ctx is NULL. */
static int scan_corpus(scanned *s, nd_corpus *c, nd_run_ctx *ctx, const nd_index *x, bool report)
{
    nd_stats stats = {0};
    int rc = 0;
    s->c = c;
    /* (no band records: the feed makes the band keys from the signatures) */
    if (!ctx && (rc = nd_run_ctx_open(&s->own, &c->opts, 0, 0, c->diag, c->diag_payload)) == 0) {
        ctx = &s->own;
        ctx->classes = x->classes;
    }
    s->ctx = ctx;
    if (rc == 0)
        rc = nd_scan_stage(ctx, c, &s->scan);
    if (rc == 0 && report)
        rc = nd_scan_report(ctx, c, &stats);
    return rc;
}

static void scanned_close(scanned *s)
{
    free(s->sorted_at);
    free(s->sorted_n);
    free(s->sort_buf);
    nd_scan_out_free(&s->scan);
    if (s->ctx == &s->own)
        nd_run_ctx_close(&s->own);
}

/* Sorts document doc's shingles, drops repeats and appends them to the scratch file. */
static int sort_once(scanned *s, uint32_t doc)
{
    const nd_doc *d = &s->c->docs[doc];
    const size_t bytes = (size_t)d->n_shingles * sizeof(uint64_t);
    const void *h = bytes ? nd_spill_view(s->ctx->spill, d->shingles_off, bytes) : NULL;
    if (bytes && !h)
        return ND_EIO;
    if (ND_GROW(s->sort_buf, s->sort_cap, d->n_shingles + 1) < 0)
        return ND_ENOMEM;
    uint64_t *v = s->sort_buf;
    if (bytes)
        memcpy(v, h, bytes);
    nd_radix_sort_u64_in_place(v, d->n_shingles);
    uint32_t n = 0;
    for (size_t i = 0; i < d->n_shingles; i++)
        if (n == 0 || v[i] != v[n - 1])
            v[n++] = v[i];
    uint64_t at = 0;
    const int rc = n ? nd_spill_append(s->ctx->spill, v, (size_t)n * sizeof(*v), &at) : 0;
    s->sorted_at[doc] = at + 1;
    s->sorted_n[doc] = n;
    return rc;
}

/* A scanned document's shingles, sorted and distinct, into *buf (n of them): sorted once
 * (a document is a candidate of every later copy of its text) and read back from the
 * scratch file after that. (Read, not viewed: a view of bytes appended since the last
 * one maps the scratch file anew.) */
static int sorted_set(scanned *s, uint32_t doc, uint64_t **buf, size_t *cap, size_t *n)
{
    if (!s->sorted_at && (!(s->sorted_at = calloc(s->c->n_docs, sizeof(*s->sorted_at))) ||
                          !(s->sorted_n = calloc(s->c->n_docs, sizeof(*s->sorted_n)))))
        return ND_ENOMEM;
    int rc = s->sorted_at[doc] ? 0 : sort_once(s, doc);
    *n = s->sorted_n[doc];
    if (rc == 0 && ND_GROW(*buf, *cap, *n + 1) < 0)
        rc = ND_ENOMEM;
    if (rc == 0 && *n)
        rc = nd_spill_read(s->ctx->spill, s->sorted_at[doc] - 1, *buf, *n * sizeof(**buf));
    return rc;
}

static const uint32_t *doc_sig(scanned *s, uint32_t doc)
{
    return nd_spill_view(s->ctx->spill, s->c->docs[doc].sig_off, (size_t)s->c->opts.num_perm * 4);
}

/* Shingles in both sorted sets. */
static uint32_t shared_count(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0;
    uint32_t both = 0;
    while (i < na && j < nb) {
        const uint64_t x = a[i], y = b[j];
        both += x == y;
        i += x <= y;
        j += y <= x;
    }
    return both;
}

/* ---------------------------------------------------------------- band keys in memory */

/* The band keys of this corpus's documents: chained lists from a table of heads. */
typedef struct band_entry {
    uint64_t hash;
    uint32_t band, doc, next; /* next: 1 + the entry after it, 0 at the end */
} band_entry;

typedef struct band_memory {
    uint32_t *head; /* 1 + the first entry of each slot, 0 when none */
    size_t mask;
    band_entry *e;
    size_t n, cap;
} band_memory;

static int band_memory_init(band_memory *m, size_t entries)
{
    size_t slots = 1024;
    while (slots < 2 * entries)
        slots *= 2;
    m->head = calloc(slots, sizeof(*m->head));
    m->mask = slots - 1;
    return m->head ? 0 : ND_ENOMEM;
}

static size_t band_slot(const band_memory *m, uint32_t band, uint64_t hash)
{
    return (size_t)nd_mix64(hash + band) & m->mask;
}

static int band_memory_add(band_memory *m, const nd_band_record *rec, int bands)
{
    if (ND_GROW(m->e, m->cap, m->n + (size_t)bands) < 0)
        return ND_ENOMEM;
    for (int b = 0; b < bands; b++) {
        const size_t s = band_slot(m, rec[b].band, rec[b].hash);
        m->e[m->n] = (band_entry){rec[b].hash, rec[b].band, rec[b].doc, m->head[s]};
        m->head[s] = (uint32_t)++m->n;
    }
    return 0;
}

/* ---------------------------------------------------------------- the feed */

/* The archived candidates of a feed, by number, with what the matches name. */
typedef struct archived_docs {
    uint64_t *number;
    int64_t *date;
    size_t n;
    nd_corpus *texts; /* their texts, document k the k-th number */
    scanned scanned;
} archived_docs;

typedef struct feed {
    nd_index *x;
    nd_corpus *c;
    const nd_index_feed_options *fo;
    scanned main;
    MDB_txn *txn;
    bool own_txn; /* a read transaction of this feed's own */
    uint64_t base;
    nd_band_record *rec;
    uint64_t *cand; /* the candidates of document i: cand[cand_at[i] .. cand_at[i + 1]) */
    size_t *cand_at, n_cand, cand_cap;
    archived_docs archived;
    bool *gone;        /* per document of the corpus: replaced, or refused (its id) */
    uint64_t *removed; /* archived documents replaced during the feed */
    size_t n_removed, removed_cap;
    uint64_t *set, *other; /* sorted distinct shingles of the document, and of a candidate */
    size_t set_cap, other_cap;
    uint64_t *hashes;   /* a document's band hashes */
    nd_reader reader;   /* the corpus's documents in input order, a window at a time */
    nd_reader quoting;  /* a match's document, for its passages: in no order */
    unsigned char *buf; /* a date or a text read again */
    size_t buf_cap;
    unsigned char *z; /* a compressed text */
    size_t z_cap;
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    nd_token *toks[2]; /* the words of a document and of a match, for passages */
    size_t toks_cap[2];
    unsigned char *text[2]; /* their texts */
    size_t text_cap[2];
    nd_index_result *r;
} feed;

/* ---------------------------------------------------------------- candidates */

static int add_candidate(feed *f, uint64_t number)
{
    if (ND_GROW(f->cand, f->cand_cap, f->n_cand + 1) < 0)
        return ND_ENOMEM;
    f->cand[f->n_cand++] = number;
    return 0;
}

static int archived_candidate(void *payload, uint64_t number)
{
    feed *f = payload;
    return number < f->base ? add_candidate(f, number) : 0;
}

/* The archived documents under each key of rec (numbers below base: this feed's own
 * additions are found in memory). */
static int archived_candidates(feed *f, const nd_band_record *rec)
{
    int rc = 0;
    for (int b = 0; b < f->x->bands_n && rc == 0; b++)
        rc = nd_view_band_docs(f->x, f->txn, rec[b].band, rec[b].hash, archived_candidate, f);
    return rc;
}

static int earlier_candidates(feed *f, const band_memory *m, const nd_band_record *rec)
{
    int rc = 0;
    for (int b = 0; b < f->x->bands_n && rc == 0; b++)
        for (uint32_t e = m->head[band_slot(m, rec[b].band, rec[b].hash)]; e && rc == 0;
             e = m->e[e - 1].next)
            if (m->e[e - 1].band == rec[b].band && m->e[e - 1].hash == rec[b].hash)
                rc = add_candidate(f, f->base + m->e[e - 1].doc);
    return rc;
}

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts v[0..n) and drops repeats; the count left. */
static size_t sort_unique(uint64_t *v, size_t n)
{
    nd_sort(v, n, sizeof(*v), compare_u64);
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (out == 0 || v[i] != v[out - 1])
            v[out++] = v[i];
    return out;
}

/* Every document's candidates: the earlier documents sharing one of its band keys, by
 * number, once each. */
static int find_candidates(feed *f)
{
    band_memory memory = {0};
    const nd_corpus *c = f->c;
    int rc = band_memory_init(&memory, c->n_docs * (size_t)f->x->bands_n);
    for (uint32_t i = 0; rc == 0 && i < c->n_docs; i++) {
        f->cand_at[i] = f->n_cand;
        if (c->docs[i].status != ND_DOC_OK)
            continue;
        const uint32_t *sig = doc_sig(&f->main, i);
        if (!sig) {
            rc = ND_EIO;
            break;
        }
        nd_lsh_band_records(sig, i, f->x->bands_n, f->x->rows, f->rec);
        if (f->fo->query && (rc = archived_candidates(f, f->rec)) == 0)
            rc = earlier_candidates(f, &memory, f->rec);
        f->n_cand = f->cand_at[i] + sort_unique(f->cand + f->cand_at[i], f->n_cand - f->cand_at[i]);
        if (rc == 0)
            rc = band_memory_add(&memory, f->rec, f->x->bands_n);
    }
    f->cand_at[c->n_docs] = f->n_cand;
    free(memory.head);
    free(memory.e);
    return rc;
}

/* ---------------------------------------------------------------- archived texts */

/* Decompresses archived document number's text and adds it to the corpus of texts. */
static int add_archived_text(feed *f, uint64_t number, const nd_stored_doc *d, char *id)
{
    int rc = nd_view_get_text(f->x, f->txn, number, &d->head, &f->z, &f->z_cap);
    if (rc < 0 || ND_GROW(f->buf, f->buf_cap, d->head.n_bytes + 1) < 0)
        return rc < 0 ? rc : ND_ENOMEM;
    rc = nd_texts_decompress(f->x, f->dctx, f->z, d->head.z_len, f->buf, d->head.n_bytes);
    return rc < 0 ? rc : nd_corpus_add_memory(f->archived.texts, id, f->buf, d->head.n_bytes);
}

/* The archived candidates of every document, their texts read and scanned as one corpus. */
static int load_archived(feed *f)
{
    archived_docs *a = &f->archived;
    size_t n = 0;
    a->number = malloc((f->n_cand + 1) * sizeof(*a->number));
    int rc = a->number ? nd_corpus_new(&a->texts, &f->c->opts) : ND_ENOMEM;
    for (size_t i = 0; rc == 0 && i < f->n_cand; i++)
        if (f->cand[i] < f->base)
            a->number[n++] = f->cand[i];
    a->n = sort_unique(a->number, n);
    a->date = malloc((a->n + 1) * sizeof(*a->date));
    if (rc == 0 && !a->date)
        rc = ND_ENOMEM;
    for (size_t k = 0; rc == 0 && k < a->n; k++) {
        nd_stored_doc d;
        rc = nd_view_get_doc(f->x, f->txn, a->number[k], &d);
        if (rc == MDB_NOTFOUND)
            rc = ND_EINDEX; /* a band key of no document: index check tells */
        char *id = rc == 0 ? malloc(d.head.id_len + 1) : NULL;
        if (rc == 0 && !id)
            rc = ND_ENOMEM;
        if (rc == 0) {
            memcpy(id, d.id, d.head.id_len);
            id[d.head.id_len] = '\0';
            a->date[k] = d.head.date;
            rc = add_archived_text(f, a->number[k], &d, id);
        }
        free(id);
    }
    return rc == 0 && a->n ? scan_corpus(&a->scanned, a->texts, f->main.ctx, f->x, false) : rc;
}

/* ---------------------------------------------------------------- passages */

/* The words of scanned document doc into slot. */
static int load_words(feed *f, const scanned *s, uint32_t doc, int slot, nd_token_seq *out)
{
    const nd_doc *d = &s->c->docs[doc];
    *out = (nd_token_seq){NULL, 0};
    if (!d->has_tokens)
        return 0;
    if (ND_GROW(f->toks[slot], f->toks_cap[slot], (size_t)d->n_tokens + 1) < 0)
        return ND_ENOMEM;
    *out = (nd_token_seq){f->toks[slot], d->n_tokens};
    return nd_spill_read(s->ctx->spill, d->tokens_off, f->toks[slot],
                         (size_t)d->n_tokens * sizeof(nd_token));
}

/* The text of scanned document doc: an archived one's is in memory, one of this corpus is
 * read again into slot. */
static int load_text(feed *f, const scanned *s, uint32_t doc, int slot, const unsigned char **out)
{
    const nd_doc *d = &s->c->docs[doc];
    const nd_source *src = &s->c->sources[d->source];
    size_t len;
    char why[256];
    if (s != &f->main && src->data) {
        *out = src->data;
        return 0;
    }
    const int rc = nd_doc_read(s->c, &f->quoting, d, &f->text[slot], &f->text_cap[slot], &len, NULL,
                               why, sizeof(why));
    *out = f->text[slot];
    return rc;
}

/* The passages document doc shares with its match m (the earlier document other of s). */
static int match_passages(feed *f, uint32_t doc, const nd_index_match *m, scanned *s,
                          uint32_t other)
{
    const nd_options *o = &f->c->opts;
    nd_token_seq words[2];
    const unsigned char *text_a = NULL, *text_b = NULL;
    int rc = load_words(f, &f->main, doc, 0, &words[0]);
    if (rc == 0)
        rc = load_words(f, s, other, 1, &words[1]);
    if (rc < 0 || !words[0].n || !words[1].n)
        return rc;
    const nd_passage_params p = {o->shingle_k,
                                 o->max_gap,
                                 o->min_passage,
                                 o->max_df,
                                 false,
                                 0,
                                 0,
                                 NULL,
                                 nd_run_sort_env(f->main.ctx, 1)};
    nd_passage *found = NULL;
    size_t n = 0;
    uint64_t capped;
    rc = nd_find_passages(words, 2, &p, &found, &n, &capped);
    if (rc == 0 && n)
        rc = load_text(f, &f->main, doc, 0, &text_a);
    if (rc == 0 && n)
        rc = load_text(f, s, other, 1, &text_b);
    for (size_t i = 0; rc == 0 && i < n; i++) /* (not the repeats inside either) */
        if (found[i].doc_a == 0 && found[i].doc_b == 1)
            rc = nd_index_result_add_passage(f->r, m, &found[i], text_a, text_b);
    free(found);
    return rc;
}

/* ---------------------------------------------------------------- verification */

static bool was_removed(const feed *f, uint64_t number)
{
    for (size_t i = 0; i < f->n_removed; i++)
        if (f->removed[i] == number)
            return true;
    return false;
}

/* Where candidate number's shingles and signature are: a document of this corpus, or of
 * the archived texts; NULL when it is gone. */
static scanned *candidate_source(feed *f, uint64_t number, uint32_t *doc)
{
    if (number >= f->base) {
        *doc = (uint32_t)(number - f->base);
        return f->gone[*doc] ? NULL : &f->main;
    }
    const archived_docs *a = &f->archived;
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (a->number[mid] < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    *doc = (uint32_t)lo;
    const bool live = a->texts->docs[lo].status == ND_DOC_OK && !was_removed(f, number);
    return live ? &f->archived.scanned : NULL;
}

/* The exact Jaccard of document doc (set f->set of n) and candidate number; a match into
 * the result when it reaches the threshold. */
static int verify_candidate(feed *f, uint32_t doc, size_t n, uint64_t number)
{
    uint32_t other;
    scanned *s = candidate_source(f, number, &other);
    size_t n_other;
    if (!s)
        return 0;
    int rc = sorted_set(s, other, &f->other, &f->other_cap, &n_other);
    const uint32_t *sig = doc_sig(s, other), *mine = doc_sig(&f->main, doc);
    if (rc < 0 || !sig || !mine)
        return rc < 0 ? rc : ND_EIO;
    const uint32_t both = shared_count(f->set, n, f->other, n_other);
    const size_t either = n + n_other - both;
    const double jaccard = either ? (double)both / (double)either : 0.0;
    if (jaccard < f->c->opts.threshold)
        return 0;
    const size_t at = f->r->n_matches;
    nd_index_match m = {
        .doc = doc,
        .archived = s != &f->main,
        .earlier = s == &f->main ? other : 0,
        .earlier_id = s->c->docs[other].id,
        .earlier_date = s == &f->main ? f->r->dates[other] : f->archived.date[other],
        .jaccard = jaccard,
        .jaccard_est = nd_minhash_estimate(mine, sig, f->c->opts.num_perm),
        .shared = both,
    };
    rc = nd_index_result_add_match(f->r, &m, m.earlier_id, strlen(m.earlier_id));
    return rc < 0 || !f->c->opts.passages ? rc
                                          : match_passages(f, doc, &f->r->matches[at], s, other);
}

/* ---------------------------------------------------------------- dates */

/* A JSONL document's date at the date key: ND_NO_DATE, with a warning, when there is
 * none or it is not an ISO 8601 date. */
static int64_t jsonl_date(feed *f, const nd_doc *d)
{
    const unsigned char *line;
    size_t len = 0;
    char why[128] = "";
    int64_t date = ND_NO_DATE;
    int rc = nd_doc_line(f->c, &f->reader, d, &line);
    if (rc == 0)
        rc = nd_jsonl_parse(line, d->length, f->c->opts.id_key, f->fo->date_key, &f->buf,
                            &f->buf_cap, &len, NULL, why, sizeof(why));
    if (rc == 0 && ND_GROW(f->buf, f->buf_cap, len + 1) == 0) {
        f->buf[len] = '\0';
        rc = nd_parse_date((const char *)f->buf, &date);
    }
    if (rc < 0)
        nd_report(f->c, ND_DIAG_WARNING, ND_EFORMAT, d->id, -1,
                  "no ISO 8601 date at key '%s': archived without a date", f->fo->date_key);
    return rc < 0 ? ND_NO_DATE : date;
}

/* A document's date: its JSONL date key, its WARC-Date, or its file's time. */
static int64_t doc_date(feed *f, const nd_doc *d)
{
    const nd_source *s = &f->c->sources[d->source];
    struct stat st;
    if (f->fo->date_key && d->kind == ND_DOC_JSONL_LINE)
        return jsonl_date(f, d);
    if (d->date != ND_NO_DATE)
        return d->date;
    if (d->kind == ND_DOC_WHOLE && !s->data && s->fd < 0 && stat(s->path, &st) == 0)
        return (int64_t)st.st_mtime;
    return ND_NO_DATE;
}

/* ---------------------------------------------------------------- one document */

/* Whether doc may be added: an id already archived is to be replaced (*replaces, else
 * UINT64_MAX), or an error. */
static int claim_id(feed *f, uint32_t doc, bool *ok, uint64_t *replaces)
{
    const nd_doc *d = &f->c->docs[doc];
    uint64_t number;
    bool found;
    *replaces = UINT64_MAX;
    int rc = nd_view_find_id(f->x, f->txn, d->id, &number, &found);
    *ok = rc == 0 && (!found || f->fo->replace);
    if (rc < 0 || !found)
        return rc;
    if (!f->fo->replace) {
        nd_report(f->c, ND_DIAG_ERROR, ND_EEXIST, d->id, -1,
                  "the index has a document of this id already (--replace replaces it)");
        f->gone[doc] = true;
        return 0;
    }
    /* (not compared with the document it replaces, which goes only if doc is added) */
    if (number >= f->base)
        f->gone[number - f->base] = true;
    else if (ND_GROW(f->removed, f->removed_cap, f->n_removed + 1) == 0)
        f->removed[f->n_removed++] = number;
    else
        return ND_ENOMEM;
    *replaces = number;
    return 0;
}

/* Document number, which doc was to replace, stays: doc is not added. */
static void keep_replaced(feed *f, uint64_t number)
{
    if (number >= f->base)
        f->gone[number - f->base] = false;
    else
        f->n_removed--; /* (the last noted) */
}

/* Adds document doc, its text read again and compressed. */
static int add_doc(feed *f, uint32_t doc)
{
    const nd_doc *d = &f->c->docs[doc];
    size_t len;
    char why[256];
    int rc = nd_doc_read(f->c, &f->reader, d, &f->buf, &f->buf_cap, &len, NULL, why, sizeof(why));
    if (rc == 0 && nd_doc_changed(&f->reader, d))
        rc = ND_EIO;
    if (rc < 0) { /* (the file changed or went since the scan read it) */
        nd_report(f->c, ND_DIAG_ERROR, rc, d->id, -1, "could not be read again to be added");
        return 0;
    }
    size_t z_len;
    if ((rc = nd_texts_compress(f->x, f->cctx, f->buf, len, &f->z, &f->z_cap, &z_len)) < 0)
        return rc;
    uint64_t *hashes = f->hashes;
    const uint32_t *sig = doc_sig(&f->main, doc);
    if (!sig)
        return ND_EIO;
    nd_lsh_band_records(sig, doc, f->x->bands_n, f->x->rows, f->rec);
    for (int b = 0; b < f->x->bands_n; b++)
        hashes[b] = f->rec[b].hash;
    const nd_stored_head head = {f->r->dates[doc], len, (uint32_t)z_len, (uint32_t)strlen(d->id)};
    f->r->verdicts[doc].added = 1;
    return nd_view_put_doc(f->x, f->txn, f->base + doc, &head, hashes, d->id, f->z);
}

static int feed_doc(feed *f, uint32_t doc)
{
    const nd_doc *d = &f->c->docs[doc];
    nd_index_verdict *v = &f->r->verdicts[doc];
    *v = (nd_index_verdict){doc, ND_VERDICT_ERROR, 0, SIZE_MAX};
    if (d->status != ND_DOC_OK) {
        v->kind = d->status == ND_DOC_EMPTY ? ND_VERDICT_EMPTY : ND_VERDICT_ERROR;
        return 0;
    }
    bool may_add = f->fo->add != ND_INDEX_ADD_NONE;
    uint64_t replaces = UINT64_MAX;
    int rc = may_add ? claim_id(f, doc, &may_add, &replaces) : 0;
    if (rc < 0 || (f->fo->add != ND_INDEX_ADD_NONE && !may_add))
        return rc;
    size_t n = 0; /* (its set is sorted when a candidate needs it: a later copy may) */
    if (f->cand_at[doc] < f->cand_at[doc + 1])
        rc = sorted_set(&f->main, doc, &f->set, &f->set_cap, &n);
    const size_t first_match = f->r->n_matches;
    for (size_t i = f->cand_at[doc]; rc == 0 && i < f->cand_at[doc + 1]; i++)
        rc = verify_candidate(f, doc, n, f->cand[i]);
    if (rc < 0)
        return rc;
    v->kind = ND_VERDICT_NEW;
    for (size_t i = first_match; i < f->r->n_matches; i++)
        if (v->kind == ND_VERDICT_NEW ||
            f->r->matches[i].jaccard > f->r->matches[v->best_match].jaccard) {
            v->kind = ND_VERDICT_DUPLICATE;
            v->best_match = i;
        }
    if (!may_add || (f->fo->add == ND_INDEX_ADD_UNIQUE && v->kind != ND_VERDICT_NEW)) {
        if (replaces != UINT64_MAX)
            keep_replaced(f, replaces);
        return 0;
    }
    if (replaces != UINT64_MAX && (rc = nd_view_delete_doc(f->x, f->txn, replaces)) < 0)
        return rc;
    return add_doc(f, doc);
}

/* ---------------------------------------------------------------- the whole feed */

/* The transaction the feed reads (and, adding without a background writer, writes), and
 * the number of its first document. */
static int start_feed(feed *f)
{
    nd_index *x = f->x;
    const nd_corpus *c = f->c;
    if (!x->writer && (f->fo->add != ND_INDEX_ADD_NONE || x->write_txn)) {
        const int rc = nd_store_write_txn(x, &f->txn);
        if (rc < 0)
            return rc;
        f->base = x->next_doc;
    } else {
        nd_writer_snapshot(x); /* (this transaction holds what it forgets) */
        const int m = mdb_txn_begin(x->env, NULL, MDB_RDONLY, &f->txn);
        if (m)
            return nd_store_error(m, "reading the index", NULL, 0);
        f->own_txn = true;
        f->base = x->next_doc; /* (a background writer's: what the feeds before it queued) */
        const int rc = x->writer ? 0 : nd_store_get_count(x, f->txn, "next", &f->base);
        if (rc < 0)
            return rc;
    }
    const int rc = nd_texts_refresh(x, f->txn); /* (another writer may have trained it) */
    if (rc < 0)
        return rc;
    f->rec = malloc((size_t)x->bands_n * sizeof(*f->rec));
    f->hashes = malloc((size_t)x->bands_n * sizeof(*f->hashes));
    f->cand_at = malloc((c->n_docs + 1) * sizeof(*f->cand_at));
    f->gone = calloc(c->n_docs + 1, sizeof(*f->gone));
    f->cctx = ZSTD_createCCtx();
    f->dctx = ZSTD_createDCtx();
    return f->rec && f->hashes && f->cand_at && f->gone && f->cctx && f->dctx ? 0 : ND_ENOMEM;
}

static void end_feed(feed *f)
{
    if (f->own_txn)
        mdb_txn_abort(f->txn);
    scanned_close(&f->archived.scanned);
    nd_corpus_free(f->archived.texts);
    free(f->archived.number);
    free(f->archived.date);
    scanned_close(&f->main);
    free(f->rec);
    free(f->cand);
    free(f->cand_at);
    free(f->gone);
    free(f->removed);
    free(f->set);
    free(f->other);
    free(f->hashes);
    free(f->buf);
    free(f->z);
    for (int i = 0; i < 2; i++) {
        free(f->toks[i]);
        free(f->text[i]);
    }
    ZSTD_freeCCtx(f->cctx);
    ZSTD_freeDCtx(f->dctx);
    nd_reader_dispose(&f->reader);
    nd_reader_dispose(&f->quoting);
}

/* Commits the documents before end, and goes on in a new transaction. */
static int commit_so_far(feed *f, uint32_t end)
{
    if (f->fo->add == ND_INDEX_ADD_NONE)
        return 0;
    f->x->next_doc = f->base + end;
    const int rc = nd_index_commit(f->x);
    return rc < 0 || f->x->writer ? rc : nd_store_write_txn(f->x, &f->txn);
}

/* The first add of ND_DICT_MIN_DOCS documents or more to an index without a dictionary
 * trains it, from the texts of up to twice as many of them. */
static int train_dictionary(feed *f)
{
    const nd_corpus *c = f->c;
    unsigned char *samples = NULL;
    size_t *sizes = malloc(2 * ND_DICT_MIN_DOCS * sizeof(*sizes)), n = 0, at = 0, cap = 0;
    int rc = sizes ? 0 : ND_ENOMEM;
    for (size_t i = 0; rc == 0 && i < c->n_docs && n < 2 * ND_DICT_MIN_DOCS; i++) {
        size_t len;
        char why[256];
        if (c->docs[i].status != ND_DOC_OK ||
            nd_doc_read(c, &f->reader, &c->docs[i], &f->buf, &f->buf_cap, &len, NULL, why,
                        sizeof(why)) < 0)
            continue;
        if (ND_GROW(samples, cap, at + len + 1) < 0)
            rc = ND_ENOMEM;
        else {
            memcpy(samples + at, f->buf, len);
            at += len;
            sizes[n++] = len;
        }
    }
    if (rc == 0 && n >= ND_DICT_MIN_DOCS)
        rc = nd_texts_train(f->x, f->txn, samples, sizes, n);
    free(samples);
    free(sizes);
    return rc;
}

static int feed_docs(feed *f)
{
    int rc = scan_corpus(&f->main, f->c, NULL, f->x, true);
    for (uint32_t i = 0; rc == 0 && i < f->c->n_docs; i++)
        f->r->dates[i] = doc_date(f, &f->c->docs[i]);
    if (rc == 0)
        rc = find_candidates(f);
    if (rc == 0)
        rc = load_archived(f);
    if (rc == 0 && f->fo->add != ND_INDEX_ADD_NONE && !f->x->cdict &&
        f->c->n_docs >= ND_DICT_MIN_DOCS)
        rc = train_dictionary(f);
    for (uint32_t i = 0; rc == 0 && i < f->c->n_docs; i++) {
        rc = feed_doc(f, i);
        if (rc == 0 && f->fo->commit_every && (i + 1) % f->fo->commit_every == 0)
            rc = commit_so_far(f, i + 1);
    }
    if (rc == 0 && f->fo->add != ND_INDEX_ADD_NONE)
        f->x->next_doc = f->base + f->c->n_docs;
    if (rc == 0 && !f->x->writer && f->x->write_txn) /* (a later feed reads them) */
        rc = nd_store_flush_bands(f->x, f->txn);
    return rc;
}

int nd_index_feed(nd_index *x, nd_corpus *c, const nd_index_feed_options *fo, nd_index_result **out)
{
    *out = NULL;
    if (nd_index_option_differs(x, &c->opts) || (fo->add != ND_INDEX_ADD_NONE && !x->writable))
        return ND_EINVAL;
    feed f = {.x = x, .c = c, .fo = fo, .reader = ND_READER_INIT, .quoting = ND_READER_EXACT};
    int rc = nd_index_result_new(c, &f.r);
    if (rc == 0)
        rc = start_feed(&f);
    if (rc == 0)
        rc = feed_docs(&f);
    end_feed(&f);
    if (rc < 0) {
        nd_index_result_free(f.r);
        return rc;
    }
    *out = f.r;
    return 0;
}
