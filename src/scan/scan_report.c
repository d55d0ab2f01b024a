/*
 * scan_report.c: what the scan found wrong with documents, told in input order
 * whatever the threads did (see scan.h).
 */
#include "scan/scan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* A document of more than --max-doc-size bytes: a warning with its size where it is
 * known; an error for a stream (a pipe, a device, a compressed document) that was not
 * read past the limit. */
static void report_oversize(const nd_run_ctx *ctx, const nd_corpus *c, const nd_doc *d,
                            const char *where)
{
    const uint64_t size = nd_doc_size(c, d), max = c->opts.max_doc_size;
    const int64_t offset = d->kind == ND_DOC_SLICE ? (int64_t)d->offset : -1;
    if (size == UINT64_MAX)
        nd_run_report(ctx, ND_DIAG_ERROR, ND_EINVAL, where, offset,
                      "more than --max-doc-size (%" PRIu64 " bytes), not read further, skipped",
                      max);
    else if (size > max)
        nd_run_report(ctx, ND_DIAG_WARNING, ND_EINVAL, where, offset,
                      "%" PRIu64 " bytes, more than --max-doc-size (%" PRIu64 " bytes), skipped",
                      size, max);
    else
        nd_run_report(ctx, ND_DIAG_WARNING, ND_EINVAL, where, offset,
                      "more than --max-doc-size (%" PRIu64 " bytes), skipped", max);
}

/* What the scan decided of a document's charset, when it is worth telling: ICU's guess
 * (a note, shown with -v), or a page's charset that ICU does not know (a warning). */
static void report_charset(const nd_run_ctx *ctx, const nd_corpus *c, const nd_doc *d,
                           const char *where)
{
    (void)c;
    if (d->charset_label)
        nd_run_report(ctx, ND_DIAG_WARNING, ND_EFORMAT, where, -1,
                      "the page's <meta> names charset '%s', which ICU does not know; read as %s",
                      d->charset_label, nd_charset_name(d->charset));
    if (d->charset_from == ND_CHARSET_FROM_DETECTOR)
        nd_run_report(ctx, ND_DIAG_NOTE, 0, where, -1,
                      "not UTF-8: read as %s, ICU's detector's guess (confidence %u of 100)",
                      nd_charset_name(d->charset), d->charset_confidence);
}

/* Problems found while scanning, reported in input order whatever the threads did. */
static void report_documents(const nd_run_ctx *ctx, const nd_corpus *c, nd_stats *st)
{
    for (size_t i = 0; i < c->n_docs; i++) {
        const nd_doc *d = &c->docs[i];
        char where[4096];
        if (d->kind == ND_DOC_JSONL_LINE)
            snprintf(where, sizeof(where), "%s:%u", nd_doc_path(c, d), d->line);
        else
            snprintf(where, sizeof(where), "%s", nd_doc_path(c, d));
        st->n_bytes += d->n_bytes;
        st->n_tokens += d->n_tokens;
        st->n_shingles += d->n_shingles;
        if (d->status == ND_DOC_EMPTY)
            st->n_empty++;
        if (d->invalid_utf8) {
            st->n_invalid_utf8++;
            nd_run_report(ctx, d->error == ND_EUTF8 ? ND_DIAG_ERROR : ND_DIAG_WARNING, ND_EUTF8,
                          where, d->first_invalid, "invalid UTF-8%s",
                          d->error == ND_EUTF8 ? ", document skipped (--strict)"
                                               : ", read as U+FFFD");
        }
        report_charset(ctx, c, d, where);
        if (d->grown_size)
            nd_run_report(ctx, ND_DIAG_WARNING, ND_EIO, where, -1,
                          "grew to %" PRIu64 " bytes while neardup ran: read as listed, %" PRIu64
                          " bytes",
                          d->grown_size, d->listed_size);
        if (d->status != ND_DOC_SKIPPED)
            continue;
        st->n_skipped++;
        if (d->error == ND_EFORMAT && d->error_text)
            nd_run_report(ctx, ND_DIAG_ERROR, ND_EFORMAT, where,
                          d->kind == ND_DOC_SLICE ? (int64_t)d->offset : -1, "%s, %s skipped",
                          d->error_text, d->kind == ND_DOC_SLICE ? "record" : "line");
        else if (d->error == ND_EFORMAT)
            nd_run_report(ctx, ND_DIAG_WARNING, ND_EFORMAT, where, d->first_invalid,
                          "NUL byte: binary file, skipped");
        else if (d->error == ND_EIO)
            nd_run_report(ctx, ND_DIAG_ERROR, ND_EIO, where, -1, "%s", strerror(d->error_errno));
        else if (d->error == ND_EINVAL)
            report_oversize(ctx, c, d, where);
    }
}

/* Ids that come from the data (JSONL keys, WARC record ids) may repeat: say so, once
 * per repeated id, in input order. */
static int report_duplicate_ids(const nd_run_ctx *ctx, const nd_corpus *c)
{
    nd_hash_doc *slots = malloc((c->n_docs ? c->n_docs : 1) * sizeof(*slots));
    size_t n = 0;
    if (!slots)
        return ND_ENOMEM;
    for (size_t i = 0; i < c->n_docs; i++)
        if (c->docs[i].id && c->docs[i].kind != ND_DOC_WHOLE)
            slots[n++] =
                (nd_hash_doc){XXH3_64bits(c->docs[i].id, strlen(c->docs[i].id)), (uint32_t)i};
    nd_sort(slots, n, sizeof(*slots), nd_compare_hash_docs);
    for (size_t lo = 0, hi; lo < n; lo = hi) {
        const char *id = c->docs[slots[lo].doc].id;
        for (hi = lo + 1; hi < n && slots[hi].hash == slots[lo].hash; hi++)
            ;
        size_t same = 1; /* a 64-bit hash collision of different ids is told apart here */
        while (same < hi - lo && !strcmp(c->docs[slots[lo + same].doc].id, id))
            same++;
        if (same > 1)
            nd_run_report(ctx, ND_DIAG_WARNING, ND_EFORMAT, nd_doc_path(c, &c->docs[slots[lo].doc]),
                          -1,
                          "duplicate id \"%s\": %zu documents (the first two are numbers %u and %u "
                          "in input order)",
                          id, same, slots[lo].doc + 1, slots[lo + 1].doc + 1);
    }
    free(slots);
    return 0;
}

int nd_scan_report(const nd_run_ctx *ctx, const nd_corpus *c, nd_stats *stats)
{
    report_documents(ctx, c, stats);
    return report_duplicate_ids(ctx, c);
}
