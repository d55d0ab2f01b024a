/*
 * test_scan_chunks.c: a document scanned in pieces gives what it gives scanned whole.
 *
 * A large document is scanned a piece at a time (scan_doc.c), cut only after an ASCII
 * space, tab or line feed that an ASCII letter or digit follows. Tiny pieces (down to
 * a byte, so that nearly every such place is a cut) must leave every result as it is:
 * the word and shingle counts, the distinct count, the text hash, the signature, the
 * invalid UTF-8 noted, the shingle hashes and the words read back from the scratch
 * file. Texts: random ones from many scripts (marks after spaces, CJK without spaces,
 * invalid bytes, CR LF, tabs), the demo articles, and a few made by hand; in word and
 * character shingles, with and without passages, every normalization, both engines,
 * the caller keeping the shingles, and documents whose distinct shingles are counted
 * by sorting.
 */
#include "common/radix.h"
#include "common/spill.h"
#include "input/corpus.h"
#include "scan/scan_doc.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- texts */

/* Code points of random texts: many scripts, marks, controls and punctuation, with
 * spaces and ASCII letters often enough that pieces have places to end. */
// clang-format off
static const uint32_t pool[] = {
    'a', 'b', 'Z', 'e', 'q', '1', '9', '0', ' ', ' ', ' ', ' ', '\n', '\r', '\t', '.', ',', ':',
    '\'', '"', '-', '_', '!', '@',
    0x0627, 0x0628, 0x062A, 0x0644, 0x0645, 0x0629, 0x0649, 0x0623, 0x0625, 0x0671, 0x064B,
    0x064E, 0x0651, 0x0670, 0x0640, 0x0660, 0x06F4, 0x060C, 0x066B, 0x06A9, 0xFE8D, 0xFEFB,
    0x200C, 0x200D, 0x200E, 0xFEFF, 0x00AD, 0x00E9, 0x0301, 0x0308, 0x00DF, 0x0130, 0x03A3,
    0x03C3, 0x03C2, 0x0416, 0x05D0, 0x05F3, 0x4E2D, 0x6587, 0x5B57, 0x3042, 0x30AB, 0x30FC,
    0x0E20, 0x0E32, 0xAC00, 0x1100, 0x1161, 0xFF21, 0xFB01, 0x2019, 0x201C, 0x2026, 0x2014,
    0x00A0, 0x2009, 0x3000, 0x1F600, 0x1F1FA, 0x1F1F8, 0x2764, 0xFE0F, 0x0915, 0x094D, 0x1D400,
    0x20000, 0x2160,
};
// clang-format on

/* Bytes that are not UTF-8: a stray continuation, a lone lead, a truncated sequence, an
 * overlong form, a surrogate. */
static const char *const invalid[] = {"\x80",     "\xFF",     "\xC3",
                                      "\xE2\x82", "\xC0\xAF", "\xED\xA0\x80"};

static uint64_t rng_state;
static uint64_t next_random(void)
{
    return nd_mix64(rng_state += 0x9E3779B97F4A7C15ull);
}

static size_t put_utf8(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3F));
    out[2] = (char)(0x80 | (c >> 6 & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* A random text of about n code points: runs of ASCII words, separators, and code points
 * of the pool; with_invalid adds a few bytes that are not UTF-8. */
static char *random_text(size_t n, bool with_invalid, size_t *len)
{
    char *t = malloc(8 * n + 64);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t r = next_random();
        if (r % 4 == 0) { /* a plain word after a separator */
            const char *seps[] = {" ", "\t", "\r\n", "\n", ", ", ". ", "  "};
            at += (size_t)sprintf(t + at, "%sw%u", seps[r / 4 % 7], (unsigned)(r >> 40) % 50);
        } else if (with_invalid && r % 97 == 1) {
            at += (size_t)sprintf(t + at, "%s", invalid[r / 97 % 6]);
        } else {
            at += put_utf8(pool[r / 4 % (sizeof(pool) / sizeof(*pool))], t + at);
        }
    }
    *len = at;
    return t;
}

/* Adds text (len bytes) to the corpus as one document. */
static void add_text(nd_corpus *c, const char *text, size_t len)
{
    char id[32];
    snprintf(id, sizeof(id), "doc-%zu", c->n_docs);
    cr_assert_eq(nd_corpus_add_memory(c, id, text, len), 0);
}

static void add_string(nd_corpus *c, const char *text)
{
    add_text(c, text, strlen(text));
}

/* Texts whose cuts are the ones in question, made by hand. */
static void add_hand_made_texts(nd_corpus *c)
{
    add_string(c, "");
    add_string(c, "one two");                   /* fewer words than a shingle */
    add_string(c, "one\ttwo three\r\nfour");    /* as many pieces as words */
    add_string(c, "  ,, ;; -- !! .. \t\r\n  "); /* no word at all */
    add_string(c, "don't stop. 3.14 and 1,000 people: e.g. U.S.A. a.b.c x_y x@y.z");
    add_string(c, "a \xCC\x81"
                  "b c \xCC\x81\xCC\x88"
                  "d e\t\xD9\x8E"
                  "f"); /* marks right after spaces */
    add_string(c, "ΟΔΟΣ ΟΔΟΣ\nΣΟΦΟΣ σοφός ὁδός Σ ς σ ΣΑΣ sigma Σ a ς b"); /* final sigma */
    add_string(c, "中文文本没有空格中文文本没有空格 中文abc 日本語のテキスト 2024年");
    add_string(c, "bad \xFF\xFE ok \xE2\x82 x \xC3\n"
                  "y \x80z"); /* invalid bytes next to the cuts */
    add_string(c, "line one\r\nline two\r\n\r\nline three\rnot a cut\n\n\tindented 42 lines");
    add_string(c, "ﬁne ＡＢＣ Ⅻ ① İstanbul STRASSE straße ǅ ﬀ");
    add_string(c, "قال الرئيسُ إنّ الأمرَ مُهمٌّ جداً 2024 و١٢٣ كتاب ـــ");
}

/* The demo articles, and random texts with and without invalid bytes. */
static void add_generated_texts(nd_corpus *c, int n_random)
{
    for (int i = 0; i < 5; i++) {
        size_t len;
        char *seed = read_seed(i, &len);
        cr_assert_not_null(seed);
        add_text(c, seed, len);
        free(seed);
    }
    rng_state = 17;
    for (int i = 0; i < n_random; i++) {
        size_t len;
        char *t = random_text(200 + (size_t)(next_random() % 3000), i % 2 == 1, &len);
        add_text(c, t, len);
        free(t);
    }
}

/* ---------------------------------------------------------------- scans */

/* What scanning a document gave: its record, signature, shingles and words. */
typedef struct scanned {
    nd_doc d;
    uint32_t *sig;
    uint64_t *shingles;
    nd_token *toks;
} scanned;

static void scanned_dispose(scanned *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(out[i].sig);
        free(out[i].shingles);
        free(out[i].toks);
    }
    free(out);
}

/* Reads back what the scan wrote to the scratch file. */
static void read_back(nd_spill *spill, scanned *r)
{
    if (r->d.status != ND_DOC_OK)
        return;
    if (!r->shingles) {
        r->shingles = malloc(r->d.n_shingles * sizeof(*r->shingles));
        cr_assert_eq(nd_spill_read(spill, r->d.shingles_off, r->shingles,
                                   r->d.n_shingles * sizeof(*r->shingles)),
                     0);
    }
    if (r->d.has_tokens) {
        r->toks = malloc(r->d.n_tokens * sizeof(*r->toks));
        cr_assert_eq(
            nd_spill_read(spill, r->d.tokens_off, r->toks, r->d.n_tokens * sizeof(*r->toks)), 0);
    }
}

/* With the caller keeping the shingles: copies document r's out of the kept ones (at
 * *at), and counts its distinct ones if the scanner left that to the caller. */
static void take_kept(nd_shingle_buf *kept, size_t *at, scanned *r)
{
    if (r->d.status != ND_DOC_OK)
        return;
    const size_t n = r->d.n_shingles;
    cr_assert_eq(kept->n, *at + n);
    r->shingles = malloc(n * sizeof(*r->shingles));
    memcpy(r->shingles, kept->h + *at, n * sizeof(*r->shingles));
    if (nd_scan_distinct_deferred(&r->d))
        nd_scan_count_distinct(&r->d, kept->h + *at);
    *at += n;
}

/* Scans every document of c in pieces of chunk_bytes (0: the default); keep: the
 * shingles go to a buffer of the caller's, as with passages in the scan stage. */
static scanned *scan_all(const nd_corpus *c, size_t chunk_bytes, bool keep)
{
    nd_spill *spill;
    nd_scanner *s;
    nd_shingle_buf kept = {0};
    scanned *out = calloc(c->n_docs, sizeof(*out));
    cr_assert_eq(nd_spill_open(&spill, NULL, NULL), 0);
    cr_assert_eq(nd_scanner_new(&s, &c->opts, spill, NULL), 0);
    nd_scanner_set_chunk_bytes(s, chunk_bytes);
    if (keep)
        nd_scanner_keep_shingles(s, &kept);
    for (size_t i = 0, at = 0; i < c->n_docs; i++) {
        out[i].d = c->docs[i];
        out[i].sig = calloc((size_t)c->opts.num_perm, sizeof(*out[i].sig));
        cr_assert_eq(nd_scan_doc(s, c, &out[i].d, out[i].sig), 0);
        if (keep)
            take_kept(&kept, &at, &out[i]);
    }
    cr_assert_eq(nd_scanner_finish(s), 0);
    for (size_t i = 0; i < c->n_docs; i++)
        read_back(spill, &out[i]);
    nd_scanner_free(s);
    nd_spill_close(spill);
    free(kept.h);
    return out;
}

static void assert_same_doc(const nd_corpus *c, const scanned *a, const scanned *b, size_t chunk,
                            size_t i)
{
    const nd_doc *x = &a->d, *y = &b->d;
    cr_assert_eq(x->status, y->status, "doc %zu, pieces of %zu: status", i, chunk);
    cr_assert_eq(x->error, y->error, "doc %zu, pieces of %zu: error", i, chunk);
    cr_assert_eq(x->invalid_utf8, y->invalid_utf8, "doc %zu, pieces of %zu", i, chunk);
    cr_assert_eq(x->first_invalid, y->first_invalid, "doc %zu, pieces of %zu: first invalid", i,
                 chunk);
    cr_assert_eq(x->n_tokens, y->n_tokens, "doc %zu, pieces of %zu: words", i, chunk);
    if (x->status != ND_DOC_OK)
        return;
    cr_assert_eq(x->n_shingles, y->n_shingles, "doc %zu, pieces of %zu: shingles", i, chunk);
    cr_assert_eq(x->n_distinct, y->n_distinct, "doc %zu, pieces of %zu: distinct", i, chunk);
    cr_assert_eq(x->text_hash, y->text_hash, "doc %zu, pieces of %zu: text hash", i, chunk);
    cr_assert_eq(x->has_tokens, y->has_tokens, "doc %zu, pieces of %zu", i, chunk);
    cr_assert_eq(memcmp(a->sig, b->sig, (size_t)c->opts.num_perm * sizeof(*a->sig)), 0,
                 "doc %zu, pieces of %zu: signature", i, chunk);
    cr_assert_eq(memcmp(a->shingles, b->shingles, x->n_shingles * sizeof(*a->shingles)), 0,
                 "doc %zu, pieces of %zu: shingle hashes", i, chunk);
    for (uint32_t t = 0; x->has_tokens && t < x->n_tokens; t++) {
        cr_assert_eq(a->toks[t].start, b->toks[t].start, "doc %zu, pieces of %zu: word %u", i,
                     chunk, t);
        cr_assert_eq(a->toks[t].end, b->toks[t].end, "doc %zu, pieces of %zu: word %u", i, chunk,
                     t);
        cr_assert_eq(a->toks[t].hash, b->toks[t].hash, "doc %zu, pieces of %zu: word %u", i, chunk,
                     t);
    }
}

/* Every document of c scanned whole, then in pieces of each size (and with the caller
 * keeping the shingles when keep), gives the same. */
static void assert_pieces_change_nothing(const nd_corpus *c, bool keep)
{
    static const size_t sizes[] = {1, 2, 7, 64, 333, 4096};
    scanned *whole = scan_all(c, 0, false);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
        scanned *pieces = scan_all(c, sizes[k], keep && k % 2 == 0);
        for (size_t i = 0; i < c->n_docs; i++)
            assert_same_doc(c, &whole[i], &pieces[i], sizes[k], i);
        scanned_dispose(pieces, c->n_docs);
    }
    scanned_dispose(whole, c->n_docs);
}

/* The texts, scanned whole and in pieces with options o. */
static void check_options(const nd_options *o, int n_random)
{
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, o), 0);
    add_hand_made_texts(c);
    add_generated_texts(c, n_random);
    assert_pieces_change_nothing(c, o->passages && o->shingle_unit == ND_UNIT_WORD);
    nd_corpus_free(c);
}

static nd_options options_of(nd_normalize_mode normalize, nd_engine engine, nd_shingle_unit unit,
                             int passages)
{
    nd_options o = ND_OPTIONS_INIT;
    o.normalize = normalize;
    o.engine = engine;
    o.shingle_unit = unit;
    o.passages = passages;
    return o;
}

/* ---------------------------------------------------------------- tests */

Test(scan_chunks, words_full_fast_with_passages)
{
    const nd_options o = options_of(ND_NORMALIZE_FULL, ND_ENGINE_FAST, ND_UNIT_WORD, 1);
    check_options(&o, 40);
}

Test(scan_chunks, words_full_icu_with_passages)
{
    const nd_options o = options_of(ND_NORMALIZE_FULL, ND_ENGINE_ICU, ND_UNIT_WORD, 1);
    check_options(&o, 20);
}

Test(scan_chunks, words_basic_fast_without_passages)
{
    const nd_options o = options_of(ND_NORMALIZE_BASIC, ND_ENGINE_FAST, ND_UNIT_WORD, 0);
    check_options(&o, 20);
}

Test(scan_chunks, words_basic_icu_with_passages)
{
    const nd_options o = options_of(ND_NORMALIZE_BASIC, ND_ENGINE_ICU, ND_UNIT_WORD, 1);
    check_options(&o, 10);
}

Test(scan_chunks, words_none_with_and_without_passages)
{
    nd_options o = options_of(ND_NORMALIZE_NONE, ND_ENGINE_FAST, ND_UNIT_WORD, 1);
    check_options(&o, 10);
    o = options_of(ND_NORMALIZE_NONE, ND_ENGINE_ICU, ND_UNIT_WORD, 0);
    check_options(&o, 10);
}

Test(scan_chunks, characters_every_normalization)
{
    const nd_normalize_mode modes[] = {ND_NORMALIZE_FULL, ND_NORMALIZE_BASIC, ND_NORMALIZE_NONE};
    for (int m = 0; m < 3; m++) {
        nd_options o =
            options_of(modes[m], m == 1 ? ND_ENGINE_ICU : ND_ENGINE_FAST, ND_UNIT_CHAR, 0);
        check_options(&o, 10);
    }
}

Test(scan_chunks, short_shingles_and_strict_utf8)
{
    nd_options o = options_of(ND_NORMALIZE_FULL, ND_ENGINE_FAST, ND_UNIT_WORD, 1);
    o.shingle_k = 2;
    o.strict = 1;
    check_options(&o, 20);
    o = options_of(ND_NORMALIZE_FULL, ND_ENGINE_FAST, ND_UNIT_CHAR, 0);
    o.char_ngram = 2;
    o.strict = 1;
    check_options(&o, 10);
}

/* A document of more shingles than the scanner's set takes: its distinct shingles are
 * counted by sorting, whole or in pieces, kept by the caller or not, and the count is
 * that of a plain sort of its shingles; its paragraphs repeat, so it has repeats. */
Test(scan_chunks, large_documents_count_by_sorting)
{
    nd_options o = options_of(ND_NORMALIZE_FULL, ND_ENGINE_FAST, ND_UNIT_WORD, 1);
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, &o), 0);
    rng_state = 5;
    size_t len = 0, cap = 8 << 20;
    char *text = malloc(cap);
    while (len < 3 << 20) {
        const uint64_t r = next_random();
        const int words = 50 + (int)(r % 200);
        const uint64_t paragraph = r >> 50; /* one of 16384: most come back */
        for (int w = 0; w < words; w++)
            len += (size_t)sprintf(
                text + len, "w%llu ",
                (unsigned long long)(nd_mix64(paragraph * 256 + (uint64_t)w) % 100000));
        text[len - 1] = '\n';
    }
    add_text(c, text, len);
    add_string(c, "a small one after it, counted with the set");
    add_text(c, text, len / 2);
    free(text);
    scanned *whole = scan_all(c, 0, false);
    cr_assert_gt(whole[0].d.n_shingles, ND_SCAN_SET_MAX);
    uint64_t *sorted = malloc(whole[0].d.n_shingles * sizeof(*sorted));
    memcpy(sorted, whole[0].shingles, whole[0].d.n_shingles * sizeof(*sorted));
    nd_radix_sort_u64_in_place(sorted, whole[0].d.n_shingles);
    uint32_t distinct = 1;
    for (uint32_t i = 1; i < whole[0].d.n_shingles; i++) {
        cr_assert_leq(sorted[i - 1], sorted[i]);
        distinct += sorted[i] != sorted[i - 1];
    }
    cr_assert_eq(whole[0].d.n_distinct, distinct);
    cr_assert_lt(distinct, whole[0].d.n_shingles);
    free(sorted);
    scanned_dispose(whole, c->n_docs);
    const size_t sizes[] = {ND_SCAN_CHUNK_BYTES, 100000, 4093};
    whole = scan_all(c, (size_t)1 << 30, false);
    for (size_t k = 0; k < 3; k++) {
        scanned *pieces = scan_all(c, sizes[k], k != 1);
        for (size_t i = 0; i < c->n_docs; i++)
            assert_same_doc(c, &whole[i], &pieces[i], sizes[k], i);
        scanned_dispose(pieces, c->n_docs);
    }
    scanned_dispose(whole, c->n_docs);
    nd_corpus_free(c);
}

/* The whole pipeline with pieces of 64 bytes (NEARDUP_SCAN_CHUNK_BYTES, for tests):
 * the same pairs, clusters and passages, byte for byte. */
Test(scan_chunks, pipeline_outputs_do_not_change)
{
    char *dir = make_temp_dir();
    const char *prefixes[] = {"", "env NEARDUP_SCAN_CHUNK_BYTES=64 "};
    char *out[2][3];
    for (int p = 0; p < 2; p++) {
        cli_result r = run_cli_prefixed(prefixes[p],
                                        "-q --threshold 0.3 --pairs '%s/pairs%d.csv' --clusters "
                                        "'%s/clusters%d.csv' --passages '%s/passages%d.csv' '%s'",
                                        dir, p, dir, p, dir, p, SEEDS_DIR);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cli_result_dispose(&r);
        const char *names[] = {"pairs", "clusters", "passages"};
        for (int f = 0; f < 3; f++) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s%d.csv", dir, names[f], p);
            size_t len;
            out[p][f] = read_file(path, &len);
            cr_assert_not_null(out[p][f]);
        }
    }
    cr_assert_gt(strlen(out[0][2]), 1000, "the demo's passages");
    for (int f = 0; f < 3; f++) {
        cr_assert_str_eq(out[0][f], out[1][f]);
        free(out[0][f]);
        free(out[1][f]);
    }
    remove_tree(dir);
    free(dir);
}
