/*
 * passage_stage.c: the passage stage over a scanned corpus (see passage_stage.h).
 */
#include "passages/passage_stage.h"

#include "passages/feed.h"

#include <stdlib.h>
#include <string.h>

/* Tokens come back from the scratch file, for one of two slots (the two documents of a
 * pair); a slot that already holds the document does not read it again. A slot reading
 * at or just after the end of its window takes the scratch bytes that follow too, into
 * a new window: documents a slot takes in order (copies, places, the first documents of
 * pairs, the second documents of pairs within a cluster) then cost a system call per
 * window, not one each, and no copy. A read elsewhere (the second documents of pairs
 * across the corpus) takes the document's own bytes alone. Shingle records come back
 * from the scan's blobs. */
#define TOKEN_WINDOW (32u << 10)

typedef struct token_slot {
    int64_t doc;          /* the document whose tokens toks holds, or -1 */
    const nd_token *toks; /* in buf or in window */
    nd_token *buf;        /* a document read alone */
    size_t cap;
    unsigned char *window; /* scratch bytes [window_off, window_off + window_len) */
    uint64_t window_off;
    size_t window_len;
} token_slot;

typedef struct token_loader {
    nd_run_ctx *ctx;
    const nd_corpus *corpus;
    const nd_scan_out *scan;
    token_slot slot[2];
    bool common_expected;          /* look for the shingles --max-df ignores before sorting */
    const nd_passage_ranks *ranks; /* NULL: this process scanned every document */
    nd_token_table remote;         /* with ranks: the words of others' documents read here */
} token_loader;

static int read_tokens(nd_spill *spill, const nd_doc *d, token_slot *t)
{
    const size_t len = (size_t)d->n_tokens * sizeof(*t->toks);
    const uint64_t off = d->tokens_off, window_end = t->window_off + t->window_len;
    /* offsets name a file in their high bits: a window never spans two */
    const bool in_window = t->window_len && off >= t->window_off && off + len <= window_end;
    const bool follows = !t->window_len || (off >= window_end && off - window_end < TOKEN_WINDOW);
    if (!in_window && (len > TOKEN_WINDOW || !follows)) {
        if (ND_GROW(t->buf, t->cap, (size_t)d->n_tokens + 1) < 0)
            return ND_ENOMEM;
        t->toks = t->buf;
        return nd_spill_read(spill, off, t->buf, len);
    }
    if (!in_window) {
        if (!t->window && !(t->window = malloc(TOKEN_WINDOW)))
            return ND_ENOMEM;
        t->window_len = 0;
        const int rc = nd_spill_read_upto(spill, off, t->window, len, TOKEN_WINDOW, &t->window_len);
        if (rc < 0)
            return rc;
        t->window_off = off;
    }
    /* (scratch records are 8-byte aligned, and so is the window) */
    t->toks = (const nd_token *)(t->window + (off - t->window_off));
    return 0;
}

/* The words of another rank's document, fetched (none when they were not). */
static void load_remote(const nd_token_table *t, uint32_t doc, nd_token_seq *out)
{
    size_t lo = 0, hi = t->n_docs;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (t->docs[mid] < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->n_docs && t->docs[lo] == doc)
        *out = (nd_token_seq){t->toks + t->at[lo], t->words[lo]};
}

static bool is_remote(const token_loader *l, uint32_t doc)
{
    return l->ranks && l->ranks->owner(l->ranks->payload, doc) != l->ranks->rank;
}

static int load_tokens(void *loader, int slot, uint32_t doc, nd_token_seq *out)
{
    token_loader *l = loader;
    token_slot *t = &l->slot[slot];
    const nd_doc *d = &l->corpus->docs[doc];
    *out = (nd_token_seq){NULL, 0};
    if (is_remote(l, doc)) {
        load_remote(&l->remote, doc, out);
        return 0;
    }
    if (!d->has_tokens)
        return 0;
    if (t->doc != (int64_t)doc) {
        t->doc = -1;
        const int rc = read_tokens(l->ctx->spill, d, t);
        if (rc < 0)
            return rc;
        t->doc = doc;
    }
    *out = (nd_token_seq){t->toks, d->n_tokens};
    return 0;
}

static int add_to_sorter(void *sorter, const nd_shingle_record *records, size_t n)
{
    return nd_extsort_add_many(sorter, records, n);
}

static int feed_shingles(void *loader, struct nd_extsort *out, int max_df, uint64_t *capped)
{
    const token_loader *l = loader;
    return nd_feed_repeated_shingles(l->ctx, l->corpus, l->scan, l->common_expected ? max_df : 0,
                                     NULL, &(nd_feed_sink){add_to_sorter, out}, capped);
}

static token_loader loader_of(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan)
{
    return (token_loader){
        .ctx = ctx, .corpus = c, .scan = scan, .slot = {{.doc = -1}, {.doc = -1}}};
}

static void loader_free(token_loader *l)
{
    for (int i = 0; i < 2; i++) {
        free(l->slot[i].buf);
        free(l->slot[i].window);
    }
    nd_token_table_free(&l->remote);
}

static nd_passage_params params_of(nd_run_ctx *ctx, const nd_corpus *c)
{
    const nd_options *o = &c->opts;
    return (nd_passage_params){o->shingle_k,
                               o->max_gap,
                               o->min_passage,
                               o->max_df,
                               o->all_pairs,
                               ctx->memory.shingle_sort,
                               ctx->memory.seed_sort,
                               ctx->spill,
                               nd_run_sort_env(ctx, ctx->threads)};
}

int nd_compare_doc_extents(const void *a, const void *b)
{
    const uint32_t x = ((const nd_doc_extent *)a)->doc, y = ((const nd_doc_extent *)b)->doc;
    return (x > y) - (x < y);
}

/* The extent of a document: from extents when it is there (another process's), else
 * from its words. */
static int extent_of(token_loader *l, int slot, uint32_t doc, const nd_doc_extent *extents,
                     size_t n_extents, nd_doc_extent *e)
{
    const nd_doc_extent key = {.doc = doc};
    const nd_doc_extent *found =
        n_extents ? bsearch(&key, extents, n_extents, sizeof(key), nd_compare_doc_extents) : NULL;
    nd_token_seq seq = {NULL, 0};
    *e = found ? *found : (nd_doc_extent){doc, 0, 0, 0};
    const int rc = found ? 0 : load_tokens(l, slot, doc, &seq);
    if (seq.n)
        *e = (nd_doc_extent){doc, seq.n, seq.toks[0].start, seq.toks[seq.n - 1].end};
    return rc;
}

/* The passage of a copy with the first document of its text: all of their words. 1 when
 * there is one, 0 when a side has no word. */
static int copy_passage(token_loader *l, uint32_t copy, const nd_doc_extent *extents,
                        size_t n_extents, nd_passage *p)
{
    const uint32_t first = l->corpus->docs[copy].text_first;
    nd_doc_extent a, b;
    int rc = extent_of(l, 0, first, extents, n_extents, &a);
    if (rc == 0)
        rc = extent_of(l, 1, copy, extents, n_extents, &b);
    if (rc < 0 || a.words == 0 || b.words == 0)
        return rc;
    *p = (nd_passage){.doc_a = first,
                      .doc_b = copy,
                      .a_start = a.start,
                      .a_end = a.end,
                      .b_start = b.start,
                      .b_end = b.end,
                      .words_a = a.words,
                      .words_b = b.words,
                      .score = 1.0};
    return 1;
}

/* Adds each copy's passage with its text's first document, the passages kept sorted. */
static int add_copy_passages(token_loader *l, const nd_doc_extent *extents, size_t n_extents,
                             nd_passage **out, size_t *n_out)
{
    const nd_corpus *c = l->corpus;
    size_t cap = *n_out, n = *n_out;
    int rc = 0;
    for (size_t d = 0; d < c->n_docs && rc >= 0; d++) {
        nd_passage p;
        if (!nd_doc_is_copy(c, d) || c->docs[d].n_tokens < (uint32_t)c->opts.min_passage)
            continue;
        rc = copy_passage(l, (uint32_t)d, extents, n_extents, &p);
        if (rc == 1 && ND_GROW(*out, cap, n + 1) < 0)
            rc = ND_ENOMEM;
        if (rc == 1)
            (*out)[n++] = p;
    }
    if (n > *n_out)
        nd_sort(*out, n, sizeof(**out), nd_compare_passages);
    *n_out = n;
    return rc < 0 ? rc : 0;
}

/* The first of toks[0..n) (sorted) that ends after `at`, or n; with starts, the first
 * that starts at or after it. */
static uint32_t first_token_past(const nd_token *toks, uint32_t n, uint64_t at, bool starts)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if ((starts ? toks[mid].start < at : toks[mid].end <= at))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int compare_places_by_doc(const void *pa, const void *pb)
{
    const nd_passage_place *a = *(nd_passage_place *const *)pa, *b = *(nd_passage_place *const *)pb;
    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    return (a->start > b->start) - (a->start < b->start);
}

/* The words of each place, the places taken in document order: each document's words
 * are read once. */
static int count_place_words(token_loader *l, nd_passage_place *places, size_t n)
{
    nd_passage_place **order = malloc((n ? n : 1) * sizeof(*order));
    if (!order)
        return ND_ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = &places[i];
    nd_sort(order, n, sizeof(*order), compare_places_by_doc);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        nd_passage_place *place = order[i];
        nd_token_seq seq;
        if ((rc = load_tokens(l, 0, place->doc, &seq)) == 0)
            place->words = first_token_past(seq.toks, seq.n, place->end, false) -
                           first_token_past(seq.toks, seq.n, place->start, true);
    }
    free(order);
    return rc;
}

int nd_passage_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                     size_t largest_cluster, nd_passage **out, size_t *n_out,
                     nd_passage_counts *counts, nd_passage_clustering *clusters)
{
    const nd_options *o = &c->opts;
    token_loader loader = loader_of(ctx, c, scan);
    loader.common_expected = largest_cluster > (size_t)o->max_df;
    const nd_token_source src = {c->n_docs, load_tokens, scan->blobs ? feed_shingles : NULL,
                                 &loader};
    const nd_passage_params p = params_of(ctx, c);
    int rc = nd_find_passages_in(&src, &p, out, n_out, counts);
    if (rc == 0)
        rc = add_copy_passages(&loader, NULL, 0, out, n_out);
    if (rc == 0)
        rc = nd_passage_clusters(*out, *n_out, o->all_pairs, clusters);
    if (rc == 0)
        rc = count_place_words(&loader, clusters->places, clusters->n_places);
    nd_scratch_release(&ctx->scratch);
    loader_free(&loader);
    return rc;
}

/* ---------------------------------------------------------------- shared by ranks */

void nd_token_table_free(nd_token_table *t)
{
    free(t->docs);
    free(t->words);
    free(t->at);
    free(t->toks);
    *t = (nd_token_table){0};
}

/* A rank's share while it runs: where records and seeds go, and what it reads. */
typedef struct share_run {
    const nd_passage_ranks *ranks;
    void *exchange;
    nd_extsort *sorter;  /* the records or seeds this rank owns */
    uint8_t *read_there; /* the others' documents whose words are read here */
} share_run;

static int keep_owned(void *run, const void *records, size_t n)
{
    return nd_extsort_add_many(((share_run *)run)->sorter, records, n);
}

static int put_records(void *run, const nd_shingle_record *r, size_t n)
{
    const share_run *s = run;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s->ranks->put(s->exchange, (int)(r[i].hash % (uint64_t)s->ranks->ranks), &r[i]);
    return rc;
}

static int put_seed(void *run, const nd_seed *sd)
{
    const share_run *s = run;
    return s->ranks->put(s->exchange, s->ranks->owner(s->ranks->payload, sd->doc_a), sd);
}

static int keep_worth_reading(void *run, const nd_seed *sd, size_t n)
{
    share_run *s = run;
    const uint32_t b = sd[0].doc_b;
    if (s->ranks->owner(s->ranks->payload, b) != s->ranks->rank)
        s->read_there[b / 8] |= (uint8_t)(1u << (b % 8));
    return nd_extsort_add_many(s->sorter, sd, n);
}

/* The shingle records this rank owns, sorted: its own and the others', by hash. */
static int share_records(token_loader *l, const nd_passage_params *p, share_run *s,
                         nd_passage_counts *counts)
{
    const nd_passage_ranks *r = l->ranks;
    const nd_corpus *c = l->corpus;
    int rc = nd_passage_records_open(p, &s->sorter);
    if (rc == 0)
        rc = r->open(r->payload, ND_PASSAGE_FLOW_RECORDS, keep_owned, s, &s->exchange);
    if (rc == 0 && l->scan->blobs)
        rc = nd_feed_repeated_shingles(l->ctx, c, l->scan, l->common_expected ? p->max_df : 0,
                                       &r->feed, &(nd_feed_sink){put_records, s}, &counts->capped);
    rc = s->exchange ? r->close(r->payload, s->exchange, rc) : rc;
    s->exchange = NULL;
    return rc == 0 ? nd_extsort_finish(s->sorter) : rc;
}

/* The seeds of the pairs whose first document this rank scanned, sorted: from every
 * rank's records. */
static int share_seeds(token_loader *l, const nd_passage_params *p, nd_extsort *records,
                       share_run *s, nd_passage_counts *counts)
{
    const nd_passage_ranks *r = l->ranks;
    int rc = nd_passage_seeds_open(p, &l->corpus->n_docs, &s->sorter);
    if (rc == 0)
        rc = r->open(r->payload, ND_PASSAGE_FLOW_SEEDS, keep_owned, s, &s->exchange);
    if (rc == 0)
        rc = nd_passage_seeds(p, records, put_seed, s, &counts->capped);
    rc = s->exchange ? r->close(r->payload, s->exchange, rc) : rc;
    s->exchange = NULL;
    return rc == 0 ? nd_extsort_finish(s->sorter) : rc;
}

/* The seeds of the pairs worth reading, sorted; s->read_there marks the others'
 * documents among them. */
static int worth_reading(const nd_corpus *c, const nd_passage_params *p, nd_extsort *seeds,
                         share_run *s)
{
    int rc = nd_passage_seeds_open(p, &c->n_docs, &s->sorter);
    if (rc == 0)
        rc = nd_passage_seeds_worth_reading(p, seeds, keep_worth_reading, s);
    return rc == 0 ? nd_extsort_finish(s->sorter) : rc;
}

/* Fetches the words of the others' documents that read_there marks. */
static int fetch_words(token_loader *l, const uint8_t *read_there)
{
    const size_t n_docs = l->corpus->n_docs;
    size_t n = 0;
    for (size_t d = 0; d < n_docs; d++)
        n += read_there[d / 8] >> (d % 8) & 1;
    uint32_t *docs = malloc((n ? n : 1) * sizeof(*docs));
    if (!docs)
        return ND_ENOMEM;
    n = 0;
    for (size_t d = 0; d < n_docs; d++)
        if (read_there[d / 8] >> (d % 8) & 1)
            docs[n++] = (uint32_t)d;
    const int rc = l->ranks->fetch_words(l->ranks->payload, docs, n, &l->remote);
    free(docs);
    return rc;
}

int nd_passage_share(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                     bool common_expected, const nd_passage_ranks *ranks, nd_passage **out,
                     size_t *n_out, nd_passage_counts *counts)
{
    token_loader loader = loader_of(ctx, c, scan);
    loader.common_expected = common_expected;
    loader.ranks = ranks;
    const nd_passage_params p = params_of(ctx, c);
    const nd_token_source src = {c->n_docs, load_tokens, NULL, &loader};
    share_run s = {.ranks = ranks, .read_there = calloc(c->n_docs / 8 + 1, 1)};
    nd_extsort *records = NULL, *seeds = NULL, *worth = NULL;
    *counts = (nd_passage_counts){0, 0};
    *out = NULL;
    *n_out = 0;
    int rc = s.read_there ? share_records(&loader, &p, &s, counts) : ND_ENOMEM;
    records = s.sorter;
    s.sorter = NULL;
    if (rc == 0)
        rc = share_seeds(&loader, &p, records, &s, counts);
    seeds = s.sorter;
    s.sorter = NULL;
    if (rc == 0)
        rc = worth_reading(c, &p, seeds, &s);
    worth = s.sorter;
    if (rc == 0)
        rc = fetch_words(&loader, s.read_there);
    if (rc == 0)
        rc = nd_passages_of_seeds(&src, &p, worth, out, n_out);
    nd_extsort *sorters[] = {records, seeds, worth};
    for (int i = 0; i < 3; i++) {
        counts->spilled += sorters[i] ? nd_extsort_runs(sorters[i]) : 0;
        nd_extsort_free(sorters[i]);
    }
    free(s.read_there);
    nd_scratch_release(&ctx->scratch);
    loader_free(&loader);
    return rc;
}

int nd_passage_extents(nd_run_ctx *ctx, const nd_corpus *c, const uint32_t *docs, size_t n,
                       nd_doc_extent *out)
{
    token_loader loader = loader_of(ctx, c, NULL);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = extent_of(&loader, 0, docs[i], NULL, 0, &out[i]);
    loader_free(&loader);
    return rc;
}

int nd_passage_add_copies(nd_run_ctx *ctx, const nd_corpus *c, const nd_doc_extent *extents,
                          size_t n_extents, nd_passage **out, size_t *n_out)
{
    token_loader loader = loader_of(ctx, c, NULL);
    const int rc = add_copy_passages(&loader, extents, n_extents, out, n_out);
    loader_free(&loader);
    return rc;
}

int nd_passage_count_words(nd_run_ctx *ctx, const nd_corpus *c, nd_passage_place *places, size_t n)
{
    token_loader loader = loader_of(ctx, c, NULL);
    const int rc = count_place_words(&loader, places, n);
    loader_free(&loader);
    return rc;
}
