/*
 * sets_needed.c: the documents whose shingle sets the identical stage reads (see
 * sets_needed.h).
 */
#include "pipeline/sets_needed.h"

#include <stdlib.h>
#include <string.h>

size_t nd_set_wanted(uint32_t doc, uint8_t *have, uint8_t *need)
{
    const uint8_t bit = (uint8_t)(1u << (doc % 8));
    if (have[doc / 8] & bit)
        return 0;
    have[doc / 8] |= bit;
    need[doc / 8] |= bit;
    return 1;
}

/* The documents of a text hash that another document has too: the identical stage
 * compares their shingle sequences. (All documents when the hashes cannot be sorted for
 * want of memory: more than needed is never wrong.) */
static size_t mark_repeated_texts(const nd_corpus *c, uint8_t *have, uint8_t *need)
{
    size_t n_ok = 0, marked = 0;
    nd_hash_doc *slots = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*slots));
    for (size_t i = 0; i < c->n_docs; i++)
        if (c->docs[i].status == ND_DOC_OK && slots)
            slots[n_ok++] = (nd_hash_doc){c->docs[i].text_hash, (uint32_t)i};
        else if (c->docs[i].status == ND_DOC_OK)
            marked += nd_set_wanted((uint32_t)i, have, need);
    nd_sort(slots, n_ok, sizeof(*slots), nd_compare_hash_docs);
    for (size_t lo = 0, hi; lo < n_ok; lo = hi) {
        for (hi = lo + 1; hi < n_ok && slots[hi].hash == slots[lo].hash; hi++)
            ;
        for (size_t i = lo; hi - lo > 1 && i < hi; i++)
            marked += nd_set_wanted(slots[i].doc, have, need);
    }
    free(slots);
    return marked;
}

size_t nd_sets_needed(const nd_corpus *c, uint8_t *have, uint8_t *need)
{
    memset(need, 0, (c->n_docs + 7) / 8);
    /* with --all-pairs the identical stage compares nothing */
    return c->opts.all_pairs ? 0 : mark_repeated_texts(c, have, need);
}
