/*
 * text_view.h: stage 1 of a document: its bytes -> the UTF-8 text to scan, and the way
 * back from the text's offsets to the bytes (an HTML page's text, a legacy charset
 * converted). Text in UTF-8 that is not HTML is its own view: nothing is copied.
 */
#ifndef ND_TEXT_VIEW_H
#define ND_TEXT_VIEW_H

#include "decode/charset.h"
#include "decode/html_text.h"
#include "text/tokenize.h"

/* The largest document a view is made of: its map's offsets are 32-bit, and text in
 * UTF-8 may take three bytes for one. */
#define ND_VIEW_MAX_BYTES ((size_t)1 << 30)

/* How the bytes of a document are to be read. */
typedef enum { ND_MARKUP_UNKNOWN, ND_MARKUP_PLAIN, ND_MARKUP_HTML } nd_markup;

/* Where a document's charset came from, in the order they are asked. */
typedef enum {
    ND_CHARSET_FROM_NONE, /* nothing said: UTF-8, unless the bytes are not (the detector) */
    ND_CHARSET_FROM_BOM,
    ND_CHARSET_FROM_HTTP,
    ND_CHARSET_FROM_META,
    ND_CHARSET_FROM_OPTION,
    ND_CHARSET_FROM_DETECTOR,
} nd_charset_from;

typedef struct nd_view_spec {
    bool html;
    bool html_main;
    nd_charset charset;
    size_t bom_len; /* a byte order mark to skip */
    nd_charset_from from;
    char unknown[64]; /* a charset a <meta> named that ICU does not know, else "" */
} nd_view_spec;

/* What the run says of all documents. */
typedef struct nd_view_rules {
    nd_html_mode html; /* auto: WARC HTML records and files that look like pages */
    bool html_main;
    int32_t charset; /* --charset (an nd_charset), or -1 */
} nd_view_rules;

/* How to read body[0..len): markup is what the listing knows (a WARC record's type),
 * declared its HTTP charset (ND_CHARSET_UTF8 for none), jsonl whether the body is a
 * JSON string's text (already Unicode: no charset applies). */
void nd_view_resolve(const nd_view_rules *rules, const unsigned char *body, size_t len,
                     nd_markup markup, nd_charset declared, bool jsonl, nd_view_spec *spec);

/* Whether the text is the bytes themselves (no view to make). */
static inline bool nd_view_is_identity(const nd_view_spec *spec)
{
    return !spec->html && spec->charset == ND_CHARSET_UTF8;
}

typedef struct nd_text_view {
    const unsigned char *text; /* the text to scan */
    size_t len;
    bool converted, html;
    nd_offset_map charset_map; /* converted text -> body, when converted */
    nd_offset_map html_map;    /* text -> the page (converted or not), when html */
    unsigned char *utf8, *plain;
    size_t utf8_cap, plain_cap;
    nd_converter *converter;
    nd_html_parser *parser;
} nd_text_view;

void nd_text_view_dispose(nd_text_view *v);

/* Makes the view of body[0..len) that spec says. */
int nd_text_view_make(nd_text_view *v, const unsigned char *body, size_t len,
                      const nd_view_spec *spec);

/* Moves the offsets of words found in the view's text to the body's bytes. */
void nd_text_view_map_tokens(const nd_text_view *v, nd_token *toks, size_t n);

/* The view's text for body bytes [start, end) (a passage's): [*t_start, *t_end). */
void nd_text_view_span(const nd_text_view *v, uint32_t start, uint32_t end, uint32_t *t_start,
                       uint32_t *t_end);

/* Code points of the body (as its charset reads it) before byte offset o. */
uint64_t nd_text_view_chars_before(const nd_text_view *v, const unsigned char *body, uint32_t o);

/* Moves v's text and maps into *into (which then owns them; v keeps its parser and
 * converter for the next view). */
int nd_text_view_take(nd_text_view *v, nd_text_view *into);

/* The bytes a view holds (its text and maps). */
size_t nd_text_view_bytes(const nd_text_view *v);

/* The converter, made on first use. */
nd_converter *nd_text_view_converter(nd_text_view *v);

#endif
