/*
 * offset_map.c: runs of text and the document bytes they came from (offset_map.h).
 */
#include "decode/offset_map.h"

#include <stdlib.h>

void nd_map_clear(nd_offset_map *m)
{
    m->n = 0;
    m->text_len = 0;
    m->text = NULL;
}

void nd_map_dispose(nd_offset_map *m)
{
    free(m->runs);
    *m = (nd_offset_map){0};
}

static uint32_t run_text_end(const nd_offset_map *m, size_t k)
{
    return k + 1 < m->n ? m->runs[k + 1].text : m->text_len;
}

static int add_run(nd_offset_map *m, uint32_t orig, uint32_t orig_len, uint32_t text_len,
                   uint32_t chars, int kind)
{
    nd_map_run *last = m->n > 0 ? &m->runs[m->n - 1] : NULL;
    if (kind != ND_RUN_ATOM && last && last->kind == kind && last->orig + last->orig_len == orig) {
        last->orig_len += orig_len;
        m->text_len += text_len;
        return 0;
    }
    if (ND_GROW(m->runs, m->cap, m->n + 1) < 0)
        return ND_ENOMEM;
    m->runs[m->n++] =
        (nd_map_run){m->text_len, orig, orig_len, chars & 0x3fffffffu, (uint32_t)kind};
    m->text_len += text_len;
    return 0;
}

int nd_map_copy(nd_offset_map *m, uint32_t orig, uint32_t text_len, uint32_t chars)
{
    return add_run(m, orig, text_len, text_len, chars, ND_RUN_COPY);
}

int nd_map_atom(nd_offset_map *m, uint32_t orig, uint32_t orig_len, uint32_t text_len,
                uint32_t chars)
{
    return add_run(m, orig, orig_len, text_len, chars, ND_RUN_ATOM);
}

int nd_map_bytes(nd_offset_map *m, uint32_t orig, uint32_t n, uint32_t text_len, uint32_t chars)
{
    return add_run(m, orig, n, text_len, chars, ND_RUN_BYTES);
}

/* UTF-8 sequences that start in text[from..to). */
static uint32_t chars_in(const unsigned char *text, uint32_t from, uint32_t to)
{
    uint32_t n = 0;
    for (uint32_t i = from; i < to; i++)
        n += (text[i] & 0xC0) != 0x80;
    return n;
}

/* The text offset n characters on from text offset t. */
static uint32_t skip_chars(const unsigned char *text, uint32_t t, uint32_t end, uint32_t n)
{
    while (n > 0 && t < end) {
        t++;
        while (t < end && (text[t] & 0xC0) == 0x80)
            t++;
        n--;
    }
    return t;
}

/* The last run that starts at or before text offset t (of those starting at t, the last:
 * runs of no text share their start with the next). */
static size_t run_at_text(const nd_offset_map *m, nd_map_cursor *at, uint32_t t)
{
    size_t k = at->run < m->n && m->runs[at->run].text <= t ? at->run : 0;
    if (k + 8 < m->n && m->runs[k + 8].text <= t) { /* far ahead: search */
        size_t lo = k, hi = m->n;
        while (hi - lo > 1) {
            const size_t mid = lo + (hi - lo) / 2;
            if (m->runs[mid].text <= t)
                lo = mid;
            else
                hi = mid;
        }
        k = lo;
    }
    while (k + 1 < m->n && m->runs[k + 1].text <= t)
        k++;
    if (k != at->run || at->text > t) { /* a place in run k to count from */
        at->run = k;
        at->text = m->runs[k].text;
        at->orig = m->runs[k].orig;
    }
    return k;
}

/* The byte of the character at text offset t of run k, a run of bytes. */
static uint32_t byte_of(const nd_offset_map *m, nd_map_cursor *at, uint32_t t)
{
    at->orig += chars_in(m->text, at->text, t);
    at->text = t;
    return at->orig;
}

uint32_t nd_map_start(const nd_offset_map *m, nd_map_cursor *at, uint32_t t)
{
    if (m->n == 0)
        return t;
    const size_t k = run_at_text(m, at, t);
    const nd_map_run *r = &m->runs[k];
    if (t >= m->text_len) /* the end of the text: the end of the last run's bytes */
        return r->orig + r->orig_len;
    if (r->kind == ND_RUN_COPY)
        return r->orig + (t - r->text);
    return r->kind == ND_RUN_ATOM ? r->orig : byte_of(m, at, t);
}

uint32_t nd_map_end(const nd_offset_map *m, nd_map_cursor *at, uint32_t t)
{
    if (m->n == 0 || t == 0)
        return m->n ? m->runs[0].orig : t;
    const size_t k = run_at_text(m, at, t - 1);
    const nd_map_run *r = &m->runs[k];
    if (r->kind == ND_RUN_COPY)
        return r->orig + (t - r->text);
    if (r->kind == ND_RUN_ATOM)
        return r->orig + r->orig_len;
    /* t ends a character of this run: the next one's byte (or the run's end) */
    return t >= run_text_end(m, k) ? r->orig + r->orig_len : byte_of(m, at, t);
}

/* The first run whose bytes end after o (m->n when none). */
static size_t run_ending_after(const nd_offset_map *m, uint32_t o)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (m->runs[mid].orig + m->runs[mid].orig_len > o)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The text offset of document byte o inside run k (o within its bytes). */
static uint32_t text_inside(const nd_offset_map *m, size_t k, uint32_t o)
{
    const nd_map_run *r = &m->runs[k];
    if (r->kind == ND_RUN_COPY)
        return r->text + (o - r->orig);
    if (r->kind == ND_RUN_BYTES)
        return skip_chars(m->text, r->text, run_text_end(m, k), o - r->orig);
    return o > r->orig ? run_text_end(m, k) : r->text; /* an atom: whole or not at all */
}

void nd_map_text_span(const nd_offset_map *m, uint32_t o_start, uint32_t o_end, uint32_t *t_start,
                      uint32_t *t_end)
{
    if (m->n == 0) {
        *t_start = o_start;
        *t_end = o_end;
        return;
    }
    size_t k = run_ending_after(m, o_start);
    if (k == m->n) {
        *t_start = *t_end = m->text_len;
        return;
    }
    *t_start = o_start <= m->runs[k].orig ? m->runs[k].text : text_inside(m, k, o_start);
    /* the end: in the run that holds byte o_end - 1, or where the next run starts */
    k = run_ending_after(m, o_end > 0 ? o_end - 1 : 0);
    if (k == m->n || m->runs[k].orig >= o_end) {
        *t_end = k < m->n ? m->runs[k].text : m->text_len;
    } else {
        const nd_map_run *r = &m->runs[k];
        const uint32_t o = o_end < r->orig + r->orig_len ? o_end : r->orig + r->orig_len;
        *t_end = r->kind == ND_RUN_ATOM
                     ? (r->orig + r->orig_len <= o_end ? run_text_end(m, k) : r->text)
                     : text_inside(m, k, o);
    }
    if (*t_end < *t_start)
        *t_end = *t_start;
}

uint64_t nd_map_chars_before(const nd_offset_map *m, uint32_t o)
{
    if (m->n == 0)
        return o;
    const size_t k = run_ending_after(m, o);
    if (k == m->n) {
        const nd_map_run *r = &m->runs[m->n - 1];
        return r->chars + (r->kind == ND_RUN_ATOM ? 1 : r->orig_len);
    }
    const nd_map_run *r = &m->runs[k];
    if (o <= r->orig)
        return r->chars;
    return r->chars + (r->kind == ND_RUN_ATOM ? 1 : o - r->orig);
}
