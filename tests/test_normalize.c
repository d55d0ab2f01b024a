/*
 * test_normalize.c: every folding rule of "full" normalization, the other modes,
 * and the offset map, with known answers.
 */
#include "text/normalize.h"
#include "common/utf8.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unicode/ustring.h>

/* The normalized text of s, as UTF-8 (static buffer). */
static const char *norm(nd_normalize_mode mode, nd_engine engine, const char *s)
{
    static char out[4096];
    nd_normalizer *nz;
    nd_normtext t = {0};
    UErrorCode err = U_ZERO_ERROR;
    cr_assert_eq(nd_normalizer_new(&nz, mode, engine), 0);
    cr_assert_eq(nd_normalize(nz, (const uint8_t *)s, strlen(s), &t), 0);
    u_strToUTF8(out, sizeof(out), NULL, t.text, t.len, &err);
    cr_assert(U_SUCCESS(err));
    nd_normtext_dispose(&t);
    nd_normalizer_free(nz);
    return out;
}

static void expect_full(const char *in, const char *want)
{
    cr_expect_str_eq(norm(ND_NORMALIZE_FULL, ND_ENGINE_FAST, in), want, "fast: %s", in);
    cr_expect_str_eq(norm(ND_NORMALIZE_FULL, ND_ENGINE_ICU, in), want, "icu: %s", in);
}

/* Harakat, shadda, sukun, tanween and superscript alef are removed. */
Test(normalize, arabic_marks_removed)
{
    expect_full("كَتَبَ", "كتب");
    expect_full("مُحَمَّدٌ", "محمد");
    expect_full("قدماً", "قدما");
    expect_full("هٰذا", "هذا");
    expect_full("مِنْ", "من");
}

/* Tatweel and zero-width or bidi controls disappear. */
Test(normalize, tatweel_and_controls_removed)
{
    expect_full("الـــقمة", "القمه");
    expect_full("ال\u200cقمة\u200d", "القمه");
    expect_full("\u200fنص\u200e\u061c\ufeff", "نص");
}

/* Alef, yeh, teh marbuta and Persian letter variants fold to one letter each. */
Test(normalize, arabic_letters_folded)
{
    expect_full("أحمد", "احمد");
    expect_full("إسلام", "اسلام");
    expect_full("آمن", "امن");
    expect_full("ٱلله", "الله");
    expect_full("مستشفى", "مستشفي");
    expect_full("مدرسة", "مدرسه");
    expect_full("مؤتمر", "موتمر");
    expect_full("رئيس", "رييس");
    expect_full("کتاب", "كتاب");
    expect_full("فارسی", "فارسي");
}

/* Arabic-Indic and Extended Arabic-Indic digits become ASCII. */
Test(normalize, digits_folded)
{
    expect_full("٢٠١٧", "2017");
    expect_full("۴۵", "45");
}

/* NFKC and case folding; accents removed after decomposition. */
Test(normalize, latin_forms)
{
    expect_full("Straße", "strasse");
    expect_full("ﬁnal Ａ", "final a");
    expect_full("café", "cafe");
    expect_full("cafe\u0301", "cafe");
    expect_full("İstanbul", "istanbul");
    expect_full("don’t", "don't");
}

/* basic keeps accents and Arabic letters; none copies. */
Test(normalize, other_modes)
{
    cr_assert_str_eq(norm(ND_NORMALIZE_BASIC, ND_ENGINE_FAST, "Café أحمد"), "café أحمد");
    cr_assert_str_eq(norm(ND_NORMALIZE_NONE, ND_ENGINE_FAST, "Café أحمد"), "Café أحمد");
}

/* Quote marks are only punctuation: folding leaves them for the word splitter to drop. */
Test(normalize, with_and_without_diacritics_equal)
{
    cr_assert_str_eq(norm(ND_NORMALIZE_FULL, ND_ENGINE_FAST, "أَسَّسَ المُؤْتَمَرُ"),
                     norm(ND_NORMALIZE_FULL, ND_ENGINE_FAST, "اسس الموتمر"));
}

/* Every unit maps back to the original bytes it came from. */
Test(normalize, offsets_slice_original)
{
    const char *s = "Aـب\u064eﬁ\xC0x";
    nd_normalizer *nz;
    nd_normtext t = {0};
    cr_assert_eq(nd_normalizer_new(&nz, ND_NORMALIZE_FULL, ND_ENGINE_FAST), 0);
    cr_assert_eq(nd_normalize(nz, (const uint8_t *)s, strlen(s), &t), 0);
    /* A | tatweel (gone) | beh+fatha (one chunk) | fi ligature -> f i | bad byte | x */
    static const uint32_t start[] = {0, 3, 7, 7, 10, 11}, end[] = {1, 7, 10, 10, 11, 12};
    cr_assert_eq(t.len, 6);
    for (int i = 0; i < 6; i++) {
        cr_expect_eq(t.src_start[i], start[i], "unit %d", i);
        cr_expect_eq(t.src_end[i], end[i], "unit %d", i);
    }
    cr_assert_eq(t.text[4], 0xFFFD);
    cr_assert_eq(t.n_invalid, 1);
    cr_assert_eq(t.first_invalid, 10);
    nd_normtext_dispose(&t);
    nd_normalizer_free(nz);
}

/* Overlong forms, surrogates, truncated sequences and stray continuation bytes. */
Test(normalize, invalid_utf8)
{
    static const struct {
        const char *bytes;
        size_t len;
        int64_t first;
        uint64_t n;
    } cases[] = {
        {"a\xC0\xAF", 3, 1, 2},       /* overlong '/' */
        {"ab\xED\xA0\x80", 5, 2, 3},  /* a surrogate */
        {"\xE2\x82", 2, 0, 2},        /* truncated euro sign */
        {"x\x80y", 3, 1, 1},          /* stray continuation */
        {"\xF4\x90\x80\x80", 4, 0, 4} /* above U+10FFFF */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        nd_normalizer *nz;
        nd_normtext t = {0};
        cr_assert_eq(nd_normalizer_new(&nz, ND_NORMALIZE_NONE, ND_ENGINE_FAST), 0);
        cr_assert_eq(nd_normalize(nz, (const uint8_t *)cases[i].bytes, cases[i].len, &t), 0);
        cr_expect_eq(t.first_invalid, cases[i].first, "case %zu", i);
        cr_expect_eq(t.n_invalid, cases[i].n, "case %zu: one U+FFFD per bad byte", i);
        nd_normtext_dispose(&t);
        nd_normalizer_free(nz);
    }
}

/* Normalizing twice changes nothing more. */
Test(normalize, idempotent)
{
    static const char *const texts[] = {"أَحْمَدُ في المدرسة ٢٠١٧", "Straße ﬁnal café İ", "ᄀ ᅡ 가"};
    for (size_t i = 0; i < 3; i++) {
        char once[4096];
        strcpy(once, norm(ND_NORMALIZE_FULL, ND_ENGINE_ICU, texts[i]));
        cr_assert_str_eq(norm(ND_NORMALIZE_FULL, ND_ENGINE_ICU, once), once);
    }
}

/* The code points counted before each offset of random bytes made of valid sequences of
 * one to four bytes and invalid ones (stray continuation bytes, C0 and C1, leads cut
 * short, F5..FF), against the decoder one sequence at a time: the 16-byte blocks of
 * nd_utf8_count_upto, and where their end cuts a sequence. */
Test(normalize, utf8_count_agrees_with_the_decoder)
{
    static const char *const pieces[] = {
        "a",    " ",    "\xD9\x85", "\xD8\xA7", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
        "\x80", "\xBF", "\xC0\xAF", "\xC1",     "\xD9",     "\xE2\x82",     "\xF0\x9F",
        "\xF5", "\xFF",
    };
    uint64_t state = 11;
    for (int round = 0; round < 2000; round++) {
        uint8_t bytes[300];
        size_t len = 0;
        while (len < 280) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            /* mostly Arabic and ASCII, as the 16-byte blocks take them */
            const size_t r = (size_t)(state >> 33) % 64;
            const char *p = pieces[r < 48 ? r % 4 : r % 16];
            memcpy(bytes + len, p, strlen(p));
            len += strlen(p);
            if ((state >> 20) % 97 == 0)
                break;
        }
        size_t at = 0;
        uint64_t before = 0; /* code points of the sequences starting before at */
        for (size_t upto = 0; upto <= len; upto++) {
            while (at < upto) {
                int used, bad;
                nd_utf8_decode(bytes + at, len - at, &used, &bad);
                at += (size_t)used;
                before++;
            }
            size_t end;
            cr_assert_eq(nd_utf8_count_upto(bytes, len, upto, &end), before, "round %d, upto %zu",
                         round, upto);
            cr_assert_eq(end, at, "round %d, upto %zu", round, upto);
        }
        cr_assert_eq(nd_utf8_count(bytes, len), before, "round %d", round);
    }
}
