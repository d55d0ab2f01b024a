/*
 * fastwords.c: UTF-8 -> words in one pass, with ICU's answers.
 *
 * HOW IT WORKS
 *
 * The general path writes the whole normalized text with two 32-bit offsets
 * per UTF-16 unit, then walks it again to find words: 10 bytes written and
 * read back per character, and a function call per chunk. Here each chunk
 * (normalize.h) is normalized from the memo (one table look-up for a lone
 * code point; for a two-byte letter with its marks, a cache of such chunks kept
 * here, else the normalizer's chunk cache) and its units go
 * straight into a word state machine that applies the rules of the fast
 * tokenizer (tokenize.c): a word is a run of letters and digits, a middle
 * character joins two of the same class. Only the units of the current word
 * are kept, to hash them when it ends.
 *
 * Whatever this path does not model (a supplementary code point, a unit of
 * class COMPLEX, a chunk longer than CHUNK_UNITS) makes it give up on the
 * document, which then takes the general path: the results are the same by
 * construction, and tests compare the two engines on many scripts.
 */
#include "text/fastwords.h"

#include "text/tokenize.h"
#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/utf16.h>
#include "text/wordhash.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define GIVE_UP 1
/* longer chunks (a letter with many marks) take the general path */
#define CHUNK_UNITS 32

typedef struct splitter {
    nd_words *w;
    nd_tokenizer *tk;
    uint8_t *classes; /* ASCII always filled in */
    bool in_word, has_mid;
    uint8_t last_class, mid_class;
    UChar mid;
    uint32_t start, end; /* original bytes of the word so far */
} splitter;

static int grow_word(nd_words *w)
{
    return ND_GROW(w->word, w->word_cap, w->word_len + 1);
}

static inline int push_unit(nd_words *w, UChar u)
{
    if (w->word_len == w->word_cap && grow_word(w) < 0)
        return ND_ENOMEM;
    w->word[w->word_len++] = u;
    return 0;
}

/* nd_token_hash of the word being read, whose buffer holds at least ND_PACKED_UNITS
 * units: a word of that many units or less is packed with vector loads, not a loop. */
static inline uint64_t word_hash(const nd_words *w)
{
#ifdef __SSE2__
    static const uint16_t keep[16] = {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF,
                                      0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF};
    const size_t n = w->word_len;
    if (n <= ND_PACKED_UNITS) {
        __m128i v = _mm_loadu_si128((const __m128i *)w->word);
        v = _mm_and_si128(v, _mm_loadu_si128((const __m128i *)(keep + ND_PACKED_UNITS - n)));
        const __m128i high = _mm_and_si128(v, _mm_set1_epi16((short)0xFF80));
        if (_mm_movemask_epi8(_mm_cmpeq_epi16(high, _mm_setzero_si128())) == 0xFFFF)
            v = _mm_packus_epi16(v, _mm_setzero_si128()); /* ASCII: one byte a unit */
        return nd_packed_word_hash((uint64_t)_mm_cvtsi128_si64(v),
                                   (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)),
                                   (uint32_t)n);
    }
#endif
    return nd_token_hash(w->word, (int32_t)w->word_len);
}

static int finish_word(splitter *sp)
{
    nd_words *w = sp->w;
    sp->in_word = sp->has_mid = false;
    if (w->word_len == 1 && sp->classes[w->word[0]] == WC_CONNECTOR) /* a lone '_': no word */
        return 0;
    if (w->n == w->cap && ND_GROW(w->toks, w->cap, w->n + 1) < 0)
        return ND_ENOMEM;
    w->toks[w->n++] = (nd_token){.start = sp->start, .end = sp->end, .hash = word_hash(w)};
    return 0;
}

static void start_word(splitter *sp, uint32_t start)
{
    sp->in_word = true;
    sp->start = start;
    sp->w->word_len = 0;
}

static inline bool is_word_class(uint8_t cls)
{
    return cls == WC_LETTER || cls == WC_DIGIT;
}

/* One unit of normalized text that came from the original bytes [start, end). */
static inline int take_unit(splitter *sp, UChar u, uint32_t start, uint32_t end)
{
    const uint8_t cls = nd_word_class(sp->tk, sp->classes, u);
    int rc = 0;
    if (nd_is_word_part(cls)) {
        if (!sp->in_word) {
            start_word(sp, start);
        } else if (sp->has_mid) {
            sp->has_mid = false;
            if (nd_word_joins(sp->mid_class, sp->last_class, cls))
                rc = push_unit(sp->w, sp->mid);
            else if ((rc = finish_word(sp)) == 0)
                start_word(sp, start);
        }
        sp->last_class = cls;
        sp->end = end;
        return rc < 0 ? rc : push_unit(sp->w, u);
    }
    if (cls == WC_COMPLEX)
        return GIVE_UP;
    if (sp->in_word && !sp->has_mid && cls != WC_SEPARATOR) {
        sp->has_mid = true; /* decided by the next unit */
        sp->mid = u;
        sp->mid_class = cls;
        return 0;
    }
    return sp->in_word ? finish_word(sp) : 0;
}

static inline int take_units(splitter *sp, const UChar *units, int32_t n, uint32_t start,
                             uint32_t end)
{
    for (int32_t k = 0; k < n; k++) {
        const int rc = take_unit(sp, units[k], start, end);
        if (rc)
            return rc;
    }
    return 0;
}

static inline uint64_t memo_of(nd_normalizer *nz, const uint64_t *memo, UChar32 c)
{
    const uint64_t e = memo[c];
    return e & MEMO_FILLED ? e : nd_normalizer_memo_fill(nz, c);
}

/* Decodes the code point at bytes[i], with a short path for ASCII and two-byte
 * sequences (Arabic, Cyrillic, Greek, Hebrew, accented Latin). */
static inline UChar32 decode(const uint8_t *bytes, size_t len, size_t i, int *used, nd_words *w)
{
    const uint8_t b0 = bytes[i];
    if (b0 < 0x80) {
        *used = 1;
        return b0;
    }
    if (b0 >= 0xC2 && b0 < 0xE0 && i + 1 < len && (bytes[i + 1] & 0xC0) == 0x80) {
        *used = 2;
        return ((UChar32)(b0 & 0x1F) << 6) | (bytes[i + 1] & 0x3F);
    }
    int bad;
    const UChar32 c = (UChar32)nd_utf8_decode(bytes + i, len - i, used, &bad);
    if (bad && w->n_invalid++ == 0)
        w->first_invalid = (int64_t)i;
    return c;
}

/* The chunk being gathered: a code point with a boundary before it and its marks. */
typedef struct chunk {
    UChar units[CHUNK_UNITS];
    int32_t n;
    uint64_t first_entry; /* memo entry of units[0] */
    uint32_t start, end;
} chunk;

/* A chunk of several code points, or of one whose result does not fit the memo. */
static int take_long_chunk(nd_normalizer *nz, splitter *sp, const chunk *ch)
{
    const UChar *units;
    const int32_t n = nd_normalize_chunk(nz, ch->units, ch->n, &units);
    return n < 0 ? n : take_units(sp, units, n, ch->start, ch->end);
}

static int take_chunk(nd_normalizer *nz, splitter *sp, const chunk *ch)
{
    const uint64_t e = ch->first_entry;
    if (ch->n > 1 || (e & MEMO_LONG))
        return take_long_chunk(nz, sp, ch);
    const UChar units[3] = {(UChar)e, (UChar)(e >> 16), (UChar)(e >> 32)};
    return take_units(sp, units, (int32_t)((e >> MEMO_LEN_SHIFT) & 3), ch->start, ch->end);
}

/* The common case of take_chunk, inline: a lone code point that normalizes to one
 * letter or digit, not after a middle character. Returns false when it is not that case. */
static inline bool extend_word(splitter *sp, const chunk *ch)
{
    const uint64_t e = ch->first_entry;
    const UChar u = (UChar)e;
    const uint8_t cls = nd_word_class(sp->tk, sp->classes, u);
    nd_words *w = sp->w;
    if (ch->n != 1 || (e & (MEMO_LONG | 3ull << MEMO_LEN_SHIFT)) != 1ull << MEMO_LEN_SHIFT ||
        sp->has_mid || !is_word_class(cls) || w->word_len == w->word_cap)
        return false;
    if (!sp->in_word)
        start_word(sp, ch->start);
    w->word[w->word_len++] = u;
    sp->last_class = cls;
    sp->end = ch->end;
    return true;
}

/* take_chunk for the places that are not the hot loop. */
static int flush_chunk(nd_normalizer *nz, splitter *sp, chunk *ch)
{
    const int rc = ch->n > 0 && !extend_word(sp, ch) ? take_chunk(nz, sp, ch) : 0;
    if (rc == 0) /* (kept on giving up: its words are split again from its start) */
        ch->n = 0;
    return rc;
}

/* The table of code points of one or two UTF-8 bytes (below U+0800), filled from the
 * memo and the word classes on first sight: whether the code point is a letter or
 * digit standing alone (a boundary before it, one unit out), and then that unit and
 * its class; or whether it is a mark (no boundary before it). */
#define TWO_BYTE_KNOWN (1u << 31)
#define TWO_BYTE_LETTER (1u << 30)
/* no boundary before it (a mark, mostly): it joins the chunk before */
#define TWO_BYTE_MARK (1u << 29)
#define TWO_BYTE_CLASS_SHIFT 16

static uint32_t fill_two_byte_entry(nd_normalizer *nz, const uint64_t *memo, splitter *sp,
                                    UChar32 c)
{
    uint32_t *f = &sp->w->two_byte[c];
    const uint64_t e = memo_of(nz, memo, c);
    *f = TWO_BYTE_KNOWN | (e & MEMO_BOUNDARY ? 0 : TWO_BYTE_MARK);
    if ((e & MEMO_BOUNDARY) &&
        (e & (MEMO_LONG | 3ull << MEMO_LEN_SHIFT)) == 1ull << MEMO_LEN_SHIFT) {
        const uint8_t cls = nd_word_class(sp->tk, sp->classes, (UChar)e);
        if (is_word_class(cls))
            *f |= TWO_BYTE_LETTER | (uint32_t)cls << TWO_BYTE_CLASS_SHIFT | (uint16_t)e;
    }
    return *f;
}

static inline uint32_t two_byte_entry(nd_normalizer *nz, const uint64_t *memo, splitter *sp,
                                      UChar32 c)
{
    const uint32_t f = sp->w->two_byte[c];
    return f & TWO_BYTE_KNOWN ? f : fill_two_byte_entry(nz, memo, sp, c);
}

static inline bool is_ascii_alnum(int c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Whether ICU's answers for ASCII are the ones take_ascii_blocks builds in: the letters
 * and digits are [0-9A-Za-z] and at most one more character (ICU counts '@' as a
 * letter), each normalizes to itself lower-cased, no character needs ICU's own
 * segmentation, and the only connector, if any, is '_'. Sets w->extra_letter. */
static bool ascii_is_plain(const splitter *sp)
{
    nd_words *w = sp->w;
    w->extra_letter = 0x80; /* no byte of an ASCII run */
    for (int c = 0; c < 0x80; c++) {
        const uint8_t cls = sp->classes[c];
        const int lower = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
        if (cls == WC_COMPLEX || (cls == WC_CONNECTOR && c != '_'))
            return false;
        if (is_word_class(cls) && !is_ascii_alnum(c) && w->extra_letter != 0x80)
            return false;
        if (is_word_class(cls) && !is_ascii_alnum(c))
            w->extra_letter = (uint8_t)c;
        else if (is_word_class(cls) != is_ascii_alnum(c))
            return false;
        if (is_word_class(cls) && (UChar)w->two_byte[c] != lower)
            return false;
    }
    return true;
}

/* Fills the entries of ASCII in the table (the memo lower-cases ASCII letters), so the
 * ASCII loops read them without asking. Only this fills ASCII entries: the two-byte
 * loop asks for code points from U+0080 on. */
static void fill_ascii_entries(nd_normalizer *nz, const uint64_t *memo, splitter *sp)
{
    if (sp->w->two_byte['a'] & TWO_BYTE_KNOWN)
        return;
    for (UChar32 c = 0; c < 0x80; c++)
        two_byte_entry(nz, memo, sp, c);
    sp->w->ascii_blocks = ascii_is_plain(sp);
}

/* The unit of an ASCII byte: its table entry's for letters and digits, else itself. */
static inline UChar ascii_unit(uint32_t entry, uint8_t b)
{
    return entry & TWO_BYTE_LETTER ? (UChar)entry : b;
}

/* Appends the letters and digits that follow bytes[*k - 1] (the current word's last
 * unit) before to, lower-cased, in one tight loop. */
static int take_ascii_word_tail(splitter *sp, const uint8_t *bytes, size_t *k, size_t to)
{
    nd_words *w = sp->w;
    const size_t most = w->word_len + (to - *k);
    if (most > w->word_cap && ND_GROW(w->word, w->word_cap, most) < 0)
        return ND_ENOMEM;
    const uint32_t *ascii = w->two_byte;
    UChar *word = w->word;
    size_t n = w->word_len, j = *k;
    uint32_t last = 0;
    for (; j < to; j++) {
        const uint32_t e = ascii[bytes[j]];
        if (!(e & TWO_BYTE_LETTER))
            break;
        word[n++] = (UChar)e;
        last = e;
    }
    if (j > *k) {
        w->word_len = n;
        sp->last_class = (uint8_t)(last >> TWO_BYTE_CLASS_SHIFT);
        sp->end = (uint32_t)j;
        *k = j;
    }
    return 0;
}

/* ASCII characters that are chunks of their own (each followed by ASCII); a word's
 * letters and digits after its first go in one go. */
static int take_ascii(splitter *sp, const uint8_t *bytes, size_t from, size_t to)
{
    for (size_t k = from; k < to;) {
        const uint32_t e = sp->w->two_byte[bytes[k]];
        int rc = take_unit(sp, ascii_unit(e, bytes[k]), (uint32_t)k, (uint32_t)k + 1);
        k++;
        if (rc == 0 && (e & TWO_BYTE_LETTER))
            rc = take_ascii_word_tail(sp, bytes, &k, to);
        if (rc)
            return rc;
    }
    return 0;
}

/* Bit j of the result: whether p[j] (ASCII, 64 of them) is a letter or a digit
 * ([0-9A-Za-z] or extra); of *underscores: whether it is '_'. */
static inline uint64_t alnum_mask(const uint8_t *p, uint8_t extra, uint64_t *underscores)
{
    uint64_t letters = 0, under = 0;
#ifdef __SSE2__
    for (int q = 0; q < 4; q++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * q));
        const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
        const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                            _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)));
        const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                            _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
        const __m128i other = _mm_cmpeq_epi8(v, _mm_set1_epi8((char)extra));
        const __m128i word = _mm_or_si128(_mm_or_si128(alpha, digit), other);
        letters |= (uint64_t)(uint16_t)_mm_movemask_epi8(word) << 16 * q;
        under |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('_')))
                 << 16 * q;
    }
#else
    for (int j = 0; j < 64; j++) {
        letters |= (uint64_t)(is_ascii_alnum(p[j]) || p[j] == extra) << j;
        under |= (uint64_t)(p[j] == '_') << j;
    }
#endif
    *underscores = under;
    return letters;
}

/* The hash of the ASCII word p[0..n), n <= ND_SHORT_WORD, with 16 bytes readable at p. */
static inline uint64_t short_ascii_hash(const uint8_t *p, size_t n)
{
    uint64_t lo, hi;
#ifdef __SSE2__
    static const uint8_t keep[32] = {255, 255, 255, 255, 255, 255, 255, 255,
                                     255, 255, 255, 255, 255, 255, 255, 255};
    const __m128i v = _mm_loadu_si128((const __m128i *)p);
    const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                        _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
    __m128i lower = _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8('a' - 'A')));
    lower = _mm_and_si128(lower, _mm_loadu_si128((const __m128i *)(keep + 16 - n)));
    lo = (uint64_t)_mm_cvtsi128_si64(lower);
    hi = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(lower, lower));
#else
    uint64_t packed[2] = {0, 0};
    for (size_t j = 0; j < n; j++)
        packed[j / 8] |= (uint64_t)(p[j] >= 'A' && p[j] <= 'Z' ? p[j] + 32 : p[j]) << 8 * (j % 8);
    lo = packed[0];
    hi = packed[1];
#endif
    return nd_packed_word_hash(lo, hi, (uint32_t)n);
}

/* Records the ASCII word bytes[s, e) (room for it is made). */
static int add_ascii_word(splitter *sp, const uint8_t *bytes, size_t len, size_t s, size_t e)
{
    nd_words *w = sp->w;
    const size_t n = e - s;
    uint64_t hash;
    if (n <= ND_SHORT_WORD && len - s >= 16) {
        hash = short_ascii_hash(bytes + s, n);
    } else if (n <= ND_SHORT_WORD) { /* near the end of the text */
        uint8_t copy[16] = {0};
        memcpy(copy, bytes + s, n);
        hash = short_ascii_hash(copy, n);
    } else {
        if (n > w->word_cap && ND_GROW(w->word, w->word_cap, n) < 0)
            return ND_ENOMEM;
        for (size_t j = 0; j < n; j++)
            w->word[j] = ascii_unit(w->two_byte[bytes[s + j]], bytes[s + j]);
        hash = nd_token_hash(w->word, (int32_t)n);
    }
    w->toks[w->n++] = (nd_token){.start = (uint32_t)s, .end = (uint32_t)e, .hash = hash};
    return 0;
}

/* Whether the middle character at bytes[e] (class cls, with bytes on both sides) joins
 * the letters or digits around it. */
static inline bool mid_joins(const uint8_t *classes, const uint8_t *bytes, size_t e, uint8_t cls)
{
    return nd_word_joins(cls, classes[bytes[e - 1]], classes[bytes[e + 1]]);
}

/* The words of the ASCII bytes [from, to), for a splitter that holds no word, 64 bytes
 * at a time: a mask of the letters and digits gives where every word starts and ends
 * without a branch per byte, and a short word is hashed from its bytes. Where a word
 * ends on a middle character, the bytes around it decide whether it goes on. *done gets
 * where the words taken end: a word that reaches `to`, where the bytes after the run
 * decide, is left for take_ascii (the splitter still holds no word). A block holding a
 * '_' is left to take_ascii too: *slow_to is then its end (else 0). */
static int take_ascii_blocks(splitter *sp, const uint8_t *bytes, size_t len, size_t from, size_t to,
                             size_t *done, size_t *slow_to)
{
    nd_words *w = sp->w;
    const uint8_t *classes = sp->classes;
    uint64_t carry = 0, skip_first_start = 0;
    size_t word_start = from;
    bool in_word = false;
    for (size_t b = from; b < to; b += 64) {
        uint8_t tail[64] = {0};
        const uint8_t *p = to - b >= 64 ? bytes + b : memcpy(tail, bytes + b, to - b);
        uint64_t underscores;
        const uint64_t m = alnum_mask(p, w->extra_letter, &underscores);
        if (underscores) {
            *done = in_word ? word_start : b;
            *slow_to = to - b > 64 ? b + 64 : to;
            return 0;
        }
        if (w->n + 33 > w->cap && ND_GROW(w->toks, w->cap, w->n + 33) < 0)
            return ND_ENOMEM;
        const uint64_t before = m << 1 | carry;
        uint64_t starts = m & ~before & ~skip_first_start, ends = ~m & before;
        carry = m >> 63;
        skip_first_start = 0;
        for (;;) {
            if (!in_word) {
                if (!starts)
                    break;
                word_start = b + (size_t)__builtin_ctzll(starts);
                starts &= starts - 1;
                in_word = true;
            }
            if (!ends)
                break;
            const size_t e = b + (size_t)__builtin_ctzll(ends);
            ends &= ends - 1;
            const uint8_t cls = e < to ? classes[bytes[e]] : WC_UNKNOWN;
            if (e >= to || (nd_is_mid_class(cls) && e + 1 >= to)) {
                *done = word_start;
                return 0;
            }
            if (nd_is_mid_class(cls) && mid_joins(classes, bytes, e, cls)) {
                if (e + 1 - b < 64)
                    starts &= ~(1ull << (e + 1 - b));
                else
                    skip_first_start = 1;
                continue;
            }
            const int rc = add_ascii_word(sp, bytes, len, word_start, e);
            if (rc < 0)
                return rc;
            in_word = false;
        }
    }
    *done = in_word ? word_start : to;
    *slow_to = 0;
    return 0;
}

/* A run of ASCII characters that are chunks of their own. */
static int take_ascii_run(splitter *sp, const uint8_t *bytes, size_t len, size_t from, size_t to)
{
    size_t k = from;
    for (;;) {
        int rc = 0;
        /* a word going on (from before the run, or from a block with a '_'): byte by
         * byte until it ends */
        for (; k < to && (sp->in_word || sp->has_mid) && rc == 0; k++)
            rc = take_ascii(sp, bytes, k, k + 1);
        if (rc != 0 || k == to || !sp->w->ascii_blocks)
            return rc ? rc : take_ascii(sp, bytes, k, to);
        size_t slow_to = 0;
        if ((rc = take_ascii_blocks(sp, bytes, len, k, to, &k, &slow_to)) != 0 || slow_to == 0)
            return rc ? rc : take_ascii(sp, bytes, k, to);
        if ((rc = take_ascii(sp, bytes, k, slow_to)) != 0)
            return rc;
        k = slow_to;
    }
}

/* The code point of the two-byte sequence at bytes[i], or -1. */
static inline int32_t two_byte_at(const uint8_t *bytes, size_t len, size_t i)
{
    if (i + 1 >= len)
        return -1;
    const uint32_t b0 = bytes[i], b1 = bytes[i + 1];
    if ((b0 & 0xE0) != 0xC0 || (b1 & 0xC0) != 0x80 || b0 < 0xC2)
        return -1;
    return (int32_t)((b0 & 0x1F) << 6 | (b1 & 0x3F));
}

/* The entry of the two-byte letter at bytes[i] (a letter or digit standing alone, whose
 * entry is known), or 0. */
static inline uint32_t two_byte_letter_at(const uint32_t *table, const uint8_t *bytes, size_t len,
                                          size_t i)
{
    const int32_t c = two_byte_at(bytes, len, i);
    const uint32_t e = c < 0 ? 0 : table[c];
    return e & TWO_BYTE_LETTER ? e : 0;
}

/* The marks a letter's chunk holds on the fast path (a fatha, a shadda, a small high
 * letter, ...), each a code point below U+0800 packed in MARK_BITS bits of a key after
 * the letter's; a chunk with more goes through the general loop. */
#define MARKS_MAX 4
#define MARK_BITS 11

/* The code points a key packs, a letter and its marks, into units; returns how many. */
static int32_t unpack_chunk(uint64_t key, UChar *units)
{
    int32_t n = 0;
    for (uint64_t k = key; k; k >>= MARK_BITS) /* (no code point of a key is 0) */
        units[n++] = (UChar)(k & ((1u << MARK_BITS) - 1));
    return n;
}

/* The entry of the chunk whose code points key packs, a letter and its marks: a letter
 * or digit, as two_byte's entries are, when the chunk normalizes to one unit of that
 * class (the chunk cache of the normalizer says, as for any chunk). */
static uint32_t marked_entry(nd_normalizer *nz, splitter *sp, uint64_t key)
{
    nd_words *w = sp->w;
    const size_t slot = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (ND_MARKED_CHUNKS - 1);
    if (w->marked[slot].key == key)
        return w->marked[slot].entry;
    UChar units[MARKS_MAX + 1];
    const int32_t n = unpack_chunk(key, units);
    const UChar *out;
    const int32_t m = nd_normalize_chunk(nz, units, n, &out);
    if (m < 0) /* (the general loop meets the error again) */
        return 0;
    uint32_t entry = TWO_BYTE_KNOWN;
    const uint8_t cls = m == 1 ? nd_word_class(sp->tk, sp->classes, out[0]) : WC_UNKNOWN;
    if (is_word_class(cls))
        entry |= TWO_BYTE_LETTER | (uint32_t)cls << TWO_BYTE_CLASS_SHIFT | out[0];
    w->marked[slot].key = key;
    w->marked[slot].entry = entry;
    return entry;
}

/* Takes the marks at bytes[*i] (two-byte code points without a boundary before them)
 * after the letter, into *marks (the key's bits above the letter's), and moves *i past
 * them. Returns the entry of the letter with its marks, 0 when there are none, more
 * than MARKS_MAX, or when the chunk normalizes to no lone letter or digit; *i and *marks
 * have moved then too (past MARKS_MAX of them), and the chunk so far is the general
 * loop's to finish. */
static uint32_t take_marks(nd_normalizer *nz, const uint64_t *memo, splitter *sp,
                           const uint8_t *bytes, size_t len, size_t *i, int32_t letter,
                           uint64_t *marks)
{
    int taken = 0;
    for (int32_t c; (c = two_byte_at(bytes, len, *i)) >= 0 &&
                    (two_byte_entry(nz, memo, sp, c) & TWO_BYTE_MARK);
         *i += 2) {
        if (taken == MARKS_MAX)
            return 0;
        *marks |= (uint64_t)c << (MARK_BITS * ++taken);
    }
    return taken ? marked_entry(nz, sp, *marks | (uint64_t)letter) : 0;
}

/* Sets ch to the chunk [start, end) of a letter and its marks. */
static void hold_chunk(chunk *ch, const uint64_t *memo, int32_t letter, size_t start,
                       uint64_t marks, size_t end)
{
    ch->n = unpack_chunk(marks | (uint64_t)letter, ch->units);
    ch->first_entry = memo[ch->units[0]];
    ch->start = (uint32_t)start;
    ch->end = (uint32_t)end;
}

/* The heart of Arabic, Cyrillic or Greek text: ch holds one letter standing alone, and
 * while the next code point is another (two bytes, a boundary before it, so ch is
 * complete), ch's letter joins the word and the next one becomes ch. Marks after the
 * letter held join it first (take_marks), when the chunk they make normalizes to one
 * letter. An ASCII separator (a space) between two such letters ends the word there and
 * starts the next. The letters of one word go through a loop of their own, which has
 * nothing else to test.
 * *at moves to where the general loop goes on. Returns 0 or ND_ENOMEM. */
static int take_two_byte_letters(nd_normalizer *nz, const uint64_t *memo, splitter *sp, chunk *ch,
                                 const uint8_t *bytes, size_t len, size_t *at)
{
    nd_words *w = sp->w;
    size_t i = *at;
    uint32_t held = two_byte_entry(nz, memo, sp, ch->units[0]);
    if (!(held & TWO_BYTE_LETTER) || sp->has_mid)
        return 0;
    /* room for a long word's letters (the rest of a long one goes through the general
     * loop, which grows the buffer) */
    const size_t ahead = (len - i) / 2 + 2;
    if (ND_GROW(w->word, w->word_cap, w->word_len + (ahead < 4096 ? ahead : 4096)) < 0)
        return ND_ENOMEM;
    /* locals, not w's fields: the stores to the word would make the compiler reload them */
    UChar *const word = w->word;
    const size_t cap = w->word_cap;
    const uint32_t *const table = w->two_byte;
    size_t n = w->word_len;
    const size_t from = i;
    uint32_t appended = 0, held_start = ch->start, next;
    uint64_t held_marks = 0; /* the marks of the letter held, packed as take_marks does */
    while (n < cap) {
        size_t next_at = i;
        bool space = false;
        if ((next = two_byte_letter_at(table, bytes, len, i)) == 0 && i < len && bytes[i] < 0x80 &&
            sp->classes[bytes[i]] == WC_SEPARATOR) {
            next = two_byte_letter_at(table, bytes, len, i + 1);
            next_at = i + 1;
            space = true;
        }
        if (!next && !space && held_marks == 0) { /* the held letter's marks, if any */
            const int32_t letter = two_byte_at(bytes, len, held_start);
            const uint32_t marked = take_marks(nz, memo, sp, bytes, len, &i, letter, &held_marks);
            if (marked & TWO_BYTE_LETTER) {
                held = marked;
                continue;
            }
        }
        if (!next)
            break;
        if (!sp->in_word) {
            start_word(sp, held_start);
            n = 0;
        }
        word[n++] = (UChar)held;
        appended = held;
        if (space) { /* the word ends with the letter held until now */
            w->word_len = n;
            sp->end = (uint32_t)i;
            ch->n = 0; /* the next word starts afresh, maybe on the short-word path */
            *at = next_at;
            return finish_word(sp);
        }
        held = next;
        held_marks = 0;
        held_start = (uint32_t)next_at;
        i = next_at + 2;
        /* (the word may have just filled the buffer: a held letter with marks comes back
         * to the top of the loop once a letter, and the loop below appends before it asks) */
        if (n == cap || (next = two_byte_letter_at(table, bytes, len, i)) == 0)
            continue;
        if (!sp->in_word) {
            start_word(sp, held_start);
            n = 0;
        }
        do { /* the letters of one word */
            word[n++] = (UChar)held;
            appended = held;
            held = next;
            held_start = (uint32_t)i;
            i += 2;
        } while (n < cap && (next = two_byte_letter_at(table, bytes, len, i)) != 0);
    }
    if (appended) {
        w->word_len = n;
        sp->last_class = (uint8_t)(appended >> TWO_BYTE_CLASS_SHIFT);
        sp->end = held_start; /* where the chunk now held in ch begins */
    }
    if (i > from) /* ch->n stays 1 without marks */
        hold_chunk(ch, memo, two_byte_at(bytes, len, held_start), held_start, held_marks, i);
    *at = i;
    return 0;
}

#ifdef __SSE2__
/* Words of at most 8 two-byte letters, each followed by an ASCII separator, for a
 * splitter that holds nothing: the bytes of a word are checked, decoded and looked up 16
 * at a time, without a branch per letter, and its units packed and hashed in registers.
 * Stops at the first word that is not that (a mark, punctuation, a longer word, ...),
 * which the general loop takes; *at moves past the words taken. */
static int take_short_two_byte_words(splitter *sp, const uint8_t *bytes, size_t len, size_t *at)
{
    nd_words *w = sp->w;
    const uint32_t *table = w->two_byte;
    const __m128i sign = _mm_set1_epi8((char)0x80);
    size_t i = *at;
    while (len - i > 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(bytes + i));
        const unsigned ascii = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(v, _mm_set1_epi8(-1)));
        const unsigned size = (unsigned)__builtin_ctz(ascii | 0x10000); /* bytes of the word */
        const uint8_t after = bytes[i + size];
        if (size == 0 || size % 2 || after >= 0x80 || sp->classes[after] != WC_SEPARATOR)
            break;
        /* the separator ends the word only when it is a chunk of its own: a code point
         * without a boundary before it (a conjoining jamo, a mark) joins the separator's
         * chunk, which may then normalize to nothing (U+0000 with a mark the full mode
         * removes) and let the word go on; the general loop takes that */
        if (i + size + 1 < len && bytes[i + size + 1] >= 0x80 &&
            !two_byte_letter_at(table, bytes, len, i + size + 1))
            break;
        /* leads C2..DF at even places, continuation bytes at odd ones (signed compares
         * on b ^ 0x80 are unsigned ones on b) */
        const __m128i u = _mm_xor_si128(v, sign);
        const unsigned leads = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpgt_epi8(u, _mm_set1_epi8((char)(0xC1 ^ 0x80))),
                          _mm_cmplt_epi8(u, _mm_set1_epi8((char)(0xE0 ^ 0x80)))));
        const unsigned conts = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xC0)), sign));
        const unsigned in_word = (1u << size) - 1;
        if ((leads & in_word) != (0x5555 & in_word) || (conts & in_word) != (0xAAAA & in_word))
            break;
        uint16_t cps[8]; /* code points: 5 bits of the lead, 6 of the continuation */
        _mm_storeu_si128((__m128i *)cps,
                         _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0x1F)), 6),
                                      _mm_and_si128(_mm_srli_epi16(v, 8), _mm_set1_epi16(0x3F))));
        const uint32_t n = size / 2;
        uint32_t letters = TWO_BYTE_LETTER;
        uint64_t packed[2] = {0, 0};
        for (uint32_t k = 0; k < 8; k++) { /* past the word: looked up, then masked */
            const uint32_t keep = k < n ? UINT32_MAX : 0, e = table[cps[k]];
            letters &= e | ~keep;
            packed[k / 4] |= (uint64_t)(uint16_t)(e & keep) << 16 * (k % 4);
        }
        /* a letter that normalizes to ASCII (U+017F is 's') would need the byte packing */
        if (!letters || !((packed[0] | packed[1]) & 0xFF80FF80FF80FF80ull))
            break;
        if (w->n == w->cap && ND_GROW(w->toks, w->cap, w->n + 1) < 0)
            return ND_ENOMEM;
        w->toks[w->n++] = (nd_token){
            .start = (uint32_t)i,
            .end = (uint32_t)(i + size),
            .hash = nd_packed_word_hash(packed[0], packed[1], n),
        };
        i += size + 1; /* the word and its separator */
    }
    *at = i;
    return 0;
}
#endif

/* Bytes of ASCII taken in one go. Bounded because a give-up inside the run (an
 * underscore, say) ends the call, and the caller starts again after it: scanning to the
 * end of a long run each time would cost the square of the run. */
#define ASCII_RUN_MAX 4096

/* Where the run of ASCII chunks starting at i ends: before the last ASCII byte
 * ahead of a non-ASCII one (a combining mark may join it), at len, or after
 * ASCII_RUN_MAX bytes (where the next byte is ASCII too, so no chunk is split). */
static size_t ascii_run_end(const uint8_t *bytes, size_t len, size_t i)
{
    const size_t limit = len - i > ASCII_RUN_MAX ? i + ASCII_RUN_MAX : len;
    size_t k = i;
#ifdef __SSE2__
    while (limit - k >= 16 && !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(bytes + k))))
        k += 16;
#endif
    while (k < limit && bytes[k] < 0x80)
        k++;
    if (k == len)
        return len;
    return bytes[k] < 0x80 ? k : k - 1;
}

/* Gives up at byte i: the words from the one being read (or the chunk being gathered,
 * or i) on must be split again. */
static int give_up(const splitter *sp, const chunk *ch, size_t i)
{
    size_t from = i;
    if (ch->n > 0 && ch->start < from)
        from = ch->start;
    if ((sp->in_word || sp->has_mid) && sp->start < from)
        from = sp->start;
    sp->w->redo_from = from;
    return 0;
}

int nd_fast_words(nd_normalizer *nz, nd_tokenizer *tk, const uint8_t *bytes, size_t len,
                  nd_words *w)
{
    const uint64_t *memo = nd_normalizer_memo(nz);
    uint8_t *classes = nd_tokenizer_classes(tk);
    w->redo_from = 0;
    w->n = 0;
    w->n_invalid = 0;
    w->first_invalid = -1;
    if (!memo || !classes || len > UINT32_MAX - 1)
        return 0;
    splitter sp = {.w = w, .tk = tk, .classes = classes};
    chunk ch = {.n = 0};
    if (w->word_cap < ND_PACKED_UNITS && ND_GROW(w->word, w->word_cap, ND_PACKED_UNITS) < 0)
        return ND_ENOMEM;
    fill_ascii_entries(nz, memo, &sp);
    for (size_t i = 0; i < len;) {
        int used, rc = 0;
        if (bytes[i] < 0x80 && (i + 1 == len || bytes[i + 1] < 0x80)) {
            if ((rc = flush_chunk(nz, &sp, &ch)) != 0)
                return rc == GIVE_UP ? give_up(&sp, &ch, i) : rc;
            const size_t end = ascii_run_end(bytes, len, i);
            if ((rc = take_ascii_run(&sp, bytes, len, i, end)) != 0)
                return rc == GIVE_UP ? give_up(&sp, &ch, i) : rc;
            i = end;
            continue;
        }
#ifdef __SSE2__
        if (ch.n == 0 && !sp.in_word && !sp.has_mid && bytes[i] >= 0xC2 && bytes[i] < 0xE0) {
            if ((rc = take_short_two_byte_words(&sp, bytes, len, &i)) < 0)
                return rc;
            if (i == len || bytes[i] < 0x80)
                continue;
        }
#endif
        const UChar32 c = decode(bytes, len, i, &used, w);
        if (c >= 0x10000)
            return give_up(&sp, &ch, i);
        const uint64_t e = memo_of(nz, memo, c);
        if ((e & MEMO_BOUNDARY) || ch.n == 0) {
            if (ch.n > 0 && !extend_word(&sp, &ch) && (rc = take_chunk(nz, &sp, &ch)) != 0)
                return rc == GIVE_UP ? give_up(&sp, &ch, i) : rc;
            ch.n = 0;
            ch.first_entry = e;
            ch.start = (uint32_t)i;
        } else if (ch.n == CHUNK_UNITS) {
            return give_up(&sp, &ch, i);
        }
        ch.units[ch.n++] = (UChar)c;
        i += (size_t)used;
        ch.end = (uint32_t)i;
        if (ch.n == 1 && c < 0x800 && c >= 0x80)
            if ((rc = take_two_byte_letters(nz, memo, &sp, &ch, bytes, len, &i)) < 0)
                return rc;
    }
    int rc = flush_chunk(nz, &sp, &ch);
    if (rc == 0 && sp.in_word)
        rc = finish_word(&sp);
    if (rc < 0)
        return rc;
    return rc == GIVE_UP ? give_up(&sp, &ch, len) : 1;
}

void nd_words_dispose(nd_words *w)
{
    free(w->toks);
    free(w->word);
    *w = (nd_words){0};
}
