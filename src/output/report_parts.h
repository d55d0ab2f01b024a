/*
 * report_parts.h: the pieces of the HTML report (report_html.c puts them together): text
 * escaped, a passage's two sides compared word by word, and the charts.
 */
#ifndef ND_REPORT_PARTS_H
#define ND_REPORT_PARTS_H

#include "output/crawl_stats.h"
#include "output/result.h"

#include <stdio.h>

/* Writes s[0..len) escaped for HTML text and attributes, bad UTF-8 as U+FFFD. */
void nd_put_escaped(FILE *out, const unsigned char *s, size_t len);

/* Writes side[0..len), one side of a passage, with the words the other side lacks marked
 * (<ins> on side b, <del> on side a); words compare without their punctuation. Sides of
 * more than a few thousand words are written unmarked. */
int nd_put_word_diff(FILE *out, const unsigned char *side, size_t len, const unsigned char *other,
                     size_t other_len, bool side_b);

/* The charts, as inline SVG: which pairs LSH makes candidates (the S-curve of the bands
 * and rows, the threshold, the counts), and the clusters by size. */
void nd_put_lsh_chart(FILE *out, const nd_stats *s, double threshold);
/* How similar the candidate pairs compared are (their MinHash estimates), with the
 * threshold marked. */
void nd_put_similarity_chart(FILE *out, const nd_stats *s, double threshold);
void nd_put_cluster_chart(FILE *out, const nd_crawl_stats *cs);
/* For documents with a URL (WARC): the share of each host's documents that are
 * duplicates, for the hosts with the most documents. */
void nd_put_host_chart(FILE *out, const nd_crawl_stats *cs);

#endif
