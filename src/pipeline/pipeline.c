/*
 * pipeline.c: drives the stages over a corpus, one after the other.
 *
 *   scan (threads) -> report problems in input order -> LSH -> verify
 *   -> cluster -> passages
 * Each stage reads the records of the one before and writes its own; the
 * seconds of each are kept in the stats.
 */
#define _POSIX_C_SOURCE 200809L
#include "pairs/cluster.h"
#include "common/scratch.h"
#include "passages/feed.h"
#include "pairs/lsh.h"
#include "output/result.h"
#include "passages/passages.h"
#include "common/radix.h"
#include "scan/scan_doc.h"
#include "common/spill.h"
#include "common/threads.h"
#include "pairs/verify.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---------------------------------------------------------------- scan */

/* Where the band records of the scan went in the scratch file: chunks of up to
 * BAND_CHUNK records, in whatever order the threads wrote them (they are sorted
 * later, so the order does not show), each holding the bands of one LSH part (band b
 * goes to part b % parts), which reads only its own chunks. */
#define BAND_CHUNK 65536

/* Documents are taken in batches of consecutive ones: JSONL lines next to each other
 * come from one read, and threads meet at the counter less often. */
#define SCAN_BATCH 16

static size_t n_batches(const nd_corpus *c)
{
    return (c->n_docs + SCAN_BATCH - 1) / SCAN_BATCH;
}

typedef struct band_chunk {
    uint64_t offset;
    size_t n;
    int part;
} band_chunk;

/* With passages, the shingle hashes of each batch of SCAN_BATCH documents go to the
 * scratch file as one blob, the documents' in order: verification reads a document's
 * from there, and the passage stage reads the blobs whole, knowing from the documents'
 * shingle counts which document and position each hash is. (Records with the document
 * and position in them tripled what the scan wrote.) See feed.c for that stage. */
typedef struct scan_job {
    nd_corpus *corpus;
    int bands, rows;
    int lsh_parts;       /* the LSH stage's, one per thread */
    nd_shingle_blob *blobs; /* one per batch, or NULL without passages */
    nd_work batches;     /* of SCAN_BATCH documents */
    atomic_uint_fast64_t docs_done, bytes_done;
    pthread_mutex_t chunks_lock;
    band_chunk *chunks;
    size_t n_chunks, chunks_cap;
} scan_job;

/* A thread's shingle hashes of the batch being scanned. */
typedef struct shingle_buffer {
    uint64_t *h;
    size_t n, cap;
    nd_spill_batch out;
} shingle_buffer;

static int add_shingles(shingle_buffer *b, const nd_scanner *s, const nd_doc *d)
{
    const size_t n = d->status == ND_DOC_OK ? d->n_shingles : 0;
    if (ND_GROW(b->h, b->cap, b->n + n) < 0)
        return ND_ENOMEM;
    if (n)
        memcpy(b->h + b->n, nd_scanner_last_shingles(s), n * sizeof(*b->h));
    b->n += n;
    return 0;
}

static int end_shingle_batch(scan_job *job, shingle_buffer *b, size_t batch)
{
    nd_shingle_blob *blob = &job->blobs[batch];
    blob->n = b->n;
    const int rc = nd_spill_batch_add(job->corpus->spill, &b->out, b->h, b->n * sizeof(*b->h),
                                      &blob->offset);
    b->n = 0;
    return rc;
}

/* Where each document's shingles are, once the blobs have their offsets. */
static void place_shingles(const scan_job *job)
{
    nd_corpus *c = job->corpus;
    uint64_t at = 0;
    for (size_t i = 0; i < c->n_docs; i++) {
        if (i % SCAN_BATCH == 0)
            at = job->blobs[i / SCAN_BATCH].offset;
        nd_doc *d = &c->docs[i];
        if (d->status == ND_DOC_OK) {
            d->shingles_off = at;
            at += (uint64_t)d->n_shingles * sizeof(uint64_t);
        }
    }
}

/* A thread's band records on their way to the scratch file, one buffer per LSH part
 * (of BAND_CHUNK / parts records: a thread holds BAND_CHUNK in all). */
typedef struct band_buffer {
    nd_band_record *rec;
    size_t n;
} band_buffer;

typedef struct band_buffers {
    band_buffer *part;
    nd_band_record *doc; /* the bands of one document */
    size_t room;         /* records per part */
} band_buffers;

static int band_buffers_new(band_buffers *b, const scan_job *job)
{
    const size_t room = BAND_CHUNK / (size_t)job->lsh_parts;
    b->room = room > 1 ? room : 1;
    b->part = calloc((size_t)job->lsh_parts, sizeof(*b->part));
    b->doc = malloc((size_t)job->bands * sizeof(*b->doc));
    if (!b->part || !b->doc)
        return ND_ENOMEM;
    /* one scratch mapping for all parts: see nd_scratch_map */
    nd_band_record *all = nd_scratch_map(BAND_CHUNK * sizeof(*all));
    if (!all)
        return ND_ENOMEM;
    for (int p = 0; p < job->lsh_parts; p++)
        b->part[p].rec = all + (size_t)p * b->room;
    return 0;
}

static void band_buffers_free(band_buffers *b)
{
    if (b->part)
        nd_scratch_unmap(b->part[0].rec, BAND_CHUNK * sizeof(nd_band_record));
    free(b->part);
    free(b->doc);
}

static int flush_bands(scan_job *job, band_buffer *b, int part)
{
    band_chunk chunk = {0, b->n, part};
    if (b->n == 0)
        return 0;
    int rc = nd_spill_append(job->corpus->spill, b->rec, b->n * sizeof(*b->rec), &chunk.offset);
    b->n = 0;
    pthread_mutex_lock(&job->chunks_lock);
    if (rc == 0 && ND_GROW(job->chunks, job->chunks_cap, job->n_chunks + 1) < 0)
        rc = ND_ENOMEM;
    if (rc == 0)
        job->chunks[job->n_chunks++] = chunk;
    pthread_mutex_unlock(&job->chunks_lock);
    return rc;
}

/* Adds the band records of document i (just scanned, signature sig). */
static int add_bands(scan_job *job, band_buffers *b, size_t i, const uint32_t *sig)
{
    if (job->corpus->docs[i].status != ND_DOC_OK)
        return 0;
    nd_lsh_band_records(sig, (uint32_t)i, job->bands, job->rows, b->doc);
    for (int band = 0; band < job->bands; band++) {
        const int part = band % job->lsh_parts;
        band_buffer *to = &b->part[part];
        if (to->n == b->room) {
            const int rc = flush_bands(job, to, part);
            if (rc < 0)
                return rc;
        }
        to->rec[to->n++] = b->doc[band];
    }
    return 0;
}

static int flush_all_bands(scan_job *job, band_buffers *b)
{
    int rc = 0;
    for (int p = 0; p < job->lsh_parts && rc == 0; p++)
        rc = flush_bands(job, &b->part[p], p);
    return rc;
}

/* Counts the scanned documents [first, end) and, every 64, tells the progress callback.
 * A batch at a time: the threads' counts share a cache line. */
static void count_progress(scan_job *job, size_t first, size_t end)
{
    const nd_corpus *c = job->corpus;
    uint64_t batch_bytes = 0;
    for (size_t i = first; i < end; i++)
        batch_bytes += c->docs[i].n_bytes;
    const uint64_t n = end - first;
    atomic_fetch_add(&job->bytes_done, batch_bytes);
    const uint64_t docs = atomic_fetch_add(&job->docs_done, n) + n;
    /* read after the count: a thread adds its bytes before its documents, so the call
     * that counts the last documents sees all the bytes */
    const uint64_t bytes = atomic_load(&job->bytes_done);
    if (c->progress && (docs / 64 != (docs - n) / 64 || docs == c->n_docs))
        c->progress(docs, c->n_docs, bytes, c->progress_payload);
}

static void *scan_worker(void *arg)
{
    scan_job *job = arg;
    nd_corpus *c = job->corpus;
    nd_scanner *s = NULL;
    band_buffers bands = {0};
    shingle_buffer shingles = {0};
    uint32_t *sig = malloc((size_t)c->opts.num_perm * sizeof(*sig));
    int rc = band_buffers_new(&bands, job);
    if (rc == 0)
        rc = sig ? nd_scanner_new(&s, &c->opts) : ND_ENOMEM;
    if (rc == 0 && job->blobs) /* the batches' blobs keep the shingles */
        nd_scanner_keep_shingles(s);
    for (size_t batch; rc == 0 && nd_work_take(&job->batches, &batch);) {
        const size_t first = batch * SCAN_BATCH, end = nd_batch_end(c, SCAN_BATCH, batch);
        nd_scanner_expect(s, &c->docs[first], end - first);
        for (size_t i = first; i < end && rc == 0; i++) {
            rc = nd_scan_doc(s, c, &c->docs[i], sig);
            if (rc == 0)
                rc = add_bands(job, &bands, i, sig);
            if (rc == 0 && job->blobs)
                rc = add_shingles(&shingles, s, &c->docs[i]);
        }
        count_progress(job, first, end);
        if (rc == 0 && job->blobs)
            rc = end_shingle_batch(job, &shingles, batch);
    }
    if (rc == 0)
        rc = nd_scanner_finish(s, c);
    if (rc == 0)
        rc = flush_all_bands(job, &bands);
    if (rc == 0)
        rc = nd_spill_batch_flush(c->spill, &shingles.out);
    nd_work_done(&job->batches, rc);
    nd_scanner_free(s);
    band_buffers_free(&bands);
    free(shingles.h);
    nd_spill_batch_dispose(&shingles.out);
    free(sig);
    return NULL;
}

static int scan_all(scan_job *job)
{
    nd_work_init(&job->batches, n_batches(job->corpus));
    atomic_init(&job->docs_done, 0);
    atomic_init(&job->bytes_done, 0);
    pthread_mutex_init(&job->chunks_lock, NULL);
    const int threads = nd_thread_count(&job->corpus->opts, n_batches(job->corpus));
    const int rc = nd_run_threads(threads, scan_worker, job);
    pthread_mutex_destroy(&job->chunks_lock);
    return rc < 0 ? rc : nd_work_result(&job->batches);
}

/* Problems found while scanning, reported in input order whatever the threads did. */
static void report_scan(const nd_corpus *c, nd_stats *st)
{
    for (size_t i = 0; i < c->n_docs; i++) {
        const nd_doc *d = &c->docs[i];
        char where[4096];
        if (d->kind == ND_DOC_JSONL_LINE)
            snprintf(where, sizeof(where), "%s:%u", nd_doc_path(c, d), d->line);
        else
            snprintf(where, sizeof(where), "%s", nd_doc_path(c, d));
        st->n_bytes += d->n_bytes;
        st->n_tokens += d->n_tokens;
        st->n_shingles += d->n_shingles;
        if (d->status == ND_DOC_EMPTY)
            st->n_empty++;
        if (d->invalid_utf8) {
            st->n_invalid_utf8++;
            nd_report(c, d->error == ND_EUTF8 ? ND_DIAG_ERROR : ND_DIAG_WARNING, ND_EUTF8, where,
                      d->first_invalid, "invalid UTF-8%s",
                      d->error == ND_EUTF8 ? ", document skipped (--strict)"
                                           : ", read as U+FFFD");
        }
        if (d->status != ND_DOC_SKIPPED)
            continue;
        st->n_skipped++;
        if (d->error == ND_EFORMAT && d->error_text)
            nd_report(c, ND_DIAG_ERROR, ND_EFORMAT, where, -1, "%s, line skipped", d->error_text);
        else if (d->error == ND_EFORMAT)
            nd_report(c, ND_DIAG_WARNING, ND_EFORMAT, where, d->first_invalid,
                      "NUL byte: binary file, skipped");
        else if (d->error == ND_EIO)
            nd_report(c, ND_DIAG_ERROR, ND_EIO, where, -1, "%s", strerror(d->error_errno));
        else if (d->error == ND_EINVAL)
            nd_report(c, ND_DIAG_ERROR, ND_EINVAL, where, -1, "larger than 4 GiB, skipped");
    }
}

/* Ids that come from the data (JSONL keys, WARC record ids) may repeat: say so, once
 * per repeated id, in input order. */
typedef struct id_slot {
    uint64_t hash;
    uint32_t doc;
} id_slot;

static int compare_id_slots(const void *pa, const void *pb)
{
    const id_slot *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return (a->doc > b->doc) - (a->doc < b->doc);
}

static int report_duplicate_ids(const nd_corpus *c)
{
    id_slot *slots = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*slots));
    size_t n = 0;
    if (!slots)
        return ND_ENOMEM;
    for (size_t i = 0; i < c->n_docs; i++)
        if (c->docs[i].id && c->docs[i].kind != ND_DOC_WHOLE)
            slots[n++] = (id_slot){XXH3_64bits(c->docs[i].id, strlen(c->docs[i].id)), (uint32_t)i};
    nd_sort(slots, n, sizeof(*slots), compare_id_slots);
    for (size_t lo = 0, hi; lo < n; lo = hi) {
        const char *id = c->docs[slots[lo].doc].id;
        for (hi = lo + 1; hi < n && slots[hi].hash == slots[lo].hash; hi++)
            ;
        size_t same = 1; /* a 64-bit hash collision of different ids is told apart here */
        while (same < hi - lo && !strcmp(c->docs[slots[lo + same].doc].id, id))
            same++;
        if (same > 1)
            nd_report(c, ND_DIAG_WARNING, ND_EFORMAT, nd_doc_path(c, &c->docs[slots[lo].doc]), -1,
                      "duplicate id \"%s\": %zu documents (the first two are numbers %u and %u "
                      "in input order)",
                      id, same, slots[lo].doc + 1, slots[lo + 1].doc + 1);
    }
    free(slots);
    return 0;
}

/* ---------------------------------------------------------------- pairs */

/* LSH on all threads: the bands are dealt into parts (band b to part b % n_parts), each
 * part's records sorted and grouped by one thread; the parts' candidates are joined and
 * sorted, so they do not depend on the threads. */
typedef struct lsh_part {
    nd_pair_key *cand;
    size_t n_cand, spilled;
} lsh_part;

typedef struct lsh_job {
    const nd_corpus *corpus;
    const scan_job *scan;
    lsh_part *parts;
    int n_parts;
    nd_work work; /* the parts */
} lsh_job;

/* The candidates of one part, from the band records the scan left in the scratch file,
 * sorted within its share of --memory (beyond it in runs on disk). */
static int part_candidates(const lsh_job *job, int part, nd_band_record *chunk)
{
    const nd_corpus *c = job->corpus;
    lsh_part *out = &job->parts[part];
    nd_extsort *sorter;
    int rc = nd_lsh_sorter_new(&sorter, c->opts.memory / (size_t)job->n_parts, c->spill);
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < job->scan->n_chunks && rc == 0; k++) {
        const band_chunk *ch = &job->scan->chunks[k];
        if (ch->part != part)
            continue;
        rc = nd_spill_read(c->spill, ch->offset, chunk, ch->n * sizeof(*chunk));
        for (size_t i = 0; i < ch->n && rc == 0; i++)
            rc = nd_extsort_add(sorter, &chunk[i]);
    }
    if (rc == 0)
        rc = nd_lsh_candidates_sorted(sorter, &out->cand, &out->n_cand);
    out->spilled = nd_extsort_runs(sorter);
    nd_extsort_free(sorter);
    return rc;
}

static void *lsh_worker(void *arg)
{
    lsh_job *job = arg;
    nd_band_record *chunk = nd_scratch_map(BAND_CHUNK * sizeof(*chunk));
    int rc = chunk ? 0 : ND_ENOMEM;
    for (size_t part; rc == 0 && nd_work_take(&job->work, &part);)
        rc = part_candidates(job, (int)part, chunk);
    nd_work_done(&job->work, rc);
    nd_scratch_unmap(chunk, BAND_CHUNK * sizeof(*chunk));
    return NULL;
}

/* Joins the parts' candidates into one sorted, distinct list. */
static int join_parts(const lsh_job *job, nd_pair_key **cand, size_t *n_cand, size_t *spilled)
{
    size_t n = 0;
    for (int p = 0; p < job->n_parts; p++)
        n += job->parts[p].n_cand;
    if (!(*cand = malloc((n ? n : 1) * sizeof(**cand))))
        return ND_ENOMEM;
    *n_cand = 0;
    for (int p = 0; p < job->n_parts; p++) {
        const lsh_part *part = &job->parts[p];
        if (part->n_cand)
            memcpy(*cand + *n_cand, part->cand, part->n_cand * sizeof(**cand));
        *n_cand += part->n_cand;
        *spilled += part->spilled;
    }
    *n_cand = nd_pair_keys_unique(*cand, *n_cand);
    return 0;
}

static int band_candidates(const nd_corpus *c, const scan_job *scan, nd_pair_key **cand,
                           size_t *n_cand, size_t *spilled)
{
    lsh_job job = {.corpus = c, .scan = scan};
    job.n_parts = scan->lsh_parts;
    job.parts = calloc((size_t)job.n_parts, sizeof(*job.parts));
    if (!job.parts)
        return ND_ENOMEM;
    nd_work_init(&job.work, (size_t)job.n_parts);
    int rc = nd_run_threads(job.n_parts, lsh_worker, &job);
    if (rc == 0)
        rc = nd_work_result(&job.work);
    if (rc == 0)
        rc = join_parts(&job, cand, n_cand, spilled);
    for (int p = 0; p < job.n_parts; p++)
        free(job.parts[p].cand);
    free(job.parts);
    return rc;
}

static int find_pairs(nd_corpus *c, const scan_job *scan, nd_result *r)
{
    size_t n_cand = 0, spilled = 0;
    nd_pair_key *cand = NULL;
    double t0 = nd_seconds_now();
    int rc = band_candidates(c, scan, &cand, &n_cand, &spilled);
    nd_scratch_release(); /* the sorts' memory kept would only add to verification's */
    r->stats.n_spilled_runs += spilled;
    r->stats.seconds[ND_STAGE_LSH] = nd_seconds_now() - t0;
    if (rc < 0)
        return rc;
    t0 = nd_seconds_now();
    r->stats.n_candidates = n_cand;
    rc = nd_verify_candidates(c, cand, n_cand, &r->pairs, &r->n_pairs);
    free(cand);
    r->stats.n_pairs = r->n_pairs;
    r->stats.seconds[ND_STAGE_VERIFY] = nd_seconds_now() - t0;
    return rc;
}

static int find_clusters(const nd_corpus *c, nd_result *r)
{
    const double t0 = nd_seconds_now();
    uint64_t *len = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*len));
    size_t n_clusters = 0;
    if (!len)
        return ND_ENOMEM;
    for (size_t i = 0; i < c->n_docs; i++)
        len[i] = c->docs[i].n_bytes;
    const int rc = nd_cluster(c->n_docs, len, c->opts.keep, r->pairs, r->n_pairs, &r->members,
                              &r->n_members, &n_clusters);
    free(len);
    r->stats.n_clusters = n_clusters;
    r->stats.n_duplicates = r->n_members - n_clusters;
    r->stats.seconds[ND_STAGE_CLUSTER] = nd_seconds_now() - t0;
    return rc;
}

/* Tokens come back from the spill file, into one of two buffers (the two documents of
 * a pair); a buffer that already holds the document is not read again. Shingle
 * records come back from the scan's blobs. */
typedef struct token_loader {
    const nd_corpus *corpus;
    nd_token *buf[2];
    size_t cap[2];
    int64_t doc[2];
    const struct scan_job *scan;
} token_loader;

static int load_tokens(void *ctx, int slot, uint32_t doc, nd_token_seq *out)
{
    token_loader *l = ctx;
    const nd_doc *d = &l->corpus->docs[doc];
    *out = (nd_token_seq){NULL, 0};
    if (!d->has_tokens)
        return 0;
    if (l->doc[slot] != (int64_t)doc) {
        l->doc[slot] = -1;
        const int rc = nd_doc_load_tokens(l->corpus, d, &l->buf[slot], &l->cap[slot]);
        if (rc < 0)
            return rc;
        l->doc[slot] = doc;
    }
    *out = (nd_token_seq){l->buf[slot], d->n_tokens};
    return 0;
}

/* The passage stage's records, from the blobs of the scan (feed.c). */
static int feed_shingles(void *ctx, struct nd_extsort *out)
{
    const token_loader *l = ctx;
    return nd_feed_repeated_shingles(l->corpus, l->scan->blobs, n_batches(l->corpus), SCAN_BATCH,
                                     out);
}

static int find_passages(const nd_corpus *c, const scan_job *scan, nd_result *r)
{
    const double t0 = nd_seconds_now();
    token_loader loader = {c, {NULL, NULL}, {0, 0}, {-1, -1}, scan};
    const nd_token_source src = {c->n_docs, load_tokens, scan->blobs ? feed_shingles : NULL,
                                 &loader};
    const nd_passage_params p = {c->opts.shingle_k, c->opts.max_gap,  c->opts.min_passage,
                                 c->opts.max_df,    c->opts.memory, c->spill};
    nd_passage_counts counts = {0, 0};
    nd_radix_set_threads(nd_thread_count(&c->opts, SIZE_MAX)); /* its large sorts */
    const int rc = nd_find_passages_in(&src, &p, &r->passages, &r->n_passages, &counts);
    nd_radix_set_threads(1);
    nd_scratch_release();
    r->stats.n_capped_shingles = counts.capped;
    r->stats.n_spilled_runs += counts.spilled;
    free(loader.buf[0]);
    free(loader.buf[1]);
    r->stats.n_passages = r->n_passages;
    r->stats.seconds[ND_STAGE_PASSAGES] = nd_seconds_now() - t0;
    return rc;
}

/* ---------------------------------------------------------------- entry */

int nd_corpus_run(nd_corpus *c, nd_result **out)
{
    const nd_options *o = &c->opts;
    nd_result *r = calloc(1, sizeof(*r));
    scan_job scan = {.corpus = c};
    int rc = r ? 0 : ND_ENOMEM;
    *out = NULL;
    if (rc == 0) {
        r->corpus = c;
        r->stats.n_docs = c->n_docs;
        r->stats.seconds[ND_STAGE_LIST] = c->list_seconds;
        r->stats.bands = o->bands;
        r->stats.rows = o->rows;
        if (!o->bands)
            nd_lsh_params(o->threshold, o->num_perm, &r->stats.bands, &r->stats.rows);
        scan.bands = r->stats.bands;
        scan.rows = r->stats.rows;
        scan.lsh_parts = nd_thread_count(o, (size_t)scan.bands);
        if (o->passages && o->shingle_unit == ND_UNIT_WORD &&
            !(scan.blobs = calloc(n_batches(c) + 1, sizeof(*scan.blobs))))
            rc = ND_ENOMEM;
        const double t0 = nd_seconds_now();
        if (rc == 0 && !c->spill)
            rc = nd_spill_open(&c->spill, c->opts.tmpdir);
        if (rc == ND_EIO)
            nd_report(c, ND_DIAG_ERROR, ND_EIO, c->opts.tmpdir ? c->opts.tmpdir : "$TMPDIR",
                      -1, "cannot create a scratch file: %s", strerror(errno));
        if (rc == 0)
            rc = scan_all(&scan);
        if (rc == 0 && scan.blobs)
            place_shingles(&scan);
        r->stats.seconds[ND_STAGE_SCAN] = nd_seconds_now() - t0;
    }
    if (rc == 0) {
        report_scan(c, &r->stats);
        rc = report_duplicate_ids(c);
    }
    if (rc == 0)
        rc = find_pairs(c, &scan, r);
    free(scan.chunks);
    if (rc == 0)
        rc = find_clusters(c, r);
    if (rc == 0 && o->passages)
        rc = find_passages(c, &scan, r);
    free(scan.blobs);
    if (rc == ND_EIO && c->spill && nd_spill_error(c->spill))
        nd_report(c, ND_DIAG_ERROR, ND_EIO, nd_spill_dir(c->spill), -1,
                  "cannot write or read the scratch files there: %s",
                  strerror(nd_spill_error(c->spill)));
    if (rc < 0) {
        nd_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void nd_result_free(nd_result *r)
{
    if (!r)
        return;
    free(r->pairs);
    free(r->members);
    free(r->passages);
    free(r);
}

const nd_stats *nd_result_stats(const nd_result *r) { return &r->stats; }
size_t nd_result_n_pairs(const nd_result *r) { return r->n_pairs; }
const nd_pair *nd_result_pair(const nd_result *r, size_t i) { return &r->pairs[i]; }
size_t nd_result_n_members(const nd_result *r) { return r->n_members; }
const nd_member *nd_result_member(const nd_result *r, size_t i) { return &r->members[i]; }
size_t nd_result_n_passages(const nd_result *r) { return r->n_passages; }
const nd_passage *nd_result_passage(const nd_result *r, size_t i) { return &r->passages[i]; }
