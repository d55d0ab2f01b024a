/*
 * scan_doc.c: one document through normalize -> tokenize -> shingle -> MinHash.
 *
 * Takes an nd_doc (where its bytes are). Produces its shingle hashes (in text order)
 * and their distinct count, its signature and, when passages are wanted, its words.
 * The document's bytes and normalized text live only while it is scanned.
 *
 * HOW A LARGE DOCUMENT IS SCANNED
 *
 * A document of more than chunk_bytes is scanned a piece at a time: what is held per
 * word (16-byte tokens, the normalized text with its offset map, the units of the
 * shingles) is then that of a piece, and what the document costs is its bytes and its
 * shingle hashes (8 bytes a shingle). The pages of its bytes are given back to the
 * system as the last pass leaves them, so the shingles take their place. A document
 * that fits in one piece is scanned whole, as one piece.
 *
 * A piece ends only where segmentation and normalization provably start afresh, at a
 * safe cut (nd_is_safe_cut): right after an ASCII space, tab or line feed that an
 * ASCII letter or digit, or a basic Greek, Cyrillic, Hebrew or Arabic letter, follows.
 * No UTF-8 sequence is cut there. Both characters are
 * normalization boundaries and chunks of their own (normalize.h), and normalization
 * looks at nothing beyond a chunk (NFKC_Casefold has no context: Σ and ς both fold to
 * σ). No word break rule of UAX #29, nor of ICU's tailoring, joins a space to a letter
 * or a digit, or looks past one (WB3d joins spaces to spaces only), so both sides of
 * the cut segment as they do in the whole text. The words of the pieces, their offsets moved by the
 * piece's start, are the words of the whole document. A piece is cut at the last such place before
 * chunk_bytes, else at the first one after; a document without one (CJK without spaces, one endless
 * word) is one piece, scanned whole. Each piece takes the one-pass splitter, or the general path
 * when the splitter gives up on it: both give the same words (tests compare them), so giving up
 * costs that piece only.
 *
 * Shingles run across pieces: the last k - 1 units (word hashes, or code points with
 * the spaces that join the words) are carried to the next piece, and each shingle is
 * made once its k units are there. A document of fewer than k units gets its one
 * shingle at the end, of what was carried.
 *
 * The words of a document of several pieces, for passages, are one record of the
 * scratch file all the same: a first pass counts them and room is reserved; the pass
 * that makes the shingles then writes each piece's words into place (holding them all
 * would cost 16 bytes a word, more than the document).
 *
 * Distinct shingles are counted with a set, 2 to 4 slots a shingle; a document of more
 * than ND_SCAN_SET_MAX shingles sorts its hashes in place instead, once they are
 * written to the scratch file.
 */
#define _POSIX_C_SOURCE 200809L
#include "scan/scan_doc.h"

#include "common/radix.h"
#include "common/scratch.h"
#include "text/fastwords.h"
#include "text/minhash.h"
#include "text/normalize.h"
#include "text/shingle.h"
#include "common/spill.h"
#include "text/tokenize.h"
#include "text/words.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf16.h>
#include <xxhash.h>

/* What the pieces of the document being scanned add up to so far. */
typedef struct doc_tally {
    size_t n_toks;     /* words */
    size_t n_units;    /* units of its shingles: words, or code points and joining spaces */
    size_t n_carry;    /* its last units, not yet in a whole shingle, at the start of the
                          scanner's units (or cps) */
    size_t n_shingles; /* made so far, at to->h + to->n */
    uint64_t n_invalid;
    int64_t first_invalid; /* byte offset in the document, or -1 */
} doc_tally;

/* The words of a piece, with their offsets in the document. */
typedef struct piece_words {
    nd_token *toks;
    size_t n;
    uint64_t n_invalid;
    int64_t first_invalid;
} piece_words;

struct nd_scanner {
    const nd_options *opts;
    nd_densifier *densifier; /* for the signatures of short documents */
    nd_spill *out;           /* the scratch file */
    nd_normalizer *normalizer;
    nd_tokenizer *tokenizer;
    nd_normtext text;
    nd_words words;             /* the fast engine's words */
    nd_word_splitter *splitter; /* the fast engine's, with no cliff (NULL for the ICU one) */
    nd_token *toks;
    size_t toks_cap;
    nd_span16 *norm;
    size_t norm_cap;
    uint64_t *units; /* word hashes */
    size_t units_cap;
    uint32_t *cps; /* code points, for character shingles */
    size_t cps_cap;
    nd_shingle_buf own;   /* the shingles of the document, when the scanner writes them */
    nd_shingle_buf *to;   /* where the document's shingles go, after to->n: own or the caller's */
    uint8_t *slot_counts; /* counting the distinct ones: how many shingles fall in a slot */
    size_t slots_cap;
    uint64_t *shared; /* the shingles of the slots that several fall in */
    size_t shared_cap;
    nd_spill_batch spill;    /* shingles and tokens on their way to the scratch file */
    nd_spill_batch sketches; /* signatures and profiles, apart: the identical stage reads
                                the shingles of every copy, and the pages it maps stay
                                fewer when only shingles lie side by side */
    size_t chunk_bytes;      /* a longer document is scanned in pieces of about this many bytes */
    doc_tally doc;
    uint64_t words_at;    /* where the next piece's words go in the scratch file */
    unsigned char *bytes; /* the document being scanned */
    size_t bytes_cap;
    nd_reader reader;
    nd_text_view view;                   /* the text of a page, or of a legacy charset */
    const nd_text_view *mapped;          /* the view whose words are being found, else NULL */
    bool detect;                         /* stop at invalid UTF-8: the detector may know better */
    uint8_t profile[ND_PROFILE_BUCKETS]; /* of the document's shingles, for verification */
};

int nd_scanner_new(nd_scanner **out, const nd_options *opts, nd_spill *spill,
                   nd_word_classes *classes)
{
    nd_scanner *s = calloc(1, sizeof(*s));
    if (!s)
        return ND_ENOMEM;
    s->opts = opts;
    s->out = spill;
    s->reader = (nd_reader)ND_READER_INIT;
    s->to = &s->own;
    s->chunk_bytes = ND_SCAN_CHUNK_BYTES;
    int rc = nd_normalizer_new(&s->normalizer, opts->normalize, opts->engine);
    if (rc == 0)
        rc = nd_tokenizer_new(&s->tokenizer, opts->engine == ND_ENGINE_FAST, classes);
    if (rc == 0 && opts->engine == ND_ENGINE_FAST)
        rc = nd_word_splitter_new(&s->splitter, s->normalizer, s->tokenizer);
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
    nd_word_splitter_free(s->splitter);
    nd_spill_batch_dispose(s->out, &s->spill);
    nd_spill_batch_dispose(s->out, &s->sketches);
    free(s->toks);
    free(s->norm);
    free(s->units);
    free(s->cps);
    free(s->bytes);
    free(s->own.h);
    free(s->slot_counts);
    free(s->shared);
    nd_reader_dispose(&s->reader);
    nd_text_view_dispose(&s->view);
    free(s);
}

/* ---------------------------------------------------------------- words */

/* The end of the piece that starts at from: the last safe cut (see the top of the file)
 * at most chunk_bytes on, else the first one after, else the document's end. */
static size_t piece_end(const unsigned char *bytes, size_t len, size_t from, size_t chunk_bytes)
{
    if (len - from <= chunk_bytes)
        return len;
    for (size_t i = from + chunk_bytes; i > from; i--)
        if (nd_is_safe_cut(bytes, len, i))
            return i;
    for (size_t i = from + chunk_bytes + 1; i < len; i++)
        if (nd_is_safe_cut(bytes, len, i))
            return i;
    return len;
}

/* Moves the offsets of a piece's words (and of its first invalid byte) into the document. */
static void move_into_document(piece_words *w, size_t from)
{
    if (from == 0)
        return;
    for (size_t i = 0; i < w->n; i++) {
        w->toks[i].start += (uint32_t)from;
        w->toks[i].end += (uint32_t)from;
    }
    if (w->first_invalid >= 0)
        w->first_invalid += (int64_t)from;
}

/* The words of bytes[from..to): by the fast engine's splitter (the one-pass splitter,
 * the general path where it cannot), else by normalizing then tokenizing, which leaves
 * the words' places in s->text, in s->norm, for character shingles. */
static int split_words(nd_scanner *s, const unsigned char *bytes, size_t from, size_t to,
                       piece_words *out)
{
    const bool chars = s->opts->shingle_unit == ND_UNIT_CHAR;
    const unsigned char *piece = bytes + from;
    const size_t len = to - from;
    const bool fast = !chars && s->splitter;
    int rc = fast ? nd_split_words(s->splitter, piece, len, &s->words) : 0;
    if (rc < 0)
        return rc;
    if (fast) {
        *out = (piece_words){s->words.toks, s->words.n, s->words.n_invalid, s->words.first_invalid};
    } else {
        size_t n;
        if ((rc = nd_normalize(s->normalizer, piece, len, &s->text)) < 0 ||
            (rc = nd_tokenize(s->tokenizer, &s->text, &s->toks, &n, &s->toks_cap,
                              chars ? &s->norm : NULL, &s->norm_cap)) < 0)
            return rc;
        *out = (piece_words){s->toks, n, s->text.n_invalid, s->text.first_invalid};
    }
    move_into_document(out, from);
    return 0;
}

/* ---------------------------------------------------------------- shingles */

/* Room for n more shingles of the document; *out gets where they go. */
static int shingle_room(nd_scanner *s, size_t n, uint64_t **out)
{
    nd_shingle_buf *to = s->to;
    const size_t at = to->n + s->doc.n_shingles;
    if (ND_GROW(to->h, to->cap, at + n) < 0)
        return ND_ENOMEM;
    *out = to->h + at;
    s->doc.n_shingles += n;
    return 0;
}

/* The number of units carried to the next piece when m are held: the last k - 1, or all
 * of them while they make no shingle yet. */
static size_t units_to_carry(size_t m, size_t k)
{
    return m < k ? m : k - 1;
}

/* Makes the word shingles whose k units are all in s->units[0..m) (the carried units,
 * then a piece's), and carries the last ones to the next piece. */
static int shingle_word_units(nd_scanner *s, size_t m)
{
    const size_t k = (size_t)s->opts->shingle_k;
    uint64_t *out;
    if (m >= k) {
        if (shingle_room(s, m - k + 1, &out) < 0)
            return ND_ENOMEM;
        nd_shingle_hashes(s->units, m, (int)k, out);
    }
    s->doc.n_carry = units_to_carry(m, k);
    if (s->doc.n_carry > 0)
        memmove(s->units, s->units + m - s->doc.n_carry, s->doc.n_carry * sizeof(*s->units));
    return 0;
}

/* The same for character shingles, of the code points in s->cps[0..m). */
static int shingle_char_units(nd_scanner *s, size_t m)
{
    const size_t k = (size_t)s->opts->char_ngram;
    uint64_t *out;
    if (m >= k) {
        if (shingle_room(s, m - k + 1, &out) < 0)
            return ND_ENOMEM;
        nd_shingle_chars(s->cps, m, (int)k, out);
    }
    s->doc.n_carry = units_to_carry(m, k);
    if (s->doc.n_carry > 0)
        memmove(s->cps, s->cps + m - s->doc.n_carry, s->doc.n_carry * sizeof(*s->cps));
    return 0;
}

/* Adds the shingles a piece's words complete. */
static int add_word_shingles(nd_scanner *s, const piece_words *w)
{
    const size_t m = s->doc.n_carry + w->n;
    if (ND_GROW(s->units, s->units_cap, m) < 0)
        return ND_ENOMEM;
    for (size_t i = 0; i < w->n; i++)
        s->units[s->doc.n_carry + i] = w->toks[i].hash;
    s->doc.n_units += w->n;
    return shingle_word_units(s, m);
}

/* Adds the character shingles a piece's words complete: the code points of the words
 * (in s->text, at s->norm), each word after one space but the document's first. */
static int add_char_shingles(nd_scanner *s, size_t n_toks)
{
    size_t m = s->doc.n_carry;
    for (size_t t = 0; t < n_toks; t++) {
        const nd_span16 w = s->norm[t];
        if (ND_GROW(s->cps, s->cps_cap, m + (size_t)(w.end_u16 - w.start_u16) + 1) < 0)
            return ND_ENOMEM;
        if (s->doc.n_toks + t > 0)
            s->cps[m++] = ' ';
        for (int32_t i = w.start_u16; i < w.end_u16;) {
            UChar32 c;
            U16_NEXT(s->text.text, i, w.end_u16, c);
            s->cps[m++] = (uint32_t)c;
        }
    }
    s->doc.n_units += m - s->doc.n_carry;
    return shingle_char_units(s, m);
}

/* The one shingle of a document of fewer units than a shingle: all of them, carried. */
static int shingle_short_document(nd_scanner *s)
{
    uint64_t *out;
    if (s->doc.n_shingles > 0 || s->doc.n_units == 0)
        return 0;
    assert(s->doc.n_carry == s->doc.n_units);
    if (shingle_room(s, 1, &out) < 0)
        return ND_ENOMEM;
    if (s->opts->shingle_unit == ND_UNIT_CHAR)
        nd_shingle_chars(s->cps, s->doc.n_carry, s->opts->char_ngram, out);
    else
        nd_shingle_hashes(s->units, s->doc.n_carry, s->opts->shingle_k, out);
    return 0;
}

/* ---------------------------------------------------------------- distinct shingles */

/* Sorts h[0..n) and returns how many distinct values it holds. */
static size_t sorted_distinct(uint64_t *h, size_t n)
{
    nd_radix_sort_u64_in_place(h, n);
    size_t count = n > 0;
    for (size_t i = 1; i < n; i++)
        count += h[i] != h[i - 1];
    return count;
}

/* The distinct values of h[0..n): verification takes a set of that size, and needs no
 * set of its own for a document whose shingles are all distinct (most are). The hashes
 * are counted into 16 n or more slots by their top bits, without a branch; a hash alone
 * in its slot is distinct, and only those of the slots that several fall in (one in
 * sixteen or fewer) are sorted to be told apart. (A set probed hash by hash stalled on
 * whether each slot was free, at no place a branch predicts.) */
static int count_distinct(nd_scanner *s, const uint64_t *h, size_t n, uint32_t *distinct)
{
    size_t slots = 64;
    unsigned shift = 58;
    while (slots < 16 * n)
        slots *= 2, shift--;
    if (ND_GROW(s->slot_counts, s->slots_cap, slots) < 0 ||
        ND_GROW(s->shared, s->shared_cap, n + 1) < 0)
        return ND_ENOMEM;
    uint8_t *count = s->slot_counts;
    memset(count, 0, slots);
    for (size_t i = 0; i < n; i++) {
        const size_t at = (size_t)(h[i] >> shift);
        count[at] = (uint8_t)(count[at] + (count[at] < 2));
    }
    size_t n_shared = 0;
    for (size_t i = 0; i < n; i++)
        if (count[h[i] >> shift] > 1)
            s->shared[n_shared++] = h[i];
    *distinct = (uint32_t)(n - n_shared + sorted_distinct(s->shared, n_shared));
    return 0;
}

bool nd_scan_distinct_deferred(const nd_doc *d)
{
    return d->status == ND_DOC_OK && d->n_shingles > ND_SCAN_SET_MAX;
}

void nd_scan_count_distinct(nd_doc *d, uint64_t *h)
{
    d->n_distinct = (uint32_t)sorted_distinct(h, d->n_shingles);
}

/* ---------------------------------------------------------------- a document */

/* Notes the invalid UTF-8 of a piece: the document's first invalid byte is in the first
 * piece that holds one. */
static void note_invalid(doc_tally *doc, const piece_words *w)
{
    if (w->n_invalid > 0 && doc->n_invalid == 0)
        doc->first_invalid = w->first_invalid;
    doc->n_invalid += w->n_invalid;
}

/* scan_pieces' answer, with s->detect, for a document that is not all UTF-8. */
#define ND_SCAN_NOT_UTF8 1

/* What a pass over the pieces of a document does besides counting their words and
 * noting their invalid UTF-8. */
enum pass_work {
    PASS_COUNT = 0,
    PASS_SHINGLES = 1,    /* makes the shingles: the last pass, which drops the bytes read */
    PASS_WRITE_WORDS = 2, /* writes the words into their record, reserved at s->words_at */
};

/* Writes a piece's words after those of the pieces before, into the document's record. */
static int write_words(nd_scanner *s, const piece_words *w)
{
    const size_t n_bytes = w->n * sizeof(*w->toks);
    const int rc = nd_spill_write(s->out, s->words_at, w->toks, n_bytes);
    s->words_at += n_bytes;
    return rc;
}

/* One pass over the pieces of a document: each split into words, then what work says;
 * *last gets the words of the last one. In strict mode it stops at the first piece with
 * invalid UTF-8. */
static int scan_pieces(nd_scanner *s, unsigned char *bytes, size_t len, unsigned work,
                       piece_words *last)
{
    const bool chars = s->opts->shingle_unit == ND_UNIT_CHAR;
    s->doc = (doc_tally){.first_invalid = -1};
    for (size_t from = 0, to; from < len; from = to) {
        to = piece_end(bytes, len, from, s->chunk_bytes);
        int rc = split_words(s, bytes, from, to, last);
        if (rc < 0)
            return rc;
        if (last->n_invalid > 0 && s->detect)
            return ND_SCAN_NOT_UTF8;        /* nothing is kept yet: one piece, or checked before */
        if (s->mapped && s->opts->passages) /* (only passages read the words' offsets) */
            nd_text_view_map_tokens(s->mapped, last->toks, last->n);
        note_invalid(&s->doc, last);
        if (s->doc.n_invalid > 0 && s->opts->strict)
            return 0;
        if ((work & PASS_SHINGLES) &&
            (rc = chars ? add_char_shingles(s, last->n) : add_word_shingles(s, last)) < 0)
            return rc;
        if ((work & PASS_WRITE_WORDS) && (rc = write_words(s, last)) < 0)
            return rc;
        s->doc.n_toks += last->n;
        /* read for the last time: while the shingles grow, the document's pages go */
        if ((work & PASS_SHINGLES) && to < len)
            nd_scratch_drop_pages(bytes + from, to - from);
    }
    return 0;
}

/* Signs the document's shingles and writes them and their distinct count. */
static int sign_shingles(nd_scanner *s, nd_doc *d, uint32_t *sig)
{
    const size_t n = s->doc.n_shingles;
    uint64_t *h = s->to->h + s->to->n;
    const bool mine = s->to == &s->own;
    d->n_shingles = (uint32_t)n;
    int rc = n <= ND_SCAN_SET_MAX ? count_distinct(s, h, n, &d->n_distinct) : 0;
    if (rc < 0)
        return rc;
    d->text_hash = XXH3_64bits_withSeed(h, n * sizeof(*h), s->doc.n_toks);
    /* The densifier's table, which only speeds up the signatures of documents of a few
     * shingles, costs more to build than a short corpus takes to scan: built when the
     * first such document comes (the signature is the same with or without it). */
    if (!s->densifier && (uint64_t)n * n <= 4 * (uint64_t)s->opts->num_perm &&
        (rc = nd_densifier_new(&s->densifier, s->opts->num_perm, s->opts->seed)) < 0)
        return rc;
    nd_minhash_sign_with(s->densifier, h, n, s->opts->num_perm, s->opts->seed, sig);
    rc = nd_spill_batch_add(s->out, &s->sketches, sig, (size_t)s->opts->num_perm * sizeof(*sig),
                            &d->sig_off);
    /* exact verification rules out most pairs below the threshold by their profiles, where
     * reading them costs less than reading the shingles */
    d->has_profile = s->opts->verify == ND_VERIFY_EXACT && n >= ND_PROFILE_MIN_SHINGLES &&
                     nd_shingle_profile(h, n, s->profile);
    if (rc == 0 && d->has_profile)
        rc = nd_spill_batch_add(s->out, &s->sketches, s->profile, sizeof(s->profile),
                                &d->profile_off);
    if (rc == 0 && mine)
        rc = nd_spill_batch_add(s->out, &s->spill, h, n * sizeof(*h), &d->shingles_off);
    if (rc < 0)
        return rc;
    d->status = ND_DOC_OK;
    /* written, so their order may go; the caller's are counted once it wrote them */
    if (mine && nd_scan_distinct_deferred(d))
        nd_scan_count_distinct(d, h);
    s->to->n += n;
    return 0;
}

/* Records what a pass found wrong with the document, or that it has no words; returns
 * whether it is to be scanned on. */
static bool document_goes_on(const nd_scanner *s, nd_doc *d)
{
    d->invalid_utf8 = s->doc.n_invalid > 0;
    d->first_invalid = s->doc.first_invalid;
    if (d->invalid_utf8 && s->opts->strict) {
        d->status = ND_DOC_SKIPPED;
        d->error = ND_EUTF8;
        return false;
    }
    d->n_tokens = (uint32_t)s->doc.n_toks;
    if (s->doc.n_toks == 0) {
        d->status = ND_DOC_EMPTY;
        return false;
    }
    return true;
}

/* For a document of several pieces whose words are wanted: a first pass counts them,
 * and room for them all is reserved in the scratch file, where the pass that makes the
 * shingles writes them. */
static int reserve_words(nd_scanner *s, nd_doc *d, unsigned char *bytes, size_t len, bool *goes_on)
{
    piece_words last;
    const int rc = scan_pieces(s, bytes, len, PASS_COUNT, &last);
    if (rc < 0 || !(*goes_on = document_goes_on(s, d)))
        return rc;
    return nd_spill_reserve(s->out, (size_t)d->n_tokens * sizeof(nd_token), &d->tokens_off);
}

/* A document's bytes to its counts, shingles, signature and, with passages, its words:
 * one pass over its pieces, or two when it has several and its words are wanted. */
static int scan_bytes(nd_scanner *s, nd_doc *d, unsigned char *bytes, size_t len, uint32_t *sig)
{
    const bool wants_words = s->opts->passages && s->opts->shingle_unit == ND_UNIT_WORD;
    const bool in_pieces = piece_end(bytes, len, 0, s->chunk_bytes) < len;
    bool goes_on = true;
    unsigned work = PASS_SHINGLES;
    int rc = 0;
    s->own.n = 0;
    if (wants_words && in_pieces) {
        if ((rc = reserve_words(s, d, bytes, len, &goes_on)) < 0 || !goes_on)
            return rc;
        s->words_at = d->tokens_off;
        work |= PASS_WRITE_WORDS;
    }
    piece_words last = {NULL, 0, 0, -1};
    if ((rc = scan_pieces(s, bytes, len, work, &last)) != 0 || !document_goes_on(s, d))
        return rc;
    if ((rc = shingle_short_document(s)) < 0 || (rc = sign_shingles(s, d, sig)) < 0)
        return rc;
    d->has_tokens = wants_words;
    if (!wants_words || in_pieces)
        return 0;
    return nd_spill_batch_add(s->out, &s->spill, last.toks, last.n * sizeof(*last.toks),
                              &d->tokens_off);
}

/* Frees a buffer of *cap elements of size elem when it holds more than ND_SCAN_KEEP_BYTES. */
static void free_if_large(void **p, size_t *cap, size_t elem)
{
    if (*cap * elem <= ND_SCAN_KEEP_BYTES)
        return;
    free(*p);
    *p = NULL;
    *cap = 0;
}
#define FREE_IF_LARGE(p, cap) free_if_large((void **)&(p), &(cap), sizeof(*(p)))

/* Gives back what a large document made the scanner grow: a thread keeps what typical
 * documents need, not what the largest one took, for the rest of the run. The buffers of
 * a piece of ND_SCAN_CHUNK_BYTES mostly stay below the cap; a large document's bytes and
 * shingles do not, nor the buffers of one scanned whole for want of a place to cut it. */
static void release_large_buffers(nd_scanner *s)
{
    FREE_IF_LARGE(s->bytes, s->bytes_cap);
    FREE_IF_LARGE(s->own.h, s->own.cap);
    FREE_IF_LARGE(s->words.toks, s->words.cap);
    FREE_IF_LARGE(s->words.word, s->words.word_cap);
    FREE_IF_LARGE(s->toks, s->toks_cap);
    FREE_IF_LARGE(s->norm, s->norm_cap);
    FREE_IF_LARGE(s->units, s->units_cap);
    FREE_IF_LARGE(s->cps, s->cps_cap);
    if (s->text.cap * sizeof(*s->text.src_start) > ND_SCAN_KEEP_BYTES)
        nd_normtext_dispose(&s->text);
}

void nd_scanner_keep_shingles(nd_scanner *s, nd_shingle_buf *into)
{
    s->to = into;
}

void nd_scanner_set_chunk_bytes(nd_scanner *s, size_t chunk_bytes)
{
    s->chunk_bytes = chunk_bytes > 0 ? chunk_bytes : ND_SCAN_CHUNK_BYTES;
}

int nd_scanner_finish(nd_scanner *s)
{
    const int rc = nd_spill_batch_flush(s->out, &s->spill);
    return rc < 0 ? rc : nd_spill_batch_flush(s->out, &s->sketches);
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

/* Scans the view spec makes of bytes: its words' offsets taken back to the bytes. */
static int scan_view(nd_scanner *s, nd_doc *d, const unsigned char *bytes, size_t len,
                     const nd_view_spec *spec, uint32_t *sig)
{
    if (len > ND_VIEW_MAX_BYTES) { /* (offsets in a view's map are 32-bit) */
        d->status = ND_DOC_SKIPPED;
        d->error = ND_EINVAL;
        return 0;
    }
    int rc = nd_text_view_make(&s->view, bytes, len, spec);
    if (rc == ND_EFORMAT) {
        d->status = ND_DOC_SKIPPED;
        d->error = ND_EFORMAT;
        d->error_text =
            strdup(spec->html ? "the HTML parser failed" : "the charset converter failed");
        return 0;
    }
    if (rc < 0)
        return rc;
    if (s->view.len >= UINT32_MAX) {
        d->status = ND_DOC_SKIPPED;
        d->error = ND_EINVAL;
        return 0;
    }
    s->mapped = &s->view;
    rc = scan_bytes(s, d, (unsigned char *)s->view.text, s->view.len, sig);
    s->mapped = NULL;
    return rc;
}

/* Bytes that name no charset and are not all UTF-8: the detector's charset when it
 * finds one and the bytes are mostly not UTF-8 (a UTF-8 text with a few bad bytes is
 * read as UTF-8, its bad bytes as U+FFFD). */
static bool detect_charset(nd_scanner *s, const unsigned char *bytes, size_t len,
                           nd_view_spec *spec, nd_doc *d)
{
    if (!nd_bytes_mostly_not_utf8(bytes, len) || !nd_text_view_converter(&s->view))
        return false;
    int confidence;
    const nd_charset cs = nd_charset_detect(s->view.converter, bytes, len, &confidence);
    if (cs == ND_CHARSET_UTF8)
        return false;
    spec->charset = cs;
    spec->from = ND_CHARSET_FROM_DETECTOR;
    d->charset_confidence = (uint8_t)confidence;
    return true;
}

/* Bytes read as they are: UTF-8, unless the detector is allowed to look and finds them
 * in another charset. */
static int scan_as_read(nd_scanner *s, nd_doc *d, unsigned char *bytes, size_t len,
                        nd_view_spec *spec, uint32_t *sig)
{
    const bool may_detect =
        spec->from == ND_CHARSET_FROM_NONE && !s->opts->strict && d->kind != ND_DOC_JSONL_LINE;
    /* a document of several pieces lets go of its pages as it goes: asked first */
    const bool whole = piece_end(bytes, len, 0, s->chunk_bytes) == len;
    if (may_detect && !whole && detect_charset(s, bytes, len, spec, d))
        return scan_view(s, d, bytes, len, spec, sig);
    s->detect = may_detect && whole;
    int rc = scan_bytes(s, d, bytes, len, sig);
    s->detect = false;
    if (rc != ND_SCAN_NOT_UTF8)
        return rc;
    if (detect_charset(s, bytes, len, spec, d))
        return scan_view(s, d, bytes, len, spec, sig);
    return scan_bytes(s, d, bytes, len, sig);
}

static int read_and_scan(nd_scanner *s, const nd_corpus *c, nd_doc *d, uint32_t *sig)
{
    size_t len;
    char why[256], *id = NULL;
    int rc = nd_doc_read(c, &s->reader, d, &s->bytes, &s->bytes_cap, &len,
                         d->kind == ND_DOC_JSONL_LINE ? &id : NULL, why, sizeof(why));
    unsigned char *bytes = s->bytes;
    d->raw_hash = s->reader.last_hash;
    d->grown_size = s->reader.last_grown_size;
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
    nd_view_spec spec;
    nd_view_resolve(&c->view_rules, bytes, len, (nd_markup)d->markup, d->charset,
                    d->kind == ND_DOC_JSONL_LINE, &spec);
    if (spec.unknown[0] && !(d->charset_label = strdup(spec.unknown)))
        return ND_ENOMEM;
    /* a page that names no charset and is not UTF-8: the detector (text goes to it in
     * scan_as_read, once the scan finds a bad byte) */
    if (spec.html && spec.from == ND_CHARSET_FROM_NONE && !s->opts->strict &&
        d->kind != ND_DOC_JSONL_LINE)
        detect_charset(s, bytes, len, &spec, d);
    const bool as_read = nd_view_is_identity(&spec);
    if (len >= UINT32_MAX) {
        d->status = ND_DOC_SKIPPED;
        d->error = ND_EINVAL;
    } else if (spec.charset == ND_CHARSET_UTF8 && nd_bytes_look_binary(bytes, len)) {
        /* (UTF-16 and UTF-32 hold NUL bytes: a converted document is not called binary) */
        d->status = ND_DOC_SKIPPED;
        d->error = ND_EFORMAT;
        d->first_invalid = (int64_t)((const unsigned char *)memchr(bytes, 0, len) - bytes);
    } else {
        rc = as_read ? scan_as_read(s, d, bytes, len, &spec, sig)
                     : scan_view(s, d, bytes, len, &spec, sig);
    }
    d->markup = spec.html ? ND_MARKUP_HTML : ND_MARKUP_PLAIN;
    d->charset = spec.charset;
    d->charset_from = (uint8_t)spec.from;
    return rc;
}

int nd_scan_doc(nd_scanner *s, const nd_corpus *c, nd_doc *d, uint32_t *sig)
{
    const int rc = read_and_scan(s, c, d, sig);
    release_large_buffers(s);
    return rc;
}
