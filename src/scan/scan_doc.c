/*
 * scan_doc.c: one document through normalize -> tokenize -> shingle -> MinHash.
 *
 * Takes an nd_doc (where its bytes are). Produces its distinct shingle set
 * (sorted), its signature and, when passages are wanted, its words. The
 * document's bytes and normalized text live only while it is scanned.
 */
#define _POSIX_C_SOURCE 200809L
#include "scan/scan_doc.h"

#include "text/fastwords.h"
#include "text/minhash.h"
#include "text/normalize.h"
#include "text/shingle.h"
#include "common/spill.h"
#include "text/tokenize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf16.h>
#include <xxhash.h>

struct nd_scanner {
    const nd_options *opts;
    nd_densifier *densifier; /* for the signatures of short documents */
    nd_spill *out;           /* the scratch file */
    nd_normalizer *normalizer;
    nd_tokenizer *tokenizer;
    nd_normtext text;
    nd_words words; /* the fast engine's one-pass result */
    nd_token *toks;
    size_t toks_cap;
    nd_span16 *norm;
    size_t norm_cap;
    uint64_t *units; /* word hashes */
    size_t units_cap;
    uint32_t *cps; /* code points, for character shingles */
    size_t cps_cap;
    uint64_t *shingles; /* of the document being scanned */
    size_t shingles_cap;
    uint64_t *seen; /* an open-addressing set of them, to count the distinct ones */
    size_t seen_cap;
    nd_spill_batch spill; /* shingles and tokens on their way to the scratch file */
    bool keep_shingles;   /* the caller writes the shingles, not the scanner */
    unsigned char *bytes; /* the document being scanned */
    size_t bytes_cap;
    nd_reader reader;
};

int nd_scanner_new(nd_scanner **out, const nd_options *opts, nd_spill *spill)
{
    nd_scanner *s = calloc(1, sizeof(*s));
    if (!s)
        return ND_ENOMEM;
    s->opts = opts;
    s->out = spill;
    s->reader = (nd_reader)ND_READER_INIT;
    int rc = nd_normalizer_new(&s->normalizer, opts->normalize, opts->engine);
    if (rc == 0)
        rc = nd_densifier_new(&s->densifier, opts->num_perm, opts->seed);
    if (rc == 0)
        rc = nd_tokenizer_new(&s->tokenizer, opts->engine == ND_ENGINE_FAST);
    if (rc < 0) {
        nd_scanner_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void nd_scanner_free(nd_scanner *s)
{
    if (!s)
        return;
    nd_normalizer_free(s->normalizer);
    nd_densifier_free(s->densifier);
    nd_tokenizer_free(s->tokenizer);
    nd_normtext_dispose(&s->text);
    nd_words_dispose(&s->words);
    nd_spill_batch_dispose(s->out, &s->spill);
    free(s->toks);
    free(s->norm);
    free(s->units);
    free(s->cps);
    free(s->bytes);
    free(s->shingles);
    free(s->seen);
    nd_reader_dispose(&s->reader);
    free(s);
}

/* The code points of the words, joined by one space: the text of character shingles. */
static int word_code_points(nd_scanner *s, size_t n_toks, size_t *n_out)
{
    size_t n = 0;
    for (size_t t = 0; t < n_toks; t++) {
        const nd_span16 w = s->norm[t];
        if (ND_GROW(s->cps, s->cps_cap, n + (size_t)(w.end_u16 - w.start_u16) + 1) < 0)
            return ND_ENOMEM;
        if (t > 0)
            s->cps[n++] = ' ';
        for (int32_t i = w.start_u16; i < w.end_u16;) {
            UChar32 c;
            U16_NEXT(s->text.text, i, w.end_u16, c);
            s->cps[n++] = (uint32_t)c;
        }
    }
    *n_out = n;
    return 0;
}

/* The shingle hashes of the scanned words, into s->shingles (*n entries). */
static int make_shingles(nd_scanner *s, const nd_token *toks, size_t n_toks, size_t *n)
{
    const bool chars = s->opts->shingle_unit == ND_UNIT_CHAR;
    size_t n_units = n_toks;
    int rc = 0;
    if (chars) {
        rc = word_code_points(s, n_toks, &n_units);
    } else if (ND_GROW(s->units, s->units_cap, n_toks) < 0) {
        rc = ND_ENOMEM;
    } else {
        for (size_t i = 0; i < n_toks; i++)
            s->units[i] = toks[i].hash;
    }
    if (rc < 0)
        return rc;
    const int k = chars ? s->opts->char_ngram : s->opts->shingle_k;
    *n = nd_shingle_count(n_units, k);
    if (ND_GROW(s->shingles, s->shingles_cap, *n) < 0)
        return ND_ENOMEM;
    if (chars)
        nd_shingle_chars(s->cps, n_units, k, s->shingles);
    else
        nd_shingle_hashes(s->units, n_units, k, s->shingles);
    return 0;
}

/* The words of a document, by the one-pass splitter when it can, else by normalizing then
 * tokenizing; *toks points at them. Records invalid UTF-8 in d. */
static int split_words(nd_scanner *s, nd_doc *d, const unsigned char *bytes, size_t len,
                       const nd_token **toks, size_t *n_toks)
{
    const bool chars = s->opts->shingle_unit == ND_UNIT_CHAR;
    int rc = chars ? 0 : nd_fast_words(s->normalizer, s->tokenizer, bytes, len, &s->words);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        d->invalid_utf8 = s->words.n_invalid > 0;
        d->first_invalid = s->words.first_invalid;
        *toks = s->words.toks;
        *n_toks = s->words.n;
        return 0;
    }
    if ((rc = nd_normalize(s->normalizer, bytes, len, &s->text)) < 0)
        return rc;
    d->invalid_utf8 = s->text.n_invalid > 0;
    d->first_invalid = s->text.first_invalid;
    rc = nd_tokenize(s->tokenizer, &s->text, &s->toks, n_toks, &s->toks_cap,
                     chars ? &s->norm : NULL, &s->norm_cap);
    *toks = s->toks;
    return rc;
}

/* The distinct values of h[0..n): verification takes a set of that size, and needs no
 * set of its own for a document whose shingles are all distinct (most are). */
static int count_distinct(nd_scanner *s, const uint64_t *h, size_t n, uint32_t *distinct)
{
    size_t cap = 16;
    unsigned shift = 60;
    while (cap < 2 * n)
        cap *= 2, shift--;
    if (cap > s->seen_cap) {
        free(s->seen);
        s->seen_cap = 0;
        if (!(s->seen = malloc(cap * sizeof(*s->seen))))
            return ND_ENOMEM;
        s->seen_cap = cap;
    }
    memset(s->seen, 0, cap * sizeof(*s->seen));
    size_t count = 0;
    bool zero = false; /* 0 marks an empty slot: the hash 0 is counted aside */
    for (size_t i = 0; i < n; i++) {
        if (h[i] == 0) {
            count += !zero;
            zero = true;
            continue;
        }
        size_t at = h[i] >> shift;
        while (s->seen[at] != 0 && s->seen[at] != h[i])
            at = (at + 1) & (cap - 1);
        count += s->seen[at] == 0;
        s->seen[at] = h[i];
    }
    *distinct = (uint32_t)count;
    return 0;
}

static int scan_bytes(nd_scanner *s, nd_doc *d, const unsigned char *bytes, size_t len,
                      uint32_t *sig)
{
    size_t n_toks, n_sh;
    const nd_token *toks;
    int rc = split_words(s, d, bytes, len, &toks, &n_toks);
    if (rc < 0)
        return rc;
    if (d->invalid_utf8 && s->opts->strict) {
        d->status = ND_DOC_SKIPPED;
        d->error = ND_EUTF8;
        return 0;
    }
    d->n_tokens = (uint32_t)n_toks;
    if (n_toks == 0) {
        d->status = ND_DOC_EMPTY;
        return 0;
    }
    if ((rc = make_shingles(s, toks, n_toks, &n_sh)) < 0)
        return rc;
    d->n_shingles = (uint32_t)n_sh;
    if ((rc = count_distinct(s, s->shingles, n_sh, &d->n_distinct)) < 0)
        return rc;
    d->text_hash = XXH3_64bits_withSeed(s->shingles, n_sh * sizeof(*s->shingles), n_toks);
    nd_minhash_sign_with(s->densifier, s->shingles, n_sh, s->opts->num_perm, s->opts->seed, sig);
    rc = nd_spill_batch_add(s->out, &s->spill, sig, (size_t)s->opts->num_perm * sizeof(*sig),
                            &d->sig_off);
    if (rc == 0 && !s->keep_shingles)
        rc = nd_spill_batch_add(s->out, &s->spill, s->shingles, n_sh * sizeof(*s->shingles),
                                &d->shingles_off);
    if (rc < 0)
        return rc;
    d->status = ND_DOC_OK;
    if (!s->opts->passages || s->opts->shingle_unit == ND_UNIT_CHAR)
        return 0;
    d->has_tokens = true;
    return nd_spill_batch_add(s->out, &s->spill, toks, n_toks * sizeof(*toks), &d->tokens_off);
}

const uint64_t *nd_scanner_last_shingles(const nd_scanner *s)
{
    return s->shingles;
}

void nd_scanner_keep_shingles(nd_scanner *s)
{
    s->keep_shingles = true;
}

int nd_scanner_finish(nd_scanner *s)
{
    return nd_spill_batch_flush(s->out, &s->spill);
}

void nd_scanner_expect(nd_scanner *s, const nd_doc *docs, size_t n)
{
    nd_reader_expect(&s->reader, docs, n);
}

/* "FILE:LINE", the id of a JSONL line without one. */
static char *jsonl_fallback_id(const nd_corpus *c, const nd_doc *d)
{
    const char *path = nd_doc_path(c, d);
    char *id = malloc(strlen(path) + 16);
    if (id)
        sprintf(id, "%s:%u", path, d->line);
    return id;
}

int nd_scan_doc(nd_scanner *s, const nd_corpus *c, nd_doc *d, uint32_t *sig)
{
    size_t len;
    char why[256], *id = NULL;
    int rc = nd_doc_read(c, &s->reader, d, &s->bytes, &s->bytes_cap, &len,
                         d->kind == ND_DOC_JSONL_LINE ? &id : NULL, why, sizeof(why));
    const unsigned char *bytes = s->bytes;
    d->raw_hash = s->reader.last_hash;
    if (rc == ND_ENOMEM)
        return rc;
    if (d->kind == ND_DOC_JSONL_LINE && !d->id)
        d->id = id ? id : jsonl_fallback_id(c, d);
    else
        free(id);
    if (rc < 0) {
        d->status = ND_DOC_SKIPPED;
        d->error = rc;
        d->error_errno = errno;
        d->error_text = rc == ND_EFORMAT ? strdup(why) : NULL;
        return 0;
    }
    d->n_bytes = len;
    if (len >= UINT32_MAX) {
        d->status = ND_DOC_SKIPPED;
        d->error = ND_EINVAL;
    } else if (nd_bytes_look_binary(bytes, len)) {
        d->status = ND_DOC_SKIPPED;
        d->error = ND_EFORMAT;
        d->first_invalid = (int64_t)((const unsigned char *)memchr(bytes, 0, len) - bytes);
    } else {
        rc = scan_bytes(s, d, bytes, len, sig);
    }
    return rc;
}
