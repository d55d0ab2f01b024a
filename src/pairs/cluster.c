/*
 * cluster.c: union-find over verified pairs.
 *
 * Union by smaller index keeps every root the first document of its cluster,
 * so numbering is a function of input order only.
 */
#include "pairs/cluster.h"

#include "pairs/verify.h"

#include <math.h>
#include <stdlib.h>

uint32_t nd_forest_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

void nd_forest_join(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = nd_forest_find(parent, a);
    b = nd_forest_find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

uint32_t *nd_forest_new(size_t n_docs)
{
    uint32_t *parent = malloc((n_docs ? n_docs : 1) * sizeof(*parent));
    for (size_t i = 0; parent && i < n_docs; i++)
        parent[i] = (uint32_t)i;
    return parent;
}

int nd_cluster(size_t n_docs, const uint64_t *doc_len, nd_keep_rule keep, nd_pair *pairs,
               size_t n_pairs, nd_member **members, size_t *n_members, size_t *n_clusters)
{
    uint32_t *parent = nd_forest_new(n_docs);
    uint32_t *size = calloc(n_docs ? n_docs : 1, sizeof(*size));
    uint32_t *number = calloc(n_docs ? n_docs : 1, sizeof(*number));
    uint32_t *keeper = calloc(n_docs ? n_docs : 1, sizeof(*keeper));
    size_t n_rows = 0, clusters = 0;
    *members = NULL;
    if (!parent || !size || !number || !keeper)
        goto nomem;
    for (size_t i = 0; i < n_pairs; i++)
        nd_forest_join(parent, pairs[i].doc_a, pairs[i].doc_b);
    for (size_t i = 0; i < n_docs; i++) {
        const uint32_t r = nd_forest_find(parent, (uint32_t)i);
        if (size[r]++ == 0)
            keeper[r] = r;
        else if (keep == ND_KEEP_LONGEST && doc_len[i] > doc_len[keeper[r]])
            keeper[r] = (uint32_t)i;
    }
    for (size_t i = 0; i < n_docs; i++) {
        if (parent[i] == i && size[i] >= 2) {
            number[i] = (uint32_t)++clusters;
            n_rows += size[i];
        }
    }
    if (n_rows && !(*members = malloc(n_rows * sizeof(**members))))
        goto nomem;
    /* members ordered by cluster: clusters are numbered in root order, and
     * roots come first in their clusters, so a counting pass places them */
    size_t *slot = calloc(clusters + 2, sizeof(*slot));
    if (!slot)
        goto nomem;
    for (size_t i = 0; i < n_docs; i++)
        if (number[i])
            slot[number[i] + 1] = size[i];
    for (size_t c = 1; c <= clusters + 1; c++)
        slot[c] += slot[c - 1];
    for (size_t i = 0; i < n_docs; i++) {
        const uint32_t r = nd_forest_find(parent, (uint32_t)i);
        if (!number[r])
            continue;
        (*members)[slot[number[r]]++] = (nd_member){
            .cluster = number[r], .doc = (uint32_t)i, .size = size[r], .kept_doc = keeper[r]};
    }
    free(slot);
    for (size_t i = 0; i < n_pairs; i++)
        pairs[i].cluster = number[nd_forest_find(parent, pairs[i].doc_a)];
    *n_members = n_rows;
    *n_clusters = clusters;
    free(parent);
    free(size);
    free(number);
    free(keeper);
    return 0;
nomem:
    free(parent);
    free(size);
    free(number);
    free(keeper);
    free(*members);
    *members = NULL;
    return ND_ENOMEM;
}

int nd_cluster_stage(const nd_corpus *c, nd_pair *pairs, size_t n_pairs, nd_member **members,
                     size_t *n_members, size_t *n_clusters)
{
    uint64_t *len = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*len));
    if (!len)
        return ND_ENOMEM;
    for (size_t i = 0; i < c->n_docs; i++)
        len[i] = c->docs[i].n_bytes;
    const int rc =
        nd_cluster(c->n_docs, len, c->opts.keep, pairs, n_pairs, members, n_members, n_clusters);
    free(len);
    return rc;
}

/* Whether member m has its kept document's text (or is it): Jaccard 1, nothing to read. */
static bool same_text(const nd_corpus *c, const nd_member *m)
{
    return c->docs[m->doc].text_first == c->docs[m->kept_doc].text_first;
}

/* The Jaccard of each member with its kept document that a pair holds already (NAN for
 * the others). */
static int known_kept_jaccards(const nd_corpus *c, const nd_member *members, size_t n_members,
                               const nd_pair *pairs, size_t n_pairs, double *known)
{
    uint32_t *member_at = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*member_at));
    if (!member_at)
        return ND_ENOMEM;
    for (size_t d = 0; d < c->n_docs; d++)
        member_at[d] = UINT32_MAX;
    for (size_t i = 0; i < n_members; i++) {
        member_at[members[i].doc] = (uint32_t)i;
        known[i] = NAN;
    }
    for (size_t i = 0; i < n_pairs; i++) {
        const uint32_t a = member_at[pairs[i].doc_a], b = member_at[pairs[i].doc_b];
        if (a != UINT32_MAX && members[a].kept_doc == pairs[i].doc_b)
            known[a] = pairs[i].jaccard;
        if (b != UINT32_MAX && members[b].kept_doc == pairs[i].doc_a)
            known[b] = pairs[i].jaccard;
    }
    free(member_at);
    return 0;
}

int nd_kept_jaccards(nd_run_ctx *ctx, const nd_corpus *c, const nd_member *members,
                     size_t n_members, const nd_pair *verified, size_t n_verified, double **out)
{
    nd_pair_key *pairs = calloc(n_members ? n_members : 1, sizeof(*pairs));
    double *j = malloc((n_members ? n_members : 1) * sizeof(*j));
    double *kept = calloc(n_members ? n_members : 1, sizeof(*kept));
    size_t n = 0;
    int rc = pairs && j && kept ? 0 : ND_ENOMEM;
    if (rc == 0)
        rc = known_kept_jaccards(c, members, n_members, verified, n_verified, kept);
    for (size_t i = 0; i < n_members && rc == 0; i++)
        if (same_text(c, &members[i]))
            kept[i] = 1.0;
        else if (isnan(kept[i]))
            pairs[n++] = (nd_pair_key){members[i].kept_doc, members[i].doc};
    if (rc == 0)
        rc = nd_exact_jaccards(ctx, c, pairs, n, j);
    for (size_t i = 0, k = 0; i < n_members && rc == 0; i++)
        if (!same_text(c, &members[i]) && isnan(kept[i]))
            kept[i] = j[k++];
    free(pairs);
    free(j);
    if (rc < 0) {
        free(kept);
        kept = NULL;
    }
    *out = kept;
    return rc;
}
