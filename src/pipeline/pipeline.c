/*
 * pipeline.c: nd_corpus_run, the stages over a corpus one after the other.
 *
 *   list (nd_corpus_add_*) -> scan -> LSH -> verify -> cluster -> passages -> texts -> output
 *
 * Each stage reads the records of the one before and writes its own; what they share
 * (threads, the scratch file and pool, the memory plan) is the run's context, closed
 * when the run ends: the result holds all the writers need, with the texts that
 * passages quote (as many as half the plan's text_cache share holds; the writers read
 * the others from the inputs). The seconds of each stage go to the stats.
 */
#include "output/result.h"
#include "pairs/cluster.h"
#include "pairs/identical.h"
#include "pairs/listing.h"
#include "pairs/lsh.h"
#include "pairs/verify.h"
#include "passages/passage_stage.h"
#include "pipeline/pipeline.h"
#include "scan/bands.h"

#include <stdlib.h>

/* The seconds since *t0 to stage s; *t0 becomes now. */
static void end_stage(nd_result *r, nd_stage s, double *t0)
{
    const double now = nd_seconds_now();
    r->stats.seconds[s] = now - *t0;
    *t0 = now;
}

/* The result, and the run's context: banding and the memory plan from the options, and
 * the scratch file. */
static int start_run(nd_corpus *c, nd_run_ctx *ctx, nd_result **out)
{
    const nd_options *o = &c->opts;
    nd_result *r = calloc(1, sizeof(*r));
    if (!r)
        return ND_ENOMEM;
    *out = r;
    r->corpus = c;
    r->stats.struct_size = sizeof(r->stats); /* what this library fills (ND_STATS_HAS) */
    r->stats.n_docs = c->n_docs;
    for (size_t i = 0; i < c->n_docs; i++)
        r->stats.n_jsonl_lines += c->docs[i].kind == ND_DOC_JSONL_LINE;
    r->stats.seconds[ND_STAGE_LIST] = c->list_seconds;
    r->stats.bands = o->bands;
    r->stats.rows = o->rows;
    if (!o->bands)
        nd_lsh_params(o->threshold, o->num_perm, &r->stats.bands, &r->stats.rows);
    const int rc = nd_run_ctx_open(ctx, o, r->stats.bands, r->stats.rows, c->diag, c->diag_payload);
    r->memory = ctx->memory;
    return rc;
}

/* The verified pairs: each copy with the first document of its text, and LSH's
 * candidates among texts, all verified with --all-pairs, else only those that join two
 * clusters, the others left in *skipped for the listing. */
static int find_pairs(nd_run_ctx *ctx, nd_corpus *c, const nd_scan_out *scan,
                      const nd_run_hooks *hooks, nd_result *r, nd_candidates *skipped, double *t0)
{
    nd_candidates star = {NULL, 0, 0}, cand = {NULL, 0, 0};
    nd_report_progress(c, ND_STAGE_LSH, 0, 0, NULL, 0);
    int rc = hooks->need_sets ? hooks->need_sets(ctx, c, hooks->payload) : 0;
    if (rc == 0)
        rc = nd_identical_stage(ctx, c, &star);
    if (rc == 0)
        rc = hooks->lsh ? hooks->lsh(ctx, c, scan, &cand, hooks->payload)
                        : nd_lsh_stage(ctx, c, scan, &cand);
    r->stats.n_copies = star.n;
    r->stats.n_candidates = cand.n + star.n;
    r->stats.n_spilled_runs += cand.spilled_runs;
    end_stage(r, ND_STAGE_LSH, t0);
    nd_report_progress(c, ND_STAGE_VERIFY, 0, cand.n, "candidate pairs", 0);
    if (rc == 0 && c->opts.all_pairs)
        rc = nd_verify_stage(ctx, c, &cand, false, &r->pairs, &r->n_pairs,
                             r->stats.compared_similarity);
    else if (rc == 0)
        rc = nd_verify_connecting(ctx, c, &cand, &r->pairs, &r->n_pairs, skipped,
                                  r->stats.compared_similarity);
    if (rc == 0) /* copies need no verification: their sequences were compared */
        rc = nd_identical_add_pairs(c, &star, &r->pairs, &r->n_pairs);
    free(star.keys);
    free(cand.keys);
    end_stage(r, ND_STAGE_VERIFY, t0);
    return rc;
}

/* Clusters from the verified pairs, the pairs to list (all of them with --all-pairs), and
 * each member's similarity to its kept document (most of which the listed pairs hold:
 * each member of a large cluster is listed with its kept document). */
static int find_clusters(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *skipped,
                         nd_result *r, double *t0)
{
    size_t n_clusters = 0;
    nd_report_progress(c, ND_STAGE_CLUSTER, 0, 0, NULL, 0);
    int rc = nd_cluster_stage(c, r->pairs, r->n_pairs, &r->members, &r->n_members, &n_clusters);
    if (rc == 0 && !c->opts.all_pairs)
        rc = nd_listing_stage(ctx, c, skipped, r->members, r->n_members, &r->pairs, &r->n_pairs,
                              &r->stats.n_pairs_unlisted);
    if (rc == 0)
        rc = nd_kept_jaccards(ctx, c, r->members, r->n_members, r->pairs, r->n_pairs,
                              &r->kept_jaccard);
    r->stats.n_pairs = r->n_pairs;
    r->stats.n_clusters = n_clusters;
    r->stats.n_duplicates = r->n_members - n_clusters;
    end_stage(r, ND_STAGE_CLUSTER, t0);
    return rc;
}

/* The most documents of a cluster. */
static size_t largest_cluster(const nd_result *r)
{
    size_t most = 0;
    for (size_t i = 0; i < r->n_members; i++)
        most = r->members[i].size > most ? r->members[i].size : most;
    return most;
}

static int scan_here(nd_run_ctx *ctx, nd_corpus *c, nd_scan_out *out, void *payload)
{
    (void)payload;
    return nd_scan_stage(ctx, c, out);
}

/* The stages after the context is open. */
static int run_stages(nd_run_ctx *ctx, nd_corpus *c, const nd_run_hooks *hooks, nd_result *r)
{
    nd_scan_out scan = {0};
    nd_candidates skipped = {NULL, 0, 0};
    double t0 = nd_seconds_now();
    nd_report_progress(c, ND_STAGE_SCAN, 0, c->n_docs, "documents", 0);
    int rc = hooks->scan(ctx, c, &scan, hooks->payload);
    end_stage(r, ND_STAGE_SCAN, &t0);
    if (rc == 0)
        rc = nd_scan_report(ctx, c, &r->stats);
    t0 = nd_seconds_now();
    if (rc == 0)
        rc = find_pairs(ctx, c, &scan, hooks, r, &skipped, &t0);
    if (rc == 0)
        rc = find_clusters(ctx, c, &skipped, r, &t0);
    free(skipped.keys);
    nd_passage_counts counts = {0, 0};
    nd_passage_clustering clusters = {0};
    if (rc == 0 && c->opts.passages) {
        nd_report_progress(c, ND_STAGE_PASSAGES, 0, 0, NULL, 0);
        rc = hooks->passages ? hooks->passages(ctx, c, &scan, largest_cluster(r), &r->passages,
                                               &r->n_passages, &counts, &clusters, hooks->payload)
                             : nd_passage_stage(ctx, c, &scan, largest_cluster(r), &r->passages,
                                                &r->n_passages, &counts, &clusters);
    }
    r->places = clusters.places;
    r->n_places = clusters.n_places;
    if (rc == 0) /* the writers quote them: read them once, on every thread */
        rc = nd_text_store_stage(ctx, c, r->passages, r->n_passages, r->places, r->n_places,
                                 r->memory.text_cache / 2, &r->texts);
    r->stats.n_passage_clusters = clusters.n_clusters;
    r->stats.n_passage_pairs_unlisted = clusters.n_pairs_unlisted;
    r->stats.n_passages = r->n_passages;
    r->stats.n_capped_shingles = counts.capped;
    r->stats.n_spilled_runs += counts.spilled;
    end_stage(r, ND_STAGE_PASSAGES, &t0);
    nd_report_progress(c, ND_STAGE_COUNT, 0, 0, NULL, 0);
    nd_scan_out_free(&scan);
    return rc;
}

int nd_corpus_run(nd_corpus *c, nd_result **out)
{
    const nd_run_hooks here = {.scan = scan_here};
    return nd_corpus_run_with(c, &here, out);
}

int nd_corpus_run_with(nd_corpus *c, const nd_run_hooks *hooks, nd_result **out)
{
    nd_run_ctx ctx = {0};
    nd_result *r = NULL;
    int rc = start_run(c, &ctx, &r);
    ctx.pair_source = hooks->pair_source;
    if (rc == 0)
        rc = run_stages(&ctx, c, hooks, r);
    if (r)
        nd_run_ctx_close(&ctx);
    if (rc < 0) {
        nd_result_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}
