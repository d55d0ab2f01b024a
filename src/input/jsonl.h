/*
 * jsonl.h: one JSONL line -> a document's id and text.
 */
#ifndef ND_JSONL_H
#define ND_JSONL_H

#include <stdbool.h>
#include <stddef.h>

/* Parses line[0..len) as a JSON object; *text gets the UTF-8 of the string at text_key
 * (grown in *text_cap) and, when id is not NULL, *id a malloc'd copy of the value at
 * id_key (a string, or a number written as JSON) or NULL when absent. Keys may be dotted
 * paths into nested objects. Returns 0, or ND_EFORMAT with why filled in. */
int nd_jsonl_parse(const unsigned char *line, size_t len, const char *id_key, const char *text_key,
                   unsigned char **text, size_t *text_cap, size_t *text_len, char **id, char *why,
                   size_t why_len);

/* The two readers behind nd_jsonl_parse, for tests. The fast one returns 0,
 * ND_ENOMEM, or ND_JSONL_DEFER when the line needs jansson (errors included). */
#define ND_JSONL_DEFER 1
int nd_jsonl_parse_fast(const unsigned char *line, size_t len, const char *id_key,
                        const char *text_key, unsigned char **text, size_t *text_cap,
                        size_t *text_len, char **id);
int nd_jsonl_parse_jansson(const unsigned char *line, size_t len, const char *id_key,
                           const char *text_key, unsigned char **text, size_t *text_cap,
                           size_t *text_len, char **id, char *why, size_t why_len);

/* How many bytes at the start of s[0..len) a JSON string holds as they are: printable
 * ASCII but '"' and '\\', and valid UTF-8 (the writers of CSV and JSONL skip them). */
size_t nd_json_plain_length(const unsigned char *s, size_t len);

/* 0 when the fast reader finds line[0..len) a valid JSON object, ND_JSONL_DEFER when it
 * cannot tell (jansson decides). */
int nd_jsonl_object_fast(const unsigned char *line, size_t len);

/* Whether line[0..len) is a JSON object (the test that recognizes JSONL). */
bool nd_jsonl_is_object(const unsigned char *line, size_t len);

#endif
