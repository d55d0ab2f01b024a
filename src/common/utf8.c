/*
 * utf8.c: counting the code points of bytes that may hold invalid UTF-8 (see utf8.h).
 */
#include "common/utf8.h"

uint64_t nd_utf8_count(const uint8_t *s, size_t len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < len; n++) {
        int used, bad;
        nd_utf8_decode(s + i, len - i, &used, &bad);
        i += (size_t)used;
    }
    return n;
}
