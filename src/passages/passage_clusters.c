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

/* The places of the sides (sorted), each side's place in place_of, the sides of one
 * place joined in the forest. open (room for n) holds the places of the document being
 * swept that a later side may still overlap. */
static size_t merge_places(const side *s, size_t n, uint32_t *forest, nd_passage_place *places,
                           uint32_t *place_of, uint32_t *first_side, const side **first,
                           uint32_t *open)
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
        place_of[s[i].id] = (uint32_t)joined;
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

typedef struct listed_pair {
    uint32_t cluster, doc_a, doc_b;
} listed_pair;

static int compare_listed(const void *pa, const void *pb)
{
    const listed_pair *a = pa, *b = pb;
    if (a->cluster != b->cluster)
        return a->cluster < b->cluster ? -1 : 1;
    if (a->doc_a != b->doc_a)
        return a->doc_a < b->doc_a ? -1 : 1;
    return (a->doc_b > b->doc_b) - (a->doc_b < b->doc_b);
}

/* Pairs of documents of a cluster over ND_PASSAGE_ALL_PLACES places that no passage
 * joins. places is sorted by cluster and document; cluster_of gives each side's. */
static int count_unlisted(const nd_passage *p, size_t n, const nd_passage_place *places,
                          size_t n_places, const uint32_t *cluster_of, uint64_t *unlisted)
{
    listed_pair *l = malloc((n ? n : 1) * sizeof(*l));
    if (!l)
        return ND_ENOMEM;
    size_t n_listed = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i].doc_a != p[i].doc_b)
            l[n_listed++] = (listed_pair){cluster_of[2 * i], p[i].doc_a, p[i].doc_b};
    nd_sort(l, n_listed, sizeof(*l), compare_listed);
    *unlisted = 0;
    size_t at = 0; /* in l */
    for (size_t i = 0, end; i < n_places; i = end) {
        uint64_t docs = 0, places_in = 0, pairs = 0;
        for (end = i; end < n_places && places[end].cluster == places[i].cluster; end++) {
            docs += end == i || places[end].doc != places[end - 1].doc;
            places_in++;
        }
        for (; at < n_listed && l[at].cluster == places[i].cluster; at++)
            pairs += at == 0 || compare_listed(&l[at], &l[at - 1]) != 0;
        if (places_in > ND_PASSAGE_ALL_PLACES && docs * (docs - 1) / 2 > pairs)
            *unlisted += docs * (docs - 1) / 2 - pairs;
    }
    free(l);
    return 0;
}

int nd_passage_clusters(const nd_passage *p, size_t n, nd_passage_clustering *out)
{
    const size_t n_sides = 2 * n, room = n_sides ? n_sides : 1;
    *out = (nd_passage_clustering){0};
    if (n_sides > UINT32_MAX)
        return ND_ENOMEM;
    side *s = malloc(room * sizeof(*s));
    uint32_t *forest = nd_forest_new(room);
    uint32_t *place_of = malloc(room * sizeof(*place_of)); /* by side; then its cluster */
    uint32_t *first_side = malloc(room * sizeof(*first_side));
    uint32_t *number = malloc(room * sizeof(*number)); /* (also the open places) */
    const side **first = malloc(room * sizeof(*first));
    nd_passage_place *places = malloc(room * sizeof(*places));
    int rc = s && forest && place_of && first_side && number && first && places ? 0 : ND_ENOMEM;
    size_t n_places = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        s[2 * i] = (side){p[i].doc_a, (uint32_t)(2 * i), p[i].a_start, p[i].a_end};
        s[2 * i + 1] = (side){p[i].doc_b, (uint32_t)(2 * i + 1), p[i].b_start, p[i].b_end};
        nd_forest_join(forest, (uint32_t)(2 * i), (uint32_t)(2 * i + 1));
    }
    if (rc == 0) {
        nd_sort(s, n_sides, sizeof(*s), compare_sides);
        n_places = merge_places(s, n_sides, forest, places, place_of, first_side, first, number);
        for (size_t i = 0; i < n_sides; i++)
            number[i] = UINT32_MAX;
        out->n_clusters = number_clusters(places, n_places, forest, first_side, number);
        for (size_t i = 0; i < n_sides; i++)
            place_of[i] = places[place_of[i]].cluster;
        nd_sort(places, n_places, sizeof(*places), compare_places);
        rc = count_unlisted(p, n, places, n_places, place_of, &out->n_pairs_unlisted);
    }
    free(s);
    free(forest);
    free(place_of);
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
