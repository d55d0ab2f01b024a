/*
 * fuzz_html.c: the crawl path of a document: an HTTP body's codings, a charset, an HTML
 * page's text (http_body.c, charset.c, html_text.c, text_view.c).
 *
 * The first byte picks the codings and the charset, the rest is the body. Any bytes: no
 * crash, no hang; a decoded body within its limit; a view whose map runs go forward in
 * both the text and the bytes, inside both; every word found in the view's text mapped
 * to a range [start, end) of the bytes with start <= end <= the body's length, starts
 * and ends in text order.
 */
#define _GNU_SOURCE
#include "fuzz_pipeline.h"

#include "decode/http_body.h"
#include "decode/text_view.h"

static void check_map(const nd_offset_map *m, size_t text_len, size_t orig_len)
{
    CHECK(m->text_len == text_len);
    for (size_t k = 0; k < m->n; k++) {
        const nd_map_run *r = &m->runs[k];
        CHECK((size_t)r->orig + r->orig_len <= orig_len);
        if (k > 0) {
            CHECK(r->text >= m->runs[k - 1].text);
            CHECK(r->orig >= m->runs[k - 1].orig + m->runs[k - 1].orig_len);
        }
    }
}

/* Words as the scan would take them: runs of bytes that are not ASCII space or markup. */
static void check_words(const nd_text_view *v, size_t body_len)
{
    nd_token toks[64];
    size_t n = 0;
    for (size_t i = 0; i < v->len && n < 64;) {
        while (i < v->len && v->text[i] <= ' ')
            i++;
        const size_t start = i;
        while (i < v->len && v->text[i] > ' ')
            i++;
        if (i > start)
            toks[n++] = (nd_token){(uint32_t)start, (uint32_t)i, 0};
    }
    nd_text_view_map_tokens(v, toks, n);
    for (size_t k = 0; k < n; k++) {
        CHECK(toks[k].start <= toks[k].end && toks[k].end <= body_len);
        if (k > 0) /* (words of one atom, where alignment was lost, share its bytes) */
            CHECK(toks[k].start >= toks[k - 1].start && toks[k].end >= toks[k - 1].end);
        uint32_t from, to;
        nd_text_view_span(v, toks[k].start, toks[k].end, &from, &to);
        CHECK(from <= to && to <= v->len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const charsets[] = {NULL,          "windows-1256", "iso-8859-6",
                                           "gb18030",     "shift_jis",    "utf-16le",
                                           "iso-2022-jp", "windows-1252"};
    if (size == 0)
        return 0;
    const uint8_t pick = data[0];
    const nd_http_codings codings = (nd_http_codings)(pick >> 6); /* none, chunked, gzip, deflate */
    unsigned char *body = NULL, *tmp = NULL;
    size_t cap = 0, tmp_cap = 0, len = 0;
    char why[160];
    const uint64_t limit = 1u << 20;
    int rc = nd_http_body_decode(data + 1, size - 1, codings, limit, &body, &cap, &len, &tmp,
                                 &tmp_cap, why, sizeof(why));
    CHECK(rc == 0 || rc == ND_EFORMAT || rc == ND_EINVAL);
    if (rc == 0) {
        CHECK(len <= limit);
        nd_view_spec spec = {0};
        spec.html = pick & 1;
        spec.html_main = pick & 2;
        const char *name = charsets[(pick >> 2) & 7];
        spec.charset = name ? nd_charset_find(name, false) : ND_CHARSET_UTF8;
        CHECK(spec.charset != ND_CHARSET_UNKNOWN);
        nd_text_view v = {0};
        rc = nd_text_view_make(&v, body, len, &spec);
        CHECK(rc == 0 || rc == ND_EFORMAT);
        if (rc == 0) {
            if (v.converted)
                check_map(&v.charset_map, v.html ? v.charset_map.text_len : v.len, len);
            if (v.html)
                check_map(&v.html_map, v.len, v.converted ? v.charset_map.text_len : len);
            check_words(&v, len);
        }
        nd_text_view_dispose(&v);
    }
    free(body);
    free(tmp);
    return 0;
}
