/*
 * corpus.c: the nd_corpus handle, options and diagnostics.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, strdup */
#include "input/corpus.h"
#include "common/options.h"
#include "common/scratch.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <unicode/uversion.h>
#include <xxhash.h>

/* The first field each version of nd_options lacks: a program built with an older header
 * passes a shorter struct, and only its fields are read. */
static size_t options_size(int version)
{
    static const size_t sizes[] = {0,
                                   offsetof(nd_options, all_pairs),
                                   offsetof(nd_options, max_doc_size),
                                   offsetof(nd_options, html),
                                   offsetof(nd_options, title_key),
                                   sizeof(nd_options)};
    return sizes[version];
}

/* *o as this version's options: the fields an older caller's struct lacks take their
 * defaults. False for a version this library does not know. */
static bool current_options(const nd_options *o, nd_options *out)
{
    const nd_options defaults = ND_OPTIONS_INIT;
    *out = defaults;
    if (o->version < 1 || o->version > ND_OPTIONS_VERSION)
        return false;
    memcpy(out, o, options_size(o->version));
    out->version = ND_OPTIONS_VERSION;
    return true;
}

int nd_options_check(const nd_options *given, const char **why)
{
    const char *bad = NULL;
    nd_options current;
    const nd_options *o = &current;
    if (!current_options(given, &current))
        bad = "version (use ND_OPTIONS_INIT)";
    else if (nd_options_out_of_range(o)) /* the ranges of the table in common/options.c */
        bad = nd_options_out_of_range(o);
    else if ((long)o->bands * o->rows > o->num_perm)
        bad = "bands x rows: at most num-perm";
    else if ((o->bands == 0) != (o->rows == 0))
        bad = "bands and rows go together";
    else if (o->passages && o->min_passage < o->shingle_k)
        bad = "min-passage: at least the shingle length";
    else if (o->html < ND_HTML_AUTO || o->html > ND_HTML_OFF)
        bad = "html: auto, text or off";
    else if (o->charset && nd_charset_find(o->charset, false) == ND_CHARSET_UNKNOWN)
        bad = "charset: not a charset ICU knows";
    if (why)
        *why = bad;
    return bad ? ND_EINVAL : 0;
}

int nd_corpus_new(nd_corpus **out, const nd_options *opts)
{
    const nd_options defaults = ND_OPTIONS_INIT;
    nd_options current;
    if (!opts)
        opts = &defaults;
    if (nd_options_check(opts, NULL) < 0 || !current_options(opts, &current))
        return ND_EINVAL;
    opts = &current;
    nd_corpus *c = calloc(1, sizeof(*c));
    if (!c)
        return ND_ENOMEM;
    c->opts = *opts;
    c->spool_fd = -1;
    c->id_key = strdup(opts->id_key ? opts->id_key : "id");
    c->text_key = strdup(opts->text_key ? opts->text_key : "text");
    if (!c->id_key || !c->text_key) {
        nd_corpus_free(c);
        return ND_ENOMEM;
    }
    c->opts.id_key = c->id_key;
    c->opts.text_key = c->text_key;
    if (opts->tmpdir && !(c->tmpdir = strdup(opts->tmpdir))) {
        nd_corpus_free(c);
        return ND_ENOMEM;
    }
    c->opts.tmpdir = c->tmpdir;
    if (opts->charset && !(c->charset = strdup(opts->charset))) {
        nd_corpus_free(c);
        return ND_ENOMEM;
    }
    c->opts.charset = c->charset;
    if (opts->title_key && !(c->title_key = strdup(opts->title_key))) {
        nd_corpus_free(c);
        return ND_ENOMEM;
    }
    c->opts.title_key = c->title_key;
    c->view_rules = (nd_view_rules){opts->html, opts->html_main != 0,
                                    opts->charset ? nd_charset_find(opts->charset, false) : -1};
    *out = c;
    return 0;
}

void nd_corpus_free(nd_corpus *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_docs; i++) {
        nd_doc *d = &c->docs[i];
        free(d->id);
        free(d->url);
        free(d->error_text);
        free(d->charset_label);
    }
    for (size_t i = 0; i < c->n_sources; i++) {
        free(c->sources[i].path);
        free(c->sources[i].data);
    }
    if (c->spool_fd >= 0)
        close(c->spool_fd);
    free(c->sources);
    nd_scratch_unmap(NULL, c->docs, c->cap_docs * sizeof(*c->docs));
    free(c->id_key);
    free(c->text_key);
    free(c->tmpdir);
    free(c->charset);
    free(c->title_key);
    free(c);
}

void nd_corpus_set_diag(nd_corpus *c, nd_diag_fn fn, void *payload)
{
    c->diag = fn;
    c->diag_payload = payload;
}

void nd_corpus_set_progress(nd_corpus *c, nd_progress_fn fn, void *payload)
{
    c->progress = fn;
    c->progress_payload = payload;
}

void nd_corpus_set_run_progress(nd_corpus *c, nd_run_progress_fn fn, void *payload)
{
    c->run_progress = fn;
    c->run_progress_payload = payload;
}

void nd_report_progress(const nd_corpus *c, nd_stage stage, uint64_t done, uint64_t total,
                        const char *unit, uint64_t bytes_done)
{
    if (c->run_progress)
        c->run_progress(&(nd_run_progress){stage, done, total, unit, bytes_done},
                        c->run_progress_payload);
}

size_t nd_corpus_size(const nd_corpus *c)
{
    return c->n_docs;
}

const char *nd_corpus_doc_url(const nd_corpus *c, uint32_t doc)
{
    return doc < c->n_docs ? c->docs[doc].url : NULL;
}

const char *nd_corpus_doc_id(const nd_corpus *c, uint32_t doc)
{
    return doc < c->n_docs ? c->docs[doc].id : NULL;
}

void nd_report(const nd_corpus *c, nd_diag_level level, int code, const char *path, int64_t offset,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nd_vreport(c->diag, c->diag_payload, level, code, path, offset, fmt, ap);
    va_end(ap);
}

const char *nd_version(void)
{
    return ND_VERSION_STRING;
}

void nd_version_details(char *buf, size_t len)
{
    UVersionInfo icu;
    char icu_text[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(icu);
    u_versionToString(icu, icu_text);
    const unsigned xxh = XXH_versionNumber();
    snprintf(buf, len, "neardup %s (ICU %s, xxHash %u.%u.%u)", ND_VERSION_STRING, icu_text,
             xxh / 10000, xxh / 100 % 100, xxh % 100);
}
