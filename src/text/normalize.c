/*
 * normalize.c: UTF-8 -> normalized UTF-16 with a map back to the original bytes.
 *
 * HOW IT WORKS
 *
 * ICU is the source of truth. The text is cut into chunks at the places where
 * ICU's NFKC_Casefold normalizer says a normalization boundary lies
 * (unorm2_hasBoundaryBefore): normalizing chunk by chunk gives exactly the
 * result of normalizing the whole text, and every unit a chunk produces maps
 * to that chunk's original bytes. Most chunks are one code point, so most
 * units map to exactly one original character.
 *
 * "full" normalization of a chunk, all by ICU:
 *   NFKC_Casefold    compatibility forms, case folding, default ignorables
 *                    (ZWJ, ZWNJ, LRM, RLM, ALM, BOM) removed
 *   NFD              so that accents and hamza become separate marks
 *   filter           drop general category Mn (harakat, shadda, sukun,
 *                    tanween, superscript alef, hamza above/below, Latin
 *                    accents) and tatweel; fold ٱ->ا ى->ي ة->ه ک->ك ی->ي,
 *                    Arabic-Indic digits -> ASCII, curly apostrophes -> '
 *   NFC              recompose what is left (Hangul syllables, ...)
 * So أ إ آ ؤ ئ lose their hamza/madda mark and become ا ا ا و ي.
 * "basic" is NFKC_Casefold alone; "none" copies the text.
 *
 * The fast engine memoizes the result of a one-code-point chunk for each BMP
 * code point the first time it is seen, with the same ICU calls: chunks of one
 * code point are the common case (every Arabic letter, every ASCII byte), so
 * after warm-up a document costs one table look-up per character, and the
 * result is identical to the ICU engine by construction (tests check it).
 * Longer chunks (a letter with its harakat, a Latin letter with a combining
 * accent) go through a small cache keyed by the chunk's text: the same few
 * hundred combinations recur across a corpus.
 */
#include "text/normalize.h"

#include "common/base.h"
#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>

/* A cached chunk: up to CHUNK_MAX units in, up to CHUNK_MAX units out. */
#define CHUNK_MAX 8
#define CHUNK_CACHE_SIZE 4096 /* a power of two */
typedef struct chunk_entry {
    UChar in[CHUNK_MAX], out[CHUNK_MAX];
    uint8_t in_len, out_len; /* in_len 0: empty slot */
} chunk_entry;

struct nd_normalizer {
    nd_normalize_mode mode;
    nd_engine engine;
    const UNormalizer2 *nfkc_cf, *nfd, *nfc;
    UChar *chunk, *tmp_a, *tmp_b; /* chunk text and two scratch buffers */
    int32_t chunk_len;
    size_t chunk_cap, tmp_a_cap, tmp_b_cap;
    uint32_t chunk_start, chunk_end; /* original bytes of the chunk */
    int chunk_cps;
    UChar32 chunk_first;
    uint64_t *memo;           /* 65536 entries, fast engine only */
    chunk_entry *chunk_cache; /* CHUNK_CACHE_SIZE entries, fast engine only */
};

int nd_normalizer_new(nd_normalizer **out, nd_normalize_mode mode, nd_engine engine)
{
    UErrorCode err = U_ZERO_ERROR;
    nd_normalizer *nz = calloc(1, sizeof(*nz));
    if (!nz)
        return ND_ENOMEM;
    nz->mode = mode;
    nz->engine = engine;
    nz->nfkc_cf = unorm2_getNFKCCasefoldInstance(&err);
    nz->nfd = unorm2_getNFDInstance(&err);
    nz->nfc = unorm2_getNFCInstance(&err);
    if (U_FAILURE(err)) {
        free(nz);
        return ND_EICU;
    }
    if (engine == ND_ENGINE_FAST) {
        nz->memo = calloc(65536, sizeof(uint64_t));
        nz->chunk_cache = calloc(CHUNK_CACHE_SIZE, sizeof(chunk_entry));
        if (!nz->memo || !nz->chunk_cache) {
            nd_normalizer_free(nz);
            return ND_ENOMEM;
        }
    }
    *out = nz;
    return 0;
}

void nd_normalizer_free(nd_normalizer *nz)
{
    if (!nz)
        return;
    free(nz->chunk);
    free(nz->tmp_a);
    free(nz->tmp_b);
    free(nz->memo);
    free(nz->chunk_cache);
    free(nz);
}

void nd_normtext_dispose(nd_normtext *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->src_start);
    free(t->src_end);
    memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- output */

static int out_reserve(nd_normtext *t, size_t extra)
{
    const size_t need = (size_t)t->len + extra;
    if (need <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap : 256;
    while (cap < need)
        cap *= 2;
    UChar *text = realloc(t->text, cap * sizeof(UChar));
    if (text)
        t->text = text;
    uint32_t *s = realloc(t->src_start, cap * sizeof(uint32_t));
    if (s)
        t->src_start = s;
    uint32_t *e = realloc(t->src_end, cap * sizeof(uint32_t));
    if (e)
        t->src_end = e;
    if (!text || !s || !e)
        return ND_ENOMEM;
    t->cap = cap;
    return 0;
}

static inline int out_append(nd_normtext *t, const UChar *units, int32_t n, uint32_t start,
                             uint32_t end)
{
    if ((size_t)t->len + (size_t)n > t->cap && out_reserve(t, (size_t)n) < 0)
        return ND_ENOMEM;
    for (int32_t i = 0; i < n; i++) {
        t->text[t->len] = units[i];
        t->src_start[t->len] = start;
        t->src_end[t->len] = end;
        t->len++;
    }
    return 0;
}

/* ---------------------------------------------------------------- ICU steps */

/* Runs one ICU normalizer from src into *dst (grown as needed); returns the length or < 0. */
static int32_t icu_apply(const UNormalizer2 *n2, const UChar *src, int32_t len, UChar **dst,
                         size_t *cap)
{
    for (;;) {
        UErrorCode err = U_ZERO_ERROR;
        const int32_t got = unorm2_normalize(n2, src, len, *dst, (int32_t)*cap, &err);
        if (err == U_BUFFER_OVERFLOW_ERROR) {
            if (ND_GROW(*dst, *cap, (size_t)got + 1) < 0)
                return ND_ENOMEM;
            continue;
        }
        return U_FAILURE(err) ? ND_EICU : got;
    }
}

/* The letter folds of "full" normalization, applied after NFD; 0 drops the code point. */
static UChar32 fold_code_point(UChar32 c)
{
    switch (c) {
    case 0x0640: return 0;      /* tatweel */
    case 0x0671: return 0x0627; /* alef wasla -> alef */
    case 0x0649: return 0x064A; /* alef maksura -> yeh */
    case 0x0629: return 0x0647; /* teh marbuta -> heh */
    case 0x06A9: return 0x0643; /* keheh -> kaf */
    case 0x06CC: return 0x064A; /* farsi yeh -> yeh */
    case 0x2018:
    case 0x2019:
    case 0x02BC: return 0x0027; /* apostrophes */
    default: break;
    }
    if (c >= 0x0660 && c <= 0x0669)
        return '0' + (c - 0x0660);
    if (c >= 0x06F0 && c <= 0x06F9)
        return '0' + (c - 0x06F0);
    if (u_charType(c) == U_NON_SPACING_MARK)
        return 0;
    return c;
}

/* Filters src into dst (same capacity suffices: folds never grow). */
static int32_t fold_units(const UChar *src, int32_t len, UChar *dst)
{
    int32_t i = 0, n = 0;
    while (i < len) {
        UChar32 c;
        U16_NEXT(src, i, len, c);
        const UChar32 f = fold_code_point(c);
        if (f)
            U16_APPEND_UNSAFE(dst, n, f);
    }
    return n;
}

/* Normalizes one chunk with ICU into nz->tmp_a; returns its length or < 0. */
static int32_t normalize_chunk(nd_normalizer *nz, const UChar *src, int32_t len)
{
    int32_t n = icu_apply(nz->nfkc_cf, src, len, &nz->tmp_a, &nz->tmp_a_cap);
    if (n <= 0 || nz->mode == ND_NORMALIZE_BASIC)
        return n;
    n = icu_apply(nz->nfd, nz->tmp_a, n, &nz->tmp_b, &nz->tmp_b_cap);
    if (n <= 0)
        return n;
    n = fold_units(nz->tmp_b, n, nz->tmp_b);
    return n ? icu_apply(nz->nfc, nz->tmp_b, n, &nz->tmp_a, &nz->tmp_a_cap) : 0;
}

/* ---------------------------------------------------------------- memo */

const uint64_t *nd_normalizer_memo(const nd_normalizer *nz)
{
    return nz->mode == ND_NORMALIZE_NONE ? NULL : nz->memo;
}

uint64_t nd_normalizer_memo_fill(nd_normalizer *nz, UChar32 c)
{
    uint64_t e = MEMO_FILLED;
    if (c < 0x80) { /* what nd_normalize does with an ASCII chunk: lower-case it */
        e |= MEMO_BOUNDARY | (1ull << MEMO_LEN_SHIFT);
        nz->memo[c] = e | (uint64_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        return nz->memo[c];
    }
    if (unorm2_hasBoundaryBefore(nz->nfkc_cf, c))
        e |= MEMO_BOUNDARY;
    const UChar unit = (UChar)c;
    const int32_t n = normalize_chunk(nz, &unit, 1);
    if (n < 0 || n > 3) {
        e |= MEMO_LONG;
    } else {
        e |= (uint64_t)n << MEMO_LEN_SHIFT;
        for (int32_t i = 0; i < n; i++)
            e |= (uint64_t)nz->tmp_a[i] << (16 * i);
    }
    nz->memo[c] = e;
    return e;
}

static inline uint64_t memo_entry(nd_normalizer *nz, UChar32 c)
{
    const uint64_t e = nz->memo[c];
    return e & MEMO_FILLED ? e : nd_normalizer_memo_fill(nz, c);
}

static bool has_boundary_before(nd_normalizer *nz, UChar32 c)
{
    if (c < 0x80)
        return true;
    if (nz->memo && c < 0x10000)
        return (memo_entry(nz, c) & MEMO_BOUNDARY) != 0;
    return unorm2_hasBoundaryBefore(nz->nfkc_cf, c);
}

/* The cache slot of a chunk's text. */
static chunk_entry *cache_slot(nd_normalizer *nz, const UChar *in, int32_t len)
{
    uint32_t h = 2166136261u;
    for (int32_t i = 0; i < len; i++)
        h = (h ^ in[i]) * 16777619u;
    return &nz->chunk_cache[h & (CHUNK_CACHE_SIZE - 1)];
}

int32_t nd_normalize_chunk(nd_normalizer *nz, const UChar *in, int32_t len, const UChar **units)
{
    chunk_entry *e = nz->chunk_cache && len <= CHUNK_MAX ? cache_slot(nz, in, len) : NULL;
    if (e && e->in_len == len && !memcmp(e->in, in, (size_t)len * sizeof(UChar))) {
        *units = e->out;
        return e->out_len;
    }
    const int32_t n = normalize_chunk(nz, in, len);
    if (n < 0)
        return n;
    if (e && n <= CHUNK_MAX) {
        memcpy(e->in, in, (size_t)len * sizeof(UChar));
        if (n > 0) /* (a chunk that normalizes to nothing may leave tmp_a unallocated) */
            memcpy(e->out, nz->tmp_a, (size_t)n * sizeof(UChar));
        e->in_len = (uint8_t)len;
        e->out_len = (uint8_t)n;
    }
    *units = nz->tmp_a;
    return n;
}

/* Appends the normalization of a chunk of several code points, cached when short. */
static int append_long_chunk(nd_normalizer *nz, nd_normtext *out, const UChar *in, int32_t len)
{
    const UChar *units;
    const int32_t n = nd_normalize_chunk(nz, in, len, &units);
    return n < 0 ? n : out_append(out, units, n, nz->chunk_start, nz->chunk_end);
}

/* ---------------------------------------------------------------- chunks */

static int flush_chunk(nd_normalizer *nz, nd_normtext *out)
{
    if (nz->chunk_len == 0)
        return 0;
    const UChar32 c = nz->chunk_first;
    const int32_t len = nz->chunk_len;
    nz->chunk_len = 0;
    if (nz->chunk_cps == 1 && c < 0x80) {
        const UChar lower = (UChar)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        return out_append(out, &lower, 1, nz->chunk_start, nz->chunk_end);
    }
    if (nz->chunk_cps == 1 && nz->memo && c < 0x10000) {
        const uint64_t e = memo_entry(nz, c);
        if (!(e & MEMO_LONG)) {
            UChar units[3];
            const int32_t n = (int32_t)((e >> MEMO_LEN_SHIFT) & 3);
            for (int32_t i = 0; i < n; i++)
                units[i] = (UChar)(e >> (16 * i));
            return out_append(out, units, n, nz->chunk_start, nz->chunk_end);
        }
    }
    return append_long_chunk(nz, out, nz->chunk, len);
}

static inline int chunk_add(nd_normalizer *nz, UChar32 c, uint32_t start, uint32_t end)
{
    if ((size_t)nz->chunk_len + 2 > nz->chunk_cap &&
        ND_GROW(nz->chunk, nz->chunk_cap, (size_t)nz->chunk_len + 2) < 0)
        return ND_ENOMEM;
    if (nz->chunk_len == 0) {
        nz->chunk_start = start;
        nz->chunk_cps = 0;
        nz->chunk_first = c;
    }
    U16_APPEND_UNSAFE(nz->chunk, nz->chunk_len, c);
    nz->chunk_end = end;
    nz->chunk_cps++;
    return 0;
}

/* ---------------------------------------------------------------- entry point */

static void note_invalid(nd_normtext *out, size_t off)
{
    if (out->n_invalid++ == 0)
        out->first_invalid = (int64_t)off;
}

int nd_normalize(nd_normalizer *nz, const uint8_t *bytes, size_t len, nd_normtext *out)
{
    if (len > UINT32_MAX - 1)
        return ND_EINVAL;
    out->len = 0;
    out->n_invalid = 0;
    out->first_invalid = -1;
    nz->chunk_len = 0;
    /* most texts normalize to at most one unit per byte: one reservation */
    if (out_reserve(out, len + 64) < 0)
        return ND_ENOMEM;
    for (size_t i = 0; i < len;) {
        /* an ASCII byte followed by ASCII is a chunk of its own: lower-case it */
        if (bytes[i] < 0x80 && (i + 1 == len || bytes[i + 1] < 0x80) &&
            nz->mode != ND_NORMALIZE_NONE) {
            int rc = flush_chunk(nz, out);
            const UChar c = bytes[i];
            const UChar lower = (UChar)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            if (rc == 0)
                rc = out_append(out, &lower, 1, (uint32_t)i, (uint32_t)i + 1);
            if (rc < 0)
                return rc;
            i++;
            continue;
        }
        int used, bad;
        const UChar32 c = (UChar32)nd_utf8_decode(bytes + i, len - i, &used, &bad);
        if (bad)
            note_invalid(out, i);
        const uint32_t start = (uint32_t)i, end = (uint32_t)(i + (size_t)used);
        i += (size_t)used;
        int rc;
        if (nz->mode == ND_NORMALIZE_NONE) {
            UChar units[2];
            int32_t n = 0;
            U16_APPEND_UNSAFE(units, n, c);
            rc = out_append(out, units, n, start, end);
        } else {
            rc = has_boundary_before(nz, c) ? flush_chunk(nz, out) : 0;
            if (rc == 0)
                rc = chunk_add(nz, c, start, end);
        }
        if (rc < 0)
            return rc;
    }
    return flush_chunk(nz, out);
}
