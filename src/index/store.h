/*
 * store.h: the feed index's LMDB file, its tables and records (docs/ARCHITECTURE.md,
 * "The feed index").
 *
 *   meta   "schema", "options" (text), "next" (the next document number), "docs" and
 *          "bytes" (counts)
 *   docs   document number (8 bytes, big-endian) -> nd_stored_doc: head, band hashes, id
 *   texts  document number and chunk number (12 bytes) -> a chunk of the document's text
 *          compressed with zstd (a candidate's shingles are made from it again)
 *   bands  band key (band, hash: 12 bytes) -> document numbers (sorted duplicates)
 *   fresh  the same for the documents added since the last merge: added band keys land
 *          here, in a table small enough that a commit rewrites few pages, and move to
 *          bands in one sorted pass once they are an eighth of it (a commit does it)
 *   ids    XXH3 of the id (8 bytes) -> document numbers (ids of one hash told apart by
 *          the documents' records)
 *   dates  date and document number (16 bytes, big-endian, sign flipped) -> nothing
 */
#ifndef ND_STORE_H
#define ND_STORE_H

#include "common/base.h"

#include <lmdb.h>
#include <stdbool.h>

/* Band keys to add or delete later, in key order: many documents' keys in order touch
 * each page of a table once, one after the other. */
typedef struct nd_band_key {
    uint64_t hash, doc;
    uint32_t band;
} nd_band_key;
typedef struct nd_band_keys {
    nd_band_key *key;
    size_t n, cap;
} nd_band_keys;

struct ZSTD_CDict_s;
struct ZSTD_DDict_s;
typedef struct nd_writer nd_writer;
struct nd_index {
    MDB_env *env;
    MDB_dbi meta, docs, texts, bands, ids, dates, fresh;
    bool has_fresh;     /* false: an index of schema 2 opened to read, which has none */
    uint64_t fresh_min; /* band keys in fresh that a merge waits for at least */
    nd_band_keys added; /* band keys of documents put, not yet in fresh (nd_store_put_doc) */
    MDB_txn *write_txn; /* the open write transaction of a writer, or NULL */
    nd_writer *writer;  /* the background writer (writer.h), or NULL */
    struct nd_word_classes *classes; /* what its feeds' tokenizers learned from ICU */
    char *path;
    int lock_fd; /* the writer's lock (flock of the file), or -1 */
    bool writable;
    nd_options opts;
    char charset[64];           /* opts.charset's text */
    int bands_n, rows;          /* LSH banding of the options */
    uint64_t next_doc;          /* while write_txn is open: the next number to give */
    struct ZSTD_CDict_s *cdict; /* the texts' dictionary (texts.h), or NULL */
    struct ZSTD_DDict_s *ddict;
    unsigned dict_id;
    bool dict_in_txn; /* trained in the open write transaction */
};

/* The fixed head of a document's record; after it come the hashes of its bands (one u64
 * a band) and id_len bytes of id. Its text, one zstd frame of z_len bytes, is in the
 * texts table, in chunks small enough that four fill a page. */
typedef struct nd_stored_head {
    int64_t date;
    uint64_t n_bytes; /* of the text */
    uint32_t z_len;
    uint32_t id_len;
} nd_stored_head;

/* A document's record as read: pointers into LMDB's map, valid while the transaction is. */
typedef struct nd_stored_doc {
    nd_stored_head head;
    const unsigned char *band_hashes; /* bands u64, possibly unaligned */
    const char *id;                   /* id_len bytes, not NUL-terminated */
} nd_stored_doc;

/* LMDB's code as an ND_E* code, with a sentence in why. */
int nd_store_error(int mdb_rc, const char *what, char *why, size_t why_len);

/* Big-endian keys, sorting as numbers. */
void nd_store_doc_key(uint64_t doc, unsigned char key[8]);
uint64_t nd_store_doc_number(const MDB_val *key);
void nd_store_date_key(int64_t date, uint64_t doc, unsigned char key[16]);
void nd_store_band_key(uint32_t band, uint64_t hash, unsigned char key[12]);
uint64_t nd_store_id_hash(const char *id, size_t len);

/* A 64-bit or 32-bit value at p, aligned or not. */
static inline uint64_t nd_load_u64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}
static inline uint32_t nd_load_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Reads document doc's record; MDB_NOTFOUND when it is not there, ND_EINDEX when the
 * record is malformed. */
int nd_store_get_doc(const nd_index *x, MDB_txn *txn, uint64_t doc, nd_stored_doc *out);

/* Writes a document's records: docs, its text, its id and date; its band keys are added
 * to x->added, written by nd_store_flush_bands. doc is past every number in the index
 * (texts are appended). */
int nd_store_put_doc(nd_index *x, MDB_txn *txn, uint64_t doc, const nd_stored_head *head,
                     const uint64_t *band_hashes, const char *id, const void *text_z);

/* Document doc's compressed text (head->z_len bytes) into *buf, grown as needed; ND_EINDEX
 * when its chunks do not add up. */
int nd_store_get_text(const nd_index *x, MDB_txn *txn, uint64_t doc, const nd_stored_head *head,
                      unsigned char **buf, size_t *cap);

/* Deletes document doc and every key that points to it; with later, its band keys are
 * added there instead, for nd_store_delete_bands. */
int nd_store_delete_doc(nd_index *x, MDB_txn *txn, uint64_t doc, nd_band_keys *later);

/* Deletes the band keys of later, sorted first. */
int nd_store_delete_bands(nd_index *x, MDB_txn *txn, nd_band_keys *later);

/* Writes the band keys of the documents put (x->added), sorted first: before anything
 * reads the band tables in the same transaction, deletes a document, or commits. */
int nd_store_flush_bands(nd_index *x, MDB_txn *txn);

/* The number of the live document of that id, or 0 with *found false. */
int nd_store_find_id(const nd_index *x, MDB_txn *txn, const char *id, uint64_t *doc, bool *found);

/* A count of meta ("docs", "bytes", "next"), 0 when absent; and setting one. */
int nd_store_get_count(const nd_index *x, MDB_txn *txn, const char *name, uint64_t *value);
int nd_store_put_count(nd_index *x, MDB_txn *txn, const char *name, uint64_t value);

/* Closes the index's environment and opens it again, to see whether another process has
 * it open (LMDB holds a shared lock on the lock file while it does, and a process that
 * closes any descriptor of a file drops its own locks on it): ND_EBUSY when one does. */
int nd_store_reopen_alone(nd_index *x);

/* The write transaction, begun when none is open (ND_EINVAL with a background writer:
 * its thread writes). */
int nd_store_write_txn(nd_index *x, MDB_txn **txn);

/* Drops write transaction txn, and the band keys waiting to be written in it. */
void nd_store_abort(nd_index *x, MDB_txn *txn);

/* Commits txn with next_doc as the next document number, the fresh band keys merged
 * first when they are many. */
int nd_store_commit(nd_index *x, MDB_txn *txn, uint64_t next_doc);

#endif
