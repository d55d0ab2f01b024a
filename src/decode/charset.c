/*
 * charset.c: charsets by ICU: labels to converters, byte order marks, <meta charset>,
 * the detector, and conversion to UTF-8 with each character's bytes.
 *
 * A label is read as the WHATWG Encoding Standard reads it in a page (browsers read
 * "iso-8859-1" as windows-1252, "gb2312" as gb18030, a supersets of what the label says:
 * the same characters where both define one), then opened by ICU. Conversion goes
 * through UTF-16 with ICU's offsets (the byte each unit came from), so that each
 * character of the UTF-8 text knows its bytes: a character of one ASCII byte that is
 * itself is a copy, any other an atom of its bytes (offset_map.h).
 */
#include "decode/charset.h"

#include "common/utf8.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>
#include <unicode/ucsdet.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

/* The detector reads the words that hold bytes outside ASCII, at most this many bytes
 * of them (nd_charset_detect). */
#define DETECT_SAMPLE 1024
#define DETECT_FEW 16 /* bytes outside ASCII */

struct nd_converter {
    UConverter *conv;
    nd_charset conv_charset;
    bool single_byte;           /* conv reads one character from each byte: */
    unsigned char utf8[256][4]; /* the UTF-8 of each byte's character, */
    uint8_t utf8_len[256];      /* as ICU converts it */
    char sample[DETECT_SAMPLE]; /* what the detector reads */
    UCharsetDetector *detector;
    UChar *units;
    int32_t *offsets;
    size_t units_cap, offsets_cap;
};

/* ---------------------------------------------------------------- labels */

static const struct {
    const char *label, *as;
} whatwg_labels[] = {
    {"iso-8859-1", "windows-1252"}, {"iso8859-1", "windows-1252"}, {"latin1", "windows-1252"},
    {"l1", "windows-1252"},         {"us-ascii", "windows-1252"},  {"ascii", "windows-1252"},
    {"cp819", "windows-1252"},      {"gb2312", "gb18030"},         {"gbk", "gb18030"},
    {"x-gbk", "gb18030"},           {"chinese", "gb18030"},        {"csgb2312", "gb18030"},
    {"iso-8859-9", "windows-1254"}, {"latin5", "windows-1254"},    {"tis-620", "windows-874"},
    {"iso-8859-11", "windows-874"},
};

static bool is_utf8_label(const char *label)
{
    return !strcmp(label, "utf-8") || !strcmp(label, "utf8") ||
           !strcmp(label, "unicode-1-1-utf-8") || !strcmp(label, "unicode11utf8") ||
           !strcmp(label, "x-unicode20utf8");
}

static bool is_utf16_label(const char *label)
{
    return !strncmp(label, "utf-16", 6) || !strcmp(label, "unicode") || !strcmp(label, "ucs-2") ||
           !strcmp(label, "csunicode");
}

nd_charset nd_charset_find(const char *label, bool from_html)
{
    char name[64];
    size_t n = 0;
    while (isspace((unsigned char)*label))
        label++;
    while (label[n] && n + 1 < sizeof(name)) {
        name[n] = (char)tolower((unsigned char)label[n]);
        n++;
    }
    while (n > 0 && isspace((unsigned char)name[n - 1]))
        n--;
    name[n] = '\0';
    if (n == 0)
        return ND_CHARSET_UNKNOWN;
    if (is_utf8_label(name) || (from_html && is_utf16_label(name)))
        return ND_CHARSET_UTF8;
    const char *open_as = name;
    for (size_t i = 0; i < sizeof(whatwg_labels) / sizeof(whatwg_labels[0]); i++)
        if (!strcmp(name, whatwg_labels[i].label))
            open_as = whatwg_labels[i].as;
    UErrorCode err = U_ZERO_ERROR;
    UConverter *conv = ucnv_open(open_as, &err);
    if (U_FAILURE(err) || err == U_AMBIGUOUS_ALIAS_WARNING) {
        if (conv)
            ucnv_close(conv);
        if (U_FAILURE(err))
            return ND_CHARSET_UNKNOWN;
        err = U_ZERO_ERROR;
        conv = ucnv_open(open_as, &err); /* an ambiguous alias is still a converter */
        if (U_FAILURE(err))
            return ND_CHARSET_UNKNOWN;
    }
    const char *canonical = ucnv_getName(conv, &err);
    nd_charset found = ND_CHARSET_UNKNOWN;
    const int32_t available = ucnv_countAvailable();
    for (int32_t i = 0; U_SUCCESS(err) && i < available && i < ND_CHARSET_UNKNOWN - 1; i++)
        if (!strcmp(ucnv_getAvailableName(i), canonical))
            found = (nd_charset)(i + 1);
    ucnv_close(conv);
    if (found != ND_CHARSET_UNKNOWN && !strcmp(nd_charset_name(found), "UTF-8"))
        return ND_CHARSET_UTF8;
    return found;
}

const char *nd_charset_name(nd_charset cs)
{
    if (cs == ND_CHARSET_UTF8)
        return "UTF-8";
    if (cs == ND_CHARSET_UNKNOWN)
        return "unknown";
    const char *internal = ucnv_getAvailableName((int32_t)cs - 1);
    static const char *const standards[] = {"MIME", "IANA", "WINDOWS"};
    for (size_t i = 0; i < sizeof(standards) / sizeof(standards[0]); i++) {
        UErrorCode err = U_ZERO_ERROR;
        const char *name = ucnv_getStandardName(internal, standards[i], &err);
        if (name && U_SUCCESS(err))
            return name;
    }
    return internal;
}

nd_charset nd_charset_of_bom(const unsigned char *b, size_t len, size_t *bom_len)
{
    *bom_len = 0;
    if (len >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        *bom_len = 3;
        return ND_CHARSET_UTF8;
    }
    /* (UTF-32's marks first: FF FE 00 00 also begins like UTF-16LE's) */
    if (len >= 4 && ((b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF) ||
                     (b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0))) {
        *bom_len = 4;
        return nd_charset_find(b[0] == 0 ? "UTF-32BE" : "UTF-32LE", false);
    }
    if (len >= 2 && ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE))) {
        *bom_len = 2;
        return nd_charset_find(b[0] == 0xFE ? "UTF-16BE" : "UTF-16LE", false);
    }
    return ND_CHARSET_UNKNOWN;
}

/* ---------------------------------------------------------------- <meta> */

static bool starts_with_ci(const unsigned char *p, const unsigned char *end, const char *s)
{
    const size_t n = strlen(s);
    return (size_t)(end - p) >= n && !strncasecmp((const char *)p, s, n);
}

/* The value after "charset" (spaces, '=', spaces, an optional quote) in p[0..end). */
static bool charset_value(const unsigned char *p, const unsigned char *end, char *label,
                          size_t label_len)
{
    p += 7;
    while (p < end && isspace(*p))
        p++;
    if (p == end || *p != '=')
        return false;
    for (p++; p < end && isspace(*p);)
        p++;
    if (p < end && (*p == '"' || *p == '\''))
        p++;
    size_t n = 0;
    while (p + n < end && n + 1 < label_len && !isspace(p[n]) && p[n] != '"' && p[n] != '\'' &&
           p[n] != ';' && p[n] != '>' && p[n] != '/')
        n++;
    memcpy(label, p, n);
    label[n] = '\0';
    return n > 0;
}

bool nd_charset_in_meta(const unsigned char *bytes, size_t len, char *label, size_t label_len)
{
    const unsigned char *end = bytes + (len < 1024 ? len : 1024);
    for (const unsigned char *p = bytes; p < end; p++) {
        if (*p != '<' || !starts_with_ci(p, end, "<meta") || p + 5 == end ||
            !(isspace(p[5]) || p[5] == '/'))
            continue;
        const unsigned char *tag_end = memchr(p, '>', (size_t)(end - p));
        if (!tag_end)
            tag_end = end;
        /* charset="x", or content="text/html; charset=x" of http-equiv: either way the
         * word charset then '=' */
        for (const unsigned char *q = p + 5; q + 7 <= tag_end; q++)
            if (starts_with_ci(q, tag_end, "charset") &&
                charset_value(q, tag_end, label, label_len))
                return true;
        p = tag_end;
    }
    return false;
}

bool nd_bytes_mostly_not_utf8(const unsigned char *bytes, size_t len)
{
    uint64_t valid = 0, invalid = 0;
    for (size_t i = 0; i < len;) {
        if (bytes[i] < 0x80) {
            i++;
            continue;
        }
        int used, bad;
        nd_utf8_decode(bytes + i, len - i, &used, &bad);
        valid += !bad;
        invalid += bad;
        i += (size_t)used;
    }
    return invalid > valid;
}

/* ---------------------------------------------------------------- the converter */

int nd_converter_new(nd_converter **out)
{
    nd_converter *cv = calloc(1, sizeof(*cv));
    if (!cv)
        return ND_ENOMEM;
    cv->conv_charset = ND_CHARSET_UTF8;
    *out = cv;
    return 0;
}

void nd_converter_free(nd_converter *cv)
{
    if (!cv)
        return;
    if (cv->conv)
        ucnv_close(cv->conv);
    if (cv->detector)
        ucsdet_close(cv->detector);
    free(cv->units);
    free(cv->offsets);
    free(cv);
}

/* Guesses of ICU's detector that a crawl's text never needs, and that it makes of Arabic:
 * EBCDIC Arabic and Hebrew, Hebrew in visual order, and UTF-16 and UTF-32 without a byte
 * order mark (the detector's answer when it knows nothing). */
static bool is_unlikely_guess(const char *name)
{
    return !strncmp(name, "IBM42", 5) || !strcmp(name, "ISO-8859-8") ||
           !strncmp(name, "UTF-16", 6) || !strncmp(name, "UTF-32", 6);
}

/* The detector reads the words that hold bytes outside ASCII: ASCII is the same in every charset it
 * weighs, and English words beside Arabic ones made it take the Arabic for Latin-1. Its n-gram
 * tables cost about the same per byte whatever the length, and a few kilobytes of a language's
 * words tell their charset as well as the whole document. */
static bool is_ascii_word_byte(unsigned char c)
{
    return (c | 32) >= 'a' && (c | 32) <= 'z';
}

/* The words of bytes that hold a byte outside ASCII, each followed by a space, into
 * sample (of DETECT_SAMPLE bytes): their length. */
static size_t words_outside_ascii(const unsigned char *bytes, size_t len, char *sample)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < DETECT_SAMPLE;) {
        const size_t start = i;
        bool high = false;
        while (i < len && (bytes[i] >= 0x80 || is_ascii_word_byte(bytes[i])))
            high |= bytes[i++] >= 0x80;
        if (high) {
            const size_t take = i - start < DETECT_SAMPLE - n ? i - start : DETECT_SAMPLE - n;
            memcpy(sample + n, bytes + start, take);
            n += take;
            if (n < DETECT_SAMPLE)
                sample[n++] = ' ';
        }
        while (i < len && bytes[i] < 0x80 && !is_ascii_word_byte(bytes[i]))
            i++;
    }
    return n;
}

/* The detector's guesses for Latin scripts. */
static bool is_latin(const char *name)
{
    static const char *const latin[] = {"ISO-8859-1",   "ISO-8859-2",   "ISO-8859-9",
                                        "windows-1250", "windows-1252", "windows-1254"};
    for (size_t i = 0; i < sizeof(latin) / sizeof(latin[0]); i++)
        if (!strcmp(name, latin[i]))
            return true;
    return false;
}

/* Whether most words of the sample are three or more bytes of 0xC0 and up and nothing
 * else: accented letters only, were they Latin (ÇáÃãä), which no Latin language writes
 * and every Arabic, Cyrillic, Greek or Hebrew single-byte charset does. The detector's
 * Latin guesses for such text are mojibake. */
static bool looks_like_mojibake(const char *sample, size_t n)
{
    size_t words = 0, accents_only = 0;
    for (size_t i = 0; i < n;) {
        size_t len = 0, high = 0;
        for (; i < n && sample[i] != ' '; i++, len++)
            high += (unsigned char)sample[i] >= 0xC0;
        words += len > 0;
        accents_only += len >= 3 && high == len;
        i++;
    }
    return accents_only * 2 > words;
}

nd_charset nd_charset_detect(nd_converter *cv, const unsigned char *bytes, size_t len,
                             int *confidence)
{
    UErrorCode err = U_ZERO_ERROR;
    *confidence = 0;
    if (!cv->detector && !(cv->detector = ucsdet_open(&err)))
        return ND_CHARSET_UTF8;
    size_t n = words_outside_ascii(bytes, len, cv->sample), high = 0;
    for (size_t i = 0; i < n; i++)
        high += (unsigned char)cv->sample[i] >= 0x80;
    const char *text = cv->sample;
    if (high < DETECT_FEW) { /* a word or two are too little to tell: the whole text */
        text = (const char *)bytes;
        n = len < DETECT_SAMPLE ? len : DETECT_SAMPLE;
    }
    ucsdet_setText(cv->detector, text, (int32_t)n, &err);
    int32_t n_matches = 0;
    const UCharsetMatch **matches = ucsdet_detectAll(cv->detector, &n_matches, &err);
    const char *best = NULL;
    const bool latin_unlikely = text == cv->sample && looks_like_mojibake(cv->sample, n);
    for (int32_t i = 0; U_SUCCESS(err) && i < n_matches; i++) {
        const char *name = ucsdet_getName(matches[i], &err);
        const int32_t c = ucsdet_getConfidence(matches[i], &err);
        if (U_FAILURE(err) || is_unlikely_guess(name) || (latin_unlikely && is_latin(name)) ||
            (best && c < *confidence))
            continue;
        /* of equal guesses, a windows- code page: most legacy pages are in one */
        if (!best || (strncmp(best, "windows-", 8) && !strncmp(name, "windows-", 8))) {
            best = name;
            *confidence = c;
        }
    }
    const nd_charset cs = best ? nd_charset_find(best, false) : ND_CHARSET_UNKNOWN;
    return cs == ND_CHARSET_UNKNOWN ? ND_CHARSET_UTF8 : cs;
}

/* For a converter of one byte a character (ucnv_getMaxCharSize 1: windows-125x,
 * ISO-8859-x, KOI8-R ...), each byte's character as ICU converts it alone, in UTF-8;
 * false when some byte does not give exactly one character. */
static bool learn_single_bytes(nd_converter *cv)
{
    if (ucnv_getMaxCharSize(cv->conv) != 1)
        return false;
    for (int b = 0; b < 256; b++) {
        const char byte = (char)b;
        UChar units[4];
        UErrorCode err = U_ZERO_ERROR;
        ucnv_reset(cv->conv);
        const int32_t n = ucnv_toUChars(cv->conv, units, 4, &byte, 1, &err);
        UChar32 cp;
        int32_t i = 0;
        if (U_FAILURE(err) || n < 1)
            return false;
        U16_NEXT(units, i, n, cp);
        if (i != n)
            return false;
        int32_t len = 0;
        U8_APPEND_UNSAFE(cv->utf8[b], len, cp);
        cv->utf8_len[b] = (uint8_t)len;
    }
    ucnv_reset(cv->conv);
    return true;
}

static UConverter *converter_for(nd_converter *cv, nd_charset cs)
{
    UErrorCode err = U_ZERO_ERROR;
    if (cv->conv && cv->conv_charset == cs) {
        ucnv_reset(cv->conv);
        return cv->conv;
    }
    if (cv->conv)
        ucnv_close(cv->conv);
    cv->conv = ucnv_open(ucnv_getAvailableName((int32_t)cs - 1), &err);
    cv->conv_charset = cs;
    if (U_FAILURE(err)) {
        cv->conv = NULL;
        return NULL;
    }
    cv->single_byte = learn_single_bytes(cv);
    return cv->conv;
}

/* A single-byte charset: each byte through the table, the map one run of bytes. */
static int convert_single_bytes(const nd_converter *cv, const unsigned char *bytes, size_t len,
                                size_t bom_len, unsigned char **out, size_t *cap, size_t *out_len,
                                nd_offset_map *map)
{
    if (ND_GROW(*out, *cap, (len - bom_len) * 4 + 1) < 0)
        return ND_ENOMEM;
    unsigned char *o = *out;
    for (size_t i = bom_len; i < len; i++) {
        memcpy(o, cv->utf8[bytes[i]], 4); /* (the table's rows are 4 bytes: one move) */
        o += cv->utf8_len[bytes[i]];
    }
    *out_len = (size_t)(o - *out);
    const int rc = len > bom_len ? nd_map_bytes(map, (uint32_t)bom_len, (uint32_t)(len - bom_len),
                                                (uint32_t)*out_len, bom_len > 0)
                                 : 0;
    map->text = *out;
    return rc;
}

/* bytes[0..len) to UTF-16 in cv->units, with the byte each unit came from. */
static int to_units(nd_converter *cv, UConverter *conv, const unsigned char *bytes, size_t len,
                    size_t *n_units)
{
    const char *src = (const char *)bytes, *src_end = src + len;
    size_t n = 0;
    for (;;) {
        if (ND_GROW(cv->units, cv->units_cap, n + len / 2 + 64) < 0 ||
            ND_GROW(cv->offsets, cv->offsets_cap, cv->units_cap) < 0)
            return ND_ENOMEM;
        UChar *target = cv->units + n;
        const int32_t base = (int32_t)(src - (const char *)bytes);
        UErrorCode err = U_ZERO_ERROR;
        ucnv_toUnicode(conv, &target, cv->units + cv->units_cap, &src, src_end, cv->offsets + n,
                       true, &err);
        const size_t made = (size_t)(target - (cv->units + n));
        for (size_t i = n; i < n + made; i++)
            if (cv->offsets[i] >= 0)
                cv->offsets[i] += base;
        n += made;
        if (err == U_BUFFER_OVERFLOW_ERROR)
            continue;
        if (U_FAILURE(err))
            return ND_EFORMAT;
        *n_units = n;
        return 0;
    }
}

int nd_charset_convert(nd_converter *cv, nd_charset cs, const unsigned char *bytes, size_t len,
                       size_t bom_len, unsigned char **out, size_t *cap, size_t *out_len,
                       nd_offset_map *map)
{
    UConverter *conv = converter_for(cv, cs);
    size_t n_units;
    if (!conv)
        return ND_EFORMAT;
    nd_map_clear(map);
    if (bom_len > 0 && nd_map_atom(map, 0, (uint32_t)bom_len, 0, 0) < 0)
        return ND_ENOMEM;
    if (cv->single_byte)
        return convert_single_bytes(cv, bytes, len, bom_len, out, cap, out_len, map);
    n_units = 0;
    int rc = len > bom_len ? to_units(cv, conv, bytes + bom_len, len - bom_len, &n_units) : 0;
    if (rc < 0 || ND_GROW(*out, *cap, n_units * 3 + 1) < 0)
        return rc < 0 ? rc : ND_ENOMEM;
    size_t n = 0;
    uint32_t chars = bom_len > 0;
    int32_t prev_at = (int32_t)bom_len;
    for (size_t i = 0; i < n_units && rc == 0;) {
        UChar32 cp;
        const size_t first = i;
        U16_NEXT(cv->units, i, n_units, cp);
        int32_t at = cv->offsets[first] >= 0 ? cv->offsets[first] + (int32_t)bom_len : prev_at;
        int32_t next = i < n_units && cv->offsets[i] >= 0 ? cv->offsets[i] + (int32_t)bom_len : at;
        if (i == n_units)
            next = (int32_t)len;
        if (next < at)
            next = at;
        prev_at = next;
        const size_t start = n;
        U8_APPEND_UNSAFE(*out, n, cp);
        const uint32_t orig = (uint32_t)at, orig_len = (uint32_t)(next - at);
        if (cp < 0x80 && orig_len == 1 && bytes[at] == cp)
            rc = nd_map_copy(map, orig, 1, chars);
        else
            rc = nd_map_atom(map, orig, orig_len, (uint32_t)(n - start), chars);
        chars++;
    }
    *out_len = n;
    map->text = *out;
    return rc;
}
