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

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: crawl_text ROUNDS PAGE...\n", stderr);
        return 2;
    }
    const int rounds = atoi(argv[1]), n = argc - 2;
    unsigned char **pages = calloc((size_t)n, sizeof(*pages));
    size_t *lens = calloc((size_t)n, sizeof(*lens)), total = 0, text = 0;
    double *seconds = calloc((size_t)rounds, sizeof(*seconds));
    for (int i = 0; i < n; i++) {
        FILE *f = fopen(argv[i + 2], "rb");
        if (!f || fseek(f, 0, SEEK_END) != 0)
            return perror(argv[i + 2]), 1;
        lens[i] = (size_t)ftell(f);
        rewind(f);
        pages[i] = malloc(lens[i] + 1);
        if (fread(pages[i], 1, lens[i], f) != lens[i])
            return perror(argv[i + 2]), 1;
        fclose(f);
        total += lens[i];
    }
    nd_html_parser *p;
    nd_offset_map map = {0};
    unsigned char *out = NULL;
    size_t cap = 0, len;
    if (nd_html_parser_new(&p) < 0)
        return 1;
    for (int r = 0; r < rounds; r++) {
        const double t0 = now();
        text = 0;
        for (int i = 0; i < n; i++) {
            if (nd_html_to_text(p, pages[i], lens[i], false, &out, &cap, &len, &map) < 0)
                return fprintf(stderr, "%s: failed\n", argv[i + 2]), 1;
            text += len;
        }
        seconds[r] = now() - t0;
    }
    qsort(seconds, (size_t)rounds, sizeof(*seconds), by_value);
    printf("%.1f MB/s of HTML (median of %d rounds, %.1f MB in %d pages, %.0f%% text)\n",
           (double)total / seconds[rounds / 2] / 1e6, rounds, (double)total / 1e6, n,
           100.0 * (double)text / (double)total);
    return 0;
}
