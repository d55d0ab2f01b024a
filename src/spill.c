/*
 * spill.c: the scratch file behind nd_spill (see spill.h).
 */
#define _GNU_SOURCE
#include "spill.h"

#include "nd_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct nd_spill {
    int fd;
    uint64_t end;
    pthread_mutex_t lock;
};

static int open_unlinked(const char *dir)
{
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    char path[4096];
    snprintf(path, sizeof(path), "%s/neardup-spill-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC); /* a file system without O_TMPFILE */
    if (fd >= 0)
        unlink(path);
    return fd;
}

int nd_spill_open(nd_spill **out, const char *dir)
{
    if (!dir)
        dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    nd_spill *s = calloc(1, sizeof(*s));
    if (!s)
        return ND_ENOMEM;
    s->fd = open_unlinked(dir);
    if (s->fd < 0) {
        free(s);
        return ND_EIO;
    }
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return 0;
}

void nd_spill_close(nd_spill *s)
{
    if (!s)
        return;
    close(s->fd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int write_at(int fd, const void *data, size_t len, uint64_t offset)
{
    const unsigned char *p = data;
    while (len > 0) {
        const ssize_t put = pwrite(fd, p, len, (off_t)offset);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return ND_EIO;
        p += put, len -= (size_t)put, offset += (uint64_t)put;
    }
    return 0;
}

int nd_spill_append(nd_spill *s, const void *data, size_t len, uint64_t *offset)
{
    pthread_mutex_lock(&s->lock);
    *offset = s->end;
    s->end += len; /* reserve, then write outside the lock */
    pthread_mutex_unlock(&s->lock);
    return write_at(s->fd, data, len, *offset);
}

#define BATCH_BYTES (1u << 20)

int nd_spill_batch_flush(nd_spill *s, nd_spill_batch *b)
{
    uint64_t base;
    if (b->len == 0)
        return 0;
    const int rc = nd_spill_append(s, b->data, b->len, &base);
    for (size_t i = 0; rc == 0 && i < b->n_fixups; i++)
        *b->fixups[i].offset = base + b->fixups[i].at;
    b->len = b->n_fixups = 0;
    return rc;
}

int nd_spill_batch_add(nd_spill *s, nd_spill_batch *b, const void *data, size_t len,
                       uint64_t *offset)
{
    if (len == 0) { /* nothing to read back: any offset does */
        *offset = 0;
        return 0;
    }
    if (len >= BATCH_BYTES) /* a record this large goes straight to the file */
        return nd_spill_append(s, data, len, offset);
    if (b->len + len > BATCH_BYTES) {
        const int rc = nd_spill_batch_flush(s, b);
        if (rc < 0)
            return rc;
    }
    if (ND_GROW(b->data, b->cap, b->len + len) < 0 ||
        ND_GROW(b->fixups, b->fixups_cap, b->n_fixups + 1) < 0)
        return ND_ENOMEM;
    memcpy(b->data + b->len, data, len);
    b->fixups[b->n_fixups++] = (struct nd_spill_fixup){offset, b->len};
    b->len += len;
    return 0;
}

void nd_spill_batch_dispose(nd_spill_batch *b)
{
    free(b->data);
    free(b->fixups);
    *b = (nd_spill_batch){0};
}

int nd_spill_read(nd_spill *s, uint64_t offset, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        const ssize_t got = pread(s->fd, p, len, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return ND_EIO;
        p += got, len -= (size_t)got, offset += (uint64_t)got;
    }
    return 0;
}

uint64_t nd_spill_size(nd_spill *s)
{
    pthread_mutex_lock(&s->lock);
    const uint64_t end = s->end;
    pthread_mutex_unlock(&s->lock);
    return end;
}
