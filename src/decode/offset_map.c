/*
 * offset_map.c: runs of text and the document bytes they came from (offset_map.h).
 */
#include "decode/offset_map.h"

#include <stdlib.h>

void nd_map_clear(nd_offset_map *m)
{
    m->n = 0;
    m->text_len = 0;
}

void nd_map_dispose(nd_offset_map *m)
{
    free(m->runs);
    *m = (nd_offset_map){0};
}

static uint32_t run_text_len(const nd_offset_map *m, size_t k)
{
    return (k + 1 < m->n ? m->runs[k + 1].text : m->text_len) - m->runs[k].text;
}

static bool is_copy(const nd_offset_map *m, size_t k)
{
    return !m->runs[k].atom;
}

static int add_run(nd_offset_map *m, uint32_t orig, uint32_t orig_len, uint32_t text_len,
                   uint32_t chars, bool atom)
{
    if (ND_GROW(m->runs, m->cap, m->n + 1) < 0)
        return ND_ENOMEM;
    m->runs[m->n++] = (nd_map_run){m->text_len, orig, orig_len, chars & 0x7fffffffu, atom};
    m->text_len += text_len;
    return 0;
}

int nd_map_copy(nd_offset_map *m, uint32_t orig, uint32_t text_len, uint32_t chars)
{
    nd_map_run *last = m->n > 0 ? &m->runs[m->n - 1] : NULL;
    if (last && !last->atom && last->orig + last->orig_len == orig) {
        last->orig_len += text_len;
        m->text_len += text_len;
        return 0;
    }
    return add_run(m, orig, text_len, text_len, chars, false);
}

int nd_map_atom(nd_offset_map *m, uint32_t orig, uint32_t orig_len, uint32_t text_len,
                uint32_t chars)
{
    return add_run(m, orig, orig_len, text_len, chars, true);
}

/* The last run that starts at or before text offset t (of those starting at t, the last:
 * runs of no text share their start with the next). */
static size_t run_at_text(const nd_offset_map *m, size_t *hint, uint32_t t)
{
    size_t k = *hint < m->n ? *hint : 0;
    if (m->runs[k].text > t)
        k = 0;
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
    *hint = k;
    return k;
}

uint32_t nd_map_start(const nd_offset_map *m, size_t *hint, uint32_t t)
{
    if (m->n == 0)
        return t;
    const size_t k = run_at_text(m, hint, t);
    const nd_map_run *r = &m->runs[k];
    if (t >= m->text_len) /* the end of the text: the end of the last run's bytes */
        return r->orig + r->orig_len;
    return is_copy(m, k) ? r->orig + (t - r->text) : r->orig;
}

uint32_t nd_map_end(const nd_offset_map *m, size_t *hint, uint32_t t)
{
    if (m->n == 0 || t == 0)
        return m->n ? m->runs[0].orig : t;
    const size_t k = run_at_text(m, hint, t - 1);
    const nd_map_run *r = &m->runs[k];
    return is_copy(m, k) ? r->orig + (t - r->text) : r->orig + r->orig_len;
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
    const nd_map_run *r = &m->runs[k];
    if (o_start <= r->orig)
        *t_start = r->text;
    else
        *t_start = is_copy(m, k) ? r->text + (o_start - r->orig) : r->text + run_text_len(m, k);
    /* the end: the last run that starts before o_end */
    k = run_ending_after(m, o_end > 0 ? o_end - 1 : 0);
    if (k == m->n || m->runs[k].orig >= o_end) {
        *t_end = k < m->n ? m->runs[k].text : m->text_len;
    } else {
        r = &m->runs[k];
        if (is_copy(m, k))
            *t_end = r->text + (o_end - r->orig < r->orig_len ? o_end - r->orig : r->orig_len);
        else
            *t_end = r->orig + r->orig_len <= o_end ? r->text + run_text_len(m, k) : r->text;
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
        return r->chars + (is_copy(m, m->n - 1) ? r->orig_len : 1);
    }
    const nd_map_run *r = &m->runs[k];
    if (o <= r->orig)
        return r->chars;
    return r->chars + (is_copy(m, k) ? o - r->orig : 1);
}
