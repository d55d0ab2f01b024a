/*
 * index_query.c: the feed index's query latency, through the library as a service would
 * call it: each JSONL line of QUERIES is one query (a corpus of one document, scanned,
 * looked up, verified exactly), timed from its bytes in memory to its verdict.
 *
 *   index_query DB QUERIES.jsonl [--default-malloc]
 *
 * A service that runs one small corpus after another should keep the memory it frees
 * (mallopt below, as `neardup index ... -` does): glibc otherwise gives a run's buffers
 * back to the kernel, which zeroes them again for the next, several times a query's own
 * work. --default-malloc measures without it.
 *
 * Prints the queries, their p50, p99 and largest latency, the duplicates found and the
 * process's resident memory, its own and the index's mapped pages apart.
 */
#define _GNU_SOURCE
#include "neardup.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One query; its seconds, and whether it found a duplicate in *dup. */
static double query(nd_index *x, const nd_options *opts, const char *line, size_t len, int *dup)
{
    const double t0 = now();
    nd_corpus *c = NULL;
    nd_index_result *r = NULL;
    const nd_index_feed_options fo = {.query = 1};
    if (nd_corpus_new(&c, opts) < 0 || nd_corpus_add_bytes(c, "query", 1, line, len) < 0 ||
        nd_index_feed(x, c, &fo, &r) < 0) {
        fprintf(stderr, "index_query: a query failed\n");
        exit(1);
    }
    *dup = nd_index_result_n_verdicts(r) &&
           nd_index_result_verdict(r, 0)->kind == ND_VERDICT_DUPLICATE;
    nd_index_result_free(r);
    nd_corpus_free(c);
    return now() - t0;
}

/* The process's resident memory now: its own (heap, stacks) and the index's pages mapped
 * from the page cache (which the kernel may drop at will). */
static void resident(long *anon_kb, long *file_kb)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    *anon_kb = *file_kb = -1;
    while (f && fgets(line, sizeof(line), f)) {
        sscanf(line, "RssAnon: %ld", anon_kb);
        sscanf(line, "RssFile: %ld", file_kb);
    }
    if (f)
        fclose(f);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--default-malloc"))) {
        fputs("usage: index_query DB QUERIES.jsonl [--default-malloc]\n", stderr);
        return 2;
    }
    if (argc == 3) {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
    }
    nd_index *x;
    char why[512];
    if (nd_index_open(&x, argv[1], ND_INDEX_READ, 0, NULL, NULL, why, sizeof(why)) < 0) {
        fprintf(stderr, "index_query: %s\n", why);
        return 1;
    }
    nd_options opts = *nd_index_options(x);
    opts.threads = 1;
    opts.input_format = ND_INPUT_JSONL;
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0, n = 0, n_cap = 0;
    ssize_t len;
    double *seconds = NULL;
    int dups = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (n == n_cap &&
            !(seconds = realloc(seconds, (n_cap = n_cap ? 2 * n_cap : 1024) * sizeof(*seconds))))
            return 1;
        int dup;
        seconds[n++] = query(x, &opts, line, (size_t)len, &dup);
        dups += dup;
    }
    fclose(f);
    free(line);
    qsort(seconds, n, sizeof(*seconds), compare_doubles);
    long anon_kb, file_kb;
    resident(&anon_kb, &file_kb);
    if (n)
        printf("queries %zu p50 %.3f ms p99 %.3f ms max %.3f ms duplicates %d rss_anon %ld MB "
               "rss_file %ld MB\n",
               n, 1e3 * seconds[n / 2], 1e3 * seconds[(size_t)((double)n * 0.99)],
               1e3 * seconds[n - 1], dups, anon_kb / 1024, file_kb / 1024);
    free(seconds);
    nd_index_close(x);
    return 0;
}
