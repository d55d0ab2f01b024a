/*
 * test_scan_records.c: documents scanned in parts, each on a run context of its own,
 * turned into records and imported by the run (as neardup-mpi's ranks do), give the run
 * of one scan byte for byte: pairs, clusters, the remove list, passages, passage
 * clusters and the report. And damaged records are refused, never read past their end.
 */
#define _GNU_SOURCE /* open_memstream */
#include "pipeline/pipeline.h"
#include "pipeline/sets_needed.h"
#include "scan/scan_records.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A JSONL file of the demo's articles cut into paragraphs and put back together in
 * several orders, with lines a scan refuses or reads in a charset of their own: bad
 * JSON, no text, an empty text, a NUL byte, invalid UTF-8, a page of HTML, no id. */
static void write_jsonl(const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 60; i++) {
        size_t len;
        char *seed = read_seed(i % 5, &len);
        const size_t cut = (size_t)(i * 97) % (len / 2);
        fprintf(f, "{\"id\":\"doc-%d\",\"text\":\"", i);
        for (size_t k = cut; k < len; k++) {
            const unsigned char ch = (unsigned char)seed[k];
            if (ch == '"' || ch == '\\')
                fprintf(f, "\\%c", ch);
            else if (ch < 0x20)
                fprintf(f, "\\u%04x", ch);
            else
                fputc(ch, f);
        }
        fputs("\"}\n", f);
        free(seed);
        if (i % 13 == 5)
            fputs("{\"id\":\"bad\",\"text\":\n{\"id\":\"none\"}\n{\"id\":\"empty\",\"text\":\"\"}\n"
                  "{\"id\":\"nul\",\"text\":\"a\\u0000b\"}\n{\"text\":\"no id here at all\"}\n"
                  "{\"id\":\"latin\",\"text\":\"caf\xe9 cr\xe8me br\xfbl\xe9\"}\n"
                  "{\"id\":\"page\",\"text\":\"<html><body><p>one two three four five six "
                  "seven</p></body></html>\"}\n",
                  f);
    }
    fclose(f);
}

typedef struct outputs {
    char *text[6];
} outputs;

static void write_all(const nd_result *r, outputs *o)
{
    for (int k = 0; k < 6; k++) {
        size_t len;
        FILE *f = open_memstream(&o->text[k], &len);
        cr_assert_not_null(f);
        int rc = k == 0   ? nd_write_pairs(r, f, ND_FORMAT_CSV)
                 : k == 1 ? nd_write_clusters(r, f, ND_FORMAT_JSONL)
                 : k == 2 ? nd_write_remove(r, f, ND_FORMAT_CSV)
                 : k == 3 ? nd_write_passages(r, f, ND_FORMAT_JSONL, 1)
                 : k == 4 ? nd_write_passage_clusters(r, f, ND_FORMAT_CSV, 1)
                          : nd_write_stats(r, f);
        cr_assert_eq(rc, 0);
        fclose(f);
    }
}

/* A part scanned by "another process": its own corpus of the same inputs, and its own
 * context, kept until the run ends (it sends the shingle sets asked for). */
typedef struct remote_part {
    nd_corpus *corpus;
    nd_run_ctx ctx;
    nd_scan_out scan;
    size_t first, end; /* batches */
} remote_part;

/* The run in parts: the first third scanned where the run reads it, the others by remote
 * parts whose records come as neardup-mpi's do (the heads first, with the signatures, of
 * which the band records are made here, where neardup-mpi's ranks make their own; with
 * passages of words all of them, as a part kept in --work-dir holds them, since here the
 * passage stage runs in one place; later the sets asked for, and the pairs of two
 * documents of one remote part verified there). */
typedef struct parts_run {
    const char *inputs[2];
    remote_part part[3];
    size_t n_parts;
    uint8_t *have, *need; /* bitmaps of the documents */
    size_t sets_sent, sets_all;
    size_t sets_moved; /* from a remote part (or the run) to another, with their heads */
    nd_pair *known;    /* the pairs verified by their remote part, sorted */
    size_t n_known, known_cap;
} parts_run;

static size_t first_doc(const nd_corpus *c, size_t batch)
{
    return batch * ND_SCAN_BATCH < c->n_docs ? batch * ND_SCAN_BATCH : c->n_docs;
}

static nd_corpus *corpus_of(const nd_options *o, const char *const inputs[2])
{
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, o), 0);
    for (int k = 0; k < 2; k++)
        cr_assert_eq(nd_corpus_add_path(c, inputs[k]), 0);
    return c;
}

static int scan_remote_part(nd_run_ctx *ctx, nd_corpus *c, const parts_run *run, remote_part *p,
                            nd_scan_out *out)
{
    const bool all = c->opts.passages && c->opts.shingle_unit == ND_UNIT_WORD;
    /* the signatures too: the band records are made here */
    const unsigned first = ND_RECORD_FIRST | ND_RECORD_BLOCK(ND_RECORD_SIGS);
    const nd_record_choice choice = {all ? ND_RECORD_ALL : first, NULL};
    nd_memory_pipe m = {0};
    const nd_record_pipe put = {nd_memory_put, &m}, get = {nd_memory_get, &m};
    nd_corpus *theirs = p->corpus = corpus_of(&c->opts, run->inputs);
    int rc = nd_run_ctx_open(&p->ctx, &theirs->opts, 0, 0, NULL, NULL);
    if (rc == 0)
        rc = nd_scan_begin(theirs, &p->scan);
    if (rc == 0)
        rc = nd_scan_part(&p->ctx, theirs, p->first, p->end, NULL, &p->scan);
    if (rc == 0)
        rc = nd_scan_records_send(p->ctx.spill, theirs, first_doc(c, p->first),
                                  first_doc(c, p->end), &choice, &put);
    if (rc == 0)
        rc = nd_scan_part(ctx, c, p->first, p->end, &get, out);
    cr_assert_eq(m.at, m.len, "every byte read");
    free(m.bytes);
    return rc;
}

static void mark_all(size_t first, size_t end, uint8_t *have)
{
    for (size_t i = first; i < end; i++)
        have[i / 8] |= (uint8_t)(1u << (i % 8));
}

static int scan_in_parts(nd_run_ctx *ctx, nd_corpus *c, nd_scan_out *out, void *payload)
{
    parts_run *run = payload;
    int rc = nd_scan_begin(c, out);
    const size_t n = out->n_batches, step = n / 3 + 1;
    run->have = calloc(c->n_docs / 8 + 1, 1);
    run->need = calloc(c->n_docs / 8 + 1, 1);
    cr_assert(run->have && run->need);
    rc = rc == 0 ? nd_scan_part(ctx, c, 0, step < n ? step : n, NULL, out) : rc;
    mark_all(0, first_doc(c, step), run->have);
    for (size_t first = step; first < n && rc == 0; first += step) {
        remote_part *p = &run->part[run->n_parts++];
        p->first = first;
        p->end = first + step < n ? first + step : n;
        rc = scan_remote_part(ctx, c, run, p, out);
        if (c->opts.passages && c->opts.shingle_unit == ND_UNIT_WORD)
            mark_all(first_doc(c, p->first), first_doc(c, p->end), run->have);
    }
    return rc;
}

/* Whether a bitmap of documents [first, end) names any. */
static bool any_doc(const uint8_t *docs, size_t first, size_t end)
{
    for (size_t i = first; i < end; i++)
        if (docs[i / 8] >> (i % 8) & 1)
            return true;
    return false;
}

/* The sets run->need names come from their remote parts. */
static int move_sets(nd_run_ctx *ctx, nd_corpus *c, parts_run *run)
{
    int rc = 0;
    for (size_t k = 0; k < run->n_parts && rc == 0; k++) {
        const remote_part *p = &run->part[k];
        const size_t first = first_doc(c, p->first), end = first_doc(c, p->end);
        if (!any_doc(run->need, first, end))
            continue;
        const nd_record_choice choice = {ND_RECORD_SETS, run->need + first / 8};
        nd_memory_pipe m = {0};
        const nd_record_pipe put = {nd_memory_put, &m}, get = {nd_memory_get, &m};
        rc = nd_scan_records_send(p->ctx.spill, p->corpus, first, end, &choice, &put);
        if (rc == 0)
            rc = nd_scan_records_receive_more(&get, c, first, end, &choice, ctx->spill);
        cr_assert_eq(m.at, m.len, "every byte read");
        free(m.bytes);
    }
    return rc;
}

static int send_sets(nd_run_ctx *ctx, nd_corpus *c, void *payload)
{
    parts_run *run = payload;
    run->sets_sent += nd_sets_needed(c, run->have, run->need);
    return move_sets(ctx, c, run);
}

/* The remote part that scanned document doc, or NULL (the run scanned it). */
static remote_part *part_of_doc(parts_run *run, const nd_corpus *c, uint32_t doc)
{
    for (size_t k = 0; k < run->n_parts; k++)
        if (doc >= first_doc(c, run->part[k].first) && doc < first_doc(c, run->part[k].end))
            return &run->part[k];
    return NULL;
}

/* Whether doc's set is here now (not only asked for). */
static bool set_is_here(const parts_run *run, uint32_t doc)
{
    return (run->have[doc / 8] & ~run->need[doc / 8]) >> (doc % 8) & 1;
}

/* Moves document doc's head and set from the remote part that scanned it to remote part
 * `to`, as neardup-mpi's ranks swap them: `to` has not its head. */
static void move_set(const nd_corpus *c, const remote_part *from, remote_part *to, uint32_t doc)
{
    const size_t first = doc / ND_SCAN_BATCH * ND_SCAN_BATCH;
    const size_t end = nd_scan_batch_end(c, doc / ND_SCAN_BATCH);
    uint8_t one[ND_SCAN_BATCH / 8] = {0};
    one[(doc - first) / 8] = (uint8_t)(1u << ((doc - first) % 8));
    const nd_record_choice choice = {ND_RECORD_FIRST | ND_RECORD_SETS, one};
    nd_memory_pipe m = {0};
    const nd_record_pipe put = {nd_memory_put, &m}, get = {nd_memory_get, &m};
    cr_assert_eq(nd_scan_records_send(from->ctx.spill, from->corpus, first, end, &choice, &put), 0);
    cr_assert_eq(to->corpus->docs[doc].n_shingles, 0, "the part has not scanned it");
    cr_assert_eq(nd_scan_records_receive_more(&get, to->corpus, first, end, &choice, to->ctx.spill),
                 0);
    cr_assert_eq(to->corpus->docs[doc].n_shingles, c->docs[doc].n_shingles);
    cr_assert_eq(m.at, m.len, "every byte read");
    free(m.bytes);
}

/* The run's nd_pair_source: a pair whose first document a remote part scanned, and the
 * second not the run, is verified by that part, on its own context, as a rank verifies
 * its pairs, with the other document's head and set moved there when another part scanned
 * it; the sets of the other pairs come, as neardup-mpi's rank 0 asks for them. */
static int prepare_pairs(nd_run_ctx *ctx, const nd_corpus *c, const nd_pair_key *keys, size_t n,
                         bool exact, const nd_pair **known, size_t *n_known, void *payload)
{
    parts_run *run = payload;
    memset(run->need, 0, c->n_docs / 8 + 1);
    for (size_t i = 0; i < n; i++) {
        const nd_pair_key k = keys[i];
        remote_part *p = part_of_doc(run, c, k.a), *q = part_of_doc(run, c, k.b);
        if (set_is_here(run, k.a) && set_is_here(run, k.b))
            continue;
        if (!p || !q) {
            run->sets_sent +=
                nd_set_wanted(k.a, run->have, run->need) + nd_set_wanted(k.b, run->have, run->need);
            continue;
        }
        if (q != p && p->corpus->docs[k.b].n_shingles == 0) {
            move_set(c, q, p, k.b);
            run->sets_moved++;
        }
        nd_pair *v;
        cr_assert_eq(nd_verify_values(&p->ctx, p->corpus, &(nd_candidates){(nd_pair_key *)&k, 1, 0},
                                      exact, &v),
                     0);
        cr_assert_eq(ND_GROW(run->known, run->known_cap, run->n_known + 1), 0);
        run->known[run->n_known++] = v[0];
        free(v);
    }
    if (run->n_known > 1)
        qsort(run->known, run->n_known, sizeof(*run->known), nd_compare_known_pairs);
    *known = run->known;
    *n_known = run->n_known;
    return move_sets(ctx, (nd_corpus *)c, run);
}

static void end_parts_run(parts_run *run, const nd_corpus *c)
{
    for (size_t k = 0; k < run->n_parts; k++) {
        nd_scan_out_free(&run->part[k].scan);
        nd_run_ctx_close(&run->part[k].ctx);
        nd_corpus_free(run->part[k].corpus);
    }
    for (size_t i = 0; i < c->n_docs; i++)
        run->sets_all += c->docs[i].status == ND_DOC_OK;
    free(run->have);
    free(run->need);
    free(run->known);
}

static void run(const nd_options *o, const char *dir, bool in_parts, outputs *out)
{
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, o), 0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/lines.jsonl", dir);
    cr_assert_eq(nd_corpus_add_path(c, SEEDS_DIR), 0);
    cr_assert_eq(nd_corpus_add_path(c, path), 0);
    nd_result *r;
    parts_run parts = {.inputs = {SEEDS_DIR, path}};
    const nd_pair_source pairs = {prepare_pairs, &parts};
    const nd_run_hooks hooks = {
        .scan = scan_in_parts, .need_sets = send_sets, .pair_source = &pairs, .payload = &parts};
    const int rc = in_parts ? nd_corpus_run_with(c, &hooks, &r) : nd_corpus_run(c, &r);
    cr_assert_eq(rc, 0);
    if (in_parts)
        end_parts_run(&parts, c);
    /* without passages of words, the sets that come are those of the pairs whose first
     * document the run scanned only, and the pairs whose first document a remote part
     * scanned are verified there, some with a set moved from elsewhere (with them, all
     * came with the words) */
    const bool every_set = o->passages && o->shingle_unit == ND_UNIT_WORD;
    cr_assert(!in_parts || (every_set ? parts.sets_sent == 0
                                      : parts.sets_sent > 0 && parts.sets_sent < parts.sets_all),
              "%zu sets of %zu", parts.sets_sent, parts.sets_all);
    cr_assert(!in_parts || (every_set ? parts.n_known == 0 : parts.n_known > 0),
              "%zu pairs verified by their part", parts.n_known);
    cr_assert(!in_parts || every_set || parts.sets_moved > 0, "no set moved between parts");
    write_all(r, out);
    nd_result_free(r);
    nd_corpus_free(c);
}

static void assert_parts_change_nothing(const nd_options *o)
{
    char *dir = make_temp_dir();
    char path[4096];
    snprintf(path, sizeof(path), "%s/lines.jsonl", dir);
    write_jsonl(path);
    outputs whole, parts;
    run(o, dir, false, &whole);
    run(o, dir, true, &parts);
    cr_assert_gt(strlen(whole.text[0]), 200, "pairs found");
    for (int k = 0; k < 6; k++) {
        cr_assert_str_eq(whole.text[k], parts.text[k], "output %d", k);
        free(whole.text[k]);
        free(parts.text[k]);
    }
    remove_tree(dir);
    free(dir);
}

Test(scan_records, passages_of_words)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.5;
    o.passages = 1;
    o.threads = 2;
    assert_parts_change_nothing(&o);
}

Test(scan_records, words_without_passages)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.5;
    o.threads = 2;
    assert_parts_change_nothing(&o);
}

Test(scan_records, character_shingles_without_passages)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.5;
    o.shingle_unit = ND_UNIT_CHAR;
    o.threads = 1;
    assert_parts_change_nothing(&o);
}

Test(scan_records, estimated_verification_and_strict_utf8)
{
    nd_options o = ND_OPTIONS_INIT;
    o.threshold = 0.5;
    o.verify = ND_VERIFY_ESTIMATE;
    o.strict = 1;
    o.passages = 1;
    o.num_perm = 17; /* an odd signature: its record is padded */
    assert_parts_change_nothing(&o);
}

/* Imports the demo's records from m into a fresh corpus: the receiver's answer. */
static int import_demo(nd_memory_pipe *m, const nd_options *o)
{
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, o), 0);
    cr_assert_eq(nd_corpus_add_path(c, SEEDS_DIR), 0);
    nd_run_ctx ctx;
    cr_assert_eq(nd_run_ctx_open(&ctx, o, 0, 0, NULL, NULL), 0);
    nd_scan_out out;
    cr_assert_eq(nd_scan_begin(c, &out), 0);
    m->at = 0;
    const nd_record_pipe get = {nd_memory_get, m};
    const int rc = nd_scan_part(&ctx, c, 0, 1, &get, &out);
    nd_scan_out_free(&out);
    nd_run_ctx_close(&ctx);
    nd_corpus_free(c);
    return rc;
}

/* Records cut short are told by the pipe; records that say more or less than they hold
 * are refused; a relay passes them on unchanged. */
Test(scan_records, damaged_records_are_refused)
{
    nd_options o = ND_OPTIONS_INIT;
    o.passages = 1;
    nd_corpus *c;
    cr_assert_eq(nd_corpus_new(&c, &o), 0);
    cr_assert_eq(nd_corpus_add_path(c, SEEDS_DIR), 0);
    nd_memory_pipe m = {0}, relayed = {0};
    const nd_record_pipe put = {nd_memory_put, &m}, get = {nd_memory_get, &m};
    const nd_record_pipe relay_put = {nd_memory_put, &relayed};
    nd_run_ctx ctx;
    nd_scan_out scan;
    cr_assert_eq(nd_run_ctx_open(&ctx, &o, 0, 0, NULL, NULL), 0);
    cr_assert_eq(nd_scan_stage(&ctx, c, &scan), 0);
    cr_assert_eq(nd_scan_records_send(ctx.spill, c, 0, c->n_docs, NULL, &put), 0);
    nd_scan_out_free(&scan);
    nd_run_ctx_close(&ctx);
    nd_corpus_free(c);
    cr_assert_eq(nd_scan_records_relay(&get, &relay_put), 0);
    cr_assert_eq(relayed.len, m.len);
    cr_assert(!memcmp(relayed.bytes, m.bytes, m.len));
    free(relayed.bytes);
    cr_assert_eq(import_demo(&m, &o), 0);
    const size_t whole = m.len;
    for (size_t cut = 0; cut < whole; cut += 1 + cut / 2) {
        m.len = cut;
        cr_assert_eq(import_demo(&m, &o), ND_EIO, "cut at %zu", cut);
    }
    m.len = whole;
    /* the part's document count, blocks and their lengths (56 bytes), then the first
     * head's size and its word and shingle counts */
    const size_t changed[] = {0, 8, 16, 24, 32, 40, 48, 56, 56 + 48, 56 + 52};
    for (size_t k = 0; k < sizeof(changed) / sizeof(*changed); k++) {
        m.bytes[changed[k]] ^= 0x08;
        const int rc = import_demo(&m, &o);
        cr_assert_eq(rc, ND_EFORMAT, "byte %zu", changed[k]);
        m.bytes[changed[k]] ^= 0x08;
    }
    o.num_perm = 64; /* records of other options */
    cr_assert_eq(import_demo(&m, &o), ND_EFORMAT);
    free(m.bytes);
}
