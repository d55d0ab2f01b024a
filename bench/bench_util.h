/*
 * bench_util.h: what the benchmark programs share: a monotonic clock, medians, and files
 * read whole into memory.
 */
#ifndef ND_BENCH_UTIL_H
#define ND_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline int bench_by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), sorting v. */
static inline double bench_median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), bench_by_value);
    return v[n / 2];
}

/* Reads the n files named by paths into pages[i] (malloc'd) of lens[i] bytes; their total
 * size, or 0 after saying which could not be read. */
static inline size_t bench_load(char *const *paths, int n, char **pages, size_t *lens)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (!f || fseek(f, 0, SEEK_END) != 0) {
            perror(paths[i]);
            return 0;
        }
        lens[i] = (size_t)ftell(f);
        rewind(f);
        pages[i] = malloc(lens[i] + 1);
        if (!pages[i] || fread(pages[i], 1, lens[i], f) != lens[i]) {
            perror(paths[i]);
            return 0;
        }
        fclose(f);
        total += lens[i];
    }
    return total;
}

#endif
