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
 * records whose HTTP Content-Type is text/... or XHTML. A response's body is
 * given as stored, with the codings to undo (chunked, gzip, deflate, br: the
 * reader undoes them), its Content-Type's charset and whether it is HTML.
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

static bool is_html_type(const char *type)
{
    return !strncasecmp(type, "text/html", 9) || !strncasecmp(type, "application/xhtml", 17);
}

/* The charset parameter of a Content-Type value, unquoted, into out ("" if none). */
static void type_charset(const char *type, char *out, size_t out_len)
{
    out[0] = '\0';
    for (const char *p = strchr(type, ';'); p; p = strchr(p + 1, ';')) {
        const char *v = p + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (strncasecmp(v, "charset=", 8))
            continue;
        v += 8;
        const char quote = *v == '"' || *v == '\'' ? *v++ : '\0';
        size_t n = 0;
        while (v[n] && v[n] != ';' && v[n] != quote && v[n] != ' ' && n + 1 < out_len)
            n++;
        memcpy(out, v, n);
        out[n] = '\0';
        return;
    }
}

/* Finds the text of an HTTP response block: its body, codings, charset and type; false
 * when it is not text. */
static bool http_text(const unsigned char *data, size_t block, size_t block_end,
                      nd_warc_record *rec, char *charset, size_t charset_len, char *why,
                      size_t why_len)
{
    char type[256], content[128], transfer[128];
    if (block_end - block < 5 || memcmp(data + block, "HTTP/", 5))
        return false;
    const size_t body = header_end(data, block_end, block);
    if (!body)
        return false;
    if (!header_value(data, block, body, "Content-Type", type, sizeof(type)) ||
        !is_text_type(type) || !type[0])
        return false;
    header_value(data, block, body, "Content-Encoding", content, sizeof(content));
    header_value(data, block, body, "Transfer-Encoding", transfer, sizeof(transfer));
    if (nd_http_codings_parse(content, transfer, &rec->codings, why, why_len) < 0)
        rec->problem = why;
    rec->html = is_html_type(type);
    type_charset(type, charset, charset_len);
    rec->text_off = body;
    rec->text_len = block_end - body;
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
    char type[64], id[512], url[4096], ctype[256], length[64], date[64], charset[64];
    char problem[160];
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
        nd_warc_record rec = {id, url, date, block, n, 0, false, charset, NULL};
        bool text = false;
        charset[0] = '\0';
        if (!strcmp(type, "conversion")) {
            text = true;
        } else if (!strcmp(type, "resource")) {
            text = is_text_type(ctype);
            rec.html = is_html_type(ctype);
            type_charset(ctype, charset, sizeof(charset));
        } else if (!strcmp(type, "response")) {
            text = http_text(data, block, block + n, &rec, charset, sizeof(charset), problem,
                             sizeof(problem));
        }
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
