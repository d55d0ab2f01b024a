/*
 * cluster.h: the cluster stage, verified pairs -> clusters with one kept document each.
 */
#ifndef ND_CLUSTER_H
#define ND_CLUSTER_H

#include "common/context.h"
#include "input/corpus.h"

/* Union-find over document numbers, parent[x] the next document up x's tree; a set's
 * root is its smallest document. nd_forest_new gives each document its own set (free()
 * it); NULL when there is no memory. */
uint32_t *nd_forest_new(size_t n_docs);
uint32_t nd_forest_find(uint32_t *parent, uint32_t x);
void nd_forest_join(uint32_t *parent, uint32_t a, uint32_t b);

/* Joins the pairs (sorted by doc_a, doc_b) into clusters with union-find.
 * Clusters are numbered from 1 in input order of their first document; each
 * pair gets its cluster number. *members gets one row per document of a
 * cluster, ordered by cluster then document. doc_len (bytes) serves
 * ND_KEEP_LONGEST; ties go to the first document. */
int nd_cluster(size_t n_docs, const uint64_t *doc_len, nd_keep_rule keep, nd_pair *pairs,
               size_t n_pairs, nd_member **members, size_t *n_members, size_t *n_clusters);

/* The cluster stage: nd_cluster over the corpus's documents, kept by its --keep rule. */
int nd_cluster_stage(const nd_corpus *c, nd_pair *pairs, size_t n_pairs, nd_member **members,
                     size_t *n_members, size_t *n_clusters);

/* The exact Jaccard of each member with its cluster's kept document (1 for the kept one
 * itself), in *out (malloc'd, n_members values): what --remove reports. A pair of a member
 * and its kept document among pairs (verified or listed: exact) gives it; for the others the kept
 * document is read once for the members of its cluster, which come in a row. */
int nd_kept_jaccards(nd_run_ctx *ctx, const nd_corpus *c, const nd_member *members,
                     size_t n_members, const nd_pair *verified, size_t n_verified, double **out);

#endif
