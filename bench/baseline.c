/*
 * baseline.c: what this machine does with the same bytes before any text work:
 * read() them from the page cache, and XXH3 over them, in MB/s (median of 5).
 *
 *   baseline FILE
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    struct stat st;
    if (argc != 2 || stat(argv[1], &st) != 0) {
        fputs("usage: baseline FILE\n", stderr);
        return 2;
    }
    const size_t size = (size_t)st.st_size;
    unsigned char *buf = malloc(size ? size : 1);
    double read_rate[5], hash_rate[5];
    uint64_t sink = 0;
    for (int round = 0; round < 5; round++) {
        const int fd = open(argv[1], O_RDONLY);
        double t = now();
        size_t n = 0;
        for (ssize_t got; n < size && (got = read(fd, buf + n, 1 << 20)) > 0;)
            n += (size_t)got;
        read_rate[round] = (double)n / 1e6 / (now() - t);
        close(fd);
        t = now();
        sink += XXH3_64bits(buf, n);
        hash_rate[round] = (double)n / 1e6 / (now() - t);
    }
    qsort(read_rate, 5, sizeof(double), compare_doubles);
    qsort(hash_rate, 5, sizeof(double), compare_doubles);
    printf("read_mb_s=%.0f xxh3_mb_s=%.0f bytes=%zu sink=%llu\n", read_rate[2], hash_rate[2], size,
           (unsigned long long)(sink & 1));
    free(buf);
    return 0;
}
