/*
 * writer.c: the background writer and the views over its pending changes (writer.h).
 *
 * The queue is an array of changes, oldest first; the feed's thread appends to it and
 * forgets what a finished commit holds, the writer's thread takes them in order, both
 * under one lock. Only the feed's thread changes the array, so it reads it without the
 * lock; the writer copies a change's pointer under the lock and a change stays put
 * until a commit after it has finished.
 */
#include "index/writer.h"

#include <pthread.h>
#include <stdlib.h>

/* Changes queued and not yet done past which a feed waits for the writer: a writer
 * slower than the feed must not take all memory. */
#define MAX_QUEUED 4096

typedef enum change_kind { CHANGE_PUT, CHANGE_DELETE, CHANGE_META, CHANGE_COMMIT } change_kind;

typedef struct change {
    change_kind kind;
    uint64_t commit; /* the number of the commit that holds it */
    uint64_t doc;    /* put, delete; commit: the next document number */
    nd_stored_head head;
    uint64_t *band_hashes; /* put */
    char *name;            /* put: the id; meta: the key (NUL-terminated) */
    unsigned char *bytes;  /* put: the compressed text; meta: the value */
    size_t len;            /* meta */
    uint64_t data[];       /* where the pointers point */
} change;

struct nd_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t queued, done;
    change **q; /* queued and not yet forgotten, oldest first */
    size_t n, cap;
    size_t deletes;     /* of them, deletions (none, most of the time: no search for one) */
    uint64_t first;     /* the sequence number of q[0] */
    uint64_t next_done; /* the sequence number of the next change to do */
    uint64_t commit;    /* the number of the commit the changes queued now go to */
    uint64_t finished;  /* the number of the last commit done */
    int error;          /* the writer's first failure */
    bool stop;
};

/* ---------------------------------------------------------------- the writer's thread */

static int apply_meta(nd_index *x, MDB_txn *txn, const change *c)
{
    MDB_val k = {strlen(c->name), c->name}, v = {c->len, c->bytes};
    const int m = mdb_put(txn, x->meta, &k, &v, 0);
    return m ? nd_store_error(m, "writing the index", NULL, 0) : 0;
}

static int apply(nd_index *x, MDB_txn **txn, const change *c)
{
    if (!*txn) {
        const int m = mdb_txn_begin(x->env, NULL, 0, txn);
        if (m)
            return nd_store_error(m, "writing the index", NULL, 0);
    }
    switch (c->kind) {
    case CHANGE_PUT:
        return nd_store_put_doc(x, *txn, c->doc, &c->head, c->band_hashes, c->name, c->bytes);
    case CHANGE_DELETE: return nd_store_delete_doc(x, *txn, c->doc, NULL);
    case CHANGE_META: return apply_meta(x, *txn, c);
    case CHANGE_COMMIT: break;
    }
    MDB_txn *t = *txn;
    *txn = NULL;
    return nd_store_commit(x, t, c->doc);
}

static void *writer_main(void *arg)
{
    nd_index *x = arg;
    nd_writer *w = x->writer;
    MDB_txn *txn = NULL;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->next_done == w->first + w->n && !w->stop)
            pthread_cond_wait(&w->queued, &w->lock);
        if (w->next_done == w->first + w->n)
            break;
        const change *c = w->q[w->next_done - w->first];
        const int failed = w->error;
        pthread_mutex_unlock(&w->lock);
        const int rc = failed ? 0 : apply(x, &txn, c);
        pthread_mutex_lock(&w->lock);
        if (rc < 0 && !w->error)
            w->error = rc;
        if (rc == 0 && !failed && c->kind == CHANGE_COMMIT)
            w->finished = c->commit;
        w->next_done++;
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->lock);
    if (txn) /* (changes no commit ended) */
        nd_store_abort(x, txn);
    return NULL;
}

/* ---------------------------------------------------------------- the feed's side */

/* Frees x's writer, its thread gone (or never started), and what it still queued. */
static void free_writer(nd_index *x)
{
    nd_writer *w = x->writer;
    for (size_t i = 0; i < w->n; i++)
        free(w->q[i]);
    free(w->q);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->queued);
    pthread_cond_destroy(&w->done);
    free(w);
    x->writer = NULL;
}

/* A change with room for extra bytes after it. */
static change *new_change(change_kind kind, uint64_t doc, size_t extra)
{
    change *c = calloc(1, sizeof(*c) + extra);
    if (c) {
        c->kind = kind;
        c->doc = doc;
    }
    return c;
}

int nd_writer_start(nd_index *x)
{
    nd_writer *w = calloc(1, sizeof(*w));
    MDB_txn *txn;
    if (!w)
        return ND_ENOMEM;
    const int m = mdb_txn_begin(x->env, NULL, MDB_RDONLY, &txn);
    if (m) {
        free(w);
        return nd_store_error(m, "reading the index", NULL, 0);
    }
    int rc = nd_store_get_count(x, txn, "next", &x->next_doc);
    mdb_txn_abort(txn);
    w->commit = 1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->queued, NULL);
    pthread_cond_init(&w->done, NULL);
    x->writer = w;
    if (rc == 0 && pthread_create(&w->thread, NULL, writer_main, x) != 0)
        rc = ND_ENOMEM;
    if (rc < 0)
        free_writer(x);
    return rc;
}

void nd_writer_stop(nd_index *x)
{
    nd_writer *w = x->writer;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->queued);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    free_writer(x);
}

/* Appends c to the queue (which owns it from now on, or frees it); the writer's first
 * failure, or 0. */
static int queue(nd_writer *w, change *c)
{
    if (!c)
        return ND_ENOMEM;
    c->commit = w->commit;
    pthread_mutex_lock(&w->lock);
    while (!w->error && w->first + w->n - w->next_done >= MAX_QUEUED)
        pthread_cond_wait(&w->done, &w->lock);
    int rc = w->error;
    if (rc == 0 && ND_GROW(w->q, w->cap, w->n + 1) < 0)
        rc = ND_ENOMEM;
    if (rc == 0) {
        w->q[w->n++] = c;
        w->deletes += c->kind == CHANGE_DELETE;
        pthread_cond_signal(&w->queued);
    } else
        free(c);
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int nd_writer_commit(nd_index *x)
{
    nd_writer *w = x->writer;
    const int rc = queue(w, new_change(CHANGE_COMMIT, x->next_doc, 0));
    w->commit++;
    return rc;
}

int nd_writer_flush(nd_index *x)
{
    nd_writer *w = x->writer;
    pthread_mutex_lock(&w->lock);
    while (w->next_done < w->first + w->n)
        pthread_cond_wait(&w->done, &w->lock);
    const int rc = w->error;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

void nd_writer_snapshot(nd_index *x)
{
    nd_writer *w = x->writer;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    size_t k = 0;
    for (; k < w->n && w->q[k]->commit <= w->finished; k++) {
        w->deletes -= w->q[k]->kind == CHANGE_DELETE;
        free(w->q[k]);
    }
    if (k)
        memmove(w->q, w->q + k, (w->n - k) * sizeof(*w->q));
    w->n -= k;
    w->first += k;
    pthread_mutex_unlock(&w->lock);
}

/* ---------------------------------------------------------------- views */

static bool pending_delete(const nd_writer *w, uint64_t doc)
{
    if (!w->deletes)
        return false;
    for (size_t i = 0; i < w->n; i++)
        if (w->q[i]->kind == CHANGE_DELETE && w->q[i]->doc == doc)
            return true;
    return false;
}

/* The pending addition of doc, or NULL. */
static const change *pending_put(const nd_writer *w, uint64_t doc)
{
    for (size_t i = w->n; i-- > 0;)
        if (w->q[i]->kind == CHANGE_PUT && w->q[i]->doc == doc)
            return w->q[i];
    return NULL;
}

int nd_view_get_doc(const nd_index *x, MDB_txn *txn, uint64_t doc, nd_stored_doc *out)
{
    const nd_writer *w = x->writer;
    if (!w)
        return nd_store_get_doc(x, txn, doc, out);
    if (pending_delete(w, doc))
        return MDB_NOTFOUND;
    const change *c = pending_put(w, doc);
    if (!c)
        return nd_store_get_doc(x, txn, doc, out);
    *out = (nd_stored_doc){c->head, (const unsigned char *)c->band_hashes, c->name};
    return 0;
}

int nd_view_get_text(const nd_index *x, MDB_txn *txn, uint64_t doc, const nd_stored_head *head,
                     unsigned char **buf, size_t *cap)
{
    const change *c = x->writer ? pending_put(x->writer, doc) : NULL;
    if (!c)
        return nd_store_get_text(x, txn, doc, head, buf, cap);
    if (ND_GROW(*buf, *cap, (size_t)c->head.z_len + 1) < 0)
        return ND_ENOMEM;
    memcpy(*buf, c->bytes, c->head.z_len);
    return 0;
}

int nd_view_find_id(const nd_index *x, MDB_txn *txn, const char *id, uint64_t *doc, bool *found)
{
    const nd_writer *w = x->writer;
    const size_t len = strlen(id);
    for (size_t i = w ? w->n : 0; i-- > 0;) {
        const change *c = w->q[i];
        if (c->kind == CHANGE_PUT && c->head.id_len == len && !memcmp(c->name, id, len) &&
            !pending_delete(w, c->doc)) {
            *doc = c->doc;
            *found = true;
            return 0;
        }
    }
    const int rc = nd_store_find_id(x, txn, id, doc, found);
    if (rc == 0 && *found && w && pending_delete(w, *doc))
        *found = false;
    return rc;
}

/* Calls fn for each document of table dbi under key, but those being deleted. */
static int table_docs(const nd_index *x, MDB_txn *txn, MDB_dbi dbi, unsigned char key[12],
                      int (*fn)(void *payload, uint64_t doc), void *payload)
{
    MDB_cursor *cur;
    int m = mdb_cursor_open(txn, dbi, &cur);
    if (m)
        return nd_store_error(m, "reading the index", NULL, 0);
    MDB_val k = {12, key}, v;
    int rc = 0;
    for (m = mdb_cursor_get(cur, &k, &v, MDB_SET); m == 0 && rc == 0;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
        const uint64_t doc = nd_store_doc_number(&v);
        rc = x->writer && pending_delete(x->writer, doc) ? 0 : fn(payload, doc);
    }
    mdb_cursor_close(cur);
    return rc == 0 && m && m != MDB_NOTFOUND ? nd_store_error(m, "reading the index", NULL, 0) : rc;
}

int nd_view_band_docs(const nd_index *x, MDB_txn *txn, uint32_t band, uint64_t hash,
                      int (*fn)(void *payload, uint64_t doc), void *payload)
{
    const nd_writer *w = x->writer;
    unsigned char key[12];
    nd_store_band_key(band, hash, key);
    int rc = table_docs(x, txn, x->bands, key, fn, payload);
    if (rc == 0 && x->has_fresh)
        rc = table_docs(x, txn, x->fresh, key, fn, payload);
    for (size_t i = 0; w && rc == 0 && i < w->n; i++) {
        const change *c = w->q[i];
        if (c->kind == CHANGE_PUT && c->band_hashes[band] == hash && !pending_delete(w, c->doc))
            rc = fn(payload, c->doc);
    }
    return rc;
}

int nd_view_put_doc(nd_index *x, MDB_txn *txn, uint64_t doc, const nd_stored_head *head,
                    const uint64_t *band_hashes, const char *id, const void *text_z)
{
    if (!x->writer)
        return nd_store_put_doc(x, txn, doc, head, band_hashes, id, text_z);
    const size_t hashes = (size_t)x->bands_n * sizeof(*band_hashes);
    change *c = new_change(CHANGE_PUT, doc, hashes + head->z_len + head->id_len + 1);
    if (c) {
        c->head = *head;
        c->band_hashes = c->data;
        memcpy(c->band_hashes, band_hashes, hashes);
        c->bytes = (unsigned char *)c->data + hashes;
        memcpy(c->bytes, text_z, head->z_len);
        c->name = (char *)c->bytes + head->z_len;
        memcpy(c->name, id, head->id_len);
    }
    return queue(x->writer, c);
}

int nd_view_delete_doc(nd_index *x, MDB_txn *txn, uint64_t doc)
{
    if (!x->writer)
        return nd_store_delete_doc(x, txn, doc, NULL);
    return queue(x->writer, new_change(CHANGE_DELETE, doc, 0));
}

int nd_view_put_meta(nd_index *x, MDB_txn *txn, const char *key, const void *value, size_t len)
{
    if (!x->writer) {
        MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)value};
        const int m = mdb_put(txn, x->meta, &k, &v, 0);
        return m ? nd_store_error(m, "writing the index", NULL, 0) : 0;
    }
    const size_t key_len = strlen(key);
    change *c = new_change(CHANGE_META, 0, len + key_len + 1);
    if (c) {
        c->bytes = (unsigned char *)c->data;
        memcpy(c->bytes, value, len);
        c->len = len;
        c->name = (char *)c->bytes + len;
        memcpy(c->name, key, key_len);
    }
    return queue(x->writer, c);
}
