/*
 * utf8.h: a strict UTF-8 decoder that never loses an offset.
 *
 * Takes bytes, gives one code point at a time with the number of bytes it
 * used. Overlong forms, surrogates, code points above U+10FFFF, truncated
 * sequences and stray continuation bytes each decode to U+FFFD covering
 * exactly one byte, so the byte offset of every code point stays exact and
 * the next valid sequence is never swallowed.
 */
#ifndef ND_UTF8_H
#define ND_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define ND_REPLACEMENT_CHAR 0xFFFDu

/* Decodes the code point at s[0..avail). *used gets its length in bytes (>= 1);
 * *bad is set to 1 when the bytes were invalid and U+FFFD is returned. */
static inline uint32_t nd_utf8_decode(const uint8_t *s, size_t avail, int *used, int *bad)
{
    const uint8_t b0 = s[0];
    *bad = 0;
    if (b0 < 0x80) {
        *used = 1;
        return b0;
    }
    int n;
    uint32_t cp, min;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2, cp = b0 & 0x1Fu, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3, cp = b0 & 0x0Fu, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4, cp = b0 & 0x07u, min = 0x10000;
    } else {
        goto invalid;
    }
    if ((size_t)n > avail)
        goto invalid;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto invalid;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        goto invalid;
    *used = n;
    return cp;
invalid:
    *used = 1;
    *bad = 1;
    return ND_REPLACEMENT_CHAR;
}

/* Number of code points in s[0..len), counting each invalid byte as one (U+FFFD). */
uint64_t nd_utf8_count(const uint8_t *s, size_t len);

/* The same for the sequences that start in s[0..upto) (upto <= len); *end gets where the
 * last of them ends (upto, or up to three bytes past it). */
uint64_t nd_utf8_count_upto(const uint8_t *s, size_t len, size_t upto, size_t *end);

/* The same for text known to be valid UTF-8: the bytes that are not continuation
 * bytes, in a loop the compiler vectorizes. */
static inline uint64_t nd_utf8_count_valid(const uint8_t *s, size_t len)
{
    uint64_t continuation = 0;
    for (size_t i = 0; i < len; i++)
        continuation += (s[i] & 0xC0) == 0x80;
    return len - continuation;
}

#endif
