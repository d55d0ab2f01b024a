/*
 * reader.c: a document's text, read during the run: the scan reads each once, the
 * writers read those they print (passage text, kept JSONL lines).
 *
 * A file's document is read whole; a JSONL line is read from its file a window at a
 * time (the lines of a batch in one system call), and its text key decoded; a slice
 * of a source held in memory is copied.
 */
#define _GNU_SOURCE
#include "input/corpus.h"
#include "input/jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

int nd_read_fd(int fd, unsigned char **buf, size_t *cap, size_t *len)
{
    return nd_read_fd_upto(fd, UINT64_MAX, buf, cap, len);
}

int nd_read_fd_upto(int fd, uint64_t limit, unsigned char **buf, size_t *cap, size_t *len)
{
    struct stat st;
    size_t n = 0;
    /* a regular file's size is known: one read of the right size, no regrowth, and no
     * second read to find its end */
    const bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (regular &&
        ND_GROW(*buf, *cap,
                (size_t)(limit < (uint64_t)st.st_size ? limit : (uint64_t)st.st_size) + 1) < 0)
        return ND_ENOMEM;
    /* a regular file is read up to the size it had when opened: one being appended to
     * while neardup runs (a log) does not keep it reading */
    uint64_t size = regular ? (uint64_t)st.st_size : SIZE_MAX;
    size = size < limit ? size : limit;
    while (n < size) {
        if (n == *cap && ND_GROW(*buf, *cap, n + 65536) < 0)
            return ND_ENOMEM;
        const size_t want = *cap - n < size - n ? *cap - n : size - n;
        const ssize_t got = read(fd, *buf + n, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ND_EIO;
        if (got == 0)
            break;
        n += (size_t)got;
    }
    *len = n;
    return 0;
}

void nd_reader_dispose(nd_reader *r)
{
    const size_t read_ahead = r->read_ahead;
    if (r->fd >= 0 && r->fd_owned)
        close(r->fd);
    free(r->window);
    free(r->coded);
    free(r->coded_tmp);
    *r = (nd_reader)ND_READER_INIT;
    r->read_ahead = read_ahead;
}

/* A batch's lines further apart than this are read as they come. */
#define BATCH_READ_MAX (16u << 20)

void nd_reader_expect(nd_reader *r, const nd_doc *docs, size_t n)
{
    /* a fixed read-ahead made each of two threads, which take batches in turn, read
     * the lines of the other's batches too */
    r->read_ahead = ND_READ_AHEAD;
    if (n == 0)
        return;
    const nd_doc *first = &docs[0], *last = &docs[n - 1];
    if (first->kind != ND_DOC_JSONL_LINE || last->kind != ND_DOC_JSONL_LINE ||
        last->source != first->source || last->offset < first->offset)
        return;
    const uint64_t span = last->offset + last->length - first->offset;
    if (span <= BATCH_READ_MAX)
        r->read_ahead = (size_t)span;
}

/* Reads at least need bytes (up to want) at offset of fd into buf; *done gets how many. */
static int pread_at_least(int fd, uint64_t offset, unsigned char *buf, size_t need, size_t want,
                          size_t *done)
{
    *done = 0;
    while (*done < need) {
        const ssize_t got = pread(fd, buf + *done, want - *done, (off_t)(offset + *done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO; /* the file shrank since it was listed */
            return ND_EIO;
        }
        *done += (size_t)got;
    }
    return 0;
}

/* Reads at least need bytes (up to want) at offset into r's window. */
static int fill_window(nd_reader *r, uint64_t offset, size_t need, size_t want)
{
    r->window_len = 0;
    if (ND_GROW(r->window, r->window_cap, want + 1) < 0)
        return ND_ENOMEM;
    size_t done;
    const int rc = pread_at_least(r->fd, r->fd_base + offset, r->window, need, want, &done);
    if (rc < 0)
        return rc;
    r->window_off = offset;
    r->window_len = done;
    return 0;
}

/* Points r at the file of a source: its spooled file, or its path opened. */
static int open_source(const nd_corpus *c, nd_reader *r, uint32_t source)
{
    const nd_source *s = &c->sources[source];
    if (r->fd >= 0 && r->fd_source == source)
        return 0;
    if (r->fd >= 0 && r->fd_owned)
        close(r->fd);
    r->window_len = 0;
    r->fd_source = source;
    r->fd_owned = s->fd < 0;
    r->fd_base = s->fd >= 0 ? s->base : 0;
    r->fd = s->fd >= 0 ? s->fd : open(s->path, O_RDONLY | O_CLOEXEC);
    return r->fd < 0 ? ND_EIO : 0;
}

/* The bytes [d->offset, + d->length) of a source: a JSONL line or a WARC record's text,
 * from r's window. */
int nd_doc_line(const nd_corpus *c, nd_reader *r, const nd_doc *d, const unsigned char **line)
{
    const nd_source *s = &c->sources[d->source];
    if (s->data) {
        *line = s->data + d->offset;
        r->last_hash = 0;
        return 0;
    }
    const int opened = open_source(c, r, d->source);
    if (opened < 0)
        return opened;
    const bool in_window = r->window_len > 0 && d->offset >= r->window_off &&
                           d->offset + d->length <= r->window_off + r->window_len;
    if (!in_window) {
        const int rc = fill_window(r, d->offset, d->length,
                                   d->length > r->read_ahead ? d->length : r->read_ahead);
        if (rc < 0)
            return rc;
    }
    *line = r->window + (d->offset - r->window_off);
    r->last_hash = XXH3_64bits(*line, d->length);
    return 0;
}

/* A WARC record's text: a small one through r's window (the records of a batch in one
 * system call), a large one straight into *buf. */
static int read_slice(const nd_corpus *c, nd_reader *r, const nd_doc *d, unsigned char **buf,
                      size_t *cap, size_t *len)
{
    const nd_source *s = &c->sources[d->source];
    const unsigned char *bytes = s->data ? s->data + d->offset : NULL;
    int rc = 0;
    if (ND_GROW(*buf, *cap, (size_t)d->length + 1) < 0)
        return ND_ENOMEM;
    *len = d->length;
    if (!bytes && d->length > r->read_ahead) {
        if ((rc = open_source(c, r, d->source)) == 0 &&
            (rc = pread_at_least(r->fd, r->fd_base + d->offset, *buf, *len, *len, len)) == 0)
            r->last_hash = XXH3_64bits(*buf, *len);
        return rc;
    }
    if (!bytes && (rc = nd_doc_line(c, r, d, &bytes)) < 0)
        return rc;
    memcpy(*buf, bytes, d->length);
    return 0;
}

/* A WARC response's body, its HTTP codings (chunked, gzip, deflate, br) undone. */
static int read_coded_slice(const nd_corpus *c, nd_reader *r, const nd_doc *d, unsigned char **buf,
                            size_t *cap, size_t *len, char *why, size_t why_len)
{
    size_t coded_len;
    const int rc = read_slice(c, r, d, &r->coded, &r->coded_cap, &coded_len);
    if (rc < 0)
        return rc;
    return nd_http_body_decode(r->coded, coded_len, d->codings, c->opts.max_doc_size, buf, cap, len,
                               &r->coded_tmp, &r->coded_tmp_cap, why, why_len);
}

uint64_t nd_doc_size(const nd_corpus *c, const nd_doc *d)
{
    const nd_source *s = &c->sources[d->source];
    if (d->kind != ND_DOC_WHOLE)
        return d->length;
    return s->data ? s->data_len : d->listed_size;
}

/* A whole file: its listed size, or when unknown to a byte past --max-doc-size. A file
 * that grew past its listed size is read as listed, and *grown_size gets its size. */
static int read_whole_file(const nd_corpus *c, const nd_doc *d, unsigned char **buf, size_t *cap,
                           size_t *len, uint64_t *grown_size)
{
    const nd_source *s = &c->sources[d->source];
    const uint64_t max = c->opts.max_doc_size;
    if (s->fd >= 0) { /* a spooled stream, shared by the threads: its size is known */
        if (ND_GROW(*buf, *cap, (size_t)d->listed_size + 1) < 0)
            return ND_ENOMEM;
        *len = (size_t)d->listed_size;
        return pread_at_least(s->fd, s->base, *buf, *len, *len, len);
    }
    const int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ND_EIO;
    const int rc = nd_read_fd_upto(fd, d->listed_size ? d->listed_size : max + 1, buf, cap, len);
    const int saved = errno;
    struct stat st;
    if (rc == 0 && d->listed_size && fstat(fd, &st) == 0 && (uint64_t)st.st_size > d->listed_size)
        *grown_size = (uint64_t)st.st_size;
    close(fd);
    errno = saved;
    return rc == 0 && *len > max ? ND_EINVAL : rc;
}

int nd_doc_read(const nd_corpus *c, nd_reader *r, const nd_doc *d, unsigned char **buf, size_t *cap,
                size_t *len, char **id, char *why, size_t why_len)
{
    const nd_source *s = &c->sources[d->source];
    if (nd_doc_size(c, d) > c->opts.max_doc_size)
        return ND_EINVAL;
    if (d->kind == ND_DOC_JSONL_LINE) {
        const unsigned char *line;
        const int rc = nd_doc_line(c, r, d, &line);
        if (rc < 0)
            return rc;
        /* read again (its length known since the scan): room for the text at once, not
         * grown piece by piece between the escapes of a text of many short lines */
        if (d->n_bytes > 0 && d->n_bytes <= d->length && ND_GROW(*buf, *cap, d->n_bytes + 1) < 0)
            return ND_ENOMEM;
        return nd_jsonl_parse(line, d->length, c->id_key, c->text_key, buf, cap, len, id, why,
                              why_len);
    }
    r->last_hash = 0; /* bytes held in memory do not change */
    r->last_grown_size = 0;
    if (d->kind == ND_DOC_SLICE && d->codings)
        return read_coded_slice(c, r, d, buf, cap, len, why, why_len);
    if (d->kind == ND_DOC_SLICE)
        return read_slice(c, r, d, buf, cap, len);
    if (s->data) {
        if (ND_GROW(*buf, *cap, s->data_len + 1) < 0)
            return ND_ENOMEM;
        memcpy(*buf, s->data, s->data_len);
        *len = s->data_len;
        return 0;
    }
    const int rc = read_whole_file(c, d, buf, cap, len, &r->last_grown_size);
    if (rc == 0)
        r->last_hash = XXH3_64bits(*buf, *len);
    return rc;
}

bool nd_doc_changed(const nd_reader *r, const nd_doc *d)
{
    return r->last_hash != d->raw_hash;
}

int nd_doc_load(const nd_corpus *c, const nd_doc *d, unsigned char **bytes, size_t *len)
{
    nd_reader r = ND_READER_EXACT; /* one document, anywhere in its file */
    size_t cap = 0;
    char why[256];
    *bytes = NULL;
    int rc = nd_doc_read(c, &r, d, bytes, &cap, len, NULL, why, sizeof(why));
    if (rc == 0 && nd_doc_changed(&r, d)) {
        errno = 0;
        rc = ND_EIO;
    }
    nd_reader_dispose(&r);
    if (rc < 0) {
        free(*bytes);
        *bytes = NULL;
    }
    return rc;
}

void nd_doc_view_spec(const nd_corpus *c, const nd_doc *d, const unsigned char *body, size_t len,
                      nd_view_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->html = d->markup == ND_MARKUP_HTML;
    spec->html_main = spec->html && c->view_rules.html_main;
    spec->charset = d->charset;
    spec->from = (nd_charset_from)d->charset_from;
    if (spec->from == ND_CHARSET_FROM_BOM && d->charset != ND_CHARSET_UTF8)
        nd_charset_of_bom(body, len, &spec->bom_len);
}

bool nd_bytes_look_binary(const unsigned char *bytes, size_t len)
{
    return memchr(bytes, 0, len) != NULL;
}
