/*
 * writer.h: the index's commits on a thread of their own (ND_INDEX_BACKGROUND), and the
 * documents on their way there, seen by the feeds that come after them.
 *
 * A commit writes the pages a transaction changed and waits for the disk (fdatasync):
 * tens of milliseconds on an index of a million articles, as its band keys land on pages
 * all over the file. A stream that committed on its own thread would keep the lines that
 * arrive meanwhile waiting for their verdicts. So a background writer owns the write
 * transaction: a feed reads a snapshot of the last commit and hands its changes over
 * (documents to add, to delete, the dictionary), each with the number of the commit
 * that will hold it; until that commit is in the snapshot of a later feed, the feed
 * finds them here (pending). LMDB binds a write transaction to the thread that began
 * it, so only this thread writes.
 *
 * The view functions are what a feed calls: with a background writer they see the
 * pending changes over the snapshot and queue new ones; without one they read and write
 * the transaction given.
 */
#ifndef ND_WRITER_H
#define ND_WRITER_H

#include "index/store.h"

/* Starts the writer thread of x (x->writer), the next document number read from meta. */
int nd_writer_start(nd_index *x);

/* Waits for what was queued, drops what no commit ended, and stops the thread. */
void nd_writer_stop(nd_index *x);

/* Queues a commit of everything queued before it; the first failure of the writer so
 * far, or 0. */
int nd_writer_commit(nd_index *x);

/* Waits until the writer has done everything queued; its first failure, or 0. */
int nd_writer_flush(nd_index *x);

/* Forgets the pending changes that the last finished commit holds: call it just before
 * beginning the read transaction a feed works on, which then holds them. */
void nd_writer_snapshot(nd_index *x);

/* ---------------------------------------------------------------- views */

/* Document doc's record (and, with z, its compressed text into *z): MDB_NOTFOUND when it
 * is not there or its deletion is pending. */
int nd_view_get_doc(const nd_index *x, MDB_txn *txn, uint64_t doc, nd_stored_doc *out);
int nd_view_get_text(const nd_index *x, MDB_txn *txn, uint64_t doc, const nd_stored_head *head,
                     unsigned char **buf, size_t *cap);
int nd_view_find_id(const nd_index *x, MDB_txn *txn, const char *id, uint64_t *doc, bool *found);

/* Calls fn for each document under band key (band, hash), in no particular order and
 * possibly twice (a pending one that the snapshot holds already). */
int nd_view_band_docs(const nd_index *x, MDB_txn *txn, uint32_t band, uint64_t hash,
                      int (*fn)(void *payload, uint64_t doc), void *payload);

int nd_view_put_doc(nd_index *x, MDB_txn *txn, uint64_t doc, const nd_stored_head *head,
                    const uint64_t *band_hashes, const char *id, const void *text_z);
int nd_view_delete_doc(nd_index *x, MDB_txn *txn, uint64_t doc);
int nd_view_put_meta(nd_index *x, MDB_txn *txn, const char *key, const void *value, size_t len);

#endif
