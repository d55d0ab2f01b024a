/*
 * baseline.c: what this machine does with the same bytes before any text work:
 * read() them from the page cache, and XXH3 over them, in MB/s (median of 5);
 * and what fresh memory costs: the first touch of 64 MB of anonymous pages, in
 * 4 KiB pages (median of 5) and in 2 MiB pages (the first time in this process,
 * and the median of four more, which get the pages just given back). Under a
 * hypervisor a fault can cost many times what zeroing the page does.
 *
 *   baseline FILE
 */
#define _GNU_SOURCE /* madvise */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

#define FRESH_BYTES ((size_t)64 << 20)

/* MB/s of the first touch of FRESH_BYTES of fresh memory, in huge pages or not; 0 when
 * it cannot be mapped. */
static double fresh_rate(bool huge)
{
    const double t = now();
    unsigned char *p =
        mmap(NULL, FRESH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
#if defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
    (void)madvise(p, FRESH_BYTES, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#else
    (void)huge;
#endif
    for (size_t i = 0; i < FRESH_BYTES; i += 4096)
        p[i] = 1;
    const double rate = (double)FRESH_BYTES / 1e6 / (now() - t);
    munmap(p, FRESH_BYTES);
    return rate;
}

int main(int argc, char **argv)
{
    struct stat st;
    if (argc != 2 || stat(argv[1], &st) != 0) {
        fputs("usage: baseline FILE\n", stderr);
        return 2;
    }
    const size_t size = (size_t)st.st_size;
    double small[5], huge[5];
    huge[0] = fresh_rate(true); /* before this process has given any memory back */
    unsigned char *buf = malloc(size ? size : 1);
    double read_rate[5], hash_rate[5];
    uint64_t sink = 0;
    for (int round = 0; round < 5; round++) {
        const int fd = open(argv[1], O_RDONLY);
        double t = now();
        size_t n = 0;
        while (n < size) {
            const ssize_t got = read(fd, buf + n, size - n < (1u << 20) ? size - n : (1u << 20));
            if (got <= 0)
                break;
            n += (size_t)got;
        }
        read_rate[round] = (double)n / 1e6 / (now() - t);
        close(fd);
        t = now();
        sink += XXH3_64bits(buf, n);
        hash_rate[round] = (double)n / 1e6 / (now() - t);
    }
    for (int round = 0; round < 5; round++) {
        small[round] = fresh_rate(false);
        if (round > 0)
            huge[round] = fresh_rate(true);
    }
    qsort(read_rate, 5, sizeof(double), compare_doubles);
    qsort(hash_rate, 5, sizeof(double), compare_doubles);
    qsort(small, 5, sizeof(double), compare_doubles);
    qsort(huge + 1, 4, sizeof(double), compare_doubles);
    printf("read_mb_s=%.0f xxh3_mb_s=%.0f fresh_4k_mb_s=%.0f fresh_2m_first_mb_s=%.0f "
           "fresh_2m_again_mb_s=%.0f bytes=%zu sink=%llu\n",
           read_rate[2], hash_rate[2], small[2], huge[0], (huge[2] + huge[3]) / 2, size,
           (unsigned long long)(sink & 1));
    free(buf);
    return 0;
}
