/*
 * text_store.h: the texts the passage writers quote, read once for all of them.
 *
 * A passage or a place of a passage cluster is written with its text and its offsets in
 * code points, so the writers need the documents' bytes again. The texts stage reads
 * the documents they name once, on every thread, when the run ends (within half the
 * plan's text_cache share); each writer then takes them from the result, and reads
 * only what did not fit (or could not be read then) into a cache of its own.
 */
#ifndef ND_TEXT_STORE_H
#define ND_TEXT_STORE_H

#include "common/context.h"
#include "decode/text_view.h"
#include "input/corpus.h"

/* One document's bytes as the scan read them, with an index of code points every
 * ND_CP_STEP bytes (a passage's code-point offsets cost a step's counting, not a count
 * from the start), and its view when the scan read a page or a legacy charset. */
#define ND_CP_STEP 256
typedef struct nd_stored_text {
    unsigned char *bytes; /* NULL: not held */
    size_t len;
    uint32_t *cp_pos, *cp; /* cp[k] code points before byte cp_pos[k], the first sequence
                              start at or after k * ND_CP_STEP */
    nd_text_view *view;    /* a page's text, or a legacy charset's, else NULL */
} nd_stored_text;

/* The texts of a result, per document (bytes NULL for those not held). */
typedef struct nd_text_store {
    nd_stored_text *texts;
    size_t n_docs;
} nd_text_store;

/* Reads d again into t (with work, which makes views). Returns 0, or the reader's
 * failure with errno and why (of why_len bytes) saying what went wrong; ND_EIO with
 * errno 0 when the document changed since the scan read it. */
int nd_stored_text_load(const nd_corpus *c, nd_reader *reader, nd_text_view *work, const nd_doc *d,
                        nd_stored_text *t, char *why, size_t why_len);
void nd_stored_text_dispose(nd_stored_text *t);

/* The bytes t holds. */
size_t nd_stored_text_bytes(const nd_stored_text *t);

/* Code points in the first `at` bytes of t (at a sequence start, as passage bounds are). */
uint64_t nd_stored_text_chars_before(const nd_stored_text *t, size_t at);

/* The texts stage: reads the documents that passages and places name into *store, in
 * document order while their listed sizes fit in budget bytes. A document that cannot
 * be read is left out, silently: its writer reads it again and says why. */
int nd_text_store_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_passage *passages,
                        size_t n_passages, const nd_passage_place *places, size_t n_places,
                        uint64_t budget, nd_text_store *store);
void nd_text_store_free(nd_text_store *store);

#endif
