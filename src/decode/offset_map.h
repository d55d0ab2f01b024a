/*
 * offset_map.h: where each piece of a text made from a document lies in the document's
 * bytes, so that words found in the text are reported at the bytes they came from.
 *
 * The map is a list of runs in text order, and so in document order (the text is made
 * front to back). Run k covers text [text, next run's text) and document bytes
 * [orig, orig + orig_len): a copy (byte i of the text is byte orig + i - text of the
 * document: text taken as it is), or an atom (one character
 * made from orig_len bytes: a character reference, a character of a legacy charset, a
 * break between blocks, which has no bytes at all). Copies next to each other merge.
 */
#ifndef ND_OFFSET_MAP_H
#define ND_OFFSET_MAP_H

#include "common/base.h"

typedef struct nd_map_run {
    uint32_t text, orig, orig_len;
    uint32_t chars : 31; /* code points of the document before orig (charset maps only) */
    uint32_t atom : 1;   /* one character, whatever the lengths */
} nd_map_run;

typedef struct nd_offset_map {
    nd_map_run *runs;
    size_t n, cap;
    uint32_t text_len; /* the end of the last run */
} nd_offset_map;

void nd_map_clear(nd_offset_map *m);
void nd_map_dispose(nd_offset_map *m);

/* Appends text_len bytes of text taken as they are from document bytes [orig, orig +
 * text_len), of `chars` code points before them. */
int nd_map_copy(nd_offset_map *m, uint32_t orig, uint32_t text_len, uint32_t chars);
/* Appends one character of text_len bytes made from document bytes [orig, orig + orig_len). */
int nd_map_atom(nd_offset_map *m, uint32_t orig, uint32_t orig_len, uint32_t text_len,
                uint32_t chars);

/* The document offset of text offset t as the start of a word, and as the end of one.
 * *hint is a run number to start from (0 at first): words mapped in text order cost
 * one step each. */
uint32_t nd_map_start(const nd_offset_map *m, size_t *hint, uint32_t t);
uint32_t nd_map_end(const nd_offset_map *m, size_t *hint, uint32_t t);

/* The text between document offsets o_start and o_end: [*t_start, *t_end), the text of
 * every run whose bytes lie within them. */
void nd_map_text_span(const nd_offset_map *m, uint32_t o_start, uint32_t o_end, uint32_t *t_start,
                      uint32_t *t_end);

/* Code points of the document before offset o (a character's first byte). */
uint64_t nd_map_chars_before(const nd_offset_map *m, uint32_t o);

#endif
