/*
 * lsh.c: LSH banding with candidate pairs found by sorting.
 *
 * HOW IT WORKS
 *
 * Each document yields b records (band, hash of the band's r values, doc),
 * made while the document is scanned. Sorting the records brings equal bands
 * together; each run of equal (band, hash) gives the pairs of its documents.
 * The records are flat 16-byte values sorted by the external sort: within
 * --memory they never touch the disk, beyond it they are sorted in runs on
 * disk and merged, so a million documents need no more memory than the
 * budget (a hash map of lists would need all of them, and pointers).
 */
#include "pairs/lsh.h"

#include "common/radix.h"
#include "common/scratch.h"
#include "common/spill.h"
#include "common/threads.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int compare_band_records(const void *pa, const void *pb)
{
    const nd_band_record *a = pa, *b = pb;
    if (a->band != b->band)
        return a->band < b->band ? -1 : 1;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return (a->doc > b->doc) - (a->doc < b->doc);
}

int nd_compare_pair_keys(const void *pa, const void *pb)
{
    const nd_pair_key *a = pa, *b = pb;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

size_t nd_pair_keys_unique(nd_pair_key *pairs, size_t n)
{
    if (n < 2)
        return n;
    /* sorted as the numbers a * 2^32 + b, by a radix sort in place: millions of candidates
     * cost several times more with compare calls (the keys are malloc'd: stored as
     * uint64_t, that is their type until stored back as keys) */
    uint64_t *as_numbers = (uint64_t *)(void *)pairs;
    for (size_t i = 0; i < n; i++) {
        const nd_pair_key k = pairs[i];
        as_numbers[i] = (uint64_t)k.a << 32 | k.b;
    }
    nd_radix_sort_u64_in_place(as_numbers, n);
    for (size_t i = 0; i < n; i++) {
        const uint64_t v = as_numbers[i];
        pairs[i] = (nd_pair_key){(uint32_t)(v >> 32), (uint32_t)v};
    }
    size_t w = 1;
    for (size_t i = 1; i < n; i++)
        if (pairs[i].a != pairs[w - 1].a || pairs[i].b != pairs[w - 1].b)
            pairs[w++] = pairs[i];
    return w;
}

/* Sorts records by (band, hash, doc): the order compare_band_records gives. */
static int sort_band_records(const nd_sort_env *env, void *records, size_t n)
{
    static const nd_radix_key keys[] = {{offsetof(nd_band_record, band), 4, false},
                                        {offsetof(nd_band_record, hash), 8, true},
                                        {offsetof(nd_band_record, doc), 4, false}};
    return nd_radix_sort(env, records, n, sizeof(nd_band_record), keys, 3);
}

int nd_lsh_sorter_new(nd_extsort **out, const nd_sort_env *env, size_t budget, nd_spill *spill)
{
    return nd_extsort_new(out, sizeof(nd_band_record), compare_band_records, sort_band_records, env,
                          budget, spill);
}

static int add_pair(nd_pair_key **out, size_t *n, size_t *cap, uint32_t a, uint32_t b)
{
    if (ND_GROW(*out, *cap, *n + 1) < 0)
        return ND_ENOMEM;
    (*out)[(*n)++] = (nd_pair_key){a, b};
    return 0;
}

/* Appends the candidate pairs of one bucket (records with one band hash, by document):
 * all its pairs when it is small or all_pairs is asked, else each document with the
 * first and with the one before it. */
static int emit_group(const nd_band_record *rec, size_t n_rec, bool all_pairs, nd_pair_key **out,
                      size_t *n, size_t *cap)
{
    int rc = 0;
    if (all_pairs || n_rec <= ND_BUCKET_ALL_PAIRS) {
        for (size_t i = 0; i < n_rec && rc == 0; i++)
            for (size_t j = i + 1; j < n_rec && rc == 0; j++)
                if (rec[i].doc != rec[j].doc)
                    rc = add_pair(out, n, cap, rec[i].doc, rec[j].doc);
        return rc;
    }
    for (size_t i = 1; i < n_rec && rc == 0; i++) {
        rc = add_pair(out, n, cap, rec[0].doc, rec[i].doc);
        if (rc == 0 && i >= 2)
            rc = add_pair(out, n, cap, rec[i - 1].doc, rec[i].doc);
    }
    return rc;
}

int nd_lsh_candidates_sorted(nd_extsort *sorted, bool all_pairs, nd_pair_key **out, size_t *n_out)
{
    nd_band_record *group = NULL;
    size_t n_group = 0, group_cap = 0, n = 0, cap = 0;
    const void *next;
    int got, rc = nd_extsort_finish(sorted);
    *out = NULL;
    *n_out = 0;
    if (rc < 0)
        return rc;
    do {
        got = nd_extsort_next(sorted, &next);
        const nd_band_record *r = got == 1 ? next : NULL;
        if (got < 0)
            rc = got;
        else if (n_group && (!r || r->band != group[0].band || r->hash != group[0].hash)) {
            rc = emit_group(group, n_group, all_pairs, out, &n, &cap);
            n_group = 0;
        }
        if (rc == 0 && r) {
            if (ND_GROW(group, group_cap, n_group + 1) < 0)
                rc = ND_ENOMEM;
            else
                group[n_group++] = *r;
        }
    } while (rc == 0 && got == 1);
    free(group);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        return rc;
    }
    *n_out = nd_pair_keys_unique(*out, n);
    return 0;
}

int nd_lsh_candidates(const uint32_t *sigs, const uint32_t *docs, size_t n_docs, int num_perm,
                      int bands, int rows, nd_pair_key **out, size_t *n_out)
{
    nd_extsort *sorter;
    nd_band_record rec[1024];
    const nd_sort_env env = {1, NULL};
    int rc = nd_lsh_sorter_new(&sorter, &env, SIZE_MAX / 2, NULL);
    if (rc < 0)
        return rc;
    for (size_t d = 0; d < n_docs && rc == 0; d++) {
        nd_lsh_band_records(sigs + docs[d] * (size_t)num_perm, docs[d], bands, rows, rec);
        for (int b = 0; b < bands && rc == 0; b++)
            rc = nd_extsort_add(sorter, &rec[b]);
    }
    if (rc == 0)
        rc = nd_lsh_candidates_sorted(sorter, true, out, n_out);
    nd_extsort_free(sorter);
    return rc;
}

/* ---------------------------------------------------------------- the stage */

/* LSH on all threads: the bands are dealt into parts (band b to part b % n_parts), each
 * part's records sorted and grouped by one thread; the parts' candidates are joined and
 * sorted, so they do not depend on the threads. */
typedef struct lsh_job {
    nd_run_ctx *ctx;
    const nd_corpus *corpus;
    const nd_scan_out *scan; /* the band records the scan left, or NULL: the sorts are full */
    nd_lsh_sorts *sorts;
    nd_candidates *parts;
} lsh_job;

int nd_lsh_sorts_open(nd_run_ctx *ctx, nd_lsh_sorts *s)
{
    const nd_sort_env env = nd_run_sort_env(ctx, 1); /* the parts sort side by side */
    s->n_parts = ctx->lsh_parts;
    s->part = calloc((size_t)s->n_parts, sizeof(*s->part));
    int rc = s->part ? 0 : ND_ENOMEM;
    for (int p = 0; p < s->n_parts && rc == 0; p++)
        rc = nd_lsh_sorter_new(&s->part[p], &env, ctx->memory.lsh_part_sort, ctx->spill);
    return rc;
}

void nd_lsh_sorts_close(nd_lsh_sorts *s)
{
    for (int p = 0; s->part && p < s->n_parts; p++)
        nd_extsort_free(s->part[p]);
    free(s->part);
    *s = (nd_lsh_sorts){NULL, 0};
}

/* Adds part p's band records that the scan left in the scratch file (but copies') to its
 * sort. */
static int fill_part(const lsh_job *job, int p, nd_band_record *chunk)
{
    nd_extsort *sorter = job->sorts->part[p];
    int rc = 0;
    for (size_t k = 0; k < job->scan->n_chunks && rc == 0; k++) {
        const nd_band_chunk *ch = &job->scan->chunks[k];
        if (ch->part != p)
            continue;
        rc = nd_spill_read(job->ctx->spill, ch->offset, chunk, ch->n * sizeof(*chunk));
        for (size_t i = 0; i < ch->n && rc == 0; i++)
            if (!nd_doc_is_copy(job->corpus, chunk[i].doc)) /* its text is banded once */
                rc = nd_extsort_add(sorter, &chunk[i]);
    }
    return rc;
}

/* The candidates of part p, its records sorted within its share of --memory (beyond it
 * in runs on disk); its sort is freed. */
static int part_candidates(const lsh_job *job, int p, nd_band_record *chunk)
{
    nd_candidates *out = &job->parts[p];
    nd_extsort *sorter = job->sorts->part[p];
    int rc = job->scan ? fill_part(job, p, chunk) : 0;
    if (rc == 0)
        rc = nd_lsh_candidates_sorted(sorter, job->ctx->opts->all_pairs, &out->keys, &out->n);
    out->spilled_runs = nd_extsort_runs(sorter);
    nd_extsort_free(sorter);
    job->sorts->part[p] = NULL;
    return rc;
}

static int lsh_worker(void *stage, nd_work *work)
{
    const lsh_job *job = stage;
    nd_scratch_pool *scratch = &job->ctx->scratch;
    nd_band_record *chunk =
        job->scan ? nd_scratch_map(scratch, ND_BAND_CHUNK * sizeof(*chunk)) : NULL;
    int rc = chunk || !job->scan ? 0 : ND_ENOMEM;
    for (size_t part; rc == 0 && nd_work_take(work, &part);)
        rc = part_candidates(job, (int)part, chunk);
    if (chunk)
        nd_scratch_unmap(scratch, chunk, ND_BAND_CHUNK * sizeof(*chunk));
    return rc;
}

static bool key_before(nd_pair_key x, nd_pair_key y)
{
    return x.a != y.a ? x.a < y.a : x.b < y.b;
}

/* Merges the sorted distinct lists a[0..na) and b[0..nb) into out, each pair once;
 * returns how many. */
static size_t merge_unique(const nd_pair_key *a, size_t na, const nd_pair_key *b, size_t nb,
                           nd_pair_key *out)
{
    size_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        if (key_before(a[i], b[j]))
            out[n++] = a[i++];
        else if (key_before(b[j], a[i]))
            out[n++] = b[j++];
        else
            out[n++] = a[i++], j++;
    }
    while (i < na)
        out[n++] = a[i++];
    while (j < nb)
        out[n++] = b[j++];
    return n;
}

int nd_candidates_join(nd_candidates *lists, int n_lists, nd_candidates *out)
{
    *out = (nd_candidates){NULL, 0, 0};
    for (int p = 0; p < n_lists; p++)
        out->spilled_runs += lists[p].spilled_runs;
    while (n_lists > 1) {
        int kept = 0;
        for (int p = 0; p + 1 < n_lists; p += 2) {
            nd_candidates *x = &lists[p], *y = &lists[p + 1];
            nd_pair_key *merged = malloc((x->n + y->n + 1) * sizeof(*merged));
            if (!merged)
                return ND_ENOMEM;
            const size_t n = merge_unique(x->keys, x->n, y->keys, y->n, merged);
            free(x->keys);
            free(y->keys);
            *x = *y = (nd_candidates){NULL, 0, 0};
            lists[kept++] = (nd_candidates){merged, n, 0};
        }
        if (n_lists % 2)
            lists[kept++] = lists[n_lists - 1];
        for (int p = kept; p < n_lists; p++)
            lists[p] = (nd_candidates){NULL, 0, 0};
        n_lists = kept;
    }
    out->keys = n_lists ? lists[0].keys : NULL;
    out->n = n_lists ? lists[0].n : 0;
    if (n_lists)
        lists[0] = (nd_candidates){NULL, 0, 0};
    return out->keys || (out->keys = malloc(sizeof(*out->keys))) ? 0 : ND_ENOMEM;
}

/* The candidates of the parts' sorts, filled from scan unless it is NULL. */
static int sorted_candidates(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan,
                             nd_lsh_sorts *sorts, nd_candidates *out)
{
    lsh_job job = {.ctx = ctx, .corpus = c, .scan = scan, .sorts = sorts};
    *out = (nd_candidates){NULL, 0, 0};
    job.parts = calloc((size_t)sorts->n_parts, sizeof(*job.parts));
    if (!job.parts)
        return ND_ENOMEM;
    int rc = nd_parallel(ctx->threads, (size_t)sorts->n_parts, lsh_worker, &job);
    if (rc == 0)
        rc = nd_candidates_join(job.parts, sorts->n_parts, out);
    for (int p = 0; p < sorts->n_parts; p++)
        free(job.parts[p].keys);
    free(job.parts);
    nd_lsh_sorts_close(sorts);
    nd_scratch_release(
        &ctx->scratch); /* the sorts' memory kept would only add to the next stage's */
    return rc;
}

int nd_lsh_sorts_candidates(nd_run_ctx *ctx, nd_lsh_sorts *sorts, nd_candidates *out)
{
    return sorted_candidates(ctx, NULL, NULL, sorts, out);
}

void nd_lsh_warn_all_pairs(const nd_run_ctx *ctx, const nd_candidates *cand)
{
    if (ctx->opts->all_pairs && cand->n > ND_ALL_PAIRS_WARN)
        nd_run_report(ctx, ND_DIAG_WARNING, ND_EINVAL, "--all-pairs", -1,
                      "%zu candidate pairs to verify and list (without it, a large group costs "
                      "what it holds, not its square)",
                      cand->n);
}

int nd_lsh_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_scan_out *scan, nd_candidates *out)
{
    nd_lsh_sorts sorts;
    int rc = nd_lsh_sorts_open(ctx, &sorts);
    if (rc == 0)
        rc = sorted_candidates(ctx, c, scan, &sorts, out);
    else
        nd_lsh_sorts_close(&sorts);
    if (rc == 0)
        nd_lsh_warn_all_pairs(ctx, out);
    return rc;
}
