/*
 * http_body.c: the body of an HTTP response, as a crawler stored it, decoded.
 *
 * A WARC `response` record keeps the bytes the server sent: a body cut into chunks
 * (Transfer-Encoding: chunked), and compressed (Content-Encoding: gzip, deflate, br).
 * Codings are undone in the reverse of the order they were applied. Chunks are read by
 * their sizes, with CRLF or a bare LF at line ends (both seen in crawls); a body that
 * stops after a whole chunk without the final empty one is taken as it is (a fetch cut
 * short), one that stops inside a chunk is an error.
 */
#include "decode/http_body.h"

#include "common/base.h"

#include <brotli/decode.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* ---------------------------------------------------------------- the header values */

static int coding_of(const char *name, size_t len)
{
    static const struct {
        const char *name;
        int coding;
    } known[] = {{"chunked", ND_CODING_CHUNKED},
                 {"gzip", ND_CODING_GZIP},
                 {"x-gzip", ND_CODING_GZIP},
                 {"deflate", ND_CODING_DEFLATE},
                 {"br", ND_CODING_BROTLI},
                 {"identity", 0},
                 {"none", 0}};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strlen(known[i].name) == len && !strncasecmp(name, known[i].name, len))
            return known[i].coding;
    return -1;
}

/* Appends the codings of a comma-separated header value to *codings. */
static int add_codings(const char *value, nd_http_codings *codings, int *n, char *why,
                       size_t why_len)
{
    for (const char *p = value; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',' && *end != ';' && *end != ' ' && *end != '\t')
            end++;
        if (end == p)
            break;
        const int coding = coding_of(p, (size_t)(end - p));
        if (coding < 0 || (coding > 0 && *n == 4)) {
            snprintf(why, why_len, "HTTP body coding '%.*s' is not one neardup decodes",
                     (int)(end - p < 40 ? end - p : 40), p);
            return ND_EFORMAT;
        }
        if (coding > 0)
            *codings |= (nd_http_codings)(coding << (4 * (*n)++));
        p = end;
        while (*p && *p != ',')
            p++; /* parameters of a coding */
    }
    return 0;
}

int nd_http_codings_parse(const char *content_encoding, const char *transfer_encoding,
                          nd_http_codings *codings, char *why, size_t why_len)
{
    int n = 0;
    *codings = 0;
    const int rc = add_codings(content_encoding, codings, &n, why, why_len);
    return rc < 0 ? rc : add_codings(transfer_encoding, codings, &n, why, why_len);
}

/* ---------------------------------------------------------------- the codings */

/* Makes room for at least one more byte past used in *out, within limit. */
static int room(unsigned char **out, size_t *cap, size_t used, uint64_t limit)
{
    if (used < *cap)
        return 0;
    if (used >= limit)
        return ND_EINVAL;
    size_t want = *cap < 4096 ? 4096 : *cap * 2;
    if (want > limit)
        want = (size_t)limit;
    return ND_GROW(*out, *cap, want);
}

static size_t skip_line(const unsigned char *b, size_t len, size_t p)
{
    const unsigned char *lf = memchr(b + p, '\n', len - p);
    return lf ? (size_t)(lf - b) + 1 : len;
}

static int hex_value(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 32;
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int unchunk(const unsigned char *b, size_t len, uint64_t limit, unsigned char **out,
                   size_t *cap, size_t *out_len, char *why, size_t why_len)
{
    size_t p = 0, n = 0;
    while (p < len) {
        const size_t at = p;
        uint64_t size = 0;
        int digits = 0;
        for (int v; p < len && digits < 16 && (v = hex_value(b[p])) >= 0; p++, digits++)
            size = size * 16 + (uint64_t)v;
        if (digits == 0 ||
            (p < len && b[p] != '\r' && b[p] != '\n' && b[p] != ';' && b[p] != ' ')) {
            snprintf(why, why_len, "chunked HTTP body: no chunk size at body byte %zu", at);
            return ND_EFORMAT;
        }
        p = skip_line(b, len, p);
        if (size == 0)
            break; /* the last chunk; trailers follow */
        if (size > len - p) {
            snprintf(why, why_len,
                     "chunked HTTP body: the chunk at body byte %zu runs past its end", at);
            return ND_EFORMAT;
        }
        if (n + size > limit)
            return ND_EINVAL;
        if (ND_GROW(*out, *cap, n + (size_t)size + 1) < 0)
            return ND_ENOMEM;
        memcpy(*out + n, b + p, (size_t)size);
        n += (size_t)size;
        p += (size_t)size;
        if (p < len && b[p] == '\r')
            p++;
        if (p < len && b[p] == '\n')
            p++;
    }
    *out_len = n;
    return 0;
}

/* gzip, or deflate: zlib-wrapped as RFC 9110 says, or raw as some servers send it. */
static int inflate_body(const unsigned char *b, size_t len, int window_bits, uint64_t limit,
                        unsigned char **out, size_t *cap, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, window_bits) != Z_OK)
        return ND_ENOMEM;
    z.next_in = (unsigned char *)b;
    z.avail_in = 0;
    size_t n = 0, fed = 0;
    int rc = 0, zrc = Z_OK;
    while (zrc != Z_STREAM_END) {
        if ((rc = room(out, cap, n, limit)) < 0)
            break;
        if (z.avail_in == 0 && fed < len) {
            z.avail_in = (uInt)(len - fed < (1u << 30) ? len - fed : 1u << 30);
            fed += z.avail_in;
        }
        z.next_out = *out + n;
        z.avail_out = (uInt)(*cap - n < (1u << 30) ? *cap - n : 1u << 30);
        const uInt before = z.avail_out;
        zrc = inflate(&z, Z_NO_FLUSH);
        n += before - z.avail_out;
        const size_t next = fed - z.avail_in;
        if (zrc == Z_STREAM_END && window_bits > 15 && len - next >= 2 && b[next] == 0x1f &&
            b[next + 1] == 0x8b) {
            inflateReset(&z); /* another gzip member */
            zrc = Z_OK;
        } else if (zrc == Z_BUF_ERROR && z.avail_in == 0 && fed == len) {
            rc = ND_EFORMAT; /* cut short */
            break;
        } else if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
            rc = ND_EFORMAT;
            break;
        }
    }
    inflateEnd(&z);
    *out_len = n;
    return rc;
}

static int unbrotli(const unsigned char *b, size_t len, uint64_t limit, unsigned char **out,
                    size_t *cap, size_t *out_len)
{
    BrotliDecoderState *st = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!st)
        return ND_ENOMEM;
    size_t avail_in = len, n = 0;
    const uint8_t *next_in = b;
    int rc = 0;
    for (;;) {
        if ((rc = room(out, cap, n, limit)) < 0)
            break;
        size_t avail_out = *cap - n;
        uint8_t *next_out = *out + n;
        const BrotliDecoderResult r =
            BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, NULL);
        n = (size_t)(next_out - *out);
        if (r == BROTLI_DECODER_RESULT_SUCCESS)
            break;
        if (r != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
            rc = ND_EFORMAT; /* an error, or input that ends inside the stream */
            break;
        }
    }
    BrotliDecoderDestroyInstance(st);
    *out_len = n;
    return rc;
}

static const char *coding_name(int coding)
{
    static const char *const names[] = {"", "chunked", "gzip", "deflate", "br"};
    return names[coding];
}

static int undo(int coding, const unsigned char *in, size_t len, uint64_t limit,
                unsigned char **out, size_t *cap, size_t *out_len, char *why, size_t why_len)
{
    int rc;
    if (coding == ND_CODING_CHUNKED)
        return unchunk(in, len, limit, out, cap, out_len, why, why_len);
    if (coding == ND_CODING_GZIP)
        rc = inflate_body(in, len, 15 + 16, limit, out, cap, out_len);
    else if (coding == ND_CODING_DEFLATE) {
        rc = inflate_body(in, len, 15, limit, out, cap, out_len);
        if (rc == ND_EFORMAT)
            rc = inflate_body(in, len, -15, limit, out, cap, out_len);
    } else {
        rc = unbrotli(in, len, limit, out, cap, out_len);
    }
    if (rc == ND_EFORMAT)
        snprintf(why, why_len, "the %s HTTP body is corrupt or cut short (%zu bytes decoded)",
                 coding_name(coding), *out_len);
    return rc;
}

int nd_http_body_decode(const unsigned char *body, size_t len, nd_http_codings codings,
                        uint64_t limit, unsigned char **out, size_t *cap, size_t *out_len,
                        unsigned char **tmp, size_t *tmp_cap, char *why, size_t why_len)
{
    int n = 0;
    while (n < 4 && (codings >> (4 * n) & 15) && len > 0) /* (an empty body is empty) */
        n++;
    /* the last coding applied is undone first; the passes alternate between the two
     * buffers so that the last one writes to *out */
    const unsigned char *in = body;
    size_t in_len = len;
    for (int i = n - 1; i >= 0; i--) {
        const bool to_out = i % 2 == 0;
        unsigned char **dst = to_out ? out : tmp;
        size_t *dst_cap = to_out ? cap : tmp_cap, got = 0;
        const int rc =
            undo(codings >> (4 * i) & 15, in, in_len, limit, dst, dst_cap, &got, why, why_len);
        if (rc < 0)
            return rc;
        in = *dst;
        in_len = got;
    }
    if (n == 0) {
        if (len > limit)
            return ND_EINVAL;
        if (ND_GROW(*out, *cap, len + 1) < 0)
            return ND_ENOMEM;
        memcpy(*out, body, len);
    }
    *out_len = in_len;
    return ND_GROW(*out, *cap, in_len + 1) < 0 ? ND_ENOMEM : 0; /* never NULL, even empty */
}
