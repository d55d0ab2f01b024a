/*
 * scan_doc.h: stages 1-4 for one document: read, normalize, tokenize, shingle, sign.
 *
 * A scanner holds what one thread needs (ICU objects and scratch buffers);
 * scanning document i writes only document i's record and signature slot,
 * so threads never share a write and results do not depend on scheduling.
 */
#ifndef ND_SCAN_DOC_H
#define ND_SCAN_DOC_H

#include "common/spill.h"
#include "input/corpus.h"
#include "text/tokenize.h"

typedef struct nd_scanner nd_scanner;

/* A document of more bytes is scanned in pieces of about this many (see scan_doc.c): what
 * is held per word is then a piece's. */
#define ND_SCAN_CHUNK_BYTES ((size_t)4 << 20)
/* A document of more shingles counts its distinct ones by sorting them in place, once they
 * are written to the scratch file: a set would take 2 to 4 times their size. */
#define ND_SCAN_SET_MAX ((size_t)1 << 18)
/* A buffer grown past this by a large document is freed after it (those of a piece stay
 * below it). */
#define ND_SCAN_KEEP_BYTES ((size_t)32 << 20)

/* Shingle hashes on their way to the scratch file: h[0..n), room for cap. */
typedef struct nd_shingle_buf {
    uint64_t *h;
    size_t n, cap;
} nd_shingle_buf;

/* A scanner that writes to the scratch file spill. */
int nd_scanner_new(nd_scanner **out, const nd_options *opts, nd_spill *spill,
                   nd_word_classes *classes);
void nd_scanner_free(nd_scanner *s);

/* Reads the lines of docs[0..n), the batch about to be scanned, in one go where it can. */
void nd_scanner_expect(nd_scanner *s, const nd_doc *docs, size_t n);

/* Fills d (status, counts, shingle set, signature, tokens) and sig[0..num_perm).
 * Problems with the document itself are recorded in d, not returned;
 * the return value is < 0 only for ND_ENOMEM / ND_EICU. */
int nd_scan_doc(nd_scanner *s, const nd_corpus *c, nd_doc *d, uint32_t *sig);

/* Tells the scanner that the caller writes the shingles to the scratch file and sets the
 * documents' shingles_off (by default the scanner does): the shingle hashes of each
 * document scanned (its n_shingles, when its status is ND_DOC_OK, in text order: shingle
 * i starts at word i) are appended to *into, whose n grows by as many. The caller counts
 * the distinct shingles of the documents nd_scan_distinct_deferred names, once it has
 * written them. */
void nd_scanner_keep_shingles(nd_scanner *s, nd_shingle_buf *into);

/* Whether d (just scanned, its shingles kept by the caller) has its n_distinct left to
 * nd_scan_count_distinct: its shingles are too many for the scanner's set. */
bool nd_scan_distinct_deferred(const nd_doc *d);
/* Sets d->n_distinct from its shingle hashes h[0..n_shingles), sorting them in place. */
void nd_scan_count_distinct(nd_doc *d, uint64_t *h);

/* Scans a document of more than chunk_bytes bytes in pieces of about that many (0: the
 * default, ND_SCAN_CHUNK_BYTES); the results do not change. For tests. */
void nd_scanner_set_chunk_bytes(nd_scanner *s, size_t chunk_bytes);

/* Writes what the scanner still holds for the scratch file; the documents' offsets
 * into it are valid only after this. */
int nd_scanner_finish(nd_scanner *s);

#endif
