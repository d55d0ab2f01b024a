/*
 * crawl_stats.h: what a deduplication would remove, overall, by cluster size and by
 * host: the figures a team benchmarking a crawl reports (--stats, --run-info, report).
 */
#ifndef ND_CRAWL_STATS_H
#define ND_CRAWL_STATS_H

#include "output/result.h"

#include <stddef.h>
#include <stdint.h>

/* Documents and their bytes, and of them the duplicates (members of a cluster other
 * than its kept document: what a deduplication removes). */
typedef struct nd_dup_count {
    uint64_t docs, bytes, dup_docs, dup_bytes;
} nd_dup_count;

/* Clusters whose size lies in (min / 2, min] for min a power of two from 2 on. */
#define ND_SIZE_CLASSES 32

typedef struct nd_host_count {
    char *host;
    nd_dup_count count;
} nd_host_count;

typedef struct nd_crawl_stats {
    nd_dup_count all;
    uint64_t clusters[ND_SIZE_CLASSES], clustered_docs[ND_SIZE_CLASSES];
    nd_host_count *hosts; /* documents with a URL (WARC), by documents, then name */
    size_t n_hosts;
} nd_crawl_stats;

/* The statistics of a result; *out is disposed of with nd_crawl_stats_dispose. */
int nd_crawl_stats_of(const nd_result *r, nd_crawl_stats *out);
void nd_crawl_stats_dispose(nd_crawl_stats *s);

#endif
