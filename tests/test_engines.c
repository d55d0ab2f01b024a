/*
 * test_engines.c: the fast engine gives exactly what plain ICU gives.
 *
 * The fast engine memoizes ICU's normalization per code point and splits
 * words with classes taken from ICU; both must be invisible: same normalized
 * text, same offset map, same tokens, on every script. Its one-pass splitter
 * (fastwords.c) must give the same tokens whenever it takes a text on.
 */
#include "text/fastwords.h"
#include "text/words.h"
#include "text/normalize.h"
#include "text/tokenize.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Code points to draw from: many scripts, marks, controls, punctuation of every kind. */
// clang-format off
static const uint32_t pool[] = {
    'a', 'b', 'Z', 'e', '1', '9', '0', ' ', ' ', ' ', '\n', '\r', '\t', '.', ',', ':', ';', '\'',
    '"', '-', '_', '!', '?', '(', '/', '@', '#', '$', '%',
    0x0627, 0x0628, 0x062A, 0x0644, 0x0645, 0x0646, 0x0647, 0x0648, 0x064A, 0x0629, 0x0649,
    0x0623, 0x0625, 0x0622, 0x0671, 0x0624, 0x0626, 0x064B, 0x064E, 0x0651, 0x0652, 0x0670,
    0x0640, 0x0660, 0x0665, 0x06F4, 0x060C, 0x061F, 0x066B, 0x066C, 0x06A9, 0x06CC, 0xFE8D,
    0xFEFB, 0xFDFA, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0xFEFF, 0x00AD, 0x00E9, 0x0301,
    0x00DF, 0x0130, 0x03A3, 0x03C2, 0x0416, 0x0436, 0x05D0, 0x05F3, 0x05F4, 0x4E2D, 0x6587,
    0x3042, 0x30AB, 0x30FC, 0x0E20, 0x0E32, 0x0E29, 0xAC00, 0x1100, 0x1161, 0xFF21, 0xFB01,
    0x2019, 0x2018, 0x201C, 0x201D, 0x00AB, 0x00BB, 0x2026, 0x2014, 0x00A0, 0x2009, 0x1F600,
    0x1F1FA, 0x1F1F8, 0x2764, 0xFE0F, 0x0915, 0x093F, 0x094D, 0x1D400, 0x20000, 0x2160,
};
// clang-format on

/* Only what the fast path models: the random texts drawn from it never fall back to ICU. */
// clang-format off
static const uint32_t simple_pool[] = {
    'a', 'b', 'Z', 'e', '1', '9', '0', ' ', ' ', '\n', '.', ',', ':', ';', '\'', '"', '-', '@',
    '!', '(', 0x0627, 0x0628, 0x0644, 0x0645, 0x0646, 0x0629, 0x0649, 0x0623, 0x0640, 0x0660,
    0x060C, 0x061F, 0x066B, 0x066C, 0x00E9, 0x00DF, 0x03A3, 0x0436, 0x2019, 0x201C, 0x00AB,
    0x2026, 0x00A0, 0xFF21, 0xFB01, 0x2160, 0x00B7, 0x0387, 0x2024, 0xFE52, 0xFF0E, 0x037E,
    0x064E, 0x0651, 0x0301, /* marks: chunks of several code points */
    '_', 0x203F, 0xFF3F,    /* connectors */
};
// clang-format on

static uint64_t rng_state;
static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t put_utf8(uint32_t c, unsigned char *out)
{
    if (c < 0x80) {
        out[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (unsigned char)(0xC0 | c >> 6);
        out[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (unsigned char)(0xE0 | c >> 12);
        out[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | c >> 18);
    out[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/* Random text of n code points from p, in runs of one "script" so that words form. */
static size_t random_text_from(const uint32_t *p, size_t n_pool, unsigned char *out, size_t n_cps)
{
    size_t len = 0;
    for (size_t i = 0; i < n_cps; i++) {
        const uint64_t r = next_random();
        const size_t base = (size_t)(r % n_pool);
        const size_t near = (base + (size_t)(r >> 32) % 4) % n_pool;
        len += put_utf8(p[r & 1 ? base : near], out + len);
    }
    return len;
}

static size_t random_text(unsigned char *out, size_t n_cps)
{
    return random_text_from(pool, sizeof(pool) / sizeof(pool[0]), out, n_cps);
}

typedef struct engine {
    nd_normalizer *nz;
    nd_tokenizer *tk;
    nd_normtext text;
    nd_token *toks;
    size_t n_toks, cap;
    nd_words words;
    nd_word_splitter *splitter; /* the fast engine's, with no cliff */
    nd_words split;
} engine;

static void engine_open(engine *e, nd_normalize_mode mode, bool fast)
{
    memset(e, 0, sizeof(*e));
    cr_assert_eq(nd_normalizer_new(&e->nz, mode, fast ? ND_ENGINE_FAST : ND_ENGINE_ICU), 0);
    cr_assert_eq(nd_tokenizer_new(&e->tk, fast, NULL), 0);
    cr_assert_eq(nd_word_splitter_new(&e->splitter, e->nz, e->tk), 0);
}

static void engine_close(engine *e)
{
    nd_normalizer_free(e->nz);
    nd_tokenizer_free(e->tk);
    nd_normtext_dispose(&e->text);
    free(e->toks);
    nd_words_dispose(&e->words);
    nd_word_splitter_free(e->splitter);
    nd_words_dispose(&e->split);
}

static void engine_run(engine *e, const unsigned char *bytes, size_t len)
{
    cr_assert_eq(nd_normalize(e->nz, bytes, len, &e->text), 0);
    cr_assert_eq(nd_tokenize(e->tk, &e->text, &e->toks, &e->n_toks, &e->cap, NULL, NULL), 0);
}

static void expect_same_tokens(const nd_token *a, size_t na, const nd_token *b, size_t nb,
                               const char *what)
{
    cr_assert_eq(na, nb, "%s: token count %zu vs %zu", what, na, nb);
    for (size_t i = 0; i < na; i++) {
        cr_assert_eq(a[i].start, b[i].start, "%s: token %zu", what, i);
        cr_assert_eq(a[i].end, b[i].end, "%s: token %zu", what, i);
        cr_assert_eq(a[i].hash, b[i].hash, "%s: token %zu", what, i);
    }
}

/* The words of a splitter (which: "one pass" or "no cliff") against the ICU engine's
 * last run: tokens and invalid UTF-8 count. */
static void expect_words_same(const nd_words *w, const engine *icu, const char *what,
                              const char *which)
{
    char label[300];
    snprintf(label, sizeof(label), "%s (%s)", what, which);
    expect_same_tokens(w->toks, w->n, icu->toks, icu->n_toks, label);
    cr_assert_eq(w->n_invalid, icu->text.n_invalid, "%s: invalid bytes", label);
    cr_assert_eq(w->first_invalid, icu->text.first_invalid, "%s: first invalid byte", label);
}

/* When the one-pass splitter takes the text on (returns true), the same words as the ICU
 * engine's last run. */
static bool expect_one_pass_same(engine *fast, const engine *icu, const unsigned char *bytes,
                                 size_t len, const char *what)
{
    const int rc = nd_fast_words(fast->nz, fast->tk, bytes, len, &fast->words);
    cr_assert(rc == 0 || rc == 1, "%s: nd_fast_words returned %d", what, rc);
    if (rc == 1)
        expect_words_same(&fast->words, icu, what, "one pass");
    return rc == 1;
}

/* The splitter with no cliff gives the ICU engine's words, whatever the text holds. */
static void expect_split_same(engine *fast, const engine *icu, const unsigned char *bytes,
                              size_t len, const char *what)
{
    cr_assert_eq(nd_split_words(fast->splitter, bytes, len, &fast->split), 0, "%s", what);
    expect_words_same(&fast->split, icu, what, "no cliff");
}

/* Same normalized text, offset map and tokens from both engines; returns whether the
 * one-pass splitter took the text on (and then gave the same tokens). */
static bool expect_same(engine *fast, engine *icu, const unsigned char *bytes, size_t len,
                        const char *what)
{
    engine_run(fast, bytes, len);
    engine_run(icu, bytes, len);
    cr_assert_eq(fast->text.len, icu->text.len, "%s: normalized length", what);
    const size_t n = (size_t)fast->text.len;
    cr_assert_eq(memcmp(fast->text.text, icu->text.text, n * sizeof(UChar)), 0, "%s", what);
    cr_assert_eq(memcmp(fast->text.src_start, icu->text.src_start, n * 4), 0, "%s", what);
    cr_assert_eq(memcmp(fast->text.src_end, icu->text.src_end, n * 4), 0, "%s", what);
    expect_same_tokens(fast->toks, fast->n_toks, icu->toks, icu->n_toks, what);
    expect_split_same(fast, icu, bytes, len, what);
    return expect_one_pass_same(fast, icu, bytes, len, what);
}

static void compare_random(nd_normalize_mode mode, uint64_t seed)
{
    engine fast, icu;
    unsigned char buf[4 * 400];
    engine_open(&fast, mode, true);
    engine_open(&icu, mode, false);
    rng_state = seed;
    for (int doc = 0; doc < 3000; doc++) {
        const size_t len = random_text(buf, 1 + (size_t)(next_random() % 399));
        char what[64];
        snprintf(what, sizeof(what), "mode %d, random document %d", (int)mode, doc);
        expect_same(&fast, &icu, buf, len, what);
    }
    engine_close(&fast);
    engine_close(&icu);
}

Test(engines, random_multiscript_full)
{
    compare_random(ND_NORMALIZE_FULL, 1);
}

Test(engines, random_multiscript_basic)
{
    compare_random(ND_NORMALIZE_BASIC, 2);
}

Test(engines, random_multiscript_none)
{
    compare_random(ND_NORMALIZE_NONE, 3);
}

/* Compares the engines on n_docs texts that make writes into buf (room for 8000 bytes);
 * returns how many of them the one-pass splitter took on. */
static int compare_made(int n_docs, size_t (*make)(unsigned char *buf, int doc), const char *kind)
{
    static unsigned char buf[8000];
    engine fast, icu;
    engine_open(&fast, ND_NORMALIZE_FULL, true);
    engine_open(&icu, ND_NORMALIZE_FULL, false);
    int one_pass = 0;
    for (int doc = 0; doc < n_docs; doc++) {
        const size_t len = make(buf, doc);
        char what[64];
        snprintf(what, sizeof(what), "%s %d", kind, doc);
        one_pass += expect_same(&fast, &icu, buf, len, what);
    }
    engine_close(&fast);
    engine_close(&icu);
    return one_pass;
}

static size_t make_simple_text(unsigned char *buf, int doc)
{
    (void)doc;
    return random_text_from(simple_pool, sizeof(simple_pool) / sizeof(*simple_pool), buf,
                            1 + (size_t)(next_random() % 399));
}

/* Random texts the fast path handles alone: its splitting rules against ICU's. */
Test(engines, random_fast_path_texts)
{
    rng_state = 4;
    const int one_pass = compare_made(5000, make_simple_text, "simple random document");
    cr_expect_gt(one_pass, 4000, "the one-pass splitter took on %d of 5000 simple texts", one_pass);
}

/* Letters followed by marks, as in fully vowelled Arabic (the Quran's Uthmani script),
 * Latin or Greek with combining marks (Hebrew letters and U+06DD, a format character,
 * are left to ICU): the fast path takes a letter with up to four marks
 * of two UTF-8 bytes from a cache of such chunks. */
// clang-format off
static const uint32_t marked_letters[] = {
    0x0627, 0x0628, 0x062A, 0x0644, 0x0645, 0x0646, 0x0647, 0x0648, 0x064A, 0x0649, 0x0671,
    0x0640, 0x0621, 0x0660, 'a', 'e', 'o', 0x00E9, 0x03B1, 0x0430,
};
static const uint32_t marks[] = {
    0x064B, 0x064C, 0x064D, 0x064E, 0x064F, 0x0650, 0x0651, 0x0652, 0x0653, 0x0654, 0x0655,
    0x0670, 0x06D6, 0x06DA, 0x06DC, 0x06DF, 0x06E2, 0x06E5, 0x06ED, 0x05B0, 0x05B4, 0x05BC,
    0x05C1, 0x0300, 0x0301, 0x0308, 0x0327, 0x0342, 0x0345,
};
static const uint32_t between[] = {' ', ' ', ' ', '\n', '.', 0x060C, '1', 0x00A0};
// clang-format on

static size_t make_marked_text(unsigned char *buf, int doc)
{
    (void)doc;
    size_t len = 0;
    const size_t words = 1 + (size_t)(next_random() % 60);
    for (size_t i = 0; i < words; i++) {
        const size_t letters = 1 + (size_t)(next_random() % 7);
        for (size_t j = 0; j < letters; j++) {
            len +=
                put_utf8(marked_letters[next_random() % (sizeof(marked_letters) / 4)], buf + len);
            for (size_t k = next_random() % 7; k > 4; k--) /* none (most often) to six */
                len += put_utf8(marks[next_random() % (sizeof(marks) / 4)], buf + len);
            for (size_t k = next_random() % 3; k > 0; k--)
                len += put_utf8(marks[next_random() % (sizeof(marks) / 4)], buf + len);
        }
        len += put_utf8(between[next_random() % (sizeof(between) / 4)], buf + len);
    }
    return len;
}

Test(engines, random_marked_texts)
{
    rng_state = 7;
    const int one_pass = compare_made(3000, make_marked_text, "marked random document");
    cr_expect_gt(one_pass, 2900, "the one-pass splitter took on %d of 3000 marked texts", one_pass);
}

/* A random code point of mostly-ASCII text: letters of both cases, digits, spaces, ASCII
 * punctuation (middle characters among them), and now and then a non-ASCII character
 * or a combining mark, which ends an ASCII run of the one-pass splitter. */
static uint32_t random_ascii_heavy(void)
{
    static const uint32_t others[] = {'.',    ',',    ':',    ';',    '\'',   '@',
                                      '_',    '\n',   '"',    '(',    '!',    '-',
                                      0x00E9, 0x0301, 0x2019, 0x0628, 0x00A0, 0x0436};
    const uint64_t r = next_random();
    const unsigned pick = (unsigned)(r % 100), sub = (unsigned)(r >> 32);
    if (pick < 64)
        return (sub % 26) + (sub & 64 ? 'A' : 'a');
    if (pick < 72)
        return '0' + sub % 10;
    if (pick < 88)
        return ' ';
    if (pick < 99)
        return others[sub % 7]; /* ASCII punctuation, '_' among it */
    return others[sub % (sizeof(others) / sizeof(*others))];
}

/* Up to 2000 code points of mostly-ASCII text; one text in three with fewer spaces, so
 * that words of 20-40 bytes come up. */
static size_t make_ascii_text(unsigned char *buf, int doc)
{
    const size_t n_cps = 1 + (size_t)(next_random() % 2000);
    size_t len = 0;
    for (size_t i = 0; i < n_cps; i++) {
        uint32_t c = random_ascii_heavy();
        if (doc % 3 == 0 && c == ' ' && next_random() % 4)
            c = 'q';
        len += put_utf8(c, buf + len);
    }
    return len;
}

/* Long mostly-ASCII texts: the one-pass splitter's 64-byte blocks (words across their
 * edges, middle characters at the edges of ASCII runs, words longer than 16 bytes). */
Test(engines, random_ascii_texts)
{
    rng_state = 5;
    const int one_pass = compare_made(3000, make_ascii_text, "mostly-ASCII random document");
    cr_expect_gt(one_pass, 1000, "the one-pass splitter took on %d of 3000 texts", one_pass);
}

/* Two-byte words with a sequence cut short, an odd byte or an overlong lead among them:
 * the short-word path of the one-pass splitter must leave them to the general loop
 * (which it only tries with 17 bytes ahead: hence the tails). */
Test(engines, broken_two_byte_words)
{
    static const char *const texts[] = {
        "\xd9\x85\xd8=\xa7 \xd9\x81\xd9\x8a \xd9\x84 tail of twenty bytes", /* before '=' */
        "\xd9\x85\xd9\x85\xd8 \xd9\x85\xd9\x85 tail of twenty bytes",       /* before a space */
        "\xc1\xa1\xc1\xa2 \xd9\x85\xd9\x85\xd9\x85\xd9\x85\xd9\x85\xd9\x85\xd9\x85 x",
        "\xd9\x85\x85\xd9 \xd9\x85\xd9\x85\xd9\x85\xd9\x85\xd9\x85\xd9\x85\xd9\x85\xd9\x85\xd9 ab",
    };
    engine fast, icu;
    engine_open(&fast, ND_NORMALIZE_FULL, true);
    engine_open(&icu, ND_NORMALIZE_FULL, false);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        char what[32];
        snprintf(what, sizeof(what), "broken text %zu", i);
        expect_same(&fast, &icu, (const unsigned char *)texts[i], strlen(texts[i]), what);
    }
    engine_close(&fast);
    engine_close(&icu);
}

/* A short two-byte word, a space, then a code point with no normalization boundary before
 * it (a conjoining jamo, a Greek iota subscript that folds to a letter, a mark): the space
 * and that code point are one chunk, so a word it starts begins at the space. The short-
 * word path, which takes the two-byte letters it knows (hence the text run first, to fill
 * its table), must not pass over the space. */
Test(engines, a_non_starter_after_a_short_two_byte_word)
{
    static const char *const texts[] = {
        "\xce\xa3\xce\xa3 \xe1\x85\xa1\xe0\xa5\x8d word and a tail of twenty bytes",
        "\xce\xa3\xce\xa3 \xcd\x85\xce\xb1 word and a tail of twenty bytes",
        "\xd9\x85\xd9\x86 \xe1\x86\xa8 \xd9\x85\xd9\x86 \xcc\x81x and a tail of twenty bytes",
    };
    for (int mode = 0; mode < 2; mode++) {
        engine fast, icu;
        engine_open(&fast, mode ? ND_NORMALIZE_BASIC : ND_NORMALIZE_FULL, true);
        engine_open(&icu, mode ? ND_NORMALIZE_BASIC : ND_NORMALIZE_FULL, false);
        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
            char what[48];
            snprintf(what, sizeof(what), "mode %d, text %zu, twice", mode, i);
            const unsigned char *text = (const unsigned char *)texts[i];
            expect_same(&fast, &icu, text, strlen(texts[i]), what);
            expect_same(&fast, &icu, text, strlen(texts[i]), what);
        }
        engine_close(&fast);
        engine_close(&icu);
    }
}

/* A short two-byte word, U+0000, then a mark the full mode removes: the separator and
 * the mark are one chunk, which normalizes to nothing, so the word goes on past the
 * separator (found by fuzz_text; the short-word path took the word as ended). */
Test(engines, a_separator_whose_chunk_vanishes)
{
    static const char text[] =
        "\xd8\xa8\xd8\xa8 \xd8\xa8\x00\xd9\x9a\xd9\x86 and a tail of twenty bytes";
    engine fast, icu;
    engine_open(&fast, ND_NORMALIZE_FULL, true);
    engine_open(&icu, ND_NORMALIZE_FULL, false);
    cr_expect(expect_same(&fast, &icu, (const unsigned char *)text, sizeof(text) - 1, "vanishing"),
              "the one-pass splitter takes it on");
    cr_expect_eq(icu.n_toks, 8, "one word of ب, U+0000, the mark and ن");
    engine_close(&fast);
    engine_close(&icu);
}

/* A word of 10,000 two-byte letters: longer than the room the two-byte loop makes at
 * once, so the general loop goes on with it. */
Test(engines, very_long_two_byte_word)
{
    static unsigned char text[2 * 10000 + 64];
    size_t len = 0;
    for (int i = 0; i < 10000; i++)
        len += put_utf8(i % 7 ? 0x0628 : 0x0645, text + len);
    memcpy(text + len, " \xd9\x85\xd9\x86 end", 10);
    len += 10;
    engine fast, icu;
    engine_open(&fast, ND_NORMALIZE_FULL, true);
    engine_open(&icu, ND_NORMALIZE_FULL, false);
    cr_expect(expect_same(&fast, &icu, text, len, "a word of 10,000 letters"),
              "the one-pass splitter takes it on");
    engine_close(&fast);
    engine_close(&icu);
}

/* Words longer than the word buffer whose letters carry marks, in every mode: a held
 * letter with marks comes back to the top of the letter loop once a letter, and the
 * buffer must not be outrun between its checks (each pattern is a letter, a letter, a
 * mark; the basic mode keeps marks, so its pattern composes alef with hamza above). */
Test(engines, very_long_words_with_marks)
{
    static const char *const patterns[] = {"\xD8\xA8\xD8\xA8\xD9\x8E", "\xD8\xA8\xD8\xA7\xD9\x94"};
    static const nd_normalize_mode modes[] = {ND_NORMALIZE_FULL, ND_NORMALIZE_BASIC};
    static unsigned char text[6 * 8000 + 64];
    for (size_t m = 0; m < 2; m++) {
        size_t len = 0;
        for (int i = 0; i < 8000; i++, len += 6)
            memcpy(text + len, patterns[m], 6);
        memcpy(text + len, " \xd9\x85\xd9\x86 end", 10);
        len += 10;
        engine fast, icu;
        engine_open(&fast, modes[m], true);
        engine_open(&icu, modes[m], false);
        expect_same(&fast, &icu, text, len, "a word of 16,000 letters with marks");
        engine_close(&fast);
        engine_close(&icu);
    }
}

/* Texts that stay on the fast path (letters, digits, punctuation of alphabetic scripts). */
Test(engines, fast_path_texts)
{
    static const char *const texts[] = {
        "The U.S. economy grew 3.5% in 2019, didn't it? Yes: 1,000,000.5 jobs...",
        "e.g. a.b.c 1.2.3 a:b 1:2 l'homme 12'34 a,b 1,2 end.",
        "قال الرئيس، في 3 آب 2017: «إنها 1٬000 كلمة» أليس كذلك؟",
        "Россия и США: переговоры 2.0 — итоги. Ελλάδα, 3,14.",
        /* ASCII words longer than the 16-byte blocks of the SSE2 path, across a block's edge */
        "Supercalifragilisticexpialidocious AND ANTIDISESTABLISHMENTARIANISM x "
        "12345678901234567890123,456.789 aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 it's "
        "ab.cdefghijklmnopqrstu 0123456789abcdef:ghij don't@mail.com a1b2c3d4e5f6g7h8i9j0",
        /* connectors: "__" is a word, a lone '_' none, a middle character after one joins
         * nothing; '_' inside the 64-byte blocks, across their edges and at a run's end */
        "snake_case __init__.py a_.b _a1.5 x__ _ __ foo_bar's 1_000,5 a _ b \xef\xbc\xbfx "
        "\xe2\x80\xbfy a_\xd9\x85 \xd9\x85_ ________________________________________________"
        "__________x long_identifier_name_that_crosses_the_sixty_four_byte_block_edge_"
        "a\xcc\x81_b __\n_",
    };
    engine fast, icu;
    engine_open(&fast, ND_NORMALIZE_FULL, true);
    engine_open(&icu, ND_NORMALIZE_FULL, false);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        cr_expect(
            expect_same(&fast, &icu, (const unsigned char *)texts[i], strlen(texts[i]), texts[i]),
            "the one-pass splitter takes on: %s", texts[i]);
    engine_close(&fast);
    engine_close(&icu);
}

/* Every seed article and every document of the planted corpora when they are built. */
Test(engines, seed_corpus)
{
    static const char *const seeds[] = {
        "000_0890706d309c6b14.txt", "001_6b51f63e2d89280f.txt", "002_bf468212468ea075.txt",
        "003_55340620ea89ea1d.txt", "004_4c56812b56ce6aa5.txt",
    };
    engine fast, icu;
    engine_open(&fast, ND_NORMALIZE_FULL, true);
    engine_open(&icu, ND_NORMALIZE_FULL, false);
    for (size_t i = 0; i < 5; i++) {
        char path[1024];
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", SEEDS_DIR, seeds[i]);
        char *bytes = read_file(path, &len);
        cr_assert_not_null(bytes);
        cr_expect(expect_same(&fast, &icu, (const unsigned char *)bytes, len, seeds[i]),
                  "the one-pass splitter takes on %s", seeds[i]);
        cr_assert_gt(fast.n_toks, 300, "a seed article has hundreds of words");
        free(bytes);
    }
    engine_close(&fast);
    engine_close(&icu);
}

/* Every letter nd_starts_afresh names is, for ICU, a starter with a normalization
 * boundary before it (NFC and NFKC_Casefold) and a letter or digit of UAX #29, so that
 * a cut between a space and it splits no word and no normalization. */
Test(engines, safe_cuts_agree_with_icu)
{
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&status);
    const UNormalizer2 *nfkc_cf = unorm2_getNFKCCasefoldInstance(&status);
    cr_assert(U_SUCCESS(status));
    int n = 0;
    for (UChar32 c = 0; c < 0x800; c++) {
        if (!nd_starts_afresh((uint32_t)c))
            continue;
        n++;
        const int wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);
        cr_assert(wb == U_WB_ALETTER || wb == U_WB_HEBREW_LETTER || wb == U_WB_NUMERIC, "U+%04X",
                  c);
        cr_assert_eq(u_getCombiningClass(c), 0, "U+%04X", c);
        cr_assert(unorm2_hasBoundaryBefore(nfc, c), "U+%04X", c);
        cr_assert(unorm2_hasBoundaryBefore(nfkc_cf, c), "U+%04X", c);
    }
    cr_assert_gt(n, 200);
    static const UChar32 spaces[] = {' ', '\t', '\n'};
    for (int i = 0; i < 3; i++) {
        cr_assert(unorm2_hasBoundaryAfter(nfkc_cf, spaces[i]));
        cr_assert_neq(u_getIntPropertyValue(spaces[i], UCHAR_WORD_BREAK), U_WB_EXTEND);
    }
}
