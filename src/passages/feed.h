/*
 * feed.h: the passage stage's shingle records, read back from the scan, on all
 * threads (see feed.c).
 */
#ifndef ND_FEED_H
#define ND_FEED_H

#include "common/extsort.h"
#include "input/corpus.h"

/* Where the scan put the shingle hashes of one batch of documents: n hashes at offset
 * in the scratch file, the batch's documents' in order (shingle i of a document starts
 * at its word i). */
typedef struct nd_shingle_blob {
    uint64_t offset;
    uint64_t n;
} nd_shingle_blob;

/* One past the last document of batch b, of batch_docs documents each. */
static inline size_t nd_batch_end(const nd_corpus *c, size_t batch_docs, size_t b)
{
    const size_t end = (b + 1) * batch_docs;
    return end < c->n_docs ? end : c->n_docs;
}

/* Adds to out, in (document, position) order, the records (hash, document, position)
 * of the shingles of c's documents that start passages, but for most of those that
 * occur only once (no seed comes from them). Blob b holds the hashes of documents
 * [b * batch_docs, (b + 1) * batch_docs). Returns 0, ND_ENOMEM or ND_EIO. */
int nd_feed_repeated_shingles(const nd_corpus *c, const nd_shingle_blob *blobs, size_t n_blobs,
                              size_t batch_docs, nd_extsort *out);

#endif
