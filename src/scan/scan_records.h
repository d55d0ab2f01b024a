/*
 * scan_records.h: what the scan found in a range of documents, as a stream of bytes
 * another process takes in place of scanning them (neardup-mpi's ranks send them to
 * rank 0; --work-dir keeps them in a file).
 *
 * The records of documents [first, end) are a part head (how many documents, the length
 * of each block) and five blocks, each in input order: the documents' heads (counts,
 * hashes, status, and the strings the scan made: the id of a JSONL line, an error text,
 * an unknown charset label), then the signatures, the profiles, the shingle hashes and
 * the words of the documents that have them. With the words (passages of word
 * shingles) the shingle block is empty: the importer makes the shingles again from the
 * words' hashes, as the scan made them. Blocks, not documents: the importer writes each
 * block to its scratch file as it comes, with no copy per document, and a document's
 * sketches are where its block says. The stream goes in pieces of at most
 * ND_RECORD_PIECE bytes that both sides cut alike (the part head, then each block's),
 * so that a piece is one message; no piece or buffer holds a whole part. A record
 * holds no offset of the process that made it. Both processes run the same build on
 * the same kind of machine (the numbers are in its byte order).
 */
#ifndef ND_SCAN_RECORDS_H
#define ND_SCAN_RECORDS_H

#include "common/spill.h"
#include "input/corpus.h"

struct nd_shingle_blob;

#define ND_RECORD_PIECE ((size_t)4 << 20)

/* Where the pieces go (sent, written) or come from (received, read): move gets or puts
 * exactly len bytes, and returns 0 or a failure. */
typedef struct nd_record_pipe {
    int (*move)(void *payload, void *bytes, size_t len);
    void *payload;
} nd_record_pipe;

/* Sends the records of documents [first, end), scanned into spill, through out. */
int nd_scan_records_send(nd_spill *spill, const nd_corpus *c, size_t first, size_t end,
                         const nd_record_pipe *out);

/* Scans batches [first_batch, end_batch) of c on a run context of their own (threads,
 * scratch file and memory plan from c's options) and sends their records through out. */
int nd_scan_records_make(nd_corpus *c, size_t first_batch, size_t end_batch,
                         const nd_record_pipe *out);

/* Passes the records that in gives on to out, piece by piece, unread. */
int nd_scan_records_relay(const nd_record_pipe *in, const nd_record_pipe *out);

/* Takes the records of batches [first_batch, end_batch) of c from in and imports them, as
 * nd_scan_doc would have scanned them: the documents' fields; their sketches written to
 * spill a piece at a time; with blobs (the scan's, one per batch), each batch's shingle
 * blob. ND_EFORMAT when they are not well-formed records of those documents. When
 * *make_shingles is set, the shingles of the documents with words are still to be made
 * (nd_scan_records_shingles) where their offsets say; the band records are the
 * caller's to make. */
int nd_scan_records_receive(const nd_record_pipe *in, nd_corpus *c, size_t first_batch,
                            size_t end_batch, nd_spill *spill, struct nd_shingle_blob *blobs,
                            bool *make_shingles);

/* Makes the shingles of imported document d from its words (read where map says) and
 * writes them where d->shingles_off says; *units is a buffer of *cap hashes, grown as
 * needed. */
int nd_scan_records_shingles(nd_spill *spill, const nd_spill_map *map, const nd_options *o,
                             const nd_doc *d, uint64_t **units, size_t *cap);

#endif
