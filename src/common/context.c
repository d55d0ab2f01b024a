/*
 * context.c: a run's context and its memory plan (see context.h).
 */
#include "common/context.h"

#include "common/threads.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The plan. The LSH parts sort at the same time: each holds its share. The feed's two
 * bitmaps take at most a quarter (a smaller map only lets more single shingles
 * through); its rounds read a 256th at a time, small, as their buffers' pages are
 * touched afresh while the maps and the records are held. The passage stage's two
 * sorters are both busy while seeds are made: half each. The texts passages quote, read
 * after the stages, take a quarter: half of it for the texts stage, half for a writer. */
static nd_memory_plan make_plan(uint64_t total, int lsh_parts)
{
    return (nd_memory_plan){
        .total = total,
        .lsh_part_sort = total / (uint64_t)lsh_parts,
        .feed_maps = total / 4,
        .feed_round = total / 256,
        .shingle_sort = total / 2,
        .seed_sort = total / 2,
        .text_cache = total / 4,
    };
}

size_t nd_memory_plan_shares(const nd_memory_plan *p, const char *names[], uint64_t bytes[])
{
    const char *const n[ND_MEMORY_SHARES] = {"lsh_part_sort", "feed_maps", "feed_round",
                                             "shingle_sort",  "seed_sort", "text_cache",
                                             "total"};
    const uint64_t b[ND_MEMORY_SHARES] = {p->lsh_part_sort, p->feed_maps, p->feed_round,
                                          p->shingle_sort,  p->seed_sort, p->text_cache,
                                          p->total};
    for (size_t i = 0; i < ND_MEMORY_SHARES; i++) {
        names[i] = n[i];
        bytes[i] = b[i];
    }
    return ND_MEMORY_SHARES;
}

int nd_run_ctx_open(nd_run_ctx *ctx, const nd_options *opts, int bands, int rows, nd_diag_fn diag,
                    void *payload)
{
    *ctx = (nd_run_ctx){
        .opts = opts, .bands = bands, .rows = rows, .diag = diag, .diag_payload = payload};
    ctx->threads = nd_threads_wanted(opts->threads);
    ctx->lsh_parts = ctx->threads < ctx->bands ? ctx->threads : ctx->bands;
    if (ctx->lsh_parts < 1) /* a run without LSH: the plan still divides by the parts */
        ctx->lsh_parts = 1;
    ctx->memory = make_plan(opts->memory, ctx->lsh_parts);
    int rc = nd_scratch_pool_init(&ctx->scratch);
    if (rc == 0)
        rc = nd_spill_open(&ctx->spill, opts->tmpdir, &ctx->scratch);
    if (rc == ND_EIO)
        nd_run_report(ctx, ND_DIAG_ERROR, ND_EIO, opts->tmpdir ? opts->tmpdir : "$TMPDIR", -1,
                      "cannot create a scratch file: %s", strerror(errno));
    return rc;
}

void nd_run_ctx_close(nd_run_ctx *ctx)
{
    if (ctx->spill && nd_spill_error(ctx->spill))
        nd_run_report(ctx, ND_DIAG_ERROR, ND_EIO, nd_spill_dir(ctx->spill), -1,
                      "cannot write or read the scratch files there: %s",
                      strerror(nd_spill_error(ctx->spill)));
    nd_spill_close(ctx->spill);
    ctx->spill = NULL;
    nd_scratch_pool_dispose(&ctx->scratch);
}

nd_sort_env nd_run_sort_env(nd_run_ctx *ctx, int threads)
{
    return (nd_sort_env){threads, &ctx->scratch};
}

void nd_run_report(const nd_run_ctx *ctx, nd_diag_level level, int code, const char *path,
                   int64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nd_vreport(ctx->diag, ctx->diag_payload, level, code, path, offset, fmt, ap);
    va_end(ap);
}
