/*
 * verify.c: exact Jaccard of the candidates, on all threads.
 *
 * LSH candidates include false positives; verifying each with the exact
 * Jaccard costs O(|A| + |B|) and makes the reported pairs exact, which is
 * what a user deleting documents needs. The shared shingles are counted with
 * hash tables (one per document of the pair), not by sorting both sets and
 * merging them, which is slower (bench/README.md).
 */
#include "pairs/verify.h"

#include "text/minhash.h"
#include "input/corpus.h"
#include "text/shingle.h"
#include "common/spill.h"
#include "common/threads.h"

#include <stdlib.h>
#include <string.h>

/* Verification in parallel: the candidates (sorted by a) are cut into fixed blocks;
 * a thread takes the next block and keeps its pairs apart; the blocks are joined in
 * order, so the pairs do not depend on the threads. */
#define VERIFY_BLOCK 256

typedef struct verify_block {
    nd_pair *pairs;
    size_t n, cap;
} verify_block;

typedef struct verify_job {
    nd_spill *spill;
    const nd_corpus *corpus;
    const nd_pair_key *cand;
    size_t n_cand;
    verify_block *blocks;
} verify_job;

/* A document's distinct shingles in an open-addressing table, to count those another
 * document shares without sorting either: one probe per shingle, in a table that fits
 * the caches, where sorting a document's shingles cost more than reading them. Slots
 * hold hashes, 0 meaning empty (the hash 0 itself is kept aside); the hashes are
 * uniform, so their top bits are the home slot. A table is at most a quarter full:
 * linear probing's clusters grow long at half full. */
typedef struct shingle_table {
    uint64_t *slot;
    size_t allocated; /* slots */
    size_t cap;       /* slots in use: a power of two, at least 4 times the shingles */
    int shift;        /* 64 - log2(cap) */
    uint32_t n;       /* distinct hashes */
    bool has_zero;
} shingle_table;

static int table_clear(shingle_table *t, size_t n_max)
{
    size_t cap = 16;
    int bits = 4;
    while (cap < 4 * n_max)
        cap *= 2, bits++;
    if (cap > t->allocated) {
        free(t->slot);
        t->allocated = 0;
        if (!(t->slot = malloc(cap * sizeof(*t->slot))))
            return ND_ENOMEM;
        t->allocated = cap;
    }
    t->cap = cap;
    t->shift = 64 - bits;
    memset(t->slot, 0, cap * sizeof(*t->slot));
    t->n = 0;
    t->has_zero = false;
    return 0;
}

/* Adds h; true when it was not there. */
static inline bool table_add(shingle_table *t, uint64_t h)
{
    if (h == 0) {
        const bool added = !t->has_zero;
        t->n += added;
        t->has_zero = true;
        return added;
    }
    for (size_t i = h >> t->shift;; i = (i + 1) & (t->cap - 1)) {
        if (t->slot[i] == h)
            return false;
        if (t->slot[i] == 0) {
            t->slot[i] = h;
            t->n++;
            return true;
        }
    }
}

static inline bool table_has(const shingle_table *t, uint64_t h)
{
    if (h == 0)
        return t->has_zero;
    for (size_t i = h >> t->shift;; i = (i + 1) & (t->cap - 1)) {
        if (t->slot[i] == h)
            return true;
        if (t->slot[i] == 0)
            return false;
    }
}

/* A document's shingles (as the scan wrote them, repeats and all) and, when sig is not
 * NULL, its signature. */
typedef struct doc_sketch {
    uint64_t *buf; /* what was read */
    size_t cap;
    const uint64_t *h; /* the shingles, in buf */
    uint32_t *sig;
    shingle_table table;
} doc_sketch;

static void sketch_dispose(doc_sketch *k)
{
    free(k->buf);
    free(k->table.slot);
    free(k->sig);
}

/* The scan writes a document's signature and then its shingles (without passages): when
 * they lie side by side in the scratch file, one read takes both. */
static int read_sketch(nd_spill *spill, const nd_corpus *c, const nd_doc *d, doc_sketch *k)
{
    const size_t sig_bytes = k->sig ? (size_t)c->opts.num_perm * sizeof(*k->sig) : 0;
    const size_t h_bytes = (size_t)d->n_shingles * sizeof(*k->h);
    const bool together = k->sig && d->shingles_off == d->sig_off + sig_bytes && sig_bytes % 8 == 0;
    const size_t sig_words = together ? sig_bytes / 8 : 0;
    if (ND_GROW(k->buf, k->cap, sig_words + d->n_shingles + 1) < 0)
        return ND_ENOMEM;
    k->h = k->buf + sig_words;
    if (together) {
        const int rc = nd_spill_read(spill, d->sig_off, k->buf, sig_bytes + h_bytes);
        memcpy(k->sig, k->buf, sig_bytes);
        return rc;
    }
    const int rc = nd_spill_read(spill, d->shingles_off, k->buf, h_bytes);
    return rc < 0 || !k->sig ? rc : nd_spill_read(spill, d->sig_off, k->sig, sig_bytes);
}

/* Document a's table of distinct shingles. */
static int fill_table(const nd_doc *d, doc_sketch *k)
{
    const int rc = table_clear(&k->table, d->n_shingles);
    for (uint32_t i = 0; rc == 0 && i < d->n_shingles; i++)
        table_add(&k->table, k->h[i]);
    return rc;
}

/* Exact Jaccard of a (in its table) and b: b's distinct shingles go into b's table, and
 * those new there are looked up in a's. */
static int exact_jaccard(const doc_sketch *ka, const nd_doc *b, doc_sketch *kb, double *j,
                         size_t *shared)
{
    const int rc = table_clear(&kb->table, b->n_shingles);
    size_t both = 0;
    for (uint32_t i = 0; rc == 0 && i < b->n_shingles; i++)
        if (table_add(&kb->table, kb->h[i]))
            both += table_has(&ka->table, kb->h[i]);
    const size_t either = ka->table.n + kb->table.n - both;
    *j = either ? (double)both / (double)either : 0.0;
    *shared = both;
    return rc;
}

/* Exact Jaccard of the pair k; a's sketch and table are read only when new_a (pairs
 * with the same a come in a row). */
static int pair_jaccard(nd_spill *spill, const nd_corpus *c, nd_pair_key k, bool new_a,
                        doc_sketch *ka, doc_sketch *kb, double *j, size_t *shared)
{
    int rc = 0;
    if (new_a) {
        rc = read_sketch(spill, c, &c->docs[k.a], ka);
        if (rc == 0)
            rc = fill_table(&c->docs[k.a], ka);
    }
    if (rc == 0)
        rc = read_sketch(spill, c, &c->docs[k.b], kb);
    return rc < 0 ? rc : exact_jaccard(ka, &c->docs[k.b], kb, j, shared);
}

int nd_exact_jaccards(nd_spill *spill, const nd_corpus *c, const nd_pair_key *pairs, size_t n,
                      double *j)
{
    doc_sketch ka = {0}, kb = {0}; /* no signatures */
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t shared;
        rc = pair_jaccard(spill, c, pairs[i], i == 0 || pairs[i].a != pairs[i - 1].a, &ka, &kb,
                          &j[i], &shared);
    }
    sketch_dispose(&ka);
    sketch_dispose(&kb);
    return rc;
}

/* Exact Jaccard of each candidate of block b (a is read once per run of pairs). */
static int verify_block_run(verify_job *job, size_t b, doc_sketch *ka, doc_sketch *kb)
{
    const nd_corpus *c = job->corpus;
    const nd_options *o = &c->opts;
    const size_t end = (b + 1) * VERIFY_BLOCK < job->n_cand ? (b + 1) * VERIFY_BLOCK : job->n_cand;
    verify_block *out = &job->blocks[b];
    for (size_t i = b * VERIFY_BLOCK; i < end; i++) {
        const nd_pair_key k = job->cand[i];
        size_t shared = 0;
        double j = 0;
        const int rc =
            pair_jaccard(job->spill, c, k, i == b * VERIFY_BLOCK || k.a != job->cand[i - 1].a, ka,
                         kb, &j, &shared);
        if (rc < 0)
            return rc;
        const double est = nd_minhash_estimate(ka->sig, kb->sig, o->num_perm);
        if ((o->verify == ND_VERIFY_EXACT ? j : est) < o->threshold)
            continue;
        if (ND_GROW(out->pairs, out->cap, out->n + 1) < 0)
            return ND_ENOMEM;
        out->pairs[out->n++] = (nd_pair){k.a, k.b, j, est, (uint32_t)shared, 0};
    }
    return 0;
}

static int verify_worker(void *stage, nd_work *work)
{
    verify_job *job = stage;
    const size_t sig_bytes = (size_t)job->corpus->opts.num_perm * sizeof(uint32_t);
    doc_sketch ka = {.sig = malloc(sig_bytes)}, kb = {.sig = malloc(sig_bytes)};
    int rc = ka.sig && kb.sig ? 0 : ND_ENOMEM;
    for (size_t b; rc == 0 && nd_work_take(work, &b);)
        rc = verify_block_run(job, b, &ka, &kb);
    sketch_dispose(&ka);
    sketch_dispose(&kb);
    return rc;
}

/* Joins the blocks' pairs, in block order. */
static int join_blocks(verify_block *blocks, size_t n_blocks, nd_pair **pairs, size_t *n_pairs)
{
    size_t n = 0;
    for (size_t b = 0; b < n_blocks; b++)
        n += blocks[b].n;
    *n_pairs = 0;
    if (!(*pairs = malloc((n ? n : 1) * sizeof(**pairs))))
        return ND_ENOMEM;
    for (size_t b = 0; b < n_blocks; b++) {
        if (blocks[b].n)
            memcpy(*pairs + *n_pairs, blocks[b].pairs, blocks[b].n * sizeof(**pairs));
        *n_pairs += blocks[b].n;
    }
    return 0;
}

int nd_verify_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *cand, nd_pair **pairs,
                    size_t *n_pairs)
{
    const size_t n_blocks = (cand->n + VERIFY_BLOCK - 1) / VERIFY_BLOCK;
    verify_job job = {.spill = ctx->spill, .corpus = c, .cand = cand->keys, .n_cand = cand->n};
    job.blocks = calloc(n_blocks ? n_blocks : 1, sizeof(*job.blocks));
    if (!job.blocks)
        return ND_ENOMEM;
    int rc = nd_parallel(ctx->threads, n_blocks, verify_worker, &job);
    if (rc == 0)
        rc = join_blocks(job.blocks, n_blocks, pairs, n_pairs);
    for (size_t b = 0; b < n_blocks; b++)
        free(job.blocks[b].pairs);
    free(job.blocks);
    return rc;
}
