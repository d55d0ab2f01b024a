/*
 * report_html.c: results -> one self-contained HTML page for the people who read them.
 *
 * What a deduplication would remove and the charts (which pairs are compared, how
 * similar they are, clusters by size, duplicates by host); a contents list; then one section per
 * cluster, largest first: each distinct text by its title (first line), id, date and the share of
 * its wording it has in common with the kept one, identical copies on one line, and the passages
 * its documents share side by side, the words that differ marked; last, passages that documents
 * which are no near-duplicates share (a quote, a tweet).
 *
 * The page loads nothing (no script, font or image), so it opens offline and cannot
 * leak. Right-to-left text is shown right: each text block has dir="auto" and
 * unicode-bidi: plaintext, ids are isolated in <bdi>, and marks change the background
 * only, since a change of weight would break the joining of Arabic letters. Everything
 * from the documents is escaped. A page's text is shown, not its markup (the view the
 * scan made).
 *
 * Its size is bounded whatever the input: at most MAX_CLUSTERS clusters, MAX_ROWS texts
 * of each, MAX_CLUSTER_PASSAGES passages of each, MAX_OTHER_PASSAGES others, each side of
 * a passage cut at SIDE_BYTES with CONTEXT_BYTES around it (docs/ARCHITECTURE.md).
 */
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#include "output/report_parts.h"

#include "common/utf8.h"
#include "input/jsonl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CLUSTERS 200
#define MAX_ROWS 12
#define MAX_CLUSTER_PASSAGES 3
#define MAX_OTHER_PASSAGES 100
#define SIDE_BYTES 2000
#define CONTEXT_BYTES 200
#define TITLE_BYTES 110

void nd_put_escaped(FILE *out, const unsigned char *s, size_t len)
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
    nd_put_escaped(out, (const unsigned char *)s, strlen(s));
}

static const char style[] =
    "body{font-family:system-ui,'Noto Sans Arabic','Noto Sans','DejaVu Sans',sans-serif;"
    "margin:2em;color:#1d1d1f;background:#fff;line-height:1.5;max-width:80em}"
    "h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #d0d0d0;padding:.25em .6em;text-align:start;vertical-align:top}"
    "th{background:#f3f3f3}td.num{text-align:end;font-variant-numeric:tabular-nums}"
    ".charts{display:flex;flex-wrap:wrap;gap:1.5em}.chart{margin:0}"
    ".cluster{margin-top:2.5em}.kept{background:#e8f4ea}"
    ".title{unicode-bidi:plaintext}.copies{font-size:.85em;color:#555}"
    ".passage{margin:1.2em 0;padding-top:.6em;border-top:2px solid #999}"
    ".pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}"
    ".meta{font-size:.85em;color:#555;margin-bottom:.3em}"
    ".text{white-space:pre-wrap;unicode-bidi:plaintext;line-height:1.9;border:1px solid #ddd;"
    "border-radius:4px;padding:.6em .8em;max-height:28em;overflow:auto;font-size:1.05em}"
    "mark{background:#fff3c4;color:inherit}"
    "ins{background:#b7e4c7;text-decoration:none}"
    "del{background:#f4b6b6;text-decoration:none}"
    ".note{color:#666}";

/* "%llu %s" arguments: a count and its noun, singular for 1. */
#define COUNT(n, one, many) (unsigned long long)(n), (n) == 1 ? (one) : (many)

static void put_id(FILE *out, const nd_corpus *c, uint32_t doc)
{
    fputs("<bdi>", out);
    put_escaped_str(out, c->docs[doc].id ? c->docs[doc].id : "");
    fputs("</bdi>", out);
}

/* ---------------------------------------------------------------- texts as shown */

/* A document's text as shown: its bytes, and a page's text or a legacy charset's
 * converted (the view the scan made). */
typedef struct shown_text {
    unsigned char *bytes;
    size_t len;
    nd_text_view view;
    bool has_view;
    const unsigned char *text;
    size_t text_len;
} shown_text;

static int load_text(const nd_corpus *c, uint32_t doc, shown_text *t)
{
    free(t->bytes);
    t->bytes = NULL;
    int rc = nd_doc_load(c, &c->docs[doc], &t->bytes, &t->len);
    if (rc < 0)
        return rc;
    nd_view_spec spec;
    nd_doc_view_spec(c, &c->docs[doc], t->bytes, t->len, &spec);
    t->has_view = !nd_view_is_identity(&spec);
    t->text = t->bytes;
    t->text_len = t->len;
    if (t->has_view && (rc = nd_text_view_make(&t->view, t->bytes, t->len, &spec)) == 0) {
        t->text = t->view.text;
        t->text_len = t->view.len;
    }
    return rc;
}

static void text_dispose(shown_text *t)
{
    free(t->bytes);
    nd_text_view_dispose(&t->view);
}

/* The text of body bytes [start, end): [*from, *to) of t->text. */
static void text_span(const shown_text *t, uint64_t start, uint64_t end, size_t *from, size_t *to)
{
    if (!t->has_view) {
        *from = (size_t)start;
        *to = (size_t)end;
        return;
    }
    uint32_t a, b;
    nd_text_view_span(&t->view, (uint32_t)start, (uint32_t)end, &a, &b);
    *from = a;
    *to = b;
}

/* Moves at back to the start of the UTF-8 sequence it is in. */
static size_t char_start(const unsigned char *s, size_t at)
{
    while (at > 0 && (s[at] & 0xC0) == 0x80)
        at--;
    return at;
}

/* Writes a title of n bytes, at most TITLE_BYTES of it. */
static void put_title_text(FILE *out, const unsigned char *s, size_t n)
{
    const size_t to = n > TITLE_BYTES ? char_start(s, TITLE_BYTES) : n;
    fputs("<span class=\"title\" dir=\"auto\">", out);
    nd_put_escaped(out, s, to);
    fputs(to < n ? "&hellip;</span>" : "</span>", out);
}

/* The title at --title-key of a JSONL document, when it has one: true. */
static bool put_title_key(FILE *out, const nd_corpus *c, uint32_t doc)
{
    const nd_doc *d = &c->docs[doc];
    if (!c->opts.title_key || d->kind != ND_DOC_JSONL_LINE)
        return false;
    nd_reader reader = ND_READER_EXACT;
    const unsigned char *line;
    unsigned char *title = NULL;
    size_t cap = 0, len = 0;
    char why[128];
    const bool found = nd_doc_line(c, &reader, d, &line) == 0 &&
                       nd_jsonl_parse(line, d->length, c->id_key, c->opts.title_key, &title, &cap,
                                      &len, NULL, why, sizeof(why)) == 0 &&
                       len > 0;
    if (found)
        put_title_text(out, title, len);
    free(title);
    nd_reader_dispose(&reader);
    return found;
}

/* A document's title: at --title-key, else its first line that holds a letter. */
static void put_title(FILE *out, const nd_corpus *c, uint32_t doc, const shown_text *t)
{
    if (put_title_key(out, c, doc))
        return;
    size_t at = 0;
    while (at < t->text_len) {
        const unsigned char *nl = memchr(t->text + at, '\n', t->text_len - at);
        const size_t end = nl ? (size_t)(nl - t->text) : t->text_len;
        size_t from = at;
        while (from < end &&
               (t->text[from] == ' ' || t->text[from] == '\t' || t->text[from] == '\r'))
            from++;
        if (end > from) {
            put_title_text(out, t->text + from, end - from);
            return;
        }
        at = end + 1;
    }
    fputs("<span class=\"note\">(no text)</span>", out);
}

/* ---------------------------------------------------------------- the summary */

static void put_head(FILE *out, const nd_stats *s)
{
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"und\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>neardup report</title>\n<style>%s</style>\n</head>\n<body>\n"
            "<h1>neardup report</h1>\n<p class=\"summary\">%llu %s, %llu %s; "
            "%llu %s of near-duplicates (documents that repeat one another with small "
            "changes), %llu %s to remove; %llu shared %s.</p>\n",
            style, COUNT(s->n_docs, "document", "documents"), COUNT(s->n_bytes, "byte", "bytes"),
            COUNT(s->n_clusters, "group", "groups"),
            COUNT(s->n_duplicates, "document", "documents"),
            COUNT(s->n_passages, "passage", "passages"));
}

/* What a deduplication would remove, and the charts. */
static int put_summary(FILE *out, const nd_result *r)
{
    nd_crawl_stats cs;
    const int rc = nd_crawl_stats_of(r, &cs);
    if (rc < 0)
        return rc;
    const nd_dup_count *a = &cs.all;
    fprintf(out,
            "<p class=\"summary\">Deduplicating would remove %llu of %llu documents (%.1f%%) "
            "and %llu of %llu bytes (%.1f%%).</p>\n<div class=\"charts\">\n",
            (unsigned long long)a->dup_docs, (unsigned long long)a->docs,
            a->docs ? 100.0 * (double)a->dup_docs / (double)a->docs : 0.0,
            (unsigned long long)a->dup_bytes, (unsigned long long)a->bytes,
            a->bytes ? 100.0 * (double)a->dup_bytes / (double)a->bytes : 0.0);
    if (r->stats.bands > 0)
        nd_put_lsh_chart(out, &r->stats, r->corpus->opts.threshold);
    nd_put_similarity_chart(out, &r->stats, r->corpus->opts.threshold);
    nd_put_cluster_chart(out, &cs);
    nd_put_host_chart(out, &cs);
    fputs("</div>\n", out);
    nd_crawl_stats_dispose(&cs);
    return 0;
}

/* ---------------------------------------------------------------- clusters */

/* A cluster: where its members start in r->members, and how many. */
typedef struct cluster_ref {
    size_t first;
    uint32_t size, number;
} cluster_ref;

static int by_size(const void *a, const void *b)
{
    const cluster_ref *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

/* The clusters, largest first (members are listed cluster by cluster). */
static int list_clusters(const nd_result *r, cluster_ref **out, size_t *n)
{
    *n = 0;
    *out = malloc((r->n_members + 1) * sizeof(**out));
    if (!*out)
        return ND_ENOMEM;
    for (size_t i = 0; i < r->n_members; i++)
        if (i == 0 || r->members[i].cluster != r->members[i - 1].cluster)
            (*out)[(*n)++] = (cluster_ref){i, r->members[i].size, r->members[i].cluster};
    nd_sort(*out, *n, sizeof(**out), by_size);
    return 0;
}

/* The member of each document, or UINT32_MAX. */
static uint32_t *member_of_docs(const nd_result *r)
{
    uint32_t *of = malloc((r->corpus->n_docs + 1) * sizeof(*of));
    if (!of)
        return NULL;
    memset(of, 0xFF, (r->corpus->n_docs + 1) * sizeof(*of));
    for (size_t i = 0; i < r->n_members; i++)
        of[r->members[i].doc] = (uint32_t)i;
    return of;
}

static int put_contents(FILE *out, const nd_result *r, const cluster_ref *cl, size_t n)
{
    shown_text t = {0};
    int rc = 0;
    fputs("<h2 id=\"contents\">Groups of near-duplicates</h2>\n", out);
    if (n == 0) {
        fputs("<p class=\"note\">No document repeats another.</p>\n", out);
        return 0;
    }
    fputs("<ol class=\"contents\">\n", out);
    for (size_t k = 0; k < n && k < MAX_CLUSTERS && rc == 0; k++) {
        const uint32_t kept = r->members[cl[k].first].kept_doc;
        fprintf(out, "<li><a href=\"#cluster-%u\">group %u</a>: %u documents, kept ", cl[k].number,
                cl[k].number, cl[k].size);
        put_id(out, r->corpus, kept);
        if ((rc = load_text(r->corpus, kept, &t)) == 0) {
            fputs(": ", out);
            put_title(out, r->corpus, kept, &t);
        }
        fputs("</li>\n", out);
    }
    fputs("</ol>\n", out);
    text_dispose(&t);
    if (n > MAX_CLUSTERS)
        fprintf(out,
                "<p class=\"note\">The %u largest of %zu groups are shown; <code>--clusters "
                "FILE</code> lists them all.</p>\n",
                MAX_CLUSTERS, n);
    return rc;
}

static void put_date(FILE *out, int64_t date)
{
    if (date == ND_NO_DATE)
        return;
    const time_t t = (time_t)date;
    struct tm tm;
    char text[32];
    if (gmtime_r(&t, &tm) && strftime(text, sizeof(text), "%Y-%m-%d", &tm))
        fprintf(out, " &middot; %s", text);
}

/* Links to the passages shown that doc is a side of. */
static void put_passage_links(FILE *out, const nd_result *r, uint32_t doc, const size_t *shown,
                              size_t n_shown)
{
    size_t links = 0;
    for (size_t k = 0; k < n_shown; k++) {
        const nd_passage *p = &r->passages[shown[k]];
        if (p->doc_a != doc && p->doc_b != doc)
            continue;
        fprintf(out, "%s<a href=\"#passage-%zu\">passage %zu</a>",
                links++ ? ", " : " &middot; shares ", shown[k] + 1, shown[k] + 1);
    }
}

/* The rows of a cluster: each distinct text once (its copies on its line), the kept
 * document first, at most MAX_ROWS of them, each with links to its passages shown. */
static int put_cluster_rows(FILE *out, const nd_result *r, const cluster_ref *cl, shown_text *t,
                            const size_t *shown, size_t n_shown)
{
    const nd_corpus *c = r->corpus;
    const uint32_t kept = r->members[cl->first].kept_doc;
    size_t rows = 0, left_out = 0;
    fputs("<table class=\"members\"><tr><th>document</th><th>wording shared with the kept "
          "one</th></tr>\n",
          out);
    for (int pass = 0; pass < 2; pass++) /* the kept one, then the others */
        for (size_t i = cl->first; i < cl->first + cl->size; i++) {
            const uint32_t doc = r->members[i].doc;
            if ((pass == 0) != (doc == kept) || nd_doc_is_copy(c, doc))
                continue; /* a copy is on its text's line */
            if (rows == MAX_ROWS) {
                left_out++;
                continue;
            }
            const int rc = load_text(c, doc, t);
            if (rc < 0)
                return rc;
            rows++;
            fprintf(out, "<tr%s id=\"doc-%u\"><td>", doc == kept ? " class=\"kept\"" : "", doc);
            put_title(out, c, doc, t);
            fputs("<div class=\"meta\">", out);
            put_id(out, c, doc);
            put_date(out, c->docs[doc].date);
            fputs(doc == kept ? " &middot; <strong>kept</strong>" : "", out);
            put_passage_links(out, r, doc, shown, n_shown);
            size_t copies = 0;
            for (size_t j = cl->first; j < cl->first + cl->size; j++)
                copies += c->docs[r->members[j].doc].text_first == doc && r->members[j].doc != doc;
            if (copies) {
                fprintf(out, "</div><div class=\"copies\">%zu identical %s: ", copies,
                        copies == 1 ? "copy" : "copies");
                size_t listed = 0;
                for (size_t j = cl->first; j < cl->first + cl->size && listed < 5; j++)
                    if (c->docs[r->members[j].doc].text_first == doc && r->members[j].doc != doc) {
                        fputs(listed++ ? ", " : "", out);
                        put_id(out, c, r->members[j].doc);
                    }
                fputs(copies > listed ? ", &hellip;" : "", out);
            }
            if (doc == kept)
                fputs("</div></td><td>the kept one</td></tr>\n", out);
            else
                fprintf(out, "</div></td><td class=\"num\">%.0f%%</td></tr>\n",
                        100.0 * r->kept_jaccard[i]);
        }
    fputs("</table>\n", out);
    if (left_out)
        fprintf(out,
                "<p class=\"note\">%zu more distinct %s; <code>--clusters FILE</code> lists "
                "every member.</p>\n",
                left_out, left_out == 1 ? "text" : "texts");
    return 0;
}

/* ---------------------------------------------------------------- passages */

/* One side of a passage: its document, and the span marked in its context, the words
 * the other side lacks marked inside. */
static int put_side(FILE *out, const nd_corpus *c, uint32_t doc, const shown_text *t, size_t from,
                    size_t to, const shown_text *other, size_t other_from, size_t other_to,
                    uint64_t byte_start, uint64_t byte_end, uint32_t words, bool side_b)
{
    const size_t shown_to = to - from > SIDE_BYTES ? char_start(t->text, from + SIDE_BYTES) : to;
    const size_t other_shown = other_to - other_from > SIDE_BYTES
                                   ? char_start(other->text, other_from + SIDE_BYTES)
                                   : other_to;
    size_t before = from > CONTEXT_BYTES ? char_start(t->text, from - CONTEXT_BYTES) : 0;
    size_t after = shown_to == to && to + CONTEXT_BYTES < t->text_len
                       ? char_start(t->text, to + CONTEXT_BYTES)
                   : shown_to == to ? t->text_len
                                    : shown_to;
    fputs("<div class=\"side\"><div class=\"meta\">", out);
    put_id(out, c, doc);
    fprintf(out, " &middot; bytes %llu&ndash;%llu &middot; %u words</div>\n",
            (unsigned long long)byte_start, (unsigned long long)byte_end, words);
    fputs("<div class=\"text\" dir=\"auto\">", out);
    if (before > 0)
        fputs("&hellip;", out);
    nd_put_escaped(out, t->text + before, from - before);
    fputs("<mark>", out);
    const int rc = nd_put_word_diff(out, t->text + from, shown_to - from, other->text + other_from,
                                    other_shown - other_from, side_b);
    fputs("</mark>", out);
    if (shown_to < to)
        fputs("&hellip;", out);
    nd_put_escaped(out, t->text + shown_to, after - shown_to);
    if (after < t->text_len && shown_to == to)
        fputs("&hellip;", out);
    fputs("</div></div>\n", out);
    return rc;
}

static int put_passage(FILE *out, const nd_result *r, size_t i, shown_text *a, shown_text *b)
{
    const nd_corpus *c = r->corpus;
    const nd_passage *p = &r->passages[i];
    int rc = load_text(c, p->doc_a, a);
    if (rc == 0)
        rc = load_text(c, p->doc_b, b);
    if (rc < 0)
        return rc;
    if (p->a_end > a->len || p->b_end > b->len)
        return ND_EIO; /* changed since it was read */
    size_t a_from, a_to, b_from, b_to;
    text_span(a, p->a_start, p->a_end, &a_from, &a_to);
    text_span(b, p->b_start, p->b_end, &b_from, &b_to);
    fprintf(out,
            "<section class=\"passage\" id=\"passage-%zu\"><div class=\"meta\">passage %zu "
            "&middot; %.0f%% of its words the same",
            i + 1, i + 1, 100 * p->score);
    fputs(p->doc_a == p->doc_b ? " &middot; repeated inside one document" : "", out);
    fputs(" &middot; <del>only on the left</del> <ins>only on the right</ins></div>\n"
          "<div class=\"pair\">\n",
          out);
    rc = put_side(out, c, p->doc_a, a, a_from, a_to, b, b_from, b_to, p->a_start, p->a_end,
                  p->words_a, false);
    if (rc == 0)
        rc = put_side(out, c, p->doc_b, b, b_from, b_to, a, a_from, a_to, p->b_start, p->b_end,
                      p->words_b, true);
    fputs("</div></section>\n", out);
    return rc;
}

/* The passages whose documents are both in cluster number (or, for 0, in no common
 * cluster), in their order (by documents): the first max into shown (*n_shown of them),
 * and *left_out the count of the others. */
static void select_passages(const nd_result *r, const uint32_t *member_of, uint32_t number,
                            size_t max, size_t *shown, size_t *n_shown, size_t *left_out)
{
    *n_shown = *left_out = 0;
    for (size_t i = 0; i < r->n_passages; i++) {
        const nd_passage *p = &r->passages[i];
        const uint32_t ma = member_of[p->doc_a], mb = member_of[p->doc_b];
        const uint32_t ca = ma == UINT32_MAX ? 0 : r->members[ma].cluster;
        const uint32_t cb = mb == UINT32_MAX ? 0 : r->members[mb].cluster;
        if (number ? ca != number || cb != number : ca && ca == cb)
            continue;
        if (*n_shown < max)
            shown[(*n_shown)++] = i;
        else
            ++*left_out;
    }
}

static int put_passages(FILE *out, const nd_result *r, const size_t *shown, size_t n, shown_text *a,
                        shown_text *b)
{
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++)
        rc = put_passage(out, r, shown[k], a, b);
    return rc;
}

static void put_passages_left_out(FILE *out, size_t left_out)
{
    if (left_out)
        fprintf(out,
                "<p class=\"note\">%zu more shared %s; <code>--passages FILE</code> lists "
                "them all.</p>\n",
                left_out, left_out == 1 ? "passage" : "passages");
}

static int put_clusters(FILE *out, const nd_result *r, const cluster_ref *cl, size_t n,
                        const uint32_t *member_of)
{
    shown_text t = {0}, a = {0}, b = {0};
    int rc = 0;
    for (size_t k = 0; k < n && k < MAX_CLUSTERS && rc == 0; k++) {
        fprintf(out,
                "<section class=\"cluster\" id=\"cluster-%u\"><h3>Group %u: %u documents</h3>\n",
                cl[k].number, cl[k].number, cl[k].size);
        size_t shown[MAX_CLUSTER_PASSAGES], n_shown, left_out;
        select_passages(r, member_of, cl[k].number, MAX_CLUSTER_PASSAGES, shown, &n_shown,
                        &left_out);
        rc = put_cluster_rows(out, r, &cl[k], &t, shown, n_shown);
        if (rc == 0)
            rc = put_passages(out, r, shown, n_shown, &a, &b);
        put_passages_left_out(out, left_out);
        fputs("<p><a href=\"#contents\">back to the groups</a></p></section>\n", out);
    }
    text_dispose(&t);
    text_dispose(&a);
    text_dispose(&b);
    return rc;
}

static int put_other_passages(FILE *out, const nd_result *r, const uint32_t *member_of)
{
    shown_text a = {0}, b = {0};
    fputs("<h2>Passages shared by documents that are not near-duplicates</h2>\n", out);
    if (!r->corpus->opts.passages)
        fputs("<p class=\"note\">Passages were not searched (<code>--passages FILE</code> "
              "or <code>--report</code> searches them).</p>\n",
              out);
    size_t shown[MAX_OTHER_PASSAGES], n_shown, left_out;
    select_passages(r, member_of, 0, MAX_OTHER_PASSAGES, shown, &n_shown, &left_out);
    const int rc = put_passages(out, r, shown, n_shown, &a, &b);
    put_passages_left_out(out, left_out);
    text_dispose(&a);
    text_dispose(&b);
    return rc;
}

int nd_write_report_html(const nd_result *r, FILE *out)
{
    cluster_ref *cl = NULL;
    size_t n_clusters = 0;
    uint32_t *member_of = member_of_docs(r);
    int rc = member_of ? list_clusters(r, &cl, &n_clusters) : ND_ENOMEM;
    if (rc == 0) {
        put_head(out, &r->stats);
        rc = put_summary(out, r);
    }
    if (rc == 0) {
        rc = put_contents(out, r, cl, n_clusters);
        if (rc == 0)
            rc = put_clusters(out, r, cl, n_clusters, member_of);
    }
    if (rc == 0)
        rc = put_other_passages(out, r, member_of);
    fputs("</body>\n</html>\n", out);
    free(cl);
    free(member_of);
    if (rc < 0)
        return rc;
    return fflush(out) != 0 || ferror(out) ? ND_EIO : 0;
}
