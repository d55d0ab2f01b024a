/*
 * feed.c: the passage stage's shingle records, read back from the scan, on all threads.
 *
 * HOW IT WORKS
 *
 * The scan wrote the shingle hashes of each batch of documents as one blob. A
 * shingle that occurs once is no seed, and most shingles of a corpus occur once,
 * so only the records (hash, document, position) of the shingles seen at least
 * twice go to the passage stage. Two bitmaps indexed by the top bits of the hash
 * find them: bit i of "once" is set by the first hash whose top bits are i, of
 * "twice" by the next. They are interleaved word by word, so that a hash's two
 * bits share a cache line. A single shingle whose bit another one shares gets
 * through too, rarely; the passage stage finds no seed in it. Once every hash is
 * marked, "twice" is gathered into the first half and the other half freed: the
 * records kept next need that room.
 *
 * The blobs are read in rounds (as many batches as their share of --memory holds,
 * one per thread at least: small, as their buffers' pages are touched afresh
 * while the maps and records are held), and each round's batches are dealt to
 * the threads in contiguous shares:
 *
 * 1. Marking. Each share's hashes are read and dealt out by their top bits into
 *    parts; then each thread marks a range of parts, taken from every share. The
 *    hashes of a part touch one slice of the maps, which the caches hold (marking
 *    in text order missed them at every hash), and two ranges of parts never touch
 *    the same word, so no lock is needed. The maps do not depend on the order.
 * 2. Keeping. Each share's records are looked up in text order, the bitmap words
 *    fetched 16 hashes ahead (a look-up in text order misses the caches at almost
 *    every hash: fetching ahead keeps many misses in flight), and those seen twice
 *    are kept. The shares are then added to the sorter in batch order: records come
 *    in (document, position) order, whatever the threads did.
 *
 * Two threads take the random look-ups of the maps together, which one thread
 * waits on, and read the blobs side by side.
 *
 * Common shingles. The passage stage ignores a shingle of more than 4 x max_df records
 * (boilerplate), and when most of a corpus's records are of such shingles (thousands
 * of copies of a story) sorting them only to drop them is most of the stage. So marking
 * also counts the hashes that fall in each slot of an array of counters (by their top
 * bits: a part's slice, as for the maps); once a slot's count reaches HOT, each hash
 * that falls in it is counted on its own, in its part's table. That count misses the
 * records before the slot was hot, so it is a lower bound: a shingle whose count passes
 * 4 x max_df is certainly ignored, and keeping leaves its records out.
 *
 * Ranks. When several processes each scanned some of the documents, each marks its own
 * hashes in maps of the same size, and the maps are combined (seen twice: twice in one,
 * or once in two) before keeping: each keeps the records of the shingles seen twice in
 * all. A count of one process is a lower bound too; the shingles it finds common go
 * out as one record each that says so, and the process that gathers a shingle's records
 * ignores it.
 */
#include "passages/feed.h"
#include "common/scratch.h"

#include "passages/passages.h"
#include "common/spill.h"
#include "common/threads.h"

#include <stdlib.h>
#include <string.h>

#define PART_BITS 8
#define PARTS (1u << PART_BITS)
#define LOOKUP_AHEAD 16
#define HOT 64

/* A part's shingles counted on their own (hash 0, which marks an empty place, is not). */
typedef struct common_table {
    uint64_t *hash;
    uint32_t *count;
    size_t cap, n, most; /* most: the places it may grow to */
} common_table;

/* The batches [b0, b1) of a round that one thread reads, and what it makes of them. */
typedef struct share {
    size_t b0, b1;
    uint64_t *blob; /* the hashes of the batch being read */
    size_t blob_cap;
    uint64_t *h, *by_part; /* marking: the share's hashes, then dealt out by part */
    size_t n_h, h_cap;
    size_t part_at[PARTS + 1]; /* where part p starts in by_part */
    nd_shingle_record *kept;   /* keeping: the records seen twice, in text order */
    size_t n_kept, kept_cap;
} share;

typedef struct feed {
    nd_run_ctx *ctx;
    const nd_corpus *c;
    const nd_shingle_blob *blobs;
    size_t n_blobs;
    uint64_t *maps; /* word 2j: seen once, 2j + 1: seen twice; then word j: seen twice */
    size_t map_bytes;
    unsigned bits; /* 2^bits bits per map */
    share *shares;
    size_t n_shares; /* threads */
    size_t n_mark_pieces;
    int (*per_share)(const struct feed *, share *); /* what run_shares does to each */
    uint8_t *slot_counts;                           /* 2^count_bits counters, up to HOT */
    size_t counts_bytes;
    unsigned count_bits;
    common_table common[PARTS];
    uint32_t most_records; /* 4 x max_df: past it, a shingle is ignored */
    uint64_t n_common;     /* shingles is_common finds, once marking is done */
    const nd_feed_ranks *ranks;
} feed;

/* ---------------------------------------------------------------- the maps */

static inline void mark(uint64_t *maps, uint64_t slot)
{
    const uint64_t bit = 1ull << (slot % 64);
    uint64_t *once = &maps[slot / 64 * 2], *twice = once + 1;
    *twice |= *once & bit;
    *once |= bit;
}

/* The word of "seen twice" that holds hash h's bit, after keep_twice_only (shift: 64 -
 * bits). */
static inline const uint64_t *twice_word(const uint64_t *twice, unsigned shift, uint64_t h)
{
    return &twice[(h >> shift) / 64];
}

/* Gathers the "twice" words into the first half of the maps, and frees the second. */
static int keep_twice_only(feed *f)
{
    const size_t words = f->map_bytes / sizeof(uint64_t) / 2;
    for (size_t j = 0; j < words; j++)
        f->maps[j] = f->maps[2 * j + 1]; /* word 2j + 1 >= j is not yet overwritten */
    uint64_t *twice = nd_scratch_remap(&f->ctx->scratch, f->maps, f->map_bytes, f->map_bytes / 2);
    if (!twice)
        return ND_ENOMEM;
    f->maps = twice;
    f->map_bytes /= 2;
    return 0;
}

/* Bits per map: 8 per hash, the two maps within their share of --memory (a smaller map
 * only lets more single shingles through). */
static unsigned map_bits(const nd_run_ctx *ctx, uint64_t n_hashes)
{
    const uint64_t map_bytes = ctx->memory.feed_maps / 2;
    unsigned bits = 16;
    while (bits < 40 && (1ull << bits) < 8 * n_hashes && (1ull << bits) / 8 < map_bytes)
        bits++;
    return bits;
}

/* ---------------------------------------------------------------- common shingles */

static size_t common_place(const common_table *t, uint64_t h)
{
    size_t i = (size_t)nd_mix64(h) & (t->cap - 1);
    while (t->hash[i] != 0 && t->hash[i] != h)
        i = (i + 1) & (t->cap - 1);
    return i;
}

/* Doubles t's places (from none to 64); false when it may not grow or memory fails. */
static bool common_grow(common_table *t)
{
    const size_t cap = t->cap ? 2 * t->cap : 64;
    if (cap > t->most)
        return false;
    common_table g = {calloc(cap, sizeof(*g.hash)), calloc(cap, sizeof(*g.count)), cap, t->n,
                      t->most};
    if (!g.hash || !g.count) {
        free(g.hash);
        free(g.count);
        return false;
    }
    for (size_t i = 0; i < t->cap; i++)
        if (t->hash[i]) {
            const size_t at = common_place(&g, t->hash[i]);
            g.hash[at] = t->hash[i];
            g.count[at] = t->count[i];
        }
    free(t->hash);
    free(t->count);
    *t = g;
    return true;
}

/* One more record of h: a hash the table holds is counted whatever its size; a new one
 * is not taken when the table is full (the counts stay lower bounds). */
static void common_add(common_table *t, uint64_t h)
{
    if (h == 0)
        return;
    size_t at = t->cap ? common_place(t, h) : 0;
    if (!t->cap || t->hash[at] == 0) {
        if (2 * (t->n + 1) > t->cap && !common_grow(t))
            return;
        at = common_place(t, h);
        t->n++;
        t->hash[at] = h;
    }
    t->count[at] += t->count[at] < UINT32_MAX;
}

static uint32_t common_count(const common_table *t, uint64_t h)
{
    return t->cap ? t->count[common_place(t, h)] : 0;
}

/* Whether h is certainly a shingle the passage stage ignores. */
static inline bool is_common(const feed *f, uint64_t h)
{
    return f->slot_counts[h >> (64 - f->count_bits)] >= HOT &&
           common_count(&f->common[h >> (64 - PART_BITS)], h) > f->most_records;
}

/* The counters: a slot for eight hashes (a part's slice stays in the caches with its
 * slice of the maps), within an eighth of the maps' share, at least one slot a part; the
 * tables of hot slots' hashes within another eighth. */
static int counters_init(feed *f, uint64_t n_hashes, int max_df)
{
    const uint64_t most_bytes = f->ctx->memory.feed_maps / 8;
    unsigned bits = PART_BITS;
    while (bits < 32 && (1ull << bits) < n_hashes / 8 && (2ull << bits) <= most_bytes)
        bits++;
    f->count_bits = bits;
    f->counts_bytes = ((size_t)1 << bits) * sizeof(*f->slot_counts);
    f->most_records = 4 * (uint32_t)max_df;
    /* the tables within another eighth (a place: a hash and a count) */
    const size_t places = (size_t)(most_bytes / (sizeof(uint64_t) + sizeof(uint32_t)) / PARTS);
    for (unsigned p = 0; p < PARTS; p++)
        f->common[p].most = places > 64 ? places : 64;
    f->slot_counts = calloc(1, f->counts_bytes);
    return f->slot_counts ? 0 : ND_ENOMEM;
}

/* How many shingles is_common says are ignored. */
static uint64_t common_shingles(const feed *f)
{
    uint64_t n = 0;
    for (unsigned p = 0; p < PARTS; p++)
        for (size_t i = 0; i < f->common[p].cap; i++)
            n += f->common[p].count[i] > f->most_records;
    return n;
}

static void counters_free(feed *f)
{
    for (unsigned p = 0; p < PARTS; p++) {
        free(f->common[p].hash);
        free(f->common[p].count);
    }
    free(f->slot_counts);
}

/* ---------------------------------------------------------------- reading */

/* The hashes of batch b into to[0..blobs[b].n). */
static int read_hashes(const feed *f, size_t b, uint64_t *to)
{
    const nd_shingle_blob *blob = &f->blobs[b];
    return blob->n == 0 ? 0 : nd_spill_read(f->ctx->spill, blob->offset, to, blob->n * sizeof(*to));
}

/* The hashes a document has in its batch's blob (those of a document that does not start
 * passages are there too, and skipped). */
static size_t hashes_of(const nd_doc *d)
{
    return d->status == ND_DOC_OK ? d->n_shingles : 0;
}

/* ---------------------------------------------------------------- rounds */

/* Hashes of the batches [b0, b1). */
static uint64_t hashes_in(const feed *f, size_t b0, size_t b1)
{
    uint64_t n = 0;
    for (size_t b = b0; b < b1; b++)
        n += f->blobs[b].n;
    return n;
}

/* Plans the round that starts at batch b (as many batches as `room` hashes hold, and
 * one per thread at least) and deals its batches to the shares, about as many hashes
 * each; returns the batch after the round. */
static size_t plan_round(feed *f, size_t b, uint64_t room)
{
    size_t end = b + 1;
    uint64_t total = f->blobs[b].n;
    while (end < f->n_blobs && (end - b < f->n_shares || total + f->blobs[end].n <= room))
        total += f->blobs[end++].n;
    uint64_t before = 0;
    size_t next = b;
    for (size_t t = 0; t < f->n_shares; t++) {
        share *s = &f->shares[t];
        s->b0 = next;
        const uint64_t upto = total * (t + 1) / f->n_shares;
        while (next < end && (before < upto || t + 1 == f->n_shares))
            before += f->blobs[next++].n;
        s->b1 = next;
    }
    return end;
}

static int share_worker(void *stage, nd_work *work)
{
    feed *f = stage;
    int rc = 0;
    for (size_t t; rc == 0 && nd_work_take(work, &t);)
        rc = f->per_share(f, &f->shares[t]);
    return rc;
}

/* Does per_share to each share of the round, on all threads. */
static int run_shares(feed *f, int (*per_share)(const feed *, share *))
{
    f->per_share = per_share;
    return nd_parallel((int)f->n_shares, f->n_shares, share_worker, f);
}

/* ---------------------------------------------------------------- 1. marking */

/* Frees the marking buffers, whose pages the kept records may take next. */
static void free_marking_buffers(nd_scratch_pool *scratch, share *s)
{
    nd_scratch_unmap(scratch, s->h, s->h_cap * sizeof(*s->h));
    nd_scratch_unmap(scratch, s->by_part, s->h_cap * sizeof(*s->h));
    s->h = s->by_part = NULL;
    s->h_cap = 0;
}

/* Room for n hashes in the share's two marking buffers. */
static int make_room_for_hashes(nd_scratch_pool *scratch, share *s, size_t n)
{
    if (n <= s->h_cap)
        return 0;
    free_marking_buffers(scratch, s);
    s->h = nd_scratch_map(scratch, n * sizeof(*s->h));
    s->by_part = nd_scratch_map(scratch, n * sizeof(*s->h));
    s->h_cap = n;
    if (s->h && s->by_part)
        return 0;
    free_marking_buffers(scratch, s); /* the one that was mapped, with its size */
    return ND_ENOMEM;
}

/* Reads the hashes of batch b after the share's, straight into s->h, and drops those of
 * documents that start no passages (few, if any). */
static int read_batch_hashes(const feed *f, share *s, size_t b)
{
    if (f->blobs[b].n == 0) /* (none, or the batch is another rank's) */
        return 0;
    const int rc = f->blobs[b].n ? read_hashes(f, b, s->h + s->n_h) : 0; /* s->h may be NULL */
    const size_t end = nd_scan_batch_end(f->c, b);
    size_t at = s->n_h;
    for (size_t i = b * ND_SCAN_BATCH; i < end && rc == 0; i++) {
        const nd_doc *d = &f->c->docs[i];
        if (nd_doc_starts_passages(f->c, d)) {
            if (s->n_h != at)
                memmove(s->h + s->n_h, s->h + at, d->n_shingles * sizeof(*s->h));
            s->n_h += d->n_shingles;
        }
        at += hashes_of(d);
    }
    return rc;
}

/* Reads a share's hashes and deals them out by part. */
static int read_share(const feed *f, share *s)
{
    int rc = make_room_for_hashes(&f->ctx->scratch, s, hashes_in(f, s->b0, s->b1));
    s->n_h = 0;
    for (size_t b = s->b0; b < s->b1 && rc == 0; b++)
        rc = read_batch_hashes(f, s, b);
    memset(s->part_at, 0, sizeof(s->part_at));
    for (size_t i = 0; i < s->n_h; i++)
        s->part_at[(s->h[i] >> (64 - PART_BITS)) + 1]++;
    for (unsigned p = 0; p < PARTS; p++)
        s->part_at[p + 1] += s->part_at[p];
    size_t next[PARTS];
    memcpy(next, s->part_at, sizeof(next));
    for (size_t i = 0; i < s->n_h; i++)
        s->by_part[next[s->h[i] >> (64 - PART_BITS)]++] = s->h[i];
    return rc;
}

/* Marks the hashes of parts [p0, p1) from every share. The maps hold at least 2^16 bits
 * a map, so the parts' slices of them are whole words, apart from other parts'. */
/* Marks h[0..n) in the maps. */
static void mark_hashes(uint64_t *maps, unsigned shift, const uint64_t *h, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mark(maps, h[i] >> shift);
}

/* Counts h[0..n) in their slots, and on their own those of hot slots. A loop apart from
 * marking's: the call in it would cost marking registers it keeps. */
static void count_hashes(feed *f, const uint64_t *h, size_t n)
{
    uint8_t *const counts = f->slot_counts;
    const unsigned shift = 64 - f->count_bits;
    for (size_t i = 0; i < n; i++) {
        const uint64_t x = h[i]; /* (read once: a counter's store may alias it) */
        uint8_t *count = &counts[x >> shift];
        if (*count < HOT)
            (*count)++;
        else
            common_add(&f->common[x >> (64 - PART_BITS)], x);
    }
}

static void mark_parts(feed *f, unsigned p0, unsigned p1)
{
    for (size_t t = 0; t < f->n_shares; t++) {
        const share *s = &f->shares[t];
        const uint64_t *h = s->by_part + s->part_at[p0];
        const size_t n = s->part_at[p1] - s->part_at[p0];
        mark_hashes(f->maps, 64 - f->bits, h, n);
        if (f->slot_counts)
            count_hashes(f, h, n);
    }
}

static int mark_ranges(void *stage, nd_work *work)
{
    feed *f = stage;
    for (size_t r; nd_work_take(work, &r);)
        mark_parts(f, (unsigned)(r * PARTS / f->n_mark_pieces),
                   (unsigned)((r + 1) * PARTS / f->n_mark_pieces));
    return 0;
}

static int mark_all(feed *f, uint64_t room)
{
    int rc = 0;
    for (size_t b = 0; b < f->n_blobs && rc == 0;) {
        b = plan_round(f, b, room);
        rc = run_shares(f, read_share);
        if (rc == 0)
            rc = nd_parallel((int)f->n_shares, f->n_mark_pieces, mark_ranges, f);
    }
    for (size_t t = 0; t < f->n_shares; t++)
        free_marking_buffers(&f->ctx->scratch, &f->shares[t]);
    return rc;
}

/* ---------------------------------------------------------------- 2. keeping */

/* Keeps the records of batch b (hashes in s->blob) seen twice. */
static int keep_batch(const feed *f, share *s, size_t b)
{
    const size_t n = f->blobs[b].n;
    if (n == 0) /* (none, or the batch is another rank's) */
        return 0;
    const size_t need = s->n_kept + n;
    if (need > s->kept_cap) {
        const size_t cap = need > 2 * s->kept_cap ? need : 2 * s->kept_cap;
        nd_shingle_record *kept = nd_scratch_remap(
            &f->ctx->scratch, s->kept, s->kept_cap * sizeof(*s->kept), cap * sizeof(*s->kept));
        if (!kept)
            return ND_ENOMEM;
        s->kept = kept;
        s->kept_cap = cap;
    }
    /* locals: the records' stores could alias the fields, reloaded at every hash */
    const uint64_t *const blob = s->blob, *const twice = f->maps;
    const unsigned shift = 64 - f->bits;
    nd_shingle_record *const kept = s->kept;
    size_t n_kept = s->n_kept;
    for (size_t i = 0; i < LOOKUP_AHEAD && i < n; i++)
        __builtin_prefetch(twice_word(twice, shift, blob[i]));
    const size_t end = nd_scan_batch_end(f->c, b);
    size_t at = 0;
    for (size_t i = b * ND_SCAN_BATCH; i < end; i++) {
        const nd_doc *d = &f->c->docs[i];
        const uint32_t shingles = nd_doc_starts_passages(f->c, d) ? d->n_shingles : 0;
        for (uint32_t p = 0; p < shingles; p++) {
            if (at + p + LOOKUP_AHEAD < n)
                __builtin_prefetch(twice_word(twice, shift, blob[at + p + LOOKUP_AHEAD]));
            const uint64_t h = blob[at + p];
            if (*twice_word(twice, shift, h) >> ((h >> shift) % 64) & 1 &&
                !(f->n_common && is_common(f, h)))
                kept[n_kept++] = (nd_shingle_record){h, (uint32_t)i, p};
        }
        at += hashes_of(d);
    }
    s->n_kept = n_kept;
    return 0;
}

static int keep_share(const feed *f, share *s)
{
    int rc = 0;
    s->n_kept = 0;
    for (size_t b = s->b0; b < s->b1 && rc == 0; b++) {
        if (ND_GROW(s->blob, s->blob_cap, f->blobs[b].n + 1) < 0)
            return ND_ENOMEM;
        if ((rc = read_hashes(f, b, s->blob)) == 0)
            rc = keep_batch(f, s, b);
    }
    return rc;
}

static int keep_all(feed *f, uint64_t room, const nd_feed_sink *out)
{
    int rc = 0;
    for (size_t b = 0; b < f->n_blobs && rc == 0;) {
        b = plan_round(f, b, room);
        rc = run_shares(f, keep_share);
        for (size_t t = 0; t < f->n_shares && rc == 0; t++)
            rc = out->add(out->payload, f->shares[t].kept, f->shares[t].n_kept);
    }
    return rc;
}

/* With ranks: a record of ND_SHINGLE_IGNORED for each shingle is_common finds. */
static int tell_common(const feed *f, const nd_feed_sink *out)
{
    int rc = 0;
    for (unsigned p = 0; p < PARTS && f->n_common; p++)
        for (size_t i = 0; i < f->common[p].cap && rc == 0; i++)
            if (f->common[p].count[i] > f->most_records)
                rc = out->add(out->payload,
                              &(nd_shingle_record){f->common[p].hash[i], ND_SHINGLE_IGNORED, 0}, 1);
    return rc;
}

/* The maps' bits: from the hashes of every rank, the same on each. */
static unsigned shared_map_bits(const feed *f, uint64_t n_hashes)
{
    const nd_feed_ranks *r = f->ranks;
    if (!r)
        return map_bits(f->ctx, n_hashes);
    return (unsigned)r->least(r->payload, map_bits(f->ctx, r->sum(r->payload, n_hashes)));
}

/* ---------------------------------------------------------------- entry */

static void free_shares(feed *f)
{
    nd_scratch_pool *scratch = &f->ctx->scratch;
    for (size_t t = 0; f->shares && t < f->n_shares; t++) {
        share *s = &f->shares[t];
        free(s->blob);
        free_marking_buffers(scratch, s);
        nd_scratch_unmap(scratch, s->kept, s->kept_cap * sizeof(*s->kept));
    }
    free(f->shares);
}

int nd_feed_repeated_shingles(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                              int max_df, const nd_feed_ranks *ranks, const nd_feed_sink *out,
                              uint64_t *capped)
{
    if (scan->n_batches == 0)
        return 0;
    feed f = {.ctx = ctx, .c = c, .blobs = scan->blobs, .n_blobs = scan->n_batches, .ranks = ranks};
    const uint64_t n_hashes = hashes_in(&f, 0, f.n_blobs);
    f.bits = shared_map_bits(&f, n_hashes);
    f.map_bytes = (size_t)(1ull << f.bits) / 8 * 2;
    f.n_shares = (size_t)ctx->threads < f.n_blobs ? (size_t)ctx->threads : f.n_blobs;
    f.n_mark_pieces = 4 * f.n_shares; /* ranges of parts: a thread that is done takes more */
    f.maps = nd_scratch_map_zeroed(&ctx->scratch, f.map_bytes);
    f.shares = calloc(f.n_shares, sizeof(*f.shares));
    /* a round's hashes (and, when kept, their records) */
    const uint64_t room = ctx->memory.feed_round / sizeof(uint64_t);
    int rc = f.maps && f.shares ? 0 : ND_ENOMEM;
    if (rc == 0 && max_df > 0) /* (counting costs a tenth of the stage: only when it pays) */
        rc = counters_init(&f, n_hashes, max_df);
    if (rc == 0)
        rc = mark_all(&f, room);
    if (rc == 0 && ranks)
        rc = ranks->combine_maps(ranks->payload, f.maps, f.map_bytes / sizeof(uint64_t));
    f.n_common = rc == 0 ? common_shingles(&f) : 0;
    if (rc == 0)
        rc = keep_twice_only(&f);
    if (rc == 0)
        rc = keep_all(&f, room / 2, out);
    if (rc == 0 && ranks)
        rc = tell_common(&f, out);
    *capped += ranks ? 0 : f.n_common;
    free_shares(&f);
    counters_free(&f);
    nd_scratch_unmap(&ctx->scratch, f.maps, f.map_bytes);
    return rc;
}
