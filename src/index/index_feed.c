/*
 * index_feed.c: nd_index_feed, a corpus's documents checked against the index and the
 * documents before them, in input order, and added.
 *
 *   scan (the batch tool's) -> per document: band keys -> candidates (the index's band
 *   table, and this corpus's earlier documents not added) -> exact Jaccard -> verdict
 *   -> added
 *
 * Every document of a feed gets the number base + its position (base: the index's next
 * number), added or not: a candidate's number tells whether it is archived or of this
 * corpus, and earlier means a smaller number, whichever way it was found.
 */
#include "index/index_result.h"

#include "input/jsonl.h"
#include "scan/bands.h"
#include "scan/scan.h"
#include "text/minhash.h"
#include "common/radix.h"

#include <stdlib.h>
#include <sys/stat.h>

/* The band keys of this corpus's documents that are not in the index's table (a query,
 * or documents not added): chained lists from a table of heads. */
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

/* What one feed holds while it goes through the documents. */
typedef struct feed {
    nd_index *x;
    nd_corpus *c;
    const nd_index_feed_options *fo;
    nd_run_ctx ctx;
    MDB_txn *txn;
    bool own_txn; /* a read transaction of this feed's own */
    uint64_t base;
    band_memory memory;
    nd_band_record *rec;
    uint64_t *set, *other; /* sorted distinct shingles of the document, and of a candidate */
    size_t set_cap, other_cap;
    uint32_t *sig_copy;
    uint64_t *cand;
    size_t n_cand, cand_cap;
    nd_reader reader;
    unsigned char *date_buf;
    size_t date_cap;
    nd_index_result *r;
} feed;

/* A scanned document's shingles, sorted and distinct, into *buf; their number. */
static int sorted_set(feed *f, uint32_t doc, uint64_t **buf, size_t *cap, size_t *n)
{
    const nd_doc *d = &f->c->docs[doc];
    const size_t bytes = (size_t)d->n_shingles * sizeof(uint64_t);
    const void *h = bytes ? nd_spill_view(f->ctx.spill, d->shingles_off, bytes) : NULL;
    if (bytes && !h)
        return ND_EIO;
    if (ND_GROW(*buf, *cap, d->n_shingles + 1) < 0)
        return ND_ENOMEM;
    if (bytes)
        memcpy(*buf, h, bytes);
    nd_radix_sort_u64_in_place(*buf, d->n_shingles);
    size_t out = 0;
    for (size_t i = 0; i < d->n_shingles; i++)
        if (out == 0 || (*buf)[i] != (*buf)[out - 1])
            (*buf)[out++] = (*buf)[i];
    *n = out;
    return 0;
}

static const uint32_t *doc_sig(feed *f, uint32_t doc)
{
    return nd_spill_view(f->ctx.spill, f->c->docs[doc].sig_off, (size_t)f->c->opts.num_perm * 4);
}

/* Shingles in both sorted sets (b possibly unaligned). */
static uint32_t shared_count(const uint64_t *a, size_t na, const unsigned char *b, size_t nb)
{
    size_t i = 0, j = 0;
    uint32_t both = 0;
    while (i < na && j < nb) {
        const uint64_t x = a[i], y = nd_load_u64(b + 8 * j);
        both += x == y;
        i += x <= y;
        j += y <= x;
    }
    return both;
}

/* ---------------------------------------------------------------- candidates */

static int add_candidate(feed *f, uint64_t number)
{
    if (ND_GROW(f->cand, f->cand_cap, f->n_cand + 1) < 0)
        return ND_ENOMEM;
    f->cand[f->n_cand++] = number;
    return 0;
}

/* The documents of the index's band table under each key of rec. */
static int archived_candidates(feed *f, const nd_band_record *rec)
{
    MDB_cursor *cur;
    int m = mdb_cursor_open(f->txn, f->x->bands, &cur);
    if (m)
        return nd_store_error(m, "reading the index", NULL, 0);
    int rc = 0;
    for (int b = 0; b < f->x->bands_n && rc == 0; b++) {
        unsigned char key[12];
        nd_store_band_key(rec[b].band, rec[b].hash, key);
        MDB_val k = {12, key}, v;
        for (m = mdb_cursor_get(cur, &k, &v, MDB_SET); m == 0 && rc == 0;
             m = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP))
            rc = add_candidate(f, nd_store_doc_number(&v));
        if (m && m != MDB_NOTFOUND)
            rc = nd_store_error(m, "reading the index", NULL, 0);
    }
    mdb_cursor_close(cur);
    return rc;
}

static int memory_candidates(feed *f, const nd_band_record *rec)
{
    const band_memory *m = &f->memory;
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

/* Every earlier document sharing a band with rec, by number, once each. */
static int find_candidates(feed *f, const nd_band_record *rec)
{
    f->n_cand = 0;
    int rc = archived_candidates(f, rec);
    if (rc == 0)
        rc = memory_candidates(f, rec);
    nd_sort(f->cand, f->n_cand, sizeof(*f->cand), compare_u64);
    size_t out = 0;
    for (size_t i = 0; i < f->n_cand; i++)
        if (out == 0 || f->cand[i] != f->cand[out - 1])
            f->cand[out++] = f->cand[i];
    f->n_cand = out;
    return rc;
}

/* ---------------------------------------------------------------- verification */

/* The exact Jaccard of document doc (set f->set of n) and candidate number; a match into
 * the result when it reaches the threshold. */
static int verify_candidate(feed *f, uint32_t doc, size_t n, uint64_t number)
{
    const int num_perm = f->c->opts.num_perm;
    nd_index_match match = {.doc = doc, .earlier_date = ND_NO_DATE};
    const unsigned char *other;
    size_t n_other;
    const uint32_t *sig;
    const char *id = NULL; /* an archived document's, not NUL-terminated */
    size_t id_len = 0;
    int rc = 0;
    if (number >= f->base) { /* one of this corpus */
        match.earlier = (uint32_t)(number - f->base);
        rc = sorted_set(f, match.earlier, &f->other, &f->other_cap, &n_other);
        other = (const unsigned char *)f->other;
        sig = doc_sig(f, match.earlier);
        match.earlier_id = f->c->docs[match.earlier].id;
        match.earlier_date = f->r->dates[match.earlier];
    } else {
        nd_stored_doc d;
        rc = nd_store_get_doc(f->x, f->txn, number, &d);
        if (rc == MDB_NOTFOUND)
            rc = ND_EINDEX; /* a band key of no document: index check tells */
        if (rc < 0)
            return rc;
        match.archived = 1;
        other = d.shingles;
        n_other = d.head.n_distinct;
        sig = memcpy(f->sig_copy, d.sig, (size_t)num_perm * 4);
        match.earlier_date = d.head.date;
        id = d.id;
        id_len = d.head.id_len;
    }
    if (rc < 0 || !sig)
        return rc < 0 ? rc : ND_EIO;
    const uint32_t both = shared_count(f->set, n, other, n_other);
    const size_t either = n + n_other - both;
    match.jaccard = either ? (double)both / (double)either : 0.0;
    if (match.jaccard < f->c->opts.threshold)
        return 0;
    match.shared = both;
    match.jaccard_est = nd_minhash_estimate(doc_sig(f, doc), sig, num_perm);
    return nd_index_result_add_match(f->r, &match, id, id_len);
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
        rc = nd_jsonl_parse(line, d->length, f->c->opts.id_key, f->fo->date_key, &f->date_buf,
                            &f->date_cap, &len, NULL, why, sizeof(why));
    if (rc == 0 && ND_GROW(f->date_buf, f->date_cap, len + 1) == 0) {
        f->date_buf[len] = '\0';
        rc = nd_parse_date((const char *)f->date_buf, &date);
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

/* Whether doc may be added: an id already archived is replaced, or an error. */
static int claim_id(feed *f, uint32_t doc, bool *ok)
{
    const nd_doc *d = &f->c->docs[doc];
    uint64_t number;
    bool found;
    int rc = nd_store_find_id(f->x, f->txn, d->id, &number, &found);
    *ok = rc == 0 && (!found || f->fo->replace);
    if (rc == 0 && found && f->fo->replace)
        rc = nd_store_delete_doc(f->x, f->txn, number);
    else if (rc == 0 && found)
        nd_report(f->c, ND_DIAG_ERROR, ND_EEXIST, d->id, -1,
                  "the index has a document of this id already (--replace replaces it)");
    return rc;
}

static int add_doc(feed *f, uint32_t doc, size_t n)
{
    const nd_doc *d = &f->c->docs[doc];
    nd_stored_head head = {f->r->dates[doc], d->n_bytes, (uint32_t)n, (uint32_t)strlen(d->id)};
    return nd_store_put_doc(f->x, f->txn, f->base + doc, &head, f->set, doc_sig(f, doc), d->id);
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
    int rc = may_add ? claim_id(f, doc, &may_add) : 0;
    if (rc < 0 || (f->fo->add != ND_INDEX_ADD_NONE && !may_add))
        return rc;
    size_t n;
    const uint32_t *sig = doc_sig(f, doc);
    if (!sig)
        return ND_EIO;
    nd_lsh_band_records(sig, doc, f->x->bands_n, f->x->rows, f->rec);
    rc = sorted_set(f, doc, &f->set, &f->set_cap, &n);
    const size_t first_match = f->r->n_matches;
    if (rc == 0 && f->fo->query)
        rc = find_candidates(f, f->rec);
    for (size_t i = 0; rc == 0 && f->fo->query && i < f->n_cand; i++)
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
    if (may_add && (f->fo->add == ND_INDEX_ADD_ALL || v->kind == ND_VERDICT_NEW)) {
        v->added = 1;
        return add_doc(f, doc, n);
    }
    return band_memory_add(&f->memory, f->rec, f->x->bands_n);
}

/* ---------------------------------------------------------------- the feed */

static int start_feed(feed *f)
{
    nd_index *x = f->x;
    const nd_corpus *c = f->c;
    if (f->fo->add != ND_INDEX_ADD_NONE || x->write_txn) {
        const int rc = nd_store_write_txn(x, &f->txn);
        if (rc < 0)
            return rc;
        f->base = x->next_doc;
    } else {
        const int m = mdb_txn_begin(x->env, NULL, MDB_RDONLY, &f->txn);
        if (m)
            return nd_store_error(m, "reading the index", NULL, 0);
        f->own_txn = true;
        uint64_t next;
        const int rc = nd_store_get_count(x, f->txn, "next", &next);
        if (rc < 0)
            return rc;
        f->base = next;
    }
    f->rec = malloc((size_t)x->bands_n * sizeof(*f->rec));
    f->sig_copy = malloc((size_t)c->opts.num_perm * 4);
    if (!f->rec || !f->sig_copy)
        return ND_ENOMEM;
    return band_memory_init(&f->memory, c->n_docs * (size_t)x->bands_n);
}

static void end_feed(feed *f)
{
    if (f->own_txn)
        mdb_txn_abort(f->txn);
    free(f->memory.head);
    free(f->memory.e);
    free(f->rec);
    free(f->set);
    free(f->other);
    free(f->sig_copy);
    free(f->cand);
    free(f->date_buf);
    nd_reader_dispose(&f->reader);
}

/* Commits the documents before end, and goes on in a new transaction. */
static int commit_so_far(feed *f, uint32_t end)
{
    if (f->fo->add == ND_INDEX_ADD_NONE)
        return 0;
    f->x->next_doc = f->base + end;
    const int rc = nd_index_commit(f->x);
    return rc < 0 ? rc : nd_store_write_txn(f->x, &f->txn);
}

static int feed_docs(feed *f)
{
    nd_scan_out scan = {0};
    nd_stats stats = {0};
    int rc = nd_run_ctx_open(&f->ctx, &f->c->opts, f->x->bands_n, f->x->rows, f->c->diag,
                             f->c->diag_payload);
    if (rc == 0)
        rc = nd_scan_stage(&f->ctx, f->c, &scan);
    if (rc == 0)
        rc = nd_scan_report(&f->ctx, f->c, &stats);
    for (uint32_t i = 0; rc == 0 && i < f->c->n_docs; i++)
        f->r->dates[i] = doc_date(f, &f->c->docs[i]);
    for (uint32_t i = 0; rc == 0 && i < f->c->n_docs; i++) {
        rc = feed_doc(f, i);
        if (rc == 0 && f->fo->commit_every && (i + 1) % f->fo->commit_every == 0)
            rc = commit_so_far(f, i + 1);
    }
    if (rc == 0 && f->fo->add != ND_INDEX_ADD_NONE)
        f->x->next_doc = f->base + f->c->n_docs;
    nd_scan_out_free(&scan);
    nd_run_ctx_close(&f->ctx);
    return rc;
}

int nd_index_feed(nd_index *x, nd_corpus *c, const nd_index_feed_options *fo, nd_index_result **out)
{
    *out = NULL;
    if (nd_index_option_differs(x, &c->opts) || (fo->add != ND_INDEX_ADD_NONE && !x->writable))
        return ND_EINVAL;
    feed f = {.x = x, .c = c, .fo = fo, .reader = ND_READER_EXACT};
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
