/*
 * html_text.h: an HTML page (UTF-8) -> its text, each piece mapped to the bytes of the
 * page it came from (MyHTML, an HTML5 parser).
 */
#ifndef ND_HTML_TEXT_H
#define ND_HTML_TEXT_H

#include "decode/offset_map.h"

/* One thread's parser. */
typedef struct nd_html_parser nd_html_parser;
int nd_html_parser_new(nd_html_parser **out);
void nd_html_parser_free(nd_html_parser *p);

/* Whether bytes look like an HTML page: a doctype or an <html> tag near the start
 * (after a byte order mark, spaces and comments). */
bool nd_html_sniff(const unsigned char *bytes, size_t len);

/* The text of the page html[0..len) into *out (of *cap bytes, grown): *out_len bytes,
 * and in map where each piece came from. Dropped: script, style, template, noscript,
 * the head, iframe, svg, math and comments; a block element or <br> is a line break.
 * main_only: the main content only (docs/ARCHITECTURE.md "HTML"). */
int nd_html_to_text(nd_html_parser *p, const unsigned char *html, size_t len, bool main_only,
                    unsigned char **out, size_t *cap, size_t *out_len, nd_offset_map *map);

#endif
