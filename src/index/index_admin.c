/*
 * index_admin.c: the index's upkeep: removing documents by id, expiring them by date,
 * its figures, checking it, compacting it.
 */
#define _GNU_SOURCE
#include "index/store.h"
#include "index/texts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Ends a writer's change: committed when rc is 0, else dropped. */
static int end_change(nd_index *x, int rc)
{
    if (rc == 0)
        return nd_index_commit(x);
    nd_store_abort(x, x->write_txn);
    x->write_txn = NULL;
    nd_texts_abort(x);
    return rc;
}

int nd_index_remove(nd_index *x, const char *const *ids, size_t n, uint64_t *removed,
                    uint64_t *unknown)
{
    MDB_txn *txn;
    *removed = *unknown = 0;
    int rc = nd_store_write_txn(x, &txn);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint64_t doc;
        bool found;
        rc = nd_store_find_id(x, txn, ids[i], &doc, &found);
        if (rc == 0 && found)
            rc = nd_store_delete_doc(x, txn, doc, NULL);
        *removed += rc == 0 && found;
        *unknown += rc == 0 && !found;
    }
    return rc < 0 && !x->write_txn ? rc : end_change(x, rc);
}

int nd_index_expire(nd_index *x, int64_t before, uint64_t *removed)
{
    MDB_txn *txn;
    MDB_cursor *cur = NULL;
    uint64_t *docs = NULL;
    size_t n = 0, cap = 0;
    *removed = 0;
    int rc = nd_store_write_txn(x, &txn);
    if (rc < 0)
        return rc;
    unsigned char from[16];
    nd_store_date_key(ND_NO_DATE + 1, 0, from); /* undated documents stay */
    MDB_val k = {16, from}, v;
    int m = mdb_cursor_open(txn, x->dates, &cur);
    for (m = m ? m : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); m == 0 && rc == 0;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const int64_t date = (int64_t)(nd_store_doc_number(&k) ^ (1ull << 63));
        if (k.mv_size != 16 || date >= before)
            break;
        MDB_val doc = {8, (unsigned char *)k.mv_data + 8};
        if (ND_GROW(docs, cap, n + 1) < 0)
            rc = ND_ENOMEM;
        else
            docs[n++] = nd_store_doc_number(&doc);
    }
    if (cur)
        mdb_cursor_close(cur);
    if (rc == 0 && m && m != MDB_NOTFOUND)
        rc = nd_store_error(m, "reading the index", NULL, 0);
    nd_band_keys later = {NULL, 0, 0};
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = nd_store_delete_doc(x, txn, docs[i], &later);
    if (rc == 0)
        rc = nd_store_delete_bands(x, txn, &later);
    free(later.key);
    free(docs);
    *removed = rc == 0 ? n : 0;
    return end_change(x, rc);
}

/* ---------------------------------------------------------------- figures */

/* The dates of the first and last dated documents. */
static int date_range(const nd_index *x, MDB_txn *txn, nd_index_info *info)
{
    MDB_cursor *cur;
    unsigned char from[16];
    nd_store_date_key(ND_NO_DATE + 1, 0, from);
    MDB_val k = {16, from}, v;
    info->first_date = info->last_date = ND_NO_DATE;
    int m = mdb_cursor_open(txn, x->dates, &cur);
    if (m)
        return nd_store_error(m, "reading the index", NULL, 0);
    if (mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0)
        info->first_date = (int64_t)(nd_store_doc_number(&k) ^ (1ull << 63));
    if (info->first_date != ND_NO_DATE && mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0)
        info->last_date = (int64_t)(nd_store_doc_number(&k) ^ (1ull << 63));
    mdb_cursor_close(cur);
    return 0;
}

int nd_index_get_info(nd_index *x, nd_index_info *info)
{
    MDB_txn *txn;
    MDB_envinfo env;
    MDB_stat st, bands;
    struct stat fs;
    memset(info, 0, sizeof(*info));
    info->schema = x->has_fresh ? ND_INDEX_SCHEMA : 2;
    int m = mdb_txn_begin(x->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return nd_store_error(m, "reading the index", NULL, 0);
    int rc = nd_store_get_count(x, txn, "docs", &info->n_docs);
    if (rc == 0)
        rc = nd_store_get_count(x, txn, "bytes", &info->n_bytes);
    if (rc == 0)
        rc = date_range(x, txn, info);
    if (rc == 0 && (m = mdb_stat(txn, x->bands, &bands)) != 0)
        rc = nd_store_error(m, "reading the index", NULL, 0);
    info->n_band_keys = rc == 0 ? bands.ms_entries : 0;
    if (rc == 0 && x->has_fresh && (m = mdb_stat(txn, x->fresh, &bands)) != 0)
        rc = nd_store_error(m, "reading the index", NULL, 0);
    info->n_band_keys += rc == 0 && x->has_fresh ? bands.ms_entries : 0;
    const MDB_dbi tables[] = {x->meta, x->docs, x->texts, x->bands, x->ids, x->dates, x->fresh};
    const size_t n_tables = x->has_fresh ? 7 : 6;
    for (size_t i = 0; rc == 0 && i < n_tables; i++) {
        MDB_stat t;
        if (mdb_stat(txn, tables[i], &t) == 0)
            info->data_bytes +=
                (t.ms_branch_pages + t.ms_leaf_pages + t.ms_overflow_pages) * (uint64_t)t.ms_psize;
    }
    mdb_txn_abort(txn);
    if (rc == 0 && !mdb_env_info(x->env, &env) && !mdb_env_stat(x->env, &st))
        info->used_bytes = ((uint64_t)env.me_last_pgno + 1) * st.ms_psize;
    if (rc == 0 && stat(x->path, &fs) == 0)
        info->file_bytes = (uint64_t)fs.st_size;
    return rc;
}

/* ---------------------------------------------------------------- check */

typedef struct checker {
    nd_index *x;
    MDB_txn *txn;
    char *why;
    size_t why_len;
    unsigned char *text, *plain; /* a document's text, compressed and not */
    size_t text_cap, plain_cap;
    ZSTD_DCtx *dctx;
} checker;

static int fault(checker *k, const char *fmt, unsigned long long a, unsigned long long b)
{
    snprintf(k->why, k->why_len, fmt, a, b);
    return ND_EINDEX;
}

/* Whether table dbi has value doc (8 bytes, big-endian) under key. */
static bool has_pair(checker *k, MDB_dbi dbi, void *key, size_t key_len, uint64_t doc)
{
    unsigned char value[8];
    nd_store_doc_key(doc, value);
    MDB_val kk = {key_len, key}, v = {8, value};
    MDB_cursor *cur;
    if (mdb_cursor_open(k->txn, dbi, &cur))
        return false;
    const bool found = mdb_cursor_get(cur, &kk, &v, MDB_GET_BOTH) == 0;
    mdb_cursor_close(cur);
    return found;
}

/* One document: a well-formed record whose text is one zstd frame of its size, and its
 * id, date and band keys. */
static int check_doc(checker *k, uint64_t doc, uint64_t *bytes)
{
    nd_index *x = k->x;
    nd_stored_doc d;
    if (nd_store_get_doc(x, k->txn, doc, &d) != 0)
        return fault(k, "document %llu: its record is malformed%.0llu", doc, 0);
    if (nd_store_get_text(x, k->txn, doc, &d.head, &k->text, &k->text_cap) != 0)
        return fault(k, "document %llu: its text's chunks are missing or too long%.0llu", doc, 0);
    if (ND_GROW(k->plain, k->plain_cap, d.head.n_bytes + 1) < 0)
        return ND_ENOMEM;
    if (nd_texts_decompress(x, k->dctx, k->text, d.head.z_len, k->plain, d.head.n_bytes) < 0)
        return fault(k, "document %llu: its text is not a zstd frame of %llu bytes", doc,
                     d.head.n_bytes);
    uint64_t hash = nd_store_id_hash(d.id, d.head.id_len);
    if (!has_pair(k, x->ids, &hash, 8, doc))
        return fault(k, "document %llu: no id key points to it%.0llu", doc, 0);
    unsigned char date[16];
    nd_store_date_key(d.head.date, doc, date);
    MDB_val dk = {16, date}, dv;
    if (mdb_get(k->txn, x->dates, &dk, &dv) != 0)
        return fault(k, "document %llu: no date key points to it%.0llu", doc, 0);
    for (int b = 0; b < x->bands_n; b++) {
        unsigned char key[12];
        nd_store_band_key((uint32_t)b, nd_load_u64(d.band_hashes + 8 * b), key);
        if (!has_pair(k, x->bands, key, 12, doc) &&
            !(x->has_fresh && has_pair(k, x->fresh, key, 12, doc)))
            return fault(k, "document %llu: band %llu has no key pointing to it", doc, (unsigned)b);
    }
    *bytes += d.head.n_bytes;
    return 0;
}

/* Every value of table dbi (a document number, in the value or at key_doc bytes into the
 * key) names a live document; *n counts them. */
static int check_keys(checker *k, MDB_dbi dbi, const char *name, int key_doc, uint64_t *n)
{
    MDB_cursor *cur = NULL;
    MDB_val key, v;
    int m = mdb_cursor_open(k->txn, dbi, &cur);
    int rc = m ? nd_store_error(m, "reading the index", k->why, k->why_len) : 0;
    *n = 0;
    for (m = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &key, &v, MDB_FIRST); m == 0 && rc == 0;
         m = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        MDB_val at = key_doc >= 0 ? (MDB_val){8, (unsigned char *)key.mv_data + key_doc} : v;
        const uint64_t doc = nd_store_doc_number(&at);
        unsigned char dk[8];
        nd_store_doc_key(doc, dk);
        MDB_val dkv = {8, dk}, dv;
        if (mdb_get(k->txn, k->x->docs, &dkv, &dv) != 0) {
            snprintf(k->why, k->why_len, "a key of %s points to document %llu, which is not there",
                     name, (unsigned long long)doc);
            rc = ND_EINDEX;
        }
        ++*n;
    }
    if (cur)
        mdb_cursor_close(cur);
    return rc;
}

static int check_docs(checker *k, uint64_t *n_docs, uint64_t *bytes, uint64_t *last)
{
    MDB_cursor *cur = NULL;
    MDB_val key, v;
    int rc = 0;
    int m = mdb_cursor_open(k->txn, k->x->docs, &cur);
    if (m)
        rc = nd_store_error(m, "reading the index", k->why, k->why_len);
    for (m = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &key, &v, MDB_FIRST); m == 0 && rc == 0;
         m = mdb_cursor_get(cur, &key, &v, MDB_NEXT)) {
        *last = nd_store_doc_number(&key);
        rc = check_doc(k, *last, bytes);
        ++*n_docs;
    }
    if (cur)
        mdb_cursor_close(cur);
    return rc;
}

static int check_counts(checker *k)
{
    uint64_t n_docs = 0, bytes = 0, last = 0, meta_docs, meta_bytes, next, n;
    int rc = check_docs(k, &n_docs, &bytes, &last);
    if (rc == 0)
        rc = nd_store_get_count(k->x, k->txn, "docs", &meta_docs);
    if (rc == 0)
        rc = nd_store_get_count(k->x, k->txn, "bytes", &meta_bytes);
    if (rc == 0)
        rc = nd_store_get_count(k->x, k->txn, "next", &next);
    if (rc == 0 && meta_docs != n_docs)
        return fault(k, "the index counts %llu documents but holds %llu", meta_docs, n_docs);
    if (rc == 0 && meta_bytes != bytes)
        return fault(k, "the index counts %llu bytes but its documents have %llu", meta_bytes,
                     bytes);
    if (rc == 0 && n_docs && next <= last)
        return fault(k, "the next document number %llu is not past the last, %llu", next, last);
    if (rc == 0)
        rc = check_keys(k, k->x->bands, "bands", -1, &n);
    uint64_t n_fresh = 0;
    if (rc == 0 && k->x->has_fresh)
        rc = check_keys(k, k->x->fresh, "fresh", -1, &n_fresh);
    n += n_fresh;
    if (rc == 0 && n != n_docs * (uint64_t)k->x->bands_n)
        return fault(k, "%llu band keys for %llu documents", n, n_docs);
    if (rc == 0)
        rc = check_keys(k, k->x->ids, "ids", -1, &n);
    if (rc == 0 && n != n_docs)
        return fault(k, "%llu id keys for %llu documents", n, n_docs);
    if (rc == 0)
        rc = check_keys(k, k->x->texts, "texts", 0, &n);
    if (rc == 0)
        rc = check_keys(k, k->x->dates, "dates", 8, &n);
    if (rc == 0 && n != n_docs)
        return fault(k, "%llu date keys for %llu documents", n, n_docs);
    return rc;
}

int nd_index_check(nd_index *x, char *why, size_t why_len)
{
    char scratch[16];
    checker k = {.x = x,
                 .why = why && why_len ? why : scratch,
                 .why_len = why && why_len ? why_len : sizeof(scratch)};
    k.why[0] = '\0';
    const int m = mdb_txn_begin(x->env, NULL, MDB_RDONLY, &k.txn);
    if (m)
        return nd_store_error(m, "reading the index", k.why, k.why_len);
    k.dctx = ZSTD_createDCtx();
    int rc = k.dctx ? nd_texts_refresh(x, k.txn) : ND_ENOMEM;
    if (rc == 0)
        rc = check_counts(&k);
    mdb_txn_abort(k.txn);
    ZSTD_freeDCtx(k.dctx);
    free(k.text);
    free(k.plain);
    return rc;
}

/* ---------------------------------------------------------------- compact */

/* The compacted copy takes the file's mode and, where allowed, its owner. */
static int same_mode(const char *original, const char *copy)
{
    struct stat st;
    if (stat(original, &st) < 0 || chmod(copy, st.st_mode & 07777) < 0)
        return ND_EIO;
    if (chown(copy, st.st_uid, st.st_gid) < 0 && errno != EPERM)
        return ND_EIO;
    return 0;
}

/* Writes the compacted copy into a file of no name in target's folder (a process killed
 * while it copies leaves nothing), then gives it the name tmp. */
static int copy_unnamed(nd_index *x, const char *target, const char *tmp)
{
    char *slash = strrchr(target, '/'), proc[64];
    char *dir = strndup(target, slash ? (size_t)(slash - target) + 1 : 0);
    const int fd = dir ? open(dir[0] ? dir : ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600) : -1;
    free(dir);
    if (fd < 0)
        return ND_EIO;
    const int m = mdb_env_copyfd2(x->env, fd, MDB_CP_COMPACT);
    int rc = m ? nd_store_error(m, "compacting the index", NULL, 0) : 0;
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (rc == 0 && (fsync(fd) < 0 || linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0))
        rc = ND_EIO;
    close(fd);
    return rc;
}

int nd_index_compact(nd_index *x)
{
    if (!x->writable || x->write_txn || x->writer)
        return ND_EINVAL;
    /* a reader's lock file would no longer match the renamed file: none may have it open */
    int rc = nd_store_reopen_alone(x);
    char *target = rc == 0 ? realpath(x->path, NULL) : NULL; /* (not a symlink to it) */
    const size_t len = target ? strlen(target) + 32 : 0;
    char *tmp = target ? malloc(len) : NULL;
    if (!tmp) {
        free(target);
        return rc < 0 ? rc : target ? ND_ENOMEM : ND_EIO;
    }
    snprintf(tmp, len, "%s.compact-%ld", target, (long)getpid());
    unlink(tmp);
    rc = copy_unnamed(x, target, tmp);
    if (rc == 0)
        rc = same_mode(target, tmp);
    if (rc == 0 && rename(tmp, target) < 0)
        rc = ND_EIO;
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    free(target);
    return rc;
}
