/*
 * base.c: growing arrays, sorting, whole reads and writes, the clock, the messages of the
 * error codes, reports.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, pread, pwrite */
#include "common/base.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int nd_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / elem)
        return ND_ENOMEM;
    void *q = realloc(*p, n * elem);
    if (!q)
        return ND_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

int nd_pwrite_all(int fd, uint64_t at, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    while (len > 0) {
        const ssize_t put = pwrite(fd, p, len, (off_t)at);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0) {
            errno = put < 0 ? errno : ENOSPC;
            return -1;
        }
        p += put, len -= (size_t)put, at += (uint64_t)put;
    }
    return 0;
}

int nd_pread_all(int fd, uint64_t at, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        const ssize_t got = pread(fd, p, len, (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            errno = got < 0 ? errno : 0;
            return -1;
        }
        p += got, len -= (size_t)got, at += (uint64_t)got;
    }
    return 0;
}

void nd_sort(void *base, size_t n, size_t size, int (*compare)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, compare);
}

double nd_seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *nd_strerror(int code)
{
    switch (code) {
    case ND_OK: return "success";
    case ND_ENOMEM: return "out of memory";
    case ND_EIO: return "reading or writing a file failed";
    case ND_EUTF8: return "invalid UTF-8";
    case ND_EFORMAT: return "input is not in the format it claims";
    case ND_EINVAL: return "invalid argument or option";
    case ND_EICU: return "ICU failure";
    case ND_EINDEX: return "not a neardup index, of another schema, or damaged";
    case ND_EBUSY: return "another process is writing to the index";
    case ND_EEXIST: return "it exists already";
    default: return "unknown error";
    }
}

void nd_vreport(nd_diag_fn fn, void *payload, nd_diag_level level, int code, const char *path,
                int64_t offset, const char *fmt, va_list ap)
{
    if (!fn)
        return;
    char message[512];
    vsnprintf(message, sizeof(message), fmt, ap);
    const nd_diag d = {level, code, path, offset, message};
    fn(&d, payload);
}

int nd_compare_hash_docs(const void *pa, const void *pb)
{
    const nd_hash_doc *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    return (a->doc > b->doc) - (a->doc < b->doc);
}
