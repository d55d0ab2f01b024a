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

#include "pairs/cluster.h"
#include "pairs/listing.h"

#include "text/minhash.h"
#include "input/corpus.h"
#include "text/shingle.h"
#include "common/spill.h"
#include "common/threads.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>

/* Bit j: whether 64-bit lane j of v equals that of key. */
static inline unsigned lanes_equal(__m128i v, __m128i key)
{
    __m128i e = _mm_cmpeq_epi32(v, key);
    e = _mm_and_si128(e, _mm_shuffle_epi32(e, _MM_SHUFFLE(2, 3, 0, 1)));
    return (unsigned)_mm_movemask_pd(_mm_castsi128_pd(e));
}
#endif

/* Verification in parallel: the candidates (sorted by a) are cut into fixed blocks;
 * a thread takes the next block and keeps its pairs apart; the blocks are joined in
 * order, so the pairs do not depend on the threads. */
#define VERIFY_BLOCK 256

typedef struct verify_block {
    nd_pair *pairs;
    size_t n, cap;
    uint64_t similarity[ND_SIMILARITY_BINS]; /* its candidates by MinHash estimate (counted
                                                apart and stored at the end: two threads'
                                                blocks may share a cache line) */
} verify_block;

/* Where a document's shingles are read: through the scratch file's mappings, read
 * without a lock, or copied with a system call when few pairs read them: the first
 * touch of a mapped page costs a fault (which maps its neighbours too), that a few reads
 * repay and one does not. */
#define MAPPED_READS 4

typedef struct sketch_source {
    nd_spill_map map;
    nd_spill *spill;
    uint8_t *reads;       /* per document: how many pairs read its shingles (up to 255), or NULL */
    const nd_pair *known; /* the pairs verified where their sets are (nd_pair_source) */
    size_t n_known;
} sketch_source;

/* What verification keeps of its candidates. */
typedef enum verify_keep {
    KEEP_REACHING, /* the pairs that reach the threshold (the others stop early) */
    KEEP_ALL,      /* every pair, with its exact values */
    KEEP_MARKED,   /* every pair; those that stop early below the threshold marked */
} verify_keep;

/* Whether verification keeping keep needs the exact values of pairs below the
 * threshold (else a pair that cannot reach it stops early). */
static bool exact_needed(const nd_options *o, verify_keep keep)
{
    return keep == KEEP_ALL || o->verify != ND_VERIFY_EXACT;
}

typedef struct verify_job {
    sketch_source src;
    verify_keep keep;
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
 * linear probing's clusters grow long at half full. Probing does not wrap around: a
 * run goes on past the last home slot, into room for one more slot per hash and a
 * window (4 slots) more, so a look-up reads the 4 slots from the home one in one go. */
#define WINDOW 4

typedef struct shingle_table {
    uint64_t *slot;
    uint32_t *mark;   /* per slot: the last pair that counted it (see table_take) */
    uint32_t *used;   /* the slots holding a hash, n_used of them: emptied for the next */
    size_t allocated; /* slots */
    size_t cap;       /* home slots: a power of two, at least 4 times the hashes */
    size_t spare;     /* a slot past every run, whose mark a miss may write */
    int shift;        /* 64 - log2(cap) */
    uint32_t n;       /* distinct hashes */
    uint32_t n_used;  /* of them in slots (all but the hash 0) */
    uint32_t pair, zero_mark;
    bool has_zero;
} shingle_table;

/* An empty table for n_max hashes. The slots of the last table are emptied one by one
 * (a document's table is filled for each run of its pairs: clearing all its room, four
 * times its hashes and their marks, cost more than filling it), and the marks stay: a
 * pair's number only grows (table_next_pair), so an old mark never looks new. */
static int table_clear(shingle_table *t, size_t n_max)
{
    size_t cap = 16;
    int bits = 4;
    while (cap < 4 * n_max)
        cap *= 2, bits++;
    const size_t size = cap + n_max + WINDOW;
    if (size > t->allocated) {
        free(t->slot);
        free(t->mark);
        free(t->used);
        t->allocated = 0;
        t->slot = calloc(size, sizeof(*t->slot));
        t->mark = calloc(size, sizeof(*t->mark));
        t->used = malloc(size * sizeof(*t->used));
        if (!t->slot || !t->mark || !t->used)
            return ND_ENOMEM;
        t->allocated = size;
        t->n_used = 0;
    }
    for (uint32_t i = 0; i < t->n_used; i++)
        t->slot[t->used[i]] = 0;
    t->n_used = 0;
    t->cap = cap;
    t->spare = size - 1;
    t->shift = 64 - bits;
    t->n = 0;
    t->has_zero = false;
    return 0;
}

/* Starts a pair for table_take. */
static void table_next_pair(shingle_table *t)
{
    if (++t->pair == 0) { /* wrapped: marks of 2^32 pairs ago would look new */
        memset(t->mark, 0, t->allocated * sizeof(*t->mark));
        t->zero_mark = 0;
        t->pair = 1;
    }
}

/* Adds h (at most n_max of them); true when it was not there. */
static inline bool table_add(shingle_table *t, uint64_t h)
{
    if (h == 0) {
        const bool added = !t->has_zero;
        t->n += added;
        t->has_zero = true;
        return added;
    }
    size_t i = h >> t->shift;
    while (t->slot[i] != 0 && t->slot[i] != h)
        i++;
    if (t->slot[i] == h)
        return false;
    t->slot[i] = h;
    t->used[t->n_used++] = (uint32_t)i;
    t->n++;
    return true;
}

/* The slot holding h, or t->spare when h is not there. The window from the home slot
 * nearly always holds h or an empty slot: then no branch depends on which (a hit or a
 * miss is a coin toss the processor cannot predict). */
static inline size_t table_find(const shingle_table *t, uint64_t h)
{
    size_t i = h >> t->shift;
#ifdef __SSE2__
    const __m128i key = _mm_set1_epi64x((long long)h), zero = _mm_setzero_si128();
    const __m128i lo = _mm_loadu_si128((const __m128i *)(t->slot + i));
    const __m128i hi = _mm_loadu_si128((const __m128i *)(t->slot + i + 2));
    const unsigned found = lanes_equal(lo, key) | lanes_equal(hi, key) << 2;
    const unsigned empty = lanes_equal(lo, zero) | lanes_equal(hi, zero) << 2;
    if (__builtin_expect(found | empty, 1))
        return found ? i + (size_t)__builtin_ctz(found) : t->spare;
    i += WINDOW;
#endif
    for (;; i++) {
        if (t->slot[i] == h)
            return i;
        if (t->slot[i] == 0)
            return t->spare;
    }
}

static inline bool table_has(const shingle_table *t, uint64_t h)
{
    return h == 0 ? t->has_zero : table_find(t, h) != t->spare;
}

/* Whether h is in t and was not taken yet in this pair (table_next_pair): a document's
 * shingles with repeats, looked up as they are, count each shared one once. */
static inline bool table_take(shingle_table *t, uint64_t h)
{
    uint32_t *mark = &t->zero_mark;
    bool there = t->has_zero;
    if (h != 0) {
        const size_t i = table_find(t, h);
        mark = &t->mark[i];
        there = i != t->spare;
    }
    const bool fresh = there && *mark != t->pair;
    *mark = t->pair;
    return fresh;
}

/* A document's shingles (as the scan wrote them, repeats and all) and, when wanted, its
 * signature and profile, where they lie in the scratch file's mapping (the shingles
 * copied when misaligned). */
typedef struct doc_sketch {
    bool want_sig;
    bool read; /* the document doc's sketch is read */
    uint32_t doc;
    const uint64_t *h;
    const uint32_t *sig;
    const uint8_t *profile; /* NULL when the document has none, or not wanted */
    uint64_t *copy;         /* the shingles, when their place is not 8-byte aligned */
    size_t copy_cap;
    shingle_table table;
    bool table_filled; /* with this document's shingles */
} doc_sketch;

static void sketch_dispose(doc_sketch *k)
{
    free(k->copy);
    free(k->table.slot);
    free(k->table.mark);
    free(k->table.used);
}

/* The signature and profile of d, when wanted. */
static int read_summary(const nd_spill_map *map, const nd_corpus *c, const nd_doc *d, doc_sketch *k)
{
    k->h = NULL;
    k->sig = k->want_sig ? nd_spill_map_view(map, d->sig_off, (size_t)c->opts.num_perm * 4) : NULL;
    const bool profile = k->want_sig && d->has_profile;
    k->profile = profile ? nd_spill_map_view(map, d->profile_off, ND_PROFILE_BUCKETS) : NULL;
    return (k->want_sig && !k->sig) || (profile && !k->profile) ? ND_EIO : 0;
}

static int read_shingles(const sketch_source *src, const nd_corpus *c, uint32_t doc, doc_sketch *k)
{
    const nd_doc *d = &c->docs[doc];
    const size_t h_bytes = (size_t)d->n_shingles * sizeof(*k->h);
    if (h_bytes && src->reads && src->reads[doc] < MAPPED_READS) {
        if (ND_GROW(k->copy, k->copy_cap, d->n_shingles) < 0)
            return ND_ENOMEM;
        k->h = k->copy;
        return nd_spill_read(src->spill, d->shingles_off, k->copy, h_bytes);
    }
    const void *h = h_bytes ? nd_spill_map_view(&src->map, d->shingles_off, h_bytes) : NULL;
    if (h_bytes && !h)
        return ND_EIO;
    if ((uintptr_t)h % sizeof(*k->h) != 0) {
        if (ND_GROW(k->copy, k->copy_cap, d->n_shingles) < 0)
            return ND_ENOMEM;
        h = memcpy(k->copy, h, h_bytes);
    }
    k->h = h;
    return 0;
}

/* A document's shingles are read in order, but from pages the scan wrote long before
 * and the processor's prefetcher stops at each page's end: they are asked for this many
 * hashes (1 KiB) ahead. */
#define SHINGLES_AHEAD 128

/* Asks for h[i + SHINGLES_AHEAD] of h[0..n), when there is one. */
static inline void prefetch_ahead(const uint64_t *h, size_t i, size_t n)
{
    if (i + SHINGLES_AHEAD < n)
        __builtin_prefetch(&h[i + SHINGLES_AHEAD]);
}

/* Document a's table of distinct shingles. */
static int fill_table(const nd_doc *d, doc_sketch *k)
{
    const int rc = table_clear(&k->table, d->n_shingles);
    for (uint32_t i = 0; rc == 0 && i < d->n_shingles; i++) {
        prefetch_ahead(k->h, i, d->n_shingles);
        table_add(&k->table, k->h[i]);
    }
    return rc;
}

/* How many of b's shingles may fail to count before the pair cannot reach the threshold
 * t whose give_up is t / (1 + t): J >= t takes both >= give_up * (|A| + |B|), and both is
 * at most |b's shingles| less those that failed (one more, against rounding). SIZE_MAX
 * without give_up; 0 when the sizes alone put the threshold out of reach. */
static size_t misses_allowed(double give_up, size_t a, const nd_doc *b)
{
    if (give_up <= 0)
        return SIZE_MAX;
    const double allowed = (double)b->n_shingles + 1 - give_up * (double)(a + b->n_distinct);
    return allowed > 0 ? (size_t)allowed : 0;
}

/* How many of h[0..n) the table holds, each counted once (table_take) unless distinct
 * says h has no repeat; it stops, with *stopped, once more than most_misses are not
 * there. The table is worked on in a local copy: through a mark written to memory the
 * compiler would read its fields again at every shingle. */
static size_t count_shared(shingle_table *table, const uint64_t *h, uint32_t n, bool distinct,
                           size_t most_misses, bool *stopped)
{
    shingle_table t = *table;
    size_t both = 0;
    *stopped = false;
    if (distinct) {
        for (uint32_t i = 0; i < n && !*stopped; i++) {
            prefetch_ahead(h, i, n);
            both += table_has(&t, h[i]);
            *stopped = i + 1 - both > most_misses;
        }
        return both;
    }
    table_next_pair(&t);
    for (uint32_t i = 0; i < n && !*stopped; i++) {
        prefetch_ahead(h, i, n);
        both += table_take(&t, h[i]);
        *stopped = i + 1 - both > most_misses;
    }
    table->pair = t.pair;
    table->zero_mark = t.zero_mark;
    return both;
}

/* Exact Jaccard of a (in its table) and b, whose shingles are looked up as they are
 * (|B| is b's distinct count from the scan; repeats are counted once by table_take).
 * With give_up > 0 (see misses_allowed) it stops when the threshold is out of reach,
 * with *j = 0. */
static int exact_jaccard(doc_sketch *ka, const nd_doc *b, const doc_sketch *kb, double give_up,
                         double *j, size_t *shared)
{
    const size_t most_misses = misses_allowed(give_up, ka->table.n, b);
    bool stopped;
    const size_t both = count_shared(&ka->table, kb->h, b->n_shingles,
                                     b->n_distinct == b->n_shingles, most_misses, &stopped);
    const size_t either = ka->table.n + b->n_distinct - both;
    *j = stopped || !either ? 0.0 : (double)both / (double)either;
    *shared = both;
    return 0;
}

/* Whether the profiles of a and b prove the pair below the threshold of give_up (see
 * misses_allowed): it takes both >= give_up * (|A| + |B|) shared shingles, and they
 * share at most the profiles' bound (one more, against rounding). */
static bool profiles_rule_out(const doc_sketch *ka, const nd_doc *a, const doc_sketch *kb,
                              const nd_doc *b, double give_up)
{
    if (give_up <= 0 || !ka->profile || !kb->profile)
        return false;
    const double bound = nd_profile_shared_bound(ka->profile, kb->profile);
    return bound + 1 < give_up * ((double)a->n_distinct + (double)b->n_distinct);
}

/* Exact Jaccard of the pair k; a's sketch is read only when ka holds another document's
 * (pairs with the same a come in a row), its table filled when a pair of it first needs it.
 * A pair the profiles rule out gets *j = 0. */
static int pair_jaccard(const sketch_source *src, const nd_corpus *c, nd_pair_key k, doc_sketch *ka,
                        doc_sketch *kb, double give_up, double *j, size_t *shared)
{
    const nd_doc *a = &c->docs[k.a], *b = &c->docs[k.b];
    int rc = 0;
    if (!ka->read || ka->doc != k.a) {
        ka->table_filled = false;
        rc = read_summary(&src->map, c, a, ka);
        ka->read = rc == 0;
        ka->doc = k.a;
    }
    if (rc == 0)
        rc = read_summary(&src->map, c, b, kb);
    if (rc < 0)
        return rc;
    *j = 0;
    *shared = 0;
    if (profiles_rule_out(ka, a, kb, b, give_up))
        return 0;
    if (!ka->table_filled) {
        rc = read_shingles(src, c, k.a, ka);
        if (rc == 0)
            rc = fill_table(a, ka);
        ka->table_filled = rc == 0;
    }
    if (rc == 0)
        rc = read_shingles(src, c, k.b, kb);
    return rc < 0 ? rc : exact_jaccard(ka, b, kb, give_up, j, shared);
}

/* Opens src over the scratch file for the pairs keys[0..n), once the run's pair source
 * (if any) has made their sets readable or the pairs known: how many of them read each
 * document's shingles (a document is read once for a run of pairs of which it is the
 * first). */
static int source_open(sketch_source *src, nd_run_ctx *ctx, const nd_corpus *c,
                       const nd_pair_key *keys, size_t n, bool exact)
{
    *src = (sketch_source){.spill = ctx->spill};
    const nd_pair_source *elsewhere = ctx->pair_source;
    int rc = elsewhere && n ? elsewhere->prepare(ctx, c, keys, n, exact, &src->known, &src->n_known,
                                                 elsewhere->payload)
                            : 0;
    if (rc < 0)
        return rc;
    if (!(src->reads = calloc(c->n_docs ? c->n_docs : 1, 1)))
        return ND_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint8_t *a = &src->reads[keys[i].a], *b = &src->reads[keys[i].b];
        if (i == 0 || keys[i].a != keys[i - 1].a)
            *a += *a < UINT8_MAX;
        *b += *b < UINT8_MAX;
    }
    return n ? nd_spill_map_all(ctx->spill, &src->map) : 0;
}

int nd_compare_known_pairs(const void *pa, const void *pb)
{
    const nd_pair *a = pa, *b = pb;
    const int by_docs = nd_compare_pair_docs(pa, pb);
    return by_docs ? by_docs : (a->cluster > b->cluster) - (a->cluster < b->cluster);
}

const nd_pair *nd_known_pair(const nd_pair *known, size_t n, nd_pair_key k, bool exact)
{
    size_t lo = 0, hi = n; /* the first pair not before k */
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const nd_pair *p = &known[mid];
        if (p->doc_a < k.a || (p->doc_a == k.a && p->doc_b < k.b))
            lo = mid + 1;
        else
            hi = mid;
    }
    const nd_pair *p = lo < n ? &known[lo] : NULL;
    return p && p->doc_a == k.a && p->doc_b == k.b && !(exact && p->cluster == ND_PAIR_BELOW)
               ? p
               : NULL;
}

int nd_exact_jaccards(nd_run_ctx *ctx, const nd_corpus *c, const nd_pair_key *pairs, size_t n,
                      double *j)
{
    doc_sketch ka = {0}, kb = {0}; /* no signatures */
    sketch_source src;
    int rc = source_open(&src, ctx, c, pairs, n, true);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const nd_pair *known = nd_known_pair(src.known, src.n_known, pairs[i], true);
        size_t shared;
        if (known)
            j[i] = known->jaccard;
        else
            rc = pair_jaccard(&src, c, pairs[i], &ka, &kb, 0, &j[i], &shared);
    }
    free(src.reads);
    sketch_dispose(&ka);
    sketch_dispose(&kb);
    return rc;
}

/* Asks for d's signature, profile and the first cache lines of its shingles, to be read while the
 * pair before is verified: the hardware follows a stream once it has started, but every
 * pair's second document starts a new one, far from the last. */
static void prefetch_sketch(const nd_spill_map *map, const nd_corpus *c, const nd_doc *d)
{
    enum { LINES = 4 };
    const size_t bytes = (size_t)d->n_shingles * sizeof(uint64_t);
    const char *h = bytes ? nd_spill_map_view(map, d->shingles_off, bytes) : NULL;
    for (size_t at = 0; h && at < bytes && at < LINES * 64; at += 64)
        __builtin_prefetch(h + at);
    const char *profile =
        d->has_profile ? nd_spill_map_view(map, d->profile_off, ND_PROFILE_BUCKETS) : NULL;
    for (size_t at = 0; profile && at < ND_PROFILE_BUCKETS; at += 64)
        __builtin_prefetch(profile + at);
    const size_t sig_bytes = (size_t)c->opts.num_perm * sizeof(uint32_t);
    const char *sig = nd_spill_map_view(map, d->sig_off, sig_bytes);
    for (size_t at = 0; sig && at < sig_bytes; at += 64)
        __builtin_prefetch(sig + at);
}

enum { PREFETCH_DOC = 4, PREFETCH_SKETCH = 2 };

/* Exact Jaccard of each candidate of block b (a is read once per run of pairs). */
static int verify_block_run(verify_job *job, size_t b, doc_sketch *ka, doc_sketch *kb)
{
    const nd_corpus *c = job->corpus;
    const nd_options *o = &c->opts;
    const size_t end = (b + 1) * VERIFY_BLOCK < job->n_cand ? (b + 1) * VERIFY_BLOCK : job->n_cand;
    /* the exact value of a pair below the threshold is not needed, but with KEEP_ALL */
    const bool drops = !exact_needed(o, job->keep);
    const double give_up = drops ? o->threshold / (1 + o->threshold) : 0;
    verify_block *out = &job->blocks[b];
    uint64_t similarity[ND_SIMILARITY_BINS] = {0};
    int rc = 0;
    for (size_t i = b * VERIFY_BLOCK; i < end && rc == 0; i++) {
        const nd_pair_key k = job->cand[i];
        /* a pair the profiles rule out takes less time than a read from memory: its
         * document's record is asked for four pairs ahead, its sketch two */
        if (i + PREFETCH_DOC < end)
            __builtin_prefetch(&c->docs[job->cand[i + PREFETCH_DOC].b]);
        if (i + PREFETCH_SKETCH < end)
            prefetch_sketch(&job->src.map, c, &c->docs[job->cand[i + PREFETCH_SKETCH].b]);
        const nd_pair *known = nd_known_pair(job->src.known, job->src.n_known, k, !drops);
        size_t shared = known ? known->shared : 0;
        double j = known ? known->jaccard : 0;
        rc = known ? 0 : pair_jaccard(&job->src, c, k, ka, kb, give_up, &j, &shared);
        if (rc < 0)
            break;
        const double est =
            known ? known->jaccard_est : nd_minhash_estimate(ka->sig, kb->sig, o->num_perm);
        const int bin = (int)(est * ND_SIMILARITY_BINS);
        similarity[bin < ND_SIMILARITY_BINS ? bin : ND_SIMILARITY_BINS - 1]++;
        const bool below = (o->verify == ND_VERIFY_EXACT ? j : est) < o->threshold;
        if (job->keep == KEEP_REACHING && below)
            continue;
        const uint32_t mark = job->keep == KEEP_MARKED && drops && below ? ND_PAIR_BELOW : 0;
        if (ND_GROW(out->pairs, out->cap, out->n + 1) < 0)
            rc = ND_ENOMEM;
        else
            out->pairs[out->n++] = (nd_pair){k.a, k.b, j, est, (uint32_t)shared, mark};
    }
    memcpy(out->similarity, similarity, sizeof(similarity));
    return rc;
}

static int verify_worker(void *stage, nd_work *work)
{
    verify_job *job = stage;
    doc_sketch ka = {.want_sig = true}, kb = {.want_sig = true};
    int rc = 0;
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

/* nd_verify_stage with src open (its reads counted over cand or over more; the scratch
 * file is not written while candidates are verified, so its mappings stay whole). */
static int verify_candidates(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *cand,
                             verify_keep keep, const sketch_source *src, nd_pair **pairs,
                             size_t *n_pairs, uint64_t *similarity)
{
    const size_t n_blocks = (cand->n + VERIFY_BLOCK - 1) / VERIFY_BLOCK;
    verify_job job = {
        .src = *src, .keep = keep, .corpus = c, .cand = cand->keys, .n_cand = cand->n};
    job.blocks = calloc(n_blocks ? n_blocks : 1, sizeof(*job.blocks));
    if (!job.blocks)
        return ND_ENOMEM;
    int rc = nd_parallel(ctx->threads, n_blocks, verify_worker, &job);
    if (rc == 0)
        rc = join_blocks(job.blocks, n_blocks, pairs, n_pairs);
    for (size_t b = 0; b < n_blocks; b++) {
        for (int k = 0; similarity && k < ND_SIMILARITY_BINS; k++)
            similarity[k] += job.blocks[b].similarity[k];
        free(job.blocks[b].pairs);
    }
    free(job.blocks);
    return rc;
}

int nd_verify_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *cand, bool keep_all,
                    nd_pair **pairs, size_t *n_pairs, uint64_t *similarity)
{
    sketch_source src;
    const verify_keep keep = keep_all ? KEEP_ALL : KEEP_REACHING;
    int rc = source_open(&src, ctx, c, cand->keys, cand->n, exact_needed(&c->opts, keep));
    if (rc == 0)
        rc = verify_candidates(ctx, c, cand, keep, &src, pairs, n_pairs, similarity);
    free(src.reads);
    return rc;
}

int nd_verify_values(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *cand, bool exact,
                     nd_pair **values)
{
    sketch_source src;
    size_t n = 0;
    *values = NULL;
    int rc = source_open(&src, ctx, c, cand->keys, cand->n, exact);
    if (rc == 0)
        rc =
            verify_candidates(ctx, c, cand, exact ? KEEP_ALL : KEEP_MARKED, &src, values, &n, NULL);
    free(src.reads);
    return rc;
}

/* Candidates are verified in rounds of this many, in candidate order: a candidate whose
 * documents the verified pairs of earlier rounds already joined is skipped. */
#define CONNECT_ROUND 8192

/* Appends n keys to *to. */
static int append_keys(nd_candidates *to, size_t *cap, const nd_pair_key *keys, size_t n)
{
    if (ND_GROW(to->keys, *cap, to->n + n) < 0)
        return ND_ENOMEM;
    memcpy(to->keys + to->n, keys, n * sizeof(*keys));
    to->n += n;
    return 0;
}

/* About the bytes of the scratch file's pages that verifying todo reads: a page at least
 * for each record of a pair's second document (its first's are read once a run). */
static uint64_t bytes_viewed(const nd_corpus *c, const nd_candidates *todo)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < todo->n; i++)
        bytes += (uint64_t)c->docs[todo->keys[i].b].n_shingles * sizeof(uint64_t) + 3 * 4096;
    return bytes;
}

/* Verifies the round's candidates that still join two sets, appends the pairs found to
 * *pairs and joins their documents; the others go to *skipped. */
static int verify_round(nd_run_ctx *ctx, const nd_corpus *c, const sketch_source *src,
                        uint32_t *forest, const nd_pair_key *keys, size_t n, nd_candidates *todo,
                        nd_pair **pairs, size_t *n_pairs, size_t *pairs_cap, nd_candidates *skipped,
                        size_t *skipped_cap, uint64_t *similarity)
{
    int rc = 0;
    todo->n = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (nd_forest_find(forest, keys[i].a) == nd_forest_find(forest, keys[i].b))
            rc = append_keys(skipped, skipped_cap, &keys[i], 1);
        else
            todo->keys[todo->n++] = keys[i];
    }
    nd_pair *got = NULL;
    size_t n_got = 0;
    if (rc == 0)
        rc = verify_candidates(ctx, c, todo, KEEP_REACHING, src, &got, &n_got, similarity);
    if (rc == 0 && ND_GROW(*pairs, *pairs_cap, *n_pairs + n_got) < 0)
        rc = ND_ENOMEM;
    for (size_t i = 0; i < n_got && rc == 0; i++) {
        nd_forest_join(forest, got[i].doc_a, got[i].doc_b);
        (*pairs)[(*n_pairs)++] = got[i];
    }
    free(got);
    return rc;
}

int nd_verify_connecting(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *cand,
                         nd_pair **pairs, size_t *n_pairs, nd_candidates *skipped,
                         uint64_t *similarity)
{
    uint32_t *forest = nd_forest_new(c->n_docs);
    nd_candidates todo = {malloc(CONNECT_ROUND * sizeof(nd_pair_key)), 0, 0};
    size_t pairs_cap = 0, skipped_cap = 0;
    sketch_source src = {.reads = NULL};
    int rc = forest && todo.keys ? 0 : ND_ENOMEM;
    if (rc == 0) /* (the reads of every candidate: an overestimate, as some are skipped) */
        rc = source_open(&src, ctx, c, cand->keys, cand->n, exact_needed(&c->opts, KEEP_REACHING));
    *pairs = NULL;
    *n_pairs = 0;
    *skipped = (nd_candidates){NULL, 0, 0};
    uint64_t viewed = 0;
    for (size_t at = 0; at < cand->n && rc == 0; at += CONNECT_ROUND) {
        const size_t n = cand->n - at < CONNECT_ROUND ? cand->n - at : CONNECT_ROUND;
        rc = verify_round(ctx, c, &src, forest, cand->keys + at, n, &todo, pairs, n_pairs,
                          &pairs_cap, skipped, &skipped_cap, similarity);
        nd_report_progress(c, ND_STAGE_VERIFY, at + n, cand->n, "candidate pairs", 0);
        /* the pages of the sketches read count in the process's memory until given back:
         * past a quarter of --memory, they are (unless the whole file fits in it: pages
         * given back cost a fault each when read again) */
        viewed += bytes_viewed(c, &todo);
        if (viewed > ctx->memory.total / 4 && nd_spill_bytes(ctx->spill) > ctx->memory.total / 4) {
            nd_spill_drop_views(ctx->spill);
            viewed = 0;
        }
    }
    nd_spill_drop_views(ctx->spill);
    if (rc == 0 && !*pairs)
        rc = (*pairs = malloc(sizeof(**pairs))) ? 0 : ND_ENOMEM;
    free(src.reads);
    free(forest);
    free(todo.keys);
    if (rc < 0) {
        free(*pairs);
        free(skipped->keys);
        *pairs = NULL;
        *skipped = (nd_candidates){NULL, 0, 0};
    }
    return rc;
}
