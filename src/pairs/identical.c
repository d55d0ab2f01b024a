/*
 * identical.c: the identical stage (see identical.h).
 *
 * A document's text hash is an XXH3 of its shingle sequence and word count, made by
 * the scan. Documents are sorted by (hash, number); in a run of equal hashes each
 * document is compared with the first of the run that has exactly its shingle
 * sequence (read where it lies in the scratch file): a match makes it a copy of that
 * document, and a hash that two different texts share (a collision) only costs a
 * comparison. Copies take no part in LSH or the passages; each is verified once,
 * against the first document of its text, and lists its pairs through it.
 */
#include "pairs/identical.h"

#include "pairs/listing.h"

#include "common/radix.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Whether documents a and b have the same shingle sequence, read where it lies in the
 * scratch file. */
static int same_text(nd_spill *spill, const nd_corpus *c, uint32_t a, uint32_t b, bool *same)
{
    const nd_doc *da = &c->docs[a], *db = &c->docs[b];
    const size_t bytes = (size_t)da->n_shingles * sizeof(uint64_t);
    *same = false;
    if (da->n_shingles != db->n_shingles || da->n_tokens != db->n_tokens)
        return 0;
    const void *sa = nd_spill_view(spill, da->shingles_off, bytes);
    const void *sb = nd_spill_view(spill, db->shingles_off, bytes);
    if (!sa || !sb)
        return ND_EIO;
    *same = !memcmp(sa, sb, bytes);
    return 0;
}

/* Adds the copy pair (first, copy) to *star. */
static int add_copy(nd_candidates *star, size_t *cap, uint32_t first, uint32_t copy)
{
    if (ND_GROW(star->keys, *cap, star->n + 1) < 0)
        return ND_ENOMEM;
    star->keys[star->n++] = (nd_pair_key){first, copy};
    return 0;
}

/* The run slots[lo, hi) of one hash: each document becomes a copy of the first earlier
 * one with its sequence (usually the run's first). */
static int group_run(nd_spill *spill, nd_corpus *c, const nd_hash_doc *slots, size_t lo, size_t hi,
                     nd_candidates *star, size_t *cap)
{
    int rc = 0;
    for (size_t i = lo + 1; i < hi && rc == 0; i++) {
        bool same = false;
        for (size_t f = lo; f < i && rc == 0 && !same; f++) {
            if (nd_doc_is_copy(c, slots[f].doc))
                continue;
            rc = same_text(spill, c, slots[f].doc, slots[i].doc, &same);
            if (rc == 0 && same) {
                c->docs[slots[i].doc].text_first = slots[f].doc;
                rc = add_copy(star, cap, slots[f].doc, slots[i].doc);
            }
        }
    }
    return rc;
}

int nd_identical_stage(nd_run_ctx *ctx, nd_corpus *c, nd_candidates *star)
{
    nd_hash_doc *slots = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*slots));
    size_t n = 0, cap = 0;
    *star = (nd_candidates){NULL, 0, 0};
    if (!slots)
        return ND_ENOMEM;
    for (size_t i = 0; i < c->n_docs; i++) {
        c->docs[i].text_first = (uint32_t)i;
        if (c->docs[i].status == ND_DOC_OK && !ctx->opts->all_pairs) /* all_pairs: no copies */
            slots[n++] = (nd_hash_doc){c->docs[i].text_hash, (uint32_t)i};
    }
    /* by hash, then number: the slots are in number order, and the radix sort is stable */
    static const nd_radix_key by_hash[] = {{offsetof(nd_hash_doc, hash), 8, true}};
    const nd_sort_env env = nd_run_sort_env(ctx, ctx->threads);
    int rc = nd_radix_sort(&env, slots, n, sizeof(*slots), by_hash, 1);
    for (size_t lo = 0, hi; lo < n && rc == 0; lo = hi) {
        for (hi = lo + 1; hi < n && slots[hi].hash == slots[lo].hash; hi++)
            ;
        rc = group_run(ctx->spill, c, slots, lo, hi, star, &cap);
    }
    free(slots);
    nd_spill_drop_views(ctx->spill);
    if (rc == 0)
        star->n = nd_pair_keys_unique(star->keys, star->n); /* (each pair is there once) */
    return rc;
}

int nd_identical_add_pairs(const nd_corpus *c, const nd_candidates *star, nd_pair **pairs,
                           size_t *n_pairs)
{
    if (star->n == 0)
        return 0;
    nd_pair *all = realloc(*pairs, (*n_pairs + star->n) * sizeof(*all));
    if (!all)
        return ND_ENOMEM;
    for (size_t i = 0; i < star->n; i++) {
        const nd_pair_key k = star->keys[i];
        all[*n_pairs + i] = (nd_pair){k.a, k.b, 1.0, 1.0, c->docs[k.a].n_distinct, 0};
    }
    *pairs = all;
    *n_pairs += star->n;
    nd_sort(all, *n_pairs, sizeof(*all), nd_compare_pair_docs);
    return 0;
}
