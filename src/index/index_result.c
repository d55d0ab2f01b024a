/*
 * index_result.c: a feed's matches and verdicts, and their writers.
 */
#define _POSIX_C_SOURCE 200809L
#include "index/index_result.h"

#include "output/table.h"

#include <stdlib.h>
#include <time.h>

int nd_index_result_new(const nd_corpus *c, nd_index_result **out)
{
    nd_index_result *r = calloc(1, sizeof(*r));
    *out = r;
    if (!r)
        return ND_ENOMEM;
    r->corpus = c;
    const size_t n = c->n_docs ? c->n_docs : 1;
    r->verdicts = calloc(n, sizeof(*r->verdicts));
    r->dates = calloc(n, sizeof(*r->dates));
    return r->verdicts && r->dates ? 0 : ND_ENOMEM;
}

void nd_index_result_free(nd_index_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_ids; i++)
        free(r->ids[i]);
    free(r->ids);
    for (size_t i = 0; i < r->n_strings; i++)
        free(r->strings[i]);
    free(r->strings);
    free(r->passages);
    free(r->matches);
    free(r->verdicts);
    free(r->dates);
    free(r);
}

int nd_index_result_add_match(nd_index_result *r, const nd_index_match *m, const char *id,
                              size_t id_len)
{
    if (ND_GROW(r->matches, r->cap_matches, r->n_matches + 1) < 0)
        return ND_ENOMEM;
    nd_index_match *to = &r->matches[r->n_matches];
    *to = *m;
    if (m->archived) {
        char *copy = malloc(id_len + 1);
        if (!copy || ND_GROW(r->ids, r->cap_ids, r->n_ids + 1) < 0) {
            free(copy);
            return ND_ENOMEM;
        }
        memcpy(copy, id, id_len);
        copy[id_len] = '\0';
        r->ids[r->n_ids++] = copy;
        to->earlier_id = copy;
    }
    r->n_matches++;
    return 0;
}

size_t nd_index_result_n_matches(const nd_index_result *r)
{
    return r->n_matches;
}

const nd_index_match *nd_index_result_match(const nd_index_result *r, size_t i)
{
    return i < r->n_matches ? &r->matches[i] : NULL;
}

/* A NUL-terminated copy of s[0..len), owned by the result. */
static const char *own_copy(nd_index_result *r, const unsigned char *s, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy || ND_GROW(r->strings, r->cap_strings, r->n_strings + 1) < 0) {
        free(copy);
        return NULL;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    r->strings[r->n_strings++] = copy;
    return copy;
}

int nd_index_result_add_passage(nd_index_result *r, const nd_index_match *m, const nd_passage *p,
                                const unsigned char *text_a, const unsigned char *text_b)
{
    if (ND_GROW(r->passages, r->cap_passages, r->n_passages + 1) < 0)
        return ND_ENOMEM;
    nd_index_passage *to = &r->passages[r->n_passages];
    *to = (nd_index_passage){m->doc,   m->earlier_id, m->archived, p->a_start, p->a_end, p->b_start,
                             p->b_end, p->words_a,    p->words_b,  p->score,   NULL,     NULL};
    to->text_a = own_copy(r, text_a + p->a_start, p->a_end - p->a_start);
    to->text_b = own_copy(r, text_b + p->b_start, p->b_end - p->b_start);
    if (!to->text_a || !to->text_b)
        return ND_ENOMEM;
    r->n_passages++;
    return 0;
}

size_t nd_index_result_n_passages(const nd_index_result *r)
{
    return r->n_passages;
}

const nd_index_passage *nd_index_result_passage(const nd_index_result *r, size_t i)
{
    return i < r->n_passages ? &r->passages[i] : NULL;
}

size_t nd_index_result_n_verdicts(const nd_index_result *r)
{
    return r->corpus->n_docs;
}

const nd_index_verdict *nd_index_result_verdict(const nd_index_result *r, size_t i)
{
    return i < r->corpus->n_docs ? &r->verdicts[i] : NULL;
}

/* ---------------------------------------------------------------- writers */

/* A date as ISO 8601 UTC ("2026-12-05T10:20:30Z"), or "" for none. */
static void date_text(int64_t date, char *buf, size_t len)
{
    struct tm tm;
    const time_t t = (time_t)date;
    buf[0] = '\0';
    if (date != ND_NO_DATE && gmtime_r(&t, &tm))
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int finish(FILE *out)
{
    return fflush(out) != 0 || ferror(out) ? ND_EIO : 0;
}

int nd_index_write_matches(const nd_index_result *r, FILE *out, nd_format format)
{
    static const char *const cols[] = {"doc_a",           "doc_b",      "jaccard", "jaccard_est",
                                       "shared_shingles", "b_archived", "b_date",  NULL};
    table t;
    table_begin(&t, out, format, cols);
    for (size_t i = 0; i < r->n_matches; i++) {
        const nd_index_match *m = &r->matches[i];
        char date[32];
        date_text(m->earlier_date, date, sizeof(date));
        put_str(&t, r->corpus->docs[m->doc].id);
        put_str(&t, m->earlier_id);
        put_real(&t, m->jaccard);
        put_real(&t, m->jaccard_est);
        put_u64(&t, m->shared);
        put_bool(&t, m->archived);
        put_str(&t, date);
        table_end_row(&t);
    }
    return finish(out);
}

static const char *verdict_name(nd_verdict_kind k)
{
    switch (k) {
    case ND_VERDICT_NEW: return "new";
    case ND_VERDICT_DUPLICATE: return "duplicate";
    case ND_VERDICT_EMPTY: return "empty";
    default: return "error";
    }
}

int nd_index_write_verdicts(const nd_index_result *r, FILE *out)
{
    static const char *const cols[] = {"id",      "verdict",  "added", "match",
                                       "jaccard", "archived", NULL};
    table t;
    table_begin(&t, out, ND_FORMAT_JSONL, cols);
    for (size_t i = 0; i < r->corpus->n_docs; i++) {
        const nd_index_verdict *v = &r->verdicts[i];
        const nd_index_match *m = v->best_match != SIZE_MAX ? &r->matches[v->best_match] : NULL;
        put_str(&t, r->corpus->docs[i].id ? r->corpus->docs[i].id : "");
        put_str(&t, verdict_name(v->kind));
        put_bool(&t, v->added);
        if (m) {
            put_str(&t, m->earlier_id);
            put_real(&t, m->jaccard);
            put_bool(&t, m->archived);
        }
        table_end_row(&t);
    }
    return finish(out);
}

int nd_index_write_passages(const nd_index_result *r, FILE *out, nd_format format)
{
    static const char *const cols[] = {"doc_a",  "a_start", "a_end",   "doc_b", "b_start",
                                       "b_end",  "words_a", "words_b", "score", "b_archived",
                                       "text_a", "text_b",  NULL};
    table t;
    table_begin(&t, out, format, cols);
    for (size_t i = 0; i < r->n_passages; i++) {
        const nd_index_passage *p = &r->passages[i];
        put_str(&t, r->corpus->docs[p->doc].id);
        put_u64(&t, p->a_start);
        put_u64(&t, p->a_end);
        put_str(&t, p->earlier_id);
        put_u64(&t, p->b_start);
        put_u64(&t, p->b_end);
        put_u64(&t, p->words_a);
        put_u64(&t, p->words_b);
        put_real(&t, p->score);
        put_bool(&t, p->archived);
        put_str(&t, p->text_a);
        put_str(&t, p->text_b);
        table_end_row(&t);
    }
    return finish(out);
}

int nd_index_write_remove(const nd_index_result *r, FILE *out, nd_format format)
{
    static const char *const cols[] = {"doc", "duplicate_of", "jaccard", "archived", NULL};
    table t;
    table_begin(&t, out, format, cols);
    for (size_t i = 0; i < r->corpus->n_docs; i++) {
        const nd_index_verdict *v = &r->verdicts[i];
        if (v->kind != ND_VERDICT_DUPLICATE)
            continue;
        const nd_index_match *m = &r->matches[v->best_match];
        put_str(&t, r->corpus->docs[i].id);
        put_str(&t, m->earlier_id);
        put_real(&t, m->jaccard);
        put_bool(&t, m->archived);
        table_end_row(&t);
    }
    return finish(out);
}

int nd_index_write_new_lines(const nd_index_result *r, FILE *out)
{
    const nd_corpus *c = r->corpus;
    nd_reader reader = ND_READER_INIT;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->n_docs; i++) {
        const nd_doc *d = &c->docs[i];
        const unsigned char *line;
        if (d->kind != ND_DOC_JSONL_LINE || r->verdicts[i].kind != ND_VERDICT_NEW)
            continue;
        rc = nd_doc_line(c, &reader, d, &line);
        if (rc == 0 && (fwrite(line, 1, d->length, out) != d->length || fputc('\n', out) == EOF))
            rc = ND_EIO;
    }
    nd_reader_dispose(&reader);
    return rc < 0 ? rc : finish(out);
}
