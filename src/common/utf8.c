/*
 * utf8.c: counting the code points of bytes that may hold invalid UTF-8 (see utf8.h).
 *
 * Text of one- and two-byte sequences (ASCII, Arabic, Cyrillic, Greek, Hebrew) is
 * counted 16 bytes at a time: there, a byte is a code point of its own unless it is a
 * continuation byte right after a lead of two bytes (C2..DF), which always makes a
 * valid sequence with it; an invalid byte, a stray continuation byte among them, counts
 * one either way. A block with a lead of three or four bytes (or an invalid byte of
 * E0..FF) is decoded one sequence at a time.
 */
#include "common/utf8.h"

#include <stdbool.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static inline bool is_two_byte_lead(uint8_t b)
{
    return b >= 0xC2 && b <= 0xDF;
}

/* Decodes the sequences that start in s[*i..upto), counting them, and moves *i to
 * where the last one ends. */
static uint64_t decode_upto(const uint8_t *s, size_t len, size_t *i, size_t upto)
{
    uint64_t n = 0;
    for (; *i < upto; n++) {
        int used, bad;
        nd_utf8_decode(s + *i, len - *i, &used, &bad);
        *i += (size_t)used;
    }
    return n;
}

uint64_t nd_utf8_count_upto(const uint8_t *s, size_t len, size_t upto, size_t *end)
{
    uint64_t n = 0;
    size_t i = 0;
#ifdef __SSE2__
    const __m128i sign = _mm_set1_epi8((char)0x80);
    while (i + 16 <= upto) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        const __m128i u = _mm_xor_si128(v, sign); /* signed compares on u: unsigned on v */
        if (_mm_movemask_epi8(_mm_cmpgt_epi8(u, _mm_set1_epi8((char)(0xDF ^ 0x80))))) {
            n += decode_upto(s, len, &i, i + 16);
            continue;
        }
        const __m128i before =
            i > 0 ? _mm_loadu_si128((const __m128i *)(s + i - 1)) : _mm_slli_si128(v, 1);
        const __m128i b = _mm_xor_si128(before, sign);
        const __m128i lead = _mm_and_si128(_mm_cmpgt_epi8(b, _mm_set1_epi8((char)(0xC1 ^ 0x80))),
                                           _mm_cmplt_epi8(b, _mm_set1_epi8((char)(0xE0 ^ 0x80))));
        const __m128i continuation =
            _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xC0)), sign);
        n += 16 - (uint64_t)__builtin_popcount(
                      (unsigned)_mm_movemask_epi8(_mm_and_si128(lead, continuation)));
        i += 16;
        if (is_two_byte_lead(s[i - 1]) && i < len && (s[i] & 0xC0) == 0x80)
            i++; /* the block's last lead owns the byte after it: i stays a sequence start */
    }
#endif
    n += decode_upto(s, len, &i, upto);
    *end = i;
    return n;
}

uint64_t nd_utf8_count(const uint8_t *s, size_t len)
{
    size_t end;
    return nd_utf8_count_upto(s, len, len, &end);
}
