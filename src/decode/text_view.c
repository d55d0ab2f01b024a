/*
 * text_view.c: which charset and markup a document is in, and the text made of it.
 *
 * A charset is taken from, in order: a byte order mark; the HTTP Content-Type (WARC);
 * for a page, its <meta charset> in the first 1,024 bytes; the run's --charset. When
 * none says, the bytes are read as UTF-8 and the scan asks the detector only if they
 * are not (scan_doc.c). A page in a legacy charset is converted first, then parsed:
 * its words go through both maps on the way back to the bytes.
 */
#include "decode/text_view.h"

#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>

static bool reads_as_html(const nd_view_rules *rules, const unsigned char *body, size_t len,
                          nd_markup markup, bool jsonl)
{
    if (rules->html == ND_HTML_OFF)
        return false;
    if (rules->html == ND_HTML_TEXT)
        return true;
    if (markup != ND_MARKUP_UNKNOWN)
        return markup == ND_MARKUP_HTML;
    return !jsonl && nd_html_sniff(body, len);
}

/* The start of a page in UTF-16 (after its byte order mark) as ASCII, other characters
 * as '?', to sniff: into ascii, of n bytes. */
static size_t utf16_as_ascii(const unsigned char *body, size_t len, bool big_endian,
                             unsigned char *ascii, size_t n)
{
    size_t k = 0;
    for (size_t i = 2; i + 1 < len && k < n; i += 2) {
        const unsigned unit = big_endian ? (unsigned)body[i] << 8 | body[i + 1]
                                         : (unsigned)body[i + 1] << 8 | body[i];
        ascii[k++] = unit < 0x80 ? (unsigned char)unit : '?';
    }
    return k;
}

void nd_view_resolve(const nd_view_rules *rules, const unsigned char *body, size_t len,
                     nd_markup markup, nd_charset declared, bool jsonl, nd_view_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->charset = ND_CHARSET_UTF8;
    const nd_charset bom =
        jsonl ? ND_CHARSET_UNKNOWN : nd_charset_of_bom(body, len, &spec->bom_len);
    if (bom != ND_CHARSET_UNKNOWN && bom != ND_CHARSET_UTF8 && spec->bom_len == 2) {
        /* UTF-16: sniffed as ASCII */
        unsigned char ascii[1024];
        const size_t n = utf16_as_ascii(body, len, body[0] == 0xFE, ascii, sizeof(ascii));
        spec->html = reads_as_html(rules, ascii, n, markup, jsonl);
    } else {
        spec->html = reads_as_html(rules, body, len, markup, jsonl);
    }
    spec->html_main = spec->html && rules->html_main;
    if (jsonl)
        return;
    char label[64];
    if (bom != ND_CHARSET_UNKNOWN) {
        spec->charset = bom;
        spec->from = ND_CHARSET_FROM_BOM;
        if (bom == ND_CHARSET_UTF8)
            spec->bom_len = 0; /* the scan reads a UTF-8 mark as it always did */
    } else if (declared != ND_CHARSET_UTF8) {
        spec->charset = declared;
        spec->from = ND_CHARSET_FROM_HTTP;
    } else if (spec->html && nd_charset_in_meta(body, len, label, sizeof(label))) {
        const nd_charset cs = nd_charset_find(label, true);
        if (cs == ND_CHARSET_UNKNOWN) {
            memcpy(spec->unknown, label, sizeof(label));
        } else {
            spec->charset = cs;
            spec->from = ND_CHARSET_FROM_META;
        }
    }
    if (spec->from == ND_CHARSET_FROM_NONE && rules->charset >= 0) {
        spec->charset = (nd_charset)rules->charset;
        spec->from = ND_CHARSET_FROM_OPTION;
    }
}

void nd_text_view_dispose(nd_text_view *v)
{
    nd_map_dispose(&v->charset_map);
    nd_map_dispose(&v->html_map);
    free(v->utf8);
    free(v->plain);
    nd_converter_free(v->converter);
    nd_html_parser_free(v->parser);
    memset(v, 0, sizeof(*v));
}

int nd_text_view_take(nd_text_view *v, nd_text_view *into)
{
    memset(into, 0, sizeof(*into));
    into->converted = v->converted;
    into->html = v->html;
    into->charset_map = v->charset_map;
    into->html_map = v->html_map;
    memset(&v->charset_map, 0, sizeof(v->charset_map));
    memset(&v->html_map, 0, sizeof(v->html_map));
    /* the text, and the converted text the charset map counts characters in */
    into->len = v->len;
    if (v->text != v->plain && v->text != v->utf8)
        return ND_EINVAL; /* a view of the bytes themselves is not taken */
    if (v->converted) {
        into->utf8 = v->utf8, into->utf8_cap = v->utf8_cap;
        v->utf8 = NULL, v->utf8_cap = 0;
    }
    if (v->html) {
        into->plain = v->plain, into->plain_cap = v->plain_cap;
        v->plain = NULL, v->plain_cap = 0;
    }
    into->text = into->html ? into->plain : into->utf8;
    v->text = NULL;
    return 0;
}

size_t nd_text_view_bytes(const nd_text_view *v)
{
    return v->plain_cap + v->utf8_cap + (v->charset_map.cap + v->html_map.cap) * sizeof(nd_map_run);
}

nd_converter *nd_text_view_converter(nd_text_view *v)
{
    if (!v->converter)
        nd_converter_new(&v->converter);
    return v->converter;
}

int nd_text_view_make(nd_text_view *v, const unsigned char *body, size_t len,
                      const nd_view_spec *spec)
{
    int rc = 0;
    v->text = body;
    v->len = len;
    v->converted = spec->charset != ND_CHARSET_UTF8;
    v->html = spec->html;
    if (v->converted) {
        if (!nd_text_view_converter(v))
            return ND_ENOMEM;
        if ((rc = nd_charset_convert(v->converter, spec->charset, body, len, spec->bom_len,
                                     &v->utf8, &v->utf8_cap, &v->len, &v->charset_map)) < 0)
            return rc;
        v->text = v->utf8;
    }
    if (v->html) {
        if (!v->parser && (rc = nd_html_parser_new(&v->parser)) < 0)
            return rc;
        size_t n;
        if ((rc = nd_html_to_text(v->parser, v->text, v->len, spec->html_main, &v->plain,
                                  &v->plain_cap, &n, &v->html_map)) < 0)
            return rc;
        v->text = v->plain;
        v->len = n;
    }
    return 0;
}

void nd_text_view_map_tokens(const nd_text_view *v, nd_token *toks, size_t n)
{
    nd_map_cursor html_at = {0}, charset_at = {0};
    for (size_t i = 0; i < n; i++) {
        uint32_t start = toks[i].start, end = toks[i].end;
        if (v->html) {
            start = nd_map_start(&v->html_map, &html_at, start);
            end = nd_map_end(&v->html_map, &html_at, end);
        }
        if (v->converted) {
            start = nd_map_start(&v->charset_map, &charset_at, start);
            end = nd_map_end(&v->charset_map, &charset_at, end);
        }
        toks[i].start = start;
        toks[i].end = end;
    }
}

void nd_text_view_span(const nd_text_view *v, uint32_t start, uint32_t end, uint32_t *t_start,
                       uint32_t *t_end)
{
    *t_start = start;
    *t_end = end;
    if (v->converted)
        nd_map_text_span(&v->charset_map, start, end, t_start, t_end);
    if (v->html)
        nd_map_text_span(&v->html_map, *t_start, *t_end, t_start, t_end);
}

uint64_t nd_text_view_chars_before(const nd_text_view *v, const unsigned char *body, uint32_t o)
{
    return v->converted ? nd_map_chars_before(&v->charset_map, o) : nd_utf8_count(body, o);
}
