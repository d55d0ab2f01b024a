/*
 * passage_clusters.h: stage 9, passages -> the places of each reused text.
 */
#ifndef ND_PASSAGE_CLUSTERS_H
#define ND_PASSAGE_CLUSTERS_H

#include "neardup.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nd_passage_clustering {
    nd_passage_place *places; /* by cluster, document and start; words left 0 */
    size_t n_places;
    uint64_t n_clusters;
    uint64_t n_pairs_unlisted; /* see nd_stats.n_passage_pairs_unlisted */
} nd_passage_clustering;

/* Joins the two sides of each passage of p[0..n), and the sides of one document that
 * overlap a place's first side by at least half of the longer, into clusters (see
 * nd_passage_place). With all_pairs (every two places aligned), no pair is unlisted. */
int nd_passage_clusters(const nd_passage *p, size_t n, bool all_pairs, nd_passage_clustering *out);

#endif
