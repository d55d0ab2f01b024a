/*
 * decompress.c: gzip (zlib) and zstd, whole streams into memory.
 *
 * A gzip file may hold several members (WARC files compress each record as
 * its own member) and a zstd file several frames: both loops go on until the
 * input ends. A stream that ends early is an error naming the compressed byte
 * offset, and what was decoded before it is kept.
 */
#include "input/decompress.h"

#include "input/corpus.h"

#include <stdlib.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_d_forceIgnoreChecksum */
#include <zstd.h>
#include <zstd_errors.h>

nd_compression nd_sniff_compression(const unsigned char *h, size_t len)
{
    if (len >= 2 && h[0] == 0x1F && h[1] == 0x8B)
        return ND_GZIP;
    if (len >= 4 && h[0] == 0x28 && h[1] == 0xB5 && h[2] == 0x2F && h[3] == 0xFD)
        return ND_ZSTD;
    return ND_PLAIN;
}

/* Whether p[0..n) is all zero bytes (what some writers pad a gzip file with). */
static bool only_zeros(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static int gunzip(const unsigned char *in, size_t len, unsigned char **out, size_t *n, size_t *cap,
                  int64_t *bad)
{
    z_stream z = {0};
    int zrc = Z_OK;
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return ND_ENOMEM;
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
    for (;;) {
        if (*cap - *n < 65536 && ND_GROW(*out, *cap, *n + 65536) < 0) {
            inflateEnd(&z);
            return ND_ENOMEM;
        }
        z.next_out = *out + *n;
        z.avail_out = (uInt)(*cap - *n);
        zrc = inflate(&z, Z_NO_FLUSH);
        *n = (size_t)(z.next_out - *out);
        if (zrc == Z_STREAM_END) {
            if (z.avail_in == 0 || only_zeros(z.next_in, z.avail_in))
                break;
            inflateReset(&z); /* the next gzip member */
            continue;
        }
        if (zrc == Z_BUF_ERROR && z.avail_in == 0)
            break; /* the input ended inside a member */
        if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            break;
    }
    const bool padded = zrc == Z_STREAM_END && z.avail_in > 0;
    *bad = zrc == Z_STREAM_END && !padded ? -1 : (int64_t)(z.next_in - in);
    inflateEnd(&z);
    return zrc != Z_STREAM_END ? ND_EFORMAT : padded ? ND_DECOMPRESS_PADDED : 0;
}

/* Decodes the frames of in[0..len) into *out; returns the last ZSTD result (0 when the
 * last frame was complete) and in *at how far the input was read. */
static size_t unzstd_frames(ZSTD_DCtx *z, const unsigned char *in, size_t len, unsigned char **out,
                            size_t *n, size_t *cap, size_t *at)
{
    ZSTD_inBuffer src = {in, len, 0};
    size_t zrc = 0;
    while (src.pos < src.size) {
        if (*cap - *n < 65536 && ND_GROW(*out, *cap, *n + 65536) < 0)
            return (size_t)0 - (size_t)ZSTD_error_memory_allocation; /* as ZSTD reports it */
        ZSTD_outBuffer dst = {*out, *cap, *n};
        zrc = ZSTD_decompressStream(z, &dst, &src);
        *n = dst.pos;
        if (ZSTD_isError(zrc))
            break;
    }
    /* zrc is 0 exactly when the last frame was complete */
    while (!ZSTD_isError(zrc) && zrc != 0) {
        if (*cap - *n < 65536 && ND_GROW(*out, *cap, *n + 65536) < 0)
            break;
        ZSTD_outBuffer dst = {*out, *cap, *n};
        const size_t before = dst.pos;
        zrc = ZSTD_decompressStream(z, &dst, &src);
        *n = dst.pos;
        if (dst.pos == before)
            break; /* no progress: the input ended inside a frame */
    }
    *at = src.pos;
    return zrc;
}

/* A stream whose only fault is a frame's checksum is decoded whole (as zlib does with a
 * gzip member whose CRC is wrong): the checksum is then ignored, and the error names the
 * offset where it was found. */
static int unzstd(const unsigned char *in, size_t len, unsigned char **out, size_t *n, size_t *cap,
                  int64_t *bad)
{
    ZSTD_DCtx *z = ZSTD_createDCtx();
    size_t at = 0;
    if (!z)
        return ND_ENOMEM;
    size_t zrc = unzstd_frames(z, in, len, out, n, cap, &at);
    const bool checksum = ZSTD_isError(zrc) && ZSTD_getErrorCode(zrc) == ZSTD_error_checksum_wrong;
    *bad = zrc == 0 ? -1 : (int64_t)at;
    if (checksum) {
        size_t ignored_at;
        ZSTD_DCtx_reset(z, ZSTD_reset_session_and_parameters);
        ZSTD_DCtx_setParameter(z, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);
        *n = 0;
        zrc = unzstd_frames(z, in, len, out, n, cap, &ignored_at);
    }
    ZSTD_freeDCtx(z);
    if (ZSTD_isError(zrc) && ZSTD_getErrorCode(zrc) == ZSTD_error_memory_allocation)
        return ND_ENOMEM;
    return *bad < 0 ? 0 : ND_EFORMAT;
}

int nd_decompress(nd_compression kind, const unsigned char *in, size_t len, unsigned char **out,
                  size_t *out_len, int64_t *bad_offset)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    const int rc = kind == ND_GZIP ? gunzip(in, len, out, &n, &cap, bad_offset)
                                   : unzstd(in, len, out, &n, &cap, bad_offset);
    *out_len = n;
    return rc;
}
