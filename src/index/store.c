/*
 * store.c: the feed index's file: creating and opening it, its options, its records.
 *
 * LMDB keeps the tables in one memory-mapped file: a commit is atomic and a reader never
 * waits for the writer (docs/ARCHITECTURE.md, "The feed index"). One process writes at a
 * time: LMDB would queue a second writer on its own lock with no word and no limit, so a
 * writer first takes an flock of the file, with a message when it waits and a timeout.
 */
#define _GNU_SOURCE
#include "index/store.h"

#include "index/texts.h"
#include "index/writer.h"
#include "common/radix.h"
#include "text/tokenize.h"
#include "scan/bands.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* Fresh band keys that a merge waits for at least: some 80,000 documents' (about 40 MB
 * of pages, which each commit may rewrite), so that an index grows through a merge every
 * eighth of its size, not one every commit. */
#define FRESH_MIN (1u << 20)

/* Band keys of documents put that are written, sorted, at the latest when they are this
 * many (20 MB). */
#define FLUSH_KEYS (1u << 20)

/* The map's size: address space, not disk (the file grows as pages are used). */
#define MAP_BYTES (256ull << 30)

int nd_store_error(int mdb_rc, const char *what, char *why, size_t why_len)
{
    if (why && why_len)
        snprintf(why, why_len, "%s: %s", what, mdb_strerror(mdb_rc));
    switch (mdb_rc) {
    case ENOMEM: return ND_ENOMEM;
    case MDB_INVALID:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
    case MDB_NOTFOUND: return ND_EINDEX;
    default: return ND_EIO;
    }
}

void nd_store_doc_key(uint64_t doc, unsigned char key[8])
{
    for (int i = 0; i < 8; i++)
        key[i] = (unsigned char)(doc >> (56 - 8 * i));
}

uint64_t nd_store_doc_number(const MDB_val *key)
{
    const unsigned char *k = key->mv_data;
    uint64_t doc = 0;
    for (size_t i = 0; i < 8 && i < key->mv_size; i++)
        doc = doc << 8 | k[i];
    return doc;
}

void nd_store_date_key(int64_t date, uint64_t doc, unsigned char key[16])
{
    nd_store_doc_key((uint64_t)date ^ (1ull << 63), key); /* sign flipped: sorts as signed */
    nd_store_doc_key(doc, key + 8);
}

void nd_store_band_key(uint32_t band, uint64_t hash, unsigned char key[12])
{
    memcpy(key, &band, 4);
    memcpy(key + 4, &hash, 8);
}

uint64_t nd_store_id_hash(const char *id, size_t len)
{
    return XXH3_64bits(id, len);
}

/* ---------------------------------------------------------------- options */

static const char *const normalize_names[] = {"none", "basic", "full"};
static const char *const unit_names[] = {"word", "char"};
static const char *const html_names[] = {"auto", "text", "off"};

/* The options that decide similarity, as meta's "options" text. */
static void options_text(const nd_options *o, char *buf, size_t len)
{
    snprintf(buf, len,
             "normalize=%s\nshingle-unit=%s\nshingle=%d\nchar-ngram=%d\nnum-perm=%d\nseed=%llu\n"
             "threshold=%.17g\nbands=%d\nrows=%d\n",
             normalize_names[o->normalize], unit_names[o->shingle_unit], o->shingle_k,
             o->char_ngram, o->num_perm, (unsigned long long)o->seed, o->threshold, o->bands,
             o->rows);
    /* how pages and charsets are read, where not the default (an index made before they
     * were options reads as the defaults) */
    const size_t n = strlen(buf);
    if (o->html != ND_HTML_AUTO || o->html_main || o->charset)
        snprintf(buf + n, len - n, "html=%s\nhtml-main=%d\ncharset=%s\n", html_names[o->html],
                 o->html_main != 0, o->charset ? o->charset : "");
}

static int word_index(const char *const *words, size_t n, const char *w)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(words[i], w))
            return (int)i;
    return -1;
}

/* Reads meta's "options" text into *o (from ND_OPTIONS_INIT); false on a line it does not
 * know. */
static bool parse_options(const char *text, size_t len, nd_options *o, char *charset,
                          size_t charset_len)
{
    const nd_options defaults = ND_OPTIONS_INIT;
    *o = defaults;
    char line[128];
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        const size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        if (n >= sizeof(line))
            return false;
        memcpy(line, text + at, n);
        line[n] = '\0';
        at += n + 1;
        char *eq = strchr(line, '=');
        if (!eq)
            return false;
        *eq++ = '\0';
        int w;
        if (!strcmp(line, "normalize") && (w = word_index(normalize_names, 3, eq)) >= 0)
            o->normalize = (nd_normalize_mode)w;
        else if (!strcmp(line, "shingle-unit") && (w = word_index(unit_names, 2, eq)) >= 0)
            o->shingle_unit = (nd_shingle_unit)w;
        else if (!strcmp(line, "shingle"))
            o->shingle_k = atoi(eq);
        else if (!strcmp(line, "char-ngram"))
            o->char_ngram = atoi(eq);
        else if (!strcmp(line, "num-perm"))
            o->num_perm = atoi(eq);
        else if (!strcmp(line, "seed"))
            o->seed = strtoull(eq, NULL, 10);
        else if (!strcmp(line, "threshold"))
            o->threshold = strtod(eq, NULL);
        else if (!strcmp(line, "bands"))
            o->bands = atoi(eq);
        else if (!strcmp(line, "rows"))
            o->rows = atoi(eq);
        else if (!strcmp(line, "html") && (w = word_index(html_names, 3, eq)) >= 0)
            o->html = (nd_html_mode)w;
        else if (!strcmp(line, "html-main"))
            o->html_main = atoi(eq);
        else if (!strcmp(line, "charset") && strlen(eq) < charset_len)
            o->charset = *eq ? strcpy(charset, eq) : NULL;
        else
            return false;
    }
    return nd_options_check(o, NULL) == 0;
}

const char *nd_index_option_differs(const nd_index *x, const nd_options *o)
{
    const nd_options *s = &x->opts;
    if (o->normalize != s->normalize)
        return "normalize";
    if (o->shingle_unit != s->shingle_unit)
        return "shingle-unit";
    if (o->shingle_k != s->shingle_k)
        return "shingle";
    if (o->char_ngram != s->char_ngram)
        return "char-ngram";
    if (o->num_perm != s->num_perm)
        return "num-perm";
    if (o->seed != s->seed)
        return "seed";
    if (o->threshold != s->threshold)
        return "threshold";
    if (o->bands && o->bands != x->bands_n)
        return "bands";
    if (o->rows && o->rows != x->rows)
        return "rows";
    if (o->html != s->html)
        return "html";
    if ((o->html_main != 0) != (s->html_main != 0))
        return "html-main";
    if ((o->charset != NULL) != (s->charset != NULL) ||
        (o->charset && strcasecmp(o->charset, s->charset)))
        return "charset";
    return NULL;
}

const nd_options *nd_index_options(const nd_index *x)
{
    return &x->opts;
}

/* ---------------------------------------------------------------- counts */

int nd_store_get_count(const nd_index *x, MDB_txn *txn, const char *name, uint64_t *value)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    *value = 0;
    const int rc = mdb_get(txn, x->meta, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return nd_store_error(rc, "reading the index", NULL, 0);
    if (v.mv_size != 8)
        return ND_EINDEX;
    *value = nd_load_u64(v.mv_data);
    return 0;
}

int nd_store_put_count(nd_index *x, MDB_txn *txn, const char *name, uint64_t value)
{
    MDB_val k = {strlen(name), (void *)name}, v = {8, &value};
    const int rc = mdb_put(txn, x->meta, &k, &v, 0);
    return rc ? nd_store_error(rc, "writing the index", NULL, 0) : 0;
}

/* ---------------------------------------------------------------- records */

/* Adds to meta's counts of documents and bytes. */
static int add_to_counts(nd_index *x, MDB_txn *txn, int64_t docs, int64_t bytes)
{
    uint64_t n_docs, n_bytes;
    int rc = nd_store_get_count(x, txn, "docs", &n_docs);
    if (rc == 0)
        rc = nd_store_get_count(x, txn, "bytes", &n_bytes);
    if (rc == 0)
        rc = nd_store_put_count(x, txn, "docs", n_docs + (uint64_t)docs);
    if (rc == 0)
        rc = nd_store_put_count(x, txn, "bytes", n_bytes + (uint64_t)bytes);
    return rc;
}

int nd_store_get_doc(const nd_index *x, MDB_txn *txn, uint64_t doc, nd_stored_doc *out)
{
    unsigned char key[8];
    nd_store_doc_key(doc, key);
    MDB_val k = {8, key}, v;
    const int rc = mdb_get(txn, x->docs, &k, &v);
    if (rc)
        return rc == MDB_NOTFOUND ? MDB_NOTFOUND : nd_store_error(rc, "reading", NULL, 0);
    const unsigned char *p = v.mv_data;
    if (v.mv_size < sizeof(out->head))
        return ND_EINDEX;
    memcpy(&out->head, p, sizeof(out->head));
    const uint64_t need = sizeof(out->head) + (uint64_t)x->bands_n * 8 + out->head.id_len;
    if (need != v.mv_size)
        return ND_EINDEX;
    out->band_hashes = p + sizeof(out->head);
    out->id = (const char *)out->band_hashes + (size_t)x->bands_n * 8;
    return 0;
}

/* A chunk of text: 8 + 12 + TEXT_CHUNK + 2 bytes with its node header, key and pointer,
 * so that four fill a 4 KiB page (4080 bytes after its header). */
#define TEXT_CHUNK 998

static void text_key(uint64_t doc, uint32_t chunk, unsigned char key[12])
{
    nd_store_doc_key(doc, key);
    for (int i = 0; i < 4; i++)
        key[8 + i] = (unsigned char)(chunk >> (24 - 8 * i));
}

int nd_store_get_text(const nd_index *x, MDB_txn *txn, uint64_t doc, const nd_stored_head *head,
                      unsigned char **buf, size_t *cap)
{
    if (ND_GROW(*buf, *cap, (size_t)head->z_len + 1) < 0)
        return ND_ENOMEM;
    size_t at = 0;
    for (uint32_t chunk = 0; at < head->z_len; chunk++) {
        unsigned char key[12];
        text_key(doc, chunk, key);
        MDB_val k = {12, key}, v;
        const int m = mdb_get(txn, x->texts, &k, &v);
        if (m)
            return m == MDB_NOTFOUND ? ND_EINDEX : nd_store_error(m, "reading the index", NULL, 0);
        if (v.mv_size > head->z_len - at)
            return ND_EINDEX;
        memcpy(*buf + at, v.mv_data, v.mv_size);
        at += v.mv_size;
    }
    return 0;
}

/* Appends (add) or deletes the chunks of document doc's text. */
static int update_text(nd_index *x, MDB_txn *txn, uint64_t doc, const unsigned char *z, size_t len,
                       bool add)
{
    for (uint32_t chunk = 0; (size_t)chunk * TEXT_CHUNK < len; chunk++) {
        unsigned char key[12];
        text_key(doc, chunk, key);
        const size_t at = (size_t)chunk * TEXT_CHUNK,
                     n = len - at < TEXT_CHUNK ? len - at : TEXT_CHUNK;
        MDB_val k = {12, key}, v = {n, (void *)(z ? z + at : NULL)};
        const int m =
            add ? mdb_put(txn, x->texts, &k, &v, MDB_APPEND) : mdb_del(txn, x->texts, &k, NULL);
        if (m && !(m == MDB_NOTFOUND && !add))
            return nd_store_error(m, "writing the index", NULL, 0);
    }
    return 0;
}

static int put_key(MDB_txn *txn, MDB_dbi dbi, void *key, size_t key_len, void *val, size_t val_len)
{
    MDB_val k = {key_len, key}, v = {val_len, val};
    const int rc = mdb_put(txn, dbi, &k, &v, 0);
    return rc ? nd_store_error(rc, "writing the index", NULL, 0) : 0;
}

/* Deletes a band key from the merged band keys or the fresh ones, wherever it is (the
 * merged first: expiry deletes old documents). */
static int delete_band_key(nd_index *x, MDB_txn *txn, const nd_band_key *key)
{
    unsigned char band_key[12], doc_key[8];
    nd_store_band_key(key->band, key->hash, band_key);
    nd_store_doc_key(key->doc, doc_key);
    MDB_val k = {12, band_key}, v = {8, doc_key};
    int m = mdb_del(txn, x->bands, &k, &v);
    if (m == MDB_NOTFOUND && x->has_fresh)
        m = mdb_del(txn, x->fresh, &k, &v);
    return m && m != MDB_NOTFOUND ? nd_store_error(m, "writing the index", NULL, 0) : 0;
}

/* Appends doc's band keys (hashes at band_hashes, possibly unaligned) to keys. */
static int note_bands(const nd_index *x, uint64_t doc, const unsigned char *band_hashes,
                      nd_band_keys *keys)
{
    if (ND_GROW(keys->key, keys->cap, keys->n + (size_t)x->bands_n) < 0)
        return ND_ENOMEM;
    for (int b = 0; b < x->bands_n; b++)
        keys->key[keys->n++] = (nd_band_key){nd_load_u64(band_hashes + 8 * b), doc, (uint32_t)b};
    return 0;
}

/* Deletes document doc from under each of its band keys (hashes at band_hashes, possibly
 * unaligned). */
static int delete_bands(nd_index *x, MDB_txn *txn, uint64_t doc, const unsigned char *band_hashes)
{
    int rc = 0;
    for (int b = 0; b < x->bands_n && rc == 0; b++) {
        const nd_band_key key = {nd_load_u64(band_hashes + 8 * b), doc, (uint32_t)b};
        rc = delete_band_key(x, txn, &key);
    }
    return rc;
}

/* Sorts keys as the tables order them: by band, hash, then document. */
static int sort_band_keys(nd_band_keys *keys)
{
    static const nd_radix_key by[] = {{offsetof(nd_band_key, band), 4, false},
                                      {offsetof(nd_band_key, hash), 8, true},
                                      {offsetof(nd_band_key, doc), 8, false}};
    const nd_sort_env env = {1, NULL};
    return nd_radix_sort(&env, keys->key, keys->n, sizeof(*keys->key), by, 3);
}

int nd_store_put_doc(nd_index *x, MDB_txn *txn, uint64_t doc, const nd_stored_head *head,
                     const uint64_t *band_hashes, const char *id, const void *text_z)
{
    const size_t hashes = (size_t)x->bands_n * 8;
    const size_t size = sizeof(*head) + hashes + head->id_len;
    unsigned char key[16];
    nd_store_doc_key(doc, key);
    MDB_val k = {8, key}, v = {size, NULL};
    int m = mdb_put(txn, x->docs, &k, &v, MDB_RESERVE | MDB_APPEND);
    if (m)
        return nd_store_error(m, "writing the index", NULL, 0);
    unsigned char *p = v.mv_data;
    memcpy(p, head, sizeof(*head));
    memcpy(p + sizeof(*head), band_hashes, hashes);
    memcpy(p + sizeof(*head) + hashes, id, head->id_len);
    int rc = update_text(x, txn, doc, text_z, head->z_len, true);
    if (rc == 0)
        rc = note_bands(x, doc, (const unsigned char *)band_hashes, &x->added);
    if (rc == 0 && x->added.n >= FLUSH_KEYS)
        rc = nd_store_flush_bands(x, txn);
    uint64_t hash = nd_store_id_hash(id, head->id_len);
    unsigned char dockey[8];
    nd_store_doc_key(doc, dockey);
    if (rc == 0)
        rc = put_key(txn, x->ids, &hash, 8, dockey, 8);
    nd_store_date_key(head->date, doc, key);
    if (rc == 0)
        rc = put_key(txn, x->dates, key, 16, NULL, 0);
    return rc < 0 ? rc : add_to_counts(x, txn, 1, (int64_t)head->n_bytes);
}

int nd_store_delete_bands(nd_index *x, MDB_txn *txn, nd_band_keys *later)
{
    int rc = sort_band_keys(later);
    for (size_t i = 0; rc == 0 && i < later->n; i++)
        rc = delete_band_key(x, txn, &later->key[i]);
    later->n = 0;
    return rc;
}

int nd_store_flush_bands(nd_index *x, MDB_txn *txn)
{
    nd_band_keys *added = &x->added;
    MDB_cursor *cur = NULL;
    int rc = added->n ? sort_band_keys(added) : 0, m = 0;
    if (rc == 0 && added->n)
        m = mdb_cursor_open(txn, x->fresh, &cur);
    for (size_t i = 0; rc == 0 && !m && i < added->n; i++) {
        unsigned char band_key[12], doc_key[8];
        nd_store_band_key(added->key[i].band, added->key[i].hash, band_key);
        nd_store_doc_key(added->key[i].doc, doc_key);
        MDB_val k = {12, band_key}, v = {8, doc_key};
        m = mdb_cursor_put(cur, &k, &v, MDB_NODUPDATA);
        m = m == MDB_KEYEXIST ? 0 : m;
    }
    if (cur)
        mdb_cursor_close(cur);
    added->n = 0;
    return rc < 0 ? rc : m ? nd_store_error(m, "writing the index", NULL, 0) : 0;
}

int nd_store_delete_doc(nd_index *x, MDB_txn *txn, uint64_t doc, nd_band_keys *later)
{
    nd_stored_doc d;
    int rc = nd_store_flush_bands(x, txn); /* (its keys may be among them) */
    if (rc < 0)
        return rc;
    rc = nd_store_get_doc(x, txn, doc, &d);
    if (rc)
        return rc == MDB_NOTFOUND ? 0 : rc;
    /* (what d points to may move at the first change: copied before) */
    unsigned char *hashes = malloc((size_t)x->bands_n * 8);
    if (!hashes)
        return ND_ENOMEM;
    memcpy(hashes, d.band_hashes, (size_t)x->bands_n * 8);
    uint64_t hash = nd_store_id_hash(d.id, d.head.id_len);
    unsigned char dockey[8], datekey[16];
    nd_store_doc_key(doc, dockey);
    nd_store_date_key(d.head.date, doc, datekey);
    const int64_t bytes = (int64_t)d.head.n_bytes;
    const uint32_t z_len = d.head.z_len;
    MDB_val idk = {8, &hash}, idv = {8, dockey}, dk = {16, datekey}, k = {8, dockey};
    rc = later ? note_bands(x, doc, hashes, later) : delete_bands(x, txn, doc, hashes);
    if (rc == 0)
        rc = update_text(x, txn, doc, NULL, z_len, false);
    free(hashes);
    int m = rc ? 0 : mdb_del(txn, x->ids, &idk, &idv);
    if (!m || m == MDB_NOTFOUND)
        m = mdb_del(txn, x->dates, &dk, NULL);
    if (!m || m == MDB_NOTFOUND)
        m = mdb_del(txn, x->docs, &k, NULL);
    if (rc == 0 && m)
        rc = nd_store_error(m, "writing the index", NULL, 0);
    return rc < 0 ? rc : add_to_counts(x, txn, -1, -bytes);
}

int nd_store_find_id(const nd_index *x, MDB_txn *txn, const char *id, uint64_t *doc, bool *found)
{
    const size_t len = strlen(id);
    uint64_t hash = nd_store_id_hash(id, len);
    MDB_val k = {8, &hash}, v;
    MDB_cursor *cur;
    *found = false;
    *doc = 0;
    int m = mdb_cursor_open(txn, x->ids, &cur);
    if (m)
        return nd_store_error(m, "reading the index", NULL, 0);
    int rc = 0;
    for (m = mdb_cursor_get(cur, &k, &v, MDB_SET); m == 0 && rc == 0;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
        nd_stored_doc d;
        const uint64_t number = nd_store_doc_number(&v);
        rc = nd_store_get_doc(x, txn, number, &d);
        if (rc == MDB_NOTFOUND)
            rc = ND_EINDEX; /* a key to no document: index check tells */
        if (rc == 0 && d.head.id_len == len && !memcmp(d.id, id, len)) {
            *found = true;
            *doc = number;
            break;
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

int nd_store_write_txn(nd_index *x, MDB_txn **txn)
{
    if (!x->writable || x->writer)
        return ND_EINVAL;
    if (!x->write_txn) {
        const int m = mdb_txn_begin(x->env, NULL, 0, &x->write_txn);
        if (m)
            return nd_store_error(m, "writing the index", NULL, 0);
        const int rc = nd_store_get_count(x, x->write_txn, "next", &x->next_doc);
        if (rc < 0) {
            mdb_txn_abort(x->write_txn);
            x->write_txn = NULL;
            return rc;
        }
    }
    *txn = x->write_txn;
    return 0;
}

/* The bytes the index's pages need: every page up to the last one LMDB counts. */
static uint64_t pages_bytes(const nd_index *x)
{
    MDB_envinfo info;
    MDB_stat st;
    if (mdb_env_info(x->env, &info) || mdb_env_stat(x->env, &st))
        return 0;
    return ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
}

/* LMDB counts pages that a commit took and freed again without writing them, so after a
 * commit the file may end before its last page: the writer extends it (with zeros) so
 * that a file shorter than its pages is always a damaged one. */
static void cover_pages(const nd_index *x)
{
    struct stat fs;
    const uint64_t need = pages_bytes(x);
    if (x->lock_fd >= 0 && fstat(x->lock_fd, &fs) == 0 && (uint64_t)fs.st_size < need &&
        ftruncate(x->lock_fd, (off_t)need) < 0) {
        /* (the next open says the file is damaged: nothing more to do here) */
    }
}

/* Moves the fresh band keys to the merged ones, in key order (each page of the merged
 * table is rewritten once), when they are at least fresh_min and an eighth of those. A
 * commit rewrites every page its transaction touched: keys added all over a table of a
 * million documents' keys rewrite most of it at every commit, where keys added to a
 * small fresh table rewrite only that, and the merged table once a merge. */
static int merge_fresh(nd_index *x, MDB_txn *txn)
{
    MDB_stat fresh, bands;
    int m = x->has_fresh ? mdb_stat(txn, x->fresh, &fresh) : MDB_NOTFOUND;
    if (!m)
        m = mdb_stat(txn, x->bands, &bands);
    if (m)
        return m == MDB_NOTFOUND ? 0 : nd_store_error(m, "reading the index", NULL, 0);
    if (fresh.ms_entries < x->fresh_min || fresh.ms_entries < bands.ms_entries / 8)
        return 0;
    MDB_cursor *from = NULL, *to = NULL;
    MDB_val k, v;
    m = mdb_cursor_open(txn, x->fresh, &from);
    if (!m)
        m = mdb_cursor_open(txn, x->bands, &to);
    for (m = m ? m : mdb_cursor_get(from, &k, &v, MDB_FIRST); m == 0;
         m = mdb_cursor_get(from, &k, &v, MDB_NEXT)) {
        const int put = mdb_cursor_put(to, &k, &v, MDB_NODUPDATA);
        if (put && put != MDB_KEYEXIST) {
            m = put;
            break;
        }
    }
    if (from)
        mdb_cursor_close(from);
    if (to)
        mdb_cursor_close(to);
    if (m == MDB_NOTFOUND)
        m = mdb_drop(txn, x->fresh, 0);
    return m ? nd_store_error(m, "writing the index", NULL, 0) : 0;
}

void nd_store_abort(nd_index *x, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    x->added.n = 0;
}

int nd_store_commit(nd_index *x, MDB_txn *txn, uint64_t next_doc)
{
    int rc = nd_store_flush_bands(x, txn);
    if (rc == 0)
        rc = merge_fresh(x, txn);
    if (rc == 0)
        rc = nd_store_put_count(x, txn, "next", next_doc);
    if (rc < 0) {
        nd_store_abort(x, txn);
        return rc;
    }
    const int m = mdb_txn_commit(txn);
    if (m)
        return nd_store_error(m, "committing to the index", NULL, 0);
    cover_pages(x);
    return 0;
}

int nd_index_commit(nd_index *x)
{
    if (x->writer)
        return nd_writer_commit(x);
    if (!x->write_txn)
        return 0;
    const int rc = nd_store_commit(x, x->write_txn, x->next_doc);
    x->write_txn = NULL;
    if (rc < 0)
        nd_texts_abort(x);
    x->dict_in_txn = false;
    return rc;
}

int nd_index_flush(nd_index *x)
{
    return x->writer ? nd_writer_flush(x) : 0;
}

/* ---------------------------------------------------------------- opening */

/* The tables; fresh (schema 3) only when schema is 3, or when it is made (create). */
static int open_tables(nd_index *x, MDB_txn *txn, unsigned create, uint32_t schema)
{
    static const char *const names[] = {"meta", "docs", "texts", "bands", "ids", "dates", "fresh"};
    MDB_dbi *dbi[] = {&x->meta, &x->docs, &x->texts, &x->bands, &x->ids, &x->dates, &x->fresh};
    const unsigned keys = MDB_DUPSORT | MDB_DUPFIXED;
    const unsigned flags[] = {0, 0, 0, keys, keys, 0, keys};
    const size_t n = create || schema >= 3 ? 7 : 6;
    for (size_t i = 0; i < n; i++) {
        const int m = mdb_dbi_open(txn, names[i], flags[i] | create, dbi[i]);
        if (m)
            return m;
    }
    x->has_fresh = n == 7;
    return 0;
}

/* A writer's index of schema 2 gets the fresh table and schema 3 (what schema 2 holds,
 * schema 3 reads as it is). */
static int upgrade(nd_index *x, char *why, size_t why_len)
{
    MDB_txn *txn;
    int m = mdb_txn_begin(x->env, NULL, 0, &txn);
    if (m)
        return nd_store_error(m, x->path, why, why_len);
    uint32_t schema = ND_INDEX_SCHEMA;
    MDB_val k = {6, "schema"}, v = {4, &schema};
    m = open_tables(x, txn, MDB_CREATE, schema);
    if (!m)
        m = mdb_put(txn, x->meta, &k, &v, 0);
    if (!m)
        return (m = mdb_txn_commit(txn)) ? nd_store_error(m, x->path, why, why_len) : 0;
    mdb_txn_abort(txn);
    return nd_store_error(m, x->path, why, why_len);
}

static int new_env(const char *path, unsigned flags, MDB_env **env)
{
    int m = mdb_env_create(env);
    if (!m)
        m = mdb_env_set_maxdbs(*env, 8);
    if (!m)
        m = mdb_env_set_mapsize(*env, MAP_BYTES);
    if (!m)
        m = mdb_env_open(*env, path, MDB_NOSUBDIR | MDB_NOTLS | MDB_NOMEMINIT | flags, 0644);
    if (m) {
        mdb_env_close(*env);
        *env = NULL;
    }
    return m;
}

static void set_banding(nd_index *x)
{
    x->bands_n = x->opts.bands;
    x->rows = x->opts.rows;
    if (!x->bands_n)
        nd_lsh_params(x->opts.threshold, x->opts.num_perm, &x->bands_n, &x->rows);
}

int nd_index_create(const char *path, const nd_options *opts)
{
    const nd_options defaults = ND_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    if (nd_options_check(opts, NULL) < 0)
        return ND_EINVAL;
    const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? ND_EEXIST : ND_EIO;
    close(fd);
    nd_index x = {.opts = *opts, .lock_fd = -1};
    char text[512];
    options_text(opts, text, sizeof(text));
    MDB_txn *txn = NULL;
    int m = new_env(path, 0, &x.env);
    if (!m)
        m = mdb_txn_begin(x.env, NULL, 0, &txn);
    if (!m)
        m = open_tables(&x, txn, MDB_CREATE, ND_INDEX_SCHEMA);
    MDB_val schema_k = {6, "schema"}, opts_k = {7, "options"}, opts_v = {strlen(text), text};
    uint32_t schema = ND_INDEX_SCHEMA;
    MDB_val schema_v = {4, &schema};
    if (!m)
        m = mdb_put(txn, x.meta, &schema_k, &schema_v, 0);
    if (!m)
        m = mdb_put(txn, x.meta, &opts_k, &opts_v, 0);
    int rc = m ? nd_store_error(m, "creating the index", NULL, 0) : 0;
    if (rc == 0)
        rc = nd_store_put_count(&x, txn, "next", 1);
    if (rc == 0 && (m = mdb_txn_commit(txn)) != 0)
        rc = nd_store_error(m, "creating the index", NULL, 0);
    else if (rc < 0 && txn)
        mdb_txn_abort(txn);
    mdb_env_close(x.env);
    if (rc < 0) {
        unlink(path);
        char lock[4096];
        snprintf(lock, sizeof(lock), "%s-lock", path);
        unlink(lock);
    }
    return rc;
}

/* Takes the writer's lock on fd, waiting up to timeout seconds (negative: for ever). */
static int take_writer_lock(int fd, const char *path, double timeout,
                            void (*wait_fn)(const char *, void *), void *payload)
{
    const double give_up = nd_seconds_now() + timeout;
    bool told = false;
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return ND_EIO;
        if (timeout >= 0 && nd_seconds_now() >= give_up)
            return ND_EBUSY;
        if (!told && wait_fn)
            wait_fn(path, payload);
        told = true;
        const struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return 0;
}

/* The file must hold every page the meta page counts: a truncated file would fault when
 * a missing page is read. */
/* Takes the writer's lock of the file at x->path: of the file that is there once the lock
 * is held (a compaction may have renamed a new one over the one it waited on). */
static int lock_the_file(nd_index *x, double timeout, void (*wait_fn)(const char *, void *),
                         void *payload)
{
    for (;;) {
        struct stat locked, now;
        x->lock_fd = open(x->path, O_RDWR | O_CLOEXEC);
        if (x->lock_fd < 0)
            return ND_EIO;
        const int rc = take_writer_lock(x->lock_fd, x->path, timeout, wait_fn, payload);
        if (rc < 0 || fstat(x->lock_fd, &locked) < 0 || stat(x->path, &now) < 0)
            return rc < 0 ? rc : ND_EIO;
        if (locked.st_dev == now.st_dev && locked.st_ino == now.st_ino)
            return 0;
        close(x->lock_fd);
        wait_fn = NULL; /* (said once) */
    }
}

/* The file must hold every page its meta page counts: a truncated file would fault when
 * a missing page is read. */
static int check_size(nd_index *x, char *why, size_t why_len)
{
    struct stat fs;
    const uint64_t need = pages_bytes(x);
    if (stat(x->path, &fs) < 0)
        return ND_EIO;
    if ((uint64_t)fs.st_size >= need)
        return 0;
    snprintf(why, why_len, "%s is damaged: %llu bytes where its pages need %llu (truncated?)",
             x->path, (unsigned long long)fs.st_size, (unsigned long long)need);
    return ND_EINDEX;
}

/* The tables, the schema and the options, in a read transaction. */
static int read_meta(nd_index *x, char *why, size_t why_len)
{
    MDB_txn *txn;
    int m = mdb_txn_begin(x->env, NULL, MDB_RDONLY, &txn);
    if (m)
        return nd_store_error(m, x->path, why, why_len);
    /* meta first: another schema may have other tables */
    m = mdb_dbi_open(txn, "meta", 0, &x->meta);
    MDB_val schema_k = {6, "schema"}, opts_k = {7, "options"}, v;
    int rc = 0;
    if (m || mdb_get(txn, x->meta, &schema_k, &v) || v.mv_size != 4) {
        snprintf(why, why_len, "%s is an LMDB file but not a neardup index", x->path);
        rc = ND_EINDEX;
    } else if (nd_load_u32(v.mv_data) != ND_INDEX_SCHEMA && nd_load_u32(v.mv_data) != 2) {
        snprintf(why, why_len, "%s is a neardup index of schema %u; this neardup reads schema %d",
                 x->path, nd_load_u32(v.mv_data), ND_INDEX_SCHEMA);
        rc = ND_EINDEX;
    } else if (open_tables(x, txn, 0, nd_load_u32(v.mv_data)) != 0) {
        snprintf(why, why_len, "%s: a table of the index is missing", x->path);
        rc = ND_EINDEX;
    } else if (mdb_get(txn, x->meta, &opts_k, &v) ||
               !parse_options(v.mv_data, v.mv_size, &x->opts, x->charset, sizeof(x->charset))) {
        snprintf(why, why_len, "%s: the index's options are damaged", x->path);
        rc = ND_EINDEX;
    }
    if (rc == 0 && (rc = nd_texts_refresh(x, txn)) < 0)
        snprintf(why, why_len, "%s: the index's dictionary is damaged", x->path);
    if (rc == 0 && (m = mdb_txn_commit(txn)) != 0) /* commit: the table handles stay open */
        rc = nd_store_error(m, x->path, why, why_len);
    else if (rc < 0)
        mdb_txn_abort(txn);
    set_banding(x);
    return rc;
}

/* Whether the file begins with an LMDB meta page: its magic number after the page header
 * (LMDB's MDB_MAGIC, 16 bytes in). */
static bool looks_like_lmdb(const char *path)
{
    unsigned char head[20];
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    const bool ok = fd >= 0 && pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
                    nd_load_u32(head + 16) == 0xBEEFC0DEu;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int open_index(nd_index *x, int mode, double lock_timeout,
                      void (*wait_fn)(const char *, void *), void *payload, char *why,
                      size_t why_len)
{
    struct stat st;
    if (stat(x->path, &st) < 0) {
        snprintf(why, why_len, "%s: %s", x->path, strerror(errno));
        return ND_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_len, "%s is not a neardup index (not a regular file)", x->path);
        return ND_EINDEX;
    }
    if (!looks_like_lmdb(x->path)) { /* (before LMDB makes a lock file beside it) */
        snprintf(why, why_len, "%s is not a neardup index (%s)", x->path,
                 st.st_size ? "not an LMDB file" : "an empty file");
        return ND_EINDEX;
    }
    if (mode == ND_INDEX_WRITE) {
        int rc = lock_the_file(x, lock_timeout, wait_fn, payload);
        if (rc == ND_EBUSY)
            snprintf(why, why_len, "%s: another process is writing to the index", x->path);
        else if (rc < 0)
            snprintf(why, why_len, "%s: %s", x->path, strerror(errno));
        if (rc < 0)
            return rc;
    }
    /* a writer syncs the data pages at a commit, not the meta page after them: a system crash
     * may undo the last commit, never leave half of one (a process crash loses nothing) */
    const int m = new_env(x->path, mode == ND_INDEX_WRITE ? MDB_NOMETASYNC : MDB_RDONLY, &x->env);
    if (m == MDB_INVALID || m == MDB_VERSION_MISMATCH) {
        snprintf(why, why_len, "%s is not a neardup index (not an LMDB file)", x->path);
        return ND_EINDEX;
    }
    if (m)
        return nd_store_error(m, x->path, why, why_len);
    int rc = check_size(x, why, why_len);
    if (rc == 0)
        rc = read_meta(x, why, why_len);
    return rc == 0 && mode == ND_INDEX_WRITE && !x->has_fresh ? upgrade(x, why, why_len) : rc;
}

int nd_index_open(nd_index **out, const char *path, int mode, double lock_timeout,
                  void (*wait_fn)(const char *, void *), void *payload, char *why, size_t why_len)
{
    char scratch[16];
    if (!why || !why_len) {
        why = scratch;
        why_len = sizeof(scratch);
    }
    why[0] = '\0';
    *out = NULL;
    nd_index *x = calloc(1, sizeof(*x));
    if (!x || !(x->path = strdup(path))) {
        free(x);
        return ND_ENOMEM;
    }
    x->lock_fd = -1;
    x->writable = mode & ND_INDEX_WRITE;
    x->fresh_min = FRESH_MIN;
    int rc = nd_word_classes_new(&x->classes);
    if (rc == 0)
        rc = open_index(x, mode & ND_INDEX_WRITE, lock_timeout, wait_fn, payload, why, why_len);
    if (rc == 0 && (mode & ND_INDEX_BACKGROUND) && x->writable)
        rc = nd_writer_start(x);
    if (rc < 0) {
        nd_index_close(x);
        return rc;
    }
    *out = x;
    return 0;
}

void nd_index_close(nd_index *x)
{
    if (!x)
        return;
    nd_writer_stop(x);
    if (x->write_txn)
        nd_store_abort(x, x->write_txn);
    nd_texts_close(x);
    if (x->env)
        mdb_env_close(x->env);
    if (x->lock_fd >= 0)
        close(x->lock_fd); /* releases the flock */
    nd_word_classes_free(x->classes);
    free(x->added.key);
    free(x->path);
    free(x);
}

int nd_store_reopen_alone(nd_index *x)
{
    char why[256], lock[4096];
    snprintf(lock, sizeof(lock), "%s-lock", x->path);
    nd_texts_close(x);
    mdb_env_close(x->env);
    x->env = NULL;
    bool busy = false;
    const int fd = open(lock, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        busy = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
        close(fd);
    }
    const int m = new_env(x->path, MDB_NOMETASYNC, &x->env);
    const int rc =
        m ? nd_store_error(m, x->path, why, sizeof(why)) : read_meta(x, why, sizeof(why));
    return rc < 0 ? rc : busy ? ND_EBUSY : 0;
}
