/*
 * json_scan.c: the fast JSONL reader (see jsonl.c for why it exists).
 *
 * One pass over the line with a recursive descent that follows RFC 8259
 * exactly: whitespace is space, tab, CR, LF; strings hold valid UTF-8 and no
 * raw control characters; escapes are the eight of the RFC and \uXXXX, with
 * surrogates only in pairs; numbers follow the grammar. Values on the id and
 * text paths are decoded, the others only checked. It answers DEFER, never an
 * error of its own, for anything it does not take on: jansson then reads the
 * line and says what is wrong with it.
 */
#include "input/jsonl.h"

#include "input/corpus.h"
#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>
#ifdef __AVX2__
#include <immintrin.h>
#endif
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_DEPTH 64 /* deeper lines go to jansson */
/* jansson rejects integers beyond 64 bits and reals beyond a double: an id this long, or
 * with an exponent of three digits, goes to jansson to decide (a number that is not the
 * id is only checked against the grammar, which sets no limit) */
#define MAX_NUMBER 16

typedef struct cursor {
    const unsigned char *p, *end;
    int depth;
} cursor;

typedef struct out_buf { /* a decoded string */
    unsigned char **data;
    size_t *cap, len;
} out_buf;

/* What is being looked for at the current object level: the rest of a dotted
 * path, or NULL. */
typedef struct wanted {
    const char *text, *id;
} wanted;

typedef struct found {
    out_buf text;
    bool has_text;
    char *id;
} found;

static int value(cursor *c, const wanted *w, found *f);

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int put(out_buf *o, const void *bytes, size_t n)
{
    if (!o)
        return 0;
    if (nd_grow((void **)o->data, o->cap, o->len + n + 1, 1) < 0)
        return ND_ENOMEM;
    memcpy(*o->data + o->len, bytes, n);
    o->len += n;
    return 0;
}

static int hex4(const unsigned char *p, const unsigned char *end, uint32_t *v)
{
    if (end - p < 4)
        return ND_JSONL_DEFER;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        const unsigned char h = p[i];
        const int d = h >= '0' && h <= '9'   ? h - '0'
                      : h >= 'a' && h <= 'f' ? h - 'a' + 10
                      : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                             : -1;
        if (d < 0)
            return ND_JSONL_DEFER;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

static int put_code_point(out_buf *o, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | cp >> 6), b[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | cp >> 12), b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | cp >> 18), b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)), b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return put(o, b, n);
}

/* An escape after the backslash at c->p[-1]. */
static int escape(cursor *c, out_buf *o)
{
    if (c->p == c->end)
        return ND_JSONL_DEFER;
    const unsigned char e = *c->p++;
    static const char simple_from[] = "\"\\/bfnrt", simple_to[] = "\"\\/\b\f\n\r\t";
    const char *s = e ? strchr(simple_from, e) : NULL;
    if (s)
        return put(o, &simple_to[s - simple_from], 1);
    uint32_t cp, low;
    if (e != 'u' || hex4(c->p, c->end, &cp))
        return ND_JSONL_DEFER;
    c->p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return ND_JSONL_DEFER; /* a lone low surrogate */
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
            hex4(c->p + 2, c->end, &low) || low < 0xDC00 || low > 0xDFFF)
            return ND_JSONL_DEFER;
        c->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    return put_code_point(o, cp);
}

#ifdef __SSE2__
/* plain_prefix's answer when the block before ended with a lead byte and this one does
 * not start with its continuation: the run stops at that lead. */
#define PLAIN_CUT_LEAD 17

/* How many of the 16 bytes at p are plain from the first on (16: all): printable ASCII
 * but '"' and '\\', or two-byte UTF-8 sequences (lead C2..DF, then a continuation byte),
 * none cut short; a lead at the block's end counts when the next block goes on with its
 * continuation. *lead_carry says whether the block before ended with a lead byte, and
 * gets the same of this block when it is all plain. Most of the text of a news article
 * in Arabic, Cyrillic, Greek or a Latin script is made of such blocks; where one is not,
 * the answer says where the run stops (a quote, a backslash, a three-byte character
 * such as a curly quote mark). */
static unsigned plain_prefix(const unsigned char *p, unsigned *lead_carry)
{
    const __m128i b = _mm_loadu_si128((const __m128i *)p);
    const __m128i sign = _mm_set1_epi8((char)0x80);
    /* signed compares on b ^ 0x80 give unsigned ones on b */
    const __m128i u = _mm_xor_si128(b, sign);
    const __m128i ascii = _mm_and_si128(_mm_cmpgt_epi8(u, _mm_set1_epi8((char)(0x1F ^ 0x80))),
                                        _mm_cmplt_epi8(u, _mm_set1_epi8(0x00)));
    const __m128i quote =
        _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('"')), _mm_cmpeq_epi8(b, _mm_set1_epi8('\\')));
    const __m128i cont = _mm_cmpeq_epi8(_mm_and_si128(b, _mm_set1_epi8((char)0xC0)), sign);
    const __m128i lead = _mm_and_si128(_mm_cmpgt_epi8(u, _mm_set1_epi8((char)(0xC1 ^ 0x80))),
                                       _mm_cmplt_epi8(u, _mm_set1_epi8((char)(0xE0 ^ 0x80))));
    const unsigned plain = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(quote, ascii));
    const unsigned conts = (unsigned)_mm_movemask_epi8(cont);
    const unsigned leads = (unsigned)_mm_movemask_epi8(lead);
    const unsigned after_lead = ((leads << 1) | *lead_carry) & 0xFFFF;
    const unsigned cut = after_lead & ~conts; /* bit j: the lead at j - 1 lacks its continuation */
    if (cut & 1)
        return PLAIN_CUT_LEAD;
    const unsigned bad = (~(plain | conts | leads) | (conts & ~after_lead) | cut >> 1) & 0xFFFF;
    if (bad)
        return (unsigned)__builtin_ctz(bad);
    *lead_carry = leads >> 15;
    return 16;
}
#endif

#ifdef __AVX2__
/* plain_block over 32 bytes, where the machine has AVX2 (a build for this machine). */
static bool plain_block32(const unsigned char *p, unsigned *lead_carry)
{
    const __m256i b = _mm256_loadu_si256((const __m256i *)p);
    const __m256i sign = _mm256_set1_epi8((char)0x80);
    const __m256i u = _mm256_xor_si256(b, sign);
    const __m256i ascii = _mm256_andnot_si256(
        _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(0x20 ^ 0x80)), u), /* below 0x20: not */
        _mm256_cmpgt_epi8(_mm256_setzero_si256(), u));               /* below 0x80 */
    const __m256i quote = _mm256_or_si256(_mm256_cmpeq_epi8(b, _mm256_set1_epi8('"')),
                                          _mm256_cmpeq_epi8(b, _mm256_set1_epi8('\\')));
    const __m256i cont = _mm256_cmpeq_epi8(_mm256_and_si256(b, _mm256_set1_epi8((char)0xC0)), sign);
    const __m256i lead =
        _mm256_and_si256(_mm256_cmpgt_epi8(u, _mm256_set1_epi8((char)(0xC1 ^ 0x80))),
                         _mm256_cmpgt_epi8(_mm256_set1_epi8((char)(0xE0 ^ 0x80)), u));
    const uint32_t plain = (uint32_t)_mm256_movemask_epi8(_mm256_andnot_si256(quote, ascii));
    const uint32_t conts = (uint32_t)_mm256_movemask_epi8(cont);
    const uint32_t leads = (uint32_t)_mm256_movemask_epi8(lead);
    if ((plain | conts | leads) != UINT32_MAX || conts != ((leads << 1) | *lead_carry))
        return false;
    *lead_carry = leads >> 31;
    return true;
}
#endif

/* How many bytes the plain character at p takes (printable ASCII but '"' and '\\', or a
 * valid UTF-8 sequence), or 0. */
static size_t plain_char(const unsigned char *p, const unsigned char *end)
{
    const unsigned char b = *p;
    if (b >= 0x20 && b < 0x80 && b != '"' && b != '\\')
        return 1;
    if (b >= 0xC2 && b <= 0xDF && end - p >= 2 && (p[1] & 0xC0) == 0x80)
        return 2;
    if (b < 0x80)
        return 0;
    int used, bad;
    nd_utf8_decode(p, (size_t)(end - p), &used, &bad);
    return bad ? 0 : (size_t)used;
}

/* Moves c->p over plain characters. Blocks of them go at once; where a block is not all
 * plain, the run goes on from the first byte that is not, with one character looked at
 * on its own (a three-byte character such as a curly quote mark is plain), then blocks
 * again. The last 16 bytes or so go one character at a time. */
static void plain_run(cursor *c)
{
    const unsigned char *p = c->p, *const end = c->end;
    while (p < end) {
        const unsigned char *stop = end - p > 16 ? p + 16 : end;
#ifdef __SSE2__
        unsigned lead_carry = 0, plain = 16;
#ifdef __AVX2__
        while (end - p >= 33 && plain_block32(p, &lead_carry))
            p += 32;
#endif
        while (end - p >= 17 && (plain = plain_prefix(p, &lead_carry)) == 16)
            p += 16;
        if (plain == PLAIN_CUT_LEAD || (plain == 16 && lead_carry))
            p--; /* onto the lead whose continuation did not follow, or is in the tail */
        else if (plain < 16)
            p += plain;
        stop = plain < 16 ? p + 1 : end - p > 16 ? p + 16 : end;
#endif
        while (p < stop) {
            const size_t used = plain_char(p, end);
            if (used == 0) {
                c->p = p;
                return;
            }
            p += used;
        }
    }
    c->p = p;
}

size_t nd_json_plain_length(const unsigned char *s, size_t len)
{
    cursor c = {s, s + len, 0};
    plain_run(&c);
    return (size_t)(c.p - s);
}

/* A string, the opening quote at c->p; decoded into o when o is not NULL. */
static int string(cursor *c, out_buf *o)
{
    c->p++;
    for (;;) {
        const unsigned char *run = c->p;
        plain_run(c);
        int rc = put(o, run, (size_t)(c->p - run));
        if (rc || c->p == c->end)
            return rc ? rc : ND_JSONL_DEFER;
        if (*c->p == '"') {
            c->p++;
            return 0;
        }
        if (*c->p != '\\')
            return ND_JSONL_DEFER; /* a control character or invalid UTF-8 */
        c->p++;
        if ((rc = escape(c, o)) != 0)
            return rc;
    }
}

static int number_syntax(cursor *c, bool *integer, size_t *exponent_digits);

static bool is_digit(const cursor *c)
{
    return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static void digits(cursor *c)
{
    while (is_digit(c))
        c->p++;
}

/* A number as an id; *integer tells whether it had no fraction and no exponent. */
static int number(cursor *c, bool *integer)
{
    const unsigned char *start = c->p;
    size_t exponent_digits;
    const int rc = number_syntax(c, integer, &exponent_digits);
    return rc || c->p - start >= MAX_NUMBER || exponent_digits > 2 ? ND_JSONL_DEFER : 0;
}

/* A number by the grammar alone (*exponent_digits: the digits of its exponent). */
static int number_syntax(cursor *c, bool *integer, size_t *exponent_digits)
{
    *exponent_digits = 0;
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (!is_digit(c))
        return ND_JSONL_DEFER;
    if (*c->p++ != '0')
        digits(c);
    *integer = true;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!is_digit(c))
            return ND_JSONL_DEFER;
        digits(c);
        *integer = false;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        const unsigned char *exponent = c->p;
        if (!is_digit(c))
            return ND_JSONL_DEFER;
        digits(c);
        *integer = false;
        *exponent_digits = (size_t)(c->p - exponent);
    }
    return 0;
}

static int literal(cursor *c, const char *word)
{
    const size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return ND_JSONL_DEFER;
    c->p += n;
    return 0;
}

/* Whether key[0..n) is the first component of the dotted path. */
static bool key_is(const char *path, const unsigned char *key, size_t n)
{
    return path && strncmp(path, (const char *)key, n) == 0 && (path[n] == '.' || !path[n]);
}

/* The rest of path after its first component, or NULL when there is none. */
static const char *path_rest(const char *path)
{
    const char *dot = strchr(path, '.');
    return dot ? dot + 1 : NULL;
}

/* The value of the id: a string, or an integer written as jansson writes it. */
static int id_value(cursor *c, found *f)
{
    if (*c->p == '"') {
        unsigned char *data = NULL;
        size_t cap = 0;
        out_buf o = {&data, &cap, 0};
        int rc = string(c, &o);
        if (rc == 0 && (rc = put(&o, "", 1)) == 0 && !memchr(data, 0, o.len - 1)) {
            f->id = (char *)data;
            return 0;
        }
        free(data);
        return rc ? rc : ND_JSONL_DEFER; /* a NUL in the id: jansson's strdup cuts it */
    }
    const unsigned char *start = c->p;
    bool integer;
    int rc = number(c, &integer);
    const size_t n = (size_t)(c->p - start);
    if (rc || !integer || (n == 2 && start[0] == '-' && start[1] == '0'))
        return ND_JSONL_DEFER;
    if (!(f->id = malloc(n + 1)))
        return ND_ENOMEM;
    memcpy(f->id, start, n);
    f->id[n] = '\0';
    return 0;
}

/* The value of a member whose key is on a path. */
static int member_value(cursor *c, const wanted *w, bool text_here, bool id_here, found *f)
{
    const char *text_rest = text_here ? path_rest(w->text) : NULL;
    const char *id_rest = id_here ? path_rest(w->id) : NULL;
    if (text_here && id_here && (!text_rest || !id_rest))
        return ND_JSONL_DEFER; /* one key that is both values: leave it to jansson */
    if (text_here && !text_rest) {
        if (*c->p != '"')
            return ND_JSONL_DEFER;
        f->text.len = 0;
        f->has_text = true;
        return string(c, &f->text);
    }
    if (id_here && !id_rest)
        return id_value(c, f);
    const wanted inner = {text_rest, id_rest};
    return value(c, *c->p == '{' ? &inner : NULL, f);
}

/* Past the opening bracket at c->p; true when the closing one follows (an empty value). */
static bool open_bracket(cursor *c, unsigned char close)
{
    c->p++;
    skip_space(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return true;
    }
    return false;
}

/* After a member or an element: the closing bracket (*closed) or a comma. */
static int comma_or_close(cursor *c, unsigned char close, bool *closed)
{
    skip_space(c);
    *closed = c->p < c->end && *c->p == close;
    if (*closed) {
        c->p++;
        return 0;
    }
    if (c->p == c->end || *c->p++ != ',')
        return ND_JSONL_DEFER;
    skip_space(c);
    return 0;
}

static int object(cursor *c, const wanted *w, found *f)
{
    bool seen_text = false, seen_id = false, closed = open_bracket(c, '}');
    while (!closed) {
        if (c->p == c->end || *c->p != '"')
            return ND_JSONL_DEFER;
        const unsigned char *key = c->p + 1;
        int rc = string(c, NULL);
        const size_t key_len = (size_t)(c->p - 1 - key);
        if (rc || memchr(key, '\\', key_len))
            return ND_JSONL_DEFER; /* escaped keys: jansson compares them */
        const bool text_here = w && key_is(w->text, key, key_len);
        const bool id_here = w && key_is(w->id, key, key_len);
        if ((text_here && seen_text) || (id_here && seen_id))
            return ND_JSONL_DEFER; /* a repeated key: jansson keeps the last */
        seen_text |= text_here;
        seen_id |= id_here;
        skip_space(c);
        if (c->p == c->end || *c->p++ != ':')
            return ND_JSONL_DEFER;
        skip_space(c);
        if (c->p == c->end)
            return ND_JSONL_DEFER;
        rc = text_here || id_here ? member_value(c, w, text_here, id_here, f) : value(c, NULL, f);
        if (rc || (rc = comma_or_close(c, '}', &closed)) != 0)
            return rc;
    }
    return 0;
}

static int array(cursor *c, found *f)
{
    bool closed = open_bracket(c, ']');
    while (!closed) {
        int rc = value(c, NULL, f);
        if (rc || (rc = comma_or_close(c, ']', &closed)) != 0)
            return rc;
    }
    return 0;
}

/* Any value at c->p (no leading space); w says what to look for inside an object. */
static int value(cursor *c, const wanted *w, found *f)
{
    if (c->p == c->end || ++c->depth > MAX_DEPTH)
        return ND_JSONL_DEFER;
    bool integer;
    size_t exponent_digits;
    int rc;
    switch (*c->p) {
    case '{': rc = object(c, w, f); break;
    case '[': rc = array(c, f); break;
    case '"': rc = string(c, NULL); break;
    case 't': rc = literal(c, "true"); break;
    case 'f': rc = literal(c, "false"); break;
    case 'n': rc = literal(c, "null"); break;
    default: rc = number_syntax(c, &integer, &exponent_digits); break; /* RFC 8259: any size */
    }
    c->depth--;
    return rc;
}

/* Whether jansson can look the path up: its components are at most 255 bytes. */
static bool path_fits(const char *path)
{
    for (const char *dot; path; path = dot ? dot + 1 : NULL) {
        dot = strchr(path, '.');
        if ((dot ? (size_t)(dot - path) : strlen(path)) > 255)
            return false;
    }
    return true;
}

int nd_jsonl_parse_fast(const unsigned char *line, size_t len, const char *id_key,
                        const char *text_key, unsigned char **text, size_t *text_cap,
                        size_t *text_len, char **id)
{
    if (!path_fits(text_key) || (id && !path_fits(id_key)))
        return ND_JSONL_DEFER;
    cursor c = {line, line + len, 0};
    const wanted w = {text_key, id ? id_key : NULL};
    found f = {.text = {text, text_cap, 0}};
    skip_space(&c);
    int rc = c.p < c.end && *c.p == '{' ? value(&c, &w, &f) : ND_JSONL_DEFER;
    skip_space(&c);
    if (rc == 0 && (c.p != c.end || !f.has_text))
        rc = ND_JSONL_DEFER;
    if (rc == 0 && nd_grow((void **)text, text_cap, f.text.len + 1, 1) < 0)
        rc = ND_ENOMEM;
    if (rc) {
        free(f.id);
        return rc;
    }
    *text_len = f.text.len;
    if (id)
        *id = f.id;
    return 0;
}

int nd_jsonl_object_fast(const unsigned char *line, size_t len)
{
    cursor c = {line, line + len, 0};
    found f = {0};
    skip_space(&c);
    if (c.p == c.end || *c.p != '{')
        return ND_JSONL_DEFER;
    int rc = value(&c, NULL, &f);
    skip_space(&c);
    return rc == 0 && c.p != c.end ? ND_JSONL_DEFER : rc;
}
