/*
 * spool.c: a stream that can be read only once -> a temporary file (see spool.h).
 *
 * The stream goes through in chunks and is never held whole: a small compressed file
 * may decode to gigabytes. What it holds is known from its first bytes, and the caller
 * says then how much of it to keep: a stream of one document stops a byte past
 * --max-doc-size (the document is skipped anyway), JSONL and WARC streams are kept
 * whole, to be held to the limit a line or a record at a time.
 */
#define _GNU_SOURCE
#include "input/spool.h"

#include "common/base.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define CHUNK (1u << 20)

typedef struct spool_sink {
    nd_spool *spool; /* its bytes go at spool->base of spool->fd */
    nd_spool_limit_fn limit_of;
    void *payload;
    uint64_t limit; /* UINT64_MAX until the first bytes are in */
    bool limit_known;
} spool_sink;

/* Asks the caller for the limit, from the first bytes written. */
static int decide_limit(spool_sink *k)
{
    unsigned char head[ND_SPOOL_HEAD];
    const size_t want = k->spool->size < sizeof(head) ? (size_t)k->spool->size : sizeof(head);
    if (pread(k->spool->fd, head, want, (off_t)k->spool->base) != (ssize_t)want) {
        k->spool->write_failed = true;
        return ND_EIO;
    }
    k->limit = k->limit_of(head, want, k->payload);
    k->limit_known = true;
    return 0;
}

/* Keeps the first limit bytes: those past it are cut off the file. */
static int hold_to_limit(spool_sink *k)
{
    if (k->spool->size <= k->limit)
        return 0;
    k->spool->cut_short = true;
    k->spool->size = k->limit;
    if (ftruncate(k->spool->fd, (off_t)(k->spool->base + k->limit)) < 0) {
        k->spool->write_failed = true;
        return ND_EIO;
    }
    return ND_SINK_STOP;
}

static int spool_bytes(const unsigned char *bytes, size_t len, void *payload)
{
    spool_sink *k = payload;
    if (nd_pwrite_all(k->spool->fd, k->spool->base + k->spool->size, bytes, len) < 0) {
        k->spool->write_failed = true;
        return ND_EIO;
    }
    k->spool->size += len;
    if (!k->limit_known && k->spool->size >= ND_SPOOL_HEAD) {
        const int rc = decide_limit(k);
        if (rc < 0)
            return rc;
    }
    return k->limit_known ? hold_to_limit(k) : 0;
}

/* An uncompressed stream, through the same sink. */
static int copy_plain(int fd, spool_sink *k)
{
    unsigned char *buf = malloc(CHUNK);
    int rc = buf ? 0 : ND_ENOMEM;
    while (rc == 0) {
        const ssize_t got = read(fd, buf, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = got < 0 ? ND_EIO : 0;
            break;
        }
        rc = spool_bytes(buf, (size_t)got, k);
    }
    free(buf);
    return rc == ND_SINK_STOP ? 0 : rc;
}

int nd_spool_stream(int in_fd, nd_compression kind, int out_fd, uint64_t base,
                    nd_spool_limit_fn limit_of, void *payload, nd_spool *out)
{
    *out = (nd_spool){.fd = out_fd, .base = base, .bad_offset = -1};
    spool_sink k = {out, limit_of, payload, UINT64_MAX, false};
    int rc = kind == ND_PLAIN ? copy_plain(in_fd, &k)
                              : nd_decompress_fd(kind, in_fd, spool_bytes, &k, &out->bad_offset);
    const int saved = errno;
    if (rc >= 0 && !k.limit_known && out->size < ND_SPOOL_HEAD) { /* a short stream */
        const int held = decide_limit(&k);
        rc = held < 0 ? held : hold_to_limit(&k) < 0 ? ND_EIO : rc;
    } else {
        errno = saved;
    }
    return rc;
}
