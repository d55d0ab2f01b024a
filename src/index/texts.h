/*
 * texts.h: the feed index's texts, compressed with zstd and the index's dictionary.
 *
 * Articles of a few KB compress poorly alone (zstd has seen nothing of them); a
 * dictionary trained on the first articles of a feed gives their common words and
 * phrases, and takes a third off (bench/README.md). The dictionary is trained once, from
 * the first add of at least ND_DICT_MIN_DOCS documents, and kept in meta ("dict"); texts
 * added before it have frames without one, and each frame names the dictionary it needs.
 */
#ifndef ND_TEXTS_H
#define ND_TEXTS_H

#include "index/store.h"

#include <zstd.h>

#define ND_DICT_MIN_DOCS 1000

/* Loads the index's dictionary as txn sees it, unless it is the one loaded: at opening,
 * and at the start of every transaction that decompresses texts (another process may
 * have trained it since this one opened the index). */
int nd_texts_refresh(nd_index *x, MDB_txn *txn);
void nd_texts_close(nd_index *x);

/* Trains the dictionary from n samples (sizes[i] bytes each, back to back in samples) and
 * writes it into txn's meta; does nothing when training fails (too few or too alike
 * samples): the texts are then compressed alone. */
int nd_texts_train(nd_index *x, MDB_txn *txn, const void *samples, const size_t *sizes, size_t n);

/* Forgets a dictionary trained in a transaction that was not committed. */
void nd_texts_abort(nd_index *x);

/* Compresses text[0..len) into *z (grown); *z_len bytes. */
int nd_texts_compress(const nd_index *x, ZSTD_CCtx *cctx, const void *text, size_t len,
                      unsigned char **z, size_t *z_cap, size_t *z_len);

/* Decompresses z[0..z_len) into out, which holds exactly n_bytes; ND_EINDEX when it is not
 * a frame of that size or names a dictionary the index does not have. */
int nd_texts_decompress(const nd_index *x, ZSTD_DCtx *dctx, const void *z, size_t z_len, void *out,
                        size_t n_bytes);

#endif
