/*
 * fuzz_pipeline.h: runs the whole pipeline on one source of fuzzed bytes.
 */
#ifndef ND_FUZZ_PIPELINE_H
#define ND_FUZZ_PIPELINE_H

#include "input/corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* The options of every fuzzed run: passages on, a low threshold, one thread. */
static inline nd_options fuzz_options(nd_input_format format)
{
    nd_options opts = ND_OPTIONS_INIT;
    opts.input_format = format;
    opts.passages = 1;
    opts.threshold = 0.3;
    opts.threads = 1;
    opts.min_passage = 5;
    return opts;
}

/* Runs everything on corpus c (then freed) and writes every output to a memory stream;
 * every passage must slice its text. */
static inline void fuzz_run(nd_corpus *c)
{
    nd_result *r = NULL;
    CHECK(nd_corpus_run(c, &r) == 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    CHECK(out);
    CHECK(nd_write_pairs(r, out, ND_FORMAT_CSV) == 0);
    CHECK(nd_write_clusters(r, out, ND_FORMAT_JSONL) == 0);
    CHECK(nd_write_passages(r, out, ND_FORMAT_CSV, 1) == 0);
    CHECK(nd_write_kept_lines(r, out) == 0);
    CHECK(nd_write_report_html(r, out) == 0);
    CHECK(nd_write_run_info(r, out) == 0);
    fclose(out);
    free(buf);
    for (size_t i = 0; i < nd_result_n_passages(r); i++) {
        const nd_passage *p = nd_result_passage(r, i);
        unsigned char *text;
        size_t n;
        CHECK(nd_doc_load(c, &c->docs[p->doc_a], &text, &n) == 0);
        CHECK(p->a_start < p->a_end && p->a_end <= n);
        free(text);
        CHECK(p->doc_a != p->doc_b || p->a_end <= p->b_start);
    }
    nd_result_free(r);
    nd_corpus_free(c);
}

/* Reads data as a source held in memory, in the given format, and runs everything. */
static inline void fuzz_pipeline(const uint8_t *data, size_t size, nd_input_format format)
{
    const nd_options opts = fuzz_options(format);
    nd_corpus *c = NULL;
    unsigned char *copy = malloc(size ? size : 1);
    CHECK(copy && nd_corpus_new(&c, &opts) == 0);
    memcpy(copy, data, size);
    CHECK(nd_corpus_add_source_bytes(c, "fuzz", copy, size) == 0);
    fuzz_run(c);
}

#endif
