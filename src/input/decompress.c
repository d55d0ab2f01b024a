/*
 * decompress.c: gzip (zlib) and zstd, as streams: compressed bytes are read a chunk
 * at a time and what they decode to goes to a sink a chunk at a time, so neither the
 * input nor its output is ever held whole (a small file may decode to gigabytes).
 *
 * A gzip file may hold several members (WARC files compress each record as its own
 * member) and a zstd file several frames: both loops go on until the input ends. A
 * stream that ends early or is corrupt is an error naming the compressed byte offset,
 * and what was decoded before it has been delivered.
 */
#include "input/decompress.h"

#include "common/base.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_d_forceIgnoreChecksum */
#include <zstd.h>
#include <zstd_errors.h>

#define IN_CHUNK (1u << 20)
#define OUT_CHUNK (1u << 20)

nd_compression nd_sniff_compression(const unsigned char *h, size_t len)
{
    if (len >= 2 && h[0] == 0x1F && h[1] == 0x8B)
        return ND_GZIP;
    if (len >= 4 && h[0] == 0x28 && h[1] == 0xB5 && h[2] == 0x2F && h[3] == 0xFD)
        return ND_ZSTD;
    return ND_PLAIN;
}

/* The compressed input: a buffer refilled from fd, and how far into the file it is. */
typedef struct input {
    int fd;
    unsigned char *buf;
    size_t len, pos;
    uint64_t before; /* file bytes before buf[0] */
    bool eof;
} input;

/* Reads the next chunk when the buffer is used up; ND_EIO on a read error. */
static int refill(input *in)
{
    if (in->pos < in->len || in->eof)
        return 0;
    in->before += in->len;
    in->len = in->pos = 0;
    for (;;) {
        const ssize_t got = read(in->fd, in->buf, IN_CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ND_EIO;
        in->len = (size_t)got;
        in->eof = got == 0;
        return 0;
    }
}

static bool input_done(const input *in)
{
    return in->pos == in->len && in->eof;
}

/* After a complete gzip member, zero bytes to the end are padding (gzip -d ignores them
 * with a warning); anything else starts the next member. Returns 1 when the rest was
 * padding, 0 when another member follows, < 0 on a read error. */
static int skip_padding(input *in, int64_t *padding_at)
{
    int rc = refill(in);
    if (rc < 0 || input_done(in) || in->buf[in->pos] != 0)
        return rc;
    *padding_at = (int64_t)(in->before + in->pos);
    while (rc == 0 && !input_done(in)) {
        for (; in->pos < in->len; in->pos++)
            if (in->buf[in->pos] != 0)
                return 0; /* not padding after all: the bad header is the error */
        rc = refill(in);
    }
    return rc < 0 ? rc : 1;
}

static int gunzip(input *in, unsigned char *out, nd_sink_fn sink, void *payload, int64_t *bad)
{
    z_stream z = {0};
    int zrc = Z_OK, rc = 0;
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return ND_ENOMEM;
    bool out_full = false; /* zlib may hold more output than the last call had room for */
    while (rc == 0) {
        if ((rc = refill(in)) < 0 || (input_done(in) && !out_full))
            break; /* a read error, or the input ended (inside a member unless at its end) */
        z.next_in = in->buf + in->pos;
        z.avail_in = (uInt)(in->len - in->pos);
        z.next_out = out;
        z.avail_out = OUT_CHUNK;
        zrc = inflate(&z, Z_NO_FLUSH);
        in->pos = (size_t)(z.next_in - in->buf);
        out_full = z.avail_out == 0;
        if (z.avail_out < OUT_CHUNK)
            rc = sink(out, OUT_CHUNK - z.avail_out, payload);
        if (rc == 0 && zrc == Z_STREAM_END) {
            const int padded = skip_padding(in, bad);
            if (padded != 0) {
                rc = padded < 0 ? padded : ND_DECOMPRESS_PADDED;
                break;
            }
            inflateReset(&z); /* the next gzip member, or the end */
        } else if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
            break;
        }
    }
    inflateEnd(&z);
    if (rc != 0)
        return rc == ND_SINK_STOP ? 0 : rc;
    const bool complete = zrc == Z_STREAM_END && input_done(in);
    *bad = complete ? -1 : (int64_t)(in->before + in->pos);
    return complete ? 0 : ND_EFORMAT;
}

/* Where the checksum of the frame being decoded lies in the buffer: its last 4 bytes.
 * A frame decoded in one call (no progress: it was whole in the buffer) starts at pos;
 * else the checksum was the last thing read. */
static size_t checksum_offset(const input *in, size_t pos_after, bool no_progress)
{
    if (!no_progress)
        return pos_after >= 4 ? pos_after - 4 : pos_after;
    const size_t frame = ZSTD_findFrameCompressedSize(in->buf + in->pos, in->len - in->pos);
    return ZSTD_isError(frame) || frame < 4 ? in->pos : in->pos + frame - 4;
}

/* Decodes zstd frames to the end of the input. A frame whose only fault is its checksum
 * is kept whole (as zlib does with a gzip member whose CRC is wrong): the error names the
 * offset where it was found, and from there on checksums are not checked. Streaming, the
 * frame was delivered before its checksum was read; decoded in one call (a frame
 * whole in the buffer), nothing was delivered and the frame is decoded again. */
static int unzstd(input *in, unsigned char *out, nd_sink_fn sink, void *payload, int64_t *bad)
{
    ZSTD_DCtx *z = ZSTD_createDCtx();
    size_t zrc = 0; /* 0 exactly at the end of a frame */
    int rc = 0;
    bool checksum_failed = false;
    *bad = -1;
    if (!z)
        return ND_ENOMEM;
    while (rc == 0) {
        if ((rc = refill(in)) < 0 || (input_done(in) && zrc == 0))
            break; /* a read error, or the end of the input between two frames */
        ZSTD_inBuffer src = {in->buf, in->len, in->pos};
        ZSTD_outBuffer dst = {out, OUT_CHUNK, 0};
        zrc = ZSTD_decompressStream(z, &dst, &src);
        const bool no_progress = src.pos == in->pos && dst.pos == 0;
        if (ZSTD_isError(zrc) && ZSTD_getErrorCode(zrc) == ZSTD_error_checksum_wrong && *bad < 0)
            *bad = (int64_t)(in->before + checksum_offset(in, src.pos, no_progress));
        in->pos = src.pos;
        if (dst.pos)
            rc = sink(out, dst.pos, payload);
        if (ZSTD_isError(zrc) && ZSTD_getErrorCode(zrc) == ZSTD_error_checksum_wrong &&
            !checksum_failed) {
            checksum_failed = true;
            ZSTD_DCtx_reset(z, ZSTD_reset_session_only);
            ZSTD_DCtx_setParameter(z, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);
            zrc = 0;
        } else if (ZSTD_isError(zrc) || (input_done(in) && no_progress)) {
            break; /* an error, or the input ended inside a frame */
        }
    }
    ZSTD_freeDCtx(z);
    if (rc != 0)
        return rc == ND_SINK_STOP ? 0 : rc;
    if (ZSTD_isError(zrc) && ZSTD_getErrorCode(zrc) == ZSTD_error_memory_allocation)
        return ND_ENOMEM;
    if (zrc != 0) {
        *bad = (int64_t)(in->before + in->pos);
        return ND_EFORMAT;
    }
    return checksum_failed ? ND_DECOMPRESS_CHECKSUM : 0;
}

int nd_decompress_fd(nd_compression kind, int fd, nd_sink_fn sink, void *payload,
                     int64_t *bad_offset)
{
    input in = {.fd = fd, .buf = malloc(IN_CHUNK)};
    unsigned char *out = malloc(OUT_CHUNK);
    *bad_offset = -1;
    int rc = ND_ENOMEM;
    if (in.buf && out)
        rc = kind == ND_GZIP ? gunzip(&in, out, sink, payload, bad_offset)
                             : unzstd(&in, out, sink, payload, bad_offset);
    free(in.buf);
    free(out);
    return rc;
}
