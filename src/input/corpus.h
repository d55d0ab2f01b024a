/*
 * corpus.h: the corpus, its sources and documents, and reading a document's text.
 *
 * A document's number is its position in input order, never a thread's doing.
 */
#ifndef ND_CORPUS_H
#define ND_CORPUS_H

#include "common/base.h"
#include "decode/http_body.h"
#include "decode/text_view.h"
#include "text/tokenize.h"

typedef enum {
    ND_DOC_PENDING,
    ND_DOC_OK,
    ND_DOC_EMPTY,   /* no word at all */
    ND_DOC_SKIPPED, /* unreadable or binary */
} nd_doc_status;

/* Where documents come from: a file, or bytes held in memory (a decompressed
 * archive, stdin, or a document given by a caller). */
typedef struct nd_source {
    char *path;          /* for reading (when data is NULL and fd is -1) and for messages */
    unsigned char *data; /* the source's bytes when held in memory, else NULL */
    size_t data_len;
    int fd;        /* a spooled stream (compressed, stdin, a pipe): the corpus's spool
                      file, else -1 */
    uint64_t base; /* where the stream's bytes start in it */
} nd_source;

typedef enum {
    ND_DOC_WHOLE,      /* the whole source is the document */
    ND_DOC_JSONL_LINE, /* one JSON line of the source; the text is one of its keys */
    ND_DOC_SLICE,      /* bytes [offset, offset + length) of a source held in memory */
} nd_doc_kind;

typedef struct nd_doc {
    char *id;        /* for JSONL, set when the line is read (scan) */
    char *url;       /* WARC-Target-URI, or NULL */
    int64_t date;    /* WARC-Date (seconds since 1970), else ND_NO_DATE */
    uint32_t source; /* index into the corpus's sources */
    nd_doc_kind kind;
    uint64_t offset;            /* JSONL: the line's byte offset in the source */
    uint32_t length;            /* JSONL: the line's length, without its newline */
    uint32_t line;              /* JSONL: 1-based line number */
    nd_http_codings codings;    /* a WARC response's body: the codings the reader undoes */
    uint8_t markup;             /* an nd_markup: the listing's (a WARC record's type), then
                                   the scan's answer */
    nd_charset charset;         /* the HTTP charset of a WARC response, then the charset the
                                   scan read the bytes in (ND_CHARSET_UTF8: as they are) */
    uint8_t charset_from;       /* an nd_charset_from: who said so */
    uint8_t charset_confidence; /* the detector's, when it did */
    char *charset_label;        /* a charset a page's <meta> named that ICU does not know */
    uint64_t n_bytes;
    uint32_t n_tokens;
    uint32_t n_shingles;   /* entries at shingles_off in the spill file */
    uint32_t n_distinct;   /* of them distinct: the size of the shingle set */
    uint64_t shingles_off; /* n_shingles hashes in text order */
    uint64_t sig_off;      /* the MinHash signature (num_perm uint32_t), when status is OK */
    uint64_t profile_off;  /* its shingles' profile (nd_shingle_profile), when has_profile */
    uint64_t text_hash;    /* of the shingle sequence: equal for identical normalized texts */
    uint64_t listed_size;  /* a whole file named on the command line or spooled: its size
                              when listed (it is read no further), else 0; UINT64_MAX for a
                              stream cut short past --max-doc-size */
    uint64_t raw_hash;     /* the reader's last_hash when the scan read it: a later read
                              that differs means the file changed while neardup ran */
    uint64_t grown_size;   /* a file that grew past its listed size: its size when the
                              scan read it (the scan read it as listed), else 0 */
    uint32_t text_first;   /* the first document of the same text (itself when none is
                              earlier): set by the identical stage */
    bool has_tokens;       /* n_tokens nd_token at tokens_off, when passages are wanted */
    bool has_profile;
    uint64_t tokens_off;
    nd_doc_status status;
    int error;             /* why it was skipped: an ND_E* code */
    int error_errno;       /* errno of a failed read */
    int64_t first_invalid; /* byte offset of the first invalid UTF-8 byte or NUL, or -1 */
    char *error_text;      /* what was wrong with a JSONL line, or NULL */
    bool invalid_utf8;
} nd_doc;

struct nd_corpus {
    nd_options opts;
    char *id_key, *text_key; /* owned copies of the options' keys */
    nd_doc *docs;
    size_t n_docs, cap_docs;
    nd_source *sources;
    size_t n_sources, cap_sources;
    char *tmpdir;    /* owned copy of the option, or NULL */
    char *charset;   /* owned copy of the option, or NULL */
    char *title_key; /* owned copy of the option, or NULL */
    nd_view_rules view_rules;
    nd_diag_fn diag;
    void *diag_payload;
    nd_progress_fn progress;
    void *progress_payload;
    nd_run_progress_fn run_progress;
    void *run_progress_payload;
    double list_seconds; /* spent adding inputs */
    int spool_fd;        /* the spool file of the streams read once (spool.c), or -1 */
    uint64_t spool_end;  /* its size */
};

/* Whether document i is a copy: its normalized text is that of an earlier document, with
 * which it is compared once (LSH and verification see the earlier one). */
static inline bool nd_doc_is_copy(const nd_corpus *c, size_t i)
{
    return c->docs[i].text_first != i;
}

/* Whether passages may start from d's shingles: a document of fewer words than a
 * shingle has one shingle of them all, which verification counts but no passage starts
 * from; a copy's passages are its text's first document's (it is aligned with that
 * one alone). */
static inline bool nd_doc_starts_passages(const nd_corpus *c, const nd_doc *d)
{
    return d->status == ND_DOC_OK && d->n_tokens >= (uint32_t)c->opts.shingle_k &&
           !nd_doc_is_copy(c, (size_t)(d - c->docs));
}

/* Adds bytes held in memory as a source read like a file named path: JSONL lines, WARC
 * records or one document, as the corpus's input format says (takes ownership). */
int nd_corpus_add_source_bytes(nd_corpus *c, const char *path, unsigned char *data, size_t len);

/* Tells the run progress callback, if any, where the run is (see nd_run_progress). */
void nd_report_progress(const nd_corpus *c, nd_stage stage, uint64_t done, uint64_t total,
                        const char *unit, uint64_t bytes_done);

/* Reports a diagnostic through the corpus's callback. */
void nd_report(const nd_corpus *c, nd_diag_level level, int code, const char *path, int64_t offset,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A reader of document text, one per thread: it keeps the JSONL file it read last open,
 * and reads its lines a window at a time (the lines of a batch of documents in one
 * system call), or just the line asked for when read_ahead is 0 (lines read in no order). */
typedef struct nd_reader {
    int fd;
    bool fd_owned;    /* opened by the reader (else the corpus's spool file) */
    uint64_t fd_base; /* where the source's bytes start in fd */
    uint32_t fd_source;
    unsigned char *window; /* bytes [window_off, window_off + window_len) of the file */
    size_t window_cap, window_len;
    uint64_t window_off;
    size_t read_ahead;
    uint64_t last_hash;               /* XXH3 of the bytes the last read took from a file (the JSONL
                                         line, the whole file), 0 for bytes held in memory */
    uint64_t last_grown_size;         /* the last whole file read had grown past its listed size
                                         to this many bytes, else 0 */
    unsigned char *coded, *coded_tmp; /* an HTTP body as stored, while it is decoded */
    size_t coded_cap, coded_tmp_cap;
} nd_reader;
#define ND_READ_AHEAD (256u << 10)
#define ND_READER_INIT                                                                             \
    {                                                                                              \
        .fd = -1, .read_ahead = ND_READ_AHEAD                                                      \
    }
#define ND_READER_EXACT                                                                            \
    {                                                                                              \
        .fd = -1, .read_ahead = 0                                                                  \
    }
void nd_reader_dispose(nd_reader *r);

/* Sets r to read the lines of docs[0..n) (the batch a thread is about to scan) in one
 * system call, when they are consecutive lines of one JSONL file; else the default
 * read-ahead. */
void nd_reader_expect(nd_reader *r, const nd_doc *docs, size_t n);

/* Reads a document's text (for JSONL, the decoded text key) into *buf (of *cap bytes,
 * grown as needed). For a JSONL line, *id gets the line's id (malloc'd) when id is not
 * NULL. Errors: ND_EIO (errno set), ND_EFORMAT (why says what is wrong), ND_EINVAL for a
 * document of more than --max-doc-size bytes (nothing read; nd_doc_size says how many
 * when it is known). */
int nd_doc_read(const nd_corpus *c, nd_reader *r, const nd_doc *d, unsigned char **buf, size_t *cap,
                size_t *len, char **id, char *why, size_t why_len);

/* The original bytes of a JSONL document's line, or of a WARC record's text in a file
 * (borrowed until the next read). */
int nd_doc_line(const nd_corpus *c, nd_reader *r, const nd_doc *d, const unsigned char **line);

/* The size of a document's bytes as listed (a JSONL line, a WARC record's text, a file
 * of known size), or 0 when it is known only once read; UINT64_MAX for a stream known
 * to hold more than --max-doc-size. */
uint64_t nd_doc_size(const nd_corpus *c, const nd_doc *d);

/* Whether the bytes r read last for d differ from those the scan read (d->raw_hash). */
bool nd_doc_changed(const nd_reader *r, const nd_doc *d);

/* Loads the text of a document into *bytes (owned by caller, free()); ND_EIO with errno
 * 0 when its file changed since the scan read it. */
int nd_doc_load(const nd_corpus *c, const nd_doc *d, unsigned char **bytes, size_t *len);

/* Reads what is left of fd into *buf (of *cap bytes, grown as needed): *len bytes; a
 * regular file up to its size when opened. */
int nd_read_fd(int fd, unsigned char **buf, size_t *cap, size_t *len);
/* The same, at most limit bytes. */
int nd_read_fd_upto(int fd, uint64_t limit, unsigned char **buf, size_t *cap, size_t *len);

/* How the scan read d's bytes body[0..len) (its markup and charset), to read them
 * again so. */
void nd_doc_view_spec(const nd_corpus *c, const nd_doc *d, const unsigned char *body, size_t len,
                      nd_view_spec *spec);

/* The path of the source of a document, for messages. */
const char *nd_doc_path(const nd_corpus *c, const nd_doc *d);

/* A document's bytes are binary (not text) when they hold a NUL byte. */
bool nd_bytes_look_binary(const unsigned char *bytes, size_t len);

#endif
