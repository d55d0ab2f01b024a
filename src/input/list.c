/*
 * list.c: stage 0, paths -> documents, and reading a document's text.
 *
 * A file given by name becomes one document whose id is the path as given.
 * A directory is walked recursively in byte order of names (not locale
 * order, so ids and their order are the same on every machine); each regular
 * file below it becomes a document whose id is its path relative to that
 * directory. Symlinks are followed, and a directory already on the current
 * walk (a symlink loop) is reported and not entered again.
 *
 * JSONL (one JSON object per line, plain or gzip/zstd compressed) adds one
 * document per line. A file named on the command line is recognized by its
 * content; inside a directory, only names ending in .jsonl, .json, .gz or
 * .zst are opened to look (so that a directory of plain articles costs no
 * extra open per file). Plain JSONL is only cut into lines here: each line
 * is parsed by the scan thread that reads it. A WARC file is walked through a
 * read-only mapping, touching its headers only; a record becomes a slice of
 * the file. What can be read only once (compressed files, stdin, pipes and
 * devices) is first spooled to a temporary file (spool.c) and then read as a
 * plain file is: nothing is ever held whole in memory.
 */
#define _GNU_SOURCE
#include "input/corpus.h"
#include "common/scratch.h"
#include "input/decompress.h"
#include "input/jsonl.h"
#include "input/jsonl_cut.h"
#include "input/spool.h"
#include "common/spill.h"
#include "common/threads.h"
#include "common/utf8.h"
#include "input/warc.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static char *copy_string(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *c = malloc(n);
    return c ? memcpy(c, s, n) : NULL;
}

/* ---------------------------------------------------------------- sources, documents */

/* Adds a source; takes ownership of data (may be NULL). */
static int add_source(nd_corpus *c, const char *path, unsigned char *data, size_t len,
                      uint32_t *out)
{
    if (c->n_sources >= UINT32_MAX || ND_GROW(c->sources, c->cap_sources, c->n_sources + 1) < 0) {
        free(data);
        return ND_ENOMEM;
    }
    nd_source *s = &c->sources[c->n_sources];
    if (!(s->path = copy_string(path))) {
        free(data);
        return ND_ENOMEM;
    }
    s->data = data;
    s->data_len = len;
    s->fd = -1;
    s->base = 0;
    *out = (uint32_t)c->n_sources++;
    return 0;
}

/* Room for need documents. The array has a mapping of its own (huge pages where the
 * kernel allows), grown by moving its pages: grown by realloc, it was copied at every
 * doubling and faulted in 4 KiB at a time. */
static int grow_docs(nd_corpus *c, size_t need)
{
    if (need <= c->cap_docs)
        return 0;
    size_t cap = c->cap_docs ? c->cap_docs : 1024;
    while (cap < need)
        cap *= 2;
    if (cap > SIZE_MAX / sizeof(*c->docs))
        return ND_ENOMEM;
    const size_t old_bytes = c->cap_docs * sizeof(*c->docs), bytes = cap * sizeof(*c->docs);
    nd_doc *docs = nd_scratch_remap(NULL, c->docs, old_bytes, bytes);
    if (!docs)
        return ND_ENOMEM;
    c->docs = docs;
    c->cap_docs = cap;
    return 0;
}

static int add_doc(nd_corpus *c, const char *id, uint32_t source, nd_doc_kind kind, uint64_t offset,
                   uint32_t length, uint32_t line)
{
    if (grow_docs(c, c->n_docs + 1) < 0)
        return ND_ENOMEM;
    nd_doc *d = &c->docs[c->n_docs];
    memset(d, 0, sizeof(*d));
    if (id && !(d->id = copy_string(id)))
        return ND_ENOMEM;
    d->source = source;
    d->kind = kind;
    d->offset = offset;
    d->length = length;
    d->line = line;
    d->first_invalid = -1;
    d->date = ND_NO_DATE;
    d->text_first = (uint32_t)c->n_docs;
    c->n_docs++;
    return 0;
}

static int add_memory(nd_corpus *c, const char *id, const void *bytes, size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);
    uint32_t src;
    if (!copy)
        return ND_ENOMEM;
    memcpy(copy, bytes, len);
    const int rc = add_source(c, id, copy, len, &src);
    return rc < 0 ? rc : add_doc(c, id, src, ND_DOC_WHOLE, 0, 0, 0);
}

const char *nd_doc_path(const nd_corpus *c, const nd_doc *d)
{
    return c->sources[d->source].path;
}

/* ---------------------------------------------------------------- JSONL */

/* Says that a document of size bytes at offset of path is skipped: more than
 * --max-doc-size (a document the scan would skip too, but whose length a document's
 * 32 bits do not hold). */
static void report_oversize(const nd_corpus *c, const char *path, int64_t offset, uint64_t size)
{
    nd_report(c, ND_DIAG_WARNING, ND_EINVAL, path, offset,
              "%" PRIu64 " bytes, more than --max-doc-size (%" PRIu64 " bytes), skipped", size,
              c->opts.max_doc_size);
}

/* One document per line cut; frees lines. */
static int add_cut_lines(nd_corpus *c, uint32_t src, nd_cut_line *lines, size_t n)
{
    int rc = grow_docs(c, c->n_docs + n); /* room for them all at once */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const nd_cut_line *l = &lines[i];
        if (l->length > UINT32_MAX)
            report_oversize(c, c->sources[src].path, (int64_t)l->offset, l->length);
        else
            rc = add_doc(c, NULL, src, ND_DOC_JSONL_LINE, l->offset, (uint32_t)l->length, l->line);
    }
    free(lines);
    return rc;
}

/* The size of the file fd, or 0. */
static uint64_t file_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Plain JSONL, bytes [base, base + size) of fd: one document per non-blank line, cut on
 * all threads (jsonl_cut.c; it is never held whole). */
static int add_jsonl_file(nd_corpus *c, int fd, uint64_t base, uint64_t size, uint32_t src)
{
    nd_cut_line *lines;
    size_t n;
    uint64_t error_at;
    const int cut =
        nd_cut_lines(fd, base, size, nd_threads_wanted(c->opts.threads), &lines, &n, &error_at);
    const int error = errno;
    if (cut == ND_ENOMEM) {
        free(lines);
        return cut;
    }
    const int rc = add_cut_lines(c, src, lines, n);
    if (cut == ND_EIO)
        nd_report(c, ND_DIAG_ERROR, ND_EIO, c->sources[src].path, (int64_t)error_at, "%s",
                  strerror(error));
    return rc;
}

/* ---------------------------------------------------------------- files */

static bool ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static bool name_says_archive(const char *path)
{
    return ends_with(path, ".jsonl") || ends_with(path, ".json") || ends_with(path, ".gz") ||
           ends_with(path, ".zst") || ends_with(path, ".warc") || ends_with(path, ".wet");
}

typedef struct warc_listing {
    nd_corpus *corpus;
    uint32_t source;
} warc_listing;

static int add_warc_record(const nd_warc_record *rec, void *payload)
{
    warc_listing *w = payload;
    nd_corpus *c = w->corpus;
    if (rec->problem) {
        nd_report(c, ND_DIAG_ERROR, ND_EFORMAT, c->sources[w->source].path, (int64_t)rec->text_off,
                  "%s; the record is skipped", rec->problem);
        return 0;
    }
    if (rec->text_len > UINT32_MAX) {
        report_oversize(c, c->sources[w->source].path, (int64_t)rec->text_off, rec->text_len);
        return 0;
    }
    const int rc = add_doc(c, rec->id[0] ? rec->id : NULL, w->source, ND_DOC_SLICE, rec->text_off,
                           (uint32_t)rec->text_len, 0);
    if (rc < 0)
        return rc;
    nd_doc *d = &c->docs[c->n_docs - 1];
    d->codings = rec->codings;
    d->markup = rec->html ? ND_MARKUP_HTML : ND_MARKUP_PLAIN;
    if (rec->charset[0] &&
        (d->charset = nd_charset_find(rec->charset, rec->html)) == ND_CHARSET_UNKNOWN) {
        nd_report(c, ND_DIAG_WARNING, ND_EFORMAT, c->sources[w->source].path,
                  (int64_t)rec->text_off,
                  "charset '%s' of the record is not one ICU knows; "
                  "read as if none were named",
                  rec->charset);
        d->charset = ND_CHARSET_UTF8;
    }
    if (rec->url[0] && !(d->url = copy_string(rec->url)))
        return ND_ENOMEM;
    if (rec->date[0] && nd_parse_date(rec->date, &d->date) < 0)
        d->date = ND_NO_DATE;
    if (!d->id) {
        char fallback[64];
        snprintf(fallback, sizeof(fallback), ":%zu", rec->text_off);
        const char *path = c->sources[w->source].path;
        if (!(d->id = malloc(strlen(path) + sizeof(fallback))))
            return ND_ENOMEM;
        sprintf(d->id, "%s%s", path, fallback);
    }
    return 0;
}

/* One document per text record of the WARC bytes data[0..len) of source src. */
static int add_warc_records(nd_corpus *c, uint32_t src, const unsigned char *data, size_t len)
{
    const nd_source *s = &c->sources[src];
    warc_listing w = {c, src};
    uint64_t skipped;
    int64_t bad;
    char why[128];
    const int rc = nd_warc_walk(data, len, add_warc_record, &w, &skipped, &bad, why, sizeof(why));
    if (rc == ND_EFORMAT) {
        nd_report(c, ND_DIAG_ERROR, ND_EFORMAT, s->path, bad, "%s; the records before it are kept",
                  why);
        return 0;
    }
    return rc;
}

/* Whether the first line of bytes[0..len) is a JSON object. When the line runs past
 * len (a long first document), its start must be an object's first key. */
static bool looks_like_jsonl(const unsigned char *bytes, size_t len)
{
    size_t i = nd_bom_length(bytes, len);
    while (i < len && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r' || bytes[i] == '\n'))
        i++;
    if (i == len || bytes[i] != '{')
        return false;
    const unsigned char *nl = memchr(bytes + i, '\n', len - i);
    if (nl)
        return nd_jsonl_is_object(bytes + i, (size_t)(nl - bytes) - i);
    for (i++; i < len && (bytes[i] == ' ' || bytes[i] == '\t'); i++)
        ;
    return i < len && bytes[i] == '"';
}

/* A source held in memory (stdin, a decompressed file): JSONL lines or one document. */
static int add_memory_source(nd_corpus *c, const char *path, const char *id, unsigned char *data,
                             size_t len)
{
    const nd_input_format f = c->opts.input_format;
    const bool warc = f == ND_INPUT_WARC || (f == ND_INPUT_AUTO && nd_warc_sniff(data, len));
    const bool jsonl = f == ND_INPUT_JSONL || (f == ND_INPUT_AUTO && looks_like_jsonl(data, len));
    uint32_t src;
    nd_cut_line *lines;
    size_t n;
    int rc = add_source(c, path, data, len, &src);
    if (rc < 0)
        return rc;
    if (warc)
        return add_warc_records(c, src, data, len);
    if (jsonl) {
        rc = nd_cut_buffer(data, len, &lines, &n);
        if (rc < 0) {
            free(lines);
            return rc;
        }
        return add_cut_lines(c, src, lines, n);
    }
    return add_doc(c, id, src, ND_DOC_WHOLE, 0, 0, 0);
}

/* WARC, bytes [base, base + size) of fd, of source src: its records, found through a
 * read-only mapping (the walk touches headers, never the records' text). */
static int add_warc_file(nd_corpus *c, int fd, uint64_t base, uint64_t size, uint32_t src)
{
    if (size == 0)
        return 0;
    const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), start = base / page * page;
    const size_t len = (size_t)(size + base - start);
    unsigned char *data = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, (off_t)start);
    if (data == MAP_FAILED) {
        nd_report(c, ND_DIAG_ERROR, ND_EIO, c->sources[src].path, -1, "%s", strerror(errno));
        return 0;
    }
    const int rc = add_warc_records(c, src, data + (base - start), (size_t)size);
    munmap(data, len);
    return rc;
}

/* What a stream holds, from its first bytes. */
typedef enum { HOLDS_DOCUMENT, HOLDS_JSONL, HOLDS_WARC } stream_content;

static stream_content content_of(const nd_corpus *c, const unsigned char *head, size_t len)
{
    const nd_input_format f = c->opts.input_format;
    if (f == ND_INPUT_WARC || (f == ND_INPUT_AUTO && nd_warc_sniff(head, len)))
        return HOLDS_WARC;
    if (f == ND_INPUT_JSONL || (f == ND_INPUT_AUTO && looks_like_jsonl(head, len)))
        return HOLDS_JSONL;
    return HOLDS_DOCUMENT;
}

/* How much of a stream to spool: a document, to a byte past --max-doc-size; JSONL and
 * WARC, all (their lines and records are held to the limit one by one). */
static uint64_t spool_limit(const unsigned char *head, size_t len, void *payload)
{
    const nd_corpus *c = payload;
    return content_of(c, head, len) == HOLDS_DOCUMENT ? c->opts.max_doc_size + 1 : UINT64_MAX;
}

/* The same for a stream that may still be compressed (stdin, a pipe): all of it then. */
static uint64_t spool_limit_raw(const unsigned char *head, size_t len, void *payload)
{
    return nd_sniff_compression(head, len) != ND_PLAIN ? UINT64_MAX
                                                       : spool_limit(head, len, payload);
}

/* Says what went wrong while spooling path, if anything; what was spooled is kept. */
static void report_spool(nd_corpus *c, const char *path, nd_compression kind, const nd_spool *sp,
                         int rc)
{
    const char *name = kind == ND_GZIP ? "gzip" : "zstd";
    if (rc == ND_EIO && sp->write_failed)
        nd_report(c, ND_DIAG_ERROR, ND_EIO, path, -1, "cannot write a temporary file in %s: %s",
                  nd_temp_dir(c->opts.tmpdir), strerror(errno));
    else if (rc == ND_EIO)
        nd_report(c, ND_DIAG_ERROR, ND_EIO, path, -1, "%s", strerror(errno));
    else if (rc == ND_EFORMAT)
        nd_report(c, ND_DIAG_ERROR, ND_EFORMAT, path, sp->bad_offset,
                  "truncated or corrupt %s stream; the %" PRIu64 " bytes before it are kept", name,
                  sp->size);
    else if (rc == ND_DECOMPRESS_CHECKSUM)
        nd_report(c, ND_DIAG_ERROR, ND_EFORMAT, path, sp->bad_offset,
                  "zstd frame checksum does not match: the data may be corrupt; all %" PRIu64
                  " bytes decoded are kept",
                  sp->size);
    else if (rc == ND_DECOMPRESS_PADDED) /* as gzip -d says it */
        nd_report(c, ND_DIAG_WARNING, ND_EFORMAT, path, sp->bad_offset,
                  "trailing zero bytes ignored");
}

/* Adds what a spooled stream holds: a source reading its part of the spool file. */
static int add_spooled(nd_corpus *c, const char *path, const char *id, const nd_spool *sp)
{
    unsigned char head[ND_SPOOL_HEAD];
    const size_t want = sp->size < sizeof(head) ? (size_t)sp->size : sizeof(head);
    const ssize_t got = pread(sp->fd, head, want, (off_t)sp->base);
    const size_t n = got > 0 ? (size_t)got : 0;
    uint32_t src;
    const int rc = add_source(c, path, NULL, 0, &src);
    if (rc < 0)
        return rc;
    c->sources[src].fd = sp->fd;
    c->sources[src].base = sp->base;
    switch (content_of(c, head, n)) {
    case HOLDS_WARC: return add_warc_file(c, sp->fd, sp->base, sp->size, src);
    case HOLDS_JSONL: return add_jsonl_file(c, sp->fd, sp->base, sp->size, src);
    case HOLDS_DOCUMENT: break;
    }
    const int added = add_doc(c, id, src, ND_DOC_WHOLE, 0, 0, 0);
    if (added == 0)
        c->docs[c->n_docs - 1].listed_size = sp->cut_short ? UINT64_MAX : sp->size;
    return added;
}

/* A new temporary file in --tmpdir, or -1 with an error naming path (the input it is for). */
static int temp_file_for(nd_corpus *c, const char *path)
{
    const char *dir = nd_temp_dir(c->opts.tmpdir);
    const int fd = nd_temp_file(dir);
    if (fd < 0)
        nd_report(c, ND_DIAG_ERROR, ND_EIO, path, -1, "cannot make a temporary file in %s: %s", dir,
                  strerror(errno));
    return fd;
}

/* The corpus's spool file, made on first need: one file for all spooled streams, one
 * after another, so that a folder of thousands of compressed files holds one descriptor.
 * -1 (reported for path) when it cannot be made. */
static int spool_file(nd_corpus *c, const char *path)
{
    if (c->spool_fd < 0)
        c->spool_fd = temp_file_for(c, path);
    return c->spool_fd;
}

/* Spools fd (of compression kind) to the end of the spool file and adds what it holds;
 * cut_before: an earlier copy of the stream was already cut at its limit. */
static int add_stream(nd_corpus *c, int fd, const char *path, const char *id, nd_compression kind,
                      bool cut_before)
{
    nd_spool sp;
    const int out = spool_file(c, path);
    if (out < 0)
        return 0;
    const int rc = nd_spool_stream(fd, kind, out, c->spool_end, spool_limit, c, &sp);
    c->spool_end = sp.base + sp.size;
    if (rc == ND_ENOMEM)
        return rc;
    report_spool(c, path, kind, &sp, rc);
    sp.cut_short = sp.cut_short || cut_before;
    return add_spooled(c, path, id, &sp);
}

/* A stream that can be read once (stdin, a pipe, a device), compressed or not: copied as
 * it is to a temporary file of its own, then from there (decompressed when it is
 * compressed) to the spool file. */
static int add_raw_stream(nd_corpus *c, int fd, const char *path, const char *id)
{
    nd_spool raw;
    unsigned char head[4];
    const int copy = temp_file_for(c, path);
    if (copy < 0)
        return 0;
    int rc = nd_spool_stream(fd, ND_PLAIN, copy, 0, spool_limit_raw, c, &raw);
    if (rc < 0 && rc != ND_EIO) {
        close(copy);
        return rc;
    }
    report_spool(c, path, ND_PLAIN, &raw, rc);
    const ssize_t got = pread(copy, head, sizeof(head), 0);
    const nd_compression kind = nd_sniff_compression(head, got > 0 ? (size_t)got : 0);
    rc = lseek(copy, 0, SEEK_SET) < 0 ? 0 : add_stream(c, copy, path, id, kind, raw.cut_short);
    close(copy);
    return rc;
}

/* Adds one file: sniffed for JSONL and compression when sniff, else one text document. */
/* The id of a file named name: its name, with every byte that is not valid UTF-8 written
 * \xHH and a backslash written \\, so that two names never make one id and an id gives
 * its name back. NULL when there is no memory. */
static char *file_id(const char *name)
{
    const size_t len = strlen(name);
    char *id = malloc(4 * len + 1), *to = id;
    if (!id)
        return NULL;
    for (size_t i = 0; i < len;) {
        int used, bad;
        nd_utf8_decode((const uint8_t *)name + i, len - i, &used, &bad);
        if (bad) {
            to += sprintf(to, "\\x%02X", (unsigned char)name[i]);
        } else if (name[i] == '\\') {
            to += sprintf(to, "\\\\");
        } else {
            memcpy(to, name + i, (size_t)used);
            to += used;
        }
        i += (size_t)used;
    }
    *to = '\0';
    return id;
}

static int add_named_file(nd_corpus *c, const char *path, const char *id, bool sniff);

/* Adds the file at path, whose id is name made reversible (file_id). */
static int add_file(nd_corpus *c, const char *path, const char *name, bool sniff)
{
    char *id = file_id(name);
    const int rc = id ? add_named_file(c, path, id, sniff) : ND_ENOMEM;
    free(id);
    return rc;
}

static int add_named_file(nd_corpus *c, const char *path, const char *id, bool sniff)
{
    const nd_input_format f = c->opts.input_format;
    uint32_t src;
    if (!sniff && f != ND_INPUT_JSONL && f != ND_INPUT_WARC) {
        const int rc = add_source(c, path, NULL, 0, &src);
        return rc < 0 ? rc : add_doc(c, id, src, ND_DOC_WHOLE, 0, 0, 0);
    }
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        nd_report(c, ND_DIAG_ERROR, ND_EIO, path, -1, "%s", strerror(errno));
        return 0;
    }
    unsigned char head[4096];
    const ssize_t got = pread(fd, head, sizeof(head), 0);
    const size_t n = got > 0 ? (size_t)got : 0;
    const nd_compression kind = nd_sniff_compression(head, n);
    int rc;
    if (kind != ND_PLAIN) {
        rc = add_stream(c, fd, path, id, kind, false);
    } else if (f == ND_INPUT_WARC || (f == ND_INPUT_AUTO && nd_warc_sniff(head, n))) {
        rc = add_source(c, path, NULL, 0, &src);
        if (rc == 0)
            rc = add_warc_file(c, fd, 0, file_size(fd), src);
    } else if (f == ND_INPUT_JSONL || (f == ND_INPUT_AUTO && looks_like_jsonl(head, n))) {
        rc = add_source(c, path, NULL, 0, &src);
        if (rc == 0)
            rc = add_jsonl_file(c, fd, 0, file_size(fd), src);
    } else {
        struct stat st;
        rc = add_source(c, path, NULL, 0, &src);
        if (rc == 0)
            rc = add_doc(c, id, src, ND_DOC_WHOLE, 0, 0, 0);
        if (rc == 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
            c->docs[c->n_docs - 1].listed_size = (uint64_t)st.st_size;
    }
    close(fd);
    return rc;
}

int nd_corpus_add_source_bytes(nd_corpus *c, const char *path, unsigned char *data, size_t len)
{
    return add_memory_source(c, path, path, data, len);
}

static int add_stdin(nd_corpus *c)
{
    return add_raw_stream(c, STDIN_FILENO, "-", "-");
}

/* ---------------------------------------------------------------- directories */

typedef struct walk_frame {
    dev_t dev;
    ino_t ino;
    const struct walk_frame *up;
} walk_frame;

/* A name in a directory, with its type as the directory says it (DT_UNKNOWN where the
 * file system does not). */
typedef struct dir_entry {
    char *name;
    unsigned char type;
} dir_entry;

static int compare_names(const void *a, const void *b)
{
    return strcmp(((const dir_entry *)a)->name, ((const dir_entry *)b)->name);
}

/* The entries of dir, sorted bytewise by name, without "." and "..". */
static int list_names(const char *dir, dir_entry **names, size_t *n)
{
    DIR *dp = opendir(dir);
    size_t cap = 0;
    *names = NULL;
    *n = 0;
    if (!dp)
        return ND_EIO;
    for (struct dirent *e; (e = readdir(dp));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (ND_GROW(*names, cap, *n + 1) < 0 || !((*names)[*n].name = copy_string(e->d_name))) {
            closedir(dp);
            return ND_ENOMEM;
        }
        (*names)[(*n)++].type = e->d_type;
    }
    closedir(dp);
    nd_sort(*names, *n, sizeof(**names), compare_names);
    return 0;
}

static char *join_path(const char *a, const char *b)
{
    size_t na = strlen(a);
    const size_t nb = strlen(b);
    const bool slash = na && a[na - 1] == '/';
    char *p = malloc(na + nb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, na);
    if (!slash && na)
        p[na++] = '/';
    memcpy(p + na, b, nb + 1);
    return p;
}

static bool on_walk(const walk_frame *f, const struct stat *st)
{
    for (; f; f = f->up)
        if (f->dev == st->st_dev && f->ino == st->st_ino)
            return true;
    return false;
}

static int walk(nd_corpus *c, const char *dir, const char *rel, const walk_frame *up);

/* One entry of a directory: recurse, add, or report why not. A regular file, as the
 * directory tells, is added without asking the file system again (a stat per file
 * would be a large share of the system calls of a folder of articles). */
static int walk_entry(nd_corpus *c, const char *path, const char *rel, const walk_frame *frame,
                      unsigned char type)
{
    if (type == DT_REG)
        return add_file(c, path, rel, name_says_archive(path));
    struct stat st;
    if (stat(path, &st) < 0) {
        nd_report(c, ND_DIAG_ERROR, ND_EIO, path, -1, "%s", strerror(errno));
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        if (on_walk(frame, &st)) {
            nd_report(c, ND_DIAG_ERROR, ND_EINVAL, path, -1,
                      "directory loop (symlink back to an ancestor), not entered again");
            return 0;
        }
        return walk(c, path, rel, frame);
    }
    if (!S_ISREG(st.st_mode)) {
        nd_report(c, ND_DIAG_ERROR, ND_EINVAL, path, -1, "not a regular file, skipped");
        return 0;
    }
    return add_file(c, path, rel, name_says_archive(path));
}

static int walk(nd_corpus *c, const char *dir, const char *rel, const walk_frame *up)
{
    struct stat st;
    dir_entry *names;
    size_t n;
    int rc = stat(dir, &st) < 0 ? ND_EIO : list_names(dir, &names, &n);
    if (rc == ND_EIO) {
        nd_report(c, ND_DIAG_ERROR, ND_EIO, dir, -1, "%s", strerror(errno));
        return up ? 0 : ND_EIO;
    }
    if (rc < 0)
        return rc;
    const walk_frame frame = {st.st_dev, st.st_ino, up};
    for (size_t i = 0; i < n; i++) {
        char *path = join_path(dir, names[i].name);
        char *sub = rel ? join_path(rel, names[i].name) : copy_string(names[i].name);
        rc = (!path || !sub) ? ND_ENOMEM : rc;
        if (rc == 0)
            rc = walk_entry(c, path, sub, &frame, names[i].type);
        free(path);
        free(sub);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i].name);
    free(names);
    return rc;
}

/* A named pipe or device: read once, as stdin is, to --max-doc-size for a document. */
static int add_device(nd_corpus *c, const char *path)
{
    char *id = file_id(path);
    const int fd = id ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    int rc = id ? 0 : ND_ENOMEM;
    if (id && fd < 0)
        nd_report(c, ND_DIAG_ERROR, ND_EIO, path, -1, "%s", strerror(errno));
    if (fd >= 0) {
        rc = add_raw_stream(c, fd, path, id);
        close(fd);
    }
    free(id);
    return rc;
}

static int add_path(nd_corpus *c, const char *path)
{
    struct stat st;
    if (!strcmp(path, "-"))
        return add_stdin(c);
    if (stat(path, &st) < 0) {
        nd_report(c, ND_DIAG_ERROR, ND_EIO, path, -1, "%s", strerror(errno));
        return ND_EIO;
    }
    if (S_ISDIR(st.st_mode))
        return walk(c, path, NULL, NULL);
    if (S_ISREG(st.st_mode))
        return add_file(c, path, path, true);
    return add_device(c, path); /* the user asked for it */
}

int nd_corpus_add_path(nd_corpus *c, const char *path)
{
    const double t0 = nd_seconds_now();
    const int rc = add_path(c, path);
    c->list_seconds += nd_seconds_now() - t0;
    return rc;
}

int nd_corpus_add_memory(nd_corpus *c, const char *id, const void *bytes, size_t len)
{
    const double t0 = nd_seconds_now();
    const int rc = add_memory(c, id, bytes, len);
    c->list_seconds += nd_seconds_now() - t0;
    return rc;
}

int nd_corpus_add_bytes(nd_corpus *c, const char *name, uint32_t first_line, const void *bytes,
                        size_t len)
{
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy)
        return ND_ENOMEM;
    memcpy(copy, bytes, len);
    const double t0 = nd_seconds_now();
    const size_t before = c->n_docs;
    const int rc = nd_corpus_add_source_bytes(c, name, copy, len);
    for (size_t i = before; i < c->n_docs && first_line > 1; i++)
        if (c->docs[i].kind == ND_DOC_JSONL_LINE)
            c->docs[i].line += first_line - 1;
    c->list_seconds += nd_seconds_now() - t0;
    return rc;
}
