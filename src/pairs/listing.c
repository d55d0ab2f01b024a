/*
 * listing.c: the listing stage (see listing.h).
 *
 * Verification compared texts: two documents of one text were compared once, as the
 * text's first document and a copy (Jaccard 1). A small cluster lists what comparing
 * every two of its documents would have found: each verified pair of two texts, for
 * each two documents of them, and each two documents of one text, with the values of
 * the text's first with its first copy. A large cluster lists each member with its
 * kept document: the same text gives those values again, another text is verified
 * here (whatever its similarity: it says how close the member is to what is kept).
 */
#include "pairs/listing.h"

#include "pairs/verify.h"

#include <stdlib.h>
#include <string.h>

typedef struct listing {
    const nd_corpus *c;
    const nd_pair *verified;
    size_t n_verified;
    uint32_t *cluster_of; /* per document: its cluster number, 0 for none */
    uint32_t *size;       /* per cluster number: its documents */
    uint32_t *group;      /* the documents by (text_first, number) */
    uint32_t *group_at;   /* per document: where its text's documents start in group */
    nd_pair *out;
    size_t n, cap;
} listing;

static bool is_large(const listing *l, uint32_t cluster)
{
    return l->size[cluster] > ND_LIST_ALL_PAIRS;
}

/* The documents of the text whose first document is first: group[*start, *end). */
static void text_docs(const listing *l, uint32_t first, size_t *start, size_t *end)
{
    *start = l->group_at[first];
    *end = l->group_at[first + 1];
}

int nd_compare_pair_docs(const void *pa, const void *pb)
{
    const nd_pair *a = pa, *b = pb;
    if (a->doc_a != b->doc_a)
        return a->doc_a < b->doc_a ? -1 : 1;
    return (a->doc_b > b->doc_b) - (a->doc_b < b->doc_b);
}

/* The verified pair (a, b), a < b, or NULL. */
static const nd_pair *find_pair(const nd_pair *pairs, size_t n, uint32_t a, uint32_t b)
{
    const nd_pair key = {.doc_a = a, .doc_b = b};
    return n ? bsearch(&key, pairs, n, sizeof(*pairs), nd_compare_pair_docs) : NULL;
}

/* Lists documents x and y with the values of p. */
static int emit(listing *l, uint32_t x, uint32_t y, const nd_pair *p)
{
    if (ND_GROW(l->out, l->cap, l->n + 1) < 0)
        return ND_ENOMEM;
    nd_pair *o = &l->out[l->n++];
    *o = *p;
    o->doc_a = x < y ? x : y;
    o->doc_b = x < y ? y : x;
    o->cluster = l->cluster_of[x];
    return 0;
}

/* The values of two documents of the text whose first document is first (its first
 * with its first copy), or NULL when it has no copy. */
static const nd_pair *same_text_values(const listing *l, uint32_t first)
{
    size_t start, end;
    text_docs(l, first, &start, &end);
    return end - start < 2 ? NULL
                           : find_pair(l->verified, l->n_verified, first, l->group[start + 1]);
}

/* A verified pair of two texts, for each two documents of them. */
static int list_text_pair(listing *l, const nd_pair *p)
{
    size_t a0, a1, b0, b1;
    text_docs(l, p->doc_a, &a0, &a1);
    text_docs(l, p->doc_b, &b0, &b1);
    int rc = 0;
    for (size_t i = a0; i < a1 && rc == 0; i++)
        for (size_t j = b0; j < b1 && rc == 0; j++)
            rc = emit(l, l->group[i], l->group[j], p);
    return rc;
}

/* Each two documents of the text whose first document is first. */
static int list_same_text(listing *l, uint32_t first)
{
    const nd_pair *p = same_text_values(l, first);
    size_t start, end;
    text_docs(l, first, &start, &end);
    int rc = 0;
    for (size_t i = start; p && i < end && rc == 0; i++)
        for (size_t j = i + 1; j < end && rc == 0; j++)
            rc = emit(l, l->group[i], l->group[j], p);
    return rc;
}

static int list_small_clusters(listing *l)
{
    int rc = 0;
    for (size_t i = 0; i < l->n_verified && rc == 0; i++) {
        const nd_pair *p = &l->verified[i];
        if (!is_large(l, p->cluster) && !nd_doc_is_copy(l->c, p->doc_b))
            rc = list_text_pair(l, p);
    }
    for (size_t d = 0; d < l->c->n_docs && rc == 0; d++)
        if (l->cluster_of[d] && !is_large(l, l->cluster_of[d]) && !nd_doc_is_copy(l->c, d))
            rc = list_same_text(l, (uint32_t)d);
    return rc;
}

/* The pair of texts of member m and its kept document, when they differ. */
static bool text_pair_of(const listing *l, const nd_member *m, nd_pair_key *key)
{
    const uint32_t tk = l->c->docs[m->kept_doc].text_first, tm = l->c->docs[m->doc].text_first;
    *key = (nd_pair_key){tk < tm ? tk : tm, tk < tm ? tm : tk};
    return tk != tm;
}

/* The pair of texts (a, b): verified before, or among those verified for the listing. */
static const nd_pair *text_pair_values(const listing *l, const nd_pair *texts, size_t n_texts,
                                       nd_pair_key key)
{
    const nd_pair *p = find_pair(l->verified, l->n_verified, key.a, key.b);
    return p ? p : find_pair(texts, n_texts, key.a, key.b);
}

/* Each member of a large cluster with its kept document; the pairs of texts needed that
 * were not verified before are verified first. */
static int list_large_clusters(nd_run_ctx *ctx, listing *l, const nd_member *members,
                               size_t n_members, uint64_t *unlisted)
{
    nd_candidates need = {NULL, 0, 0};
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < n_members && rc == 0; i++) {
        nd_pair_key key;
        if (is_large(l, members[i].cluster) && text_pair_of(l, &members[i], &key) &&
            !find_pair(l->verified, l->n_verified, key.a, key.b)) {
            if (ND_GROW(need.keys, cap, need.n + 1) < 0)
                rc = ND_ENOMEM;
            else
                need.keys[need.n++] = key;
        }
    }
    need.n = rc == 0 ? nd_pair_keys_unique(need.keys, need.n) : 0;
    nd_pair *texts = NULL;
    size_t n_texts = 0;
    if (rc == 0)
        rc = nd_verify_stage(ctx, l->c, &need, true, &texts, &n_texts, NULL);
    for (size_t i = 0; i < n_members && rc == 0; i++) {
        const nd_member *m = &members[i];
        if (!is_large(l, m->cluster) || m->doc == m->kept_doc)
            continue;
        nd_pair_key key;
        const nd_pair *p = text_pair_of(l, m, &key)
                               ? text_pair_values(l, texts, n_texts, key)
                               : same_text_values(l, l->c->docs[m->doc].text_first);
        if (p)
            rc = emit(l, m->kept_doc, m->doc, p);
    }
    for (size_t i = 0; i < n_members; i++) /* m(m - 1)/2 pairs, m - 1 of them listed */
        if (is_large(l, members[i].cluster) &&
            (i == 0 || members[i - 1].cluster != members[i].cluster))
            *unlisted += (uint64_t)(members[i].size - 1) * (members[i].size - 2) / 2;
    free(need.keys);
    free(texts);
    return rc;
}

/* Per document its cluster, per cluster its size; the documents grouped by text. */
static int index_documents(listing *l, const nd_member *members, size_t n_members)
{
    const nd_corpus *c = l->c;
    l->cluster_of = calloc(c->n_docs + 1, sizeof(*l->cluster_of));
    l->group = malloc((c->n_docs + 1) * sizeof(*l->group));
    l->group_at = calloc(c->n_docs + 2, sizeof(*l->group_at));
    const size_t n_clusters = n_members ? members[n_members - 1].cluster : 0;
    l->size = calloc(n_clusters + 1, sizeof(*l->size));
    if (!l->cluster_of || !l->group || !l->group_at || !l->size)
        return ND_ENOMEM;
    for (size_t i = 0; i < n_members; i++) {
        l->cluster_of[members[i].doc] = members[i].cluster;
        l->size[members[i].cluster] = members[i].size;
    }
    for (size_t d = 0; d < c->n_docs; d++) /* a counting sort by text_first */
        l->group_at[c->docs[d].text_first + 1]++;
    for (size_t d = 0; d < c->n_docs; d++)
        l->group_at[d + 1] += l->group_at[d];
    uint32_t *next = malloc((c->n_docs + 1) * sizeof(*next));
    if (!next)
        return ND_ENOMEM;
    memcpy(next, l->group_at, c->n_docs * sizeof(*next));
    for (size_t d = 0; d < c->n_docs; d++)
        l->group[next[c->docs[d].text_first]++] = (uint32_t)d;
    free(next);
    return 0;
}

/* The verified pairs, and those of the skipped candidates of small clusters (verified
 * now), sorted: all that comparing every candidate would have found in them. */
static int complete_small_clusters(nd_run_ctx *ctx, listing *l, const nd_pair *verified,
                                   size_t n_verified, const nd_candidates *skipped, nd_pair **all)
{
    nd_candidates need = {malloc((skipped->n ? skipped->n : 1) * sizeof(nd_pair_key)), 0, 0};
    nd_pair *more = NULL;
    size_t n_more = 0;
    int rc = need.keys ? 0 : ND_ENOMEM;
    for (size_t i = 0; i < skipped->n && rc == 0; i++)
        if (!is_large(l, l->cluster_of[skipped->keys[i].a]))
            need.keys[need.n++] = skipped->keys[i];
    if (rc == 0)
        rc = nd_verify_stage(ctx, l->c, &need, false, &more, &n_more, NULL);
    if (rc == 0 && !(*all = malloc((n_verified + n_more + 1) * sizeof(**all))))
        rc = ND_ENOMEM;
    if (rc == 0) {
        memcpy(*all, verified, n_verified * sizeof(**all));
        memcpy(*all + n_verified, more, n_more * sizeof(**all));
        nd_sort(*all, n_verified + n_more, sizeof(**all), nd_compare_pair_docs);
        l->verified = *all;
        l->n_verified = n_verified + n_more;
    }
    free(need.keys);
    free(more);
    return rc;
}

int nd_listing_stage(nd_run_ctx *ctx, const nd_corpus *c, const nd_candidates *skipped,
                     const nd_member *members, size_t n_members, nd_pair **pairs, size_t *n_pairs,
                     uint64_t *unlisted)
{
    const nd_pair *verified = *pairs;
    const size_t n_verified = *n_pairs;
    listing l = {.c = c};
    nd_pair *all = NULL;
    *unlisted = 0;
    int rc = index_documents(&l, members, n_members);
    if (rc == 0)
        rc = complete_small_clusters(ctx, &l, verified, n_verified, skipped, &all);
    if (rc == 0)
        rc = list_small_clusters(&l);
    if (rc == 0)
        rc = list_large_clusters(ctx, &l, members, n_members, unlisted);
    if (rc == 0)
        nd_sort(l.out, l.n, sizeof(*l.out), nd_compare_pair_docs);
    free(l.cluster_of);
    free(l.size);
    free(l.group);
    free(l.group_at);
    free(all);
    if (rc < 0) {
        free(l.out);
        return rc;
    }
    free(*pairs);
    *pairs = l.out;
    *n_pairs = l.n;
    return 0;
}
