/*
 * context.h: what one run of the pipeline shares between its stages.
 *
 * nd_corpus_run makes one context and hands it to every stage: the options, the
 * threads of every parallel stage, the scratch file (shingle sets, tokens, band
 * records and sorted runs), the pool of scratch mappings, and the memory plan,
 * which divides --memory among the consumers once, by name. Nothing here is shared
 * with another run: two runs in one process do not meet.
 */
#ifndef ND_CONTEXT_H
#define ND_CONTEXT_H

#include "common/base.h"
#include "common/radix.h"
#include "common/scratch.h"
#include "common/spill.h"

/* Each consumer's share of --memory, in bytes: what it holds before it spills to the
 * scratch file, or (the feed) what bounds its buffers. */
typedef struct nd_memory_plan {
    uint64_t total;         /* --memory */
    uint64_t lsh_part_sort; /* band records of one LSH part (the parts sort side by side) */
    uint64_t feed_maps;     /* the passage feed's two bitmaps, shingles seen once and twice */
    uint64_t feed_round;    /* hashes read in one round of the passage feed */
    uint64_t shingle_sort;  /* passage shingle records (hash, document, position) */
    uint64_t seed_sort;     /* passage seeds (pairs of positions), sorted beside the above */
    uint64_t text_cache;    /* the texts the passage writer holds, each read once */
} nd_memory_plan;

/* The plan's shares by name, in a fixed order, for -v and --run-info. */
#define ND_MEMORY_SHARES 7
size_t nd_memory_plan_shares(const nd_memory_plan *plan, const char *names[], uint64_t bytes[]);

typedef struct nd_run_ctx {
    const nd_options *opts;
    int threads;   /* of every parallel stage: --threads, or every core */
    int lsh_parts; /* the LSH stage's parts: one per thread, at most one per band */
    int bands, rows;
    nd_memory_plan memory;
    nd_scratch_pool scratch;
    nd_spill *spill;
    nd_diag_fn diag;
    void *diag_payload;
    struct nd_word_classes *classes; /* the tokenizers' classes kept from run to run, or NULL
                                        (borrowed: set after nd_run_ctx_open) */
    const struct nd_pair_source *pair_source; /* where verification finds the pairs whose
                                                 sets other processes hold (pairs/verify.h),
                                                 or NULL (borrowed, like classes) */
} nd_run_ctx;

/* Opens a run's context for LSH bands x rows: threads and the memory plan from opts, the
 * scratch file in opts->tmpdir. ND_EIO, told through diag, when the scratch file cannot
 * be made. */
int nd_run_ctx_open(nd_run_ctx *ctx, const nd_options *opts, int bands, int rows, nd_diag_fn diag,
                    void *payload);
/* Closes the context; tells first, through the diagnostics, why the scratch file failed
 * if it did. */
void nd_run_ctx_close(nd_run_ctx *ctx);

/* What a sort may use on threads threads. */
nd_sort_env nd_run_sort_env(nd_run_ctx *ctx, int threads);

/* Reports a diagnostic through the run's callback. */
void nd_run_report(const nd_run_ctx *ctx, nd_diag_level level, int code, const char *path,
                   int64_t offset, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
