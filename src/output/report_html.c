/*
 * report_html.c: results -> one self-contained HTML page for people.
 *
 * Clusters, pairs, and every passage side by side in its context, the
 * shared text highlighted. The page loads nothing (no script, font or
 * image), so it opens offline and cannot leak. Right-to-left text is shown
 * right: each text block has dir="auto" and unicode-bidi: plaintext (each
 * paragraph takes the direction of its first strong letter), ids and URLs
 * are isolated in <bdi>, and highlights change the background only, since a
 * change of weight or size would break the joining of Arabic letters.
 * Everything from the documents is escaped: a document holding <script>
 * shows as text.
 */
#include "output/crawl_stats.h"
#include "output/result.h"
#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>

#define CONTEXT_BYTES 240 /* of text shown around a passage, on each side */
#define MAX_REPORT_PASSAGES 2000

/* Writes s[0..len) escaped for HTML text and attributes, bad UTF-8 as U+FFFD. */
static void put_escaped(FILE *out, const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        int used, bad;
        const uint32_t c = nd_utf8_decode(s + i, len - i, &used, &bad);
        switch (bad ? 0xFFFD : c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        case 0xFFFD: fputs("\xEF\xBF\xBD", out); break;
        default: fwrite(s + i, 1, (size_t)used, out);
        }
        i += (size_t)used;
    }
}

static void put_escaped_str(FILE *out, const char *s)
{
    put_escaped(out, (const unsigned char *)s, strlen(s));
}

static const char style[] =
    "body{font-family:system-ui,'Noto Sans Arabic','Noto Sans','DejaVu Sans',sans-serif;"
    "margin:2em;color:#1d1d1f;background:#fff;line-height:1.5}"
    "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #d0d0d0;padding:.25em .6em;text-align:start}"
    "th{background:#f3f3f3}td.num{text-align:end;font-variant-numeric:tabular-nums}"
    ".passage{margin:1.5em 0;padding-top:.8em;border-top:2px solid #999}"
    ".pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}"
    ".meta{font-size:.85em;color:#555;margin-bottom:.3em}"
    ".text{white-space:pre-wrap;unicode-bidi:plaintext;line-height:1.9;border:1px solid #ddd;"
    "border-radius:4px;padding:.6em .8em;max-height:28em;overflow:auto;font-size:1.05em}"
    "mark{background:#ffd966;color:inherit}"
    ".note{color:#666}";

/* "%llu %s" arguments: a count and its noun, singular for 1. */
#define COUNT(n, one, many) (unsigned long long)(n), (n) == 1 ? (one) : (many)

static void put_head(FILE *out, const nd_stats *s)
{
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"und\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>neardup report</title>\n<style>%s</style>\n</head>\n<body>\n"
            "<h1>neardup report</h1>\n<p class=\"summary\">%llu %s, %llu %s; "
            "%llu near-duplicate %s in %llu %s (%llu %s to remove); %llu shared %s.</p>\n",
            style, COUNT(s->n_docs, "document", "documents"), COUNT(s->n_bytes, "byte", "bytes"),
            COUNT(s->n_pairs, "pair", "pairs"), COUNT(s->n_clusters, "cluster", "clusters"),
            COUNT(s->n_duplicates, "document", "documents"),
            COUNT(s->n_passages, "passage", "passages"));
}

static void put_id(FILE *out, const nd_corpus *c, uint32_t doc)
{
    fputs("<bdi>", out);
    put_escaped_str(out, c->docs[doc].id ? c->docs[doc].id : "");
    fputs("</bdi>", out);
}

static void put_clusters(FILE *out, const nd_result *r)
{
    fputs("<h2>Clusters</h2>\n", out);
    if (!r->n_members) {
        fputs("<p class=\"note\">No near-duplicates.</p>\n", out);
        return;
    }
    fputs("<table class=\"clusters\"><tr><th>cluster</th><th>document</th><th>size</th>"
          "<th>kept</th></tr>\n",
          out);
    for (size_t i = 0; i < r->n_members; i++) {
        const nd_member *m = &r->members[i];
        fprintf(out, "<tr><td class=\"num\">%u</td><td>", m->cluster);
        put_id(out, r->corpus, m->doc);
        fprintf(out, "</td><td class=\"num\">%u</td><td>%s</td></tr>\n", m->size,
                m->doc == m->kept_doc ? "kept" : "remove");
    }
    fputs("</table>\n", out);
}

static void put_pairs(FILE *out, const nd_result *r)
{
    fputs("<h2>Pairs</h2>\n", out);
    if (!r->n_pairs) {
        fputs("<p class=\"note\">No pair reaches the threshold.</p>\n", out);
        return;
    }
    fputs("<table class=\"pairs\"><tr><th>document a</th><th>document b</th><th>Jaccard</th>"
          "<th>estimate</th><th>shared shingles</th><th>cluster</th></tr>\n",
          out);
    for (size_t i = 0; i < r->n_pairs; i++) {
        const nd_pair *p = &r->pairs[i];
        fputs("<tr><td>", out);
        put_id(out, r->corpus, p->doc_a);
        fputs("</td><td>", out);
        put_id(out, r->corpus, p->doc_b);
        fprintf(out,
                "</td><td class=\"num\">%.4f</td><td class=\"num\">%.4f</td>"
                "<td class=\"num\">%u</td><td class=\"num\">%u</td></tr>\n",
                p->jaccard, p->jaccard_est, p->shared, p->cluster);
    }
    fputs("</table>\n", out);
}

/* A passage's side as shown: the document's text (a page's, or a legacy charset's, as
 * the scan read it) and the span in it. */
typedef struct shown_side {
    unsigned char *bytes;
    size_t len;
    nd_text_view view;
    const unsigned char *text;
    size_t text_len;
    uint64_t start, end; /* in text */
} shown_side;

/* One side of a passage: its document, its bytes, and the span highlighted in the
 * context of its text (a page's text, not its markup). */
static void put_side(FILE *out, const nd_corpus *c, uint32_t doc, const shown_side *side,
                     uint64_t byte_start, uint64_t byte_end, uint32_t words)
{
    const unsigned char *bytes = side->text;
    const size_t len = side->text_len;
    const uint64_t start = side->start, end = side->end;
    size_t from = start > CONTEXT_BYTES ? (size_t)start - CONTEXT_BYTES : 0;
    size_t to = end + CONTEXT_BYTES < len ? (size_t)end + CONTEXT_BYTES : len;
    while (from < start && (bytes[from] & 0xC0) == 0x80)
        from++; /* never cut a character in two */
    while (to > end && to < len && (bytes[to] & 0xC0) == 0x80)
        to--;
    fputs("<div class=\"side\"><div class=\"meta\">", out);
    put_id(out, c, doc);
    fprintf(out, " &middot; bytes %llu&ndash;%llu &middot; %u words",
            (unsigned long long)byte_start, (unsigned long long)byte_end, words);
    if (c->docs[doc].url) {
        fputs(" &middot; <bdi>", out);
        put_escaped_str(out, c->docs[doc].url);
        fputs("</bdi>", out);
    }
    fputs("</div>\n<div class=\"text\" dir=\"auto\">", out);
    if (from > 0)
        fputs("&hellip;", out);
    put_escaped(out, bytes + from, (size_t)start - from);
    fputs("<mark>", out);
    put_escaped(out, bytes + start, (size_t)(end - start));
    fputs("</mark>", out);
    put_escaped(out, bytes + end, to - (size_t)end);
    if (to < len)
        fputs("&hellip;", out);
    fputs("</div></div>\n", out);
}

static int load_side(const nd_corpus *c, uint32_t doc, uint64_t start, uint64_t end,
                     shown_side *side)
{
    free(side->bytes);
    side->bytes = NULL;
    int rc = nd_doc_load(c, &c->docs[doc], &side->bytes, &side->len);
    if (rc == 0 && end > side->len)
        rc = ND_EIO;
    if (rc < 0)
        return rc;
    nd_view_spec spec;
    nd_doc_view_spec(c, &c->docs[doc], side->bytes, side->len, &spec);
    side->text = side->bytes;
    side->text_len = side->len;
    side->start = start;
    side->end = end;
    if (nd_view_is_identity(&spec))
        return 0;
    if ((rc = nd_text_view_make(&side->view, side->bytes, side->len, &spec)) < 0)
        return rc;
    uint32_t from, to;
    nd_text_view_span(&side->view, (uint32_t)start, (uint32_t)end, &from, &to);
    side->text = side->view.text;
    side->text_len = side->view.len;
    side->start = from;
    side->end = to;
    return 0;
}

static int put_passages(FILE *out, const nd_result *r)
{
    const nd_corpus *c = r->corpus;
    shown_side a = {0}, b = {0};
    int rc = 0;
    fputs("<h2>Passages</h2>\n", out);
    if (!r->n_passages)
        fputs("<p class=\"note\">No shared passage (or passages were not searched: "
              "use --passages).</p>\n",
              out);
    const size_t n = r->n_passages < MAX_REPORT_PASSAGES ? r->n_passages : MAX_REPORT_PASSAGES;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const nd_passage *p = &r->passages[i];
        rc = load_side(c, p->doc_a, p->a_start, p->a_end, &a);
        if (rc == 0)
            rc = load_side(c, p->doc_b, p->b_start, p->b_end, &b);
        if (rc < 0)
            break;
        fprintf(out,
                "<section class=\"passage\" id=\"passage-%zu\"><div class=\"meta\">"
                "passage %zu &middot; score %.2f</div>\n<div class=\"pair\">\n",
                i + 1, i + 1, p->score);
        put_side(out, c, p->doc_a, &a, p->a_start, p->a_end, p->words_a);
        put_side(out, c, p->doc_b, &b, p->b_start, p->b_end, p->words_b);
        fputs("</div></section>\n", out);
    }
    if (n < r->n_passages)
        fprintf(out,
                "<p class=\"note\">The first %zu of %zu passages are shown here; all of them "
                "are in the file <code>--passages</code> writes.</p>\n",
                n, r->n_passages);
    free(a.bytes);
    free(b.bytes);
    nd_text_view_dispose(&a.view);
    nd_text_view_dispose(&b.view);
    return rc;
}

/* What a deduplication would remove, and the clusters by size. */
static int put_crawl_summary(FILE *out, const nd_result *r)
{
    nd_crawl_stats cs;
    const int rc = nd_crawl_stats_of(r, &cs);
    if (rc < 0)
        return rc;
    const nd_dup_count *a = &cs.all;
    fprintf(out,
            "<p class=\"summary\">Deduplicating would remove %llu of %llu documents (%.1f%%) "
            "and %llu of %llu bytes (%.1f%%).</p>\n",
            (unsigned long long)a->dup_docs, (unsigned long long)a->docs,
            a->docs ? 100.0 * (double)a->dup_docs / (double)a->docs : 0.0,
            (unsigned long long)a->dup_bytes, (unsigned long long)a->bytes,
            a->bytes ? 100.0 * (double)a->dup_bytes / (double)a->bytes : 0.0);
    if (r->stats.n_clusters) {
        fputs(
            "<table><tr><th>documents in a cluster</th><th>clusters</th><th>documents</th></tr>\n",
            out);
        for (unsigned k = 0; k < ND_SIZE_CLASSES; k++)
            if (cs.clusters[k] && k == 0)
                fprintf(out, "<tr><td>2</td><td>%llu</td><td>%llu</td></tr>\n",
                        (unsigned long long)cs.clusters[k],
                        (unsigned long long)cs.clustered_docs[k]);
            else if (cs.clusters[k])
                fprintf(out, "<tr><td>%llu-%llu</td><td>%llu</td><td>%llu</td></tr>\n",
                        (1ull << k) + 1, 2ull << k, (unsigned long long)cs.clusters[k],
                        (unsigned long long)cs.clustered_docs[k]);
        fputs("</table>\n", out);
    }
    nd_crawl_stats_dispose(&cs);
    return 0;
}

int nd_write_report_html(const nd_result *r, FILE *out)
{
    put_head(out, &r->stats);
    const int summed = put_crawl_summary(out, r);
    if (summed < 0)
        return summed;
    put_clusters(out, r);
    put_pairs(out, r);
    const int rc = put_passages(out, r);
    fputs("</body>\n</html>\n", out);
    if (rc < 0)
        return rc;
    return fflush(out) != 0 || ferror(out) ? ND_EIO : 0;
}
