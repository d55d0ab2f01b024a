/*
 * passages.c: shared passages by rare-shingle seeds, diagonal runs and chaining.
 *
 * HOW IT WORKS
 *
 * 1. Seeds. Every word k-shingle of every document becomes a record
 *    (hash, doc, position). Sorting the records groups the occurrences of a
 *    shingle; each two occurrences in one group are a seed (doc_a, doc_b,
 *    pos_a, pos_b), in one document too (a repeated title); in a group of
 *    more than ND_PASSAGE_ALL_PLACES, each later one with the first. A shingle in
 *    more than max_df documents (boilerplate: "leave a comment", a site
 *    footer) is ignored and counted: without the cap one footer in n
 *    documents would cost n^2/2 seeds.
 * 2. Runs. Seeds sorted by (doc pair, diagonal pos_b - pos_a, pos_a) fall
 *    into runs of consecutive positions on one diagonal: a stretch of
 *    identical words, at least k long.
 * 3. Chaining. Runs of a document pair sorted by pos_a are chained into one
 *    passage while both gaps (words between the end of the passage and the
 *    start of the next run, in each document) are at most max_gap: a few
 *    inserted, deleted or changed words do not split a passage. Each
 *    passage is then extended word by word while the words still agree.
 *    Then, between two documents, spans whose extents touch in both (within
 *    max_gap words) are merged until none touch: sentences of a passage that
 *    were reordered become one passage covering the whole reused region.
 * 4. Repeats inside one document. A run whose two sides overlap (a text
 *    repeated back to back, period d = pos_b - pos_a) is a tandem repeat:
 *    it is reported as each later copy against the first, and runs on
 *    diagonals that are multiples of d inside it are the same repeat seen
 *    again, so they are dropped. Spans of one document never overlap.
 * 5. Passages shorter than min_passage words on either side are dropped;
 *    score = 2 x matched words / (words_a + words_b). A pair of documents
 *    whose chained and merged spans are all shorter than that (most pairs
 *    meet in one chance shingle) is dropped before its words are read.
 *
 * Cost: n shingle records, sorted (O(n log n), 16 bytes each), plus the
 * seeds, at most ND_PASSAGE_ALL_PLACES^2 / 2 or 4 x max_df per distinct shingle,
 * which in practice track the amount of text actually shared. Memory: both
 * sorters hold their records in parts (records by hash, seeds by first
 * document), in memory each sorted when reading reaches it and freed when
 * reading leaves it, so a sort's second buffer is a part's size and the seeds take
 * the room of the records already read (a lower peak, and fewer fresh pages,
 * which cost much under a hypervisor).
 */
#include "passages/passages.h"

#include "common/extsort.h"
#include "common/radix.h"
#include "text/shingle.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef nd_shingle_record shingle_record;
typedef nd_seed seed;

typedef struct run {
    uint32_t a0, a1, b0, b1; /* token ranges, end exclusive */
} run;

typedef struct span {
    uint32_t a0, a1, b0, b1;
    uint32_t matched;
} span;

typedef struct tandem {
    uint32_t start, end, period;
} tandem;

/* a growable list of passages */
typedef struct passage_list {
    nd_passage *items;
    size_t n, cap;
} passage_list;

/* ---------------------------------------------------------------- seeds */

static int compare_shingle_records(const void *pa, const void *pb)
{
    const shingle_record *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

static int64_t diagonal(const seed *s)
{
    return (int64_t)s->pos_b - (int64_t)s->pos_a;
}

static int compare_seeds_in_pair(const void *pa, const void *pb)
{
    const seed *a = pa, *b = pb;
    const int64_t da = diagonal(a), db = diagonal(b);
    if (da != db)
        return da < db ? -1 : 1;
    return (a->pos_a > b->pos_a) - (a->pos_a < b->pos_a);
}

static int compare_seeds(const void *pa, const void *pb)
{
    const seed *a = pa, *b = pb;
    if (a->doc_a != b->doc_a)
        return a->doc_a < b->doc_a ? -1 : 1;
    if (a->doc_b != b->doc_b)
        return a->doc_b < b->doc_b ? -1 : 1;
    return compare_seeds_in_pair(pa, pb);
}

/* Sorts records by hash, stably: records are made in (doc, pos) order, so equal
 * hashes keep that order, the order of compare_shingle_records. */
static int sort_records_by_hash(const nd_sort_env *env, void *records, size_t n)
{
    static const nd_radix_key hash = {offsetof(shingle_record, hash), 8, true};
    return nd_radix_sort(env, records, n, sizeof(shingle_record), &hash, 1);
}

/* Sorts the seeds of one document pair by diagonal and position. A pair of near-
 * duplicates has thousands, on few diagonals: a radix sort, whose passes over digits
 * that are the same in every seed are skipped, beats qsort's calls to a comparison.
 * The pair's two document numbers are the same in every seed, so their 8 bytes hold
 * the sort key meanwhile: the diagonal made unsigned (positions are word numbers of a
 * document under 4 GiB, so they differ by less than 2^31), then the position. */
static int sort_pair_seeds(const nd_sort_env *env, seed *s, size_t n)
{
    if (n < 64) {
        nd_sort(s, n, sizeof(*s), compare_seeds_in_pair);
        return 0;
    }
    const uint32_t doc_a = s[0].doc_a, doc_b = s[0].doc_b;
    for (size_t i = 0; i < n; i++) {
        const uint64_t key =
            (uint64_t)(uint32_t)(s[i].pos_b - s[i].pos_a + 0x80000000u) << 32 | s[i].pos_a;
        memcpy(&s[i], &key, sizeof(key));
    }
    static const nd_radix_key key = {0, 8, false};
    const int rc = nd_radix_sort(env, s, n, sizeof(*s), &key, 1);
    for (size_t i = 0; i < n; i++) {
        s[i].doc_a = doc_a;
        s[i].doc_b = doc_b;
    }
    return rc;
}

/* Sorts seeds in compare_seeds order: by document pair, then each pair's seeds by
 * diagonal and position. */
static int sort_seeds(const nd_sort_env *env, void *records, size_t n)
{
    static const nd_radix_key pair[] = {{offsetof(seed, doc_a), 4, false},
                                        {offsetof(seed, doc_b), 4, false}};
    seed *s = records;
    int rc = nd_radix_sort(env, s, n, sizeof(*s), pair, 2);
    for (size_t lo = 0, hi; rc == 0 && lo < n; lo = hi) {
        for (hi = lo + 1; hi < n && s[hi].doc_a == s[lo].doc_a && s[hi].doc_b == s[lo].doc_b; hi++)
            ;
        rc = sort_pair_seeds(env, s + lo, hi - lo);
    }
    return rc;
}

/* Every shingle of every document, in (doc, pos) order, into the sorter. */
static int collect_shingles(const nd_token_source *src, int k, nd_extsort *out)
{
    uint64_t window[64];
    for (size_t d = 0; d < src->n_docs; d++) {
        nd_token_seq seq;
        int rc = src->load(src->ctx, 0, (uint32_t)d, &seq);
        for (uint32_t p = 0; rc == 0 && p + (uint32_t)k <= seq.n; p++) {
            for (int i = 0; i < k; i++)
                window[i] = seq.toks[p + (uint32_t)i].hash;
            const shingle_record r = {nd_shingle_hash(window, (size_t)k), (uint32_t)d, p};
            rc = nd_extsort_add(out, &r);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The occurrences of one shingle, gathered while they stream past in hash order: in
 * (doc, pos) order from one process, in any order when several found them (in_order
 * then says whether they still are). */
typedef struct shingle_group {
    shingle_record *rec;
    size_t n, cap, df;
    bool capped, in_order;
} shingle_group;

typedef struct seed_sink {
    nd_seed_fn add;
    void *payload;
} seed_sink;

static int add_seed(const seed_sink *to, const shingle_record *a, const shingle_record *b)
{
    return to->add(to->payload, &(seed){a->doc, b->doc, a->pos, b->pos});
}

static int compare_places(const void *pa, const void *pb)
{
    const shingle_record *a = pa, *b = pb;
    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Puts a group that came out of order in (doc, pos) order, and caps it when its
 * documents, counted now, are more than max_df. */
static void order_group(shingle_group *g, int max_df)
{
    if (g->in_order || g->capped)
        return;
    nd_sort(g->rec, g->n, sizeof(*g->rec), compare_places);
    g->df = 0;
    for (size_t i = 0; i < g->n; i++)
        g->df += i == 0 || g->rec[i - 1].doc != g->rec[i].doc;
    g->capped = g->df > (size_t)max_df;
}

/* Adds the seeds of a finished group; a group too common counts. A shingle in at most
 * ND_PASSAGE_ALL_PLACES places gives a seed for each two of them. One in more (a
 * paragraph reprinted many times, a stanza repeated through a document) gives each
 * later place against the first (the records come in input order): a reprint is
 * aligned with the first print, in seeds linear in the places, not their square. */
static int flush_group(shingle_group *g, const nd_passage_params *p, const seed_sink *seeds,
                       uint64_t *n_capped)
{
    int rc = 0;
    order_group(g, p->max_df);
    if (g->capped)
        (*n_capped)++;
    const bool all_pairs = p->all_pairs || g->n <= ND_PASSAGE_ALL_PLACES;
    for (size_t i = 0; !g->capped && rc == 0 && i < (all_pairs ? g->n : 1); i++)
        for (size_t j = i + 1; rc == 0 && j < g->n; j++)
            rc = add_seed(seeds, &g->rec[i], &g->rec[j]);
    g->n = g->df = 0;
    g->capped = false;
    g->in_order = true;
    return rc;
}

/* One more occurrence; past max_df documents (or 4 x max_df occurrences) the group is
 * boilerplate and its records are no longer kept, however many follow. So is a group
 * with a record of ND_SHINGLE_IGNORED. Out of order, its documents are counted when it
 * is finished. */
static int group_add(shingle_group *g, const shingle_record *r, int max_df)
{
    if (g->capped)
        return 0;
    const shingle_record *last = g->n ? &g->rec[g->n - 1] : NULL;
    g->in_order = g->in_order && (!last || compare_places(last, r) < 0);
    g->df += !last || last->doc != r->doc;
    if (r->doc == ND_SHINGLE_IGNORED || (g->in_order && g->df > (size_t)max_df) ||
        g->n + 1 > 4 * (size_t)max_df) {
        g->capped = true;
        return 0;
    }
    if (ND_GROW(g->rec, g->cap, g->n + 1) < 0)
        return ND_ENOMEM;
    g->rec[g->n++] = *r;
    return 0;
}

/* The sorters' parts (nd_extsort_partition): records by the top bits of their hash, seeds
 * by their first document. In memory each part is sorted when reading reaches it, the
 * part before it freed: the sort needs a part's room, not the whole's, and the seeds
 * made from the records read take their pages. */
#define RECORD_PART_BITS 2
#define SEED_PARTS 8

static size_t record_part(const void *ctx, const void *record)
{
    (void)ctx;
    return (size_t)(((const shingle_record *)record)->hash >> (64 - RECORD_PART_BITS));
}

static size_t seed_part(const void *n_docs, const void *record)
{
    return (size_t)((uint64_t)((const seed *)record)->doc_a * SEED_PARTS / *(const size_t *)n_docs);
}

/* A sorter's budget: its share of --memory, or no limit without a scratch file. */
static size_t budget(const nd_passage_params *p, size_t share)
{
    return share && p->spill ? share : SIZE_MAX / 64;
}

int nd_passage_records_open(const nd_passage_params *p, nd_extsort **out)
{
    int rc = nd_extsort_new(out, sizeof(shingle_record), compare_shingle_records,
                            sort_records_by_hash, &p->sort, budget(p, p->shingle_memory), p->spill);
    if (rc == 0 &&
        (rc = nd_extsort_partition(*out, 1u << RECORD_PART_BITS, record_part, NULL)) < 0) {
        nd_extsort_free(*out);
        *out = NULL;
    }
    return rc;
}

int nd_passage_seeds_open(const nd_passage_params *p, const size_t *n_docs, nd_extsort **out)
{
    int rc = nd_extsort_new(out, sizeof(seed), compare_seeds, sort_seeds, &p->sort,
                            budget(p, p->seed_memory), p->spill);
    if (rc == 0 && (rc = nd_extsort_partition(*out, SEED_PARTS, seed_part, n_docs)) < 0) {
        nd_extsort_free(*out);
        *out = NULL;
    }
    return rc;
}

int nd_passage_seeds(const nd_passage_params *p, nd_extsort *records, nd_seed_fn add, void *payload,
                     uint64_t *capped)
{
    const seed_sink to = {add, payload};
    shingle_group g = {.in_order = true};
    uint64_t hash = 0;
    const void *next;
    int rc;
    while ((rc = nd_extsort_next(records, &next)) == 1) {
        const shingle_record *r = next;
        rc = 0;
        if (g.n + g.capped > 0 && r->hash != hash)
            rc = flush_group(&g, p, &to, capped);
        hash = r->hash;
        if (rc == 0)
            rc = group_add(&g, r, p->max_df);
        if (rc < 0)
            break;
    }
    if (rc == 0 && g.n + g.capped > 0)
        rc = flush_group(&g, p, &to, capped);
    free(g.rec);
    return rc;
}

static int add_to_sorter(void *seeds, const seed *s)
{
    return nd_extsort_add(seeds, s);
}

/* Seeds: each two occurrences of a shingle that is not boilerplate. */
static int find_seeds(const nd_token_source *src, const nd_passage_params *p, nd_extsort *seeds,
                      nd_passage_counts *counts)
{
    nd_extsort *rec;
    int rc = nd_passage_records_open(p, &rec);
    if (rc < 0)
        return rc;
    rc = src->shingles ? src->shingles(src->ctx, rec, p->max_df, &counts->capped)
                       : collect_shingles(src, p->k, rec);
    if (rc == 0)
        rc = nd_extsort_finish(rec);
    if (rc == 0)
        rc = nd_passage_seeds(p, rec, add_to_sorter, seeds, &counts->capped);
    counts->spilled += nd_extsort_runs(rec);
    nd_extsort_free(rec);
    return rc < 0 ? rc : nd_extsort_finish(seeds);
}

/* ---------------------------------------------------------------- runs */

/* Merges the seeds of one doc pair (sorted by diagonal, pos_a) into runs. */
static int seeds_to_runs(const seed *s, size_t n, int k, run **runs, size_t *n_runs, size_t *cap)
{
    *n_runs = 0;
    for (size_t i = 0; i < n;) {
        const int64_t d = diagonal(&s[i]);
        run r = {s[i].pos_a, s[i].pos_a + (uint32_t)k, s[i].pos_b, s[i].pos_b + (uint32_t)k};
        size_t j = i + 1;
        /* a seed continues the run while its k words touch or overlap it */
        while (j < n && diagonal(&s[j]) == d && s[j].pos_a <= r.a1) {
            r.a1 = s[j].pos_a + (uint32_t)k;
            r.b1 = s[j].pos_b + (uint32_t)k;
            j++;
        }
        if (ND_GROW(*runs, *cap, *n_runs + 1) < 0)
            return ND_ENOMEM;
        (*runs)[(*n_runs)++] = r;
        i = j;
    }
    return 0;
}

static int compare_runs(const void *pa, const void *pb)
{
    const run *a = pa, *b = pb;
    if (a->a0 != b->a0)
        return a->a0 < b->a0 ? -1 : 1;
    return (a->b0 > b->b0) - (a->b0 < b->b0);
}

/* ---------------------------------------------------------------- chaining */

static bool run_follows(const span *p, const run *r, int max_gap)
{
    if (r->a0 < p->a0 || r->b0 < p->b0 || r->a1 <= p->a1 || r->b1 <= p->b1)
        return false;
    const int64_t gap_a = (int64_t)r->a0 - p->a1, gap_b = (int64_t)r->b0 - p->b1;
    const int64_t drift = gap_a > gap_b ? gap_a - gap_b : gap_b - gap_a;
    return gap_a <= max_gap && gap_b <= max_gap && drift <= max_gap;
}

static void span_absorb(span *p, const run *r)
{
    const uint32_t new_words = r->a1 - (r->a0 > p->a1 ? r->a0 : p->a1);
    p->matched += new_words;
    p->a1 = r->a1;
    p->b1 = r->b1;
}

/* Chains runs (sorted by a0) into spans; each run joins the latest span it follows. A
 * span that ends more than max_gap words before a run starts follows no later run (they
 * start later still), so it leaves the list of live spans, the only ones searched:
 * a document with thousands of repeats has thousands of spans, few of them live. */
static int chain_runs(const run *runs, size_t n, int max_gap, span **spans, size_t *n_spans,
                      size_t *cap)
{
    uint32_t *live = malloc((n ? n : 1) * sizeof(*live)); /* span numbers, oldest first */
    size_t n_live = 0;
    if (!live)
        return ND_ENOMEM;
    *n_spans = 0;
    for (size_t i = 0; i < n; i++) {
        const run *r = &runs[i];
        size_t kept = 0;
        for (size_t j = 0; j < n_live; j++)
            if ((*spans)[live[j]].a1 + (uint32_t)max_gap >= r->a0)
                live[kept++] = live[j];
        n_live = kept;
        span *host = NULL;
        for (size_t j = n_live; j-- > 0 && !host;)
            if (run_follows(&(*spans)[live[j]], r, max_gap))
                host = &(*spans)[live[j]];
        if (host) {
            span_absorb(host, r);
            continue;
        }
        if (ND_GROW(*spans, *cap, *n_spans + 1) < 0) {
            free(live);
            return ND_ENOMEM;
        }
        live[n_live++] = (uint32_t)*n_spans;
        (*spans)[(*n_spans)++] = (span){r->a0, r->a1, r->b0, r->b1, r->a1 - r->a0};
    }
    free(live);
    return 0;
}

/* Two spans are one region when their extents touch (within gap words) in both
 * documents, whatever their order: this joins sentences that were reordered. */
static bool spans_touch(const span *x, const span *y, uint32_t gap)
{
    return x->a0 <= y->a1 + gap && y->a0 <= x->a1 + gap && x->b0 <= y->b1 + gap &&
           y->b0 <= x->b1 + gap;
}

static void span_merge(span *x, const span *y)
{
    x->a0 = x->a0 < y->a0 ? x->a0 : y->a0;
    x->a1 = x->a1 > y->a1 ? x->a1 : y->a1;
    x->b0 = x->b0 < y->b0 ? x->b0 : y->b0;
    x->b1 = x->b1 > y->b1 ? x->b1 : y->b1;
    x->matched += y->matched;
}

/* Merges touching spans until none touch. Spans of a pair are few after chaining;
 * past MAX_BOX_SPANS (two long near-duplicates) the quadratic pass is skipped. */
#define MAX_BOX_SPANS 4096
static void merge_touching(span *s, size_t *n, int max_gap)
{
    if (*n > MAX_BOX_SPANS)
        return;
    for (bool merged = true; merged;) {
        merged = false;
        for (size_t i = 0; i < *n; i++) {
            for (size_t j = i + 1; j < *n; j++) {
                if (!spans_touch(&s[i], &s[j], (uint32_t)max_gap))
                    continue;
                span_merge(&s[i], &s[j]);
                s[j--] = s[--*n];
                merged = true;
            }
        }
    }
}

/* Grows a span word by word while the words on both sides still agree. */
static void extend_span(span *s, const nd_token_seq *a, const nd_token_seq *b, bool same_doc)
{
    while (s->a0 > 0 && s->b0 > 0 && a->toks[s->a0 - 1].hash == b->toks[s->b0 - 1].hash &&
           (!same_doc || s->a0 - 1 != s->b0 - 1)) {
        s->a0--, s->b0--, s->matched++;
    }
    while (s->a1 < a->n && s->b1 < b->n && a->toks[s->a1].hash == b->toks[s->b1].hash &&
           (!same_doc || s->a1 < s->b0)) {
        s->a1++, s->b1++, s->matched++;
    }
}

/* ---------------------------------------------------------------- output */

/* The two documents of a pair and their words. */
typedef struct pair_docs {
    uint32_t da, db;
    nd_token_seq a, b;
} pair_docs;

static int emit(passage_list *out, const pair_docs *pd, const span *s, int min_passage)
{
    const uint32_t wa = s->a1 - s->a0, wb = s->b1 - s->b0;
    if (wa < (uint32_t)min_passage || wb < (uint32_t)min_passage)
        return 0;
    if (ND_GROW(out->items, out->cap, out->n + 1) < 0)
        return ND_ENOMEM;
    const nd_token *ta = pd->a.toks, *tb = pd->b.toks;
    uint32_t matched = s->matched < wa ? s->matched : wa;
    if (matched > wb)
        matched = wb;
    out->items[out->n++] = (nd_passage){
        .doc_a = pd->da,
        .doc_b = pd->db,
        .a_start = ta[s->a0].start,
        .a_end = ta[s->a1 - 1].end,
        .b_start = tb[s->b0].start,
        .b_end = tb[s->b1 - 1].end,
        .words_a = wa,
        .words_b = wb,
        .score = 2.0 * matched / (double)(wa + wb),
    };
    return 0;
}

/* A tandem repeat [a0, b1) of period d = b0 - a0: each later copy against the first. */
static int emit_tandem(passage_list *out, const pair_docs *pd, const span *s, int min_passage)
{
    const uint32_t period = s->b0 - s->a0;
    for (uint32_t copy = s->a0 + period; copy + period <= s->b1; copy += period) {
        const span one = {s->a0, s->a0 + period, copy, copy + period, period};
        const int rc = emit(out, pd, &one, min_passage);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static bool inside_tandem(const tandem *t, size_t n, const span *s)
{
    const uint32_t d = s->b0 - s->a0;
    for (size_t i = 0; i < n; i++)
        if (d % t[i].period == 0 && s->a0 >= t[i].start && s->b1 <= t[i].end)
            return true;
    return false;
}

static bool long_enough(const span *s, int min_passage)
{
    return s->a1 - s->a0 >= (uint32_t)min_passage && s->b1 - s->b0 >= (uint32_t)min_passage;
}

/* Spans of one document, in order of increasing diagonal (the runs were). A short span
 * whose sides do not overlap is passed over first: it is no passage and makes no tandem
 * (a document with thousands of repeats has thousands of such spans). */
static int emit_self(passage_list *out, const pair_docs *pd, span *spans, size_t n, int min_passage)
{
    tandem *tandems = NULL;
    size_t n_tandems = 0, cap = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        span *s = &spans[i];
        if ((s->a1 <= s->b0 && !long_enough(s, min_passage)) ||
            inside_tandem(tandems, n_tandems, s))
            continue;
        if (s->a1 <= s->b0) {
            rc = emit(out, pd, s, min_passage);
            continue;
        }
        if (ND_GROW(tandems, cap, n_tandems + 1) < 0) {
            rc = ND_ENOMEM;
            break;
        }
        tandems[n_tandems++] = (tandem){s->a0, s->b1, s->b0 - s->a0};
        rc = emit_tandem(out, pd, s, min_passage);
    }
    free(tandems);
    return rc;
}

static int compare_spans_by_diagonal(const void *pa, const void *pb)
{
    const span *a = pa, *b = pb;
    const int64_t da = (int64_t)a->b0 - a->a0, db = (int64_t)b->b0 - b->a0;
    if (da != db)
        return da < db ? -1 : 1;
    return (a->a0 > b->a0) - (a->a0 < b->a0);
}

/* Whether the spans of two documents, merged where they touch, hold one of min_passage
 * words. Extension only moves the ends of a passage: past a maximal run, words agree
 * only where shingles were capped as boilerplate. So a pair without such a span has no
 * passage, and its words need not be read: most pairs of documents meet in one chance
 * shingle, and reading their words was most of the stage's time. */
static int may_have_passage(const span *spans, size_t n, const nd_passage_params *p, bool *yes)
{
    *yes = false;
    for (size_t i = 0; i < n && !*yes; i++)
        *yes = long_enough(&spans[i], p->min_passage);
    if (*yes || n < 2)
        return 0;
    span *merged = malloc(n * sizeof(*merged));
    if (!merged)
        return ND_ENOMEM;
    memcpy(merged, spans, n * sizeof(*merged));
    merge_touching(merged, &n, p->max_gap);
    for (size_t i = 0; i < n && !*yes; i++)
        *yes = long_enough(&merged[i], p->min_passage);
    free(merged);
    return 0;
}

/* All passages of one document pair from its seeds s[0..n). */
static int pair_passages(passage_list *out, const nd_token_source *src, const seed *s, size_t n,
                         const nd_passage_params *p, run **runs, size_t *runs_cap, span **spans,
                         size_t *spans_cap)
{
    const uint32_t da = s[0].doc_a, db = s[0].doc_b;
    pair_docs pd = {da, db, {NULL, 0}, {NULL, 0}};
    size_t n_runs = 0, n_spans = 0;
    bool worth_reading = true;
    int rc = seeds_to_runs(s, n, p->k, runs, &n_runs, runs_cap);
    if (rc < 0)
        return rc;
    nd_sort(*runs, n_runs, sizeof(**runs), compare_runs);
    rc = chain_runs(*runs, n_runs, p->max_gap, spans, &n_spans, spans_cap);
    if (rc == 0 && da != db)
        rc = may_have_passage(*spans, n_spans, p, &worth_reading);
    if (rc < 0 || !worth_reading)
        return rc;
    rc = src->load(src->ctx, 0, da, &pd.a);
    if (rc == 0)
        rc = src->load(src->ctx, 1, db, &pd.b);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n_spans; i++)
        extend_span(&(*spans)[i], &pd.a, &pd.b, da == db);
    if (da == db) {
        nd_sort(*spans, n_spans, sizeof(**spans), compare_spans_by_diagonal);
        return emit_self(out, &pd, *spans, n_spans, p->min_passage);
    }
    merge_touching(*spans, &n_spans, p->max_gap);
    for (size_t i = 0; rc == 0 && i < n_spans; i++)
        rc = emit(out, &pd, &(*spans)[i], p->min_passage);
    return rc;
}

int nd_compare_passages(const void *pa, const void *pb)
{
    const nd_passage *a = pa, *b = pb;
    if (a->doc_a != b->doc_a)
        return a->doc_a < b->doc_a ? -1 : 1;
    if (a->doc_b != b->doc_b)
        return a->doc_b < b->doc_b ? -1 : 1;
    if (a->a_start != b->a_start)
        return a->a_start < b->a_start ? -1 : 1;
    return (a->b_start > b->b_start) - (a->b_start < b->b_start);
}

/* Calls each(payload, seeds, n) for the seeds of each document pair, from seeds
 * (finished), in order. */
static int for_each_pair(nd_extsort *seeds, int (*each)(void *payload, const seed *s, size_t n),
                         void *payload)
{
    seed *group = NULL;
    size_t n_group = 0, group_cap = 0;
    const void *next;
    int rc;
    while ((rc = nd_extsort_next(seeds, &next)) >= 0) {
        const seed *sd = rc == 1 ? next : NULL;
        rc = 0;
        if (n_group && (!sd || sd->doc_a != group[0].doc_a || sd->doc_b != group[0].doc_b)) {
            rc = each(payload, group, n_group);
            n_group = 0;
        }
        if (!sd || rc < 0)
            break;
        if (ND_GROW(group, group_cap, n_group + 1) < 0) {
            rc = ND_ENOMEM;
            break;
        }
        group[n_group++] = *sd;
    }
    free(group);
    return rc;
}

/* What the pairs' work keeps between pairs. */
typedef struct pair_work {
    const nd_token_source *src;
    const nd_passage_params *p;
    passage_list list;
    run *runs;
    span *spans;
    size_t runs_cap, spans_cap;
    int (*keep)(void *payload, const seed *s, size_t n); /* worth reading: the pair's seeds */
    void *keep_payload;
} pair_work;

static int passages_of_pair(void *work, const seed *s, size_t n)
{
    pair_work *w = work;
    return pair_passages(&w->list, w->src, s, n, w->p, &w->runs, &w->runs_cap, &w->spans,
                         &w->spans_cap);
}

static int keep_if_worth_reading(void *work, const seed *s, size_t n)
{
    pair_work *w = work;
    size_t n_runs = 0, n_spans = 0;
    bool worth_reading = true;
    int rc = seeds_to_runs(s, n, w->p->k, &w->runs, &n_runs, &w->runs_cap);
    if (rc < 0 || s[0].doc_a == s[0].doc_b)
        return rc < 0 ? rc : w->keep(w->keep_payload, s, n);
    nd_sort(w->runs, n_runs, sizeof(*w->runs), compare_runs);
    rc = chain_runs(w->runs, n_runs, w->p->max_gap, &w->spans, &n_spans, &w->spans_cap);
    if (rc == 0)
        rc = may_have_passage(w->spans, n_spans, w->p, &worth_reading);
    return rc < 0 || !worth_reading ? rc : w->keep(w->keep_payload, s, n);
}

static void pair_work_free(pair_work *w)
{
    free(w->runs);
    free(w->spans);
}

int nd_passage_seeds_worth_reading(const nd_passage_params *p, nd_extsort *seeds,
                                   int (*keep)(void *payload, const nd_seed *s, size_t n),
                                   void *payload)
{
    pair_work w = {.p = p, .keep = keep, .keep_payload = payload};
    const int rc = for_each_pair(seeds, keep_if_worth_reading, &w);
    pair_work_free(&w);
    return rc;
}

int nd_passages_of_seeds(const nd_token_source *src, const nd_passage_params *p, nd_extsort *seeds,
                         nd_passage **out, size_t *n_out)
{
    /* seeds arrive grouped by document pair: each group is one pair's work */
    pair_work w = {.src = src, .p = p};
    const int rc = for_each_pair(seeds, passages_of_pair, &w);
    pair_work_free(&w);
    if (rc < 0) {
        free(w.list.items);
        return rc;
    }
    nd_sort(w.list.items, w.list.n, sizeof(*w.list.items), nd_compare_passages);
    *out = w.list.items;
    *n_out = w.list.n;
    return 0;
}

int nd_find_passages_in(const nd_token_source *src, const nd_passage_params *p, nd_passage **out,
                        size_t *n_out, nd_passage_counts *counts)
{
    nd_extsort *seeds = NULL;
    *counts = (nd_passage_counts){0, 0};
    int rc = nd_passage_seeds_open(p, &src->n_docs, &seeds);
    if (rc == 0)
        rc = find_seeds(src, p, seeds, counts);
    if (rc == 0)
        rc = nd_passages_of_seeds(src, p, seeds, out, n_out);
    if (seeds)
        counts->spilled += nd_extsort_runs(seeds);
    nd_extsort_free(seeds);
    return rc;
}

/* ---------------------------------------------------------------- in memory */

static int load_from_array(void *ctx, int slot, uint32_t doc, nd_token_seq *out)
{
    (void)slot;
    *out = ((const nd_token_seq *)ctx)[doc];
    return 0;
}

int nd_find_passages(const nd_token_seq *docs, size_t n_docs, const nd_passage_params *p,
                     nd_passage **out, size_t *n_out, uint64_t *n_capped)
{
    const nd_token_source src = {n_docs, load_from_array, NULL, (void *)docs};
    nd_passage_counts counts;
    const int rc = nd_find_passages_in(&src, p, out, n_out, &counts);
    *n_capped = counts.capped;
    return rc;
}
