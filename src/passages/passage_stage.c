/*
 * passage_stage.c: the passage stage over a scanned corpus (see passage_stage.h).
 */
#include "passages/passage_stage.h"

#include "passages/feed.h"

#include <stdlib.h>

/* Tokens come back from the scratch file, into one of two buffers (the two documents of
 * a pair); a buffer that already holds the document is not read again. Shingle records
 * come back from the scan's blobs. */
typedef struct token_loader {
    nd_run_ctx *ctx;
    const nd_corpus *corpus;
    const nd_scan_out *scan;
    nd_token *buf[2];
    size_t cap[2];
    int64_t doc[2];
} token_loader;

static int read_tokens(nd_spill *spill, const nd_doc *d, nd_token **buf, size_t *cap)
{
    if (ND_GROW(*buf, *cap, (size_t)d->n_tokens + 1) < 0)
        return ND_ENOMEM;
    return nd_spill_read(spill, d->tokens_off, *buf, (size_t)d->n_tokens * sizeof(**buf));
}

static int load_tokens(void *loader, int slot, uint32_t doc, nd_token_seq *out)
{
    token_loader *l = loader;
    const nd_doc *d = &l->corpus->docs[doc];
    *out = (nd_token_seq){NULL, 0};
    if (!d->has_tokens)
        return 0;
    if (l->doc[slot] != (int64_t)doc) {
        l->doc[slot] = -1;
        const int rc = read_tokens(l->ctx->spill, d, &l->buf[slot], &l->cap[slot]);
        if (rc < 0)
            return rc;
        l->doc[slot] = doc;
    }
    *out = (nd_token_seq){l->buf[slot], d->n_tokens};
    return 0;
}

static int feed_shingles(void *loader, struct nd_extsort *out)
{
    const token_loader *l = loader;
    return nd_feed_repeated_shingles(l->ctx, l->corpus, l->scan, out);
}

int nd_passage_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan, nd_passage **out,
                     size_t *n_out, nd_passage_counts *counts)
{
    const nd_options *o = &c->opts;
    token_loader loader = {ctx, c, scan, {NULL, NULL}, {0, 0}, {-1, -1}};
    const nd_token_source src = {c->n_docs, load_tokens, scan->blobs ? feed_shingles : NULL,
                                 &loader};
    const nd_passage_params p = {o->shingle_k,
                                 o->max_gap,
                                 o->min_passage,
                                 o->max_df,
                                 ctx->memory.shingle_sort,
                                 ctx->memory.seed_sort,
                                 ctx->spill,
                                 nd_run_sort_env(ctx, ctx->threads)};
    const int rc = nd_find_passages_in(&src, &p, out, n_out, counts);
    nd_scratch_release(&ctx->scratch);
    free(loader.buf[0]);
    free(loader.buf[1]);
    return rc;
}
