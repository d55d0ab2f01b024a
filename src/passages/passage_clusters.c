/*
 * passage_clusters.c: the places of each reused text, as passim reports reprints.
 *
 * Each passage has two sides, each a place (document, [start, end)), and its two sides
 * are one text. In one document, the sides sorted by start (the longer first) are swept:
 * a side joins the first open place whose first side it overlaps by at least half of the
 * longer of the two, else it starts a place of its own; a place's row is the union of
 * its sides. Union-find over the sides gives the clusters. A text reprinted m times is
 * then one cluster of m places, however its passages were aligned (each reprint with
 * the first print, past ND_PASSAGE_ALL_PLACES).
 *
 * Why half of the longer, and against the first side: a licence's whole text and one
 * of its sections overlap, but are two texts, each reused in its own documents. Half of
 * the shorter, or against the growing union, let every such overlap join, and in a
 * corpus of licences most places ended in one cluster. Against the first side, a
 * place's extent stays within its first side's length of it.
 */
#include "passages/passage_clusters.h"

#include "common/base.h"
#include "pairs/cluster.h"
#include "pairs/lsh.h"

#include <stdlib.h>

typedef struct side {
    uint32_t doc;
    uint32_t id; /* 2 i for passage i's doc_a side, 2 i + 1 for its doc_b side */
    uint64_t start, end;
} side;

static int compare_sides(const void *pa, const void *pb)
{
    const side *a = pa, *b = pb;
    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end > b->end ? -1 : 1; /* the longer first */
    return (a->id > b->id) - (a->id < b->id);
}

static int compare_places(const void *pa, const void *pb)
{
    const nd_passage_place *a = pa, *b = pb;
    if (a->cluster != b->cluster)
        return a->cluster < b->cluster ? -1 : 1;
    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    return (a->start > b->start) - (a->start < b->start);
}

/* Whether side s (of the same document, starting at or after first) is first's place:
 * they overlap by at least half of the longer. */
static bool same_place(const side *first, const side *s)
{
    const uint64_t end = first->end < s->end ? first->end : s->end;
    if (end <= s->start)
        return false;
    const uint64_t len_first = first->end - first->start, len_s = s->end - s->start;
    return 2 * (end - s->start) >= (len_first > len_s ? len_first : len_s);
}

/* The places of the sides (sorted), the sides of one place joined in the forest. open (room for n)
 * holds the places of the document being swept that a later side may still overlap. */
static size_t merge_places(const side *s, size_t n, uint32_t *forest, nd_passage_place *places,
                           uint32_t *first_side, const side **first, uint32_t *open)
{
    size_t n_places = 0, n_open = 0;
    for (size_t i = 0; i < n; i++) {
        size_t kept = 0, joined = SIZE_MAX;
        for (size_t k = 0; k < n_open; k++) {
            const uint32_t at = open[k];
            if (places[at].doc != s[i].doc || first[at]->end <= s[i].start)
                continue; /* no later side overlaps its first side either */
            open[kept++] = at;
            if (joined == SIZE_MAX && same_place(first[at], &s[i]))
                joined = at;
        }
        n_open = kept;
        if (joined == SIZE_MAX) {
            joined = n_places++;
            first_side[joined] = s[i].id;
            first[joined] = &s[i];
            places[joined] = (nd_passage_place){0, s[i].doc, s[i].start, s[i].end, 0};
            open[n_open++] = (uint32_t)joined;
        } else {
            if (s[i].end > places[joined].end)
                places[joined].end = s[i].end;
            nd_forest_join(forest, first_side[joined], s[i].id);
        }
    }
    return n_places;
}

/* Numbers the clusters in the order of their first place (the places are in document
 * and start order); returns how many. */
static uint64_t number_clusters(nd_passage_place *places, size_t n_places, uint32_t *forest,
                                const uint32_t *first_side, uint32_t *number)
{
    uint64_t n_clusters = 0;
    for (size_t i = 0; i < n_places; i++) {
        const uint32_t root = nd_forest_find(forest, first_side[i]);
        if (number[root] == UINT32_MAX)
            number[root] = (uint32_t)n_clusters++;
        places[i].cluster = number[root];
    }
    return n_clusters;
}

/* (document, document) of a passage, or (document, cluster) of a place: pairs of
 * numbers sorted by the first, then the second (nd_compare_pair_keys). */
typedef nd_pair_key doc_pair;

/* The large clusters (over ND_PASSAGE_ALL_PLACES places) a document has places in: rows
 * (doc, cluster) sorted by document, then cluster. */
static size_t large_cluster_rows(const nd_passage_place *places, size_t n_places, doc_pair *rows,
                                 uint64_t *docs_in)
{
    size_t n = 0;
    for (size_t i = 0, end; i < n_places; i = end) {
        for (end = i; end < n_places && places[end].cluster == places[i].cluster; end++)
            ;
        if (end - i <= ND_PASSAGE_ALL_PLACES)
            continue;
        for (size_t k = i; k < end; k++)
            if (k == i || places[k].doc != places[k - 1].doc) {
                rows[n++] = (doc_pair){places[k].doc, places[k].cluster};
                docs_in[places[k].cluster]++;
            }
    }
    nd_sort(rows, n, sizeof(*rows), nd_compare_pair_keys);
    return n;
}

/* Where document doc's rows begin in rows[0..n) (sorted by document). */
static size_t rows_of(const doc_pair *rows, size_t n, uint32_t doc)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (rows[mid].a < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Pairs of documents of a large cluster that no passage joins (in any cluster): for each
 * large cluster, its documents' pairs less those a passage joins, counted once per pair
 * and cluster both documents have places in. places is sorted by cluster. */
static int count_unlisted(const nd_passage *p, size_t n, const nd_passage_place *places,
                          size_t n_places, uint64_t n_clusters, uint64_t *unlisted)
{
    doc_pair *joined = malloc((n ? n : 1) * sizeof(*joined));
    doc_pair *rows = malloc((n_places ? n_places : 1) * sizeof(*rows));
    uint64_t *docs_in = calloc(n_clusters ? n_clusters : 1, sizeof(*docs_in));
    uint64_t *listed = calloc(n_clusters ? n_clusters : 1, sizeof(*listed));
    int rc = joined && rows && docs_in && listed ? 0 : ND_ENOMEM;
    *unlisted = 0;
    if (rc == 0) {
        size_t n_joined = 0;
        for (size_t i = 0; i < n; i++)
            if (p[i].doc_a != p[i].doc_b)
                joined[n_joined++] = (doc_pair){p[i].doc_a, p[i].doc_b};
        n_joined = nd_pair_keys_unique(joined, n_joined);
        const size_t n_rows = large_cluster_rows(places, n_places, rows, docs_in);
        for (size_t i = 0; i < n_joined; i++) {
            size_t x = rows_of(rows, n_rows, joined[i].a), y = rows_of(rows, n_rows, joined[i].b);
            while (x < n_rows && y < n_rows && rows[x].a == joined[i].a &&
                   rows[y].a == joined[i].b) {
                if (rows[x].b == rows[y].b)
                    listed[rows[x].b]++;
                const uint32_t cx = rows[x].b, cy = rows[y].b;
                x += cx <= cy;
                y += cy <= cx;
            }
        }
        for (uint64_t c = 0; c < n_clusters; c++) {
            const uint64_t d = docs_in[c], pairs = d ? d * (d - 1) / 2 : 0;
            *unlisted += pairs > listed[c] ? pairs - listed[c] : 0;
        }
    }
    free(joined);
    free(rows);
    free(docs_in);
    free(listed);
    return rc;
}

int nd_passage_clusters(const nd_passage *p, size_t n, bool all_pairs, nd_passage_clustering *out)
{
    const size_t n_sides = 2 * n, room = n_sides ? n_sides : 1;
    *out = (nd_passage_clustering){0};
    if (n_sides > UINT32_MAX)
        return ND_ENOMEM;
    side *s = malloc(room * sizeof(*s));
    uint32_t *forest = nd_forest_new(room);
    uint32_t *first_side = malloc(room * sizeof(*first_side));
    uint32_t *number = malloc(room * sizeof(*number)); /* (also the open places) */
    const side **first = malloc(room * sizeof(*first));
    nd_passage_place *places = malloc(room * sizeof(*places));
    int rc = s && forest && first_side && number && first && places ? 0 : ND_ENOMEM;
    size_t n_places = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        s[2 * i] = (side){p[i].doc_a, (uint32_t)(2 * i), p[i].a_start, p[i].a_end};
        s[2 * i + 1] = (side){p[i].doc_b, (uint32_t)(2 * i + 1), p[i].b_start, p[i].b_end};
        nd_forest_join(forest, (uint32_t)(2 * i), (uint32_t)(2 * i + 1));
    }
    if (rc == 0) {
        nd_sort(s, n_sides, sizeof(*s), compare_sides);
        n_places = merge_places(s, n_sides, forest, places, first_side, first, number);
        for (size_t i = 0; i < n_sides; i++)
            number[i] = UINT32_MAX;
        out->n_clusters = number_clusters(places, n_places, forest, first_side, number);
        nd_sort(places, n_places, sizeof(*places), compare_places);
        if (!all_pairs)
            rc = count_unlisted(p, n, places, n_places, out->n_clusters, &out->n_pairs_unlisted);
    }
    free(s);
    free(forest);
    free(first_side);
    free(number);
    free(first);
    if (rc < 0) {
        free(places);
        return rc;
    }
    out->places = places;
    out->n_places = n_places;
    return 0;
}
