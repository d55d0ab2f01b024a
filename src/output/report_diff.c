/*
 * report_diff.c: what changed between the two sides of a passage, word by word.
 *
 * Words are runs between white space; they compare by their letters and digits, their
 * punctuation left out ("«said»" is "said"), so that changed quotation marks do not mark a
 * word. The words both sides keep are a longest common subsequence (dynamic programming
 * over the two lists, at most MAX_CELLS cells: a passage of a few thousand words each);
 * the others are marked, without a change of weight, which would break Arabic joining.
 */
#include "output/report_parts.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CELLS (4u << 20)

typedef struct word {
    size_t start, end;         /* bytes of the side */
    size_t key_start, key_end; /* the same without the punctuation around it */
} word;

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* ASCII punctuation, and the first byte of the punctuation of Arabic and typography that
 * quotes and dashes are made of («», “”, ‘’, –—, …, ،؛؟). */
static size_t punctuation_at(const unsigned char *s, size_t at, size_t end)
{
    const unsigned char c = s[at];
    if (c < 0x80)
        return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
                       (c >= '{' && c <= '~')
                   ? 1
                   : 0;
    static const char *const marks[] = {"«", "»", "“", "”", "‘", "’", "–", "—", "…", "،", "؛", "؟"};
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        const size_t n = strlen(marks[i]);
        if (end - at >= n && !memcmp(s + at, marks[i], n))
            return n;
    }
    return 0;
}

static size_t split_words(const unsigned char *s, size_t len, word *words, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < max;) {
        while (i < len && is_space(s[i]))
            i++;
        if (i == len)
            break;
        word *w = &words[n++];
        w->start = i;
        while (i < len && !is_space(s[i]))
            i++;
        w->end = i;
        w->key_start = w->start;
        w->key_end = w->end;
        for (size_t p;
             w->key_start < w->key_end && (p = punctuation_at(s, w->key_start, w->key_end)) > 0;)
            w->key_start += p;
        /* trailing punctuation: one byte of ASCII, or a mark's last bytes */
        while (w->key_end > w->key_start) {
            size_t back = 1;
            while (back < w->key_end - w->key_start && (s[w->key_end - back] & 0xC0) == 0x80)
                back++;
            if (!punctuation_at(s, w->key_end - back, w->key_end))
                break;
            w->key_end -= back;
        }
    }
    return n;
}

static bool same_word(const unsigned char *a, const word *x, const unsigned char *b, const word *y)
{
    const size_t n = x->key_end - x->key_start;
    return n == y->key_end - y->key_start && !memcmp(a + x->key_start, b + y->key_start, n);
}

/* kept[i]: word i of a is in a longest common subsequence with b. */
static int common_words(const unsigned char *a, const word *wa, size_t na, const unsigned char *b,
                        const word *wb, size_t nb, bool *kept)
{
    const size_t cols = nb + 1;
    uint16_t *len = calloc((na + 1) * cols, sizeof(*len));
    if (!len)
        return ND_ENOMEM;
    for (size_t i = na; i-- > 0;)
        for (size_t j = nb; j-- > 0;)
            len[i * cols + j] =
                same_word(a, &wa[i], b, &wb[j])
                    ? (uint16_t)(len[(i + 1) * cols + j + 1] + 1)
                    : (len[(i + 1) * cols + j] > len[i * cols + j + 1] ? len[(i + 1) * cols + j]
                                                                       : len[i * cols + j + 1]);
    for (size_t i = 0, j = 0; i < na;) {
        if (j < nb && same_word(a, &wa[i], b, &wb[j])) {
            kept[i++] = true;
            j++;
        } else if (j < nb && len[(i + 1) * cols + j] < len[i * cols + j + 1]) {
            j++;
        } else {
            kept[i++] = false;
        }
    }
    free(len);
    return 0;
}

int nd_put_word_diff(FILE *out, const unsigned char *side, size_t len, const unsigned char *other,
                     size_t other_len, bool side_b)
{
    const size_t max = 4096;
    word *ws = malloc(max * sizeof(*ws)), *wo = malloc(max * sizeof(*wo));
    bool *kept = malloc(max * sizeof(*kept));
    int rc = ws && wo && kept ? 0 : ND_ENOMEM;
    const size_t n = rc == 0 ? split_words(side, len, ws, max) : 0;
    const size_t m = rc == 0 ? split_words(other, other_len, wo, max) : 0;
    const bool marked = rc == 0 && n < max && m < max && (uint64_t)(n + 1) * (m + 1) <= MAX_CELLS;
    if (marked)
        rc = common_words(side, ws, n, other, wo, m, kept);
    const char *open = side_b ? "<ins>" : "<del>", *close = side_b ? "</ins>" : "</del>";
    size_t at = 0;
    for (size_t i = 0; rc == 0 && marked && i < n; i++) {
        nd_put_escaped(out, side + at, ws[i].start - at);
        if (!kept[i])
            fputs(open, out);
        nd_put_escaped(out, side + ws[i].start, ws[i].end - ws[i].start);
        if (!kept[i])
            fputs(close, out);
        at = ws[i].end;
    }
    if (rc == 0)
        nd_put_escaped(out, side + at, len - at);
    free(ws);
    free(wo);
    free(kept);
    return rc;
}
