/*
 * scan.h: the scan stage, every document read, normalized, tokenized, shingled and
 * signed on all threads, and what it leaves for the stages after it.
 *
 * Documents are taken in batches of ND_SCAN_BATCH consecutive ones: JSONL lines next
 * to each other come from one read, and threads meet at the counter less often.
 *
 * Each document's band records go to the scratch file in chunks of up to
 * ND_BAND_CHUNK records, in whatever order the threads wrote them (the LSH stage
 * sorts them, so the order does not show), each chunk holding the bands of one LSH
 * part (band b goes to part b % parts), which reads only its own chunks.
 *
 * With passages, the shingle hashes of each batch go to the scratch file as one blob,
 * the documents' in order: verification reads a document's from there, and the
 * passage feed reads the blobs whole, knowing from the documents' shingle counts
 * which document and position each hash is.
 */
#ifndef ND_SCAN_H
#define ND_SCAN_H

#include "common/context.h"
#include "input/corpus.h"

#define ND_SCAN_BATCH 16
#define ND_BAND_CHUNK 65536

typedef struct nd_band_chunk {
    uint64_t offset;
    size_t n;
    int part;
} nd_band_chunk;

/* The shingle hashes of one batch of documents in the scratch file. */
typedef struct nd_shingle_blob {
    uint64_t offset;
    uint64_t n;
} nd_shingle_blob;

typedef struct nd_scan_out {
    nd_band_chunk *chunks;
    size_t n_chunks;
    nd_shingle_blob *blobs; /* one per batch, with passages of words; else NULL */
    size_t n_batches;
    uint64_t docs_done, bytes_done; /* of the parts so far, for the progress callback */
} nd_scan_out;

/* The end of batch b: one past its last document. */
static inline size_t nd_scan_batch_end(const nd_corpus *c, size_t b)
{
    const size_t end = (b + 1) * ND_SCAN_BATCH;
    return end < c->n_docs ? end : c->n_docs;
}

/* Scans every document of c: fills each nd_doc and *out. Problems with a document are
 * recorded in it (nd_scan_report tells them); the return value is < 0 only when the
 * run cannot go on (no memory, ICU, the scratch file). */
int nd_scan_stage(nd_run_ctx *ctx, nd_corpus *c, nd_scan_out *out);
void nd_scan_out_free(nd_scan_out *out);

/* The same in parts, for documents some of which another process scanned: *out begun
 * for c, then each part, batches [first, end), scanned here when from is NULL, else
 * imported from the records it gives (scan_records.h: nd_scan_records_send made them of
 * the same documents). The result is that of nd_scan_stage once every batch is in some
 * part. */
struct nd_record_pipe;
int nd_scan_begin(const nd_corpus *c, nd_scan_out *out);
int nd_scan_part(nd_run_ctx *ctx, nd_corpus *c, size_t first, size_t end,
                 const struct nd_record_pipe *from, nd_scan_out *out);

/* Tells the problems the scan recorded, in input order, and repeated ids; adds the
 * documents' counts to *stats. */
int nd_scan_report(const nd_run_ctx *ctx, const nd_corpus *c, nd_stats *stats);

#endif
