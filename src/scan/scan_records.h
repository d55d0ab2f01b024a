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

/* The blocks, and a choice of them. */
enum { ND_RECORD_HEADS, ND_RECORD_SIGS, ND_RECORD_PROFILES, ND_RECORD_SHINGLES, ND_RECORD_TOKENS };
#define ND_RECORD_BLOCKS 5
#define ND_RECORD_BLOCK(k) (1u << (k))
#define ND_RECORD_ALL ((1u << ND_RECORD_BLOCKS) - 1)
/* What a run reads of every document: the rest (the signatures, shingle sets and
 * profiles that verification reads) may follow for the documents that need them. With
 * the signatures first too, the importer makes the band records. */
#define ND_RECORD_FIRST ND_RECORD_BLOCK(ND_RECORD_HEADS)
#define ND_RECORD_SETS                                                                             \
    (ND_RECORD_BLOCK(ND_RECORD_SIGS) | ND_RECORD_BLOCK(ND_RECORD_PROFILES) |                       \
     ND_RECORD_BLOCK(ND_RECORD_SHINGLES))

/* Which records go: the blocks, of the documents a bitmap names (bit i - first of
 * docs[(i - first) / 8] for document i), or of all when docs is NULL. */
typedef struct nd_record_choice {
    unsigned blocks;
    const uint8_t *docs;
} nd_record_choice;

/* The offset that documents whose sketches have not come (yet) have: reading it fails. */
#define ND_RECORD_ABSENT                                                                           \
    (((uint64_t)(ND_SPILL_LANES - 1) << ND_SPILL_LANE_SHIFT) |                                     \
     (((uint64_t)1 << ND_SPILL_LANE_SHIFT) - 1))

/* Where the pieces go (sent, written) or come from (received, read): move gets or puts
 * exactly len bytes, and returns 0 or a failure. */
typedef struct nd_record_pipe {
    int (*move)(void *payload, void *bytes, size_t len);
    void *payload;
} nd_record_pipe;

/* Records in memory, a pipe's payload: nd_memory_put appends, nd_memory_get takes them in
 * order (ND_EIO past their end). */
typedef struct nd_memory_pipe {
    unsigned char *bytes;
    size_t len, cap, at;
} nd_memory_pipe;
int nd_memory_put(void *pipe, void *bytes, size_t len);
int nd_memory_get(void *pipe, void *bytes, size_t len);

/* Sends the records of documents [first, end), scanned into spill, through out: those
 * choice names (NULL: all). Records without heads are of documents the receiver knows. */
int nd_scan_records_send(nd_spill *spill, const nd_corpus *c, size_t first, size_t end,
                         const nd_record_choice *choice, const nd_record_pipe *out);

/* Passes the records that in gives on to out, piece by piece, unread. */
int nd_scan_records_relay(const nd_record_pipe *in, const nd_record_pipe *out);

/* Takes the records of batches [first_batch, end_batch) of c from in (all of them, or
 * the heads with or without the signatures) and imports them, as nd_scan_doc would have scanned
 * them: the documents' fields; their sketches written to spill a piece at a time; with blobs (the
 * scan's, one per batch), each batch's shingle blob. The sketches of the blocks that did not come
 * are at ND_RECORD_ABSENT. ND_EFORMAT when they are not well-formed records of those
 * documents. When *make_shingles is set, the shingles of the documents with words are
 * still to be made (nd_scan_records_shingles) where their offsets say; the band records
 * are the caller's to make. */
int nd_scan_records_receive(const nd_record_pipe *in, nd_corpus *c, size_t first_batch,
                            size_t end_batch, nd_spill *spill, struct nd_shingle_blob *blobs,
                            bool *make_shingles);

/* Takes the records that choice names (blocks, and the documents of [first, end) its
 * bitmap names) from in: their heads, when the blocks have them (a process that did not
 * scan them has none); their sketches written to spill, and the documents' offsets set.
 * ND_EFORMAT when they are not of the length those documents have. */
int nd_scan_records_receive_more(const nd_record_pipe *in, nd_corpus *c, size_t first, size_t end,
                                 const nd_record_choice *choice, nd_spill *spill);

/* Makes the shingles of imported document d from its words (read where map says) and
 * writes them where d->shingles_off says; *units is a buffer of *cap hashes, grown as
 * needed. */
int nd_scan_records_shingles(nd_spill *spill, const nd_spill_map *map, const nd_options *o,
                             const nd_doc *d, uint64_t **units, size_t *cap);

#endif
