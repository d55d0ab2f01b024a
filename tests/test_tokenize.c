/*
 * test_tokenize.c: words of many scripts, punctuation dropped, original byte ranges.
 */
#include "text/normalize.h"
#include "text/tokenize.h"

#include <criterion/criterion.h>
#include <string.h>

typedef struct words {
    nd_token toks[256];
    size_t n;
} words;

/* The words of s, the tokenizer's classes starting from known (or none). */
static words split_knowing(const char *s, bool fast, nd_word_classes *known)
{
    words w = {0};
    nd_normalizer *nz;
    nd_tokenizer *tk;
    nd_normtext t = {0};
    nd_token *toks = NULL;
    size_t cap = 0;
    cr_assert_eq(nd_normalizer_new(&nz, ND_NORMALIZE_FULL, ND_ENGINE_FAST), 0);
    cr_assert_eq(nd_tokenizer_new(&tk, fast, known), 0);
    cr_assert_eq(nd_normalize(nz, (const uint8_t *)s, strlen(s), &t), 0);
    cr_assert_eq(nd_tokenize(tk, &t, &toks, &w.n, &cap, NULL, NULL), 0);
    cr_assert_leq(w.n, 256);
    memcpy(w.toks, toks, w.n * sizeof(*toks));
    free(toks);
    nd_normtext_dispose(&t);
    nd_tokenizer_free(tk);
    nd_normalizer_free(nz);
    return w;
}

static words split(const char *s, bool fast)
{
    return split_knowing(s, fast, NULL);
}

/* The original bytes of word i. */
static void expect_word(const char *s, const words *w, size_t i, const char *want)
{
    cr_assert_lt(i, w->n);
    const size_t n = w->toks[i].end - w->toks[i].start;
    cr_expect(n == strlen(want) && !memcmp(s + w->toks[i].start, want, n),
              "word %zu is '%.*s', expected '%s'", i, (int)n, s + w->toks[i].start, want);
}

Test(tokenize, arabic)
{
    const char *s = "قال الرئيس، «إنها 3 كلمات».";
    const words w = split(s, true);
    cr_assert_eq(w.n, 5);
    expect_word(s, &w, 0, "قال");
    expect_word(s, &w, 1, "الرئيس");
    expect_word(s, &w, 2, "إنها");
    expect_word(s, &w, 3, "3");
    expect_word(s, &w, 4, "كلمات");
}

Test(tokenize, english)
{
    const char *s = "The U.S. economy grew 3.5% in 2019, didn't it?";
    const words w = split(s, true);
    cr_assert_eq(w.n, 9);
    expect_word(s, &w, 1, "U.S");
    expect_word(s, &w, 4, "3.5");
    expect_word(s, &w, 7, "didn't");
}

/* Dictionary segmentation: more than one word in a run without spaces. */
Test(tokenize, chinese_and_thai)
{
    const char *zh = "我们喜欢北京";
    const words z = split(zh, true);
    cr_assert_geq(z.n, 3, "Chinese is segmented by ICU's dictionary");
    expect_word(zh, &z, 0, "我们");
    const char *th = "ภาษาไทยง่ายนิดเดียว";
    const words t = split(th, true);
    cr_assert_geq(t.n, 3, "Thai is segmented by ICU's dictionary");
    expect_word(th, &t, 0, "ภาษา");
}

/* Quote styles never matter: “G20”, "G20" and «G20» give the same word hashes. */
Test(tokenize, quotes_do_not_matter)
{
    const words a = split("قمة “G20” اليوم", true), b = split("قمة \"G20\" اليوم", true),
                c = split("قمة «G20» اليوم", true);
    cr_assert_eq(a.n, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(a.toks[i].hash, b.toks[i].hash);
        cr_assert_eq(a.toks[i].hash, c.toks[i].hash);
    }
}

/* A word with harakat and tatweel hashes like the bare word, and keeps its own bytes. */
Test(tokenize, diacritics_fold_into_same_hash)
{
    const char *s = "أَسَّسَ اســس";
    const words w = split(s, true);
    cr_assert_eq(w.n, 2);
    cr_assert_eq(w.toks[0].hash, w.toks[1].hash);
    expect_word(s, &w, 0, "أَسَّسَ");
    expect_word(s, &w, 1, "اســس");
}

/* Cyrillic and Greek are words too; CRLF line ends are separators. */
Test(tokenize, other_scripts_and_crlf)
{
    const char *s = "Россия\r\nΕλλάδα\r\n";
    const words w = split(s, false);
    cr_assert_eq(w.n, 2);
    expect_word(s, &w, 0, "Россия");
    expect_word(s, &w, 1, "Ελλάδα");
}

/* Classes kept from tokenizer to tokenizer (an index handle's queries) give the words of
 * classes learned afresh: each text split first alone, then after the others taught the
 * kept classes what they hold, with the ICU engine's words as the reference. */
Test(tokenize, classes_kept_between_tokenizers_give_the_same_words)
{
    static const char *const texts[] = {
        "The U.S. economy grew 3.5% in 2019, didn't it? a_b __ x_.y",
        "قال الرئيس، «إنها 3 كلمات». ١٢٣٫٤٥ ـــ",
        "Ça coûte 1 000,50 € — l'été: «été» naïve façade.",
        "Пример: 3,14 и т.д.; emoji 😀 and ZWJ 👩‍💻, עברית \"ש\"ב",
        "東京は晴れ。ไทย ภาษา 日本語のテキスト",
    };
    const size_t n = sizeof(texts) / sizeof(*texts);
    nd_word_classes *known;
    cr_assert_eq(nd_word_classes_new(&known), 0);
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < n; i++) {
            const words alone = split(texts[i], true), kept = split_knowing(texts[i], true, known),
                        icu = split(texts[i], false);
            cr_assert_eq(kept.n, alone.n, "text %zu, round %d", i, round);
            cr_assert_eq(kept.n, icu.n, "text %zu, round %d", i, round);
            cr_assert_arr_eq(kept.toks, alone.toks, kept.n * sizeof(nd_token), "text %zu", i);
            cr_assert_arr_eq(kept.toks, icu.toks, kept.n * sizeof(nd_token), "text %zu", i);
        }
    nd_word_classes_free(known);
}
