/*
 * scan.c: the scan stage on all threads (see scan.h).
 */
#include "scan/scan.h"

#include "common/scratch.h"
#include "common/spill.h"
#include "common/threads.h"
#include "scan/bands.h"
#include "scan/scan_doc.h"
#include "scan/scan_records.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct scan_job {
    nd_run_ctx *ctx;
    nd_corpus *corpus;
    nd_scan_out *out;
    size_t first_batch;         /* the part's: piece p is batch first_batch + p */
    const nd_record_pipe *from; /* the part's records when imported, else NULL */
    nd_spill_map sketches;      /* with from: where the imported signatures and words are */
    bool make_shingles;         /* with from: the shingles are made from the words */
    size_t chunk_bytes;         /* of the pieces of a large document; 0: the scanner's default */
    atomic_uint_fast64_t docs_done, bytes_done;
    pthread_mutex_t chunks_lock;
    size_t chunks_cap;
} scan_job;

/* A thread's shingle hashes of the batch being scanned: the scanner appends each
 * document's to h. */
typedef struct shingle_buffer {
    nd_shingle_buf h;
    nd_spill_batch out;
} shingle_buffer;

/* Counts the distinct shingles the scanner left to count, of documents too large for its
 * set: now that they are written, their hashes (from h on) may be sorted in place. */
static void count_deferred_distinct(nd_corpus *c, size_t batch, uint64_t *h)
{
    const size_t end = nd_scan_batch_end(c, batch);
    size_t at = 0; /* (an index: h is NULL when the batch has no shingle) */
    for (size_t i = batch * ND_SCAN_BATCH; i < end; i++) {
        nd_doc *d = &c->docs[i];
        if (nd_scan_distinct_deferred(d))
            nd_scan_count_distinct(d, h + at);
        at += d->status == ND_DOC_OK ? d->n_shingles : 0;
    }
}

static int end_shingle_batch(scan_job *job, shingle_buffer *b, size_t batch)
{
    nd_shingle_blob *blob = &job->out->blobs[batch];
    nd_shingle_buf *h = &b->h;
    blob->n = h->n;
    const int rc =
        nd_spill_batch_add(job->ctx->spill, &b->out, h->h, h->n * sizeof(*h->h), &blob->offset);
    if (rc == 0)
        count_deferred_distinct(job->corpus, batch, h->h);
    h->n = 0;
    if (h->cap * sizeof(*h->h) > ND_SCAN_KEEP_BYTES) { /* a large document's */
        free(h->h);
        *h = (nd_shingle_buf){0};
    }
    return rc;
}

/* Where each document of batches [first, end) has its shingles, once the blobs have their
 * offsets. */
static void place_shingles(nd_corpus *c, const nd_shingle_blob *blobs, size_t first, size_t end)
{
    uint64_t at = 0;
    const size_t end_doc = end == first ? first * ND_SCAN_BATCH : nd_scan_batch_end(c, end - 1);
    for (size_t i = first * ND_SCAN_BATCH; i < end_doc; i++) {
        if (i % ND_SCAN_BATCH == 0)
            at = blobs[i / ND_SCAN_BATCH].offset;
        nd_doc *d = &c->docs[i];
        if (d->status == ND_DOC_OK) {
            d->shingles_off = at;
            at += (uint64_t)d->n_shingles * sizeof(uint64_t);
        }
    }
}

/* A thread's band records on their way to the scratch file, one buffer per LSH part
 * (of ND_BAND_CHUNK / parts records: a thread holds ND_BAND_CHUNK in all). */
typedef struct band_buffer {
    nd_band_record *rec;
    size_t n;
} band_buffer;

typedef struct band_buffers {
    band_buffer *part;
    nd_band_record *doc; /* the bands of one document */
    size_t room;         /* records per part */
} band_buffers;

static int band_buffers_new(band_buffers *b, nd_run_ctx *ctx)
{
    if (ctx->bands == 0) /* a run without LSH (the feed index makes its own band keys) */
        return 0;
    const size_t room = ND_BAND_CHUNK / (size_t)ctx->lsh_parts;
    b->room = room > 1 ? room : 1;
    b->part = calloc((size_t)ctx->lsh_parts, sizeof(*b->part));
    b->doc = malloc((size_t)ctx->bands * sizeof(*b->doc));
    if (!b->part || !b->doc)
        return ND_ENOMEM;
    /* one scratch mapping for all parts */
    nd_band_record *all = nd_scratch_map(&ctx->scratch, ND_BAND_CHUNK * sizeof(*all));
    if (!all)
        return ND_ENOMEM;
    for (int p = 0; p < ctx->lsh_parts; p++)
        b->part[p].rec = all + (size_t)p * b->room;
    return 0;
}

static void band_buffers_free(band_buffers *b, nd_run_ctx *ctx)
{
    if (b->part)
        nd_scratch_unmap(&ctx->scratch, b->part[0].rec, ND_BAND_CHUNK * sizeof(nd_band_record));
    free(b->part);
    free(b->doc);
}

static int flush_bands(scan_job *job, band_buffer *b, int part)
{
    nd_band_chunk chunk = {0, b->n, part};
    if (b->n == 0)
        return 0;
    int rc = nd_spill_append(job->ctx->spill, b->rec, b->n * sizeof(*b->rec), &chunk.offset);
    b->n = 0;
    nd_scan_out *out = job->out;
    pthread_mutex_lock(&job->chunks_lock);
    if (rc == 0 && ND_GROW(out->chunks, job->chunks_cap, out->n_chunks + 1) < 0)
        rc = ND_ENOMEM;
    if (rc == 0)
        out->chunks[out->n_chunks++] = chunk;
    pthread_mutex_unlock(&job->chunks_lock);
    return rc;
}

/* Adds the band records of document i (just scanned, signature sig; NULL: an imported
 * document whose signature did not come, whose band records are another's). */
static int add_bands(scan_job *job, band_buffers *b, size_t i, const uint32_t *sig)
{
    if (job->corpus->docs[i].status != ND_DOC_OK || job->ctx->bands == 0 || !sig)
        return 0;
    const nd_run_ctx *ctx = job->ctx;
    nd_lsh_band_records(sig, (uint32_t)i, ctx->bands, ctx->rows, b->doc);
    for (int band = 0; band < ctx->bands; band++) {
        const int part = band % ctx->lsh_parts;
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
    if (!b->part) /* no band records (band_buffers_new) */
        return 0;
    int rc = 0;
    for (int p = 0; p < job->ctx->lsh_parts && rc == 0; p++)
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
    if (docs / 64 == (docs - n) / 64 && docs != c->n_docs)
        return;
    if (c->progress)
        c->progress(docs, c->n_docs, bytes, c->progress_payload);
    nd_report_progress(c, ND_STAGE_SCAN, docs, c->n_docs, "documents", bytes);
}

/* What a thread keeps from batch to batch: its scanner (none for imported batches),
 * its band records and shingles on their way out, the signature of the document at
 * hand, and room for making an imported document's shingles. */
typedef struct scan_thread {
    nd_scanner *scanner;
    band_buffers bands;
    shingle_buffer shingles;
    uint32_t *sig;
    uint64_t *units;
    size_t units_cap;
} scan_thread;

static int scan_thread_new(scan_job *job, scan_thread *t)
{
    const nd_corpus *c = job->corpus;
    int rc = band_buffers_new(&t->bands, job->ctx);
    if (rc < 0 || job->from)
        return rc;
    t->sig = malloc((size_t)c->opts.num_perm * sizeof(*t->sig));
    rc = t->sig ? nd_scanner_new(&t->scanner, &c->opts, job->ctx->spill, job->ctx->classes)
                : ND_ENOMEM;
    if (rc == 0 && job->chunk_bytes)
        nd_scanner_set_chunk_bytes(t->scanner, job->chunk_bytes);
    if (rc == 0 && job->out->blobs) /* the batches' blobs keep the shingles */
        nd_scanner_keep_shingles(t->scanner, &t->shingles.h);
    return rc;
}

/* Writes what the thread holds: the last records of each kind. */
static int scan_thread_finish(scan_job *job, scan_thread *t)
{
    int rc = t->scanner ? nd_scanner_finish(t->scanner) : 0;
    if (rc == 0)
        rc = flush_all_bands(job, &t->bands);
    if (rc == 0)
        rc = nd_spill_batch_flush(job->ctx->spill, &t->shingles.out);
    return rc;
}

static void scan_thread_free(scan_job *job, scan_thread *t)
{
    nd_scanner_free(t->scanner);
    band_buffers_free(&t->bands, job->ctx);
    free(t->shingles.h.h);
    nd_spill_batch_dispose(job->ctx->spill, &t->shingles.out);
    free(t->sig);
    free(t->units);
}

/* What the scan of an imported document leaves to do: its shingles, when they are made
 * from its words; *sig gets its signature, when it came. */
static int finish_import(scan_job *job, scan_thread *t, const nd_doc *d, const uint32_t **sig)
{
    const nd_options *o = &job->corpus->opts;
    if (d->status != ND_DOC_OK)
        return 0;
    const size_t sig_bytes = (size_t)o->num_perm * sizeof(**sig);
    *sig = d->sig_off == ND_RECORD_ABSENT
               ? NULL
               : nd_spill_map_view(&job->sketches, d->sig_off, sig_bytes);
    if (!*sig && d->sig_off != ND_RECORD_ABSENT)
        return ND_EIO;
    if (!job->make_shingles)
        return 0;
    return nd_scan_records_shingles(job->ctx->spill, &job->sketches, o, d, &t->units,
                                    &t->units_cap);
}

/* Scans the documents of a batch, or finishes imported ones; adds their band records. */
static int scan_batch(scan_job *job, scan_thread *t, size_t batch)
{
    nd_corpus *c = job->corpus;
    const size_t first = batch * ND_SCAN_BATCH, end = nd_scan_batch_end(c, batch);
    if (!job->from)
        nd_scanner_expect(t->scanner, &c->docs[first], end - first);
    int rc = 0;
    for (size_t i = first; i < end && rc == 0; i++) {
        const uint32_t *sig = t->sig;
        rc = job->from ? finish_import(job, t, &c->docs[i], &sig)
                       : nd_scan_doc(t->scanner, c, &c->docs[i], t->sig);
        if (rc == 0)
            rc = add_bands(job, &t->bands, i, sig);
    }
    return rc;
}

/* Scans the batches this thread takes. */
static int scan_worker(void *stage, nd_work *work)
{
    scan_job *job = stage;
    scan_thread t = {0};
    int rc = scan_thread_new(job, &t);
    for (size_t piece; rc == 0 && nd_work_take(work, &piece);) {
        const size_t batch = job->first_batch + piece;
        rc = scan_batch(job, &t, batch);
        count_progress(job, batch * ND_SCAN_BATCH, nd_scan_batch_end(job->corpus, batch));
        if (rc == 0 && job->out->blobs && !job->from)
            rc = end_shingle_batch(job, &t.shingles, batch);
    }
    if (rc == 0)
        rc = scan_thread_finish(job, &t);
    scan_thread_free(job, &t);
    return rc;
}

/* NEARDUP_SCAN_CHUNK_BYTES, for tests only: the size of the pieces a large document is
 * scanned in, so that end-to-end tests can cut small documents into pieces (the outputs
 * must not change). 0 when unset: the scanner's default. */
static size_t chunk_bytes_for_tests(void)
{
    const char *bytes = getenv("NEARDUP_SCAN_CHUNK_BYTES");
    return bytes ? (size_t)strtoull(bytes, NULL, 10) : 0;
}

int nd_scan_begin(const nd_corpus *c, nd_scan_out *out)
{
    *out = (nd_scan_out){.n_batches = (c->n_docs + ND_SCAN_BATCH - 1) / ND_SCAN_BATCH};
    const nd_options *o = &c->opts;
    if (o->passages && o->shingle_unit == ND_UNIT_WORD &&
        !(out->blobs = calloc(out->n_batches + 1, sizeof(*out->blobs))))
        return ND_ENOMEM;
    return 0;
}

int nd_scan_part(nd_run_ctx *ctx, nd_corpus *c, size_t first, size_t end,
                 const nd_record_pipe *from, nd_scan_out *out)
{
    scan_job job = {.ctx = ctx,
                    .corpus = c,
                    .out = out,
                    .first_batch = first,
                    .from = from,
                    .chunk_bytes = chunk_bytes_for_tests(),
                    .chunks_cap = out->n_chunks};
    atomic_init(&job.docs_done, out->docs_done);
    atomic_init(&job.bytes_done, out->bytes_done);
    /* imported records: their fields and sketches first, then on all threads the
     * shingles made from their words and the band records from their signatures */
    int rc = from ? nd_scan_records_receive(from, c, first, end, ctx->spill, out->blobs,
                                            &job.make_shingles)
                  : 0;
    if (rc == 0 && from)
        rc = nd_spill_map_all(ctx->spill, &job.sketches);
    pthread_mutex_init(&job.chunks_lock, NULL);
    if (rc == 0)
        rc = nd_parallel(ctx->threads, end - first, scan_worker, &job);
    pthread_mutex_destroy(&job.chunks_lock);
    out->docs_done = atomic_load(&job.docs_done);
    out->bytes_done = atomic_load(&job.bytes_done);
    if (rc == 0 && out->blobs && !from)
        place_shingles(c, out->blobs, first, end);
    return rc;
}

int nd_scan_stage(nd_run_ctx *ctx, nd_corpus *c, nd_scan_out *out)
{
    const int rc = nd_scan_begin(c, out);
    return rc < 0 ? rc : nd_scan_part(ctx, c, 0, out->n_batches, NULL, out);
}

void nd_scan_out_free(nd_scan_out *out)
{
    free(out->chunks);
    free(out->blobs);
    *out = (nd_scan_out){0};
}
