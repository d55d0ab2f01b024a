/*
 * table.h: rows of CSV or JSONL, a field at a time, shared by the writers.
 */
#ifndef ND_TABLE_H
#define ND_TABLE_H

#include "neardup.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct table {
    FILE *out;
    bool csv;  /* else JSONL */
    bool safe; /* ND_FORMAT_CSV_SAFE */
    const char *const *cols;
    int col;
} table;

/* Starts a table of the columns cols (NULL-terminated): CSV writes their header. */
void table_begin(table *t, FILE *out, nd_format format, const char *const *cols);
/* Starts the next field of a row (its separator, or its JSON key). */
void field_start(table *t);
void table_end_row(table *t);
/* s[0..len) quoted, as CSV or as a JSON string (bad UTF-8 as U+FFFD); the _raw one
 * without field_start. */
void put_text_raw(table *t, const unsigned char *s, size_t len);
void put_text(table *t, const unsigned char *s, size_t len);
void put_str(table *t, const char *s);
void put_u64(table *t, uint64_t v);
void put_real(table *t, double v); /* 4 decimals */
void put_bool(table *t, bool v);   /* true or false, bare */

#endif
