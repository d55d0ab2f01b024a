/*
 * identical.c: the identical stage (see identical.h).
 *
 * A document's text hash is an XXH3 of its shingle sequence and word count, made by
 * the scan. Documents are sorted by (hash, number); in a run of equal hashes each
 * document is compared with the first of the run that has exactly its shingle
 * sequence (read back from the scratch file): a match makes it a copy of that
 * document, and a hash that two different texts share (a collision) only costs a
 * comparison. Copies take no part in LSH or the passages; each is verified once,
 * against the first document of its text, and lists its pairs through it.
 */
#include "pairs/identical.h"

#include <stdlib.h>
#include <string.h>

typedef struct text_slot {
    uint64_t hash;
    uint32_t doc;
} text_slot;

static int compare_slots(const void *pa, const void *pb)
{
    const text_slot *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return (a->doc > b->doc) - (a->doc < b->doc);
}

/* A document's shingle sequence, read into *buf. */
static int read_shingles(nd_spill *spill, const nd_doc *d, uint64_t **buf, size_t *cap)
{
    if (ND_GROW(*buf, *cap, (size_t)d->n_shingles + 1) < 0)
        return ND_ENOMEM;
    return nd_spill_read(spill, d->shingles_off, *buf, (size_t)d->n_shingles * sizeof(**buf));
}

typedef struct sequences {
    nd_spill *spill;
    uint64_t *first, *other; /* the shingles of the run's first document, of another */
    size_t first_cap, other_cap;
    int64_t first_doc; /* whose shingles first holds, or -1 */
} sequences;

/* Whether documents a and b have the same shingle sequence. */
static int same_text(sequences *s, const nd_corpus *c, uint32_t a, uint32_t b, bool *same)
{
    const nd_doc *da = &c->docs[a], *db = &c->docs[b];
    *same = false;
    if (da->n_shingles != db->n_shingles || da->n_tokens != db->n_tokens)
        return 0;
    int rc = 0;
    if (s->first_doc != a) {
        s->first_doc = -1;
        if ((rc = read_shingles(s->spill, da, &s->first, &s->first_cap)) < 0)
            return rc;
        s->first_doc = a;
    }
    if ((rc = read_shingles(s->spill, db, &s->other, &s->other_cap)) < 0)
        return rc;
    *same = !memcmp(s->first, s->other, (size_t)da->n_shingles * sizeof(*s->first));
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
static int group_run(sequences *s, nd_corpus *c, const text_slot *slots, size_t lo, size_t hi,
                     nd_candidates *star, size_t *cap)
{
    int rc = 0;
    for (size_t i = lo + 1; i < hi && rc == 0; i++) {
        bool same = false;
        for (size_t f = lo; f < i && rc == 0 && !same; f++) {
            if (nd_doc_is_copy(c, slots[f].doc))
                continue;
            rc = same_text(s, c, slots[f].doc, slots[i].doc, &same);
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
    text_slot *slots = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*slots));
    sequences s = {.spill = ctx->spill, .first_doc = -1};
    size_t n = 0, cap = 0;
    *star = (nd_candidates){NULL, 0, 0};
    if (!slots)
        return ND_ENOMEM;
    for (size_t i = 0; i < c->n_docs; i++) {
        c->docs[i].text_first = (uint32_t)i;
        if (c->docs[i].status == ND_DOC_OK)
            slots[n++] = (text_slot){c->docs[i].text_hash, (uint32_t)i};
    }
    nd_sort(slots, n, sizeof(*slots), compare_slots);
    int rc = 0;
    for (size_t lo = 0, hi; lo < n && rc == 0; lo = hi) {
        for (hi = lo + 1; hi < n && slots[hi].hash == slots[lo].hash; hi++)
            ;
        rc = group_run(&s, c, slots, lo, hi, star, &cap);
    }
    free(slots);
    free(s.first);
    free(s.other);
    if (rc == 0)
        nd_sort(star->keys, star->n, sizeof(*star->keys), nd_compare_pair_keys);
    return rc;
}
