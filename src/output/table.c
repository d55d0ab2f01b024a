/*
 * table.c: rows of CSV (RFC 4180) or JSONL with the same keys, for every writer
 * (see writers.c for the rules).
 */
#include "output/table.h"

#include "common/utf8.h"
#include "input/jsonl.h"

#include <string.h>

void table_begin(table *t, FILE *out, nd_format format, const char *const *cols)
{
    const bool csv = format == ND_FORMAT_CSV || format == ND_FORMAT_CSV_SAFE;
    *t = (table){out, csv, format == ND_FORMAT_CSV_SAFE, cols, 0};
    if (!csv)
        return;
    for (int i = 0; cols[i]; i++)
        fprintf(out, "%s%s", i ? "," : "", cols[i]);
    fputs("\r\n", out);
}

/* (fputs and fputc, not fprintf: formatting every field weighed on the passages) */
void field_start(table *t)
{
    if (t->csv) {
        if (t->col)
            fputc(',', t->out);
    } else {
        fputs(t->col ? ",\"" : "{\"", t->out);
        fputs(t->cols[t->col], t->out);
        fputs("\":", t->out);
    }
    t->col++;
}

void table_end_row(table *t)
{
    fputs(t->csv ? "\r\n" : "}\n", t->out);
    t->col = 0;
}

/* Whether the code point c (from `used` bytes, `bad` when they were invalid) is written
 * as it is, or needs an escape or a replacement. */
static bool plain_char(uint32_t c, int bad, bool csv)
{
    if (bad || c == '"')
        return false;
    return csv || (c != '\\' && c >= 0x20);
}

/* Writes s[0..len) quoted, as CSV or as a JSON string; runs of plain characters go
 * out in one fwrite. */
void put_text_raw(table *t, const unsigned char *s, size_t len)
{
    FILE *out = t->out;
    const bool csv = t->csv;
    size_t run = 0; /* where the run of plain characters not yet written starts */
    fputc('"', out);
    if (t->safe && len && s[0] && strchr("=+-@\t\r", s[0]))
        fputc('\'', out); /* a formula to a spreadsheet: text with the quote */
    for (size_t i = 0; i < len;) {
        i += nd_json_plain_length(s + i, len - i); /* what is plain in both formats */
        if (i == len)
            break;
        int used = 1, bad = 0;
        uint32_t c = s[i];
        if (c >= 0x80)
            c = nd_utf8_decode(s + i, len - i, &used, &bad);
        if (plain_char(c, bad, csv)) {
            i += (size_t)used;
            continue;
        }
        fwrite(s + run, 1, i - run, out);
        if (bad)
            fputs("\xEF\xBF\xBD", out);
        else if (csv)
            fputs("\"\"", out);
        else if (c == '"' || c == '\\')
            fprintf(out, "\\%c", (int)c);
        else
            fprintf(out, "\\u%04x", (unsigned)c);
        i += (size_t)used;
        run = i;
    }
    fwrite(s + run, 1, len - run, out);
    fputc('"', out);
}

void put_text(table *t, const unsigned char *s, size_t len)
{
    field_start(t);
    put_text_raw(t, s, len);
}

void put_str(table *t, const char *s)
{
    put_text(t, (const unsigned char *)s, strlen(s));
}

void put_u64(table *t, uint64_t v)
{
    char digits[20];
    size_t n = 0;
    field_start(t);
    do
        digits[sizeof(digits) - ++n] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    fwrite(digits + sizeof(digits) - n, 1, n, t->out);
}

void put_real(table *t, double v)
{
    field_start(t);
    fprintf(t->out, "%.4f", v);
}

void put_bool(table *t, bool v)
{
    field_start(t);
    fputs(v ? "true" : "false", t->out);
}
