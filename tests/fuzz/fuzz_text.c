/*
 * fuzz_text.c: UTF-8 decoding, normalization and word segmentation on any bytes.
 *
 * Invariants: every normalized unit maps to a range inside the input, on
 * UTF-8 boundaries, non-decreasing; every token's range lies inside the input
 * and its ends are on boundaries; and the fast engine gives exactly what
 * plain ICU gives (text, offsets, tokens), in all three normalization modes,
 * and so does its one-pass splitter whenever it takes the text on.
 */
#include "text/fastwords.h"
#include "text/words.h"
#include "text/normalize.h"
#include "text/tokenize.h"
#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

typedef struct engine {
    nd_normalizer *nz;
    nd_tokenizer *tk;
    nd_normtext text;
    nd_token *toks;
    size_t n, cap;
} engine;

static void run(engine *e, nd_normalize_mode mode, bool fast, const uint8_t *data, size_t size)
{
    memset(e, 0, sizeof(*e));
    CHECK(nd_normalizer_new(&e->nz, mode, fast ? ND_ENGINE_FAST : ND_ENGINE_ICU) == 0);
    CHECK(nd_tokenizer_new(&e->tk, fast, NULL) == 0);
    CHECK(nd_normalize(e->nz, data, size, &e->text) == 0);
    CHECK(nd_tokenize(e->tk, &e->text, &e->toks, &e->n, &e->cap, NULL, NULL) == 0);
}

static void done(engine *e)
{
    nd_normalizer_free(e->nz);
    nd_tokenizer_free(e->tk);
    nd_normtext_dispose(&e->text);
    free(e->toks);
}

/* Marks the byte offsets where a code point starts, as the decoder walks. */
static uint8_t *boundaries(const uint8_t *data, size_t size)
{
    uint8_t *b = calloc(size + 1, 1);
    CHECK(b);
    for (size_t i = 0; i < size;) {
        int used, bad;
        b[i] = 1;
        nd_utf8_decode(data + i, size - i, &used, &bad);
        i += (size_t)used;
    }
    b[size] = 1;
    return b;
}

/* b marks where the decoder starts a code point (an invalid byte is one U+FFFD). */
static void check_invariants(const engine *e, size_t size, const uint8_t *b)
{
    uint32_t last = 0;
    for (int32_t i = 0; i < e->text.len; i++) {
        const uint32_t s = e->text.src_start[i], t = e->text.src_end[i];
        CHECK(s < t && t <= size && b[s] && b[t]);
        CHECK(s >= last);
        last = s;
    }
    for (size_t i = 0; i < e->n; i++) {
        CHECK(e->toks[i].start < e->toks[i].end && e->toks[i].end <= size);
        CHECK(b[e->toks[i].start] && b[e->toks[i].end]);
        CHECK(i == 0 || e->toks[i].start >= e->toks[i - 1].start);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = boundaries(data, size);
    for (int mode = ND_NORMALIZE_NONE; mode <= ND_NORMALIZE_FULL; mode++) {
        engine fast, icu;
        run(&fast, (nd_normalize_mode)mode, true, data, size);
        run(&icu, (nd_normalize_mode)mode, false, data, size);
        check_invariants(&fast, size, b);
        CHECK(fast.text.len == icu.text.len);
        CHECK(!memcmp(fast.text.text, icu.text.text, (size_t)fast.text.len * sizeof(UChar)));
        CHECK(!memcmp(fast.text.src_start, icu.text.src_start, (size_t)fast.text.len * 4));
        CHECK(!memcmp(fast.text.src_end, icu.text.src_end, (size_t)fast.text.len * 4));
        CHECK(fast.n == icu.n);
        CHECK(!fast.n || !memcmp(fast.toks, icu.toks, fast.n * sizeof(nd_token)));
        nd_words words = {0};
        const int taken = nd_fast_words(fast.nz, fast.tk, data, size, &words);
        CHECK(taken == 0 || taken == 1);
        if (taken) {
            CHECK(words.n == icu.n);
            CHECK(!words.n || !memcmp(words.toks, icu.toks, words.n * sizeof(nd_token)));
            CHECK(words.n_invalid == icu.text.n_invalid);
            CHECK(words.first_invalid == icu.text.first_invalid);
        }
        nd_word_splitter *splitter = NULL; /* with no cliff: always the ICU engine's words */
        CHECK(nd_word_splitter_new(&splitter, fast.nz, fast.tk) == 0);
        CHECK(nd_split_words(splitter, data, size, &words) == 0);
        CHECK(words.n == icu.n);
        CHECK(!words.n || !memcmp(words.toks, icu.toks, words.n * sizeof(nd_token)));
        CHECK(words.n_invalid == icu.text.n_invalid);
        CHECK(words.first_invalid == icu.text.first_invalid);
        nd_word_splitter_free(splitter);
        nd_words_dispose(&words);
        done(&fast);
        done(&icu);
    }
    free(b);
    return 0;
}
