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
    bool common_expected; /* look for the shingles --max-df ignores before sorting */
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

static int load_tokens(void *loader, int slot, uint32_t doc, nd_token_seq *out)
{
    token_loader *l = loader;
    token_slot *t = &l->slot[slot];
    const nd_doc *d = &l->corpus->docs[doc];
    *out = (nd_token_seq){NULL, 0};
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

/* The passage of a copy with the first document of its text: all of their words. 1 when
 * there is one, 0 when a side has no word. */
static int copy_passage(token_loader *l, uint32_t copy, nd_passage *p)
{
    const uint32_t first = l->corpus->docs[copy].text_first;
    nd_token_seq a, b;
    int rc = load_tokens(l, 0, first, &a);
    if (rc == 0)
        rc = load_tokens(l, 1, copy, &b);
    if (rc < 0 || a.n == 0 || b.n == 0)
        return rc;
    *p = (nd_passage){.doc_a = first,
                      .doc_b = copy,
                      .a_start = a.toks[0].start,
                      .a_end = a.toks[a.n - 1].end,
                      .b_start = b.toks[0].start,
                      .b_end = b.toks[b.n - 1].end,
                      .words_a = a.n,
                      .words_b = b.n,
                      .score = 1.0};
    return 1;
}

/* Adds each copy's passage with its text's first document, the passages kept sorted. */
static int add_copy_passages(token_loader *l, nd_passage **out, size_t *n_out)
{
    const nd_corpus *c = l->corpus;
    size_t cap = *n_out, n = *n_out;
    int rc = 0;
    for (size_t d = 0; d < c->n_docs && rc >= 0; d++) {
        nd_passage p;
        if (!nd_doc_is_copy(c, d) || c->docs[d].n_tokens < (uint32_t)c->opts.min_passage)
            continue;
        if ((rc = copy_passage(l, (uint32_t)d, &p)) == 1 && ND_GROW(*out, cap, n + 1) < 0)
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
static int count_place_words(token_loader *l, nd_passage_clustering *pc)
{
    nd_passage_place **order = malloc((pc->n_places ? pc->n_places : 1) * sizeof(*order));
    if (!order)
        return ND_ENOMEM;
    for (size_t i = 0; i < pc->n_places; i++)
        order[i] = &pc->places[i];
    nd_sort(order, pc->n_places, sizeof(*order), compare_places_by_doc);
    int rc = 0;
    for (size_t i = 0; i < pc->n_places && rc == 0; i++) {
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
    token_loader loader = {.ctx = ctx,
                           .corpus = c,
                           .scan = scan,
                           .slot = {{.doc = -1}, {.doc = -1}},
                           .common_expected = largest_cluster > (size_t)o->max_df};
    const nd_token_source src = {c->n_docs, load_tokens, scan->blobs ? feed_shingles : NULL,
                                 &loader};
    const nd_passage_params p = {o->shingle_k,
                                 o->max_gap,
                                 o->min_passage,
                                 o->max_df,
                                 o->all_pairs,
                                 ctx->memory.shingle_sort,
                                 ctx->memory.seed_sort,
                                 ctx->spill,
                                 nd_run_sort_env(ctx, ctx->threads)};
    int rc = nd_find_passages_in(&src, &p, out, n_out, counts);
    if (rc == 0)
        rc = add_copy_passages(&loader, out, n_out);
    if (rc == 0)
        rc = nd_passage_clusters(*out, *n_out, o->all_pairs, clusters);
    if (rc == 0)
        rc = count_place_words(&loader, clusters);
    nd_scratch_release(&ctx->scratch);
    for (int i = 0; i < 2; i++) {
        free(loader.slot[i].buf);
        free(loader.slot[i].window);
    }
    return rc;
}
