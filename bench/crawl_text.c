/*
 * crawl_text.c: HTML to text alone, for bench/run_crawl_bench.sh: reads the pages named on
 * the command line into memory, then turns each into its text (nd_html_to_text, one
 * thread) in R rounds, and prints the median round's MB/s of HTML and the share of the
 * pages' bytes that is text.
 *
 *   crawl_text ROUNDS PAGE...
 */
#define _POSIX_C_SOURCE 200809L
#include "decode/html_text.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: crawl_text ROUNDS PAGE...\n", stderr);
        return 2;
    }
    const int rounds = atoi(argv[1]), n = argc - 2;
    char **pages = calloc((size_t)n, sizeof(*pages));
    size_t *lens = calloc((size_t)n, sizeof(*lens)), text = 0;
    double *seconds = calloc((size_t)rounds, sizeof(*seconds));
    const size_t total = bench_load(argv + 2, n, pages, lens);
    if (total == 0)
        return 1;
    nd_html_parser *p;
    nd_offset_map map = {0};
    unsigned char *out = NULL;
    size_t cap = 0, len;
    if (nd_html_parser_new(&p) < 0)
        return 1;
    for (int r = 0; r < rounds; r++) {
        const double t0 = bench_now();
        text = 0;
        for (int i = 0; i < n; i++) {
            if (nd_html_to_text(p, (const unsigned char *)pages[i], lens[i], false, &out, &cap,
                                &len, &map) < 0)
                return fprintf(stderr, "%s: failed\n", argv[i + 2]), 1;
            text += len;
        }
        seconds[r] = bench_now() - t0;
    }
    const double median = bench_median(seconds, (size_t)rounds);
    printf("%.1f MB/s of HTML (median of %d rounds, %.1f MB in %d pages, %.0f%% text)\n",
           (double)total / median / 1e6, rounds, (double)total / 1e6, n,
           100.0 * (double)text / (double)total);
    return 0;
}
