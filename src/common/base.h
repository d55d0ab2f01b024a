/*
 * base.h: helpers every part of neardup uses: growing arrays, sorting, hashing, the clock.
 */
#ifndef ND_BASE_H
#define ND_BASE_H

#include "neardup.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Grows *p (of elements of size elem) so that it holds at least need elements. */
int nd_grow(void **p, size_t *cap, size_t need, size_t elem);
#define ND_GROW(p, cap, need) nd_grow((void **)&(p), &(cap), (need), sizeof(*(p)))

/* qsort that accepts an empty or NULL array (qsort itself may not be given NULL). */
void nd_sort(void *base, size_t n, size_t size, int (*compare)(const void *, const void *));

/* Copies a flat record: the usual sizes of sort records (8 and 16 bytes) as copies the
 * compiler inlines, where a size known only at run time is a call into libc. */
static inline void nd_copy_record(void *to, const void *from, size_t size)
{
    if (size == 16)
        memcpy(to, from, 16);
    else if (size == 8)
        memcpy(to, from, 8);
    else
        memcpy(to, from, size);
}

/* splitmix64's finish: one-to-one, every input bit reaches every output bit. */
static inline uint64_t nd_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ x >> 31;
}

/* A document by a 64-bit hash of something of it (its id, its text), to sort and find
 * repeats: by hash, then document. */
typedef struct nd_hash_doc {
    uint64_t hash;
    uint32_t doc;
} nd_hash_doc;
int nd_compare_hash_docs(const void *a, const void *b);

/* Reports a diagnostic, its message formatted from fmt, through fn (NULL: dropped). */
void nd_vreport(nd_diag_fn fn, void *payload, nd_diag_level level, int code, const char *path,
                int64_t offset, const char *fmt, va_list ap);

/* Writes all len bytes at offset at of fd (pwrite, again after EINTR or a short write):
 * 0, or -1 with errno set (ENOSPC for a write that wrote nothing). */
int nd_pwrite_all(int fd, uint64_t at, const void *bytes, size_t len);
/* Reads all len bytes at offset at of fd: 0, or -1 (errno 0 where the file ends first). */
int nd_pread_all(int fd, uint64_t at, void *buf, size_t len);

/* Seconds on a monotonic clock, for the stages' timings. */
double nd_seconds_now(void);

#endif
