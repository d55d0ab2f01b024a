/*
 * pipeline.c: nd_corpus_run, the stages over a corpus one after the other.
 *
 *   list (nd_corpus_add_*) -> scan -> LSH -> verify -> cluster -> passages -> output
 *
 * Each stage reads the records of the one before and writes its own; what they share
 * (threads, the scratch file and pool, the memory plan) is the run's context, which
 * the result keeps until it is freed (the writers read shingle sets back from the
 * scratch file). The seconds of each stage go to the stats.
 */
#include "output/result.h"
#include "pairs/cluster.h"
#include "pairs/identical.h"
#include "pairs/listing.h"
#include "pairs/lsh.h"
#include "pairs/verify.h"
#include "passages/passage_stage.h"
#include "scan/bands.h"
#include "scan/scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The seconds since *t0 to stage s; *t0 becomes now. */
static void end_stage(nd_result *r, nd_stage s, double *t0)
{
    const double now = nd_seconds_now();
    r->stats.seconds[s] = now - *t0;
    *t0 = now;
}

/* The result, with the run's context open: banding and the memory plan from the
 * options, and the scratch file. */
static int start_run(nd_corpus *c, nd_result **out)
{
    const nd_options *o = &c->opts;
    nd_result *r = calloc(1, sizeof(*r));
    if (!r)
        return ND_ENOMEM;
    *out = r;
    r->corpus = c;
    r->stats.struct_size = sizeof(r->stats); /* what this library fills (ND_STATS_HAS) */
    r->stats.n_docs = c->n_docs;
    r->stats.seconds[ND_STAGE_LIST] = c->list_seconds;
    r->stats.bands = o->bands;
    r->stats.rows = o->rows;
    if (!o->bands)
        nd_lsh_params(o->threshold, o->num_perm, &r->stats.bands, &r->stats.rows);
    const int rc =
        nd_run_ctx_open(&r->ctx, o, r->stats.bands, r->stats.rows, c->diag, c->diag_payload);
    r->has_ctx = true;
    if (rc == ND_EIO)
        nd_report(c, ND_DIAG_ERROR, ND_EIO, o->tmpdir ? o->tmpdir : "$TMPDIR", -1,
                  "cannot create a scratch file: %s", strerror(errno));
    return rc;
}

/* Candidates: each copy with the first document of its text, and LSH's among texts. */
static int find_candidates(nd_corpus *c, const nd_scan_out *scan, nd_result *r, nd_candidates *cand)
{
    nd_candidates star = {NULL, 0, 0};
    int rc = c->opts.all_pairs ? 0 : nd_identical_stage(&r->ctx, c, &star);
    r->stats.n_copies = star.n;
    if (rc == 0)
        rc = nd_lsh_stage(&r->ctx, c, scan, cand);
    if (rc == 0 && star.n) {
        nd_pair_key *all = realloc(cand->keys, (cand->n + star.n) * sizeof(*all));
        rc = all ? 0 : ND_ENOMEM;
        if (all) {
            memcpy(all + cand->n, star.keys, star.n * sizeof(*all));
            cand->keys = all;
            cand->n = nd_pair_keys_unique(all, cand->n + star.n);
        }
    }
    free(star.keys);
    return rc;
}

/* The verified pairs: of every candidate with --all-pairs, else of those that join two
 * clusters, the others left in *skipped. */
static int find_pairs(nd_corpus *c, const nd_scan_out *scan, nd_result *r, nd_candidates *skipped,
                      double *t0)
{
    nd_candidates cand = {NULL, 0, 0};
    int rc = find_candidates(c, scan, r, &cand);
    r->stats.n_candidates = cand.n;
    r->stats.n_spilled_runs += cand.spilled_runs;
    end_stage(r, ND_STAGE_LSH, t0);
    if (rc == 0 && c->opts.all_pairs)
        rc = nd_verify_stage(&r->ctx, c, &cand, false, &r->pairs, &r->n_pairs);
    else if (rc == 0)
        rc = nd_verify_connecting(&r->ctx, c, &cand, &r->pairs, &r->n_pairs, skipped);
    free(cand.keys);
    end_stage(r, ND_STAGE_VERIFY, t0);
    return rc;
}

/* Clusters from the verified pairs, and the pairs to list (all of them with
 * --all-pairs). */
static int find_clusters(const nd_corpus *c, const nd_candidates *skipped, nd_result *r, double *t0)
{
    size_t n_clusters = 0, n_listed = 0;
    nd_pair *listed = NULL;
    int rc = nd_cluster_stage(c, r->pairs, r->n_pairs, &r->members, &r->n_members, &n_clusters);
    if (rc == 0 && !c->opts.all_pairs)
        rc = nd_listing_stage(&r->ctx, c, r->pairs, r->n_pairs, skipped, r->members, r->n_members,
                              &listed, &n_listed, &r->stats.n_pairs_unlisted);
    if (rc == 0 && !c->opts.all_pairs) {
        free(r->pairs);
        r->pairs = listed;
        r->n_pairs = n_listed;
    }
    r->stats.n_pairs = r->n_pairs;
    r->stats.n_clusters = n_clusters;
    r->stats.n_duplicates = r->n_members - n_clusters;
    end_stage(r, ND_STAGE_CLUSTER, t0);
    return rc;
}

static int find_passages(const nd_corpus *c, const nd_scan_out *scan, nd_result *r, double *t0)
{
    nd_passage_counts counts = {0, 0};
    const int rc = nd_passage_stage(&r->ctx, c, scan, &r->passages, &r->n_passages, &counts);
    r->stats.n_capped_shingles = counts.capped;
    r->stats.n_spilled_runs += counts.spilled;
    r->stats.n_passages = r->n_passages;
    end_stage(r, ND_STAGE_PASSAGES, t0);
    return rc;
}

int nd_corpus_run(nd_corpus *c, nd_result **out)
{
    nd_result *r = NULL;
    nd_scan_out scan = {0};
    nd_candidates skipped = {NULL, 0, 0};
    double t0 = nd_seconds_now();
    int rc = start_run(c, &r);
    if (rc == 0)
        rc = nd_scan_stage(&r->ctx, c, &scan);
    if (r)
        end_stage(r, ND_STAGE_SCAN, &t0);
    if (rc == 0)
        rc = nd_scan_report(&r->ctx, c, &r->stats);
    t0 = nd_seconds_now();
    if (rc == 0)
        rc = find_pairs(c, &scan, r, &skipped, &t0);
    if (rc == 0)
        rc = find_clusters(c, &skipped, r, &t0);
    free(skipped.keys);
    if (rc == 0 && c->opts.passages)
        rc = find_passages(c, &scan, r, &t0);
    nd_scan_out_free(&scan);
    if (rc == ND_EIO && r && r->ctx.spill && nd_spill_error(r->ctx.spill))
        nd_report(c, ND_DIAG_ERROR, ND_EIO, nd_spill_dir(r->ctx.spill), -1,
                  "cannot write or read the scratch files there: %s",
                  strerror(nd_spill_error(r->ctx.spill)));
    if (rc < 0) {
        nd_result_free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}
