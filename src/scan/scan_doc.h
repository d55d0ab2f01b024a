/*
 * scan.h: stages 1-4 for one document: read, normalize, tokenize, shingle, sign.
 *
 * A scanner holds what one thread needs (ICU objects and scratch buffers);
 * scanning document i writes only document i's record and signature slot,
 * so threads never share a write and results do not depend on scheduling.
 */
#ifndef ND_SCAN_DOC_H
#define ND_SCAN_DOC_H

#include "common/spill.h"
#include "input/corpus.h"

typedef struct nd_scanner nd_scanner;

/* A scanner that writes to the scratch file spill. */
int nd_scanner_new(nd_scanner **out, const nd_options *opts, nd_spill *spill);
void nd_scanner_free(nd_scanner *s);

/* Reads the lines of docs[0..n), the batch about to be scanned, in one go where it can. */
void nd_scanner_expect(nd_scanner *s, const nd_doc *docs, size_t n);

/* Fills d (status, counts, shingle set, signature, tokens) and sig[0..num_perm).
 * Problems with the document itself are recorded in d, not returned;
 * the return value is < 0 only for ND_ENOMEM / ND_EICU. */
int nd_scan_doc(nd_scanner *s, const nd_corpus *c, nd_doc *d, uint32_t *sig);

/* The shingle hashes of the document just scanned (its n_shingles, when its status is
 * ND_DOC_OK), in text order: shingle i starts at word i. */
const uint64_t *nd_scanner_last_shingles(const nd_scanner *s);

/* Tells the scanner that the caller writes each document's shingles to the scratch
 * file and sets its shingles_off (by default the scanner does). */
void nd_scanner_keep_shingles(nd_scanner *s);

/* Writes what the scanner still holds for the scratch file; the documents' offsets
 * into it are valid only after this. */
int nd_scanner_finish(nd_scanner *s);

#endif
