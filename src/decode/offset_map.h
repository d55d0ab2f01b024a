/*
 * offset_map.h: where each piece of a text made from a document lies in the document's
 * bytes, so that words found in the text are reported at the bytes they came from.
 *
 * The map is a list of runs in text order, and so in document order (the text is made
 * front to back). Run k covers text [text, next run's text) and document bytes
 * [orig, orig + orig_len), as one of three kinds:
 *  - a copy: the text is the bytes (byte i of the text is byte orig + i - text);
 *  - an atom: one character made from orig_len bytes (a character reference, a
 *    character of a multi-byte charset), or a break between blocks, of no bytes;
 *  - bytes: characters of one byte each (a single-byte charset), as many as orig_len,
 *    the text their UTF-8; a place in it is found by counting characters, which the
 *    map reads in its text.
 * Runs of a kind that continue each other merge (copies, bytes).
 */
#ifndef ND_OFFSET_MAP_H
#define ND_OFFSET_MAP_H

#include "common/base.h"

enum { ND_RUN_COPY, ND_RUN_ATOM, ND_RUN_BYTES };

typedef struct nd_map_run {
    uint32_t text, orig, orig_len;
    uint32_t chars : 30; /* code points of the document before orig (charset maps only) */
    uint32_t kind : 2;
} nd_map_run;

typedef struct nd_offset_map {
    nd_map_run *runs;
    size_t n, cap;
    uint32_t text_len;         /* the end of the last run */
    const unsigned char *text; /* the text, for runs of bytes (set once it is made) */
} nd_offset_map;

/* Where the last lookup was: words looked up in text order cost a step each. */
typedef struct nd_map_cursor {
    size_t run;
    uint32_t text, orig; /* a character's place in a run of bytes, and its byte */
} nd_map_cursor;

void nd_map_clear(nd_offset_map *m);
void nd_map_dispose(nd_offset_map *m);

/* Appends text_len bytes of text taken as they are from document bytes [orig, orig +
 * text_len), of `chars` code points before them. */
int nd_map_copy(nd_offset_map *m, uint32_t orig, uint32_t text_len, uint32_t chars);
/* Appends one character of text_len bytes made from document bytes [orig, orig + orig_len). */
int nd_map_atom(nd_offset_map *m, uint32_t orig, uint32_t orig_len, uint32_t text_len,
                uint32_t chars);
/* Appends n characters, one a byte from orig on, that make text_len bytes of text. */
int nd_map_bytes(nd_offset_map *m, uint32_t orig, uint32_t n, uint32_t text_len, uint32_t chars);

/* The document offset of text offset t as the start of a word, and as the end of one. */
uint32_t nd_map_start(const nd_offset_map *m, nd_map_cursor *at, uint32_t t);
uint32_t nd_map_end(const nd_offset_map *m, nd_map_cursor *at, uint32_t t);

/* The text between document offsets o_start and o_end: [*t_start, *t_end), the text of
 * every run whose bytes lie within them. */
void nd_map_text_span(const nd_offset_map *m, uint32_t o_start, uint32_t o_end, uint32_t *t_start,
                      uint32_t *t_end);

/* Code points of the document before offset o (a character's first byte). */
uint64_t nd_map_chars_before(const nd_offset_map *m, uint32_t o);

#endif
