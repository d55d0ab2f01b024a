/*
 * words.c: words with no cliff (see words.h).
 *
 * The one-pass splitter gives up on a document at the first thing it does not
 * model, and the whole document used to take the general path, ten to twenty times
 * slower: one emoji per article was enough. Here the words it found before the safe
 * cut that precedes the place it gave up are kept, the general path splits from that
 * cut to the next safe cut after the place, and the splitter takes up again from
 * there. A safe cut is a point where segmentation and normalization start afresh
 * (nd_is_safe_cut), so each stretch split on its own gives the words of the whole.
 * Text without such cuts (Chinese, Japanese, Thai without spaces) goes the general way
 * from the first thing not modeled on.
 */
#include "text/words.h"

#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>

struct nd_word_splitter {
    nd_normalizer *nz;
    nd_tokenizer *tk;
    nd_words part;    /* the one-pass splitter's words of the stretch after a cut */
    nd_normtext text; /* the general path's normalized stretch */
    nd_token *toks;   /* and its words */
    size_t toks_cap;
};

int nd_word_splitter_new(nd_word_splitter **out, nd_normalizer *nz, nd_tokenizer *tk)
{
    nd_word_splitter *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return ND_ENOMEM;
    ws->nz = nz;
    ws->tk = tk;
    *out = ws;
    return 0;
}

void nd_word_splitter_free(nd_word_splitter *ws)
{
    if (!ws)
        return;
    nd_words_dispose(&ws->part);
    nd_normtext_dispose(&ws->text);
    free(ws->toks);
    free(ws);
}

/* The last safe cut at or before at, not before from. */
static size_t cut_before(const uint8_t *bytes, size_t len, size_t from, size_t at)
{
    while (at > from && !nd_is_safe_cut(bytes, len, at))
        at--;
    return at;
}

/* The first safe cut after at (len when none). */
static size_t cut_after(const uint8_t *bytes, size_t len, size_t at)
{
    do
        at++;
    while (at < len && !nd_is_safe_cut(bytes, len, at));
    return at < len ? at : len;
}

/* Appends the words of toks[0..n) that start before `before` (all when before is
 * SIZE_MAX), their offsets moved by base. */
static int append_words(nd_words *out, const nd_token *toks, size_t n, uint32_t base, size_t before)
{
    if (ND_GROW(out->toks, out->cap, out->n + n) < 0)
        return ND_ENOMEM;
    for (size_t i = 0; i < n && (before == SIZE_MAX || toks[i].start < before); i++)
        out->toks[out->n++] = (nd_token){toks[i].start + base, toks[i].end + base, toks[i].hash};
    return 0;
}

/* Counts invalid UTF-8 in bytes[from..to) into out, as the splitters count it. */
static void count_invalid(nd_words *out, const uint8_t *bytes, size_t from, size_t to)
{
    for (size_t i = from; i < to;) {
        int used, bad;
        if (bytes[i] < 0x80) {
            i++;
            continue;
        }
        nd_utf8_decode(bytes + i, to - i, &used, &bad);
        if (bad && out->n_invalid++ == 0)
            out->first_invalid = (int64_t)i;
        i += (size_t)used;
    }
}

static void add_invalid(nd_words *out, uint64_t n, int64_t first, size_t base)
{
    if (n && out->n_invalid == 0)
        out->first_invalid = first + (int64_t)base;
    out->n_invalid += n;
}

/* The general path over bytes[from..to), its words appended to out. */
static int split_general(nd_word_splitter *ws, const uint8_t *bytes, size_t from, size_t to,
                         nd_words *out)
{
    size_t n;
    int rc = nd_normalize(ws->nz, bytes + from, to - from, &ws->text);
    if (rc == 0)
        rc = nd_tokenize(ws->tk, &ws->text, &ws->toks, &n, &ws->toks_cap, NULL, NULL);
    if (rc < 0)
        return rc;
    add_invalid(out, ws->text.n_invalid, ws->text.first_invalid, from);
    return append_words(out, ws->toks, n, (uint32_t)from, SIZE_MAX);
}

int nd_split_words(nd_word_splitter *ws, const uint8_t *bytes, size_t len, nd_words *out)
{
    int rc = nd_fast_words(ws->nz, ws->tk, bytes, len, out);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    /* the words before the cut before the place are final; the rest is split again */
    size_t at = cut_before(bytes, len, 0, out->redo_from), gave_up = out->redo_from;
    size_t kept = 0;
    while (kept < out->n && out->toks[kept].start < at)
        kept++;
    out->n = kept;
    /* the invalid bytes before the cut: none when the pass met none (most text), else
     * counted again, as the pass went on past the cut */
    if (out->n_invalid) {
        out->n_invalid = 0;
        out->first_invalid = -1;
        count_invalid(out, bytes, 0, at);
    }
    while (at < len) {
        const size_t to = cut_after(bytes, len, gave_up > at ? gave_up : at);
        if ((rc = split_general(ws, bytes, at, to, out)) < 0 || to == len)
            return rc;
        rc = nd_fast_words(ws->nz, ws->tk, bytes + to, len - to, &ws->part);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            add_invalid(out, ws->part.n_invalid, ws->part.first_invalid, to);
            return append_words(out, ws->part.toks, ws->part.n, (uint32_t)to, SIZE_MAX);
        }
        gave_up = to + ws->part.redo_from;
        at = cut_before(bytes, len, to, gave_up);
        if ((rc = append_words(out, ws->part.toks, ws->part.n, (uint32_t)to, at - to)) < 0)
            return rc;
        if (ws->part.n_invalid)
            count_invalid(out, bytes, to, at);
    }
    return 0;
}
