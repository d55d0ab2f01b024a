/*
 * warc.c: a small, strict WARC/1.0 and WARC/1.1 reader.
 *
 * A record is "WARC/1.x" CRLF, header lines "Name: value" CRLF, an empty
 * line, then exactly Content-Length bytes of block, then CRLF CRLF. The block
 * is read by its length, never by looking for the next "WARC/": a payload may
 * contain anything. libarchive is not used: it skips the `conversion` records
 * that WET files are made of and rejects WARC/1.1.
 *
 * Text is taken from `conversion` records (WET: the extracted plain text),
 * `resource` records with a text/... (or no) Content-Type, and `response`
 * records whose HTTP Content-Type is text/... and whose body is not encoded
 * (no chunked or compressed transfer). The text's offsets are into the
 * record's block, which is what passage offsets then refer to.
 */
#include "input/warc.h"

#include "input/corpus.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADER 65536 /* bytes of WARC or HTTP header before it is called broken */

bool nd_warc_sniff(const unsigned char *data, size_t len)
{
    return len >= 8 && (!memcmp(data, "WARC/1.0", 8) || !memcmp(data, "WARC/1.1", 8));
}

/* The end of the header starting at p (just after its empty line), or 0 if none. */
static size_t header_end(const unsigned char *data, size_t len, size_t p)
{
    const size_t limit = len - p < MAX_HEADER ? len : p + MAX_HEADER;
    for (size_t i = p; i + 3 < limit; i++)
        if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n')
            return i + 4;
    return 0;
}

/* Copies the value of header name (case-insensitive) in data[p..end) into out. */
static bool header_value(const unsigned char *data, size_t p, size_t end, const char *name,
                         char *out, size_t out_len)
{
    const size_t n = strlen(name);
    while (p < end) {
        const unsigned char *eol = memchr(data + p, '\n', end - p);
        const size_t line_end = eol ? (size_t)(eol - data) : end;
        if (line_end - p > n && data[p + n] == ':' &&
            !strncasecmp((const char *)data + p, name, n)) {
            size_t v = p + n + 1, e = line_end;
            while (v < e && (data[v] == ' ' || data[v] == '\t'))
                v++;
            while (e > v && (data[e - 1] == '\r' || data[e - 1] == ' '))
                e--;
            const size_t m = e - v < out_len - 1 ? e - v : out_len - 1;
            memcpy(out, data + v, m);
            out[m] = '\0';
            return true;
        }
        p = line_end + 1;
    }
    out[0] = '\0';
    return false;
}

static bool is_text_type(const char *type)
{
    return type[0] == '\0' || !strncasecmp(type, "text/", 5) ||
           !strncasecmp(type, "application/xhtml", 17);
}

/* Finds the text of an HTTP response block; false when it is not plain text. */
static bool http_text(const unsigned char *data, size_t block, size_t block_end, size_t *off,
                      size_t *len)
{
    char value[256];
    if (block_end - block < 5 || memcmp(data + block, "HTTP/", 5))
        return false;
    const size_t body = header_end(data, block_end, block);
    if (!body)
        return false;
    if (!header_value(data, block, body, "Content-Type", value, sizeof(value)) ||
        !is_text_type(value) || !value[0])
        return false;
    if (header_value(data, block, body, "Transfer-Encoding", value, sizeof(value)) &&
        strcasecmp(value, "identity"))
        return false;
    if (header_value(data, block, body, "Content-Encoding", value, sizeof(value)) &&
        strcasecmp(value, "identity"))
        return false;
    *off = body;
    *len = block_end - body;
    return true;
}

/* Parses a number of at most 19 digits; false on anything else. */
static bool parse_length(const char *s, size_t *out)
{
    size_t v = 0, n = 0;
    for (; *s >= '0' && *s <= '9' && n < 19; s++, n++)
        v = v * 10 + (size_t)(*s - '0');
    *out = v;
    return n > 0 && *s == '\0';
}

int nd_warc_walk(const unsigned char *data, size_t len, nd_warc_fn fn, void *payload,
                 uint64_t *n_skipped, int64_t *bad_offset, char *why, size_t why_len)
{
    char type[64], id[512], url[4096], ctype[256], length[64], date[64];
    size_t p = 0;
    *n_skipped = 0;
    *bad_offset = -1;
    while (p < len) {
        while (p < len && (data[p] == '\r' || data[p] == '\n'))
            p++; /* CRLF CRLF after a block, and any blank lines at the end */
        if (p == len)
            break;
        *bad_offset = (int64_t)p;
        if (!nd_warc_sniff(data + p, len - p)) {
            snprintf(why, why_len, "expected a WARC/1.0 or WARC/1.1 record");
            return ND_EFORMAT;
        }
        const size_t block = header_end(data, len, p);
        size_t n;
        if (!block && len - p > MAX_HEADER) {
            snprintf(why, why_len, "WARC header longer than %d bytes (no empty line within it)",
                     MAX_HEADER);
            return ND_EFORMAT;
        }
        if (!block) {
            snprintf(why, why_len, "WARC header without its empty line");
            return ND_EFORMAT;
        }
        if (!header_value(data, p, block, "Content-Length", length, sizeof(length)) ||
            !parse_length(length, &n)) {
            snprintf(why, why_len, "missing or bad Content-Length");
            return ND_EFORMAT;
        }
        if (n > len - block) {
            snprintf(why, why_len, "Content-Length %zu runs past the end of the file", n);
            return ND_EFORMAT;
        }
        header_value(data, p, block, "WARC-Type", type, sizeof(type));
        header_value(data, p, block, "WARC-Record-ID", id, sizeof(id));
        header_value(data, p, block, "WARC-Target-URI", url, sizeof(url));
        header_value(data, p, block, "Content-Type", ctype, sizeof(ctype));
        header_value(data, p, block, "WARC-Date", date, sizeof(date));
        nd_warc_record rec = {id, url, date, block, n};
        bool text = false;
        if (!strcmp(type, "conversion"))
            text = true;
        else if (!strcmp(type, "resource"))
            text = is_text_type(ctype);
        else if (!strcmp(type, "response"))
            text = http_text(data, block, block + n, &rec.text_off, &rec.text_len);
        if (text) {
            const int rc = fn(&rec, payload);
            if (rc < 0)
                return rc;
        } else {
            ++*n_skipped;
        }
        p = block + n;
    }
    *bad_offset = -1;
    return 0;
}
