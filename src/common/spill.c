/*
 * spill.c: the scratch file behind nd_spill (see spill.h).
 */
#define _GNU_SOURCE
#include "common/spill.h"
#include "common/scratch.h"

#include "common/base.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* One file per lane: a thread appends to the lane its thread id hashes to, so that two
 * threads' writes seldom queue on one file's lock in the kernel (two threads that
 * share a lane only share a file). An offset holds its lane in its top bits. */
#define LANES ND_SPILL_LANES
#define LANE_SHIFT ND_SPILL_LANE_SHIFT

/* A read-only mapping of a lane's file, for nd_spill_view. */
typedef struct view {
    unsigned char *p;
    size_t n;
} view;

struct nd_spill {
    int fd[LANES]; /* -1 until a thread of that lane appends */
    uint64_t end[LANES];
    view current[LANES];       /* the latest mapping of each lane */
    view *older;               /* mappings replaced by larger ones: kept until close, since */
    size_t n_older, older_cap; /* pointers into them may still be in use */
    char *dir;
    nd_scratch_pool *scratch; /* of the batches' buffers */
    pthread_mutex_t lock;
    atomic_int error; /* errno of the first failure, for the message */
};

/* Keeps the first failure's errno; returns ND_EIO. */
static int failed(nd_spill *s, int error)
{
    int none = 0;
    atomic_compare_exchange_strong(&s->error, &none, error ? error : EIO);
    return ND_EIO;
}

static int thread_lane(void)
{
    const pthread_t self = pthread_self();
    uint64_t id = 0;
    memcpy(&id, &self, sizeof(self) < sizeof(id) ? sizeof(self) : sizeof(id));
    return (int)(nd_mix64(id) % LANES);
}

const char *nd_temp_dir(const char *dir)
{
    if (!dir)
        dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

int nd_temp_file(const char *dir)
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

int nd_spill_open(nd_spill **out, const char *dir, nd_scratch_pool *scratch)
{
    dir = nd_temp_dir(dir);
    nd_spill *s = calloc(1, sizeof(*s));
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        return ND_ENOMEM;
    }
    s->scratch = scratch;
    for (int l = 0; l < LANES; l++)
        s->fd[l] = -1;
    s->fd[0] = nd_temp_file(dir); /* a directory that cannot take one fails now */
    if (s->fd[0] < 0) {
        free(s->dir);
        free(s);
        return ND_EIO;
    }
    pthread_mutex_init(&s->lock, NULL);
    atomic_init(&s->error, 0);
    *out = s;
    return 0;
}

void nd_spill_close(nd_spill *s)
{
    if (!s)
        return;
    for (int l = 0; l < LANES; l++) {
        if (s->current[l].p)
            munmap(s->current[l].p, s->current[l].n);
        if (s->fd[l] >= 0)
            close(s->fd[l]);
    }
    for (size_t i = 0; i < s->n_older; i++)
        munmap(s->older[i].p, s->older[i].n);
    free(s->older);
    pthread_mutex_destroy(&s->lock);
    free(s->dir);
    free(s);
}

static int write_at(nd_spill *s, int fd, const void *data, size_t len, uint64_t offset)
{
    return nd_pwrite_all(fd, offset, data, len) < 0 ? failed(s, errno) : 0;
}

int nd_spill_reserve(nd_spill *s, size_t len, uint64_t *offset)
{
    const int lane = thread_lane();
    pthread_mutex_lock(&s->lock);
    if (s->fd[lane] < 0 && (s->fd[lane] = nd_temp_file(s->dir)) < 0)
        failed(s, errno);
    const int fd = s->fd[lane];
    /* 8-byte aligned, so that records read through a mapping are aligned whatever was
     * reserved before them */
    const uint64_t at = (s->end[lane] + 7) & ~(uint64_t)7;
    s->end[lane] = at + len; /* reserved: written outside the lock */
    pthread_mutex_unlock(&s->lock);
    *offset = (uint64_t)lane << LANE_SHIFT | at;
    return fd < 0 ? ND_EIO : 0;
}

int nd_spill_write(nd_spill *s, uint64_t offset, const void *data, size_t len)
{
    return write_at(s, s->fd[offset >> LANE_SHIFT], data, len,
                    offset & (((uint64_t)1 << LANE_SHIFT) - 1));
}

int nd_spill_append(nd_spill *s, const void *data, size_t len, uint64_t *offset)
{
    const int rc = nd_spill_reserve(s, len, offset);
    return rc < 0 ? rc : nd_spill_write(s, *offset, data, len);
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

/* A batch's first buffer: what a run of one short document (a query) writes fits in it,
 * and malloc's pages cost it less than a mapping's first huge page. */
#define FIRST_BATCH_BYTES (64u << 10)

/* Room for len more bytes in b (len < BATCH_BYTES): a first buffer, a full-size one in
 * its place once it is full, or the full-size one flushed. */
static int batch_room(nd_spill *s, nd_spill_batch *b, size_t len)
{
    if (b->len + len <= b->cap)
        return 0;
    if (b->cap == BATCH_BYTES)
        return nd_spill_batch_flush(s, b);
    /* a scratch mapping: its huge pages are reused from stage to stage, where a fresh
     * malloc's small pages cost a fault each */
    const size_t cap = b->len + len <= FIRST_BATCH_BYTES ? FIRST_BATCH_BYTES : BATCH_BYTES;
    unsigned char *data = nd_scratch_remap(s->scratch, b->data, b->cap, cap);
    if (!data)
        return ND_ENOMEM;
    b->data = data;
    b->cap = cap;
    return 0;
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
    const int rc = batch_room(s, b, len);
    if (rc < 0)
        return rc;
    if (ND_GROW(b->fixups, b->fixups_cap, b->n_fixups + 1) < 0)
        return ND_ENOMEM;
    memcpy(b->data + b->len, data, len);
    b->fixups[b->n_fixups++] = (struct nd_spill_fixup){offset, b->len};
    b->len += len;
    return 0;
}

void nd_spill_batch_dispose(nd_spill *s, nd_spill_batch *b)
{
    nd_scratch_unmap(s ? s->scratch : NULL, b->data, b->cap);
    free(b->fixups);
    *b = (nd_spill_batch){0};
}

int nd_spill_read_upto(nd_spill *s, uint64_t offset, void *buf, size_t min, size_t max, size_t *got)
{
    unsigned char *p = buf;
    const int fd = s->fd[offset >> LANE_SHIFT];
    offset &= ((uint64_t)1 << LANE_SHIFT) - 1;
    *got = 0;
    while (*got < min) {
        const ssize_t n = pread(fd, p + *got, max - *got, (off_t)(offset + *got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return failed(s, n < 0 ? errno : EIO);
        *got += (size_t)n;
    }
    return 0;
}

int nd_spill_read(nd_spill *s, uint64_t offset, void *buf, size_t len)
{
    size_t got;
    return nd_spill_read_upto(s, offset, buf, len, len, &got);
}

uint64_t nd_spill_bytes(nd_spill *s)
{
    uint64_t bytes = 0;
    pthread_mutex_lock(&s->lock);
    for (int l = 0; l < LANES; l++)
        bytes += s->end[l];
    pthread_mutex_unlock(&s->lock);
    return bytes;
}

int nd_spill_error(nd_spill *s)
{
    return atomic_load(&s->error);
}

const char *nd_spill_dir(const nd_spill *s)
{
    return s->dir;
}

/* Maps lane l's file as it is now (its written bytes), keeping the mapping it replaces. */
static int map_lane(nd_spill *s, int l)
{
    struct stat st;
    if (fstat(s->fd[l], &st) != 0)
        return failed(s, errno);
    if (s->current[l].p) {
        if (ND_GROW(s->older, s->older_cap, s->n_older + 1) < 0)
            return ND_ENOMEM;
        s->older[s->n_older++] = s->current[l];
        s->current[l] = (view){NULL, 0};
    }
    if (st.st_size == 0)
        return 0;
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, s->fd[l], 0);
    if (p == MAP_FAILED)
        return failed(s, errno);
    s->current[l] = (view){p, (size_t)st.st_size};
    return 0;
}

const void *nd_spill_view(nd_spill *s, uint64_t offset, size_t len)
{
    const int l = (int)(offset >> LANE_SHIFT);
    const uint64_t at = offset & (((uint64_t)1 << LANE_SHIFT) - 1);
    const unsigned char *p = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->fd[l] >= 0 && at + len > s->current[l].n)
        map_lane(s, l);
    if (at + len <= s->current[l].n)
        p = s->current[l].p + at;
    else
        failed(s, EIO);
    pthread_mutex_unlock(&s->lock);
    return p;
}

int nd_spill_map_all(nd_spill *s, nd_spill_map *m)
{
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    for (int l = 0; l < LANES; l++) {
        if (rc == 0 && s->fd[l] >= 0 && s->current[l].n < s->end[l])
            rc = map_lane(s, l);
        m->p[l] = s->current[l].p;
        m->n[l] = s->current[l].n;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void nd_spill_drop_views(nd_spill *s)
{
    pthread_mutex_lock(&s->lock);
    for (int l = 0; l < LANES; l++)
        if (s->current[l].p)
            (void)madvise(s->current[l].p, s->current[l].n, MADV_DONTNEED);
    pthread_mutex_unlock(&s->lock);
}
